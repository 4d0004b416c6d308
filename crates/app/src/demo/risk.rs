//! The rest of the risk relief in the demo (issue #27): a guarantee fund in each poverty
//! county, accident cover on micro-credit, livestock insurance on pig loans (premiums
//! subsidised), and a few defaulted micro-credit loans guaranteed by the county fund and by
//! guarantee insurance, whose loss then runs the whole waterfall at end of day: insurance,
//! the county guarantee fund, the risk-compensation fund and the bank.
//!
//! Nothing here touches a loan's repayments or a loan balance before the scenario date, so
//! the article's figures stay as they were; everything is chosen by count and order (no draw
//! of the generator), so every other figure stays too.

use fupin_core::insurance::PremiumShares;
use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::Db;
use fupin_store::loans::{self, Loan, LoanFilter};

use super::lending;
use super::plan::{self, COUNTIES};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::guarantee_fees::{self, FeeOrder};
use crate::guarantees::{self, FundSettings, GuarantorKind, NewGuarantee, ProductTerms};
use crate::insurance::{self, ClaimRef, ClaimReport, Event, Kind, PolicyOrder, PremiumOrder};

/// The insurer of the scenario.
pub const INSURER: &str = "PICC-SR";
/// Each poverty county's guarantee fund (yuan), deposited in January 2016.
const FUND_YUAN: i64 = 2_000_000;
/// Micro-credit loans with accident cover, per poverty county; pig loans with livestock cover.
const ACCIDENT_POLICIES: usize = 40;
const LIVESTOCK_POLICIES: usize = 20;
/// Defaulted micro-credit loans per poverty county that run the whole waterfall.
const WATERFALL_DEFAULTS: usize = 2;
/// The county fund's share of those loans, the guarantee insurance's share of a default.
const FUND_SHARE_BPS: i64 = 4_000;
const INSURED_SHARE_BPS: i64 = 2_000;

/// What the step did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Relief {
    pub policies: u64,
    pub guaranteed_defaults: u64,
}

fn date(text: BusinessDate, days: i64) -> Result<BusinessDate> {
    text.add_days(days)
        .ok_or_else(|| AppError::Invalid(format!("{text} + {days} days")))
}

fn part(amount: Fen, bps: i64) -> Result<Fen> {
    amount
        .mul_ratio_half_up(i128::from(bps), 10_000)
        .ok_or_else(|| AppError::Invalid("demo amount overflows".into()))
}

async fn insurer(db: &Db) -> Result<()> {
    let mut tx = db.write().await?;
    let institution = fupin_store::institutions::Institution {
        code: INSURER.into(),
        name: "中国人民财产保险上饶市分公司".into(),
        name_en: Some("PICC Property and Casualty, Shangrao".into()),
        kind: "other".into(),
        parent_code: None,
        region_code: RegionCode::parse("361100").map_err(|e| AppError::Invalid(e.to_string()))?,
    };
    fupin_store::institutions::upsert(&mut tx, &institution).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// A policy on a loan from its start to its maturity, its premium paid on the start and the
/// subsidies approved ten days later.
async fn cover(
    db: &Db,
    ctx: &Ctx,
    loan: &Loan,
    kind: Kind,
    no: String,
    approve: bool,
) -> Result<()> {
    let principal = loan.terms.principal;
    let (premium_bps, shares) = match kind {
        // Accident cover: 0.3 % of the loan, half paid by the county.
        Kind::Accident => (30, PremiumShares::new(0, 0, 5_000, 5_000)),
        // Livestock: 5 % of the sum insured; central 50 %, provincial 25 %, county 5 %.
        Kind::Livestock => (500, PremiumShares::new(5_000, 2_500, 500, 2_000)),
        // Guarantee insurance: 1 % of the loan, paid by the borrower.
        _ => (100, PremiumShares::new(0, 0, 0, 10_000)),
    };
    let shares = shares.map_err(|e| AppError::Invalid(e.to_string()))?;
    let order = PolicyOrder {
        insurer_code: INSURER.into(),
        policy_no: no.clone(),
        kind,
        loan: Some((
            loan.terms.institution_code.clone(),
            loan.terms.contract_no.clone(),
        )),
        household_id: None,
        county_code: None,
        activity: None,
        sum_insured: principal,
        premium: part(principal, premium_bps)?,
        default_share_bps: (kind == Kind::Guarantee).then_some(INSURED_SHARE_BPS),
        starts_on: loan.terms.start_on,
        ends_on: loan.terms.maturity_on,
        shares,
    };
    let premium = PremiumOrder {
        insurer_code: INSURER.into(),
        policy_no: no.clone(),
        id: "1".into(),
        paid_on: loan.terms.start_on,
        amount: order.premium,
    };
    let mut tx = db.write().await?;
    insurance::register_policy(&mut tx, ctx, &order).await?;
    if premium.amount.is_positive() {
        insurance::record_premium(&mut tx, ctx, &premium).await?;
        if approve {
            let on = date(loan.terms.start_on, 10)?;
            insurance::approve_premium(&mut tx, ctx, INSURER, &no, "1", on).await?;
        }
    }
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

async fn loans_of(
    db: &Db,
    county: &str,
    product: &str,
    started_by: BusinessDate,
) -> Result<Vec<Loan>> {
    let filter = LoanFilter {
        within: RegionCode::parse(county).ok(),
        product: Some(product.to_string()),
        as_of: Some(started_by),
        limit: 100_000,
        ..Default::default()
    };
    Ok(loans::list_loans(db, &filter).await?)
}

/// The county's guarantee fund: deposit, rules, and the micro-credit product's terms.
async fn fund(db: &Db, ctx: &Ctx, county: RegionCode, product: &str) -> Result<()> {
    let mut tx = db.write().await?;
    let deposit = fupin_store::funds::Deposit {
        id: format!("GF-{county}-2016"),
        county_code: county,
        fund: "guarantee".into(),
        deposited_on: plan::date(2016, 1, 5),
        amount: Fen::from_yuan(FUND_YUAN).unwrap_or_default(),
    };
    crate::funds::deposit(&mut tx, ctx, &deposit).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    let settings = FundSettings {
        county_code: county,
        effective_from: plan::date(2016, 1, 1),
        leverage_multiple: 5,
        fund_share_bps: 8_000,
    };
    guarantees::set_fund_settings(db, ctx, &settings).await?;
    let terms = ProductTerms {
        product_code: product.to_string(),
        kinds: vec!["county_fund".into()],
        cap_bps: 10_000,
    };
    guarantees::set_product_terms(db, ctx, &terms).await?;
    Ok(())
}

/// A defaulted loan: guaranteed 40 % by the county fund (fee 1 % a year, paid by the
/// borrower, half subsidised) and insured 20 % by guarantee insurance, whose claim is paid 40
/// days after the first unpaid instalment, before the risk-claim trigger (90 days).
async fn guaranteed_default(
    db: &Db,
    ctx: &Ctx,
    loan: &Loan,
    county: RegionCode,
    due: BusinessDate,
) -> Result<()> {
    let contract = format!("DB-{}", loan.terms.contract_no);
    let new = NewGuarantee {
        institution_code: loan.terms.institution_code.clone(),
        loan_contract_no: loan.terms.contract_no.clone(),
        kind: GuarantorKind::CountyFund,
        guarantor_id: county.to_string(),
        contract_no: contract.clone(),
        share_bps: FUND_SHARE_BPS,
        signed_on: loan.terms.start_on,
        fee_rate_bps: 100,
        fee_payer: "borrower".into(),
        fee_subsidy_bps: 5_000,
    };
    guarantees::add_guarantee_command(db, ctx, &new).await?;
    let fee = FeeOrder {
        institution_code: loan.terms.institution_code.clone(),
        loan_contract_no: loan.terms.contract_no.clone(),
        guarantee_contract_no: contract,
        id: format!("GFEE-{}", loan.terms.contract_no),
        paid_on: loan.terms.start_on,
        days: 365,
    };
    guarantee_fees::record_fee_command(db, ctx, &fee).await?;
    guarantee_fees::approve_subsidy(db, ctx, &fee.id, date(loan.terms.start_on, 15)?).await?;
    let no = format!("BZ-{}", loan.terms.contract_no);
    cover(db, ctx, loan, Kind::Guarantee, no.clone(), true).await?;
    let occurred = date(due, 30)?;
    let report = ClaimReport {
        insurer_code: INSURER.into(),
        policy_no: no.clone(),
        claim_no: format!("{no}-1"),
        event: Event::Default,
        occurred_on: occurred,
        reported_on: occurred,
        claimed: part(loan.terms.principal, INSURED_SHARE_BPS)?,
    };
    let which = ClaimRef {
        insurer_code: INSURER.into(),
        policy_no: no,
        claim_no: report.claim_no.clone(),
    };
    let mut tx = db.write().await?;
    insurance::report_claim(&mut tx, ctx, &report).await?;
    insurance::assess_claim(&mut tx, ctx, &which, report.claimed, date(due, 35)?).await?;
    insurance::pay_claim(&mut tx, ctx, &which, date(due, 40)?).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// Guarantee funds, policies and the guaranteed defaults, before end of day.
pub async fn relief(db: &Db, ctx: &Ctx) -> Result<Relief> {
    insurer(db).await?;
    let mut done = Relief::default();
    // Defaults whose first unpaid instalment fell by February 2017: their trigger comes by
    // the end of May, so their claims are approved in the scenario (see `approve_claims`).
    let last_due = plan::date(2017, 2, 28);
    for spec in COUNTIES.iter().filter(|s| s.poverty_county) {
        let county = RegionCode::parse(spec.code).map_err(|e| AppError::Invalid(e.to_string()))?;
        let product = lending::microcredit_product(spec);
        fund(db, ctx, county, &product).await?;
        let loans = loans_of(db, spec.code, &product, plan::as_of()).await?;
        // Signed after the fund's deposit, so its leverage counts it.
        let unpaid = |l: &&Loan| {
            l.next_unpaid_due_on.is_some_and(|due| due <= last_due)
                && l.terms.start_on >= plan::date(2016, 1, 5)
                && l.terms.borrower_type == "household"
        };
        for loan in loans.iter().filter(unpaid).take(WATERFALL_DEFAULTS) {
            let due = loan.next_unpaid_due_on.unwrap_or(last_due);
            guaranteed_default(db, ctx, loan, county, due).await?;
            done.guaranteed_defaults += 1;
            done.policies += 1;
        }
        let paying = |l: &&Loan| !unpaid(l) && l.terms.borrower_type == "household";
        for loan in loans.iter().filter(paying).take(ACCIDENT_POLICIES) {
            let no = format!("YW-{}", loan.terms.contract_no);
            cover(db, ctx, loan, Kind::Accident, no, true).await?;
            done.policies += 1;
        }
    }
    // Pig loans: Wannian's micro-credit, 万年生猪贷, finances pig farming.
    let wannian = COUNTIES
        .iter()
        .find(|s| s.product.2 == "生猪养殖")
        .ok_or_else(|| AppError::Invalid("no pig-farming county in the plan".into()))?;
    let product = lending::microcredit_product(wannian);
    let pigs = loans_of(db, wannian.code, &product, plan::as_of()).await?;
    // The last two premiums are left for the finance bureau to approve (its work list).
    let covered = pigs.len().min(LIVESTOCK_POLICIES);
    for (index, loan) in pigs.iter().take(covered).enumerate() {
        let no = format!("SZ-{}", loan.terms.contract_no);
        cover(db, ctx, loan, Kind::Livestock, no, index + 2 < covered).await?;
        done.policies += 1;
    }
    Ok(done)
}

/// Approves the guarantee claims raised by the end of May, twenty days after they were
/// raised, as the risk claims are; later ones stay pending. Returns (raised, approved).
pub async fn approve_claims(db: &Db, ctx: &Ctx) -> Result<(u64, u64)> {
    let cutoff = plan::date(2017, 5, 31);
    let claims = guarantees::claims_for(db, ctx, None).await?;
    let mut approved = 0;
    for claim in &claims {
        if claim.state == "pending" && claim.raised_on <= cutoff {
            guarantees::approve_claim(db, ctx, claim.id, date(claim.raised_on, 20)?).await?;
            approved += 1;
        }
    }
    Ok((claims.len() as u64, approved))
}
