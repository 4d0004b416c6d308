//! `fupin backup` and `fupin restore` through the binary.

use std::process::Output;

mod common;
use common::fupin;

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fupin_store::on_both_engines! {
    async fn backup_and_restore_through_the_binary(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        let init = fupin(&url, &["init"]);
        assert!(init.status.success(), "{}", text(&init));
        let file = dir.path().join("fupin-backup.db");
        let file_text = file.display().to_string();
        let backup = fupin(&url, &["backup", &file_text]);
        if db.engine() == fupin_store::Engine::Postgres {
            assert!(!backup.status.success());
            assert!(text(&backup).contains("error: PostgreSQL is backed up with pg_dump"), "{}", text(&backup));
            let restore = fupin(&url, &["restore", &file_text]);
            assert!(!restore.status.success() && text(&restore).contains("pg_restore"), "{}", text(&restore));
            return;
        }
        assert!(backup.status.success(), "{}", text(&backup));
        assert!(text(&backup).contains("audit trail intact"), "{}", text(&backup));
        let twice = fupin(&url, &["backup", &file_text]);
        assert!(!twice.status.success() && text(&twice).contains("already exists"), "{}", text(&twice));

        // Restore into a new database, then over it (the one replaced is kept).
        let target = format!("sqlite:{}", dir.path().join("restored.db").display());
        for round in 0..2 {
            let restore = fupin(&target, &["restore", &file_text]);
            assert!(restore.status.success(), "{}", text(&restore));
            assert_eq!(text(&restore).contains("is kept as"), round == 1, "{}", text(&restore));
            let verify = fupin(&target, &["audit", "verify"]);
            assert!(verify.status.success(), "{}", text(&verify));
            let check = fupin(&target, &["ledger", "check"]);
            assert!(check.status.success() && text(&check).contains("ledger consistent"), "{}", text(&check));
        }
        let regions = fupin(&target, &["regions", "list", "--level", "county"]);
        assert!(text(&regions).contains("鄱阳县"), "{}", text(&regions));

        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, "not a database").expect("write");
        let refused = fupin(&target, &["restore", &garbage.display().to_string()]);
        assert!(!refused.status.success() && text(&refused).contains("is not a SQLite database"), "{}", text(&refused));
    }
}
