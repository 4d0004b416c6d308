//! `fupin coverage townships|villages`

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_core::{BusinessDate, RegionCode};

use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum CoverageCommand {
    /// Townships with and without a responsible institution; counts per institution and type.
    Townships(CoverageArgs),
    /// Villages with an outlet, with electronic equipment only, uncovered; the coverage rate.
    Villages(CoverageArgs),
    /// Three full coverage: townships with a bank, eligible households with a credit file and
    /// with a credit line; the work list of uncovered households.
    Credit(super::credit::CreditCoverageArgs),
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// The date the figures describe (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    as_of: BusinessDate,
    /// Only this region (a county, township… code); default: everything.
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn run(db: &Db, command: CoverageCommand) -> anyhow::Result<ExitCode> {
    match command {
        CoverageCommand::Townships(args) => townships(db, args).await,
        CoverageCommand::Villages(args) => villages(db, args).await,
        CoverageCommand::Credit(args) => super::credit::coverage(db, args).await,
    }
}

async fn townships(db: &Db, args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let coverage = fupin_app::territory::township_coverage(
        db,
        &super::operator_ctx(),
        args.as_of,
        args.region,
    )
    .await?;
    let mut listing = Listing::new(vec!["section", "key", "name", "type", "townships"]);
    let row = |section: &str, key: &str, name: &str, kind: &str, count: u64| {
        vec![
            Some(section.to_string()),
            Some(key.to_string()),
            Some(name.to_string()),
            Some(kind.to_string()),
            Some(count.to_string()),
        ]
    };
    listing.push(row("total", "all", "townships", "", coverage.total()));
    listing.push(row(
        "total",
        "assigned",
        "with a responsible institution",
        "",
        coverage.assigned(),
    ));
    listing.push(row(
        "total",
        "unassigned",
        "without",
        "",
        coverage.total() - coverage.assigned(),
    ));
    for (kind, count) in &coverage.by_type {
        listing.push(row("by_type", kind, "", kind, *count));
    }
    for (code, name, kind, count) in &coverage.by_institution {
        listing.push(row("by_institution", code, name, kind, *count));
    }
    for township in coverage.unassigned() {
        listing.push(row(
            "unassigned",
            &township.township_code.to_string(),
            &township.township_name,
            "",
            1,
        ));
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn villages(db: &Db, args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let coverage =
        fupin_app::territory::village_coverage(db, &super::operator_ctx(), args.as_of, args.region)
            .await?;
    let mut listing = Listing::new(vec!["section", "key", "name", "value"]);
    let row = |section: &str, key: &str, name: &str, value: String| {
        vec![
            Some(section.to_string()),
            Some(key.to_string()),
            Some(name.to_string()),
            Some(value),
        ]
    };
    listing.push(row(
        "total",
        "villages",
        "administrative villages",
        coverage.total.to_string(),
    ));
    listing.push(row(
        "total",
        "with_outlet",
        "with a physical outlet",
        coverage.with_outlet.to_string(),
    ));
    listing.push(row(
        "total",
        "electronic_only",
        "with electronic equipment only",
        coverage.electronic_only.to_string(),
    ));
    listing.push(row(
        "total",
        "mobile_only",
        "with mobile service only",
        coverage.mobile_only.to_string(),
    ));
    listing.push(row(
        "total",
        "uncovered",
        "without any service",
        coverage.uncovered.len().to_string(),
    ));
    listing.push(row(
        "total",
        "coverage_percent",
        "villages with service, %",
        coverage.rate_percent(),
    ));
    for (code, name) in &coverage.uncovered {
        listing.push(row("uncovered", &code.to_string(), name, String::new()));
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
