//! `fupin regions …`

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::regions::RegionQuery;
use fupin_core::{BusinessDate, RegionCode, RegionLevel};

use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum RegionsCommand {
    /// List regions, in code order.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this level: province, city, county, township or village.
    #[arg(long, value_parser = parse_level)]
    level: Option<RegionLevel>,
    /// Only regions at or under this code (6, 9 or 12 digits).
    #[arg(long, value_parser = parse_region)]
    within: Option<RegionCode>,
    /// Only codes in use on this date (YYYY-MM-DD); default: every code, with its validity.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn run(db: &Db, command: RegionsCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegionsCommand::List(args) => list(db, args).await,
    }
}

async fn list(db: &Db, args: ListArgs) -> anyhow::Result<ExitCode> {
    let query = RegionQuery {
        level: args.level,
        within: args.within,
        as_of: args.as_of,
        limit: None,
    };
    let regions = fupin_app::regions::list(db, &query).await?;
    let mut listing = Listing::new(vec![
        "code",
        "name",
        "name_en",
        "level",
        "parent_code",
        "population",
        "poverty_county",
        "valid_from",
        "valid_to",
        "successor_code",
    ]);
    for region in regions {
        listing.push(vec![
            Some(region.code.to_string()),
            Some(region.name.clone()),
            region.name_en.clone(),
            Some(region.level().as_str().to_string()),
            region.parent_code.map(|c| c.to_string()),
            region.population.map(|p| p.to_string()),
            Some(region.poverty_county.to_string()),
            region.valid_from.map(|d| d.to_string()),
            region.valid_to.map(|d| d.to_string()),
            region.successor_code.map(|c| c.to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub fn parse_level(text: &str) -> Result<RegionLevel, String> {
    RegionLevel::parse(text).map_err(|e| e.to_string())
}

pub fn parse_region(text: &str) -> Result<RegionCode, String> {
    RegionCode::parse(text).map_err(|e| e.to_string())
}

pub fn parse_date(text: &str) -> Result<BusinessDate, String> {
    BusinessDate::parse(text).map_err(|e| e.to_string())
}
