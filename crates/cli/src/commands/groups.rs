//! `fupin groups list|show|save`

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::territory::{Membership, RegionGroup};
use fupin_core::{BusinessDate, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Every group with its membership periods.
    List(FormatArgs),
    /// The regions of a group on a date.
    Show(ShowArgs),
    /// Create or replace a user-defined group.
    Save(SaveArgs),
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    name: String,
    #[arg(long, value_parser = parse_date)]
    as_of: BusinessDate,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Short name, e.g. `eastern-counties`.
    name: String,
    /// Title shown in reports.
    #[arg(long)]
    title: String,
    /// Member region codes (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = parse_region, required = true)]
    members: Vec<RegionCode>,
    /// Membership starts on this date.
    #[arg(long, value_parser = parse_date)]
    from: BusinessDate,
    /// Membership ends on this date (exclusive).
    #[arg(long, value_parser = parse_date)]
    to: Option<BusinessDate>,
}

pub async fn run(db: &Db, command: GroupsCommand) -> anyhow::Result<ExitCode> {
    match command {
        GroupsCommand::List(args) => list(db, args).await,
        GroupsCommand::Show(args) => show(db, args).await,
        GroupsCommand::Save(args) => save(db, args).await,
    }
}

async fn list(db: &Db, args: FormatArgs) -> anyhow::Result<ExitCode> {
    let mut listing = Listing::new(vec![
        "group",
        "title",
        "builtin",
        "region_code",
        "valid_from",
        "valid_to",
    ]);
    for (group, members) in fupin_app::territory::list_groups(db).await? {
        for member in members {
            listing.push(vec![
                Some(group.name.clone()),
                Some(group.title.clone()),
                Some(group.builtin.to_string()),
                Some(member.region_code.to_string()),
                Some(member.valid_from.to_string()),
                member.valid_to.map(|d| d.to_string()),
            ]);
        }
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn show(db: &Db, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let members = fupin_app::territory::group_members_on(db, &args.name, args.as_of).await?;
    let mut listing = Listing::new(vec!["region_code", "name"]);
    for code in members {
        let name = fupin_app::regions::get(db, code).await?.map(|r| r.name);
        listing.push(vec![Some(code.to_string()), name]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn save(db: &Db, args: SaveArgs) -> anyhow::Result<ExitCode> {
    let group = RegionGroup {
        name: args.name.clone(),
        title: args.title,
        title_en: None,
        builtin: false,
        description: None,
    };
    let members: Vec<Membership> = args
        .members
        .iter()
        .map(|&region_code| Membership {
            region_code,
            valid_from: args.from,
            valid_to: args.to,
        })
        .collect();
    fupin_app::territory::save_group(db, &operator_ctx(), &group, &members).await?;
    println!("group {} saved with {} members", args.name, members.len());
    Ok(ExitCode::SUCCESS)
}
