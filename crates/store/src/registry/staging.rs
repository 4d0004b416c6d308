//! The working tables of a household import: staging, the checks across rows, what the file
//! replaces, and the households it changes.

use super::*;

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
pub(super) const IMPORT_CACHE_KIB: u32 = 131_072;

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

pub(super) async fn clear_working_tables(tx: &mut Tx) -> Result<()> {
    for table in [
        "registry_import_rows",
        "registry_import_rejects",
        "registry_import_villages",
        "registry_import_changed",
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

pub(super) const STAGED_COLUMNS: &str = "line, household_id, village_code, poverty_attribute, main_cause, \
    other_causes, status, exited_year, identified_on, per_capita_income_fen, id_number, name, \
    relation, sex, birth_date, labour, phone, died_on, moved_from";

/// The SQL types of [`STAGED_COLUMNS`], in order.
const STAGED_TYPES: [&str; 19] = [
    "bigint", "text", "text", "text", "text", "text", "text", "bigint", "text", "bigint", "text",
    "text", "text", "text", "text", "text", "text", "text", "text",
];

/// Stages parsed member rows ([`BulkRows`]: each engine's bulk path).
pub async fn stage_rows(tx: &mut Tx, rows: &[StagedRow]) -> Result<()> {
    let mut bulk = BulkRows::new(STAGED_TYPES.len());
    for row in rows {
        let (facts, member) = (&row.facts, &row.member);
        bulk.int(row.line)
            .text(&row.household_id)
            .text(facts.village_code.to_string())
            .text(&facts.poverty_attribute)
            .text(&facts.main_cause)
            .text(facts.other_causes.join(";"))
            .text(&facts.status)
            .opt_int(facts.exited_year)
            .text(facts.identified_on.to_string())
            .int(facts.per_capita_income.fen())
            .text(&member.id_number)
            .text(&member.name)
            .text(&member.relation)
            .text(&member.sex)
            .text(member.birth_date.to_string())
            .text(&member.labour)
            .opt_text(member.phone.as_deref())
            .opt_text(member.died_on.map(|day| day.to_string()))
            .opt_text(row.moved_from.as_deref());
    }
    let target = format!("registry_import_rows ({STAGED_COLUMNS})");
    bulk.insert(tx, &target, &STAGED_TYPES, "").await
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

/// Households of the file that are not refused.
pub(super) const VALID_STAGED: &str = "not exists (select 1 from registry_import_rejects j \
     where j.household_id = r.household_id)";

/// A staged row (`r`) whose household has a current version with the same household fields.
pub(super) const SAME_VERSION: &str = "exists (select 1 from household_versions v \
     where v.household_id = r.household_id and v.valid_to is null \
     and v.village_code = r.village_code and v.poverty_attribute = r.poverty_attribute \
     and v.main_cause = r.main_cause and v.other_causes = r.other_causes \
     and v.status = r.status and v.exited_year is not distinct from r.exited_year \
     and v.identified_on = r.identified_on \
     and v.per_capita_income_fen = r.per_capita_income_fen)";

/// A staged row (`r`) whose person is a current member of its household with the same fields.
pub(super) const SAME_MEMBER: &str = "exists (select 1 from members m \
     where m.household_id = r.household_id and m.id_number = r.id_number \
     and m.valid_to is null and m.name = r.name and m.relation = r.relation \
     and m.sex = r.sex and m.birth_date = r.birth_date and m.labour = r.labour \
     and m.phone is not distinct from r.phone and m.died_on is not distinct from r.died_on)";

/// Fills `registry_import_changed` with the households of the file (not refused) that differ
/// from the registry, in one statement: a row whose household has no equal current version or
/// whose person is not an equal current member of it (new, changed, moved in), or a current
/// member whom the file no longer lists. Returns (households to apply, households unchanged).
///
/// The row-by-row comparison then only reads these; the same file again costs this statement.
/// Equality is column by column on the stored text, exactly what the comparison in memory sees
/// (`HouseholdFacts`, `MemberFacts`), with nulls equal to nulls.
pub async fn mark_changed_households(tx: &mut Tx) -> Result<(i64, i64)> {
    let sql = format!(
        "insert into registry_import_changed (household_id) \
         select r.household_id from registry_import_rows r \
         where {VALID_STAGED} and (not {SAME_VERSION} or not {SAME_MEMBER}) \
         union \
         select m.household_id from members m \
         join registry_import_rows r on r.household_id = m.household_id \
         where m.valid_to is null and {VALID_STAGED} \
         and not exists (select 1 from registry_import_rows x \
             where x.household_id = m.household_id and x.id_number = m.id_number)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut **tx)
        .await?;
    let changed: i64 = sqlx::query("select count(*) as n from registry_import_changed")
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    let sql = format!(
        "select count(distinct r.household_id) as n from registry_import_rows r \
         where {VALID_STAGED}"
    );
    let valid: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    Ok((changed, valid - changed))
}

/// The next `limit` households to apply ([`mark_changed_households`]) after `after`, in id
/// order.
pub async fn staged_households_after(tx: &mut Tx, after: &str, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select household_id from registry_import_changed where household_id > $1 \
         order by household_id limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("household_id")?))
        .collect()
}

/// The staged rows of the households to apply among `first..=last`, by household then line.
pub async fn staged_rows_between(tx: &mut Tx, first: &str, last: &str) -> Result<Vec<StagedRow>> {
    let sql = format!(
        "select {STAGED_COLUMNS} from registry_import_rows r \
         where r.household_id >= $1 and r.household_id <= $2 \
         and exists (select 1 from registry_import_changed c \
             where c.household_id = r.household_id) \
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
pub(super) const REMOVED_BY_FILE: &str = "v.valid_to is null \
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
