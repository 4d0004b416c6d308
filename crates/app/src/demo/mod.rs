//! `fupin demo`: Shangrao at the end of June 2017, reconstructed from the seed article, at any
//! scale.
//!
//! The generator writes the interchange files of FORMATS.md into a work directory (kept, so a
//! newcomer can open them) and loads them with the same importers and use cases a real
//! deployment uses, so the demo also proves the imports. Generation is deterministic: a
//! SplitMix64 stream per purpose, derived from the seed, so the same seed and scale give the
//! same files and the same database (audit timestamps aside).
//!
//! What scales (`--scale X`): households and their members, credit files and lines, loans and
//! repayments, enterprises and their links, the money of the returns and funds, the resident
//! population (so that shares hold). The territory never scales: 12 counties, 210 townships,
//! 2,173 villages, their banks and service points. At scale 1 every figure of the article comes
//! out exactly (see [`article_figures`]). Memory does not grow with the scale: files are written
//! row by row, nothing per household is kept, and the kinds that grow are split into files of
//! [`files::CHUNK_ROWS`] rows so that no single import grows either.

mod disk;
pub mod files;
mod joint;
mod lending;
mod load;
mod names;
mod people;
pub mod plan;
mod registry;
mod returns;
mod risk;
pub mod rng;
mod territory;

use std::path::PathBuf;

use crate::progress::Progress;
use std::time::Instant;

use fupin_store::Db;

use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::indicators::{self, Request, Scope};

pub use load::{DemoUser, USERS};

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub seed: u64,
    /// 1 = the article's Shangrao; 0.01 = a hundredth of the households and loans.
    pub scale: f64,
    /// Where the files are written (created if missing).
    pub workdir: PathBuf,
    /// Counts the rows of the step under way, for a live display.
    pub live: Progress,
}

/// Largest scale accepted: about national size (98.99 million poor people in 2012 against
/// Shangrao's 380,300 is about 260).
pub const SCALE_MAX: f64 = 300.0;

/// One step done, for the progress display.
#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    /// Rows written or read.
    pub rows: u64,
    pub seconds: f64,
    /// What it did, e.g. "added 1,234".
    pub note: String,
}

impl Step {
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.rows as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// What the demo produced.
#[derive(Clone, Debug)]
pub struct DemoOutcome {
    pub workdir: PathBuf,
    /// Files written, in import order, with their data rows.
    pub files: Vec<(String, u64)>,
    pub users: Vec<DemoUser>,
    pub seconds: f64,
    pub registry_households: u64,
    pub registry_members: u64,
    pub loans: u64,
}

/// Generates the scenario's files and loads them. Refuses a database whose registry already
/// holds households (use a fresh one).
pub async fn run(
    db: &Db,
    ctx: &Ctx,
    options: &DemoOptions,
    progress: &mut (dyn FnMut(&Step) + Send),
) -> Result<DemoOutcome> {
    if ctx.actor.role != Role::Operator {
        return Err(AppError::Forbidden(
            "only the operator of the command line runs the demo".into(),
        ));
    }
    if !(options.scale > 0.0 && options.scale <= SCALE_MAX) {
        return Err(AppError::field(
            "scale",
            format!("must be above 0 and at most {SCALE_MAX}"),
        ));
    }
    if fupin_store::registry::last_event_seq(db).await? > 0 {
        return Err(AppError::Conflict(format!(
            "the database {} already holds a registry: run the demo on a fresh database",
            db.url()
        )));
    }
    disk::check(db, options)?;
    let started = Instant::now();
    let generated = generate(options, progress)?;
    let loaded = load::load(db, ctx, options, &generated, progress).await?;
    Ok(DemoOutcome {
        workdir: options.workdir.clone(),
        files: generated.all_files(),
        users: loaded,
        seconds: started.elapsed().as_secs_f64(),
        registry_households: generated.registry.household_count,
        registry_members: generated.registry.members,
        loans: generated.loans,
    })
}

/// Names of the files the demo writes (and of the error reports it may leave).
const FILE_PREFIXES: [&str; 16] = [
    "regions",
    "institutions",
    "assignments",
    "service_points",
    "households-",
    "enterprises-",
    "enterprise_links-",
    "credit_files-",
    "credit_lines-",
    "products",
    "fund_deposits",
    "loans-",
    "repayments-",
    "returns-",
    "errors-",
    "README",
];

/// Creates the work directory, or clears the files an earlier demo wrote there (so that no
/// part of another scale is left beside this one's). Other files are left alone.
fn prepare_workdir(dir: &std::path::Path) -> Result<()> {
    let error = |e: std::io::Error| AppError::File {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(error)?;
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let path = entry.map_err(error)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ours = name.ends_with(".csv") && FILE_PREFIXES.iter().any(|p| name.starts_with(p));
        if ours && path.is_file() {
            std::fs::remove_file(&path).map_err(error)?;
        }
    }
    Ok(())
}

/// The files written, by kind, in import order.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    pub regions: (String, u64),
    pub institutions: (String, u64),
    pub assignments: (String, u64),
    pub service_points: (String, u64),
    pub registry: registry::RegistryOutput,
    pub enterprises: Vec<(String, u64)>,
    pub products: (String, u64),
    pub deposits: (String, u64),
    pub loans_files: Vec<(String, u64)>,
    pub repayments: Vec<(String, u64)>,
    pub returns: Vec<(String, u64)>,
    pub loans: u64,
    pub defaults: u64,
    /// The earliest loan start: end of day runs from there.
    pub first_loan_start: Option<fupin_core::BusinessDate>,
    /// Loans whose borrowers ask for a renewal and an extension: (bank, contract).
    pub requests: Vec<(String, String)>,
}

impl Generated {
    pub fn all_files(&self) -> Vec<(String, u64)> {
        let mut all = vec![
            self.regions.clone(),
            self.institutions.clone(),
            self.assignments.clone(),
            self.service_points.clone(),
        ];
        all.extend(self.registry.households.iter().cloned());
        all.extend(self.enterprises.iter().cloned());
        all.extend(self.registry.links.iter().cloned());
        all.extend(self.registry.credit_files.iter().cloned());
        all.extend(self.registry.credit_lines.iter().cloned());
        all.push(self.products.clone());
        all.push(self.deposits.clone());
        all.extend(self.loans_files.iter().cloned());
        all.extend(self.repayments.iter().cloned());
        all.extend(self.returns.iter().cloned());
        all
    }
}

/// Writes every file (no database) into the work directory, clearing an earlier demo's files.
pub fn generate(
    options: &DemoOptions,
    progress: &mut (dyn FnMut(&Step) + Send),
) -> Result<Generated> {
    let dir = options.workdir.as_path();
    prepare_workdir(dir)?;
    let seed = options.seed;
    let scale = plan::Scale(options.scale);
    let mut generated = Generated::default();

    let live = &options.live;
    live.start("generate territory", None);
    let started = Instant::now();
    let territory = territory::Territory::build(seed, scale);
    generated.regions = territory::write_regions(dir, &territory, scale)?;
    generated.institutions = territory::write_institutions(dir)?;
    generated.assignments = territory::write_assignments(dir, &territory)?;
    generated.service_points = territory::write_service_points(dir, &territory, seed)?;
    let rows = generated.regions.1
        + generated.institutions.1
        + generated.assignments.1
        + generated.service_points.1;
    live.finish();
    progress(&Step {
        name: "generate territory".into(),
        rows,
        seconds: started.elapsed().as_secs_f64(),
        note: format!(
            "{} counties, {} townships, {} villages",
            territory.counties.len(),
            territory
                .counties
                .iter()
                .map(|c| c.townships.len())
                .sum::<usize>(),
            territory.villages()
        ),
    });

    let households: u64 = territory
        .counties
        .iter()
        .map(|c| c.households() as u64)
        .sum();
    live.start("generate registry (households)", Some(households));
    let started = Instant::now();
    let mut lending = lending::Lending::new(dir);
    generated.registry =
        registry::write_registry(dir, &territory, seed, scale, &mut lending, live)?;
    let registry = &generated.registry;
    live.finish();
    progress(&Step {
        name: "generate registry, credit, household loans".into(),
        rows: registry.members,
        seconds: started.elapsed().as_secs_f64(),
        note: format!(
            "{} households, {} members ({} poor or relapsed), {} micro-credit loans",
            registry.household_count,
            registry.members,
            registry.poor_people,
            registry.microcredit_loans
        ),
    });

    live.start("generate enterprises, products, loans, deposits", None);
    let started = Instant::now();
    generated.enterprises = lending::write_enterprises(dir, &territory, seed, scale, &mut lending)?;
    generated.products = lending::write_products(dir)?;
    generated.deposits = lending::write_deposits(dir, &lending)?;
    generated.loans = lending.loans_written;
    generated.defaults = lending.defaults;
    generated.first_loan_start = lending.first_start;
    generated.requests = std::mem::take(&mut lending.requests);
    let characteristic = lending.characteristic;
    generated.loans_files = to_strings(lending.loans.finish()?);
    generated.repayments = to_strings(lending.repayments.finish()?);
    let enterprises: u64 = generated.enterprises.iter().map(|(_, n)| n).sum();
    live.finish();
    progress(&Step {
        name: "generate enterprises, products, loans, deposits".into(),
        rows: enterprises + generated.loans,
        seconds: started.elapsed().as_secs_f64(),
        note: format!(
            "{enterprises} enterprises, {} loans ({} default), characteristic industry {} yuan",
            generated.loans, generated.defaults, characteristic
        ),
    });

    live.start("generate returns", None);
    let started = Instant::now();
    generated.returns = returns::write_returns(dir, seed, scale)?;
    live.finish();
    progress(&Step {
        name: "generate returns".into(),
        rows: generated.returns.iter().map(|(_, n)| n).sum(),
        seconds: started.elapsed().as_secs_f64(),
        note: format!("{} monthly files", generated.returns.len()),
    });
    Ok(generated)
}

fn to_strings(parts: Vec<(PathBuf, u64)>) -> Vec<(String, u64)> {
    parts
        .into_iter()
        .map(|(path, rows)| (path.display().to_string(), rows))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// the article's figures

/// A statement of the article and the indicator that answers it.
#[derive(Clone, Debug)]
pub struct ArticleFigure {
    /// The article's words (English translation, repaired).
    pub statement: &'static str,
    pub indicator: &'static str,
    /// A region code (6 digits) or the group's name.
    pub scope: &'static str,
    /// The value at scale 1, as `fupin indicators` prints it.
    pub expected: &'static str,
}

impl ArticleFigure {
    pub fn scope(&self) -> Scope {
        match fupin_core::RegionCode::parse(self.scope) {
            Ok(code) => Scope::Region(code),
            Err(_) => Scope::Group(self.scope.to_string()),
        }
    }
}

/// Every figure of the article an indicator answers, with its value at scale 1.
pub fn article_figures() -> Vec<ArticleFigure> {
    let figure = |statement, indicator, scope, expected| ArticleFigure {
        statement,
        indicator,
        scope,
        expected,
    };
    vec![
        figure(
            "balance of all loans in the four state-level poverty counties: 35.996 billion yuan",
            "loans_total_balance",
            plan::GROUP,
            "35996000000.00",
        ),
        figure(
            "an increase of 3.866 billion yuan from the beginning of the year",
            "loans_total_increase",
            plan::GROUP,
            "3866000000.00",
        ),
        figure(
            "an increase of 8.65 % (stated; 3.866 / 32.130 is 12.03 %, flagged as differing)",
            "loans_total_growth",
            plan::GROUP,
            "12.03",
        ),
        figure(
            "higher than the city's loan growth by 1.05 percentage points",
            "loans_total_growth_gap_pp",
            plan::GROUP,
            "1.05",
        ),
        figure(
            "(the city's loan growth the gap implies)",
            "loans_total_growth",
            plan::CITY,
            "10.98",
        ),
        figure(
            "the city's poverty population is 380,300",
            "poor_population",
            plan::CITY,
            "380300",
        ),
        figure(
            "accounting for 5.66 % of the city's total population",
            "poor_population_share",
            plan::CITY,
            "5.66",
        ),
        figure(
            "rural cooperative institutions are responsible for 155 townships",
            "townships_assigned_rural_cooperative",
            plan::CITY,
            "155",
        ),
        figure(
            "the Agricultural Bank for 43 townships",
            "townships_assigned_large_commercial",
            plan::CITY,
            "43",
        ),
        figure(
            "the Postal Savings Bank for 12 townships",
            "townships_assigned_postal_savings",
            plan::CITY,
            "12",
        ),
        figure(
            "full coverage of townships by responsible banks",
            "townships_assigned_share",
            plan::CITY,
            "100.00",
        ),
        figure(
            "physical outlets in 252 villages",
            "villages_with_outlet",
            plan::CITY,
            "252",
        ),
        figure(
            "1,921 villages equipped with electronic equipment",
            "villages_with_electronic_only",
            plan::CITY,
            "1921",
        ),
        figure(
            "coverage of basic financial services reached 100 %",
            "village_service_coverage",
            plan::CITY,
            "100.00",
        ),
        figure(
            "more than 1,020 breeding bases in Shangrao County",
            "breeding_bases",
            plan::SHANGRAO_COUNTY,
            "1023",
        ),
        figure(
            "driving 7,776 people in difficulty out of poverty",
            "people_lifted_by_enterprises",
            plan::SHANGRAO_COUNTY,
            "7776",
        ),
        figure(
            "characteristic industry products: more than 5 billion yuan of loans",
            "characteristic_loans_disbursed_cumulative",
            plan::CITY,
            "5068300000.00",
        ),
        figure(
            "Wuyuan Rural Commercial Bank: 130 million yuan of poverty-alleviation micro-credit",
            "microcredit_balance",
            plan::WUYUAN,
            "130000000.00",
        ),
        figure(
            "… to more than 5,000 households",
            "microcredit_households",
            plan::WUYUAN,
            "5086",
        ),
        figure(
            "… credit granted (授信) of 130 million yuan",
            "credit_lines_granted_amount",
            plan::WUYUAN,
            "130000000.00",
        ),
        figure(
            "… to more than 5,000 households (credit lines)",
            "credit_lines_households",
            plan::WUYUAN,
            "5086",
        ),
        figure(
            "about 700 million yuan of beautiful-village loans in Hengfeng County",
            "beautiful_village_loans_disbursed_cumulative",
            plan::HENGFENG,
            "700000000.00",
        ),
    ]
}

/// One article figure evaluated.
#[derive(Clone, Debug)]
pub struct ArticleRow {
    pub figure: ArticleFigure,
    pub value: Option<String>,
    pub reported: Option<String>,
    pub differs: bool,
    pub problem: Option<String>,
}

/// Evaluates every article figure on the scenario date.
pub async fn article_table(db: &Db, ctx: &Ctx) -> Result<Vec<ArticleRow>> {
    let mut rows = Vec::new();
    for figure in article_figures() {
        let request = Request {
            scope: figure.scope(),
            as_of: plan::as_of(),
            base: None,
            institution: None,
            codes: Some(vec![figure.indicator.to_string()]),
        };
        let value = match indicators::evaluate(db, ctx, &request).await {
            Ok(values) => values.into_iter().next(),
            Err(AppError::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
        rows.push(match value {
            Some(value) => ArticleRow {
                value: value.text(),
                reported: value.reported.as_ref().map(|r| r.value.clone()),
                differs: value.reported.as_ref().is_some_and(|r| r.differs),
                problem: value.problem.clone(),
                figure,
            },
            None => ArticleRow {
                figure,
                value: None,
                reported: None,
                differs: false,
                problem: Some("not evaluated".into()),
            },
        });
    }
    Ok(rows)
}
