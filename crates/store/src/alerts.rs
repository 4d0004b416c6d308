//! Supervisory alerts: the rules (data), the facts they read, and the alerts with their answers.
//!
//! Facts are read set-based, one statement per family for the whole book as of a date (loans
//! and their borrowers, open overdue spells, subsidy claim lines, enterprise links, credit
//! lines); the app combines them per subject and evaluates the rules in memory.

use fupin_core::{BusinessDate, RegionCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Tx};
use crate::error::Result;
use crate::filter::Conditions;

/// A rule as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRule {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub severity: String,
    pub subject: String,
    pub condition: String,
    /// JSON object of integers.
    pub parameters: String,
    pub regulation: String,
    pub definition: String,
    pub enabled: bool,
}

const RULE_COLUMNS: &str = "code, name_zh, name_en, severity, subject, condition, parameters, \
    regulation, definition, enabled";

fn rule_from_row(row: &AnyRow) -> Result<AlertRule> {
    Ok(AlertRule {
        code: row.try_get("code")?,
        name_zh: row.try_get("name_zh")?,
        name_en: row.try_get("name_en")?,
        severity: row.try_get("severity")?,
        subject: row.try_get("subject")?,
        condition: row.try_get("condition")?,
        parameters: row.try_get("parameters")?,
        regulation: row.try_get("regulation")?,
        definition: row.try_get("definition")?,
        enabled: row.try_get::<i64, _>("enabled")? == 1,
    })
}

/// Every rule, by code.
pub async fn rules(db: &Db) -> Result<Vec<AlertRule>> {
    let sql = format!("select {RULE_COLUMNS} from alert_rules order by code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(rule_from_row).collect()
}

/// One rule.
pub async fn rule(db: &Db, code: &str) -> Result<Option<AlertRule>> {
    let sql = format!("select {RULE_COLUMNS} from alert_rules where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(rule_from_row).transpose()
}

/// Inserts a rule or replaces the one of its code.
pub async fn save_rule(tx: &mut Tx, rule: &AlertRule) -> Result<()> {
    sqlx::query(
        "insert into alert_rules (code, name_zh, name_en, severity, subject, condition, \
         parameters, regulation, definition, enabled) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         on conflict (code) do update set name_zh = excluded.name_zh, \
         name_en = excluded.name_en, severity = excluded.severity, subject = excluded.subject, \
         condition = excluded.condition, parameters = excluded.parameters, \
         regulation = excluded.regulation, definition = excluded.definition, \
         enabled = excluded.enabled",
    )
    .bind(rule.code.clone())
    .bind(rule.name_zh.clone())
    .bind(rule.name_en.clone())
    .bind(rule.severity.clone())
    .bind(rule.subject.clone())
    .bind(rule.condition.clone())
    .bind(rule.parameters.clone())
    .bind(rule.regulation.clone())
    .bind(rule.definition.clone())
    .bind(i64::from(rule.enabled))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A loan outstanding on the date, with what its borrower was on its disbursement date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanFactRow {
    pub id: i64,
    pub contract_no: String,
    pub institution_code: String,
    pub village_code: String,
    pub borrower_type: String,
    pub borrower_id: String,
    pub principal_fen: i64,
    pub start_on: String,
    pub original_maturity_on: String,
    pub purpose: String,
    pub microcredit: bool,
    /// The household's status on the start date; `None` when not in the registry then.
    pub status_at_start: Option<String>,
    /// The household's exit year on the start date, when it had exited.
    pub exited_year_at_start: Option<i64>,
    /// The household head's birth date on the start date.
    pub head_birth_date: Option<String>,
    /// That head's date of death as the registry records it on `as_of`, if any.
    pub head_died_on: Option<String>,
    /// The bank's loan officer, when the loans file named one.
    pub officer: Option<String>,
}

/// The counties (six-digit prefixes of village codes) that have loans, in order: evaluation
/// reads the loans of one county at a time, so its memory follows the largest county.
pub async fn loan_counties(db: &Db) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select distinct substr(village_code, 1, 6) as county from loans order by county",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| Ok(row.try_get("county")?)).collect()
}

/// Loans of the county outstanding on `as_of` (started, not closed) with their borrowers at
/// disbursement.
pub async fn loan_facts(db: &Db, as_of: BusinessDate, county: &str) -> Result<Vec<LoanFactRow>> {
    let (low, high) = crate::filter::code_range(county);
    let rows = sqlx::query(
        "select l.id, l.contract_no, l.institution_code, l.village_code, l.borrower_type, \
         l.borrower_id, l.principal_fen, l.start_on, l.original_maturity_on, l.purpose, \
         p.category, hv.status as status_at_start, hv.exited_year, m.birth_date as head_birth_date, l.officer, \
         (select d.died_on from members d where d.id_number = m.id_number \
           and d.valid_from <= $1 order by d.valid_from desc limit 1) as head_died_on \
         from loans l join products p on p.code = l.product_code \
         left join household_versions hv on l.borrower_type = 'household' \
           and hv.household_id = l.borrower_id and hv.valid_from <= l.start_on \
           and (hv.valid_to is null or hv.valid_to > l.start_on) \
         left join members m on l.borrower_type = 'household' \
           and m.household_id = l.borrower_id and m.relation = 'head' \
           and m.valid_from <= l.start_on and (m.valid_to is null or m.valid_to > l.start_on) \
         where l.start_on <= $1 and (l.closed_on is null or l.closed_on > $1) \
         and l.village_code >= $2 and l.village_code <= $3 order by l.id",
    )
    .bind(as_of.to_string())
    .bind(low)
    .bind(high)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<LoanFactRow> = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        // A household with two heads on one day gives two rows: the first stands.
        if out.last().is_some_and(|last| last.id == id) {
            continue;
        }
        out.push(LoanFactRow {
            id,
            contract_no: row.try_get("contract_no")?,
            institution_code: row.try_get("institution_code")?,
            village_code: row.try_get("village_code")?,
            borrower_type: row.try_get("borrower_type")?,
            borrower_id: row.try_get("borrower_id")?,
            principal_fen: row.try_get("principal_fen")?,
            start_on: row.try_get("start_on")?,
            original_maturity_on: row.try_get("original_maturity_on")?,
            purpose: row.try_get("purpose")?,
            microcredit: row.try_get::<String, _>("category")? == "poverty_microcredit",
            status_at_start: row.try_get("status_at_start")?,
            exited_year_at_start: row.try_get("exited_year")?,
            head_birth_date: row.try_get("head_birth_date")?,
            head_died_on: row.try_get("head_died_on")?,
            officer: row.try_get("officer")?,
        });
    }
    Ok(out)
}

/// Loans of the county overdue at the end of `as_of` (an overdue spell open on it).
pub async fn overdue_loan_ids(db: &Db, as_of: BusinessDate, county: &str) -> Result<Vec<i64>> {
    let (low, high) = crate::filter::code_range(county);
    let rows = sqlx::query(
        "select s.loan_id from loan_overdue_spells s join loans l on l.id = s.loan_id \
         where s.from_on <= $1 and (s.to_on is null or s.to_on > $1) \
         and l.village_code >= $2 and l.village_code <= $3",
    )
    .bind(as_of.to_string())
    .bind(low)
    .bind(high)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| Ok(row.try_get("loan_id")?)).collect()
}

/// A subsidy claim line with its quarter and loan dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimLineRow {
    pub loan_id: i64,
    pub quarter: String,
    pub days: i64,
    pub start_on: String,
    pub closed_on: Option<String>,
}

/// The claim lines, on loans of the county, of claims whose quarter began on or before `as_of`.
pub async fn claim_lines(db: &Db, as_of: BusinessDate, county: &str) -> Result<Vec<ClaimLineRow>> {
    let (low, high) = crate::filter::code_range(county);
    let rows = sqlx::query(
        "select cl.loan_id, c.quarter, cl.days, l.start_on, l.closed_on \
         from subsidy_claim_lines cl join subsidy_claims c on c.id = cl.claim_id \
         join loans l on l.id = cl.loan_id where l.start_on <= $1 \
         and l.village_code >= $2 and l.village_code <= $3 order by cl.loan_id",
    )
    .bind(as_of.to_string())
    .bind(low)
    .bind(high)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(ClaimLineRow {
            loan_id: row.try_get("loan_id")?,
            quarter: row.try_get("quarter")?,
            days: row.try_get("days")?,
            start_on: row.try_get("start_on")?,
            closed_on: row.try_get("closed_on")?,
        });
    }
    Ok(out)
}

/// The overdue spells `[from_on, to_on)` of the county's loans that have subsidy claim lines.
pub async fn claimed_loan_spells(
    db: &Db,
    county: &str,
) -> Result<Vec<(i64, String, Option<String>)>> {
    let (low, high) = crate::filter::code_range(county);
    let rows = sqlx::query(
        "select s.loan_id, s.from_on, s.to_on from loan_overdue_spells s \
         join loans l on l.id = s.loan_id \
         where s.loan_id in (select loan_id from subsidy_claim_lines) \
         and l.village_code >= $1 and l.village_code <= $2 order by s.loan_id",
    )
    .bind(low)
    .bind(high)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("loan_id")?,
                row.try_get("from_on")?,
                row.try_get("to_on")?,
            ))
        })
        .collect()
}

/// A micro-credit loan outstanding on the date to a household linked, on its start date, to an
/// enterprise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedLoanRow {
    pub credit_code: String,
    pub enterprise_name: String,
    pub enterprise_village: String,
    pub institution_code: String,
    pub start_on: String,
    pub loan_id: i64,
    pub contract_no: String,
    pub household_id: String,
    pub principal_fen: i64,
}

/// Micro-credit loans outstanding on `as_of` whose households an enterprise lifted on the day
/// they were disbursed.
pub async fn enterprise_linked_loans(db: &Db, as_of: BusinessDate) -> Result<Vec<LinkedLoanRow>> {
    let rows = sqlx::query(
        "select distinct e.credit_code, e.name, e.village_code, l.institution_code, l.start_on, \
         l.id, l.contract_no, l.borrower_id, l.principal_fen \
         from loans l join products p on p.code = l.product_code \
         join enterprise_links el on el.household_id = l.borrower_id and el.since <= l.start_on \
           and (el.until is null or el.until > l.start_on) \
         join enterprises e on e.credit_code = el.credit_code \
         where l.borrower_type = 'household' and p.category = 'poverty_microcredit' \
           and l.start_on <= $1 and (l.closed_on is null or l.closed_on > $1) \
         order by e.credit_code, l.institution_code, l.start_on, l.id",
    )
    .bind(as_of.to_string())
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(LinkedLoanRow {
            credit_code: row.try_get("credit_code")?,
            enterprise_name: row.try_get("name")?,
            enterprise_village: row.try_get("village_code")?,
            institution_code: row.try_get("institution_code")?,
            start_on: row.try_get("start_on")?,
            loan_id: row.try_get("id")?,
            contract_no: row.try_get("contract_no")?,
            household_id: row.try_get("borrower_id")?,
            principal_fen: row.try_get("principal_fen")?,
        });
    }
    Ok(out)
}

/// A credit line in force on the date with the line its credit file recommended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineFactRow {
    pub id: i64,
    pub household_id: String,
    pub institution_code: String,
    pub village_code: String,
    pub granted_on: String,
    pub amount_fen: i64,
    pub recommended_line_fen: i64,
    pub grade: Option<String>,
}

/// The counties (6-digit codes) with credit lines.
pub async fn line_counties(db: &Db) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "select distinct substr(village_code, 1, 6) as county from credit_lines order by county",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| Ok(row.try_get("county")?)).collect()
}

/// Credit lines of the county in force on `as_of` (granted, not expired, not replaced by a
/// later grant of the same household and institution) that were checked against a credit file.
pub async fn lines_in_force(
    db: &Db,
    as_of: BusinessDate,
    county: &str,
) -> Result<Vec<LineFactRow>> {
    let (low, high) = crate::filter::code_range(county);
    let rows = sqlx::query(
        "select cl.id, cl.household_id, cl.institution_code, cl.village_code, cl.granted_on, \
         cl.amount_fen, cl.recommended_line_fen, cf.grade \
         from credit_lines cl left join credit_files cf on cf.id = cl.credit_file_id \
         where cl.granted_on <= $1 and cl.expires_on > $1 \
           and cl.recommended_line_fen is not null \
           and not exists (select 1 from credit_lines later \
             where later.household_id = cl.household_id \
             and later.institution_code = cl.institution_code \
             and later.granted_on > cl.granted_on and later.granted_on <= $1) \
           and cl.village_code >= $2 and cl.village_code <= $3 \
         order by cl.id",
    )
    .bind(as_of.to_string())
    .bind(low)
    .bind(high)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(LineFactRow {
            id: row.try_get("id")?,
            household_id: row.try_get("household_id")?,
            institution_code: row.try_get("institution_code")?,
            village_code: row.try_get("village_code")?,
            granted_on: row.try_get("granted_on")?,
            amount_fen: row.try_get("amount_fen")?,
            recommended_line_fen: row.try_get("recommended_line_fen")?,
            grade: row.try_get("grade")?,
        });
    }
    Ok(out)
}

/// A loan written off on or before the date, with its principal balance at the end of the
/// write-off day and of the date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenOffRow {
    pub id: i64,
    pub contract_no: String,
    pub institution_code: String,
    pub village_code: String,
    pub borrower_id: String,
    pub closed_on: String,
    pub at_write_off_fen: i64,
    pub at_date_fen: i64,
}

/// Loans written off on or before `as_of`, with their principal account's balance (debits less
/// credits) at the end of the write-off day and at the end of `as_of`.
pub async fn written_off_loans(db: &Db, as_of: BusinessDate) -> Result<Vec<WrittenOffRow>> {
    let balance_on = |day: &str| {
        format!(
            "coalesce((select d.debits_total_fen - d.credits_total_fen from ledger_account_days d \
             where d.account_id = a.id and d.value_date <= {day} \
             order by d.value_date desc limit 1), 0)"
        )
    };
    let sql = format!(
        "select l.id, l.contract_no, l.institution_code, l.village_code, l.borrower_id, \
         l.closed_on, {} as at_write_off, {} as at_date \
         from loans l join ledger_accounts a \
           on a.code = 'loan:' || l.institution_code || ':' || l.contract_no || ':principal' \
         where l.status = 'written_off' and l.closed_on <= $1 order by l.id",
        balance_on("l.closed_on"),
        balance_on("$1")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(as_of.to_string())
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(WrittenOffRow {
            id: row.try_get("id")?,
            contract_no: row.try_get("contract_no")?,
            institution_code: row.try_get("institution_code")?,
            village_code: row.try_get("village_code")?,
            borrower_id: row.try_get("borrower_id")?,
            closed_on: row.try_get("closed_on")?,
            at_write_off_fen: row.try_get("at_write_off")?,
            at_date_fen: row.try_get("at_date")?,
        });
    }
    Ok(out)
}

/// An alert as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    pub rule_code: String,
    pub subject_key: String,
    pub institution_code: Option<String>,
    pub village_code: String,
    pub county_code: String,
    pub status: String,
    pub first_seen: String,
    pub last_seen: String,
    pub closed_on: Option<String>,
    pub evidence_json: String,
    /// Joined from the rule.
    pub severity: String,
}

const ALERT_COLUMNS: &str = "a.id, a.rule_code, a.subject_key, a.institution_code, \
    a.village_code, a.county_code, a.status, a.first_seen, a.last_seen, a.closed_on, \
    a.evidence_json, r.severity";

fn alert_from_row(row: &AnyRow) -> Result<Alert> {
    Ok(Alert {
        id: row.try_get("id")?,
        rule_code: row.try_get("rule_code")?,
        subject_key: row.try_get("subject_key")?,
        institution_code: row.try_get("institution_code")?,
        village_code: row.try_get("village_code")?,
        county_code: row.try_get("county_code")?,
        status: row.try_get("status")?,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
        closed_on: row.try_get("closed_on")?,
        evidence_json: row.try_get("evidence_json")?,
        severity: row.try_get("severity")?,
    })
}

/// What an evaluation found for one rule and subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule_code: String,
    pub subject_key: String,
    pub institution_code: Option<String>,
    pub village_code: String,
    pub evidence_json: String,
}

/// The id, status and last day seen of every alert, by rule and subject.
pub async fn alert_keys(tx: &mut Tx) -> Result<Vec<(String, String, i64, String, String)>> {
    let rows = sqlx::query("select rule_code, subject_key, id, status, last_seen from alerts")
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("rule_code")?,
                row.try_get("subject_key")?,
                row.try_get("id")?,
                row.try_get("status")?,
                row.try_get("last_seen")?,
            ))
        })
        .collect()
}

/// Records a new alert first seen on `on`; returns its id, or `None` when another run recorded
/// it meanwhile (it stays as that run left it).
pub async fn insert_alert(tx: &mut Tx, finding: &Finding, on: BusinessDate) -> Result<Option<i64>> {
    let county = RegionCode::parse(&finding.village_code)
        .ok()
        .and_then(|code| code.ancestor_at(fupin_core::RegionLevel::County))
        .map(|code| code.as_str().to_string())
        .unwrap_or_else(|| finding.village_code.clone());
    let row = sqlx::query(
        "insert into alerts (rule_code, subject_key, institution_code, village_code, \
         county_code, status, first_seen, last_seen, evidence_json) \
         values ($1, $2, $3, $4, $5, 'open', $6, $6, $7) \
         on conflict (rule_code, subject_key) do nothing returning id",
    )
    .bind(finding.rule_code.clone())
    .bind(finding.subject_key.clone())
    .bind(finding.institution_code.clone())
    .bind(finding.village_code.clone())
    .bind(county)
    .bind(on.to_string())
    .bind(finding.evidence_json.clone())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|row| row.try_get("id")).transpose()?)
}

/// An alert that holds again on `on`: later last day, fresh evidence, reopened if it was closed.
pub async fn seen_again(tx: &mut Tx, id: i64, on: BusinessDate, evidence_json: &str) -> Result<()> {
    sqlx::query(
        "update alerts set last_seen = $2, evidence_json = $3, closed_on = null, \
         status = case when status = 'closed' then 'open' else status end, \
         first_seen = case when first_seen > $2 then $2 else first_seen end \
         where id = $1 and last_seen <= $2",
    )
    .bind(id)
    .bind(on.to_string())
    .bind(evidence_json.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Closes an alert that no longer holds on `on`.
pub async fn close_alert(tx: &mut Tx, id: i64, on: BusinessDate) -> Result<()> {
    sqlx::query(
        "update alerts set status = 'closed', closed_on = $2 where id = $1 and last_seen < $2",
    )
    .bind(id)
    .bind(on.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub within: Option<RegionCode>,
    pub institution: Option<String>,
    pub rule: Option<String>,
    pub status: Option<String>,
    pub severity: Option<String>,
    /// Only alerts not closed and not dismissed.
    pub live_only: bool,
    pub limit: i64,
    pub offset: i64,
}

fn conditions_of(filter: &AlertFilter) -> Conditions {
    let mut conditions = Conditions::starting_at(1);
    conditions
        .within("a.village_code", filter.within)
        .text_if("a.institution_code = {}", filter.institution.as_deref())
        .text_if("a.rule_code = {}", filter.rule.as_deref())
        .text_if("a.status = {}", filter.status.as_deref())
        .text_if("r.severity = {}", filter.severity.as_deref());
    if filter.live_only {
        conditions.text("a.status <> {}", "closed");
        conditions.text("a.status <> {}", "dismissed");
    }
    conditions
}

/// Alerts matching the filter, newest first.
pub async fn list_alerts(db: &Db, filter: &AlertFilter) -> Result<Vec<Alert>> {
    let mut conditions = conditions_of(filter);
    let (limit, offset) = (conditions.int(filter.limit), conditions.int(filter.offset));
    let sql = format!(
        "select {ALERT_COLUMNS} from alerts a join alert_rules r on r.code = a.rule_code{} \
         order by a.first_seen desc, a.id desc limit {limit} offset {offset}",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(alert_from_row).collect()
}

/// Counts of alerts matching the filter by rule, county and institution ('' for none).
pub async fn count_alerts(
    db: &Db,
    filter: &AlertFilter,
) -> Result<Vec<(String, String, String, i64)>> {
    let conditions = conditions_of(filter);
    let sql = format!(
        "select a.rule_code, a.county_code, coalesce(a.institution_code, '') as institution, \
         count(*) as n from alerts a join alert_rules r on r.code = a.rule_code{} \
         group by a.rule_code, a.county_code, coalesce(a.institution_code, '') \
         order by a.rule_code, a.county_code, institution",
        conditions.where_clause()
    );
    let rows = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("rule_code")?,
                row.try_get("county_code")?,
                row.try_get("institution")?,
                row.try_get("n")?,
            ))
        })
        .collect()
}

/// One alert.
pub async fn alert(db: &Db, id: i64) -> Result<Option<Alert>> {
    let sql = format!(
        "select {ALERT_COLUMNS} from alerts a join alert_rules r on r.code = a.rule_code \
         where a.id = $1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(alert_from_row).transpose()
}

/// An answer as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub seq: i64,
    pub answered_at: String,
    pub actor: String,
    pub kind: String,
    pub note: String,
}

/// The answers to an alert, in order.
pub async fn answers(db: &Db, alert_id: i64) -> Result<Vec<Answer>> {
    let rows = sqlx::query(
        "select seq, answered_at, actor, kind, note from alert_answers where alert_id = $1 \
         order by seq",
    )
    .bind(alert_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(Answer {
            seq: row.try_get("seq")?,
            answered_at: row.try_get("answered_at")?,
            actor: row.try_get("actor")?,
            kind: row.try_get("kind")?,
            note: row.try_get("note")?,
        });
    }
    Ok(out)
}

/// Records an answer and sets the alert's status; `expected_status` guards against a change
/// made meanwhile (false when the alert no longer stands as expected).
pub async fn answer(
    tx: &mut Tx,
    alert_id: i64,
    expected_status: &str,
    answer: &Answer,
    status: &str,
) -> Result<bool> {
    let updated = sqlx::query("update alerts set status = $2 where id = $1 and status = $3")
        .bind(alert_id)
        .bind(status.to_string())
        .bind(expected_status.to_string())
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "insert into alert_answers (alert_id, seq, answered_at, actor, kind, note) \
         values ($1, (select coalesce(max(seq), 0) + 1 from alert_answers where alert_id = $1), \
         $2, $3, $4, $5)",
    )
    .bind(alert_id)
    .bind(answer.answered_at.clone())
    .bind(answer.actor.clone())
    .bind(answer.kind.clone())
    .bind(answer.note.clone())
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Alerts at or under the region prefix open at the end of `on` (seen by then, not closed by
/// then, not dismissed), of one rule and one institution when given.
pub async fn open_on(
    db: &Db,
    prefix: &str,
    on: BusinessDate,
    rule: Option<&str>,
    institution: Option<&str>,
) -> Result<i64> {
    let mut conditions = Conditions::starting_at(1);
    conditions
        .prefix("village_code", prefix)
        .text("first_seen <= {}", on.to_string())
        .text("(closed_on is null or closed_on > {})", on.to_string())
        .text("status <> {}", "dismissed")
        .text_if("rule_code = {}", rule)
        .text_if("institution_code = {}", institution);
    let sql = format!(
        "select count(*) as n from alerts{}",
        conditions.where_clause()
    );
    let row = conditions
        .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("n")?)
}
