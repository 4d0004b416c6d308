//! Parsers from a [`Cell`] to a value, following FORMATS.md's common value rules.
//!
//! Each accepts the cell types a user produces in Excel (text, numbers, dates, booleans) and
//! returns a message on refusal; the caller adds row and column (see [`super::RawRow::parse`]).
//! Nothing is rounded or guessed: a value that could mean two things is refused with a hint.
//! A blank cell is refused as empty; wrap a parser in [`optional`] for optional fields.

use std::borrow::Cow;

use fupin_core::{BusinessDate, Fen, Rate, RegionCode};

use super::cell::{Cell, format_number, format_percent, trim_cell};

/// Largest float whose fen are still exact integers in an `f64` (2^53 fen).
const MAX_EXACT_YUAN: f64 = 90_071_992_547_409.0;
/// How far a float may be from a two-decimal amount: binary floats cannot hold 0.1 exactly.
const AMOUNT_TOLERANCE_YUAN: f64 = 1e-6;
/// Rates carry four decimals of percent (see `fupin_core::Rate`).
const PPM_PER_PERCENT: f64 = 10_000.0;
/// How far a float may be from a four-decimal percentage, in ppm.
const RATE_TOLERANCE_PPM: f64 = 1e-6;
/// Largest integer an `f64` holds exactly.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// `Ok(None)` for a blank cell, else the parser's result.
pub fn optional<T>(
    cell: &Cell,
    parser: impl FnOnce(&Cell) -> Result<T, String>,
) -> Result<Option<T>, String> {
    match cell.is_blank() {
        true => Ok(None),
        false => parser(cell).map(Some),
    }
}

/// A non-negative amount in yuan with at most two decimals, as fen.
///
/// Text goes through [`Fen::parse_yuan`] (`50000`, `50,000.00`; `5万` refused). A number cell
/// is converted exactly: 50000 → 50000.00, 1234.5 → 1234.50; a number more than 1e-6 away from
/// a two-decimal amount is refused, never rounded.
pub fn amount(cell: &Cell) -> Result<Fen, String> {
    let fen = match cell {
        Cell::Text(text) => Fen::parse_yuan(trim_cell(text)).map_err(|error| error.to_string())?,
        Cell::Number(yuan) => amount_from_number(*yuan)?,
        other => return Err(unexpected(other, "an amount in yuan such as 50000.00")),
    };
    match fen.is_negative() {
        true => Err(format!("{cell}: an amount cannot be negative")),
        false => Ok(fen),
    }
}

fn amount_from_number(yuan: f64) -> Result<Fen, String> {
    let shown = format_number(yuan);
    if !yuan.is_finite() {
        return Err(format!("{shown}: not a number"));
    }
    if yuan.abs() > MAX_EXACT_YUAN {
        return Err(format!("{shown}: the amount is too large"));
    }
    let fen = (yuan * 100.0).round();
    if (yuan - fen / 100.0).abs() > AMOUNT_TOLERANCE_YUAN {
        return Err(format!(
            "{shown}: more than two decimal places (amounts are yuan with at most two decimals; \
             the value is refused rather than rounded)"
        ));
    }
    // |fen| ≤ 2^53 after the checks above, so the conversion is exact.
    Ok(Fen::new(fen as i64))
}

/// An annual percentage rate.
///
/// Text: `4.35` or `4.35%`. A percent-formatted number cell ([`Cell::Percent`], shown as
/// `4.35%`, stored as 0.0435) is read as the percentage it shows. A plain number is a
/// percentage too: `4.35` is 4.35 %.
///
/// A number strictly between 0 and 1 without a `%` — text or number cell — is refused as
/// ambiguous: `0.0435` is either a fraction meant as 4.35 % (what Excel shows a
/// percent-formatted cell as when its format is lost) or a very small percentage, and guessing
/// wrong is a 100-fold error on interest. Writing `4.35%` or `0.0435%` settles it.
pub fn rate(cell: &Cell) -> Result<Rate, String> {
    match cell {
        Cell::Text(text) => rate_from_text(trim_cell(text)),
        Cell::Percent(fraction) => rate_from_percent(fraction * 100.0, &cell.to_string()),
        Cell::Number(percent) => {
            refuse_ambiguous_fraction(*percent, &format_number(*percent))?;
            rate_from_percent(*percent, &format_number(*percent))
        }
        other => Err(unexpected(other, "a rate such as 4.35 or 4.35%")),
    }
}

fn rate_from_text(text: &str) -> Result<Rate, String> {
    if !text.ends_with(['%', '％'])
        && let Ok(number) = text.parse::<f64>()
    {
        refuse_ambiguous_fraction(number, text)?;
    }
    // Full-width ％ comes from Chinese input methods.
    let text = text
        .strip_suffix('％')
        .map_or(Cow::Borrowed(text), |number| {
            Cow::Owned(format!("{number}%"))
        });
    Rate::parse_percent(&text).map_err(|error| error.to_string())
}

fn refuse_ambiguous_fraction(number: f64, shown: &str) -> Result<(), String> {
    if number > 0.0 && number < 1.0 {
        return Err(format!(
            "{shown} is ambiguous: rates are percentages; write {}% if it is a fraction, or \
             {shown}% if it really is below 1 %",
            format_percent(number)
        ));
    }
    Ok(())
}

/// A percentage held as a float, refused when it needs more than four decimals.
fn rate_from_percent(percent: f64, shown: &str) -> Result<Rate, String> {
    let ppm = percent * PPM_PER_PERCENT;
    if !ppm.is_finite() || ppm.abs() > MAX_EXACT_INTEGER {
        return Err(format!("{shown}: not a rate"));
    }
    let whole_ppm = ppm.round();
    if (ppm - whole_ppm).abs() > RATE_TOLERANCE_PPM {
        return Err(format!("{shown}: more than four decimal places of percent"));
    }
    // Exact after the checks above; formatted back to text so Rate keeps the only validation.
    let whole_ppm = whole_ppm as i64;
    let sign = if whole_ppm < 0 { "-" } else { "" };
    let magnitude = whole_ppm.unsigned_abs();
    let text = format!("{sign}{}.{:04}%", magnitude / 10_000, magnitude % 10_000);
    Rate::parse_percent(&text).map_err(|_| match whole_ppm < 0 {
        true => format!("{shown}: a rate cannot be negative"),
        false => format!("{shown}: a rate cannot exceed 100%"),
    })
}

/// A date: a date cell, an Excel serial number, a number typed as `20170630`, or text
/// `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` (also `2017/6/30`, as Excel writes dates in
/// Chinese-locale CSV). A time of day after the date (`2017-06-30 00:00:00`, as database
/// exports write it) is ignored.
pub fn date(cell: &Cell) -> Result<BusinessDate, String> {
    match cell {
        Cell::Date(date) => Ok(*date),
        Cell::Number(number) => date_from_number(*number),
        Cell::Text(text) => {
            let text = trim_cell(text);
            BusinessDate::parse(without_time_of_day(text)).map_err(|error| error.to_string())
        }
        other => Err(unexpected(other, "a date such as 2017-06-30")),
    }
}

fn date_from_number(number: f64) -> Result<BusinessDate, String> {
    // 20170630 typed into a General cell is a number; as a serial it would be year 57000.
    if number.fract() == 0.0 && (10_000_000.0..100_000_000.0).contains(&number) {
        return BusinessDate::parse(&format_number(number)).map_err(|error| error.to_string());
    }
    BusinessDate::from_excel_serial(number).ok_or_else(|| {
        format!(
            "{}: not a date (as an Excel date serial it is out of range)",
            format_number(number)
        )
    })
}

/// `2017-06-30` of `2017-06-30 00:00:00`, `2017/6/30 0:00` or `2017-06-30T08:00`.
fn without_time_of_day(text: &str) -> &str {
    let Some((date, time)) = text.split_once([' ', 'T']) else {
        return text;
    };
    let time = time.trim();
    let looks_like_time = time.contains(':')
        && time
            .chars()
            .all(|character| character.is_ascii_digit() || matches!(character, ':' | '.'));
    if looks_like_time { date } else { text }
}

/// A yes/no: `true/false`, `1/0`, `是/否`, `yes/no`, `y/n` (any case), a boolean cell, or the
/// numbers 1 and 0.
pub fn boolean(cell: &Cell) -> Result<bool, String> {
    const EXPECTED: &str = "true/false, 1/0, 是/否, yes/no or y/n";
    match cell {
        Cell::Bool(value) => Ok(*value),
        Cell::Number(number) if *number == 1.0 => Ok(true),
        Cell::Number(number) if *number == 0.0 => Ok(false),
        Cell::Text(text) => match trim_cell(text).to_lowercase().as_str() {
            "true" | "1" | "是" | "yes" | "y" => Ok(true),
            "false" | "0" | "否" | "no" | "n" => Ok(false),
            _ => Err(format!("{:?}: expected {EXPECTED}", trim_cell(text))),
        },
        other => Err(unexpected(other, EXPECTED)),
    }
}

/// The items of a list cell, split on `;`, `；` or `、`, trimmed, blanks dropped. A blank
/// cell is the empty list.
pub fn list(cell: &Cell) -> Vec<String> {
    let Some(text) = text(cell) else {
        return Vec::new();
    };
    text.split([';', '；', '、'])
        .map(trim_cell)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// A region code (12 digits; 6 or 9 are padded), as text or as a number (Excel turns a typed
/// `361128000000` into a number).
pub fn region_code(cell: &Cell) -> Result<RegionCode, String> {
    let digits = match cell {
        Cell::Text(text) => trim_cell(text).to_string(),
        Cell::Number(number) => whole_number_text(*number, "a region code")?,
        other => return Err(unexpected(other, "a region code such as 361128000000")),
    };
    RegionCode::parse(&digits).map_err(|error| error.to_string())
}

/// A whole number: text (`12`, `-3`, `12.0`) or an integral number cell.
pub fn integer(cell: &Cell) -> Result<i64, String> {
    match cell {
        Cell::Text(text) => integer_from_text(trim_cell(text)),
        Cell::Number(number) => {
            whole_number_text(*number, "a whole number")?;
            // Integral and within ±2^53, checked above.
            Ok(*number as i64)
        }
        other => Err(unexpected(other, "a whole number")),
    }
}

fn integer_from_text(text: &str) -> Result<i64, String> {
    // Exports from some systems write integers as `12.0`.
    let digits = match text.split_once('.') {
        Some((whole, zeros)) if !zeros.is_empty() && zeros.bytes().all(|byte| byte == b'0') => {
            whole
        }
        _ => text,
    };
    digits
        .parse::<i64>()
        .map_err(|_| format!("{text:?}: not a whole number"))
}

/// An integral number as its digits, refusing fractions and numbers too large to be exact.
fn whole_number_text(number: f64, what: &str) -> Result<String, String> {
    if number.fract() != 0.0 || number.abs() > MAX_EXACT_INTEGER {
        return Err(format!("{}: not {what}", format_number(number)));
    }
    Ok(format_number(number))
}

/// The cell as trimmed text, `None` when blank. Numbers print as Excel shows them in a
/// General cell (integral ones without `.0`, so household ids typed into Excel survive),
/// percentages with `%`, dates as `YYYY-MM-DD`, booleans as `true`/`false`.
///
/// An Excel error cell (`#N/A`) gives `None`; use [`checked_text`] to report it instead.
pub fn text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty | Cell::Error(_) => None,
        Cell::Text(text) => Some(trim_cell(text))
            .filter(|text| !text.is_empty())
            .map(str::to_string),
        other => Some(other.to_string()),
    }
}

/// Like [`text`], but an Excel error cell is refused rather than read as blank.
pub fn checked_text(cell: &Cell) -> Result<Option<String>, String> {
    match cell {
        Cell::Error(error) => Err(format!("the cell holds the Excel error {error}")),
        other => Ok(text(other)),
    }
}

/// One of a fixed set of values, given as the English word (any case) or the Chinese term.
/// `choices` are `(english, chinese, value)`.
pub fn enumeration<T: Copy>(cell: &Cell, choices: &[(&str, &str, T)]) -> Result<T, String> {
    let accepted = || {
        choices
            .iter()
            .map(|(english, chinese, _)| format!("{english} ({chinese})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(given) = checked_text(cell)? else {
        return Err(format!("empty; expected one of: {}", accepted()));
    };
    choices
        .iter()
        .find(|(english, chinese, _)| given.eq_ignore_ascii_case(english) || given == *chinese)
        .map(|(_, _, value)| *value)
        .ok_or_else(|| format!("{given:?} is not one of: {}", accepted()))
}

/// The message for a cell of the wrong kind.
fn unexpected(cell: &Cell, expected: &str) -> String {
    let found = match cell {
        Cell::Empty => return format!("empty; expected {expected}"),
        Cell::Text(text) => format!("the text {:?}", trim_cell(text)),
        Cell::Number(_) => format!("the number {cell}"),
        Cell::Percent(_) => format!("the percentage {cell}"),
        Cell::Bool(_) => format!("the boolean {cell}"),
        Cell::Date(_) => format!("the date {cell}"),
        Cell::Error(_) => format!("the Excel error {cell}"),
    };
    format!("expected {expected}, found {found}")
}
