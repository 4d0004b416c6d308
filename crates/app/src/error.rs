//! Errors of the use-case layer; the edges map them to exit codes and HTTP statuses.

use fupin_store::StoreError;

/// What a use case can answer instead of a result.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that does not parse or breaks a rule; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// One field of a request is wrong; `field` names it as the caller spelled it.
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    /// Sign-in failed: unknown name, wrong password or secret, expired session. Deliberately
    /// says no more than that.
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many failed attempts; try again after this many seconds.
    #[error("too many failed sign-ins: try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// The thing does not exist, or the actor may not know it exists.
    #[error("{0} not found")]
    NotFound(String),
    /// The actor may not do this.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The request conflicts with what is stored (duplicate, already done differently).
    #[error("{0}")]
    Conflict(String),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// An error about one named field.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Field {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Shorthand for use-case results.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
