//! `fupin backup FILE` and `fupin restore FILE` (SQLite; PostgreSQL uses pg_dump/pg_restore).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use fupin_app::backup::{self, Verification};

use super::{open, operator_ctx};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write; it must not exist.
    file: PathBuf,
    /// Skip checking the copy (audit chain, ledger) before giving it its name.
    #[arg(long)]
    no_verify: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup written by `fupin backup`.
    file: PathBuf,
}

pub async fn backup(url: &str, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let db = open(url).await?;
    let summary = backup::backup(&db, &operator_ctx(), &args.file, !args.no_verify).await?;
    db.close().await;
    println!(
        "backup written to {} ({} bytes){}",
        summary.file.display(),
        summary.bytes,
        summary
            .verification
            .as_ref()
            .map_or(String::new(), |v| format!(": {}", describe(v)))
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(url: &str, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let suffix = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let summary = backup::restore(url, &operator_ctx(), &args.file, &suffix).await?;
    println!(
        "restored {} from {}: {}",
        summary.target.display(),
        args.file.display(),
        describe(&summary.verification)
    );
    if let Some(kept) = &summary.kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(verification: &Verification) -> String {
    format!(
        "schema version {}, audit trail intact ({} records), ledger consistent ({} accounts, {} \
         transfers)",
        verification.schema.latest_applied(),
        verification.audit_records,
        verification.ledger.accounts,
        verification.ledger.transfers
    )
}
