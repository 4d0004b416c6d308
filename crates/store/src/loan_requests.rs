//! Borrowers' requests for a renewal (续贷) or an extension (展期), as the bank records them.

use fupin_core::BusinessDate;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, StoreError};
use crate::filter::Conditions;

/// One request of a loan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanRequest {
    pub loan_id: i64,
    pub seq: i64,
    /// `renewal` or `extension`.
    pub kind: String,
    pub requested_on: BusinessDate,
    /// `pending`, `granted` or `refused`.
    pub status: String,
    pub decided_on: Option<BusinessDate>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A request with the loan it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestOfLoan {
    pub request: LoanRequest,
    pub institution_code: String,
    pub contract_no: String,
    pub borrower_type: String,
    pub borrower_id: String,
    /// The household head's or the enterprise's name ('' when the registry has neither).
    pub borrower_name: String,
    pub village_code: String,
    pub maturity_on: BusinessDate,
}

/// Which requests to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// A region code prefix (empty: all).
    pub prefix: String,
    pub institution: Option<String>,
    /// `pending`, `granted` or `refused`; `None`: all.
    pub status: Option<String>,
    pub limit: i64,
}

const COLUMNS: &str = "r.loan_id, r.seq, r.kind, r.requested_on, r.status, r.decided_on, \
    r.note, r.recorded_by, r.recorded_at";

/// Records a request; returns its sequence number within the loan. A second pending request
/// of the same kind breaks the unique index: a constraint error.
pub async fn insert(tx: &mut Tx, request: &LoanRequest) -> Result<i64> {
    let row = sqlx::query(
        "select cast(coalesce(max(seq), 0) + 1 as bigint) as n from loan_requests where loan_id = $1",
    )
    .bind(request.loan_id)
    .fetch_one(&mut **tx)
    .await?;
    let seq: i64 = row.try_get("n")?;
    sqlx::query(
        "insert into loan_requests (loan_id, seq, kind, requested_on, status, decided_on, note, \
         recorded_by, recorded_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(request.loan_id)
    .bind(seq)
    .bind(request.kind.clone())
    .bind(request.requested_on.to_string())
    .bind(request.status.clone())
    .bind(request.decided_on.map(|d| d.to_string()))
    .bind(request.note.clone())
    .bind(request.recorded_by.clone())
    .bind(request.recorded_at.clone())
    .execute(&mut **tx)
    .await?;
    Ok(seq)
}

/// The pending request of a kind of a loan, if any.
pub async fn pending_of_loan(tx: &mut Tx, loan_id: i64, kind: &str) -> Result<Option<LoanRequest>> {
    let sql = format!(
        "select {COLUMNS} from loan_requests r where r.loan_id = $1 and r.kind = $2 \
         and r.status = 'pending'"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .bind(kind.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(request_from_row).transpose()
}

/// Decides a pending request: `granted` or `refused` on `on`.
pub async fn decide(
    tx: &mut Tx,
    loan_id: i64,
    seq: i64,
    status: &str,
    on: BusinessDate,
) -> Result<()> {
    sqlx::query(
        "update loan_requests set status = $1, decided_on = $2 \
         where loan_id = $3 and seq = $4 and status = 'pending'",
    )
    .bind(status.to_string())
    .bind(on.to_string())
    .bind(loan_id)
    .bind(seq)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Requests with their loans, oldest request first.
pub async fn list(db: &Db, filter: &RequestFilter) -> Result<Vec<RequestOfLoan>> {
    let mut conditions = Conditions::starting_at(2);
    conditions
        .prefix("l.village_code", &filter.prefix)
        .text_if("l.institution_code = {}", filter.institution.as_deref())
        .text_if("r.status = {}", filter.status.as_deref());
    let sql = format!(
        "select {COLUMNS}, l.institution_code, l.contract_no, l.borrower_type, l.borrower_id, \
         {} as borrower_name, l.village_code, l.maturity_on \
         from loan_requests r join loans l on l.id = r.loan_id left join enterprises e \
         on l.borrower_type = 'enterprise' and e.credit_code = l.borrower_id \
         where 1 = 1{} order by r.requested_on, l.institution_code, l.contract_no, r.seq \
         limit $1",
        crate::funds::BORROWER_NAME,
        conditions.and_clause()
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(filter.limit);
    let rows = conditions.bind(query).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(RequestOfLoan {
                request: request_from_row(row)?,
                institution_code: row.try_get("institution_code")?,
                contract_no: row.try_get("contract_no")?,
                borrower_type: row.try_get("borrower_type")?,
                borrower_id: row.try_get("borrower_id")?,
                borrower_name: row.try_get("borrower_name")?,
                village_code: row.try_get("village_code")?,
                maturity_on: date(row, "maturity_on")?,
            })
        })
        .collect()
}

/// The requests of one loan, in order.
pub async fn of_loan(db: &Db, loan_id: i64) -> Result<Vec<LoanRequest>> {
    let sql = format!("select {COLUMNS} from loan_requests r where r.loan_id = $1 order by r.seq");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(request_from_row).collect()
}

fn request_from_row(row: &AnyRow) -> Result<LoanRequest> {
    let decided: Option<String> = row.try_get("decided_on")?;
    Ok(LoanRequest {
        loan_id: row.try_get("loan_id")?,
        seq: row.try_get("seq")?,
        kind: row.try_get("kind")?,
        requested_on: date(row, "requested_on")?,
        status: row.try_get("status")?,
        decided_on: decided
            .as_deref()
            .map(|d| parse_date(d, "decided_on"))
            .transpose()?,
        note: row.try_get("note")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

fn date(row: &AnyRow, column: &'static str) -> Result<BusinessDate> {
    let text: String = row.try_get(column)?;
    parse_date(&text, column)
}

fn parse_date(text: &str, column: &'static str) -> Result<BusinessDate> {
    BusinessDate::parse(text).map_err(|e| StoreError::Corrupt {
        table: "loan_requests",
        column,
        message: e.to_string(),
    })
}
