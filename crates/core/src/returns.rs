//! Statistical returns (报表): data element codes and units, the small language of validation
//! rules, month-on-month change limits, the approval states of a return, and exact decimal
//! figures reported elsewhere.
//!
//! A rule compares two sums of data elements, e.g. `loans_poverty <= loans_agriculture` or
//! `loans_poverty_individual + loans_poverty_industry + loans_poverty_project = loans_poverty`.
//! Grammar (whitespace between tokens is free):
//!
//! ```text
//! comparison := expression operator expression
//! expression := code (("+" | "-") code)*
//! operator   := "<=" | ">=" | "=" | "<" | ">"      ("≤", "≥" and "==" are read as "<=", ">=", "=")
//! code       := [a-z][a-z0-9_]{0,63}
//! ```
//!
//! Values are integers in an element's storage unit (fen, a count, hundredths of a percent);
//! sums are computed in `i128`, so no rule can overflow.

use std::collections::BTreeSet;
use std::fmt;

use thiserror::Error;

use crate::Fen;

/// Longest code (element, rule, indicator) accepted.
const CODE_LENGTH_MAX: usize = 64;

/// Why a code, unit, value, rule or state was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ReturnsError {
    /// A code that is not a lowercase identifier.
    #[error(
        "{input:?} is not a code: use a lowercase letter followed by up to 63 lowercase letters, digits or '_'"
    )]
    BadCode {
        /// The trimmed input.
        input: String,
    },
    /// A unit other than `yuan`, `count`, `percent`.
    #[error("{input:?} is not a unit (expected yuan, count or percent)")]
    BadUnit {
        /// The trimmed input.
        input: String,
    },
    /// A value that does not fit its unit.
    #[error("{input:?}: {reason}")]
    BadValue {
        /// The trimmed input.
        input: String,
        /// What the unit expects.
        reason: String,
    },
    /// A rule expression or comparison that does not follow the grammar.
    #[error("{input:?} is not a rule: {reason}")]
    BadRule {
        /// The trimmed input.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// A change threshold that is not a positive percentage with at most two decimals.
    #[error(
        "{input:?} is not a change threshold (expected a percentage above 0 such as 30 or 12.5)"
    )]
    BadThreshold {
        /// The trimmed input.
        input: String,
    },
    /// A severity other than `error`, `warning`.
    #[error("{input:?} is not a severity (expected error or warning)")]
    BadSeverity {
        /// The trimmed input.
        input: String,
    },
    /// A state other than those of [`ReturnState`].
    #[error("{input:?} is not a return state (expected submitted, approved, locked or reopened)")]
    BadState {
        /// The trimmed input.
        input: String,
    },
    /// A reported figure that is not an exact decimal number.
    #[error("{input:?} is not an exact decimal number (expected digits such as 35.996 or -1.5)")]
    BadDecimal {
        /// The trimmed input.
        input: String,
    },
}

type Result<T> = std::result::Result<T, ReturnsError>;

/// Whether `text` is a lowercase code: `[a-z][a-z0-9_]{0,63}`.
pub fn is_code(text: &str) -> bool {
    let mut bytes = text.bytes();
    let starts_with_letter = bytes.next().is_some_and(|byte| byte.is_ascii_lowercase());
    starts_with_letter
        && text.len() <= CODE_LENGTH_MAX
        && bytes.all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

/// Parses a lowercase code (trimmed): element, rule and indicator codes share this shape.
pub fn parse_code(text: &str) -> Result<String> {
    let input = text.trim();
    match is_code(input) {
        true => Ok(input.to_string()),
        false => Err(ReturnsError::BadCode {
            input: input.to_string(),
        }),
    }
}

/// The code of a data element, e.g. `loans_total`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ElementCode(String);

impl ElementCode {
    /// Parses `[a-z][a-z0-9_]{0,63}`, trimmed.
    pub fn parse(text: &str) -> Result<ElementCode> {
        parse_code(text).map(ElementCode)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ElementCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// What a data element counts, and so how its integer value is stored.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Unit {
    /// Money: stored in fen, written as yuan with at most two decimals.
    Yuan,
    /// A number of things (households, loans): stored and written as a whole number.
    Count,
    /// A percentage: stored in hundredths of a percent, written with at most two decimals.
    Percent,
}

impl Unit {
    pub const ALL: [Unit; 3] = [Unit::Yuan, Unit::Count, Unit::Percent];

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Yuan => "yuan",
            Unit::Count => "count",
            Unit::Percent => "percent",
        }
    }

    /// Parses `yuan`, `count` or `percent` (trimmed, any case).
    pub fn parse(text: &str) -> Result<Unit> {
        let input = text.trim();
        Unit::ALL
            .into_iter()
            .find(|unit| unit.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| ReturnsError::BadUnit {
                input: input.to_string(),
            })
    }

    /// Parses a non-negative value written in this unit into its stored integer:
    /// yuan `1,234.50` → 123450 fen; count `12` → 12; percent `12.5` or `12.5%` → 1250.
    pub fn parse_value(self, text: &str) -> Result<i64> {
        let input = text.trim();
        let bad = |reason: &str| ReturnsError::BadValue {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let stored = match self {
            Unit::Yuan => Fen::parse_yuan(input)
                .map_err(|error| bad(&error.to_string()))?
                .fen(),
            Unit::Count => {
                let digits = input.replace(',', "");
                if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(bad("a count is a whole number such as 12"));
                }
                digits
                    .parse::<i64>()
                    .map_err(|_| bad("the count is too large"))?
            }
            Unit::Percent => {
                let number = input.strip_suffix(['%', '％']).unwrap_or(input).trim_end();
                // Two decimals of a percent have the same shape as two decimals of a yuan.
                Fen::parse_yuan(number)
                    .map_err(|_| {
                        bad("a percentage has at most two decimals, such as 12.5 or 12.5%")
                    })?
                    .fen()
            }
        };
        match stored < 0 {
            true => Err(bad("values of returns cannot be negative")),
            false => Ok(stored),
        }
    }

    /// A stored value written in this unit: `1234.50`, `12`, `12.50%`.
    pub fn format_value(self, stored: i64) -> String {
        match self {
            Unit::Yuan => Fen::new(stored).to_plain_yuan(),
            Unit::Count => stored.to_string(),
            Unit::Percent => format!("{}%", Fen::new(stored).to_plain_yuan()),
        }
    }

    /// A sum of stored values (as rules compute it) written in this unit.
    pub fn format_sum(self, stored: i128) -> String {
        match i64::try_from(stored) {
            Ok(value) => self.format_value(value),
            Err(_) => format!("{stored} (stored units)"),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Whether a term is added or subtracted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sign {
    Plus,
    Minus,
}

/// A sum of data elements: `loans_poverty`, `loans_agriculture + loans_other - loans_x`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Expression {
    /// At least one term; the first is always [`Sign::Plus`].
    terms: Vec<(Sign, ElementCode)>,
}

impl Expression {
    /// Parses an expression (see the module documentation).
    pub fn parse(text: &str) -> Result<Expression> {
        let input = text.trim();
        let bad = |reason: String| ReturnsError::BadRule {
            input: input.to_string(),
            reason,
        };
        let mut terms = Vec::new();
        let mut sign = Some(Sign::Plus);
        let mut rest = input;
        loop {
            rest = rest.trim_start();
            let Some(first) = rest.chars().next() else {
                break;
            };
            match (first, sign) {
                ('+' | '-', Some(_)) => {
                    return Err(bad(format!(
                        "{first:?} needs a data element code before it"
                    )));
                }
                ('+', None) => {
                    sign = Some(Sign::Plus);
                    rest = &rest[1..];
                }
                ('-', None) => {
                    sign = Some(Sign::Minus);
                    rest = &rest[1..];
                }
                (_, None) => {
                    return Err(bad(format!(
                        "expected + or - before {:?}",
                        next_token(rest)
                    )));
                }
                (_, Some(term_sign)) => {
                    let token = next_token(rest);
                    let code = ElementCode::parse(token)
                        .map_err(|_| bad(format!("{token:?} is not a data element code")))?;
                    terms.push((term_sign, code));
                    sign = None;
                    rest = &rest[token.len()..];
                }
            }
        }
        match (terms.is_empty(), sign) {
            (true, _) => Err(bad("no data element code".to_string())),
            (false, Some(_)) => Err(bad("ends with an operator".to_string())),
            (false, None) => Ok(Expression { terms }),
        }
    }

    /// The terms in order, with their signs.
    pub fn terms(&self) -> &[(Sign, ElementCode)] {
        &self.terms
    }

    /// Every element the expression names, once each.
    pub fn elements(&self) -> BTreeSet<&ElementCode> {
        self.terms.iter().map(|(_, code)| code).collect()
    }

    /// The sum, or `None` when a named element has no value.
    pub fn evaluate(&self, value_of: &impl Fn(&ElementCode) -> Option<i64>) -> Option<i128> {
        self.terms.iter().try_fold(0i128, |sum, (sign, code)| {
            let value = i128::from(value_of(code)?);
            Some(match sign {
                Sign::Plus => sum + value,
                Sign::Minus => sum - value,
            })
        })
    }
}

/// The characters up to the next space or operator character.
fn next_token(text: &str) -> &str {
    let end = text
        .find(|character: char| character.is_whitespace() || "+-<>=≤≥".contains(character))
        .unwrap_or(text.len());
    // A lone operator character still makes a one-character token, so parsing advances.
    if end == 0 {
        let width = text.chars().next().map_or(0, char::len_utf8);
        return &text[..width];
    }
    &text[..end]
}

impl fmt::Display for Expression {
    /// Canonical form: `a + b - c`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (sign, code)) in self.terms.iter().enumerate() {
            match (index, sign) {
                (0, _) => {}
                (_, Sign::Plus) => formatter.write_str(" + ")?,
                (_, Sign::Minus) => formatter.write_str(" - ")?,
            }
            write!(formatter, "{code}")?;
        }
        Ok(())
    }
}

/// How the two sides of a comparison rule must relate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Operator {
    Le,
    Ge,
    Eq,
    Lt,
    Gt,
}

impl Operator {
    pub const ALL: [Operator; 5] = [
        Operator::Le,
        Operator::Ge,
        Operator::Eq,
        Operator::Lt,
        Operator::Gt,
    ];

    /// `<=`, `>=`, `=`, `<`, `>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Le => "<=",
            Operator::Ge => ">=",
            Operator::Eq => "=",
            Operator::Lt => "<",
            Operator::Gt => ">",
        }
    }

    /// Parses an operator; `≤`, `≥` and `==` are accepted for `<=`, `>=` and `=`.
    pub fn parse(text: &str) -> Result<Operator> {
        let input = text.trim();
        let canonical = match input {
            "≤" => "<=",
            "≥" => ">=",
            "==" => "=",
            other => other,
        };
        Operator::ALL
            .into_iter()
            .find(|operator| operator.as_str() == canonical)
            .ok_or_else(|| ReturnsError::BadRule {
                input: input.to_string(),
                reason: "expected one of <=, >=, =, <, >".to_string(),
            })
    }

    /// Whether `left operator right` holds.
    pub fn holds(self, left: i128, right: i128) -> bool {
        match self {
            Operator::Le => left <= right,
            Operator::Ge => left >= right,
            Operator::Eq => left == right,
            Operator::Lt => left < right,
            Operator::Gt => left > right,
        }
    }

    /// The operator that holds exactly when this one fails, for messages.
    pub fn negated(self) -> &'static str {
        match self {
            Operator::Le => ">",
            Operator::Ge => "<",
            Operator::Eq => "≠",
            Operator::Lt => ">=",
            Operator::Gt => "<=",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// `left operator right`, e.g. `loans_poverty <= loans_agriculture`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Comparison {
    pub left: Expression,
    pub operator: Operator,
    pub right: Expression,
}

impl Comparison {
    /// Parses `expression operator expression`; exactly one operator.
    pub fn parse(text: &str) -> Result<Comparison> {
        let input = text.trim();
        let bad = |reason: &str| ReturnsError::BadRule {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let Some(start) = input.find(['<', '>', '=', '≤', '≥']) else {
            return Err(bad("no comparison operator (<=, >=, =, <, >)"));
        };
        let after_start = &input[start..];
        let length = after_start
            .char_indices()
            .take_while(|(_, character)| "<>=≤≥".contains(*character))
            .last()
            .map_or(0, |(index, character)| index + character.len_utf8());
        let operator_text = &after_start[..length];
        let operator = Operator::parse(operator_text)
            .map_err(|_| bad(&format!("{operator_text:?} is not an operator")))?;
        let (left_text, right_text) = (&input[..start], &after_start[length..]);
        if right_text.contains(['<', '>', '=', '≤', '≥']) {
            return Err(bad("more than one comparison operator"));
        }
        let side = |text: &str, which: &str| {
            Expression::parse(text).map_err(|error| match error {
                ReturnsError::BadRule { reason, .. } => bad(&format!("{which} side: {reason}")),
                other => other,
            })
        };
        Ok(Comparison {
            left: side(left_text, "left")?,
            operator,
            right: side(right_text, "right")?,
        })
    }

    /// Every element either side names.
    pub fn elements(&self) -> BTreeSet<&ElementCode> {
        let mut elements = self.left.elements();
        elements.extend(self.right.elements());
        elements
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {} {}", self.left, self.operator, self.right)
    }
}

/// A percentage limit with at most two decimals, above zero: `30`, `12.5`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Threshold {
    /// Hundredths of a percent: 30 % = 3000.
    hundredths: i64,
}

impl Threshold {
    /// Parses `30`, `12.5`, `12.5%`.
    pub fn parse(text: &str) -> Result<Threshold> {
        let input = text.trim();
        match Unit::Percent.parse_value(input) {
            Ok(hundredths) if hundredths > 0 => Ok(Threshold { hundredths }),
            _ => Err(ReturnsError::BadThreshold {
                input: input.to_string(),
            }),
        }
    }

    /// Hundredths of a percent.
    pub fn hundredths(self) -> i64 {
        self.hundredths
    }

    /// Whether moving from `previous` to `current` changes by more than the threshold, relative
    /// to `previous`. Any change away from zero exceeds every threshold.
    pub fn is_exceeded(self, previous: i64, current: i64) -> bool {
        let change = (i128::from(current) - i128::from(previous)).abs();
        // change / |previous| > hundredths / 10_000, cross-multiplied to stay in integers.
        change > 0 && change * 10_000 > i128::from(self.hundredths) * i128::from(previous).abs()
    }
}

impl fmt::Display for Threshold {
    /// Percent with the decimals it needs: `30`, `12.5`, `0.25`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.hundredths / 100, self.hundredths % 100);
        match fraction {
            0 => write!(formatter, "{whole}"),
            _ if fraction % 10 == 0 => write!(formatter, "{whole}.{}", fraction / 10),
            _ => write!(formatter, "{whole}.{fraction:02}"),
        }
    }
}

/// The change from `previous` to `current` as a signed percentage with two decimals, rounded
/// half away from zero (`+45.20%`, `-3.33%`); `None` when `previous` is zero.
pub fn change_percent_text(previous: i64, current: i64) -> Option<String> {
    if previous == 0 {
        return None;
    }
    let change = i128::from(current) - i128::from(previous);
    let denominator = i128::from(previous).abs();
    // Hundredths of a percent, rounded half away from zero, in integers.
    let scaled = change.abs() * 10_000;
    let hundredths = (2 * scaled + denominator) / (2 * denominator);
    let sign = if change < 0 { "-" } else { "+" };
    Some(format!(
        "{sign}{}.{:02}%",
        hundredths / 100,
        hundredths % 100
    ))
}

/// What a validation rule checks.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RuleCheck {
    /// Two sums of the return's own values compared.
    Compare(Comparison),
    /// The element's value against the same return of the month before: a change beyond the
    /// threshold (relative to the month before) fails.
    Change {
        element: ElementCode,
        threshold: Threshold,
    },
}

impl RuleCheck {
    /// `compare` or `change`, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            RuleCheck::Compare(_) => "compare",
            RuleCheck::Change { .. } => "change",
        }
    }

    /// Every element the rule reads.
    pub fn elements(&self) -> BTreeSet<&ElementCode> {
        match self {
            RuleCheck::Compare(comparison) => comparison.elements(),
            RuleCheck::Change { element, .. } => BTreeSet::from([element]),
        }
    }

    /// Evaluates the rule on a return's values and those of the same institution and county
    /// the month before.
    pub fn evaluate(
        &self,
        current: &impl Fn(&ElementCode) -> Option<i64>,
        previous_month: &impl Fn(&ElementCode) -> Option<i64>,
    ) -> Outcome {
        match self {
            RuleCheck::Compare(comparison) => {
                let missing: Vec<ElementCode> = comparison
                    .elements()
                    .into_iter()
                    .filter(|code| current(code).is_none())
                    .cloned()
                    .collect();
                let sides = (
                    comparison.left.evaluate(current),
                    comparison.right.evaluate(current),
                );
                match sides {
                    (Some(left), Some(right)) if comparison.operator.holds(left, right) => {
                        Outcome::Pass
                    }
                    (Some(left), Some(right)) => Outcome::Fail(Failure::Compare { left, right }),
                    _ => Outcome::Skipped(Skip::Missing(missing)),
                }
            }
            RuleCheck::Change { element, threshold } => {
                match (previous_month(element), current(element)) {
                    (_, None) => Outcome::Skipped(Skip::Missing(vec![element.clone()])),
                    (None, Some(_)) => Outcome::Skipped(Skip::NoPreviousMonth),
                    (Some(previous), Some(current)) if threshold.is_exceeded(previous, current) => {
                        Outcome::Fail(Failure::Change { previous, current })
                    }
                    (Some(_), Some(_)) => Outcome::Pass,
                }
            }
        }
    }
}

impl fmt::Display for RuleCheck {
    /// `loans_poverty <= loans_agriculture`, or `change of loans_total within 30%`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleCheck::Compare(comparison) => write!(formatter, "{comparison}"),
            RuleCheck::Change { element, threshold } => write!(
                formatter,
                "month-on-month change of {element} within {threshold}%"
            ),
        }
    }
}

/// What evaluating a rule on one return gave.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Outcome {
    Pass,
    Fail(Failure),
    /// The rule could not be evaluated; it neither passes nor fails.
    Skipped(Skip),
}

/// The numbers behind a failed rule, for the message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Failure {
    Compare { left: i128, right: i128 },
    Change { previous: i64, current: i64 },
}

/// Why a rule was not evaluated.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Skip {
    /// The return has no value for these elements.
    Missing(Vec<ElementCode>),
    /// No return of the month before, or it lacks the element.
    NoPreviousMonth,
}

impl Failure {
    /// The failure in words, values written in `unit`: `1,200.00 > 1,000.00`.
    pub fn describe(&self, check: &RuleCheck, unit: Unit) -> String {
        match (self, check) {
            (Failure::Compare { left, right }, RuleCheck::Compare(comparison)) => format!(
                "{} = {} {} {} = {}",
                comparison.left,
                unit.format_sum(*left),
                comparison.operator.negated(),
                unit.format_sum(*right),
                comparison.right
            ),
            (Failure::Change { previous, current }, RuleCheck::Change { threshold, .. }) => {
                let change = change_percent_text(*previous, *current)
                    .unwrap_or_else(|| "from zero".to_string());
                format!(
                    "{} the month before, {} now: {change}, beyond {threshold}%",
                    unit.format_value(*previous),
                    unit.format_value(*current)
                )
            }
            _ => "fails".to_string(),
        }
    }
}

/// Whether a failed rule refuses the data or asks for confirmation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Severity {
    /// The data is refused.
    Error,
    /// The data is accepted only when the submitter confirms it.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// Parses `error` or `warning` (trimmed, any case).
    pub fn parse(text: &str) -> Result<Severity> {
        let input = text.trim();
        [Severity::Error, Severity::Warning]
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| ReturnsError::BadSeverity {
                input: input.to_string(),
            })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Where a return is in its approval (DHIS2's data approval).
///
/// ```text
/// (file) → submitted ──approve──► approved ──lock──► locked
///              ▲                     │                 │
///              │                     └──reopen(reason)─┴──► reopened ──approve──► approved
///        values change while submitted or reopened; approved and locked ones do not
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ReturnState {
    Submitted,
    Approved,
    Locked,
    Reopened,
}

impl ReturnState {
    pub const ALL: [ReturnState; 4] = [
        ReturnState::Submitted,
        ReturnState::Approved,
        ReturnState::Locked,
        ReturnState::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReturnState::Submitted => "submitted",
            ReturnState::Approved => "approved",
            ReturnState::Locked => "locked",
            ReturnState::Reopened => "reopened",
        }
    }

    /// Parses a state name (trimmed, any case).
    pub fn parse(text: &str) -> Result<ReturnState> {
        let input = text.trim();
        ReturnState::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| ReturnsError::BadState {
                input: input.to_string(),
            })
    }

    /// Whether values may be added or changed (by a file or a correction).
    pub fn accepts_values(self) -> bool {
        matches!(self, ReturnState::Submitted | ReturnState::Reopened)
    }

    /// Whether the regulator may approve it.
    pub fn can_approve(self) -> bool {
        matches!(self, ReturnState::Submitted | ReturnState::Reopened)
    }

    /// Whether it may be locked.
    pub fn can_lock(self) -> bool {
        self == ReturnState::Approved
    }

    /// Whether it may be reopened for correction.
    pub fn can_reopen(self) -> bool {
        matches!(self, ReturnState::Approved | ReturnState::Locked)
    }

    /// Approved or locked: the regulator has signed the figures off. Other returns are
    /// provisional.
    pub fn is_final(self) -> bool {
        matches!(self, ReturnState::Approved | ReturnState::Locked)
    }
}

impl fmt::Display for ReturnState {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A figure as published elsewhere, kept exactly as written (its decimals matter: `8.65` was
/// rounded to two of them), without thousands separators: `35.996`, `8.65`, `-1.5`, `120`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DecimalText(String);

impl DecimalText {
    /// Parses an optional `-`, digits with optional `,` thousands separators, and an optional
    /// `.` followed by digits. Exponents, `+`, `%` and units are refused: the unit is separate.
    pub fn parse(text: &str) -> Result<DecimalText> {
        let input = text.trim();
        let bad = || ReturnsError::BadDecimal {
            input: input.to_string(),
        };
        let unsigned = input.strip_prefix('-').unwrap_or(input);
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) if !fraction.is_empty() => (whole, Some(fraction)),
            Some(_) => return Err(bad()),
            None => (unsigned, None),
        };
        let whole_digits = whole.replace(',', "");
        let is_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        let grouped_well = !whole.contains(',')
            || whole.split(',').enumerate().all(|(index, group)| {
                (index == 0 && (1..=3).contains(&group.len())) || group.len() == 3
            });
        if !is_digits(&whole_digits) || !fraction.is_none_or(is_digits) || !grouped_well {
            return Err(bad());
        }
        let sign = if input.starts_with('-') { "-" } else { "" };
        let canonical = match fraction {
            Some(fraction) => format!("{sign}{whole_digits}.{fraction}"),
            None => format!("{sign}{whole_digits}"),
        };
        Ok(DecimalText(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point: the precision the figure was published with.
    pub fn scale(&self) -> usize {
        self.0
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len())
    }
}

impl fmt::Display for DecimalText {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn code(text: &str) -> ElementCode {
        ElementCode::parse(text).expect("test code")
    }

    fn values(pairs: &[(&str, i64)]) -> BTreeMap<ElementCode, i64> {
        pairs.iter().map(|(c, v)| (code(c), *v)).collect()
    }

    #[test]
    fn codes() {
        for good in ["loans_total", "a", "x1", "loans_poverty_2", &"a".repeat(64)] {
            assert!(is_code(good), "{good}");
            assert_eq!(
                ElementCode::parse(good).map(|c| c.to_string()),
                Ok(good.to_string())
            );
        }
        for bad in [
            "",
            "Loans",
            "1abc",
            "_a",
            "loans-total",
            "贷款",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(!is_code(bad), "{bad}");
            assert!(ElementCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ElementCode::parse(" loans_total ").map(|c| c.to_string()),
            Ok("loans_total".into())
        );
    }

    #[test]
    fn units_parse_and_format_values() {
        let cases = [
            (Unit::Yuan, "1,234.50", 123_450, "1234.50"),
            (Unit::Yuan, "0", 0, "0.00"),
            (
                Unit::Yuan,
                "35996000000",
                3_599_600_000_000,
                "35996000000.00",
            ),
            (Unit::Count, "12", 12, "12"),
            (Unit::Count, "1,200", 1200, "1200"),
            (Unit::Percent, "12.5", 1250, "12.50%"),
            (Unit::Percent, "12.5%", 1250, "12.50%"),
            (Unit::Percent, "8.65 ％", 865, "8.65%"),
        ];
        for (unit, text, stored, shown) in cases {
            assert_eq!(unit.parse_value(text), Ok(stored), "{unit} {text}");
            assert_eq!(unit.format_value(stored), shown, "{unit} {stored}");
        }
        let refused = [
            (Unit::Yuan, "-1", "cannot be negative"),
            (Unit::Yuan, "1.234", "more than two decimal places"),
            (Unit::Yuan, "5万", "not a yuan amount"),
            (Unit::Count, "1.5", "whole number"),
            (Unit::Count, "-3", "whole number"),
            (Unit::Count, "", "whole number"),
            (Unit::Percent, "12.345", "at most two decimals"),
            (Unit::Percent, "-1%", "cannot be negative"),
        ];
        for (unit, text, message) in refused {
            let error = unit.parse_value(text).expect_err(text).to_string();
            assert!(error.contains(message), "{unit} {text}: {error}");
        }
        assert_eq!(Unit::parse(" Count "), Ok(Unit::Count));
        assert!(Unit::parse("wan_yuan").is_err());
    }

    #[test]
    fn expressions_parse_and_print_canonically() {
        let cases = [
            ("loans_poverty", "loans_poverty"),
            (
                "loans_agriculture+loans_other",
                "loans_agriculture + loans_other",
            ),
            ("  a +b-  c ", "a + b - c"),
            ("a - a", "a - a"),
        ];
        for (input, canonical) in cases {
            let expression = Expression::parse(input).expect(input);
            assert_eq!(expression.to_string(), canonical);
            assert_eq!(Expression::parse(canonical), Ok(expression));
        }
        let refused = [
            ("", "no data element code"),
            ("a +", "ends with an operator"),
            ("+ a", "needs a data element code before it"),
            ("- a", "needs a data element code before it"),
            ("a b", "expected + or - before \"b\""),
            ("a + + b", "needs a data element code before it"),
            ("a + B", "\"B\" is not a data element code"),
            ("a * b", "expected + or - before \"*\""),
            ("a + 0", "\"0\" is not a data element code"),
        ];
        for (input, message) in refused {
            let error = Expression::parse(input).expect_err(input).to_string();
            assert!(error.contains(message), "{input:?}: {error}");
        }
    }

    #[test]
    fn expressions_evaluate_exactly() {
        let stored = values(&[("a", 5), ("b", 7), ("c", i64::MAX), ("d", i64::MAX)]);
        let value_of = |c: &ElementCode| stored.get(c).copied();
        let evaluate = |text: &str| Expression::parse(text).unwrap().evaluate(&value_of);
        assert_eq!(evaluate("a + b"), Some(12));
        assert_eq!(evaluate("a - b"), Some(-2));
        assert_eq!(
            evaluate("c + d"),
            Some(2 * i128::from(i64::MAX)),
            "no overflow"
        );
        assert_eq!(evaluate("a + missing"), None);
        let expression = Expression::parse("b + a - b").unwrap();
        assert_eq!(expression.elements().len(), 2);
    }

    #[test]
    fn comparisons_parse() {
        let cases = [
            (
                "loans_poverty <= loans_agriculture",
                "loans_poverty <= loans_agriculture",
            ),
            ("a≤b", "a <= b"),
            ("a ≥ b + c", "a >= b + c"),
            ("a == b", "a = b"),
            ("a=b", "a = b"),
            ("a<b", "a < b"),
            ("a > b - c", "a > b - c"),
        ];
        for (input, canonical) in cases {
            let comparison = Comparison::parse(input).expect(input);
            assert_eq!(comparison.to_string(), canonical);
        }
        let refused = [
            ("a b", "no comparison operator"),
            ("a <= b <= c", "more than one comparison operator"),
            ("a => b", "\"=>\" is not an operator"),
            ("a <> b", "\"<>\" is not an operator"),
            ("<= b", "left side: no data element code"),
            ("a <=", "right side: no data element code"),
            ("a <= b +", "right side: ends with an operator"),
        ];
        for (input, message) in refused {
            let error = Comparison::parse(input).expect_err(input).to_string();
            assert!(error.contains(message), "{input:?}: {error}");
        }
    }

    #[test]
    fn comparison_rules_evaluate() {
        let check = |text: &str| RuleCheck::Compare(Comparison::parse(text).unwrap());
        let stored = values(&[("total", 1000), ("agri", 800), ("poverty", 900), ("x", 0)]);
        let current = |c: &ElementCode| stored.get(c).copied();
        let none = |_: &ElementCode| None;
        assert_eq!(
            check("agri <= total").evaluate(&current, &none),
            Outcome::Pass
        );
        assert_eq!(
            check("poverty <= agri").evaluate(&current, &none),
            Outcome::Fail(Failure::Compare {
                left: 900,
                right: 800
            })
        );
        assert_eq!(
            check("agri + x = agri").evaluate(&current, &none),
            Outcome::Pass
        );
        assert_eq!(
            check("total > total").evaluate(&current, &none),
            Outcome::Fail(Failure::Compare {
                left: 1000,
                right: 1000
            })
        );
        assert_eq!(
            check("total >= total").evaluate(&current, &none),
            Outcome::Pass
        );
        assert_eq!(
            check("total < agri").evaluate(&current, &none),
            Outcome::Fail(Failure::Compare {
                left: 1000,
                right: 800
            })
        );
        assert_eq!(
            check("deposits <= total + other").evaluate(&current, &none),
            Outcome::Skipped(Skip::Missing(vec![code("deposits"), code("other")]))
        );
        let rule = check("poverty <= agri");
        let failure = Failure::Compare {
            left: 120_000,
            right: 100_000,
        };
        assert_eq!(
            failure.describe(&rule, Unit::Yuan),
            "poverty = 1200.00 > 1000.00 = agri"
        );
    }

    #[test]
    fn change_rules_evaluate() {
        let rule = RuleCheck::Change {
            element: code("total"),
            threshold: Threshold::parse("30").unwrap(),
        };
        let run = |previous: Option<i64>, current: Option<i64>| {
            rule.evaluate(&|_: &ElementCode| current, &|_: &ElementCode| previous)
        };
        assert_eq!(
            run(Some(1000), Some(1300)),
            Outcome::Pass,
            "exactly 30 % is within"
        );
        assert_eq!(run(Some(1000), Some(700)), Outcome::Pass);
        assert_eq!(
            run(Some(1000), Some(1301)),
            Outcome::Fail(Failure::Change {
                previous: 1000,
                current: 1301
            })
        );
        assert_eq!(
            run(Some(1000), Some(699)),
            Outcome::Fail(Failure::Change {
                previous: 1000,
                current: 699
            })
        );
        assert_eq!(
            run(Some(0), Some(1)),
            Outcome::Fail(Failure::Change {
                previous: 0,
                current: 1
            })
        );
        assert_eq!(run(Some(0), Some(0)), Outcome::Pass);
        assert_eq!(run(None, Some(5)), Outcome::Skipped(Skip::NoPreviousMonth));
        assert_eq!(
            run(Some(5), None),
            Outcome::Skipped(Skip::Missing(vec![code("total")]))
        );
        let failure = Failure::Change {
            previous: 100_000,
            current: 145_200,
        };
        assert_eq!(
            failure.describe(&rule, Unit::Yuan),
            "1000.00 the month before, 1452.00 now: +45.20%, beyond 30%"
        );
        assert_eq!(
            rule.to_string(),
            "month-on-month change of total within 30%"
        );
    }

    #[test]
    fn thresholds() {
        assert_eq!(Threshold::parse("30").map(|t| t.hundredths()), Ok(3000));
        assert_eq!(
            Threshold::parse("12.5%").map(|t| t.to_string()),
            Ok("12.5".into())
        );
        assert_eq!(
            Threshold::parse("0.25").map(|t| t.to_string()),
            Ok("0.25".into())
        );
        assert_eq!(
            Threshold::parse("250").map(|t| t.to_string()),
            Ok("250".into())
        );
        for bad in ["0", "-5", "abc", "1.234", ""] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
        let threshold = Threshold::parse("12.5").unwrap();
        assert!(!threshold.is_exceeded(800, 900));
        assert!(threshold.is_exceeded(800, 901));
        assert!(!threshold.is_exceeded(i64::MAX, i64::MAX));
        assert!(threshold.is_exceeded(i64::MAX, 0));
    }

    #[test]
    fn change_percent_rounds_half_away_from_zero() {
        assert_eq!(change_percent_text(3, 4), Some("+33.33%".into()));
        assert_eq!(change_percent_text(3, 2), Some("-33.33%".into()));
        assert_eq!(change_percent_text(3, 5), Some("+66.67%".into()));
        assert_eq!(change_percent_text(8, 9), Some("+12.50%".into()));
        assert_eq!(
            change_percent_text(20_000, 20_001),
            Some("+0.01%".into()),
            "0.005 % rounds up"
        );
        assert_eq!(change_percent_text(20_000, 19_999), Some("-0.01%".into()));
        assert_eq!(change_percent_text(5, 5), Some("+0.00%".into()));
        assert_eq!(change_percent_text(0, 5), None);
    }

    #[test]
    fn states_and_transitions() {
        for state in ReturnState::ALL {
            assert_eq!(ReturnState::parse(state.as_str()), Ok(state));
        }
        assert!(ReturnState::parse("draft").is_err());
        use ReturnState::*;
        let accepts: Vec<_> = ReturnState::ALL
            .into_iter()
            .filter(|s| s.accepts_values())
            .collect();
        assert_eq!(accepts, [Submitted, Reopened]);
        let approvable: Vec<_> = ReturnState::ALL
            .into_iter()
            .filter(|s| s.can_approve())
            .collect();
        assert_eq!(approvable, [Submitted, Reopened]);
        let lockable: Vec<_> = ReturnState::ALL
            .into_iter()
            .filter(|s| s.can_lock())
            .collect();
        assert_eq!(lockable, [Approved]);
        let reopenable: Vec<_> = ReturnState::ALL
            .into_iter()
            .filter(|s| s.can_reopen())
            .collect();
        assert_eq!(reopenable, [Approved, Locked]);
        let finals: Vec<_> = ReturnState::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, [Approved, Locked]);
        assert_eq!(Severity::parse("Warning"), Ok(Severity::Warning));
        assert!(Severity::parse("fatal").is_err());
    }

    #[test]
    fn decimal_text_keeps_its_precision() {
        let cases = [
            ("35.996", "35.996", 3),
            ("8.65", "8.65", 2),
            ("8.650", "8.650", 3),
            ("-1.5", "-1.5", 1),
            ("1,234,567.8", "1234567.8", 1),
            (" 120 ", "120", 0),
            ("0", "0", 0),
        ];
        for (input, canonical, scale) in cases {
            let decimal = DecimalText::parse(input).expect(input);
            assert_eq!(decimal.as_str(), canonical);
            assert_eq!(decimal.scale(), scale);
        }
        for bad in [
            "", "-", "1.", ".5", "1e5", "+1", "8.65%", "12,34", "1,2345", "一", "1.2.3", "1 000",
        ] {
            assert!(DecimalText::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn comparison_display_round_trips(
            left in proptest::collection::vec(("[a-z][a-z0-9_]{0,8}", any::<bool>()), 1..5),
            right in proptest::collection::vec(("[a-z][a-z0-9_]{0,8}", any::<bool>()), 1..5),
            operator in 0usize..5,
        ) {
            let side = |terms: &[(String, bool)]| {
                let mut text = String::new();
                for (index, (term, plus)) in terms.iter().enumerate() {
                    if index > 0 {
                        text.push_str(if *plus { "+" } else { " -" });
                    }
                    text.push_str(term);
                }
                text
            };
            let text = format!("{}{}{}", side(&left), Operator::ALL[operator].as_str(), side(&right));
            let parsed = Comparison::parse(&text).expect("generated comparisons parse");
            prop_assert_eq!(Comparison::parse(&parsed.to_string()), Ok(parsed.clone()));
            prop_assert_eq!(parsed.left.terms().len(), left.len());
        }

        #[test]
        fn threshold_matches_exact_fraction(previous in 1i64..1_000_000_000, current in 0i64..2_000_000_000, hundredths in 1i64..100_000) {
            let threshold = Threshold { hundredths };
            let exceeded = threshold.is_exceeded(previous, current);
            // Compare as exact rationals with f64-free arithmetic in u128.
            let change = u128::from((current - previous).unsigned_abs());
            let expected = change * 10_000 > u128::from(hundredths.unsigned_abs()) * u128::from(previous.unsigned_abs());
            prop_assert_eq!(exceeded, expected);
        }

        #[test]
        fn values_round_trip(stored in 0i64..i64::MAX) {
            for unit in Unit::ALL {
                prop_assert_eq!(unit.parse_value(&unit.format_value(stored)), Ok(stored));
            }
        }
    }
}
