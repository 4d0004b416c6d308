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
    /// A unique or foreign-key constraint refused the write.
    #[error("constraint {constraint} refused the write: {message}")]
    Constraint { constraint: String, message: String },
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

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db_error) = &error {
            let is_constraint = db_error.is_unique_violation()
                || db_error.is_foreign_key_violation()
                || db_error.is_check_violation();
            if is_constraint {
                return StoreError::Constraint {
                    constraint: db_error.constraint().unwrap_or("unknown").to_string(),
                    message: db_error.message().to_string(),
                };
            }
        }
        StoreError::Sql(error)
    }
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
