//! Streaming XLSX rows with calamine's cell reader.
//!
//! calamine 0.38 streams a worksheet cell by cell (`Xlsx::worksheet_cells_reader`), so memory
//! does not grow with the sheet — apart from the workbook's shared-string table, which calamine
//! always loads. The cell reader borrows the workbook, so both live on a worker thread that
//! sends finished rows through a small bounded channel; dropping the [`XlsxRows`] stops it.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use calamine::{DataRef, ExcelDateTime, Reader, Style, Xlsx, XlsxCellReader};
use fupin_core::BusinessDate;

use super::RawRow;
use super::cell::Cell;
use super::error::IngestError;

/// Rows read ahead of the consumer; bounds the memory the worker may use.
const ROWS_AHEAD: usize = 256;
/// Excel's last column is XFD; a reference beyond it means a damaged sheet.
const XLSX_MAX_COLUMNS: u32 = 16_384;

/// What the worker reports.
enum WorkerMessage {
    Opened { sheet: String },
    Row(RawRow),
    Failed(String),
    Finished,
}

/// Reads one worksheet row by row.
pub(crate) struct XlsxRows {
    receiver: Receiver<WorkerMessage>,
    sheet: String,
    file: String,
    last_line: u64,
    done: bool,
}

impl XlsxRows {
    /// Opens the sheet named like `sheet_hint` (case-insensitive), or else the first sheet.
    ///
    /// Every part of the archive must inflate to at most `max_inflated` bytes (as its directory
    /// declares, which the zip reader then holds it to): the reader keeps a whole cell, and the
    /// whole shared-string table, in memory, so a small zip bomb would otherwise take gigabytes.
    pub(crate) fn open(
        path: &Path,
        file_label: &str,
        sheet_hint: &str,
        max_inflated: u64,
    ) -> Result<XlsxRows, IngestError> {
        check_inflated_sizes(path, max_inflated).map_err(|message| IngestError::Xlsx {
            file: file_label.to_string(),
            message,
        })?;
        let (sender, receiver) = sync_channel(ROWS_AHEAD);
        let path: PathBuf = path.to_path_buf();
        let hint = sheet_hint.to_string();
        thread::Builder::new()
            .name("fupin-xlsx-reader".to_string())
            .spawn(move || read_workbook(&path, &hint, &sender))
            .map_err(|source| IngestError::Io {
                file: file_label.to_string(),
                source,
            })?;
        let mut rows = XlsxRows {
            receiver,
            sheet: String::new(),
            file: file_label.to_string(),
            last_line: 0,
            done: false,
        };
        rows.sheet = rows.wait_until_opened()?;
        Ok(rows)
    }

    /// The name of the sheet being read.
    pub(crate) fn sheet(&self) -> &str {
        &self.sheet
    }

    /// The next non-empty row.
    pub(crate) fn next_row(&mut self) -> Option<Result<RawRow, IngestError>> {
        if self.done {
            return None;
        }
        let result = match self.receiver.recv() {
            Ok(WorkerMessage::Row(row)) => {
                self.last_line = row.line;
                return Some(Ok(row));
            }
            Ok(WorkerMessage::Finished) => None,
            Ok(WorkerMessage::Failed(message)) => Some(Err(self.workbook_error(message))),
            Ok(WorkerMessage::Opened { .. }) | Err(_) => Some(Err(self.stopped_error())),
        };
        self.done = true;
        result
    }

    fn wait_until_opened(&mut self) -> Result<String, IngestError> {
        match self.receiver.recv() {
            Ok(WorkerMessage::Opened { sheet }) => Ok(sheet),
            Ok(WorkerMessage::Failed(message)) => Err(self.workbook_error(message)),
            _ => Err(self.stopped_error()),
        }
    }

    fn workbook_error(&self, message: String) -> IngestError {
        IngestError::Xlsx {
            file: self.file.clone(),
            message,
        }
    }

    fn stopped_error(&self) -> IngestError {
        IngestError::ReaderStopped {
            file: self.file.clone(),
            line: self.last_line,
        }
    }
}

/// Refuses an archive with a part larger than `limit` once inflated.
fn check_inflated_sizes(path: &Path, limit: u64) -> Result<(), String> {
    let file = File::open(path).map_err(|error| error.to_string())?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|error| error.to_string())?;
    for index in 0..archive.len() {
        let part = archive
            .by_index_raw(index)
            .map_err(|error| error.to_string())?;
        if part.size() > limit {
            return Err(format!(
                "its part {} inflates to {} bytes, more than the limit of {limit} \
                 (max_file_bytes); the file is damaged or a zip bomb",
                String::from_utf8_lossy(part.name_raw()),
                part.size()
            ));
        }
    }
    Ok(())
}

/// The worker: opens the workbook and streams the chosen sheet.
fn read_workbook(path: &Path, sheet_hint: &str, sender: &SyncSender<WorkerMessage>) {
    let outcome = open_and_stream(path, sheet_hint, sender);
    // A send fails only when the consumer is gone; then nobody is left to tell.
    let _ = sender.send(match outcome {
        Ok(()) => WorkerMessage::Finished,
        Err(message) => WorkerMessage::Failed(message),
    });
}

fn open_and_stream(
    path: &Path,
    sheet_hint: &str,
    sender: &SyncSender<WorkerMessage>,
) -> Result<(), String> {
    let file = File::open(path).map_err(|error| error.to_string())?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(BufReader::new(file)).map_err(|error| error.to_string())?;
    let sheet = choose_sheet(&workbook.sheet_names(), sheet_hint)
        .ok_or_else(|| "the workbook has no sheets".to_string())?;
    let cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|error| format!("sheet {sheet:?}: {error}"))?;
    if sender.send(WorkerMessage::Opened { sheet }).is_err() {
        return Ok(());
    }
    stream_rows(cells, sender)
}

/// The sheet named like the hint, ignoring case and surrounding spaces; else the first.
fn choose_sheet(names: &[String], hint: &str) -> Option<String> {
    let hint = hint.trim();
    names
        .iter()
        .find(|name| !hint.is_empty() && name.trim().eq_ignore_ascii_case(hint))
        .or_else(|| names.first())
        .cloned()
}

/// Collects cells into rows (they arrive row by row in sheet order) and sends each row.
fn stream_rows<RS: Read + Seek>(
    mut cells: XlsxCellReader<'_, RS>,
    sender: &SyncSender<WorkerMessage>,
) -> Result<(), String> {
    let percent_styles: Vec<bool> = cells.styles().iter().map(is_percent_style).collect();
    let mut pending: Option<RawRow> = None;
    while let Some((cell, style)) = cells
        .next_cell_with_style_id()
        .map_err(|error| error.to_string())?
    {
        let (row_index, column_index) = cell.get_position();
        if column_index >= XLSX_MAX_COLUMNS {
            return Err(format!(
                "row {}: a cell lies beyond Excel's last column XFD; the sheet is damaged",
                u64::from(row_index) + 1
            ));
        }
        let is_percent = percent_styles.get(style).copied().unwrap_or(false);
        let value = convert(cell.get_value(), is_percent);
        if value == Cell::Empty {
            continue;
        }
        let line = u64::from(row_index) + 1;
        if pending.as_ref().is_some_and(|row| row.line != line) {
            let finished = pending.take().expect("checked above");
            if sender.send(WorkerMessage::Row(finished)).is_err() {
                return Ok(());
            }
        }
        let row = pending.get_or_insert_with(|| RawRow {
            line,
            cells: Vec::new(),
        });
        place(row, column_index as usize, value);
    }
    if let Some(row) = pending {
        // The consumer may be gone; that is fine.
        let _ = sender.send(WorkerMessage::Row(row));
    }
    Ok(())
}

fn place(row: &mut RawRow, column_index: usize, value: Cell) {
    if row.cells.len() <= column_index {
        row.cells.resize(column_index + 1, Cell::Empty);
    }
    row.cells[column_index] = value;
}

/// A `%` in the number format code, outside quoted text and not escaped, makes Excel show the
/// value times 100 — so the stored number is a fraction.
fn is_percent_style(style: &Style) -> bool {
    style
        .number_format
        .as_ref()
        .is_some_and(|format| is_percent_format(&format.format_code))
}

fn is_percent_format(format_code: &str) -> bool {
    let mut in_quotes = false;
    let mut escaped = false;
    for character in format_code.chars() {
        match character {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            '%' if !in_quotes => return true,
            _ => {}
        }
    }
    false
}

fn convert(value: &DataRef<'_>, is_percent: bool) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(text) => text_cell(text),
        DataRef::SharedString(text) => text_cell(text),
        DataRef::Float(number) => number_cell(*number, is_percent),
        DataRef::Int(number) => number_cell(*number as f64, is_percent),
        DataRef::Bool(value) => Cell::Bool(*value),
        DataRef::DateTime(date_time) => date_cell(date_time),
        DataRef::DateTimeIso(text) => iso_date_cell(text),
        DataRef::DurationIso(text) => Cell::Text(text.clone()),
        DataRef::Error(error) => Cell::Error(error.to_string()),
    }
}

fn text_cell(text: &str) -> Cell {
    match text.is_empty() {
        true => Cell::Empty,
        false => Cell::Text(text.to_string()),
    }
}

fn number_cell(number: f64, is_percent: bool) -> Cell {
    match is_percent {
        true => Cell::Percent(number),
        false => Cell::Number(number),
    }
}

/// A date-formatted cell. calamine resolves the 1900/1904 epochs; a value that is no
/// business date (a time of day, a duration, Excel's fictitious 1900-02-29) stays a number so
/// that the date parser can explain the problem.
fn date_cell(date_time: &ExcelDateTime) -> Cell {
    if !date_time.is_datetime() {
        return Cell::Number(date_time.as_f64());
    }
    let (year, month, day, ..) = date_time.to_ymd_hms_milli();
    BusinessDate::from_ymd(i32::from(year), u32::from(month), u32::from(day))
        .map_or(Cell::Number(date_time.as_f64()), Cell::Date)
}

/// Strict OOXML stores dates as ISO 8601 text.
fn iso_date_cell(text: &str) -> Cell {
    text.get(..10)
        .and_then(|date| BusinessDate::parse(date).ok())
        .map_or_else(|| Cell::Text(text.to_string()), Cell::Date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_the_hinted_sheet_or_the_first() {
        let names = vec!["说明".to_string(), "Households ".to_string()];
        assert_eq!(
            choose_sheet(&names, "households").as_deref(),
            Some("Households ")
        );
        assert_eq!(choose_sheet(&names, "loans").as_deref(), Some("说明"));
        assert_eq!(choose_sheet(&names, "").as_deref(), Some("说明"));
        assert_eq!(choose_sheet(&[], "loans"), None);
    }

    #[test]
    fn recognises_percent_formats() {
        for (code, expected) in [
            ("0.00%", true),
            ("0%", true),
            ("#,##0.00", false),
            ("General", false),
            ("0.00\\%", false),
            ("0.00\"%\"", false),
            ("yyyy-mm-dd", false),
        ] {
            assert_eq!(is_percent_format(code), expected, "{code}");
        }
    }
}
