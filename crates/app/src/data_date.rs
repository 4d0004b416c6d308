//! The business date a page opens on when none is asked for: the latest date the data reaches
//! (the last end of day, the latest return's month-end, the latest registry extract), never
//! after today. A database with no data opens on today.

use fupin_core::BusinessDate;
use fupin_store::data_dates::{self, DataDates};

use crate::Db;
use crate::error::Result;

/// The latest business date with data, as of `today` (passed in: nothing here reads the clock).
pub async fn latest(db: &Db, today: BusinessDate) -> Result<BusinessDate> {
    Ok(choose(&data_dates::latest(db).await?, today))
}

/// The latest of the dates the data reaches, capped at `today`; `today` when there is none.
pub fn choose(dates: &DataDates, today: BusinessDate) -> BusinessDate {
    [
        dates.last_end_of_day,
        dates.latest_return.map(|month| month.last_day()),
        dates.latest_extract,
    ]
    .into_iter()
    .flatten()
    .max()
    .map_or(today, |latest| latest.min(today))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fupin_core::date::Month;

    fn date(text: &str) -> BusinessDate {
        BusinessDate::parse(text).expect("a date")
    }

    fn check(dates: DataDates, today: &str, expect: &str) {
        assert_eq!(choose(&dates, date(today)), date(expect), "{dates:?}");
    }

    #[test]
    fn the_latest_date_with_data_capped_at_today() {
        let none = DataDates::default();
        check(none, "2026-12-07", "2026-12-07");
        let returns_only = DataDates {
            latest_return: Month::new(2017, 6),
            ..none
        };
        check(returns_only, "2026-12-07", "2017-06-30");
        let all = DataDates {
            last_end_of_day: Some(date("2017-06-30")),
            latest_return: Month::new(2017, 5),
            latest_extract: Some(date("2016-12-31")),
        };
        check(all, "2026-12-07", "2017-06-30");
        let later_extract = DataDates {
            latest_extract: Some(date("2017-07-15")),
            ..all
        };
        check(later_extract, "2026-12-07", "2017-07-15");
        check(later_extract, "2017-07-01", "2017-07-01");
    }
}
