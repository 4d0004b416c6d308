//! Hostile files, stable-Rust mirrors of the `fuzz/` targets: the corpus of nasty files in
//! `tests/nasty/`, random and assembled bytes as CSV, random and damaged workbooks, zip bombs
//! posing as XLSX, files beyond every limit, and arbitrary cells through every value parser.
//!
//! What must hold: nothing panics; memory stays bounded (the limits of `ingest::Limits` trip
//! with a clear error instead of the reader buffering without end); every refusal is an error
//! with a message, naming the line and column where there is one.

#[path = "hostile/xlsx.rs"]
mod xlsx;

use std::path::{Path, PathBuf};
use std::time::Instant;

use fupin_app::imports::territory::RegionImporter;
use fupin_app::imports::{self, ImportOptions};
use fupin_app::ingest::{self, Cell, IngestError, Limits, value};
use fupin_app::{Actor, Ctx};
use proptest::prelude::*;

fn nasty_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/nasty")
}

fn small_limits() -> Limits {
    Limits {
        max_file_bytes: 1 << 20,
        max_rows: 1_000,
        max_columns: 20,
        max_cell_chars: 200,
    }
}

/// What reading a whole file gave: rows read, row errors, and the error that ended it.
#[derive(Debug, Default)]
struct Outcome {
    rows: u64,
    row_errors: Vec<IngestError>,
    fatal: Option<IngestError>,
}

fn read_all(path: &Path, limits: &Limits) -> Outcome {
    let mut outcome = Outcome::default();
    let source = match ingest::open(path, "regions", limits) {
        Ok(source) => source,
        Err(error) => {
            outcome.fatal = Some(error);
            return outcome;
        }
    };
    let _ = (source.headers(), source.encoding(), source.format());
    for row in source {
        match row {
            Ok(row) => {
                assert!(row.line >= 2, "data rows come after the header: {row:?}");
                assert!(row.cells.len() <= limits.max_columns);
                outcome.rows += 1;
            }
            Err(error) if error.is_row_error() => outcome.row_errors.push(error),
            Err(error) => outcome.fatal = Some(error),
        }
    }
    outcome
}

/// Every error says which file, and the row errors say which line and column.
fn assert_clear(outcome: &Outcome, file: &str) {
    for error in outcome.row_errors.iter().chain(&outcome.fatal) {
        let message = error.to_string();
        assert!(message.len() > file.len() + 10, "{message}");
        let field = error.to_field_error();
        assert!(!field.message.is_empty());
        if error.is_row_error() {
            assert!(error.line() >= 1, "{message}");
            if matches!(
                error,
                IngestError::InvalidText { .. } | IngestError::CellTooLong { .. }
            ) {
                assert!(!field.column.is_empty(), "{message}");
                assert!(message.contains("column"), "{message}");
            }
            assert!(
                message.contains(&format!("line {}", error.line())),
                "{message}"
            );
        }
    }
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn ctx() -> Ctx {
    Ctx {
        actor: Actor::operator("hostile"),
        now: "2018-01-05T09:00:00.000Z".into(),
        request_id: None,
    }
}

// ---- the corpus ------------------------------------------------------------------------------

/// What each file of the corpus must produce: a fragment of the refusal, or `None` when the
/// file may be read (its rows are then judged by the importer).
fn expected_refusal(name: &str) -> Option<&'static str> {
    Some(match name {
        "utf16le-bom.csv" | "utf16be-bom.csv" => "UTF-16",
        "utf16le-no-bom.csv" | "nul-bytes.csv" => "NUL bytes",
        "invalid-utf8.csv" | "gb18030-damaged.csv" => "neither UTF-8 nor GB18030",
        "big5.csv" => "Big5",
        "cr-only.csv" => "CR only",
        "empty.csv" | "only-bom.csv" => "no header row",
        "legacy.xls" | "ole-as-csv.csv" | "html-as-xls.xls" => "save it as .xlsx",
        "not-a-zip.xlsx" | "zip-garbage.xlsx" => "cannot read the workbook",
        "huge-cell.csv" => "max_cell_chars",
        "wide-row.csv" => "max_columns",
        _ => return None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_nasty_file_is_read_or_refused_clearly() {
    let test_db = fupin_store::testing::TestDb::sqlite().await;
    let db = test_db.db.clone();
    fupin_app::regions::load_reference_data(&db, &ctx())
        .await
        .expect("reference data");
    let mut names: Vec<String> = std::fs::read_dir(nasty_dir())
        .expect("tests/nasty")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| !name.ends_with(".py") && !name.ends_with(".md"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{names:?}");
    let reports = tempfile::tempdir().expect("dir");
    for name in &names {
        let path = nasty_dir().join(name);
        let outcome = read_all(&path, &Limits::default());
        assert_clear(&outcome, name);
        let errors: Vec<String> = outcome
            .row_errors
            .iter()
            .chain(&outcome.fatal)
            .map(ToString::to_string)
            .collect();
        if let Some(expected) = expected_refusal(name) {
            assert!(
                errors.iter().any(|e| e.contains(expected)),
                "{name}: expected {expected:?}, got {errors:?}"
            );
        }
        // Through the importer: refused with a report naming rows and columns, or applied; the
        // error report escapes formula cells.
        match imports::run(
            &db,
            &ctx(),
            &path,
            &ImportOptions::default(),
            RegionImporter::default(),
        )
        .await
        {
            Ok(report) => {
                println!(
                    "{name}: read {}, applied {}, {} errors{}",
                    report.rows,
                    report.applied,
                    report.errors.len(),
                    report
                        .errors
                        .first()
                        .map(|e| format!(
                            " (first: line {} column {:?}: {})",
                            e.line, e.column, e.message
                        ))
                        .unwrap_or_default()
                );
                for error in &report.errors {
                    assert!(!error.message.is_empty(), "{name}: {error:?}");
                }
                if !report.errors.is_empty() {
                    let file = reports.path().join(format!("{name}.errors.csv"));
                    imports::write_errors(&report, &file).expect("error report");
                    assert_report_is_defused(&file);
                }
            }
            Err(error) => {
                println!("{name}: refused: {error}");
                assert!(!error.to_string().is_empty());
            }
        }
    }
    let audit = fupin_app::audit::verify(&db).await.expect("verify");
    assert!(audit.problems.is_empty());
    println!("nasty corpus: {} files", names.len());
}

/// Whether a spreadsheet would run the cell: it starts with `=`, `@`, a tab or a carriage
/// return, or with a sign and is not a plain number.
fn runs_as_formula(cell: &str) -> bool {
    cell.starts_with(['=', '@', '\t', '\r'])
        || (cell.starts_with(['+', '-']) && cell.replace(',', "").parse::<f64>().is_err())
}

/// No cell of a CSV error report starts with a character a spreadsheet would run as a formula.
fn assert_report_is_defused(file: &Path) {
    let bytes = std::fs::read(file).expect("report");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    for record in reader.records() {
        let record = record.expect("a CSV record");
        for cell in record.iter() {
            assert!(
                !runs_as_formula(cell),
                "{}: unescaped cell {cell:?}",
                file.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_cells_in_refused_rows_are_escaped_in_the_error_report() {
    let test_db = fupin_store::testing::TestDb::sqlite().await;
    let db = test_db.db.clone();
    let dir = tempfile::tempdir().expect("dir");
    let file = write_temp(
        dir.path(),
        "regions.csv",
        "code,name,population\n=cmd|' /C calc'!A0,a,1\n361128100,b,=1+1\n361128101,c,+2\n361128102,d,@SUM(A1)\n361128103,e,-1-1\n"
            .as_bytes(),
    );
    let report = imports::run(
        &db,
        &ctx(),
        &file,
        &ImportOptions::default(),
        RegionImporter::default(),
    )
    .await
    .expect("import runs");
    assert!(!report.applied);
    assert!(report.errors.len() >= 4, "{:#?}", report.errors);
    let errors = dir.path().join("errors.csv");
    imports::write_errors(&report, &errors).expect("write");
    assert_report_is_defused(&errors);
    let text = std::fs::read_to_string(&errors).expect("read");
    assert!(text.contains("'=cmd|' /C calc'!A0"), "{text}");
}

// ---- limits ----------------------------------------------------------------------------------

#[test]
fn every_limit_trips_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    // A million short rows against a limit of a thousand: stops at the first row over it.
    let mut many = b"code,name\n".to_vec();
    for i in 0..1_000_000u32 {
        many.extend_from_slice(format!("{i},n\n").as_bytes());
    }
    let path = write_temp(dir.path(), "many.csv", &many);
    let started = Instant::now();
    let limits = Limits {
        max_file_bytes: 64 << 20,
        ..small_limits()
    };
    let outcome = read_all(&path, &limits);
    assert_eq!(outcome.rows, 1_000);
    let fatal = outcome.fatal.expect("refused").to_string();
    assert!(
        fatal.contains("line 1002") && fatal.contains("max_rows"),
        "{fatal}"
    );
    assert!(
        started.elapsed().as_secs() < 10,
        "stopped at the limit, not at the end"
    );
    // The file is larger than allowed.
    let outcome = read_all(&path, &small_limits());
    assert!(
        matches!(outcome.fatal, Some(IngestError::FileTooLarge { .. })),
        "{outcome:?}"
    );
    // One cell of 10 MB: the row is refused before it is held in memory.
    let mut huge = b"code,name\n1,".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 10 << 20));
    huge.push(b'\n');
    let path = write_temp(dir.path(), "huge.csv", &huge);
    let outcome = read_all(
        &path,
        &Limits {
            max_file_bytes: 64 << 20,
            ..small_limits()
        },
    );
    let fatal = outcome.fatal.expect("refused").to_string();
    assert!(
        fatal.contains("line 2") && fatal.contains("longer than"),
        "{fatal}"
    );
    // An unclosed quote early in a long file: refused at the row where the quote opened.
    let mut open_quote = b"code,name\n1,\"open\n".to_vec();
    open_quote.extend(many.iter().take(8 << 20));
    let path = write_temp(dir.path(), "quote.csv", &open_quote);
    let outcome = read_all(
        &path,
        &Limits {
            max_file_bytes: 64 << 20,
            ..small_limits()
        },
    );
    let fatal = outcome.fatal.expect("refused").to_string();
    assert!(
        fatal.contains("line 2") && fatal.contains("quote"),
        "{fatal}"
    );
    // Cells just over the limit and rows too wide are row errors: reading goes on.
    let text = format!(
        "code,name\n1,{}\n2,{}\n3,ok\n",
        "长".repeat(201),
        "x,".repeat(30)
    );
    let path = write_temp(dir.path(), "cells.csv", text.as_bytes());
    let outcome = read_all(&path, &small_limits());
    assert_eq!(outcome.rows, 1);
    assert_eq!(outcome.row_errors.len(), 2, "{outcome:?}");
    assert_clear(&outcome, "cells.csv");
}

// ---- workbooks -------------------------------------------------------------------------------

fn inline_row(line: u64, text: &str) -> String {
    format!(r#"<row r="{line}"><c r="A{line}" t="inlineStr"><is><t>{text}</t></is></c></row>"#)
}

#[test]
fn a_hand_deflated_sheet_reads_back() {
    let dir = tempfile::tempdir().expect("dir");
    let start = format!("{}{}", xlsx::SHEET_START, inline_row(1, "code"));
    let sheet = xlsx::bomb_sheet(
        &start,
        "<row><c t=\"inlineStr\"><is><t>361128</t></is></c></row>",
        50,
        xlsx::SHEET_END,
    );
    let path = dir.path().join("small.xlsx");
    xlsx::write_zip(&path, &xlsx::workbook("regions", sheet));
    let source = ingest::open(&path, "regions", &Limits::default()).expect("opens");
    assert_eq!(source.headers(), ["code"]);
    let rows: Vec<_> = source.collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[49].cells, vec![Cell::Text("361128".into())]);
}

#[test]
fn zip_bombs_posing_as_workbooks_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let start = format!("{}{}", xlsx::SHEET_START, inline_row(1, "code"));
    // 1.2 GiB of rows from 5 MB, and 1.2 GiB in one cell.
    let row = "<row><c t=\"inlineStr\"><is><t>bomb</t></is></c></row>";
    let rows_bomb = xlsx::bomb_sheet(
        &start,
        row,
        (1_200u64 << 20) / row.len() as u64,
        xlsx::SHEET_END,
    );
    let cell_start = format!(r#"{start}<row r="2"><c r="A2" t="inlineStr"><is><t>"#);
    let cell_bomb = xlsx::bomb_sheet(
        &cell_start,
        "bomb",
        300 << 20,
        "</t></is></c></row></sheetData></worksheet>",
    );
    for (name, sheet) in [("rows-bomb.xlsx", rows_bomb), ("cell-bomb.xlsx", cell_bomb)] {
        let path = dir.path().join(name);
        xlsx::write_zip(&path, &xlsx::workbook("regions", sheet));
        let bytes = std::fs::metadata(&path).expect("file").len();
        assert!(bytes < 16 << 20, "{name}: {bytes} bytes");
        let started = Instant::now();
        for limits in [
            Limits::default(),
            Limits {
                max_file_bytes: 64 << 20,
                ..small_limits()
            },
        ] {
            let outcome = read_all(&path, &limits);
            let fatal = outcome
                .fatal
                .unwrap_or_else(|| panic!("{name} was read: {} rows", outcome.rows));
            let message = fatal.to_string();
            assert!(
                message.contains("xl/worksheets/sheet1.xml inflates to")
                    && message.contains("zip bomb"),
                "{name}: {message}"
            );
            assert_eq!(outcome.rows, 0, "refused before reading");
        }
        println!("{name}: {bytes} bytes refused in {:?}", started.elapsed());
        assert!(
            started.elapsed().as_secs() < 30,
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn deeply_nested_and_entity_laden_sheets_are_refused_or_read() {
    let dir = tempfile::tempdir().expect("dir");
    let depth = 200_000;
    let nested = format!(
        "{}{}<row r=\"2\">{}{}</row>{}",
        xlsx::SHEET_START,
        inline_row(1, "code"),
        "<x>".repeat(depth),
        "</x>".repeat(depth),
        xlsx::SHEET_END
    );
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}{}</sheetData></worksheet>"#,
        inline_row(1, "code"),
        inline_row(2, "&lol4;&lol4;&lol4;&lol4;")
    );
    let external = format!(
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}{}</sheetData></worksheet>"#,
        inline_row(1, "code"),
        inline_row(2, "&xxe;")
    );
    let far_column = format!(
        "{}{}<row r=\"2\"><c r=\"ZZZZ2\"><v>1</v></c></row>{}",
        xlsx::SHEET_START,
        inline_row(1, "code"),
        xlsx::SHEET_END
    );
    let far_row = format!(
        "{}{}<row r=\"4294967295\"><c r=\"A4294967295\"><v>1</v></c></row>{}",
        xlsx::SHEET_START,
        inline_row(1, "code"),
        xlsx::SHEET_END
    );
    let control = format!(
        "{}{}{}{}",
        xlsx::SHEET_START,
        inline_row(1, "code"),
        inline_row(2, "a_x0000_b_x0007_"),
        xlsx::SHEET_END
    );
    for (name, xml) in [
        ("nested", nested),
        ("laughs", laughs),
        ("external", external),
        ("far-column", far_column),
        ("far-row", far_row),
        ("control", control),
    ] {
        let path = dir.path().join(format!("{name}.xlsx"));
        xlsx::write_zip(&path, &xlsx::workbook("regions", xlsx::sheet(&xml)));
        let outcome = read_all(&path, &Limits::default());
        assert_clear(&outcome, name);
        println!(
            "{name}: {} rows, {:?}",
            outcome.rows,
            outcome.fatal.as_ref().map(ToString::to_string)
        );
        // Nothing from outside the file ever appears in a cell.
        if let Ok(source) = ingest::open(&path, "regions", &Limits::default()) {
            for row in source.flatten() {
                for cell in &row.cells {
                    assert!(!cell.to_string().contains("root:"), "{name}: {cell}");
                }
            }
        }
    }
}

// ---- random input ----------------------------------------------------------------------------

/// Pieces of hostile CSV text, assembled at random.
fn nasty_csv() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop::sample::select(vec![
        b"code,name\n".to_vec(),
        b",".to_vec(),
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        b"\r".to_vec(),
        b"\"".to_vec(),
        b"\"\"".to_vec(),
        b"361128100".to_vec(),
        "饶州".as_bytes().to_vec(),
        b"\xef\xbb\xbf".to_vec(),
        b"\xff\xfe".to_vec(),
        b"\xfe\xff".to_vec(),
        b"\x00".to_vec(),
        b"\x81\x30\x81\x30".to_vec(),
        b"\xc4\xe3".to_vec(),
        b"\xc3\x28".to_vec(),
        b"\xed\xa0\x80".to_vec(),
        b"=cmd|' /C calc'!A0".to_vec(),
        b"PK\x03\x04".to_vec(),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec(),
        b"\x1b[31m".to_vec(),
        b"\t".to_vec(),
        "\u{202e}".as_bytes().to_vec(),
        b" ".repeat(300),
        "长".repeat(80).into_bytes(),
        b"a,".repeat(30),
    ]);
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

fn arbitrary_cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        Just(Cell::Empty),
        any::<String>().prop_map(Cell::Text),
        "[0-9 ,.%％万元eE+-]{0,20}".prop_map(Cell::Text),
        "[0-9]{0,14}|[0-9]{15,19}|[０-９]{1,12}".prop_map(Cell::Text),
        any::<f64>().prop_map(Cell::Number),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0),
            Just(1e300),
            Just(5e-324),
            Just(0.1 + 0.2)
        ]
        .prop_map(Cell::Number),
        any::<f64>().prop_map(Cell::Percent),
        any::<bool>().prop_map(Cell::Bool),
        (1900i32..2200, 1u32..13, 1u32..29).prop_map(|(y, m, d)| Cell::Date(
            fupin_core::BusinessDate::from_ymd(y, m, d).expect("valid")
        )),
        "#[A-Z/0!?]{1,6}".prop_map(Cell::Error),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(256) })]

    #[test]
    fn random_bytes_as_csv_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let dir = tempfile::tempdir().expect("dir");
        let path = write_temp(dir.path(), "random.csv", &bytes);
        assert_clear(&read_all(&path, &small_limits()), "random.csv");
    }

    #[test]
    fn assembled_nasty_csv_never_panics(bytes in nasty_csv()) {
        let dir = tempfile::tempdir().expect("dir");
        let path = write_temp(dir.path(), "nasty.csv", &bytes);
        assert_clear(&read_all(&path, &small_limits()), "nasty.csv");
        // A name without a known extension is sniffed.
        let path = write_temp(dir.path(), "nasty", &bytes);
        assert_clear(&read_all(&path, &small_limits()), "nasty");
    }

    #[test]
    fn random_and_damaged_workbooks_never_panic(
        seed_rows in 1usize..20,
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
        cut in prop::option::of(any::<prop::sample::Index>()),
        garbage in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let rows: String = (2..=seed_rows as u64 + 1).map(|line| inline_row(line, "361128")).collect();
        let xml = format!("{}{}{}{}", xlsx::SHEET_START, inline_row(1, "code"), rows, xlsx::SHEET_END);
        let path = dir.path().join("good.xlsx");
        xlsx::write_zip(&path, &xlsx::workbook("regions", xlsx::sheet(&xml)));
        let mut bytes = std::fs::read(&path).expect("read");
        for (index, byte) in &flips {
            let at = index.index(bytes.len());
            bytes[at] = *byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        let damaged = write_temp(dir.path(), "damaged.xlsx", &bytes);
        assert_clear(&read_all(&damaged, &small_limits()), "damaged.xlsx");
        let mut random = b"PK\x03\x04".to_vec();
        random.extend_from_slice(&garbage);
        let random = write_temp(dir.path(), "random.xlsx", &random);
        assert_clear(&read_all(&random, &small_limits()), "random.xlsx");
    }

    #[test]
    fn every_value_parser_takes_any_cell(cell in arbitrary_cell()) {
        let results = [
            value::amount(&cell).err(),
            value::rate(&cell).err(),
            value::date(&cell).err(),
            value::boolean(&cell).err(),
            value::region_code(&cell).err(),
            value::integer(&cell).err(),
            value::checked_text(&cell).err(),
            value::enumeration(&cell, &[("household", "农户", 1), ("enterprise", "企业", 2)]).err(),
        ];
        for message in results.into_iter().flatten() {
            prop_assert!(!message.is_empty());
        }
        let _ = value::list(&cell);
        let _ = value::text(&cell);
        if let Ok(fen) = value::amount(&cell) {
            prop_assert!(!fen.is_negative());
        }
        if let Cell::Text(text) = &cell {
            let escaped = ingest::formula_escape(text);
            prop_assert!(!runs_as_formula(&escaped), "{escaped}");
        }
    }
}

/// A single giant cell inside the zip limits is refused by `max_cell_chars`, but only after the
/// reader has held it whole. 8 MiB in CI; `FUPIN_BOMB_MB=512` under `/usr/bin/time -v` measures
/// what a cell just under the default limit costs (RELIABILITY.md has the figures).
#[test]
fn a_cell_bomb_under_the_limit_is_refused_after_buffering() {
    let dir = tempfile::tempdir().expect("dir");
    let start = format!(
        r#"{}{}<row r="2"><c r="A2" t="inlineStr"><is><t>"#,
        xlsx::SHEET_START,
        inline_row(1, "code")
    );
    let megabytes: u64 = std::env::var("FUPIN_BOMB_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let sheet = xlsx::bomb_sheet(
        &start,
        "bomb",
        (megabytes << 20) / 4,
        "</t></is></c></row></sheetData></worksheet>",
    );
    let path = dir.path().join("cell-bomb.xlsx");
    xlsx::write_zip(&path, &xlsx::workbook("regions", sheet));
    let started = Instant::now();
    let outcome = read_all(&path, &Limits::default());
    let fatal = outcome
        .fatal
        .map(|e| e.to_string())
        .or(outcome.row_errors.first().map(ToString::to_string));
    println!(
        "{megabytes} MiB cell: {:?} after {:?}",
        fatal,
        started.elapsed()
    );
    assert!(fatal.is_some_and(|m| m.contains("max_cell_chars") || m.contains("cannot read")));
}
