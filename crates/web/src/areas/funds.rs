//! County funds: figures of a region as of a date, subsidy and risk-compensation claims, their
//! approval and fund deposits (the finance bureau). Who may do what is decided by
//! `fupin_app::funds`.

use axum::extract::State;
use axum::http::StatusCode;
use fupin_app::funds::{
    self, FundDeposit, FundFigures, InterestSubsidyClaim, LoanName, NamedClaimLine, NamedRiskClaim,
};
use fupin_app::fupin_core::date::Quarter;
use fupin_app::fupin_core::{Rate, RegionCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::loans::{amount_field, date_field};
use super::{date_param, present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path, Query};
use crate::idempotency::RequiredKey;
use crate::paging::PageOf;
use fupin_app::paging::Page;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(figures))
        .routes(routes!(subsidy_claims))
        .routes(routes!(prepare_subsidy_claims))
        .routes(routes!(approve_subsidy_claim))
        .routes(routes!(risk_claims))
        .routes(routes!(approve_risk_claim))
        .routes(routes!(deposit))
}

/// Fund figures, yuan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FundFiguresDto {
    /// The region whose counties are added up; absent for everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The region group whose members are added up, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub as_of: String,
    pub subsidy_balance: String,
    pub subsidy_deposits: String,
    pub subsidy_paid: String,
    pub risk_balance: String,
    pub risk_deposits: String,
    pub compensation_paid: String,
    pub compensation_recovered: String,
    /// Principal outstanding of loans the risk funds cover.
    pub covered_balance: String,
    /// Covered balance over the risk funds, as a multiple ("6.25"); "—" without a fund.
    pub leverage_used: String,
}

pub fn figures_dto(
    region: Option<RegionCode>,
    as_of: String,
    figures: &FundFigures,
) -> FundFiguresDto {
    FundFiguresDto {
        region: region.map(|r| r.to_string()),
        group: None,
        as_of,
        subsidy_balance: figures.subsidy_balance.to_plain_yuan(),
        subsidy_deposits: figures.subsidy_deposits.to_plain_yuan(),
        subsidy_paid: figures.subsidy_paid.to_plain_yuan(),
        risk_balance: figures.risk_balance.to_plain_yuan(),
        risk_deposits: figures.risk_deposits.to_plain_yuan(),
        compensation_paid: figures.compensation_paid.to_plain_yuan(),
        compensation_recovered: figures.compensation_recovered.to_plain_yuan(),
        covered_balance: figures.covered_balance.to_plain_yuan(),
        leverage_used: figures.leverage_used(),
    }
}

/// A region and a date.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// A county, the city, or any region whose counties to add up; default the caller's.
    pub region: Option<String>,
    /// A region group whose members on the date to add up (instead of `region`).
    pub group: Option<String>,
    /// Default today.
    pub as_of: Option<String>,
}

/// Fund balances, deposits, payments and the leverage used, for the counties of a region as of
/// a date (finance bureau and regulator of the region).
#[utoipa::path(
    get, path = "/api/funds", tag = "funds", params(FiguresQuery),
    responses((status = 200, body = FundFiguresDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn figures(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<FiguresQuery>,
) -> Result<axum::Json<FundFiguresDto>> {
    let as_of = date_param("as_of", &query.as_of)?;
    let region = region_param("region", &query.region)?;
    if let Some(group) = &query.group {
        if region.is_some() {
            return Err(Error::BadRequest {
                message: "give region or group, not both".to_string(),
                field: Some("group".to_string()),
            });
        }
        let figures = funds::group_figures_for(&state.db, &user.ctx, group, as_of).await?;
        let mut dto = figures_dto(None, as_of.to_string(), &figures);
        dto.group = Some(group.clone());
        return Ok(axum::Json(dto));
    }
    let (region, figures) = funds::figures_for(&state.db, &user.ctx, region, as_of).await?;
    Ok(axum::Json(figures_dto(region, as_of.to_string(), &figures)))
}

/// One loan's subsidy in a claim.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClaimLineDto {
    pub loan_id: i64,
    #[serde(flatten)]
    pub loan: LoanNameDto,
    pub days: i64,
    /// Percent a year.
    pub rate: String,
    pub amount: String,
}

/// A loan as people name it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LoanNameDto {
    pub institution_code: String,
    pub contract_no: String,
    /// `household` or `enterprise`.
    pub borrower_type: String,
    /// The household's registry id or the enterprise's credit code.
    pub borrower_id: String,
    /// The household head's or the enterprise's name.
    pub borrower_name: String,
}

impl From<LoanName> for LoanNameDto {
    fn from(loan: LoanName) -> LoanNameDto {
        LoanNameDto {
            institution_code: loan.institution_code,
            contract_no: loan.contract_no,
            borrower_type: loan.borrower_type,
            borrower_id: loan.borrower_id,
            borrower_name: loan.borrower_name,
        }
    }
}

/// An interest-subsidy claim of a county, institution and quarter.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SubsidyClaimDto {
    pub id: i64,
    pub county_code: String,
    pub institution_code: String,
    pub quarter: String,
    /// `pending` or `approved`.
    pub state: String,
    pub amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    pub lines: Vec<ClaimLineDto>,
}

pub fn subsidy_dto(claim: InterestSubsidyClaim, lines: Vec<NamedClaimLine>) -> SubsidyClaimDto {
    SubsidyClaimDto {
        id: claim.id,
        county_code: claim.county_code.to_string(),
        institution_code: claim.institution_code,
        quarter: claim.quarter,
        state: claim.state,
        amount: claim.amount.to_plain_yuan(),
        approved_on: claim.approved_on.map(|d| d.to_string()),
        approved_by: claim.approved_by,
        lines: lines
            .into_iter()
            .map(|NamedClaimLine { line, loan }| ClaimLineDto {
                loan_id: line.loan_id,
                loan: loan.into(),
                days: line.days,
                rate: Rate::from_ppm(line.rate_ppm).to_percent_string(),
                amount: line.amount.to_plain_yuan(),
            })
            .collect(),
    }
}

/// A risk-compensation claim on a defaulted covered loan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RiskClaimDto {
    pub id: i64,
    pub loan_id: i64,
    /// The loan's institution (the claim's), contract number and borrower.
    #[serde(flatten)]
    pub loan: LoanNameDto,
    pub county_code: String,
    pub raised_on: String,
    /// Principal outstanding when raised.
    pub principal: String,
    /// The fund's share, percent.
    pub share: String,
    pub amount: String,
    /// `pending` or `approved`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_on: Option<String>,
}

pub fn risk_dto(NamedRiskClaim { claim, loan }: NamedRiskClaim) -> RiskClaimDto {
    RiskClaimDto {
        id: claim.id,
        loan_id: claim.loan_id,
        loan: loan.into(),
        county_code: claim.county_code.to_string(),
        raised_on: claim.raised_on.to_string(),
        principal: claim.principal.to_plain_yuan(),
        share: Rate::from_ppm(claim.share_ppm).to_percent_string(),
        amount: claim.amount.to_plain_yuan(),
        state: claim.state,
        approved_on: claim.approved_on.map(|d| d.to_string()),
    }
}

pub fn quarter_field(field: &str, text: &str) -> Result<Quarter> {
    Quarter::parse(text.trim()).map_err(|e| Error::field(field, e.to_string()))
}

/// A quarter and a region.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimsQuery {
    /// e.g. `2017Q2`.
    pub quarter: Option<String>,
    /// Counties at or under this region; default the caller's.
    pub region: Option<String>,
    /// One institution's (a bank: its own).
    pub institution: Option<String>,
    /// Claims per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Claims to skip: default 0.
    pub offset: Option<i64>,
}

/// The subsidy claims of a quarter worked out so far, with their loans (finance bureau and
/// regulator of the region; a bank its own).
#[utoipa::path(
    get, path = "/api/funds/subsidy-claims", tag = "funds", params(ClaimsQuery),
    responses((status = 200, body = PageOf<SubsidyClaimDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn subsidy_claims(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ClaimsQuery>,
) -> Result<axum::Json<PageOf<SubsidyClaimDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let quarter = present(&query.quarter).ok_or_else(|| Error::field("quarter", "is required"))?;
    let claims = funds::subsidy_claims_for(
        &state.db,
        &user.ctx,
        quarter_field("quarter", quarter)?,
        region_param("region", &query.region)?,
        present(&query.institution),
    )
    .await?;
    Ok(axum::Json(PageOf::from_paged(
        page.cut(claims, false),
        |(claim, lines)| subsidy_dto(claim, lines),
    )))
}

/// Which claims to work out.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct PrepareBody {
    /// e.g. `2017Q2`.
    pub quarter: String,
    /// Counties at or under this region; default the caller's.
    #[serde(default)]
    pub region: Option<String>,
}

/// Works out (or re-works) the pending subsidy claims of a quarter for every county and
/// institution with subsidised loans in the region (finance bureau). Approved claims stay as
/// they are.
#[utoipa::path(
    post, path = "/api/funds/subsidy-claims/prepare", tag = "funds", request_body = PrepareBody,
    responses((status = 200, body = Vec<SubsidyClaimDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn prepare_subsidy_claims(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<PrepareBody>,
) -> Result<axum::Json<Vec<SubsidyClaimDto>>> {
    let quarter = quarter_field("quarter", &body.quarter)?;
    let region = region_param("region", &body.region)?;
    let claims = funds::prepare_subsidy_claims(&state.db, &user.ctx, quarter, region).await?;
    Ok(axum::Json(
        claims
            .into_iter()
            .map(|(claim, lines)| subsidy_dto(claim, lines))
            .collect(),
    ))
}

/// The payment date of an approval.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ApproveBody {
    /// The value date of the payment (YYYY-MM-DD).
    pub on: String,
}

/// Approves a pending subsidy claim: pays the bank from the county's subsidy fund, refused
/// whole (409) when the fund holds less (finance bureau). Moves money: `Idempotency-Key` is
/// required.
#[utoipa::path(
    post, path = "/api/funds/subsidy-claims/{id}/approve", tag = "funds", request_body = ApproveBody,
    params(("id" = i64, Path, description = "Claim id"), ("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 200, body = SubsidyClaimDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn approve_subsidy_claim(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path(id): Path<i64>,
    Json(body): Json<ApproveBody>,
) -> Result<axum::Json<SubsidyClaimDto>> {
    let on = date_field("on", &body.on)?;
    let claim = funds::approve_subsidy_claim(&state.db, &user.ctx, id, on).await?;
    Ok(axum::Json(subsidy_dto(claim, Vec::new())))
}

/// A region and an institution.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskClaimsQuery {
    /// Counties at or under this region; default the caller's.
    pub region: Option<String>,
    /// One institution's (a bank: its own).
    pub institution: Option<String>,
    /// Claims per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Claims to skip: default 0.
    pub offset: Option<i64>,
}

/// Risk-compensation claims raised by end of day (finance bureau and regulator of the region;
/// a bank its own).
#[utoipa::path(
    get, path = "/api/funds/risk-claims", tag = "funds", params(RiskClaimsQuery),
    responses((status = 200, body = PageOf<RiskClaimDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn risk_claims(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<RiskClaimsQuery>,
) -> Result<axum::Json<PageOf<RiskClaimDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let claims = funds::risk_claims_for(
        &state.db,
        &user.ctx,
        region_param("region", &query.region)?,
        present(&query.institution),
    )
    .await?;
    Ok(axum::Json(PageOf::from_paged(
        page.cut(claims, false),
        risk_dto,
    )))
}

/// Approves a pending risk claim: pays the bank the fund's share, refused whole (409) when the
/// fund holds less (finance bureau). Moves money: `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/funds/risk-claims/{id}/approve", tag = "funds", request_body = ApproveBody,
    params(("id" = i64, Path, description = "Claim id"), ("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 200, body = RiskClaimDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn approve_risk_claim(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path(id): Path<i64>,
    Json(body): Json<ApproveBody>,
) -> Result<axum::Json<RiskClaimDto>> {
    let on = date_field("on", &body.on)?;
    let claim = funds::approve_risk_claim(&state.db, &user.ctx, id, on).await?;
    Ok(axum::Json(risk_dto(claim)))
}

/// A deposit into a county fund.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct DepositBody {
    /// The deposit's id: the same id again is the same deposit.
    pub id: String,
    /// The county's code.
    pub county: String,
    /// `subsidy` or `risk_compensation`.
    pub fund: String,
    /// Value date.
    pub on: String,
    /// Yuan.
    pub amount: String,
}

/// What a deposit did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DepositedDto {
    /// `recorded` or `already_recorded`.
    pub outcome: String,
    pub deposit: DepositBody,
}

/// Records a deposit into a county fund of the caller's region (finance bureau). Moves money:
/// `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/funds/deposits", tag = "funds", request_body = DepositBody,
    params(("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 201, body = DepositedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn deposit(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Json(body): Json<DepositBody>,
) -> Result<(StatusCode, axum::Json<DepositedDto>)> {
    let id = body.id.trim().to_string();
    if id.is_empty() {
        return Err(Error::field("id", "is required"));
    }
    let county = region_param("county", &Some(body.county.clone()))?
        .ok_or_else(|| Error::field("county", "is required"))?;
    let order = FundDeposit {
        id,
        county_code: county,
        fund: body.fund.trim().to_string(),
        deposited_on: date_field("on", &body.on)?,
        amount: amount_field("amount", &body.amount)?,
    };
    let outcome = funds::deposit_command(&state.db, &user.ctx, &order).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DepositedDto {
            outcome: match outcome {
                funds::Deposited::New => "recorded",
                funds::Deposited::AlreadyRecorded => "already_recorded",
            }
            .into(),
            deposit: body,
        }),
    ))
}

// ---------------------------------------------------------------------------------------------
// the funds page: figures, claims, approve buttons (the finance bureau)

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::OriginalUri;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::extract::Form;
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::names::Names;
use crate::paging::PageLinks;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/funds", get(funds_page))
        .route("/funds/{kind}/{id}/approve", post(approve_form))
}

/// Date and quarter of the page.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FundsPageQuery {
    pub as_of: Option<String>,
    pub region: Option<String>,
    pub quarter: Option<String>,
    /// Where the page of subsidy claims starts.
    pub subsidy_offset: Option<i64>,
    /// Where the page of risk claims starts.
    pub risk_offset: Option<i64>,
}

/// Claims per page of the funds page.
const CLAIMS_PER_PAGE: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "funds.html")]
struct FundsPage {
    layout: Layout,
    as_of: String,
    region: String,
    quarter: String,
    figures: Option<FundFiguresDto>,
    subsidy: Vec<SubsidyClaimDto>,
    subsidy_pages: PageLinks,
    risk: Vec<RiskClaimDto>,
    risk_pages: PageLinks,
    may_approve: bool,
    names: Names,
    /// The loss waterfall: figures and chart (finance bureau and regulator).
    waterfall: Option<super::guarantees::WaterfallSection>,
    /// Guarantee claims in the caller's scope.
    guarantee_claims: Vec<super::guarantees::ClaimDto>,
}

async fn funds_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<FundsPageQuery>,
) -> Result<FundsPage> {
    let as_of = date_param("as_of", &super::page_date(&state, &query.as_of).await?)?;
    let region = region_param("region", &query.region)?;
    let quarter = match present(&query.quarter) {
        Some(text) => quarter_field("quarter", text)?,
        None => Quarter::of(as_of),
    };
    let role = user.principal.user.role;
    // Who sees the county funds' figures is decided in one place (a bank sees its claims only).
    let figures = match fupin_app::access::sees_fund_figures(&user.ctx) {
        false => None,
        true => {
            let (region, figures) = funds::figures_for(&state.db, &user.ctx, region, as_of).await?;
            Some(figures_dto(region, as_of.to_string(), &figures))
        }
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/funds");
    let waterfall =
        super::guarantees::waterfall_section(&state, &user, lang, region, as_of).await?;
    let guarantee_claims = Page::new(Some(CLAIMS_PER_PAGE), None)?
        .cut(
            fupin_app::guarantees::claims_for(&state.db, &user.ctx, region).await?,
            false,
        )
        .items
        .into_iter()
        .map(super::guarantees::claim_dto)
        .collect();
    let subsidy = Page::new(Some(CLAIMS_PER_PAGE), query.subsidy_offset)?
        .cut(
            funds::subsidy_claims_for(&state.db, &user.ctx, quarter, region, None).await?,
            false,
        )
        .map(|(claim, lines)| subsidy_dto(claim, lines));
    let risk = Page::new(Some(CLAIMS_PER_PAGE), query.risk_offset)?
        .cut(
            funds::risk_claims_for(&state.db, &user.ctx, region, None).await?,
            false,
        )
        .map(risk_dto);
    let guaranteed: &Vec<super::guarantees::ClaimDto> = &guarantee_claims;
    let counties = subsidy
        .items
        .iter()
        .map(|c| c.county_code.clone())
        .chain(risk.items.iter().map(|c| c.county_code.clone()))
        .chain(guaranteed.iter().map(|c| c.county_code.clone()));
    let institutions = subsidy
        .items
        .iter()
        .map(|c| c.institution_code.clone())
        .chain(risk.items.iter().map(|c| c.loan.institution_code.clone()))
        .chain(guaranteed.iter().map(|c| c.institution_code.clone()));
    let (counties, institutions): (Vec<String>, Vec<String>) =
        (counties.collect(), institutions.collect());
    let names = Names::load(&state.db, lang, counties, institutions).await?;
    let subsidy_pages = PageLinks::of(path, "subsidy_offset", &subsidy);
    let risk_pages = PageLinks::of(path, "risk_offset", &risk);
    Ok(FundsPage {
        layout: Layout::new(lang, Some(&user.principal), path, "funds.title"),
        as_of: as_of.to_string(),
        region: present(&query.region).unwrap_or("").to_string(),
        quarter: quarter.to_string(),
        figures,
        subsidy: subsidy.items,
        subsidy_pages,
        risk: risk.items,
        risk_pages,
        may_approve: role == fupin_app::Role::Finance,
        names,
        waterfall,
        guarantee_claims,
    })
}

/// The approve button's form.
#[derive(Clone, Debug, Deserialize)]
pub struct ApproveForm {
    pub on: String,
    #[serde(default)]
    pub back: Option<String>,
}

async fn approve_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((kind, id)): Path<(String, i64)>,
    Form(form): Form<ApproveForm>,
) -> Result<Redirect> {
    let on = date_field("on", &form.on)?;
    match kind.as_str() {
        "subsidy-claims" => {
            funds::approve_subsidy_claim(&state.db, &user.ctx, id, on).await?;
        }
        "risk-claims" => {
            funds::approve_risk_claim(&state.db, &user.ctx, id, on).await?;
        }
        "guarantee-claims" => {
            fupin_app::guarantees::approve_claim(&state.db, &user.ctx, id, on).await?;
        }
        other => return Err(Error::NotFound(format!("claims {other}"))),
    }
    let back = crate::layout::local_path(form.back.as_deref().unwrap_or("/funds"));
    Ok(Redirect::to(back))
}
