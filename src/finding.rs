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

/// What a finding is: a difference at a path (`NOT_EQUAL`, `ADD`, `REMOVE`), or a
/// whole number (`MISSING` live, or live and `UNMANAGED`). The words here are the only
/// wording of a finding's kind: `diff::Change`, the baseline's keys and every report
/// take them from [`Kind::word`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    NotEqual,
    Add,
    Remove,
    Missing,
    Unmanaged,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::NotEqual,
        Kind::Add,
        Kind::Remove,
        Kind::Missing,
        Kind::Unmanaged,
    ];

    /// The word every format prints: `NOT_EQUAL`, `ADD`, `REMOVE`, `MISSING`, `UNMANAGED`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::NotEqual => "NOT_EQUAL",
            Kind::Add => "ADD",
            Kind::Remove => "REMOVE",
            Kind::Missing => "MISSING",
            Kind::Unmanaged => "UNMANAGED",
        }
    }

    /// The kind a word names (as a report wrote it).
    pub fn from_word(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.word() == word)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// The domain a fingerprint is hashed in: the same in every report (so fingerprints
/// of two runs compare), and this purpose's only, so a fingerprint is not the bare
/// SHA-256 of a value that a precomputed table of common values would hold.
const FINGERPRINT_DOMAIN: &[u8] = b"vapi-drift/finding-fingerprint/v1\0";

/// The fingerprint of a difference's values (`--baseline`): the SHA-256, in the
/// domain above, of the canonical JSON (object keys sorted) of `[expected, actual]`
/// as compared (normalized), in lower-case hex. A known finding whose live value
/// changed again is new drift. Secrets are fingerprinted too and never printed: the
/// hash is one-way, and the README says a report stores it.
pub fn fingerprint(
    expected: Option<&serde_json::Value>,
    actual: Option<&serde_json::Value>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut text = String::from("[");
    canonical(expected.unwrap_or(&serde_json::Value::Null), &mut text);
    text.push(',');
    canonical(actual.unwrap_or(&serde_json::Value::Null), &mut text);
    text.push(']');
    let mut hash = Sha256::new();
    hash.update(FINGERPRINT_DOMAIN);
    hash.update(text.as_bytes());
    hash.finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// JSON with every object's keys in sorted order (the documents keep their order).
fn canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&o[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
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
    fn kinds_round_trip_through_their_words() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_word(k.word()), Some(k));
        }
        assert_eq!(Kind::from_word("MODIFIED"), None);
    }

    #[test]
    fn fingerprints_ignore_key_order_and_tell_values_apart() {
        use serde_json::json;
        let a = fingerprint(Some(&json!({"a": 1, "b": 2})), Some(&json!("x")));
        let b = fingerprint(Some(&json!({"b": 2, "a": 1})), Some(&json!("x")));
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            fingerprint(Some(&json!({"a": 1, "b": 2})), Some(&json!("y")))
        );
        assert_ne!(
            fingerprint(None, Some(&json!("x"))),
            fingerprint(Some(&json!("x")), None)
        );
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
