//! Exit codes, the contract with CI. They follow Terraform's `-detailed-exitcode`.

use crate::audit::{Audit, Status};

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
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit code an audit earns: a stopped run is an error; drift wins over
    /// numbers that could not be checked. Under `--unmanaged fail`, unmanaged
    /// numbers are drift, and an org that could not be read whole is incomplete.
    pub fn for_audit(audit: &Audit) -> ExitCode {
        if audit.fatal.is_some() {
            ExitCode::Error
        } else if audit
            .results
            .iter()
            .any(|r| matches!(r.status, Status::Modified | Status::Missing))
            || audit.unmanaged.is_drift()
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
}
