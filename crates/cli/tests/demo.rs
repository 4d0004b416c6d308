//! `fupin demo` through the binary: a small scale, served, signed in with a printed user.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod common;
use common::fupin;

/// Kills the server when the test ends, whatever happens.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_generates_loads_prints_and_serves() {
    let test_db = fupin_store::testing::TestDb::sqlite().await;
    let url = test_db.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    let workdir = dir.path().join("files");
    let workdir = workdir.to_str().expect("utf-8 path");

    let refused = fupin(
        &url,
        &["demo", "--scale", "0", "--no-serve", "--workdir", workdir],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("scale"));

    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_fupin"))
            .args(["--db", &url, "demo", "--scale", "0.002", "--seed", "3"])
            .args(["--workdir", workdir, "--listen", "127.0.0.1:0"])
            .env_remove("FUPIN_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("demo"),
    );
    let mut printed = Vec::new();
    let mut reader = BufReader::new(server.0.stdout.take().expect("stdout"));
    let base = loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("a line");
        assert!(read > 0, "the demo ended early:\n{}", printed.join(""));
        if line.starts_with("Fupin is serving on ") {
            let address = line.split_whitespace().find(|w| w.starts_with("http://"));
            break address.expect("address").trim_end_matches('/').to_string();
        }
        printed.push(line);
    };
    let output = printed.join("");
    for expected in [
        "import households-361128-001.csv",
        "import loans-2017-",
        "import repayments-2017-",
        "end of day",
        "loans_total_growth_gap_pp                      1.05",
        "villages_with_outlet                           252",
        "regulator   password demo-regulator-2017",
        "wyrcb       password demo-wyrcb-2017",
    ] {
        assert!(
            output.contains(expected),
            "{expected:?} missing from:\n{output}"
        );
    }
    assert!(std::path::Path::new(workdir).join("regions.csv").exists());

    let client = reqwest::Client::new();
    let signed_in = client
        .post(format!("{base}/api/session"))
        .json(&serde_json::json!({"name": "wyrcb", "password": "demo-wyrcb-2017"}))
        .send()
        .await
        .expect("send");
    assert_eq!(signed_in.status(), 200);
    drop(server);

    let json = fupin(
        &url,
        &[
            "indicators",
            "--as-of",
            "2017-06-30",
            "--region",
            "361100",
            "--format",
            "json",
        ],
    );
    let values: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let value = |code: &str| {
        values
            .as_array()
            .expect("array")
            .iter()
            .find(|v| v["code"] == code)
            .map(|v| v["value"].clone())
    };
    assert_eq!(
        value("townships_assigned_postal_savings"),
        Some("12".into())
    );
    assert_eq!(value("villages_with_electronic_only"), Some("1921".into()));
    assert_eq!(value("village_service_coverage"), Some("100.00".into()));
}
