//! `fupin loans request-renewal|request-extension|refuse-request|requests|maturity-wall`:
//! borrowers' renewal (续贷) and extension (展期) requests, and the maturity wall.

use std::process::ExitCode;

use clap::Args;
use fupin_app::Db;
use fupin_app::loans::maturity;
use fupin_app::loans::requests::{self, RequestKind};
use fupin_core::{BusinessDate, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Args)]
pub struct RequestArgs {
    #[arg(long)]
    institution: String,
    #[arg(long)]
    contract: String,
    /// The day the borrower asked.
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    /// What the borrower gave as reason (at most 500 characters).
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, Args)]
pub struct RefuseArgs {
    #[arg(long)]
    institution: String,
    #[arg(long)]
    contract: String,
    /// renewal (续贷) or extension (展期).
    #[arg(long, value_parser = parse_kind)]
    kind: RequestKind,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
}

#[derive(Debug, Args)]
pub struct RequestListArgs {
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// pending (default), granted, refused or all.
    #[arg(long, default_value = "pending")]
    status: String,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct WallArgs {
    /// The wall covers the 24 months after this date's month.
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn parse_kind(text: &str) -> Result<RequestKind, String> {
    RequestKind::parse(text).ok_or_else(|| format!("{text:?}: must be renewal or extension"))
}

pub async fn record(db: &Db, kind: RequestKind, args: RequestArgs) -> anyhow::Result<ExitCode> {
    let (request, new) = requests::record(
        db,
        &operator_ctx(),
        (&args.institution, &args.contract),
        kind,
        args.on,
        args.note.as_deref(),
    )
    .await?;
    let how = if new { "recorded" } else { "already recorded" };
    println!(
        "{how}: {} request {} of {}/{} on {}, pending",
        request.kind, request.seq, args.institution, args.contract, request.requested_on
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn refuse(db: &Db, args: RefuseArgs) -> anyhow::Result<ExitCode> {
    let request = requests::refuse(
        db,
        &operator_ctx(),
        (&args.institution, &args.contract),
        args.kind,
        args.on,
    )
    .await?;
    println!(
        "refused: {} request {} of {}/{} on {}",
        request.kind, request.seq, args.institution, args.contract, args.on
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn list(db: &Db, args: RequestListArgs) -> anyhow::Result<ExitCode> {
    let status = (args.status != "all").then_some(args.status.as_str());
    let found = requests::list_for(db, &operator_ctx(), args.region, status).await?;
    let mut listing = Listing::new(vec![
        "institution_code",
        "contract_no",
        "borrower_type",
        "borrower_id",
        "borrower_name",
        "village_code",
        "maturity_on",
        "kind",
        "requested_on",
        "status",
        "decided_on",
        "note",
    ]);
    for r in found {
        listing.push(vec![
            Some(r.institution_code),
            Some(r.contract_no),
            Some(r.borrower_type),
            Some(r.borrower_id),
            Some(r.borrower_name),
            Some(r.village_code),
            Some(r.maturity_on.to_string()),
            Some(r.request.kind),
            Some(r.request.requested_on.to_string()),
            Some(r.request.status),
            r.request.decided_on.map(|d| d.to_string()),
            r.request.note,
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub async fn wall(db: &Db, args: WallArgs) -> anyhow::Result<ExitCode> {
    let wall = maturity::wall_for(db, &operator_ctx(), args.region, args.on).await?;
    let mut listing = Listing::new(vec!["month", "county_code", "principal"]);
    for cell in wall.cells {
        listing.push(vec![
            Some(cell.month),
            Some(cell.county_code),
            Some(cell.principal.to_plain_yuan()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
