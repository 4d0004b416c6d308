//! Errors of reading a file ([`IngestError`]) and of its values ([`FieldError`]).

use std::fmt;

use thiserror::Error;

/// Why a file, or one of its rows, could not be read. Every message names the file and, where
/// there is one, the line a user sees in Excel (header row = 1).
///
/// Row errors ([`IngestError::is_row_error`]) spoil one row only: the iterator goes on with the
/// next. Any other error ends the iteration.
#[derive(Debug, Error)]
pub enum IngestError {
    /// The operating system refused to read the file.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file exceeds [`super::Limits::max_file_bytes`].
    #[error("{file}: the file has {bytes} bytes, more than the limit of {limit} (max_file_bytes)")]
    FileTooLarge {
        /// The file.
        file: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// An Excel 97–2003 workbook, which is not read.
    #[error("{file}: old .xls workbooks are not supported; save it as .xlsx or as CSV")]
    LegacyXls {
        /// The file.
        file: String,
    },
    /// An XLSX workbook saved under a CSV name.
    #[error("{file}: this is an XLSX workbook with a CSV name; rename it to .xlsx")]
    WorkbookNamedAsCsv {
        /// The file.
        file: String,
    },
    /// A text file in UTF-16, which Excel writes for "Unicode Text".
    #[error(
        "{file}: the file is {encoding}; save it as UTF-8 or GB18030 (Excel: Save As → CSV UTF-8)"
    )]
    Utf16 {
        /// The file.
        file: String,
        /// `UTF-16LE` or `UTF-16BE`.
        encoding: &'static str,
    },
    /// Lines end with a bare CR, as old Mac spreadsheets wrote CSV.
    #[error("{file}: lines end with CR only (old Mac format); save it again as CSV UTF-8")]
    CarriageReturnLineEnds {
        /// The file.
        file: String,
    },
    /// The start of a CSV file is neither UTF-8 nor GB18030.
    #[error(
        "{file}: line {line} (byte offset {offset}): the text is neither UTF-8 nor GB18030{hint}; \
         save it as UTF-8 or GB18030"
    )]
    UnknownEncoding {
        /// The file.
        file: String,
        /// The line of the first byte that fits neither encoding.
        line: u64,
        /// The offset of that byte from the start of the file.
        offset: u64,
        /// What it looks like instead, e.g. ` (it looks like Big5)`; may be empty.
        hint: String,
    },
    /// A row holds bytes that are not valid in the encoding detected from the start of the file.
    #[error(
        "{file}: line {line}, column {column}: bytes that are not valid {encoding} (the encoding \
         was detected from the start of the file); save the whole file as UTF-8 or GB18030"
    )]
    InvalidText {
        /// The file.
        file: String,
        /// The row.
        line: u64,
        /// The column header (or letter).
        column: String,
        /// The detected encoding.
        encoding: &'static str,
    },
    /// One CSV row spans more bytes than all its cells could hold.
    #[error(
        "{file}: line {line}: a row longer than {limit} bytes starts here; is a quote \" \
         left open, or does the file lack line breaks?"
    )]
    RowTooLong {
        /// The file.
        file: String,
        /// The line where the row starts.
        line: u64,
        /// The byte limit derived from max_columns × max_cell_chars.
        limit: u64,
    },
    /// The workbook is damaged or not a workbook.
    #[error("{file}: cannot read the workbook: {message}")]
    Xlsx {
        /// The file.
        file: String,
        /// calamine's description.
        message: String,
    },
    /// The workbook reader stopped without saying why (it panicked).
    #[error("{file}: reading the workbook stopped unexpectedly after line {line}; is it damaged?")]
    ReaderStopped {
        /// The file.
        file: String,
        /// The last line read.
        line: u64,
    },
    /// The file (or sheet) has no non-empty row to take headers from.
    #[error("{file}: the file is empty: there is no header row")]
    NoHeader {
        /// The file.
        file: String,
    },
    /// More data rows than [`super::Limits::max_rows`].
    #[error("{file}: line {line}: more than {limit} data rows (max_rows); split the file")]
    TooManyRows {
        /// The file.
        file: String,
        /// The first row over the limit.
        line: u64,
        /// The limit.
        limit: u64,
    },
    /// A row with more cells than [`super::Limits::max_columns`].
    #[error("{file}: line {line}: {columns} columns, more than the limit of {limit} (max_columns)")]
    TooManyColumns {
        /// The file.
        file: String,
        /// The row.
        line: u64,
        /// Its number of columns (up to its last non-empty cell).
        columns: usize,
        /// The limit.
        limit: usize,
    },
    /// A cell longer than [`super::Limits::max_cell_chars`].
    #[error(
        "{file}: line {line}, column {column}: the cell has {chars} characters, more than the \
         limit of {limit} (max_cell_chars)"
    )]
    CellTooLong {
        /// The file.
        file: String,
        /// The row.
        line: u64,
        /// The column header (or letter).
        column: String,
        /// The cell's length in characters.
        chars: usize,
        /// The limit.
        limit: usize,
    },
}

impl IngestError {
    /// The file as named in the message.
    pub fn file(&self) -> &str {
        match self {
            IngestError::Io { file, .. }
            | IngestError::FileTooLarge { file, .. }
            | IngestError::LegacyXls { file }
            | IngestError::WorkbookNamedAsCsv { file }
            | IngestError::Utf16 { file, .. }
            | IngestError::CarriageReturnLineEnds { file }
            | IngestError::UnknownEncoding { file, .. }
            | IngestError::InvalidText { file, .. }
            | IngestError::RowTooLong { file, .. }
            | IngestError::Xlsx { file, .. }
            | IngestError::ReaderStopped { file, .. }
            | IngestError::NoHeader { file }
            | IngestError::TooManyRows { file, .. }
            | IngestError::TooManyColumns { file, .. }
            | IngestError::CellTooLong { file, .. } => file,
        }
    }

    /// The message without the file's name in front (every message starts with it), for
    /// callers that name the file themselves.
    pub fn without_file(&self) -> String {
        let text = self.to_string();
        match text
            .strip_prefix(self.file())
            .and_then(|rest| rest.strip_prefix(": "))
        {
            Some(rest) => rest.to_string(),
            None => text,
        }
    }

    /// True when only this row is lost and the rows after it can still be read.
    pub fn is_row_error(&self) -> bool {
        matches!(
            self,
            IngestError::InvalidText { .. }
                | IngestError::TooManyColumns { .. }
                | IngestError::CellTooLong { .. }
        )
    }

    /// The line the error is about; 0 when it concerns the whole file.
    pub fn line(&self) -> u64 {
        match self {
            IngestError::UnknownEncoding { line, .. }
            | IngestError::InvalidText { line, .. }
            | IngestError::RowTooLong { line, .. }
            | IngestError::ReaderStopped { line, .. }
            | IngestError::TooManyRows { line, .. }
            | IngestError::TooManyColumns { line, .. }
            | IngestError::CellTooLong { line, .. } => *line,
            _ => 0,
        }
    }

    /// The error as a line of the error report.
    pub fn to_field_error(&self) -> FieldError {
        let column = match self {
            IngestError::InvalidText { column, .. } | IngestError::CellTooLong { column, .. } => {
                column.clone()
            }
            _ => String::new(),
        };
        FieldError {
            line: self.line(),
            column,
            value: String::new(),
            message: self.to_string(),
        }
    }
}

/// One problem of an uploaded file, as a row of the error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The line a user sees in Excel (header row = 1); 0 for the file as a whole.
    pub line: u64,
    /// The column header as the user wrote it (or the column's English name); may be empty.
    pub column: String,
    /// The offending value as the user wrote it; may be empty.
    pub value: String,
    /// What is wrong, and if possible what would be right.
    pub message: String,
}

impl FieldError {
    /// A problem of one cell.
    pub fn new(
        line: u64,
        column: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
    ) -> FieldError {
        FieldError {
            line,
            column: column.into(),
            value: value.into(),
            message: message.into(),
        }
    }

    /// A problem of the whole file (line 0, no column).
    pub fn file_level(message: impl Into<String>) -> FieldError {
        FieldError::new(0, "", "", message)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(formatter, "line {}: ", self.line)?;
        }
        if !self.column.is_empty() {
            write!(formatter, "{}: ", self.column)?;
        }
        if !self.value.is_empty() {
            write!(formatter, "{:?}: ", self.value)?;
        }
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}
