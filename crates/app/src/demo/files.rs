//! Writing the interchange files: CSV in UTF-8 with a byte order mark (as Excel saves it),
//! streamed row by row. Large kinds roll over to a new file every [`CHUNK_ROWS`] rows so that
//! no single import (one transaction, with its set of keys seen) grows with the scale.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{AppError, Result};

/// Rows per file of the kinds that grow with the scale.
pub const CHUNK_ROWS: u64 = 250_000;

fn file_error(path: &Path, error: impl std::fmt::Display) -> AppError {
    AppError::File {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

/// One CSV file being written.
pub struct CsvFile {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    rows: u64,
}

impl CsvFile {
    pub fn create(path: PathBuf, header: &[&str]) -> Result<CsvFile> {
        let file = File::create(&path).map_err(|e| file_error(&path, e))?;
        let mut buffered = BufWriter::with_capacity(1 << 16, file);
        buffered
            .write_all("\u{feff}".as_bytes())
            .map_err(|e| file_error(&path, e))?;
        let mut writer = csv::WriterBuilder::new().from_writer(buffered);
        writer
            .write_record(header)
            .map_err(|e| file_error(&path, e))?;
        Ok(CsvFile {
            path,
            writer,
            rows: 0,
        })
    }

    pub fn row<I, T>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .map_err(|e| file_error(&self.path, e))?;
        self.rows += 1;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn finish(mut self) -> Result<(PathBuf, u64)> {
        self.writer.flush().map_err(|e| file_error(&self.path, e))?;
        Ok((self.path, self.rows))
    }
}

/// A file kind written as numbered parts: `credit_files-001.csv`, `credit_files-002.csv`, …
pub struct Chunked {
    dir: PathBuf,
    stem: String,
    header: &'static [&'static str],
    current: Option<CsvFile>,
    parts: Vec<(PathBuf, u64)>,
    limit: u64,
}

impl Chunked {
    pub fn new(dir: &Path, stem: &str, header: &'static [&'static str]) -> Chunked {
        Chunked {
            dir: dir.to_path_buf(),
            stem: stem.to_string(),
            header,
            current: None,
            parts: Vec::new(),
            limit: CHUNK_ROWS,
        }
    }

    /// Whether the current part is full: the caller may roll over at a boundary of its
    /// choosing (households roll over between villages only).
    pub fn is_full(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|f| f.rows() >= self.limit)
    }

    /// Closes the current part; the next row opens a new one.
    pub fn roll_over(&mut self) -> Result<()> {
        if let Some(file) = self.current.take() {
            self.parts.push(file.finish()?);
        }
        Ok(())
    }

    pub fn row<I, T>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        if self.current.is_none() {
            let number = self.parts.len() + 1;
            let path = self.dir.join(format!("{}-{number:03}.csv", self.stem));
            self.current = Some(CsvFile::create(path, self.header)?);
        }
        let file = self.current.as_mut().expect("opened above");
        file.row(fields)
    }

    /// Row-count rollover for kinds that may split anywhere.
    pub fn row_split<I, T>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        if self.is_full() {
            self.roll_over()?;
        }
        self.row(fields)
    }

    /// The parts written, with their row counts.
    pub fn finish(mut self) -> Result<Vec<(PathBuf, u64)>> {
        self.roll_over()?;
        Ok(self.parts)
    }
}

/// A file kind written per calendar month, as a bank sends its monthly feed:
/// `loans-2016-03-001.csv` holds the loans starting in March 2016 (in numbered parts beyond
/// [`CHUNK_ROWS`]). Imported month by month, each file's value dates lie within a month of
/// the history already posted, so posting never rewrites much of the past.
pub struct Monthly {
    dir: PathBuf,
    stem: String,
    header: &'static [&'static str],
    /// One open writer per month seen: a few dozen at most.
    months: std::collections::BTreeMap<(i32, u32), Chunked>,
}

impl Monthly {
    pub fn new(dir: &Path, stem: &str, header: &'static [&'static str]) -> Monthly {
        Monthly {
            dir: dir.to_path_buf(),
            stem: stem.to_string(),
            header,
            months: std::collections::BTreeMap::new(),
        }
    }

    /// Writes a row into the file of the month of `date`.
    pub fn row<I, T>(&mut self, date: fupin_core::BusinessDate, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let (year, month) = (date.year(), date.month());
        let (dir, stem, header) = (&self.dir, &self.stem, self.header);
        self.months
            .entry((year, month))
            .or_insert_with(|| Chunked::new(dir, &format!("{stem}-{year}-{month:02}"), header))
            .row_split(fields)
    }

    /// The parts written, month by month, with their row counts.
    pub fn finish(self) -> Result<Vec<(PathBuf, u64)>> {
        let mut parts = Vec::new();
        for (_, month) in self.months {
            parts.extend(month.finish()?);
        }
        Ok(parts)
    }
}

/// A money amount in yuan as the files write it: `50000.00`.
pub fn yuan(fen_or_yuan: Yuan) -> String {
    match fen_or_yuan {
        Yuan::Whole(yuan) => format!("{yuan}.00"),
        Yuan::Fen(fen) => fupin_core::Fen::new(fen).to_plain_yuan(),
    }
}

/// An amount given in whole yuan or in fen.
#[derive(Clone, Copy, Debug)]
pub enum Yuan {
    Whole(i64),
    Fen(i64),
}
