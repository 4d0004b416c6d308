//! One module per command group.

pub mod audit;
pub mod backup;
pub mod coverage;
pub mod credit;
pub mod demo;
pub mod enterprises;
pub mod feed;
pub mod funds;
pub mod groups;
pub mod households;
pub mod import;
pub mod indicators;
pub mod ledger;
pub mod listings;
pub mod loans;
pub mod regions;
pub mod returns;
pub mod schedule;
pub mod serve;
pub mod user;

use std::process::ExitCode;

use anyhow::Context as _;
use fupin_app::{Actor, Ctx, Db};

use crate::{Cli, Command};

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init => init(&cli.db).await,
        Command::Regions(command) => regions::run(&open(&cli.db).await?, command).await,
        Command::Audit(command) => audit::run(&open(&cli.db).await?, command).await,
        Command::Import(args) => import::run(&open(&cli.db).await?, args).await,
        Command::Ledger(command) => ledger::run(&open(&cli.db).await?, command).await,
        Command::Indicators(args) => indicators::run(&open(&cli.db).await?, args).await,
        Command::Report(args) => indicators::report(&open(&cli.db).await?, args).await,
        Command::Returns(command) => returns::run(&open(&cli.db).await?, command).await,
        Command::Reported(command) => returns::reported(&open(&cli.db).await?, command).await,
        Command::Products(command) => loans::products(&open(&cli.db).await?, command).await,
        Command::Loans(command) => loans::run(&open(&cli.db).await?, command).await,
        Command::Scorecards(command) => credit::scorecards(&open(&cli.db).await?, command).await,
        Command::Credit(command) => credit::run(&open(&cli.db).await?, command).await,
        Command::Eod(args) => loans::eod(&open(&cli.db).await?, args).await,
        Command::Funds(command) => funds::run(&open(&cli.db).await?, command).await,
        Command::Subsidy(command) => funds::subsidy(&open(&cli.db).await?, command).await,
        Command::Risk(command) => funds::risk(&open(&cli.db).await?, command).await,
        Command::Coverage(command) => coverage::run(&open(&cli.db).await?, command).await,
        Command::Groups(command) => groups::run(&open(&cli.db).await?, command).await,
        Command::Institutions(command) => {
            listings::institutions(&open(&cli.db).await?, command).await
        }
        Command::Assignments(command) => {
            listings::assignments(&open(&cli.db).await?, command).await
        }
        Command::ServicePoints(command) => {
            listings::service_points(&open(&cli.db).await?, command).await
        }
        Command::Households(command) => households::run(&open(&cli.db).await?, command).await,
        Command::Feed(args) => feed::run(&open(&cli.db).await?, args).await,
        Command::Enterprises(command) => enterprises::run(&open(&cli.db).await?, command).await,
        Command::Serve(args) => serve::run(open(&cli.db).await?, args).await,
        Command::Demo(args) => demo::run(open(&cli.db).await?, args).await,
        Command::User(command) => user::run(&open(&cli.db).await?, command).await,
        Command::Schedule(args) => schedule::run(args),
        Command::Backup(args) => backup::backup(&cli.db, args).await,
        Command::Restore(args) => backup::restore(&cli.db, args).await,
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

async fn init(url: &str) -> anyhow::Result<ExitCode> {
    let db = open(url).await?;
    let ctx = operator_ctx();
    let counts = fupin_app::regions::load_reference_data(&db, &ctx)
        .await
        .context("loading the built-in reference data")?;
    fupin_app::territory::load_builtin_groups(&db, &ctx)
        .await
        .context("loading the built-in region groups")?;
    fupin_app::indicators::load_builtin(&db, &ctx)
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
