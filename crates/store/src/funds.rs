//! County funds: deposits, risk-compensation settings, subsidy claims and risk claims.

use fupin_core::{BusinessDate, Fen, RegionCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::regions::date_column;

/// A deposit into a county fund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deposit {
    pub id: String,
    pub county_code: RegionCode,
    /// `subsidy` or `risk_compensation`.
    pub fund: String,
    pub deposited_on: BusinessDate,
    pub amount: Fen,
}

pub async fn deposit_in(tx: &mut Tx, id: &str) -> Result<Option<Deposit>> {
    let row = sqlx::query(
        "select id, county_code, fund, deposited_on, amount_fen from fund_deposits where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(deposit_from_row).transpose()
}

pub async fn insert_deposit(tx: &mut Tx, deposit: &Deposit) -> Result<()> {
    sqlx::query(
        "insert into fund_deposits (id, county_code, fund, deposited_on, amount_fen) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(&deposit.id)
    .bind(deposit.county_code.to_string())
    .bind(&deposit.fund)
    .bind(deposit.deposited_on.to_string())
    .bind(deposit.amount.fen())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn deposit_from_row(row: &AnyRow) -> Result<Deposit> {
    let county: String = row.try_get("county_code")?;
    Ok(Deposit {
        id: row.try_get("id")?,
        county_code: RegionCode::parse(&county)
            .map_err(|e| corrupt("fund_deposits", "county_code", e))?,
        fund: row.try_get("fund")?,
        deposited_on: date_column(row, "fund_deposits", "deposited_on")?
            .ok_or_else(|| corrupt("fund_deposits", "deposited_on", "null"))?,
        amount: Fen::new(row.try_get("amount_fen")?),
    })
}

/// Sum of a single-column money query bound to a county prefix and a date.
async fn sum_as_of(
    db: &Db,
    sql: &'static str,
    county_prefix: &str,
    date: BusinessDate,
) -> Result<Fen> {
    let row = sqlx::query(sql)
        .bind(format!("{county_prefix}%"))
        .bind(date.to_string())
        .fetch_one(db.pool())
        .await?;
    Ok(Fen::new(row.try_get("total")?))
}

/// Deposits into one kind of fund of the counties under a prefix, up to a date.
pub async fn deposits_as_of(
    db: &Db,
    fund: &str,
    county_prefix: &str,
    date: BusinessDate,
) -> Result<Fen> {
    let sql = match fund {
        "subsidy" => {
            "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from fund_deposits \
             where fund = 'subsidy' and county_code like $1 and deposited_on <= $2"
        }
        "guarantee" => {
            "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from fund_deposits \
             where fund = 'guarantee' and county_code like $1 and deposited_on <= $2"
        }
        _ => {
            "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from fund_deposits \
             where fund = 'risk_compensation' and county_code like $1 and deposited_on <= $2"
        }
    };
    sum_as_of(db, sql, county_prefix, date).await
}

/// Subsidy claims approved (paid) up to a date.
pub async fn subsidy_paid_as_of(db: &Db, county_prefix: &str, date: BusinessDate) -> Result<Fen> {
    sum_as_of(
        db,
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from subsidy_claims \
         where state = 'approved' and county_code like $1 and approved_on <= $2",
        county_prefix,
        date,
    )
    .await
}

/// Risk compensation approved (paid) up to a date.
pub async fn compensation_paid_as_of(
    db: &Db,
    county_prefix: &str,
    date: BusinessDate,
) -> Result<Fen> {
    sum_as_of(
        db,
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from risk_claims \
         where state = 'approved' and county_code like $1 and approved_on <= $2",
        county_prefix,
        date,
    )
    .await
}

/// Recoveries returned to risk funds up to a date.
pub async fn returned_as_of(db: &Db, county_prefix: &str, date: BusinessDate) -> Result<Fen> {
    sum_as_of(
        db,
        "select cast(coalesce(sum(r.amount_fen), 0) as bigint) as total from risk_returns r \
         join risk_claims c on c.id = r.claim_id where c.county_code like $1 and r.returned_on <= $2",
        county_prefix,
        date,
    )
    .await
}

/// A county's risk-compensation rules from a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiskSettings {
    pub county_code: RegionCode,
    pub effective_from: BusinessDate,
    pub leverage_multiple: i64,
    pub fund_share_ppm: i64,
    pub trigger_days: i64,
}

pub async fn set_risk_settings(tx: &mut Tx, settings: &RiskSettings) -> Result<()> {
    sqlx::query(
        "insert into risk_fund_settings (county_code, effective_from, leverage_multiple, \
         fund_share_ppm, trigger_days) values ($1, $2, $3, $4, $5) \
         on conflict (county_code, effective_from) do update set \
         leverage_multiple = excluded.leverage_multiple, fund_share_ppm = excluded.fund_share_ppm, \
         trigger_days = excluded.trigger_days",
    )
    .bind(settings.county_code.to_string())
    .bind(settings.effective_from.to_string())
    .bind(settings.leverage_multiple)
    .bind(settings.fund_share_ppm)
    .bind(settings.trigger_days)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The rules in force for a county on a date, if any.
pub async fn risk_settings_on(
    tx: &mut Tx,
    county: RegionCode,
    date: BusinessDate,
) -> Result<Option<RiskSettings>> {
    let row = sqlx::query(
        "select county_code, effective_from, leverage_multiple, fund_share_ppm, trigger_days \
         from risk_fund_settings where county_code = $1 and effective_from <= $2 \
         order by effective_from desc limit 1",
    )
    .bind(county.to_string())
    .bind(date.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref()
        .map(|row| {
            let county: String = row.try_get("county_code")?;
            Ok(RiskSettings {
                county_code: RegionCode::parse(&county)
                    .map_err(|e| corrupt("risk_fund_settings", "county_code", e))?,
                effective_from: date_column(row, "risk_fund_settings", "effective_from")?
                    .ok_or_else(|| corrupt("risk_fund_settings", "effective_from", "null"))?,
                leverage_multiple: row.try_get("leverage_multiple")?,
                fund_share_ppm: row.try_get("fund_share_ppm")?,
                trigger_days: row.try_get("trigger_days")?,
            })
        })
        .transpose()
}

/// A subsidy claim: one county, institution and quarter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubsidyClaim {
    pub id: i64,
    pub county_code: RegionCode,
    pub institution_code: String,
    pub quarter: String,
    pub state: String,
    pub amount: Fen,
    pub approved_on: Option<BusinessDate>,
    pub approved_by: Option<String>,
}

/// One loan's part of a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimLine {
    pub loan_id: i64,
    pub days: i64,
    pub rate_ppm: i64,
    pub amount: Fen,
}

/// A loan as people name it: its institution, contract number and borrower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanName {
    pub institution_code: String,
    pub contract_no: String,
    /// `household` or `enterprise`.
    pub borrower_type: String,
    /// The registry id of the household, or the enterprise's credit code.
    pub borrower_id: String,
    /// The household head's name (the current head, else the last one) or the enterprise's
    /// name; empty when the registry has neither.
    pub borrower_name: String,
}

/// The borrower's name of loan `l` joined with `enterprises e` as in [`loan_name_joins`]: the
/// household head's name (the current head, else the last one) or the enterprise's, else ''.
macro_rules! borrower_name_sql {
    () => {
        "coalesce(e.name, \
         (select m.name from members m where l.borrower_type = 'household' \
          and m.household_id = l.borrower_id and m.relation = 'head' \
          order by case when m.valid_to is null then 0 else 1 end, m.valid_from desc limit 1), \
         '')"
    };
}

/// [`borrower_name_sql`] for other modules' statements.
pub(crate) const BORROWER_NAME: &str = borrower_name_sql!();

/// The columns of [`LoanName`], for a query joining [`LOAN_NAME_JOINS`] on `{table}.loan_id`.
const LOAN_NAME_COLUMNS: &str = concat!(
    "l.institution_code as loan_institution_code, l.contract_no, l.borrower_type, \
     l.borrower_id, ",
    borrower_name_sql!(),
    " as borrower_name"
);

/// The loan of each row of `{table}` and its enterprise borrower: one statement for all lines,
/// never one per line.
fn loan_name_joins(table: &str) -> String {
    format!(
        "join loans l on l.id = {table}.loan_id left join enterprises e \
         on l.borrower_type = 'enterprise' and e.credit_code = l.borrower_id"
    )
}

fn loan_name_from_row(row: &AnyRow) -> Result<LoanName> {
    Ok(LoanName {
        institution_code: row.try_get("loan_institution_code")?,
        contract_no: row.try_get("contract_no")?,
        borrower_type: row.try_get("borrower_type")?,
        borrower_id: row.try_get("borrower_id")?,
        borrower_name: row.try_get("borrower_name")?,
    })
}

/// A claim line with its loan's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedClaimLine {
    pub line: ClaimLine,
    pub loan: LoanName,
}

const CLAIM_COLUMNS: &str =
    "id, county_code, institution_code, quarter, state, amount_fen, approved_on, approved_by";

pub async fn subsidy_claim_in(
    tx: &mut Tx,
    county: RegionCode,
    institution: &str,
    quarter: &str,
) -> Result<Option<SubsidyClaim>> {
    let sql = format!(
        "select {CLAIM_COLUMNS} from subsidy_claims where county_code = $1 and institution_code = $2 and quarter = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(county.to_string())
        .bind(institution)
        .bind(quarter)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(claim_from_row).transpose()
}

pub async fn subsidy_claim_by_id_in(tx: &mut Tx, id: i64) -> Result<Option<SubsidyClaim>> {
    let sql = format!("select {CLAIM_COLUMNS} from subsidy_claims where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(claim_from_row).transpose()
}

/// Claims of a quarter at or under a region.
pub async fn subsidy_claims(
    db: &Db,
    quarter: &str,
    county_prefix: &str,
) -> Result<Vec<SubsidyClaim>> {
    let sql = format!(
        "select {CLAIM_COLUMNS} from subsidy_claims where quarter = $1 and county_code like $2 \
         order by county_code, institution_code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(quarter)
        .bind(format!("{county_prefix}%"))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(claim_from_row).collect()
}

fn claim_from_row(row: &AnyRow) -> Result<SubsidyClaim> {
    let county: String = row.try_get("county_code")?;
    Ok(SubsidyClaim {
        id: row.try_get("id")?,
        county_code: RegionCode::parse(&county)
            .map_err(|e| corrupt("subsidy_claims", "county_code", e))?,
        institution_code: row.try_get("institution_code")?,
        quarter: row.try_get("quarter")?,
        state: row.try_get("state")?,
        amount: Fen::new(row.try_get("amount_fen")?),
        approved_on: date_column(row, "subsidy_claims", "approved_on")?,
        approved_by: row.try_get("approved_by")?,
    })
}

/// Stores a pending claim with its lines, replacing a pending one of the same key.
pub async fn save_pending_claim(
    tx: &mut Tx,
    county: RegionCode,
    institution: &str,
    quarter: &str,
    lines: &[ClaimLine],
) -> Result<i64> {
    let amount: i64 = lines.iter().map(|l| l.amount.fen()).sum();
    let row = sqlx::query(
        "insert into subsidy_claims (county_code, institution_code, quarter, state, amount_fen) \
         values ($1, $2, $3, 'pending', $4) on conflict (county_code, institution_code, quarter) \
         do update set amount_fen = excluded.amount_fen returning id",
    )
    .bind(county.to_string())
    .bind(institution)
    .bind(quarter)
    .bind(amount)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    sqlx::query("delete from subsidy_claim_lines where claim_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for line in lines {
        sqlx::query(
            "insert into subsidy_claim_lines (claim_id, loan_id, days, rate_ppm, amount_fen) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(line.loan_id)
        .bind(line.days)
        .bind(line.rate_ppm)
        .bind(line.amount.fen())
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// The lines of a claim with their loans' names, in loan order.
pub async fn claim_lines(db: &Db, claim_id: i64) -> Result<Vec<NamedClaimLine>> {
    let sql = format!(
        "select c.loan_id, c.days, c.rate_ppm, c.amount_fen, {LOAN_NAME_COLUMNS} \
         from subsidy_claim_lines c {} where c.claim_id = $1 order by c.loan_id",
        loan_name_joins("c")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(claim_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(NamedClaimLine {
                line: ClaimLine {
                    loan_id: row.try_get("loan_id")?,
                    days: row.try_get("days")?,
                    rate_ppm: row.try_get("rate_ppm")?,
                    amount: Fen::new(row.try_get("amount_fen")?),
                },
                loan: loan_name_from_row(row)?,
            })
        })
        .collect()
}

/// Marks a pending claim approved; false when it was not pending (already approved).
pub async fn approve_subsidy_claim(
    tx: &mut Tx,
    id: i64,
    on: BusinessDate,
    by: &str,
) -> Result<bool> {
    let updated = sqlx::query(
        "update subsidy_claims set state = 'approved', approved_on = $1, approved_by = $2 \
         where id = $3 and state = 'pending'",
    )
    .bind(on.to_string())
    .bind(by)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// A risk-compensation claim on a defaulted loan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskClaim {
    pub id: i64,
    pub loan_id: i64,
    pub county_code: RegionCode,
    pub institution_code: String,
    pub raised_on: BusinessDate,
    pub principal: Fen,
    pub share_ppm: i64,
    pub amount: Fen,
    pub state: String,
    pub approved_on: Option<BusinessDate>,
}

const RISK_COLUMNS: &str = "id, loan_id, county_code, institution_code, raised_on, principal_fen, \
    share_ppm, amount_fen, state, approved_on";

/// A risk claim with its loan's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedRiskClaim {
    pub claim: RiskClaim,
    pub loan: LoanName,
}

/// Risk claims with their loans' names: `where` filters the claims (`r`).
fn named_risk_sql(condition: &str) -> String {
    let columns = RISK_COLUMNS
        .split(", ")
        .map(|column| format!("r.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "select {columns}, {LOAN_NAME_COLUMNS} from risk_claims r {} where {condition} \
         order by r.id",
        loan_name_joins("r")
    )
}

fn named_risk_from_row(row: &AnyRow) -> Result<NamedRiskClaim> {
    Ok(NamedRiskClaim {
        claim: risk_from_row(row)?,
        loan: loan_name_from_row(row)?,
    })
}

/// One risk claim with its loan's name.
pub async fn named_risk_claim_in(tx: &mut Tx, id: i64) -> Result<Option<NamedRiskClaim>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(named_risk_sql("r.id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(named_risk_from_row).transpose()
}

/// Raises a claim for a loan unless it has one; true when raised.
pub async fn raise_risk_claim(tx: &mut Tx, claim: &RiskClaim) -> Result<bool> {
    let inserted = sqlx::query(
        "insert into risk_claims (loan_id, county_code, institution_code, raised_on, principal_fen, \
         share_ppm, amount_fen, state) values ($1, $2, $3, $4, $5, $6, $7, 'pending') \
         on conflict (loan_id) do nothing",
    )
    .bind(claim.loan_id)
    .bind(claim.county_code.to_string())
    .bind(&claim.institution_code)
    .bind(claim.raised_on.to_string())
    .bind(claim.principal.fen())
    .bind(claim.share_ppm)
    .bind(claim.amount.fen())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn risk_claim_of_loan_in(tx: &mut Tx, loan_id: i64) -> Result<Option<RiskClaim>> {
    let sql = format!("select {RISK_COLUMNS} from risk_claims where loan_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(risk_from_row).transpose()
}

/// Which of `loan_ids` have a risk claim or a guarantee claim (of any state): the loans whose
/// recoveries go back to payers.
pub async fn loans_with_risk_claims_in(
    tx: &mut Tx,
    loan_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    let mut found = std::collections::HashSet::new();
    for table in ["risk_claims", "guarantee_claims"] {
        for chunk in loan_ids.chunks(crate::sql::rows_per_insert(1)) {
            let sql = format!(
                "select loan_id from {table} where loan_id in ({})",
                crate::sql::Params::of(tx).list(chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut **tx).await? {
                found.insert(row.try_get::<i64, _>("loan_id")?);
            }
        }
    }
    Ok(found)
}

pub async fn risk_claim_in(tx: &mut Tx, id: i64) -> Result<Option<RiskClaim>> {
    let sql = format!("select {RISK_COLUMNS} from risk_claims where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(risk_from_row).transpose()
}

/// The risk claims of the counties under a prefix, with their loans' names, in id order.
pub async fn risk_claims(db: &Db, county_prefix: &str) -> Result<Vec<NamedRiskClaim>> {
    let sql = named_risk_sql("r.county_code like $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(format!("{county_prefix}%"))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(named_risk_from_row).collect()
}

pub async fn approve_risk_claim(tx: &mut Tx, id: i64, on: BusinessDate, by: &str) -> Result<bool> {
    let updated = sqlx::query(
        "update risk_claims set state = 'approved', approved_on = $1, approved_by = $2 \
         where id = $3 and state = 'pending'",
    )
    .bind(on.to_string())
    .bind(by)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

fn risk_from_row(row: &AnyRow) -> Result<RiskClaim> {
    let county: String = row.try_get("county_code")?;
    Ok(RiskClaim {
        id: row.try_get("id")?,
        loan_id: row.try_get("loan_id")?,
        county_code: RegionCode::parse(&county)
            .map_err(|e| corrupt("risk_claims", "county_code", e))?,
        institution_code: row.try_get("institution_code")?,
        raised_on: date_column(row, "risk_claims", "raised_on")?
            .ok_or_else(|| corrupt("risk_claims", "raised_on", "null"))?,
        principal: Fen::new(row.try_get("principal_fen")?),
        share_ppm: row.try_get("share_ppm")?,
        amount: Fen::new(row.try_get("amount_fen")?),
        state: row.try_get("state")?,
        approved_on: date_column(row, "risk_claims", "approved_on")?,
    })
}

/// What has been returned to the fund on a claim so far.
pub async fn returned_on_claim(tx: &mut Tx, claim_id: i64) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from risk_returns where claim_id = $1",
    )
    .bind(claim_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

pub async fn insert_return(
    tx: &mut Tx,
    claim_id: i64,
    on: BusinessDate,
    source_id: &str,
    amount: Fen,
) -> Result<()> {
    sqlx::query(
        "insert into risk_returns (claim_id, returned_on, source_id, amount_fen) values ($1, $2, $3, $4)",
    )
    .bind(claim_id)
    .bind(on.to_string())
    .bind(source_id)
    .bind(amount.fen())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Loans of subsidised products of an institution in a county, outstanding at some point of
/// `[from, to]`: (loan id, subsidy rate ppm, loan rate ppm, day count).
pub async fn subsidised_loans(
    db: &Db,
    county: RegionCode,
    institution: &str,
    from: BusinessDate,
    to: BusinessDate,
) -> Result<Vec<(i64, i64, i64, String)>> {
    let rows = sqlx::query(
        "select l.id, p.subsidy_rate_ppm, l.annual_rate_ppm, l.day_count from loans l \
         join products p on p.code = l.product_code \
         where p.subsidy_rate_ppm is not null and l.institution_code = $1 and l.village_code like $2 \
         and l.start_on <= $3 and (l.closed_on is null or l.closed_on > $4) order by l.id",
    )
    .bind(institution)
    .bind(format!("{}%", county.prefix()))
    .bind(to.to_string())
    .bind(from.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("subsidy_rate_ppm")?,
                row.try_get("annual_rate_ppm")?,
                row.try_get("day_count")?,
            ))
        })
        .collect()
}

/// (county, institution) pairs with subsidised loans under a prefix.
pub async fn subsidised_pairs(db: &Db, county_prefix: &str) -> Result<Vec<(RegionCode, String)>> {
    let rows = sqlx::query(
        "select distinct substr(l.village_code, 1, 6) as county, l.institution_code from loans l \
         join products p on p.code = l.product_code where p.subsidy_rate_ppm is not null \
         and l.village_code like $1 order by county, l.institution_code",
    )
    .bind(format!("{county_prefix}%"))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let county: String = row.try_get("county")?;
            Ok((
                RegionCode::parse(&county).map_err(|e| corrupt("loans", "village_code", e))?,
                row.try_get("institution_code")?,
            ))
        })
        .collect()
}
