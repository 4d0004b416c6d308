//! Credit files, ratings and credit lines (评级授信): the second and third of the "three full
//! coverage", and the scorecards that rate.
//!
//! - **Scorecards** are data ([`scoring`]): per institution, versioned by effective date; an
//!   institution without a version of its own in force uses the default scorecard. The
//!   built-in default (domain research §4) is stored on first use. A new version may not start
//!   on or before a date already rated under the versions it would displace, so an old
//!   rating is never re-read under another version.
//! - **Credit files** record, for a household in the registry on `assessed_on`, either a rating
//!   (factor inputs or a score, the grade the scorecard gives it, a recommended line never above
//!   the grade's line or the micro-credit cap) or an exemption with a reason. The scorecard
//!   version and a snapshot of the household on `assessed_on` are kept with it.
//! - **Credit lines** are checked against the household's latest credit file with the same
//!   institution on or before `granted_on`: the amount may not exceed its recommended line (nor
//!   stand without a rated file) unless an override reason is given, which is recorded. A line
//!   is valid over `[granted_on, expires_on)`; a later line of the same household and
//!   institution replaces it from its grant date.
//! - **Loans** of a product flagged `credit_line` draw on the borrower's line with the lending
//!   institution ([`line_refusal`]): refused without a line in force on `start_on`, or beyond
//!   the line less the principal outstanding (on `start_on`) of the household's other loans of
//!   flagged products from that institution.
//!
//! Every write appends its audit record in the same transaction.

pub mod coverage;
pub mod scoring;

use std::collections::HashMap;

use fupin_core::{BusinessDate, Fen, RegionCode};
use fupin_store::credit;
pub use fupin_store::credit::{
    CreditFile, CreditFilter, CreditLine, Factor, GradeBand, Scorecard, ScorecardVersion,
    StoredCreditFile, StoredCreditLine,
};
use fupin_store::ledger::{self, NormalSide};
use fupin_store::loans::{LoanTerms, Product};
use fupin_store::{Db, Tx, audit, institutions};
use serde_json::json;

pub use coverage::{
    CoverageReport, CoverageScope, CreditCoverage, WorkListSort, coverage_report, credit_coverage,
    credit_lines_granted, credit_work_list,
};

use crate::access;
use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};
use crate::imports::{Applied, KnownInstitutions};
use crate::ledger::Pending;
use crate::loans::rules::MICROCREDIT_MAX_AMOUNT;

/// Why a household is not rated: English value, Chinese alias.
pub const EXEMPT_REASONS: &[(&str, &str, &str)] = &[
    ("no_labour", "无劳动能力", "no_labour"),
    ("no_need", "无贷款需求", "no_need"),
    ("age", "年龄不符", "age"),
    ("bad_credit", "不良信用", "bad_credit"),
    ("other", "其他", "other"),
];

/// A refusal: the field (as in the file) it concerns and why.
pub type Refusal = (&'static str, String);

/// A use case's answer when the request may be refused row by row (imports) or whole
/// (commands).
pub type Checked<T> = std::result::Result<T, Vec<Refusal>>;

/// Largest page a listing returns.
pub const LIST_LIMIT_MAX: i64 = 100_000;

// ---------------------------------------------------------------------------------------------
// who may do what

/// Whether the actor may write credit data of `institution`: `Ok(false)` when it is outside
/// their scope (answered as if it did not exist); refused for roles that never write it.
fn may_write(ctx: &Ctx, institution: &str) -> Result<bool> {
    match ctx.actor.role {
        Role::Operator => Ok(true),
        Role::Bank => Ok(access::bank_institution(ctx)? == Some(institution)),
        role => Err(AppError::Forbidden(format!(
            "the {} role does not change credit files, lines or scorecards",
            role.as_str()
        ))),
    }
}

/// What an actor may read: their region, and for a bank its institution.
fn read_scope(ctx: &Ctx) -> Result<(Option<RegionCode>, Option<String>)> {
    match ctx.actor.role {
        Role::Operator | Role::Regulator | Role::PovertyOffice => Ok((ctx.actor.region, None)),
        Role::Bank => Ok((
            ctx.actor.region,
            access::bank_institution(ctx)?.map(str::to_string),
        )),
        role => Err(AppError::Forbidden(format!(
            "the {} role does not read credit files or lines",
            role.as_str()
        ))),
    }
}

/// The refusals as one message, for commands.
pub fn refusal_text(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Commits a write whose checks passed, or turns its refusals into one error.
async fn finish<T>(tx: Tx, checked: Checked<T>) -> Result<T> {
    match checked {
        Ok(value) => {
            tx.commit().await.map_err(fupin_store::StoreError::from)?;
            Ok(value)
        }
        Err(refusals) => Err(AppError::Invalid(refusal_text(&refusals))),
    }
}

// ---------------------------------------------------------------------------------------------
// scorecards

/// A scorecard that applies on a date, and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScorecardInForce {
    /// The stored version; `None` for the built-in default not yet stored.
    pub id: Option<i64>,
    pub card: Scorecard,
}

impl ScorecardInForce {
    /// `PYRCB scorecard from 2017-01-01`, `default scorecard from 2000-01-01`.
    pub fn describe(&self) -> String {
        describe(&self.card)
    }
}

fn describe(card: &Scorecard) -> String {
    match &card.institution_code {
        Some(code) => format!("{code} scorecard from {}", card.effective_from),
        None => format!("default scorecard from {}", card.effective_from),
    }
}

fn scorecard_key(card: &Scorecard) -> String {
    format!(
        "{}/{}",
        card.institution_code.as_deref().unwrap_or("default"),
        card.effective_from
    )
}

/// Stores a scorecard version (`institution_code` `None`: the default). The same version again
/// changes nothing; a version of the same owner and date that no file used is replaced. A
/// version starting on or before a date already rated under the owner's scorecards is refused.
pub async fn set_scorecard(db: &Db, ctx: &Ctx, card: &Scorecard) -> Result<(Applied, i64)> {
    let mut card = card.clone();
    match &card.institution_code {
        Some(code) if ctx.actor.role == Role::Regulator => {
            let institution = institutions::get(db, code).await?;
            if !institution.is_some_and(|i| access::sees_region(ctx, i.region_code)) {
                return Err(AppError::NotFound(format!("institution {code}")));
            }
        }
        Some(code) => {
            if !may_write(ctx, code)? || institutions::get(db, code).await?.is_none() {
                return Err(AppError::NotFound(format!("institution {code}")));
            }
        }
        None if matches!(ctx.actor.role, Role::Operator | Role::Regulator) => {}
        None => {
            return Err(AppError::Forbidden(
                "only the regulator or the operator sets the default scorecard".into(),
            ));
        }
    }
    scoring::validate(&mut card).map_err(|problems| AppError::Invalid(problems.join("; ")))?;
    let owner = card.institution_code.as_deref();
    let mut tx = db.write().await?;
    let existing = credit::scorecard_at_in(&mut tx, owner, card.effective_from).await?;
    if let Some(existing) = &existing
        && existing.card == card
    {
        return Ok((Applied::Unchanged, existing.id));
    }
    if let Some(latest) = credit::latest_rating_under_in(&mut tx, owner).await?
        && latest >= card.effective_from
    {
        return Err(AppError::Conflict(format!(
            "credit files were already rated on {latest} under {}'s scorecards: a new version \
             must start after {latest}, so that old ratings keep their version",
            owner.unwrap_or("the default")
        )));
    }
    if let Some(existing) = &existing {
        credit::delete_scorecard(&mut tx, existing.id).await?;
    }
    let id = credit::insert_scorecard(&mut tx, &card).await?;
    let mut entry = ctx.audit("scorecard.set", "scorecard", &scorecard_key(&card));
    entry.before_json = existing
        .as_ref()
        .map(|e| scoring::scorecard_json(&e.card).to_string());
    entry.after_json = Some(scoring::scorecard_json(&card).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    let applied = match existing {
        Some(_) => Applied::Changed,
        None => Applied::Added,
    };
    Ok((applied, id))
}

/// The scorecard that rates `institution`'s files on `date` (the default's for `None`): its
/// own version in force, else the default version in force, else the built-in default when no
/// default is stored yet.
pub async fn scorecard_on(
    db: &Db,
    institution: Option<&str>,
    date: BusinessDate,
) -> Result<Option<ScorecardInForce>> {
    if let Some(code) = institution
        && let Some(version) = credit::scorecard_in_force(db, Some(code), date).await?
    {
        return Ok(Some(in_force(version)));
    }
    if let Some(version) = credit::scorecard_in_force(db, None, date).await? {
        return Ok(Some(in_force(version)));
    }
    let stored = credit::list_scorecards(db, None).await?;
    let has_default = stored.iter().any(|v| v.card.institution_code.is_none());
    Ok(
        (!has_default && date >= scoring::default_effective_from()).then(|| ScorecardInForce {
            id: None,
            card: scoring::default_scorecard(),
        }),
    )
}

fn in_force(version: ScorecardVersion) -> ScorecardInForce {
    ScorecardInForce {
        id: Some(version.id),
        card: version.card,
    }
}

/// Every stored version (only `institution`'s and the default's when given).
pub async fn list_scorecards(db: &Db, institution: Option<&str>) -> Result<Vec<ScorecardVersion>> {
    Ok(credit::list_scorecards(db, institution).await?)
}

/// A stored version by id.
pub async fn scorecard(db: &Db, id: i64) -> Result<ScorecardVersion> {
    credit::scorecard_version(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("scorecard {id}")))
}

/// The version rating `institution`'s files on `date`, inside a write: stores the built-in
/// default (audited) when no default exists yet.
async fn scorecard_for_rating(
    tx: &mut Tx,
    ctx: &Ctx,
    institution: &str,
    date: BusinessDate,
) -> Result<Option<ScorecardVersion>> {
    if let Some(version) = credit::scorecard_in_force_in(tx, Some(institution), date).await? {
        return Ok(Some(version));
    }
    if let Some(version) = credit::scorecard_in_force_in(tx, None, date).await? {
        return Ok(Some(version));
    }
    if credit::has_default_scorecard_in(tx).await? || date < scoring::default_effective_from() {
        return Ok(None);
    }
    let card = scoring::default_scorecard();
    let id = credit::insert_scorecard(tx, &card).await?;
    let mut entry = ctx.audit("scorecard.set", "scorecard", &scorecard_key(&card));
    entry.after_json = Some(scoring::scorecard_json(&card).to_string());
    audit::append(tx, &entry).await?;
    Ok(Some(ScorecardVersion { id, card }))
}

// ---------------------------------------------------------------------------------------------
// credit files

/// A credit file as asked for (a row of the `credit_files` file or a command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatingRequest {
    pub household_id: String,
    pub institution_code: String,
    pub assessed_on: BusinessDate,
    /// Factor inputs (factor code or name, level or points); empty when not given.
    pub factors: Vec<(String, String)>,
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub recommended_line: Option<Fen>,
    /// One of [`EXEMPT_REASONS`]; score, grade, line and factors stay empty then.
    pub exempt_reason: Option<String>,
}

/// JSON of a credit file (for audit records and listings).
pub fn file_json(file: &CreditFile) -> serde_json::Value {
    json!({
        "household_id": file.household_id,
        "institution_code": file.institution_code,
        "assessed_on": file.assessed_on.to_string(),
        "village_code": file.village_code.to_string(),
        "household_status": file.household_status,
        "exempt_reason": file.exempt_reason,
        "scorecard_id": file.scorecard_id,
        "score": file.score,
        "grade": file.grade,
        "recommended_line": file.recommended_line.map(Fen::to_plain_yuan),
        "factors": file.factors_json.as_deref().and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()),
        "household": serde_json::from_str::<serde_json::Value>(&file.household_json).ok(),
    })
}

fn file_key(file: &CreditFile) -> String {
    format!(
        "{}/{}/{}",
        file.household_id, file.institution_code, file.assessed_on
    )
}

/// What rating many households in one transaction would otherwise read again for each row:
/// whether an institution exists, and the scorecard in force for an institution on a date.
/// Neither changes within the transaction except through [`scorecard_for_rating`], which
/// records what it creates here.
///
/// An import also defers its audit records (see [`crate::audit::Trail`]).
///
/// A batch of an import also reads its households and their stored files at once
/// ([`RatingLookups::read_batch`]); a row of a household not read is looked up alone.
#[derive(Default)]
pub struct RatingLookups {
    institutions: KnownInstitutions,
    scorecards: HashMap<(String, BusinessDate), Option<ScorecardVersion>>,
    trail: crate::audit::Trail,
    households: crate::loans::borrowers::Borrowers,
    /// The batch's households, each with its stored files and lines (see `read_batch`).
    stored: HashMap<String, StoredCredit>,
    /// Households whose files or lines were written: their totals are refreshed by `flush`.
    touched: crate::totals::Touched,
}

/// A household's stored credit files and lines, read for a batch.
#[derive(Clone, Debug, Default)]
struct StoredCredit {
    files: Vec<StoredCreditFile>,
    lines: Vec<credit::StoredCreditLine>,
}

impl RatingLookups {
    /// Reads the households of a batch of rows (every version; with `members`, every member
    /// too) and their stored credit files and lines, replacing what the batch before read.
    pub async fn read_batch(
        &mut self,
        tx: &mut Tx,
        households: &[&str],
        members: bool,
    ) -> Result<()> {
        use crate::loans::borrowers::Borrowers;
        self.households = match members {
            true => Borrowers::read_with_members(tx, households).await?,
            false => Borrowers::read(tx, households, &[]).await?,
        };
        self.stored = households
            .iter()
            .map(|h| (h.to_string(), StoredCredit::default()))
            .collect();
        for stored in credit::credit_files_of_in(tx, households).await? {
            let slot = self.stored.entry(stored.file.household_id.clone());
            slot.or_default().files.push(stored);
        }
        for stored in credit::credit_lines_of_in(tx, households).await? {
            let slot = self.stored.entry(stored.line.household_id.clone());
            slot.or_default().lines.push(stored);
        }
        Ok(())
    }

    /// The stored file of a household, institution and date.
    async fn stored_file(
        &self,
        tx: &mut Tx,
        (household, institution, date): (&str, &str, BusinessDate),
    ) -> Result<Option<StoredCreditFile>> {
        let Some(stored) = self.stored.get(household) else {
            return Ok(credit::credit_file_in(tx, household, institution, date).await?);
        };
        let file = stored
            .files
            .iter()
            .find(|s| s.file.institution_code == institution && s.file.assessed_on == date);
        Ok(file.cloned())
    }

    /// The household's latest file with the institution assessed on or before `date`.
    async fn latest_file(
        &self,
        tx: &mut Tx,
        (household, institution, date): (&str, &str, BusinessDate),
    ) -> Result<Option<StoredCreditFile>> {
        let Some(stored) = self.stored.get(household) else {
            return Ok(credit::latest_credit_file_in(tx, household, institution, date).await?);
        };
        let latest = stored
            .files
            .iter()
            .filter(|s| s.file.institution_code == institution && s.file.assessed_on <= date)
            .max_by_key(|s| s.file.assessed_on);
        Ok(latest.cloned())
    }

    /// The stored line of a household, institution and grant date.
    async fn stored_line(
        &self,
        tx: &mut Tx,
        (household, institution, date): (&str, &str, BusinessDate),
    ) -> Result<Option<credit::StoredCreditLine>> {
        let Some(stored) = self.stored.get(household) else {
            return Ok(credit::credit_line_in(tx, household, institution, date).await?);
        };
        let line = stored
            .lines
            .iter()
            .find(|s| s.line.institution_code == institution && s.line.granted_on == date);
        Ok(line.cloned())
    }

    /// Keeps a file just written in the batch's, so that a later row reads it.
    fn wrote_file(&mut self, written: &StoredCreditFile) {
        self.touched.household(&written.file.household_id);
        if let Some(stored) = self.stored.get_mut(&written.file.household_id) {
            stored.files.retain(|s| s.id != written.id);
            stored.files.push(written.clone());
        }
    }

    /// Keeps a line just written in the batch's.
    fn wrote_line(&mut self, written: &credit::StoredCreditLine) {
        self.touched.household(&written.line.household_id);
        if let Some(stored) = self.stored.get_mut(&written.line.household_id) {
            stored.lines.retain(|s| s.id != written.id);
            stored.lines.push(written.clone());
        }
    }

    /// Lookups for an import, which must call [`RatingLookups::flush`] before it commits.
    pub fn for_import() -> RatingLookups {
        RatingLookups {
            trail: crate::audit::Trail::deferred(),
            ..RatingLookups::default()
        }
    }

    /// Appends the deferred audit records and refreshes the running totals of the households
    /// written: call it before committing.
    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        self.touched.refresh(tx).await?;
        self.trail.flush(tx).await
    }

    async fn audit(&mut self, tx: &mut Tx, entry: audit::AuditEntry) -> Result<()> {
        self.trail.append(tx, entry).await
    }

    async fn scorecard(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        institution: &str,
        date: BusinessDate,
    ) -> Result<Option<ScorecardVersion>> {
        let key = (institution.to_string(), date);
        if let Some(known) = self.scorecards.get(&key) {
            return Ok(known.clone());
        }
        let card = scorecard_for_rating(tx, ctx, institution, date).await?;
        self.scorecards.insert(key, card.clone());
        Ok(card)
    }
}

/// Records a credit file inside `tx`: checks, rates with the scorecard in force, snapshots
/// the household, stores and audits. `Ok(Err(..))` lists the refusals (nothing written).
pub async fn rate_in(
    tx: &mut Tx,
    ctx: &Ctx,
    request: &RatingRequest,
    lookups: &mut RatingLookups,
) -> Result<Checked<(Applied, StoredCreditFile)>> {
    let mut refusals: Vec<Refusal> = Vec::new();
    let household = request.household_id.as_str();
    let institution = request.institution_code.as_str();
    if !may_write(ctx, institution)? || !lookups.institutions.exists(tx, institution).await? {
        refusals.push((
            "institution_code",
            format!("institution {institution} does not exist: import institutions first"),
        ));
    }
    let assessed_on = request.assessed_on;
    let version = match lookups
        .households
        .household_on(tx, household, assessed_on)
        .await?
    {
        Some(version) if access::sees_region(ctx, version.facts.village_code) => Some(version),
        _ => {
            refusals.push((
                "household_id",
                format!("household {household} is not in the registry on {assessed_on}"),
            ));
            None
        }
    };
    refusals.extend(shape_refusals(request));
    let Some(version) = version.filter(|_| refusals.is_empty()) else {
        return Ok(Err(refusals));
    };
    let mut file = CreditFile {
        household_id: household.to_string(),
        institution_code: institution.to_string(),
        assessed_on,
        village_code: version.facts.village_code,
        household_status: version.facts.status.clone(),
        exempt_reason: request.exempt_reason.clone(),
        scorecard_id: None,
        score: None,
        grade: None,
        recommended_line: None,
        factors_json: None,
        household_json: String::new(),
    };
    if request.exempt_reason.is_none() {
        let Some(card) = lookups.scorecard(tx, ctx, institution, assessed_on).await? else {
            return Ok(Err(vec![(
                "assessed_on",
                format!(
                    "no scorecard of {institution} and no default scorecard is in force on {assessed_on}"
                ),
            )]));
        };
        match rating(&card, request) {
            Ok((score, grade, line, factors)) => {
                file.scorecard_id = Some(card.id);
                file.score = Some(score);
                file.grade = Some(grade);
                file.recommended_line = Some(line);
                file.factors_json = factors;
            }
            Err(refusals) => return Ok(Err(refusals)),
        }
    }
    let members = lookups
        .households
        .members_on(tx, household, assessed_on)
        .await?;
    let mut snapshot = crate::registry::household_json(
        household,
        &version.facts,
        members.iter().map(|m| &m.member),
        true,
    );
    snapshot["version_from"] = json!(version.valid_from.to_string());
    file.household_json = snapshot.to_string();
    let before = lookups
        .stored_file(tx, (household, institution, assessed_on))
        .await?;
    if let Some(before) = &before
        && before.file == file
    {
        return Ok(Ok((Applied::Unchanged, before.clone())));
    }
    let id = credit::upsert_credit_file(tx, &file).await?;
    lookups.wrote_file(&StoredCreditFile {
        id,
        file: file.clone(),
    });
    let mut entry = ctx.audit("credit_file.save", "credit_file", &file_key(&file));
    entry.before_json = before.as_ref().map(|b| file_json(&b.file).to_string());
    entry.after_json = Some(file_json(&file).to_string());
    lookups.audit(tx, entry).await?;
    let applied = match before {
        Some(_) => Applied::Changed,
        None => Applied::Added,
    };
    Ok(Ok((applied, StoredCreditFile { id, file })))
}

/// Records a credit file (a command): one transaction, refusals as one error.
pub async fn rate(
    db: &Db,
    ctx: &Ctx,
    request: &RatingRequest,
) -> Result<(Applied, StoredCreditFile)> {
    let mut tx = db.write().await?;
    let mut lookups = RatingLookups::default();
    let checked = rate_in(&mut tx, ctx, request, &mut lookups).await?;
    lookups.flush(&mut tx).await?;
    finish(tx, checked).await
}

/// What the request must look like whatever is stored: an exemption has no rating, a rating
/// has a score or factor inputs.
fn shape_refusals(request: &RatingRequest) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    match &request.exempt_reason {
        Some(reason) => {
            if !EXEMPT_REASONS.iter().any(|(code, _, _)| code == reason) {
                refusals.push((
                    "exempt_reason",
                    format!("{reason:?} is not one of no_labour, no_need, age, bad_credit, other"),
                ));
            }
            let filled = [
                ("score", request.score.is_some()),
                ("grade", request.grade.is_some()),
                ("recommended_line", request.recommended_line.is_some()),
                ("factors", !request.factors.is_empty()),
            ];
            for (field, given) in filled {
                if given {
                    refusals.push((
                        field,
                        format!("an exempt household ({reason}) is not rated: leave {field} empty"),
                    ));
                }
            }
        }
        None if request.score.is_none() && request.factors.is_empty() => refusals.push((
            "score",
            "a credit file needs a score or factor inputs, or an exempt_reason".to_string(),
        )),
        None => {}
    }
    if let Some(score) = request.score
        && !(0..=scoring::SCORE_MAX).contains(&score)
    {
        refusals.push(("score", format!("{score} is not between 0 and 100")));
    }
    if request
        .recommended_line
        .is_some_and(|line| line.is_negative())
    {
        refusals.push((
            "recommended_line",
            "a recommended line cannot be negative".to_string(),
        ));
    }
    refusals
}

/// Rates a request with a scorecard: (score, grade, recommended line, factor JSON).
fn rating(
    version: &ScorecardVersion,
    request: &RatingRequest,
) -> Checked<(i64, String, Fen, Option<String>)> {
    let card = &version.card;
    let (score, factors) = match request.factors.is_empty() {
        true => (request.score.unwrap_or_default(), None),
        false => {
            let scored = scoring::score(card, &request.factors).map_err(|problems| {
                problems
                    .into_iter()
                    .map(|p| ("factors", format!("{p} ({})", describe(card))))
                    .collect::<Vec<_>>()
            })?;
            if let Some(given) = request.score
                && given != scored.score
            {
                return Err(vec![(
                    "score",
                    format!(
                        "score {given} does not match the factor inputs, which give {} ({})",
                        scored.score,
                        describe(card)
                    ),
                )]);
            }
            (scored.score, Some(scored.to_json().to_string()))
        }
    };
    let Some(band) = scoring::grade_for(card, score) else {
        return Err(vec![(
            "score",
            format!("{} has no grade for score {score}", describe(card)),
        )]);
    };
    if let Some(grade) = &request.grade
        && !grade.eq_ignore_ascii_case(&band.grade)
    {
        return Err(vec![(
            "grade",
            format!(
                "grade {grade} does not match score {score}: the {} gives {} (from {})",
                describe(card),
                band.grade,
                band.min_score
            ),
        )]);
    }
    let cap = scoring::line_for(band);
    let line = match request.recommended_line {
        Some(given) if given > cap => {
            return Err(vec![(
                "recommended_line",
                format!(
                    "{given} is above the line of grade {} ({cap}, {})",
                    band.grade,
                    describe(card)
                ),
            )]);
        }
        Some(given) => given,
        None => cap,
    };
    Ok((score, band.grade.clone(), line, factors))
}

/// Credit files the actor may see, narrowed by `filter`.
pub async fn list_files(
    db: &Db,
    ctx: &Ctx,
    filter: &CreditFilter,
) -> Result<Vec<StoredCreditFile>> {
    let filter = narrow_filter(ctx, filter)?;
    Ok(credit::list_credit_files(db, &filter).await?)
}

fn narrow_filter(ctx: &Ctx, filter: &CreditFilter) -> Result<CreditFilter> {
    let (_, own) = read_scope(ctx)?;
    let mut filter = filter.clone();
    filter.within = access::region_in_scope(ctx, filter.within)?;
    if let Some(own) = own {
        match &filter.institution {
            Some(asked) if *asked != own => {
                return Err(AppError::NotFound(format!("institution {asked}")));
            }
            _ => filter.institution = Some(own),
        }
    }
    filter.limit = match filter.limit {
        0 => LIST_LIMIT_MAX,
        limit => limit.clamp(0, LIST_LIMIT_MAX),
    };
    Ok(filter)
}

// ---------------------------------------------------------------------------------------------
// credit lines

/// A credit line as asked for (a row of the `credit_lines` file or a command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRequest {
    pub household_id: String,
    pub institution_code: String,
    pub amount: Fen,
    pub granted_on: BusinessDate,
    pub expires_on: BusinessDate,
    /// Why the amount may exceed the recommended line (or stand without a rated file).
    pub override_reason: Option<String>,
}

/// JSON of a credit line.
pub fn line_json(line: &CreditLine) -> serde_json::Value {
    json!({
        "household_id": line.household_id,
        "institution_code": line.institution_code,
        "amount": line.amount.to_plain_yuan(),
        "granted_on": line.granted_on.to_string(),
        "expires_on": line.expires_on.to_string(),
        "village_code": line.village_code.to_string(),
        "credit_file_id": line.credit_file_id,
        "recommended_line": line.recommended_line.map(Fen::to_plain_yuan),
        "override_reason": line.override_reason,
    })
}

/// Records a credit line inside `tx`. `Ok(Err(..))` lists the refusals (nothing written).
pub async fn grant_in(
    tx: &mut Tx,
    ctx: &Ctx,
    request: &LineRequest,
    lookups: &mut RatingLookups,
) -> Result<Checked<(Applied, StoredCreditLine)>> {
    let mut refusals: Vec<Refusal> = Vec::new();
    let household = request.household_id.as_str();
    let institution = request.institution_code.as_str();
    let override_reason = request
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if !may_write(ctx, institution)? || !lookups.institutions.exists(tx, institution).await? {
        refusals.push((
            "institution_code",
            format!("institution {institution} does not exist: import institutions first"),
        ));
    }
    if !request.amount.is_positive() {
        refusals.push(("amount", "a credit line must be positive".to_string()));
    }
    if request.amount > MICROCREDIT_MAX_AMOUNT {
        refusals.push((
            "amount",
            format!(
                "{} is above the poverty micro-credit cap of {MICROCREDIT_MAX_AMOUNT} per household",
                request.amount
            ),
        ));
    }
    if request.expires_on <= request.granted_on {
        refusals.push((
            "expires_on",
            format!(
                "expires on {}, not after it is granted on {}",
                request.expires_on, request.granted_on
            ),
        ));
    }
    let granted_on = request.granted_on;
    let village = match lookups
        .households
        .household_on(tx, household, granted_on)
        .await?
    {
        Some(version) if access::sees_region(ctx, version.facts.village_code) => {
            Some(version.facts.village_code)
        }
        _ => {
            refusals.push((
                "household_id",
                format!("household {household} is not in the registry on {granted_on}"),
            ));
            None
        }
    };
    let Some(village_code) = village.filter(|_| refusals.is_empty()) else {
        return Ok(Err(refusals));
    };
    let file = lookups
        .latest_file(tx, (household, institution, granted_on))
        .await?;
    let problem = match &file {
        None => Some(format!(
            "household {household} has no credit file with {institution} on or before \
             {granted_on}: rate it first, or give an override_reason"
        )),
        Some(stored) => match (&stored.file.exempt_reason, stored.file.recommended_line) {
            (Some(reason), _) => Some(format!(
                "household {household}'s latest credit file with {institution} ({}) is an \
                 exemption ({reason}): rate it again, or give an override_reason",
                stored.file.assessed_on
            )),
            (None, Some(line)) if request.amount > line => Some(format!(
                "{} is above the recommended line of {line} (grade {}, credit file of {}); give \
                 an override_reason to grant it",
                request.amount,
                stored.file.grade.as_deref().unwrap_or(""),
                stored.file.assessed_on
            )),
            _ => None,
        },
    };
    if let Some(problem) = problem
        && override_reason.is_none()
    {
        return Ok(Err(vec![("amount", problem)]));
    }
    let line = CreditLine {
        household_id: household.to_string(),
        institution_code: institution.to_string(),
        granted_on,
        expires_on: request.expires_on,
        amount: request.amount,
        village_code,
        credit_file_id: file.as_ref().map(|f| f.id),
        recommended_line: file.as_ref().and_then(|f| f.file.recommended_line),
        override_reason,
    };
    let before = lookups
        .stored_line(tx, (household, institution, granted_on))
        .await?;
    if let Some(before) = &before
        && before.line == line
    {
        return Ok(Ok((Applied::Unchanged, before.clone())));
    }
    let id = credit::upsert_credit_line(tx, &line).await?;
    lookups.wrote_line(&StoredCreditLine {
        id,
        line: line.clone(),
    });
    let key = format!("{household}/{institution}/{granted_on}");
    let mut entry = ctx.audit("credit_line.save", "credit_line", &key);
    entry.before_json = before.as_ref().map(|b| line_json(&b.line).to_string());
    entry.after_json = Some(line_json(&line).to_string());
    lookups.audit(tx, entry).await?;
    let applied = match before {
        Some(_) => Applied::Changed,
        None => Applied::Added,
    };
    Ok(Ok((applied, StoredCreditLine { id, line })))
}

/// Records a credit line (a command): one transaction, refusals as one error.
pub async fn grant(
    db: &Db,
    ctx: &Ctx,
    request: &LineRequest,
) -> Result<(Applied, StoredCreditLine)> {
    let mut tx = db.write().await?;
    let mut lookups = RatingLookups::default();
    let checked = grant_in(&mut tx, ctx, request, &mut lookups).await?;
    lookups.flush(&mut tx).await?;
    finish(tx, checked).await
}

/// Credit lines the actor may see, narrowed by `filter`.
pub async fn list_lines(
    db: &Db,
    ctx: &Ctx,
    filter: &CreditFilter,
) -> Result<Vec<StoredCreditLine>> {
    let filter = narrow_filter(ctx, filter)?;
    Ok(credit::list_credit_lines(db, &filter).await?)
}

// ---------------------------------------------------------------------------------------------
// loans drawing on lines

/// Sets whether loans of a product draw on credit lines; returns whether anything changed.
pub async fn set_product_credit_line(
    db: &Db,
    ctx: &Ctx,
    product_code: &str,
    draws: bool,
) -> Result<bool> {
    let mut tx = db.write().await?;
    let product = fupin_store::loans::product_in(&mut tx, product_code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("product {product_code}")))?;
    if ctx.actor.role != Role::Regulator && !may_write(ctx, &product.institution_code)? {
        return Err(AppError::NotFound(format!("product {product_code}")));
    }
    let before = credit::product_credit_line_in(&mut tx, product_code)
        .await?
        .unwrap_or(false);
    if before == draws {
        return Ok(false);
    }
    credit::set_product_credit_line(&mut tx, product_code, draws).await?;
    let mut entry = ctx.audit("product.credit_line", "product", product_code);
    entry.before_json = Some(json!({ "credit_line": before }).to_string());
    entry.after_json = Some(json!({ "credit_line": draws }).to_string());
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(true)
}

/// Codes of the products whose loans draw on credit lines.
pub async fn credit_line_products(db: &Db) -> Result<Vec<String>> {
    Ok(credit::credit_line_products(db).await?)
}

/// Why a new loan may not be made under the borrower's credit line, if it may not: for a
/// household loan of a product flagged `credit_line`, the household needs a line with the
/// lending institution in force on `start_on`, and the principal must fit in that line less
/// the principal outstanding on `start_on` of the household's other loans of flagged products
/// from the institution. Other loans are not concerned.
pub async fn line_refusal(
    _db: &Db,
    tx: &mut Tx,
    terms: &LoanTerms,
    product: &Product,
) -> Result<Option<String>> {
    let draws = terms.borrower_type == "household"
        && credit::product_credit_line_in(tx, &product.code)
            .await?
            .unwrap_or(false);
    line_refusal_drawing(tx, terms, product, draws, &Pending::default()).await
}

/// [`line_refusal`] when the caller knows whether the loan draws on a credit line (a household
/// loan of a product that draws on lines), counting what an import holds in `pending` as
/// posted.
pub async fn line_refusal_drawing(
    tx: &mut Tx,
    terms: &LoanTerms,
    product: &Product,
    draws: bool,
    pending: &Pending,
) -> Result<Option<String>> {
    if !draws {
        return Ok(None);
    }
    let household = terms.borrower_id.as_str();
    let institution = terms.institution_code.as_str();
    let on = terms.start_on;
    let Some(stored) = credit::line_in_force_in(tx, household, institution, on).await? else {
        return Ok(Some(format!(
            "no valid credit line: household {household} has no credit line with {institution} \
             in force on {on}, and loans of product {} draw on one",
            product.code
        )));
    };
    let mut drawn = 0i64;
    for contract in credit::line_loans_in(tx, household, institution, on).await? {
        // The principal receivable of a loan, as `loans::accounts` names it.
        let code = format!("loan:{institution}:{contract}:principal");
        if let Some(account) = ledger::account_by_code_in(tx, &code).await? {
            let balance = ledger::totals_as_of_in(tx, account.id, on)
                .await?
                .balance(NormalSide::Debit);
            drawn += (balance.fen() + pending.debit_balance_of(account.id, on).fen()).max(0);
        }
    }
    let line = stored.line;
    let available = Fen::new((line.amount.fen() - drawn).max(0));
    if terms.principal <= available {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} is beyond household {household}'s credit line with {institution}: {} granted on {} \
         (until {}), {} drawn by its other loans on {on}, {available} available",
        terms.principal,
        line.amount,
        line.granted_on,
        line.expires_on,
        Fen::new(drawn),
    )))
}
