//! Both engines migrate to the same tables and columns, and migrating twice is harmless.

use std::collections::BTreeSet;

use fupin_store::testing::TestDb;
use fupin_store::{Db, Engine};
use sqlx::Row;

async fn columns(db: &Db) -> BTreeSet<(String, String)> {
    let sql = match db.engine() {
        Engine::Sqlite => {
            "select m.name as table_name, p.name as column_name \
             from sqlite_master m join pragma_table_info(m.name) p \
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '_sqlx%'"
        }
        Engine::Postgres => {
            "select table_name::text as table_name, column_name::text as column_name \
             from information_schema.columns \
             where table_schema = current_schema() and table_name not like '_sqlx%'"
        }
    };
    let rows = sqlx::query(sql)
        .fetch_all(db.pool())
        .await
        .expect("introspect");
    rows.iter()
        .map(|row| (row.get("table_name"), row.get("column_name")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_have_the_same_tables_and_columns() {
    let sqlite = TestDb::sqlite().await;
    let postgres = TestDb::postgres().await;
    let sqlite_columns = columns(&sqlite.db).await;
    let postgres_columns = columns(&postgres.db).await;
    assert!(sqlite_columns.len() > 10, "introspection found the schema");
    let only_sqlite: Vec<_> = sqlite_columns.difference(&postgres_columns).collect();
    let only_postgres: Vec<_> = postgres_columns.difference(&sqlite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "schemas differ: only in SQLite {only_sqlite:?}; only in PostgreSQL {only_postgres:?}"
    );
}

#[test]
fn both_migration_folders_hold_the_same_versions() {
    let names = |engine: &str| -> BTreeSet<String> {
        let dir = format!("{}/migrations/{engine}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(dir)
            .expect("migrations folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

fupin_store::on_both_engines! {
    async fn planning_each_statement_lasts_only_as_long_as_its_transaction(db) {
        let mode = |db: &Db| {
            let pool = db.pool().clone();
            async move {
                sqlx::query("show plan_cache_mode").fetch_one(&pool).await.expect("show")
                    .try_get::<String, _>(0).expect("text")
            }
        };
        let mut tx = db.write().await.expect("begin");
        fupin_store::db::plan_each_statement(&mut tx).await.expect("set");
        if db.engine() == Engine::Postgres {
            let inside: String = sqlx::query("show plan_cache_mode").fetch_one(&mut *tx).await
                .expect("show").try_get(0).expect("text");
            assert_eq!(inside, "force_custom_plan");
        }
        tx.commit().await.expect("commit");
        // The pooled connection goes back to the server's default for everything after.
        if db.engine() == Engine::Postgres {
            for _ in 0..3 {
                assert_eq!(mode(&db).await, "auto");
            }
        }
    }

    async fn migrating_twice_is_harmless(db) {
        db.migrate().await.expect("second migration");
        db.migrate().await.expect("third migration");
    }
}

#[tokio::test]
async fn a_bad_url_is_one_clear_error() {
    let error = Db::connect("mysql://localhost/x")
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "unsupported database URL \"mysql://localhost/x\": use sqlite:PATH or postgres://USER@HOST/DB"
    );
    let error = Db::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .expect_err("no server on port 1");
    let message = error.to_string();
    assert!(message.starts_with("cannot open database"), "{message}");
    assert!(!message.contains("secret"), "password leaked: {message}");
}
