//! Backing up and restoring the embedded (SQLite) database.
//!
//! A backup is an online copy (`VACUUM INTO`): the server and other writers carry on, and the
//! copy is the database as of one commit. It is written next to its final name, checked, and
//! only then renamed into place, so a file with the backup's name is always a complete one.
//!
//! A restore never trusts the file it is given: it copies it next to the database, checks the
//! copy (a Fupin schema this build knows, SQLite's integrity check, an intact audit chain, a
//! consistent ledger), and only then renames it over the database — keeping the database it
//! replaces beside it. The server must be stopped first; a server holding the file open is
//! detected and refused, but one whose connections are all idle may not be (see
//! [`fupin_store::backup::sqlite_file_in_use`]).
//!
//! PostgreSQL is backed up and restored with `pg_dump`/`pg_restore` (see `docs/backup.md`).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use fupin_store::backup::{self, SchemaState};
use fupin_store::ledger::LedgerCheck;
use fupin_store::{Db, Engine, audit};
use serde_json::json;

use crate::context::{Ctx, Role};
use crate::error::{AppError, Result};

/// Where the PostgreSQL procedure is described.
pub const POSTGRES_PROCEDURE: &str = "PostgreSQL is backed up with pg_dump and restored with \
     pg_restore, not with fupin: `pg_dump --format=custom --file=fupin.dump URL`; to restore, \
     stop the server, `pg_restore --exit-on-error --no-owner --dbname=NEW_EMPTY_DB_URL \
     fupin.dump`, check it with `fupin audit verify` and `fupin ledger check` (see \
     docs/backup.md)";

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// What checking a database found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub schema: SchemaState,
    /// Problems `PRAGMA integrity_check` reported.
    pub integrity_problems: Vec<String>,
    pub audit_records: i64,
    pub audit_problems: Vec<String>,
    pub ledger: LedgerCheck,
}

impl Verification {
    /// Every reason not to trust the database, in words; empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.schema.failed.is_empty() {
            problems.push(format!(
                "migrations {:?} failed part-way: the schema is half-built",
                self.schema.failed
            ));
        }
        if self.schema.latest_applied() > self.schema.latest_known {
            problems.push(format!(
                "it was made by a newer Fupin (schema version {}, this build knows up to {})",
                self.schema.latest_applied(),
                self.schema.latest_known
            ));
        }
        for problem in &self.integrity_problems {
            problems.push(format!("SQLite integrity check: {problem}"));
        }
        for problem in &self.audit_problems {
            problems.push(format!("audit trail: {problem}"));
        }
        for mismatch in &self.ledger.mismatches {
            problems.push(format!(
                "ledger: {}: stored debits {} credits {}, transfers give debits {} credits {}",
                mismatch.what,
                mismatch.stored.debits,
                mismatch.stored.credits,
                mismatch.recomputed.debits,
                mismatch.recomputed.credits
            ));
        }
        if self.ledger.mismatches_unlisted > 0 {
            problems.push(format!(
                "ledger: {} more mismatches, not listed",
                self.ledger.mismatches_unlisted
            ));
        }
        for account in &self.ledger.overdrawn {
            problems.push(format!("ledger: account {account} is overdrawn"));
        }
        if self.ledger.debits_total != self.ledger.credits_total {
            problems.push(format!(
                "ledger: debits {} differ from credits {}",
                self.ledger.debits_total, self.ledger.credits_total
            ));
        }
        problems
    }

    pub fn is_sound(&self) -> bool {
        self.problems().is_empty()
    }
}

/// Checks that `db` is a Fupin database and that nothing in it is inconsistent: the schema
/// table, SQLite's integrity check, the audit chain and the ledger.
pub async fn verify_database(db: &Db) -> Result<Verification> {
    let schema = backup::schema_state(db).await?.ok_or_else(|| {
        AppError::Invalid(
            "not a Fupin database: it has no _sqlx_migrations table (no schema was ever \
             created in it)"
                .into(),
        )
    })?;
    let integrity_problems = backup::integrity_problems(db).await?;
    let audit = audit::verify(db).await?;
    let ledger = fupin_store::ledger::check(db).await?;
    Ok(Verification {
        schema,
        integrity_problems,
        audit_records: audit.records,
        audit_problems: audit.problems.iter().map(ToString::to_string).collect(),
        ledger,
    })
}

/// What a backup wrote.
#[derive(Clone, Debug)]
pub struct BackupSummary {
    pub file: PathBuf,
    pub bytes: u64,
    /// The checks made on the copy, unless skipped.
    pub verification: Option<Verification>,
}

/// Writes an online, consistent copy of the SQLite database to `file`, which must not exist.
/// With `verify`, the copy is checked like a restore would check it before it gets its name.
/// Appends a `database.backup` audit record to the database that was copied.
pub async fn backup(db: &Db, ctx: &Ctx, file: &Path, verify: bool) -> Result<BackupSummary> {
    require_operator(ctx)?;
    if db.engine() != Engine::Sqlite {
        return Err(AppError::Invalid(POSTGRES_PROCEDURE.into()));
    }
    let label = file.display().to_string();
    let file_error = |message: String| AppError::File {
        path: label.clone(),
        message,
    };
    if file.exists() {
        return Err(file_error(
            "already exists: a backup never overwrites a file; choose a new name".into(),
        ));
    }
    let partial = with_suffix(file, ".partial");
    let partial_text = partial
        .to_str()
        .ok_or_else(|| file_error("the path is not valid UTF-8".into()))?
        .to_string();
    remove_sqlite_files(&partial).map_err(|e| file_error(e.to_string()))?;
    let written = write_copy(db, &partial, &partial_text, verify).await;
    let verification = match written {
        Ok(verification) => verification,
        Err(error) => {
            remove_sqlite_files(&partial).ok();
            return Err(error);
        }
    };
    std::fs::rename(&partial, file).map_err(|e| file_error(format!("cannot rename: {e}")))?;
    sync_parent(file).map_err(|e| file_error(e.to_string()))?;
    let bytes = std::fs::metadata(file)
        .map_err(|e| file_error(e.to_string()))?
        .len();
    let mut tx = db.write().await?;
    let mut entry = ctx.audit("database.backup", "database", &label);
    entry.after_json = Some(
        json!({
            "file": label,
            "bytes": bytes,
            "verified": verification.is_some(),
            "audit_records": verification.as_ref().map(|v| v.audit_records),
            "transfers": verification.as_ref().map(|v| v.ledger.transfers),
        })
        .to_string(),
    );
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    Ok(BackupSummary {
        file: file.to_path_buf(),
        bytes,
        verification,
    })
}

async fn write_copy(
    db: &Db,
    partial: &Path,
    partial_text: &str,
    verify: bool,
) -> Result<Option<Verification>> {
    let label = partial.display().to_string();
    backup::vacuum_into(db, partial_text).await?;
    File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| AppError::File {
            path: label.clone(),
            message: e.to_string(),
        })?;
    if !verify {
        return Ok(None);
    }
    let verification = verify_file(partial).await?;
    let problems = verification.problems();
    if !problems.is_empty() {
        return Err(AppError::Invalid(format!(
            "the copy fails its checks, so no backup was written: {}",
            problems.join("; ")
        )));
    }
    Ok(Some(verification))
}

/// Opens a SQLite file without migrating it, verifies it, and closes it again, leaving no
/// `-wal` or `-shm` file behind.
async fn verify_file(path: &Path) -> Result<Verification> {
    let db = Db::connect(&sqlite_url(path)).await?;
    let verification = verify_database(&db).await;
    db.close().await;
    let wal = with_suffix(path, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(AppError::File {
            path: wal.display().to_string(),
            message: "a write-ahead log was left behind after checking the copy".into(),
        });
    }
    for suffix in ["-wal", "-shm"] {
        std::fs::remove_file(with_suffix(path, suffix)).ok();
    }
    verification
}

/// What a restore did.
#[derive(Clone, Debug)]
pub struct RestoreSummary {
    pub target: PathBuf,
    /// Where the database that was replaced is kept (none when there was none).
    pub kept: Option<PathBuf>,
    /// The checks made on the backup before it replaced the database.
    pub verification: Verification,
}

/// Replaces the SQLite database of `target_url` with the backup `file`, after checking that the
/// backup is a sound Fupin database. The database replaced is kept as
/// `<database>.before-restore-<kept_suffix>`. Appends a `database.restore` audit record to the
/// restored database (after migrating it, if the backup is from an older version).
pub async fn restore(
    target_url: &str,
    ctx: &Ctx,
    file: &Path,
    kept_suffix: &str,
) -> Result<RestoreSummary> {
    require_operator(ctx)?;
    if Engine::of_url(target_url)? != Engine::Sqlite {
        return Err(AppError::Invalid(POSTGRES_PROCEDURE.into()));
    }
    let target = backup::sqlite_file(target_url).ok_or_else(|| {
        AppError::Invalid(format!(
            "{target_url}: not a database file (an in-memory database cannot be restored)"
        ))
    })?;
    let label = file.display().to_string();
    let backup_error = |message: String| AppError::File {
        path: label.clone(),
        message,
    };
    check_is_sqlite_file(file).map_err(backup_error)?;
    if same_file(file, &target) {
        return Err(backup_error(
            "is the database itself: restore from a copy".into(),
        ));
    }
    let target_label = target.display().to_string();
    let target_error = |message: String| AppError::File {
        path: target_label.clone(),
        message,
    };

    // Check a private copy next to the database, so that the final step is one rename.
    let stage = with_suffix(&target, ".restoring");
    remove_sqlite_files(&stage).map_err(|e| target_error(e.to_string()))?;
    std::fs::copy(file, &stage)
        .and_then(|_| File::open(&stage).and_then(|f| f.sync_all()))
        .map_err(|e| target_error(format!("cannot copy the backup next to it: {e}")))?;
    let verification = match verify_file(&stage).await {
        Ok(verification) => verification,
        Err(error) => {
            remove_sqlite_files(&stage).ok();
            return Err(match error {
                AppError::Invalid(message) => backup_error(message),
                AppError::Store(store) => backup_error(format!("cannot be read: {store}")),
                other => other,
            });
        }
    };
    let problems = verification.problems();
    if !problems.is_empty() {
        remove_sqlite_files(&stage).ok();
        return Err(backup_error(format!(
            "refused, the database was not touched: {}",
            problems.join("; ")
        )));
    }

    let kept = match target.exists() {
        true => Some(set_aside(&target, kept_suffix).await.inspect_err(|_| {
            remove_sqlite_files(&stage).ok();
        })?),
        false => None,
    };
    std::fs::rename(&stage, &target).map_err(|e| target_error(format!("cannot replace: {e}")))?;
    sync_parent(&target).map_err(|e| target_error(e.to_string()))?;

    let db = Db::open(target_url).await?;
    let mut tx = db.write().await?;
    let mut entry = ctx.audit("database.restore", "database", &target_label);
    entry.after_json = Some(
        json!({
            "from": label,
            "schema_version": verification.schema.latest_applied(),
            "audit_records": verification.audit_records,
            "transfers": verification.ledger.transfers,
            "kept": kept.as_ref().map(|p| p.display().to_string()),
        })
        .to_string(),
    );
    audit::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(fupin_store::StoreError::from)?;
    db.close().await;
    Ok(RestoreSummary {
        target,
        kept,
        verification,
    })
}

/// Refuses when the database is open elsewhere, then keeps it (a hard link, else a copy) as
/// `<database>.before-restore-<suffix>`.
async fn set_aside(target: &Path, suffix: &str) -> Result<PathBuf> {
    let label = target.display().to_string();
    let target_error = |message: String| AppError::File {
        path: label.clone(),
        message,
    };
    if backup::sqlite_file_in_use(target).await? {
        return Err(target_error(
            "is open by another process (a running `fupin serve`?): stop it, then restore".into(),
        ));
    }
    // Closing the probe above folded any log a crashed process left into the file.
    let wal = with_suffix(target, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(target_error(
            "its write-ahead log is still in use: stop every process using the database".into(),
        ));
    }
    for suffix in ["-wal", "-shm"] {
        std::fs::remove_file(with_suffix(target, suffix)).ok();
    }
    let kept = with_suffix(target, &format!(".before-restore-{suffix}"));
    if kept.exists() {
        return Err(target_error(format!(
            "{} already exists: wait a second and try again",
            kept.display()
        )));
    }
    if std::fs::hard_link(target, &kept).is_err() {
        std::fs::copy(target, &kept)
            .and_then(|_| File::open(&kept).and_then(|f| f.sync_all()))
            .map_err(|e| target_error(format!("cannot keep a copy before restoring: {e}")))?;
    }
    Ok(kept)
}

fn require_operator(ctx: &Ctx) -> Result<()> {
    match ctx.actor.role {
        Role::Operator => Ok(()),
        _ => Err(AppError::Forbidden(
            "backups and restores are made on the server, by its operator".into(),
        )),
    }
}

fn check_is_sqlite_file(path: &Path) -> std::result::Result<(), String> {
    let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("is not a file".into());
    }
    let mut start = Vec::with_capacity(SQLITE_MAGIC.len());
    File::open(path)
        .and_then(|f| f.take(SQLITE_MAGIC.len() as u64).read_to_end(&mut start))
        .map_err(|e| e.to_string())?;
    if start != SQLITE_MAGIC {
        return Err(
            "is not a SQLite database (a Fupin backup is one; a PostgreSQL dump is restored \
             with pg_restore)"
                .into(),
        );
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `path` with `suffix` appended to its file name (`fupin.db` → `fupin.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a SQLite file and its `-wal`/`-shm` companions, if present.
fn remove_sqlite_files(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        match std::fs::remove_file(with_suffix(path, suffix)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    Ok(())
}

/// A `sqlite:` URL for a path, escaping what the URL parser would read as syntax.
fn sqlite_url(path: &Path) -> String {
    let text = path.display().to_string();
    let escaped = text
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("sqlite:{escaped}")
}

/// Makes a rename in the file's directory durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => File::open(parent)?.sync_all(),
        None => File::open(".")?.sync_all(),
    }
}
