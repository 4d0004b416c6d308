//! Helpers shared by the lending and funds tests: a territory, a bank, households, an
//! enterprise and products, written as files and imported.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use fupin_app::imports::loans::ProductImporter;
use fupin_app::imports::registry::{EnterpriseImporter, import_households};
use fupin_app::imports::territory::{InstitutionImporter, RegionImporter};
use fupin_app::imports::{self, ImportOptions, ImportReport};
use fupin_app::loans::{self, RepaymentOrder, RepaymentOutcome};
use fupin_app::{Actor, Ctx, Db};
use fupin_core::resident_id::check_character;
use fupin_core::{BusinessDate, Fen};

pub fn ctx() -> Ctx {
    Ctx {
        actor: Actor::operator("tester"),
        now: "2018-01-05T09:00:00.000Z".into(),
        request_id: None,
    }
}

pub fn date(text: &str) -> BusinessDate {
    BusinessDate::parse(text).expect("test date")
}

pub fn yuan(text: &str) -> Fen {
    Fen::parse_yuan(text).expect("test amount")
}

/// A valid resident ID born on `birth` (YYYYMMDD) with sequence `sequence`.
pub fn resident_id(birth: &str, sequence: &str) -> String {
    let body = format!("361128{birth}{sequence}");
    let check = check_character(&body).expect("17 digits");
    format!("{body}{check}")
}

pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path
}

pub async fn import_file<I: imports::Importer + Send>(
    db: &Db,
    path: &Path,
    importer: I,
) -> ImportReport
where
    I::Record: Send,
{
    imports::run(db, &ctx(), path, &ImportOptions::default(), importer)
        .await
        .expect("import runs")
}

pub fn assert_applied(report: &ImportReport) {
    assert!(
        report.applied,
        "{} refused: {:#?}",
        report.kind, report.errors
    );
}

/// Territory, one bank, two households (heads aged 40 and 70 in 2017), one enterprise, products.
pub async fn setup(db: &Db, dir: &Path) {
    fupin_app::regions::load_reference_data(db, &ctx())
        .await
        .expect("reference data");
    let regions = write(
        dir,
        "regions.csv",
        "code,name\n361128100,饶州街道\n361128100001,东湖村\n",
    );
    assert_applied(&import_file(db, &regions, RegionImporter::default()).await);
    let banks = write(
        dir,
        "institutions.csv",
        "code,name,type,region_code\nPYRCB,鄱阳农商银行,rural_cooperative,361128\nABC,农业银行,large_commercial,361100\n",
    );
    assert_applied(&import_file(db, &banks, InstitutionImporter::default()).await);
    let header = "household_id,village_code,name,id_number,relation,poverty_attribute,main_cause,status,identified_on,per_capita_income,labour\n";
    let households = format!(
        "{header}H1,361128100001,张三,{},head,general,illness,poor,2015-10-01,2300,normal\n\
         H2,361128100001,李四,{},head,general,lack_funds,poor,2015-10-01,2100,weak\n",
        resident_id("19770501", "001"),
        resident_id("19470301", "002"),
    );
    let households = write(dir, "households.csv", &households);
    let report = import_households(
        db,
        &ctx(),
        &households,
        &ImportOptions::default(),
        date("2016-12-31"),
    )
    .await
    .expect("households");
    assert_applied(&report);
    let code_body = "91361128MA35XXXX0";
    let credit_code = format!(
        "{code_body}{}",
        fupin_core::credit_code::check_character(code_body).expect("17 chars")
    );
    let enterprises = write(
        dir,
        "enterprises.csv",
        &format!(
            "credit_code,name,kind,industry,village_code\n{credit_code},东湖茶业合作社,cooperative,tea,361128100001\n"
        ),
    );
    assert_applied(
        &import_file(
            db,
            &enterprises,
            EnterpriseImporter::new(date("2016-12-31")),
        )
        .await,
    );
    let products = write(
        dir,
        "products.csv",
        "code,name,category,borrower_type,max_amount,max_term_months,annual_rate,repayment,subsidy_rate,risk_fund_share,institution_code,counties\n\
         MC,扶贫小额信贷,poverty_microcredit,household,50000,36,4.75,equal_instalment,4.75,80%,PYRCB,361128\n\
         TEA,茶叶贷,characteristic_industry,enterprise,3000000,60,5.22,monthly_interest,,,PYRCB,\n\
         ABCMC,农行扶贫贷,poverty_microcredit,household,50000,36,4.35,bullet,,,ABC,\n",
    );
    assert_applied(&import_file(db, &products, ProductImporter::default()).await);
}

pub fn enterprise_code() -> String {
    let body = "91361128MA35XXXX0";
    format!(
        "{body}{}",
        fupin_core::credit_code::check_character(body).expect("17 chars")
    )
}

pub const LOAN_HEADER: &str = "contract_no,institution_code,product_code,borrower_type,borrower_id,principal,annual_rate,start_on,maturity_on,purpose\n";

pub async fn ledger_is_clean(db: &Db) {
    let check = fupin_app::ledger::check(db).await.expect("check");
    assert!(check.is_clean(), "{check:#?}");
}

pub async fn balance(db: &Db, code: &str) -> Fen {
    fupin_app::ledger::balance(db, code, None)
        .await
        .expect("balance")
        .1
}

pub async fn repay(
    db: &Db,
    id: &str,
    contract: &str,
    on: &str,
    amount: &str,
) -> fupin_app::Result<RepaymentOutcome> {
    let mut tx = db.write().await.expect("begin");
    let order = RepaymentOrder {
        institution_code: "PYRCB".into(),
        id: id.into(),
        contract_no: contract.into(),
        paid_on: date(on),
        amount: yuan(amount),
        prepayment: None,
    };
    let outcome = loans::repay(&mut tx, &ctx(), &order).await;
    match &outcome {
        Ok(_) => tx.commit().await.expect("commit"),
        Err(_) => tx.rollback().await.expect("rollback"),
    }
    outcome
}

pub async fn eod(db: &Db, through: &str) -> loans::eod::EodReport {
    loans::eod::run(
        db,
        &ctx(),
        date(through),
        Some(date("2017-01-01")),
        &mut |_| {},
    )
    .await
    .expect("eod")
}

/// Records a deposit of `amount` yuan into a county fund (`subsidy` or `risk_compensation`).
pub async fn deposit(
    db: &Db,
    id: &str,
    county: &str,
    fund: &str,
    on: &str,
    amount: &str,
) -> fupin_app::Result<fupin_app::funds::Deposited> {
    let mut tx = db.write().await.expect("begin");
    let order = fupin_store::funds::Deposit {
        id: id.into(),
        county_code: fupin_core::RegionCode::parse(county).expect("county"),
        fund: fund.into(),
        deposited_on: date(on),
        amount: yuan(amount),
    };
    let outcome = fupin_app::funds::deposit(&mut tx, &ctx(), &order).await;
    match &outcome {
        Ok(_) => tx.commit().await.expect("commit"),
        Err(_) => tx.rollback().await.expect("rollback"),
    }
    outcome
}

/// Imports one loan of `principal` yuan under product `MC` to household H1, from 2017-03-15
/// over 36 months.
pub async fn one_loan(db: &Db, dir: &Path, contract: &str, principal: &str) {
    let file = write(
        dir,
        &format!("loan-{contract}.csv"),
        &format!(
            "{LOAN_HEADER}{contract},PYRCB,MC,household,H1,{principal},4.75,2017-03-15,2020-03-15,养殖生猪\n"
        ),
    );
    assert_applied(&import_file(db, &file, fupin_app::imports::loans::LoanImporter::new(db)).await);
}

/// Rows of a table, by plain SQL (for checks no use case answers).
pub async fn count_rows(db: &Db, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get::<i64, _>(0)
        .expect("a count")
}
