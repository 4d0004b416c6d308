//! Reading XLSX workbooks written with rust_xlsxwriter, and damaged ones.

use std::path::{Path, PathBuf};

use fupin_core::BusinessDate;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, XlsxError};

use super::{all_rows, open_error, open_ok, shown, temporary_directory, write_file};
use crate::ingest::{Cell, Column, IngestError, Limits, open, value};

/// A workbook with a notes sheet first and a `Households` sheet holding typed cells, an empty
/// row (4) and a row that starts after an empty cell.
fn write_workbook(path: &Path) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let notes = workbook.add_worksheet().set_name("说明")?;
    notes.write_string(0, 0, "填表说明")?;
    notes.write_string(1, 0, "每户一行")?;

    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let percent_format = Format::new().set_num_format("0.00%");
    let sheet = workbook.add_worksheet().set_name("Households")?;
    for (column, header) in ["户编号", "name", "amount", "rate", "since", "active"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *header)?;
    }
    sheet.write_string(1, 0, "H001")?;
    sheet.write_string(1, 1, "张三")?;
    sheet.write_number(1, 2, 50000)?;
    sheet.write_number_with_format(1, 3, 0.0435, &percent_format)?;
    sheet.write_datetime_with_format(1, 4, ExcelDateTime::from_ymd(2017, 6, 30)?, &date_format)?;
    sheet.write_boolean(1, 5, true)?;

    sheet.write_number(2, 0, 1002)?;
    sheet.write_string(2, 1, "李四")?;
    sheet.write_number(2, 2, 1234.5)?;
    sheet.write_number(2, 3, 4.35)?;
    sheet.write_string(2, 4, "2017/6/30")?;
    sheet.write_string(2, 5, "是")?;

    sheet.write_string(4, 1, "王五")?;
    sheet.write_formula(4, 2, Formula::new("=NA()").set_result("#N/A"))?;
    sheet.write_number(4, 4, 42916)?;
    workbook.save(path)
}

fn workbook_path(directory: &Path) -> PathBuf {
    let path = directory.join("households.xlsx");
    write_workbook(&path).expect("workbook written");
    path
}

#[test]
fn reads_the_hinted_sheet_with_typed_cells() {
    let directory = temporary_directory();
    let path = workbook_path(directory.path());
    let source = open_ok(&path, "households");
    assert_eq!(source.format(), "XLSX");
    assert_eq!(source.encoding(), "XLSX (UTF-8)");
    assert_eq!(source.sheet(), Some("Households"));
    assert_eq!(
        source.headers(),
        ["户编号", "name", "amount", "rate", "since", "active"]
    );
    let rows = all_rows(source);
    let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
    assert_eq!(lines, [2, 3, 5]);

    let june_30 = BusinessDate::from_ymd(2017, 6, 30).expect("date");
    assert_eq!(
        rows[0].cells,
        [
            Cell::Text("H001".into()),
            Cell::Text("张三".into()),
            Cell::Number(50000.0),
            Cell::Percent(0.0435),
            Cell::Date(june_30),
            Cell::Bool(true),
        ]
    );
    assert_eq!(
        shown(&rows[1]),
        ["1002", "李四", "1234.5", "4.35", "2017/6/30", "是"]
    );
    assert_eq!(rows[2].cells[0], Cell::Empty);
    assert_eq!(rows[2].cells[2], Cell::Error("#N/A".into()));
    assert_eq!(rows[2].cells[4], Cell::Number(42916.0));
}

#[test]
fn typed_cells_parse_to_the_same_values_as_text() {
    let directory = temporary_directory();
    let path = workbook_path(directory.path());
    let source = open_ok(&path, "HOUSEHOLDS");
    let columns = [
        Column::required("household_id", "户编号"),
        Column::required("name", "姓名"),
        Column::required("amount", "金额"),
        Column::required("rate", "利率"),
        Column::required("since", "起始日期"),
        Column::optional("active", "有效"),
    ];
    let map = source.map_columns(&columns, false).expect("headers");
    let rows = all_rows(source);
    for row in &rows[..2] {
        assert_eq!(
            row.parse(&map, "amount", value::amount)
                .map(|fen| fen.fen()),
            Ok(if row.line == 2 { 5_000_000 } else { 123_450 })
        );
        assert_eq!(
            row.parse(&map, "rate", value::rate).map(|rate| rate.ppm()),
            Ok(43_500)
        );
        assert_eq!(
            row.parse(&map, "since", value::date)
                .map(|date| date.to_string()),
            Ok("2017-06-30".to_string())
        );
        assert_eq!(row.parse(&map, "active", value::boolean), Ok(true));
    }
    assert_eq!(rows[1].text(&map, "household_id").as_deref(), Some("1002"));
    let error = rows[2]
        .parse(&map, "amount", value::amount)
        .expect_err("#N/A");
    assert_eq!(
        (error.line, error.column.as_str(), error.value.as_str()),
        (5, "amount", "#N/A")
    );
    assert_eq!(
        rows[2]
            .parse(&map, "since", value::date)
            .map(|date| date.to_string()),
        Ok("2017-06-30".to_string())
    );
}

#[test]
fn reads_the_first_sheet_without_a_matching_hint() {
    let directory = temporary_directory();
    let path = workbook_path(directory.path());
    let source = open_ok(&path, "loans");
    assert_eq!(source.sheet(), Some("说明"));
    assert_eq!(source.headers(), ["填表说明"]);
    let rows = all_rows(source);
    assert_eq!(rows.len(), 1);
    assert_eq!(shown(&rows[0]), ["每户一行"]);
}

#[test]
fn a_workbook_without_extension_is_sniffed() {
    let directory = temporary_directory();
    let path = workbook_path(directory.path());
    let renamed = directory.path().join("upload");
    std::fs::rename(&path, &renamed).expect("rename");
    assert_eq!(open_ok(&renamed, "households").format(), "XLSX");
}

#[test]
fn row_limits_apply_to_workbooks() {
    let directory = temporary_directory();
    let path = workbook_path(directory.path());
    let limits = Limits {
        max_rows: 1,
        ..Limits::default()
    };
    let results: Vec<_> = open(&path, "households", &limits).expect("opens").collect();
    assert_eq!(results.len(), 2);
    assert!(matches!(
        &results[1],
        Err(IngestError::TooManyRows { line: 3, .. })
    ));
}

#[test]
fn damaged_workbooks_fail_clearly() {
    let directory = temporary_directory();
    let path = workbook_path(directory.path());
    let bytes = std::fs::read(&path).expect("read workbook");
    let cases = [
        ("truncated.xlsx", bytes[..bytes.len() / 2].to_vec()),
        ("tail-cut.xlsx", bytes[..bytes.len() - 10].to_vec()),
        ("garbage.xlsx", b"this is not a workbook at all".to_vec()),
        ("empty.xlsx", Vec::new()),
        (
            "zip-header-only.xlsx",
            b"PK\x03\x04\x14\x00\x00\x00".to_vec(),
        ),
    ];
    for (name, damaged) in cases {
        let path = write_file(directory.path(), name, &damaged);
        match open(&path, "households", &Limits::default()) {
            Err(error) => {
                assert!(matches!(error, IngestError::Xlsx { .. }), "{name}: {error}");
                assert!(error.to_string().contains(name), "{name}: {error}");
            }
            // Damage past the sheet data may only show while reading.
            Ok(source) => {
                let results: Vec<_> = source.collect();
                assert!(
                    results.iter().any(Result::is_err),
                    "{name}: damage went unnoticed"
                );
            }
        }
    }
}

#[test]
fn flipped_bytes_inside_a_workbook_never_panic() {
    let directory = temporary_directory();
    let path = workbook_path(directory.path());
    let original = std::fs::read(&path).expect("read workbook");
    for position in (0..original.len()).step_by(97) {
        let mut damaged = original.clone();
        damaged[position] ^= 0x5A;
        let path = write_file(directory.path(), "flipped.xlsx", &damaged);
        // Any outcome but a panic is fine; errors must still name the file.
        match open(&path, "households", &Limits::default()) {
            Ok(source) => source.for_each(drop),
            Err(error) => assert!(error.to_string().contains("flipped.xlsx"), "{error}"),
        }
    }
}

#[test]
fn an_empty_sheet_has_no_header() {
    let directory = temporary_directory();
    let path = directory.path().join("empty-sheet.xlsx");
    let mut workbook = Workbook::new();
    workbook.add_worksheet();
    workbook.save(&path).expect("saved");
    let error = open_error(&path, &Limits::default());
    assert!(matches!(error, IngestError::NoHeader { .. }), "{error}");
}

#[test]
fn a_part_inflating_beyond_the_limit_is_named_in_one_clean_sentence() {
    let directory = temporary_directory();
    let path = directory.path().join("repetitive.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for row in 0..2_000 {
        sheet.write_number(row, 0, 361_128_100_001.0).expect("cell");
    }
    workbook.save(&path).expect("workbook written");
    let file_bytes = std::fs::metadata(&path).expect("workbook").len();
    // The sheet inflates to more than the (compressed) file: the limit lies between.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).expect("open")).expect("zip");
    let (part, size) = (0..archive.len())
        .map(|index| {
            let part = archive.by_index_raw(index).expect("part");
            (
                String::from_utf8_lossy(part.name_raw()).into_owned(),
                part.size(),
            )
        })
        .max_by_key(|(_, size)| *size)
        .expect("parts");
    assert!(
        size > file_bytes,
        "{part}: {size} bytes inflated, {file_bytes} on disk"
    );
    let limits = Limits {
        max_file_bytes: file_bytes,
        ..Limits::default()
    };
    let error = open_error(&path, &limits);
    assert_eq!(
        error.to_string(),
        format!(
            "{}: cannot read the workbook: its part {part} inflates to {size} bytes, more than \
             the limit of {file_bytes} (max_file_bytes); the file is damaged or a zip bomb",
            path.display()
        )
    );
}
