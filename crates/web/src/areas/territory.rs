//! Territory: institutions, and coverage of townships (responsible banks) and villages
//! (banking service). Who sees what is decided by `fupin_app::territory`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::routing::get;
use fupin_app::fupin_core::{BusinessDate, RegionCode};
use fupin_app::paging::Page;
use fupin_app::territory::{self, Institution, TownshipCoverage, VillageCoverage};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{date_param, present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path, Query};
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_institutions, add_institution))
        .routes(routes!(get_institution))
        .routes(routes!(township_coverage))
        .routes(routes!(village_coverage))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/coverage", get(coverage_page))
        .route("/institutions", get(institutions_page))
}

// ---------------------------------------------------------------------------------------------
// institutions

/// A bank or other institution.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InstitutionDto {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// `policy_bank`, `large_commercial`, `postal_savings`, `rural_cooperative`,
    /// `village_bank` or `other`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_code: Option<String>,
    /// Where it is located (region code).
    pub region_code: String,
}

impl From<Institution> for InstitutionDto {
    fn from(institution: Institution) -> InstitutionDto {
        InstitutionDto {
            code: institution.code,
            name: institution.name,
            name_en: institution.name_en,
            kind: institution.kind,
            parent_code: institution.parent_code,
            region_code: institution.region_code.to_string(),
        }
    }
}

/// Region filter and page.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionsQuery {
    /// Only institutions located at or under this region code.
    pub region: Option<String>,
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

/// Institutions the caller may see, in code order: the regulator's region; a bank's own
/// institution and its branches.
#[utoipa::path(
    get, path = "/api/institutions", tag = "territory", params(InstitutionsQuery),
    responses(
        (status = 200, body = PageOf<InstitutionDto>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The role does not read territory data", body = ErrorBody),
        (status = 404, description = "The region is outside the caller's scope", body = ErrorBody),
    )
)]
async fn list_institutions(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<InstitutionsQuery>,
) -> Result<axum::Json<PageOf<InstitutionDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let within = region_param("region", &query.region)?;
    let rows =
        territory::list_institutions(&state.db, &user.ctx, within, Some(page.fetch_through()))
            .await?;
    Ok(axum::Json(PageOf::from_paged(
        page.cut(rows, false),
        InstitutionDto::from,
    )))
}

/// One institution; another bank's, or one outside the caller's region, is not found.
#[utoipa::path(
    get, path = "/api/institutions/{code}", tag = "territory",
    params(("code" = String, Path, description = "Institution code")),
    responses(
        (status = 200, body = InstitutionDto),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn get_institution(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<axum::Json<InstitutionDto>> {
    let institution = territory::get_institution(&state.db, &user.ctx, &code).await?;
    Ok(axum::Json(institution.into()))
}

/// Adds an institution (regulators, in their region). Accepts `Idempotency-Key`.
#[utoipa::path(
    post, path = "/api/institutions", tag = "territory",
    request_body = InstitutionDto,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    responses(
        (status = 201, body = InstitutionDto),
        (status = 403, body = ErrorBody),
        (status = 409, description = "The code exists already", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
    )
)]
async fn add_institution(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<InstitutionDto>,
) -> Result<(StatusCode, axum::Json<InstitutionDto>)> {
    let region_code = RegionCode::parse(&body.region_code)
        .map_err(|e| Error::field("region_code", e.to_string()))?;
    let institution = Institution {
        code: body.code.trim().to_string(),
        name: body.name.trim().to_string(),
        name_en: body.name_en.filter(|n| !n.trim().is_empty()),
        kind: body.kind,
        parent_code: body.parent_code.filter(|p| !p.trim().is_empty()),
        region_code,
    };
    let added = territory::add_institution(&state.db, &user.ctx, &institution).await?;
    Ok((StatusCode::CREATED, axum::Json(added.into())))
}

// ---------------------------------------------------------------------------------------------
// coverage

/// Date, region and the page of listed townships or villages.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The date the figures describe (YYYY-MM-DD); default today.
    pub as_of: Option<String>,
    /// Only this region (county, township… code); default the caller's region.
    pub region: Option<String>,
    /// Listed townships or villages per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Listed rows to skip: default 0.
    pub offset: Option<i64>,
}

/// A region named.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
}

/// Townships with a responsible institution per type.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TypeCount {
    #[serde(rename = "type")]
    pub kind: String,
    pub townships: u64,
}

/// Townships per institution.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InstitutionCount {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub townships: u64,
}

/// Township responsibility on a date.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TownshipCoverageDto {
    pub as_of: String,
    pub townships: u64,
    pub assigned: u64,
    pub unassigned: u64,
    pub by_type: Vec<TypeCount>,
    pub by_institution: Vec<InstitutionCount>,
    /// The townships without a responsible institution, paged.
    pub unassigned_townships: PageOf<RegionRef>,
}

/// Village banking service on a date.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VillageCoverageDto {
    pub as_of: String,
    pub villages: u64,
    pub with_outlet: u64,
    pub electronic_only: u64,
    pub mobile_only: u64,
    pub uncovered: u64,
    /// Villages with at least one service point, % with two decimals.
    pub coverage_percent: String,
    /// The villages without any service point, paged.
    pub uncovered_villages: PageOf<RegionRef>,
}

async fn townships(
    state: &AppState,
    user: &CurrentUser,
    query: &CoverageQuery,
) -> Result<TownshipCoverage> {
    let as_of = date_param("as_of", &query.as_of)?;
    let within = region_param("region", &query.region)?;
    Ok(territory::township_coverage(&state.db, &user.ctx, as_of, within).await?)
}

async fn villages(
    state: &AppState,
    user: &CurrentUser,
    query: &CoverageQuery,
) -> Result<VillageCoverage> {
    let as_of = date_param("as_of", &query.as_of)?;
    let within = region_param("region", &query.region)?;
    Ok(territory::village_coverage(&state.db, &user.ctx, as_of, within).await?)
}

/// Townships with and without a responsible institution; counts per institution and type.
#[utoipa::path(
    get, path = "/api/coverage/townships", tag = "territory", params(CoverageQuery),
    responses(
        (status = 200, body = TownshipCoverageDto),
        (status = 403, body = ErrorBody),
        (status = 404, description = "The region is outside the caller's scope", body = ErrorBody),
    )
)]
async fn township_coverage(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<CoverageQuery>,
) -> Result<axum::Json<TownshipCoverageDto>> {
    let page = Page::new(query.limit, query.offset)?;
    let coverage = townships(&state, &user, &query).await?;
    let unassigned: Vec<RegionRef> = coverage
        .unassigned()
        .map(|t| RegionRef {
            code: t.township_code.to_string(),
            name: t.township_name.clone(),
        })
        .collect();
    Ok(axum::Json(TownshipCoverageDto {
        as_of: coverage.as_of.to_string(),
        townships: coverage.total(),
        assigned: coverage.assigned(),
        unassigned: coverage.total() - coverage.assigned(),
        by_type: coverage
            .by_type
            .iter()
            .map(|(kind, townships)| TypeCount {
                kind: kind.clone(),
                townships: *townships,
            })
            .collect(),
        by_institution: coverage
            .by_institution
            .iter()
            .map(|(code, name, kind, townships)| InstitutionCount {
                code: code.clone(),
                name: name.clone(),
                kind: kind.clone(),
                townships: *townships,
            })
            .collect(),
        unassigned_townships: PageOf::from_paged(page.cut(unassigned, false), |r| r),
    }))
}

/// Villages with an outlet, with electronic equipment only, uncovered; the coverage rate.
#[utoipa::path(
    get, path = "/api/coverage/villages", tag = "territory", params(CoverageQuery),
    responses(
        (status = 200, body = VillageCoverageDto),
        (status = 403, body = ErrorBody),
        (status = 404, description = "The region is outside the caller's scope", body = ErrorBody),
    )
)]
async fn village_coverage(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<CoverageQuery>,
) -> Result<axum::Json<VillageCoverageDto>> {
    let page = Page::new(query.limit, query.offset)?;
    let coverage = villages(&state, &user, &query).await?;
    let uncovered: Vec<RegionRef> = coverage
        .uncovered
        .iter()
        .map(|(code, name)| RegionRef {
            code: code.to_string(),
            name: name.clone(),
        })
        .collect();
    Ok(axum::Json(VillageCoverageDto {
        as_of: coverage.as_of.to_string(),
        villages: coverage.total,
        with_outlet: coverage.with_outlet,
        electronic_only: coverage.electronic_only,
        mobile_only: coverage.mobile_only,
        uncovered: coverage.uncovered.len() as u64,
        coverage_percent: coverage.rate_percent(),
        uncovered_villages: PageOf::from_paged(page.cut(uncovered, false), |r| r),
    }))
}

// ---------------------------------------------------------------------------------------------
// pages

/// Translation key of an institution type.
pub fn type_key(kind: &str) -> &'static str {
    match kind {
        "policy_bank" => "type.policy_bank",
        "large_commercial" => "type.large_commercial",
        "postal_savings" => "type.postal_savings",
        "rural_cooperative" => "type.rural_cooperative",
        "village_bank" => "type.village_bank",
        _ => "type.other",
    }
}

/// Names listed on the page at most (the API pages through all of them).
const LISTED_MAX: usize = 200;

#[derive(Template, WebTemplate)]
#[template(path = "coverage.html")]
struct CoveragePage {
    layout: Layout,
    as_of: String,
    region: String,
    townships_total: u64,
    townships_assigned: u64,
    townships_unassigned: u64,
    by_type: Vec<(&'static str, u64)>,
    by_institution: Vec<(String, String, u64)>,
    unassigned: Vec<(String, String)>,
    villages_total: u64,
    villages_rate: String,
    chart_json: String,
    uncovered: Vec<(String, String)>,
    uncovered_more: usize,
}

fn village_chart(lang: Lang, coverage: &VillageCoverage) -> String {
    let slice = |key: &'static str, value: u64, color: &str| json!({"name": lang.t(key), "value": value, "itemStyle": {"color": color}});
    json!({
        "animation": false,
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [{
            "type": "pie",
            "radius": ["35%", "65%"],
            "center": ["50%", "45%"],
            "label": {"formatter": "{b}\n{c}"},
            "data": [
                slice("coverage.outlet", coverage.with_outlet, "#1a7f37"),
                slice("coverage.electronic", coverage.electronic_only, "#0b5cad"),
                slice("coverage.mobile", coverage.mobile_only, "#d69e2e"),
                slice("coverage.none", coverage.uncovered.len() as u64, "#b42318"),
            ],
        }],
    })
    .to_string()
}

async fn coverage_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<CoverageQuery>,
) -> Result<CoveragePage> {
    let as_of: BusinessDate = date_param("as_of", &super::page_date(&state, &query.as_of).await?)?;
    let query = CoverageQuery {
        as_of: Some(as_of.to_string()),
        ..query
    };
    let townships = townships(&state, &user, &query).await?;
    let villages = villages(&state, &user, &query).await?;
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/coverage");
    Ok(CoveragePage {
        layout: Layout::new(lang, Some(&user.principal), path, "coverage.title"),
        as_of: as_of.to_string(),
        region: present(&query.region).unwrap_or("").to_string(),
        townships_total: townships.total(),
        townships_assigned: townships.assigned(),
        townships_unassigned: townships.total() - townships.assigned(),
        by_type: townships
            .by_type
            .iter()
            .map(|(kind, count)| (type_key(kind), *count))
            .collect(),
        by_institution: townships
            .by_institution
            .iter()
            .map(|(code, name, _, count)| (code.clone(), name.clone(), *count))
            .collect(),
        unassigned: townships
            .unassigned()
            .take(LISTED_MAX)
            .map(|t| (t.township_code.to_string(), t.township_name.clone()))
            .collect(),
        villages_total: villages.total,
        villages_rate: villages.rate_percent(),
        chart_json: village_chart(lang, &villages),
        uncovered: villages
            .uncovered
            .iter()
            .take(LISTED_MAX)
            .map(|(code, name)| (code.to_string(), name.clone()))
            .collect(),
        uncovered_more: villages.uncovered.len().saturating_sub(LISTED_MAX),
    })
}

pub struct InstitutionRow {
    pub code: String,
    pub name: String,
    pub type_key: &'static str,
    pub parent: String,
    pub region: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "institutions.html")]
struct InstitutionsPage {
    layout: Layout,
    region: String,
    rows: Vec<InstitutionRow>,
    more: bool,
}

async fn institutions_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<InstitutionsQuery>,
) -> Result<InstitutionsPage> {
    let page = Page::new(Some(fupin_app::paging::PAGE_LIMIT_MAX), None)?;
    let within = region_param("region", &query.region)?;
    let rows =
        territory::list_institutions(&state.db, &user.ctx, within, Some(page.fetch_through()))
            .await?;
    let paged = page.cut(rows, false);
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/institutions");
    let regions: Vec<String> = paged
        .items
        .iter()
        .map(|i| i.region_code.to_string())
        .collect();
    let names = crate::names::Names::load(&state.db, lang, regions, Vec::new()).await?;
    Ok(InstitutionsPage {
        layout: Layout::new(lang, Some(&user.principal), path, "institutions.title"),
        region: present(&query.region).unwrap_or("").to_string(),
        more: paged.next_offset.is_some(),
        rows: paged
            .items
            .into_iter()
            .map(|i| InstitutionRow {
                type_key: type_key(&i.kind),
                name: match (lang, &i.name_en) {
                    (Lang::En, Some(en)) => format!("{} ({en})", i.name),
                    _ => i.name.clone(),
                },
                code: i.code,
                parent: i.parent_code.unwrap_or_default(),
                region: names.region(&i.region_code.to_string()),
            })
            .collect(),
    })
}
