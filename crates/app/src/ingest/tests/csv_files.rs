//! Reading CSV files: encodings, quoting, line numbers, damage and limits.

use encoding_rs::GB18030;

use super::{all_rows, open_error, open_ok, shown, temporary_directory, write_file};
use crate::ingest::{Cell, Column, IngestError, Limits, RowSource, open, value};

/// Chinese and English headers mixed; a quoted cell with a comma, one with a line break
/// (which Excel shows in one row); a blank line; a last line without line break.
const SAMPLE: &str = "户编号,name,联系电话,备注\n\
    H001,张三,13800000000,\n\
    \"H002\",\"李四, 王五\",,\"第一行\n第二行\"\n\
    \n\
    H003,\"赵\"\"六\"\"\",,阿卜杜·热合曼\n\
    H004,钱七,,last";

fn check_sample(source: RowSource, expected_encoding: &str) {
    assert_eq!(source.format(), "CSV");
    assert_eq!(source.encoding(), expected_encoding);
    assert_eq!(source.sheet(), None);
    assert_eq!(source.headers(), ["户编号", "name", "联系电话", "备注"]);
    assert_eq!(source.header_line(), 1);
    let rows = all_rows(source);
    let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
    assert_eq!(lines, [2, 3, 5, 6]);
    assert_eq!(shown(&rows[0]), ["H001", "张三", "13800000000"]);
    assert_eq!(
        shown(&rows[1]),
        ["H002", "李四, 王五", "", "第一行\n第二行"]
    );
    assert_eq!(rows[1].cells[2], Cell::Empty);
    assert_eq!(shown(&rows[2]), ["H003", "赵\"六\"", "", "阿卜杜·热合曼"]);
    assert_eq!(shown(&rows[3]), ["H004", "钱七", "", "last"]);
}

#[test]
fn reads_utf8() {
    let directory = temporary_directory();
    let path = write_file(directory.path(), "households.csv", SAMPLE.as_bytes());
    check_sample(open_ok(&path, ""), "UTF-8");
}

#[test]
fn reads_utf8_with_bom_and_strips_it() {
    let directory = temporary_directory();
    let bytes = [b"\xEF\xBB\xBF", SAMPLE.as_bytes()].concat();
    let path = write_file(directory.path(), "households.csv", &bytes);
    check_sample(open_ok(&path, ""), "UTF-8 (BOM)");
}

#[test]
fn reads_gb18030() {
    let directory = temporary_directory();
    let (bytes, _, unmappable) = GB18030.encode(SAMPLE);
    assert!(!unmappable);
    let path = write_file(directory.path(), "households.csv", &bytes);
    check_sample(open_ok(&path, ""), "GB18030");
}

#[test]
fn reads_gb18030_with_crlf_line_ends() {
    let directory = temporary_directory();
    let crlf = SAMPLE.replace('\n', "\r\n");
    let (bytes, _, _) = GB18030.encode(&crlf);
    let path = write_file(directory.path(), "households.txt", &bytes);
    let rows = all_rows(open_ok(&path, ""));
    let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
    assert_eq!(lines, [2, 3, 5, 6]);
    assert_eq!(shown(&rows[0]), ["H001", "张三", "13800000000"]);
    assert_eq!(shown(&rows[1])[3], "第一行\r\n第二行");
    assert_eq!(shown(&rows[3]), ["H004", "钱七", "", "last"]);
}

#[test]
fn blank_lines_before_the_header_count_as_rows() {
    let directory = temporary_directory();
    let path = write_file(
        directory.path(),
        "a.csv",
        b"\n , ,\ncode,name,,,\n361128,Poyang,,,\n",
    );
    let source = open_ok(&path, "");
    assert_eq!(source.header_line(), 3);
    assert_eq!(source.headers(), ["code", "name"]);
    let rows = all_rows(source);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 4);
    assert_eq!(shown(&rows[0]), ["361128", "Poyang"]);
}

#[test]
fn a_bom_in_the_middle_does_not_break_reading() {
    let directory = temporary_directory();
    // Two exports concatenated: the second brings its BOM and header along.
    let text = "\u{FEFF}household_id,name\nH001,张三\n\u{FEFF}household_id,name\nH002,李四\n";
    let path = write_file(directory.path(), "joined.csv", text.as_bytes());
    let rows = all_rows(open_ok(&path, ""));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].cells[0], Cell::Text("\u{FEFF}household_id".into()));
    assert_eq!(
        value::text(&rows[1].cells[0]).as_deref(),
        Some("household_id")
    );
    assert!(crate::ingest::mojibake("\u{FEFF}household_id").is_some());

    // The UTF-8 BOM's bytes inside a GB18030 file decode as other characters; no panic.
    let mut gb_bytes = GB18030.encode("户编号,姓名\nH001,张三\n").0.into_owned();
    gb_bytes.extend_from_slice(b"\xEF\xBB\xBFH002,");
    gb_bytes.extend_from_slice(&GB18030.encode("李四\nH003,王五\n").0);
    let path = write_file(directory.path(), "joined-gb.csv", &gb_bytes);
    let source = open_ok(&path, "");
    assert_eq!(source.encoding(), "GB18030");
    let results: Vec<_> = source.collect();
    assert_eq!(results.len(), 3);
    assert!(
        results[2]
            .as_ref()
            .is_ok_and(|row| shown(row) == ["H003", "王五"])
    );
}

/// Enough plain rows to push what follows beyond the 64 KiB the encoding is detected from.
fn filler_rows(count: usize) -> String {
    (0..count)
        .map(|index| format!("H{index:06},Zhang San\n"))
        .collect()
}

#[test]
fn invalid_utf8_after_the_sample_is_an_error_of_its_row() {
    let directory = temporary_directory();
    let mut bytes = b"household_id,name\n".to_vec();
    bytes.extend_from_slice(filler_rows(5_000).as_bytes());
    bytes.extend_from_slice(b"H999998,\xD5\xC5\xC8\xFD\n");
    bytes.extend_from_slice("H999999,张三\n".as_bytes());
    let path = write_file(directory.path(), "mixed.csv", &bytes);
    let source = open_ok(&path, "");
    assert_eq!(source.encoding(), "UTF-8");
    let results: Vec<_> = source.collect();
    assert_eq!(results.len(), 5_002);
    match &results[5_000] {
        Err(
            error @ IngestError::InvalidText {
                line,
                column,
                encoding,
                ..
            },
        ) => {
            assert_eq!(
                (*line, column.as_str(), *encoding),
                (5_002, "name", "UTF-8")
            );
            assert!(error.is_row_error());
            assert!(error.to_string().contains("line 5002, column name"));
        }
        other => panic!("expected an encoding error, got {other:?}"),
    }
    assert!(
        results[5_001]
            .as_ref()
            .is_ok_and(|row| shown(row) == ["H999999", "张三"])
    );
}

#[test]
fn invalid_gb18030_after_the_sample_is_an_error_of_its_row() {
    let directory = temporary_directory();
    let mut bytes = GB18030.encode("户编号,姓名\n").0.into_owned();
    // 13 bytes a row: 6,000 rows pass the 64 KiB sample.
    bytes.extend_from_slice(
        &GB18030
            .encode(&filler_rows(6_000).replace("Zhang San", "张三"))
            .0,
    );
    bytes.extend_from_slice(b"H999998,\x81\x7F\n");
    bytes.extend_from_slice(&GB18030.encode("H999999,李四\n").0);
    let path = write_file(directory.path(), "damaged.csv", &bytes);
    let source = open_ok(&path, "");
    assert_eq!(source.encoding(), "GB18030");
    let results: Vec<_> = source.collect();
    assert_eq!(results.len(), 6_002);
    assert!(matches!(
        &results[6_000],
        Err(IngestError::InvalidText { line: 6_002, .. })
    ));
    assert!(results[6_001].is_ok());
}

#[test]
fn damaged_gb18030_at_the_start_is_refused_with_its_line() {
    let directory = temporary_directory();
    let mut bytes = GB18030
        .encode("户编号,姓名\nH001,张三\nH002,")
        .0
        .into_owned();
    let offset = bytes.len() as u64;
    bytes.extend_from_slice(b"\x81\x7F\n");
    let path = write_file(directory.path(), "bad-start.csv", &bytes);
    let error = open_error(&path, &Limits::default());
    assert!(
        matches!(&error, IngestError::UnknownEncoding { line: 3, offset: found, .. } if *found == offset),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("bad-start.csv: line 3 (byte offset"),
        "{error}"
    );
}

#[test]
fn refuses_text_that_is_neither_utf8_nor_gb18030() {
    let directory = temporary_directory();
    let limits = Limits::default();

    let utf16 = [
        &b"\xFF\xFE"[..],
        &"代码,名称\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<_>>(),
    ]
    .concat();
    let path = write_file(directory.path(), "utf16.csv", &utf16);
    let error = open_error(&path, &limits);
    assert!(
        matches!(
            error,
            IngestError::Utf16 {
                encoding: "UTF-16LE",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("save it as UTF-8 or GB18030"));

    let utf16_without_bom: Vec<u8> = "code,name\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let path = write_file(directory.path(), "utf16-nobom.csv", &utf16_without_bom);
    let error = open_error(&path, &limits);
    assert!(error.to_string().contains("NUL bytes"), "{error}");

    let latin1 = "name,city\nJosé Müller,Zürich\nFrançoise Brûlé,Genève\nÅsa Ærø,København\n";
    let (windows_1252, _, _) = encoding_rs::WINDOWS_1252.encode(latin1);
    let path = write_file(directory.path(), "latin1.csv", &windows_1252);
    let error = open_error(&path, &limits);
    assert!(
        matches!(&error, IngestError::UnknownEncoding { line: 2, hint, .. } if hint.contains("windows-1252")),
        "{error}"
    );

    let path = write_file(directory.path(), "random.csv", &pseudo_random_bytes(4_096));
    let error = open_error(&path, &limits);
    assert!(
        matches!(error, IngestError::UnknownEncoding { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("neither UTF-8 nor GB18030"));
}

/// Deterministic noise (a linear congruential generator), without NUL bytes so that the
/// encoding check, not the binary check, must refuse it.
fn pseudo_random_bytes(count: usize) -> Vec<u8> {
    let mut state: u32 = 0x2017_0630;
    (0..count)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8 | 1
        })
        .collect()
}

#[test]
fn empty_files_have_no_header() {
    let directory = temporary_directory();
    for (name, bytes) in [
        ("empty.csv", &b""[..]),
        ("blank.csv", b"\n\r\n , \n"),
        ("bom.csv", b"\xEF\xBB\xBF"),
    ] {
        let path = write_file(directory.path(), name, bytes);
        let error = open_error(&path, &Limits::default());
        assert!(
            matches!(error, IngestError::NoHeader { .. }),
            "{name}: {error}"
        );
    }
}

#[test]
fn formats_follow_the_extension_or_the_content() {
    let directory = temporary_directory();
    let path = write_file(directory.path(), "upload.dat", b"code,name\n1,a\n");
    assert_eq!(open_ok(&path, "").format(), "CSV");
    let path = write_file(directory.path(), "UPLOAD.CSV", b"code,name\n1,a\n");
    assert_eq!(open_ok(&path, "").format(), "CSV");
    let path = write_file(
        directory.path(),
        "old.xls",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
    );
    assert!(matches!(
        open_error(&path, &Limits::default()),
        IngestError::LegacyXls { .. }
    ));
    let path = write_file(directory.path(), "mac.csv", b"code,name\r1,a\r2,b\r");
    assert!(matches!(
        open_error(&path, &Limits::default()),
        IngestError::CarriageReturnLineEnds { .. }
    ));
    let path = write_file(directory.path(), "renamed.csv", b"PK\x03\x04not really");
    assert!(matches!(
        open_error(&path, &Limits::default()),
        IngestError::WorkbookNamedAsCsv { .. }
    ));
}

fn small_limits() -> Limits {
    Limits {
        max_file_bytes: 10_000,
        max_rows: 3,
        max_columns: 3,
        max_cell_chars: 5,
    }
}

#[test]
fn too_large_a_file_is_refused() {
    let directory = temporary_directory();
    let path = write_file(directory.path(), "big.csv", &[b'a'; 10_001]);
    let error = open_error(&path, &small_limits());
    assert!(matches!(
        error,
        IngestError::FileTooLarge {
            bytes: 10_001,
            limit: 10_000,
            ..
        }
    ));
    assert!(error.to_string().contains("max_file_bytes"));
}

#[test]
fn too_many_rows_ends_reading() {
    let directory = temporary_directory();
    let path = write_file(
        directory.path(),
        "rows.csv",
        b"a,b\n1,2\n2,3\n\n3,4\n4,5\n5,6\n",
    );
    let results: Vec<_> = open(&path, "", &small_limits()).expect("opens").collect();
    assert_eq!(results.len(), 4);
    assert!(results[..3].iter().all(Result::is_ok));
    let error = results[3].as_ref().expect_err("limit");
    assert!(
        matches!(
            error,
            IngestError::TooManyRows {
                line: 6,
                limit: 3,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("line 6: more than 3 data rows (max_rows)")
    );
}

#[test]
fn too_wide_rows_and_too_long_cells_are_row_errors() {
    let directory = temporary_directory();
    let path = write_file(
        directory.path(),
        "wide.csv",
        "a,名称,c\n1,2,3,4\n1,长长长长长长,3\n1,2,3,,,\n".as_bytes(),
    );
    let results: Vec<_> = open(&path, "", &small_limits()).expect("opens").collect();
    assert_eq!(results.len(), 3);
    let wide = results[0].as_ref().expect_err("too wide");
    assert!(
        matches!(
            wide,
            IngestError::TooManyColumns {
                line: 2,
                columns: 4,
                limit: 3,
                ..
            }
        ),
        "{wide}"
    );
    let long = results[1].as_ref().expect_err("too long");
    assert!(
        matches!(
            long,
            IngestError::CellTooLong {
                line: 3,
                chars: 6,
                ..
            }
        ),
        "{long}"
    );
    assert!(long.to_string().contains("line 3, column 名称"), "{long}");
    assert!(results[2].is_ok(), "trailing empty cells do not count");

    let path = write_file(directory.path(), "wide-header.csv", b"a,b,c,d\n1,2,3,4\n");
    let error = open_error(&path, &small_limits());
    assert!(
        matches!(error, IngestError::TooManyColumns { line: 1, .. }),
        "{error}"
    );
}

#[test]
fn an_unclosed_quote_stops_with_a_clear_error() {
    let directory = temporary_directory();
    let mut text = String::from("a,b\n1,2\n3,\"unclosed\n");
    text.push_str(&"x,y\n".repeat(2_000));
    let path = write_file(directory.path(), "quote.csv", text.as_bytes());
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_rows: 100,
        max_columns: 3,
        max_cell_chars: 100,
    };
    let results: Vec<_> = open(&path, "", &limits).expect("opens").collect();
    assert_eq!(results.len(), 2);
    let error = results[1].as_ref().expect_err("runaway row");
    assert!(
        matches!(error, IngestError::RowTooLong { line: 3, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("quote"));
}

#[test]
fn streams_two_hundred_thousand_rows() {
    let directory = temporary_directory();
    let path = directory.path().join("large.csv");
    {
        use std::io::Write;
        let file = std::fs::File::create(&path).expect("create");
        let mut output = std::io::BufWriter::new(file);
        writeln!(output, "household_id,姓名,per_capita_income").expect("write");
        for index in 0..200_000 {
            writeln!(output, "H{index:07},张{index},{}.50", index % 9_000).expect("write");
        }
        output.flush().expect("flush");
    }
    let source = open_ok(&path, "");
    let columns = [
        Column::required("household_id", "户编号"),
        Column::required("name", "姓名"),
        Column::required("per_capita_income", "人均纯收入"),
    ];
    let map = source.map_columns(&columns, false).expect("headers");
    let mut count = 0u64;
    let mut total_fen = 0i64;
    let mut last_line = 0;
    for row in source {
        let row = row.expect("row");
        total_fen += row
            .parse(&map, "per_capita_income", value::amount)
            .expect("amount")
            .fen();
        last_line = row.line;
        count += 1;
    }
    assert_eq!(count, 200_000);
    assert_eq!(last_line, 200_001);
    assert!(total_fen > 0);
}

#[test]
fn header_errors_name_the_real_header_line() {
    let directory = temporary_directory();
    let path = write_file(directory.path(), "h.csv", "\n户编号,colour\n".as_bytes());
    let source = open_ok(&path, "");
    let columns = [
        Column::required("household_id", "户编号"),
        Column::required("name", "姓名"),
    ];
    let errors = source
        .map_columns(&columns, false)
        .expect_err("bad headers");
    assert_eq!(errors.len(), 2);
    assert!(errors.iter().all(|error| error.line == 2));
}
