//! The audit trail: verification of its hash chain and the latest records (administrators).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ErrorBody, Result};
use crate::i18n::Lang;
use crate::layout::Layout;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify))
}

pub fn pages() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
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
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub request_id: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    records: i64,
    problems: Vec<String>,
    recent: Vec<RecordRow>,
}

/// Records shown on the page.
const RECENT: i64 = 50;

async fn audit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<AuditPage> {
    let report = fupin_app::audit::verification(&state.db, &user.ctx).await?;
    let recent = fupin_app::audit::recent(&state.db, &user.ctx, RECENT).await?;
    Ok(AuditPage {
        layout: Layout::new(lang, Some(&user.principal), "/audit", "audit.title"),
        records: report.records,
        problems: report.problems.iter().map(ToString::to_string).collect(),
        recent: recent
            .into_iter()
            .map(|r| RecordRow {
                seq: r.seq,
                at: r.entry.at,
                actor: r.entry.actor,
                action: r.entry.action,
                entity: format!("{} {}", r.entry.entity, r.entry.entity_id),
                request_id: r.entry.request_id.unwrap_or_default(),
            })
            .collect(),
    })
}
