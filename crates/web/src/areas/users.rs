//! User accounts and API tokens: administrators manage the users of their region; every user
//! may make API tokens for themselves.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::{get, post};
use fupin_app::Role;
use fupin_app::users::{self, NewUser};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::region_param;
use super::session::UserDto;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Form, Json, Path, Query};
use crate::i18n::Lang;
use crate::layout::{Layout, role_key};
use crate::names::Names;
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, add_user))
        .routes(routes!(get_user))
        .routes(routes!(disable_user))
        .routes(routes!(revoke_sessions))
        .routes(routes!(new_token))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/users", get(users_page).post(add_form))
        .route("/users/{name}/disable", post(disable_form))
        .route("/users/{name}/enable", post(enable_form))
        .route("/users/{name}/revoke-sessions", post(revoke_sessions_form))
        .route("/users/{name}/password", post(password_form))
        .route("/users/villages", post(villages_form))
}

/// Region filter and page.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Only users whose region is at or under this code.
    pub region: Option<String>,
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

/// A user to add.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct NewUserDto {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `regulator`, `bank`, `poverty_office`, `finance` or `admin`.
    pub role: String,
    /// The region the user will see (2 to 12 digits).
    pub region: String,
    /// Required for `bank` users, refused for the others.
    #[serde(default)]
    pub institution: Option<String>,
    /// At least 10 characters.
    pub password: String,
}

impl NewUserDto {
    /// The use case's input: the role and region parsed, the name trimmed, a blank
    /// institution as none; the API and the users page add users through this alone.
    fn parse(self) -> Result<NewUser> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            Error::field(
                "role",
                "must be one of regulator, bank, poverty_office, finance, admin, insurer",
            )
        })?;
        let region = region_param("region", &Some(self.region))?
            .ok_or_else(|| Error::field("region", "is required"))?;
        Ok(NewUser {
            name: self.name.trim().to_string(),
            display_name: self.display_name,
            role,
            region,
            institution: self.institution.filter(|i| !i.trim().is_empty()),
            password: self.password,
        })
    }
}

/// A new API token: shown once, stored only as a hash.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    pub id: String,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Users in the administrator's region.
#[utoipa::path(
    get, path = "/api/users", tag = "users", params(UsersQuery),
    responses(
        (status = 200, body = PageOf<UserDto>),
        (status = 403, body = ErrorBody),
    )
)]
async fn list_users(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<UsersQuery>,
) -> Result<axum::Json<PageOf<UserDto>>> {
    let page = fupin_app::paging::Page::new(query.limit, query.offset)?;
    let within = region_param("region", &query.region)?;
    let paged = users::list(&state.db, &user.ctx, within, page).await?;
    Ok(axum::Json(PageOf::from_paged(paged, UserDto::from)))
}

/// Adds a user (administrators, in their region). Accepts `Idempotency-Key`.
#[utoipa::path(
    post, path = "/api/users", tag = "users", request_body = NewUserDto,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    responses(
        (status = 201, body = UserDto),
        (status = 403, body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
    )
)]
async fn add_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<NewUserDto>,
) -> Result<(StatusCode, axum::Json<UserDto>)> {
    let added = users::add(&state.db, &user.ctx, body.parse()?).await?;
    Ok((StatusCode::CREATED, axum::Json(added.into())))
}

/// One user.
#[utoipa::path(
    get, path = "/api/users/{name}", tag = "users",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn get_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<axum::Json<UserDto>> {
    Ok(axum::Json(
        users::get(&state.db, &user.ctx, &name).await?.into(),
    ))
}

/// Disables a user: their sessions end and their tokens are revoked.
#[utoipa::path(
    post, path = "/api/users/{name}/disable", tag = "users",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn disable_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<axum::Json<UserDto>> {
    Ok(axum::Json(
        users::disable(&state.db, &user.ctx, &name).await?.into(),
    ))
}

/// What revoking a user's sessions ended.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RevokedDto {
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}

/// Ends every session of a user and revokes their API tokens, leaving the account enabled (a
/// lost device: the user signs in again elsewhere).
#[utoipa::path(
    post, path = "/api/users/{name}/revoke-sessions", tag = "users",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = RevokedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn revoke_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<axum::Json<RevokedDto>> {
    let revoked = users::revoke_sessions(&state.db, &user.ctx, &name).await?;
    Ok(axum::Json(RevokedDto {
        sessions_ended: revoked.sessions,
        tokens_revoked: revoked.tokens,
    }))
}

/// Makes an API token for a user: administrators for their users, anyone for themselves.
#[utoipa::path(
    post, path = "/api/users/{name}/tokens", tag = "users",
    params(("name" = String, Path, description = "User name")),
    responses((status = 201, body = NewTokenDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn new_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<(StatusCode, axum::Json<NewTokenDto>)> {
    let token = users::new_token(&state.db, &user.ctx, &name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewTokenDto {
            id: token.id,
            token: token.token,
        }),
    ))
}

// ---------------------------------------------------------------------------------------------
// pages

/// One user as the page lists them.
pub struct UserRow {
    pub name: String,
    pub display_name: String,
    pub role_key: &'static str,
    pub region: String,
    pub region_code: String,
    pub institution: String,
    pub institution_code: String,
    pub disabled: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    /// The roles a user may be given: (code, translation key).
    roles: Vec<(&'static str, &'static str)>,
    /// The administrator's own region, the default of a new user's.
    own_region: String,
    /// What the last action did: a translation key and the user it concerned.
    done: Option<(&'static str, String)>,
    /// A generated password to show once.
    generated: Option<String>,
    error: Option<String>,
    /// The bank officers and the villages assigned them for field visits (issue #30).
    officers: Vec<OfficerRow>,
}

/// A bank officer and their assigned villages: (code, name).
#[derive(Clone, Debug, Serialize)]
pub struct OfficerRow {
    pub name: String,
    pub display_name: String,
    pub villages: Vec<(String, String)>,
}

/// Users listed on one page.
const USERS_SHOWN: i64 = 1_000;

async fn render_users(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    done: Option<(&'static str, String)>,
    generated: Option<String>,
    error: Option<String>,
) -> Result<UsersPage> {
    let page = fupin_app::paging::Page::new(Some(USERS_SHOWN), None)?;
    let listed = users::list(&state.db, &user.ctx, None, page).await?;
    let regions: Vec<String> = listed.items.iter().map(|u| u.region.to_string()).collect();
    let institutions: Vec<String> = listed
        .items
        .iter()
        .filter_map(|u| u.institution.clone())
        .collect();
    let mut assigned = Vec::new();
    for officer in listed
        .items
        .iter()
        .filter(|u| u.role == Role::Bank && !u.disabled)
    {
        let villages = fupin_app::field::assigned(&state.db, &user.ctx, &officer.name).await?;
        assigned.push((officer.clone(), villages));
    }
    let village_codes = assigned
        .iter()
        .flat_map(|(_, villages)| villages.iter().map(|v| v.to_string()));
    let names = Names::load(
        &state.db,
        lang,
        regions.into_iter().chain(village_codes).collect::<Vec<_>>(),
        institutions,
    )
    .await?;
    let officers = assigned
        .into_iter()
        .map(|(officer, villages)| OfficerRow {
            display_name: officer.display_name.unwrap_or_default(),
            villages: villages
                .iter()
                .map(|v| (v.to_string(), names.region(&v.to_string())))
                .collect(),
            name: officer.name,
        })
        .collect();
    let rows = listed
        .items
        .into_iter()
        .map(|u| UserRow {
            display_name: u.display_name.clone().unwrap_or_default(),
            role_key: role_key(u.role),
            region: names.region(&u.region.to_string()),
            region_code: u.region.to_string(),
            institution: u
                .institution
                .as_deref()
                .map(|code| names.institution(code))
                .unwrap_or_default(),
            institution_code: u.institution.clone().unwrap_or_default(),
            disabled: u.disabled,
            name: u.name,
        })
        .collect();
    let roles = [
        Role::Regulator,
        Role::Bank,
        Role::PovertyOffice,
        Role::Finance,
        Role::Admin,
        Role::Guarantor,
        Role::Insurer,
    ]
    .into_iter()
    .map(|role| (role.as_str(), role_key(role)))
    .collect();
    Ok(UsersPage {
        layout: Layout::new(lang, Some(&user.principal), "/users", "users.title"),
        users: rows,
        roles,
        own_region: user.principal.user.region.to_string(),
        done,
        generated,
        error,
        officers,
    })
}

async fn users_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<UsersPage> {
    render_users(&state, &user, lang, None, None, None).await
}

/// The add-a-user form.
#[derive(Clone, Debug, Deserialize)]
pub struct AddUserForm {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: String,
    pub region: String,
    #[serde(default)]
    pub institution: Option<String>,
    pub password: String,
}

/// A refused action is shown on the page (with what was wrong), not as a bare error page;
/// access refusals stay errors.
fn shown_error(error: Error, lang: Lang) -> Result<String> {
    match error {
        Error::Unprocessable { message, .. }
        | Error::BadRequest { message, .. }
        | Error::Conflict { message, .. }
        | Error::NotFound(message) => Ok(crate::labels::message(lang, &message)),
        other => Err(other),
    }
}

async fn add_form(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<AddUserForm>,
) -> Result<UsersPage> {
    let outcome: Result<String> = async {
        let body = NewUserDto {
            name: form.name,
            display_name: form.display_name,
            role: form.role,
            region: form.region,
            institution: form.institution,
            password: form.password,
        };
        Ok(users::add(&state.db, &user.ctx, body.parse()?).await?.name)
    }
    .await;
    match outcome {
        Ok(name) => {
            render_users(&state, &user, lang, Some(("users.added", name)), None, None).await
        }
        Err(error) => {
            let message = shown_error(error, lang)?;
            render_users(&state, &user, lang, None, None, Some(message)).await
        }
    }
}

/// A form with nothing but its CSRF token.
#[derive(Clone, Debug, Deserialize)]
pub struct EmptyForm {}

async fn disable_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Form(_form): Form<EmptyForm>,
) -> Result<Redirect> {
    users::disable(&state.db, &user.ctx, &name).await?;
    Ok(Redirect::to("/users"))
}

async fn revoke_sessions_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Form(_form): Form<EmptyForm>,
) -> Result<Redirect> {
    users::revoke_sessions(&state.db, &user.ctx, &name).await?;
    Ok(Redirect::to("/users"))
}

async fn enable_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Form(_form): Form<EmptyForm>,
) -> Result<Redirect> {
    users::enable(&state.db, &user.ctx, &name).await?;
    Ok(Redirect::to("/users"))
}

/// The reset-a-password form: a password to set, or none for a generated one.
#[derive(Clone, Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub password: Option<String>,
}

async fn password_form(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Path(name): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<UsersPage> {
    let given = form.password.filter(|p| !p.trim().is_empty());
    match users::reset_password(&state.db, &user.ctx, &name, given).await {
        Ok(reset) => {
            render_users(
                &state,
                &user,
                lang,
                Some(("users.password_set", reset.user.name)),
                reset.generated,
                None,
            )
            .await
        }
        Err(error) => {
            let message = shown_error(Error::from(error), lang)?;
            render_users(&state, &user, lang, None, None, Some(message)).await
        }
    }
}

/// Most village codes in one assignment form.
const VILLAGES_PER_FORM_MAX: usize = 500;

/// The assign-villages form: an officer, village codes (separated by spaces, commas or new
/// lines), and whether to assign or take them away.
#[derive(Clone, Debug, Deserialize)]
pub struct VillagesForm {
    pub user: String,
    pub villages: String,
    /// `assign` or `unassign`.
    pub action: String,
}

impl VillagesForm {
    fn codes(&self) -> Result<Vec<fupin_app::fupin_core::RegionCode>> {
        let codes: Vec<&str> = self
            .villages
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';'))
            .filter(|code| !code.is_empty())
            .collect();
        if codes.is_empty() || codes.len() > VILLAGES_PER_FORM_MAX {
            return Err(Error::from(fupin_app::AppError::field(
                "villages",
                format!("give 1 to {VILLAGES_PER_FORM_MAX} village codes"),
            )));
        }
        codes
            .into_iter()
            .map(|code| {
                fupin_app::fupin_core::RegionCode::parse(code).map_err(|_| {
                    Error::from(fupin_app::AppError::field(
                        "village",
                        format!("{code} is not a village code"),
                    ))
                })
            })
            .collect()
    }
}

async fn villages_form(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<VillagesForm>,
) -> Result<UsersPage> {
    let outcome: Result<&'static str> = async {
        let codes = form.codes()?;
        match form.action.as_str() {
            "assign" => {
                fupin_app::field::assign(&state.db, &user.ctx, &form.user, &codes).await?;
                Ok("users.villages_assigned")
            }
            "unassign" => {
                fupin_app::field::unassign(&state.db, &user.ctx, &form.user, &codes).await?;
                Ok("users.villages_unassigned")
            }
            other => Err(Error::from(fupin_app::AppError::field(
                "action",
                format!("{other:?} is not assign or unassign"),
            ))),
        }
    }
    .await;
    match outcome {
        Ok(key) => render_users(&state, &user, lang, Some((key, form.user)), None, None).await,
        Err(error) => {
            let message = shown_error(error, lang)?;
            render_users(&state, &user, lang, None, None, Some(message)).await
        }
    }
}
