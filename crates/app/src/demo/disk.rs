//! Whether the demo's files and database fit on their disks, checked before generating: at
//! national scale (`--scale 215`) loading takes most of a day and a SQLite database of over
//! 200 GB, and a full disk found at hour eight would waste all of it.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use fupin_store::Db;

use super::DemoOptions;
use crate::error::{AppError, Result};

const MIB: f64 = 1_048_576.0;
/// Interchange files per unit of scale: 85 MiB measured at scale 1, with a margin.
const FILES_BYTES_PER_SCALE: f64 = 100.0 * MIB;
/// A SQLite database per unit of scale: 953 MiB measured at scale 1 and 9.8 GB at scale 10
/// (half of it the audit trail), with a margin.
const SQLITE_BYTES_PER_SCALE: f64 = 1_150.0 * MIB;
/// What every scale needs whatever its size (territory, reference data, schema).
const FIXED_BYTES: f64 = 64.0 * MIB;

/// Where something will be written, how much, and what the disk under it holds free.
#[derive(Clone, Debug, PartialEq)]
pub struct Need {
    pub what: String,
    pub bytes: u64,
    /// The file system it lands on (device number) and its free bytes.
    pub device: u64,
    pub free_bytes: u64,
}

/// Refuses the run when what it will write does not fit on a disk. PostgreSQL's disk is the
/// server's and is not checked.
pub fn check(db: &Db, options: &DemoOptions) -> Result<()> {
    let mut needs = vec![need(
        format!("files in {}", options.workdir.display()),
        &options.workdir,
        bytes_at(options.scale, FILES_BYTES_PER_SCALE),
    )?];
    if let Some(file) = fupin_store::backup::sqlite_file(db.url()) {
        let bytes = bytes_at(options.scale, SQLITE_BYTES_PER_SCALE);
        needs.push(need(format!("database {}", file.display()), &file, bytes)?);
    }
    match shortfall(options.scale, &needs) {
        Some(message) => Err(AppError::field("scale", message)),
        None => Ok(()),
    }
}

/// The message refusing `needs`, when the needs of one disk together exceed its free space.
pub fn shortfall(scale: f64, needs: &[Need]) -> Option<String> {
    let mut by_device: BTreeMap<u64, (u64, u64, Vec<String>)> = BTreeMap::new();
    for need in needs {
        let entry = by_device
            .entry(need.device)
            .or_insert((0, need.free_bytes, Vec::new()));
        entry.0 = entry.0.saturating_add(need.bytes);
        entry
            .2
            .push(format!("{} {}", gigabytes(need.bytes), need.what));
    }
    let (total, free, parts) = by_device
        .into_values()
        .find(|(total, free, _)| total > free)?;
    Some(format!(
        "needs about {} of disk at scale {scale} ({}) where {} are free: choose a smaller \
         --scale, or put --workdir and --db on a larger disk",
        gigabytes(total),
        parts.join(", "),
        gigabytes(free)
    ))
}

fn bytes_at(scale: f64, per_scale: f64) -> u64 {
    // Estimates, never money: a float is the natural unit of a scale.
    (FIXED_BYTES + scale * per_scale).ceil() as u64
}

fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

fn need(what: String, path: &Path, bytes: u64) -> Result<Need> {
    let existing = existing_ancestor(path);
    let metadata = std::fs::metadata(&existing)
        .map_err(|e| AppError::Invalid(format!("cannot read {}: {e}", existing.display())))?;
    let stats = rustix::fs::statvfs(&existing).map_err(|e| {
        AppError::Invalid(format!(
            "cannot read the disk of {}: {e}",
            existing.display()
        ))
    })?;
    Ok(Need {
        what,
        bytes,
        device: metadata.dev(),
        free_bytes: stats.f_bavail.saturating_mul(stats.f_frsize),
    })
}

/// The path itself, or its nearest ancestor that exists (the current directory for a bare
/// relative name).
fn existing_ancestor(path: &Path) -> PathBuf {
    let mut probe = path;
    loop {
        if probe.exists() {
            return probe.to_path_buf();
        }
        match probe.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => probe = parent,
            _ => return PathBuf::from("."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(what: &str, gb: u64, device: u64, free_gb: u64) -> Need {
        Need {
            what: what.into(),
            bytes: gb * 1_000_000_000,
            device,
            free_bytes: free_gb * 1_000_000_000,
        }
    }

    #[test]
    fn refuses_only_a_disk_that_cannot_hold_its_share() {
        let files = need("files in w", 21, 1, 63);
        let database = need("database d.db", 247, 1, 63);
        let message = shortfall(215.0, &[files.clone(), database.clone()]).expect("refused");
        assert_eq!(
            message,
            "needs about 268.0 GB of disk at scale 215 (21.0 GB files in w, 247.0 GB \
             database d.db) where 63.0 GB are free: choose a smaller --scale, or put --workdir and --db \
             on a larger disk"
        );
        // The same needs on two disks large enough each.
        let apart = [
            need("files in w", 21, 1, 63),
            need("database d.db", 247, 2, 300),
        ];
        assert_eq!(shortfall(215.0, &apart), None);
        // Together they fit no more than apart: 21 + 40 on a disk of 63.
        let small = [
            need("files in w", 21, 1, 63),
            need("database d.db", 40, 1, 63),
        ];
        assert_eq!(shortfall(1.0, &small), None);
    }

    #[test]
    fn estimates_follow_the_scale_measured() {
        let at = |scale| bytes_at(scale, SQLITE_BYTES_PER_SCALE) as f64 / 1e9;
        assert!((1.0..1.4).contains(&at(1.0)), "{}", at(1.0));
        assert!((11.0..13.0).contains(&at(10.0)), "{}", at(10.0));
        assert_eq!(
            existing_ancestor(Path::new("no-such-dir/x")),
            PathBuf::from(".")
        );
        assert_eq!(existing_ancestor(Path::new("/")), PathBuf::from("/"));
    }

    #[test]
    fn the_disk_of_a_missing_directory_is_its_parents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("a/b");
        let found = super::need("files".into(), &missing, 1).expect("measured");
        assert!(found.free_bytes > 0);
        assert_eq!(
            found.device,
            std::fs::metadata(dir.path()).expect("dir").dev()
        );
    }
}
