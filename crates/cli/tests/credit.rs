//! Credit through the binary, on both engines: scorecards, credit files and lines by command
//! and by file (Chinese headers), a loan refused beyond its line, and `fupin coverage credit`
//! with its rates, work list and CSV export.

use std::path::Path;
use std::process::Output;

mod common;
use common::fupin;

fn out(output: &Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn fails(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "fupin should have failed: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path.display().to_string()
}

fn resident_id(birth: &str, sequence: &str) -> String {
    let body = format!("361128{birth}{sequence}");
    let check = fupin_core::resident_id::check_character(&body).expect("17 digits");
    format!("{body}{check}")
}

fn json(text: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The rate rows of `coverage credit --format json`, by indicator: (covered, total, percent).
fn rates(text: &str) -> Vec<(String, String, String, Option<String>)> {
    json(text)
        .iter()
        .map(|row| {
            (
                row["indicator"].as_str().unwrap().to_string(),
                row["covered"].as_str().unwrap().to_string(),
                row["total"].as_str().unwrap().to_string(),
                row["percent"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn rate(
    indicator: &str,
    covered: &str,
    total: &str,
    percent: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        indicator.into(),
        covered.into(),
        total.into(),
        percent.map(str::to_string),
    )
}

fupin_store::on_both_engines! {
    async fn credit_end_to_end(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        let households = format!(
            "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
             H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal\n\
             H2,361128100001,李四,{},head,general,lack_funds,poor,2015-10-01,2100,weak\n\
             H3,361128101001,王五,{},head,general,lack_funds,poor,2015-10-01,2000,normal\n",
            resident_id("19770501", "001"), resident_id("19470301", "002"), resident_id("19800101", "003"));
        let files = [
            ("regions", "code,name\n361128100,饶州街道\n361128100001,东湖村\n361128101,团林乡\n361128101001,团林村\n".to_string()),
            ("institutions", "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n".to_string()),
            ("assignments", "township_code,institution_code,effective_from\n361128100,PYRCB,2016-01-01\n".to_string()),
            ("products", "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,institution_code\nMC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,equal_instalment,PYRCB\n".to_string()),
        ];
        for (kind, content) in files {
            let file = write(dir.path(), &format!("{kind}.csv"), &content);
            out(&fupin(&url, &["import", kind, &file]));
        }
        let file = write(dir.path(), "households.csv", &households);
        out(&fupin(&url, &["import", "households", &file, "--as-of", "2016-12-31"]));

        // The built-in default scorecard, before any rating stores it.
        let shown = out(&fupin(&url, &["scorecards", "show", "--as-of", "2017-03-01", "--format", "csv"]));
        assert!(shown.contains("scorecard,built-in (not yet stored)"), "{shown}");
        assert!(shown.contains("factor,integrity,诚信度,30,excellent=30;good=24;fair=15;poor=0"), "{shown}");
        assert!(shown.contains("grade,AAA,,90,50000.00"), "{shown}");

        // A rating by command from factor inputs: 24 + 15 + 20 + 10 + 10 = 79 → A → 10,000.
        let rated = out(&fupin(&url, &["credit", "rate", "--household", "H1", "--institution", "PYRCB", "--on", "2017-03-01",
            "--factors", "integrity=good; labour=normal; income=high; assets=fair; project=viable"]));
        assert!(rated.contains("credit file H1/PYRCB/2017-03-01 added: score 79, grade A, recommended line 10,000.00 (default from 2000-01-01"), "{rated}");
        let refused = fails(&fupin(&url, &["credit", "rate", "--household", "H1", "--institution", "PYRCB", "--on", "2017-03-02", "--score", "75", "--grade", "AA"]));
        assert!(refused.contains("grade AA does not match score 75"), "{refused}");

        // Credit files by file, with Chinese headers: an exemption and a rating.
        let file = write(dir.path(), "credit_files.csv",
            "户编号,机构代码,评级日期,评分,信用等级,建议授信额度,不评级原因\nH2,PYRCB,2017-03-01,,,,年龄不符\nH3,PYRCB,2017-04-01,90,AAA,,\n");
        assert!(out(&fupin(&url, &["import", "credit_files", &file])).contains("credit_files applied: added 2, changed 0, unchanged 0"));
        assert!(out(&fupin(&url, &["import", "credit_files", &file])).contains("added 0, changed 0, unchanged 2"));
        let listed = json(&out(&fupin(&url, &["credit", "files", "--region", "361128", "--format", "json"])));
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[1]["exempt_reason"], "age");
        assert_eq!((listed[2]["grade"].as_str(), listed[2]["recommended_line"].as_str()), (Some("AAA"), Some("50000.00")));

        // A line above the recommended line is refused, unless an override says why.
        let file = write(dir.path(), "credit_lines.csv", "household_id,institution_code,amount,granted_on,expires_on\nH1,PYRCB,20000,2017-03-05,2020-03-05\n");
        let refused = fails(&fupin(&url, &["import", "credit_lines", &file]));
        assert!(refused.contains("20,000.00 is above the recommended line of 10,000.00"), "{refused}");
        let file = write(dir.path(), "credit_lines2.csv", "户编号,机构代码,授信额度,授信日期,到期日期,超额授信理由\nH1,PYRCB,20000,2017-03-05,2020-03-05,村级担保增信\n");
        assert!(out(&fupin(&url, &["import", "credit_lines", &file])).contains("added 1"));
        let lines = json(&out(&fupin(&url, &["credit", "lines", "--format", "json"])));
        assert_eq!((lines[0]["amount"].as_str(), lines[0]["override_reason"].as_str()), (Some("20000.00"), Some("村级担保增信")));
        let refused = fails(&fupin(&url, &["credit", "grant", "--household", "H3", "--institution", "PYRCB", "--amount", "60000", "--granted", "2017-04-05", "--expires", "2020-04-05", "--override-reason", "x"]));
        assert!(refused.contains("above the poverty micro-credit cap of 50,000.00"), "{refused}");
        let granted = out(&fupin(&url, &["credit", "grant", "--household", "H3", "--institution", "PYRCB", "--amount", "50000", "--granted", "2017-04-05", "--expires", "2020-04-05"]));
        assert!(granted.contains("credit line H3/PYRCB/2017-04-05 added: 50,000.00 until 2020-04-05"), "{granted}");
    }
}

fupin_store::on_both_engines! {
    async fn scorecards_and_lines_limit_loans_and_coverage_lists_the_rest(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        let households = format!(
            "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
             H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal\n\
             H2,361128100001,李四,{},head,general,lack_funds,poor,2015-10-01,2100,weak\n\
             H3,361128101001,王五,{},head,general,lack_funds,poor,2015-10-01,2000,normal\n",
            resident_id("19770501", "001"), resident_id("19470301", "002"), resident_id("19800101", "003"));
        let files = [
            ("regions", "code,name\n361128100,饶州街道\n361128100001,东湖村\n361128101,团林乡\n361128101001,团林村\n".to_string()),
            ("institutions", "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n".to_string()),
            ("assignments", "township_code,institution_code,effective_from\n361128100,PYRCB,2016-01-01\n".to_string()),
            ("products", "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,institution_code\nMC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,equal_instalment,PYRCB\n".to_string()),
        ];
        for (kind, content) in files {
            let file = write(dir.path(), &format!("{kind}.csv"), &content);
            out(&fupin(&url, &["import", kind, &file]));
        }
        let file = write(dir.path(), "households.csv", &households);
        out(&fupin(&url, &["import", "households", &file, "--as-of", "2016-12-31"]));
        let file = write(dir.path(), "credit_files.csv",
            "household_id,institution_code,assessed_on,score,grade,recommended_line,exempt_reason\n\
             H1,PYRCB,2017-03-01,85,AA,,\nH2,PYRCB,2017-03-01,,,,age\nH3,PYRCB,2017-04-01,90,,,\n");
        out(&fupin(&url, &["import", "credit_files", &file]));
        let file = write(dir.path(), "credit_lines.csv",
            "household_id,institution_code,amount,granted_on,expires_on\nH1,PYRCB,30000,2017-03-05,2020-03-05\n");
        out(&fupin(&url, &["import", "credit_lines", &file]));

        // A scorecard of PYRCB's own from 2018; the 2017 ratings keep theirs.
        let set = out(&fupin(&url, &["scorecards", "set", "--institution", "PYRCB", "--from", "2018-01-01",
            "--grade", "AAA:95:50000", "--grade", "AA:85:30000", "--grade", "A:75:10000", "--grade", "B:0:0"]));
        assert!(set.contains("(PYRCB from 2018-01-01) added"), "{set}");
        let refused = fails(&fupin(&url, &["scorecards", "set", "--institution", "PYRCB", "--from", "2017-01-01"]));
        assert!(refused.contains("a new version must start after 2017-04-01"), "{refused}");
        let refused = fails(&fupin(&url, &["scorecards", "set", "--from", "2019-01-01", "--grade", "AAA:90:60000", "--grade", "B:0:0"]));
        assert!(refused.contains("the micro-credit cap"), "{refused}");
        let versions = json(&out(&fupin(&url, &["scorecards", "list", "--format", "json"])));
        assert_eq!(versions.len(), 2);
        let shown = out(&fupin(&url, &["scorecards", "show", "--institution", "PYRCB", "--as-of", "2018-02-01", "--format", "csv"]));
        assert!(shown.contains("grade,AAA,,95,50000.00"), "{shown}");
        let rated = out(&fupin(&url, &["credit", "rate", "--household", "H3", "--institution", "PYRCB", "--on", "2018-02-01", "--score", "90"]));
        assert!(rated.contains("score 90, grade AA, recommended line 30,000.00 (PYRCB from 2018-01-01"), "{rated}");
        let files = json(&out(&fupin(&url, &["credit", "files", "--household", "H3", "--format", "json"])));
        assert_eq!((files[0]["grade"].as_str(), files[1]["grade"].as_str()), (Some("AAA"), Some("AA")));

        // Loans of MC now draw on the line: 20,000 fits in 30,000, another 15,000 does not.
        assert!(out(&fupin(&url, &["credit", "require-line", "--product", "MC"])).contains("loans draw on credit lines"));
        let header = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,purpose\n";
        let file = write(dir.path(), "loans1.csv", &format!("{header}C1,PYRCB,MC,household,H1,20000,4.75,2017-03-10,2018-03-10,养殖\n"));
        assert!(out(&fupin(&url, &["import", "loans", &file])).contains("added 1"));
        let file = write(dir.path(), "loans2.csv", &format!("{header}C2,PYRCB,MC,household,H1,15000,4.75,2017-03-20,2018-03-20,养殖\nC3,PYRCB,MC,household,H3,5000,4.75,2017-04-10,2018-04-10,养殖\n"));
        let refused = fails(&fupin(&url, &["import", "loans", &file]));
        assert!(refused.contains("15,000.00 is beyond household H1's credit line with PYRCB"), "{refused}");
        assert!(refused.contains("no valid credit line: household H3 has no credit line with PYRCB in force on 2017-04-10"), "{refused}");

        // Three full coverage of Poyang on 30 June 2017: two townships, one with a bank; H2 is
        // exempt; H1 and H3 are rated; only H1 has a line.
        let shown = out(&fupin(&url, &["coverage", "credit", "--as-of", "2017-06-30", "--region", "361128", "--format", "json"]));
        assert_eq!(rates(&shown), vec![
            rate("townships_with_bank", "1", "2", Some("50.00")),
            rate("households_with_credit_file", "2", "2", Some("100.00")),
            rate("households_with_credit_line", "1", "2", Some("50.00")),
            rate("exempt_households", "1", "3", None),
            rate("uncovered_households", "1", "2", None),
        ]);
        // On 31 March H3 was not rated yet; the group of the four poverty counties includes Poyang.
        let shown = out(&fupin(&url, &["coverage", "credit", "--as-of", "2017-03-31", "--group", "state-poverty-counties", "--format", "json"]));
        assert_eq!(rates(&shown)[1], rate("households_with_credit_file", "1", "2", Some("50.00")));
        let work = out(&fupin(&url, &["coverage", "credit", "--as-of", "2017-03-31", "--region", "361128", "--list", "uncovered", "--format", "csv"]));
        assert_eq!(work, "household_id,village_code,village_name,township_code,township_name,institution_code,institution_name,missing\n\
            H3,361128101001,团林村,361128101000,团林乡,,,credit file; credit line\n");
        // PYRCB's townships: H1 only, fully covered.
        let shown = out(&fupin(&url, &["coverage", "credit", "--as-of", "2017-06-30", "--institution", "PYRCB", "--format", "json"]));
        assert_eq!(rates(&shown)[0..3].to_vec(), vec![
            rate("townships_with_bank", "1", "1", Some("100.00")),
            rate("households_with_credit_file", "1", "1", Some("100.00")),
            rate("households_with_credit_line", "1", "1", Some("100.00")),
        ]);
        // The work list exported for Excel: UTF-8 with a byte order mark.
        let export = dir.path().join("work.csv");
        let export_text = export.display().to_string();
        let output = fupin(&url, &["coverage", "credit", "--as-of", "2017-06-30", "--sort", "bank", "--output", &export_text]);
        out(&output);
        assert!(String::from_utf8_lossy(&output.stderr).contains("(1 households)"));
        let bytes = std::fs::read(&export).expect("export");
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
        assert_eq!(text.lines().nth(1), Some("H3,361128101001,团林村,361128101000,团林乡,,,credit line"));
        let refused = fails(&fupin(&url, &["coverage", "credit", "--as-of", "2017-06-30", "--region", "361128", "--group", "state-poverty-counties"]));
        assert!(refused.contains("cannot be used with"), "{refused}");
    }
}
