//! Region groups: named sets of regions whose membership can differ by date.

use fupin_core::{BusinessDate, RegionCode};
use sqlx::Row;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};

/// A named group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionGroup {
    pub name: String,
    pub title: String,
    pub title_en: Option<String>,
    pub builtin: bool,
    pub description: Option<String>,
}

/// One membership period of a region in a group: `[valid_from, valid_to)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub region_code: RegionCode,
    pub valid_from: BusinessDate,
    pub valid_to: Option<BusinessDate>,
}

pub async fn upsert_group(tx: &mut Tx, group: &RegionGroup) -> Result<()> {
    sqlx::query(
        "insert into region_groups (name, title, title_en, builtin, description) \
         values ($1, $2, $3, $4, $5) on conflict (name) do update set title = excluded.title, \
         title_en = excluded.title_en, builtin = excluded.builtin, \
         description = excluded.description",
    )
    .bind(&group.name)
    .bind(&group.title)
    .bind(&group.title_en)
    .bind(i64::from(group.builtin))
    .bind(&group.description)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get_group(db: &Db, name: &str) -> Result<Option<RegionGroup>> {
    let row = sqlx::query(
        "select name, title, title_en, builtin, description from region_groups where name = $1",
    )
    .bind(name)
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| {
        Ok(RegionGroup {
            name: row.try_get("name")?,
            title: row.try_get("title")?,
            title_en: row.try_get("title_en")?,
            builtin: row.try_get::<i64, _>("builtin")? != 0,
            description: row.try_get("description")?,
        })
    })
    .transpose()
}

pub async fn list_groups(db: &Db) -> Result<Vec<RegionGroup>> {
    let rows = sqlx::query(
        "select name, title, title_en, builtin, description from region_groups order by name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RegionGroup {
                name: row.try_get("name")?,
                title: row.try_get("title")?,
                title_en: row.try_get("title_en")?,
                builtin: row.try_get::<i64, _>("builtin")? != 0,
                description: row.try_get("description")?,
            })
        })
        .collect()
}

/// Replaces the whole membership history of a group.
pub async fn replace_members(tx: &mut Tx, group: &str, members: &[Membership]) -> Result<()> {
    sqlx::query("delete from region_group_members where group_name = $1")
        .bind(group)
        .execute(&mut **tx)
        .await?;
    for member in members {
        sqlx::query(
            "insert into region_group_members (group_name, region_code, valid_from, valid_to) \
             values ($1, $2, $3, $4)",
        )
        .bind(group)
        .bind(member.region_code.to_string())
        .bind(member.valid_from.to_string())
        .bind(member.valid_to.map(|d| d.to_string()))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Every membership period of a group, in region order.
pub async fn members(db: &Db, group: &str) -> Result<Vec<Membership>> {
    let rows = sqlx::query(
        "select region_code, valid_from, valid_to from region_group_members \
         where group_name = $1 order by region_code, valid_from",
    )
    .bind(group)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("region_code")?;
            Ok(Membership {
                region_code: RegionCode::parse(&code)
                    .map_err(|e| corrupt("region_group_members", "region_code", e))?,
                valid_from: crate::regions::date_column(row, "region_group_members", "valid_from")?
                    .ok_or_else(|| corrupt("region_group_members", "valid_from", "null"))?,
                valid_to: crate::regions::date_column(row, "region_group_members", "valid_to")?,
            })
        })
        .collect()
}

/// The regions in a group on a date.
pub async fn members_on(db: &Db, group: &str, date: BusinessDate) -> Result<Vec<RegionCode>> {
    Ok(members(db, group)
        .await?
        .into_iter()
        .filter(|m| m.valid_from <= date && m.valid_to.is_none_or(|to| date < to))
        .map(|m| m.region_code)
        .collect())
}
