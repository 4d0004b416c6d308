//! The `fupin` command line: parses arguments, builds the context, calls `fupin-app`, prints.
//!
//! This is an edge: it may read the clock (to stamp audit records and default `--as-of`), the
//! environment and files; the use cases it calls do not.

mod commands;
mod live;
pub mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Fupin — the financial poverty-alleviation platform.
#[derive(Debug, Parser)]
#[command(name = "fupin", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Database URL: `sqlite:PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "FUPIN_DATABASE_URL",
        default_value = "sqlite:fupin.db"
    )]
    pub db: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or migrate the database and load the built-in reference data (harmless to repeat).
    Init,
    /// Regions: the statistical division hierarchy.
    #[command(subcommand)]
    Regions(commands::regions::RegionsCommand),
    /// Import an interchange file (CSV or XLSX; UTF-8 or GB18030; Chinese or English headers).
    Import(commands::import::ImportArgs),
    /// Coverage: townships with a responsible bank, villages with banking service.
    #[command(subcommand)]
    Coverage(commands::coverage::CoverageCommand),
    /// Region groups, e.g. the state-level poverty counties.
    #[command(subcommand)]
    Groups(commands::groups::GroupsCommand),
    /// Institutions (banks).
    #[command(subcommand)]
    Institutions(commands::listings::ListCommand),
    /// Township responsibility assignments (片区包干).
    #[command(subcommand)]
    Assignments(commands::listings::ListCommand),
    /// Village banking service points.
    #[command(subcommand, name = "service-points")]
    ServicePoints(commands::listings::ListCommand),
    /// The registry of poor households (建档立卡) as of a date.
    #[command(subcommand)]
    Households(commands::households::HouseholdsCommand),
    /// The registry's change feed: what changed after a sequence number.
    Feed(commands::feed::FeedArgs),
    /// Enterprises and the poor households they lift.
    #[command(subcommand)]
    Enterprises(commands::enterprises::EnterprisesCommand),
    /// Loan products.
    #[command(subcommand)]
    Products(commands::loans::ProductsCommand),
    /// Scorecards of credit ratings: factors, weights, grade thresholds and lines, versioned.
    #[command(subcommand)]
    Scorecards(commands::credit::ScorecardsCommand),
    /// Credit files (ratings, exemptions) and credit lines of households.
    #[command(subcommand)]
    Credit(commands::credit::CreditCommand),
    /// Loans: list, show, repay, extend, roll over, write off.
    #[command(subcommand)]
    Loans(commands::loans::LoansCommand),
    /// Supervisory alerts: list, show, answer, run for a date, export a work list, rules.
    #[command(subcommand)]
    Alerts(commands::alerts::AlertsCommand),
    /// End of day: charge interest due, overdue days, classification — for each day not yet done.
    Eod(commands::loans::EodArgs),
    /// Statistical returns (报表): list, show, approve, lock, reopen, correct; elements and rules.
    #[command(subcommand)]
    Returns(commands::returns::ReturnsCommand),
    /// Figures published elsewhere, kept beside the computed ones.
    #[command(subcommand)]
    Reported(commands::returns::ReportedCommand),
    /// County interest-subsidy and risk-compensation funds: figures, deposits, rules.
    #[command(subcommand)]
    Funds(commands::funds::FundsCommand),
    /// Interest-subsidy claims per county, institution and quarter.
    #[command(subcommand)]
    Subsidy(commands::funds::SubsidyCommand),
    /// Risk-compensation claims on defaulted covered loans.
    #[command(subcommand)]
    Risk(commands::funds::RiskCommand),
    /// Agriculture-related insurance: policies, claims, premium approvals, claim decisions.
    #[command(subcommand)]
    Insurance(commands::insurance::InsuranceCommand),
    /// Guarantors of loans, the county guarantee fund, guarantee companies and the loss
    /// waterfall (see docs/funds.md).
    #[command(subcommand)]
    Guarantees(commands::guarantees::GuaranteesCommand),
    /// The regulator's figures for a region or group as of a date (see `indicators --help`).
    Indicators(commands::indicators::IndicatorsArgs),
    /// The regulator's report as XLSX (sections, charts), CSV or JSON.
    Report(commands::indicators::ReportArgs),
    /// The double-entry ledger: consistency check, balances as of a date, transfers.
    #[command(subcommand)]
    Ledger(commands::ledger::LedgerCommand),
    /// Running totals of the registry and credit coverage: consistency check, rebuild.
    #[command(subcommand)]
    Totals(commands::totals::TotalsCommand),
    /// The audit trail of every write.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Serve the web pages and the JSON API.
    Serve(commands::serve::ServeArgs),
    /// Shangrao, June 2017, from the seed article: generate, load, serve (see `demo --help`).
    Demo(commands::demo::DemoArgs),
    /// User accounts of the web pages and API: add, list, token, disable.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// A loan's repayment schedule (pure calculation, no database).
    Schedule(commands::schedule::ScheduleArgs),
    /// Write an online, consistent copy of the SQLite database to a new file (PostgreSQL: pg_dump).
    Backup(commands::backup::BackupArgs),
    /// Replace the SQLite database with a checked backup; stop the server first.
    Restore(commands::backup::RestoreArgs),
}

/// Entry point of the binary: runs the command, prints one clear line on failure.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: warnings, and info from Fupin itself).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,fupin=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
