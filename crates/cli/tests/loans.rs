//! Lending through the binary: products, loans and repayments files, end of day, a loan's page
//! and the ledger check, on both engines.

use std::path::Path;
use std::process::Output;

mod common;
use common::fupin;

fn out(output: &Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path.display().to_string()
}

fn resident_id(birth: &str, sequence: &str) -> String {
    let body = format!("361128{birth}{sequence}");
    let check = fupin_core::resident_id::check_character(&body).expect("17 digits");
    format!("{body}{check}")
}

fupin_store::on_both_engines! {
    async fn lending_end_to_end(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        let files = [
            ("regions", "code,name\n361128100,饶州街道\n361128100001,东湖村\n".to_string()),
            ("institutions", "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\n".to_string()),
            ("products", "产品代码,产品名称,类别,借款人类型,最高额度,最长期限(月),年利率,还款方式,机构代码\nMC,扶贫小额信贷,扶贫小额信贷,household,\"50,000.00\",36,4.75%,等额本息,PYRCB\n".to_string()),
        ];
        for (kind, content) in files {
            let file = write(dir.path(), &format!("{kind}.csv"), &content);
            out(&fupin(&url, &["import", kind, &file]));
        }
        let households = format!(
            "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
             H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal\n",
            resident_id("19770501", "001")
        );
        let file = write(dir.path(), "households.csv", &households);
        out(&fupin(&url, &["import", "households", &file, "--as-of", "2016-12-31"]));
        let file = write(dir.path(), "loans.csv",
            "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,purpose\n\
             C1,PYRCB,MC,household,H1,50000,4.75,2017-03-15,2020-03-15,养殖\n");
        assert!(out(&fupin(&url, &["import", "loans", &file])).contains("added 1"));
        // A co-borrower outside the registry, named in a file with Chinese headers, listed masked.
        let co = format!(
            "机构代码,贷款合同号,共同借款人身份证号,共同借款人姓名,与借款人关系,签订日期\n\
             PYRCB,C1,{},王芳,配偶,2017-03-15\n",
            resident_id("19790812", "022")
        );
        let file = write(dir.path(), "co_borrowers.csv", &co);
        assert!(out(&fupin(&url, &["import", "co_borrowers", &file])).contains("added 1"));
        let listed = out(&fupin(&url, &["loans", "co-borrowers", "--institution", "PYRCB", "--contract", "C1", "--format", "csv"]));
        let masked = format!("3611**********{}", &resident_id("19790812", "022")[14..]);
        assert_eq!(listed, format!("id_number,name,relation,signed_on,household_id\n{masked},王芳,spouse,2017-03-15,\n"));
        let eod = out(&fupin(&url, &["eod", "--through", "2017-04-15", "--from", "2017-03-15"]));
        assert!(eod.contains("end of day done for 2017-03-15 to 2017-04-15: 32 days"), "{eod}");
        let file = write(dir.path(), "repayments.csv", "id,contract_no,institution_code,paid_on,amount\nR1,C1,PYRCB,2017-04-15,1492.94\n");
        assert!(out(&fupin(&url, &["import", "repayments", &file])).contains("added 1"));
        assert!(out(&fupin(&url, &["import", "repayments", &file])).contains("added 0, changed 0, unchanged 1"));
        let show = out(&fupin(&url, &["loans", "show", "--institution", "PYRCB", "--contract", "C1"]));
        assert!(show.contains("outstanding principal 48,704.98, interest 0.00"), "{show}");
        let schedule = out(&fupin(&url, &["loans", "show", "--institution", "PYRCB", "--contract", "C1", "--format", "csv"]));
        assert!(schedule.contains("1,2017-04-15,1295.02,197.92,1295.02,197.92,false"), "{schedule}");
        let list = out(&fupin(&url, &["loans", "list", "--region", "361128", "--format", "json"]));
        let loans: Vec<serde_json::Value> = serde_json::from_str(&list).expect("json");
        assert_eq!(loans.len(), 1);
        assert_eq!(loans[0]["classification"], "normal");
        let check = out(&fupin(&url, &["ledger", "check"]));
        assert!(check.contains("ledger consistent"), "{check}");
        let refused = fupin(&url, &["loans", "repay", "--institution", "PYRCB", "--contract", "C1", "--id", "R2", "--on", "2017-04-20", "--amount", "9999"]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("the excess would be lost"));
        // As a prepayment keeping the instalment: May's 1,492.94 (interest 48,704.98 × 4.75 % /
        // 12 = 192.79, principal 1,300.15), then 8,506.06 ahead; 38,898.77 left, repaid at no more
        // than 1,492.94 a month: 28 months (Python decimal: PMT = 1,470.40), to 2019-09-15.
        let prepaid = out(&fupin(&url, &["loans", "repay", "--institution", "PYRCB", "--contract", "C1", "--id", "R2", "--on", "2017-04-20", "--amount", "9999", "--prepayment", "keep-instalment"]));
        assert!(prepaid.contains("applied: principal 9,806.21, interest 192.79"), "{prepaid}");
        let show = out(&fupin(&url, &["loans", "show", "--institution", "PYRCB", "--contract", "C1"]));
        assert!(show.contains("outstanding principal 38,898.77"), "{show}");
        assert!(show.contains("schedule version 2 from instalment 37: prepayment on 2017-04-20 (keep_instalment, repayment R2), principal 38,898.77 to 2019-09-15"), "{show}");
        let schedule = out(&fupin(&url, &["loans", "show", "--institution", "PYRCB", "--contract", "C1", "--format", "csv"]));
        assert!(schedule.contains("64,2019-09-15,"), "{schedule}");
        let check = out(&fupin(&url, &["ledger", "check"]));
        assert!(check.contains("ledger consistent"), "{check}");
        // The maturity wall after 20 April: May is paid; June's instalment of the new schedule
        // is PMT 1,470.40 less 38,898.77 × 4.75 % / 12 = 153.97 of interest: 1,316.43.
        let wall = out(&fupin(&url, &["loans", "maturity-wall", "--on", "2017-04-20", "--format", "csv"]));
        assert!(wall.starts_with("month,county_code,principal\n2017-06,361128,1316.43\n"), "{wall}");
        // A borrower's extension request, listed until decided.
        let recorded = out(&fupin(&url, &["loans", "request-extension", "--institution", "PYRCB", "--contract", "C1", "--on", "2017-04-25", "--note", "猪瘟"]));
        assert!(recorded.contains("recorded: extension request 1 of PYRCB/C1 on 2017-04-25, pending"), "{recorded}");
        let retried = out(&fupin(&url, &["loans", "request-extension", "--institution", "PYRCB", "--contract", "C1", "--on", "2017-04-25"]));
        assert!(retried.contains("already recorded"), "{retried}");
        let listed = out(&fupin(&url, &["loans", "requests", "--format", "csv"]));
        assert!(listed.contains("PYRCB,C1,household,H1,张三,361128100001,2019-09-15,extension,2017-04-25,pending,,猪瘟"), "{listed}");
        let refused = out(&fupin(&url, &["loans", "refuse-request", "--institution", "PYRCB", "--contract", "C1", "--kind", "展期", "--on", "2017-04-30"]));
        assert!(refused.contains("refused: extension request 1"), "{refused}");
        let listed = out(&fupin(&url, &["loans", "requests", "--format", "csv"]));
        assert_eq!(listed.lines().count(), 1, "only the header: {listed}");
    }
}
