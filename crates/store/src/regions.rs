//! Regions: the statistical division hierarchy, keyed by 12-digit code.

use fupin_core::{BusinessDate, RegionCode, RegionLevel};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};

/// One region as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub name_en: Option<String>,
    pub parent_code: Option<RegionCode>,
    pub population: Option<i64>,
    pub poverty_county: bool,
    pub poverty_village: bool,
    /// First day the code is in use, when known.
    pub valid_from: Option<BusinessDate>,
    /// First day the code is no longer in use (exclusive), when abolished.
    pub valid_to: Option<BusinessDate>,
    /// The code that replaced this one.
    pub successor_code: Option<RegionCode>,
    pub note: Option<String>,
}

impl Region {
    /// The level follows from the code.
    pub fn level(&self) -> RegionLevel {
        self.code.level()
    }

    /// Whether the code is in use on `date`.
    pub fn is_valid_on(&self, date: BusinessDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date < to)
    }
}

/// Filters for listing regions.
#[derive(Clone, Debug, Default)]
pub struct RegionFilter {
    pub level: Option<RegionLevel>,
    /// Only regions at or under this one.
    pub within: Option<RegionCode>,
    /// Only codes in use on this date.
    pub valid_on: Option<BusinessDate>,
    pub limit: Option<i64>,
}

const COLUMNS: &str = "code, name, name_en, parent_code, population, poverty_county, \
    poverty_village, valid_from, valid_to, successor_code, note";

/// Finds one region.
pub async fn get(db: &Db, code: RegionCode) -> Result<Option<Region>> {
    let sql = format!("select {COLUMNS} from regions where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(region_from_row).transpose()
}

/// Finds one region inside a transaction (sees the transaction's own writes).
pub async fn get_in(tx: &mut Tx, code: RegionCode) -> Result<Option<Region>> {
    let sql = format!("select {COLUMNS} from regions where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(region_from_row).transpose()
}

/// Lists regions in code order.
pub async fn list(db: &Db, filter: &RegionFilter) -> Result<Vec<Region>> {
    let mut sql = format!("select {COLUMNS} from regions where 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(level) = filter.level {
        binds.push(level.as_str().to_string());
        sql.push_str(&format!(" and level = ${}", binds.len()));
    }
    if let Some(within) = filter.within {
        binds.push(format!("{}%", within.prefix()));
        sql.push_str(&format!(" and code like ${}", binds.len()));
    }
    if let Some(date) = filter.valid_on {
        binds.push(date.to_string());
        let n = binds.len();
        sql.push_str(&format!(
            " and (valid_from is null or valid_from <= ${n}) and (valid_to is null or valid_to > ${n})"
        ));
    }
    sql.push_str(" order by code");
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" limit {}", limit.max(0)));
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for bind in binds {
        query = query.bind(bind);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(region_from_row).collect()
}

/// Inserts or replaces a region by code. The caller decides whether anything changed (and
/// audits it); this only writes.
pub async fn upsert(tx: &mut Tx, region: &Region) -> Result<()> {
    sqlx::query(
        "insert into regions (code, name, name_en, level, parent_code, population, \
         poverty_county, poverty_village, valid_from, valid_to, successor_code, note) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         on conflict (code) do update set name = excluded.name, name_en = excluded.name_en, \
         level = excluded.level, parent_code = excluded.parent_code, \
         population = excluded.population, poverty_county = excluded.poverty_county, \
         poverty_village = excluded.poverty_village, valid_from = excluded.valid_from, \
         valid_to = excluded.valid_to, successor_code = excluded.successor_code, \
         note = excluded.note",
    )
    .bind(region.code.to_string())
    .bind(&region.name)
    .bind(&region.name_en)
    .bind(region.level().as_str())
    .bind(region.parent_code.map(|code| code.to_string()))
    .bind(region.population)
    .bind(i64::from(region.poverty_county))
    .bind(i64::from(region.poverty_village))
    .bind(region.valid_from.map(|date| date.to_string()))
    .bind(region.valid_to.map(|date| date.to_string()))
    .bind(region.successor_code.map(|code| code.to_string()))
    .bind(&region.note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn region_from_row(row: &AnyRow) -> Result<Region> {
    Ok(Region {
        code: code_column(row, "code")?.ok_or_else(|| corrupt("regions", "code", "null"))?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        parent_code: code_column(row, "parent_code")?,
        population: row.try_get("population")?,
        poverty_county: row.try_get::<i64, _>("poverty_county")? != 0,
        poverty_village: row.try_get::<i64, _>("poverty_village")? != 0,
        valid_from: date_column(row, "regions", "valid_from")?,
        valid_to: date_column(row, "regions", "valid_to")?,
        successor_code: code_column(row, "successor_code")?,
        note: row.try_get("note")?,
    })
}

fn code_column(row: &AnyRow, column: &'static str) -> Result<Option<RegionCode>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| RegionCode::parse(&text).map_err(|e| corrupt("regions", column, e)))
        .transpose()
}

/// Reads an optional ISO date column.
pub(crate) fn date_column(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<Option<BusinessDate>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| BusinessDate::parse(&text).map_err(|e| corrupt(table, column, e)))
        .transpose()
}
