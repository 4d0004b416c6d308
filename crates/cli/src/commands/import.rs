//! `fupin import <kind> FILE`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use fupin_app::Db;
use fupin_app::imports::funds::DepositImporter;
use fupin_app::imports::loans::{LoanImporter, ProductImporter, RepaymentImporter};
use fupin_app::imports::registry::{EnterpriseImporter, EnterpriseLinkImporter, import_households};
use fupin_app::imports::territory::{
    AssignmentImporter, InstitutionImporter, RegionImporter, ServicePointImporter,
};
use fupin_app::imports::upload::Kind;
use fupin_app::imports::{self, ImportOptions, ImportReport, Removals};
use fupin_core::BusinessDate;

use super::operator_ctx;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds: regions, institutions, assignments, service_points, households,
    /// enterprises, enterprise_links, products, loans, credit_files, credit_lines, repayments,
    /// returns, fund_deposits, guarantee_contracts or co_borrowers.
    #[arg(value_parser = parse_kind)]
    kind: Kind,
    /// The file: .csv (UTF-8, UTF-8 with BOM or GB18030) or .xlsx.
    file: PathBuf,
    /// Check everything and report, but change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the row-by-row error report here (CSV, UTF-8 with BOM, opens in Excel).
    #[arg(long, value_name = "REPORT.csv")]
    errors: Option<PathBuf>,
    /// Ignore columns the format does not define instead of refusing the file.
    #[arg(long)]
    ignore_unknown_columns: bool,
    /// Load what is valid (for households: the households whose rows are all valid) and report
    /// the rest, instead of refusing the whole file (households, enterprises, enterprise_links).
    #[arg(long)]
    load_valid: bool,
    /// The date the extract describes (YYYY-MM-DD; default: today) — households, enterprises,
    /// enterprise_links.
    #[arg(long, value_parser = super::regions::parse_date)]
    as_of: Option<BusinessDate>,
    /// Apply the removals of a households file although they are many (more than 1 % of the
    /// households of the villages it replaces) or the file covers a village only in part; a
    /// dry run lists them first (households only).
    #[arg(long)]
    allow_removals: bool,
    /// Accept returns although warning rules (e.g. a month-on-month change) fail; the warnings
    /// are still reported (returns only).
    #[arg(long)]
    confirm_warnings: bool,
}

pub async fn run(db: &Db, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let options = ImportOptions {
        dry_run: args.dry_run,
        ignore_unknown_columns: args.ignore_unknown_columns,
        load_valid: args.load_valid,
        allow_removals: args.allow_removals,
        ..ImportOptions::default()
    };
    options
        .progress
        .start(&format!("import {}", args.kind.as_str()), None);
    let ticker = crate::live::Ticker::spawn(options.progress.clone());
    let registry_kind = matches!(
        args.kind,
        Kind::Households | Kind::Enterprises | Kind::EnterpriseLinks
    );
    if !registry_kind && (args.load_valid || args.as_of.is_some()) {
        anyhow::bail!(
            "--load-valid and --as-of apply to households, enterprises and enterprise_links"
        );
    }
    if args.allow_removals && args.kind != Kind::Households {
        anyhow::bail!("--allow-removals applies to households files");
    }
    let as_of = args.as_of.unwrap_or_else(super::households::today);
    let started = Instant::now();
    let report = match args.kind {
        Kind::Regions => {
            imports::run(db, &ctx, &args.file, &options, RegionImporter::default()).await?
        }
        Kind::Institutions => {
            imports::run(
                db,
                &ctx,
                &args.file,
                &options,
                InstitutionImporter::default(),
            )
            .await?
        }
        Kind::Assignments => {
            imports::run(
                db,
                &ctx,
                &args.file,
                &options,
                AssignmentImporter::default(),
            )
            .await?
        }
        Kind::ServicePoints => {
            imports::run(
                db,
                &ctx,
                &args.file,
                &options,
                ServicePointImporter::default(),
            )
            .await?
        }
        Kind::Households => import_households(db, &ctx, &args.file, &options, as_of).await?,
        Kind::Enterprises => {
            let importer = EnterpriseImporter::new(as_of);
            imports::run(db, &ctx, &args.file, &options, importer).await?
        }
        Kind::EnterpriseLinks => {
            let importer = EnterpriseLinkImporter::new(as_of);
            imports::run(db, &ctx, &args.file, &options, importer).await?
        }
        Kind::Products => {
            imports::run(db, &ctx, &args.file, &options, ProductImporter::default()).await?
        }
        Kind::Loans => imports::run(db, &ctx, &args.file, &options, LoanImporter::new(db)).await?,
        Kind::CreditFiles => {
            let importer = fupin_app::imports::credit::CreditFileImporter::default();
            imports::run(db, &ctx, &args.file, &options, importer).await?
        }
        Kind::CreditLines => {
            let importer = fupin_app::imports::credit::CreditLineImporter::default();
            imports::run(db, &ctx, &args.file, &options, importer).await?
        }
        Kind::Repayments => {
            let importer = RepaymentImporter::default();
            imports::run(db, &ctx, &args.file, &options, importer).await?
        }
        Kind::FundDeposits => {
            imports::run(db, &ctx, &args.file, &options, DepositImporter::default()).await?
        }
        Kind::InsurancePolicies | Kind::InsurancePremiums | Kind::InsuranceClaims => {
            fupin_app::imports::insurance::import(db, &ctx, &args.file, &options, args.kind).await?
        }
        Kind::GuaranteeContracts => {
            let importer = fupin_app::imports::guarantees::GuaranteeImporter;
            imports::run(db, &ctx, &args.file, &options, importer).await?
        }
        Kind::CoBorrowers => {
            let importer = fupin_app::imports::co_borrowers::CoBorrowerImporter;
            imports::run(db, &ctx, &args.file, &options, importer).await?
        }
        Kind::Returns => {
            let confirm = args.confirm_warnings;
            let outcome = imports::returns::import(db, &ctx, &args.file, &options, confirm).await?;
            if confirm {
                super::returns::print_confirmed_warnings(&outcome.warnings);
            }
            outcome.report
        }
    };
    drop(ticker);
    let seconds = started.elapsed().as_secs_f64();
    print_report(&report, seconds, args.dry_run);
    if registry_kind {
        println!("extract as of {as_of}");
    }
    if let Some(path) = &args.errors {
        imports::write_errors(&report, path)?;
        println!(
            "error report: {} ({} rows)",
            path.display(),
            report.errors.len()
        );
    }
    Ok(if report.error_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Errors printed on the terminal; the rest go to the `--errors` report.
const ERRORS_PRINTED_MAX: usize = 20;

fn print_report(report: &ImportReport, seconds: f64, dry_run: bool) {
    println!(
        "file: {} ({}, {})",
        report.file, report.format, report.encoding
    );
    let rate = if seconds > 0.0 {
        report.rows as f64 / seconds
    } else {
        0.0
    };
    println!(
        "rows: {} read in {seconds:.2} s ({rate:.0} rows/s), {} errors",
        report.rows,
        report.error_count()
    );
    if let Some(removals) = &report.removals {
        print_removals(removals);
    }
    for error in report.errors.iter().take(ERRORS_PRINTED_MAX) {
        println!("  {error}");
    }
    if report.error_count() > ERRORS_PRINTED_MAX as u64 {
        println!(
            "  … {} more (use --errors REPORT.csv)",
            report.error_count() - ERRORS_PRINTED_MAX as u64
        );
    }
    let counts = report.counts;
    let verdict = if report.applied {
        "applied"
    } else if dry_run {
        "dry run: nothing changed"
    } else {
        "refused: nothing changed"
    };
    println!(
        "{} {}: added {}, changed {}, unchanged {}, removed {}",
        report.kind, verdict, counts.added, counts.changed, counts.unchanged, counts.removed
    );
}

/// Village codes named in the line of what a file replaces, at most.
const VILLAGES_PRINTED_MAX: usize = 20;

/// What a households file replaces, and every household it removes by id and head's name.
fn print_removals(removals: &Removals) {
    let codes: Vec<String> = removals
        .villages
        .iter()
        .take(VILLAGES_PRINTED_MAX)
        .map(|v| v.village_code.to_string())
        .collect();
    let more = removals.villages.len().saturating_sub(VILLAGES_PRINTED_MAX);
    println!(
        "replaces {} village(s) ({} households registered): {}{}",
        removals.villages.len(),
        removals.registered(),
        codes.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    println!("removes {} household(s)", removals.total());
    for household in &removals.households {
        println!(
            "  {} {} (village {})",
            household.household_id, household.head_name, household.village_code
        );
    }
    let unlisted = removals
        .total()
        .saturating_sub(removals.households.len() as u64);
    if unlisted > 0 {
        println!("  … {unlisted} more");
    }
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::parse(text).ok_or_else(|| {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("not a file kind; one of: {}", kinds.join(", "))
    })
}
