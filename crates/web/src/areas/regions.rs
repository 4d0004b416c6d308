//! Regions: public reference data for every signed-in user.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::routing::get;
use fupin_app::fupin_core::RegionCode;
use fupin_app::paging::Page;
use fupin_app::regions::{self, Region, RegionQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{date_param, level_param, present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Path, Query};
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_regions))
        .routes(routes!(get_region))
}

pub fn pages() -> Router<AppState> {
    Router::new().route("/regions", get(regions_page))
}

/// A region.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionDto {
    /// 12-digit statistical division code.
    pub code: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// `province`, `city`, `county`, `township` or `village`.
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<i64>,
    pub poverty_county: bool,
    pub poverty_village: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

impl From<Region> for RegionDto {
    fn from(region: Region) -> RegionDto {
        RegionDto {
            code: region.code.to_string(),
            level: region.level().as_str().to_string(),
            name: region.name,
            name_en: region.name_en,
            parent_code: region.parent_code.map(|c| c.to_string()),
            population: region.population,
            poverty_county: region.poverty_county,
            poverty_village: region.poverty_village,
            valid_from: region.valid_from.map(|d| d.to_string()),
            valid_to: region.valid_to.map(|d| d.to_string()),
        }
    }
}

/// Filters of the region list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionsQuery {
    /// `province`, `city`, `county`, `township` or `village`.
    pub level: Option<String>,
    /// Only regions at or under this code (2, 4, 6, 9 or 12 digits).
    pub region: Option<String>,
    /// Only codes in use on this date (YYYY-MM-DD).
    pub as_of: Option<String>,
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

async fn query_regions(
    state: &AppState,
    query: &RegionsQuery,
    page: Page,
) -> Result<fupin_app::paging::Paged<Region>> {
    let as_of = match present(&query.as_of) {
        Some(_) => Some(date_param("as_of", &query.as_of)?),
        None => None,
    };
    let filter = RegionQuery {
        level: level_param("level", &query.level)?,
        within: region_param("region", &query.region)?,
        as_of,
        limit: Some(page.fetch_through()),
    };
    let rows = regions::list(&state.db, &filter).await?;
    Ok(page.cut(rows, false))
}

/// Regions, in code order.
#[utoipa::path(
    get, path = "/api/regions", tag = "reference", params(RegionsQuery),
    responses(
        (status = 200, body = PageOf<RegionDto>),
        (status = 401, body = ErrorBody),
        (status = 422, description = "A filter does not parse; `field` names it", body = ErrorBody),
    )
)]
async fn list_regions(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(query): Query<RegionsQuery>,
) -> Result<axum::Json<PageOf<RegionDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let paged = query_regions(&state, &query, page).await?;
    Ok(axum::Json(PageOf::from_paged(paged, RegionDto::from)))
}

/// One region.
#[utoipa::path(
    get, path = "/api/regions/{code}", tag = "reference",
    params(("code" = String, Path, description = "Region code")),
    responses(
        (status = 200, body = RegionDto),
        (status = 404, body = ErrorBody),
    )
)]
async fn get_region(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(code): Path<String>,
) -> Result<axum::Json<RegionDto>> {
    let parsed = RegionCode::parse(&code).map_err(|e| Error::field("code", e.to_string()))?;
    let region = regions::get(&state.db, parsed)
        .await?
        .ok_or_else(|| Error::NotFound(format!("region {code}")))?;
    Ok(axum::Json(region.into()))
}

// ---------------------------------------------------------------------------------------------
// page

/// Rows a page shows at most.
const PAGE_ROWS: i64 = 1_000;

pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub level_key: &'static str,
    pub population: String,
    pub flags: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "regions.html")]
struct RegionsPage {
    layout: Layout,
    levels: Vec<(&'static str, &'static str, bool)>,
    region: String,
    rows: Vec<RegionRow>,
    more: bool,
}

pub fn level_key(level: &str) -> &'static str {
    match level {
        "province" => "level.province",
        "city" => "level.city",
        "county" => "level.county",
        "township" => "level.township",
        _ => "level.village",
    }
}

async fn regions_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<RegionsQuery>,
) -> Result<RegionsPage> {
    let page = Page::new(Some(PAGE_ROWS), None)?;
    let paged = query_regions(&state, &query, page).await?;
    let more = paged.next_offset.is_some();
    let rows = paged
        .items
        .into_iter()
        .map(|r| {
            let mut flags = Vec::new();
            if r.poverty_county {
                flags.push(lang.t("flag.poverty_county"));
            }
            if r.poverty_village {
                flags.push(lang.t("flag.poverty_village"));
            }
            RegionRow {
                code: r.code.to_string(),
                name: match (lang, &r.name_en) {
                    (Lang::En, Some(en)) => format!("{} ({en})", r.name),
                    _ => r.name.clone(),
                },
                level_key: level_key(r.level().as_str()),
                population: r
                    .population
                    .map(|p| crate::numbers::count(lang, p, crate::numbers::Counted::People))
                    .unwrap_or_default(),
                flags: flags.join(" · "),
            }
        })
        .collect();
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/regions");
    Ok(RegionsPage {
        layout: Layout::new(lang, Some(&user.principal), path, "regions.title"),
        levels: ["province", "city", "county", "township", "village"]
            .into_iter()
            .map(|l| (l, level_key(l), present(&query.level) == Some(l)))
            .collect(),
        region: present(&query.region).unwrap_or("").to_string(),
        rows,
        more,
    })
}
