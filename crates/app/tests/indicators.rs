//! Every listed indicator on a hand-made data set, on both engines, as of the end of June 2017,
//! at a past date and for a region group. The expected values are derived in the comments from
//! the facts written into the files below, not with Fupin's code.
//!
//! Facts: two counties — Poyang 361128 (a state-level poverty county, population 300) and Wuyuan
//! 361130 (population 100). Townships 361128100 (PYRCB from 2016), 361128101 (PSBC from
//! 2017-03-01), 361130100 (ABC from 2016). Villages: 361128100001 outlet, 361128100002 ATM from
//! 2017-02-01, 361128101001 none, 361130100001 withdrawal point.

mod common;

use std::collections::HashMap;

use common::*;
use fupin_app::funds;
use fupin_app::imports::ImportOptions;
use fupin_app::imports::credit::{CreditFileImporter, CreditLineImporter};
use fupin_app::imports::funds::DepositImporter;
use fupin_app::imports::loans::{LoanImporter, ProductImporter};
use fupin_app::imports::registry::{EnterpriseImporter, EnterpriseLinkImporter, import_households};
use fupin_app::imports::territory::{
    AssignmentImporter, InstitutionImporter, RegionImporter, ServicePointImporter,
};
use fupin_app::indicators::{self, Request, Scope};
use fupin_app::loans;
use fupin_app::{Db, returns};
use fupin_core::RegionCode;
use fupin_core::date::Quarter;

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region code")
}

async fn import_registry(db: &Db, dir: &std::path::Path, name: &str, rows: &str, as_of: &str) {
    let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,exited_year,identified_on,per_capita_income,labour\n";
    let file = write(dir, name, &format!("{header}{rows}"));
    let report = import_households(db, &ctx(), &file, &ImportOptions::default(), date(as_of))
        .await
        .expect("households");
    assert_applied(&report);
}

/// One member row: (name, birth YYYYMMDD, ID sequence, relation) and the household's
/// (status, exited year, identification date).
fn member(
    household: &str,
    village: &str,
    person: (&str, &str, &str, &str),
    standing: (&str, &str, &str),
) -> String {
    let (name, birth, sequence, relation) = person;
    let (status, exited, identified) = standing;
    format!(
        "{household},{village},{name},{},{relation},general,illness,{status},{exited},{identified},2100,normal\n",
        resident_id(birth, sequence)
    )
}

async fn build(db: &Db, dir: &std::path::Path) {
    fupin_app::regions::load_reference_data(db, &ctx())
        .await
        .expect("reference");
    fupin_app::territory::load_builtin_groups(db, &ctx())
        .await
        .expect("groups");
    indicators::load_builtin(db, &ctx())
        .await
        .expect("indicators");
    let regions = "code,name,population\n361128,鄱阳县,300\n361130,婺源县,100\n361128100,饶州街道,\n361128101,鸦鹊湖乡,\n361130100,紫阳镇,\n\
        361128100001,东湖村,\n361128100002,西湖村,\n361128101001,鸦鹊村,\n361130100001,紫阳村,\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "regions.csv", regions),
            RegionImporter::default(),
        )
        .await,
    );
    let banks = "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\nWYRCB,婺源农商银行,rural_cooperative,361130\n\
        ABC,农业银行,large_commercial,361100\nPSBC,邮储银行,postal_savings,361100\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "institutions.csv", banks),
            InstitutionImporter::default(),
        )
        .await,
    );
    let assignments = "township_code,institution_code,effective_from\n361128100,PYRCB,2016-01-01\n361128101,PSBC,2017-03-01\n361130100,ABC,2016-01-01\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "assignments.csv", assignments),
            AssignmentImporter::default(),
        )
        .await,
    );
    let points = "id,village_code,institution_code,kind,opened_on\nS1,361128100001,PYRCB,outlet,2015-01-01\nS2,361128100002,PYRCB,atm,2017-02-01\nS3,361130100001,WYRCB,withdrawal_point,2014-01-01\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "points.csv", points),
            ServicePointImporter::default(),
        )
        .await,
    );

    // Registry at the end of 2016: H1 poor (3 people), H2 relapsed (2), H3 exited in 2016 (4),
    // H4 poor in Wuyuan (1).
    let v1 = "361128100001";
    let v2 = "361128100002";
    let v3 = "361128101001";
    let mut rows = String::new();
    rows += &member(
        "H1",
        v1,
        ("张一", "19700101", "011", "head"),
        ("poor", "", "2015-10-01"),
    );
    rows += &member(
        "H1",
        v1,
        ("王一", "19720101", "022", "spouse"),
        ("poor", "", "2015-10-01"),
    );
    rows += &member(
        "H1",
        v1,
        ("张小一", "20000101", "031", "child"),
        ("poor", "", "2015-10-01"),
    );
    rows += &member(
        "H2",
        v2,
        ("李二", "19650101", "041", "head"),
        ("relapsed", "", "2015-10-01"),
    );
    rows += &member(
        "H2",
        v2,
        ("赵二", "19660101", "042", "spouse"),
        ("relapsed", "", "2015-10-01"),
    );
    for (n, (name, birth)) in [
        ("刘三", "19600101"),
        ("陈三", "19620101"),
        ("刘小三", "19900101"),
        ("刘小四", "19920101"),
    ]
    .iter()
    .enumerate()
    {
        let relation = if n == 0 { "head" } else { "child" };
        rows += &member(
            "H3",
            v3,
            (name, birth, &format!("05{n}"), relation),
            ("exited", "2016", "2015-10-01"),
        );
    }
    import_registry(db, dir, "registry-2016.csv", &rows, "2016-12-31").await;
    let wuyuan = member(
        "H4",
        "361130100001",
        ("周四", "19800101", "061", "head"),
        ("poor", "", "2015-10-01"),
    );
    import_registry(db, dir, "registry-wuyuan.csv", &wuyuan, "2016-12-31").await;
    // Mid-2017 extract of Poyang's villages: H1 exited in 2017; H5 (2 people) identified 1 May.
    let mut rows = String::new();
    rows += &member(
        "H1",
        v1,
        ("张一", "19700101", "011", "head"),
        ("exited", "2017", "2015-10-01"),
    );
    rows += &member(
        "H1",
        v1,
        ("王一", "19720101", "022", "spouse"),
        ("exited", "2017", "2015-10-01"),
    );
    rows += &member(
        "H1",
        v1,
        ("张小一", "20000101", "031", "child"),
        ("exited", "2017", "2015-10-01"),
    );
    rows += &member(
        "H2",
        v2,
        ("李二", "19650101", "041", "head"),
        ("relapsed", "", "2015-10-01"),
    );
    rows += &member(
        "H2",
        v2,
        ("赵二", "19660101", "042", "spouse"),
        ("relapsed", "", "2015-10-01"),
    );
    for (n, (name, birth)) in [
        ("刘三", "19600101"),
        ("陈三", "19620101"),
        ("刘小三", "19900101"),
        ("刘小四", "19920101"),
    ]
    .iter()
    .enumerate()
    {
        let relation = if n == 0 { "head" } else { "child" };
        rows += &member(
            "H3",
            v3,
            (name, birth, &format!("05{n}"), relation),
            ("exited", "2016", "2015-10-01"),
        );
    }
    rows += &member(
        "H5",
        v3,
        ("孙五", "19750101", "071", "head"),
        ("poor", "", "2017-05-01"),
    );
    rows += &member(
        "H5",
        v3,
        ("钱五", "19760101", "072", "spouse"),
        ("poor", "", "2017-05-01"),
    );
    import_registry(db, dir, "registry-2017.csv", &rows, "2017-06-30").await;

    // Enterprises: E1 breeding base in Poyang, E2 breeding base in Wuyuan, E3 a cooperative.
    let body = |prefix: &str| {
        format!(
            "{prefix}{}",
            fupin_core::credit_code::check_character(prefix).expect("17")
        )
    };
    let (e1, e2, e3) = (
        body("91361128MA35BRE01"),
        body("91361130MA35BRE02"),
        body("93361128MA35CPR03"),
    );
    let enterprises = format!(
        "credit_code,name,kind,industry,village_code\n{e1},东湖养殖基地,breeding_base,pigs,{v1}\n{e2},紫阳养殖基地,breeding_base,fish,361130100001\n{e3},东湖合作社,cooperative,tea,{v1}\n"
    );
    assert_applied(
        &import_file(
            db,
            &write(dir, "enterprises.csv", &enterprises),
            EnterpriseImporter::new(date("2016-12-31")),
        )
        .await,
    );
    // Links: E1 employs 3 of H1 from 2017; E1 leases land of H2 (2 people) from mid-2016; E2
    // employs H4's 1 from March 2017.
    let links = format!(
        "credit_code,household_id,link,people,since\n{e1},H1,employment,3,2017-01-01\n{e1},H2,land_lease,2,2016-06-01\n{e2},H4,employment,1,2017-03-01\n"
    );
    assert_applied(
        &import_file(
            db,
            &write(dir, "links.csv", &links),
            EnterpriseLinkImporter::new(date("2017-06-30")),
        )
        .await,
    );

    // Products (common::setup's are not used here) and loans.
    let products = "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,subsidy_rate,risk_fund_share,institution_code\n\
        MC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,monthly_interest,4.75,80%,PYRCB\n\
        TEA,茶叶贷,characteristic_industry,enterprise,3000000,60,5.22,bullet,,,PYRCB\n\
        BV,美丽乡村贷,beautiful_village,enterprise,3000000,60,5.22,bullet,,,PYRCB\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "products.csv", products),
            ProductImporter::default(),
        )
        .await,
    );
    funds::set_risk_settings(
        db,
        &ctx(),
        &funds::RiskFundSettings {
            county_code: code("361128"),
            effective_from: date("2016-01-01"),
            leverage_multiple: 8,
            fund_share_ppm: 800_000,
            trigger_days: 90,
        },
    )
    .await
    .expect("rules");
    let deposits = "id,county_code,fund,deposited_on,amount\nD1,361128,subsidy,2016-01-05,10000\nD2,361128,risk_compensation,2016-01-05,100000\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "deposits.csv", deposits),
            DepositImporter::default(),
        )
        .await,
    );
    // M1: H2, 30,000 from 1 Feb 2017, monthly interest, never paid. M2: H5, 20,000 bullet from
    // 10 May. T1: E1's tea loan 500,000 bullet from 15 Jan 2017. B1: E3's beautiful-village
    // loan 300,000 bullet from 1 Jun 2016 to 1 Jun 2017, unpaid.
    let loans_file = format!(
        "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,purpose\n\
         M1,PYRCB,MC,household,H2,30000,4.75,2017-02-01,2018-02-01,养殖\n\
         M2,PYRCB,MC,household,H5,20000,4.75,2017-05-10,2018-05-10,种植\n\
         T1,PYRCB,TEA,enterprise,{e1},500000,5.22,2017-01-15,2018-01-15,茶园\n\
         B1,PYRCB,BV,enterprise,{e3},300000,5.22,2016-06-01,2017-06-01,村庄整治\n"
    );
    assert_applied(
        &import_file(
            db,
            &write(dir, "loans.csv", &loans_file),
            LoanImporter::new(db),
        )
        .await,
    );
    // End of day through 30 June: M1's 1 March interest unpaid → overdue from 2 March; 90 days
    // at the end of 30 May → a risk claim of 80 % × 30,000 = 24,000, approved 5 June.
    loans::eod::run(
        db,
        &ctx(),
        date("2017-05-31"),
        Some(date("2016-06-01")),
        &mut |_| {},
    )
    .await
    .expect("eod");
    let claims = funds::risk_claims(db, Some(code("361128")))
        .await
        .expect("claims");
    let claim = claims
        .iter()
        .map(|named| &named.claim)
        .find(|c| c.raised_on == date("2017-05-30"))
        .expect("claim on 30 May");
    assert_eq!(claim.amount, yuan("24000"));
    funds::approve_risk_claim(db, &ctx(), claim.id, date("2017-06-05"))
        .await
        .expect("approve risk");
    loans::eod::run(db, &ctx(), date("2017-06-30"), None, &mut |_| {})
        .await
        .expect("eod");
    // Q1 subsidy: M1 outstanding 1 Feb – 31 Mar (59 days) but overdue from 2 March (30 days):
    // 29 days × 30,000 × 4.75 % / 360 = 114.791… → 114.79, approved 10 April.
    let subsidy =
        funds::prepare_subsidy_claims(db, &ctx(), Quarter::parse("2017Q1").expect("q"), None)
            .await
            .expect("subsidy");
    assert_eq!(subsidy[0].0.amount, yuan("114.79"));
    funds::approve_subsidy_claim(db, &ctx(), subsidy[0].0.id, date("2017-04-10"))
        .await
        .expect("approve subsidy");

    // Returns (loans_total): PYRCB Poyang 1,000,000 → 1,200,000; ABC Poyang 500,000 → 540,000;
    // WYRCB Wuyuan 800,000 → 820,000 (December 2016 → June 2017; May for the mid-June test).
    let returns_file = "institution_code,region_code,period,element,value\n\
        PYRCB,361128,2016-12,loans_total,1000000\nPYRCB,361128,2017-05,loans_total,1100000\nPYRCB,361128,2017-06,loans_total,1200000\n\
        ABC,361128,2016-12,loans_total,500000\nABC,361128,2017-05,loans_total,520000\nABC,361128,2017-06,loans_total,540000\n\
        WYRCB,361130,2016-12,loans_total,800000\nWYRCB,361130,2017-05,loans_total,810000\nWYRCB,361130,2017-06,loans_total,820000\n";
    let imported = fupin_app::imports::returns::import(
        db,
        &ctx(),
        &write(dir, "returns.csv", returns_file),
        &ImportOptions::default(),
        true,
    )
    .await
    .expect("returns");
    assert_applied(&imported.report);
    // Credit: H2 rated AA (85) on 1 March and granted 30,000 on 5 March; H5 rated A (72) on
    // 20 May, no line; H4 (Wuyuan) exempt, no need, on 10 January.
    let files = "household_id,institution_code,assessed_on,score,grade,recommended_line,exempt_reason\n\
        H2,PYRCB,2017-03-01,85,AA,30000,\nH5,PYRCB,2017-05-20,72,A,10000,\nH4,WYRCB,2017-01-10,,,,no_need\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "credit_files.csv", files),
            CreditFileImporter::default(),
        )
        .await,
    );
    let lines = "household_id,institution_code,amount,granted_on,expires_on\nH2,PYRCB,30000,2017-03-05,2020-03-05\n";
    assert_applied(
        &import_file(
            db,
            &write(dir, "credit_lines.csv", lines),
            CreditLineImporter::default(),
        )
        .await,
    );
    let reported = returns::NewReportedFigure {
        indicator: "loans_total_growth".into(),
        region: None,
        group: Some("state-poverty-counties".into()),
        as_of: Some(date("2017-06-30")),
        value: "8.65".into(),
        unit: "percent".into(),
        source: "press release".into(),
        note: None,
    };
    returns::record_reported_figure(db, &ctx(), &reported)
        .await
        .expect("reported");
}

async fn values(
    db: &Db,
    scope: Scope,
    as_of: &str,
) -> HashMap<String, (Option<String>, Option<bool>)> {
    let request = Request {
        scope,
        as_of: date(as_of),
        base: None,
        institution: None,
        codes: None,
    };
    indicators::evaluate(db, &ctx(), &request)
        .await
        .expect("evaluate")
        .into_iter()
        .map(|v| {
            let text = v
                .text()
                .or_else(|| v.problem.as_ref().map(|p| format!("no value: {p}")));
            (
                v.indicator.code.clone(),
                (text, v.reported.as_ref().map(|r| r.differs)),
            )
        })
        .collect()
}

fn check(
    values: &HashMap<String, (Option<String>, Option<bool>)>,
    expected: &[(&str, &str)],
    label: &str,
) {
    for (code, value) in expected {
        let got = values.get(*code).and_then(|(v, _)| v.clone());
        assert_eq!(
            got.as_deref(),
            Some(*value),
            "{label}: {code} {:?}",
            values.get(*code)
        );
    }
}

fupin_store::on_both_engines! {
    async fn every_indicator_on_a_hand_made_county(db) {
        let dir = tempfile::tempdir().expect("dir");
        build(&db, dir.path()).await;

        // The group (Poyang only, of the four) on 30 June 2017.
        let group = values(&db, Scope::Group("state-poverty-counties".into()), "2017-06-30").await;
        check(&group, &[
            // 1,200,000 + 540,000; base (2016-12) 1,000,000 + 500,000.
            ("loans_total_balance", "1740000.00"),
            ("loans_total_increase", "240000.00"),
            ("loans_total_growth", "16.00"),
            // City: 2,560,000 against 2,300,000 → 11.3043 %; 16 − 11.3043 = 4.6957.
            ("loans_total_growth_gap_pp", "4.70"),
            // H2 (2, relapsed) + H5 (2, poor); H1 exited in 2017, H3 in 2016.
            ("poor_population", "4"),
            ("poor_households", "2"),
            ("poor_population_share", "1.33"),
            ("townships_total", "2"),
            ("townships_assigned", "2"),
            ("townships_assigned_rural_cooperative", "1"),
            ("townships_assigned_large_commercial", "0"),
            ("townships_assigned_postal_savings", "1"),
            ("villages_total", "3"),
            ("villages_with_outlet", "1"),
            ("villages_with_electronic_only", "1"),
            ("village_service_coverage", "66.67"),
            // M1 30,000 + M2 20,000 outstanding (interest-only and bullet).
            ("microcredit_balance", "50000.00"),
            ("microcredit_households", "2"),
            // No product of the county charges penalty interest.
            ("penalty_interest_outstanding", "0.00"),
            // M1 overdue 121 days (substandard): 30,000 of 30,000 + 20,000 + 500,000 + 300,000.
            ("npl_ratio", "3.53"),
            ("characteristic_loans_disbursed_cumulative", "500000.00"),
            ("beautiful_village_loans_disbursed_cumulative", "300000.00"),
            ("breeding_bases", "1"),
            // E1: 3 (H1) + 2 (H2).
            ("people_lifted_by_enterprises", "5"),
            ("subsidy_paid", "114.79"),
            ("risk_compensation_paid", "24000.00"),
            // Eligible: H1 and H3 (exited), H2 (relapsed), H5 (poor); rated H2 and H5; line H2.
            ("households_eligible", "4"),
            ("households_rated_share", "50.00"),
            ("households_with_credit_line_share", "25.00"),
            ("credit_lines_granted_amount", "30000.00"),
            ("credit_lines_households", "1"),
        ], "group on 2017-06-30");
        // The article's kind of inconsistency: 8.65 % reported, 16.00 % computed.
        assert_eq!(group["loans_total_growth"].1, Some(true), "the reported figure is flagged");

        // The city on 30 June 2017 adds Wuyuan.
        let city = values(&db, Scope::Region(code("361100")), "2017-06-30").await;
        check(&city, &[
            ("loans_total_balance", "2560000.00"),
            ("loans_total_growth", "11.30"),
            ("loans_total_growth_gap_pp", "0.00"),
            ("poor_population", "5"),
            ("poor_population_share", "1.25"),
            ("townships_total", "3"),
            ("townships_assigned_large_commercial", "1"),
            ("villages_total", "4"),
            ("villages_with_electronic_only", "2"),
            ("village_service_coverage", "75.00"),
            ("breeding_bases", "2"),
            ("people_lifted_by_enterprises", "6"),
            // H4 is exempt: still 4 eligible.
            ("households_eligible", "4"),
            ("households_rated_share", "50.00"),
        ], "city on 2017-06-30");

        // The past: the group at the end of 2016.
        let past = values(&db, Scope::Group("state-poverty-counties".into()), "2016-12-31").await;
        check(&past, &[
            ("loans_total_balance", "1500000.00"),
            // H1 (3, poor) + H2 (2, relapsed).
            ("poor_population", "5"),
            ("poor_households", "2"),
            // 361128101 gets its bank only in March 2017; the ATM opens in February.
            ("townships_assigned", "1"),
            ("villages_with_electronic_only", "0"),
            ("village_service_coverage", "33.33"),
            ("microcredit_balance", "0.00"),
            ("characteristic_loans_disbursed_cumulative", "0.00"),
            ("beautiful_village_loans_disbursed_cumulative", "300000.00"),
            // E1–H2 land lease since mid-2016.
            ("people_lifted_by_enterprises", "2"),
            ("subsidy_paid", "0.00"),
            ("risk_compensation_paid", "0.00"),
            // H1, H2, H3 eligible; nobody rated yet.
            ("households_eligible", "3"),
            ("households_rated_share", "0.00"),
            ("credit_lines_households", "0"),
        ], "group on 2016-12-31");

        // Mid-June reads May's returns: 1,100,000 + 520,000.
        let june = values(&db, Scope::Region(code("361128")), "2017-06-15").await;
        check(&june, &[("loans_total_balance", "1620000.00"), ("loans_total_increase", "120000.00")], "Poyang on 2017-06-15");
        // Before the risk claim was paid.
        let may = values(&db, Scope::Region(code("361128")), "2017-05-31").await;
        check(&may, &[("risk_compensation_paid", "0.00"), ("subsidy_paid", "114.79")], "Poyang on 2017-05-31");
        // And the ledger agrees with itself after all of it.
        assert!(fupin_app::ledger::check(&db).await.expect("check").is_clean());
    }

    async fn cached_values_follow_every_write_and_keep_the_scope(db) {
        let dir = tempfile::tempdir().expect("dir");
        build(&db, dir.path()).await;
        let cache = indicators::ValueCache::default();
        let request = Request {
            scope: Scope::Region(code("361128")),
            as_of: date("2017-06-30"),
            base: None,
            institution: None,
            codes: Some(vec!["subsidy_fund_balance".into()]),
        };
        let value = |values: &[indicators::Value]| values[0].text().expect("a value");
        let first = indicators::evaluate_cached(&db, &ctx(), &request, &cache).await.expect("first");
        let again = indicators::evaluate_cached(&db, &ctx(), &request, &cache).await.expect("again");
        assert!(std::sync::Arc::ptr_eq(&first, &again), "nothing written: served from the cache");
        let uncached = indicators::evaluate(&db, &ctx(), &request).await.expect("uncached");
        assert_eq!(value(&first), value(&uncached));

        // A user added, signing in and out: audited, but no data area moves, so the value stays.
        let version = indicators::data_version(&db).await.expect("version");
        let head = fupin_store::audit::head_seq(&db).await.expect("head");
        let new = fupin_app::users::NewUser {
            name: "analyst".into(),
            display_name: None,
            role: fupin_app::Role::Regulator,
            region: code("361100"),
            institution: None,
            password: "a long enough password".into(),
        };
        fupin_app::users::add(&db, &ctx(), new).await.expect("user");
        let policy = fupin_app::auth::AuthPolicy::default();
        let now = "2017-07-01T10:00:00.000Z";
        let session = fupin_app::auth::sign_in(&db, "analyst", "a long enough password", now, None, &policy)
            .await
            .expect("sign in");
        fupin_app::auth::sign_out(&db, &ctx(), &session.session_secret).await.expect("sign out");
        let audited = fupin_store::audit::head_seq(&db).await.expect("head") - head;
        assert!(audited >= 3, "the user, the sign-in and the sign-out are audited: {audited}");
        assert_eq!(indicators::data_version(&db).await.expect("version"), version);
        let signed_in = indicators::evaluate_cached(&db, &ctx(), &request, &cache).await.expect("signed in");
        assert!(std::sync::Arc::ptr_eq(&first, &signed_in), "a sign-in keeps the cached value");

        // Any write to the data, here a deposit of 1,000 yuan, makes the next request compute again.
        let deposit = funds::FundDeposit {
            id: "CACHE1".into(),
            county_code: code("361128"),
            fund: "subsidy".into(),
            deposited_on: date("2017-06-01"),
            amount: fupin_core::Fen::from_yuan(1000).expect("amount"),
        };
        funds::deposit_command(&db, &ctx(), &deposit).await.expect("deposit");
        let after = indicators::evaluate_cached(&db, &ctx(), &request, &cache).await.expect("after");
        let yuan = |text: String| fupin_core::Fen::parse_yuan(&text).expect("an amount");
        let grew = yuan(value(&after)).checked_sub(yuan(value(&first)));
        assert_eq!(grew, fupin_core::Fen::from_yuan(1000), "{} then {}", value(&first), value(&after));

        // Another county's regulator is refused although the cache holds the value.
        let wuyuan = fupin_app::Ctx {
            actor: fupin_app::Actor { name: "wy".into(), role: fupin_app::Role::Regulator, region: Some(code("361130")), institution: None },
            ..ctx()
        };
        let refused = indicators::evaluate_cached(&db, &wuyuan, &request, &cache).await.expect_err("out of scope");
        assert!(matches!(refused, fupin_app::AppError::NotFound(_)), "{refused}");
    }

    async fn every_role_sees_one_gap_to_the_city_and_funds_only_where_it_may(db) {
        let dir = tempfile::tempdir().expect("dir");
        build(&db, dir.path()).await;
        let as_role = |role: fupin_app::Role, region: &str, institution: Option<&str>| fupin_app::Ctx {
            actor: fupin_app::Actor { name: "someone".into(), role, region: Some(code(region)), institution: institution.map(str::to_string) },
            ..ctx()
        };
        let codes = ["loans_total_growth_gap_pp", "loans_total_growth", "subsidy_fund_balance", "risk_fund_balance", "risk_fund_leverage_used"];
        let evaluate = async |who: &fupin_app::Ctx, region: &str| {
            let request = Request {
                scope: Scope::Region(code(region)),
                as_of: date("2017-06-30"),
                base: None,
                institution: None,
                codes: Some(codes.iter().map(|c| c.to_string()).collect()),
            };
            indicators::evaluate(&db, who, &request).await.map(|values| {
                values.into_iter().map(|v| (v.indicator.code.clone(), (v.text(), v.problem.clone()))).collect::<HashMap<_, _>>()
            })
        };
        use fupin_app::Role::*;
        // Wuyuan: WYRCB's 800,000 → 820,000 is 2.50 %, the city's 11.3043 %: −8.80 for every role
        // (a bank compared with its own part of the city got 0.00). Poyang: 16.00 − 11.30 = 4.70,
        // although PYRCB's own growth is 20.00 %.
        let wuyuan = [as_role(Regulator, "3611", None), as_role(Regulator, "361130", None), as_role(Bank, "361130", Some("WYRCB")), as_role(PovertyOffice, "361130", None), as_role(Finance, "361130", None), ctx()];
        for who in &wuyuan {
            let values = evaluate(who, "361130").await.expect("evaluate");
            assert_eq!(values["loans_total_growth_gap_pp"].0.as_deref(), Some("-8.80"), "{:?}: {values:?}", who.actor);
        }
        let poyang = [as_role(Regulator, "361128", None), as_role(Bank, "361128", Some("PYRCB")), as_role(PovertyOffice, "361128", None), as_role(Finance, "361128", None), ctx()];
        let operator = evaluate(&ctx(), "361128").await.expect("operator");
        for who in &poyang {
            let values = evaluate(who, "361128").await.expect("evaluate");
            assert_eq!(values["loans_total_growth_gap_pp"].0.as_deref(), Some("4.70"), "{:?}: {values:?}", who.actor);
            // A bank's own part still applies where nothing is compared with the city.
            let growth = if who.actor.role == Bank { "20.00" } else { "16.00" };
            assert_eq!(values["loans_total_growth"].0.as_deref(), Some(growth), "{:?}", who.actor);
            // Fund figures: the finance bureau and the regulator (and the operator) only; the
            // others get no value and the reason, never a zero.
            for fund in ["subsidy_fund_balance", "risk_fund_balance", "risk_fund_leverage_used"] {
                let (value, problem) = &values[fund];
                match who.actor.role {
                    Regulator | Finance | Operator => {
                        assert!(value.is_some(), "{:?} {fund}: {problem:?}", who.actor);
                        assert_eq!(value, &operator[fund].0, "{:?} {fund}", who.actor);
                    }
                    _ => {
                        assert_eq!(value, &None, "{:?} sees {fund}", who.actor);
                        assert!(problem.as_deref().is_some_and(|p| p.starts_with("not shown: ")), "{:?} {fund}: {problem:?}", who.actor);
                    }
                }
            }
        }
        // The administrator reads no indicators; a bank user asking outside its region, nothing.
        assert!(matches!(evaluate(&as_role(Admin, "3611", None), "361128").await, Err(fupin_app::AppError::Forbidden(_))));
        assert!(matches!(evaluate(&as_role(Bank, "361130", Some("WYRCB")), "361128").await, Err(fupin_app::AppError::NotFound(_))));
        // The definition says what a scoped user sees.
        let definitions = indicators::definitions(&db).await.expect("definitions");
        let gap = definitions.iter().find(|i| i.code == "loans_total_growth_gap_pp").expect("gap");
        assert!(gap.description.as_deref().is_some_and(|d| d.contains("every role")), "{gap:?}");
    }
}
