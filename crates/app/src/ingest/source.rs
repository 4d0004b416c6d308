//! [`RowSource`]: the rows of one opened file, whatever its format.

use std::iter::FusedIterator;

use super::cell::column_label;
use super::csv_reader::CsvRows;
use super::error::{FieldError, IngestError};
use super::headers::{Column, HeaderMap, map_headers};
use super::value;
use super::xlsx_reader::XlsxRows;
use super::{Limits, RawRow};

/// The format-specific reader behind a [`RowSource`].
pub(crate) enum Backend {
    Csv(CsvRows),
    Xlsx(XlsxRows),
}

/// The rows of an opened file: the header row is read on opening ([`RowSource::headers`]);
/// iterating yields the data rows after it, skipping blank rows.
///
/// A row error ([`IngestError::is_row_error`]) is yielded in place of its row and reading goes
/// on; any other error is yielded once and ends the iteration.
pub struct RowSource {
    backend: Backend,
    file: String,
    limits: Limits,
    headers: Vec<String>,
    header_line: u64,
    data_rows: u64,
    finished: bool,
}

impl RowSource {
    /// Wraps a backend and reads the header row: the first row that is not blank.
    pub(crate) fn start(
        backend: Backend,
        file: &str,
        limits: &Limits,
    ) -> Result<RowSource, IngestError> {
        let mut source = RowSource {
            backend,
            file: file.to_string(),
            limits: limits.clone(),
            headers: Vec::new(),
            header_line: 0,
            data_rows: 0,
            finished: false,
        };
        let header_row = match source.next_non_blank_row() {
            Some(row) => row?,
            None => return Err(IngestError::NoHeader { file: source.file }),
        };
        source.check_width(&header_row)?;
        source.header_line = header_row.line;
        source.headers = header_row
            .cells
            .iter()
            .map(|cell| value::text(cell).unwrap_or_default())
            .collect();
        Ok(source)
    }

    /// `"CSV"` or `"XLSX"`.
    pub fn format(&self) -> &'static str {
        match self.backend {
            Backend::Csv(_) => "CSV",
            Backend::Xlsx(_) => "XLSX",
        }
    }

    /// The encoding the file is read in: `"UTF-8"`, `"UTF-8 (BOM)"`, `"GB18030"`,
    /// `"GB18030 (BOM)"` or `"XLSX (UTF-8)"`.
    pub fn encoding(&self) -> &'static str {
        match &self.backend {
            Backend::Csv(rows) => rows.encoding().label(),
            Backend::Xlsx(_) => "XLSX (UTF-8)",
        }
    }

    /// The worksheet being read (XLSX only).
    pub fn sheet(&self) -> Option<&str> {
        match &self.backend {
            Backend::Csv(_) => None,
            Backend::Xlsx(rows) => Some(rows.sheet()),
        }
    }

    /// The file as named in messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The header row, each header trimmed (blank headers are empty strings).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The line of the header row (1 unless the file starts with blank rows).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// [`map_headers`] on this file's headers, with errors placed on its header line.
    pub fn map_columns(
        &self,
        columns: &[Column],
        ignore_unknown: bool,
    ) -> Result<HeaderMap, Vec<FieldError>> {
        map_headers(&self.headers, columns, ignore_unknown).map_err(|mut errors| {
            for error in &mut errors {
                error.line = self.header_line;
            }
            errors
        })
    }

    fn next_non_blank_row(&mut self) -> Option<Result<RawRow, IngestError>> {
        loop {
            let next = match &mut self.backend {
                Backend::Csv(rows) => rows.next_row(&self.headers),
                Backend::Xlsx(rows) => rows.next_row(),
            }?;
            match next {
                Ok(mut row) => {
                    trim_trailing_blanks(&mut row);
                    if !row.cells.is_empty() {
                        return Some(Ok(row));
                    }
                }
                Err(error) => return Some(Err(error)),
            }
        }
    }

    /// Applies the row limits to a data row.
    fn check_row(&mut self, row: RawRow) -> Result<RawRow, IngestError> {
        self.data_rows += 1;
        if self.data_rows > self.limits.max_rows {
            return Err(IngestError::TooManyRows {
                file: self.file.clone(),
                line: row.line,
                limit: self.limits.max_rows,
            });
        }
        self.check_width(&row)?;
        self.check_cell_lengths(&row)?;
        Ok(row)
    }

    fn check_width(&self, row: &RawRow) -> Result<(), IngestError> {
        if row.cells.len() <= self.limits.max_columns {
            return Ok(());
        }
        Err(IngestError::TooManyColumns {
            file: self.file.clone(),
            line: row.line,
            columns: row.cells.len(),
            limit: self.limits.max_columns,
        })
    }

    fn check_cell_lengths(&self, row: &RawRow) -> Result<(), IngestError> {
        for (index, cell) in row.cells.iter().enumerate() {
            let super::Cell::Text(text) = cell else {
                continue;
            };
            // Counting characters is linear; the byte length bounds it cheaply first.
            if text.len() <= self.limits.max_cell_chars {
                continue;
            }
            let chars = text.chars().count();
            if chars > self.limits.max_cell_chars {
                return Err(IngestError::CellTooLong {
                    file: self.file.clone(),
                    line: row.line,
                    column: column_label(&self.headers, index),
                    chars,
                    limit: self.limits.max_cell_chars,
                });
            }
        }
        Ok(())
    }
}

impl Iterator for RowSource {
    type Item = Result<RawRow, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let result = match self.next_non_blank_row() {
            None => {
                self.finished = true;
                return None;
            }
            Some(Ok(row)) => self.check_row(row),
            Some(Err(error)) => Err(error),
        };
        if let Err(error) = &result {
            self.finished = !error.is_row_error();
        }
        Some(result)
    }
}

impl FusedIterator for RowSource {}

/// Drops blank cells at the end of a row: spreadsheets and trailing commas leave them, and
/// they must count neither as columns nor as content.
fn trim_trailing_blanks(row: &mut RawRow) {
    let width = row
        .cells
        .iter()
        .rposition(|cell| !cell.is_blank())
        .map_or(0, |last| last + 1);
    row.cells.truncate(width);
}
