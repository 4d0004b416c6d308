//! Supervisory alerts: the rule language and the enumerations of alert rules and their work.
//!
//! A rule's condition is data: comparisons of integer expressions over named *facts* (computed
//! per subject as of a date by the store) and the rule's own *parameters*, joined by `and` /
//! `or`, e.g. `household_banks_count >= banks_min` or
//! `village_overdue_rate_bps >= county_overdue_rate_bps * factor and village_loans_count >= 10`.
//! Integers only (fen, days, basis points), so no rounding ever decides an alert.

use std::collections::BTreeSet;
use std::fmt;

/// Why a condition, severity, subject or answer kind was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertError(pub String);

impl fmt::Display for AlertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AlertError {}

type Result<T> = std::result::Result<T, AlertError>;

fn error(text: impl Into<String>) -> AlertError {
    AlertError(text.into())
}

/// The longest condition accepted.
pub const MAX_CONDITION_CHARS: usize = 1_000;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<$name> {
                match text.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(error(format!(
                        concat!("unknown ", $what, " '{}' (expected one of: {})"),
                        other,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }
    };
}

text_enum!(
    /// How serious an alert is.
    Severity, "severity", { High => "high", Medium => "medium", Low => "low" }
);

text_enum!(
    /// What an alert is about; each kind has its own facts.
    Subject, "subject", {
        Loan => "loan",
        CreditLine => "credit_line",
        Village => "village",
        EnterpriseDay => "enterprise_day",
        WrittenOffLoan => "written_off_loan",
        Officer => "officer",
    }
);

text_enum!(
    /// Where an alert stands in its work.
    AlertStatus, "alert status", {
        Open => "open",
        Explained => "explained",
        Corrected => "corrected",
        Escalated => "escalated",
        Dismissed => "dismissed",
        Closed => "closed",
    }
);

text_enum!(
    /// An answer to an alert. Dismissing is the regulator's.
    AnswerKind, "answer", {
        Explain => "explain",
        Correct => "correct",
        Escalate => "escalate",
        Dismiss => "dismiss",
    }
);

impl AnswerKind {
    /// The status an answer leaves the alert in.
    pub fn status(self) -> AlertStatus {
        match self {
            AnswerKind::Explain => AlertStatus::Explained,
            AnswerKind::Correct => AlertStatus::Corrected,
            AnswerKind::Escalate => AlertStatus::Escalated,
            AnswerKind::Dismiss => AlertStatus::Dismissed,
        }
    }
}

impl AlertStatus {
    /// Still to be worked on by someone (not dismissed, not closed by the data).
    pub fn is_live(self) -> bool {
        !matches!(self, AlertStatus::Dismissed | AlertStatus::Closed)
    }
}

impl Subject {
    /// The facts the store computes for a subject of this kind.
    pub fn facts(self) -> &'static [&'static str] {
        match self {
            Subject::Loan => &[
                "amount_fen",
                "term_months",
                "is_microcredit",
                "borrower_age_years",
                "borrower_days_since_death",
                "borrower_registered_on_disbursement",
                "borrower_exited_years_before_disbursement",
                "household_banks_count",
                "household_microcredit_total_fen",
                "purpose_names_enterprise",
                "subsidy_overdue_days",
            ],
            Subject::CreditLine => &[
                "line_fen",
                "recommended_line_fen",
                "line_above_recommended_fen",
            ],
            Subject::Village => &[
                "village_loans_count",
                "village_overdue_count",
                "village_overdue_rate_bps",
                "county_overdue_rate_bps",
            ],
            Subject::Officer => &[
                "officer_loans_count",
                "officer_overdue_count",
                "officer_overdue_rate_bps",
                "county_overdue_rate_bps",
            ],
            Subject::EnterpriseDay => &["linked_loans_count", "linked_loans_fen"],
            Subject::WrittenOffLoan => &[
                "balance_at_write_off_fen",
                "balance_fen",
                "balance_rise_after_write_off_fen",
            ],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn holds(self, left: i128, right: i128) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    Number(i64),
    Name(String),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Comparison {
    left: Expr,
    op: Op,
    right: Expr,
}

/// A parsed condition: alternatives (`or`) of conjunctions (`and`) of comparisons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    any: Vec<Vec<Comparison>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Number(i64),
    Name(String),
    Op(Op),
    Plus,
    Minus,
    Star,
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        let (token, width) = match c {
            ' ' | '\t' | '\n' | '\r' => {
                at += 1;
                continue;
            }
            '+' => (Token::Plus, 1),
            '-' => (Token::Minus, 1),
            '*' => (Token::Star, 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '<' if next == Some('=') => (Token::Op(Op::Le), 2),
            '>' if next == Some('=') => (Token::Op(Op::Ge), 2),
            '!' if next == Some('=') => (Token::Op(Op::Ne), 2),
            '=' if next == Some('=') => (Token::Op(Op::Eq), 2),
            '<' => (Token::Op(Op::Lt), 1),
            '>' => (Token::Op(Op::Gt), 1),
            '=' => (Token::Op(Op::Eq), 1),
            '0'..='9' => {
                let end = (at..chars.len())
                    .find(|&i| !chars[i].is_ascii_digit() && chars[i] != '_')
                    .unwrap_or(chars.len());
                let digits: String = chars[at..end].iter().filter(|c| **c != '_').collect();
                let value = digits
                    .parse::<i64>()
                    .map_err(|_| error(format!("number {digits} is too large")))?;
                (Token::Number(value), end - at)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let end = (at..chars.len())
                    .find(|&i| !(chars[i].is_ascii_alphanumeric() || chars[i] == '_'))
                    .unwrap_or(chars.len());
                (Token::Name(chars[at..end].iter().collect()), end - at)
            }
            other => {
                return Err(error(format!(
                    "unexpected '{other}' at character {}",
                    at + 1
                )));
            }
        };
        out.push(token);
        at += width;
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Name(name)) if name == word)
    }

    fn condition(&mut self) -> Result<Vec<Vec<Comparison>>> {
        let mut any = vec![self.conjunction()?];
        while self.is_word("or") {
            self.at += 1;
            any.push(self.conjunction()?);
        }
        Ok(any)
    }

    fn conjunction(&mut self) -> Result<Vec<Comparison>> {
        let mut all = vec![self.comparison()?];
        while self.is_word("and") {
            self.at += 1;
            all.push(self.comparison()?);
        }
        Ok(all)
    }

    fn comparison(&mut self) -> Result<Comparison> {
        let left = self.sum()?;
        let op = match self.next() {
            Some(Token::Op(op)) => op,
            _ => return Err(error("expected a comparison (<, <=, >, >=, =, !=)")),
        };
        let right = self.sum()?;
        Ok(Comparison { left, op, right })
    }

    fn sum(&mut self) -> Result<Expr> {
        let mut expr = self.product()?;
        loop {
            match self.peek() {
                Some(Token::Plus) => {
                    self.at += 1;
                    expr = Expr::Add(Box::new(expr), Box::new(self.product()?));
                }
                Some(Token::Minus) => {
                    self.at += 1;
                    expr = Expr::Sub(Box::new(expr), Box::new(self.product()?));
                }
                _ => return Ok(expr),
            }
        }
    }

    fn product(&mut self) -> Result<Expr> {
        let mut expr = self.atom()?;
        while self.peek() == Some(&Token::Star) {
            self.at += 1;
            expr = Expr::Mul(Box::new(expr), Box::new(self.atom()?));
        }
        Ok(expr)
    }

    fn atom(&mut self) -> Result<Expr> {
        match self.next() {
            Some(Token::Number(value)) => Ok(Expr::Number(value)),
            Some(Token::Name(name)) if name != "and" && name != "or" => Ok(Expr::Name(name)),
            Some(Token::Open) => {
                let expr = self.sum()?;
                match self.next() {
                    Some(Token::Close) => Ok(expr),
                    _ => Err(error("expected ')'")),
                }
            }
            Some(other) => Err(error(format!("unexpected {other:?}"))),
            None => Err(error("the condition ends too early")),
        }
    }
}

impl Expr {
    fn names<'a>(&'a self, out: &mut BTreeSet<&'a str>) {
        match self {
            Expr::Number(_) => {}
            Expr::Name(name) => {
                out.insert(name);
            }
            Expr::Add(a, b) | Expr::Sub(a, b) | Expr::Mul(a, b) => {
                a.names(out);
                b.names(out);
            }
        }
    }

    fn value(&self, lookup: &impl Fn(&str) -> Option<i64>) -> Option<i128> {
        match self {
            Expr::Number(value) => Some(i128::from(*value)),
            Expr::Name(name) => lookup(name).map(i128::from),
            Expr::Add(a, b) => a.value(lookup)?.checked_add(b.value(lookup)?),
            Expr::Sub(a, b) => a.value(lookup)?.checked_sub(b.value(lookup)?),
            Expr::Mul(a, b) => a.value(lookup)?.checked_mul(b.value(lookup)?),
        }
    }
}

impl Condition {
    /// Parses a condition; names are checked against a subject by [`Condition::check_names`].
    pub fn parse(text: &str) -> Result<Condition> {
        if text.chars().count() > MAX_CONDITION_CHARS {
            return Err(error(format!(
                "a condition has at most {MAX_CONDITION_CHARS} characters"
            )));
        }
        let mut parser = Parser {
            tokens: tokens(text)?,
            at: 0,
        };
        if parser.tokens.is_empty() {
            return Err(error("the condition is empty"));
        }
        let any = parser.condition()?;
        if parser.at < parser.tokens.len() {
            return Err(error(format!(
                "unexpected {:?} after the condition",
                parser.tokens[parser.at]
            )));
        }
        Ok(Condition { any })
    }

    /// Every name the condition uses.
    pub fn names(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for comparison in self.any.iter().flatten() {
            comparison.left.names(&mut out);
            comparison.right.names(&mut out);
        }
        out
    }

    /// Refuses a name that is neither a fact of `subject` nor one of `parameters`.
    pub fn check_names(&self, subject: Subject, parameters: &[&str]) -> Result<()> {
        for name in self.names() {
            if !subject.facts().contains(&name) && !parameters.contains(&name) {
                return Err(error(format!(
                    "'{name}' is neither a fact of a {} ({}) nor a parameter of the rule",
                    subject.as_str(),
                    subject.facts().join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Whether the condition holds; a comparison with an unknown name or an overflow does not.
    pub fn holds(&self, lookup: &impl Fn(&str) -> Option<i64>) -> bool {
        self.any.iter().any(|all| {
            all.iter()
                .all(|c| match (c.left.value(lookup), c.right.value(lookup)) {
                    (Some(left), Some(right)) => c.op.holds(left, right),
                    _ => false,
                })
        })
    }
}

/// Words in a loan's purpose that say the money goes to an enterprise (入股分红, 转贷, …).
pub const ENTERPRISE_PURPOSE_WORDS: &[&str] =
    &["入股", "分红", "转贷", "指标交换", "公司", "合作社"];

/// Whether a loan's purpose names an enterprise or an enterprise use.
pub fn purpose_names_enterprise(purpose: &str) -> bool {
    ENTERPRISE_PURPOSE_WORDS
        .iter()
        .any(|word| purpose.contains(word))
}

/// Whole years from `birth` to `on` (a birthday counts on its day).
pub fn age_years(birth: crate::BusinessDate, on: crate::BusinessDate) -> i64 {
    let mut years = i64::from(on.year() - birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// Whole months from `start` to `end`, a part month counting as one.
pub fn term_months(start: crate::BusinessDate, end: crate::BusinessDate) -> i64 {
    let months = i64::from(end.year() - start.year()) * 12 + i64::from(end.month())
        - i64::from(start.month());
    if end.day() > start.day() {
        months + 1
    } else {
        months
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BusinessDate;

    fn facts(name: &str) -> Option<i64> {
        match name {
            "a" => Some(5),
            "b" => Some(2),
            "cap" => Some(3),
            _ => None,
        }
    }

    #[test]
    fn conditions_evaluate() {
        let holds = |text: &str| Condition::parse(text).unwrap().holds(&facts);
        assert!(holds("a > cap"));
        assert!(!holds("a <= cap"));
        assert!(holds("a >= b * 2 + 1"));
        assert!(!holds("a >= b * (2 + 1)"));
        assert!(holds("a = 4 or b = 2"));
        assert!(!holds("a = 5 and b != 2"));
        assert!(!holds("missing > 0"));
        assert!(holds("a - b = 3"));
        assert!(holds("a >= 1_000 or a < 10"));
    }

    #[test]
    fn bad_conditions_are_refused() {
        for text in ["", "a >", "a b", "a > 1 and", "(a > 1", "a # 1", "a + 1"] {
            assert!(Condition::parse(text).is_err(), "{text}");
        }
        let condition = Condition::parse("term_months > cap").unwrap();
        assert!(condition.check_names(Subject::Loan, &["cap"]).is_ok());
        assert!(condition.check_names(Subject::Village, &["cap"]).is_err());
        assert!(condition.check_names(Subject::Loan, &[]).is_err());
    }

    #[test]
    fn ages_and_terms() {
        let d = |s| BusinessDate::parse(s).unwrap();
        assert_eq!(age_years(d("1960-03-15"), d("2025-03-14")), 64);
        assert_eq!(age_years(d("1960-03-15"), d("2025-03-15")), 65);
        assert_eq!(term_months(d("2024-01-15"), d("2027-01-15")), 36);
        assert_eq!(term_months(d("2024-01-15"), d("2027-01-16")), 37);
        assert_eq!(term_months(d("2024-01-31"), d("2024-02-29")), 1);
    }

    #[test]
    fn enumerations_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Ok(*s));
        }
        assert!(AlertStatus::parse("gone").is_err());
        assert_eq!(AnswerKind::Dismiss.status(), AlertStatus::Dismissed);
    }
}
