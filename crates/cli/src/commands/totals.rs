//! `fupin totals check|rebuild`: the running totals of the registry and credit coverage.

use std::process::ExitCode;

use clap::Subcommand;
use fupin_app::Db;

#[derive(Debug, Subcommand)]
pub enum TotalsCommand {
    /// Recompute the running totals from households, members, credit files and lines; name
    /// every difference (village, day, measure, stored, recomputed).
    Check,
    /// Recompute and store the running totals of every village (one transaction).
    Rebuild,
}

pub async fn run(db: &Db, command: TotalsCommand) -> anyhow::Result<ExitCode> {
    match command {
        TotalsCommand::Check => check(db).await,
        TotalsCommand::Rebuild => {
            let villages = fupin_app::totals::rebuild(db).await?;
            println!("registry totals rebuilt: {villages} villages");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn check(db: &Db) -> anyhow::Result<ExitCode> {
    let report = fupin_app::totals::check(db).await?;
    for d in &report.differences {
        println!(
            "MISMATCH village {} day {} {}: stored {}, recomputed {}",
            d.village_code, d.day, d.measure, d.stored, d.recomputed
        );
    }
    if report.unlisted > 0 {
        println!("MISMATCH … and {} more, not listed", report.unlisted);
    }
    println!(
        "{} villages, {} stored rows: {}",
        report.villages,
        report.rows,
        if report.is_clean() {
            "totals consistent"
        } else {
            "TOTALS INCONSISTENT"
        }
    );
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
