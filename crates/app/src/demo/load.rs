//! Loading the generated files with the importers a real deployment uses, then the commands
//! that follow in real life: risk-fund rules, approving returns, recording the article's
//! published figures, end of day, subsidy and risk claims, user accounts.

use std::path::Path;
use std::time::Instant;

use fupin_core::date::Quarter;
use fupin_core::{BusinessDate, RegionCode};
use fupin_store::Db;
use fupin_store::funds::RiskSettings;

use super::plan::{self, COUNTIES};
use super::{DemoOptions, Generated, Step};
use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::imports::credit::{CreditFileImporter, CreditLineImporter};
use crate::imports::funds::DepositImporter;
use crate::imports::loans::{LoanImporter, ProductImporter, RepaymentImporter};
use crate::imports::registry::{EnterpriseImporter, EnterpriseLinkImporter, import_households};
use crate::imports::territory::{
    AssignmentImporter, InstitutionImporter, RegionImporter, ServicePointImporter,
};
use crate::imports::{self, ImportOptions, ImportReport, Importer};
use crate::progress::Progress;
use crate::returns::NewReportedFigure;

/// A user account the demo creates (fixed demo passwords: this is a demonstration database).
#[derive(Clone, Debug)]
pub struct DemoUser {
    pub name: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub region: &'static str,
    pub institution: Option<&'static str>,
    pub password: &'static str,
}

/// One user of each role.
pub const USERS: [DemoUser; 5] = [
    DemoUser {
        name: "regulator",
        display_name: "上饶银监分局 监管员",
        role: Role::Regulator,
        region: "361100",
        institution: None,
        password: "demo-regulator-2017",
    },
    DemoUser {
        name: "wyrcb",
        display_name: "婺源农商银行 信贷员",
        role: Role::Bank,
        region: "361130",
        institution: Some(plan::WUYUAN_RCB),
        password: "demo-wyrcb-2017",
    },
    DemoUser {
        name: "poyang-fpb",
        display_name: "鄱阳县扶贫办",
        role: Role::PovertyOffice,
        region: "361128",
        institution: None,
        password: "demo-poyang-2017",
    },
    DemoUser {
        name: "finance",
        display_name: "上饶市财政局",
        role: Role::Finance,
        region: "361100",
        institution: None,
        password: "demo-finance-2017",
    },
    DemoUser {
        name: "admin",
        display_name: "系统管理员",
        role: Role::Admin,
        region: "361100",
        institution: None,
        password: "demo-admin-2017",
    },
];

/// Times a step and reports it: live while it runs, in one line when it ends.
struct Timer<'a> {
    progress: &'a mut (dyn FnMut(&Step) + Send),
    live: Progress,
}

impl Timer<'_> {
    /// Starts a step of `total_rows` rows (when known); returns when it started.
    fn begin(&self, name: &str, total_rows: Option<u64>) -> Instant {
        self.live.start(name, total_rows);
        Instant::now()
    }

    fn report(&mut self, name: impl Into<String>, rows: u64, started: Instant, note: String) {
        self.live.finish();
        (self.progress)(&Step {
            name: name.into(),
            rows,
            seconds: started.elapsed().as_secs_f64(),
            note,
        });
    }
}

impl Timer<'_> {
    /// Import options whose row count the live display reads.
    fn import_options(&self) -> ImportOptions {
        ImportOptions {
            progress: self.live.clone(),
            ..ImportOptions::default()
        }
    }
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// Refuses the demo when an import did not apply, after writing its error report beside the
/// file.
fn check(report: &ImportReport, path: &str, workdir: &Path) -> Result<()> {
    if report.applied {
        return Ok(());
    }
    let errors = workdir.join(format!("errors-{}", file_name(path)));
    imports::write_errors(report, &errors)?;
    let first: Vec<String> = report
        .errors
        .iter()
        .take(3)
        .map(|e| e.to_string())
        .collect();
    Err(AppError::Invalid(format!(
        "importing {path} was refused with {} errors (report: {}): {}",
        report.error_count(),
        errors.display(),
        first.join("; ")
    )))
}

fn note(report: &ImportReport) -> String {
    let counts = report.counts;
    format!(
        "added {}, changed {}, unchanged {}, removed {}",
        counts.added, counts.changed, counts.unchanged, counts.removed
    )
}

async fn import<I: Importer + Send>(
    db: &Db,
    ctx: &Ctx,
    workdir: &Path,
    timer: &mut Timer<'_>,
    (path, rows): &(String, u64),
    importer: I,
) -> Result<ImportReport>
where
    I::Record: Send,
{
    let started = timer.begin(&format!("import {}", file_name(path)), Some(*rows));
    let options = timer.import_options();
    let report = imports::run(db, ctx, Path::new(path), &options, importer).await?;
    check(&report, path, workdir)?;
    timer.report(
        format!("import {}", file_name(path)),
        report.rows,
        started,
        note(&report),
    );
    Ok(report)
}

/// Imports the credit files and lines (`fupin import credit_files|credit_lines`).
async fn import_credit(
    db: &Db,
    ctx: &Ctx,
    workdir: &Path,
    timer: &mut Timer<'_>,
    generated: &Generated,
) -> Result<()> {
    for file in &generated.registry.credit_files {
        import(db, ctx, workdir, timer, file, CreditFileImporter::default()).await?;
    }
    for file in &generated.registry.credit_lines {
        import(db, ctx, workdir, timer, file, CreditLineImporter::default()).await?;
    }
    Ok(())
}

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("scenario codes are valid")
}

pub async fn load(
    db: &Db,
    ctx: &Ctx,
    options: &DemoOptions,
    generated: &Generated,
    progress: &mut (dyn FnMut(&Step) + Send),
) -> Result<Vec<DemoUser>> {
    let workdir = options.workdir.as_path();
    let mut timer = Timer {
        progress,
        live: options.live.clone(),
    };
    let timer = &mut timer;
    let as_of = plan::as_of();

    let started = timer.begin("reference data, groups, indicators", None);
    crate::regions::load_reference_data(db, ctx).await?;
    crate::territory::load_builtin_groups(db, ctx).await?;
    crate::indicators::load_builtin(db, ctx).await?;
    timer.report(
        "reference data, groups, indicators",
        0,
        started,
        String::new(),
    );

    import(
        db,
        ctx,
        workdir,
        timer,
        &generated.regions,
        RegionImporter::default(),
    )
    .await?;
    let file = &generated.institutions;
    import(
        db,
        ctx,
        workdir,
        timer,
        file,
        InstitutionImporter::default(),
    )
    .await?;
    let file = &generated.assignments;
    import(db, ctx, workdir, timer, file, AssignmentImporter::default()).await?;
    let file = &generated.service_points;
    import(
        db,
        ctx,
        workdir,
        timer,
        file,
        ServicePointImporter::default(),
    )
    .await?;

    for (path, rows) in &generated.registry.households {
        let started = timer.begin(&format!("import {}", file_name(path)), Some(*rows));
        let options = timer.import_options();
        let report = import_households(db, ctx, Path::new(path), &options, as_of).await?;
        check(&report, path, workdir)?;
        timer.report(
            format!("import {}", file_name(path)),
            report.rows,
            started,
            note(&report),
        );
    }
    for file in &generated.enterprises {
        let extract = if file.0.contains("2016-12-31") {
            plan::base_date()
        } else {
            as_of
        };
        let importer = EnterpriseImporter::new(extract);
        import(db, ctx, workdir, timer, file, importer).await?;
    }
    for file in &generated.registry.links {
        let importer = EnterpriseLinkImporter::new(as_of);
        import(db, ctx, workdir, timer, file, importer).await?;
    }
    import_credit(db, ctx, workdir, timer, generated).await?;

    import(
        db,
        ctx,
        workdir,
        timer,
        &generated.products,
        ProductImporter::default(),
    )
    .await?;
    let started = timer.begin("risk-fund rules", None);
    for spec in &COUNTIES {
        let settings = RiskSettings {
            county_code: code(spec.code),
            effective_from: plan::date(2015, 12, 1),
            leverage_multiple: 8,
            fund_share_ppm: 800_000,
            trigger_days: 90,
        };
        crate::funds::set_risk_settings(db, ctx, &settings).await?;
    }
    timer.report(
        "risk-fund rules (leverage 8, share 80 %, trigger 90 days)",
        COUNTIES.len() as u64,
        started,
        String::new(),
    );
    let file = &generated.deposits;
    import(db, ctx, workdir, timer, file, DepositImporter::default()).await?;
    for file in &generated.loans_files {
        import(db, ctx, workdir, timer, file, LoanImporter::new(db)).await?;
    }
    for file in &generated.repayments {
        let importer = RepaymentImporter::default();
        import(db, ctx, workdir, timer, file, importer).await?;
    }

    returns(db, ctx, options, generated, timer).await?;
    reported_figures(db, ctx, options.scale, timer).await?;
    let started = timer.begin("guarantee funds and insurance", None);
    let relief = super::risk::relief(db, ctx).await?;
    timer.report(
        "guarantee funds and insurance",
        relief.policies,
        started,
        format!(
            "{} policies, {} defaults guaranteed and insured",
            relief.policies, relief.guaranteed_defaults
        ),
    );
    let started = timer.begin("co-borrowers and company guarantees", None);
    let joint = super::joint::joint(db, ctx).await?;
    timer.report(
        "co-borrowers and company guarantees",
        joint.co_borrowers + joint.company_guarantees,
        started,
        format!(
            "{} spouses co-borrow micro-credit, {} enterprise loans guaranteed by {}",
            joint.co_borrowers,
            joint.company_guarantees,
            super::joint::COMPANY
        ),
    );
    end_of_day(db, ctx, generated.first_loan_start, timer).await?;
    claims(db, ctx, timer).await?;
    let started = timer.begin("guarantee claims", None);
    let (raised, approved) = super::risk::approve_claims(db, ctx).await?;
    timer.report(
        "guarantee claims",
        raised,
        started,
        format!("{approved} approved, raised in June left pending"),
    );
    requests(db, ctx, &generated.requests, timer).await?;
    alerts(db, ctx, timer).await?;

    let started = timer.begin("users", Some(USERS.len() as u64));
    let mut users = Vec::new();
    for user in USERS {
        let new = crate::users::NewUser {
            name: user.name.to_string(),
            display_name: Some(user.display_name.to_string()),
            role: user.role,
            region: code(user.region),
            institution: user.institution.map(str::to_string),
            password: user.password.to_string(),
        };
        match crate::users::add(db, ctx, new).await {
            Ok(_) | Err(AppError::Conflict(_)) => users.push(user),
            Err(other) => return Err(other),
        }
    }
    timer.report("users", users.len() as u64, started, String::new());
    Ok(users)
}

/// Imports the monthly returns (their rules must pass without confirming warnings) and
/// approves every month before June 2017, as the regulator would have by then.
async fn returns(
    db: &Db,
    ctx: &Ctx,
    options: &DemoOptions,
    generated: &Generated,
    timer: &mut Timer<'_>,
) -> Result<()> {
    for (path, rows) in &generated.returns {
        let started = timer.begin(&format!("import {}", file_name(path)), Some(*rows));
        let import_options = timer.import_options();
        let outcome =
            imports::returns::import(db, ctx, Path::new(path), &import_options, false).await?;
        check(&outcome.report, path, &options.workdir)?;
        timer.report(
            format!("import {}", file_name(path)),
            outcome.report.rows,
            started,
            note(&outcome.report),
        );
    }
    let started = timer.begin("approve returns", None);
    let filers = super::returns::filers(options.seed, super::plan::Scale(options.scale));
    let mut approved = 0;
    for month in super::returns::months() {
        if month >= super::returns::last_month() {
            continue;
        }
        for filer in &filers {
            let key = crate::returns::return_key(
                &filer.institution,
                filer.county.code,
                &month.to_string(),
            )?;
            crate::returns::approve(db, ctx, &key).await?;
            timer.live.advance(1);
            approved += 1;
        }
    }
    timer.report(
        "approve returns 2016-01 … 2017-05",
        approved,
        started,
        "June 2017 left submitted".to_string(),
    );
    Ok(())
}

/// The article's published figures, kept beside the computed ones: the 8.65 % is flagged.
///
/// Amounts and counts are recorded at scale 1 only (at other scales they would differ by
/// design); the rates, which do not scale, always.
async fn reported_figures(db: &Db, ctx: &Ctx, scale: f64, timer: &mut Timer<'_>) -> Result<()> {
    let started = timer.begin("reported figures of the article", None);
    let source = "上饶银监分局, seed article (end of June 2017)";
    let figures: [(&str, &str, &str, &str); 6] = [
        ("loans_total_balance", plan::GROUP, "35996000000", "yuan"),
        ("loans_total_increase", plan::GROUP, "3866000000", "yuan"),
        (
            "loans_total_growth",
            plan::GROUP,
            plan::REPORTED_GROWTH,
            "percent",
        ),
        (
            "loans_total_growth_gap_pp",
            plan::GROUP,
            "1.05",
            "percentage_point",
        ),
        ("poor_population", plan::CITY, "380300", "count"),
        ("poor_population_share", plan::CITY, "5.66", "percent"),
    ];
    let mut recorded = 0;
    for (indicator, scope, value, unit) in figures {
        if scale != 1.0 && matches!(unit, "yuan" | "count") {
            continue;
        }
        recorded += 1;
        let (region, group) = match RegionCode::parse(scope) {
            Ok(code) => (Some(code.to_string()), None),
            Err(_) => (None, Some(scope.to_string())),
        };
        let figure = NewReportedFigure {
            indicator: indicator.to_string(),
            region,
            group,
            as_of: Some(plan::as_of()),
            value: value.to_string(),
            unit: unit.to_string(),
            source: source.to_string(),
            note: (indicator == "loans_total_growth").then(|| {
                "3.866 / (35.996 − 3.866) = 12.03 %: the article's three loan figures disagree"
                    .to_string()
            }),
        };
        crate::returns::record_reported_figure(db, ctx, &figure).await?;
    }
    timer.report(
        "reported figures of the article",
        recorded,
        started,
        "8.65 % beside the computed growth".into(),
    );
    Ok(())
}

/// End of day from the first loan's start through the scenario date: interest falls due,
/// the defaulted loans become overdue, and risk claims are raised past the trigger.
async fn end_of_day(
    db: &Db,
    ctx: &Ctx,
    first: Option<BusinessDate>,
    timer: &mut Timer<'_>,
) -> Result<()> {
    let days = first.map(|first| first.days_until(plan::as_of()).max(0) as u64 + 1);
    let started = timer.begin("end of day", days);
    let mut claims = 0;
    let mut overdue = 0;
    let live = timer.live.clone();
    let report = crate::loans::eod::run(db, ctx, plan::as_of(), first, &mut |day| {
        claims += day.risk_claims;
        overdue = day.overdue_loans;
        live.advance(1);
    })
    .await?;
    let days = report.days.len() as u64;
    let first = report.first.map(|d| d.to_string()).unwrap_or_default();
    timer.report(
        format!("end of day {first} … {}", plan::as_of()),
        days,
        started,
        format!("{overdue} loans overdue at the end, {claims} risk claims raised"),
    );
    Ok(())
}

/// The borrowers' renewal and extension requests, ten days before the scenario date, left
/// pending: the maturity wall's work list.
async fn requests(
    db: &Db,
    ctx: &Ctx,
    loans: &[(String, String)],
    timer: &mut Timer<'_>,
) -> Result<()> {
    use crate::loans::requests::{self, RequestKind};
    let started = timer.begin("renewal and extension requests", None);
    let on = plan::date(2017, 6, 20);
    for ((bank, contract), kind) in loans.iter().zip(super::lending::PLANTED_REQUESTS) {
        let kind = RequestKind::parse(kind).expect("a request kind");
        let note = "借款人申请，待审批";
        requests::record(db, ctx, (bank, contract), kind, on, Some(note)).await?;
    }
    timer.report(
        "renewal and extension requests",
        loans.len() as u64,
        started,
        "pending".into(),
    );
    Ok(())
}

/// The supervisory alerts of the scenario date, once the claims are in.
async fn alerts(db: &Db, ctx: &Ctx, timer: &mut Timer<'_>) -> Result<()> {
    let started = timer.begin("alerts", None);
    let report = crate::alerts::run(db, ctx, plan::as_of()).await?;
    let found: u64 = report.by_rule.values().sum();
    timer.report(
        format!("alerts of {}", plan::as_of()),
        found,
        started,
        format!("{} open", report.opened + report.still_open),
    );
    Ok(())
}

/// Subsidy claims of every quarter (approved a fortnight after the quarter; the last one left
/// pending) and the risk claims raised before June (approved; later ones left pending).
async fn claims(db: &Db, ctx: &Ctx, timer: &mut Timer<'_>) -> Result<()> {
    let started = timer.begin("interest-subsidy claims", None);
    let mut prepared = 0;
    let mut approved = 0;
    let last = Quarter::of(plan::as_of());
    let mut quarter = Quarter::new(2016, 1).expect("a quarter");
    while quarter <= last {
        for claim in crate::funds::prepare_subsidy_claims_only(db, ctx, quarter, None).await? {
            prepared += 1;
            timer.live.advance(1);
            let on = quarter.last_day().add_days(15).expect("a date");
            if quarter < last && claim.state != "approved" && claim.amount.is_positive() {
                crate::funds::approve_subsidy_claim(db, ctx, claim.id, on).await?;
                approved += 1;
            }
        }
        quarter = next_quarter(quarter);
    }
    timer.report(
        "interest-subsidy claims 2016Q1 … 2017Q2",
        prepared,
        started,
        format!("{approved} approved, 2017Q2 pending"),
    );
    let started = timer.begin("risk-compensation claims", None);
    let cutoff: BusinessDate = plan::date(2017, 5, 31);
    let mut approved = 0;
    let claims = crate::funds::risk_claims(db, None).await?;
    for claim in claims.iter().map(|named| &named.claim) {
        if claim.state == "pending" && claim.raised_on <= cutoff {
            let on = claim.raised_on.add_days(20).expect("a date");
            crate::funds::approve_risk_claim(db, ctx, claim.id, on).await?;
            timer.live.advance(1);
            approved += 1;
        }
    }
    timer.report(
        "risk-compensation claims",
        claims.len() as u64,
        started,
        format!("{approved} approved, raised in June left pending"),
    );
    Ok(())
}

fn next_quarter(quarter: Quarter) -> Quarter {
    let next = quarter.last_day().succ().expect("a date");
    Quarter::of(next)
}
