//! `fupin households list|show` — the registry as of a date.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::registry::{self, HouseholdDetail, HouseholdQuery};
use fupin_core::{BusinessDate, RegionCode};
use serde_json::json;

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum HouseholdsCommand {
    /// The households in the registry on a date, one row per household, with the head.
    List(ListArgs),
    /// One household and its members on a date.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The date the registry is read as of (YYYY-MM-DD; default: today).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    /// Only villages at or under this region code.
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// Only the townships this institution is responsible for today.
    #[arg(long)]
    institution: Option<String>,
    /// At most this many households (default and maximum 100,000).
    #[arg(long)]
    limit: Option<i64>,
    /// Show ID numbers in full instead of masked (the read is recorded in the audit trail).
    #[arg(long)]
    show_ids: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The household id (户编号).
    id: String,
    /// The date the household is shown as of (YYYY-MM-DD; default: today).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    /// Show ID numbers in full instead of masked (the read is recorded in the audit trail).
    #[arg(long)]
    show_ids: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Today's business date, in China whatever this machine's time zone (the same function as the
/// web's): the edge reads the clock, the use cases never do.
pub fn today() -> BusinessDate {
    BusinessDate::in_china_at(chrono::Utc::now())
        .expect("the clock reads a date between 1900 and 2200")
}

pub async fn run(db: &Db, command: HouseholdsCommand) -> anyhow::Result<ExitCode> {
    match command {
        HouseholdsCommand::List(args) => list(db, args).await,
        HouseholdsCommand::Show(args) => show(db, args).await,
    }
}

async fn list(db: &Db, args: ListArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let today = today();
    let query = HouseholdQuery {
        as_of: args.as_of.unwrap_or(today),
        region: args.region,
        institution: args.institution,
        limit: args.limit,
        show_ids: args.show_ids,
        today,
    };
    let households = registry::list_households(db, &ctx, &query).await?;
    let mut listing = Listing::new(vec![
        "household_id",
        "village_code",
        "status",
        "exited_year",
        "poverty_attribute",
        "main_cause",
        "other_causes",
        "identified_on",
        "per_capita_income",
        "members",
        "head_name",
        "head_id_number",
    ]);
    for household in households {
        let facts = household.version.facts;
        listing.push(vec![
            Some(household.version.household_id),
            Some(facts.village_code.to_string()),
            Some(facts.status),
            facts.exited_year.map(|year| year.to_string()),
            Some(facts.poverty_attribute),
            Some(facts.main_cause),
            Some(facts.other_causes.join(";")),
            Some(facts.identified_on.to_string()),
            Some(facts.per_capita_income.to_plain_yuan()),
            Some(household.members.to_string()),
            household.head_name,
            household.head_id_number,
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn show(db: &Db, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let today = today();
    let as_of = args.as_of.unwrap_or(today);
    let detail = registry::show_household(db, &ctx, &args.id, as_of, args.show_ids, today).await?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &detail_json(&detail))?;
            println!();
        }
        Format::Csv => member_listing(&detail).write(Format::Csv, &mut out)?,
        Format::Table => {
            let mut fields = Listing::new(vec!["field", "value"]);
            for (field, value) in detail_fields(&detail) {
                fields.push(vec![Some(field.to_string()), value]);
            }
            fields.write(Format::Table, &mut out)?;
            if !detail.members.is_empty() {
                println!();
                member_listing(&detail).write(Format::Table, &mut out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the household stands on the date, in words.
fn standing(detail: &HouseholdDetail) -> String {
    match (&detail.version, detail.identity.removed_on) {
        (Some(_), _) => "in the registry".to_string(),
        (None, Some(removed)) if removed <= detail.as_of => format!("removed on {removed}"),
        (None, _) => format!(
            "not yet in the registry (from {})",
            detail.identity.added_on
        ),
    }
}

fn detail_fields(detail: &HouseholdDetail) -> Vec<(&'static str, Option<String>)> {
    let mut fields = vec![
        ("household_id", Some(detail.identity.household_id.clone())),
        ("as_of", Some(detail.as_of.to_string())),
        ("standing", Some(standing(detail))),
    ];
    if let Some(version) = &detail.version {
        let facts = &version.facts;
        fields.extend([
            ("village_code", Some(facts.village_code.to_string())),
            ("poverty_attribute", Some(facts.poverty_attribute.clone())),
            ("main_cause", Some(facts.main_cause.clone())),
            ("other_causes", Some(facts.other_causes.join(";"))),
            ("status", Some(facts.status.clone())),
            (
                "exited_year",
                facts.exited_year.map(|year| year.to_string()),
            ),
            ("identified_on", Some(facts.identified_on.to_string())),
            (
                "per_capita_income",
                Some(facts.per_capita_income.to_plain_yuan()),
            ),
            ("version_from", Some(version.valid_from.to_string())),
            ("version_to", version.valid_to.map(|d| d.to_string())),
        ]);
    }
    fields
}

fn member_listing(detail: &HouseholdDetail) -> Listing {
    let mut listing = Listing::new(vec![
        "household_id",
        "name",
        "id_number",
        "relation",
        "sex",
        "birth_date",
        "died_on",
        "labour",
        "phone",
        "member_from",
    ]);
    for version in &detail.members {
        let member = &version.member;
        listing.push(vec![
            Some(version.household_id.clone()),
            Some(member.name.clone()),
            Some(member.id_number.clone()),
            Some(member.relation.clone()),
            Some(member.sex.clone()),
            Some(member.birth_date.to_string()),
            member.died_on.map(|d| d.to_string()),
            Some(member.labour.clone()),
            member.phone.clone(),
            Some(version.valid_from.to_string()),
        ]);
    }
    listing
}

fn detail_json(detail: &HouseholdDetail) -> serde_json::Value {
    let household = detail.version.as_ref().map(|version| {
        registry::household_json(
            &version.household_id,
            &version.facts,
            detail.members.iter().map(|m| &m.member),
            false,
        )
    });
    json!({
        "household_id": detail.identity.household_id,
        "as_of": detail.as_of.to_string(),
        "standing": standing(detail),
        "added_on": detail.identity.added_on.to_string(),
        "removed_on": detail.identity.removed_on.map(|d| d.to_string()),
        "household": household,
        "versions": detail.periods.iter().map(|(from, to)| json!({
            "valid_from": from.to_string(),
            "valid_to": to.map(|d| d.to_string()),
        })).collect::<Vec<_>>(),
    })
}
