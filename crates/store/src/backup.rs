//! Online copies of an embedded (SQLite) database, and the checks made before a copy is trusted.
//!
//! `VACUUM INTO` writes the whole database to a new file inside one read transaction: writers
//! carry on (WAL), and the copy is the database exactly as of one commit — never half of a
//! transaction. The copy is compacted and self-contained (no `-wal` file), so it is portable to
//! any machine and SQLite version that reads the format.
//!
//! PostgreSQL is backed up with its own tools (`pg_dump`/`pg_restore`, see `docs/backup.md`);
//! nothing here applies to it.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection, Executor, Row};

use crate::db::{Db, Engine};
use crate::error::Result;

/// The file a `sqlite:` URL names; `None` for other engines and for in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    if Engine::of_url(url).ok()? != Engine::Sqlite {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    let text = path.to_string_lossy();
    if text.is_empty() || text == ":memory:" || text.starts_with("file:sqlx-in-memory") {
        return None;
    }
    Some(path.to_path_buf())
}

/// Writes a consistent copy of the whole SQLite database to `path`, which must not exist (or
/// be empty). Runs beside writers; the copy is the database as of the moment its read began.
pub async fn vacuum_into(db: &Db, path: &str) -> Result<()> {
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The schema migrations a database has applied, read from sqlx's `_sqlx_migrations` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaState {
    /// Versions applied successfully, in order.
    pub applied: Vec<i64>,
    /// Versions whose migration started but failed (the database is half-migrated).
    pub failed: Vec<i64>,
    /// The newest version this build of Fupin knows.
    pub latest_known: i64,
}

impl SchemaState {
    /// The newest version applied (0 for none).
    pub fn latest_applied(&self) -> i64 {
        self.applied.last().copied().unwrap_or(0)
    }
}

/// The newest schema version this build carries for an engine.
pub fn latest_known_migration(engine: Engine) -> i64 {
    let migrator = match engine {
        Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The migrations applied to `db`; `None` when it has no `_sqlx_migrations` table at all (it is
/// not a Fupin database, or an empty one).
pub async fn schema_state(db: &Db) -> Result<Option<SchemaState>> {
    let exists_sql = match db.engine() {
        Engine::Sqlite => {
            "select count(*) as n from sqlite_master where type = 'table' \
             and name = '_sqlx_migrations'"
        }
        Engine::Postgres => {
            "select count(*) as n from information_schema.tables \
             where table_name = '_sqlx_migrations'"
        }
    };
    let exists: i64 = sqlx::query(exists_sql)
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    if exists == 0 {
        return Ok(None);
    }
    let rows = sqlx::query(
        "select version, cast(case when success then 1 else 0 end as bigint) as ok \
         from _sqlx_migrations order by version",
    )
    .fetch_all(db.pool())
    .await?;
    let mut state = SchemaState {
        applied: Vec::new(),
        failed: Vec::new(),
        latest_known: latest_known_migration(db.engine()),
    };
    for row in &rows {
        let version: i64 = row.try_get("version")?;
        match row.try_get::<i64, _>("ok")? {
            0 => state.failed.push(version),
            _ => state.applied.push(version),
        }
    }
    Ok(Some(state))
}

/// SQLite's own check of every page and index (`PRAGMA integrity_check`): the problems found,
/// none when the file is sound. Always empty on PostgreSQL.
pub async fn integrity_problems(db: &Db) -> Result<Vec<String>> {
    if db.engine() != Engine::Sqlite {
        return Ok(Vec::new());
    }
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(db.pool())
        .await?;
    let mut problems = Vec::new();
    for row in &rows {
        let line: String = row.try_get(0)?;
        if line != "ok" {
            problems.push(line);
        }
    }
    Ok(problems)
}

/// Whether another connection — typically a running `fupin serve` — has the SQLite file open.
///
/// Every connection to a WAL database holds a shared lock on the file while it is open, so
/// taking an exclusive lock without waiting fails exactly when someone else has it open. When
/// nobody does, this connection is the last to close: SQLite checkpoints any WAL left by a
/// process that died into the file and removes it. A pool that has closed all its idle
/// connections holds no lock, so a `false` is no proof that no server is running: stop the
/// server before a restore.
pub async fn sqlite_file_in_use(path: &Path) -> Result<bool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::ZERO)
        .locking_mode(SqliteLockingMode::Exclusive);
    let mut connection = match options.connect().await {
        Ok(connection) => connection,
        Err(error) if is_busy(&error) => return Ok(true),
        Err(error) => return Err(error.into()),
    };
    let taken = connection.execute("BEGIN EXCLUSIVE").await;
    let in_use = match taken {
        Ok(_) => {
            connection.execute("COMMIT").await?;
            false
        }
        Err(error) if is_busy(&error) => true,
        Err(error) => return Err(error.into()),
    };
    connection.close().await?;
    Ok(in_use)
}

/// SQLITE_BUSY or SQLITE_LOCKED, with any extended code.
fn is_busy(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db_error) = error else {
        return false;
    };
    db_error
        .code()
        .and_then(|code| code.parse::<i64>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}
