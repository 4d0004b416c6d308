//! The ledger: accounts and immutable double-entry transfers.
//!
//! Every transfer debits one account and credits another by the same positive amount; a
//! transfer is never updated or deleted. Each account keeps cached totals, cumulative totals per
//! day it moved (`ledger_account_days`) and per roll-up bucket (`ledger_bucket_days`), all
//! updated in the transaction that posts the transfer, so any balance at the end of any day is
//! one indexed lookup. [`check`] recomputes every cache from the transfers.

use fupin_core::{BusinessDate, Fen, RegionCode, RegionLevel};
use futures_util::TryStreamExt;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Engine, Tx};
use crate::error::{Result, StoreError, corrupt};
use crate::sql::Params;

/// Which side of an account increases its balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormalSide {
    /// Assets and expenses: balance = debits − credits.
    Debit,
    /// Liabilities, equity and income: balance = credits − debits.
    Credit,
}

impl NormalSide {
    pub fn as_str(self) -> &'static str {
        match self {
            NormalSide::Debit => "debit",
            NormalSide::Credit => "credit",
        }
    }

    fn parse(text: &str) -> Result<NormalSide> {
        match text {
            "debit" => Ok(NormalSide::Debit),
            "credit" => Ok(NormalSide::Credit),
            other => Err(corrupt("ledger_accounts", "normal_side", other)),
        }
    }
}

/// An account to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub code: String,
    pub normal_side: NormalSide,
    pub kind: String,
    pub institution_code: Option<String>,
    pub region_code: Option<RegionCode>,
    pub no_overdraft: bool,
}

/// A stored account with its cached totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub code: String,
    pub normal_side: NormalSide,
    pub kind: String,
    pub institution_code: Option<String>,
    pub region_code: Option<RegionCode>,
    pub no_overdraft: bool,
    pub debits_posted: Fen,
    pub credits_posted: Fen,
}

impl Account {
    /// The balance on the account's normal side.
    pub fn balance(&self) -> Fen {
        Totals {
            debits: self.debits_posted,
            credits: self.credits_posted,
        }
        .balance(self.normal_side)
    }
}

/// Debits and credits posted up to some point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub debits: Fen,
    pub credits: Fen,
}

impl Totals {
    /// The balance on `side`. Totals are bounded by the sum of all transfers, far from overflow.
    pub fn balance(self, side: NormalSide) -> Fen {
        let (plus, minus) = match side {
            NormalSide::Debit => (self.debits, self.credits),
            NormalSide::Credit => (self.credits, self.debits),
        };
        Fen::new(plus.fen() - minus.fen())
    }

    /// Both sides added; `None` on overflow.
    fn plus(self, other: Totals) -> Option<Totals> {
        Some(Totals {
            debits: Fen::new(self.debits.fen().checked_add(other.debits.fen())?),
            credits: Fen::new(self.credits.fen().checked_add(other.credits.fen())?),
        })
    }
}

/// A transfer to post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTransfer {
    /// Chosen by the caller: posting the same id again is a no-op; with different content, an
    /// error.
    pub id: String,
    pub debit_account_id: i64,
    pub credit_account_id: i64,
    pub amount: Fen,
    pub value_date: BusinessDate,
    /// What the transfer is, e.g. `disbursement`, `repayment_principal`.
    pub code: String,
    pub memo: Option<String>,
}

/// A posted transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub seq: i64,
    pub transfer: NewTransfer,
    pub posted_by: String,
    pub posted_at: String,
}

/// What posting did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    /// Newly posted with this sequence number.
    New(i64),
    /// The same transfer was already posted (a retry): nothing changed.
    AlreadyPosted(i64),
}

/// Why a transfer was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferRefused {
    #[error("transfer {id}: the amount must be positive, not {amount}")]
    NotPositive { id: String, amount: Fen },
    #[error("transfer {id}: debit and credit are the same account")]
    SameAccount { id: String },
    #[error("transfer {id}: account {account_id} does not exist")]
    UnknownAccount { id: String, account_id: i64 },
    #[error("transfer id {id} was already used for a different transfer")]
    IdReused { id: String },
    #[error(
        "transfer {id}: account {account} would be overdrawn (balance {balance}, amount {amount})"
    )]
    Overdraft {
        id: String,
        account: String,
        balance: Fen,
        amount: Fen,
    },
}

/// Opens an account, or returns the existing one with the same code.
pub async fn open_account(tx: &mut Tx, account: &NewAccount) -> Result<Account> {
    // A new account comes back from the insert itself; an existing one is read.
    let sql = format!(
        "insert into ledger_accounts (code, normal_side, kind, institution_code, region_code, \
         no_overdraft) values ($1, $2, $3, $4, $5, $6) on conflict (code) do nothing \
         returning {ACCOUNT_COLUMNS}"
    );
    let inserted = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&account.code)
        .bind(account.normal_side.as_str())
        .bind(&account.kind)
        .bind(&account.institution_code)
        .bind(account.region_code.map(|code| code.to_string()))
        .bind(i64::from(account.no_overdraft))
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = inserted {
        return account_from_row(&row);
    }
    account_by_code_in(tx, &account.code)
        .await?
        .ok_or_else(|| corrupt("ledger_accounts", "code", "account vanished after insert"))
}

/// Opens several accounts (or finds those with the same codes) in one statement when they are
/// new; returns them in the order asked.
pub async fn open_accounts(tx: &mut Tx, accounts: &[NewAccount]) -> Result<Vec<Account>> {
    let sql = format!(
        "insert into ledger_accounts (code, normal_side, kind, institution_code, region_code, \
         no_overdraft) values {} on conflict (code) do nothing returning {ACCOUNT_COLUMNS}",
        Params::of(tx).rows(accounts.len(), 6)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for account in accounts {
        query = query
            .bind(&account.code)
            .bind(account.normal_side.as_str())
            .bind(&account.kind)
            .bind(&account.institution_code)
            .bind(account.region_code.map(|code| code.to_string()))
            .bind(i64::from(account.no_overdraft));
    }
    let rows = query.fetch_all(&mut **tx).await?;
    in_order(tx, accounts, &rows).await
}

/// Finds several accounts that most likely exist already in one statement (opening any that
/// does not); returns them in the order asked.
pub async fn find_or_open_accounts(tx: &mut Tx, accounts: &[NewAccount]) -> Result<Vec<Account>> {
    let sql = format!(
        "select {ACCOUNT_COLUMNS} from ledger_accounts where code in ({})",
        Params::of(tx).list(accounts.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for account in accounts {
        query = query.bind(&account.code);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    in_order(tx, accounts, &rows).await
}

/// The accounts asked for, in order: those among `rows`, the others opened (or read) one by one.
async fn in_order(tx: &mut Tx, accounts: &[NewAccount], rows: &[AnyRow]) -> Result<Vec<Account>> {
    let mut found = rows
        .iter()
        .map(|row| account_from_row(row).map(|a| (a.code.clone(), a)))
        .collect::<Result<std::collections::HashMap<_, _>>>()?;
    let mut result = Vec::with_capacity(accounts.len());
    for account in accounts {
        match found.remove(&account.code) {
            Some(existing) => result.push(existing),
            None => result.push(open_account(tx, account).await?),
        }
    }
    Ok(result)
}

const ACCOUNT_COLUMNS: &str = "id, code, normal_side, kind, institution_code, region_code, \
    no_overdraft, debits_posted_fen, credits_posted_fen";

pub async fn account_by_code_in(tx: &mut Tx, code: &str) -> Result<Option<Account>> {
    let sql = format!("select {ACCOUNT_COLUMNS} from ledger_accounts where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

/// The accounts of these codes that exist, in statements of many; in no particular order.
pub async fn accounts_by_codes_in(tx: &mut Tx, codes: &[String]) -> Result<Vec<Account>> {
    let mut accounts = Vec::new();
    for chunk in codes.chunks(crate::sql::rows_per_insert(1)) {
        let mut params = crate::sql::Params::of(tx);
        let sql = format!(
            "select {ACCOUNT_COLUMNS} from ledger_accounts where code in ({})",
            params.list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for code in chunk {
            query = query.bind(code);
        }
        for row in query.fetch_all(&mut **tx).await? {
            accounts.push(account_from_row(&row)?);
        }
    }
    Ok(accounts)
}

pub async fn account_by_code(db: &Db, code: &str) -> Result<Option<Account>> {
    let sql = format!("select {ACCOUNT_COLUMNS} from ledger_accounts where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

async fn account_by_id_in(tx: &mut Tx, id: i64) -> Result<Option<Account>> {
    let sql = format!("select {ACCOUNT_COLUMNS} from ledger_accounts where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(account_from_row).transpose()
}

fn account_from_row(row: &AnyRow) -> Result<Account> {
    let region: Option<String> = row.try_get("region_code")?;
    let side: String = row.try_get("normal_side")?;
    Ok(Account {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        normal_side: NormalSide::parse(&side)?,
        kind: row.try_get("kind")?,
        institution_code: row.try_get("institution_code")?,
        region_code: region
            .map(|text| {
                RegionCode::parse(&text).map_err(|e| corrupt("ledger_accounts", "region_code", e))
            })
            .transpose()?,
        no_overdraft: row.try_get::<i64, _>("no_overdraft")? != 0,
        debits_posted: Fen::new(row.try_get("debits_posted_fen")?),
        credits_posted: Fen::new(row.try_get("credits_posted_fen")?),
    })
}

/// Posts one transfer inside the caller's transaction. A refusal leaves the transaction as it
/// was; the caller rolls back a batch in which any transfer is refused.
pub async fn post(
    tx: &mut Tx,
    transfer: &NewTransfer,
    posted_by: &str,
    posted_at: &str,
) -> Result<std::result::Result<Posted, TransferRefused>> {
    if let Some(refusal) = shape_refusal(transfer) {
        return Ok(Err(refusal));
    }
    if let Some(existing) = transfer_by_id_in(tx, &transfer.id).await? {
        return Ok(same_or_reused(&existing, transfer));
    }
    let (Some(debit), Some(credit)) = (
        account_by_id_in(tx, transfer.debit_account_id).await?,
        account_by_id_in(tx, transfer.credit_account_id).await?,
    ) else {
        let missing = match account_by_id_in(tx, transfer.debit_account_id).await? {
            None => transfer.debit_account_id,
            Some(_) => transfer.credit_account_id,
        };
        return Ok(Err(TransferRefused::UnknownAccount {
            id: transfer.id.clone(),
            account_id: missing,
        }));
    };
    // Locks the head row until commit: transfers get sequence numbers in commit order.
    let seq: i64 = sqlx::query("update ledger_head set seq = seq + 1 where id = 1 returning seq")
        .fetch_one(&mut **tx)
        .await?
        .try_get("seq")?;
    if let Some(existing) = transfer_by_id_in(tx, &transfer.id).await? {
        // Posted by another writer while this one waited for the head.
        return Ok(same_or_reused(&existing, transfer));
    }
    if let Some(refusal) = add_to_caches(tx, transfer, &debit, &credit).await? {
        return Ok(Err(refusal));
    }
    insert_transfer(tx, seq, transfer, posted_by, posted_at).await?;
    add_to_history(tx, &debit, transfer, Side::Debit).await?;
    add_to_history(tx, &credit, transfer, Side::Credit).await?;
    Ok(Ok(Posted::New(seq)))
}

/// Posts transfers in order inside the caller's transaction, with the outcomes of calling
/// [`post`] on each until the first refusal (which is returned; the transfers before it stay
/// posted). When every transfer is new and none is refused — the common case — it takes a
/// handful of statements for the whole batch instead of about fourteen per transfer: posting
/// speed is bound by statements, not by the work each one does.
pub async fn post_all(
    tx: &mut Tx,
    transfers: &[NewTransfer],
    posted_by: &str,
    posted_at: &str,
) -> Result<std::result::Result<Vec<Posted>, TransferRefused>> {
    let mut outcomes = Vec::with_capacity(transfers.len());
    for chunk in transfers.chunks(POST_CHUNK_TRANSFERS) {
        let posted = match post_fast(tx, chunk, posted_by, posted_at).await? {
            Some(posted) => posted,
            // A retry, a refusal or an odd batch: one by one, as the reference path decides.
            None => match post_each(tx, chunk, posted_by, posted_at).await? {
                Ok(posted) => posted,
                Err(refusal) => return Ok(Err(refusal)),
            },
        };
        outcomes.extend(posted);
    }
    Ok(Ok(outcomes))
}

/// Transfers per batch statement: ten values each keeps a statement within SQLite's 32,766
/// bound parameters (PostgreSQL's is 65,535), whatever the size of a day's interest run.
const POST_CHUNK_TRANSFERS: usize = 1_000;

async fn post_each(
    tx: &mut Tx,
    transfers: &[NewTransfer],
    posted_by: &str,
    posted_at: &str,
) -> Result<std::result::Result<Vec<Posted>, TransferRefused>> {
    let mut outcomes = Vec::with_capacity(transfers.len());
    for transfer in transfers {
        match post(tx, transfer, posted_by, posted_at).await? {
            Ok(posted) => outcomes.push(posted),
            Err(refusal) => return Ok(Err(refusal)),
        }
    }
    Ok(Ok(outcomes))
}

/// The batch path: `None`, with the transaction as it was, when any transfer is malformed,
/// already posted, names an unknown account or would overdraw one.
async fn post_fast(
    tx: &mut Tx,
    transfers: &[NewTransfer],
    posted_by: &str,
    posted_at: &str,
) -> Result<Option<Vec<Posted>>> {
    let ids: Vec<&str> = transfers.iter().map(|t| t.id.as_str()).collect();
    let distinct: std::collections::HashSet<&str> = ids.iter().copied().collect();
    if transfers.is_empty()
        || distinct.len() != ids.len()
        || transfers.iter().any(|t| shape_refusal(t).is_some())
        || any_transfer_exists(tx, &ids).await?
    {
        return Ok(None);
    }
    let Some(accounts) = accounts_of(tx, transfers).await? else {
        return Ok(None);
    };
    let count = i64::try_from(transfers.len()).map_err(|e| corrupt("ledger_head", "seq", e))?;
    // Locks the head row until commit: transfers get sequence numbers in commit order.
    let last: i64 = sqlx::query("update ledger_head set seq = seq + $1 where id = 1 returning seq")
        .bind(count)
        .fetch_one(&mut **tx)
        .await?
        .try_get("seq")?;
    // PostgreSQL: another writer may have posted one of them while this one waited for the
    // head. SQLite's write lock is held from the start of the transaction.
    if tx.backend_name() != "SQLite" && any_transfer_exists(tx, &ids).await? {
        give_back_seqs(tx, count).await?;
        return Ok(None);
    }
    if !add_all_to_caches(tx, transfers, &accounts).await? {
        give_back_seqs(tx, count).await?;
        return Ok(None);
    }
    let first = last - count + 1;
    insert_transfers(tx, first, transfers, posted_by, posted_at).await?;
    add_all_to_history(tx, transfers, &accounts).await?;
    Ok(Some((first..=last).map(Posted::New).collect()))
}

async fn any_transfer_exists(tx: &mut Tx, ids: &[&str]) -> Result<bool> {
    let sql = format!(
        "select count(*) as n from ledger_transfers where id in ({})",
        Params::of(tx).list(ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    let found: i64 = query.fetch_one(&mut **tx).await?.try_get("n")?;
    Ok(found > 0)
}

/// The accounts the transfers name, by id; `None` when one does not exist.
async fn accounts_of(
    tx: &mut Tx,
    transfers: &[NewTransfer],
) -> Result<Option<std::collections::HashMap<i64, Account>>> {
    let mut ids: Vec<i64> = transfers
        .iter()
        .flat_map(|t| [t.debit_account_id, t.credit_account_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!(
        "select {ACCOUNT_COLUMNS} from ledger_accounts where id in ({})",
        Params::of(tx).list(ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    let accounts = rows
        .iter()
        .map(|row| account_from_row(row).map(|a| (a.id, a)))
        .collect::<Result<std::collections::HashMap<_, _>>>()?;
    Ok((accounts.len() == ids.len()).then_some(accounts))
}

async fn give_back_seqs(tx: &mut Tx, count: i64) -> Result<()> {
    sqlx::query("update ledger_head set seq = seq - $1 where id = 1")
        .bind(count)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether posting to this side may be refused: only a protected account moved against its
/// normal side.
fn may_overdraw(account: &Account, side: Side) -> bool {
    let against = match side {
        Side::Debit => NormalSide::Credit,
        Side::Credit => NormalSide::Debit,
    };
    account.no_overdraft && account.normal_side == against
}

/// Adds a batch to its accounts' cached totals; false, with nothing changed, when a transfer
/// would overdraw a protected account.
///
/// The sides on an account that the batch may overdraw go in order, one statement each, as
/// whether one is refused depends on those before it. No other side can be refused and their
/// order does not matter: their sums go in one statement at the end, which updates a bank's
/// busy account once a batch instead of once a transfer (on PostgreSQL every update of a row
/// leaves a version that a long import cannot prune before it commits).
async fn add_all_to_caches(
    tx: &mut Tx,
    transfers: &[NewTransfer],
    accounts: &std::collections::HashMap<i64, Account>,
) -> Result<bool> {
    let sides = |t: &NewTransfer| {
        [
            (t.debit_account_id, Side::Debit, t.amount.fen()),
            (t.credit_account_id, Side::Credit, t.amount.fen()),
        ]
    };
    let account = |id: i64| {
        accounts
            .get(&id)
            .ok_or_else(|| corrupt("ledger_accounts", "id", "account vanished"))
    };
    let mut checked = std::collections::HashSet::new();
    for (id, side, _) in transfers.iter().flat_map(sides) {
        if may_overdraw(account(id)?, side) {
            checked.insert(id);
        }
    }
    let mut applied: Vec<(i64, Side, i64)> = Vec::new();
    let mut pooled: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
    for (id, side, amount_fen) in transfers.iter().flat_map(sides) {
        if !checked.contains(&id) {
            let sums = pooled.entry(id).or_default();
            match side {
                Side::Debit => sums.0 += amount_fen,
                Side::Credit => sums.1 += amount_fen,
            }
            continue;
        }
        if may_overdraw(account(id)?, side) {
            if !add_to_side_if_covered(tx, id, side, amount_fen).await? {
                for (id, side, amount_fen) in applied.into_iter().rev() {
                    add_to_side(tx, id, side, -amount_fen).await?;
                }
                return Ok(false);
            }
        } else {
            add_to_side(tx, id, side, amount_fen).await?;
        }
        applied.push((id, side, amount_fen));
    }
    add_sums_to_caches(tx, &pooled).await?;
    Ok(true)
}

/// Adds the sums to the accounts' cached totals, one statement per 1,000 accounts.
async fn add_sums_to_caches(
    tx: &mut Tx,
    sums: &std::collections::BTreeMap<i64, (i64, i64)>,
) -> Result<()> {
    let sums: Vec<(&i64, &(i64, i64))> = sums.iter().collect();
    for chunk in sums.chunks(VALUES_PER_STATEMENT) {
        let sql = format!(
            "update ledger_accounts set \
             debits_posted_fen = debits_posted_fen + v.column2, \
             credits_posted_fen = credits_posted_fen + v.column3 \
             from (values {}) as v where ledger_accounts.id = v.column1",
            Params::of(tx).typed_rows(chunk.len(), &["bigint", "bigint", "bigint"])
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (account_id, (debits_fen, credits_fen)) in chunk {
            query = query
                .bind(**account_id)
                .bind(*debits_fen)
                .bind(*credits_fen);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Adds the amount to one side of an account unless it would take a protected account below
/// zero, atomically even against concurrent writers; false, with nothing changed, when refused.
async fn add_to_side_if_covered(
    tx: &mut Tx,
    account_id: i64,
    side: Side,
    amount_fen: i64,
) -> Result<bool> {
    let sql = match side {
        Side::Debit => {
            "update ledger_accounts set debits_posted_fen = debits_posted_fen + $1 where id = $2 \
             and (no_overdraft = 0 or normal_side = 'debit' or credits_posted_fen - debits_posted_fen >= $1)"
        }
        Side::Credit => {
            "update ledger_accounts set credits_posted_fen = credits_posted_fen + $1 where id = $2 \
             and (no_overdraft = 0 or normal_side = 'credit' or debits_posted_fen - credits_posted_fen >= $1)"
        }
    };
    let updated = sqlx::query(sql)
        .bind(amount_fen)
        .bind(account_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(updated == 1)
}

async fn add_to_side(tx: &mut Tx, account_id: i64, side: Side, amount_fen: i64) -> Result<()> {
    let column = match side {
        Side::Debit => "debits_posted_fen",
        Side::Credit => "credits_posted_fen",
    };
    let sql = format!("update ledger_accounts set {column} = {column} + $1 where id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(amount_fen)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts the transfers with consecutive sequence numbers from `first`, in one statement.
async fn insert_transfers(
    tx: &mut Tx,
    first: i64,
    transfers: &[NewTransfer],
    posted_by: &str,
    posted_at: &str,
) -> Result<()> {
    let sql = format!(
        "insert into ledger_transfers (seq, id, debit_account_id, credit_account_id, amount_fen, \
         value_date, code, memo, posted_by, posted_at) values {}",
        Params::of(tx).rows(transfers.len(), 10)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (seq, transfer) in (first..).zip(transfers) {
        query = query
            .bind(seq)
            .bind(&transfer.id)
            .bind(transfer.debit_account_id)
            .bind(transfer.credit_account_id)
            .bind(transfer.amount.fen())
            .bind(transfer.value_date.to_string())
            .bind(&transfer.code)
            .bind(&transfer.memo)
            .bind(posted_by)
            .bind(posted_at);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Debits and credits to add, per account or bucket, per value date.
type DayDeltas<K> = std::collections::BTreeMap<String, std::collections::BTreeMap<K, (i64, i64)>>;

/// [`add_to_history`] for a whole batch: the net amounts per account and per bucket of each
/// value date. Each day row the batch raises is updated once, whatever the number of value
/// dates in the batch: on PostgreSQL every update of a row leaves a version that a long
/// import cannot prune before it commits, and a bank's day rows are raised by every batch.
async fn add_all_to_history(
    tx: &mut Tx,
    transfers: &[NewTransfer],
    accounts: &std::collections::HashMap<i64, Account>,
) -> Result<()> {
    let mut account_deltas: DayDeltas<i64> = DayDeltas::new();
    let mut bucket_deltas: DayDeltas<(String, String, String)> = DayDeltas::new();
    for transfer in transfers {
        let date = transfer.value_date.to_string();
        let amount = transfer.amount.fen();
        for (account_id, debit, credit) in [
            (transfer.debit_account_id, amount, 0),
            (transfer.credit_account_id, 0, amount),
        ] {
            let account = accounts
                .get(&account_id)
                .ok_or_else(|| corrupt("ledger_accounts", "id", "account vanished"))?;
            let (institution, county) = bucket_of(account);
            let bucket = (account.kind.clone(), institution, county);
            for entry in [
                account_deltas
                    .entry(date.clone())
                    .or_default()
                    .entry(account_id)
                    .or_default(),
                bucket_deltas
                    .entry(date.clone())
                    .or_default()
                    .entry(bucket)
                    .or_default(),
            ] {
                entry.0 += debit;
                entry.1 += credit;
            }
        }
    }
    // Rows first, each with the totals of its last day before, then the amounts.
    for (date, deltas) in &account_deltas {
        open_account_days(tx, date, deltas).await?;
    }
    for (date, deltas) in &bucket_deltas {
        open_bucket_days(tx, date, deltas).await?;
    }
    for chunk in running_totals(&account_deltas).chunks(VALUES_PER_STATEMENT) {
        raise_account_days(tx, chunk).await?;
    }
    for chunk in running_totals(&bucket_deltas).chunks(VALUES_PER_STATEMENT) {
        raise_bucket_days(tx, chunk).await?;
    }
    Ok(())
}

/// Rows of values in one update statement: 7,000 parameters at most, within both engines'
/// limits.
const VALUES_PER_STATEMENT: usize = 1_000;

/// What a batch adds to one key's day rows from `from` (inclusive) to `until` (exclusive; no
/// end when `None`): the debits and credits of the batch's value dates up to `from`.
#[derive(Debug, PartialEq, Eq)]
struct Segment<K> {
    key: K,
    from: String,
    until: Option<String>,
    debits_fen: i64,
    credits_fen: i64,
}

/// The batch's running totals per key, as disjoint date segments: a day row falls in exactly
/// one segment of its key, so one statement raises each row once.
fn running_totals<K: Ord + Clone>(deltas: &DayDeltas<K>) -> Vec<Segment<K>> {
    let mut by_key: std::collections::BTreeMap<&K, Vec<(&String, i64, i64)>> =
        std::collections::BTreeMap::new();
    for (date, amounts) in deltas {
        for (key, (debits, credits)) in amounts {
            by_key
                .entry(key)
                .or_default()
                .push((date, *debits, *credits));
        }
    }
    let mut segments = Vec::new();
    for (key, days) in by_key {
        let (mut debits_fen, mut credits_fen) = (0, 0);
        for (index, (date, debits, credits)) in days.iter().enumerate() {
            debits_fen += debits;
            credits_fen += credits;
            segments.push(Segment {
                key: key.clone(),
                from: (*date).clone(),
                until: days.get(index + 1).map(|(next, _, _)| (*next).clone()),
                debits_fen,
                credits_fen,
            });
        }
    }
    segments
}

/// Opens each account's row of `date` with the totals of its last day before, if it has none.
async fn open_account_days(
    tx: &mut Tx,
    date: &str,
    deltas: &std::collections::BTreeMap<i64, (i64, i64)>,
) -> Result<()> {
    // The date three times (as the new row's, then before each of the two totals), then the
    // accounts: the order their placeholders appear in.
    let mut params = Params::of(tx);
    let mut previous = |column: &str| {
        format!(
            "coalesce((select d.{column} from ledger_account_days d where d.account_id = a.id \
             and d.value_date < {} order by d.value_date desc limit 1), 0)",
            params.one()
        )
    };
    let (debits, credits) = (previous("debits_total_fen"), previous("credits_total_fen"));
    let sql = format!(
        "insert into ledger_account_days (account_id, value_date, debits_total_fen, \
         credits_total_fen) select a.id, cast({} as text), {debits}, {credits} \
         from ledger_accounts a where a.id in ({}) on conflict (account_id, value_date) do nothing",
        params.one(),
        params.list(deltas.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date)
        .bind(date)
        .bind(date);
    for account_id in deltas.keys() {
        query = query.bind(*account_id);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Adds each segment's amounts to its account's day rows within the segment.
async fn raise_account_days(tx: &mut Tx, segments: &[Segment<i64>]) -> Result<()> {
    let sql = format!(
        "update ledger_account_days set \
         debits_total_fen = debits_total_fen + v.column4, \
         credits_total_fen = credits_total_fen + v.column5 \
         from (values {}) as v \
         where ledger_account_days.account_id = v.column1 \
         and ledger_account_days.value_date >= v.column2 \
         and (v.column3 is null or ledger_account_days.value_date < v.column3)",
        Params::of(tx).typed_rows(
            segments.len(),
            &["bigint", "text", "text", "bigint", "bigint"]
        )
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for segment in segments {
        query = query
            .bind(segment.key)
            .bind(&segment.from)
            .bind(&segment.until)
            .bind(segment.debits_fen)
            .bind(segment.credits_fen);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// [`open_account_days`] for roll-up buckets (kind, institution, county).
async fn open_bucket_days(
    tx: &mut Tx,
    date: &str,
    deltas: &std::collections::BTreeMap<(String, String, String), (i64, i64)>,
) -> Result<()> {
    // The date three times (as the new row's, then before each of the two totals), then per
    // bucket its kind, institution and county: the order their placeholders appear in.
    let mut params = Params::of(tx);
    let mut previous = |column: &str| {
        format!(
            "coalesce((select d.{column} from ledger_bucket_days d where d.kind = b.kind \
             and d.institution_code = b.institution_code and d.county_code = b.county_code \
             and d.value_date < {} order by d.value_date desc limit 1), 0)",
            params.one()
        )
    };
    let (debits, credits) = (previous("debits_total_fen"), previous("credits_total_fen"));
    let date_placeholder = params.one();
    let buckets: Vec<String> = (0..deltas.len())
        .map(|_| {
            format!(
                "select cast({} as text) as kind, cast({} as text) as institution_code, \
                 cast({} as text) as county_code",
                params.one(),
                params.one(),
                params.one()
            )
        })
        .collect();
    let sql = format!(
        "insert into ledger_bucket_days (kind, institution_code, county_code, value_date, \
         debits_total_fen, credits_total_fen) \
         select b.kind, b.institution_code, b.county_code, cast({date_placeholder} as text), \
         {debits}, {credits} from ({}) b where true \
         on conflict (kind, institution_code, county_code, value_date) do nothing",
        buckets.join(" union all ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date)
        .bind(date)
        .bind(date);
    for (kind, institution, county) in deltas.keys() {
        query = query.bind(kind).bind(institution).bind(county);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// [`raise_account_days`] for roll-up buckets.
async fn raise_bucket_days(
    tx: &mut Tx,
    segments: &[Segment<(String, String, String)>],
) -> Result<()> {
    let sql = format!(
        "update ledger_bucket_days set \
         debits_total_fen = debits_total_fen + v.column6, \
         credits_total_fen = credits_total_fen + v.column7 \
         from (values {}) as v \
         where ledger_bucket_days.kind = v.column1 \
         and ledger_bucket_days.institution_code = v.column2 \
         and ledger_bucket_days.county_code = v.column3 \
         and ledger_bucket_days.value_date >= v.column4 \
         and (v.column5 is null or ledger_bucket_days.value_date < v.column5)",
        Params::of(tx).typed_rows(
            segments.len(),
            &["text", "text", "text", "text", "text", "bigint", "bigint"]
        )
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for segment in segments {
        let (kind, institution, county) = &segment.key;
        query = query
            .bind(kind)
            .bind(institution)
            .bind(county)
            .bind(&segment.from)
            .bind(&segment.until)
            .bind(segment.debits_fen)
            .bind(segment.credits_fen);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

fn shape_refusal(transfer: &NewTransfer) -> Option<TransferRefused> {
    if !transfer.amount.is_positive() {
        return Some(TransferRefused::NotPositive {
            id: transfer.id.clone(),
            amount: transfer.amount,
        });
    }
    if transfer.debit_account_id == transfer.credit_account_id {
        return Some(TransferRefused::SameAccount {
            id: transfer.id.clone(),
        });
    }
    None
}

fn same_or_reused(
    existing: &Transfer,
    transfer: &NewTransfer,
) -> std::result::Result<Posted, TransferRefused> {
    match &existing.transfer == transfer {
        true => Ok(Posted::AlreadyPosted(existing.seq)),
        false => Err(TransferRefused::IdReused {
            id: transfer.id.clone(),
        }),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Debit,
    Credit,
}

/// Adds the amount to both accounts' cached totals; the conditional update refuses an
/// overdraft atomically, even against concurrent writers.
async fn add_to_caches(
    tx: &mut Tx,
    transfer: &NewTransfer,
    debit: &Account,
    credit: &Account,
) -> Result<Option<TransferRefused>> {
    let amount_fen = transfer.amount.fen();
    if !add_to_side_if_covered(tx, debit.id, Side::Debit, amount_fen).await? {
        return Ok(Some(overdraft(tx, transfer, debit.id).await?));
    }
    if !add_to_side_if_covered(tx, credit.id, Side::Credit, amount_fen).await? {
        // Undo the debit so that the caller's transaction is as before this transfer.
        add_to_side(tx, debit.id, Side::Debit, -amount_fen).await?;
        return Ok(Some(overdraft(tx, transfer, credit.id).await?));
    }
    Ok(None)
}

async fn overdraft(
    tx: &mut Tx,
    transfer: &NewTransfer,
    account_id: i64,
) -> Result<TransferRefused> {
    let account = account_by_id_in(tx, account_id)
        .await?
        .ok_or_else(|| corrupt("ledger_accounts", "id", "account vanished"))?;
    Ok(TransferRefused::Overdraft {
        id: transfer.id.clone(),
        account: account.code.clone(),
        balance: account.balance(),
        amount: transfer.amount,
    })
}

async fn insert_transfer(
    tx: &mut Tx,
    seq: i64,
    transfer: &NewTransfer,
    posted_by: &str,
    posted_at: &str,
) -> Result<()> {
    sqlx::query(
        "insert into ledger_transfers (seq, id, debit_account_id, credit_account_id, amount_fen, \
         value_date, code, memo, posted_by, posted_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(&transfer.id)
    .bind(transfer.debit_account_id)
    .bind(transfer.credit_account_id)
    .bind(transfer.amount.fen())
    .bind(transfer.value_date.to_string())
    .bind(&transfer.code)
    .bind(&transfer.memo)
    .bind(posted_by)
    .bind(posted_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds the transfer to the account's and its bucket's cumulative day totals from its value
/// date onwards (a back-dated transfer raises every later day too).
async fn add_to_history(
    tx: &mut Tx,
    account: &Account,
    transfer: &NewTransfer,
    side: Side,
) -> Result<()> {
    let date = transfer.value_date.to_string();
    let column = match side {
        Side::Debit => "debits_total_fen",
        Side::Credit => "credits_total_fen",
    };
    sqlx::query(
        "insert into ledger_account_days (account_id, value_date, debits_total_fen, credits_total_fen) \
         select $1, $2, coalesce(max(debits_total_fen), 0), coalesce(max(credits_total_fen), 0) \
         from ledger_account_days where account_id = $1 and value_date = \
         (select max(value_date) from ledger_account_days where account_id = $1 and value_date < $2) \
         on conflict (account_id, value_date) do nothing",
    )
    .bind(account.id)
    .bind(&date)
    .execute(&mut **tx)
    .await?;
    let sql = format!(
        "update ledger_account_days set {column} = {column} + $1 where account_id = $2 and value_date >= $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(transfer.amount.fen())
        .bind(account.id)
        .bind(&date)
        .execute(&mut **tx)
        .await?;
    let (institution, county) = bucket_of(account);
    sqlx::query(
        "insert into ledger_bucket_days (kind, institution_code, county_code, value_date, \
         debits_total_fen, credits_total_fen) \
         select $1, $2, $3, $4, coalesce(max(debits_total_fen), 0), coalesce(max(credits_total_fen), 0) \
         from ledger_bucket_days where kind = $1 and institution_code = $2 and county_code = $3 \
         and value_date = (select max(value_date) from ledger_bucket_days where kind = $1 \
         and institution_code = $2 and county_code = $3 and value_date < $4) \
         on conflict (kind, institution_code, county_code, value_date) do nothing",
    )
    .bind(&account.kind)
    .bind(&institution)
    .bind(&county)
    .bind(&date)
    .execute(&mut **tx)
    .await?;
    let sql = format!(
        "update ledger_bucket_days set {column} = {column} + $1 where kind = $2 and \
         institution_code = $3 and county_code = $4 and value_date >= $5"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(transfer.amount.fen())
        .bind(&account.kind)
        .bind(&institution)
        .bind(&county)
        .bind(&date)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The roll-up bucket of an account: its institution and its county ('' when it has none).
fn bucket_of(account: &Account) -> (String, String) {
    let county = account
        .region_code
        .and_then(|code| code.ancestor_at(RegionLevel::County))
        .map(|code| code.to_string())
        .unwrap_or_default();
    (account.institution_code.clone().unwrap_or_default(), county)
}

const TRANSFER_COLUMNS: &str = "seq, id, debit_account_id, credit_account_id, amount_fen, \
    value_date, code, memo, posted_by, posted_at";

async fn transfer_by_id_in(tx: &mut Tx, id: &str) -> Result<Option<Transfer>> {
    let sql = format!("select {TRANSFER_COLUMNS} from ledger_transfers where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(transfer_from_row).transpose()
}

fn transfer_from_row(row: &AnyRow) -> Result<Transfer> {
    let amount = Fen::new(row.try_get("amount_fen")?);
    // Paired assertion: what was checked before writing is checked again after reading.
    if !amount.is_positive() {
        return Err(corrupt("ledger_transfers", "amount_fen", "not positive"));
    }
    Ok(Transfer {
        seq: row.try_get("seq")?,
        transfer: NewTransfer {
            id: row.try_get("id")?,
            debit_account_id: row.try_get("debit_account_id")?,
            credit_account_id: row.try_get("credit_account_id")?,
            amount,
            value_date: crate::regions::date_column(row, "ledger_transfers", "value_date")?
                .ok_or_else(|| corrupt("ledger_transfers", "value_date", "null"))?,
            code: row.try_get("code")?,
            memo: row.try_get("memo")?,
        },
        posted_by: row.try_get("posted_by")?,
        posted_at: row.try_get("posted_at")?,
    })
}

/// The sum of the transfers whose id starts with `prefix` (ids are namespaced by the command
/// that posted them, e.g. `writeoff:<institution>:<contract>:`).
pub async fn sum_of_transfers_with_prefix(tx: &mut Tx, prefix: &str) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from ledger_transfers \
         where id like $1",
    )
    .bind(format!("{prefix}%"))
    .fetch_one(&mut **tx)
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

/// The transfers of an account, in posting order, at most `limit`.
pub async fn transfers_of(db: &Db, account_id: i64, limit: i64) -> Result<Vec<Transfer>> {
    let sql = format!(
        "select {TRANSFER_COLUMNS} from ledger_transfers where debit_account_id = $1 \
         or credit_account_id = $1 order by seq limit $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(transfer_from_row).collect()
}

/// An account's totals at the end of `date`.
pub async fn totals_as_of(db: &Db, account_id: i64, date: BusinessDate) -> Result<Totals> {
    let row = sqlx::query(
        "select debits_total_fen, credits_total_fen from ledger_account_days \
         where account_id = $1 and value_date <= $2 order by value_date desc limit 1",
    )
    .bind(account_id)
    .bind(date.to_string())
    .fetch_optional(db.pool())
    .await?;
    totals_from(row.as_ref())
}

/// An account's totals at the end of `date`, inside a transaction.
pub async fn totals_as_of_in(tx: &mut Tx, account_id: i64, date: BusinessDate) -> Result<Totals> {
    let row = sqlx::query(
        "select debits_total_fen, credits_total_fen from ledger_account_days \
         where account_id = $1 and value_date <= $2 order by value_date desc limit 1",
    )
    .bind(account_id)
    .bind(date.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    totals_from(row.as_ref())
}

/// Day totals of an account with value dates in `[from, to]`, in date order.
pub async fn account_days(
    db: &Db,
    account_id: i64,
    from: BusinessDate,
    to: BusinessDate,
) -> Result<Vec<(BusinessDate, Totals)>> {
    let rows = sqlx::query(
        "select value_date, debits_total_fen, credits_total_fen from ledger_account_days \
         where account_id = $1 and value_date >= $2 and value_date <= $3 order by value_date",
    )
    .bind(account_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let date = crate::regions::date_column(row, "ledger_account_days", "value_date")?
                .ok_or_else(|| corrupt("ledger_account_days", "value_date", "null"))?;
            Ok((date, totals_from(Some(row))?))
        })
        .collect()
}

/// Totals of every account whose kind matches `kind_pattern` (SQL `LIKE`: `loan_principal:%`
/// for every loan category), optionally of one institution, in counties whose code starts with
/// `county_prefix` (e.g. `361128` or `3611`), at the end of `date`.
pub async fn kind_totals_as_of(
    db: &Db,
    kind_pattern: &str,
    institution_code: Option<&str>,
    county_prefix: &str,
    date: BusinessDate,
) -> Result<Totals> {
    let row = sqlx::query(KIND_TOTALS_SQL)
        .bind(kind_pattern)
        .bind(institution_code.unwrap_or(""))
        .bind(format!("{county_prefix}%"))
        .bind(date.to_string())
        .bind(county_prefix)
        .bind(prefix_end(county_prefix))
        .fetch_one(db.pool())
        .await?;
    totals_from(Some(&row))
}

/// [`kind_totals_as_of`] inside a transaction (sees its own uncommitted transfers).
pub async fn kind_totals_as_of_in(
    tx: &mut Tx,
    kind_pattern: &str,
    institution_code: Option<&str>,
    county_prefix: &str,
    date: BusinessDate,
) -> Result<Totals> {
    let row = sqlx::query(KIND_TOTALS_SQL)
        .bind(kind_pattern)
        .bind(institution_code.unwrap_or(""))
        .bind(format!("{county_prefix}%"))
        .bind(date.to_string())
        .bind(county_prefix)
        .bind(prefix_end(county_prefix))
        .fetch_one(&mut **tx)
        .await?;
    totals_from(Some(&row))
}

/// Sums, over the buckets matching kind, institution and county prefix, each bucket's latest
/// day totals on or before a date.
const KIND_TOTALS_SQL: &str = "select cast(coalesce(sum(d.debits_total_fen), 0) as bigint) as debits_total_fen, \
     cast(coalesce(sum(d.credits_total_fen), 0) as bigint) as credits_total_fen \
     from ledger_bucket_days d join ( \
         select kind, institution_code, county_code, max(value_date) as last_date \
         from ledger_bucket_days where kind like $1 and ($2 = '' or institution_code = $2) \
         and county_code like $3 and value_date <= $4 \
         and county_code >= $5 and county_code < $6 \
         group by kind, institution_code, county_code) last \
     on d.kind = last.kind and d.institution_code = last.institution_code \
     and d.county_code = last.county_code and d.value_date = last.last_date";

/// The first code after every code that starts with `prefix` (codes are digits), so that
/// `code >= prefix and code < end` selects them with an index, which `like` cannot use.
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_string();
    match end.pop() {
        Some(last) if last < '9' => end.push(char::from(last as u8 + 1)),
        // "…9" or "": past every digit.
        Some(_) | None => {
            end = prefix.to_string();
            end.push('~');
        }
    }
    end
}

fn totals_from(row: Option<&AnyRow>) -> Result<Totals> {
    match row {
        None => Ok(Totals::default()),
        Some(row) => Ok(Totals {
            debits: Fen::new(row.try_get("debits_total_fen")?),
            credits: Fen::new(row.try_get("credits_total_fen")?),
        }),
    }
}

/// A difference `check` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What was compared, e.g. `account loan:…:principal cached totals`.
    pub what: String,
    pub stored: Totals,
    pub recomputed: Totals,
}

/// The result of recomputing every cache from the transfers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerCheck {
    pub accounts: i64,
    pub transfers: i64,
    /// Sum of all debits and of all credits over every account's cache.
    pub debits_total: Fen,
    pub credits_total: Fen,
    /// The first [`MISMATCHES_LISTED`] differences, in the order of the check.
    pub mismatches: Vec<Mismatch>,
    /// Differences found beyond those listed.
    pub mismatches_unlisted: i64,
    /// Accounts that may not be overdrawn but are.
    pub overdrawn: Vec<String>,
}

impl LedgerCheck {
    pub fn is_clean(&self) -> bool {
        self.mismatches.is_empty()
            && self.mismatches_unlisted == 0
            && self.overdrawn.is_empty()
            && self.debits_total == self.credits_total
    }

    fn push(&mut self, mismatch: Mismatch) {
        if self.mismatches.len() < MISMATCHES_LISTED {
            self.mismatches.push(mismatch);
        } else {
            self.mismatches_unlisted += 1;
        }
    }
}

/// Mismatches a report lists; beyond this it only counts them, so that a check of a wholly
/// corrupt ledger of millions of rows still fits in memory and on a screen.
pub const MISMATCHES_LISTED: usize = 1_000;

/// Accounts checked per statement. A page returns each account's days and transfers grouped by
/// value date, so its size follows the page, never the ledger.
const ACCOUNTS_PER_PAGE: i64 = 2_000;

/// Recomputes every cached total, day total and bucket total from the transfers and reports
/// each difference; also checks that debits equal credits and no protected account is
/// overdrawn.
///
/// Each total is recomputed once, as a running sum over the transfers grouped by value date (in
/// pages of accounts, and in one pass for the buckets): the cost follows the number of
/// transfers, not transfers × days. Every statement reads one snapshot of the database.
pub async fn check(db: &Db) -> Result<LedgerCheck> {
    let mut tx = db.pool().begin().await?;
    if db.engine() == Engine::Postgres {
        // SQLite's read transaction is one snapshot already; PostgreSQL's default is one per
        // statement, and a posting committed between two pages would show as a mismatch.
        sqlx::query("set transaction isolation level repeatable read, read only")
            .execute(&mut *tx)
            .await?;
    }
    let mut report = LedgerCheck::default();
    check_accounts(&mut tx, &mut report).await?;
    check_buckets(&mut tx, &mut report).await?;
    let row = sqlx::query("select count(*) as n from ledger_transfers")
        .fetch_one(&mut *tx)
        .await?;
    report.transfers = row.try_get("n")?;
    tx.rollback().await?;
    Ok(report)
}

type ReadTx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// One key's (an account's or a bucket's) stored row of a value date, if any, beside the sums
/// of the transfers of that date.
struct Day {
    value_date: String,
    stored: Option<Totals>,
    moved: Totals,
}

impl Day {
    fn from_row(row: &AnyRow) -> Result<Day> {
        let stored = match row.try_get::<i64, _>("stored")? {
            0 => None,
            _ => Some(totals_pair(row, "stored_debits_fen", "stored_credits_fen")?),
        };
        Ok(Day {
            value_date: row.try_get("value_date")?,
            stored,
            moved: totals_pair(row, "debits_fen", "credits_fen")?,
        })
    }
}

/// One key's (an account's or a bucket's) days walked in date order, keeping the running
/// totals of its transfers.
#[derive(Default)]
struct Walk {
    running: Totals,
    last_stored: Totals,
}

impl Walk {
    /// Reports the day if its stored totals differ from the running ones, or if transfers
    /// were posted on a date that has no stored day (a balance as of that date would read the
    /// day before's).
    fn step(&mut self, what: &str, day: &Day, report: &mut LedgerCheck) -> Result<()> {
        self.running = self.running.plus(day.moved).ok_or_else(overflow)?;
        let stored = day.stored.unwrap_or(self.last_stored);
        if day.stored.is_none() || stored != self.running {
            let label = match day.stored {
                Some(_) => format!("totals at the end of {}", day.value_date),
                None => format!(
                    "no totals for {}, where transfers were posted",
                    day.value_date
                ),
            };
            report.push(Mismatch {
                what: format!("{what}: {label}"),
                stored,
                recomputed: self.running,
            });
        }
        self.last_stored = stored;
        Ok(())
    }
}

/// Every account's cached totals and day totals, a page of accounts at a time.
async fn check_accounts(tx: &mut ReadTx<'_>, report: &mut LedgerCheck) -> Result<()> {
    let (mut debits_total, mut credits_total) = (0i64, 0i64);
    let mut after_id = 0i64;
    loop {
        let accounts = sqlx::query(
            "select id, code, normal_side, no_overdraft, debits_posted_fen, credits_posted_fen \
             from ledger_accounts where id > $1 order by id limit $2",
        )
        .bind(after_id)
        .bind(ACCOUNTS_PER_PAGE)
        .fetch_all(&mut **tx)
        .await?;
        let (Some(first), Some(last)) = (accounts.first(), accounts.last()) else {
            break;
        };
        let (first_id, last_id): (i64, i64) = (first.try_get("id")?, last.try_get("id")?);
        let days = account_days_between(tx, first_id, last_id).await?;
        let mut days = days.iter().peekable();
        for row in &accounts {
            let id: i64 = row.try_get("id")?;
            let code: String = row.try_get("code")?;
            let what = format!("account {code}");
            let mut walk = Walk::default();
            while let Some((_, day)) = days.next_if(|(account_id, _)| *account_id == id) {
                walk.step(&what, day, report)?;
            }
            let recomputed = walk.running;
            let stored = totals_pair(row, "debits_posted_fen", "credits_posted_fen")?;
            if stored != recomputed {
                report.push(Mismatch {
                    what: format!("account {code}: cached totals"),
                    stored,
                    recomputed,
                });
            }
            debits_total = debits_total
                .checked_add(stored.debits.fen())
                .ok_or_else(overflow)?;
            credits_total = credits_total
                .checked_add(stored.credits.fen())
                .ok_or_else(overflow)?;
            let side = NormalSide::parse(&row.try_get::<String, _>("normal_side")?)?;
            if row.try_get::<i64, _>("no_overdraft")? != 0 && stored.balance(side).is_negative() {
                report.overdrawn.push(code);
            }
            report.accounts += 1;
        }
        // Every id of the range is an account of the page, and days reference accounts: a day
        // left over is of no account at all.
        if let Some((account_id, day)) = days.next() {
            return Err(corrupt(
                "ledger_account_days",
                "account_id",
                format!("{account_id} on {}: no such account", day.value_date),
            ));
        }
        after_id = last_id;
    }
    report.debits_total = Fen::new(debits_total);
    report.credits_total = Fen::new(credits_total);
    Ok(())
}

/// The stored days of the accounts with ids from `first_id` to `last_id`, beside the sums of
/// their transfers, per account and value date in order.
async fn account_days_between(
    tx: &mut ReadTx<'_>,
    first_id: i64,
    last_id: i64,
) -> Result<Vec<(i64, Day)>> {
    let rows = sqlx::query(
        "select account_id, value_date, cast(max(stored) as bigint) as stored, \
         cast(sum(stored_debits_fen) as bigint) as stored_debits_fen, \
         cast(sum(stored_credits_fen) as bigint) as stored_credits_fen, \
         cast(sum(debits_fen) as bigint) as debits_fen, \
         cast(sum(credits_fen) as bigint) as credits_fen \
         from (select account_id, value_date, 1 as stored, debits_total_fen as stored_debits_fen, \
               credits_total_fen as stored_credits_fen, 0 as debits_fen, 0 as credits_fen \
               from ledger_account_days where account_id between $1 and $2 \
             union all select debit_account_id, value_date, 0, 0, 0, amount_fen, 0 \
               from ledger_transfers where debit_account_id between $1 and $2 \
             union all select credit_account_id, value_date, 0, 0, 0, 0, amount_fen \
               from ledger_transfers where credit_account_id between $1 and $2) days \
         group by account_id, value_date order by account_id, value_date",
    )
    .bind(first_id)
    .bind(last_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("account_id")?, Day::from_row(row)?)))
        .collect()
}

/// Every bucket's day totals, in one pass over the transfers whose rows are read as they come:
/// the buckets' days are as many as kinds × institutions × counties × days, however many
/// accounts there are.
async fn check_buckets(tx: &mut ReadTx<'_>, report: &mut LedgerCheck) -> Result<()> {
    let side = |account: &str, debits: &str, credits: &str| {
        format!(
            "select a.kind, coalesce(a.institution_code, ''), {BUCKET_COUNTY}, t.value_date, \
             0, 0, 0, {debits}, {credits} from ledger_transfers t \
             join ledger_accounts a on a.id = t.{account}"
        )
    };
    let sql = format!(
        "select kind, institution_code, county_code, value_date, \
         cast(max(stored) as bigint) as stored, \
         cast(sum(stored_debits_fen) as bigint) as stored_debits_fen, \
         cast(sum(stored_credits_fen) as bigint) as stored_credits_fen, \
         cast(sum(debits_fen) as bigint) as debits_fen, \
         cast(sum(credits_fen) as bigint) as credits_fen \
         from (select kind, institution_code, county_code, value_date, 1 as stored, \
               debits_total_fen as stored_debits_fen, credits_total_fen as stored_credits_fen, \
               0 as debits_fen, 0 as credits_fen from ledger_bucket_days \
             union all {} union all {}) days \
         group by kind, institution_code, county_code, value_date \
         order by kind, institution_code, county_code, value_date",
        side("debit_account_id", "t.amount_fen", "0"),
        side("credit_account_id", "0", "t.amount_fen"),
    );
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut **tx);
    let (mut what, mut walk) = (String::new(), Walk::default());
    while let Some(row) = rows.try_next().await? {
        let (kind, institution, county): (String, String, String) = (
            row.try_get("kind")?,
            row.try_get("institution_code")?,
            row.try_get("county_code")?,
        );
        let bucket = format!("bucket {kind}/{institution}/{county}");
        if bucket != what {
            (what, walk) = (bucket, Walk::default());
        }
        walk.step(&what, &Day::from_row(&row)?, report)?;
    }
    Ok(())
}

/// An account's county as [`bucket_of`] gives it, in SQL: the first six digits of a region at
/// or below a county, padded to twelve; '' for none.
const BUCKET_COUNTY: &str = "case when substr(a.region_code, 5, 2) <> '00' \
    then substr(a.region_code, 1, 6) || '000000' else '' end";

fn overflow() -> StoreError {
    corrupt("ledger_accounts", "debits_posted_fen", "totals overflow")
}

fn totals_pair(row: &AnyRow, debits: &str, credits: &str) -> Result<Totals> {
    Ok(Totals {
        debits: Fen::new(row.try_get(debits)?),
        credits: Fen::new(row.try_get(credits)?),
    })
}

#[cfg(test)]
mod tests {
    use super::{
        DayDeltas, LedgerCheck, MISMATCHES_LISTED, Mismatch, Segment, Totals, prefix_end,
        running_totals,
    };

    fn segment(
        key: i64,
        from: &str,
        until: Option<&str>,
        debits: i64,
        credits: i64,
    ) -> Segment<i64> {
        Segment {
            key,
            from: from.to_string(),
            until: until.map(str::to_string),
            debits_fen: debits,
            credits_fen: credits,
        }
    }

    #[test]
    fn running_totals_cover_each_later_day_once_with_everything_up_to_it() {
        let mut deltas: DayDeltas<i64> = DayDeltas::new();
        for (date, key, debits, credits) in [
            ("2017-01-03", 7, 100, 0),
            ("2017-01-01", 7, 5, 1),
            ("2017-01-02", 9, 0, 40),
            ("2017-01-03", 9, 2, 0),
        ] {
            deltas
                .entry(date.to_string())
                .or_default()
                .insert(key, (debits, credits));
        }
        assert_eq!(
            running_totals(&deltas),
            vec![
                segment(7, "2017-01-01", Some("2017-01-03"), 5, 1),
                segment(7, "2017-01-03", None, 105, 1),
                segment(9, "2017-01-02", Some("2017-01-03"), 0, 40),
                segment(9, "2017-01-03", None, 2, 40),
            ]
        );
        assert!(running_totals(&DayDeltas::<i64>::new()).is_empty());
    }

    #[test]
    fn prefix_end_is_just_past_every_code_with_the_prefix() {
        for (prefix, end) in [
            ("3611", "3612"),
            ("361129", "361129~"),
            ("", "~"),
            ("36", "37"),
        ] {
            assert_eq!(prefix_end(prefix), end, "{prefix}");
            let inside = format!("{prefix}000000");
            assert!(inside.as_str() >= prefix && inside.as_str() < end);
        }
        assert!("361130000000" >= prefix_end("361129").as_str());
    }

    #[test]
    fn a_report_lists_the_first_mismatches_and_counts_the_rest() {
        let mut report = LedgerCheck::default();
        for n in 0..MISMATCHES_LISTED + 7 {
            report.push(Mismatch {
                what: format!("account {n}"),
                stored: Totals::default(),
                recomputed: Totals::default(),
            });
        }
        assert_eq!(report.mismatches.len(), MISMATCHES_LISTED);
        assert_eq!(report.mismatches[0].what, "account 0");
        assert_eq!(report.mismatches_unlisted, 7);
        assert!(!report.is_clean());
        report.mismatches.clear();
        assert!(
            !report.is_clean(),
            "unlisted mismatches still make it unclean"
        );
    }
}
