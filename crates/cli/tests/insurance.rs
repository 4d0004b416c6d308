//! `fupin insurance …` and the guarantee fees through the binary, on both engines: policies,
//! a premium and a claim imported, the premium's subsidies approved, the claim assessed and
//! paid; a guarantee fee recorded and its subsidy approved; and the report's XLSX opened by a
//! real reader (openpyxl, through `scripts/check-report-xlsx`), its waterfall sheet read back.

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

/// The sheets of an XLSX as openpyxl reads them; None when openpyxl is not installed.
fn read_with_openpyxl(path: &std::path::Path) -> Option<serde_json::Value> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check-report-xlsx");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .ok()?;
    match output.status.code() {
        Some(0) => Some(serde_json::from_slice(&output.stdout).expect("json")),
        Some(2) => {
            eprintln!(
                "skipping the openpyxl check: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
        _ => panic!(
            "the report does not open in openpyxl: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fupin_store::on_both_engines! {
    async fn insurance_and_guarantee_fees_through_the_binary(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        let id_body = "36112819770501001";
        let id_number = format!("{id_body}{}", fupin_core::resident_id::check_character(id_body).expect("17 digits"));
        let files = [
            ("regions", "code,name\n361128100,饶州街道\n361128100001,东湖村\n".to_string()),
            ("institutions", "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\nPICC,人保财险鄱阳支公司,other,361128\n".to_string()),
            ("products", "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,subsidy_rate,risk_fund_share,institution_code,counties\n\
                MC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,monthly_interest,4.75,80%,PYRCB,361128\n".to_string()),
            ("households", format!("household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
                H1,361128100001,张三,{id_number},head,general,illness,poor,2015-10-01,2300,normal\n")),
            ("fund_deposits", "id,county_code,fund,deposited_on,amount\nD1,361128,risk_compensation,2017-01-05,100000\nD2,361128,guarantee,2017-01-05,20000\nD3,361128,subsidy,2017-01-05,1000\n".to_string()),
        ];
        for (kind, content) in files {
            let file = dir.path().join(format!("{kind}.csv"));
            std::fs::write(&file, content).expect("write");
            out(&fupin(&url, &["import", kind, file.to_str().expect("path"), "--as-of", "2016-12-31"][..if kind == "households" { 5 } else { 3 }]));
        }
        let loans = dir.path().join("loans.csv");
        std::fs::write(&loans, "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n\
            C1,PYRCB,MC,household,H1,50000,4.75,2017-01-15,2018-01-15,monthly_interest,养殖\n").expect("write");
        out(&fupin(&url, &["import", "loans", loans.to_str().expect("path")]));

        // Policies, a premium of 600.00 split 40/30/20/10 % (240, 180, 120, 60), a claim.
        let import = |kind: &str, content: &str| {
            let file = dir.path().join(format!("{kind}.csv"));
            std::fs::write(&file, content).expect("write");
            out(&fupin(&url, &["import", kind, file.to_str().expect("path")]))
        };
        import("insurance_policies", "insurer_code,policy_no,kind,institution_code,contract_no,household_id,county_code,activity,sum_insured,premium,default_share,starts_on,ends_on,central_share,provincial_share,county_share,farmer_share\n\
            PICC,B1,guarantee,PYRCB,C1,,,,50000,500,20%,2017-01-15,2018-01-15,0,0,0,100%\n\
            PICC,K1,crop,,,H1,361128,水稻,10000,600,,2017-01-01,2017-12-31,40%,30%,20%,10%\n");
        import("insurance_premiums", "insurer_code,policy_no,id,paid_on,amount\nPICC,K1,P1,2017-02-01,600\n");
        import("insurance_claims", "insurer_code,policy_no,claim_no,event,occurred_on,reported_on,claimed,state\nPICC,K1,K1-1,crop_loss,2017-07-01,2017-07-02,3000,reported\n");
        let policies = out(&fupin(&url, &["insurance", "policies", "--format", "csv"]));
        assert!(policies.contains("B1") && policies.contains("K1"), "{policies}");
        let approved = out(&fupin(&url, &["insurance", "approve-premium", "--insurer", "PICC", "--policy", "K1", "--payment", "P1", "--on", "2017-02-10"]));
        assert!(approved.contains("approved"), "{approved}");
        let again = out(&fupin(&url, &["insurance", "approve-premium", "--insurer", "PICC", "--policy", "K1", "--payment", "P1", "--on", "2017-02-10"]));
        assert!(again.contains("approved"), "approving again answers the same: {again}");
        let refused = fupin(&url, &["insurance", "pay", "--insurer", "PICC", "--policy", "K1", "--claim", "K1-1", "--on", "2017-07-10"]);
        assert!(!refused.status.success(), "a reported claim is assessed before it is paid");
        out(&fupin(&url, &["insurance", "assess", "--insurer", "PICC", "--policy", "K1", "--claim", "K1-1", "--on", "2017-07-05", "--amount", "2500"]));
        out(&fupin(&url, &["insurance", "pay", "--insurer", "PICC", "--policy", "K1", "--claim", "K1-1", "--on", "2017-07-10"]));
        let claims = out(&fupin(&url, &["insurance", "claims", "--format", "csv"]));
        assert!(claims.contains("K1-1") && claims.contains("2500.00") && claims.contains("paid"), "{claims}");
        let unknown = fupin(&url, &["insurance", "claims", "--kind", "fire"]);
        assert!(!unknown.status.success());

        // A guarantee fee: 50,000 × 1 % × 365 ÷ 365 = 500.00, half subsidised: 250.00.
        out(&fupin(&url, &["guarantees", "fund-settings", "--county", "361128", "--from", "2017-01-01", "--leverage", "5", "--share", "80%"]));
        out(&fupin(&url, &["guarantees", "product-terms", "--product", "MC", "--kinds", "county_fund", "--cap", "100%"]));
        out(&fupin(&url, &["guarantees", "add", "--institution", "PYRCB", "--loan", "C1", "--kind", "county_fund", "--guarantor", "361128",
            "--contract", "DB-1", "--share", "50%", "--signed-on", "2017-01-20", "--fee-rate", "1%", "--fee-subsidy", "50%"]));
        let fee = out(&fupin(&url, &["guarantees", "fee", "--institution", "PYRCB", "--loan", "C1", "--contract", "DB-1", "--id", "F1", "--paid-on", "2017-01-20"]));
        assert!(fee.contains("500.00") && fee.contains("250.00") && fee.contains("pending"), "{fee}");
        let pending = out(&fupin(&url, &["guarantees", "fees", "--pending", "--format", "csv"]));
        assert!(pending.contains("F1,PYRCB,C1,DB-1,county_fund,borrower,2017-01-20,500.00,250.00,pending"), "{pending}");
        let subsidy = out(&fupin(&url, &["guarantees", "approve-fee-subsidy", "--id", "F1", "--on", "2017-01-25"]));
        assert!(subsidy.contains("250.00"), "{subsidy}");
        let pending = out(&fupin(&url, &["guarantees", "fees", "--pending", "--format", "csv"]));
        assert!(!pending.contains("F1"), "{pending}");

        // The report opens in a real reader; its waterfall sheet has insurance first and the fees.
        let report = dir.path().join("report.xlsx");
        out(&fupin(&url, &["report", "--as-of", "2017-12-31", "--region", "361128", "--output", &report.display().to_string()]));
        if let Some(sheets) = read_with_openpyxl(&report) {
            let waterfall = sheets["损失分担 Loss waterfall"].as_array().expect("rows").clone();
            let row = |name: &str| waterfall.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("no row {name}: {waterfall:?}")).clone();
            assert_eq!(waterfall[0][0], "分担方 payer");
            assert_eq!(waterfall[1][0], "保险 Insurance");
            assert_eq!(row("担保费 Guarantee fees paid")[1].as_f64(), Some(500.0));
            assert_eq!(row("担保费补贴 Guarantee fee subsidies")[1].as_f64(), Some(250.0));
            let insurance = sheets["涉农保险 Insurance"].as_array().expect("rows");
            assert!(insurance.len() > 1, "{insurance:?}");
            let funds = sheets["贴息与风补 Funds"].to_string();
            assert!(funds.contains("担保费收入"), "{funds}");
        }
    }
}
