//! The state's money: county interest-subsidy funds (贴息资金) and risk-compensation funds
//! (风险补偿金), in the same ledger as the loans.
//!
//! Each county has `fund:<county>:subsidy`, `fund:<county>:risk` and `fund:<county>:guarantee`
//! (the guarantee fund, see [`crate::guarantees`]), debit-normal accounts that
//! can never be overdrawn (the ledger refuses the transfer atomically), filled from
//! `treasury:<county>` by deposits. Subsidy claims pay banks interest per quarter; risk claims
//! pay a share of a defaulted loan's principal; recoveries on a compensated loan return the
//! fund's share.

use fupin_core::date::Quarter;
use fupin_core::subsidy::{self, Segment};
use fupin_core::{BusinessDate, Fen, RegionCode, RegionLevel};
use fupin_store::funds::{self, ClaimLine, Deposit, RiskClaim, RiskSettings, SubsidyClaim};
use fupin_store::ledger::{self, NewAccount, NewTransfer, NormalSide, Totals};
use fupin_store::loans::{self, Loan, LoanTerms, Product};
use fupin_store::{Db, Tx, audit};
use serde_json::json;

use crate::access::{self, Access, Area};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::ledger::post_batch;
use crate::loans::BankAccount;

/// The kinds of county fund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fund {
    Subsidy,
    RiskCompensation,
    Guarantee,
}

impl Fund {
    pub fn parse(text: &str) -> Option<Fund> {
        match text {
            "subsidy" | "贴息资金" => Some(Fund::Subsidy),
            "risk_compensation" | "风险补偿金" => Some(Fund::RiskCompensation),
            "guarantee" | "担保基金" => Some(Fund::Guarantee),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Fund::Subsidy => "subsidy",
            Fund::RiskCompensation => "risk_compensation",
            Fund::Guarantee => "guarantee",
        }
    }

    fn account_suffix(self) -> &'static str {
        match self {
            Fund::Subsidy => "subsidy",
            Fund::RiskCompensation => "risk",
            Fund::Guarantee => "guarantee",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Fund::Subsidy => "fund_subsidy",
            Fund::RiskCompensation => "fund_risk",
            Fund::Guarantee => "fund_guarantee",
        }
    }
}

pub(crate) fn county_of(code: RegionCode) -> Result<RegionCode> {
    code.ancestor_at(RegionLevel::County)
        .ok_or_else(|| AppError::Invalid(format!("{code} is not in a county")))
}

/// Opens (or finds) a county's fund account.
pub(crate) async fn fund_account(tx: &mut Tx, county: RegionCode, fund: Fund) -> Result<i64> {
    let account = NewAccount {
        code: format!("fund:{county}:{}", fund.account_suffix()),
        normal_side: NormalSide::Debit,
        kind: fund.kind().to_string(),
        institution_code: None,
        region_code: Some(county),
        no_overdraft: true,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

pub(crate) async fn treasury_account(tx: &mut Tx, county: RegionCode) -> Result<i64> {
    let account = NewAccount {
        code: format!("treasury:{county}"),
        normal_side: NormalSide::Credit,
        kind: "treasury".to_string(),
        institution_code: None,
        region_code: Some(county),
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

pub(crate) async fn bank_cash(tx: &mut Tx, institution: &str) -> Result<i64> {
    crate::loans::bank_account_id(tx, institution, BankAccount::Cash).await
}

/// What a deposit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deposited {
    New,
    AlreadyRecorded,
}

/// Records a deposit into a county fund; the same id again is a no-op, with other content a
/// conflict.
pub async fn deposit(tx: &mut Tx, ctx: &Ctx, deposit: &Deposit) -> Result<Deposited> {
    access::require(ctx, Area::Funds, Access::Write)?;
    access::require_region(ctx, deposit.county_code, || {
        format!("county {}", deposit.county_code)
    })?;
    let Some(fund) = Fund::parse(&deposit.fund) else {
        return Err(AppError::Invalid(format!(
            "fund {:?} is not subsidy, risk_compensation or guarantee",
            deposit.fund
        )));
    };
    if !deposit.amount.is_positive() {
        return Err(AppError::Invalid(format!(
            "deposit {} must be positive",
            deposit.id
        )));
    }
    if county_of(deposit.county_code)? != deposit.county_code {
        return Err(AppError::Invalid(format!(
            "{} is not a county code",
            deposit.county_code
        )));
    }
    if fupin_store::regions::get_in(tx, deposit.county_code)
        .await?
        .is_none()
    {
        return Err(AppError::field(
            "county",
            format!("county {} does not exist", deposit.county_code),
        ));
    }
    if let Some(existing) = funds::deposit_in(tx, &deposit.id).await? {
        return match &existing == deposit {
            true => Ok(Deposited::AlreadyRecorded),
            false => Err(AppError::Conflict(format!(
                "deposit {} was already recorded with different content",
                deposit.id
            ))),
        };
    }
    funds::insert_deposit(tx, deposit).await?;
    let fund_id = fund_account(tx, deposit.county_code, fund).await?;
    let treasury = treasury_account(tx, deposit.county_code).await?;
    let transfer = NewTransfer {
        id: format!("deposit:{}", deposit.id),
        debit_account_id: fund_id,
        credit_account_id: treasury,
        amount: deposit.amount,
        value_date: deposit.deposited_on,
        code: format!("deposit_{}", fund.as_str()),
        memo: None,
    };
    post_batch(tx, ctx, "fund.deposit", &deposit.id, &[transfer]).await?;
    Ok(Deposited::New)
}

/// Sets a county's risk-compensation rules from a date (audited).
pub async fn set_risk_settings(db: &Db, ctx: &Ctx, settings: &RiskSettings) -> Result<()> {
    access::require(ctx, Area::Funds, Access::Write)?;
    access::require_region(ctx, settings.county_code, || {
        format!("county {}", settings.county_code)
    })?;
    if county_of(settings.county_code)? != settings.county_code {
        return Err(AppError::Invalid(format!(
            "{} is not a county code",
            settings.county_code
        )));
    }
    let mut tx = db.write().await?;
    funds::set_risk_settings(&mut tx, settings).await?;
    let mut entry = ctx.audit(
        "risk_settings.save",
        "risk_settings",
        &format!("{}@{}", settings.county_code, settings.effective_from),
    );
    entry.after_json = Some(json!({"leverage_multiple": settings.leverage_multiple, "fund_share_ppm": settings.fund_share_ppm, "trigger_days": settings.trigger_days}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// The leverage rule: a new covered loan may not push the county's covered balance above
/// `leverage_multiple × fund balance` on its start date, counting the covered disbursements an
/// import holds in `pending` as posted. `Some(message)` when it would.
pub async fn leverage_refusal(
    tx: &mut Tx,
    terms: &LoanTerms,
    product: &Product,
    pending: &crate::ledger::Pending,
) -> Result<Option<String>> {
    if product.risk_fund_share_ppm.is_none() {
        return Ok(None);
    }
    let county = county_of(terms.village_code)?;
    let Some(settings) = funds::risk_settings_on(tx, county, terms.start_on).await? else {
        return Ok(None);
    };
    let covered = ledger::kind_totals_as_of_in(
        tx,
        "loan_principal:%:covered",
        None,
        county.prefix(),
        terms.start_on,
    )
    .await?
    .balance(NormalSide::Debit)
    .fen()
        + pending.covered_principal_in(county, terms.start_on).fen();
    let covered = Fen::new(covered);
    let fund_id = fund_account(tx, county, Fund::RiskCompensation).await?;
    let fund = ledger::totals_as_of_in(tx, fund_id, terms.start_on)
        .await?
        .balance(NormalSide::Debit);
    let cap = i128::from(fund.fen()) * i128::from(settings.leverage_multiple);
    let after = i128::from(covered.fen()) + i128::from(terms.principal.fen());
    if after <= cap {
        return Ok(None);
    }
    Ok(Some(format!(
        "covered loans of county {county} would reach {} on {}, above {}× its risk fund of {fund} (cap {})",
        Fen::new(i64::try_from(after).unwrap_or(i64::MAX)),
        terms.start_on,
        settings.leverage_multiple,
        Fen::new(i64::try_from(cap).unwrap_or(i64::MAX)),
    )))
}

/// Works out (or re-works) the pending subsidy claims of a quarter for every county and
/// institution with subsidised loans at or under `within`. Approved claims are left as they
/// are. Returns the claims with their lines, each naming its loan.
pub async fn prepare_subsidy_claims(
    db: &Db,
    ctx: &Ctx,
    quarter: Quarter,
    within: Option<RegionCode>,
) -> Result<Vec<(SubsidyClaim, Vec<NamedClaimLine>)>> {
    let mut result = Vec::new();
    for claim in prepare_subsidy_claims_only(db, ctx, quarter, within).await? {
        let lines = funds::claim_lines(db, claim.id).await?;
        result.push((claim, lines));
    }
    Ok(result)
}

/// [`prepare_subsidy_claims`] without reading the lines back: memory holds one county and
/// institution's lines at a time, however many subsidised loans the region has.
pub async fn prepare_subsidy_claims_only(
    db: &Db,
    ctx: &Ctx,
    quarter: Quarter,
    within: Option<RegionCode>,
) -> Result<Vec<SubsidyClaim>> {
    access::require(ctx, Area::Funds, Access::Write)?;
    let within = access::region_in_scope(ctx, within)?;
    let prefix = within.map(|c| c.prefix().to_string()).unwrap_or_default();
    let pairs = funds::subsidised_pairs(db, &prefix).await?;
    let mut result = Vec::new();
    for (county, institution) in pairs {
        let mut tx = db.write().await?;
        let key = quarter.to_string();
        let claim = match funds::subsidy_claim_in(&mut tx, county, &institution, &key).await? {
            Some(claim) if claim.state == "approved" => claim,
            _ => {
                let lines = claim_lines(db, county, &institution, quarter).await?;
                let id =
                    funds::save_pending_claim(&mut tx, county, &institution, &key, &lines).await?;
                let mut entry = ctx.audit(
                    "subsidy_claim.prepare",
                    "subsidy_claim",
                    &format!("{county}/{institution}/{key}"),
                );
                entry.after_json = Some(json!({"lines": lines.len(), "amount": Fen::new(lines.iter().map(|l| l.amount.fen()).sum()).to_plain_yuan()}).to_string());
                audit::append(&mut tx, &entry).await?;
                funds::subsidy_claim_by_id_in(&mut tx, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("claim {id}")))?
            }
        };
        tx.commit().await.map_err(fupin_store::StoreError::from)?;
        result.push(claim);
    }
    Ok(result)
}

/// Each subsidised loan's subsidy for the quarter.
async fn claim_lines(
    db: &Db,
    county: RegionCode,
    institution: &str,
    quarter: Quarter,
) -> Result<Vec<ClaimLine>> {
    let (first, last) = (quarter.first_day(), quarter.last_day());
    let mut lines = Vec::new();
    for (loan_id, subsidy_ppm, loan_ppm, day_count) in
        funds::subsidised_loans(db, county, institution, first, last).await?
    {
        let loan = loans::loan_by_id(db, loan_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("loan {loan_id}")))?;
        let segments = principal_segments(db, &loan, first, last).await?;
        let spells = loans::overdue_spells(db, loan_id).await?;
        let rate = subsidy::capped_rate(
            fupin_core::Rate::from_ppm(subsidy_ppm),
            fupin_core::Rate::from_ppm(loan_ppm),
        );
        let basis = if day_count == "act/365" { 365 } else { 360 };
        let earned = subsidy::subsidy(&segments, &spells, rate, basis)
            .ok_or_else(|| AppError::Invalid(format!("subsidy of loan {loan_id} overflows")))?;
        if earned.days > 0 {
            lines.push(ClaimLine {
                loan_id,
                days: earned.days,
                rate_ppm: rate.ppm(),
                amount: earned.amount,
            });
        }
    }
    Ok(lines)
}

/// The loan's principal outstanding at the end of each day of `[first, last]`, as segments.
async fn principal_segments(
    db: &Db,
    loan: &Loan,
    first: BusinessDate,
    last: BusinessDate,
) -> Result<Vec<Segment>> {
    let code = format!(
        "loan:{}:{}:principal",
        loan.terms.institution_code, loan.terms.contract_no
    );
    let Some(account) = ledger::account_by_code(db, &code).await? else {
        return Ok(Vec::new());
    };
    let end = last
        .succ()
        .ok_or_else(|| AppError::Invalid(format!("{last} is the last supported date")))?;
    let before = match first.pred() {
        Some(day) => ledger::totals_as_of(db, account.id, day).await?,
        None => Totals::default(),
    };
    let mut segments = Vec::new();
    let (mut from, mut principal) = (first, before.balance(NormalSide::Debit));
    for (day, totals) in ledger::account_days(db, account.id, first, last).await? {
        if day > from {
            segments.push(Segment {
                from,
                to: day,
                principal,
            });
        }
        from = day;
        principal = totals.balance(NormalSide::Debit);
    }
    segments.push(Segment {
        from,
        to: end,
        principal,
    });
    Ok(segments)
}

/// Approves a pending subsidy claim: pays the bank from the county's subsidy fund. Refused
/// whole (nothing posted) when the fund holds less than the claim; a claim is approved once.
pub async fn approve_subsidy_claim(
    db: &Db,
    ctx: &Ctx,
    claim_id: i64,
    on: BusinessDate,
) -> Result<SubsidyClaim> {
    access::require(ctx, Area::Funds, Access::Write)?;
    let mut tx = db.write().await?;
    let claim = funds::subsidy_claim_by_id_in(&mut tx, claim_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("subsidy claim {claim_id}")))?;
    access::require_region(ctx, claim.county_code, || {
        format!("subsidy claim {claim_id}")
    })?;
    if !funds::approve_subsidy_claim(&mut tx, claim_id, on, &ctx.actor.name).await? {
        return Err(AppError::Conflict(format!(
            "subsidy claim {claim_id} was already approved"
        )));
    }
    if claim.amount.is_positive() {
        let fund = fund_account(&mut tx, claim.county_code, Fund::Subsidy).await?;
        let cash = bank_cash(&mut tx, &claim.institution_code).await?;
        let transfer = NewTransfer {
            id: format!("subsidy:{claim_id}"),
            debit_account_id: cash,
            credit_account_id: fund,
            amount: claim.amount,
            value_date: on,
            code: "subsidy_payment".to_string(),
            memo: Some(format!(
                "{} {} {}",
                claim.county_code, claim.institution_code, claim.quarter
            )),
        };
        post_batch(
            &mut tx,
            ctx,
            "subsidy_claim.approve",
            &claim_id.to_string(),
            &[transfer],
        )
        .await
        .map_err(|e| insufficient_fund(e, "subsidy", &claim.county_code, claim.amount))?;
    }
    let approved = funds::subsidy_claim_by_id_in(&mut tx, claim_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("subsidy claim {claim_id}")))?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(approved)
}

pub(crate) fn insufficient_fund(
    error: AppError,
    fund: &str,
    county: &RegionCode,
    amount: Fen,
) -> AppError {
    match error {
        AppError::Invalid(message) if message.contains("overdrawn") => AppError::Conflict(format!(
            "the {fund} fund of county {county} holds less than {amount}: nothing was paid ({message})"
        )),
        other => other,
    }
}

/// Shares the loss of every covered or guaranteed loan overdue past its county's trigger on
/// `date` (part of end of day): the loss waterfall of [`crate::guarantees::share_loss`] raises
/// the guarantee claims and the risk-compensation claim. Returns how many loans it shared.
pub async fn raise_risk_claims(tx: &mut Tx, ctx: &Ctx, date: BusinessDate) -> Result<u64> {
    let mut raised = 0;
    for loan in loans::covered_overdue_loans_in(tx).await? {
        let county = county_of(loan.terms.village_code)?;
        let Some(settings) = funds::risk_settings_on(tx, county, date).await? else {
            continue;
        };
        if loan.overdue_days < settings.trigger_days
            || funds::risk_claim_of_loan_in(tx, loan.id).await?.is_some()
            || crate::guarantees::loss_shared(tx, loan.id).await?
        {
            continue;
        }
        if crate::guarantees::share_loss(tx, ctx, &loan, &settings, date).await? {
            raised += 1;
        }
    }
    Ok(raised)
}

/// Raises the risk fund's claim on what is left of a loan's `loss` after the waterfall's
/// earlier steps (`left`); none when the loan's product is not covered. True when raised.
pub(crate) async fn raise_risk_claim(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    settings: &RiskSettings,
    loss: Fen,
    left: Fen,
    date: BusinessDate,
) -> Result<bool> {
    let product = loans::product_in(tx, &loan.terms.product_code).await?;
    if product.is_none_or(|p| p.risk_fund_share_ppm.is_none()) {
        return Ok(false);
    }
    let amount = left
        .mul_ratio_half_up(i128::from(settings.fund_share_ppm), 1_000_000)
        .ok_or_else(|| AppError::Invalid(format!("risk claim of loan {} overflows", loan.id)))?;
    let claim = RiskClaim {
        id: 0,
        loan_id: loan.id,
        county_code: settings.county_code,
        institution_code: loan.terms.institution_code.clone(),
        raised_on: date,
        principal: left,
        share_ppm: settings.fund_share_ppm,
        amount,
        state: "pending".to_string(),
        approved_on: None,
    };
    if !funds::raise_risk_claim(tx, &claim).await? {
        return Ok(false);
    }
    fupin_store::guarantees::set_risk_claim_loss(tx, loan.id, loss).await?;
    let mut entry = ctx.audit(
        "risk_claim.raise",
        "risk_claim",
        &format!("{}/{}", loan.terms.institution_code, loan.terms.contract_no),
    );
    entry.after_json = Some(json!({"loss": loss.to_plain_yuan(), "principal": left.to_plain_yuan(), "amount": amount.to_plain_yuan(), "overdue_days": loan.overdue_days}).to_string());
    audit::append(tx, &entry).await?;
    Ok(true)
}

/// Approves a pending risk claim: pays the bank the fund's share from the county risk fund;
/// refused whole when the fund holds less.
pub async fn approve_risk_claim(
    db: &Db,
    ctx: &Ctx,
    claim_id: i64,
    on: BusinessDate,
) -> Result<NamedRiskClaim> {
    access::require(ctx, Area::Funds, Access::Write)?;
    let mut tx = db.write().await?;
    let claim = funds::risk_claim_in(&mut tx, claim_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("risk claim {claim_id}")))?;
    access::require_region(ctx, claim.county_code, || format!("risk claim {claim_id}"))?;
    if !funds::approve_risk_claim(&mut tx, claim_id, on, &ctx.actor.name).await? {
        return Err(AppError::Conflict(format!(
            "risk claim {claim_id} was already approved"
        )));
    }
    if claim.amount.is_positive() {
        let fund = fund_account(&mut tx, claim.county_code, Fund::RiskCompensation).await?;
        let cash = bank_cash(&mut tx, &claim.institution_code).await?;
        let transfer = NewTransfer {
            id: format!("compensation:{claim_id}"),
            debit_account_id: cash,
            credit_account_id: fund,
            amount: claim.amount,
            value_date: on,
            code: "risk_compensation".to_string(),
            memo: None,
        };
        post_batch(
            &mut tx,
            ctx,
            "risk_claim.approve",
            &claim_id.to_string(),
            &[transfer],
        )
        .await
        .map_err(|e| insufficient_fund(e, "risk compensation", &claim.county_code, claim.amount))?;
    }
    let approved = funds::named_risk_claim_in(&mut tx, claim_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("risk claim {claim_id}")))?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(approved)
}

/// After money comes in on a loan whose loss was shared: each payer that paid gets its share of
/// `recovered` back, pro rata to what it bore of the loss, never more in all than it paid — the
/// guarantee payers (see [`crate::guarantees::return_shares`]) and the risk fund. Returns what
/// went back to the risk fund and the guarantee payers together.
pub async fn return_fund_share(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    source_id: &str,
    recovered: Fen,
    on: BusinessDate,
) -> Result<Fen> {
    let guarantees =
        crate::guarantees::return_shares(tx, ctx, loan, source_id, recovered, on).await?;
    let risk = return_risk_fund_share(tx, ctx, loan, source_id, recovered, on).await?;
    guarantees
        .checked_add(risk)
        .ok_or_else(|| AppError::Invalid("recovery shares overflow".to_string()))
}

/// The risk fund's share of a recovery: `recovered × share × left ÷ loss`, where the fund
/// paid `share` of what was `left` of the loan's `loss` after insurance and guarantees.
async fn return_risk_fund_share(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    source_id: &str,
    recovered: Fen,
    on: BusinessDate,
) -> Result<Fen> {
    // Nothing recovered returns nothing, claim or not: no need to look for one.
    if !recovered.is_positive() {
        return Ok(Fen::ZERO);
    }
    let Some(claim) = funds::risk_claim_of_loan_in(tx, loan.id).await? else {
        return Ok(Fen::ZERO);
    };
    if claim.state != "approved" {
        return Ok(Fen::ZERO);
    }
    let loss = fupin_store::guarantees::risk_claim_loss_in(tx, claim.id)
        .await?
        .unwrap_or(claim.principal);
    let share = match loss.is_positive() {
        true => recovered.mul_ratio_half_up(
            i128::from(claim.share_ppm) * i128::from(claim.principal.fen()),
            1_000_000 * i128::from(loss.fen()),
        ),
        false => Some(Fen::ZERO),
    }
    .ok_or_else(|| AppError::Invalid("recovery share overflows".to_string()))?;
    let left = claim.amount.fen() - funds::returned_on_claim(tx, claim.id).await?.fen();
    let amount = Fen::new(share.fen().min(left));
    if !amount.is_positive() {
        return Ok(Fen::ZERO);
    }
    funds::insert_return(tx, claim.id, on, source_id, amount).await?;
    let fund = fund_account(tx, claim.county_code, Fund::RiskCompensation).await?;
    let cash = bank_cash(tx, &claim.institution_code).await?;
    let transfer = NewTransfer {
        id: format!("riskreturn:{}:{source_id}", claim.institution_code),
        debit_account_id: fund,
        credit_account_id: cash,
        amount,
        value_date: on,
        code: "risk_return".to_string(),
        memo: None,
    };
    post_batch(
        tx,
        ctx,
        "risk_claim.return",
        &claim.id.to_string(),
        &[transfer],
    )
    .await?;
    Ok(amount)
}

/// Fund figures of the counties at or under a region, as of a date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FundFigures {
    pub subsidy_balance: Fen,
    pub subsidy_deposits: Fen,
    pub subsidy_paid: Fen,
    pub risk_balance: Fen,
    pub risk_deposits: Fen,
    pub compensation_paid: Fen,
    pub compensation_recovered: Fen,
    /// Principal outstanding of loans the risk fund covers.
    pub covered_balance: Fen,
}

impl FundFigures {
    /// The figures of two disjoint sets of counties, added up.
    pub fn plus(&self, other: &FundFigures) -> Result<FundFigures> {
        let add = |a: Fen, b: Fen| {
            a.checked_add(b)
                .ok_or_else(|| AppError::Invalid("fund figures overflow".into()))
        };
        Ok(FundFigures {
            subsidy_balance: add(self.subsidy_balance, other.subsidy_balance)?,
            subsidy_deposits: add(self.subsidy_deposits, other.subsidy_deposits)?,
            subsidy_paid: add(self.subsidy_paid, other.subsidy_paid)?,
            risk_balance: add(self.risk_balance, other.risk_balance)?,
            risk_deposits: add(self.risk_deposits, other.risk_deposits)?,
            compensation_paid: add(self.compensation_paid, other.compensation_paid)?,
            compensation_recovered: add(self.compensation_recovered, other.compensation_recovered)?,
            covered_balance: add(self.covered_balance, other.covered_balance)?,
        })
    }

    /// Covered balance over the risk fund, as a multiple with two decimals ("6.25"); "—" with
    /// no fund.
    pub fn leverage_used(&self) -> String {
        if !self.risk_balance.is_positive() {
            return "—".to_string();
        }
        let hundredths = (i128::from(self.covered_balance.fen()) * 200
            + i128::from(self.risk_balance.fen()))
            / (2 * i128::from(self.risk_balance.fen()));
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// Fund figures for the counties whose code starts with `prefix` ("" for all), as of `date`.
pub async fn figures(db: &Db, prefix: &str, date: BusinessDate) -> Result<FundFigures> {
    let balance = |totals: Totals| totals.balance(NormalSide::Debit);
    Ok(FundFigures {
        subsidy_balance: balance(
            ledger::kind_totals_as_of(db, "fund_subsidy", None, prefix, date).await?,
        ),
        subsidy_deposits: funds::deposits_as_of(db, "subsidy", prefix, date).await?,
        subsidy_paid: funds::subsidy_paid_as_of(db, prefix, date).await?,
        risk_balance: balance(
            ledger::kind_totals_as_of(db, "fund_risk", None, prefix, date).await?,
        ),
        risk_deposits: funds::deposits_as_of(db, "risk_compensation", prefix, date).await?,
        compensation_paid: funds::compensation_paid_as_of(db, prefix, date).await?,
        compensation_recovered: funds::returned_as_of(db, prefix, date).await?,
        covered_balance: balance(
            ledger::kind_totals_as_of(db, "loan_principal:%:covered", None, prefix, date).await?,
        ),
    })
}

/// Fund figures of the counties at or under `region` (default: the actor's region) as of
/// `date`: for the finance bureau and the regulator of the region. Returns the region used.
pub async fn figures_for(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    date: BusinessDate,
) -> Result<(Option<RegionCode>, FundFigures)> {
    access::require_fund_figures(ctx)?;
    let within = access::region_in_scope(ctx, region)?;
    let prefix = within.map(|c| c.prefix().to_string()).unwrap_or_default();
    Ok((within, figures(db, &prefix, date).await?))
}

/// Fund figures of a region group's members on `date`, added up: for the finance bureau and the
/// regulator whose region holds every member (else the group is answered as not found).
pub async fn group_figures_for(
    db: &Db,
    ctx: &Ctx,
    group: &str,
    date: BusinessDate,
) -> Result<FundFigures> {
    access::require_fund_figures(ctx)?;
    let members = crate::territory::group_members_on(db, group, date).await?;
    if members.is_empty() || !members.iter().all(|m| access::sees_region(ctx, *m)) {
        return Err(AppError::NotFound(format!("region group {group}")));
    }
    let mut total = FundFigures::default();
    for member in members {
        total = total.plus(&figures(db, member.prefix(), date).await?)?;
    }
    Ok(total)
}

/// The institution a bank actor is limited to, refusing (as not found) another asked for.
fn claim_institution(ctx: &Ctx, asked: Option<&str>) -> Result<Option<String>> {
    match (access::bank_institution(ctx)?, asked) {
        (Some(own), Some(asked)) if own != asked => {
            Err(AppError::NotFound(format!("institution {asked}")))
        }
        (Some(own), _) => Ok(Some(own.to_string())),
        (None, asked) => Ok(asked.map(str::to_string)),
    }
}

/// The subsidy claims of a quarter already worked out, with their lines (each naming its
/// loan), in the actor's scope: the finance bureau and the regulator of the region; a bank its
/// own.
pub async fn subsidy_claims_for(
    db: &Db,
    ctx: &Ctx,
    quarter: Quarter,
    region: Option<RegionCode>,
    institution: Option<&str>,
) -> Result<Vec<(SubsidyClaim, Vec<NamedClaimLine>)>> {
    access::require(ctx, Area::Funds, Access::Read)?;
    let within = access::region_in_scope(ctx, region)?;
    let institution = claim_institution(ctx, institution)?;
    let prefix = within.map(|c| c.prefix().to_string()).unwrap_or_default();
    let mut result = Vec::new();
    for claim in funds::subsidy_claims(db, &quarter.to_string(), &prefix).await? {
        if institution
            .as_deref()
            .is_some_and(|own| own != claim.institution_code)
        {
            continue;
        }
        let lines = funds::claim_lines(db, claim.id).await?;
        result.push((claim, lines));
    }
    Ok(result)
}

/// Risk claims in the actor's scope: the finance bureau and the regulator of the region; a
/// bank its own.
pub async fn risk_claims_for(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    institution: Option<&str>,
) -> Result<Vec<NamedRiskClaim>> {
    access::require(ctx, Area::Funds, Access::Read)?;
    let within = access::region_in_scope(ctx, region)?;
    let institution = claim_institution(ctx, institution)?;
    let mut claims = risk_claims(db, within).await?;
    if let Some(own) = institution {
        claims.retain(|named| named.claim.institution_code == own);
    }
    Ok(claims)
}

/// Risk claims of the counties at or under a region, each naming its loan (no actor: see
/// [`risk_claims_for`]).
pub async fn risk_claims(db: &Db, within: Option<RegionCode>) -> Result<Vec<NamedRiskClaim>> {
    let prefix = within.map(|c| c.prefix().to_string()).unwrap_or_default();
    Ok(funds::risk_claims(db, &prefix).await?)
}

pub use fupin_store::funds::{
    ClaimLine as SubsidyClaimLine, Deposit as FundDeposit, LoanName, NamedClaimLine,
    NamedRiskClaim, RiskClaim as RiskCompensationClaim, RiskSettings as RiskFundSettings,
    SubsidyClaim as InterestSubsidyClaim,
};

/// Records a deposit in its own transaction (see [`deposit`]).
pub async fn deposit_command(db: &Db, ctx: &Ctx, order: &Deposit) -> Result<Deposited> {
    access::require(ctx, Area::Funds, Access::Write)?;
    let mut tx = db.write().await?;
    let outcome = deposit(&mut tx, ctx, order).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(outcome)
}
