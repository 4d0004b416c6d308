//! Loan servicing as banks run it (issue 26): the product's day count for equal principal,
//! grace, prepayment and penalty interest — through files and use cases, on both engines.
//! Every expected amount is worked out by hand (shown beside it) or by
//! tests/reference/equal_principal_day_count.py, never by the code under test.

mod common;

use common::*;
use fupin_app::imports::loans::{LoanImporter, ProductImporter, RepaymentImporter};
use fupin_app::loans::{self, Prepayment, PrepaymentOption, RepaymentOrder, RepaymentOutcome};
use fupin_core::Fen;

/// Applies a prepayment by command, committing unless refused.
async fn prepay(
    db: &fupin_store::Db,
    id: &str,
    contract: &str,
    on: &str,
    amount: &str,
    option: Option<PrepaymentOption>,
) -> fupin_app::Result<RepaymentOutcome> {
    let mut tx = db.write().await.expect("begin");
    let order = RepaymentOrder {
        institution_code: "PYRCB".into(),
        id: id.into(),
        contract_no: contract.into(),
        paid_on: date(on),
        amount: yuan(amount),
        prepayment: Some(Prepayment { option }),
    };
    let outcome = loans::repay(&mut tx, &ctx(), &order).await;
    match &outcome {
        Ok(_) => tx.commit().await.expect("commit"),
        Err(_) => tx.rollback().await.expect("rollback"),
    }
    outcome
}

/// Two act/360 equal-principal loans of 864,000 from 2016-12-15 over 12 months, whose first
/// four instalments are paid (see the bank file test for their figures).
async fn two_loans_paid_to_april(db: &fupin_store::Db, dir: &std::path::Path) {
    setup(db, dir).await;
    servicing_products(db, dir).await;
    let enterprise = enterprise_code();
    let loans_file = write(dir, "loans.csv", &format!(
        "{LOAN_HEADER}EP1,PYRCB,EP360,enterprise,{enterprise},864000,4.75,2016-12-15,2017-12-15,生猪养殖场扩建
         EP2,PYRCB,EP360,enterprise,{enterprise},864000,4.75,2016-12-15,2017-12-15,茶园扩建
"
    ));
    assert_applied(&import_file(db, &loans_file, LoanImporter::new(db)).await);
    let mut rows = String::from("id,contract_no,institution_code,paid_on,amount\n");
    for contract in ["EP1", "EP2"] {
        for (month, amount) in [
            ("01", "75534.00"),
            ("02", "75239.50"),
            ("03", "74660.00"),
            ("04", "74650.50"),
        ] {
            rows.push_str(&format!(
                "{contract}-{month},{contract},PYRCB,2017-{month}-15,{amount}\n"
            ));
        }
    }
    let file = write(dir, "repayments-to-april.csv", &rows);
    assert_applied(&import_file(db, &file, RepaymentImporter::default()).await);
}

const PRODUCT_HEADER: &str = "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,day_count,subsidy_rate,risk_fund_share,institution_code,counties,grace_months,grace_days,penalty_uplift,prepayment_option\n";

/// Adds the servicing products: an enterprise loan repaid in equal principal accruing
/// actual/360 (as a bank's core system computes it).
async fn servicing_products(db: &fupin_store::Db, dir: &std::path::Path) {
    let file = write(
        dir,
        "servicing-products.csv",
        &format!(
            "{PRODUCT_HEADER}\
             EP360,等额本金产业贷,industry,enterprise,3000000,60,4.75,equal_principal,act/360,,,PYRCB,,,,,\n\
             GRACE,宽限期产业贷,industry,enterprise,3000000,60,4.75,equal_principal,act/360,,,PYRCB,,3,,,\n\
             PEN,商业流动资金贷,other,enterprise,3000000,12,6,bullet,act/360,,,PYRCB,,,3,50%,\n"
        ),
    );
    assert_applied(&import_file(db, &file, ProductImporter::default()).await);
}

/// The commercial bullet loan PN1 (PEN: +50 % penalty after 3 days' grace): 100,000 at 6 %
/// from 2017-01-10 to 2017-04-10, interest 100,000 × 6 % × 90 / 360 = 1,500.00, left unpaid;
/// end of day to 20 April charges 14–20 April, 7 × 100,000 × 6 % × 1.5 / 360 = 7 × 25.00 =
/// 175.00 of penalty interest.
async fn a_penalised_loan(db: &fupin_store::Db, dir: &std::path::Path) {
    setup(db, dir).await;
    servicing_products(db, dir).await;
    let enterprise = enterprise_code();
    let file = write(
        dir,
        "penalised.csv",
        &format!(
            "{LOAN_HEADER}PN1,PYRCB,PEN,enterprise,{enterprise},100000,6,2017-01-10,2017-04-10,流动资金\n"
        ),
    );
    assert_applied(&import_file(db, &file, LoanImporter::new(db)).await);
    eod(db, "2017-04-20").await;
    assert_eq!(balance(db, "loan:PYRCB:PN1:penalty").await, yuan("175.00"));
}

/// Month, county code and principal (to the fen) of the maturity sheet's rows above its totals.
fn maturity_sheet_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{DataType, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("workbook");
    let range = book
        .worksheet_range(fupin_app::report::MATURITY_SHEET)
        .expect("the maturity sheet");
    range
        .rows()
        .skip(1)
        .take_while(|row| !row[0].to_string().is_empty())
        .map(|row| {
            vec![
                row[0].to_string(),
                row[1].to_string(),
                format!("{:.2}", row[3].as_f64().expect("a number")),
            ]
        })
        .collect()
}

fupin_store::on_both_engines! {
    async fn a_bank_file_on_an_act_360_equal_principal_product_imports_cleanly(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        servicing_products(&db, dir.path()).await;
        let enterprise = enterprise_code();
        let loans_file = write(dir.path(), "loans.csv", &format!(
            "{LOAN_HEADER}EP1,PYRCB,EP360,enterprise,{enterprise},864000,4.75,2016-12-15,2017-12-15,生猪养殖场扩建\n"
        ));
        assert_applied(&import_file(&db, &loans_file, LoanImporter::new(&db)).await);

        // The bank's own figures, worked by hand (and by the reference script): 72,000 of
        // principal a month; interest = principal outstanding × 4.75 % × actual days / 360.
        //   2017-01-15: 864,000 × 0.0475 × 31 / 360 = 3,534.00 → 75,534.00
        //   2017-02-15: 792,000 × 0.0475 × 31 / 360 = 3,239.50 → 75,239.50
        //   2017-03-15: 720,000 × 0.0475 × 28 / 360 = 2,660.00 → 74,660.00
        //   2017-04-15: 648,000 × 0.0475 × 31 / 360 = 2,650.50 → 74,650.50
        // A bank's repayments file, Chinese headers, amounts as the bank's system prints them.
        let repayments = write(dir.path(), "repayments.csv",
            "流水号,合同编号,机构代码,还款日期,还款金额\n\
             B0001,EP1,PYRCB,2017-01-15,\"75,534.00\"\n\
             B0002,EP1,PYRCB,2017-02-15,\"75,239.50\"\n\
             B0003,EP1,PYRCB,2017-03-15,\"74,660.00\"\n\
             B0004,EP1,PYRCB,2017-04-15,\"74,650.50\"\n");
        let report = import_file(&db, &repayments, RepaymentImporter::default()).await;
        assert_applied(&report);
        assert_eq!(report.counts.added, 4);
        // 864,000 − 4 × 72,000 = 576,000 left; interest 3,534 + 3,239.50 + 2,660 + 2,650.50.
        assert_eq!(balance(&db, "loan:PYRCB:EP1:principal").await, yuan("576000"));
        assert_eq!(balance(&db, "bank:PYRCB:interest_income").await, yuan("12084.00"));
        let detail = loans::detail(&db, "PYRCB", "EP1").await.expect("detail");
        assert_eq!(detail.loan.next_unpaid_due_on, Some(date("2017-05-15")));
        // May: 576,000 × 0.0475 × 30 / 360 = 2,280.00.
        let may = &detail.instalments[4].state;
        assert_eq!((may.principal, may.interest), (yuan("72000"), yuan("2280.00")));
        ledger_is_clean(&db).await;
    }

    async fn a_method_with_a_day_count_or_grace_it_cannot_apply_is_refused(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let file = write(dir.path(), "products.csv", &format!(
            "{PRODUCT_HEADER}\
             OK1,等额本金,industry,enterprise,3000000,60,4.75,equal_principal,act/365,,,PYRCB,,,,,\n\
             BAD1,等额本息,industry,enterprise,3000000,60,4.75,equal_instalment,act/365,,,PYRCB,,,,,\n\
             BAD2,利随本清,industry,enterprise,3000000,12,4.75,bullet,act/360,,,PYRCB,,3,,,\n\
             BAD3,等额本金,industry,enterprise,3000000,12,4.75,equal_principal,act/360,,,PYRCB,,12,,,\n"
        ));
        let report = import_file(&db, &file, ProductImporter::default()).await;
        assert!(!report.applied);
        let expect = [
            (3, "repayment", "cannot accrue by act/365"),
            (4, "repayment", "grace of 3 months of interest only cannot apply"),
            (5, "repayment", "leaves no month to repay"),
        ];
        for (line, column, fragment) in expect {
            assert!(
                report.errors.iter().any(|e| e.line == line && e.column == column && e.message.contains(fragment)),
                "line {line} {column} {fragment:?} in {:#?}", report.errors
            );
        }
        assert_eq!(report.errors.len(), 3, "{:#?}", report.errors);
    }

    async fn a_prepayment_keeping_the_term_lowers_the_instalments(db) {
        let dir = tempfile::tempdir().expect("dir");
        two_loans_paid_to_april(&db, dir.path()).await;
        // On 10 May, May's instalment is current: 72,000 + 2,280.00 = 74,280.00 is due. The
        // settlement: all 576,000 of principal + May's 2,280.00 = 578,280.00; above it, refused.
        let over = prepay(&db, "X1", "EP1", "2017-05-10", "578280.01", None).await.expect_err("above");
        assert!(over.to_string().contains("more than the settlement amount on 2017-05-10 (578,280.00)"), "{over}");
        // 218,280.00 pays May's 74,280.00 and 144,000 of principal ahead, as a bank's file
        // says it: prepayment = 是, no option (the product's default, keep_term).
        let file = write(dir.path(), "prepayments.csv",
            "流水号,合同编号,机构代码,还款日期,还款金额,提前还款,提前还款方式\n\
             P0001,EP1,PYRCB,2017-05-10,218280.00,是,\n");
        let report = import_file(&db, &file, RepaymentImporter::default()).await;
        assert_applied(&report);
        // 864,000 − 5 × 72,000 − 144,000 = 360,000 left, over the same 7 months to 2017-12-15.
        assert_eq!(balance(&db, "loan:PYRCB:EP1:principal").await, yuan("360000"));
        let detail = loans::detail(&db, "PYRCB", "EP1").await.expect("detail");
        assert_eq!(detail.loan.terms.maturity_on, date("2017-12-15"));
        let live: Vec<_> = detail.instalments.iter().filter(|r| !r.superseded).collect();
        let superseded: Vec<u32> = detail.instalments.iter().filter(|r| r.superseded).map(|r| r.state.number).collect();
        assert_eq!(superseded, (6..=12).collect::<Vec<u32>>(), "the old schedule is kept");
        // tests/reference/equal_principal_day_count.py 360000 4.75 7 2017-05-15 act/360:
        // 360,000 / 7 = 51,428.57; June 360,000 × 0.0475 × 31 / 360 = 1,472.50; the last
        // repays 51,428.58 with 51,428.58 × 0.0475 × 30 / 360 = 203.57.
        let new: Vec<_> = live.iter().filter(|r| r.state.number >= 13).map(|r| &r.state).collect();
        assert_eq!(new.len(), 7);
        assert_eq!((new[0].number, new[0].due_on, new[0].principal, new[0].interest),
            (13, date("2017-06-15"), yuan("51428.57"), yuan("1472.50")));
        assert_eq!((new[6].due_on, new[6].principal, new[6].interest),
            (date("2017-12-15"), yuan("51428.58"), yuan("203.57")));
        assert_eq!(detail.schedule_versions.len(), 1);
        let version = &detail.schedule_versions[0];
        assert_eq!((version.version, version.first_number, version.kind.as_str()), (2, 13, "prepayment"));
        assert_eq!(version.prepayment_option.as_deref(), Some("keep_term"));
        assert_eq!(version.repayment_id.as_deref(), Some("P0001"));
        assert_eq!((version.principal, version.maturity_on), (yuan("360000"), date("2017-12-15")));
        assert_eq!(detail.loan.next_unpaid_due_on, Some(date("2017-06-15")));
        assert_eq!(count_rows(&db, "select count(*) from audit_log where action = 'loan.reschedule'").await, 1);
        ledger_is_clean(&db).await;
        // The same file again posts nothing.
        let again = import_file(&db, &file, RepaymentImporter::default()).await;
        assert_applied(&again);
        assert_eq!(again.counts.unchanged, 1);
        assert_eq!(balance(&db, "loan:PYRCB:EP1:principal").await, yuan("360000"));
        // June's new instalment, 52,901.07, is an ordinary repayment of the new schedule.
        let june = repay(&db, "J1", "EP1", "2017-06-15", "52901.07").await.expect("applies");
        assert_eq!(june, RepaymentOutcome::Applied { principal: yuan("51428.57"), interest: yuan("1472.50"), penalty: Fen::ZERO, settled: false });
        ledger_is_clean(&db).await;
    }

    async fn a_prepayment_keeping_the_instalment_shortens_the_term(db) {
        let dir = tempfile::tempdir().expect("dir");
        two_loans_paid_to_april(&db, dir.path()).await;
        let outcome = prepay(&db, "X2", "EP2", "2017-05-10", "218280.00", Some(PrepaymentOption::KeepInstalment))
            .await.expect("applies");
        // May's 72,000 + 144,000 ahead; May's interest 2,280.00.
        assert_eq!(outcome, RepaymentOutcome::Applied { principal: yuan("216000"), interest: yuan("2280.00"), penalty: Fen::ZERO, settled: false });
        // 360,000 at 72,000 a month: ⌈5⌉ = 5 months from 2017-05-15, maturity 2017-10-15.
        // Reference script `360000 4.75 5 2017-05-15 act/360`: interest 1,472.50, 1,140.00,
        // 883.50, 589.00, 285.00.
        let detail = loans::detail(&db, "PYRCB", "EP2").await.expect("detail");
        assert_eq!(detail.loan.terms.maturity_on, date("2017-10-15"));
        let new: Vec<(String, String, String)> = detail.instalments.iter()
            .filter(|r| !r.superseded && r.state.number >= 13)
            .map(|r| (r.state.due_on.to_string(), r.state.principal.to_plain_yuan(), r.state.interest.to_plain_yuan()))
            .collect();
        let expected: Vec<(String, String, String)> = [
            ("2017-06-15", "72000.00", "1472.50"),
            ("2017-07-15", "72000.00", "1140.00"),
            ("2017-08-15", "72000.00", "883.50"),
            ("2017-09-15", "72000.00", "589.00"),
            ("2017-10-15", "72000.00", "285.00"),
        ].iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        assert_eq!(new, expected);
        assert_eq!(detail.schedule_versions[0].prepayment_option.as_deref(), Some("keep_instalment"));
        assert_eq!(detail.repayments.last().and_then(|r| r.prepayment_option.as_deref()), Some("keep_instalment"));
        // The same id as an ordinary repayment is another repayment: refused.
        let conflict = repay(&db, "X2", "EP2", "2017-05-10", "218280.00").await.expect_err("conflict");
        assert!(matches!(conflict, fupin_app::AppError::Conflict(_)), "{conflict}");
        ledger_is_clean(&db).await;
    }

    async fn a_graced_product_pays_interest_only_first(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        servicing_products(&db, dir.path()).await;
        let enterprise = enterprise_code();
        let file = write(dir.path(), "loans.csv", &format!(
            "{LOAN_HEADER}G1,PYRCB,GRACE,enterprise,{enterprise},120000,4.75,2017-03-15,2018-03-15,冷库建设\n"
        ));
        assert_applied(&import_file(&db, &file, LoanImporter::new(&db)).await);
        // Reference script `120000 4.75 12 2017-03-15 act/360 3`: three months of interest
        // only (120,000 × 4.75 % × 31 / 360 = 490.83 in April), then 120,000 / 9 = 13,333.33 a
        // month, the last 13,333.36.
        let detail = loans::detail(&db, "PYRCB", "G1").await.expect("detail");
        let rows: Vec<(String, String)> = detail.instalments.iter()
            .map(|r| (r.state.principal.to_plain_yuan(), r.state.interest.to_plain_yuan()))
            .collect();
        assert_eq!(rows[0], ("0.00".to_string(), "490.83".to_string()));
        assert_eq!(rows[2], ("0.00".to_string(), "490.83".to_string()));
        assert_eq!(rows[3], ("13333.33".to_string(), "475.00".to_string()));
        assert_eq!(rows[11], ("13333.36".to_string(), "49.26".to_string()));
        // A graced loan whose term leaves nothing to repay in is refused, naming why.
        let short = write(dir.path(), "short.csv", &format!(
            "{LOAN_HEADER}G2,PYRCB,GRACE,enterprise,{enterprise},120000,4.75,2017-03-15,2017-06-15,冷库建设\n"
        ));
        let report = import_file(&db, &short, LoanImporter::new(&db)).await;
        assert!(!report.applied);
        assert!(report.errors.iter().any(|e| e.column == "repayment" && e.message.contains("leaves no month to repay")),
            "{:#?}", report.errors);
    }

    async fn penalty_interest_runs_on_overdue_principal_after_the_grace_days(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        servicing_products(&db, dir.path()).await;
        let enterprise = enterprise_code();
        // A commercial bullet loan: 100,000 at 6 % from 2017-01-10 to 2017-04-10 (90 days):
        // interest 100,000 × 6 % × 90 / 360 = 1,500.00, all due on 10 April. Left unpaid.
        let file = write(dir.path(), "loans.csv", &format!(
            "{LOAN_HEADER}PN1,PYRCB,PEN,enterprise,{enterprise},100000,6,2017-01-10,2017-04-10,流动资金\n"
        ));
        assert_applied(&import_file(&db, &file, LoanImporter::new(&db)).await);
        eod(&db, "2017-04-13").await;
        // Within the 3 grace days (11–13 April): no penalty, no overdue spell, yet the class
        // follows the regulation's 3 days past due.
        let detail = loans::detail(&db, "PYRCB", "PN1").await.expect("detail");
        assert_eq!(detail.penalty_outstanding, Fen::ZERO);
        assert_eq!((detail.loan.overdue_days, detail.loan.classification.as_str()), (3, "special_mention"));
        assert_eq!(detail.loan.overdue_since, None);
        assert!(detail.overdue_spells.is_empty());
        eod(&db, "2017-04-20").await;
        // 14–20 April, 7 days × 100,000 × 6 % × 1.5 / 360 = 7 × 25.00 = 175.00, apart from
        // the 1,500.00 of interest.
        let detail = loans::detail(&db, "PYRCB", "PN1").await.expect("detail");
        assert_eq!(detail.penalty_outstanding, yuan("175.00"));
        assert_eq!(detail.interest_outstanding, yuan("1500.00"));
        assert_eq!(balance(&db, "bank:PYRCB:penalty_income").await, yuan("175.00"));
        assert_eq!(detail.loan.overdue_days, 10);
        assert_eq!(detail.loan.overdue_since, Some(date("2017-04-14")));
        assert_eq!(detail.overdue_spells, vec![(date("2017-04-14"), None)]);
        // End of day again for days already done charges nothing twice.
        eod(&db, "2017-04-20").await;
        assert_eq!(balance(&db, "bank:PYRCB:penalty_income").await, yuan("175.00"));
        // The indicator of penalty interest outstanding: the county holds 175.00.
        let request = fupin_app::indicators::Request {
            scope: fupin_app::indicators::Scope::Region(fupin_core::RegionCode::parse("361128").expect("county")),
            as_of: date("2017-04-20"),
            base: None,
            institution: None,
            codes: Some(vec!["penalty_interest_outstanding".to_string()]),
        };
        fupin_app::indicators::load_builtin(&db, &ctx()).await.expect("built-in indicators");
        let values = fupin_app::indicators::evaluate(&db, &ctx(), &request).await.expect("evaluate");
        let penalty = values.iter().find(|v| v.indicator.code == "penalty_interest_outstanding").expect("indicator");
        assert_eq!(penalty.text().as_deref(), Some("175.00"), "{penalty:?}");
        ledger_is_clean(&db).await;
    }

    async fn the_subsidy_follows_the_principal_a_prepayment_leaves(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        let county = fupin_core::RegionCode::parse("361128").expect("county");
        let settings = fupin_app::funds::RiskFundSettings {
            county_code: county,
            effective_from: date("2017-01-01"),
            leverage_multiple: 8,
            fund_share_ppm: 800_000,
            trigger_days: 90,
        };
        fupin_app::funds::set_risk_settings(&db, &ctx(), &settings).await.expect("settings");
        let deposits = write(dir.path(), "deposits.csv",
            "id,county_code,fund,deposited_on,amount\nD1,361128,subsidy,2017-01-05,10000\nD2,361128,risk_compensation,2017-01-05,20000\n");
        assert_applied(&import_file(&db, &deposits, fupin_app::imports::funds::DepositImporter::default()).await);
        // MC is subsidised at 4.75 %. 50,000 from 2017-03-15, interest monthly (act/360).
        let header = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n";
        let file = write(dir.path(), "loans.csv", &format!(
            "{header}S1,PYRCB,MC,household,H1,50000,4.75,2017-03-15,2018-03-15,monthly_interest,养殖\n"));
        assert_applied(&import_file(&db, &file, LoanImporter::new(&db)).await);
        // April: 50,000 × 4.75 % × 31 / 360 = 204.51, paid when due.
        eod(&db, "2017-04-14").await;
        repay(&db, "S1-04", "S1", "2017-04-15", "204.51").await.expect("April");
        eod(&db, "2017-05-09").await;
        // 10 May: May's 50,000 × 4.75 % × 30 / 360 = 197.92 is due; 20,197.92 prepays 20,000.
        prepay(&db, "S1-P", "S1", "2017-05-10", "20197.92", Some(PrepaymentOption::KeepTerm)).await.expect("prepays");
        assert_eq!(balance(&db, "loan:PYRCB:S1:principal").await, yuan("30000"));
        // June on the new schedule: 30,000 × 4.75 % × 31 / 360 = 122.71, paid when due.
        eod(&db, "2017-06-14").await;
        repay(&db, "S1-06", "S1", "2017-06-15", "122.71").await.expect("June");
        eod(&db, "2017-06-30").await;
        // Q2 subsidy, never overdue: 50,000 at the end of 1 Apr – 9 May (39 days), 30,000 from
        // 10 May to 30 Jun (52 days): (50,000 × 39 + 30,000 × 52) × 4.75 % / 360 = 463.125 →
        // 463.13.
        let quarter = fupin_core::date::Quarter::parse("2017Q2").expect("quarter");
        let claims = fupin_app::funds::prepare_subsidy_claims(&db, &ctx(), quarter, Some(county)).await.expect("claims");
        let lines: Vec<(i64, fupin_core::Fen)> = claims[0].1.iter().map(|l| (l.line.days, l.line.amount)).collect();
        assert_eq!(lines, vec![(91, yuan("463.13"))]);
        ledger_is_clean(&db).await;
    }

    async fn a_repayment_collects_penalty_interest_first_and_a_settlement_clears_it(db) {
        let dir = tempfile::tempdir().expect("dir");
        a_penalised_loan(&db, dir.path()).await;
        // 21 April, 1,000.00: the 175.00 of penalty first, then 825.00 of the overdue interest.
        let paid = repay(&db, "PN1-1", "PN1", "2017-04-21", "1000").await.expect("applies");
        assert_eq!(paid, RepaymentOutcome::Applied { principal: Fen::ZERO, interest: yuan("825.00"), penalty: yuan("175.00"), settled: false });
        assert_eq!(balance(&db, "loan:PYRCB:PN1:penalty").await, Fen::ZERO);
        assert_eq!(balance(&db, "loan:PYRCB:PN1:interest").await, yuan("675.00"));
        // 21–22 April run on: 2 × 25.00 = 50.00 more.
        eod(&db, "2017-04-22").await;
        assert_eq!(balance(&db, "loan:PYRCB:PN1:penalty").await, yuan("50.00"));
        assert_eq!(balance(&db, "bank:PYRCB:penalty_income").await, yuan("225.00"));
        // Settlement on 23 April: 50.00 + 100,000 + 675.00 = 100,725.00; more is refused naming it.
        let over = repay(&db, "PN1-X", "PN1", "2017-04-23", "100800").await.expect_err("refused");
        assert!(over.to_string().contains("settlement amount (100,725.00)"), "{over}");
        let settled = repay(&db, "PN1-2", "PN1", "2017-04-23", "100725").await.expect("settles");
        assert_eq!(settled, RepaymentOutcome::Applied { principal: yuan("100000"), interest: yuan("675.00"), penalty: yuan("50.00"), settled: true });
        let detail = loans::detail(&db, "PYRCB", "PN1").await.expect("detail");
        assert_eq!(detail.loan.status, "settled");
        assert_eq!(detail.penalty_outstanding, Fen::ZERO);
        // Cash in: 1,000 + 100,725 = 101,725 = 100,000 + 1,500 + 225 of penalty.
        assert_eq!(balance(&db, "bank:PYRCB:penalty_income").await, yuan("225.00"));
        // A settled loan is charged no more penalty.
        eod(&db, "2017-04-30").await;
        assert_eq!(balance(&db, "loan:PYRCB:PN1:penalty").await, Fen::ZERO);
        ledger_is_clean(&db).await;
    }

    async fn two_repayments_of_one_file_see_the_penalty_the_first_left(db) {
        let dir = tempfile::tempdir().expect("dir");
        a_penalised_loan(&db, dir.path()).await;
        // Two rows of one loan in one file: the first's 100.00 is all penalty (175.00 owed);
        // the second's 100.00 is the 75.00 left of it and 25.00 of interest.
        let file = write(dir.path(), "two.csv",
            "id,contract_no,institution_code,paid_on,amount
             T1,PN1,PYRCB,2017-04-21,100.00
             T2,PN1,PYRCB,2017-04-21,100.00
");
        let report = import_file(&db, &file, RepaymentImporter::default()).await;
        assert_applied(&report);
        assert_eq!(report.counts.added, 2);
        assert_eq!(balance(&db, "loan:PYRCB:PN1:penalty").await, Fen::ZERO);
        assert_eq!(balance(&db, "loan:PYRCB:PN1:interest").await, yuan("1475.00"));
        assert_eq!(balance(&db, "loan:PYRCB:PN1:principal").await, yuan("100000"));
        // The settlement in a file: 100,000 + 1,475.00, no penalty left (none charged since).
        let file = write(dir.path(), "settle.csv",
            "id,contract_no,institution_code,paid_on,amount
T3,PN1,PYRCB,2017-04-21,101475.00
");
        assert_applied(&import_file(&db, &file, RepaymentImporter::default()).await);
        let detail = loans::detail(&db, "PYRCB", "PN1").await.expect("detail");
        assert_eq!((detail.loan.status.as_str(), detail.penalty_outstanding), ("settled", Fen::ZERO));
        ledger_is_clean(&db).await;
    }

    async fn a_write_off_writes_off_the_penalty_interest(db) {
        let dir = tempfile::tempdir().expect("dir");
        a_penalised_loan(&db, dir.path()).await;
        let (amount, loan) = loans::write_off_command(&db, &ctx(), "PYRCB", "PN1", date("2017-04-21"), "企业破产")
            .await.expect("writes off");
        // 100,000 + 1,500.00 + 175.00.
        assert_eq!(amount, yuan("101675.00"));
        assert_eq!(loan.status, "written_off");
        assert_eq!(balance(&db, "loan:PYRCB:PN1:penalty").await, Fen::ZERO);
        assert_eq!(balance(&db, "bank:PYRCB:loan_losses").await, yuan("101675.00"));
        let audited = count_rows(&db, "select count(*) from audit_log where action = 'loan.write_off' and after_json like '%\"penalty\":\"175.00\"%'").await;
        assert_eq!(audited, 1);
        // No penalty accrues on a written-off loan.
        eod(&db, "2017-04-25").await;
        assert_eq!(balance(&db, "loan:PYRCB:PN1:penalty").await, Fen::ZERO);
        ledger_is_clean(&db).await;
    }


    async fn the_maturity_wall_counts_current_schedules_by_month_and_county(db) {
        let dir = tempfile::tempdir().expect("dir");
        two_loans_paid_to_april(&db, dir.path()).await;
        // EP1 and EP2 each repay 72,000 on the 15th, May to December 2017. As of 9 May, month 1
        // is June and takes the rest of May too: 2 × 72,000 (May) + 2 × 72,000 (June).
        let wall = loans::maturity::wall_for(&db, &ctx(), None, date("2017-05-09")).await.expect("wall");
        assert_eq!(wall.months.len(), 24);
        assert_eq!((wall.months[0].as_str(), wall.months[23].as_str()), ("2017-06", "2019-05"));
        let totals = wall.month_totals();
        assert_eq!(totals[0], yuan("288000"));
        assert_eq!(totals[1..7].to_vec(), vec![yuan("144000"); 6], "July to December");
        assert!(totals[7..].iter().all(|t| *t == Fen::ZERO));
        assert_eq!(wall.counties(), vec!["361128".to_string()]);
        // EP1 prepays 144,000 on 10 May keeping the term: its new schedule (51,428.57 a month
        // June to November, 51,428.58 in December) replaces the old; EP2 is unchanged.
        prepay(&db, "P1", "EP1", "2017-05-10", "218280.00", None).await.expect("prepays");
        repay(&db, "EP2-05", "EP2", "2017-05-15", "74280.00").await.expect("May");
        let wall = loans::maturity::wall_for(&db, &ctx(), None, date("2017-05-31")).await.expect("wall");
        let totals = wall.month_totals();
        assert_eq!(wall.months[0], "2017-06");
        assert_eq!(totals[0], yuan("123428.57"), "51,428.57 + 72,000");
        assert_eq!(totals[6], yuan("123428.58"), "December: 51,428.58 + 72,000");
        // All that is left: 360,000 of EP1 and 7 × 72,000 = 504,000 of EP2.
        let all: i64 = totals.iter().map(|t| t.fen()).sum();
        assert_eq!(Fen::new(all), yuan("864000"));
        // The indicator: the next three months, 3 × 123,428.57 = 370,285.71.
        fupin_app::indicators::load_builtin(&db, &ctx()).await.expect("built-in indicators");
        let request = fupin_app::indicators::Request {
            scope: fupin_app::indicators::Scope::Region(fupin_core::RegionCode::parse("361128").expect("county")),
            as_of: date("2017-05-31"),
            base: None,
            institution: None,
            codes: Some(vec!["principal_maturing_3_months".to_string()]),
        };
        let values = fupin_app::indicators::evaluate(&db, &ctx(), &request).await.expect("evaluate");
        let value = values.iter().find(|v| v.indicator.code == "principal_maturing_3_months").expect("indicator");
        assert_eq!(value.text().as_deref(), Some("370285.71"), "{value:?}");
        // A settled loan falls off the wall.
        // The report's sheet: one row a month of county 361128, June 123,428.57 first.
        let report = fupin_app::report::build(&db, &ctx(), &request).await.expect("report");
        let bytes = fupin_app::report::render(&report, "xlsx").expect("xlsx");
        let rows = maturity_sheet_rows(bytes);
        assert_eq!(rows[0], vec!["2017-06".to_string(), "361128".to_string(), "123428.57".to_string()]);
        assert_eq!(rows[6], vec!["2017-12".to_string(), "361128".to_string(), "123428.58".to_string()]);
        assert_eq!(rows.len(), 7, "June to December only: {rows:?}");
        // EP2 settles on 31 May: 504,000 + June's 504,000 × 4.75 % × 31 / 360 = 2,061.50.
        let settle = repay(&db, "EP2-S", "EP2", "2017-05-31", "506061.50").await.expect("settles");
        assert!(matches!(settle, RepaymentOutcome::Applied { settled: true, .. }));
        let wall = loans::maturity::wall_for(&db, &ctx(), None, date("2017-05-31")).await.expect("wall");
        assert_eq!(wall.month_totals()[0], yuan("51428.57"));
        ledger_is_clean(&db).await;
    }


    async fn renewal_and_extension_requests_stay_listed_until_decided(db) {
        use fupin_app::loans::requests::{self, RequestKind};
        let dir = tempfile::tempdir().expect("dir");
        two_loans_paid_to_april(&db, dir.path()).await;
        let (first, new) = requests::record(&db, &ctx(), ("PYRCB", "EP1"), RequestKind::Extension, date("2017-05-02"), Some("生猪价格下跌"))
            .await.expect("recorded");
        assert!(new);
        assert_eq!((first.seq, first.status.as_str()), (1, "pending"));
        // A retry answers the same request; another date while one is pending is a conflict.
        let (again, new) = requests::record(&db, &ctx(), ("PYRCB", "EP1"), RequestKind::Extension, date("2017-05-02"), None)
            .await.expect("retry");
        assert_eq!((again.seq, new), (1, false));
        let conflict = requests::record(&db, &ctx(), ("PYRCB", "EP1"), RequestKind::Extension, date("2017-05-03"), None)
            .await.expect_err("conflict");
        assert!(matches!(conflict, fupin_app::AppError::Conflict(_)), "{conflict}");
        requests::record(&db, &ctx(), ("PYRCB", "EP2"), RequestKind::Renewal, date("2017-05-04"), None)
            .await.expect("recorded");
        let bad = requests::record(&db, &ctx(), ("PYRCB", "EP2"), RequestKind::Renewal, date("2016-01-01"), None)
            .await.expect_err("before the loan");
        assert!(bad.to_string().contains("before the loan started"), "{bad}");
        let pending = requests::list_for(&db, &ctx(), None, Some("pending")).await.expect("list");
        let listed: Vec<(&str, &str)> = pending.iter().map(|r| (r.contract_no.as_str(), r.request.kind.as_str())).collect();
        assert_eq!(listed, vec![("EP1", "extension"), ("EP2", "renewal")]);
        // Extending EP1 grants its request; refusing EP2's renewal decides it.
        loans::extend_command(&db, &ctx(), "PYRCB", "EP1", date("2017-05-20"), date("2018-06-15"), "生猪价格下跌")
            .await.expect("extends");
        requests::refuse(&db, &ctx(), ("PYRCB", "EP2"), RequestKind::Renewal, date("2017-05-21")).await.expect("refused");
        assert!(requests::list_for(&db, &ctx(), None, Some("pending")).await.expect("list").is_empty());
        let all = requests::list_for(&db, &ctx(), None, None).await.expect("list");
        let decided: Vec<(&str, &str, Option<fupin_core::BusinessDate>)> = all.iter()
            .map(|r| (r.contract_no.as_str(), r.request.status.as_str(), r.request.decided_on)).collect();
        assert_eq!(decided, vec![("EP1", "granted", Some(date("2017-05-20"))), ("EP2", "refused", Some(date("2017-05-21")))]);
        let refused_again = requests::refuse(&db, &ctx(), ("PYRCB", "EP2"), RequestKind::Renewal, date("2017-05-22")).await;
        assert!(matches!(refused_again, Err(fupin_app::AppError::NotFound(_))));
        assert_eq!(count_rows(&db, "select count(*) from audit_log where action in ('loan.request', 'loan.request_decided')").await, 4);
        // After its extension EP1's 504,000 falls due to June 2018 on the new schedule.
        let wall = loans::maturity::wall_for(&db, &ctx(), None, date("2017-05-31")).await.expect("wall");
        let through_2018_06: i64 = wall.month_totals()[..13].iter().map(|t| t.fen()).sum();
        assert_eq!(Fen::new(through_2018_06), yuan("1008000"), "EP1 and EP2 each have 504,000 left");
        ledger_is_clean(&db).await;
    }

}

// ---------------------------------------------------------------------------------------------
// co-borrowers (共同借款人)

use fupin_app::imports::co_borrowers::CoBorrowerImporter;
use fupin_app::imports::registry::import_households;
use fupin_app::loans::co_borrowers::{self, NewCoBorrower};
use fupin_app::outcome::Applied;

/// H1 gains a wife (born 1979), a son of 12 and a late grandmother (died 2017-01-15) on
/// 2017-01-31; H2 stays as it was. L1 is a micro-credit loan of 30,000 to H1 from 2017-03-01.
async fn a_family_loan(db: &fupin_store::Db, dir: &std::path::Path) {
    setup(db, dir).await;
    let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour,died_on\n";
    let row = |name: &str, id: String, relation: &str, labour: &str, died: &str| {
        format!(
            "H1,361128100001,{name},{id},{relation},general,illness,poor,2015-10-01,2300,{labour},{died}\n"
        )
    };
    let file = format!(
        "{header}{}{}{}{}H2,361128100001,李四,{},head,general,lack_funds,poor,2015-10-01,2100,weak,\n",
        row("张三", resident_id("19770501", "001"), "head", "normal", ""),
        row(
            "王芳",
            resident_id("19790812", "022"),
            "spouse",
            "normal",
            ""
        ),
        row(
            "张小明",
            resident_id("20050301", "031"),
            "child",
            "none",
            ""
        ),
        row(
            "刘氏",
            resident_id("19400101", "042"),
            "parent",
            "none",
            "2017-01-15"
        ),
        resident_id("19470301", "002"),
    );
    let path = write(dir, "households-2017-01.csv", &file);
    let options = fupin_app::imports::ImportOptions::default();
    let report = import_households(db, &ctx(), &path, &options, date("2017-01-31"))
        .await
        .expect("households");
    assert_applied(&report);
    let loans_file = write(
        dir,
        "family-loans.csv",
        &format!("{LOAN_HEADER}L1,PYRCB,MC,household,H1,30000,4.75,2017-03-01,2020-03-01,养猪\n"),
    );
    assert_applied(&import_file(db, &loans_file, LoanImporter::new(db)).await);
}

fn co_borrower(id: String, name: &str, relation: &str) -> NewCoBorrower {
    NewCoBorrower {
        institution_code: "PYRCB".into(),
        contract_no: "L1".into(),
        id_number: id,
        name: name.into(),
        relation: relation.into(),
        signed_on: date("2017-03-01"),
    }
}

fn bank_of(institution: &str) -> fupin_app::Ctx {
    let region = fupin_core::RegionCode::parse("361128").expect("Poyang");
    fupin_app::Ctx {
        actor: fupin_app::Actor {
            name: "officer".into(),
            role: fupin_app::Role::Bank,
            region: Some(region),
            institution: Some(institution.into()),
        },
        ..ctx()
    }
}

/// The message of a refusal, or a panic naming what was accepted.
async fn refused(db: &fupin_store::Db, new: &NewCoBorrower) -> String {
    match co_borrowers::add_command(db, &bank_of("PYRCB"), new).await {
        Ok(recorded) => panic!("{new:?} was accepted: {recorded:?}"),
        Err(error) => error.to_string(),
    }
}

fupin_store::on_both_engines! {
    async fn a_spouse_co_borrows_once_and_the_household_page_shows_it(db) {
        let dir = tempfile::tempdir().expect("dir");
        a_family_loan(&db, dir.path()).await;
        let bank = bank_of("PYRCB");
        let wife = co_borrower(resident_id("19790812", "022"), "王芳", "spouse");
        let first = co_borrowers::add_command(&db, &bank, &wife).await.expect("wife");
        assert_eq!(first, Applied::Added);
        let again = co_borrowers::add_command(&db, &bank, &wife).await.expect("again");
        assert_eq!(again, Applied::Unchanged);
        let other = co_borrower(resident_id("19790812", "022"), "王芳", "other");
        let conflict = co_borrowers::add_command(&db, &bank, &other).await.expect_err("changed");
        assert!(matches!(conflict, fupin_app::AppError::Conflict(_)), "{conflict}");

        let listed = co_borrowers::of_loan(&db, &bank, "PYRCB", "L1").await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].household_id.as_deref(), Some("H1"));
        let wife_id = resident_id("19790812", "022");
        assert_eq!(listed[0].id_number, format!("3611**********{}", &wife_id[14..]));
        let co_borrowed = co_borrowers::of_household(&db, &bank, "H1").await.expect("household");
        assert_eq!(co_borrowed.len(), 1);
        assert_eq!(co_borrowed[0].contract_no, "L1");
        assert_eq!(co_borrowed[0].principal_outstanding, yuan("30000"));
        // Another bank sees neither the loan nor the household's co-borrowing with it.
        let abc = bank_of("ABC");
        let hidden = co_borrowers::of_loan(&db, &abc, "PYRCB", "L1").await.expect_err("ABC");
        assert!(matches!(hidden, fupin_app::AppError::NotFound(_)), "{hidden}");
        assert!(co_borrowers::of_household(&db, &abc, "H1").await.expect("ABC").is_empty());
        let added = co_borrowers::add_command(&db, &abc, &wife).await.expect_err("ABC adds");
        assert!(matches!(added, fupin_app::AppError::NotFound(_)), "{added}");
    }

    async fn a_co_borrower_is_an_adult_alive_not_the_borrower_and_named_as_registered(db) {
        let dir = tempfile::tempdir().expect("dir");
        a_family_loan(&db, dir.path()).await;
        let cases = [
            (co_borrower(resident_id("19770501", "001"), "张三", "other"), "is the head of household H1, the borrower"),
            (co_borrower(resident_id("20050301", "031"), "张小明", "child"), "is 12 years old on 2017-03-01: a co-borrower must be an adult"),
            (co_borrower(resident_id("19400101", "042"), "刘氏", "parent"), "records this person's death on 2017-01-15"),
            (co_borrower(resident_id("19790812", "022"), "王丽", "spouse"), "王丽 differs from the registry's 王芳"),
            (co_borrower("36112819790812022X".into(), "王芳", "spouse"), "check character"),
            (co_borrower(resident_id("19790812", "022"), "王芳", "cousin"), "must be spouse, child, parent, sibling or other"),
            (NewCoBorrower { signed_on: date("2020-03-02"), ..co_borrower(resident_id("19790812", "022"), "王芳", "spouse") }, "is after the loan matures on 2020-03-01"),
            (NewCoBorrower { contract_no: "L9".into(), ..co_borrower(resident_id("19790812", "022"), "王芳", "spouse") }, "loan PYRCB/L9 not found"),
        ];
        for (new, expect) in cases {
            let message = refused(&db, &new).await;
            assert!(message.contains(expect), "{new:?}: {message}");
        }
        // Three adults outside the registry are accepted; a fourth co-borrower is not.
        for (birth, name) in [("19800101", "赵一"), ("19810101", "赵二"), ("19820101", "赵三")] {
            let new = co_borrower(resident_id(birth, "051"), name, "sibling");
            let recorded = co_borrowers::add_command(&db, &bank_of("PYRCB"), &new).await.expect(name);
            assert_eq!(recorded, Applied::Added);
        }
        let listed = co_borrowers::of_loan(&db, &ctx(), "PYRCB", "L1").await.expect("list");
        assert!(listed.iter().all(|c| c.household_id.is_none()), "{listed:?}");
        let fourth = refused(&db, &co_borrower(resident_id("19790812", "022"), "王芳", "spouse")).await;
        assert!(fourth.contains("at most 3 co-borrowers"), "{fourth}");
        // The poverty office reads loans but names no co-borrower.
        let office = fupin_app::Ctx {
            actor: fupin_app::Actor { role: fupin_app::Role::PovertyOffice, institution: None, ..bank_of("PYRCB").actor },
            ..ctx()
        };
        let forbidden = co_borrowers::add_command(&db, &office, &co_borrower(resident_id("19830101", "061"), "钱四", "other")).await.expect_err("office");
        assert!(matches!(forbidden, fupin_app::AppError::Forbidden(_)), "{forbidden}");
    }

    async fn a_co_borrowers_file_in_chinese_is_applied_whole_or_not_at_all(db) {
        let dir = tempfile::tempdir().expect("dir");
        a_family_loan(&db, dir.path()).await;
        let header = "机构代码,贷款合同号,共同借款人身份证号,共同借款人姓名,与借款人关系,签订日期\n";
        let wife = resident_id("19790812", "022");
        let bad = write(dir.path(), "co-bad.csv", &format!(
            "{header}PYRCB,L1,{wife},王芳,配偶,2017-03-01\nPYRCB,L1,{},张小明,子女,2017-03-01\n",
            resident_id("20050301", "031"),
        ));
        let report = import_file(&db, &bad, CoBorrowerImporter).await;
        assert!(!report.applied);
        assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
        assert_eq!(report.errors[0].line, 3);
        assert_eq!(report.errors[0].column, "id_number");
        assert!(co_borrowers::of_loan(&db, &ctx(), "PYRCB", "L1").await.expect("list").is_empty());
        let good = write(dir.path(), "co-good.csv", &format!("{header}PYRCB,L1,{wife},王芳,配偶,2017-03-01\n"));
        assert_applied(&import_file(&db, &good, CoBorrowerImporter).await);
        let again = import_file(&db, &good, CoBorrowerImporter).await;
        assert_applied(&again);
        assert_eq!(again.counts.unchanged, 1);
        let listed = co_borrowers::of_loan(&db, &ctx(), "PYRCB", "L1").await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].relation, "spouse");
    }
}
