//! Guarantees: the guarantors of each loan, the county guarantee-fund rules, guarantee
//! companies' loss sharing, guarantee fees, the per-county loss waterfall order and the
//! guarantee payers' claims and recoveries.

use fupin_core::{BusinessDate, Fen, RegionCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::regions::date_column;

/// A guarantor of a loan with its share of the loss and the guarantee contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanGuarantee {
    pub id: i64,
    pub loan_id: i64,
    /// `household`, `enterprise`, `company` or `county_fund`.
    pub guarantor_type: String,
    /// Resident ID, credit code, institution code or county code.
    pub guarantor_id: String,
    pub contract_no: String,
    pub share_bps: i64,
    pub signed_on: BusinessDate,
    pub fee_rate_bps: i64,
    /// `borrower` or `bank`.
    pub fee_payer: String,
    pub fee_subsidy_bps: i64,
}

const GUARANTEE_COLUMNS: &str = "id, loan_id, guarantor_type, guarantor_id, contract_no, \
    share_bps, signed_on, fee_rate_bps, fee_payer, fee_subsidy_bps";

fn guarantee_from_row(row: &AnyRow) -> Result<LoanGuarantee> {
    Ok(LoanGuarantee {
        id: row.try_get("id")?,
        loan_id: row.try_get("loan_id")?,
        guarantor_type: row.try_get("guarantor_type")?,
        guarantor_id: row.try_get("guarantor_id")?,
        contract_no: row.try_get("contract_no")?,
        share_bps: row.try_get("share_bps")?,
        signed_on: date_column(row, "loan_guarantees", "signed_on")?
            .ok_or_else(|| corrupt("loan_guarantees", "signed_on", "null"))?,
        fee_rate_bps: row.try_get("fee_rate_bps")?,
        fee_payer: row.try_get("fee_payer")?,
        fee_subsidy_bps: row.try_get("fee_subsidy_bps")?,
    })
}

/// Stores a guarantee; returns its id.
pub async fn insert_guarantee(tx: &mut Tx, guarantee: &LoanGuarantee) -> Result<i64> {
    let row = sqlx::query(
        "insert into loan_guarantees (loan_id, guarantor_type, guarantor_id, contract_no, \
         share_bps, signed_on, fee_rate_bps, fee_payer, fee_subsidy_bps) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(guarantee.loan_id)
    .bind(&guarantee.guarantor_type)
    .bind(&guarantee.guarantor_id)
    .bind(&guarantee.contract_no)
    .bind(guarantee.share_bps)
    .bind(guarantee.signed_on.to_string())
    .bind(guarantee.fee_rate_bps)
    .bind(&guarantee.fee_payer)
    .bind(guarantee.fee_subsidy_bps)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// The guarantees of a loan, in id order.
pub async fn guarantees_of_loan_in(tx: &mut Tx, loan_id: i64) -> Result<Vec<LoanGuarantee>> {
    let sql =
        format!("select {GUARANTEE_COLUMNS} from loan_guarantees where loan_id = $1 order by id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(guarantee_from_row).collect()
}

/// The guarantees of a loan, in id order (outside a transaction).
pub async fn guarantees_of_loan(db: &Db, loan_id: i64) -> Result<Vec<LoanGuarantee>> {
    let sql =
        format!("select {GUARANTEE_COLUMNS} from loan_guarantees where loan_id = $1 order by id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(guarantee_from_row).collect()
}

pub async fn guarantee_by_id_in(tx: &mut Tx, id: i64) -> Result<Option<LoanGuarantee>> {
    let sql = format!("select {GUARANTEE_COLUMNS} from loan_guarantees where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(guarantee_from_row).transpose()
}

/// One guaranteed loan of a guarantor: the loan, its contract, its share and the principal
/// outstanding now (active loans only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuaranteedLoan {
    pub loan_id: i64,
    pub institution_code: String,
    pub contract_no: String,
    pub guarantee_contract_no: String,
    pub share_bps: i64,
    pub principal: Fen,
}

/// The active loans a guarantor guarantees (`guarantor_type` and, for the county fund, its
/// county code), with their principal outstanding from the ledger.
pub async fn guaranteed_loans_in(
    tx: &mut Tx,
    guarantor_type: &str,
    guarantor_id: &str,
) -> Result<Vec<GuaranteedLoan>> {
    guaranteed_loans_on(&mut **tx, guarantor_type, guarantor_id).await
}

/// [`guaranteed_loans_in`] outside a transaction.
pub async fn guaranteed_loans(
    db: &Db,
    guarantor_type: &str,
    guarantor_id: &str,
) -> Result<Vec<GuaranteedLoan>> {
    guaranteed_loans_on(db.pool(), guarantor_type, guarantor_id).await
}

async fn guaranteed_loans_on<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    guarantor_type: &str,
    guarantor_id: &str,
) -> Result<Vec<GuaranteedLoan>> {
    let rows = sqlx::query(
        "select l.id, l.institution_code, l.contract_no, g.contract_no as guarantee_contract_no, \
         g.share_bps, coalesce(a.debits_posted_fen - a.credits_posted_fen, 0) as principal_fen \
         from loan_guarantees g join loans l on l.id = g.loan_id \
         left join ledger_accounts a \
         on a.code = 'loan:' || l.institution_code || ':' || l.contract_no || ':principal' \
         where g.guarantor_type = $1 and g.guarantor_id = $2 and l.status = 'active' \
         order by l.id",
    )
    .bind(guarantor_type)
    .bind(guarantor_id)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(GuaranteedLoan {
                loan_id: row.try_get("id")?,
                institution_code: row.try_get("institution_code")?,
                contract_no: row.try_get("contract_no")?,
                guarantee_contract_no: row.try_get("guarantee_contract_no")?,
                share_bps: row.try_get("share_bps")?,
                principal: Fen::new(row.try_get("principal_fen")?),
            })
        })
        .collect()
}

/// A county's guarantee-fund rules from a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuaranteeFundSettings {
    pub county_code: RegionCode,
    pub effective_from: BusinessDate,
    pub leverage_multiple: i64,
    pub fund_share_bps: i64,
}

pub async fn set_fund_settings(tx: &mut Tx, settings: &GuaranteeFundSettings) -> Result<()> {
    sqlx::query(
        "insert into guarantee_fund_settings (county_code, effective_from, leverage_multiple, \
         fund_share_bps) values ($1, $2, $3, $4) on conflict (county_code, effective_from) \
         do update set leverage_multiple = excluded.leverage_multiple, \
         fund_share_bps = excluded.fund_share_bps",
    )
    .bind(settings.county_code.to_string())
    .bind(settings.effective_from.to_string())
    .bind(settings.leverage_multiple)
    .bind(settings.fund_share_bps)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The guarantee-fund rules in force for a county on a date, if any.
pub async fn fund_settings_on(
    tx: &mut Tx,
    county: RegionCode,
    date: BusinessDate,
) -> Result<Option<GuaranteeFundSettings>> {
    let row = sqlx::query(
        "select effective_from, leverage_multiple, fund_share_bps from guarantee_fund_settings \
         where county_code = $1 and effective_from <= $2 order by effective_from desc limit 1",
    )
    .bind(county.to_string())
    .bind(date.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref()
        .map(|row| {
            Ok(GuaranteeFundSettings {
                county_code: county,
                effective_from: date_column(row, "guarantee_fund_settings", "effective_from")?
                    .ok_or_else(|| corrupt("guarantee_fund_settings", "effective_from", "null"))?,
                leverage_multiple: row.try_get("leverage_multiple")?,
                fund_share_bps: row.try_get("fund_share_bps")?,
            })
        })
        .transpose()
}

/// A guarantee company and how a loss it guarantees is shared, in bps summing to 10,000.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuaranteeCompany {
    pub institution_code: String,
    pub national_bps: i64,
    pub provincial_bps: i64,
    pub company_bps: i64,
    pub bank_bps: i64,
}

pub async fn set_company(tx: &mut Tx, company: &GuaranteeCompany) -> Result<()> {
    sqlx::query(
        "insert into guarantee_companies (institution_code, national_bps, provincial_bps, \
         company_bps, bank_bps) values ($1, $2, $3, $4, $5) on conflict (institution_code) \
         do update set national_bps = excluded.national_bps, \
         provincial_bps = excluded.provincial_bps, company_bps = excluded.company_bps, \
         bank_bps = excluded.bank_bps",
    )
    .bind(&company.institution_code)
    .bind(company.national_bps)
    .bind(company.provincial_bps)
    .bind(company.company_bps)
    .bind(company.bank_bps)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn company_in(tx: &mut Tx, institution: &str) -> Result<Option<GuaranteeCompany>> {
    let row = sqlx::query(
        "select institution_code, national_bps, provincial_bps, company_bps, bank_bps \
         from guarantee_companies where institution_code = $1",
    )
    .bind(institution)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref()
        .map(|row| {
            Ok(GuaranteeCompany {
                institution_code: row.try_get("institution_code")?,
                national_bps: row.try_get("national_bps")?,
                provincial_bps: row.try_get("provincial_bps")?,
                company_bps: row.try_get("company_bps")?,
                bank_bps: row.try_get("bank_bps")?,
            })
        })
        .transpose()
}

/// What a product allows: guarantor kinds and the cap on the sum of shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductGuaranteeTerms {
    pub product_code: String,
    pub kinds: Vec<String>,
    pub cap_bps: i64,
}

pub async fn set_product_terms(tx: &mut Tx, terms: &ProductGuaranteeTerms) -> Result<()> {
    sqlx::query(
        "insert into product_guarantee_terms (product_code, kinds, cap_bps) values ($1, $2, $3) \
         on conflict (product_code) do update set kinds = excluded.kinds, cap_bps = excluded.cap_bps",
    )
    .bind(&terms.product_code)
    .bind(terms.kinds.join(";"))
    .bind(terms.cap_bps)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn product_terms_in(tx: &mut Tx, product: &str) -> Result<Option<ProductGuaranteeTerms>> {
    let row = sqlx::query(
        "select product_code, kinds, cap_bps from product_guarantee_terms where product_code = $1",
    )
    .bind(product)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref()
        .map(|row| {
            let kinds: String = row.try_get("kinds")?;
            Ok(ProductGuaranteeTerms {
                product_code: row.try_get("product_code")?,
                kinds: kinds
                    .split(';')
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect(),
                cap_bps: row.try_get("cap_bps")?,
            })
        })
        .transpose()
}

/// Replaces a county's waterfall order.
pub async fn set_waterfall(tx: &mut Tx, county: RegionCode, steps: &[String]) -> Result<()> {
    sqlx::query("delete from loss_waterfall_steps where county_code = $1")
        .bind(county.to_string())
        .execute(&mut **tx)
        .await?;
    for (position, step) in (1_i64..).zip(steps) {
        sqlx::query(
            "insert into loss_waterfall_steps (county_code, position, step) values ($1, $2, $3)",
        )
        .bind(county.to_string())
        .bind(position)
        .bind(step)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A county's waterfall order; empty when it has none of its own.
pub async fn waterfall_in(tx: &mut Tx, county: RegionCode) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select step from loss_waterfall_steps where county_code = $1 order by position",
    )
    .bind(county.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(|row| Ok(row.try_get("step")?)).collect()
}

/// One payer's share of a defaulted guaranteed loan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuaranteeClaim {
    pub id: i64,
    pub loan_id: i64,
    pub guarantee_id: i64,
    /// `county_fund`, `national`, `provincial`, `company`, `household` or `enterprise`.
    pub payer: String,
    pub county_code: RegionCode,
    /// The lending bank, paid by the claim.
    pub institution_code: String,
    pub raised_on: BusinessDate,
    pub loss: Fen,
    pub base: Fen,
    pub amount: Fen,
    pub state: String,
    pub approved_on: Option<BusinessDate>,
}

const CLAIM_COLUMNS: &str = "id, loan_id, guarantee_id, payer, county_code, institution_code, \
    raised_on, loss_fen, base_fen, amount_fen, state, approved_on";

fn claim_from_row(row: &AnyRow) -> Result<GuaranteeClaim> {
    let county: String = row.try_get("county_code")?;
    Ok(GuaranteeClaim {
        id: row.try_get("id")?,
        loan_id: row.try_get("loan_id")?,
        guarantee_id: row.try_get("guarantee_id")?,
        payer: row.try_get("payer")?,
        county_code: RegionCode::parse(&county)
            .map_err(|e| corrupt("guarantee_claims", "county_code", e))?,
        institution_code: row.try_get("institution_code")?,
        raised_on: date_column(row, "guarantee_claims", "raised_on")?
            .ok_or_else(|| corrupt("guarantee_claims", "raised_on", "null"))?,
        loss: Fen::new(row.try_get("loss_fen")?),
        base: Fen::new(row.try_get("base_fen")?),
        amount: Fen::new(row.try_get("amount_fen")?),
        state: row.try_get("state")?,
        approved_on: date_column(row, "guarantee_claims", "approved_on")?,
    })
}

/// Raises a claim unless the guarantee already has one for this payer; true when raised.
pub async fn raise_claim(tx: &mut Tx, claim: &GuaranteeClaim) -> Result<bool> {
    let inserted = sqlx::query(
        "insert into guarantee_claims (loan_id, guarantee_id, payer, county_code, \
         institution_code, raised_on, loss_fen, base_fen, amount_fen, state) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') \
         on conflict (guarantee_id, payer) do nothing",
    )
    .bind(claim.loan_id)
    .bind(claim.guarantee_id)
    .bind(&claim.payer)
    .bind(claim.county_code.to_string())
    .bind(&claim.institution_code)
    .bind(claim.raised_on.to_string())
    .bind(claim.loss.fen())
    .bind(claim.base.fen())
    .bind(claim.amount.fen())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn claim_in(tx: &mut Tx, id: i64) -> Result<Option<GuaranteeClaim>> {
    let sql = format!("select {CLAIM_COLUMNS} from guarantee_claims where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(claim_from_row).transpose()
}

/// The guarantee claims of a loan, in id order.
pub async fn claims_of_loan_in(tx: &mut Tx, loan_id: i64) -> Result<Vec<GuaranteeClaim>> {
    let sql =
        format!("select {CLAIM_COLUMNS} from guarantee_claims where loan_id = $1 order by id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(loan_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(claim_from_row).collect()
}

/// The guarantee claims of the counties under a prefix, in id order.
pub async fn claims(db: &Db, county_prefix: &str) -> Result<Vec<GuaranteeClaim>> {
    let sql = format!(
        "select {CLAIM_COLUMNS} from guarantee_claims where county_code like $1 order by id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(format!("{county_prefix}%"))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(claim_from_row).collect()
}

/// Marks a pending claim approved; false when it was not pending.
pub async fn approve_claim(tx: &mut Tx, id: i64, on: BusinessDate, by: &str) -> Result<bool> {
    let updated = sqlx::query(
        "update guarantee_claims set state = 'approved', approved_on = $1, approved_by = $2 \
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

/// What has been returned to the payer on a claim so far.
pub async fn returned_on_claim(tx: &mut Tx, claim_id: i64) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from guarantee_returns \
         where claim_id = $1",
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
        "insert into guarantee_returns (claim_id, returned_on, source_id, amount_fen) \
         values ($1, $2, $3, $4)",
    )
    .bind(claim_id)
    .bind(on.to_string())
    .bind(source_id)
    .bind(amount.fen())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the whole loss on a loan's risk claim (its principal being what was left of it).
pub async fn set_risk_claim_loss(tx: &mut Tx, loan_id: i64, loss: Fen) -> Result<()> {
    sqlx::query("update risk_claims set loss_fen = $1 where loan_id = $2")
        .bind(loss.fen())
        .bind(loan_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The whole loss recorded on a risk claim; `None` for a claim raised before the waterfall
/// (its loss is its principal).
pub async fn risk_claim_loss_in(tx: &mut Tx, claim_id: i64) -> Result<Option<Fen>> {
    let row = sqlx::query("select loss_fen from risk_claims where id = $1")
        .bind(claim_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<Option<i64>, _>("loss_fen")?.map(Fen::new),
        None => None,
    })
}

/// The principal outstanding of a borrower's own active loans: an enterprise's by credit code,
/// a household's by the resident ID of one of its current members.
pub async fn own_loans_balance(db: &Db, guarantor_id: &str) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(a.debits_posted_fen - a.credits_posted_fen), 0) as bigint) \
         as total from loans l join ledger_accounts a \
         on a.code = 'loan:' || l.institution_code || ':' || l.contract_no || ':principal' \
         where l.status = 'active' and ((l.borrower_type = 'enterprise' and l.borrower_id = $1) \
         or (l.borrower_type = 'household' and l.borrower_id in (select m.household_id \
         from members m where m.id_number = $1 and m.valid_to is null)))",
    )
    .bind(guarantor_id)
    .fetch_one(db.pool())
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

/// Whether a loan's loss has been shared among guarantee payers.
pub async fn has_claims_in(tx: &mut Tx, loan_id: i64) -> Result<bool> {
    let row = sqlx::query("select count(*) as n from guarantee_claims where loan_id = $1")
        .bind(loan_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// The ids of the guarantees a guarantor gave, whatever became of the loans.
pub async fn guarantee_ids_of(
    db: &Db,
    guarantor_type: &str,
    guarantor_id: &str,
) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "select id from loan_guarantees where guarantor_type = $1 and guarantor_id = $2 order by id",
    )
    .bind(guarantor_type)
    .bind(guarantor_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
}

/// Whether a guarantor is the loan's borrower: the enterprise itself, or a current member of
/// the borrowing household.
pub async fn is_borrower(
    tx: &mut Tx,
    loan: &crate::loans::Loan,
    guarantor_type: &str,
    guarantor_id: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "select count(*) as n from loans l where l.id = $1 and ((l.borrower_type = 'enterprise' \
         and $2 = 'enterprise' and l.borrower_id = $3) or (l.borrower_type = 'household' \
         and $2 = 'household' and exists (select 1 from members m where m.household_id = \
         l.borrower_id and m.id_number = $3 and m.valid_to is null)))",
    )
    .bind(loan.id)
    .bind(guarantor_type)
    .bind(guarantor_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// What each guarantee payer paid on approved claims and got back from recoveries, for the
/// counties under a prefix, up to a date: (payer, paid, returned), in payer order.
pub async fn payer_totals(
    db: &Db,
    county_prefix: &str,
    date: BusinessDate,
) -> Result<Vec<(String, Fen, Fen)>> {
    let rows = sqlx::query(
        "select c.payer, cast(coalesce(sum(c.amount_fen), 0) as bigint) as paid, \
         cast(coalesce(sum((select sum(r.amount_fen) from guarantee_returns r \
         where r.claim_id = c.id and r.returned_on <= $2)), 0) as bigint) as returned \
         from guarantee_claims c where c.state = 'approved' and c.approved_on <= $2 \
         and c.county_code like $1 group by c.payer order by c.payer",
    )
    .bind(format!("{county_prefix}%"))
    .bind(date.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("payer")?,
                Fen::new(row.try_get("paid")?),
                Fen::new(row.try_get("returned")?),
            ))
        })
        .collect()
}

/// The losses shared by the waterfall up to a date: each defaulted loan's loss once, whether
/// guarantees, the risk fund or both took part.
pub async fn shared_losses(db: &Db, county_prefix: &str, date: BusinessDate) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(loss), 0) as bigint) as total from ( \
         select max(loss_fen) as loss from guarantee_claims \
         where county_code like $1 and raised_on <= $2 group by loan_id \
         union all select coalesce(r.loss_fen, r.principal_fen) as loss from risk_claims r \
         where r.county_code like $1 and r.raised_on <= $2 \
         and not exists (select 1 from guarantee_claims g where g.loan_id = r.loan_id)) losses",
    )
    .bind(format!("{county_prefix}%"))
    .bind(date.to_string())
    .fetch_one(db.pool())
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

/// (share bps, principal outstanding now) of each active loan the county guarantee funds
/// under a prefix guarantee, or every guarantor when `county_fund_only` is false.
pub async fn guaranteed_shares(
    db: &Db,
    county_prefix: &str,
    county_fund_only: bool,
) -> Result<Vec<(i64, Fen)>> {
    let rows = sqlx::query(
        "select g.share_bps, coalesce(a.debits_posted_fen - a.credits_posted_fen, 0) as principal_fen \
         from loan_guarantees g join loans l on l.id = g.loan_id left join ledger_accounts a \
         on a.code = 'loan:' || l.institution_code || ':' || l.contract_no || ':principal' \
         where l.status = 'active' and l.village_code like $1 \
         and ($2 = 0 or g.guarantor_type = 'county_fund')",
    )
    .bind(format!("{county_prefix}%"))
    .bind(i64::from(county_fund_only))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("share_bps")?,
                Fen::new(row.try_get("principal_fen")?),
            ))
        })
        .collect()
}

/// What insurance claims repaid on a loan through its repayments (ids `insurance:…`): already
/// out of its principal, so not to be taken off its loss again.
pub async fn insurance_repaid_in(tx: &mut Tx, loan_id: i64) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from repayments \
         where loan_id = $1 and id like 'insurance:%'",
    )
    .bind(loan_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

/// The resident IDs of a household's current members that guarantee loans.
pub async fn household_guarantors(db: &Db, household_id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select distinct g.guarantor_id from loan_guarantees g join members m \
         on m.id_number = g.guarantor_id where g.guarantor_type = 'household' \
         and m.household_id = $1 and m.valid_to is null order by g.guarantor_id",
    )
    .bind(household_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("guarantor_id")?))
        .collect()
}

/// The guarantees on a borrower's loans (`household` id or enterprise credit code), with each
/// loan's bank and contract: (institution code, contract no, guarantee).
pub async fn guarantees_of_borrower(
    db: &Db,
    borrower_type: &str,
    borrower_id: &str,
) -> Result<Vec<(String, String, LoanGuarantee)>> {
    let columns = GUARANTEE_COLUMNS
        .split(", ")
        .map(|c| format!("g.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "select {columns}, l.institution_code as loan_institution, l.contract_no as loan_contract \
         from loan_guarantees g join loans l on l.id = g.loan_id \
         where l.borrower_type = $1 and l.borrower_id = $2 order by l.id, g.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(borrower_type)
        .bind(borrower_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("loan_institution")?,
                row.try_get("loan_contract")?,
                guarantee_from_row(row)?,
            ))
        })
        .collect()
}

/// What insurers bore of the losses the waterfall shared, up to a date: per shared loan, the
/// insurance claims paid on it less what they repaid through the loan (already out of its
/// principal, so not part of its loss), never below zero.
pub async fn insurance_relief_as_of(
    db: &Db,
    county_prefix: &str,
    date: BusinessDate,
) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(case when relief > 0 then relief else 0 end), 0) as bigint) \
         as total from (select (select coalesce(sum(c.paid_fen), 0) from insurance_claims c \
         where c.loan_id = s.loan_id and c.state = 'paid' and c.paid_on <= $2) \
         - (select coalesce(sum(r.amount_fen), 0) from repayments r \
         where r.loan_id = s.loan_id and r.id like 'insurance:%' and r.paid_on <= $2) as relief \
         from (select loan_id from guarantee_claims where county_code like $1 and raised_on <= $2 \
         union select loan_id from risk_claims where county_code like $1 and raised_on <= $2) s) x",
    )
    .bind(format!("{county_prefix}%"))
    .bind(date.to_string())
    .fetch_one(db.pool())
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}
