//! User accounts and API tokens: administrators manage the users of their region; every user
//! may make API tokens for themselves.

use axum::extract::State;
use axum::http::StatusCode;
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
use crate::extract::{Json, Path, Query};
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, add_user))
        .routes(routes!(get_user))
        .routes(routes!(disable_user))
        .routes(routes!(new_token))
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
    let role = Role::parse(&body.role).ok_or_else(|| {
        Error::field(
            "role",
            "must be one of regulator, bank, poverty_office, finance, admin",
        )
    })?;
    let region = region_param("region", &Some(body.region))?
        .ok_or_else(|| Error::field("region", "is required"))?;
    let new = NewUser {
        name: body.name.trim().to_string(),
        display_name: body.display_name,
        role,
        region,
        institution: body.institution.filter(|i| !i.trim().is_empty()),
        password: body.password,
    };
    let added = users::add(&state.db, &user.ctx, new).await?;
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
