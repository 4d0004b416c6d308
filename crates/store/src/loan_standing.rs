//! Loans by standing: overdue, or of one of the five categories — the loan officer's and the
//! regulator's "which loans need attention" lists, with the filters of [`LoanFilter`].

use crate::db::Db;
use crate::error::Result;
use crate::loans::{LOAN_COLUMNS, Loan, LoanFilter, loan_from_row};

/// What a loan must stand as, besides the filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    /// Only loans with an unpaid instalment past due (their overdue spell is open).
    pub overdue: bool,
    /// Only loans of this five-category class (`normal` … `loss`).
    pub classification: Option<String>,
}

/// Loans matching `filter` and `standing`, in id order.
pub async fn list_loans(db: &Db, filter: &LoanFilter, standing: &Standing) -> Result<Vec<Loan>> {
    let sql = format!(
        "select {LOAN_COLUMNS} from loans where village_code like $1 \
         and ($2 = '' or institution_code = $2) and ($3 = '' or product_code = $3) \
         and ($4 = '' or borrower_id = $4) and ($5 = '' or status = $5) \
         and ($6 = '' or (start_on <= $6 and (closed_on is null or closed_on > $6))) \
         and ($7 = 0 or overdue_since is not null) and ($8 = '' or classification = $8) \
         order by id limit $9 offset $10"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(crate::institutions::prefix_pattern(filter.within))
        .bind(filter.institution.clone().unwrap_or_default())
        .bind(filter.product.clone().unwrap_or_default())
        .bind(filter.borrower_id.clone().unwrap_or_default())
        .bind(filter.status.clone().unwrap_or_default())
        .bind(filter.as_of.map(|d| d.to_string()).unwrap_or_default())
        .bind(i64::from(standing.overdue))
        .bind(standing.classification.clone().unwrap_or_default())
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(loan_from_row).collect()
}
