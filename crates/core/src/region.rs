//! Statistical division codes (统计用区划代码): `PPCCDDTTTVVV`.
//!
//! Province 2 digits, city 2, county 2, township 3, village 3. The level of a code follows from
//! its deepest non-zero part, and a code's significant prefix is what roll-ups match on.

use std::fmt;

use thiserror::Error;

/// Number of digits in a full code.
const CODE_LENGTH: usize = 12;

/// A 12-digit statistical division code, always structurally valid.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode([u8; CODE_LENGTH]);

/// The administrative level of a region, from the top.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum RegionLevel {
    /// 省 — first 2 digits significant.
    Province,
    /// 市 — first 4 digits significant.
    City,
    /// 县 — first 6 digits significant.
    County,
    /// 乡镇 — first 9 digits significant.
    Township,
    /// 村 — all 12 digits significant.
    Village,
}

/// Why a region code or level was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RegionCodeError {
    /// Nothing but whitespace was given.
    #[error("the region code is empty")]
    Empty,
    /// Something other than ASCII digits.
    #[error("{input:?}: a region code has digits only")]
    NotDigits {
        /// The trimmed input.
        input: String,
    },
    /// A length other than 2, 4, 6, 9 or 12 digits.
    #[error("{input:?}: a region code has 12 digits (or 2, 4, 6 or 9, padded with zeros)")]
    WrongLength {
        /// The trimmed input.
        input: String,
    },
    /// The province part is `00`.
    #[error("{input:?}: the province part of a region code cannot be 00")]
    ZeroProvince {
        /// The trimmed input.
        input: String,
    },
    /// A non-zero part below an all-zero part.
    #[error("{input:?}: the {level} part is not zero although the {parent} part above it is zero")]
    OrphanPart {
        /// The trimmed input.
        input: String,
        /// The level whose part is non-zero.
        level: RegionLevel,
        /// The all-zero level above it.
        parent: RegionLevel,
    },
    /// A level name other than those of [`RegionLevel`].
    #[error("{input:?}: not a region level (expected province, city, county, township or village)")]
    UnknownLevel {
        /// The trimmed input.
        input: String,
    },
}

impl RegionLevel {
    /// All levels, from the top.
    pub const ALL: [RegionLevel; 5] = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ];

    /// The lowercase English name: `province`, `city`, `county`, `township`, `village`.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
        }
    }

    /// Parses the lowercase English name (trimmed, case-insensitive).
    pub fn parse(text: &str) -> Result<RegionLevel, RegionCodeError> {
        let input = text.trim();
        RegionLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| RegionCodeError::UnknownLevel {
                input: input.to_string(),
            })
    }

    /// Number of significant leading digits of a code at this level: 2, 4, 6, 9 or 12.
    pub fn prefix_length(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }

    /// The level above, `None` for a province.
    pub fn parent(self) -> Option<RegionLevel> {
        match self {
            RegionLevel::Province => None,
            RegionLevel::City => Some(RegionLevel::Province),
            RegionLevel::County => Some(RegionLevel::City),
            RegionLevel::Township => Some(RegionLevel::County),
            RegionLevel::Village => Some(RegionLevel::Township),
        }
    }

    /// The level below, `None` for a village.
    pub fn child(self) -> Option<RegionLevel> {
        match self {
            RegionLevel::Province => Some(RegionLevel::City),
            RegionLevel::City => Some(RegionLevel::County),
            RegionLevel::County => Some(RegionLevel::Township),
            RegionLevel::Township => Some(RegionLevel::Village),
            RegionLevel::Village => None,
        }
    }

    /// The digit range of this level's own part within the 12 digits.
    fn part_range(self) -> std::ops::Range<usize> {
        let start = self.parent().map_or(0, RegionLevel::prefix_length);
        start..self.prefix_length()
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl RegionCode {
    /// Parses a code of 12 digits, or of 2, 4, 6 or 9 digits padded with zeros on the right.
    ///
    /// Refuses a zero province part and any non-zero part below an all-zero part.
    pub fn parse(text: &str) -> Result<RegionCode, RegionCodeError> {
        let input = text.trim();
        let owned = || input.to_string();
        if input.is_empty() {
            return Err(RegionCodeError::Empty);
        }
        if !input.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigits { input: owned() });
        }
        let is_prefix_length = RegionLevel::ALL
            .into_iter()
            .any(|level| level.prefix_length() == input.len());
        if !is_prefix_length {
            return Err(RegionCodeError::WrongLength { input: owned() });
        }
        let mut digits = [b'0'; CODE_LENGTH];
        digits[..input.len()].copy_from_slice(input.as_bytes());
        let code = RegionCode(digits);
        code.check_structure(input)?;
        Ok(code)
    }

    /// Every part below the first all-zero part must be zero, and the province never is.
    fn check_structure(self, input: &str) -> Result<(), RegionCodeError> {
        if self.part_is_zero(RegionLevel::Province) {
            return Err(RegionCodeError::ZeroProvince {
                input: input.to_string(),
            });
        }
        let mut zero_level: Option<RegionLevel> = None;
        for level in RegionLevel::ALL {
            match (self.part_is_zero(level), zero_level) {
                (true, None) => zero_level = Some(level),
                (false, Some(parent)) => {
                    return Err(RegionCodeError::OrphanPart {
                        input: input.to_string(),
                        level,
                        parent,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn part_is_zero(self, level: RegionLevel) -> bool {
        self.0[level.part_range()]
            .iter()
            .all(|digit| *digit == b'0')
    }

    /// The level: that of the deepest non-zero part.
    pub fn level(self) -> RegionLevel {
        RegionLevel::ALL
            .into_iter()
            .rev()
            .find(|level| !self.part_is_zero(*level))
            // Construction refuses a zero province part, so some level is non-zero.
            .unwrap_or(RegionLevel::Province)
    }

    /// The code of the enclosing region, `None` for a province.
    pub fn parent(self) -> Option<RegionCode> {
        self.level()
            .parent()
            .and_then(|level| self.ancestor_at(level))
    }

    /// The enclosing region at `level` (the code itself at its own level); `None` below it.
    pub fn ancestor_at(self, level: RegionLevel) -> Option<RegionCode> {
        if level > self.level() {
            return None;
        }
        let mut digits = self.0;
        digits[level.prefix_length()..].fill(b'0');
        Some(RegionCode(digits))
    }

    /// The significant leading digits (2, 4, 6, 9 or 12), for `LIKE 'prefix%'` roll-ups.
    pub fn prefix(&self) -> &str {
        &self.as_str()[..self.level().prefix_length()]
    }

    /// Whether `self` is `ancestor` or lies within it.
    pub fn is_within(self, ancestor: RegionCode) -> bool {
        self.as_str().starts_with(ancestor.prefix())
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII digits, so always valid UTF-8.
        std::str::from_utf8(&self.0).expect("region codes hold ASCII digits")
    }
}

impl fmt::Display for RegionCode {
    /// The 12 digits.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "RegionCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(text: &str) -> RegionCode {
        RegionCode::parse(text).expect(text)
    }

    fn check(input: &str, expected_digits: &str, expected_level: RegionLevel) {
        let parsed = RegionCode::parse(input).expect(input);
        assert_eq!(parsed.as_str(), expected_digits, "input {input:?}");
        assert_eq!(parsed.level(), expected_level, "input {input:?}");
    }

    #[test]
    fn parses_and_pads() {
        use RegionLevel::*;
        let cases = [
            ("361100000000", "361100000000", City),
            ("361121", "361121000000", County),
            ("361121100", "361121100000", Township),
            ("361121100201", "361121100201", Village),
            ("36", "360000000000", Province),
            ("3611", "361100000000", City),
            (" 361102 ", "361102000000", County),
            ("110101", "110101000000", County),
            ("110100000000", "110100000000", City),
        ];
        for (input, digits, level) in cases {
            check(input, digits, level);
        }
    }

    #[test]
    fn refuses_malformed_codes() {
        let cases = [
            ("", "the region code is empty"),
            ("3611a1", "\"3611a1\": a region code has digits only"),
            ("36-11", "digits only"),
            ("３６", "digits only"),
            ("3", "\"3\": a region code has 12 digits"),
            ("36110", "has 12 digits"),
            ("3611210000000", "has 12 digits"),
            (
                "000000000000",
                "\"000000000000\": the province part of a region code cannot be 00",
            ),
            ("00", "province part"),
            (
                "360000001000",
                "\"360000001000\": the township part is not zero although the city part above it is zero",
            ),
            (
                "361121000201",
                "the village part is not zero although the township part",
            ),
            (
                "360011",
                "the county part is not zero although the city part",
            ),
        ];
        for (input, message_part) in cases {
            let message = RegionCode::parse(input).expect_err(input).to_string();
            assert!(
                message.contains(message_part),
                "input {input:?}: message {message:?} lacks {message_part:?}"
            );
        }
    }

    #[test]
    fn hierarchy() {
        let village = code("361121100201");
        assert_eq!(village.parent(), Some(code("361121100")));
        assert_eq!(code("361121100").parent(), Some(code("361121")));
        assert_eq!(code("361121").parent(), Some(code("3611")));
        assert_eq!(code("3611").parent(), Some(code("36")));
        assert_eq!(code("36").parent(), None);
        assert_eq!(village.prefix(), "361121100201");
        assert_eq!(code("361121100").prefix(), "361121100");
        assert_eq!(code("361121").prefix(), "361121");
        assert_eq!(code("3611").prefix(), "3611");
        assert_eq!(code("36").prefix(), "36");
        assert!(village.is_within(code("361121")));
        assert!(village.is_within(village));
        assert!(village.is_within(code("36")));
        assert!(!village.is_within(code("361122")));
        assert!(!code("361121").is_within(village));
        assert!(!code("361121").is_within(code("3612")));
        assert_eq!(
            village.ancestor_at(RegionLevel::County),
            Some(code("361121"))
        );
        assert_eq!(village.ancestor_at(RegionLevel::Village), Some(village));
        assert_eq!(code("361121").ancestor_at(RegionLevel::Township), None);
        assert_eq!(village.to_string(), "361121100201");
        assert_eq!(format!("{village:?}"), "RegionCode(361121100201)");
    }

    #[test]
    fn levels() {
        for level in RegionLevel::ALL {
            assert_eq!(RegionLevel::parse(level.as_str()), Ok(level));
            assert_eq!(level.to_string(), level.as_str());
        }
        assert_eq!(RegionLevel::parse(" County "), Ok(RegionLevel::County));
        let message = RegionLevel::parse("town").expect_err("town").to_string();
        assert!(message.contains("\"town\": not a region level"));
        assert!(RegionLevel::Province < RegionLevel::City);
        assert!(RegionLevel::Township < RegionLevel::Village);
        assert_eq!(RegionLevel::Village.child(), None);
        assert_eq!(RegionLevel::City.child(), Some(RegionLevel::County));
    }

    /// Structurally valid codes: a non-zero province, then non-zero parts down to some level.
    fn any_code() -> impl Strategy<Value = RegionCode> {
        (
            1u32..=99,
            1u32..=99,
            1u32..=99,
            1u32..=999,
            1u32..=999,
            0usize..5,
        )
            .prop_map(|(province, city, county, township, village, depth)| {
                let full = format!("{province:02}{city:02}{county:02}{township:03}{village:03}");
                let length = RegionLevel::ALL[depth].prefix_length();
                code(&full[..length])
            })
    }

    proptest! {
        #[test]
        fn display_round_trips(region in any_code()) {
            prop_assert_eq!(RegionCode::parse(&region.to_string()), Ok(region));
            prop_assert_eq!(RegionCode::parse(region.prefix()), Ok(region));
            let mut ancestor = Some(region);
            while let Some(current) = ancestor {
                prop_assert!(region.is_within(current));
                ancestor = current.parent();
            }
        }
    }
}
