//! `fupin serve`

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use fupin_app::Db;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", env = "FUPIN_LISTEN")]
    listen: String,
    /// How long a sign-in session lasts, in seconds.
    #[arg(long, default_value_t = 8 * 3600, env = "FUPIN_SESSION_TTL")]
    session_ttl: u64,
    /// Failed sign-ins of one user name before it is locked.
    #[arg(long, default_value_t = 5)]
    max_failed_sign_ins: u32,
    /// How long a locked user name stays locked, in seconds.
    #[arg(long, default_value_t = 15 * 60)]
    sign_in_lockout: u64,
    /// Longest a request may take, in seconds.
    #[arg(long, default_value_t = 60)]
    request_timeout: u64,
    /// Largest request body on ordinary routes, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Largest request body on upload (import) routes, in bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    upload_body_limit: usize,
    /// Mark cookies Secure: set when users reach the server over HTTPS (e.g. behind a proxy).
    #[arg(long, env = "FUPIN_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Days the field app keeps a downloaded village's work list on a device (1 to 90).
    #[arg(long, default_value_t = fupin_app::field::KEEP_DAYS_DEFAULT, env = "FUPIN_FIELD_KEEP_DAYS")]
    field_keep_days: u32,
}

pub async fn run(db: Db, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let config = fupin_web::Config {
        session_ttl: Duration::from_secs(args.session_ttl.max(1)),
        max_failed_sign_ins: args.max_failed_sign_ins.max(1),
        sign_in_lockout: Duration::from_secs(args.sign_in_lockout),
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        body_limit: args.body_limit,
        upload_body_limit: args.upload_body_limit,
        secure_cookies: args.secure_cookies,
        field_keep_days: args.field_keep_days.clamp(1, 90),
    };
    println!("Fupin is serving on http://{address}/ (Ctrl-C to stop)");
    fupin_web::serve(fupin_web::AppState::new(db, config), listener).await?;
    Ok(ExitCode::SUCCESS)
}
