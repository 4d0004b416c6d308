//! The rules a new loan must meet: its product's caps and, for poverty micro-credit, national
//! policy (国开办发〔2014〕78号, 银监发〔2017〕42号): at most 50,000 yuan, at most 36 months, a
//! registered household borrower (poor, exited or relapsed) whose head is 18–65 at signing, and
//! "household borrows, uses and repays" — never an enterprise's equity or on-lending.

use fupin_core::schedule::{DayCount, RepaymentMethod};
use fupin_core::{BusinessDate, Fen, Rate, RegionCode, RegionLevel};
use fupin_store::loans::{LoanTerms, Product};
use fupin_store::{Db, Tx};

use super::borrowers::Borrowers;
use super::{Lookups, whole_months};
use crate::error::Result;

/// A loan as asked for (a row of the `loans` file or a command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanRequest {
    pub institution_code: String,
    pub contract_no: String,
    pub product_code: String,
    pub borrower_type: String,
    pub borrower_id: String,
    pub principal: Fen,
    pub annual_rate: Rate,
    pub start_on: BusinessDate,
    pub maturity_on: BusinessDate,
    pub repayment: Option<String>,
    pub purpose: String,
    pub project: Option<String>,
    /// The bank's loan officer (信贷员), optional.
    pub officer: Option<String>,
}

/// A refusal: the field it concerns and why.
pub type Refusal = (&'static str, String);

/// Policy caps of poverty micro-credit.
pub const MICROCREDIT_MAX_AMOUNT: Fen = Fen::new(5_000_000);
pub const MICROCREDIT_MAX_TERM_MONTHS: u32 = 36;
pub const MICROCREDIT_BORROWER_AGE_MIN: i32 = 18;
pub const MICROCREDIT_BORROWER_AGE_MAX: i32 = 65;

/// Words that mark a household loan's funds going to an enterprise (户贷企用).
const ENTERPRISE_USE_MARKERS: &[&str] = &[
    "入股",
    "分红",
    "转贷",
    "户贷企用",
    "企业使用",
    "交由企业",
    "合作社使用",
    "equity",
    "on-lending",
    "on_lending",
    "onlending",
    "dividend",
];

/// Checks a request against its product, its borrower and policy; on success returns the
/// loan's terms (with the borrower's village) and its product.
pub async fn check(
    db: &Db,
    tx: &mut Tx,
    request: &LoanRequest,
) -> Result<Result<(LoanTerms, Product), Vec<Refusal>>> {
    check_with(db, tx, request, &mut Lookups::default()).await
}

/// [`check`], reusing what earlier loans of the same transaction looked up.
pub async fn check_with(
    _db: &Db,
    tx: &mut Tx,
    request: &LoanRequest,
    lookups: &mut Lookups,
) -> Result<Result<(LoanTerms, Product), Vec<Refusal>>> {
    let Some(product) = lookups.product(tx, &request.product_code).await? else {
        return Ok(Err(vec![(
            "product_code",
            format!("product {} does not exist", request.product_code),
        )]));
    };
    let mut refusals = product_refusals(request, &product);
    let village = match borrower_village(tx, request, &product, lookups, &mut refusals).await? {
        Some(village) => village,
        None => return Ok(Err(refusals)),
    };
    if !product.counties.is_empty() {
        let county = village.ancestor_at(RegionLevel::County);
        if !product.counties.iter().any(|c| Some(*c) == county) {
            refusals.push((
                "product_code",
                format!(
                    "product {} is not offered in the borrower's county",
                    product.code
                ),
            ));
        }
    }
    if !refusals.is_empty() {
        return Ok(Err(refusals));
    }
    let mut terms = LoanTerms {
        institution_code: request.institution_code.clone(),
        contract_no: request.contract_no.clone(),
        product_code: request.product_code.clone(),
        borrower_type: request.borrower_type.clone(),
        borrower_id: request.borrower_id.clone(),
        village_code: village,
        principal: request.principal,
        annual_rate: request.annual_rate,
        start_on: request.start_on,
        maturity_on: request.maturity_on,
        repayment: request
            .repayment
            .clone()
            .unwrap_or_else(|| product.repayment.clone()),
        day_count: product.day_count.clone(),
        purpose: request.purpose.clone(),
        project: request.project.clone(),
        officer: request.officer.clone(),
    };
    terms.repayment = canonical_method(&terms.repayment);
    let pending = lookups.pending();
    if let Some(message) = crate::funds::leverage_refusal(tx, &terms, &product, pending).await? {
        return Ok(Err(vec![("principal", message)]));
    }
    let draws = terms.borrower_type == "household"
        && lookups.draws_on_credit_line(tx, &product.code).await?;
    let pending = lookups.pending();
    if let Some(message) =
        crate::credit::line_refusal_drawing(tx, &terms, &product, draws, pending).await?
    {
        return Ok(Err(vec![("principal", message)]));
    }
    Ok(Ok((terms, product)))
}

/// Why a method cannot go with a day count or a grace, if it cannot.
pub fn method_refusal(
    method: &str,
    day_count: &str,
    grace_months: i64,
    term_months: Option<i64>,
) -> Option<String> {
    let method = RepaymentMethod::parse(method).ok()?;
    let day_count = DayCount::parse(day_count).ok()?;
    if let Err(error) = method.check_day_count(day_count) {
        return Some(error.to_string());
    }
    let grace = u32::try_from(grace_months).ok()?;
    let term = term_months
        .and_then(|t| u32::try_from(t).ok())
        .unwrap_or(u32::MAX);
    method.check_grace(grace, term).err().map(|e| e.to_string())
}

/// Everything checkable from the request and the product alone.
fn product_refusals(request: &LoanRequest, product: &Product) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    if product.institution_code != request.institution_code {
        refusals.push((
            "product_code",
            format!(
                "product {} belongs to {}, not {}",
                product.code, product.institution_code, request.institution_code
            ),
        ));
    }
    if product.borrower_type != request.borrower_type {
        refusals.push((
            "borrower_type",
            format!(
                "product {} lends to a {}, not a {}",
                product.code, product.borrower_type, request.borrower_type
            ),
        ));
    }
    if !request.principal.is_positive() {
        refusals.push(("principal", "the principal must be positive".to_string()));
    }
    if request.principal > product.max_amount {
        refusals.push((
            "principal",
            format!(
                "{} is above product {}'s maximum of {}",
                request.principal, product.code, product.max_amount
            ),
        ));
    }
    match whole_months(request.start_on, request.maturity_on) {
        None => refusals.push((
            "maturity_on",
            format!(
                "{} is not a whole number of months after {}",
                request.maturity_on, request.start_on
            ),
        )),
        Some(months) if i64::from(months) > product.max_term_months => {
            refusals.push((
                "maturity_on",
                format!(
                    "a term of {months} months is above product {}'s maximum of {}",
                    product.code, product.max_term_months
                ),
            ));
        }
        Some(_) => {}
    }
    if let Some(method) = &request.repayment
        && let Err(error) = RepaymentMethod::parse(method)
    {
        refusals.push(("repayment", error.to_string()));
    }
    let method = request.repayment.as_ref().unwrap_or(&product.repayment);
    let term = whole_months(request.start_on, request.maturity_on).map(i64::from);
    if let Some(message) = method_refusal(
        method,
        &product.day_count,
        product.servicing.grace_months,
        term,
    ) {
        refusals.push(("repayment", message));
    }
    if product.category == "poverty_microcredit" {
        refusals.extend(microcredit_refusals(request));
    }
    refusals
}

fn microcredit_refusals(request: &LoanRequest) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    if request.principal > MICROCREDIT_MAX_AMOUNT {
        refusals.push((
            "principal",
            format!(
                "poverty micro-credit is at most {MICROCREDIT_MAX_AMOUNT} per household, not {}",
                request.principal
            ),
        ));
    }
    if whole_months(request.start_on, request.maturity_on)
        .is_some_and(|m| m > MICROCREDIT_MAX_TERM_MONTHS)
    {
        refusals.push((
            "maturity_on",
            format!("poverty micro-credit is at most {MICROCREDIT_MAX_TERM_MONTHS} months"),
        ));
    }
    let purpose = request.purpose.to_lowercase();
    if let Some(marker) = ENTERPRISE_USE_MARKERS.iter().find(|m| purpose.contains(*m)) {
        refusals.push((
            "purpose",
            format!("poverty micro-credit must be borrowed, used and repaid by the household (户借、户用、户还); \"{marker}\" means the funds would go to an enterprise (户贷企用)"),
        ));
    }
    refusals
}

/// Finds the borrower and returns its village; adds refusals when it is not eligible.
async fn borrower_village(
    tx: &mut Tx,
    request: &LoanRequest,
    product: &Product,
    lookups: &Lookups,
    refusals: &mut Vec<Refusal>,
) -> Result<Option<RegionCode>> {
    let borrowers = &lookups.borrowers;
    match request.borrower_type.as_str() {
        "household" => household_village(tx, request, product, borrowers, refusals).await,
        "enterprise" => match borrowers.enterprise(tx, &request.borrower_id).await? {
            Some(enterprise) => Ok(Some(enterprise.village_code)),
            None => {
                refusals.push((
                    "borrower_id",
                    format!("enterprise {} is not registered", request.borrower_id),
                ));
                Ok(None)
            }
        },
        other => {
            refusals.push((
                "borrower_type",
                format!("{other:?} is not household or enterprise"),
            ));
            Ok(None)
        }
    }
}

async fn household_village(
    tx: &mut Tx,
    request: &LoanRequest,
    product: &Product,
    borrowers: &Borrowers,
    refusals: &mut Vec<Refusal>,
) -> Result<Option<RegionCode>> {
    let id = &request.borrower_id;
    let Some(version) = borrowers.household_on(tx, id, request.start_on).await? else {
        refusals.push((
            "borrower_id",
            format!(
                "household {id} is not in the registry on {}",
                request.start_on
            ),
        ));
        return Ok(None);
    };
    if !["poor", "exited", "relapsed"].contains(&version.facts.status.as_str()) {
        refusals.push((
            "borrower_id",
            format!("household {id} has status {}", version.facts.status),
        ));
    }
    if product.category == "poverty_microcredit" {
        match borrowers.head_on(tx, id, request.start_on).await? {
            None => refusals.push((
                "borrower_id",
                format!("household {id} has no head on {}", request.start_on),
            )),
            Some(head) => {
                let age = age_on(head.member.birth_date, request.start_on);
                if !(MICROCREDIT_BORROWER_AGE_MIN..=MICROCREDIT_BORROWER_AGE_MAX).contains(&age) {
                    refusals.push((
                        "borrower_id",
                        format!("the head of household {id} is {age} at signing; poverty micro-credit needs 18 to 65"),
                    ));
                }
            }
        }
    }
    Ok(Some(version.facts.village_code))
}

/// The method's canonical name (a file may say `等额本息`).
fn canonical_method(text: &str) -> String {
    RepaymentMethod::parse(text).map_or_else(|_| text.to_string(), |m| m.as_str().to_string())
}

/// Completed years between a birth date and a date.
pub fn age_on(birth: BusinessDate, on: BusinessDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}
