//! Guarantees and the loss waterfall (issue #27).
//!
//! A loan names its guarantors — a household (by a member's resident ID), an enterprise (by
//! credit code), a government financing guarantee company (by institution code) or the county
//! guarantee fund — each with a share of the loss and a guarantee contract number, within what
//! the product allows. The county guarantee fund (`fund:<county>:guarantee`, capitalised by
//! deposits like the risk fund) may guarantee at most `leverage_multiple ×` its balance and pays
//! `fund_share_bps` of what it guarantees, the bank the rest; a company's guarantees are shared
//! between the national and provincial re-guarantee funds, the company and the bank ("4-3-2-1").
//!
//! When a loan reaches the risk-claim trigger its loss (principal outstanding) is shared in the
//! county's order, by default insurance, then guarantees, then the risk-compensation fund and
//! the bank by their ratio. Every payer's share is a claim approved on its own, paid by a ledger
//! transfer to the bank; recoveries go back to each payer pro rata to what it bore.

use fupin_core::{BusinessDate, CreditCode, Fen, RegionCode, ResidentId};
use fupin_store::funds::RiskSettings;
use fupin_store::guarantees::{
    self as store, GuaranteeClaim, GuaranteeCompany, GuaranteeFundSettings, GuaranteedLoan,
    LoanGuarantee, ProductGuaranteeTerms,
};
use fupin_store::ledger::{self, NewAccount, NewTransfer, NormalSide};
use fupin_store::loans::{self, Loan};
use fupin_store::{Db, Tx, audit};
use serde_json::json;

use crate::access::{self, Access, Area};
use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::funds::{Fund, bank_cash, county_of, fund_account, insufficient_fund};
use crate::ledger::post_batch;

/// Who guarantees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuarantorKind {
    Household,
    Enterprise,
    Company,
    CountyFund,
}

impl GuarantorKind {
    pub const ALL: [GuarantorKind; 4] = [
        GuarantorKind::Household,
        GuarantorKind::Enterprise,
        GuarantorKind::Company,
        GuarantorKind::CountyFund,
    ];

    /// From its code or Chinese name (农户, 企业, 担保公司, 县担保基金).
    pub fn parse(text: &str) -> Option<GuarantorKind> {
        match text.trim() {
            "household" | "农户" => Some(GuarantorKind::Household),
            "enterprise" | "企业" => Some(GuarantorKind::Enterprise),
            "company" | "担保公司" => Some(GuarantorKind::Company),
            "county_fund" | "县担保基金" => Some(GuarantorKind::CountyFund),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GuarantorKind::Household => "household",
            GuarantorKind::Enterprise => "enterprise",
            GuarantorKind::Company => "company",
            GuarantorKind::CountyFund => "county_fund",
        }
    }
}

/// One step of the loss waterfall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Insurance,
    Guarantee,
    RiskFund,
}

impl Step {
    /// The order of a county without its own.
    pub const DEFAULT_ORDER: [Step; 3] = [Step::Insurance, Step::Guarantee, Step::RiskFund];

    pub fn parse(text: &str) -> Option<Step> {
        match text.trim() {
            "insurance" | "保险" => Some(Step::Insurance),
            "guarantee" | "担保" => Some(Step::Guarantee),
            "risk_fund" | "风险补偿金" => Some(Step::RiskFund),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Insurance => "insurance",
            Step::Guarantee => "guarantee",
            Step::RiskFund => "risk_fund",
        }
    }
}

/// A guarantee to add to a loan (the loan named by its bank and contract number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGuarantee {
    pub institution_code: String,
    pub loan_contract_no: String,
    pub kind: GuarantorKind,
    /// Resident ID, credit code, institution code or county code (6 or 12 digits).
    pub guarantor_id: String,
    pub contract_no: String,
    pub share_bps: i64,
    pub signed_on: BusinessDate,
    pub fee_rate_bps: i64,
    /// `borrower` or `bank`.
    pub fee_payer: String,
    pub fee_subsidy_bps: i64,
}

/// What adding a guarantee did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    New,
    AlreadyRecorded,
}

fn bps_text(bps: i64) -> String {
    format!("{}.{:02} %", bps / 100, bps % 100)
}

/// The guarantor's id as stored: parsed and normalised for its kind.
async fn guarantor_id(tx: &mut Tx, new: &NewGuarantee, loan: &Loan) -> Result<String> {
    let text = new.guarantor_id.trim();
    match new.kind {
        GuarantorKind::Household => ResidentId::parse(text, new.signed_on)
            .map(|id| id.as_str().to_string())
            .map_err(|e| AppError::field("guarantor_id", e.to_string())),
        GuarantorKind::Enterprise => CreditCode::parse(text)
            .map(|code| code.as_str().to_string())
            .map_err(|e| AppError::field("guarantor_id", e.to_string())),
        GuarantorKind::Company => match store::company_in(tx, text).await? {
            Some(company) => Ok(company.institution_code),
            None => Err(AppError::field(
                "guarantor_id",
                format!("{text} is not a registered guarantee company"),
            )),
        },
        GuarantorKind::CountyFund => {
            let county = county_of(loan.terms.village_code)?;
            let named = RegionCode::parse(text)
                .map_err(|e| AppError::field("guarantor_id", e.to_string()))?;
            match named == county {
                true => Ok(county.to_string()),
                false => Err(AppError::field(
                    "guarantor_id",
                    format!(
                        "the guarantee fund of {named} does not guarantee loans of county {county}"
                    ),
                )),
            }
        }
    }
}

/// Adds a guarantor to a loan, within its product's terms, the cap on shares and (for the
/// county fund) its leverage; the same guarantee again is a no-op, with other content a
/// conflict.
pub async fn add_guarantee(tx: &mut Tx, ctx: &Ctx, new: &NewGuarantee) -> Result<Added> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    if !matches!(ctx.actor.role, Role::Bank | Role::Operator) {
        return Err(AppError::Forbidden(
            "a loan's guarantors are named by its bank".into(),
        ));
    }
    let what = || format!("loan {}/{}", new.institution_code, new.loan_contract_no);
    access::require_institution(ctx, &new.institution_code, what)?;
    let loan = crate::loans::find(tx, &new.institution_code, &new.loan_contract_no).await?;
    access::require_region(ctx, loan.terms.village_code, what)?;
    validate_terms(new)?;
    let guarantor = guarantor_id(tx, new, &loan).await?;
    if store::is_borrower(tx, &loan, new.kind.as_str(), &guarantor).await? {
        return Err(AppError::field(
            "guarantor_id",
            format!("a borrower does not guarantee its own loan ({})", what()),
        ));
    }
    let record = LoanGuarantee {
        id: 0,
        loan_id: loan.id,
        guarantor_type: new.kind.as_str().to_string(),
        guarantor_id: guarantor,
        contract_no: new.contract_no.trim().to_string(),
        share_bps: new.share_bps,
        signed_on: new.signed_on,
        fee_rate_bps: new.fee_rate_bps,
        fee_payer: new.fee_payer.clone(),
        fee_subsidy_bps: new.fee_subsidy_bps,
    };
    let existing = store::guarantees_of_loan_in(tx, loan.id).await?;
    if let Some(found) = existing.iter().find(|g| {
        g.guarantor_type == record.guarantor_type && g.guarantor_id == record.guarantor_id
    }) {
        let same = LoanGuarantee {
            id: found.id,
            ..record.clone()
        } == *found;
        return match same {
            true => Ok(Added::AlreadyRecorded),
            false => Err(AppError::Conflict(format!(
                "{} already names this guarantor with different terms",
                what()
            ))),
        };
    }
    if let Some(reason) = coverage_refusal(tx, &loan, new.kind, &existing, new.share_bps).await? {
        return Err(AppError::field("share", reason));
    }
    if new.kind == GuarantorKind::CountyFund
        && let Some(reason) = leverage_refusal(tx, &loan, new.share_bps, new.signed_on).await?
    {
        return Err(AppError::field("share", reason));
    }
    let id = store::insert_guarantee(tx, &record).await?;
    let mut entry = ctx.audit("guarantee.add", "loan_guarantee", &id.to_string());
    entry.after_json = Some(json!({"loan": what(), "guarantor_type": record.guarantor_type, "contract_no": record.contract_no, "share_bps": record.share_bps}).to_string());
    audit::append(tx, &entry).await?;
    Ok(Added::New)
}

fn validate_terms(new: &NewGuarantee) -> Result<()> {
    if new.contract_no.trim().is_empty() {
        return Err(AppError::field(
            "contract_no",
            "a guarantee needs its guarantee contract number",
        ));
    }
    if !(1..=10_000).contains(&new.share_bps) {
        return Err(AppError::field(
            "share",
            format!(
                "share {} is not between 0.01 % and 100 %",
                bps_text(new.share_bps)
            ),
        ));
    }
    if new.fee_rate_bps < 0 || !(0..=10_000).contains(&new.fee_subsidy_bps) {
        return Err(AppError::field(
            "fee_rate",
            "the fee rate must not be negative and its subsidy at most 100 %",
        ));
    }
    if !matches!(new.fee_payer.as_str(), "borrower" | "bank") {
        return Err(AppError::field(
            "fee_payer",
            format!("fee payer {:?} is not borrower or bank", new.fee_payer),
        ));
    }
    Ok(())
}

/// Why a loan may not take this guarantee: its product names no guarantee or not this kind,
/// or the shares would pass the product's cap (at most 100 %).
async fn coverage_refusal(
    tx: &mut Tx,
    loan: &Loan,
    kind: GuarantorKind,
    existing: &[LoanGuarantee],
    share_bps: i64,
) -> Result<Option<String>> {
    let product = &loan.terms.product_code;
    let Some(terms) = store::product_terms_in(tx, product).await? else {
        return Ok(Some(format!("product {product} names no guarantee")));
    };
    if !terms.kinds.iter().any(|k| k == kind.as_str()) {
        return Ok(Some(format!(
            "product {product} allows guarantees by {} only, not by {}",
            terms.kinds.join(", "),
            kind.as_str()
        )));
    }
    let after = existing.iter().map(|g| g.share_bps).sum::<i64>() + share_bps;
    let cap = terms.cap_bps.min(10_000);
    Ok((after > cap).then(|| {
        format!(
            "guaranteed shares of loan {} would reach {}, above the cap of {} of product {product}",
            loan.terms.contract_no,
            bps_text(after),
            bps_text(cap)
        )
    }))
}

/// The county guarantee fund's guaranteed balance: Σ principal outstanding × share.
fn guaranteed_balance(loans: &[GuaranteedLoan]) -> Result<Fen> {
    loans.iter().try_fold(Fen::ZERO, |total, loan| {
        loan.principal
            .mul_ratio_half_up(i128::from(loan.share_bps), 10_000)
            .and_then(|part| total.checked_add(part))
            .ok_or_else(|| AppError::Invalid("guaranteed balance overflows".into()))
    })
}

/// Why the county guarantee fund may not guarantee `share` of this loan: the guaranteed
/// balance would pass `leverage_multiple ×` the fund's balance.
async fn leverage_refusal(
    tx: &mut Tx,
    loan: &Loan,
    share_bps: i64,
    on: BusinessDate,
) -> Result<Option<String>> {
    let county = county_of(loan.terms.village_code)?;
    let Some(settings) = store::fund_settings_on(tx, county, on).await? else {
        return Ok(Some(format!(
            "county {county} has no guarantee fund rules on {on}"
        )));
    };
    let guaranteed = guaranteed_balance(
        &store::guaranteed_loans_in(tx, "county_fund", &county.to_string()).await?,
    )?;
    let principal = principal_of(tx, loan).await?;
    let this = principal
        .mul_ratio_half_up(i128::from(share_bps), 10_000)
        .ok_or_else(|| AppError::Invalid("guarantee overflows".into()))?;
    let fund_id = fund_account(tx, county, Fund::Guarantee).await?;
    let fund = ledger::totals_as_of_in(tx, fund_id, on)
        .await?
        .balance(NormalSide::Debit);
    let cap = i128::from(fund.fen()) * i128::from(settings.leverage_multiple);
    let after = i128::from(guaranteed.fen()) + i128::from(this.fen());
    if after <= cap {
        return Ok(None);
    }
    let fen = |v: i128| Fen::new(i64::try_from(v).unwrap_or(i64::MAX));
    Ok(Some(format!(
        "guarantees of county {county}'s guarantee fund would reach {}, above {}× its balance of {fund} on {on} (cap {})",
        fen(after),
        settings.leverage_multiple,
        fen(cap)
    )))
}

async fn principal_of(tx: &mut Tx, loan: &Loan) -> Result<Fen> {
    let code = format!(
        "loan:{}:{}:principal",
        loan.terms.institution_code, loan.terms.contract_no
    );
    Ok(ledger::account_by_code_in(tx, &code)
        .await?
        .map_or(Fen::ZERO, |a| a.balance()))
}

/// The finance bureau sets a county's guarantee fund rules (audited).
pub async fn set_fund_settings(db: &Db, ctx: &Ctx, settings: &GuaranteeFundSettings) -> Result<()> {
    require_finance(ctx, settings.county_code)?;
    if county_of(settings.county_code)? != settings.county_code {
        return Err(AppError::Invalid(format!(
            "{} is not a county code",
            settings.county_code
        )));
    }
    if settings.leverage_multiple <= 0 || !(0..=10_000).contains(&settings.fund_share_bps) {
        return Err(AppError::Invalid(
            "the leverage multiple must be positive and the fund's share between 0 and 100 %"
                .into(),
        ));
    }
    let mut tx = db.write().await?;
    store::set_fund_settings(&mut tx, settings).await?;
    let key = format!("{}@{}", settings.county_code, settings.effective_from);
    let mut entry = ctx.audit("guarantee_fund.settings", "guarantee_fund_settings", &key);
    entry.after_json = Some(json!({"leverage_multiple": settings.leverage_multiple, "fund_share_bps": settings.fund_share_bps}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

fn require_finance(ctx: &Ctx, county: RegionCode) -> Result<()> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    if !matches!(ctx.actor.role, Role::Finance | Role::Operator) {
        return Err(AppError::Forbidden(format!(
            "the {} role does not keep guarantee funds",
            ctx.actor.role.as_str()
        )));
    }
    access::require_region(ctx, county, || format!("county {county}"))
}

/// The finance bureau registers a guarantee company (an institution) and its loss sharing.
pub async fn set_company(db: &Db, ctx: &Ctx, company: &GuaranteeCompany) -> Result<()> {
    let parts = [
        company.national_bps,
        company.provincial_bps,
        company.company_bps,
        company.bank_bps,
    ];
    if parts.iter().any(|p| *p < 0) || parts.iter().sum::<i64>() != 10_000 {
        return Err(AppError::field(
            "sharing",
            format!(
                "national, provincial, company and bank shares must add up to 100 %, not {}",
                bps_text(parts.iter().sum())
            ),
        ));
    }
    let institution = fupin_store::institutions::get(db, &company.institution_code)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "institution",
                format!("institution {} does not exist", company.institution_code),
            )
        })?;
    require_finance(ctx, institution.region_code)?;
    let mut tx = db.write().await?;
    store::set_company(&mut tx, company).await?;
    let mut entry = ctx.audit(
        "guarantee_company.save",
        "guarantee_company",
        &company.institution_code,
    );
    entry.after_json = Some(json!({"national_bps": company.national_bps, "provincial_bps": company.provincial_bps, "company_bps": company.company_bps, "bank_bps": company.bank_bps}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// The bank that offers a product names the guarantees it allows and their cap.
pub async fn set_product_terms(db: &Db, ctx: &Ctx, terms: &ProductGuaranteeTerms) -> Result<()> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    if terms.kinds.is_empty()
        || terms
            .kinds
            .iter()
            .any(|k| GuarantorKind::parse(k).is_none())
    {
        return Err(AppError::field(
            "kinds",
            format!(
                "guarantor kinds {:?} are not among household, enterprise, company, county_fund",
                terms.kinds
            ),
        ));
    }
    if !(1..=10_000).contains(&terms.cap_bps) {
        return Err(AppError::field(
            "cap",
            "the cap must be between 0.01 % and 100 %",
        ));
    }
    let mut tx = db.write().await?;
    let product = loans::product_in(&mut tx, &terms.product_code)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "product",
                format!("product {} does not exist", terms.product_code),
            )
        })?;
    if !matches!(ctx.actor.role, Role::Bank | Role::Operator) {
        return Err(AppError::Forbidden(
            "a product's guarantees are set by its bank".into(),
        ));
    }
    access::require_institution(ctx, &product.institution_code, || {
        format!("product {}", terms.product_code)
    })?;
    let kinds: Vec<String> = terms
        .kinds
        .iter()
        .filter_map(|k| GuarantorKind::parse(k))
        .map(|k| k.as_str().to_string())
        .collect();
    store::set_product_terms(
        &mut tx,
        &ProductGuaranteeTerms {
            kinds,
            ..terms.clone()
        },
    )
    .await?;
    let mut entry = ctx.audit("product_guarantees.save", "product", &terms.product_code);
    entry.after_json = Some(json!({"kinds": terms.kinds, "cap_bps": terms.cap_bps}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// The finance bureau sets the order in which a county's losses are shared: each of
/// insurance, guarantee and risk_fund once.
pub async fn set_waterfall(db: &Db, ctx: &Ctx, county: RegionCode, steps: &[Step]) -> Result<()> {
    require_finance(ctx, county)?;
    if county_of(county)? != county {
        return Err(AppError::Invalid(format!("{county} is not a county code")));
    }
    let complete = Step::DEFAULT_ORDER.iter().all(|s| steps.contains(s));
    if steps.len() != 3 || !complete {
        return Err(AppError::field(
            "steps",
            "the waterfall names insurance, guarantee and risk_fund, each once",
        ));
    }
    let names: Vec<String> = steps.iter().map(|s| s.as_str().to_string()).collect();
    let mut tx = db.write().await?;
    store::set_waterfall(&mut tx, county, &names).await?;
    let mut entry = ctx.audit("waterfall.save", "loss_waterfall", &county.to_string());
    entry.after_json = Some(json!({"steps": names}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// A county's waterfall order (its own, else the default).
pub async fn waterfall_in(tx: &mut Tx, county: RegionCode) -> Result<Vec<Step>> {
    let stored = store::waterfall_in(tx, county).await?;
    if stored.is_empty() {
        return Ok(Step::DEFAULT_ORDER.to_vec());
    }
    stored
        .iter()
        .map(|s| Step::parse(s).ok_or_else(|| AppError::Invalid(format!("waterfall step {s}"))))
        .collect()
}

/// Whether a loan's loss has already been shared among guarantee payers.
pub async fn loss_shared(tx: &mut Tx, loan_id: i64) -> Result<bool> {
    Ok(store::has_claims_in(tx, loan_id).await?)
}

/// How one guarantee's part of a loss is shared: (payer, share bps of the guaranteed amount);
/// the bank bears what is left.
async fn payers_of(
    tx: &mut Tx,
    guarantee: &LoanGuarantee,
    county: RegionCode,
    on: BusinessDate,
) -> Result<Vec<(&'static str, i64)>> {
    Ok(match guarantee.guarantor_type.as_str() {
        "county_fund" => {
            // Without rules on the day, the fund bears all it guaranteed.
            let share = store::fund_settings_on(tx, county, on)
                .await?
                .map_or(10_000, |s| s.fund_share_bps);
            vec![("county_fund", share)]
        }
        "company" => {
            let company = store::company_in(tx, &guarantee.guarantor_id)
                .await?
                .ok_or_else(|| {
                    AppError::NotFound(format!("guarantee company {}", guarantee.guarantor_id))
                })?;
            vec![
                ("national", company.national_bps),
                ("provincial", company.provincial_bps),
                ("company", company.company_bps),
            ]
        }
        "household" => vec![("household", 10_000)],
        _ => vec![("enterprise", 10_000)],
    })
}

/// Splits `amount` by shares in bps, rounding the running total half up so the parts never add
/// up to more than the shares' total of `amount`.
fn split(amount: Fen, shares: &[i64]) -> Result<Vec<Fen>> {
    let mut parts = Vec::with_capacity(shares.len());
    let (mut cumulative_bps, mut paid) = (0_i64, Fen::ZERO);
    for share in shares {
        cumulative_bps += share;
        let upto = amount
            .mul_ratio_half_up(i128::from(cumulative_bps), 10_000)
            .ok_or_else(|| AppError::Invalid("loss share overflows".into()))?;
        parts.push(Fen::new(upto.fen() - paid.fen()));
        paid = upto;
    }
    Ok(parts)
}

/// Shares a defaulted loan's loss (its principal outstanding) in its county's order, raising a
/// claim per guarantee payer and the risk fund's claim; true when any claim was raised.
pub async fn share_loss(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    settings: &RiskSettings,
    date: BusinessDate,
) -> Result<bool> {
    let loss = principal_of(tx, loan).await?;
    let mut left = loss;
    let mut raised = false;
    for step in waterfall_in(tx, settings.county_code).await? {
        match step {
            Step::Insurance => {
                let relief = insurance_relief(tx, loan.id).await?;
                left = Fen::new((left.fen() - relief.fen()).max(0));
            }
            Step::Guarantee => {
                let (guaranteed, any) =
                    raise_guarantee_claims(tx, ctx, loan, loss, left, date).await?;
                raised |= any;
                left = Fen::new(left.fen() - guaranteed.fen());
            }
            Step::RiskFund => {
                raised |= crate::funds::raise_risk_claim(tx, ctx, loan, settings, loss, left, date)
                    .await?;
                // The fund and the bank share all that is left by their ratio.
                left = Fen::ZERO;
            }
        }
    }
    Ok(raised)
}

/// What insurers paid on a loan's loss outside the loan itself: the paid claims less what they
/// repaid through the loan (accident cover, crop and livestock cover on a loan), which its
/// principal outstanding — the loss — already leaves out.
async fn insurance_relief(tx: &mut Tx, loan_id: i64) -> Result<Fen> {
    let paid = crate::insurance::paid_for_loan(tx, loan_id).await?;
    let through_loan = store::insurance_repaid_in(tx, loan_id).await?;
    Ok(Fen::new((paid.fen() - through_loan.fen()).max(0)))
}

/// The guarantee step: each guarantee's share of what is `left`, split among its payers.
/// Returns the guaranteed total and whether a claim was raised.
async fn raise_guarantee_claims(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    loss: Fen,
    left: Fen,
    date: BusinessDate,
) -> Result<(Fen, bool)> {
    let county = county_of(loan.terms.village_code)?;
    let (mut guaranteed_total, mut raised) = (Fen::ZERO, false);
    for guarantee in store::guarantees_of_loan_in(tx, loan.id).await? {
        let guaranteed = left
            .mul_ratio_half_up(i128::from(guarantee.share_bps), 10_000)
            .ok_or_else(|| AppError::Invalid("guarantee share overflows".into()))?;
        guaranteed_total = Fen::new(guaranteed_total.fen() + guaranteed.fen());
        let payers = payers_of(tx, &guarantee, county, date).await?;
        let shares: Vec<i64> = payers.iter().map(|(_, bps)| *bps).collect();
        for ((payer, _), amount) in payers.iter().zip(split(guaranteed, &shares)?) {
            if !amount.is_positive() {
                continue;
            }
            let claim = GuaranteeClaim {
                id: 0,
                loan_id: loan.id,
                guarantee_id: guarantee.id,
                payer: payer.to_string(),
                county_code: county,
                institution_code: loan.terms.institution_code.clone(),
                raised_on: date,
                loss,
                base: left,
                amount,
                state: "pending".into(),
                approved_on: None,
            };
            if store::raise_claim(tx, &claim).await? {
                let key = format!(
                    "{}/{}/{payer}",
                    loan.terms.contract_no, guarantee.contract_no
                );
                let mut entry = ctx.audit("guarantee_claim.raise", "guarantee_claim", &key);
                entry.after_json = Some(json!({"loss": loss.to_plain_yuan(), "base": left.to_plain_yuan(), "amount": amount.to_plain_yuan()}).to_string());
                audit::append(tx, &entry).await?;
                raised = true;
            }
        }
    }
    Ok((guaranteed_total, raised))
}

/// The ledger account a guarantee payer pays from: the county guarantee fund, or an outside
/// source per guarantee and payer (credit-normal, like the treasury).
async fn payer_account(
    tx: &mut Tx,
    claim: &GuaranteeClaim,
    guarantee: &LoanGuarantee,
) -> Result<i64> {
    if claim.payer == "county_fund" {
        return fund_account(tx, claim.county_code, Fund::Guarantee).await;
    }
    let account = NewAccount {
        code: format!("guarantee:{}:{}", guarantee.id, claim.payer),
        normal_side: NormalSide::Credit,
        kind: format!("guarantee_{}", claim.payer),
        institution_code: (guarantee.guarantor_type == "company")
            .then(|| guarantee.guarantor_id.clone()),
        region_code: Some(claim.county_code),
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

/// Who approves a payer's claim: the finance bureau the county fund's, the guarantee company's
/// staff its contracts' (with the re-guarantee parts), the lending bank a household's or an
/// enterprise's (it collects from them).
fn require_approver(ctx: &Ctx, claim: &GuaranteeClaim, guarantee: &LoanGuarantee) -> Result<()> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    let what = || format!("guarantee claim {}", claim.id);
    access::require_region(ctx, claim.county_code, what)?;
    let allowed = match (ctx.actor.role, claim.payer.as_str()) {
        (Role::Operator, _) => true,
        (Role::Finance, "county_fund") => true,
        (Role::Guarantor, "national" | "provincial" | "company") => {
            access::guarantor_institution(ctx)? == Some(guarantee.guarantor_id.as_str())
        }
        (Role::Bank, "household" | "enterprise") => {
            access::bank_institution(ctx)? == Some(claim.institution_code.as_str())
        }
        _ => false,
    };
    match allowed {
        true => Ok(()),
        false => Err(AppError::NotFound(what())),
    }
}

/// Whether a role approves claims of this payer, among the claims [`claims_for`] shows it (the
/// same rule as [`approve_claim`]'s, which still checks the contract): for the pages' buttons.
pub fn approves_payer(role: Role, payer: &str) -> bool {
    matches!(
        (role, payer),
        (Role::Operator, _)
            | (Role::Finance, "county_fund")
            | (Role::Guarantor, "national" | "provincial" | "company")
            | (Role::Bank, "household" | "enterprise")
    )
}

/// Approves a pending guarantee claim: the payer pays the bank its share (a ledger transfer,
/// audited); refused whole when the county guarantee fund holds less.
pub async fn approve_claim(
    db: &Db,
    ctx: &Ctx,
    claim_id: i64,
    on: BusinessDate,
) -> Result<GuaranteeClaim> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    let mut tx = db.write().await?;
    let claim = store::claim_in(&mut tx, claim_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("guarantee claim {claim_id}")))?;
    let guarantee = store::guarantee_by_id_in(&mut tx, claim.guarantee_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("guarantee {}", claim.guarantee_id)))?;
    require_approver(ctx, &claim, &guarantee)?;
    if !store::approve_claim(&mut tx, claim_id, on, &ctx.actor.name).await? {
        return Err(AppError::Conflict(format!(
            "guarantee claim {claim_id} was already approved"
        )));
    }
    let payer = payer_account(&mut tx, &claim, &guarantee).await?;
    let cash = bank_cash(&mut tx, &claim.institution_code).await?;
    let transfer = NewTransfer {
        id: format!("guaranteeclaim:{claim_id}"),
        debit_account_id: cash,
        credit_account_id: payer,
        amount: claim.amount,
        value_date: on,
        code: "guarantee_compensation".to_string(),
        memo: Some(format!("{} {}", guarantee.contract_no, claim.payer)),
    };
    post_batch(
        &mut tx,
        ctx,
        "guarantee_claim.approve",
        &claim_id.to_string(),
        &[transfer],
    )
    .await
    .map_err(|e| insufficient_fund(e, "guarantee", &claim.county_code, claim.amount))?;
    let approved = store::claim_in(&mut tx, claim_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("guarantee claim {claim_id}")))?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(approved)
}

/// Each paid guarantee payer's share of a recovery on the loan: `recovered × paid ÷ loss`,
/// capped at what it paid less what came back already. Returns the total returned.
pub async fn return_shares(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    source_id: &str,
    recovered: Fen,
    on: BusinessDate,
) -> Result<Fen> {
    if !recovered.is_positive() {
        return Ok(Fen::ZERO);
    }
    let mut total = Fen::ZERO;
    for claim in store::claims_of_loan_in(tx, loan.id).await? {
        if claim.state != "approved" || !claim.loss.is_positive() {
            continue;
        }
        let share = recovered
            .mul_ratio_half_up(i128::from(claim.amount.fen()), i128::from(claim.loss.fen()))
            .ok_or_else(|| AppError::Invalid("recovery share overflows".into()))?;
        let left = claim.amount.fen() - store::returned_on_claim(tx, claim.id).await?.fen();
        let amount = Fen::new(share.fen().min(left));
        if !amount.is_positive() {
            continue;
        }
        let guarantee = store::guarantee_by_id_in(tx, claim.guarantee_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("guarantee {}", claim.guarantee_id)))?;
        store::insert_return(tx, claim.id, on, source_id, amount).await?;
        let payer = payer_account(tx, &claim, &guarantee).await?;
        let cash = bank_cash(tx, &claim.institution_code).await?;
        let transfer = NewTransfer {
            id: format!("guaranteereturn:{}:{source_id}", claim.id),
            debit_account_id: payer,
            credit_account_id: cash,
            amount,
            value_date: on,
            code: "guarantee_return".to_string(),
            memo: None,
        };
        post_batch(
            tx,
            ctx,
            "guarantee_claim.return",
            &claim.id.to_string(),
            &[transfer],
        )
        .await?;
        total = Fen::new(total.fen() + amount.fen());
    }
    Ok(total)
}

/// A guarantor's exposure: the loans it guarantees (each principal × share) plus its own
/// loans' principal outstanding — a guarantor who also borrows carries both (guarantee chains).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub kind: GuarantorKind,
    pub guarantor_id: String,
    pub loans: Vec<GuaranteedLoan>,
    pub guaranteed: Fen,
    pub own_loans: Fen,
    pub total: Fen,
}

/// A guarantor's exposure, for the regulator and finance bureau, a guarantor its own company,
/// a bank the loans it made (the own-loans figure counts every bank's: the chain is the point).
pub async fn exposure(
    db: &Db,
    ctx: &Ctx,
    kind: GuarantorKind,
    guarantor_id: &str,
) -> Result<Exposure> {
    access::require(ctx, Area::Guarantees, Access::Read)?;
    if let Some(own) = access::guarantor_institution(ctx)?
        && (kind != GuarantorKind::Company || own != guarantor_id)
    {
        return Err(AppError::NotFound(format!("guarantor {guarantor_id}")));
    }
    let mut loans = store::guaranteed_loans(db, kind.as_str(), guarantor_id).await?;
    let own_loans = match kind {
        GuarantorKind::Household | GuarantorKind::Enterprise => {
            store::own_loans_balance(db, guarantor_id).await?
        }
        _ => Fen::ZERO,
    };
    if let Some(bank) = access::bank_institution(ctx)? {
        loans.retain(|l| l.institution_code == bank);
    }
    let guaranteed = guaranteed_balance(&loans)?;
    let total = guaranteed
        .checked_add(own_loans)
        .ok_or_else(|| AppError::Invalid("exposure overflows".into()))?;
    Ok(Exposure {
        kind,
        guarantor_id: guarantor_id.to_string(),
        loans,
        guaranteed,
        own_loans,
        total,
    })
}

/// The guarantors of a loan, for those who see the loan and the guarantor companies named on
/// it.
pub async fn of_loan(
    db: &Db,
    ctx: &Ctx,
    institution: &str,
    contract_no: &str,
) -> Result<Vec<LoanGuarantee>> {
    access::require(ctx, Area::Guarantees, Access::Read)?;
    let what = || format!("loan {institution}/{contract_no}");
    access::require_institution(ctx, institution, what)?;
    let loan = loans::loan_by_contract(db, institution, contract_no)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    access::require_region(ctx, loan.terms.village_code, what)?;
    let guarantees = store::guarantees_of_loan(db, loan.id).await?;
    match access::guarantor_institution(ctx)? {
        Some(own)
            if !guarantees
                .iter()
                .any(|g| g.guarantor_type == "company" && g.guarantor_id == own) =>
        {
            Err(AppError::NotFound(what()))
        }
        _ => Ok(guarantees),
    }
}

/// Guarantee claims in the actor's scope: the finance bureau and the regulator of the region,
/// a bank its loans', a guarantor its own contracts'.
pub async fn claims_for(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
) -> Result<Vec<GuaranteeClaim>> {
    access::require(ctx, Area::Guarantees, Access::Read)?;
    let within = access::region_in_scope(ctx, region)?;
    let prefix = within.map(|c| c.prefix().to_string()).unwrap_or_default();
    let mut claims = store::claims(db, &prefix).await?;
    if let Some(bank) = access::bank_institution(ctx)? {
        claims.retain(|c| c.institution_code == bank);
    }
    if let Some(own) = access::guarantor_institution(ctx)? {
        let theirs = store::guarantee_ids_of(db, "company", own).await?;
        claims.retain(|c| theirs.contains(&c.guarantee_id));
    }
    Ok(claims)
}

/// Adds a guarantee in its own transaction (see [`add_guarantee`]).
pub async fn add_guarantee_command(db: &Db, ctx: &Ctx, new: &NewGuarantee) -> Result<Added> {
    let mut tx = db.write().await?;
    let added = add_guarantee(&mut tx, ctx, new).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(added)
}

pub use fupin_store::guarantees::{
    GuaranteeClaim as LossClaim, GuaranteeCompany as Company,
    GuaranteeFundSettings as FundSettings, GuaranteedLoan as Guaranteed,
    LoanGuarantee as Guarantee, ProductGuaranteeTerms as ProductTerms,
};

/// What one payer of the waterfall paid and got back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayerFigure {
    /// `insurance`, `county_fund`, `national`, `provincial`, `company`, `household`,
    /// `enterprise` or `risk_fund`.
    pub payer: String,
    pub paid: Fen,
    pub returned: Fen,
}

/// Guarantee and waterfall figures of the counties at or under a region, as of a date
/// (guaranteed balances: principal outstanding now).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Σ principal × share over every guarantor's active loans.
    pub guaranteed_balance: Fen,
    /// The part the county guarantee funds guarantee.
    pub fund_guaranteed: Fen,
    pub fund_balance: Fen,
    pub fund_deposits: Fen,
    /// Each payer's claims paid and recoveries returned, the risk fund last.
    pub payers: Vec<PayerFigure>,
    /// Losses the waterfall shared.
    pub losses: Fen,
    /// What the banks bear of them after relief: losses − Σ paid (before recoveries, which
    /// every payer shares pro rata).
    pub bank_borne: Fen,
    /// Guarantee fees paid to date, and the subsidies of them the finance bureaus approved.
    pub fees_paid: Fen,
    pub fee_subsidies: Fen,
}

impl Figures {
    /// The figures of two disjoint sets of counties, added up (payers matched by name).
    pub fn plus(&self, other: &Figures) -> Figures {
        let add = |a: Fen, b: Fen| Fen::new(a.fen() + b.fen());
        let mut payers = self.payers.clone();
        for theirs in &other.payers {
            match payers.iter_mut().find(|p| p.payer == theirs.payer) {
                Some(mine) => {
                    mine.paid = add(mine.paid, theirs.paid);
                    mine.returned = add(mine.returned, theirs.returned);
                }
                None => payers.push(theirs.clone()),
            }
        }
        Figures {
            guaranteed_balance: add(self.guaranteed_balance, other.guaranteed_balance),
            fund_guaranteed: add(self.fund_guaranteed, other.fund_guaranteed),
            fund_balance: add(self.fund_balance, other.fund_balance),
            fund_deposits: add(self.fund_deposits, other.fund_deposits),
            payers,
            losses: add(self.losses, other.losses),
            bank_borne: add(self.bank_borne, other.bank_borne),
            fees_paid: add(self.fees_paid, other.fees_paid),
            fee_subsidies: add(self.fee_subsidies, other.fee_subsidies),
        }
    }

    /// The county funds' guaranteed balance over their balance, two decimals; "—" without a
    /// fund.
    pub fn leverage_used(&self) -> String {
        crate::funds::FundFigures {
            risk_balance: self.fund_balance,
            covered_balance: self.fund_guaranteed,
            ..Default::default()
        }
        .leverage_used()
    }
}

/// [`Figures`] for the finance bureau and the regulator of the region.
pub async fn figures_for(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    date: BusinessDate,
) -> Result<(Option<RegionCode>, Figures)> {
    access::require_fund_figures(ctx)?;
    let within = access::region_in_scope(ctx, region)?;
    let prefix = within.map(|c| c.prefix().to_string()).unwrap_or_default();
    Ok((within, figures(db, &prefix, date).await?))
}

/// [`Figures`] of the counties whose code starts with `prefix` (no actor).
pub async fn figures(db: &Db, prefix: &str, date: BusinessDate) -> Result<Figures> {
    let sum = |shares: Vec<(i64, Fen)>| {
        let loans: Vec<GuaranteedLoan> = shares
            .into_iter()
            .map(|(share_bps, principal)| GuaranteedLoan {
                loan_id: 0,
                institution_code: String::new(),
                contract_no: String::new(),
                guarantee_contract_no: String::new(),
                share_bps,
                principal,
            })
            .collect();
        guaranteed_balance(&loans)
    };
    // Insurance first, as the waterfall's default order: what insurers paid on the shared
    // losses outside the loans (recoveries are not returned to them).
    let mut payers = vec![PayerFigure {
        payer: "insurance".into(),
        paid: store::insurance_relief_as_of(db, prefix, date).await?,
        returned: Fen::ZERO,
    }];
    payers.extend(
        store::payer_totals(db, prefix, date)
            .await?
            .into_iter()
            .map(|(payer, paid, returned)| PayerFigure {
                payer,
                paid,
                returned,
            }),
    );
    payers.push(PayerFigure {
        payer: "risk_fund".into(),
        paid: fupin_store::funds::compensation_paid_as_of(db, prefix, date).await?,
        returned: fupin_store::funds::returned_as_of(db, prefix, date).await?,
    });
    let losses = store::shared_losses(db, prefix, date).await?;
    let relief: i64 = payers.iter().map(|p| p.paid.fen()).sum();
    let (fees_paid, fee_subsidies) = crate::guarantee_fees::totals(db, prefix, date).await?;
    Ok(Figures {
        guaranteed_balance: sum(store::guaranteed_shares(db, prefix, false).await?)?,
        fund_guaranteed: sum(store::guaranteed_shares(db, prefix, true).await?)?,
        fund_balance: ledger::kind_totals_as_of(db, "fund_guarantee", None, prefix, date)
            .await?
            .balance(NormalSide::Debit),
        fund_deposits: fupin_store::funds::deposits_as_of(db, "guarantee", prefix, date).await?,
        payers,
        losses,
        bank_borne: Fen::new(losses.fen() - relief),
        fees_paid,
        fee_subsidies,
    })
}

/// A household's guarantees as its credit file shows them: the guarantors of its own loans
/// (each with the loan's bank and contract) and the exposure of each current member who
/// guarantees others. Empty for roles that do not read guarantees; a bank sees its own loans'.
pub async fn of_household(
    db: &Db,
    ctx: &Ctx,
    household_id: &str,
) -> Result<(Vec<(String, String, LoanGuarantee)>, Vec<Exposure>)> {
    if !access::allows(ctx.actor.role, Area::Guarantees, Access::Read) {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut own = store::guarantees_of_borrower(db, "household", household_id).await?;
    if let Some(bank) = access::bank_institution(ctx)? {
        own.retain(|(institution, _, _)| institution == bank);
    }
    let mut given = Vec::new();
    for member in store::household_guarantors(db, household_id).await? {
        given.push(exposure(db, ctx, GuarantorKind::Household, &member).await?);
    }
    Ok((own, given))
}
