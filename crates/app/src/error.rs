//! Errors of the use-case layer; the edges map them to exit codes and HTTP statuses.

use fupin_store::StoreError;
pub use fupin_store::error::{ConstraintKind, Violation};

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

/// A constraint that a use case did not anticipate, in our words: the field at fault (when the
/// engine names it) and the conflict. Never the engine's text, which names tables and shows
/// values and differs between SQLite and PostgreSQL.
pub fn violation_message(violation: &Violation) -> (Option<String>, String) {
    let entity = violation.table.as_deref().map(entity_name);
    let fields: Vec<String> = violation.columns.iter().map(|c| field_name(c)).collect();
    let field = match violation.kind {
        // The last column of a key is the one that tells its rows apart: (institution, id).
        ConstraintKind::Unique => fields.last().cloned(),
        _ => fields.first().cloned(),
    };
    let message = match (violation.kind, &entity, fields.is_empty()) {
        (ConstraintKind::Unique, Some(entity), false) => {
            format!("another {entity} already has this {}", fields.join(" and "))
        }
        (ConstraintKind::Unique, _, _) => "a record with these values already exists".into(),
        (ConstraintKind::ForeignKey, _, false) => {
            let referenced = violation.referenced.as_deref().map(entity_name);
            format!(
                "names a {} that does not exist",
                referenced.as_deref().unwrap_or("record")
            )
        }
        (ConstraintKind::ForeignKey, _, true) => {
            "a code or id of the request names a record that does not exist".into()
        }
        (ConstraintKind::Check, Some(entity), false) => {
            format!("the value is not one a {entity} may have")
        }
        (ConstraintKind::Check, _, _) => "a value is outside what may be stored".into(),
    };
    match &field {
        Some(field) => (Some(field.clone()), format!("{field}: {message}")),
        None => (None, message),
    }
}

/// A table's rows in words: `fund_deposits` → `fund deposit`.
fn entity_name(table: &str) -> String {
    let words = match table {
        "audit_log" => "audit record",
        "return_value_history" => "earlier return value",
        other => other,
    }
    .replace('_', " ");
    match words.strip_suffix('s') {
        Some(single) if !words.ends_with("ss") => single.to_string(),
        _ => words,
    }
}

/// A column as a request names the field: amounts without their unit (`amount_fen` → `amount`).
fn field_name(column: &str) -> String {
    column
        .strip_suffix("_fen")
        .or_else(|| column.strip_suffix("_ppm"))
        .unwrap_or(column)
        .to_string()
}

/// Shorthand for use-case results.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(kind: ConstraintKind, table: Option<&str>, columns: &[&str]) -> Violation {
        Violation {
            kind,
            table: table.map(str::to_string),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            referenced: None,
        }
    }

    #[test]
    fn violations_name_the_field_and_the_conflict() {
        let cases = [
            (
                violation(ConstraintKind::Unique, Some("users"), &["name"]),
                Some("name"),
                "name: another user already has this name",
            ),
            (
                violation(
                    ConstraintKind::Unique,
                    Some("repayments"),
                    &["institution_code", "id"],
                ),
                Some("id"),
                "id: another repayment already has this institution_code and id",
            ),
            (
                violation(
                    ConstraintKind::Check,
                    Some("fund_deposits"),
                    &["amount_fen"],
                ),
                Some("amount"),
                "amount: the value is not one a fund deposit may have",
            ),
            (
                Violation {
                    referenced: Some("regions".into()),
                    ..violation(
                        ConstraintKind::ForeignKey,
                        Some("fund_deposits"),
                        &["county_code"],
                    )
                },
                Some("county_code"),
                "county_code: names a region that does not exist",
            ),
            (
                violation(ConstraintKind::ForeignKey, None, &[]),
                None,
                "a code or id of the request names a record that does not exist",
            ),
        ];
        for (violation, field, message) in cases {
            let (got_field, got_message) = violation_message(&violation);
            assert_eq!(
                (got_field.as_deref(), got_message.as_str()),
                (field, message)
            );
        }
    }
}
