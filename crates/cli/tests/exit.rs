//! A stopped Fupin leaves one self-contained SQLite file: after every kind of command (one
//! that writes, an import, one that fails, the server stopped by a signal) the database file
//! copied alone — without its `-wal` and `-shm` files, as people copy a file to a colleague —
//! opens, passes SQLite's integrity check and holds every write.
//!
//! SQLite only: a PostgreSQL database is not a file to copy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fupin_store::Db;

mod common;
use common::fupin;

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// The database file alone is the whole database: no log is left beside it, and a copy of the
/// file by itself holds `records` audit records and passes the integrity check.
async fn assert_self_contained(file: &Path, records: i64, after: &str) {
    let wal = with_suffix(file, "-wal");
    let wal_bytes = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(
        wal_bytes,
        0,
        "after {after}: {} holds {wal_bytes} bytes",
        wal.display()
    );
    let dir = tempfile::tempdir().expect("dir");
    let copy = dir.path().join("copied.db");
    std::fs::copy(file, &copy).expect("copy the file alone");
    let db = Db::connect(&format!("sqlite:{}", copy.display()))
        .await
        .unwrap_or_else(|e| panic!("after {after}: the copy does not open: {e}"));
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("after {after}: the copy is damaged: {e}"));
    assert_eq!(check, "ok", "after {after}");
    let copied: i64 = sqlx::query_scalar("select count(*) from audit_log")
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("after {after}: the copy cannot be read: {e}"));
    assert_eq!(copied, records, "after {after}: the copy holds every write");
    db.close().await;
}

/// The audit records of the database, as `fupin audit verify` counts them.
fn audit_records(url: &str) -> i64 {
    let verify = fupin(url, &["audit", "verify"]);
    let out = text(&verify);
    assert!(verify.status.success(), "{out}");
    out.split_whitespace()
        .find_map(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("no count in {out}"))
}

/// Starts `fupin serve` on a free port, waits until it serves, then stops it with SIGTERM.
fn serve_and_stop(url: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fupin"))
        .args(["--db", url, "serve", "--listen", "127.0.0.1:0"])
        .env_remove("FUPIN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fupin serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    assert!(first.contains("serving on"), "{first}");
    // The server answers, so its signal handler is in place, before it is stopped.
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first}"));
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: fupin\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "serve stopped with {status}");
}

#[tokio::test]
async fn the_database_file_alone_is_the_whole_database_after_every_command() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("fupin.db");
    let url = format!("sqlite:{}", file.display());

    let init = fupin(&url, &["init"]);
    assert!(init.status.success(), "{}", text(&init));
    assert_self_contained(&file, audit_records(&url), "init").await;

    let institutions = dir.path().join("banks.csv");
    std::fs::write(
        &institutions,
        "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n",
    )
    .expect("write");
    let import = fupin(
        &url,
        &[
            "import",
            "institutions",
            &institutions.display().to_string(),
        ],
    );
    assert!(import.status.success(), "{}", text(&import));
    let records = audit_records(&url);
    assert_self_contained(&file, records, "an import").await;

    let missing = dir.path().join("missing.csv").display().to_string();
    let failed = fupin(&url, &["import", "institutions", &missing]);
    assert!(!failed.status.success(), "{}", text(&failed));
    // The file is named once (issue 24, item 9).
    assert_eq!(
        String::from_utf8_lossy(&failed.stderr),
        format!("error: {missing}: cannot read the file: No such file or directory (os error 2)\n")
    );
    assert_self_contained(&file, records, "a failed command").await;

    serve_and_stop(&url);
    assert_self_contained(&file, records, "serve stopped by SIGTERM").await;
}
