//! Indicators: every figure the regulator reports, evaluated for a region or a region group as
//! of a date; their definitions; the report as a file. Scope is decided by
//! `fupin_app::indicators` (a region or group in the caller's region; a bank its own part).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use fupin_app::indicators::{self, Request, Scope, Value};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::loans::date_field;
use super::{date_param, present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::Query;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(evaluate))
        .routes(routes!(definitions))
        .routes(routes!(report))
}

/// One evaluated indicator.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IndicatorValueDto {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `yuan`, `count`, `percent` or `pp`.
    pub unit: String,
    /// Report section: `territory`, `registry`, `loans`, `funds`, `industry` or `returns`.
    pub section: String,
    /// Exact decimal text; absent when there is no value (see `problem`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numerator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// A figure published elsewhere for the same scope and date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_source: Option<String>,
    /// The computed value differs from the reported one beyond its precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub differs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl From<&Value> for IndicatorValueDto {
    fn from(value: &Value) -> IndicatorValueDto {
        IndicatorValueDto {
            code: value.indicator.code.clone(),
            name: value.indicator.name.clone(),
            name_en: value.indicator.name_en.clone(),
            unit: value.indicator.unit.clone(),
            section: value.indicator.section.clone(),
            value: value.text(),
            numerator: value.numerator.map(|v| v.normalize().to_string()),
            denominator: value.denominator.map(|v| v.normalize().to_string()),
            reported: value.reported.as_ref().map(|r| r.value.clone()),
            reported_unit: value.reported.as_ref().map(|r| r.unit.clone()),
            reported_source: value.reported.as_ref().map(|r| r.source.clone()),
            differs: value.reported.as_ref().map(|r| r.differs),
            problem: value.problem.clone(),
        }
    }
}

/// The indicators of a scope on a date.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EvaluationDto {
    pub as_of: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The institution whose part institution-specific measures show (a bank: its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    pub indicators: Vec<IndicatorValueDto>,
}

/// What to evaluate.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluateQuery {
    /// The date the figures describe; default today.
    pub as_of: Option<String>,
    /// A region (county, city…); default the caller's region. Not with `group`.
    pub region: Option<String>,
    /// A region group, e.g. `state-poverty-counties`. Not with `region`.
    pub group: Option<String>,
    /// Only these indicators, comma-separated codes.
    pub codes: Option<String>,
    /// Base date for increases and growth; default the last day of the previous year.
    pub base: Option<String>,
    /// Only this institution's part of the measures that have one (a bank: its own).
    pub institution: Option<String>,
}

/// The request a query describes, defaulting the region to the caller's.
pub fn request_of(user: &CurrentUser, query: &EvaluateQuery) -> Result<Request> {
    let as_of = date_param("as_of", &query.as_of)?;
    let scope = match (
        region_param("region", &query.region)?,
        present(&query.group),
    ) {
        (Some(_), Some(_)) => {
            return Err(Error::field("group", "give a region or a group, not both"));
        }
        (Some(region), None) => Scope::Region(region),
        (None, Some(group)) => Scope::Group(group.to_string()),
        (None, None) => Scope::Region(user.principal.user.region),
    };
    let codes = present(&query.codes).map(|codes| {
        codes
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
    });
    Ok(Request {
        scope,
        as_of,
        base: match present(&query.base) {
            Some(text) => Some(date_field("base", text)?),
            None => None,
        },
        institution: present(&query.institution).map(str::to_string),
        codes,
    })
}

/// Evaluates the indicators (all, or `codes`) for a region or a group as of a date, with
/// reported figures beside the computed ones and mismatches flagged. Every business role, in
/// its region; a bank sees its own part of the institution-specific measures.
#[utoipa::path(
    get, path = "/api/indicators", tag = "indicators", params(EvaluateQuery),
    responses((status = 200, body = EvaluationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn evaluate(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<EvaluateQuery>,
) -> Result<axum::Json<EvaluationDto>> {
    let request = request_of(&user, &query)?;
    let scoped = indicators::scoped_request(&state.db, &user.ctx, &request).await?;
    let values =
        indicators::evaluate_cached(&state.db, &user.ctx, &request, &state.indicator_cache).await?;
    let (region, group) = match &request.scope {
        Scope::Region(code) => (Some(code.to_string()), None),
        Scope::Group(name) => (None, Some(name.clone())),
    };
    Ok(axum::Json(EvaluationDto {
        as_of: request.as_of.to_string(),
        region,
        group,
        institution: scoped.institution,
        indicators: values.iter().map(IndicatorValueDto::from).collect(),
    }))
}

/// An indicator's definition.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DefinitionDto {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub unit: String,
    pub section: String,
    pub formula: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numerator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// What the formula does not say, e.g. what a scoped user sees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub builtin: bool,
}

/// Every indicator's definition, built-in ones first.
#[utoipa::path(
    get, path = "/api/indicators/definitions", tag = "indicators",
    responses((status = 200, body = Vec<DefinitionDto>), (status = 403, body = ErrorBody))
)]
async fn definitions(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<axum::Json<Vec<DefinitionDto>>> {
    let definitions = indicators::definitions_for(&state.db, &user.ctx).await?;
    Ok(axum::Json(
        definitions
            .into_iter()
            .map(|i| DefinitionDto {
                code: i.code,
                name: i.name,
                name_en: i.name_en,
                unit: i.unit,
                section: i.section,
                formula: i.formula,
                numerator: i.numerator,
                denominator: i.denominator,
                description: i.description,
                builtin: i.builtin,
            })
            .collect(),
    ))
}

/// The report's scope, date and format.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The date the figures describe; default today.
    pub as_of: Option<String>,
    /// A region; default the caller's region. Not with `group`.
    pub region: Option<String>,
    /// A region group. Not with `region`.
    pub group: Option<String>,
    /// Base date for increases and growth.
    pub base: Option<String>,
    /// `xlsx` (default: one sheet per section, with charts), `csv` or `json`.
    pub format: Option<String>,
}

/// The regulator's report as a file: XLSX (formatted, with charts), CSV (UTF-8 with BOM) or
/// JSON, with the figures of `GET /api/indicators` and a table per county.
#[utoipa::path(
    get, path = "/api/report", tag = "indicators", params(ReportQuery),
    responses(
        (status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = present(&query.format)
        .unwrap_or("xlsx")
        .to_ascii_lowercase();
    let content_type = match format.as_str() {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        _ => return Err(Error::field("format", "must be xlsx, csv or json")),
    };
    let evaluate = EvaluateQuery {
        as_of: query.as_of.clone(),
        region: query.region.clone(),
        group: query.group.clone(),
        base: query.base.clone(),
        ..EvaluateQuery::default()
    };
    let request = request_of(&user, &evaluate)?;
    let built = fupin_app::report::build(&state.db, &user.ctx, &request).await?;
    let bytes = fupin_app::report::render(&built, &format)?;
    let scope = match &request.scope {
        Scope::Region(code) => code.to_string(),
        Scope::Group(name) => name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    };
    let disposition = format!(
        "attachment; filename=\"fupin-report-{scope}-{}.{format}\"",
        request.as_of
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// the dashboard

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::OriginalUri;
use axum::routing::get;
use fupin_app::fupin_core::{BusinessDate, RegionLevel};
use serde_json::json;

use crate::i18n::Lang;
use crate::labels::{self, Vocabulary};
use crate::layout::Layout;
use crate::names::Names;
use crate::numbers;

pub fn pages() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard_page))
}

/// One row of the indicator table.
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    /// The report section's name, on the first row of each section; empty on the others.
    pub section: String,
    /// The value as people read it (万元/亿元, counts with units, two-decimal percentages).
    pub value: String,
    /// The exact value, for a hover.
    pub exact: String,
    pub reported: String,
    /// The reported figure differs from the computed one.
    pub flagged: bool,
    pub problem: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    as_of: String,
    /// The scope's name: the region's, or the group's code.
    scope_name: String,
    region: String,
    group: String,
    rows: Vec<IndicatorRow>,
    flagged: usize,
    county_chart: String,
    month_chart: String,
    report_query: String,
}

/// Per-county chart: loan growth and poor population.
const COUNTY_CODES: &[&str] = &["loans_total_growth", "poor_population"];
/// Month-end chart.
const MONTH_CODE: &str = "microcredit_balance";

fn unit_label(lang: Lang, unit: &str) -> &'static str {
    match unit {
        "yuan" => lang.t("unit.yuan"),
        "percent" => "%",
        "pp" => lang.t("unit.pp"),
        "times" => lang.t("unit.times"),
        _ => lang.t("unit.count"),
    }
}

/// A region group's title in `lang` (its name when it has none).
async fn group_title(state: &AppState, lang: Lang, name: &str) -> Result<String> {
    let groups = fupin_app::territory::list_groups(&state.db).await?;
    Ok(groups
        .into_iter()
        .find(|(group, _)| group.name == name)
        .map(|(group, _)| match (lang, group.title_en) {
            (Lang::En, Some(english)) => english,
            _ => group.title,
        })
        .unwrap_or_else(|| name.to_string()))
}

/// The indicator table's rows, grouped by the sections of their definitions (in the order
/// the sections first appear), each value in words for its unit.
fn indicator_rows(lang: Lang, values: &[Value]) -> Vec<IndicatorRow> {
    let mut sections: Vec<&str> = Vec::new();
    for value in values {
        if !sections.contains(&value.indicator.section.as_str()) {
            sections.push(&value.indicator.section);
        }
    }
    let mut rows = Vec::with_capacity(values.len());
    for section in sections {
        let in_section = values.iter().filter(|v| v.indicator.section == section);
        for (index, v) in in_section.enumerate() {
            let (code, unit) = (v.indicator.code.as_str(), v.indicator.unit.as_str());
            let text = v.text();
            rows.push(IndicatorRow {
                code: code.to_string(),
                name: match lang {
                    Lang::Zh => v.indicator.name.clone(),
                    Lang::En => v.indicator.name_en.clone(),
                },
                section: match index {
                    0 => labels::label(lang, Vocabulary::Section, section),
                    _ => String::new(),
                },
                value: text.as_deref().map_or_else(
                    || "—".to_string(),
                    |t| numbers::indicator_value(lang, code, unit, t),
                ),
                exact: text
                    .map(|t| format!("{t} {}", unit_label(lang, unit)))
                    .unwrap_or_default(),
                reported: v
                    .reported
                    .as_ref()
                    .map(|r| numbers::indicator_value(lang, code, &r.unit, &r.value))
                    .unwrap_or_default(),
                flagged: v.reported.as_ref().is_some_and(|r| r.differs),
                problem: v
                    .problem
                    .as_deref()
                    .map(|p| labels::message(lang, p))
                    .unwrap_or_default(),
            });
        }
    }
    rows
}

fn number(value: &Value) -> Option<f64> {
    value.text().and_then(|t| t.parse::<f64>().ok())
}

async fn county_chart(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    request: &Request,
) -> Result<String> {
    let Scope::Region(root) = &request.scope else {
        return Ok(String::new());
    };
    if root.level() > RegionLevel::City {
        return Ok(String::new());
    }
    let query = fupin_app::regions::RegionQuery {
        level: Some(RegionLevel::County),
        within: Some(*root),
        as_of: Some(request.as_of),
        limit: Some(100),
    };
    let counties = fupin_app::regions::list(&state.db, &query).await?;
    let mut names = Vec::new();
    let mut growth = Vec::new();
    let mut poor = Vec::new();
    for county in counties {
        let county_request = Request {
            scope: Scope::Region(county.code),
            codes: Some(COUNTY_CODES.iter().map(|c| c.to_string()).collect()),
            ..request.clone()
        };
        let values = indicators::evaluate_cached(
            &state.db,
            &user.ctx,
            &county_request,
            &state.indicator_cache,
        )
        .await?;
        let of = |code: &str| {
            values
                .iter()
                .find(|v| v.indicator.code == code)
                .and_then(number)
        };
        names.push(match (lang, &county.name_en) {
            (Lang::En, Some(en)) => en.clone(),
            _ => county.name.clone(),
        });
        growth.push(of("loans_total_growth"));
        poor.push(of("poor_population"));
    }
    if names.is_empty() {
        return Ok(String::new());
    }
    Ok(json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 48, "right": 56, "top": 30, "bottom": 70, "containLabel": true},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 30}},
        "yAxis": [
            {"type": "value", "name": lang.t("dashboard.growth"), "axisLabel": {"formatter": "{value}%"}},
            {"type": "value", "name": lang.t("dashboard.poor")},
        ],
        "series": [
            {"type": "bar", "name": lang.t("dashboard.growth"), "data": growth, "itemStyle": {"color": "#0b5cad"}},
            {"type": "line", "name": lang.t("dashboard.poor"), "yAxisIndex": 1, "data": poor, "itemStyle": {"color": "#b42318"}},
        ],
    })
    .to_string())
}

async fn month_chart(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    request: &Request,
) -> Result<String> {
    let as_of = request.as_of;
    let mut labels = Vec::new();
    let mut balances = Vec::new();
    for month in 1..=as_of.month() {
        let Some(end) = BusinessDate::from_ymd(as_of.year(), month, 1).map(|d| d.end_of_month())
        else {
            continue;
        };
        let day = end.min(as_of);
        let month_request = Request {
            as_of: day,
            codes: Some(vec![MONTH_CODE.to_string()]),
            ..request.clone()
        };
        let values = indicators::evaluate_cached(
            &state.db,
            &user.ctx,
            &month_request,
            &state.indicator_cache,
        )
        .await?;
        labels.push(day.to_string());
        // Ten-thousands of yuan (万元), as Chinese reports give balances.
        balances.push(
            values
                .first()
                .and_then(number)
                .map(|v| (v / 100.0).round() / 100.0),
        );
    }
    Ok(json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 24, "top": 30, "bottom": 40, "containLabel": true},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": lang.t("unit.wan_yuan")},
        "series": [{"type": "line", "name": lang.t("dashboard.microcredit"), "data": balances, "areaStyle": {"opacity": 0.15}, "itemStyle": {"color": "#1a7f37"}}],
    })
    .to_string())
}

async fn dashboard_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<EvaluateQuery>,
) -> Result<DashboardPage> {
    let query = EvaluateQuery {
        as_of: super::page_date(&state, &query.as_of).await?,
        ..query
    };
    let request = request_of(&user, &query)?;
    let values =
        indicators::evaluate_cached(&state.db, &user.ctx, &request, &state.indicator_cache).await?;
    let rows = indicator_rows(lang, &values);
    let county_chart = county_chart(&state, &user, lang, &request).await?;
    let month_chart = month_chart(&state, &user, lang, &request).await?;
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/dashboard");
    let region = match &request.scope {
        Scope::Region(code) => code.prefix().to_string(),
        Scope::Group(_) => String::new(),
    };
    let group = present(&query.group).unwrap_or("").to_string();
    let scope_name = match &request.scope {
        Scope::Region(code) => Names::load(&state.db, lang, [code.to_string()], Vec::new())
            .await?
            .region(&code.to_string()),
        Scope::Group(name) => group_title(&state, lang, name).await?,
    };
    let report_query = match &request.scope {
        Scope::Region(code) => format!("as_of={}&region={}", request.as_of, code.prefix()),
        Scope::Group(name) => format!(
            "as_of={}&group={}",
            request.as_of,
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        ),
    };
    Ok(DashboardPage {
        layout: Layout::new(lang, Some(&user.principal), path, "dashboard.title"),
        as_of: request.as_of.to_string(),
        scope_name,
        region,
        group,
        flagged: rows.iter().filter(|r| r.flagged).count(),
        rows,
        county_chart,
        month_chart,
        report_query,
    })
}
