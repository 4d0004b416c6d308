//! `fupin indicators`: evaluate, list definitions, define.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::indicators::{self, Request, Scope, Value, format_unit};
use fupin_core::{BusinessDate, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct IndicatorsArgs {
    #[command(subcommand)]
    command: Option<IndicatorsCommand>,
    #[command(flatten)]
    evaluate: EvaluateArgs,
}

#[derive(Debug, Subcommand)]
pub enum IndicatorsCommand {
    /// Every indicator's definition: code, names, unit, formula.
    Definitions(FormatArgs),
    /// Define or redefine an indicator (its formula may use other indicators and measures).
    Define(DefineArgs),
    /// The measures formulas may use.
    Measures,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The date the figures describe.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    /// A region (county, city, …).
    #[arg(long, value_parser = parse_region, conflicts_with = "group")]
    region: Option<RegionCode>,
    /// A region group, e.g. state-poverty-counties.
    #[arg(long)]
    group: Option<String>,
    /// Only this institution's part (returns, ledger and loan measures).
    #[arg(long)]
    institution: Option<String>,
    /// Only these indicators (comma-separated codes).
    #[arg(long, value_delimiter = ',')]
    codes: Option<Vec<String>>,
    /// Base date for increases and growth (default: the last day of the previous year).
    #[arg(long, value_parser = parse_date)]
    base: Option<BusinessDate>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct DefineArgs {
    code: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    name_en: String,
    /// yuan, count, percent or pp.
    #[arg(long)]
    unit: String,
    #[arg(long)]
    formula: String,
    #[arg(long)]
    numerator: Option<String>,
    #[arg(long)]
    denominator: Option<String>,
    /// Report section: territory, registry, loans, funds, industry or returns.
    #[arg(long, default_value = "other")]
    section: String,
}

pub async fn run(db: &Db, args: IndicatorsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(IndicatorsCommand::Definitions(format)) => definitions(db, format.format).await,
        Some(IndicatorsCommand::Define(define)) => define_one(db, define).await,
        Some(IndicatorsCommand::Measures) => {
            for (measure, meaning) in indicators::measures::MEASURES {
                println!("{measure:<40} {meaning}");
            }
            Ok(ExitCode::SUCCESS)
        }
        None => evaluate(db, args.evaluate).await,
    }
}

/// The request of `fupin indicators --as-of … (--region | --group)`.
pub fn request(args: &EvaluateArgs) -> anyhow::Result<Request> {
    let as_of = args
        .as_of
        .ok_or_else(|| anyhow::anyhow!("--as-of DATE is required"))?;
    let scope = match (&args.region, &args.group) {
        (Some(region), None) => Scope::Region(*region),
        (None, Some(group)) => Scope::Group(group.clone()),
        _ => anyhow::bail!("give --region CODE or --group NAME"),
    };
    Ok(Request {
        scope,
        as_of,
        base: args.base,
        institution: args.institution.clone(),
        codes: args.codes.clone(),
    })
}

async fn evaluate(db: &Db, args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let request = request(&args)?;
    let values = indicators::evaluate(db, &operator_ctx(), &request).await?;
    listing(&values).write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// The evaluated indicators as rows: value, numerator, denominator, reported value and flag.
pub fn listing(values: &[Value]) -> Listing {
    let mut listing = Listing::new(vec![
        "code",
        "name",
        "name_en",
        "unit",
        "value",
        "numerator",
        "denominator",
        "reported",
        "reported_source",
        "differs",
        "problem",
    ]);
    for value in values {
        let unit = value.indicator.unit.as_str();
        // A rate's numerator and denominator are amounts or counts: shown with two decimals.
        let part = |v: Option<rust_decimal::Decimal>| {
            v.map(|v| format_unit(v, if unit == "count" { "count" } else { "yuan" }))
        };
        listing.push(vec![
            Some(value.indicator.code.clone()),
            Some(value.indicator.name.clone()),
            Some(value.indicator.name_en.clone()),
            Some(unit.to_string()),
            value.text(),
            part(value.numerator),
            part(value.denominator),
            value
                .reported
                .as_ref()
                .map(|r| format!("{} {}", r.value, r.unit)),
            value.reported.as_ref().map(|r| r.source.clone()),
            value.reported.as_ref().map(|r| r.differs.to_string()),
            value.problem.clone(),
        ]);
    }
    listing
}

async fn definitions(db: &Db, format: Format) -> anyhow::Result<ExitCode> {
    let mut listing = Listing::new(vec![
        "code",
        "name",
        "name_en",
        "unit",
        "section",
        "formula",
        "numerator",
        "denominator",
        "builtin",
    ]);
    for i in indicators::definitions_for(db, &operator_ctx()).await? {
        listing.push(vec![
            Some(i.code),
            Some(i.name),
            Some(i.name_en),
            Some(i.unit),
            Some(i.section),
            Some(i.formula),
            i.numerator,
            i.denominator,
            Some(i.builtin.to_string()),
        ]);
    }
    listing.write(format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn define_one(db: &Db, args: DefineArgs) -> anyhow::Result<ExitCode> {
    let indicator = fupin_app::indicators::Indicator {
        code: args.code.clone(),
        name: args.name,
        name_en: args.name_en,
        unit: args.unit,
        formula: args.formula,
        numerator: args.numerator,
        denominator: args.denominator,
        section: args.section,
        description: None,
        builtin: false,
    };
    indicators::define(db, &operator_ctx(), &indicator).await?;
    println!("indicator {} saved", args.code);
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    scope: EvaluateArgs,
    /// The report file: .xlsx (one sheet per section, with charts), .csv or .json.
    #[arg(long)]
    output: std::path::PathBuf,
}

/// `fupin report`: the regulator's report for a region or group as of a date.
pub async fn report(db: &Db, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let request = request(&args.scope)?;
    let report = fupin_app::report::build(db, &operator_ctx(), &request).await?;
    fupin_app::report::write(&report, &args.output)?;
    let flagged = report
        .values
        .iter()
        .filter(|v| v.reported.as_ref().is_some_and(|r| r.differs))
        .count();
    println!(
        "report for {} as of {} written to {} ({} indicators, {} counties{})",
        report.title,
        request.as_of,
        args.output.display(),
        report.values.len(),
        report.counties.len(),
        if flagged > 0 {
            format!(", {flagged} reported figures differ from the data")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}
