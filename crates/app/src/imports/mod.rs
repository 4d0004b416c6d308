//! Importing the interchange files of FORMATS.md: one driver, one [`Importer`] per file kind.
//!
//! An import reads the file once, streaming, inside one write transaction: each row is parsed
//! into domain types and applied (added, changed or left alone, with an audit record per
//! change); rules that span rows (duplicates, parents, overlaps) are checked as rows arrive or at
//! the end. If any row is refused — or the user asked for a dry run — the transaction is rolled
//! back, so a file with errors changes nothing. Memory holds the keys seen so far (for
//! duplicates) and at most one batch of rows ([`Importer::BATCH_ROWS`]), which an importer may
//! check and write with a few statements for the whole batch.

pub mod co_borrowers;
pub mod credit;
mod fields;
pub mod funds;
pub mod guarantees;
pub mod insurance;
pub mod loans;
pub mod registry;
pub mod returns;
pub mod territory;
pub mod upload;

use std::path::Path;

use fupin_store::{Db, Tx};

use crate::context::Ctx;
use crate::error::{AppError, Result};
use crate::ingest::{self, Column, FieldError, HeaderMap, Limits, RawRow};
use crate::progress::Progress;

/// What the user asked of an import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Validate everything, report, and change nothing.
    pub dry_run: bool,
    /// Accept columns the format does not define (they are ignored).
    pub ignore_unknown_columns: bool,
    /// Load the rows that are valid and report the others (only for kinds that support it).
    pub load_valid: bool,
    /// Households files: apply removals that need confirmation ([`Removals::unconfirmed`]).
    pub allow_removals: bool,
    pub limits: Limits,
    /// Counts the rows read, for a display on another thread.
    pub progress: Progress,
    /// The name the user knows the file by, for messages (an upload's own name, not the
    /// temporary path it is read from); default: the path.
    pub file_name: Option<String>,
}

impl ImportOptions {
    /// Opens the file of an import, named as the user knows it; a file that cannot be read at
    /// all is an error naming it once.
    pub fn open(&self, path: &Path, sheet_hint: &str) -> Result<ingest::RowSource> {
        let label = match &self.file_name {
            Some(name) => name.clone(),
            None => path.display().to_string(),
        };
        ingest::open_as(path, &label, sheet_hint, &self.limits).map_err(|error| AppError::File {
            path: error.file().to_string(),
            message: error.without_file(),
        })
    }
}

/// How many records an import added, changed, removed, and found already as in the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub removed: u64,
}

/// The outcome of an import, whether or not it was applied.
#[derive(Clone, Debug)]
pub struct ImportReport {
    pub kind: &'static str,
    pub file: String,
    /// `CSV` or `XLSX`.
    pub format: &'static str,
    /// The detected text encoding, e.g. `GB18030`.
    pub encoding: &'static str,
    /// Data rows read.
    pub rows: u64,
    /// Row errors, in file order, capped at [`ERRORS_KEPT_MAX`].
    pub errors: Vec<FieldError>,
    /// Errors beyond the cap, counted only.
    pub errors_dropped: u64,
    pub counts: ImportCounts,
    /// Whether the changes were committed.
    pub applied: bool,
    /// Households files: what the file replaces and which households it removes (also when
    /// refused, once the file could be checked).
    pub removals: Option<Removals>,
}

pub use fupin_store::registry::{RemovedHousehold, ReplacedVillage};

/// What a households file replaces and removes. The file replaces every village in which it
/// lists a household: households registered there that it does not list are removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removals {
    /// The villages replaced, in code order.
    pub villages: Vec<ReplacedVillage>,
    /// The households removed, in id order, with their heads' names; the first
    /// [`REMOVALS_LISTED_MAX`].
    pub households: Vec<RemovedHousehold>,
}

/// Removed households listed in a report at most; beyond this they are only counted.
pub const REMOVALS_LISTED_MAX: usize = 100_000;

/// Removals up to this share of the replaced villages' households, in hundredths of a percent,
/// are ordinary churn; more need confirmation.
const REMOVALS_UNCONFIRMED_MAX_HUNDREDTHS: u64 = 100;

impl Removals {
    /// Households removed in all.
    pub fn total(&self) -> u64 {
        self.villages.iter().map(|v| non_negative(v.removed)).sum()
    }

    /// Households registered in the replaced villages before the import.
    pub fn registered(&self) -> u64 {
        self.villages
            .iter()
            .map(|v| non_negative(v.registered))
            .sum()
    }

    /// Why the removals must be confirmed (`allow_removals`), if they must: they exceed 1 % of
    /// the households registered in the replaced villages, or the file covers a village only in
    /// part (it removes at least as many of the village's households as it lists there).
    pub fn unconfirmed(&self) -> Option<String> {
        let (total, registered) = (self.total(), self.registered());
        if total == 0 {
            return None;
        }
        let confirm = "nothing was imported; check that the file is the whole extract of these \
                       villages, and confirm the removals to apply them (--allow-removals; on \
                       the imports page, \"allow removals\")";
        if let Some(village) = self
            .villages
            .iter()
            .find(|v| v.removed > 0 && v.removed >= v.listed)
        {
            return Some(format!(
                "the file covers only part of village {}: it lists {} household(s) there and \
                 would remove the other {} of its {} ({}); {confirm}",
                village.village_code,
                village.listed,
                village.removed,
                village.registered,
                self.names(Some(village))
            ));
        }
        let hundredths = total * 10_000 / registered.max(1);
        (hundredths > REMOVALS_UNCONFIRMED_MAX_HUNDREDTHS).then(|| {
            format!(
                "the file would remove {total} of the {registered} households registered in the \
                 {} village(s) it replaces ({}.{:02} %, more than 1 %: {}); {confirm}",
                self.villages.len(),
                hundredths / 100,
                hundredths % 100,
                self.names(None)
            )
        })
    }

    /// The first removed households (of one village, or of all) as `H03 王五`, for messages.
    fn names(&self, village: Option<&ReplacedVillage>) -> String {
        const NAMED: usize = 10;
        let mut names: Vec<String> = self
            .households
            .iter()
            .filter(|h| village.is_none_or(|v| v.village_code == h.village_code))
            .take(NAMED)
            .map(|h| format!("{} {}", h.household_id, h.head_name))
            .collect();
        let total = village.map_or(self.total(), |v| non_negative(v.removed));
        if total > NAMED as u64 {
            names.push(format!("and {} more", total - NAMED as u64));
        }
        names.join(", ")
    }
}

fn non_negative(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl ImportReport {
    pub fn error_count(&self) -> u64 {
        self.errors.len() as u64 + self.errors_dropped
    }
}

/// Errors kept in memory for the report; beyond this they are only counted.
pub const ERRORS_KEPT_MAX: usize = 100_000;

/// Whether institutions exist, each read once per import (imports of these kinds add none).
#[derive(Default)]
pub struct KnownInstitutions(std::collections::HashMap<String, bool>);

impl KnownInstitutions {
    pub async fn exists(&mut self, tx: &mut Tx, code: &str) -> Result<bool> {
        if let Some(known) = self.0.get(code) {
            return Ok(*known);
        }
        let exists = fupin_store::institutions::get_in(tx, code).await?.is_some();
        self.0.insert(code.to_string(), exists);
        Ok(exists)
    }
}

/// The keys of a file seen so far, each with the line it was first given on, to name a key
/// given twice. A key is kept as 128 bits of its SHA-256: 24 bytes with its line, where two
/// strings in a map took about 200 (a file of 1.9 million repayments peaked at 541 MiB). A
/// false "appears twice" needs two keys of one file to share those 128 bits: for ten million
/// rows the odds are about one in 10^24.
#[derive(Debug, Default)]
pub struct SeenKeys(std::collections::HashMap<[u64; 2], u64>);

impl SeenKeys {
    /// Records the key made of `parts` on `line`; returns the line it was first given on, if it
    /// was given before.
    pub fn first_line(&mut self, parts: &[&str], line: u64) -> Option<u64> {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in parts {
            // Each part's length first, so that ("ab", "c") and ("a", "bc") differ.
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let word = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&digest[at..at + 8]);
            u64::from_le_bytes(bytes)
        };
        match self.0.entry([word(0), word(8)]) {
            std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(line);
                None
            }
        }
    }
}

pub use crate::outcome::Applied;

/// What applying one record did, or why it was refused.
pub type RowOutcome = std::result::Result<Applied, Vec<FieldError>>;

/// One kind of interchange file.
pub trait Importer {
    /// The file kind, as in FORMATS.md and `fupin import <kind>`.
    const KIND: &'static str;
    /// Its columns, English name and Chinese alias.
    const COLUMNS: &'static [Column];
    /// Whether the import reads the tables it fills as it goes, so that on PostgreSQL each
    /// statement must be planned for them as they are ([`fupin_store::db::plan_each_statement`]).
    const GROWS_WHAT_IT_READS: bool = false;
    /// A row parsed into domain types.
    type Record;

    /// Parses one row; every problem becomes a field error. Pure: no database.
    fn parse(
        &self,
        row: &RawRow,
        map: &HeaderMap,
    ) -> std::result::Result<Self::Record, Vec<FieldError>>;

    /// Checks a parsed record against what is stored and what came earlier in the file, and
    /// writes it. Row-level refusals are returned as `Ok(Err(..))`; database failures as `Err`.
    fn apply(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        line: u64,
        record: Self::Record,
    ) -> impl Future<Output = Result<std::result::Result<Applied, Vec<FieldError>>>> + Send;

    /// Rows handed to [`Importer::apply_batch`] at once.
    const BATCH_ROWS: usize = 1;

    /// [`Importer::apply`] for several records in file order, with one result each in the
    /// same order: an importer that can check and write a batch in a few statements does so
    /// here.
    fn apply_batch(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
        batch: Vec<(u64, Self::Record)>,
    ) -> impl Future<Output = Result<Vec<RowOutcome>>> + Send
    where
        Self: Send,
        Self::Record: Send,
    {
        async move {
            let mut outcomes = Vec::with_capacity(batch.len());
            for (line, record) in batch {
                outcomes.push(self.apply(tx, ctx, line, record).await?);
            }
            Ok(outcomes)
        }
    }

    /// Checks that span the whole file, after the last row.
    fn finish(
        &mut self,
        tx: &mut Tx,
        ctx: &Ctx,
    ) -> impl Future<Output = Result<Vec<FieldError>>> + Send;
}

/// Runs an import of `path` with `importer`.
pub async fn run<I: Importer + Send>(
    db: &Db,
    ctx: &Ctx,
    path: &Path,
    options: &ImportOptions,
    mut importer: I,
) -> Result<ImportReport>
where
    I::Record: Send,
{
    let mut source = options.open(path, I::KIND)?;
    let mut report = ImportReport {
        kind: I::KIND,
        file: source.file().to_string(),
        format: source.format(),
        encoding: source.encoding(),
        rows: 0,
        errors: Vec::new(),
        errors_dropped: 0,
        counts: ImportCounts::default(),
        applied: false,
        removals: None,
    };
    let map = match source.map_columns(I::COLUMNS, options.ignore_unknown_columns) {
        Ok(map) => map,
        Err(errors) => {
            add_errors(&mut report, errors);
            return Ok(report);
        }
    };
    let mut tx = db.write().await?;
    fupin_store::db::defer_foreign_keys(&mut tx).await?;
    if I::GROWS_WHAT_IT_READS {
        fupin_store::db::plan_each_statement(&mut tx).await?;
    }
    let mut batch = Vec::with_capacity(I::BATCH_ROWS);
    for row in source.by_ref() {
        let row = match row {
            Ok(row) => row,
            Err(error) if error.is_row_error() => {
                add_errors(&mut report, vec![error.to_field_error()]);
                continue;
            }
            Err(error) => {
                add_errors(&mut report, vec![error.to_field_error()]);
                break;
            }
        };
        report.rows += 1;
        options.progress.advance(1);
        let record = match importer.parse(&row, &map) {
            Ok(record) => record,
            Err(errors) => {
                add_errors(&mut report, errors);
                continue;
            }
        };
        batch.push((row.line, record));
        if batch.len() >= I::BATCH_ROWS {
            let full = std::mem::take(&mut batch);
            apply_batch(&mut importer, &mut tx, ctx, full, &mut report).await?;
        }
    }
    apply_batch(&mut importer, &mut tx, ctx, batch, &mut report).await?;
    let errors = importer.finish(&mut tx, ctx).await?;
    add_errors(&mut report, errors);
    let accept = report.error_count() == 0 || options.load_valid;
    if accept && !options.dry_run {
        let counts = report.counts;
        // A file that changed nothing leaves no trace, as a write that changes nothing.
        if counts.added + counts.changed + counts.removed > 0 {
            let entry = file_entry(ctx, &report, &file_sha256(path, &report.file)?);
            fupin_store::audit::append(&mut tx, &entry).await?;
        }
        db.commit_bulk(tx).await?;
        report.applied = true;
    } else {
        tx.rollback().await.map_err(fupin_store::StoreError::from)?;
    }
    report.errors.sort_by_key(|error| error.line);
    Ok(report)
}

/// The audit record of an applied file, after the batch records of its rows: which file (its
/// name, SHA-256 and kind) the rows came from and what it did. With the batches' keys it answers
/// "which file wrote this row", and the hash proves which bytes it was.
fn file_entry(ctx: &Ctx, report: &ImportReport, sha256: &str) -> fupin_store::audit::AuditEntry {
    let mut entry = ctx.audit("import.file", "import_file", &report.file);
    let counts = &report.counts;
    entry.after_json = Some(
        serde_json::json!({
            "kind": report.kind,
            "file": report.file,
            "sha256": sha256,
            "rows": report.rows,
            "added": counts.added,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "removed": counts.removed,
            "refused_rows": report.error_count(),
        })
        .to_string(),
    );
    entry
}

/// The SHA-256 of the file at `path` (known to the user as `label`), in hex, read in 64 KiB
/// pieces.
pub(crate) fn file_sha256(path: &Path, label: &str) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let unreadable = |e: std::io::Error| AppError::File {
        path: label.to_string(),
        message: e.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).map_err(unreadable)?;
        if read == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..read]);
    }
}

/// Applies a batch of parsed records and counts what each did.
async fn apply_batch<I: Importer + Send>(
    importer: &mut I,
    tx: &mut Tx,
    ctx: &Ctx,
    batch: Vec<(u64, I::Record)>,
    report: &mut ImportReport,
) -> Result<()>
where
    I::Record: Send,
{
    if batch.is_empty() {
        return Ok(());
    }
    for outcome in importer.apply_batch(tx, ctx, batch).await? {
        match outcome {
            Ok(applied) => count(&mut report.counts, applied),
            Err(errors) => add_errors(report, errors),
        }
    }
    Ok(())
}

fn count(counts: &mut ImportCounts, applied: Applied) {
    match applied {
        Applied::Added => counts.added += 1,
        Applied::Changed => counts.changed += 1,
        Applied::Unchanged => counts.unchanged += 1,
    }
}

fn add_errors(report: &mut ImportReport, errors: Vec<FieldError>) {
    for error in errors {
        if report.errors.len() < ERRORS_KEPT_MAX {
            report.errors.push(error);
        } else {
            report.errors_dropped += 1;
        }
    }
}

/// Writes the error report of an import (CSV, UTF-8 with BOM).
pub fn write_errors(report: &ImportReport, path: &Path) -> Result<()> {
    ingest::write_error_report(path, &report.errors).map_err(|error| AppError::File {
        path: path.display().to_string(),
        message: error.to_string(),
    })
}

/// Collects the errors of parsing several cells of one row, keeping the values that parsed.
#[derive(Default)]
pub struct RowErrors(pub Vec<FieldError>);

impl RowErrors {
    /// The value, or `None` after recording its error.
    pub fn take<T>(&mut self, result: std::result::Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::SeenKeys;

    #[test]
    fn a_key_given_again_names_the_line_it_was_first_given_on() {
        let mut seen = SeenKeys::default();
        let lines: Vec<Option<u64>> = [
            (["PYRCB", "R1"], 2),
            (["PYRCB", "R2"], 3),
            (["ABC", "R1"], 4),
            (["PYRCB", "R1"], 5),
            (["PYRCB", "R1"], 6),
            (["PYRC", "BR1"], 7),
        ]
        .iter()
        .map(|(key, line)| seen.first_line(key, *line))
        .collect();
        assert_eq!(lines, [None, None, None, Some(2), Some(2), None]);
    }
}
