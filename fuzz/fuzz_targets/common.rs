//! Shared by the file targets: write the input to a file and read every row of it.

use std::io::Write;

use fupin_app::ingest::{self, Limits};

/// Small limits, so that one input cannot spend the fuzzer's time or memory.
pub fn limits() -> Limits {
    Limits {
        max_file_bytes: 1 << 20,
        max_rows: 1_000,
        max_columns: 50,
        max_cell_chars: 500,
    }
}

/// Opens `data` saved under `name` and reads it to the end; panics only on a broken promise.
pub fn read_file(name: &str, data: &[u8]) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .and_then(|mut file| file.write_all(data))
        .expect("write the input");
    let limits = limits();
    let Ok(source) = ingest::open(&path, "regions", &limits) else {
        return;
    };
    for row in source {
        match row {
            Ok(row) => {
                assert!(row.line >= 2);
                assert!(row.cells.len() <= limits.max_columns);
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
}
