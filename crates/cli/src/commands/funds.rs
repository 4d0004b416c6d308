//! `fupin funds …`, `fupin subsidy …` and `fupin risk …`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::funds::{
    self, FundDeposit, LoanName, NamedClaimLine, NamedRiskClaim, RiskFundSettings,
};
use fupin_core::date::Quarter;
use fupin_core::{BusinessDate, Fen, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum FundsCommand {
    /// Fund figures of a region (its counties) as of a date.
    Show(ShowArgs),
    /// Record a deposit into a county fund (a repeated id is recorded once).
    Deposit(DepositArgs),
    /// Set a county's risk-compensation rules from a date.
    RiskSettings(RiskSettingsArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A county, the city, or any region whose counties to add up.
    #[arg(long, value_parser = parse_region, required_unless_present = "group", conflicts_with = "group")]
    region: Option<RegionCode>,
    /// A region group whose members on the date to add up, e.g. state-poverty-counties.
    #[arg(long)]
    group: Option<String>,
    #[arg(long, value_parser = parse_date)]
    as_of: BusinessDate,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct DepositArgs {
    #[arg(long)]
    id: String,
    #[arg(long, value_parser = parse_region)]
    county: RegionCode,
    /// subsidy, risk_compensation or guarantee.
    #[arg(long)]
    fund: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    #[arg(long, value_parser = parse_amount)]
    amount: Fen,
}

#[derive(Debug, Args)]
pub struct RiskSettingsArgs {
    #[arg(long, value_parser = parse_region)]
    county: RegionCode,
    #[arg(long, value_parser = parse_date)]
    from: BusinessDate,
    /// Covered loans may be at most this many times the fund (e.g. 8).
    #[arg(long)]
    leverage: i64,
    /// The fund's share of a loss, e.g. 80%.
    #[arg(long, value_parser = parse_share)]
    share: i64,
    /// Days overdue after which a claim is raised (e.g. 90).
    #[arg(long)]
    trigger_days: i64,
}

#[derive(Debug, Subcommand)]
pub enum SubsidyCommand {
    /// Work out the quarter's claims per county and institution and list them with their loans.
    Claims(ClaimsArgs),
    /// Approve a claim: pay it from the county's subsidy fund (refused whole if the fund is short).
    Approve(ApproveArgs),
}

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// e.g. 2017Q2.
    #[arg(long, value_parser = parse_quarter)]
    quarter: Quarter,
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[arg(long)]
    claim: i64,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
}

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Risk-compensation claims raised by end of day.
    Claims(RiskClaimsArgs),
    /// Approve a claim: pay the bank the fund's share (refused whole if the fund is short).
    Approve(ApproveArgs),
}

#[derive(Debug, Args)]
pub struct RiskClaimsArgs {
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn parse_amount(text: &str) -> Result<Fen, String> {
    Fen::parse_yuan(text).map_err(|e| e.to_string())
}

fn parse_share(text: &str) -> Result<i64, String> {
    fupin_core::Rate::parse_percent(text)
        .map(|r| r.ppm())
        .map_err(|e| e.to_string())
}

fn parse_quarter(text: &str) -> Result<Quarter, String> {
    Quarter::parse(text).map_err(|e| e.to_string())
}

pub async fn run(db: &Db, command: FundsCommand) -> anyhow::Result<ExitCode> {
    match command {
        FundsCommand::Show(args) => show(db, args).await,
        FundsCommand::Deposit(args) => deposit(db, args).await,
        FundsCommand::RiskSettings(args) => risk_settings(db, args).await,
    }
}

async fn show(db: &Db, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let figures = match (args.region, &args.group) {
        (_, Some(group)) => {
            funds::group_figures_for(db, &operator_ctx(), group, args.as_of).await?
        }
        (region, None) => {
            funds::figures_for(db, &operator_ctx(), region, args.as_of)
                .await?
                .1
        }
    };
    let mut listing = Listing::new(vec!["figure", "value"]);
    let rows = [
        (
            "subsidy_fund_balance",
            figures.subsidy_balance.to_plain_yuan(),
        ),
        (
            "subsidy_fund_deposits",
            figures.subsidy_deposits.to_plain_yuan(),
        ),
        ("subsidy_paid", figures.subsidy_paid.to_plain_yuan()),
        ("risk_fund_balance", figures.risk_balance.to_plain_yuan()),
        ("risk_fund_deposits", figures.risk_deposits.to_plain_yuan()),
        (
            "risk_compensation_paid",
            figures.compensation_paid.to_plain_yuan(),
        ),
        (
            "risk_compensation_recovered",
            figures.compensation_recovered.to_plain_yuan(),
        ),
        (
            "covered_loan_balance",
            figures.covered_balance.to_plain_yuan(),
        ),
        ("leverage_used", figures.leverage_used()),
    ];
    for (name, value) in rows {
        listing.push(vec![Some(name.to_string()), Some(value)]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn deposit(db: &Db, args: DepositArgs) -> anyhow::Result<ExitCode> {
    let deposit = FundDeposit {
        id: args.id,
        county_code: args.county,
        fund: args.fund,
        deposited_on: args.on,
        amount: args.amount,
    };
    let mut tx = db.write().await?;
    let outcome = funds::deposit(&mut tx, &operator_ctx(), &deposit).await?;
    tx.commit().await?;
    println!(
        "{}",
        match outcome {
            funds::Deposited::New => "deposit recorded",
            funds::Deposited::AlreadyRecorded => "already recorded: nothing changed",
        }
    );
    Ok(ExitCode::SUCCESS)
}

async fn risk_settings(db: &Db, args: RiskSettingsArgs) -> anyhow::Result<ExitCode> {
    let settings = RiskFundSettings {
        county_code: args.county,
        effective_from: args.from,
        leverage_multiple: args.leverage,
        fund_share_ppm: args.share,
        trigger_days: args.trigger_days,
    };
    funds::set_risk_settings(db, &operator_ctx(), &settings).await?;
    println!(
        "risk-compensation rules of {} set from {}",
        args.county, args.from
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn subsidy(db: &Db, command: SubsidyCommand) -> anyhow::Result<ExitCode> {
    match command {
        SubsidyCommand::Claims(args) => {
            let claims =
                funds::prepare_subsidy_claims(db, &operator_ctx(), args.quarter, args.region)
                    .await?;
            let mut listing = Listing::new(vec![
                "claim",
                "county_code",
                "institution_code",
                "quarter",
                "state",
                "contract_no",
                "borrower",
                "borrower_id",
                "loan_id",
                "days",
                "rate",
                "amount",
            ]);
            for (claim, lines) in claims {
                let head = |loan: [Option<String>; 4],
                            days: Option<String>,
                            rate: Option<String>,
                            amount: String| {
                    let mut row = vec![
                        Some(claim.id.to_string()),
                        Some(claim.county_code.to_string()),
                        Some(claim.institution_code.clone()),
                        Some(claim.quarter.clone()),
                        Some(claim.state.clone()),
                    ];
                    row.extend(loan);
                    row.extend([days, rate, Some(amount)]);
                    row
                };
                listing.push(head(
                    Default::default(),
                    None,
                    None,
                    claim.amount.to_plain_yuan(),
                ));
                for NamedClaimLine { line, loan } in lines {
                    let rate = fupin_core::Rate::from_ppm(line.rate_ppm).to_percent_string();
                    listing.push(head(
                        loan_cells(loan, line.loan_id),
                        Some(line.days.to_string()),
                        Some(rate),
                        line.amount.to_plain_yuan(),
                    ));
                }
            }
            listing.write(args.format, &mut std::io::stdout().lock())?;
        }
        SubsidyCommand::Approve(args) => {
            let claim =
                funds::approve_subsidy_claim(db, &operator_ctx(), args.claim, args.on).await?;
            println!(
                "subsidy claim {} approved: {} paid to {}",
                claim.id, claim.amount, claim.institution_code
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn risk(db: &Db, command: RiskCommand) -> anyhow::Result<ExitCode> {
    match command {
        RiskCommand::Claims(args) => {
            let mut listing = Listing::new(vec![
                "claim",
                "county_code",
                "institution_code",
                "contract_no",
                "borrower",
                "borrower_id",
                "loan_id",
                "raised_on",
                "principal",
                "share",
                "amount",
                "state",
                "approved_on",
            ]);
            for NamedRiskClaim { claim: c, loan } in
                funds::risk_claims_for(db, &operator_ctx(), args.region, None).await?
            {
                let mut row = vec![
                    Some(c.id.to_string()),
                    Some(c.county_code.to_string()),
                    Some(c.institution_code),
                ];
                row.extend(loan_cells(loan, c.loan_id));
                row.extend([
                    Some(c.raised_on.to_string()),
                    Some(c.principal.to_plain_yuan()),
                    Some(fupin_core::Rate::from_ppm(c.share_ppm).to_percent_string()),
                    Some(c.amount.to_plain_yuan()),
                    Some(c.state),
                    c.approved_on.map(|d| d.to_string()),
                ]);
                listing.push(row);
            }
            listing.write(args.format, &mut std::io::stdout().lock())?;
        }
        RiskCommand::Approve(args) => {
            let NamedRiskClaim { claim, loan } =
                funds::approve_risk_claim(db, &operator_ctx(), args.claim, args.on).await?;
            println!(
                "risk claim {} on contract {} of {} ({}) approved: {} paid to {}",
                claim.id,
                loan.contract_no,
                loan.borrower_name,
                loan.borrower_id,
                claim.amount,
                claim.institution_code
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A claim line's loan as the cells contract_no, borrower, borrower_id, loan_id.
fn loan_cells(loan: LoanName, loan_id: i64) -> [Option<String>; 4] {
    [
        Some(loan.contract_no),
        Some(loan.borrower_name),
        Some(loan.borrower_id),
        Some(loan_id.to_string()),
    ]
}
