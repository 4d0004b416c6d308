//! Unified social credit codes (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters from a 31-symbol alphabet (no I, O, S, V, Z): registration authority, entity
//! type, 6-digit region of the registering authority, 9-character organisation code and a
//! MOD 31 check character.

use std::fmt;

use thiserror::Error;

/// Length of a code.
const CODE_LENGTH: usize = 18;
/// The symbols a code may use; a symbol's value is its index.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Check weights: W_i = 3^i mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code: 18 upper-case characters of the GB 32100 alphabet.
///
/// Values from [`CreditCode::parse`] also have a correct check character; those from
/// [`CreditCode::parse_overriding_check`] may not (see [`CreditCode::has_valid_check`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CreditCode(String);

/// Why a credit code was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CreditCodeError {
    /// Nothing but whitespace was given.
    #[error("the credit code is empty")]
    Empty,
    /// Not 18 characters.
    #[error("{input:?}: a unified social credit code has 18 characters, not {length}")]
    WrongLength {
        /// The trimmed, upper-cased input.
        input: String,
        /// Its length in characters.
        length: usize,
    },
    /// A character outside `0-9 A-H J-N P-R T U W-Y`.
    #[error(
        "{input:?}: character {character:?} at position {position} is not allowed \
         (digits and upper-case letters except I, O, S, V and Z)"
    )]
    InvalidCharacter {
        /// The trimmed, upper-cased input.
        input: String,
        /// The offending character.
        character: char,
        /// Its 1-based position.
        position: usize,
    },
    /// The 18th character does not match the other 17.
    #[error("{input:?}: check character is {found}, expected {expected}")]
    BadCheckCharacter {
        /// The trimmed, upper-cased input.
        input: String,
        /// The check character given.
        found: char,
        /// The check character the first 17 require.
        expected: char,
    },
}

impl CreditCode {
    /// Parses a code, trimmed and upper-cased, verifying its check character.
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let code = CreditCode::parse_overriding_check(text)?;
        let (first17, found) = code.0.split_at(CODE_LENGTH - 1);
        // Shape is validated, so both the check and the last character exist.
        let expected = check_character(first17).expect("17 alphabet characters");
        let found = found.chars().next().expect("18 characters");
        if found != expected {
            return Err(CreditCodeError::BadCheckCharacter {
                input: code.0,
                found,
                expected,
            });
        }
        Ok(code)
    }

    /// Parses a code checking only length and alphabet, not the check character.
    ///
    /// For the flagged manual override: real registries hold a few codes that fail the check.
    pub fn parse_overriding_check(text: &str) -> Result<CreditCode, CreditCodeError> {
        let input = text.trim().to_uppercase();
        let length = input.chars().count();
        if length == 0 {
            return Err(CreditCodeError::Empty);
        }
        if let Some((index, character)) = input
            .chars()
            .enumerate()
            .find(|(_, character)| symbol_value(*character).is_none())
        {
            return Err(CreditCodeError::InvalidCharacter {
                input,
                character,
                position: index + 1,
            });
        }
        if length != CODE_LENGTH {
            return Err(CreditCodeError::WrongLength { input, length });
        }
        Ok(CreditCode(input))
    }

    /// Whether the check character matches the first 17 characters.
    pub fn has_valid_check(&self) -> bool {
        let (first17, found) = self.0.split_at(CODE_LENGTH - 1);
        check_character(first17).is_some_and(|expected| found.starts_with(expected))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registration authority (`9` = market regulation, `5` = civil affairs…).
    pub fn registration_authority(&self) -> char {
        self.character_at(0)
    }

    /// Position 2: the entity type within the authority (under `9`: `1` enterprise,
    /// `2` individual business, `3` farmers' cooperative).
    pub fn entity_type(&self) -> char {
        self.character_at(1)
    }

    /// Positions 3–8: the GB/T 2260 code of the registering authority's region.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9–17: the organisation code (GB 11714).
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }

    fn character_at(&self, index: usize) -> char {
        // Codes are 18 ASCII characters, so every index below 18 holds one byte.
        char::from(self.0.as_bytes()[index])
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The value of an alphabet symbol (its index), `None` outside the alphabet.
fn symbol_value(character: char) -> Option<u32> {
    let index = ALPHABET.find(character)?;
    // ALPHABET is ASCII, so a byte index is a symbol index, and it is below 31.
    u32::try_from(index).ok()
}

/// The check character for the first 17 characters of a code (upper-case alphabet symbols);
/// `None` if `first17` is not 17 such characters.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.chars().count() != WEIGHTS.len() {
        return None;
    }
    let mut sum: u32 = 0;
    for (character, weight) in first17.chars().zip(WEIGHTS) {
        sum += symbol_value(character)? * weight;
    }
    let check_value = (31 - sum % 31) % 31;
    // check_value is below 31, the alphabet's length.
    ALPHABET.chars().nth(check_value as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: &str) {
        let code = CreditCode::parse(input).expect(input);
        assert_eq!(code.as_str(), expected, "input {input:?}");
        assert!(code.has_valid_check());
    }

    fn check_refused(input: &str, message_part: &str) {
        let message = CreditCode::parse(input).expect_err(input).to_string();
        assert!(
            message.contains(message_part),
            "input {input:?}: message {message:?} lacks {message_part:?}"
        );
    }

    #[test]
    fn verified_vectors_pass() {
        let cases = [
            ("91350100M000100Y43", "91350100M000100Y43"),
            ("914403001922038216", "914403001922038216"),
            ("91330100799655058B", "91330100799655058B"),
            ("91440101MA5CJQ4N59", "91440101MA5CJQ4N59"),
            (" 91440101ma5cjq4n59 ", "91440101MA5CJQ4N59"),
            ("91330100799655058b", "91330100799655058B"),
        ];
        for (input, expected) in cases {
            check(input, expected);
        }
    }

    #[test]
    fn refuses_invalid_codes() {
        let cases = [
            ("", "the credit code is empty"),
            (
                "9135010",
                "\"9135010\": a unified social credit code has 18 characters, not 7",
            ),
            ("91350100M000100Y433", "not 19"),
            (
                "91350100M000100Y44",
                "\"91350100M000100Y44\": check character is 4, expected 3",
            ),
            ("91350203M0001QAY9B", "check character is B, expected"),
            (
                "91350100O000100Y43",
                "\"91350100O000100Y43\": character 'O' at position 9 is not allowed",
            ),
            ("9135010IM000100Y43", "character 'I' at position 8"),
            ("91350100M000100Y4Z", "character 'Z' at position 18"),
            ("91350100M000100-43", "character '-' at position 16"),
            ("9135０100M000100Y43", "character '０' at position 5"),
        ];
        for (input, message_part) in cases {
            check_refused(input, message_part);
        }
    }

    #[test]
    fn accessors_and_override() {
        let code = CreditCode::parse("91350100M000100Y43").expect("valid");
        assert_eq!(code.registration_authority(), '9');
        assert_eq!(code.entity_type(), '1');
        assert_eq!(code.region_code(), "350100");
        assert_eq!(code.organisation_code(), "M000100Y4");
        assert_eq!(code.to_string(), "91350100M000100Y43");
        let nonconforming =
            CreditCode::parse_overriding_check("91350203M0001QAY9B").expect("shape is valid");
        assert!(!nonconforming.has_valid_check());
        assert!(CreditCode::parse_overriding_check("91350203M0001QAY9").is_err());
    }

    #[test]
    fn check_characters() {
        let cases = [
            ("91350100M000100Y4", Some('3')),
            ("91440101MA5CJQ4N5", Some('9')),
            ("91330100799655058", Some('B')),
            ("9135010", None),
            ("91350100M000100Y43", None),
            ("91350100O000100Y4", None),
            ("91350100m000100Y4", None),
        ];
        for (first17, expected) in cases {
            assert_eq!(check_character(first17), expected, "{first17}");
        }
    }

    fn any_first17() -> impl Strategy<Value = String> {
        proptest::collection::vec(0usize..31, 17).prop_map(|indices| {
            indices
                .into_iter()
                .map(|index| char::from(ALPHABET.as_bytes()[index]))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn generated_codes_parse(first17 in any_first17()) {
            let check = check_character(&first17).expect("alphabet symbols");
            let text = format!("{first17}{check}");
            let code = CreditCode::parse(&text).expect("generated valid");
            prop_assert_eq!(code.as_str(), text.as_str());
            prop_assert_eq!(CreditCode::parse(&code.to_string()), Ok(code.clone()));
            prop_assert_eq!(CreditCode::parse(&text.to_lowercase()), Ok(code));
        }

        #[test]
        fn wrong_check_character_is_refused(first17 in any_first17(), replacement in 0usize..31) {
            let check = check_character(&first17).expect("alphabet symbols");
            let replacement = char::from(ALPHABET.as_bytes()[replacement]);
            prop_assume!(replacement != check);
            let error = CreditCode::parse(&format!("{first17}{replacement}"));
            let is_bad_check = matches!(
                error,
                Err(CreditCodeError::BadCheckCharacter { found, expected, .. })
                    if found == replacement && expected == check
            );
            prop_assert!(is_bad_check);
        }

        #[test]
        fn any_single_symbol_typo_is_refused(
            first17 in any_first17(),
            position in 0usize..17,
            shift in 1usize..31,
        ) {
            let check = check_character(&first17).expect("alphabet symbols");
            let mut symbols: Vec<char> = first17.chars().collect();
            let value = ALPHABET.find(symbols[position]).expect("alphabet symbol");
            symbols[position] = char::from(ALPHABET.as_bytes()[(value + shift) % 31]);
            let mutated: String = symbols.into_iter().chain([check]).collect();
            let error = CreditCode::parse(&mutated);
            prop_assert!(
                matches!(error, Err(CreditCodeError::BadCheckCharacter { .. })),
                "typo not detected"
            );
        }
    }
}
