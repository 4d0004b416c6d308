//! The demo at a hundredth of the households and loans: the territory stays full size, so the
//! article's structural figures come out exactly on both engines; the scaled ones are the
//! hundredth the generator promises. And the same seed writes the same files.

use std::collections::HashMap;
use std::path::Path;

use fupin_app::demo::{self, DemoOptions};
use fupin_app::indicators::{self, Request, Scope};
use fupin_app::progress::Progress;
use fupin_app::regions::RegionQuery;
use fupin_app::{Actor, Ctx, Db};
use fupin_core::{BusinessDate, RegionCode, RegionLevel};

fn ctx() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2017-07-01T09:00:00.000Z".into(),
        request_id: None,
    }
}

fn as_of() -> BusinessDate {
    BusinessDate::parse("2017-06-30").expect("date")
}

fn options(dir: &Path, scale: f64) -> DemoOptions {
    DemoOptions {
        seed: 7,
        scale,
        workdir: dir.to_path_buf(),
        live: Progress::default(),
    }
}

/// Indicator values (as printed) and whether a reported figure differs, by code.
async fn figures(db: &Db, scope: Scope) -> HashMap<String, (Option<String>, bool)> {
    let request = Request {
        scope,
        as_of: as_of(),
        base: None,
        institution: None,
        codes: None,
    };
    indicators::evaluate(db, &ctx(), &request)
        .await
        .expect("indicators")
        .into_iter()
        .map(|v| {
            let differs = v.reported.as_ref().is_some_and(|r| r.differs);
            (v.indicator.code.clone(), (v.text(), differs))
        })
        .collect()
}

fn region(text: &str) -> Scope {
    Scope::Region(RegionCode::parse(text).expect("code"))
}

fn assert_figure(figures: &HashMap<String, (Option<String>, bool)>, code: &str, expected: &str) {
    let value = figures.get(code).and_then(|(v, _)| v.as_deref());
    assert_eq!(value, Some(expected), "{code}");
}

fupin_store::on_both_engines! {
    async fn demo_at_a_hundredth_keeps_the_territory_exact(db) {
        let dir = tempfile::tempdir().expect("dir");
        let mut steps = Vec::new();
        let outcome = demo::run(&db, &ctx(), &options(dir.path(), 0.01), &mut |step| {
            steps.push(step.name.clone())
        })
        .await
        .expect("the demo runs");
        assert!(steps.iter().any(|s| s.starts_with("import households-361128")));
        assert!(steps.iter().any(|s| s.starts_with("end of day")));
        assert_eq!(outcome.users.len(), 5);

        let counties = fupin_app::regions::list(&db, &RegionQuery {
            level: Some(RegionLevel::County),
            within: RegionCode::parse("3611").ok(),
            as_of: Some(as_of()),
            limit: None,
        })
        .await
        .expect("counties");
        assert_eq!(counties.len(), 12);
        let group = fupin_app::territory::group_members_on(&db, "state-poverty-counties", as_of())
            .await
            .expect("group");
        assert_eq!(group.len(), 4);

        // The alerts find exactly what the demo planted, no more, no fewer: three loans whose
        // purpose hands the money to a cooperative (户贷企用), two loans whose borrower's head the
        // registry records as deceased on 2017-05-20, and one household borrowing from its
        // county's bank and the Postal Savings Bank (one alert per loan: two). Every other rule
        // finds nothing in the demo's book. The kinds the demo cannot plant through its files
        // are those the loans importer refuses at disbursement (amount or term above the cap, a
        // borrower not registered or outside 18–65 on the start date) and the subsidy on
        // overdue days (Fupin computes the claims itself, without those days).
        let alerts = fupin_app::alerts::list(&db, &ctx(), &fupin_app::alerts::ListQuery::default())
            .await
            .expect("alerts");
        let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
        for alert in &alerts {
            *by_rule.entry(alert.rule_code.as_str()).or_default() += 1;
        }
        let expected: std::collections::BTreeMap<&str, usize> =
            [("DECEASED", 2), ("MULTI_BANK", 2), ("PURPOSE_ENTERPRISE", 3)].into();
        assert_eq!(by_rule, expected, "{alerts:#?}");
        let of = |rule: &'static str| alerts.iter().filter(move |a| a.rule_code == rule);
        assert!(of("PURPOSE_ENTERPRISE").all(|a| a.evidence_json.contains("合作社统一经营")));
        assert!(of("DECEASED").all(|a| a.evidence_json.contains("\"borrower_died_on\":\"2017-05-20\"")));
        let banks: std::collections::BTreeSet<&str> =
            of("MULTI_BANK").filter_map(|a| a.institution_code.as_deref()).collect();
        assert!(banks.contains("PSBC-SR") && banks.len() == 2, "{banks:?}");

        // Spouses co-borrow micro-credit loans in good standing, and the city's guarantee
        // company guarantees half of a few enterprise loans in every county (#26).
        let pool = db.pool();
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.expect(sql)
        };
        let co_borrowers = count("select count(*) from loan_co_borrowers where relation = 'spouse' and household_id is not null").await;
        assert!(co_borrowers >= 12, "{co_borrowers} co-borrowing spouses");
        let company = count("select count(*) from loan_guarantees g join loans l on l.id = g.loan_id where g.guarantor_type = 'company' and g.guarantor_id = 'SRFG' and l.borrower_type = 'enterprise'").await;
        assert!(company >= 3, "{company} enterprise loans guaranteed by the company");

        // The maturity wall: principal falls due in the months after 2017-06-30 (the 12-month
        // industry loans of 2016-17 in the first, the micro-credit of 2016 in 2019), and two
        // borrowers whose loans mature in the next quarter ask for a renewal and an extension,
        // listed with their names.
        let wall = fupin_app::loans::maturity::wall_for(&db, &ctx(), None, as_of()).await.expect("wall");
        let months_due = wall.month_totals().iter().filter(|fen| fen.is_positive()).count();
        assert!(months_due >= 6, "{months_due} months with principal due: {:?}", wall.month_totals());
        let pending = fupin_app::loans::requests::list_for(&db, &ctx(), None, Some("pending"))
            .await
            .expect("requests");
        let mut kinds: Vec<&str> = pending.iter().map(|r| r.request.kind.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, ["extension", "renewal"]);
        for request in &pending {
            assert!(!request.borrower_name.is_empty() && request.borrower_name != request.borrower_id, "{request:?}");
            assert!(request.maturity_on > as_of() && request.maturity_on <= BusinessDate::parse("2017-09-30").expect("date"));
        }

        let city = figures(&db, region("361100")).await;
        for (code, expected) in [
            ("townships_total", "210"),
            ("townships_assigned", "210"),
            ("townships_assigned_rural_cooperative", "155"),
            ("townships_assigned_large_commercial", "43"),
            ("townships_assigned_postal_savings", "12"),
            ("villages_total", "2173"),
            ("villages_with_outlet", "252"),
            ("villages_with_electronic_only", "1921"),
            ("village_service_coverage", "100.00"),
            // A hundredth of the 380,300, county by county, and of the population.
            ("poor_population", "3803"),
            ("resident_population", "67200"),
            ("poor_population_share", "5.66"),
            ("loans_total_growth", "10.98"),
        ] {
            assert_figure(&city, code, expected);
        }
        let group = figures(&db, Scope::Group("state-poverty-counties".into())).await;
        assert_figure(&group, "loans_total_balance", "359960000.00");
        assert_figure(&group, "loans_total_growth", "12.03");
        assert_figure(&group, "loans_total_growth_gap_pp", "1.05");
        assert!(group["loans_total_growth"].1, "8.65 % is flagged");
        assert!(!group["loans_total_growth_gap_pp"].1, "1.05 agrees");

        let wuyuan = figures(&db, region("361130")).await;
        assert_figure(&wuyuan, "microcredit_balance", "1300000.00");
        assert_figure(&wuyuan, "microcredit_households", "51");
        let hengfeng = figures(&db, region("361125")).await;
        assert_figure(&hengfeng, "beautiful_village_loans_disbursed_cumulative", "7000000.00");
        let shangrao_county = figures(&db, region("361121")).await;
        assert_figure(&shangrao_county, "breeding_bases", "10");
        assert_figure(&shangrao_county, "people_lifted_by_enterprises", "78");
        // The overdue commercial loan: 2,000,000 at 6 %, due 2017-04-20, three days' grace; a
        // day's penalty 2,000,000 × 6 % × 1.5 / 360 = 500.00, from 24 April to 30 June: 68 days.
        assert_figure(&shangrao_county, "penalty_interest_outstanding", "34000.00");
        // The graced loans, prepaid on 2017-06-20 (six months of interest only, then 1/18 a
        // month). 1,200,000: four principals of 66,666.67 (April to July's, current) and
        // 300,000 ahead leave 633,333.32 to the same maturity. 900,000: three of 50,000 (May to
        // July's) and 200,000 ahead leave 550,000, at 50,000 a month 11 months from 2017-07-15.
        let filter = fupin_app::loans::LoanFilter {
            product: Some("SRX-KXQ".to_string()), // the demo's graced product
            limit: 10,
            ..Default::default()
        };
        let mut graced = Vec::new();
        for loan in fupin_app::loans::list(&db, &filter).await.expect("loans") {
            let detail = fupin_app::loans::detail(&db, &loan.terms.institution_code, &loan.terms.contract_no)
                .await
                .expect("detail");
            let version = detail.schedule_versions.first().expect("a prepayment's schedule");
            graced.push((
                loan.terms.principal.to_plain_yuan(),
                version.prepayment_option.clone().unwrap_or_default(),
                version.principal.to_plain_yuan(),
                detail.loan.terms.maturity_on.to_string(),
                detail.principal_outstanding.to_plain_yuan(),
            ));
        }
        graced.sort();
        let expected = [
            ("1200000.00", "keep_term", "633333.32", "2018-09-15", "633333.32"),
            ("900000.00", "keep_instalment", "550000.00", "2018-06-15", "550000.00"),
        ];
        let expected: Vec<(String, String, String, String, String)> = expected
            .iter()
            .map(|(a, b, c, d, e)| (a.to_string(), b.to_string(), c.to_string(), d.to_string(), e.to_string()))
            .collect();
        assert_eq!(graced, expected);
        assert_figure(&city, "characteristic_loans_disbursed_cumulative", "50680000.00");

        if db.engine() == fupin_store::Engine::Postgres {
            // Its imports leave the planner statistics of what they grew (`Db::commit_bulk`):
            // at this scale only the territory file, 2,383 townships and villages in one
            // import, passes the threshold; each county's loans file is a few hundred rows.
            let columns: i64 = sqlx::query_scalar(
                "select count(*) from pg_stats where schemaname = 'public' \
                 and tablename = 'regions'",
            )
            .fetch_one(db.pool())
            .await
            .expect("pg_stats");
            assert!(columns > 0, "regions has statistics");
        }

        // The demo refuses to run twice on one database.
        let again = demo::run(&db, &ctx(), &options(dir.path(), 0.01), &mut |_| {}).await;
        assert!(matches!(again, Err(fupin_app::AppError::Conflict(_))), "{again:?}");
    }
}

fn file_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("read"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_same_seed_writes_the_same_files() {
    let (first, second, other) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    demo::generate(&options(first.path(), 0.02), &mut |_| {}).expect("generate");
    demo::generate(&options(second.path(), 0.02), &mut |_| {}).expect("generate");
    let mut different = options(other.path(), 0.02);
    different.seed = 8;
    demo::generate(&different, &mut |_| {}).expect("generate");
    let (a, b, c) = (
        file_bytes(first.path()),
        file_bytes(second.path()),
        file_bytes(other.path()),
    );
    assert!(a.len() > 20, "{} files", a.len());
    assert_eq!(a, b);
    assert_ne!(a, c);
}

/// Peak resident memory of this process (Linux), in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn generating_streams_the_files() {
    // nextest runs each test in its own process, so the peak is this generation's.
    let dir = tempfile::tempdir().expect("dir");
    let generated = demo::generate(&options(dir.path(), 0.2), &mut |_| {}).expect("generate");
    assert!(generated.registry.members > 90_000);
    if let Some(peak) = peak_kib() {
        // A fifth of Shangrao's registry is some 30 MB of files; what is kept is the territory
        // and a fixed table of ID number counters.
        assert!(peak < 64 * 1024, "peak resident memory {peak} KiB");
    }
}
