//! Running totals of the registry and credit-coverage counts (`registry_totals`): per village
//! and day, the change of each count that day ([`deltas`]), so that a count as of a date over
//! a region is one indexed sum over the region's villages, never a scan of households.
//!
//! **Invariant:** the stored rows of every village equal their recomputation from the base rows
//! (`household_versions`, `members`, `credit_files`, `credit_lines`). Every write to those
//! tables refreshes the villages it touched ([`refresh`]) in its own transaction; [`check`]
//! recomputes every village and names each difference.

pub mod deltas;

use std::collections::BTreeSet;

use fupin_core::BusinessDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{Db, Engine, Tx};
use crate::error::Result;
use crate::filter::code_range;
use crate::sql::{Params, rows_per_insert};
pub use deltas::MEASURES;
use deltas::{BaseRows, Deltas, File, Line, Membership, Version};

/// Villages refreshed per round of statements.
const VILLAGES_PER_ROUND: usize = 200;
/// Households whose villages are looked up per statement.
const HOUSEHOLDS_PER_QUERY: usize = 1_000;
/// Differences a check lists; the rest are counted.
const LISTED_MAX: usize = 100;

/// The counts of a region on a date, in the order of [`MEASURES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub poor_households: i64,
    pub poor_people: i64,
    pub registered: i64,
    pub eligible: i64,
    pub rated: i64,
    pub with_line: i64,
}

const SUMS: &str = "cast(coalesce(sum(poor_households), 0) as bigint) as poor_households, \
     cast(coalesce(sum(poor_people), 0) as bigint) as poor_people, \
     cast(coalesce(sum(registered), 0) as bigint) as registered, \
     cast(coalesce(sum(eligible), 0) as bigint) as eligible, \
     cast(coalesce(sum(rated), 0) as bigint) as rated, \
     cast(coalesce(sum(with_line), 0) as bigint) as with_line";

/// The counts on `date` of the villages whose codes start with `prefix` (`""` for all).
pub async fn counts(db: &Db, prefix: &str, date: BusinessDate) -> Result<Counts> {
    let (low, high) = code_range(prefix);
    let sql = format!(
        "select {SUMS} from registry_totals \
         where village_code >= $1 and village_code <= $2 and day <= $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(high)
        .bind(date.to_string())
        .fetch_one(db.pool())
        .await?;
    Ok(Counts {
        poor_households: row.try_get("poor_households")?,
        poor_people: row.try_get("poor_people")?,
        registered: row.try_get("registered")?,
        eligible: row.try_get("eligible")?,
        rated: row.try_get("rated")?,
        with_line: row.try_get("with_line")?,
    })
}

/// Recomputes the totals of `villages` from their base rows, in the caller's transaction.
pub async fn refresh(tx: &mut Tx, villages: &BTreeSet<String>) -> Result<()> {
    let villages: Vec<&str> = villages.iter().map(String::as_str).collect();
    for round in villages.chunks(VILLAGES_PER_ROUND) {
        delete_villages(tx, round).await?;
        let deltas = deltas::deltas(&base_rows(tx, round).await?);
        insert(tx, &deltas).await?;
    }
    Ok(())
}

/// The villages of every version of the households `ids` (where a write to their credit files
/// or lines changes a count).
pub async fn villages_of(tx: &mut Tx, ids: &BTreeSet<String>) -> Result<BTreeSet<String>> {
    let ids: Vec<&String> = ids.iter().collect();
    let mut villages = BTreeSet::new();
    for chunk in ids.chunks(HOUSEHOLDS_PER_QUERY) {
        let mut params = Params::of(tx);
        let sql = format!(
            "select distinct village_code from household_versions where household_id in ({})",
            params.list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_str());
        }
        for row in query.fetch_all(&mut **tx).await? {
            villages.insert(row.try_get("village_code")?);
        }
    }
    Ok(villages)
}

/// The villages of every version of the households of the registry events `first..=last`:
/// what the registry import that wrote those events changed (every household it adds, changes
/// or removes has an event).
pub async fn villages_of_events(tx: &mut Tx, first: i64, last: i64) -> Result<BTreeSet<String>> {
    let mut params = Params::of(tx);
    let sql = format!(
        "select distinct v.village_code from household_versions v where v.household_id in \
         (select household_id from registry_events where seq >= {} and seq <= {})",
        params.one(),
        params.one()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(first)
        .bind(last)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("village_code")?))
        .collect()
}

/// Every village with base rows or stored totals.
async fn all_villages(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select village_code from household_versions \
         union select village_code from registry_totals order by 1",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("village_code")?))
        .collect()
}

/// Recomputes every village's totals in the caller's transaction; returns how many villages.
pub async fn rebuild(tx: &mut Tx) -> Result<usize> {
    let villages: BTreeSet<String> = all_villages(tx).await?.into_iter().collect();
    refresh(tx, &villages).await?;
    Ok(villages.len())
}

/// Builds the totals of a database that has registry rows but none (one migrated from before
/// the totals existed). Returns whether it did.
pub async fn build_if_missing(db: &Db) -> Result<bool> {
    let any = |table: &str| format!("select count(*) as n from (select 1 from {table} limit 1) t");
    let scalar = |row: AnyRow| row.try_get::<i64, _>("n");
    let totals = scalar(
        sqlx::query(sqlx::AssertSqlSafe(any("registry_totals")))
            .fetch_one(db.pool())
            .await?,
    )?;
    let versions = scalar(
        sqlx::query(sqlx::AssertSqlSafe(any("household_versions")))
            .fetch_one(db.pool())
            .await?,
    )?;
    if totals > 0 || versions == 0 {
        return Ok(false);
    }
    let mut tx = db.write().await?;
    let villages = rebuild(&mut tx).await?;
    db.commit_bulk(tx).await?;
    tracing::info!(villages, "registry totals built from the base rows");
    Ok(true)
}

/// One stored count that differs from its recomputation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub village_code: String,
    pub day: String,
    pub measure: &'static str,
    pub stored: i64,
    pub recomputed: i64,
}

/// What [`check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotalsCheck {
    pub villages: usize,
    pub rows: usize,
    /// The first differences, in village, day and measure order.
    pub differences: Vec<Difference>,
    /// Differences beyond those listed.
    pub unlisted: usize,
}

impl TotalsCheck {
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.unlisted == 0
    }
}

/// Recomputes every village's totals from the base rows in one read snapshot and compares
/// them with the stored rows.
pub async fn check(db: &Db) -> Result<TotalsCheck> {
    let mut tx = db.pool().begin().await?;
    if db.engine() == Engine::Postgres {
        // One snapshot for every round, as `ledger::check`.
        sqlx::query("set transaction isolation level repeatable read, read only")
            .execute(&mut *tx)
            .await?;
    }
    let villages = all_villages(&mut tx).await?;
    let mut report = TotalsCheck {
        villages: villages.len(),
        ..TotalsCheck::default()
    };
    let names: Vec<&str> = villages.iter().map(String::as_str).collect();
    for round in names.chunks(VILLAGES_PER_ROUND) {
        let recomputed = deltas::deltas(&base_rows(&mut tx, round).await?);
        let stored = stored_rows(&mut tx, round).await?;
        report.rows += stored.len();
        compare(&stored, &recomputed, &mut report);
    }
    tx.rollback().await?;
    Ok(report)
}

fn compare(stored: &Deltas, recomputed: &Deltas, report: &mut TotalsCheck) {
    let keys: BTreeSet<&(String, String)> = stored.keys().chain(recomputed.keys()).collect();
    for key in keys {
        let have = stored.get(key).copied().unwrap_or_default();
        let want = recomputed.get(key).copied().unwrap_or_default();
        for (i, measure) in MEASURES.iter().enumerate() {
            if have[i] == want[i] {
                continue;
            }
            if report.differences.len() >= LISTED_MAX {
                report.unlisted += 1;
                continue;
            }
            report.differences.push(Difference {
                village_code: key.0.clone(),
                day: key.1.clone(),
                measure,
                stored: have[i],
                recomputed: want[i],
            });
        }
    }
}

/// `(p, p, …)`: an `IN` list of the villages, for a statement on `conn`.
fn village_list(conn: &AnyConnection, villages: &[&str]) -> String {
    let mut params = Params::for_engine(conn.backend_name() == "SQLite");
    params.list(villages.len())
}

async fn fetch_for(
    conn: &mut AnyConnection,
    sql: String,
    villages: &[&str],
) -> Result<Vec<AnyRow>> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for village in villages {
        query = query.bind(*village);
    }
    Ok(query.fetch_all(conn).await?)
}

async fn delete_villages(tx: &mut Tx, villages: &[&str]) -> Result<()> {
    let sql = format!(
        "delete from registry_totals where village_code in ({})",
        village_list(tx, villages)
    );
    fetch_for(tx, sql, villages).await?;
    Ok(())
}

async fn stored_rows(conn: &mut AnyConnection, villages: &[&str]) -> Result<Deltas> {
    let sql = format!(
        "select village_code, day, {} from registry_totals where village_code in ({})",
        MEASURES.join(", "),
        village_list(conn, villages)
    );
    let mut out = Deltas::new();
    for row in fetch_for(conn, sql, villages).await? {
        let mut counts = [0i64; 6];
        for (i, measure) in MEASURES.iter().enumerate() {
            counts[i] = row.try_get(*measure)?;
        }
        out.insert((row.try_get("village_code")?, row.try_get("day")?), counts);
    }
    Ok(out)
}

async fn insert(tx: &mut Tx, deltas: &Deltas) -> Result<()> {
    let rows: Vec<_> = deltas.iter().collect();
    for chunk in rows.chunks(rows_per_insert(8)) {
        let sql = format!(
            "insert into registry_totals (village_code, day, {}) values {}",
            MEASURES.join(", "),
            Params::of(tx).rows(chunk.len(), 8)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((village, day), counts) in chunk {
            query = query.bind(village.as_str()).bind(day.as_str());
            for count in counts.iter() {
                query = query.bind(*count);
            }
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The base rows of the villages: versions, poor versions' memberships, and their households'
/// credit files and lines.
async fn base_rows(conn: &mut AnyConnection, villages: &[&str]) -> Result<BaseRows> {
    let list = village_list(conn, villages);
    let households =
        format!("select household_id from household_versions where village_code in ({list})");
    let versions = fetch_for(
        conn,
        format!(
            "select household_id, village_code, valid_from, valid_to, status \
             from household_versions where village_code in ({list})"
        ),
        villages,
    )
    .await?;
    let memberships = fetch_for(
        conn,
        format!(
            "select v.village_code, v.valid_from as version_from, v.valid_to as version_to, \
             m.valid_from as member_from, m.valid_to as member_to \
             from household_versions v join members m on m.household_id = v.household_id \
             where v.village_code in ({list}) and v.status in ('poor', 'relapsed')"
        ),
        villages,
    )
    .await?;
    let files = fetch_for(
        conn,
        format!(
            "select household_id, assessed_on, \
             case when exempt_reason is null then 1 else 0 end as rated \
             from credit_files where household_id in ({households})"
        ),
        villages,
    )
    .await?;
    let lines = fetch_for(
        conn,
        format!(
            "select household_id, institution_code, granted_on, expires_on \
             from credit_lines where household_id in ({households})"
        ),
        villages,
    )
    .await?;
    Ok(BaseRows {
        versions: versions
            .iter()
            .map(version_from_row)
            .collect::<Result<_>>()?,
        memberships: memberships
            .iter()
            .map(membership_from_row)
            .collect::<Result<_>>()?,
        files: files.iter().map(file_from_row).collect::<Result<_>>()?,
        lines: lines.iter().map(line_from_row).collect::<Result<_>>()?,
    })
}

fn version_from_row(row: &AnyRow) -> Result<Version> {
    Ok(Version {
        household_id: row.try_get("household_id")?,
        village_code: row.try_get("village_code")?,
        valid_from: row.try_get("valid_from")?,
        valid_to: row.try_get("valid_to")?,
        status: row.try_get("status")?,
    })
}

fn membership_from_row(row: &AnyRow) -> Result<Membership> {
    Ok(Membership {
        village_code: row.try_get("village_code")?,
        version_from: row.try_get("version_from")?,
        version_to: row.try_get("version_to")?,
        member_from: row.try_get("member_from")?,
        member_to: row.try_get("member_to")?,
    })
}

fn file_from_row(row: &AnyRow) -> Result<File> {
    Ok(File {
        household_id: row.try_get("household_id")?,
        assessed_on: row.try_get("assessed_on")?,
        rated: row.try_get::<i64, _>("rated")? != 0,
    })
}

fn line_from_row(row: &AnyRow) -> Result<Line> {
    Ok(Line {
        household_id: row.try_get("household_id")?,
        institution_code: row.try_get("institution_code")?,
        granted_on: row.try_get("granted_on")?,
        expires_on: row.try_get("expires_on")?,
    })
}
