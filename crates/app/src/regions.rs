//! Use cases on regions: loading the built-in reference data, listing.

use fupin_core::{BusinessDate, RegionCode, RegionLevel};
pub use fupin_store::regions::Region;
use fupin_store::regions::{self, RegionFilter};
use fupin_store::{Db, Tx};
use serde_json::json;

use crate::audit::Trail;
use crate::context::Ctx;
use crate::error::Result;
use crate::reference;

/// How many rows an operation added, changed and left alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
}

/// Loads the built-in regions: adds what is missing, restores what differs, audits each change.
/// Running it again changes nothing.
pub async fn load_reference_data(db: &Db, ctx: &Ctx) -> Result<ChangeCounts> {
    let mut tx = db.write().await?;
    // 361121 names its successor 361104, which comes later in the list.
    fupin_store::db::defer_foreign_keys(&mut tx).await?;
    let mut counts = ChangeCounts::default();
    let mut trail = Trail::deferred();
    for region in reference::builtin_regions() {
        save(&mut tx, ctx, &region, &mut counts, &mut trail).await?;
    }
    trail.flush(&mut tx).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(counts)
}

/// Writes a region if it differs from what is stored, with an audit record of the change (to
/// `trail`, which the caller flushes before it commits).
pub async fn save(
    tx: &mut Tx,
    ctx: &Ctx,
    region: &Region,
    counts: &mut ChangeCounts,
    trail: &mut Trail,
) -> Result<()> {
    let before = regions::get_in(tx, region.code).await?;
    if before.as_ref() == Some(region) {
        counts.unchanged += 1;
        return Ok(());
    }
    regions::upsert(tx, region).await?;
    let mut entry = ctx.audit("region.save", "region", &region.code.to_string());
    entry.before_json = before.as_ref().map(|r| region_json(r).to_string());
    entry.after_json = Some(region_json(region).to_string());
    trail.append(tx, entry).await?;
    match before {
        Some(_) => counts.changed += 1,
        None => counts.added += 1,
    }
    Ok(())
}

/// Query for `fupin regions list`.
#[derive(Clone, Debug, Default)]
pub struct RegionQuery {
    pub level: Option<RegionLevel>,
    pub within: Option<RegionCode>,
    pub as_of: Option<BusinessDate>,
    pub limit: Option<i64>,
}

/// Largest page of regions one call returns.
pub const LIST_LIMIT_MAX: i64 = 100_000;

/// Lists regions. Regions are public reference data: every role may read all of them.
pub async fn list(db: &Db, query: &RegionQuery) -> Result<Vec<Region>> {
    let filter = RegionFilter {
        level: query.level,
        within: query.within,
        valid_on: query.as_of,
        limit: Some(
            query
                .limit
                .unwrap_or(LIST_LIMIT_MAX)
                .clamp(0, LIST_LIMIT_MAX),
        ),
    };
    Ok(regions::list(db, &filter).await?)
}

/// One region by code.
pub async fn get(db: &Db, code: RegionCode) -> Result<Option<Region>> {
    Ok(regions::get(db, code).await?)
}

/// JSON form of a region, for audit records and the API.
pub fn region_json(region: &Region) -> serde_json::Value {
    json!({
        "code": region.code.to_string(),
        "name": region.name,
        "name_en": region.name_en,
        "level": region.level().as_str(),
        "parent_code": region.parent_code.map(|c| c.to_string()),
        "population": region.population,
        "poverty_county": region.poverty_county,
        "poverty_village": region.poverty_village,
        "valid_from": region.valid_from.map(|d| d.to_string()),
        "valid_to": region.valid_to.map(|d| d.to_string()),
        "successor_code": region.successor_code.map(|c| c.to_string()),
        "note": region.note,
    })
}
