//! The audit trail (administrators): its records a page at a time, newest first, searched by
//! actor, action, entity and days in China; the hash chain verified on request only.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use fupin_app::audit::{AuditQuery, AuditRecord};
use fupin_app::fupin_core::BusinessDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::areas::present;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::i18n::Lang;
use crate::layout::Layout;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/audit", get(audit_page))
        .route("/audit/verify", post(verify_page))
}

/// The result of recomputing the whole chain.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VerificationDto {
    pub records: i64,
    pub intact: bool,
    /// Each edited, missing or out-of-place record, named.
    pub problems: Vec<String>,
}

/// Verifies the audit trail's hash chain.
#[utoipa::path(
    get, path = "/api/audit/verify", tag = "audit",
    responses((status = 200, body = VerificationDto), (status = 403, body = ErrorBody))
)]
async fn verify(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<axum::Json<VerificationDto>> {
    let report = fupin_app::audit::verification(&state.db, &user.ctx).await?;
    Ok(axum::Json(VerificationDto {
        records: report.records,
        intact: report.problems.is_empty(),
        problems: report.problems.iter().map(ToString::to_string).collect(),
    }))
}

pub struct RecordRow {
    pub seq: i64,
    /// In China time (UTC+8).
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub request_id: String,
}

/// The search form of the audit page (`before` pages back, 50 records at a time).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditParams {
    pub before: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    /// From this day in China (YYYY-MM-DD), inclusive.
    pub from: Option<String>,
    /// To this day in China (YYYY-MM-DD), inclusive.
    pub to: Option<String>,
}

/// What a verification found: the records checked and the problems, the first one's record.
pub struct Verification {
    pub records: i64,
    pub first_bad: Option<i64>,
    pub problems: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    params: AuditParams,
    verification: Option<Verification>,
    records: Vec<RecordRow>,
    /// The link to the next (older) page, with the same search.
    next: Option<String>,
}

/// Records shown on a page.
const PAGE: i64 = 50;

async fn audit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(params): Query<AuditParams>,
) -> Result<AuditPage> {
    render(&state, &user, lang, params, None).await
}

/// Verifies the whole chain on request (the page itself never does), and shows the result above
/// the newest records.
async fn verify_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<AuditPage> {
    let report = fupin_app::audit::verification(&state.db, &user.ctx).await?;
    let verification = Verification {
        records: report.records,
        first_bad: report.problems.first().map(fupin_app::audit::problem_seq),
        problems: report.problems.iter().map(ToString::to_string).collect(),
    };
    render(
        &state,
        &user,
        lang,
        AuditParams::default(),
        Some(verification),
    )
    .await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    params: AuditParams,
    verification: Option<Verification>,
) -> Result<AuditPage> {
    let query = audit_query(&params)?;
    let page = fupin_app::audit::search(&state.db, &user.ctx, &query).await?;
    let next = page.next_before.map(|before| next_link(&params, before));
    Ok(AuditPage {
        layout: Layout::new(lang, Some(&user.principal), "/audit", "audit.title"),
        params,
        verification,
        records: page.records.into_iter().map(record_row).collect(),
        next,
    })
}

fn audit_query(params: &AuditParams) -> Result<AuditQuery> {
    let before = present(&params.before)
        .map(|text| {
            text.parse::<i64>()
                .map_err(|_| Error::field("before", "must be a record number"))
        })
        .transpose()?;
    Ok(AuditQuery {
        before,
        actor: present(&params.actor).map(str::to_string),
        action: present(&params.action).map(str::to_string),
        entity: present(&params.entity).map(str::to_string),
        from: day_param("from", &params.from)?,
        to: day_param("to", &params.to)?,
        limit: PAGE,
    })
}

fn day_param(field: &str, value: &Option<String>) -> Result<Option<BusinessDate>> {
    present(value)
        .map(|text| BusinessDate::parse(text).map_err(|e| Error::field(field, e.to_string())))
        .transpose()
}

/// `/audit?before=N` with the search's other fields.
fn next_link(params: &AuditParams, before: i64) -> String {
    let mut link = format!("/audit?before={before}");
    let fields = [
        ("actor", &params.actor),
        ("action", &params.action),
        ("entity", &params.entity),
        ("from", &params.from),
        ("to", &params.to),
    ];
    for (name, value) in fields {
        if let Some(value) = present(value) {
            link.push_str(&format!("&{name}={}", urlencoding(value)));
        }
    }
    link
}

/// A query value, percent-encoded.
fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn record_row(record: AuditRecord) -> RecordRow {
    RecordRow {
        seq: record.seq,
        at: fupin_app::audit::china_time(&record.entry.at),
        actor: record.entry.actor,
        action: record.entry.action,
        entity: format!("{} {}", record.entry.entity, record.entry.entity_id),
        request_id: record.entry.request_id.unwrap_or_default(),
    }
}
