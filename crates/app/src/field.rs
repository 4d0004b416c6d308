//! Field work without a network (issue #30): a bank officer downloads the work list of the
//! villages they visit — households, members (ID numbers masked), the bank's credit files and
//! lines, the scorecard in force — rates households offline, and syncs each visit back.
//!
//! A visit carries the id its device made; an accepted visit is kept under that id, so sending
//! it again answers the same and writes nothing twice. Everything is checked again at sync:
//! the village is still the officer's, the household is registered and unchanged since the
//! download, the scorecard in force is the downloaded version, and nobody rated the household
//! since. A refused visit writes nothing and says why ([`Refusal`]). An accepted one goes
//! through the credit use cases ([`credit::rate_in`], [`credit::grant_in`]), in one
//! transaction with its audit records.

use std::collections::BTreeMap;

use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::credit::{CreditFilter, StoredCreditFile, StoredCreditLine};
use fupin_store::field as store;
pub use fupin_store::field::{FieldVillage, FieldVisit};
use fupin_store::registry::{HouseholdVersion, MemberFacts, RegistryFilter};
use fupin_store::{Db, Tx, audit, registry};
use serde_json::json;

use crate::access::{self, Access, Area};
use crate::context::{Ctx, Role};
use crate::credit::{self, LineRequest, RatingLookups, RatingRequest, Scorecard, scoring};
use crate::error::{AppError, Result};

/// Days downloaded personal data stays on a device unless the server is told otherwise.
pub const KEEP_DAYS_DEFAULT: u32 = 7;
/// Most villages offered to one officer.
pub const VILLAGES_MAX: i64 = 5_000;
/// Most households in one village's work list.
pub const HOUSEHOLDS_MAX: i64 = 5_000;
/// Longest note kept with a visit.
pub const NOTE_LENGTH_MAX: usize = 2_000;

/// The bank officer's institution; every other role is refused (403): the field app carries
/// personal data onto a device, and only the bank's staff visit households.
pub fn require_officer(ctx: &Ctx) -> Result<String> {
    match ctx.actor.role {
        Role::Bank => access::bank_institution(ctx)?
            .map(str::to_string)
            .ok_or_else(|| AppError::Forbidden("a bank user without an institution".into())),
        role => Err(AppError::Forbidden(format!(
            "the field app is for bank staff: the {} role does not visit households",
            role.as_str()
        ))),
    }
}

/// The villages the officer may visit on `today`: those of the townships their institution is
/// responsible for, in their region; narrowed to the villages assigned to them, if any.
pub async fn villages(db: &Db, ctx: &Ctx, today: BusinessDate) -> Result<Vec<FieldVillage>> {
    let institution = require_officer(ctx)?;
    let mut list =
        store::villages_of(db, &institution, today, ctx.actor.region, VILLAGES_MAX).await?;
    let assigned = store::assigned_villages(db, &ctx.actor.name).await?;
    if !assigned.is_empty() {
        list.retain(|village| assigned.contains(&village.code));
    }
    Ok(list)
}

async fn own_village(
    db: &Db,
    ctx: &Ctx,
    village: RegionCode,
    today: BusinessDate,
) -> Result<Option<FieldVillage>> {
    Ok(villages(db, ctx, today)
        .await?
        .into_iter()
        .find(|v| v.code == village))
}

/// The scorecard's version as the device keeps it: owner, start date and a digest of its
/// content, so a version replaced on the same date is a different version.
pub fn scorecard_version(card: &Scorecard) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(scoring::scorecard_json(card).to_string().as_bytes());
    format!(
        "{}/{}/{}",
        card.institution_code.as_deref().unwrap_or("default"),
        card.effective_from,
        &hex::encode(digest)[..12]
    )
}

/// What the device knows of a household's latest rating with the bank: file id, date, score
/// and grade. A different token at sync means someone rated it since the download.
pub fn file_token(file: Option<&StoredCreditFile>) -> Option<String> {
    file.map(|stored| {
        format!(
            "{}/{}/{}/{}",
            stored.id,
            stored.file.assessed_on,
            stored.file.score.map(|s| s.to_string()).unwrap_or_default(),
            stored.file.grade.as_deref().unwrap_or("")
        )
    })
}

/// One household of a work list.
#[derive(Clone, Debug)]
pub struct FieldHousehold {
    pub version: HouseholdVersion,
    /// Head first; ID numbers masked.
    pub members: Vec<MemberFacts>,
    /// The bank's latest credit file of the household.
    pub latest_file: Option<StoredCreditFile>,
    /// The bank's line in force on the date.
    pub line: Option<StoredCreditLine>,
}

/// A village's work list, for the device.
#[derive(Clone, Debug)]
pub struct WorkList {
    pub village: FieldVillage,
    pub institution_code: String,
    pub as_of: BusinessDate,
    pub scorecard: Scorecard,
    pub scorecard_version: String,
    pub households: Vec<FieldHousehold>,
}

/// The work list of one of the officer's villages on `today` (audited: it leaves the server).
pub async fn work_list(
    db: &Db,
    ctx: &Ctx,
    village: RegionCode,
    today: BusinessDate,
) -> Result<WorkList> {
    let institution = require_officer(ctx)?;
    let village_row = own_village(db, ctx, village, today)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("village {village}")))?;
    let filter = RegistryFilter {
        within: Some(village),
        institution: Some((institution.clone(), today)),
    };
    let summaries = registry::households_on(db, today, &filter, HOUSEHOLDS_MAX).await?;
    let mut members: BTreeMap<String, Vec<MemberFacts>> = BTreeMap::new();
    for member in registry::members_in_village_on(db, village, today).await? {
        let mut facts = member.member;
        facts.id_number = crate::registry::mask_id(&facts.id_number);
        facts.phone = None;
        members.entry(member.household_id).or_default().push(facts);
    }
    let credit_filter = CreditFilter {
        institution: Some(institution.clone()),
        within: Some(village),
        on_or_before: Some(today),
        limit: credit::LIST_LIMIT_MAX,
        ..CreditFilter::default()
    };
    // Every file, whatever its date: the sync compares the latest with what was downloaded.
    let file_filter = CreditFilter {
        on_or_before: None,
        ..credit_filter.clone()
    };
    let mut files: BTreeMap<String, StoredCreditFile> = BTreeMap::new();
    for stored in fupin_store::credit::list_credit_files(db, &file_filter).await? {
        files.insert(stored.file.household_id.clone(), stored);
    }
    let mut lines: BTreeMap<String, StoredCreditLine> = BTreeMap::new();
    for stored in fupin_store::credit::list_credit_lines(db, &credit_filter).await? {
        if stored.line.expires_on > today {
            lines.insert(stored.line.household_id.clone(), stored);
        }
    }
    let in_force = credit::scorecard_on(db, Some(&institution), today)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "no scorecard of {institution} is in force on {today}"
            ))
        })?;
    let households = summaries
        .into_iter()
        .map(|summary| {
            let id = summary.version.household_id.clone();
            FieldHousehold {
                members: members.remove(&id).unwrap_or_default(),
                latest_file: files.remove(&id),
                line: lines.remove(&id),
                version: summary.version,
            }
        })
        .collect::<Vec<_>>();
    let mut tx = db.write().await?;
    let mut entry = ctx.audit("field.download", "village", &village.to_string());
    entry.after_json = Some(
        json!({"as_of": today.to_string(), "households": households.len(), "id_numbers": "masked"})
            .to_string(),
    );
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(WorkList {
        village: village_row,
        institution_code: institution,
        as_of: today,
        scorecard_version: scorecard_version(&in_force.card),
        scorecard: in_force.card,
        households,
    })
}

/// The line agreed at a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreedLine {
    pub amount: Fen,
    pub expires_on: BusinessDate,
}

/// A visit as the device sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    /// Made on the device (a UUID).
    pub visit_id: String,
    pub household_id: String,
    pub village_code: RegionCode,
    pub visit_date: BusinessDate,
    /// As downloaded: [`scorecard_version`].
    pub scorecard_version: String,
    /// As downloaded: the household version's start and status.
    pub household_from: BusinessDate,
    pub household_status: String,
    /// As downloaded: [`file_token`].
    pub known_file: Option<String>,
    /// Factor code → level or points (empty for an exemption).
    pub factors: Vec<(String, String)>,
    /// Not rated, and why (one of [`credit::EXEMPT_REASONS`]): no factors, no line.
    pub exempt_reason: Option<String>,
    pub line: Option<AgreedLine>,
    pub note: Option<String>,
}

impl Visit {
    /// Checks the id: 8 to 64 letters, digits and '-' (a UUID is 36).
    pub fn check_id(id: &str) -> Result<()> {
        let fine = (8..=64).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        match fine {
            true => Ok(()),
            false => Err(AppError::field(
                "visit_id",
                "must be 8 to 64 letters, digits or '-' (a UUID made on the device)",
            )),
        }
    }
}

/// Every refusal code, as [`Refusal::code`] gives them.
pub const REFUSAL_CODES: [&str; 8] = [
    "out_of_scope",
    "not_registered",
    "household_exited",
    "household_changed",
    "scorecard_changed",
    "rated_since_download",
    "future_date",
    "invalid",
];

/// Why a visit was refused: a code and its parameters, which the app words in the officer's
/// language, and the same in English words (logs, the API's readers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `out_of_scope`, `not_registered`, `household_exited`, `household_changed`,
    /// `scorecard_changed`, `rated_since_download`, `future_date` or `invalid`.
    pub code: &'static str,
    /// The facts the reason names (household, dates, village, grade...), by name.
    pub params: Vec<(&'static str, String)>,
    pub message: String,
}

impl Refusal {
    /// The parameter `name`, if the reason has it.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The answer to one visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted {
        visit: FieldVisit,
        /// Sent before: nothing was written this time.
        replayed: bool,
        score: Option<i64>,
        grade: Option<String>,
        recommended_line: Option<Fen>,
    },
    Refused(Refusal),
}

fn refused(
    code: &'static str,
    params: Vec<(&'static str, String)>,
    message: String,
) -> Result<Outcome> {
    Ok(Outcome::Refused(Refusal {
        code,
        params,
        message,
    }))
}

/// Syncs one visit made offline on `visit.visit_date`; `today` is the server's business date.
pub async fn sync_visit(db: &Db, ctx: &Ctx, visit: &Visit, today: BusinessDate) -> Result<Outcome> {
    let institution = require_officer(ctx)?;
    Visit::check_id(&visit.visit_id)?;
    if visit
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > NOTE_LENGTH_MAX)
    {
        return Err(AppError::field(
            "note",
            format!("is longer than {NOTE_LENGTH_MAX} characters"),
        ));
    }
    let mut tx = db.write().await?;
    if let Some(done) = store::visit_in(&mut tx, &visit.visit_id).await? {
        return replay(&mut tx, ctx, visit, done).await;
    }
    if visit.visit_date > today {
        return refused(
            "future_date",
            vec![
                ("visit_date", visit.visit_date.to_string()),
                ("today", today.to_string()),
            ],
            format!("the visit date {} is after today {today}", visit.visit_date),
        );
    }
    if own_village(db, ctx, visit.village_code, today)
        .await?
        .is_none()
    {
        return refused(
            "out_of_scope",
            vec![("village", visit.village_code.to_string())],
            format!(
                "village {} is not one of your villages: your bank is not responsible for it, \
                 or it is not assigned to you",
                visit.village_code
            ),
        );
    }
    if let Some(refusal) = household_refusal(&mut tx, visit).await? {
        return Ok(Outcome::Refused(refusal));
    }
    // An exemption is not scored: no scorecard version to agree on.
    if visit.exempt_reason.is_none()
        && let Some(refusal) = scorecard_refusal(&mut tx, &institution, visit).await?
    {
        return Ok(Outcome::Refused(refusal));
    }
    let latest = fupin_store::credit::latest_credit_file_in(
        &mut tx,
        &visit.household_id,
        &institution,
        BusinessDate::from_ymd(2199, 12, 31).expect("a valid date"),
    )
    .await?;
    if file_token(latest.as_ref()) != visit.known_file {
        let file = latest.expect("a token differs only when a file exists");
        let grade = file.file.grade.clone().unwrap_or_else(|| "—".into());
        return refused(
            "rated_since_download",
            vec![
                ("household", visit.household_id.clone()),
                ("assessed_on", file.file.assessed_on.to_string()),
                ("grade", grade.clone()),
            ],
            format!(
                "household {} was rated by your bank on {} (grade {}) after your download: \
                 download the village again and look before you rate",
                visit.household_id, file.file.assessed_on, grade
            ),
        );
    }
    accept(tx, ctx, &institution, visit).await
}

/// The credit rules' refusals: the fields refused (`fields`), and under each field's name the
/// rules' words about it (joined by "; " when several).
fn invalid(refusals: &[credit::Refusal]) -> Result<Outcome> {
    let mut by_field: Vec<(&'static str, String)> = Vec::new();
    for (field, message) in refusals {
        match by_field.iter_mut().find(|(name, _)| name == field) {
            Some((_, words)) => {
                words.push_str("; ");
                words.push_str(message);
            }
            None => by_field.push((field, message.clone())),
        }
    }
    let fields = by_field.iter().map(|(name, _)| *name).collect::<Vec<_>>();
    let mut params = vec![("fields", fields.join(","))];
    params.extend(by_field);
    refused("invalid", params, credit::refusal_text(refusals))
}

async fn replay(tx: &mut Tx, ctx: &Ctx, visit: &Visit, done: FieldVisit) -> Result<Outcome> {
    if done.user_name != ctx.actor.name || done.household_id != visit.household_id {
        return Err(AppError::Conflict(format!(
            "visit {} was already synced for another household or user",
            visit.visit_id
        )));
    }
    let file = fupin_store::credit::latest_credit_file_in(
        tx,
        &done.household_id,
        &done.institution_code,
        done.visit_date,
    )
    .await?
    .filter(|f| f.id == done.credit_file_id);
    Ok(Outcome::Accepted {
        score: file.as_ref().and_then(|f| f.file.score),
        grade: file.as_ref().and_then(|f| f.file.grade.clone()),
        recommended_line: file.as_ref().and_then(|f| f.file.recommended_line),
        visit: done,
        replayed: true,
    })
}

async fn household_refusal(tx: &mut Tx, visit: &Visit) -> Result<Option<Refusal>> {
    let household = visit.household_id.as_str();
    let Some(now) = registry::version_on_in(tx, household, visit.visit_date).await? else {
        return Ok(Some(Refusal {
            code: "not_registered",
            params: vec![
                ("household", household.to_string()),
                ("visit_date", visit.visit_date.to_string()),
            ],
            message: format!(
                "household {household} is not in the registry on {}",
                visit.visit_date
            ),
        }));
    };
    if now.facts.village_code != visit.village_code {
        return Ok(Some(Refusal {
            code: "household_changed",
            params: vec![
                ("household", household.to_string()),
                ("village_now", now.facts.village_code.to_string()),
                ("village", visit.village_code.to_string()),
            ],
            message: format!(
                "household {household} now lives in village {}, not {}",
                now.facts.village_code, visit.village_code
            ),
        }));
    }
    if now.facts.status == "exited" && visit.household_status != "exited" {
        let year = now.facts.exited_year.map(|y| y.to_string());
        let year = year.unwrap_or_default();
        return Ok(Some(Refusal {
            code: "household_exited",
            params: vec![
                ("household", household.to_string()),
                ("exited_year", year.clone()),
                ("registry_from", now.valid_from.to_string()),
            ],
            message: format!(
                "household {household} exited poverty ({}) after your download (registry of {})",
                year, now.valid_from
            ),
        }));
    }
    if now.valid_from != visit.household_from {
        return Ok(Some(Refusal {
            code: "household_changed",
            params: vec![
                ("household", household.to_string()),
                ("registry_from", now.valid_from.to_string()),
                ("downloaded_from", visit.household_from.to_string()),
            ],
            message: format!(
                "household {household} changed in the registry on {} after your download \
                 (version of {}): download the village again",
                now.valid_from, visit.household_from
            ),
        }));
    }
    Ok(None)
}

async fn scorecard_refusal(
    tx: &mut Tx,
    institution: &str,
    visit: &Visit,
) -> Result<Option<Refusal>> {
    let date = visit.visit_date;
    let own = fupin_store::credit::scorecard_in_force_in(tx, Some(institution), date).await?;
    let card = match own {
        Some(version) => Some(version.card),
        None => match fupin_store::credit::scorecard_in_force_in(tx, None, date).await? {
            Some(version) => Some(version.card),
            None if !fupin_store::credit::has_default_scorecard_in(tx).await? => {
                Some(scoring::default_scorecard())
            }
            None => None,
        },
    };
    let version = card.as_ref().map(scorecard_version);
    match version {
        Some(version) if version == visit.scorecard_version => Ok(None),
        version => {
            let version = version.unwrap_or_else(|| "none".into());
            Ok(Some(Refusal {
                code: "scorecard_changed",
                params: vec![
                    ("visit_date", date.to_string()),
                    ("scorecard_now", version.clone()),
                    ("scorecard_downloaded", visit.scorecard_version.clone()),
                ],
                message: format!(
                    "the scorecard in force on {date} is {version}, not the downloaded {}: \
                     download the village again and rate with the scorecard in force",
                    visit.scorecard_version
                ),
            }))
        }
    }
}

async fn accept(mut tx: Tx, ctx: &Ctx, institution: &str, visit: &Visit) -> Result<Outcome> {
    let mut lookups = RatingLookups::default();
    let rating = RatingRequest {
        household_id: visit.household_id.clone(),
        institution_code: institution.to_string(),
        assessed_on: visit.visit_date,
        factors: visit.factors.clone(),
        score: None,
        grade: None,
        recommended_line: None,
        exempt_reason: visit.exempt_reason.clone(),
    };
    let file = match credit::rate_in(&mut tx, ctx, &rating, &mut lookups).await? {
        Ok((_, file)) => file,
        Err(refusals) => return invalid(&refusals),
    };
    let mut line_id = None;
    if let Some(line) = &visit.line {
        let request = LineRequest {
            household_id: visit.household_id.clone(),
            institution_code: institution.to_string(),
            amount: line.amount,
            granted_on: visit.visit_date,
            expires_on: line.expires_on,
            override_reason: None,
        };
        match credit::grant_in(&mut tx, ctx, &request, &mut lookups).await? {
            Ok((_, stored)) => line_id = Some(stored.id),
            Err(refusals) => return invalid(&refusals),
        }
    }
    let record = FieldVisit {
        visit_id: visit.visit_id.clone(),
        user_name: ctx.actor.name.clone(),
        household_id: visit.household_id.clone(),
        institution_code: institution.to_string(),
        visit_date: visit.visit_date,
        credit_file_id: file.id,
        credit_line_id: line_id,
        note: visit
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        synced_at: ctx.now.clone(),
    };
    store::insert_visit(&mut tx, &record).await?;
    let mut entry = ctx.audit("field.visit", "field_visit", &record.visit_id);
    entry.after_json = Some(
        json!({
            "household_id": record.household_id,
            "visit_date": record.visit_date.to_string(),
            "credit_file_id": record.credit_file_id,
            "credit_line_id": record.credit_line_id,
            "note": record.note,
        })
        .to_string(),
    );
    audit::append(&mut tx, &entry).await?;
    lookups.flush(&mut tx).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(Outcome::Accepted {
        score: file.file.score,
        grade: file.file.grade.clone(),
        recommended_line: file.file.recommended_line,
        visit: record,
        replayed: false,
    })
}

/// Assigns villages to a bank officer (administrators, in their region): from then on the field
/// app offers the officer only their assigned villages. Returns how many were new.
pub async fn assign(db: &Db, ctx: &Ctx, user: &str, villages: &[RegionCode]) -> Result<usize> {
    change_assignments(db, ctx, user, villages, true).await
}

/// Takes villages from an officer. Returns how many were assigned.
pub async fn unassign(db: &Db, ctx: &Ctx, user: &str, villages: &[RegionCode]) -> Result<usize> {
    change_assignments(db, ctx, user, villages, false).await
}

async fn change_assignments(
    db: &Db,
    ctx: &Ctx,
    user: &str,
    villages: &[RegionCode],
    add: bool,
) -> Result<usize> {
    access::require(ctx, Area::Users, Access::Write)?;
    let target = crate::users::get(db, ctx, user).await?;
    if target.role != Role::Bank {
        return Err(AppError::Invalid(format!(
            "{user} is not bank staff (role {}): only bank officers are assigned villages",
            target.role.as_str()
        )));
    }
    let mut tx = db.write().await?;
    let mut changed = 0;
    for village in villages {
        if village.level() != fupin_core::RegionLevel::Village {
            return Err(AppError::field(
                "village",
                format!("{village} is not a village code"),
            ));
        }
        if !village.is_within(target.region) {
            return Err(AppError::field(
                "village",
                format!("{village} is outside {user}'s region {}", target.region),
            ));
        }
        // Taking away a code that names no village still works (nothing to keep).
        if add
            && fupin_store::regions::get_in(&mut tx, *village)
                .await?
                .is_none()
        {
            return Err(AppError::field(
                "village",
                format!("village {village} does not exist in the regions"),
            ));
        }
        let done = match add {
            true => store::assign(&mut tx, user, *village, &ctx.actor.name, &ctx.now).await?,
            false => store::unassign(&mut tx, user, *village).await?,
        };
        changed += usize::from(done);
    }
    let action = match add {
        true => "field.assign",
        false => "field.unassign",
    };
    let mut entry = ctx.audit(action, "user", user);
    let codes: Vec<String> = villages.iter().map(|v| v.to_string()).collect();
    entry.after_json = Some(json!({ "villages": codes, "changed": changed }).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(changed)
}

/// The villages assigned to a user (administrators, or the user themselves).
pub async fn assigned(db: &Db, ctx: &Ctx, user: &str) -> Result<Vec<RegionCode>> {
    if ctx.actor.name != user {
        crate::users::get(db, ctx, user).await?;
    }
    Ok(store::assigned_villages(db, user).await?)
}
