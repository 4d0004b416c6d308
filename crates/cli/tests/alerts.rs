//! Supervisory alerts through the binary, on both engines: a rule added as data, evaluated for a
//! date, listed, shown, answered and exported; a bad rule refused with the field named.

mod common;
use common::fupin;

fn out(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../../tests/browser/fixtures/{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn rule_args<'a>(condition: &'a str, parameters: &'a str) -> Vec<&'a str> {
    vec![
        "alerts",
        "rule",
        "--code",
        "LARGE_LOAN",
        "--name-zh",
        "单笔3万元及以上",
        "--name-en",
        "Loan of 30,000 yuan or more",
        "--severity",
        "low",
        "--subject",
        "loan",
        "--condition",
        condition,
        "--parameters",
        parameters,
        "--regulation",
        "监管提示",
        "--definition",
        "A micro-credit loan of cap_fen or more.",
    ]
}

fupin_store::on_both_engines! {
    async fn a_rule_added_through_the_command_line_finds_its_loans(db) {
        let url = db.url().to_string();
        out(&fupin(&url, &["init"]));
        for kind in ["regions", "institutions", "assignments", "households", "products", "loans"] {
            let file = fixture(kind);
            let mut args = vec!["import", kind, file.as_str()];
            if kind == "households" {
                args.extend(["--as-of", "2016-12-31"]);
            }
            out(&fupin(&url, &args));
        }
        let refused = fupin(&url, &rule_args("principal >= cap_fen", r#"{"cap_fen": 3000000}"#));
        assert!(!refused.status.success());
        let message = String::from_utf8_lossy(&refused.stderr);
        assert!(message.contains("condition") && message.contains("principal"), "{message}");

        out(&fupin(&url, &rule_args("is_microcredit = 1 and amount_fen >= cap_fen", r#"{"cap_fen": 3000000}"#)));
        let rules = out(&fupin(&url, &["alerts", "rules", "--format", "csv"]));
        assert!(rules.contains("LARGE_LOAN"), "{rules}");
        let run = out(&fupin(&url, &["alerts", "run", "--date", "2017-06-30"]));
        assert!(run.contains("2 new"), "{run}");

        // The fixture's loans of 30,000 yuan or more: PY2017001 (30,000) and HF2017001 (40,000).
        let listed = out(&fupin(&url, &["alerts", "list", "--rule", "LARGE_LOAN", "--format", "csv"]));
        let mut subjects: Vec<&str> = listed.lines().skip(1).filter_map(|l| l.split(',').nth(4)).collect();
        subjects.sort();
        assert_eq!(subjects, ["HFRCB/HF2017001", "PYRCB/PY2017001"], "{listed}");
        let only_pyrcb = out(&fupin(&url, &["alerts", "list", "--bank", "PYRCB", "--format", "csv"]));
        assert_eq!(only_pyrcb.lines().count(), 2, "{only_pyrcb}");
        let id = only_pyrcb.lines().nth(1).and_then(|l| l.split(',').next()).expect("an id").to_string();

        let shown = out(&fupin(&url, &["alerts", "show", &id]));
        let json: serde_json::Value = serde_json::from_str(&shown).expect("json");
        assert_eq!(json["evidence"]["facts"]["amount_fen"], 3_000_000);
        assert_eq!(json["evidence"]["loan"]["contract_no"], "PY2017001");
        out(&fupin(&url, &["alerts", "answer", &id, "--kind", "explain", "--note", "资金需求属实"]));
        let empty_note = fupin(&url, &["alerts", "answer", &id, "--kind", "dismiss", "--note", " "]);
        assert!(!empty_note.status.success());
        out(&fupin(&url, &["alerts", "answer", &id, "--kind", "dismiss", "--note", "核实无误"]));
        let shown: serde_json::Value = serde_json::from_str(&out(&fupin(&url, &["alerts", "show", &id]))).expect("json");
        assert_eq!(shown["status"], "dismissed");
        assert_eq!(shown["answers"].as_array().map(Vec::len), Some(2));

        // The work list holds the alerts still to be worked on: HFRCB's, not the dismissed one.
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("work.xlsx");
        out(&fupin(&url, &["alerts", "export", "--out", path.to_str().expect("path")]));
        let bytes = std::fs::read(&path).expect("written");
        assert_eq!(&bytes[..2], b"PK");
    }
}
