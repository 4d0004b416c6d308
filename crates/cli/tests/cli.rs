//! The `fupin` binary, end to end, on both engines.

use std::process::{Command, Output};

mod common;
use common::fupin;

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fupin_store::on_both_engines! {
    async fn init_twice_is_harmless(db) {
        let url = db_url(&db);
        let first = stdout(&fupin(&url, &["init"]));
        assert!(first.contains("regions added 16, changed 0, unchanged 0"), "{first}");
        let after_first = stdout(&fupin(&url, &["audit", "verify"]));
        assert!(after_first.contains("audit trail intact"), "{after_first}");
        let second = stdout(&fupin(&url, &["init"]));
        assert!(second.contains("regions added 0, changed 0, unchanged 16"), "{second}");
        let after_second = stdout(&fupin(&url, &["audit", "verify"]));
        assert_eq!(after_first, after_second, "a second init writes no audit record");
        let ledger = stdout(&fupin(&url, &["ledger", "check"]));
        assert!(ledger.contains("0 accounts, 0 transfers"), "{ledger}");
        assert!(ledger.contains("ledger consistent"), "{ledger}");
    }

    async fn counties_list_as_json_with_history(db) {
        let url = db_url(&db);
        stdout(&fupin(&url, &["init"]));
        let json = stdout(&fupin(&url, &["regions", "list", "--level", "county", "--format", "json"]));
        let counties: Vec<serde_json::Value> = serde_json::from_str(&json).expect("JSON array");
        assert_eq!(counties.len(), 14, "12 units of 2017 plus two codes that replaced or were replaced");
        let poyang = counties.iter().find(|c| c["code"] == "361128000000").expect("Poyang");
        assert_eq!(poyang["name"], "鄱阳县");
        assert_eq!(poyang["name_en"], "Poyang County");
        assert_eq!(poyang["poverty_county"], "true");
        let shangrao_county = counties.iter().find(|c| c["code"] == "361121000000").expect("361121");
        assert_eq!(shangrao_county["valid_to"], "2019-06-01");
        assert_eq!(shangrao_county["successor_code"], "361104000000");

        let in_2017 = stdout(&fupin(&url, &["regions", "list", "--level", "county", "--as-of", "2017-06-30", "--format", "csv"]));
        assert_eq!(in_2017.lines().count(), 1 + 12, "{in_2017}");
        assert!(in_2017.contains("361121000000,上饶县"));
        assert!(!in_2017.contains("361104000000,广信区"));
        let in_2020 = stdout(&fupin(&url, &["regions", "list", "--level", "county", "--as-of", "2020-01-01", "--format", "csv"]));
        assert!(in_2020.contains("361104000000,广信区"));
        assert!(!in_2020.contains("361121000000,上饶县"));
    }

    async fn table_output_aligns_chinese_names(db) {
        let url = db_url(&db);
        stdout(&fupin(&url, &["init"]));
        let table = stdout(&fupin(&url, &["regions", "list", "--within", "3611", "--level", "city"]));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2, "{table}");
        assert!(lines[1].starts_with("361100000000  上饶市"), "{table}");
    }
}

/// The URL the test database was opened with (the binary opens the same database).
fn db_url(db: &fupin_store::Db) -> String {
    db.url().to_string()
}

#[test]
fn a_bad_database_url_is_one_clear_line() {
    let output = fupin("mysql://x", &["regions", "list"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "error: unsupported database URL \"mysql://x\": use sqlite:PATH or postgres://USER@HOST/DB"
    );
}

#[test]
fn an_unreachable_server_is_one_clear_line() {
    let output = fupin("postgres://nobody:secret@127.0.0.1:1/none", &["init"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: cannot open database postgres://nobody:***@127.0.0.1:1/none"),
        "{stderr}"
    );
}

#[test]
fn help_works_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["regions", "--help"],
        vec!["regions", "list", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["serve", "--help"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_fupin"))
            .args(&args)
            .output()
            .expect("run");
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn an_unknown_option_fails() {
    let output = Command::new(env!("CARGO_BIN_EXE_fupin"))
        .args(["regions", "list", "--colour", "red"])
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: unexpected argument '--colour' found"),
        "{stderr}"
    );
}
