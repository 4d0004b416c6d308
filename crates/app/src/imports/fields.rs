//! Reading the common kinds of field out of a row, with their errors attached.

use std::borrow::Cow;

use crate::imports::RowErrors;
use crate::ingest::{Cell, FieldError, HeaderMap, RawRow, mojibake, value};

/// A text field that must be present; refused when blank or when it looks like damaged text.
pub fn required_text(
    row: &RawRow,
    map: &HeaderMap,
    name: &str,
    errors: &mut RowErrors,
) -> Option<String> {
    match row.text(map, name) {
        None => {
            errors.push(row.error(map, name, format!("{} is required", map.label(name))));
            None
        }
        Some(text) => checked_text(row, map, name, text, errors),
    }
}

/// A text field that may be blank.
pub fn optional_text(
    row: &RawRow,
    map: &HeaderMap,
    name: &str,
    errors: &mut RowErrors,
) -> Option<String> {
    row.text(map, name)
        .and_then(|text| checked_text(row, map, name, text, errors))
}

fn checked_text(
    row: &RawRow,
    map: &HeaderMap,
    name: &str,
    text: Cow<'_, str>,
    errors: &mut RowErrors,
) -> Option<String> {
    match mojibake(&text) {
        Some(reason) => {
            errors.push(row.error(
                map,
                name,
                format!("the text looks damaged by a wrong encoding ({reason}); fix the file and import it again"),
            ));
            None
        }
        None => Some(text.into_owned()),
    }
}

/// A field parsed by `parser`, which must be present.
pub fn required<T>(
    row: &RawRow,
    map: &HeaderMap,
    name: &str,
    parser: impl FnOnce(&Cell) -> Result<T, String>,
    errors: &mut RowErrors,
) -> Option<T> {
    if row.get(map, name).is_blank() {
        errors.push(row.error(map, name, format!("{} is required", map.label(name))));
        return None;
    }
    errors.take(row.parse(map, name, parser))
}

/// A field parsed by `parser` when present; `Ok(None)` when blank.
pub fn optional<T>(
    row: &RawRow,
    map: &HeaderMap,
    name: &str,
    parser: impl FnOnce(&Cell) -> Result<T, String>,
    errors: &mut RowErrors,
) -> Result<Option<T>, ()> {
    if row.get(map, name).is_blank() {
        return Ok(None);
    }
    match row.parse(map, name, parser) {
        Ok(value) => Ok(Some(value)),
        Err(error) => {
            errors.push(error);
            Err(())
        }
    }
}

/// A code-like identifier (institution codes, service point ids): letters, digits, `-`, `_`,
/// `.`, at most 64 characters.
pub fn identifier(cell: &Cell) -> Result<String, String> {
    let text = value::text(cell).unwrap_or_default();
    let is_valid = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    match is_valid {
        true => Ok(text),
        false => Err(format!(
            "{text:?} is not a code: use up to 64 letters, digits, '-', '_' or '.'"
        )),
    }
}

/// An error not tied to one cell's parser, on a named column of a row.
pub fn row_error(
    row_line: u64,
    column: &str,
    value: &str,
    message: impl Into<String>,
) -> FieldError {
    FieldError::new(row_line, column, value, message)
}
