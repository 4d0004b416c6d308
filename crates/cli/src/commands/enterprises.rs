//! `fupin enterprises summary|list` — enterprises and the households they lift.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::registry;
use fupin_core::{BusinessDate, RegionCode};

use super::households::today;
use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum EnterprisesCommand {
    /// Enterprises by kind and the households and people they lift, in a region on a date.
    Summary(SummaryArgs),
    /// Enterprises of a region, in credit-code order.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The region (county, township, village… code) whose enterprises are counted.
    #[arg(long, value_parser = parse_region)]
    region: RegionCode,
    /// The date the figures describe (YYYY-MM-DD; default: today).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only enterprises located at or under this region code.
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// At most this many rows (default and maximum 100,000).
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn run(db: &Db, command: EnterprisesCommand) -> anyhow::Result<ExitCode> {
    match command {
        EnterprisesCommand::Summary(args) => summary(db, args).await,
        EnterprisesCommand::List(args) => list(db, args).await,
    }
}

async fn summary(db: &Db, args: SummaryArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let as_of = args.as_of.unwrap_or_else(today);
    let summary = registry::enterprise_summary(db, &ctx, Some(args.region), as_of).await?;
    let mut listing = Listing::new(vec![
        "kind",
        "enterprises",
        "links",
        "households_lifted",
        "people_lifted",
    ]);
    for kind in &summary.by_kind {
        listing.push(vec![
            Some(kind.kind.clone()),
            Some(kind.enterprises.to_string()),
            Some(kind.links.to_string()),
            Some(kind.households.to_string()),
            Some(kind.people.to_string()),
        ]);
    }
    // Households and people lifted by several enterprises count once in the total.
    listing.push(vec![
        Some("total".to_string()),
        Some(summary.enterprises().to_string()),
        Some(
            summary
                .by_kind
                .iter()
                .map(|k| k.links)
                .sum::<i64>()
                .to_string(),
        ),
        Some(summary.households_lifted.to_string()),
        Some(summary.people_lifted.to_string()),
    ]);
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn list(db: &Db, args: ListArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let enterprises = registry::list_enterprises(db, &ctx, args.region, args.limit).await?;
    let mut listing = Listing::new(vec![
        "credit_code",
        "name",
        "kind",
        "industry",
        "village_code",
        "leading_level",
        "listed_on",
    ]);
    for enterprise in enterprises {
        listing.push(vec![
            Some(enterprise.credit_code),
            Some(enterprise.name),
            Some(enterprise.kind),
            Some(enterprise.industry),
            Some(enterprise.village_code.to_string()),
            enterprise.leading_level,
            Some(enterprise.listed_on.to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
