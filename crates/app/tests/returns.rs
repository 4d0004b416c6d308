//! Statistical returns end to end through files and use cases, on both engines: imports and
//! their refusals, validation rules, approval, reopening and corrections with history, figures
//! as of a date, reported figures, and who may do what.

use std::path::Path;

use fupin_app::imports::returns::{ReturnsImport, import};
use fupin_app::imports::{Applied, ImportOptions};
use fupin_app::returns::{
    self, Correction, NewElement, NewReportedFigure, NewRule, ReturnQuery, RuleSpec,
};
use fupin_app::{Actor, AppError, Ctx, Db, Role};
use fupin_core::returns::{Outcome, ReturnState};
use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::institutions::Institution;

// ---- actors ---------------------------------------------------------------------------------

fn ctx_of(name: &str, role: Role, region: Option<&str>, institution: Option<&str>) -> Ctx {
    Ctx {
        actor: Actor {
            name: name.to_string(),
            role,
            region: region.map(|r| RegionCode::parse(r).expect("region")),
            institution: institution.map(str::to_string),
        },
        now: "2017-07-05T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn operator() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2017-07-05T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn regulator() -> Ctx {
    ctx_of("regulator:li", Role::Regulator, Some("3611"), None)
}

fn bank(institution: &str) -> Ctx {
    ctx_of("bank:wang", Role::Bank, None, Some(institution))
}

fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("test date")
}

// ---- the territory --------------------------------------------------------------------------

/// (code, name, type, region)
const INSTITUTIONS: &[(&str, &str, &str, &str)] = &[
    ("PYRCB", "鄱阳农村商业银行", "rural_cooperative", "361128"),
    ("HFRCB", "横峰农村商业银行", "rural_cooperative", "361125"),
    (
        "ABC-SR",
        "中国农业银行上饶分行",
        "large_commercial",
        "361100",
    ),
    (
        "PSBC-SR",
        "中国邮政储蓄银行上饶分行",
        "postal_savings",
        "361100",
    ),
];

async fn setup(db: &Db) {
    let ctx = operator();
    fupin_app::regions::load_reference_data(db, &ctx)
        .await
        .expect("reference regions");
    fupin_app::territory::load_builtin_groups(db, &ctx)
        .await
        .expect("builtin groups");
    let mut tx = db.write().await.expect("tx");
    for (code, name, kind, region) in INSTITUTIONS {
        let institution = Institution {
            code: code.to_string(),
            name: name.to_string(),
            name_en: None,
            kind: kind.to_string(),
            parent_code: None,
            region_code: RegionCode::parse(region).expect("region"),
        };
        fupin_store::institutions::upsert(&mut tx, &institution)
            .await
            .expect("institution");
    }
    tx.commit().await.expect("commit");
}

// ---- files ----------------------------------------------------------------------------------

type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

fn csv(rows: &[Row]) -> String {
    let mut text = "institution_code,region_code,period,element,value\n".to_string();
    for (institution, county, period, element, value) in rows {
        text.push_str(&format!(
            "{institution},{county},{period},{element},{value}\n"
        ));
    }
    text
}

async fn import_text(db: &Db, ctx: &Ctx, content: &str, confirm: bool) -> ReturnsImport {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("returns.csv");
    std::fs::write(&path, content).expect("write");
    import_path(db, ctx, &path, confirm).await
}

async fn import_path(db: &Db, ctx: &Ctx, path: &Path, confirm: bool) -> ReturnsImport {
    import(db, ctx, path, &ImportOptions::default(), confirm)
        .await
        .expect("import runs")
}

async fn import_rows(db: &Db, rows: &[Row], confirm: bool) -> ReturnsImport {
    import_text(db, &operator(), &csv(rows), confirm).await
}

fn messages(outcome: &ReturnsImport) -> String {
    outcome
        .report
        .errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn key(institution: &str, county: &str, period: &str) -> fupin_app::returns::ReturnKey {
    returns::return_key(institution, county, period).expect("key")
}

/// Audit entries on an intact chain, a batch record's entries counted one by one; an import's
/// own `import.file` record is not the entry of a row.
async fn audit_records(db: &Db) -> i64 {
    let chain = fupin_store::audit::verify(db).await.expect("verify");
    assert!(chain.problems.is_empty(), "{:?}", chain.problems);
    let records = fupin_store::audit::recent(db, i64::MAX)
        .await
        .expect("audit");
    let entries = records.iter().flat_map(|r| r.entries().expect("entries"));
    entries.filter(|e| e.action != "import.file").count() as i64
}

async fn stored_returns(db: &Db) -> usize {
    returns::list(db, &operator(), &ReturnQuery::default())
        .await
        .expect("list")
        .len()
}

const GOOD: &[Row] = &[
    ("PYRCB", "361128", "2017-06", "loans_total", "1000000.00"),
    ("PYRCB", "361128", "2017-06", "loans_agriculture", "600000"),
    ("PYRCB", "361128", "2017-06", "loans_poverty", "200000.50"),
    ("PYRCB", "361128", "2017-06", "borrowers_poverty", "35"),
    ("HFRCB", "361125000000", "2017-06", "loans_total", "500000"),
];

fupin_store::on_both_engines! {
    async fn a_good_file_is_applied_and_the_same_file_twice_changes_nothing(db) {
        setup(&db).await;
        let first = import_rows(&db, GOOD, false).await;
        assert!(first.report.applied, "{}", messages(&first));
        assert_eq!(first.report.counts.added, 5);
        assert!(first.warnings.is_empty());
        let listed = returns::list(&db, &regulator(), &ReturnQuery::default()).await.expect("list");
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|r| r.header.state == ReturnState::Submitted));
        assert_eq!(listed.iter().map(|r| r.values).sum::<i64>(), 5);

        let detail = returns::show(&db, &regulator(), &key("PYRCB", "361128", "2017-06")).await.expect("show");
        let shown: Vec<(String, String)> = detail
            .values
            .iter()
            .map(|v| (v.element.code.to_string(), v.text()))
            .collect();
        assert_eq!(
            shown,
            [
                ("borrowers_poverty".to_string(), "35".to_string()),
                ("loans_agriculture".to_string(), "600000.00".to_string()),
                ("loans_poverty".to_string(), "200000.50".to_string()),
                ("loans_total".to_string(), "1000000.00".to_string()),
            ]
        );
        let rule = |code: &str| detail.rules.iter().find(|r| r.rule_code == code).expect(code);
        assert_eq!(rule("poverty_within_agriculture").outcome, Outcome::Pass);
        assert_eq!(rule("agriculture_within_total").outcome, Outcome::Pass);
        assert_eq!(rule("poverty_breakdown").status(), "skipped");
        assert_eq!(rule("loans_total_change").message, "not checked: no value for the month before");
        assert_eq!(detail.header.submitted_by, "cli:tester");

        let records = audit_records(&db).await;
        let second = import_rows(&db, GOOD, false).await;
        assert!(second.report.applied);
        assert_eq!(
            (second.report.counts.added, second.report.counts.changed, second.report.counts.unchanged),
            (0, 0, 5)
        );
        assert_eq!(audit_records(&db).await, records, "the same file twice writes nothing");

        // Chinese headers, an element by its Chinese name, an XLSX-like date-free CSV in GB18030
        // is covered by ingest; here: the same value again by name is unchanged.
        let chinese = "机构代码,县代码,报告期,指标代码,数值\nPYRCB,361128,201706,各项贷款余额,\"1,000,000.00\"\n";
        let third = import_text(&db, &operator(), chinese, false).await;
        assert!(third.report.applied, "{}", messages(&third));
        assert_eq!(third.report.counts.unchanged, 1);
    }

    async fn each_refusal_names_the_problem_and_changes_nothing(db) {
        setup(&db).await;
        let cases: &[(&[Row], &str)] = &[
            (&[("NOPE", "361128", "2017-06", "loans_total", "1")],
                "institution NOPE does not exist: import institutions first"),
            (&[("PYRCB", "361199", "2017-06", "loans_total", "1")],
                "county 361199000000 does not exist: import regions first"),
            (&[("PYRCB", "361128100", "2017-06", "loans_total", "1")],
                "361128100000 is a township code: returns are per county"),
            (&[("PYRCB", "361128", "2017-06", "loans_foo", "1")],
                "\"loans_foo\" is not a data element: use one of"),
            (&[("PYRCB", "361128", "2017-13", "loans_total", "1")],
                "no such month"),
            (&[("PYRCB", "361128", "2017-06-15", "loans_total", "1")],
                "2017-06-15 is not a month-end"),
            (&[("PYRCB", "361128", "2017-06", "loans_total", "5万")],
                "not a yuan amount"),
            (&[("PYRCB", "361128", "2017-06", "loans_total", "1.234")],
                "more than two decimal places"),
            (&[("PYRCB", "361128", "2017-06", "loans_total", "-100")],
                "an amount cannot be negative (loans_total is in yuan)"),
            (&[("PYRCB", "361128", "2017-06", "borrowers_poverty", "2.5")],
                "not a whole number (borrowers_poverty is in count)"),
            (&[("PYRCB", "361128", "2017-06", "loans_total", "")],
                "value is required"),
            (&[
                ("PYRCB", "361128", "2017-06", "loans_total", "1000"),
                ("PYRCB", "361128", "2017-06", "loans_total", "1000"),
            ], "return PYRCB/361128000000/2017-06 has loans_total twice: rows 2 and 3"),
            (&[
                ("PYRCB", "361128", "2017-06", "loans_total", "1000"),
                ("PYRCB", "361128", "2017-06", "loans_agriculture", "500"),
                ("PYRCB", "361128", "2017-06", "loans_poverty", "600"),
            ], "return PYRCB/361128000000/2017-06 fails rule poverty_within_agriculture \
                (loans_poverty <= loans_agriculture): loans_poverty = 600.00 > 500.00 = loans_agriculture"),
            (&[
                ("PYRCB", "361128", "2017-06", "loans_total", "1000"),
                ("PYRCB", "361128", "2017-06", "loans_agriculture", "1000.01"),
            ], "fails rule agriculture_within_total"),
            (&[
                ("PYRCB", "361128", "2017-06", "loans_poverty", "100"),
                ("PYRCB", "361128", "2017-06", "loans_poverty_individual", "50"),
                ("PYRCB", "361128", "2017-06", "loans_poverty_industry", "30"),
                ("PYRCB", "361128", "2017-06", "loans_poverty_project", "10"),
            ], "loans_poverty_individual + loans_poverty_industry + loans_poverty_project = 90.00 ≠ 100.00 = loans_poverty"),
        ];
        for (rows, expected) in cases {
            let outcome = import_rows(&db, rows, false).await;
            let text = messages(&outcome);
            assert!(!outcome.report.applied, "refused: {expected}");
            assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
        }
        assert_eq!(stored_returns(&db).await, 0, "nothing was stored");
        // The three kinds of poverty loan that do add up are accepted.
        let outcome = import_rows(&db, &[
            ("PYRCB", "361128", "2017-06", "loans_total", "1000"),
            ("PYRCB", "361128", "2017-06", "loans_agriculture", "500"),
            ("PYRCB", "361128", "2017-06", "loans_poverty", "100"),
            ("PYRCB", "361128", "2017-06", "loans_poverty_individual", "60"),
            ("PYRCB", "361128", "2017-06", "loans_poverty_industry", "30"),
            ("PYRCB", "361128", "2017-06", "loans_poverty_project", "10"),
        ], false).await;
        assert!(outcome.report.applied, "{}", messages(&outcome));
    }

    async fn a_failed_rule_is_reported_on_the_rows_holding_its_elements_with_their_values(db) {
        setup(&db).await;
        let outcome = import_rows(&db, &[
            ("HFRCB", "361125", "2017-06", "loans_total", "500000"),
            ("PYRCB", "361128", "2017-06", "loans_total", "5000"),
            ("PYRCB", "361128", "2017-06", "loans_agriculture", "1000"),
            ("PYRCB", "361128", "2017-06", "loans_poverty", "1200"),
        ], false).await;
        assert!(!outcome.report.applied);
        let message = "return PYRCB/361128000000/2017-06 fails rule poverty_within_agriculture \
            (loans_poverty <= loans_agriculture): loans_poverty = 1200.00 > 1000.00 = loans_agriculture";
        let reported: Vec<(u64, &str, &str, &str)> = outcome
            .report
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str(), e.value.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            reported,
            [(4, "value", "1000.00", message), (5, "value", "1200.00", message)],
            "on the rows of loans_agriculture and loans_poverty, not on the return's first row"
        );

        // A warning too: on the row of the element whose change it is.
        assert!(import_rows(&db, &[("PYRCB", "361128", "2017-05", "loans_total", "1000")], false).await.report.applied);
        let jump = import_rows(&db, &[
            ("PYRCB", "361128", "2017-06", "loans_agriculture", "1"),
            ("PYRCB", "361128", "2017-06", "loans_total", "5000"),
        ], false).await;
        let lines: Vec<(u64, &str)> = jump.report.errors.iter().map(|e| (e.line, e.value.as_str())).collect();
        assert_eq!(lines, [(3, "5000.00")], "{}", messages(&jump));
    }

    async fn a_month_on_month_jump_needs_confirmation_and_is_reported(db) {
        setup(&db).await;
        let may = import_rows(&db, &[("PYRCB", "361128", "2017-05", "loans_total", "1000000")], false).await;
        assert!(may.report.applied);
        let june: &[Row] = &[("PYRCB", "361128", "2017-06", "loans_total", "1500000")];
        let refused = import_rows(&db, june, false).await;
        assert!(!refused.report.applied);
        let text = messages(&refused);
        assert!(
            text.contains("return PYRCB/361128000000/2017-06 has a warning from rule loans_total_change \
                (month-on-month change of loans_total within 30%): 1000000.00 the month before, \
                1500000.00 now: +50.00%, beyond 30%; the file is accepted only with the warnings \
                confirmed"),
            "{text}"
        );
        assert_eq!(refused.warnings.len(), 1);
        assert_eq!(stored_returns(&db).await, 1, "June was not stored");

        let records = audit_records(&db).await;
        let confirmed = import_rows(&db, june, true).await;
        assert!(confirmed.report.applied, "{}", messages(&confirmed));
        assert!(confirmed.report.errors.is_empty());
        assert_eq!(confirmed.warnings.len(), 1, "reported although confirmed");
        assert!(confirmed.warnings[0].message.contains("+50.00%"));
        let recent = fupin_store::audit::recent(&db, 10).await.expect("recent");
        assert!(recent.iter().any(|r| r.entry.action == "return.confirm_warnings"));
        // return.submit, return_value.save and return.confirm_warnings.
        assert_eq!(audit_records(&db).await, records + 3);

        // A change within the threshold needs no confirmation; a month with a gap is not compared.
        let within = import_rows(&db, &[("PYRCB", "361128", "2017-07", "loans_total", "1800000")], false).await;
        assert!(within.report.applied, "{}", messages(&within));
        let gap = import_rows(&db, &[("PYRCB", "361128", "2017-09", "loans_total", "9000000")], false).await;
        assert!(gap.report.applied, "{}", messages(&gap));
        // Both months in one file: June is compared with May from the same file.
        let both = import_rows(&db, &[
            ("HFRCB", "361125", "2017-05", "loans_total", "100"),
            ("HFRCB", "361125", "2017-06", "loans_total", "200"),
        ], false).await;
        assert!(!both.report.applied);
        assert!(messages(&both).contains("HFRCB/361125000000/2017-06 has a warning"), "{}", messages(&both));
    }

    async fn approval_reopening_and_corrections_keep_history(db) {
        setup(&db).await;
        assert!(import_rows(&db, GOOD, false).await.report.applied);
        let k = key("PYRCB", "361128", "2017-06");

        let refused = returns::approve(&db, &bank("PYRCB"), &k).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        let approved = returns::approve(&db, &regulator(), &k).await.expect("approve");
        assert_eq!(approved.state, ReturnState::Approved);
        assert_eq!(approved.approved_by.as_deref(), Some("regulator:li"));
        let again = returns::approve(&db, &regulator(), &k).await;
        assert!(matches!(&again, Err(AppError::Conflict(m)) if m.contains("already approved")), "{again:?}");

        // A changed value for an approved return is refused, naming it; identical values pass.
        let changed: &[Row] = &[("PYRCB", "361128", "2017-06", "loans_total", "1100000")];
        let outcome = import_rows(&db, changed, false).await;
        assert!(!outcome.report.applied);
        assert!(messages(&outcome).contains(
            "return PYRCB/361128000000/2017-06 is approved: it must be reopened (with a reason) before its values can change"
        ), "{}", messages(&outcome));
        let same = import_rows(&db, GOOD, false).await;
        assert!(same.report.applied, "{}", messages(&same));
        let correction = Correction {
            element: "loans_total".into(),
            value: "1100000".into(),
            reason: Some("typo".into()),
            confirm_warnings: false,
        };
        let closed = returns::correct(&db, &operator(), &k, &correction).await;
        assert!(matches!(&closed, Err(AppError::Conflict(m)) if m.contains("reopen it")), "{closed:?}");

        let locked = returns::lock(&db, &regulator(), &k).await.expect("lock");
        assert_eq!(locked.state, ReturnState::Locked);
        let refused = returns::approve(&db, &regulator(), &k).await;
        assert!(matches!(&refused, Err(AppError::Conflict(m)) if m.contains("is locked")), "{refused:?}");
        let no_reason = returns::reopen(&db, &regulator(), &k, "  ").await;
        assert!(matches!(no_reason, Err(AppError::Field { .. })), "{no_reason:?}");
        let reopened = returns::reopen(&db, &regulator(), &k, "贷款余额填报错误 wrong total").await.expect("reopen");
        assert_eq!(reopened.state, ReturnState::Reopened);
        assert_eq!(reopened.reopen_reason.as_deref(), Some("贷款余额填报错误 wrong total"));
        assert_eq!((reopened.approved_by.as_deref(), reopened.locked_by.as_deref()), (None, None));

        // The bank corrects its own return; the reason defaults to the reopening's.
        let correction = Correction { reason: None, ..correction };
        let corrected = returns::correct(&db, &bank("PYRCB"), &k, &correction).await.expect("correct");
        assert_eq!(corrected.applied, Applied::Changed);
        assert_eq!((corrected.old_value, corrected.new_value), (Some(100_000_000), 110_000_000));
        let other_bank = returns::correct(&db, &bank("HFRCB"), &k, &correction).await;
        assert!(matches!(other_bank, Err(AppError::NotFound(_))), "{other_bank:?}");
        // A correction that breaks an error rule is refused and changes nothing.
        let breaking = Correction { element: "涉农贷款余额".into(), value: "2000000".into(), ..correction.clone() };
        let broken = returns::correct(&db, &operator(), &k, &breaking).await;
        assert!(matches!(&broken, Err(AppError::Conflict(m)) if m.contains("agriculture_within_total")), "{broken:?}");

        // A file into the reopened return is accepted and its change kept too.
        let file = import_rows(&db, &[("PYRCB", "361128", "2017-06", "loans_poverty", "250000")], false).await;
        assert!(file.report.applied, "{}", messages(&file));
        assert_eq!(file.report.counts.changed, 1);

        let detail = returns::show(&db, &regulator(), &k).await.expect("show");
        let history: Vec<(String, i64, i64, String, String)> = detail
            .history
            .iter()
            .map(|c| (c.element_code.to_string(), c.old_value, c.new_value, c.changed_by.clone(), c.reason.clone()))
            .collect();
        assert_eq!(
            history,
            [
                ("loans_total".into(), 100_000_000, 110_000_000, "bank:wang".into(), "贷款余额填报错误 wrong total".into()),
                ("loans_poverty".into(), 20_000_050, 25_000_000, "cli:tester".into(), "resubmitted in a returns file".into()),
            ]
        );
        let value = |code: &str| detail.values.iter().find(|v| v.element.code.as_str() == code).map(|v| v.value);
        assert_eq!(value("loans_total"), Some(110_000_000));
        assert_eq!(value("loans_agriculture"), Some(60_000_000), "the refused correction left nothing");

        let reapproved = returns::approve(&db, &regulator(), &k).await.expect("approve again");
        assert_eq!(reapproved.state, ReturnState::Approved);
        assert_eq!(reapproved.reopen_reason.as_deref(), Some("贷款余额填报错误 wrong total"));
        let recent = fupin_store::audit::recent(&db, 50).await.expect("recent");
        for action in ["return.approve", "return.lock", "return.reopen", "return_value.save"] {
            assert!(recent.iter().any(|r| r.entry.action == action), "{action} audited");
        }
    }

    async fn approval_is_refused_while_an_error_rule_fails(db) {
        setup(&db).await;
        assert!(import_rows(&db, GOOD, false).await.report.applied);
        let k = key("PYRCB", "361128", "2017-06");
        let rule = NewRule {
            code: "total_within_agriculture".into(),
            description: "a deliberately wrong rule".into(),
            spec: RuleSpec::Compare("loans_total<=loans_agriculture".into()),
            severity: "error".into(),
            active: true,
        };
        let (saved, applied) = returns::define_rule(&db, &regulator(), &rule).await.expect("define");
        assert_eq!((saved.check.to_string().as_str(), applied), ("loans_total <= loans_agriculture", Applied::Added));
        let detail = returns::show(&db, &operator(), &k).await.expect("show");
        let result = detail.rules.iter().find(|r| r.rule_code == "total_within_agriculture").expect("evaluated");
        assert!(result.failed());
        let refused = returns::approve(&db, &regulator(), &k).await;
        assert!(matches!(&refused, Err(AppError::Conflict(m)) if m.contains("cannot be approved")), "{refused:?}");
        let inactive = NewRule { active: false, ..rule.clone() };
        assert_eq!(returns::define_rule(&db, &regulator(), &inactive).await.expect("deactivate").1, Applied::Changed);
        assert_eq!(returns::define_rule(&db, &regulator(), &inactive).await.expect("again").1, Applied::Unchanged);
        returns::approve(&db, &regulator(), &k).await.expect("approved once the rule is inactive");

        // Rules must name known elements of one unit.
        let unknown = NewRule { spec: RuleSpec::Compare("loans_x <= loans_total".into()), ..rule.clone() };
        let error = returns::define_rule(&db, &regulator(), &unknown).await.expect_err("unknown");
        assert!(error.to_string().contains("loans_x is not a data element"), "{error}");
        let mixed = NewRule { spec: RuleSpec::Compare("borrowers_poverty <= loans_total".into()), ..rule.clone() };
        let error = returns::define_rule(&db, &regulator(), &mixed).await.expect_err("mixed");
        assert!(error.to_string().contains("different units"), "{error}");
        let bank_rule = returns::define_rule(&db, &bank("PYRCB"), &rule).await;
        assert!(matches!(bank_rule, Err(AppError::Forbidden(_))));
        let change = NewRule {
            code: "deposits_change".into(),
            spec: RuleSpec::Change { element: "deposits_total".into(), threshold: "12.5".into() },
            severity: "warning".into(),
            ..rule
        };
        let (saved, _) = returns::define_rule(&db, &regulator(), &change).await.expect("change rule");
        assert_eq!(saved.check.to_string(), "month-on-month change of deposits_total within 12.5%");
        let rules = returns::list_rules(&db, &operator()).await.expect("rules");
        assert!(rules.iter().any(|r| r.code == "deposits_change" && !r.builtin));
        assert!(rules.iter().any(|r| r.code == "poverty_within_agriculture" && r.builtin));
    }

    async fn data_elements_are_data(db) {
        setup(&db).await;
        let element = NewElement {
            code: "loans_tea".into(),
            name: "茶产业贷款余额".into(),
            name_en: Some("Tea industry loans".into()),
            unit: "yuan".into(),
            description: None,
        };
        let (saved, applied) = returns::define_element(&db, &regulator(), &element).await.expect("define");
        assert_eq!((saved.unit.as_str(), applied), ("yuan", Applied::Added));
        assert_eq!(returns::define_element(&db, &regulator(), &element).await.expect("again").1, Applied::Unchanged);
        let outcome = import_rows(&db, &[("PYRCB", "361128", "2017-06", "茶产业贷款余额", "12345.67")], false).await;
        assert!(outcome.report.applied, "{}", messages(&outcome));
        let recount = NewElement { unit: "count".into(), ..element.clone() };
        let refused = returns::define_element(&db, &regulator(), &recount).await;
        assert!(matches!(&refused, Err(AppError::Conflict(m)) if m.contains("its unit cannot change")), "{refused:?}");
        let bad = NewElement { code: "Loans Tea".into(), ..element.clone() };
        assert!(matches!(returns::define_element(&db, &regulator(), &bad).await, Err(AppError::Field { .. })));
        let by_bank = returns::define_element(&db, &bank("PYRCB"), &element).await;
        assert!(matches!(by_bank, Err(AppError::Forbidden(_))));
        let elements = returns::list_elements(&db, &operator()).await.expect("elements");
        for code in ["loans_total", "loans_agriculture", "loans_poverty", "deposits_total", "borrowers_poverty", "loans_tea"] {
            assert!(elements.iter().any(|e| e.code.as_str() == code), "{code}");
        }
    }

    async fn scope_and_roles(db) {
        setup(&db).await;
        assert!(import_rows(&db, GOOD, false).await.report.applied);
        // A bank submits only its own returns.
        let other = import_text(&db, &bank("PYRCB"), &csv(&[("HFRCB", "361125", "2017-07", "loans_total", "1")]), false).await;
        assert!(!other.report.applied);
        assert!(messages(&other).contains("a bank user of PYRCB cannot submit returns of institution HFRCB"), "{}", messages(&other));
        let own = import_text(&db, &bank("PYRCB"), &csv(&[("PYRCB", "361128", "2017-07", "loans_total", "1000000")]), false).await;
        assert!(own.report.applied, "{}", messages(&own));
        // …and sees only them.
        let listed = returns::list(&db, &bank("PYRCB"), &ReturnQuery::default()).await.expect("list");
        assert!(listed.iter().all(|r| r.header.key.institution_code == "PYRCB") && listed.len() == 2);
        let asked = ReturnQuery { institution: Some("HFRCB".into()), ..ReturnQuery::default() };
        assert!(matches!(returns::list(&db, &bank("PYRCB"), &asked).await, Err(AppError::NotFound(_))));
        let hidden = returns::show(&db, &bank("PYRCB"), &key("HFRCB", "361125", "2017-06")).await;
        assert!(matches!(hidden, Err(AppError::NotFound(_))));
        // A county regulator sees its county.
        let county = ctx_of("regulator:hf", Role::Regulator, Some("361125"), None);
        let listed = returns::list(&db, &county, &ReturnQuery::default()).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].header.key.institution_code, "HFRCB");
        let outside = ReturnQuery { county_prefix: Some("361128".into()), ..ReturnQuery::default() };
        assert!(matches!(returns::list(&db, &county, &outside).await, Err(AppError::NotFound(_))));
        let approve_outside = returns::approve(&db, &county, &key("PYRCB", "361128", "2017-06")).await;
        assert!(matches!(approve_outside, Err(AppError::NotFound(_))));
        // Other roles do not touch returns.
        let office = ctx_of("office:zhao", Role::PovertyOffice, None, None);
        assert!(matches!(returns::list(&db, &office, &ReturnQuery::default()).await, Err(AppError::Forbidden(_))));
        let by_office = import_text(&db, &office, &csv(&[("PYRCB", "361128", "2017-08", "loans_total", "1")]), false).await;
        assert!(messages(&by_office).contains("the poverty_office role does not submit or correct returns"));
        // Filters.
        let query = ReturnQuery {
            from: Some(fupin_core::date::Month::parse("2017-07").unwrap()),
            state: Some(ReturnState::Submitted),
            ..ReturnQuery::default()
        };
        let listed = returns::list(&db, &operator(), &query).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].header.key.period.to_string(), "2017-07");
        let prefix = ReturnQuery { county_prefix: Some("36112".into()), ..ReturnQuery::default() };
        assert_eq!(returns::list(&db, &operator(), &prefix).await.expect("list").len(), 3);
        let bad = ReturnQuery { county_prefix: Some("36%".into()), ..ReturnQuery::default() };
        assert!(matches!(returns::list(&db, &operator(), &bad).await, Err(AppError::Field { .. })));
    }

    async fn element_totals_as_of_dates(db) {
        setup(&db).await;
        let rows: Vec<Row> = FACTS
            .iter()
            .map(|(institution, county, period, element, yuan)| (*institution, *county, *period, *element, *yuan))
            .collect();
        let outcome = import_rows(&db, &rows, true).await;
        assert!(outcome.report.applied, "{}", messages(&outcome));
        // Approve the returns of PYRCB, so that the others stay provisional.
        for (institution, county, period, _, _) in FACTS {
            if *institution == "PYRCB" {
                let k = key(institution, county, period);
                let header = returns::show(&db, &operator(), &k).await.expect("show").header;
                if header.state != ReturnState::Approved {
                    returns::approve(&db, &operator(), &k).await.expect("approve");
                }
            }
        }
        let as_of_dates = [
            ("1900-01-15", None),
            ("2016-10-31", Some("2016-10")),
            ("2016-11-30", Some("2016-11")),
            ("2016-12-30", Some("2016-11")),
            ("2016-12-31", Some("2016-12")),
            ("2017-01-31", Some("2017-01")),
            ("2017-03-31", Some("2017-03")),
            ("2017-06-15", Some("2017-05")),
            ("2017-06-30", Some("2017-06")),
            ("2018-01-01", Some("2017-12")),
        ];
        let prefixes = ["", "36", "3611", "36112", "361128", "361121", "361102", "361181"];
        let institutions = [None, Some("PYRCB"), Some("ABC-SR"), Some("PSBC-SR")];
        for element in ["loans_total", "loans_agriculture"] {
            for (as_of, cutoff) in as_of_dates {
                for prefix in prefixes {
                    for institution in institutions {
                        let (expected, values, provisional) =
                            expected_total(element, prefix, institution, cutoff);
                        let total = returns::element_total_as_of(&db, element, prefix, institution, date(as_of))
                            .await
                            .expect("total");
                        assert_eq!(
                            total,
                            expected.map(Fen::new),
                            "{element} {prefix:?} {institution:?} as of {as_of}"
                        );
                        let figure = returns::element_figure_as_of(&db, element, prefix, institution, date(as_of))
                            .await
                            .expect("figure");
                        assert_eq!(
                            (figure.total.values, figure.total.provisional),
                            (values, provisional),
                            "{element} {prefix:?} {institution:?} as of {as_of}"
                        );
                        assert_eq!(figure.up_to.map(|m| m.to_string()).as_deref(), cutoff);
                    }
                }
            }
        }
        // The four poverty counties on the article's dates, by hand: 2017-06-30 and 2016-12-31.
        let mut poverty_counties = (0i64, 0i64);
        for county in ["361121", "361125", "361127", "361128"] {
            let june = returns::element_total_as_of(&db, "loans_total", county, None, date("2017-06-30")).await.expect("june");
            let base = returns::element_total_as_of(&db, "loans_total", county, None, date("2016-12-31")).await.expect("base");
            poverty_counties.0 += june.map_or(0, Fen::fen);
            poverty_counties.1 += base.map_or(0, Fen::fen);
        }
        // 2017-06: PYRCB/361128 3,000,000 + ABC-SR/361128 2,100,000 (May: latest ≤ June) +
        // ABC-SR/361121 800,000 + PSBC-SR/361125 400,000 (March).
        assert_eq!(poverty_counties.0, (3_000_000 + 2_100_000 + 800_000 + 400_000) * 100);
        // 2016-12: PYRCB/361128 2,000,000 + ABC-SR/361128 1,500,000 (November) + ABC-SR/361121 600,000.
        assert_eq!(poverty_counties.1, (2_000_000 + 1_500_000 + 600_000) * 100);
        // Counts are not money.
        let counted = returns::element_total_as_of(&db, "borrowers_poverty", "", None, date("2017-06-30")).await;
        assert!(matches!(counted, Err(AppError::Field { .. })), "{counted:?}");
        let figure = returns::element_figure_as_of(&db, "borrowers_poverty", "3611", None, date("2017-06-30")).await.expect("count");
        assert_eq!(figure.text().as_deref(), Some("42"));
        let unknown = returns::element_total_as_of(&db, "loans_x", "", None, date("2017-06-30")).await;
        assert!(matches!(unknown, Err(AppError::Field { .. })));
        let bad_prefix = returns::element_total_as_of(&db, "loans_total", "36_", None, date("2017-06-30")).await;
        assert!(matches!(bad_prefix, Err(AppError::Field { .. })));
    }

    async fn reported_figures_are_kept_beside(db) {
        setup(&db).await;
        let figure = NewReportedFigure {
            indicator: "poverty_loan_growth".into(),
            region: None,
            group: Some(fupin_app::territory::STATE_POVERTY_COUNTIES.into()),
            as_of: Some(date("2017-06-30")),
            value: "8.65".into(),
            unit: "percent".into(),
            source: "上饶银监分局 press release, July 2017".into(),
            note: Some("3.866 / (35.996 - 3.866) is 12.03 %".into()),
        };
        let (saved, applied) = returns::record_reported_figure(&db, &regulator(), &figure).await.expect("record");
        assert_eq!((saved.value.as_str(), saved.value.scale(), applied), ("8.65", 2, Applied::Added));
        assert_eq!(returns::record_reported_figure(&db, &regulator(), &figure).await.expect("again").1, Applied::Unchanged);
        let corrected = NewReportedFigure { value: "8.650".into(), ..figure.clone() };
        let (saved_again, applied) = returns::record_reported_figure(&db, &regulator(), &corrected).await.expect("change");
        assert_eq!((saved_again.id, applied), (saved.id, Applied::Changed));
        let by_region = NewReportedFigure {
            indicator: "loans_total_balance".into(),
            region: Some("361128".into()),
            group: None,
            value: "35.996".into(),
            unit: "yi_yuan".into(),
            note: None,
            ..figure.clone()
        };
        returns::record_reported_figure(&db, &regulator(), &by_region).await.expect("region");
        let listed = returns::list_reported_figures(&db, &regulator(), None, None).await.expect("list");
        assert_eq!(listed.len(), 2);
        let only = returns::list_reported_figures(&db, &regulator(), Some("poverty_loan_growth"), None).await.expect("list");
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].value.as_str(), "8.650");
        let refusals = [
            (NewReportedFigure { region: Some("361128".into()), ..figure.clone() }, "not both or neither"),
            (NewReportedFigure { group: None, ..figure.clone() }, "not both or neither"),
            (NewReportedFigure { value: "8.65%".into(), ..figure.clone() }, "not an exact decimal"),
            (NewReportedFigure { unit: "亿".into(), ..figure.clone() }, "is not one of"),
            (NewReportedFigure { indicator: "Poverty Growth".into(), ..figure.clone() }, "not an indicator code"),
            (NewReportedFigure { source: " ".into(), ..figure.clone() }, "source"),
            (NewReportedFigure { group: Some("no-such-group".into()), ..figure.clone() }, "region group no-such-group not found"),
        ];
        for (bad, expected) in refusals {
            let error = returns::record_reported_figure(&db, &regulator(), &bad).await.expect_err(expected);
            assert!(error.to_string().contains(expected), "{expected}: {error}");
        }
        let by_bank = returns::record_reported_figure(&db, &bank("PYRCB"), &figure).await;
        assert!(matches!(by_bank, Err(AppError::Forbidden(_))));
    }
}

// ---- a hand-made set of returns and the totals expected of it -------------------------------

/// (institution, county, period, element, yuan)
const FACTS: &[(&str, &str, &str, &str, &str)] = &[
    ("PYRCB", "361128", "2016-11", "loans_total", "1900000"),
    ("PYRCB", "361128", "2016-12", "loans_total", "2000000"),
    ("PYRCB", "361128", "2016-12", "loans_agriculture", "1200000"),
    ("PYRCB", "361128", "2017-03", "loans_total", "2500000"),
    ("PYRCB", "361128", "2017-06", "loans_total", "3000000"),
    ("PYRCB", "361128", "2017-06", "loans_agriculture", "1800000"),
    ("PYRCB", "361128", "2017-06", "borrowers_poverty", "42"),
    ("ABC-SR", "361128", "2016-11", "loans_total", "1500000"),
    ("ABC-SR", "361128", "2017-05", "loans_total", "2100000"),
    ("ABC-SR", "361128", "2017-05", "loans_agriculture", "900000"),
    ("ABC-SR", "361121", "2016-12", "loans_total", "600000"),
    ("ABC-SR", "361121", "2017-06", "loans_total", "800000"),
    ("ABC-SR", "361102", "2017-01", "loans_total", "5000000"),
    ("ABC-SR", "361102", "2017-06", "loans_total", "5500000"),
    ("ABC-SR", "361102", "2017-06", "loans_agriculture", "700000"),
    ("PSBC-SR", "361125", "2017-03", "loans_total", "400000"),
    (
        "PSBC-SR",
        "361125",
        "2017-03",
        "loans_agriculture",
        "300000",
    ),
    ("PSBC-SR", "361181", "2017-07", "loans_total", "999999.99"),
];

/// Sum in fen, number of institution-county values summed, how many of them come from returns
/// not approved (every institution but PYRCB) — by plain loops over [`FACTS`].
fn expected_total(
    element: &str,
    prefix: &str,
    institution: Option<&str>,
    cutoff: Option<&str>,
) -> (Option<i64>, i64, i64) {
    let Some(cutoff) = cutoff else {
        return (None, 0, 0);
    };
    let mut latest: std::collections::BTreeMap<(&str, &str), (&str, i64)> = Default::default();
    for (inst, county, period, fact_element, yuan) in FACTS {
        let wanted = *fact_element == element
            && county.starts_with(prefix)
            && institution.is_none_or(|i| i == *inst)
            && *period <= cutoff;
        if !wanted {
            continue;
        }
        let fen = (yuan.parse::<f64>().expect("yuan") * 100.0).round() as i64;
        let entry = latest.entry((inst, county)).or_insert((period, fen));
        if *period >= entry.0 {
            *entry = (period, fen);
        }
    }
    if latest.is_empty() {
        return (None, 0, 0);
    }
    let total = latest.values().map(|(_, fen)| fen).sum();
    let provisional = latest.keys().filter(|(inst, _)| *inst != "PYRCB").count() as i64;
    (Some(total), latest.len() as i64, provisional)
}
