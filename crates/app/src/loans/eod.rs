//! End of day: for each business day not yet processed, charge the interest falling due, work
//! out overdue days and the five-category classification. Each day is one transaction, so a
//! crash leaves the last completed day recorded and the next run resumes after it; running it
//! again for a processed day does nothing.

use fupin_core::BusinessDate;
use fupin_core::repayment::{self, Classification};
use fupin_store::ledger::NewTransfer;
use fupin_store::loans::{self, Standing};
use fupin_store::{Db, Tx, audit};
use serde_json::json;

use super::{BankAccount, accounts, bank_account_id, product_of};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::ledger::post_batch;

/// What one day's processing did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayReport {
    pub date: Option<BusinessDate>,
    pub interest_charges: u64,
    /// Loans charged a day of penalty interest (罚息).
    pub penalty_charges: u64,
    pub overdue_loans: u64,
    pub reclassified: u64,
    /// Risk-compensation claims raised for covered loans past their trigger.
    pub risk_claims: u64,
}

/// The days processed by a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EodReport {
    pub first: Option<BusinessDate>,
    pub last: Option<BusinessDate>,
    pub days: Vec<DayReport>,
}

/// Processes every day after the last one completed, through `through`. When no day was ever
/// processed, starts at `first_day` (default: the earliest loan start). `progress` is told
/// each completed day.
pub async fn run(
    db: &Db,
    ctx: &Ctx,
    through: BusinessDate,
    first_day: Option<BusinessDate>,
    progress: &mut (dyn FnMut(&DayReport) + Send),
) -> Result<EodReport> {
    crate::access::require(
        ctx,
        crate::access::Area::Operations,
        crate::access::Access::Write,
    )?;
    let mut last = loans::eod_last_date(db).await?;
    let mut day = match last {
        Some(last) => last.succ(),
        None => match first_day {
            Some(day) => Some(day),
            None => earliest_start(db).await?.or(Some(through)),
        },
    };
    let mut report = EodReport::default();
    while let Some(date) = day.filter(|d| *d <= through) {
        let day_report = process_day(db, ctx, last, date).await?;
        progress(&day_report);
        report.first.get_or_insert(date);
        report.last = Some(date);
        report.days.push(day_report);
        last = Some(date);
        day = date.succ();
    }
    // The alerts of the new business date (not of each day of a catch-up).
    if let Some(last) = report.last {
        crate::alerts::record(db, ctx, last).await?;
    }
    Ok(report)
}

/// The last business day end of day has completed (administrators and the operator).
pub async fn last_done(db: &Db, ctx: &Ctx) -> Result<Option<BusinessDate>> {
    crate::access::require(
        ctx,
        crate::access::Area::Operations,
        crate::access::Access::Read,
    )?;
    Ok(loans::eod_last_date(db).await?)
}

async fn earliest_start(db: &Db) -> Result<Option<BusinessDate>> {
    let filter = loans::LoanFilter {
        limit: 1,
        ..Default::default()
    };
    Ok(loans::list_loans(db, &filter)
        .await?
        .first()
        .map(|l| l.terms.start_on))
}

async fn process_day(
    db: &Db,
    ctx: &Ctx,
    previous: Option<BusinessDate>,
    date: BusinessDate,
) -> Result<DayReport> {
    let mut tx = db.write().await?;
    let mut report = DayReport {
        date: Some(date),
        ..DayReport::default()
    };
    report.interest_charges = charge_interest(&mut tx, ctx, date).await?;
    report.penalty_charges = charge_penalties(&mut tx, ctx, date).await?;
    let (overdue, reclassified) = classify(&mut tx, date).await?;
    report.overdue_loans = overdue;
    report.reclassified = reclassified;
    report.risk_claims = crate::funds::raise_risk_claims(&mut tx, ctx, date).await?;
    if !loans::advance_eod(&mut tx, previous, date).await? {
        return Err(AppError::Conflict(format!(
            "end of day for {date} was done by another run at the same time; run again to continue"
        )));
    }
    let mut entry = ctx.audit("eod.day", "eod", &date.to_string());
    entry.after_json = Some(json!({"interest_charges": report.interest_charges, "overdue_loans": overdue, "reclassified": reclassified}).to_string());
    audit::append(&mut tx, &entry).await?;
    db.commit_bulk(tx).await?;
    Ok(report)
}

/// Instalments or loans handled per page of a day: memory stays bounded however many loans
/// fall due on one day (a national book has millions on the 21st of a month).
const EOD_PAGE_ROWS: i64 = 2_000;

/// Posts the interest of every instalment falling due on `date` that is not yet charged, a
/// page at a time (one ledger batch, one audit record per page).
async fn charge_interest(tx: &mut Tx, ctx: &Ctx, date: BusinessDate) -> Result<u64> {
    let mut charged = 0;
    loop {
        let page = charge_interest_page(tx, ctx, date).await?;
        charged += page;
        if page < EOD_PAGE_ROWS as u64 {
            return Ok(charged);
        }
    }
}

async fn charge_interest_page(tx: &mut Tx, ctx: &Ctx, date: BusinessDate) -> Result<u64> {
    let due = loans::interest_to_charge_on(tx, date, EOD_PAGE_ROWS).await?;
    let mut transfers = Vec::with_capacity(due.len());
    for (loan_id, number, amount) in &due {
        let loan = loans::loan_in(tx, *loan_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("loan {loan_id}")))?;
        let product = product_of(tx, &loan.terms.product_code).await?;
        let receivable = accounts::of_loan(tx, &loan.terms, &product)
            .await?
            .interest
            .id;
        let income = bank_account_id(
            tx,
            &loan.terms.institution_code,
            BankAccount::InterestIncome,
        )
        .await?;
        transfers.push(NewTransfer {
            id: format!(
                "interest:{}:{}:{number}:due",
                loan.terms.institution_code, loan.terms.contract_no
            ),
            debit_account_id: receivable,
            credit_account_id: income,
            amount: *amount,
            value_date: date,
            code: "interest_charge".to_string(),
            memo: None,
        });
        loans::add_to_instalment(
            tx,
            *loan_id,
            *number,
            fupin_core::Fen::ZERO,
            fupin_core::Fen::ZERO,
            *amount,
        )
        .await?;
    }
    if !transfers.is_empty() {
        post_batch(tx, ctx, "eod.interest", &date.to_string(), &transfers).await?;
    }
    Ok(due.len() as u64)
}

/// Charges one day of penalty interest (罚息) on the overdue principal of every loan whose
/// product charges it: the contract rate raised by the product's uplift, on principal unpaid
/// past its due date (and past the product's grace days), at the end of `date`. The loan's
/// penalty receivable is apart from its interest, so no subsidy ever counts it.
async fn charge_penalties(tx: &mut Tx, ctx: &Ctx, date: BusinessDate) -> Result<u64> {
    let (mut charged, mut after_id) = (0, 0);
    loop {
        let page = loans::penalised_overdue_loans_on(tx, date, after_id, EOD_PAGE_ROWS).await?;
        let Some((last, _, _)) = page.last() else {
            return Ok(charged);
        };
        after_id = last.id;
        let mut transfers = Vec::new();
        for (loan, uplift_ppm, grace_days) in &page {
            if let Some(transfer) =
                penalty_transfer(tx, loan, *uplift_ppm, *grace_days, date).await?
            {
                transfers.push(transfer);
            }
        }
        charged += transfers.len() as u64;
        if !transfers.is_empty() {
            post_batch(tx, ctx, "eod.penalty", &date.to_string(), &transfers).await?;
        }
    }
}

/// The day's penalty of one loan, if any is owed.
async fn penalty_transfer(
    tx: &mut Tx,
    loan: &loans::Loan,
    uplift_ppm: i64,
    grace_days: i64,
    date: BusinessDate,
) -> Result<Option<NewTransfer>> {
    let states: Vec<repayment::InstalmentState> = loans::instalments_in(tx, loan.id)
        .await?
        .into_iter()
        .filter(|r| !r.superseded)
        .map(|r| r.state)
        .collect();
    let principal = repayment::penalised_principal(&states, date, grace_days);
    let basis = fupin_core::schedule::DayCount::parse(&loan.terms.day_count)
        .map_err(|e| AppError::Invalid(e.to_string()))?
        .basis();
    let amount = repayment::daily_penalty(principal, loan.terms.annual_rate, uplift_ppm, basis)
        .ok_or_else(|| AppError::Invalid(format!("penalty of loan {} overflows", loan.id)))?;
    if !amount.is_positive() {
        return Ok(None);
    }
    let product = product_of(tx, &loan.terms.product_code).await?;
    let receivable = accounts::penalty_of_loan(tx, &loan.terms, &product)
        .await?
        .id;
    let income =
        bank_account_id(tx, &loan.terms.institution_code, BankAccount::PenaltyIncome).await?;
    Ok(Some(NewTransfer {
        id: format!(
            "penalty:{}:{}:{date}",
            loan.terms.institution_code, loan.terms.contract_no
        ),
        debit_account_id: receivable,
        credit_account_id: income,
        amount,
        value_date: date,
        code: "penalty_charge".to_string(),
        memo: None,
    }))
}

/// Overdue days and class of every loan with an instalment unpaid past its due date.
async fn classify(tx: &mut Tx, date: BusinessDate) -> Result<(u64, u64)> {
    let thresholds = loans::thresholds_on(tx, date).await?;
    let (mut overdue, mut reclassified, mut after_id) = (0, 0, 0);
    loop {
        let page = loans::overdue_loans_on(tx, date, after_id, EOD_PAGE_ROWS).await?;
        let Some((last, _)) = page.last() else {
            return Ok((overdue, reclassified));
        };
        after_id = last.id;
        overdue += page.len() as u64;
        reclassified += classify_page(tx, date, &thresholds, &page).await?;
    }
}

async fn classify_page(
    tx: &mut Tx,
    date: BusinessDate,
    thresholds: &fupin_core::repayment::Thresholds,
    overdue: &[(loans::Loan, i64)],
) -> Result<u64> {
    let mut reclassified = 0;
    for (loan, grace_days) in overdue {
        // The class follows the regulation's days past due; the overdue spell (which the
        // subsidy does not pay) starts only once the product's grace days have passed.
        let days = repayment::overdue_days(loan.next_unpaid_due_on, date);
        let classification: Classification = thresholds.classify(days);
        let overdue_since = match days > *grace_days {
            true => loan
                .next_unpaid_due_on
                .and_then(|d| d.add_days(grace_days + 1)),
            false => None,
        };
        let standing = Standing {
            next_unpaid_due_on: loan.next_unpaid_due_on,
            overdue_since,
            overdue_days: days,
            classification,
        };
        if classification != loan.classification {
            reclassified += 1;
        }
        loans::set_standing(tx, loan, standing, date).await?;
    }
    Ok(reclassified)
}
