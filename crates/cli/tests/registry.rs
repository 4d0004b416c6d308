//! `fupin import households`, `fupin feed`, `fupin households` and `fupin enterprises`, end to
//! end through the binary, on both engines.

use std::path::Path;
use std::process::{Command, Output};

fn fupin(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fupin"))
        .args(["--db", db_url])
        .args(args)
        .env_remove("FUPIN_DATABASE_URL")
        .output()
        .expect("run fupin")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// An ID number of Poyang born on `birth` (YYYYMMDD), with its check character.
fn id(birth: &str, sequence: &str) -> String {
    let first17 = format!("361128{birth}{sequence}");
    let check = fupin_core::resident_id::check_character(&first17).expect("17 digits");
    format!("{first17}{check}")
}

const HEADER: &str = "household_id,village_code,name,id_number,relation,poverty_attribute,\
    main_cause,other_causes,status,identified_on,exited_year,per_capita_income,labour,phone\n";

struct People {
    zhang: String,
    li: String,
    wang: String,
    liu: String,
}

fn people() -> People {
    People {
        zhang: id("19700101", "001"),
        li: id("19720202", "002"),
        wang: id("19650303", "003"),
        liu: id("19800404", "005"),
    }
}

fn first_extract(p: &People) -> String {
    format!(
        "{HEADER}\
         H01,361128100001,张伟,{zhang},head,general,illness,lack_funds,poor,2014-05-01,,3200,normal,13800138000\n\
         H02,361128100001,王芳,{wang},户主,低保户,因病,,未脱贫,2015-03-01,,2800.50,weak,\n\
         H01,361128100001,李娜,{li},spouse,general,illness,lack_funds,poor,2014-05-01,,3200,normal,\n",
        zhang = p.zhang,
        li = p.li,
        wang = p.wang
    )
}

async fn territory(url: &str, dir: &Path) {
    stdout(&fupin(url, &["init"]));
    let regions = write(
        dir,
        "regions.csv",
        "code,name\n361128100,饶州街道\n361128100001,东湖村\n361128101,鸦鹊湖乡\n361128101001,鸦鹊村\n",
    );
    stdout(&fupin(url, &["import", "regions", &regions]));
    let institutions = write(
        dir,
        "institutions.csv",
        "code,name,type,region_code\nPYRCB,鄱阳农村商业银行,rural_cooperative,361128\n",
    );
    stdout(&fupin(url, &["import", "institutions", &institutions]));
    let assignments = write(
        dir,
        "assignments.csv",
        "township_code,institution_code,effective_from\n361128100,PYRCB,2016-01-01\n",
    );
    stdout(&fupin(url, &["import", "assignments", &assignments]));
}

fn audit_records(url: &str) -> u64 {
    let text = stdout(&fupin(url, &["audit", "verify"]));
    text.split_whitespace()
        .find_map(|word| word.parse().ok())
        .expect("a record count")
}

fupin_store::on_both_engines! {
    async fn households_import_feed_and_listings(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        territory(&url, dir.path()).await;
        let p = people();
        let first = write(dir.path(), "households-1.csv", &first_extract(&p));
        let out = stdout(&fupin(&url, &["import", "households", &first, "--as-of", "2017-06-30"]));
        assert!(out.contains("rows: 3 read in"), "{out}");
        assert!(out.contains("rows/s"), "{out}");
        assert!(out.contains("households applied: added 2, changed 0, unchanged 0, removed 0"), "{out}");
        assert!(out.contains("extract as of 2017-06-30"), "{out}");
        let again = stdout(&fupin(&url, &["import", "households", &first, "--as-of", "2017-06-30"]));
        assert!(again.contains("added 0, changed 0, unchanged 2, removed 0"), "{again}");

        // A refused file: the report names row and column, nothing changes.
        let records = audit_records(&url);
        let bad_id = format!("{}0", &p.liu[..17]);
        let bad_id = if bad_id == p.liu { format!("{}1", &p.liu[..17]) } else { bad_id };
        let bad = format!(
            "{}H03,361128100001,刘洋,{bad_id},head,general,illness,,exited,2016-01-01,,3000,normal,\n",
            first_extract(&p)
        );
        let bad = write(dir.path(), "bad.csv", &bad);
        let report = dir.path().join("errors.csv");
        let report_arg = report.display().to_string();
        let output = fupin(&url, &["import", "households", &bad, "--as-of", "2017-06-30", "--errors", &report_arg]);
        assert!(!output.status.success());
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(out.contains("refused: nothing changed"), "{out}");
        assert!(!out.contains(&bad_id), "full ID number printed: {out}");
        let errors = std::fs::read_to_string(&report).expect("error report");
        assert!(errors.contains("5,id_number,3611**********"), "{errors}");
        assert!(errors.contains("check character"), "{errors}");
        assert!(errors.contains("5,exited_year"), "{errors}");
        assert_eq!(audit_records(&url), records);
        // --load-valid loads H01 and H02 and skips H03.
        let fixed_year = std::fs::read_to_string(&bad).expect("read").replace(",exited,2016-01-01,,", ",exited,2016-01-01,2016,");
        let partly = write(dir.path(), "partly.csv", &fixed_year);
        let output = fupin(&url, &["import", "households", &partly, "--as-of", "2017-06-30", "--load-valid"]);
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(out.contains("households applied: added 0, changed 0, unchanged 2, removed 0"), "{out}");
        assert!(!output.status.success(), "errors were reported");

        let cursor = {
            let json = stdout(&fupin(&url, &["feed", "--since", "0", "--format", "json"]));
            let page: serde_json::Value = serde_json::from_str(&json).expect("JSON");
            assert_eq!(page["events"].as_array().expect("events").len(), 2);
            assert_eq!(page["events"][0]["kind"], "added");
            let member = &page["events"][0]["after"]["members"][0];
            assert_eq!(member["id_number"], format!("3611**********{}", &p.zhang[14..]));
            page["next"].as_i64().expect("next")
        };

        // The second extract: H02 exits, Li leaves H01, Liu joins H01 as child.
        let second = format!(
            "{HEADER}\
             H01,361128100001,张伟,{zhang},head,general,illness,lack_funds,poor,2014-05-01,,3200,normal,13800138000\n\
             H02,361128100001,王芳,{wang},head,low_income,illness,,exited,2015-03-01,2017,2800.50,weak,\n\
             H01,361128100001,刘洋,{liu},child,general,illness,lack_funds,poor,2014-05-01,,3200,none,\n",
            zhang = p.zhang, wang = p.wang, liu = p.liu
        );
        let second = write(dir.path(), "households-2.csv", &second);
        let out = stdout(&fupin(&url, &["import", "households", &second, "--as-of", "2017-12-31"]));
        assert!(out.contains("added 0, changed 2, unchanged 0, removed 0"), "{out}");
        let json = stdout(&fupin(&url, &["feed", "--since", &cursor.to_string(), "--format", "json"]));
        let page: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let mut kinds: Vec<String> = page["events"].as_array().expect("events").iter()
            .map(|e| format!("{} {}", e["household_id"].as_str().expect("id"), e["kind"].as_str().expect("kind")))
            .collect();
        kinds.sort();
        assert_eq!(kinds, ["H01 member_added", "H01 member_removed", "H02 status_changed"]);
        let next = page["next"].as_i64().expect("next");
        let empty = stdout(&fupin(&url, &["feed", "--since", &next.to_string(), "--institution", "PYRCB", "--format", "json"]));
        assert!(empty.contains("\"events\": []"), "{empty}");
        let table = fupin(&url, &["feed", "--since", &cursor.to_string(), "--region", "361128100"]);
        assert!(String::from_utf8_lossy(&table.stderr).contains(&format!("next: {next}")));

        // As of each extract date, masked unless asked; a full read is audited.
        let june = stdout(&fupin(&url, &["households", "list", "--as-of", "2017-06-30", "--format", "csv"]));
        assert!(june.contains("H01,361128100001,poor,,general,illness,lack_funds,2014-05-01,3200.00,2,张伟,3611**********"), "{june}");
        assert!(june.contains("H02,361128100001,poor,"), "{june}");
        let december = stdout(&fupin(&url, &["households", "list", "--as-of", "2017-12-31", "--format", "csv"]));
        assert!(december.contains("H02,361128100001,exited,2017,low_income"), "{december}");
        let records = audit_records(&url);
        let full = stdout(&fupin(&url, &["households", "list", "--as-of", "2017-12-31", "--show-ids", "--format", "csv"]));
        assert!(full.contains(&p.zhang), "{full}");
        assert_eq!(audit_records(&url), records + 1);
        let shown = stdout(&fupin(&url, &["households", "show", "H01", "--as-of", "2017-06-30", "--format", "json"]));
        let shown: serde_json::Value = serde_json::from_str(&shown).expect("JSON");
        let members = shown["household"]["members"].as_array().expect("members");
        assert_eq!(members.len(), 2);
        assert_eq!(members[1]["name"], "李娜");
        assert_eq!(members[1]["sex"], "female");
        assert_eq!(members[1]["birth_date"], "1972-02-02");
        let table = stdout(&fupin(&url, &["households", "show", "H01", "--as-of", "2017-12-31"]));
        assert!(table.contains("刘洋") && !table.contains("李娜"), "{table}");
    }

    async fn enterprises_import_and_summary(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        territory(&url, dir.path()).await;
        let p = people();
        let first = write(dir.path(), "households.csv", &first_extract(&p));
        stdout(&fupin(&url, &["import", "households", &first, "--as-of", "2017-06-30"]));
        let code = |first17: &str| {
            let check = fupin_core::credit_code::check_character(first17).expect("17 characters");
            format!("{first17}{check}")
        };
        let (tea, pigs) = (code("91361128MA3500000"), code("93361128MA3500000"));
        let enterprises = write(
            dir.path(),
            "enterprises.csv",
            &format!(
                "统一社会信用代码,名称,类型,产业,所在村代码,龙头企业级别\n\
                 {tea},鄱阳湖茶业有限公司,龙头企业,茶叶,361128100001,省级\n\
                 {pigs},东湖养猪专业合作社,cooperative,生猪,361128101001,\n"
            ),
        );
        let out = stdout(&fupin(&url, &["import", "enterprises", &enterprises, "--as-of", "2017-06-30"]));
        assert!(out.contains("enterprises applied: added 2"), "{out}");
        let links = write(
            dir.path(),
            "links.csv",
            &format!(
                "credit_code,household_id,link,people,since\n\
                 {tea},H01,employment,2,2016-03-01\n{tea},H02,purchase,1,2017-01-01\n\
                 {pigs},H01,dividend,1,2016-06-01\n"
            ),
        );
        let out = stdout(&fupin(&url, &["import", "enterprise_links", &links, "--as-of", "2017-06-30"]));
        assert!(out.contains("enterprise_links applied: added 3"), "{out}");
        let summary = stdout(&fupin(&url, &["enterprises", "summary", "--region", "361128", "--as-of", "2017-06-30", "--format", "csv"]));
        assert!(summary.contains("leading_enterprise,1,2,2,3"), "{summary}");
        assert!(summary.contains("cooperative,1,1,1,1"), "{summary}");
        assert!(summary.contains("family_farm,0,0,0,0"), "{summary}");
        assert!(summary.contains("total,2,3,2,3"), "{summary}");
        let township = stdout(&fupin(&url, &["enterprises", "summary", "--region", "361128101", "--as-of", "2017-06-30", "--format", "csv"]));
        assert!(township.contains("total,1,1,1,1"), "{township}");
        let listed = stdout(&fupin(&url, &["enterprises", "list", "--region", "361128100"]));
        assert!(listed.contains("鄱阳湖茶业有限公司") && listed.contains("provincial"), "{listed}");
    }

    async fn a_partial_file_lists_its_removals_and_needs_them_confirmed(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        territory(&url, dir.path()).await;
        let p = people();
        let first = write(dir.path(), "households-1.csv", &first_extract(&p));
        stdout(&fupin(&url, &["import", "households", &first, "--as-of", "2017-06-30"]));
        // H01's rows alone: 东湖村 is replaced, H02 (王芳) would go.
        let partial = format!(
            "{HEADER}H01,361128100001,张伟,{},head,general,illness,lack_funds,poor,2014-05-01,,3200,normal,13800138000\n\
             H01,361128100001,李娜,{},spouse,general,illness,lack_funds,poor,2014-05-01,,3200,normal,\n",
            p.zhang, p.li
        );
        let partial = write(dir.path(), "households-h01.csv", &partial);
        let records = audit_records(&url);
        for extra in [&["--dry-run"][..], &[][..]] {
            let mut args = vec!["import", "households", partial.as_str(), "--as-of", "2017-12-31"];
            args.extend_from_slice(extra);
            let refused = fupin(&url, &args);
            assert!(!refused.status.success());
            let out = String::from_utf8_lossy(&refused.stdout);
            assert!(out.contains("replaces 1 village(s) (2 households registered): 361128100001\nremoves 1 household(s)\n  H02 王芳 (village 361128100001)\n"), "{out}");
            assert!(out.contains("the file covers only part of village 361128100001"), "{out}");
            assert!(out.contains("--allow-removals"), "{out}");
            assert!(out.contains("removed 0"), "{out}");
        }
        assert_eq!(audit_records(&url), records, "nothing changed");
        let confirmed = stdout(&fupin(&url, &["import", "households", &partial, "--as-of", "2017-12-31", "--allow-removals"]));
        assert!(confirmed.contains("  H02 王芳 (village 361128100001)"), "{confirmed}");
        assert!(confirmed.contains("households applied: added 0, changed 0, unchanged 1, removed 1"), "{confirmed}");
        let wrong_kind = fupin(&url, &["import", "institutions", &partial, "--allow-removals"]);
        assert!(String::from_utf8_lossy(&wrong_kind.stderr).contains("--allow-removals applies to households files"));
    }
}

#[test]
fn registry_flags_are_refused_for_other_kinds() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite:{}", dir.path().join("fupin.db").display());
    let path = write(dir.path(), "regions.csv", "code,name\n361128100,饶州街道\n");
    let output = fupin(&url, &["import", "regions", &path, "--as-of", "2017-06-30"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--as-of apply to households"));
}

#[test]
fn help_works_on_the_registry_commands() {
    for args in [
        vec!["households", "list", "--help"],
        vec!["households", "show", "--help"],
        vec!["feed", "--help"],
        vec!["enterprises", "summary", "--help"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_fupin"))
            .args(&args)
            .output()
            .expect("run");
        assert!(output.status.success(), "{args:?}");
    }
}
