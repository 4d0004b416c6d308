//! Reading uploaded CSV and XLSX files into typed cells, for every importer.
//!
//! The flow of an importer:
//! 1. [`open`] a file: the format follows the extension, the encoding of a CSV is detected
//!    (UTF-8, UTF-8 with BOM, GB18030), the header row is read;
//! 2. [`RowSource::map_columns`] matches the headers (English or Chinese) to the importer's
//!    [`Column`]s, refusing unknown, missing and doubled columns;
//! 3. each [`RawRow`] is read with [`RawRow::parse`] and the parsers in [`value`], which accept
//!    what users type in Excel and refuse anything ambiguous;
//! 4. text fields are checked with [`mojibake`]; every problem becomes a [`FieldError`], and
//!    [`write_error_report`] writes them for Excel.
//!
//! Reading streams: memory does not grow with the file (see [`RowSource`]).

mod cell;
mod csv_reader;
mod encoding;
mod error;
mod headers;
mod mojibake;
mod report;
mod source;
pub mod value;
mod xlsx_reader;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use cell::Cell;
pub use error::{FieldError, IngestError};
pub use headers::{Column, HeaderMap, map_headers};
pub use mojibake::mojibake;
pub use report::{formula_escape, write_error_report};
pub use source::RowSource;

use csv_reader::CsvRows;
use encoding::{OLE_MAGIC, ZIP_MAGIC};
use source::Backend;
use xlsx_reader::XlsxRows;

/// Bounds on what one upload may hold, so that a damaged or hostile file fails clearly instead
/// of exhausting the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the file on disk.
    pub max_file_bytes: u64,
    /// Data rows (not counting the header and blank rows).
    pub max_rows: u64,
    /// Columns of any row, up to its last non-blank cell.
    pub max_columns: usize,
    /// Characters of any text cell.
    pub max_cell_chars: usize,
}

impl Default for Limits {
    /// Room for a city's whole registry: a prefecture such as Shangrao has about 7 million
    /// residents, one row per member; the widest interchange format has about 20 columns.
    fn default() -> Limits {
        Limits {
            max_file_bytes: 1 << 30,
            max_rows: 20_000_000,
            max_columns: 200,
            max_cell_chars: 4_096,
        }
    }
}

/// One non-blank row of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The row number a user sees in Excel: the header row is 1, the first data row 2; blank
    /// rows count, and a quoted CSV cell with line breaks stays in one row.
    pub line: u64,
    /// The cells, up to the last non-blank one.
    pub cells: Vec<Cell>,
}

/// Opens an uploaded file and reads its header row.
///
/// `.csv` and `.txt` are read as CSV, `.xlsx` and `.xlsm` as XLSX (the sheet named like
/// `sheet_hint`, case-insensitive, else the first sheet); any other name is sniffed: a zip
/// archive is XLSX, anything else CSV.
pub fn open(path: &Path, sheet_hint: &str, limits: &Limits) -> Result<RowSource, IngestError> {
    open_as(path, &path.display().to_string(), sheet_hint, limits)
}

/// [`open`], naming the file `file_label` in every message: an upload is read from a temporary
/// path its user never saw, and is named by the name the user gave it.
pub fn open_as(
    path: &Path,
    file_label: &str,
    sheet_hint: &str,
    limits: &Limits,
) -> Result<RowSource, IngestError> {
    let file_label = file_label.to_string();
    let io_error = |source| IngestError::Io {
        file: file_label.clone(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let file_length = file.metadata().map_err(io_error)?.len();
    if file_length > limits.max_file_bytes {
        return Err(IngestError::FileTooLarge {
            file: file_label,
            bytes: file_length,
            limit: limits.max_file_bytes,
        });
    }
    let backend = match choose_format(path, &file_label)? {
        FileFormat::Csv => Backend::Csv(CsvRows::open(file, &file_label, file_length, limits)?),
        FileFormat::Xlsx => Backend::Xlsx(XlsxRows::open(
            path,
            &file_label,
            sheet_hint,
            limits.max_file_bytes,
        )?),
    };
    let source = RowSource::start(backend, &file_label, limits)?;
    tracing::debug!(
        file = %file_label,
        format = source.format(),
        encoding = source.encoding(),
        sheet = source.sheet(),
        "opened upload"
    );
    Ok(source)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Csv,
    Xlsx,
}

fn choose_format(path: &Path, file_label: &str) -> Result<FileFormat, IngestError> {
    let extension = path
        .extension()
        .map(|extension| extension.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("csv" | "txt") => Ok(FileFormat::Csv),
        Some("xlsx" | "xlsm") => Ok(FileFormat::Xlsx),
        Some("xls") => Err(IngestError::LegacyXls {
            file: file_label.to_string(),
        }),
        _ => sniff_format(path, file_label),
    }
}

/// Formats by content, for files named without a known extension.
fn sniff_format(path: &Path, file_label: &str) -> Result<FileFormat, IngestError> {
    let mut start = Vec::with_capacity(OLE_MAGIC.len());
    File::open(path)
        .and_then(|file| file.take(OLE_MAGIC.len() as u64).read_to_end(&mut start))
        .map_err(|source| IngestError::Io {
            file: file_label.to_string(),
            source,
        })?;
    if start.starts_with(ZIP_MAGIC) {
        return Ok(FileFormat::Xlsx);
    }
    if start.starts_with(OLE_MAGIC) {
        return Err(IngestError::LegacyXls {
            file: file_label.to_string(),
        });
    }
    Ok(FileFormat::Csv)
}
