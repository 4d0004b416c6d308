//! `fupin scorecards …`, `fupin credit …` and `fupin coverage credit`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use fupin_app::Db;
use fupin_app::credit::coverage::missing;
use fupin_app::credit::{
    self, CoverageScope, CreditFilter, LineRequest, RatingRequest, Scorecard, WorkListSort, scoring,
};
use fupin_app::imports::Applied;
use fupin_core::{BusinessDate, Fen, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

fn parse_amount(text: &str) -> Result<Fen, String> {
    Fen::parse_yuan(text).map_err(|e| e.to_string())
}

fn applied_word(applied: Applied) -> &'static str {
    match applied {
        Applied::Added => "added",
        Applied::Changed => "changed",
        Applied::Unchanged => "unchanged",
    }
}

// ---------------------------------------------------------------------------------------------
// scorecards

#[derive(Debug, Subcommand)]
pub enum ScorecardsCommand {
    /// Store a scorecard version: factors with weights and point scales, grade thresholds and
    /// lines. Factors or grades left out are the built-in default's.
    Set(ScorecardSetArgs),
    /// The scorecard that rates an institution's files on a date (or a stored version by id).
    Show(ScorecardShowArgs),
    /// Every stored version.
    List(ScorecardListArgs),
}

#[derive(Debug, Args)]
pub struct ScorecardSetArgs {
    /// The institution whose scorecard this is; without it, the default scorecard.
    #[arg(long)]
    institution: Option<String>,
    /// The first assessment date it applies to.
    #[arg(long, value_parser = parse_date)]
    from: BusinessDate,
    #[arg(long)]
    name: Option<String>,
    /// A factor: CODE:NAME:WEIGHT[:LEVEL=POINTS,…], e.g.
    /// `integrity:诚信度:30:excellent=30,good=24,fair=15,poor=0`. Repeat for each; the weights
    /// sum to 100.
    #[arg(long = "factor", value_parser = scoring::parse_factor_spec)]
    factors: Vec<credit::Factor>,
    /// A grade: GRADE:MIN_SCORE:LINE (yuan), e.g. `AAA:90:50000`. Repeat for each; the lowest
    /// starts at 0.
    #[arg(long = "grade", value_parser = scoring::parse_grade_spec)]
    grades: Vec<credit::GradeBand>,
}

#[derive(Debug, Args)]
pub struct ScorecardShowArgs {
    /// The institution (default: the default scorecard).
    #[arg(long)]
    institution: Option<String>,
    /// The assessment date (default: today).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    /// A stored version by id instead.
    #[arg(long, conflicts_with_all = ["institution", "as_of"])]
    id: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ScorecardListArgs {
    /// Only this institution's versions and the default's.
    #[arg(long)]
    institution: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn scorecards(db: &Db, command: ScorecardsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScorecardsCommand::Set(args) => scorecard_set(db, args).await,
        ScorecardsCommand::Show(args) => scorecard_show(db, args).await,
        ScorecardsCommand::List(args) => scorecard_list(db, args).await,
    }
}

async fn scorecard_set(db: &Db, args: ScorecardSetArgs) -> anyhow::Result<ExitCode> {
    let default = scoring::default_scorecard();
    let card = Scorecard {
        institution_code: args.institution.clone(),
        effective_from: args.from,
        name: args.name.unwrap_or_else(|| match &args.institution {
            Some(code) => format!("{code} scorecard"),
            None => default.name.clone(),
        }),
        factors: match args.factors.is_empty() {
            true => default.factors.clone(),
            false => args.factors,
        },
        grades: match args.grades.is_empty() {
            true => default.grades.clone(),
            false => args.grades,
        },
    };
    let (applied, id) = credit::set_scorecard(db, &operator_ctx(), &card).await?;
    println!(
        "scorecard {id} ({} from {}) {}",
        args.institution.as_deref().unwrap_or("default"),
        args.from,
        applied_word(applied)
    );
    Ok(ExitCode::SUCCESS)
}

async fn scorecard_show(db: &Db, args: ScorecardShowArgs) -> anyhow::Result<ExitCode> {
    let (id, card) = match args.id {
        Some(id) => {
            let version = credit::scorecard(db, id).await?;
            (Some(version.id), version.card)
        }
        None => {
            let date = args.as_of.unwrap_or_else(super::households::today);
            let found = credit::scorecard_on(db, args.institution.as_deref(), date)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no scorecard is in force on {date}"))?;
            (found.id, found.card)
        }
    };
    let mut listing = Listing::new(vec!["section", "code", "name", "points", "scale"]);
    listing.push(vec![
        Some("scorecard".into()),
        Some(
            id.map(|id| id.to_string())
                .unwrap_or_else(|| "built-in (not yet stored)".into()),
        ),
        Some(card.name.clone()),
        None,
        Some(format!(
            "{} from {}",
            card.institution_code.as_deref().unwrap_or("default"),
            card.effective_from
        )),
    ]);
    for factor in &card.factors {
        listing.push(vec![
            Some("factor".into()),
            Some(factor.code.clone()),
            Some(factor.name.clone()),
            Some(factor.weight.to_string()),
            Some(
                factor
                    .levels
                    .iter()
                    .map(|(level, points)| format!("{level}={points}"))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
        ]);
    }
    for grade in &card.grades {
        listing.push(vec![
            Some("grade".into()),
            Some(grade.grade.clone()),
            None,
            Some(grade.min_score.to_string()),
            Some(grade.line.to_plain_yuan()),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn scorecard_list(db: &Db, args: ScorecardListArgs) -> anyhow::Result<ExitCode> {
    let mut listing = Listing::new(vec![
        "id",
        "institution_code",
        "effective_from",
        "name",
        "factors",
        "grades",
    ]);
    for version in credit::list_scorecards(db, args.institution.as_deref()).await? {
        let card = version.card;
        listing.push(vec![
            Some(version.id.to_string()),
            card.institution_code,
            Some(card.effective_from.to_string()),
            Some(card.name),
            Some(
                card.factors
                    .iter()
                    .map(|f| format!("{}={}", f.code, f.weight))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            Some(
                card.grades
                    .iter()
                    .map(|g| format!("{}>={}:{}", g.grade, g.min_score, g.line.to_plain_yuan()))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// credit files and lines

#[derive(Debug, Subcommand)]
pub enum CreditCommand {
    /// Record a credit file: a rating (factor inputs or a score) or an exemption.
    Rate(RateArgs),
    /// Credit files by household, institution, region, as of a date.
    Files(CreditListArgs),
    /// Record a credit line (at most the recommended line unless --override-reason).
    Grant(GrantArgs),
    /// Credit lines by household, institution, region, granted by a date.
    Lines(CreditListArgs),
    /// Make loans of a product draw on credit lines (refused without a line or beyond it), or
    /// stop with --off.
    RequireLine(RequireLineArgs),
}

#[derive(Debug, Args)]
pub struct RateArgs {
    #[arg(long)]
    household: String,
    #[arg(long)]
    institution: String,
    /// The assessment date.
    #[arg(long, value_parser = parse_date)]
    on: BusinessDate,
    /// Factor inputs, e.g. `integrity=good; labour=15; income=high; assets=fair; project=viable`.
    #[arg(long)]
    factors: Option<String>,
    /// The score (0–100); checked against the factors when both are given.
    #[arg(long)]
    score: Option<i64>,
    /// The grade; checked against the score.
    #[arg(long)]
    grade: Option<String>,
    /// The recommended line in yuan (default: the grade's line).
    #[arg(long, value_parser = parse_amount)]
    line: Option<Fen>,
    /// Not rated, because: no_labour, no_need, age, bad_credit or other.
    #[arg(long, conflicts_with_all = ["factors", "score", "grade", "line"])]
    exempt: Option<String>,
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    #[arg(long)]
    household: String,
    #[arg(long)]
    institution: String,
    /// Yuan.
    #[arg(long, value_parser = parse_amount)]
    amount: Fen,
    #[arg(long, value_parser = parse_date)]
    granted: BusinessDate,
    /// The first day the line is no longer valid.
    #[arg(long, value_parser = parse_date)]
    expires: BusinessDate,
    /// Why the amount may exceed the recommended line (recorded).
    #[arg(long)]
    override_reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreditListArgs {
    #[arg(long)]
    household: Option<String>,
    #[arg(long)]
    institution: Option<String>,
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// Files assessed (lines granted) on or before this date.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<BusinessDate>,
    #[arg(long, default_value_t = 1000)]
    limit: i64,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct RequireLineArgs {
    /// The product code.
    #[arg(long)]
    product: String,
    /// Stop requiring a credit line.
    #[arg(long)]
    off: bool,
}

pub async fn run(db: &Db, command: CreditCommand) -> anyhow::Result<ExitCode> {
    match command {
        CreditCommand::Rate(args) => rate(db, args).await,
        CreditCommand::Files(args) => files(db, args).await,
        CreditCommand::Grant(args) => grant(db, args).await,
        CreditCommand::Lines(args) => lines(db, args).await,
        CreditCommand::RequireLine(args) => require_line(db, args).await,
    }
}

async fn rate(db: &Db, args: RateArgs) -> anyhow::Result<ExitCode> {
    let factors = match &args.factors {
        Some(text) => scoring::parse_inputs(text).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let request = RatingRequest {
        household_id: args.household,
        institution_code: args.institution,
        assessed_on: args.on,
        factors,
        score: args.score,
        grade: args.grade,
        recommended_line: args.line,
        exempt_reason: args.exempt,
    };
    let (applied, stored) = credit::rate(db, &operator_ctx(), &request).await?;
    let file = &stored.file;
    let key = format!(
        "{}/{}/{}",
        file.household_id, file.institution_code, file.assessed_on
    );
    match (&file.exempt_reason, file.scorecard_id) {
        (Some(reason), _) => println!(
            "credit file {key} {}: exempt ({reason})",
            applied_word(applied)
        ),
        (None, Some(scorecard_id)) => {
            let version = credit::scorecard(db, scorecard_id).await?;
            println!(
                "credit file {key} {}: score {}, grade {}, recommended line {} ({} from {}, scorecard {scorecard_id})",
                applied_word(applied),
                file.score.unwrap_or_default(),
                file.grade.as_deref().unwrap_or(""),
                file.recommended_line.unwrap_or(Fen::ZERO),
                version
                    .card
                    .institution_code
                    .as_deref()
                    .unwrap_or("default"),
                version.card.effective_from,
            );
        }
        (None, None) => println!("credit file {key} {}", applied_word(applied)),
    }
    Ok(ExitCode::SUCCESS)
}

fn filter(args: &CreditListArgs) -> CreditFilter {
    CreditFilter {
        household: args.household.clone(),
        institution: args.institution.clone(),
        within: args.region,
        on_or_before: args.as_of,
        limit: args.limit,
    }
}

async fn files(db: &Db, args: CreditListArgs) -> anyhow::Result<ExitCode> {
    let files = credit::list_files(db, &operator_ctx(), &filter(&args)).await?;
    let mut listing = Listing::new(vec![
        "household_id",
        "institution_code",
        "assessed_on",
        "village_code",
        "household_status",
        "score",
        "grade",
        "recommended_line",
        "exempt_reason",
        "scorecard_id",
        "factors",
    ]);
    for stored in files {
        let file = stored.file;
        listing.push(vec![
            Some(file.household_id),
            Some(file.institution_code),
            Some(file.assessed_on.to_string()),
            Some(file.village_code.to_string()),
            Some(file.household_status),
            file.score.map(|s| s.to_string()),
            file.grade,
            file.recommended_line.map(Fen::to_plain_yuan),
            file.exempt_reason,
            file.scorecard_id.map(|id| id.to_string()),
            file.factors_json,
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn grant(db: &Db, args: GrantArgs) -> anyhow::Result<ExitCode> {
    let request = LineRequest {
        household_id: args.household,
        institution_code: args.institution,
        amount: args.amount,
        granted_on: args.granted,
        expires_on: args.expires,
        override_reason: args.override_reason,
    };
    let (applied, stored) = credit::grant(db, &operator_ctx(), &request).await?;
    let line = &stored.line;
    println!(
        "credit line {}/{}/{} {}: {} until {}{}",
        line.household_id,
        line.institution_code,
        line.granted_on,
        applied_word(applied),
        line.amount,
        line.expires_on,
        line.override_reason
            .as_deref()
            .map(|r| format!(" (override: {r})"))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

async fn lines(db: &Db, args: CreditListArgs) -> anyhow::Result<ExitCode> {
    let lines = credit::list_lines(db, &operator_ctx(), &filter(&args)).await?;
    let mut listing = Listing::new(vec![
        "household_id",
        "institution_code",
        "amount",
        "granted_on",
        "expires_on",
        "village_code",
        "recommended_line",
        "override_reason",
    ]);
    for stored in lines {
        let line = stored.line;
        listing.push(vec![
            Some(line.household_id),
            Some(line.institution_code),
            Some(line.amount.to_plain_yuan()),
            Some(line.granted_on.to_string()),
            Some(line.expires_on.to_string()),
            Some(line.village_code.to_string()),
            line.recommended_line.map(Fen::to_plain_yuan),
            line.override_reason,
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn require_line(db: &Db, args: RequireLineArgs) -> anyhow::Result<ExitCode> {
    let draws = !args.off;
    let changed =
        credit::set_product_credit_line(db, &operator_ctx(), &args.product, draws).await?;
    println!(
        "product {}: loans {} credit lines{}",
        args.product,
        if draws { "draw on" } else { "do not draw on" },
        if changed { "" } else { " (unchanged)" }
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// coverage credit

/// What `--list` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListWhat {
    /// The eligible households without a credit file, a credit line or both.
    Uncovered,
}

/// Work list order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    Village,
    Household,
    Bank,
}

#[derive(Debug, Args)]
pub struct CreditCoverageArgs {
    /// The date the figures describe (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    as_of: BusinessDate,
    /// Only this region (a county, township… code).
    #[arg(long, value_parser = parse_region, conflicts_with = "group")]
    region: Option<RegionCode>,
    /// Only this region group (its members on the date).
    #[arg(long)]
    group: Option<String>,
    /// Only the townships this institution is responsible for on the date.
    #[arg(long)]
    institution: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Print the work list instead of the rates.
    #[arg(long, value_enum)]
    list: Option<ListWhat>,
    /// Order of the work list.
    #[arg(long, value_enum, default_value = "village")]
    sort: SortBy,
    /// Also write the work list here (CSV, UTF-8 with BOM: opens in Excel).
    #[arg(long, value_name = "FILE.csv")]
    output: Option<PathBuf>,
}

/// `fupin coverage credit`: the three full coverage rates and the work list.
pub async fn coverage(db: &Db, args: CreditCoverageArgs) -> anyhow::Result<ExitCode> {
    let scope = CoverageScope {
        region: args.region,
        group: args.group.clone(),
        institution: args.institution.clone(),
    };
    let sort = match args.sort {
        SortBy::Village => WorkListSort::Village,
        SortBy::Household => WorkListSort::Household,
        SortBy::Bank => WorkListSort::Bank,
    };
    let report = credit::coverage_report(db, &operator_ctx(), args.as_of, &scope, sort).await?;
    let mut work = Listing::new(vec![
        "household_id",
        "village_code",
        "village_name",
        "township_code",
        "township_name",
        "institution_code",
        "institution_name",
        "missing",
    ]);
    for household in &report.work_list {
        work.push(vec![
            Some(household.household_id.clone()),
            Some(household.village_code.to_string()),
            household.village_name.clone(),
            Some(household.township_code.to_string()),
            household.township_name.clone(),
            household.institution_code.clone(),
            household.institution_name.clone(),
            Some(missing(household).to_string()),
        ]);
    }
    if let Some(path) = &args.output {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        file.write_all("\u{feff}".as_bytes())?;
        work.write(Format::Csv, &mut file)?;
        file.flush()?;
        eprintln!(
            "work list: {} ({} households)",
            path.display(),
            report.work_list.len()
        );
    }
    if args.list.is_some() {
        work.write(args.format, &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = &report.coverage;
    let mut rates = Listing::new(vec!["indicator", "name", "covered", "total", "percent"]);
    let mut row = |key: &str, name: &str, covered: u64, total: u64, percent: Option<String>| {
        rates.push(vec![
            Some(key.to_string()),
            Some(name.to_string()),
            Some(covered.to_string()),
            Some(total.to_string()),
            percent,
        ]);
    };
    row(
        "townships_with_bank",
        "townships with a responsible bank",
        c.townships_covered,
        c.townships,
        Some(c.township_percent()),
    );
    row(
        "households_with_credit_file",
        "eligible households with a credit file",
        c.rated,
        c.eligible,
        Some(c.rated_percent()),
    );
    row(
        "households_with_credit_line",
        "eligible households with a credit line",
        c.with_line,
        c.eligible,
        Some(c.line_percent()),
    );
    row(
        "exempt_households",
        "registered households exempt from rating",
        c.exempt,
        c.registered,
        None,
    );
    row(
        "uncovered_households",
        "eligible households on the work list",
        report.work_list.len() as u64,
        c.eligible,
        None,
    );
    rates.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
