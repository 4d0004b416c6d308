//! Exact annual interest rates.
//!
//! A rate is an integer number of parts per million of principal per year (ppm), so every
//! percentage with up to four decimals — including the 1.1× and 1.3× caps on benchmark rates —
//! is represented exactly and compared without floating point.

use std::fmt;

use rust_decimal::Decimal;
use thiserror::Error;

/// An annual percentage rate in ppm: 1 ppm = 0.0001 %, so 4.75 % = 47_500 ppm.
///
/// [`Rate::parse_percent`] and [`Rate::checked_mul_decimal`] only produce rates within
/// 0 %..=100 %; [`Rate::from_ppm`] takes any value on trust.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Rate(i64);

/// Why a rate was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RateError {
    /// Nothing but whitespace (and perhaps a `%`) was given.
    #[error("the rate is empty")]
    Empty,
    /// Not a plain decimal percentage.
    #[error("{input:?}: not a percentage (expected a number such as 4.35 or 4.35%)")]
    NotAPercent {
        /// The trimmed input.
        input: String,
    },
    /// More than four digits after the decimal point.
    #[error("{input:?}: more than four decimal places of percent")]
    TooManyDecimals {
        /// The trimmed input.
        input: String,
    },
    /// A rate below zero.
    #[error("{input:?}: a rate cannot be negative")]
    Negative {
        /// The trimmed input, or the computed rate.
        input: String,
    },
    /// A rate above 100 %.
    #[error("{input:?}: a rate cannot exceed 100%")]
    AboveHundredPercent {
        /// The trimmed input, or the computed rate.
        input: String,
    },
    /// A product that would need rounding to fit four decimals of percent.
    #[error("{rate} × {factor} is not exact to four decimal places of percent")]
    Inexact {
        /// The rate multiplied.
        rate: Rate,
        /// The factor it was multiplied by.
        factor: Decimal,
    },
}

/// ppm in one percent.
const PPM_PER_PERCENT: i64 = 10_000;
/// 100 % in ppm.
const HUNDRED_PERCENT_PPM: i64 = 1_000_000;
/// Decimal places of percent a rate carries.
const PERCENT_DECIMALS: usize = 4;

impl Rate {
    /// 0 %.
    pub const ZERO: Rate = Rate(0);

    /// A rate of `ppm` parts per million per year (4.75 % = 47_500).
    pub const fn from_ppm(ppm: i64) -> Rate {
        Rate(ppm)
    }

    /// The rate in parts per million per year.
    pub const fn ppm(self) -> i64 {
        self.0
    }

    /// Parses an annual percentage: `4.35`, `4.35%`, `4.3500 %`, `0`.
    ///
    /// Strict like amounts: up to four decimals, no sign, no bare `4.` or `.5`, 0 %..=100 %.
    pub fn parse_percent(text: &str) -> Result<Rate, RateError> {
        let input = text.trim();
        let number = input.strip_suffix('%').unwrap_or(input).trim_end();
        if number.is_empty() {
            return Err(RateError::Empty);
        }
        let owned = || input.to_string();
        let (negative, unsigned) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        let (whole_digits, fraction_digits) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let is_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        // A `.` needs digits on both sides: `4.` and `.5` are refused like amounts are.
        let well_formed = !whole_digits.is_empty()
            && is_digits(whole_digits)
            && is_digits(fraction_digits)
            && (!fraction_digits.is_empty() || !unsigned.contains('.'));
        if !well_formed {
            return Err(RateError::NotAPercent { input: owned() });
        }
        if negative {
            return Err(RateError::Negative { input: owned() });
        }
        if fraction_digits.len() > PERCENT_DECIMALS {
            return Err(RateError::TooManyDecimals { input: owned() });
        }
        let ppm = digits_to_ppm(whole_digits, fraction_digits)
            .filter(|ppm| *ppm <= HUNDRED_PERCENT_PPM)
            .ok_or_else(|| RateError::AboveHundredPercent { input: owned() })?;
        Ok(Rate(ppm))
    }

    /// The rate multiplied by `factor` (e.g. 1.1 for a 10 % mark-up), exactly.
    ///
    /// Refused — never rounded — when the product needs more than four decimals of percent;
    /// also refused when negative or above 100 %.
    pub fn checked_mul_decimal(self, factor: Decimal) -> Result<Rate, RateError> {
        let inexact = || RateError::Inexact { rate: self, factor };
        // Exact integer arithmetic on the decimal's mantissa: Decimal multiplication itself
        // may round away digits beyond its 28-digit precision, which would hide inexactness.
        let factor_normal = factor.normalize();
        let scale_divisor = 10_i128.pow(factor_normal.scale());
        let scaled_product = i128::from(self.0)
            .checked_mul(factor_normal.mantissa())
            .ok_or_else(inexact)?;
        if scaled_product % scale_divisor != 0 {
            return Err(inexact());
        }
        let product_ppm = scaled_product / scale_divisor;
        let described = || format!("{}%", percent_text(product_ppm));
        if product_ppm < 0 {
            return Err(RateError::Negative { input: described() });
        }
        if product_ppm > i128::from(HUNDRED_PERCENT_PPM) {
            return Err(RateError::AboveHundredPercent { input: described() });
        }
        // Within 0..=1_000_000 after the checks above, so the conversion cannot fail.
        i64::try_from(product_ppm).map(Rate).map_err(|_| inexact())
    }

    /// The rate as a fraction of principal per year: 0.0475 for 4.75 %.
    pub fn as_decimal_fraction(self) -> Decimal {
        Decimal::new(self.0, 6).normalize()
    }

    /// The rate in percent: 4.75 for 4.75 %.
    pub fn as_percent_decimal(self) -> Decimal {
        Decimal::new(self.0, 4).normalize()
    }

    /// Percent without the `%` sign, trailing zeros trimmed but at least two decimals:
    /// `4.75`, `5.225`, `4.00`.
    pub fn to_percent_string(self) -> String {
        percent_text(i128::from(self.0))
    }
}

/// Percent digits of a ppm value, trailing zeros trimmed to at least two decimals.
fn percent_text(ppm: i128) -> String {
    let sign = if ppm < 0 { "-" } else { "" };
    let magnitude = ppm.unsigned_abs();
    let per_percent = u128::from(PPM_PER_PERCENT.unsigned_abs());
    let whole = magnitude / per_percent;
    let fraction_digits = format!("{:04}", magnitude % per_percent);
    let trimmed = fraction_digits.trim_end_matches('0');
    format!("{sign}{whole}.{trimmed:0<2}")
}

/// ppm of ASCII digit strings (whole percent, ≤ 4 decimals); `None` if absurdly large.
fn digits_to_ppm(whole_digits: &str, fraction_digits: &str) -> Option<i64> {
    let padded_fraction = format!("{fraction_digits:0<4}");
    let mut ppm: i64 = 0;
    for digit in whole_digits.bytes().chain(padded_fraction.bytes()) {
        ppm = ppm.checked_mul(10)?.checked_add(i64::from(digit - b'0'))?;
    }
    Some(ppm)
}

impl fmt::Display for Rate {
    /// Percent with at least two decimals and the sign: `4.75%`, `5.225%`, `4.00%`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}%", self.to_percent_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected_ppm: i64) {
        assert_eq!(
            Rate::parse_percent(input),
            Ok(Rate::from_ppm(expected_ppm)),
            "input {input:?}"
        );
    }

    fn check_refused(input: &str, message_part: &str) {
        let message = Rate::parse_percent(input).expect_err(input).to_string();
        assert!(
            message.contains(message_part),
            "input {input:?}: message {message:?} lacks {message_part:?}"
        );
    }

    #[test]
    fn parses_valid_rates() {
        let cases = [
            ("4.35", 43_500),
            ("4.35%", 43_500),
            ("4.3500 %", 43_500),
            (" 4.75 ", 47_500),
            ("0", 0),
            ("0%", 0),
            ("5.225", 52_250),
            ("0.0001", 1),
            ("100", 1_000_000),
            ("100.0000%", 1_000_000),
            ("007.5", 75_000),
        ];
        for (input, expected_ppm) in cases {
            check(input, expected_ppm);
        }
    }

    #[test]
    fn refuses_invalid_rates() {
        let cases = [
            ("", "the rate is empty"),
            (" % ", "the rate is empty"),
            ("4.35001", "\"4.35001\": more than four decimal places"),
            ("-1", "\"-1\": a rate cannot be negative"),
            ("-0.5%", "cannot be negative"),
            ("-", "not a percentage"),
            ("abc", "\"abc\": not a percentage"),
            ("4,35", "not a percentage"),
            ("4.", "not a percentage"),
            (".5", "not a percentage"),
            ("+4", "not a percentage"),
            ("1e2", "not a percentage"),
            ("4.3.5", "not a percentage"),
            ("4%%", "not a percentage"),
            ("百分之四", "not a percentage"),
            ("100.0001", "\"100.0001\": a rate cannot exceed 100%"),
            ("99999999999999999999999", "cannot exceed 100%"),
        ];
        for (input, message_part) in cases {
            check_refused(input, message_part);
        }
    }

    #[test]
    fn displays_percent() {
        let cases = [
            (47_500, "4.75%"),
            (52_250, "5.225%"),
            (40_000, "4.00%"),
            (0, "0.00%"),
            (1, "0.0001%"),
            (1_000_000, "100.00%"),
            (43_510, "4.351%"),
        ];
        for (ppm, expected) in cases {
            assert_eq!(Rate::from_ppm(ppm).to_string(), expected);
            assert_eq!(
                Rate::from_ppm(ppm).to_percent_string(),
                expected.trim_end_matches('%')
            );
        }
    }

    #[test]
    fn multiplies_exactly_or_refuses() {
        let factor = |text: &str| text.parse::<Decimal>().expect(text);
        let four_seventy_five = Rate::from_ppm(47_500);
        assert_eq!(
            four_seventy_five.checked_mul_decimal(factor("1.1")),
            Ok(Rate::from_ppm(52_250))
        );
        assert_eq!(
            four_seventy_five.checked_mul_decimal(factor("1.3")),
            Ok(Rate::from_ppm(61_750))
        );
        assert_eq!(
            Rate::from_ppm(43_500).checked_mul_decimal(factor("1")),
            Ok(Rate::from_ppm(43_500))
        );
        let inexact = Rate::from_ppm(1)
            .checked_mul_decimal(factor("1.1"))
            .expect_err("inexact");
        assert!(
            inexact
                .to_string()
                .contains("0.0001% × 1.1 is not exact to four decimal places")
        );
        let negative = four_seventy_five
            .checked_mul_decimal(factor("-1"))
            .expect_err("negative");
        assert!(
            negative
                .to_string()
                .contains("\"-4.75%\": a rate cannot be negative")
        );
        let large = four_seventy_five
            .checked_mul_decimal(factor("30"))
            .expect_err("above 100 %");
        assert!(large.to_string().contains("cannot exceed 100%"));
        // Decimal multiplication would round this product to exactly 100 %; the check must not.
        let hidden_digits =
            Rate::from_ppm(1_000_000).checked_mul_decimal(factor("1.0000000000000000000000000001"));
        assert!(matches!(hidden_digits, Err(RateError::Inexact { .. })));
        assert_eq!(
            Rate::from_ppm(40_000).checked_mul_decimal(factor("1.30")),
            Ok(Rate::from_ppm(52_000))
        );
        assert_eq!(Rate::ZERO.checked_mul_decimal(factor("-1")), Ok(Rate::ZERO));
    }

    #[test]
    fn decimal_views() {
        let rate = Rate::from_ppm(47_500);
        assert_eq!(rate.as_decimal_fraction().to_string(), "0.0475");
        assert_eq!(rate.as_percent_decimal().to_string(), "4.75");
        assert_eq!(
            Rate::from_ppm(52_250).as_percent_decimal().to_string(),
            "5.225"
        );
        assert_eq!(Rate::ZERO.as_decimal_fraction(), Decimal::ZERO);
        assert_eq!(rate.min(Rate::from_ppm(43_500)), Rate::from_ppm(43_500));
    }

    proptest! {
        #[test]
        fn display_round_trips(ppm in 0i64..=1_000_000) {
            let rate = Rate::from_ppm(ppm);
            prop_assert_eq!(Rate::parse_percent(&rate.to_string()), Ok(rate));
            prop_assert_eq!(Rate::parse_percent(&rate.to_percent_string()), Ok(rate));
            let via_decimal = Rate::parse_percent(&rate.as_percent_decimal().to_string());
            prop_assert_eq!(via_decimal, Ok(rate));
        }
    }
}
