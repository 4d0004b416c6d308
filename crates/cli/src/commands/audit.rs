//! `fupin audit …`

use std::process::ExitCode;

use clap::Subcommand;
use fupin_app::Db;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain of every audit record; name any record edited or deleted.
    Verify,
}

pub async fn run(db: &Db, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => verify(db).await,
    }
}

async fn verify(db: &Db) -> anyhow::Result<ExitCode> {
    let report = fupin_app::audit::verify(db).await?;
    if report.problems.is_empty() {
        println!("audit trail intact: {} records verified", report.records);
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &report.problems {
        println!("TAMPERED: {problem}");
    }
    println!(
        "audit trail broken: {} problems in {} records",
        report.problems.len(),
        report.records
    );
    Ok(ExitCode::FAILURE)
}
