//! Imports by upload: a file (multipart form field `file`, or the raw body with `file_name`)
//! of one kind of FORMATS.md, validated first and applied in one transaction as `fupin import`
//! does; the report answered as JSON with its errors, and the error report as CSV. Who may
//! upload which kind, and rows outside the uploader's scope, are decided by
//! `fupin_app::imports::upload`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fupin_app::imports::upload::{self, Kind, Upload, UploadOutcome};
use fupin_app::imports::{ImportOptions, ImportReport, Removals};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::loans::date_field;
use super::{present, today};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Path, Query};

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(error_report))
        // The handler reads the body itself, up to the upload limit (`--upload-body-limit`).
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// Errors listed in the JSON answer at most; the CSV error report has them all.
pub const ERRORS_LISTED_MAX: usize = 1_000;

/// One refused row or cell.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportErrorDto {
    /// The row as Excel numbers it (header = 1); absent for errors of the whole file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// What an import did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    pub kind: String,
    pub file: String,
    /// `CSV` or `XLSX`.
    pub format: String,
    /// The detected text encoding, e.g. `GB18030`.
    pub encoding: String,
    /// Data rows read.
    pub rows: u64,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// Whether the changes were committed (never on a dry run or with errors, unless
    /// `load_valid`).
    pub applied: bool,
    pub dry_run: bool,
    /// The registry date of a registry file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    pub error_count: u64,
    /// The first 1,000 errors, in row order.
    pub errors: Vec<ImportErrorDto>,
    /// Where to download every error as CSV (for an hour, by the same user); absent without
    /// errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_csv: Option<String>,
    /// Warnings of returns' validation rules (accepted with `confirm_warnings`).
    pub warnings: Vec<String>,
    /// Households files: the villages the file replaces (those it lists a household of), and
    /// the households it removes — also when refused, so that they can be checked first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removals: Option<RemovalsDto>,
}

/// What a households file replaces and removes.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RemovalsDto {
    /// Codes of the villages the file replaces.
    pub villages: Vec<String>,
    /// Households registered in those villages before the import.
    pub registered: u64,
    /// Households the file removes (applied only when confirmed if more than 1 % of
    /// `registered`, or when the file covers a village only in part: `allow_removals`).
    pub count: u64,
    /// The first 1,000 of them, by id.
    pub households: Vec<RemovedHouseholdDto>,
}

/// A household a file removes.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RemovedHouseholdDto {
    pub household_id: String,
    pub village_code: String,
    pub head_name: String,
}

fn removals_dto(removals: &Removals) -> RemovalsDto {
    RemovalsDto {
        villages: removals
            .villages
            .iter()
            .map(|v| v.village_code.to_string())
            .collect(),
        registered: removals.registered(),
        count: removals.total(),
        households: removals
            .households
            .iter()
            .take(ERRORS_LISTED_MAX)
            .map(|h| RemovedHouseholdDto {
                household_id: h.household_id.clone(),
                village_code: h.village_code.to_string(),
                head_name: h.head_name.clone(),
            })
            .collect(),
    }
}

/// How an upload is to be imported.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Validate and report, change nothing.
    pub dry_run: Option<bool>,
    /// Load the valid rows (households: the households whose rows are all valid) and report
    /// the rest (registry kinds).
    pub load_valid: Option<bool>,
    /// The date the extract describes (registry kinds; default today).
    pub as_of: Option<String>,
    /// Ignore columns the format does not define.
    pub ignore_unknown_columns: Option<bool>,
    /// Accept returns although warning rules fail (returns).
    pub confirm_warnings: Option<bool>,
    /// Apply the removals of a households file although they need confirmation (more than 1 %
    /// of the replaced villages' households, or a village covered only in part).
    pub allow_removals: Option<bool>,
    /// The file's name when the body is the raw file (its extension chooses CSV or XLSX).
    pub file_name: Option<String>,
}

/// The options as sent: query string, overridden by form fields of a multipart upload.
#[derive(Clone, Debug, Default)]
pub struct UploadForm {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub dry_run: bool,
    pub load_valid: bool,
    pub as_of: Option<String>,
    pub ignore_unknown_columns: bool,
    pub confirm_warnings: bool,
    pub allow_removals: bool,
    /// The kind, when the form says it (the page's form).
    pub kind: Option<String>,
}

fn truthy(text: &str) -> bool {
    matches!(text.trim(), "true" | "1" | "on" | "yes")
}

/// Reads the upload: a multipart form (the file in field `file`; options as fields) or the
/// raw body (options in the query string). At most `limit` bytes.
pub async fn read_upload(
    headers: &HeaderMap,
    query: &ImportQuery,
    body: Body,
    limit: usize,
) -> Result<UploadForm> {
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Error::PayloadTooLarge(format!("the upload is larger than {limit} bytes")))?;
    let mut form = UploadForm {
        file_name: present(&query.file_name).unwrap_or("upload").to_string(),
        bytes: Vec::new(),
        dry_run: query.dry_run.unwrap_or(false),
        load_valid: query.load_valid.unwrap_or(false),
        as_of: present(&query.as_of).map(str::to_string),
        ignore_unknown_columns: query.ignore_unknown_columns.unwrap_or(false),
        confirm_warnings: query.confirm_warnings.unwrap_or(false),
        allow_removals: query.allow_removals.unwrap_or(false),
        kind: None,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = multipart_boundary(content_type) else {
        form.bytes = bytes.to_vec();
        return Ok(form);
    };
    let parts = multipart_parts(&bytes, &boundary).ok_or_else(|| Error::BadRequest {
        message: "the multipart body does not parse".into(),
        field: None,
    })?;
    let mut file = None;
    for part in parts {
        let text = || String::from_utf8_lossy(part.data).trim().to_string();
        match part.name.as_str() {
            "file" => {
                if let Some(name) = part.file_name.filter(|n| !n.trim().is_empty()) {
                    form.file_name = name;
                }
                file = Some(part.data.to_vec());
            }
            "dry_run" => form.dry_run = truthy(&text()),
            "load_valid" => form.load_valid = truthy(&text()),
            "ignore_unknown_columns" => form.ignore_unknown_columns = truthy(&text()),
            "confirm_warnings" => form.confirm_warnings = truthy(&text()),
            "allow_removals" => form.allow_removals = truthy(&text()),
            "as_of" => form.as_of = Some(text()).filter(|t| !t.is_empty()),
            "kind" => form.kind = Some(text()),
            _ => {}
        }
    }
    form.bytes = file.ok_or_else(|| Error::field("file", "the form has no file field"))?;
    Ok(form)
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, rest) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    rest.split(';').find_map(|param| {
        let (key, value) = param.split_once('=')?;
        (key.trim().eq_ignore_ascii_case("boundary"))
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

struct Part<'a> {
    name: String,
    file_name: Option<String>,
    data: &'a [u8],
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| &haystack[i..i + needle.len()] == needle)
}

/// The parts of a `multipart/form-data` body (RFC 7578): enough for a form with text fields
/// and files.
fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let separator = format!("\r\n--{boundary}");
    let mut position = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(position..position + 2) == Some(b"--") {
            return Some(parts);
        }
        // The line break after the delimiter.
        position = find(body, b"\r\n", position)? + 2;
        let headers_end = find(body, b"\r\n\r\n", position)?;
        let head = String::from_utf8_lossy(&body[position..headers_end]).to_string();
        let data_start = headers_end + 4;
        let data_end = find(body, separator.as_bytes(), data_start)?;
        let mut name = String::new();
        let mut file_name = None;
        for line in head.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if !key.trim().eq_ignore_ascii_case("content-disposition") {
                continue;
            }
            for param in value.split(';').skip(1) {
                let Some((key, value)) = param.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"').to_string();
                match key.trim() {
                    "name" => name = value,
                    "filename" => file_name = Some(value),
                    _ => {}
                }
            }
        }
        parts.push(Part {
            name,
            file_name,
            data: &body[data_start..data_end],
        });
        position = data_end + separator.len();
    }
}

/// Imports an upload as the caller and keeps its error report for download.
pub async fn run_upload(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    form: &UploadForm,
) -> Result<(UploadOutcome, Option<String>)> {
    let as_of = match form.as_of.as_deref() {
        Some(text) => Some(date_field("as_of", text)?),
        None => None,
    };
    let upload = Upload {
        kind,
        file_name: &form.file_name,
        bytes: &form.bytes,
        options: ImportOptions {
            dry_run: form.dry_run,
            ignore_unknown_columns: form.ignore_unknown_columns,
            load_valid: form.load_valid,
            allow_removals: form.allow_removals,
            ..ImportOptions::default()
        },
        as_of,
        confirm_warnings: form.confirm_warnings,
        today: today(),
    };
    let outcome = upload::import_upload(&state.db, &user.ctx, &upload).await?;
    let link = match outcome.report.error_count() {
        0 => None,
        _ => {
            let csv = upload::error_csv(&outcome.report)?;
            let id = state.error_reports.keep(&user.principal.user.name, csv)?;
            Some(format!("/api/imports/{id}/errors.csv"))
        }
    };
    Ok((outcome, link))
}

pub fn report_dto(
    outcome: &UploadOutcome,
    dry_run: bool,
    errors_csv: Option<String>,
) -> ImportReportDto {
    let report: &ImportReport = &outcome.report;
    ImportReportDto {
        kind: report.kind.to_string(),
        file: report.file.clone(),
        format: report.format.to_string(),
        encoding: report.encoding.to_string(),
        rows: report.rows,
        added: report.counts.added,
        changed: report.counts.changed,
        unchanged: report.counts.unchanged,
        removed: report.counts.removed,
        applied: report.applied,
        dry_run,
        as_of: outcome.as_of.map(|d| d.to_string()),
        error_count: report.error_count(),
        errors: report
            .errors
            .iter()
            .take(ERRORS_LISTED_MAX)
            .map(|e| ImportErrorDto {
                row: (e.line > 0).then_some(e.line),
                column: e.column.clone(),
                value: e.value.clone(),
                message: e.message.clone(),
            })
            .collect(),
        errors_csv,
        warnings: outcome.warnings.iter().map(|w| w.message.clone()).collect(),
        removals: report.removals.as_ref().map(removals_dto),
    }
}

pub fn kind_param(kind: &str) -> Result<Kind> {
    Kind::parse(kind).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        Error::NotFound(format!(
            "import kind {kind:?} (known: {})",
            known.join(", ")
        ))
    })
}

/// Imports an uploaded file of `kind` (CSV or XLSX; UTF-8 or GB18030; Chinese or English
/// headers): validated first, applied in one transaction, nothing changed when a row is
/// refused (unless `load_valid`) or on a dry run. Send a `multipart/form-data` form with the
/// file in field `file` (options as fields or in the query string), or the file itself as the
/// body with `file_name` in the query string. Who may upload: see docs/web.md; a row outside
/// the caller's region or institution refuses the file.
#[utoipa::path(
    post, path = "/api/imports/{kind}", tag = "imports",
    params(("kind" = String, Path, description = "households, loans, repayments, returns, …"), ImportQuery),
    request_body(content = String, description = "The file, raw or as multipart/form-data field `file`", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "The import report (look at `applied` and `errors`)", body = ImportReportDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(kind): Path<String>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<ImportReportDto>> {
    let kind = kind_param(&kind)?;
    upload::require_kind(&user.ctx, kind)?;
    let form = read_upload(&headers, &query, body, state.config.upload_body_limit).await?;
    let (outcome, link) = run_upload(&state, &user, kind, &form).await?;
    Ok(axum::Json(report_dto(&outcome, form.dry_run, link)))
}

/// The error report of an upload as CSV (UTF-8 with BOM, for Excel), for an hour after the
/// upload, to the user who uploaded.
#[utoipa::path(
    get, path = "/api/imports/{id}/errors.csv", tag = "imports",
    params(("id" = String, Path, description = "From `errors_csv` of the import report")),
    responses(
        (status = 200, description = "row,column,value,message", content_type = "text/csv"),
        (status = 404, body = ErrorBody),
    )
)]
async fn error_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response> {
    let csv = state
        .error_reports
        .get(&user.principal.user.name, &id)
        .ok_or_else(|| Error::NotFound(format!("error report {id}")))?;
    csv_response(csv, "import-errors.csv")
}

pub fn csv_response(csv: Vec<u8>, file_name: &str) -> Result<Response> {
    let mut response = (StatusCode::OK, csv).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// error reports kept for download

/// How long an error report can be downloaded.
const KEPT_FOR: Duration = Duration::from_secs(3600);
/// Error reports kept at most (the oldest go first).
const KEPT_MAX: usize = 64;

struct Kept {
    id: String,
    user: String,
    at: Instant,
    csv: Vec<u8>,
}

/// The error reports of recent uploads, per server (in its `AppState`), for download by the user
/// who uploaded; at most `KEPT_MAX`, each for `KEPT_FOR`.
#[derive(Default)]
pub struct ErrorReports {
    kept: Mutex<VecDeque<Kept>>,
}

impl ErrorReports {
    fn keep(&self, user: &str, csv: Vec<u8>) -> Result<String> {
        let id = fupin_app::auth::random_hex(16)?;
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|k| k.at.elapsed() < KEPT_FOR);
        while kept.len() >= KEPT_MAX {
            kept.pop_front();
        }
        kept.push_back(Kept {
            id: id.clone(),
            user: user.to_string(),
            at: Instant::now(),
            csv,
        });
        Ok(id)
    }

    fn get(&self, user: &str, id: &str) -> Option<Vec<u8>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .find(|k| k.id == id && k.user == user && k.at.elapsed() < KEPT_FOR)
            .map(|k| k.csv.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_parse() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\ntrue\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xe6\x88\xb7.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n\r\n--XyZ--\r\n";
        let parts = multipart_parts(body, "XyZ").expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].data),
            ("dry_run", &b"true"[..])
        );
        assert_eq!(parts[1].file_name.as_deref(), Some("户.csv"));
        assert_eq!(parts[1].data, b"a,b\r\n1,2\r\n");
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"XyZ\""),
            Some("XyZ".into())
        );
        assert_eq!(multipart_boundary("text/csv"), None);
    }
}

// ---------------------------------------------------------------------------------------------
// the imports page: upload form with dry run, the resulting report, the error report

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;

use crate::i18n::Lang;
use crate::layout::Layout;

pub fn pages() -> Router<AppState> {
    Router::new().route("/imports", get(imports_page)).route(
        "/imports/upload",
        axum::routing::post(upload_form).layer(axum::extract::DefaultBodyLimit::disable()),
    )
}

/// The kind to preselect.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ImportsPageQuery {
    pub kind: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports.html")]
struct ImportsPage {
    layout: Layout,
    /// (kind, selected)
    kinds: Vec<(&'static str, bool)>,
    today: String,
}

async fn imports_page(
    user: CurrentUser,
    lang: Lang,
    Query(query): Query<ImportsPageQuery>,
) -> Result<ImportsPage> {
    let kinds = Kind::allowed_for(user.principal.user.role)
        .into_iter()
        .map(|k| (k.as_str(), present(&query.kind) == Some(k.as_str())))
        .collect();
    Ok(ImportsPage {
        layout: Layout::new(lang, Some(&user.principal), "/imports", "imports.title"),
        kinds,
        today: today().to_string(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "import_report.html")]
struct ImportReportPartial {
    layout: Layout,
    report: Option<ImportReportDto>,
    refusal: Option<Refusal>,
}

/// A file refused whole (unreadable, empty, the wrong format): what the page tells the user.
pub struct Refusal {
    /// The file's name as the user chose it.
    pub file: String,
    /// What was wrong and what to do, in the page's language.
    pub message: String,
}

impl Refusal {
    /// The refusal an error of an upload stands for, if it is one a user can correct (the
    /// file, or a field of the form); other errors stay errors.
    fn of(error: &Error, file: &str, lang: Lang) -> Option<Refusal> {
        let message = match error {
            Error::Unprocessable { message, .. } | Error::BadRequest { message, .. } => message,
            Error::PayloadTooLarge(message) => message,
            _ => return None,
        };
        Some(Refusal {
            file: file.to_string(),
            message: crate::labels::message(lang, message),
        })
    }
}

/// The form posts here (htmx, with the CSRF header); the answer is the report, swapped into
/// the page.
async fn upload_form(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    headers: HeaderMap,
    body: Body,
) -> Result<ImportReportPartial> {
    let query = ImportQuery::default();
    let mut form = read_upload(&headers, &query, body, state.config.upload_body_limit).await?;
    let kind = kind_param(&form_kind(&headers, &form)?)?;
    // The page shows the registry date for every kind; it means something only for the
    // registry's (the API refuses it elsewhere, the page does not make a clerk clear it).
    if !kind.is_registry() {
        form.as_of = None;
    }
    let layout = Layout::new(lang, Some(&user.principal), "/imports", "imports.title");
    match run_upload(&state, &user, kind, &form).await {
        Ok((outcome, link)) => Ok(ImportReportPartial {
            layout,
            report: Some(report_dto(&outcome, form.dry_run, link)),
            refusal: None,
        }),
        Err(error) => match Refusal::of(&error, &upload::display_name(&form.file_name), lang) {
            // The answer is still the page's report (200), so that htmx shows it in place.
            Some(refusal) => Ok(ImportReportPartial {
                layout,
                report: None,
                refusal: Some(refusal),
            }),
            None => Err(error),
        },
    }
}

/// The kind chosen in the form.
fn form_kind(_headers: &HeaderMap, form: &UploadForm) -> Result<String> {
    form.kind
        .clone()
        .ok_or_else(|| Error::field("kind", "choose what the file holds"))
}
