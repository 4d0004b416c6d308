//! Fresh databases for tests, one per test, on either engine.
//!
//! PostgreSQL tests connect to the server named by `FUPIN_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), create a database of their own and drop it
//! afterwards. When no server is reachable they fail loudly; they never skip.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

use crate::db::Db;

/// Environment variable naming the PostgreSQL server tests create their databases on.
pub const POSTGRES_URL_VAR: &str = "FUPIN_TEST_POSTGRES_URL";
const POSTGRES_URL_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated, empty database that is removed when dropped.
pub struct TestDb {
    pub db: Db,
    /// The URL the database was opened with (for commands run as child processes).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("fupin.db").display());
        let db = Db::open(&url).await.expect("open a fresh SQLite database");
        TestDb {
            db,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh database on the PostgreSQL server of `FUPIN_TEST_POSTGRES_URL`.
    pub async fn postgres() -> TestDb {
        let admin_url =
            std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| POSTGRES_URL_DEFAULT.to_string());
        let name = unique_database_name();
        let mut admin = connect_admin(&admin_url).await;
        admin
            .execute(sqlx::AssertSqlSafe(format!("create database {name}")))
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        admin.close().await.ok();
        let url = database_url(&admin_url, &name);
        let db = Db::open(&url)
            .await
            .expect("open the fresh PostgreSQL database");
        TestDb {
            db,
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }

    /// A fresh database on the named engine (`sqlite` or `postgres`).
    pub async fn on(engine: crate::Engine) -> TestDb {
        match engine {
            crate::Engine::Sqlite => TestDb::sqlite().await,
            crate::Engine::Postgres => TestDb::postgres().await,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside any runtime we may block, so the cleanup gets its own thread.
            let cleanup = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build a runtime for cleanup");
                runtime.block_on(async move {
                    let mut admin = connect_admin(&admin_url).await;
                    let sql = format!("drop database if exists {name} with (force)");
                    admin.execute(sqlx::AssertSqlSafe(sql)).await.ok();
                });
            });
            cleanup.join().ok();
        }
    }
}

async fn connect_admin(admin_url: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server: cannot connect to {admin_url} ({e}). \
             Start PostgreSQL or set {POSTGRES_URL_VAR}."
            )
        })
}

fn unique_database_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "fupin_test_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("FUPIN_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Runs each listed async test body once on SQLite and once on PostgreSQL, as two tests named
/// `<name>::sqlite` and `<name>::postgres`, each on a fresh database.
///
/// ```ignore
/// fupin_store::on_both_engines! {
///     async fn init_twice(db) { /* ... uses db: fupin_store::Db ... */ }
/// }
/// ```
#[macro_export]
macro_rules! on_both_engines {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($db: $crate::Db) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let test_db = $crate::testing::TestDb::sqlite().await;
                    run(test_db.db.clone()).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let test_db = $crate::testing::TestDb::postgres().await;
                    run(test_db.db.clone()).await;
                }
            }
        )*
    };
}
