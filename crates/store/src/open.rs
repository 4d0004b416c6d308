//! Opening a database: connect, migrate, then bring derived data up to date (the running totals
//! of a database made before they existed). Apart from `db`, which the derived data's modules
//! build on, so that `db` imports none of them.

use crate::db::Db;
use crate::error::Result;

impl Db {
    /// Opens and migrates in one step, then builds the running totals if they are missing.
    pub async fn open(url: &str) -> Result<Db> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        crate::totals::build_if_missing(&db).await?;
        Ok(db)
    }
}
