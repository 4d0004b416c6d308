//! `fupin user …` and `fupin serve` through the binary, on both engines.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

mod common;
use common::fupin;

fn fupin_with_stdin(db_url: &str, args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fupin"))
        .args(["--db", db_url])
        .args(args)
        .env_remove("FUPIN_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fupin");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

/// Kills the server when the test ends, whatever happens.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fupin_store::on_both_engines! {
    async fn users_tokens_and_serve(db) {
        let url = db.url().to_string();
        assert!(fupin(&url, &["init"]).status.success());
        let added = fupin_with_stdin(&url, &["user", "add", "reg", "--role", "regulator", "--region", "3611", "--password-stdin"], "correct horse battery\n");
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let short = fupin_with_stdin(&url, &["user", "add", "weak", "--role", "finance", "--region", "3611", "--password-stdin"], "short\n");
        assert!(!short.status.success());
        assert!(String::from_utf8_lossy(&short.stderr).contains("password: must have at least 10 characters"));
        let bank = fupin_with_stdin(&url, &["user", "add", "b", "--role", "bank", "--region", "361128", "--password-stdin"], "correct horse battery\n");
        assert!(String::from_utf8_lossy(&bank.stderr).contains("institution: a bank user needs an institution"));
        let bad_role = fupin(&url, &["user", "add", "x", "--role", "king", "--region", "3611"]);
        assert!(!bad_role.status.success());

        let listing = String::from_utf8_lossy(&fupin(&url, &["user", "list", "--format", "csv"]).stdout).into_owned();
        assert!(listing.contains("reg,regulator,361100000000,,no,"), "{listing}");
        let token_output = fupin(&url, &["user", "token", "reg"]);
        assert!(token_output.status.success());
        let token = String::from_utf8_lossy(&token_output.stdout).trim().to_string();
        assert!(token.starts_with("fupin_"), "{token}");

        let mut server = Server(
            Command::new(env!("CARGO_BIN_EXE_fupin"))
                .args(["--db", &url, "serve", "--listen", "127.0.0.1:0", "--session-ttl", "60"])
                .env_remove("FUPIN_DATABASE_URL")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("serve"),
        );
        let mut line = String::new();
        BufReader::new(server.0.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
        let base = line.split_whitespace().find(|w| w.starts_with("http://")).expect("address").trim_end_matches('/').to_string();
        let client = reqwest::Client::new();
        let me = client.get(format!("{base}/api/session")).bearer_auth(&token).send().await.expect("send");
        assert_eq!(me.status(), 200);
        assert_eq!(me.json::<serde_json::Value>().await.expect("json")["user"]["name"], "reg");

        assert!(fupin(&url, &["user", "disable", "reg"]).status.success());
        let refused = client.get(format!("{base}/api/session")).bearer_auth(&token).send().await.expect("send");
        assert_eq!(refused.status(), 401);
        let audit = String::from_utf8_lossy(&fupin(&url, &["audit", "verify"]).stdout).into_owned();
        assert!(audit.contains("audit trail intact"), "{audit}");
    }

    async fn a_bank_user_lies_within_its_institution_and_user_check_finds_those_that_do_not(db) {
        let url = db.url().to_string();
        assert!(fupin(&url, &["init"]).status.success());
        let dir = tempfile::tempdir().expect("dir");
        let banks = dir.path().join("banks.csv");
        std::fs::write(&banks, "code,name,type,region_code\nWYRCB,婺源农商银行,rural_cooperative,361130\n").expect("write");
        let imported = fupin(&url, &["import", "institutions", banks.to_str().expect("path")]);
        assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
        let add = |name: &str, region: &str| fupin_with_stdin(&url, &["user", "add", name, "--role", "bank", "--region", region, "--institution", "WYRCB", "--password-stdin"], "correct horse battery\n");
        // Poyang (361128) and the whole city are outside Wuyuan's bank's area.
        for region in ["361128", "3611"] {
            let refused = add("wy-out", region);
            assert!(!refused.status.success(), "{region}");
            let stderr = String::from_utf8_lossy(&refused.stderr);
            assert!(stderr.contains("region: region") && stderr.contains("lies outside the area of institution WYRCB"), "{stderr}");
        }
        let added = add("wy", "361130");
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let clean = fupin(&url, &["user", "check"]);
        assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));

        // A user made before the rule (written straight into the table) is found.
        let mut tx = db.write().await.expect("tx");
        fupin_store::users::insert(&mut tx, &fupin_store::users::User {
            name: "legacy".into(),
            display_name: None,
            role: "bank".into(),
            region_code: fupin_core::RegionCode::parse("361128").expect("region"),
            institution_code: Some("WYRCB".into()),
            password_hash: "x".into(),
            disabled: false,
            created_at: "2017-01-01T00:00:00.000Z".into(),
        }).await.expect("insert");
        tx.commit().await.expect("commit");
        let check = fupin(&url, &["user", "check"]);
        assert!(!check.status.success());
        let stdout = String::from_utf8_lossy(&check.stdout);
        assert!(stdout.contains("user legacy: region 361128000000 lies outside the area of institution WYRCB"), "{stdout}");
        assert!(!stdout.contains("user wy:"), "{stdout}");
    }
    async fn revoke_sessions_keeps_the_account_and_villages_are_assigned_to_officers(db) {
        let url = db.url().to_string();
        assert!(fupin(&url, &["init"]).status.success());
        let dir = tempfile::tempdir().expect("dir");
        let banks = dir.path().join("banks.csv");
        std::fs::write(&banks, "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n").expect("write");
        assert!(fupin(&url, &["import", "institutions", banks.to_str().expect("path")]).status.success());
        let regions = dir.path().join("regions.csv");
        std::fs::write(&regions, "code,name\n361128100,饶州街道\n361128100001,东湖村\n361128100002,西湖村\n").expect("write");
        let imported = fupin(&url, &["import", "regions", regions.to_str().expect("path")]);
        assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
        let added = fupin_with_stdin(&url, &["user", "add", "officer", "--role", "bank", "--region", "361128", "--institution", "PYRCB", "--password-stdin"], "correct horse battery\n");
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let token = String::from_utf8_lossy(&fupin(&url, &["user", "token", "officer"]).stdout).trim().to_string();

        let revoked = fupin(&url, &["user", "revoke-sessions", "officer"]);
        assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
        let said = String::from_utf8_lossy(&revoked.stdout).into_owned();
        assert!(said.contains("0 sessions ended, 1 API tokens revoked; the account stays enabled"), "{said}");
        assert!(fupin_app::auth::token_user(&db, &token).await.expect("lookup").is_none(), "the token no longer works");
        let listing = String::from_utf8_lossy(&fupin(&url, &["user", "list", "--format", "csv"]).stdout).into_owned();
        assert!(listing.contains("officer,bank,361128000000,PYRCB,no,"), "still enabled: {listing}");

        let none = String::from_utf8_lossy(&fupin(&url, &["user", "villages", "officer"]).stdout).into_owned();
        assert!(none.contains("no assigned villages"), "{none}");
        let assigned = fupin(&url, &["user", "assign-villages", "officer", "361128100001", "361128100002"]);
        assert!(assigned.status.success(), "{}", String::from_utf8_lossy(&assigned.stderr));
        assert!(String::from_utf8_lossy(&assigned.stdout).contains("2 villages newly assigned"));
        let again = fupin(&url, &["user", "assign-villages", "officer", "361128100001"]);
        assert!(String::from_utf8_lossy(&again.stdout).contains("0 villages newly assigned"));
        assert!(fupin(&url, &["user", "unassign-villages", "officer", "361128100002"]).status.success());
        let list = String::from_utf8_lossy(&fupin(&url, &["user", "villages", "officer"]).stdout).into_owned();
        assert_eq!(list.trim(), "361128100001");
        let township = fupin(&url, &["user", "assign-villages", "officer", "361128100"]);
        assert!(!township.status.success());
        assert!(String::from_utf8_lossy(&township.stderr).contains("is not a village code"));
        let unknown = fupin(&url, &["user", "assign-villages", "officer", "361128100099"]);
        assert!(!unknown.status.success());
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("village 361128100099 does not exist in the regions"));
    }
}
