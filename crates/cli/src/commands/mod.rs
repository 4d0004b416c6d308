//! One module per command group.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod coverage;
pub mod credit;
pub mod demo;
pub mod enterprises;
pub mod feed;
pub mod funds;
pub mod groups;
pub mod guarantees;
pub mod households;
pub mod import;
pub mod indicators;
pub mod insurance;
pub mod ledger;
pub mod listings;
pub mod loan_requests;
pub mod loans;
pub mod regions;
pub mod returns;
pub mod schedule;
pub mod serve;
pub mod totals;
pub mod user;

use std::process::ExitCode;

use anyhow::Context as _;
use fupin_app::{Actor, Ctx, Db};

use crate::{Cli, Command};

/// Runs a parsed command line. A command on the database closes it however it ends (on SQLite
/// with the write-ahead log moved into the file), so that a stopped Fupin leaves one
/// self-contained database file.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = match cli.command {
        Command::Schedule(args) => return schedule::run(args),
        Command::Backup(args) => return backup::backup(&cli.db, args).await,
        Command::Restore(args) => return backup::restore(&cli.db, args).await,
        command => command,
    };
    let db = open(&cli.db).await?;
    let outcome = run_on(&db, command).await;
    db.close().await;
    outcome
}

/// Runs a command that works on the open database.
async fn run_on(db: &Db, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Init => init(db).await,
        Command::Regions(command) => regions::run(db, command).await,
        Command::Audit(command) => audit::run(db, command).await,
        Command::Import(args) => import::run(db, args).await,
        Command::Ledger(command) => ledger::run(db, command).await,
        Command::Totals(command) => totals::run(db, command).await,
        Command::Indicators(args) => indicators::run(db, args).await,
        Command::Report(args) => indicators::report(db, args).await,
        Command::Returns(command) => returns::run(db, command).await,
        Command::Reported(command) => returns::reported(db, command).await,
        Command::Products(command) => loans::products(db, command).await,
        Command::Loans(command) => loans::run(db, command).await,
        Command::Scorecards(command) => credit::scorecards(db, command).await,
        Command::Credit(command) => credit::run(db, command).await,
        Command::Eod(args) => loans::eod(db, args).await,
        Command::Alerts(command) => alerts::run(db, command).await,
        Command::Funds(command) => funds::run(db, command).await,
        Command::Subsidy(command) => funds::subsidy(db, command).await,
        Command::Risk(command) => funds::risk(db, command).await,
        Command::Insurance(command) => insurance::run(db, command).await,
        Command::Guarantees(command) => guarantees::run(db, command).await,
        Command::Coverage(command) => coverage::run(db, command).await,
        Command::Groups(command) => groups::run(db, command).await,
        Command::Institutions(command) => listings::institutions(db, command).await,
        Command::Assignments(command) => listings::assignments(db, command).await,
        Command::ServicePoints(command) => listings::service_points(db, command).await,
        Command::Households(command) => households::run(db, command).await,
        Command::Feed(args) => feed::run(db, args).await,
        Command::Enterprises(command) => enterprises::run(db, command).await,
        Command::Serve(args) => serve::run(db.clone(), args).await,
        Command::Demo(args) => demo::run(db.clone(), args).await,
        Command::User(command) => user::run(db, command).await,
        Command::Schedule(_) | Command::Backup(_) | Command::Restore(_) => {
            unreachable!("run handles the commands that open no database, or their own")
        }
    }
}

/// Opens the database, migrating it to the current schema.
pub async fn open(url: &str) -> anyhow::Result<Db> {
    Ok(Db::open(url).await?)
}

/// The context of a command-line invocation: the local operator, now.
pub fn operator_ctx() -> Ctx {
    let os_user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    Ctx {
        actor: Actor::operator(&os_user),
        now: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        request_id: Some(format!("cli-{}", std::process::id())),
    }
}

async fn init(db: &Db) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let counts = fupin_app::regions::load_reference_data(db, &ctx)
        .await
        .context("loading the built-in reference data")?;
    fupin_app::territory::load_builtin_groups(db, &ctx)
        .await
        .context("loading the built-in region groups")?;
    fupin_app::indicators::load_builtin(db, &ctx)
        .await
        .context("loading the built-in indicators")?;
    println!(
        "database {} ({}) is ready: regions added {}, changed {}, unchanged {}",
        db.url(),
        db.engine().as_str(),
        counts.added,
        counts.changed,
        counts.unchanged
    );
    Ok(ExitCode::SUCCESS)
}
