//! The running totals of the registry and credit-coverage counts (`fupin_store::totals`): kept
//! by every write in its own transaction, read by the indicators, checked and rebuilt by
//! `fupin totals check|rebuild`.

use std::collections::BTreeSet;

use fupin_core::{BusinessDate, RegionCode};
use fupin_store::totals;
pub use fupin_store::totals::{Counts, Difference, MEASURES, TotalsCheck};
use fupin_store::{Db, Tx};

use crate::error::Result;

/// Households whose credit files or lines a transaction wrote; [`Touched::refresh`] brings
/// the totals of their villages up to date before it commits.
#[derive(Debug, Default)]
pub struct Touched {
    households: BTreeSet<String>,
}

impl Touched {
    pub fn household(&mut self, id: &str) {
        if !self.households.contains(id) {
            self.households.insert(id.to_string());
        }
    }

    /// Refreshes the villages of the households noted, and forgets them.
    pub async fn refresh(&mut self, tx: &mut Tx) -> Result<()> {
        if self.households.is_empty() {
            return Ok(());
        }
        let villages = totals::villages_of(tx, &self.households).await?;
        totals::refresh(tx, &villages).await?;
        self.households.clear();
        Ok(())
    }
}

/// Refreshes the villages of the households of the registry events `first..=last` (those a
/// registry import wrote; `None` when it wrote none), before the import commits.
pub async fn refresh_registry_events(
    tx: &mut Tx,
    first: Option<i64>,
    last: Option<i64>,
) -> Result<()> {
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(());
    };
    let villages = totals::villages_of_events(tx, first, last).await?;
    Ok(totals::refresh(tx, &villages).await?)
}

/// The counts of a region (`None`: everywhere) on a date.
pub async fn counts(db: &Db, region: Option<RegionCode>, date: BusinessDate) -> Result<Counts> {
    let prefix = region.map(|r| r.prefix().to_string()).unwrap_or_default();
    Ok(totals::counts(db, &prefix, date).await?)
}

/// Recomputes every village's totals and names each difference with what is stored.
pub async fn check(db: &Db) -> Result<TotalsCheck> {
    Ok(totals::check(db).await?)
}

/// Recomputes and stores every village's totals in one transaction; returns how many villages.
pub async fn rebuild(db: &Db) -> Result<usize> {
    let mut tx = db.write().await?;
    let villages = totals::rebuild(&mut tx).await?;
    db.commit_bulk(tx).await?;
    Ok(villages)
}
