//! Ledger use cases: posting batches of transfers atomically and idempotently, balances as of a
//! date, and the full consistency check.

use fupin_core::{BusinessDate, Fen};
use fupin_store::ledger::{self, Account, LedgerCheck, NewTransfer, Posted, Totals, Transfer};
pub use fupin_store::ledger::{NewAccount, NormalSide, TransferRefused};
use fupin_store::{Db, Tx};
use serde_json::json;

use crate::audit::Trail;
use crate::context::Ctx;
use crate::error::{AppError, Result};

/// Posts every transfer of a batch in the caller's transaction, or none: the first refusal is
/// returned as an error and the caller's transaction must be rolled back. Appends one audit
/// record describing the batch when anything new was posted.
pub async fn post_batch(
    tx: &mut Tx,
    ctx: &Ctx,
    action: &str,
    entity_id: &str,
    transfers: &[NewTransfer],
) -> Result<Vec<Posted>> {
    post_batch_to(tx, ctx, action, entity_id, transfers, &mut Trail::default()).await
}

/// [`post_batch`], with its audit record going to `trail`.
pub async fn post_batch_to(
    tx: &mut Tx,
    ctx: &Ctx,
    action: &str,
    entity_id: &str,
    transfers: &[NewTransfer],
    trail: &mut Trail,
) -> Result<Vec<Posted>> {
    let outcomes = ledger::post_all(tx, transfers, &ctx.actor.name, &ctx.now)
        .await?
        .map_err(refusal_error)?;
    if outcomes.iter().any(|o| matches!(o, Posted::New(_))) {
        let mut entry = ctx.audit(action, "ledger_batch", entity_id);
        entry.after_json = Some(batch_json(transfers).to_string());
        trail.append(tx, entry).await?;
    }
    Ok(outcomes)
}

fn refusal_error(refusal: TransferRefused) -> AppError {
    match refusal {
        TransferRefused::IdReused { .. } => AppError::Conflict(refusal.to_string()),
        other => AppError::Invalid(other.to_string()),
    }
}

fn batch_json(transfers: &[NewTransfer]) -> serde_json::Value {
    serde_json::Value::Array(
        transfers
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "debit_account_id": t.debit_account_id,
                    "credit_account_id": t.credit_account_id,
                    "amount": t.amount.to_plain_yuan(),
                    "value_date": t.value_date.to_string(),
                    "code": t.code,
                })
            })
            .collect(),
    )
}

/// Opens an account (or finds the one with the same code) in the caller's transaction.
pub async fn open_account(tx: &mut Tx, account: &NewAccount) -> Result<Account> {
    Ok(ledger::open_account(tx, account).await?)
}

/// An account with its balance at the end of `as_of` (or now, when `None`).
pub async fn balance(db: &Db, code: &str, as_of: Option<BusinessDate>) -> Result<(Account, Fen)> {
    let account = ledger::account_by_code(db, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ledger account {code}")))?;
    let totals = match as_of {
        Some(date) => ledger::totals_as_of(db, account.id, date).await?,
        None => Totals {
            debits: account.debits_posted,
            credits: account.credits_posted,
        },
    };
    let balance = totals.balance(account.normal_side);
    Ok((account, balance))
}

/// The transfers of an account in posting order (at most 10,000).
pub async fn transfers(
    db: &Db,
    code: &str,
    limit: Option<i64>,
) -> Result<(Account, Vec<Transfer>)> {
    let account = ledger::account_by_code(db, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("ledger account {code}")))?;
    let transfers =
        ledger::transfers_of(db, account.id, limit.unwrap_or(10_000).clamp(0, 10_000)).await?;
    Ok((account, transfers))
}

/// Recomputes every cached balance from the transfers.
pub async fn check(db: &Db) -> Result<LedgerCheck> {
    Ok(ledger::check(db).await?)
}

/// Postings an import holds and posts a batch at a time (one `post_all`, a handful of
/// statements for up to 1,000 transfers), instead of a batch per row. On PostgreSQL this also
/// keeps a long import from updating the same hot rows (a bank's cash account, its days) once
/// a row, which grows their version chains within the transaction and makes each later update
/// slower.
///
/// What is held is not yet in the ledger: a check that reads balances must add what
/// [`Pending::debit_balance_of`] and [`Pending::covered_principal_in`] say. A transfer refused
/// when the batch is posted fails the whole import, which keeps nothing; the rows' own checks
/// (new contracts, allocations within what is owed) leave nothing for the ledger to refuse.
#[derive(Debug, Default)]
pub struct Pending {
    defer: bool,
    transfers: Vec<NewTransfer>,
    /// Disbursements of loans the county risk-compensation funds cover: county, value date,
    /// principal.
    covered: Vec<(fupin_core::RegionCode, BusinessDate, Fen)>,
}

/// Transfers held before a batch is posted.
const PENDING_TRANSFERS_MAX: usize = 1_000;

impl Pending {
    /// Postings for an import, which must call [`Pending::flush`] before it commits.
    pub fn deferred() -> Pending {
        Pending {
            defer: true,
            ..Pending::default()
        }
    }

    /// [`post_batch_to`], now or with the next batch (audited as one batch either way).
    pub async fn post(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        batch: (&str, &str),
        transfers: Vec<NewTransfer>,
        trail: &mut Trail,
    ) -> Result<()> {
        self.hold(tx, ctx, batch, transfers, trail).await?;
        self.flush_if_full(tx, ctx).await
    }

    /// Holds a batch of a deferred import (auditing it now) without posting what is held even
    /// when it is full, so that the caller can hold all of a set of loans before calling
    /// [`Pending::flush_if_full`]; posts it at once when not deferring.
    pub async fn hold(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        batch: (&str, &str),
        transfers: Vec<NewTransfer>,
        trail: &mut Trail,
    ) -> Result<()> {
        let (action, entity_id) = batch;
        if !self.defer {
            post_batch_to(tx, ctx, action, entity_id, &transfers, trail).await?;
            return Ok(());
        }
        let mut entry = ctx.audit(action, "ledger_batch", entity_id);
        entry.after_json = Some(batch_json(&transfers).to_string());
        trail.append(tx, entry).await?;
        self.transfers.extend(transfers);
        Ok(())
    }

    /// Posts what is held once it is [`PENDING_TRANSFERS_MAX`] transfers or more.
    pub async fn flush_if_full(&mut self, tx: &mut Tx, ctx: &Ctx) -> Result<()> {
        if self.transfers.len() >= PENDING_TRANSFERS_MAX {
            self.flush(tx, ctx).await?;
        }
        Ok(())
    }

    /// Notes that a held disbursement is of a covered loan in `county`.
    pub fn note_covered(&mut self, county: fupin_core::RegionCode, on: BusinessDate, amount: Fen) {
        if self.defer {
            self.covered.push((county, on, amount));
        }
    }

    /// Posts what is held (its audit records went to the trail when it was held).
    pub async fn flush(&mut self, tx: &mut Tx, ctx: &Ctx) -> Result<()> {
        if !self.transfers.is_empty() {
            ledger::post_all(tx, &self.transfers, &ctx.actor.name, &ctx.now)
                .await?
                .map_err(refusal_error)?;
        }
        self.transfers.clear();
        self.covered.clear();
        Ok(())
    }

    /// Debits less credits held for an account, with value dates up to `on`.
    pub fn debit_balance_of(&self, account_id: i64, on: BusinessDate) -> Fen {
        let fen = self
            .transfers
            .iter()
            .filter(|t| t.value_date <= on)
            .map(|t| {
                let debit = if t.debit_account_id == account_id {
                    t.amount.fen()
                } else {
                    0
                };
                let credit = if t.credit_account_id == account_id {
                    t.amount.fen()
                } else {
                    0
                };
                debit - credit
            })
            .sum();
        Fen::new(fen)
    }

    /// Debits less credits held for an account, whatever their value dates.
    pub fn debit_balance_held(&self, account_id: i64) -> Fen {
        let fen = self
            .transfers
            .iter()
            .map(|t| match (t.debit_account_id, t.credit_account_id) {
                (debit, _) if debit == account_id => t.amount.fen(),
                (_, credit) if credit == account_id => -t.amount.fen(),
                _ => 0,
            })
            .sum();
        Fen::new(fen)
    }

    /// Covered principal held for loans in `county`, disbursed up to `on`.
    pub fn covered_principal_in(&self, county: fupin_core::RegionCode, on: BusinessDate) -> Fen {
        let fen = self
            .covered
            .iter()
            .filter(|(c, date, _)| *c == county && *date <= on)
            .map(|(_, _, amount)| amount.fen())
            .sum();
        Fen::new(fen)
    }
}
