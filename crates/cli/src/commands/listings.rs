//! `fupin institutions|assignments|service-points list`

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_core::RegionCode;

use super::regions::parse_region;
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// List, in code order.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only at or under this region code.
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// At most this many rows (default and maximum 100,000).
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn args(command: ListCommand) -> ListArgs {
    match command {
        ListCommand::List(args) => args,
    }
}

pub async fn institutions(db: &Db, command: ListCommand) -> anyhow::Result<ExitCode> {
    let args = args(command);
    let rows = fupin_app::territory::list_institutions(
        db,
        &super::operator_ctx(),
        args.region,
        args.limit,
    )
    .await?;
    let mut listing = Listing::new(vec![
        "code",
        "name",
        "name_en",
        "type",
        "parent_code",
        "region_code",
    ]);
    for i in rows {
        listing.push(vec![
            Some(i.code),
            Some(i.name),
            i.name_en,
            Some(i.kind),
            i.parent_code,
            Some(i.region_code.to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub async fn assignments(db: &Db, command: ListCommand) -> anyhow::Result<ExitCode> {
    let args = args(command);
    let rows =
        fupin_app::territory::list_assignments(db, &super::operator_ctx(), args.region, args.limit)
            .await?;
    let mut listing = Listing::new(vec![
        "township_code",
        "institution_code",
        "effective_from",
        "effective_to",
    ]);
    for a in rows {
        listing.push(vec![
            Some(a.township_code.to_string()),
            Some(a.institution_code),
            Some(a.effective_from.to_string()),
            a.effective_to.map(|d| d.to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub async fn service_points(db: &Db, command: ListCommand) -> anyhow::Result<ExitCode> {
    let args = args(command);
    let rows = fupin_app::territory::list_service_points(
        db,
        &super::operator_ctx(),
        args.region,
        args.limit,
    )
    .await?;
    let mut listing = Listing::new(vec![
        "id",
        "village_code",
        "institution_code",
        "kind",
        "services",
        "opened_on",
        "closed_on",
    ]);
    for p in rows {
        listing.push(vec![
            Some(p.id),
            Some(p.village_code.to_string()),
            Some(p.institution_code),
            Some(p.kind),
            Some(p.services.join(";")),
            Some(p.opened_on.to_string()),
            p.closed_on.map(|d| d.to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
