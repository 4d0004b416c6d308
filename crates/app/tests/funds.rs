//! A small county through a year of its funds, on both engines: deposits, loans, a subsidised
//! quarter with one loan overdue for part of it, a default, a compensation claim, a recovery, the
//! leverage refusal, and two approvals racing for a small fund. Every amount is derived here by
//! hand from the facts, written out in the comments.

mod common;

use common::*;
use fupin_app::AppError;
use fupin_app::funds::{self, RiskFundSettings};
use fupin_app::imports::funds::DepositImporter;
use fupin_app::imports::loans::LoanImporter;
use fupin_app::loans;
use fupin_core::date::Quarter;
use fupin_core::{Fen, RegionCode};

fn county() -> RegionCode {
    RegionCode::parse("361128").expect("Poyang")
}

async fn set_rules(db: &fupin_app::Db) {
    let settings = RiskFundSettings {
        county_code: county(),
        effective_from: date("2017-01-01"),
        leverage_multiple: 8,
        fund_share_ppm: 800_000,
        trigger_days: 90,
    };
    funds::set_risk_settings(db, &ctx(), &settings)
        .await
        .expect("settings");
}

async fn deposits(db: &fupin_app::Db, dir: &std::path::Path, name: &str, rows: &str) {
    let file = write(
        dir,
        name,
        &format!("id,county_code,fund,deposited_on,amount\n{rows}"),
    );
    let report = import_file(db, &file, DepositImporter::default()).await;
    assert!(report.applied, "{:#?}", report.errors);
}

async fn eod_through(db: &fupin_app::Db, day: &str) {
    loans::eod::run(db, &ctx(), date(day), Some(date("2017-01-01")), &mut |_| {})
        .await
        .expect("eod");
}

fupin_store::on_both_engines! {
    async fn a_county_through_a_year(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        set_rules(&db).await;
        deposits(&db, dir.path(), "deposits.csv",
            "D1,361128,subsidy,2017-01-05,10000\nD2,361128,风险补偿金,2017-01-05,20000\n").await;
        // The same file again records nothing new.
        deposits(&db, dir.path(), "deposits.csv",
            "D1,361128,subsidy,2017-01-05,10000\nD2,361128,风险补偿金,2017-01-05,20000\n").await;

        // Product MC is covered (80 %) and subsidised (4.75 %). Cap: 8 × 20,000 = 160,000.
        // C1 50,000 + C2 40,000 + C3 50,000 = 140,000 fit; C4's 30,000 would make 170,000.
        let header = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n";
        let good = format!("{header}\
            C1,PYRCB,MC,household,H1,50000,4.75,2017-03-15,2018-03-15,monthly_interest,养殖\n\
            C2,PYRCB,MC,household,H1,40000,4.75,2017-01-10,2018-01-10,bullet,种植\n\
            C3,PYRCB,MC,household,H1,50000,4.75,2017-03-15,2018-03-15,monthly_interest,养殖\n");
        // In one file with them, C4 is refused too: the file's earlier loans count although an
        // import posts its disbursements a batch at a time.
        let together = format!("{good}C4,PYRCB,MC,household,H1,30000,4.75,2017-03-20,2018-03-20,bullet,养殖\n");
        let refused = import_file(&db, &write(dir.path(), "together.csv", &together), LoanImporter::new(&db)).await;
        assert!(!refused.applied);
        assert_eq!(refused.errors.len(), 1, "{:#?}", refused.errors);
        assert_eq!(refused.errors[0].line, 5);
        assert!(refused.errors[0].message.contains("would reach 170,000.00 on 2017-03-20"), "{:#?}", refused.errors);
        let report = import_file(&db, &write(dir.path(), "loans.csv", &good), LoanImporter::new(&db)).await;
        assert!(report.applied, "{:#?}", report.errors);
        let refused = import_file(&db, &write(dir.path(), "more.csv", &format!("{header}C4,PYRCB,MC,household,H1,30000,4.75,2017-03-20,2018-03-20,bullet,养殖\n")), LoanImporter::new(&db)).await;
        assert!(!refused.applied);
        assert!(refused.errors[0].message.contains("above 8× its risk fund of 20,000.00 (cap 160,000.00)"), "{:#?}", refused.errors);

        // C1: monthly interest (ACT/360). 15 Mar–15 Apr, 31 days: 50,000 × 4.75 % × 31 / 360 = 204.51.
        // Unpaid on 15 April, overdue from 16 April, paid on 10 May (cured); May's 197.92 (30 days)
        // and June's 204.51 paid on their due dates. C3 is never paid.
        eod_through(&db, "2017-05-10").await;
        repay(&db, "P1", "C1", "2017-05-10", "204.51").await.expect("overdue interest");
        eod_through(&db, "2017-05-15").await;
        repay(&db, "P2", "C1", "2017-05-15", "197.92").await.expect("May");
        eod_through(&db, "2017-06-15").await;
        repay(&db, "P3", "C1", "2017-06-15", "204.51").await.expect("June");
        eod_through(&db, "2017-07-13").await;

        // Q2 subsidy (91 days) at 4.75 % on constant principals, ACT/360:
        // C1 overdue 16 Apr – 10 May (24 days): 67 days × 50,000 → 442.013… → 442.01
        // C2 never overdue: 91 days × 40,000 → 480.277… → 480.28
        // C3 overdue from 16 Apr: 15 days × 50,000 → 98.958… → 98.96
        let quarter = Quarter::parse("2017Q2").expect("quarter");
        let claims = funds::prepare_subsidy_claims(&db, &ctx(), quarter, Some(county())).await.expect("claims");
        assert_eq!(claims.len(), 1);
        let (claim, lines) = &claims[0];
        let got: Vec<(i64, Fen)> = lines.iter().map(|l| (l.line.days, l.line.amount)).collect();
        assert_eq!(got, vec![(67, yuan("442.01")), (91, yuan("480.28")), (15, yuan("98.96"))]);
        // Each line names its loan as people know it, not by its internal number.
        let named: Vec<(&str, &str, &str, &str)> = lines
            .iter()
            .map(|l| (l.loan.institution_code.as_str(), l.loan.contract_no.as_str(), l.loan.borrower_name.as_str(), l.loan.borrower_id.as_str()))
            .collect();
        assert_eq!(named, [("PYRCB", "C1", "张三", "H1"), ("PYRCB", "C2", "张三", "H1"), ("PYRCB", "C3", "张三", "H1")]);
        let listed = funds::subsidy_claims_for(&db, &ctx(), quarter, Some(county()), None).await.expect("listed");
        assert_eq!(&listed[0].1, lines, "the listing names the same loans");
        assert_eq!(claim.amount, yuan("1021.25"));
        let approved = funds::approve_subsidy_claim(&db, &ctx(), claim.id, date("2017-07-05")).await.expect("approve");
        assert_eq!(approved.state, "approved");
        let again = funds::approve_subsidy_claim(&db, &ctx(), claim.id, date("2017-07-06")).await.expect_err("twice");
        assert!(matches!(again, AppError::Conflict(_)), "{again}");

        // C3 unpaid since its 15 April instalment: 90 days overdue at the end of 14 July, the
        // trigger. Claim: 80 % × 50,000 = 40,000 — more than the 20,000 fund holds.
        eod_through(&db, "2017-07-14").await;
        let risk = funds::risk_claims(&db, Some(county())).await.expect("risk claims");
        let named = risk.iter().find(|c| c.claim.raised_on == date("2017-07-14")).expect("raised on the trigger day");
        let c3 = &named.claim;
        assert_eq!((c3.principal, c3.amount), (yuan("50000"), yuan("40000")));
        assert_eq!(
            (named.loan.institution_code.as_str(), named.loan.contract_no.as_str(), named.loan.borrower_name.as_str()),
            ("PYRCB", "C3", "张三")
        );
        let refused = funds::approve_risk_claim(&db, &ctx(), c3.id, date("2017-07-15")).await.expect_err("fund too small");
        assert!(refused.to_string().contains("nothing was paid"), "{refused}");
        assert_eq!(balance(&db, "fund:361128000000:risk").await, yuan("20000"), "refused whole, not partially");
        deposits(&db, dir.path(), "top-up.csv", "D3,361128,risk_compensation,2017-07-20,30000\n").await;
        let paid = funds::approve_risk_claim(&db, &ctx(), c3.id, date("2017-07-20")).await.expect("paid");
        assert_eq!((paid.claim.state.as_str(), paid.loan.contract_no.as_str(), paid.loan.borrower_name.as_str()), ("approved", "C3", "张三"));
        assert_eq!(balance(&db, "fund:361128000000:risk").await, yuan("10000"));

        // Write-off, then a recovery of 10,000: the fund's 80 % (8,000) goes back to it.
        eod_through(&db, "2017-09-30").await;
        let mut tx = db.write().await.expect("begin");
        let loan = loans::find(&mut tx, "PYRCB", "C3").await.expect("C3");
        loans::write_off(&mut tx, &ctx(), &loan, date("2017-09-30"), "default").await.expect("write off");
        tx.commit().await.expect("commit");
        repay(&db, "REC1", "C3", "2017-11-01", "10000").await.expect("recovery");
        assert_eq!(balance(&db, "fund:361128000000:risk").await, yuan("18000"));
        eod_through(&db, "2017-12-31").await;
        ledger_is_clean(&db).await;

        // Figures at the end of June and of the year.
        let june = funds::figures(&db, "361128", date("2017-06-30")).await.expect("june");
        assert_eq!((june.subsidy_balance, june.risk_balance, june.covered_balance), (yuan("10000"), yuan("20000"), yuan("140000")));
        assert_eq!(june.leverage_used(), "7.00");
        let year = funds::figures(&db, "361128", date("2017-12-31")).await.expect("year");
        assert_eq!(year.subsidy_balance, yuan("8978.75"), "10,000 − 1,021.25");
        assert_eq!((year.subsidy_deposits, year.subsidy_paid), (yuan("10000"), yuan("1021.25")));
        assert_eq!(year.risk_balance, yuan("18000"), "20,000 + 30,000 − 40,000 + 8,000");
        assert_eq!((year.risk_deposits, year.compensation_paid, year.compensation_recovered), (yuan("50000"), yuan("40000"), yuan("8000")));
        assert_eq!(year.covered_balance, yuan("90000"), "C1 and C2; C3 written off");
        assert_eq!(year.leverage_used(), "5.00");
        // A city-wide figure includes the county's.
        assert_eq!(funds::figures(&db, "3611", date("2017-12-31")).await.expect("city").risk_balance, yuan("18000"));

        // The state-level poverty counties (Poyang the only one with funds here) add up to the
        // county, through the funds command and through the indicators.
        fupin_app::territory::load_builtin_groups(&db, &ctx()).await.expect("groups");
        fupin_app::indicators::load_builtin(&db, &ctx()).await.expect("indicators");
        let group = funds::group_figures_for(&db, &ctx(), "state-poverty-counties", date("2017-12-31")).await.expect("group");
        assert_eq!(group, year);
        let missing = funds::group_figures_for(&db, &ctx(), "no-such-group", date("2017-12-31")).await.expect_err("unknown group");
        assert!(missing.to_string().contains("no-such-group"), "{missing}");
        let request = fupin_app::indicators::Request {
            scope: fupin_app::indicators::Scope::Group("state-poverty-counties".into()),
            as_of: date("2017-12-31"),
            base: None,
            institution: None,
            codes: None,
        };
        let values: std::collections::HashMap<String, Option<String>> =
            fupin_app::indicators::evaluate(&db, &ctx(), &request).await.expect("evaluate")
                .into_iter().map(|v| (v.indicator.code.clone(), v.text())).collect();
        for (code, expected) in [
            ("subsidy_fund_deposits", "10000.00"), ("subsidy_paid", "1021.25"),
            ("subsidy_fund_balance", "8978.75"), ("risk_fund_deposits", "50000.00"),
            ("risk_compensation_paid", "40000.00"), ("risk_compensation_recovered", "8000.00"),
            ("risk_fund_balance", "18000.00"), ("covered_loans_balance", "90000.00"),
            ("risk_fund_leverage_used", "5.00"),
        ] {
            assert_eq!(values[code].as_deref(), Some(expected), "{code}");
        }
    }

    async fn racing_approvals_never_overdraw_a_fund(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        set_rules(&db).await;
        deposits(&db, dir.path(), "deposits.csv", "D1,361128,risk_compensation,2017-01-05,70000\n").await;
        let header = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n";
        let rows = format!("{header}\
            K1,PYRCB,MC,household,H1,50000,4.75,2017-01-15,2018-01-15,monthly_interest,养殖\n\
            K2,PYRCB,MC,household,H1,50000,4.75,2017-01-15,2018-01-15,monthly_interest,养殖\n");
        assert!(import_file(&db, &write(dir.path(), "loans.csv", &rows), LoanImporter::new(&db)).await.applied);
        // Both unpaid from 15 February: 90 days overdue on 16 May; claims of 40,000 each
        // against a fund of 70,000 — only one can be paid.
        eod_through(&db, "2017-05-16").await;
        let claims = funds::risk_claims(&db, Some(county())).await.expect("claims");
        assert_eq!(claims.len(), 2);
        let mut tasks = Vec::new();
        for claim in claims {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                funds::approve_risk_claim(&db, &ctx(), claim.claim.id, date("2017-05-20")).await
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task"));
        }
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
        let refusal = outcomes.iter().find_map(|o| o.as_ref().err()).expect("one refused");
        assert!(matches!(refusal, AppError::Conflict(_)), "{refusal}");
        assert_eq!(balance(&db, "fund:361128000000:risk").await, yuan("30000"));
        ledger_is_clean(&db).await;
    }
}
