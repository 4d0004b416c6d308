//! Indicator definitions and the aggregate queries indicators are made of: counts of the
//! registry, enterprises and loans in a region as of a date.

use fupin_core::{BusinessDate, Fen};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::Result;
use crate::filter::{Conditions, code_range};

/// An indicator's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub unit: String,
    pub formula: String,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub section: String,
    pub description: Option<String>,
    pub builtin: bool,
}

const COLUMNS: &str =
    "code, name, name_en, unit, formula, numerator, denominator, section, description, builtin";

pub async fn get_in(tx: &mut Tx, code: &str) -> Result<Option<Indicator>> {
    let sql = format!("select {COLUMNS} from indicators where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<Indicator>> {
    let sql = format!("select {COLUMNS} from indicators order by code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn upsert(tx: &mut Tx, indicator: &Indicator) -> Result<()> {
    sqlx::query(
        "insert into indicators (code, name, name_en, unit, formula, numerator, denominator, \
         section, description, builtin) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         on conflict (code) do update set name = excluded.name, name_en = excluded.name_en, \
         unit = excluded.unit, formula = excluded.formula, numerator = excluded.numerator, \
         denominator = excluded.denominator, section = excluded.section, \
         description = excluded.description, builtin = excluded.builtin",
    )
    .bind(&indicator.code)
    .bind(&indicator.name)
    .bind(&indicator.name_en)
    .bind(&indicator.unit)
    .bind(&indicator.formula)
    .bind(&indicator.numerator)
    .bind(&indicator.denominator)
    .bind(&indicator.section)
    .bind(&indicator.description)
    .bind(i64::from(indicator.builtin))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn from_row(row: &AnyRow) -> Result<Indicator> {
    Ok(Indicator {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        unit: row.try_get("unit")?,
        formula: row.try_get("formula")?,
        numerator: row.try_get("numerator")?,
        denominator: row.try_get("denominator")?,
        section: row.try_get("section")?,
        description: row.try_get("description")?,
        builtin: row.try_get::<i64, _>("builtin")? != 0,
    })
}

async fn scalar(
    db: &Db,
    sql: &'static str,
    prefix: &str,
    date: BusinessDate,
    extra: Option<&str>,
) -> Result<i64> {
    let (low, high) = code_range(prefix);
    let mut query = sqlx::query(sql).bind(low).bind(date.to_string()).bind(high);
    if let Some(extra) = extra {
        query = query.bind(extra.to_string());
    }
    let row = query.fetch_one(db.pool()).await?;
    Ok(row.try_get("n")?)
}

/// Households in the registry on `date` under the prefix whose status is poor or relapsed.
pub async fn poor_households(db: &Db, prefix: &str, date: BusinessDate) -> Result<i64> {
    scalar(
        db,
        "select count(*) as n from household_versions v where v.village_code >= $1 and v.village_code <= $3 \
         and v.valid_from <= $2 and (v.valid_to is null or v.valid_to > $2) \
         and v.status in ('poor', 'relapsed')",
        prefix,
        date,
        None,
    )
    .await
}

/// Members of those households on `date`.
pub async fn poor_population(db: &Db, prefix: &str, date: BusinessDate) -> Result<i64> {
    scalar(
        db,
        "select count(*) as n from members m join household_versions v \
         on v.household_id = m.household_id and v.valid_from <= $2 \
         and (v.valid_to is null or v.valid_to > $2) \
         where v.village_code >= $1 and v.village_code <= $3 and v.status in ('poor', 'relapsed') \
         and m.valid_from <= $2 and (m.valid_to is null or m.valid_to > $2)",
        prefix,
        date,
        None,
    )
    .await
}

/// Resident population of the county-level regions under the prefix in use on `date`.
pub async fn resident_population(db: &Db, prefix: &str, date: BusinessDate) -> Result<i64> {
    scalar(
        db,
        "select cast(coalesce(sum(population), 0) as bigint) as n from regions \
         where level = 'county' and code >= $1 and code <= $3 \
         and (valid_from is null or valid_from <= $2) and (valid_to is null or valid_to > $2)",
        prefix,
        date,
        None,
    )
    .await
}

/// Enterprises of a kind listed on or before `date` in villages under the prefix.
pub async fn enterprises_of_kind(
    db: &Db,
    prefix: &str,
    date: BusinessDate,
    kind: &str,
) -> Result<i64> {
    scalar(
        db,
        "select count(*) as n from enterprises where village_code >= $1 and village_code <= $3 and listed_on <= $2 \
         and kind = $4",
        prefix,
        date,
        Some(kind),
    )
    .await
}

/// People lifted on `date` by the enterprises in villages under the prefix.
pub async fn people_lifted(db: &Db, prefix: &str, date: BusinessDate) -> Result<i64> {
    scalar(
        db,
        "select cast(coalesce(sum(l.people), 0) as bigint) as n from enterprise_links l \
         join enterprises e on e.credit_code = l.credit_code where e.village_code >= $1 and e.village_code <= $3 \
         and l.since <= $2 and (l.until is null or l.until > $2)",
        prefix,
        date,
        None,
    )
    .await
}

/// Principal of loans of a product category started on or before `date` (new money: rollovers
/// excluded), optionally of one institution.
pub async fn disbursed(
    db: &Db,
    prefix: &str,
    date: BusinessDate,
    category: &str,
    institution: Option<&str>,
) -> Result<Fen> {
    let mut conditions = Conditions::starting_at(3);
    conditions
        .prefix("l.village_code", prefix)
        .text_if("l.institution_code = {}", institution);
    let sql = format!(
        "select cast(coalesce(sum(l.principal_fen), 0) as bigint) as n from loans l \
         join products p on p.code = l.product_code where l.start_on <= $1 \
         and p.category = $2 and l.rolled_from_loan_id is null{}",
        conditions.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(category.to_string());
    let row = conditions.bind(query).fetch_one(db.pool()).await?;
    Ok(Fen::new(row.try_get("n")?))
}

/// Distinct borrowers with a loan of a category outstanding on `date`.
pub async fn borrowers(
    db: &Db,
    prefix: &str,
    date: BusinessDate,
    category: &str,
    institution: Option<&str>,
) -> Result<i64> {
    let mut conditions = Conditions::starting_at(3);
    conditions
        .prefix("l.village_code", prefix)
        .text_if("l.institution_code = {}", institution);
    let sql = format!(
        "select count(distinct l.borrower_id) as n from loans l \
         join products p on p.code = l.product_code where l.start_on <= $1 \
         and (l.closed_on is null or l.closed_on > $1) and p.category = $2{}",
        conditions.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(category.to_string());
    let row = conditions.bind(query).fetch_one(db.pool()).await?;
    Ok(row.try_get("n")?)
}

/// Loans overdue on `date` since at least `since_at_most` (their spell began on or before it):
/// (institution, contract).
pub async fn overdue_since(
    db: &Db,
    prefix: &str,
    date: BusinessDate,
    since_at_most: BusinessDate,
    institution: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let mut conditions = Conditions::starting_at(3);
    conditions
        .prefix("l.village_code", prefix)
        .text_if("l.institution_code = {}", institution);
    let sql = format!(
        "select l.institution_code, l.contract_no from loan_overdue_spells s \
         join loans l on l.id = s.loan_id where s.from_on <= $2 \
         and (s.to_on is null or s.to_on > $1){} order by l.id",
        conditions.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(since_at_most.to_string());
    let rows = conditions.bind(query).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("institution_code")?,
                row.try_get("contract_no")?,
            ))
        })
        .collect()
}

/// Principal falling due in one month and county: what is left to pay of the current schedules'
/// instalments of active loans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaturingCell {
    /// `YYYY-MM`.
    pub month: String,
    /// The county's six-digit code.
    pub county_code: String,
    pub principal: Fen,
}

/// Principal left to pay of instalments due after `after` and on or before `through`, of active
/// loans started on or before `after`, from their current schedules (superseded instalments
/// excluded), per month and county, in month then county order.
pub async fn maturing_by_month_and_county(
    db: &Db,
    prefix: &str,
    (after, through): (BusinessDate, BusinessDate),
    institution: Option<&str>,
) -> Result<Vec<MaturingCell>> {
    let mut conditions = Conditions::starting_at(3);
    conditions
        .prefix("l.village_code", prefix)
        .text_if("l.institution_code = {}", institution);
    let sql = format!(
        "select substr(i.due_on, 1, 7) as month, substr(l.village_code, 1, 6) as county, \
         cast(sum(i.principal_fen - i.paid_principal_fen) as bigint) as n \
         from loan_instalments i join loans l on l.id = i.loan_id \
         where l.status = 'active' and l.start_on <= $1 and i.superseded = 0 \
         and i.due_on > $1 and i.due_on <= $2 and i.principal_fen > i.paid_principal_fen{} \
         group by substr(i.due_on, 1, 7), substr(l.village_code, 1, 6) \
         order by month, county",
        conditions.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after.to_string())
        .bind(through.to_string());
    let rows = conditions.bind(query).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(MaturingCell {
                month: row.try_get("month")?,
                county_code: row.try_get("county")?,
                principal: Fen::new(row.try_get("n")?),
            })
        })
        .collect()
}
