//! The latest business dates the data reaches, for pages that open on the data rather than on
//! today: the last end of day, the latest return's period and the latest registry extract.

use fupin_core::BusinessDate;
use fupin_core::date::Month;
use sqlx::Row;

use crate::db::Db;
use crate::error::{Result, corrupt};
use crate::regions::date_column;

/// How far each kind of data reaches; `None` where there is none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataDates {
    pub last_end_of_day: Option<BusinessDate>,
    pub latest_return: Option<Month>,
    pub latest_extract: Option<BusinessDate>,
}

/// One statement of three indexed maxima (the returns' key and the registry's village table are
/// small or led by the period).
pub async fn latest(db: &Db) -> Result<DataDates> {
    let row = sqlx::query(
        "select (select last_date from eod_state where id = 1) as last_end_of_day, \
         (select max(period) from returns) as latest_return, \
         (select max(as_of) from registry_villages) as latest_extract",
    )
    .fetch_one(db.pool())
    .await?;
    let period: Option<String> = row.try_get("latest_return")?;
    Ok(DataDates {
        last_end_of_day: date_column(&row, "eod_state", "last_end_of_day")?,
        latest_return: period
            .map(|text| Month::parse(&text).map_err(|e| corrupt("returns", "period", e)))
            .transpose()?,
        latest_extract: date_column(&row, "registry_villages", "latest_extract")?,
    })
}
