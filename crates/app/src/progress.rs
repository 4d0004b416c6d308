//! Live progress of a long job: the job names its step and counts rows; a display on another
//! thread reads the count whenever it likes. The job never waits for the display, and nothing
//! here reads the clock (the display times the steps it sees).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A shared counter; clones share it. The default one is watched by nobody.
#[derive(Clone, Default)]
pub struct Progress(Arc<Shared>);

#[derive(Default)]
struct Shared {
    step: Mutex<StepState>,
    rows: AtomicU64,
}

#[derive(Clone, Default)]
struct StepState {
    /// Changes with every step started, so a display can tell two steps of one name apart.
    number: u64,
    /// Empty between steps.
    name: String,
    total_rows: Option<u64>,
}

/// What a display reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub step_number: u64,
    pub name: String,
    pub rows: u64,
    /// The rows the step expects, when known (a file's data rows, the days to close).
    pub total_rows: Option<u64>,
}

impl Progress {
    /// Starts a step: the count goes back to zero.
    pub fn start(&self, name: &str, total_rows: Option<u64>) {
        let mut step = self.step();
        step.number += 1;
        step.name = name.to_string();
        step.total_rows = total_rows;
        self.0.rows.store(0, Ordering::Relaxed);
    }

    /// Counts rows done in the current step.
    pub fn advance(&self, rows: u64) {
        self.0.rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Ends the current step: a display shows nothing until the next one starts.
    pub fn finish(&self) {
        self.step().name.clear();
    }

    /// The current step, or `None` between steps.
    pub fn snapshot(&self) -> Option<Snapshot> {
        let step = self.step().clone();
        (!step.name.is_empty()).then(|| Snapshot {
            step_number: step.number,
            name: step.name,
            rows: self.0.rows.load(Ordering::Relaxed),
            total_rows: step.total_rows,
        })
    }

    fn step(&self) -> std::sync::MutexGuard<'_, StepState> {
        // A display that panicked mid-read leaves the state whole: the data is plain values.
        self.0.step.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Progress").field(&self.snapshot()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_counts_from_zero_and_clones_share_the_count() {
        let progress = Progress::default();
        assert_eq!(progress.snapshot(), None);
        progress.start("import a.csv", Some(10));
        let seen_by_display = progress.clone();
        progress.advance(3);
        progress.advance(4);
        assert_eq!(
            seen_by_display.snapshot(),
            Some(Snapshot {
                step_number: 1,
                name: "import a.csv".into(),
                rows: 7,
                total_rows: Some(10),
            })
        );
        progress.start("import a.csv", None);
        let second = seen_by_display.snapshot().expect("a step");
        assert_eq!((second.step_number, second.rows), (2, 0));
        progress.finish();
        assert_eq!(seen_by_display.snapshot(), None);
    }
}
