//! The loan lifecycle: disbursement, repayment, extension, rollover, write-off, recovery, and
//! end of day. Every fen moves as a ledger transfer posted in the same transaction as the
//! change to the loan, with one audit record per command.

mod accounts;
pub(crate) mod borrowers;
pub mod co_borrowers;
pub mod eod;
pub mod maturity;
mod prepayment;
mod repayments;
pub mod requests;
pub mod rules;

use std::collections::HashMap;

pub use fupin_core::repayment::PrepaymentOption;
use fupin_core::repayment::{self, InstalmentState};
use fupin_core::schedule::{self, DayCount, RepaymentMethod};
use fupin_core::{BusinessDate, Fen, RegionLevel};
use fupin_store::ledger::{Account, NewTransfer};
use fupin_store::loans::{self, Extension, InstalmentRow, Repayment, Standing};
use fupin_store::{Db, Tx, audit, institutions};
use serde_json::json;

pub use accounts::BankAccount;
pub use repayments::repay_all;

use crate::access::{self, Access, Area};
use crate::audit::Trail;
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::ledger::{Pending, post_batch};

/// Whole months from `start` to `maturity`, when `maturity` is exactly that many months later
/// (month ends clamped).
pub fn whole_months(start: BusinessDate, maturity: BusinessDate) -> Option<u32> {
    (1..=600u32).find(|months| start.add_months_clamped(*months) == Some(maturity))
}

/// The schedule of `principal` from `start` to `maturity` under the loan's method, the first
/// `grace_months` paying interest only.
fn instalments_for(
    principal: Fen,
    terms: &LoanTerms,
    (start, maturity): (BusinessDate, BusinessDate),
    first_number: u32,
    grace_months: u32,
) -> Result<Vec<InstalmentState>> {
    let term_months = whole_months(start, maturity).ok_or_else(|| {
        AppError::Invalid(format!(
            "maturity_on {maturity} is not a whole number of months after {start}"
        ))
    })?;
    let method =
        RepaymentMethod::parse(&terms.repayment).map_err(|e| AppError::Invalid(e.to_string()))?;
    let day_count =
        DayCount::parse(&terms.day_count).map_err(|e| AppError::Invalid(e.to_string()))?;
    let rows = schedule::schedule(&schedule::LoanTerms {
        principal,
        rate: terms.annual_rate,
        term_months,
        method,
        start,
        day_count,
        grace_months,
    })
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(rows
        .into_iter()
        .map(|row| InstalmentState {
            number: first_number + row.number - 1,
            due_on: row.due_date,
            principal: row.principal,
            interest: row.interest,
            paid_principal: Fen::ZERO,
            paid_interest: Fen::ZERO,
        })
        .collect())
}

/// What posting many loans or repayments in one transaction would otherwise read again for
/// each: products and the banks' own accounts, which nothing in the transaction changes.
/// An import also defers its audit records (see [`crate::audit::Trail`]).
#[derive(Default)]
pub struct Lookups {
    products: HashMap<String, Option<Product>>,
    credit_lines: HashMap<String, bool>,
    bank_accounts: HashMap<(String, BankAccount), i64>,
    trail: Trail,
    pending: Pending,
    /// Borrowers read for the batch of loans being checked.
    borrowers: borrowers::Borrowers,
}

impl Lookups {
    /// Lookups for an import, which must call [`Lookups::flush`] before it commits.
    pub fn for_import() -> Lookups {
        Lookups {
            trail: Trail::deferred(),
            pending: Pending::deferred(),
            ..Lookups::default()
        }
    }

    /// Posts the held transfers and appends the held audit records.
    pub async fn flush(&mut self, tx: &mut Tx, ctx: &Ctx) -> Result<()> {
        self.pending.flush(tx, ctx).await?;
        self.trail.flush(tx).await
    }

    /// Postings held for the import, which balance checks must add to the ledger's.
    pub fn pending(&self) -> &Pending {
        &self.pending
    }

    /// Reads the borrowers of a batch of loan requests at once, for the checks that follow.
    pub async fn read_borrowers(
        &mut self,
        tx: &mut Tx,
        requests: &[&rules::LoanRequest],
    ) -> Result<()> {
        let ids = |kind: &str| {
            let mut ids: Vec<&str> = requests
                .iter()
                .filter(|r| r.borrower_type == kind)
                .map(|r| r.borrower_id.as_str())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        self.borrowers =
            borrowers::Borrowers::read(tx, &ids("household"), &ids("enterprise")).await?;
        Ok(())
    }

    /// A product by code, read once.
    pub async fn product(&mut self, tx: &mut Tx, code: &str) -> Result<Option<Product>> {
        if let Some(known) = self.products.get(code) {
            return Ok(known.clone());
        }
        let product = loans::product_in(tx, code).await?;
        self.products.insert(code.to_string(), product.clone());
        Ok(product)
    }

    /// Whether loans of a product draw on credit lines (false for an unknown product), read
    /// once.
    pub async fn draws_on_credit_line(&mut self, tx: &mut Tx, code: &str) -> Result<bool> {
        if let Some(known) = self.credit_lines.get(code) {
            return Ok(*known);
        }
        let draws = fupin_store::credit::product_credit_line_in(tx, code)
            .await?
            .unwrap_or(false);
        self.credit_lines.insert(code.to_string(), draws);
        Ok(draws)
    }

    /// The id of one of a bank's own accounts (opened on first use), read once.
    pub async fn bank_account(
        &mut self,
        tx: &mut Tx,
        institution: &str,
        purpose: BankAccount,
    ) -> Result<i64> {
        let key = (institution.to_string(), purpose);
        if let Some(id) = self.bank_accounts.get(&key) {
            return Ok(*id);
        }
        let id = bank_account_id(tx, institution, purpose).await?;
        self.bank_accounts.insert(key, id);
        Ok(id)
    }
}

/// Disburses a loan whose terms the caller has checked against its product: stores it with its
/// schedule and posts the disbursement. Returns the new loan's id.
pub async fn disburse(tx: &mut Tx, ctx: &Ctx, terms: &LoanTerms, product: &Product) -> Result<i64> {
    disburse_with(tx, ctx, terms, product, &mut Lookups::default()).await
}

/// [`disburse`], reusing what earlier loans of the same transaction looked up.
pub async fn disburse_with(
    tx: &mut Tx,
    ctx: &Ctx,
    terms: &LoanTerms,
    product: &Product,
    lookups: &mut Lookups,
) -> Result<i64> {
    let disbursement = Disbursement::prepare(ctx, terms.clone(), product.clone())?;
    lookups.note_held(&disbursement);
    let ids = disburse_all(tx, ctx, &[disbursement], lookups).await?;
    Ok(ids[0])
}

/// A new loan checked against its product, with its schedule: ready to store and post.
pub struct Disbursement {
    terms: LoanTerms,
    product: Product,
    instalments: Vec<InstalmentState>,
}

impl Disbursement {
    /// Works out the schedule of a loan whose terms the caller has checked against its product.
    pub fn prepare(ctx: &Ctx, terms: LoanTerms, product: Product) -> Result<Disbursement> {
        require_writable(ctx, &terms)?;
        let grace_months = u32::try_from(product.servicing.grace_months)
            .map_err(|_| AppError::Invalid("grace_months is negative".to_string()))?;
        let instalments = instalments_for(
            terms.principal,
            &terms,
            (terms.start_on, terms.maturity_on),
            1,
            grace_months,
        )?;
        Ok(Disbursement {
            terms,
            product,
            instalments,
        })
    }

    pub fn terms(&self) -> &LoanTerms {
        &self.terms
    }
}

impl Lookups {
    /// Notes a loan accepted but not yet stored, so that checks of the loans after it count its
    /// principal against the county's risk fund (see [`crate::funds::leverage_refusal`]).
    pub fn note_held(&mut self, disbursement: &Disbursement) {
        let terms = &disbursement.terms;
        if disbursement.product.risk_fund_share_ppm.is_some()
            && let Some(county) = terms.village_code.ancestor_at(RegionLevel::County)
        {
            self.pending
                .note_covered(county, terms.start_on, terms.principal);
        }
    }
}

/// Stores loans with their schedules and accounts, many rows per statement, and holds their
/// disbursements for posting, each loan audited as before (its ledger batch, then
/// `loan.create`). Every loan must have been noted with [`Lookups::note_held`]. Returns the new
/// loans' ids in order.
pub async fn disburse_all(
    tx: &mut Tx,
    ctx: &Ctx,
    disbursements: &[Disbursement],
    lookups: &mut Lookups,
) -> Result<Vec<i64>> {
    let new_loans: Vec<loans::NewLoan> = disbursements
        .iter()
        .map(|d| loans::NewLoan {
            terms: &d.terms,
            // Standing as a new loan has it (normal, not overdue, no spell), written with it.
            next_unpaid_due_on: repayment::next_unpaid_due(&d.instalments),
            rolled_from: None,
        })
        .collect();
    let ids = loans::insert_loans(tx, &new_loans).await?;
    let schedules: Vec<(i64, &[InstalmentState])> = ids
        .iter()
        .zip(disbursements)
        .map(|(id, d)| (*id, d.instalments.as_slice()))
        .collect();
    loans::insert_schedules(tx, &schedules).await?;
    let opened =
        accounts::open_for_loans(tx, disbursements.iter().map(|d| (&d.terms, &d.product))).await?;
    for (disbursement, loan_accounts) in disbursements.iter().zip(opened) {
        let terms = &disbursement.terms;
        let bank_cash = lookups
            .bank_account(tx, &terms.institution_code, BankAccount::Cash)
            .await?;
        let transfer = NewTransfer {
            id: format!("disburse:{}:{}", terms.institution_code, terms.contract_no),
            debit_account_id: loan_accounts.principal.id,
            credit_account_id: bank_cash,
            amount: terms.principal,
            value_date: terms.start_on,
            code: "disbursement".to_string(),
            memo: None,
        };
        let loan_key = loan_key(terms);
        lookups
            .pending
            .hold(
                tx,
                ctx,
                ("loan.disburse", &loan_key),
                vec![transfer],
                &mut lookups.trail,
            )
            .await?;
        let mut entry = ctx.audit("loan.create", "loan", &loan_key);
        entry.after_json = Some(terms_json(terms).to_string());
        lookups.trail.append(tx, entry).await?;
    }
    lookups.pending.flush_if_full(tx, ctx).await?;
    Ok(ids)
}

/// `<institution>/<contract>`: how a loan is named to users and in audit records.
pub fn loan_key(terms: &LoanTerms) -> String {
    format!("{}/{}", terms.institution_code, terms.contract_no)
}

/// The id of one of a bank's own accounts (opened on first use).
pub(crate) async fn bank_account_id(
    tx: &mut Tx,
    institution: &str,
    purpose: BankAccount,
) -> Result<i64> {
    let bank = institutions::get_in(tx, institution)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("institution {institution}")))?;
    Ok(
        accounts::of_bank(tx, institution, bank.region_code, purpose)
            .await?
            .id,
    )
}

/// A repayment to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepaymentOrder {
    pub institution_code: String,
    /// Unique within the institution: a repeated id is the same repayment.
    pub id: String,
    pub contract_no: String,
    pub paid_on: BusinessDate,
    pub amount: Fen,
    /// A partial prepayment (提前部分还款): more than is due may be paid, the rest repaying
    /// principal under a new schedule. `None` for an ordinary repayment.
    pub prepayment: Option<Prepayment>,
}

/// How a prepayment reschedules: the borrower's choice, or (`None`) the product's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Prepayment {
    pub option: Option<PrepaymentOption>,
}

/// What applying a repayment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepaymentOutcome {
    Applied {
        principal: Fen,
        interest: Fen,
        /// Penalty interest (罚息) collected, before any interest or principal.
        penalty: Fen,
        settled: bool,
    },
    /// Recovery on a written-off loan.
    Recovered(Fen),
    /// The same repayment was already applied; nothing changed.
    AlreadyApplied,
}

/// Applies a repayment (or, on a written-off loan, a recovery). Retrying the same repayment
/// id with the same content is a no-op; with different content, a conflict.
pub async fn repay(tx: &mut Tx, ctx: &Ctx, order: &RepaymentOrder) -> Result<RepaymentOutcome> {
    repay_with(tx, ctx, order, &mut Lookups::default()).await
}

/// [`repay`], reusing what earlier repayments of the same transaction looked up.
pub async fn repay_with(
    tx: &mut Tx,
    ctx: &Ctx,
    order: &RepaymentOrder,
    lookups: &mut Lookups,
) -> Result<RepaymentOutcome> {
    access::require(ctx, Area::Loans, Access::Write)?;
    if !order.amount.is_positive() {
        return Err(AppError::Invalid(format!(
            "amount {} must be positive",
            order.amount
        )));
    }
    // Serialises repayments of one loan: two at once would both allocate to the same
    // instalment from the same stale state (PostgreSQL, read committed).
    let loan =
        loans::lock_and_read_loan_by_contract(tx, &order.institution_code, &order.contract_no)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "loan {}/{}",
                    order.institution_code, order.contract_no
                ))
            })?;
    require_writable(ctx, &loan.terms)?;
    if let Some(existing) = loans::repayment_in(tx, &order.institution_code, &order.id).await? {
        return same_repayment(&existing, &loan, order);
    }
    if order.paid_on < loan.terms.start_on {
        return Err(AppError::Invalid(format!(
            "paid_on {} is before the loan started on {}",
            order.paid_on, loan.terms.start_on
        )));
    }
    match loan.status.as_str() {
        "active" => apply_repayment(tx, ctx, &loan, order, lookups).await,
        "written_off" => {
            // A recovery reads the ledger's balances: post what is held first.
            lookups.flush(tx, ctx).await?;
            let outcome = recover(tx, ctx, &loan, order).await?;
            if let RepaymentOutcome::Recovered(amount) = outcome {
                crate::funds::return_fund_share(tx, ctx, &loan, &order.id, amount, order.paid_on)
                    .await?;
            }
            let recovery = Repayment {
                institution_code: order.institution_code.clone(),
                id: order.id.clone(),
                loan_id: loan.id,
                paid_on: order.paid_on,
                amount: order.amount,
                kind: "recovery".to_string(),
                prepayment_option: None,
            };
            insert_repayments(tx, &[recovery]).await?;
            Ok(outcome)
        }
        other => Err(AppError::Conflict(format!(
            "loan {} is {other}: nothing is owed",
            loan_key(&loan.terms)
        ))),
    }
}

/// Inserts repayments; an id taken meanwhile by another writer is a conflict.
async fn insert_repayments(tx: &mut Tx, repayments: &[Repayment]) -> Result<()> {
    loans::insert_repayments(tx, repayments)
        .await
        .map_err(|error| match error {
            fupin_store::StoreError::Constraint { .. } => AppError::Conflict(match repayments {
                [one] => format!(
                    "repayment id {} of {} is already used",
                    one.id, one.institution_code
                ),
                _ => "a repayment id of the file was applied by someone else meanwhile".to_string(),
            }),
            other => other.into(),
        })
}

fn same_repayment(
    existing: &Repayment,
    loan: &Loan,
    order: &RepaymentOrder,
) -> Result<RepaymentOutcome> {
    let same_prepayment = match (&existing.prepayment_option, order.prepayment) {
        (None, None) => true,
        (Some(stored), Some(prepayment)) => prepayment
            .option
            .is_none_or(|option| option.as_str() == stored),
        _ => false,
    };
    if existing.loan_id == loan.id
        && existing.paid_on == order.paid_on
        && existing.amount == order.amount
        && same_prepayment
    {
        return Ok(RepaymentOutcome::AlreadyApplied);
    }
    Err(AppError::Conflict(format!(
        "repayment {} of {} was already applied with different content ({} on {})",
        order.id, order.institution_code, existing.amount, existing.paid_on
    )))
}

async fn apply_repayment(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    order: &RepaymentOrder,
    lookups: &mut Lookups,
) -> Result<RepaymentOutcome> {
    let mut rows = live_instalments(tx, loan.id).await?;
    let accounts = lookups.repayment_accounts(tx, loan).await?;
    if let Some(prepayment) = order.prepayment {
        return prepayment::apply(tx, ctx, loan, order, prepayment, rows, &accounts, lookups).await;
    }
    let allocation = allocate(loan, &mut rows, order, &accounts)?;
    let mut changes = Changes::default();
    let outcome = changes
        .add(loan, order, allocation, ctx, lookups, tx)
        .await?;
    changes.write(tx).await?;
    Ok(outcome)
}

/// The accounts a repayment of a loan moves: the loan's receivables and its bank's cash and
/// interest income; and the penalty interest the loan owes, collected first.
pub(crate) struct RepaymentAccounts {
    principal: i64,
    interest: i64,
    cash: i64,
    income: i64,
    penalty: Option<PenaltyOwed>,
}

/// A loan's penalty interest receivable and what it holds, counting postings not yet made.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PenaltyOwed {
    pub(crate) account_id: i64,
    pub(crate) outstanding: Fen,
}

impl RepaymentAccounts {
    fn penalty_outstanding(&self) -> Fen {
        self.penalty.map_or(Fen::ZERO, |p| p.outstanding)
    }
}

/// The penalty a loan owes: its receivable's balance (if it was ever opened) with what is held
/// for it but not yet posted.
pub(crate) fn penalty_owed(account: Option<&Account>, pending: &Pending) -> Option<PenaltyOwed> {
    account.map(|account| PenaltyOwed {
        account_id: account.id,
        outstanding: Fen::new(
            account.balance().fen() + pending.debit_balance_held(account.id).fen(),
        ),
    })
}

/// The code of a loan's penalty receivable.
pub(crate) fn penalty_code(terms: &LoanTerms) -> String {
    format!(
        "loan:{}:{}:penalty",
        terms.institution_code, terms.contract_no
    )
}

impl Lookups {
    /// The accounts of a repayment of `loan`.
    async fn repayment_accounts(&mut self, tx: &mut Tx, loan: &Loan) -> Result<RepaymentAccounts> {
        let product = self.product_of_loan(tx, loan).await?;
        let loan_accounts = accounts::of_loan(tx, &loan.terms, &product).await?;
        let account =
            fupin_store::ledger::account_by_code_in(tx, &penalty_code(&loan.terms)).await?;
        let penalty = penalty_owed(account.as_ref(), &self.pending);
        self.repayment_accounts_with(tx, loan, &loan_accounts, penalty)
            .await
    }

    async fn repayment_accounts_with(
        &mut self,
        tx: &mut Tx,
        loan: &Loan,
        loan_accounts: &accounts::LoanAccounts,
        penalty: Option<PenaltyOwed>,
    ) -> Result<RepaymentAccounts> {
        let institution = &loan.terms.institution_code;
        let cash = self
            .bank_account(tx, institution, BankAccount::Cash)
            .await?;
        let income = self
            .bank_account(tx, institution, BankAccount::InterestIncome)
            .await?;
        Ok(RepaymentAccounts {
            principal: loan_accounts.principal.id,
            interest: loan_accounts.interest.id,
            cash,
            income,
            penalty,
        })
    }

    async fn product_of_loan(&mut self, tx: &mut Tx, loan: &Loan) -> Result<Product> {
        self.product(tx, &loan.terms.product_code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("product {}", loan.terms.product_code)))
    }
}

/// What a repayment does to an active loan, worked out in memory.
struct Allocation {
    payments: Vec<loans::InstalmentPayment>,
    transfers: Vec<NewTransfer>,
    principal: Fen,
    interest: Fen,
    penalty: Fen,
    settled: bool,
    /// On settlement, the first instalment left open: it and those after it are superseded.
    supersede_from: Option<u32>,
    standing: Standing,
    /// The option a prepayment was applied with.
    prepayment_option: Option<PrepaymentOption>,
}

/// Allocates a repayment over the loan's live instalments `rows`, which it leaves as the
/// payment makes them.
fn allocate(
    loan: &Loan,
    rows: &mut [InstalmentRow],
    order: &RepaymentOrder,
    accounts: &RepaymentAccounts,
) -> Result<Allocation> {
    let states: Vec<InstalmentState> = rows.iter().map(|r| r.state.clone()).collect();
    let penalty = accounts.penalty_outstanding();
    let applied = repayment::allocate(&states, order.paid_on, order.amount, penalty)
        .map_err(|e| AppError::Invalid(format!("repayment {}: {e}", order.id)))?;
    Ok(allocate_applied(loan, rows, order, accounts, &applied))
}

/// The transfers and instalment payments of a repayment allocated as `applied`.
fn allocate_applied(
    loan: &Loan,
    rows: &mut [InstalmentRow],
    order: &RepaymentOrder,
    accounts: &RepaymentAccounts,
    applied: &repayment::Applied,
) -> Allocation {
    let base = format!("repay:{}:{}", order.institution_code, order.id);
    let mut transfers = Vec::new();
    let mut payments = Vec::new();
    for part in &applied.allocations {
        let row = rows
            .iter_mut()
            .find(|r| r.state.number == part.number)
            .expect("allocated to a live instalment");
        // Interest is charged when due (end of day) or when paid, whichever comes first.
        let uncharged =
            part.interest.fen() - (row.interest_charged.fen() - row.state.paid_interest.fen());
        if uncharged > 0 {
            transfers.push(transfer(
                format!("{base}:charge:{}", part.number),
                accounts.interest,
                accounts.income,
                Fen::new(uncharged),
                order.paid_on,
                "interest_charge",
            ));
        }
        let charged = Fen::new(uncharged.max(0));
        payments.push(loans::InstalmentPayment {
            loan_id: loan.id,
            number: part.number,
            paid_principal: part.principal,
            paid_interest: part.interest,
            charged_interest: charged,
        });
        row.state.paid_principal = Fen::new(row.state.paid_principal.fen() + part.principal.fen());
        row.state.paid_interest = Fen::new(row.state.paid_interest.fen() + part.interest.fen());
        row.interest_charged = Fen::new(row.interest_charged.fen() + charged.fen());
    }
    let (principal, interest) = (applied.principal(), applied.interest());
    if let (Some(owed), true) = (accounts.penalty, applied.penalty.is_positive()) {
        transfers.push(transfer(
            format!("{base}:penalty"),
            accounts.cash,
            owed.account_id,
            applied.penalty,
            order.paid_on,
            "repayment_penalty",
        ));
    }
    if interest.is_positive() {
        transfers.push(transfer(
            format!("{base}:interest"),
            accounts.cash,
            accounts.interest,
            interest,
            order.paid_on,
            "repayment_interest",
        ));
    }
    if principal.is_positive() {
        transfers.push(transfer(
            format!("{base}:principal"),
            accounts.cash,
            accounts.principal,
            principal,
            order.paid_on,
            "repayment_principal",
        ));
    }
    let settled = applied.settles || rows.iter().all(|r| r.state.is_paid());
    let supersede_from = match settled {
        true => rows
            .iter()
            .find(|r| !r.state.is_paid())
            .map(|r| r.state.number),
        false => None,
    };
    let standing = standing_after_payment(loan, rows, order.paid_on, settled);
    Allocation {
        payments,
        transfers,
        principal,
        interest,
        penalty: applied.penalty,
        settled,
        supersede_from,
        standing,
        prepayment_option: None,
    }
}

/// The writes of repayments applied in memory, made together: payments to instalments,
/// settlements, standings and the repayments themselves.
#[derive(Default)]
pub(crate) struct Changes {
    payments: Vec<loans::InstalmentPayment>,
    settlements: Vec<(i64, Option<u32>, BusinessDate)>,
    /// Standings by loan id, with the overdue spell's start as stored before the first change.
    standings: HashMap<i64, loans::StandingChange>,
    repayments: Vec<Repayment>,
    /// The loans that have a risk claim, when known: the others return no fund share.
    with_claims: Option<std::collections::HashSet<i64>>,
}

impl Changes {
    /// Takes an allocation of `order` to `loan`: holds its transfers (audited), returns the fund
    /// share its principal recovers, notes its writes, and gives the repayment's outcome.
    async fn add(
        &mut self,
        loan: &Loan,
        order: &RepaymentOrder,
        allocation: Allocation,
        ctx: &Ctx,
        lookups: &mut Lookups,
        tx: &mut Tx,
    ) -> Result<RepaymentOutcome> {
        lookups
            .pending
            .hold(
                tx,
                ctx,
                ("loan.repay", &loan_key(&loan.terms)),
                allocation.transfers,
                &mut lookups.trail,
            )
            .await?;
        lookups.pending.flush_if_full(tx, ctx).await?;
        self.payments.extend(allocation.payments);
        if allocation.settled {
            self.settlements
                .push((loan.id, allocation.supersede_from, order.paid_on));
        }
        let change = self
            .standings
            .entry(loan.id)
            .or_insert_with(|| loans::StandingChange {
                loan_id: loan.id,
                overdue_since: loan.overdue_since,
                standing: allocation.standing,
                on: order.paid_on,
            });
        // A payment never opens a spell: the spell ends on the first payment that cures it.
        if change.standing.overdue_since.is_some() {
            change.on = order.paid_on;
        }
        change.standing = allocation.standing;
        if self
            .with_claims
            .as_ref()
            .is_none_or(|ids| ids.contains(&loan.id))
        {
            let recovered = allocation.principal;
            crate::funds::return_fund_share(tx, ctx, loan, &order.id, recovered, order.paid_on)
                .await?;
        }
        self.repayments.push(Repayment {
            institution_code: order.institution_code.clone(),
            id: order.id.clone(),
            loan_id: loan.id,
            paid_on: order.paid_on,
            amount: order.amount,
            kind: "repayment".to_string(),
            prepayment_option: allocation.prepayment_option.map(|o| o.as_str().to_string()),
        });
        Ok(RepaymentOutcome::Applied {
            principal: allocation.principal,
            interest: allocation.interest,
            penalty: allocation.penalty,
            settled: allocation.settled,
        })
    }

    /// Writes what was noted, many rows per statement.
    pub(crate) async fn write(&mut self, tx: &mut Tx) -> Result<()> {
        let payments = merge_payments(std::mem::take(&mut self.payments));
        loans::add_to_instalments(tx, &payments).await?;
        for (loan_id, supersede_from, on) in std::mem::take(&mut self.settlements) {
            if let Some(number) = supersede_from {
                loans::supersede_instalments_from(tx, loan_id, number).await?;
            }
            loans::close_loan(tx, loan_id, "settled", on).await?;
        }
        let standings: Vec<loans::StandingChange> =
            std::mem::take(&mut self.standings).into_values().collect();
        loans::set_standings(tx, &standings).await?;
        insert_repayments(tx, &std::mem::take(&mut self.repayments)).await
    }
}

/// Payments to the same instalment summed into one.
fn merge_payments(payments: Vec<loans::InstalmentPayment>) -> Vec<loans::InstalmentPayment> {
    let mut merged: Vec<loans::InstalmentPayment> = Vec::with_capacity(payments.len());
    let mut at: HashMap<(i64, u32), usize> = HashMap::new();
    for payment in payments {
        match at.get(&(payment.loan_id, payment.number)) {
            Some(&index) => {
                let into = &mut merged[index];
                let add = |a: Fen, b: Fen| Fen::new(a.fen() + b.fen());
                into.paid_principal = add(into.paid_principal, payment.paid_principal);
                into.paid_interest = add(into.paid_interest, payment.paid_interest);
                into.charged_interest = add(into.charged_interest, payment.charged_interest);
            }
            None => {
                at.insert((payment.loan_id, payment.number), merged.len());
                merged.push(payment);
            }
        }
    }
    merged
}

fn transfer(
    id: String,
    debit: i64,
    credit: i64,
    amount: Fen,
    on: BusinessDate,
    code: &str,
) -> NewTransfer {
    NewTransfer {
        id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        value_date: on,
        code: code.to_string(),
        memo: None,
    }
}

/// After a payment: the earliest unpaid due date moves; if nothing is overdue any more on the
/// payment date, the overdue spell ends that day.
fn standing_after_payment(
    loan: &Loan,
    after: &[InstalmentRow],
    paid_on: BusinessDate,
    settled: bool,
) -> Standing {
    let states: Vec<InstalmentState> = after.iter().map(|r| r.state.clone()).collect();
    let next = if settled {
        None
    } else {
        repayment::next_unpaid_due(&states)
    };
    let still_overdue = next.is_some_and(|due| due < paid_on);
    Standing {
        next_unpaid_due_on: next,
        overdue_since: if still_overdue {
            loan.overdue_since
        } else {
            None
        },
        overdue_days: if still_overdue { loan.overdue_days } else { 0 },
        classification: if still_overdue {
            loan.classification
        } else {
            repayment::Classification::Normal
        },
    }
}

/// Writes the standing [`standing_after_payment`] gives.
async fn update_standing_after_payment(
    tx: &mut Tx,
    loan: &Loan,
    after: &[InstalmentRow],
    paid_on: BusinessDate,
    settled: bool,
) -> Result<()> {
    let standing = standing_after_payment(loan, after, paid_on, settled);
    // Nothing before this changed the loan's overdue spell: the loan as read still says it.
    loans::set_standing_of(tx, loan.id, loan.overdue_since, standing, paid_on).await?;
    Ok(())
}

/// Instalments still due (not superseded), in order.
async fn live_instalments(tx: &mut Tx, loan_id: i64) -> Result<Vec<InstalmentRow>> {
    Ok(loans::instalments_in(tx, loan_id)
        .await?
        .into_iter()
        .filter(|r| !r.superseded)
        .collect())
}

async fn product_of(tx: &mut Tx, product_code: &str) -> Result<Product> {
    loans::product_in(tx, product_code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("product {product_code}")))
}

/// Extends a loan's maturity: instalments not yet due are replaced by a new schedule of their
/// principal from the last due date kept to the new maturity. The original maturity is kept.
pub async fn extend(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    decided_on: BusinessDate,
    new_maturity: BusinessDate,
    reason: &str,
) -> Result<()> {
    require_writable(ctx, &loan.terms)?;
    require_active(loan)?;
    require_reason(reason)?;
    if new_maturity <= loan.terms.maturity_on {
        return Err(AppError::Invalid(format!(
            "new maturity {new_maturity} must be after the current one, {}",
            loan.terms.maturity_on
        )));
    }
    let rows = live_instalments(tx, loan.id).await?;
    let (kept, replaced): (Vec<&InstalmentRow>, Vec<&InstalmentRow>) =
        rows.iter().partition(|r| r.state.due_on <= decided_on);
    let principal: i64 = replaced
        .iter()
        .map(|r| r.state.principal_left().fen())
        .sum();
    let Some(first_replaced) = replaced.first() else {
        return Err(AppError::Invalid(format!(
            "nothing falls due after {decided_on} to extend"
        )));
    };
    let base = kept.last().map_or(loan.terms.start_on, |r| r.state.due_on);
    let next_number = rows.iter().map(|r| r.state.number).max().unwrap_or(0) + 1;
    let new_rows = instalments_for(
        Fen::new(principal),
        &loan.terms,
        (base, new_maturity),
        next_number,
        0,
    )?;
    loans::supersede_instalments_from(tx, loan.id, first_replaced.state.number).await?;
    loans::insert_instalments(tx, loan.id, &new_rows).await?;
    loans::set_maturity(tx, loan.id, new_maturity).await?;
    let version = loans::ScheduleVersion {
        version: 0,
        first_number: i64::from(next_number),
        decided_on,
        kind: "extension".to_string(),
        prepayment_option: None,
        repayment_id: None,
        principal: Fen::new(principal),
        maturity_on: new_maturity,
    };
    loans::insert_schedule_version(tx, loan.id, &version).await?;
    let extension = Extension {
        kind: "extension".to_string(),
        decided_on,
        previous_maturity_on: loan.terms.maturity_on,
        new_maturity_on: new_maturity,
        reason: reason.to_string(),
        new_loan_id: None,
    };
    loans::insert_extension(tx, loan.id, &extension).await?;
    requests::grant_pending(tx, ctx, loan, requests::RequestKind::Extension, decided_on).await?;
    let after = live_instalments(tx, loan.id).await?;
    update_standing_after_payment(tx, loan, &after, decided_on, false).await?;
    let mut entry = ctx.audit("loan.extend", "loan", &loan_key(&loan.terms));
    entry.before_json =
        Some(json!({"maturity_on": loan.terms.maturity_on.to_string()}).to_string());
    entry.after_json =
        Some(json!({"maturity_on": new_maturity.to_string(), "reason": reason}).to_string());
    audit::append(tx, &entry).await?;
    Ok(())
}

/// Rolls a loan over into a new contract for its outstanding principal, from `decided_on` to
/// `new_maturity`. Interest owed must be paid first. Returns the new loan's id.
pub async fn roll_over(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    new_contract_no: &str,
    decided_on: BusinessDate,
    new_maturity: BusinessDate,
    reason: &str,
) -> Result<i64> {
    require_writable(ctx, &loan.terms)?;
    require_active(loan)?;
    require_reason(reason)?;
    let rows = live_instalments(tx, loan.id).await?;
    let interest_owed: i64 = rows
        .iter()
        .filter(|r| r.state.due_on <= decided_on)
        .map(|r| r.state.interest_left().fen())
        .sum();
    if interest_owed > 0 {
        return Err(AppError::Invalid(format!(
            "{} of interest is owed on {decided_on}: it must be paid before a rollover",
            Fen::new(interest_owed)
        )));
    }
    let principal = Fen::new(rows.iter().map(|r| r.state.principal_left().fen()).sum());
    let mut terms = loan.terms.clone();
    terms.contract_no = new_contract_no.to_string();
    terms.principal = principal;
    terms.start_on = decided_on;
    terms.maturity_on = new_maturity;
    let instalments = instalments_for(principal, &terms, (decided_on, new_maturity), 1, 0)?;
    let new_id = loans::insert_loan(tx, &terms, Some(loan.id), None).await?;
    loans::insert_instalments(tx, new_id, &instalments).await?;
    let product = product_of(tx, &loan.terms.product_code).await?;
    let old_accounts = accounts::of_loan(tx, &loan.terms, &product).await?;
    let new_accounts = accounts::of_loan(tx, &terms, &product).await?;
    let moved = transfer(
        format!(
            "rollover:{}:{}",
            loan.terms.institution_code, loan.terms.contract_no
        ),
        new_accounts.principal.id,
        old_accounts.principal.id,
        principal,
        decided_on,
        "rollover",
    );
    post_batch(tx, ctx, "loan.roll_over", &loan_key(&loan.terms), &[moved]).await?;
    if let Some(first) = rows.first() {
        loans::supersede_instalments_from(tx, loan.id, first.state.number).await?;
    }
    loans::close_loan(tx, loan.id, "rolled_over", decided_on).await?;
    let extension = Extension {
        kind: "rollover".to_string(),
        decided_on,
        previous_maturity_on: loan.terms.maturity_on,
        new_maturity_on: new_maturity,
        reason: reason.to_string(),
        new_loan_id: Some(new_id),
    };
    loans::insert_extension(tx, loan.id, &extension).await?;
    requests::grant_pending(tx, ctx, loan, requests::RequestKind::Renewal, decided_on).await?;
    let new_loan = loans::loan_in(tx, new_id)
        .await?
        .ok_or_else(|| AppError::NotFound(new_contract_no.to_string()))?;
    let standing = Standing {
        next_unpaid_due_on: repayment::next_unpaid_due(&instalments),
        overdue_since: None,
        overdue_days: 0,
        classification: repayment::Classification::Normal,
    };
    loans::set_standing(tx, &new_loan, standing, decided_on).await?;
    let mut entry = ctx.audit("loan.roll_over", "loan", &loan_key(&loan.terms));
    entry.after_json = Some(json!({"new_contract_no": new_contract_no, "principal": principal.to_plain_yuan(), "reason": reason}).to_string());
    audit::append(tx, &entry).await?;
    Ok(new_id)
}

/// Writes off what is left of a loan: principal and charged interest move to the bank's loan
/// losses. Later payments on it are recoveries.
pub async fn write_off(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    on: BusinessDate,
    reason: &str,
) -> Result<Fen> {
    require_writable(ctx, &loan.terms)?;
    require_active(loan)?;
    require_reason(reason)?;
    let product = product_of(tx, &loan.terms.product_code).await?;
    let loan_accounts = accounts::of_loan(tx, &loan.terms, &product).await?;
    let losses = bank_account_id(tx, &loan.terms.institution_code, BankAccount::LoanLosses).await?;
    let principal = fupin_store::ledger::account_by_code_in(tx, &loan_accounts.principal.code)
        .await?
        .map_or(Fen::ZERO, |a| a.balance());
    let interest = fupin_store::ledger::account_by_code_in(tx, &loan_accounts.interest.code)
        .await?
        .map_or(Fen::ZERO, |a| a.balance());
    let penalty = fupin_store::ledger::account_by_code_in(tx, &penalty_code(&loan.terms)).await?;
    let base = format!(
        "writeoff:{}:{}",
        loan.terms.institution_code, loan.terms.contract_no
    );
    let mut transfers = Vec::new();
    if principal.is_positive() {
        transfers.push(transfer(
            format!("{base}:principal"),
            losses,
            loan_accounts.principal.id,
            principal,
            on,
            "write_off_principal",
        ));
    }
    if interest.is_positive() {
        transfers.push(transfer(
            format!("{base}:interest"),
            losses,
            loan_accounts.interest.id,
            interest,
            on,
            "write_off_interest",
        ));
    }
    let penalty_left = penalty.as_ref().map_or(Fen::ZERO, |a| a.balance());
    if let (Some(account), true) = (&penalty, penalty_left.is_positive()) {
        transfers.push(transfer(
            format!("{base}:penalty"),
            losses,
            account.id,
            penalty_left,
            on,
            "write_off_penalty",
        ));
    }
    post_batch(
        tx,
        ctx,
        "loan.write_off",
        &loan_key(&loan.terms),
        &transfers,
    )
    .await?;
    if let Some(first) = live_instalments(tx, loan.id)
        .await?
        .iter()
        .find(|r| !r.state.is_paid())
    {
        loans::supersede_instalments_from(tx, loan.id, first.state.number).await?;
    }
    loans::close_loan(tx, loan.id, "written_off", on).await?;
    let mut entry = ctx.audit("loan.write_off", "loan", &loan_key(&loan.terms));
    entry.after_json = Some(json!({"principal": principal.to_plain_yuan(), "interest": interest.to_plain_yuan(), "penalty": penalty_left.to_plain_yuan(), "reason": reason}).to_string());
    audit::append(tx, &entry).await?;
    Ok(Fen::new(
        principal.fen() + interest.fen() + penalty_left.fen(),
    ))
}

/// A payment on a written-off loan: cash in, recovery income; never more than was written off
/// less what was already recovered.
async fn recover(
    tx: &mut Tx,
    ctx: &Ctx,
    loan: &Loan,
    order: &RepaymentOrder,
) -> Result<RepaymentOutcome> {
    let cash = bank_account_id(tx, &loan.terms.institution_code, BankAccount::Cash).await?;
    let recoveries =
        bank_account_id(tx, &loan.terms.institution_code, BankAccount::Recoveries).await?;
    let limit = recoverable(tx, loan).await?;
    if order.amount > limit {
        return Err(AppError::Invalid(format!(
            "recovery {} of {} is more than is left to recover ({limit})",
            order.id, order.amount
        )));
    }
    let moved = transfer(
        format!("recover:{}:{}", order.institution_code, order.id),
        cash,
        recoveries,
        order.amount,
        order.paid_on,
        "recovery",
    );
    post_batch(tx, ctx, "loan.recover", &loan_key(&loan.terms), &[moved]).await?;
    Ok(RepaymentOutcome::Recovered(order.amount))
}

/// Written off for this loan minus recovered so far.
async fn recoverable(tx: &mut Tx, loan: &Loan) -> Result<Fen> {
    let prefix = format!(
        "writeoff:{}:{}:",
        loan.terms.institution_code, loan.terms.contract_no
    );
    let written = fupin_store::ledger::sum_of_transfers_with_prefix(tx, &prefix).await?;
    let recovered = loans::recovered_total(tx, loan.id).await?;
    Ok(Fen::new(written.fen() - recovered.fen()))
}

fn require_active(loan: &Loan) -> Result<()> {
    match loan.status.as_str() {
        "active" => Ok(()),
        other => Err(AppError::Conflict(format!(
            "loan {} is {other}",
            loan_key(&loan.terms)
        ))),
    }
}

fn require_reason(reason: &str) -> Result<()> {
    match reason.trim().is_empty() {
        true => Err(AppError::Invalid("a reason is required".to_string())),
        false => Ok(()),
    }
}

/// JSON of a loan's terms, for audit records and the API.
pub fn terms_json(terms: &LoanTerms) -> serde_json::Value {
    json!({
        "institution_code": terms.institution_code,
        "contract_no": terms.contract_no,
        "product_code": terms.product_code,
        "borrower_type": terms.borrower_type,
        "borrower_id": terms.borrower_id,
        "village_code": terms.village_code.to_string(),
        "principal": terms.principal.to_plain_yuan(),
        "annual_rate": terms.annual_rate.to_percent_string(),
        "start_on": terms.start_on.to_string(),
        "maturity_on": terms.maturity_on.to_string(),
        "repayment": terms.repayment,
        "day_count": terms.day_count,
        "purpose": terms.purpose,
        "project": terms.project,
        "officer": terms.officer,
    })
}

/// A loan with everything about it, for `fupin loans show` and the loan page.
pub struct LoanDetail {
    pub loan: Loan,
    pub instalments: Vec<InstalmentRow>,
    /// Schedules given after the first (prepayments, extensions), in order.
    pub schedule_versions: Vec<loans::ScheduleVersion>,
    pub repayments: Vec<Repayment>,
    pub extensions: Vec<Extension>,
    pub overdue_spells: Vec<(BusinessDate, Option<BusinessDate>)>,
    pub transfers: Vec<fupin_store::ledger::Transfer>,
    pub principal_outstanding: Fen,
    pub interest_outstanding: Fen,
    /// Penalty interest (罚息) charged and not paid, apart from the interest.
    pub penalty_outstanding: Fen,
}

/// Refuses unless the actor may change this loan: a bank its own loans in its region (another
/// bank's loan is answered as not found); roles that never change loans get 403.
pub fn require_writable(ctx: &Ctx, terms: &LoanTerms) -> Result<()> {
    access::require(ctx, Area::Loans, Access::Write)?;
    require_in_scope(ctx, terms)
}

/// Refuses unless the actor may read this loan in detail: the regulator in its region, a bank
/// its own loans; another bank's loan or one outside the region is answered as not found.
pub fn require_readable(ctx: &Ctx, terms: &LoanTerms) -> Result<()> {
    access::require(ctx, Area::Loans, Access::Read)?;
    require_in_scope(ctx, terms)
}

fn require_in_scope(ctx: &Ctx, terms: &LoanTerms) -> Result<()> {
    let what = || format!("loan {}", loan_key(terms));
    access::require_institution(ctx, &terms.institution_code, what)?;
    access::require_region(ctx, terms.village_code, what)
}

/// Everything about one loan, if the actor may read it (see [`require_readable`]).
pub async fn show(db: &Db, ctx: &Ctx, institution: &str, contract: &str) -> Result<LoanDetail> {
    access::require(ctx, Area::Loans, Access::Read)?;
    let loan = loans::loan_by_contract(db, institution, contract)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("loan {institution}/{contract}")))?;
    require_readable(ctx, &loan.terms)?;
    detail(db, institution, contract).await
}

/// Loans matching a filter, narrowed to what the actor may read: the regulator its region, a
/// bank its own institution (asking for another's is answered as not found). At most 1,000 a
/// page.
pub async fn list_for(db: &Db, ctx: &Ctx, filter: &loans::LoanFilter) -> Result<Vec<Loan>> {
    let filter = scoped_filter(ctx, filter)?;
    list(db, &filter).await
}

pub use fupin_store::loan_standing::Standing as LoanStanding;

/// Loans matching a filter and a standing (overdue, a five-category class), as the actor may
/// see them (the rules of [`list_for`]).
pub async fn list_standing_for(
    db: &Db,
    ctx: &Ctx,
    filter: &loans::LoanFilter,
    standing: &fupin_store::loan_standing::Standing,
) -> Result<Vec<Loan>> {
    if let Some(class) = &standing.classification
        && repayment::Classification::parse(class).is_none()
    {
        return Err(AppError::field(
            "class",
            "must be normal, special_mention, substandard, doubtful or loss",
        ));
    }
    let mut filter = scoped_filter(ctx, filter)?;
    filter.limit = filter.limit.clamp(0, 1_000);
    Ok(fupin_store::loan_standing::list_loans(db, &filter, standing).await?)
}

/// The filter narrowed to the actor's region and, for a bank, its own institution.
fn scoped_filter(ctx: &Ctx, filter: &loans::LoanFilter) -> Result<loans::LoanFilter> {
    access::require(ctx, Area::Loans, Access::Read)?;
    let mut filter = filter.clone();
    filter.within = access::region_in_scope(ctx, filter.within)?;
    if let Some(own) = access::bank_institution(ctx)? {
        match &filter.institution {
            Some(asked) if asked != own => {
                return Err(AppError::NotFound(format!("institution {asked}")));
            }
            _ => filter.institution = Some(own.to_string()),
        }
    }
    Ok(filter)
}

/// What the poverty office may know of a household's loan: who lends, the product, whether it
/// is current — no contract, amounts or schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanStatus {
    pub institution_code: String,
    pub product_code: String,
    pub start_on: BusinessDate,
    pub maturity_on: BusinessDate,
    /// `active`, `settled`, `rolled_over` or `written_off`.
    pub status: String,
    pub overdue: bool,
    pub classification: repayment::Classification,
}

/// A household's loans as the actor may see them: in detail for the regulator and (its own)
/// for a bank; as [`LoanStatus`] for the poverty office. The household itself must be visible
/// to the actor (see [`crate::registry::visible_household`]).
pub async fn of_household(
    db: &Db,
    ctx: &Ctx,
    household_id: &str,
    today: BusinessDate,
) -> Result<(Vec<Loan>, Vec<LoanStatus>)> {
    crate::registry::visible_household(db, ctx, household_id, today).await?;
    let mut filter = loans::LoanFilter {
        borrower_id: Some(household_id.to_string()),
        limit: 1_000,
        ..Default::default()
    };
    if access::sees_loan_details(ctx) {
        filter.institution = access::bank_institution(ctx)?.map(str::to_string);
        return Ok((list(db, &filter).await?, Vec::new()));
    }
    let statuses = list(db, &filter)
        .await?
        .into_iter()
        .filter(|loan| loan.terms.borrower_type == "household")
        .map(|loan| LoanStatus {
            institution_code: loan.terms.institution_code,
            product_code: loan.terms.product_code,
            start_on: loan.terms.start_on,
            maturity_on: loan.terms.maturity_on,
            overdue: loan.overdue_days > 0,
            status: loan.status,
            classification: loan.classification,
        })
        .collect();
    Ok((Vec::new(), statuses))
}

/// Loan products, for every role that works with loans or their funds (a product catalogue is
/// public to the platform's users); administrators do not read them.
pub async fn products_for(db: &Db, ctx: &Ctx, institution: Option<&str>) -> Result<Vec<Product>> {
    let role = ctx.actor.role;
    if role == crate::Role::Admin {
        return Err(AppError::Forbidden(
            "the admin role does not read loan products".into(),
        ));
    }
    products(db, institution).await
}

/// Everything about one loan, with no actor: for the command line and internal callers (the
/// web calls [`show`]).
pub async fn detail(db: &Db, institution: &str, contract: &str) -> Result<LoanDetail> {
    let loan = loans::loan_by_contract(db, institution, contract)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("loan {institution}/{contract}")))?;
    let base = format!("loan:{institution}:{contract}");
    let principal = fupin_store::ledger::account_by_code(db, &format!("{base}:principal")).await?;
    let interest = fupin_store::ledger::account_by_code(db, &format!("{base}:interest")).await?;
    let penalty = fupin_store::ledger::account_by_code(db, &format!("{base}:penalty")).await?;
    let mut transfers = Vec::new();
    for account in principal
        .iter()
        .chain(interest.iter())
        .chain(penalty.iter())
    {
        transfers.extend(fupin_store::ledger::transfers_of(db, account.id, 10_000).await?);
    }
    transfers.sort_by_key(|t| t.seq);
    transfers.dedup_by_key(|t| t.seq);
    Ok(LoanDetail {
        instalments: loans::instalments(db, loan.id).await?,
        schedule_versions: loans::schedule_versions_of(db, loan.id).await?,
        repayments: loans::repayments_of(db, loan.id).await?,
        extensions: loans::extensions_of(db, loan.id).await?,
        overdue_spells: loans::overdue_spells(db, loan.id).await?,
        transfers,
        principal_outstanding: principal.map_or(Fen::ZERO, |a| a.balance()),
        interest_outstanding: interest.map_or(Fen::ZERO, |a| a.balance()),
        penalty_outstanding: penalty.map_or(Fen::ZERO, |a| a.balance()),
        loan,
    })
}

pub use fupin_store::loans::{Loan, LoanFilter, LoanTerms, Product};

/// Loan products, optionally of one institution (no actor: see [`products_for`]).
pub async fn products(db: &Db, institution: Option<&str>) -> Result<Vec<Product>> {
    Ok(loans::products(db, institution).await?)
}

/// Loans matching a filter (at most 1,000 per page), with no actor: see [`list_for`].
pub async fn list(db: &Db, filter: &loans::LoanFilter) -> Result<Vec<Loan>> {
    let mut filter = filter.clone();
    filter.limit = filter.limit.clamp(0, 1_000);
    Ok(loans::list_loans(db, &filter).await?)
}

/// Finds a loan by institution and contract inside a transaction.
pub async fn find(tx: &mut Tx, institution: &str, contract: &str) -> Result<Loan> {
    loans::lock_loan_by_contract(tx, institution, contract).await?;
    loans::loan_by_contract_in(tx, institution, contract)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("loan {institution}/{contract}")))
}

// ---------------------------------------------------------------------------------------------
// commands: one transaction each (for the web; the command line composes the same steps)

/// Applies a repayment in its own transaction (see [`repay`]).
pub async fn repay_command(db: &Db, ctx: &Ctx, order: &RepaymentOrder) -> Result<RepaymentOutcome> {
    access::require(ctx, Area::Loans, Access::Write)?;
    let mut tx = db.write().await?;
    let outcome = repay(&mut tx, ctx, order).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(outcome)
}

/// Finds a loan the actor may change, in the transaction: 403 for roles that never change
/// loans, 404 for a loan that does not exist or is outside the actor's scope.
async fn writable(tx: &mut Tx, ctx: &Ctx, institution: &str, contract: &str) -> Result<Loan> {
    access::require(ctx, Area::Loans, Access::Write)?;
    let loan = find(tx, institution, contract).await?;
    require_writable(ctx, &loan.terms)?;
    Ok(loan)
}

/// Extends a loan in its own transaction (see [`extend`]); returns the loan as it now is.
pub async fn extend_command(
    db: &Db,
    ctx: &Ctx,
    institution: &str,
    contract: &str,
    decided_on: BusinessDate,
    new_maturity: BusinessDate,
    reason: &str,
) -> Result<Loan> {
    let mut tx = db.write().await?;
    let loan = writable(&mut tx, ctx, institution, contract).await?;
    extend(&mut tx, ctx, &loan, decided_on, new_maturity, reason).await?;
    let loan = find(&mut tx, institution, contract).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(loan)
}

/// Rolls a loan over in its own transaction (see [`roll_over`]); returns the new loan.
#[allow(clippy::too_many_arguments)]
pub async fn roll_over_command(
    db: &Db,
    ctx: &Ctx,
    institution: &str,
    contract: &str,
    new_contract_no: &str,
    decided_on: BusinessDate,
    new_maturity: BusinessDate,
    reason: &str,
) -> Result<Loan> {
    let new_contract_no = new_contract_no.trim();
    if new_contract_no.is_empty() {
        return Err(AppError::field("new_contract", "is required"));
    }
    let mut tx = db.write().await?;
    let loan = writable(&mut tx, ctx, institution, contract).await?;
    if loans::loan_by_contract_in(&mut tx, institution, new_contract_no)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "loan {institution}/{new_contract_no} exists already"
        )));
    }
    roll_over(
        &mut tx,
        ctx,
        &loan,
        new_contract_no,
        decided_on,
        new_maturity,
        reason,
    )
    .await?;
    let new_loan = find(&mut tx, institution, new_contract_no).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(new_loan)
}

/// Writes a loan off in its own transaction (see [`write_off`]); returns the amount written
/// off and the loan as it now is.
pub async fn write_off_command(
    db: &Db,
    ctx: &Ctx,
    institution: &str,
    contract: &str,
    on: BusinessDate,
    reason: &str,
) -> Result<(Fen, Loan)> {
    let mut tx = db.write().await?;
    let loan = writable(&mut tx, ctx, institution, contract).await?;
    let amount = write_off(&mut tx, ctx, &loan, on, reason).await?;
    let loan = find(&mut tx, institution, contract).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok((amount, loan))
}
