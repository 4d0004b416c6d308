//! Opening the database on either engine, migrating it, and write transactions.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, Row};

use crate::error::{Result, StoreError};

/// The two engines Fupin runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite in a file: the default.
    Sqlite,
    /// PostgreSQL server (and, by keeping SQL portable, compatible distributed engines).
    Postgres,
}

impl Engine {
    /// Which engine a URL names.
    pub fn of_url(url: &str) -> Result<Engine> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    /// Lower-case name, as shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// A write transaction. Dropping it without `commit` rolls back.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A connection pool to one Fupin database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// SQLite only: the one connection writes go through. Writers queue for it instead of each
    /// holding a pooled connection while SQLite makes them wait for its single write lock — so
    /// a writer that reads through [`Db::pool`] inside its transaction always finds a free
    /// connection, however many writers are waiting.
    writer: Option<AnyPool>,
    engine: Engine,
    url: String,
}

/// Limits of the pool; small because the machines are small and SQLite has one writer.
const POOL_CONNECTIONS_MAX: u32 = 8;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// A statement slower than this is logged as a warning. sqlx's default, 1 s, warned on every
/// part of a large import: the checks that run over a whole part of 250,000 rows at once take
/// 1 to 2.5 s at demo scale 10, as they should. 5 s is slow for any statement here.
const SLOW_STATEMENT: Duration = Duration::from_secs(5);

impl Db {
    /// Opens (creating a SQLite file if needed) the database named by `url`.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of_url(url)?;
        let connect_url = match engine {
            Engine::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&connect_url)
            .map_err(|source| connect_error(url, source))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, SLOW_STATEMENT);
        // One direct attempt first: a refused or unknown server fails at once with its own
        // message, instead of the pool retrying until its acquire timeout.
        let probe = sqlx::AnyConnection::connect_with(&options)
            .await
            .map_err(|source| connect_error(url, source))?;
        probe.close().await.ok();
        let pool = pool_options(engine, POOL_CONNECTIONS_MAX, READER_CACHE_KIB)
            .connect_with(options.clone())
            .await
            .map_err(|source| connect_error(url, source))?;
        let writer = match engine {
            Engine::Sqlite => Some(
                pool_options(engine, 1, WRITER_CACHE_KIB)
                    .connect_with(options)
                    .await
                    .map_err(|source| connect_error(url, source))?,
            ),
            Engine::Postgres => None,
        };
        Ok(Db {
            pool,
            writer,
            engine,
            url: redact(url),
        })
    }

    /// Brings the schema to the latest version; harmless when it already is.
    pub async fn migrate(&self) -> Result<()> {
        match self.engine {
            Engine::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Engine::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`) so two writers queue on the busy timeout instead of deadlocking on upgrade.
    pub async fn write(&self) -> Result<Tx> {
        let tx = match (self.engine, &self.writer) {
            (Engine::Sqlite, Some(writer)) => writer.begin_with("BEGIN IMMEDIATE").await?,
            (Engine::Sqlite, None) => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            (Engine::Postgres, _) => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Commits a transaction that may have written many rows (an import, a day's end of day),
    /// then, on PostgreSQL, refreshes the planner's statistics of the tables it grew by more
    /// than a tenth ([`tables_grown`]).
    ///
    /// Why: a table filled by one transaction has no statistics until it is analyzed, and the
    /// servers of this machine kind run without autovacuum. Without them the planner guesses that
    /// `loan_id = $1` matches 0.5 % of `loan_instalments`: after an import of a million loans
    /// (24 million instalments) each repayment scanned the whole table, at 41 a second instead of
    /// 600 (BENCHMARKS.md). Statistics only make plans better, so if analyzing fails the commit
    /// stands and a warning is logged.
    pub async fn commit_bulk(&self, mut tx: Tx) -> Result<()> {
        let tables = tables_grown(&mut tx).await?;
        tx.commit().await?;
        if let Err(error) = self.analyze(&tables).await {
            tracing::warn!(%error, ?tables, "the statistics of the tables a bulk write grew were not refreshed");
        }
        Ok(())
    }

    /// `ANALYZE` of the named tables (names as [`tables_grown`] gives them); nothing on SQLite.
    async fn analyze(&self, tables: &[String]) -> Result<()> {
        if self.engine == Engine::Sqlite || tables.is_empty() {
            return Ok(());
        }
        // Safe: the names are the catalog's own, quoted by the server (`quote_ident`).
        let sql = format!("ANALYZE {}", tables.join(", "));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("select 1").execute(&self.pool).await.is_ok()
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine in use.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The URL with any password removed, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes every connection. On SQLite the readers close first, then the writer moves every
    /// page of the write-ahead log into the database file and empties the log
    /// (`wal_checkpoint(TRUNCATE)`) before it closes: a stopped Fupin leaves one self-contained
    /// file that can be copied alone. (Another process still reading keeps the log; it
    /// checkpoints when it closes.)
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(writer) = &self.writer {
            if !writer.is_closed() {
                checkpoint(writer).await;
            }
            writer.close().await;
        }
    }
}

/// Moves the whole write-ahead log into the database file and truncates it; logged, not
/// returned, when it cannot (closing goes on either way).
async fn checkpoint(writer: &AnyPool) {
    match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(writer)
        .await
    {
        // The first column is 1 when another connection kept the checkpoint from finishing.
        Ok(row) if row.try_get::<i64, _>(0).unwrap_or(0) != 0 => {
            tracing::warn!(
                "the write-ahead log was not emptied on closing: another process is using the database"
            )
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "the write-ahead log was not emptied on closing"),
    }
}

/// A pool of at most `max` connections, each set up for the engine (SQLite: with a page cache
/// of up to `cache_kib`).
fn pool_options(engine: Engine, max: u32, cache_kib: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |connection, _| {
            Box::pin(async move {
                if engine == Engine::Sqlite {
                    connection.execute(SQLITE_PRAGMAS).await?;
                    let cache = format!("PRAGMA cache_size = -{cache_kib}");
                    connection.execute(sqlx::AssertSqlSafe(cache)).await?;
                }
                Ok(())
            })
        })
}

/// WAL lets readers run beside the writer; FULL sync makes each commit durable (money moves
/// here); foreign keys are off by default in SQLite and must be asked for; a writer waits up to
/// 30 s for another writer before giving up. Temporary files in memory: every multi-row
/// statement of an import keeps a statement journal (to undo itself alone on a constraint
/// error), and on disk those journals were a quarter of an import's time (513 MB of writes for
/// 3,000 loans, against 11 MB to the WAL). A statement journal holds the pages one statement
/// changes, so its memory is bounded by the statement, not by the file.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; PRAGMA temp_store = MEMORY;";

/// Page caches (SQLite's default is 2 MiB). The writer's 32 MiB keeps an import's one long
/// transaction from spilling pages and reading them back; readers share the operating
/// system's file cache and keep 8 MiB each. Together at most 96 MiB, whatever the size of the
/// database (with 32 MiB on every connection, the demo's loading at scale 1 reached 406 MiB of
/// memory; with these, 216 MiB).
const WRITER_CACHE_KIB: u32 = 32 * 1024;
const READER_CACHE_KIB: u32 = 8 * 1024;

fn connect_error(url: &str, source: sqlx::Error) -> StoreError {
    StoreError::Connect {
        url: redact(url),
        source,
    }
}

/// Removes the password from a URL so it never reaches a log or a message.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// On PostgreSQL, plans each later statement of the transaction for the tables as they are
/// when it runs (`plan_cache_mode = force_custom_plan`); nothing on SQLite.
///
/// For a transaction that fills tables it reads as it goes (an import of loans into a new
/// database). Without it a prepared statement, and each foreign-key check (a prepared query of
/// the server's own), keeps after five runs the generic plan made while its table was small:
/// the import kept scanning all of `loans` for the parent of each instalment, and 100,000 loans
/// fell from 164 to 70 a second (BENCHMARKS.md). Nothing else invalidates those plans within
/// the transaction (autovacuum cannot analyze rows not yet committed). Replanning costs tens
/// of microseconds a statement, too much for imports that do not need it: the registry's
/// import of a million rows took twice as long with it.
pub async fn plan_each_statement(tx: &mut Tx) -> Result<()> {
    if tx.backend_name() != "SQLite" {
        sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The rows a transaction must add to a table (inserted less deleted) for it to be analyzed
/// after commit: 1,000 rows and a tenth of the rows the table had at its last analysis, the
/// rule of autovacuum (50 rows and a tenth) made coarser, so that everyday writes never wait
/// for an analysis. Net rows, not rows written: an import's staging table, filled and emptied
/// in one transaction, analyzed empty would tell the planner that the next import's rows are
/// none, and its checks ran as nested loops over them (minutes for a county's registry file).
const ANALYZE_ROWS_MIN: i64 = 1_000;

/// On PostgreSQL, the tables this transaction has grown enough that their planner statistics
/// are stale ([`ANALYZE_ROWS_MIN`]), as quoted, schema-qualified names in name order; none on
/// SQLite. Read from the transaction's own counters (`pg_stat_xact_user_tables`), so it costs
/// one catalog query and never misses a write. Those counters also hold the connection's
/// earlier writes not yet flushed to the server's statistics (up to a second's worth): at
/// worst a table is analyzed once more than it needed.
pub async fn tables_grown(tx: &mut Tx) -> Result<Vec<String>> {
    if tx.backend_name() == "SQLite" {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select quote_ident(s.schemaname) || '.' || quote_ident(s.relname) \
         from pg_stat_xact_user_tables s join pg_class c on c.oid = s.relid \
         where s.n_tup_ins - s.n_tup_del > {ANALYZE_ROWS_MIN} + greatest(c.reltuples, 0) / 10 \
         order by 1"
    );
    // Safe: only a constant is formatted in.
    let tables = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await?;
    Ok(tables)
}

/// Defers foreign-key checks to commit, for imports whose rows may name a parent that comes
/// later in the same file. A violation still fails the commit.
pub async fn defer_foreign_keys(tx: &mut Tx) -> Result<()> {
    let sql = match tx.backend_name() {
        "SQLite" => "PRAGMA defer_foreign_keys = ON",
        _ => "SET CONSTRAINTS ALL DEFERRED",
    };
    sqlx::query(sql).execute(&mut **tx).await?;
    Ok(())
}
