//! Village banking service points and the coverage they give.

use fupin_core::{BusinessDate, RegionCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::institutions::prefix_pattern;
use crate::regions::date_column;

/// A service point as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePoint {
    pub id: String,
    pub village_code: RegionCode,
    pub institution_code: String,
    /// `outlet`, `atm`, `withdrawal_point`, `pos`, `mobile` or `other`.
    pub kind: String,
    /// Sorted service names.
    pub services: Vec<String>,
    pub opened_on: BusinessDate,
    pub closed_on: Option<BusinessDate>,
}

const COLUMNS: &str = "id, village_code, institution_code, kind, services, opened_on, closed_on";

pub async fn get_in(tx: &mut Tx, id: &str) -> Result<Option<ServicePoint>> {
    let sql = format!("select {COLUMNS} from service_points where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn upsert(tx: &mut Tx, point: &ServicePoint) -> Result<()> {
    sqlx::query(
        "insert into service_points (id, village_code, institution_code, kind, services, \
         opened_on, closed_on) values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do update \
         set village_code = excluded.village_code, institution_code = excluded.institution_code, \
         kind = excluded.kind, services = excluded.services, opened_on = excluded.opened_on, \
         closed_on = excluded.closed_on",
    )
    .bind(&point.id)
    .bind(point.village_code.to_string())
    .bind(&point.institution_code)
    .bind(&point.kind)
    .bind(point.services.join(";"))
    .bind(point.opened_on.to_string())
    .bind(point.closed_on.map(|d| d.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn list(db: &Db, within: Option<RegionCode>, limit: i64) -> Result<Vec<ServicePoint>> {
    let sql = format!(
        "select {COLUMNS} from service_points where village_code like $1 order by id limit $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(prefix_pattern(within))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> Result<ServicePoint> {
    let village: String = row.try_get("village_code")?;
    let services: String = row.try_get("services")?;
    Ok(ServicePoint {
        id: row.try_get("id")?,
        village_code: RegionCode::parse(&village)
            .map_err(|e| corrupt("service_points", "village_code", e))?,
        institution_code: row.try_get("institution_code")?,
        kind: row.try_get("kind")?,
        services: services
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        opened_on: date_column(row, "service_points", "opened_on")?
            .ok_or_else(|| corrupt("service_points", "opened_on", "null"))?,
        closed_on: date_column(row, "service_points", "closed_on")?,
    })
}

/// A village's best channel on a date: 3 outlet, 2 electronic equipment (ATM, withdrawal point,
/// POS, other), 1 mobile service only, 0 none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VillageChannel {
    pub village_code: RegionCode,
    pub village_name: String,
    pub best_channel_rank: i64,
}

/// Every village valid on `date` at or under `within` with its best channel, in code order.
pub async fn village_channels(
    db: &Db,
    date: BusinessDate,
    within: Option<RegionCode>,
) -> Result<Vec<VillageChannel>> {
    let rows = sqlx::query(
        "select r.code, r.name, coalesce(max(case \
             when p.kind = 'outlet' then 3 \
             when p.kind in ('atm', 'withdrawal_point', 'pos', 'other') then 2 \
             when p.kind = 'mobile' then 1 else 0 end), 0) as best \
         from regions r left join service_points p on p.village_code = r.code \
             and p.opened_on <= $2 and (p.closed_on is null or p.closed_on > $2) \
         where r.level = 'village' and r.code like $1 \
             and (r.valid_from is null or r.valid_from <= $2) \
             and (r.valid_to is null or r.valid_to > $2) \
         group by r.code, r.name order by r.code",
    )
    .bind(prefix_pattern(within))
    .bind(date.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("code")?;
            Ok(VillageChannel {
                village_code: RegionCode::parse(&code)
                    .map_err(|e| corrupt("regions", "code", e))?,
                village_name: row.try_get("name")?,
                best_channel_rank: row.try_get("best")?,
            })
        })
        .collect()
}

/// A township valid on a date with its responsible institution (if any) on that date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TownshipResponsibility {
    pub township_code: RegionCode,
    pub township_name: String,
    pub institution_code: Option<String>,
    pub institution_name: Option<String>,
    pub institution_type: Option<String>,
}

/// Every township valid on `date` at or under `within`, with who is responsible for it.
pub async fn township_responsibility(
    db: &Db,
    date: BusinessDate,
    within: Option<RegionCode>,
) -> Result<Vec<TownshipResponsibility>> {
    let rows = sqlx::query(
        "select r.code, r.name, a.institution_code, i.name as institution_name, i.type \
         from regions r \
         left join assignments a on a.township_code = r.code and a.effective_from <= $2 \
             and (a.effective_to is null or a.effective_to > $2) \
         left join institutions i on i.code = a.institution_code \
         where r.level = 'township' and r.code like $1 \
             and (r.valid_from is null or r.valid_from <= $2) \
             and (r.valid_to is null or r.valid_to > $2) \
         order by r.code",
    )
    .bind(prefix_pattern(within))
    .bind(date.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("code")?;
            Ok(TownshipResponsibility {
                township_code: RegionCode::parse(&code)
                    .map_err(|e| corrupt("regions", "code", e))?,
                township_name: row.try_get("name")?,
                institution_code: row.try_get("institution_code")?,
                institution_name: row.try_get("institution_name")?,
                institution_type: row.try_get("type")?,
            })
        })
        .collect()
}
