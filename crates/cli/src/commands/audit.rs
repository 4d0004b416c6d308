//! `fupin audit …`

use std::process::ExitCode;

use clap::Subcommand;
use fupin_app::Db;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain of every audit record; name any record edited or deleted.
    Verify,
    /// Print one record; for an import's batch record, every entry it holds.
    Show {
        /// The record's sequence number (as `audit verify` and the /audit page name it).
        seq: i64,
    },
}

pub async fn run(db: &Db, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => verify(db).await,
        AuditCommand::Show { seq } => show(db, seq).await,
    }
}

async fn show(db: &Db, seq: i64) -> anyhow::Result<ExitCode> {
    let ctx = super::operator_ctx();
    let record = fupin_app::audit::record(db, &ctx, seq).await?;
    let entry = &record.entry;
    println!("record {} at {} by {}", record.seq, entry.at, entry.actor);
    println!("request {}", entry.request_id.as_deref().unwrap_or("-"));
    println!("hash {} (after {})", record.hash, record.prev_hash);
    let entries = record.entries()?;
    if record.batch.is_some() {
        println!("batch of {} entries: {}", entries.len(), entry.entity_id);
    }
    for (number, entry) in entries.iter().enumerate() {
        println!(
            "{:>5}  {} {} {}",
            number + 1,
            entry.action,
            entry.entity,
            entry.entity_id
        );
        for (label, json) in [("before", &entry.before_json), ("after", &entry.after_json)] {
            if let Some(json) = json {
                println!("       {label} {json}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
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
