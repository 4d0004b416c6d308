//! Co-borrowers (共同借款人) of loans: people jointly liable for a loan with its borrower.

use fupin_core::{BusinessDate, Fen};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::regions::date_column;

/// A co-borrower of a loan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoBorrower {
    pub loan_id: i64,
    /// The normalised 18-character resident ID number. Personal data: never log it.
    pub id_number: String,
    pub name: String,
    /// `spouse`, `child`, `parent`, `sibling` or `other`.
    pub relation: String,
    pub signed_on: BusinessDate,
    /// The person's household on `signed_on`, when the registry holds them.
    pub household_id: Option<String>,
}

/// A loan that a household's member co-borrows, with what is left of its principal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoBorrowedLoan {
    pub co_borrower: CoBorrower,
    pub institution_code: String,
    pub contract_no: String,
    pub borrower_id: String,
    pub status: String,
    pub principal_outstanding: Fen,
}

/// A person as the registry holds them on a day: their household, name and date of death.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    pub household_id: String,
    pub name: String,
    pub relation: String,
    pub died_on: Option<BusinessDate>,
}

const TABLE: &str = "loan_co_borrowers";

const COLUMNS: &str = "c.loan_id, c.id_number, c.name, c.relation, c.signed_on, c.household_id";

fn from_row(row: &AnyRow) -> Result<CoBorrower> {
    Ok(CoBorrower {
        loan_id: row.try_get("loan_id")?,
        id_number: row.try_get("id_number")?,
        name: row.try_get("name")?,
        relation: row.try_get("relation")?,
        signed_on: date_column(row, TABLE, "signed_on")?
            .ok_or_else(|| corrupt(TABLE, "signed_on", "null"))?,
        household_id: row.try_get("household_id")?,
    })
}

pub async fn insert(tx: &mut Tx, co_borrower: &CoBorrower) -> Result<()> {
    sqlx::query(
        "insert into loan_co_borrowers (loan_id, id_number, name, relation, signed_on, \
         household_id) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(co_borrower.loan_id)
    .bind(&co_borrower.id_number)
    .bind(&co_borrower.name)
    .bind(&co_borrower.relation)
    .bind(co_borrower.signed_on.to_string())
    .bind(co_borrower.household_id.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The co-borrowers of a loan, by ID number: `&mut **tx` inside a transaction, `db.pool()`
/// outside one.
pub async fn of_loan<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    loan_id: i64,
) -> Result<Vec<CoBorrower>> {
    let sql = format!(
        "select {COLUMNS} from loan_co_borrowers c where c.loan_id = $1 order by c.id_number"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_all(executor)
        .await?;
    rows.iter().map(from_row).collect()
}

/// The loans the members of a household co-borrow (as recorded when they signed), with the
/// principal each still owes, newest signature first.
pub async fn of_household(db: &Db, household_id: &str) -> Result<Vec<CoBorrowedLoan>> {
    let sql = format!(
        "select {COLUMNS}, l.institution_code, l.contract_no, l.borrower_id, l.status, \
         cast(coalesce(a.debits_posted_fen - a.credits_posted_fen, 0) as bigint) as outstanding \
         from loan_co_borrowers c join loans l on l.id = c.loan_id \
         left join ledger_accounts a \
         on a.code = 'loan:' || l.institution_code || ':' || l.contract_no || ':principal' \
         where c.household_id = $1 order by c.signed_on desc, l.contract_no"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(CoBorrowedLoan {
                co_borrower: from_row(row)?,
                institution_code: row.try_get("institution_code")?,
                contract_no: row.try_get("contract_no")?,
                borrower_id: row.try_get("borrower_id")?,
                status: row.try_get("status")?,
                principal_outstanding: Fen::new(row.try_get("outstanding")?),
            })
        })
        .collect()
}

/// The person with `id_number` as the registry holds them on `date`, if it does.
pub async fn registered_on(
    tx: &mut Tx,
    id_number: &str,
    date: BusinessDate,
) -> Result<Option<Registered>> {
    let row = sqlx::query(
        "select m.household_id, m.name, m.relation, m.died_on from members m \
         where m.id_number = $1 and m.valid_from <= $2 \
         and (m.valid_to is null or m.valid_to > $2) order by m.household_id limit 1",
    )
    .bind(id_number)
    .bind(date.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Registered {
        household_id: row.try_get("household_id")?,
        name: row.try_get("name")?,
        relation: row.try_get("relation")?,
        died_on: date_column(&row, "members", "died_on")?,
    }))
}
