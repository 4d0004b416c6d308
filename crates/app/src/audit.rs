//! Use cases on the audit trail.

use fupin_core::BusinessDate;
use fupin_store::audit;
pub use fupin_store::audit::{AuditProblem, AuditRecord, AuditReport};
use fupin_store::{Db, Tx};

use crate::error::Result;

/// Verifies the whole hash chain.
pub async fn verify(db: &Db) -> Result<AuditReport> {
    Ok(audit::verify(db).await?)
}

/// The verification result, for those who may read the audit trail (admins, the operator).
pub async fn verification(db: &Db, ctx: &crate::Ctx) -> Result<AuditReport> {
    crate::access::require(ctx, crate::access::Area::Audit, crate::access::Access::Read)?;
    Ok(audit::verify(db).await?)
}

/// One record, for those who may read the audit trail.
pub async fn record(db: &Db, ctx: &crate::Ctx, seq: i64) -> Result<AuditRecord> {
    crate::access::require(ctx, crate::access::Area::Audit, crate::access::Access::Read)?;
    audit::record(db, seq)
        .await?
        .ok_or_else(|| crate::error::AppError::NotFound(format!("audit record {seq}")))
}

/// The newest records, newest first, for those who may read the audit trail.
pub async fn recent(
    db: &Db,
    ctx: &crate::Ctx,
    limit: i64,
) -> Result<Vec<fupin_store::audit::AuditRecord>> {
    crate::access::require(ctx, crate::access::Area::Audit, crate::access::Access::Read)?;
    Ok(audit::recent(db, limit.clamp(0, crate::paging::PAGE_LIMIT_MAX)).await?)
}

/// A search of the audit trail, newest first; every field narrows.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Records before this sequence number (the next page).
    pub before: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// The kind of thing or its key.
    pub entity: Option<String>,
    /// From this day, in China (UTC+8), inclusive.
    pub from: Option<BusinessDate>,
    /// To this day, in China (UTC+8), inclusive.
    pub to: Option<BusinessDate>,
    pub limit: i64,
}

/// A page of records and, when there are older ones, the `before` of the next page.
#[derive(Clone, Debug)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next_before: Option<i64>,
}

/// Records matching `query`, for those who may read the audit trail; reads one record more than
/// the page to know whether another page follows.
pub async fn search(db: &Db, ctx: &crate::Ctx, query: &AuditQuery) -> Result<AuditPage> {
    crate::access::require(ctx, crate::access::Area::Audit, crate::access::Access::Read)?;
    let limit = query.limit.clamp(1, crate::paging::PAGE_LIMIT_MAX);
    let search = audit::AuditSearch {
        before: query.before,
        actor: query.actor.clone(),
        action: query.action.clone(),
        entity: query.entity.clone(),
        from_at: query.from.map(day_start_utc),
        until_at: query.to.and_then(|to| to.add_days(1)).map(day_start_utc),
        limit: limit + 1,
    };
    let mut records = audit::search(db, &search).await?;
    let more = records.len() as i64 > limit;
    records.truncate(usize::try_from(limit).unwrap_or(0));
    let next_before = records.last().filter(|_| more).map(|r| r.seq);
    Ok(AuditPage {
        records,
        next_before,
    })
}

/// The instant a day in China begins, as the prefix of the RFC 3339 UTC text records are stamped
/// with (16:00 the day before): every record of the day compares at or after it.
fn day_start_utc(day: BusinessDate) -> String {
    let before = day.add_days(-1).unwrap_or(day);
    format!("{before}T16:00:00")
}

/// A record's instant in China time (UTC+8), `YYYY-MM-DD HH:MM:SS`; as stored when it is not an
/// RFC 3339 instant.
pub fn china_time(at: &str) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600);
    match (chrono::DateTime::parse_from_rfc3339(at), china) {
        (Ok(instant), Some(china)) => instant
            .with_timezone(&china)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        _ => at.to_string(),
    }
}

/// The record a verification problem names first: the edited or out-of-place record, the first
/// missing one, or the last one the head should point at.
pub fn problem_seq(problem: &AuditProblem) -> i64 {
    match problem {
        AuditProblem::Altered { seq } | AuditProblem::BrokenLink { seq } => *seq,
        AuditProblem::Missing { from_seq, .. } => *from_seq,
        AuditProblem::HeadMismatch { last_seq, .. } => *last_seq,
    }
}

/// Where a use case's audit records go: straight into the chain, or, for an import, held and
/// appended a batch at a time as one compact record ([`audit::append_batch`]), in the same
/// transaction, before it commits: one record and one hash for up to [`PENDING_MAX`] entries,
/// their content deflated, instead of a record each.
#[derive(Debug, Default)]
pub struct Trail {
    defer: bool,
    pending: Vec<audit::AuditEntry>,
}

/// Records an import holds before appending them: bounds its memory; one batch record's worth.
const PENDING_MAX: usize = audit::BATCH_ENTRIES_MAX;

impl Trail {
    /// A trail for an import, which must call [`Trail::flush`] before it commits.
    pub fn deferred() -> Trail {
        Trail {
            defer: true,
            pending: Vec::new(),
        }
    }

    /// Appends `entry`, now or with the next batch.
    pub async fn append(&mut self, tx: &mut Tx, entry: audit::AuditEntry) -> Result<()> {
        if !self.defer {
            audit::append(tx, &entry).await?;
            return Ok(());
        }
        self.pending.push(entry);
        if self.pending.len() >= PENDING_MAX {
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// Appends the records held so far, a batch record per run of entries that share their
    /// time, actor and request (an import's all do).
    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        audit::append_batches(tx, &self.pending).await?;
        self.pending.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_china_and_days_begin_there() {
        for (at, shown) in [
            ("2017-07-01T09:00:00.000Z", "2017-07-01 17:00:00"),
            ("2017-06-30T16:00:00Z", "2017-07-01 00:00:00"),
            ("2017-06-30T23:59:59.999+08:00", "2017-06-30 23:59:59"),
            ("yesterday", "yesterday"),
        ] {
            assert_eq!(china_time(at), shown, "{at}");
        }
        let day = BusinessDate::parse("2017-07-01").expect("date");
        assert_eq!(day_start_utc(day), "2017-06-30T16:00:00");
        assert!("2017-06-30T16:00:00.000Z" >= day_start_utc(day).as_str());
        assert!("2017-06-30T15:59:59.999Z" < day_start_utc(day).as_str());
    }
}
