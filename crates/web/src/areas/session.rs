//! Signing in and out (pages and API), and the language switch.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use fupin_app::AppError;
use fupin_app::auth::{self, SignedIn};
use fupin_app::users::UserView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{
    CurrentUser, LANG_COOKIE, MaybeUser, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, Via, cookie,
    request_id, same_secret, set_cookie,
};
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Form, Json, Path, Query};
use crate::i18n::Lang;
use crate::layout::{Layout, local_path};

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_session, current_session, delete_session))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/signin", get(sign_in_page).post(sign_in_form))
        .route("/signout", axum::routing::post(sign_out_form))
        .route("/lang/{code}", get(switch_language))
}

/// A user as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `regulator`, `bank`, `poverty_office`, `finance` or `admin`.
    pub role: String,
    /// The region the user sees (12-digit code).
    pub region: String,
    /// For bank users, their institution's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

impl From<UserView> for UserDto {
    fn from(user: UserView) -> UserDto {
        UserDto {
            name: user.name,
            display_name: user.display_name,
            role: user.role.as_str().to_string(),
            region: user.region.to_string(),
            institution: user.institution,
            disabled: user.disabled,
            created_at: user.created_at,
        }
    }
}

/// Name and password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

/// The signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub user: UserDto,
    /// Send it as `X-CSRF-Token` with every write made with the session cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

fn session_cookie_age(state: &AppState) -> u64 {
    state.config.session_ttl.as_secs().max(1)
}

fn session_cookie(
    state: &AppState,
    signed_in: &SignedIn,
) -> (header::HeaderName, axum::http::HeaderValue) {
    (
        header::SET_COOKIE,
        set_cookie(
            state,
            SESSION_COOKIE,
            &signed_in.session_secret,
            session_cookie_age(state),
        ),
    )
}

fn clear_cookie(state: &AppState, name: &str) -> (header::HeaderName, axum::http::HeaderValue) {
    (header::SET_COOKIE, set_cookie(state, name, "", 0))
}

async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    credentials: &Credentials,
) -> Result<SignedIn, AppError> {
    auth::sign_in(
        &state.db,
        &credentials.name,
        &credentials.password,
        &crate::auth::now(),
        request_id(headers),
        &state.config.auth_policy(),
    )
    .await
}

/// Sign in: sets the session cookie and returns the CSRF token for writes.
#[utoipa::path(
    post, path = "/api/session", tag = "session", security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionDto),
        (status = 401, description = "Wrong name or password", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins", body = ErrorBody),
    )
)]
async fn create_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(credentials): Json<Credentials>,
) -> Result<Response> {
    let signed_in = sign_in(&state, &headers, &credentials).await?;
    let cookie = session_cookie(&state, &signed_in);
    let body = SessionDto {
        user: signed_in.user.into(),
        csrf_token: Some(signed_in.csrf_token),
        expires_at: Some(signed_in.expires_at),
    };
    Ok(([cookie], axum::Json(body)).into_response())
}

/// Who is signed in.
#[utoipa::path(
    get, path = "/api/session", tag = "session",
    responses(
        (status = 200, body = SessionDto),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn current_session(user: CurrentUser) -> axum::Json<SessionDto> {
    let (csrf_token, expires_at) = match &user.principal.via {
        Via::Session {
            csrf_token,
            expires_at,
            ..
        } => (Some(csrf_token.clone()), Some(expires_at.clone())),
        Via::Token => (None, None),
    };
    axum::Json(SessionDto {
        user: user.principal.user.into(),
        csrf_token,
        expires_at,
    })
}

/// Sign out: ends the session.
#[utoipa::path(
    delete, path = "/api/session", tag = "session",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Missing CSRF token", body = ErrorBody),
    )
)]
async fn delete_session(State(state): State<AppState>, user: CurrentUser) -> Result<Response> {
    if let Via::Session { secret, .. } = &user.principal.via {
        auth::sign_out(&state.db, &user.ctx, secret).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [clear_cookie(&state, SESSION_COOKIE)],
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// pages

#[derive(Template, WebTemplate)]
#[template(path = "signin.html")]
struct SignInPage {
    layout: Layout,
    signin_csrf: String,
    next: String,
    name: String,
    message: Option<&'static str>,
}

#[derive(Debug, Deserialize, IntoParams)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in_page(
    State(state): State<AppState>,
    MaybeUser(principal): MaybeUser,
    lang: Lang,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response> {
    let next = local_path(query.next.as_deref().unwrap_or("/")).to_string();
    if principal.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let token = match cookie(&headers, SIGN_IN_CSRF_COOKIE) {
        Some(token) if token.len() == 64 => token.to_string(),
        _ => auth::random_hex(32)?,
    };
    let page = SignInPage {
        layout: Layout::new(lang, None, "/signin", "signin.title"),
        signin_csrf: token.clone(),
        next,
        name: String::new(),
        message: None,
    };
    let cookie = set_cookie(&state, SIGN_IN_CSRF_COOKIE, &token, 3600);
    Ok(([(header::SET_COOKIE, cookie)], page).into_response())
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    csrf: String,
    name: String,
    password: String,
    next: Option<String>,
}

async fn sign_in_form(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response> {
    let next = local_path(form.next.as_deref().unwrap_or("/")).to_string();
    let retry = |status: StatusCode, message: &'static str, name: &str| {
        let page = SignInPage {
            layout: Layout::new(lang, None, "/signin", "signin.title"),
            signin_csrf: form.csrf.clone(),
            next: next.clone(),
            name: name.to_string(),
            message: Some(message),
        };
        (status, page).into_response()
    };
    // Double submit: the form's token must equal the cookie set with the form.
    let cookie_token = cookie(&headers, SIGN_IN_CSRF_COOKIE).unwrap_or("");
    if cookie_token.is_empty() || !same_secret(cookie_token, &form.csrf) {
        return Ok(retry(
            StatusCode::FORBIDDEN,
            lang.t("signin.expired"),
            &form.name,
        ));
    }
    let credentials = Credentials {
        name: form.name.clone(),
        password: form.password.clone(),
    };
    match sign_in(&state, &headers, &credentials).await {
        Ok(signed_in) => Ok((
            StatusCode::SEE_OTHER,
            [
                session_cookie(&state, &signed_in),
                (
                    header::LOCATION,
                    axum::http::HeaderValue::from_str(&next)
                        .unwrap_or(axum::http::HeaderValue::from_static("/")),
                ),
            ],
        )
            .into_response()),
        Err(AppError::Unauthenticated(_)) => Ok(retry(
            StatusCode::UNAUTHORIZED,
            lang.t("signin.refused"),
            &form.name,
        )),
        Err(AppError::Throttled { retry_after_secs }) => {
            let mut response = retry(
                StatusCode::TOO_MANY_REQUESTS,
                lang.t("signin.throttled"),
                &form.name,
            );
            if let Ok(value) = retry_after_secs.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

async fn sign_out_form(State(state): State<AppState>, user: CurrentUser) -> Result<Response> {
    if let Via::Session { secret, .. } = &user.principal.via {
        auth::sign_out(&state.db, &user.ctx, secret).await?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            clear_cookie(&state, SESSION_COOKIE),
            (
                header::LOCATION,
                axum::http::HeaderValue::from_static("/signin"),
            ),
        ],
    )
        .into_response())
}

async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<NextQuery>,
) -> Result<Response> {
    let lang = Lang::parse(&code).ok_or_else(|| Error::NotFound(format!("language {code}")))?;
    let next = local_path(query.next.as_deref().unwrap_or("/")).to_string();
    let cookie = set_cookie(&state, LANG_COOKIE, lang.code(), 365 * 24 * 3600);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (
                header::LOCATION,
                axum::http::HeaderValue::from_str(&next)
                    .unwrap_or(axum::http::HeaderValue::from_static("/")),
            ),
        ],
    )
        .into_response())
}
