//! `fupin feed --since N` — the registry's changes after a sequence number.

use std::process::ExitCode;

use clap::Args;
use fupin_app::Db;
use fupin_app::registry::{self, FeedEntry, FeedQuery};
use fupin_core::RegionCode;
use serde_json::{Value, json};

use super::households::today;
use super::operator_ctx;
use super::regions::parse_region;
use crate::output::{Format, Listing};

#[derive(Debug, Args)]
pub struct FeedArgs {
    /// Changes after this sequence number: 0 for everything, else the `next` of the last call.
    #[arg(long)]
    since: i64,
    /// Only villages at or under this region code.
    #[arg(long, value_parser = parse_region)]
    region: Option<RegionCode>,
    /// Only the townships this institution is responsible for today.
    #[arg(long)]
    institution: Option<String>,
    /// At most this many changes (default 1,000; maximum 100,000).
    #[arg(long)]
    limit: Option<i64>,
    /// Show ID numbers in full instead of masked (the read is recorded in the audit trail).
    #[arg(long)]
    show_ids: bool,
    /// JSON gives `{since, next, more, events}`; table and CSV print the next cursor on stderr.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn run(db: &Db, args: FeedArgs) -> anyhow::Result<ExitCode> {
    let ctx = operator_ctx();
    let query = FeedQuery {
        since: args.since,
        region: args.region,
        institution: args.institution,
        limit: args.limit,
        show_ids: args.show_ids,
        today: today(),
    };
    let page = registry::feed(db, &ctx, &query).await?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let body = json!({
                "since": args.since,
                "next": page.next,
                "more": page.more,
                "events": page.events.iter().map(event_json).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &body)?;
            println!();
        }
        format => {
            let mut listing = Listing::new(vec![
                "seq",
                "as_of",
                "household_id",
                "village_code",
                "kind",
                "before",
                "after",
            ]);
            for event in &page.events {
                let text = |value: &Option<Value>| value.as_ref().map(Value::to_string);
                listing.push(vec![
                    Some(event.seq.to_string()),
                    Some(event.as_of.to_string()),
                    Some(event.household_id.clone()),
                    Some(event.village_code.to_string()),
                    Some(event.kind.clone()),
                    text(&event.before),
                    text(&event.after),
                ]);
            }
            listing.write(format, &mut out)?;
            let more = if page.more { " (more follow)" } else { "" };
            eprintln!("next: {}{more}", page.next);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn event_json(event: &FeedEntry) -> Value {
    json!({
        "seq": event.seq,
        "as_of": event.as_of.to_string(),
        "household_id": event.household_id,
        "village_code": event.village_code.to_string(),
        "kind": event.kind,
        "before": event.before,
        "after": event.after,
    })
}
