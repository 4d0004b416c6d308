//! Fupin over HTTP: a JSON API documented by OpenAPI, and server-rendered pages, on the same use
//! cases the command line calls.
//!
//! Architecture invariant: handlers only translate between HTTP and `fupin-app` use cases;
//! they hold no business rules and never touch the database directly. Who may see what is
//! decided in `fupin-app` (`access`), not here.
//!
//! Layout: one module per area under `areas/`, each owning its API routes (an
//! `OpenApiRouter`, so the OpenAPI document follows the code) and its pages (a `Router`).
//! Cross-cutting pieces: `error` (the one error type), `auth` (sessions, tokens, CSRF),
//! `idempotency`, `metrics`, `i18n` and `layout` (language and the page shell), `assets`
//! (vendored htmx, ECharts, Swagger UI, embedded in the binary).

mod app_messages;
pub mod areas;
pub mod assets;
pub mod auth;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod idempotency;
pub mod labels;
pub mod layout;
#[cfg(test)]
mod message_coverage;
pub mod metrics;
pub mod names;
pub mod numbers;
pub mod openapi;
pub mod paging;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::routing::get;
use fupin_app::Db;
use fupin_app::auth::AuthPolicy;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// Settings of the server; `fupin serve` sets them from its flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// How long a sign-in session lasts.
    pub session_ttl: Duration,
    /// Failed sign-ins of one name before it is locked for `sign_in_lockout`.
    pub max_failed_sign_ins: u32,
    pub sign_in_lockout: Duration,
    /// Longest a request may take before the server answers 408.
    pub request_timeout: Duration,
    /// Largest request body, in bytes, on ordinary routes.
    pub body_limit: usize,
    /// Largest request body on upload routes (imports), in bytes.
    pub upload_body_limit: usize,
    /// Mark cookies `Secure` (when served over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Days the field app keeps a downloaded work list on a device.
    pub field_keep_days: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            session_ttl: Duration::from_secs(8 * 3600),
            max_failed_sign_ins: 5,
            sign_in_lockout: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(60),
            body_limit: 1024 * 1024,
            upload_body_limit: 64 * 1024 * 1024,
            secure_cookies: false,
            field_keep_days: fupin_app::field::KEEP_DAYS_DEFAULT,
        }
    }
}

impl Config {
    /// The sign-in policy the use cases apply.
    pub fn auth_policy(&self) -> AuthPolicy {
        AuthPolicy {
            session_ttl: self.session_ttl,
            max_failures: self.max_failed_sign_ins,
            lockout: self.sign_in_lockout,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: Arc<metrics::Metrics>,
    /// Indicator values until the next write (see `fupin_app::indicators::evaluate_cached`).
    pub indicator_cache: Arc<fupin_app::indicators::ValueCache>,
    /// Uploads' error reports, kept for download.
    pub error_reports: Arc<areas::imports::ErrorReports>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
            indicator_cache: Arc::default(),
            error_reports: Arc::default(),
        }
    }
}

/// Content-Security-Policy: scripts, styles, fonts and connections only from this server;
/// never framed. (ECharts draws on canvas; Swagger UI's icons are data: images.)
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The whole application's router.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = areas::api_router().split_for_parts();
    let openapi = Arc::new(openapi::finish(openapi));
    let api = api.layer(middleware::from_fn_with_state(
        state.clone(),
        idempotency::middleware,
    ));
    let pages = areas::pages_router().layer(middleware::from_fn_with_state(
        state.clone(),
        layout::html_errors,
    ));
    let security_headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let mut router = Router::new()
        .merge(api)
        .merge(pages)
        .merge(openapi::router(openapi))
        .merge(assets::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::middleware,
        ));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    let request_id = HeaderName::from_static("x-request-id");
    router
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let request_id = auth::request_id(request.headers()).unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %request_id,
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(state: AppState, listener: TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match fupin_app::health::database_answers(&state.db).await {
        true => (StatusCode::OK, "ok\n"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

async fn not_found(uri: axum::http::Uri) -> error::Error {
    error::Error::NotFound(format!("page {}", uri.path()))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
