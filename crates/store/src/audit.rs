//! The audit trail: an append-only, hash-chained record of every write.
//!
//! Each record's hash covers its fields and the previous record's hash, so editing or deleting
//! a record breaks the chain at that point. Appends lock the single `audit_head` row first,
//! which serialises them on both engines.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::{Db, Tx};
use crate::error::Result;
use crate::filter::Conditions;

/// What happened, by whom, to what; appended in the same transaction as the change itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEntry {
    /// When, as an RFC 3339 instant supplied by the edge (the store never reads the clock).
    pub at: String,
    /// Who: a user name, or `cli:<os user>` for the command line.
    pub actor: String,
    /// What: a verb such as `region.upsert`, `household.read_id`.
    pub action: String,
    /// Kind of the thing changed or read.
    pub entity: String,
    /// Its key.
    pub entity_id: String,
    /// JSON of the thing before, when it existed.
    pub before_json: Option<String>,
    /// JSON of the thing after, when it still exists.
    pub after_json: Option<String>,
    /// The HTTP request or CLI invocation this came from.
    pub request_id: Option<String>,
}

/// A stored record: the entry with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Appends one entry and returns its sequence number.
pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<i64> {
    let seq = append_all(tx, std::slice::from_ref(entry)).await?;
    seq.ok_or_else(|| crate::error::corrupt("audit_head", "seq", "no number for an entry"))
}

/// Appends entries with one head update and multi-row inserts: the chain is the same as
/// appending them one by one. Returns the last one's sequence number (`None` for none).
pub async fn append_all(tx: &mut Tx, entries: &[AuditEntry]) -> Result<Option<i64>> {
    if entries.is_empty() {
        return Ok(None);
    }
    let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    // The UPDATE takes the head row's lock until commit: concurrent appenders queue here.
    let head = sqlx::query("update audit_head set seq = seq + $1 where id = 1 returning seq, hash")
        .bind(count)
        .fetch_one(&mut **tx)
        .await?;
    let last_seq: i64 = head.try_get("seq")?;
    let mut prev_hash: String = head.try_get("hash")?;
    let mut records = Vec::with_capacity(entries.len());
    for (seq, entry) in (last_seq - count + 1..).zip(entries) {
        let hash = chain_hash(seq, &prev_hash, entry);
        records.push((
            seq,
            entry,
            std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        ));
    }
    for chunk in records.chunks(crate::sql::rows_per_insert(11)) {
        let sql = format!(
            "insert into audit_log (seq, at, actor, action, entity, entity_id, before_json, \
             after_json, request_id, prev_hash, hash) values {}",
            crate::sql::Params::of(tx).rows(chunk.len(), 11)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (seq, entry, prev, hash) in chunk {
            query = query
                .bind(*seq)
                .bind(&entry.at)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.entity)
                .bind(&entry.entity_id)
                .bind(&entry.before_json)
                .bind(&entry.after_json)
                .bind(&entry.request_id)
                .bind(prev)
                .bind(hash);
        }
        query.execute(&mut **tx).await?;
    }
    sqlx::query("update audit_head set hash = $1 where id = 1")
        .bind(&prev_hash)
        .execute(&mut **tx)
        .await?;
    let actions = entries.iter().map(|entry| entry.action.as_str());
    crate::data_versions::bump(tx, actions, last_seq).await?;
    Ok(Some(last_seq))
}

/// The hash of a record: SHA-256 over its sequence, the previous hash and each field, every
/// field prefixed with its length so that no two different records serialise alike.
pub fn chain_hash(seq: i64, prev_hash: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    let fields: [Option<&str>; 9] = [
        Some(prev_hash),
        Some(&entry.at),
        Some(&entry.actor),
        Some(&entry.action),
        Some(&entry.entity),
        Some(&entry.entity_id),
        entry.before_json.as_deref(),
        entry.after_json.as_deref(),
        entry.request_id.as_deref(),
    ];
    hasher.update(seq.to_be_bytes());
    for field in fields {
        match field {
            None => hasher.update([0u8]),
            Some(text) => {
                hasher.update([1u8]);
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
        }
    }
    hex::encode(hasher.finalize())
}

/// What `verify` found wrong, naming the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditProblem {
    /// The record's content no longer matches its hash: it was edited.
    Altered { seq: i64 },
    /// The record does not follow its predecessor: one before it was removed or replaced.
    BrokenLink { seq: i64 },
    /// Sequence numbers jump: records in between were deleted.
    Missing { from_seq: i64, to_seq: i64 },
    /// The head does not point at the last record: records at the end were deleted.
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditProblem::Altered { seq } => write!(f, "record {seq} was altered"),
            AuditProblem::BrokenLink { seq } => {
                write!(f, "record {seq} does not follow the record before it")
            }
            AuditProblem::Missing { from_seq, to_seq } => {
                write!(f, "records {from_seq} to {to_seq} are missing")
            }
            AuditProblem::HeadMismatch { head_seq, last_seq } => write!(
                f,
                "the chain head is at record {head_seq} but the last record is {last_seq}"
            ),
        }
    }
}

/// Outcome of a full verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    pub records: i64,
    pub problems: Vec<AuditProblem>,
}

/// Rows read per batch while verifying, so memory stays flat on a long chain.
const VERIFY_BATCH: i64 = 10_000;

/// Walks the whole chain and reports every record that does not verify.
pub async fn verify(db: &Db) -> Result<AuditReport> {
    let mut problems = Vec::new();
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut records = 0i64;
    loop {
        let batch = read_batch(db, expected_seq - 1).await?;
        if batch.is_empty() {
            break;
        }
        for record in batch {
            records += 1;
            if record.seq != expected_seq {
                problems.push(AuditProblem::Missing {
                    from_seq: expected_seq,
                    to_seq: record.seq - 1,
                });
            }
            if chain_hash(record.seq, &record.prev_hash, &record.entry) != record.hash {
                problems.push(AuditProblem::Altered { seq: record.seq });
            } else if record.prev_hash != prev_hash {
                problems.push(AuditProblem::BrokenLink { seq: record.seq });
            }
            prev_hash = record.hash;
            expected_seq = record.seq + 1;
        }
    }
    let head = sqlx::query("select seq, hash from audit_head where id = 1")
        .fetch_one(db.pool())
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    if head_seq != expected_seq - 1 || head_hash != prev_hash {
        problems.push(AuditProblem::HeadMismatch {
            head_seq,
            last_seq: expected_seq - 1,
        });
    }
    Ok(AuditReport { records, problems })
}

/// The hash before the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

async fn read_batch(db: &Db, after_seq: i64) -> Result<Vec<AuditRecord>> {
    let rows = sqlx::query(
        "select seq, at, actor, action, entity, entity_id, before_json, after_json, request_id, \
         prev_hash, hash from audit_log where seq > $1 order by seq limit $2",
    )
    .bind(after_seq)
    .bind(VERIFY_BATCH)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(record_from_row).collect()
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        entry: AuditEntry {
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            entity: row.try_get("entity")?,
            entity_id: row.try_get("entity_id")?,
            before_json: row.try_get("before_json")?,
            after_json: row.try_get("after_json")?,
            request_id: row.try_get("request_id")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The most recent records, newest first, for display.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<AuditRecord>> {
    let rows = sqlx::query(
        "select seq, at, actor, action, entity, entity_id, before_json, after_json, request_id, \
         prev_hash, hash from audit_log order by seq desc limit $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(record_from_row).collect()
}

/// Which records a search returns, newest first: every field narrows.
#[derive(Clone, Debug, Default)]
pub struct AuditSearch {
    /// Records before this sequence number (the next page of a listing).
    pub before: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// The kind of thing (`household`) or its key (`H1`).
    pub entity: Option<String>,
    /// Records at or after this instant (RFC 3339 UTC text, or a prefix of one).
    pub from_at: Option<String>,
    /// Records before this instant.
    pub until_at: Option<String>,
    pub limit: i64,
}

/// Records matching `search`, newest first, at most its limit.
pub async fn search(db: &Db, search: &AuditSearch) -> Result<Vec<AuditRecord>> {
    let mut conditions = Conditions::starting_at(1);
    conditions
        .text_if("actor = {}", search.actor.as_deref())
        .text_if("action = {}", search.action.as_deref())
        .text_if("(entity = {} or entity_id = {})", search.entity.as_deref())
        .text_if("at >= {}", search.from_at.as_deref())
        .text_if("at < {}", search.until_at.as_deref())
        .int_if("seq < {}", search.before);
    let limit = conditions.int(search.limit);
    let sql = format!(
        "select seq, at, actor, action, entity, entity_id, before_json, after_json, request_id, \
         prev_hash, hash from audit_log{} order by seq desc limit {limit}",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(record_from_row).collect()
}

/// The sequence number of the last audit record: it changes with every write (every write is
/// audited), so it versions whatever is computed from the data.
pub async fn head_seq(db: &Db) -> Result<i64> {
    let row = sqlx::query("select seq from audit_head where id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("seq")?)
}
