//! `fupin guarantees …`: guarantors of loans, the county guarantee fund, guarantee companies,
//! the loss waterfall's order and its guarantee claims.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::guarantee_fees::{self, FeeOrder, Recorded};
use fupin_app::guarantees::{
    self, Company, FundSettings, GuarantorKind, NewGuarantee, ProductTerms, Step,
};
use fupin_core::{BusinessDate, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum GuaranteesCommand {
    /// Name a guarantor of a loan with its share and guarantee contract (refused above the
    /// product's cap or the county fund's leverage, with the reason).
    Add(AddArgs),
    /// The guarantors of a loan.
    List(LoanArgs),
    /// A guarantor's exposure: guaranteed balances plus its own loans.
    Exposure(ExposureArgs),
    /// Set a county guarantee fund's rules from a date.
    FundSettings(FundSettingsArgs),
    /// Register a guarantee company (an institution) and its loss sharing.
    Company(CompanyArgs),
    /// Set the guarantor kinds a product allows and the cap on their shares.
    ProductTerms(ProductTermsArgs),
    /// Set a county's loss waterfall order.
    Waterfall(WaterfallArgs),
    /// Guarantee claims raised by end of day.
    Claims(ClaimsArgs),
    /// Approve a guarantee claim: the payer pays the bank its share.
    Approve(ApproveArgs),
    /// Record a guarantee fee payment for a number of days of cover (the fee is the
    /// guarantee's yearly rate on the loan's principal × days ÷ 365).
    Fee(FeeArgs),
    /// Guarantee fee payments and their subsidies.
    Fees(FeesArgs),
    /// Approve a guarantee fee's subsidy (the finance bureau): paid from the county subsidy
    /// fund to whoever paid the fee.
    ApproveFeeSubsidy(ApproveFeeArgs),
}

#[derive(Debug, Args)]
pub struct FeeArgs {
    #[arg(long)]
    institution: String,
    /// The loan's contract number.
    #[arg(long)]
    loan: String,
    /// The guarantee contract number.
    #[arg(long)]
    contract: String,
    /// The payment's id (unique; the same id again is the same payment).
    #[arg(long)]
    id: String,
    #[arg(long, value_parser = parse_date)]
    paid_on: BusinessDate,
    /// Days of cover the fee pays for.
    #[arg(long, default_value = "365")]
    days: i64,
}

#[derive(Debug, Args)]
pub struct FeesArgs {
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// Only fees whose subsidy awaits approval.
    #[arg(long)]
    pending: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ApproveFeeArgs {
    #[arg(long)]
    id: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
}

#[derive(Debug, Args)]
pub struct LoanArgs {
    #[arg(long)]
    institution: String,
    #[arg(long)]
    loan: String,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    institution: String,
    /// The loan's contract number.
    #[arg(long)]
    loan: String,
    /// household, enterprise, company or county_fund.
    #[arg(long, value_parser = parse_kind)]
    kind: GuarantorKind,
    /// Resident ID, credit code, institution code or county code.
    #[arg(long)]
    guarantor: String,
    /// The guarantee contract number.
    #[arg(long)]
    contract: String,
    /// Share of the loss, e.g. 40%.
    #[arg(long, value_parser = parse_bps)]
    share: i64,
    #[arg(long, value_parser = parse_date)]
    signed_on: BusinessDate,
    /// Yearly guarantee fee rate, e.g. 1%.
    #[arg(long, value_parser = parse_bps, default_value = "0%")]
    fee_rate: i64,
    /// borrower or bank.
    #[arg(long, default_value = "borrower")]
    fee_payer: String,
    /// Share of the fee the county subsidises, e.g. 50%.
    #[arg(long, value_parser = parse_bps, default_value = "0%")]
    fee_subsidy: i64,
}

#[derive(Debug, Args)]
pub struct ExposureArgs {
    #[arg(long, value_parser = parse_kind)]
    kind: GuarantorKind,
    #[arg(long)]
    guarantor: String,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct FundSettingsArgs {
    #[arg(long, value_parser = parse_region)]
    county: RegionCode,
    #[arg(long, value_parser = parse_date)]
    from: BusinessDate,
    /// Guaranteed balances may be at most this many times the fund (e.g. 5).
    #[arg(long)]
    leverage: i64,
    /// The fund's share of what it guarantees, e.g. 80% (the bank bears the rest).
    #[arg(long, value_parser = parse_bps)]
    share: i64,
}

#[derive(Debug, Args)]
pub struct CompanyArgs {
    #[arg(long)]
    institution: String,
    /// National re-guarantee fund's share, e.g. 40%.
    #[arg(long, value_parser = parse_bps)]
    national: i64,
    #[arg(long, value_parser = parse_bps)]
    provincial: i64,
    #[arg(long, value_parser = parse_bps)]
    company: i64,
    #[arg(long, value_parser = parse_bps)]
    bank: i64,
}

#[derive(Debug, Args)]
pub struct ProductTermsArgs {
    #[arg(long)]
    product: String,
    /// Comma-separated: household, enterprise, company, county_fund.
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Cap on the sum of shares, e.g. 100%.
    #[arg(long, value_parser = parse_bps)]
    cap: i64,
}

#[derive(Debug, Args)]
pub struct WaterfallArgs {
    #[arg(long, value_parser = parse_region)]
    county: RegionCode,
    /// insurance, guarantee and risk_fund, comma-separated, each once.
    #[arg(long, value_delimiter = ',', value_parser = parse_step)]
    steps: Vec<Step>,
}

#[derive(Debug, Args)]
pub struct ClaimsArgs {
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

fn parse_kind(text: &str) -> Result<GuarantorKind, String> {
    GuarantorKind::parse(text)
        .ok_or_else(|| format!("{text:?} is not household, enterprise, company or county_fund"))
}

fn parse_step(text: &str) -> Result<Step, String> {
    Step::parse(text).ok_or_else(|| format!("{text:?} is not insurance, guarantee or risk_fund"))
}

/// A percentage to bps: "40%" → 4000; finer than 0.01 % is refused.
pub fn parse_bps(text: &str) -> Result<i64, String> {
    let ppm = fupin_core::Rate::parse_percent(text)
        .map_err(|e| e.to_string())?
        .ppm();
    match ppm % 100 {
        0 => Ok(ppm / 100),
        _ => Err(format!("{text} is finer than 0.01 %")),
    }
}

fn percent(bps: i64) -> String {
    fupin_core::Rate::from_ppm(bps * 100).to_percent_string()
}

pub async fn run(db: &Db, command: GuaranteesCommand) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    match command {
        GuaranteesCommand::Add(args) => {
            let new = NewGuarantee {
                institution_code: args.institution,
                loan_contract_no: args.loan,
                kind: args.kind,
                guarantor_id: args.guarantor,
                contract_no: args.contract,
                share_bps: args.share,
                signed_on: args.signed_on,
                fee_rate_bps: args.fee_rate,
                fee_payer: args.fee_payer,
                fee_subsidy_bps: args.fee_subsidy,
            };
            let message = match guarantees::add_guarantee_command(db, &ctx, &new).await? {
                guarantees::Added::New => "guarantee recorded",
                guarantees::Added::AlreadyRecorded => "already recorded: nothing changed",
            };
            println!("{message}");
        }
        GuaranteesCommand::List(args) => {
            let mut listing = Listing::new(vec![
                "guarantor_type",
                "guarantor_id",
                "contract_no",
                "share",
                "signed_on",
                "fee_rate",
                "fee_payer",
                "fee_subsidy",
            ]);
            for g in guarantees::of_loan(db, &ctx, &args.institution, &args.loan).await? {
                listing.push(vec![
                    Some(g.guarantor_type),
                    Some(g.guarantor_id),
                    Some(g.contract_no),
                    Some(percent(g.share_bps)),
                    Some(g.signed_on.to_string()),
                    Some(percent(g.fee_rate_bps)),
                    Some(g.fee_payer),
                    Some(percent(g.fee_subsidy_bps)),
                ]);
            }
            listing.write(args.format, &mut std::io::stdout().lock())?;
        }
        GuaranteesCommand::Exposure(args) => exposure(db, args).await?,
        GuaranteesCommand::FundSettings(args) => {
            let settings = FundSettings {
                county_code: args.county,
                effective_from: args.from,
                leverage_multiple: args.leverage,
                fund_share_bps: args.share,
            };
            guarantees::set_fund_settings(db, &ctx, &settings).await?;
            println!(
                "guarantee fund rules of {} set from {}",
                args.county, args.from
            );
        }
        GuaranteesCommand::Company(args) => {
            let company = Company {
                institution_code: args.institution.clone(),
                national_bps: args.national,
                provincial_bps: args.provincial,
                company_bps: args.company,
                bank_bps: args.bank,
            };
            guarantees::set_company(db, &ctx, &company).await?;
            println!("guarantee company {} registered", args.institution);
        }
        GuaranteesCommand::ProductTerms(args) => {
            let terms = ProductTerms {
                product_code: args.product.clone(),
                kinds: args.kinds,
                cap_bps: args.cap,
            };
            guarantees::set_product_terms(db, &ctx, &terms).await?;
            println!("guarantee terms of product {} set", args.product);
        }
        GuaranteesCommand::Waterfall(args) => {
            guarantees::set_waterfall(db, &ctx, args.county, &args.steps).await?;
            println!("loss waterfall of {} set", args.county);
        }
        GuaranteesCommand::Claims(args) => claims(db, args).await?,
        GuaranteesCommand::Approve(args) => {
            let claim = guarantees::approve_claim(db, &ctx, args.claim, args.on).await?;
            println!(
                "guarantee claim {} approved: {} paid by {} to {}",
                claim.id, claim.amount, claim.payer, claim.institution_code
            );
        }
        GuaranteesCommand::Fee(args) => {
            let order = FeeOrder {
                institution_code: args.institution,
                loan_contract_no: args.loan,
                guarantee_contract_no: args.contract,
                id: args.id,
                paid_on: args.paid_on,
                days: args.days,
            };
            match guarantee_fees::record_fee_command(db, &ctx, &order).await? {
                Recorded::New(fee) => println!(
                    "guarantee fee {} recorded: {} (subsidy {}, {})",
                    fee.id, fee.amount, fee.subsidy, fee.subsidy_state
                ),
                Recorded::AlreadyRecorded(fee) => {
                    println!("guarantee fee {} already recorded: {}", fee.id, fee.amount)
                }
            }
        }
        GuaranteesCommand::Fees(args) => fees(db, args).await?,
        GuaranteesCommand::ApproveFeeSubsidy(args) => {
            let fee = guarantee_fees::approve_subsidy(db, &ctx, &args.id, args.on).await?;
            println!(
                "subsidy of guarantee fee {} approved: {}",
                fee.id, fee.subsidy
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn fees(db: &Db, args: FeesArgs) -> anyhow::Result<()> {
    let mut listing = Listing::new(vec![
        "id",
        "institution_code",
        "contract_no",
        "guarantee_contract_no",
        "guarantor_type",
        "fee_payer",
        "paid_on",
        "amount",
        "subsidy",
        "subsidy_state",
        "approved_on",
    ]);
    let found = guarantee_fees::fees_for(db, &operator_ctx(), args.region, args.pending).await?;
    for f in found {
        listing.push(vec![
            Some(f.fee.id),
            Some(f.institution_code),
            Some(f.loan_contract_no),
            Some(f.guarantee_contract_no),
            Some(f.guarantor_type),
            Some(f.fee_payer),
            Some(f.fee.paid_on.to_string()),
            Some(f.fee.amount.to_plain_yuan()),
            Some(f.fee.subsidy.to_plain_yuan()),
            Some(f.fee.subsidy_state),
            f.fee.approved_on.map(|d| d.to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(())
}

async fn exposure(db: &Db, args: ExposureArgs) -> anyhow::Result<()> {
    let exposure = guarantees::exposure(db, &operator_ctx(), args.kind, &args.guarantor).await?;
    let mut listing = Listing::new(vec![
        "institution_code",
        "contract_no",
        "guarantee_contract_no",
        "share",
        "principal",
        "guaranteed",
    ]);
    for loan in &exposure.loans {
        let guaranteed = loan
            .principal
            .mul_ratio_half_up(i128::from(loan.share_bps), 10_000)
            .unwrap_or_default();
        listing.push(vec![
            Some(loan.institution_code.clone()),
            Some(loan.contract_no.clone()),
            Some(loan.guarantee_contract_no.clone()),
            Some(percent(loan.share_bps)),
            Some(loan.principal.to_plain_yuan()),
            Some(guaranteed.to_plain_yuan()),
        ]);
    }
    for (name, value) in [
        ("guaranteed", exposure.guaranteed),
        ("own_loans", exposure.own_loans),
        ("exposure", exposure.total),
    ] {
        let mut row = vec![Some(name.to_string())];
        row.extend([None, None, None, None, Some(value.to_plain_yuan())]);
        listing.push(row);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(())
}

async fn claims(db: &Db, args: ClaimsArgs) -> anyhow::Result<()> {
    let mut listing = Listing::new(vec![
        "claim",
        "county_code",
        "institution_code",
        "loan_id",
        "guarantee_id",
        "payer",
        "raised_on",
        "loss",
        "base",
        "amount",
        "state",
        "approved_on",
    ]);
    for c in guarantees::claims_for(db, &operator_ctx(), args.region).await? {
        listing.push(vec![
            Some(c.id.to_string()),
            Some(c.county_code.to_string()),
            Some(c.institution_code),
            Some(c.loan_id.to_string()),
            Some(c.guarantee_id.to_string()),
            Some(c.payer),
            Some(c.raised_on.to_string()),
            Some(c.loss.to_plain_yuan()),
            Some(c.base.to_plain_yuan()),
            Some(c.amount.to_plain_yuan()),
            Some(c.state),
            c.approved_on.map(|d| d.to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(())
}
