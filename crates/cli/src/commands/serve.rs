//! `fupin serve`

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use fupin_app::Db;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "FUPIN_LISTEN")]
    listen: String,
}

pub async fn run(db: Db, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    println!("Fupin is serving on http://{address}/ (Ctrl-C to stop)");
    fupin_web::serve(fupin_web::AppState { db }, listener).await?;
    Ok(ExitCode::SUCCESS)
}
