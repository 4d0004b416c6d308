//! Insurance work: the finance bureau approves premium subsidies, the insurer's staff report,
//! assess, pay and refuse claims — as JSON and as the `/insurance` page's forms. Who may do
//! what is decided by `fupin_app::insurance` (the same rules for both).

use axum::Router;
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::post;
use fupin_app::insurance::{
    self, ClaimRef, ClaimReport, Event, InsuranceClaim, NamedInsurancePremium, PremiumPayment,
};
use fupin_app::paging::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::insurance::{InsuranceQuery, PolicyDto, policy_dto};
use super::loans::{amount_field, date_field};
use super::present;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Query};
use crate::idempotency::RequiredKey;
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(premiums))
        .routes(routes!(approve_premium))
        .routes(routes!(report_claim))
        .routes(routes!(decide_claim))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/insurance/premiums/approve", post(approve_premium_form))
        .route("/insurance/claims/report", post(report_claim_form))
        .route("/insurance/claims/decide", post(decide_claim_form))
}

/// A premium payment, yuan: the parts of central, provincial and county subsidies and the
/// farmer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PremiumDto {
    pub id: String,
    pub paid_on: String,
    pub amount: String,
    pub central: String,
    pub provincial: String,
    pub county: String,
    pub farmer: String,
    /// `pending` (subsidies await the finance bureau) or `approved`.
    pub state: String,
    pub approved_on: Option<String>,
    pub policy: PolicyDto,
}

pub fn premium_dto(named: NamedInsurancePremium) -> PremiumDto {
    let m = named.premium;
    let [central, provincial, county, farmer] = m.parts.map(|p| p.to_plain_yuan());
    PremiumDto {
        id: m.id,
        paid_on: m.paid_on.to_string(),
        amount: m.amount.to_plain_yuan(),
        central,
        provincial,
        county,
        farmer,
        state: m.state,
        approved_on: m.approved_on.map(|d| d.to_string()),
        policy: policy_dto(named.policy),
    }
}

/// The lists' filters and the premium's state.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PremiumsQuery {
    /// Counties at or under this region; default the caller's.
    pub region: Option<String>,
    /// The insurer's institution code.
    pub insurer: Option<String>,
    /// accident, guarantee, crop or livestock.
    pub kind: Option<String>,
    /// pending or approved.
    pub premium_state: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Premium payments in the caller's scope, newest first.
#[utoipa::path(
    get, path = "/api/insurance/premiums", tag = "insurance", params(PremiumsQuery),
    responses((status = 200, body = PageOf<PremiumDto>), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn premiums(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<PremiumsQuery>,
) -> Result<axum::Json<PageOf<PremiumDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let filter = InsuranceQuery {
        region: query.region.clone(),
        insurer: query.insurer.clone(),
        kind: query.kind.clone(),
        state: None,
        limit: None,
        offset: None,
    }
    .filter()?;
    let found = insurance::premiums_for(
        &state.db,
        &user.ctx,
        &filter,
        present(&query.premium_state),
        page,
    )
    .await?;
    Ok(axum::Json(PageOf::from_paged(found, premium_dto)))
}

/// A premium payment to approve.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct PremiumApproval {
    pub insurer: String,
    pub policy_no: String,
    /// The payment's id within the policy.
    pub id: String,
    /// The value date of the subsidies (YYYY-MM-DD).
    pub on: String,
    #[serde(default)]
    #[schema(ignore)]
    pub back: Option<String>,
}

async fn approve(
    state: &AppState,
    user: &CurrentUser,
    body: &PremiumApproval,
) -> Result<PremiumPayment> {
    let on = date_field("on", &body.on)?;
    let mut tx = begin(state).await?;
    let approved = insurance::approve_premium(
        &mut tx,
        &user.ctx,
        &body.insurer,
        &body.policy_no,
        &body.id,
        on,
    )
    .await?;
    commit(tx).await?;
    Ok(approved)
}

/// Approves the subsidy parts of a premium payment (the finance bureau): posted from the
/// central, provincial and county treasuries to the insurer. Approving again posts nothing.
/// `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/insurance/premiums/approve", tag = "insurance", request_body = PremiumApproval,
    params(("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 200, description = "The payment's state"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn approve_premium(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Json(body): Json<PremiumApproval>,
) -> Result<axum::Json<serde_json::Value>> {
    let approved = approve(&state, &user, &body).await?;
    Ok(axum::Json(serde_json::json!({
        "id": approved.id, "state": approved.state,
        "approved_on": approved.approved_on.map(|d| d.to_string()),
    })))
}

async fn approve_premium_form(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(body): axum::Form<PremiumApproval>,
) -> Result<Redirect> {
    approve(&state, &user, &body).await?;
    Ok(back_to(&body.back))
}

async fn begin(state: &AppState) -> Result<fupin_app::Tx> {
    Ok(state.db.write().await.map_err(fupin_app::AppError::from)?)
}

async fn commit(tx: fupin_app::Tx) -> Result<()> {
    tx.commit()
        .await
        .map_err(|e| fupin_app::AppError::from(fupin_app::StoreError::from(e)))?;
    Ok(())
}

fn back_to(back: &Option<String>) -> Redirect {
    Redirect::to(crate::layout::local_path(
        back.as_deref().unwrap_or("/insurance"),
    ))
}

/// A claim reported to the insurer (by its staff).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ClaimReportBody {
    /// The insurer's institution code: the caller's own.
    pub insurer: String,
    pub policy_no: String,
    pub claim_no: String,
    /// death, disability, default, crop_loss or livestock_loss.
    pub event: String,
    pub occurred_on: String,
    pub reported_on: String,
    /// Yuan.
    pub claimed: String,
    #[serde(default)]
    #[schema(ignore)]
    pub back: Option<String>,
}

async fn report(state: &AppState, user: &CurrentUser, body: &ClaimReportBody) -> Result<()> {
    let event = Event::parse(&body.event).ok_or_else(|| {
        Error::field(
            "event",
            format!(
                "{} is not death, disability, default, crop_loss or livestock_loss",
                body.event
            ),
        )
    })?;
    let report = ClaimReport {
        insurer_code: body.insurer.trim().to_string(),
        policy_no: body.policy_no.trim().to_string(),
        claim_no: body.claim_no.trim().to_string(),
        event,
        occurred_on: date_field("occurred_on", &body.occurred_on)?,
        reported_on: date_field("reported_on", &body.reported_on)?,
        claimed: amount_field("claimed", &body.claimed)?,
    };
    let mut tx = begin(state).await?;
    insurance::report_claim(&mut tx, &user.ctx, &report).await?;
    commit(tx).await
}

/// Records a reported claim (the insurer's staff); the same number again with the same content
/// records nothing.
#[utoipa::path(
    post, path = "/api/insurance/claims", tag = "insurance", request_body = ClaimReportBody,
    responses((status = 204, description = "Recorded"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn report_claim(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ClaimReportBody>,
) -> Result<axum::http::StatusCode> {
    report(&state, &user, &body).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn report_claim_form(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(body): axum::Form<ClaimReportBody>,
) -> Result<Redirect> {
    report(&state, &user, &body).await?;
    Ok(back_to(&body.back))
}

/// A decision on a claim by the insurer's staff.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ClaimDecision {
    pub insurer: String,
    pub policy_no: String,
    pub claim_no: String,
    /// assess, pay or refuse.
    pub action: String,
    /// The decision's date (YYYY-MM-DD).
    pub on: String,
    /// assess: the amount assessed, yuan.
    #[serde(default)]
    pub amount: Option<String>,
    /// refuse: the reason.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    #[schema(ignore)]
    pub back: Option<String>,
}

async fn decide(
    state: &AppState,
    user: &CurrentUser,
    body: &ClaimDecision,
) -> Result<InsuranceClaim> {
    let on = date_field("on", &body.on)?;
    let which = ClaimRef {
        insurer_code: body.insurer.trim().to_string(),
        policy_no: body.policy_no.trim().to_string(),
        claim_no: body.claim_no.trim().to_string(),
    };
    let mut tx = begin(state).await?;
    let claim = match body.action.as_str() {
        "assess" => {
            let amount = amount_field("amount", present(&body.amount).unwrap_or(""))?;
            insurance::assess_claim(&mut tx, &user.ctx, &which, amount, on).await?
        }
        "pay" => insurance::pay_claim(&mut tx, &user.ctx, &which, on).await?,
        "refuse" => {
            let reason = present(&body.reason).unwrap_or("");
            insurance::refuse_claim(&mut tx, &user.ctx, &which, reason, on).await?
        }
        other => {
            return Err(Error::field(
                "action",
                format!("{other} is not assess, pay or refuse"),
            ));
        }
    };
    commit(tx).await?;
    Ok(claim)
}

/// Assesses, pays or refuses a claim (the insurer's staff). Paying moves money (to the bank
/// through the loan, or to the insured): `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/insurance/claims/decide", tag = "insurance", request_body = ClaimDecision,
    params(("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 200, description = "The claim's state"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn decide_claim(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Json(body): Json<ClaimDecision>,
) -> Result<axum::Json<serde_json::Value>> {
    let claim = decide(&state, &user, &body).await?;
    Ok(axum::Json(serde_json::json!({
        "claim_no": claim.claim_no, "state": claim.state,
        "assessed": claim.assessed.map(|a| a.to_plain_yuan()),
        "paid": claim.paid.to_plain_yuan(),
    })))
}

async fn decide_claim_form(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(body): axum::Form<ClaimDecision>,
) -> Result<Redirect> {
    decide(&state, &user, &body).await?;
    Ok(back_to(&body.back))
}
