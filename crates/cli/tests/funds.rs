//! The county funds through the binary: deposits into two counties, then the figures of one
//! county, of a group and of the city, on both engines.

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

/// The value of one figure in `funds show --format csv`.
fn figure(csv: &str, name: &str) -> String {
    csv.lines()
        .find_map(|line| line.strip_prefix(&format!("{name},")))
        .unwrap_or_else(|| panic!("{name} in {csv}"))
        .to_string()
}

fupin_store::on_both_engines! {
    async fn fund_figures_of_a_county_a_group_and_the_city(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        // Poyang (361128) is a state-level poverty county; Xinzhou (361102) is not.
        let file = dir.path().join("deposits.csv");
        std::fs::write(&file, "id,county_code,fund,deposited_on,amount\n\
            D1,361128,risk_compensation,2017-01-10,20000\n\
            D2,361128,subsidy,2017-01-10,10000\n\
            D3,361102,risk_compensation,2017-02-01,5000\n").expect("write");
        out(&fupin(&url, &["import", "fund_deposits", file.to_str().expect("path")]));
        let show = |scope: &[&str]| {
            let mut args = vec!["funds", "show", "--as-of", "2017-06-30", "--format", "csv"];
            args.extend_from_slice(scope);
            out(&fupin(&url, &args))
        };
        let county = show(&["--region", "361128"]);
        let group = show(&["--group", "state-poverty-counties"]);
        let city = show(&["--region", "361100"]);
        assert_eq!(figure(&county, "risk_fund_deposits"), "20000.00");
        assert_eq!(figure(&group, "risk_fund_deposits"), "20000.00", "Xinzhou is not in the group");
        assert_eq!(figure(&group, "subsidy_fund_balance"), "10000.00");
        assert_eq!(figure(&city, "risk_fund_deposits"), "25000.00");
        // Before the deposits nothing is there; a group that does not exist is an error.
        let before = out(&fupin(&url, &["funds", "show", "--group", "state-poverty-counties",
            "--as-of", "2016-12-31", "--format", "csv"]));
        assert_eq!(figure(&before, "risk_fund_balance"), "0.00");
        let unknown = fupin(&url, &["funds", "show", "--group", "nowhere", "--as-of", "2017-06-30"]);
        assert!(!unknown.status.success());
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("nowhere"));
    }

    async fn claims_name_their_loans_by_contract_and_borrower(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        let id_body = "36112819770501001";
        let id_number = format!("{id_body}{}", fupin_core::resident_id::check_character(id_body).expect("17 digits"));
        let files = [
            ("regions", "code,name\n361128100,饶州街道\n361128100001,东湖村\n".to_string()),
            ("institutions", "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n".to_string()),
            ("products", "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,subsidy_rate,risk_fund_share,institution_code,counties\n\
                MC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,monthly_interest,4.75,80%,PYRCB,361128\n".to_string()),
            ("households", format!("household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
                H1,361128100001,张三,{id_number},head,general,illness,poor,2015-10-01,2300,normal\n")),
            ("fund_deposits", "id,county_code,fund,deposited_on,amount\nD1,361128,risk_compensation,2017-01-05,100000\nD2,361128,subsidy,2017-01-05,10000\n".to_string()),
        ];
        for (kind, content) in files {
            let file = dir.path().join(format!("{kind}.csv"));
            std::fs::write(&file, content).expect("write");
            out(&fupin(&url, &["import", kind, file.to_str().expect("path"), "--as-of", "2016-12-31"][..if kind == "households" { 5 } else { 3 }]));
        }
        out(&fupin(&url, &["funds", "risk-settings", "--county", "361128", "--from", "2017-01-01", "--leverage", "8", "--share", "80%", "--trigger-days", "90"]));
        let loans = dir.path().join("loans.csv");
        std::fs::write(&loans, "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n\
            C1,PYRCB,MC,household,H1,50000,4.75,2017-01-15,2018-01-15,monthly_interest,养殖\n").expect("write");
        out(&fupin(&url, &["import", "loans", loans.to_str().expect("path")]));
        // Unpaid from 15 February: 90 days overdue on 16 May, when the risk claim is raised.
        out(&fupin(&url, &["eod", "--through", "2017-05-16", "--from", "2017-01-15"]));

        let subsidy = out(&fupin(&url, &["subsidy", "claims", "--quarter", "2017Q1", "--format", "csv"]));
        let header = subsidy.lines().next().expect("header");
        assert_eq!(header, "claim,county_code,institution_code,quarter,state,contract_no,borrower,borrower_id,loan_id,days,rate,amount");
        let line = subsidy.lines().find(|l| l.contains(",C1,")).unwrap_or_else(|| panic!("a line of C1: {subsidy}"));
        assert!(line.contains(",PYRCB,2017Q1,pending,C1,张三,H1,"), "{line}");
        let table = out(&fupin(&url, &["subsidy", "claims", "--quarter", "2017Q1"]));
        assert!(table.contains("C1") && table.contains("张三"), "{table}");

        let risk = out(&fupin(&url, &["risk", "claims", "--format", "json"]));
        let claims: Vec<serde_json::Value> = serde_json::from_str(&risk).expect("json");
        assert_eq!(claims.len(), 1, "{risk}");
        assert_eq!(
            (claims[0]["institution_code"].as_str(), claims[0]["contract_no"].as_str(), claims[0]["borrower"].as_str(), claims[0]["borrower_id"].as_str()),
            (Some("PYRCB"), Some("C1"), Some("张三"), Some("H1")),
            "{risk}"
        );
        let id = claims[0]["claim"].as_str().expect("claim id").to_string();
        let approved = out(&fupin(&url, &["risk", "approve", "--claim", &id, "--on", "2017-05-20"]));
        assert!(approved.contains(&format!("risk claim {id} on contract C1 of 张三 (H1) approved")), "{approved}");
    }
}
