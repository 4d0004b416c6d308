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

/// Rows for a bulk INSERT, written by [`BulkRows::insert`] through each engine's fastest path
/// reachable from sqlx's `Any` driver: the one seam where the engines' code differs.
///
/// - SQLite: multi-row `VALUES` of anonymous placeholders, [`rows_per_insert`] rows a statement,
///   each value bound (binding is cheap in-process; SQLite's JSON functions, tried instead,
///   re-parse a row's JSON for each of its cells and took twice as long).
/// - PostgreSQL: the whole batch as one JSON text parameter read as a table by
///   `json_array_elements`: one round trip and one plan per batch instead of one per few hundred
///   rows. (`COPY` is not reachable through the `Any` driver, and a second connection could not
///   see the import's uncommitted working tables.)
pub(crate) struct BulkRows {
    columns: usize,
    cells: Vec<BulkCell>,
}

enum BulkCell {
    Text(String),
    Int(i64),
    Null,
}

impl BulkRows {
    /// Rows of `columns` cells each.
    pub(crate) fn new(columns: usize) -> BulkRows {
        BulkRows {
            columns,
            cells: Vec::new(),
        }
    }

    pub(crate) fn text(&mut self, value: impl Into<String>) -> &mut BulkRows {
        self.cells.push(BulkCell::Text(value.into()));
        self
    }

    pub(crate) fn opt_text(&mut self, value: Option<impl Into<String>>) -> &mut BulkRows {
        self.cells
            .push(value.map_or(BulkCell::Null, |value| BulkCell::Text(value.into())));
        self
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut BulkRows {
        self.cells.push(BulkCell::Int(value));
        self
    }

    pub(crate) fn opt_int(&mut self, value: Option<i64>) -> &mut BulkRows {
        self.cells.push(value.map_or(BulkCell::Null, BulkCell::Int));
        self
    }

    /// `insert into {target} <the rows> {tail}`, `target` naming the table and its columns,
    /// `types` the SQL type of each column (`text`, `bigint`), `tail` an optional ON CONFLICT.
    pub(crate) async fn insert(
        self,
        tx: &mut Tx,
        target: &str,
        types: &[&str],
        tail: &str,
    ) -> crate::error::Result<()> {
        debug_assert_eq!(types.len(), self.columns);
        debug_assert_eq!(self.cells.len() % self.columns, 0, "incomplete row");
        if self.cells.is_empty() {
            return Ok(());
        }
        let mut params = Params::of(tx);
        if !params.anonymous {
            let sql = format!(
                "insert into {target} {} where true {tail}",
                json_select(&mut params, types)
            );
            let json = self.json();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(json)
                .execute(&mut **tx)
                .await?;
            return Ok(());
        }
        let per_statement = rows_per_insert(self.columns) * self.columns;
        let mut cells = self.cells.into_iter().peekable();
        while cells.peek().is_some() {
            let chunk: Vec<BulkCell> = cells.by_ref().take(per_statement).collect();
            let sql = format!(
                "insert into {target} values {} {tail}",
                Params::of(tx).rows(chunk.len() / self.columns, self.columns)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for cell in chunk {
                query = match cell {
                    BulkCell::Text(text) => query.bind(text),
                    BulkCell::Int(value) => query.bind(value),
                    BulkCell::Null => query.bind(None::<String>),
                };
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The rows as a JSON array of arrays.
    fn json(&self) -> String {
        use std::fmt::Write;
        let mut json = String::with_capacity(self.cells.len() * 12);
        json.push('[');
        for (index, cell) in self.cells.iter().enumerate() {
            match (index % self.columns, index) {
                (0, 0) => json.push('['),
                (0, _) => json.push_str("],["),
                _ => json.push(','),
            }
            match cell {
                // A string is always valid JSON text.
                BulkCell::Text(text) => {
                    json.push_str(&serde_json::to_string(text).expect("JSON of a string"))
                }
                BulkCell::Int(value) => write!(json, "{value}").expect("writing into a String"),
                BulkCell::Null => json.push_str("null"),
            }
        }
        json.push_str("]]");
        json
    }
}

/// `select <cells> from <the JSON rows bound as the next placeholder>` (PostgreSQL): cell `i`
/// of each row as a column of type `types[i]`.
fn json_select(params: &mut Params, types: &[&str]) -> String {
    let cells: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(index, kind)| format!("cast(j.value ->> {index} as {kind})"))
        .collect();
    format!(
        "select {} from json_array_elements(cast({} as json)) j(value)",
        cells.join(", "),
        params.one()
    )
}

/// `$first, $first+1, …`: `count` numbered placeholders, for a statement whose other
/// placeholders are numbered (both engines read `$n`; prefer [`Params`] for long lists).
pub(crate) fn numbered_list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
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
    fn bulk_rows_travel_to_postgresql_as_an_array_of_arrays() {
        let mut rows = BulkRows::new(3);
        rows.int(1).text("a\"b").opt_text(None::<String>);
        rows.opt_int(None).text("户").int(-2);
        assert_eq!(rows.json(), r#"[[1,"a\"b",null],[null,"户",-2]]"#);
        assert_eq!(
            json_select(&mut Params::for_engine(false), &["bigint", "text"]),
            "select cast(j.value ->> 0 as bigint), cast(j.value ->> 1 as text) \
             from json_array_elements(cast($1 as json)) j(value)"
        );
    }

    #[test]
    fn numbered_lists_start_where_asked() {
        assert_eq!(numbered_list(3, 2), "$3, $4");
    }

    #[test]
    fn rows_per_insert_stays_within_the_limit() {
        assert_eq!(rows_per_insert(10), 200);
        assert_eq!(rows_per_insert(5_000), 1);
    }
}
