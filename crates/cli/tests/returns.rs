//! `fupin import returns`, `fupin returns …` and `fupin reported …` through the binary, on both
//! engines.

use std::path::Path;
use std::process::Output;

mod common;
use common::fupin;

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn both(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write file");
    path.display().to_string()
}

/// Runs a command that must succeed and returns its standard output.
fn ok(url: &str, args: &[&str]) -> String {
    let output = fupin(url, args);
    assert!(output.status.success(), "{args:?}: {}", both(&output));
    text(&output)
}

/// Runs a command that must fail and returns what it printed.
fn refused(url: &str, args: &[&str]) -> String {
    let output = fupin(url, args);
    assert!(
        !output.status.success(),
        "{args:?} should fail: {}",
        both(&output)
    );
    both(&output)
}

const INSTITUTIONS: &str = "机构代码,机构名称,机构类型,所在地区代码\nPYRCB,鄱阳农商银行,农村合作金融机构,361128\nABC-SR,农业银行上饶分行,大型商业银行,361100\n";

const MAY: &str = "institution_code,region_code,period,element,value\n\
PYRCB,361128,2017-05,loans_total,1000000\n\
PYRCB,361128,2017-05,loans_agriculture,600000\n";

const JUNE: &str = "机构代码,县代码,报告期,指标代码,数值\n\
PYRCB,361128,2017-06,各项贷款余额,1500000\n\
PYRCB,361128,2017-06,涉农贷款余额,700000\n\
PYRCB,361128,2017-06,精准扶贫贷款余额,250000.50\n\
ABC-SR,361121,2017-06,loans_total,800000\n";

fupin_store::on_both_engines! {
    async fn returns_from_file_to_approval_and_correction(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        ok(&url, &["init"]);
        let institutions = write(dir.path(), "institutions.csv", INSTITUTIONS);
        ok(&url, &["import", "institutions", &institutions]);

        let may = write(dir.path(), "may.csv", MAY);
        let out = ok(&url, &["import", "returns", &may]);
        assert!(out.contains("returns applied: added 2"), "{out}");
        let out = ok(&url, &["import", "returns", &may]);
        assert!(out.contains("returns applied: added 0, changed 0, unchanged 2"), "{out}");

        // June jumps by 50 %: refused without confirmation, with the warning in the report.
        let june = write(dir.path(), "june.csv", JUNE);
        let report = dir.path().join("errors.csv");
        let out = refused(&url, &["import", "returns", &june, "--errors", &report.display().to_string()]);
        assert!(out.contains("returns refused: nothing changed"), "{out}");
        assert!(out.contains("+50.00%, beyond 30%"), "{out}");
        let content = std::fs::read_to_string(&report).expect("report");
        assert!(content.contains("loans_total_change"), "{content}");
        let out = ok(&url, &["import", "returns", &june, "--confirm-warnings"]);
        assert!(out.contains("warning (confirmed): return PYRCB/361128000000/2017-06"), "{out}");
        assert!(out.contains("returns applied: added 4"), "{out}");

        let listing = ok(&url, &["returns", "list", "--region", "3611", "--from", "2017-06", "--format", "csv"]);
        assert_eq!(listing.lines().count(), 3, "{listing}");
        assert!(listing.contains("2017-06,PYRCB,361128000000,submitted,3,"), "{listing}");
        let shown = ok(&url, &["returns", "show", "PYRCB", "361128", "2017-06", "--format", "csv"]);
        assert!(shown.contains("value,loans_poverty,250000.50,精准扶贫贷款余额"), "{shown}");
        assert!(shown.contains("rule,poverty_within_agriculture,pass (error)"), "{shown}");
        assert!(shown.contains("rule,loans_total_change,fail (warning)"), "{shown}");

        let total = ok(&url, &["returns", "total", "loans_total", "--as-of", "2017-06-30", "--region", "3611"]);
        assert!(total.contains("loans_total as of 2017-06-30 (returns up to 2017-06): 2300000.00 from 2"), "{total}");
        let total = ok(&url, &["returns", "total", "loans_total", "--as-of", "2017-06-29", "--institution", "PYRCB"]);
        assert!(total.contains("(returns up to 2017-05): 1000000.00 from 1"), "{total}");

        // Approve, refuse a changed file, reopen with a reason, correct, approve again.
        let out = ok(&url, &["returns", "approve", "PYRCB", "361128", "2017-06"]);
        assert!(out.contains("return PYRCB/361128000000/2017-06: approved"), "{out}");
        ok(&url, &["returns", "lock", "PYRCB", "361128", "2017-06"]);
        let changed = write(dir.path(), "changed.csv", "institution_code,region_code,period,element,value\nPYRCB,361128,2017-06,loans_total,1400000\n");
        let out = refused(&url, &["import", "returns", &changed]);
        assert!(out.contains("return PYRCB/361128000000/2017-06 is locked: it must be reopened"), "{out}");
        let out = refused(&url, &["returns", "correct", "PYRCB", "361128", "2017-06", "loans_total", "1400000"]);
        assert!(out.contains("error: return PYRCB/361128000000/2017-06 is locked: reopen it"), "{out}");
        let out = refused(&url, &["returns", "reopen", "PYRCB", "361128", "2017-06"]);
        assert!(out.contains("--reason"), "{out}");
        ok(&url, &["returns", "reopen", "PYRCB", "361128", "2017-06", "--reason", "总额填报有误"]);
        let out = ok(&url, &["returns", "correct", "PYRCB", "361128", "2017-06", "loans_total", "1,300,000.00"]);
        assert!(out.contains("loans_total 1500000.00 -> 1300000.00 (changed)"), "{out}");
        let out = ok(&url, &["import", "returns", &changed, "--confirm-warnings"]);
        assert!(out.contains("+40.00%, beyond 30%"), "{out}");
        assert!(out.contains("returns applied: added 0, changed 1"), "{out}");
        let shown = ok(&url, &["returns", "show", "PYRCB", "361128", "2017-06", "--format", "json"]);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&shown).expect("json");
        let history: Vec<_> = rows.iter().filter(|r| r["section"] == "history").collect();
        assert_eq!(history.len(), 2, "{shown}");
        assert_eq!(history[0]["value"], "1500000.00 -> 1300000.00");
        assert!(history[0]["detail"].as_str().unwrap_or_default().ends_with(": 总额填报有误"), "{shown}");
        assert_eq!(history[1]["value"], "1300000.00 -> 1400000.00");
        let out = ok(&url, &["returns", "approve", "PYRCB", "361128", "2017-06"]);
        assert!(out.contains("approved"), "{out}");
        let listing = ok(&url, &["returns", "list", "--state", "approved", "--format", "csv"]);
        assert!(listing.contains("2017-06,PYRCB,361128000000,approved,3,"), "{listing}");
        let audit = ok(&url, &["audit", "verify"]);
        assert!(!audit.is_empty());
    }

    async fn the_catalogue_and_reported_figures(db) {
        let url = db.url().to_string();
        ok(&url, &["init"]);
        let elements = ok(&url, &["returns", "elements", "--format", "csv"]);
        assert!(elements.contains("loans_poverty,精准扶贫贷款余额,"), "{elements}");
        let out = ok(&url, &["returns", "define-element", "loans_tea", "--name", "茶产业贷款余额", "--unit", "yuan"]);
        assert!(out.contains("data element loans_tea (茶产业贷款余额, yuan): added"), "{out}");
        let out = ok(&url, &["returns", "define-rule", "tea_within_agriculture", "--description", "tea loans are agricultural", "--check", "loans_tea <= loans_agriculture"]);
        assert!(out.contains("validation rule tea_within_agriculture (loans_tea <= loans_agriculture, error): added"), "{out}");
        let out = ok(&url, &["returns", "define-rule", "tea_change", "--description", "tea month on month", "--change", "loans_tea", "--threshold", "50", "--severity", "warning"]);
        assert!(out.contains("month-on-month change of loans_tea within 50%, warning): added"), "{out}");
        let out = refused(&url, &["returns", "define-rule", "bad", "--description", "x", "--check", "loans_tea <= borrowers_poverty"]);
        assert!(out.contains("different units"), "{out}");
        let rules = ok(&url, &["returns", "rules", "--format", "csv"]);
        assert!(rules.contains("tea_change,change,"), "{rules}");
        assert!(rules.contains("poverty_within_agriculture,compare,loans_poverty <= loans_agriculture,error,true,true,"), "{rules}");

        let out = ok(&url, &["reported", "add", "--indicator", "poverty_loan_growth", "--group", "state-poverty-counties", "--as-of", "2017-06-30", "--value", "8.65", "--unit", "percent", "--source", "上饶银监分局 2017年7月"]);
        assert!(out.contains("reported figure poverty_loan_growth for state-poverty-counties as of 2017-06-30: 8.65 percent"), "{out}");
        assert!(out.ends_with("added\n"), "{out}");
        let out = ok(&url, &["reported", "add", "--indicator", "loans_total_balance", "--region", "361128", "--as-of", "2017-06-30", "--value", "-1.5", "--unit", "yi_yuan", "--source", "bank report"]);
        assert!(out.contains("-1.5 yi_yuan"), "{out}");
        let out = refused(&url, &["reported", "add", "--indicator", "x", "--region", "361128", "--group", "state-poverty-counties", "--as-of", "2017-06-30", "--value", "1", "--unit", "percent", "--source", "s"]);
        assert!(out.contains("cannot be used with"), "{out}");
        let listing = ok(&url, &["reported", "list", "--format", "csv"]);
        assert!(listing.contains("poverty_loan_growth,,state-poverty-counties,2017-06-30,8.65,percent,"), "{listing}");
        assert_eq!(listing.lines().count(), 3, "{listing}");
    }
}
