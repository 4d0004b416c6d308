//! Indicators as data: every figure a regulator reports, as a formula over measures, evaluated
//! for a region or a region group as of a date, with a base date for increases and growth, and
//! compared with figures reported elsewhere.

pub mod builtin;
mod cache;
pub mod measures;

use std::collections::{BTreeSet, HashMap};

use fupin_core::formula::{self, Expr, Leaf};
use fupin_core::{BusinessDate, RegionCode, RegionLevel};
use fupin_store::Db;
use fupin_store::indicators as store;
pub use fupin_store::indicators::Indicator;
use rust_decimal::Decimal;

use crate::context::Ctx;
use crate::error::{AppError, Result};
pub use cache::{ValueCache, data_version, evaluate_cached};
use measures::Fetcher;

/// What to evaluate for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Region(RegionCode),
    Group(String),
}

/// An evaluation request.
#[derive(Clone, Debug)]
pub struct Request {
    pub scope: Scope,
    pub as_of: BusinessDate,
    /// Default: the last day of the previous year.
    pub base: Option<BusinessDate>,
    /// Only this institution's part, for measures that have one (returns, ledger, loans).
    pub institution: Option<String>,
    /// Only these indicators (default: all).
    pub codes: Option<Vec<String>>,
}

/// A reported figure beside the computed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    pub value: String,
    /// As published: `yuan`, `wan_yuan` (万元), `yi_yuan` (亿元), `percent`, `percentage_point`,
    /// `count`.
    pub unit: String,
    pub source: String,
    /// The computed value differs from the reported one beyond the reported precision.
    pub differs: bool,
}

/// One evaluated indicator.
#[derive(Clone, Debug)]
pub struct Value {
    pub indicator: Indicator,
    pub value: Option<Decimal>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// Why there is no value (missing data, division by zero, an unknown measure).
    pub problem: Option<String>,
    pub reported: Option<Reported>,
}

impl Value {
    /// The value as text: yuan and percentages with two decimals, counts whole.
    pub fn text(&self) -> Option<String> {
        self.value.map(|v| format_unit(v, &self.indicator.unit))
    }
}

/// Decimal places by unit.
pub fn places(unit: &str) -> u32 {
    match unit {
        "count" => 0,
        _ => 2,
    }
}

pub fn format_unit(value: Decimal, unit: &str) -> String {
    formula::fixed(value, places(unit))
}

/// Loads (or restores) the built-in indicators; user-defined ones are left alone.
pub async fn load_builtin(db: &Db, ctx: &Ctx) -> Result<u64> {
    let mut tx = db.write().await?;
    let mut changed = 0;
    for indicator in builtin::indicators() {
        Expr::parse(&indicator.formula).map_err(|e| AppError::Invalid(e.to_string()))?;
        let before = store::get_in(&mut tx, &indicator.code).await?;
        if before.as_ref() == Some(&indicator) {
            continue;
        }
        store::upsert(&mut tx, &indicator).await?;
        let mut entry = ctx.audit("indicator.save", "indicator", &indicator.code);
        entry.before_json = before.map(|b| b.formula);
        entry.after_json = Some(indicator.formula.clone());
        fupin_store::audit::append(&mut tx, &entry).await?;
        changed += 1;
    }
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(changed)
}

/// Defines or redefines an indicator (regulator or operator), after checking its formula
/// parses and refers only to known indicators and measures.
pub async fn define(db: &Db, ctx: &Ctx, indicator: &Indicator) -> Result<()> {
    if !matches!(
        ctx.actor.role,
        crate::Role::Regulator | crate::Role::Operator
    ) {
        return Err(AppError::Forbidden(
            "only the regulator defines indicators".to_string(),
        ));
    }
    if !matches!(
        indicator.unit.as_str(),
        "yuan" | "count" | "percent" | "pp" | "times"
    ) {
        return Err(AppError::Invalid(format!(
            "unit {:?} is not yuan, count, percent, pp or times",
            indicator.unit
        )));
    }
    let mut all: HashMap<String, Indicator> = store::list(db)
        .await?
        .into_iter()
        .map(|i| (i.code.clone(), i))
        .collect();
    all.insert(indicator.code.clone(), indicator.clone());
    for formula in [
        Some(&indicator.formula),
        indicator.numerator.as_ref(),
        indicator.denominator.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        expand(formula, &all)?;
    }
    let mut tx = db.write().await?;
    let before = store::get_in(&mut tx, &indicator.code).await?;
    store::upsert(&mut tx, indicator).await?;
    let mut entry = ctx.audit("indicator.save", "indicator", &indicator.code);
    entry.before_json = before.map(|b| b.formula);
    entry.after_json = Some(indicator.formula.clone());
    fupin_store::audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// Every indicator definition, built-in ones first in their order.
pub async fn definitions(db: &Db) -> Result<Vec<Indicator>> {
    let stored = store::list(db).await?;
    let order: Vec<String> = builtin::indicators().into_iter().map(|i| i.code).collect();
    let mut sorted = stored;
    sorted.sort_by_key(|i| {
        (
            order
                .iter()
                .position(|c| *c == i.code)
                .unwrap_or(usize::MAX),
            i.code.clone(),
        )
    });
    Ok(sorted)
}

fn expand(formula: &str, all: &HashMap<String, Indicator>) -> Result<Expr> {
    let parsed = Expr::parse(formula).map_err(|e| AppError::Invalid(e.to_string()))?;
    let lookup = |code: &str| all.get(code).and_then(|i| Expr::parse(&i.formula).ok());
    parsed.expand(&lookup).map_err(AppError::Invalid)
}

/// The regions a scope covers on a date, and the city for `city(…)`.
async fn resolve(
    db: &Db,
    scope: &Scope,
    date: BusinessDate,
) -> Result<(Vec<RegionCode>, RegionCode)> {
    let regions = match scope {
        Scope::Region(code) => vec![*code],
        Scope::Group(name) => crate::territory::group_members_on(db, name, date).await?,
    };
    let first = *regions
        .first()
        .ok_or_else(|| AppError::Invalid(format!("{scope:?} has no regions on {date}")))?;
    let city = first.ancestor_at(RegionLevel::City).unwrap_or(first);
    Ok((regions, city))
}

/// Refuses a request outside the actor's scope: the role must read indicators (403); the region,
/// or every member of the group on the date, must lie in the actor's region (else 404). A bank
/// sees its own part of the measures that have one: its institution is put in the request
/// (another institution asked for is answered as not found).
pub async fn scoped_request(db: &Db, ctx: &Ctx, request: &Request) -> Result<Request> {
    crate::access::require(
        ctx,
        crate::access::Area::Indicators,
        crate::access::Access::Read,
    )?;
    match &request.scope {
        Scope::Region(code) => {
            crate::access::require_region(ctx, *code, || format!("region {code}"))?;
        }
        Scope::Group(name) if ctx.actor.region.is_some() => {
            let members = crate::territory::group_members_on(db, name, request.as_of).await?;
            if members.is_empty()
                || !members
                    .iter()
                    .all(|member| crate::access::sees_region(ctx, *member))
            {
                return Err(AppError::NotFound(format!("region group {name}")));
            }
        }
        Scope::Group(_) => {}
    }
    let mut request = request.clone();
    if let Some(own) = crate::access::bank_institution(ctx)? {
        match &request.institution {
            Some(asked) if asked != own => {
                return Err(AppError::NotFound(format!("institution {asked}")));
            }
            _ => request.institution = Some(own.to_string()),
        }
    }
    Ok(request)
}

/// Every indicator definition, for the roles that read indicators.
pub async fn definitions_for(db: &Db, ctx: &Ctx) -> Result<Vec<Indicator>> {
    crate::access::require(
        ctx,
        crate::access::Area::Indicators,
        crate::access::Access::Read,
    )?;
    definitions(db).await
}

/// Evaluates the requested indicators, within the actor's scope (see [`scoped_request`]).
pub async fn evaluate(db: &Db, ctx: &Ctx, request: &Request) -> Result<Vec<Value>> {
    let request = scoped_request(db, ctx, request).await?;
    evaluate_scoped(db, ctx, &request).await
}

/// [`evaluate`] of a request that [`scoped_request`] has already checked and completed.
async fn evaluate_scoped(db: &Db, ctx: &Ctx, request: &Request) -> Result<Vec<Value>> {
    let base = match request.base {
        Some(base) => base,
        None => request
            .as_of
            .end_of_previous_year()
            .ok_or_else(|| AppError::Invalid("no base date before 1900".into()))?,
    };
    let all: HashMap<String, Indicator> = store::list(db)
        .await?
        .into_iter()
        .map(|i| (i.code.clone(), i))
        .collect();
    let selected = select(db, request).await?;
    let mut plans = Vec::new();
    let mut leaves: BTreeSet<Key> = BTreeSet::new();
    for indicator in selected {
        let plan = plan(&indicator, &all);
        // A comparison with the city is of whole regions, whoever asks: a bank's own part
        // against the city's would compare the bank with itself (issue 24).
        let part = match request.institution.is_some() && plan.compares_with_city() {
            true => Part::Whole,
            false => Part::Requested,
        };
        leaves.extend(plan.leaves().into_iter().map(|leaf| (part, leaf)));
        plans.push((indicator, plan, part));
    }
    let fetched = fetch(db, ctx, request, base, &leaves).await?;
    let reported = reported_figures(db, ctx, request).await?;
    let mut result = Vec::new();
    for (indicator, plan, part) in plans {
        let value_of = |leaf: &Leaf| fetched.value(part, leaf);
        let evaluate = |expr: &Option<std::result::Result<Expr, String>>| {
            expr.as_ref()
                .and_then(|e| e.as_ref().ok())
                .and_then(|e| e.evaluate(&value_of))
        };
        let value = evaluate(&plan.value);
        let problem = match (&plan.value, value) {
            (Some(Err(message)), _) => Some(message.clone()),
            (_, None) => Some(missing_reason(&plan, part, &fetched)),
            _ => None,
        };
        let reported = reported
            .get(&indicator.code)
            .map(|(text, unit, source)| Reported {
                value: text.clone(),
                unit: unit.clone(),
                source: source.clone(),
                differs: value.is_some_and(|v| differs(in_unit(v, unit), text)),
            });
        result.push(Value {
            numerator: evaluate(&plan.numerator),
            denominator: evaluate(&plan.denominator),
            value,
            problem,
            reported,
            indicator,
        });
    }
    Ok(result)
}

/// Which part of a region a leaf is fetched for: the request's (a bank's own institution, when
/// the request names one) or the whole region, every institution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Part {
    Requested,
    Whole,
}

type Key = (Part, Leaf);

/// The leaves' values, and the leaves the actor may not see with the reason.
#[derive(Default)]
struct Fetched {
    values: HashMap<Key, Option<Decimal>>,
    hidden: HashMap<Key, String>,
}

impl Fetched {
    fn value(&self, part: Part, leaf: &Leaf) -> Option<Decimal> {
        self.values.get(&(part, leaf.clone())).copied().flatten()
    }
}

struct Plan {
    value: Option<std::result::Result<Expr, String>>,
    numerator: Option<std::result::Result<Expr, String>>,
    denominator: Option<std::result::Result<Expr, String>>,
}

impl Plan {
    /// Every leaf of the value, the numerator and the denominator.
    fn leaves(&self) -> BTreeSet<Leaf> {
        [&self.value, &self.numerator, &self.denominator]
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_ref().ok())
            .flat_map(|expr| expr.leaves())
            .collect()
    }

    /// Whether the indicator compares its region with the city (`city(…)`).
    fn compares_with_city(&self) -> bool {
        self.leaves().iter().any(|leaf| leaf.context.for_city)
    }
}

fn plan(indicator: &Indicator, all: &HashMap<String, Indicator>) -> Plan {
    let expand_text = |text: &str| expand(text, all).map_err(|e| e.to_string());
    Plan {
        value: Some(expand_text(&indicator.formula)),
        numerator: indicator.numerator.as_deref().map(expand_text),
        denominator: indicator.denominator.as_deref().map(expand_text),
    }
}

fn missing_reason(plan: &Plan, part: Part, fetched: &Fetched) -> String {
    let Some(Ok(expr)) = &plan.value else {
        return "the formula does not expand".to_string();
    };
    let leaves = expr.leaves();
    if let Some(reason) = leaves
        .iter()
        .find_map(|leaf| fetched.hidden.get(&(part, leaf.clone())))
    {
        return format!("not shown: {reason}");
    }
    let missing: Vec<String> = leaves
        .into_iter()
        .filter(|leaf| fetched.value(part, leaf).is_none())
        .map(|leaf| {
            let argument = leaf.argument.map(|a| format!("[{a}]")).unwrap_or_default();
            let at = match (leaf.context.at_base, leaf.context.for_city) {
                (false, false) => "",
                (true, false) => " at the base date",
                (false, true) => " for the city",
                (true, true) => " for the city at the base date",
            };
            format!("{}{argument}{at}", leaf.name)
        })
        .collect();
    match missing.is_empty() {
        true => "division by zero".to_string(),
        false => format!("no data for {}", missing.join(", ")),
    }
}

async fn select(db: &Db, request: &Request) -> Result<Vec<Indicator>> {
    let definitions = definitions(db).await?;
    let Some(codes) = &request.codes else {
        return Ok(definitions);
    };
    codes
        .iter()
        .map(|code| {
            definitions
                .iter()
                .find(|i| &i.code == code)
                .cloned()
                .ok_or_else(|| AppError::NotFound(format!("indicator {code}")))
        })
        .collect()
}

/// Fetches every leaf: for the scope or its city, at the as-of or base date, for the request's
/// part or the whole region. A leaf the actor may not see (403) is kept apart with the reason,
/// so the indicator says it is not shown rather than that there is no data.
async fn fetch(
    db: &Db,
    ctx: &Ctx,
    request: &Request,
    base: BusinessDate,
    leaves: &BTreeSet<Key>,
) -> Result<Fetched> {
    let mut requested = Fetcher::new(db, ctx, request.institution.clone());
    let mut whole = Fetcher::new(db, ctx, None);
    let mut scopes: HashMap<BusinessDate, (Vec<RegionCode>, RegionCode)> = HashMap::new();
    let mut fetched = Fetched::default();
    for (part, leaf) in leaves {
        let date = if leaf.context.at_base {
            base
        } else {
            request.as_of
        };
        if let std::collections::hash_map::Entry::Vacant(entry) = scopes.entry(date) {
            entry.insert(resolve(db, &request.scope, date).await?);
        }
        let (regions, city) = &scopes[&date];
        let regions = if leaf.context.for_city {
            vec![*city]
        } else {
            regions.clone()
        };
        // Without an institution the requested part is the whole: one fetcher reads both.
        let fetcher = match (part, &request.institution) {
            (Part::Whole, Some(_)) => &mut whole,
            _ => &mut requested,
        };
        let key = (*part, leaf.clone());
        let value = match fetcher
            .sum(&leaf.name, leaf.argument.as_deref(), &regions, date)
            .await
        {
            Ok(value) => value,
            Err(AppError::Forbidden(reason)) => {
                fetched.hidden.insert(key.clone(), reason);
                None
            }
            Err(error @ (AppError::Invalid(_) | AppError::NotFound(_))) => {
                tracing::debug!(leaf = ?leaf, %error, "measure without a value");
                None
            }
            Err(other) => return Err(other),
        };
        fetched.values.insert(key, value);
    }
    Ok(fetched)
}

/// Reported figures for this scope and date, by indicator: (value, source).
async fn reported_figures(
    db: &Db,
    ctx: &Ctx,
    request: &Request,
) -> Result<HashMap<String, (String, String, String)>> {
    let figures = match crate::returns::list_reported_figures(db, ctx, None, Some(10_000)).await {
        Ok(figures) => figures,
        Err(AppError::Forbidden(_)) => return Ok(HashMap::new()),
        Err(other) => return Err(other),
    };
    Ok(figures
        .into_iter()
        .filter(|f| f.as_of == request.as_of)
        .filter(|f| match &request.scope {
            Scope::Region(code) => f.region_code == Some(*code),
            Scope::Group(name) => f.group_name.as_deref() == Some(name.as_str()),
        })
        .map(|f| {
            (
                f.indicator_code,
                (f.value.as_str().to_string(), f.unit, f.source),
            )
        })
        .collect())
}

/// A value in yuan expressed in a reported figure's unit (万元, 亿元); other units as they are.
fn in_unit(value: Decimal, unit: &str) -> Decimal {
    match unit {
        "wan_yuan" => value / Decimal::from(10_000),
        "yi_yuan" => value / Decimal::from(100_000_000),
        _ => value,
    }
}

/// Whether a computed value differs from a reported one beyond the reported precision: the
/// computed value, rounded to as many decimals as the report gives, is not the reported value.
pub fn differs(computed: Decimal, reported: &str) -> bool {
    let cleaned = reported.replace(',', "");
    let Ok(reported_value) = cleaned.parse::<Decimal>() else {
        return true;
    };
    let places = cleaned
        .split_once('.')
        .map_or(0, |(_, decimals)| decimals.len() as u32);
    formula::fixed(computed, places) != formula::fixed(reported_value, places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_figures_differ_beyond_their_precision() {
        let computed: Decimal = "12.0324".parse().expect("decimal");
        assert!(
            differs(computed, "8.65"),
            "the article's 8.65 % against 12.03 %"
        );
        assert!(!differs(computed, "12.03"));
        assert!(!differs(computed, "12.0"));
        assert!(!differs(computed, "12"));
        assert!(differs(computed, "12.04"));
        assert!(!differs(
            "35996000000".parse().expect("decimal"),
            "35,996,000,000"
        ));
    }

    #[test]
    fn builtin_formulas_expand() {
        let all: HashMap<String, Indicator> = builtin::indicators()
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
        for indicator in all.values() {
            for formula in [
                Some(&indicator.formula),
                indicator.numerator.as_ref(),
                indicator.denominator.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                let expanded =
                    expand(formula, &all).unwrap_or_else(|e| panic!("{}: {e}", indicator.code));
                for leaf in expanded.leaves() {
                    let known = measures::MEASURES
                        .iter()
                        .any(|(pattern, _)| pattern.split('[').next() == Some(leaf.name.as_str()));
                    assert!(
                        known,
                        "{} uses unknown measure {}",
                        indicator.code, leaf.name
                    );
                }
            }
        }
    }
}
