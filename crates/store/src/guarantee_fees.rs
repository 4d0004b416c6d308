//! Guarantee fees paid on loan guarantees, and the county's subsidy of each (pending until the
//! finance bureau approves it).

use fupin_core::{BusinessDate, Fen};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::regions::date_column;

/// A guarantee fee payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuaranteeFee {
    /// Unique over all guarantees: a repeated id is the same payment.
    pub id: String,
    pub guarantee_id: i64,
    pub paid_on: BusinessDate,
    pub amount: Fen,
    pub subsidy: Fen,
    /// `none` (no subsidy), `pending` or `approved`.
    pub subsidy_state: String,
    pub approved_on: Option<BusinessDate>,
    pub approved_by: Option<String>,
}

const COLUMNS: &str =
    "id, guarantee_id, paid_on, amount_fen, subsidy_fen, subsidy_state, approved_on, approved_by";

fn fee_from_row(row: &AnyRow) -> Result<GuaranteeFee> {
    Ok(GuaranteeFee {
        id: row.try_get("id")?,
        guarantee_id: row.try_get("guarantee_id")?,
        paid_on: date_column(row, "guarantee_fees", "paid_on")?
            .ok_or_else(|| corrupt("guarantee_fees", "paid_on", "null"))?,
        amount: Fen::new(row.try_get("amount_fen")?),
        subsidy: Fen::new(row.try_get("subsidy_fen")?),
        subsidy_state: row.try_get("subsidy_state")?,
        approved_on: date_column(row, "guarantee_fees", "approved_on")?,
        approved_by: row.try_get("approved_by")?,
    })
}

/// A fee payment by its id.
pub async fn fee_in(tx: &mut Tx, id: &str) -> Result<Option<GuaranteeFee>> {
    let sql = format!("select {COLUMNS} from guarantee_fees where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(fee_from_row).transpose()
}

/// Stores a fee payment.
pub async fn insert_fee(tx: &mut Tx, fee: &GuaranteeFee) -> Result<()> {
    sqlx::query(
        "insert into guarantee_fees (id, guarantee_id, paid_on, amount_fen, subsidy_fen, \
         subsidy_state) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&fee.id)
    .bind(fee.guarantee_id)
    .bind(fee.paid_on.to_string())
    .bind(fee.amount.fen())
    .bind(fee.subsidy.fen())
    .bind(&fee.subsidy_state)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks a pending fee subsidy approved; false when it was not pending.
pub async fn approve_subsidy(tx: &mut Tx, id: &str, on: BusinessDate, by: &str) -> Result<bool> {
    let updated = sqlx::query(
        "update guarantee_fees set subsidy_state = 'approved', approved_on = $1, \
         approved_by = $2 where id = $3 and subsidy_state = 'pending'",
    )
    .bind(on.to_string())
    .bind(by)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// A fee payment with what names it: the loan's bank, contract and village, the guarantee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedFee {
    pub fee: GuaranteeFee,
    pub institution_code: String,
    pub loan_contract_no: String,
    pub village_code: String,
    pub guarantor_type: String,
    pub guarantor_id: String,
    pub guarantee_contract_no: String,
    pub fee_payer: String,
}

/// The fee payments of loans in villages under a prefix, newest first; only the pending
/// subsidies when `pending_only`.
pub async fn fees(db: &Db, county_prefix: &str, pending_only: bool) -> Result<Vec<NamedFee>> {
    let sql = format!(
        "select f.id, f.guarantee_id, f.paid_on, f.amount_fen, f.subsidy_fen, f.subsidy_state, \
         f.approved_on, f.approved_by, l.institution_code, l.contract_no as loan_contract_no, \
         l.village_code, g.guarantor_type, g.guarantor_id, g.contract_no, g.fee_payer \
         from guarantee_fees f join loan_guarantees g on g.id = f.guarantee_id \
         join loans l on l.id = g.loan_id where l.village_code like $1 {} \
         order by f.paid_on desc, f.id",
        match pending_only {
            true => "and f.subsidy_state = 'pending'",
            false => "",
        }
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(format!("{county_prefix}%"))
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(NamedFee {
                fee: fee_from_row(row)?,
                institution_code: row.try_get("institution_code")?,
                loan_contract_no: row.try_get("loan_contract_no")?,
                village_code: row.try_get("village_code")?,
                guarantor_type: row.try_get("guarantor_type")?,
                guarantor_id: row.try_get("guarantor_id")?,
                guarantee_contract_no: row.try_get("contract_no")?,
                fee_payer: row.try_get("fee_payer")?,
            })
        })
        .collect()
}

/// Fees paid to a date and the subsidies of them approved to that date, of loans in villages
/// under a prefix: (fees, subsidies approved).
pub async fn totals_as_of(db: &Db, county_prefix: &str, date: BusinessDate) -> Result<(Fen, Fen)> {
    let row = sqlx::query(
        "select cast(coalesce(sum(case when f.paid_on <= $2 then f.amount_fen else 0 end), 0) \
         as bigint) as fees, cast(coalesce(sum(case when f.subsidy_state = 'approved' \
         and f.approved_on <= $2 then f.subsidy_fen else 0 end), 0) as bigint) as subsidies \
         from guarantee_fees f join loan_guarantees g on g.id = f.guarantee_id \
         join loans l on l.id = g.loan_id where l.village_code like $1",
    )
    .bind(format!("{county_prefix}%"))
    .bind(date.to_string())
    .fetch_one(db.pool())
    .await?;
    Ok((
        Fen::new(row.try_get("fees")?),
        Fen::new(row.try_get("subsidies")?),
    ))
}
