//! Co-borrowers (共同借款人): people who sign a loan with its borrower and answer for all of it,
//! typically the spouse of a household's head. A loan names at most
//! [`CO_BORROWERS_PER_LOAN_MAX`]; each is an adult on the day they sign, alive, not the borrower
//! itself, and, when the registry holds them, named as the registry names them.

use fupin_core::{BusinessDate, ResidentId};
use fupin_store::co_borrowers::{self as store};
pub use fupin_store::co_borrowers::{CoBorrowedLoan, CoBorrower};
use fupin_store::{Db, Tx, audit};
use serde_json::json;

use crate::access::{self, Access, Area};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::outcome::Applied;

/// Co-borrowers one loan may name: a household's spouse and grown children are the usual ones.
pub const CO_BORROWERS_PER_LOAN_MAX: usize = 3;

/// The age of majority (《民法典》 art. 17): a minor cannot be jointly liable for a loan.
const ADULT_AGE_YEARS: i32 = 18;

/// Longest name accepted, in characters.
const NAME_CHARS_MAX: usize = 40;

/// Relations of a co-borrower to the borrower: English value, Chinese alias.
pub const RELATIONS: &[(&str, &str, &str)] = &[
    ("spouse", "配偶", "spouse"),
    ("child", "子女", "child"),
    ("parent", "父母", "parent"),
    ("sibling", "兄弟姐妹", "sibling"),
    ("other", "其他", "other"),
];

/// A co-borrower as a bank names it (file row or API request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCoBorrower {
    pub institution_code: String,
    pub contract_no: String,
    pub id_number: String,
    pub name: String,
    /// One of [`RELATIONS`]' values.
    pub relation: String,
    pub signed_on: BusinessDate,
}

/// Adds a co-borrower to a loan of the actor's bank (audited): `Added`; the same again is a
/// no-op (`Unchanged`), the same person with other content a conflict.
pub async fn add(tx: &mut Tx, ctx: &Ctx, new: &NewCoBorrower) -> Result<Applied> {
    let loan =
        super::writable(tx, ctx, new.institution_code.trim(), new.contract_no.trim()).await?;
    let id = ResidentId::parse(new.id_number.trim(), new.signed_on)
        .map_err(|e| AppError::field("id_number", e.to_string()))?;
    let record = checked(tx, new, &loan, &id).await?;
    let existing = store::of_loan(&mut **tx, loan.id).await?;
    if let Some(found) = existing.iter().find(|c| c.id_number == record.id_number) {
        return match *found == record {
            true => Ok(Applied::Unchanged),
            false => Err(AppError::Conflict(format!(
                "co-borrower {} of loan {}/{} was already recorded with different content",
                id.masked(),
                loan.terms.institution_code,
                loan.terms.contract_no
            ))),
        };
    }
    if existing.len() >= CO_BORROWERS_PER_LOAN_MAX {
        return Err(AppError::field(
            "id_number",
            format!("a loan names at most {CO_BORROWERS_PER_LOAN_MAX} co-borrowers"),
        ));
    }
    store::insert(tx, &record).await?;
    let key = format!("{}/{}", loan.terms.institution_code, loan.terms.contract_no);
    let mut entry = ctx.audit("loan.co_borrower.add", "loan", &key);
    entry.after_json = Some(
        json!({"id_number": id.masked(), "relation": record.relation, "signed_on": record.signed_on.to_string()})
            .to_string(),
    );
    audit::append(tx, &entry).await?;
    Ok(Applied::Added)
}

/// The record of `new` on `loan`, after the checks a person and a date must pass.
async fn checked(
    tx: &mut Tx,
    new: &NewCoBorrower,
    loan: &super::Loan,
    id: &ResidentId,
) -> Result<CoBorrower> {
    let signed_on = new.signed_on;
    let age_years = id.age_on(signed_on);
    if age_years < ADULT_AGE_YEARS {
        return Err(AppError::field(
            "id_number",
            format!("is {age_years} years old on {signed_on}: a co-borrower must be an adult"),
        ));
    }
    if signed_on > loan.terms.maturity_on {
        return Err(AppError::field(
            "signed_on",
            format!(
                "{signed_on} is after the loan matures on {}",
                loan.terms.maturity_on
            ),
        ));
    }
    let relation = RELATIONS
        .iter()
        .find(|(value, _, _)| *value == new.relation)
        .map(|(value, _, _)| value.to_string())
        .ok_or_else(|| {
            AppError::field(
                "relation",
                "must be spouse, child, parent, sibling or other",
            )
        })?;
    let name = new.name.trim().to_string();
    if name.is_empty() || name.chars().count() > NAME_CHARS_MAX {
        return Err(AppError::field(
            "name",
            format!("must have 1 to {NAME_CHARS_MAX} characters"),
        ));
    }
    let registered = store::registered_on(tx, id.as_str(), signed_on).await?;
    if let Some(person) = &registered {
        refuse_registered(person, &name, loan, signed_on)?;
    }
    Ok(CoBorrower {
        loan_id: loan.id,
        id_number: id.as_str().to_string(),
        name,
        relation,
        signed_on,
        household_id: registered.map(|person| person.household_id),
    })
}

/// Refuses a registered person who died, who is the borrowing household's head, or whose
/// name differs from the registry's.
fn refuse_registered(
    person: &store::Registered,
    name: &str,
    loan: &super::Loan,
    signed_on: BusinessDate,
) -> Result<()> {
    if let Some(died_on) = person.died_on.filter(|died| *died <= signed_on) {
        return Err(AppError::field(
            "id_number",
            format!("the registry records this person's death on {died_on}"),
        ));
    }
    let is_borrower = loan.terms.borrower_type == "household"
        && loan.terms.borrower_id == person.household_id
        && person.relation == "head";
    if is_borrower {
        return Err(AppError::field(
            "id_number",
            format!(
                "is the head of household {}, the borrower: a borrower does not co-borrow its own loan",
                person.household_id
            ),
        ));
    }
    if person.name != name {
        return Err(AppError::field(
            "name",
            format!("{name} differs from the registry's {}", person.name),
        ));
    }
    Ok(())
}

/// Adds a co-borrower in its own transaction (see [`add`]).
pub async fn add_command(db: &Db, ctx: &Ctx, new: &NewCoBorrower) -> Result<Applied> {
    let mut tx = db.write().await?;
    let recorded = add(&mut tx, ctx, new).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(recorded)
}

/// The co-borrowers of a loan the actor may read, ID numbers masked.
pub async fn of_loan(
    db: &Db,
    ctx: &Ctx,
    institution: &str,
    contract: &str,
) -> Result<Vec<CoBorrower>> {
    let loan = fupin_store::loans::loan_by_contract(db, institution, contract)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("loan {institution}/{contract}")))?;
    super::require_readable(ctx, &loan.terms)?;
    let mut found = store::of_loan(db.pool(), loan.id).await?;
    found.iter_mut().for_each(mask);
    Ok(found)
}

/// The loans a household's members co-borrow, for those who read loans: a bank its own.
/// Empty for roles that do not read loans.
pub async fn of_household(db: &Db, ctx: &Ctx, household_id: &str) -> Result<Vec<CoBorrowedLoan>> {
    if !access::allows(ctx.actor.role, Area::Loans, Access::Read) {
        return Ok(Vec::new());
    }
    let mut found = store::of_household(db, household_id).await?;
    if let Some(bank) = access::bank_institution(ctx)? {
        found.retain(|loan| loan.institution_code == bank);
    }
    found
        .iter_mut()
        .for_each(|loan| mask(&mut loan.co_borrower));
    Ok(found)
}

fn mask(co_borrower: &mut CoBorrower) {
    co_borrower.id_number = crate::registry::mask_id(&co_borrower.id_number);
}
