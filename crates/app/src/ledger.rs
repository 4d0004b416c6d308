//! Ledger use cases: posting batches of transfers atomically and idempotently, balances as of a
//! date, and the full consistency check.

use fupin_core::{BusinessDate, Fen};
use fupin_store::ledger::{self, Account, LedgerCheck, NewTransfer, Posted, Totals, Transfer};
pub use fupin_store::ledger::{NewAccount, NormalSide, TransferRefused};
use fupin_store::{Db, Tx, audit};
use serde_json::json;

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
    let outcomes = ledger::post_all(tx, transfers, &ctx.actor.name, &ctx.now)
        .await?
        .map_err(refusal_error)?;
    if outcomes.iter().any(|o| matches!(o, Posted::New(_))) {
        let mut entry = ctx.audit(action, "ledger_batch", entity_id);
        entry.after_json = Some(batch_json(transfers).to_string());
        audit::append(tx, &entry).await?;
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
