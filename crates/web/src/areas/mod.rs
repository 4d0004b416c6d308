//! One module per area of the application, each owning its API routes and its pages.
//!
//! To add an area: write `areas/NAME.rs` with `pub fn api() -> OpenApiRouter<AppState>` (handlers
//! annotated with `#[utoipa::path]`) and `pub fn pages() -> Router<AppState>` (askama templates in
//! `templates/`), merge both below, and add its page to [`NAV`] with the access area that decides
//! who sees the link. Texts go in `i18n.rs`.

pub mod alerts;
pub mod audit;
pub mod cards;
pub mod co_borrowers;
pub mod field;
pub mod funds;
pub mod guarantee_fees;
pub mod guarantees;
pub mod home;
pub mod imports;
pub mod indicators;
pub mod insurance;
pub mod insurance_actions;
pub mod loans;
pub mod maturity;
pub mod regions;
pub mod registry;
pub mod returns;
pub mod session;
pub mod territory;
pub mod users;

use axum::Router;
use chrono::Utc;
use fupin_app::access::Area;
use fupin_app::fupin_core::{BusinessDate, RegionCode, RegionLevel};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::Error;

/// A page in the navigation; shown to roles that may read `area` (to everyone signed in when
/// `None`).
pub struct NavEntry {
    pub href: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub area: Option<Area>,
}

/// The offline field app (issue #30): linked for bank staff only, the one role that visits
/// households (the app refuses every other).
pub const FIELD_APP: &str = "/field/";

pub const NAV: &[NavEntry] = &[
    NavEntry {
        href: "/",
        label: "nav.home",
        hint: "home.lead",
        area: None,
    },
    NavEntry {
        href: "/dashboard",
        label: "nav.dashboard",
        hint: "hint.dashboard",
        area: Some(Area::Indicators),
    },
    NavEntry {
        href: "/worklist",
        label: "nav.worklist",
        hint: "hint.worklist",
        area: Some(Area::Registry),
    },
    NavEntry {
        href: "/households",
        label: "nav.households",
        hint: "hint.households",
        area: Some(Area::Registry),
    },
    NavEntry {
        href: "/loans",
        label: "nav.loans",
        hint: "hint.loans",
        area: Some(Area::Loans),
    },
    NavEntry {
        href: "/funds",
        label: "nav.funds",
        hint: "hint.funds",
        area: Some(Area::Funds),
    },
    NavEntry {
        href: "/guarantees",
        label: "nav.guarantees",
        hint: "hint.guarantees",
        area: Some(Area::Guarantees),
    },
    NavEntry {
        href: "/insurance",
        label: "nav.insurance",
        hint: "hint.insurance",
        area: Some(Area::Insurance),
    },
    NavEntry {
        href: "/returns",
        label: "nav.returns",
        hint: "hint.returns",
        area: Some(Area::Returns),
    },
    NavEntry {
        href: "/alerts",
        label: "nav.alerts",
        hint: "hint.alerts",
        area: Some(Area::Alerts),
    },
    NavEntry {
        href: "/imports",
        label: "nav.imports",
        hint: "hint.imports",
        area: None,
    },
    NavEntry {
        href: "/coverage",
        label: "nav.coverage",
        hint: "hint.coverage",
        area: Some(Area::Territory),
    },
    NavEntry {
        href: "/institutions",
        label: "nav.institutions",
        hint: "hint.institutions",
        area: Some(Area::Territory),
    },
    NavEntry {
        href: "/regions",
        label: "nav.regions",
        hint: "hint.regions",
        area: Some(Area::Reference),
    },
    NavEntry {
        href: FIELD_APP,
        label: "nav.field",
        hint: "hint.field",
        area: None,
    },
    NavEntry {
        href: "/users",
        label: "nav.users",
        hint: "hint.users",
        area: Some(Area::Users),
    },
    NavEntry {
        href: "/audit",
        label: "nav.audit",
        hint: "hint.audit",
        area: Some(Area::Audit),
    },
];

/// Every API route, with its OpenAPI description.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(session::api())
        .merge(regions::api())
        .merge(territory::api())
        .merge(users::api())
        .merge(audit::api())
        .merge(registry::api())
        .merge(loans::api())
        .merge(maturity::api())
        .merge(funds::api())
        .merge(insurance::api())
        .merge(insurance_actions::api())
        .merge(guarantees::api())
        .merge(co_borrowers::api())
        .merge(guarantee_fees::api())
        .merge(returns::api())
        .merge(indicators::api())
        .merge(imports::api())
        .merge(field::api())
        .merge(alerts::api())
}

/// Every page.
pub fn pages_router() -> Router<AppState> {
    Router::new()
        .merge(home::pages())
        .merge(session::pages())
        .merge(regions::pages())
        .merge(territory::pages())
        .merge(audit::pages())
        .merge(users::pages())
        .merge(indicators::pages())
        .merge(registry::pages())
        .merge(loans::pages())
        .merge(funds::pages())
        .merge(insurance::pages())
        .merge(insurance_actions::pages())
        .merge(guarantee_fees::pages())
        .merge(returns::pages())
        .merge(imports::pages())
        .merge(field::pages())
        .merge(alerts::pages())
}

/// An optional text parameter; blank counts as absent (forms send empty fields).
pub fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// An optional region code parameter.
pub fn region_param(field: &str, value: &Option<String>) -> Result<Option<RegionCode>, Error> {
    present(value)
        .map(|text| RegionCode::parse(text).map_err(|e| Error::field(field, e.to_string())))
        .transpose()
}

/// An optional level parameter.
pub fn level_param(field: &str, value: &Option<String>) -> Result<Option<RegionLevel>, Error> {
    present(value)
        .map(|text| RegionLevel::parse(text).map_err(|e| Error::field(field, e.to_string())))
        .transpose()
}

/// An optional date parameter (YYYY-MM-DD), defaulting to today in China.
pub fn date_param(field: &str, value: &Option<String>) -> Result<BusinessDate, Error> {
    match present(value) {
        Some(text) => BusinessDate::parse(text).map_err(|e| Error::field(field, e.to_string())),
        None => Ok(today()),
    }
}

/// Today's business date (China, UTC+8, see `BusinessDate::in_china_at`): the web edge reads
/// the clock; use cases take the date.
pub fn today() -> BusinessDate {
    BusinessDate::in_china_at(Utc::now()).expect("the clock reads a date between 1900 and 2200")
}

/// The date a page shows: the one asked for, else the latest business date the data reaches
/// (`fupin_app::data_date`), so a page opens on figures rather than on an empty today.
pub async fn page_date(state: &AppState, value: &Option<String>) -> Result<Option<String>, Error> {
    if let Some(text) = present(value) {
        return Ok(Some(text.to_string()));
    }
    let latest = fupin_app::data_date::latest(&state.db, today()).await?;
    Ok(Some(latest.to_string()))
}
