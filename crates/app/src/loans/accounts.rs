//! The ledger accounts of loans and of the banks that make them.
//!
//! Per loan: `loan:<institution>:<contract>:principal` and `…:interest`, both debit-normal
//! receivables whose kind carries the product category and, for products the county
//! risk-compensation fund covers, `:covered` (`loan_principal:poverty_microcredit:covered`), so
//! roll-ups by category or coverage are bucket lookups. Per bank: `bank:<institution>:cash` (its
//! clearing account), `…:interest_income`, `…:loan_losses`, `…:recoveries`.

use fupin_core::RegionCode;
use fupin_store::Tx;
use fupin_store::ledger::{self, Account, NewAccount, NormalSide};
use fupin_store::loans::{LoanTerms, Product};

use crate::error::Result;

/// The two receivable accounts of a loan.
pub struct LoanAccounts {
    pub principal: Account,
    pub interest: Account,
}

/// Finds (or opens) a loan's receivable accounts.
pub async fn of_loan(tx: &mut Tx, terms: &LoanTerms, product: &Product) -> Result<LoanAccounts> {
    let found = ledger::find_or_open_accounts(tx, &loan_accounts(terms, product)).await?;
    pair(found)
}

/// Finds (or opens) the receivable accounts of many loans, in statements of many; returns them
/// in the order given.
pub async fn of_loans<'a>(
    tx: &mut Tx,
    loans: impl Iterator<Item = (&'a LoanTerms, &'a Product)>,
) -> Result<Vec<LoanAccounts>> {
    let wanted: Vec<NewAccount> = loans
        .flat_map(|(terms, product)| loan_accounts(terms, product))
        .collect();
    let mut found = Vec::with_capacity(wanted.len() / 2);
    for chunk in wanted.chunks(ACCOUNTS_PER_STATEMENT) {
        let mut accounts = ledger::find_or_open_accounts(tx, chunk).await?.into_iter();
        while let (Some(principal), Some(interest)) = (accounts.next(), accounts.next()) {
            found.push(pair(vec![principal, interest])?);
        }
    }
    Ok(found)
}

/// Opens the receivable accounts of many loans being disbursed, in statements of many; returns
/// them in the order given.
pub async fn open_for_loans<'a>(
    tx: &mut Tx,
    loans: impl Iterator<Item = (&'a LoanTerms, &'a Product)>,
) -> Result<Vec<LoanAccounts>> {
    let new: Vec<NewAccount> = loans
        .flat_map(|(terms, product)| loan_accounts(terms, product))
        .collect();
    let mut opened = Vec::with_capacity(new.len() / 2);
    // Two accounts a loan, six values an account: well within each engine's bound values.
    for chunk in new.chunks(ACCOUNTS_PER_STATEMENT) {
        let mut accounts = ledger::open_accounts(tx, chunk).await?.into_iter();
        while let (Some(principal), Some(interest)) = (accounts.next(), accounts.next()) {
            opened.push(pair(vec![principal, interest])?);
        }
    }
    Ok(opened)
}

/// Accounts per opening statement: an even number, so that a loan's two share one.
const ACCOUNTS_PER_STATEMENT: usize = 300;

fn pair(accounts: Vec<Account>) -> Result<LoanAccounts> {
    match <[Account; 2]>::try_from(accounts) {
        Ok([principal, interest]) => Ok(LoanAccounts {
            principal,
            interest,
        }),
        // The store answers one account for each asked.
        Err(_) => Err(fupin_store::StoreError::Corrupt {
            table: "ledger_accounts",
            column: "code",
            message: "a loan's receivable accounts are missing".to_string(),
        }
        .into()),
    }
}

/// The principal and interest accounts of a loan, as opened.
fn loan_accounts(terms: &LoanTerms, product: &Product) -> [NewAccount; 2] {
    let base = format!("loan:{}:{}", terms.institution_code, terms.contract_no);
    let coverage = if product.risk_fund_share_ppm.is_some() {
        ":covered"
    } else {
        ""
    };
    let open = |suffix: &str, kind: &str| NewAccount {
        code: format!("{base}:{suffix}"),
        normal_side: NormalSide::Debit,
        kind: format!("{kind}:{}{coverage}", product.category),
        institution_code: Some(terms.institution_code.clone()),
        region_code: Some(terms.village_code),
        no_overdraft: true,
    };
    [
        open("principal", "loan_principal"),
        open("interest", "loan_interest"),
    ]
}

/// Finds (or opens) a loan's penalty interest receivable (罚息), `loan:<institution>:<contract>:
/// penalty`, kind `loan_penalty:<category>`: apart from the interest, never subsidised.
pub async fn penalty_of_loan(tx: &mut Tx, terms: &LoanTerms, product: &Product) -> Result<Account> {
    let account = NewAccount {
        code: format!(
            "loan:{}:{}:penalty",
            terms.institution_code, terms.contract_no
        ),
        normal_side: NormalSide::Debit,
        kind: format!("loan_penalty:{}", product.category),
        institution_code: Some(terms.institution_code.clone()),
        region_code: Some(terms.village_code),
        no_overdraft: true,
    };
    Ok(ledger::open_account(tx, &account).await?)
}

/// A bank's own account of the given purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BankAccount {
    Cash,
    InterestIncome,
    LoanLosses,
    Recoveries,
    PenaltyIncome,
}

impl BankAccount {
    fn suffix_and_side(self) -> (&'static str, NormalSide) {
        match self {
            BankAccount::Cash => ("cash", NormalSide::Debit),
            BankAccount::InterestIncome => ("interest_income", NormalSide::Credit),
            BankAccount::LoanLosses => ("loan_losses", NormalSide::Debit),
            BankAccount::Recoveries => ("recoveries", NormalSide::Credit),
            BankAccount::PenaltyIncome => ("penalty_income", NormalSide::Credit),
        }
    }
}

/// Opens (or finds) one of a bank's accounts.
pub async fn of_bank(
    tx: &mut Tx,
    institution: &str,
    region: RegionCode,
    purpose: BankAccount,
) -> Result<Account> {
    let (suffix, side) = purpose.suffix_and_side();
    let account = NewAccount {
        code: format!("bank:{institution}:{suffix}"),
        normal_side: side,
        kind: format!("bank_{suffix}"),
        institution_code: Some(institution.to_string()),
        region_code: Some(region),
        no_overdraft: false,
    };
    Ok(ledger::open_account(tx, &account).await?)
}
