//! Static assets, embedded in the binary: our stylesheet and script, and the vendored htmx,
//! ECharts and Swagger UI (copied from their npm packages by `scripts/vendor-web-assets`;
//! nothing is fetched at build or run time).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::Error;
use crate::extract::Path;

/// (name, content type, bytes)
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
    (
        "field.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/field.css"),
    ),
    (
        "field.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/field.js"),
    ),
    (
        "field-icon-192.png",
        "image/png",
        include_bytes!("../assets/field-icon-192.png"),
    ),
    (
        "field-icon-512.png",
        "image/png",
        include_bytes!("../assets/field-icon-512.png"),
    ),
    (
        "field-icon.svg",
        "image/svg+xml",
        include_bytes!("../assets/field-icon.svg"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
    (
        "swagger-init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/swagger-init.js"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/htmx.min.js"),
    ),
    (
        "echarts.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/echarts.min.js"),
    ),
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/vendor/swagger-ui.css"),
    ),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/{name}", get(asset)).route(
        "/favicon.ico",
        get(|| asset(Path("favicon.svg".to_string()))),
    )
}

async fn asset(Path(name): Path<String>) -> Result<Response, Error> {
    let (_, content_type, bytes) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| Error::NotFound(format!("asset {name}")))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}
