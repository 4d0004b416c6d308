//! The registry: households as of a date, one household with its members, credit file, lines,
//! loans and change history; the change feed. Who sees what is decided by
//! `fupin_app::registry` (and `loans`, `credit`): ID numbers are masked unless the role may see
//! them in full and asks (`show_ids=true`); each full read is audited.

use axum::extract::State;
use fupin_app::credit::{self, CreditFilter, StoredCreditFile, StoredCreditLine};
use fupin_app::fupin_core::BusinessDate;
use fupin_app::loans::{self, LoanStatus};
use fupin_app::paging::Page;
use std::collections::HashMap;

use fupin_app::registry::{self, FeedEntry, FeedQuery, HouseholdDetail, HouseholdQuery};
use fupin_app::{AppError, Ctx, Db};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::loans::LoanDto;
use super::{date_param, present, region_param, today};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::{Path, Query};
use crate::paging::PageOf;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_households))
        .routes(routes!(get_household))
        .routes(routes!(feed))
}

// ---------------------------------------------------------------------------------------------
// DTOs

/// A household in a listing.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdSummaryDto {
    pub household_id: String,
    pub village_code: String,
    /// `poor`, `exited` or `relapsed`.
    pub status: String,
    pub poverty_attribute: String,
    pub main_cause: String,
    pub members: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
    /// Masked (`3611**********1234`) unless asked for in full by a role that may see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_id_number: Option<String>,
    pub valid_from: String,
}

/// A household's facts in one period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdVersionDto {
    pub village_code: String,
    pub poverty_attribute: String,
    pub main_cause: String,
    pub other_causes: Vec<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exited_year: Option<i64>,
    pub identified_on: String,
    /// Yuan per person a year.
    pub per_capita_income: String,
    pub valid_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// A member of a household.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberDto {
    /// Masked unless asked for in full by a role that may see it.
    pub id_number: String,
    pub name: String,
    pub relation: String,
    pub sex: String,
    pub birth_date: String,
    /// The date of death the registry records, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub died_on: Option<String>,
    pub labour: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub valid_from: String,
}

/// A period `[from, to)`; `to` absent while open.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PeriodDto {
    pub from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A credit file: a rating or an exemption.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreditFileDto {
    pub institution_code: String,
    pub assessed_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    /// Yuan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommended_line: Option<String>,
}

impl From<StoredCreditFile> for CreditFileDto {
    fn from(stored: StoredCreditFile) -> CreditFileDto {
        let file = stored.file;
        CreditFileDto {
            institution_code: file.institution_code,
            assessed_on: file.assessed_on.to_string(),
            exempt_reason: file.exempt_reason,
            score: file.score,
            grade: file.grade,
            recommended_line: file.recommended_line.map(|f| f.to_plain_yuan()),
        }
    }
}

/// A credit line, valid over `[granted_on, expires_on)`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreditLineDto {
    pub institution_code: String,
    /// Yuan.
    pub amount: String,
    pub granted_on: String,
    pub expires_on: String,
}

impl From<StoredCreditLine> for CreditLineDto {
    fn from(stored: StoredCreditLine) -> CreditLineDto {
        let line = stored.line;
        CreditLineDto {
            institution_code: line.institution_code,
            amount: line.amount.to_plain_yuan(),
            granted_on: line.granted_on.to_string(),
            expires_on: line.expires_on.to_string(),
        }
    }
}

/// What the poverty office sees of a household's loan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LoanStatusDto {
    pub institution_code: String,
    pub product_code: String,
    pub start_on: String,
    pub maturity_on: String,
    pub status: String,
    pub overdue: bool,
    pub classification: String,
}

impl From<LoanStatus> for LoanStatusDto {
    fn from(status: LoanStatus) -> LoanStatusDto {
        LoanStatusDto {
            institution_code: status.institution_code,
            product_code: status.product_code,
            start_on: status.start_on.to_string(),
            maturity_on: status.maturity_on.to_string(),
            status: status.status,
            overdue: status.overdue,
            classification: status.classification.as_str().to_string(),
        }
    }
}

/// One change of the registry.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FeedEventDto {
    /// The cursor: ask for changes `since` the last one seen.
    pub seq: i64,
    /// The date of the extract that brought the change.
    pub as_of: String,
    pub household_id: String,
    pub village_code: String,
    /// `added`, `changed`, `status_changed`, `removed`, `member_added`, `member_changed`,
    /// `member_removed`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<FeedEntry> for FeedEventDto {
    fn from(entry: FeedEntry) -> FeedEventDto {
        FeedEventDto {
            seq: entry.seq,
            as_of: entry.as_of.to_string(),
            household_id: entry.household_id,
            village_code: entry.village_code.to_string(),
            kind: entry.kind,
            before: entry.before,
            after: entry.after,
        }
    }
}

/// A household as of a date with everything the caller may see about it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdDto {
    pub household_id: String,
    pub as_of: String,
    /// The village of its latest version.
    pub village_code: String,
    pub added_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_on: Option<String>,
    /// Its facts on `as_of`; absent when it was not in the registry then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<HouseholdVersionDto>,
    /// Members on `as_of`, head first.
    pub members: Vec<MemberDto>,
    /// Every version's period, oldest first.
    pub periods: Vec<PeriodDto>,
    /// Credit files (a bank sees its own).
    pub credit_files: Vec<CreditFileDto>,
    pub credit_lines: Vec<CreditLineDto>,
    /// Its loans in detail (the regulator; a bank its own).
    pub loans: Vec<LoanDto>,
    /// Its loans' status only (the poverty office).
    pub loan_statuses: Vec<LoanStatusDto>,
    /// Its changes, oldest first (at most 1,000).
    pub history: Vec<FeedEventDto>,
}

/// Everything the household page and the API show of one household.
pub struct HouseholdView {
    pub detail: HouseholdDetail,
    pub files: Vec<StoredCreditFile>,
    pub lines: Vec<StoredCreditLine>,
    pub loans: Vec<fupin_app::loans::Loan>,
    pub statuses: Vec<LoanStatus>,
    pub history: Vec<FeedEntry>,
}

/// Reads a household and what hangs on it, each part through its use case.
pub async fn household_view(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    as_of: BusinessDate,
    show_ids: bool,
) -> Result<HouseholdView> {
    let today = today();
    let detail = registry::show_household(db, ctx, id, as_of, show_ids, today).await?;
    let filter = CreditFilter {
        household: Some(id.to_string()),
        ..CreditFilter::default()
    };
    let files = credit::list_files(db, ctx, &filter).await?;
    let lines = credit::list_lines(db, ctx, &filter).await?;
    let (loans, statuses) = loans::of_household(db, ctx, id, today).await?;
    let history = registry::household_events(db, ctx, id, None, show_ids, today).await?;
    Ok(HouseholdView {
        detail,
        files,
        lines,
        loans,
        statuses,
        history,
    })
}

impl From<HouseholdView> for HouseholdDto {
    fn from(view: HouseholdView) -> HouseholdDto {
        let detail = view.detail;
        HouseholdDto {
            household_id: detail.identity.household_id,
            as_of: detail.as_of.to_string(),
            village_code: detail.identity.village_code.to_string(),
            added_on: detail.identity.added_on.to_string(),
            removed_on: detail.identity.removed_on.map(|d| d.to_string()),
            version: detail.version.map(|v| HouseholdVersionDto {
                village_code: v.facts.village_code.to_string(),
                poverty_attribute: v.facts.poverty_attribute,
                main_cause: v.facts.main_cause,
                other_causes: v.facts.other_causes,
                status: v.facts.status,
                exited_year: v.facts.exited_year,
                identified_on: v.facts.identified_on.to_string(),
                per_capita_income: v.facts.per_capita_income.to_plain_yuan(),
                valid_from: v.valid_from.to_string(),
                valid_to: v.valid_to.map(|d| d.to_string()),
            }),
            members: detail
                .members
                .into_iter()
                .map(|m| MemberDto {
                    id_number: m.member.id_number,
                    name: m.member.name,
                    relation: m.member.relation,
                    sex: m.member.sex,
                    birth_date: m.member.birth_date.to_string(),
                    died_on: m.member.died_on.map(|d| d.to_string()),
                    labour: m.member.labour,
                    phone: m.member.phone,
                    valid_from: m.valid_from.to_string(),
                })
                .collect(),
            periods: detail
                .periods
                .into_iter()
                .map(|(from, to)| PeriodDto {
                    from: from.to_string(),
                    to: to.map(|d| d.to_string()),
                })
                .collect(),
            credit_files: view.files.into_iter().map(CreditFileDto::from).collect(),
            credit_lines: view.lines.into_iter().map(CreditLineDto::from).collect(),
            loans: view.loans.into_iter().map(LoanDto::from).collect(),
            loan_statuses: view.statuses.into_iter().map(LoanStatusDto::from).collect(),
            history: view.history.into_iter().map(FeedEventDto::from).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// households

/// Filters of the household list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdsQuery {
    /// The date the registry is read as of (YYYY-MM-DD); default today.
    pub as_of: Option<String>,
    /// Only households in villages at or under this region.
    pub region: Option<String>,
    /// Only the townships this institution is responsible for today (a bank: its own).
    pub institution: Option<String>,
    /// `true` for full ID numbers (poverty office and banks only; audited).
    pub show_ids: Option<bool>,
    /// Rows per page: default 100, at most 1,000.
    pub limit: Option<i64>,
    /// Rows to skip: default 0.
    pub offset: Option<i64>,
}

/// The households of the page `page` as the caller may see them.
pub async fn households_page(
    state: &AppState,
    ctx: &Ctx,
    query: &HouseholdsQuery,
    page: Page,
) -> Result<fupin_app::paging::Paged<HouseholdSummaryDto>> {
    let query = HouseholdQuery {
        as_of: date_param("as_of", &query.as_of)?,
        region: region_param("region", &query.region)?,
        institution: present(&query.institution).map(str::to_string),
        limit: Some(page.fetch_through()),
        show_ids: query.show_ids.unwrap_or(false),
        today: today(),
    };
    let rows = registry::list_households(&state.db, ctx, &query).await?;
    Ok(page.cut(rows, false).map(|h| HouseholdSummaryDto {
        household_id: h.version.household_id,
        village_code: h.version.facts.village_code.to_string(),
        status: h.version.facts.status,
        poverty_attribute: h.version.facts.poverty_attribute,
        main_cause: h.version.facts.main_cause,
        members: h.members,
        head_name: h.head_name,
        head_id_number: h.head_id_number,
        valid_from: h.version.valid_from.to_string(),
    }))
}

/// Households in the registry on a date, in id order: the regulator's and the poverty office's
/// region; a bank's townships. Finance and administrators: 403.
#[utoipa::path(
    get, path = "/api/households", tag = "registry", params(HouseholdsQuery),
    responses(
        (status = 200, body = PageOf<HouseholdSummaryDto>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The role does not read the registry, or may not see full ID numbers", body = ErrorBody),
        (status = 404, description = "The region or institution is outside the caller's scope", body = ErrorBody),
    )
)]
async fn list_households(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<HouseholdsQuery>,
) -> Result<axum::Json<PageOf<HouseholdSummaryDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let paged = households_page(&state, &user.ctx, &query, page).await?;
    Ok(axum::Json(PageOf::from_paged(paged, |h| h)))
}

/// Date and ID numbers of one household.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdQueryParams {
    /// The date its facts and members are read as of; default today.
    pub as_of: Option<String>,
    /// `true` for full ID numbers (poverty office and banks only; audited).
    pub show_ids: Option<bool>,
}

/// One household: its facts and members as of a date, its credit files and lines, its loans
/// (in detail for the regulator and the lending bank; their status for the poverty office) and
/// its change history. Outside the caller's scope: 404.
#[utoipa::path(
    get, path = "/api/households/{id}", tag = "registry",
    params(("id" = String, Path, description = "Household id (户编号)"), HouseholdQueryParams),
    responses(
        (status = 200, body = HouseholdDto),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn get_household(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<HouseholdQueryParams>,
) -> Result<axum::Json<HouseholdDto>> {
    let as_of = date_param("as_of", &query.as_of)?;
    let view = household_view(
        &state.db,
        &user.ctx,
        &id,
        as_of,
        query.show_ids.unwrap_or(false),
    )
    .await?;
    Ok(axum::Json(view.into()))
}

// ---------------------------------------------------------------------------------------------
// the feed

/// The cursor and filters of the feed.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Changes after this sequence number: 0 for all, else the `next` of the last answer.
    pub since: Option<i64>,
    /// Only villages at or under this region.
    pub region: Option<String>,
    /// Only the townships this institution is responsible for today (a bank: its own).
    pub institution: Option<String>,
    /// Events per answer: default 1,000, at most 1,000.
    pub limit: Option<i64>,
    /// `true` for full ID numbers (poverty office and banks only; audited).
    pub show_ids: Option<bool>,
}

/// One answer of the feed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FeedDto {
    pub events: Vec<FeedEventDto>,
    /// Ask with `since` = this next time.
    pub next: i64,
    /// Whether more events follow at once.
    pub more: bool,
}

/// What changed in the registry after `since`, in the caller's area: "what changed in my
/// townships since my last look".
#[utoipa::path(
    get, path = "/api/feed", tag = "registry", params(FeedParams),
    responses(
        (status = 200, body = FeedDto),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<FeedParams>,
) -> Result<axum::Json<FeedDto>> {
    let limit = params.limit.unwrap_or(1_000);
    if !(1..=1_000).contains(&limit) {
        return Err(Error::field(
            "limit",
            format!("must be between 1 and 1000, not {limit}"),
        ));
    }
    let since = params.since.unwrap_or(0);
    if since < 0 {
        return Err(Error::field("since", "must be 0 or a sequence number"));
    }
    let query = FeedQuery {
        since,
        region: region_param("region", &params.region)?,
        institution: present(&params.institution).map(str::to_string),
        limit: Some(limit),
        show_ids: params.show_ids.unwrap_or(false),
        today: today(),
    };
    let page = registry::feed(&state.db, &user.ctx, &query)
        .await
        .map_err(|e| match e {
            AppError::Invalid(message) => Error::field("since", message),
            other => other.into(),
        })?;
    Ok(axum::Json(FeedDto {
        events: page.events.into_iter().map(FeedEventDto::from).collect(),
        next: page.next,
        more: page.more,
    }))
}

// ---------------------------------------------------------------------------------------------
// pages: households, one household, the three-full-coverage work list

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::OriginalUri;
use axum::routing::get;
use fupin_app::credit::{CoverageScope, WorkListSort};

use crate::i18n::Lang;
use crate::layout::Layout;
use crate::names::Names;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/households", get(households_list_page))
        .route("/households/{id}", get(household_page))
        .route("/worklist", get(worklist_page))
}

fn path_of(uri: &axum::http::Uri, default: &str) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| default.to_string())
}

/// Translation key of a household status.
pub fn status_key(status: &str) -> &'static str {
    match status {
        "poor" => "status.poor",
        "exited" => "status.exited",
        "relapsed" => "status.relapsed",
        _ => "status.other",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "households.html")]
struct HouseholdsPage {
    layout: Layout,
    as_of: String,
    region: String,
    rows: Vec<HouseholdSummaryDto>,
    more: bool,
    names: Names,
}

async fn households_list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HouseholdsQuery>,
) -> Result<HouseholdsPage> {
    let page = Page::new(Some(500), None)?;
    let query = HouseholdsQuery {
        show_ids: None,
        as_of: super::page_date(&state, &query.as_of).await?,
        ..query
    };
    let paged = households_page(&state, &user.ctx, &query, page).await?;
    let villages: Vec<String> = paged.items.iter().map(|h| h.village_code.clone()).collect();
    let names = Names::load(&state.db, lang, villages, Vec::new()).await?;
    Ok(HouseholdsPage {
        names,
        layout: Layout::new(
            lang,
            Some(&user.principal),
            &path_of(&uri, "/households"),
            "households.title",
        ),
        as_of: date_param("as_of", &query.as_of)?.to_string(),
        region: present(&query.region).unwrap_or("").to_string(),
        more: paged.next_offset.is_some(),
        rows: paged.items,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "household.html")]
struct HouseholdPage {
    layout: Layout,
    as_of: String,
    household: HouseholdDto,
    status_key: &'static str,
    may_show_ids: bool,
    show_ids: bool,
    names: Names,
    /// Guarantees on the household's loans.
    guaranteed_by: Vec<super::guarantees::LoanGuaranteeRow>,
    /// The exposure of each member who guarantees others.
    guarantees_given: Vec<super::guarantees::ExposureDto>,
    /// The loans the household's members co-borrow.
    co_borrowed: Vec<super::co_borrowers::CoBorrowedRow>,
}

async fn household_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(query): Query<HouseholdQueryParams>,
) -> Result<HouseholdPage> {
    let as_of = date_param("as_of", &super::page_date(&state, &query.as_of).await?)?;
    let show_ids = query.show_ids.unwrap_or(false);
    let view = household_view(&state.db, &user.ctx, &id, as_of, show_ids).await?;
    let household: HouseholdDto = view.into();
    let (guaranteed_by, guarantees_given) =
        super::guarantees::household_guarantees(&state, &user, &id).await?;
    let co_borrowed = super::co_borrowers::household_co_borrowed(&state, &user, &id).await?;
    let mut regions = vec![household.village_code.clone()];
    regions.extend(household.history.iter().map(|e| e.village_code.clone()));
    let mut institutions: Vec<String> = household
        .credit_files
        .iter()
        .map(|f| f.institution_code.clone())
        .collect();
    institutions.extend(
        household
            .credit_lines
            .iter()
            .map(|l| l.institution_code.clone()),
    );
    institutions.extend(household.loans.iter().map(|l| l.institution_code.clone()));
    institutions.extend(co_borrowed.iter().map(|l| l.institution_code.clone()));
    institutions.extend(
        household
            .loan_statuses
            .iter()
            .map(|l| l.institution_code.clone()),
    );
    let names = Names::load(&state.db, lang, regions, institutions)
        .await?
        .with_products(&state.db)
        .await?;
    Ok(HouseholdPage {
        names,
        layout: Layout::new(
            lang,
            Some(&user.principal),
            &path_of(&uri, "/households"),
            "household.title",
        ),
        as_of: as_of.to_string(),
        status_key: status_key(
            household
                .version
                .as_ref()
                .map(|v| v.status.as_str())
                .unwrap_or(""),
        ),
        may_show_ids: registry::may_see_full_ids(user.principal.user.role),
        show_ids,
        household,
        guaranteed_by,
        guarantees_given,
        co_borrowed,
    })
}

/// One household of the work list.
pub struct WorkRow {
    pub household_id: String,
    pub head_name: String,
    pub phone: String,
    pub village: String,
    pub township: String,
    pub institution: String,
    pub missing_file: bool,
    pub missing_line: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "worklist.html")]
struct WorklistPage {
    layout: Layout,
    as_of: String,
    region: String,
    townships: u64,
    townships_covered: u64,
    township_percent: String,
    eligible: u64,
    rated: u64,
    rated_percent: String,
    with_line: u64,
    line_percent: String,
    rows: Vec<WorkRow>,
    more: usize,
    unassigned: Vec<(String, String)>,
    uncovered_villages: Vec<(String, String)>,
    villages_percent: String,
    territory: bool,
}

/// Households listed on the page at most.
const WORK_ROWS: usize = 500;

async fn worklist_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<super::territory::CoverageQuery>,
) -> Result<WorklistPage> {
    let as_of = date_param("as_of", &super::page_date(&state, &query.as_of).await?)?;
    let region = region_param("region", &query.region)?;
    let scope = CoverageScope {
        region,
        ..CoverageScope::default()
    };
    let report =
        credit::coverage_report(&state.db, &user.ctx, as_of, &scope, WorkListSort::Village).await?;
    // The first of the three: townships and, beside them, villages' banking service, for the
    // roles that read territory (the poverty office sees the credit lists only).
    let territory_allowed = fupin_app::access::allows(
        user.principal.user.role,
        fupin_app::access::Area::Territory,
        fupin_app::access::Access::Read,
    );
    let (unassigned, uncovered_villages, villages_percent) = if territory_allowed {
        let townships =
            fupin_app::territory::township_coverage(&state.db, &user.ctx, as_of, region).await?;
        let villages =
            fupin_app::territory::village_coverage(&state.db, &user.ctx, as_of, region).await?;
        (
            townships
                .unassigned()
                .take(WORK_ROWS)
                .map(|t| (t.township_code.to_string(), t.township_name.clone()))
                .collect(),
            villages
                .uncovered
                .iter()
                .take(WORK_ROWS)
                .map(|(code, name)| (code.to_string(), name.clone()))
                .collect(),
            villages.rate_percent(),
        )
    } else {
        (Vec::new(), Vec::new(), String::new())
    };
    let coverage = &report.coverage;
    let named = |code: String, name: &Option<String>| name.clone().unwrap_or(code);
    let listed: Vec<String> = report
        .work_list
        .iter()
        .take(WORK_ROWS)
        .map(|h| h.household_id.clone())
        .collect();
    let heads: HashMap<String, registry::Head> =
        registry::heads_on(&state.db, &user.ctx, &listed, as_of)
            .await?
            .into_iter()
            .map(|head| (head.household_id.clone(), head))
            .collect();
    Ok(WorklistPage {
        layout: Layout::new(
            lang,
            Some(&user.principal),
            &path_of(&uri, "/worklist"),
            "worklist.title",
        ),
        as_of: as_of.to_string(),
        region: present(&query.region).unwrap_or("").to_string(),
        townships: coverage.townships,
        townships_covered: coverage.townships_covered,
        township_percent: coverage.township_percent(),
        eligible: coverage.eligible,
        rated: coverage.rated,
        rated_percent: coverage.rated_percent(),
        with_line: coverage.with_line,
        line_percent: coverage.line_percent(),
        more: report.work_list.len().saturating_sub(WORK_ROWS),
        rows: report
            .work_list
            .iter()
            .take(WORK_ROWS)
            .map(|h| WorkRow {
                household_id: h.household_id.clone(),
                head_name: heads
                    .get(&h.household_id)
                    .map(|head| head.name.clone())
                    .unwrap_or_default(),
                phone: heads
                    .get(&h.household_id)
                    .and_then(|head| head.phone.clone())
                    .unwrap_or_default(),
                village: named(h.village_code.to_string(), &h.village_name),
                township: named(h.township_code.to_string(), &h.township_name),
                institution: h
                    .institution_name
                    .clone()
                    .or_else(|| h.institution_code.clone())
                    .unwrap_or_else(|| "—".to_string()),
                missing_file: !h.has_file,
                missing_line: !h.has_line,
            })
            .collect(),
        unassigned,
        uncovered_villages,
        villages_percent,
        territory: territory_allowed,
    })
}
