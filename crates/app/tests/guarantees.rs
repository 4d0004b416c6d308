//! The worked example of docs/funds.md, on both engines: a loan guaranteed by the county
//! guarantee fund and a guarantee company and covered by the risk fund defaults; its loss is
//! shared in the county's order, each payer's claim approved on its own; a recovery goes back to
//! each payer pro rata; the coverage and leverage refusals name their figures; each role sees
//! and approves only its own. Every amount is derived by hand in the comments.

mod common;

use common::*;
use fupin_app::funds::{self, RiskFundSettings};
use fupin_app::guarantees::{
    self, Added, Company, FundSettings, GuarantorKind, NewGuarantee, ProductTerms, Step,
};
use fupin_app::imports::loans::LoanImporter;
use fupin_app::imports::territory::InstitutionImporter;
use fupin_app::loans;
use fupin_app::{Actor, AppError, Ctx, Role};
use fupin_core::{Fen, RegionCode};

fn county() -> RegionCode {
    RegionCode::parse("361128").expect("Poyang")
}

fn as_role(role: Role, institution: Option<&str>) -> Ctx {
    Ctx {
        actor: Actor {
            name: role.as_str().into(),
            role,
            region: Some(county()),
            institution: institution.map(str::to_string),
        },
        ..ctx()
    }
}

const HEADER: &str = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,repayment,purpose\n";

async fn rules(db: &fupin_app::Db, dir: &std::path::Path) {
    let settings = RiskFundSettings {
        county_code: county(),
        effective_from: date("2017-01-01"),
        leverage_multiple: 8,
        fund_share_ppm: 800_000,
        trigger_days: 90,
    };
    funds::set_risk_settings(db, &ctx(), &settings)
        .await
        .expect("risk rules");
    let fund = FundSettings {
        county_code: county(),
        effective_from: date("2017-01-01"),
        leverage_multiple: 5,
        fund_share_bps: 8_000,
    };
    guarantees::set_fund_settings(db, &as_role(Role::Finance, None), &fund)
        .await
        .expect("fund rules");
    let companies = write(
        dir,
        "gc.csv",
        "code,name,type,region_code\nGC,鄱阳县融资担保公司,other,361128\nGD,另一担保公司,other,361128\n",
    );
    assert_applied(&import_file(db, &companies, InstitutionImporter::default()).await);
    for code in ["GC", "GD"] {
        let company = Company {
            institution_code: code.into(),
            national_bps: 4_000,
            provincial_bps: 3_000,
            company_bps: 2_000,
            bank_bps: 1_000,
        };
        guarantees::set_company(db, &ctx(), &company)
            .await
            .expect("4-3-2-1");
    }
    let lopsided = Company {
        institution_code: "GC".into(),
        national_bps: 4_000,
        provincial_bps: 3_000,
        company_bps: 2_000,
        bank_bps: 2_000,
    };
    let refused = guarantees::set_company(db, &ctx(), &lopsided)
        .await
        .expect_err("110 %");
    assert!(
        refused
            .to_string()
            .contains("must add up to 100 %, not 110.00 %"),
        "{refused}"
    );
}

fn guarantee(contract: &str, kind: GuarantorKind, id: &str, share_bps: i64) -> NewGuarantee {
    NewGuarantee {
        institution_code: "PYRCB".into(),
        loan_contract_no: contract.into(),
        kind,
        guarantor_id: id.into(),
        contract_no: format!("DB-{contract}-{}", kind.as_str()),
        share_bps,
        signed_on: date("2017-03-20"),
        fee_rate_bps: 100,
        fee_payer: "borrower".into(),
        fee_subsidy_bps: 5_000,
    }
}

async fn add(db: &fupin_app::Db, ctx: &Ctx, new: &NewGuarantee) -> fupin_app::Result<Added> {
    guarantees::add_guarantee_command(db, ctx, new).await
}

fupin_store::on_both_engines! {
    async fn a_guaranteed_default_through_the_waterfall(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        rules(&db, dir.path()).await;
        deposit(&db, "R1", "361128", "risk_compensation", "2017-01-05", "20000").await.expect("risk fund");
        // The guarantee fund: 5,000, so it may guarantee 5 × 5,000 = 25,000.
        deposit(&db, "G1", "361128", "guarantee", "2017-01-05", "5000").await.expect("guarantee fund");
        let loans_file = format!("{HEADER}\
            W1,PYRCB,MC,household,H1,45678.90,4.75,2017-03-15,2018-03-15,monthly_interest,养殖\n\
            W2,PYRCB,MC,household,H1,30000,4.75,2017-03-15,2018-03-15,bullet,种植\n");
        assert_applied(&import_file(&db, &write(dir.path(), "loans.csv", &loans_file), LoanImporter::new(&db)).await);

        // Coverage: a product must name the guarantee, and its kind.
        let fund_40 = guarantee("W1", GuarantorKind::CountyFund, "361128", 4_000);
        let refused = add(&db, &ctx(), &fund_40).await.expect_err("MC names no guarantee yet");
        assert!(refused.to_string().contains("product MC names no guarantee"), "{refused}");
        let terms = ProductTerms { product_code: "MC".into(), kinds: vec!["county_fund".into(), "担保公司".into(), "household".into()], cap_bps: 10_000 };
        guarantees::set_product_terms(&db, &ctx(), &terms).await.expect("terms");
        let enterprise = guarantee("W1", GuarantorKind::Enterprise, &enterprise_code(), 1_000);
        let refused = add(&db, &ctx(), &enterprise).await.expect_err("kind not named");
        assert!(refused.to_string().contains("allows guarantees by county_fund, company, household only, not by enterprise"), "{refused}");

        // W1: the county fund guarantees 40 % (45,678.90 × 40 % = 18,271.56 ≤ 25,000), the
        // company GC 30 %. The same guarantee again records nothing.
        let bank = as_role(Role::Bank, Some("PYRCB"));
        assert_eq!(add(&db, &bank, &fund_40).await.expect("fund"), Added::New);
        assert_eq!(add(&db, &bank, &fund_40).await.expect("again"), Added::AlreadyRecorded);
        let changed = NewGuarantee { share_bps: 3_000, ..fund_40.clone() };
        assert!(matches!(add(&db, &bank, &changed).await, Err(AppError::Conflict(_))));
        assert_eq!(add(&db, &bank, &guarantee("W1", GuarantorKind::Company, "GC", 3_000)).await.expect("company"), Added::New);
        // A household guarantor for 40 % more would make 110 %.
        let household = guarantee("W1", GuarantorKind::Household, &resident_id("19470301", "002"), 4_000);
        let refused = add(&db, &bank, &household).await.expect_err("over the cap");
        assert!(refused.to_string().contains("guaranteed shares of loan W1 would reach 110.00 %, above the cap of 100.00 % of product MC"), "{refused}");
        // Leverage: 40 % of W2 is 12,000; 18,271.56 + 12,000 = 30,271.56 > 25,000.
        let refused = add(&db, &bank, &guarantee("W2", GuarantorKind::CountyFund, "361128", 4_000)).await.expect_err("leverage");
        assert!(refused.to_string().contains("would reach 30,271.56, above 5× its balance of 5,000.00 on 2017-03-20 (cap 25,000.00)"), "{refused}");
        // Another bank's loan is not found; a guarantor does not name guarantors.
        let other = as_role(Role::Bank, Some("ABC"));
        assert!(matches!(add(&db, &other, &household).await, Err(AppError::NotFound(_))));
        let company_staff = as_role(Role::Guarantor, Some("GC"));
        assert!(matches!(add(&db, &company_staff, &household).await, Err(AppError::Forbidden(_))));

        // Exposure: 王五 (H3's head) guarantees 10 % of W2 (3,000) and borrows W3 (10,000):
        // 3,000 + 10,000 = 13,000. A borrower does not guarantee its own loan.
        let wang = resident_id("19800101", "003");
        let households = write(dir.path(), "h3.csv", &format!("household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n\
            H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal\n\
            H2,361128100001,李四,{},head,general,lack_funds,poor,2015-10-01,2100,weak\n\
            H3,361128100001,王五,{wang},head,general,illness,poor,2015-10-01,2500,normal\n", resident_id("19770501", "001"), resident_id("19470301", "002")));
        let report = fupin_app::imports::registry::import_households(&db, &ctx(), &households, &fupin_app::imports::ImportOptions::default(), date("2016-12-31")).await.expect("H3");
        assert_applied(&report);
        let own = guarantee("W2", GuarantorKind::Household, &resident_id("19770501", "001"), 1_000);
        let refused = add(&db, &bank, &own).await.expect_err("the borrower's own head");
        assert!(refused.to_string().contains("a borrower does not guarantee its own loan"), "{refused}");
        add(&db, &bank, &guarantee("W2", GuarantorKind::Household, &wang, 1_000)).await.expect("household guarantor");
        let w3 = format!("{HEADER}W3,PYRCB,MC,household,H3,10000,4.75,2017-03-15,2018-03-15,bullet,养殖\n");
        assert_applied(&import_file(&db, &write(dir.path(), "w3.csv", &w3), LoanImporter::new(&db)).await);
        let exposure = guarantees::exposure(&db, &ctx(), GuarantorKind::Household, &wang).await.expect("exposure");
        assert_eq!((exposure.guaranteed, exposure.own_loans, exposure.total), (yuan("3000"), yuan("10000"), yuan("13000")));
        let fund = guarantees::exposure(&db, &ctx(), GuarantorKind::CountyFund, "361128000000").await.expect("fund exposure");
        assert_eq!(fund.guaranteed, yuan("18271.56"));
        assert!(matches!(guarantees::exposure(&db, &company_staff, GuarantorKind::Company, "GD").await, Err(AppError::NotFound(_))));
        assert_eq!(guarantees::exposure(&db, &company_staff, GuarantorKind::Company, "GC").await.expect("own").guaranteed, yuan("13703.67"));

        // W1 pays nothing: 90 days overdue at the end of 14 July. Its loss, 45,678.90, is shared
        // insurance (none), then guarantees, then the risk fund:
        //   county fund: 40 % × 45,678.90 = 18,271.56; the fund pays 80 % = 14,617.248 → 14,617.25
        //   (the bank 3,654.31);
        //   GC: 30 % × 45,678.90 = 13,703.67, shared 4-3-2-1 on running totals:
        //   national 40 % = 5,481.468 → 5,481.47; 70 % = 9,592.569 → 9,592.57, provincial
        //   4,111.10; 90 % = 12,333.303 → 12,333.30, company 2,740.73 (the bank 1,370.37);
        //   left 45,678.90 − 18,271.56 − 13,703.67 = 13,703.67, the risk fund 80 % =
        //   10,962.936 → 10,962.94 (the bank 2,740.73).
        loans::eod::run(&db, &ctx(), date("2017-07-14"), Some(date("2017-01-01")), &mut |_| {}).await.expect("eod");
        let claims = guarantees::claims_for(&db, &ctx(), Some(county())).await.expect("claims");
        let got: Vec<(&str, Fen)> = claims.iter().map(|c| (c.payer.as_str(), c.amount)).collect();
        assert_eq!(got, vec![("county_fund", yuan("14617.25")), ("national", yuan("5481.47")), ("provincial", yuan("4111.10")), ("company", yuan("2740.73"))]);
        assert!(claims.iter().all(|c| c.loss == yuan("45678.90") && c.base == yuan("45678.90")));
        let risk = funds::risk_claims(&db, Some(county())).await.expect("risk");
        assert_eq!(risk.len(), 1);
        assert_eq!((risk[0].claim.principal, risk[0].claim.amount), (yuan("13703.67"), yuan("10962.94")));
        // End of day again raises nothing more.
        loans::eod::run(&db, &ctx(), date("2017-07-15"), Some(date("2017-01-01")), &mut |_| {}).await.expect("eod");
        assert_eq!(guarantees::claims_for(&db, &ctx(), Some(county())).await.expect("claims").len(), 4);

        // Who sees and approves what: the company its three parts, a bank its loans' claims.
        let theirs = guarantees::claims_for(&db, &company_staff, None).await.expect("theirs");
        assert_eq!(theirs.len(), 3);
        let gd = as_role(Role::Guarantor, Some("GD"));
        assert!(guarantees::claims_for(&db, &gd, None).await.expect("none").is_empty());
        assert!(guarantees::claims_for(&db, &other, None).await.expect("none").is_empty());
        let finance = as_role(Role::Finance, None);
        let fund_claim = claims[0].id;
        assert!(matches!(guarantees::approve_claim(&db, &bank, fund_claim, date("2017-07-20")).await, Err(AppError::NotFound(_))));
        assert!(matches!(guarantees::approve_claim(&db, &gd, claims[1].id, date("2017-07-20")).await, Err(AppError::NotFound(_))));
        // The guarantee fund holds 5,000: refused whole, then paid after a top-up of 10,000.
        let refused = guarantees::approve_claim(&db, &finance, fund_claim, date("2017-07-20")).await.expect_err("fund too small");
        assert!(refused.to_string().contains("nothing was paid"), "{refused}");
        assert_eq!(balance(&db, "fund:361128000000:guarantee").await, yuan("5000"));
        deposit(&db, "G2", "361128", "guarantee", "2017-07-20", "10000").await.expect("top-up");
        let paid = guarantees::approve_claim(&db, &finance, fund_claim, date("2017-07-20")).await.expect("paid");
        assert_eq!(paid.state, "approved");
        assert!(matches!(guarantees::approve_claim(&db, &finance, fund_claim, date("2017-07-21")).await, Err(AppError::Conflict(_))));
        for claim in &claims[1..] {
            guarantees::approve_claim(&db, &company_staff, claim.id, date("2017-07-20")).await.expect("company pays");
        }
        funds::approve_risk_claim(&db, &finance, risk[0].claim.id, date("2017-07-20")).await.expect("risk fund pays");
        // 15,000 − 14,617.25 = 382.75; 20,000 − 10,962.94 = 9,037.06.
        assert_eq!(balance(&db, "fund:361128000000:guarantee").await, yuan("382.75"));
        assert_eq!(balance(&db, "fund:361128000000:risk").await, yuan("9037.06"));

        // Written off, then 3,333.33 recovered: each payer gets recovered × paid ÷ loss back —
        // fund 3,333.33 × 14,617.25 ÷ 45,678.90 = 1,066.6657… → 1,066.67; national
        // × 5,481.47 → 399.9997… → 400.00; provincial × 4,111.10 → 299.9999… → 300.00; company
        // × 2,740.73 → 200.0000… → 200.00; the risk fund 3,333.33 × 80 % × 13,703.67 ÷
        // 45,678.90 = 799.9995… → 800.00. The bank keeps 3,333.33 − 2,766.67 = 566.66.
        let mut tx = db.write().await.expect("begin");
        let loan = loans::find(&mut tx, "PYRCB", "W1").await.expect("W1");
        loans::write_off(&mut tx, &ctx(), &loan, date("2017-09-30"), "default").await.expect("write off");
        tx.commit().await.expect("commit");
        repay(&db, "REC1", "W1", "2017-11-01", "3333.33").await.expect("recovery");
        assert_eq!(balance(&db, "fund:361128000000:guarantee").await, yuan("1449.42"), "382.75 + 1,066.67");
        assert_eq!(balance(&db, "fund:361128000000:risk").await, yuan("9837.06"), "9,037.06 + 800.00");
        let paid_back = |payer: &str| format!("guarantee:{}:{payer}", claims[1].guarantee_id);
        assert_eq!(balance(&db, &paid_back("national")).await, yuan("5081.47"), "5,481.47 − 400.00");
        assert_eq!(balance(&db, &paid_back("provincial")).await, yuan("3811.10"), "4,111.10 − 300.00");
        assert_eq!(balance(&db, &paid_back("company")).await, yuan("2540.73"), "2,740.73 − 200.00");
        // The same recovery again changes nothing.
        let again = repay(&db, "REC1", "W1", "2017-11-01", "3333.33").await;
        assert!(again.is_ok(), "{again:?}");
        assert_eq!(balance(&db, "fund:361128000000:guarantee").await, yuan("1449.42"));
        ledger_is_clean(&db).await;

        // Figures at the end of the year: W1 written off, so only 王五's 10 % of W2 (3,000) is
        // guaranteed; losses 45,678.90, paid 37,913.49, the banks bear 7,765.41.
        let year = guarantees::figures(&db, "361128", date("2017-12-31")).await.expect("figures");
        assert_eq!((year.guaranteed_balance, year.fund_guaranteed), (yuan("3000"), Fen::ZERO));
        assert_eq!((year.fund_balance, year.fund_deposits), (yuan("1449.42"), yuan("15000")));
        let payers: Vec<(&str, Fen, Fen)> = year.payers.iter().map(|p| (p.payer.as_str(), p.paid, p.returned)).collect();
        assert_eq!(payers, [
            ("insurance", Fen::ZERO, Fen::ZERO),
            ("company", yuan("2740.73"), yuan("200")), ("county_fund", yuan("14617.25"), yuan("1066.67")),
            ("national", yuan("5481.47"), yuan("400")), ("provincial", yuan("4111.10"), yuan("300")),
            ("risk_fund", yuan("10962.94"), yuan("800")),
        ]);
        assert_eq!((year.losses, year.bank_borne), (yuan("45678.90"), yuan("7765.41")));
        // The same figures as indicators (and so in the report's funds sheet).
        fupin_app::indicators::load_builtin(&db, &ctx()).await.expect("indicators");
        let request = fupin_app::indicators::Request {
            scope: fupin_app::indicators::Scope::Region(county()),
            as_of: date("2017-12-31"),
            base: None,
            institution: None,
            codes: Some(["guaranteed_loans_balance", "guarantee_fund_balance", "guarantee_fund_deposits", "guarantee_claims_paid", "losses_shared", "loss_borne_by_banks"].map(String::from).to_vec()),
        };
        let values: std::collections::HashMap<String, Option<String>> =
            fupin_app::indicators::evaluate(&db, &ctx(), &request).await.expect("evaluate")
                .into_iter().map(|v| (v.indicator.code.clone(), v.text())).collect();
        // Guarantee claims paid: 14,617.25 + 5,481.47 + 4,111.10 + 2,740.73 = 26,950.55.
        for (code, expected) in [
            ("guaranteed_loans_balance", "3000.00"), ("guarantee_fund_balance", "1449.42"),
            ("guarantee_fund_deposits", "15000.00"), ("guarantee_claims_paid", "26950.55"),
            ("losses_shared", "45678.90"), ("loss_borne_by_banks", "7765.41"),
        ] {
            assert_eq!(values[code].as_deref(), Some(expected), "{code}");
        }
        let bank_request = fupin_app::indicators::Request { codes: Some(vec!["loss_borne_by_banks".into()]), ..request.clone() };
        let bank = Ctx { actor: Actor { name: "b".into(), role: Role::Bank, region: Some(county()), institution: Some("PYRCB".into()) }, ..ctx() };
        let seen = fupin_app::indicators::evaluate(&db, &bank, &bank_request).await.expect("evaluate");
        assert_eq!(seen[0].text(), None, "fund figures are the finance bureau's and the regulator's");
        // The report's waterfall sheet: each payer's paid and returned, the banks' part, the
        // losses; and the figures as indicators in its funds sheet.
        let report_request = fupin_app::indicators::Request { codes: None, ..bank_request.clone() };
        let report = fupin_app::report::build(&db, &ctx(), &report_request).await.expect("report");
        let bytes = fupin_app::report::render(&report, "xlsx").expect("xlsx");
        use calamine::{DataType, Reader};
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("workbook");
        let range = book.worksheet_range(fupin_app::report::WATERFALL_SHEET).expect("the waterfall sheet");
        let rows: Vec<(String, String)> = range.rows().skip(1).map(|r| (r[0].to_string(), format!("{:.2}", r[1].as_f64().unwrap_or(-1.0)))).collect();
        assert_eq!(rows[0], ("保险 Insurance".to_string(), "0.00".to_string()), "{rows:?}");
        assert_eq!(rows[2], ("县担保基金 County guarantee fund".to_string(), "14617.25".to_string()), "{rows:?}");
        assert_eq!(rows[6], ("银行承担 Borne by banks".to_string(), "7765.41".to_string()), "{rows:?}");
        assert_eq!(rows[7], ("分担损失 Losses shared".to_string(), "45678.90".to_string()), "{rows:?}");
        assert_eq!(rows[8], ("担保费 Guarantee fees paid".to_string(), "0.00".to_string()), "{rows:?}");
        let funds_sheet = book.worksheet_range("贴息与风补 Funds").expect("funds sheet");
        assert!(funds_sheet.rows().any(|r| r.iter().any(|c| *c == "银行承担损失")), "the indicator is in the funds sheet");
        // In July, before the write-off: the fund guaranteed 18,271.56 against 382.75.
        let july = guarantees::figures(&db, "3611", date("2017-07-31")).await.expect("city");
        assert_eq!(july.fund_balance, yuan("382.75"));
    }

    async fn the_waterfall_order_is_data(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        rules(&db, dir.path()).await;
        let finance = as_role(Role::Finance, None);
        let incomplete = guarantees::set_waterfall(&db, &finance, county(), &[Step::Guarantee, Step::RiskFund]).await.expect_err("two steps");
        assert!(incomplete.to_string().contains("insurance, guarantee and risk_fund, each once"), "{incomplete}");
        let bank = as_role(Role::Bank, Some("PYRCB"));
        assert!(matches!(guarantees::set_waterfall(&db, &bank, county(), &Step::DEFAULT_ORDER).await, Err(AppError::Forbidden(_))));
        // The risk fund first: it pays 80 % of the whole loss and the guarantee 40 % of nothing.
        guarantees::set_waterfall(&db, &finance, county(), &[Step::RiskFund, Step::Insurance, Step::Guarantee]).await.expect("order");
        deposit(&db, "R1", "361128", "risk_compensation", "2017-01-05", "20000").await.expect("risk fund");
        deposit(&db, "G1", "361128", "guarantee", "2017-01-05", "5000").await.expect("guarantee fund");
        let terms = ProductTerms { product_code: "MC".into(), kinds: vec!["county_fund".into()], cap_bps: 5_000 };
        guarantees::set_product_terms(&db, &ctx(), &terms).await.expect("terms");
        let file = format!("{HEADER}W1,PYRCB,MC,household,H1,10000,4.75,2017-03-15,2018-03-15,monthly_interest,养殖\n");
        assert_applied(&import_file(&db, &write(dir.path(), "loans.csv", &file), LoanImporter::new(&db)).await);
        let over = guarantees::add_guarantee_command(&db, &ctx(), &guarantee("W1", GuarantorKind::CountyFund, "361128", 6_000)).await.expect_err("cap 50 %");
        assert!(over.to_string().contains("would reach 60.00 %, above the cap of 50.00 % of product MC"), "{over}");
        guarantees::add_guarantee_command(&db, &ctx(), &guarantee("W1", GuarantorKind::CountyFund, "361128", 4_000)).await.expect("40 %");
        loans::eod::run(&db, &ctx(), date("2017-07-14"), Some(date("2017-01-01")), &mut |_| {}).await.expect("eod");
        let risk = funds::risk_claims(&db, Some(county())).await.expect("risk");
        assert_eq!(risk[0].claim.amount, yuan("8000"), "80 % × 10,000");
        assert!(guarantees::claims_for(&db, &ctx(), None).await.expect("claims").is_empty());
    }

    async fn a_guarantee_contracts_file_in_gb18030_with_chinese_headers(db) {
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        rules(&db, dir.path()).await;
        deposit(&db, "R1", "361128", "risk_compensation", "2017-01-05", "20000").await.expect("risk fund");
        deposit(&db, "G1", "361128", "guarantee", "2017-01-05", "5000").await.expect("guarantee fund");
        let terms = ProductTerms { product_code: "MC".into(), kinds: vec!["county_fund".into(), "company".into()], cap_bps: 10_000 };
        guarantees::set_product_terms(&db, &ctx(), &terms).await.expect("terms");
        let loans_file = format!("{HEADER}W1,PYRCB,MC,household,H1,20000,4.75,2017-03-15,2018-03-15,monthly_interest,养殖\n");
        assert_applied(&import_file(&db, &write(dir.path(), "loans.csv", &loans_file), LoanImporter::new(&db)).await);
        let header = "机构代码,贷款合同号,担保方类型,担保方证件号,担保合同号,担保比例,签订日期,担保费率,担保费承担方,担保费补贴比例\n";
        // Row 3 asks the company for 70 % more: 50 % + 70 % = 120 % > 100 %; row 4 names a
        // loan that does not exist. Nothing is imported.
        let bad = format!("{header}PYRCB,W1,县担保基金,361128,DB-1,50%,2017-03-20,1%,借款人,50%\n\
            PYRCB,W1,担保公司,GC,DB-2,70%,2017-03-20,,,\n\
            PYRCB,W9,担保公司,GC,DB-3,10%,2017-03-20,,,\n");
        let path = dir.path().join("guarantees.csv");
        std::fs::write(&path, encoding_rs::GB18030.encode(&bad).0).expect("write");
        let report = import_file(&db, &path, fupin_app::imports::guarantees::GuaranteeImporter).await;
        assert!(!report.applied);
        let errors: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(errors, [(3, "share"), (4, "contract_no")], "{:#?}", report.errors);
        assert!(report.errors[0].message.contains("would reach 120.00 %"), "{:#?}", report.errors);
        assert!(guarantees::exposure(&db, &ctx(), GuarantorKind::CountyFund, "361128000000").await.expect("none").loans.is_empty(), "a failed import changes nothing");
        let good = format!("{header}PYRCB,W1,县担保基金,361128,DB-1,50%,2017-03-20,1%,借款人,50%\nPYRCB,W1,担保公司,GC,DB-2,30%,2017-03-20,,,\n");
        std::fs::write(&path, encoding_rs::GB18030.encode(&good).0).expect("write");
        assert_applied(&import_file(&db, &path, fupin_app::imports::guarantees::GuaranteeImporter).await);
        let again = import_file(&db, &path, fupin_app::imports::guarantees::GuaranteeImporter).await;
        assert!(again.applied && again.counts.unchanged == 2, "{again:?}");
        let listed = guarantees::of_loan(&db, &ctx(), "PYRCB", "W1").await.expect("listed");
        let got: Vec<(&str, i64, i64, i64)> = listed.iter().map(|g| (g.guarantor_type.as_str(), g.share_bps, g.fee_rate_bps, g.fee_subsidy_bps)).collect();
        assert_eq!(got, [("county_fund", 5_000, 100, 5_000), ("company", 3_000, 0, 0)]);
        // 50 % of 20,000 guaranteed by the fund: 10,000 ≤ 5 × 5,000.
        assert_eq!(guarantees::exposure(&db, &ctx(), GuarantorKind::CountyFund, "361128000000").await.expect("fund").guaranteed, yuan("10000"));
    }

    async fn insurance_pays_first(db) {
        use fupin_app::insurance::{self, ClaimRef, ClaimReport, Event, Kind, PolicyOrder};
        let dir = tempfile::tempdir().expect("dir");
        setup(&db, dir.path()).await;
        rules(&db, dir.path()).await;
        let insurers = write(dir.path(), "insurers.csv", "code,name,type,region_code\nPICC,人保财险上饶分公司,other,361100\n");
        assert_applied(&import_file(&db, &insurers, InstitutionImporter::default()).await);
        deposit(&db, "R1", "361128", "risk_compensation", "2017-01-05", "20000").await.expect("risk fund");
        deposit(&db, "G1", "361128", "guarantee", "2017-01-05", "10000").await.expect("guarantee fund");
        let terms = ProductTerms { product_code: "MC".into(), kinds: vec!["county_fund".into()], cap_bps: 10_000 };
        guarantees::set_product_terms(&db, &ctx(), &terms).await.expect("terms");
        let file = format!("{HEADER}W1,PYRCB,MC,household,H1,20000,4.75,2017-03-15,2018-03-15,monthly_interest,养殖\n");
        assert_applied(&import_file(&db, &write(dir.path(), "loans.csv", &file), LoanImporter::new(&db)).await);
        add(&db, &ctx(), &guarantee("W1", GuarantorKind::CountyFund, "361128", 5_000)).await.expect("50 %");
        // Loan guarantee insurance (保证保险) of 20 % pays the bank 20 % × 20,000 = 4,000 on 25 June.
        let insurer = Ctx { actor: Actor { name: "picc".into(), role: Role::Insurer, region: Some(RegionCode::parse("3611").expect("city")), institution: Some("PICC".into()) }, ..ctx() };
        let policy = PolicyOrder {
            insurer_code: "PICC".into(), policy_no: "B1".into(), kind: Kind::Guarantee,
            loan: Some(("PYRCB".into(), "W1".into())), household_id: None, county_code: None, activity: None,
            sum_insured: yuan("20000"), premium: yuan("200"), default_share_bps: Some(2_000),
            starts_on: date("2017-03-15"), ends_on: date("2018-03-15"),
            shares: fupin_core::insurance::PremiumShares::new(0, 0, 0, 10_000).expect("farmer pays"),
        };
        let claim = ClaimRef { insurer_code: "PICC".into(), policy_no: "B1".into(), claim_no: "B1-1".into() };
        let report = ClaimReport { insurer_code: "PICC".into(), policy_no: "B1".into(), claim_no: "B1-1".into(), event: Event::Default, occurred_on: date("2017-06-20"), reported_on: date("2017-06-20"), claimed: yuan("4000") };
        insurance::in_transaction(&db, async |tx| {
            insurance::register_policy(tx, &insurer, &policy).await?;
            insurance::report_claim(tx, &insurer, &report).await?;
            insurance::assess_claim(tx, &insurer, &claim, yuan("4000"), date("2017-06-22")).await?;
            insurance::pay_claim(tx, &insurer, &claim, date("2017-06-25")).await
        }).await.expect("insurance paid");
        // W1 unpaid since 15 April: the trigger on 14 July. Loss 20,000; insurance bore 4,000
        // (paid to the bank, not through the loan), left 16,000; the county fund guarantees
        // 50 % = 8,000 and pays 80 % = 6,400; left 8,000, the risk fund 80 % = 6,400.
        loans::eod::run(&db, &ctx(), date("2017-07-14"), Some(date("2017-01-01")), &mut |_| {}).await.expect("eod");
        let claims = guarantees::claims_for(&db, &ctx(), None).await.expect("claims");
        let got: Vec<(&str, Fen, Fen, Fen)> = claims.iter().map(|c| (c.payer.as_str(), c.loss, c.base, c.amount)).collect();
        assert_eq!(got, [("county_fund", yuan("20000"), yuan("16000"), yuan("6400"))]);
        let risk = funds::risk_claims(&db, Some(county())).await.expect("risk");
        assert_eq!((risk[0].claim.principal, risk[0].claim.amount), (yuan("8000"), yuan("6400")));
        // Insurance is the waterfall's first payer in the figures: 4,000 of the 20,000 loss;
        // with the other claims still pending, the bank bears 20,000 − 4,000 = 16,000.
        let figures = guarantees::figures(&db, "361128", date("2017-07-31")).await.expect("figures");
        assert_eq!((figures.payers[0].payer.as_str(), figures.payers[0].paid), ("insurance", yuan("4000")));
        assert_eq!((figures.losses, figures.bank_borne), (yuan("20000"), yuan("16000")));
        ledger_is_clean(&db).await;
    }
}
