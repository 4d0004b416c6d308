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

    async fn a_bulk_commit_analyzes_the_tables_it_grew_and_no_others(db) {
        for sql in [
            "create table grown (id bigint primary key, kind text not null)",
            "create table touched (id bigint primary key)",
        ] {
            sqlx::query(sql).execute(db.pool()).await.expect("create");
        }
        let statistics = |table: &'static str| {
            let pool = db.pool().clone();
            async move {
                let sql = format!("select count(*) from pg_stats where tablename = '{table}'");
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&pool).await.expect("pg_stats")
            }
        };

        // 2,000 rows in one table, 10 in another, and 2,000 in a third that ends empty, like an
        // import's staging table: only the first grows by more than 1,000 and a tenth.
        let mut tx = db.write().await.expect("begin");
        sqlx::query(
            "insert into grown (id, kind) with recursive n(i) as \
             (select 1 union all select i + 1 from n where i < 2000) \
             select i, 'kind ' || (i % 7) from n",
        )
        .execute(&mut *tx).await.expect("insert");
        sqlx::query("insert into touched (id) values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)")
            .execute(&mut *tx).await.expect("insert");
        sqlx::query("create table staged (id bigint primary key)")
            .execute(&mut *tx).await.expect("create");
        sqlx::query("insert into staged (id) select id from grown")
            .execute(&mut *tx).await.expect("stage");
        sqlx::query("delete from staged").execute(&mut *tx).await.expect("unstage");
        let grown = fupin_store::db::tables_grown(&mut tx).await.expect("grown");
        db.commit_bulk(tx).await.expect("commit");
        let total: i64 = sqlx::query_scalar("select count(*) from grown")
            .fetch_one(db.pool()).await.expect("count");
        assert_eq!(total, 2_000, "committed");
        if db.engine() == Engine::Sqlite {
            assert!(grown.is_empty(), "{grown:?}");
            return;
        }
        assert_eq!(grown, ["public.grown"]);
        assert!(statistics("grown").await > 0, "grown was analyzed");
        assert_eq!(statistics("touched").await, 0, "touched was not");
        let staged: f64 = sqlx::query_scalar("select cast(reltuples as float8) from pg_class where relname = 'staged'")
            .fetch_one(db.pool()).await.expect("reltuples");
        assert_eq!(staged, -1.0, "staged was never analyzed, so the planner goes by its pages");
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
