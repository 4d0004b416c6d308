//! The driver of a households import: staging the file, the checks, applying, recording.

use super::*;

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
    let mut run = HouseholdRun::new(&source, as_of);
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
    run.stage_file(&mut tx, &mut source, &map, options).await?;
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
    if refused || !run.apply(ctx, &mut tx, path).await? {
        tx.rollback().await.map_err(fupin_store::StoreError::from)?;
        run.report.errors.sort_by_key(|error| error.line);
        return Ok(run.report);
    }
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
pub(super) enum VillageCheck {
    Known,
    Refused(String),
}

/// State of one household import while staging and checking.
pub(super) struct HouseholdRun {
    pub(super) report: ImportReport,
    pub(super) as_of: BusinessDate,
    /// An error of the whole file: nothing is applied, even with load_valid.
    pub(super) fatal: bool,
    /// Rows with errors whose household is unknown.
    pub(super) unattributed: u64,
    pub(super) villages: HashMap<RegionCode, VillageCheck>,
    pub(super) batch: Vec<StagedRow>,
    pub(super) rejects: HashSet<String>,
}

impl HouseholdRun {
    pub(super) fn new(source: &RowSource, as_of: BusinessDate) -> HouseholdRun {
        HouseholdRun {
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
        }
    }

    /// Parses every row of the file and stages the valid ones, in batches.
    pub(super) async fn stage_file(
        &mut self,
        tx: &mut Tx,
        source: &mut RowSource,
        map: &HeaderMap,
        options: &ImportOptions,
    ) -> Result<()> {
        for row in source.by_ref() {
            let row = match row {
                Ok(row) => row,
                Err(error) => {
                    // Its household cannot be known: under load_valid the file is refused below.
                    self.unattributed += 1;
                    self.fatal |= !error.is_row_error();
                    self.add_errors(vec![error.to_field_error()]);
                    if self.fatal {
                        break;
                    }
                    continue;
                }
            };
            self.report.rows += 1;
            options.progress.advance(1);
            match parse_household_row(&row, map, self.as_of) {
                Ok(staged) => self.stage(tx, &row, map, staged).await?,
                Err((household_id, errors)) => {
                    self.add_errors(errors);
                    match household_id {
                        Some(id) => self.reject(id),
                        None => self.unattributed += 1,
                    }
                }
            }
            if self.batch.len() >= STAGE_BATCH || self.rejects.len() >= STAGE_BATCH {
                self.flush(tx).await?;
            }
        }
        self.flush(tx).await?;
        if options.load_valid && self.unattributed > 0 && !self.fatal {
            self.fatal = true;
            self.add_errors(vec![FieldError::file_level(format!(
                "{} row(s) could not be attributed to a household, so --load-valid cannot tell \
                 which households are complete; fix them and import again",
                self.unattributed
            ))]);
        }
        Ok(())
    }

    /// Applies the checked file and records it; false (nothing to commit) when the final
    /// check finds a contradiction.
    pub(super) async fn apply(&mut self, ctx: &Ctx, tx: &mut Tx, path: &Path) -> Result<bool> {
        let as_of = self.as_of;
        let mut apply = Apply::new(ctx, as_of, tx).await?;
        apply.removals(tx).await?;
        apply.households(tx).await?;
        self.report.counts = apply.counts;
        let doubles = registry::moved_people_in_two_households(tx).await?;
        if let Some((id_number, first, second)) = doubles.first() {
            // Validation makes this impossible; refuse rather than store a contradiction.
            self.add_errors(vec![FieldError::file_level(format!(
                "internal check failed: {} would belong to households {first} and {second}; \
                 nothing was changed",
                mask_text(id_number)
            ))]);
            return Ok(false);
        }
        let advanced = registry::advance_village_extracts(tx, as_of).await?;
        // Every row of the file is written and the transaction is still open: the running
        // totals of the villages this import's registry events name are recomputed now (#23).
        tracing::debug!(villages = apply.changed_villages.len(), "villages changed");
        crate::totals::refresh_registry_events(tx, apply.first_seq, apply.last_seq).await?;
        let counts = self.report.counts;
        if counts.added + counts.changed + counts.removed > 0 || advanced > 0 {
            let mut entry = ctx.audit("registry.import", "households_file", &as_of.to_string());
            entry.after_json = Some(
                json!({
                    "file": self.report.file,
                    "sha256": super::super::file_sha256(path, &self.report.file)?,
                    "as_of": as_of.to_string(),
                    "rows": self.report.rows,
                    "added": counts.added,
                    "changed": counts.changed,
                    "removed": counts.removed,
                    "unchanged": counts.unchanged,
                    "refused_households": self.rejects_total(tx).await?,
                    "villages_advanced": advanced,
                    "events": apply.event_range(),
                })
                .to_string(),
            );
            audit::append(tx, &entry).await?;
        }
        Ok(true)
    }

    pub(super) fn add_errors(&mut self, errors: Vec<FieldError>) {
        for error in errors {
            if self.report.errors.len() < ERRORS_KEPT_MAX {
                self.report.errors.push(error);
            } else {
                self.report.errors_dropped += 1;
            }
        }
    }

    pub(super) fn reject(&mut self, household_id: String) {
        self.rejects.insert(household_id);
    }

    /// Checks the row's village (once per village) and queues the row for staging.
    pub(super) async fn stage(
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

    pub(super) async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        registry::stage_rows(tx, &self.batch).await?;
        self.batch.clear();
        let rejects: Vec<String> = self.rejects.drain().collect();
        registry::stage_rejects(tx, &rejects).await?;
        Ok(())
    }

    /// States what the file replaces and removes, and refuses it whole (even with load_valid)
    /// when the removals need a confirmation that was not given.
    pub(super) async fn check_removals(&mut self, tx: &mut Tx, allow_removals: bool) -> Result<()> {
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

    pub(super) async fn reject_now(
        &mut self,
        tx: &mut Tx,
        household_ids: Vec<String>,
    ) -> Result<()> {
        registry::stage_rejects(tx, &household_ids).await?;
        Ok(())
    }

    pub(super) async fn rejects_total(&self, tx: &mut Tx) -> Result<i64> {
        Ok(registry::refused_count(tx).await?)
    }
}

/// Whether a village code may receive households on `as_of`.
pub(super) async fn check_village(
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
pub(super) fn line_of(line: i64) -> u64 {
    u64::try_from(line).unwrap_or(0)
}

/// A household-level value as shown in messages.
pub(super) fn household_field(facts: &HouseholdFacts, column: &str) -> String {
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
