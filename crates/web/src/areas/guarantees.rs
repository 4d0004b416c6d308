//! Guarantees: a loan's guarantors, a guarantor's exposure, the guarantee claims of the loss
//! waterfall and their approval, and the waterfall's figures. Who may do what is decided by
//! `fupin_app::guarantees`.

use axum::extract::State;
use axum::http::StatusCode;
use fupin_app::fupin_core::Rate;
use fupin_app::guarantees::{
    self, Exposure, Figures, Guarantee, GuarantorKind, LossClaim, NewGuarantee,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::funds::ApproveBody;
use super::loans::date_field;
use super::{date_param, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path, Query};
use crate::idempotency::RequiredKey;
use crate::paging::PageOf;
use fupin_app::paging::Page;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(loan_guarantees, add_guarantee))
        .routes(routes!(exposure))
        .routes(routes!(claims))
        .routes(routes!(approve_claim))
        .routes(routes!(figures))
}

fn percent(bps: i64) -> String {
    Rate::from_ppm(bps * 100).to_percent_string()
}

/// A guarantor of a loan. Shares and rates in percent ("40.00").
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GuaranteeDto {
    /// `household`, `enterprise`, `company` or `county_fund`.
    pub guarantor_type: String,
    /// Resident ID, credit code, institution code or county code.
    pub guarantor_id: String,
    /// The guarantee contract number.
    pub contract_no: String,
    pub share: String,
    pub signed_on: String,
    pub fee_rate: String,
    /// `borrower` or `bank`.
    pub fee_payer: String,
    pub fee_subsidy: String,
}

pub fn guarantee_dto(g: Guarantee) -> GuaranteeDto {
    GuaranteeDto {
        guarantor_type: g.guarantor_type,
        guarantor_id: g.guarantor_id,
        contract_no: g.contract_no,
        share: percent(g.share_bps),
        signed_on: g.signed_on.to_string(),
        fee_rate: percent(g.fee_rate_bps),
        fee_payer: g.fee_payer,
        fee_subsidy: percent(g.fee_subsidy_bps),
    }
}

/// The guarantors of a loan (those who see the loan; a guarantor the loans it guarantees).
#[utoipa::path(
    get, path = "/api/loans/{institution}/{contract}/guarantees", tag = "guarantees",
    params(("institution" = String, Path), ("contract" = String, Path)),
    responses((status = 200, body = Vec<GuaranteeDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn loan_guarantees(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, contract)): Path<(String, String)>,
) -> Result<axum::Json<Vec<GuaranteeDto>>> {
    let found = guarantees::of_loan(&state.db, &user.ctx, &institution, &contract).await?;
    Ok(axum::Json(found.into_iter().map(guarantee_dto).collect()))
}

/// A guarantor to name on a loan. Percentages as "40" or "40%".
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct GuaranteeBody {
    /// `household`, `enterprise`, `company`, `county_fund` (or 农户, 企业, 担保公司, 县担保基金).
    pub guarantor_type: String,
    pub guarantor_id: String,
    pub contract_no: String,
    pub share: String,
    pub signed_on: String,
    #[serde(default)]
    pub fee_rate: Option<String>,
    #[serde(default)]
    pub fee_payer: Option<String>,
    #[serde(default)]
    pub fee_subsidy: Option<String>,
}

/// What adding a guarantee did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AddedDto {
    /// `recorded` or `already_recorded`.
    pub outcome: String,
}

fn bps_field(field: &str, text: Option<&str>) -> Result<i64> {
    let text = text.unwrap_or("0").trim().trim_end_matches(['%', '％']);
    let ppm = Rate::parse_percent(text)
        .map_err(|e| Error::field(field, e.to_string()))?
        .ppm();
    match ppm % 100 {
        0 => Ok(ppm / 100),
        _ => Err(Error::field(field, format!("{text} is finer than 0.01 %"))),
    }
}

/// Names a guarantor of a loan (its bank): refused with the reason above the product's cap or
/// the county fund's leverage. `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/guarantees", tag = "guarantees", request_body = GuaranteeBody,
    params(("institution" = String, Path), ("contract" = String, Path), ("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 201, body = AddedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn add_guarantee(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<GuaranteeBody>,
) -> Result<(StatusCode, axum::Json<AddedDto>)> {
    let kind = GuarantorKind::parse(&body.guarantor_type).ok_or_else(|| {
        Error::field(
            "guarantor_type",
            "is not household, enterprise, company or county_fund",
        )
    })?;
    let new = NewGuarantee {
        institution_code: institution,
        loan_contract_no: contract,
        kind,
        guarantor_id: body.guarantor_id,
        contract_no: body.contract_no,
        share_bps: bps_field("share", Some(&body.share))?,
        signed_on: date_field("signed_on", &body.signed_on)?,
        fee_rate_bps: bps_field("fee_rate", body.fee_rate.as_deref())?,
        fee_payer: body.fee_payer.unwrap_or_else(|| "borrower".into()),
        fee_subsidy_bps: bps_field("fee_subsidy", body.fee_subsidy.as_deref())?,
    };
    let outcome = match guarantees::add_guarantee_command(&state.db, &user.ctx, &new).await? {
        guarantees::Added::New => "recorded",
        guarantees::Added::AlreadyRecorded => "already_recorded",
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(AddedDto {
            outcome: outcome.into(),
        }),
    ))
}

/// Which guarantor.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExposureQuery {
    /// `household`, `enterprise`, `company` or `county_fund`.
    pub kind: String,
    /// Resident ID, credit code, institution code or county code (12 digits).
    pub guarantor: String,
}

/// One guaranteed loan of an exposure, yuan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GuaranteedLoanDto {
    pub institution_code: String,
    pub contract_no: String,
    pub guarantee_contract_no: String,
    pub share: String,
    pub principal: String,
}

/// A guarantor's exposure, yuan: guaranteed balances plus its own loans.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExposureDto {
    pub kind: String,
    pub guarantor_id: String,
    pub loans: Vec<GuaranteedLoanDto>,
    pub guaranteed: String,
    pub own_loans: String,
    pub total: String,
}

fn exposure_dto(e: Exposure) -> ExposureDto {
    ExposureDto {
        kind: e.kind.as_str().into(),
        guarantor_id: e.guarantor_id,
        loans: e
            .loans
            .into_iter()
            .map(|l| GuaranteedLoanDto {
                institution_code: l.institution_code,
                contract_no: l.contract_no,
                guarantee_contract_no: l.guarantee_contract_no,
                share: percent(l.share_bps),
                principal: l.principal.to_plain_yuan(),
            })
            .collect(),
        guaranteed: e.guaranteed.to_plain_yuan(),
        own_loans: e.own_loans.to_plain_yuan(),
        total: e.total.to_plain_yuan(),
    }
}

/// A guarantor's exposure (regulator, finance bureau; a guarantor its own company; a bank the
/// loans it made).
#[utoipa::path(
    get, path = "/api/guarantees/exposure", tag = "guarantees", params(ExposureQuery),
    responses((status = 200, body = ExposureDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn exposure(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ExposureQuery>,
) -> Result<axum::Json<ExposureDto>> {
    let kind = GuarantorKind::parse(&query.kind).ok_or_else(|| {
        Error::field(
            "kind",
            "is not household, enterprise, company or county_fund",
        )
    })?;
    let found = guarantees::exposure(&state.db, &user.ctx, kind, query.guarantor.trim()).await?;
    Ok(axum::Json(exposure_dto(found)))
}

/// One payer's share of a defaulted loan, yuan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClaimDto {
    pub id: i64,
    pub loan_id: i64,
    pub county_code: String,
    /// The bank paid.
    pub institution_code: String,
    /// `county_fund`, `national`, `provincial`, `company`, `household` or `enterprise`.
    pub payer: String,
    pub raised_on: String,
    /// The loan's loss at the trigger.
    pub loss: String,
    /// What was left of it when the guarantee step came.
    pub base: String,
    pub amount: String,
    /// `pending` or `approved`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_on: Option<String>,
}

pub fn claim_dto(c: LossClaim) -> ClaimDto {
    ClaimDto {
        id: c.id,
        loan_id: c.loan_id,
        county_code: c.county_code.to_string(),
        institution_code: c.institution_code,
        payer: c.payer,
        raised_on: c.raised_on.to_string(),
        loss: c.loss.to_plain_yuan(),
        base: c.base.to_plain_yuan(),
        amount: c.amount.to_plain_yuan(),
        state: c.state,
        approved_on: c.approved_on.map(|d| d.to_string()),
    }
}

/// A region and a page.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimsQuery {
    /// Counties at or under this region; default the caller's.
    pub region: Option<String>,
    /// Claims per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Claims to skip: default 0.
    pub offset: Option<i64>,
}

/// Guarantee claims raised by end of day (finance bureau and regulator of the region; a bank
/// its loans'; a guarantor its own contracts').
#[utoipa::path(
    get, path = "/api/guarantees/claims", tag = "guarantees", params(ClaimsQuery),
    responses((status = 200, body = PageOf<ClaimDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn claims(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ClaimsQuery>,
) -> Result<axum::Json<PageOf<ClaimDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let region = region_param("region", &query.region)?;
    let found = guarantees::claims_for(&state.db, &user.ctx, region).await?;
    Ok(axum::Json(PageOf::from_paged(
        page.cut(found, false),
        claim_dto,
    )))
}

/// Approves a guarantee claim: the payer pays the bank its share (the finance bureau the county
/// fund's, a guarantor its contracts', a bank a household's or enterprise's); refused whole
/// (409) when the county fund holds less. `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/guarantees/claims/{id}/approve", tag = "guarantees", request_body = ApproveBody,
    params(("id" = i64, Path, description = "Claim id"), ("Idempotency-Key" = String, Header, description = "Required")),
    responses((status = 200, body = ClaimDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn approve_claim(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path(id): Path<i64>,
    Json(body): Json<ApproveBody>,
) -> Result<axum::Json<ClaimDto>> {
    let on = date_field("on", &body.on)?;
    let claim = guarantees::approve_claim(&state.db, &user.ctx, id, on).await?;
    Ok(axum::Json(claim_dto(claim)))
}

/// One payer of the waterfall, yuan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PayerDto {
    /// `insurance` (what insurers paid on the shared losses outside the loans), `county_fund`,
    /// `national`, `provincial`, `company`, `household`, `enterprise`, `risk_fund`.
    pub payer: String,
    pub paid: String,
    pub returned: String,
}

/// Guarantee and loss-waterfall figures of a region as of a date, yuan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FiguresDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub as_of: String,
    /// Σ principal × share over every guarantor's active loans (principal outstanding now).
    pub guaranteed_balance: String,
    pub fund_guaranteed: String,
    pub fund_balance: String,
    pub fund_deposits: String,
    /// The county guarantee funds' guaranteed balance over their balance ("3.20"; "—").
    pub fund_leverage_used: String,
    pub payers: Vec<PayerDto>,
    pub losses: String,
    /// What the banks bear of the losses after relief (before recoveries).
    pub bank_borne: String,
    /// Guarantee fees paid to date.
    pub fees_paid: String,
    /// Subsidies of guarantee fees approved to date.
    pub fee_subsidies: String,
}

pub fn figures_dto(region: Option<String>, as_of: String, f: &Figures) -> FiguresDto {
    FiguresDto {
        region,
        as_of,
        guaranteed_balance: f.guaranteed_balance.to_plain_yuan(),
        fund_guaranteed: f.fund_guaranteed.to_plain_yuan(),
        fund_balance: f.fund_balance.to_plain_yuan(),
        fund_deposits: f.fund_deposits.to_plain_yuan(),
        fund_leverage_used: f.leverage_used(),
        payers: f
            .payers
            .iter()
            .map(|p| PayerDto {
                payer: p.payer.clone(),
                paid: p.paid.to_plain_yuan(),
                returned: p.returned.to_plain_yuan(),
            })
            .collect(),
        losses: f.losses.to_plain_yuan(),
        bank_borne: f.bank_borne.to_plain_yuan(),
        fees_paid: f.fees_paid.to_plain_yuan(),
        fee_subsidies: f.fee_subsidies.to_plain_yuan(),
    }
}

/// A region and a date.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    pub region: Option<String>,
    /// YYYY-MM-DD.
    pub as_of: Option<String>,
}

/// Guarantee and loss-waterfall figures (finance bureau and regulator of the region).
#[utoipa::path(
    get, path = "/api/guarantees/figures", tag = "guarantees", params(FiguresQuery),
    responses((status = 200, body = FiguresDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn figures(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<FiguresQuery>,
) -> Result<axum::Json<FiguresDto>> {
    let as_of = date_param("as_of", &query.as_of)?;
    let region = region_param("region", &query.region)?;
    let (within, found) = guarantees::figures_for(&state.db, &user.ctx, region, as_of).await?;
    Ok(axum::Json(figures_dto(
        within.map(|c| c.to_string()),
        as_of.to_string(),
        &found,
    )))
}

/// The guarantors shown on a loan page: none for a role that does not read guarantees;
/// household guarantors' resident IDs masked.
pub async fn page_guarantees(
    state: &AppState,
    user: &CurrentUser,
    institution: &str,
    contract: &str,
) -> Result<Vec<GuaranteeDto>> {
    use fupin_app::access::{Access, Area, allows};
    if !allows(user.ctx.actor.role, Area::Guarantees, Access::Read) {
        return Ok(Vec::new());
    }
    let found = guarantees::of_loan(&state.db, &user.ctx, institution, contract).await?;
    Ok(found
        .into_iter()
        .map(|g| {
            let mut dto = guarantee_dto(g);
            if dto.guarantor_type == "household" {
                dto.guarantor_id = fupin_app::fupin_core::resident_id::mask(&dto.guarantor_id);
            }
            dto
        })
        .collect())
}

/// The waterfall of the funds page: its figures and a bar chart of what each payer bore.
pub struct WaterfallSection {
    pub figures: FiguresDto,
    pub chart: String,
}

/// The waterfall section of the funds page, for those who see the county funds' figures.
pub async fn waterfall_section(
    state: &AppState,
    user: &CurrentUser,
    lang: crate::i18n::Lang,
    region: Option<fupin_app::fupin_core::RegionCode>,
    as_of: fupin_app::fupin_core::BusinessDate,
) -> Result<Option<WaterfallSection>> {
    if !fupin_app::access::sees_fund_figures(&user.ctx) {
        return Ok(None);
    }
    let (within, found) = guarantees::figures_for(&state.db, &user.ctx, region, as_of).await?;
    let label = |code: &str| crate::labels::label(lang, crate::labels::Vocabulary::Payer, code);
    // Bars in 万元, as the cards beside them: exact decimal text, never a float of fen.
    let mut bars: Vec<(String, String)> = found
        .payers
        .iter()
        .map(|p| (label(&p.payer), crate::numbers::wan_plain(p.paid.fen())))
        .collect();
    bars.push((
        label("bank"),
        crate::numbers::wan_plain(found.bank_borne.fen()),
    ));
    let chart = serde_json::json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 24, "top": 36, "bottom": 40, "containLabel": true},
        "xAxis": {"type": "category", "data": bars.iter().map(|b| b.0.clone()).collect::<Vec<_>>()},
        "yAxis": {"type": "value", "name": lang.t("unit.wan_yuan")},
        "series": [{"type": "bar", "name": lang.t("funds.claims_paid"), "data": bars.iter().map(|b| b.1.clone()).collect::<Vec<_>>(), "itemStyle": {"color": "#0b5cad"}}],
    })
    .to_string();
    Ok(Some(WaterfallSection {
        figures: figures_dto(within.map(|c| c.to_string()), as_of.to_string(), &found),
        chart,
    }))
}

/// A guarantee on one of a household's loans, for its page.
pub struct LoanGuaranteeRow {
    pub contract_no: String,
    pub guarantee: GuaranteeDto,
}

/// A household's guarantees for its page (resident IDs masked): on its own loans, and the
/// exposure of each member who guarantees others.
pub async fn household_guarantees(
    state: &AppState,
    user: &CurrentUser,
    household_id: &str,
) -> Result<(Vec<LoanGuaranteeRow>, Vec<ExposureDto>)> {
    let (own, given) = guarantees::of_household(&state.db, &user.ctx, household_id).await?;
    let mask = |kind: &str, id: String| match kind {
        "household" => fupin_app::fupin_core::resident_id::mask(&id),
        _ => id,
    };
    let own = own
        .into_iter()
        .map(|(_, contract_no, g)| {
            let mut guarantee = guarantee_dto(g);
            guarantee.guarantor_id = mask(&guarantee.guarantor_type, guarantee.guarantor_id);
            LoanGuaranteeRow {
                contract_no,
                guarantee,
            }
        })
        .collect();
    let given = given
        .into_iter()
        .map(|e| {
            let mut dto = exposure_dto(e);
            dto.guarantor_id = mask("household", dto.guarantor_id);
            dto
        })
        .collect();
    Ok((own, given))
}
