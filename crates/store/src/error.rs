//! Errors of the store layer.

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no engine Fupin supports.
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The database could not be opened or reached.
    #[error("cannot open database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// Migrating the schema failed.
    #[error("cannot migrate database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A unique, foreign-key or check constraint refused the write. Displayed in our words;
    /// the engine's own text is kept only for the logs (`engine_message`).
    #[error("{violation}")]
    Constraint {
        violation: Violation,
        engine_message: String,
    },
    /// A store function was called with an argument it refuses (a programming error).
    #[error("invalid argument: {0}")]
    Argument(String),
    /// A stored value does not parse as its domain type: the database was changed outside Fupin.
    #[error("corrupt value in {table}.{column}: {message}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        message: String,
    },
    /// Any other database error.
    #[error("database error: {0}")]
    Sql(sqlx::Error),
}

/// Which kind of constraint refused a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    Unique,
    ForeignKey,
    Check,
}

/// A constraint that refused a write, in the schema's terms and the same on both engines as far
/// as each engine tells: PostgreSQL names the table, the columns and the table referred to;
/// SQLite names the table and columns of a unique key, the column of a check, nothing of a
/// foreign key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub kind: ConstraintKind,
    pub table: Option<String>,
    pub columns: Vec<String>,
    /// For a foreign key: the table referred to.
    pub referenced: Option<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ConstraintKind::Unique => "unique",
            ConstraintKind::ForeignKey => "foreign-key",
            ConstraintKind::Check => "check",
        };
        write!(f, "a {kind} constraint")?;
        if let Some(table) = &self.table {
            write!(f, " of {table}")?;
        }
        if !self.columns.is_empty() {
            write!(f, " ({})", self.columns.join(", "))?;
        }
        if let Some(referenced) = &self.referenced {
            write!(f, " referring to {referenced}")?;
        }
        write!(f, " refused the write")
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db_error) = &error {
            let kind = if db_error.is_unique_violation() {
                Some(ConstraintKind::Unique)
            } else if db_error.is_foreign_key_violation() {
                Some(ConstraintKind::ForeignKey)
            } else if db_error.is_check_violation() {
                Some(ConstraintKind::Check)
            } else {
                None
            };
            if let Some(kind) = kind {
                return StoreError::Constraint {
                    violation: violation(kind, db_error.as_ref()),
                    engine_message: db_error.message().to_string(),
                };
            }
        }
        StoreError::Sql(error)
    }
}

/// What the engine tells of a violation, read from PostgreSQL's fields or SQLite's message.
fn violation(kind: ConstraintKind, error: &dyn sqlx::error::DatabaseError) -> Violation {
    if let Some(postgres) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return postgres_violation(kind, postgres);
    }
    sqlite_violation(kind, error.message())
}

fn postgres_violation(kind: ConstraintKind, error: &sqlx::postgres::PgDatabaseError) -> Violation {
    let table = error.table().map(str::to_string);
    // The detail reads `Key (a, b)=(…) already exists.` or `… is not present in table "t".`
    let detail = error.detail().unwrap_or_default();
    let mut columns: Vec<String> = detail
        .strip_prefix("Key (")
        .and_then(|rest| rest.split_once(")="))
        .map(|(names, _)| names.split(',').map(|c| c.trim().to_string()).collect())
        .unwrap_or_default();
    if columns.is_empty()
        && let (Some(table), Some(name)) = (&table, error.constraint())
    {
        // A check named `<table>_<column>_check`, as PostgreSQL names unnamed ones.
        let column = name
            .strip_prefix(&format!("{table}_"))
            .and_then(|rest| rest.strip_suffix("_check"));
        columns.extend(column.map(str::to_string));
    }
    let referenced = detail
        .split_once("not present in table \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(name, _)| name.to_string());
    Violation {
        kind,
        table,
        columns,
        referenced,
    }
}

/// SQLite says `UNIQUE constraint failed: t.a, t.b`, `CHECK constraint failed: <expression or
/// name>` and `FOREIGN KEY constraint failed`.
fn sqlite_violation(kind: ConstraintKind, message: &str) -> Violation {
    let mut violation = Violation {
        kind,
        table: None,
        columns: Vec::new(),
        referenced: None,
    };
    let Some((_, what)) = message.split_once("constraint failed: ") else {
        return violation;
    };
    match kind {
        ConstraintKind::Unique => {
            for qualified in what.split(',') {
                if let Some((table, column)) = qualified.trim().split_once('.') {
                    violation.table = Some(table.to_string());
                    violation.columns.push(column.to_string());
                }
            }
        }
        // The first word of the expression is the column it checks (`amount_fen > 0`).
        ConstraintKind::Check => violation.columns.extend(
            what.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
                .map(str::to_string),
        ),
        ConstraintKind::ForeignKey => {}
    }
    violation
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Builds a [`StoreError::Corrupt`] for a value read back from `table.column`.
pub(crate) fn corrupt(
    table: &'static str,
    column: &'static str,
    message: impl ToString,
) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_name_the_table_and_columns() {
        let unique = sqlite_violation(
            ConstraintKind::Unique,
            "UNIQUE constraint failed: subsidy_claims.county_code, subsidy_claims.quarter",
        );
        assert_eq!(unique.table.as_deref(), Some("subsidy_claims"));
        assert_eq!(unique.columns, ["county_code", "quarter"]);
        let check = sqlite_violation(
            ConstraintKind::Check,
            "CHECK constraint failed: amount_fen > 0",
        );
        assert_eq!(check.columns, ["amount_fen"]);
        let foreign = sqlite_violation(ConstraintKind::ForeignKey, "FOREIGN KEY constraint failed");
        assert_eq!((foreign.table, foreign.columns.len()), (None, 0));
    }
}
