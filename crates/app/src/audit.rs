//! Use cases on the audit trail.

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
