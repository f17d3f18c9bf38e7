//! Exit codes, the contract with CI, and the one place an error becomes one.
//! They follow Terraform's `-detailed-exitcode`.
//!
//! Commands return `Result<ExitCode, RunError>`; `main` prints a [`RunError`]
//! once ([`RunError::print`]) and exits with [`RunError::exit_code`].

use crate::desired::ConfigErrors;
use crate::diff::Difference;
use crate::finding::{self, Cause, Seen};
use crate::model::{Audit, NumberResult, Status, UnmanagedNumber};

/// What turns a warning into a failing exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// A live status other than `active` is drift (exit 2).
    pub fail_on_unhealthy: bool,
    /// An expired ignore rule is an error (exit 1).
    pub fail_on_expired_ignore: bool,
    /// A live field the schema does not know is drift (exit 2).
    pub fail_on_unknown_fields: bool,
    /// With `--deployed-ref`, a `PENDING` difference is drift too (exit 2): for a job
    /// that wants "fully deployed", not "safe to deploy".
    pub fail_on_pending: bool,
    /// `--fail-on new`: only findings the baseline did not have are drift.
    pub fail_on: FailOn,
}

/// Which findings fail the run (`--fail-on`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Every finding (drift is drift, known or not)
    #[default]
    Any,
    /// Only findings the baseline (--baseline) did not have; known ones are reported
    New,
}

impl Policy {
    /// Whether a finding with this cause and this history is drift (exit 2).
    fn finding_fails(&self, cause: Option<Cause>, seen: Option<&Seen>) -> bool {
        Cause::fails(cause, self.fail_on_pending)
            && (self.fail_on == FailOn::Any || finding::is_new(seen))
    }

    /// Whether this difference is drift (a `PENDING` one is not, unless
    /// `--fail-on-pending`; a known one is not under `--fail-on new`).
    pub fn difference_fails(&self, x: &Difference) -> bool {
        self.finding_fails(x.cause, x.seen.as_ref())
    }

    /// Whether this number's result is drift: `MODIFIED` with a difference that is,
    /// `MISSING` (unless pending or known, as for a difference), or unhealthy under
    /// `--fail-on-unhealthy`.
    pub fn result_fails(&self, r: &NumberResult) -> bool {
        match r.status {
            Status::Modified if r.differences.iter().any(|x| self.difference_fails(x)) => true,
            Status::Missing if self.finding_fails(r.cause, r.seen.as_deref()) => true,
            _ => {
                (self.fail_on_unhealthy && r.health.is_some())
                    || (self.fail_on_unknown_fields && !r.unknown_fields.is_empty())
            }
        }
    }

    /// Whether this unmanaged number is drift (under `--unmanaged fail`).
    pub fn unmanaged_fails(&self, n: &UnmanagedNumber) -> bool {
        self.finding_fails(n.cause, n.seen.as_ref())
    }

    /// The policy reports judge findings by: the same, but every finding counts,
    /// known or new (`--fail-on new` changes the exit code, not what was found).
    pub fn as_found(&self) -> Policy {
        Policy {
            fail_on: FailOn::Any,
            ..*self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every desired number is in sync.
    InSync = 0,
    /// An error: invalid desired config, a rejected key, a report that cannot be written.
    Error = 1,
    /// Drift: at least one number is modified or missing.
    Drift = 2,
    /// Incomplete: some numbers could not be checked, and the rest are in sync.
    Incomplete = 3,
    /// Usage error: an unknown flag or a bad flag value.
    Usage = 64,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit code an audit earns: a stopped run is an error; drift wins over
    /// numbers that could not be checked. Ignored differences never count. Under
    /// `--unmanaged fail`, unmanaged numbers are drift, and an org that could not
    /// be read whole is incomplete. With `--deployed-ref`, `PENDING` findings are
    /// not drift (unless `--fail-on-pending`); under `--fail-on new`, findings the
    /// baseline had are not.
    pub fn for_audit(audit: &Audit, policy: &Policy) -> ExitCode {
        let unmanaged = &audit.unmanaged;
        if audit.fatal.is_some()
            || !audit.errors.is_empty()
            || (policy.fail_on_expired_ignore && !audit.expired_rules.is_empty())
        {
            ExitCode::Error
        } else if audit.results.iter().any(|r| policy.result_fails(r))
            || (unmanaged.is_drift() && unmanaged.numbers.iter().any(|n| policy.unmanaged_fails(n)))
        {
            ExitCode::Drift
        } else if audit.results.iter().any(|r| r.status == Status::NotChecked)
            || audit.unmanaged.is_incomplete()
        {
            ExitCode::Incomplete
        } else {
            ExitCode::InSync
        }
    }

    /// The `status` word of the JSON report.
    pub fn status_word(self) -> &'static str {
        match self {
            ExitCode::InSync => "in_sync",
            ExitCode::Drift => "drifted",
            ExitCode::Incomplete => "incomplete",
            ExitCode::Error | ExitCode::Usage => "error",
        }
    }

    /// The outcome a JSON report's `status` word names (`Error` for `error`).
    pub fn from_status_word(word: &str) -> Option<ExitCode> {
        [
            ExitCode::InSync,
            ExitCode::Drift,
            ExitCode::Incomplete,
            ExitCode::Error,
        ]
        .into_iter()
        .find(|c| c.status_word() == word)
    }

    /// The outcome in words, as the text, Markdown and GitHub reports title it:
    /// `in sync`, `drift`, `incomplete`, `error`.
    pub fn verdict(self) -> &'static str {
        match self {
            ExitCode::InSync => "in sync",
            ExitCode::Drift => "drift",
            ExitCode::Incomplete => "incomplete",
            ExitCode::Error | ExitCode::Usage => "error",
        }
    }
}

impl std::fmt::Display for ExitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Flags that cannot go together, or select nothing: exit 64.
    #[error("{0}")]
    Usage(String),
    /// The desired config (or the ignore file) is invalid: each error on its own
    /// line, then what came of it (`outcome`): exit 1.
    #[error("{} error{} in {what}; {outcome}", .errors.0.len(), if .errors.0.len() == 1 { "" } else { "s" })]
    Config {
        errors: ConfigErrors,
        /// "the desired config", "the ignore rules".
        what: &'static str,
        /// "nothing was checked", "no report was written".
        outcome: &'static str,
    },
    /// Anything else that stops a command before it has a result (no API key, a
    /// rejected key, an unreadable list, a file that cannot be written): exit 1.
    #[error(transparent)]
    Setup(#[from] anyhow::Error),
}

impl RunError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            RunError::Usage(_) => ExitCode::Usage,
            RunError::Config { .. } | RunError::Setup(_) => ExitCode::Error,
        }
    }

    /// Prints the error once, on stderr.
    pub fn print(&self) {
        match self {
            RunError::Config { errors, .. } => {
                for e in &errors.0 {
                    eprintln!("error: {e}");
                }
                eprintln!("vapi-drift: {self}");
            }
            RunError::Usage(_) => eprintln!("error: {self}"),
            RunError::Setup(e) => eprintln!("error: {e:#}"),
        }
    }

    /// The error as every report lists it: each config error with its place, or one message.
    pub fn problems(&self) -> Vec<crate::model::RunProblem> {
        use crate::model::RunProblem;
        match self {
            RunError::Config { errors, .. } => errors
                .0
                .iter()
                .map(|e| RunProblem {
                    file: Some(e.file.clone()),
                    line: e.pos.map(|p| p.line),
                    column: e.pos.map(|p| p.column),
                    message: e.message.clone(),
                })
                .collect(),
            RunError::Usage(m) => vec![RunProblem::message(m.clone())],
            RunError::Setup(e) => vec![RunProblem::message(format!("{e:#}"))],
        }
    }

    /// Whether the error is only stdout closed by its reader (`vapi-drift … | head`):
    /// a quiet exit, as ripgrep does, not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            RunError::Setup(e) => e.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_class_maps_to_one_exit_code() {
        assert_eq!(RunError::Usage("x".into()).exit_code(), ExitCode::Usage);
        assert_eq!(
            RunError::Setup(anyhow::anyhow!("no key")).exit_code(),
            ExitCode::Error
        );
        let config = RunError::Config {
            errors: ConfigErrors(Vec::new()),
            what: "the desired config",
            outcome: "nothing was checked",
        };
        assert_eq!(config.exit_code(), ExitCode::Error);
    }

    #[test]
    fn a_closed_stdout_is_told_apart() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = RunError::Setup(anyhow::Error::new(pipe).context("writing the list"));
        assert!(err.is_broken_pipe());
        assert!(!RunError::Setup(anyhow::anyhow!("other")).is_broken_pipe());
    }
}
