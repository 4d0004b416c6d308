//! Hostile input to every parser of the core types (stable-Rust mirrors of the `fuzz/`
//! targets): arbitrary text never panics, every refusal is an error that says something, and
//! what parses prints back to itself.

use fupin_core::date::{Month, Quarter};
use fupin_core::formula::{Expr, FORMULA_CHARS_MAX, OPERATORS_MAX};
use fupin_core::returns::Expression;
use fupin_core::{BusinessDate, CreditCode, Fen, Rate, RegionCode, RegionLevel, ResidentId};
use proptest::prelude::*;

fn today() -> BusinessDate {
    BusinessDate::from_ymd(2018, 1, 5).expect("date")
}

/// Text a hostile or careless user might type: digits, separators, signs, full-width forms,
/// Chinese units, whitespace of every kind, and control characters.
fn typed_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "0",
            "1",
            "5",
            "9",
            ".",
            ",",
            "-",
            "+",
            "%",
            "％",
            "万",
            "元",
            "e",
            "E",
            "x",
            " ",
            "\u{3000}",
            "\t",
            "\n",
            "\r",
            "\u{feff}",
            "\u{0}",
            "\u{202e}",
            "１",
            "２",
            "．",
            "，",
            "X",
            "x",
            "/",
            ":",
            "T",
            "Z",
            "9999999999999999999999",
            "0000",
            "(",
            ")",
            "=",
            "@",
            "NaN",
            "inf",
        ]),
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), typed_text(), "\\PC{0,40}"]
}

/// Tokens of the formula language and of rule expressions, shuffled into mostly-wrong formulas.
fn formula_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "loans.balance",
            "returns.loans_total",
            "base",
            "city",
            "pct",
            "(",
            ")",
            "[",
            "]",
            ",",
            "+",
            "-",
            "*",
            "/",
            "1",
            "0",
            "100",
            "0.5",
            "1e9",
            " ",
            "poverty_rate",
            "registry.households",
            "[tea]",
            "((",
            "))",
            "--",
            "ÿ",
            "一",
            "\u{0}",
            "99999999999999999999999999999999",
        ]),
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(2048) })]

    #[test]
    fn amounts_never_panic_and_round_trip(text in any_text()) {
        match Fen::parse_yuan(&text) {
            Ok(fen) => prop_assert_eq!(Fen::parse_yuan(&fen.to_plain_yuan()), Ok(fen)),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn every_fen_prints_and_parses_back(fen in any::<i64>()) {
        let fen = Fen::new(fen);
        prop_assert_eq!(Fen::parse_yuan(&fen.to_plain_yuan()), Ok(fen));
    }

    #[test]
    fn rates_never_panic(text in any_text()) {
        match Rate::parse_percent(&text) {
            Ok(rate) => prop_assert_eq!(Rate::parse_percent(&rate.to_string()), Ok(rate)),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn dates_months_and_quarters_never_panic(text in any_text()) {
        if let Ok(date) = BusinessDate::parse(&text) {
            prop_assert_eq!(BusinessDate::parse(&date.to_string()), Ok(date));
        }
        if let Ok(month) = Month::parse(&text) {
            prop_assert_eq!(Month::parse(&month.to_string()), Ok(month));
        }
        if let Ok(quarter) = Quarter::parse(&text) {
            prop_assert_eq!(Quarter::parse(&quarter.to_string()), Ok(quarter));
        }
    }

    #[test]
    fn region_codes_never_panic(text in any_text()) {
        if let Ok(code) = RegionCode::parse(&text) {
            prop_assert_eq!(RegionCode::parse(&code.to_string()), Ok(code));
        }
        let _ = RegionLevel::parse(&text);
    }

    #[test]
    fn resident_ids_never_panic_and_errors_are_masked(text in prop_oneof![any_text(), "[0-9]{17}[0-9Xx]", "[0-9]{15}", "[0-9xX]{0,20}"]) {
        match ResidentId::parse(&text, today()) {
            Ok(id) => {
                prop_assert_eq!(ResidentId::parse(id.as_str(), today()).map(|i| i.as_str().to_string()), Ok(id.as_str().to_string()));
                prop_assert!(id.birth_date() <= today());
            }
            Err(error) => {
                let message = error.to_string();
                let digits: String = text.trim().chars().filter(char::is_ascii_digit).collect();
                // A full number never appears in a refusal: errors are shown and logged.
                prop_assert!(digits.len() < 15 || !message.contains(&digits), "{message}");
            }
        }
    }

    #[test]
    fn credit_codes_never_panic(text in prop_oneof![any_text(), "[0-9A-HJ-NPQRTUWXY]{18}", "[0-9A-Z]{0,20}"]) {
        if let Ok(code) = CreditCode::parse(&text) {
            prop_assert!(code.has_valid_check());
            prop_assert_eq!(CreditCode::parse(&code.to_string()).map(|c| c.to_string()), Ok(code.to_string()));
        }
        let _ = CreditCode::parse_overriding_check(&text);
    }

    #[test]
    fn formulas_never_panic(text in prop_oneof![formula_text(), any_text()]) {
        match Expr::parse(&text) {
            Ok(expr) => {
                // Whatever parses can be walked and evaluated without panicking.
                let _ = expr.names();
                let _ = expr.leaves();
                let _ = expr.evaluate(&|_| Some(rust_decimal::Decimal::MAX));
                let _ = expr.evaluate(&|_| Some(rust_decimal::Decimal::ZERO));
            }
            Err(error) => prop_assert!(error.to_string().contains("formula")),
        }
    }

    #[test]
    fn rule_expressions_never_panic(text in prop_oneof![formula_text(), any_text()]) {
        if let Ok(expression) = Expression::parse(&text) {
            let _ = expression.to_string();
        }
    }
}

#[test]
fn formulas_nested_or_long_beyond_the_limits_are_refused_not_overflowed() {
    for (name, text) in [
        (
            "parentheses",
            format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        ),
        ("minus signs", format!("{}1", "-".repeat(1_999))),
        (
            "functions",
            format!("{}1{}", "base(".repeat(1_000), ")".repeat(1_000)),
        ),
        ("too long", vec!["1"; FORMULA_CHARS_MAX].join("+")),
        ("too many operators", vec!["1"; OPERATORS_MAX + 2].join("*")),
        ("unclosed", "(".repeat(70)),
        (
            "deep but short",
            format!("{}1{}", "(".repeat(65), ")".repeat(65)),
        ),
    ] {
        let refused = Expr::parse(&text).expect_err(name);
        assert!(!refused.message.is_empty(), "{name}");
    }
    // The longest legal chain parses, evaluates and drops.
    let chain = vec!["1"; OPERATORS_MAX + 1].join("+");
    let expr = Expr::parse(&chain).expect("the longest chain");
    assert_eq!(
        expr.evaluate(&|_| None),
        Some(rust_decimal::Decimal::from(OPERATORS_MAX + 1))
    );
}
