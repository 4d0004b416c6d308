//! Territory queries: who is responsible for which township, which villages have banking
//! service, region groups, and listings.

use std::collections::BTreeMap;

use fupin_core::{BusinessDate, RegionCode};
use fupin_store::Db;
use fupin_store::groups;
pub use fupin_store::groups::{Membership, RegionGroup};
use fupin_store::institutions;
pub use fupin_store::institutions::{Assignment, Institution};
use fupin_store::service_points;
pub use fupin_store::service_points::{ServicePoint, TownshipResponsibility};

use crate::access::{self, Access, Area};
use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::reference;

/// Largest page a listing returns.
pub const LIST_LIMIT_MAX: i64 = 100_000;

/// Townships and their responsible institutions on a date.
#[derive(Clone, Debug)]
pub struct TownshipCoverage {
    pub as_of: BusinessDate,
    pub townships: Vec<TownshipResponsibility>,
    /// (institution code, name, type, townships), most townships first.
    pub by_institution: Vec<(String, String, String, u64)>,
    /// (institution type, townships), in the order of FORMATS.md's types.
    pub by_type: Vec<(String, u64)>,
}

impl TownshipCoverage {
    pub fn total(&self) -> u64 {
        self.townships.len() as u64
    }

    pub fn assigned(&self) -> u64 {
        self.townships
            .iter()
            .filter(|t| t.institution_code.is_some())
            .count() as u64
    }

    pub fn unassigned(&self) -> impl Iterator<Item = &TownshipResponsibility> {
        self.townships
            .iter()
            .filter(|t| t.institution_code.is_none())
    }
}

/// Township responsibility on `as_of` for townships at or under `within`, in the actor's
/// region; a bank sees only the townships it is responsible for.
pub async fn township_coverage(
    db: &Db,
    ctx: &Ctx,
    as_of: BusinessDate,
    within: Option<RegionCode>,
) -> Result<TownshipCoverage> {
    access::require(ctx, Area::Territory, Access::Read)?;
    let within = access::region_in_scope(ctx, within)?;
    let mut townships = service_points::township_responsibility(db, as_of, within).await?;
    if let Some(own) = access::bank_institution(ctx)? {
        townships.retain(|t| t.institution_code.as_deref() == Some(own));
    }
    let mut by_institution: BTreeMap<String, (String, String, u64)> = BTreeMap::new();
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    for township in &townships {
        if let (Some(code), Some(name), Some(kind)) = (
            &township.institution_code,
            &township.institution_name,
            &township.institution_type,
        ) {
            by_institution
                .entry(code.clone())
                .or_insert_with(|| (name.clone(), kind.clone(), 0))
                .2 += 1;
            *by_type.entry(kind.clone()).or_default() += 1;
        }
    }
    let mut by_institution: Vec<_> = by_institution
        .into_iter()
        .map(|(code, (name, kind, count))| (code, name, kind, count))
        .collect();
    by_institution.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.0.cmp(&b.0)));
    let by_type = crate::imports::territory::INSTITUTION_TYPES
        .iter()
        .map(|(kind, _, _)| (kind.to_string(), by_type.get(*kind).copied().unwrap_or(0)))
        .collect();
    Ok(TownshipCoverage {
        as_of,
        townships,
        by_institution,
        by_type,
    })
}

/// The best channel of a village.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    None,
    Mobile,
    Electronic,
    Outlet,
}

impl Channel {
    fn from_rank(rank: i64) -> Channel {
        match rank {
            3 => Channel::Outlet,
            2 => Channel::Electronic,
            1 => Channel::Mobile,
            _ => Channel::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Outlet => "outlet",
            Channel::Electronic => "electronic",
            Channel::Mobile => "mobile",
            Channel::None => "none",
        }
    }
}

/// Villages by best channel on a date.
#[derive(Clone, Debug)]
pub struct VillageCoverage {
    pub as_of: BusinessDate,
    pub total: u64,
    pub with_outlet: u64,
    pub electronic_only: u64,
    pub mobile_only: u64,
    /// Villages with no service point at all, in code order.
    pub uncovered: Vec<(RegionCode, String)>,
}

impl VillageCoverage {
    /// Villages with at least one service point.
    pub fn covered(&self) -> u64 {
        self.total - self.uncovered.len() as u64
    }

    /// Covered villages as a percentage with two decimals, rounded half up ("100.00").
    pub fn rate_percent(&self) -> String {
        percent_text(self.covered(), self.total)
    }
}

/// A ratio as a percentage with two decimals, rounded half up; "—" when the denominator is 0.
pub fn percent_text(numerator: u64, denominator: u64) -> String {
    if denominator == 0 {
        return "—".to_string();
    }
    // Hundredths of a percent, rounded half up, in integers: no float near a reported figure.
    let hundredths =
        (u128::from(numerator) * 20_000 + u128::from(denominator)) / (2 * u128::from(denominator));
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Village service coverage on `as_of` for villages at or under `within`, in the actor's
/// region; a bank sees the villages of the townships it is responsible for.
pub async fn village_coverage(
    db: &Db,
    ctx: &Ctx,
    as_of: BusinessDate,
    within: Option<RegionCode>,
) -> Result<VillageCoverage> {
    access::require(ctx, Area::Territory, Access::Read)?;
    let within = access::region_in_scope(ctx, within)?;
    let mut villages = service_points::village_channels(db, as_of, within).await?;
    if let Some(own) = access::bank_institution(ctx)? {
        let townships: std::collections::BTreeSet<RegionCode> =
            service_points::township_responsibility(db, as_of, within)
                .await?
                .into_iter()
                .filter(|t| t.institution_code.as_deref() == Some(own))
                .map(|t| t.township_code)
                .collect();
        villages.retain(|v| {
            v.village_code
                .ancestor_at(fupin_core::RegionLevel::Township)
                .is_some_and(|t| townships.contains(&t))
        });
    }
    let mut coverage = VillageCoverage {
        as_of,
        total: villages.len() as u64,
        with_outlet: 0,
        electronic_only: 0,
        mobile_only: 0,
        uncovered: Vec::new(),
    };
    for village in villages {
        match Channel::from_rank(village.best_channel_rank) {
            Channel::Outlet => coverage.with_outlet += 1,
            Channel::Electronic => coverage.electronic_only += 1,
            Channel::Mobile => coverage.mobile_only += 1,
            Channel::None => coverage
                .uncovered
                .push((village.village_code, village.village_name)),
        }
    }
    Ok(coverage)
}

/// Institutions at or under a region, in the actor's region; a bank sees itself and its
/// branches.
pub async fn list_institutions(
    db: &Db,
    ctx: &Ctx,
    within: Option<RegionCode>,
    limit: Option<i64>,
) -> Result<Vec<Institution>> {
    access::require(ctx, Area::Territory, Access::Read)?;
    let within = access::region_in_scope(ctx, within)?;
    match access::bank_institution(ctx)? {
        None => Ok(institutions::list(db, within, clamp_limit(limit)).await?),
        Some(own) => {
            let mut rows = institutions::list(db, within, LIST_LIMIT_MAX).await?;
            rows.retain(|i| i.code == own || i.parent_code.as_deref() == Some(own));
            rows.truncate(clamp_limit(limit) as usize);
            Ok(rows)
        }
    }
}

/// One institution, if the actor may see it: otherwise it is not found.
pub async fn get_institution(db: &Db, ctx: &Ctx, code: &str) -> Result<Institution> {
    access::require(ctx, Area::Territory, Access::Read)?;
    let not_found = || AppError::NotFound(format!("institution {code}"));
    let institution = institutions::get(db, code).await?.ok_or_else(not_found)?;
    if !access::sees_region(ctx, institution.region_code) {
        return Err(not_found());
    }
    if let Some(own) = access::bank_institution(ctx)?
        && institution.code != own
        && institution.parent_code.as_deref() != Some(own)
    {
        return Err(not_found());
    }
    Ok(institution)
}

/// Adds an institution (the regulator, in its region). An existing code is a conflict.
pub async fn add_institution(db: &Db, ctx: &Ctx, institution: &Institution) -> Result<Institution> {
    access::require(ctx, Area::Territory, Access::Write)?;
    let code = institution.code.trim();
    if code.is_empty() || code.len() > 64 || code.chars().any(|c| c.is_whitespace()) {
        return Err(AppError::field(
            "code",
            "must have 1 to 64 characters and no spaces",
        ));
    }
    if institution.name.trim().is_empty() {
        return Err(AppError::field("name", "must not be empty"));
    }
    if !crate::imports::territory::INSTITUTION_TYPES
        .iter()
        .any(|(kind, _, _)| *kind == institution.kind)
    {
        return Err(AppError::field(
            "type",
            "must be one of policy_bank, large_commercial, postal_savings, rural_cooperative, \
             village_bank, other",
        ));
    }
    if !access::sees_region(ctx, institution.region_code) {
        return Err(AppError::NotFound(format!(
            "region {}",
            institution.region_code
        )));
    }
    if fupin_store::regions::get(db, institution.region_code)
        .await?
        .is_none()
    {
        return Err(AppError::field(
            "region_code",
            format!("region {} does not exist", institution.region_code),
        ));
    }
    // A parent outside the actor's region is answered exactly as one that does not exist: it
    // may be neither probed nor grafted onto.
    if let Some(parent) = &institution.parent_code
        && !institutions::get(db, parent)
            .await?
            .is_some_and(|found| access::sees_region(ctx, found.region_code))
    {
        return Err(AppError::field(
            "parent_code",
            format!("institution {parent} does not exist"),
        ));
    }
    let mut tx = db.write().await?;
    if institutions::get_in(&mut tx, &institution.code)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "institution {} already exists",
            institution.code
        )));
    }
    institutions::upsert(&mut tx, institution).await?;
    let mut entry = ctx.audit("institution.add", "institution", &institution.code);
    entry.after_json = Some(crate::imports::territory::institution_json(institution).to_string());
    fupin_store::audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(institution.clone())
}

/// Assignments (all periods) of townships at or under a region, in the actor's region; a bank
/// sees its own.
pub async fn list_assignments(
    db: &Db,
    ctx: &Ctx,
    within: Option<RegionCode>,
    limit: Option<i64>,
) -> Result<Vec<Assignment>> {
    access::require(ctx, Area::Territory, Access::Read)?;
    let within = access::region_in_scope(ctx, within)?;
    match access::bank_institution(ctx)? {
        None => Ok(institutions::list_assignments(db, within, clamp_limit(limit)).await?),
        Some(own) => {
            let mut rows = institutions::list_assignments(db, within, LIST_LIMIT_MAX).await?;
            rows.retain(|a| a.institution_code == own);
            rows.truncate(clamp_limit(limit) as usize);
            Ok(rows)
        }
    }
}

/// Service points in villages at or under a region, in the actor's region; a bank sees its
/// own.
pub async fn list_service_points(
    db: &Db,
    ctx: &Ctx,
    within: Option<RegionCode>,
    limit: Option<i64>,
) -> Result<Vec<ServicePoint>> {
    access::require(ctx, Area::Territory, Access::Read)?;
    let within = access::region_in_scope(ctx, within)?;
    match access::bank_institution(ctx)? {
        None => Ok(service_points::list(db, within, clamp_limit(limit)).await?),
        Some(own) => {
            let mut rows = service_points::list(db, within, LIST_LIMIT_MAX).await?;
            rows.retain(|p| p.institution_code == own);
            rows.truncate(clamp_limit(limit) as usize);
            Ok(rows)
        }
    }
}

fn clamp_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(LIST_LIMIT_MAX).clamp(0, LIST_LIMIT_MAX)
}

/// The built-in group of the four state-level poverty counties.
pub const STATE_POVERTY_COUNTIES: &str = "state-poverty-counties";

/// Creates or restores the built-in groups (part of `fupin init`).
pub async fn load_builtin_groups(db: &Db, ctx: &Ctx) -> Result<()> {
    let group = RegionGroup {
        name: STATE_POVERTY_COUNTIES.to_string(),
        title: "国定贫困县".to_string(),
        title_en: Some("State-level poverty counties".to_string()),
        builtin: true,
        description: Some(
            "The four state-level poverty counties of Shangrao in 2017: Shangrao County (Guangxin \
             District from June 2019), Hengfeng, Yugan and Poyang."
                .to_string(),
        ),
    };
    let members = reference::state_poverty_county_memberships();
    save_group(db, ctx, &group, &members).await
}

/// Creates or replaces a group and its whole membership history, audited.
pub async fn save_group(
    db: &Db,
    ctx: &Ctx,
    group: &RegionGroup,
    members: &[Membership],
) -> Result<()> {
    let mut members = members.to_vec();
    members.sort_by_key(|m| (m.region_code, m.valid_from));
    let members = members.as_slice();
    for member in members {
        if member.valid_to.is_some_and(|to| to <= member.valid_from) {
            return Err(AppError::Invalid(format!(
                "membership of {} ends on {}, not after it starts",
                member.region_code,
                member.valid_to.map(|d| d.to_string()).unwrap_or_default()
            )));
        }
        if fupin_store::regions::get(db, member.region_code)
            .await?
            .is_none()
        {
            return Err(AppError::Invalid(format!(
                "region {} does not exist",
                member.region_code
            )));
        }
    }
    let before_group = groups::get_group(db, &group.name).await?;
    let before_members = groups::members(db, &group.name).await?;
    if before_group.as_ref() == Some(group) && before_members == members {
        return Ok(());
    }
    let mut tx = db.write().await?;
    groups::upsert_group(&mut tx, group).await?;
    groups::replace_members(&mut tx, &group.name, members).await?;
    let mut entry = ctx.audit("region_group.save", "region_group", &group.name);
    entry.before_json = before_group.map(|g| group_json(&g, &before_members).to_string());
    entry.after_json = Some(group_json(group, members).to_string());
    fupin_store::audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(())
}

/// A group and its members on a date.
pub async fn group_members_on(db: &Db, name: &str, as_of: BusinessDate) -> Result<Vec<RegionCode>> {
    if groups::get_group(db, name).await?.is_none() {
        return Err(AppError::NotFound(format!("region group {name:?}")));
    }
    Ok(groups::members_on(db, name, as_of).await?)
}

/// Every group.
pub async fn list_groups(db: &Db) -> Result<Vec<(RegionGroup, Vec<Membership>)>> {
    let mut result = Vec::new();
    for group in groups::list_groups(db).await? {
        let members = groups::members(db, &group.name).await?;
        result.push((group, members));
    }
    Ok(result)
}

fn group_json(group: &RegionGroup, members: &[Membership]) -> serde_json::Value {
    serde_json::json!({
        "name": group.name,
        "title": group.title,
        "title_en": group.title_en,
        "builtin": group.builtin,
        "description": group.description,
        "members": members.iter().map(|m| serde_json::json!({
            "region_code": m.region_code.to_string(),
            "valid_from": m.valid_from.to_string(),
            "valid_to": m.valid_to.map(|d| d.to_string()),
        })).collect::<Vec<_>>(),
    })
}

/// An institution's name by code, for pages that show names beside codes (the directory of
/// institutions is public; what the code stands for is not scoped).
pub async fn institution_name(db: &Db, code: &str) -> Result<Option<String>> {
    Ok(institutions::get(db, code).await?.map(|i| i.name))
}
