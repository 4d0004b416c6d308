//! The live line of a long command: the step under way, a bar when its size is known, rows
//! done and rows per second. On a terminal it is redrawn in place five times a second; in a log
//! (CI, a pipe) a plain line is written every half minute of a long step instead, so a log
//! neither fills with redraws nor goes silent for an hour.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fupin_app::progress::{Progress, Snapshot};

use crate::output::thousands;

const TERMINAL_REDRAW: Duration = Duration::from_millis(200);
const LOG_LINE_EVERY: Duration = Duration::from_secs(30);
const BAR_WIDTH: usize = 24;

/// Watches a [`Progress`] until dropped.
pub struct Ticker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    terminal: bool,
}

impl Ticker {
    pub fn spawn(progress: Progress) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let terminal = std::io::stdout().is_terminal();
        let watching = stop.clone();
        let handle = std::thread::spawn(move || watch(&progress, &watching, terminal));
        Ticker {
            stop,
            handle: Some(handle),
            terminal,
        }
    }

    /// Erases the live line so that a finished step's line can take its place.
    pub fn clear_line(&self) {
        if self.terminal {
            print!("\r\x1b[2K");
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            // Wakes the watcher now: waiting out its tick would add up to a second to every
            // command (and to the time it reports).
            handle.thread().unpark();
            handle.join().ok();
        }
        self.clear_line();
        std::io::stdout().flush().ok();
    }
}

fn watch(progress: &Progress, stop: &AtomicBool, terminal: bool) {
    let tick = if terminal {
        TERMINAL_REDRAW
    } else {
        Duration::from_secs(1)
    };
    // The step being shown, when it was first seen, and when a log line was last written.
    let mut current: Option<(u64, Instant, Instant)> = None;
    let mut previous_tick = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        // Unparked early when dropped; an early (spurious) wake only draws sooner.
        std::thread::park_timeout(tick);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        // A step first seen now began since the previous tick: its start is taken as that tick.
        let began = std::mem::replace(&mut previous_tick, Instant::now());
        let Some(snapshot) = progress.snapshot() else {
            current = None;
            continue;
        };
        let now = Instant::now();
        let (_, started, logged) = match current {
            Some(seen) if seen.0 == snapshot.step_number => seen,
            _ => (snapshot.step_number, began, now),
        };
        let seconds = now.duration_since(started).as_secs_f64();
        let mut out = std::io::stdout().lock();
        if terminal {
            write!(out, "\r\x1b[2K{}", line(&snapshot, seconds)).ok();
            out.flush().ok();
            current = Some((snapshot.step_number, started, logged));
        } else if now.duration_since(logged) >= LOG_LINE_EVERY {
            writeln!(out, "  … {}", line(&snapshot, seconds)).ok();
            current = Some((snapshot.step_number, started, now));
        } else {
            current = Some((snapshot.step_number, started, logged));
        }
    }
}

/// `name [#####-----]  45 %  123,456 / 274,000 rows  1,234 rows/s  100 s`
pub fn line(snapshot: &Snapshot, seconds: f64) -> String {
    let rate = match seconds > 0.0 {
        true => snapshot.rows as f64 / seconds,
        false => 0.0,
    };
    let done = match snapshot.total_rows {
        Some(total) if total > 0 => {
            let fraction = (snapshot.rows as f64 / total as f64).min(1.0);
            let filled = (fraction * BAR_WIDTH as f64).round() as usize;
            format!(
                "[{}{}] {:>3.0} %  {} / {} rows",
                "#".repeat(filled),
                "-".repeat(BAR_WIDTH - filled),
                fraction * 100.0,
                thousands(snapshot.rows),
                thousands(total)
            )
        }
        _ => format!("{} rows", thousands(snapshot.rows)),
    };
    format!(
        "{:<40} {done}  {} rows/s  {:.0} s",
        snapshot.name,
        thousands(rate.round() as u64),
        seconds
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rows: u64, total_rows: Option<u64>, seconds: f64, expected: &str) {
        let snapshot = Snapshot {
            step_number: 1,
            name: "import loans-001.csv".into(),
            rows,
            total_rows,
        };
        assert_eq!(line(&snapshot, seconds), expected);
    }

    #[test]
    fn the_line_shows_a_bar_only_when_the_size_is_known() {
        check(
            123_456,
            Some(246_912),
            10.0,
            "import loans-001.csv                     [############------------]  50 %  123,456 / 246,912 rows  12,346 rows/s  10 s",
        );
        check(
            1_500,
            None,
            0.0,
            "import loans-001.csv                     1,500 rows  0 rows/s  0 s",
        );
        // More rows than announced: the bar stops full.
        check(
            12,
            Some(10),
            2.0,
            "import loans-001.csv                     [########################] 100 %  12 / 10 rows  6 rows/s  2 s",
        );
    }
}
