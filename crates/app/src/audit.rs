//! Use cases on the audit trail.

use fupin_store::Db;
use fupin_store::audit::{self, AuditReport};

use crate::error::Result;

/// Verifies the whole hash chain.
pub async fn verify(db: &Db) -> Result<AuditReport> {
    Ok(audit::verify(db).await?)
}
