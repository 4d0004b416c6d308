//! Partial prepayment (提前部分还款): what is due is paid in the usual order, the rest repays
//! principal, and the instalments not yet due are replaced by a new schedule of the principal
//! left, drawn from the due date of the last instalment paid (or the loan's start) — to the same
//! maturity with lower instalments (keep_term), or over the fewest months whose instalments are
//! no larger than before (keep_instalment). The old instalments stay, superseded; the new ones
//! are a schedule version, and the change is audited with both schedules.

use fupin_core::repayment::{self, InstalmentState, PrepaymentOption};
use fupin_core::schedule::{self, DayCount, RepaymentMethod};
use fupin_core::{BusinessDate, Fen};
use fupin_store::loans::{self, InstalmentRow, Loan};
use fupin_store::{Tx, audit};
use serde_json::json;

use super::{
    Changes, Lookups, Prepayment, RepaymentAccounts, RepaymentOrder, RepaymentOutcome,
    allocate_applied, instalments_for, loan_key, standing_after_payment, transfer,
};
use crate::context::Ctx;
use crate::error::{AppError, Result};

/// Applies a prepayment to an active loan whose live instalments are `rows`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn apply(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    order: &RepaymentOrder,
    prepayment: Prepayment,
    mut rows: Vec<InstalmentRow>,
    accounts: &RepaymentAccounts,
    lookups: &mut Lookups,
) -> Result<RepaymentOutcome> {
    let product = lookups.product_of_loan(tx, loan).await?;
    let option = match prepayment.option {
        Some(option) => option,
        None => PrepaymentOption::parse(&product.servicing.prepayment_option)
            .unwrap_or(PrepaymentOption::KeepTerm),
    };
    let states: Vec<InstalmentState> = rows.iter().map(|r| r.state.clone()).collect();
    let penalty = accounts.penalty_outstanding();
    let prepaid = repayment::prepay(&states, order.paid_on, order.amount, penalty)
        .map_err(|e| AppError::Invalid(format!("repayment {}: {e}", order.id)))?;
    let mut allocation = allocate_applied(loan, &mut rows, order, accounts, &prepaid.applied);
    allocation.prepayment_option = Some(option);
    let plan = match prepaid.ahead.is_positive() {
        true => Some(reschedule(
            loan,
            &rows,
            prepaid.ahead,
            option,
            order.paid_on,
        )?),
        false => None,
    };
    if let Some(plan) = &plan {
        allocation.transfers.push(transfer(
            format!("repay:{}:{}:ahead", order.institution_code, order.id),
            accounts.cash,
            accounts.principal,
            prepaid.ahead,
            order.paid_on,
            "repayment_principal",
        ));
        allocation.principal = Fen::new(allocation.principal.fen() + prepaid.ahead.fen());
        let mut after: Vec<InstalmentRow> = rows
            .iter()
            .filter(|r| r.state.number < plan.supersede_from)
            .cloned()
            .collect();
        after.extend(plan.rows.iter().map(|state| InstalmentRow {
            state: state.clone(),
            interest_charged: Fen::ZERO,
            superseded: false,
        }));
        allocation.standing = standing_after_payment(loan, &after, order.paid_on, false);
    }
    let mut changes = Changes::default();
    let outcome = changes
        .add(loan, order, allocation, ctx, lookups, tx)
        .await?;
    changes.write(tx).await?;
    if let Some(plan) = plan {
        write_plan(tx, ctx, loan, order, option, &rows, plan).await?;
    }
    Ok(outcome)
}

/// The new schedule of a prepayment.
struct Plan {
    /// The first instalment replaced: it and those after it are superseded.
    supersede_from: u32,
    rows: Vec<InstalmentState>,
    principal: Fen,
    maturity: BusinessDate,
}

/// Draws the schedule of the principal left after `ahead` is repaid, from the due date of the
/// last instalment paid, over the instalments not yet paid (`rows` as the payment left them).
fn reschedule(
    loan: &Loan,
    rows: &[InstalmentRow],
    ahead: Fen,
    option: PrepaymentOption,
    paid_on: BusinessDate,
) -> Result<Plan> {
    let unpaid: Vec<&InstalmentRow> = rows.iter().filter(|r| !r.state.is_paid()).collect();
    let Some(first) = unpaid.first() else {
        return Err(AppError::Invalid(format!(
            "nothing is left to prepay after {paid_on}"
        )));
    };
    let left: i64 = unpaid.iter().map(|r| r.state.principal_left().fen()).sum();
    let principal = Fen::new(left - ahead.fen());
    let base = rows
        .iter()
        .filter(|r| r.state.number < first.state.number)
        .map(|r| r.state.due_on)
        .max()
        .unwrap_or(loan.terms.start_on);
    let maturity = loan.terms.maturity_on;
    let months_left = months_between(base, maturity).max(1);
    let method = RepaymentMethod::parse(&loan.terms.repayment)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let months = match option {
        PrepaymentOption::KeepTerm => months_left,
        PrepaymentOption::KeepInstalment => {
            if !method.is_amortising() {
                return Err(AppError::Invalid(format!(
                    "keep_instalment shortens the term of equal_instalment or equal_principal \
                     loans; {method} repays principal at maturity: use keep_term"
                )));
            }
            let level = match method {
                RepaymentMethod::EqualPrincipal => first.state.principal,
                _ => Fen::new(first.state.principal.fen() + first.state.interest.fen()),
            };
            let day_count = DayCount::parse(&loan.terms.day_count)
                .map_err(|e| AppError::Invalid(e.to_string()))?;
            let terms = schedule::LoanTerms {
                principal,
                rate: loan.terms.annual_rate,
                term_months: months_left,
                method,
                start: base,
                day_count,
                grace_months: 0,
            };
            schedule::months_keeping_instalment(&terms, level)
                .map_err(|e| AppError::Invalid(e.to_string()))?
        }
    };
    let new_maturity = base.add_months_clamped(months).ok_or_else(|| {
        AppError::Invalid(format!("{base} + {months} months is beyond the calendar"))
    })?;
    let next_number = rows.iter().map(|r| r.state.number).max().unwrap_or(0) + 1;
    let new_rows = instalments_for(principal, &loan.terms, (base, new_maturity), next_number, 0)?;
    Ok(Plan {
        supersede_from: first.state.number,
        rows: new_rows,
        principal,
        maturity: new_maturity,
    })
}

/// Whole calendar months from `from`'s month to `to`'s.
fn months_between(from: BusinessDate, to: BusinessDate) -> u32 {
    let months = (i64::from(to.year()) * 12 + i64::from(to.month()))
        - (i64::from(from.year()) * 12 + i64::from(from.month()));
    u32::try_from(months).unwrap_or(0)
}

/// Supersedes the old instalments, stores the new ones as a schedule version, moves the
/// maturity if it changed, and audits both schedules.
async fn write_plan(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    order: &RepaymentOrder,
    option: PrepaymentOption,
    rows: &[InstalmentRow],
    plan: Plan,
) -> Result<()> {
    loans::supersede_instalments_from(tx, loan.id, plan.supersede_from).await?;
    loans::insert_instalments(tx, loan.id, &plan.rows).await?;
    if plan.maturity != loan.terms.maturity_on {
        loans::set_maturity(tx, loan.id, plan.maturity).await?;
    }
    let version = loans::ScheduleVersion {
        version: 0,
        first_number: i64::from(plan.rows.first().map_or(plan.supersede_from, |r| r.number)),
        decided_on: order.paid_on,
        kind: "prepayment".to_string(),
        prepayment_option: Some(option.as_str().to_string()),
        repayment_id: Some(order.id.clone()),
        principal: plan.principal,
        maturity_on: plan.maturity,
    };
    let number = loans::insert_schedule_version(tx, loan.id, &version).await?;
    let replaced: Vec<&InstalmentState> = rows
        .iter()
        .map(|r| &r.state)
        .filter(|s| s.number >= plan.supersede_from)
        .collect();
    let mut entry = ctx.audit("loan.reschedule", "loan", &loan_key(&loan.terms));
    entry.before_json = Some(
        json!({
            "maturity_on": loan.terms.maturity_on.to_string(),
            "instalments": replaced.iter().map(|s| instalment_json(s)).collect::<Vec<_>>(),
        })
        .to_string(),
    );
    entry.after_json = Some(
        json!({
            "version": number,
            "repayment_id": order.id,
            "prepayment_option": option.as_str(),
            "principal": plan.principal.to_plain_yuan(),
            "maturity_on": plan.maturity.to_string(),
            "instalments": plan.rows.iter().map(instalment_json).collect::<Vec<_>>(),
        })
        .to_string(),
    );
    audit::append(tx, &entry).await?;
    Ok(())
}

fn instalment_json(state: &InstalmentState) -> serde_json::Value {
    json!({
        "number": state.number,
        "due_on": state.due_on.to_string(),
        "principal": state.principal.to_plain_yuan(),
        "interest": state.interest.to_plain_yuan(),
    })
}
