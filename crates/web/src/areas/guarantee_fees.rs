//! Guarantee fees (JSON) and the `/guarantees` page: the guarantee claims each payer approves
//! and the guarantee fees whose subsidy the finance bureau approves, with their buttons. Who
//! may do what is decided by `fupin_app::guarantees` and `fupin_app::guarantee_fees`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use fupin_app::guarantee_fees::{self, FeeOrder, Recorded};
use fupin_app::guarantees;
use fupin_app::paging::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::funds::{ApproveBody, ApproveForm};
use super::guarantees::{ClaimDto, claim_dto};
use super::loans::date_field;
use super::{present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ErrorBody, Result};
use crate::extract::{Json, Path, Query};
use crate::i18n::Lang;
use crate::idempotency::RequiredKey;
use crate::layout::Layout;
use crate::names::Names;
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(fees, record_fee))
        .routes(routes!(approve_subsidy))
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/guarantees", get(guarantees_page))
        .route("/guarantees/claims/{id}/approve", post(approve_claim_form))
        .route("/guarantees/fees/{id}/approve", post(approve_subsidy_form))
}

/// A guarantee fee payment, yuan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FeeDto {
    pub id: String,
    pub institution_code: String,
    /// The loan's contract number.
    pub contract_no: String,
    pub village_code: String,
    pub guarantor_type: String,
    pub guarantee_contract_no: String,
    /// `borrower` or `bank`.
    pub fee_payer: String,
    pub paid_on: String,
    pub amount: String,
    pub subsidy: String,
    /// `none`, `pending` or `approved`.
    pub subsidy_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_on: Option<String>,
}

fn fee_dto(f: fupin_app::guarantee_fees::NamedGuaranteeFee) -> FeeDto {
    FeeDto {
        id: f.fee.id,
        institution_code: f.institution_code,
        contract_no: f.loan_contract_no,
        village_code: f.village_code,
        guarantor_type: f.guarantor_type,
        guarantee_contract_no: f.guarantee_contract_no,
        fee_payer: f.fee_payer,
        paid_on: f.fee.paid_on.to_string(),
        amount: f.fee.amount.to_plain_yuan(),
        subsidy: f.fee.subsidy.to_plain_yuan(),
        subsidy_state: f.fee.subsidy_state,
        approved_on: f.fee.approved_on.map(|d| d.to_string()),
    }
}

/// A region, whether only pending subsidies, and a page.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeesQuery {
    /// Counties at or under this region; default the caller's.
    pub region: Option<String>,
    /// `true`: only fees whose subsidy awaits the finance bureau.
    pub pending: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Guarantee fee payments (the finance bureau and regulator of the region, a bank its loans',
/// a guarantor its own contracts'), newest first.
#[utoipa::path(
    get, path = "/api/guarantees/fees", tag = "guarantees", params(FeesQuery),
    responses((status = 200, body = PageOf<FeeDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn fees(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<FeesQuery>,
) -> Result<axum::Json<PageOf<FeeDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let region = region_param("region", &query.region)?;
    let pending = query.pending.unwrap_or(false);
    let found = guarantee_fees::fees_for(&state.db, &user.ctx, region, pending).await?;
    Ok(axum::Json(PageOf::from_paged(
        page.cut(found, false),
        fee_dto,
    )))
}

/// A guarantee fee payment to record.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct FeeBody {
    /// The payment's id: the same id again is the same payment.
    pub id: String,
    /// The loan's bank and contract number.
    pub institution: String,
    pub loan: String,
    /// The guarantee contract number.
    pub contract: String,
    pub paid_on: String,
    /// Days of cover the fee pays for: the fee is the guarantee's yearly rate on the loan's
    /// principal × days ÷ 365, half up to the fen.
    pub days: i64,
}

/// Records a guarantee fee payment (the loan's bank, the guarantee company's staff for its
/// contracts, the finance bureau for the county fund's): posted payer → guarantor; its subsidy
/// waits for the finance bureau. `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/guarantees/fees", tag = "guarantees", request_body = FeeBody,
    params(("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 200, body = FeeDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn record_fee(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Json(body): Json<FeeBody>,
) -> Result<axum::Json<serde_json::Value>> {
    let order = FeeOrder {
        institution_code: body.institution,
        loan_contract_no: body.loan,
        guarantee_contract_no: body.contract,
        id: body.id,
        paid_on: date_field("paid_on", &body.paid_on)?,
        days: body.days,
    };
    let (fee, recorded) =
        match guarantee_fees::record_fee_command(&state.db, &user.ctx, &order).await? {
            Recorded::New(fee) => (fee, "recorded"),
            Recorded::AlreadyRecorded(fee) => (fee, "already_recorded"),
        };
    Ok(axum::Json(serde_json::json!({
        "outcome": recorded, "id": fee.id, "amount": fee.amount.to_plain_yuan(),
        "subsidy": fee.subsidy.to_plain_yuan(), "subsidy_state": fee.subsidy_state,
    })))
}

/// Approves a guarantee fee's subsidy (the finance bureau): paid from the county subsidy fund
/// to whoever paid the fee; refused whole (409) when the fund holds less. Approving again posts
/// nothing. `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/guarantees/fees/{id}/approve", tag = "guarantees", request_body = ApproveBody,
    params(("id" = String, Path, description = "Fee id"), ("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 200, description = "The fee's subsidy state"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn approve_subsidy(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path(id): Path<String>,
    Json(body): Json<ApproveBody>,
) -> Result<axum::Json<serde_json::Value>> {
    let on = date_field("on", &body.on)?;
    let fee = guarantee_fees::approve_subsidy(&state.db, &user.ctx, &id, on).await?;
    Ok(axum::Json(serde_json::json!({
        "id": fee.id, "subsidy": fee.subsidy.to_plain_yuan(), "subsidy_state": fee.subsidy_state,
        "approved_on": fee.approved_on.map(|d| d.to_string()),
    })))
}

/// The page's region.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GuaranteesPageQuery {
    pub region: Option<String>,
}

/// Rows per list of the page.
const ROWS_PER_PAGE: i64 = 100;

/// A guarantee claim on the page, with whether the caller approves it.
pub struct ClaimRow {
    pub claim: ClaimDto,
    pub may_approve: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "guarantees.html")]
struct GuaranteesPage {
    layout: Layout,
    region: String,
    claims: Vec<ClaimRow>,
    fees: Vec<FeeDto>,
    may_approve_subsidies: bool,
    today: String,
    names: Names,
}

async fn guarantees_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<GuaranteesPageQuery>,
) -> Result<GuaranteesPage> {
    let region = region_param("region", &query.region)?;
    let role = user.ctx.actor.role;
    let page = Page::new(Some(ROWS_PER_PAGE), None)?;
    let claims: Vec<ClaimRow> = page
        .cut(
            guarantees::claims_for(&state.db, &user.ctx, region).await?,
            false,
        )
        .items
        .into_iter()
        .map(|c| ClaimRow {
            may_approve: c.state == "pending" && guarantees::approves_payer(role, &c.payer),
            claim: claim_dto(c),
        })
        .collect();
    let fees: Vec<FeeDto> = page
        .cut(
            guarantee_fees::fees_for(&state.db, &user.ctx, region, false).await?,
            false,
        )
        .items
        .into_iter()
        .map(fee_dto)
        .collect();
    let counties = claims
        .iter()
        .map(|c| c.claim.county_code.clone())
        .chain(fees.iter().map(|f| f.village_code.clone()))
        .collect::<Vec<_>>();
    let institutions = claims
        .iter()
        .map(|c| c.claim.institution_code.clone())
        .chain(fees.iter().map(|f| f.institution_code.clone()))
        .collect::<Vec<_>>();
    let names = Names::load(&state.db, lang, counties, institutions).await?;
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/guarantees");
    Ok(GuaranteesPage {
        layout: Layout::new(lang, Some(&user.principal), path, "guarantees.title"),
        region: present(&query.region).unwrap_or("").to_string(),
        claims,
        fees,
        may_approve_subsidies: role == fupin_app::Role::Finance,
        today: super::page_date(&state, &None).await?.unwrap_or_default(),
        names,
    })
}

async fn approve_claim_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ApproveForm>,
) -> Result<Redirect> {
    let on = date_field("on", &form.on)?;
    guarantees::approve_claim(&state.db, &user.ctx, id, on).await?;
    let back = crate::layout::local_path(form.back.as_deref().unwrap_or("/guarantees"));
    Ok(Redirect::to(back))
}

async fn approve_subsidy_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ApproveForm>,
) -> Result<Redirect> {
    let on = date_field("on", &form.on)?;
    guarantee_fees::approve_subsidy(&state.db, &user.ctx, &id, on).await?;
    let back = crate::layout::local_path(form.back.as_deref().unwrap_or("/guarantees"));
    Ok(Redirect::to(back))
}
