//! Loan servicing as banks run it (issue 26): the product's day count for equal principal,
//! grace, prepayment and penalty interest — through files and use cases, on both engines.
//! Every expected amount is worked out by hand (shown beside it) or by
//! tests/reference/equal_principal_day_count.py, never by the code under test.

mod common;

use common::*;
use fupin_app::imports::loans::{LoanImporter, ProductImporter, RepaymentImporter};
use fupin_app::loans;

const PRODUCT_HEADER: &str = "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,day_count,subsidy_rate,risk_fund_share,institution_code,counties,grace_months,grace_days,penalty_uplift,prepayment_option\n";

/// Adds the servicing products: an enterprise loan repaid in equal principal accruing
/// actual/360 (as a bank's core system computes it).
async fn servicing_products(db: &fupin_store::Db, dir: &std::path::Path) {
    let file = write(
        dir,
        "servicing-products.csv",
        &format!(
            "{PRODUCT_HEADER}\
             EP360,等额本金产业贷,industry,enterprise,3000000,60,4.75,equal_principal,act/360,,,PYRCB,,,,,\n"
        ),
    );
    assert_applied(&import_file(db, &file, ProductImporter::default()).await);
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
}
