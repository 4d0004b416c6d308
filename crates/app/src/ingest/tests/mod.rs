//! Tests of the ingest layer; files are generated at test time in temporary directories.

mod csv_files;
mod headers;
mod mojibake;
mod report;
mod values;
mod xlsx_files;

use std::path::{Path, PathBuf};

use super::{IngestError, Limits, RawRow, RowSource, open};

/// Writes `bytes` as `name` in `directory`.
fn write_file(directory: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = directory.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Opens a file with default limits, panicking on failure.
fn open_ok(path: &Path, sheet_hint: &str) -> RowSource {
    open(path, sheet_hint, &Limits::default())
        .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()))
}

/// All rows of a source, panicking on any error.
fn all_rows(source: RowSource) -> Vec<RawRow> {
    source
        .map(|row| row.unwrap_or_else(|error| panic!("unexpected error: {error}")))
        .collect()
}

/// A row's cells as the user would see them.
fn shown(row: &RawRow) -> Vec<String> {
    row.cells.iter().map(ToString::to_string).collect()
}

fn temporary_directory() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// The error of opening a file that must not open.
fn open_error(path: &Path, limits: &Limits) -> IngestError {
    match open(path, "", limits) {
        Ok(_) => panic!("{} opened although it should not", path.display()),
        Err(error) => error,
    }
}

#[test]
fn row_sources_can_move_to_a_blocking_task() {
    fn assert_send<T: Send>() {}
    assert_send::<RowSource>();
    assert_send::<IngestError>();
}
