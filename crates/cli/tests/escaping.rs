//! Formula cells never leave Fupin live: region names and indicator names that look like
//! spreadsheet formulas (`=cmd|' /C calc'!A0`) come out escaped in listings as CSV, in
//! `fupin report --output x.csv|x.xlsx`, and in the error report of an import.

use std::path::Path;
use std::process::Output;

mod common;
use common::fupin;

fn out(output: &Output) -> String {
    assert!(
        output.status.success(),
        "fupin failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether a spreadsheet would run the cell.
fn runs_as_formula(cell: &str) -> bool {
    cell.starts_with(['=', '@', '\t', '\r'])
        || (cell.starts_with(['+', '-']) && cell.replace(',', "").parse::<f64>().is_err())
}

/// Every cell of a CSV text, which must be well-formed.
fn csv_cells(text: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .flat_map(|record| {
            record
                .expect("well-formed CSV")
                .iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn assert_defused(what: &str, cells: &[String]) {
    for cell in cells {
        assert!(!runs_as_formula(cell), "{what}: live formula {cell:?}");
    }
    assert!(
        cells.iter().any(|c| c.starts_with("'=cmd")),
        "{what}: the hostile name is there, escaped: {cells:?}"
    );
}

/// The text cells of the first sheet of a workbook (and of the sheet named `sheet`).
fn xlsx_cells(path: &Path, sheet: &str) -> Vec<String> {
    let limits = fupin_app::ingest::Limits::default();
    let source = fupin_app::ingest::open(path, sheet, &limits).expect("workbook");
    let mut cells: Vec<String> = source.headers().to_vec();
    for row in source {
        for cell in row.expect("row").cells {
            if let fupin_app::ingest::Cell::Text(text) = cell {
                cells.push(text);
            }
        }
    }
    cells
}

fupin_store::on_both_engines! {
    async fn hostile_names_come_out_escaped_everywhere(db) {
        let url = db.url().to_string();
        let dir = tempfile::tempdir().expect("dir");
        out(&fupin(&url, &["init"]));
        let nasty = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/nasty/formula-injection.csv");
        let imported = out(&fupin(&url, &["import", "regions", &nasty.display().to_string()]));
        assert!(imported.contains("added 6"), "{imported}");

        // Listings as CSV.
        let listing = out(&fupin(&url, &["regions", "list", "--within", "361128", "--format", "csv"]));
        assert_defused("regions list", &csv_cells(&listing));

        // The report, as CSV and XLSX: an indicator named like a formula, over those regions.
        out(&fupin(&url, &["indicators", "define", "EVIL", "--name", "=cmd|' /C calc'!A0", "--name-en", "@SUM(A1:A9)", "--unit", "count", "--formula", "1"]));
        let csv_report = dir.path().join("report.csv");
        out(&fupin(&url, &["report", "--as-of", "2017-06-30", "--region", "361128", "--output", &csv_report.display().to_string()]));
        let text = std::fs::read_to_string(&csv_report).expect("report");
        assert!(text.starts_with('\u{feff}'), "Excel needs the byte order mark");
        assert_defused("report.csv", &csv_cells(&text));
        let xlsx_report = dir.path().join("report.xlsx");
        out(&fupin(&url, &["report", "--as-of", "2017-06-30", "--region", "361128", "--output", &xlsx_report.display().to_string()]));
        let mut cells = Vec::new();
        for sheet in ["", "other", "其他"] {
            cells.extend(xlsx_cells(&xlsx_report, sheet));
        }
        for cell in &cells {
            assert!(!runs_as_formula(cell), "report.xlsx: live formula {cell:?}");
        }

        // The error report of a refused import.
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "code,name,population\n361128100,a,=1+1\n361128101,b,@SUM(A1)\n=cmd|' /C calc'!A0,c,1\n").expect("write");
        let errors = dir.path().join("errors.csv");
        let refused = fupin(&url, &["import", "regions", &bad.display().to_string(), "--errors", &errors.display().to_string()]);
        assert!(!refused.status.success());
        let report = std::fs::read_to_string(&errors).expect("error report");
        assert_defused("error report", &csv_cells(&report));
    }
}
