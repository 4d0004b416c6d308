//! Guarantees through the binary, on both engines: the county guarantee fund and a guarantee
//! company set up, a loan's guarantors named (one refused above the product's cap, with the
//! reason), the exposure, and the claims end of day raises when the loan defaults.

mod common;
use common::fupin;

fn out(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fupin_store::on_both_engines! {
    async fn a_guaranteed_loan_through_the_binary(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        let id_body = "36112819770501001";
        let id_number = format!("{id_body}{}", fupin_core::resident_id::check_character(id_body).expect("17 digits"));
        let files = [
            ("regions", "code,name\n361128100,饶州街道\n361128100001,东湖村\n".to_string()),
            ("institutions", "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\nGC,鄱阳县融资担保公司,other,361128\n".to_string()),
            ("products", "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,subsidy_rate,risk_fund_share,institution_code,counties\n\
                MC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,monthly_interest,4.75,80%,PYRCB,361128\n".to_string()),
            ("households", format!("household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
                H1,361128100001,张三,{id_number},head,general,illness,poor,2015-10-01,2300,normal\n")),
            ("fund_deposits", "id,county_code,fund,deposited_on,amount\nD1,361128,risk_compensation,2017-01-05,100000\nD2,361128,担保基金,2017-01-05,20000\n".to_string()),
        ];
        for (kind, content) in files {
            let file = dir.path().join(format!("{kind}.csv"));
            std::fs::write(&file, content).expect("write");
            out(&fupin(&url, &["import", kind, file.to_str().expect("path"), "--as-of", "2016-12-31"][..if kind == "households" { 5 } else { 3 }]));
        }
        out(&fupin(&url, &["funds", "risk-settings", "--county", "361128", "--from", "2017-01-01", "--leverage", "8", "--share", "80%", "--trigger-days", "90"]));
        out(&fupin(&url, &["guarantees", "fund-settings", "--county", "361128", "--from", "2017-01-01", "--leverage", "5", "--share", "80%"]));
        out(&fupin(&url, &["guarantees", "company", "--institution", "GC", "--national", "40%", "--provincial", "30%", "--company", "20%", "--bank", "10%"]));
        out(&fupin(&url, &["guarantees", "product-terms", "--product", "MC", "--kinds", "county_fund,company", "--cap", "80%"]));
        out(&fupin(&url, &["guarantees", "waterfall", "--county", "361128", "--steps", "insurance,guarantee,risk_fund"]));
        let loans = dir.path().join("loans.csv");
        std::fs::write(&loans, "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n\
            C1,PYRCB,MC,household,H1,50000,4.75,2017-01-15,2018-01-15,monthly_interest,养殖\n").expect("write");
        out(&fupin(&url, &["import", "loans", loans.to_str().expect("path")]));
        let add = |kind: &str, guarantor: &str, share: &str| {
            fupin(&url, &["guarantees", "add", "--institution", "PYRCB", "--loan", "C1", "--kind", kind,
                "--guarantor", guarantor, "--contract", &format!("DB-{kind}"), "--share", share, "--signed-on", "2017-01-20"])
        };
        assert!(out(&add("county_fund", "361128", "50%")).contains("guarantee recorded"));
        assert!(out(&add("county_fund", "361128", "50%")).contains("already recorded"));
        // 50 % + 40 % = 90 % > the product's 80 %.
        let refused = add("company", "GC", "40%");
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("would reach 90.00 %, above the cap of 80.00 % of product MC"), "{stderr}");
        out(&add("company", "GC", "30%"));
        let listed = out(&fupin(&url, &["guarantees", "list", "--institution", "PYRCB", "--loan", "C1", "--format", "csv"]));
        assert!(listed.contains("county_fund,361128000000,DB-county_fund,50.00,2017-01-20"), "{listed}");
        // The fund guarantees 50 % × 50,000 = 25,000.
        let exposure = out(&fupin(&url, &["guarantees", "exposure", "--kind", "county_fund", "--guarantor", "361128000000", "--format", "csv"]));
        assert!(exposure.contains("exposure,,,,,25000.00"), "{exposure}");

        // Unpaid from 15 February: 90 days overdue on 16 May. Loss 50,000: the fund 80 % of
        // 25,000 = 20,000; GC 30 % = 15,000 → national 6,000, provincial 4,500, company 3,000;
        // left 10,000, the risk fund 8,000.
        out(&fupin(&url, &["eod", "--through", "2017-05-16", "--from", "2017-01-15"]));
        let claims = out(&fupin(&url, &["guarantees", "claims", "--format", "csv"]));
        let amounts: Vec<(&str, &str)> = claims.lines().skip(1).map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[5], cells[9])
        }).collect();
        assert_eq!(amounts, [("county_fund", "20000.00"), ("national", "6000.00"), ("provincial", "4500.00"), ("company", "3000.00")], "{claims}");
        let risk = out(&fupin(&url, &["risk", "claims", "--format", "csv"]));
        assert!(risk.contains(",10000.00,80.00,8000.00,pending"), "{risk}");
        let first = claims.lines().nth(1).and_then(|l| l.split(',').next()).expect("claim id");
        let approved = out(&fupin(&url, &["guarantees", "approve", "--claim", first, "--on", "2017-05-20"]));
        assert!(approved.contains("20,000.00 paid by county_fund to PYRCB"), "{approved}");
    }
}
