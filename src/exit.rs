//! Exit codes, the contract with CI. They follow Terraform's `-detailed-exitcode`.

use crate::audit::{Audit, Status};

/// What turns a warning into a failing exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// A live status other than `active` is drift (exit 2).
    pub fail_on_unhealthy: bool,
    /// An expired ignore rule is an error (exit 1).
    pub fail_on_expired_ignore: bool,
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
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit code an audit earns: a stopped run is an error; drift wins over
    /// numbers that could not be checked. Ignored differences never count. Under
    /// `--unmanaged fail`, unmanaged numbers are drift, and an org that could not
    /// be read whole is incomplete.
    pub fn for_audit(audit: &Audit, policy: &Policy) -> ExitCode {
        if audit.fatal.is_some()
            || (policy.fail_on_expired_ignore && !audit.expired_rules.is_empty())
        {
            ExitCode::Error
        } else if audit.results.iter().any(|r| {
            matches!(r.status, Status::Modified | Status::Missing)
                || (policy.fail_on_unhealthy && r.health.is_some())
        }) || audit.unmanaged.is_drift()
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
