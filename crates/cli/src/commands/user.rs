//! `fupin user add|list|token|disable|revoke-sessions|assign-villages|unassign-villages|villages`: user accounts of the web pages and the API.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use fupin_app::users::{self, NewUser};
use fupin_app::{Db, Role};
use fupin_core::RegionCode;

use super::operator_ctx;
use super::regions::parse_region;
use crate::output::{Format, Listing};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is prompted for, or read from standard input.
    Add(AddArgs),
    /// List users.
    List(ListArgs),
    /// Print a new API token for a user (shown once; only its hash is kept).
    Token(NameArg),
    /// Disable a user: their sessions end and their API tokens are revoked.
    Disable(NameArg),
    /// End every session of a user and revoke their API tokens, keeping the account enabled
    /// (a lost or stolen device).
    RevokeSessions(NameArg),
    /// Assign villages to a bank officer: the field app then offers them only these villages
    /// (still within their bank's townships).
    AssignVillages(VillagesArgs),
    /// Take villages from a bank officer.
    UnassignVillages(VillagesArgs),
    /// List the villages assigned to a user (none: every village of their bank's townships).
    Villages(NameArg),
    /// Check every user's scope against the rules of `user add` (a bank user's region within
    /// its institution's); lists the users that break them and fails if there are any.
    Check,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Sign-in name.
    name: String,
    /// regulator, bank, poverty_office, finance or admin.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The region the user sees, at or under it (2 to 12 digits).
    #[arg(long, value_parser = parse_region)]
    region: RegionCode,
    /// The bank user's institution code (bank users only).
    #[arg(long)]
    institution: Option<String>,
    /// Name shown on the pages.
    #[arg(long)]
    display_name: Option<String>,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only users whose region is at or under this code.
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct VillagesArgs {
    name: String,
    /// 12-digit village codes.
    #[arg(required = true, value_parser = parse_region)]
    villages: Vec<RegionCode>,
}

#[derive(Debug, Args)]
pub struct NameArg {
    name: String,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        format!("unknown role {text:?}: use regulator, bank, poverty_office, finance or admin")
    })
}

pub async fn run(db: &Db, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add(args) => add(db, args).await,
        UserCommand::List(args) => list(db, args).await,
        UserCommand::Token(args) => token(db, &args.name).await,
        UserCommand::Disable(args) => disable(db, &args.name).await,
        UserCommand::RevokeSessions(args) => revoke_sessions(db, &args.name).await,
        UserCommand::AssignVillages(args) => {
            let added =
                fupin_app::field::assign(db, &operator_ctx(), &args.name, &args.villages).await?;
            println!("{added} villages newly assigned to {}", args.name);
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::UnassignVillages(args) => {
            let removed =
                fupin_app::field::unassign(db, &operator_ctx(), &args.name, &args.villages).await?;
            println!("{removed} villages taken from {}", args.name);
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Villages(args) => {
            let villages = fupin_app::field::assigned(db, &operator_ctx(), &args.name).await?;
            if villages.is_empty() {
                println!(
                    "{} has no assigned villages: every village of their bank's townships",
                    args.name
                );
            }
            for village in villages {
                println!("{village}");
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Check => check(db).await,
    }
}

async fn revoke_sessions(db: &Db, name: &str) -> anyhow::Result<ExitCode> {
    let revoked = users::revoke_sessions(db, &operator_ctx(), name).await?;
    println!(
        "{name}: {} sessions ended, {} API tokens revoked; the account stays enabled",
        revoked.sessions, revoked.tokens
    );
    Ok(ExitCode::SUCCESS)
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Password: ").context("reading the password")?;
    let second = rpassword::prompt_password("Again: ").context("reading the password")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

async fn add(db: &Db, args: AddArgs) -> anyhow::Result<ExitCode> {
    let password = read_password(args.password_stdin)?;
    let new = NewUser {
        name: args.name,
        display_name: args.display_name,
        role: args.role,
        region: args.region,
        institution: args.institution,
        password,
    };
    let user = users::add(db, &operator_ctx(), new).await?;
    println!(
        "user {} added: {} in {}{}",
        user.name,
        user.role.as_str(),
        user.region,
        user.institution
            .map(|i| format!(" for institution {i}"))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

async fn list(db: &Db, args: ListArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let mut listing = Listing::new(vec![
        "name",
        "role",
        "region",
        "institution",
        "disabled",
        "created_at",
    ]);
    let mut offset = 0;
    loop {
        let page =
            fupin_app::paging::Page::new(Some(fupin_app::paging::PAGE_LIMIT_MAX), Some(offset))?;
        let paged = users::list(db, &ctx, args.region, page).await?;
        for user in paged.items {
            listing.push(vec![
                Some(user.name),
                Some(user.role.as_str().to_string()),
                Some(user.region.to_string()),
                user.institution,
                Some(if user.disabled { "yes" } else { "no" }.to_string()),
                Some(user.created_at),
            ]);
        }
        match paged.next_offset {
            Some(next) => offset = next,
            None => break,
        }
    }
    listing.write(args.format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

async fn token(db: &Db, name: &str) -> anyhow::Result<ExitCode> {
    let token = users::new_token(db, &operator_ctx(), name).await?;
    eprintln!(
        "API token {} for {name}: keep it secret; it is shown only now.",
        token.id
    );
    println!("{}", token.token);
    Ok(ExitCode::SUCCESS)
}

async fn disable(db: &Db, name: &str) -> anyhow::Result<ExitCode> {
    let user = users::disable(db, &operator_ctx(), name).await?;
    println!(
        "user {} is disabled: sessions ended, tokens revoked",
        user.name
    );
    Ok(ExitCode::SUCCESS)
}

async fn check(db: &Db) -> anyhow::Result<ExitCode> {
    let problems = users::check_scopes(db, &operator_ctx()).await?;
    if problems.is_empty() {
        println!("every user's scope is within the rules");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        println!("user {}: {}", problem.name, problem.problem);
    }
    println!(
        "{} users outside the rules: disable them (fupin user disable NAME) and add them again",
        problems.len()
    );
    Ok(ExitCode::FAILURE)
}
