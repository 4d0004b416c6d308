//! Supervisory alerts (issue 28): rules as data evaluated over the book as of a date, the alerts
//! they keep with their evidence, and the work on them (answers, dismissals).
//!
//! Evaluation reads the loans' facts one county at a time and each other family of facts once
//! (see `fupin_store::alerts`), combines them per subject in memory and tests every enabled rule's condition
//! (`fupin_core::alert::Condition`). An alert is keyed by rule and subject, so one that still
//! holds the next day is the same alert (first and last day seen); one that stops holding is
//! closed on the day it was found not to.

use std::collections::{BTreeMap, HashMap, HashSet};

use fupin_core::alert::{self, AlertStatus, AnswerKind, Condition, Severity, Subject};
use fupin_core::date::Quarter;
use fupin_core::{BusinessDate, RegionCode};
use fupin_store::alerts::{self as store, AlertFilter, Finding};
use fupin_store::{Db, audit};
use serde_json::{Value as Json, json};

use crate::access::{self, Access, Area};
use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};

pub use fupin_store::alerts::{Alert, AlertRule, Answer};

/// The longest answer note.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// The most alerts one listing returns.
pub const MAX_LIMIT: i64 = 5_000;

/// A rule ready to evaluate.
#[derive(Clone, Debug)]
pub struct ParsedRule {
    pub row: AlertRule,
    pub severity: Severity,
    pub subject: Subject,
    pub condition: Condition,
    pub parameters: BTreeMap<String, i64>,
}

impl ParsedRule {
    /// Parses and checks a stored or proposed rule; errors name the field.
    pub fn parse(row: AlertRule) -> Result<ParsedRule> {
        let code = row.code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(AppError::field(
                "code",
                "a rule code is 1 to 40 capital letters, digits or '_'",
            ));
        }
        for (field, text, max) in [
            ("name_zh", &row.name_zh, 100),
            ("name_en", &row.name_en, 200),
            ("regulation", &row.regulation, 200),
            ("definition", &row.definition, 2_000),
        ] {
            if text.trim().is_empty() || text.chars().count() > max {
                return Err(AppError::field(
                    field,
                    format!("give 1 to {max} characters"),
                ));
            }
        }
        let severity =
            Severity::parse(&row.severity).map_err(|e| AppError::field("severity", e.0))?;
        let subject = Subject::parse(&row.subject).map_err(|e| AppError::field("subject", e.0))?;
        let parameters = parse_parameters(&row.parameters)?;
        let condition =
            Condition::parse(&row.condition).map_err(|e| AppError::field("condition", e.0))?;
        let names: Vec<&str> = parameters.keys().map(String::as_str).collect();
        condition
            .check_names(subject, &names)
            .map_err(|e| AppError::field("condition", e.0))?;
        Ok(ParsedRule {
            row,
            severity,
            subject,
            condition,
            parameters,
        })
    }

    fn holds(&self, facts: &impl Fn(&str) -> Option<i64>) -> bool {
        self.condition
            .holds(&|name| facts(name).or_else(|| self.parameters.get(name).copied()))
    }

    /// The facts and parameters the condition names, with their values, for the evidence.
    fn used(&self, facts: &impl Fn(&str) -> Option<i64>) -> Json {
        let mut used = serde_json::Map::new();
        for name in self.condition.names() {
            let value = facts(name).or_else(|| self.parameters.get(name).copied());
            used.insert(name.to_string(), json!(value));
        }
        Json::Object(used)
    }
}

fn parse_parameters(text: &str) -> Result<BTreeMap<String, i64>> {
    let value: Json = serde_json::from_str(if text.trim().is_empty() { "{}" } else { text })
        .map_err(|e| AppError::field("parameters", format!("not a JSON object: {e}")))?;
    let Json::Object(map) = value else {
        return Err(AppError::field("parameters", "not a JSON object"));
    };
    if map.len() > 20 {
        return Err(AppError::field("parameters", "at most 20 parameters"));
    }
    let mut out = BTreeMap::new();
    for (name, value) in map {
        let ok_name = !name.is_empty()
            && name.len() <= 40
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let number = value.as_i64().filter(|_| ok_name).ok_or_else(|| {
            AppError::field(
                "parameters",
                format!("parameter {name:?} must be a lower-case name with a whole number"),
            )
        })?;
        out.insert(name, number);
    }
    Ok(out)
}

/// Every rule (every signed-in role that reads alerts).
pub async fn rules(db: &Db, ctx: &Ctx) -> Result<Vec<AlertRule>> {
    access::require(ctx, Area::Alerts, Access::Read)?;
    Ok(store::rules(db).await?)
}

/// Adds a rule or replaces the one of its code: the regulator's (and the operator's). A rule is
/// data: its condition combines the subject's facts with its own parameters.
pub async fn save_rule(db: &Db, ctx: &Ctx, rule: AlertRule) -> Result<AlertRule> {
    access::require(ctx, Area::Alerts, Access::Write)?;
    if !matches!(ctx.actor.role, Role::Regulator | Role::Operator) {
        return Err(AppError::Forbidden(
            "only the regulator defines alert rules".into(),
        ));
    }
    let parsed = ParsedRule::parse(rule)?;
    let mut row = parsed.row;
    row.code = row.code.trim().to_string();
    row.parameters = serde_json::to_string(&parsed.parameters).unwrap_or_default();
    let before = store::rule(db, &row.code).await?;
    let mut tx = db.write().await?;
    store::save_rule(&mut tx, &row).await?;
    let mut entry = ctx.audit("alert_rule.save", "alert_rule", &row.code);
    entry.before_json = before.as_ref().map(rule_json).map(|j| j.to_string());
    entry.after_json = Some(rule_json(&row).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(row)
}

/// A rule as JSON (audit records and the API).
pub fn rule_json(rule: &AlertRule) -> Json {
    json!({
        "code": rule.code, "name_zh": rule.name_zh, "name_en": rule.name_en,
        "severity": rule.severity, "subject": rule.subject, "condition": rule.condition,
        "parameters": serde_json::from_str::<Json>(&rule.parameters).unwrap_or(Json::Null),
        "regulation": rule.regulation, "definition": rule.definition, "enabled": rule.enabled,
    })
}

/// What one evaluation found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub date: Option<BusinessDate>,
    /// Findings by rule code.
    pub by_rule: BTreeMap<String, u64>,
    pub opened: u64,
    pub still_open: u64,
    pub closed: u64,
}

/// Evaluates every enabled rule for `date` and records the alerts: the operator's and the
/// administrator's (end of day calls it for the day it completes).
pub async fn run(db: &Db, ctx: &Ctx, date: BusinessDate) -> Result<RunReport> {
    access::require(ctx, Area::Operations, Access::Write)?;
    record(db, ctx, date).await
}

pub(crate) async fn record(db: &Db, ctx: &Ctx, date: BusinessDate) -> Result<RunReport> {
    let findings = evaluate(db, date).await?;
    let mut report = RunReport {
        date: Some(date),
        ..RunReport::default()
    };
    let mut tx = db.write().await?;
    let known: HashMap<(String, String), (i64, String, String)> = store::alert_keys(&mut tx)
        .await?
        .into_iter()
        .map(|(rule, key, id, status, last)| ((rule, key), (id, status, last)))
        .collect();
    let mut held = HashSet::new();
    for finding in &findings {
        *report.by_rule.entry(finding.rule_code.clone()).or_default() += 1;
        let key = (finding.rule_code.clone(), finding.subject_key.clone());
        match known.get(&key) {
            Some((id, _, _)) => {
                store::seen_again(&mut tx, *id, date, &finding.evidence_json).await?;
                held.insert(*id);
                report.still_open += 1;
            }
            None => {
                store::insert_alert(&mut tx, finding, date).await?;
                report.opened += 1;
            }
        }
    }
    for (id, status, last_seen) in known.values() {
        let live = AlertStatus::parse(status).is_ok_and(AlertStatus::is_live);
        if live && !held.contains(id) && last_seen.as_str() < date.to_string().as_str() {
            store::close_alert(&mut tx, *id, date).await?;
            report.closed += 1;
        }
    }
    let mut entry = ctx.audit("alert.run", "alert_run", &date.to_string());
    entry.after_json = Some(
        json!({"findings": findings.len(), "opened": report.opened, "closed": report.closed, "by_rule": report.by_rule})
            .to_string(),
    );
    audit::append(&mut tx, &entry).await?;
    db.commit_bulk(tx).await?;
    Ok(report)
}

/// The facts of one loan outstanding on the date.
struct LoanFacts<'a> {
    row: &'a store::LoanFactRow,
    term_months: Option<i64>,
    age_years: Option<i64>,
    days_since_death: Option<i64>,
    banks: i64,
    household_total_fen: i64,
    subsidy_overdue_days: i64,
}

impl LoanFacts<'_> {
    fn get(&self, name: &str) -> Option<i64> {
        let household = self.row.borrower_type == "household";
        let flag = |b: bool| Some(i64::from(b));
        match name {
            "amount_fen" => Some(self.row.principal_fen),
            "term_months" => self.term_months,
            "is_microcredit" => flag(self.row.microcredit),
            "borrower_age_years" => self.age_years,
            "borrower_days_since_death" => self.days_since_death,
            "borrower_registered_on_disbursement" if household => {
                flag(self.row.status_at_start.is_some())
            }
            "borrower_exited_years_before_disbursement"
                if self.row.status_at_start.as_deref() == Some("exited") =>
            {
                let start_year = self.row.start_on.get(..4)?.parse::<i64>().ok()?;
                Some(start_year - self.row.exited_year_at_start?)
            }
            "household_banks_count" if household => Some(self.banks),
            "household_microcredit_total_fen" if household => Some(self.household_total_fen),
            "purpose_names_enterprise" => flag(alert::purpose_names_enterprise(&self.row.purpose)),
            "subsidy_overdue_days" => Some(self.subsidy_overdue_days),
            _ => None,
        }
    }
}

/// What every enabled rule finds on `date`, without recording it.
pub async fn evaluate(db: &Db, date: BusinessDate) -> Result<Vec<Finding>> {
    let mut rules = Vec::new();
    for row in store::rules(db).await?.into_iter().filter(|r| r.enabled) {
        let code = row.code.clone();
        rules.push(ParsedRule::parse(row).map_err(|e| {
            AppError::Invalid(format!("alert rule {code} cannot be evaluated: {e}"))
        })?);
    }
    let of = |subject: Subject| -> Vec<&ParsedRule> {
        rules.iter().filter(|r| r.subject == subject).collect()
    };
    let (loan_rules, village_rules) = (of(Subject::Loan), of(Subject::Village));
    let officer_rules = of(Subject::Officer);
    let rates = !village_rules.is_empty() || !officer_rules.is_empty();
    // A county at a time: a household's loans and a village's county lie in one county, so
    // memory follows the largest county, not the book.
    let (mut findings, mut by_village, mut by_officer) = (Vec::new(), Vec::new(), Vec::new());
    if !loan_rules.is_empty() || rates {
        for county in store::loan_counties(db).await? {
            let loans = store::loan_facts(db, date, &county).await?;
            if !loan_rules.is_empty() {
                loan_findings(db, date, &county, &loans, &loan_rules, &mut findings).await?;
            }
            if rates {
                let overdue: HashSet<i64> = store::overdue_loan_ids(db, date, &county)
                    .await?
                    .into_iter()
                    .collect();
                let late = |loan: &store::LoanFactRow| overdue.contains(&loan.id);
                village_findings(date, &loans, &late, &village_rules, &mut by_village);
                officer_findings(
                    date,
                    &county,
                    &loans,
                    &late,
                    &officer_rules,
                    &mut by_officer,
                );
            }
        }
    }
    findings.append(&mut by_village);
    findings.append(&mut by_officer);
    let enterprise_rules = of(Subject::EnterpriseDay);
    if !enterprise_rules.is_empty() {
        enterprise_findings(db, date, &enterprise_rules, &mut findings).await?;
    }
    let written_off_rules = of(Subject::WrittenOffLoan);
    if !written_off_rules.is_empty() {
        written_off_findings(db, date, &written_off_rules, &mut findings).await?;
    }
    let line_rules = of(Subject::CreditLine);
    if !line_rules.is_empty() {
        line_findings(db, date, &line_rules, &mut findings).await?;
    }
    Ok(findings)
}

fn date_of(text: &str) -> Option<BusinessDate> {
    BusinessDate::parse(text).ok()
}

async fn loan_findings(
    db: &Db,
    date: BusinessDate,
    county: &str,
    loans: &[store::LoanFactRow],
    rules: &[&ParsedRule],
    findings: &mut Vec<Finding>,
) -> Result<()> {
    // The household's micro-credit loans outstanding on the date, every bank together.
    let mut households: HashMap<&str, Vec<&store::LoanFactRow>> = HashMap::new();
    for loan in loans
        .iter()
        .filter(|l| l.microcredit && l.borrower_type == "household")
    {
        households.entry(&loan.borrower_id).or_default().push(loan);
    }
    let subsidy = subsidy_overdue_days(db, date, county).await?;
    for loan in loans {
        let (start, maturity) = (date_of(&loan.start_on), date_of(&loan.original_maturity_on));
        let own = households.get(loan.borrower_id.as_str());
        let banks: HashSet<&str> = own
            .into_iter()
            .flatten()
            .map(|l| l.institution_code.as_str())
            .collect();
        let facts = LoanFacts {
            row: loan,
            term_months: start.zip(maturity).map(|(s, m)| alert::term_months(s, m)),
            age_years: start
                .zip(loan.head_birth_date.as_deref().and_then(date_of))
                .map(|(s, birth)| alert::age_years(birth, s)),
            days_since_death: loan
                .head_died_on
                .as_deref()
                .and_then(date_of)
                .map(|died| died.days_until(date)),
            banks: banks.len() as i64,
            household_total_fen: own.into_iter().flatten().map(|l| l.principal_fen).sum(),
            subsidy_overdue_days: subsidy.get(&loan.id).copied().unwrap_or(0),
        };
        let lookup = |name: &str| facts.get(name);
        for rule in rules {
            if !rule.holds(&lookup) {
                continue;
            }
            let household_loans: Vec<Json> = own
                .into_iter()
                .flatten()
                .map(|l| json!({"contract_no": l.contract_no, "institution": l.institution_code, "principal_fen": l.principal_fen, "start_on": l.start_on}))
                .collect();
            let evidence = json!({
                "loan": {"contract_no": loan.contract_no, "institution": loan.institution_code,
                         "borrower_type": loan.borrower_type, "borrower_id": loan.borrower_id,
                         "principal_fen": loan.principal_fen, "start_on": loan.start_on,
                         "original_maturity_on": loan.original_maturity_on,
                         "purpose": loan.purpose, "borrower_died_on": loan.head_died_on},
                "facts": rule.used(&lookup),
                "household_loans": household_loans,
                "as_of": date.to_string(),
            });
            findings.push(Finding {
                rule_code: rule.row.code.clone(),
                subject_key: format!("{}/{}", loan.institution_code, loan.contract_no),
                institution_code: Some(loan.institution_code.clone()),
                village_code: loan.village_code.clone(),
                evidence_json: evidence.to_string(),
            });
        }
    }
    Ok(())
}

/// Per loan, the days its subsidy claims count beyond the days of their quarters it was
/// outstanding and not overdue.
async fn subsidy_overdue_days(
    db: &Db,
    date: BusinessDate,
    county: &str,
) -> Result<HashMap<i64, i64>> {
    let lines = store::claim_lines(db, date, county).await?;
    if lines.is_empty() {
        return Ok(HashMap::new());
    }
    let mut spells: HashMap<i64, Vec<fupin_core::subsidy::Spell>> = HashMap::new();
    for (loan, from, to) in store::claimed_loan_spells(db, county).await? {
        if let Some(from) = date_of(&from) {
            spells
                .entry(loan)
                .or_default()
                .push((from, to.as_deref().and_then(date_of)));
        }
    }
    let mut out: HashMap<i64, i64> = HashMap::new();
    for line in lines {
        let (Ok(quarter), Some(start)) = (Quarter::parse(&line.quarter), date_of(&line.start_on))
        else {
            continue;
        };
        let Some(end) = quarter.last_day().succ() else {
            continue;
        };
        let from = start.max(quarter.first_day());
        let to = line
            .closed_on
            .as_deref()
            .and_then(date_of)
            .map_or(end, |c| c.min(end));
        let outstanding = fupin_core::subsidy::Segment {
            from,
            to: to.max(from),
            principal: fupin_core::Fen::new(1),
        };
        let own = spells.get(&line.loan_id).map(Vec::as_slice).unwrap_or(&[]);
        let eligible =
            fupin_core::subsidy::subsidy(&[outstanding], own, fupin_core::Rate::from_ppm(0), 360)
                .map_or(0, |s| s.days);
        let excess = line.days - eligible;
        if excess > 0 {
            *out.entry(line.loan_id).or_default() += excess;
        }
    }
    Ok(out)
}

/// An overdue rate in basis points, rounded down.
fn rate_bps((count, late): (i64, i64)) -> i64 {
    match count {
        0 => 0,
        _ => late * 10_000 / count,
    }
}

fn village_findings(
    date: BusinessDate,
    loans: &[store::LoanFactRow],
    overdue: &impl Fn(&store::LoanFactRow) -> bool,
    rules: &[&ParsedRule],
    findings: &mut Vec<Finding>,
) {
    if rules.is_empty() {
        return;
    }
    let mut villages: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut counties: HashMap<&str, (i64, i64)> = HashMap::new();
    for loan in loans {
        let late = i64::from(overdue(loan));
        let village = villages.entry(&loan.village_code).or_default();
        village.0 += 1;
        village.1 += late;
        let county = counties
            .entry(&loan.village_code[..loan.village_code.len().min(6)])
            .or_default();
        county.0 += 1;
        county.1 += late;
    }
    let rate = rate_bps;
    for (village, counts) in villages {
        let county = counties
            .get(&village[..village.len().min(6)])
            .copied()
            .unwrap_or_default();
        let lookup = |name: &str| match name {
            "village_loans_count" => Some(counts.0),
            "village_overdue_count" => Some(counts.1),
            "village_overdue_rate_bps" => Some(rate(counts)),
            "county_overdue_rate_bps" => Some(rate(county)),
            _ => None,
        };
        for rule in rules {
            if rule.holds(&lookup) {
                let evidence = json!({
                    "village": village, "loans": counts.0, "overdue_loans": counts.1,
                    "county_loans": county.0, "county_overdue_loans": county.1,
                    "facts": rule.used(&lookup), "as_of": date.to_string(),
                });
                findings.push(Finding {
                    rule_code: rule.row.code.clone(),
                    subject_key: village.to_string(),
                    institution_code: None,
                    village_code: village.to_string(),
                    evidence_json: evidence.to_string(),
                });
            }
        }
    }
}

/// A bank's loan officers in one county against the county: the officers' facts are those of a
/// village (loans of the county without an officer count for the county only).
fn officer_findings(
    date: BusinessDate,
    county: &str,
    loans: &[store::LoanFactRow],
    overdue: &impl Fn(&store::LoanFactRow) -> bool,
    rules: &[&ParsedRule],
    findings: &mut Vec<Finding>,
) {
    if rules.is_empty() {
        return;
    }
    let mut officers: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    let mut all = (0, 0);
    for loan in loans {
        let late = i64::from(overdue(loan));
        all.0 += 1;
        all.1 += late;
        if let Some(officer) = loan.officer.as_deref() {
            let counts = officers
                .entry((&loan.institution_code, officer))
                .or_default();
            counts.0 += 1;
            counts.1 += late;
        }
    }
    let county_code = format!(
        "{county}{}",
        "0".repeat(12usize.saturating_sub(county.len()))
    );
    for ((institution, officer), counts) in officers {
        let lookup = |name: &str| match name {
            "officer_loans_count" => Some(counts.0),
            "officer_overdue_count" => Some(counts.1),
            "officer_overdue_rate_bps" => Some(rate_bps(counts)),
            "county_overdue_rate_bps" => Some(rate_bps(all)),
            _ => None,
        };
        for rule in rules {
            if rule.holds(&lookup) {
                let evidence = json!({
                    "officer": officer, "institution": institution, "county": county_code,
                    "loans": counts.0, "overdue_loans": counts.1,
                    "county_loans": all.0, "county_overdue_loans": all.1,
                    "facts": rule.used(&lookup), "as_of": date.to_string(),
                });
                findings.push(Finding {
                    rule_code: rule.row.code.clone(),
                    subject_key: format!("{institution}/{officer}/{county}"),
                    institution_code: Some(institution.to_string()),
                    village_code: county_code.clone(),
                    evidence_json: evidence.to_string(),
                });
            }
        }
    }
}

async fn enterprise_findings(
    db: &Db,
    date: BusinessDate,
    rules: &[&ParsedRule],
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let rows = store::enterprise_linked_loans(db, date).await?;
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&store::LinkedLoanRow>> = BTreeMap::new();
    for row in &rows {
        let group = groups
            .entry((&row.credit_code, &row.institution_code, &row.start_on))
            .or_default();
        // A household linked to the enterprise twice (employment and dividend) is one loan.
        if group.last().is_none_or(|last| last.loan_id != row.loan_id) {
            group.push(row);
        }
    }
    for ((credit_code, institution, start_on), group) in groups {
        let count = group.len() as i64;
        let total: i64 = group.iter().map(|l| l.principal_fen).sum();
        let lookup = |name: &str| match name {
            "linked_loans_count" => Some(count),
            "linked_loans_fen" => Some(total),
            _ => None,
        };
        for rule in rules {
            if rule.holds(&lookup) {
                let loans: Vec<Json> = group
                    .iter()
                    .map(|l| json!({"contract_no": l.contract_no, "household_id": l.household_id, "principal_fen": l.principal_fen}))
                    .collect();
                let evidence = json!({
                    "enterprise": {"credit_code": credit_code, "name": group[0].enterprise_name},
                    "institution": institution, "disbursed_on": start_on, "loans": loans,
                    "facts": rule.used(&lookup), "as_of": date.to_string(),
                });
                findings.push(Finding {
                    rule_code: rule.row.code.clone(),
                    subject_key: format!("{credit_code}/{institution}/{start_on}"),
                    institution_code: Some(institution.to_string()),
                    village_code: group[0].enterprise_village.clone(),
                    evidence_json: evidence.to_string(),
                });
            }
        }
    }
    Ok(())
}

async fn written_off_findings(
    db: &Db,
    date: BusinessDate,
    rules: &[&ParsedRule],
    findings: &mut Vec<Finding>,
) -> Result<()> {
    for loan in store::written_off_loans(db, date).await? {
        let lookup = |name: &str| match name {
            "balance_at_write_off_fen" => Some(loan.at_write_off_fen),
            "balance_fen" => Some(loan.at_date_fen),
            "balance_rise_after_write_off_fen" => Some(loan.at_date_fen - loan.at_write_off_fen),
            _ => None,
        };
        for rule in rules {
            if rule.holds(&lookup) {
                let evidence = json!({
                    "loan": {"contract_no": loan.contract_no, "institution": loan.institution_code,
                             "borrower_id": loan.borrower_id, "written_off_on": loan.closed_on},
                    "facts": rule.used(&lookup), "as_of": date.to_string(),
                });
                findings.push(Finding {
                    rule_code: rule.row.code.clone(),
                    subject_key: format!("{}/{}", loan.institution_code, loan.contract_no),
                    institution_code: Some(loan.institution_code.clone()),
                    village_code: loan.village_code.clone(),
                    evidence_json: evidence.to_string(),
                });
            }
        }
    }
    Ok(())
}

async fn line_findings(
    db: &Db,
    date: BusinessDate,
    rules: &[&ParsedRule],
    findings: &mut Vec<Finding>,
) -> Result<()> {
    // A county at a time, like the loans: memory follows the largest county, not the book.
    for county in store::line_counties(db).await? {
        for line in store::lines_in_force(db, date, &county).await? {
            line_finding(date, &line, rules, findings);
        }
    }
    Ok(())
}

fn line_finding(
    date: BusinessDate,
    line: &store::LineFactRow,
    rules: &[&ParsedRule],
    findings: &mut Vec<Finding>,
) {
    let lookup = |name: &str| match name {
        "line_fen" => Some(line.amount_fen),
        "recommended_line_fen" => Some(line.recommended_line_fen),
        "line_above_recommended_fen" => Some(line.amount_fen - line.recommended_line_fen),
        _ => None,
    };
    for rule in rules {
        if rule.holds(&lookup) {
            let evidence = json!({
                "credit_line": {"household_id": line.household_id, "institution": line.institution_code,
                                "granted_on": line.granted_on, "amount_fen": line.amount_fen,
                                "recommended_line_fen": line.recommended_line_fen, "grade": line.grade},
                "facts": rule.used(&lookup), "as_of": date.to_string(),
            });
            findings.push(Finding {
                rule_code: rule.row.code.clone(),
                subject_key: format!(
                    "{}/{}/{}",
                    line.household_id, line.institution_code, line.granted_on
                ),
                institution_code: Some(line.institution_code.clone()),
                village_code: line.village_code.clone(),
                evidence_json: evidence.to_string(),
            });
        }
    }
}

/// What to list, as asked.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub region: Option<RegionCode>,
    pub institution: Option<String>,
    pub rule: Option<String>,
    pub status: Option<AlertStatus>,
    pub severity: Option<Severity>,
    /// Only alerts still to be worked on (not closed, not dismissed).
    pub live_only: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The filter of the actor's view: a bank sees its own institution's alerts only.
fn scoped(ctx: &Ctx, query: &ListQuery) -> Result<AlertFilter> {
    access::require(ctx, Area::Alerts, Access::Read)?;
    let within = access::region_in_scope(ctx, query.region)?;
    let institution = match access::bank_institution(ctx)? {
        Some(own) => {
            if query
                .institution
                .as_deref()
                .is_some_and(|asked| asked != own)
            {
                return Err(AppError::NotFound(format!(
                    "institution {}",
                    query.institution.as_deref().unwrap_or_default()
                )));
            }
            Some(own.to_string())
        }
        None => query.institution.clone(),
    };
    Ok(AlertFilter {
        within,
        institution,
        rule: query.rule.clone(),
        status: query.status.map(|s| s.as_str().to_string()),
        severity: query.severity.map(|s| s.as_str().to_string()),
        live_only: query.live_only,
        limit: query.limit.unwrap_or(200).clamp(1, MAX_LIMIT),
        offset: query.offset.unwrap_or(0).max(0),
    })
}

/// Alerts in the actor's view, newest first.
pub async fn list(db: &Db, ctx: &Ctx, query: &ListQuery) -> Result<Vec<Alert>> {
    let filter = scoped(ctx, query)?;
    Ok(store::list_alerts(db, &filter).await?)
}

/// Counts of alerts in the actor's view by rule, county and institution.
pub async fn counts(
    db: &Db,
    ctx: &Ctx,
    query: &ListQuery,
) -> Result<Vec<(String, String, String, i64)>> {
    let filter = scoped(ctx, query)?;
    Ok(store::count_alerts(db, &filter).await?)
}

/// One alert with its answers, if the actor may see it.
pub async fn show(db: &Db, ctx: &Ctx, id: i64) -> Result<(Alert, Vec<Answer>)> {
    access::require(ctx, Area::Alerts, Access::Read)?;
    let alert = visible(db, ctx, id).await?;
    let answers = store::answers(db, id).await?;
    Ok((alert, answers))
}

async fn visible(db: &Db, ctx: &Ctx, id: i64) -> Result<Alert> {
    let what = || format!("alert {id}");
    let alert = store::alert(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    let village = RegionCode::parse(&alert.village_code).map_err(|_| AppError::NotFound(what()))?;
    access::require_region(ctx, village, what)?;
    if let Some(own) = access::bank_institution(ctx)?
        && alert.institution_code.as_deref() != Some(own)
    {
        return Err(AppError::NotFound(what()));
    }
    Ok(alert)
}

/// Answers an alert: the responsible bank explains, corrects or escalates; the regulator may
/// also dismiss (with its reason). Audited in the same transaction.
pub async fn answer(db: &Db, ctx: &Ctx, id: i64, kind: AnswerKind, note: &str) -> Result<Alert> {
    access::require(ctx, Area::Alerts, Access::Write)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::field(
            "note",
            format!("give a reason of 1 to {MAX_NOTE_CHARS} characters"),
        ));
    }
    if kind == AnswerKind::Dismiss && !matches!(ctx.actor.role, Role::Regulator | Role::Operator) {
        return Err(AppError::Forbidden(
            "only the regulator dismisses an alert".into(),
        ));
    }
    let alert = visible(db, ctx, id).await?;
    let status = AlertStatus::parse(&alert.status).map_err(|e| AppError::Invalid(e.0))?;
    if !status.is_live() {
        return Err(AppError::Conflict(format!(
            "alert {id} is {} and takes no answer",
            status.as_str()
        )));
    }
    let new_status = kind.status();
    let mut tx = db.write().await?;
    let row = Answer {
        seq: 0,
        answered_at: ctx.now.clone(),
        actor: ctx.actor.name.clone(),
        kind: kind.as_str().to_string(),
        note: note.to_string(),
    };
    if !store::answer(&mut tx, id, status.as_str(), &row, new_status.as_str()).await? {
        return Err(AppError::Conflict(format!(
            "alert {id} changed meanwhile; look at it again"
        )));
    }
    let mut entry = ctx.audit(
        &format!("alert.{}", kind.as_str()),
        "alert",
        &id.to_string(),
    );
    entry.before_json = Some(json!({"status": status.as_str()}).to_string());
    entry.after_json = Some(json!({"status": new_status.as_str(), "note": note}).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    visible(db, ctx, id).await
}

/// An alert as JSON (API and CLI).
pub fn alert_json(alert: &Alert) -> Json {
    json!({
        "id": alert.id, "rule": alert.rule_code, "severity": alert.severity,
        "subject": alert.subject_key, "institution": alert.institution_code,
        "village": alert.village_code, "county": alert.county_code, "status": alert.status,
        "first_seen": alert.first_seen, "last_seen": alert.last_seen, "closed_on": alert.closed_on,
        "evidence": serde_json::from_str::<Json>(&alert.evidence_json).unwrap_or(Json::Null),
    })
}

/// The work list of alerts still to be worked on as an XLSX workbook: one row per alert.
pub async fn work_list_xlsx(db: &Db, ctx: &Ctx, query: &ListQuery) -> Result<Vec<u8>> {
    let query = ListQuery {
        live_only: true,
        limit: Some(MAX_LIMIT),
        ..query.clone()
    };
    let alerts = list(db, ctx, &query).await?;
    let rules: HashMap<String, AlertRule> = store::rules(db)
        .await?
        .into_iter()
        .map(|r| (r.code.clone(), r))
        .collect();
    work_list_workbook(&alerts, &rules)
        .map_err(|e| AppError::Invalid(format!("the workbook could not be written: {e}")))
}

fn work_list_workbook(
    alerts: &[Alert],
    rules: &HashMap<String, AlertRule>,
) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use crate::ingest::formula_escape;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("预警工作清单 Alerts")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let headers = [
        "编号 id",
        "规则 rule",
        "规则名称 name",
        "严重程度 severity",
        "对象 subject",
        "机构 institution",
        "村 village",
        "状态 status",
        "首次发现 first seen",
        "最近发现 last seen",
        "证据 evidence",
        "答复 answer",
    ];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, &bold)?;
    }
    for (index, alert) in alerts.iter().enumerate() {
        let row = index as u32 + 1;
        let name = rules
            .get(&alert.rule_code)
            .map_or(String::new(), |r| r.name_zh.clone());
        let cells = [
            alert.rule_code.clone(),
            name,
            alert.severity.clone(),
            alert.subject_key.clone(),
            alert.institution_code.clone().unwrap_or_default(),
            alert.village_code.clone(),
            alert.status.clone(),
            alert.first_seen.clone(),
            alert.last_seen.clone(),
            alert.evidence_json.clone(),
            String::new(),
        ];
        sheet.write_number(row, 0, alert.id as f64)?;
        for (column, cell) in cells.iter().enumerate() {
            sheet.write_string(row, column as u16 + 1, formula_escape(cell))?;
        }
    }
    sheet.set_column_width(2, 30)?;
    sheet.set_column_width(10, 60)?;
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}
