//! `fupin products …`, `fupin loans …` and `fupin eod`.

use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::loans::requests::RequestKind;
use fupin_app::loans::{self, Prepayment, PrepaymentOption, RepaymentOrder, RepaymentOutcome};
use fupin_core::{BusinessDate, Fen, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// Loan products, in code order.
    List(ProductListArgs),
}

#[derive(Debug, Args)]
pub struct ProductListArgs {
    /// Only this institution's products.
    #[arg(long)]
    institution: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Subcommand)]
pub enum LoansCommand {
    /// Loans by region, institution, product, borrower, status, as of a date.
    List(LoanListArgs),
    /// One loan: terms, standing, schedule, repayments, extensions and ledger transfers.
    Show(LoanRef),
    /// Apply a repayment (a repeated id is the same repayment: applied once).
    Repay(RepayArgs),
    /// Extend a loan's maturity, keeping the original.
    Extend(ExtendArgs),
    /// Roll a loan over into a new contract for its outstanding principal.
    RollOver(RollOverArgs),
    /// Write off what is left of a loan.
    WriteOff(WriteOffArgs),
    /// Record a borrower's request for a renewal (续贷).
    RequestRenewal(super::loan_requests::RequestArgs),
    /// Record a borrower's request for an extension (展期); `extend` grants it.
    RequestExtension(super::loan_requests::RequestArgs),
    /// Refuse a pending renewal or extension request.
    RefuseRequest(super::loan_requests::RefuseArgs),
    /// Renewal and extension requests (pending by default).
    Requests(super::loan_requests::RequestListArgs),
    /// Principal falling due per month and county over the 24 months after a date.
    MaturityWall(super::loan_requests::WallArgs),
    /// The co-borrowers (共同借款人) of a loan, ID numbers masked; name them with
    /// `fupin import co_borrowers`.
    CoBorrowers(LoanRef),
}

#[derive(Debug, Args)]
pub struct LoanListArgs {
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    #[arg(long)]
    institution: Option<String>,
    #[arg(long)]
    product: Option<String>,
    /// Household id or credit code of the borrower.
    #[arg(long)]
    borrower: Option<String>,
    /// active, settled, rolled_over or written_off.
    #[arg(long)]
    status: Option<String>,
    /// Loans outstanding on this date (started, not closed).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    /// At most this many rows (default 100, at most 1,000).
    #[arg(long, default_value_t = 100)]
    limit: i64,
    #[arg(long, default_value_t = 0)]
    offset: i64,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct LoanRef {
    /// The lending institution's code.
    #[arg(long)]
    institution: String,
    /// The contract number.
    #[arg(long)]
    contract: String,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct RepayArgs {
    #[arg(long)]
    institution: String,
    #[arg(long)]
    contract: String,
    /// The repayment's id, unique within the institution.
    #[arg(long)]
    id: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    /// Yuan, e.g. 1492.94.
    #[arg(long, value_parser = parse_amount)]
    amount: Fen,
    /// A partial prepayment (提前部分还款) paying more than is due: keep-term (lower
    /// instalments), keep-instalment (shorter term) or product (the product's default).
    #[arg(long, value_parser = parse_prepayment)]
    prepayment: Option<Prepayment>,
}

fn parse_prepayment(text: &str) -> Result<Prepayment, String> {
    if text.trim() == "product" {
        return Ok(Prepayment { option: None });
    }
    PrepaymentOption::parse(text)
        .map(|option| Prepayment {
            option: Some(option),
        })
        .ok_or_else(|| format!("{text:?}: expected keep-term, keep-instalment or product"))
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    #[arg(long)]
    institution: String,
    #[arg(long)]
    contract: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    #[arg(long, value_parser = parse_date)]
    maturity: BusinessDate,
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Args)]
pub struct RollOverArgs {
    #[arg(long)]
    institution: String,
    #[arg(long)]
    contract: String,
    #[arg(long)]
    new_contract: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    #[arg(long, value_parser = parse_date)]
    maturity: BusinessDate,
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Args)]
pub struct WriteOffArgs {
    #[arg(long)]
    institution: String,
    #[arg(long)]
    contract: String,
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Args)]
pub struct EodArgs {
    /// Process every day not yet processed, through this date.
    #[arg(long, value_parser = parse_date)]
    through: BusinessDate,
    /// The first day, when end of day has never run (default: the earliest loan start).
    #[arg(long, value_parser = parse_date)]
    from: Option<BusinessDate>,
}

fn parse_amount(text: &str) -> Result<Fen, String> {
    Fen::parse_yuan(text).map_err(|e| e.to_string())
}

pub async fn products(db: &Db, command: ProductsCommand) -> anyhow::Result<ExitCode> {
    let ProductsCommand::List(args) = command;
    let mut listing = Listing::new(vec![
        "code",
        "name",
        "category",
        "borrower_type",
        "max_amount",
        "max_term_months",
        "annual_rate",
        "repayment",
        "day_count",
        "subsidy_rate",
        "institution_code",
        "counties",
    ]);
    for p in loans::products_for(db, &operator_ctx(), args.institution.as_deref()).await? {
        listing.push(vec![
            Some(p.code),
            Some(p.name),
            Some(p.category),
            Some(p.borrower_type),
            Some(p.max_amount.to_plain_yuan()),
            Some(p.max_term_months.to_string()),
            Some(p.annual_rate.to_percent_string()),
            Some(p.repayment),
            Some(p.day_count),
            p.subsidy_rate.map(|r| r.to_percent_string()),
            Some(p.institution_code),
            Some(
                p.counties
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub async fn run(db: &Db, command: LoansCommand) -> anyhow::Result<ExitCode> {
    match command {
        LoansCommand::List(args) => list(db, args).await,
        LoansCommand::Show(args) => show(db, args).await,
        LoansCommand::CoBorrowers(args) => co_borrowers(db, args).await,
        LoansCommand::Repay(args) => repay(db, args).await,
        LoansCommand::Extend(args) => extend(db, args).await,
        LoansCommand::RollOver(args) => roll_over(db, args).await,
        LoansCommand::WriteOff(args) => write_off(db, args).await,
        LoansCommand::RequestRenewal(args) => {
            super::loan_requests::record(db, RequestKind::Renewal, args).await
        }
        LoansCommand::RequestExtension(args) => {
            super::loan_requests::record(db, RequestKind::Extension, args).await
        }
        LoansCommand::RefuseRequest(args) => super::loan_requests::refuse(db, args).await,
        LoansCommand::Requests(args) => super::loan_requests::list(db, args).await,
        LoansCommand::MaturityWall(args) => super::loan_requests::wall(db, args).await,
    }
}

async fn list(db: &Db, args: LoanListArgs) -> anyhow::Result<ExitCode> {
    let filter = fupin_app::loans::LoanFilter {
        within: args.region,
        institution: args.institution,
        product: args.product,
        borrower_id: args.borrower,
        status: args.status,
        as_of: args.as_of,
        limit: args.limit,
        offset: args.offset,
    };
    let mut listing = Listing::new(vec![
        "institution_code",
        "contract_no",
        "product_code",
        "borrower_type",
        "borrower_id",
        "village_code",
        "principal",
        "annual_rate",
        "start_on",
        "maturity_on",
        "status",
        "overdue_days",
        "classification",
    ]);
    for loan in loans::list_for(db, &operator_ctx(), &filter).await? {
        let t = loan.terms;
        listing.push(vec![
            Some(t.institution_code),
            Some(t.contract_no),
            Some(t.product_code),
            Some(t.borrower_type),
            Some(t.borrower_id),
            Some(t.village_code.to_string()),
            Some(t.principal.to_plain_yuan()),
            Some(t.annual_rate.to_percent_string()),
            Some(t.start_on.to_string()),
            Some(t.maturity_on.to_string()),
            Some(loan.status),
            Some(loan.overdue_days.to_string()),
            Some(loan.classification.as_str().to_string()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn co_borrowers(db: &Db, args: LoanRef) -> anyhow::Result<ExitCode> {
    let found = fupin_app::loans::co_borrowers::of_loan(
        db,
        &operator_ctx(),
        &args.institution,
        &args.contract,
    )
    .await?;
    let columns = vec!["id_number", "name", "relation", "signed_on", "household_id"];
    let mut listing = Listing::new(columns);
    for c in found {
        listing.push(vec![
            Some(c.id_number),
            Some(c.name),
            Some(c.relation),
            Some(c.signed_on.to_string()),
            c.household_id,
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn show(db: &Db, args: LoanRef) -> anyhow::Result<ExitCode> {
    let detail = loans::show(db, &operator_ctx(), &args.institution, &args.contract).await?;
    let loan = &detail.loan;
    let out = &mut std::io::stdout().lock();
    if args.format == Format::Table {
        use std::io::Write;
        writeln!(
            out,
            "loan {}/{}: {} {}, {} at {} from {} to {} (originally {})",
            loan.terms.institution_code,
            loan.terms.contract_no,
            loan.terms.product_code,
            loan.terms.repayment,
            loan.terms.principal,
            loan.terms.annual_rate,
            loan.terms.start_on,
            loan.terms.maturity_on,
            loan.original_maturity_on
        )?;
        writeln!(
            out,
            "borrower {} {} in {}; purpose {}",
            loan.terms.borrower_type,
            loan.terms.borrower_id,
            loan.terms.village_code,
            loan.terms.purpose
        )?;
        writeln!(
            out,
            "status {}; outstanding principal {}, interest {}; overdue {} days ({})",
            loan.status,
            detail.principal_outstanding,
            detail.interest_outstanding,
            loan.overdue_days,
            loan.classification.as_str()
        )?;
        if detail.penalty_outstanding.is_positive() {
            writeln!(
                out,
                "penalty interest (罚息) outstanding {}",
                detail.penalty_outstanding
            )?;
        }
        for version in &detail.schedule_versions {
            writeln!(
                out,
                "schedule version {} from instalment {}: {} on {}{}, principal {} to {}",
                version.version,
                version.first_number,
                version.kind,
                version.decided_on,
                version
                    .prepayment_option
                    .as_ref()
                    .map(|option| format!(
                        " ({option}, repayment {})",
                        version.repayment_id.as_deref().unwrap_or("")
                    ))
                    .unwrap_or_default(),
                version.principal,
                version.maturity_on
            )?;
        }
    }
    let mut schedule = Listing::new(vec![
        "number",
        "due_on",
        "principal",
        "interest",
        "paid_principal",
        "paid_interest",
        "superseded",
    ]);
    for row in &detail.instalments {
        let s = &row.state;
        schedule.push(vec![
            Some(s.number.to_string()),
            Some(s.due_on.to_string()),
            Some(s.principal.to_plain_yuan()),
            Some(s.interest.to_plain_yuan()),
            Some(s.paid_principal.to_plain_yuan()),
            Some(s.paid_interest.to_plain_yuan()),
            Some(row.superseded.to_string()),
        ]);
    }
    schedule.write(args.format, out)?;
    if args.format == Format::Table {
        let mut transfers = Listing::new(vec!["seq", "id", "value_date", "code", "amount"]);
        for t in &detail.transfers {
            transfers.push(vec![
                Some(t.seq.to_string()),
                Some(t.transfer.id.clone()),
                Some(t.transfer.value_date.to_string()),
                Some(t.transfer.code.clone()),
                Some(t.transfer.amount.to_plain_yuan()),
            ]);
        }
        transfers.write(args.format, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn repay(db: &Db, args: RepayArgs) -> anyhow::Result<ExitCode> {
    let order = RepaymentOrder {
        institution_code: args.institution,
        id: args.id,
        contract_no: args.contract,
        paid_on: args.on,
        amount: args.amount,
        prepayment: args.prepayment,
    };
    let mut tx = db.write().await?;
    let outcome = loans::repay(&mut tx, &operator_ctx(), &order).await?;
    tx.commit().await?;
    match outcome {
        RepaymentOutcome::Applied {
            principal,
            interest,
            penalty,
            settled,
        } => {
            println!(
                "applied: principal {principal}, interest {interest}{}{}",
                match penalty.is_positive() {
                    true => format!(", penalty interest {penalty}"),
                    false => String::new(),
                },
                if settled { "; the loan is settled" } else { "" }
            );
        }
        RepaymentOutcome::Recovered(amount) => println!("recovered {amount} on a written-off loan"),
        RepaymentOutcome::AlreadyApplied => println!("already applied: nothing changed"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn extend(db: &Db, args: ExtendArgs) -> anyhow::Result<ExitCode> {
    let mut tx = db.write().await?;
    let loan = loans::find(&mut tx, &args.institution, &args.contract).await?;
    loans::extend(
        &mut tx,
        &operator_ctx(),
        &loan,
        args.on,
        args.maturity,
        &args.reason,
    )
    .await?;
    tx.commit().await?;
    println!(
        "loan {}/{} now matures on {}",
        args.institution, args.contract, args.maturity
    );
    Ok(ExitCode::SUCCESS)
}

async fn roll_over(db: &Db, args: RollOverArgs) -> anyhow::Result<ExitCode> {
    let mut tx = db.write().await?;
    let loan = loans::find(&mut tx, &args.institution, &args.contract).await?;
    loans::roll_over(
        &mut tx,
        &operator_ctx(),
        &loan,
        &args.new_contract,
        args.on,
        args.maturity,
        &args.reason,
    )
    .await?;
    tx.commit().await?;
    println!(
        "loan {}/{} rolled over into {}",
        args.institution, args.contract, args.new_contract
    );
    Ok(ExitCode::SUCCESS)
}

async fn write_off(db: &Db, args: WriteOffArgs) -> anyhow::Result<ExitCode> {
    let mut tx = db.write().await?;
    let loan = loans::find(&mut tx, &args.institution, &args.contract).await?;
    let amount = loans::write_off(&mut tx, &operator_ctx(), &loan, args.on, &args.reason).await?;
    tx.commit().await?;
    println!(
        "loan {}/{} written off: {amount}",
        args.institution, args.contract
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn eod(db: &Db, args: EodArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut progress = |day: &loans::eod::DayReport| {
        if let Some(date) = day.date {
            eprint!(
                "\rend of day {date}: {} interest charges, {} loans overdue, {} reclassified   ",
                day.interest_charges, day.overdue_loans, day.reclassified
            );
        }
    };
    let report =
        loans::eod::run(db, &operator_ctx(), args.through, args.from, &mut progress).await?;
    eprintln!();
    let seconds = started.elapsed().as_secs_f64();
    match (report.first, report.last) {
        (Some(first), Some(last)) => println!(
            "end of day done for {first} to {last}: {} days in {seconds:.2} s ({:.1} days/s)",
            report.days.len(),
            report.days.len() as f64 / seconds.max(1e-9)
        ),
        _ => println!("end of day is already done through {}", args.through),
    }
    Ok(ExitCode::SUCCESS)
}
