//! Business dates: calendar days, never timestamps, plus months and quarters.
//!
//! Every value lies within 1900-01-01..=2200-12-31 — the range accepted from input — so that
//! the `YYYY-MM-DD` storage form always has four-digit years, sorts as dates, and parses back.
//! Arithmetic that could leave the range returns `Option`.

use std::fmt;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Utc};
use thiserror::Error;

/// First year a business date may fall in.
pub const MIN_YEAR: i32 = 1900;
/// Last year a business date may fall in.
pub const MAX_YEAR: i32 = 2200;

/// China Standard Time, UTC+8 all year: the time zone of every business date.
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

/// A calendar day within 1900-01-01..=2200-12-31.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct BusinessDate(NaiveDate);

/// Why a date, month or quarter was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DateError {
    /// Nothing but whitespace was given.
    #[error("the date is empty")]
    Empty,
    /// The text does not have one of the accepted shapes.
    #[error("{input:?}: not a {what} (expected {expected})")]
    Format {
        /// The trimmed input.
        input: String,
        /// What was being parsed: `date`, `month` or `quarter`.
        what: &'static str,
        /// The accepted shapes, for the message.
        expected: &'static str,
    },
    /// Well-formed digits naming a day, month or quarter that does not exist.
    #[error("{input:?}: no such {what} in the calendar")]
    Impossible {
        /// The trimmed input.
        input: String,
        /// What was being parsed: `date`, `month` or `quarter`.
        what: &'static str,
    },
    /// A year outside 1900..=2200.
    #[error("{input:?}: year {year} is outside 1900..=2200")]
    YearOutOfRange {
        /// The trimmed input.
        input: String,
        /// The year found.
        year: i32,
    },
}

const DATE_SHAPES: &str = "YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD";
const MONTH_SHAPES: &str = "YYYY-MM, YYYY/MM or YYYYMM";
const QUARTER_SHAPES: &str = "YYYYQn or YYYY-Qn";

/// Excel's serial for 1900-02-29, a day that never existed (kept for Lotus 1-2-3 compatibility).
const EXCEL_FICTITIOUS_LEAP_DAY: i64 = 60;

impl BusinessDate {
    /// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, `YYYY-M-D` or `YYYY/M/D`, trimmed.
    pub fn parse(text: &str) -> Result<BusinessDate, DateError> {
        let input = text.trim();
        if input.is_empty() {
            return Err(DateError::Empty);
        }
        let format_error = || DateError::Format {
            input: input.to_string(),
            what: "date",
            expected: DATE_SHAPES,
        };
        let (year_digits, month_digits, day_digits) = split_date(input).ok_or_else(format_error)?;
        let year = parse_number(year_digits).ok_or_else(format_error)?;
        let month = parse_number(month_digits).ok_or_else(format_error)?;
        let day = parse_number(day_digits).ok_or_else(format_error)?;
        check_year(input, year)?;
        let month = u32::try_from(month).map_err(|_| format_error())?;
        let day = u32::try_from(day).map_err(|_| format_error())?;
        BusinessDate::from_ymd(year, month, day).ok_or_else(|| DateError::Impossible {
            input: input.to_string(),
            what: "date",
        })
    }

    /// The date `year-month-day`, if it exists and lies within 1900..=2200.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<BusinessDate> {
        NaiveDate::from_ymd_opt(year, month, day).and_then(BusinessDate::from_naive)
    }

    /// Wraps a `NaiveDate` lying within 1900..=2200.
    pub fn from_naive(date: NaiveDate) -> Option<BusinessDate> {
        (MIN_YEAR..=MAX_YEAR)
            .contains(&date.year())
            .then_some(BusinessDate(date))
    }

    /// The business day at an instant: the calendar date in China (UTC+8), whatever the
    /// machine's time zone. Every edge asks this one function, with the clock's reading, so the
    /// web and the command line never disagree between 00:00 and 08:00 China time.
    pub fn in_china_at(instant: DateTime<Utc>) -> Option<BusinessDate> {
        let china = FixedOffset::east_opt(CHINA_OFFSET_SECONDS)?;
        BusinessDate::from_naive(instant.with_timezone(&china).date_naive())
    }

    /// The date of an Excel serial number in the 1900 date system (serial 1 = 1900-01-01).
    ///
    /// Excel counts a fictitious 1900-02-29 as serial 60, which is therefore refused; the
    /// fractional part (time of day) is ignored.
    pub fn from_excel_serial(serial: f64) -> Option<BusinessDate> {
        // Also refuses NaN and infinities.
        if !(1.0..1.0e7).contains(&serial) {
            return None;
        }
        // In range 1..1e7 after the check above, so the truncating cast is exact.
        let whole_days = serial.floor() as i64;
        // Serials before the fictitious day count from 1899-12-31, later ones from 1899-12-30.
        let epoch_day = match whole_days.cmp(&EXCEL_FICTITIOUS_LEAP_DAY) {
            std::cmp::Ordering::Less => 31,
            std::cmp::Ordering::Equal => return None,
            std::cmp::Ordering::Greater => 30,
        };
        let epoch = NaiveDate::from_ymd_opt(1899, 12, epoch_day)?;
        let days = u64::try_from(whole_days).ok()?;
        epoch
            .checked_add_days(Days::new(days))
            .and_then(BusinessDate::from_naive)
    }

    /// The underlying `NaiveDate`.
    pub fn naive(self) -> NaiveDate {
        self.0
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// The month, 1..=12.
    pub fn month(self) -> u32 {
        self.0.month()
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u32 {
        self.0.day()
    }

    /// The quarter, 1..=4.
    pub fn quarter(self) -> u32 {
        (self.month() - 1) / 3 + 1
    }

    /// The date `days` later (earlier if negative), if still within range.
    pub fn add_days(self, days: i64) -> Option<BusinessDate> {
        let magnitude = Days::new(days.unsigned_abs());
        let moved = if days >= 0 {
            self.0.checked_add_days(magnitude)
        } else {
            self.0.checked_sub_days(magnitude)
        };
        moved.and_then(BusinessDate::from_naive)
    }

    /// Signed number of days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: BusinessDate) -> i64 {
        (later.0 - self.0).num_days()
    }

    /// The same day `months` later, clamped to the end of shorter months
    /// (Jan 31 + 1 month = Feb 28 or 29), if still within range.
    pub fn add_months_clamped(self, months: u32) -> Option<BusinessDate> {
        let month_index = i64::from(self.year()) * 12 + i64::from(self.month() - 1);
        let target_index = month_index.checked_add(i64::from(months))?;
        let year = i32::try_from(target_index.div_euclid(12)).ok()?;
        // rem_euclid(12) lies in 0..12, so the conversion cannot fail.
        let month = u32::try_from(target_index.rem_euclid(12)).ok()? + 1;
        let day = self.day().min(days_in_month(year, month)?);
        BusinessDate::from_ymd(year, month, day)
    }

    /// The next day, if within range.
    pub fn succ(self) -> Option<BusinessDate> {
        self.add_days(1)
    }

    /// The previous day, if within range.
    pub fn pred(self) -> Option<BusinessDate> {
        self.add_days(-1)
    }

    /// The last day of this date's month.
    pub fn end_of_month(self) -> BusinessDate {
        Month::of(self).last_day()
    }

    /// January 1 of this date's year.
    pub fn start_of_year(self) -> BusinessDate {
        // Same in-range year, and January 1 always exists.
        BusinessDate::from_ymd(self.year(), 1, 1).expect("January 1 of an in-range year")
    }

    /// December 31 of the previous year (2017-06-30 → 2016-12-31), if within range.
    pub fn end_of_previous_year(self) -> Option<BusinessDate> {
        BusinessDate::from_ymd(self.year() - 1, 12, 31)
    }

    /// The last day of the previous month (2017-03-15 → 2017-02-28), if within range.
    pub fn end_of_previous_month(self) -> Option<BusinessDate> {
        Month::of(self).previous().map(Month::last_day)
    }
}

/// Splits a date into year, month and day digits by its single kind of separator.
fn split_date(input: &str) -> Option<(&str, &str, &str)> {
    let separator = ['-', '/'].into_iter().find(|sep| input.contains(*sep));
    let Some(separator) = separator else {
        let valid = input.len() == 8 && input.is_ascii();
        return valid.then(|| (&input[..4], &input[4..6], &input[6..]));
    };
    let mut parts = input.split(separator);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let shaped = parts.next().is_none()
        && year.len() == 4
        && (1..=2).contains(&month.len())
        && (1..=2).contains(&day.len());
    shaped.then_some((year, month, day))
}

/// An all-ASCII-digit string as a number (no signs, no spaces).
fn parse_number(digits: &str) -> Option<i32> {
    let all_digits = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
    all_digits.then(|| digits.parse().ok()).flatten()
}

fn check_year(input: &str, year: i32) -> Result<(), DateError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(DateError::YearOutOfRange {
            input: input.to_string(),
            year,
        })
    }
}

/// Number of days in a month, `None` if chrono cannot represent the month.
fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next_first = first.checked_add_months(chrono::Months::new(1))?;
    u32::try_from((next_first - first).num_days()).ok()
}

impl fmt::Display for BusinessDate {
    /// `YYYY-MM-DD`, the storage form.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

/// A calendar quarter of a year within 1900..=2200.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Quarter {
    year: i32,
    quarter: u8,
}

impl Quarter {
    /// Quarter `quarter` (1..=4) of `year` (1900..=2200).
    pub fn new(year: i32, quarter: u8) -> Option<Quarter> {
        let valid = (MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=4).contains(&quarter);
        valid.then_some(Quarter { year, quarter })
    }

    /// The quarter containing `date`.
    pub fn of(date: BusinessDate) -> Quarter {
        Quarter {
            year: date.year(),
            // quarter() is 1..=4, so the cast cannot truncate.
            quarter: date.quarter() as u8,
        }
    }

    /// Parses `2017Q2`, `2017-Q2` or `2017q2`, trimmed.
    pub fn parse(text: &str) -> Result<Quarter, DateError> {
        let input = text.trim();
        if input.is_empty() {
            return Err(DateError::Empty);
        }
        let format_error = || DateError::Format {
            input: input.to_string(),
            what: "quarter",
            expected: QUARTER_SHAPES,
        };
        let (year_part, quarter_part) = input.split_once(['Q', 'q']).ok_or_else(format_error)?;
        let year_digits = year_part.strip_suffix('-').unwrap_or(year_part);
        if year_digits.len() != 4 || quarter_part.len() != 1 {
            return Err(format_error());
        }
        let year = parse_number(year_digits).ok_or_else(format_error)?;
        let quarter = parse_number(quarter_part).ok_or_else(format_error)?;
        check_year(input, year)?;
        u8::try_from(quarter)
            .ok()
            .and_then(|quarter| Quarter::new(year, quarter))
            .ok_or_else(|| DateError::Impossible {
                input: input.to_string(),
                what: "quarter",
            })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The quarter number, 1..=4.
    pub fn quarter(self) -> u8 {
        self.quarter
    }

    /// The first month of the quarter.
    fn first_month(self) -> Month {
        Month {
            year: self.year,
            month: u32::from(self.quarter) * 3 - 2,
        }
    }

    /// The first day of the quarter (1 January, April, July or October).
    pub fn first_day(self) -> BusinessDate {
        self.first_month().first_day()
    }

    /// The last day of the quarter (31 March, 30 June, 30 September or 31 December).
    pub fn last_day(self) -> BusinessDate {
        let last_month = Month {
            year: self.year,
            month: u32::from(self.quarter) * 3,
        };
        last_month.last_day()
    }

    /// Whether `date` falls within the quarter.
    pub fn contains(self, date: BusinessDate) -> bool {
        Quarter::of(date) == self
    }
}

impl fmt::Display for Quarter {
    /// `2017Q2`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:04}Q{}", self.year, self.quarter)
    }
}

/// A calendar month of a year within 1900..=2200.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Month `month` (1..=12) of `year` (1900..=2200).
    pub fn new(year: i32, month: u32) -> Option<Month> {
        let valid = (MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month);
        valid.then_some(Month { year, month })
    }

    /// The month containing `date`.
    pub fn of(date: BusinessDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Parses `2017-06`, `2017/06`, `2017-6` or `201706`, trimmed.
    pub fn parse(text: &str) -> Result<Month, DateError> {
        let input = text.trim();
        if input.is_empty() {
            return Err(DateError::Empty);
        }
        let format_error = || DateError::Format {
            input: input.to_string(),
            what: "month",
            expected: MONTH_SHAPES,
        };
        let (year_digits, month_digits) = split_month(input).ok_or_else(format_error)?;
        let year = parse_number(year_digits).ok_or_else(format_error)?;
        let month = parse_number(month_digits).ok_or_else(format_error)?;
        check_year(input, year)?;
        u32::try_from(month)
            .ok()
            .and_then(|month| Month::new(year, month))
            .ok_or_else(|| DateError::Impossible {
                input: input.to_string(),
                what: "month",
            })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month number, 1..=12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The first day of the month.
    pub fn first_day(self) -> BusinessDate {
        // Fields are validated on construction, so day 1 exists and is in range.
        BusinessDate::from_ymd(self.year, self.month, 1).expect("validated month")
    }

    /// The last day of the month.
    pub fn last_day(self) -> BusinessDate {
        // Fields are validated on construction, so the month has a last day in range.
        days_in_month(self.year, self.month)
            .and_then(|days| BusinessDate::from_ymd(self.year, self.month, days))
            .expect("validated month")
    }

    /// The month before, if within range.
    pub fn previous(self) -> Option<Month> {
        match self.month {
            1 => Month::new(self.year - 1, 12),
            month => Month::new(self.year, month - 1),
        }
    }

    /// The month after, if within range.
    pub fn next(self) -> Option<Month> {
        match self.month {
            12 => Month::new(self.year + 1, 1),
            month => Month::new(self.year, month + 1),
        }
    }
}

/// Splits a month into year and month digits.
fn split_month(input: &str) -> Option<(&str, &str)> {
    let separator = ['-', '/'].into_iter().find(|sep| input.contains(*sep));
    let Some(separator) = separator else {
        let valid = input.len() == 6 && input.is_ascii();
        return valid.then(|| (&input[..4], &input[4..]));
    };
    let (year, month) = input.split_once(separator)?;
    let shaped = year.len() == 4 && (1..=2).contains(&month.len());
    shaped.then_some((year, month))
}

impl fmt::Display for Month {
    /// `2017-06`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(year: i32, month: u32, day: u32) -> BusinessDate {
        BusinessDate::from_ymd(year, month, day).expect("valid test date")
    }

    #[test]
    fn the_business_day_is_the_date_in_china() {
        // (instant in UTC, business day): China is UTC+8, so its day starts at 16:00 UTC.
        let cases = [
            ("2017-06-30T00:00:00Z", "2017-06-30"),
            ("2017-06-30T15:59:59Z", "2017-06-30"),
            ("2017-06-30T16:00:00Z", "2017-07-01"),
            ("2017-06-30T23:59:59Z", "2017-07-01"),
            ("2017-12-31T16:00:00Z", "2018-01-01"),
            ("2016-02-28T16:30:00Z", "2016-02-29"),
            ("2200-12-31T15:59:59Z", "2200-12-31"),
        ];
        for (instant, expected) in cases {
            let instant: DateTime<Utc> = instant.parse().expect("instant");
            let day = BusinessDate::in_china_at(instant).map(|d| d.to_string());
            assert_eq!(day.as_deref(), Some(expected), "{instant}");
        }
        let beyond: DateTime<Utc> = "2200-12-31T16:00:00Z".parse().expect("instant");
        assert_eq!(
            BusinessDate::in_china_at(beyond),
            None,
            "after 2200 there is no business day"
        );
    }

    fn check(input: &str, expected: (i32, u32, u32)) {
        let (year, month, day) = expected;
        assert_eq!(
            BusinessDate::parse(input),
            Ok(date(year, month, day)),
            "input {input:?}"
        );
    }

    fn check_refused(input: &str, message_part: &str) {
        let message = BusinessDate::parse(input).expect_err(input).to_string();
        assert!(
            message.contains(message_part),
            "input {input:?}: message {message:?} lacks {message_part:?}"
        );
    }

    #[test]
    fn parses_accepted_shapes() {
        let cases = [
            ("2017-06-30", (2017, 6, 30)),
            ("2017/06/30", (2017, 6, 30)),
            ("20170630", (2017, 6, 30)),
            ("2017-6-3", (2017, 6, 3)),
            ("2017/6/3", (2017, 6, 3)),
            ("  2016-02-29 ", (2016, 2, 29)),
            ("1900-01-01", (1900, 1, 1)),
            ("2200-12-31", (2200, 12, 31)),
        ];
        for (input, expected) in cases {
            check(input, expected);
        }
    }

    #[test]
    fn refuses_bad_dates() {
        let cases = [
            ("", "the date is empty"),
            ("2017-02-30", "\"2017-02-30\": no such date in the calendar"),
            ("2017-13-01", "no such date"),
            ("2017-00-10", "no such date"),
            ("20170230", "no such date"),
            (
                "1899-12-31",
                "\"1899-12-31\": year 1899 is outside 1900..=2200",
            ),
            ("2201-01-01", "year 2201 is outside"),
            (
                "2017-06/30",
                "\"2017-06/30\": not a date (expected YYYY-MM-DD",
            ),
            ("17-06-30", "not a date"),
            ("2017-006-30", "not a date"),
            ("2017-06-30-01", "not a date"),
            ("2017-06", "not a date"),
            ("2017630", "not a date"),
            ("2017.06.30", "not a date"),
            ("2017-+6-30", "not a date"),
            ("2017年6月30日", "not a date"),
            ("二〇一七〇六", "not a date"),
            ("2017-06-30T00:00:00", "not a date"),
        ];
        for (input, message_part) in cases {
            check_refused(input, message_part);
        }
    }

    #[test]
    fn excel_serials() {
        let cases = [
            (1.0, Some((1900, 1, 1))),
            (59.0, Some((1900, 2, 28))),
            (60.0, None),
            (61.0, Some((1900, 3, 1))),
            (42_916.0, Some((2017, 6, 30))),
            (42_916.75, Some((2017, 6, 30))),
            (43_101.0, Some((2018, 1, 1))),
            (0.0, None),
            (0.5, None),
            (-1.0, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (2_958_465.0, None), // 9999-12-31: beyond 2200
        ];
        for (serial, expected) in cases {
            let expected = expected.map(|(year, month, day)| date(year, month, day));
            assert_eq!(
                BusinessDate::from_excel_serial(serial),
                expected,
                "serial {serial}"
            );
        }
    }

    #[test]
    fn arithmetic() {
        let june_30 = date(2017, 6, 30);
        assert_eq!(june_30.add_days(1), Some(date(2017, 7, 1)));
        assert_eq!(june_30.add_days(-181), Some(date(2016, 12, 31)));
        assert_eq!(date(2200, 12, 31).add_days(1), None);
        assert_eq!(date(1900, 1, 1).pred(), None);
        assert_eq!(june_30.succ(), Some(date(2017, 7, 1)));
        assert_eq!(june_30.pred(), Some(date(2017, 6, 29)));
        assert_eq!(june_30.add_days(i64::MAX), None);
        assert_eq!(june_30.add_days(i64::MIN), None);
        assert_eq!(date(2017, 1, 1).days_until(june_30), 180);
        assert_eq!(june_30.days_until(date(2017, 1, 1)), -180);
        assert_eq!(june_30.quarter(), 2);
        assert_eq!(date(2017, 10, 1).quarter(), 4);
        assert_eq!(june_30.start_of_year(), date(2017, 1, 1));
        assert_eq!(june_30.end_of_previous_year(), Some(date(2016, 12, 31)));
        assert_eq!(date(1900, 5, 5).end_of_previous_year(), None);
        assert_eq!(
            date(2017, 3, 15).end_of_previous_month(),
            Some(date(2017, 2, 28))
        );
        assert_eq!(
            date(2017, 1, 15).end_of_previous_month(),
            Some(date(2016, 12, 31))
        );
        assert_eq!(date(2016, 2, 3).end_of_month(), date(2016, 2, 29));
        assert_eq!(date(1900, 2, 3).end_of_month(), date(1900, 2, 28));
        assert_eq!(june_30.to_string(), "2017-06-30");
        assert_eq!(date(1900, 1, 2).to_string(), "1900-01-02");
    }

    #[test]
    fn adds_months_clamped() {
        let cases = [
            ((2017, 1, 31), 1, Some((2017, 2, 28))),
            ((2016, 1, 31), 1, Some((2016, 2, 29))),
            ((2017, 1, 31), 3, Some((2017, 4, 30))),
            ((2017, 6, 15), 36, Some((2020, 6, 15))),
            ((2017, 11, 30), 3, Some((2018, 2, 28))),
            ((2016, 2, 29), 12, Some((2017, 2, 28))),
            ((2017, 6, 15), 0, Some((2017, 6, 15))),
            ((2200, 12, 1), 1, None),
            ((2017, 6, 15), u32::MAX, None),
        ];
        for ((year, month, day), months, expected) in cases {
            let expected = expected.map(|(year, month, day)| date(year, month, day));
            assert_eq!(
                date(year, month, day).add_months_clamped(months),
                expected,
                "{year}-{month}-{day} + {months}"
            );
        }
    }

    #[test]
    fn quarters() {
        let cases = [
            ("2017Q2", (2017, 2)),
            ("2017-Q2", (2017, 2)),
            ("2017q4", (2017, 4)),
            (" 2017-q1 ", (2017, 1)),
        ];
        for (input, (year, quarter)) in cases {
            assert_eq!(
                Quarter::parse(input),
                Ok(Quarter { year, quarter }),
                "{input}"
            );
        }
        let refusals = [
            ("2017Q5", "\"2017Q5\": no such quarter"),
            ("2017Q0", "no such quarter"),
            ("2017", "\"2017\": not a quarter (expected YYYYQn"),
            ("17Q2", "not a quarter"),
            ("2017Q12", "not a quarter"),
            ("2017/Q2", "not a quarter"),
            ("Q2", "not a quarter"),
            ("1899Q4", "year 1899 is outside"),
            ("", "empty"),
        ];
        for (input, message_part) in refusals {
            let message = Quarter::parse(input).expect_err(input).to_string();
            assert!(message.contains(message_part), "{input}: {message}");
        }
        let second = Quarter::new(2017, 2).expect("valid");
        assert_eq!(second.first_day(), date(2017, 4, 1));
        assert_eq!(second.last_day(), date(2017, 6, 30));
        assert!(second.contains(date(2017, 6, 30)));
        assert!(!second.contains(date(2017, 7, 1)));
        assert!(!second.contains(date(2016, 5, 1)));
        assert_eq!(second.to_string(), "2017Q2");
        assert_eq!(
            Quarter::new(2017, 4).map(Quarter::last_day),
            Some(date(2017, 12, 31))
        );
        assert_eq!(Quarter::new(2017, 5), None);
        assert_eq!(
            Quarter::of(date(2017, 8, 8)),
            Quarter {
                year: 2017,
                quarter: 3
            }
        );
    }

    #[test]
    fn months() {
        let cases = [
            ("2017-06", (2017, 6)),
            ("2017/06", (2017, 6)),
            ("201706", (2017, 6)),
            ("2017-6", (2017, 6)),
            (" 2017-12 ", (2017, 12)),
        ];
        for (input, (year, month)) in cases {
            assert_eq!(Month::parse(input), Ok(Month { year, month }), "{input}");
        }
        let refusals = [
            ("2017-13", "\"2017-13\": no such month"),
            ("201700", "no such month"),
            (
                "2017-06-01",
                "\"2017-06-01\": not a month (expected YYYY-MM",
            ),
            ("17-06", "not a month"),
            ("2017-006", "not a month"),
            ("2017.06", "not a month"),
            ("2201-01", "year 2201 is outside"),
            ("", "empty"),
        ];
        for (input, message_part) in refusals {
            let message = Month::parse(input).expect_err(input).to_string();
            assert!(message.contains(message_part), "{input}: {message}");
        }
        let june = Month::new(2017, 6).expect("valid");
        assert_eq!(june.first_day(), date(2017, 6, 1));
        assert_eq!(june.last_day(), date(2017, 6, 30));
        assert_eq!(june.previous(), Month::new(2017, 5));
        assert_eq!(
            Month::new(2017, 1).and_then(Month::previous),
            Month::new(2016, 12)
        );
        assert_eq!(Month::new(1900, 1).and_then(Month::previous), None);
        assert_eq!(
            Month::new(2017, 12).and_then(Month::next),
            Month::new(2018, 1)
        );
        assert_eq!(june.to_string(), "2017-06");
        assert_eq!(Month::new(2017, 13), None);
    }

    fn any_date() -> impl Strategy<Value = BusinessDate> {
        let first = date(MIN_YEAR, 1, 1);
        let span_days = first.days_until(date(MAX_YEAR, 12, 31));
        (0..=span_days).prop_map(move |offset| first.add_days(offset).expect("within range"))
    }

    proptest! {
        #[test]
        fn display_round_trips(day in any_date()) {
            prop_assert_eq!(BusinessDate::parse(&day.to_string()), Ok(day));
            let compact = day.naive().format("%Y%m%d").to_string();
            prop_assert_eq!(BusinessDate::parse(&compact), Ok(day));
            let month = Month::of(day);
            prop_assert_eq!(Month::parse(&month.to_string()), Ok(month));
            let quarter = Quarter::of(day);
            prop_assert_eq!(Quarter::parse(&quarter.to_string()), Ok(quarter));
            prop_assert!(quarter.contains(day));
            prop_assert!(month.first_day() <= day && day <= month.last_day());
        }

        #[test]
        fn add_months_stays_valid(day in any_date(), months in 0u32..3_000) {
            if let Some(later) = day.add_months_clamped(months) {
                prop_assert!(later.day() <= day.day());
                prop_assert!(later >= day);
                let month_gap = (later.year() - day.year()) * 12
                    + later.month() as i32 - day.month() as i32;
                prop_assert_eq!(i64::from(month_gap), i64::from(months));
                prop_assert_eq!(BusinessDate::parse(&later.to_string()), Ok(later));
            } else {
                prop_assert!(day.year() * 12 + day.month() as i32 - 1 + months as i32
                    > MAX_YEAR * 12 + 11);
            }
        }
    }
}
