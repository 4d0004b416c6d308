//! The shell every page is drawn in: language, navigation, the signed-in user, the CSRF token
//! for forms; and the HTML form of errors on page routes.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use fupin_app::Role;
use fupin_app::access::{self, Access};

use crate::AppState;
use crate::areas::NAV;
use crate::auth::{MaybeUser, Principal};
use crate::error::ErrorInfo;
use crate::i18n::Lang;
use crate::{labels, numbers};

/// One link of the navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub active: bool,
}

/// Who is signed in, as the header shows it.
#[derive(Clone, Debug)]
pub struct UserBadge {
    pub name: String,
    pub role_key: &'static str,
    /// The region's name (and the bank's code).
    pub scope: String,
    /// The region's code, on a hover.
    pub scope_code: String,
}

/// What the base template needs.
#[derive(Clone, Debug)]
pub struct Layout {
    pub lang: Lang,
    /// Translation key of the page title.
    pub title: &'static str,
    pub user: Option<UserBadge>,
    pub csrf_token: String,
    pub nav: Vec<NavItem>,
    /// The current path and query, for the language switch to come back to.
    pub path: String,
}

/// Translation key of a role.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Regulator => "role.regulator",
        Role::Bank => "role.bank",
        Role::PovertyOffice => "role.poverty_office",
        Role::Finance => "role.finance",
        Role::Admin => "role.admin",
        Role::Guarantor => "role.guarantor",
        Role::Insurer => "role.insurer",
        Role::Operator => "role.operator",
    }
}

impl Layout {
    pub fn new(
        lang: Lang,
        principal: Option<&Principal>,
        path: &str,
        title: &'static str,
    ) -> Layout {
        let current = path.split('?').next().unwrap_or(path);
        let nav = match principal {
            None => Vec::new(),
            Some(principal) => NAV
                .iter()
                .filter(|entry| {
                    entry
                        .area
                        .is_none_or(|area| access::allows(principal.user.role, area, Access::Read))
                })
                // The imports page only for roles that import some kind of file.
                .filter(|entry| {
                    entry.href != "/imports"
                        || !fupin_app::imports::upload::Kind::allowed_for(principal.user.role)
                            .is_empty()
                })
                .filter(|entry| {
                    entry.href != crate::areas::FIELD_APP || principal.user.role == Role::Bank
                })
                .map(|entry| NavItem {
                    href: entry.href,
                    label: entry.label,
                    hint: entry.hint,
                    active: entry.href == current,
                })
                .collect(),
        };
        let user = principal.map(|p| UserBadge {
            name: p
                .user
                .display_name
                .clone()
                .unwrap_or_else(|| p.user.name.clone()),
            role_key: role_key(p.user.role),
            scope: match &p.user.institution {
                Some(institution) => {
                    format!("{} · {institution}", region_name(lang, p.user.region))
                }
                None => region_name(lang, p.user.region),
            },
            scope_code: p.user.region.prefix().to_string(),
        });
        Layout {
            lang,
            title,
            user,
            csrf_token: principal
                .map(|p| p.csrf_token().to_string())
                .unwrap_or_default(),
            nav,
            path: path.to_string(),
        }
    }

    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.t(key)
    }

    /// An enumerated value in words (`vocabulary` as named in [`labels::Vocabulary::named`]).
    pub fn label(&self, vocabulary: &str, code: &str) -> String {
        match labels::Vocabulary::named(vocabulary) {
            Some(vocabulary) => labels::label(self.lang, vocabulary, code),
            None => code.to_string(),
        }
    }

    /// A `;`-separated list of codes in words.
    pub fn labels(&self, vocabulary: &str, codes: &str) -> String {
        match labels::Vocabulary::named(vocabulary) {
            Some(vocabulary) => labels::labels(self.lang, vocabulary, codes),
            None => codes.to_string(),
        }
    }

    /// A message (an import error, an indicator's note) in the page's language.
    pub fn message(&self, text: &str) -> String {
        labels::message(self.lang, text)
    }

    /// Yuan text as 万元/亿元 with separators.
    pub fn money(&self, yuan: &str) -> String {
        numbers::money_text(self.lang, yuan)
    }

    /// Yuan text exact to the fen, for a `title=` hover.
    pub fn money_exact(&self, yuan: &str) -> String {
        numbers::money_exact_text(self.lang, yuan)
    }

    /// A count with separators and its unit: `households`, `people`, `loans` or `items`.
    pub fn count(&self, value: impl numbers::AsCount, counted: &str) -> String {
        let value = value.as_count();
        let counted = match counted {
            "households" => numbers::Counted::Households,
            "people" => numbers::Counted::People,
            "loans" => numbers::Counted::Loans,
            _ => numbers::Counted::Items,
        };
        numbers::count(self.lang, value, counted)
    }

    /// A value of an indicator or return element in its unit (`yuan`, `count`, `percent`…).
    pub fn figure(&self, code: &str, unit: &str, text: &str) -> String {
        numbers::indicator_value(self.lang, code, unit, text)
    }

    /// Who acted, as audit records name them: a user's name, or `cli:…` for the command line
    /// (`cli:unknown` when the operating-system user was not known).
    pub fn actor(&self, name: &str) -> String {
        match name.strip_prefix("cli:") {
            Some("unknown") | Some("") => self.t("actor.cli").to_string(),
            Some(user) => format!("{} ({user})", self.t("actor.cli")),
            None => name.to_string(),
        }
    }

    /// An instant (RFC 3339, UTC) in China time.
    pub fn time(&self, text: &str) -> String {
        numbers::china_time(text)
    }

    /// A percentage with two decimals.
    pub fn percent(&self, text: &str) -> String {
        numbers::percent_text(text)
    }
}

/// A region's name from the built-in reference data (the city and its counties), else its code.
pub fn region_name(lang: Lang, code: fupin_app::fupin_core::RegionCode) -> String {
    static BUILTIN: std::sync::OnceLock<Vec<fupin_app::regions::Region>> =
        std::sync::OnceLock::new();
    let regions = BUILTIN.get_or_init(fupin_app::reference::builtin_regions);
    let found = regions.iter().find(|region| region.code == code);
    match (found, lang) {
        (Some(region), Lang::En) => region
            .name_en
            .clone()
            .unwrap_or_else(|| region.name.clone()),
        (Some(region), Lang::Zh) => region.name.clone(),
        (None, _) => code.prefix().to_string(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

/// Middleware on page routes: errors become HTML pages in the reader's language, and "sign in
/// first" becomes a redirect to the sign-in page that comes back here afterwards.
pub async fn html_errors(
    State(_state): State<AppState>,
    MaybeUser(principal): MaybeUser,
    lang: Lang,
    request: Request,
    next: Next,
) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let response = next.run(request).await;
    let Some(info) = response.extensions().get::<ErrorInfo>().cloned() else {
        return response;
    };
    if info.status == StatusCode::UNAUTHORIZED {
        let target = format!(
            "/signin?next={}",
            url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
        );
        return Redirect::to(&target).into_response();
    }
    let page = ErrorPage {
        layout: Layout::new(lang, principal.as_ref(), &path, "error.title"),
        status: info.status.as_u16(),
        message: info.detail.message,
    };
    (info.status, page).into_response()
}

/// Whether `next` is a path on this site (not `//host` or `https://…`), for redirects after
/// sign-in and language switches.
pub fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}
