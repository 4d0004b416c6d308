//! The error report of an import, and escaping cells against CSV formula injection.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use csv::{Terminator, WriterBuilder};

use super::error::FieldError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes `errors` as CSV in UTF-8 with a BOM (so Excel opens it in the right encoding), with
/// the header `row,column,value,message`. File-level errors (line 0) have an empty row.
/// Every cell is escaped with [`formula_escape`]: the values come from uploaded files.
pub fn write_error_report(path: &Path, errors: &[FieldError]) -> io::Result<()> {
    let mut output = BufWriter::new(File::create(path)?);
    output.write_all(UTF8_BOM)?;
    let mut writer = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .from_writer(output);
    writer.write_record(["row", "column", "value", "message"])?;
    for error in errors {
        let row = match error.line {
            0 => String::new(),
            line => line.to_string(),
        };
        writer.write_record(
            [
                Cow::Owned(row),
                formula_escape(&error.column),
                formula_escape(&error.value),
                formula_escape(&error.message),
            ]
            .iter()
            .map(|cell| cell.as_bytes()),
        )?;
    }
    writer.flush()?;
    writer
        .into_inner()
        .map_err(|error| io::Error::other(error.to_string()))?
        .flush()
}

/// Prefixes `'` to a cell that a spreadsheet would run as a formula: one beginning with `=`,
/// `+`, `-`, `@`, a tab or a carriage return (OWASP CSV injection). A plain number such as
/// `-5` or `-1,234.50` is left alone, so negative amounts stay numbers.
pub fn formula_escape(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// An optional sign, digits (with `,` separators), and optional decimals.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, decimals) = match unsigned.split_once('.') {
        Some((whole, decimals)) if !decimals.is_empty() => (whole, decimals),
        Some(_) => return false,
        None => (unsigned, ""),
    };
    whole.starts_with(|character: char| character.is_ascii_digit())
        && whole
            .chars()
            .all(|character| character.is_ascii_digit() || character == ',')
        && decimals.chars().all(|character| character.is_ascii_digit())
}
