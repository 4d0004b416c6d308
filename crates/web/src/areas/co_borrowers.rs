//! Co-borrowers of loans (共同借款人): the API to list and name them, and what the loan and
//! household pages show of them. Who may do what is decided by
//! `fupin_app::loans::co_borrowers`.

use axum::extract::State;
use axum::http::StatusCode;
use fupin_app::fupin_core::BusinessDate;
use fupin_app::loans::co_borrowers::{self, CoBorrowedLoan, CoBorrower, NewCoBorrower, RELATIONS};
use fupin_app::outcome::Applied;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Json, Path};

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(loan_co_borrowers, add_co_borrower))
}

/// A co-borrower of a loan, the ID number masked.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CoBorrowerDto {
    pub id_number: String,
    pub name: String,
    /// `spouse`, `child`, `parent`, `sibling` or `other`.
    pub relation: String,
    pub signed_on: String,
    /// The person's household when they signed, if the registry holds them.
    pub household_id: Option<String>,
}

impl From<CoBorrower> for CoBorrowerDto {
    fn from(c: CoBorrower) -> CoBorrowerDto {
        CoBorrowerDto {
            id_number: c.id_number,
            name: c.name,
            relation: c.relation,
            signed_on: c.signed_on.to_string(),
            household_id: c.household_id,
        }
    }
}

/// A loan a household's member co-borrows, for the household page.
#[derive(Clone, Debug)]
pub struct CoBorrowedRow {
    pub co_borrower: CoBorrowerDto,
    pub institution_code: String,
    pub contract_no: String,
    pub borrower_id: String,
    pub status: String,
    /// Yuan with two decimals.
    pub principal_outstanding: String,
}

impl From<CoBorrowedLoan> for CoBorrowedRow {
    fn from(loan: CoBorrowedLoan) -> CoBorrowedRow {
        CoBorrowedRow {
            co_borrower: loan.co_borrower.into(),
            institution_code: loan.institution_code,
            contract_no: loan.contract_no,
            borrower_id: loan.borrower_id,
            status: loan.status,
            principal_outstanding: loan.principal_outstanding.to_plain_yuan(),
        }
    }
}

/// The co-borrowers of a loan (those who read the loan; ID numbers masked).
#[utoipa::path(
    get, path = "/api/loans/{institution}/{contract}/co-borrowers", tag = "loans",
    params(("institution" = String, Path), ("contract" = String, Path)),
    responses((status = 200, body = Vec<CoBorrowerDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn loan_co_borrowers(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, contract)): Path<(String, String)>,
) -> Result<axum::Json<Vec<CoBorrowerDto>>> {
    let found = co_borrowers::of_loan(&state.db, &user.ctx, &institution, &contract).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}

/// A co-borrower to name on a loan.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct CoBorrowerBody {
    /// The resident ID number (18 characters).
    pub id_number: String,
    /// As the registry names the person, when it holds them.
    pub name: String,
    /// `spouse`, `child`, `parent`, `sibling`, `other` (or 配偶, 子女, 父母, 兄弟姐妹, 其他).
    pub relation: String,
    pub signed_on: String,
}

/// What naming a co-borrower did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordedDto {
    /// `recorded` or `already_recorded`.
    pub outcome: String,
}

/// Names a co-borrower of a loan (its bank): an adult, alive, not the borrowing household's
/// head, named as the registry names them, at most three a loan. The same again answers 200
/// `already_recorded`; the same person with other content is a conflict.
#[utoipa::path(
    post, path = "/api/loans/{institution}/{contract}/co-borrowers", tag = "loans", request_body = CoBorrowerBody,
    params(("institution" = String, Path), ("contract" = String, Path)),
    responses((status = 201, body = RecordedDto), (status = 200, body = RecordedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn add_co_borrower(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((institution, contract)): Path<(String, String)>,
    Json(body): Json<CoBorrowerBody>,
) -> Result<(StatusCode, axum::Json<RecordedDto>)> {
    let relation = RELATIONS
        .iter()
        .find(|(english, chinese, _)| {
            *english == body.relation.trim() || *chinese == body.relation.trim()
        })
        .map(|(english, _, _)| english.to_string())
        .ok_or_else(|| {
            Error::field(
                "relation",
                "must be spouse, child, parent, sibling or other",
            )
        })?;
    let signed_on = BusinessDate::parse(body.signed_on.trim())
        .map_err(|e| Error::field("signed_on", e.to_string()))?;
    let new = NewCoBorrower {
        institution_code: institution,
        contract_no: contract,
        id_number: body.id_number,
        name: body.name,
        relation,
        signed_on,
    };
    let (status, outcome) = match co_borrowers::add_command(&state.db, &user.ctx, &new).await? {
        Applied::Unchanged => (StatusCode::OK, "already_recorded"),
        Applied::Added | Applied::Changed => (StatusCode::CREATED, "recorded"),
    };
    Ok((
        status,
        axum::Json(RecordedDto {
            outcome: outcome.to_string(),
        }),
    ))
}

/// The co-borrowers the loan page lists: none for roles that do not read loans in detail.
pub async fn page_co_borrowers(
    state: &AppState,
    user: &CurrentUser,
    institution: &str,
    contract: &str,
) -> Result<Vec<CoBorrowerDto>> {
    let found = co_borrowers::of_loan(&state.db, &user.ctx, institution, contract).await?;
    Ok(found.into_iter().map(Into::into).collect())
}

/// The loans a household's members co-borrow, for its page.
pub async fn household_co_borrowed(
    state: &AppState,
    user: &CurrentUser,
    household_id: &str,
) -> Result<Vec<CoBorrowedRow>> {
    let found = co_borrowers::of_household(&state.db, &user.ctx, household_id).await?;
    Ok(found.into_iter().map(Into::into).collect())
}
