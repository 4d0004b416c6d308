//! Importers of the registry files: households, enterprises, enterprise links.
//!
//! # Households
//!
//! The `households` file has one row per member, in any order, and is the full list for the
//! villages it covers. [`import_households`] has its own driver because the rules span rows
//! that may lie far apart (one head per household, household columns that agree, a person in one
//! household at a time) and a household can only be compared with the registry once all its
//! rows are known. Memory must not grow with the file, so the rows go through the database:
//!
//! 1. **Stage.** Each row is parsed into domain types (an invalid row is reported and its
//!    household refused) and inserted, in batches, into the working table
//!    `registry_import_rows` inside the import's write transaction. Villages are checked
//!    against the regions table (cached: there are few).
//! 2. **Check across rows** with SQL over the working table (on PostgreSQL analyzed first, so
//!    that the planner knows its size): people given twice, household columns that disagree,
//!    households without exactly one head, people whom the registry has in another household
//!    that the file neither lists nor removes, and extracts older than what is stored. Every
//!    household with an error is refused.
//! 3. **Apply** in chunks of households in id order: removals first (households of the covered
//!    villages that the file does not list and did not refuse), then each household of the file
//!    is compared with its current version and members; changes close the current versions on
//!    the as-of date and open new ones, and every change is a feed event and (per household) an
//!    audit record.
//!
//! By default a file with any error changes nothing; with `load_valid` the households whose rows
//! are all valid are applied and refused ones are left as they are (never removed). A row that
//! cannot be attributed to a household (unreadable bytes, no valid household id) makes
//! `load_valid` impossible: the file is refused.
//!
//! Versions of a household seen for the first time start on its identification date, but never
//! on or before the previous extract date of its village (which did not list it); all other
//! changes take effect on the extract's as-of date. Extracts must not go back in time.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use fupin_core::{BusinessDate, CreditCode, RegionCode, RegionLevel, ResidentId};
use fupin_store::audit::{self, AuditEntry};
use fupin_store::registry::{
    self, Enterprise, EnterpriseLink, HouseholdFacts, HouseholdIdentity, HouseholdVersion,
    MemberFacts, MemberVersion, NewEvent, RegistryWrites, StagedRow,
};
use fupin_store::{Db, Tx, regions};
use serde_json::{Map, Value, json};

use super::fields::{identifier, optional, required, required_text, row_error};
use super::{
    Applied, ERRORS_KEPT_MAX, ImportCounts, ImportOptions, ImportReport, Importer,
    REMOVALS_LISTED_MAX, Removals, RowErrors,
};
use crate::audit::Trail;
use crate::context::Ctx;
use crate::error::Result;
use crate::ingest::{Cell, Column, FieldError, HeaderMap, RawRow, mojibake, value};
use crate::registry::{household_json, mask_text, member_json};

type RowResult<T> = std::result::Result<T, Vec<FieldError>>;

/// Relation to the head of household: English value, Chinese alias.
pub const RELATIONS: &[(&str, &str, &str)] = &[
    ("head", "户主", "head"),
    ("spouse", "配偶", "spouse"),
    ("child", "子女", "child"),
    ("parent", "父母", "parent"),
    ("grandchild", "孙子女", "grandchild"),
    ("other", "其他", "other"),
];

/// Poverty attributes (贫困户属性).
pub const POVERTY_ATTRIBUTES: &[(&str, &str, &str)] = &[
    ("general", "一般贫困户", "general"),
    ("low_income", "低保户", "low_income"),
    ("five_guarantee", "五保户", "five_guarantee"),
    ("low_income_poor", "低保贫困户", "low_income_poor"),
];

/// Causes of poverty (致贫原因). `其他` is accepted beside FORMATS.md's `其它`.
pub const CAUSES: &[(&str, &str, &str)] = &[
    ("illness", "因病", "illness"),
    ("disability", "因残", "disability"),
    ("education", "因学", "education"),
    ("disaster", "因灾", "disaster"),
    ("lack_land", "缺土地", "lack_land"),
    ("lack_water", "缺水", "lack_water"),
    ("lack_skills", "缺技术", "lack_skills"),
    ("lack_labour", "缺劳力", "lack_labour"),
    ("lack_funds", "缺资金", "lack_funds"),
    ("transport", "交通条件落后", "transport"),
    ("lack_motivation", "自身发展动力不足", "lack_motivation"),
    ("other", "其它", "other"),
    ("other", "其他", "other"),
];

/// Statuses (脱贫状态).
pub const STATUSES: &[(&str, &str, &str)] = &[
    ("poor", "未脱贫", "poor"),
    ("exited", "已脱贫", "exited"),
    ("relapsed", "返贫", "relapsed"),
];

/// Labour capacity (劳动能力).
pub const LABOUR: &[(&str, &str, &str)] = &[
    ("normal", "普通劳动力", "normal"),
    ("skilled", "技能劳动力", "skilled"),
    ("weak", "弱劳动力", "weak"),
    ("none", "无劳动力", "none"),
];

/// Enterprise kinds.
pub const ENTERPRISE_KINDS: &[(&str, &str, &str)] = &[
    ("leading_enterprise", "龙头企业", "leading_enterprise"),
    ("cooperative", "农民专业合作社", "cooperative"),
    ("family_farm", "家庭农场", "family_farm"),
    ("breeding_base", "养殖基地", "breeding_base"),
    ("project_entity", "项目主体", "project_entity"),
    ("other", "其他", "other"),
];

/// Levels of a leading enterprise.
pub const LEADING_LEVELS: &[(&str, &str, &str)] = &[
    ("national", "国家级", "national"),
    ("provincial", "省级", "provincial"),
    ("municipal", "市级", "municipal"),
];

/// How an enterprise lifts a household (带动方式).
pub const LINK_KINDS: &[(&str, &str, &str)] = &[
    ("employment", "就业", "employment"),
    ("land_lease", "土地流转", "land_lease"),
    ("dividend", "资产收益", "dividend"),
    ("purchase", "订单收购", "purchase"),
    ("other", "其他", "other"),
];

/// The columns of the `households` file.
pub const HOUSEHOLD_COLUMNS: &[Column] = &[
    Column::required("household_id", "户编号"),
    Column::required("village_code", "行政村代码"),
    Column::required("name", "姓名"),
    Column::required("id_number", "证件号码"),
    Column::required("relation", "与户主关系"),
    Column::required("poverty_attribute", "贫困户属性"),
    Column::required("main_cause", "主要致贫原因"),
    Column::optional("other_causes", "其他致贫原因"),
    Column::required("status", "脱贫状态"),
    Column::required("identified_on", "识别时间"),
    Column::optional("exited_year", "脱贫年度"),
    Column::required("per_capita_income", "人均纯收入"),
    Column::required("labour", "劳动能力"),
    Column::optional("phone", "联系电话"),
    Column::optional("died_on", "死亡日期"),
];

/// The household-level columns, which must agree on every row of a household.
const HOUSEHOLD_LEVEL: &[&str] = &[
    "village_code",
    "poverty_attribute",
    "main_cause",
    "other_causes",
    "status",
    "exited_year",
    "identified_on",
    "per_capita_income",
];

/// Parsed rows inserted per batch while staging.
const STAGE_BATCH: usize = 1_000;
/// Households compared and written per chunk.
const APPLY_CHUNK: i64 = 500;
/// The first year a household can have left poverty (targeted poverty alleviation began 2014).
const FIRST_EXIT_YEAR: i64 = 2014;
/// Longest name accepted, in characters.
const NAME_CHARS_MAX: usize = 50;

// ---------------------------------------------------------------------------------------------
// households: the driver

/// Imports a `households` file describing the registry as of `as_of` (the extract's date, given
/// by the caller: the use case never reads the clock). `as_of` is also "today" for ID checks.
pub async fn import_households(
    db: &Db,
    ctx: &Ctx,
    path: &Path,
    options: &ImportOptions,
    as_of: BusinessDate,
) -> Result<ImportReport> {
    let mut source = options.open(path, "households")?;
    let mut run = HouseholdRun {
        report: ImportReport {
            kind: "households",
            file: source.file().to_string(),
            format: source.format(),
            encoding: source.encoding(),
            rows: 0,
            errors: Vec::new(),
            errors_dropped: 0,
            counts: ImportCounts::default(),
            applied: false,
            removals: None,
        },
        as_of,
        fatal: false,
        unattributed: 0,
        villages: HashMap::new(),
        batch: Vec::with_capacity(STAGE_BATCH),
        rejects: HashSet::new(),
    };
    let map = match source.map_columns(HOUSEHOLD_COLUMNS, options.ignore_unknown_columns) {
        Ok(map) => map,
        Err(errors) => {
            run.add_errors(errors);
            return Ok(run.report);
        }
    };
    let started = std::time::Instant::now();
    let mut tx = db.write().await?;
    registry::import_begin(&mut tx).await?;
    for row in source.by_ref() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                // Its household cannot be known: under load_valid the file is refused below.
                run.unattributed += 1;
                run.fatal |= !error.is_row_error();
                run.add_errors(vec![error.to_field_error()]);
                if run.fatal {
                    break;
                }
                continue;
            }
        };
        run.report.rows += 1;
        options.progress.advance(1);
        match parse_household_row(&row, &map, as_of) {
            Ok(staged) => run.stage(&mut tx, &row, &map, staged).await?,
            Err((household_id, errors)) => {
                run.add_errors(errors);
                match household_id {
                    Some(id) => run.reject(id),
                    None => run.unattributed += 1,
                }
            }
        }
        if run.batch.len() >= STAGE_BATCH || run.rejects.len() >= STAGE_BATCH {
            run.flush(&mut tx).await?;
        }
    }
    run.flush(&mut tx).await?;
    if options.load_valid && run.unattributed > 0 && !run.fatal {
        run.fatal = true;
        run.add_errors(vec![FieldError::file_level(format!(
            "{} row(s) could not be attributed to a household, so --load-valid cannot tell \
             which households are complete; fix them and import again",
            run.unattributed
        ))]);
    }
    tracing::debug!(rows = run.report.rows, elapsed = ?started.elapsed(), "households staged");
    if !run.fatal {
        registry::analyze_staged(&mut tx).await?;
        run.check_across_rows(&mut tx, &map).await?;
    }
    if !run.fatal {
        run.check_removals(&mut tx, options.allow_removals).await?;
    }
    tracing::debug!(elapsed = ?started.elapsed(), "households checked across rows");
    let refused = run.fatal || (run.report.error_count() > 0 && !options.load_valid);
    if refused {
        tx.rollback().await.map_err(fupin_store::StoreError::from)?;
        run.report.errors.sort_by_key(|error| error.line);
        return Ok(run.report);
    }
    let mut apply = Apply::new(ctx, as_of, &mut tx).await?;
    apply.removals(&mut tx).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "households removed");
    apply.households(&mut tx).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "households applied");
    run.report.counts = apply.counts;
    let doubles = registry::moved_people_in_two_households(&mut tx).await?;
    if let Some((id_number, first, second)) = doubles.first() {
        // Validation makes this impossible; refuse rather than store a contradiction.
        run.add_errors(vec![FieldError::file_level(format!(
            "internal check failed: {} would belong to households {first} and {second}; \
             nothing was changed",
            mask_text(id_number)
        ))]);
        tx.rollback().await.map_err(fupin_store::StoreError::from)?;
        return Ok(run.report);
    }
    let advanced = registry::advance_village_extracts(&mut tx, as_of).await?;
    let counts = run.report.counts;
    if counts.added + counts.changed + counts.removed > 0 || advanced > 0 {
        let mut entry = ctx.audit("registry.import", "households_file", &as_of.to_string());
        entry.after_json = Some(
            json!({
                "file": run.report.file,
                "sha256": super::file_sha256(path, &run.report.file)?,
                "as_of": as_of.to_string(),
                "rows": run.report.rows,
                "added": counts.added,
                "changed": counts.changed,
                "removed": counts.removed,
                "unchanged": counts.unchanged,
                "refused_households": run.rejects_total(&mut tx).await?,
                "villages_advanced": advanced,
                "events": apply.event_range(),
            })
            .to_string(),
        );
        audit::append(&mut tx, &entry).await?;
    }
    crate::totals::refresh_registry_events(&mut tx, apply.first_seq, apply.last_seq).await?;
    registry::import_end(&mut tx).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "households import finished");
    if options.dry_run {
        tx.rollback().await.map_err(fupin_store::StoreError::from)?;
    } else {
        db.commit_bulk(tx).await?;
        run.report.applied = true;
    }
    run.report.errors.sort_by_key(|error| error.line);
    Ok(run.report)
}

/// What a village code of the file turned out to be.
#[derive(Clone, Debug)]
enum VillageCheck {
    Known,
    Refused(String),
}

/// State of one household import while staging and checking.
struct HouseholdRun {
    report: ImportReport,
    as_of: BusinessDate,
    /// An error of the whole file: nothing is applied, even with load_valid.
    fatal: bool,
    /// Rows with errors whose household is unknown.
    unattributed: u64,
    villages: HashMap<RegionCode, VillageCheck>,
    batch: Vec<StagedRow>,
    rejects: HashSet<String>,
}

impl HouseholdRun {
    fn add_errors(&mut self, errors: Vec<FieldError>) {
        for error in errors {
            if self.report.errors.len() < ERRORS_KEPT_MAX {
                self.report.errors.push(error);
            } else {
                self.report.errors_dropped += 1;
            }
        }
    }

    fn reject(&mut self, household_id: String) {
        self.rejects.insert(household_id);
    }

    /// Checks the row's village (once per village) and queues the row for staging.
    async fn stage(
        &mut self,
        tx: &mut Tx,
        row: &RawRow,
        map: &HeaderMap,
        staged: StagedRow,
    ) -> Result<()> {
        let village = staged.facts.village_code;
        let check = match self.villages.get(&village) {
            Some(check) => check.clone(),
            None => {
                let check = check_village(tx, village, self.as_of).await?;
                if matches!(check, VillageCheck::Known) {
                    registry::stage_village(tx, village).await?;
                }
                self.villages.insert(village, check.clone());
                check
            }
        };
        match check {
            VillageCheck::Known => self.batch.push(staged),
            VillageCheck::Refused(message) => {
                self.add_errors(vec![row.error(map, "village_code", message)]);
                self.reject(staged.household_id);
            }
        }
        Ok(())
    }

    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        registry::stage_rows(tx, &self.batch).await?;
        self.batch.clear();
        let rejects: Vec<String> = self.rejects.drain().collect();
        registry::stage_rejects(tx, &rejects).await?;
        Ok(())
    }

    /// States what the file replaces and removes, and refuses it whole (even with load_valid)
    /// when the removals need a confirmation that was not given.
    async fn check_removals(&mut self, tx: &mut Tx, allow_removals: bool) -> Result<()> {
        let limit = i64::try_from(REMOVALS_LISTED_MAX).unwrap_or(i64::MAX);
        let removals = Removals {
            villages: registry::replaced_villages(tx).await?,
            households: registry::households_removed_by_file(tx, limit).await?,
        };
        if !allow_removals && let Some(reason) = removals.unconfirmed() {
            self.fatal = true;
            self.add_errors(vec![FieldError::file_level(reason)]);
        }
        self.report.removals = Some(removals);
        Ok(())
    }

    async fn reject_now(&mut self, tx: &mut Tx, household_ids: Vec<String>) -> Result<()> {
        registry::stage_rejects(tx, &household_ids).await?;
        Ok(())
    }

    async fn rejects_total(&self, tx: &mut Tx) -> Result<i64> {
        Ok(registry::refused_count(tx).await?)
    }

    /// The rules spanning rows, checked over the working table; households breaking one are
    /// refused.
    async fn check_across_rows(&mut self, tx: &mut Tx, map: &HeaderMap) -> Result<()> {
        self.check_repeated_people(tx, map).await?;
        self.check_household_columns(tx, map).await?;
        self.check_heads(tx, map).await?;
        self.check_people_elsewhere(tx, map).await?;
        self.check_extract_order(tx).await
    }

    async fn check_repeated_people(&mut self, tx: &mut Tx, map: &HeaderMap) -> Result<()> {
        let rows = registry::staged_repeated_people(tx).await?;
        let mut refused = Vec::new();
        let mut errors = Vec::new();
        let mut first: Option<&registry::PersonRow> = None;
        for row in &rows {
            let first_row = match first {
                Some(first_row) if first_row.id_number == row.id_number => first_row,
                _ => {
                    first = Some(row);
                    refused.push(row.household_id.clone());
                    continue;
                }
            };
            let masked = mask_text(&row.id_number);
            let message = if first_row.household_id == row.household_id {
                format!(
                    "{masked} appears twice in household {}: rows {} and {}",
                    row.household_id, first_row.line, row.line
                )
            } else {
                format!(
                    "{masked} appears in two households: {} (row {}) and {} (row {}); a \
                     person belongs to one household at a time",
                    first_row.household_id, first_row.line, row.household_id, row.line
                )
            };
            errors.push(FieldError::new(
                line_of(row.line),
                map.label("id_number"),
                masked,
                message,
            ));
            refused.push(row.household_id.clone());
        }
        self.add_errors(errors);
        self.reject_now(tx, refused).await
    }

    async fn check_household_columns(&mut self, tx: &mut Tx, map: &HeaderMap) -> Result<()> {
        let households = registry::staged_disagreeing_households(tx, i64::MAX).await?;
        for household in &households {
            let rows = registry::staged_rows_of(tx, household).await?;
            let Some((first, rest)) = rows.split_first() else {
                continue;
            };
            let mut errors = Vec::new();
            for row in rest {
                for column in HOUSEHOLD_LEVEL {
                    let (this, that) = (
                        household_field(&row.facts, column),
                        household_field(&first.facts, column),
                    );
                    if this != that {
                        errors.push(FieldError::new(
                            line_of(row.line),
                            map.label(column),
                            this.clone(),
                            format!(
                                "household {household}: {} is {this:?} here but {that:?} on row \
                                 {}; the household columns must agree on every member row",
                                map.label(column),
                                first.line
                            ),
                        ));
                    }
                }
            }
            self.add_errors(errors);
        }
        self.reject_now(tx, households).await
    }

    async fn check_heads(&mut self, tx: &mut Tx, map: &HeaderMap) -> Result<()> {
        let problems = registry::staged_head_problems(tx, i64::MAX).await?;
        let mut errors = Vec::new();
        let mut refused = Vec::new();
        for problem in problems {
            let (line, message) = match problem.head_lines.as_slice() {
                [] => (
                    problem.first_line,
                    format!(
                        "household {} has no head: exactly one member has relation head (户主)",
                        problem.household_id
                    ),
                ),
                [_] => continue,
                [_, second, ..] => (
                    *second,
                    format!(
                        "household {} has {} heads: rows {}; exactly one member is head",
                        problem.household_id,
                        problem.heads,
                        problem
                            .head_lines
                            .iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            };
            errors.push(FieldError::new(
                line_of(line),
                map.label("relation"),
                "",
                message,
            ));
            refused.push(problem.household_id);
        }
        self.add_errors(errors);
        self.reject_now(tx, refused).await
    }

    /// People whom the registry has in another household: fine when that household is in the
    /// file (and valid) or is removed by it; otherwise the person would be in two households.
    async fn check_people_elsewhere(&mut self, tx: &mut Tx, map: &HeaderMap) -> Result<()> {
        let memberships = registry::staged_people_in_other_households(tx).await?;
        let mut refused: HashSet<String> = memberships
            .iter()
            .filter(|m| m.refused)
            .map(|m| m.household_id.clone())
            .collect();
        refused.extend(
            memberships
                .iter()
                .filter(|m| m.other_refused)
                .map(|m| m.other_household.clone()),
        );
        let mut errors = Vec::new();
        let mut newly_refused = Vec::new();
        for m in &memberships {
            if m.other_in_file || m.other_village_covered || refused.contains(&m.household_id) {
                continue;
            }
            errors.push(FieldError::new(
                line_of(m.line),
                map.label("id_number"),
                mask_text(&m.id_number),
                format!(
                    "{} is already a member of household {} in village {}, which this file \
                     neither lists nor covers; a person belongs to one household at a time",
                    mask_text(&m.id_number),
                    m.other_household,
                    m.other_village
                ),
            ));
            refused.insert(m.household_id.clone());
            newly_refused.push(m.household_id.clone());
        }
        // A person moving in from a refused household would then be in two: refuse the
        // receiving household too, until nothing changes.
        loop {
            let mut changed = false;
            for m in &memberships {
                if m.other_in_file
                    && refused.contains(&m.other_household)
                    && !refused.contains(&m.household_id)
                {
                    errors.push(FieldError::new(
                        line_of(m.line),
                        map.label("id_number"),
                        mask_text(&m.id_number),
                        format!(
                            "{} moves in from household {}, which is refused; fix that \
                             household first",
                            mask_text(&m.id_number),
                            m.other_household
                        ),
                    ));
                    refused.insert(m.household_id.clone());
                    newly_refused.push(m.household_id.clone());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for m in &memberships {
            if !refused.contains(&m.household_id) && !refused.contains(&m.other_household) {
                registry::mark_moved(tx, &m.household_id, m.line, &m.other_household).await?;
            }
        }
        self.add_errors(errors);
        self.reject_now(tx, newly_refused).await
    }

    /// Extracts must not go back in time: the registry's history follows their dates.
    async fn check_extract_order(&mut self, tx: &mut Tx) -> Result<()> {
        if let Some((village, later)) = registry::later_extract(tx, self.as_of).await? {
            self.fatal = true;
            self.add_errors(vec![FieldError::file_level(format!(
                "village {village} was already imported from an extract as of {later}; this \
                 file is as of {}: import extracts in date order",
                self.as_of
            ))]);
        } else if let Some((household, on)) = registry::later_change(tx, self.as_of).await? {
            self.fatal = true;
            self.add_errors(vec![FieldError::file_level(format!(
                "household {household} was already changed by an extract as of {on}; this file \
                 is as of {}: import extracts in date order",
                self.as_of
            ))]);
        }
        Ok(())
    }
}

/// Whether a village code may receive households on `as_of`.
async fn check_village(
    tx: &mut Tx,
    village: RegionCode,
    as_of: BusinessDate,
) -> Result<VillageCheck> {
    Ok(match regions::get_in(tx, village).await? {
        None => VillageCheck::Refused(format!(
            "village {village} does not exist: import regions first"
        )),
        Some(region) if !region.is_valid_on(as_of) => {
            let successor = region
                .successor_code
                .map(|code| format!(" (replaced by {code})"))
                .unwrap_or_default();
            VillageCheck::Refused(format!(
                "village {village} is not in use on {as_of}{successor}"
            ))
        }
        Some(_) => VillageCheck::Known,
    })
}

/// Lines are stored as i64; they are never negative.
fn line_of(line: i64) -> u64 {
    u64::try_from(line).unwrap_or(0)
}

/// A household-level value as shown in messages.
fn household_field(facts: &HouseholdFacts, column: &str) -> String {
    match column {
        "village_code" => facts.village_code.to_string(),
        "poverty_attribute" => facts.poverty_attribute.clone(),
        "main_cause" => facts.main_cause.clone(),
        "other_causes" => facts.other_causes.join(";"),
        "status" => facts.status.clone(),
        "exited_year" => facts
            .exited_year
            .map(|year| year.to_string())
            .unwrap_or_default(),
        "identified_on" => facts.identified_on.to_string(),
        "per_capita_income" => facts.per_capita_income.to_plain_yuan(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// households: applying

/// An event before its number is allocated.
struct PendingEvent {
    household_id: String,
    village_code: RegionCode,
    kind: &'static str,
    before: Option<Value>,
    after: Option<Value>,
}

/// An audit record of one household, waiting for its events' numbers.
struct PendingAudit {
    household_id: String,
    action: &'static str,
    before: Option<Value>,
    after: Option<Value>,
    /// Indexes into the chunk's events.
    events: std::ops::Range<usize>,
}

/// Compares households with the registry and writes the differences, a chunk at a time.
struct Apply<'c> {
    ctx: &'c Ctx,
    as_of: BusinessDate,
    /// Covered villages: (latest extract date, the one before).
    extracts: HashMap<RegionCode, (BusinessDate, Option<BusinessDate>)>,
    counts: ImportCounts,
    writes: RegistryWrites,
    events: Vec<PendingEvent>,
    audits: Vec<PendingAudit>,
    first_seq: Option<i64>,
    last_seq: Option<i64>,
}

impl<'c> Apply<'c> {
    async fn new(ctx: &'c Ctx, as_of: BusinessDate, tx: &mut Tx) -> Result<Apply<'c>> {
        let extracts = registry::covered_village_extracts(tx)
            .await?
            .into_iter()
            .map(|(village, latest, previous)| (village, (latest, previous)))
            .collect();
        Ok(Apply {
            ctx,
            as_of,
            extracts,
            counts: ImportCounts::default(),
            writes: RegistryWrites::default(),
            events: Vec::new(),
            audits: Vec::new(),
            first_seq: None,
            last_seq: None,
        })
    }

    fn event_range(&self) -> Value {
        match (self.first_seq, self.last_seq) {
            (Some(first), Some(last)) => json!([first, last]),
            _ => Value::Null,
        }
    }

    /// Removes the households of the covered villages that the file does not list.
    async fn removals(&mut self, tx: &mut Tx) -> Result<()> {
        let mut after = String::new();
        loop {
            let victims = registry::households_to_remove(tx, &after, APPLY_CHUNK).await?;
            let Some(last) = victims.last() else {
                break;
            };
            after = last.household_id.clone();
            let ids: Vec<String> = victims.iter().map(|v| v.household_id.clone()).collect();
            let members = group_members(registry::current_members_in(tx, &ids).await?);
            for version in &victims {
                let current = members
                    .get(&version.household_id)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                self.remove(version, current);
            }
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// Applies the households of the file (those not refused), in id order.
    async fn households(&mut self, tx: &mut Tx) -> Result<()> {
        let mut after = String::new();
        loop {
            let ids = registry::staged_households_after(tx, &after, APPLY_CHUNK).await?;
            let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
                break;
            };
            let rows = registry::staged_rows_between(tx, first, last).await?;
            let identities: HashMap<String, HouseholdIdentity> = registry::identities_in(tx, &ids)
                .await?
                .into_iter()
                .map(|identity| (identity.household_id.clone(), identity))
                .collect();
            let versions: HashMap<String, HouseholdVersion> =
                registry::current_versions_in(tx, &ids)
                    .await?
                    .into_iter()
                    .map(|version| (version.household_id.clone(), version))
                    .collect();
            let members = group_members(registry::current_members_in(tx, &ids).await?);
            for rows in rows.chunk_by(|a, b| a.household_id == b.household_id) {
                let id = &rows[0].household_id;
                let current_members = members.get(id).map(Vec::as_slice).unwrap_or_default();
                let applied =
                    self.household(rows, identities.get(id), versions.get(id), current_members);
                match applied {
                    Applied::Added => self.counts.added += 1,
                    Applied::Changed => self.counts.changed += 1,
                    Applied::Unchanged => self.counts.unchanged += 1,
                }
            }
            after = last.clone();
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// The first day of a household seen without a current version: its identification date,
    /// but not on or before the previous extract of its village (which did not list it), nor
    /// before its removal.
    fn first_valid_from(
        &self,
        facts: &HouseholdFacts,
        identity: Option<&HouseholdIdentity>,
    ) -> BusinessDate {
        let mut from = facts.identified_on;
        let previous = self
            .extracts
            .get(&facts.village_code)
            .and_then(|(latest, previous)| {
                if *latest < self.as_of {
                    Some(*latest)
                } else {
                    *previous
                }
            });
        if let Some(next_day) = previous.and_then(BusinessDate::succ) {
            from = from.max(next_day);
        }
        if let Some(removed) = identity.and_then(|identity| identity.removed_on) {
            from = from.max(removed);
        }
        from.min(self.as_of)
    }

    fn household(
        &mut self,
        rows: &[StagedRow],
        identity: Option<&HouseholdIdentity>,
        current: Option<&HouseholdVersion>,
        current_members: &[MemberVersion],
    ) -> Applied {
        let id = rows[0].household_id.clone();
        let facts = rows[0].facts.clone();
        let new_members: Vec<&MemberFacts> = rows.iter().map(|row| &row.member).collect();
        let events_start = self.events.len();
        let Some(current) = current else {
            let valid_from = self.first_valid_from(&facts, identity);
            self.writes.identities.push(HouseholdIdentity {
                household_id: id.clone(),
                village_code: facts.village_code,
                added_on: identity.map_or(valid_from, |identity| identity.added_on),
                removed_on: None,
                changed_on: self.as_of,
            });
            self.writes.versions.push(HouseholdVersion {
                household_id: id.clone(),
                facts: facts.clone(),
                valid_from,
                valid_to: None,
            });
            for row in rows {
                let member_from = match row.moved_from {
                    Some(_) => self.as_of,
                    None => valid_from,
                };
                self.writes.members.push(MemberVersion {
                    household_id: id.clone(),
                    member: row.member.clone(),
                    valid_from: member_from,
                    valid_to: None,
                });
            }
            self.events.push(PendingEvent {
                household_id: id.clone(),
                village_code: facts.village_code,
                kind: "added",
                before: None,
                after: Some(household_json(
                    &id,
                    &facts,
                    new_members.iter().copied(),
                    false,
                )),
            });
            self.audits.push(PendingAudit {
                household_id: id.clone(),
                action: "household.add",
                before: None,
                after: Some(household_json(
                    &id,
                    &facts,
                    new_members.iter().copied(),
                    true,
                )),
                events: events_start..self.events.len(),
            });
            return Applied::Added;
        };
        let village = facts.village_code;
        if current.facts != facts {
            let (status_before, status_after) = changed_fields(&current.facts, &facts, true);
            if !status_after.is_empty() {
                self.events.push(PendingEvent {
                    household_id: id.clone(),
                    village_code: village,
                    kind: "status_changed",
                    before: Some(Value::Object(status_before)),
                    after: Some(Value::Object(status_after)),
                });
            }
            let (other_before, other_after) = changed_fields(&current.facts, &facts, false);
            if !other_after.is_empty() {
                self.events.push(PendingEvent {
                    household_id: id.clone(),
                    village_code: village,
                    kind: "changed",
                    before: Some(Value::Object(other_before)),
                    after: Some(Value::Object(other_after)),
                });
            }
            self.writes.close_versions.push(id.clone());
            self.writes.versions.push(HouseholdVersion {
                household_id: id.clone(),
                facts: facts.clone(),
                valid_from: self.as_of,
                valid_to: None,
            });
        }
        let stored: HashMap<&str, &MemberFacts> = current_members
            .iter()
            .map(|version| (version.member.id_number.as_str(), &version.member))
            .collect();
        let mut listed: HashSet<&str> = HashSet::with_capacity(new_members.len());
        for member in &new_members {
            listed.insert(member.id_number.as_str());
            let before = stored.get(member.id_number.as_str()).copied();
            if before == Some(*member) {
                continue;
            }
            if before.is_some() {
                self.writes
                    .close_members
                    .push((id.clone(), member.id_number.clone()));
            }
            self.writes.members.push(MemberVersion {
                household_id: id.clone(),
                member: (*member).clone(),
                valid_from: self.as_of,
                valid_to: None,
            });
            let (kind, before_json, after_json) = match before {
                None => ("member_added", None, Some(member_json(member, false))),
                Some(before) => {
                    let (old, new) = changed_member_fields(before, member);
                    ("member_changed", Some(old), Some(new))
                }
            };
            self.events.push(PendingEvent {
                household_id: id.clone(),
                village_code: village,
                kind,
                before: before_json,
                after: after_json,
            });
        }
        for version in current_members {
            let member = &version.member;
            if listed.contains(member.id_number.as_str()) {
                continue;
            }
            self.writes
                .close_members
                .push((id.clone(), member.id_number.clone()));
            self.events.push(PendingEvent {
                household_id: id.clone(),
                village_code: village,
                kind: "member_removed",
                before: Some(member_json(member, false)),
                after: None,
            });
        }
        if self.events.len() == events_start {
            return Applied::Unchanged;
        }
        self.writes.identities.push(HouseholdIdentity {
            household_id: id.clone(),
            village_code: village,
            // Kept on update: the household is registered.
            added_on: identity.map_or(current.valid_from, |identity| identity.added_on),
            removed_on: None,
            changed_on: self.as_of,
        });
        let old_members = current_members.iter().map(|version| &version.member);
        self.audits.push(PendingAudit {
            household_id: id.clone(),
            action: "household.change",
            before: Some(household_json(&id, &current.facts, old_members, true)),
            after: Some(household_json(
                &id,
                &facts,
                new_members.iter().copied(),
                true,
            )),
            events: events_start..self.events.len(),
        });
        Applied::Changed
    }

    fn remove(&mut self, version: &HouseholdVersion, members: &[MemberVersion]) {
        let id = &version.household_id;
        let events_start = self.events.len();
        self.writes.identities.push(HouseholdIdentity {
            household_id: id.clone(),
            village_code: version.facts.village_code,
            // Not written: the household is registered, and `added_on` is kept on update.
            added_on: version.valid_from,
            removed_on: Some(self.as_of),
            changed_on: self.as_of,
        });
        self.writes.close_versions.push(id.clone());
        self.writes.close_all_members.push(id.clone());
        let members = members.iter().map(|member| &member.member);
        self.events.push(PendingEvent {
            household_id: id.clone(),
            village_code: version.facts.village_code,
            kind: "removed",
            before: Some(household_json(id, &version.facts, members.clone(), false)),
            after: None,
        });
        self.audits.push(PendingAudit {
            household_id: id.clone(),
            action: "household.remove",
            before: Some(household_json(id, &version.facts, members, true)),
            after: Some(json!({ "household_id": id, "removed_on": self.as_of.to_string() })),
            events: events_start..self.events.len(),
        });
        self.counts.removed += 1;
    }

    /// Numbers the chunk's events and writes everything.
    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let first_seq = match self.events.len() {
            0 => 0,
            count => registry::allocate_event_seqs(tx, count).await?,
        };
        let events = std::mem::take(&mut self.events);
        if !events.is_empty() {
            self.first_seq.get_or_insert(first_seq);
            self.last_seq = Some(first_seq + events.len() as i64 - 1);
        }
        self.writes.events = events
            .into_iter()
            .enumerate()
            .map(|(index, event)| NewEvent {
                seq: first_seq + index as i64,
                household_id: event.household_id,
                village_code: event.village_code,
                kind: event.kind,
                before_json: event.before.map(|value| value.to_string()),
                after_json: event.after.map(|value| value.to_string()),
            })
            .collect();
        for pending in std::mem::take(&mut self.audits) {
            let mut entry: AuditEntry =
                self.ctx
                    .audit(pending.action, "household", &pending.household_id);
            entry.before_json = pending.before.map(|value| value.to_string());
            let mut after = pending.after.unwrap_or_else(|| json!({}));
            if let Value::Object(fields) = &mut after {
                fields.insert("as_of".into(), json!(self.as_of.to_string()));
                if !pending.events.is_empty() {
                    let first = first_seq + pending.events.start as i64;
                    let last = first_seq + pending.events.end as i64 - 1;
                    fields.insert("events".into(), json!([first, last]));
                }
            }
            entry.after_json = Some(after.to_string());
            self.writes.audit.push(entry);
        }
        if !self.writes.is_empty() {
            registry::write(tx, self.as_of, &self.writes).await?;
        }
        self.writes = RegistryWrites::default();
        Ok(())
    }
}

fn group_members(members: Vec<MemberVersion>) -> HashMap<String, Vec<MemberVersion>> {
    let mut grouped: HashMap<String, Vec<MemberVersion>> = HashMap::new();
    for member in members {
        grouped
            .entry(member.household_id.clone())
            .or_default()
            .push(member);
    }
    grouped
}

/// The household-level fields that differ: the status fields (`status`, `exited_year`) when
/// `status` is true, the others otherwise. Returns (before, after).
fn changed_fields(
    before: &HouseholdFacts,
    after: &HouseholdFacts,
    status: bool,
) -> (Map<String, Value>, Map<String, Value>) {
    let old = household_json("", before, std::iter::empty(), false);
    let new = household_json("", after, std::iter::empty(), false);
    let mut old_fields = Map::new();
    let mut new_fields = Map::new();
    for column in HOUSEHOLD_LEVEL {
        let is_status = matches!(*column, "status" | "exited_year");
        if is_status != status || old[*column] == new[*column] {
            continue;
        }
        old_fields.insert(column.to_string(), old[*column].clone());
        new_fields.insert(column.to_string(), new[*column].clone());
    }
    if status && !new_fields.is_empty() {
        // Both status fields, so a reader sees the whole status either side.
        for column in ["status", "exited_year"] {
            old_fields.insert(column.into(), old[column].clone());
            new_fields.insert(column.into(), new[column].clone());
        }
    }
    (old_fields, new_fields)
}

/// A member's changed fields, each side with the ID number. Returns (before, after).
fn changed_member_fields(before: &MemberFacts, after: &MemberFacts) -> (Value, Value) {
    let old = member_json(before, false);
    let new = member_json(after, false);
    let mut old_fields = Map::new();
    let mut new_fields = Map::new();
    for (key, value) in new.as_object().into_iter().flatten() {
        if key == "id_number" || old[key.as_str()] != *value {
            old_fields.insert(key.clone(), old[key.as_str()].clone());
            new_fields.insert(key.clone(), value.clone());
        }
    }
    (Value::Object(old_fields), Value::Object(new_fields))
}

// ---------------------------------------------------------------------------------------------
// households: parsing one row

/// Parses one member row. On refusal, returns the household id when it could be read (so the
/// household is refused) and the errors.
fn parse_household_row(
    row: &RawRow,
    map: &HeaderMap,
    as_of: BusinessDate,
) -> std::result::Result<StagedRow, (Option<String>, Vec<FieldError>)> {
    let mut errors = RowErrors::default();
    let damaged = damaged_columns(row, map, &mut errors);
    let ok = |name: &str| !damaged.contains(&name);
    let household_id = ok("household_id")
        .then(|| required(row, map, "household_id", household_id_cell, &mut errors))
        .flatten();
    let village = ok("village_code")
        .then(|| required(row, map, "village_code", village_cell, &mut errors))
        .flatten();
    let name = ok("name")
        .then(|| required_text(row, map, "name", &mut errors))
        .flatten();
    if let Some(name) = &name
        && name.chars().count() > NAME_CHARS_MAX
    {
        errors.push(row.error(
            map,
            "name",
            format!("a name has at most {NAME_CHARS_MAX} characters"),
        ));
    }
    let id = ok("id_number")
        .then(|| id_number(row, map, as_of, &mut errors))
        .flatten();
    let relation = ok("relation")
        .then(|| enumerated(row, map, "relation", RELATIONS, &mut errors))
        .flatten();
    let attribute = ok("poverty_attribute")
        .then(|| {
            enumerated(
                row,
                map,
                "poverty_attribute",
                POVERTY_ATTRIBUTES,
                &mut errors,
            )
        })
        .flatten();
    let main_cause = ok("main_cause")
        .then(|| enumerated(row, map, "main_cause", CAUSES, &mut errors))
        .flatten();
    let other_causes = ok("other_causes")
        .then(|| other_causes(row, map, main_cause, &mut errors))
        .flatten();
    let status = ok("status")
        .then(|| enumerated(row, map, "status", STATUSES, &mut errors))
        .flatten();
    let identified_on = ok("identified_on")
        .then(|| required(row, map, "identified_on", value::date, &mut errors))
        .flatten();
    if let Some(identified_on) = identified_on
        && identified_on > as_of
    {
        errors.push(row.error(
            map,
            "identified_on",
            format!(
                "identified on {identified_on}, after the date of the extract ({as_of}, \
                 --as-of)"
            ),
        ));
    }
    let exited_year = match ok("exited_year") {
        true => exited_year(row, map, status, identified_on, as_of, &mut errors),
        false => Err(()),
    };
    let income = ok("per_capita_income")
        .then(|| required(row, map, "per_capita_income", value::amount, &mut errors))
        .flatten();
    let labour = ok("labour")
        .then(|| enumerated(row, map, "labour", LABOUR, &mut errors))
        .flatten();
    let phone = match ok("phone") {
        true => optional(row, map, "phone", phone_cell, &mut errors),
        false => Err(()),
    };
    let died_on = match ok("died_on") {
        true => died_on(row, map, id.as_ref(), as_of, &mut errors),
        false => Err(()),
    };
    let parsed = (
        village,
        name,
        id,
        relation,
        attribute,
        main_cause,
        other_causes,
        status,
        identified_on,
        exited_year,
        income,
        labour,
        phone,
        died_on,
    );
    let (Some(household_id), true) = (household_id.clone(), errors.is_empty()) else {
        return Err((household_id, errors.0));
    };
    match parsed {
        (
            Some(village_code),
            Some(name),
            Some(id),
            Some(relation),
            Some(poverty_attribute),
            Some(main_cause),
            Some(other_causes),
            Some(status),
            Some(identified_on),
            Ok(exited_year),
            Some(per_capita_income),
            Some(labour),
            Ok(phone),
            Ok(died_on),
        ) => Ok(StagedRow {
            line: i64::try_from(row.line).unwrap_or(i64::MAX),
            household_id,
            facts: HouseholdFacts {
                village_code,
                poverty_attribute: poverty_attribute.to_string(),
                main_cause: main_cause.to_string(),
                other_causes,
                status: status.to_string(),
                exited_year,
                identified_on,
                per_capita_income,
            },
            member: MemberFacts {
                id_number: id.as_str().to_string(),
                name,
                relation: relation.to_string(),
                sex: id.sex().as_str().to_string(),
                birth_date: id.birth_date(),
                labour: labour.to_string(),
                phone,
                died_on,
            },
            moved_from: None,
        }),
        _ => Err((Some(household_id), errors.0)),
    }
}

/// Refuses every text cell that looks like mojibake, naming the damage; returns those columns
/// so that they are not parsed further.
fn damaged_columns(row: &RawRow, map: &HeaderMap, errors: &mut RowErrors) -> Vec<&'static str> {
    let mut damaged = Vec::new();
    for column in HOUSEHOLD_COLUMNS {
        if !map.has(column.name) {
            continue;
        }
        let Some(text) = row.text(map, column.name) else {
            continue;
        };
        if let Some(reason) = mojibake(&text) {
            let shown = match column.name {
                "id_number" => mask_text(&text),
                _ => text.into_owned(),
            };
            errors.push(FieldError::new(
                row.line,
                map.label(column.name),
                shown,
                format!(
                    "the text looks damaged by a wrong encoding ({reason}); it was not \
                     stored: fix the file and import it again"
                ),
            ));
            damaged.push(column.name);
        }
    }
    damaged
}

fn enumerated(
    row: &RawRow,
    map: &HeaderMap,
    name: &str,
    choices: &[(&str, &str, &'static str)],
    errors: &mut RowErrors,
) -> Option<&'static str> {
    required(
        row,
        map,
        name,
        |cell| value::enumeration(cell, choices),
        errors,
    )
}

/// A household id: a code of letters and digits; a long number typed into Excel is refused
/// because Excel keeps only 15 significant digits.
fn household_id_cell(cell: &Cell) -> std::result::Result<String, String> {
    if let Cell::Number(number) = cell
        && number.abs() >= 1e15
    {
        return Err(
            "a household id of 16 or more digits must be a text cell: Excel keeps only 15 \
             digits of a number (format the column as text)"
                .to_string(),
        );
    }
    identifier(cell)
}

fn village_cell(cell: &Cell) -> std::result::Result<RegionCode, String> {
    let code = value::region_code(cell)?;
    match code.level() {
        RegionLevel::Village => Ok(code),
        level => Err(format!("{code} is a {level} code, not a village")),
    }
}

/// The ID number, validated with `as_of` as today; errors show it masked.
fn id_number(
    row: &RawRow,
    map: &HeaderMap,
    as_of: BusinessDate,
    errors: &mut RowErrors,
) -> Option<ResidentId> {
    let label = map.label("id_number");
    let line = row.line;
    let cell = row.get(map, "id_number");
    let refuse = |shown: String, message: String| FieldError::new(line, label, shown, message);
    match cell {
        cell if cell.is_blank() => {
            errors.push(refuse(String::new(), format!("{label} is required")));
            None
        }
        Cell::Text(text) => match ResidentId::parse(text, as_of) {
            Ok(id) => Some(id),
            Err(error) => {
                errors.push(refuse(mask_text(text.trim()), error.to_string()));
                None
            }
        },
        Cell::Number(_) => {
            errors.push(refuse(
                mask_text(&cell.to_string()),
                "an ID number must be a text cell: Excel keeps only 15 digits of a number \
                 (format the column as text)"
                    .to_string(),
            ));
            None
        }
        other => {
            errors.push(refuse(
                mask_text(&other.to_string()),
                "expected an 18-character ID number".to_string(),
            ));
            None
        }
    }
}

/// At most two other causes, each a known cause other than the main one; sorted, no repeats.
fn other_causes(
    row: &RawRow,
    map: &HeaderMap,
    main_cause: Option<&str>,
    errors: &mut RowErrors,
) -> Option<Vec<String>> {
    let mut causes = Vec::new();
    let mut valid = true;
    for item in value::list(row.get(map, "other_causes")) {
        match value::enumeration(&Cell::Text(item), CAUSES) {
            Ok(cause) if Some(cause) == main_cause => {
                errors.push(row.error(
                    map,
                    "other_causes",
                    format!("{cause} is the main cause already; list only other causes"),
                ));
                valid = false;
            }
            Ok(cause) => causes.push(cause.to_string()),
            Err(message) => {
                errors.push(row.error(map, "other_causes", message));
                valid = false;
            }
        }
    }
    causes.sort();
    causes.dedup();
    if causes.len() > 2 {
        errors.push(row.error(
            map,
            "other_causes",
            format!("at most 2 other causes, not {}", causes.len()),
        ));
        valid = false;
    }
    valid.then_some(causes)
}

/// The exit year: required when exited, refused when poor, within 2014..=the extract's year and
/// not before the identification year.
fn exited_year(
    row: &RawRow,
    map: &HeaderMap,
    status: Option<&str>,
    identified_on: Option<BusinessDate>,
    as_of: BusinessDate,
    errors: &mut RowErrors,
) -> std::result::Result<Option<i64>, ()> {
    let year = optional(row, map, "exited_year", value::integer, errors)?;
    let refuse = |errors: &mut RowErrors, message: String| {
        errors.push(row.error(map, "exited_year", message));
        Err(())
    };
    match (status, year) {
        (Some("exited"), None) => refuse(
            errors,
            "the status is exited, so the exit year (脱贫年度) is required".to_string(),
        ),
        (Some("poor"), Some(year)) => refuse(
            errors,
            format!("the status is poor, so there is no exit year (found {year})"),
        ),
        (_, Some(year)) if !(FIRST_EXIT_YEAR..=i64::from(as_of.year())).contains(&year) => refuse(
            errors,
            format!(
                "{year} is not an exit year between {FIRST_EXIT_YEAR} and {} (the extract's year)",
                as_of.year()
            ),
        ),
        (_, Some(year)) if identified_on.is_some_and(|d| year < i64::from(d.year())) => refuse(
            errors,
            format!("exited in {year}, before the household was identified"),
        ),
        (_, year) => Ok(year),
    }
}

/// The date of death, if given: a date between the person's birth and the extract's date.
fn died_on(
    row: &RawRow,
    map: &HeaderMap,
    id: Option<&ResidentId>,
    as_of: BusinessDate,
    errors: &mut RowErrors,
) -> std::result::Result<Option<BusinessDate>, ()> {
    let died_on = optional(row, map, "died_on", value::date, errors)?;
    let Some(died_on) = died_on else {
        return Ok(None);
    };
    let problem = if died_on > as_of {
        Some(format!(
            "died on {died_on}, after the date of the extract ({as_of}, --as-of)"
        ))
    } else {
        id.map(|id| id.birth_date())
            .filter(|birth| died_on < *birth)
            .map(|birth| {
                format!("died on {died_on}, before the birth date {birth} of the ID number")
            })
    };
    match problem {
        Some(message) => {
            errors.push(row.error(map, "died_on", message));
            Err(())
        }
        None => Ok(Some(died_on)),
    }
}

/// A phone number: digits with optional `+`, `-`, spaces and brackets; 5 to 20 characters.
fn phone_cell(cell: &Cell) -> std::result::Result<String, String> {
    let text = value::text(cell).unwrap_or_default();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let valid = (5..=20).contains(&text.chars().count())
        && digits >= 5
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || "+- ()".contains(c));
    match valid {
        true => Ok(text),
        false => Err(format!(
            "{text:?} is not a phone number (digits, with +, -, spaces or brackets)"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// enterprises

/// A row of the `enterprises` file.
pub struct EnterpriseRecord {
    credit_code: CreditCode,
    name: String,
    kind: &'static str,
    industry: String,
    village_code: RegionCode,
    leading_level: Option<&'static str>,
}

/// Imports `enterprises`: credit codes validated (GB 32100), villages must exist. Enterprises
/// not in the file are left as they are. An enterprise is listed from the as-of date of the
/// first extract that names it.
pub struct EnterpriseImporter {
    as_of: BusinessDate,
    seen: HashMap<String, u64>,
    trail: Trail,
}

impl EnterpriseImporter {
    /// An importer of an extract describing enterprises as of `as_of`.
    pub fn new(as_of: BusinessDate) -> EnterpriseImporter {
        EnterpriseImporter {
            as_of,
            seen: HashMap::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for EnterpriseImporter {
    const KIND: &'static str = "enterprises";
    const COLUMNS: &'static [Column] = &[
        Column::required("credit_code", "统一社会信用代码"),
        Column::required("name", "名称"),
        Column::required("kind", "类型"),
        Column::required("industry", "产业"),
        Column::required("village_code", "所在村代码"),
        Column::optional("leading_level", "龙头企业级别"),
    ];
    type Record = EnterpriseRecord;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<EnterpriseRecord> {
        let mut errors = RowErrors::default();
        let credit_code = required(row, map, "credit_code", credit_code_cell, &mut errors);
        let name = required_text(row, map, "name", &mut errors);
        let kind = enumerated(row, map, "kind", ENTERPRISE_KINDS, &mut errors);
        let industry = required_text(row, map, "industry", &mut errors);
        let village = required(row, map, "village_code", village_cell, &mut errors);
        let level = optional(
            row,
            map,
            "leading_level",
            |cell| value::enumeration(cell, LEADING_LEVELS),
            &mut errors,
        );
        if let (Some(kind), Ok(Some(_))) = (kind, level)
            && kind != "leading_enterprise"
        {
            errors.push(row.error(
                map,
                "leading_level",
                format!("only a leading enterprise has a level; this one is a {kind}"),
            ));
        }
        match (credit_code, name, kind, industry, village, level) {
            (
                Some(credit_code),
                Some(name),
                Some(kind),
                Some(industry),
                Some(village_code),
                Ok(leading_level),
            ) if errors.is_empty() => Ok(EnterpriseRecord {
                credit_code,
                name,
                kind,
                industry,
                village_code,
                leading_level,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: EnterpriseRecord,
    ) -> Result<RowResult<Applied>> {
        let code = record.credit_code.as_str().to_string();
        if let Some(first) = self.seen.insert(code.clone(), line) {
            let message = format!("enterprise {code} appears twice: rows {first} and {line}");
            return Ok(Err(vec![row_error(line, "credit_code", &code, message)]));
        }
        if let VillageCheck::Refused(message) =
            check_village(tx, record.village_code, self.as_of).await?
        {
            let village = record.village_code.to_string();
            return Ok(Err(vec![row_error(
                line,
                "village_code",
                &village,
                message,
            )]));
        }
        let before = registry::enterprise_in(tx, &code).await?;
        let listed_on = before
            .as_ref()
            .map_or(self.as_of, |before| before.listed_on.min(self.as_of));
        let enterprise = Enterprise {
            credit_code: code.clone(),
            name: record.name,
            kind: record.kind.to_string(),
            industry: record.industry,
            village_code: record.village_code,
            leading_level: record.leading_level.map(str::to_string),
            listed_on,
        };
        if before.as_ref() == Some(&enterprise) {
            return Ok(Ok(Applied::Unchanged));
        }
        registry::upsert_enterprise(tx, &enterprise).await?;
        let mut entry = ctx.audit("enterprise.save", "enterprise", &code);
        entry.before_json = before.as_ref().map(|e| enterprise_json(e).to_string());
        entry.after_json = Some(enterprise_json(&enterprise).to_string());
        self.trail.append(tx, entry).await?;
        Ok(Ok(if before.is_some() {
            Applied::Changed
        } else {
            Applied::Added
        }))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        Ok(Vec::new())
    }
}

fn credit_code_cell(cell: &Cell) -> std::result::Result<CreditCode, String> {
    let text = value::checked_text(cell)?.unwrap_or_default();
    CreditCode::parse(&text).map_err(|error| error.to_string())
}

/// JSON of an enterprise.
pub fn enterprise_json(enterprise: &Enterprise) -> Value {
    json!({
        "credit_code": enterprise.credit_code,
        "name": enterprise.name,
        "kind": enterprise.kind,
        "industry": enterprise.industry,
        "village_code": enterprise.village_code.to_string(),
        "leading_level": enterprise.leading_level,
        "listed_on": enterprise.listed_on.to_string(),
    })
}

/// A row of the `enterprise_links` file.
pub struct LinkRecord {
    credit_code: CreditCode,
    household_id: String,
    link: &'static str,
    people: i64,
    since: BusinessDate,
    until: Option<BusinessDate>,
}

/// Imports `enterprise_links`: the enterprise must be imported and the household registered
/// (not removed). A link is keyed by enterprise, household and kind of link.
pub struct EnterpriseLinkImporter {
    as_of: BusinessDate,
    seen: HashMap<(String, String, &'static str), u64>,
    trail: Trail,
}

impl EnterpriseLinkImporter {
    /// An importer of an extract describing links as of `as_of`.
    pub fn new(as_of: BusinessDate) -> EnterpriseLinkImporter {
        EnterpriseLinkImporter {
            as_of,
            seen: HashMap::new(),
            trail: Trail::deferred(),
        }
    }
}

impl Importer for EnterpriseLinkImporter {
    const KIND: &'static str = "enterprise_links";
    const COLUMNS: &'static [Column] = &[
        Column::required("credit_code", "统一社会信用代码"),
        Column::required("household_id", "户编号"),
        Column::required("link", "带动方式"),
        Column::required("people", "带动人数"),
        Column::required("since", "起始日期"),
        Column::optional("until", "终止日期"),
    ];
    type Record = LinkRecord;

    fn parse(&self, row: &RawRow, map: &HeaderMap) -> RowResult<LinkRecord> {
        let mut errors = RowErrors::default();
        let credit_code = required(row, map, "credit_code", credit_code_cell, &mut errors);
        let household_id = required(row, map, "household_id", household_id_cell, &mut errors);
        let link = enumerated(row, map, "link", LINK_KINDS, &mut errors);
        let people = required(row, map, "people", positive_integer, &mut errors);
        let since = required(row, map, "since", value::date, &mut errors);
        let until = optional(row, map, "until", value::date, &mut errors);
        if let Some(since) = since
            && since > self.as_of
        {
            errors.push(row.error(
                map,
                "since",
                format!(
                    "starts on {since}, after the date of the extract ({})",
                    self.as_of
                ),
            ));
        }
        if let (Some(since), Ok(Some(until))) = (since, until)
            && until <= since
        {
            errors.push(row.error(
                map,
                "until",
                format!("ends on {until}, not after it starts on {since}"),
            ));
        }
        match (credit_code, household_id, link, people, since, until) {
            (
                Some(credit_code),
                Some(household_id),
                Some(link),
                Some(people),
                Some(since),
                Ok(until),
            ) if errors.is_empty() => Ok(LinkRecord {
                credit_code,
                household_id,
                link,
                people,
                since,
                until,
            }),
            _ => Err(errors.0),
        }
    }

    async fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: LinkRecord,
    ) -> Result<RowResult<Applied>> {
        let code = record.credit_code.as_str().to_string();
        let key = (code.clone(), record.household_id.clone(), record.link);
        if let Some(first) = self.seen.insert(key, line) {
            let message = format!(
                "enterprise {code} lifts household {} by {} twice: rows {first} and {line}",
                record.household_id, record.link
            );
            return Ok(Err(vec![row_error(line, "link", record.link, message)]));
        }
        let mut errors = Vec::new();
        if registry::enterprise_in(tx, &code).await?.is_none() {
            let message = format!("enterprise {code} does not exist: import enterprises first");
            errors.push(row_error(line, "credit_code", &code, message));
        }
        match registry::identity_in(tx, &record.household_id).await? {
            None => errors.push(row_error(
                line,
                "household_id",
                &record.household_id,
                format!(
                    "household {} is not in the registry: import households first",
                    record.household_id
                ),
            )),
            Some(identity) if identity.removed_on.is_some() => errors.push(row_error(
                line,
                "household_id",
                &record.household_id,
                format!(
                    "household {} was removed from the registry on {}",
                    record.household_id,
                    identity
                        .removed_on
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                ),
            )),
            Some(_) => {}
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let link = EnterpriseLink {
            credit_code: code,
            household_id: record.household_id,
            link: record.link.to_string(),
            people: record.people,
            since: record.since,
            until: record.until,
        };
        let before =
            registry::link_in(tx, &link.credit_code, &link.household_id, &link.link).await?;
        if before.as_ref() == Some(&link) {
            return Ok(Ok(Applied::Unchanged));
        }
        registry::upsert_link(tx, &link).await?;
        let id = format!("{}/{}/{}", link.credit_code, link.household_id, link.link);
        let mut entry = ctx.audit("enterprise_link.save", "enterprise_link", &id);
        entry.before_json = before.as_ref().map(|l| link_json(l).to_string());
        entry.after_json = Some(link_json(&link).to_string());
        self.trail.append(tx, entry).await?;
        Ok(Ok(if before.is_some() {
            Applied::Changed
        } else {
            Applied::Added
        }))
    }

    async fn finish(&mut self, tx: &mut Tx, _ctx: &Ctx) -> Result<Vec<FieldError>> {
        self.trail.flush(tx).await?;
        Ok(Vec::new())
    }
}

fn positive_integer(cell: &Cell) -> std::result::Result<i64, String> {
    let number = value::integer(cell)?;
    match number >= 1 {
        true => Ok(number),
        false => Err(format!("{number}: at least one person")),
    }
}

/// JSON of an enterprise link.
pub fn link_json(link: &EnterpriseLink) -> Value {
    json!({
        "credit_code": link.credit_code,
        "household_id": link.household_id,
        "link": link.link,
        "people": link.people,
        "since": link.since.to_string(),
        "until": link.until.map(|d| d.to_string()),
    })
}
