//! Insurance policies, premium payments and claims (agriculture-related insurance).

use fupin_core::{BusinessDate, Fen, RegionCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::{Result, corrupt};
use crate::regions::date_column;

/// An insurance policy as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub id: i64,
    pub insurer_code: String,
    pub policy_no: String,
    /// `accident`, `guarantee`, `crop` or `livestock`.
    pub kind: String,
    pub loan_id: Option<i64>,
    pub household_id: Option<String>,
    pub county_code: RegionCode,
    pub activity: Option<String>,
    pub sum_insured: Fen,
    pub premium: Fen,
    pub default_share_bps: Option<i64>,
    pub starts_on: BusinessDate,
    pub ends_on: BusinessDate,
    /// Central, provincial, county and farmer shares of the premium, in bps.
    pub shares_bps: [i64; 4],
}

const POLICY_COLUMNS: &str = "p.id, p.insurer_code, p.policy_no, p.kind, p.loan_id, \
    p.household_id, p.county_code, p.activity, p.sum_insured_fen, p.premium_fen, \
    p.default_share_bps, p.starts_on, p.ends_on, p.central_bps, p.provincial_bps, p.county_bps, \
    p.farmer_bps";

fn policy_from_row(row: &AnyRow) -> Result<Policy> {
    let county: String = row.try_get("county_code")?;
    let day = |column| {
        date_column(row, "insurance_policies", column)?
            .ok_or_else(|| corrupt("insurance_policies", column, "null"))
    };
    Ok(Policy {
        id: row.try_get("id")?,
        insurer_code: row.try_get("insurer_code")?,
        policy_no: row.try_get("policy_no")?,
        kind: row.try_get("kind")?,
        loan_id: row.try_get("loan_id")?,
        household_id: row.try_get("household_id")?,
        county_code: RegionCode::parse(&county)
            .map_err(|e| corrupt("insurance_policies", "county_code", e))?,
        activity: row.try_get("activity")?,
        sum_insured: Fen::new(row.try_get("sum_insured_fen")?),
        premium: Fen::new(row.try_get("premium_fen")?),
        default_share_bps: row.try_get("default_share_bps")?,
        starts_on: day("starts_on")?,
        ends_on: day("ends_on")?,
        shares_bps: [
            row.try_get("central_bps")?,
            row.try_get("provincial_bps")?,
            row.try_get("county_bps")?,
            row.try_get("farmer_bps")?,
        ],
    })
}

pub async fn policy_by_no_in(
    tx: &mut Tx,
    insurer: &str,
    policy_no: &str,
) -> Result<Option<Policy>> {
    let sql = format!(
        "select {POLICY_COLUMNS} from insurance_policies p where p.insurer_code = $1 and p.policy_no = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(insurer)
        .bind(policy_no)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(policy_from_row).transpose()
}

pub async fn policy_in(tx: &mut Tx, id: i64) -> Result<Option<Policy>> {
    let sql = format!("select {POLICY_COLUMNS} from insurance_policies p where p.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(policy_from_row).transpose()
}

/// Stores a new policy and returns its id.
pub async fn insert_policy(tx: &mut Tx, policy: &Policy) -> Result<i64> {
    let row = sqlx::query(
        "insert into insurance_policies (insurer_code, policy_no, kind, loan_id, household_id, \
         county_code, activity, sum_insured_fen, premium_fen, default_share_bps, starts_on, \
         ends_on, central_bps, provincial_bps, county_bps, farmer_bps) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) returning id",
    )
    .bind(&policy.insurer_code)
    .bind(&policy.policy_no)
    .bind(&policy.kind)
    .bind(policy.loan_id)
    .bind(&policy.household_id)
    .bind(policy.county_code.to_string())
    .bind(&policy.activity)
    .bind(policy.sum_insured.fen())
    .bind(policy.premium.fen())
    .bind(policy.default_share_bps)
    .bind(policy.starts_on.to_string())
    .bind(policy.ends_on.to_string())
    .bind(policy.shares_bps[0])
    .bind(policy.shares_bps[1])
    .bind(policy.shares_bps[2])
    .bind(policy.shares_bps[3])
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// A premium payment, split between the payers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Premium {
    pub policy_id: i64,
    pub id: String,
    pub paid_on: BusinessDate,
    pub amount: Fen,
    /// Central, provincial, county and farmer parts.
    pub parts: [Fen; 4],
    /// `pending` until the finance bureau approves the subsidy parts, then `approved`.
    pub state: String,
    pub approved_on: Option<BusinessDate>,
}

const PREMIUM_COLUMNS: &str = "m.policy_id, m.id, m.paid_on, m.amount_fen, m.central_fen, \
    m.provincial_fen, m.county_fen, m.farmer_fen, m.state, m.approved_on";

fn premium_from_row(row: &AnyRow) -> Result<Premium> {
    premium_from_row_as(row, "id")
}

/// A premium from a row whose premium id is in column `id_column`.
fn premium_from_row_as(row: &AnyRow, id_column: &str) -> Result<Premium> {
    Ok(Premium {
        policy_id: row.try_get("policy_id")?,
        id: row.try_get(id_column)?,
        paid_on: date_column(row, "insurance_premiums", "paid_on")?
            .ok_or_else(|| corrupt("insurance_premiums", "paid_on", "null"))?,
        amount: Fen::new(row.try_get("amount_fen")?),
        parts: [
            Fen::new(row.try_get("central_fen")?),
            Fen::new(row.try_get("provincial_fen")?),
            Fen::new(row.try_get("county_fen")?),
            Fen::new(row.try_get("farmer_fen")?),
        ],
        state: row.try_get("state")?,
        approved_on: date_column(row, "insurance_premiums", "approved_on")?,
    })
}

pub async fn premium_in(tx: &mut Tx, policy_id: i64, id: &str) -> Result<Option<Premium>> {
    let sql = format!(
        "select {PREMIUM_COLUMNS} from insurance_premiums m where m.policy_id = $1 and m.id = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(policy_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(premium_from_row).transpose()
}

/// Premiums recorded on a policy so far.
pub async fn premiums_total_in(tx: &mut Tx, policy_id: i64) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(amount_fen), 0) as bigint) as total from insurance_premiums \
         where policy_id = $1",
    )
    .bind(policy_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

pub async fn insert_premium(tx: &mut Tx, premium: &Premium) -> Result<()> {
    sqlx::query(
        "insert into insurance_premiums (policy_id, id, paid_on, amount_fen, central_fen, \
         provincial_fen, county_fen, farmer_fen, state) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')",
    )
    .bind(premium.policy_id)
    .bind(&premium.id)
    .bind(premium.paid_on.to_string())
    .bind(premium.amount.fen())
    .bind(premium.parts[0].fen())
    .bind(premium.parts[1].fen())
    .bind(premium.parts[2].fen())
    .bind(premium.parts[3].fen())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks a pending premium's subsidies approved; false when it was not pending.
pub async fn approve_premium(
    tx: &mut Tx,
    policy_id: i64,
    id: &str,
    on: BusinessDate,
    by: &str,
) -> Result<bool> {
    let updated = sqlx::query(
        "update insurance_premiums set state = 'approved', approved_on = $1, approved_by = $2 \
         where policy_id = $3 and id = $4 and state = 'pending'",
    )
    .bind(on.to_string())
    .bind(by)
    .bind(policy_id)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// A claim on a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub policy_id: i64,
    pub claim_no: String,
    pub loan_id: Option<i64>,
    /// `death`, `disability`, `default`, `crop_loss` or `livestock_loss`.
    pub event: String,
    pub occurred_on: BusinessDate,
    pub reported_on: BusinessDate,
    pub claimed: Fen,
    pub assessed: Option<Fen>,
    pub assessed_on: Option<BusinessDate>,
    pub paid: Fen,
    pub paid_on: Option<BusinessDate>,
    pub refused_on: Option<BusinessDate>,
    pub refusal: Option<String>,
    /// `reported`, `assessed`, `paid` or `refused`.
    pub state: String,
    pub entered_by: String,
}

const CLAIM_COLUMNS: &str = "c.id as claim_id, c.policy_id, c.claim_no, \
    c.loan_id as claim_loan_id, c.event, c.occurred_on, \
    c.reported_on, c.claimed_fen, c.assessed_fen, c.assessed_on, c.paid_fen, c.paid_on, \
    c.refused_on, c.refusal, c.state, c.entered_by";

fn claim_from_row(row: &AnyRow) -> Result<Claim> {
    let day = |column| date_column(row, "insurance_claims", column);
    let assessed: Option<i64> = row.try_get("assessed_fen")?;
    Ok(Claim {
        id: row.try_get("claim_id")?,
        policy_id: row.try_get("policy_id")?,
        claim_no: row.try_get("claim_no")?,
        loan_id: row.try_get("claim_loan_id")?,
        event: row.try_get("event")?,
        occurred_on: day("occurred_on")?
            .ok_or_else(|| corrupt("insurance_claims", "occurred_on", "null"))?,
        reported_on: day("reported_on")?
            .ok_or_else(|| corrupt("insurance_claims", "reported_on", "null"))?,
        claimed: Fen::new(row.try_get("claimed_fen")?),
        assessed: assessed.map(Fen::new),
        assessed_on: day("assessed_on")?,
        paid: Fen::new(row.try_get("paid_fen")?),
        paid_on: day("paid_on")?,
        refused_on: day("refused_on")?,
        refusal: row.try_get("refusal")?,
        state: row.try_get("state")?,
        entered_by: row.try_get("entered_by")?,
    })
}

pub async fn claim_in(tx: &mut Tx, policy_id: i64, claim_no: &str) -> Result<Option<Claim>> {
    let sql = format!(
        "select {CLAIM_COLUMNS} from insurance_claims c where c.policy_id = $1 and c.claim_no = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(policy_id)
        .bind(claim_no)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(claim_from_row).transpose()
}

/// Stores a reported claim and returns its id.
pub async fn insert_claim(tx: &mut Tx, claim: &Claim) -> Result<i64> {
    let row = sqlx::query(
        "insert into insurance_claims (policy_id, claim_no, loan_id, event, occurred_on, \
         reported_on, claimed_fen, state, entered_by) \
         values ($1, $2, $3, $4, $5, $6, $7, 'reported', $8) returning id",
    )
    .bind(claim.policy_id)
    .bind(&claim.claim_no)
    .bind(claim.loan_id)
    .bind(&claim.event)
    .bind(claim.occurred_on.to_string())
    .bind(claim.reported_on.to_string())
    .bind(claim.claimed.fen())
    .bind(&claim.entered_by)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// Moves a claim to its next state when it is in `from`; false when it was not.
pub async fn advance_claim(
    tx: &mut Tx,
    id: i64,
    from: &[&str],
    change: &ClaimChange,
) -> Result<bool> {
    let (sql, amount, on, refusal) = match change {
        ClaimChange::Assessed { amount, on } => (
            "update insurance_claims set state = 'assessed', assessed_fen = $1, assessed_on = $2, \
             refusal = $3 where id = $4 and state in ($5, $6)",
            amount.fen(),
            on,
            None,
        ),
        ClaimChange::Paid { amount, on } => (
            "update insurance_claims set state = 'paid', paid_fen = $1, paid_on = $2, \
             refusal = $3 where id = $4 and state in ($5, $6)",
            amount.fen(),
            on,
            None,
        ),
        ClaimChange::Refused { reason, on } => (
            "update insurance_claims set state = 'refused', paid_fen = $1, refused_on = $2, \
             refusal = $3 where id = $4 and state in ($5, $6)",
            0,
            on,
            Some(reason.as_str()),
        ),
    };
    let first = from.first().copied().unwrap_or_default();
    let updated = sqlx::query(sql)
        .bind(amount)
        .bind(on.to_string())
        .bind(refusal)
        .bind(id)
        .bind(first)
        .bind(from.get(1).copied().unwrap_or(first))
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(updated == 1)
}

/// What happens to a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimChange {
    Assessed { amount: Fen, on: BusinessDate },
    Paid { amount: Fen, on: BusinessDate },
    Refused { reason: String, on: BusinessDate },
}

/// Paid claims on a loan, in all.
pub async fn paid_for_loan_in(tx: &mut Tx, loan_id: i64) -> Result<Fen> {
    let row = sqlx::query(
        "select cast(coalesce(sum(paid_fen), 0) as bigint) as total from insurance_claims \
         where loan_id = $1 and state = 'paid'",
    )
    .bind(loan_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Fen::new(row.try_get("total")?))
}

/// What listings of policies and claims are narrowed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// County codes starting with this ("" for all).
    pub county_prefix: String,
    pub insurer: Option<String>,
    /// Policies on loans of this bank.
    pub bank: Option<String>,
    pub kind: Option<String>,
    /// Claims only: their state.
    pub state: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A policy with the names people know it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedPolicy {
    pub policy: Policy,
    pub insurer_name: String,
    pub county_name: String,
    /// The insured loan as `(institution, contract)`, if any.
    pub loan: Option<(String, String)>,
}

fn filter_sql(filter: &Filter, with_state: bool) -> String {
    let mut sql = String::from(" where p.county_code like $1");
    let optional = [
        ("p.insurer_code", filter.insurer.is_some()),
        ("l.institution_code", filter.bank.is_some()),
        ("p.kind", filter.kind.is_some()),
        ("c.state", with_state && filter.state.is_some()),
    ];
    let mut n = 1;
    for (column, present) in optional {
        if present {
            n += 1;
            sql.push_str(&format!(" and {column} = ${n}"));
        }
    }
    sql
}

fn bind_filter<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    filter: &'q Filter,
    with_state: bool,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query = query.bind(format!("{}%", filter.county_prefix));
    for value in [&filter.insurer, &filter.bank, &filter.kind]
        .into_iter()
        .flatten()
    {
        query = query.bind(value.as_str());
    }
    if let (true, Some(state)) = (with_state, &filter.state) {
        query = query.bind(state.as_str());
    }
    query.bind(filter.limit).bind(filter.offset)
}

const NAMES_JOIN: &str = " from insurance_policies p \
    join institutions i on i.code = p.insurer_code \
    join regions r on r.code = p.county_code \
    left join loans l on l.id = p.loan_id";

fn limit_sql(filter: &Filter, with_state: bool) -> String {
    let n = 2 + [
        filter.insurer.is_some(),
        filter.bank.is_some(),
        filter.kind.is_some(),
        with_state && filter.state.is_some(),
    ]
    .iter()
    .filter(|p| **p)
    .count();
    format!(" limit ${n} offset ${}", n + 1)
}

fn named_policy_from_row(row: &AnyRow) -> Result<NamedPolicy> {
    let institution: Option<String> = row.try_get("loan_institution")?;
    let contract: Option<String> = row.try_get("loan_contract")?;
    Ok(NamedPolicy {
        policy: policy_from_row(row)?,
        insurer_name: row.try_get("insurer_name")?,
        county_name: row.try_get("county_name")?,
        loan: institution.zip(contract),
    })
}

/// Policies matching a filter, by county and number.
pub async fn policies(db: &Db, filter: &Filter) -> Result<Vec<NamedPolicy>> {
    let sql = format!(
        "select {POLICY_COLUMNS}, i.name as insurer_name, r.name as county_name, \
         l.institution_code as loan_institution, l.contract_no as loan_contract{NAMES_JOIN}{}\
         order by p.county_code, p.insurer_code, p.policy_no{}",
        filter_sql(filter, false) + " ",
        limit_sql(filter, false)
    );
    let rows = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), filter, false)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(named_policy_from_row).collect()
}

/// A claim with its policy's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedClaim {
    pub claim: Claim,
    pub policy: NamedPolicy,
}

/// Claims matching a filter, newest reports first.
pub async fn claims(db: &Db, filter: &Filter) -> Result<Vec<NamedClaim>> {
    let sql = format!(
        "select {CLAIM_COLUMNS}, {POLICY_COLUMNS}, i.name as insurer_name, \
         r.name as county_name, l.institution_code as loan_institution, \
         l.contract_no as loan_contract{NAMES_JOIN} join insurance_claims c on c.policy_id = p.id\
         {} order by c.reported_on desc, c.id desc{}",
        filter_sql(filter, true),
        limit_sql(filter, true)
    );
    let rows = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), filter, true)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(NamedClaim {
                claim: claim_from_row(row)?,
                policy: named_policy_from_row(row)?,
            })
        })
        .collect()
}

/// A premium payment with its policy's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedPremium {
    pub premium: Premium,
    pub policy: NamedPolicy,
}

/// Premium payments matching a filter (its `state` the premium's: pending or approved), newest
/// payments first.
pub async fn premiums(db: &Db, filter: &Filter) -> Result<Vec<NamedPremium>> {
    let sql = format!(
        "select m.policy_id, m.id as premium_id, m.paid_on, m.amount_fen, m.central_fen, \
         m.provincial_fen, m.county_fen, m.farmer_fen, m.state, m.approved_on, \
         {POLICY_COLUMNS}, i.name as insurer_name, r.name as county_name, l.institution_code as loan_institution, \
         l.contract_no as loan_contract{NAMES_JOIN} join insurance_premiums m on m.policy_id = p.id\
         {} order by m.paid_on desc, p.policy_no, m.id{}",
        filter_sql(filter, true).replace("c.state", "m.state"),
        limit_sql(filter, true)
    );
    let rows = bind_filter(sqlx::query(sqlx::AssertSqlSafe(sql)), filter, true)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(NamedPremium {
                premium: premium_from_row_as(row, "premium_id")?,
                policy: named_policy_from_row(row)?,
            })
        })
        .collect()
}

/// Sum of one money column over policies of the counties under a prefix, with `condition` on
/// the date (`$2`).
async fn policy_sum(
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

/// Sums insured by the policies in force on a date.
pub async fn insured_as_of(db: &Db, county_prefix: &str, date: BusinessDate) -> Result<Fen> {
    policy_sum(
        db,
        "select cast(coalesce(sum(sum_insured_fen), 0) as bigint) as total from insurance_policies \
         where county_code like $1 and starts_on <= $2 and ends_on >= $2",
        county_prefix,
        date,
    )
    .await
}

/// Premiums paid to date by each payer (central, provincial, county, farmer): the subsidies
/// once approved, the farmer's part once paid.
pub async fn premiums_as_of(db: &Db, county_prefix: &str, date: BusinessDate) -> Result<[Fen; 4]> {
    let row = sqlx::query(
        "select \
         cast(coalesce(sum(case when m.state = 'approved' and m.approved_on <= $2 then m.central_fen else 0 end), 0) as bigint) as central, \
         cast(coalesce(sum(case when m.state = 'approved' and m.approved_on <= $2 then m.provincial_fen else 0 end), 0) as bigint) as provincial, \
         cast(coalesce(sum(case when m.state = 'approved' and m.approved_on <= $2 then m.county_fen else 0 end), 0) as bigint) as county, \
         cast(coalesce(sum(case when m.paid_on <= $2 then m.farmer_fen else 0 end), 0) as bigint) as farmer \
         from insurance_premiums m join insurance_policies p on p.id = m.policy_id \
         where p.county_code like $1",
    )
    .bind(format!("{county_prefix}%"))
    .bind(date.to_string())
    .fetch_one(db.pool())
    .await?;
    let part = |name: &str| -> Result<Fen> { Ok(Fen::new(row.try_get(name)?)) };
    Ok([
        part("central")?,
        part("provincial")?,
        part("county")?,
        part("farmer")?,
    ])
}

/// Claims paid to date.
pub async fn claims_paid_as_of(db: &Db, county_prefix: &str, date: BusinessDate) -> Result<Fen> {
    policy_sum(
        db,
        "select cast(coalesce(sum(c.paid_fen), 0) as bigint) as total from insurance_claims c \
         join insurance_policies p on p.id = c.policy_id \
         where p.county_code like $1 and c.state = 'paid' and c.paid_on <= $2",
        county_prefix,
        date,
    )
    .await
}
