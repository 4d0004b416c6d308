//! Statistical returns (报表): institutions' figures per county and month, checked by validation
//! rules and approved by the regulator (DHIS2's data sets, validation rules and data approval);
//! and figures published elsewhere, recorded to be compared with the computed ones.
//!
//! Who may do what:
//! - read returns: the regulator (its region), a bank (its own institution), the operator;
//! - submit (import) and correct values: a bank (its own), the regulator, the operator;
//! - approve, lock, reopen; define data elements and rules; record reported figures: the
//!   regulator and the operator.
//!
//! A return outside the actor's scope is answered as not found (see [`crate::access`]).

use std::collections::BTreeMap;

use fupin_core::date::Month;
use fupin_core::returns::{
    Comparison, DecimalText, ElementCode, Outcome, ReturnState, RuleCheck, Severity, Skip,
    Threshold, Unit, is_code,
};
use fupin_core::{BusinessDate, Fen, RegionCode, RegionLevel};
use fupin_store::returns::{self as store, Transition, ValueChange};
pub use fupin_store::returns::{
    DataElement, ElementTotal, ReportedFigure, ReturnFilter, ReturnHeader, ReturnKey,
    ReturnListing, ValidationRule,
};
use fupin_store::{Db, StoreError, Tx, audit, groups, regions};
use serde_json::json;

use crate::access;
use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::outcome::Applied;

/// Largest listing returned.
pub const LIST_LIMIT_MAX: i64 = 100_000;

/// Units a reported figure may be published in.
pub const REPORTED_UNITS: &[(&str, &str)] = &[
    ("yuan", "元"),
    ("wan_yuan", "万元"),
    ("yi_yuan", "亿元"),
    ("percent", "%"),
    ("percentage_point", "个百分点"),
    ("count", "个/户/人"),
];

// ---------------------------------------------------------------------------------------------
// who may do what

/// What an actor wants to do with returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Read,
    /// Import or correct values.
    Submit,
    /// Approve, lock, reopen.
    Approve,
    /// Define elements and rules, record reported figures.
    Define,
}

fn require(ctx: &Ctx, act: Act) -> Result<()> {
    let role = ctx.actor.role;
    let allowed = match act {
        Act::Read | Act::Submit => matches!(role, Role::Operator | Role::Regulator | Role::Bank),
        Act::Approve | Act::Define => matches!(role, Role::Operator | Role::Regulator),
    };
    if allowed {
        return Ok(());
    }
    let what = match act {
        Act::Read => "read returns",
        Act::Submit => "submit or correct returns",
        Act::Approve => "approve, lock or reopen returns",
        Act::Define => "define data elements, validation rules or reported figures",
    };
    Err(AppError::Forbidden(format!(
        "the {} role does not {what}",
        role.as_str()
    )))
}

/// Refuses, as not found, a return outside the actor's region or another bank's return.
fn require_in_scope(ctx: &Ctx, key: &ReturnKey) -> Result<()> {
    let bank = access::bank_institution(ctx)?;
    let visible = access::sees_region(ctx, key.county_code)
        && bank.is_none_or(|own| own == key.institution_code);
    match visible {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("return {key}"))),
    }
}

/// Checks that the actor may submit values for `institution` in `county` (used by imports,
/// per row); the message says why not.
pub(crate) fn submit_refusal(ctx: &Ctx, institution: &str, county: RegionCode) -> Option<String> {
    if let Err(error) = require(ctx, Act::Submit) {
        return Some(error.to_string());
    }
    match access::bank_institution(ctx) {
        Err(error) => return Some(error.to_string()),
        Ok(Some(own)) if own != institution => {
            return Some(format!(
                "a bank user of {own} cannot submit returns of institution {institution}"
            ));
        }
        Ok(_) => {}
    }
    (!access::sees_region(ctx, county)).then(|| format!("county {county} is outside your region"))
}

// ---------------------------------------------------------------------------------------------
// parsing keys at the edges

/// A return's key from its three parts as typed: institution code, county code (6 or 12
/// digits) and period (`YYYY-MM`).
pub fn return_key(institution: &str, county: &str, period: &str) -> Result<ReturnKey> {
    let institution = institution.trim();
    if institution.is_empty() {
        return Err(AppError::field("institution", "is required"));
    }
    let county_code =
        RegionCode::parse(county).map_err(|e| AppError::field("county", e.to_string()))?;
    if county_code.level() != RegionLevel::County {
        return Err(AppError::field(
            "county",
            format!(
                "{county_code} is a {} code, not a county",
                county_code.level()
            ),
        ));
    }
    let period = Month::parse(period).map_err(|e| AppError::field("period", e.to_string()))?;
    Ok(ReturnKey {
        institution_code: institution.to_string(),
        county_code,
        period,
    })
}

/// The period whose month-end is the latest on or before `as_of`: June for 2017-06-30, May for
/// 2017-06-29. `None` before the first month of the calendar range.
pub fn last_period_on(as_of: BusinessDate) -> Option<Month> {
    let month = Month::of(as_of);
    match as_of == month.last_day() {
        true => Some(month),
        false => month.previous(),
    }
}

// ---------------------------------------------------------------------------------------------
// rule evaluation

/// One rule evaluated on one return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleResult {
    pub rule_code: String,
    pub severity: Severity,
    /// The rule in words: `loans_poverty <= loans_agriculture`.
    pub check: String,
    pub outcome: Outcome,
    /// Why it failed or was skipped; empty when it passed.
    pub message: String,
}

impl RuleResult {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Fail(_))
    }

    /// `pass`, `fail` or `skipped`.
    pub fn status(&self) -> &'static str {
        match self.outcome {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

/// A failed rule of a return, as reported by imports and corrections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFinding {
    pub key: ReturnKey,
    pub rule_code: String,
    pub severity: Severity,
    /// A full sentence naming the return, the rule and the figures.
    pub message: String,
}

impl RuleResult {
    fn finding(&self, key: &ReturnKey) -> RuleFinding {
        let verb = match self.severity {
            Severity::Error => "fails rule",
            Severity::Warning => "has a warning from rule",
        };
        RuleFinding {
            key: key.clone(),
            rule_code: self.rule_code.clone(),
            severity: self.severity,
            message: format!(
                "return {key} {verb} {} ({}): {}",
                self.rule_code, self.check, self.message
            ),
        }
    }
}

/// Evaluates every active rule on a return as stored in the transaction, against the return of
/// the same institution and county for the month before.
pub(crate) async fn evaluate_in(
    tx: &mut Tx,
    key: &ReturnKey,
    rules: &[ValidationRule],
    units: &BTreeMap<ElementCode, Unit>,
) -> Result<Vec<RuleResult>> {
    let current: BTreeMap<ElementCode, i64> =
        store::values_in(tx, key).await?.into_iter().collect();
    let previous: BTreeMap<ElementCode, i64> = match key.period.previous() {
        Some(period) => {
            let previous_key = ReturnKey {
                period,
                ..key.clone()
            };
            store::values_in(tx, &previous_key)
                .await?
                .into_iter()
                .collect()
        }
        None => BTreeMap::new(),
    };
    Ok(evaluate(rules, units, &current, &previous))
}

fn evaluate(
    rules: &[ValidationRule],
    units: &BTreeMap<ElementCode, Unit>,
    current: &BTreeMap<ElementCode, i64>,
    previous: &BTreeMap<ElementCode, i64>,
) -> Vec<RuleResult> {
    let current_of = |code: &ElementCode| current.get(code).copied();
    let previous_of = |code: &ElementCode| previous.get(code).copied();
    rules
        .iter()
        .filter(|rule| rule.active)
        .map(|rule| {
            let outcome = rule.check.evaluate(&current_of, &previous_of);
            let unit = rule
                .check
                .elements()
                .into_iter()
                .find_map(|code| units.get(code).copied())
                .unwrap_or(Unit::Yuan);
            let message = match &outcome {
                Outcome::Pass => String::new(),
                Outcome::Fail(failure) => failure.describe(&rule.check, unit),
                Outcome::Skipped(Skip::Missing(codes)) => format!(
                    "not checked: no value of {}",
                    codes
                        .iter()
                        .map(ElementCode::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Outcome::Skipped(Skip::NoPreviousMonth) => {
                    "not checked: no value for the month before".to_string()
                }
            };
            RuleResult {
                rule_code: rule.code.clone(),
                severity: rule.severity,
                check: rule.check.to_string(),
                outcome,
                message,
            }
        })
        .collect()
}

/// The failed rules of a return: (errors, warnings).
pub(crate) fn findings(
    key: &ReturnKey,
    results: &[RuleResult],
) -> (Vec<RuleFinding>, Vec<RuleFinding>) {
    results
        .iter()
        .filter(|result| result.failed())
        .map(|result| result.finding(key))
        .partition(|finding| finding.severity == Severity::Error)
}

/// Units of every element, for messages.
pub(crate) fn units_of(elements: &[DataElement]) -> BTreeMap<ElementCode, Unit> {
    elements
        .iter()
        .map(|element| (element.code.clone(), element.unit))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// reading returns

/// What to list; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct ReturnQuery {
    pub institution: Option<String>,
    /// Leading digits of the county code: `361128` for Poyang, `3611` for all of Shangrao.
    pub county_prefix: Option<String>,
    pub from: Option<Month>,
    pub to: Option<Month>,
    pub state: Option<ReturnState>,
    pub limit: Option<i64>,
}

/// Returns matching the query, within the actor's scope, by period, institution and county.
pub async fn list(db: &Db, ctx: &Ctx, query: &ReturnQuery) -> Result<Vec<ReturnListing>> {
    require(ctx, Act::Read)?;
    let institution = match (access::bank_institution(ctx)?, &query.institution) {
        (Some(own), Some(asked)) if asked != own => {
            return Err(AppError::NotFound(format!("institution {asked}")));
        }
        (Some(own), _) => Some(own.to_string()),
        (None, asked) => asked.clone(),
    };
    let asked_prefix = query
        .county_prefix
        .as_deref()
        .map(check_prefix)
        .transpose()?;
    let county_prefix = match (ctx.actor.region, asked_prefix) {
        (None, asked) => asked,
        (Some(own), None) => Some(own.prefix().to_string()),
        (Some(own), Some(asked)) if asked.starts_with(own.prefix()) => Some(asked),
        (Some(own), Some(asked)) if own.prefix().starts_with(&asked) => {
            Some(own.prefix().to_string())
        }
        (Some(_), Some(asked)) => return Err(AppError::NotFound(format!("region {asked}"))),
    };
    let filter = ReturnFilter {
        institution,
        county_prefix,
        from: query.from,
        to: query.to,
        state: query.state,
        limit: query
            .limit
            .unwrap_or(LIST_LIMIT_MAX)
            .clamp(1, LIST_LIMIT_MAX),
    };
    Ok(store::list_returns(db, &filter).await?)
}

/// Leading digits of a region code, at most 12.
fn check_prefix(prefix: &str) -> Result<String> {
    let prefix = prefix.trim();
    let valid = prefix.len() <= 12 && prefix.bytes().all(|byte| byte.is_ascii_digit());
    match valid {
        true => Ok(prefix.to_string()),
        false => Err(AppError::field(
            "region",
            format!("{prefix:?} is not a region code prefix (up to 12 digits)"),
        )),
    }
}

/// A stored value with its element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownValue {
    pub element: DataElement,
    /// In the element's storage unit (fen, count, hundredths of a percent).
    pub value: i64,
}

impl ShownValue {
    /// The value written in its unit: `1234.50`, `12`, `12.50%`.
    pub fn text(&self) -> String {
        self.element.unit.format_value(self.value)
    }
}

/// One return in full.
#[derive(Clone, Debug)]
pub struct ReturnDetail {
    pub header: ReturnHeader,
    pub values: Vec<ShownValue>,
    /// Every active rule, evaluated now.
    pub rules: Vec<RuleResult>,
    /// Every change of a value, oldest first.
    pub history: Vec<ValueChange>,
}

/// One return with its values, rule results and value history.
pub async fn show(db: &Db, ctx: &Ctx, key: &ReturnKey) -> Result<ReturnDetail> {
    require(ctx, Act::Read)?;
    require_in_scope(ctx, key)?;
    let header = store::get_return(db, key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("return {key}")))?;
    let elements = store::list_elements(db).await?;
    let units = units_of(&elements);
    let stored: BTreeMap<ElementCode, i64> = store::values(db, key).await?.into_iter().collect();
    let previous: BTreeMap<ElementCode, i64> = match key.period.previous() {
        Some(period) => {
            let previous_key = ReturnKey {
                period,
                ..key.clone()
            };
            store::values(db, &previous_key)
                .await?
                .into_iter()
                .collect()
        }
        None => BTreeMap::new(),
    };
    let rules = store::list_rules(db).await?;
    let results = evaluate(&rules, &units, &stored, &previous);
    let values = elements
        .into_iter()
        .filter_map(|element| {
            stored.get(&element.code).map(|value| ShownValue {
                value: *value,
                element,
            })
        })
        .collect();
    Ok(ReturnDetail {
        header,
        values,
        rules: results,
        history: store::history(db, key).await?,
    })
}

// ---------------------------------------------------------------------------------------------
// approval

fn state_json(header: &ReturnHeader) -> serde_json::Value {
    json!({
        "institution_code": header.key.institution_code,
        "county_code": header.key.county_code.to_string(),
        "period": header.key.period.to_string(),
        "state": header.state.as_str(),
        "approved_by": header.approved_by,
        "locked_by": header.locked_by,
        "reopened_by": header.reopened_by,
        "reopen_reason": header.reopen_reason,
    })
}

/// Moves a return through its approval, refusing a state the transition does not start from.
async fn move_return(
    db: &Db,
    ctx: &Ctx,
    key: &ReturnKey,
    transition: Transition,
    reason: Option<&str>,
) -> Result<ReturnHeader> {
    require(ctx, Act::Approve)?;
    require_in_scope(ctx, key)?;
    let mut tx = db.write().await?;
    let before = store::get_return_in(&mut tx, key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("return {key}")))?;
    if !transition.allowed_from(before.state) {
        return Err(refused_transition(&before, transition));
    }
    if transition == Transition::Approve {
        let elements = store::list_elements_in(&mut tx).await?;
        let rules = store::list_rules_in(&mut tx).await?;
        let results = evaluate_in(&mut tx, key, &rules, &units_of(&elements)).await?;
        let (errors, _warnings) = findings(key, &results);
        if !errors.is_empty() {
            let messages: Vec<_> = errors.into_iter().map(|f| f.message).collect();
            return Err(AppError::Conflict(format!(
                "{}; it cannot be approved until corrected",
                messages.join("; ")
            )));
        }
    }
    let moved =
        store::transition(&mut tx, key, transition, &ctx.actor.name, &ctx.now, reason).await?;
    if !moved {
        // The state changed between the read and the update (another writer): report it.
        let now = store::get_return_in(&mut tx, key).await?.unwrap_or(before);
        return Err(refused_transition(&now, transition));
    }
    let after = store::get_return_in(&mut tx, key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("return {key}")))?;
    let action = match transition {
        Transition::Approve => "return.approve",
        Transition::Lock => "return.lock",
        Transition::Reopen => "return.reopen",
    };
    let mut entry = ctx.audit(action, "return", &key.to_string());
    entry.before_json = Some(state_json(&before).to_string());
    entry.after_json = Some(state_json(&after).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(after)
}

fn refused_transition(header: &ReturnHeader, transition: Transition) -> AppError {
    let key = &header.key;
    let message = match (transition, header.state) {
        (Transition::Approve, state) if state == transition.target() => {
            format!("return {key} is already approved")
        }
        (Transition::Approve, state) => {
            format!("return {key} is {state}: only submitted or reopened returns can be approved")
        }
        (Transition::Lock, ReturnState::Locked) => format!("return {key} is already locked"),
        (Transition::Lock, state) => {
            format!("return {key} is {state}: only approved returns can be locked")
        }
        (Transition::Reopen, ReturnState::Reopened) => {
            format!("return {key} is already reopened")
        }
        (Transition::Reopen, state) => format!(
            "return {key} is {state}: only approved or locked returns are reopened (a {state} \
             return can be changed as it is)"
        ),
    };
    AppError::Conflict(message)
}

/// Approves a submitted or reopened return. Refused while an error-severity rule fails.
pub async fn approve(db: &Db, ctx: &Ctx, key: &ReturnKey) -> Result<ReturnHeader> {
    move_return(db, ctx, key, Transition::Approve, None).await
}

/// Locks an approved return: its figures are final until reopened.
pub async fn lock(db: &Db, ctx: &Ctx, key: &ReturnKey) -> Result<ReturnHeader> {
    move_return(db, ctx, key, Transition::Lock, None).await
}

/// Reopens an approved or locked return for correction; the reason is required and kept.
pub async fn reopen(db: &Db, ctx: &Ctx, key: &ReturnKey, reason: &str) -> Result<ReturnHeader> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field(
            "reason",
            "a return is reopened only with a reason",
        ));
    }
    move_return(db, ctx, key, Transition::Reopen, Some(reason)).await
}

// ---------------------------------------------------------------------------------------------
// values

/// Writes one value of an open return: unchanged values are left alone; a changed one keeps
/// its old value in the history; each write is audited. The caller has checked that the
/// return accepts values and has touched it.
pub(crate) async fn write_value(
    tx: &mut Tx,
    ctx: &Ctx,
    key: &ReturnKey,
    element: &ElementCode,
    value: i64,
    reason: &str,
) -> Result<Applied> {
    let before = store::get_value_in(tx, key, element).await?;
    if before == Some(value) {
        return Ok(Applied::Unchanged);
    }
    store::upsert_value(tx, key, element, value).await?;
    if let Some(old_value) = before {
        store::insert_history(
            tx,
            &ValueChange {
                key: key.clone(),
                element_code: element.clone(),
                old_value,
                new_value: value,
                changed_by: ctx.actor.name.clone(),
                changed_at: ctx.now.clone(),
                reason: reason.to_string(),
            },
        )
        .await?;
    }
    let id = format!("{key}/{element}");
    let mut entry = ctx.audit("return_value.save", "return_value", &id);
    entry.before_json = before.map(|old| json!({ "value": old, "reason": reason }).to_string());
    entry.after_json = Some(json!({ "value": value, "reason": reason }).to_string());
    audit::append(tx, &entry).await?;
    Ok(match before {
        Some(_) => Applied::Changed,
        None => Applied::Added,
    })
}

/// A correction of one value.
#[derive(Clone, Debug, Default)]
pub struct Correction {
    /// The element's code (or its Chinese name).
    pub element: String,
    /// The value written in the element's unit.
    pub value: String,
    /// Why; defaults to the reason the return was reopened with.
    pub reason: Option<String>,
    /// Accept the change although a warning-severity rule fails.
    pub confirm_warnings: bool,
}

/// What a correction did.
#[derive(Clone, Debug)]
pub struct Corrected {
    pub applied: Applied,
    pub element: DataElement,
    pub old_value: Option<i64>,
    pub new_value: i64,
    /// Warnings accepted with the correction.
    pub warnings: Vec<RuleFinding>,
}

/// Corrects (or adds) one value of a submitted or reopened return; an approved or locked one
/// must be reopened first. The old value is kept in the history with the reason. Refused when
/// an error-severity rule then fails, or a warning-severity one without confirmation.
pub async fn correct(
    db: &Db,
    ctx: &Ctx,
    key: &ReturnKey,
    correction: &Correction,
) -> Result<Corrected> {
    require(ctx, Act::Submit)?;
    require_in_scope(ctx, key)?;
    let mut tx = db.write().await?;
    let header = store::get_return_in(&mut tx, key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("return {key}")))?;
    if !header.state.accepts_values() {
        return Err(AppError::Conflict(format!(
            "return {key} is {}: reopen it (with a reason) before correcting it",
            header.state
        )));
    }
    let elements = store::list_elements_in(&mut tx).await?;
    let element = find_element(&elements, &correction.element)
        .ok_or_else(|| {
            AppError::field(
                "element",
                format!("{:?} is not a data element", correction.element.trim()),
            )
        })?
        .clone();
    let value = element
        .unit
        .parse_value(&correction.value)
        .map_err(|e| AppError::field("value", e.to_string()))?;
    let reason = match (
        correction.reason.as_deref().map(str::trim),
        &header.reopen_reason,
    ) {
        (Some(reason), _) if !reason.is_empty() => reason.to_string(),
        (_, Some(reopened)) if header.state == ReturnState::Reopened => reopened.clone(),
        _ => {
            return Err(AppError::field(
                "reason",
                "a correction needs a reason (or a return reopened with one)",
            ));
        }
    };
    let old_value = store::get_value_in(&mut tx, key, &element.code).await?;
    if old_value == Some(value) {
        return Ok(Corrected {
            applied: Applied::Unchanged,
            element,
            old_value,
            new_value: value,
            warnings: Vec::new(),
        });
    }
    if !store::touch_open_return(&mut tx, key, &ctx.actor.name, &ctx.now).await? {
        return Err(AppError::Conflict(format!(
            "return {key} was closed for changes meanwhile: reopen it first"
        )));
    }
    let applied = write_value(&mut tx, ctx, key, &element.code, value, &reason).await?;
    let rules = store::list_rules_in(&mut tx).await?;
    let results = evaluate_in(&mut tx, key, &rules, &units_of(&elements)).await?;
    let (errors, warnings) = findings(key, &results);
    if !errors.is_empty() {
        let messages: Vec<_> = errors.into_iter().map(|f| f.message).collect();
        return Err(AppError::Conflict(messages.join("; ")));
    }
    if !warnings.is_empty() && !correction.confirm_warnings {
        let messages: Vec<_> = warnings.into_iter().map(|f| f.message).collect();
        return Err(AppError::Conflict(format!(
            "{}; confirm the warnings to accept the correction",
            messages.join("; ")
        )));
    }
    if !warnings.is_empty() {
        audit_confirmed_warnings(&mut tx, ctx, key, &warnings).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Corrected {
        applied,
        element,
        old_value,
        new_value: value,
        warnings,
    })
}

/// Records that the actor accepted a return despite these warnings.
pub(crate) async fn audit_confirmed_warnings(
    tx: &mut Tx,
    ctx: &Ctx,
    key: &ReturnKey,
    warnings: &[RuleFinding],
) -> Result<()> {
    let mut entry = ctx.audit("return.confirm_warnings", "return", &key.to_string());
    let list: Vec<_> = warnings
        .iter()
        .map(|w| json!({ "rule": w.rule_code, "message": w.message }))
        .collect();
    entry.after_json = Some(json!({ "warnings": list }).to_string());
    audit::append(tx, &entry).await?;
    Ok(())
}

/// The element named by its code (any case) or its Chinese name.
pub(crate) fn find_element<'a>(
    elements: &'a [DataElement],
    given: &str,
) -> Option<&'a DataElement> {
    let given = given.trim();
    elements
        .iter()
        .find(|element| element.code.as_str().eq_ignore_ascii_case(given) || element.name == given)
}

// ---------------------------------------------------------------------------------------------
// the catalogue: data elements and validation rules

/// Every data element.
pub async fn list_elements(db: &Db, ctx: &Ctx) -> Result<Vec<DataElement>> {
    require(ctx, Act::Read)?;
    Ok(store::list_elements(db).await?)
}

/// A data element as defined by the regulator.
#[derive(Clone, Debug, Default)]
pub struct NewElement {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// `yuan`, `count` or `percent`.
    pub unit: String,
    pub description: Option<String>,
}

/// Adds a data element or changes one's names and description. The unit of an element that
/// returns already hold cannot change (their values would change meaning).
pub async fn define_element(
    db: &Db,
    ctx: &Ctx,
    new: &NewElement,
) -> Result<(DataElement, Applied)> {
    require(ctx, Act::Define)?;
    let code = ElementCode::parse(&new.code).map_err(|e| AppError::field("code", e.to_string()))?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(AppError::field("name", "is required"));
    }
    let unit = Unit::parse(&new.unit).map_err(|e| AppError::field("unit", e.to_string()))?;
    let mut tx = db.write().await?;
    let before = store::get_element_in(&mut tx, &code).await?;
    let element = DataElement {
        code: code.clone(),
        name: name.to_string(),
        name_en: non_blank(new.name_en.as_deref()),
        unit,
        description: non_blank(new.description.as_deref()),
        builtin: before.as_ref().is_some_and(|b| b.builtin),
    };
    if before.as_ref() == Some(&element) {
        return Ok((element, Applied::Unchanged));
    }
    if let Some(before) = &before
        && before.unit != unit
        && store::element_in_use_in(&mut tx, &code).await?
    {
        return Err(AppError::Conflict(format!(
            "data element {code} is held by returns in {}: its unit cannot change to {unit}",
            before.unit
        )));
    }
    store::upsert_element(&mut tx, &element).await?;
    let mut entry = ctx.audit("data_element.save", "data_element", code.as_str());
    entry.before_json = before.as_ref().map(|b| element_json(b).to_string());
    entry.after_json = Some(element_json(&element).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let applied = match before {
        Some(_) => Applied::Changed,
        None => Applied::Added,
    };
    Ok((element, applied))
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

/// JSON of a data element.
pub fn element_json(element: &DataElement) -> serde_json::Value {
    json!({
        "code": element.code.as_str(),
        "name": element.name,
        "name_en": element.name_en,
        "unit": element.unit.as_str(),
        "description": element.description,
        "builtin": element.builtin,
    })
}

/// Every validation rule.
pub async fn list_rules(db: &Db, ctx: &Ctx) -> Result<Vec<ValidationRule>> {
    require(ctx, Act::Read)?;
    Ok(store::list_rules(db).await?)
}

/// What a new rule checks, as typed.
#[derive(Clone, Debug)]
pub enum RuleSpec {
    /// A comparison such as `loans_poverty <= loans_agriculture`.
    Compare(String),
    /// A month-on-month change limit: element code and threshold percent (`30`).
    Change { element: String, threshold: String },
}

/// A validation rule as defined by the regulator.
#[derive(Clone, Debug)]
pub struct NewRule {
    pub code: String,
    pub description: String,
    pub spec: RuleSpec,
    /// `error` or `warning`.
    pub severity: String,
    pub active: bool,
}

/// Adds or changes a validation rule. Every element it names must exist, and the elements of
/// a comparison must share one unit. Returns already stored are not re-checked: `show` and
/// `approve` evaluate the rules in force.
pub async fn define_rule(db: &Db, ctx: &Ctx, new: &NewRule) -> Result<(ValidationRule, Applied)> {
    require(ctx, Act::Define)?;
    let code = fupin_core::returns::parse_code(&new.code)
        .map_err(|e| AppError::field("code", e.to_string()))?;
    let description = new.description.trim();
    if description.is_empty() {
        return Err(AppError::field("description", "is required"));
    }
    let severity =
        Severity::parse(&new.severity).map_err(|e| AppError::field("severity", e.to_string()))?;
    let check = match &new.spec {
        RuleSpec::Compare(text) => RuleCheck::Compare(
            Comparison::parse(text).map_err(|e| AppError::field("check", e.to_string()))?,
        ),
        RuleSpec::Change { element, threshold } => RuleCheck::Change {
            element: ElementCode::parse(element)
                .map_err(|e| AppError::field("element", e.to_string()))?,
            threshold: Threshold::parse(threshold)
                .map_err(|e| AppError::field("threshold", e.to_string()))?,
        },
    };
    let mut tx = db.write().await?;
    let elements = store::list_elements_in(&mut tx).await?;
    let units = units_of(&elements);
    let mut seen_units = BTreeMap::new();
    for element in check.elements() {
        let unit = units
            .get(element)
            .ok_or_else(|| AppError::field("check", format!("{element} is not a data element")))?;
        seen_units.entry(*unit).or_insert(element);
    }
    if seen_units.len() > 1 {
        let mixed: Vec<_> = seen_units
            .iter()
            .map(|(unit, element)| format!("{element} ({unit})"))
            .collect();
        return Err(AppError::field(
            "check",
            format!("compares elements of different units: {}", mixed.join(", ")),
        ));
    }
    let before = store::get_rule_in(&mut tx, &code).await?;
    let rule = ValidationRule {
        code: code.clone(),
        description: description.to_string(),
        check,
        severity,
        active: new.active,
        builtin: before.as_ref().is_some_and(|b| b.builtin),
    };
    if before.as_ref() == Some(&rule) {
        return Ok((rule, Applied::Unchanged));
    }
    store::upsert_rule(&mut tx, &rule).await?;
    let mut entry = ctx.audit("validation_rule.save", "validation_rule", &code);
    entry.before_json = before.as_ref().map(|b| rule_json(b).to_string());
    entry.after_json = Some(rule_json(&rule).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let applied = match before {
        Some(_) => Applied::Changed,
        None => Applied::Added,
    };
    Ok((rule, applied))
}

/// JSON of a validation rule.
pub fn rule_json(rule: &ValidationRule) -> serde_json::Value {
    json!({
        "code": rule.code,
        "description": rule.description,
        "kind": rule.check.kind(),
        "check": rule.check.to_string(),
        "severity": rule.severity.as_str(),
        "active": rule.active,
        "builtin": rule.builtin,
    })
}

// ---------------------------------------------------------------------------------------------
// figures for indicators

/// The figure of one element for a set of counties on a date, and how final it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementFigure {
    pub element: DataElement,
    pub as_of: BusinessDate,
    /// The latest month whose month-end is on or before `as_of`.
    pub up_to: Option<Month>,
    pub total: ElementTotal,
}

impl ElementFigure {
    /// Whether any value summed comes from a return not yet approved or locked.
    pub fn is_provisional(&self) -> bool {
        self.total.provisional > 0
    }

    /// The total written in the element's unit, or `None` when nothing was reported.
    pub fn text(&self) -> Option<String> {
        self.total
            .total
            .map(|total| self.element.unit.format_value(total))
    }
}

/// The element summed over every institution and county at or under `county_prefix` (leading
/// digits of the county code; empty for all), or one institution's: for each institution and
/// county, its value in the latest period whose month-end is on or before `as_of` and that
/// has a value of the element. Returns in every state count; [`ElementFigure::is_provisional`]
/// says whether some are not yet approved.
pub async fn element_figure_as_of(
    db: &Db,
    element: &str,
    county_prefix: &str,
    institution: Option<&str>,
    as_of: BusinessDate,
) -> Result<ElementFigure> {
    let elements = store::list_elements(db).await?;
    let element = find_element(&elements, element)
        .ok_or_else(|| AppError::field("element", format!("{element:?} is not a data element")))?
        .clone();
    let prefix = check_prefix(county_prefix)?;
    let up_to = last_period_on(as_of);
    let total = match up_to {
        Some(up_to) => store::element_total(db, &element.code, &prefix, institution, up_to).await?,
        None => ElementTotal::default(),
    };
    Ok(ElementFigure {
        element,
        as_of,
        up_to,
        total,
    })
}

/// [`element_figure_as_of`] for an amount: the total in fen, `None` when nothing was reported.
/// Refused for elements that are not in yuan.
pub async fn element_total_as_of(
    db: &Db,
    element: &str,
    county_prefix: &str,
    institution: Option<&str>,
    as_of: BusinessDate,
) -> Result<Option<Fen>> {
    let figure = element_figure_as_of(db, element, county_prefix, institution, as_of).await?;
    if figure.element.unit != Unit::Yuan {
        return Err(AppError::field(
            "element",
            format!(
                "{} is counted in {}, not yuan",
                figure.element.code, figure.element.unit
            ),
        ));
    }
    Ok(figure.total.total.map(Fen::new))
}

// ---------------------------------------------------------------------------------------------
// reported figures

/// A figure published elsewhere, as typed.
#[derive(Clone, Debug, Default)]
pub struct NewReportedFigure {
    /// The indicator's code, e.g. `poverty_loan_share`.
    pub indicator: String,
    /// A region code, or
    pub region: Option<String>,
    /// a region group's name (exactly one of the two).
    pub group: Option<String>,
    pub as_of: Option<BusinessDate>,
    /// Exact decimal as published: `35.996`, `8.65`.
    pub value: String,
    /// One of [`REPORTED_UNITS`].
    pub unit: String,
    /// Where it was published: `上饶银监分局 press release 2017-07`.
    pub source: String,
    pub note: Option<String>,
}

/// Records a published figure beside the computed ones. The same indicator, region or group,
/// date and source recorded again replaces the value (the old one stays in the audit trail).
pub async fn record_reported_figure(
    db: &Db,
    ctx: &Ctx,
    new: &NewReportedFigure,
) -> Result<(ReportedFigure, Applied)> {
    require(ctx, Act::Define)?;
    let indicator = new.indicator.trim();
    if !is_code(indicator) {
        return Err(AppError::field(
            "indicator",
            format!("{indicator:?} is not an indicator code (lowercase letters, digits, '_')"),
        ));
    }
    let as_of = new
        .as_of
        .ok_or_else(|| AppError::field("as_of", "is required"))?;
    let value =
        DecimalText::parse(&new.value).map_err(|e| AppError::field("value", e.to_string()))?;
    let unit = new.unit.trim();
    if !REPORTED_UNITS.iter().any(|(known, _)| *known == unit) {
        let known: Vec<_> = REPORTED_UNITS
            .iter()
            .map(|(u, zh)| format!("{u} ({zh})"))
            .collect();
        return Err(AppError::field(
            "unit",
            format!("{unit:?} is not one of: {}", known.join(", ")),
        ));
    }
    let source = new.source.trim();
    if source.is_empty() {
        return Err(AppError::field(
            "source",
            "is required: where was it published?",
        ));
    }
    let (region_code, group_name) = match (
        non_blank(new.region.as_deref()),
        non_blank(new.group.as_deref()),
    ) {
        (Some(region), None) => {
            let code =
                RegionCode::parse(&region).map_err(|e| AppError::field("region", e.to_string()))?;
            if !access::sees_region(ctx, code) || regions::get(db, code).await?.is_none() {
                return Err(AppError::NotFound(format!("region {code}")));
            }
            (Some(code), None)
        }
        (None, Some(group)) => {
            if groups::get_group(db, &group).await?.is_none() {
                return Err(AppError::NotFound(format!("region group {group}")));
            }
            (None, Some(group))
        }
        _ => {
            return Err(AppError::field(
                "region",
                "give either a region or a region group, not both or neither",
            ));
        }
    };
    let mut figure = ReportedFigure {
        id: 0,
        indicator_code: indicator.to_string(),
        region_code,
        group_name,
        as_of,
        value,
        unit: unit.to_string(),
        source: source.to_string(),
        note: non_blank(new.note.as_deref()),
        recorded_by: ctx.actor.name.clone(),
        recorded_at: ctx.now.clone(),
    };
    let mut tx = db.write().await?;
    let before = store::find_reported_in(&mut tx, &figure).await?;
    let applied = match &before {
        Some(stored)
            if stored.value == figure.value
                && stored.unit == figure.unit
                && stored.note == figure.note =>
        {
            return Ok((stored.clone(), Applied::Unchanged));
        }
        Some(stored) => {
            figure.id = stored.id;
            store::update_reported(&mut tx, &figure).await?;
            Applied::Changed
        }
        None => {
            figure.id = store::insert_reported(&mut tx, &figure).await?;
            Applied::Added
        }
    };
    let mut entry = ctx.audit(
        "reported_figure.save",
        "reported_figure",
        &figure.id.to_string(),
    );
    entry.before_json = before.as_ref().map(|b| reported_json(b).to_string());
    entry.after_json = Some(reported_json(&figure).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((figure, applied))
}

/// Recorded figures, optionally of one indicator.
pub async fn list_reported_figures(
    db: &Db,
    ctx: &Ctx,
    indicator: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<ReportedFigure>> {
    require(ctx, Act::Read)?;
    if ctx.actor.role == Role::Bank {
        return Err(AppError::Forbidden(
            "the bank role does not read reported figures".into(),
        ));
    }
    let limit = limit.unwrap_or(LIST_LIMIT_MAX).clamp(1, LIST_LIMIT_MAX);
    let mut figures = store::list_reported(db, indicator, limit).await?;
    figures.retain(|f| {
        f.region_code
            .is_none_or(|code| access::sees_region(ctx, code))
    });
    Ok(figures)
}

/// JSON of a reported figure.
pub fn reported_json(figure: &ReportedFigure) -> serde_json::Value {
    json!({
        "indicator_code": figure.indicator_code,
        "region_code": figure.region_code.map(|c| c.to_string()),
        "group_name": figure.group_name,
        "as_of": figure.as_of.to_string(),
        "value": figure.value.as_str(),
        "unit": figure.unit,
        "source": figure.source,
        "note": figure.note,
    })
}
