//! What a finding (a difference, a missing number, an unmanaged number) is *besides*
//! the finding itself: its [`Cause`] in the three-way comparison (`--deployed-ref`),
//! and when it was first seen (`--baseline`).
//!
//! A leaf: plain values, imported by `diff` and `model` alike. The words here are the
//! only wording of a cause; every report format prints them.

use serde::Serialize;
use std::fmt;

/// Why desired and live differ, judged against the desired files as last deployed
/// (`--deployed-ref`). A path where desired and live both changed to the same value
/// (converged) is not a difference at all, so it has no cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Cause {
    /// Live changed since the deploy; desired did not: production was changed
    /// behind git's back, and the next deploy would silently overwrite it.
    OutOfBand,
    /// Desired changed since the deploy; live did not: the deploy will apply it.
    Pending,
    /// Both changed since the deploy, differently: deploying would overwrite a live change.
    Conflict,
}

impl Cause {
    /// The word every format prints: `OUT_OF_BAND`, `PENDING`, `CONFLICT`.
    pub fn word(self) -> &'static str {
        match self {
            Cause::OutOfBand => "OUT_OF_BAND",
            Cause::Pending => "PENDING",
            Cause::Conflict => "CONFLICT",
        }
    }

    /// What it means, in a few words.
    pub fn phrase(self) -> &'static str {
        match self {
            Cause::OutOfBand => "changed live since the deploy",
            Cause::Pending => "waiting for the deploy",
            Cause::Conflict => "changed in git and live since the deploy",
        }
    }

    /// The cause of a difference between desired and live at one path, from whether
    /// the deployed value there equals the desired one and the live one. `None`: both
    /// equal (desired and live agree, so there is no difference to explain).
    pub fn of(deployed_is_desired: bool, deployed_is_live: bool) -> Option<Cause> {
        match (deployed_is_desired, deployed_is_live) {
            (true, true) => None,
            (true, false) => Some(Cause::OutOfBand),
            (false, true) => Some(Cause::Pending),
            (false, false) => Some(Cause::Conflict),
        }
    }

    /// Whether a finding of this cause is drift that fails the gate (exit 2).
    /// Without a cause (no `--deployed-ref`) every finding is.
    pub fn fails(cause: Option<Cause>, fail_on_pending: bool) -> bool {
        cause != Some(Cause::Pending) || fail_on_pending
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// When a finding was first seen, from the baseline (`--baseline`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// When it was first seen (RFC 3339, UTC): carried over from the baseline, or this
    /// run's time. `None`: the baseline had it but did not say since when (a report
    /// written without `--baseline`).
    pub first_seen: Option<String>,
    /// Not in the baseline.
    pub new: bool,
}

/// Whether a finding is drift under `--fail-on new`: one the baseline did not have.
/// Without a baseline, every finding is new.
pub fn is_new(seen: Option<&Seen>) -> bool {
    seen.is_none_or(|s| s.new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_a_function_of_the_three_values() {
        assert_eq!(Cause::of(true, false), Some(Cause::OutOfBand));
        assert_eq!(Cause::of(false, true), Some(Cause::Pending));
        assert_eq!(Cause::of(false, false), Some(Cause::Conflict));
        assert_eq!(Cause::of(true, true), None);
    }

    #[test]
    fn only_pending_is_spared_unless_asked() {
        assert!(Cause::fails(None, false));
        assert!(Cause::fails(Some(Cause::OutOfBand), false));
        assert!(Cause::fails(Some(Cause::Conflict), false));
        assert!(!Cause::fails(Some(Cause::Pending), false));
        assert!(Cause::fails(Some(Cause::Pending), true));
    }
}
