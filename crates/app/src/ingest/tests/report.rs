//! Formula escaping and the error report file.

use crate::ingest::{FieldError, formula_escape, write_error_report};

use super::temporary_directory;

#[test]
fn formula_leading_cells_are_escaped_but_numbers_are_not() {
    let cases = [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-1.", "'-1."),
        ("-1e5", "'-1e5"),
        ("- 5", "'- 5"),
        ("-5", "-5"),
        ("-1,234.50", "-1,234.50"),
        ("+5", "+5"),
        ("-0.01", "-0.01"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        ("", ""),
        ("1234", "1234"),
    ];
    for (cell, expected) in cases {
        assert_eq!(formula_escape(cell), expected, "{cell:?}");
    }
}

#[test]
fn the_report_is_utf8_with_bom_and_escaped() {
    let directory = temporary_directory();
    let path = directory.path().join("errors.csv");
    let errors = [
        FieldError::file_level("the file is empty"),
        FieldError::new(3, "金额", "=1+1", "\"=1+1\": not a yuan amount"),
        FieldError::new(4, "name", "张三, 李四", "two names\nin one cell"),
        FieldError::new(5, "amount", "-5", "an amount cannot be negative"),
    ];
    write_error_report(&path, &errors).expect("report written");
    let bytes = std::fs::read(&path).expect("report read");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    let expected = "row,column,value,message\r\n\
        ,,,the file is empty\r\n\
        3,金额,'=1+1,\"\"\"=1+1\"\": not a yuan amount\"\r\n\
        4,name,\"张三, 李四\",\"two names\nin one cell\"\r\n\
        5,amount,-5,an amount cannot be negative\r\n";
    assert_eq!(text, expected);
}
