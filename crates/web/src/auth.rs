//! Who is asking: a browser session (cookie) or a program (bearer token), resolved once per
//! request by [`authenticate`]; CSRF protection for cookie-authenticated writes; the
//! [`CurrentUser`] extractor that turns the principal into the use cases' `Ctx`.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fupin_app::users::UserView;
use fupin_app::{Ctx, auth};

use crate::AppState;
use crate::error::Error;

/// The session cookie: an opaque random value; the server keeps only its hash.
pub const SESSION_COOKIE: &str = "fupin_session";
/// The CSRF cookie of the sign-in form (double submit: there is no session yet).
pub const SIGN_IN_CSRF_COOKIE: &str = "fupin_signin_csrf";
/// The chosen language.
pub const LANG_COOKIE: &str = "fupin_lang";
/// The header programs and htmx send the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field pages send it in.
pub const CSRF_FIELD: &str = "csrf";

/// The value of cookie `name`, if the request has it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site, `Secure` when configured.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// How the caller proved who they are.
#[derive(Clone, Debug)]
pub enum Via {
    /// A browser session; unsafe requests must carry its CSRF token.
    Session {
        secret: String,
        csrf_token: String,
        expires_at: String,
    },
    /// An API token (no CSRF: browsers never send it by themselves).
    Token,
}

/// The authenticated caller, found by [`authenticate`].
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: UserView,
    pub via: Via,
}

impl Principal {
    /// The session's CSRF token, for forms (empty for token callers, who need none).
    pub fn csrf_token(&self) -> &str {
        match &self.via {
            Via::Session { csrf_token, .. } => csrf_token,
            Via::Token => "",
        }
    }
}

/// The instant now, as the use cases take it (the web layer is an edge: it may read the clock).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The request id set by the RequestId layer (or sent by the client), if it is a sane one.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware: finds the principal (bearer token first, then session cookie), refuses a bad
/// token with 401, and refuses cookie-authenticated unsafe requests without the session's CSRF
/// token (header or form field) with 403.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Static assets need no principal: spare them the database lookup.
    if request.uri().path().starts_with("/assets/") {
        return next.run(request).await;
    }
    match resolve(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn resolve(state: &AppState, mut request: Request) -> Result<Request, Error> {
    let headers = request.headers();
    let principal = if let Some(token) = bearer(headers) {
        let user = auth::token_user(&state.db, token)
            .await?
            .ok_or_else(|| Error::Unauthorized("the API token is unknown or revoked".into()))?;
        Some(Principal {
            user,
            via: Via::Token,
        })
    } else if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        auth::session(&state.db, secret, &now())
            .await?
            .map(|session| Principal {
                user: session.user,
                via: Via::Session {
                    secret: secret.to_string(),
                    csrf_token: session.csrf_token,
                    expires_at: session.expires_at,
                },
            })
    } else {
        None
    };
    if let Some(Principal {
        via: Via::Session { csrf_token, .. },
        ..
    }) = &principal
        && is_unsafe(request.method())
    {
        request = check_csrf(state, request, csrf_token).await?;
    }
    if let Some(principal) = principal {
        request.extensions_mut().insert(principal);
    }
    Ok(request)
}

async fn check_csrf(state: &AppState, request: Request, expected: &str) -> Result<Request, Error> {
    if let Some(sent) = request.headers().get(CSRF_HEADER) {
        return match sent.to_str() {
            Ok(sent) if same_secret(sent, expected) => Ok(request),
            _ => Err(Error::csrf()),
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Error::csrf());
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, state.config.body_limit)
        .await
        .map_err(|_| Error::PayloadTooLarge("the form is larger than allowed".into()))?;
    let sent = url::form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == CSRF_FIELD)
        .map(|(_, value)| value.into_owned());
    match sent {
        Some(sent) if same_secret(&sent, expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(Error::csrf()),
    }
}

/// The signed-in caller and the context use cases take. Rejects with 401 when nobody is signed
/// in.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub principal: Principal,
    pub ctx: Ctx,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(Error::unauthorized)?;
        let ctx = Ctx {
            actor: principal.user.actor(),
            now: now(),
            request_id: request_id(&parts.headers),
        };
        Ok(CurrentUser { principal, ctx })
    }
}

/// The signed-in caller if there is one (for pages that also show to strangers).
#[derive(Clone, Debug)]
pub struct MaybeUser(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<Principal>().cloned()))
    }
}
