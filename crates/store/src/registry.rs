//! The registry of poor households and enterprises.
//!
//! Households and members are versioned rows (`household_versions`, `members`): one row per
//! version over `[valid_from, valid_to)` in business dates, `valid_to` null for the current one.
//! The registry as of a date is a range query ([`as_of_condition`]), so reports never replay
//! history. `households` holds one row per household ever registered (the key other tables
//! refer to). Every change is also an event in `registry_events`, numbered from the single
//! `registry_head` row, which serialises registry writers on both engines so that numbers are
//! committed in order and a reader polling "after N" never misses one.
//!
//! A household import works through the `registry_import_*` tables inside its transaction:
//! rows are staged, the rules spanning rows are checked with SQL, and the result is applied in
//! chunks of households. The tables are empty outside an import.

use fupin_core::{BusinessDate, Fen, RegionCode, RegionLevel};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, AuditEntry};
use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::filter::Conditions;
use crate::regions::date_column;
use crate::sql::{Params, rows_per_insert};

use crate::filter::AnyQuery;

/// Keys per `IN (...)` list.
const KEYS_PER_QUERY: usize = 500;

/// The SQL condition "version valid on the date bound as `$n`" for a table alias.
pub fn as_of_condition(alias: &str, n: usize) -> String {
    format!("{alias}.valid_from <= ${n} and ({alias}.valid_to is null or {alias}.valid_to > ${n})")
}

// ---------------------------------------------------------------------------------------------
// types

/// The household-level facts of one version (the columns repeated on each member row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdFacts {
    pub village_code: RegionCode,
    /// `general`, `low_income`, `five_guarantee` or `low_income_poor`.
    pub poverty_attribute: String,
    /// One of the causes of FORMATS.md (`illness`, `disability`, …).
    pub main_cause: String,
    /// At most two causes, sorted.
    pub other_causes: Vec<String>,
    /// `poor`, `exited` or `relapsed`.
    pub status: String,
    pub exited_year: Option<i64>,
    pub identified_on: BusinessDate,
    pub per_capita_income: Fen,
}

/// One version of a household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdVersion {
    pub household_id: String,
    pub facts: HouseholdFacts,
    pub valid_from: BusinessDate,
    pub valid_to: Option<BusinessDate>,
}

/// What is known of a person as a member of a household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberFacts {
    /// The normalised 18-character resident ID number. Personal data: never log it.
    pub id_number: String,
    pub name: String,
    /// `head`, `spouse`, `child`, `parent`, `grandchild` or `other`.
    pub relation: String,
    /// `male` or `female`, derived from the ID number.
    pub sex: String,
    /// Derived from the ID number.
    pub birth_date: BusinessDate,
    /// `normal`, `skilled`, `weak` or `none`.
    pub labour: String,
    pub phone: Option<String>,
    /// The date of death the registry records (the alerts' 冒名贷款 check); `None` while alive.
    pub died_on: Option<BusinessDate>,
}

/// One version of a person's membership of a household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberVersion {
    pub household_id: String,
    pub member: MemberFacts,
    pub valid_from: BusinessDate,
    pub valid_to: Option<BusinessDate>,
}

/// A household as registered: when it was first valid and whether it was removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdIdentity {
    pub household_id: String,
    /// The village of its latest version.
    pub village_code: RegionCode,
    pub added_on: BusinessDate,
    pub removed_on: Option<BusinessDate>,
    /// As-of date of the extract that last changed it.
    pub changed_on: BusinessDate,
}

/// A member row of an import file, parsed, in the working table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedRow {
    pub line: i64,
    pub household_id: String,
    pub facts: HouseholdFacts,
    pub member: MemberFacts,
    /// The household the person belongs to now, when it is another one.
    pub moved_from: Option<String>,
}

/// One entry of the change feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub as_of: BusinessDate,
    pub household_id: String,
    pub village_code: RegionCode,
    /// `added`, `changed`, `status_changed`, `removed`, `member_added`, `member_changed`,
    /// `member_removed`.
    pub kind: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// the working tables of an import

/// Starts a household import inside `tx`: takes the registry's write lock (the head row) and
/// empties the working tables.
pub async fn import_begin(tx: &mut Tx) -> Result<()> {
    sqlx::query("update registry_head set seq = seq where id = 1")
        .execute(&mut **tx)
        .await?;
    if tx.backend_name() == "SQLite" {
        // A large import touches pages all over the indexes: a page cache of 128 MiB (instead
        // of 2 MiB) keeps SQLite from spilling and re-reading them. Bounded, whatever the file.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA cache_size = -{IMPORT_CACHE_KIB}"
        )))
        .execute(&mut **tx)
        .await?;
    }
    clear_working_tables(tx).await
}

/// SQLite's page cache during a household import, in KiB.
const IMPORT_CACHE_KIB: u32 = 131_072;

/// Ends a household import: empties the working tables (committed empty).
pub async fn import_end(tx: &mut Tx) -> Result<()> {
    clear_working_tables(tx).await?;
    if tx.backend_name() == "SQLite" {
        // SQLite's default: 2 MiB.
        sqlx::query("PRAGMA cache_size = -2000")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn clear_working_tables(tx: &mut Tx) -> Result<()> {
    for table in [
        "registry_import_rows",
        "registry_import_rejects",
        "registry_import_villages",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("delete from {table}")))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Gives the planner statistics of the working tables once they are filled (PostgreSQL). The
/// checks across rows join `registry_import_rows` with itself and with the registry; with
/// statistics from another moment (none yet, or autovacuum's, taken while the table was empty
/// between two imports) the planner believes it empty and picks nested loops: 230 s for one
/// check of a county's file. ANALYZE inside the import's transaction sees its own rows, and the
/// statistics commit or roll back with the import.
pub async fn analyze_staged(tx: &mut Tx) -> Result<()> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query(
            "analyze registry_import_rows, registry_import_rejects, registry_import_villages",
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const STAGED_COLUMNS: &str = "line, household_id, village_code, poverty_attribute, main_cause, \
    other_causes, status, exited_year, identified_on, per_capita_income_fen, id_number, name, \
    relation, sex, birth_date, labour, phone, died_on, moved_from";

/// Stages parsed member rows.
pub async fn stage_rows(tx: &mut Tx, rows: &[StagedRow]) -> Result<()> {
    for chunk in rows.chunks(rows_per_insert(19)) {
        let sql = format!(
            "insert into registry_import_rows ({STAGED_COLUMNS}) values {}",
            Params::of(tx).rows(chunk.len(), 19)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            query = bind_facts(query.bind(row.line).bind(&row.household_id), &row.facts);
            query = bind_member(query, &row.member).bind(&row.moved_from);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records households of the file that are refused.
pub async fn stage_rejects(tx: &mut Tx, household_ids: &[String]) -> Result<()> {
    for chunk in household_ids.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "insert into registry_import_rejects (household_id) values {} \
             on conflict (household_id) do nothing",
            Params::of(tx).rows(chunk.len(), 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records a village the file covers.
pub async fn stage_village(tx: &mut Tx, village: RegionCode) -> Result<()> {
    sqlx::query(
        "insert into registry_import_villages (village_code) values ($1) \
         on conflict (village_code) do nothing",
    )
    .bind(village.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many households of the file are refused.
pub async fn refused_count(tx: &mut Tx) -> Result<i64> {
    Ok(
        sqlx::query("select count(*) as n from registry_import_rejects")
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?,
    )
}

/// A person's row in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRow {
    pub id_number: String,
    pub household_id: String,
    pub line: i64,
}

/// Rows of people who appear more than once in the file, grouped by person, in line order.
pub async fn staged_repeated_people(tx: &mut Tx) -> Result<Vec<PersonRow>> {
    let rows = sqlx::query(
        "select id_number, household_id, line from registry_import_rows where id_number in \
         (select id_number from registry_import_rows group by id_number having count(*) > 1) \
         order by id_number, line",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PersonRow {
                id_number: row.try_get("id_number")?,
                household_id: row.try_get("household_id")?,
                line: row.try_get("line")?,
            })
        })
        .collect()
}

/// Households whose rows disagree on a household-level column, at most `limit`.
pub async fn staged_disagreeing_households(tx: &mut Tx, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select household_id from registry_import_rows group by household_id having \
         count(distinct village_code) > 1 or count(distinct poverty_attribute) > 1 \
         or count(distinct main_cause) > 1 or count(distinct other_causes) > 1 \
         or count(distinct status) > 1 or count(distinct coalesce(exited_year, -1)) > 1 \
         or count(distinct identified_on) > 1 or count(distinct per_capita_income_fen) > 1 \
         order by household_id limit $1",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("household_id")?))
        .collect()
}

/// The staged rows of one household, in line order.
pub async fn staged_rows_of(tx: &mut Tx, household_id: &str) -> Result<Vec<StagedRow>> {
    let sql = format!(
        "select {STAGED_COLUMNS} from registry_import_rows where household_id = $1 order by line"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(staged_from_row).collect()
}

/// A household of the file without exactly one head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadProblem {
    pub household_id: String,
    pub heads: i64,
    pub first_line: i64,
    /// Lines of its head rows (empty when there is none).
    pub head_lines: Vec<i64>,
}

/// Households of the file (not already refused) with no head or several, at most `limit`.
pub async fn staged_head_problems(tx: &mut Tx, limit: i64) -> Result<Vec<HeadProblem>> {
    let rows = sqlx::query(
        "select household_id, \
         cast(sum(case when relation = 'head' then 1 else 0 end) as bigint) as heads, \
         min(line) as first_line from registry_import_rows r \
         where not exists (select 1 from registry_import_rejects j \
             where j.household_id = r.household_id) \
         group by household_id having sum(case when relation = 'head' then 1 else 0 end) <> 1 \
         order by household_id limit $1",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let mut problems = Vec::new();
    for row in &rows {
        let household_id: String = row.try_get("household_id")?;
        let heads: i64 = row.try_get("heads")?;
        let head_lines = if heads > 1 {
            let lines = sqlx::query(
                "select line from registry_import_rows where household_id = $1 \
                 and relation = 'head' order by line",
            )
            .bind(&household_id)
            .fetch_all(&mut **tx)
            .await?;
            lines
                .iter()
                .map(|line| line.try_get("line"))
                .collect::<std::result::Result<_, _>>()?
        } else {
            Vec::new()
        };
        problems.push(HeadProblem {
            household_id,
            heads,
            first_line: row.try_get("first_line")?,
            head_lines,
        });
    }
    Ok(problems)
}

/// A person of the file who is, in the registry, a member of another household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMembership {
    pub line: i64,
    pub id_number: String,
    /// The household of the file.
    pub household_id: String,
    /// The household the registry has the person in.
    pub other_household: String,
    pub other_village: RegionCode,
    /// Whether the file's household is refused.
    pub refused: bool,
    /// Whether the other household is in the file (valid or refused).
    pub other_in_file: bool,
    /// Whether the other household is refused.
    pub other_refused: bool,
    /// Whether the file covers the other household's village.
    pub other_village_covered: bool,
}

/// Every person of the file whom the registry has in another household, in line order.
pub async fn staged_people_in_other_households(tx: &mut Tx) -> Result<Vec<StoredMembership>> {
    let rows = sqlx::query(
        "select r.line, r.id_number, r.household_id, m.household_id as other_household, \
         v.village_code as other_village, \
         case when exists (select 1 from registry_import_rejects j \
             where j.household_id = r.household_id) then 1 else 0 end as refused, \
         case when exists (select 1 from registry_import_rows x \
             where x.household_id = m.household_id) then 1 else 0 end as other_staged, \
         case when exists (select 1 from registry_import_rejects j \
             where j.household_id = m.household_id) then 1 else 0 end as other_refused, \
         case when exists (select 1 from registry_import_villages c \
             where c.village_code = v.village_code) then 1 else 0 end as other_covered \
         from registry_import_rows r \
         join members m on m.id_number = r.id_number and m.valid_to is null \
             and m.household_id <> r.household_id \
         join household_versions v on v.household_id = m.household_id and v.valid_to is null \
         order by r.line",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            let staged: i64 = row.try_get("other_staged")?;
            let refused: i64 = row.try_get("other_refused")?;
            let covered: i64 = row.try_get("other_covered")?;
            let own_refused: i64 = row.try_get("refused")?;
            Ok(StoredMembership {
                line: row.try_get("line")?,
                id_number: row.try_get("id_number")?,
                household_id: row.try_get("household_id")?,
                other_household: row.try_get("other_household")?,
                other_village: region_column(row, "household_versions", "other_village")?,
                refused: own_refused != 0,
                other_in_file: staged != 0 || refused != 0,
                other_refused: refused != 0,
                other_village_covered: covered != 0,
            })
        })
        .collect()
}

/// Notes that the person on `line` of `household_id` moves in from `from`.
pub async fn mark_moved(tx: &mut Tx, household_id: &str, line: i64, from: &str) -> Result<()> {
    sqlx::query(
        "update registry_import_rows set moved_from = $1 where household_id = $2 and line = $3",
    )
    .bind(from)
    .bind(household_id)
    .bind(line)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A covered village whose latest extract is dated after `as_of`, if any.
pub async fn later_extract(
    tx: &mut Tx,
    as_of: BusinessDate,
) -> Result<Option<(RegionCode, BusinessDate)>> {
    let row = sqlx::query(
        "select g.village_code, g.as_of from registry_villages g \
         join registry_import_villages c on c.village_code = g.village_code \
         where g.as_of > $1 order by g.as_of desc, g.village_code limit 1",
    )
    .bind(as_of.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        Ok((
            region_column(&row, "registry_villages", "village_code")?,
            required_date(&row, "registry_villages", "as_of")?,
        ))
    })
    .transpose()
}

/// A household of the file or of a covered village that an extract dated after `as_of`
/// changed (its history must not go back in time), if any.
pub async fn later_change(
    tx: &mut Tx,
    as_of: BusinessDate,
) -> Result<Option<(String, BusinessDate)>> {
    let row = sqlx::query(
        "select h.household_id, h.changed_on from households h where h.changed_on > $1 \
         and (exists (select 1 from registry_import_rows r where r.household_id = h.household_id) \
              or exists (select 1 from registry_import_villages c \
                  where c.village_code = h.village_code)) \
         order by h.changed_on desc limit 1",
    )
    .bind(as_of.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        Ok((
            row.try_get("household_id")?,
            required_date(&row, "households", "changed_on")?,
        ))
    })
    .transpose()
}

/// The extract dates stored for the covered villages: (village, as_of, previous as_of).
pub async fn covered_village_extracts(
    tx: &mut Tx,
) -> Result<Vec<(RegionCode, BusinessDate, Option<BusinessDate>)>> {
    let rows = sqlx::query(
        "select g.village_code, g.as_of, g.previous_as_of from registry_villages g \
         join registry_import_villages c on c.village_code = g.village_code",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                region_column(row, "registry_villages", "village_code")?,
                required_date(row, "registry_villages", "as_of")?,
                date_column(row, "registry_villages", "previous_as_of")?,
            ))
        })
        .collect()
}

/// Records `as_of` as the latest extract date of every covered village; returns how many
/// villages advanced (or were new).
pub async fn advance_village_extracts(tx: &mut Tx, as_of: BusinessDate) -> Result<u64> {
    let advanced = sqlx::query(
        "select count(*) as n from registry_import_villages c where not exists \
         (select 1 from registry_villages g where g.village_code = c.village_code \
          and g.as_of >= $1)",
    )
    .bind(as_of.to_string())
    .fetch_one(&mut **tx)
    .await?
    .try_get::<i64, _>("n")?;
    // SQLite needs the WHERE before ON CONFLICT of an INSERT … SELECT.
    sqlx::query(
        "insert into registry_villages (village_code, as_of, previous_as_of) \
         select village_code, $1, null from registry_import_villages where 1 = 1 \
         on conflict (village_code) do update set \
         previous_as_of = case when registry_villages.as_of < excluded.as_of \
             then registry_villages.as_of else registry_villages.previous_as_of end, \
         as_of = case when registry_villages.as_of < excluded.as_of \
             then excluded.as_of else registry_villages.as_of end",
    )
    .bind(as_of.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(u64::try_from(advanced).unwrap_or(0))
}

/// The next `limit` households of the file (not refused) after `after`, in id order.
pub async fn staged_households_after(tx: &mut Tx, after: &str, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select distinct r.household_id from registry_import_rows r \
         where r.household_id > $1 and not exists (select 1 from registry_import_rejects j \
             where j.household_id = r.household_id) \
         order by r.household_id limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("household_id")?))
        .collect()
}

/// The staged rows (not refused) of households `first..=last`, by household then line.
pub async fn staged_rows_between(tx: &mut Tx, first: &str, last: &str) -> Result<Vec<StagedRow>> {
    let sql = format!(
        "select {STAGED_COLUMNS} from registry_import_rows r \
         where r.household_id >= $1 and r.household_id <= $2 \
         and not exists (select 1 from registry_import_rejects j \
             where j.household_id = r.household_id) \
         order by r.household_id, r.line"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(first)
        .bind(last)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(staged_from_row).collect()
}

/// Current versions (`v`) in covered villages of households neither in the file nor refused:
/// the households the file removes.
const REMOVED_BY_FILE: &str = "v.valid_to is null \
     and exists (select 1 from registry_import_villages c where c.village_code = v.village_code) \
     and not exists (select 1 from registry_import_rows r where r.household_id = v.household_id) \
     and not exists (select 1 from registry_import_rejects j where j.household_id = v.household_id)";

/// The households the file removes ([`REMOVED_BY_FILE`]) after `after`, in id order.
pub async fn households_to_remove(
    tx: &mut Tx,
    after: &str,
    limit: i64,
) -> Result<Vec<HouseholdVersion>> {
    let sql = format!(
        "select {VERSION_COLUMNS} from household_versions v \
         where {REMOVED_BY_FILE} and v.household_id > $1 \
         order by v.household_id limit $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(version_from_row).collect()
}

/// A village a households file replaces (it lists a household there): how many households the
/// registry has there now, how many the file lists, and how many it would remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplacedVillage {
    pub village_code: RegionCode,
    pub registered: i64,
    pub listed: i64,
    pub removed: i64,
}

/// The villages the staged file replaces, in code order (one pass over the staged rows and one
/// over the replaced villages' current versions).
pub async fn replaced_villages(tx: &mut Tx) -> Result<Vec<ReplacedVillage>> {
    let listed_rows = sqlx::query(
        "select village_code, count(distinct household_id) as listed \
         from registry_import_rows group by village_code",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut listed = std::collections::HashMap::new();
    for row in &listed_rows {
        let village = region_column(row, "registry_import_rows", "village_code")?;
        listed.insert(village, row.try_get::<i64, _>("listed")?);
    }
    let sql = format!(
        "select c.village_code, count(v.household_id) as registered, \
         cast(coalesce(sum(case when v.household_id is not null and {REMOVED_BY_FILE} \
             then 1 else 0 end), 0) as bigint) as removed \
         from registry_import_villages c left join household_versions v \
             on v.village_code = c.village_code and v.valid_to is null \
         group by c.village_code order by c.village_code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|row| {
            let village_code = region_column(row, "registry_import_villages", "village_code")?;
            Ok(ReplacedVillage {
                village_code,
                registered: row.try_get("registered")?,
                listed: listed.get(&village_code).copied().unwrap_or(0),
                removed: row.try_get("removed")?,
            })
        })
        .collect()
}

/// A household the file would remove, with its head's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovedHousehold {
    pub household_id: String,
    pub village_code: RegionCode,
    /// The current head's name; empty if the registry has none.
    pub head_name: String,
}

/// The first `limit` households the file would remove, in id order, with their heads' names.
pub async fn households_removed_by_file(tx: &mut Tx, limit: i64) -> Result<Vec<RemovedHousehold>> {
    let sql = format!(
        "select v.household_id, v.village_code, coalesce((select m.name from members m \
             where m.household_id = v.household_id and m.relation = 'head' \
             and m.valid_to is null order by m.valid_from desc limit 1), '') as head_name \
         from household_versions v where {REMOVED_BY_FILE} order by v.household_id limit $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(RemovedHousehold {
                household_id: row.try_get("household_id")?,
                village_code: region_column(row, "household_versions", "village_code")?,
                head_name: row.try_get("head_name")?,
            })
        })
        .collect()
}

/// People whom the file moved between households and who now belong to two (a safety net:
/// validation makes this impossible). Returns (ID number, household, household).
pub async fn moved_people_in_two_households(tx: &mut Tx) -> Result<Vec<(String, String, String)>> {
    let rows = sqlx::query(
        "select id_number, min(household_id) as first_household, \
         max(household_id) as second_household from members \
         where valid_to is null and id_number in \
             (select id_number from registry_import_rows where moved_from is not null) \
         group by id_number having count(*) > 1 limit 10",
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id_number")?,
                row.try_get("first_household")?,
                row.try_get("second_household")?,
            ))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// reading current state inside a write

/// The registered households among `ids`.
pub async fn identities_in(tx: &mut Tx, ids: &[String]) -> Result<Vec<HouseholdIdentity>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "select household_id, village_code, added_on, removed_on, changed_on from households \
             where household_id in ({})",
            Params::of(tx).list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.push(identity_from_row(&row)?);
        }
    }
    Ok(found)
}

/// One registered household.
pub async fn identity_in(tx: &mut Tx, id: &str) -> Result<Option<HouseholdIdentity>> {
    let row = sqlx::query(
        "select household_id, village_code, added_on, removed_on, changed_on from households \
         where household_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(identity_from_row).transpose()
}

/// The current versions of the households among `ids`.
pub async fn current_versions_in(tx: &mut Tx, ids: &[String]) -> Result<Vec<HouseholdVersion>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "select {VERSION_COLUMNS} from household_versions v \
             where v.valid_to is null and v.household_id in ({})",
            Params::of(tx).list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.push(version_from_row(&row)?);
        }
    }
    Ok(found)
}

/// The current members of the households among `ids`, by household then ID number.
pub async fn current_members_in(tx: &mut Tx, ids: &[String]) -> Result<Vec<MemberVersion>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "select {MEMBER_COLUMNS} from members m \
             where m.valid_to is null and m.household_id in ({}) \
             order by m.household_id, m.id_number",
            Params::of(tx).list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.push(member_from_row(&row)?);
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// writing

/// A feed event about to be written, its number already allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub seq: i64,
    pub household_id: String,
    pub village_code: RegionCode,
    pub kind: &'static str,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The writes of a chunk of households, applied in a safe order by [`write`].
#[derive(Clone, Debug, Default)]
pub struct RegistryWrites {
    /// Inserted, or updated (village, removal, last change) keeping `added_on`.
    pub identities: Vec<HouseholdIdentity>,
    /// Households whose current version ends on the as-of date.
    pub close_versions: Vec<String>,
    /// New versions (replacing a version that starts on the same day).
    pub versions: Vec<HouseholdVersion>,
    /// Households all of whose current members leave on the as-of date.
    pub close_all_members: Vec<String>,
    /// (household, ID number) memberships that end on the as-of date.
    pub close_members: Vec<(String, String)>,
    /// New member versions (replacing one that starts on the same day).
    pub members: Vec<MemberVersion>,
    pub events: Vec<NewEvent>,
    pub audit: Vec<AuditEntry>,
}

impl RegistryWrites {
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
            && self.close_versions.is_empty()
            && self.versions.is_empty()
            && self.close_all_members.is_empty()
            && self.close_members.is_empty()
            && self.members.is_empty()
            && self.events.is_empty()
            && self.audit.is_empty()
    }
}

/// Reserves `count` consecutive event numbers and returns the first. The update holds the
/// head row until commit, so numbers are committed in the order they are allocated.
pub async fn allocate_event_seqs(tx: &mut Tx, count: usize) -> Result<i64> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let last: i64 =
        sqlx::query("update registry_head set seq = seq + $1 where id = 1 returning seq")
            .bind(count)
            .fetch_one(&mut **tx)
            .await?
            .try_get("seq")?;
    Ok(last - count + 1)
}

/// Applies the writes of a chunk: closing versions before opening new ones.
pub async fn write(tx: &mut Tx, as_of: BusinessDate, writes: &RegistryWrites) -> Result<()> {
    let as_of_text = as_of.to_string();
    for chunk in writes.identities.chunks(rows_per_insert(4)) {
        let sql = format!(
            "insert into households (household_id, village_code, added_on, removed_on, \
             changed_on) values {} on conflict (household_id) do update set \
             village_code = excluded.village_code, removed_on = excluded.removed_on, \
             changed_on = excluded.changed_on",
            Params::of(tx).rows(chunk.len(), 5)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for identity in chunk {
            query = query
                .bind(&identity.household_id)
                .bind(identity.village_code.to_string())
                .bind(identity.added_on.to_string())
                .bind(identity.removed_on.map(|d| d.to_string()))
                .bind(identity.changed_on.to_string());
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in writes.close_versions.chunks(KEYS_PER_QUERY) {
        let mut params = Params::of(tx);
        let sql = format!(
            "update household_versions set valid_to = {} \
             where valid_to is null and household_id in ({})",
            params.one(),
            params.list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&as_of_text);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in writes.versions.chunks(rows_per_insert(11)) {
        let sql = format!(
            "insert into household_versions (household_id, valid_from, valid_to, village_code, \
             poverty_attribute, main_cause, other_causes, status, exited_year, identified_on, \
             per_capita_income_fen) values {} on conflict (household_id, valid_from) do update \
             set valid_to = excluded.valid_to, village_code = excluded.village_code, \
             poverty_attribute = excluded.poverty_attribute, main_cause = excluded.main_cause, \
             other_causes = excluded.other_causes, status = excluded.status, \
             exited_year = excluded.exited_year, identified_on = excluded.identified_on, \
             per_capita_income_fen = excluded.per_capita_income_fen",
            Params::of(tx).rows(chunk.len(), 11)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for version in chunk {
            query = query
                .bind(&version.household_id)
                .bind(version.valid_from.to_string())
                .bind(version.valid_to.map(|d| d.to_string()));
            query = bind_facts(query, &version.facts);
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in writes.close_all_members.chunks(KEYS_PER_QUERY) {
        let mut params = Params::of(tx);
        let sql = format!(
            "update members set valid_to = {} where valid_to is null and household_id in ({})",
            params.one(),
            params.list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&as_of_text);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in writes.close_members.chunks(rows_per_insert(2)) {
        let mut params = Params::of(tx);
        let sql = format!(
            "update members set valid_to = {} where valid_to is null \
             and (household_id, id_number) in ({})",
            params.one(),
            params.rows(chunk.len(), 2)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&as_of_text);
        for (household, id_number) in chunk {
            query = query.bind(household).bind(id_number);
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in writes.members.chunks(rows_per_insert(11)) {
        let sql = format!(
            "insert into members (household_id, valid_from, valid_to, id_number, name, \
             relation, sex, birth_date, labour, phone, died_on) values {} \
             on conflict (household_id, id_number, valid_from) do update \
             set valid_to = excluded.valid_to, name = excluded.name, \
             relation = excluded.relation, sex = excluded.sex, \
             birth_date = excluded.birth_date, labour = excluded.labour, phone = excluded.phone, \
             died_on = excluded.died_on",
            Params::of(tx).rows(chunk.len(), 11)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for version in chunk {
            query = query
                .bind(&version.household_id)
                .bind(version.valid_from.to_string())
                .bind(version.valid_to.map(|d| d.to_string()));
            query = bind_member(query, &version.member);
        }
        query.execute(&mut **tx).await?;
    }
    for chunk in writes.events.chunks(rows_per_insert(8)) {
        let sql = format!(
            "insert into registry_events (seq, as_of, household_id, village_code, \
             township_code, kind, before_json, after_json) values {}",
            Params::of(tx).rows(chunk.len(), 8)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for event in chunk {
            let township = event
                .village_code
                .ancestor_at(RegionLevel::Township)
                .unwrap_or(event.village_code);
            query = query
                .bind(event.seq)
                .bind(&as_of_text)
                .bind(&event.household_id)
                .bind(event.village_code.to_string())
                .bind(township.to_string())
                .bind(event.kind)
                .bind(&event.before_json)
                .bind(&event.after_json);
        }
        query.execute(&mut **tx).await?;
    }
    audit::append_batches(tx, &writes.audit).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// reading the registry

/// A household as listed: its version on a date, its members on that date, and its head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HouseholdSummary {
    pub version: HouseholdVersion,
    pub members: i64,
    pub head_name: Option<String>,
    /// Full ID number of the head; the caller masks it.
    pub head_id_number: Option<String>,
}

/// Which households a read covers.
#[derive(Clone, Debug, Default)]
pub struct RegistryFilter {
    /// Villages at or under this region.
    pub within: Option<RegionCode>,
    /// Only townships this institution is responsible for on the given date.
    pub institution: Option<(String, BusinessDate)>,
}

/// Households in the registry on `date`, in id order, at most `limit`.
pub async fn households_on(
    db: &Db,
    date: BusinessDate,
    filter: &RegistryFilter,
    limit: i64,
) -> Result<Vec<HouseholdSummary>> {
    // The page's keys first (a range of the covering index, sorted), then the versions, members
    // and heads of that page only: counting the members of every household of a county took 10
    // times as long. The page's joined rows are the first `limit` of the whole join, so the
    // answer is the same.
    let mut page = format!(
        "select v.household_id, v.valid_from from household_versions v where {}",
        as_of_condition("v", 1)
    );
    let mut region = Conditions::starting_at(2);
    region.within("v.village_code", filter.within);
    page.push_str(&region.and_clause());
    let township = "substr(v.village_code, 1, 9) || '000'";
    let institution = institution_filter(filter, township, region.next());
    page.push_str(&institution.sql);
    let limit_n = region.next() + institution.binds.len();
    let sql = format!(
        "select {VERSION_COLUMNS}, \
         (select count(*) from members c where c.household_id = v.household_id and {}) \
             as member_count, \
         h.name as head_name, h.id_number as head_id_number \
         from ({page} order by v.household_id limit ${limit_n}) p \
         join household_versions v on v.household_id = p.household_id \
             and v.valid_from = p.valid_from \
         left join members h on h.household_id = v.household_id and h.relation = 'head' \
             and {} \
         order by v.household_id, h.id_number limit ${limit_n}",
        as_of_condition("c", 1),
        as_of_condition("h", 1),
    );
    let mut query = region.bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string()));
    for bind in institution.binds {
        query = query.bind(bind);
    }
    let rows = query.bind(limit).fetch_all(db.pool()).await?;
    let mut summaries: Vec<HouseholdSummary> = Vec::with_capacity(rows.len());
    for row in &rows {
        let version = version_from_row(row)?;
        // Two heads on one date cannot be imported; keep the first if the data says otherwise.
        if summaries
            .last()
            .is_some_and(|last| last.version.household_id == version.household_id)
        {
            continue;
        }
        summaries.push(HouseholdSummary {
            version,
            members: row.try_get("member_count")?,
            head_name: row.try_get("head_name")?,
            head_id_number: row.try_get("head_id_number")?,
        });
    }
    Ok(summaries)
}

/// Counts households in the registry on `date` at or under `within` whose status is one of
/// `statuses` (all when empty). For indicators: one query over the versioned rows.
pub async fn count_households_on(
    db: &Db,
    date: BusinessDate,
    within: Option<RegionCode>,
    statuses: &[&str],
) -> Result<i64> {
    let mut sql = format!(
        "select count(*) as n from household_versions v where {}",
        as_of_condition("v", 1)
    );
    let mut region = Conditions::starting_at(2);
    region.within("v.village_code", within);
    sql.push_str(&region.and_clause());
    if !statuses.is_empty() {
        sql.push_str(&format!(
            " and v.status in ({})",
            numbered_list(region.next(), statuses.len())
        ));
    }
    let mut query = region.bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string()));
    for status in statuses {
        query = query.bind(*status);
    }
    Ok(query.fetch_one(db.pool()).await?.try_get("n")?)
}

/// One registered household.
pub async fn identity(db: &Db, id: &str) -> Result<Option<HouseholdIdentity>> {
    let row = sqlx::query(
        "select household_id, village_code, added_on, removed_on, changed_on from households \
         where household_id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(identity_from_row).transpose()
}

/// The version of a household valid on `date`.
pub async fn version_on(db: &Db, id: &str, date: BusinessDate) -> Result<Option<HouseholdVersion>> {
    let sql = format!(
        "select {VERSION_COLUMNS} from household_versions v where v.household_id = $2 and {}",
        as_of_condition("v", 1)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(version_from_row).transpose()
}

/// [`version_on`] inside a transaction.
pub async fn version_on_in(
    tx: &mut Tx,
    id: &str,
    date: BusinessDate,
) -> Result<Option<HouseholdVersion>> {
    let sql = format!(
        "select {VERSION_COLUMNS} from household_versions v where v.household_id = $2 and {}",
        as_of_condition("v", 1)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(version_from_row).transpose()
}

/// [`members_on`] inside a transaction.
pub async fn members_on_in(
    tx: &mut Tx,
    id: &str,
    date: BusinessDate,
) -> Result<Vec<MemberVersion>> {
    let sql = format!(
        "select {MEMBER_COLUMNS} from members m where m.household_id = $2 and {} \
         order by case when m.relation = 'head' then 0 else 1 end, m.id_number",
        as_of_condition("m", 1)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(member_from_row).collect()
}

/// Every version of each of `ids` (in no particular order), in statements of many ids: what a
/// batch of loans checks its borrowers against.
pub async fn versions_of_in(tx: &mut Tx, ids: &[&str]) -> Result<Vec<HouseholdVersion>> {
    let sql = |params: &mut Params, count: usize| {
        format!(
            "select {VERSION_COLUMNS} from household_versions v where v.household_id in ({})",
            params.list(count)
        )
    };
    let rows = rows_by_ids(tx, ids, sql).await?;
    rows.iter().map(version_from_row).collect()
}

/// Every version of the heads of each of `ids` (in no particular order).
pub async fn heads_of_in(tx: &mut Tx, ids: &[&str]) -> Result<Vec<MemberVersion>> {
    let sql = |params: &mut Params, count: usize| {
        format!(
            "select {MEMBER_COLUMNS} from members m where m.household_id in ({}) \
             and m.relation = 'head'",
            params.list(count)
        )
    };
    let rows = rows_by_ids(tx, ids, sql).await?;
    rows.iter().map(member_from_row).collect()
}

/// Every member version of each of `ids` (in no particular order): what a batch of credit
/// files snapshots its households from.
pub async fn members_of_in(tx: &mut Tx, ids: &[&str]) -> Result<Vec<MemberVersion>> {
    let sql = |params: &mut Params, count: usize| {
        format!(
            "select {MEMBER_COLUMNS} from members m where m.household_id in ({})",
            params.list(count)
        )
    };
    let rows = rows_by_ids(tx, ids, sql).await?;
    rows.iter().map(member_from_row).collect()
}

/// The enterprises among `codes` (in no particular order).
pub async fn enterprises_in(tx: &mut Tx, codes: &[&str]) -> Result<Vec<Enterprise>> {
    let sql = |params: &mut Params, count: usize| {
        format!(
            "select {ENTERPRISE_COLUMNS} from enterprises where credit_code in ({})",
            params.list(count)
        )
    };
    let rows = rows_by_ids(tx, codes, sql).await?;
    rows.iter().map(enterprise_from_row).collect()
}

/// Runs `sql` (made for a number of ids) over `ids` in chunks, binding the ids in order.
pub(crate) async fn rows_by_ids(
    tx: &mut Tx,
    ids: &[&str],
    sql: impl Fn(&mut Params, usize) -> String,
) -> Result<Vec<AnyRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(rows_per_insert(1)) {
        let text = sql(&mut Params::of(tx), chunk.len());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
        for id in chunk {
            query = query.bind(*id);
        }
        rows.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(rows)
}

/// Every version of a household, oldest first.
pub async fn versions_of(db: &Db, id: &str) -> Result<Vec<HouseholdVersion>> {
    let sql = format!(
        "select {VERSION_COLUMNS} from household_versions v where v.household_id = $1 \
         order by v.valid_from"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(version_from_row).collect()
}

/// The members of a household on `date`, head first then by ID number.
pub async fn members_on(db: &Db, id: &str, date: BusinessDate) -> Result<Vec<MemberVersion>> {
    let sql = format!(
        "select {MEMBER_COLUMNS} from members m where m.household_id = $2 and {} \
         order by case when m.relation = 'head' then 0 else 1 end, m.id_number",
        as_of_condition("m", 1)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(member_from_row).collect()
}

/// Members on `date` of the households of `village` on `date`, by household, head first.
pub async fn members_in_village_on(
    db: &Db,
    village: RegionCode,
    date: BusinessDate,
) -> Result<Vec<MemberVersion>> {
    let sql = format!(
        "select {MEMBER_COLUMNS} from members m where {} and m.household_id in \
         (select v.household_id from household_versions v where v.village_code = $2 and {}) \
         order by m.household_id, case when m.relation = 'head' then 0 else 1 end, m.id_number",
        as_of_condition("m", 1),
        as_of_condition("v", 1)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(village.to_string())
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(member_from_row).collect()
}

/// What the feed returns.
#[derive(Clone, Debug, Default)]
pub struct FeedFilter {
    /// Events after this sequence number.
    pub since: i64,
    pub registry: RegistryFilter,
    pub limit: i64,
}

/// Events after `since` in the filtered area, in order, at most `limit`.
pub async fn feed(db: &Db, filter: &FeedFilter) -> Result<Vec<Event>> {
    let mut sql = "select e.seq, e.as_of, e.household_id, e.village_code, e.kind, \
         e.before_json, e.after_json from registry_events e \
         where e.seq > $1"
        .to_string();
    let mut region = Conditions::starting_at(2);
    region.within("e.village_code", filter.registry.within);
    sql.push_str(&region.and_clause());
    let institution = institution_filter(&filter.registry, "e.township_code", region.next());
    sql.push_str(&institution.sql);
    let limit_n = region.next() + institution.binds.len();
    sql.push_str(&format!(" order by e.seq limit ${limit_n}"));
    let mut query = region.bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(filter.since));
    for bind in institution.binds {
        query = query.bind(bind);
    }
    let rows = query.bind(filter.limit).fetch_all(db.pool()).await?;
    rows.iter().map(event_from_row).collect()
}

/// The events of one household, in order.
pub async fn events_of(db: &Db, id: &str, limit: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "select e.seq, e.as_of, e.household_id, e.village_code, e.kind, e.before_json, \
         e.after_json from registry_events e where e.household_id = $1 order by e.seq limit $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// The latest event number.
pub async fn last_event_seq(db: &Db) -> Result<i64> {
    Ok(sqlx::query("select seq from registry_head where id = 1")
        .fetch_one(db.pool())
        .await?
        .try_get("seq")?)
}

/// An SQL condition and its text binds, numbered from `first`.
struct Condition {
    sql: String,
    binds: Vec<String>,
}

/// "And the township is one the institution is responsible for on the date", with placeholders
/// `$first` and `$first + 1`; empty without an institution. `township` is an SQL expression.
fn institution_filter(filter: &RegistryFilter, township: &str, first: usize) -> Condition {
    let Some((institution, date)) = &filter.institution else {
        return Condition {
            sql: String::new(),
            binds: Vec::new(),
        };
    };
    let date_n = first + 1;
    Condition {
        sql: format!(
            " and {township} in (select a.township_code \
             from assignments a where a.institution_code = ${first} \
             and a.effective_from <= ${date_n} \
             and (a.effective_to is null or a.effective_to > ${date_n}))"
        ),
        binds: vec![institution.clone(), date.to_string()],
    }
}

// ---------------------------------------------------------------------------------------------
// enterprises

/// An enterprise as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enterprise {
    /// Unified social credit code, validated.
    pub credit_code: String,
    pub name: String,
    /// `leading_enterprise`, `cooperative`, `family_farm`, `breeding_base`, `project_entity`,
    /// `other`.
    pub kind: String,
    pub industry: String,
    pub village_code: RegionCode,
    /// `national`, `provincial` or `municipal`.
    pub leading_level: Option<String>,
    /// As-of date of the extract that first listed it.
    pub listed_on: BusinessDate,
}

const ENTERPRISE_COLUMNS: &str =
    "credit_code, name, kind, industry, village_code, leading_level, listed_on";

pub async fn enterprise_in(tx: &mut Tx, credit_code: &str) -> Result<Option<Enterprise>> {
    let sql = format!("select {ENTERPRISE_COLUMNS} from enterprises where credit_code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(credit_code)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(enterprise_from_row).transpose()
}

pub async fn upsert_enterprise(tx: &mut Tx, enterprise: &Enterprise) -> Result<()> {
    sqlx::query(
        "insert into enterprises (credit_code, name, kind, industry, village_code, \
         leading_level, listed_on) values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (credit_code) do update set name = excluded.name, kind = excluded.kind, \
         industry = excluded.industry, village_code = excluded.village_code, \
         leading_level = excluded.leading_level, listed_on = excluded.listed_on",
    )
    .bind(&enterprise.credit_code)
    .bind(&enterprise.name)
    .bind(&enterprise.kind)
    .bind(&enterprise.industry)
    .bind(enterprise.village_code.to_string())
    .bind(&enterprise.leading_level)
    .bind(enterprise.listed_on.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Enterprises located at or under `within`, in code order.
pub async fn list_enterprises(
    db: &Db,
    within: Option<RegionCode>,
    limit: i64,
) -> Result<Vec<Enterprise>> {
    let mut conditions = Conditions::starting_at(1);
    conditions.within("village_code", within);
    let limit = conditions.int(limit);
    let sql = format!(
        "select {ENTERPRISE_COLUMNS} from enterprises{} order by credit_code limit {limit}",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(enterprise_from_row).collect()
}

/// How an enterprise lifts a household: `[since, until)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnterpriseLink {
    pub credit_code: String,
    pub household_id: String,
    /// `employment`, `land_lease`, `dividend`, `purchase` or `other`.
    pub link: String,
    pub people: i64,
    pub since: BusinessDate,
    pub until: Option<BusinessDate>,
}

pub async fn link_in(
    tx: &mut Tx,
    credit_code: &str,
    household_id: &str,
    link: &str,
) -> Result<Option<EnterpriseLink>> {
    let row = sqlx::query(
        "select credit_code, household_id, link, people, since, until from enterprise_links \
         where credit_code = $1 and household_id = $2 and link = $3",
    )
    .bind(credit_code)
    .bind(household_id)
    .bind(link)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(link_from_row).transpose()
}

pub async fn upsert_link(tx: &mut Tx, link: &EnterpriseLink) -> Result<()> {
    sqlx::query(
        "insert into enterprise_links (credit_code, household_id, link, people, since, until) \
         values ($1, $2, $3, $4, $5, $6) on conflict (credit_code, household_id, link) \
         do update set people = excluded.people, since = excluded.since, until = excluded.until",
    )
    .bind(&link.credit_code)
    .bind(&link.household_id)
    .bind(&link.link)
    .bind(link.people)
    .bind(link.since.to_string())
    .bind(link.until.map(|d| d.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Per enterprise kind, on a date, for enterprises located at or under a region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub kind: String,
    /// Enterprises listed on or before the date.
    pub enterprises: i64,
    /// Links in force on the date.
    pub links: i64,
    /// Distinct households lifted on the date.
    pub households: i64,
    /// People lifted on the date (sum of the links' people).
    pub people: i64,
}

/// Enterprise and lifting counts by kind on `date` for enterprises at or under `within`.
pub async fn counts_by_kind(
    db: &Db,
    date: BusinessDate,
    within: Option<RegionCode>,
) -> Result<Vec<KindCounts>> {
    let mut region = Conditions::starting_at(2);
    region.within("village_code", within);
    let sql = format!(
        "select kind, count(*) as n from enterprises where listed_on <= $1{} group by kind",
        region.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string());
    let enterprises = region.bind(query).fetch_all(db.pool()).await?;
    let mut region = Conditions::starting_at(2);
    region.within("e.village_code", within);
    let sql = format!(
        "select e.kind, count(*) as links, count(distinct l.household_id) as households, \
         cast(coalesce(sum(l.people), 0) as bigint) as people \
         from enterprise_links l join enterprises e on e.credit_code = l.credit_code \
         where e.listed_on <= $1 and l.since <= $1 \
         and (l.until is null or l.until > $1){} group by e.kind",
        region.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string());
    let lifted = region.bind(query).fetch_all(db.pool()).await?;
    let mut counts: Vec<KindCounts> = Vec::new();
    for row in &enterprises {
        counts.push(KindCounts {
            kind: row.try_get("kind")?,
            enterprises: row.try_get("n")?,
            ..KindCounts::default()
        });
    }
    for row in &lifted {
        let kind: String = row.try_get("kind")?;
        let index = match counts.iter().position(|c| c.kind == kind) {
            Some(index) => index,
            None => {
                counts.push(KindCounts {
                    kind: kind.clone(),
                    ..KindCounts::default()
                });
                counts.len() - 1
            }
        };
        counts[index].links = row.try_get("links")?;
        counts[index].households = row.try_get("households")?;
        counts[index].people = row.try_get("people")?;
    }
    counts.sort_by(|a, b| a.kind.cmp(&b.kind));
    Ok(counts)
}

/// Distinct households and people lifted on `date` by enterprises at or under `within`,
/// counting a household lifted by two enterprises once (people: the largest count among its
/// links, so that one person employed by two enterprises is not counted twice).
pub async fn lifted_totals(
    db: &Db,
    date: BusinessDate,
    within: Option<RegionCode>,
) -> Result<(i64, i64)> {
    let mut region = Conditions::starting_at(2);
    region.within("e.village_code", within);
    let sql = format!(
        "select count(*) as households, cast(coalesce(sum(people), 0) as bigint) as people \
         from (select l.household_id, max(l.people) as people \
             from enterprise_links l join enterprises e on e.credit_code = l.credit_code \
             where e.listed_on <= $1 and l.since <= $1 \
             and (l.until is null or l.until > $1){} group by l.household_id) lifted",
        region.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(date.to_string());
    let row = region.bind(query).fetch_one(db.pool()).await?;
    Ok((row.try_get("households")?, row.try_get("people")?))
}

// ---------------------------------------------------------------------------------------------
// rows

const VERSION_COLUMNS: &str = "v.household_id, v.valid_from, v.valid_to, v.village_code, \
    v.poverty_attribute, v.main_cause, v.other_causes, v.status, v.exited_year, \
    v.identified_on, v.per_capita_income_fen";

const MEMBER_COLUMNS: &str = "m.household_id, m.valid_from, m.valid_to, m.id_number, m.name, \
    m.relation, m.sex, m.birth_date, m.labour, m.phone, m.died_on";

/// Binds the 8 household-level columns in schema order.
fn bind_facts<'q>(query: AnyQuery<'q>, facts: &HouseholdFacts) -> AnyQuery<'q> {
    query
        .bind(facts.village_code.to_string())
        .bind(facts.poverty_attribute.clone())
        .bind(facts.main_cause.clone())
        .bind(facts.other_causes.join(";"))
        .bind(facts.status.clone())
        .bind(facts.exited_year)
        .bind(facts.identified_on.to_string())
        .bind(facts.per_capita_income.fen())
}

/// Binds the 8 member columns in schema order.
fn bind_member<'q>(query: AnyQuery<'q>, member: &MemberFacts) -> AnyQuery<'q> {
    query
        .bind(member.id_number.clone())
        .bind(member.name.clone())
        .bind(member.relation.clone())
        .bind(member.sex.clone())
        .bind(member.birth_date.to_string())
        .bind(member.labour.clone())
        .bind(member.phone.clone())
        .bind(member.died_on.map(|d| d.to_string()))
}

fn facts_from_row(row: &AnyRow, table: &'static str) -> Result<HouseholdFacts> {
    let other_causes: String = row.try_get("other_causes")?;
    Ok(HouseholdFacts {
        village_code: region_column(row, table, "village_code")?,
        poverty_attribute: row.try_get("poverty_attribute")?,
        main_cause: row.try_get("main_cause")?,
        other_causes: split_list(&other_causes),
        status: row.try_get("status")?,
        exited_year: row.try_get("exited_year")?,
        identified_on: required_date(row, table, "identified_on")?,
        per_capita_income: Fen::new(row.try_get("per_capita_income_fen")?),
    })
}

fn member_facts_from_row(row: &AnyRow, table: &'static str) -> Result<MemberFacts> {
    Ok(MemberFacts {
        id_number: row.try_get("id_number")?,
        name: row.try_get("name")?,
        relation: row.try_get("relation")?,
        sex: row.try_get("sex")?,
        birth_date: required_date(row, table, "birth_date")?,
        labour: row.try_get("labour")?,
        phone: row.try_get("phone")?,
        died_on: date_column(row, table, "died_on")?,
    })
}

fn staged_from_row(row: &AnyRow) -> Result<StagedRow> {
    Ok(StagedRow {
        line: row.try_get("line")?,
        household_id: row.try_get("household_id")?,
        facts: facts_from_row(row, "registry_import_rows")?,
        member: member_facts_from_row(row, "registry_import_rows")?,
        moved_from: row.try_get("moved_from")?,
    })
}

fn version_from_row(row: &AnyRow) -> Result<HouseholdVersion> {
    Ok(HouseholdVersion {
        household_id: row.try_get("household_id")?,
        facts: facts_from_row(row, "household_versions")?,
        valid_from: required_date(row, "household_versions", "valid_from")?,
        valid_to: date_column(row, "household_versions", "valid_to")?,
    })
}

fn member_from_row(row: &AnyRow) -> Result<MemberVersion> {
    Ok(MemberVersion {
        household_id: row.try_get("household_id")?,
        member: member_facts_from_row(row, "members")?,
        valid_from: required_date(row, "members", "valid_from")?,
        valid_to: date_column(row, "members", "valid_to")?,
    })
}

fn identity_from_row(row: &AnyRow) -> Result<HouseholdIdentity> {
    Ok(HouseholdIdentity {
        household_id: row.try_get("household_id")?,
        village_code: region_column(row, "households", "village_code")?,
        added_on: required_date(row, "households", "added_on")?,
        removed_on: date_column(row, "households", "removed_on")?,
        changed_on: required_date(row, "households", "changed_on")?,
    })
}

fn event_from_row(row: &AnyRow) -> Result<Event> {
    Ok(Event {
        seq: row.try_get("seq")?,
        as_of: required_date(row, "registry_events", "as_of")?,
        household_id: row.try_get("household_id")?,
        village_code: region_column(row, "registry_events", "village_code")?,
        kind: row.try_get("kind")?,
        before_json: row.try_get("before_json")?,
        after_json: row.try_get("after_json")?,
    })
}

fn enterprise_from_row(row: &AnyRow) -> Result<Enterprise> {
    Ok(Enterprise {
        credit_code: row.try_get("credit_code")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        industry: row.try_get("industry")?,
        village_code: region_column(row, "enterprises", "village_code")?,
        leading_level: row.try_get("leading_level")?,
        listed_on: required_date(row, "enterprises", "listed_on")?,
    })
}

fn link_from_row(row: &AnyRow) -> Result<EnterpriseLink> {
    Ok(EnterpriseLink {
        credit_code: row.try_get("credit_code")?,
        household_id: row.try_get("household_id")?,
        link: row.try_get("link")?,
        people: row.try_get("people")?,
        since: required_date(row, "enterprise_links", "since")?,
        until: date_column(row, "enterprise_links", "until")?,
    })
}

fn region_column(row: &AnyRow, table: &'static str, column: &'static str) -> Result<RegionCode> {
    let text: String = row.try_get(column)?;
    RegionCode::parse(&text).map_err(|e| corrupt(table, column, e))
}

fn required_date(row: &AnyRow, table: &'static str, column: &'static str) -> Result<BusinessDate> {
    date_column(row, table, column)?.ok_or_else(|| corrupt(table, column, "null"))
}

fn split_list(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// `$first, $first+1, …` — `count` numbered placeholders.
fn numbered_list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_and_columns() {
        assert_eq!(numbered_list(3, 2), "$3, $4");
        assert_eq!(
            as_of_condition("v", 1),
            "v.valid_from <= $1 and (v.valid_to is null or v.valid_to > $1)"
        );
    }
}
