//! Repayments applied many at a time, as an import's batch: the batch's loans (locked), their
//! instalments, accounts, stored repayments and risk claims are read in a few statements; each
//! repayment is allocated in memory, in order, over its loan as the repayments before it left
//! it; the writes are made together. A repayment of a loan that is not active (a recovery, or a
//! refusal) is applied alone, after what the batch holds is written.

use std::collections::HashMap;

use fupin_core::Fen;
use fupin_store::loans::{self, InstalmentRow, Loan};
use fupin_store::{Tx, funds, ledger};

use super::accounts::{self, LoanAccounts};
use super::{
    Changes, Lookups, PenaltyOwed, RepaymentOrder, RepaymentOutcome, allocate, penalty_code,
    penalty_owed, repay_with, require_writable, same_repayment,
};
use crate::access::{self, Access, Area};
use crate::context::Ctx;
use crate::error::{AppError, Result};

/// Applies repayments in order; returns each one's outcome (refusals as errors) in order.
/// Database failures end the whole batch.
pub async fn repay_all(
    tx: &mut Tx,
    ctx: &Ctx,
    orders: &[RepaymentOrder],
    lookups: &mut Lookups,
) -> Result<Vec<Result<RepaymentOutcome>>> {
    access::require(ctx, Area::Loans, Access::Write)?;
    let mut batch = Batch::read(tx, orders, lookups).await?;
    let mut changes = Changes {
        with_claims: Some(funds::loans_with_risk_claims_in(tx, &batch.loan_ids()).await?),
        ..Changes::default()
    };
    let mut results = Vec::with_capacity(orders.len());
    for order in orders {
        let result = batch.apply(tx, ctx, order, lookups, &mut changes).await;
        results.push(refusal_or_failure(result)?);
    }
    changes.write(tx).await?;
    Ok(results)
}

/// A refusal of one repayment stays with its row; anything else ends the batch.
fn refusal_or_failure(result: Result<RepaymentOutcome>) -> Result<Result<RepaymentOutcome>> {
    match result {
        Err(AppError::Invalid(_) | AppError::Conflict(_) | AppError::NotFound(_)) => Ok(result),
        Err(other) => Err(other),
        Ok(outcome) => Ok(Ok(outcome)),
    }
}

/// What the batch read, kept as its repayments change it.
struct Batch {
    /// Loans by `(institution, contract)`, as the batch's repayments have left them.
    loans: HashMap<(String, String), Loan>,
    /// Live instalments by loan id, as the batch's repayments have left them.
    instalments: HashMap<i64, Vec<InstalmentRow>>,
    accounts: HashMap<i64, LoanAccounts>,
    /// Penalty interest owed by loan id (loans whose receivable was ever opened), as the batch's
    /// repayments have left it.
    penalties: HashMap<i64, PenaltyOwed>,
    /// Repayments stored before the batch, by `(institution, id)`.
    stored: HashMap<(String, String), loans::Repayment>,
}

impl Batch {
    async fn read(tx: &mut Tx, orders: &[RepaymentOrder], lookups: &mut Lookups) -> Result<Batch> {
        let mut contracts: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut ids: HashMap<&str, Vec<&str>> = HashMap::new();
        for order in orders {
            let institution = order.institution_code.as_str();
            contracts
                .entry(institution)
                .or_default()
                .push(&order.contract_no);
            ids.entry(institution).or_default().push(&order.id);
        }
        let mut loans_read = Vec::new();
        for (institution, contracts) in &mut contracts {
            contracts.sort_unstable();
            contracts.dedup();
            loans_read
                .extend(loans::lock_and_read_loans_by_contracts(tx, institution, contracts).await?);
        }
        let mut stored = HashMap::new();
        for (institution, ids) in &ids {
            for repayment in loans::repayments_by_ids_in(tx, institution, ids).await? {
                let key = (repayment.institution_code.clone(), repayment.id.clone());
                stored.insert(key, repayment);
            }
        }
        let active: Vec<&Loan> = loans_read.iter().filter(|l| l.status == "active").collect();
        let active_ids: Vec<i64> = active.iter().map(|l| l.id).collect();
        let mut instalments: HashMap<i64, Vec<InstalmentRow>> = HashMap::new();
        for (loan_id, row) in loans::live_instalments_of_loans_in(tx, &active_ids).await? {
            instalments.entry(loan_id).or_default().push(row);
        }
        for rows in instalments.values_mut() {
            rows.sort_by_key(|r| r.state.number);
        }
        let mut products = Vec::with_capacity(active.len());
        for loan in &active {
            products.push(lookups.product_of_loan(tx, loan).await?);
        }
        let opened =
            accounts::of_loans(tx, active.iter().zip(&products).map(|(l, p)| (&l.terms, p)))
                .await?;
        let accounts = active_ids.iter().copied().zip(opened).collect();
        let penalties = penalties_of(tx, &active, lookups).await?;
        let loans = loans_read
            .into_iter()
            .map(|l| {
                (
                    (
                        l.terms.institution_code.clone(),
                        l.terms.contract_no.clone(),
                    ),
                    l,
                )
            })
            .collect();
        Ok(Batch {
            loans,
            instalments,
            accounts,
            penalties,
            stored,
        })
    }

    fn loan_ids(&self) -> Vec<i64> {
        self.loans.values().map(|l| l.id).collect()
    }

    /// Applies one repayment: in memory on an active loan read for the batch, else alone.
    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        order: &RepaymentOrder,
        lookups: &mut Lookups,
        changes: &mut Changes,
    ) -> Result<RepaymentOutcome> {
        let key = (order.institution_code.clone(), order.contract_no.clone());
        let Some(loan) = self.loans.get(&key) else {
            return Err(AppError::NotFound(format!(
                "loan {}/{}",
                order.institution_code, order.contract_no
            )));
        };
        let (Some(rows), Some(loan_accounts)) = (
            self.instalments.get_mut(&loan.id),
            self.accounts.get(&loan.id),
        ) else {
            // Not active when read: the single path reads it afresh.
            return Self::apply_alone(tx, ctx, order, lookups, changes).await;
        };
        if loan.status != "active" {
            return Self::apply_alone(tx, ctx, order, lookups, changes).await;
        }
        require_writable(ctx, &loan.terms)?;
        let stored_key = (order.institution_code.clone(), order.id.clone());
        if let Some(existing) = self.stored.get(&stored_key) {
            return same_repayment(existing, loan, order);
        }
        if order.paid_on < loan.terms.start_on {
            return Err(AppError::Invalid(format!(
                "paid_on {} is before the loan started on {}",
                order.paid_on, loan.terms.start_on
            )));
        }
        if order.prepayment.is_some() {
            // A prepayment redraws the schedule: applied alone, then the loan read afresh.
            let outcome = Self::apply_alone(tx, ctx, order, lookups, changes).await;
            self.refresh(tx, &key, lookups).await?;
            return outcome;
        }
        let penalty = self.penalties.get(&loan.id).copied();
        let repayment_accounts = lookups
            .repayment_accounts_with(tx, loan, loan_accounts, penalty)
            .await?;
        // Allocated on a copy: a refused repayment leaves the rows as they were.
        let mut after = rows.clone();
        let allocation = allocate(loan, &mut after, order, &repayment_accounts)?;
        *rows = after;
        let standing = allocation.standing;
        let settled = allocation.settled;
        if let Some(owed) = self.penalties.get_mut(&loan.id) {
            owed.outstanding = Fen::new(owed.outstanding.fen() - allocation.penalty.fen());
        }
        let outcome = changes
            .add(loan, order, allocation, ctx, lookups, tx)
            .await?;
        let loan = self.loans.get_mut(&key).expect("read above");
        loan.next_unpaid_due_on = standing.next_unpaid_due_on;
        loan.overdue_since = standing.overdue_since;
        loan.overdue_days = standing.overdue_days;
        loan.classification = standing.classification;
        if settled {
            loan.status = "settled".to_string();
            loan.closed_on = Some(order.paid_on);
        }
        Ok(outcome)
    }

    /// Reads a loan and its live instalments again, as a repayment applied alone left them.
    async fn refresh(
        &mut self,
        tx: &mut Tx,
        key: &(String, String),
        lookups: &Lookups,
    ) -> Result<()> {
        let read = loans::lock_and_read_loans_by_contracts(tx, &key.0, &[key.1.as_str()]).await?;
        let Some(loan) = read.into_iter().next() else {
            return Ok(());
        };
        let mut rows: Vec<InstalmentRow> = loans::live_instalments_of_loans_in(tx, &[loan.id])
            .await?
            .into_iter()
            .map(|(_, row)| row)
            .collect();
        rows.sort_by_key(|r| r.state.number);
        match loan.status.as_str() {
            "active" => self.instalments.insert(loan.id, rows),
            _ => self.instalments.remove(&loan.id),
        };
        // Applied alone, its penalty transfer is held or posted: read both again.
        let account = ledger::account_by_code_in(tx, &penalty_code(&loan.terms)).await?;
        match penalty_owed(account.as_ref(), lookups.pending()) {
            Some(owed) => self.penalties.insert(loan.id, owed),
            None => self.penalties.remove(&loan.id),
        };
        self.loans.insert(key.clone(), loan);
        Ok(())
    }

    /// Writes what the batch holds, then applies the repayment as a command would.
    async fn apply_alone(
        tx: &mut Tx,
        ctx: &Ctx,
        order: &RepaymentOrder,
        lookups: &mut Lookups,
        changes: &mut Changes,
    ) -> Result<RepaymentOutcome> {
        changes.write(tx).await?;
        repay_with(tx, ctx, order, lookups).await
    }
}

/// The penalty owed by each of `loans` whose receivable exists, with what is held for it.
async fn penalties_of(
    tx: &mut Tx,
    loans: &[&Loan],
    lookups: &Lookups,
) -> Result<HashMap<i64, PenaltyOwed>> {
    let codes: Vec<String> = loans.iter().map(|l| penalty_code(&l.terms)).collect();
    let found: HashMap<String, ledger::Account> = ledger::accounts_by_codes_in(tx, &codes)
        .await?
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect();
    let mut owed = HashMap::new();
    for (loan, code) in loans.iter().zip(&codes) {
        if let Some(penalty) = penalty_owed(found.get(code), lookups.pending()) {
            owed.insert(loan.id, penalty);
        }
    }
    Ok(owed)
}
