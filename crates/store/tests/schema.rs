//! Both engines migrate to the same schema — tables, columns, their type families and
//! nullability, primary keys, indexes and foreign keys — and migrating twice is harmless.

use std::collections::BTreeSet;

use fupin_store::testing::TestDb;
use fupin_store::{Db, Engine};
use sqlx::Row;

/// A column as both engines can agree on it: its table, name, type family and whether it may
/// be null. The families are coarse on purpose: SQLite's `INTEGER` is PostgreSQL's `bigint`.
type ColumnFact = (String, String, &'static str, bool);

/// The family of a declared (SQLite) or reported (PostgreSQL) column type.
fn type_family(declared: &str) -> &'static str {
    let declared = declared.to_ascii_lowercase();
    let has = |part: &str| declared.contains(part);
    if has("int") || has("serial") {
        "integer"
    } else if has("char") || has("text") {
        "text"
    } else if has("bool") {
        "boolean"
    } else if has("blob") || has("bytea") {
        "bytes"
    } else if has("real") || has("double") || has("float") || has("numeric") {
        "number"
    } else if has("date") || has("time") {
        "date"
    } else {
        "other"
    }
}

async fn column_facts(db: &Db) -> BTreeSet<ColumnFact> {
    // A primary key column is never null, whatever SQLite's pragma says of a rowid alias.
    let sql = match db.engine() {
        Engine::Sqlite => {
            "select m.name as table_name, p.name as column_name, p.type as data_type, \
             cast(case when p.\"notnull\" = 1 or p.pk > 0 then 1 else 0 end as bigint) as not_null \
             from sqlite_master m join pragma_table_info(m.name) p \
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '_sqlx%'"
        }
        Engine::Postgres => {
            "select table_name::text as table_name, column_name::text as column_name, \
             data_type::text as data_type, cast(case when is_nullable = 'NO' then 1 else 0 end as bigint) as not_null \
             from information_schema.columns \
             where table_schema = current_schema() and table_name not like '_sqlx%'"
        }
    };
    let rows = sqlx::query(sql)
        .fetch_all(db.pool())
        .await
        .expect("introspect columns");
    rows.iter()
        .map(|row| {
            let data_type: String = row.get("data_type");
            (
                row.get("table_name"),
                row.get("column_name"),
                type_family(&data_type),
                row.get::<i64, _>("not_null") == 1,
            )
        })
        .collect()
}

/// An index (or primary key, or unique constraint): table, key columns in order (an expression
/// as `(expression)`), unique, partial.
type IndexFact = (String, String, bool, bool);

async fn index_facts(db: &Db) -> BTreeSet<IndexFact> {
    let sql = match db.engine() {
        // The primary key of a rowid table has no index of its own in SQLite: taken from
        // table_info, it meets PostgreSQL's `_pkey` index.
        Engine::Sqlite => {
            "select m.name as table_name, \
             (select group_concat(coalesce(x.name, '(expression)'), ',') from \
                (select x.name from pragma_index_xinfo(i.name) x where x.key = 1 \
                 order by x.seqno) x) as key_columns, \
             cast(i.\"unique\" as bigint) as is_unique, cast(i.partial as bigint) as is_partial \
             from sqlite_master m join pragma_index_list(m.name) i \
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '_sqlx%' \
             union \
             select m.name, (select group_concat(p.name, ',') from \
                (select p.name from pragma_table_info(m.name) p where p.pk > 0 order by p.pk) p), \
             1, 0 \
             from sqlite_master m \
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '_sqlx%' \
             and exists (select 1 from pragma_table_info(m.name) p where p.pk > 0)"
        }
        Engine::Postgres => {
            "select t.relname::text as table_name, \
             array_to_string(array(select coalesce(a.attname::text, '(expression)') \
                from unnest(ix.indkey) with ordinality k(number, position) \
                left join pg_attribute a on a.attrelid = t.oid and a.attnum = k.number \
                order by k.position), ',') as key_columns, \
             cast(case when ix.indisunique then 1 else 0 end as bigint) as is_unique, cast(case when ix.indpred is not null then 1 else 0 end as bigint) as is_partial \
             from pg_index ix join pg_class t on t.oid = ix.indrelid \
             join pg_namespace n on n.oid = t.relnamespace \
             where n.nspname = current_schema() and t.relname not like '_sqlx%'"
        }
    };
    let rows = sqlx::query(sql)
        .fetch_all(db.pool())
        .await
        .expect("introspect indexes");
    rows.iter()
        .map(|row| {
            (
                row.get("table_name"),
                row.get("key_columns"),
                row.get::<i64, _>("is_unique") == 1,
                row.get::<i64, _>("is_partial") == 1,
            )
        })
        .collect()
}

/// A foreign key column: table, column, the table and column it refers to.
type ForeignKeyFact = (String, String, String, String);

async fn foreign_key_facts(db: &Db) -> BTreeSet<ForeignKeyFact> {
    let sql = match db.engine() {
        Engine::Sqlite => {
            "select m.name as table_name, f.\"from\" as column_name, \
             f.\"table\" as target_table, f.\"to\" as target_column \
             from sqlite_master m join pragma_foreign_key_list(m.name) f \
             where m.type = 'table'"
        }
        Engine::Postgres => {
            "select t.relname::text as table_name, a.attname::text as column_name, \
             target.relname::text as target_table, ta.attname::text as target_column \
             from pg_constraint c join pg_class t on t.oid = c.conrelid \
             join pg_class target on target.oid = c.confrelid \
             join unnest(c.conkey) with ordinality k(number, position) on true \
             join unnest(c.confkey) with ordinality tk(number, position) \
                on tk.position = k.position \
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.number \
             join pg_attribute ta on ta.attrelid = c.confrelid and ta.attnum = tk.number \
             join pg_namespace n on n.oid = t.relnamespace \
             where c.contype = 'f' and n.nspname = current_schema()"
        }
    };
    let rows = sqlx::query(sql)
        .fetch_all(db.pool())
        .await
        .expect("introspect foreign keys");
    rows.iter()
        .map(|row| {
            (
                row.get("table_name"),
                row.get("column_name"),
                row.get("target_table"),
                row.get("target_column"),
            )
        })
        .collect()
}

/// What one engine has and the other lacks, both ways, as a readable message; empty when equal.
fn differences<T: Ord + std::fmt::Debug>(sqlite: &BTreeSet<T>, postgres: &BTreeSet<T>) -> String {
    let only_sqlite: Vec<_> = sqlite.difference(postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(sqlite).collect();
    if only_sqlite.is_empty() && only_postgres.is_empty() {
        return String::new();
    }
    format!("only in SQLite {only_sqlite:#?}; only in PostgreSQL {only_postgres:#?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_agree_on_columns_keys_indexes_and_foreign_keys() {
    let sqlite = TestDb::sqlite().await;
    let postgres = TestDb::postgres().await;
    let sqlite_columns = column_facts(&sqlite.db).await;
    assert!(
        sqlite_columns.len() > 100,
        "introspection found the columns"
    );
    let columns = differences(&sqlite_columns, &column_facts(&postgres.db).await);
    assert!(columns.is_empty(), "columns differ: {columns}");
    let sqlite_indexes = index_facts(&sqlite.db).await;
    assert!(sqlite_indexes.len() > 50, "introspection found the indexes");
    let indexes = differences(&sqlite_indexes, &index_facts(&postgres.db).await);
    assert!(indexes.is_empty(), "indexes differ: {indexes}");
    let sqlite_keys = foreign_key_facts(&sqlite.db).await;
    assert!(
        sqlite_keys.len() > 20,
        "introspection found the foreign keys"
    );
    let keys = differences(&sqlite_keys, &foreign_key_facts(&postgres.db).await);
    assert!(keys.is_empty(), "foreign keys differ: {keys}");
}

#[test]
fn type_families_match_what_each_engine_calls_its_types() {
    for (declared, family) in [
        ("INTEGER", "integer"),
        ("bigint", "integer"),
        ("BIGSERIAL", "integer"),
        ("TEXT", "text"),
        ("character varying", "text"),
        ("boolean", "boolean"),
        ("BLOB", "bytes"),
        ("bytea", "bytes"),
        ("double precision", "number"),
        ("timestamp with time zone", "date"),
    ] {
        assert_eq!(type_family(declared), family, "{declared}");
    }
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
