//! Many writers at once, on both engines: parallel repayments on one loan, one repayment sent
//! many times at once, approvals racing for a small fund, and the same file imported by several
//! operators at the same moment. Every request must get a definite answer (applied, already
//! applied, or refused with a reason — never a database error), and afterwards the ledger, the
//! loan's instalments and the audit trail must agree with exactly the answers given.

mod common;

use common::*;
use fupin_app::AppError;
use fupin_app::funds::{self, RiskFundSettings};
use fupin_app::imports::funds::DepositImporter;
use fupin_app::imports::loans::LoanImporter;
use fupin_app::imports::registry::import_households;
use fupin_app::imports::{ImportOptions, ImportReport};
use fupin_app::loans::{self, RepaymentOutcome};
use fupin_core::{Fen, RegionCode};

/// Requests sent at once in each test.
const PARALLEL: usize = 12;

/// Applied, already applied, or refused with a reason; anything else (a database error, a
/// deadlock, a constraint violation surfacing as an error) fails the test.
fn answer(outcome: &fupin_app::Result<RepaymentOutcome>) -> &'static str {
    match outcome {
        Ok(RepaymentOutcome::Applied { .. }) => "applied",
        Ok(RepaymentOutcome::Recovered(_)) => "recovered",
        Ok(RepaymentOutcome::AlreadyApplied) => "already applied",
        Err(AppError::Invalid(_) | AppError::Conflict(_) | AppError::Field { .. }) => "refused",
        Err(other) => panic!("not a definite answer: {other:?}"),
    }
}

async fn audit_is_intact(db: &fupin_app::Db) -> i64 {
    let report = fupin_app::audit::verify(db).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    report.records
}

/// The loan's instalments agree with the ledger and with the repayments applied: nothing paid
/// twice, nothing lost.
async fn loan_agrees_with_ledger(
    db: &fupin_app::Db,
    contract: &str,
    principal: Fen,
    applied: (Fen, Fen),
) {
    let detail = loans::detail(db, "PYRCB", contract).await.expect("detail");
    let (mut paid_principal, mut paid_interest) = (0i64, 0i64);
    for row in &detail.instalments {
        let state = &row.state;
        assert!(
            state.paid_principal <= state.principal && state.paid_interest <= state.interest,
            "instalment {} overpaid: {state:?}",
            state.number
        );
        paid_principal += state.paid_principal.fen();
        paid_interest += state.paid_interest.fen();
    }
    assert_eq!(
        (paid_principal, paid_interest),
        (applied.0.fen(), applied.1.fen()),
        "instalments record exactly the applied repayments"
    );
    assert_eq!(
        balance(db, &format!("loan:PYRCB:{contract}:principal")).await,
        Fen::new(principal.fen() - applied.0.fen()),
        "ledger balance = disbursement − applied principal"
    );
    ledger_is_clean(db).await;
}

fn county() -> RegionCode {
    RegionCode::parse("361128").expect("Poyang")
}

fupin_store::on_both_engines! {
    async fn parallel_repayments_on_one_loan_get_definite_answers(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        one_loan(&db, dir.path(), "C1", "50000").await;
        // Twelve different repayments of 1,000 yuan at once on 16 May, when April's and May's
        // instalments (1,492.94 each) are due: the first few are applied, then what is left due
        // is less than 1,000 and the rest are refused (more than is due, not a settlement).
        let mut tasks = Vec::new();
        for i in 0..PARALLEL {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                repay(&db, &format!("P{i}"), "C1", "2017-05-16", "1000").await
            }));
        }
        let mut applied = (Fen::ZERO, Fen::ZERO);
        let mut answers = std::collections::BTreeMap::<&str, usize>::new();
        for task in tasks {
            let outcome = task.await.expect("task");
            *answers.entry(answer(&outcome)).or_default() += 1;
            if let Ok(RepaymentOutcome::Applied { principal, interest, .. }) = outcome {
                applied = (Fen::new(applied.0.fen() + principal.fen()), Fen::new(applied.1.fen() + interest.fen()));
            }
        }
        println!("parallel repayments: {answers:?}");
        assert!(answers.get("applied").copied().unwrap_or(0) >= 1, "{answers:?}");
        assert_eq!(answers.values().sum::<usize>(), PARALLEL);
        let stored = count_rows(&db, "select count(*) from repayments").await;
        assert_eq!(stored as usize, answers["applied"], "one row per applied repayment");
        loan_agrees_with_ledger(&db, "C1", yuan("50000"), applied).await;
        audit_is_intact(&db).await;
    }

    async fn one_repayment_sent_many_times_at_once_is_applied_once(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        one_loan(&db, dir.path(), "C1", "50000").await;
        let records_before = audit_is_intact(&db).await;
        let mut tasks = Vec::new();
        for _ in 0..PARALLEL {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                repay(&db, "SAME", "C1", "2017-04-15", "1492.94").await
            }));
        }
        let mut applied = Vec::new();
        let mut already = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(RepaymentOutcome::Applied { principal, interest, .. }) => applied.push((principal, interest)),
                Ok(RepaymentOutcome::AlreadyApplied) => already += 1,
                other => panic!("the same repayment must be applied or already applied: {other:?}"),
            }
        }
        assert_eq!((applied.len(), already), (1, PARALLEL - 1), "applied exactly once");
        assert_eq!(count_rows(&db, "select count(*) from repayments").await, 1);
        loan_agrees_with_ledger(&db, "C1", yuan("50000"), applied[0]).await;
        assert_eq!(applied[0], (yuan("1295.02"), yuan("197.92")));
        // One batch of transfers and one audit record for the one application.
        assert_eq!(audit_is_intact(&db).await, records_before + 1);
    }

    async fn approvals_racing_for_a_small_fund_pay_exactly_the_affordable(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let settings = RiskFundSettings {
            county_code: county(),
            effective_from: date("2017-01-01"),
            leverage_multiple: 8,
            fund_share_ppm: 800_000,
            trigger_days: 90,
        };
        funds::set_risk_settings(&db, &ctx(), &settings).await.expect("settings");
        deposit(&db, "F1", "361128", "risk_compensation", "2017-01-05", "130000").await.expect("deposit");
        // Six covered loans of 50,000, unpaid: six claims of 40,000 against a fund of 130,000.
        let header = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n";
        let rows: String = (1..=6).map(|k| format!("K{k},PYRCB,MC,household,H1,50000,4.75,2017-01-15,2018-01-15,monthly_interest,养殖\n")).collect();
        let report = import_file(&db, &write(dir.path(), "loans.csv", &format!("{header}{rows}")), LoanImporter::new(&db)).await;
        assert_applied(&report);
        loans::eod::run(&db, &ctx(), date("2017-05-16"), Some(date("2017-01-01")), &mut |_| {}).await.expect("eod");
        let claims = funds::risk_claims(&db, Some(county())).await.expect("claims");
        assert_eq!(claims.len(), 6);
        // Every claim approved twice at once: twelve approvals.
        let mut tasks = Vec::new();
        for claim in claims.iter().chain(claims.iter()) {
            let (db, id) = (db.clone(), claim.claim.id);
            tasks.push(tokio::spawn(async move {
                (id, funds::approve_risk_claim(&db, &ctx(), id, date("2017-05-20")).await)
            }));
        }
        let mut paid = std::collections::BTreeMap::<i64, usize>::new();
        let mut refused = 0;
        for task in tasks {
            let (id, outcome) = task.await.expect("task");
            match outcome {
                Ok(_) => *paid.entry(id).or_default() += 1,
                Err(AppError::Conflict(_) | AppError::Invalid(_)) => refused += 1,
                Err(other) => panic!("not a definite answer: {other:?}"),
            }
        }
        assert!(paid.values().all(|&n| n == 1), "no claim is paid twice: {paid:?}");
        assert_eq!((paid.len(), refused), (3, 9), "130,000 pays three claims of 40,000");
        assert_eq!(balance(&db, "fund:361128000000:risk").await, yuan("10000"));
        let approved = funds::risk_claims(&db, Some(county())).await.expect("claims")
            .into_iter().filter(|c| c.claim.state == "approved" || c.claim.state == "paid").count();
        assert_eq!(approved, 3);
        ledger_is_clean(&db).await;
        audit_is_intact(&db).await;
    }

    async fn the_same_file_imported_at_once_is_applied_once(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let records_before = audit_is_intact(&db).await;

        // Households: ten new ones in one village.
        let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n";
        let mut households = header.to_string();
        households.push_str(&format!("H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal\n", resident_id("19770501", "001")));
        households.push_str(&format!("H2,361128100001,李四,{},head,general,lack_funds,poor,2015-10-01,2100,weak\n", resident_id("19470301", "002")));
        for n in 3..=12 {
            households.push_str(&format!("H{n},361128100001,王{n},{},head,general,illness,poor,2016-10-01,2000,normal\n", resident_id("19800101", &format!("{n:03}"))));
        }
        let households = write(dir.path(), "households-2.csv", &households);
        let deposits = write(dir.path(), "deposits.csv", "id,county_code,fund,deposited_on,amount\nD1,361128,subsidy,2017-01-05,10000\nD2,361128,risk_compensation,2017-01-05,20000\n");
        let loans_file = write(dir.path(), "loans.csv", &format!("{LOAN_HEADER}L1,PYRCB,MC,household,H1,30000,4.75,2017-03-15,2020-03-15,养殖\nL2,PYRCB,MC,household,H1,20000,4.75,2017-03-15,2019-03-15,种茶\n"));

        let mut tasks = Vec::new();
        for i in 0..PARALLEL {
            let db = db.clone();
            let (households, deposits, loans_file) = (households.clone(), deposits.clone(), loans_file.clone());
            tasks.push(tokio::spawn(async move {
                let outcome: fupin_app::Result<ImportReport> = match i % 3 {
                    0 => import_households(&db, &ctx(), &households, &ImportOptions::default(), date("2017-02-28")).await,
                    1 => fupin_app::imports::run(&db, &ctx(), &deposits, &ImportOptions::default(), DepositImporter::default()).await,
                    _ => fupin_app::imports::run(&db, &ctx(), &loans_file, &ImportOptions::default(), LoanImporter::new(&db)).await,
                };
                (i % 3, outcome)
            }));
        }
        let mut added = [0u64; 3];
        let mut failed = 0;
        for task in tasks {
            let (kind, outcome) = task.await.expect("task");
            match outcome {
                Ok(report) => {
                    assert!(report.applied, "{kind}: {:#?}", report.errors);
                    added[kind] += report.counts.added;
                }
                // A clean refusal: the import changed nothing.
                Err(error) => {
                    assert!(!matches!(error, AppError::File { .. }), "{error}");
                    println!("import {kind} refused: {error}");
                    failed += 1;
                }
            }
        }
        println!("parallel imports: added {added:?}, failed cleanly {failed}");
        assert_eq!(added, [10, 2, 2], "each file applied once: ten households, two deposits, two loans");
        assert_eq!(count_rows(&db, "select count(*) from households").await, 12);
        assert_eq!(count_rows(&db, "select count(*) from members").await, 12);
        assert_eq!(count_rows(&db, "select count(*) from fund_deposits").await, 2);
        assert_eq!(count_rows(&db, "select count(*) from loans").await, 2);
        assert_eq!(count_rows(&db, "select count(*) from loan_instalments where loan_id = (select id from loans where contract_no = 'L1')").await, 36);
        assert_eq!(balance(&db, "fund:361128000000:subsidy").await, yuan("10000"));
        assert_eq!(balance(&db, "loan:PYRCB:L1:principal").await, yuan("30000"));
        ledger_is_clean(&db).await;
        assert!(audit_is_intact(&db).await > records_before);
    }
}
