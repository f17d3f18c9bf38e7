//! Progress on stderr while numbers are being read, for people at a terminal.
//!
//! Owns: the bar (indicatif), its counts, and when it shows: only when stderr is
//! a terminal (indicatif hides itself otherwise, so CI logs and tests see
//! nothing) and never under `-q`. It is cleared before the reports are written.
//!
//! Does not own: what a result is (see `audit`); it only counts them.

use crate::model::{NumberResult, Status};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct Progress {
    bar: ProgressBar,
    drifted: AtomicUsize,
    not_checked: AtomicUsize,
}

impl Progress {
    /// A bar for `total` numbers on stderr; hidden under `quiet` or off a terminal.
    pub fn new(total: usize, quiet: bool) -> Progress {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        if !bar.is_hidden() {
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} reading {pos}/{len} numbers [{bar:30}] {elapsed_precise} eta {eta} {msg}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Progress {
            bar,
            drifted: AtomicUsize::new(0),
            not_checked: AtomicUsize::new(0),
        }
    }

    /// Whether anything will be drawn.
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Counts one result.
    pub fn record(&self, result: &NumberResult) {
        match result.status {
            Status::Modified | Status::Missing => {
                self.drifted.fetch_add(1, Ordering::Relaxed);
            }
            Status::NotChecked => {
                self.not_checked.fetch_add(1, Ordering::Relaxed);
            }
            Status::InSync => {}
        }
        if !self.bar.is_hidden() {
            let drifted = self.drifted.load(Ordering::Relaxed);
            let not_checked = self.not_checked.load(Ordering::Relaxed);
            self.bar
                .set_message(format!("{drifted} drifted, {not_checked} not checked"));
        }
        self.bar.inc(1);
    }

    /// Clears the bar, so the reports start on a clean line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_is_hidden_and_still_counts() {
        let p = Progress::new(3, true);
        assert!(p.is_hidden());
        assert_eq!(p.bar.length(), Some(3));
        p.finish();
    }
}
