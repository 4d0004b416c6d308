//! Supervisory alerts: the list with filters, one alert with its evidence and answers, the
//! answer form, the rules, and a bank's work list as XLSX. Who sees and may answer what is
//! decided by `fupin_app::alerts`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fupin_app::alerts::{self, Alert, AlertRule, Answer, ListQuery};
use fupin_app::fupin_core::alert::{AlertStatus, AnswerKind, Severity};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Form, Json, Path, Query};
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::names::Names;
use crate::paging::PageLinks;
use fupin_app::paging::Page;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(get_alert))
        .routes(routes!(answer_alert))
        .routes(routes!(list_rules, save_rule))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(alerts_page))
        .route("/alerts/work-list.xlsx", get(work_list))
        .route("/alerts/{id}", get(alert_page))
        .route("/alerts/{id}/answer", post(answer_form))
}

/// An alert.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertDto {
    pub id: i64,
    pub rule: String,
    /// high, medium or low.
    pub severity: String,
    /// The subject's key: `BANK/CONTRACT` for a loan, the village code, `CREDIT_CODE/BANK/DAY`…
    pub subject: String,
    /// The institution that answers it; absent for the regulator's own (a village).
    pub institution: Option<String>,
    pub village: String,
    pub county: String,
    /// open, explained, corrected, escalated, dismissed or closed.
    pub status: String,
    pub first_seen: String,
    pub last_seen: String,
    pub closed_on: Option<String>,
    /// The facts and the loans, households, amounts and dates behind it.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
}

fn alert_dto(alert: &Alert) -> AlertDto {
    AlertDto {
        id: alert.id,
        rule: alert.rule_code.clone(),
        severity: alert.severity.clone(),
        subject: alert.subject_key.clone(),
        institution: alert.institution_code.clone(),
        village: alert.village_code.clone(),
        county: alert.county_code.clone(),
        status: alert.status.clone(),
        first_seen: alert.first_seen.clone(),
        last_seen: alert.last_seen.clone(),
        closed_on: alert.closed_on.clone(),
        evidence: serde_json::from_str(&alert.evidence_json).unwrap_or(serde_json::Value::Null),
    }
}

/// An answer to an alert.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AnswerDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    /// explain, correct, escalate or dismiss.
    pub kind: String,
    pub note: String,
}

fn answer_dto(answer: &Answer) -> AnswerDto {
    AnswerDto {
        seq: answer.seq,
        at: answer.answered_at.clone(),
        actor: answer.actor.clone(),
        kind: answer.kind.clone(),
        note: answer.note.clone(),
    }
}

/// An alert with its answers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertDetailDto {
    pub alert: AlertDto,
    pub answers: Vec<AnswerDto>,
}

/// Filters of the list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Alerts at or under this region (county, township, village code).
    pub region: Option<String>,
    /// One institution's (a bank sees its own only).
    pub bank: Option<String>,
    pub rule: Option<String>,
    /// open, explained, corrected, escalated, dismissed or closed.
    pub status: Option<String>,
    /// high, medium or low.
    pub severity: Option<String>,
    /// At most this many (default 200, at most 5,000).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn list_query(query: &AlertsQuery) -> Result<ListQuery> {
    let status = present(&query.status)
        .map(|s| AlertStatus::parse(s).map_err(|e| Error::field("status", e.0)))
        .transpose()?;
    let severity = present(&query.severity)
        .map(|s| Severity::parse(s).map_err(|e| Error::field("severity", e.0)))
        .transpose()?;
    Ok(ListQuery {
        region: region_param("region", &query.region)?,
        institution: present(&query.bank).map(str::to_string),
        rule: present(&query.rule).map(str::to_string),
        status,
        severity,
        live_only: false,
        limit: query.limit,
        offset: query.offset,
    })
}

/// Alerts in the caller's view, newest first (regulator: its region; bank: its own).
#[utoipa::path(
    get, path = "/api/alerts", tag = "alerts", params(AlertsQuery),
    responses((status = 200, body = [AlertDto]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn list_alerts(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AlertsQuery>,
) -> Result<axum::Json<Vec<AlertDto>>> {
    let found = alerts::list(&state.db, &user.ctx, &list_query(&query)?).await?;
    Ok(axum::Json(found.iter().map(alert_dto).collect()))
}

/// One alert with its evidence and answers.
#[utoipa::path(
    get, path = "/api/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, body = AlertDetailDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn get_alert(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<AlertDetailDto>> {
    let (alert, answers) = alerts::show(&state.db, &user.ctx, id).await?;
    Ok(axum::Json(AlertDetailDto {
        alert: alert_dto(&alert),
        answers: answers.iter().map(answer_dto).collect(),
    }))
}

/// An answer.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    /// explain, correct, escalate or dismiss (the regulator only).
    pub kind: String,
    /// What was found or done; the reason of a dismissal.
    pub note: String,
}

/// Answers an alert: the responsible bank explains, corrects or escalates; the regulator may
/// also dismiss it with a reason.
#[utoipa::path(
    post, path = "/api/alerts/{id}/answers", tag = "alerts", request_body = AnswerBody,
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, body = AlertDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn answer_alert(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<AnswerBody>,
) -> Result<axum::Json<AlertDto>> {
    let kind = AnswerKind::parse(&body.kind).map_err(|e| Error::field("kind", e.0))?;
    let alert = alerts::answer(&state.db, &user.ctx, id, kind, &body.note).await?;
    Ok(axum::Json(alert_dto(&alert)))
}

/// A rule: its condition over the subject's facts and its parameters (docs/formats.md).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleDto {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// high, medium or low.
    pub severity: String,
    /// loan, credit_line, village, enterprise_day, written_off_loan or officer.
    pub subject: String,
    pub condition: String,
    /// Whole numbers by name.
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
    pub regulation: String,
    pub definition: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn rule_dto(rule: &AlertRule) -> RuleDto {
    RuleDto {
        code: rule.code.clone(),
        name_zh: rule.name_zh.clone(),
        name_en: rule.name_en.clone(),
        severity: rule.severity.clone(),
        subject: rule.subject.clone(),
        condition: rule.condition.clone(),
        parameters: serde_json::from_str(&rule.parameters).unwrap_or(serde_json::Value::Null),
        regulation: rule.regulation.clone(),
        definition: rule.definition.clone(),
        enabled: rule.enabled,
    }
}

/// The alert rules.
#[utoipa::path(
    get, path = "/api/alerts/rules", tag = "alerts",
    responses((status = 200, body = [RuleDto]), (status = 403, body = ErrorBody))
)]
async fn list_rules(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<axum::Json<Vec<RuleDto>>> {
    let rules = alerts::rules(&state.db, &user.ctx).await?;
    Ok(axum::Json(rules.iter().map(rule_dto).collect()))
}

/// Adds a rule or replaces the one of its code (the regulator): a rule is data.
#[utoipa::path(
    post, path = "/api/alerts/rules", tag = "alerts", request_body = RuleDto,
    responses((status = 200, body = RuleDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn save_rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<RuleDto>,
) -> Result<axum::Json<RuleDto>> {
    let rule = AlertRule {
        code: body.code,
        name_zh: body.name_zh,
        name_en: body.name_en,
        severity: body.severity,
        subject: body.subject,
        condition: body.condition,
        parameters: body.parameters.to_string(),
        regulation: body.regulation,
        definition: body.definition,
        enabled: body.enabled,
    };
    let saved = alerts::save_rule(&state.db, &user.ctx, rule).await?;
    Ok(axum::Json(rule_dto(&saved)))
}

// ---------------------------------------------------------------------------------------------
// pages

/// A row of the list page.
pub struct AlertRow {
    pub id: i64,
    pub rule: String,
    pub rule_name: String,
    pub severity: String,
    pub status: String,
    pub subject: String,
    pub institution: String,
    pub village: String,
    pub first_seen: String,
    pub last_seen: String,
}

/// Open alerts of one rule, for the summary above the list.
pub struct RuleCount {
    pub code: String,
    pub name: String,
    pub open: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
struct AlertsPage {
    layout: Layout,
    query: AlertsQuery,
    rules: Vec<(String, String)>,
    counts: Vec<RuleCount>,
    rows: Vec<AlertRow>,
    names: Names,
    export_link: String,
    pages: PageLinks,
}

/// Alerts on one page of the list.
const ALERTS_PER_PAGE: i64 = 100;

fn rule_name(lang: Lang, rule: Option<&AlertRule>, code: &str) -> String {
    match (rule, lang) {
        (Some(rule), Lang::Zh) => rule.name_zh.clone(),
        (Some(rule), Lang::En) => rule.name_en.clone(),
        (None, _) => code.to_string(),
    }
}

async fn alerts_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<AlertsQuery>,
) -> Result<AlertsPage> {
    let list = list_query(&query)?;
    let rules: HashMap<String, AlertRule> = alerts::rules(&state.db, &user.ctx)
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    let page = Page::new(Some(ALERTS_PER_PAGE), query.offset)?;
    let paged = page.cut(
        alerts::list(
            &state.db,
            &user.ctx,
            &ListQuery {
                limit: Some(page.limit() + 1),
                offset: Some(page.offset()),
                ..list.clone()
            },
        )
        .await?,
        true,
    );
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/alerts");
    let pages = PageLinks::of(path, "offset", &paged);
    let found = paged.items;
    let live = ListQuery {
        live_only: true,
        status: None,
        offset: None,
        ..list.clone()
    };
    let mut by_rule: HashMap<String, i64> = HashMap::new();
    for (rule, _, _, count) in alerts::counts(&state.db, &user.ctx, &live).await? {
        *by_rule.entry(rule).or_default() += count;
    }
    let mut rule_list: Vec<(String, String)> = rules
        .values()
        .map(|r| (r.code.clone(), rule_name(lang, Some(r), &r.code)))
        .collect();
    rule_list.sort();
    let counts = rule_list
        .iter()
        .filter_map(|(code, name)| {
            by_rule.get(code).map(|open| RuleCount {
                code: code.clone(),
                name: name.clone(),
                open: *open,
            })
        })
        .collect();
    let villages: Vec<String> = found.iter().map(|a| a.village_code.clone()).collect();
    let institutions: Vec<String> = found
        .iter()
        .filter_map(|a| a.institution_code.clone())
        .collect();
    let names = Names::load(&state.db, lang, villages, institutions).await?;
    let rows = found
        .iter()
        .map(|a| AlertRow {
            id: a.id,
            rule: a.rule_code.clone(),
            rule_name: rule_name(lang, rules.get(&a.rule_code), &a.rule_code),
            severity: a.severity.clone(),
            status: a.status.clone(),
            subject: a.subject_key.clone(),
            institution: a.institution_code.clone().unwrap_or_default(),
            village: a.village_code.clone(),
            first_seen: a.first_seen.clone(),
            last_seen: a.last_seen.clone(),
        })
        .collect();
    let mut export_link = "/alerts/work-list.xlsx".to_string();
    let mut separator = '?';
    for (name, value) in [("bank", &query.bank), ("region", &query.region)] {
        if let Some(value) = present(value) {
            let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            export_link.push_str(&format!("{separator}{name}={value}"));
            separator = '&';
        }
    }
    Ok(AlertsPage {
        layout: Layout::new(lang, Some(&user.principal), path, "alerts.title"),
        query,
        rules: rule_list,
        counts,
        rows,
        names,
        export_link,
        pages,
    })
}

/// A fact of the evidence, in words (money in 万元, other numbers as they are).
pub struct FactRow {
    pub name: String,
    pub code: String,
    pub value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "alert.html")]
struct AlertPage {
    layout: Layout,
    alert: AlertDto,
    rule_name: String,
    regulation: String,
    definition: String,
    condition: String,
    facts: Vec<FactRow>,
    evidence: String,
    answers: Vec<AnswerDto>,
    names: Names,
    may_answer: bool,
    may_dismiss: bool,
}

fn fact_rows(lang: Lang, evidence: &serde_json::Value) -> Vec<FactRow> {
    let Some(facts) = evidence.get("facts").and_then(|f| f.as_object()) else {
        return Vec::new();
    };
    facts
        .iter()
        .map(|(name, value)| {
            let text = match value.as_i64() {
                Some(fen) if name.ends_with("_fen") => crate::numbers::money(lang, fen),
                Some(number) => number.to_string(),
                None => "—".to_string(),
            };
            FactRow {
                name: crate::labels::label(lang, crate::labels::Vocabulary::AlertFact, name),
                code: name.clone(),
                value: text,
            }
        })
        .collect()
}

async fn alert_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<AlertPage> {
    let (alert, answers) = alerts::show(&state.db, &user.ctx, id).await?;
    let rule = alerts::rules(&state.db, &user.ctx)
        .await?
        .into_iter()
        .find(|r| r.code == alert.rule_code);
    let dto = alert_dto(&alert);
    let names = Names::load(
        &state.db,
        lang,
        [alert.village_code.clone(), alert.county_code.clone()],
        alert.institution_code.clone(),
    )
    .await?;
    let live = AlertStatus::parse(&alert.status).is_ok_and(AlertStatus::is_live);
    let role = user.principal.user.role;
    Ok(AlertPage {
        layout: Layout::new(
            lang,
            Some(&user.principal),
            "/alerts",
            "alerts.detail_title",
        ),
        rule_name: rule_name(lang, rule.as_ref(), &alert.rule_code),
        regulation: rule
            .as_ref()
            .map(|r| r.regulation.clone())
            .unwrap_or_default(),
        definition: rule
            .as_ref()
            .map(|r| r.definition.clone())
            .unwrap_or_default(),
        condition: rule
            .as_ref()
            .map(|r| r.condition.clone())
            .unwrap_or_default(),
        facts: fact_rows(lang, &dto.evidence),
        evidence: serde_json::to_string_pretty(&dto.evidence).unwrap_or_default(),
        alert: dto,
        // In China time, as the audit page shows instants.
        answers: answers
            .iter()
            .map(|a| AnswerDto {
                at: fupin_app::audit::china_time(&a.answered_at),
                ..answer_dto(a)
            })
            .collect(),
        names,
        may_answer: live && matches!(role, fupin_app::Role::Bank | fupin_app::Role::Regulator),
        may_dismiss: live && role == fupin_app::Role::Regulator,
    })
}

/// The answer form.
#[derive(Clone, Debug, Deserialize)]
pub struct AnswerForm {
    pub kind: String,
    pub note: String,
}

async fn answer_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Result<Redirect> {
    let kind = AnswerKind::parse(&form.kind).map_err(|e| Error::field("kind", e.0))?;
    alerts::answer(&state.db, &user.ctx, id, kind, &form.note).await?;
    Ok(Redirect::to(&format!("/alerts/{id}")))
}

/// The work list (alerts still to be worked on) as XLSX: a bank's own, or as filtered.
async fn work_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AlertsQuery>,
) -> Result<Response> {
    let list = list_query(&query)?;
    let bytes = alerts::work_list_xlsx(&state.db, &user.ctx, &list).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"fupin-alerts-work-list.xlsx\""),
    );
    Ok(response)
}
