//! The one HTTP error type, mapped to status codes in one place.
//!
//! Every error answers JSON `{"error": {"code", "message", "field"?}}` with a stable `code`.
//! Page routes turn the same errors into HTML pages (see `pages::html_errors`). A 500 logs its
//! cause and tells the client only that something failed, with the request id to quote.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fupin_app::error::ConstraintKind;
use fupin_app::{AppError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// What a request can get instead of its answer.
#[derive(Debug)]
pub enum Error {
    /// 400: the request is malformed (bad JSON, bad query string).
    BadRequest {
        message: String,
        field: Option<String>,
    },
    /// 401: not signed in, or the sign-in failed.
    Unauthorized(String),
    /// 403: the role may not do this (`forbidden`), or the CSRF token is missing or wrong
    /// (`csrf`).
    Forbidden { code: &'static str, message: String },
    /// 404: no such thing, or not in the caller's scope.
    NotFound(String),
    /// 409: conflicts with what is stored; `field` names the field when there is one.
    Conflict {
        message: String,
        field: Option<String>,
    },
    /// 413: the body is larger than the route accepts.
    PayloadTooLarge(String),
    /// 422: well-formed but invalid; `field` names the field when there is one.
    Unprocessable {
        message: String,
        field: Option<String>,
    },
    /// 429: too many failed sign-ins.
    TooManyRequests { retry_after_secs: u64 },
    /// 500: our fault; the cause is logged, not shown.
    Internal(String),
}

/// The body of every error response.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// One error: a stable machine-readable code and a message for people.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `bad_request`, `unauthorized`, `forbidden`, `csrf`, `not_found`,
    /// `conflict`, `payload_too_large`, `invalid`, `too_many_requests`, `internal`.
    pub code: String,
    pub message: String,
    /// The field at fault, as the request spelled it, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Attached to error responses so page routes can render them as HTML.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub detail: ErrorDetail,
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn detail(&self) -> ErrorDetail {
        let (code, message, field) = match self {
            Error::BadRequest { message, field } => ("bad_request", message.clone(), field.clone()),
            Error::Unauthorized(message) => ("unauthorized", message.clone(), None),
            Error::Forbidden { code, message } => (*code, message.clone(), None),
            Error::NotFound(what) => ("not_found", format!("{what} not found"), None),
            Error::Conflict { message, field } => ("conflict", message.clone(), field.clone()),
            Error::PayloadTooLarge(message) => ("payload_too_large", message.clone(), None),
            Error::Unprocessable { message, field } => ("invalid", message.clone(), field.clone()),
            Error::TooManyRequests { retry_after_secs } => (
                "too_many_requests",
                format!("too many failed sign-ins: try again in {retry_after_secs} s"),
                None,
            ),
            Error::Internal(_) => (
                "internal",
                "the server failed; the request id in the x-request-id header identifies it in \
                 the logs"
                    .to_string(),
                None,
            ),
        };
        ErrorDetail {
            code: code.to_string(),
            message,
            field,
        }
    }

    pub fn unauthorized() -> Error {
        Error::Unauthorized(
            "sign in first: a session cookie or an Authorization: Bearer token".into(),
        )
    }

    pub fn csrf() -> Error {
        Error::Forbidden {
            code: "csrf",
            message: "missing or wrong CSRF token: send the X-CSRF-Token header or the csrf form \
                      field of your session"
                .into(),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Error {
        Error::Unprocessable {
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Error::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let detail = self.detail();
        let mut response = (
            status,
            Json(ErrorBody {
                error: detail.clone(),
            }),
        )
            .into_response();
        if let Error::TooManyRequests { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
            .extensions_mut()
            .insert(ErrorInfo { status, detail });
        response
    }
}

impl From<AppError> for Error {
    fn from(error: AppError) -> Error {
        match error {
            AppError::Invalid(message) => Error::Unprocessable {
                message,
                field: None,
            },
            AppError::Field { field, message } => Error::Unprocessable {
                message: format!("{field}: {message}"),
                field: Some(field),
            },
            AppError::Unauthenticated(message) => Error::Unauthorized(message),
            AppError::Throttled { retry_after_secs } => Error::TooManyRequests { retry_after_secs },
            AppError::NotFound(what) => Error::NotFound(what),
            AppError::Forbidden(message) => Error::Forbidden {
                code: "forbidden",
                message,
            },
            AppError::Conflict(message) => Error::Conflict {
                message,
                field: None,
            },
            AppError::File { path, message } => Error::Unprocessable {
                message: format!("{path}: {message}"),
                field: None,
            },
            // A constraint the use case did not anticipate: still the caller's conflict, in our
            // words; the engine's text goes to the log only.
            AppError::Store(StoreError::Constraint {
                violation,
                engine_message,
            }) => {
                tracing::warn!(%violation, %engine_message, "a constraint refused a write");
                let (field, message) = fupin_app::error::violation_message(&violation);
                match violation.kind {
                    ConstraintKind::Unique => Error::Conflict { message, field },
                    ConstraintKind::ForeignKey | ConstraintKind::Check => {
                        Error::Unprocessable { message, field }
                    }
                }
            }
            AppError::Store(other) => Error::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Error {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge(rejection.body_text()),
            StatusCode::UNPROCESSABLE_ENTITY => Error::Unprocessable {
                message: rejection.body_text(),
                field: None,
            },
            _ => Error::BadRequest {
                message: rejection.body_text(),
                field: None,
            },
        }
    }
}

impl From<FormRejection> for Error {
    fn from(rejection: FormRejection) -> Error {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge(rejection.body_text()),
            _ => Error::BadRequest {
                message: rejection.body_text(),
                field: None,
            },
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Error {
        Error::BadRequest {
            message: rejection.body_text(),
            field: None,
        }
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Error {
        Error::BadRequest {
            message: rejection.body_text(),
            field: None,
        }
    }
}

/// Handler results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use fupin_app::error::Violation;

    /// What the engines say, which a client must never read.
    const ENGINE: &str = "UNIQUE constraint failed: users.name / duplicate key value violates \
                          unique constraint \"users_pkey\"";

    fn answer(kind: ConstraintKind, table: &str, column: &str) -> (StatusCode, ErrorDetail) {
        let error = Error::from(AppError::Store(StoreError::Constraint {
            violation: Violation {
                kind,
                table: Some(table.into()),
                columns: vec![column.into()],
                referenced: None,
            },
            engine_message: ENGINE.into(),
        }));
        (error.status(), error.detail())
    }

    #[test]
    fn constraint_violations_answer_in_our_words() {
        let (status, detail) = answer(ConstraintKind::Unique, "users", "name");
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(detail.message, "name: another user already has this name");
        assert_eq!(detail.field.as_deref(), Some("name"));
        let (status, detail) = answer(ConstraintKind::ForeignKey, "fund_deposits", "county_code");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(detail.field.as_deref(), Some("county_code"));
        let (status, detail) = answer(ConstraintKind::Check, "fund_deposits", "amount_fen");
        assert_eq!(
            (status, detail.field.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("amount"))
        );
        for kind in [
            ConstraintKind::Unique,
            ConstraintKind::ForeignKey,
            ConstraintKind::Check,
        ] {
            let (_, detail) = answer(kind, "users", "name");
            assert!(!detail.message.contains("constraint"), "{}", detail.message);
        }
    }
}
