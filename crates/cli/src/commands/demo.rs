//! `fupin demo`: generate Shangrao, June 2017, from the seed article, load it, and serve it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use fupin_app::Db;
use fupin_app::demo::{self, DemoOptions, Step};
use fupin_app::progress::Progress;

use super::operator_ctx;
use crate::live::Ticker;
use crate::output::thousands;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed and scale give the same files and data.
    #[arg(long, default_value_t = 2017)]
    seed: u64,
    /// 1 = the article's Shangrao (380,300 poor people); 10 = ten times the households, loans
    /// and money; 0.01 = a hundredth. The territory (12 counties, 210 townships, 2,173
    /// villages) never scales.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Only generate and load; do not serve the pages afterwards.
    #[arg(long)]
    no_serve: bool,
    /// Address to serve on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", env = "FUPIN_LISTEN")]
    listen: String,
    /// Where to write the interchange files (kept; created if missing).
    #[arg(long, default_value = "fupin-demo-files")]
    workdir: PathBuf,
}

fn print_step(ticker: &Ticker, step: &Step) {
    ticker.clear_line();
    let rate = if step.rows > 0 && step.seconds > 0.0 {
        format!("{:>9} rows/s", thousands(step.rate().round() as u64))
    } else {
        String::new()
    };
    println!(
        "{:<52} {:>11} rows {:>7.1} s {rate}  {}",
        step.name,
        thousands(step.rows),
        step.seconds,
        step.note
    );
    std::io::stdout().flush().ok();
}

pub async fn run(db: Db, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let options = DemoOptions {
        seed: args.seed,
        scale: args.scale,
        workdir: args.workdir.clone(),
        live: Progress::default(),
    };
    println!(
        "Fupin demo: Shangrao, June 2017 — seed {}, scale {}, database {} ({}), files in {}",
        options.seed,
        options.scale,
        db.url(),
        db.engine().as_str(),
        options.workdir.display()
    );
    let ticker = Ticker::spawn(options.live.clone());
    let outcome = demo::run(&db, &ctx, &options, &mut |step| print_step(&ticker, step))
        .await
        .context("running the demo")?;
    drop(ticker);
    println!(
        "done in {:.1} s: {} households ({} people), {} loans; the interchange files are in {}",
        outcome.seconds,
        thousands(outcome.registry_households),
        thousands(outcome.registry_members),
        thousands(outcome.loans),
        std::fs::canonicalize(&outcome.workdir)
            .unwrap_or(outcome.workdir.clone())
            .display()
    );
    println!();
    println!("The article's figures, computed from the data (as of 2017-06-30):");
    for row in demo::article_table(&db, &ctx).await? {
        let value = row
            .value
            .clone()
            .or(row.problem.clone())
            .unwrap_or_default();
        let reported = match (&row.reported, row.differs) {
            (Some(reported), true) => format!("  (reported {reported}: differs)"),
            (Some(reported), false) => format!("  (reported {reported})"),
            (None, _) => String::new(),
        };
        println!(
            "  {:<24} {:<46} {value}{reported}",
            row.figure.scope, row.figure.indicator
        );
    }
    println!();
    println!("Sign in with (demo passwords, for this demonstration database only):");
    for user in &outcome.users {
        let institution = user
            .institution
            .map(|i| format!(", institution {i}"))
            .unwrap_or_default();
        println!(
            "  {:<11} password {:<20} {} of {}{institution} — {}",
            user.name,
            user.password,
            user.role.as_str(),
            user.region,
            user.display_name
        );
    }
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    println!();
    println!("Fupin is serving on http://{address}/ (Ctrl-C to stop)");
    let today = fupin_app::fupin_core::BusinessDate::in_china_at(chrono::Utc::now())
        .context("the clock reads a date outside 1900-2200")?;
    let as_of = fupin_app::data_date::latest(&db, today).await?;
    for line in page_links(&address.to_string(), as_of) {
        println!("  {line}");
    }
    std::io::stdout().flush().ok();
    let state = fupin_web::AppState::new(db, fupin_web::Config::default());
    fupin_web::serve(state, listener).await?;
    Ok(ExitCode::SUCCESS)
}

/// The pages to open first, on the latest date the data reaches (what they open on anyway).
fn page_links(address: &str, as_of: fupin_app::fupin_core::BusinessDate) -> Vec<String> {
    [
        (
            "dashboard",
            "/dashboard?as_of={as_of}&group=state-poverty-counties",
        ),
        ("dashboard", "/dashboard?as_of={as_of}"),
        ("work list", "/worklist?as_of={as_of}"),
        ("coverage ", "/coverage?as_of={as_of}"),
        ("funds    ", "/funds?as_of={as_of}"),
    ]
    .iter()
    .map(|(name, path)| {
        let path = path.replace("{as_of}", &as_of.to_string());
        format!("{name} http://{address}{path}")
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::page_links;
    use fupin_app::fupin_core::BusinessDate;

    #[test]
    fn the_printed_links_carry_the_data_date() {
        let as_of = BusinessDate::parse("2017-06-30").expect("a date");
        let links = page_links("127.0.0.1:8080", as_of);
        assert_eq!(
            links[0],
            "dashboard http://127.0.0.1:8080/dashboard?as_of=2017-06-30&group=state-poverty-counties"
        );
        assert!(
            links.iter().all(|l| l.contains("as_of=2017-06-30")),
            "{links:?}"
        );
    }
}
