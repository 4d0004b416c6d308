//! The indicator formula language: arithmetic over measures, other indicators and a few
//! functions, evaluated exactly in decimals.
//!
//! ```text
//! expr     := term (('+' | '-') term)*
//! term     := factor (('*' | '/') factor)*
//! factor   := number | name | name '[' word ']' | func '(' expr (',' expr)* ')' | '(' expr ')' | '-' factor
//! func     := base | city | pct
//! name     := a measure (`returns.loans_total`, contains a dot) or an indicator code
//! ```
//!
//! `base(e)` evaluates `e` at the base date, `city(e)` for the city the scope lies in, and
//! `pct(a, b)` is `a / b × 100`. Evaluation first lists the leaves it needs ([`Expr::leaves`]),
//! the caller fetches them, then [`Expr::evaluate`] is pure. Division by zero gives no value.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

/// Where a leaf is read: which date and which scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Context {
    /// At the base date instead of the as-of date.
    pub at_base: bool,
    /// For the enclosing city instead of the scope itself.
    pub for_city: bool,
}

/// A measure to fetch: its name, optional argument, and where.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Leaf {
    pub name: String,
    pub argument: Option<String>,
    pub context: Context,
}

/// A parsed formula.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Number(Decimal),
    /// A measure (name with a dot) or an indicator code, with an optional `[argument]`.
    Name(String, Option<String>),
    Negate(Box<Expr>),
    Binary(Box<Expr>, Operator, Box<Expr>),
    Base(Box<Expr>),
    City(Box<Expr>),
    Percent(Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Add,
    Subtract,
    Multiply,
    Divide,
}

/// A formula that does not parse; the message names the position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("formula {formula:?}: {message} at character {position}")]
pub struct FormulaError {
    pub formula: String,
    pub position: usize,
    pub message: String,
}

/// Longest formula accepted; a limit on everything.
pub const FORMULA_CHARS_MAX: usize = 2_000;
/// Deepest nesting accepted.
const DEPTH_MAX: usize = 64;
/// Most binary operators accepted: a chain `a + b + …` is a tree as deep as it is long, and
/// evaluating, walking and dropping it recurse that deep.
pub const OPERATORS_MAX: usize = 256;

impl Expr {
    /// Parses a formula.
    pub fn parse(text: &str) -> Result<Expr, FormulaError> {
        let mut parser = Parser {
            text,
            chars: text.char_indices().collect(),
            position: 0,
            depth: 0,
            operators: 0,
        };
        if text.chars().count() > FORMULA_CHARS_MAX {
            return Err(parser.error(format!("longer than {FORMULA_CHARS_MAX} characters")));
        }
        let expr = parser.expression()?;
        parser.skip_spaces();
        match parser.peek() {
            None => Ok(expr),
            Some(c) => Err(parser.error(format!("unexpected {c:?}"))),
        }
    }

    /// The names (measures and indicator codes) the formula refers to.
    pub fn names(&self) -> BTreeSet<(String, Option<String>)> {
        let mut names = BTreeSet::new();
        self.visit_names(&mut names);
        names
    }

    fn visit_names(&self, names: &mut BTreeSet<(String, Option<String>)>) {
        match self {
            Expr::Number(_) => {}
            Expr::Name(name, argument) => {
                names.insert((name.clone(), argument.clone()));
            }
            Expr::Negate(inner) | Expr::Base(inner) | Expr::City(inner) => inner.visit_names(names),
            Expr::Binary(left, _, right) | Expr::Percent(left, right) => {
                left.visit_names(names);
                right.visit_names(names);
            }
        }
    }

    /// Replaces every indicator code by its formula (measures, with a dot, stay). `lookup`
    /// returns an indicator's parsed formula; a cycle or an unknown name is an error.
    pub fn expand(&self, lookup: &dyn Fn(&str) -> Option<Expr>) -> Result<Expr, String> {
        self.expand_within(lookup, &mut Vec::new())
    }

    fn expand_within(
        &self,
        lookup: &dyn Fn(&str) -> Option<Expr>,
        stack: &mut Vec<String>,
    ) -> Result<Expr, String> {
        let recurse =
            |e: &Expr, stack: &mut Vec<String>| e.expand_within(lookup, stack).map(Box::new);
        Ok(match self {
            Expr::Number(_) => self.clone(),
            Expr::Name(name, _) if name.contains('.') => self.clone(),
            Expr::Name(name, _) => {
                if stack.contains(name) {
                    return Err(format!(
                        "indicator {name} refers to itself: {} → {name}",
                        stack.join(" → ")
                    ));
                }
                let formula =
                    lookup(name).ok_or_else(|| format!("unknown indicator or measure {name:?}"))?;
                stack.push(name.clone());
                let expanded = formula.expand_within(lookup, stack)?;
                stack.pop();
                expanded
            }
            Expr::Negate(inner) => Expr::Negate(recurse(inner, stack)?),
            Expr::Base(inner) => Expr::Base(recurse(inner, stack)?),
            Expr::City(inner) => Expr::City(recurse(inner, stack)?),
            Expr::Binary(left, op, right) => {
                Expr::Binary(recurse(left, stack)?, *op, recurse(right, stack)?)
            }
            Expr::Percent(left, right) => {
                Expr::Percent(recurse(left, stack)?, recurse(right, stack)?)
            }
        })
    }

    /// The measures an expanded formula reads, with where.
    pub fn leaves(&self) -> BTreeSet<Leaf> {
        let mut leaves = BTreeSet::new();
        self.visit_leaves(
            Context {
                at_base: false,
                for_city: false,
            },
            &mut leaves,
        );
        leaves
    }

    fn visit_leaves(&self, context: Context, leaves: &mut BTreeSet<Leaf>) {
        match self {
            Expr::Number(_) => {}
            Expr::Name(name, argument) => {
                leaves.insert(Leaf {
                    name: name.clone(),
                    argument: argument.clone(),
                    context,
                });
            }
            Expr::Negate(inner) => inner.visit_leaves(context, leaves),
            Expr::Base(inner) => inner.visit_leaves(
                Context {
                    at_base: true,
                    ..context
                },
                leaves,
            ),
            Expr::City(inner) => inner.visit_leaves(
                Context {
                    for_city: true,
                    ..context
                },
                leaves,
            ),
            Expr::Binary(left, _, right) | Expr::Percent(left, right) => {
                left.visit_leaves(context, leaves);
                right.visit_leaves(context, leaves);
            }
        }
    }

    /// Evaluates an expanded formula with the leaves' values; `None` on division by zero, a
    /// missing value or overflow.
    pub fn evaluate(&self, value_of: &dyn Fn(&Leaf) -> Option<Decimal>) -> Option<Decimal> {
        self.evaluate_in(
            Context {
                at_base: false,
                for_city: false,
            },
            value_of,
        )
    }

    fn evaluate_in(
        &self,
        context: Context,
        value_of: &dyn Fn(&Leaf) -> Option<Decimal>,
    ) -> Option<Decimal> {
        match self {
            Expr::Number(number) => Some(*number),
            Expr::Name(name, argument) => value_of(&Leaf {
                name: name.clone(),
                argument: argument.clone(),
                context,
            }),
            Expr::Negate(inner) => inner.evaluate_in(context, value_of).map(|v| -v),
            Expr::Base(inner) => inner.evaluate_in(
                Context {
                    at_base: true,
                    ..context
                },
                value_of,
            ),
            Expr::City(inner) => inner.evaluate_in(
                Context {
                    for_city: true,
                    ..context
                },
                value_of,
            ),
            Expr::Binary(left, op, right) => {
                let (a, b) = (
                    left.evaluate_in(context, value_of)?,
                    right.evaluate_in(context, value_of)?,
                );
                match op {
                    Operator::Add => a.checked_add(b),
                    Operator::Subtract => a.checked_sub(b),
                    Operator::Multiply => a.checked_mul(b),
                    Operator::Divide => a.checked_div(b),
                }
            }
            Expr::Percent(left, right) => {
                let (a, b) = (
                    left.evaluate_in(context, value_of)?,
                    right.evaluate_in(context, value_of)?,
                );
                a.checked_div(b)?.checked_mul(Decimal::ONE_HUNDRED)
            }
        }
    }
}

/// A value with exactly `places` decimals, rounded half up (away from zero): how every figure is
/// shown and exported.
pub fn fixed(value: Decimal, places: u32) -> String {
    let mut rounded =
        value.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    rounded.to_string()
}

struct Parser<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    position: usize,
    depth: usize,
    operators: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> FormulaError {
        FormulaError {
            formula: self.text.to_string(),
            position: self.position + 1,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).map(|(_, c)| *c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn eat(&mut self, expected: char) -> bool {
        self.skip_spaces();
        if self.peek() == Some(expected) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expression(&mut self) -> Result<Expr, FormulaError> {
        self.depth += 1;
        if self.depth > DEPTH_MAX {
            return Err(self.error("nested too deeply"));
        }
        let mut left = self.term()?;
        loop {
            let op = if self.eat('+') {
                Operator::Add
            } else if self.eat('-') {
                Operator::Subtract
            } else {
                break;
            };
            self.count_operator()?;
            left = Expr::Binary(Box::new(left), op, Box::new(self.term()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.factor()?;
        loop {
            let op = if self.eat('*') {
                Operator::Multiply
            } else if self.eat('/') {
                Operator::Divide
            } else {
                break;
            };
            self.count_operator()?;
            left = Expr::Binary(Box::new(left), op, Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn count_operator(&mut self) -> Result<(), FormulaError> {
        self.operators += 1;
        match self.operators > OPERATORS_MAX {
            true => Err(self.error(format!("more than {OPERATORS_MAX} operators"))),
            false => Ok(()),
        }
    }

    fn factor(&mut self) -> Result<Expr, FormulaError> {
        self.skip_spaces();
        match self.peek() {
            Some('(') => {
                self.position += 1;
                let inner = self.expression()?;
                if !self.eat(')') {
                    return Err(self.error("expected ')'"));
                }
                Ok(inner)
            }
            Some('-') => {
                // A run of minus signs nests like parentheses: bounded the same way, or a long
                // one overflows the stack.
                self.position += 1;
                self.depth += 1;
                if self.depth > DEPTH_MAX {
                    return Err(self.error("nested too deeply"));
                }
                let inner = self.factor()?;
                self.depth -= 1;
                Ok(Expr::Negate(Box::new(inner)))
            }
            Some(c) if c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.name_or_call(),
            Some(c) => Err(self.error(format!("unexpected {c:?}"))),
            None => Err(self.error("unexpected end")),
        }
    }

    fn number(&mut self) -> Result<Expr, FormulaError> {
        let word = self.take_while(|c| c.is_ascii_digit() || c == '.');
        word.parse::<Decimal>()
            .map(Expr::Number)
            .map_err(|_| self.error(format!("{word:?} is not a number")))
    }

    fn take_while(&mut self, accept: impl Fn(char) -> bool) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek().filter(|c| accept(*c)) {
            word.push(c);
            self.position += 1;
        }
        word
    }

    fn name_or_call(&mut self) -> Result<Expr, FormulaError> {
        let name = self.take_while(|c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == ':' || c == '%'
        });
        if self.eat('(') {
            return self.call(&name);
        }
        if self.eat('[') {
            let argument = self.take_while(|c| {
                c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '%' || c == '-'
            });
            if argument.is_empty() || !self.eat(']') {
                return Err(self.error("expected an argument and ']'"));
            }
            return Ok(Expr::Name(name, Some(argument)));
        }
        Ok(Expr::Name(name, None))
    }

    fn call(&mut self, function: &str) -> Result<Expr, FormulaError> {
        let first = self.expression()?;
        let second = if self.eat(',') {
            Some(self.expression()?)
        } else {
            None
        };
        if !self.eat(')') {
            return Err(self.error("expected ')'"));
        }
        match (function, second) {
            ("base", None) => Ok(Expr::Base(Box::new(first))),
            ("city", None) => Ok(Expr::City(Box::new(first))),
            ("pct", Some(second)) => Ok(Expr::Percent(Box::new(first), Box::new(second))),
            ("pct", None) => Err(self.error("pct takes two arguments")),
            (other, _) => {
                Err(self.error(format!("unknown function {other:?}: use base, city or pct")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn decimal(text: &str) -> Decimal {
        text.parse().expect("decimal")
    }

    fn check(formula: &str, expected: Option<&str>) {
        let values: HashMap<(&str, bool, bool), Decimal> = HashMap::from([
            (
                ("returns.loans_total", false, false),
                decimal("35996000000"),
            ),
            (("returns.loans_total", true, false), decimal("32130000000")),
            (("returns.loans_total", false, true), decimal("100000")),
            (
                ("returns.loans_total", true, true),
                decimal("92936.802973977695167286245"),
            ),
            (("zero.measure", false, false), Decimal::ZERO),
        ]);
        let value_of = |leaf: &Leaf| {
            values
                .get(&(
                    leaf.name.as_str(),
                    leaf.context.at_base,
                    leaf.context.for_city,
                ))
                .copied()
        };
        let got = Expr::parse(formula)
            .expect("parses")
            .evaluate(&value_of)
            .map(|v| fixed(v, 2));
        assert_eq!(got.as_deref(), expected, "{formula}");
    }

    #[test]
    fn evaluation() {
        check(
            "returns.loans_total - base(returns.loans_total)",
            Some("3866000000.00"),
        );
        // The article's growth: 3.866 / 32.130 = 12.03 %, not its stated 8.65 %.
        check(
            "pct(returns.loans_total - base(returns.loans_total), base(returns.loans_total))",
            Some("12.03"),
        );
        check(
            "city(pct(returns.loans_total - base(returns.loans_total), base(returns.loans_total)))",
            Some("7.60"),
        );
        check("1 + 2 * 3 - (4 - 1) / 3", Some("6.00"));
        check("-returns.loans_total + 1", Some("-35995999999.00"));
        check("pct(1, zero.measure)", None);
        check("unknown.measure + 1", None);
    }

    #[test]
    fn fixed_places_round_half_up() {
        assert_eq!(fixed(decimal("12.0325"), 2), "12.03");
        assert_eq!(fixed(decimal("12.035"), 2), "12.04");
        assert_eq!(fixed(decimal("-12.035"), 2), "-12.04");
        assert_eq!(fixed(decimal("7"), 2), "7.00");
        assert_eq!(fixed(decimal("380300.4"), 0), "380300");
    }

    #[test]
    fn refusals_name_the_position() {
        for (formula, fragment) in [
            ("1 +", "unexpected end"),
            ("pct(1)", "pct takes two arguments"),
            ("sum(1)", "unknown function \"sum\""),
            ("(1 + 2", "expected ')'"),
            ("1 $ 2", "unexpected '$'"),
            ("a[", "expected an argument"),
        ] {
            let error = Expr::parse(formula).expect_err(formula);
            assert!(error.to_string().contains(fragment), "{formula}: {error}");
        }
    }

    #[test]
    fn expansion_follows_indicators_and_refuses_cycles() {
        let formulas: HashMap<&str, &str> = HashMap::from([
            ("balance", "returns.loans_total"),
            ("increase", "balance - base(balance)"),
            ("a", "b + 1"),
            ("b", "a"),
        ]);
        let lookup = |code: &str| formulas.get(code).map(|f| Expr::parse(f).expect("parses"));
        let expanded = Expr::parse("pct(increase, base(balance))")
            .expect("parses")
            .expand(&lookup)
            .expect("expands");
        let leaves: Vec<(String, bool)> = expanded
            .leaves()
            .into_iter()
            .map(|l| (l.name, l.context.at_base))
            .collect();
        assert_eq!(
            leaves,
            vec![
                ("returns.loans_total".to_string(), false),
                ("returns.loans_total".to_string(), true)
            ]
        );
        let cycle = Expr::parse("a")
            .expect("parses")
            .expand(&lookup)
            .expect_err("cycle");
        assert!(cycle.contains("refers to itself"), "{cycle}");
        let unknown = Expr::parse("nothing")
            .expect("parses")
            .expand(&lookup)
            .expect_err("unknown");
        assert!(unknown.contains("unknown indicator"), "{unknown}");
    }

    #[test]
    fn arguments_and_patterns() {
        let expr = Expr::parse(
            "territory.townships_assigned[rural_cooperative] + ledger.balance[loan_principal:%]",
        )
        .expect("parses");
        let names: Vec<_> = expr.names().into_iter().collect();
        assert_eq!(
            names,
            vec![
                (
                    "ledger.balance".to_string(),
                    Some("loan_principal:%".to_string())
                ),
                (
                    "territory.townships_assigned".to_string(),
                    Some("rural_cooperative".to_string())
                ),
            ]
        );
    }
}
