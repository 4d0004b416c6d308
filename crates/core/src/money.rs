//! Integer money in fen (1/100 yuan).
//!
//! Amounts are never floating point: a yuan string is parsed exactly into fen, and every
//! arithmetic operation is checked so that overflow is an explicit `None`, never a wrap.

use std::fmt;

use thiserror::Error;

/// An amount of money in fen (1/100 yuan). May be negative; callers decide about sign.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Fen(i64);

/// Why a yuan string was refused by [`Fen::parse_yuan`].
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// Nothing but whitespace was given.
    #[error("the amount is empty")]
    Empty,
    /// Characters other than digits, `,`, `.` and a leading `-`, or no digits at all.
    #[error("{input:?}: not a yuan amount (expected digits such as 50000 or 50,000.00)")]
    NotAnAmount {
        /// The trimmed input.
        input: String,
    },
    /// More than two digits after the decimal point.
    #[error("{input:?}: more than two decimal places")]
    TooManyDecimals {
        /// The trimmed input.
        input: String,
    },
    /// A `.` without digits on both sides (`1.`, `.5`, `.`).
    #[error("{input:?}: the decimal point needs digits on both sides")]
    IncompleteDecimal {
        /// The trimmed input.
        input: String,
    },
    /// Thousands separators that do not split the integer part into groups of three.
    #[error("{input:?}: thousands separators must split the yuan into groups of three digits")]
    MisplacedSeparator {
        /// The trimmed input.
        input: String,
    },
    /// The amount does not fit in a 64-bit count of fen.
    #[error("{input:?}: the amount is too large")]
    Overflow {
        /// The trimmed input.
        input: String,
    },
}

const FEN_PER_YUAN: i64 = 100;

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// An amount of `fen` fen.
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Whole yuan converted to fen; `None` on overflow.
    pub fn from_yuan(yuan: i64) -> Option<Fen> {
        yuan.checked_mul(FEN_PER_YUAN).map(Fen)
    }

    /// Parses a yuan amount exactly: `50000`, `50,000.00`, `1234.5`, `0.01`, `-3.20`.
    ///
    /// Surrounding whitespace is trimmed. Strict on purpose, because amounts come from
    /// spreadsheets typed by hand: a leading `+`, `¥`, `万`, exponents, a bare `1.` or `.5`,
    /// more than two decimals and misplaced thousands separators are all refused.
    pub fn parse_yuan(text: &str) -> Result<Fen, MoneyError> {
        let input = text.trim();
        if input.is_empty() {
            return Err(MoneyError::Empty);
        }
        let owned = || input.to_string();
        let (negative, unsigned) = match input.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        if !unsigned
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b',' || byte == b'.')
            || !unsigned.bytes().any(|byte| byte.is_ascii_digit())
        {
            return Err(MoneyError::NotAnAmount { input: owned() });
        }
        let (integer_part, fraction_part) = split_decimal(unsigned, input)?;
        let whole_digits = ungroup_thousands(integer_part)
            .ok_or_else(|| MoneyError::MisplacedSeparator { input: owned() })?;
        let magnitude_fen = digits_to_fen(&whole_digits, fraction_part)
            .ok_or_else(|| MoneyError::Overflow { input: owned() })?;
        let signed_fen = if negative {
            -magnitude_fen
        } else {
            magnitude_fen
        };
        i64::try_from(signed_fen)
            .map(Fen)
            .map_err(|_| MoneyError::Overflow { input: owned() })
    }

    /// Yuan with exactly two decimals and no thousands separators (`50000.00`), for CSV and JSON.
    pub fn to_plain_yuan(self) -> String {
        let (sign, yuan, fen) = self.parts();
        format!("{sign}{yuan}.{fen:02}")
    }

    /// Sum, `None` on overflow.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// Difference, `None` on overflow.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// Negation, `None` for `i64::MIN` fen.
    pub fn checked_neg(self) -> Option<Fen> {
        self.0.checked_neg().map(Fen)
    }

    /// Absolute value, saturating at `i64::MAX` fen for the one value with no positive twin.
    pub fn abs(self) -> Fen {
        Fen(self.0.saturating_abs())
    }

    /// True when strictly above zero.
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// True when strictly below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Total of all amounts, `None` on overflow. (No `Sum` impl: it could not report overflow.)
    pub fn checked_sum<I: IntoIterator<Item = Fen>>(amounts: I) -> Option<Fen> {
        amounts
            .into_iter()
            .try_fold(Fen::ZERO, |total, amount| total.checked_add(amount))
    }

    /// `self × numerator / denominator`, rounded half away from zero to the fen.
    ///
    /// Computed in `i128` so that e.g. principal × rate_ppm × days cannot overflow before the
    /// division. `None` for a zero denominator or a result outside `i64` fen.
    pub fn mul_ratio_half_up(self, numerator: i128, denominator: i128) -> Option<Fen> {
        let product = i128::from(self.0).checked_mul(numerator)?;
        let quotient = product.checked_div(denominator)?;
        let remainder = product.checked_rem(denominator)?;
        let remainder_abs = remainder.unsigned_abs();
        // Round up when the remainder is at least half the denominator; written as a
        // subtraction so that doubling the remainder cannot overflow.
        let rounds_away =
            remainder_abs != 0 && remainder_abs >= denominator.unsigned_abs() - remainder_abs;
        let rounded = if !rounds_away {
            quotient
        } else if (product < 0) == (denominator < 0) {
            quotient.checked_add(1)?
        } else {
            quotient.checked_sub(1)?
        };
        i64::try_from(rounded).ok().map(Fen)
    }

    /// Sign, whole yuan and remaining fen of the magnitude (works for `i64::MIN` too).
    fn parts(self) -> (&'static str, u64, u64) {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        (sign, magnitude / 100, magnitude % 100)
    }
}

/// Splits `unsigned` at the decimal point, validating the fraction's shape.
fn split_decimal<'a>(unsigned: &'a str, input: &str) -> Result<(&'a str, &'a str), MoneyError> {
    let Some((integer_part, fraction_part)) = unsigned.split_once('.') else {
        return Ok((unsigned, ""));
    };
    if fraction_part.contains(['.', ',']) {
        return Err(MoneyError::NotAnAmount {
            input: input.to_string(),
        });
    }
    if integer_part.is_empty() || fraction_part.is_empty() {
        return Err(MoneyError::IncompleteDecimal {
            input: input.to_string(),
        });
    }
    if fraction_part.len() > 2 {
        return Err(MoneyError::TooManyDecimals {
            input: input.to_string(),
        });
    }
    Ok((integer_part, fraction_part))
}

/// The digits of an integer part, without separators, or `None` if separators are misplaced.
///
/// Without commas any run of digits is accepted; with commas the first group has 1–3 digits
/// (not starting with `0`) and every further group exactly 3.
fn ungroup_thousands(integer_part: &str) -> Option<String> {
    if !integer_part.contains(',') {
        return Some(integer_part.to_string());
    }
    let mut groups = integer_part.split(',');
    let first = groups.next()?;
    let first_ok = (1..=3).contains(&first.len()) && !first.starts_with('0');
    let rest_ok = groups.clone().all(|group| group.len() == 3);
    (first_ok && rest_ok).then(|| integer_part.replace(',', ""))
}

/// Magnitude in fen of ASCII digit strings; `None` when it exceeds what `i64` could hold.
fn digits_to_fen(whole_digits: &str, fraction_digits: &str) -> Option<i128> {
    // One past i64::MAX in magnitude is allowed so that i64::MIN can be written out.
    let limit = i128::from(i64::MAX) + 1;
    let mut fen: i128 = 0;
    let padded_fraction = format!("{fraction_digits:0<2}");
    for digit in whole_digits.bytes().chain(padded_fraction.bytes()) {
        fen = fen * 10 + i128::from(digit - b'0');
        if fen > limit {
            return None;
        }
    }
    Some(fen)
}

impl fmt::Display for Fen {
    /// Yuan with thousands separators and exactly two decimals: `50,000.00`, `-1,234.50`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, yuan, fen) = self.parts();
        let digits = yuan.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(formatter, "{sign}{grouped}.{fen:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected_fen: i64) {
        assert_eq!(
            Fen::parse_yuan(input),
            Ok(Fen::new(expected_fen)),
            "input {input:?}"
        );
    }

    fn check_refused(input: &str, message_part: &str) {
        let error = Fen::parse_yuan(input).expect_err(input);
        let message = error.to_string();
        assert!(
            message.contains(message_part),
            "input {input:?}: message {message:?} lacks {message_part:?}"
        );
    }

    #[test]
    fn parses_valid_amounts() {
        let cases = [
            ("50000", 5_000_000),
            ("50,000.00", 5_000_000),
            ("1234.5", 123_450),
            ("0.01", 1),
            ("  12.34 ", 1234),
            ("1,234,567.89", 123_456_789),
            ("-1,234.50", -123_450),
            ("-0.05", -5),
            ("0", 0),
            ("-0", 0),
            ("007", 700),
            ("999", 99_900),
            ("92233720368547758.07", i64::MAX),
            ("-92,233,720,368,547,758.08", i64::MIN),
        ];
        for (input, expected_fen) in cases {
            check(input, expected_fen);
        }
    }

    #[test]
    fn refuses_invalid_amounts() {
        let cases = [
            ("", "the amount is empty"),
            ("   ", "the amount is empty"),
            ("1.234", "\"1.234\": more than two decimal places"),
            ("5万", "\"5万\": not a yuan amount"),
            ("abc", "not a yuan amount"),
            ("1e5", "not a yuan amount"),
            ("¥5", "not a yuan amount"),
            ("+5", "\"+5\": not a yuan amount"),
            ("--5", "not a yuan amount"),
            ("-", "not a yuan amount"),
            (",", "not a yuan amount"),
            ("1 000", "not a yuan amount"),
            ("1.2.3", "not a yuan amount"),
            ("1.2,3", "not a yuan amount"),
            (".", "not a yuan amount"),
            ("1.", "\"1.\": the decimal point needs digits on both sides"),
            (".5", "decimal point needs digits on both sides"),
            ("12,34", "\"12,34\": thousands separators"),
            ("1234,567", "thousands separators"),
            (",123", "thousands separators"),
            ("123,", "thousands separators"),
            ("0,123", "thousands separators"),
            ("1,,234", "thousands separators"),
            ("92233720368547758.08", "the amount is too large"),
            ("-92233720368547758.09", "the amount is too large"),
            ("99999999999999999999999999999999999999999", "too large"),
        ];
        for (input, message_part) in cases {
            check_refused(input, message_part);
        }
    }

    #[test]
    fn displays_with_separators() {
        let cases = [
            (5_000_000, "50,000.00", "50000.00"),
            (-123_450, "-1,234.50", "-1234.50"),
            (5, "0.05", "0.05"),
            (-5, "-0.05", "-0.05"),
            (0, "0.00", "0.00"),
            (100_000, "1,000.00", "1000.00"),
            (99_999, "999.99", "999.99"),
            (
                i64::MIN,
                "-92,233,720,368,547,758.08",
                "-92233720368547758.08",
            ),
        ];
        for (fen, display, plain) in cases {
            assert_eq!(Fen::new(fen).to_string(), display);
            assert_eq!(Fen::new(fen).to_plain_yuan(), plain);
        }
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(Fen::from_yuan(500), Some(Fen::new(50_000)));
        assert_eq!(Fen::from_yuan(i64::MAX), None);
        assert_eq!(Fen::new(3).checked_add(Fen::new(4)), Some(Fen::new(7)));
        assert_eq!(Fen::new(i64::MAX).checked_add(Fen::new(1)), None);
        assert_eq!(Fen::new(3).checked_sub(Fen::new(4)), Some(Fen::new(-1)));
        assert_eq!(Fen::new(i64::MIN).checked_sub(Fen::new(1)), None);
        assert_eq!(Fen::new(5).checked_neg(), Some(Fen::new(-5)));
        assert_eq!(Fen::new(i64::MIN).checked_neg(), None);
        assert_eq!(Fen::new(-5).abs(), Fen::new(5));
        assert!(Fen::new(1).is_positive() && !Fen::ZERO.is_positive());
        assert!(Fen::new(-1).is_negative() && !Fen::ZERO.is_negative());
        assert_eq!(
            Fen::checked_sum([Fen::new(1), Fen::new(2), Fen::new(-4)]),
            Some(Fen::new(-1))
        );
        assert_eq!(Fen::checked_sum([]), Some(Fen::ZERO));
        assert_eq!(Fen::checked_sum([Fen::new(i64::MAX), Fen::new(1)]), None);
    }

    #[test]
    fn mul_ratio_rounds_half_away_from_zero() {
        let cases = [
            // (fen, numerator, denominator, expected)
            (5, 1, 2, Some(3)),
            (-5, 1, 2, Some(-3)),
            (5, -1, 2, Some(-3)),
            (5, 1, -2, Some(-3)),
            (-5, 1, -2, Some(3)),
            (4, 1, 3, Some(1)),
            (5, 1, 3, Some(2)),
            (-5, 1, 3, Some(-2)),
            (10, 1, 4, Some(3)),
            (6, 1, 4, Some(2)),
            (7, 1, 4, Some(2)),
            (100, 3, 1, Some(300)),
            (0, 7, 9, Some(0)),
            (1, 1, 0, None),
            (i64::MAX, 2, 1, None),
            (i64::MAX, 2, 2, Some(i64::MAX)),
            (i64::MIN, 1, 1, Some(i64::MIN)),
            (1, i128::MAX, i128::MAX, Some(1)),
            (1, i128::MIN, i128::MIN, Some(1)),
            (-1, i128::MIN, 1, None),
            // 50,000 yuan at 4.75 % for 30 days: 5_000_000 × 47_500 × 30 / (1_000_000 × 360)
            // = 19_791.666… fen → 19_792 fen.
            (5_000_000, 47_500 * 30, 1_000_000 * 360, Some(19_792)),
            // 50,000 yuan at 4.75 % for 360 days is exactly 2,375.00 yuan.
            (5_000_000, 47_500 * 360, 1_000_000 * 360, Some(237_500)),
        ];
        for (fen, numerator, denominator, expected) in cases {
            assert_eq!(
                Fen::new(fen).mul_ratio_half_up(numerator, denominator),
                expected.map(Fen::new),
                "{fen} × {numerator} / {denominator}"
            );
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(fen in any::<i64>()) {
            let amount = Fen::new(fen);
            prop_assert_eq!(Fen::parse_yuan(&amount.to_string()), Ok(amount));
            prop_assert_eq!(Fen::parse_yuan(&amount.to_plain_yuan()), Ok(amount));
        }

        #[test]
        fn small_amounts_round_trip(fen in -10_000_000i64..10_000_000) {
            let amount = Fen::new(fen);
            prop_assert_eq!(Fen::parse_yuan(&amount.to_string()), Ok(amount));
            prop_assert_eq!(Fen::parse_yuan(&amount.to_plain_yuan()), Ok(amount));
        }

        #[test]
        fn mul_ratio_matches_float_within_rounding(
            fen in -1_000_000_000i64..1_000_000_000,
            numerator in 1i128..1_000_000,
            denominator in 1i128..1_000_000,
        ) {
            let result = Fen::new(fen).mul_ratio_half_up(numerator, denominator);
            let exact = i128::from(fen) * numerator;
            let result = i128::from(result.map(Fen::fen).unwrap_or_default());
            // |result × d − exact| ≤ d / 2: the result is the nearest fen.
            prop_assert!(2 * (result * denominator - exact).abs() <= denominator);
        }
    }
}
