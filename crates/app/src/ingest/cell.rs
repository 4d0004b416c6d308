//! One spreadsheet cell as read from a file, keeping the type Excel gave it.

use std::fmt;

use fupin_core::BusinessDate;

/// A cell of an uploaded file.
///
/// CSV cells are always [`Cell::Text`] or [`Cell::Empty`]; XLSX cells keep their Excel type so
/// that the value parsers in [`super::value`] can accept what a user actually typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value (also an XLSX text cell holding the empty string).
    Empty,
    /// Text, exactly as in the file (not trimmed).
    Text(String),
    /// A number without a percent format.
    Number(f64),
    /// A number shown as a percentage (the cell has a `%` number format). Holds the value Excel
    /// stores, the fraction: a cell showing `4.35%` holds `0.0435`.
    ///
    /// Kept apart from [`Cell::Number`] because Excel stores `4.35%` as 0.0435 while a plain
    /// `4.35` means 4.35 %; only the number format tells them apart.
    Percent(f64),
    /// A boolean cell (`TRUE`/`FALSE`).
    Bool(bool),
    /// A cell with a date format; the time of day, if any, is dropped.
    Date(BusinessDate),
    /// An Excel error value such as `#N/A` or `#DIV/0!`.
    Error(String),
}

impl Cell {
    /// True for an empty cell and for text that is only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => trim_cell(text).is_empty(),
            _ => false,
        }
    }
}

/// The cell as a user would see it, for error reports: integral numbers without `.0`,
/// percentages with `%`, dates as `YYYY-MM-DD`.
impl fmt::Display for Cell {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(text) => formatter.write_str(text),
            Cell::Number(number) => formatter.write_str(&format_number(*number)),
            Cell::Percent(fraction) => write!(formatter, "{}%", format_percent(*fraction)),
            Cell::Bool(value) => write!(formatter, "{value}"),
            Cell::Date(date) => write!(formatter, "{date}"),
            Cell::Error(error) => formatter.write_str(error),
        }
    }
}

/// Trims whitespace (including the full-width space U+3000) and byte-order marks, which
/// appear at the start of a cell when files were concatenated.
pub(crate) fn trim_cell(text: &str) -> &str {
    text.trim_matches(|character: char| character.is_whitespace() || character == '\u{FEFF}')
}

/// A number the way Excel shows it in a General cell: `50000`, `1234.5`, never `50000.0` or
/// an exponent (Rust's `Display` for `f64` is the shortest exact form without exponent).
pub(crate) fn format_number(number: f64) -> String {
    // `-0` would surprise a user; Excel shows 0.
    if number == 0.0 {
        return "0".to_string();
    }
    format!("{number}")
}

/// A stored fraction as the percentage Excel shows, without the float noise of `× 100`.
pub(crate) fn format_percent(fraction: f64) -> String {
    const DISPLAY_DECIMALS: f64 = 1e10;
    format_number((fraction * 100.0 * DISPLAY_DECIMALS).round() / DISPLAY_DECIMALS)
}

/// The Excel column letters of a zero-based column index: 0 → `A`, 27 → `AB`.
pub(crate) fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut remaining = index + 1;
    while remaining > 0 {
        let digit = (remaining - 1) % 26;
        letters.push(char::from(b'A' + digit as u8));
        remaining = (remaining - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// How a column is named in error messages: its header as the user wrote it, or its letter
/// when the header is blank or the row is longer than the header.
pub(crate) fn column_label(headers: &[String], index: usize) -> String {
    match headers.get(index) {
        Some(header) if !header.is_empty() => header.clone(),
        _ => column_letters(index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_display_like_excel() {
        for (number, expected) in [
            (50000.0, "50000"),
            (1234.5, "1234.5"),
            (-0.0, "0"),
            (361128000000.0, "361128000000"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(format_number(number), expected, "{number}");
        }
        assert_eq!(format_percent(0.0435), "4.35");
        assert_eq!(Cell::Percent(0.8).to_string(), "80%");
    }

    #[test]
    fn column_letters_follow_excel() {
        for (index, expected) in [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (16383, "XFD")] {
            assert_eq!(column_letters(index), expected);
        }
    }

    #[test]
    fn blank_cells_include_whitespace_and_bom() {
        assert!(Cell::Empty.is_blank());
        assert!(Cell::Text(" \u{3000}\u{FEFF}".into()).is_blank());
        assert!(!Cell::Number(0.0).is_blank());
    }
}
