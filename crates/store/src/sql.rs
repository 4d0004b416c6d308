//! Placeholders of generated statements, the same for every module and both engines.
//!
//! On SQLite they are anonymous (`?`): sqlx-sqlite asks SQLite for the name of every parameter
//! (`sqlite3_bind_parameter_name`), which scans the statement's parameter list, so binding a
//! statement of numbered (`$n`) parameters costs the square of their number. A transfer insert
//! of 1,000 rows × 10 columns took 316–406 ms to bind with `$n` and 1.7 ms with `?`. On
//! PostgreSQL they are `$1`, `$2`, …. A statement uses one kind only, and binds its values in
//! the order its placeholders appear: an anonymous placeholder cannot be named twice, so a
//! value used twice is bound twice.

use crate::db::Tx;

/// Bound values per generated statement: well under both engines' limits (SQLite 32,766,
/// PostgreSQL 65,535).
const PARAMETERS_PER_STATEMENT: usize = 2_000;

/// Rows per multi-row INSERT of `columns` columns.
pub(crate) const fn rows_per_insert(columns: usize) -> usize {
    let rows = PARAMETERS_PER_STATEMENT / columns;
    if rows == 0 { 1 } else { rows }
}

/// The placeholders of one statement, handed out in the order they appear in its text.
pub(crate) struct Params {
    anonymous: bool,
    count: usize,
}

impl Params {
    /// Placeholders for a statement run in `tx`.
    pub(crate) fn of(tx: &Tx) -> Params {
        Params::for_engine(tx.backend_name() == "SQLite")
    }

    pub(crate) fn for_engine(anonymous: bool) -> Params {
        Params {
            anonymous,
            count: 0,
        }
    }

    /// The next placeholder.
    pub(crate) fn one(&mut self) -> String {
        self.count += 1;
        match self.anonymous {
            true => "?".to_string(),
            false => format!("${}", self.count),
        }
    }

    /// `p, p, p` — `count` placeholders.
    pub(crate) fn list(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| self.one())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `(p, p), (p, p)` for 2 rows of 2 columns.
    pub(crate) fn rows(&mut self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// [`Params::rows`] for a `VALUES` list read as a table: one column per type, the first
    /// row's placeholders cast so that both engines know the columns' types.
    pub(crate) fn typed_rows(&mut self, rows: usize, types: &[&str]) -> String {
        (0..rows)
            .map(|row| {
                let cells: Vec<String> = types
                    .iter()
                    .map(|kind| match row {
                        0 => format!("cast({} as {kind})", self.one()),
                        _ => self.one(),
                    })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_count_across_calls() {
        let mut numbered = Params::for_engine(false);
        assert_eq!(numbered.one(), "$1");
        assert_eq!(numbered.rows(2, 2), "($2, $3), ($4, $5)");
        assert_eq!(numbered.list(2), "$6, $7");
    }

    #[test]
    fn anonymous_placeholders_are_question_marks() {
        let mut anonymous = Params::for_engine(true);
        assert_eq!(anonymous.list(3), "?, ?, ?");
        assert_eq!(anonymous.rows(2, 1), "(?), (?)");
    }

    #[test]
    fn typed_rows_cast_the_first_row_only() {
        assert_eq!(
            Params::for_engine(false).typed_rows(2, &["bigint", "text"]),
            "(cast($1 as bigint), cast($2 as text)), ($3, $4)"
        );
        assert_eq!(
            Params::for_engine(true).typed_rows(2, &["bigint", "text"]),
            "(cast(? as bigint), cast(? as text)), (?, ?)"
        );
    }

    #[test]
    fn rows_per_insert_stays_within_the_limit() {
        assert_eq!(rows_per_insert(10), 200);
        assert_eq!(rows_per_insert(5_000), 1);
    }
}
