//! Liveness of the pieces the service needs.

use fupin_store::Db;

/// Whether the database answers a trivial query.
pub async fn database_answers(db: &Db) -> bool {
    db.ping().await
}
