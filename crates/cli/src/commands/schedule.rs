//! `fupin schedule`: a loan's repayment schedule, computed without a database.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use fupin_core::schedule::{self, DayCount, Instalment, LoanTerms, RepaymentMethod};
use fupin_core::{BusinessDate, Fen, Rate};

use super::regions::parse_date;
use crate::output::{Format, Listing};

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The amount lent, in yuan: 50000 or 50,000.00.
    #[arg(long, value_parser = parse_yuan, allow_hyphen_values = true)]
    principal: Fen,
    /// The annual interest rate in percent: 4.75.
    #[arg(long, value_parser = parse_percent)]
    rate: Rate,
    /// The term in months (1 to 600).
    #[arg(long)]
    months: u32,
    /// equal-instalment (等额本息), equal-principal (等额本金), monthly-interest
    /// (按月付息到期还本), quarterly-interest (按季付息到期还本) or bullet (到期一次还本付息).
    #[arg(long, value_parser = parse_method)]
    method: RepaymentMethod,
    /// The value date of the disbursement (YYYY-MM-DD); due dates are counted from it.
    #[arg(long, value_parser = parse_date)]
    start: BusinessDate,
    /// How interest accrues by day: act/360, act/365 or 30/360 (30E/360). Equal principal,
    /// the interest-only methods and bullet charge the outstanding principal × rate × days /
    /// basis each period; equal instalment keeps the annuity, a twelfth of the annual rate a
    /// month, and refuses act/365.
    #[arg(long, value_parser = parse_day_count, default_value = "act/360")]
    day_count: DayCount,
    /// Leading months of interest only before amortisation (宽限期), for equal instalment and
    /// equal principal.
    #[arg(long, default_value_t = 0)]
    grace_months: u32,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Prints the schedule: one row per instalment, and a totals row in table format.
pub fn run(args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let terms = LoanTerms {
        principal: args.principal,
        rate: args.rate,
        term_months: args.months,
        method: args.method,
        start: args.start,
        day_count: args.day_count,
        grace_months: args.grace_months,
    };
    let instalments = schedule::schedule(&terms)?;
    let listing = listing(&instalments, args.format)?;
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

fn listing(instalments: &[Instalment], format: Format) -> anyhow::Result<Listing> {
    let amount = |fen: Fen| match format {
        Format::Table => fen.to_string(),
        Format::Json | Format::Csv => fen.to_plain_yuan(),
    };
    let too_large = "the schedule's totals are too large to print in fen";
    let mut listing = Listing::new(vec![
        "number",
        "due_date",
        "days",
        "principal",
        "interest",
        "total",
        "remaining_principal",
    ]);
    for row in instalments {
        let total = row.total().context(too_large)?;
        listing.push(vec![
            Some(row.number.to_string()),
            Some(row.due_date.to_string()),
            Some(row.days.to_string()),
            Some(amount(row.principal)),
            Some(amount(row.interest)),
            Some(amount(total)),
            Some(amount(row.remaining_principal)),
        ]);
    }
    if format == Format::Table {
        let principal = Fen::checked_sum(instalments.iter().map(|row| row.principal));
        let interest = Fen::checked_sum(instalments.iter().map(|row| row.interest));
        let total = principal.zip(interest).and_then(|(p, i)| p.checked_add(i));
        let (principal, interest, total) = principal
            .zip(interest)
            .zip(total)
            .map(|((principal, interest), total)| (principal, interest, total))
            .context(too_large)?;
        let days: i64 = instalments.iter().map(|row| row.days).sum();
        listing.push(vec![
            Some("total".to_string()),
            None,
            Some(days.to_string()),
            Some(amount(principal)),
            Some(amount(interest)),
            Some(amount(total)),
            None,
        ]);
    }
    Ok(listing)
}

fn parse_yuan(text: &str) -> Result<Fen, String> {
    Fen::parse_yuan(text).map_err(|e| e.to_string())
}

fn parse_percent(text: &str) -> Result<Rate, String> {
    Rate::parse_percent(text).map_err(|e| e.to_string())
}

fn parse_method(text: &str) -> Result<RepaymentMethod, String> {
    RepaymentMethod::parse(text).map_err(|e| e.to_string())
}

fn parse_day_count(text: &str) -> Result<DayCount, String> {
    DayCount::parse(text).map_err(|e| e.to_string())
}
