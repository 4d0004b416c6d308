//! `fupin ledger check|balance|transfers`

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_core::BusinessDate;

use super::regions::parse_date;
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute every cached balance from the transfers; verify debits equal credits.
    Check,
    /// An account's balance, now or at the end of a date.
    Balance(BalanceArgs),
    /// An account's transfers in posting order.
    Transfers(TransfersArgs),
}

#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// Account code, e.g. `fund:361128000000:subsidy`.
    account: String,
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
}

#[derive(Debug, Args)]
pub struct TransfersArgs {
    account: String,
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn run(db: &Db, command: LedgerCommand) -> anyhow::Result<ExitCode> {
    match command {
        LedgerCommand::Check => check(db).await,
        LedgerCommand::Balance(args) => balance(db, args).await,
        LedgerCommand::Transfers(args) => transfers(db, args).await,
    }
}

async fn check(db: &Db) -> anyhow::Result<ExitCode> {
    let report = fupin_app::ledger::check(db).await?;
    for mismatch in &report.mismatches {
        println!(
            "MISMATCH {}: stored debits {} credits {}, transfers give debits {} credits {}",
            mismatch.what,
            mismatch.stored.debits,
            mismatch.stored.credits,
            mismatch.recomputed.debits,
            mismatch.recomputed.credits
        );
    }
    if report.mismatches_unlisted > 0 {
        println!(
            "MISMATCH … and {} more, not listed",
            report.mismatches_unlisted
        );
    }
    for account in &report.overdrawn {
        println!("OVERDRAWN {account}");
    }
    println!(
        "{} accounts, {} transfers; debits {} = credits {}: {}",
        report.accounts,
        report.transfers,
        report.debits_total,
        report.credits_total,
        if report.is_clean() {
            "ledger consistent"
        } else {
            "LEDGER INCONSISTENT"
        }
    );
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn balance(db: &Db, args: BalanceArgs) -> anyhow::Result<ExitCode> {
    let (account, balance) = fupin_app::ledger::balance(db, &args.account, args.as_of).await?;
    let when = args
        .as_of
        .map_or("now".to_string(), |d| format!("at the end of {d}"));
    println!(
        "{} ({}-normal, {}): {balance} {when}",
        account.code,
        account.normal_side.as_str(),
        account.kind
    );
    Ok(ExitCode::SUCCESS)
}

async fn transfers(db: &Db, args: TransfersArgs) -> anyhow::Result<ExitCode> {
    let (account, transfers) = fupin_app::ledger::transfers(db, &args.account, args.limit).await?;
    let mut listing = Listing::new(vec![
        "seq",
        "id",
        "value_date",
        "code",
        "side",
        "amount",
        "posted_by",
    ]);
    for t in transfers {
        let side = if t.transfer.debit_account_id == account.id {
            "debit"
        } else {
            "credit"
        };
        listing.push(vec![
            Some(t.seq.to_string()),
            Some(t.transfer.id),
            Some(t.transfer.value_date.to_string()),
            Some(t.transfer.code),
            Some(side.to_string()),
            Some(t.transfer.amount.to_plain_yuan()),
            Some(t.posted_by),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
