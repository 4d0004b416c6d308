//! Maturity walls and borrowers' renewal (续贷) and extension (展期) requests: the API, and the
//! section of the loans page (a chart of the principal falling due per month and county, in
//! 万元, and the requests outstanding). Rules and scope are `fupin_app::loans`'s.

use axum::extract::State;
use axum::http::StatusCode;
use fupin_app::fupin_core::BusinessDate;
use fupin_app::loans::maturity::{self, MaturityWall};
use fupin_app::loans::requests::{self, RequestKind};
use fupin_app::loans::requests::{LoanRequest, RequestOfLoan};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::loans::date_field;
use super::{date_param, present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path, Query};
use crate::i18n::Lang;
use crate::idempotency::RequiredKey;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_wall))
        .routes(routes!(list_requests))
        .routes(routes!(record_request))
        .routes(routes!(refuse_request))
}

/// Principal falling due in one month and county, yuan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MaturingDto {
    /// `YYYY-MM`.
    pub month: String,
    pub county_code: String,
    pub principal: String,
}

/// The principal falling due per month and county over the 24 months after a date, from the
/// active loans' current schedules. Month 1 also takes the rest of the date's own month.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WallDto {
    pub as_of: String,
    /// The 24 months, `YYYY-MM`.
    pub months: Vec<String>,
    pub cells: Vec<MaturingDto>,
}

impl From<MaturityWall> for WallDto {
    fn from(wall: MaturityWall) -> WallDto {
        WallDto {
            as_of: wall.as_of.to_string(),
            months: wall.months,
            cells: wall
                .cells
                .into_iter()
                .map(|c| MaturingDto {
                    month: c.month,
                    county_code: c.county_code,
                    principal: c.principal.to_plain_yuan(),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WallQuery {
    /// The wall covers the 24 months after this date's month; default today.
    pub as_of: Option<String>,
    /// Borrowers at or under this region (default the caller's).
    pub region: Option<String>,
}

/// The maturity wall (regulator in its region, banks their own loans).
#[utoipa::path(
    get, path = "/api/loans/maturity-wall", tag = "loans", params(WallQuery),
    responses((status = 200, body = WallDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn get_wall(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<WallQuery>,
) -> Result<axum::Json<WallDto>> {
    let as_of = date_param("as_of", &query.as_of)?;
    let region = region_param("region", &query.region)?;
    let wall = maturity::wall_for(&state.db, &user.ctx, region, as_of).await?;
    Ok(axum::Json(wall.into()))
}

/// A borrower's request.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequestDto {
    pub seq: i64,
    /// `renewal` (续贷) or `extension` (展期).
    pub kind: String,
    pub requested_on: String,
    /// `pending`, `granted` or `refused`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub recorded_by: String,
}

impl From<LoanRequest> for RequestDto {
    fn from(r: LoanRequest) -> RequestDto {
        RequestDto {
            seq: r.seq,
            kind: r.kind,
            requested_on: r.requested_on.to_string(),
            status: r.status,
            decided_on: r.decided_on.map(|d| d.to_string()),
            note: r.note,
            recorded_by: r.recorded_by,
        }
    }
}

/// A request with its loan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequestOfLoanDto {
    pub institution_code: String,
    pub contract_no: String,
    pub borrower_type: String,
    pub borrower_id: String,
    /// The household head's or the enterprise's name ('' when the registry has neither).
    pub borrower_name: String,
    pub village_code: String,
    pub maturity_on: String,
    pub request: RequestDto,
}

impl From<RequestOfLoan> for RequestOfLoanDto {
    fn from(r: RequestOfLoan) -> RequestOfLoanDto {
        RequestOfLoanDto {
            institution_code: r.institution_code,
            contract_no: r.contract_no,
            borrower_type: r.borrower_type,
            borrower_id: r.borrower_id,
            borrower_name: r.borrower_name,
            village_code: r.village_code,
            maturity_on: r.maturity_on.to_string(),
            request: r.request.into(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// `pending` (default), `granted`, `refused` or `all`.
    pub status: Option<String>,
    pub region: Option<String>,
}

/// Renewal and extension requests, oldest first, at most 1,000.
#[utoipa::path(
    get, path = "/api/loan-requests", tag = "loans", params(RequestsQuery),
    responses((status = 200, body = Vec<RequestOfLoanDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn list_requests(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<RequestsQuery>,
) -> Result<axum::Json<Vec<RequestOfLoanDto>>> {
    let status = match present(&query.status) {
        None => Some("pending"),
        Some("all") => None,
        Some(other) => Some(other),
    };
    let region = region_param("region", &query.region)?;
    let found = requests::list_for(&state.db, &user.ctx, region, status).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}

/// A request to record.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RequestBody {
    /// `renewal` (续贷) or `extension` (展期).
    pub kind: String,
    pub requested_on: String,
    /// The borrower's reason, at most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

fn kind_field(text: &str) -> Result<RequestKind> {
    RequestKind::parse(text).ok_or_else(|| Error::field("kind", "must be renewal or extension"))
}

/// Records a borrower's renewal or extension request (banks, their own loans). The same kind
/// and date while one is pending answers it (200); a new one is 201.
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/requests", tag = "loans",
    request_body = RequestBody,
    params(
        ("institution" = String, Path, description = "The lending institution's code"),
        ("contract" = String, Path, description = "The contract number"),
        ("Idempotency-Key" = String, Header, description = "Required"),
    ),
    responses((status = 201, body = RequestDto), (status = 200, body = RequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn record_request(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<RequestBody>,
) -> Result<(StatusCode, axum::Json<RequestDto>)> {
    let (request, new) = requests::record(
        &state.db,
        &user.ctx,
        (&institution, &contract),
        kind_field(&body.kind)?,
        date_field("requested_on", &body.requested_on)?,
        body.note.as_deref(),
    )
    .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(request.into())))
}

/// A refusal.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RefuseBody {
    pub kind: String,
    pub on: String,
}

/// Refuses the pending request of a kind (banks, their own loans). Granting is extending
/// (`…/extend`) or rolling over (`…/roll-over`).
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/requests/refuse", tag = "loans",
    request_body = RefuseBody,
    params(
        ("institution" = String, Path, description = "The lending institution's code"),
        ("contract" = String, Path, description = "The contract number"),
        ("Idempotency-Key" = String, Header, description = "Required"),
    ),
    responses((status = 200, body = RequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn refuse_request(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<RefuseBody>,
) -> Result<axum::Json<RequestDto>> {
    let request = requests::refuse(
        &state.db,
        &user.ctx,
        (&institution, &contract),
        kind_field(&body.kind)?,
        date_field("on", &body.on)?,
    )
    .await?;
    Ok(axum::Json(request.into()))
}

/// The loans page's section: the wall as an ECharts option (万元, stacked by county) and the
/// requests pending.
pub struct WallSection {
    pub as_of: String,
    pub chart: String,
    /// Principal over the 24 months, yuan.
    pub total: String,
    pub requests: Vec<RequestOfLoanDto>,
}

pub async fn section(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    region: Option<fupin_app::fupin_core::RegionCode>,
    as_of: BusinessDate,
) -> Result<WallSection> {
    let wall = maturity::wall_for(&state.db, &user.ctx, region, as_of).await?;
    let pending = requests::list_for(&state.db, &user.ctx, region, Some("pending")).await?;
    let total_fen: i64 = wall.cells.iter().map(|c| c.principal.fen()).sum();
    let names =
        crate::names::Names::load(&state.db, lang, wall.counties(), Vec::<String>::new()).await?;
    let series: Vec<serde_json::Value> = wall
        .counties()
        .iter()
        .map(|county| {
            let data: Vec<String> = wall
                .months
                .iter()
                .map(|month| {
                    let fen: i64 = wall
                        .cells
                        .iter()
                        .filter(|c| &c.month == month && &c.county_code == county)
                        .map(|c| c.principal.fen())
                        .sum();
                    crate::numbers::wan_plain(fen)
                })
                .collect();
            json!({"type": "bar", "stack": "wall", "name": names.region(county), "data": data})
        })
        .collect();
    let chart = json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 48, "right": 24, "top": 32, "bottom": 60, "containLabel": true},
        "xAxis": {"type": "category", "data": wall.months},
        "yAxis": {"type": "value", "name": lang.t("unit.wan_yuan")},
        "series": series,
    })
    .to_string();
    Ok(WallSection {
        as_of: as_of.to_string(),
        chart,
        total: fupin_app::fupin_core::Fen::new(total_fen).to_plain_yuan(),
        requests: pending.into_iter().map(Into::into).collect(),
    })
}
