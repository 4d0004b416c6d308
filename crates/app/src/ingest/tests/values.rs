//! Table tests of the value parsers: each case is an input cell and the expected value, or a
//! fragment of the expected message.

use std::fmt::Debug;

use fupin_core::BusinessDate;

use crate::ingest::Cell;
use crate::ingest::value::{
    amount, boolean, checked_text, date, enumeration, integer, list, optional, rate, region_code,
    text,
};

/// Expected outcome: a value, or a fragment the error message must contain.
type Expect<T> = Result<T, &'static str>;

fn check<T: Debug + PartialEq>(
    parser: impl Fn(&Cell) -> Result<T, String>,
    cases: &[(Cell, Expect<T>)],
) {
    for (cell, expected) in cases {
        let actual = parser(cell);
        match (expected, &actual) {
            (Ok(value), Ok(found)) => assert_eq!(found, value, "{cell:?}"),
            (Err(fragment), Err(message)) => assert!(
                message.contains(fragment),
                "{cell:?}: message {message:?} lacks {fragment:?}"
            ),
            _ => panic!("{cell:?}: expected {expected:?}, got {actual:?}"),
        }
    }
}

fn text_cell(text: &str) -> Cell {
    Cell::Text(text.to_string())
}

fn day(year: i32, month: u32, day: u32) -> BusinessDate {
    BusinessDate::from_ymd(year, month, day).expect("valid date")
}

#[test]
fn amounts_are_exact_fen() {
    check(
        |cell| amount(cell).map(|fen| fen.fen()),
        &[
            (text_cell("50000"), Ok(5_000_000)),
            (text_cell("50,000.00"), Ok(5_000_000)),
            (text_cell(" 1234.5 "), Ok(123_450)),
            (text_cell("0.01"), Ok(1)),
            (text_cell("5万"), Err("not a yuan amount")),
            (text_cell("1.234"), Err("more than two decimal")),
            (text_cell("-5"), Err("cannot be negative")),
            (text_cell("¥100"), Err("not a yuan amount")),
            (Cell::Number(50000.0), Ok(5_000_000)),
            (Cell::Number(1234.5), Ok(123_450)),
            (Cell::Number(0.1 + 0.2), Ok(30)),
            (Cell::Number(19.99), Ok(1_999)),
            (Cell::Number(1234.567), Err("more than two decimal")),
            (Cell::Number(0.001), Err("more than two decimal")),
            (Cell::Number(-5.0), Err("cannot be negative")),
            (Cell::Number(1e20), Err("too large")),
            (Cell::Number(f64::NAN), Err("not a number")),
            (Cell::Percent(0.5), Err("found the percentage 50%")),
            (
                Cell::Date(day(2017, 6, 30)),
                Err("found the date 2017-06-30"),
            ),
            (Cell::Bool(true), Err("found the boolean")),
            (Cell::Error("#N/A".into()), Err("Excel error #N/A")),
            (Cell::Empty, Err("empty")),
        ],
    );
}

#[test]
fn rates_are_percentages_and_ambiguity_is_refused() {
    check(
        |cell| rate(cell).map(|rate| rate.ppm()),
        &[
            (text_cell("4.35"), Ok(43_500)),
            (text_cell("4.35%"), Ok(43_500)),
            (text_cell(" 4.35 ％ "), Ok(43_500)),
            (text_cell("0"), Ok(0)),
            (text_cell("1"), Ok(10_000)),
            (text_cell("100%"), Ok(1_000_000)),
            (text_cell("0.5%"), Ok(5_000)),
            (text_cell("0.5"), Err("ambiguous")),
            (text_cell("0.0435"), Err("write 4.35% if it is a fraction")),
            (text_cell("4.12345"), Err("four decimal")),
            (text_cell("-1"), Err("negative")),
            (text_cell("101"), Err("100%")),
            (text_cell("四点三五"), Err("not a percentage")),
            (Cell::Percent(0.0435), Ok(43_500)),
            (Cell::Percent(0.8), Ok(800_000)),
            (Cell::Percent(0.005), Ok(5_000)),
            (Cell::Percent(0.043_512_345), Err("four decimal")),
            (Cell::Number(4.35), Ok(43_500)),
            (Cell::Number(0.0), Ok(0)),
            (Cell::Number(1.0), Ok(10_000)),
            (Cell::Number(0.0435), Err("ambiguous")),
            (Cell::Number(-2.0), Err("negative")),
            (Cell::Number(150.0), Err("100%")),
            (Cell::Bool(false), Err("expected a rate")),
            (Cell::Empty, Err("empty")),
        ],
    );
}

#[test]
fn dates_accept_cells_serials_and_three_text_forms() {
    let june_30 = day(2017, 6, 30);
    check(
        date,
        &[
            (Cell::Date(june_30), Ok(june_30)),
            (Cell::Number(42916.0), Ok(june_30)),
            (Cell::Number(42916.75), Ok(june_30)),
            (Cell::Number(20170630.0), Ok(june_30)),
            (text_cell("2017-06-30"), Ok(june_30)),
            (text_cell("2017/06/30"), Ok(june_30)),
            (text_cell("20170630"), Ok(june_30)),
            (text_cell(" 2017/6/30 "), Ok(june_30)),
            (text_cell("2017-06-30 00:00:00"), Ok(june_30)),
            (text_cell("2017/6/30 0:00"), Ok(june_30)),
            (text_cell("2017-06-30T08:15:00"), Ok(june_30)),
            (text_cell("2017-02-30"), Err("2017-02-30")),
            (text_cell("30/06/2017"), Err("30/06/2017")),
            (text_cell("2017-06-30 noon"), Err("2017-06-30 noon")),
            (Cell::Number(60.0), Err("not a date")),
            (Cell::Number(-1.0), Err("not a date")),
            (Cell::Number(20171340.0), Err("20171340")),
            (Cell::Bool(true), Err("expected a date")),
            (Cell::Empty, Err("empty")),
        ],
    );
}

#[test]
fn booleans_accept_the_usual_spellings() {
    check(
        boolean,
        &[
            (text_cell("true"), Ok(true)),
            (text_cell("TRUE"), Ok(true)),
            (text_cell("1"), Ok(true)),
            (text_cell("是"), Ok(true)),
            (text_cell(" Yes "), Ok(true)),
            (text_cell("y"), Ok(true)),
            (text_cell("false"), Ok(false)),
            (text_cell("0"), Ok(false)),
            (text_cell("否"), Ok(false)),
            (text_cell("NO"), Ok(false)),
            (text_cell("n"), Ok(false)),
            (Cell::Bool(true), Ok(true)),
            (Cell::Bool(false), Ok(false)),
            (Cell::Number(1.0), Ok(true)),
            (Cell::Number(0.0), Ok(false)),
            (text_cell("对"), Err("expected true/false")),
            (text_cell("2"), Err("expected true/false")),
            (Cell::Number(2.0), Err("expected true/false")),
            (Cell::Empty, Err("empty")),
        ],
    );
}

#[test]
fn lists_split_on_three_separators() {
    let cases: &[(Cell, &[&str])] = &[
        (
            text_cell("enquiry;bank_card；transfer、payment"),
            &["enquiry", "bank_card", "transfer", "payment"],
        ),
        (text_cell(" 查询 ; ; 转账 ;"), &["查询", "转账"]),
        (text_cell("因病"), &["因病"]),
        (Cell::Number(361128.0), &["361128"]),
        (text_cell("  "), &[]),
        (Cell::Empty, &[]),
    ];
    for (cell, expected) in cases {
        assert_eq!(list(cell), *expected, "{cell:?}");
    }
}

#[test]
fn region_codes_accept_text_and_integral_numbers() {
    check(
        |cell| region_code(cell).map(|code| code.to_string()),
        &[
            (text_cell("361128"), Ok("361128000000".to_string())),
            (text_cell(" 361128100 "), Ok("361128100000".to_string())),
            (text_cell("361128100201"), Ok("361128100201".to_string())),
            (Cell::Number(361128000000.0), Ok("361128000000".to_string())),
            (Cell::Number(361128.0), Ok("361128000000".to_string())),
            (Cell::Number(3611.5), Err("not a region code")),
            (text_cell("36112"), Err("12 digits")),
            (text_cell("鄱阳县"), Err("digits only")),
            (Cell::Bool(true), Err("expected a region code")),
            (Cell::Empty, Err("empty")),
        ],
    );
}

#[test]
fn integers_accept_text_and_integral_numbers() {
    check(
        integer,
        &[
            (text_cell("12"), Ok(12)),
            (text_cell(" -3 "), Ok(-3)),
            (text_cell("12.0"), Ok(12)),
            (text_cell("2016"), Ok(2016)),
            (Cell::Number(5.0), Ok(5)),
            (Cell::Number(-7.0), Ok(-7)),
            (text_cell("12.5"), Err("not a whole number")),
            (text_cell("12."), Err("not a whole number")),
            (text_cell("十二"), Err("not a whole number")),
            (Cell::Number(5.5), Err("not a whole number")),
            (Cell::Number(1e300), Err("not a whole number")),
            (Cell::Percent(0.5), Err("expected a whole number")),
            (Cell::Empty, Err("empty")),
        ],
    );
}

#[test]
fn text_keeps_ids_typed_into_excel() {
    let cases: &[(Cell, Option<&str>)] = &[
        (text_cell("  H001 "), Some("H001")),
        (text_cell("\u{FEFF}H001"), Some("H001")),
        (text_cell("\u{3000}张三\u{3000}"), Some("张三")),
        (Cell::Number(1001.0), Some("1001")),
        (Cell::Number(361128000000.0), Some("361128000000")),
        (Cell::Number(1234.5), Some("1234.5")),
        (Cell::Percent(0.0435), Some("4.35%")),
        (Cell::Bool(true), Some("true")),
        (Cell::Date(day(2017, 6, 30)), Some("2017-06-30")),
        (text_cell("   "), None),
        (Cell::Empty, None),
        (Cell::Error("#N/A".into()), None),
    ];
    for (cell, expected) in cases {
        assert_eq!(text(cell).as_deref(), *expected, "{cell:?}");
    }
    assert!(
        checked_text(&Cell::Error("#REF!".into())).is_err_and(|message| message.contains("#REF!"))
    );
    assert_eq!(checked_text(&text_cell(" a ")), Ok(Some("a".to_string())));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Head,
    Spouse,
    Child,
}

const RELATIONS: &[(&str, &str, Relation)] = &[
    ("head", "户主", Relation::Head),
    ("spouse", "配偶", Relation::Spouse),
    ("child", "子女", Relation::Child),
];

#[test]
fn enumerations_match_english_or_chinese() {
    check(
        |cell| enumeration(cell, RELATIONS),
        &[
            (text_cell("head"), Ok(Relation::Head)),
            (text_cell("HEAD"), Ok(Relation::Head)),
            (text_cell("户主"), Ok(Relation::Head)),
            (text_cell(" 配偶 "), Ok(Relation::Spouse)),
            (text_cell("Child"), Ok(Relation::Child)),
            (
                text_cell("boss"),
                Err("\"boss\" is not one of: head (户主), spouse (配偶), child (子女)"),
            ),
            (text_cell("户 主"), Err("is not one of")),
            (Cell::Number(1.0), Err("\"1\" is not one of")),
            (Cell::Error("#N/A".into()), Err("#N/A")),
            (Cell::Empty, Err("empty; expected one of: head (户主)")),
        ],
    );
}

#[test]
fn optional_turns_blank_into_none() {
    check(
        |cell| optional(cell, amount).map(|fen| fen.map(|fen| fen.fen())),
        &[
            (Cell::Empty, Ok(None)),
            (text_cell("  "), Ok(None)),
            (text_cell("5"), Ok(Some(500))),
            (text_cell("5万"), Err("not a yuan amount")),
        ],
    );
}
