//! Registry use cases: households, members, the change feed, enterprises.
//!
//! Reads take the acting user and the caller's business dates ("as of" for the registry,
//! "today" for responsibility areas); nothing here reads the clock.
//!
//! Privacy: ID numbers are masked (`3611**********1234`) unless the caller asks for them in
//! full and the actor's role may see them ([`may_see_full_ids`]); every full read appends a
//! `member.read_id` audit record, in its own write transaction, before the data is returned.
//!
//! Scope: a user with a region sees only households at or under it; a bank user only the
//! townships its institution is responsible for on `today` (the assignments in force on the day
//! of the query, not on each event's date: a bank may see what is in its area now, and a
//! bank that takes a township over reads its history with `since 0`).

use fupin_core::{BusinessDate, RegionCode, ResidentId};
use fupin_store::registry::{
    self, FeedFilter, HouseholdFacts, HouseholdIdentity, HouseholdSummary, HouseholdVersion,
    KindCounts, MemberFacts, MemberVersion, RegistryFilter,
};
use fupin_store::{Db, audit};
use serde_json::{Value, json};

use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};

/// Largest page a listing or the feed returns.
pub const LIST_LIMIT_MAX: i64 = 100_000;
/// Events per feed page when the caller does not say.
pub const FEED_LIMIT_DEFAULT: i64 = 1_000;

// ---------------------------------------------------------------------------------------------
// JSON and masking

/// JSON of a household with its members (head first, then by ID number), for events, audit
/// records and the API. `mask` hides the ID numbers.
pub fn household_json<'a>(
    household_id: &str,
    facts: &HouseholdFacts,
    members: impl IntoIterator<Item = &'a MemberFacts>,
    mask: bool,
) -> Value {
    let mut members: Vec<&MemberFacts> = members.into_iter().collect();
    members.sort_by(|a, b| {
        (a.relation != "head", &a.id_number).cmp(&(b.relation != "head", &b.id_number))
    });
    let mut value = json!({
        "household_id": household_id,
        "village_code": facts.village_code.to_string(),
        "poverty_attribute": facts.poverty_attribute,
        "main_cause": facts.main_cause,
        "other_causes": facts.other_causes,
        "status": facts.status,
        "exited_year": facts.exited_year,
        "identified_on": facts.identified_on.to_string(),
        "per_capita_income": facts.per_capita_income.to_plain_yuan(),
    });
    if !members.is_empty() {
        value["members"] = Value::Array(
            members
                .into_iter()
                .map(|member| member_json(member, mask))
                .collect(),
        );
    }
    value
}

/// JSON of a member. `mask` hides the ID number.
pub fn member_json(member: &MemberFacts, mask: bool) -> Value {
    let id_number = match mask {
        true => mask_id(&member.id_number),
        false => member.id_number.clone(),
    };
    json!({
        "id_number": id_number,
        "name": member.name,
        "relation": member.relation,
        "sex": member.sex,
        "birth_date": member.birth_date.to_string(),
        "labour": member.labour,
        "phone": member.phone,
        "died_on": member.died_on.map(|d| d.to_string()),
    })
}

/// A stored ID number masked with [`ResidentId::masked`].
pub fn mask_id(id_number: &str) -> String {
    let far_future = BusinessDate::from_ymd(2200, 12, 31).expect("a valid business date");
    ResidentId::parse(id_number, far_future)
        .map(|id| id.masked())
        .unwrap_or_else(|_| mask_text(id_number))
}

/// Any text that may hold an ID number, masked the same way: the first and last four
/// characters kept when there are at least 12, everything hidden otherwise.
pub fn mask_text(text: &str) -> String {
    let characters: Vec<char> = text.chars().collect();
    let length = characters.len();
    if length < 12 {
        return "*".repeat(length);
    }
    let head: String = characters[..4].iter().collect();
    let tail: String = characters[length - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(length - 8))
}

/// Replaces every `id_number` string inside a JSON value by its masked form.
pub fn mask_json(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match field {
                    Value::String(id) if key == "id_number" => *field = Value::String(mask_id(id)),
                    other => mask_json(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// scope and privacy

/// Whether a role may see ID numbers in full: the operator, the poverty office that keeps the
/// registry, and banks (for the households of their townships, which is all they can see).
pub fn may_see_full_ids(role: Role) -> bool {
    matches!(role, Role::Operator | Role::PovertyOffice | Role::Bank)
}

/// The households an actor may read, narrowed by what they asked for.
fn scope(
    ctx: &Ctx,
    region: Option<RegionCode>,
    institution: Option<&str>,
    today: BusinessDate,
) -> Result<RegistryFilter> {
    let actor = &ctx.actor;
    // Who reads the registry at all is the access table's rule, so a new role reads nothing
    // until it is granted.
    crate::access::require(
        ctx,
        crate::access::Area::Registry,
        crate::access::Access::Read,
    )?;
    let within = narrow_region(ctx, region)?;
    let institution = match (actor.role, &actor.institution, institution) {
        (Role::Bank, None, _) => {
            return Err(AppError::Forbidden(
                "a bank user without an institution reads no registry data".into(),
            ));
        }
        (Role::Bank, Some(own), Some(asked)) if asked != own => {
            return Err(AppError::NotFound(format!("institution {asked}")));
        }
        (Role::Bank, Some(own), _) => Some(own.clone()),
        (_, _, asked) => asked.map(str::to_string),
    };
    Ok(RegistryFilter {
        within,
        institution: institution.map(|code| (code, today)),
    })
}

/// The region a read covers: the one asked for, narrowed to the actor's own; a region outside
/// it is answered as not found.
fn narrow_region(ctx: &Ctx, region: Option<RegionCode>) -> Result<Option<RegionCode>> {
    crate::access::region_in_scope(ctx, region)
}

fn check_show_ids(ctx: &Ctx, show_ids: bool) -> Result<()> {
    if show_ids && !may_see_full_ids(ctx.actor.role) {
        return Err(AppError::Forbidden(format!(
            "the {} role sees ID numbers masked",
            ctx.actor.role.as_str()
        )));
    }
    Ok(())
}

/// Records that `ctx`'s actor read `ids` full ID numbers, before they are handed out.
async fn audit_full_read(
    db: &Db,
    ctx: &Ctx,
    entity: &str,
    entity_id: &str,
    details: Value,
) -> Result<()> {
    let mut tx = db.write().await?;
    let mut entry = ctx.audit("member.read_id", entity, entity_id);
    entry.after_json = Some(details.to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

fn clamp_limit(limit: Option<i64>, default: i64) -> i64 {
    limit.unwrap_or(default).clamp(0, LIST_LIMIT_MAX)
}

// ---------------------------------------------------------------------------------------------
// households

/// Query for `fupin households list`.
#[derive(Clone, Debug)]
pub struct HouseholdQuery {
    /// The date the registry is read as of.
    pub as_of: BusinessDate,
    pub region: Option<RegionCode>,
    /// Only the townships this institution is responsible for on `today`.
    pub institution: Option<String>,
    pub limit: Option<i64>,
    /// ID numbers in full (allowed roles only; audited).
    pub show_ids: bool,
    /// The caller's business date, for responsibility areas.
    pub today: BusinessDate,
}

/// The households in the registry on `query.as_of`, in id order; the head's ID number masked
/// unless `show_ids`.
pub async fn list_households(
    db: &Db,
    ctx: &Ctx,
    query: &HouseholdQuery,
) -> Result<Vec<HouseholdSummary>> {
    check_show_ids(ctx, query.show_ids)?;
    let filter = scope(ctx, query.region, query.institution.as_deref(), query.today)?;
    let limit = clamp_limit(query.limit, LIST_LIMIT_MAX);
    let mut households = registry::households_on(db, query.as_of, &filter, limit).await?;
    let ids = households
        .iter()
        .filter(|h| h.head_id_number.is_some())
        .count();
    if query.show_ids && ids > 0 {
        let region = filter.within.map(|r| r.to_string());
        audit_full_read(
            db,
            ctx,
            "households",
            &format!("list as of {}", query.as_of),
            json!({
                "as_of": query.as_of.to_string(),
                "region": region,
                "institution": filter.institution.as_ref().map(|(code, _)| code),
                "households": households.len(),
                "id_numbers": ids,
            }),
        )
        .await?;
    } else {
        for household in &mut households {
            household.head_id_number = household.head_id_number.as_deref().map(mask_id);
        }
    }
    Ok(households)
}

/// One household as of a date.
#[derive(Clone, Debug)]
pub struct HouseholdDetail {
    pub identity: HouseholdIdentity,
    pub as_of: BusinessDate,
    /// The version valid on `as_of`; `None` when the household was not in the registry then.
    pub version: Option<HouseholdVersion>,
    /// Members on `as_of`, head first; ID numbers masked unless asked for.
    pub members: Vec<MemberVersion>,
    /// Every version's period, oldest first.
    pub periods: Vec<(BusinessDate, Option<BusinessDate>)>,
}

/// A household and its members as of `as_of`.
pub async fn show_household(
    db: &Db,
    ctx: &Ctx,
    household_id: &str,
    as_of: BusinessDate,
    show_ids: bool,
    today: BusinessDate,
) -> Result<HouseholdDetail> {
    check_show_ids(ctx, show_ids)?;
    let (identity, versions) = visible_household(db, ctx, household_id, today).await?;
    let version = registry::version_on(db, household_id, as_of).await?;
    let mut members = registry::members_on(db, household_id, as_of).await?;
    if show_ids && !members.is_empty() {
        audit_full_read(
            db,
            ctx,
            "household",
            household_id,
            json!({ "as_of": as_of.to_string(), "id_numbers": members.len() }),
        )
        .await?;
    } else {
        for member in &mut members {
            member.member.id_number = mask_id(&member.member.id_number);
        }
    }
    Ok(HouseholdDetail {
        identity,
        as_of,
        version,
        members,
        periods: versions
            .iter()
            .map(|version| (version.valid_from, version.valid_to))
            .collect(),
    })
}

/// A household the actor may read, with its versions: one in the actor's region at some time
/// and, for a bank, in a township it is responsible for on `today` or one of its borrowers.
/// Anything else is answered as not found.
pub async fn visible_household(
    db: &Db,
    ctx: &Ctx,
    household_id: &str,
    today: BusinessDate,
) -> Result<(HouseholdIdentity, Vec<HouseholdVersion>)> {
    let filter = scope(ctx, None, None, today)?;
    let not_found = || AppError::NotFound(format!("household {household_id}"));
    let identity = registry::identity(db, household_id)
        .await?
        .ok_or_else(not_found)?;
    let versions = registry::versions_of(db, household_id).await?;
    let visible = versions.iter().any(|version| {
        let village = version.facts.village_code;
        filter.within.is_none_or(|within| village.is_within(within))
    });
    if !visible {
        return Err(not_found());
    }
    if let Some((institution, on)) = &filter.institution
        && !village_in_area(db, identity.village_code, institution, *on).await?
        && !is_borrower_of(db, household_id, institution).await?
    {
        return Err(not_found());
    }
    Ok((identity, versions))
}

/// Whether the household has (or had) a loan of the institution.
async fn is_borrower_of(db: &Db, household_id: &str, institution: &str) -> Result<bool> {
    let filter = fupin_store::loans::LoanFilter {
        institution: Some(institution.to_string()),
        borrower_id: Some(household_id.to_string()),
        limit: 1,
        ..Default::default()
    };
    Ok(!fupin_store::loans::list_loans(db, &filter)
        .await?
        .is_empty())
}

/// The change feed of one household, oldest first (at most `limit` events), as the actor may
/// read it; ID numbers masked unless `show_ids` (allowed roles only; audited).
pub async fn household_events(
    db: &Db,
    ctx: &Ctx,
    household_id: &str,
    limit: Option<i64>,
    show_ids: bool,
    today: BusinessDate,
) -> Result<Vec<FeedEntry>> {
    check_show_ids(ctx, show_ids)?;
    visible_household(db, ctx, household_id, today).await?;
    let limit = clamp_limit(limit, FEED_LIMIT_DEFAULT);
    let events = registry::events_of(db, household_id, limit).await?;
    let entries = entries_of(events, show_ids)?;
    if show_ids && !entries.is_empty() {
        audit_full_read(
            db,
            ctx,
            "household",
            household_id,
            json!({ "events": entries.len() }),
        )
        .await?;
    }
    Ok(entries)
}

/// Feed entries from stored events, their JSON parsed and, unless `show_ids`, masked.
fn entries_of(events: Vec<fupin_store::registry::Event>, show_ids: bool) -> Result<Vec<FeedEntry>> {
    let mut entries = Vec::with_capacity(events.len());
    for event in events {
        let parse = |text: Option<String>| -> Result<Option<Value>> {
            text.map(|text| {
                serde_json::from_str(&text).map_err(|error| {
                    AppError::Invalid(format!("event {}: stored JSON: {error}", event.seq))
                })
            })
            .transpose()
        };
        let mut before = parse(event.before_json.clone())?;
        let mut after = parse(event.after_json.clone())?;
        if !show_ids {
            before.iter_mut().for_each(mask_json);
            after.iter_mut().for_each(mask_json);
        }
        entries.push(FeedEntry {
            seq: event.seq,
            as_of: event.as_of,
            household_id: event.household_id,
            village_code: event.village_code,
            kind: event.kind,
            before,
            after,
        });
    }
    Ok(entries)
}

/// Whether the institution is responsible for the village's township on `on`.
async fn village_in_area(
    db: &Db,
    village: RegionCode,
    institution: &str,
    on: BusinessDate,
) -> Result<bool> {
    let Some(township) = village.ancestor_at(fupin_core::RegionLevel::Township) else {
        return Ok(false);
    };
    let assignments = fupin_store::institutions::assignments_on(db, on, Some(township)).await?;
    Ok(assignments
        .iter()
        .any(|a| a.institution_code == institution && a.township_code == township))
}

/// Households in the registry on `as_of` at or under `within` whose status is one of
/// `statuses` (all when empty): the base of the poverty indicators.
pub async fn count_households(
    db: &Db,
    as_of: BusinessDate,
    within: Option<RegionCode>,
    statuses: &[&str],
) -> Result<i64> {
    Ok(registry::count_households_on(db, as_of, within, statuses).await?)
}

// ---------------------------------------------------------------------------------------------
// the feed

/// Query for `fupin feed`.
#[derive(Clone, Debug)]
pub struct FeedQuery {
    /// Changes after this sequence number (0 for all).
    pub since: i64,
    pub region: Option<RegionCode>,
    /// Only townships this institution is responsible for on `today`.
    pub institution: Option<String>,
    pub limit: Option<i64>,
    pub show_ids: bool,
    pub today: BusinessDate,
}

/// One change, as the feed hands it out.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedEntry {
    pub seq: i64,
    /// The as-of date of the extract that brought the change.
    pub as_of: BusinessDate,
    pub household_id: String,
    pub village_code: RegionCode,
    pub kind: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A page of the feed and the cursor to ask from next.
#[derive(Clone, Debug)]
pub struct FeedPage {
    pub events: Vec<FeedEntry>,
    /// Pass as `since` next time: the last event's number, or `since` when there is none.
    pub next: i64,
    /// Whether the page is full (more may follow at once).
    pub more: bool,
}

/// The changes after `query.since` in the caller's area.
pub async fn feed(db: &Db, ctx: &Ctx, query: &FeedQuery) -> Result<FeedPage> {
    check_show_ids(ctx, query.show_ids)?;
    if query.since < 0 {
        return Err(AppError::Invalid(format!(
            "since {} is negative: use 0 for everything",
            query.since
        )));
    }
    let registry = scope(ctx, query.region, query.institution.as_deref(), query.today)?;
    let limit = clamp_limit(query.limit, FEED_LIMIT_DEFAULT);
    let filter = FeedFilter {
        since: query.since,
        registry,
        limit,
    };
    let events = registry::feed(db, &filter).await?;
    let entries = entries_of(events, query.show_ids)?;
    if query.show_ids && !entries.is_empty() {
        audit_full_read(
            db,
            ctx,
            "registry_events",
            &format!("since {}", query.since),
            json!({
                "since": query.since,
                "events": entries.len(),
                "region": filter.registry.within.map(|r| r.to_string()),
                "institution": filter.registry.institution.as_ref().map(|(code, _)| code),
            }),
        )
        .await?;
    }
    let next = entries.last().map_or(query.since, |entry| entry.seq);
    Ok(FeedPage {
        more: entries.len() as i64 == limit && limit > 0,
        events: entries,
        next,
    })
}

// ---------------------------------------------------------------------------------------------
// enterprises

/// Enterprises and the people they lift in a region on a date.
#[derive(Clone, Debug)]
pub struct EnterpriseSummary {
    pub as_of: BusinessDate,
    pub region: Option<RegionCode>,
    /// Every kind of FORMATS.md, in its order, zeros included.
    pub by_kind: Vec<KindCounts>,
    /// Distinct households lifted by at least one enterprise of the region.
    pub households_lifted: i64,
    /// People lifted, each household counted once (its largest link).
    pub people_lifted: i64,
}

impl EnterpriseSummary {
    pub fn enterprises(&self) -> i64 {
        self.by_kind.iter().map(|k| k.enterprises).sum()
    }
}

/// Counts of enterprises by kind and of the households and people they lift, for enterprises
/// located at or under `region`, on `as_of`.
pub async fn enterprise_summary(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    as_of: BusinessDate,
) -> Result<EnterpriseSummary> {
    let within = narrow_region(ctx, region)?;
    let counts = registry::counts_by_kind(db, as_of, within).await?;
    let by_kind = crate::imports::registry::ENTERPRISE_KINDS
        .iter()
        .map(|(kind, _, _)| {
            counts
                .iter()
                .find(|c| c.kind == *kind)
                .cloned()
                .unwrap_or_else(|| KindCounts {
                    kind: kind.to_string(),
                    ..KindCounts::default()
                })
        })
        .collect();
    let (households_lifted, people_lifted) = registry::lifted_totals(db, as_of, within).await?;
    Ok(EnterpriseSummary {
        as_of,
        region: within,
        by_kind,
        households_lifted,
        people_lifted,
    })
}

/// Enterprises located at or under `region`, in credit-code order.
pub async fn list_enterprises(
    db: &Db,
    ctx: &Ctx,
    region: Option<RegionCode>,
    limit: Option<i64>,
) -> Result<Vec<fupin_store::registry::Enterprise>> {
    let within = narrow_region(ctx, region)?;
    Ok(registry::list_enterprises(db, within, clamp_limit(limit, LIST_LIMIT_MAX)).await?)
}

pub use fupin_store::household_heads::Head;

/// The heads (name, phone) of households on a date, for a list of households the actor already
/// holds from a scoped use case (the work list of [`crate::credit::coverage_report`]): pass
/// only ids that list gave.
pub async fn heads_on(
    db: &Db,
    ctx: &Ctx,
    ids: &[String],
    as_of: BusinessDate,
) -> Result<Vec<Head>> {
    crate::access::require(
        ctx,
        crate::access::Area::Registry,
        crate::access::Access::Read,
    )?;
    Ok(fupin_store::household_heads::heads_on(db, ids, as_of).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_masked_like_resident_id() {
        assert_eq!(mask_id("11010519491231002X"), "1101**********002X");
        assert_eq!(mask_text("12345"), "*****");
        let mut value = json!({"members": [{"id_number": "11010519491231002X", "name": "张三"}]});
        mask_json(&mut value);
        assert_eq!(value["members"][0]["id_number"], "1101**********002X");
        assert_eq!(value["members"][0]["name"], "张三");
    }
}
