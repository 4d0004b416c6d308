//! Agriculture-related insurance: policies and claims, as JSON and as a page with filters. Who
//! sees what is decided by `fupin_app::insurance` (the insurer its own, a bank the cover of its
//! loans, the regulator and the finance bureau their region).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::routing::get;
use fupin_app::insurance::{self, Kind, ListFilter, NamedInsuranceClaim, NamedInsurancePolicy};
use fupin_app::paging::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{present, region_param};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{Error, ErrorBody, Result};
use crate::extract::Query;
use crate::i18n::Lang;
use crate::layout::Layout;
use crate::names::Names;
use crate::paging::{PageLinks, PageOf};

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(policies))
        .routes(routes!(claims))
}

pub fn pages() -> Router<AppState> {
    Router::new().route("/insurance", get(insurance_page))
}

/// Filters of the lists.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InsuranceQuery {
    /// Counties at or under this region; default the caller's.
    pub region: Option<String>,
    /// The insurer's institution code.
    pub insurer: Option<String>,
    /// accident, guarantee, crop or livestock.
    pub kind: Option<String>,
    /// Claims only: reported, assessed, paid or refused.
    pub state: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl InsuranceQuery {
    pub fn filter(&self) -> Result<ListFilter> {
        let kind = present(&self.kind)
            .map(|text| {
                Kind::parse(text).ok_or_else(|| {
                    Error::field(
                        "kind",
                        format!("{text} is not accident, guarantee, crop or livestock"),
                    )
                })
            })
            .transpose()?;
        Ok(ListFilter {
            region: region_param("region", &self.region)?,
            insurer: present(&self.insurer).map(str::to_string),
            kind,
            state: present(&self.state).map(str::to_string),
        })
    }
}

/// A policy, amounts in yuan, shares in basis points.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    pub insurer_code: String,
    pub insurer_name: String,
    pub policy_no: String,
    pub kind: String,
    pub county_code: String,
    pub county_name: String,
    /// The insured loan's bank and contract.
    pub institution_code: Option<String>,
    pub contract_no: Option<String>,
    pub household_id: Option<String>,
    pub activity: Option<String>,
    pub sum_insured: String,
    pub premium: String,
    pub default_share_bps: Option<i64>,
    pub starts_on: String,
    pub ends_on: String,
    pub central_bps: i64,
    pub provincial_bps: i64,
    pub county_bps: i64,
    pub farmer_bps: i64,
}

pub fn policy_dto(named: NamedInsurancePolicy) -> PolicyDto {
    let p = named.policy;
    let [central_bps, provincial_bps, county_bps, farmer_bps] = p.shares_bps;
    let (institution_code, contract_no) = named.loan.unzip();
    PolicyDto {
        insurer_code: p.insurer_code,
        insurer_name: named.insurer_name,
        policy_no: p.policy_no,
        kind: p.kind,
        county_code: p.county_code.to_string(),
        county_name: named.county_name,
        institution_code,
        contract_no,
        household_id: p.household_id,
        activity: p.activity,
        sum_insured: p.sum_insured.to_plain_yuan(),
        premium: p.premium.to_plain_yuan(),
        default_share_bps: p.default_share_bps,
        starts_on: p.starts_on.to_string(),
        ends_on: p.ends_on.to_string(),
        central_bps,
        provincial_bps,
        county_bps,
        farmer_bps,
    }
}

/// A claim with its policy.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClaimDto {
    pub claim_no: String,
    pub event: String,
    pub occurred_on: String,
    pub reported_on: String,
    pub claimed: String,
    pub assessed: Option<String>,
    pub paid: String,
    pub paid_on: Option<String>,
    /// reported, assessed, paid or refused.
    pub state: String,
    pub refusal: Option<String>,
    pub policy: PolicyDto,
}

fn claim_dto(named: NamedInsuranceClaim) -> ClaimDto {
    let c = named.claim;
    ClaimDto {
        claim_no: c.claim_no,
        event: c.event,
        occurred_on: c.occurred_on.to_string(),
        reported_on: c.reported_on.to_string(),
        claimed: c.claimed.to_plain_yuan(),
        assessed: c.assessed.map(|a| a.to_plain_yuan()),
        paid: c.paid.to_plain_yuan(),
        paid_on: c.paid_on.map(|d| d.to_string()),
        state: c.state,
        refusal: c.refusal,
        policy: policy_dto(named.policy),
    }
}

/// Insurance policies in the caller's scope.
#[utoipa::path(
    get, path = "/api/insurance/policies", tag = "insurance", params(InsuranceQuery),
    responses((status = 200, body = PageOf<PolicyDto>), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn policies(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<InsuranceQuery>,
) -> Result<axum::Json<PageOf<PolicyDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let found = insurance::policies_for(&state.db, &user.ctx, &query.filter()?, page).await?;
    Ok(axum::Json(PageOf::from_paged(found, policy_dto)))
}

/// Claims on insurance policies in the caller's scope, newest reports first.
#[utoipa::path(
    get, path = "/api/insurance/claims", tag = "insurance", params(InsuranceQuery),
    responses((status = 200, body = PageOf<ClaimDto>), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn claims(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<InsuranceQuery>,
) -> Result<axum::Json<PageOf<ClaimDto>>> {
    let page = Page::new(query.limit, query.offset)?;
    let found = insurance::claims_for(&state.db, &user.ctx, &query.filter()?, page).await?;
    Ok(axum::Json(PageOf::from_paged(found, claim_dto)))
}

/// The page's filters and the offsets of its two lists.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct InsurancePageQuery {
    pub region: Option<String>,
    pub insurer: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub policy_offset: Option<i64>,
    pub claim_offset: Option<i64>,
}

/// Rows per list of the page.
const ROWS_PER_PAGE: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "insurance.html")]
struct InsurancePage {
    layout: Layout,
    region: String,
    insurer: String,
    kind: String,
    state: String,
    kinds: Vec<&'static str>,
    states: Vec<&'static str>,
    policies: Vec<PolicyDto>,
    policy_pages: PageLinks,
    claims: Vec<ClaimDto>,
    claim_pages: PageLinks,
    /// Premium payments whose subsidies await the finance bureau.
    premiums: Vec<super::insurance_actions::PremiumDto>,
    /// The finance bureau approves premium subsidies.
    may_approve: bool,
    /// The insurer's staff report and decide claims: its institution code.
    insurer_staff: Option<String>,
    events: Vec<&'static str>,
    /// The default date of the forms.
    today: String,
    names: Names,
}

async fn insurance_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<InsurancePageQuery>,
) -> Result<InsurancePage> {
    let filter = InsuranceQuery {
        region: query.region.clone(),
        insurer: query.insurer.clone(),
        kind: query.kind.clone(),
        state: query.state.clone(),
        limit: None,
        offset: None,
    }
    .filter()?;
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/insurance");
    let page = Page::new(Some(ROWS_PER_PAGE), query.policy_offset)?;
    let policies = insurance::policies_for(
        &state.db,
        &user.ctx,
        &ListFilter {
            state: None,
            ..filter.clone()
        },
        page,
    )
    .await?
    .map(policy_dto);
    let page = Page::new(Some(ROWS_PER_PAGE), query.claim_offset)?;
    let claims = insurance::claims_for(&state.db, &user.ctx, &filter, page)
        .await?
        .map(claim_dto);
    let page = Page::new(Some(ROWS_PER_PAGE), None)?;
    let premiums = insurance::premiums_for(&state.db, &user.ctx, &filter, Some("pending"), page)
        .await?
        .items
        .into_iter()
        .map(super::insurance_actions::premium_dto)
        .collect::<Vec<_>>();
    let loans = policies
        .items
        .iter()
        .chain(claims.items.iter().map(|c| &c.policy))
        .chain(premiums.iter().map(|p| &p.policy));
    let institutions: Vec<String> = loans
        .clone()
        .filter_map(|p| p.institution_code.clone())
        .collect();
    let counties: Vec<String> = loans.map(|p| p.county_code.clone()).collect();
    let names = Names::load(&state.db, lang, counties, institutions).await?;
    let field = |value: &Option<String>| present(value).unwrap_or("").to_string();
    Ok(InsurancePage {
        layout: Layout::new(lang, Some(&user.principal), path, "insurance.title"),
        region: field(&query.region),
        insurer: field(&query.insurer),
        kind: field(&query.kind),
        state: field(&query.state),
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        states: vec!["reported", "assessed", "paid", "refused"],
        policy_pages: PageLinks::of(path, "policy_offset", &policies),
        policies: policies.items,
        claim_pages: PageLinks::of(path, "claim_offset", &claims),
        claims: claims.items,
        premiums,
        may_approve: user.ctx.actor.role == fupin_app::Role::Finance,
        insurer_staff: match user.ctx.actor.role {
            fupin_app::Role::Insurer => user.ctx.actor.institution.clone(),
            _ => None,
        },
        events: vec![
            "death",
            "disability",
            "default",
            "crop_loss",
            "livestock_loss",
        ],
        today: super::page_date(&state, &None).await?.unwrap_or_default(),
        names,
    })
}
