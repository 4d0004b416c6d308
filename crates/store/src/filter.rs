//! The WHERE clause of a read, made from the filters actually given.
//!
//! A catch-all condition (`($2 = '' or household_id = $2)`) and a `LIKE` on a region code keep
//! SQLite from using an index: it plans a statement once, without its values, and never uses an
//! index for its case-insensitive `LIKE`. So a read names only the conditions it has, and a
//! region is a range of codes (`village_code >= $a and village_code <= $b`).

use fupin_core::RegionCode;
use sqlx::any::AnyArguments;

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, AnyArguments>;

/// The lowest and highest 12-digit code starting with `prefix` (digits, at most 12): every
/// region code at or under the prefix lies between them, inclusive, in any collation (the codes
/// are digits of one length).
pub(crate) fn code_range(prefix: &str) -> (String, String) {
    let pad = 12usize.saturating_sub(prefix.len());
    (
        format!("{prefix}{}", "0".repeat(pad)),
        format!("{prefix}{}", "9".repeat(pad)),
    )
}

enum Value {
    Text(String),
    Int(i64),
}

/// Conditions joined by `and`, with numbered placeholders from a given first number.
pub(crate) struct Conditions {
    sql: Vec<String>,
    values: Vec<Value>,
    first: usize,
}

impl Conditions {
    /// Conditions whose first placeholder is `$first` (the ones before are the caller's).
    pub(crate) fn starting_at(first: usize) -> Conditions {
        Conditions {
            sql: Vec::new(),
            values: Vec::new(),
            first,
        }
    }

    /// The number of the next placeholder.
    pub(crate) fn next(&self) -> usize {
        self.first + self.values.len()
    }

    /// `condition` with every `{}` replaced by the placeholder of `value`.
    pub(crate) fn text(&mut self, condition: &str, value: impl Into<String>) -> &mut Self {
        let placeholder = format!("${}", self.next());
        self.sql.push(condition.replace("{}", &placeholder));
        self.values.push(Value::Text(value.into()));
        self
    }

    /// [`Conditions::text`] when a value is given; nothing otherwise.
    pub(crate) fn text_if(&mut self, condition: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.text(condition, value);
        }
        self
    }

    /// `condition` with every `{}` replaced by the placeholder of `value`, when one is given.
    pub(crate) fn int_if(&mut self, condition: &str, value: Option<i64>) -> &mut Self {
        if let Some(value) = value {
            let placeholder = self.int(value);
            self.sql.push(condition.replace("{}", &placeholder));
        }
        self
    }

    /// `column` is a code at or under the prefix (every code for '').
    pub(crate) fn prefix(&mut self, column: &str, prefix: &str) -> &mut Self {
        let (low, high) = code_range(prefix);
        let (low_n, high_n) = (self.next(), self.next() + 1);
        self.sql
            .push(format!("{column} >= ${low_n} and {column} <= ${high_n}"));
        self.values.push(Value::Text(low));
        self.values.push(Value::Text(high));
        self
    }

    /// `column` is at or under the region; nothing when `None`.
    pub(crate) fn within(&mut self, column: &str, region: Option<RegionCode>) -> &mut Self {
        if let Some(region) = region {
            self.prefix(column, region.prefix());
        }
        self
    }

    /// A placeholder for a value the caller places itself (a limit, an offset).
    pub(crate) fn int(&mut self, value: i64) -> String {
        let placeholder = format!("${}", self.next());
        self.values.push(Value::Int(value));
        placeholder
    }

    /// ` where a and b`, or nothing without conditions.
    pub(crate) fn where_clause(&self) -> String {
        match self.sql.is_empty() {
            true => String::new(),
            false => format!(" where {}", self.sql.join(" and ")),
        }
    }

    /// ` and a and b`, or nothing without conditions.
    pub(crate) fn and_clause(&self) -> String {
        match self.sql.is_empty() {
            true => String::new(),
            false => format!(" and {}", self.sql.join(" and ")),
        }
    }

    /// Binds the values, in placeholder order, after the caller's.
    pub(crate) fn bind<'q>(&self, mut query: AnyQuery<'q>) -> AnyQuery<'q> {
        for value in &self.values {
            query = match value {
                Value::Text(text) => query.bind(text.clone()),
                Value::Int(number) => query.bind(*number),
            };
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_exactly_the_codes_under_a_prefix() {
        let cases = [
            ("", "000000000000", "999999999999"),
            ("3611", "361100000000", "361199999999"),
            ("361129", "361129000000", "361129999999"),
            ("361121001002", "361121001002", "361121001002"),
        ];
        for (prefix, low, high) in cases {
            assert_eq!(
                code_range(prefix),
                (low.to_string(), high.to_string()),
                "{prefix}"
            );
        }
        let (low, high) = code_range("3611");
        for code in ["361100000000", "361199999999", "361128103201"] {
            assert!(low.as_str() <= code && code <= high.as_str(), "{code}");
        }
        for code in ["361000000000", "361200000000", "360999999999"] {
            assert!(!(low.as_str() <= code && code <= high.as_str()), "{code}");
        }
    }

    #[test]
    fn only_given_filters_become_conditions() {
        let mut conditions = Conditions::starting_at(2);
        conditions
            .text_if("household_id = {}", None)
            .text_if("institution_code = {}", Some("BANK"))
            .prefix("village_code", "3611");
        let limit = conditions.int(50);
        assert_eq!(
            conditions.where_clause(),
            " where institution_code = $2 and village_code >= $3 and village_code <= $4"
        );
        assert_eq!(limit, "$5");
        assert_eq!(conditions.next(), 6);
        assert_eq!(Conditions::starting_at(1).and_clause(), "");
    }
}
