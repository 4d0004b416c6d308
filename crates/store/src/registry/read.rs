//! Reading the registry: households as of a date, versions, members, the change feed.

use super::*;

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
