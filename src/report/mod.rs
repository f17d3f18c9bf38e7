//! Reports: one file per format, each a pure function of the audit.
//!
//! Owns: the formats, the summary every format shows, and writing
//! report files atomically (a temporary file in the same folder, then rename), so a
//! crash never leaves half a report.

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use crate::atomic_file::write_atomically_with;
use crate::diff::{Change, Difference};
use crate::exit::{ExitCode, Policy};
use crate::finding::{Cause, Seen};
use crate::model::{Audit, NumberResult, RunProblem, Status};
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY` and pull request comments.
    Markdown,
    /// JUnit XML for test-report tabs (GitLab, Jenkins, GitHub reporter actions).
    Junit,
    /// GitHub Actions workflow commands: annotations on the desired YAML lines.
    Github,
}

impl Format {
    pub const ALL: [(&'static str, Format); 5] = [
        ("text", Format::Text),
        ("json", Format::Json),
        ("markdown", Format::Markdown),
        ("junit", Format::Junit),
        ("github", Format::Github),
    ];

    pub fn render(self, report: &Report, color: bool) -> String {
        match self {
            Format::Text => text::render(report, color),
            Format::Json => {
                let mut bytes = Vec::new();
                json::write(report, &mut bytes).expect("writing to a Vec cannot fail");
                String::from_utf8(bytes).expect("serde_json writes UTF-8")
            }
            Format::Markdown => markdown::render(report),
            Format::Junit => junit::render(report),
            Format::Github => github::render(report),
        }
    }

    /// Writes the report to `w`. JSON is written as it is made (at 100,000 numbers
    /// it is about 50 MB); the other formats are rendered first.
    pub fn write(self, report: &Report, color: bool, w: &mut dyn Write) -> std::io::Result<()> {
        match self {
            Format::Json => json::write(report, w),
            other => w.write_all(other.render(report, color).as_bytes()),
        }
    }

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .expect("every format is listed in Format::ALL")
    }
}

/// Where one report goes: `path` `None` is stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Everything a report format needs.
pub struct Report<'a> {
    pub audit: &'a Audit,
    /// What the audit earned.
    pub outcome: ExitCode,
    /// What the process exits with (0 under `--exit-zero`).
    pub exit_code: ExitCode,
    /// What turned warnings into failures (the formats that fail things say so).
    pub policy: Policy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub desired: usize,
    /// Numbers whose live state was read: in sync, modified or missing.
    pub checked: usize,
    pub in_sync: usize,
    pub modified: usize,
    pub missing: usize,
    pub not_checked: usize,
    /// Live numbers no desired document describes (0 when they were not looked for).
    pub unmanaged: usize,
    /// Live fields the schema does not know, over every number (never differences).
    pub unknown_fields: usize,
    /// With `--deployed-ref`: findings (differences, missing and unmanaged numbers)
    /// by cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_band: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<usize>,
    /// With `--deployed-ref`: numbers the deploy deletes (deployed, no longer desired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletions: Option<usize>,
    /// With `--baseline`: findings the baseline did not have, findings it had, and
    /// findings it had that this run looked for and did not find.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<usize>,
}

impl Report<'_> {
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            desired: self.audit.results.len(),
            unmanaged: self.audit.unmanaged.numbers.len(),
            ..Summary::default()
        };
        for r in &self.audit.results {
            s.unknown_fields += r.unknown_fields.len();
            match r.status {
                Status::InSync => s.in_sync += 1,
                Status::Modified => s.modified += 1,
                Status::Missing => s.missing += 1,
                Status::NotChecked => s.not_checked += 1,
            }
        }
        s.checked = s.in_sync + s.modified + s.missing;
        if let Some(d) = &self.audit.deployed {
            let mut by_cause = [0usize; 3];
            let causes = self
                .audit
                .differences()
                .map(|(_, x)| x.cause)
                .chain(self.audit.results.iter().map(|r| r.cause))
                .chain(self.audit.unmanaged.numbers.iter().map(|n| n.cause));
            for cause in causes.flatten() {
                by_cause[cause as usize] += 1;
            }
            s.out_of_band = Some(by_cause[Cause::OutOfBand as usize]);
            s.pending = Some(by_cause[Cause::Pending as usize]);
            s.conflict = Some(by_cause[Cause::Conflict as usize]);
            s.pending_deletions = Some(d.removed.len());
        }
        if let Some(b) = &self.audit.baseline {
            s.new = Some(b.new);
            s.known = Some(b.known);
            s.resolved = Some(b.resolved.len());
        }
        s
    }

    /// Whether this difference is drift as found (`PENDING` is not, unless
    /// `--fail-on-pending`; known or new alike).
    pub fn difference_fails(&self, x: &Difference) -> bool {
        self.policy.as_found().difference_fails(x)
    }

    /// Whether this number's result is drift as found (see [`Policy::result_fails`]).
    pub fn result_fails(&self, r: &NumberResult) -> bool {
        self.policy.as_found().result_fails(r)
    }
}

/// What reports print after a finding: ` OUT_OF_BAND`, ` NEW`, ` known since …`, or
/// nothing, from its cause and its history.
pub fn tags(cause: Option<Cause>, seen: Option<&Seen>) -> String {
    let mut out = String::new();
    if let Some(c) = cause {
        out.push_str(&format!(" [{c}]"));
    }
    match seen {
        Some(Seen { new: true, .. }) => out.push_str(" [NEW]"),
        Some(Seen {
            new: false,
            first_seen: Some(when),
        }) => out.push_str(&format!(" [known since {when}]")),
        Some(Seen {
            new: false,
            first_seen: None,
        }) => out.push_str(" [known]"),
        None => {}
    }
    out
}

impl Report<'_> {
    /// Every error of the run, each once: why it stopped, then the errors that
    /// kept it from checking (config errors with their place, a missing key).
    pub fn run_errors(&self) -> Vec<RunProblem> {
        let mut all: Vec<RunProblem> = self
            .audit
            .fatal
            .iter()
            .map(|r| RunProblem::message(r.clone()))
            .collect();
        all.extend(self.audit.errors.iter().cloned());
        all
    }

    /// Whether no desired number was loaded: the desired config has errors.
    pub fn nothing_loaded(&self) -> bool {
        self.audit.results.is_empty() && !self.audit.errors.is_empty()
    }

    /// The one line every format says for the numbers not checked for a reason of
    /// the whole run (`None` when there are none), instead of once per number.
    pub fn stopped_line(&self) -> Option<String> {
        let n = self
            .audit
            .results
            .iter()
            .filter(|r| r.stopped_with_run())
            .count();
        if n == 0 {
            return None;
        }
        let (numbers, were) = if n == 1 {
            ("desired number", "was")
        } else {
            ("desired numbers", "were")
        };
        let why = if self.audit.fatal.is_some() {
            "the run stopped before they were read (see the run's error)"
        } else {
            "the run failed before they were read (see the run's errors)"
        };
        Some(format!("{n} {numbers} {were} not checked: {why}"))
    }
}

impl NumberResult {
    /// The line of the desired file a difference concerns: the line of its key; for
    /// `ADD` (only live has it), of the nearest parent key the file has. A list item
    /// only live is never the desired item at the same index (hooks are matched by
    /// event, so `/hooks/0` may be a different hook), so it points at its list.
    pub fn line_of(&self, x: &Difference) -> u32 {
        let map = self.desired.source_map();
        let list_item = x.path.last().is_some_and(|s| s.parse::<usize>().is_ok());
        match x.change {
            Change::Add if list_item || !map.contains(&x.path) => map.line(&x.path.parent()),
            _ => map.line(&x.path),
        }
    }
}

/// One field the schema does not know, as the run summarizes it: its path, its
/// value as shown (`<sensitive>` for a credential-like field) and on how many
/// numbers it has that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownGroup {
    pub path: String,
    pub value: String,
    pub numbers: usize,
}

impl UnknownGroup {
    /// `/isDeleted = false (3 numbers)`: every format's wording.
    pub fn line(&self) -> String {
        format!(
            "{} = {} ({} number{})",
            self.path,
            self.value,
            self.numbers,
            if self.numbers == 1 { "" } else { "s" }
        )
    }
}

/// What every format says of the fields the schema does not know, before the list.
pub const UNKNOWN_FIELDS_NOTE: &str = "live fields the schema does not know (not compared; --fail-on-unknown-fields makes them drift)";

impl Report<'_> {
    /// The fields the schema does not know, once per run: grouped by path and
    /// value, sorted (a Vapi release that adds a field to every number is one line).
    pub fn unknown_groups(&self) -> Vec<UnknownGroup> {
        let mut groups: std::collections::BTreeMap<(String, String), usize> = Default::default();
        for r in &self.audit.results {
            for u in &r.unknown_fields {
                *groups.entry((u.path.to_string(), u.shown())).or_default() += 1;
            }
        }
        groups
            .into_iter()
            .map(|((path, value), numbers)| UnknownGroup {
                path,
                value: if value.chars().count() > 120 {
                    format!("{}...", value.chars().take(117).collect::<String>())
                } else {
                    value
                },
                numbers,
            })
            .collect()
    }

    /// Whether this number's unknown fields fail the run (`--fail-on-unknown-fields`).
    pub fn unknown_fails(&self, r: &NumberResult) -> bool {
        self.policy.fail_on_unknown_fields && !r.unknown_fields.is_empty()
    }

    /// Whether this number's live status fails the run (`--fail-on-unhealthy`).
    pub fn unhealthy_fails(&self, r: &NumberResult) -> bool {
        self.policy.fail_on_unhealthy && r.health.is_some()
    }
}

/// A value as one line of JSON (secrets already masked by the caller), cut to at
/// most `max` characters with `...` so one huge value cannot swamp a report.
pub fn one_line(value: Option<&Value>, max: usize) -> Option<String> {
    let text = serde_json::to_string(value?).expect("a JSON value always serialises");
    if text.chars().count() > max {
        let cut: String = text.chars().take(max.saturating_sub(3)).collect();
        Some(format!("{cut}..."))
    } else {
        Some(text)
    }
}

/// Writes every output; files atomically. Stdout outputs are written first, in
/// order. A file that cannot be written does not stop the others: its error is returned.
pub fn write_all(outputs: &[Output], report: &Report, stdout_color: bool) -> Vec<String> {
    let mut errors = Vec::new();
    for out in outputs {
        match &out.path {
            None => {
                let mut stdout = std::io::BufWriter::new(anstream::stdout());
                if let Err(e) = out
                    .format
                    .write(report, stdout_color, &mut stdout)
                    .and_then(|_| stdout.flush())
                    // Its reader went away (`| head`): nobody is left to tell.
                    && e.kind() != std::io::ErrorKind::BrokenPipe
                {
                    errors.push(format!(
                        "cannot write the {} report to stdout: {e}",
                        out.format.name()
                    ));
                }
            }
            Some(path) => {
                if let Err(e) = write_atomically_with(path, |w| out.format.write(report, false, w))
                {
                    errors.push(format!("cannot write report {}: {e}", path.display()));
                }
            }
        }
    }
    errors
}

/// The file outputs whose folder does not take a new file (checked by creating and
/// removing a temporary file there), so the exit code is known before reports say it.
pub fn unwritable(outputs: &[Output]) -> Vec<PathBuf> {
    outputs
        .iter()
        .filter_map(|o| o.path.as_ref())
        .filter(|path| {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            tempfile::Builder::new()
                .prefix(".vapi-drift-")
                .tempfile_in(dir)
                .is_err()
                || path.is_dir()
        })
        .cloned()
        .collect()
}
