//! axum's extractors with their rejections turned into [`Error`], so a malformed request gets
//! the same JSON error shape as every other error.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// NUL characters are refused at the edge in every path, query and body: PostgreSQL cannot
/// store them in text (it would fail the request with a 500) and SQLite would keep text that
/// C tools cut short.
fn nul_refused() -> Error {
    Error::BadRequest {
        message: "text may not contain NUL characters (U+0000)".into(),
        field: None,
    }
}

fn uri_has_nul(parts: &Parts) -> bool {
    let has = |text: &str| {
        text.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    };
    has(parts.uri.path()) || parts.uri.query().is_some_and(has)
}

/// Reads the body (within the route's limit), refuses it when `has_nul` finds a NUL in it, and
/// hands back an equivalent request for axum's own extractor.
async fn checked_body<S: Send + Sync>(
    request: Request,
    state: &S,
    has_nul: fn(&[u8]) -> bool,
) -> Result<Request, Error> {
    let (method, headers) = (request.method().clone(), request.headers().clone());
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge(rejection.body_text()),
            _ => Error::BadRequest {
                message: rejection.body_text(),
                field: None,
            },
        })?;
    if has_nul(&bytes) {
        return Err(nul_refused());
    }
    let mut rebuilt = Request::new(Body::from(bytes));
    *rebuilt.method_mut() = method;
    *rebuilt.headers_mut() = headers;
    Ok(rebuilt)
}

/// A NUL inside a JSON string (`\u0000`); a literal backslash followed by `u0000` is not one.
fn json_has_nul(bytes: &[u8]) -> bool {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return false;
    }
    fn walk(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(text) => text.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(walk),
            serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || walk(v)),
            _ => false,
        }
    }
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|value| walk(&value))
}

fn form_has_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0) || bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"))
}

/// A JSON body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let request = checked_body(request, state, json_has_nul).await?;
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(Json(value))
    }
}

/// A form body (`application/x-www-form-urlencoded`).
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let request = checked_body(request, state, form_has_nul).await?;
        let axum::Form(value) = axum::Form::<T>::from_request(request, state).await?;
        Ok(Form(value))
    }
}

/// The query string.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        if uri_has_nul(parts) {
            return Err(nul_refused());
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        if uri_has_nul(parts) {
            return Err(nul_refused());
        }
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}
