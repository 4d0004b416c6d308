//! The audit trail: an append-only, hash-chained record of every write.
//!
//! Each record's hash covers its fields and the previous record's hash, so editing or deleting
//! a record breaks the chain at that point. Appends lock the single `audit_head` row first,
//! which serialises them on both engines.
//!
//! An import's entries are stored compactly ([`append_batch`]): one record per batch, whose
//! columns hold what the entries share (when, who, which request) and a summary, and whose
//! `batch` column holds every entry's action, entity, key and before/after JSON, deflated. The
//! record's hash covers those bytes, so a batch is as tamper-evident as the records it replaces;
//! `verify` names the batch record, [`AuditRecord::entries`] gives its entries back.

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
    /// For a batch record ([`BATCH_ACTION`]): its entries, deflated ([`AuditRecord::entries`]).
    pub batch: Option<Vec<u8>>,
}

impl AuditRecord {
    /// The entries this record stands for: its own entry, or a batch's entries with the
    /// batch's time, actor and request.
    pub fn entries(&self) -> Result<Vec<AuditEntry>> {
        match &self.batch {
            None => Ok(vec![self.entry.clone()]),
            Some(bytes) => decode_batch(bytes, &self.entry)
                .map_err(|why| crate::error::corrupt("audit_log", "batch", &why)),
        }
    }
}

/// The action of a record that holds a batch of entries.
pub const BATCH_ACTION: &str = "audit.batch";

/// The entity of a batch record.
pub const BATCH_ENTITY: &str = "audit_batch";

/// A batch's entries, decompressed, at most: a bound on what reading one record may allocate
/// (a batch of 1,000 loans is about 400 KiB).
const BATCH_DECODED_MAX_BYTES: u64 = 64 << 20;

/// Appends one entry and returns its sequence number.
pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<i64> {
    let seq = append_all(tx, std::slice::from_ref(entry)).await?;
    seq.ok_or_else(|| crate::error::corrupt("audit_head", "seq", "no number for an entry"))
}

/// Appends entries with one head update and multi-row inserts: the chain is the same as
/// appending them one by one. Returns the last one's sequence number (`None` for none).
pub async fn append_all(tx: &mut Tx, entries: &[AuditEntry]) -> Result<Option<i64>> {
    let records: Vec<(AuditEntry, Option<Vec<u8>>)> =
        entries.iter().map(|entry| (entry.clone(), None)).collect();
    let last = append_records(tx, &records).await?;
    move_versions(tx, entries, last).await?;
    Ok(last)
}

/// Moves the versions of the data areas `entries` write ([`crate::data_versions`]) to `last`,
/// the number of the record that holds the last of them, in the same transaction.
async fn move_versions(tx: &mut Tx, entries: &[AuditEntry], last: Option<i64>) -> Result<()> {
    if let Some(seq) = last {
        let actions = entries.iter().map(|entry| entry.action.as_str());
        crate::data_versions::bump(tx, actions, seq).await?;
    }
    Ok(())
}

/// Appends `entries` as one batch record (one entry alone as itself). They must share their
/// time, actor and request (one import's do); the record's key summarises their actions
/// ("500 loan.create, 500 loan.disburse"). Returns the record's sequence number.
pub async fn append_batch(tx: &mut Tx, entries: &[AuditEntry]) -> Result<Option<i64>> {
    match entries {
        [] => Ok(None),
        [entry] => append_all(tx, std::slice::from_ref(entry)).await,
        [first, ..] => {
            assert!(
                entries.iter().all(|e| shares_context(first, e)),
                "a batch's entries share their time, actor and request"
            );
            let record = batch_record(first, entries);
            let last = append_records(tx, &[record]).await?;
            move_versions(tx, entries, last).await?;
            Ok(last)
        }
    }
}

/// Entries a batch record holds at most: bounds its bytes (a batch of 1,000 loans is about
/// 400 KiB of JSON before deflating) and what reading it back allocates.
pub const BATCH_ENTRIES_MAX: usize = 1_000;

/// Appends `entries` as batch records of at most [`BATCH_ENTRIES_MAX`], one per run of entries
/// that share their time, actor and request. Returns the last record's sequence number.
pub async fn append_batches(tx: &mut Tx, entries: &[AuditEntry]) -> Result<Option<i64>> {
    let mut last = None;
    for run in entries.chunk_by(shares_context) {
        for batch in run.chunks(BATCH_ENTRIES_MAX) {
            last = append_batch(tx, batch).await?.or(last);
        }
    }
    Ok(last)
}

fn shares_context(a: &AuditEntry, b: &AuditEntry) -> bool {
    a.at == b.at && a.actor == b.actor && a.request_id == b.request_id
}

/// The batch record of `entries`, which share `first`'s time, actor and request.
fn batch_record(first: &AuditEntry, entries: &[AuditEntry]) -> (AuditEntry, Option<Vec<u8>>) {
    let entry = AuditEntry {
        at: first.at.clone(),
        actor: first.actor.clone(),
        action: BATCH_ACTION.to_string(),
        entity: BATCH_ENTITY.to_string(),
        entity_id: summary(entries),
        before_json: None,
        after_json: None,
        request_id: first.request_id.clone(),
    };
    (entry, Some(encode_batch(entries)))
}

/// "500 loan.create, 500 loan.disburse": each action's count, in order of first appearance.
fn summary(entries: &[AuditEntry]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for entry in entries {
        match counts
            .iter_mut()
            .find(|(action, _)| *action == entry.action)
        {
            Some((_, count)) => *count += 1,
            None => counts.push((&entry.action, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(action, count)| format!("{count} {action}"))
        .collect();
    parts.join(", ")
}

/// Each entry as `[action, entity, key, before, after]` in a JSON array, deflated. Deflate's
/// fastest level: the entries repeat their field names and actions, which is what it finds;
/// higher levels cost several times the time for a few percent.
fn encode_batch(entries: &[AuditEntry]) -> Vec<u8> {
    use std::io::Write;
    let rows: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| serde_json::json!([e.action, e.entity, e.entity_id, e.before_json, e.after_json]))
        .collect();
    let json = serde_json::to_vec(&rows).expect("JSON of strings");
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&json).expect("deflating into memory");
    encoder.finish().expect("deflating into memory")
}

/// The entries of a batch, with `record`'s time, actor and request.
fn decode_batch(bytes: &[u8], record: &AuditEntry) -> std::result::Result<Vec<AuditEntry>, String> {
    use std::io::Read;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(BATCH_DECODED_MAX_BYTES)
        .read_to_end(&mut json)
        .map_err(|e| format!("not deflated: {e}"))?;
    type Row = (String, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> =
        serde_json::from_slice(&json).map_err(|e| format!("not a batch's JSON: {e}"))?;
    Ok(rows
        .into_iter()
        .map(
            |(action, entity, entity_id, before_json, after_json)| AuditEntry {
                at: record.at.clone(),
                actor: record.actor.clone(),
                action,
                entity,
                entity_id,
                before_json,
                after_json,
                request_id: record.request_id.clone(),
            },
        )
        .collect())
}

/// Appends records (entries, each with its batch bytes if it is a batch) in order.
async fn append_records(
    tx: &mut Tx,
    entries: &[(AuditEntry, Option<Vec<u8>>)],
) -> Result<Option<i64>> {
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
    for (seq, (entry, batch)) in (last_seq - count + 1..).zip(entries) {
        let hash = chain_hash(seq, &prev_hash, entry, batch.as_deref());
        records.push((
            seq,
            entry,
            batch,
            std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        ));
    }
    for chunk in records.chunks(crate::sql::rows_per_insert(12)) {
        let sql = format!(
            "insert into audit_log (seq, at, actor, action, entity, entity_id, before_json, \
             after_json, request_id, prev_hash, hash, batch) values {}",
            crate::sql::Params::of(tx).rows(chunk.len(), 12)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (seq, entry, batch, prev, hash) in chunk {
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
                .bind(hash)
                .bind(batch.as_deref());
        }
        query.execute(&mut **tx).await?;
    }
    sqlx::query("update audit_head set hash = $1 where id = 1")
        .bind(&prev_hash)
        .execute(&mut **tx)
        .await?;
    Ok(Some(last_seq))
}

/// The hash of a record: SHA-256 over its sequence, the previous hash and each field, every
/// field prefixed with its length so that no two different records serialise alike. A batch's
/// bytes come last, and only for a batch, so records written before batches existed keep
/// their hashes.
pub fn chain_hash(seq: i64, prev_hash: &str, entry: &AuditEntry, batch: Option<&[u8]>) -> String {
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
    if let Some(bytes) = batch {
        hasher.update([2u8]);
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
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
            let hash = chain_hash(
                record.seq,
                &record.prev_hash,
                &record.entry,
                record.batch.as_deref(),
            );
            if hash != record.hash {
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
         prev_hash, hash, batch from audit_log where seq > $1 order by seq limit $2",
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
        batch: row.try_get("batch")?,
    })
}

/// The record numbered `seq`, if there is one.
pub async fn record(db: &Db, seq: i64) -> Result<Option<AuditRecord>> {
    let row = sqlx::query(
        "select seq, at, actor, action, entity, entity_id, before_json, after_json, request_id, \
         prev_hash, hash, batch from audit_log where seq = $1",
    )
    .bind(seq)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(record_from_row).transpose()
}

/// The most recent records, newest first, for display.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<AuditRecord>> {
    let rows = sqlx::query(
        "select seq, at, actor, action, entity, entity_id, before_json, after_json, request_id, \
         prev_hash, hash, batch from audit_log order by seq desc limit $1",
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
         prev_hash, hash, batch from audit_log{} order by seq desc limit {limit}",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(record_from_row).collect()
}

/// The most recent `limit` entries, newest first, a batch record's entries counted one by one.
pub async fn recent_entries(db: &Db, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut entries = Vec::with_capacity(limit);
    let records = recent(db, i64::try_from(limit).unwrap_or(i64::MAX)).await?;
    for record in records {
        entries.extend(record.entries()?.into_iter().rev());
        if entries.len() >= limit {
            break;
        }
    }
    entries.truncate(limit);
    Ok(entries)
}

/// The sequence number of the last audit record: it changes with every write (every write is
/// audited), so it versions whatever is computed from the data.
pub async fn head_seq(db: &Db) -> Result<i64> {
    let row = sqlx::query("select seq from audit_head where id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("seq")?)
}
