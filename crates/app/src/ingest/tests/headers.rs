//! Header mapping and reading cells by column name.

use crate::ingest::{Cell, Column, FieldError, RawRow, map_headers, value};

const COLUMNS: &[Column] = &[
    Column::required("household_id", "户编号"),
    Column::required("name", "姓名"),
    Column::optional("phone", "联系电话"),
    Column::optional("max_term_months", "最长期限(月)"),
];

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn messages(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|error| error.message.as_str()).collect()
}

#[test]
fn english_and_chinese_headers_map_in_any_order() {
    let map = map_headers(&headers(&["联系电话", " NAME ", "户编号"]), COLUMNS, false)
        .expect("headers map");
    assert_eq!(map.index("phone"), Some(0));
    assert_eq!(map.index("name"), Some(1));
    assert_eq!(map.index("household_id"), Some(2));
    assert_eq!(map.index("max_term_months"), None);
    assert!(!map.has("max_term_months"));
    assert_eq!(map.label("name"), "NAME");
    assert_eq!(map.label("max_term_months"), "max_term_months");
}

#[test]
fn bom_full_width_spaces_and_full_width_brackets_are_tolerated() {
    let map = map_headers(
        &headers(&[
            "\u{FEFF}household_id",
            "\u{3000}姓名\u{3000}",
            "最长期限（月）",
            "",
        ]),
        COLUMNS,
        false,
    )
    .expect("headers map");
    assert_eq!(map.index("household_id"), Some(0));
    assert_eq!(map.index("name"), Some(1));
    assert_eq!(map.index("max_term_months"), Some(2));
}

#[test]
fn unknown_columns_are_listed_unless_ignored() {
    let given = headers(&["household_id", "name", "colour", "备注"]);
    let errors = map_headers(&given, COLUMNS, false).expect_err("unknown columns");
    assert_eq!(errors.len(), 2);
    assert!(errors[0].message.contains("unknown column \"colour\""));
    assert!(
        errors[0]
            .message
            .contains("household_id (户编号), name (姓名)")
    );
    assert_eq!(errors[1].column, "备注");
    assert!(map_headers(&given, COLUMNS, true).is_ok());
}

#[test]
fn missing_required_columns_are_named() {
    let errors = map_headers(&headers(&["户编号", "phone"]), COLUMNS, false).expect_err("missing");
    assert_eq!(
        messages(&errors),
        ["required column name (姓名) is missing"]
    );
}

#[test]
fn a_column_given_twice_is_refused() {
    let errors = map_headers(&headers(&["household_id", "name", "姓名"]), COLUMNS, false)
        .expect_err("twice");
    assert_eq!(
        messages(&errors),
        ["column name (姓名) is given twice: as \"name\" and as \"姓名\""]
    );
}

#[test]
fn all_header_problems_are_reported_together() {
    let errors =
        map_headers(&headers(&["户编号", "户编号", "colour"]), COLUMNS, false).expect_err("three");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().all(|error| error.line == 1));
}

#[test]
fn rows_give_cells_by_column_name() {
    let map = map_headers(&headers(&["姓名", "household_id", "phone"]), COLUMNS, false)
        .expect("headers map");
    let row = RawRow {
        line: 7,
        cells: vec![Cell::Text(" 张三 ".into()), Cell::Number(1001.0)],
    };
    assert_eq!(row.get(&map, "name"), &Cell::Text(" 张三 ".into()));
    assert_eq!(row.text(&map, "name").as_deref(), Some("张三"));
    assert_eq!(row.text(&map, "household_id").as_deref(), Some("1001"));
    // The row is shorter than the header, and the file lacks max_term_months.
    assert_eq!(row.get(&map, "phone"), &Cell::Empty);
    assert_eq!(row.text(&map, "max_term_months"), None);
    assert_eq!(row.parse(&map, "household_id", value::integer), Ok(1001));
    let error = row
        .parse(&map, "name", value::amount)
        .expect_err("not an amount");
    assert_eq!(error.line, 7);
    assert_eq!(error.column, "姓名");
    assert_eq!(error.value, " 张三 ");
    assert!(error.message.contains("not a yuan amount"));
}
