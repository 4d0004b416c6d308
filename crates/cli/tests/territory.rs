//! `fupin import` and `fupin coverage` through the binary, on both engines.

use std::path::Path;
use std::process::Output;

mod common;
use common::fupin;

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write file");
    path.display().to_string()
}

const REGIONS: &str = "code,name\n361128100,饶州街道\n361128100001,东湖村\n361128100002,西湖村\n361128101,鸦鹊湖乡\n361128101001,鸦鹊村\n";
const INSTITUTIONS: &str = "机构代码,机构名称,机构类型,所在地区代码\nPYRCB,鄱阳农商银行,农村合作金融机构,361128\nABC,农业银行,大型商业银行,361100\n";
const ASSIGNMENTS: &str =
    "township_code,institution_code,effective_from\n361128100,PYRCB,2016-01-01\n";
const SERVICE_POINTS: &str = "id,village_code,institution_code,kind,services,opened_on\nS1,361128100001,PYRCB,outlet,查询;取款,2015-01-01\nS2,361128100002,PYRCB,助农取款点,取款,2015-01-01\n";

fupin_store::on_both_engines! {
    async fn import_then_coverage(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        assert!(fupin(&url, &["init"]).status.success());
        for (kind, content) in [
            ("regions", REGIONS),
            ("institutions", INSTITUTIONS),
            ("assignments", ASSIGNMENTS),
            ("service_points", SERVICE_POINTS),
        ] {
            let file = write(dir.path(), &format!("{kind}.csv"), content);
            let output = fupin(&url, &["import", kind, &file]);
            let out = text(&output);
            assert!(output.status.success(), "{kind}: {out}");
            assert!(out.contains("(CSV, UTF-8)"), "{out}");
            assert!(out.contains("rows/s"), "{out}");
            assert!(out.contains(&format!("{kind} applied")), "{out}");
        }
        let townships = text(&fupin(&url, &["coverage", "townships", "--as-of", "2017-06-30", "--format", "csv"]));
        assert!(townships.contains("total,assigned,with a responsible institution,,1"), "{townships}");
        assert!(townships.contains("by_type,rural_cooperative,,rural_cooperative,1"), "{townships}");
        assert!(townships.contains("unassigned,361128101000,鸦鹊湖乡,,1"), "{townships}");
        let villages = text(&fupin(&url, &["coverage", "villages", "--as-of", "2017-06-30", "--region", "361128", "--format", "json"]));
        let rows: Vec<serde_json::Value> = serde_json::from_str(&villages).expect("json");
        let value = |key: &str| rows.iter().find(|r| r["key"] == key).map(|r| r["value"].clone());
        assert_eq!(value("villages"), Some("3".into()));
        assert_eq!(value("with_outlet"), Some("1".into()));
        assert_eq!(value("electronic_only"), Some("1".into()));
        assert_eq!(value("coverage_percent"), Some("66.67".into()));
        let listing = text(&fupin(&url, &["service-points", "list", "--region", "361128100", "--format", "csv"]));
        assert!(listing.contains("S1,361128100001,PYRCB,outlet,cash_withdrawal;enquiry,2015-01-01,"), "{listing}");
    }

    async fn a_bad_file_fails_writes_its_report_and_changes_nothing(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        assert!(fupin(&url, &["init"]).status.success());
        let file = write(dir.path(), "regions.csv", "code,name\n361199100001,=HYPERLINK(\"x\")\n");
        let report = dir.path().join("errors.csv");
        let output = fupin(&url, &["import", "regions", &file, "--errors", &report.display().to_string()]);
        assert!(!output.status.success());
        assert!(text(&output).contains("refused: nothing changed"));
        let bytes = std::fs::read(&report).expect("report written");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
        let content = String::from_utf8_lossy(&bytes[3..]).into_owned();
        assert!(content.starts_with("row,column,value,message"), "{content}");
        assert!(content.contains("county 361199000000"), "{content}");
        let regions = text(&fupin(&url, &["regions", "list", "--level", "village", "--format", "csv"]));
        assert_eq!(regions.lines().count(), 1, "only the header: {regions}");
    }
}
