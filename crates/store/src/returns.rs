//! Statistical returns: data elements, validation rules, returns and their values with the
//! history of every change, and figures reported elsewhere.

use std::fmt;

use fupin_core::date::Month;
use fupin_core::returns::{
    Comparison, DecimalText, ElementCode, Expression, Operator, ReturnState, RuleCheck, Severity,
    Threshold, Unit,
};
use fupin_core::{BusinessDate, RegionCode};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::db::{Db, Tx};
use crate::error::{Result, StoreError, corrupt};
use crate::regions::date_column;

// ---------------------------------------------------------------------------------------------
// data elements

/// One entry of the catalogue of what returns hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataElement {
    pub code: ElementCode,
    pub name: String,
    pub name_en: Option<String>,
    pub unit: Unit,
    pub description: Option<String>,
    pub builtin: bool,
}

const ELEMENT_COLUMNS: &str = "code, name, name_en, unit, description, builtin";

/// Every data element, in code order.
pub async fn list_elements(db: &Db) -> Result<Vec<DataElement>> {
    fetch_elements(db.pool()).await
}

/// Every data element, read inside a transaction.
pub async fn list_elements_in(tx: &mut Tx) -> Result<Vec<DataElement>> {
    fetch_elements(&mut **tx).await
}

async fn fetch_elements<'e>(
    executor: impl Executor<'e, Database = Any>,
) -> Result<Vec<DataElement>> {
    let sql = format!("select {ELEMENT_COLUMNS} from data_elements order by code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(executor)
        .await?;
    rows.iter().map(element_from_row).collect()
}

pub async fn get_element_in(tx: &mut Tx, code: &ElementCode) -> Result<Option<DataElement>> {
    let sql = format!("select {ELEMENT_COLUMNS} from data_elements where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(element_from_row).transpose()
}

pub async fn upsert_element(tx: &mut Tx, element: &DataElement) -> Result<()> {
    sqlx::query(
        "insert into data_elements (code, name, name_en, unit, description, builtin) \
         values ($1, $2, $3, $4, $5, $6) on conflict (code) do update set name = excluded.name, \
         name_en = excluded.name_en, unit = excluded.unit, description = excluded.description, \
         builtin = excluded.builtin",
    )
    .bind(element.code.as_str())
    .bind(&element.name)
    .bind(&element.name_en)
    .bind(element.unit.as_str())
    .bind(&element.description)
    .bind(i64::from(element.builtin))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether any return holds a value of the element.
pub async fn element_in_use_in(tx: &mut Tx, code: &ElementCode) -> Result<bool> {
    let row = sqlx::query("select count(*) as n from return_values where element_code = $1")
        .bind(code.as_str())
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

fn element_from_row(row: &AnyRow) -> Result<DataElement> {
    let code: String = row.try_get("code")?;
    let unit: String = row.try_get("unit")?;
    Ok(DataElement {
        code: ElementCode::parse(&code).map_err(|e| corrupt("data_elements", "code", e))?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        unit: Unit::parse(&unit).map_err(|e| corrupt("data_elements", "unit", e))?,
        description: row.try_get("description")?,
        builtin: row.try_get::<i64, _>("builtin")? != 0,
    })
}

// ---------------------------------------------------------------------------------------------
// validation rules

/// A rule every return is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationRule {
    pub code: String,
    pub description: String,
    pub check: RuleCheck,
    pub severity: Severity,
    /// Inactive rules are kept (and shown) but not evaluated.
    pub active: bool,
    pub builtin: bool,
}

const RULE_COLUMNS: &str = "code, description, kind, left_expression, operator, \
    right_expression, element_code, threshold_percent, severity, active, builtin";

/// Every rule, in code order.
pub async fn list_rules(db: &Db) -> Result<Vec<ValidationRule>> {
    fetch_rules(db.pool()).await
}

/// Every rule, read inside a transaction.
pub async fn list_rules_in(tx: &mut Tx) -> Result<Vec<ValidationRule>> {
    fetch_rules(&mut **tx).await
}

async fn fetch_rules<'e>(
    executor: impl Executor<'e, Database = Any>,
) -> Result<Vec<ValidationRule>> {
    let sql = format!("select {RULE_COLUMNS} from validation_rules order by code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(executor)
        .await?;
    rows.iter().map(rule_from_row).collect()
}

pub async fn get_rule_in(tx: &mut Tx, code: &str) -> Result<Option<ValidationRule>> {
    let sql = format!("select {RULE_COLUMNS} from validation_rules where code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(rule_from_row).transpose()
}

pub async fn upsert_rule(tx: &mut Tx, rule: &ValidationRule) -> Result<()> {
    let (left, operator, right, element, threshold) = match &rule.check {
        RuleCheck::Compare(comparison) => (
            Some(comparison.left.to_string()),
            Some(comparison.operator.as_str()),
            Some(comparison.right.to_string()),
            None,
            None,
        ),
        RuleCheck::Change { element, threshold } => (
            None,
            None,
            None,
            Some(element.as_str().to_string()),
            Some(threshold.to_string()),
        ),
    };
    sqlx::query(
        "insert into validation_rules (code, description, kind, left_expression, operator, \
         right_expression, element_code, threshold_percent, severity, active, builtin) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (code) do update set \
         description = excluded.description, kind = excluded.kind, \
         left_expression = excluded.left_expression, operator = excluded.operator, \
         right_expression = excluded.right_expression, element_code = excluded.element_code, \
         threshold_percent = excluded.threshold_percent, severity = excluded.severity, \
         active = excluded.active, builtin = excluded.builtin",
    )
    .bind(&rule.code)
    .bind(&rule.description)
    .bind(rule.check.kind())
    .bind(left)
    .bind(operator)
    .bind(right)
    .bind(element)
    .bind(threshold)
    .bind(rule.severity.as_str())
    .bind(i64::from(rule.active))
    .bind(i64::from(rule.builtin))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn rule_from_row(row: &AnyRow) -> Result<ValidationRule> {
    let text = |column: &'static str| -> Result<String> {
        let value: Option<String> = row.try_get(column)?;
        value.ok_or_else(|| corrupt("validation_rules", column, "null"))
    };
    let kind = text("kind")?;
    let check = match kind.as_str() {
        "compare" => {
            let left = Expression::parse(&text("left_expression")?)
                .map_err(|e| corrupt("validation_rules", "left_expression", e))?;
            let operator = Operator::parse(&text("operator")?)
                .map_err(|e| corrupt("validation_rules", "operator", e))?;
            let right = Expression::parse(&text("right_expression")?)
                .map_err(|e| corrupt("validation_rules", "right_expression", e))?;
            RuleCheck::Compare(Comparison {
                left,
                operator,
                right,
            })
        }
        "change" => RuleCheck::Change {
            element: ElementCode::parse(&text("element_code")?)
                .map_err(|e| corrupt("validation_rules", "element_code", e))?,
            threshold: Threshold::parse(&text("threshold_percent")?)
                .map_err(|e| corrupt("validation_rules", "threshold_percent", e))?,
        },
        other => return Err(corrupt("validation_rules", "kind", other)),
    };
    Ok(ValidationRule {
        code: text("code")?,
        description: text("description")?,
        check,
        severity: Severity::parse(&text("severity")?)
            .map_err(|e| corrupt("validation_rules", "severity", e))?,
        active: row.try_get::<i64, _>("active")? != 0,
        builtin: row.try_get::<i64, _>("builtin")? != 0,
    })
}

// ---------------------------------------------------------------------------------------------
// returns

/// Which return: an institution's figures for a county at a month-end.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReturnKey {
    pub institution_code: String,
    pub county_code: RegionCode,
    pub period: Month,
}

impl fmt::Display for ReturnKey {
    /// `PYRCB/361128000000/2017-06`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}/{}/{}",
            self.institution_code, self.county_code, self.period
        )
    }
}

/// A return and where it is in its approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnHeader {
    pub key: ReturnKey,
    pub state: ReturnState,
    pub submitted_by: String,
    pub submitted_at: String,
    pub updated_by: String,
    pub updated_at: String,
    /// The approval in force (cleared when reopened).
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    /// The lock in force (cleared when reopened).
    pub locked_by: Option<String>,
    pub locked_at: Option<String>,
    /// The last reopening (kept after re-approval).
    pub reopened_by: Option<String>,
    pub reopened_at: Option<String>,
    pub reopen_reason: Option<String>,
}

const RETURN_COLUMNS: &str = "r.institution_code, r.county_code, r.period, r.state, \
    r.submitted_by, r.submitted_at, r.updated_by, r.updated_at, r.approved_by, r.approved_at, \
    r.locked_by, r.locked_at, r.reopened_by, r.reopened_at, r.reopen_reason";

const KEY_CONDITION: &str = "institution_code = $1 and county_code = $2 and period = $3";

pub async fn get_return(db: &Db, key: &ReturnKey) -> Result<Option<ReturnHeader>> {
    fetch_return(db.pool(), key).await
}

pub async fn get_return_in(tx: &mut Tx, key: &ReturnKey) -> Result<Option<ReturnHeader>> {
    fetch_return(&mut **tx, key).await
}

async fn fetch_return<'e>(
    executor: impl Executor<'e, Database = Any>,
    key: &ReturnKey,
) -> Result<Option<ReturnHeader>> {
    let sql = format!(
        "select {RETURN_COLUMNS} from returns r where r.institution_code = $1 \
         and r.county_code = $2 and r.period = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&key.institution_code)
        .bind(key.county_code.to_string())
        .bind(key.period.to_string())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(return_from_row).transpose()
}

/// Creates a return in state `submitted`.
pub async fn insert_return(tx: &mut Tx, key: &ReturnKey, by: &str, at: &str) -> Result<()> {
    sqlx::query(
        "insert into returns (institution_code, county_code, period, state, submitted_by, \
         submitted_at, updated_by, updated_at) values ($1, $2, $3, 'submitted', $4, $5, $4, $5)",
    )
    .bind(&key.institution_code)
    .bind(key.county_code.to_string())
    .bind(key.period.to_string())
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `'a', 'b'` of the states satisfying `predicate`, for a SQL `in (…)` list.
fn states_where(predicate: fn(ReturnState) -> bool) -> String {
    ReturnState::ALL
        .into_iter()
        .filter(|state| predicate(*state))
        .map(|state| format!("'{}'", state.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records who last changed a value, if the return still accepts values. The conditional
/// update also takes the row's write lock, so a concurrent approval waits for this
/// transaction. `false`: the return is not open for changes (any more).
pub async fn touch_open_return(tx: &mut Tx, key: &ReturnKey, by: &str, at: &str) -> Result<bool> {
    let sql = format!(
        "update returns set updated_by = $4, updated_at = $5 where {KEY_CONDITION} \
         and state in ({})",
        states_where(ReturnState::accepts_values)
    );
    let updated = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&key.institution_code)
        .bind(key.county_code.to_string())
        .bind(key.period.to_string())
        .bind(by)
        .bind(at)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(updated == 1)
}

/// A change of approval state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Approve,
    Lock,
    Reopen,
}

impl Transition {
    /// The state it leads to.
    pub fn target(self) -> ReturnState {
        match self {
            Transition::Approve => ReturnState::Approved,
            Transition::Lock => ReturnState::Locked,
            Transition::Reopen => ReturnState::Reopened,
        }
    }

    /// Whether it may start from `state`.
    pub fn allowed_from(self, state: ReturnState) -> bool {
        match self {
            Transition::Approve => state.can_approve(),
            Transition::Lock => state.can_lock(),
            Transition::Reopen => state.can_reopen(),
        }
    }
}

/// Moves a return to the transition's state if its current state allows it (atomically).
/// `false`: the return does not exist or is in a state the transition does not start from.
pub async fn transition(
    tx: &mut Tx,
    key: &ReturnKey,
    transition: Transition,
    by: &str,
    at: &str,
    reason: Option<&str>,
) -> Result<bool> {
    let (assignments, from) = match transition {
        Transition::Approve => (
            "state = 'approved', approved_by = $4, approved_at = $5",
            states_where(ReturnState::can_approve),
        ),
        Transition::Lock => (
            "state = 'locked', locked_by = $4, locked_at = $5",
            states_where(ReturnState::can_lock),
        ),
        Transition::Reopen => (
            "state = 'reopened', reopened_by = $4, reopened_at = $5, reopen_reason = $6, \
             approved_by = null, approved_at = null, locked_by = null, locked_at = null",
            states_where(ReturnState::can_reopen),
        ),
    };
    let sql =
        format!("update returns set {assignments} where {KEY_CONDITION} and state in ({from})");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&key.institution_code)
        .bind(key.county_code.to_string())
        .bind(key.period.to_string())
        .bind(by)
        .bind(at);
    if transition == Transition::Reopen {
        query = query.bind(reason.unwrap_or_default());
    }
    let updated = query.execute(&mut **tx).await?.rows_affected();
    Ok(updated == 1)
}

/// Filters for listing returns; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct ReturnFilter {
    pub institution: Option<String>,
    /// Leading digits of the county code (`36`, `3611`, `361128`); digits only.
    pub county_prefix: Option<String>,
    pub from: Option<Month>,
    pub to: Option<Month>,
    pub state: Option<ReturnState>,
    pub limit: i64,
}

/// A return in a listing, with how many values it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnListing {
    pub header: ReturnHeader,
    pub values: i64,
}

/// Returns matching the filter, by period, institution and county.
pub async fn list_returns(db: &Db, filter: &ReturnFilter) -> Result<Vec<ReturnListing>> {
    let sql = format!(
        "select {RETURN_COLUMNS}, (select count(*) from return_values v \
         where v.institution_code = r.institution_code and v.county_code = r.county_code \
         and v.period = r.period) as value_count \
         from returns r where ($1 = '' or r.institution_code = $1) and r.county_code like $2 \
         and r.period >= $3 and r.period <= $4 and ($5 = '' or r.state = $5) \
         order by r.period, r.institution_code, r.county_code limit $6"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(filter.institution.clone().unwrap_or_default())
        .bind(digits_pattern(filter.county_prefix.as_deref())?)
        .bind(filter.from.map_or("0000-00".to_string(), |m| m.to_string()))
        .bind(filter.to.map_or("9999-99".to_string(), |m| m.to_string()))
        .bind(filter.state.map_or("", ReturnState::as_str))
        .bind(filter.limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ReturnListing {
                header: return_from_row(row)?,
                values: row.try_get("value_count")?,
            })
        })
        .collect()
}

/// `LIKE` pattern for codes starting with `prefix`; refused unless digits only, so that no
/// wildcard can slip in.
fn digits_pattern(prefix: Option<&str>) -> Result<String> {
    let prefix = prefix.unwrap_or_default();
    if !prefix.bytes().all(|byte| byte.is_ascii_digit()) || prefix.len() > 12 {
        return Err(StoreError::Argument(format!(
            "{prefix:?} is not a region code prefix (digits only)"
        )));
    }
    Ok(format!("{prefix}%"))
}

fn return_from_row(row: &AnyRow) -> Result<ReturnHeader> {
    Ok(ReturnHeader {
        key: key_from_row(row, "returns")?,
        state: ReturnState::parse(&row.try_get::<String, _>("state")?)
            .map_err(|e| corrupt("returns", "state", e))?,
        submitted_by: row.try_get("submitted_by")?,
        submitted_at: row.try_get("submitted_at")?,
        updated_by: row.try_get("updated_by")?,
        updated_at: row.try_get("updated_at")?,
        approved_by: row.try_get("approved_by")?,
        approved_at: row.try_get("approved_at")?,
        locked_by: row.try_get("locked_by")?,
        locked_at: row.try_get("locked_at")?,
        reopened_by: row.try_get("reopened_by")?,
        reopened_at: row.try_get("reopened_at")?,
        reopen_reason: row.try_get("reopen_reason")?,
    })
}

fn key_from_row(row: &AnyRow, table: &'static str) -> Result<ReturnKey> {
    let county: String = row.try_get("county_code")?;
    let period: String = row.try_get("period")?;
    Ok(ReturnKey {
        institution_code: row.try_get("institution_code")?,
        county_code: RegionCode::parse(&county).map_err(|e| corrupt(table, "county_code", e))?,
        period: Month::parse(&period).map_err(|e| corrupt(table, "period", e))?,
    })
}

// ---------------------------------------------------------------------------------------------
// values and their history

/// The values of a return, in element code order.
pub async fn values(db: &Db, key: &ReturnKey) -> Result<Vec<(ElementCode, i64)>> {
    fetch_values(db.pool(), key).await
}

/// The values of a return, read inside a transaction.
pub async fn values_in(tx: &mut Tx, key: &ReturnKey) -> Result<Vec<(ElementCode, i64)>> {
    fetch_values(&mut **tx, key).await
}

async fn fetch_values<'e>(
    executor: impl Executor<'e, Database = Any>,
    key: &ReturnKey,
) -> Result<Vec<(ElementCode, i64)>> {
    let sql = format!(
        "select element_code, value from return_values where {KEY_CONDITION} order by element_code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&key.institution_code)
        .bind(key.county_code.to_string())
        .bind(key.period.to_string())
        .fetch_all(executor)
        .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("element_code")?;
            Ok((
                ElementCode::parse(&code)
                    .map_err(|e| corrupt("return_values", "element_code", e))?,
                row.try_get("value")?,
            ))
        })
        .collect()
}

/// One stored value, read inside a transaction.
pub async fn get_value_in(
    tx: &mut Tx,
    key: &ReturnKey,
    element: &ElementCode,
) -> Result<Option<i64>> {
    let sql =
        format!("select value from return_values where {KEY_CONDITION} and element_code = $4");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&key.institution_code)
        .bind(key.county_code.to_string())
        .bind(key.period.to_string())
        .bind(element.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|row| row.try_get("value")).transpose()?)
}

pub async fn upsert_value(
    tx: &mut Tx,
    key: &ReturnKey,
    element: &ElementCode,
    value: i64,
) -> Result<()> {
    sqlx::query(
        "insert into return_values (institution_code, county_code, period, element_code, value) \
         values ($1, $2, $3, $4, $5) on conflict (institution_code, county_code, period, \
         element_code) do update set value = excluded.value",
    )
    .bind(&key.institution_code)
    .bind(key.county_code.to_string())
    .bind(key.period.to_string())
    .bind(element.as_str())
    .bind(value)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A change of a stored value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueChange {
    pub key: ReturnKey,
    pub element_code: ElementCode,
    pub old_value: i64,
    pub new_value: i64,
    pub changed_by: String,
    pub changed_at: String,
    pub reason: String,
}

pub async fn insert_history(tx: &mut Tx, change: &ValueChange) -> Result<()> {
    sqlx::query(
        "insert into return_value_history (institution_code, county_code, period, element_code, \
         old_value, new_value, changed_by, changed_at, reason) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&change.key.institution_code)
    .bind(change.key.county_code.to_string())
    .bind(change.key.period.to_string())
    .bind(change.element_code.as_str())
    .bind(change.old_value)
    .bind(change.new_value)
    .bind(&change.changed_by)
    .bind(&change.changed_at)
    .bind(&change.reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every change of a return's values, oldest first.
pub async fn history(db: &Db, key: &ReturnKey) -> Result<Vec<ValueChange>> {
    let sql = format!(
        "select institution_code, county_code, period, element_code, old_value, new_value, \
         changed_by, changed_at, reason from return_value_history where {KEY_CONDITION} \
         order by id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&key.institution_code)
        .bind(key.county_code.to_string())
        .bind(key.period.to_string())
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("element_code")?;
            Ok(ValueChange {
                key: key_from_row(row, "return_value_history")?,
                element_code: ElementCode::parse(&code)
                    .map_err(|e| corrupt("return_value_history", "element_code", e))?,
                old_value: row.try_get("old_value")?,
                new_value: row.try_get("new_value")?,
                changed_by: row.try_get("changed_by")?,
                changed_at: row.try_get("changed_at")?,
                reason: row.try_get("reason")?,
            })
        })
        .collect()
}

/// The sum of an element's latest values, with what it is made of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElementTotal {
    /// Sum of the values (stored units); `None` when no institution-county has a value.
    pub total: Option<i64>,
    /// Institution-county values summed.
    pub values: i64,
    /// Of those, values from returns that are not approved or locked.
    pub provisional: i64,
    /// The oldest and newest periods the values come from.
    pub oldest_period: Option<Month>,
    pub newest_period: Option<Month>,
}

/// For each institution and county at or under `county_prefix` (and only `institution` when
/// given), the element's value in the latest period up to `up_to` that has one; summed.
pub async fn element_total(
    db: &Db,
    element: &ElementCode,
    county_prefix: &str,
    institution: Option<&str>,
    up_to: Month,
) -> Result<ElementTotal> {
    let sql = format!(
        "select cast(sum(v.value) as bigint) as total, count(*) as n, \
         cast(sum(case when r.state in ({final_states}) then 0 else 1 end) as bigint) as provisional, \
         min(v.period) as oldest, max(v.period) as newest \
         from return_values v join returns r on r.institution_code = v.institution_code \
         and r.county_code = v.county_code and r.period = v.period \
         where v.element_code = $1 and v.county_code like $2 and v.period <= $3 \
         and ($4 = '' or v.institution_code = $4) \
         and v.period = (select max(w.period) from return_values w \
             where w.element_code = v.element_code and w.institution_code = v.institution_code \
             and w.county_code = v.county_code and w.period <= $3)",
        final_states = states_where(ReturnState::is_final)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(element.as_str())
        .bind(digits_pattern(Some(county_prefix))?)
        .bind(up_to.to_string())
        .bind(institution.unwrap_or_default())
        .fetch_one(db.pool())
        .await?;
    let period = |column: &'static str| -> Result<Option<Month>> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|text| Month::parse(&text).map_err(|e| corrupt("return_values", "period", e)))
            .transpose()
    };
    Ok(ElementTotal {
        total: row.try_get("total")?,
        values: row.try_get("n")?,
        provisional: row
            .try_get::<Option<i64>, _>("provisional")?
            .unwrap_or_default(),
        oldest_period: period("oldest")?,
        newest_period: period("newest")?,
    })
}

// ---------------------------------------------------------------------------------------------
// reported figures

/// A figure published elsewhere for an indicator, a region or group, and a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportedFigure {
    pub id: i64,
    pub indicator_code: String,
    /// Exactly one of `region_code` and `group_name` is set.
    pub region_code: Option<RegionCode>,
    pub group_name: Option<String>,
    pub as_of: BusinessDate,
    pub value: DecimalText,
    pub unit: String,
    pub source: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

const REPORTED_COLUMNS: &str = "id, indicator_code, region_code, group_name, as_of, value, unit, \
    source, note, recorded_by, recorded_at";

/// The figure recorded for the same indicator, subject, date and source, if any.
pub async fn find_reported_in(
    tx: &mut Tx,
    figure: &ReportedFigure,
) -> Result<Option<ReportedFigure>> {
    let sql = format!(
        "select {REPORTED_COLUMNS} from reported_figures where indicator_code = $1 \
         and coalesce(region_code, '') = $2 and coalesce(group_name, '') = $3 and as_of = $4 \
         and source = $5"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&figure.indicator_code)
        .bind(
            figure
                .region_code
                .map(|c| c.to_string())
                .unwrap_or_default(),
        )
        .bind(figure.group_name.clone().unwrap_or_default())
        .bind(figure.as_of.to_string())
        .bind(&figure.source)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(reported_from_row).transpose()
}

/// Stores a new figure (its `id` is ignored) and returns its id.
pub async fn insert_reported(tx: &mut Tx, figure: &ReportedFigure) -> Result<i64> {
    let row = sqlx::query(
        "insert into reported_figures (indicator_code, region_code, group_name, as_of, value, \
         unit, source, note, recorded_by, recorded_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
    )
    .bind(&figure.indicator_code)
    .bind(figure.region_code.map(|c| c.to_string()))
    .bind(&figure.group_name)
    .bind(figure.as_of.to_string())
    .bind(figure.value.as_str())
    .bind(&figure.unit)
    .bind(&figure.source)
    .bind(&figure.note)
    .bind(&figure.recorded_by)
    .bind(&figure.recorded_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

/// Replaces the value, unit and note of the figure with `figure.id`.
pub async fn update_reported(tx: &mut Tx, figure: &ReportedFigure) -> Result<()> {
    sqlx::query(
        "update reported_figures set value = $2, unit = $3, note = $4, recorded_by = $5, \
         recorded_at = $6 where id = $1",
    )
    .bind(figure.id)
    .bind(figure.value.as_str())
    .bind(&figure.unit)
    .bind(&figure.note)
    .bind(&figure.recorded_by)
    .bind(&figure.recorded_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Figures recorded, optionally for one indicator, by indicator, date and id.
pub async fn list_reported(
    db: &Db,
    indicator: Option<&str>,
    limit: i64,
) -> Result<Vec<ReportedFigure>> {
    let sql = format!(
        "select {REPORTED_COLUMNS} from reported_figures where ($1 = '' or indicator_code = $1) \
         order by indicator_code, as_of, id limit $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(indicator.unwrap_or_default())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(reported_from_row).collect()
}

fn reported_from_row(row: &AnyRow) -> Result<ReportedFigure> {
    let region: Option<String> = row.try_get("region_code")?;
    let value: String = row.try_get("value")?;
    Ok(ReportedFigure {
        id: row.try_get("id")?,
        indicator_code: row.try_get("indicator_code")?,
        region_code: region
            .map(|code| RegionCode::parse(&code))
            .transpose()
            .map_err(|e| corrupt("reported_figures", "region_code", e))?,
        group_name: row.try_get("group_name")?,
        as_of: date_column(row, "reported_figures", "as_of")?
            .ok_or_else(|| corrupt("reported_figures", "as_of", "null"))?,
        value: DecimalText::parse(&value).map_err(|e| corrupt("reported_figures", "value", e))?,
        unit: row.try_get("unit")?,
        source: row.try_get("source")?,
        note: row.try_get("note")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}
