//! The measures formulas are built from: each reads one kind of data for one region prefix and
//! date. Values are exact decimals; money is in yuan.

use std::collections::HashMap;

use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::Db;
use fupin_store::indicators as queries;
use fupin_store::ledger::{self, NormalSide};
use rust_decimal::Decimal;

use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::funds::{self, FundFigures};
use crate::territory::{self, TownshipCoverage, VillageCoverage};
use crate::totals::Counts;

/// Every measure a formula may name, with what its argument means.
pub const MEASURES: &[(&str, &str)] = &[
    (
        "returns.element[CODE]",
        "a data element of the statistical returns, summed over institutions (latest month-end on or before the date)",
    ),
    (
        "ledger.balance[KIND]",
        "balance of the ledger accounts whose kind matches (SQL LIKE), e.g. loan_principal:%",
    ),
    (
        "loans.disbursed[CATEGORY]",
        "principal of the category's loans started on or before the date (rollovers excluded)",
    ),
    (
        "loans.borrowers[CATEGORY]",
        "distinct borrowers with a loan of the category outstanding",
    ),
    (
        "loans.maturing[M]",
        "principal falling due in month M (1–24) after the date, of active loans' current schedules (month 1 also takes the rest of the date's month)",
    ),
    (
        "loans.npl_balance",
        "principal outstanding of loans substandard or worse (overdue past the threshold)",
    ),
    (
        "registry.poor_population",
        "members of registered households whose status is poor or relapsed",
    ),
    (
        "registry.poor_households",
        "registered households whose status is poor or relapsed",
    ),
    (
        "regions.population",
        "resident population of the county-level regions",
    ),
    ("territory.townships_total", "townships"),
    (
        "territory.townships_assigned[TYPE]",
        "townships with a responsible institution (of the type, when given)",
    ),
    ("territory.villages_total", "administrative villages"),
    (
        "territory.villages_with_outlet",
        "villages with a physical outlet",
    ),
    (
        "territory.villages_electronic_only",
        "villages with electronic equipment but no outlet",
    ),
    (
        "territory.villages_covered",
        "villages with any service point",
    ),
    (
        "enterprises.count[KIND]",
        "enterprises of a kind listed on or before the date",
    ),
    (
        "enterprises.people_lifted",
        "people lifted by enterprises (links in force)",
    ),
    ("funds.subsidy_paid", "interest subsidy paid"),
    ("funds.compensation_paid", "risk compensation paid"),
    ("funds.subsidy_balance", "subsidy funds' balance"),
    ("funds.risk_balance", "risk-compensation funds' balance"),
    (
        "funds.subsidy_deposits",
        "deposits into the subsidy funds, to date",
    ),
    (
        "funds.risk_deposits",
        "deposits into the risk-compensation funds, to date",
    ),
    (
        "funds.compensation_recovered",
        "recoveries returned to the risk-compensation funds",
    ),
    (
        "funds.covered_balance",
        "principal outstanding of loans the risk funds cover",
    ),
    ("insurance.insured", "sums insured by the policies in force"),
    (
        "insurance.premiums[PAYER]",
        "premiums paid to date, of the payer when given (central, provincial, county, farmer)",
    ),
    ("insurance.claims_paid", "insurance claims paid to date"),
    (
        "guarantees.guaranteed_balance",
        "principal outstanding (now) × share of every guarantee of active loans",
    ),
    (
        "guarantees.fund_guaranteed",
        "principal outstanding (now) × share guaranteed by the county guarantee funds",
    ),
    ("guarantees.fund_balance", "county guarantee funds' balance"),
    (
        "guarantees.fund_deposits",
        "deposits into the county guarantee funds, to date",
    ),
    (
        "guarantees.claims_paid",
        "guarantee claims paid by every guarantee payer, to date",
    ),
    (
        "guarantees.losses",
        "losses of defaulted loans shared by the loss waterfall, to date",
    ),
    (
        "guarantees.bank_borne",
        "what the banks bear of those losses after insurance, guarantees and the risk funds",
    ),
    ("guarantees.fees_paid", "guarantee fees paid, to date"),
    (
        "guarantees.fee_subsidies",
        "subsidies of guarantee fees approved by the finance bureaus, to date",
    ),
    (
        "alerts.open[RULE]",
        "supervisory alerts open at the end of the date (seen, not closed, not dismissed), of the rule when given",
    ),
    (
        "credit.eligible",
        "eligible registered households (three full coverage)",
    ),
    ("credit.rated", "eligible households with a credit file"),
    (
        "credit.with_line",
        "eligible households with a valid credit line",
    ),
    (
        "credit.lines_amount",
        "credit lines valid on the date, amount granted",
    ),
    (
        "credit.lines_households",
        "households with a valid credit line",
    ),
];

fn yuan(amount: Fen) -> Decimal {
    Decimal::new(amount.fen(), 2)
}

fn count(n: i64) -> Decimal {
    Decimal::from(n)
}

/// A measure of one region on one date: (name, argument, region, date).
type MeasureKey = (String, Option<String>, RegionCode, BusinessDate);

/// Reads measures for one request, remembering each value and the composite figures several
/// measures share (coverage, funds, credit counts and lines) per region and date, so that no
/// query runs twice.
pub struct Fetcher<'a> {
    db: &'a Db,
    ctx: &'a Ctx,
    institution: Option<String>,
    values: HashMap<MeasureKey, Option<Decimal>>,
    townships: HashMap<(RegionCode, BusinessDate), TownshipCoverage>,
    villages: HashMap<(RegionCode, BusinessDate), VillageCoverage>,
    funds: HashMap<(RegionCode, BusinessDate), FundFigures>,
    guarantees: HashMap<(RegionCode, BusinessDate), crate::guarantees::Figures>,
    totals: HashMap<(RegionCode, BusinessDate), Counts>,
    lines: HashMap<(RegionCode, BusinessDate), (u64, Fen)>,
}

impl<'a> Fetcher<'a> {
    pub fn new(db: &'a Db, ctx: &'a Ctx, institution: Option<String>) -> Fetcher<'a> {
        Fetcher {
            db,
            ctx,
            institution,
            values: HashMap::new(),
            townships: HashMap::new(),
            villages: HashMap::new(),
            funds: HashMap::new(),
            guarantees: HashMap::new(),
            totals: HashMap::new(),
            lines: HashMap::new(),
        }
    }

    /// A measure summed over regions; `None` when no region has a value.
    pub async fn sum(
        &mut self,
        name: &str,
        argument: Option<&str>,
        regions: &[RegionCode],
        date: BusinessDate,
    ) -> Result<Option<Decimal>> {
        let mut total: Option<Decimal> = None;
        for region in regions {
            if let Some(value) = self.remembered(name, argument, *region, date).await? {
                total = Some(total.unwrap_or_default() + value);
            }
        }
        Ok(total)
    }

    /// [`Fetcher::one`], read once per request. A refusal or an error is not remembered: it is
    /// the caller's answer, whichever leaf asks.
    async fn remembered(
        &mut self,
        name: &str,
        argument: Option<&str>,
        region: RegionCode,
        date: BusinessDate,
    ) -> Result<Option<Decimal>> {
        let key = (name.to_string(), argument.map(str::to_string), region, date);
        if let Some(value) = self.values.get(&key) {
            return Ok(*value);
        }
        let value = self.one(name, argument, region, date).await?;
        self.values.insert(key, value);
        Ok(value)
    }

    async fn one(
        &mut self,
        name: &str,
        argument: Option<&str>,
        region: RegionCode,
        date: BusinessDate,
    ) -> Result<Option<Decimal>> {
        let prefix = region.prefix();
        let institution = self.institution.clone();
        let institution = institution.as_deref();
        let db = self.db;
        let needs = |what: &str| {
            argument.ok_or_else(|| AppError::Invalid(format!("measure {name} needs [{what}]")))
        };
        Ok(Some(match name {
            "returns.element" => {
                return Ok(crate::returns::element_total_as_of(
                    db,
                    needs("element")?,
                    prefix,
                    institution,
                    date,
                )
                .await?
                .map(yuan));
            }
            "ledger.balance" => {
                let kind = needs("kind")?;
                if FUND_ACCOUNT_KINDS.iter().any(|fund| like(kind, fund)) {
                    crate::access::require_fund_figures(self.ctx)?;
                }
                yuan(
                    ledger::kind_totals_as_of(db, kind, institution, prefix, date)
                        .await?
                        .balance(NormalSide::Debit),
                )
            }
            "loans.disbursed" => {
                yuan(queries::disbursed(db, prefix, date, needs("category")?, institution).await?)
            }
            "loans.borrowers" => {
                count(queries::borrowers(db, prefix, date, needs("category")?, institution).await?)
            }
            "loans.npl_balance" => yuan(npl_balance(db, prefix, date, institution).await?),
            "loans.maturing" => {
                let month = needs("month")?;
                let number: u32 = month.trim().parse().map_err(|_| {
                    AppError::Invalid(format!(
                        "measure {name}[{month}]: the month must be 1 to 24"
                    ))
                })?;
                yuan(
                    crate::loans::maturity::maturing_in_month(
                        db,
                        prefix,
                        date,
                        number,
                        institution,
                    )
                    .await?,
                )
            }
            "registry.poor_population" => count(self.totals(region, date).await?.poor_people),
            "registry.poor_households" => count(self.totals(region, date).await?.poor_households),
            "regions.population" => count(queries::resident_population(db, prefix, date).await?),
            "enterprises.count" => {
                count(queries::enterprises_of_kind(db, prefix, date, needs("kind")?).await?)
            }
            "enterprises.people_lifted" => count(queries::people_lifted(db, prefix, date).await?),
            "territory.townships_total" => {
                count(self.townships(region, date).await?.total() as i64)
            }
            "territory.townships_assigned" => {
                let coverage = self.townships(region, date).await?;
                count(match argument {
                    None => coverage.assigned() as i64,
                    Some(kind) => coverage
                        .by_type
                        .iter()
                        .find(|(k, _)| k == kind)
                        .map_or(0, |(_, n)| *n as i64),
                })
            }
            "territory.villages_total" => count(self.villages(region, date).await?.total as i64),
            "territory.villages_with_outlet" => {
                count(self.villages(region, date).await?.with_outlet as i64)
            }
            "territory.villages_electronic_only" => {
                count(self.villages(region, date).await?.electronic_only as i64)
            }
            "territory.villages_covered" => {
                count(self.villages(region, date).await?.covered() as i64)
            }
            "funds.subsidy_paid" => yuan(self.funds(region, date).await?.subsidy_paid),
            "funds.compensation_paid" => yuan(self.funds(region, date).await?.compensation_paid),
            "funds.subsidy_balance" => yuan(self.funds(region, date).await?.subsidy_balance),
            "funds.risk_balance" => yuan(self.funds(region, date).await?.risk_balance),
            "funds.subsidy_deposits" => yuan(self.funds(region, date).await?.subsidy_deposits),
            "funds.risk_deposits" => yuan(self.funds(region, date).await?.risk_deposits),
            "funds.compensation_recovered" => {
                yuan(self.funds(region, date).await?.compensation_recovered)
            }
            "funds.covered_balance" => yuan(self.funds(region, date).await?.covered_balance),
            guarantee if guarantee.starts_with("guarantees.") => {
                let figures = self.guarantees(region, date).await?;
                yuan(match guarantee {
                    "guarantees.guaranteed_balance" => figures.guaranteed_balance,
                    "guarantees.fund_guaranteed" => figures.fund_guaranteed,
                    "guarantees.fund_balance" => figures.fund_balance,
                    "guarantees.fund_deposits" => figures.fund_deposits,
                    "guarantees.claims_paid" => Fen::new(
                        figures
                            .payers
                            .iter()
                            .filter(|p| p.payer != "risk_fund" && p.payer != "insurance")
                            .map(|p| p.paid.fen())
                            .sum(),
                    ),
                    "guarantees.losses" => figures.losses,
                    "guarantees.bank_borne" => figures.bank_borne,
                    "guarantees.fees_paid" => figures.fees_paid,
                    "guarantees.fee_subsidies" => figures.fee_subsidies,
                    other => return Err(AppError::Invalid(format!("unknown measure {other}"))),
                })
            }
            "alerts.open" => {
                count(fupin_store::alerts::open_on(db, prefix, date, argument, institution).await?)
            }
            insurance if insurance.starts_with("insurance.") => yuan(
                crate::insurance::measure(db, self.ctx, insurance, argument, prefix, date).await?,
            ),
            other => return self.credit_measure(other, region, date).await,
        }))
    }

    async fn townships(
        &mut self,
        region: RegionCode,
        date: BusinessDate,
    ) -> Result<&TownshipCoverage> {
        if !self.townships.contains_key(&(region, date)) {
            let coverage =
                territory::township_coverage(self.db, self.ctx, date, Some(region)).await?;
            self.townships.insert((region, date), coverage);
        }
        Ok(&self.townships[&(region, date)])
    }

    async fn villages(
        &mut self,
        region: RegionCode,
        date: BusinessDate,
    ) -> Result<&VillageCoverage> {
        if !self.villages.contains_key(&(region, date)) {
            let coverage =
                territory::village_coverage(self.db, self.ctx, date, Some(region)).await?;
            self.villages.insert((region, date), coverage);
        }
        Ok(&self.villages[&(region, date)])
    }

    /// Measures of the credit coverage (three full coverage): the household counts (running
    /// totals) and the lines in force are each read once per region and date.
    async fn credit_measure(
        &mut self,
        name: &str,
        region: RegionCode,
        date: BusinessDate,
    ) -> Result<Option<Decimal>> {
        let value = match name {
            "credit.eligible" => count(self.totals(region, date).await?.eligible),
            "credit.rated" => count(self.totals(region, date).await?.rated),
            "credit.with_line" => count(self.totals(region, date).await?.with_line),
            "credit.lines_amount" => yuan(self.lines(region, date).await?.1),
            "credit.lines_households" => count(self.lines(region, date).await?.0 as i64),
            other => return Err(AppError::Invalid(format!("unknown measure {other:?}"))),
        };
        Ok(Some(value))
    }

    /// The registry and coverage counts of a region on a date, from the running totals
    /// (`crate::totals`), which equal the reference queries (`tests/totals.rs`).
    async fn totals(&mut self, region: RegionCode, date: BusinessDate) -> Result<Counts> {
        if !self.totals.contains_key(&(region, date)) {
            let counts = crate::totals::counts(self.db, Some(region), date).await?;
            self.totals.insert((region, date), counts);
        }
        Ok(self.totals[&(region, date)])
    }

    async fn lines(&mut self, region: RegionCode, date: BusinessDate) -> Result<(u64, Fen)> {
        if !self.lines.contains_key(&(region, date)) {
            let lines = crate::credit::credit_lines_granted(self.db, region.prefix(), date).await?;
            self.lines.insert((region, date), lines);
        }
        Ok(self.lines[&(region, date)])
    }

    /// The guarantee figures of a region on a date, for those who see the county funds.
    async fn guarantees(
        &mut self,
        region: RegionCode,
        date: BusinessDate,
    ) -> Result<crate::guarantees::Figures> {
        crate::access::require_fund_figures(self.ctx)?;
        if !self.guarantees.contains_key(&(region, date)) {
            let figures = crate::guarantees::figures(self.db, region.prefix(), date).await?;
            self.guarantees.insert((region, date), figures);
        }
        Ok(self.guarantees[&(region, date)].clone())
    }

    async fn funds(&mut self, region: RegionCode, date: BusinessDate) -> Result<FundFigures> {
        crate::access::require_fund_figures(self.ctx)?;
        if !self.funds.contains_key(&(region, date)) {
            let figures = funds::figures(self.db, region.prefix(), date).await?;
            self.funds.insert((region, date), figures);
        }
        Ok(self.funds[&(region, date)])
    }
}

/// The ledger kinds of the county funds' accounts (`funds::Fund::kind`): a `ledger.balance`
/// measure that can match one is a fund figure, shown only to those who see the funds.
const FUND_ACCOUNT_KINDS: &[&str] = &["fund_subsidy", "fund_risk", "fund_guarantee"];

/// Whether SQL `LIKE` `pattern` (`%` any run, `_` one character) matches `text`, ignoring ASCII
/// case as SQLite does (so it never says no where an engine says yes).
fn like(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some((first, rest)) => text
                .split_first()
                .is_some_and(|(c, more)| (*first == '_' || first == c) && matches(rest, more)),
        }
    }
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let text: Vec<char> = text.to_ascii_lowercase().chars().collect();
    matches(&pattern, &text)
}

/// Principal outstanding on `date` of loans overdue at least as long as the substandard
/// threshold.
async fn npl_balance(
    db: &Db,
    prefix: &str,
    date: BusinessDate,
    institution: Option<&str>,
) -> Result<Fen> {
    let thresholds = fupin_store::loans::thresholds_as_of(db, date).await?;
    let Some(since) = date.add_days(-(thresholds.substandard_days - 1)) else {
        return Ok(Fen::ZERO);
    };
    let mut total = 0i64;
    for (institution, contract) in
        queries::overdue_since(db, prefix, date, since, institution).await?
    {
        let code = format!("loan:{institution}:{contract}:principal");
        if let Some(account) = ledger::account_by_code(db, &code).await? {
            total += ledger::totals_as_of(db, account.id, date)
                .await?
                .balance(NormalSide::Debit)
                .fen();
        }
    }
    Ok(Fen::new(total))
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns_match_as_sql_does() {
        for (pattern, text, expected) in [
            ("fund_subsidy", "fund_subsidy", true),
            ("fund_%", "fund_risk", true),
            ("%", "fund_risk", true),
            ("f_nd%", "fund_subsidy", true),
            ("loan_principal:%", "fund_risk", false),
            ("fund_subsidy", "fund_risk", false),
            ("%risk", "fund_risk", true),
            ("%risk_", "fund_risk", false),
            ("FUND_%", "fund_risk", true),
        ] {
            assert_eq!(like(pattern, text), expected, "{pattern} ~ {text}");
        }
    }
}
