//! Use cases on the audit trail.

use fupin_store::Db;
use fupin_store::audit;
pub use fupin_store::audit::{AuditProblem, AuditRecord, AuditReport};

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

/// The newest records, newest first, for those who may read the audit trail.
pub async fn recent(
    db: &Db,
    ctx: &crate::Ctx,
    limit: i64,
) -> Result<Vec<fupin_store::audit::AuditRecord>> {
    crate::access::require(ctx, crate::access::Area::Audit, crate::access::Access::Read)?;
    Ok(audit::recent(db, limit.clamp(0, crate::paging::PAGE_LIMIT_MAX)).await?)
}
