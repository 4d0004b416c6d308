//! Importer of the `returns` file: institutions' statistical returns, one value per row.
//!
//! Each row names a return (institution, county, month) and one data element's value. Rows are
//! checked and written as they come; after the last row, every return the file changed is
//! checked against the validation rules as it now stands in the transaction (so a rule sees
//! values from several rows, and the month before even when it is in the same file):
//! error-severity failures refuse the file; warning-severity ones refuse it unless the
//! warnings are confirmed, and are reported either way. A value for an approved or locked
//! return is refused unless it equals the stored one (the return must be reopened first).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use fupin_core::date::Month;
use fupin_core::returns::{ElementCode, ReturnState, Unit};
use fupin_core::{BusinessDate, RegionCode, RegionLevel};
use fupin_store::returns::{self as store, DataElement, ReturnKey};
use fupin_store::{Db, Tx, audit, regions};
use serde_json::json;

use super::fields::{identifier, required, required_text, row_error};
use super::{Applied, ImportOptions, ImportReport, Importer, KnownInstitutions, RowErrors};
use crate::context::Ctx;
use crate::error::Result;
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, value};
use crate::returns::{
    RuleFinding, audit_confirmed_warnings, evaluate_in, find_element, findings, submit_refusal,
    units_of, write_value,
};

type RowResult<T> = std::result::Result<T, Vec<FieldError>>;

/// The reason kept in the history when a file changes a stored value.
const IMPORT_REASON: &str = "resubmitted in a returns file";

/// A row of the `returns` file; the value is read once the element (and so its unit) is known.
pub struct ReturnRecord {
    key: ReturnKey,
    element: String,
    element_label: String,
    value: Cell,
    value_label: String,
}

/// Where a return of the file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Not stored yet: created with its first value.
    New,
    /// Stored and accepting values; `touched` once this file changed it.
    Open { touched: bool },
    /// Approved or locked: only values equal to the stored ones are accepted.
    Closed(ReturnState),
}

struct FileReturn {
    first_line: u64,
    status: Status,
    changed: bool,
}

/// Where the file gives an element of a return, and the value it gives.
#[derive(Clone, Copy, Debug)]
struct Given {
    line: u64,
    value: i64,
}

/// Imports `returns`. Use [`import`], which also hands back the warnings; the importer is
/// driven by reference so that they outlive the run.
pub struct ReturnImporter {
    confirm_warnings: bool,
    elements: Option<Vec<DataElement>>,
    institutions: KnownInstitutions,
    counties: HashMap<RegionCode, bool>,
    seen: HashMap<(ReturnKey, ElementCode), Given>,
    returns: BTreeMap<ReturnKey, FileReturn>,
    warnings: Vec<RuleFinding>,
    /// The value column's header as the file writes it.
    value_label: String,
}

impl ReturnImporter {
    /// An importer that accepts warning-severity rule failures when `confirm_warnings`.
    pub fn new(confirm_warnings: bool) -> ReturnImporter {
        ReturnImporter {
            confirm_warnings,
            elements: None,
            institutions: KnownInstitutions::default(),
            counties: HashMap::new(),
            seen: HashMap::new(),
            returns: BTreeMap::new(),
            warnings: Vec::new(),
            value_label: String::new(),
        }
    }

    /// Warning-severity rule failures found so far (confirmed or not).
    pub fn warnings(&self) -> &[RuleFinding] {
        &self.warnings
    }
}

/// The outcome of importing a `returns` file.
#[derive(Clone, Debug)]
pub struct ReturnsImport {
    pub report: ImportReport,
    /// Warning-severity rule failures of the returns the file changed. When not confirmed
    /// they are also errors of the report.
    pub warnings: Vec<RuleFinding>,
    pub warnings_confirmed: bool,
}

/// Imports a `returns` file (see the module documentation).
pub async fn import(
    db: &Db,
    ctx: &Ctx,
    path: &Path,
    options: &ImportOptions,
    confirm_warnings: bool,
) -> Result<ReturnsImport> {
    // Rules span the rows of a return, so a file is taken whole or not at all.
    let options = ImportOptions {
        load_valid: false,
        ..options.clone()
    };
    let mut importer = ReturnImporter::new(confirm_warnings);
    let report = super::run(db, ctx, path, &options, &mut importer).await?;
    Ok(ReturnsImport {
        report,
        warnings: importer.warnings,
        warnings_confirmed: confirm_warnings,
    })
}

impl Importer for &mut ReturnImporter {
    const KIND: &'static str = "returns";
    const COLUMNS: &'static [Column] = &[
        Column::required("institution_code", "机构代码"),
        Column::required("region_code", "县代码"),
        Column::required("period", "报告期"),
        Column::required("element", "指标代码"),
        Column::required("value", "数值"),
    ];
    type Record = ReturnRecord;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<ReturnRecord> {
        let mut errors = RowErrors::default();
        let institution = required(row, map, "institution_code", identifier, &mut errors);
        let county = required(row, map, "region_code", value::region_code, &mut errors);
        let period = required(row, map, "period", period, &mut errors);
        let element = required_text(row, map, "element", &mut errors);
        if row.get(map, "value").is_blank() {
            errors.push(row.error(map, "value", format!("{} is required", map.label("value"))));
        }
        if let Some(county) = county
            && county.level() != RegionLevel::County
        {
            errors.push(row.error(
                map,
                "region_code",
                format!(
                    "{county} is a {} code: returns are per county",
                    county.level()
                ),
            ));
        }
        match (institution, county, period, element) {
            (Some(institution_code), Some(county_code), Some(period), Some(element))
                if errors.is_empty() =>
            {
                Ok(ReturnRecord {
                    key: ReturnKey {
                        institution_code,
                        county_code,
                        period,
                    },
                    element,
                    element_label: map.label("element").to_string(),
                    value: row.get(map, "value").clone(),
                    value_label: map.label("value").to_string(),
                })
            }
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: ReturnRecord,
    ) -> Result<RowResult<Applied>> {
        self.apply_record(tx, ctx, line, record).await
    }

    async fn finish(&mut self, tx: &mut Tx, ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.check_rules(tx, ctx).await
    }
}

impl ReturnImporter {
    async fn apply_record(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: ReturnRecord,
    ) -> Result<RowResult<Applied>> {
        let key = record.key;
        let institution = key.institution_code.clone();
        if let Some(message) = submit_refusal(ctx, &institution, key.county_code) {
            return Ok(Err(vec![row_error(
                line,
                "institution_code",
                &institution,
                message,
            )]));
        }
        let mut errors = Vec::new();
        if self.elements.is_none() {
            self.elements = Some(store::list_elements_in(tx).await?);
        }
        let elements = self.elements.as_deref().unwrap_or_default();
        let element = find_element(elements, &record.element).cloned();
        let stored_value = match &element {
            None => {
                let known: Vec<_> = elements.iter().map(|e| e.code.as_str()).collect();
                errors.push(FieldError::new(
                    line,
                    &record.element_label,
                    &record.element,
                    format!(
                        "{:?} is not a data element: use one of {} (or define it first)",
                        record.element,
                        known.join(", ")
                    ),
                ));
                None
            }
            Some(element) => match element_value(&record.value, element.unit) {
                Ok(stored) => Some(stored),
                Err(message) => {
                    errors.push(FieldError::new(
                        line,
                        &record.value_label,
                        record.value.to_string(),
                        format!("{message} ({} is in {})", element.code, element.unit),
                    ));
                    None
                }
            },
        };
        if !self.institutions.exists(tx, &institution).await? {
            errors.push(row_error(
                line,
                "institution_code",
                &institution,
                format!("institution {institution} does not exist: import institutions first"),
            ));
        }
        if !self.county_exists(tx, key.county_code).await? {
            errors.push(row_error(
                line,
                "region_code",
                &key.county_code.to_string(),
                format!(
                    "county {} does not exist: import regions first",
                    key.county_code
                ),
            ));
        }
        let (Some(element), Some(stored_value), true) = (element, stored_value, errors.is_empty())
        else {
            return Ok(Err(errors));
        };
        let given = Given {
            line,
            value: stored_value,
        };
        if let Some(first) = self.seen.insert((key.clone(), element.code.clone()), given) {
            return Ok(Err(vec![FieldError::new(
                line,
                &record.element_label,
                &record.element,
                format!(
                    "return {key} has {} twice: rows {} and {line}",
                    element.code, first.line
                ),
            )]));
        }
        if self.value_label.is_empty() {
            self.value_label = record.value_label;
        }
        self.write(tx, ctx, line, &key, &element, stored_value)
            .await
    }

    /// Writes one checked value, creating or touching its return as needed.
    async fn write(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        key: &ReturnKey,
        element: &DataElement,
        stored_value: i64,
    ) -> Result<RowResult<Applied>> {
        if !self.returns.contains_key(key) {
            let status = match store::get_return_in(tx, key).await? {
                None => Status::New,
                Some(header) if header.state.accepts_values() => Status::Open { touched: false },
                Some(header) => Status::Closed(header.state),
            };
            self.returns.insert(
                key.clone(),
                FileReturn {
                    first_line: line,
                    status,
                    changed: false,
                },
            );
        }
        let status = self.returns[key].status;
        if status != Status::New
            && store::get_value_in(tx, key, &element.code).await? == Some(stored_value)
        {
            return Ok(Ok(Applied::Unchanged));
        }
        match status {
            Status::Closed(state) => {
                return Ok(Err(vec![row_error(
                    line,
                    "period",
                    &key.period.to_string(),
                    format!(
                        "return {key} is {state}: it must be reopened (with a reason) before its \
                         values can change"
                    ),
                )]));
            }
            Status::New => {
                store::insert_return(tx, key, &ctx.actor.name, &ctx.now).await?;
                let mut entry = ctx.audit("return.submit", "return", &key.to_string());
                entry.after_json = Some(
                    json!({
                        "institution_code": key.institution_code,
                        "county_code": key.county_code.to_string(),
                        "period": key.period.to_string(),
                        "state": ReturnState::Submitted.as_str(),
                    })
                    .to_string(),
                );
                audit::append(tx, &entry).await?;
            }
            Status::Open { touched: false } => {
                if !store::touch_open_return(tx, key, &ctx.actor.name, &ctx.now).await? {
                    return Ok(Err(vec![row_error(
                        line,
                        "period",
                        &key.period.to_string(),
                        format!("return {key} was approved meanwhile: reopen it first"),
                    )]));
                }
            }
            Status::Open { touched: true } => {}
        }
        let applied = write_value(tx, ctx, key, &element.code, stored_value, IMPORT_REASON).await?;
        if let Some(file_return) = self.returns.get_mut(key) {
            file_return.status = Status::Open { touched: true };
            file_return.changed = true;
        }
        Ok(Ok(applied))
    }

    async fn county_exists(&mut self, tx: &mut Tx, code: RegionCode) -> Result<bool> {
        if let Some(known) = self.counties.get(&code) {
            return Ok(*known);
        }
        let exists = regions::get_in(tx, code).await?.is_some();
        self.counties.insert(code, exists);
        Ok(exists)
    }

    /// Evaluates the rules on every return the file changed.
    async fn check_rules(&mut self, tx: &mut Tx, ctx: &Ctx) -> Result<Vec<FieldError>> {
        let changed: Vec<(ReturnKey, u64)> = self
            .returns
            .iter()
            .filter(|(_, file_return)| file_return.changed)
            .map(|(key, file_return)| (key.clone(), file_return.first_line))
            .collect();
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        let elements = store::list_elements_in(tx).await?;
        let units = units_of(&elements);
        let rules = store::list_rules_in(tx).await?;
        let mut errors = Vec::new();
        for (key, line) in changed {
            let results = evaluate_in(tx, &key, &rules, &units).await?;
            let (failures, warnings) = findings(&key, &results);
            for failure in failures {
                let rule = rule_named(&rules, &failure.rule_code);
                errors.extend(self.rule_errors(&key, line, rule, &units, &failure.message));
            }
            if warnings.is_empty() {
                continue;
            }
            if self.confirm_warnings {
                audit_confirmed_warnings(tx, ctx, &key, &warnings).await?;
            } else {
                for warning in &warnings {
                    let message = format!(
                        "{}; the file is accepted only with the warnings confirmed \
                         (--confirm-warnings)",
                        warning.message
                    );
                    let rule = rule_named(&rules, &warning.rule_code);
                    errors.extend(self.rule_errors(&key, line, rule, &units, &message));
                }
            }
            self.warnings.extend(warnings);
        }
        Ok(errors)
    }

    /// A failed rule as an error of every row of the file holding an element the rule names,
    /// with that row's value, so that the clerk finds the cells to fix; on the return's first
    /// row when the file holds none of them (the rule failed on stored values).
    fn rule_errors(
        &self,
        key: &ReturnKey,
        first_line: u64,
        rule: Option<&store::ValidationRule>,
        units: &BTreeMap<ElementCode, Unit>,
        message: &str,
    ) -> Vec<FieldError> {
        let named = rule.map(|rule| rule.check.elements()).unwrap_or_default();
        let mut errors: Vec<FieldError> = named
            .into_iter()
            .filter_map(|code| {
                let given = self.seen.get(&(key.clone(), code.clone()))?;
                let unit = units.get(code).copied().unwrap_or(Unit::Yuan);
                Some(FieldError::new(
                    given.line,
                    &self.value_label,
                    unit.format_value(given.value),
                    message,
                ))
            })
            .collect();
        if errors.is_empty() {
            errors.push(FieldError::new(first_line, "", "", message));
        }
        errors
    }
}

fn rule_named<'r>(
    rules: &'r [store::ValidationRule],
    code: &str,
) -> Option<&'r store::ValidationRule> {
    rules.iter().find(|rule| rule.code == code)
}

/// A period: `2017-06`, `2017/06`, `201706`, a month-end date (`2017-06-30`), or a date cell
/// on the first or last day of a month (Excel turns a typed `2017-06` into 2017-06-01).
fn period(cell: &Cell) -> std::result::Result<Month, String> {
    const EXPECTED: &str = "a month such as 2017-06";
    match cell {
        Cell::Date(date) => month_of_edge_day(*date),
        Cell::Number(number)
            if number.fract() == 0.0 && (190_001.0..=220_012.0).contains(number) =>
        {
            Month::parse(&format!("{number}")).map_err(|e| e.to_string())
        }
        Cell::Text(_) => {
            let text = value::text(cell).unwrap_or_default();
            match Month::parse(&text) {
                Ok(month) => Ok(month),
                Err(month_error) => match BusinessDate::parse(&text) {
                    Ok(date) if date == date.end_of_month() => Ok(Month::of(date)),
                    Ok(date) => Err(format!(
                        "{date} is not a month-end: a period is {EXPECTED} (its figures are \
                         those at the month-end)"
                    )),
                    Err(_) => Err(month_error.to_string()),
                },
            }
        }
        other => Err(format!("{other}: expected {EXPECTED}")),
    }
}

fn month_of_edge_day(date: BusinessDate) -> std::result::Result<Month, String> {
    let month = Month::of(date);
    match date == month.first_day() || date == month.last_day() {
        true => Ok(month),
        false => Err(format!(
            "{date} is neither the first nor the last day of a month: a period is a month such \
             as 2017-06"
        )),
    }
}

/// How far a float may be from a two-decimal percentage.
const PERCENT_TOLERANCE: f64 = 1e-6;

/// A cell as the stored integer of `unit`; negative values are refused for every unit.
fn element_value(cell: &Cell, unit: Unit) -> std::result::Result<i64, String> {
    match unit {
        Unit::Yuan => value::amount(cell).map(|fen| fen.fen()),
        Unit::Count => match value::integer(cell)? {
            count if count < 0 => Err(format!("{count}: a count cannot be negative")),
            count => Ok(count),
        },
        Unit::Percent => {
            let percent = match cell {
                Cell::Percent(fraction) => fraction * 100.0,
                Cell::Number(number) => *number,
                other => {
                    let text = value::text(other).unwrap_or_default();
                    return Unit::Percent.parse_value(&text).map_err(|e| e.to_string());
                }
            };
            let hundredths = (percent * 100.0).round();
            if !percent.is_finite() || hundredths.abs() > 1e15 {
                return Err(format!("{cell}: not a percentage"));
            }
            if (percent * 100.0 - hundredths).abs() > PERCENT_TOLERANCE * 100.0 {
                return Err(format!("{cell}: more than two decimals of a percent"));
            }
            match hundredths < 0.0 {
                true => Err(format!("{cell}: a percentage cannot be negative here")),
                // Integral and within ±1e15 after the checks above: the cast is exact.
                false => Ok(hundredths as i64),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let month = |text: &str| Month::parse(text).unwrap();
        let date = |text: &str| BusinessDate::parse(text).unwrap();
        let text = |s: &str| Cell::Text(s.to_string());
        assert_eq!(period(&text("2017-06")), Ok(month("2017-06")));
        assert_eq!(period(&text(" 201706 ")), Ok(month("2017-06")));
        assert_eq!(period(&text("2017-06-30")), Ok(month("2017-06")));
        assert_eq!(period(&Cell::Number(201706.0)), Ok(month("2017-06")));
        assert_eq!(
            period(&Cell::Date(date("2017-06-01"))),
            Ok(month("2017-06"))
        );
        assert_eq!(
            period(&Cell::Date(date("2017-06-30"))),
            Ok(month("2017-06"))
        );
        assert!(period(&Cell::Date(date("2017-06-15"))).is_err());
        assert!(
            period(&text("2017-06-15"))
                .unwrap_err()
                .contains("not a month-end")
        );
        assert!(
            period(&text("2017-13"))
                .unwrap_err()
                .contains("no such month")
        );
        assert!(period(&text("June")).is_err());
        assert!(period(&Cell::Bool(true)).is_err());
    }

    #[test]
    fn values_by_unit() {
        let text = |s: &str| Cell::Text(s.to_string());
        assert_eq!(element_value(&text("1,234.50"), Unit::Yuan), Ok(123_450));
        assert_eq!(
            element_value(&Cell::Number(1234.5), Unit::Yuan),
            Ok(123_450)
        );
        assert!(
            element_value(&text("-1"), Unit::Yuan)
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            element_value(&text("5万"), Unit::Yuan)
                .unwrap_err()
                .contains("not a yuan amount")
        );
        assert_eq!(element_value(&text("12"), Unit::Count), Ok(12));
        assert!(
            element_value(&text("-2"), Unit::Count)
                .unwrap_err()
                .contains("negative")
        );
        assert!(element_value(&text("1.5"), Unit::Count).is_err());
        assert_eq!(element_value(&text("8.65%"), Unit::Percent), Ok(865));
        assert_eq!(
            element_value(&Cell::Percent(0.0865), Unit::Percent),
            Ok(865)
        );
        assert_eq!(element_value(&Cell::Number(8.65), Unit::Percent), Ok(865));
        assert!(element_value(&Cell::Number(8.655), Unit::Percent).is_err());
    }
}
