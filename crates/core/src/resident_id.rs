//! Resident identity numbers (公民身份号码), GB 11643-1999.
//!
//! 18 characters `AAAAAA YYYYMMDD SSS C`: address code, birth date, sequence (odd 17th digit for
//! men), and an ISO 7064 MOD 11-2 check character. The full number is personal data, so
//! `Debug` and every error message show it masked.

use std::fmt;

use chrono::NaiveDate;
use thiserror::Error;

use crate::date::{BusinessDate, MIN_YEAR};

/// Length of a current (second-generation) number.
const ID_LENGTH: usize = 18;
/// Length of a pre-1999 number: no century digits and no check character.
const LEGACY_ID_LENGTH: usize = 15;
/// MOD 11-2 weights: W_i = 2^(17−i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of (Σ a_i·W_i) mod 11.
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A validated 18-character resident identity number (a trailing `x` normalised to `X`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// Sex as encoded by the parity of the 17th digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Sex {
    /// Odd 17th digit.
    Male,
    /// Even 17th digit.
    Female,
}

/// Why an identity number was refused. Numbers appear masked (`1101**********002X`).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ResidentIdError {
    /// Nothing but whitespace was given.
    #[error("the identity number is empty")]
    Empty,
    /// Neither 18 nor 15 characters.
    #[error(
        "{masked:?}: an identity number has 18 characters (or 15 for old numbers), not {length}"
    )]
    WrongLength {
        /// The input, masked.
        masked: String,
        /// Its length in characters.
        length: usize,
    },
    /// A character that may not appear at its position.
    #[error("{masked:?}: character {position} must be {expected}")]
    InvalidCharacter {
        /// The input, masked.
        masked: String,
        /// 1-based position of the offending character.
        position: usize,
        /// What is allowed there: `a digit` or `a digit or X`.
        expected: &'static str,
    },
    /// The 18th character does not match the other 17 (usually a typing error).
    #[error("{masked:?}: check character is {found}, expected {expected}")]
    BadCheckCharacter {
        /// The input, masked.
        masked: String,
        /// The check character given.
        found: char,
        /// The check character the first 17 digits require.
        expected: char,
    },
    /// The address code has province part `00`.
    #[error("{masked:?}: the address code (first 6 digits) has no province")]
    InvalidAddressCode {
        /// The input, masked.
        masked: String,
    },
    /// Birth-date digits that do not form a calendar date.
    #[error("{masked:?}: the birth date (characters 7–14) is not a real calendar date")]
    ImpossibleBirthDate {
        /// The input, masked.
        masked: String,
    },
    /// A birth date before 1900-01-01.
    #[error("{masked:?}: the birth date (characters 7–14) is before 1900-01-01")]
    BirthDateTooEarly {
        /// The input, masked.
        masked: String,
    },
    /// A birth date after the day of checking.
    #[error("{masked:?}: the birth date (characters 7–14) is after {today}")]
    BirthDateInFuture {
        /// The input, masked.
        masked: String,
        /// The day the number was checked on.
        today: BusinessDate,
    },
}

impl ResidentId {
    /// Parses and validates an 18-digit number, or converts a 15-digit legacy one.
    ///
    /// `today` bounds the birth date (no clock is read here). The address code is only checked
    /// for a non-zero province: the caller checks it against its table of known regions.
    pub fn parse(text: &str, today: BusinessDate) -> Result<ResidentId, ResidentIdError> {
        let input = text.trim();
        let characters: Vec<char> = input.chars().collect();
        let body = match characters.len() {
            0 => return Err(ResidentIdError::Empty),
            ID_LENGTH => parse_current(input, &characters)?,
            LEGACY_ID_LENGTH => parse_legacy(input, &characters)?,
            length => {
                return Err(ResidentIdError::WrongLength {
                    masked: mask(input),
                    length,
                });
            }
        };
        if body.starts_with("00") {
            return Err(ResidentIdError::InvalidAddressCode {
                masked: mask(input),
            });
        }
        birth_date_of(&body, input, today)?;
        Ok(ResidentId(body))
    }

    /// The birth date (characters 7–14).
    pub fn birth_date(&self) -> BusinessDate {
        // `parse` only builds values whose birth date is a valid business date.
        digits_to_date(&self.0[6..14]).expect("birth date validated in parse")
    }

    /// Sex from the parity of the 17th digit.
    pub fn sex(&self) -> Sex {
        let sequence_digit = self.0.as_bytes()[16] - b'0';
        if sequence_digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The address code of registration at issue (first 6 digits).
    pub fn address_code(&self) -> &str {
        &self.0[..6]
    }

    /// Age in completed years on `date` (negative if `date` is before the birth date).
    ///
    /// Someone born on 29 February becomes a year older on 1 March in common years.
    pub fn age_on(&self, date: BusinessDate) -> i32 {
        let birth = self.birth_date();
        let years = date.year() - birth.year();
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            years - 1
        } else {
            years
        }
    }

    /// The full 18 characters. Personal data: do not log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First and last four characters with `*` between: `3611**********1234`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for ResidentId {
    /// Masked, so that logging a value never reveals the number.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "ResidentId({})", self.masked())
    }
}

impl Sex {
    /// `male` or `female`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The MOD 11-2 check character for 17 ASCII digits; `None` if `first17` is anything else.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != WEIGHTS.len() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    // sum % 11 is below 11, the table's length.
    Some(CHECK_CHARACTERS[(sum % 11) as usize])
}

/// Validates an 18-character number's characters and check; returns it normalised.
fn parse_current(input: &str, characters: &[char]) -> Result<String, ResidentIdError> {
    require_digits(input, &characters[..17])?;
    let found = characters[17].to_ascii_uppercase();
    if !(found.is_ascii_digit() || found == 'X') {
        return Err(ResidentIdError::InvalidCharacter {
            masked: mask(input),
            position: ID_LENGTH,
            expected: "a digit or X",
        });
    }
    // All 18 characters are ASCII now, so byte slicing is safe.
    let first17 = &input[..17];
    let expected = check_character(first17).expect("17 ASCII digits checked above");
    if found != expected {
        return Err(ResidentIdError::BadCheckCharacter {
            masked: mask(input),
            found,
            expected,
        });
    }
    Ok(format!("{first17}{found}"))
}

/// Converts a 15-digit number (`AAAAAA YYMMDD SSS`, born 19YY) to 18 characters.
fn parse_legacy(input: &str, characters: &[char]) -> Result<String, ResidentIdError> {
    require_digits(input, characters)?;
    let first17 = format!("{}19{}", &input[..6], &input[6..]);
    let check = check_character(&first17).expect("15 digits checked, plus \"19\"");
    Ok(format!("{first17}{check}"))
}

fn require_digits(input: &str, characters: &[char]) -> Result<(), ResidentIdError> {
    match characters
        .iter()
        .position(|character| !character.is_ascii_digit())
    {
        Some(index) => Err(ResidentIdError::InvalidCharacter {
            masked: mask(input),
            position: index + 1,
            expected: "a digit",
        }),
        None => Ok(()),
    }
}

/// Validates the birth date of a normalised 18-character body against `today`.
fn birth_date_of(
    body: &str,
    input: &str,
    today: BusinessDate,
) -> Result<BusinessDate, ResidentIdError> {
    let masked = || mask(input);
    // The body is all ASCII digits here, so these parses cannot fail; 0 would be refused below.
    let digits = &body[6..14];
    let year: i32 = digits[..4].parse().unwrap_or_default();
    let month: u32 = digits[4..6].parse().unwrap_or_default();
    let day: u32 = digits[6..].parse().unwrap_or_default();
    let Some(naive) = NaiveDate::from_ymd_opt(year, month, day) else {
        return Err(ResidentIdError::ImpossibleBirthDate { masked: masked() });
    };
    if year < MIN_YEAR {
        return Err(ResidentIdError::BirthDateTooEarly { masked: masked() });
    }
    if naive > today.naive() {
        return Err(ResidentIdError::BirthDateInFuture {
            masked: masked(),
            today,
        });
    }
    // Between 1900-01-01 and `today`, itself a business date, so always in range.
    BusinessDate::from_naive(naive).ok_or(ResidentIdError::BirthDateTooEarly { masked: masked() })
}

/// `YYYYMMDD` digits as a business date.
fn digits_to_date(digits: &str) -> Option<BusinessDate> {
    let year = digits.get(..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    BusinessDate::from_ymd(year, month, day)
}

/// Keeps the first and last four characters of long inputs and hides everything else.
///
/// Inputs under 12 characters are hidden entirely, so at least four characters stay hidden.
pub fn mask(text: &str) -> String {
    let characters: Vec<char> = text.chars().collect();
    let length = characters.len();
    if length < 12 {
        return "*".repeat(length);
    }
    let head: String = characters[..4].iter().collect();
    let tail: String = characters[length - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(length - 8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> BusinessDate {
        BusinessDate::from_ymd(2024, 6, 30).expect("valid date")
    }

    fn date(year: i32, month: u32, day: u32) -> BusinessDate {
        BusinessDate::from_ymd(year, month, day).expect("valid date")
    }

    fn check(input: &str, normalised: &str, birth: (i32, u32, u32), sex: Sex) {
        let id = ResidentId::parse(input, today()).expect(input);
        assert_eq!(id.as_str(), normalised, "input {input}");
        let (year, month, day) = birth;
        assert_eq!(id.birth_date(), date(year, month, day), "input {input}");
        assert_eq!(id.sex(), sex, "input {input}");
    }

    fn check_refused(input: &str, message_part: &str) {
        let message = ResidentId::parse(input, today())
            .expect_err(input)
            .to_string();
        assert!(
            message.contains(message_part),
            "input {input:?}: message {message:?} lacks {message_part:?}"
        );
    }

    #[test]
    fn verified_vectors_pass() {
        let cases = [
            (
                "11010519491231002X",
                "11010519491231002X",
                (1949, 12, 31),
                Sex::Female,
            ),
            (
                "11010519491231002x",
                "11010519491231002X",
                (1949, 12, 31),
                Sex::Female,
            ),
            (
                "110101202311012176",
                "110101202311012176",
                (2023, 11, 1),
                Sex::Male,
            ),
            (
                " 110101202311012176 ",
                "110101202311012176",
                (2023, 11, 1),
                Sex::Male,
            ),
            // 15-digit legacy form of the standard's example: 19 inserted, check computed.
            (
                "110105491231002",
                "11010519491231002X",
                (1949, 12, 31),
                Sex::Female,
            ),
        ];
        for (input, normalised, birth, sex) in cases {
            check(input, normalised, birth, sex);
        }
        // The third vector, 440524188001010014, has a valid check character (see
        // `check_characters_of_vectors`) but is refused for its 1880 birth date.
    }

    #[test]
    fn check_characters_of_vectors() {
        let cases = [
            ("11010519491231002", Some('X')),
            ("44052418800101001", Some('4')),
            ("11010120231101217", Some('6')),
            ("1101012023110121", None),
            ("110101202311012170", None),
            ("1101012023110121a", None),
        ];
        for (first17, expected) in cases {
            assert_eq!(check_character(first17), expected, "{first17}");
        }
    }

    #[test]
    fn refuses_invalid_numbers() {
        let cases = [
            ("", "the identity number is empty"),
            (
                "1101051949123100",
                "\"1101********3100\": an identity number has 18 characters",
            ),
            ("11010519491231002XX", "not 19"),
            ("1234", "\"****\": an identity number has 18 characters"),
            (
                "110105194912310025",
                "\"1101**********0025\": check character is 5, expected X",
            ),
            ("11010519491231002Y", "character 18 must be a digit or X"),
            (
                "1101051949A231002X",
                "\"1101**********002X\": character 11 must be a digit",
            ),
            ("11010519491231002１", "character 18 must be a digit or X"),
            ("11010549123100A", "character 15 must be a digit"),
            (
                "000105194912310024",
                "the address code (first 6 digits) has no province",
            ),
            ("000105491231002", "has no province"),
            (
                "110105194902300020",
                "the birth date (characters 7–14) is not a real calendar date",
            ),
            ("110105491331002", "not a real calendar date"),
            (
                "440524189912310012",
                "the birth date (characters 7–14) is before 1900-01-01",
            ),
            ("440524188001010014", "before 1900-01-01"),
            (
                "110101202407012170",
                "the birth date (characters 7–14) is after 2024-06-30",
            ),
        ];
        for (input, message_part) in cases {
            check_refused(input, message_part);
        }
    }

    #[test]
    fn error_messages_never_show_the_full_number() {
        let inputs = [
            "110105194912310025",
            "11010519491231002Y",
            "110105194902300020",
            "110101202407012170",
            "000105194912310024",
            "1101051949123100",
        ];
        for input in inputs {
            let error = ResidentId::parse(input, today()).expect_err(input);
            assert!(!error.to_string().contains(input), "{error}");
            assert!(!format!("{error:?}").contains(input), "{error:?}");
        }
    }

    #[test]
    fn accessors() {
        let id = ResidentId::parse("11010519491231002X", today()).expect("valid");
        assert_eq!(id.address_code(), "110105");
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "ResidentId(1101**********002X)");
        assert_eq!(id.sex().as_str(), "female");
        assert_eq!(Sex::Male.to_string(), "male");
        let ages = [
            ((2017, 12, 30), 67),
            ((2017, 12, 31), 68),
            ((1949, 12, 31), 0),
            ((1949, 12, 30), -1),
        ];
        for ((year, month, day), age) in ages {
            assert_eq!(id.age_on(date(year, month, day)), age);
        }
        let leap = ResidentId::parse(&with_check("11010520000229001"), today()).expect("leap");
        assert_eq!(leap.age_on(date(2001, 2, 28)), 0);
        assert_eq!(leap.age_on(date(2001, 3, 1)), 1);
        assert_eq!(leap.age_on(date(2004, 2, 29)), 4);
    }

    fn with_check(first17: &str) -> String {
        let check = check_character(first17).expect("17 digits");
        format!("{first17}{check}")
    }

    /// A valid number: province 11..=65, four more address digits, a date up to `today`.
    fn any_valid_id() -> impl Strategy<Value = (String, BusinessDate, Sex)> {
        let first_day = date(1900, 1, 1);
        let span_days = first_day.days_until(today());
        (11u32..=65, 0u32..=9999, 0..=span_days, 0u32..=999).prop_map(
            move |(province, address, offset_days, sequence)| {
                let birth = first_day.add_days(offset_days).expect("in range");
                let first17 = format!(
                    "{province:02}{address:04}{}{sequence:03}",
                    birth.naive().format("%Y%m%d")
                );
                let sex = if sequence % 2 == 1 {
                    Sex::Male
                } else {
                    Sex::Female
                };
                (with_check(&first17), birth, sex)
            },
        )
    }

    proptest! {
        #[test]
        fn generated_numbers_parse((number, birth, sex) in any_valid_id()) {
            let id = ResidentId::parse(&number, today()).expect("generated valid");
            prop_assert_eq!(id.as_str(), number.as_str());
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.sex(), sex);
            prop_assert_eq!(id.masked().chars().count(), 18);
            prop_assert_eq!(ResidentId::parse(&number.to_lowercase(), today()), Ok(id));
        }

        #[test]
        fn wrong_check_character_is_refused(
            (number, _birth, _sex) in any_valid_id(),
            replacement_index in 0usize..11,
        ) {
            let valid_check = number.chars().last().expect("18 characters");
            let replacement = CHECK_CHARACTERS[replacement_index];
            prop_assume!(replacement != valid_check);
            let mutated = format!("{}{replacement}", &number[..17]);
            let error = ResidentId::parse(&mutated, today());
            let is_bad_check = matches!(
                error,
                Err(ResidentIdError::BadCheckCharacter { found, expected, .. })
                    if found == replacement && expected == valid_check
            );
            prop_assert!(is_bad_check);
        }

        #[test]
        fn any_single_digit_typo_is_refused(
            (number, _birth, _sex) in any_valid_id(),
            position in 0usize..17,
            shift in 1u8..=9,
        ) {
            let mut bytes = number.into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + shift) % 10;
            let mutated = String::from_utf8(bytes).expect("ASCII");
            let error = ResidentId::parse(&mutated, today());
            let is_bad_check = matches!(error, Err(ResidentIdError::BadCheckCharacter { .. }));
            prop_assert!(is_bad_check);
        }

        #[test]
        fn legacy_numbers_convert(
            (number, birth, sex) in any_valid_id().prop_filter("19xx births", |case| {
                case.1.year() < 2000
            }),
        ) {
            let legacy = format!("{}{}", &number[..6], &number[8..17]);
            let id = ResidentId::parse(&legacy, today()).expect("legacy valid");
            prop_assert_eq!(id.as_str(), number.as_str());
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.sex(), sex);
        }
    }
}
