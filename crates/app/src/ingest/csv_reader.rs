//! Streaming CSV rows in UTF-8 or GB18030.
//!
//! The csv crate splits the raw bytes and each field is decoded on its own. That is safe for
//! both encodings: the bytes that structure a CSV (`,` `"` CR LF) are ASCII below 0x30 and
//! never occur inside a multi-byte UTF-8 or GB18030 character (GB18030 trail bytes are
//! 0x30–0x39 and 0x40–0xFE). It also makes bad bytes an error of their row, with its line,
//! instead of a failure of the whole stream. Memory stays at one row plus fixed buffers.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use csv::{ByteRecord, Reader, ReaderBuilder, Terminator};

use super::cell::{Cell, column_label};
use super::encoding::{self, Refusal, TextEncoding};
use super::error::IngestError;
use super::{Limits, RawRow};

/// Reads one CSV file row by row.
pub(crate) struct CsvRows {
    reader: Reader<RowSizeGuard<BufReader<File>>>,
    record: ByteRecord,
    encoding: TextEncoding,
    file: String,
    /// Bytes after the BOM; with `ends_with_newline`, tells whether the last row had a line
    /// break (which shifts the line count by one).
    stream_length: u64,
    ends_with_newline: bool,
    /// Line breaks inside quoted cells so far: Excel shows such a cell in one row.
    embedded_newlines: u64,
    last_line: u64,
}

impl CsvRows {
    /// Detects the encoding from the start of `file` and positions the reader after any BOM.
    pub(crate) fn open(
        file: File,
        file_label: &str,
        file_length: u64,
        limits: &Limits,
    ) -> Result<CsvRows, IngestError> {
        let io_error = |source| IngestError::Io {
            file: file_label.to_string(),
            source,
        };
        let mut input = BufReader::with_capacity(encoding::SAMPLE_BYTES, file);
        let sample = read_sample(&mut input).map_err(io_error)?;
        let is_whole_file = sample.len() as u64 == file_length;
        let encoding = encoding::detect(&sample, is_whole_file)
            .map_err(|refusal| refusal_to_error(refusal, &sample, file_label))?;
        // Rows end at LF (see `csv_reader`); CR-only files would read as one endless row.
        if sample.contains(&b'\r') && !sample.contains(&b'\n') {
            return Err(IngestError::CarriageReturnLineEnds {
                file: file_label.to_string(),
            });
        }
        let ends_with_newline = ends_with_newline(&mut input, file_length).map_err(io_error)?;
        input
            .seek(SeekFrom::Start(encoding.bom_length()))
            .map_err(io_error)?;
        let guard = RowSizeGuard::new(input, max_row_bytes(limits));
        Ok(CsvRows {
            reader: csv_reader(guard),
            record: ByteRecord::new(),
            encoding,
            file: file_label.to_string(),
            stream_length: file_length - encoding.bom_length(),
            ends_with_newline,
            embedded_newlines: 0,
            last_line: 0,
        })
    }

    /// The encoding the file is read in.
    pub(crate) fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// The next row, blank ones included (the caller skips them); `headers` name the columns
    /// in error messages.
    pub(crate) fn next_row(&mut self, headers: &[String]) -> Option<Result<RawRow, IngestError>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                // Rows come in order, so a row is at least on the line after the previous one
                // (a quote left open to the end of the file swallows the final line break, which
                // the count below would otherwise take for the row's own).
                self.last_line = self.line_of_record().max(self.last_line + 1);
                let row_end = self.reader.position().byte();
                self.reader.get_mut().start_row_at(row_end);
                Some(self.decode_record(headers))
            }
            Err(error) => Some(Err(self.read_error(error))),
        }
    }

    /// The Excel row number of the record just read.
    ///
    /// csv counts every line break it consumes, but skips blank lines and keeps line breaks
    /// inside quoted cells; Excel counts the blank lines as rows and shows a quoted cell in one
    /// row. So: line breaks consumed − those inside cells, plus one when the last row of the
    /// file has no line break of its own.
    fn line_of_record(&mut self) -> u64 {
        self.embedded_newlines += count_newlines(self.record.as_slice());
        let position = self.reader.position();
        let newlines_consumed = position.line().saturating_sub(1);
        let unterminated = position.byte() >= self.stream_length && !self.ends_with_newline;
        newlines_consumed.saturating_sub(self.embedded_newlines) + u64::from(unterminated)
    }

    fn decode_record(&self, headers: &[String]) -> Result<RawRow, IngestError> {
        let field_count = self.record.len();
        let mut cells = Vec::with_capacity(field_count);
        for (index, bytes) in self.record.iter().enumerate() {
            // Rows end at LF only (see `csv_reader`), so a CRLF row leaves its CR on the last
            // field.
            let bytes = match index + 1 == field_count {
                true => bytes.strip_suffix(b"\r").unwrap_or(bytes),
                false => bytes,
            };
            let text = self
                .encoding
                .decode(bytes)
                .ok_or_else(|| IngestError::InvalidText {
                    file: self.file.clone(),
                    line: self.last_line,
                    column: column_label(headers, index),
                    encoding: self.encoding.label(),
                })?;
            cells.push(match text.is_empty() {
                true => Cell::Empty,
                false => Cell::Text(text.into_owned()),
            });
        }
        Ok(RawRow {
            line: self.last_line,
            cells,
        })
    }

    fn read_error(&self, error: csv::Error) -> IngestError {
        let line = self.last_line + 1;
        match error.into_kind() {
            csv::ErrorKind::Io(source) if is_row_limit_error(&source) => IngestError::RowTooLong {
                file: self.file.clone(),
                line,
                limit: self.reader.get_ref().limit,
            },
            csv::ErrorKind::Io(source) => IngestError::Io {
                file: self.file.clone(),
                source,
            },
            // With byte records and flexible rows, csv reports nothing but I/O errors.
            other => IngestError::Io {
                file: self.file.clone(),
                source: io::Error::other(format!("line {line}: {other:?}")),
            },
        }
    }
}

/// The csv reader: comma, double quote, rows ending at LF.
///
/// LF alone ends a row (a CR before it stays on the last field and is stripped) so that a
/// line break is consumed together with its row; csv's default also ends rows at CR and
/// consumes the LF of a CRLF only with the next row, which would blur the line count.
fn csv_reader<R: Read>(input: R) -> Reader<R> {
    ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(b',')
        .quote(b'"')
        .double_quote(true)
        .terminator(Terminator::Any(b'\n'))
        .from_reader(input)
}

fn read_sample(input: &mut BufReader<File>) -> io::Result<Vec<u8>> {
    let mut sample = Vec::with_capacity(encoding::SAMPLE_BYTES);
    input
        .by_ref()
        .take(encoding::SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)?;
    Ok(sample)
}

fn ends_with_newline(input: &mut BufReader<File>, file_length: u64) -> io::Result<bool> {
    if file_length == 0 {
        return Ok(false);
    }
    input.seek(SeekFrom::Start(file_length - 1))?;
    let mut last = [0u8; 1];
    input.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&byte| byte == b'\n').count() as u64
}

/// The most bytes a legitimate row can take: every cell at its longest, in the widest
/// encoding (4 bytes a character), quoted, plus a separator.
fn max_row_bytes(limits: &Limits) -> u64 {
    let cell_bytes = (limits.max_cell_chars as u64)
        .saturating_mul(4)
        .saturating_add(3);
    (limits.max_columns as u64)
        .saturating_mul(cell_bytes)
        .saturating_add(2)
}

fn refusal_to_error(refusal: Refusal, sample: &[u8], file_label: &str) -> IngestError {
    let file = file_label.to_string();
    let undecodable = |offset: usize, hint: String| IngestError::UnknownEncoding {
        file: file.clone(),
        line: encoding::line_of_offset(sample, offset),
        offset: offset as u64,
        hint,
    };
    match refusal {
        Refusal::Utf16 { encoding } => IngestError::Utf16 { file, encoding },
        Refusal::Workbook => IngestError::WorkbookNamedAsCsv { file },
        Refusal::LegacyXls => IngestError::LegacyXls { file },
        Refusal::Binary { offset } => undecodable(
            offset,
            " (it contains NUL bytes: UTF-16 without a byte-order mark, or not text at all)"
                .to_string(),
        ),
        Refusal::Undecodable { offset, guess } => undecodable(
            offset,
            guess.map_or_else(String::new, |name| {
                format!(" (its bytes look most like {name})")
            }),
        ),
    }
}

/// Stops a runaway row: csv buffers a whole row in memory, so one unclosed quote in a 1 GB
/// file would otherwise read the rest of the file into a single cell.
struct RowSizeGuard<R> {
    inner: R,
    consumed: u64,
    row_start: u64,
    limit: u64,
}

/// The marker inside the I/O error the guard raises.
#[derive(Debug)]
struct RowLimitExceeded;

impl std::fmt::Display for RowLimitExceeded {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("row too long")
    }
}

impl std::error::Error for RowLimitExceeded {}

impl<R> RowSizeGuard<R> {
    fn new(inner: R, limit: u64) -> RowSizeGuard<R> {
        RowSizeGuard {
            inner,
            consumed: 0,
            row_start: 0,
            limit,
        }
    }

    fn start_row_at(&mut self, byte: u64) {
        self.row_start = byte;
    }
}

fn is_row_limit_error(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<RowLimitExceeded>())
}

impl<R: Read> Read for RowSizeGuard<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.consumed.saturating_sub(self.row_start) > self.limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RowLimitExceeded));
        }
        let read = self.inner.read(buffer)?;
        self.consumed += read as u64;
        Ok(read)
    }
}
