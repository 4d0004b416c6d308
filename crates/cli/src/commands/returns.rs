//! `fupin returns list|show|approve|lock|reopen|correct|total|elements|define-element|rules|define-rule`
//! and `fupin reported add|list`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::imports::Applied;
use fupin_app::returns::{
    self, Correction, NewElement, NewReportedFigure, NewRule, ReturnHeader, ReturnKey, ReturnQuery,
    RuleFinding, RuleSpec,
};
use fupin_core::BusinessDate;
use fupin_core::date::Month;
use fupin_core::returns::ReturnState;

use super::operator_ctx;
use super::regions::parse_date;
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum ReturnsCommand {
    /// List returns, by period, institution and county.
    List(ListArgs),
    /// One return: its state, values, rule results and the history of its values.
    Show(ShowArgs),
    /// Approve a submitted or reopened return (refused while an error rule fails).
    Approve(KeyArgs),
    /// Lock an approved return.
    Lock(KeyArgs),
    /// Reopen an approved or locked return for correction.
    Reopen(ReopenArgs),
    /// Correct one value of a submitted or reopened return (the old value is kept).
    Correct(CorrectArgs),
    /// An element summed over institutions and counties as of a date, from the returns.
    Total(TotalArgs),
    /// The data elements returns can hold.
    Elements(FormatArgs),
    /// Add a data element, or change one's names and description.
    DefineElement(DefineElementArgs),
    /// The validation rules returns are checked against.
    Rules(FormatArgs),
    /// Add or change a validation rule.
    DefineRule(DefineRuleArgs),
}

/// Which return: institution, county, period.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Institution code.
    institution: String,
    /// County code (6 or 12 digits).
    county: String,
    /// Period: YYYY-MM.
    period: String,
}

impl KeyArgs {
    fn key(&self) -> anyhow::Result<ReturnKey> {
        Ok(returns::return_key(
            &self.institution,
            &self.county,
            &self.period,
        )?)
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    institution: Option<String>,
    /// Counties whose code starts with these digits: 361128 (Poyang), 3611 (Shangrao).
    #[arg(long)]
    region: Option<String>,
    /// First period (YYYY-MM).
    #[arg(long, value_parser = parse_month)]
    from: Option<Month>,
    /// Last period (YYYY-MM).
    #[arg(long, value_parser = parse_month)]
    to: Option<Month>,
    /// submitted, approved, locked or reopened.
    #[arg(long, value_parser = parse_state)]
    state: Option<ReturnState>,
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    key: KeyArgs,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// Why it is reopened (kept with the return and in the history of corrected values).
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Args)]
pub struct CorrectArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// Data element code (or its Chinese name).
    element: String,
    /// The corrected value, in the element's unit (yuan with at most two decimals for amounts).
    value: String,
    /// Why (default: the reason the return was reopened with).
    #[arg(long)]
    reason: Option<String>,
    /// Accept the correction although a warning rule (e.g. a month-on-month change) fails.
    #[arg(long)]
    confirm_warnings: bool,
}

#[derive(Debug, Args)]
pub struct TotalArgs {
    /// Data element code.
    element: String,
    /// The date (YYYY-MM-DD): each institution-county's latest month-end on or before it.
    #[arg(long, value_parser = parse_date)]
    as_of: BusinessDate,
    /// Counties whose code starts with these digits (default: all).
    #[arg(long, default_value = "")]
    region: String,
    /// Only this institution.
    #[arg(long)]
    institution: Option<String>,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct DefineElementArgs {
    /// Code: lowercase letters, digits and '_', e.g. loans_poverty_tea.
    code: String,
    /// Chinese name.
    #[arg(long)]
    name: String,
    #[arg(long)]
    name_en: Option<String>,
    /// yuan, count or percent.
    #[arg(long)]
    unit: String,
    #[arg(long)]
    description: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("kind").required(true).args(["check", "change"])))]
pub struct DefineRuleArgs {
    /// Code: lowercase letters, digits and '_'.
    code: String,
    #[arg(long)]
    description: String,
    /// A comparison of sums of elements, e.g. "loans_poverty <= loans_agriculture".
    #[arg(long)]
    check: Option<String>,
    /// A month-on-month change limit on this element (with --threshold).
    #[arg(long, requires = "threshold")]
    change: Option<String>,
    /// The change limit in percent, e.g. 30.
    #[arg(long)]
    threshold: Option<String>,
    /// error (refuses the data) or warning (needs confirmation).
    #[arg(long, default_value = "error")]
    severity: String,
    /// Keep the rule but do not evaluate it.
    #[arg(long)]
    inactive: bool,
}

pub async fn run(db: &Db, command: ReturnsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReturnsCommand::List(args) => list(db, args).await,
        ReturnsCommand::Show(args) => show(db, args).await,
        ReturnsCommand::Approve(args) => {
            let header = returns::approve(db, &operator_ctx(), &args.key()?).await?;
            print_state(&header);
            Ok(ExitCode::SUCCESS)
        }
        ReturnsCommand::Lock(args) => {
            let header = returns::lock(db, &operator_ctx(), &args.key()?).await?;
            print_state(&header);
            Ok(ExitCode::SUCCESS)
        }
        ReturnsCommand::Reopen(args) => {
            let header =
                returns::reopen(db, &operator_ctx(), &args.key.key()?, &args.reason).await?;
            print_state(&header);
            Ok(ExitCode::SUCCESS)
        }
        ReturnsCommand::Correct(args) => correct(db, args).await,
        ReturnsCommand::Total(args) => total(db, args).await,
        ReturnsCommand::Elements(args) => elements(db, args).await,
        ReturnsCommand::DefineElement(args) => define_element(db, args).await,
        ReturnsCommand::Rules(args) => rules(db, args).await,
        ReturnsCommand::DefineRule(args) => define_rule(db, args).await,
    }
}

fn parse_month(text: &str) -> Result<Month, String> {
    Month::parse(text).map_err(|e| e.to_string())
}

fn parse_state(text: &str) -> Result<ReturnState, String> {
    ReturnState::parse(text).map_err(|e| e.to_string())
}

fn print_state(header: &ReturnHeader) {
    println!("return {}: {}", header.key, header.state);
}

/// Prints the warnings accepted with an import or a correction.
pub fn print_confirmed_warnings(warnings: &[RuleFinding]) {
    for warning in warnings {
        println!("  warning (confirmed): {}", warning.message);
    }
}

fn applied_word(applied: Applied) -> &'static str {
    match applied {
        Applied::Added => "added",
        Applied::Changed => "changed",
        Applied::Unchanged => "unchanged",
    }
}

async fn list(db: &Db, args: ListArgs) -> anyhow::Result<ExitCode> {
    let query = ReturnQuery {
        institution: args.institution,
        county_prefix: args.region,
        from: args.from,
        to: args.to,
        state: args.state,
        limit: args.limit,
    };
    let rows = returns::list(db, &operator_ctx(), &query).await?;
    let mut listing = Listing::new(vec![
        "period",
        "institution_code",
        "county_code",
        "state",
        "values",
        "submitted_at",
        "updated_at",
        "approved_by",
        "reopen_reason",
    ]);
    for row in rows {
        let header = row.header;
        listing.push(vec![
            Some(header.key.period.to_string()),
            Some(header.key.institution_code),
            Some(header.key.county_code.to_string()),
            Some(header.state.to_string()),
            Some(row.values.to_string()),
            Some(header.submitted_at),
            Some(header.updated_at),
            header.approved_by,
            header.reopen_reason,
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn show(db: &Db, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let detail = returns::show(db, &operator_ctx(), &args.key.key()?).await?;
    let mut listing = Listing::new(vec!["section", "item", "value", "detail"]);
    let mut row = |section: &str, item: &str, value: Option<String>, detail: Option<String>| {
        listing.push(vec![
            Some(section.to_string()),
            Some(item.to_string()),
            value,
            detail,
        ]);
    };
    let header = &detail.header;
    row("return", "key", Some(header.key.to_string()), None);
    row("return", "state", Some(header.state.to_string()), None);
    let people = [
        (
            "submitted",
            Some(&header.submitted_by),
            Some(&header.submitted_at),
        ),
        (
            "updated",
            Some(&header.updated_by),
            Some(&header.updated_at),
        ),
        (
            "approved",
            header.approved_by.as_ref(),
            header.approved_at.as_ref(),
        ),
        (
            "locked",
            header.locked_by.as_ref(),
            header.locked_at.as_ref(),
        ),
        (
            "reopened",
            header.reopened_by.as_ref(),
            header.reopened_at.as_ref(),
        ),
    ];
    for (what, by, at) in people {
        if let (Some(by), Some(at)) = (by, at) {
            row("return", what, Some(by.clone()), Some(at.clone()));
        }
    }
    if let Some(reason) = &header.reopen_reason {
        row("return", "reopen_reason", Some(reason.clone()), None);
    }
    for value in &detail.values {
        row(
            "value",
            value.element.code.as_str(),
            Some(value.text()),
            Some(value.element.name.clone()),
        );
    }
    for result in &detail.rules {
        let detail_text = match result.message.is_empty() {
            true => result.check.clone(),
            false => format!("{}: {}", result.check, result.message),
        };
        row(
            "rule",
            &result.rule_code,
            Some(format!("{} ({})", result.status(), result.severity)),
            Some(detail_text),
        );
    }
    let units: std::collections::BTreeMap<_, _> = detail
        .values
        .iter()
        .map(|v| (v.element.code.clone(), v.element.unit))
        .collect();
    for change in &detail.history {
        let unit = units
            .get(&change.element_code)
            .copied()
            .unwrap_or(fupin_core::returns::Unit::Yuan);
        row(
            "history",
            change.element_code.as_str(),
            Some(format!(
                "{} -> {}",
                unit.format_value(change.old_value),
                unit.format_value(change.new_value)
            )),
            Some(format!(
                "{} {}: {}",
                change.changed_by, change.changed_at, change.reason
            )),
        );
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn correct(db: &Db, args: CorrectArgs) -> anyhow::Result<ExitCode> {
    let key = args.key.key()?;
    let correction = Correction {
        element: args.element,
        value: args.value,
        reason: args.reason,
        confirm_warnings: args.confirm_warnings,
    };
    let corrected = returns::correct(db, &operator_ctx(), &key, &correction).await?;
    let unit = corrected.element.unit;
    let old = corrected
        .old_value
        .map_or("(none)".to_string(), |v| unit.format_value(v));
    println!(
        "return {key}: {} {old} -> {} ({})",
        corrected.element.code,
        unit.format_value(corrected.new_value),
        applied_word(corrected.applied)
    );
    print_confirmed_warnings(&corrected.warnings);
    Ok(ExitCode::SUCCESS)
}

async fn total(db: &Db, args: TotalArgs) -> anyhow::Result<ExitCode> {
    let figure = returns::element_figure_as_of(
        db,
        &args.element,
        &args.region,
        args.institution.as_deref(),
        args.as_of,
    )
    .await?;
    let up_to = figure
        .up_to
        .map_or("-".to_string(), |month| month.to_string());
    let total = figure.text().unwrap_or_else(|| "no returns".to_string());
    let provisional = match figure.is_provisional() {
        true => format!(
            ", provisional: {} of them not yet approved",
            figure.total.provisional
        ),
        false => String::new(),
    };
    println!(
        "{} as of {} (returns up to {up_to}): {total} from {} institution-county values{provisional}",
        figure.element.code, figure.as_of, figure.total.values
    );
    Ok(ExitCode::SUCCESS)
}

async fn elements(db: &Db, args: FormatArgs) -> anyhow::Result<ExitCode> {
    let elements = returns::list_elements(db, &operator_ctx()).await?;
    let mut listing = Listing::new(vec![
        "code",
        "name",
        "name_en",
        "unit",
        "builtin",
        "description",
    ]);
    for element in elements {
        listing.push(vec![
            Some(element.code.to_string()),
            Some(element.name),
            element.name_en,
            Some(element.unit.to_string()),
            Some(element.builtin.to_string()),
            element.description,
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn define_element(db: &Db, args: DefineElementArgs) -> anyhow::Result<ExitCode> {
    let new = NewElement {
        code: args.code,
        name: args.name,
        name_en: args.name_en,
        unit: args.unit,
        description: args.description,
    };
    let (element, applied) = returns::define_element(db, &operator_ctx(), &new).await?;
    println!(
        "data element {} ({}, {}): {}",
        element.code,
        element.name,
        element.unit,
        applied_word(applied)
    );
    Ok(ExitCode::SUCCESS)
}

async fn rules(db: &Db, args: FormatArgs) -> anyhow::Result<ExitCode> {
    let rules = returns::list_rules(db, &operator_ctx()).await?;
    let mut listing = Listing::new(vec![
        "code",
        "kind",
        "check",
        "severity",
        "active",
        "builtin",
        "description",
    ]);
    for rule in rules {
        listing.push(vec![
            Some(rule.code),
            Some(rule.check.kind().to_string()),
            Some(rule.check.to_string()),
            Some(rule.severity.to_string()),
            Some(rule.active.to_string()),
            Some(rule.builtin.to_string()),
            Some(rule.description),
        ]);
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn define_rule(db: &Db, args: DefineRuleArgs) -> anyhow::Result<ExitCode> {
    let spec = match (args.check, args.change, args.threshold) {
        (Some(check), None, None) => RuleSpec::Compare(check),
        (None, Some(element), Some(threshold)) => RuleSpec::Change { element, threshold },
        _ => anyhow::bail!("give either --check, or --change with --threshold"),
    };
    let new = NewRule {
        code: args.code,
        description: args.description,
        spec,
        severity: args.severity,
        active: !args.inactive,
    };
    let (rule, applied) = returns::define_rule(db, &operator_ctx(), &new).await?;
    println!(
        "validation rule {} ({}, {}): {}",
        rule.code,
        rule.check,
        rule.severity,
        applied_word(applied)
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// reported figures

#[derive(Debug, Subcommand)]
pub enum ReportedCommand {
    /// Record a figure published elsewhere (a press release, a bank's report).
    Add(ReportedAddArgs),
    /// The figures recorded.
    List(ReportedListArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["region", "group"])))]
pub struct ReportedAddArgs {
    /// Indicator code, e.g. poverty_loan_share.
    #[arg(long)]
    indicator: String,
    /// Region code the figure is for.
    #[arg(long)]
    region: Option<String>,
    /// Region group the figure is for, e.g. state_poverty_counties.
    #[arg(long)]
    group: Option<String>,
    #[arg(long, value_parser = parse_date)]
    as_of: BusinessDate,
    /// The figure exactly as published, e.g. 8.65.
    #[arg(long, allow_hyphen_values = true)]
    value: String,
    /// yuan, wan_yuan (万元), yi_yuan (亿元), percent, percentage_point or count.
    #[arg(long)]
    unit: String,
    /// Where it was published.
    #[arg(long)]
    source: String,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReportedListArgs {
    #[arg(long)]
    indicator: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn reported(db: &Db, command: ReportedCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportedCommand::Add(args) => {
            let new = NewReportedFigure {
                indicator: args.indicator,
                region: args.region,
                group: args.group,
                as_of: Some(args.as_of),
                value: args.value,
                unit: args.unit,
                source: args.source,
                note: args.note,
            };
            let (figure, applied) =
                returns::record_reported_figure(db, &operator_ctx(), &new).await?;
            let subject = figure
                .region_code
                .map(|c| c.to_string())
                .or(figure.group_name.clone())
                .unwrap_or_default();
            println!(
                "reported figure {} for {subject} as of {}: {} {} ({}): {}",
                figure.indicator_code,
                figure.as_of,
                figure.value,
                figure.unit,
                figure.source,
                applied_word(applied)
            );
            Ok(ExitCode::SUCCESS)
        }
        ReportedCommand::List(args) => {
            let figures = returns::list_reported_figures(
                db,
                &operator_ctx(),
                args.indicator.as_deref(),
                None,
            )
            .await?;
            let mut listing = Listing::new(vec![
                "indicator_code",
                "region_code",
                "group_name",
                "as_of",
                "value",
                "unit",
                "source",
                "note",
            ]);
            for figure in figures {
                listing.push(vec![
                    Some(figure.indicator_code),
                    figure.region_code.map(|c| c.to_string()),
                    figure.group_name,
                    Some(figure.as_of.to_string()),
                    Some(figure.value.to_string()),
                    Some(figure.unit),
                    Some(figure.source),
                    figure.note,
                ]);
            }
            listing.write(args.format, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
