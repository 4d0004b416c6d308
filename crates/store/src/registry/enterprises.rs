//! Enterprises and their links to households.

use super::*;

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

pub(super) const ENTERPRISE_COLUMNS: &str =
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
