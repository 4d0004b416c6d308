//! `fupin insurance …`: policies and claims, premium approvals and claim decisions. Policies,
//! premium payments and claims come in as files (`fupin import insurance_policies …`).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::insurance::{self, ClaimRef, Kind, ListFilter};
use fupin_app::paging::Page;
use fupin_core::{BusinessDate, Fen, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum InsuranceCommand {
    /// Insurance policies, with their insurer, county and insured loan.
    Policies(ListArgs),
    /// Claims on insurance policies, newest reports first.
    Claims(ListArgs),
    /// Approve the subsidy parts of a premium payment (the finance bureau).
    ApprovePremium(PremiumArgs),
    /// Assess a reported claim.
    Assess(AssessArgs),
    /// Pay an assessed claim: posts it and, for cover on a borrower, repays the loan.
    Pay(DecisionArgs),
    /// Refuse a claim not yet paid, with the reason (posts nothing).
    Refuse(RefuseArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// The insurer's institution code.
    #[arg(long)]
    insurer: Option<String>,
    /// accident, guarantee, crop or livestock.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<Kind>,
    /// Claims only: reported, assessed, paid or refused.
    #[arg(long)]
    state: Option<String>,
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long)]
    offset: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct PremiumArgs {
    #[arg(long)]
    insurer: String,
    #[arg(long)]
    policy: String,
    /// The premium payment's id.
    #[arg(long)]
    payment: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
}

#[derive(Debug, Args)]
pub struct DecisionArgs {
    #[arg(long)]
    insurer: String,
    #[arg(long)]
    policy: String,
    #[arg(long)]
    claim: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    #[command(flatten)]
    which: DecisionArgs,
    /// The amount assessed, in yuan.
    #[arg(long, value_parser = parse_amount)]
    amount: Fen,
}

#[derive(Debug, Args)]
pub struct RefuseArgs {
    #[command(flatten)]
    which: DecisionArgs,
    #[arg(long)]
    reason: String,
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| format!("{text} is not accident, guarantee, crop or livestock"))
}

fn parse_amount(text: &str) -> Result<Fen, String> {
    Fen::parse_yuan(text).map_err(|e| e.to_string())
}

impl DecisionArgs {
    fn claim(&self) -> ClaimRef {
        ClaimRef {
            insurer_code: self.insurer.clone(),
            policy_no: self.policy.clone(),
            claim_no: self.claim.clone(),
        }
    }
}

pub async fn run(db: &Db, command: InsuranceCommand) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    match command {
        InsuranceCommand::Policies(args) => policies(db, args).await?,
        InsuranceCommand::Claims(args) => claims(db, args).await?,
        InsuranceCommand::ApprovePremium(args) => {
            let premium = insurance::in_transaction(db, async |tx| {
                insurance::approve_premium(
                    tx,
                    &ctx,
                    &args.insurer,
                    &args.policy,
                    &args.payment,
                    args.on,
                )
                .await
            })
            .await?;
            let [central, provincial, county, farmer] = premium.parts;
            println!(
                "premium {} of policy {} approved on {}: central {central}, provincial {provincial}, county {county} (farmer {farmer})",
                premium.id,
                args.policy,
                premium
                    .approved_on
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            );
        }
        InsuranceCommand::Assess(args) => {
            let claim = insurance::in_transaction(db, async |tx| {
                insurance::assess_claim(tx, &ctx, &args.which.claim(), args.amount, args.which.on)
                    .await
            })
            .await?;
            println!("claim {} assessed at {}", claim.claim_no, args.amount);
        }
        InsuranceCommand::Pay(args) => {
            let claim = insurance::in_transaction(db, async |tx| {
                insurance::pay_claim(tx, &ctx, &args.claim(), args.on).await
            })
            .await?;
            println!("claim {} paid: {}", claim.claim_no, claim.paid);
        }
        InsuranceCommand::Refuse(args) => {
            let claim = insurance::in_transaction(db, async |tx| {
                insurance::refuse_claim(tx, &ctx, &args.which.claim(), &args.reason, args.which.on)
                    .await
            })
            .await?;
            println!("claim {} refused: {}", claim.claim_no, args.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn filter(args: &ListArgs) -> ListFilter {
    ListFilter {
        region: args.region,
        insurer: args.insurer.clone(),
        kind: args.kind,
        state: args.state.clone(),
    }
}

fn loan_cell(loan: &Option<(String, String)>) -> Option<String> {
    loan.as_ref()
        .map(|(institution, contract)| format!("{institution}/{contract}"))
}

async fn policies(db: &Db, args: ListArgs) -> anyhow::Result<()> {
    let page = Page::new(args.limit, args.offset)?;
    let found = insurance::policies_for(db, &operator_ctx(), &filter(&args), page).await?;
    let mut listing = Listing::new(vec![
        "insurer_code",
        "insurer",
        "policy_no",
        "kind",
        "county_code",
        "county",
        "loan",
        "household_id",
        "activity",
        "sum_insured",
        "premium",
        "default_share_bps",
        "starts_on",
        "ends_on",
        "central_bps",
        "provincial_bps",
        "county_bps",
        "farmer_bps",
    ]);
    for named in found.items {
        let p = &named.policy;
        let mut row = vec![
            Some(p.insurer_code.clone()),
            Some(named.insurer_name.clone()),
            Some(p.policy_no.clone()),
            Some(p.kind.clone()),
            Some(p.county_code.to_string()),
            Some(named.county_name.clone()),
            loan_cell(&named.loan),
            p.household_id.clone(),
            p.activity.clone(),
            Some(p.sum_insured.to_plain_yuan()),
            Some(p.premium.to_plain_yuan()),
            p.default_share_bps.map(|b| b.to_string()),
            Some(p.starts_on.to_string()),
            Some(p.ends_on.to_string()),
        ];
        row.extend(p.shares_bps.map(|b| Some(b.to_string())));
        listing.push(row);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(())
}

async fn claims(db: &Db, args: ListArgs) -> anyhow::Result<()> {
    let page = Page::new(args.limit, args.offset)?;
    let found = insurance::claims_for(db, &operator_ctx(), &filter(&args), page).await?;
    let mut listing = Listing::new(vec![
        "insurer_code",
        "policy_no",
        "claim_no",
        "kind",
        "county_code",
        "county",
        "loan",
        "event",
        "occurred_on",
        "reported_on",
        "claimed",
        "assessed",
        "paid",
        "paid_on",
        "state",
        "refusal",
    ]);
    for named in found.items {
        let (c, p) = (&named.claim, &named.policy);
        listing.push(vec![
            Some(p.policy.insurer_code.clone()),
            Some(p.policy.policy_no.clone()),
            Some(c.claim_no.clone()),
            Some(p.policy.kind.clone()),
            Some(p.policy.county_code.to_string()),
            Some(p.county_name.clone()),
            loan_cell(&p.loan),
            Some(c.event.clone()),
            Some(c.occurred_on.to_string()),
            Some(c.reported_on.to_string()),
            Some(c.claimed.to_plain_yuan()),
            c.assessed.map(|a| a.to_plain_yuan()),
            Some(c.paid.to_plain_yuan()),
            c.paid_on.map(|d| d.to_string()),
            Some(c.state.clone()),
            c.refusal.clone(),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(())
}
