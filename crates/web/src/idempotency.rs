//! `Idempotency-Key` on API writes: the first response to a (user, key) is stored, and a retry
//! with the same key and the same request gets it back (with `Idempotent-Replayed: true`)
//! instead of acting twice. The same key with a different request is refused (422); a retry
//! while the first is still running is a conflict (409). Server failures (5xx) are not kept, so
//! a retry runs again.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fupin_app::idempotency::{self, Claim};

use crate::AppState;
use crate::auth::{Principal, now, request_id};
use crate::error::Error;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header marking a replay.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Largest response body kept for replay.
const RESPONSE_KEPT_MAX: usize = 4 * 1024 * 1024;

/// Middleware on the API router.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = request
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_string));
    let principal = request.extensions().get::<Principal>().cloned();
    match (is_write, key, principal) {
        (true, Some(Ok(key)), Some(principal)) => {
            match keyed(&state, request, next, &key, &principal).await {
                Ok(response) => response,
                Err(error) => error.into_response(),
            }
        }
        (true, Some(Err(_)), _) => {
            Error::field("Idempotency-Key", "must be visible ASCII").into_response()
        }
        _ => next.run(request).await,
    }
}

async fn keyed(
    state: &AppState,
    request: Request,
    next: Next,
    key: &str,
    principal: &Principal,
) -> Result<Response, Error> {
    let ctx = fupin_app::Ctx {
        actor: principal.user.actor(),
        now: now(),
        request_id: request_id(request.headers()),
    };
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, state.config.upload_body_limit)
        .await
        .map_err(|_| Error::PayloadTooLarge("the request body is larger than allowed".into()))?;
    let fingerprint =
        idempotency::fingerprint(parts.method.as_str(), &parts.uri.to_string(), &bytes);
    let running_at_most = state.config.request_timeout;
    match idempotency::claim(&state.db, &ctx, key, &fingerprint, running_at_most).await? {
        Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
            Ok(response)
        }
        Claim::New => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let status = response.status();
            if status.is_server_error() {
                idempotency::release(&state.db, &ctx, key).await?;
                return Ok(response);
            }
            let (parts, body) = response.into_parts();
            let bytes = match axum::body::to_bytes(body, RESPONSE_KEPT_MAX).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    idempotency::release(&state.db, &ctx, key).await?;
                    return Err(Error::Internal("response too large to keep".into()));
                }
            };
            let text = String::from_utf8_lossy(&bytes);
            idempotency::save(&state.db, &ctx, key, status.as_u16(), &text).await?;
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
    }
}

/// Extractor for requests that move money: refuses (422, `field`: `Idempotency-Key`) a request
/// without the header, so a retry after a lost answer can never pay twice. The middleware
/// above does the replaying.
pub struct RequiredKey;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequiredKey {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Error> {
        match parts.headers.get(HEADER) {
            Some(value) if !value.is_empty() => Ok(RequiredKey),
            _ => Err(Error::field(
                "Idempotency-Key",
                "is required on requests that move money: send a key of your choosing and \
                 repeat it when you retry",
            )),
        }
    }
}
