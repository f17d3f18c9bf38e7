//! The nouns every stage reads: the result of one desired number ([`NumberResult`],
//! its [`Status`] and, when it was not checked, its [`Reason`]), the [`Audit`] of a
//! run, and what the org holds beyond the desired files ([`Unmanaged`]).
//!
//! A leaf: it imports only the value types of the stages upstream (a desired
//! number, a difference, an ignore rule) and nothing that imports it back. The
//! words here (`IN_SYNC`, the reasons) are the only wording of these nouns: every
//! report format and `explain` print them through `Display`.

use crate::desired::DesiredNumber;
use crate::diff::Difference;
use crate::finding::{Cause, Seen};
use crate::ignore::{Ignored, Rule};
use crate::pointer::Pointer;
use serde_json::Value;
use std::fmt;

/// What the audit found for one desired number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    InSync,
    Modified,
    Missing,
    NotChecked,
}

impl Status {
    /// The word every format and `explain` print.
    pub fn word(self) -> &'static str {
        match self {
            Status::InSync => "IN_SYNC",
            Status::Modified => "MODIFIED",
            Status::Missing => crate::finding::Kind::Missing.word(),
            Status::NotChecked => "NOT_CHECKED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// Why a desired number was not checked: one wording each, used by every format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The run's `--deadline` passed before the number was read.
    Deadline,
    /// The run stopped (the key was rejected, another org, the API unreachable)
    /// before the number was read; why is the audit's `fatal`, said once.
    Stopped,
    /// The answer for this number is what stopped the run (the audit's `fatal`).
    Stopping,
    /// The run failed before the number was read (the audit's `errors`).
    NotRun,
    /// Reading it failed (after the retries): the fetch error.
    Fetch(String),
    /// The list it was to be found in could not be read.
    ListUnread(String),
    /// No `id`, and the list of live numbers was not read.
    NoIdUnlisted,
    /// No listed number has its lookup key, but the list may be incomplete.
    NotFoundInPartialList { key: String, why: String },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Deadline => {
                f.write_str("deadline: the run's --deadline passed before this number was read")
            }
            Reason::Stopped => {
                f.write_str("run stopped before this number was read (see the run's error)")
            }
            Reason::Stopping => f.write_str("its answer stopped the run (see the run's error)"),
            Reason::NotRun => {
                f.write_str("the run failed before this number was read (see the run's errors)")
            }
            Reason::Fetch(why) => f.write_str(why),
            Reason::ListUnread(why) => {
                write!(f, "the list of live numbers could not be read: {why}")
            }
            Reason::NoIdUnlisted => {
                f.write_str("no \"id\" and the list of live numbers was not read")
            }
            Reason::NotFoundInPartialList { key, why } => write!(
                f,
                "no live number has {key}, but the list read may be incomplete: {why}"
            ),
        }
    }
}

/// A field the live number has that the schema does not know: never a difference,
/// reported apart (`--fail-on-unknown-fields` makes it drift).
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownField {
    pub path: Pointer,
    /// The live value, secrets inside it masked; `None` when the field itself
    /// looks like a credential (its name says secret, token, password, key…).
    pub value: Option<Value>,
}

impl UnknownField {
    /// The value as every format prints it: JSON, or `<sensitive>`.
    pub fn shown(&self) -> String {
        match &self.value {
            Some(v) => v.to_string(),
            None => crate::secret::MASK.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NumberResult {
    pub desired: DesiredNumber,
    pub status: Status,
    pub differences: Vec<Difference>,
    /// Unified diff of the canonical renderings, secrets masked; empty when in sync.
    pub diff: String,
    /// Why the number was not checked (`NotChecked` only). Boxed, as `seen` is: a
    /// result is held from its compare to the report, and most have neither.
    pub reason: Option<Box<Reason>>,
    /// Secret fields the desired document sets that the API did not return (or returned masked).
    pub unverifiable: Vec<Pointer>,
    /// The live `status` when it is not `active`.
    pub health: Option<String>,
    /// Differences an ignore rule suppressed (they never change the status or exit code).
    pub ignored: Vec<Ignored>,
    /// Live fields the schema does not know (not compared).
    pub unknown_fields: Vec<UnknownField>,
    /// `MISSING` with `--deployed-ref`: `OUT_OF_BAND` when the deployed files had the
    /// number (it was deleted live), `PENDING` when they did not (the deploy creates it).
    pub cause: Option<Cause>,
    /// `MISSING` with `--baseline`: when it was first seen.
    pub seen: Option<Box<Seen>>,
}

impl NumberResult {
    /// A result with nothing found yet: in sync, no differences. The number's
    /// labels (id, name, number) that came from `${VAR}` are masked: reports print them.
    pub fn empty(mut desired: DesiredNumber) -> NumberResult {
        if !desired.interpolated.is_empty() {
            let inter = &desired.interpolated;
            let secret = |key: &str, v: &Option<Box<str>>| {
                v.as_deref().is_some_and(|s| {
                    inter.values.iter().any(|x| s.contains(x.as_str()))
                        || inter.paths.iter().any(|p| p.segments() == [key])
                })
            };
            let mask: Option<Box<str>> = Some(crate::secret::MASK.into());
            if secret("name", &desired.name) {
                desired.name = mask.clone();
            }
            if secret("number", &desired.number) {
                desired.number = mask.clone();
            }
            if secret("id", &desired.id) {
                desired.id = mask;
            }
        }
        NumberResult {
            desired,
            status: Status::InSync,
            differences: Vec::new(),
            diff: String::new(),
            reason: None,
            unverifiable: Vec::new(),
            health: None,
            ignored: Vec::new(),
            unknown_fields: Vec::new(),
            cause: None,
            seen: None,
        }
    }

    pub fn missing(desired: DesiredNumber) -> NumberResult {
        NumberResult {
            status: Status::Missing,
            ..NumberResult::empty(desired)
        }
    }

    pub fn not_checked(desired: DesiredNumber, reason: Reason) -> NumberResult {
        NumberResult {
            status: Status::NotChecked,
            reason: Some(Box::new(reason)),
            ..NumberResult::empty(desired)
        }
    }

    /// Whether a report should mention this number: not in sync, or in sync with a
    /// warning (a secret that could not be verified, a live status that is not
    /// `active`) or with differences an ignore rule suppressed.
    pub fn worth_reporting(&self) -> bool {
        self.status != Status::InSync
            || !self.unverifiable.is_empty()
            || self.health.is_some()
            || !self.ignored.is_empty()
    }

    /// Lets go of what no report reads of a number it does not mention (see
    /// [`NumberResult::worth_reporting`]): the desired document and its source map.
    /// The labels, file and line stay. A result is held from its compare to the
    /// report, and these are most of its memory (~0.5 KB a number); call it only
    /// once the result is final (nothing compares the number again).
    pub fn shed(&mut self) {
        if !self.worth_reporting() {
            self.desired.body = None;
        }
    }

    /// Why it was not checked, as every format says it.
    pub fn reason_text(&self) -> String {
        self.reason
            .as_ref()
            .map_or_else(|| "unknown reason".to_string(), ToString::to_string)
    }

    /// Whether the deadline left this number unread.
    pub fn missed_deadline(&self) -> bool {
        self.reason.as_deref() == Some(&Reason::Deadline)
    }

    /// Whether it was not checked for a reason of the whole run (stopped, or
    /// failed): reports say that reason once, not once per number.
    pub fn stopped_with_run(&self) -> bool {
        matches!(
            self.reason.as_deref(),
            Some(Reason::Stopped | Reason::Stopping | Reason::NotRun)
        )
    }
}

/// An error of the run rather than of one number: a config error (with its file,
/// line and column), a missing or rejected key, an API that cannot be reached, a
/// report that cannot be written. Every report lists each once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunProblem {
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl RunProblem {
    /// An error with no place in a file.
    pub fn message(message: impl Into<String>) -> RunProblem {
        RunProblem {
            file: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RunProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(col)) => {
                write!(f, "{file}:{line}:{col}: {}", self.message)
            }
            (Some(file), Some(line), None) => write!(f, "{file}:{line}: {}", self.message),
            (Some(file), None, _) => write!(f, "{file}: {}", self.message),
            (None, _, _) => f.write_str(&self.message),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub results: Vec<Box<NumberResult>>,
    /// Set when the run was stopped (the key was rejected): the reason.
    pub fatal: Option<String>,
    /// Errors that kept the run from checking (config errors, no key): when
    /// there are some, the results are every desired number loaded, not checked
    /// ([`Reason::NotRun`]); none when the desired config did not load.
    pub errors: Vec<RunProblem>,
    /// Ignore rules that suppressed nothing in this run.
    pub unused_rules: Vec<Rule>,
    /// Ignore rules past their expiry date (they suppressed nothing).
    pub expired_rules: Vec<Rule>,
    /// Live numbers no desired document describes (see `inventory`).
    pub unmanaged: Unmanaged,
    /// The org the live numbers read belong to (their `orgId`), when one was read.
    pub org: Option<String>,
    /// The three-way comparison (`--deployed-ref`), when asked for.
    pub deployed: Option<DeployedRef>,
    /// The comparison with an earlier report (`--baseline`), when asked for.
    pub baseline: Option<BaselineOutcome>,
}

impl Audit {
    /// Every difference of every number, with its number.
    pub fn differences(&self) -> impl Iterator<Item = (&NumberResult, &Difference)> {
        self.results
            .iter()
            .flat_map(|r| r.differences.iter().map(move |x| (&**r, x)))
    }
}

/// The desired files as last deployed (`--deployed-ref`), as the audit used them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedRef {
    /// The revision as the user named it (`vapi-deployed`).
    pub reference: String,
    /// The commit it names.
    pub commit: String,
    /// Numbers the deployed files declare that the desired files no longer do (in
    /// the selection): the deploy will delete them. Sorted by file and line.
    pub removed: Vec<RemovedNumber>,
}

/// A number the deployed files declare and the desired files no longer do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemovedNumber {
    pub id: Option<String>,
    pub name: Option<String>,
    pub number: Option<String>,
    /// `REF:path` of the file that declared it, and the document's first line.
    pub file: String,
    pub line: u32,
}

impl RemovedNumber {
    /// How reports name it: its name, else its number, else its id, else where it was.
    pub fn label(&self) -> String {
        crate::desired::label(
            self.name.as_deref(),
            self.number.as_deref(),
            self.id.as_deref(),
            &self.file,
            self.line,
        )
    }
}

/// What this run found compared with the baseline (`--baseline`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineOutcome {
    /// The baseline file as named on the command line.
    pub file: String,
    /// Findings of this run the baseline did not have.
    pub new: usize,
    /// Findings of this run the baseline had.
    pub known: usize,
    /// Findings of the baseline this run looked for and did not find.
    pub resolved: Vec<BaselineFinding>,
    /// Findings of the baseline this run could not look for (the number was not
    /// checked, or the unmanaged list could not be read whole): neither resolved nor
    /// confirmed, and carried over so that a later run keeps their `first_seen`.
    pub unconfirmed: Vec<BaselineFinding>,
}

/// One finding as a baseline keeps it: the number (its id, else its number, else
/// its lookup key), the path, the type and the fingerprint are its key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct BaselineFinding {
    pub number: String,
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// A difference's fingerprint (`finding::fingerprint`); none for a missing or
    /// unmanaged number, or in a baseline written before fingerprints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub first_seen: Option<String>,
}

/// What unmanaged numbers do to the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnmanagedMode {
    /// List them in the reports; the exit code does not change
    Report,
    /// List them, and count them as drift (exit 2)
    Fail,
    /// Do not look for them
    Ignore,
}

/// A live number no desired document describes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnmanagedNumber {
    pub id: String,
    pub number: Option<String>,
    pub name: Option<String>,
    pub provider: String,
    pub created_at: Option<String>,
    /// What a desired document without an id would find it by (`lookup::live_keys`):
    /// how `--deployed-ref` tells whether the deployed files declared it.
    #[serde(skip)]
    pub keys: Vec<crate::lookup::LookupKey>,
    /// With `--deployed-ref`: `PENDING` when the deployed files declare it (the deploy
    /// deletes it), `OUT_OF_BAND` when they do not (created by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// With `--baseline`: when it was first seen.
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub seen: Option<Seen>,
}

impl UnmanagedNumber {
    pub fn of(live: &Value) -> UnmanagedNumber {
        let text = |k: &str| live.get(k).and_then(Value::as_str).map(str::to_string);
        UnmanagedNumber {
            id: text("id").unwrap_or_default(),
            number: text("number"),
            name: text("name"),
            provider: text("provider").unwrap_or_default(),
            created_at: text("createdAt"),
            keys: crate::lookup::live_keys(live),
            cause: None,
            seen: None,
        }
    }

    /// How reports name it: its number, else its name, else its id.
    pub fn label(&self) -> String {
        self.number
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.id.clone())
    }

    /// What every report says after the label:
    /// ` "Hand-made" (vonage, id …, created …)`.
    pub fn details(&self) -> String {
        let name = self
            .name
            .as_deref()
            .filter(|_| self.number.is_some())
            .map(|name| format!(" \"{name}\""))
            .unwrap_or_default();
        let created = self
            .created_at
            .as_deref()
            .map(|c| format!(", created {c}"))
            .unwrap_or_default();
        format!("{name} ({}, id {}{created})", self.provider, self.id)
    }
}

/// Whether unmanaged numbers were looked for, and how far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnmanagedCheck {
    /// The whole org was read: `numbers` is every unmanaged number.
    Complete,
    /// Part of the org may not have been read (why): `numbers` may miss some.
    Incomplete(String),
    /// Not looked for (why).
    Skipped(String),
}

impl UnmanagedCheck {
    /// The JSON report's word.
    pub fn word(&self) -> &'static str {
        match self {
            UnmanagedCheck::Complete => "complete",
            UnmanagedCheck::Incomplete(_) => "incomplete",
            UnmanagedCheck::Skipped(_) => "skipped",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            UnmanagedCheck::Complete => None,
            UnmanagedCheck::Incomplete(r) | UnmanagedCheck::Skipped(r) => Some(r),
        }
    }
}

/// What an audit found beyond the desired numbers.
#[derive(Debug, Clone)]
pub struct Unmanaged {
    pub mode: UnmanagedMode,
    pub check: UnmanagedCheck,
    /// Sorted by number, then id.
    pub numbers: Vec<UnmanagedNumber>,
}

impl Default for Unmanaged {
    fn default() -> Self {
        Unmanaged::skipped(UnmanagedMode::Ignore, "not looked for")
    }
}

impl Unmanaged {
    pub fn skipped(mode: UnmanagedMode, why: &str) -> Unmanaged {
        Unmanaged {
            mode,
            check: UnmanagedCheck::Skipped(why.into()),
            numbers: Vec::new(),
        }
    }

    /// `--unmanaged fail` and there are some: drift.
    pub fn is_drift(&self) -> bool {
        self.mode == UnmanagedMode::Fail && !self.numbers.is_empty()
    }

    /// `--unmanaged fail` and the org could not be read whole: incomplete.
    pub fn is_incomplete(&self) -> bool {
        self.mode == UnmanagedMode::Fail && self.check != UnmanagedCheck::Complete
    }
}
