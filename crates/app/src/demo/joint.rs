//! Who else answers for a loan in the demo (issue #26): the spouse of a micro-credit borrower
//! as its co-borrower, and a city guarantee company (4-3-2-1) guaranteeing part of each
//! county's enterprise loans. Only loans in good standing are chosen, by count and order, so
//! no loss is shared and every figure of the article stays as it was.

use fupin_core::{RegionCode, ResidentId};
use fupin_store::Db;
use fupin_store::loans::{self, Loan, LoanFilter};

use super::lending;
use super::plan::{self, COUNTIES};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::guarantees::{self, Company, GuarantorKind, NewGuarantee, ProductTerms};
use crate::loans::co_borrowers::{self, NewCoBorrower};

/// The guarantee company of the scenario (上饶市融资担保有限公司).
pub const COMPANY: &str = "SRFG";
/// Micro-credit loans per county whose borrower's spouse co-borrows.
const CO_BORROWED_PER_COUNTY: usize = 30;
/// Enterprise loans per county the company guarantees, and its share of each.
const COMPANY_GUARANTEES_PER_COUNTY: usize = 3;
const COMPANY_SHARE_BPS: i64 = 5_000;
/// The age from which a spouse may co-borrow.
const ADULT_AGE_YEARS: i32 = 18;

/// What the step did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Joint {
    pub co_borrowers: u64,
    pub company_guarantees: u64,
}

fn region(code: &str) -> Result<RegionCode> {
    RegionCode::parse(code).map_err(|e| AppError::Invalid(e.to_string()))
}

/// The county's loans of `product` started by the scenario date and not behind on it.
async fn sound_loans(db: &Db, county: &str, product: &str) -> Result<Vec<Loan>> {
    let filter = LoanFilter {
        within: Some(region(county)?),
        product: Some(product.to_string()),
        as_of: Some(plan::as_of()),
        limit: 100_000,
        ..Default::default()
    };
    let mut found = loans::list_loans(db, &filter).await?;
    found.retain(|l| {
        l.status == "active" && l.next_unpaid_due_on.is_none_or(|due| due > plan::as_of())
    });
    Ok(found)
}

/// The borrowing household's spouse on the loan's start, if an adult and alive.
async fn spouse_of(db: &Db, loan: &Loan) -> Result<Option<(String, String)>> {
    let start = loan.terms.start_on;
    let members = fupin_store::registry::members_on(db, &loan.terms.borrower_id, start).await?;
    Ok(members
        .into_iter()
        .find(|m| {
            m.member.relation == "spouse"
                && m.member.died_on.is_none()
                && ResidentId::parse(&m.member.id_number, start)
                    .is_ok_and(|id| id.age_on(start) >= ADULT_AGE_YEARS)
        })
        .map(|m| (m.member.id_number, m.member.name)))
}

async fn co_borrowers_in(db: &Db, ctx: &Ctx, county: &str, product: &str) -> Result<u64> {
    let mut added = 0;
    for loan in sound_loans(db, county, product).await? {
        if added as usize == CO_BORROWED_PER_COUNTY {
            break;
        }
        if loan.terms.borrower_type != "household" {
            continue;
        }
        let Some((id_number, name)) = spouse_of(db, &loan).await? else {
            continue;
        };
        let new = NewCoBorrower {
            institution_code: loan.terms.institution_code.clone(),
            contract_no: loan.terms.contract_no.clone(),
            id_number,
            name,
            relation: "spouse".into(),
            signed_on: loan.terms.start_on,
        };
        co_borrowers::add_command(db, ctx, &new).await?;
        added += 1;
    }
    Ok(added)
}

async fn company(db: &Db, ctx: &Ctx) -> Result<()> {
    let mut tx = db.write().await?;
    let institution = fupin_store::institutions::Institution {
        code: COMPANY.into(),
        name: "上饶市融资担保有限公司".into(),
        name_en: Some("Shangrao Financing Guarantee Co.".into()),
        kind: "other".into(),
        parent_code: None,
        region_code: region("361100")?,
    };
    fupin_store::institutions::upsert(&mut tx, &institution).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    let shares = Company {
        institution_code: COMPANY.into(),
        national_bps: 4_000,
        provincial_bps: 3_000,
        company_bps: 2_000,
        bank_bps: 1_000,
    };
    guarantees::set_company(db, ctx, &shares).await
}

async fn company_guarantees_in(db: &Db, ctx: &Ctx, county: &str, product: &str) -> Result<u64> {
    let terms = ProductTerms {
        product_code: product.to_string(),
        kinds: vec!["company".into()],
        cap_bps: COMPANY_SHARE_BPS,
    };
    guarantees::set_product_terms(db, ctx, &terms).await?;
    let mut added = 0;
    let loans = sound_loans(db, county, product).await?;
    for loan in loans.iter().take(COMPANY_GUARANTEES_PER_COUNTY) {
        let new = NewGuarantee {
            institution_code: loan.terms.institution_code.clone(),
            loan_contract_no: loan.terms.contract_no.clone(),
            kind: GuarantorKind::Company,
            guarantor_id: COMPANY.into(),
            contract_no: format!("RD-{}", loan.terms.contract_no),
            share_bps: COMPANY_SHARE_BPS,
            signed_on: loan.terms.start_on,
            fee_rate_bps: 150,
            fee_payer: "borrower".into(),
            fee_subsidy_bps: 0,
        };
        guarantees::add_guarantee_command(db, ctx, &new).await?;
        added += 1;
    }
    Ok(added)
}

/// Co-borrowing spouses on micro-credit and company guarantees on enterprise loans, county by
/// county, before end of day.
pub async fn joint(db: &Db, ctx: &Ctx) -> Result<Joint> {
    company(db, ctx).await?;
    let mut done = Joint::default();
    for spec in COUNTIES.iter() {
        let microcredit = lending::microcredit_product(spec);
        done.co_borrowers += co_borrowers_in(db, ctx, spec.code, &microcredit).await?;
        let industry = lending::enterprise_industry_product(spec);
        done.company_guarantees += company_guarantees_in(db, ctx, spec.code, &industry).await?;
    }
    Ok(done)
}
