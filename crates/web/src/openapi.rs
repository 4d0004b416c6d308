//! The OpenAPI 3.1 document of the JSON API, built from the handlers' annotations, served at
//! `/api/openapi.json` and browsable offline at `/api/docs` (Swagger UI, embedded).

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;
use crate::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fupin API",
        description = "The financial poverty-alleviation platform's JSON API. Conventions \
            (errors, pagination, idempotency, sign-in) are described in docs/web.md.",
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "reference", description = "Regions: public reference data"),
        (name = "territory", description = "Institutions and coverage"),
        (name = "users", description = "User accounts and API tokens (administrators)"),
        (name = "audit", description = "The audit trail"),
        (name = "registry", description = "Registered poor households, their members and the change feed"),
        (name = "loans", description = "Loan products, loans, repayments, extensions, rollovers, write-offs"),
        (name = "funds", description = "County interest-subsidy and risk-compensation funds and claims"),
        (name = "insurance", description = "Agriculture-related insurance: policies and claims"),
        (name = "guarantees", description = "Guarantors of loans, guarantee funds and companies, the loss waterfall's guarantee claims"),
        (name = "returns", description = "Statistical returns and their approval"),
        (name = "indicators", description = "The regulator's indicators and report"),
        (name = "imports", description = "Interchange files uploaded: import reports and error reports"),
        (name = "operations", description = "End of day"),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub struct ApiDoc;

/// Adds the fixed parts (title, version, security schemes) to the document the routers built.
pub fn finish(mut openapi: utoipa::openapi::OpenApi) -> String {
    let base = ApiDoc::openapi();
    openapi.info = base.info;
    openapi.info.version = env!("CARGO_PKG_VERSION").to_string();
    openapi.tags = base.tags;
    openapi.security = base.security;
    let components = openapi.components.get_or_insert_with(Default::default);
    if let Some(base_components) = base.components {
        components.schemas.extend(base_components.schemas);
    }
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API token from `fupin user token NAME`."))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::SESSION_COOKIE,
            "The session cookie set by POST /api/session; writes also need the X-CSRF-Token \
             header.",
        ))),
    );
    openapi.to_json().unwrap_or_else(|_| "{}".to_string())
}

pub fn router(document: Arc<String>) -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        document.as_ref().clone(),
                    )
                        .into_response()
                }
            }),
        )
        .route("/api/docs", get(docs))
}

async fn docs() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Fupin API</title><link rel=\"stylesheet\" href=\"/assets/swagger-ui.css\">\
         </head><body><div id=\"swagger-ui\"></div>\
         <script src=\"/assets/swagger-ui-bundle.js\"></script>\
         <script src=\"/assets/swagger-init.js\"></script></body></html>",
    )
}
