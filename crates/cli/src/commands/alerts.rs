//! `fupin alerts list|show|answer|run|export|rules|rule` — supervisory alerts (issue 28).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use fupin_app::Db;
use fupin_app::alerts::{self, AlertRule, ListQuery};
use fupin_core::alert::{AlertStatus, AnswerKind, Severity};
use fupin_core::{BusinessDate, RegionCode};

use super::operator_ctx;
use super::regions::{parse_date, parse_region};
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Alerts, newest first, with filters.
    List(ListArgs),
    /// One alert with its evidence and answers (JSON).
    Show(ShowArgs),
    /// Answers an alert: explain, correct, escalate or dismiss (with a note).
    Answer(AnswerArgs),
    /// Evaluates every rule for a business date and records the alerts.
    Run(RunArgs),
    /// Writes the work list (alerts still to be worked on) as XLSX.
    Export(ExportArgs),
    /// The rules.
    Rules(RulesArgs),
    /// Adds a rule, or replaces the one of its code: a rule is data.
    Rule(RuleArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// Institution (bank) code.
    #[arg(long)]
    bank: Option<String>,
    #[arg(long)]
    rule: Option<String>,
    /// open, explained, corrected, escalated, dismissed or closed.
    #[arg(long, value_parser = |s: &str| AlertStatus::parse(s).map_err(|e| e.0))]
    status: Option<AlertStatus>,
    /// high, medium or low.
    #[arg(long, value_parser = |s: &str| Severity::parse(s).map_err(|e| e.0))]
    severity: Option<Severity>,
    /// At most this many rows (default 200, at most 5,000).
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    id: i64,
}

#[derive(Debug, Args)]
pub struct AnswerArgs {
    id: i64,
    /// explain, correct, escalate or dismiss.
    #[arg(long, value_parser = |s: &str| AnswerKind::parse(s).map_err(|e| e.0))]
    kind: AnswerKind,
    /// What was found or done (required; the reason of a dismissal).
    #[arg(long)]
    note: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The business date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    date: BusinessDate,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The bank whose work list it is (default: every bank).
    #[arg(long)]
    bank: Option<String>,
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// The .xlsx file to write.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    #[arg(long)]
    code: String,
    #[arg(long)]
    name_zh: String,
    #[arg(long)]
    name_en: String,
    /// high, medium or low.
    #[arg(long)]
    severity: String,
    /// loan, credit_line, village, enterprise_day, written_off_loan or officer.
    #[arg(long)]
    subject: String,
    /// Comparisons of facts and parameters joined by and/or (docs/formats.md).
    #[arg(long)]
    condition: String,
    /// JSON object of whole numbers, e.g. '{"cap_fen": 3000000}'.
    #[arg(long, default_value = "{}")]
    parameters: String,
    #[arg(long)]
    regulation: String,
    #[arg(long)]
    definition: String,
    /// Keep the rule but do not evaluate it.
    #[arg(long)]
    disabled: bool,
}

pub async fn run(db: &Db, command: AlertsCommand) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    match command {
        AlertsCommand::List(args) => {
            let query = ListQuery {
                region: args.region,
                institution: args.bank,
                rule: args.rule,
                status: args.status,
                severity: args.severity,
                live_only: false,
                limit: args.limit,
                offset: None,
            };
            let mut listing = Listing::new(vec![
                "id",
                "rule",
                "severity",
                "status",
                "subject",
                "institution",
                "village",
                "first_seen",
                "last_seen",
                "closed_on",
            ]);
            for alert in alerts::list(db, &ctx, &query).await? {
                listing.push(vec![
                    Some(alert.id.to_string()),
                    Some(alert.rule_code),
                    Some(alert.severity),
                    Some(alert.status),
                    Some(alert.subject_key),
                    alert.institution_code,
                    Some(alert.village_code),
                    Some(alert.first_seen),
                    Some(alert.last_seen),
                    alert.closed_on,
                ]);
            }
            listing.write(args.format, &mut std::io::stdout().lock())?;
        }
        AlertsCommand::Show(args) => {
            let (alert, answers) = alerts::show(db, &ctx, args.id).await?;
            let mut json = alerts::alert_json(&alert);
            json["answers"] = answers
                .iter()
                .map(|a| serde_json::json!({"seq": a.seq, "at": a.answered_at, "actor": a.actor, "kind": a.kind, "note": a.note}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        AlertsCommand::Answer(args) => {
            let alert = alerts::answer(db, &ctx, args.id, args.kind, &args.note).await?;
            println!("alert {} is now {}", alert.id, alert.status);
        }
        AlertsCommand::Run(args) => {
            let report = alerts::run(db, &ctx, args.date).await?;
            for (rule, count) in &report.by_rule {
                println!("{rule}\t{count}");
            }
            println!(
                "alerts of {}: {} new, {} still holding, {} closed",
                args.date, report.opened, report.still_open, report.closed
            );
        }
        AlertsCommand::Export(args) => {
            let query = ListQuery {
                region: args.region,
                institution: args.bank,
                ..ListQuery::default()
            };
            let bytes = alerts::work_list_xlsx(db, &ctx, &query).await?;
            std::fs::write(&args.out, bytes)
                .with_context(|| format!("writing {}", args.out.display()))?;
            println!("wrote {}", args.out.display());
        }
        AlertsCommand::Rules(args) => {
            let mut listing = Listing::new(vec![
                "code",
                "name_zh",
                "severity",
                "subject",
                "condition",
                "parameters",
                "enabled",
            ]);
            for rule in alerts::rules(db, &ctx).await? {
                listing.push(vec![
                    Some(rule.code),
                    Some(rule.name_zh),
                    Some(rule.severity),
                    Some(rule.subject),
                    Some(rule.condition),
                    Some(rule.parameters),
                    Some(rule.enabled.to_string()),
                ]);
            }
            listing.write(args.format, &mut std::io::stdout().lock())?;
        }
        AlertsCommand::Rule(args) => {
            let rule = AlertRule {
                code: args.code,
                name_zh: args.name_zh,
                name_en: args.name_en,
                severity: args.severity,
                subject: args.subject,
                condition: args.condition,
                parameters: args.parameters,
                regulation: args.regulation,
                definition: args.definition,
                enabled: !args.disabled,
            };
            let saved = alerts::save_rule(db, &ctx, rule).await?;
            println!("rule {} saved", saved.code);
        }
    }
    Ok(ExitCode::SUCCESS)
}
