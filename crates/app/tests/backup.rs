//! Backup and restore of the embedded database: copies taken while a writer posts deposits and
//! repayments restore to a database that passes every check and holds a consistent prefix of
//! the writes; every unsound backup is refused without touching the database. On PostgreSQL
//! both commands refuse and point to pg_dump/pg_restore.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use fupin_app::backup;
use fupin_app::{AppError, Db, Engine};

fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

/// The ids of the transfers of an account, without their prefix.
async fn transfer_ids(db: &Db, account: &str, prefix: &str) -> Vec<String> {
    match fupin_app::ledger::transfers(db, account, None).await {
        Ok((_, transfers)) => transfers
            .into_iter()
            .filter_map(|t| t.transfer.id.strip_prefix(prefix).map(str::to_string))
            .collect(),
        Err(AppError::NotFound(_)) => Vec::new(),
        Err(error) => panic!("transfers of {account}: {error}"),
    }
}

/// Deposit `D<i>` and repayment `R<i>` are written in the order D1, R1, D2, R2, …: a consistent
/// copy holds D1..Dd and R1..Rr with r = d or r = d − 1. Returns d.
async fn assert_consistent_prefix(db: &Db) -> usize {
    let deposits = transfer_ids(db, "fund:361128000000:subsidy", "deposit:").await;
    let expected: Vec<String> = (1..=deposits.len()).map(|i| format!("D{i}")).collect();
    assert_eq!(deposits, expected, "deposits form a prefix");
    let loan = fupin_app::loans::detail(db, "PYRCB", "C1")
        .await
        .expect("loan");
    let mut repayments: Vec<String> = fupin_store::loans::repayments_of(db, loan.loan.id)
        .await
        .expect("repayments")
        .into_iter()
        .map(|r| r.id)
        .collect();
    repayments.sort_by_key(|id| id[1..].parse::<usize>().expect("R<n>"));
    let expected: Vec<String> = (1..=repayments.len()).map(|i| format!("R{i}")).collect();
    assert_eq!(repayments, expected, "repayments form a prefix");
    let (d, r) = (deposits.len(), repayments.len());
    assert!(r == d || r + 1 == d, "{d} deposits and {r} repayments");
    // The fund holds exactly the deposits of the copy (1 yuan each).
    assert_eq!(
        balance(db, "fund:361128000000:subsidy").await.fen(),
        100 * d as i64
    );
    d
}

async fn audit_is_intact(db: &Db) -> i64 {
    let report = fupin_app::audit::verify(db).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    report.records
}

fupin_store::on_both_engines! {
    async fn backups_under_write_load_restore_a_consistent_prefix(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        one_loan(&db, dir.path(), "C1", "50000").await;
        if db.engine() == Engine::Postgres {
            let refused = backup::backup(&db, &ctx(), &dir.path().join("b.db"), true).await.expect_err("postgres");
            assert!(refused.to_string().contains("pg_dump"), "{refused}");
            let refused = backup::restore(db.url(), &ctx(), &dir.path().join("b.db"), "x").await.expect_err("postgres");
            assert!(refused.to_string().contains("pg_restore"), "{refused}");
            return;
        }

        // A writer posts deposits and repayments, one transaction each, until told to stop.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (db, stop) = (db.clone(), stop.clone());
            tokio::spawn(async move {
                let mut written = 0usize;
                while !stop.load(Ordering::Relaxed) || written < 30 {
                    written += 1;
                    deposit(&db, &format!("D{written}"), "361128", "subsidy", "2017-03-20", "1").await.expect("deposit");
                    repay(&db, &format!("R{written}"), "C1", "2017-03-20", "1").await.expect("repayment");
                }
                written
            })
        };
        let mut files = Vec::new();
        for n in 0..4 {
            tokio::time::sleep(Duration::from_millis(40)).await;
            let file = dir.path().join(format!("backup-{n}.db"));
            let summary = backup::backup(&db, &ctx(), &file, n % 2 == 0).await.expect("backup");
            assert!(summary.bytes > 0);
            assert_eq!(summary.verification.is_some(), n % 2 == 0);
            files.push(file);
        }
        stop.store(true, Ordering::Relaxed);
        let written = writer.await.expect("writer");
        ledger_is_clean(&db).await;
        audit_is_intact(&db).await;
        assert_eq!(assert_consistent_prefix(&db).await, written);

        // Each copy restores into a database of its own that passes every check.
        let mut previous = 0;
        for (n, file) in files.iter().enumerate() {
            let target = dir.path().join(format!("restored-{n}.db"));
            let summary = backup::restore(&sqlite_url(&target), &ctx(), file, "t").await.expect("restore");
            assert!(summary.kept.is_none(), "nothing to keep");
            assert!(summary.verification.is_sound());
            let restored = Db::open(&sqlite_url(&target)).await.expect("open restored");
            ledger_is_clean(&restored).await;
            let records = audit_is_intact(&restored).await;
            assert_eq!(records, summary.verification.audit_records + 1, "plus the restore's own record");
            let recent = fupin_app::audit::recent(&restored, &ctx(), 1).await.expect("recent");
            assert_eq!(recent[0].entry.action, "database.restore");
            let d = assert_consistent_prefix(&restored).await;
            assert!(d >= previous, "later copies hold more: {d} after {previous}");
            println!("backup {n}: {d} deposits of {written} written while it ran");
            previous = d;
            restored.close().await;
        }
        assert!(previous > 0 && previous <= written, "{previous} of {written}");

        // Restoring over a database keeps the one it replaces; the live database is the target
        // here, so its pool must be closed first (a server must be stopped).
        let live_url = db.url().to_string();
        let refused = backup::restore(&live_url, &ctx(), &files[0], "busy").await.expect_err("in use");
        assert!(refused.to_string().contains("open by another process"), "{refused}");
        db.close().await;
        let summary = backup::restore(&live_url, &ctx(), &files[0], "kept").await.expect("restore over");
        let kept = summary.kept.expect("kept");
        assert!(kept.to_string_lossy().ends_with(".before-restore-kept"), "{}", kept.display());
        let old = Db::connect(&sqlite_url(&kept)).await.expect("open kept");
        assert_eq!(assert_consistent_prefix(&old).await, written, "the replaced database is intact");
        old.close().await;
        let now = Db::open(&live_url).await.expect("reopen");
        ledger_is_clean(&now).await;
        audit_is_intact(&now).await;
        now.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsound_backups_are_refused_and_the_database_is_untouched() {
    let test_db = fupin_store::testing::TestDb::sqlite().await;
    let db = test_db.db.clone();
    let dir = tempfile::tempdir().expect("dir");
    setup(&db, dir.path()).await;
    one_loan(&db, dir.path(), "C1", "50000").await;
    repay(&db, "R1", "C1", "2017-03-20", "300")
        .await
        .expect("repay");
    let good = dir.path().join("good.db");
    backup::backup(&db, &ctx(), &good, true)
        .await
        .expect("backup");
    let records_before = audit_is_intact(&db).await;

    // Refused at once: an existing backup name, the database itself, garbage, no file.
    let again = backup::backup(&db, &ctx(), &good, true)
        .await
        .expect_err("exists");
    assert!(again.to_string().contains("already exists"), "{again}");
    let live_file = fupin_store::backup::sqlite_file(&test_db.url).expect("file");
    let garbage = write(dir.path(), "garbage.db", "code,name\n1,2\n");
    let target = dir.path().join("target.db");
    let target_url = sqlite_url(&target);
    let mut cases: Vec<(std::path::PathBuf, &str)> = vec![
        (garbage, "is not a SQLite database"),
        (dir.path().join("missing.db"), "No such file"),
        (live_file, "is the database itself"),
        (good.clone(), "is open by another process"),
    ];

    // A SQLite file that is not Fupin's.
    let foreign = dir.path().join("foreign.db");
    let other = Db::connect(&sqlite_url(&foreign)).await.expect("create");
    sqlx::query("create table notes (body text)")
        .execute(other.pool())
        .await
        .expect("table");
    other.close().await;
    cases.push((foreign, "not a Fupin database"));

    // Copies of the good backup, each damaged in one way.
    let damages: [(&str, &str, &str); 4] = [
        (
            "audit-edited.db",
            "update audit_log set actor = 'mallory' where seq = 3",
            "audit trail: record 3 was altered",
        ),
        (
            "audit-cut.db",
            "delete from audit_log where seq = (select max(seq) from audit_log)",
            "audit trail: the chain head",
        ),
        (
            "ledger-edited.db",
            "update ledger_accounts set debits_posted_fen = debits_posted_fen + 1 where code = 'loan:PYRCB:C1:principal'",
            "ledger: account loan:PYRCB:C1:principal: cached totals",
        ),
        (
            "newer.db",
            "insert into _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) values (9999, 'future', '2030-01-01', 1, x'00', 0)",
            "made by a newer Fupin",
        ),
    ];
    for (name, sql, _) in damages {
        let copy = dir.path().join(name);
        std::fs::copy(&good, &copy).expect("copy");
        let damaged = Db::connect(&sqlite_url(&copy)).await.expect("open copy");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(damaged.pool())
            .await
            .expect(sql);
        damaged.close().await;
    }
    for (name, _, expected) in damages {
        cases.push((dir.path().join(name), expected));
    }
    // The live database is the target of the in-use case, a fresh restore of the good backup
    // the target of the others.
    backup::restore(&target_url, &ctx(), &good, "first")
        .await
        .expect("restore good");
    let target_records = {
        let restored = Db::open(&target_url).await.expect("open");
        let records = audit_is_intact(&restored).await;
        restored.close().await;
        records
    };
    for (file, expected) in &cases {
        let url = match expected.contains("open by another process") || expected.contains("itself")
        {
            true => test_db.url.clone(),
            false => target_url.clone(),
        };
        let refused = backup::restore(&url, &ctx(), file, "refused")
            .await
            .expect_err("refused");
        assert!(
            refused.to_string().contains(expected),
            "{}: {refused}",
            file.display()
        );
    }
    // Nothing was replaced, and no staging file is left behind.
    let restored = Db::open(&target_url).await.expect("open");
    assert_eq!(audit_is_intact(&restored).await, target_records);
    ledger_is_clean(&restored).await;
    restored.close().await;
    assert_eq!(
        audit_is_intact(&db).await,
        records_before,
        "the live database was not touched"
    );
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| {
            name.contains(".restoring") || name.contains(".partial") || name.contains("refused")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
