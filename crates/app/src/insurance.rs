//! Agriculture-related insurance (涉农保险), in the same ledger as the loans and the county funds.
//!
//! Policies are data: borrower accident/life cover (`accident`) that repays the insured loan on
//! death or disability, loan guarantee insurance (`guarantee`, 保证保险) that pays the bank a
//! share of a default, and crop and livestock policies on the financed activity. Each policy
//! splits its premium between central, provincial and county subsidies and the farmer.
//!
//! Ledger: the insurer holds `insurer:<code>` (debit-normal: premiums in, claims out) and
//! `insurer:<code>:benefits` (claims paid on the insured's behalf). Payers are
//! `treasury:central`, `treasury:<province>`, `treasury:<county>` and `farmers:<county>`
//! (credit-normal: what each has paid in). A premium posts each part payer → insurer (the
//! farmer's when recorded, the subsidies when the finance bureau approves). A paid claim on a
//! loan's borrower (accident, crop, livestock with a loan) posts insurer → benefits and repays
//! the loan like a repayment from a third party; a guarantee claim posts insurer → bank cash;
//! a crop or livestock claim without a loan pays the farmers. A refused claim posts nothing.

use fupin_core::insurance::PremiumShares;
use fupin_core::{BusinessDate, Fen, RegionCode, RegionLevel};
use fupin_store::insurance::{
    self as store, Claim, ClaimChange, NamedClaim, NamedPolicy, Policy, Premium,
};
use fupin_store::ledger::{self, NewAccount, NewTransfer, NormalSide};
use fupin_store::{Db, Tx, audit};
use serde_json::json;

use crate::access::{self, Access, Area};
use crate::context::{Actor, Ctx, Role};
use crate::error::{AppError, Result};
use crate::ledger::post_batch;
use crate::loans::{self, BankAccount, Prepayment, RepaymentOrder};
use crate::paging::{Page, Paged};

pub use fupin_core::insurance::Payer;
pub use fupin_store::insurance::{
    Claim as InsuranceClaim, NamedClaim as NamedInsuranceClaim,
    NamedPolicy as NamedInsurancePolicy, NamedPremium as NamedInsurancePremium,
    Policy as InsurancePolicy, Premium as PremiumPayment,
};

/// The kinds of policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Borrower accident and life cover (借款人意外险): repays the loan on death or disability.
    Accident,
    /// Loan guarantee insurance (保证保险): pays the bank a share of a default.
    Guarantee,
    /// Crop insurance (种植险).
    Crop,
    /// Livestock insurance (养殖险).
    Livestock,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Accident, Kind::Guarantee, Kind::Crop, Kind::Livestock];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Accident => "accident",
            Kind::Guarantee => "guarantee",
            Kind::Crop => "crop",
            Kind::Livestock => "livestock",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Kind::Accident => "借款人意外险",
            Kind::Guarantee => "保证保险",
            Kind::Crop => "种植险",
            Kind::Livestock => "养殖险",
        }
    }

    /// From its code or Chinese name.
    pub fn parse(text: &str) -> Option<Kind> {
        let text = text.trim();
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text || kind.zh() == text)
    }

    /// The events a claim on this kind of policy may name.
    pub fn events(self) -> &'static [Event] {
        match self {
            Kind::Accident => &[Event::Death, Event::Disability],
            Kind::Guarantee => &[Event::Default],
            Kind::Crop => &[Event::CropLoss],
            Kind::Livestock => &[Event::LivestockLoss],
        }
    }

    fn needs_loan(self) -> bool {
        matches!(self, Kind::Accident | Kind::Guarantee)
    }
}

/// What a claim is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Death,
    Disability,
    Default,
    CropLoss,
    LivestockLoss,
}

impl Event {
    pub const ALL: [Event; 5] = [
        Event::Death,
        Event::Disability,
        Event::Default,
        Event::CropLoss,
        Event::LivestockLoss,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Death => "death",
            Event::Disability => "disability",
            Event::Default => "default",
            Event::CropLoss => "crop_loss",
            Event::LivestockLoss => "livestock_loss",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Event::Death => "身故",
            Event::Disability => "伤残",
            Event::Default => "借款违约",
            Event::CropLoss => "种植损失",
            Event::LivestockLoss => "养殖损失",
        }
    }

    /// From its code or Chinese name.
    pub fn parse(text: &str) -> Option<Event> {
        let text = text.trim();
        Event::ALL
            .into_iter()
            .find(|event| event.as_str() == text || event.zh() == text)
    }
}

/// What recording something did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    New,
    AlreadyRecorded,
}

/// A policy to register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyOrder {
    pub insurer_code: String,
    pub policy_no: String,
    pub kind: Kind,
    /// The insured loan as `(institution, contract)`.
    pub loan: Option<(String, String)>,
    pub household_id: Option<String>,
    /// Required without a loan; with one, the loan's county (and must match if given).
    pub county_code: Option<RegionCode>,
    /// The financed activity (crop and livestock): the loan's purpose when not given.
    pub activity: Option<String>,
    pub sum_insured: Fen,
    pub premium: Fen,
    /// Guarantee insurance only: the share of a default paid to the bank.
    pub default_share_bps: Option<i64>,
    pub starts_on: BusinessDate,
    pub ends_on: BusinessDate,
    pub shares: PremiumShares,
}

/// Refuses anyone but the insurer's own staff (and the operator): policies and claims are
/// entered by the insurer. Another insurer's policy is answered as not found.
fn require_insurer_staff(ctx: &Ctx, insurer: &str) -> Result<()> {
    access::require(ctx, Area::Insurance, Access::Write)?;
    match ctx.actor.role {
        Role::Operator => Ok(()),
        Role::Insurer if ctx.actor.institution.as_deref() == Some(insurer) => Ok(()),
        Role::Insurer => Err(AppError::NotFound(format!("insurer {insurer}"))),
        other => Err(AppError::Forbidden(format!(
            "the {} role does not enter insurance policies or claims: the insurer's staff do",
            other.as_str()
        ))),
    }
}

fn county_of(code: RegionCode) -> Result<RegionCode> {
    code.ancestor_at(RegionLevel::County)
        .ok_or_else(|| AppError::Invalid(format!("{code} is not in a county")))
}

/// Registers a policy; the same number again with the same content is a no-op, with other
/// content a conflict.
pub async fn register_policy(tx: &mut Tx, ctx: &Ctx, order: &PolicyOrder) -> Result<Recorded> {
    require_insurer_staff(ctx, &order.insurer_code)?;
    let policy = policy_of(tx, order).await?;
    access::require_region(ctx, policy.county_code, || {
        format!("county {}", policy.county_code)
    })?;
    if let Some(existing) =
        store::policy_by_no_in(tx, &order.insurer_code, &order.policy_no).await?
    {
        let same = Policy {
            id: existing.id,
            ..policy.clone()
        } == existing;
        return match same {
            true => Ok(Recorded::AlreadyRecorded),
            false => Err(AppError::Conflict(format!(
                "policy {} of {} was already registered with different content",
                order.policy_no, order.insurer_code
            ))),
        };
    }
    store::insert_policy(tx, &policy).await?;
    let mut entry = ctx.audit(
        "insurance_policy.add",
        "insurance_policy",
        &format!("{}/{}", order.insurer_code, order.policy_no),
    );
    entry.after_json = Some(policy_json(&policy).to_string());
    audit::append(tx, &entry).await?;
    Ok(Recorded::New)
}

fn policy_json(policy: &Policy) -> serde_json::Value {
    json!({
        "kind": policy.kind,
        "loan_id": policy.loan_id,
        "household_id": policy.household_id,
        "county_code": policy.county_code.to_string(),
        "sum_insured": policy.sum_insured.to_plain_yuan(),
        "premium": policy.premium.to_plain_yuan(),
        "default_share_bps": policy.default_share_bps,
        "starts_on": policy.starts_on.to_string(),
        "ends_on": policy.ends_on.to_string(),
        "shares_bps": policy.shares_bps,
    })
}

/// The policy an order describes, checked against its loan.
async fn policy_of(tx: &mut Tx, order: &PolicyOrder) -> Result<Policy> {
    if fupin_store::institutions::get_in(tx, &order.insurer_code)
        .await?
        .is_none()
    {
        return Err(AppError::field(
            "insurer_code",
            format!("institution {} does not exist", order.insurer_code),
        ));
    }
    if !order.sum_insured.is_positive() {
        return Err(AppError::field("sum_insured", "must be positive"));
    }
    if order.premium.is_negative() {
        return Err(AppError::field("premium", "must not be negative"));
    }
    if order.starts_on > order.ends_on {
        return Err(AppError::field(
            "ends_on",
            format!("{} is before starts_on {}", order.ends_on, order.starts_on),
        ));
    }
    match (order.kind, order.default_share_bps) {
        (Kind::Guarantee, Some(1..=10_000))
        | (Kind::Accident | Kind::Crop | Kind::Livestock, None) => {}
        (Kind::Guarantee, _) => {
            return Err(AppError::field(
                "default_share",
                "guarantee insurance needs the share of a default it pays, above 0 and at most 100 %",
            ));
        }
        (kind, Some(_)) => {
            return Err(AppError::field(
                "default_share",
                format!(
                    "only guarantee insurance pays a share of a default, not {}",
                    kind.as_str()
                ),
            ));
        }
    }
    let loan = match &order.loan {
        Some((institution, contract)) => Some(loans::find(tx, institution, contract).await?),
        None if order.kind.needs_loan() => {
            return Err(AppError::field(
                "contract_no",
                format!("{} insurance covers a loan: name it", order.kind.as_str()),
            ));
        }
        None => None,
    };
    let county = match (&loan, order.county_code) {
        (Some(loan), asked) => {
            let county = county_of(loan.terms.village_code)?;
            if asked.is_some_and(|asked| county_of(asked).ok() != Some(county)) {
                return Err(AppError::field(
                    "county_code",
                    format!("the loan is in county {county}"),
                ));
            }
            county
        }
        (None, Some(asked)) => county_of(asked)?,
        (None, None) => return Err(AppError::field("county_code", "needed without a loan")),
    };
    let household = order.household_id.clone().or_else(|| {
        loan.as_ref()
            .filter(|l| l.terms.borrower_type == "household")
            .map(|l| l.terms.borrower_id.clone())
    });
    if loan.is_none() && household.is_none() {
        return Err(AppError::field("household_id", "needed without a loan"));
    }
    let activity = match order.kind {
        Kind::Crop | Kind::Livestock => order
            .activity
            .clone()
            .or_else(|| loan.as_ref().map(|l| l.terms.purpose.clone())),
        Kind::Accident | Kind::Guarantee => None,
    };
    Ok(Policy {
        id: 0,
        insurer_code: order.insurer_code.clone(),
        policy_no: order.policy_no.clone(),
        kind: order.kind.as_str().to_string(),
        loan_id: loan.map(|l| l.id),
        household_id: household,
        county_code: county,
        activity,
        sum_insured: order.sum_insured,
        premium: order.premium,
        default_share_bps: order.default_share_bps,
        starts_on: order.starts_on,
        ends_on: order.ends_on,
        shares_bps: Payer::ALL.map(|payer| order.shares.bps(payer)),
    })
}

/// A policy by its insurer and number, in the actor's region.
async fn find_policy(tx: &mut Tx, ctx: &Ctx, insurer: &str, policy_no: &str) -> Result<Policy> {
    store::policy_by_no_in(tx, insurer, policy_no)
        .await?
        .filter(|p| access::sees_region(ctx, p.county_code))
        .ok_or_else(|| AppError::NotFound(format!("policy {policy_no} of {insurer}")))
}

fn shares_of(policy: &Policy) -> Result<PremiumShares> {
    let [central, provincial, county, farmer] = policy.shares_bps;
    PremiumShares::new(central, provincial, county, farmer).map_err(|e| {
        fupin_store::StoreError::Corrupt {
            table: "insurance_policies",
            column: "central_bps",
            message: e.to_string(),
        }
        .into()
    })
}

/// A premium payment to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PremiumOrder {
    pub insurer_code: String,
    pub policy_no: String,
    /// Unique within the policy: a repeated id is the same payment.
    pub id: String,
    pub paid_on: BusinessDate,
    pub amount: Fen,
}

/// Records a premium payment, split by the policy's shares, and posts the farmer's part
/// (farmers → insurer); the subsidy parts wait for the finance bureau ([`approve_premium`]).
/// The same id again with the same content posts nothing.
pub async fn record_premium(tx: &mut Tx, ctx: &Ctx, order: &PremiumOrder) -> Result<Recorded> {
    require_insurer_staff(ctx, &order.insurer_code)?;
    let policy = find_policy(tx, ctx, &order.insurer_code, &order.policy_no).await?;
    if !order.amount.is_positive() {
        return Err(AppError::field("amount", "must be positive"));
    }
    if let Some(existing) = store::premium_in(tx, policy.id, &order.id).await? {
        return match existing.paid_on == order.paid_on && existing.amount == order.amount {
            true => Ok(Recorded::AlreadyRecorded),
            false => Err(AppError::Conflict(format!(
                "premium payment {} of policy {} was already recorded with different content ({} on {})",
                order.id, order.policy_no, existing.amount, existing.paid_on
            ))),
        };
    }
    let total = store::premiums_total_in(tx, policy.id).await?.fen() + order.amount.fen();
    if total > policy.premium.fen() {
        return Err(AppError::field(
            "amount",
            format!(
                "premiums of policy {} would reach {}, above its premium of {}",
                order.policy_no,
                Fen::new(total),
                policy.premium
            ),
        ));
    }
    let premium = Premium {
        policy_id: policy.id,
        id: order.id.clone(),
        paid_on: order.paid_on,
        amount: order.amount,
        parts: shares_of(&policy)?.split(order.amount),
        state: "pending".to_string(),
        approved_on: None,
    };
    store::insert_premium(tx, &premium).await?;
    let mut entry = ctx.audit(
        "insurance_premium.record",
        "insurance_premium",
        &premium_key(&policy, &order.id),
    );
    entry.after_json = Some(json!({"paid_on": order.paid_on.to_string(), "amount": order.amount.to_plain_yuan(), "parts": premium.parts.map(|p| p.to_plain_yuan())}).to_string());
    audit::append(tx, &entry).await?;
    post_premium_parts(tx, ctx, &policy, &premium, &[Payer::Farmer], order.paid_on).await?;
    Ok(Recorded::New)
}

fn premium_key(policy: &Policy, id: &str) -> String {
    format!("{}/{}/{id}", policy.insurer_code, policy.policy_no)
}

/// Posts the given payers' parts of a premium, each payer → insurer.
async fn post_premium_parts(
    tx: &mut Tx,
    ctx: &Ctx,
    policy: &Policy,
    premium: &Premium,
    payers: &[Payer],
    on: BusinessDate,
) -> Result<()> {
    let insurer = insurer_account(tx, &policy.insurer_code).await?;
    let mut transfers = Vec::new();
    for payer in payers {
        let amount = premium.parts[*payer as usize];
        if !amount.is_positive() {
            continue;
        }
        transfers.push(NewTransfer {
            id: format!(
                "premium:{}:{}",
                premium_key(policy, &premium.id),
                payer.as_str()
            ),
            debit_account_id: insurer,
            credit_account_id: payer_account(tx, *payer, policy.county_code).await?,
            amount,
            value_date: on,
            code: format!("premium_{}", payer.as_str()),
            memo: None,
        });
    }
    let key = premium_key(policy, &premium.id);
    post_batch(tx, ctx, "insurance_premium.post", &key, &transfers).await?;
    Ok(())
}

/// Approves the subsidy parts of a premium payment (the finance bureau) and posts them from the
/// central, provincial and county treasuries to the insurer. Approving again returns the
/// payment as it is and posts nothing.
pub async fn approve_premium(
    tx: &mut Tx,
    ctx: &Ctx,
    insurer: &str,
    policy_no: &str,
    id: &str,
    on: BusinessDate,
) -> Result<Premium> {
    access::require(ctx, Area::Insurance, Access::Write)?;
    if !matches!(ctx.actor.role, Role::Finance | Role::Operator) {
        return Err(AppError::Forbidden(format!(
            "the {} role does not approve premium subsidies: the finance bureau does",
            ctx.actor.role.as_str()
        )));
    }
    let policy = find_policy(tx, ctx, insurer, policy_no).await?;
    let premium = store::premium_in(tx, policy.id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("premium payment {id} of policy {policy_no}")))?;
    if on < premium.paid_on {
        return Err(AppError::field(
            "approved_on",
            format!("{on} is before the payment on {}", premium.paid_on),
        ));
    }
    if store::approve_premium(tx, policy.id, id, on, &ctx.actor.name).await? {
        let subsidies = [Payer::Central, Payer::Provincial, Payer::County];
        post_premium_parts(tx, ctx, &policy, &premium, &subsidies, on).await?;
        let mut entry = ctx.audit(
            "insurance_premium.approve",
            "insurance_premium",
            &premium_key(&policy, id),
        );
        entry.after_json = Some(json!({"approved_on": on.to_string()}).to_string());
        audit::append(tx, &entry).await?;
    }
    store::premium_in(tx, policy.id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("premium payment {id}")))
}

/// A claim reported to the insurer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimReport {
    pub insurer_code: String,
    pub policy_no: String,
    pub claim_no: String,
    pub event: Event,
    pub occurred_on: BusinessDate,
    pub reported_on: BusinessDate,
    pub claimed: Fen,
}

/// Records a reported claim; the same number again with the same content is a no-op.
pub async fn report_claim(tx: &mut Tx, ctx: &Ctx, report: &ClaimReport) -> Result<Recorded> {
    require_insurer_staff(ctx, &report.insurer_code)?;
    let policy = find_policy(tx, ctx, &report.insurer_code, &report.policy_no).await?;
    let kind = Kind::parse(&policy.kind)
        .ok_or_else(|| AppError::Invalid(format!("policy kind {}", policy.kind)))?;
    if !kind.events().contains(&report.event) {
        return Err(AppError::field(
            "event",
            format!(
                "a {} policy does not cover {}",
                kind.as_str(),
                report.event.as_str()
            ),
        ));
    }
    if report.occurred_on < policy.starts_on || report.occurred_on > policy.ends_on {
        return Err(AppError::field(
            "occurred_on",
            format!(
                "{} is outside the policy's period {} – {}",
                report.occurred_on, policy.starts_on, policy.ends_on
            ),
        ));
    }
    if report.reported_on < report.occurred_on {
        return Err(AppError::field(
            "reported_on",
            format!("{} is before the event", report.reported_on),
        ));
    }
    if !report.claimed.is_positive() || report.claimed > policy.sum_insured {
        return Err(AppError::field(
            "claimed",
            format!(
                "must be positive and at most the sum insured of {}",
                policy.sum_insured
            ),
        ));
    }
    if let Some(existing) = store::claim_in(tx, policy.id, &report.claim_no).await? {
        let same = existing.event == report.event.as_str()
            && existing.occurred_on == report.occurred_on
            && existing.reported_on == report.reported_on
            && existing.claimed == report.claimed;
        return match same {
            true => Ok(Recorded::AlreadyRecorded),
            false => Err(AppError::Conflict(format!(
                "claim {} of policy {} was already reported with different content",
                report.claim_no, report.policy_no
            ))),
        };
    }
    let claim = Claim {
        id: 0,
        policy_id: policy.id,
        claim_no: report.claim_no.clone(),
        loan_id: policy.loan_id,
        event: report.event.as_str().to_string(),
        occurred_on: report.occurred_on,
        reported_on: report.reported_on,
        claimed: report.claimed,
        assessed: None,
        assessed_on: None,
        paid: Fen::ZERO,
        paid_on: None,
        refused_on: None,
        refusal: None,
        state: "reported".to_string(),
        entered_by: ctx.actor.name.clone(),
    };
    store::insert_claim(tx, &claim).await?;
    let mut entry = ctx.audit(
        "insurance_claim.report",
        "insurance_claim",
        &claim_key(&policy, &report.claim_no),
    );
    entry.after_json = Some(json!({"event": claim.event, "occurred_on": claim.occurred_on.to_string(), "claimed": claim.claimed.to_plain_yuan()}).to_string());
    audit::append(tx, &entry).await?;
    Ok(Recorded::New)
}

fn claim_key(policy: &Policy, claim_no: &str) -> String {
    format!("{}/{}/{claim_no}", policy.insurer_code, policy.policy_no)
}

/// Which claim a decision is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRef {
    pub insurer_code: String,
    pub policy_no: String,
    pub claim_no: String,
}

async fn find_claim(tx: &mut Tx, ctx: &Ctx, which: &ClaimRef) -> Result<(Policy, Claim)> {
    require_insurer_staff(ctx, &which.insurer_code)?;
    let policy = find_policy(tx, ctx, &which.insurer_code, &which.policy_no).await?;
    let claim = store::claim_in(tx, policy.id, &which.claim_no)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "claim {} of policy {}",
                which.claim_no, which.policy_no
            ))
        })?;
    Ok((policy, claim))
}

/// A claim, for the insurer's staff.
pub async fn claim(tx: &mut Tx, ctx: &Ctx, which: &ClaimRef) -> Result<Claim> {
    Ok(find_claim(tx, ctx, which).await?.1)
}

/// Assesses a reported claim (or re-assesses one not yet paid): at most the sum insured and,
/// for guarantee insurance, the policy's share of the principal outstanding on the loan.
pub async fn assess_claim(
    tx: &mut Tx,
    ctx: &Ctx,
    which: &ClaimRef,
    amount: Fen,
    on: BusinessDate,
) -> Result<Claim> {
    let (policy, claim) = find_claim(tx, ctx, which).await?;
    if claim.state == "assessed" && claim.assessed == Some(amount) && claim.assessed_on == Some(on)
    {
        return Ok(claim);
    }
    if amount.is_negative() || amount > policy.sum_insured {
        return Err(AppError::field(
            "assessed",
            format!(
                "{amount} is not between 0 and the sum insured of {}",
                policy.sum_insured
            ),
        ));
    }
    if on < claim.reported_on {
        return Err(AppError::field(
            "assessed_on",
            format!("{on} is before the report on {}", claim.reported_on),
        ));
    }
    if let (Some(share), Some(loan_id)) = (policy.default_share_bps, policy.loan_id) {
        let cap = guarantee_cap(tx, loan_id, share).await?;
        if amount > cap {
            return Err(AppError::field(
                "assessed",
                format!(
                    "{amount} is above the policy's {share} bps of the principal outstanding: {cap}"
                ),
            ));
        }
    }
    let change = ClaimChange::Assessed { amount, on };
    decide(tx, ctx, &policy, &claim, &["reported", "assessed"], &change).await
}

/// The guarantee insurer's share of a loan's principal outstanding, rounded half up.
async fn guarantee_cap(tx: &mut Tx, loan_id: i64, share_bps: i64) -> Result<Fen> {
    let loan = fupin_store::loans::loan_in(tx, loan_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("loan {loan_id}")))?;
    let code = format!(
        "loan:{}:{}:principal",
        loan.terms.institution_code, loan.terms.contract_no
    );
    let principal = ledger::account_by_code_in(tx, &code)
        .await?
        .map_or(Fen::ZERO, |a| a.balance());
    principal
        .mul_ratio_half_up(i128::from(share_bps), 10_000)
        .ok_or_else(|| AppError::Invalid(format!("the share of loan {loan_id} overflows")))
}

/// Moves a claim from one of `from` and audits it; a claim in another state is a conflict.
async fn decide(
    tx: &mut Tx,
    ctx: &Ctx,
    policy: &Policy,
    claim: &Claim,
    from: &[&str],
    change: &ClaimChange,
) -> Result<Claim> {
    if !store::advance_claim(tx, claim.id, from, change).await? {
        return Err(AppError::Conflict(format!(
            "claim {} of policy {} is {}",
            claim.claim_no, policy.policy_no, claim.state
        )));
    }
    let (action, after) = match change {
        ClaimChange::Assessed { amount, on } => (
            "insurance_claim.assess",
            json!({"assessed": amount.to_plain_yuan(), "on": on.to_string()}),
        ),
        ClaimChange::Paid { amount, on } => (
            "insurance_claim.pay",
            json!({"paid": amount.to_plain_yuan(), "on": on.to_string()}),
        ),
        ClaimChange::Refused { reason, on } => (
            "insurance_claim.refuse",
            json!({"reason": reason, "on": on.to_string()}),
        ),
    };
    let mut entry = ctx.audit(
        action,
        "insurance_claim",
        &claim_key(policy, &claim.claim_no),
    );
    entry.before_json = Some(json!({"state": claim.state}).to_string());
    entry.after_json = Some(after.to_string());
    audit::append(tx, &entry).await?;
    store::claim_in(tx, policy.id, &claim.claim_no)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("claim {}", claim.claim_no)))
}

/// Refuses a claim not yet paid, with the reason; posts nothing. Refusing again with the same
/// reason is a no-op.
pub async fn refuse_claim(
    tx: &mut Tx,
    ctx: &Ctx,
    which: &ClaimRef,
    reason: &str,
    on: BusinessDate,
) -> Result<Claim> {
    let (policy, claim) = find_claim(tx, ctx, which).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field(
            "refusal",
            "a refused claim needs its reason",
        ));
    }
    if claim.state == "refused" && claim.refusal.as_deref() == Some(reason) {
        return Ok(claim);
    }
    let change = ClaimChange::Refused {
        reason: reason.to_string(),
        on,
    };
    decide(tx, ctx, &policy, &claim, &["reported", "assessed"], &change).await
}

/// Pays an assessed claim its assessed amount and posts it (see the module's notes). Paying a
/// paid claim again returns it and posts nothing.
pub async fn pay_claim(
    tx: &mut Tx,
    ctx: &Ctx,
    which: &ClaimRef,
    on: BusinessDate,
) -> Result<Claim> {
    let (policy, claim) = find_claim(tx, ctx, which).await?;
    if claim.state == "paid" {
        return Ok(claim);
    }
    let Some(amount) = claim.assessed.filter(|_| claim.state == "assessed") else {
        return Err(AppError::Conflict(format!(
            "claim {} of policy {} is {}: only an assessed claim is paid",
            claim.claim_no, policy.policy_no, claim.state
        )));
    };
    if on < claim.assessed_on.unwrap_or(claim.reported_on) {
        return Err(AppError::field(
            "paid_on",
            format!("{on} is before the assessment"),
        ));
    }
    let paid = decide(
        tx,
        ctx,
        &policy,
        &claim,
        &["assessed"],
        &ClaimChange::Paid { amount, on },
    )
    .await?;
    if amount.is_positive() {
        post_claim(tx, ctx, &policy, &paid, amount, on).await?;
    }
    Ok(paid)
}

/// Posts a paid claim: to the loan (as a third party's repayment), the bank, or the farmers.
async fn post_claim(
    tx: &mut Tx,
    ctx: &Ctx,
    policy: &Policy,
    claim: &Claim,
    amount: Fen,
    on: BusinessDate,
) -> Result<()> {
    let insurer = insurer_account(tx, &policy.insurer_code).await?;
    let kind = Kind::parse(&policy.kind).unwrap_or(Kind::Crop);
    let loan = match policy.loan_id {
        Some(id) => fupin_store::loans::loan_in(tx, id).await?,
        None => None,
    };
    let key = claim_key(policy, &claim.claim_no);
    let (receiver, code) = match (&loan, kind) {
        (Some(loan), Kind::Guarantee) => (
            loans::bank_account_id(tx, &loan.terms.institution_code, BankAccount::Cash).await?,
            "insurance_claim_bank",
        ),
        (Some(_), _) => (
            benefits_account(tx, &policy.insurer_code).await?,
            "insurance_claim_loan",
        ),
        (None, _) => (
            payer_account(tx, Payer::Farmer, policy.county_code).await?,
            "insurance_claim_farmer",
        ),
    };
    let transfer = NewTransfer {
        id: format!("insclaim:{key}"),
        debit_account_id: receiver,
        credit_account_id: insurer,
        amount,
        value_date: on,
        code: code.to_string(),
        memo: None,
    };
    post_batch(tx, ctx, "insurance_claim.post", &key, &[transfer]).await?;
    if let (Some(loan), false) = (&loan, kind == Kind::Guarantee) {
        repay_for_insured(tx, ctx, loan, &key, amount, on).await?;
    }
    Ok(())
}

/// Applies a claim to the insured loan like a prepayment by a third party: what is due first,
/// the rest to principal; exactly the settlement amount settles the loan, more is refused.
async fn repay_for_insured(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &fupin_store::loans::Loan,
    key: &str,
    amount: Fen,
    on: BusinessDate,
) -> Result<()> {
    let order = RepaymentOrder {
        institution_code: loan.terms.institution_code.clone(),
        id: format!("insurance:{key}"),
        contract_no: loan.terms.contract_no.clone(),
        paid_on: on,
        amount,
        prepayment: Some(Prepayment::default()),
    };
    // The insurer's staff repay on the borrower's behalf: the claim's scope was checked above,
    // and a bank's loan is written to by the platform, under the same name in the audit trail.
    let platform = Ctx {
        actor: Actor {
            role: Role::Operator,
            ..ctx.actor.clone()
        },
        ..ctx.clone()
    };
    loans::repay(tx, &platform, &order).await?;
    Ok(())
}

/// The sum of the paid claims on a loan: what insurance has borne of its loss (read by the
/// loss waterfall).
pub async fn paid_for_loan(tx: &mut Tx, loan_id: i64) -> Result<Fen> {
    Ok(store::paid_for_loan_in(tx, loan_id).await?)
}

async fn insurer_account(tx: &mut Tx, insurer: &str) -> Result<i64> {
    let region = fupin_store::institutions::get_in(tx, insurer)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("institution {insurer}")))?
        .region_code;
    let account = NewAccount {
        code: format!("insurer:{insurer}"),
        normal_side: NormalSide::Debit,
        kind: "insurer".to_string(),
        institution_code: Some(insurer.to_string()),
        region_code: Some(region),
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

async fn benefits_account(tx: &mut Tx, insurer: &str) -> Result<i64> {
    let region = fupin_store::institutions::get_in(tx, insurer)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("institution {insurer}")))?
        .region_code;
    let account = NewAccount {
        code: format!("insurer:{insurer}:benefits"),
        normal_side: NormalSide::Debit,
        kind: "insurer_benefits".to_string(),
        institution_code: Some(insurer.to_string()),
        region_code: Some(region),
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

/// The account a payer's part of a premium comes from (credit-normal: what it has paid in).
async fn payer_account(tx: &mut Tx, payer: Payer, county: RegionCode) -> Result<i64> {
    let (code, kind, region) = match payer {
        Payer::Central => ("treasury:central".to_string(), "treasury_central", None),
        Payer::Provincial => {
            let province = county
                .ancestor_at(RegionLevel::Province)
                .ok_or_else(|| AppError::Invalid(format!("{county} is not in a province")))?;
            return crate::funds::treasury_account(tx, province).await;
        }
        Payer::County => return crate::funds::treasury_account(tx, county).await,
        Payer::Farmer => (format!("farmers:{county}"), "farmers", Some(county)),
    };
    let account = NewAccount {
        code,
        normal_side: NormalSide::Credit,
        kind: kind.to_string(),
        institution_code: None,
        region_code: region,
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?.id)
}

/// What listings are narrowed to, as asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub region: Option<RegionCode>,
    pub insurer: Option<String>,
    pub kind: Option<Kind>,
    /// Claims only: `reported`, `assessed`, `paid` or `refused`.
    pub state: Option<String>,
}

/// The store's filter for the actor: the insurer its own policies, a bank the cover of its own
/// loans, the regulator and the finance bureau their region.
fn scoped(ctx: &Ctx, asked: &ListFilter, page: Page) -> Result<store::Filter> {
    access::require(ctx, Area::Insurance, Access::Read)?;
    let within = access::region_in_scope(ctx, asked.region)?;
    let insurer = match (ctx.actor.role, &asked.insurer) {
        (Role::Insurer, asked) => {
            let own = ctx.actor.institution.clone().ok_or_else(|| {
                AppError::Forbidden(
                    "an insurer user without an institution sees no policies".into(),
                )
            })?;
            if asked.as_ref().is_some_and(|asked| *asked != own) {
                return Err(AppError::NotFound(format!(
                    "insurer {}",
                    asked.as_deref().unwrap_or_default()
                )));
            }
            Some(own)
        }
        (_, asked) => asked.clone(),
    };
    if let Some(state) = &asked.state
        && !["reported", "assessed", "paid", "refused"].contains(&state.as_str())
    {
        return Err(AppError::field(
            "state",
            format!("{state} is not reported, assessed, paid or refused"),
        ));
    }
    Ok(store::Filter {
        county_prefix: within.map(|c| c.prefix().to_string()).unwrap_or_default(),
        insurer,
        bank: access::bank_institution(ctx)?.map(str::to_string),
        kind: asked.kind.map(|k| k.as_str().to_string()),
        state: asked.state.clone(),
        // One row to spare, to know whether another page follows.
        limit: page.limit() + 1,
        offset: page.offset(),
    })
}

/// Policies in the actor's scope.
pub async fn policies_for(
    db: &Db,
    ctx: &Ctx,
    filter: &ListFilter,
    page: Page,
) -> Result<Paged<NamedPolicy>> {
    let filter = scoped(ctx, filter, page)?;
    Ok(page.cut(store::policies(db, &filter).await?, true))
}

/// Claims in the actor's scope, newest reports first.
pub async fn claims_for(
    db: &Db,
    ctx: &Ctx,
    filter: &ListFilter,
    page: Page,
) -> Result<Paged<NamedClaim>> {
    let filter = scoped(ctx, filter, page)?;
    Ok(page.cut(store::claims(db, &filter).await?, true))
}

/// Premium payments in the actor's scope, newest first; `pending` or `approved` only when
/// asked (the finance bureau's work list is the pending ones).
pub async fn premiums_for(
    db: &Db,
    ctx: &Ctx,
    filter: &ListFilter,
    premium_state: Option<&str>,
    page: Page,
) -> Result<Paged<store::NamedPremium>> {
    if let Some(state) = premium_state
        && !["pending", "approved"].contains(&state)
    {
        return Err(AppError::field(
            "premium_state",
            format!("{state} is not pending or approved"),
        ));
    }
    let asked = ListFilter {
        state: None,
        ..filter.clone()
    };
    let mut filter = scoped(ctx, &asked, page)?;
    filter.state = premium_state.map(str::to_string);
    Ok(page.cut(store::premiums(db, &filter).await?, true))
}

/// Runs one use case in its own transaction.
pub async fn in_transaction<T>(db: &Db, work: impl AsyncFnOnce(&mut Tx) -> Result<T>) -> Result<T> {
    let mut tx = db.write().await?;
    let value = work(&mut tx).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(value)
}

/// Insurance figures of the counties at or under a region, as of a date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InsuranceFigures {
    /// Sums insured by the policies in force.
    pub insured: Fen,
    /// Premiums paid to date by central, provincial, county and farmer.
    pub premiums: [Fen; 4],
    pub claims_paid: Fen,
}

/// Insurance figures for the counties whose code starts with `prefix` ("" for all).
pub async fn figures(db: &Db, prefix: &str, date: BusinessDate) -> Result<InsuranceFigures> {
    Ok(InsuranceFigures {
        insured: store::insured_as_of(db, prefix, date).await?,
        premiums: store::premiums_as_of(db, prefix, date).await?,
        claims_paid: store::claims_paid_as_of(db, prefix, date).await?,
    })
}

/// The indicator measures: `insurance.insured`, `insurance.premiums[PAYER]` (all payers
/// without one) and `insurance.claims_paid`. Figures of the state's money: for those who see
/// the county funds.
pub async fn measure(
    db: &Db,
    ctx: &Ctx,
    name: &str,
    argument: Option<&str>,
    prefix: &str,
    date: BusinessDate,
) -> Result<Fen> {
    access::require_fund_figures(ctx)?;
    let figures = figures(db, prefix, date).await?;
    match (name, argument) {
        ("insurance.insured", _) => Ok(figures.insured),
        ("insurance.claims_paid", _) => Ok(figures.claims_paid),
        ("insurance.premiums", None) => Fen::checked_sum(figures.premiums)
            .ok_or_else(|| AppError::Invalid("premiums overflow".into())),
        ("insurance.premiums", Some(payer)) => Payer::ALL
            .into_iter()
            .position(|p| p.as_str() == payer.trim())
            .map(|i| figures.premiums[i])
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "measure {name}[{payer}]: the payer is central, provincial, county or farmer"
                ))
            }),
        _ => Err(AppError::Invalid(format!("unknown measure {name}"))),
    }
}
