//! Institutions (banks) and the townships they are responsible for.

use fupin_core::{BusinessDate, RegionCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::regions::date_column;

/// A bank or other institution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Institution {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// One of `policy_bank`, `large_commercial`, `postal_savings`, `rural_cooperative`,
    /// `village_bank`, `other` (checked by the schema; parsed by the use case).
    pub kind: String,
    pub parent_code: Option<String>,
    pub region_code: RegionCode,
}

const INSTITUTION_COLUMNS: &str = "code, name, name_en, type, parent_code, region_code";

pub async fn get_in(tx: &mut Tx, code: &str) -> Result<Option<Institution>> {
    let sql = format!("select {INSTITUTION_COLUMNS} from institutions where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(institution_from_row).transpose()
}

pub async fn get(db: &Db, code: &str) -> Result<Option<Institution>> {
    let sql = format!("select {INSTITUTION_COLUMNS} from institutions where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(institution_from_row).transpose()
}

/// Institutions located at or under `within`, in code order.
pub async fn list(db: &Db, within: Option<RegionCode>, limit: i64) -> Result<Vec<Institution>> {
    let sql = format!(
        "select {INSTITUTION_COLUMNS} from institutions where region_code like $1 \
         order by code limit $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(prefix_pattern(within))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(institution_from_row).collect()
}

pub async fn upsert(tx: &mut Tx, institution: &Institution) -> Result<()> {
    sqlx::query(
        "insert into institutions (code, name, name_en, type, parent_code, region_code) \
         values ($1, $2, $3, $4, $5, $6) on conflict (code) do update set name = excluded.name, \
         name_en = excluded.name_en, type = excluded.type, parent_code = excluded.parent_code, \
         region_code = excluded.region_code",
    )
    .bind(&institution.code)
    .bind(&institution.name)
    .bind(&institution.name_en)
    .bind(&institution.kind)
    .bind(&institution.parent_code)
    .bind(institution.region_code.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn institution_from_row(row: &AnyRow) -> Result<Institution> {
    let region: String = row.try_get("region_code")?;
    Ok(Institution {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        kind: row.try_get("type")?,
        parent_code: row.try_get("parent_code")?,
        region_code: RegionCode::parse(&region)
            .map_err(|e| corrupt("institutions", "region_code", e))?,
    })
}

/// A township's responsible institution over `[effective_from, effective_to)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub township_code: RegionCode,
    pub institution_code: String,
    pub effective_from: BusinessDate,
    pub effective_to: Option<BusinessDate>,
}

const ASSIGNMENT_COLUMNS: &str = "township_code, institution_code, effective_from, effective_to";

pub async fn get_assignment_in(
    tx: &mut Tx,
    township: RegionCode,
    effective_from: BusinessDate,
) -> Result<Option<Assignment>> {
    let sql = format!(
        "select {ASSIGNMENT_COLUMNS} from assignments where township_code = $1 and effective_from = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(township.to_string())
        .bind(effective_from.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(assignment_from_row).transpose()
}

pub async fn upsert_assignment(tx: &mut Tx, assignment: &Assignment) -> Result<()> {
    sqlx::query(
        "insert into assignments (township_code, institution_code, effective_from, effective_to) \
         values ($1, $2, $3, $4) on conflict (township_code, effective_from) do update set \
         institution_code = excluded.institution_code, effective_to = excluded.effective_to",
    )
    .bind(assignment.township_code.to_string())
    .bind(&assignment.institution_code)
    .bind(assignment.effective_from.to_string())
    .bind(assignment.effective_to.map(|d| d.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Pairs of assignments of one township whose periods intersect.
pub async fn overlapping_assignments(tx: &mut Tx) -> Result<Vec<(Assignment, Assignment)>> {
    let rows = sqlx::query(
        "select a.township_code, a.institution_code, a.effective_from, a.effective_to, \
         b.institution_code as b_institution, b.effective_from as b_from, b.effective_to as b_to \
         from assignments a join assignments b on a.township_code = b.township_code \
         and a.effective_from < b.effective_from \
         where a.effective_to is null or a.effective_to > b.effective_from \
         order by a.township_code, a.effective_from",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut pairs = Vec::new();
    for row in &rows {
        let first = assignment_from_row(row)?;
        let second = Assignment {
            township_code: first.township_code,
            institution_code: row.try_get("b_institution")?,
            effective_from: date_column(row, "assignments", "b_from")?
                .ok_or_else(|| corrupt("assignments", "effective_from", "null"))?,
            effective_to: date_column(row, "assignments", "b_to")?,
        };
        pairs.push((first, second));
    }
    Ok(pairs)
}

/// Assignments in force on `date` for townships at or under `within`.
pub async fn assignments_on(
    db: &Db,
    date: BusinessDate,
    within: Option<RegionCode>,
) -> Result<Vec<Assignment>> {
    let sql = format!(
        "select {ASSIGNMENT_COLUMNS} from assignments where township_code like $1 \
         and effective_from <= $2 and (effective_to is null or effective_to > $2) \
         order by township_code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(prefix_pattern(within))
        .bind(date.to_string())
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(assignment_from_row).collect()
}

/// Every assignment (all dates) for townships at or under `within`.
pub async fn list_assignments(
    db: &Db,
    within: Option<RegionCode>,
    limit: i64,
) -> Result<Vec<Assignment>> {
    let sql = format!(
        "select {ASSIGNMENT_COLUMNS} from assignments where township_code like $1 \
         order by township_code, effective_from limit $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(prefix_pattern(within))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(assignment_from_row).collect()
}

fn assignment_from_row(row: &AnyRow) -> Result<Assignment> {
    let township: String = row.try_get("township_code")?;
    Ok(Assignment {
        township_code: RegionCode::parse(&township)
            .map_err(|e| corrupt("assignments", "township_code", e))?,
        institution_code: row.try_get("institution_code")?,
        effective_from: date_column(row, "assignments", "effective_from")?
            .ok_or_else(|| corrupt("assignments", "effective_from", "null"))?,
        effective_to: date_column(row, "assignments", "effective_to")?,
    })
}

/// `LIKE` pattern for codes at or under a region (every code when `None`).
pub fn prefix_pattern(within: Option<RegionCode>) -> String {
    match within {
        Some(code) => format!("{}%", code.prefix()),
        None => "%".to_string(),
    }
}
