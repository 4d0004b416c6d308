//! "Three full coverage" (三个全覆盖) as of any date, for any region, region group or
//! responsible institution:
//!
//! 1. townships with a responsible institution / townships;
//! 2. eligible households with a (rated) credit file / eligible households;
//! 3. eligible households with a credit line in force / eligible households.
//!
//! Eligible on a date: in the registry on that date (a version valid on it: identified on or
//! before it and not removed) with status poor, exited or relapsed, and not exempt — a
//! household is exempt when its latest credit file on or before the date (any institution) is
//! an exemption. A credit file counts from its assessment date; a line from its grant date
//! until the day before it expires (or until a later line of the same household and
//! institution replaces it). Files and lines of any institution count. The scope
//! `institution` means the households (and townships) of the townships that institution is
//! responsible for on the date.
//!
//! [`credit_coverage`] and [`credit_lines_granted`] are the figures the indicator engine reads
//! (no actor); [`coverage_report`] is the same with the actor's scope and the work list.

use std::collections::BTreeMap;

use fupin_core::{BusinessDate, Fen, RegionCode};
pub use fupin_store::credit::UncoveredHousehold;
use fupin_store::credit::{self, HouseholdScope};
use fupin_store::{Db, groups, service_points};

use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::territory::percent_text;

/// Which households and townships a coverage figure covers. `region` and `group` exclude each
/// other; neither means everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoverageScope {
    /// Villages and townships at or under this region.
    pub region: Option<RegionCode>,
    /// Villages and townships at or under the group's members on the date.
    pub group: Option<String>,
    /// Only the townships this institution is responsible for on the date.
    pub institution: Option<String>,
}

/// The three coverage figures on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditCoverage {
    pub as_of: BusinessDate,
    /// Townships in the scope.
    pub townships: u64,
    /// Of which with a responsible institution on the date.
    pub townships_covered: u64,
    /// Households in the registry with status poor, exited or relapsed.
    pub registered: u64,
    /// Registered households whose latest credit file is an exemption.
    pub exempt: u64,
    /// Registered and not exempt.
    pub eligible: u64,
    /// Eligible with a rated credit file.
    pub rated: u64,
    /// Eligible with a credit line in force.
    pub with_line: u64,
}

impl CreditCoverage {
    fn empty(as_of: BusinessDate) -> CreditCoverage {
        CreditCoverage {
            as_of,
            townships: 0,
            townships_covered: 0,
            registered: 0,
            exempt: 0,
            eligible: 0,
            rated: 0,
            with_line: 0,
        }
    }

    /// Townships with a responsible institution, percent with two decimals.
    pub fn township_percent(&self) -> String {
        percent_text(self.townships_covered, self.townships)
    }

    /// Eligible households with a credit file, percent with two decimals.
    pub fn rated_percent(&self) -> String {
        percent_text(self.rated, self.eligible)
    }

    /// Eligible households with a credit line, percent with two decimals.
    pub fn line_percent(&self) -> String {
        percent_text(self.with_line, self.eligible)
    }
}

/// The regions a scope covers on a date.
enum Within {
    Everything,
    Regions(Vec<RegionCode>),
}

/// The scope's regions on the date, narrowed to `limit` (the actor's region); `None` when
/// nothing is left (a group without members then, or outside the actor's region).
async fn resolve(
    db: &Db,
    as_of: BusinessDate,
    scope: &CoverageScope,
    limit: Option<RegionCode>,
) -> Result<Option<Within>> {
    let regions = match (&scope.region, &scope.group) {
        (Some(_), Some(_)) => {
            return Err(AppError::Invalid(
                "give a region or a group, not both".to_string(),
            ));
        }
        (Some(region), None) => vec![*region],
        (None, Some(group)) => {
            if groups::get_group(db, group).await?.is_none() {
                return Err(AppError::NotFound(format!("region group {group:?}")));
            }
            let members = groups::members_on(db, group, as_of).await?;
            if members.is_empty() {
                return Ok(None);
            }
            members
        }
        (None, None) => match limit {
            None => return Ok(Some(Within::Everything)),
            Some(own) => vec![own],
        },
    };
    let mut narrowed: Vec<RegionCode> = regions
        .into_iter()
        .filter_map(|region| match limit {
            None => Some(region),
            Some(own) if region.is_within(own) => Some(region),
            Some(own) if own.is_within(region) => Some(own),
            Some(_) => None,
        })
        .collect();
    narrowed.sort();
    narrowed.dedup();
    let outermost: Vec<RegionCode> = narrowed
        .iter()
        .copied()
        .filter(|region| {
            !narrowed
                .iter()
                .any(|other| other != region && region.is_within(*other))
        })
        .collect();
    Ok(match outermost.is_empty() {
        true => None,
        false => Some(Within::Regions(outermost)),
    })
}

/// The three coverage figures on `as_of` for the scope (no actor: for indicators).
pub async fn credit_coverage(
    db: &Db,
    as_of: BusinessDate,
    scope: &CoverageScope,
) -> Result<CreditCoverage> {
    match resolve(db, as_of, scope, None).await? {
        None => Ok(CreditCoverage::empty(as_of)),
        Some(within) => figures(db, as_of, &within, scope.institution.as_deref()).await,
    }
}

async fn figures(
    db: &Db,
    as_of: BusinessDate,
    within: &Within,
    institution: Option<&str>,
) -> Result<CreditCoverage> {
    let regions: Vec<Option<RegionCode>> = match within {
        Within::Everything => vec![None],
        Within::Regions(regions) => regions.iter().copied().map(Some).collect(),
    };
    let mut townships: BTreeMap<RegionCode, Option<String>> = BTreeMap::new();
    for region in &regions {
        for township in service_points::township_responsibility(db, as_of, *region).await? {
            townships.insert(township.township_code, township.institution_code);
        }
    }
    if let Some(institution) = institution {
        townships.retain(|_, responsible| responsible.as_deref() == Some(institution));
    }
    let counts = credit::household_counts(db, as_of, &household_scope(within, institution)).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(CreditCoverage {
        as_of,
        townships: townships.len() as u64,
        townships_covered: townships.values().filter(|r| r.is_some()).count() as u64,
        registered: count(counts.registered),
        exempt: count(counts.registered - counts.eligible),
        eligible: count(counts.eligible),
        rated: count(counts.rated),
        with_line: count(counts.with_line),
    })
}

fn household_scope(within: &Within, institution: Option<&str>) -> HouseholdScope {
    HouseholdScope {
        within: match within {
            Within::Everything => Vec::new(),
            Within::Regions(regions) => regions.clone(),
        },
        institution: institution.map(str::to_string),
    }
}

/// Households with a credit line in force on `as_of` whose village (on the grant date) is at
/// or under the code prefix `prefix` (`""` for all; e.g. `"361128"` for Poyang County), and the
/// amount granted by those lines. A household with lines of several institutions counts once;
/// its lines all count in the amount.
pub async fn credit_lines_granted(
    db: &Db,
    prefix: &str,
    as_of: BusinessDate,
) -> Result<(u64, Fen)> {
    let (households, amount) = credit::lines_in_force(db, prefix, as_of).await?;
    Ok((u64::try_from(households).unwrap_or(0), amount))
}

/// How the work list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WorkListSort {
    /// Village, then household (the default).
    #[default]
    Village,
    /// Household id.
    Household,
    /// Responsible institution (none last), then village and household.
    Bank,
}

/// What an uncovered household lacks: `credit file`, `credit line` or `credit file; credit
/// line`.
pub fn missing(household: &UncoveredHousehold) -> &'static str {
    match (household.has_file, household.has_line) {
        (false, false) => "credit file; credit line",
        (false, true) => "credit file",
        (true, false) => "credit line",
        (true, true) => "",
    }
}

/// The eligible households of the scope without a credit file, a credit line or both on
/// `as_of`, with their township's responsible institution on that date (no actor).
pub async fn credit_work_list(
    db: &Db,
    as_of: BusinessDate,
    scope: &CoverageScope,
    sort: WorkListSort,
) -> Result<Vec<UncoveredHousehold>> {
    match resolve(db, as_of, scope, None).await? {
        None => Ok(Vec::new()),
        Some(within) => work_list(db, as_of, &within, scope.institution.as_deref(), sort).await,
    }
}

async fn work_list(
    db: &Db,
    as_of: BusinessDate,
    within: &Within,
    institution: Option<&str>,
    sort: WorkListSort,
) -> Result<Vec<UncoveredHousehold>> {
    let mut list =
        credit::uncovered_households(db, as_of, &household_scope(within, institution)).await?;
    match sort {
        WorkListSort::Village => {}
        WorkListSort::Household => list.sort_by(|a, b| a.household_id.cmp(&b.household_id)),
        WorkListSort::Bank => list.sort_by(|a, b| {
            (a.institution_code.is_none(), &a.institution_code)
                .cmp(&(b.institution_code.is_none(), &b.institution_code))
                .then_with(|| a.village_code.cmp(&b.village_code))
                .then_with(|| a.household_id.cmp(&b.household_id))
        }),
    }
    Ok(list)
}

/// The figures and the work list, as the actor may see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageReport {
    pub coverage: CreditCoverage,
    pub work_list: Vec<UncoveredHousehold>,
}

/// The three coverage figures and the work list on `as_of`, within the actor's scope: a user
/// with a region sees only it; a bank sees the townships it is responsible for on the date.
pub async fn coverage_report(
    db: &Db,
    ctx: &Ctx,
    as_of: BusinessDate,
    scope: &CoverageScope,
    sort: WorkListSort,
) -> Result<CoverageReport> {
    let mut scope = scope.clone();
    match ctx.actor.role {
        Role::Operator | Role::Regulator | Role::PovertyOffice => {}
        Role::Bank => {
            let own = crate::access::bank_institution(ctx)?.unwrap_or_default();
            match &scope.institution {
                Some(asked) if asked != own => {
                    return Err(AppError::NotFound(format!("institution {asked}")));
                }
                _ => scope.institution = Some(own.to_string()),
            }
        }
        role => {
            return Err(AppError::Forbidden(format!(
                "the {} role does not read credit coverage",
                role.as_str()
            )));
        }
    }
    if let (Some(own), Some(asked)) = (ctx.actor.region, scope.region)
        && !asked.is_within(own)
        && !own.is_within(asked)
    {
        return Err(AppError::NotFound(format!("region {asked}")));
    }
    let Some(within) = resolve(db, as_of, &scope, ctx.actor.region).await? else {
        return Ok(CoverageReport {
            coverage: CreditCoverage::empty(as_of),
            work_list: Vec::new(),
        });
    };
    let institution = scope.institution.as_deref();
    Ok(CoverageReport {
        coverage: figures(db, as_of, &within, institution).await?,
        work_list: work_list(db, as_of, &within, institution, sort).await?,
    })
}
