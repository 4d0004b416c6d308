//! Credit files, ratings and credit lines (评级授信), the scorecards that rate, and the queries
//! of "three full coverage".
//!
//! A scorecard version belongs to an institution (or, with no institution, is the default of
//! every institution without one of its own) and applies from its `effective_from` until the
//! owner's next version. A credit file keeps the version that rated it and a snapshot of the
//! household on its assessment date. A credit line is valid over `[granted_on, expires_on)`,
//! and a line granted later to the same household by the same institution replaces the
//! earlier one from its grant date: on any date a household has at most one line in force per
//! institution, the latest granted on or before it, if that one has not expired.

use fupin_core::{BusinessDate, Fen, RegionCode};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::filter::{Conditions, code_range};
use crate::regions::date_column;

// ---------------------------------------------------------------------------------------------
// scorecards

/// One factor of a scorecard: its full marks (`weight`) and its point scale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Factor {
    pub code: String,
    pub name: String,
    /// Full marks; the weights of a scorecard sum to 100.
    pub weight: i64,
    /// Named levels and their points (each within `0..=weight`); empty = whole numbers only.
    pub levels: Vec<(String, i64)>,
}

/// A grade: scores from `min_score` up to the next grade's threshold, and its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GradeBand {
    pub grade: String,
    pub min_score: i64,
    /// The recommended line; zero = no line.
    pub line: Fen,
}

/// A scorecard version as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scorecard {
    /// `None`: the default scorecard.
    pub institution_code: Option<String>,
    pub effective_from: BusinessDate,
    pub name: String,
    /// In display order.
    pub factors: Vec<Factor>,
    /// Highest threshold first.
    pub grades: Vec<GradeBand>,
}

/// A stored scorecard version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScorecardVersion {
    pub id: i64,
    pub card: Scorecard,
}

/// Stores a new scorecard version and returns its id.
pub async fn insert_scorecard(tx: &mut Tx, card: &Scorecard) -> Result<i64> {
    let row = sqlx::query(
        "insert into scorecards (institution_code, effective_from, name) values ($1, $2, $3) \
         returning id",
    )
    .bind(&card.institution_code)
    .bind(card.effective_from.to_string())
    .bind(&card.name)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    for (position, factor) in card.factors.iter().enumerate() {
        let levels = factor
            .levels
            .iter()
            .map(|(level, points)| format!("{level}={points}"))
            .collect::<Vec<_>>()
            .join(";");
        sqlx::query(
            "insert into scorecard_factors (scorecard_id, position, code, name, weight, levels) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(&factor.code)
        .bind(&factor.name)
        .bind(factor.weight)
        .bind(levels)
        .execute(&mut **tx)
        .await?;
    }
    for band in &card.grades {
        sqlx::query(
            "insert into scorecard_grades (scorecard_id, grade, min_score, line_fen) \
             values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&band.grade)
        .bind(band.min_score)
        .bind(band.line.fen())
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Removes a scorecard version that no credit file refers to.
pub async fn delete_scorecard(tx: &mut Tx, id: i64) -> Result<()> {
    for sql in [
        "delete from scorecard_factors where scorecard_id = $1",
        "delete from scorecard_grades where scorecard_id = $1",
        "delete from scorecards where id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The version of `institution`'s own scorecard (the default's, for `None`) in force on
/// `date`: the latest starting on or before it.
pub async fn scorecard_in_force_in(
    tx: &mut Tx,
    institution: Option<&str>,
    date: BusinessDate,
) -> Result<Option<ScorecardVersion>> {
    scorecard_in_force_on(tx, institution, date).await
}

/// [`scorecard_in_force_in`], outside a transaction.
pub async fn scorecard_in_force(
    db: &Db,
    institution: Option<&str>,
    date: BusinessDate,
) -> Result<Option<ScorecardVersion>> {
    let mut conn = db.pool().acquire().await?;
    scorecard_in_force_on(&mut conn, institution, date).await
}

async fn scorecard_in_force_on(
    conn: &mut AnyConnection,
    institution: Option<&str>,
    date: BusinessDate,
) -> Result<Option<ScorecardVersion>> {
    let row = sqlx::query(
        "select id from scorecards where coalesce(institution_code, '') = $1 \
         and effective_from <= $2 order by effective_from desc limit 1",
    )
    .bind(institution.unwrap_or(""))
    .bind(date.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => scorecard_by_id(conn, row.try_get("id")?).await,
    }
}

/// A scorecard version by id, outside a transaction.
pub async fn scorecard_version(db: &Db, id: i64) -> Result<Option<ScorecardVersion>> {
    let mut conn = db.pool().acquire().await?;
    scorecard_by_id(&mut conn, id).await
}

/// The version of an owner starting exactly on `effective_from`.
pub async fn scorecard_at_in(
    tx: &mut Tx,
    institution: Option<&str>,
    effective_from: BusinessDate,
) -> Result<Option<ScorecardVersion>> {
    let row = sqlx::query(
        "select id from scorecards where coalesce(institution_code, '') = $1 \
         and effective_from = $2",
    )
    .bind(institution.unwrap_or(""))
    .bind(effective_from.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => scorecard_by_id(tx, row.try_get("id")?).await,
    }
}

/// Whether any default scorecard version is stored.
pub async fn has_default_scorecard_in(tx: &mut Tx) -> Result<bool> {
    let row = sqlx::query("select count(*) as n from scorecards where institution_code is null")
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// A scorecard version by id.
pub async fn scorecard_by_id_in(tx: &mut Tx, id: i64) -> Result<Option<ScorecardVersion>> {
    scorecard_by_id(tx, id).await
}

/// Every stored version, by owner (default first) and date; only `institution`'s (and the
/// default's) when given.
pub async fn list_scorecards(db: &Db, institution: Option<&str>) -> Result<Vec<ScorecardVersion>> {
    let mut conn = db.pool().acquire().await?;
    let rows = sqlx::query(
        "select id from scorecards where ($1 = '' or institution_code is null \
         or institution_code = $1) order by coalesce(institution_code, ''), effective_from",
    )
    .bind(institution.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    let mut cards = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(card) = scorecard_by_id(&mut conn, row.try_get("id")?).await? {
            cards.push(card);
        }
    }
    Ok(cards)
}

/// The latest assessment date of a credit file that the owner's versions rated (for an
/// institution: any of its files, whichever scorecard rated them).
pub async fn latest_rating_under_in(
    tx: &mut Tx,
    institution: Option<&str>,
) -> Result<Option<BusinessDate>> {
    let row = match institution {
        Some(code) => {
            sqlx::query(
                "select max(assessed_on) as d from credit_files where institution_code = $1",
            )
            .bind(code)
            .fetch_one(&mut **tx)
            .await?
        }
        None => {
            sqlx::query(
                "select max(f.assessed_on) as d from credit_files f join scorecards s \
                 on s.id = f.scorecard_id where s.institution_code is null",
            )
            .fetch_one(&mut **tx)
            .await?
        }
    };
    date_column(&row, "credit_files", "d")
}

async fn scorecard_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<ScorecardVersion>> {
    let Some(row) = sqlx::query(
        "select id, institution_code, effective_from, name from scorecards where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let factor_rows = sqlx::query(
        "select code, name, weight, levels from scorecard_factors where scorecard_id = $1 \
         order by position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let grade_rows = sqlx::query(
        "select grade, min_score, line_fen from scorecard_grades where scorecard_id = $1 \
         order by min_score desc",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut factors = Vec::with_capacity(factor_rows.len());
    for row in &factor_rows {
        let levels: String = row.try_get("levels")?;
        factors.push(Factor {
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            weight: row.try_get("weight")?,
            levels: parse_levels(&levels)?,
        });
    }
    let grades = grade_rows
        .iter()
        .map(|row| {
            Ok(GradeBand {
                grade: row.try_get("grade")?,
                min_score: row.try_get("min_score")?,
                line: Fen::new(row.try_get("line_fen")?),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some(ScorecardVersion {
        id,
        card: Scorecard {
            institution_code: row.try_get("institution_code")?,
            effective_from: date_column(&row, "scorecards", "effective_from")?
                .ok_or_else(|| corrupt("scorecards", "effective_from", "null"))?,
            name: row.try_get("name")?,
            factors,
            grades,
        },
    }))
}

fn parse_levels(text: &str) -> Result<Vec<(String, i64)>> {
    text.split(';')
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (level, points) = item
                .split_once('=')
                .ok_or_else(|| corrupt("scorecard_factors", "levels", item))?;
            let points = points
                .parse::<i64>()
                .map_err(|e| corrupt("scorecard_factors", "levels", e))?;
            Ok((level.to_string(), points))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// credit files

/// A credit file: a rating (score, grade, recommended line, the scorecard version) or an
/// exemption, with the household as it stood on the assessment date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditFile {
    pub household_id: String,
    pub institution_code: String,
    pub assessed_on: BusinessDate,
    /// The household's village on `assessed_on`.
    pub village_code: RegionCode,
    /// The household's status on `assessed_on`.
    pub household_status: String,
    /// `no_labour`, `no_need`, `age`, `bad_credit` or `other`; `None` for a rated file.
    pub exempt_reason: Option<String>,
    pub scorecard_id: Option<i64>,
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub recommended_line: Option<Fen>,
    /// The factor inputs and their points (JSON), when the score was computed from them.
    pub factors_json: Option<String>,
    /// The household's version on `assessed_on` with its members (JSON, ID numbers masked).
    pub household_json: String,
}

/// A stored credit file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCreditFile {
    pub id: i64,
    pub file: CreditFile,
}

const FILE_COLUMNS: &str = "id, household_id, institution_code, assessed_on, village_code, \
    household_status, exempt_reason, scorecard_id, score, grade, recommended_line_fen, \
    factors_json, household_json";

/// The file of a household by an institution on a date.
pub async fn credit_file_in(
    tx: &mut Tx,
    household: &str,
    institution: &str,
    assessed_on: BusinessDate,
) -> Result<Option<StoredCreditFile>> {
    let sql = format!(
        "select {FILE_COLUMNS} from credit_files where household_id = $1 \
         and institution_code = $2 and assessed_on = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household)
        .bind(institution)
        .bind(assessed_on.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(file_from_row).transpose()
}

/// Every credit file of each of `households` (in no particular order), in statements of many
/// households: what a batch of a credit-files import compares its rows with.
pub async fn credit_files_of_in(tx: &mut Tx, households: &[&str]) -> Result<Vec<StoredCreditFile>> {
    let sql = |params: &mut crate::sql::Params, count: usize| {
        format!(
            "select {FILE_COLUMNS} from credit_files where household_id in ({})",
            params.list(count)
        )
    };
    let rows = crate::registry::rows_by_ids(tx, households, sql).await?;
    rows.iter().map(file_from_row).collect()
}

/// The household's latest file by the institution assessed on or before `date`.
pub async fn latest_credit_file_in(
    tx: &mut Tx,
    household: &str,
    institution: &str,
    date: BusinessDate,
) -> Result<Option<StoredCreditFile>> {
    let sql = format!(
        "select {FILE_COLUMNS} from credit_files where household_id = $1 \
         and institution_code = $2 and assessed_on <= $3 order by assessed_on desc limit 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household)
        .bind(institution)
        .bind(date.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(file_from_row).transpose()
}

/// Stores a file, replacing the one with the same household, institution and date; returns
/// its id.
pub async fn upsert_credit_file(tx: &mut Tx, file: &CreditFile) -> Result<i64> {
    let row = sqlx::query(
        "insert into credit_files (household_id, institution_code, assessed_on, village_code, \
         household_status, exempt_reason, scorecard_id, score, grade, recommended_line_fen, \
         factors_json, household_json) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         on conflict (household_id, institution_code, assessed_on) do update set \
         village_code = excluded.village_code, household_status = excluded.household_status, \
         exempt_reason = excluded.exempt_reason, scorecard_id = excluded.scorecard_id, \
         score = excluded.score, grade = excluded.grade, \
         recommended_line_fen = excluded.recommended_line_fen, \
         factors_json = excluded.factors_json, household_json = excluded.household_json \
         returning id",
    )
    .bind(&file.household_id)
    .bind(&file.institution_code)
    .bind(file.assessed_on.to_string())
    .bind(file.village_code.to_string())
    .bind(&file.household_status)
    .bind(&file.exempt_reason)
    .bind(file.scorecard_id)
    .bind(file.score)
    .bind(&file.grade)
    .bind(file.recommended_line.map(Fen::fen))
    .bind(&file.factors_json)
    .bind(&file.household_json)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// Which files or lines a listing returns; every field narrows.
#[derive(Clone, Debug, Default)]
pub struct CreditFilter {
    pub household: Option<String>,
    pub institution: Option<String>,
    /// Villages (on the file's or line's date) at or under this region.
    pub within: Option<RegionCode>,
    /// Files assessed (lines granted) on or before this date.
    pub on_or_before: Option<BusinessDate>,
    pub limit: i64,
}

/// Credit files, by household, institution and date.
pub async fn list_credit_files(db: &Db, filter: &CreditFilter) -> Result<Vec<StoredCreditFile>> {
    let (conditions, limit) = credit_conditions(filter, "assessed_on");
    let sql = format!(
        "select {FILE_COLUMNS} from credit_files{} \
         order by household_id, institution_code, assessed_on limit {limit}",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(file_from_row).collect()
}

/// The conditions of a files' or lines' listing (dated by `date_column`) and its limit's
/// placeholder.
fn credit_conditions(filter: &CreditFilter, date_column: &str) -> (Conditions, String) {
    let mut conditions = Conditions::starting_at(1);
    conditions
        .within("village_code", filter.within)
        .text_if("household_id = {}", filter.household.as_deref())
        .text_if("institution_code = {}", filter.institution.as_deref());
    if let Some(date) = filter.on_or_before {
        conditions.text(&format!("{date_column} <= {{}}"), date.to_string());
    }
    let limit = conditions.int(filter.limit);
    (conditions, limit)
}

fn file_from_row(row: &AnyRow) -> Result<StoredCreditFile> {
    let village: String = row.try_get("village_code")?;
    Ok(StoredCreditFile {
        id: row.try_get("id")?,
        file: CreditFile {
            household_id: row.try_get("household_id")?,
            institution_code: row.try_get("institution_code")?,
            assessed_on: date_column(row, "credit_files", "assessed_on")?
                .ok_or_else(|| corrupt("credit_files", "assessed_on", "null"))?,
            village_code: RegionCode::parse(&village)
                .map_err(|e| corrupt("credit_files", "village_code", e))?,
            household_status: row.try_get("household_status")?,
            exempt_reason: row.try_get("exempt_reason")?,
            scorecard_id: row.try_get("scorecard_id")?,
            score: row.try_get("score")?,
            grade: row.try_get("grade")?,
            recommended_line: row
                .try_get::<Option<i64>, _>("recommended_line_fen")?
                .map(Fen::new),
            factors_json: row.try_get("factors_json")?,
            household_json: row.try_get("household_json")?,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// credit lines

/// Granted credit, valid over `[granted_on, expires_on)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditLine {
    pub household_id: String,
    pub institution_code: String,
    pub granted_on: BusinessDate,
    pub expires_on: BusinessDate,
    pub amount: Fen,
    /// The household's village on `granted_on`.
    pub village_code: RegionCode,
    /// The credit file the amount was checked against, and its recommended line.
    pub credit_file_id: Option<i64>,
    pub recommended_line: Option<Fen>,
    /// Why the amount may exceed the recommended line (or stand without a rated file).
    pub override_reason: Option<String>,
}

/// A stored credit line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCreditLine {
    pub id: i64,
    pub line: CreditLine,
}

const LINE_COLUMNS: &str = "id, household_id, institution_code, granted_on, expires_on, \
    amount_fen, village_code, credit_file_id, recommended_line_fen, override_reason";

/// The line of a household by an institution granted on a date.
pub async fn credit_line_in(
    tx: &mut Tx,
    household: &str,
    institution: &str,
    granted_on: BusinessDate,
) -> Result<Option<StoredCreditLine>> {
    let sql = format!(
        "select {LINE_COLUMNS} from credit_lines where household_id = $1 \
         and institution_code = $2 and granted_on = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household)
        .bind(institution)
        .bind(granted_on.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(line_from_row).transpose()
}

/// Every credit line of each of `households` (in no particular order), in statements of many
/// households: what a batch of a credit-lines import compares its rows with.
pub async fn credit_lines_of_in(tx: &mut Tx, households: &[&str]) -> Result<Vec<StoredCreditLine>> {
    let sql = |params: &mut crate::sql::Params, count: usize| {
        format!(
            "select {LINE_COLUMNS} from credit_lines where household_id in ({})",
            params.list(count)
        )
    };
    let rows = crate::registry::rows_by_ids(tx, households, sql).await?;
    rows.iter().map(line_from_row).collect()
}

/// The household's line with the institution in force on `date`: the latest granted on or
/// before it, unless that one has expired.
pub async fn line_in_force_in(
    tx: &mut Tx,
    household: &str,
    institution: &str,
    date: BusinessDate,
) -> Result<Option<StoredCreditLine>> {
    let sql = format!(
        "select {LINE_COLUMNS} from credit_lines where household_id = $1 \
         and institution_code = $2 and granted_on <= $3 order by granted_on desc limit 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household)
        .bind(institution)
        .bind(date.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let line = row.as_ref().map(line_from_row).transpose()?;
    Ok(line.filter(|stored| stored.line.expires_on > date))
}

/// Stores a line, replacing the one with the same household, institution and grant date;
/// returns its id.
pub async fn upsert_credit_line(tx: &mut Tx, line: &CreditLine) -> Result<i64> {
    let row = sqlx::query(
        "insert into credit_lines (household_id, institution_code, granted_on, expires_on, \
         amount_fen, village_code, credit_file_id, recommended_line_fen, override_reason) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (household_id, institution_code, granted_on) do update set \
         expires_on = excluded.expires_on, amount_fen = excluded.amount_fen, \
         village_code = excluded.village_code, credit_file_id = excluded.credit_file_id, \
         recommended_line_fen = excluded.recommended_line_fen, \
         override_reason = excluded.override_reason returning id",
    )
    .bind(&line.household_id)
    .bind(&line.institution_code)
    .bind(line.granted_on.to_string())
    .bind(line.expires_on.to_string())
    .bind(line.amount.fen())
    .bind(line.village_code.to_string())
    .bind(line.credit_file_id)
    .bind(line.recommended_line.map(Fen::fen))
    .bind(&line.override_reason)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// Credit lines, by household, institution and grant date.
pub async fn list_credit_lines(db: &Db, filter: &CreditFilter) -> Result<Vec<StoredCreditLine>> {
    let (conditions, limit) = credit_conditions(filter, "granted_on");
    let sql = format!(
        "select {LINE_COLUMNS} from credit_lines{} \
         order by household_id, institution_code, granted_on limit {limit}",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(line_from_row).collect()
}

/// SQL: "line `alias` is in force on the date bound as `$n`" (granted on or before it, not
/// expired, not replaced by a later line of the same household and institution).
fn line_in_force_condition(alias: &str, n: usize) -> String {
    format!(
        "{alias}.granted_on <= ${n} and {alias}.expires_on > ${n} and not exists (select 1 \
         from credit_lines later where later.household_id = {alias}.household_id \
         and later.institution_code = {alias}.institution_code \
         and later.granted_on > {alias}.granted_on and later.granted_on <= ${n})"
    )
}

/// Households with a line in force on `date` whose village (on the grant date) starts with
/// `prefix` (all for ''), and the sum of those lines' amounts.
pub async fn lines_in_force(db: &Db, prefix: &str, date: BusinessDate) -> Result<(i64, Fen)> {
    let sql = format!(
        "select count(distinct l.household_id) as households, \
         cast(coalesce(sum(l.amount_fen), 0) as bigint) as amount \
         from credit_lines l where l.village_code >= $1 and l.village_code <= $3 and {}",
        line_in_force_condition("l", 2)
    );
    let (low, high) = code_range(prefix);
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(date.to_string())
        .bind(high)
        .fetch_one(db.pool())
        .await?;
    Ok((row.try_get("households")?, Fen::new(row.try_get("amount")?)))
}

fn line_from_row(row: &AnyRow) -> Result<StoredCreditLine> {
    let village: String = row.try_get("village_code")?;
    Ok(StoredCreditLine {
        id: row.try_get("id")?,
        line: CreditLine {
            household_id: row.try_get("household_id")?,
            institution_code: row.try_get("institution_code")?,
            granted_on: date_column(row, "credit_lines", "granted_on")?
                .ok_or_else(|| corrupt("credit_lines", "granted_on", "null"))?,
            expires_on: date_column(row, "credit_lines", "expires_on")?
                .ok_or_else(|| corrupt("credit_lines", "expires_on", "null"))?,
            amount: Fen::new(row.try_get("amount_fen")?),
            village_code: RegionCode::parse(&village)
                .map_err(|e| corrupt("credit_lines", "village_code", e))?,
            credit_file_id: row.try_get("credit_file_id")?,
            recommended_line: row
                .try_get::<Option<i64>, _>("recommended_line_fen")?
                .map(Fen::new),
            override_reason: row.try_get("override_reason")?,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// loans drawing on lines

/// Whether loans of the product draw on credit lines (`None` when there is no such product).
pub async fn product_credit_line_in(tx: &mut Tx, product: &str) -> Result<Option<bool>> {
    let row = sqlx::query("select credit_line from products where code = $1")
        .bind(product)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| Ok(row.try_get::<i64, _>("credit_line")? != 0))
        .transpose()
}

/// Sets whether loans of the product draw on credit lines.
pub async fn set_product_credit_line(tx: &mut Tx, product: &str, draws: bool) -> Result<()> {
    sqlx::query("update products set credit_line = $1 where code = $2")
        .bind(i64::from(draws))
        .bind(product)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Codes of products whose loans draw on credit lines.
pub async fn credit_line_products(db: &Db) -> Result<Vec<String>> {
    let rows = sqlx::query("select code from products where credit_line = 1 order by code")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("code")?))
        .collect::<Result<_>>()
}

/// Contract numbers of the household's loans from the institution, of products drawing on
/// lines, started on or before `date` (whatever their status: the caller reads their
/// principal outstanding on the date from the ledger).
pub async fn line_loans_in(
    tx: &mut Tx,
    household: &str,
    institution: &str,
    date: BusinessDate,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select l.contract_no from loans l join products p on p.code = l.product_code \
         where p.credit_line = 1 and l.borrower_type = 'household' and l.borrower_id = $1 \
         and l.institution_code = $2 and l.start_on <= $3 order by l.contract_no",
    )
    .bind(household)
    .bind(institution)
    .bind(date.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("contract_no")?))
        .collect::<Result<_>>()
}

// ---------------------------------------------------------------------------------------------
// three full coverage

/// Which registered households a coverage query counts.
#[derive(Clone, Debug, Default)]
pub struct HouseholdScope {
    /// Villages at or under any of these regions; everything when empty.
    pub within: Vec<RegionCode>,
    /// Only the townships this institution is responsible for on the date.
    pub institution: Option<String>,
}

/// Counts of the registered households in a scope on a date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HouseholdCounts {
    /// In the registry with status poor, exited or relapsed.
    pub registered: i64,
    /// Registered and not exempt (their latest credit file is not an exemption).
    pub eligible: i64,
    /// Eligible with a rated credit file.
    pub rated: i64,
    /// Eligible with a credit line in force.
    pub with_line: i64,
}

/// An eligible household without a credit file, a credit line or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncoveredHousehold {
    pub household_id: String,
    pub village_code: RegionCode,
    pub village_name: Option<String>,
    pub township_code: RegionCode,
    pub township_name: Option<String>,
    /// The township's responsible institution on the date.
    pub institution_code: Option<String>,
    pub institution_name: Option<String>,
    pub has_file: bool,
    pub has_line: bool,
}

/// The per-household flags on the date bound as `$1`, with the scope's binds from `$2`.
fn household_flags(scope: &HouseholdScope) -> (String, Vec<String>) {
    let mut binds = Vec::new();
    let mut sql = format!(
        "select v.household_id, v.village_code, \
         (select max(f.assessed_on) from credit_files f where f.household_id = v.household_id \
             and f.assessed_on <= $1 and f.exempt_reason is null) as last_rated, \
         (select max(f.assessed_on) from credit_files f where f.household_id = v.household_id \
             and f.assessed_on <= $1 and f.exempt_reason is not null) as last_exempt, \
         case when exists (select 1 from credit_lines l where l.household_id = v.household_id \
             and {}) then 1 else 0 end as has_line \
         from household_versions v \
         where v.valid_from <= $1 and (v.valid_to is null or v.valid_to > $1) \
         and v.status in ('poor', 'exited', 'relapsed')",
        line_in_force_condition("l", 1)
    );
    if !scope.within.is_empty() {
        let alternatives: Vec<String> = scope
            .within
            .iter()
            .map(|region| {
                let (low, high) = code_range(region.prefix());
                binds.push(low);
                binds.push(high);
                format!(
                    "(v.village_code >= ${} and v.village_code <= ${})",
                    binds.len(),
                    binds.len() + 1
                )
            })
            .collect();
        sql.push_str(&format!(" and ({})", alternatives.join(" or ")));
    }
    if let Some(institution) = &scope.institution {
        binds.push(institution.clone());
        sql.push_str(&format!(
            " and substr(v.village_code, 1, 9) || '000' in (select a.township_code \
             from assignments a where a.institution_code = ${} and a.effective_from <= $1 \
             and (a.effective_to is null or a.effective_to > $1))",
            binds.len() + 1
        ));
    }
    (sql, binds)
}

/// SQL: the household of row `h` is eligible (not exempt: no exemption, or rated on or after
/// its latest exemption).
const ELIGIBLE: &str =
    "(h.last_exempt is null or (h.last_rated is not null and h.last_rated >= h.last_exempt))";

/// Registered, eligible, rated and lined households in the scope on `date`.
pub async fn household_counts(
    db: &Db,
    date: BusinessDate,
    scope: &HouseholdScope,
) -> Result<HouseholdCounts> {
    let (inner, binds) = household_flags(scope);
    let sql = format!(
        "select count(*) as registered, \
         cast(coalesce(sum(case when {ELIGIBLE} then 1 else 0 end), 0) as bigint) as eligible, \
         cast(coalesce(sum(case when {ELIGIBLE} and h.last_rated is not null then 1 else 0 end), \
             0) as bigint) as rated, \
         cast(coalesce(sum(case when {ELIGIBLE} and h.has_line = 1 then 1 else 0 end), 0) \
             as bigint) as with_line \
         from ({inner}) h"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string());
    for bind in binds {
        query = query.bind(bind);
    }
    let row = query.fetch_one(db.pool()).await?;
    Ok(HouseholdCounts {
        registered: row.try_get("registered")?,
        eligible: row.try_get("eligible")?,
        rated: row.try_get("rated")?,
        with_line: row.try_get("with_line")?,
    })
}

/// Eligible households in the scope on `date` without a rated credit file or a line in force,
/// in village and household order, with the township's responsible institution on the date.
pub async fn uncovered_households(
    db: &Db,
    date: BusinessDate,
    scope: &HouseholdScope,
) -> Result<Vec<UncoveredHousehold>> {
    let (inner, binds) = household_flags(scope);
    let sql = format!(
        "select h.household_id, h.village_code, r.name as village_name, \
         t.name as township_name, a.institution_code, i.name as institution_name, \
         case when h.last_rated is null then 0 else 1 end as has_file, h.has_line \
         from ({inner}) h \
         left join regions r on r.code = h.village_code \
         left join regions t on t.code = substr(h.village_code, 1, 9) || '000' \
         left join assignments a on a.township_code = substr(h.village_code, 1, 9) || '000' \
             and a.effective_from <= $1 and (a.effective_to is null or a.effective_to > $1) \
         left join institutions i on i.code = a.institution_code \
         where {ELIGIBLE} and (h.last_rated is null or h.has_line = 0) \
         order by h.village_code, h.household_id"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string());
    for bind in binds {
        query = query.bind(bind);
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            let village: String = row.try_get("village_code")?;
            let village_code = RegionCode::parse(&village)
                .map_err(|e| corrupt("household_versions", "village_code", e))?;
            let township_code = village_code
                .ancestor_at(fupin_core::RegionLevel::Township)
                .ok_or_else(|| corrupt("household_versions", "village_code", &village))?;
            Ok(UncoveredHousehold {
                household_id: row.try_get("household_id")?,
                village_code,
                village_name: row.try_get("village_name")?,
                township_code,
                township_name: row.try_get("township_name")?,
                institution_code: row.try_get("institution_code")?,
                institution_name: row.try_get("institution_name")?,
                has_file: row.try_get::<i64, _>("has_file")? != 0,
                has_line: row.try_get::<i64, _>("has_line")? != 0,
            })
        })
        .collect()
}
