//! Field work: the villages an administrator assigned to a bank officer, the villages an
//! institution is responsible for, and the visits accepted from the officer's device (by the id
//! the device gave each).

use fupin_core::{BusinessDate, RegionCode};
use sqlx::Row;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::filter::Conditions;

/// A village of an institution's townships.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldVillage {
    pub code: RegionCode,
    pub name: String,
    pub township_name: Option<String>,
    /// Households in the registry on the date.
    pub households: i64,
}

/// Villages (by the regions table) of the townships `institution` is responsible for on `date`,
/// at or under `within`, in code order, at most `limit`.
pub async fn villages_of(
    db: &Db,
    institution: &str,
    date: BusinessDate,
    within: Option<RegionCode>,
    limit: i64,
) -> Result<Vec<FieldVillage>> {
    let mut conditions = Conditions::starting_at(3);
    conditions.within("r.code", within);
    let limit_n = conditions.next();
    let sql = format!(
        "select r.code, r.name, t.name as township_name, \
         (select count(*) from household_versions v where v.village_code = r.code \
             and v.valid_from <= $1 and (v.valid_to is null or v.valid_to > $1)) as households \
         from regions r \
         join assignments a on a.township_code = substr(r.code, 1, 9) || '000' \
             and a.institution_code = $2 and a.effective_from <= $1 \
             and (a.effective_to is null or a.effective_to > $1) \
         left join regions t on t.code = substr(r.code, 1, 9) || '000' \
         where r.level = 'village'{} order by r.code limit ${limit_n}",
        conditions.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(institution);
    let rows = conditions
        .bind(query)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("code")?;
            Ok(FieldVillage {
                code: RegionCode::parse(&code).map_err(|e| corrupt("regions", "code", e))?,
                name: row.try_get("name")?,
                township_name: row.try_get("township_name")?,
                households: row.try_get("households")?,
            })
        })
        .collect()
}

/// The villages assigned to a user, in code order.
pub async fn assigned_villages(db: &Db, user_name: &str) -> Result<Vec<RegionCode>> {
    let rows = sqlx::query(
        "select village_code from field_assignments where user_name = $1 order by village_code",
    )
    .bind(user_name)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("village_code")?;
            RegionCode::parse(&code).map_err(|e| corrupt("field_assignments", "village_code", e))
        })
        .collect()
}

/// Assigns a village to a user; `false` when it already was.
pub async fn assign(
    tx: &mut Tx,
    user_name: &str,
    village: RegionCode,
    by: &str,
    at: &str,
) -> Result<bool> {
    let result = sqlx::query(
        "insert into field_assignments (user_name, village_code, assigned_by, assigned_at) \
         values ($1, $2, $3, $4) on conflict (user_name, village_code) do nothing",
    )
    .bind(user_name)
    .bind(village.to_string())
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Takes a village from a user; `false` when it was not assigned.
pub async fn unassign(tx: &mut Tx, user_name: &str, village: RegionCode) -> Result<bool> {
    let result =
        sqlx::query("delete from field_assignments where user_name = $1 and village_code = $2")
            .bind(user_name)
            .bind(village.to_string())
            .execute(&mut **tx)
            .await?;
    Ok(result.rows_affected() > 0)
}

/// A visit accepted at sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldVisit {
    pub visit_id: String,
    pub user_name: String,
    pub household_id: String,
    pub institution_code: String,
    pub visit_date: BusinessDate,
    pub credit_file_id: i64,
    pub credit_line_id: Option<i64>,
    pub note: Option<String>,
    pub synced_at: String,
}

/// The accepted visit with this id, inside a write (which serialises two sends of one id).
pub async fn visit_in(tx: &mut Tx, visit_id: &str) -> Result<Option<FieldVisit>> {
    let row = sqlx::query(
        "select visit_id, user_name, household_id, institution_code, visit_date, \
         credit_file_id, credit_line_id, note, synced_at from field_visits where visit_id = $1",
    )
    .bind(visit_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        let date: String = row.try_get("visit_date")?;
        Ok(FieldVisit {
            visit_id: row.try_get("visit_id")?,
            user_name: row.try_get("user_name")?,
            household_id: row.try_get("household_id")?,
            institution_code: row.try_get("institution_code")?,
            visit_date: BusinessDate::parse(&date)
                .map_err(|e| corrupt("field_visits", "visit_date", e))?,
            credit_file_id: row.try_get("credit_file_id")?,
            credit_line_id: row.try_get("credit_line_id")?,
            note: row.try_get("note")?,
            synced_at: row.try_get("synced_at")?,
        })
    })
    .transpose()
}

/// Records an accepted visit.
pub async fn insert_visit(tx: &mut Tx, visit: &FieldVisit) -> Result<()> {
    sqlx::query(
        "insert into field_visits (visit_id, user_name, household_id, institution_code, \
         visit_date, credit_file_id, credit_line_id, note, synced_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&visit.visit_id)
    .bind(&visit.user_name)
    .bind(&visit.household_id)
    .bind(&visit.institution_code)
    .bind(visit.visit_date.to_string())
    .bind(visit.credit_file_id)
    .bind(visit.credit_line_id)
    .bind(visit.note.clone())
    .bind(&visit.synced_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
