//! Loan products, loans, instalments, repayments, extensions, overdue spells, end-of-day state.

use fupin_core::repayment::{Classification, InstalmentState, Thresholds};
use fupin_core::{BusinessDate, Fen, Rate, RegionCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::filter::Conditions;
use crate::regions::date_column;

/// A loan product, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub code: String,
    pub name: String,
    pub category: String,
    pub borrower_type: String,
    pub max_amount: Fen,
    pub max_term_months: i64,
    pub annual_rate: Rate,
    pub repayment: String,
    pub day_count: String,
    pub subsidy_rate: Option<Rate>,
    /// The fund's share of a loss in millionths (800,000 = 80 %).
    pub risk_fund_share_ppm: Option<i64>,
    pub institution_code: String,
    /// Counties where it is offered; empty = everywhere.
    pub counties: Vec<RegionCode>,
    /// Servicing options (grace, penalty, prepayment).
    pub servicing: Servicing,
}

/// A product's servicing options; the default is none of them, keeping the term on prepayment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Servicing {
    /// Leading months of interest only (宽限期).
    pub grace_months: i64,
    /// Days after a due date before overdue days start counting.
    pub grace_days: i64,
    /// Penalty interest (罚息): the uplift on the contract rate, millionths; `None` = none.
    pub penalty_uplift_ppm: Option<i64>,
    /// `keep_term` or `keep_instalment`: what a prepayment does unless the borrower chooses.
    pub prepayment_option: String,
}

impl Servicing {
    /// No grace, no penalty, prepayments keep the term.
    pub fn none() -> Servicing {
        Servicing {
            prepayment_option: "keep_term".to_string(),
            ..Servicing::default()
        }
    }
}

const PRODUCT_COLUMNS: &str = "code, name, category, borrower_type, max_amount_fen, \
    max_term_months, annual_rate_ppm, repayment, day_count, subsidy_rate_ppm, \
    risk_fund_share_ppm, institution_code, counties, grace_months, grace_days, \
    penalty_uplift_ppm, prepayment_option";

pub async fn product_in(tx: &mut Tx, code: &str) -> Result<Option<Product>> {
    let sql = format!("select {PRODUCT_COLUMNS} from products where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(product_from_row).transpose()
}

pub async fn products(db: &Db, institution: Option<&str>) -> Result<Vec<Product>> {
    let sql = format!(
        "select {PRODUCT_COLUMNS} from products where ($1 = '' or institution_code = $1) order by code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(institution.unwrap_or(""))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(product_from_row).collect()
}

pub async fn upsert_product(tx: &mut Tx, product: &Product) -> Result<()> {
    let counties: Vec<String> = product.counties.iter().map(|c| c.to_string()).collect();
    sqlx::query(
        "insert into products (code, name, category, borrower_type, max_amount_fen, \
         max_term_months, annual_rate_ppm, repayment, day_count, subsidy_rate_ppm, \
         risk_fund_share_ppm, institution_code, counties, grace_months, grace_days, \
         penalty_uplift_ppm, prepayment_option) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         on conflict (code) do update set name = excluded.name, category = excluded.category, \
         borrower_type = excluded.borrower_type, max_amount_fen = excluded.max_amount_fen, \
         max_term_months = excluded.max_term_months, annual_rate_ppm = excluded.annual_rate_ppm, \
         repayment = excluded.repayment, day_count = excluded.day_count, \
         subsidy_rate_ppm = excluded.subsidy_rate_ppm, \
         risk_fund_share_ppm = excluded.risk_fund_share_ppm, \
         institution_code = excluded.institution_code, counties = excluded.counties, \
         grace_months = excluded.grace_months, grace_days = excluded.grace_days, \
         penalty_uplift_ppm = excluded.penalty_uplift_ppm, \
         prepayment_option = excluded.prepayment_option",
    )
    .bind(&product.code)
    .bind(&product.name)
    .bind(&product.category)
    .bind(&product.borrower_type)
    .bind(product.max_amount.fen())
    .bind(product.max_term_months)
    .bind(product.annual_rate.ppm())
    .bind(&product.repayment)
    .bind(&product.day_count)
    .bind(product.subsidy_rate.map(Rate::ppm))
    .bind(product.risk_fund_share_ppm)
    .bind(&product.institution_code)
    .bind(counties.join(";"))
    .bind(product.servicing.grace_months)
    .bind(product.servicing.grace_days)
    .bind(product.servicing.penalty_uplift_ppm)
    .bind(&product.servicing.prepayment_option)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn product_from_row(row: &AnyRow) -> Result<Product> {
    let counties: String = row.try_get("counties")?;
    Ok(Product {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        category: row.try_get("category")?,
        borrower_type: row.try_get("borrower_type")?,
        max_amount: Fen::new(row.try_get("max_amount_fen")?),
        max_term_months: row.try_get("max_term_months")?,
        annual_rate: Rate::from_ppm(row.try_get("annual_rate_ppm")?),
        repayment: row.try_get("repayment")?,
        day_count: row.try_get("day_count")?,
        subsidy_rate: row
            .try_get::<Option<i64>, _>("subsidy_rate_ppm")?
            .map(Rate::from_ppm),
        risk_fund_share_ppm: row.try_get("risk_fund_share_ppm")?,
        institution_code: row.try_get("institution_code")?,
        counties: counties
            .split(';')
            .filter(|c| !c.is_empty())
            .map(|c| RegionCode::parse(c).map_err(|e| corrupt("products", "counties", e)))
            .collect::<Result<_>>()?,
        servicing: Servicing {
            grace_months: row.try_get("grace_months")?,
            grace_days: row.try_get("grace_days")?,
            penalty_uplift_ppm: row.try_get("penalty_uplift_ppm")?,
            prepayment_option: row.try_get("prepayment_option")?,
        },
    })
}

/// The terms of a loan contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanTerms {
    pub institution_code: String,
    pub contract_no: String,
    pub product_code: String,
    pub borrower_type: String,
    pub borrower_id: String,
    pub village_code: RegionCode,
    pub principal: Fen,
    pub annual_rate: Rate,
    pub start_on: BusinessDate,
    pub maturity_on: BusinessDate,
    pub repayment: String,
    pub day_count: String,
    pub purpose: String,
    pub project: Option<String>,
    /// The bank's loan officer (信贷员), when the loans file names one.
    pub officer: Option<String>,
}

/// A stored loan: its terms and its standing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loan {
    pub id: i64,
    pub terms: LoanTerms,
    pub original_maturity_on: BusinessDate,
    pub status: String,
    pub closed_on: Option<BusinessDate>,
    pub next_unpaid_due_on: Option<BusinessDate>,
    pub overdue_since: Option<BusinessDate>,
    pub overdue_days: i64,
    pub classification: Classification,
    pub rolled_from_loan_id: Option<i64>,
}

pub(crate) const LOAN_COLUMNS: &str = "id, institution_code, contract_no, product_code, borrower_type, \
    borrower_id, village_code, principal_fen, annual_rate_ppm, start_on, maturity_on, \
    original_maturity_on, repayment, day_count, purpose, project, status, closed_on, \
    next_unpaid_due_on, overdue_since, overdue_days, classification, rolled_from_loan_id, officer";

/// Inserts a new loan, standing normal and not overdue with its first unpaid instalment due on
/// `next_unpaid_due_on`, and returns its id.
pub async fn insert_loan(
    tx: &mut Tx,
    terms: &LoanTerms,
    rolled_from: Option<i64>,
    next_unpaid_due_on: Option<BusinessDate>,
) -> Result<i64> {
    let loan = NewLoan {
        terms,
        next_unpaid_due_on,
        rolled_from,
    };
    let ids = insert_loans(tx, &[loan]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| corrupt("loans", "id", "an inserted loan was not returned"))
}

/// A new loan to insert with [`insert_loans`]: its terms and its first unpaid due date.
pub struct NewLoan<'a> {
    pub terms: &'a LoanTerms,
    pub next_unpaid_due_on: Option<BusinessDate>,
    /// The loan this one rolls over, if it does.
    pub rolled_from: Option<i64>,
}

/// Columns of [`insert_loans`], bound in this order.
const NEW_LOAN_COLUMNS: usize = 18;

/// Inserts new loans (standing normal, not overdue, not rolled over) in multi-row statements;
/// returns their ids in the order given. Contracts must be new: a stored one is a constraint
/// violation.
pub async fn insert_loans(tx: &mut Tx, loans: &[NewLoan<'_>]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(loans.len());
    for chunk in loans.chunks(crate::sql::rows_per_insert(NEW_LOAN_COLUMNS)) {
        ids.extend(insert_loan_rows(tx, chunk).await?);
    }
    Ok(ids)
}

async fn insert_loan_rows(tx: &mut Tx, loans: &[NewLoan<'_>]) -> Result<Vec<i64>> {
    let mut params = crate::sql::Params::of(tx);
    let values: Vec<String> = loans
        .iter()
        .map(|_| format!("({}, 'active')", params.list(NEW_LOAN_COLUMNS)))
        .collect();
    let sql = format!(
        "insert into loans (institution_code, contract_no, product_code, borrower_type, \
         borrower_id, village_code, principal_fen, annual_rate_ppm, start_on, maturity_on, \
         original_maturity_on, repayment, day_count, purpose, project, next_unpaid_due_on, \
         rolled_from_loan_id, officer, status) values {} returning id, institution_code, contract_no",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for loan in loans {
        let terms = loan.terms;
        query = query
            .bind(&terms.institution_code)
            .bind(&terms.contract_no)
            .bind(&terms.product_code)
            .bind(&terms.borrower_type)
            .bind(&terms.borrower_id)
            .bind(terms.village_code.to_string())
            .bind(terms.principal.fen())
            .bind(terms.annual_rate.ppm())
            .bind(terms.start_on.to_string())
            .bind(terms.maturity_on.to_string())
            .bind(terms.maturity_on.to_string())
            .bind(&terms.repayment)
            .bind(&terms.day_count)
            .bind(&terms.purpose)
            .bind(&terms.project)
            .bind(loan.next_unpaid_due_on.map(|d| d.to_string()))
            .bind(loan.rolled_from)
            .bind(&terms.officer);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    // RETURNING gives the rows in no promised order: match them by contract.
    let mut by_contract = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let institution: String = row.try_get("institution_code")?;
        let contract: String = row.try_get("contract_no")?;
        by_contract.insert((institution, contract), row.try_get::<i64, _>("id")?);
    }
    loans
        .iter()
        .map(|loan| {
            let key = (
                loan.terms.institution_code.clone(),
                loan.terms.contract_no.clone(),
            );
            by_contract
                .get(&key)
                .copied()
                .ok_or_else(|| corrupt("loans", "id", "an inserted loan was not returned"))
        })
        .collect()
}

/// Takes the loan's row lock until the transaction ends (an update that changes nothing), so
/// that commands on one loan run one after another on PostgreSQL as they do on SQLite, whose
/// writers are serialised anyway; reads after it see the previous command's commit. False when
/// there is no such loan.
pub async fn lock_loan_by_contract(tx: &mut Tx, institution: &str, contract: &str) -> Result<bool> {
    let locked = sqlx::query(
        "update loans set status = status where institution_code = $1 and contract_no = $2",
    )
    .bind(institution)
    .bind(contract)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(locked > 0)
}

/// [`lock_loan_by_contract`] and [`loan_by_contract_in`] in one statement: the loan as it is
/// once locked.
pub async fn lock_and_read_loan_by_contract(
    tx: &mut Tx,
    institution: &str,
    contract: &str,
) -> Result<Option<Loan>> {
    let sql = format!(
        "update loans set status = status where institution_code = $1 and contract_no = $2 \
         returning {LOAN_COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(institution)
        .bind(contract)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(loan_from_row).transpose()
}

/// [`lock_and_read_loan_by_contract`] for many contracts of an institution: the stored ones,
/// locked, in no particular order.
pub async fn lock_and_read_loans_by_contracts(
    tx: &mut Tx,
    institution: &str,
    contracts: &[&str],
) -> Result<Vec<Loan>> {
    let statement = |institution: &str, list: &str| {
        format!(
            "update loans set status = status where institution_code = {institution} and \
             contract_no in ({list}) returning {LOAN_COLUMNS}"
        )
    };
    loans_of_contracts(tx, institution, contracts, statement).await
}

/// The loans of an institution's `contracts` that `statement` (given the placeholders of the
/// institution and of the contracts' list) returns, in statements of many contracts.
async fn loans_of_contracts(
    tx: &mut Tx,
    institution: &str,
    contracts: &[&str],
    statement: impl Fn(&str, &str) -> String,
) -> Result<Vec<Loan>> {
    let mut loans = Vec::new();
    for chunk in contracts.chunks(crate::sql::rows_per_insert(1) - 1) {
        let mut params = crate::sql::Params::of(tx);
        let institution_param = params.one();
        let sql = statement(&institution_param, &params.list(chunk.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(institution);
        for contract in chunk {
            query = query.bind(*contract);
        }
        for row in query.fetch_all(&mut **tx).await? {
            loans.push(loan_from_row(&row)?);
        }
    }
    Ok(loans)
}

pub async fn loan_by_contract_in(
    tx: &mut Tx,
    institution: &str,
    contract: &str,
) -> Result<Option<Loan>> {
    let sql = format!(
        "select {LOAN_COLUMNS} from loans where institution_code = $1 and contract_no = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(institution)
        .bind(contract)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(loan_from_row).transpose()
}

/// The stored loans among an institution's `contracts`, in no particular order.
pub async fn loans_by_contracts_in(
    tx: &mut Tx,
    institution: &str,
    contracts: &[&str],
) -> Result<Vec<Loan>> {
    let statement = |institution: &str, list: &str| {
        format!(
            "select {LOAN_COLUMNS} from loans where institution_code = {institution} and \
             contract_no in ({list})"
        )
    };
    loans_of_contracts(tx, institution, contracts, statement).await
}

pub async fn loan_by_contract(db: &Db, institution: &str, contract: &str) -> Result<Option<Loan>> {
    let sql = format!(
        "select {LOAN_COLUMNS} from loans where institution_code = $1 and contract_no = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(institution)
        .bind(contract)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(loan_from_row).transpose()
}

pub async fn loan_by_id(db: &Db, id: i64) -> Result<Option<Loan>> {
    let sql = format!("select {LOAN_COLUMNS} from loans where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(loan_from_row).transpose()
}

/// Active overdue loans of products the risk fund covers or with guarantors.
pub async fn covered_overdue_loans_in(tx: &mut Tx) -> Result<Vec<Loan>> {
    let columns = LOAN_COLUMNS
        .split(", ")
        .map(|c| format!("l.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "select {columns} from loans l join products p on p.code = l.product_code \
         where l.status = 'active' and l.overdue_days > 0 and (p.risk_fund_share_ppm is not null \
         or exists (select 1 from loan_guarantees g where g.loan_id = l.id)) order by l.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(loan_from_row).collect()
}

pub async fn loan_in(tx: &mut Tx, id: i64) -> Result<Option<Loan>> {
    let sql = format!("select {LOAN_COLUMNS} from loans where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(loan_from_row).transpose()
}

/// Filters for listing loans; every field narrows.
#[derive(Clone, Debug, Default)]
pub struct LoanFilter {
    /// Borrowers at or under this region.
    pub within: Option<RegionCode>,
    pub institution: Option<String>,
    pub product: Option<String>,
    pub borrower_id: Option<String>,
    pub status: Option<String>,
    /// Loans started on or before this date and not closed before it.
    pub as_of: Option<BusinessDate>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list_loans(db: &Db, filter: &LoanFilter) -> Result<Vec<Loan>> {
    let mut conditions = Conditions::starting_at(1);
    conditions
        .within("village_code", filter.within)
        .text_if("institution_code = {}", filter.institution.as_deref())
        .text_if("product_code = {}", filter.product.as_deref())
        .text_if("borrower_id = {}", filter.borrower_id.as_deref())
        .text_if("status = {}", filter.status.as_deref());
    if let Some(date) = filter.as_of {
        conditions.text(
            "start_on <= {} and (closed_on is null or closed_on > {})",
            date.to_string(),
        );
    }
    let limit = conditions.int(filter.limit);
    let offset = conditions.int(filter.offset);
    let sql = format!(
        "select {LOAN_COLUMNS} from loans{} order by id limit {limit} offset {offset}",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(loan_from_row).collect()
}

pub(crate) fn loan_from_row(row: &AnyRow) -> Result<Loan> {
    let required_date = |column: &'static str| {
        date_column(row, "loans", column)?.ok_or_else(|| corrupt("loans", column, "null"))
    };
    let village: String = row.try_get("village_code")?;
    let classification: String = row.try_get("classification")?;
    Ok(Loan {
        id: row.try_get("id")?,
        terms: LoanTerms {
            institution_code: row.try_get("institution_code")?,
            contract_no: row.try_get("contract_no")?,
            product_code: row.try_get("product_code")?,
            borrower_type: row.try_get("borrower_type")?,
            borrower_id: row.try_get("borrower_id")?,
            village_code: RegionCode::parse(&village)
                .map_err(|e| corrupt("loans", "village_code", e))?,
            principal: Fen::new(row.try_get("principal_fen")?),
            annual_rate: Rate::from_ppm(row.try_get("annual_rate_ppm")?),
            start_on: required_date("start_on")?,
            maturity_on: required_date("maturity_on")?,
            repayment: row.try_get("repayment")?,
            day_count: row.try_get("day_count")?,
            purpose: row.try_get("purpose")?,
            project: row.try_get("project")?,
            officer: row.try_get("officer")?,
        },
        original_maturity_on: required_date("original_maturity_on")?,
        status: row.try_get("status")?,
        closed_on: date_column(row, "loans", "closed_on")?,
        next_unpaid_due_on: date_column(row, "loans", "next_unpaid_due_on")?,
        overdue_since: date_column(row, "loans", "overdue_since")?,
        overdue_days: row.try_get("overdue_days")?,
        classification: Classification::parse(&classification)
            .ok_or_else(|| corrupt("loans", "classification", &classification))?,
        rolled_from_loan_id: row.try_get("rolled_from_loan_id")?,
    })
}

/// An instalment row as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalmentRow {
    pub state: InstalmentState,
    pub interest_charged: Fen,
    pub superseded: bool,
}

/// Instalment rows per INSERT, within every engine's limit of bound values.
const INSTALMENTS_PER_STATEMENT: usize = crate::sql::rows_per_insert(7);

pub async fn insert_instalments(tx: &mut Tx, loan_id: i64, rows: &[InstalmentState]) -> Result<()> {
    insert_schedules(tx, &[(loan_id, rows)]).await
}

/// Inserts the schedules of several loans, many rows per statement.
pub async fn insert_schedules(tx: &mut Tx, schedules: &[(i64, &[InstalmentState])]) -> Result<()> {
    let rows: Vec<(i64, &InstalmentState)> = schedules
        .iter()
        .flat_map(|(loan_id, rows)| rows.iter().map(move |row| (*loan_id, row)))
        .collect();
    for chunk in rows.chunks(INSTALMENTS_PER_STATEMENT) {
        let sql = format!(
            "insert into loan_instalments (loan_id, number, due_on, principal_fen, interest_fen, \
             paid_principal_fen, paid_interest_fen) values {}",
            crate::sql::Params::of(tx).rows(chunk.len(), 7)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (loan_id, row) in chunk {
            query = query
                .bind(*loan_id)
                .bind(i64::from(row.number))
                .bind(row.due_on.to_string())
                .bind(row.principal.fen())
                .bind(row.interest.fen())
                .bind(row.paid_principal.fen())
                .bind(row.paid_interest.fen());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

const INSTALMENT_COLUMNS: &str = "number, due_on, principal_fen, interest_fen, \
    interest_charged_fen, paid_principal_fen, paid_interest_fen, superseded";

/// Every instalment of a loan (superseded ones too), in number order.
pub async fn instalments_in(tx: &mut Tx, loan_id: i64) -> Result<Vec<InstalmentRow>> {
    let sql = format!(
        "select {INSTALMENT_COLUMNS} from loan_instalments where loan_id = $1 order by number"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(instalment_from_row).collect()
}

/// The instalments still due (not superseded) of many loans, each with its loan's id, in no
/// particular order.
pub async fn live_instalments_of_loans_in(
    tx: &mut Tx,
    loan_ids: &[i64],
) -> Result<Vec<(i64, InstalmentRow)>> {
    let mut result = Vec::new();
    for chunk in loan_ids.chunks(crate::sql::rows_per_insert(1)) {
        let sql = format!(
            "select loan_id, {INSTALMENT_COLUMNS} from loan_instalments where loan_id in ({}) \
             and superseded = 0",
            crate::sql::Params::of(tx).list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            result.push((row.try_get("loan_id")?, instalment_from_row(&row)?));
        }
    }
    Ok(result)
}

pub async fn instalments(db: &Db, loan_id: i64) -> Result<Vec<InstalmentRow>> {
    let sql = format!(
        "select {INSTALMENT_COLUMNS} from loan_instalments where loan_id = $1 order by number"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(instalment_from_row).collect()
}

fn instalment_from_row(row: &AnyRow) -> Result<InstalmentRow> {
    Ok(InstalmentRow {
        state: InstalmentState {
            number: u32::try_from(row.try_get::<i64, _>("number")?)
                .map_err(|e| corrupt("loan_instalments", "number", e))?,
            due_on: date_column(row, "loan_instalments", "due_on")?
                .ok_or_else(|| corrupt("loan_instalments", "due_on", "null"))?,
            principal: Fen::new(row.try_get("principal_fen")?),
            interest: Fen::new(row.try_get("interest_fen")?),
            paid_principal: Fen::new(row.try_get("paid_principal_fen")?),
            paid_interest: Fen::new(row.try_get("paid_interest_fen")?),
        },
        interest_charged: Fen::new(row.try_get("interest_charged_fen")?),
        superseded: row.try_get::<i64, _>("superseded")? != 0,
    })
}

/// Adds payments and charged interest to an instalment.
pub async fn add_to_instalment(
    tx: &mut Tx,
    loan_id: i64,
    number: u32,
    paid_principal: Fen,
    paid_interest: Fen,
    charged_interest: Fen,
) -> Result<()> {
    sqlx::query(
        "update loan_instalments set paid_principal_fen = paid_principal_fen + $1, \
         paid_interest_fen = paid_interest_fen + $2, interest_charged_fen = interest_charged_fen + $3 \
         where loan_id = $4 and number = $5",
    )
    .bind(paid_principal.fen())
    .bind(paid_interest.fen())
    .bind(charged_interest.fen())
    .bind(loan_id)
    .bind(i64::from(number))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a payment adds to one instalment ([`add_to_instalments`]).
pub struct InstalmentPayment {
    pub loan_id: i64,
    pub number: u32,
    pub paid_principal: Fen,
    pub paid_interest: Fen,
    pub charged_interest: Fen,
}

/// [`add_to_instalment`] for many instalments, in statements of many (each instalment at most
/// once in `payments`: the caller sums a batch's payments of one instalment first).
pub async fn add_to_instalments(tx: &mut Tx, payments: &[InstalmentPayment]) -> Result<()> {
    const TYPES: [&str; 5] = ["bigint"; 5];
    for chunk in payments.chunks(crate::sql::rows_per_insert(TYPES.len())) {
        let sql = format!(
            "update loan_instalments set \
             paid_principal_fen = paid_principal_fen + v.column3, \
             paid_interest_fen = paid_interest_fen + v.column4, \
             interest_charged_fen = interest_charged_fen + v.column5 \
             from (values {}) as v \
             where loan_instalments.loan_id = v.column1 and loan_instalments.number = v.column2",
            crate::sql::Params::of(tx).typed_rows(chunk.len(), &TYPES)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for payment in chunk {
            query = query
                .bind(payment.loan_id)
                .bind(i64::from(payment.number))
                .bind(payment.paid_principal.fen())
                .bind(payment.paid_interest.fen())
                .bind(payment.charged_interest.fen());
        }
        let updated = query.execute(&mut **tx).await?.rows_affected();
        if updated != chunk.len() as u64 {
            return Err(corrupt(
                "loan_instalments",
                "number",
                format!("{} payments updated {updated} instalments", chunk.len()),
            ));
        }
    }
    Ok(())
}

/// Marks instalments from `number` on as no longer due (an extension replaces them; a
/// settlement or write-off ends them).
pub async fn supersede_instalments_from(tx: &mut Tx, loan_id: i64, number: u32) -> Result<()> {
    sqlx::query("update loan_instalments set superseded = 1 where loan_id = $1 and number >= $2")
        .bind(loan_id)
        .bind(i64::from(number))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends the loan (settled, rolled over or written off) on a date.
pub async fn close_loan(tx: &mut Tx, loan_id: i64, status: &str, on: BusinessDate) -> Result<()> {
    sqlx::query(
        "update loans set status = $1, closed_on = $2, next_unpaid_due_on = null where id = $3",
    )
    .bind(status)
    .bind(on.to_string())
    .bind(loan_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets a new maturity (extension).
pub async fn set_maturity(tx: &mut Tx, loan_id: i64, maturity: BusinessDate) -> Result<()> {
    sqlx::query("update loans set maturity_on = $1 where id = $2")
        .bind(maturity.to_string())
        .bind(loan_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The overdue standing of a loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub next_unpaid_due_on: Option<BusinessDate>,
    pub overdue_since: Option<BusinessDate>,
    pub overdue_days: i64,
    pub classification: Classification,
}

/// Writes the standing and opens or closes the overdue spell to match it.
pub async fn set_standing(
    tx: &mut Tx,
    loan: &Loan,
    standing: Standing,
    on: BusinessDate,
) -> Result<()> {
    set_standing_of(tx, loan.id, loan.overdue_since, standing, on).await
}

/// [`set_standing`] of a loan known by its id and the start of its overdue spell as stored
/// (`None` when it is not overdue), for callers that need not read the loan again.
pub async fn set_standing_of(
    tx: &mut Tx,
    loan_id: i64,
    overdue_since: Option<BusinessDate>,
    standing: Standing,
    on: BusinessDate,
) -> Result<()> {
    sqlx::query(
        "update loans set next_unpaid_due_on = $1, overdue_since = $2, overdue_days = $3, \
         classification = $4 where id = $5",
    )
    .bind(standing.next_unpaid_due_on.map(|d| d.to_string()))
    .bind(standing.overdue_since.map(|d| d.to_string()))
    .bind(standing.overdue_days)
    .bind(standing.classification.as_str())
    .bind(loan_id)
    .execute(&mut **tx)
    .await?;
    write_spell(tx, loan_id, overdue_since, &standing, on).await
}

/// Opens or ends a loan's overdue spell when its standing starts or stops being overdue.
async fn write_spell(
    tx: &mut Tx,
    loan_id: i64,
    overdue_since: Option<BusinessDate>,
    standing: &Standing,
    on: BusinessDate,
) -> Result<()> {
    match (overdue_since, standing.overdue_since) {
        (None, Some(from)) => {
            sqlx::query("insert into loan_overdue_spells (loan_id, from_on) values ($1, $2) on conflict do nothing")
                .bind(loan_id)
                .bind(from.to_string())
                .execute(&mut **tx)
                .await?;
        }
        (Some(_), None) => {
            sqlx::query(
                "update loan_overdue_spells set to_on = $1 where loan_id = $2 and to_on is null",
            )
            .bind(on.to_string())
            .bind(loan_id)
            .execute(&mut **tx)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// A loan's new standing, to write with [`set_standings`].
pub struct StandingChange {
    pub loan_id: i64,
    /// The start of the overdue spell as stored before (`None` when not overdue).
    pub overdue_since: Option<BusinessDate>,
    pub standing: Standing,
    pub on: BusinessDate,
}

/// [`set_standing_of`] for many loans: the standings in statements of many, then each overdue
/// spell that opens or ends.
pub async fn set_standings(tx: &mut Tx, changes: &[StandingChange]) -> Result<()> {
    const TYPES: [&str; 5] = ["bigint", "text", "text", "bigint", "text"];
    for chunk in changes.chunks(crate::sql::rows_per_insert(TYPES.len())) {
        let sql = format!(
            "update loans set next_unpaid_due_on = v.column2, overdue_since = v.column3, \
             overdue_days = v.column4, classification = v.column5 \
             from (values {}) as v where loans.id = v.column1",
            crate::sql::Params::of(tx).typed_rows(chunk.len(), &TYPES)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for change in chunk {
            let standing = &change.standing;
            query = query
                .bind(change.loan_id)
                .bind(standing.next_unpaid_due_on.map(|d| d.to_string()))
                .bind(standing.overdue_since.map(|d| d.to_string()))
                .bind(standing.overdue_days)
                .bind(standing.classification.as_str());
        }
        query.execute(&mut **tx).await?;
    }
    for change in changes {
        write_spell(
            tx,
            change.loan_id,
            change.overdue_since,
            &change.standing,
            change.on,
        )
        .await?;
    }
    Ok(())
}

/// Overdue spells of a loan: `[from, to)`, `to` `None` while it lasts.
pub async fn overdue_spells(
    db: &Db,
    loan_id: i64,
) -> Result<Vec<(BusinessDate, Option<BusinessDate>)>> {
    let rows = sqlx::query(
        "select from_on, to_on from loan_overdue_spells where loan_id = $1 order by from_on",
    )
    .bind(loan_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                date_column(row, "loan_overdue_spells", "from_on")?
                    .ok_or_else(|| corrupt("loan_overdue_spells", "from_on", "null"))?,
                date_column(row, "loan_overdue_spells", "to_on")?,
            ))
        })
        .collect()
}

/// A repayment as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repayment {
    pub institution_code: String,
    pub id: String,
    pub loan_id: i64,
    pub paid_on: BusinessDate,
    pub amount: Fen,
    pub kind: String,
    /// `keep_term` or `keep_instalment` for a partial prepayment; `None` otherwise.
    pub prepayment_option: Option<String>,
}

pub async fn repayment_in(tx: &mut Tx, institution: &str, id: &str) -> Result<Option<Repayment>> {
    let row = sqlx::query(
        "select institution_code, id, loan_id, paid_on, amount_fen, kind, prepayment_option \
         from repayments \
         where institution_code = $1 and id = $2",
    )
    .bind(institution)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(repayment_from_row).transpose()
}

/// The stored repayments among an institution's `ids`, in no particular order.
pub async fn repayments_by_ids_in(
    tx: &mut Tx,
    institution: &str,
    ids: &[&str],
) -> Result<Vec<Repayment>> {
    let mut repayments = Vec::new();
    for chunk in ids.chunks(crate::sql::rows_per_insert(1) - 1) {
        let mut params = crate::sql::Params::of(tx);
        let sql = format!(
            "select institution_code, id, loan_id, paid_on, amount_fen, kind, prepayment_option \
         from repayments \
             where institution_code = {} and id in ({})",
            params.one(),
            params.list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(institution);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            repayments.push(repayment_from_row(&row)?);
        }
    }
    Ok(repayments)
}

/// Inserts repayments, many rows per statement.
pub async fn insert_repayments(tx: &mut Tx, repayments: &[Repayment]) -> Result<()> {
    for chunk in repayments.chunks(crate::sql::rows_per_insert(7)) {
        let sql = format!(
            "insert into repayments (institution_code, id, loan_id, paid_on, amount_fen, kind, \
             prepayment_option) values {}",
            crate::sql::Params::of(tx).rows(chunk.len(), 7)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for repayment in chunk {
            query = query
                .bind(&repayment.institution_code)
                .bind(&repayment.id)
                .bind(repayment.loan_id)
                .bind(repayment.paid_on.to_string())
                .bind(repayment.amount.fen())
                .bind(&repayment.kind)
                .bind(&repayment.prepayment_option);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

pub async fn repayments_of(db: &Db, loan_id: i64) -> Result<Vec<Repayment>> {
    let rows = sqlx::query(
        "select institution_code, id, loan_id, paid_on, amount_fen, kind, prepayment_option \
         from repayments \
         where loan_id = $1 order by paid_on, id",
    )
    .bind(loan_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(repayment_from_row).collect()
}

/// What was recovered on a written-off loan so far.
pub async fn recovered_total(tx: &mut Tx, loan_id: i64) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from repayments \
         where loan_id = $1 and kind = 'recovery'",
    )
    .bind(loan_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

fn repayment_from_row(row: &AnyRow) -> Result<Repayment> {
    Ok(Repayment {
        institution_code: row.try_get("institution_code")?,
        id: row.try_get("id")?,
        loan_id: row.try_get("loan_id")?,
        paid_on: date_column(row, "repayments", "paid_on")?
            .ok_or_else(|| corrupt("repayments", "paid_on", "null"))?,
        amount: Fen::new(row.try_get("amount_fen")?),
        kind: row.try_get("kind")?,
        prepayment_option: row.try_get("prepayment_option")?,
    })
}

/// A schedule given to a loan after its first (which is version 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleVersion {
    pub version: i64,
    /// Instalments numbered from here on belong to it.
    pub first_number: i64,
    pub decided_on: BusinessDate,
    /// `prepayment` or `extension`.
    pub kind: String,
    pub prepayment_option: Option<String>,
    pub repayment_id: Option<String>,
    pub principal: Fen,
    pub maturity_on: BusinessDate,
}

/// Records a new schedule version, numbered after the loan's last (the first recorded is 2).
pub async fn insert_schedule_version(
    tx: &mut Tx,
    loan_id: i64,
    version: &ScheduleVersion,
) -> Result<i64> {
    let row = sqlx::query(
        "insert into loan_schedule_versions (loan_id, version, first_number, decided_on, kind, \
         prepayment_option, repayment_id, principal_fen, maturity_on) values ($1, \
         (select coalesce(max(version), 1) + 1 from loan_schedule_versions where loan_id = $1), \
         $2, $3, $4, $5, $6, $7, $8) returning version",
    )
    .bind(loan_id)
    .bind(version.first_number)
    .bind(version.decided_on.to_string())
    .bind(&version.kind)
    .bind(&version.prepayment_option)
    .bind(&version.repayment_id)
    .bind(version.principal.fen())
    .bind(version.maturity_on.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("version")?)
}

/// A loan's schedule versions after the first, in order.
pub async fn schedule_versions_of(db: &Db, loan_id: i64) -> Result<Vec<ScheduleVersion>> {
    let rows = sqlx::query(
        "select version, first_number, decided_on, kind, prepayment_option, repayment_id, \
         principal_fen, maturity_on from loan_schedule_versions where loan_id = $1 \
         order by version",
    )
    .bind(loan_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let date = |column: &'static str| {
                date_column(row, "loan_schedule_versions", column)?
                    .ok_or_else(|| corrupt("loan_schedule_versions", column, "null"))
            };
            Ok(ScheduleVersion {
                version: row.try_get("version")?,
                first_number: row.try_get("first_number")?,
                decided_on: date("decided_on")?,
                kind: row.try_get("kind")?,
                prepayment_option: row.try_get("prepayment_option")?,
                repayment_id: row.try_get("repayment_id")?,
                principal: Fen::new(row.try_get("principal_fen")?),
                maturity_on: date("maturity_on")?,
            })
        })
        .collect()
}

/// An extension or rollover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub kind: String,
    pub decided_on: BusinessDate,
    pub previous_maturity_on: BusinessDate,
    pub new_maturity_on: BusinessDate,
    pub reason: String,
    pub new_loan_id: Option<i64>,
}

pub async fn insert_extension(tx: &mut Tx, loan_id: i64, extension: &Extension) -> Result<()> {
    sqlx::query(
        "insert into loan_extensions (loan_id, seq, kind, decided_on, previous_maturity_on, \
         new_maturity_on, reason, new_loan_id) values ($1, \
         (select coalesce(max(seq), 0) + 1 from loan_extensions where loan_id = $1), \
         $2, $3, $4, $5, $6, $7)",
    )
    .bind(loan_id)
    .bind(&extension.kind)
    .bind(extension.decided_on.to_string())
    .bind(extension.previous_maturity_on.to_string())
    .bind(extension.new_maturity_on.to_string())
    .bind(&extension.reason)
    .bind(extension.new_loan_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn extensions_of(db: &Db, loan_id: i64) -> Result<Vec<Extension>> {
    let rows = sqlx::query(
        "select kind, decided_on, previous_maturity_on, new_maturity_on, reason, new_loan_id \
         from loan_extensions where loan_id = $1 order by seq",
    )
    .bind(loan_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let date = |column: &'static str| {
                date_column(row, "loan_extensions", column)?
                    .ok_or_else(|| corrupt("loan_extensions", column, "null"))
            };
            Ok(Extension {
                kind: row.try_get("kind")?,
                decided_on: date("decided_on")?,
                previous_maturity_on: date("previous_maturity_on")?,
                new_maturity_on: date("new_maturity_on")?,
                reason: row.try_get("reason")?,
                new_loan_id: row.try_get("new_loan_id")?,
            })
        })
        .collect()
}

/// The classification thresholds in force on a date.
pub async fn thresholds_on(tx: &mut Tx, date: BusinessDate) -> Result<Thresholds> {
    let row = sqlx::query(
        "select special_mention_days, substandard_days, doubtful_days, loss_days \
         from classification_thresholds where effective_from <= $1 \
         order by effective_from desc limit 1",
    )
    .bind(date.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        None => Ok(Thresholds::default()),
        Some(row) => Ok(Thresholds {
            special_mention_days: row.try_get("special_mention_days")?,
            substandard_days: row.try_get("substandard_days")?,
            doubtful_days: row.try_get("doubtful_days")?,
            loss_days: row.try_get("loss_days")?,
        }),
    }
}

/// The classification thresholds in force on a date (outside a transaction).
pub async fn thresholds_as_of(db: &Db, date: BusinessDate) -> Result<Thresholds> {
    let row = sqlx::query(
        "select special_mention_days, substandard_days, doubtful_days, loss_days \
         from classification_thresholds where effective_from <= $1 \
         order by effective_from desc limit 1",
    )
    .bind(date.to_string())
    .fetch_optional(db.pool())
    .await?;
    match row {
        None => Ok(Thresholds::default()),
        Some(row) => Ok(Thresholds {
            special_mention_days: row.try_get("special_mention_days")?,
            substandard_days: row.try_get("substandard_days")?,
            doubtful_days: row.try_get("doubtful_days")?,
            loss_days: row.try_get("loss_days")?,
        }),
    }
}

/// The last business date end of day completed.
pub async fn eod_last_date(db: &Db) -> Result<Option<BusinessDate>> {
    let row = sqlx::query("select last_date from eod_state where id = 1")
        .fetch_one(db.pool())
        .await?;
    date_column(&row, "eod_state", "last_date")
}

/// Records that end of day completed for `date`, only if it follows the last one recorded
/// (a concurrent run that got there first makes this return false).
pub async fn advance_eod(
    tx: &mut Tx,
    previous: Option<BusinessDate>,
    date: BusinessDate,
) -> Result<bool> {
    let updated = sqlx::query(
        "update eod_state set last_date = $1 where id = 1 and coalesce(last_date, '') = $2",
    )
    .bind(date.to_string())
    .bind(previous.map(|d| d.to_string()).unwrap_or_default())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Instalments of active loans falling due on `date` whose interest is not yet charged:
/// (loan id, instalment number, interest still to charge).
///
/// At most `limit` of them, the first by loan and number: charging them takes them out of the
/// next call's answer, so a caller pages through a day with bounded memory.
pub async fn interest_to_charge_on(
    tx: &mut Tx,
    date: BusinessDate,
    limit: i64,
) -> Result<Vec<(i64, u32, Fen)>> {
    let rows = sqlx::query(
        "select i.loan_id, i.number, i.interest_fen - i.interest_charged_fen as to_charge \
         from loan_instalments i join loans l on l.id = i.loan_id \
         where i.due_on = $1 and i.superseded = 0 and l.status = 'active' \
         and i.interest_charged_fen < i.interest_fen order by i.loan_id, i.number limit $2",
    )
    .bind(date.to_string())
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            let number: i64 = row.try_get("number")?;
            Ok((
                row.try_get("loan_id")?,
                u32::try_from(number).map_err(|e| corrupt("loan_instalments", "number", e))?,
                Fen::new(row.try_get("to_charge")?),
            ))
        })
        .collect()
}

/// Active loans with an instalment unpaid after its due date at the end of `date`: at most
/// `limit` of them with ids above `after_id`, by id (a page).
pub async fn overdue_loans_on(
    tx: &mut Tx,
    date: BusinessDate,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(Loan, i64)>> {
    let sql = format!(
        "select {}, p.grace_days from loans l join products p on p.code = l.product_code \
         where l.status = 'active' and l.next_unpaid_due_on < $1 and l.id > $2 \
         order by l.id limit $3",
        qualified_loan_columns()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|row| Ok((loan_from_row(row)?, row.try_get("grace_days")?)))
        .collect()
}

/// [`LOAN_COLUMNS`] of the table aliased `l`.
fn qualified_loan_columns() -> String {
    LOAN_COLUMNS
        .split(',')
        .map(|c| format!("l.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Active loans with an instalment unpaid before `date` whose product charges penalty
/// interest, a page after `after_id`, each with its product's uplift (ppm) and grace days.
pub async fn penalised_overdue_loans_on(
    tx: &mut Tx,
    date: BusinessDate,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(Loan, i64, i64)>> {
    let sql = format!(
        "select {}, p.penalty_uplift_ppm, p.grace_days from loans l \
         join products p on p.code = l.product_code \
         where l.status = 'active' and l.next_unpaid_due_on < $1 and l.id > $2 \
         and p.penalty_uplift_ppm is not null order by l.id limit $3",
        qualified_loan_columns()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(date.to_string())
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                loan_from_row(row)?,
                row.try_get("penalty_uplift_ppm")?,
                row.try_get("grace_days")?,
            ))
        })
        .collect()
}
