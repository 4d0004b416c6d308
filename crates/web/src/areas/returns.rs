//! Statistical returns: listings, one return with its values, rule results and history, and
//! its approval (the regulator). Who may do what is decided by `fupin_app::returns`.

use std::collections::HashMap;

use axum::extract::State;
use fupin_app::fupin_core::date::Month;
use fupin_app::fupin_core::returns::ReturnState;
use fupin_app::paging::Page;
use fupin_app::returns::{self, ReturnDetail, ReturnHeader, ReturnKey, ReturnQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::present;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path, Query};
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_returns))
        .routes(routes!(get_return))
        .routes(routes!(approve))
        .routes(routes!(lock))
        .routes(routes!(reopen))
}

/// A return's header: whose, which county and month, and where its approval stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReturnDto {
    pub institution_code: String,
    pub county_code: String,
    /// `YYYY-MM`.
    pub period: String,
    /// `submitted`, `approved`, `locked` or `reopened`.
    pub state: String,
    pub submitted_by: String,
    pub submitted_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopened_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopen_reason: Option<String>,
    /// Values held (listings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<i64>,
}

pub fn return_dto(header: ReturnHeader, values: Option<i64>) -> ReturnDto {
    ReturnDto {
        institution_code: header.key.institution_code,
        county_code: header.key.county_code.to_string(),
        period: header.key.period.to_string(),
        state: header.state.as_str().to_string(),
        submitted_by: header.submitted_by,
        submitted_at: header.submitted_at,
        updated_at: header.updated_at,
        approved_by: header.approved_by,
        approved_at: header.approved_at,
        locked_by: header.locked_by,
        reopened_by: header.reopened_by,
        reopen_reason: header.reopen_reason,
        values,
    }
}

/// One value of a return.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReturnValueDto {
    pub element: String,
    pub name: String,
    pub unit: String,
    /// In the element's unit: `1234.50`, `12`, `12.50%`.
    pub value: String,
}

/// A validation rule evaluated on the return.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RuleResultDto {
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    pub check: String,
    /// `pass`, `fail` or `skipped`.
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A change of a value.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ValueChangeDto {
    pub element: String,
    pub old_value: i64,
    pub new_value: i64,
    pub changed_by: String,
    pub changed_at: String,
    pub reason: String,
}

/// One return in full.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReturnDetailDto {
    #[serde(rename = "return")]
    pub header: ReturnDto,
    pub values: Vec<ReturnValueDto>,
    pub rules: Vec<RuleResultDto>,
    pub history: Vec<ValueChangeDto>,
}

impl From<ReturnDetail> for ReturnDetailDto {
    fn from(detail: ReturnDetail) -> ReturnDetailDto {
        ReturnDetailDto {
            values: detail
                .values
                .iter()
                .map(|v| ReturnValueDto {
                    element: v.element.code.as_str().to_string(),
                    name: v.element.name.clone(),
                    unit: v.element.unit.as_str().to_string(),
                    value: v.text(),
                })
                .collect(),
            rules: detail
                .rules
                .iter()
                .map(|r| RuleResultDto {
                    rule: r.rule_code.clone(),
                    severity: r.severity.as_str().to_string(),
                    check: r.check.clone(),
                    status: r.status().to_string(),
                    message: r.message.clone(),
                })
                .collect(),
            history: detail
                .history
                .into_iter()
                .map(|c| ValueChangeDto {
                    element: c.element_code.as_str().to_string(),
                    old_value: c.old_value,
                    new_value: c.new_value,
                    changed_by: c.changed_by,
                    changed_at: c.changed_at,
                    reason: c.reason,
                })
                .collect(),
            header: return_dto(detail.header, None),
        }
    }
}

/// Filters of the return list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnsQuery {
    /// One institution's (a bank: its own).
    pub institution: Option<String>,
    /// Counties at or under this region code (leading digits).
    pub region: Option<String>,
    /// First period, `YYYY-MM`.
    pub from: Option<String>,
    /// Last period, `YYYY-MM`.
    pub to: Option<String>,
    /// `submitted`, `approved`, `locked` or `reopened`.
    pub state: Option<String>,
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

fn month_param(field: &str, value: &Option<String>) -> Result<Option<Month>> {
    present(value)
        .map(|text| Month::parse(text).map_err(|e| Error::field(field, e.to_string())))
        .transpose()
}

/// A page of returns as the caller may see them.
pub async fn returns_page(
    state: &AppState,
    user: &CurrentUser,
    query: &ReturnsQuery,
    page: Page,
) -> Result<fupin_app::paging::Paged<ReturnDto>> {
    let filter = ReturnQuery {
        institution: present(&query.institution).map(str::to_string),
        county_prefix: present(&query.region).map(str::to_string),
        from: month_param("from", &query.from)?,
        to: month_param("to", &query.to)?,
        state: present(&query.state)
            .map(|text| ReturnState::parse(text).map_err(|e| Error::field("state", e.to_string())))
            .transpose()?,
        limit: Some(page.fetch_through()),
    };
    let rows = returns::list(&state.db, &user.ctx, &filter).await?;
    Ok(page
        .cut(rows, false)
        .map(|r| return_dto(r.header, Some(r.values))))
}

/// Returns by period, institution and county: the regulator's region, a bank's own.
#[utoipa::path(
    get, path = "/api/returns", tag = "returns", params(ReturnsQuery),
    responses((status = 200, body = PageOf<ReturnDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn list_returns(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ReturnsQuery>,
) -> Result<axum::Json<PageOf<ReturnDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let paged = returns_page(&state, &user, &query, page).await?;
    Ok(axum::Json(PageOf::from_paged(paged, |r| r)))
}

/// The key of a return from the path.
pub fn key_of(institution: &str, county: &str, period: &str) -> Result<ReturnKey> {
    Ok(returns::return_key(institution, county, period)?)
}

/// One return: its values, every active rule evaluated now, and the history of its values.
#[utoipa::path(
    get, path = "/api/returns/{institution}/{county}/{period}", tag = "returns",
    params(
        ("institution" = String, Path, description = "Institution code"),
        ("county" = String, Path, description = "County code (6 or 12 digits)"),
        ("period" = String, Path, description = "YYYY-MM"),
    ),
    responses((status = 200, body = ReturnDetailDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn get_return(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, county, period)): Path<(String, String, String)>,
) -> Result<axum::Json<ReturnDetailDto>> {
    let key = key_of(&institution, &county, &period)?;
    let detail = returns::show(&state.db, &user.ctx, &key).await?;
    Ok(axum::Json(detail.into()))
}

/// Approves a submitted or reopened return (the regulator); refused (409) while an
/// error-severity rule fails.
#[utoipa::path(
    post, path = "/api/returns/{institution}/{county}/{period}/approve", tag = "returns",
    params(("institution" = String, Path), ("county" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ReturnDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
async fn approve(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, county, period)): Path<(String, String, String)>,
) -> Result<axum::Json<ReturnDto>> {
    let key = key_of(&institution, &county, &period)?;
    let header = returns::approve(&state.db, &user.ctx, &key).await?;
    Ok(axum::Json(return_dto(header, None)))
}

/// Locks an approved return: its figures are final until reopened (the regulator).
#[utoipa::path(
    post, path = "/api/returns/{institution}/{county}/{period}/lock", tag = "returns",
    params(("institution" = String, Path), ("county" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ReturnDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
async fn lock(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, county, period)): Path<(String, String, String)>,
) -> Result<axum::Json<ReturnDto>> {
    let key = key_of(&institution, &county, &period)?;
    let header = returns::lock(&state.db, &user.ctx, &key).await?;
    Ok(axum::Json(return_dto(header, None)))
}

/// Why a return is reopened.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ReopenBody {
    pub reason: String,
}

/// Reopens an approved or locked return for correction; the reason is required and kept (the
/// regulator).
#[utoipa::path(
    post, path = "/api/returns/{institution}/{county}/{period}/reopen", tag = "returns",
    request_body = ReopenBody,
    params(("institution" = String, Path), ("county" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ReturnDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn reopen(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, county, period)): Path<(String, String, String)>,
    Json(body): Json<ReopenBody>,
) -> Result<axum::Json<ReturnDto>> {
    let key = key_of(&institution, &county, &period)?;
    let header = returns::reopen(&state.db, &user.ctx, &key, &body.reason).await?;
    Ok(axum::Json(return_dto(header, None)))
}

// ---------------------------------------------------------------------------------------------
// pages: returns with their approval state; approve, lock, reopen (the regulator)

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::OriginalUri;
use axum::response::Redirect;
use axum::routing::{get, post};
use fupin_app::access::{self, Access, Area};

use crate::extract::Form;
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::names::Names;
use crate::paging::PageLinks;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/returns", get(returns_list_page))
        .route("/returns/{institution}/{county}/{period}", get(return_page))
        .route(
            "/returns/{institution}/{county}/{period}/{action}",
            post(move_return_form),
        )
}

pub struct ReturnRow {
    pub dto: ReturnDto,
    pub state_key: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "returns.html")]
struct ReturnsPage {
    layout: Layout,
    region: String,
    from: String,
    to: String,
    states: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<ReturnRow>,
    pages: PageLinks,
    may_approve: bool,
    names: Names,
}

/// Returns per page of the returns page.
const RETURNS_PER_PAGE: i64 = 100;

/// Translation key of a return's state.
pub fn state_key(state: &str) -> &'static str {
    match state {
        "submitted" => "returns.submitted",
        "approved" => "returns.approved",
        "locked" => "returns.locked",
        _ => "returns.reopened",
    }
}

async fn returns_list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<ReturnsQuery>,
) -> Result<ReturnsPage> {
    // Opened without a filter, the page shows what awaits approval.
    let query = match uri.query().is_none_or(str::is_empty) {
        true => ReturnsQuery {
            state: Some("submitted".to_string()),
            ..query
        },
        false => query,
    };
    let page = Page::new(Some(RETURNS_PER_PAGE), query.offset)?;
    let paged = returns_page(&state, &user, &query, page).await?;
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/returns");
    let pages = PageLinks::of(path, "offset", &paged);
    let counties: Vec<String> = paged.items.iter().map(|r| r.county_code.clone()).collect();
    let institutions: Vec<String> = paged
        .items
        .iter()
        .map(|r| r.institution_code.clone())
        .collect();
    let names = Names::load(&state.db, lang, counties, institutions).await?;
    Ok(ReturnsPage {
        layout: Layout::new(lang, Some(&user.principal), path, "returns.title"),
        region: present(&query.region).unwrap_or("").to_string(),
        from: present(&query.from).unwrap_or("").to_string(),
        to: present(&query.to).unwrap_or("").to_string(),
        states: ["submitted", "approved", "locked", "reopened"]
            .into_iter()
            .map(|s| (s, state_key(s), present(&query.state) == Some(s)))
            .collect(),
        pages,
        names,
        rows: paged
            .items
            .into_iter()
            .map(|dto| ReturnRow {
                state_key: state_key(&dto.state),
                dto,
            })
            .collect(),
        // Only whether to draw the buttons: the use case decides.
        may_approve: user.principal.user.role == fupin_app::Role::Regulator
            && access::allows(user.principal.user.role, Area::Returns, Access::Write),
    })
}

/// The form of the buttons.
#[derive(Clone, Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub reason: Option<String>,
    /// Where to come back to.
    #[serde(default)]
    pub back: Option<String>,
}

async fn move_return_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, county, period, action)): Path<(String, String, String, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Redirect> {
    let key = key_of(&institution, &county, &period)?;
    match action.as_str() {
        "approve" => returns::approve(&state.db, &user.ctx, &key).await?,
        "lock" => returns::lock(&state.db, &user.ctx, &key).await?,
        "reopen" => {
            returns::reopen(
                &state.db,
                &user.ctx,
                &key,
                form.reason.as_deref().unwrap_or(""),
            )
            .await?
        }
        other => return Err(Error::NotFound(format!("action {other}"))),
    };
    let back = crate::layout::local_path(form.back.as_deref().unwrap_or("/returns"));
    Ok(Redirect::to(back))
}

// ---------------------------------------------------------------------------------------------
// one return: its values beside the month before, its rules, its approval

/// One value of the return beside the same element the month before.
pub struct ValueRow {
    pub name: String,
    pub code: String,
    pub unit: String,
    pub value: String,
    pub before: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "return.html")]
struct ReturnPage {
    layout: Layout,
    detail: ReturnDetailDto,
    rows: Vec<ValueRow>,
    /// The period before, when the institution filed it for the county.
    before_period: Option<String>,
    state_key: &'static str,
    may_approve: bool,
    names: Names,
}

async fn return_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path((institution, county, period)): Path<(String, String, String)>,
) -> Result<ReturnPage> {
    let key = key_of(&institution, &county, &period)?;
    let detail: ReturnDetailDto = returns::show(&state.db, &user.ctx, &key).await?.into();
    let before = match key.period.previous() {
        Some(month) => {
            let previous = ReturnKey {
                period: month,
                ..key.clone()
            };
            match returns::show(&state.db, &user.ctx, &previous).await {
                Ok(found) => Some(ReturnDetailDto::from(found)),
                Err(fupin_app::AppError::NotFound(_)) => None,
                Err(error) => return Err(error.into()),
            }
        }
        None => None,
    };
    let rows = detail
        .values
        .iter()
        .map(|v| ValueRow {
            name: v.name.clone(),
            code: v.element.clone(),
            unit: v.unit.clone(),
            value: v.value.clone(),
            before: before.as_ref().and_then(|b| {
                b.values
                    .iter()
                    .find(|old| old.element == v.element)
                    .map(|old| old.value.clone())
            }),
        })
        .collect();
    let names = Names::load(
        &state.db,
        lang,
        [detail.header.county_code.clone()],
        [detail.header.institution_code.clone()],
    )
    .await?;
    let elements: HashMap<String, String> = returns::list_elements(&state.db, &user.ctx)
        .await?
        .into_iter()
        .map(|e| {
            let name = match (lang, e.name_en) {
                (Lang::En, Some(english)) => english,
                _ => e.name,
            };
            (e.code.as_str().to_string(), name)
        })
        .collect();
    let mut detail = detail;
    for rule in &mut detail.rules {
        rule.check = in_words(&crate::labels::message(lang, &rule.check), &elements);
        rule.message = in_words(&crate::labels::message(lang, &rule.message), &elements);
    }
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/returns");
    Ok(ReturnPage {
        layout: Layout::new(lang, Some(&user.principal), path, "returns.detail"),
        state_key: state_key(&detail.header.state),
        before_period: before.map(|b| b.header.period),
        rows,
        detail,
        may_approve: user.principal.user.role == fupin_app::Role::Regulator
            && access::allows(user.principal.user.role, Area::Returns, Access::Write),
        names,
    })
}

/// `text` with every element code in it replaced by the element's name:
/// `loans_poverty <= loans_agriculture` → `精准扶贫贷款余额 <= 涉农贷款余额`.
fn in_words(text: &str, names: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match names.get(word.as_str()) {
            Some(name) => out.push_str(name),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        let names: HashMap<String, String> = [
            ("loans_poverty", "精准扶贫贷款余额"),
            ("loans_agriculture", "涉农贷款余额"),
        ]
        .into_iter()
        .map(|(code, name)| (code.to_string(), name.to_string()))
        .collect();
        assert_eq!(in_words(input, &names), expect, "{input}");
    }

    #[test]
    fn element_codes_in_words() {
        check(
            "loans_poverty <= loans_agriculture",
            "精准扶贫贷款余额 <= 涉农贷款余额",
        );
        check(
            "未校验：缺少数据项 loans_poverty, x_1",
            "未校验：缺少数据项 精准扶贫贷款余额, x_1",
        );
        check("loans_poverty_npl", "loans_poverty_npl");
        check("", "");
    }
}
