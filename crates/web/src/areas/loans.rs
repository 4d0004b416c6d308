//! Loans and products: listings, one loan with its schedule, repayments and ledger transfers;
//! repayments, extensions, rollovers and write-offs (banks, their own loans); end of day
//! (administrators). Who may do what is decided by `fupin_app::loans`.

use axum::extract::State;
use axum::http::StatusCode;
use fupin_app::fupin_core::{BusinessDate, Fen};
use fupin_app::loans::{
    self, Loan, LoanDetail, LoanFilter, Prepayment, PrepaymentOption, RepaymentOrder,
    RepaymentOutcome,
};
use fupin_app::paging::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path, Query};
use crate::idempotency::RequiredKey;
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products))
        .routes(routes!(list_loans))
        .routes(routes!(get_loan))
        .routes(routes!(repay))
        .routes(routes!(extend))
        .routes(routes!(roll_over))
        .routes(routes!(write_off))
        .routes(routes!(eod_status, run_eod))
}

// ---------------------------------------------------------------------------------------------
// DTOs

/// A loan: its terms and standing. Amounts in yuan, rates in percent a year.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LoanDto {
    pub institution_code: String,
    pub contract_no: String,
    pub product_code: String,
    /// `household` or `enterprise`.
    pub borrower_type: String,
    /// Household id or unified social credit code.
    pub borrower_id: String,
    pub village_code: String,
    pub principal: String,
    pub annual_rate: String,
    pub start_on: String,
    pub maturity_on: String,
    pub original_maturity_on: String,
    pub repayment: String,
    pub day_count: String,
    pub purpose: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The bank's loan officer (信贷员), when the loans file named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub officer: Option<String>,
    /// `active`, `settled`, `rolled_over` or `written_off`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_unpaid_due_on: Option<String>,
    pub overdue_days: i64,
    /// `normal`, `special_mention`, `substandard`, `doubtful` or `loss`.
    pub classification: String,
}

impl From<Loan> for LoanDto {
    fn from(loan: Loan) -> LoanDto {
        let t = loan.terms;
        LoanDto {
            institution_code: t.institution_code,
            contract_no: t.contract_no,
            product_code: t.product_code,
            borrower_type: t.borrower_type,
            borrower_id: t.borrower_id,
            village_code: t.village_code.to_string(),
            principal: t.principal.to_plain_yuan(),
            annual_rate: t.annual_rate.to_percent_string(),
            start_on: t.start_on.to_string(),
            maturity_on: t.maturity_on.to_string(),
            original_maturity_on: loan.original_maturity_on.to_string(),
            repayment: t.repayment,
            day_count: t.day_count,
            purpose: t.purpose,
            project: t.project,
            officer: t.officer,
            status: loan.status,
            closed_on: loan.closed_on.map(|d| d.to_string()),
            next_unpaid_due_on: loan.next_unpaid_due_on.map(|d| d.to_string()),
            overdue_days: loan.overdue_days,
            classification: loan.classification.as_str().to_string(),
        }
    }
}

/// One instalment of the schedule.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InstalmentDto {
    pub number: u32,
    pub due_on: String,
    pub principal: String,
    pub interest: String,
    pub paid_principal: String,
    pub paid_interest: String,
    pub interest_charged: String,
    /// Replaced by an extension, rollover, settlement or write-off.
    pub superseded: bool,
}

/// A repayment or recovery.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RepaymentDto {
    pub id: String,
    pub paid_on: String,
    pub amount: String,
    /// `keep_term` or `keep_instalment` for a partial prepayment; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepayment_option: Option<String>,
    /// `repayment` or `recovery`.
    pub kind: String,
}

/// An extension or rollover.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExtensionDto {
    /// `extension` or `rollover`.
    pub kind: String,
    pub decided_on: String,
    pub previous_maturity_on: String,
    pub new_maturity_on: String,
    pub reason: String,
}

/// A schedule the loan was given after its first (version 1, at disbursement).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ScheduleVersionDto {
    pub version: i64,
    /// Instalments numbered from here on belong to it.
    pub first_number: i64,
    pub decided_on: String,
    /// `prepayment` or `extension`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepayment_option: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repayment_id: Option<String>,
    /// Principal the new schedule repays.
    pub principal: String,
    pub maturity_on: String,
}

/// A ledger transfer on the loan's accounts.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TransferDto {
    pub seq: i64,
    pub id: String,
    pub value_date: String,
    /// `disbursement`, `interest_charge`, `repayment_principal`, …
    pub code: String,
    pub amount: String,
    pub debit_account_id: i64,
    pub credit_account_id: i64,
}

/// A period `[from, to)`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SpellDto {
    pub from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// One loan with everything about it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LoanDetailDto {
    pub loan: LoanDto,
    pub principal_outstanding: String,
    pub interest_outstanding: String,
    /// Penalty interest (罚息) charged and unpaid, apart from the interest.
    pub penalty_outstanding: String,
    pub schedule: Vec<InstalmentDto>,
    /// Schedules given after the first, in order.
    pub schedule_versions: Vec<ScheduleVersionDto>,
    pub repayments: Vec<RepaymentDto>,
    pub extensions: Vec<ExtensionDto>,
    pub overdue_spells: Vec<SpellDto>,
    pub transfers: Vec<TransferDto>,
}

impl From<LoanDetail> for LoanDetailDto {
    fn from(detail: LoanDetail) -> LoanDetailDto {
        LoanDetailDto {
            principal_outstanding: detail.principal_outstanding.to_plain_yuan(),
            interest_outstanding: detail.interest_outstanding.to_plain_yuan(),
            penalty_outstanding: detail.penalty_outstanding.to_plain_yuan(),
            schedule_versions: detail
                .schedule_versions
                .iter()
                .map(|v| ScheduleVersionDto {
                    version: v.version,
                    first_number: v.first_number,
                    decided_on: v.decided_on.to_string(),
                    kind: v.kind.clone(),
                    prepayment_option: v.prepayment_option.clone(),
                    repayment_id: v.repayment_id.clone(),
                    principal: v.principal.to_plain_yuan(),
                    maturity_on: v.maturity_on.to_string(),
                })
                .collect(),
            schedule: detail
                .instalments
                .iter()
                .map(|row| InstalmentDto {
                    number: row.state.number,
                    due_on: row.state.due_on.to_string(),
                    principal: row.state.principal.to_plain_yuan(),
                    interest: row.state.interest.to_plain_yuan(),
                    paid_principal: row.state.paid_principal.to_plain_yuan(),
                    paid_interest: row.state.paid_interest.to_plain_yuan(),
                    interest_charged: row.interest_charged.to_plain_yuan(),
                    superseded: row.superseded,
                })
                .collect(),
            repayments: detail
                .repayments
                .iter()
                .map(|r| RepaymentDto {
                    id: r.id.clone(),
                    paid_on: r.paid_on.to_string(),
                    amount: r.amount.to_plain_yuan(),
                    kind: r.kind.clone(),
                    prepayment_option: r.prepayment_option.clone(),
                })
                .collect(),
            extensions: detail
                .extensions
                .iter()
                .map(|e| ExtensionDto {
                    kind: e.kind.clone(),
                    decided_on: e.decided_on.to_string(),
                    previous_maturity_on: e.previous_maturity_on.to_string(),
                    new_maturity_on: e.new_maturity_on.to_string(),
                    reason: e.reason.clone(),
                })
                .collect(),
            overdue_spells: detail
                .overdue_spells
                .iter()
                .map(|(from, to)| SpellDto {
                    from: from.to_string(),
                    to: to.map(|d| d.to_string()),
                })
                .collect(),
            transfers: detail
                .transfers
                .iter()
                .map(|t| TransferDto {
                    seq: t.seq,
                    id: t.transfer.id.clone(),
                    value_date: t.transfer.value_date.to_string(),
                    code: t.transfer.code.clone(),
                    amount: t.transfer.amount.to_plain_yuan(),
                    debit_account_id: t.transfer.debit_account_id,
                    credit_account_id: t.transfer.credit_account_id,
                })
                .collect(),
            loan: detail.loan.into(),
        }
    }
}

/// A loan product.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProductDto {
    pub code: String,
    pub name: String,
    pub category: String,
    pub borrower_type: String,
    pub max_amount: String,
    pub max_term_months: i64,
    pub annual_rate: String,
    pub repayment: String,
    pub day_count: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subsidy_rate: Option<String>,
    /// The risk fund's share of a loss, percent; absent when the fund does not cover it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_fund_share: Option<String>,
    pub institution_code: String,
    /// Counties where it is offered; empty = everywhere.
    pub counties: Vec<String>,
    /// Leading months of interest only (宽限期).
    pub grace_months: i64,
    /// Days after a due date before the overdue spell and penalty start.
    pub grace_days: i64,
    /// Penalty interest (罚息): the uplift on the contract rate, percent; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty_uplift: Option<String>,
    /// What a prepayment does unless the borrower chooses: `keep_term` or `keep_instalment`.
    pub prepayment_option: String,
}

// ---------------------------------------------------------------------------------------------
// parsing

pub fn date_field(field: &str, text: &str) -> Result<BusinessDate> {
    BusinessDate::parse(text.trim()).map_err(|e| Error::field(field, e.to_string()))
}

pub fn amount_field(field: &str, text: &str) -> Result<Fen> {
    Fen::parse_yuan(text.trim()).map_err(|e| Error::field(field, e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// products and loans

/// Products of one institution, or all.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    pub institution: Option<String>,
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

/// Loan products in code order (every role but administrators).
#[utoipa::path(
    get, path = "/api/products", tag = "loans", params(ProductsQuery),
    responses((status = 200, body = PageOf<ProductDto>), (status = 403, body = ErrorBody))
)]
async fn list_products(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ProductsQuery>,
) -> Result<axum::Json<PageOf<ProductDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let rows = loans::products_for(&state.db, &user.ctx, present(&query.institution)).await?;
    Ok(axum::Json(PageOf::from_paged(page.cut(rows, false), |p| {
        ProductDto {
            code: p.code,
            name: p.name,
            category: p.category,
            borrower_type: p.borrower_type,
            max_amount: p.max_amount.to_plain_yuan(),
            max_term_months: p.max_term_months,
            annual_rate: p.annual_rate.to_percent_string(),
            repayment: p.repayment,
            day_count: p.day_count,
            subsidy_rate: p.subsidy_rate.map(|r| r.to_percent_string()),
            risk_fund_share: p
                .risk_fund_share_ppm
                .map(|ppm| fupin_app::fupin_core::Rate::from_ppm(ppm).to_percent_string()),
            institution_code: p.institution_code,
            counties: p.counties.iter().map(|c| c.to_string()).collect(),
            grace_months: p.servicing.grace_months,
            grace_days: p.servicing.grace_days,
            penalty_uplift: p
                .servicing
                .penalty_uplift_ppm
                .map(|ppm| fupin_app::fupin_core::Rate::from_ppm(ppm).to_percent_string()),
            prepayment_option: p.servicing.prepayment_option,
        }
    })))
}

/// Filters of the loan list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoansQuery {
    /// Borrowers in villages at or under this region.
    pub region: Option<String>,
    /// The lending institution (a bank: its own).
    pub institution: Option<String>,
    pub product: Option<String>,
    /// Household id or credit code of the borrower.
    pub borrower: Option<String>,
    /// `active`, `settled`, `rolled_over`, `written_off`, or `overdue` (active with an
    /// instalment past due).
    pub status: Option<String>,
    /// Five-category class: `normal`, `special_mention`, `substandard`, `doubtful` or `loss`.
    pub class: Option<String>,
    /// Loans outstanding on this date (started, not closed).
    pub as_of: Option<String>,
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

/// The states a loan list can be filtered by.
pub const LOAN_STATUSES: [&str; 5] = ["active", "overdue", "settled", "rolled_over", "written_off"];
/// The five categories, best first.
pub const CLASSES: [&str; 5] = [
    "normal",
    "special_mention",
    "substandard",
    "doubtful",
    "loss",
];

/// A page of loans as the caller may see them.
pub async fn loans_page(
    state: &AppState,
    user: &CurrentUser,
    query: &LoansQuery,
) -> Result<fupin_app::paging::Paged<Loan>> {
    let page = Page::new(query.limit, query.offset)?;
    let asked = present(&query.status).map(str::to_string);
    if let Some(status) = &asked
        && !LOAN_STATUSES.contains(&status.as_str())
    {
        return Err(Error::field(
            "status",
            "must be active, overdue, settled, rolled_over or written_off",
        ));
    }
    let overdue = asked.as_deref() == Some("overdue");
    let status = match overdue {
        true => Some("active".to_string()),
        false => asked,
    };
    let standing = loans::LoanStanding {
        overdue,
        classification: present(&query.class).map(str::to_string),
    };
    let filter = LoanFilter {
        within: region_param("region", &query.region)?,
        institution: present(&query.institution).map(str::to_string),
        product: present(&query.product).map(str::to_string),
        borrower_id: present(&query.borrower).map(str::to_string),
        status,
        as_of: match present(&query.as_of) {
            Some(text) => Some(date_field("as_of", text)?),
            None => None,
        },
        limit: page.limit() + 1,
        offset: page.offset(),
    };
    let rows = loans::list_standing_for(&state.db, &user.ctx, &filter, &standing).await?;
    Ok(page.cut(rows, true))
}

/// Loans: the regulator's region; a bank its own. Others: 403.
#[utoipa::path(
    get, path = "/api/loans", tag = "loans", params(LoansQuery),
    responses(
        (status = 200, body = PageOf<LoanDto>),
        (status = 403, body = ErrorBody),
        (status = 404, description = "The region or institution is outside the caller's scope", body = ErrorBody),
    )
)]
async fn list_loans(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<LoansQuery>,
) -> Result<axum::Json<PageOf<LoanDto>>> {
    let paged = loans_page(&state, &user, &query).await?;
    Ok(axum::Json(PageOf::from_paged(paged, LoanDto::from)))
}

/// One loan with its schedule, repayments, extensions, overdue spells and ledger transfers.
/// Another bank's loan, or one outside the regulator's region: 404.
#[utoipa::path(
    get, path = "/api/loans/{institution}/{contract}", tag = "loans",
    params(
        ("institution" = String, Path, description = "The lending institution's code"),
        ("contract" = String, Path, description = "The contract number"),
    ),
    responses((status = 200, body = LoanDetailDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn get_loan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, contract)): Path<(String, String)>,
) -> Result<axum::Json<LoanDetailDto>> {
    let detail = loans::show(&state.db, &user.ctx, &institution, &contract).await?;
    Ok(axum::Json(detail.into()))
}

/// A repayment.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RepayBody {
    /// The repayment's id, unique within the institution: the same id again is the same
    /// repayment.
    pub id: String,
    /// YYYY-MM-DD.
    pub paid_on: String,
    /// Yuan, e.g. `1492.94`.
    pub amount: String,
    /// A partial prepayment (提前部分还款): more than is due may be paid, the rest repaying
    /// principal under a new schedule.
    #[serde(default)]
    pub prepayment: bool,
    /// `keep_term` (lower instalments) or `keep_instalment` (shorter term); absent: the
    /// product's default. Only with `prepayment`.
    #[serde(default)]
    pub prepayment_option: Option<String>,
}

/// The prepayment a repayment body asks for, if any.
fn prepayment_field(body: &RepayBody) -> Result<Option<Prepayment>> {
    let option = match body.prepayment_option.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(PrepaymentOption::parse(text).ok_or_else(|| {
            Error::field("prepayment_option", "must be keep_term or keep_instalment")
        })?),
    };
    match (body.prepayment, option) {
        (true, option) => Ok(Some(Prepayment { option })),
        (false, None) => Ok(None),
        (false, Some(_)) => Err(Error::field(
            "prepayment_option",
            "is only for a prepayment (prepayment: true)",
        )),
    }
}

/// What a repayment did, and the loan after it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RepaidDto {
    /// `applied`, `recovered` (on a written-off loan) or `already_applied`.
    pub outcome: String,
    pub principal: String,
    pub interest: String,
    /// Penalty interest (罚息) collected, before interest and principal.
    pub penalty: String,
    pub recovered: String,
    pub settled: bool,
    pub loan: LoanDto,
}

/// Applies a repayment (banks, their own loans). Moves money: `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/repayments", tag = "loans",
    request_body = RepayBody,
    params(
        ("institution" = String, Path, description = "The lending institution's code"),
        ("contract" = String, Path, description = "The contract number"),
        ("Idempotency-Key" = String, Header, description = "Required: a retry with the same key returns the first answer"),
    ),
    responses(
        (status = 201, body = RepaidDto),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The repayment id was used with other content, or the loan is closed", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn repay(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<RepayBody>,
) -> Result<(StatusCode, axum::Json<RepaidDto>)> {
    let id = body.id.trim();
    if id.is_empty() {
        return Err(Error::field("id", "is required"));
    }
    let order = RepaymentOrder {
        institution_code: institution.clone(),
        id: id.to_string(),
        contract_no: contract.clone(),
        paid_on: date_field("paid_on", &body.paid_on)?,
        amount: amount_field("amount", &body.amount)?,
        prepayment: prepayment_field(&body)?,
    };
    let outcome = loans::repay_command(&state.db, &user.ctx, &order).await?;
    let loan = loans::show(&state.db, &user.ctx, &institution, &contract)
        .await?
        .loan;
    let zero = Fen::ZERO.to_plain_yuan();
    let dto = match outcome {
        RepaymentOutcome::Applied {
            principal,
            interest,
            penalty,
            settled,
        } => RepaidDto {
            outcome: "applied".into(),
            principal: principal.to_plain_yuan(),
            interest: interest.to_plain_yuan(),
            penalty: penalty.to_plain_yuan(),
            recovered: zero,
            settled,
            loan: loan.into(),
        },
        RepaymentOutcome::Recovered(amount) => RepaidDto {
            outcome: "recovered".into(),
            principal: zero.clone(),
            interest: zero.clone(),
            penalty: zero,
            recovered: amount.to_plain_yuan(),
            settled: false,
            loan: loan.into(),
        },
        RepaymentOutcome::AlreadyApplied => RepaidDto {
            outcome: "already_applied".into(),
            principal: zero.clone(),
            interest: zero.clone(),
            penalty: zero.clone(),
            recovered: zero,
            settled: false,
            loan: loan.into(),
        },
    };
    Ok((StatusCode::CREATED, axum::Json(dto)))
}

/// An extension of the maturity.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ExtendBody {
    /// The decision's date: instalments due after it are rescheduled.
    pub on: String,
    /// The new maturity date.
    pub maturity: String,
    pub reason: String,
}

/// Extends a loan's maturity (banks, their own loans). Accepts `Idempotency-Key`.
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/extension", tag = "loans",
    request_body = ExtendBody,
    params(
        ("institution" = String, Path, description = "The lending institution's code"),
        ("contract" = String, Path, description = "The contract number"),
    ),
    responses((status = 200, body = LoanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn extend(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<ExtendBody>,
) -> Result<axum::Json<LoanDto>> {
    let loan = loans::extend_command(
        &state.db,
        &user.ctx,
        &institution,
        &contract,
        date_field("on", &body.on)?,
        date_field("maturity", &body.maturity)?,
        &body.reason,
    )
    .await?;
    Ok(axum::Json(loan.into()))
}

/// A rollover into a new contract.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RollOverBody {
    pub new_contract: String,
    pub on: String,
    pub maturity: String,
    pub reason: String,
}

/// Rolls a loan over into a new contract for its outstanding principal (banks, their own
/// loans). Moves money: `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/rollover", tag = "loans",
    request_body = RollOverBody,
    params(
        ("institution" = String, Path, description = "The lending institution's code"),
        ("contract" = String, Path, description = "The contract number"),
        ("Idempotency-Key" = String, Header, description = "Required"),
    ),
    responses((status = 201, description = "The new loan", body = LoanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn roll_over(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<RollOverBody>,
) -> Result<(StatusCode, axum::Json<LoanDto>)> {
    let loan = loans::roll_over_command(
        &state.db,
        &user.ctx,
        &institution,
        &contract,
        &body.new_contract,
        date_field("on", &body.on)?,
        date_field("maturity", &body.maturity)?,
        &body.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(loan.into())))
}

/// A write-off.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct WriteOffBody {
    pub on: String,
    pub reason: String,
}

/// What a write-off moved.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WrittenOffDto {
    /// Principal and charged interest written off, yuan.
    pub written_off: String,
    pub loan: LoanDto,
}

/// Writes off what is left of a loan (banks, their own loans). Moves money:
/// `Idempotency-Key` is required.
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/write-off", tag = "loans",
    request_body = WriteOffBody,
    params(
        ("institution" = String, Path, description = "The lending institution's code"),
        ("contract" = String, Path, description = "The contract number"),
        ("Idempotency-Key" = String, Header, description = "Required"),
    ),
    responses((status = 200, body = WrittenOffDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn write_off(
    State(state): State<AppState>,
    user: CurrentUser,
    _key: RequiredKey,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<WriteOffBody>,
) -> Result<axum::Json<WrittenOffDto>> {
    let (amount, loan) = loans::write_off_command(
        &state.db,
        &user.ctx,
        &institution,
        &contract,
        date_field("on", &body.on)?,
        &body.reason,
    )
    .await?;
    Ok(axum::Json(WrittenOffDto {
        written_off: amount.to_plain_yuan(),
        loan: loan.into(),
    }))
}

// ---------------------------------------------------------------------------------------------
// end of day

/// Where end of day stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EodStatusDto {
    /// The last business day completed; absent before the first run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_done: Option<String>,
}

/// The last day end of day has completed (administrators).
#[utoipa::path(
    get, path = "/api/eod", tag = "operations",
    responses((status = 200, body = EodStatusDto), (status = 403, body = ErrorBody))
)]
async fn eod_status(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<axum::Json<EodStatusDto>> {
    let last = loans::eod::last_done(&state.db, &user.ctx).await?;
    Ok(axum::Json(EodStatusDto {
        last_done: last.map(|d| d.to_string()),
    }))
}

/// Days to process.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct EodBody {
    /// Process every day not yet processed, through this date (not after today).
    pub through: String,
    /// The first day, when end of day has never run (default: the earliest loan start).
    #[serde(default)]
    pub from: Option<String>,
}

/// What a run of end of day did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EodRunDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    pub days: usize,
    pub interest_charges: u64,
    pub reclassified: u64,
    pub risk_claims: u64,
    /// Loans overdue at the end of the last day processed.
    pub overdue_loans: u64,
}

/// Runs end of day for every day not yet processed through `through` (administrators: it
/// posts every bank's interest and classifies every loan). Idempotent: a processed day is not
/// processed again. Accepts `Idempotency-Key`.
#[utoipa::path(
    post, path = "/api/eod", tag = "operations", request_body = EodBody,
    responses((status = 200, body = EodRunDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn run_eod(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<EodBody>,
) -> Result<axum::Json<EodRunDto>> {
    let through = date_field("through", &body.through)?;
    if through > super::today() {
        return Err(Error::field(
            "through",
            format!("{through} is after today: end of day runs for days that have ended"),
        ));
    }
    let from = match body
        .from
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(text) => Some(date_field("from", text)?),
        None => None,
    };
    let report = loans::eod::run(&state.db, &user.ctx, through, from, &mut |_| {}).await?;
    Ok(axum::Json(EodRunDto {
        first: report.first.map(|d| d.to_string()),
        last: report.last.map(|d| d.to_string()),
        days: report.days.len(),
        interest_charges: report.days.iter().map(|d| d.interest_charges).sum(),
        reclassified: report.days.iter().map(|d| d.reclassified).sum(),
        risk_claims: report.days.iter().map(|d| d.risk_claims).sum(),
        overdue_loans: report.days.last().map_or(0, |d| d.overdue_loans),
    }))
}

// ---------------------------------------------------------------------------------------------
// pages: loans, one loan

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::OriginalUri;
use axum::routing::get;
use serde_json::json;

use crate::i18n::Lang;
use crate::layout::Layout;
use crate::names::Names;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/loans", get(loans_list_page))
        .route("/loans/{institution}/{contract}", get(loan_page))
        .route(
            "/loans/{institution}/{contract}/prepay",
            axum::routing::post(prepay_form),
        )
}

/// The loan page's prepayment form.
#[derive(Clone, Debug, Deserialize)]
pub struct PrepayForm {
    pub id: String,
    pub paid_on: String,
    pub amount: String,
    /// `keep_term`, `keep_instalment`, or empty for the product's default.
    #[serde(default)]
    pub prepayment_option: Option<String>,
}

/// Applies a prepayment from the loan page; a refusal is shown on the page, with its reason.
async fn prepay_form(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Path((institution, contract)): Path<(String, String)>,
    crate::extract::Form(form): crate::extract::Form<PrepayForm>,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let outcome: Result<RepaymentOutcome> = async {
        let body = RepayBody {
            id: form.id.trim().to_string(),
            paid_on: form.paid_on,
            amount: form.amount,
            prepayment: true,
            prepayment_option: form.prepayment_option,
        };
        if body.id.is_empty() {
            return Err(Error::field("id", "is required"));
        }
        let order = RepaymentOrder {
            institution_code: institution.clone(),
            id: body.id.clone(),
            contract_no: contract.clone(),
            paid_on: date_field("paid_on", &body.paid_on)?,
            amount: amount_field("amount", &body.amount)?,
            prepayment: prepayment_field(&body)?,
        };
        Ok(loans::repay_command(&state.db, &user.ctx, &order).await?)
    }
    .await;
    let page_path = format!(
        "/loans/{}/{}",
        urlencoding_path(&institution),
        urlencoding_path(&contract)
    );
    match outcome {
        Ok(_) => Ok(axum::response::Redirect::to(&page_path).into_response()),
        Err(error) => {
            let message = match error {
                Error::Unprocessable { message, .. }
                | Error::BadRequest { message, .. }
                | Error::Conflict { message, .. } => crate::labels::message(lang, &message),
                other => return Err(other),
            };
            let page = render_loan(
                &state,
                &user,
                lang,
                &page_path,
                &institution,
                &contract,
                Some(message),
            )
            .await?;
            Ok(page.into_response())
        }
    }
}

/// A path segment with the characters a URL path cannot carry escaped.
fn urlencoding_path(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "loans.html")]
struct LoansPage {
    layout: Layout,
    region: String,
    statuses: Vec<(&'static str, bool)>,
    classes: Vec<(&'static str, bool)>,
    borrower: String,
    rows: Vec<LoanDto>,
    more: bool,
    names: Names,
    /// Household heads by household id.
    borrowers: std::collections::HashMap<String, String>,
    /// The maturity wall and the renewal and extension requests pending.
    wall: super::maturity::WallSection,
}

async fn loans_list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<LoansQuery>,
) -> Result<LoansPage> {
    let query = LoansQuery {
        limit: Some(500),
        offset: None,
        ..query
    };
    let paged = loans_page(&state, &user, &query).await?;
    let wall_date = super::page_date(&state, &query.as_of).await?;
    let wall = super::maturity::section(
        &state,
        &user,
        lang,
        region_param("region", &query.region)?,
        super::date_param("as_of", &wall_date)?,
    )
    .await?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/loans");
    let rows: Vec<LoanDto> = paged.items.into_iter().map(LoanDto::from).collect();
    let institutions: Vec<String> = rows.iter().map(|l| l.institution_code.clone()).collect();
    let borrowers = borrower_names(&state, &user, &rows).await?;
    let names = Names::load(&state.db, lang, Vec::new(), institutions)
        .await?
        .with_products(&state.db)
        .await?;
    let selected = |options: [&'static str; 5], asked: &Option<String>| {
        options
            .into_iter()
            .map(|option| (option, present(asked) == Some(option)))
            .collect()
    };
    Ok(LoansPage {
        layout: Layout::new(lang, Some(&user.principal), path, "loans.title"),
        region: present(&query.region).unwrap_or("").to_string(),
        statuses: selected(LOAN_STATUSES, &query.status),
        classes: selected(CLASSES, &query.class),
        borrower: present(&query.borrower).unwrap_or("").to_string(),
        more: paged.next_offset.is_some(),
        rows,
        names,
        borrowers,
        wall,
    })
}

/// The heads of the borrowing households of `rows`, by household id, on the data's latest
/// date (one statement for the page).
async fn borrower_names(
    state: &AppState,
    user: &CurrentUser,
    rows: &[LoanDto],
) -> Result<std::collections::HashMap<String, String>> {
    let households: Vec<String> = rows
        .iter()
        .filter(|l| l.borrower_type == "household")
        .map(|l| l.borrower_id.clone())
        .collect();
    if households.is_empty() {
        return Ok(Default::default());
    }
    let as_of = fupin_app::data_date::latest(&state.db, super::today()).await?;
    let heads = fupin_app::registry::heads_on(&state.db, &user.ctx, &households, as_of).await?;
    Ok(heads
        .into_iter()
        .map(|head| (head.household_id, head.name))
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "loan.html")]
struct LoanPage {
    layout: Layout,
    detail: LoanDetailDto,
    chart: String,
    /// The head of the borrowing household, or the enterprise's name; empty when unknown.
    borrower_name: String,
    names: Names,
    /// Whether the user may repay this loan (an active loan, a role that changes loans).
    can_repay: bool,
    /// Why the last prepayment from this page was refused.
    refusal: Option<String>,
    /// The loan's guarantors (household guarantors' resident IDs masked).
    guarantees: Vec<super::guarantees::GuaranteeDto>,
    /// The loan's co-borrowers (resident IDs masked).
    co_borrowers: Vec<super::co_borrowers::CoBorrowerDto>,
}

async fn loan_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path((institution, contract)): Path<(String, String)>,
) -> Result<LoanPage> {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/loans");
    render_loan(&state, &user, lang, path, &institution, &contract, None).await
}

async fn render_loan(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    path: &str,
    institution: &str,
    contract: &str,
    refusal: Option<String>,
) -> Result<LoanPage> {
    let detail: LoanDetailDto = loans::show(&state.db, &user.ctx, institution, contract)
        .await?
        .into();
    let live: Vec<&InstalmentDto> = detail.schedule.iter().filter(|r| !r.superseded).collect();
    let chart = json!({
        "animation": false,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 48, "right": 24, "top": 24, "bottom": 60, "containLabel": true},
        "xAxis": {"type": "category", "data": live.iter().map(|r| r.due_on.clone()).collect::<Vec<_>>()},
        "yAxis": {"type": "value", "name": lang.t("unit.yuan")},
        "series": [
            {"type": "bar", "stack": "due", "name": lang.t("col.principal"), "data": live.iter().map(|r| r.principal.parse::<f64>().unwrap_or(0.0)).collect::<Vec<_>>(), "itemStyle": {"color": "#0b5cad"}},
            {"type": "bar", "stack": "due", "name": lang.t("col.interest"), "data": live.iter().map(|r| r.interest.parse::<f64>().unwrap_or(0.0)).collect::<Vec<_>>(), "itemStyle": {"color": "#d69e2e"}},
        ],
    })
    .to_string();
    let borrower_name = borrower_name(state, user, &detail.loan).await;
    let can_repay = detail.loan.status == "active"
        && fupin_app::access::allows(
            user.ctx.actor.role,
            fupin_app::access::Area::Loans,
            fupin_app::access::Access::Write,
        );
    let guarantees = super::guarantees::page_guarantees(state, user, institution, contract).await?;
    let co_borrowers =
        super::co_borrowers::page_co_borrowers(state, user, institution, contract).await?;
    let mut institutions = vec![detail.loan.institution_code.clone()];
    for g in &guarantees {
        if g.guarantor_type == "company" {
            institutions.push(g.guarantor_id.clone());
        }
    }
    let names = Names::load(
        &state.db,
        lang,
        [detail.loan.village_code.clone()],
        institutions,
    )
    .await?
    .with_products(&state.db)
    .await?;
    Ok(LoanPage {
        layout: Layout::new(lang, Some(&user.principal), path, "loan.title"),
        detail,
        chart,
        borrower_name,
        names,
        can_repay,
        refusal,
        guarantees,
        co_borrowers,
    })
}

/// The name of a borrowing household's head as the caller may read it (empty when the
/// household is not visible to the caller or not in the registry on the data's date).
async fn borrower_name(state: &AppState, user: &CurrentUser, loan: &LoanDto) -> String {
    if loan.borrower_type != "household" {
        return String::new();
    }
    let today = super::today();
    let Ok(as_of) = fupin_app::data_date::latest(&state.db, today).await else {
        return String::new();
    };
    let detail = fupin_app::registry::show_household(
        &state.db,
        &user.ctx,
        &loan.borrower_id,
        as_of,
        false,
        today,
    )
    .await;
    detail
        .ok()
        .and_then(|d| d.members.into_iter().find(|m| m.member.relation == "head"))
        .map(|head| head.member.name)
        .unwrap_or_default()
}
