//! Guarantee fees (issue #27): the fee a guarantor charges for a guarantee, a yearly rate on
//! the loan's principal, paid by the borrower or the bank as the contract says; the county
//! subsidises a share of it once the finance bureau approves, from the county subsidy fund.
//!
//! Ledger: a payment posts payer → guarantor (`borrowers:<county>` or the bank's cash, to the
//! county guarantee fund or `guarantee:<id>:fees`); an approved subsidy posts the county subsidy
//! fund → payer. Both are one transfer each (debits equal credits), idempotent by the fee's id.

use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::guarantee_fees::{self as store, GuaranteeFee, NamedFee};
use fupin_store::guarantees::{self as guarantees_store, LoanGuarantee};
use fupin_store::ledger::{self, NewAccount, NewTransfer, NormalSide};
use fupin_store::loans::Loan;
use fupin_store::{Db, Tx, audit};
use serde_json::json;

use crate::access::{self, Access, Area};
use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::funds::{Fund, bank_cash, county_of, fund_account, insufficient_fund};
use crate::ledger::post_batch;

/// Days in the year the fee rate is for.
const DAYS_PER_YEAR: i128 = 365;

/// A fee payment to record: the guarantee named by the loan (bank and contract) and the
/// guarantee contract number; the fee is for `days` of cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeOrder {
    pub institution_code: String,
    pub loan_contract_no: String,
    pub guarantee_contract_no: String,
    /// Unique over all fees: the same id again is the same payment.
    pub id: String,
    pub paid_on: BusinessDate,
    pub days: i64,
}

/// What recording a fee did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    New(GuaranteeFee),
    AlreadyRecorded(GuaranteeFee),
}

/// The fee for `days` at a yearly rate on a principal:
/// `principal × rate_bps ÷ 10,000 × days ÷ 365`, rounded half up to the fen once.
pub fn fee_for(principal: Fen, rate_bps: i64, days: i64) -> Result<Fen> {
    principal
        .mul_ratio_half_up(
            i128::from(rate_bps) * i128::from(days),
            10_000 * DAYS_PER_YEAR,
        )
        .ok_or_else(|| AppError::Invalid("guarantee fee overflows".into()))
}

/// The subsidised part of a fee: `fee × subsidy_bps ÷ 10,000`, half up.
pub fn subsidy_of(fee: Fen, subsidy_bps: i64) -> Result<Fen> {
    fee.mul_ratio_half_up(i128::from(subsidy_bps), 10_000)
        .ok_or_else(|| AppError::Invalid("fee subsidy overflows".into()))
}

/// The loan and its guarantee of the given contract number.
async fn find_guarantee(tx: &mut Tx, ctx: &Ctx, order: &FeeOrder) -> Result<(Loan, LoanGuarantee)> {
    let what = || format!("loan {}/{}", order.institution_code, order.loan_contract_no);
    let loan = crate::loans::find(tx, &order.institution_code, &order.loan_contract_no).await?;
    access::require_region(ctx, loan.terms.village_code, what)?;
    let mut found: Vec<LoanGuarantee> = guarantees_store::guarantees_of_loan_in(tx, loan.id)
        .await?
        .into_iter()
        .filter(|g| g.contract_no == order.guarantee_contract_no.trim())
        .collect();
    match found.len() {
        1 => Ok((loan, found.remove(0))),
        0 => Err(AppError::field(
            "guarantee_contract_no",
            format!(
                "{} has no guarantee of contract {}",
                what(),
                order.guarantee_contract_no
            ),
        )),
        _ => Err(AppError::field(
            "guarantee_contract_no",
            format!(
                "{} has several guarantees of contract {}",
                what(),
                order.guarantee_contract_no
            ),
        )),
    }
}

/// Who records a fee: the loan's bank, the guarantee company's staff for its own contracts,
/// the finance bureau for the county guarantee fund's.
fn require_recorder(ctx: &Ctx, loan: &Loan, guarantee: &LoanGuarantee) -> Result<()> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    let allowed = match ctx.actor.role {
        Role::Operator => true,
        Role::Bank => access::bank_institution(ctx)? == Some(loan.terms.institution_code.as_str()),
        Role::Guarantor => {
            guarantee.guarantor_type == "company"
                && access::guarantor_institution(ctx)? == Some(guarantee.guarantor_id.as_str())
        }
        Role::Finance => guarantee.guarantor_type == "county_fund",
        _ => false,
    };
    match allowed {
        true => Ok(()),
        false => Err(AppError::NotFound(format!(
            "guarantee {} of loan {}/{}",
            guarantee.contract_no, loan.terms.institution_code, loan.terms.contract_no
        ))),
    }
}

/// Records a guarantee fee payment for `days` of cover and posts it payer → guarantor; the
/// subsidy (if the contract has one) waits for the finance bureau. The same id again with the
/// same content posts nothing; with other content it is a conflict.
pub async fn record_fee(tx: &mut Tx, ctx: &Ctx, order: &FeeOrder) -> Result<Recorded> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    if order.id.trim().is_empty() {
        return Err(AppError::field("id", "a fee payment needs its id"));
    }
    if !(1..=366).contains(&order.days) {
        return Err(AppError::field(
            "days",
            format!("{} days is not between 1 and 366", order.days),
        ));
    }
    let (loan, guarantee) = find_guarantee(tx, ctx, order).await?;
    require_recorder(ctx, &loan, &guarantee)?;
    if guarantee.fee_rate_bps == 0 {
        return Err(AppError::field(
            "guarantee_contract_no",
            format!("guarantee {} charges no fee", guarantee.contract_no),
        ));
    }
    let amount = fee_for(loan.terms.principal, guarantee.fee_rate_bps, order.days)?;
    let subsidy = subsidy_of(amount, guarantee.fee_subsidy_bps)?;
    let fee = GuaranteeFee {
        id: order.id.trim().to_string(),
        guarantee_id: guarantee.id,
        paid_on: order.paid_on,
        amount,
        subsidy,
        subsidy_state: match subsidy.is_positive() {
            true => "pending".into(),
            false => "none".into(),
        },
        approved_on: None,
        approved_by: None,
    };
    if let Some(existing) = store::fee_in(tx, &fee.id).await? {
        let same = existing.guarantee_id == fee.guarantee_id
            && existing.paid_on == fee.paid_on
            && existing.amount == fee.amount;
        return match same {
            true => Ok(Recorded::AlreadyRecorded(existing)),
            false => Err(AppError::Conflict(format!(
                "guarantee fee {} was already recorded with different content ({} on {})",
                fee.id, existing.amount, existing.paid_on
            ))),
        };
    }
    store::insert_fee(tx, &fee).await?;
    let mut entry = ctx.audit("guarantee_fee.record", "guarantee_fee", &fee.id);
    entry.after_json = Some(json!({"guarantee": guarantee.contract_no, "paid_on": fee.paid_on.to_string(), "days": order.days, "rate_bps": guarantee.fee_rate_bps, "amount": amount.to_plain_yuan(), "subsidy": subsidy.to_plain_yuan(), "payer": guarantee.fee_payer}).to_string());
    audit::append(tx, &entry).await?;
    let county = county_of(loan.terms.village_code)?;
    let transfer = NewTransfer {
        id: format!("guaranteefee:{}", fee.id),
        debit_account_id: receiver_account(tx, &guarantee, county).await?,
        credit_account_id: payer_account(tx, &guarantee, &loan, county).await?,
        amount,
        value_date: fee.paid_on,
        code: "guarantee_fee".to_string(),
        memo: Some(guarantee.contract_no.clone()),
    };
    post_batch(tx, ctx, "guarantee_fee.post", &fee.id, &[transfer]).await?;
    Ok(Recorded::New(fee))
}

/// Where a fee goes: the county guarantee fund, or the guarantee's own fee account.
async fn receiver_account(
    tx: &mut Tx,
    guarantee: &LoanGuarantee,
    county: RegionCode,
) -> Result<i64> {
    if guarantee.guarantor_type == "county_fund" {
        return fund_account(tx, county, Fund::Guarantee).await;
    }
    let account = NewAccount {
        code: format!("guarantee:{}:fees", guarantee.id),
        normal_side: NormalSide::Debit,
        kind: "guarantee_fees".to_string(),
        institution_code: (guarantee.guarantor_type == "company")
            .then(|| guarantee.guarantor_id.clone()),
        region_code: Some(county),
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

/// Who pays a fee: the borrowers of the county (credit-normal: what they paid in) or the
/// lending bank's cash.
async fn payer_account(
    tx: &mut Tx,
    guarantee: &LoanGuarantee,
    loan: &Loan,
    county: RegionCode,
) -> Result<i64> {
    if guarantee.fee_payer == "bank" {
        return bank_cash(tx, &loan.terms.institution_code).await;
    }
    let account = NewAccount {
        code: format!("borrowers:{county}"),
        normal_side: NormalSide::Credit,
        kind: "borrowers".to_string(),
        institution_code: None,
        region_code: Some(county),
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

/// Approves a fee's pending subsidy (the finance bureau of the loan's county) and pays it from
/// the county subsidy fund to whoever paid the fee; refused whole when the fund holds less.
/// Approving again returns the fee as it is and posts nothing.
pub async fn approve_subsidy(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    on: BusinessDate,
) -> Result<GuaranteeFee> {
    access::require(ctx, Area::Guarantees, Access::Write)?;
    if !matches!(ctx.actor.role, Role::Finance | Role::Operator) {
        return Err(AppError::Forbidden(format!(
            "the {} role does not approve guarantee fee subsidies: the finance bureau does",
            ctx.actor.role.as_str()
        )));
    }
    let mut tx = db.write().await?;
    let not_found = || AppError::NotFound(format!("guarantee fee {id}"));
    let fee = store::fee_in(&mut tx, id).await?.ok_or_else(not_found)?;
    let guarantee = guarantees_store::guarantee_by_id_in(&mut tx, fee.guarantee_id)
        .await?
        .ok_or_else(not_found)?;
    let loan = fupin_store::loans::loan_in(&mut tx, guarantee.loan_id)
        .await?
        .ok_or_else(not_found)?;
    if !access::sees_region(ctx, loan.terms.village_code) {
        return Err(not_found());
    }
    if fee.subsidy_state == "none" {
        return Err(AppError::Conflict(format!(
            "guarantee fee {id} has no subsidy to approve"
        )));
    }
    if on < fee.paid_on {
        return Err(AppError::field(
            "approved_on",
            format!("{on} is before the payment on {}", fee.paid_on),
        ));
    }
    if store::approve_subsidy(&mut tx, id, on, &ctx.actor.name).await? {
        let county = county_of(loan.terms.village_code)?;
        let transfer = NewTransfer {
            id: format!("guaranteefeesubsidy:{id}"),
            debit_account_id: payer_account(&mut tx, &guarantee, &loan, county).await?,
            credit_account_id: fund_account(&mut tx, county, Fund::Subsidy).await?,
            amount: fee.subsidy,
            value_date: on,
            code: "guarantee_fee_subsidy".to_string(),
            memo: Some(guarantee.contract_no.clone()),
        };
        post_batch(&mut tx, ctx, "guarantee_fee.subsidy", id, &[transfer])
            .await
            .map_err(|e| insufficient_fund(e, "subsidy", &county, fee.subsidy))?;
        let mut entry = ctx.audit("guarantee_fee.approve", "guarantee_fee", id);
        entry.after_json = Some(
            json!({"approved_on": on.to_string(), "subsidy": fee.subsidy.to_plain_yuan()})
                .to_string(),
        );
        audit::append(&mut tx, &entry).await?;
    }
    let approved = store::fee_in(&mut tx, id).await?.ok_or_else(not_found)?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(approved)
}

/// Records a fee in its own transaction (see [`record_fee`]).
pub async fn record_fee_command(db: &Db, ctx: &Ctx, order: &FeeOrder) -> Result<Recorded> {
    let mut tx = db.write().await?;
    let recorded = record_fee(&mut tx, ctx, order).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(recorded)
}

/// Fee payments in the actor's scope, newest first (only pending subsidies when asked): the
/// finance bureau and the regulator of the region, a bank its loans', a guarantor its own
/// contracts'.
pub async fn fees_for(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    pending_only: bool,
) -> Result<Vec<NamedFee>> {
    access::require(ctx, Area::Guarantees, Access::Read)?;
    let within = access::region_in_scope(ctx, region)?;
    let prefix = within.map(|c| c.prefix().to_string()).unwrap_or_default();
    let mut fees = store::fees(db, &prefix, pending_only).await?;
    if let Some(bank) = access::bank_institution(ctx)? {
        fees.retain(|f| f.institution_code == bank);
    }
    if let Some(own) = access::guarantor_institution(ctx)? {
        fees.retain(|f| f.guarantor_type == "company" && f.guarantor_id == own);
    }
    Ok(fees)
}

/// Fees paid to a date and the subsidies approved of them, of the counties under a prefix.
pub async fn totals(db: &Db, prefix: &str, date: BusinessDate) -> Result<(Fen, Fen)> {
    Ok(store::totals_as_of(db, prefix, date).await?)
}

pub use fupin_store::guarantee_fees::{GuaranteeFee as Fee, NamedFee as NamedGuaranteeFee};
