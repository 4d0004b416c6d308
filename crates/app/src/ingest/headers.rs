//! Matching a file's header row to an importer's columns, and reading cells by column name.

use std::borrow::Cow;

use super::cell::{Cell, trim_cell};
use super::error::FieldError;
use super::{RawRow, value};

/// A column an importer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The English header, e.g. `household_id`.
    pub name: &'static str,
    /// The Chinese header, e.g. `户编号`.
    pub alias: &'static str,
    /// Whether the header must be present (its cells may still be optional).
    pub required: bool,
}

impl Column {
    /// A column that must be present.
    pub const fn required(name: &'static str, alias: &'static str) -> Column {
        Column {
            name,
            alias,
            required: true,
        }
    }

    /// A column that may be left out.
    pub const fn optional(name: &'static str, alias: &'static str) -> Column {
        Column {
            name,
            alias,
            required: false,
        }
    }

    fn matches(&self, normalized_header: &str) -> bool {
        normalized_header == normalize_header(self.name)
            || normalized_header == normalize_header(self.alias)
    }

    fn describe(&self) -> String {
        format!("{} ({})", self.name, self.alias)
    }
}

/// Where each of an importer's columns is in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    columns: Vec<Column>,
    found: Vec<FoundColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FoundColumn {
    name: &'static str,
    index: usize,
    /// As the user wrote it, for error reports.
    header: String,
}

impl HeaderMap {
    /// The position of a column in the row, if the file has it.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.find(name).map(|found| found.index)
    }

    /// Whether the file has the column (optional columns may be absent).
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// How to name the column to the user: the header they wrote, else the English name.
    pub fn label<'a>(&'a self, name: &'a str) -> &'a str {
        self.find(name).map_or(name, |found| found.header.as_str())
    }

    fn find(&self, name: &str) -> Option<&FoundColumn> {
        debug_assert!(
            self.columns.iter().any(|column| column.name == name),
            "{name:?} is not one of the importer's columns"
        );
        self.found.iter().find(|found| found.name == name)
    }
}

/// Matches `headers` to `columns`.
///
/// A header matches a column's English name or Chinese alias ignoring case, surrounding
/// whitespace (full-width spaces too), a byte-order mark, and full-width forms of ASCII (so
/// `最长期限（月）` matches `最长期限(月)`). Blank headers are ignored. Errors list every
/// unknown column (unless `ignore_unknown`), every missing required column and every column
/// given twice; they are placed on line 1 ([`super::RowSource::map_columns`] uses the real
/// header line).
pub fn map_headers(
    headers: &[String],
    columns: &[Column],
    ignore_unknown: bool,
) -> Result<HeaderMap, Vec<FieldError>> {
    let mut found: Vec<FoundColumn> = Vec::new();
    let mut errors = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let normalized = normalize_header(header);
        if normalized.is_empty() {
            continue;
        }
        match columns.iter().find(|column| column.matches(&normalized)) {
            Some(column) => match found.iter().find(|seen| seen.name == column.name) {
                Some(first) => errors.push(duplicate_error(column, &first.header, header)),
                None => found.push(FoundColumn {
                    name: column.name,
                    index,
                    header: trim_cell(header).to_string(),
                }),
            },
            None if ignore_unknown => {}
            None => errors.push(unknown_error(header, columns)),
        }
    }
    errors.extend(missing_errors(columns, &found));
    match errors.is_empty() {
        true => Ok(HeaderMap {
            columns: columns.to_vec(),
            found,
        }),
        false => Err(errors),
    }
}

/// Lower case, trimmed, full-width ASCII folded to ASCII.
fn normalize_header(header: &str) -> String {
    trim_cell(header)
        .chars()
        .map(fold_full_width)
        .collect::<String>()
        .trim()
        .to_lowercase()
}

/// Full-width forms (U+FF01–U+FF5E) to their ASCII counterparts, the ideographic space to a
/// space: Chinese input methods type them by default.
fn fold_full_width(character: char) -> char {
    match character {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(character as u32 - 0xFEE0).unwrap_or(character),
        '\u{3000}' => ' ',
        _ => character,
    }
}

fn duplicate_error(column: &Column, first: &str, second: &str) -> FieldError {
    FieldError::new(
        1,
        trim_cell(second),
        trim_cell(second),
        format!(
            "column {} is given twice: as {first:?} and as {:?}",
            column.describe(),
            trim_cell(second)
        ),
    )
}

fn unknown_error(header: &str, columns: &[Column]) -> FieldError {
    let expected: Vec<String> = columns.iter().map(Column::describe).collect();
    FieldError::new(
        1,
        trim_cell(header),
        trim_cell(header),
        format!(
            "unknown column {:?}; the columns are: {}",
            trim_cell(header),
            expected.join(", ")
        ),
    )
}

fn missing_errors<'a>(
    columns: &'a [Column],
    found: &'a [FoundColumn],
) -> impl Iterator<Item = FieldError> + 'a {
    columns
        .iter()
        .filter(|column| column.required && !found.iter().any(|seen| seen.name == column.name))
        .map(|column| {
            FieldError::new(
                1,
                column.name,
                "",
                format!("required column {} is missing", column.describe()),
            )
        })
}

/// Returned for columns a file does not have.
static EMPTY_CELL: Cell = Cell::Empty;

impl RawRow {
    /// The cell of a column; [`Cell::Empty`] when the file lacks the column or the row is short.
    pub fn get(&self, map: &HeaderMap, name: &str) -> &Cell {
        map.index(name)
            .and_then(|index| self.cells.get(index))
            .unwrap_or(&EMPTY_CELL)
    }

    /// The cell as trimmed text (see [`value::text`]); `None` when blank.
    pub fn text(&self, map: &HeaderMap, name: &str) -> Option<Cow<'_, str>> {
        match self.get(map, name) {
            // Borrow the common case instead of copying every text cell.
            Cell::Text(text) => Some(trim_cell(text))
                .filter(|text| !text.is_empty())
                .map(Cow::Borrowed),
            other => value::text(other).map(Cow::Owned),
        }
    }

    /// Parses a cell with one of the [`value`] parsers, turning a refusal into a
    /// [`FieldError`] on this row and column.
    pub fn parse<T>(
        &self,
        map: &HeaderMap,
        name: &str,
        parser: impl FnOnce(&Cell) -> Result<T, String>,
    ) -> Result<T, FieldError> {
        parser(self.get(map, name)).map_err(|message| self.error(map, name, message))
    }

    /// A [`FieldError`] about a cell of this row, quoting its value.
    pub fn error(&self, map: &HeaderMap, name: &str, message: impl Into<String>) -> FieldError {
        FieldError::new(
            self.line,
            map.label(name),
            self.get(map, name).to_string(),
            message,
        )
    }
}
