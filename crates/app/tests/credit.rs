//! Credit files, ratings, credit lines and the three full coverage, on both engines: scoring
//! from factor inputs, scorecard versions kept on old files, exemptions, line caps and
//! overrides, loans drawing on lines, and coverage rates and work lists checked against
//! figures this test counts from its own table of facts.

mod common;

use common::*;
use fupin_app::credit::coverage::missing;
use fupin_app::credit::{
    self, CoverageScope, CreditFilter, GradeBand, LineRequest, RatingRequest, WorkListSort, scoring,
};
use fupin_app::imports::credit::{CreditFileImporter, CreditLineImporter};
use fupin_app::imports::loans::LoanImporter;
use fupin_app::imports::registry::import_households;
use fupin_app::imports::territory::{AssignmentImporter, RegionImporter};
use fupin_app::imports::{Applied, ImportOptions, ImportReport};
use fupin_app::territory::{Membership, RegionGroup};
use fupin_app::{Actor, AppError, Ctx, Db, Role};
use fupin_core::RegionCode;

const FILES_HEADER: &str = "household_id,institution_code,assessed_on,score,grade,recommended_line,exempt_reason,factors\n";
const LINES_HEADER: &str =
    "household_id,institution_code,amount,granted_on,expires_on,override_reason\n";

async fn files(db: &Db, dir: &std::path::Path, name: &str, rows: &str) -> ImportReport {
    let path = write(dir, name, &format!("{FILES_HEADER}{rows}"));
    import_file(db, &path, CreditFileImporter::default()).await
}

async fn lines(db: &Db, dir: &std::path::Path, name: &str, rows: &str) -> ImportReport {
    let path = write(dir, name, &format!("{LINES_HEADER}{rows}"));
    import_file(db, &path, CreditLineImporter::default()).await
}

fn errors(report: &ImportReport) -> String {
    report
        .errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn refused(report: &ImportReport, needle: &str) {
    assert!(!report.applied, "{} was applied", report.kind);
    let text = errors(report);
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// The household's file by PYRCB on a date.
async fn file_of(db: &Db, household: &str, on: &str) -> credit::CreditFile {
    let filter = CreditFilter {
        household: Some(household.into()),
        ..CreditFilter::default()
    };
    credit::list_files(db, &ctx(), &filter)
        .await
        .expect("files")
        .into_iter()
        .map(|s| s.file)
        .find(|f| f.assessed_on == date(on) && f.institution_code == "PYRCB")
        .unwrap_or_else(|| panic!("no file of {household} on {on}"))
}

fn request(household: &str, on: &str) -> RatingRequest {
    RatingRequest {
        household_id: household.into(),
        institution_code: "PYRCB".into(),
        assessed_on: date(on),
        factors: Vec::new(),
        score: None,
        grade: None,
        recommended_line: None,
        exempt_reason: None,
    }
}

fn line(household: &str, amount: &str, granted: &str, expires: &str) -> LineRequest {
    LineRequest {
        household_id: household.into(),
        institution_code: "PYRCB".into(),
        amount: yuan(amount),
        granted_on: date(granted),
        expires_on: date(expires),
        override_reason: None,
    }
}

fn invalid(result: fupin_app::Result<impl std::fmt::Debug>, needle: &str) {
    match result {
        Err(AppError::Invalid(message)) => {
            assert!(
                message.contains(needle),
                "expected {needle:?} in {message:?}"
            )
        }
        other => panic!("expected a refusal containing {needle:?}, got {other:?}"),
    }
}

fupin_store::on_both_engines! {
    async fn factor_inputs_give_a_score_a_grade_and_a_line(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        // The built-in default scorecard: 24 + 15 + 20 + 10 + 10 = 79 → A → 10,000.
        let mut ask = request("H1", "2017-03-01");
        ask.factors = scoring::parse_inputs("integrity=good; labour=normal; income=high; assets=fair; project=viable").unwrap();
        let (applied, stored) = credit::rate(&db, &ctx(), &ask).await.expect("rated");
        assert_eq!(applied, Applied::Added);
        let file = stored.file;
        assert_eq!((file.score, file.grade.as_deref(), file.recommended_line), (Some(79), Some("A"), Some(yuan("10000"))));
        let factors: serde_json::Value = serde_json::from_str(file.factors_json.as_deref().unwrap()).unwrap();
        assert_eq!(factors["integrity"], serde_json::json!({"input": "good", "points": 24}));
        // The default was stored on first use and is the version on the file.
        let versions = credit::list_scorecards(&db, None).await.expect("versions");
        assert_eq!(versions.len(), 1);
        assert_eq!(file.scorecard_id, Some(versions[0].id));
        assert_eq!(versions[0].card, scoring::default_scorecard());
        // The same again changes nothing.
        let (applied, _) = credit::rate(&db, &ctx(), &ask).await.expect("same");
        assert_eq!(applied, Applied::Unchanged);

        // Through a file: full marks → 100 → AAA → 50,000; 90 exactly is AAA, 89 is AA.
        let report = files(&db, dir.path(), "f1.csv",
            "H1,PYRCB,2017-04-01,,,,,integrity=excellent;labour=skilled;income=high;assets=good;project=strong\n\
             H2,PYRCB,2017-04-01,90,AAA,,,\n\
             H1,ABC,2017-04-01,89,,,,\n\
             H2,ABC,2017-04-01,69,B,,,\n").await;
        assert_applied(&report);
        assert_eq!(report.counts.added, 4);
        // An import appends its audit entries in one batch record: one per file row, in row
        // order, then the file's own record, on an intact chain.
        let records = fupin_store::audit::recent(&db, 2).await.expect("audit");
        assert_eq!(records[0].entry.action, "import.file");
        assert_eq!(records[1].entry.entity_id, "4 credit_file.save");
        let entries = records[1].entries().expect("entries");
        let keys: Vec<&str> = entries.iter().map(|e| e.entity_id.as_str()).collect();
        assert_eq!(keys, ["H1/PYRCB/2017-04-01", "H2/PYRCB/2017-04-01", "H1/ABC/2017-04-01", "H2/ABC/2017-04-01"]);
        assert!(entries.iter().all(|e| e.action == "credit_file.save"));
        let chain = fupin_store::audit::verify(&db).await.expect("verify");
        assert!(chain.problems.is_empty(), "{:?}", chain.problems);
        let expect = |file: &credit::CreditFile, score: i64, grade: &str, line: &str| {
            assert_eq!((file.score, file.grade.as_deref(), file.recommended_line), (Some(score), Some(grade), Some(yuan(line))), "{file:?}");
        };
        expect(&file_of(&db, "H1", "2017-04-01").await, 100, "AAA", "50000");
        let all = credit::list_files(&db, &ctx(), &CreditFilter { on_or_before: Some(date("2017-04-01")), ..CreditFilter::default() }).await.unwrap();
        let find = |h: &str, i: &str| all.iter().find(|s| s.file.household_id == h && s.file.institution_code == i && s.file.assessed_on == date("2017-04-01")).unwrap().file.clone();
        expect(&find("H2", "PYRCB"), 90, "AAA", "50000");
        expect(&find("H1", "ABC"), 89, "AA", "30000");
        expect(&find("H2", "ABC"), 69, "B", "0");
        // The same file twice changes nothing.
        let again = files(&db, dir.path(), "f1.csv",
            "H1,PYRCB,2017-04-01,,,,,integrity=excellent;labour=skilled;income=high;assets=good;project=strong\n\
             H2,PYRCB,2017-04-01,90,AAA,,,\n\
             H1,ABC,2017-04-01,89,,,,\n\
             H2,ABC,2017-04-01,69,B,,,\n").await;
        assert_applied(&again);
        assert_eq!((again.counts.added, again.counts.changed, again.counts.unchanged), (0, 0, 4));
        // A lower recommended line than the grade's is kept; a higher one is refused.
        let report = files(&db, dir.path(), "f2.csv", "H1,PYRCB,2017-05-01,85,,20000,,\n").await;
        assert_applied(&report);
        assert_eq!(file_of(&db, "H1", "2017-05-01").await.recommended_line, Some(yuan("20000")));
        refused(&files(&db, dir.path(), "f3.csv", "H1,PYRCB,2017-06-01,85,,30000.01,,\n").await,
            "30,000.01 is above the line of grade AA (30,000.00");
    }

    async fn a_score_inconsistent_with_its_grade_or_factors_is_refused(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let report = files(&db, dir.path(), "bad.csv",
            "H1,PYRCB,2017-03-01,75,AA,,,\n\
             H2,PYRCB,2017-03-01,80,,,,integrity=good;labour=normal;income=high;assets=fair;project=viable\n\
             H1,ABC,2017-03-01,101,,,,\n\
             H2,ABC,2017-03-01,,,,,integrity=superb;labour=normal;income=high;assets=fair;project=viable\n\
             H1,PYRCB,2017-03-02,,,,,\n\
             H9,PYRCB,2017-03-01,80,,,,\n\
             H1,NOBANK,2017-03-05,80,,,,\n\
             H1,PYRCB,2015-01-01,80,,,,\n").await;
        refused(&report, "grade AA does not match score 75: the default scorecard from 2000-01-01 gives A (from 70)");
        let text = errors(&report);
        assert!(text.contains("score 80 does not match the factor inputs, which give 79"), "{text}");
        assert!(text.contains("101 is not a score between 0 and 100"), "{text}");
        assert!(text.contains("integrity: \"superb\" is not one of excellent (30)"), "{text}");
        assert!(text.contains("a credit file needs a score or factor inputs, or an exempt_reason"), "{text}");
        assert!(text.contains("household H9 is not in the registry on 2017-03-01"), "{text}");
        assert!(text.contains("institution NOBANK does not exist"), "{text}");
        assert!(text.contains("household H1 is not in the registry on 2015-01-01"), "{text}");
        assert_eq!(report.error_count(), 8, "{text}");
        // Nothing was written, not even the default scorecard.
        assert!(credit::list_files(&db, &ctx(), &CreditFilter::default()).await.unwrap().is_empty());
        assert!(credit::list_scorecards(&db, None).await.unwrap().is_empty());
        // The command says the same.
        let mut ask = request("H1", "2017-03-01");
        ask.score = Some(75);
        ask.grade = Some("AA".into());
        invalid(credit::rate(&db, &ctx(), &ask).await, "grade AA does not match score 75");
        // Any case of the right grade is accepted and stored as the scorecard writes it.
        ask.grade = Some("a".into());
        let (_, stored) = credit::rate(&db, &ctx(), &ask).await.expect("rated");
        assert_eq!(stored.file.grade.as_deref(), Some("A"));
    }

    async fn a_rating_keeps_its_scorecard_version_and_the_household_as_it_was(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let old = "H1,PYRCB,2017-03-01,85,AA,,,\n";
        assert_applied(&files(&db, dir.path(), "old.csv", old).await);
        let first = file_of(&db, "H1", "2017-03-01").await;
        let default_id = first.scorecard_id.expect("rated");
        assert_eq!((first.grade.as_deref(), first.recommended_line), (Some("AA"), Some(yuan("30000"))));

        // PYRCB's own, stricter scorecard from 2018.
        let mut stricter = scoring::default_scorecard();
        stricter.institution_code = Some("PYRCB".into());
        stricter.effective_from = date("2018-01-01");
        stricter.name = "鄱阳农商银行 2018".into();
        stricter.grades = vec![
            GradeBand { grade: "AAA".into(), min_score: 95, line: yuan("50000") },
            GradeBand { grade: "AA".into(), min_score: 85, line: yuan("30000") },
            GradeBand { grade: "A".into(), min_score: 75, line: yuan("10000") },
            GradeBand { grade: "B".into(), min_score: 0, line: yuan("0") },
        ];
        let (applied, new_id) = credit::set_scorecard(&db, &ctx(), &stricter).await.expect("set");
        assert_eq!(applied, Applied::Added);
        assert_eq!(credit::set_scorecard(&db, &ctx(), &stricter).await.expect("again").0, Applied::Unchanged);

        // The old file keeps its grade and version; loading it again changes nothing.
        let again = files(&db, dir.path(), "old.csv", old).await;
        assert_applied(&again);
        assert_eq!(again.counts.unchanged, 1);
        assert_eq!(file_of(&db, "H1", "2017-03-01").await, first);
        // A 2018 rating of the same score is graded by the new version: 85 is AA, 80 only A.
        assert_applied(&files(&db, dir.path(), "new.csv", "H1,PYRCB,2018-03-01,80,,,,\nH2,PYRCB,2018-03-01,85,,,,\n").await);
        let newer = file_of(&db, "H1", "2018-03-01").await;
        assert_eq!((newer.grade.as_deref(), newer.recommended_line, newer.scorecard_id), (Some("A"), Some(yuan("10000")), Some(new_id)));
        assert_eq!(file_of(&db, "H2", "2018-03-01").await.grade.as_deref(), Some("AA"));
        // ABC has no scorecard of its own: the default still rates its files in 2018.
        assert_applied(&files(&db, dir.path(), "abc.csv", "H1,ABC,2018-03-01,80,,,,\n").await);
        let abc = credit::list_files(&db, &ctx(), &CreditFilter { institution: Some("ABC".into()), ..CreditFilter::default() }).await.unwrap();
        assert_eq!((abc[0].file.grade.as_deref(), abc[0].file.scorecard_id), (Some("AA"), Some(default_id)));

        // A version starting on or before a date already rated under what it would displace is
        // refused, so no old rating is re-read under another version.
        let mut early = stricter.clone();
        early.effective_from = date("2018-02-01");
        assert!(matches!(credit::set_scorecard(&db, &ctx(), &early).await, Err(AppError::Conflict(m)) if m.contains("2018-03-01")));
        let mut default_early = scoring::default_scorecard();
        default_early.effective_from = date("2018-03-01");
        assert!(matches!(credit::set_scorecard(&db, &ctx(), &default_early).await, Err(AppError::Conflict(_))));
        default_early.effective_from = date("2018-03-02");
        default_early.grades[0].min_score = 92;
        assert_eq!(credit::set_scorecard(&db, &ctx(), &default_early).await.expect("later default").0, Applied::Added);
        // An invalid scorecard is refused whole.
        let mut bad = stricter.clone();
        bad.effective_from = date("2019-01-01");
        bad.factors[0].weight = 25;
        invalid(credit::set_scorecard(&db, &ctx(), &bad).await, "the weights sum to 95, not 100");
        let shown = credit::scorecard_on(&db, Some("PYRCB"), date("2018-06-30")).await.unwrap().unwrap();
        assert_eq!((shown.id, shown.describe()), (Some(new_id), "PYRCB scorecard from 2018-01-01".to_string()));

        // The household's status on the assessment date is kept with the file: a later extract
        // marks H1 exited; the 2017 file still says poor, and loading it again changes nothing.
        let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,exited_year,per_capita_income,labour\n";
        let extract = format!(
            "{header}H1,361128100001,张三,{},head,general,illness,exited,2015-10-01,2018,4300,normal\n\
             H2,361128100001,李四,{},head,general,lack_funds,poor,2015-10-01,,2100,weak\n",
            resident_id("19770501", "001"), resident_id("19470301", "002"));
        let path = write(dir.path(), "households-2018.csv", &extract);
        assert_applied(&import_households(&db, &ctx(), &path, &ImportOptions::default(), date("2018-06-30")).await.expect("extract"));
        let old_file = file_of(&db, "H1", "2017-03-01").await;
        assert_eq!(old_file.household_status, "poor");
        let snapshot: serde_json::Value = serde_json::from_str(&old_file.household_json).unwrap();
        assert_eq!((snapshot["status"].as_str(), snapshot["per_capita_income"].as_str()), (Some("poor"), Some("2300.00")));
        assert!(snapshot["members"][0]["id_number"].as_str().unwrap().contains("****"), "ID numbers are masked");
        assert_eq!(files(&db, dir.path(), "old.csv", old).await.counts.unchanged, 1);
        assert_applied(&files(&db, dir.path(), "later.csv", "H1,PYRCB,2018-07-01,90,,,,\n").await);
        assert_eq!(file_of(&db, "H1", "2018-07-01").await.household_status, "exited");
    }

    async fn exempt_households_have_a_reason_and_no_rating(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let report = files(&db, dir.path(), "bad.csv",
            "H2,PYRCB,2017-03-01,60,,,age,\n\
             H2,PYRCB,2017-03-02,,B,,no_need,\n\
             H2,PYRCB,2017-03-03,,,,retired,\n").await;
        refused(&report, "an exempt household (age) is not rated: leave score empty");
        let text = errors(&report);
        assert!(text.contains("an exempt household (no_need) is not rated: leave grade empty"), "{text}");
        assert!(text.contains("\"retired\" is not one of"), "{text}");
        let report = files(&db, dir.path(), "ok.csv", "H2,PYRCB,2017-03-01,,,,年龄不符,\nH1,PYRCB,2017-03-01,85,,,,\n").await;
        assert_applied(&report);
        let file = file_of(&db, "H2", "2017-03-01").await;
        assert_eq!((file.exempt_reason.as_deref(), file.score, file.grade, file.recommended_line, file.scorecard_id),
            (Some("age"), None, None, None, None));
        // An exempt household gets a line only with a documented override.
        invalid(credit::grant(&db, &ctx(), &line("H2", "10000", "2017-03-05", "2020-03-05")).await,
            "latest credit file with PYRCB (2017-03-01) is an exemption (age)");
        // Exempt households leave the denominators: H1 of the two is eligible, and rated.
        let scope = CoverageScope { region: Some(RegionCode::parse("361128").unwrap()), ..CoverageScope::default() };
        let coverage = credit::credit_coverage(&db, date("2017-06-30"), &scope).await.unwrap();
        assert_eq!((coverage.registered, coverage.exempt, coverage.eligible, coverage.rated), (2, 1, 1, 1));
        assert_eq!(coverage.rated_percent(), "100.00");
        // Before the exemption, H2 was eligible and unrated.
        let before = credit::credit_coverage(&db, date("2017-02-28"), &scope).await.unwrap();
        assert_eq!((before.eligible, before.rated), (2, 0));
        // Rated again later, H2 is eligible again.
        assert_applied(&files(&db, dir.path(), "again.csv", "H2,PYRCB,2017-09-01,72,,,,\n").await);
        let after = credit::credit_coverage(&db, date("2017-09-30"), &scope).await.unwrap();
        assert_eq!((after.exempt, after.eligible, after.rated), (0, 2, 2));
    }

    async fn a_line_is_capped_by_the_recommended_line_unless_overridden(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        assert_applied(&files(&db, dir.path(), "f.csv", "H1,PYRCB,2017-03-01,85,AA,,,\n").await);
        let report = lines(&db, dir.path(), "bad.csv",
            "H1,PYRCB,40000,2017-03-05,2020-03-05,\n\
             H2,PYRCB,10000,2017-03-05,2020-03-05,\n\
             H1,PYRCB,10000,2017-02-01,2020-02-01,\n\
             H1,PYRCB,60000,2017-04-01,2020-04-01,特批\n\
             H1,PYRCB,10000,2017-05-01,2017-05-01,\n").await;
        refused(&report, "40,000.00 is above the recommended line of 30,000.00 (grade AA, credit file of 2017-03-01)");
        let text = errors(&report);
        assert!(text.contains("household H2 has no credit file with PYRCB on or before 2017-03-05"), "{text}");
        assert!(text.contains("household H1 has no credit file with PYRCB on or before 2017-02-01"), "{text}");
        assert!(text.contains("60,000.00 is above the poverty micro-credit cap of 50,000.00"), "{text}");
        assert!(text.contains("expires on 2017-05-01, not after it is granted on 2017-05-01"), "{text}");
        assert!(credit::list_lines(&db, &ctx(), &CreditFilter::default()).await.unwrap().is_empty());

        // Within the line: accepted. Above it with an override: accepted and recorded.
        let report = lines(&db, dir.path(), "ok.csv",
            "H1,PYRCB,30000,2017-03-05,2020-03-05,\n\
             H2,PYRCB,10000,2017-03-05,2020-03-05,县扶贫办名单特批\n").await;
        assert_applied(&report);
        let mut ask = line("H1", "40000", "2017-06-01", "2020-06-01");
        ask.override_reason = Some("村级担保增信".into());
        let (applied, stored) = credit::grant(&db, &ctx(), &ask).await.expect("override");
        assert_eq!(applied, Applied::Added);
        assert_eq!((stored.line.override_reason.as_deref(), stored.line.recommended_line), (Some("村级担保增信"), Some(yuan("30000"))));
        let records = fupin_store::audit::recent(&db, 5).await.expect("audit");
        let record = records.iter().find(|r| r.entry.action == "credit_line.save" && r.entry.entity_id == "H1/PYRCB/2017-06-01").expect("audited");
        assert!(record.entry.after_json.as_deref().unwrap().contains("村级担保增信"));
        let all = credit::list_lines(&db, &ctx(), &CreditFilter::default()).await.unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all.iter().find(|l| l.line.household_id == "H2").unwrap().line.credit_file_id, None);
        // The same file twice changes nothing.
        assert_eq!(lines(&db, dir.path(), "ok.csv",
            "H1,PYRCB,30000,2017-03-05,2020-03-05,\n\
             H2,PYRCB,10000,2017-03-05,2020-03-05,县扶贫办名单特批\n").await.counts.unchanged, 2);
        // A file's own lower recommended line caps its lines.
        assert_applied(&files(&db, dir.path(), "g.csv", "H1,PYRCB,2017-07-01,85,,20000,,\n").await);
        invalid(credit::grant(&db, &ctx(), &line("H1", "25000", "2017-07-05", "2020-07-05")).await,
            "25,000.00 is above the recommended line of 20,000.00");
        // Lines in force: H1's latest (40,000 from 2017-06-01) replaces its first; H2's 10,000.
        assert_eq!(credit::credit_lines_granted(&db, "361128", date("2017-06-30")).await.unwrap(), (2, yuan("50000")));
        assert_eq!(credit::credit_lines_granted(&db, "", date("2017-04-30")).await.unwrap(), (2, yuan("40000")));
        assert_eq!(credit::credit_lines_granted(&db, "361129", date("2017-06-30")).await.unwrap(), (0, yuan("0")));
        assert_eq!(credit::credit_lines_granted(&db, "", date("2020-06-01")).await.unwrap(), (0, yuan("0")));
    }

    async fn a_loan_of_a_credit_line_product_is_refused_beyond_its_line(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        assert_applied(&files(&db, dir.path(), "f.csv", "H1,PYRCB,2017-03-01,85,AA,,,\n").await);
        assert_applied(&lines(&db, dir.path(), "l.csv", "H1,PYRCB,30000,2017-03-05,2019-03-05,\n").await);
        let loan = |name: &str, rows: &str| {
            let path = write(dir.path(), name, &format!("{LOAN_HEADER}{rows}"));
            let db = db.clone();
            async move { import_file(&db, &path, LoanImporter::new(&db)).await }
        };
        // Not yet flagged: the line is not consulted.
        assert!(credit::credit_line_products(&db).await.unwrap().is_empty());
        assert!(credit::set_product_credit_line(&db, &ctx(), "MC", true).await.expect("flag"));
        assert!(!credit::set_product_credit_line(&db, &ctx(), "MC", true).await.expect("again"));
        assert_eq!(credit::credit_line_products(&db).await.unwrap(), vec!["MC".to_string()]);

        assert_applied(&loan("l1.csv", "L1,PYRCB,MC,household,H1,20000,4.75,2017-03-10,2018-03-10,养殖\n").await);
        // 30,000 − 20,000 = 10,000 left: 15,000 is refused; two of 6,000 in one file too (the
        // first takes 6,000 of the 10,000), and the file changes nothing.
        refused(&loan("l2.csv", "L2,PYRCB,MC,household,H1,15000,4.75,2017-03-20,2018-03-20,养殖\n").await,
            "15,000.00 is beyond household H1's credit line with PYRCB: 30,000.00 granted on 2017-03-05 (until 2019-03-05), 20,000.00 drawn by its other loans on 2017-03-20, 10,000.00 available");
        let report = loan("l3.csv",
            "L3,PYRCB,MC,household,H1,6000,4.75,2017-03-20,2018-03-20,养殖\n\
             L4,PYRCB,MC,household,H1,6000,4.75,2017-03-20,2018-03-20,养殖\n").await;
        refused(&report, "4,000.00 available");
        assert_eq!(report.error_count(), 1);
        assert!(fupin_app::loans::detail(&db, "PYRCB", "L3").await.is_err(), "nothing was written");
        // Exactly what is left fits.
        assert_applied(&loan("l5.csv", "L5,PYRCB,MC,household,H1,10000,4.75,2017-03-20,2018-03-20,养殖\n").await);
        // No line in force: before the grant, after expiry.
        refused(&loan("l6.csv", "L6,PYRCB,MC,household,H1,1000,4.75,2017-03-04,2018-03-04,养殖\n").await,
            "no valid credit line: household H1 has no credit line with PYRCB in force on 2017-03-04");
        refused(&loan("l7.csv", "L7,PYRCB,MC,household,H1,1000,4.75,2019-03-05,2020-03-05,养殖\n").await,
            "no valid credit line");
        // A product that does not draw on lines is not concerned.
        assert_applied(&loan("l8.csv", "L8,ABC,ABCMC,household,H1,30000,4.35,2017-03-20,2018-03-20,养殖\n").await);
        // Repaid principal frees the line: L1 settled early leaves 30,000 − 10,000 = 20,000.
        let detail = fupin_app::loans::detail(&db, "PYRCB", "L1").await.expect("L1");
        assert_eq!(detail.loan.terms.principal, yuan("20000"));
        let mut tx = db.write().await.unwrap();
        let written = fupin_app::loans::write_off(&mut tx, &ctx(), &detail.loan, date("2017-04-01"), "test").await;
        written.expect("write-off");
        tx.commit().await.unwrap();
        assert_applied(&loan("l9.csv", "L9,PYRCB,MC,household,H1,20000,4.75,2017-04-02,2018-04-02,养殖\n").await);
        // Unflagged again, the line no longer limits the product.
        assert!(credit::set_product_credit_line(&db, &ctx(), "MC", false).await.expect("unflag"));
        assert_applied(&loan("l10.csv", "L10,PYRCB,MC,household,H1,1000,4.75,2019-04-01,2020-04-01,养殖\n").await);
    }

    async fn a_bank_writes_only_its_own_credit_data(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let bank = |institution: &str| Ctx {
            actor: Actor { name: "clerk".into(), role: Role::Bank, region: None, institution: Some(institution.into()) },
            ..ctx()
        };
        let mut ask = request("H1", "2017-03-01");
        ask.score = Some(85);
        invalid(credit::rate(&db, &bank("ABC"), &ask).await, "institution PYRCB does not exist");
        credit::rate(&db, &bank("PYRCB"), &ask).await.expect("own institution");
        let finance = Ctx { actor: Actor { name: "f".into(), role: Role::Finance, region: None, institution: None }, ..ctx() };
        assert!(matches!(credit::rate(&db, &finance, &ask).await, Err(AppError::Forbidden(_))));
        assert!(matches!(credit::list_files(&db, &finance, &CreditFilter::default()).await, Err(AppError::Forbidden(_))));
        assert!(credit::list_files(&db, &bank("ABC"), &CreditFilter::default()).await.unwrap().is_empty());
        assert_eq!(credit::list_files(&db, &bank("PYRCB"), &CreditFilter::default()).await.unwrap().len(), 1);
    }

    async fn three_full_coverage_on_a_hand_made_region(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        coverage_fixture(&db, dir.path()).await;
        let poyang = RegionCode::parse("361128").unwrap();
        let d1 = "2017-06-30";
        let d2 = "2017-12-31";
        let d3 = "2018-06-30";
        // Figures worked out by hand from the table of facts below, for Poyang County.
        let c = credit::credit_coverage(&db, date(d1), &CoverageScope { region: Some(poyang), ..CoverageScope::default() }).await.unwrap();
        assert_eq!((c.townships, c.townships_covered, c.township_percent()), (3, 2, "66.67".to_string()));
        assert_eq!((c.registered, c.exempt, c.eligible, c.rated, c.with_line), (7, 2, 5, 3, 3));
        assert_eq!((c.rated_percent(), c.line_percent()), ("60.00".to_string(), "60.00".to_string()));
        let c = credit::credit_coverage(&db, date(d2), &CoverageScope { region: Some(poyang), ..CoverageScope::default() }).await.unwrap();
        assert_eq!((c.registered, c.eligible, c.rated, c.with_line), (8, 7, 5, 3));
        assert_eq!((c.rated_percent(), c.line_percent()), ("71.43".to_string(), "42.86".to_string()));
        let list = credit::credit_work_list(&db, date(d1), &CoverageScope { region: Some(poyang), ..CoverageScope::default() }, WorkListSort::Village).await.unwrap();
        let named: Vec<(&str, &str, Option<&str>)> = list.iter().map(|h| (h.household_id.as_str(), missing(h), h.institution_code.as_deref())).collect();
        assert_eq!(named, vec![("H3", "credit line", Some("PYRCB")), ("H5", "credit file", Some("ABC")), ("H7", "credit file; credit line", None)]);

        // Every scope and date against plain counting of the facts.
        let group = "pilot-counties";
        fupin_app::territory::save_group(&db, &ctx(), &RegionGroup {
            name: group.into(), title: "试点".into(), title_en: None, builtin: false, description: None,
        }, &[
            Membership { region_code: RegionCode::parse("361128100").unwrap(), valid_from: date("2016-01-01"), valid_to: None },
            Membership { region_code: RegionCode::parse("361129").unwrap(), valid_from: date("2017-07-01"), valid_to: None },
        ]).await.expect("group");
        let scopes: Vec<(CoverageScope, Scope)> = vec![
            (CoverageScope::default(), Scope::All),
            (CoverageScope { region: Some(poyang), ..CoverageScope::default() }, Scope::Prefixes(vec![("361128", None)])),
            (CoverageScope { region: Some(RegionCode::parse("361128101").unwrap()), ..CoverageScope::default() }, Scope::Prefixes(vec![("361128101", None)])),
            (CoverageScope { group: Some(group.into()), ..CoverageScope::default() },
                Scope::Prefixes(vec![("361128100", Some("2016-01-01")), ("361129", Some("2017-07-01"))])),
            (CoverageScope { institution: Some("PYRCB".into()), ..CoverageScope::default() }, Scope::Bank("PYRCB")),
            (CoverageScope { institution: Some("ABC".into()), ..CoverageScope::default() }, Scope::Bank("ABC")),
        ];
        for (scope, facts_scope) in &scopes {
            for d in [d1, d2, d3, "2016-06-30", "2017-10-05"] {
                let expected = Expected::count(facts_scope, d);
                let got = credit::credit_coverage(&db, date(d), scope).await.unwrap();
                let label = format!("{scope:?} on {d}");
                assert_eq!((got.townships, got.townships_covered), (expected.townships, expected.townships_covered), "{label}");
                assert_eq!((got.registered, got.eligible, got.rated, got.with_line),
                    (expected.registered, expected.eligible, expected.rated, expected.with_line), "{label}");
                assert_eq!(got.rated_percent(), percent(expected.rated, expected.eligible), "{label}");
                assert_eq!(got.line_percent(), percent(expected.with_line, expected.eligible), "{label}");
                assert_eq!(got.township_percent(), percent(expected.townships_covered, expected.townships), "{label}");
                let list = credit::credit_work_list(&db, date(d), scope, WorkListSort::Household).await.unwrap();
                let got_list: Vec<(String, String, Option<String>)> = list.iter()
                    .map(|h| (h.household_id.clone(), missing(h).to_string(), h.institution_code.clone()))
                    .collect();
                assert_eq!(got_list, expected.uncovered, "work list of {label}");
            }
        }

        // The work list sorted by bank: ABC's, then PYRCB's, then townships without a bank.
        let list = credit::credit_work_list(&db, date(d2), &CoverageScope::default(), WorkListSort::Bank).await.unwrap();
        let order: Vec<&str> = list.iter().map(|h| h.household_id.as_str()).collect();
        assert_eq!(order, vec!["H5", "H6", "H8", "H3", "H4", "H7"]);
        assert_eq!(list[0].township_name.as_deref(), Some("团林乡"));
        // A bank user sees the townships it is responsible for on the date, whatever it asks.
        let bank = Ctx { actor: Actor { name: "clerk".into(), role: Role::Bank, region: None, institution: Some("ABC".into()) }, ..ctx() };
        let report = credit::coverage_report(&db, &bank, date(d1), &CoverageScope::default(), WorkListSort::Village).await.unwrap();
        let expected = Expected::count(&Scope::Bank("ABC"), d1);
        assert_eq!((report.coverage.eligible, report.coverage.rated), (expected.eligible, expected.rated));
        assert!(matches!(credit::coverage_report(&db, &bank, date(d1), &CoverageScope { institution: Some("PYRCB".into()), ..CoverageScope::default() }, WorkListSort::Village).await, Err(AppError::NotFound(_))));
        // A county regulator asking for the whole city gets its county.
        let regulator = Ctx { actor: Actor { name: "cbrc".into(), role: Role::Regulator, region: Some(poyang), institution: None }, ..ctx() };
        let report = credit::coverage_report(&db, &regulator, date(d1), &CoverageScope::default(), WorkListSort::Village).await.unwrap();
        assert_eq!(report.coverage, credit::credit_coverage(&db, date(d1), &CoverageScope { region: Some(poyang), ..CoverageScope::default() }).await.unwrap());
        // A group without members on the date covers nothing.
        let empty = credit::credit_coverage(&db, date("2015-06-30"), &CoverageScope { group: Some(group.into()), ..CoverageScope::default() }).await.unwrap();
        assert_eq!((empty.townships, empty.eligible, empty.rated_percent()), (0, 0, "—".to_string()));
        // Lines granted on a date.
        assert_eq!(credit::credit_lines_granted(&db, "361128", date(d1)).await.unwrap(), (3, yuan("90000")));
        assert_eq!(credit::credit_lines_granted(&db, "3611", date(d2)).await.unwrap(), (3, yuan("90000")));
        assert_eq!(credit::credit_lines_granted(&db, "361128101", date(d2)).await.unwrap(), (1, yuan("10000")));
    }
}

// ---------------------------------------------------------------------------------------------
// the hand-made region and its table of facts

/// A responsible institution over `[from, to)`.
type Period = (&'static str, &'static str, Option<&'static str>);

/// Townships: code, and their responsible institution periods.
const TOWNSHIPS: &[(&str, &[Period])] = &[
    ("361128100000", &[("PYRCB", "2016-01-01", None)]),
    (
        "361128101000",
        &[
            ("ABC", "2016-01-01", Some("2018-01-01")),
            ("PYRCB", "2018-01-01", None),
        ],
    ),
    ("361128102000", &[]),
    ("361129100000", &[("ABC", "2016-01-01", None)]),
];

/// Households: id, village, in the registry over `[from, until)`.
const HOUSEHOLDS: &[(&str, &str, &str, Option<&str>)] = &[
    ("H1", "361128100001", "2015-10-01", None),
    ("H2", "361128100001", "2015-10-01", None),
    ("H3", "361128100002", "2016-03-01", None),
    ("H4", "361128100002", "2015-05-01", Some("2018-01-01")),
    ("H5", "361128101001", "2015-06-01", None),
    ("H6", "361128101001", "2015-06-01", None),
    ("H7", "361128102001", "2015-06-01", None),
    ("H8", "361129100001", "2015-06-01", None),
    ("H9", "361128100002", "2017-09-01", None),
];

/// Credit files: household, institution, date, score (`None`: exempt with the reason).
const FILES: &[(&str, &str, &str, Option<i64>, &str)] = &[
    ("H1", "PYRCB", "2017-03-01", Some(85), ""),
    ("H2", "PYRCB", "2017-03-01", None, "age"),
    ("H3", "PYRCB", "2017-04-01", Some(72), ""),
    ("H4", "PYRCB", "2017-04-01", Some(95), ""),
    ("H6", "ABC", "2017-02-01", None, "no_need"),
    ("H6", "ABC", "2017-08-01", Some(80), ""),
    ("H8", "ABC", "2017-06-01", Some(60), ""),
    ("H9", "PYRCB", "2017-10-01", Some(90), ""),
];

/// Credit lines: household, institution, amount, granted, expires, override reason.
const LINES: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("H1", "PYRCB", "30000", "2017-03-05", "2020-03-05", ""),
    ("H4", "PYRCB", "50000", "2017-04-05", "2017-10-05", ""),
    (
        "H5",
        "ABC",
        "10000",
        "2017-05-01",
        "2019-05-01",
        "试点先授信后评级",
    ),
    ("H9", "PYRCB", "50000", "2017-10-10", "2020-10-10", ""),
];

/// Loads the facts above through the import files (H1 and H2 come from `setup`).
async fn coverage_fixture(db: &Db, dir: &std::path::Path) {
    let regions = "code,name\n361128101,团林乡\n361128101001,团林村\n361128102,高家岭镇\n\
        361128102001,高家岭村\n361128100002,西湖村\n361129100,陈营镇\n361129100001,陈营村\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "more-regions.csv", regions),
            RegionImporter::default(),
        )
        .await,
    );
    let mut assignments =
        "township_code,institution_code,effective_from,effective_to\n".to_string();
    for (township, periods) in TOWNSHIPS {
        for (institution, from, to) in *periods {
            assignments.push_str(&format!(
                "{township},{institution},{from},{}\n",
                to.unwrap_or("")
            ));
        }
    }
    assert_applied(
        &import_file(
            db,
            &write(dir, "assignments.csv", &assignments),
            AssignmentImporter::default(),
        )
        .await,
    );
    let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,exited_year,per_capita_income,labour\n";
    let extract = format!(
        "{header}H3,361128100002,王五,{},head,general,illness,poor,2016-03-01,,2000,normal\n\
         H4,361128100002,赵六,{},head,general,lack_funds,exited,2015-05-01,2016,3900,normal\n\
         H5,361128101001,钱七,{},head,low_income,disability,relapsed,2015-06-01,,1800,weak\n\
         H6,361128101001,孙八,{},head,general,lack_skills,poor,2015-06-01,,2200,normal\n\
         H7,361128102001,周九,{},head,general,lack_land,poor,2015-06-01,,2100,normal\n\
         H8,361129100001,吴十,{},head,general,transport,poor,2015-06-01,,2500,skilled\n",
        resident_id("19800101", "003"),
        resident_id("19750202", "004"),
        resident_id("19700303", "005"),
        resident_id("19720404", "006"),
        resident_id("19850505", "007"),
        resident_id("19680606", "008")
    );
    let path = write(dir, "households-2016.csv", &extract);
    assert_applied(
        &import_households(
            db,
            &ctx(),
            &path,
            &ImportOptions::default(),
            date("2016-12-31"),
        )
        .await
        .expect("2016"),
    );
    // West Lake village a year later: H4 is gone, H9 (identified in September) has come.
    let extract = format!(
        "{header}H3,361128100002,王五,{},head,general,illness,poor,2016-03-01,,2000,normal\n\
         H9,361128100002,郑十一,{},head,general,illness,poor,2017-09-01,,1900,normal\n",
        resident_id("19800101", "003"),
        resident_id("19900707", "009")
    );
    let path = write(dir, "households-2018.csv", &extract);
    // H4's removal is meant: confirmed (half the village).
    let confirmed = ImportOptions {
        allow_removals: true,
        ..ImportOptions::default()
    };
    assert_applied(
        &import_households(db, &ctx(), &path, &confirmed, date("2018-01-01"))
            .await
            .expect("2018"),
    );
    let mut rows = String::new();
    for (household, institution, on, score, reason) in FILES {
        let score = score.map(|s| s.to_string()).unwrap_or_default();
        rows.push_str(&format!(
            "{household},{institution},{on},{score},,,{reason},\n"
        ));
    }
    assert_applied(&files(db, dir, "credit-files.csv", &rows).await);
    let mut rows = String::new();
    for (household, institution, amount, granted, expires, reason) in LINES {
        rows.push_str(&format!(
            "{household},{institution},{amount},{granted},{expires},{reason}\n"
        ));
    }
    assert_applied(&lines(db, dir, "credit-lines.csv", &rows).await);
}

/// Which facts a scope covers.
enum Scope {
    All,
    /// Code prefixes (12-digit codes with trailing zeros cut), each from a date on.
    Prefixes(Vec<(&'static str, Option<&'static str>)>),
    /// The townships the institution is responsible for on the date.
    Bank(&'static str),
}

#[derive(Debug, Default)]
struct Expected {
    townships: u64,
    townships_covered: u64,
    registered: u64,
    eligible: u64,
    rated: u64,
    with_line: u64,
    /// (household, missing, responsible institution), by household.
    uncovered: Vec<(String, String, Option<String>)>,
}

fn on_or_before(a: &str, b: &str) -> bool {
    a <= b
}

fn responsible(township: &str, d: &str) -> Option<&'static str> {
    TOWNSHIPS
        .iter()
        .find(|(code, _)| *code == township)
        .and_then(|(_, periods)| {
            periods
                .iter()
                .find(|(_, from, to)| on_or_before(from, d) && to.is_none_or(|to| d < to))
                .map(|(institution, _, _)| *institution)
        })
}

fn township_of(village: &str) -> String {
    format!("{}000", &village[..9])
}

impl Scope {
    fn covers(&self, code: &str, d: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Prefixes(prefixes) => prefixes.iter().any(|(prefix, from)| {
                code.starts_with(prefix) && from.is_none_or(|from| from <= d)
            }),
            Scope::Bank(bank) => responsible(&township_of(code), d) == Some(*bank),
        }
    }
}

impl Expected {
    fn count(scope: &Scope, d: &str) -> Expected {
        let mut expected = Expected::default();
        for (township, _) in TOWNSHIPS {
            if scope.covers(township, d) {
                expected.townships += 1;
                if responsible(township, d).is_some() {
                    expected.townships_covered += 1;
                }
            }
        }
        for (household, village, from, until) in HOUSEHOLDS {
            let in_registry = on_or_before(from, d) && until.is_none_or(|until| d < until);
            if !in_registry || !scope.covers(village, d) {
                continue;
            }
            expected.registered += 1;
            let latest = FILES
                .iter()
                .filter(|(h, _, on, _, _)| h == household && on_or_before(on, d))
                .max_by_key(|(_, _, on, _, _)| *on);
            let exempt = latest.is_some_and(|(_, _, _, score, _)| score.is_none());
            if exempt {
                continue;
            }
            expected.eligible += 1;
            let rated = latest.is_some();
            let lined = LINES.iter().any(|(h, _, _, granted, expires, _)| {
                h == household && on_or_before(granted, d) && d < *expires
            });
            expected.rated += u64::from(rated);
            expected.with_line += u64::from(lined);
            let missing = match (rated, lined) {
                (true, true) => continue,
                (false, false) => "credit file; credit line",
                (false, true) => "credit file",
                (true, false) => "credit line",
            };
            expected.uncovered.push((
                household.to_string(),
                missing.to_string(),
                responsible(&township_of(village), d).map(str::to_string),
            ));
        }
        expected.uncovered.sort();
        expected
    }
}

/// A percentage with two decimals, computed here in floating point (the figures of this
/// test never fall on a half hundredth).
fn percent(numerator: u64, denominator: u64) -> String {
    match denominator {
        0 => "—".to_string(),
        d => format!("{:.2}", numerator as f64 * 100.0 / d as f64),
    }
}
