//! The loan officer's field app (issue #30): an installable web app under `/field/` (its page,
//! web manifest and service worker, all embedded) and the API it uses — the officer's villages,
//! a village's work list for offline use, and the sync of each visit made offline.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use fupin_app::field::{self, AgreedLine, Outcome, Visit};
use fupin_app::fupin_core::{BusinessDate, Fen, RegionCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{region_param, today};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path, Query};

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_villages))
        .routes(routes!(work_list))
        .routes(routes!(sync_visit))
        .routes(routes!(user_villages, change_user_villages))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/field", get(|| async { Redirect::permanent("/field/") }))
        .route("/field/", get(|| embedded("index.html")))
        .route("/field/sw.js", get(|| embedded("sw.js")))
        .route(
            "/field/manifest.webmanifest",
            get(|| embedded("manifest.webmanifest")),
        )
}

/// The app's files: (name, content type, bytes). The page and the service worker are served
/// under `/field/` so that the worker's scope is the app; scripts and styles are assets.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../assets/field/index.html"),
    ),
    (
        "sw.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/field/sw.js"),
    ),
    (
        "manifest.webmanifest",
        "application/manifest+json",
        include_bytes!("../../assets/field/manifest.webmanifest"),
    ),
];

async fn embedded(name: &'static str) -> Response {
    let Some((_, content_type, bytes)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return Error::NotFound(format!("field app file {name}")).into_response();
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The service worker keeps its own copy; the browser must always ask for a new one.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A village the officer may download.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VillageDto {
    pub code: String,
    pub name: String,
    pub township_name: Option<String>,
    /// Households in the registry today.
    pub households: i64,
}

/// The officer's villages and how long a download may stay on the device.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VillagesDto {
    pub institution_code: String,
    /// Days downloaded personal data stays on the device.
    pub keep_days: u32,
    pub villages: Vec<VillageDto>,
}

fn village_dto(village: &field::FieldVillage) -> VillageDto {
    VillageDto {
        code: village.code.to_string(),
        name: village.name.clone(),
        township_name: village.township_name.clone(),
        households: village.households,
    }
}

/// The villages the signed-in bank officer may visit: those of the townships their bank is
/// responsible for today, narrowed to the villages an administrator assigned them, if any.
/// Other roles: 403.
#[utoipa::path(
    get, path = "/api/field/villages", tag = "field",
    responses((status = 200, body = VillagesDto), (status = 403, body = ErrorBody))
)]
async fn list_villages(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<axum::Json<VillagesDto>> {
    let institution_code = field::require_officer(&user.ctx)?;
    let villages = field::villages(&state.db, &user.ctx, today()).await?;
    Ok(axum::Json(VillagesDto {
        institution_code,
        keep_days: state.config.field_keep_days,
        villages: villages.iter().map(village_dto).collect(),
    }))
}

/// Which village.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkListQuery {
    /// A village code (12 digits) of the officer's villages.
    pub village: Option<String>,
}

/// A village's work list for offline use.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WorkListDto {
    pub village: VillageDto,
    pub institution_code: String,
    /// The date the list is read as of (today in China).
    pub as_of: String,
    /// When the device must delete it (RFC 3339): downloaded now plus `keep_days`.
    pub expires_at: String,
    /// Send back with each visit: a visit rated with another version is refused.
    pub scorecard_version: String,
    /// The scorecard in force: factors (code, name, weight, levels), grades (grade,
    /// min_score, line in yuan), as `GET /api/scorecards` gives it.
    #[schema(value_type = Object)]
    pub scorecard: serde_json::Value,
    /// The largest line a household may be granted, in yuan (the micro-credit cap).
    pub line_max: String,
    pub households: Vec<FieldHouseholdDto>,
}

/// A household of the work list; ID numbers masked, phone numbers left out.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldHouseholdDto {
    pub household_id: String,
    pub status: String,
    pub poverty_attribute: String,
    pub main_cause: String,
    pub per_capita_income: String,
    /// The registry version's start: send back as `household_from`.
    pub version_from: String,
    /// Head first.
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<serde_json::Value>,
    /// The bank's latest credit file: `{id, assessed_on, score, grade, recommended_line,
    /// exempt_reason}`.
    #[schema(value_type = Option<Object>)]
    pub latest_file: Option<serde_json::Value>,
    /// Send back as `known_file`: a different one at sync means someone rated it meanwhile.
    pub known_file: Option<String>,
    /// The bank's line in force: `{amount, granted_on, expires_on}`.
    #[schema(value_type = Option<Object>)]
    pub line: Option<serde_json::Value>,
}

fn household_dto(household: &field::FieldHousehold) -> FieldHouseholdDto {
    let facts = &household.version.facts;
    FieldHouseholdDto {
        household_id: household.version.household_id.clone(),
        status: facts.status.clone(),
        poverty_attribute: facts.poverty_attribute.clone(),
        main_cause: facts.main_cause.clone(),
        per_capita_income: facts.per_capita_income.to_plain_yuan(),
        version_from: household.version.valid_from.to_string(),
        members: household
            .members
            .iter()
            .map(|m| {
                serde_json::json!({
                    "name": m.name, "id_number": m.id_number, "relation": m.relation,
                    "sex": m.sex, "birth_date": m.birth_date.to_string(), "labour": m.labour,
                })
            })
            .collect(),
        latest_file: household.latest_file.as_ref().map(|stored| {
            serde_json::json!({
                "id": stored.id,
                "assessed_on": stored.file.assessed_on.to_string(),
                "score": stored.file.score,
                "grade": stored.file.grade,
                "recommended_line": stored.file.recommended_line.map(Fen::to_plain_yuan),
                "exempt_reason": stored.file.exempt_reason,
            })
        }),
        known_file: field::file_token(household.latest_file.as_ref()),
        line: household.line.as_ref().map(|stored| {
            serde_json::json!({
                "amount": stored.line.amount.to_plain_yuan(),
                "granted_on": stored.line.granted_on.to_string(),
                "expires_on": stored.line.expires_on.to_string(),
            })
        }),
    }
}

/// The work list of one of the officer's villages: households and members (ID numbers
/// masked), the bank's credit files and lines, the scorecard in force. Audited
/// (`field.download`). A village that is not the officer's: 404.
#[utoipa::path(
    get, path = "/api/field/worklist", tag = "field", params(WorkListQuery),
    responses((status = 200, body = WorkListDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn work_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<WorkListQuery>,
) -> Result<axum::Json<WorkListDto>> {
    let village = region_param("village", &query.village)?
        .ok_or_else(|| Error::field("village", "is required (a 12-digit village code)"))?;
    let list = field::work_list(&state.db, &user.ctx, village, today()).await?;
    let keep = chrono::Duration::days(i64::from(state.config.field_keep_days));
    let expires_at = (chrono::Utc::now() + keep).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(axum::Json(WorkListDto {
        village: village_dto(&list.village),
        institution_code: list.institution_code,
        as_of: list.as_of.to_string(),
        expires_at,
        scorecard_version: list.scorecard_version,
        scorecard: fupin_app::credit::scoring::scorecard_json(&list.scorecard),
        line_max: fupin_app::loans::rules::MICROCREDIT_MAX_AMOUNT.to_plain_yuan(),
        households: list.households.iter().map(household_dto).collect(),
    }))
}

/// The line agreed at the visit.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct AgreedLineDto {
    /// Yuan, e.g. `30000` or `30000.00`.
    pub amount: String,
    /// YYYY-MM-DD, after the visit date.
    pub expires_on: String,
}

/// A visit made offline. Send it with `Idempotency-Key: <visit_id>`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct VisitDto {
    /// Made on the device (a UUID); the same id again answers the same and writes nothing.
    pub visit_id: String,
    pub household_id: String,
    pub village_code: String,
    /// YYYY-MM-DD: the credit file's date and the line's grant date.
    pub visit_date: String,
    /// As downloaded.
    pub scorecard_version: String,
    /// As downloaded: the household's `version_from` and `status`.
    pub household_from: String,
    pub household_status: String,
    /// As downloaded (null when the household had no file).
    #[serde(default)]
    pub known_file: Option<String>,
    /// Factor code → level name or whole points.
    #[serde(default)]
    pub factors: std::collections::BTreeMap<String, String>,
    /// Not rated, and why: `no_labour`, `no_need`, `age`, `bad_credit` or `other`; then no
    /// factors and no line.
    #[serde(default)]
    pub exempt_reason: Option<String>,
    #[serde(default)]
    pub line: Option<AgreedLineDto>,
    #[serde(default)]
    pub note: Option<String>,
}

fn date(field: &str, text: &str) -> Result<BusinessDate> {
    BusinessDate::parse(text.trim()).map_err(|e| Error::field(field, e.to_string()))
}

impl VisitDto {
    fn parse(self) -> Result<Visit> {
        let village_code = RegionCode::parse(self.village_code.trim())
            .map_err(|e| Error::field("village_code", e.to_string()))?;
        let line = match self.line {
            None => None,
            Some(line) => Some(AgreedLine {
                amount: Fen::parse_yuan(line.amount.trim())
                    .map_err(|e| Error::field("line.amount", e.to_string()))?,
                expires_on: date("line.expires_on", &line.expires_on)?,
            }),
        };
        Ok(Visit {
            visit_id: self.visit_id.trim().to_string(),
            household_id: self.household_id.trim().to_string(),
            village_code,
            visit_date: date("visit_date", &self.visit_date)?,
            scorecard_version: self.scorecard_version,
            household_from: date("household_from", &self.household_from)?,
            household_status: self.household_status,
            known_file: self.known_file,
            factors: self.factors.into_iter().collect(),
            exempt_reason: self.exempt_reason.filter(|r| !r.trim().is_empty()),
            line,
            note: self.note,
        })
    }
}

/// The answer to one visit: `accepted` (with the rating and the ids written) or `refused`
/// (with a reason code and message; nothing written).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VisitResultDto {
    pub visit_id: String,
    /// `accepted` or `refused`.
    pub status: &'static str,
    /// Accepted earlier: nothing written this time.
    pub replayed: bool,
    /// `out_of_scope`, `not_registered`, `household_exited`, `household_changed`,
    /// `scorecard_changed`, `rated_since_download`, `future_date`, `invalid`.
    pub reason_code: Option<&'static str>,
    /// The facts the reason names, by name (`household`, `exited_year`, `registry_from`,
    /// `village`, `village_now`, `downloaded_from`, `visit_date`, `today`, `assessed_on`,
    /// `grade`, `scorecard_now`, `scorecard_downloaded`, `fields`): the app words the reason
    /// in the officer's language from them.
    /// For `invalid`, also each refused field's words in Chinese as `<field>_zh`.
    #[schema(value_type = Option<Object>)]
    pub reason_params: Option<std::collections::BTreeMap<String, String>>,
    /// The reason in English words.
    pub reason: Option<String>,
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub recommended_line: Option<String>,
    pub credit_file_id: Option<i64>,
    pub credit_line_id: Option<i64>,
}

/// Syncs one visit made offline: checks again the village (still the officer's), the
/// household (registered and unchanged since the download), the scorecard version (still in
/// force on the visit date) and that nobody rated the household since; then records the credit
/// file (rated with the factors) and the agreed line through the credit use cases. Send it with
/// `Idempotency-Key` set to the visit id: a retry is answered the same and posts once.
#[utoipa::path(
    post, path = "/api/field/visits", tag = "field", request_body = VisitDto,
    responses((status = 200, body = VisitResultDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn sync_visit(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(visit): Json<VisitDto>,
) -> Result<axum::Json<VisitResultDto>> {
    let visit = visit.parse()?;
    let outcome = field::sync_visit(&state.db, &user.ctx, &visit, today()).await?;
    let dto = match outcome {
        Outcome::Accepted {
            visit: done,
            replayed,
            score,
            grade,
            recommended_line,
        } => VisitResultDto {
            visit_id: done.visit_id,
            status: "accepted",
            replayed,
            reason_code: None,
            reason_params: None,
            reason: None,
            score,
            grade,
            recommended_line: recommended_line.map(Fen::to_plain_yuan),
            credit_file_id: Some(done.credit_file_id),
            credit_line_id: done.credit_line_id,
        },
        Outcome::Refused(refusal) => VisitResultDto {
            visit_id: visit.visit_id,
            status: "refused",
            replayed: false,
            reason_code: Some(refusal.code),
            reason_params: Some(reason_params(&refusal)),
            reason: Some(refusal.message),
            score: None,
            grade: None,
            recommended_line: None,
            credit_file_id: None,
            credit_line_id: None,
        },
    };
    Ok(axum::Json(dto))
}

/// A bank officer's assigned villages.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssignedDto {
    pub user: String,
    /// Empty: the officer may visit every village of their bank's townships.
    pub villages: Vec<String>,
}

/// The villages assigned to a bank officer (administrators, or the officer).
#[utoipa::path(
    get, path = "/api/users/{name}/villages", tag = "field",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = AssignedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn user_villages(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<axum::Json<AssignedDto>> {
    let villages = field::assigned(&state.db, &user.ctx, &name).await?;
    Ok(axum::Json(AssignedDto {
        user: name,
        villages: villages.iter().map(|v| v.to_string()).collect(),
    }))
}

/// Villages to assign to, or take from, an officer.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct AssignmentChangeDto {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

fn villages(field: &str, codes: &[String]) -> Result<Vec<RegionCode>> {
    codes
        .iter()
        .map(|code| {
            RegionCode::parse(code.trim()).map_err(|e| Error::field(field, format!("{code}: {e}")))
        })
        .collect()
}

/// Assigns villages to a bank officer, or takes them away (administrators).
#[utoipa::path(
    post, path = "/api/users/{name}/villages", tag = "field", request_body = AssignmentChangeDto,
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = AssignedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn change_user_villages(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Json(change): Json<AssignmentChangeDto>,
) -> Result<axum::Json<AssignedDto>> {
    let add = villages("add", &change.add)?;
    let remove = villages("remove", &change.remove)?;
    if !add.is_empty() {
        field::assign(&state.db, &user.ctx, &name, &add).await?;
    }
    if !remove.is_empty() {
        field::unassign(&state.db, &user.ctx, &name, &remove).await?;
    }
    user_villages(State(state), user, Path(name)).await
}

/// A refusal's parameters; for the credit rules' refusals (`invalid`) each field's words in
/// Chinese too, for the app to show whole in either language.
fn reason_params(refusal: &field::Refusal) -> std::collections::BTreeMap<String, String> {
    let mut params: std::collections::BTreeMap<String, String> = refusal
        .params
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    if refusal.code == "invalid" {
        for field in refusal.param("fields").unwrap_or_default().split(',') {
            if let Some(words) = refusal.param(field) {
                let chinese = words
                    .split("; ")
                    .map(|part| crate::labels::message(crate::i18n::Lang::Zh, part))
                    .collect::<Vec<_>>()
                    .join("；");
                params.insert(format!("{field}_zh"), chinese);
            }
        }
    }
    params
}
