//! The command line. Doc comments here are the `--help` text.

use crate::exit::FailOn;
use crate::inventory::FetchMode;
use crate::model::UnmanagedMode;
use crate::report::{Format, Output};
use crate::select::parse_glob;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

const EXIT_CODES: &str = "\
Exit codes:
  0   every desired number is in sync
  1   error: invalid desired config, rejected API key, a report that cannot be written
  2   drift: at least one number is modified or missing (with --deployed-ref: out of
      band or in conflict; with --fail-on new: not in the baseline)
  3   incomplete: some numbers could not be checked, the rest are in sync
  64  usage error: unknown flag or bad flag value

The API key is read from the VAPI_API_KEY environment variable only.";

/// Audit Vapi phone numbers for configuration drift against desired YAML.
#[derive(Debug, Parser)]
#[command(name = "vapi-drift", version = env!("VAPI_DRIFT_VERSION"), after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare the desired phone numbers with the live ones (read-only)
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Validate desired YAML and the ignore file offline: syntax, schema, ${VAR} interpolation (no API key needed)
    Validate(ValidateArgs),
    /// Write one desired YAML file per live number (the way in for an org that has numbers already)
    #[command(after_help = EXPORT_EXIT_CODES)]
    Export(ExportArgs),
    /// Show everything behind one number's verdict: desired, live, normalization, ignore rules
    Explain(ExplainArgs),
    /// Print the JSON Schema of a desired document (for editors: completion and checks as you type)
    Schema,
    /// Decide what the nightly workflow does with its GitHub issue (open, update, comment,
    /// close, nothing) from a check's reports; writes the body and comment for `gh`
    Alert(AlertArgs),
    /// Run `check` on desired/ against a built-in stand-in of the Vapi API (no key, no network)
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Desired YAML files or folders (searched recursively for *.yaml and *.yml)
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
    /// Do not require the ${VAR}s to be set (their values go unchecked, everything else
    /// is checked): for pull requests, which have no secrets
    #[arg(long)]
    pub allow_unset_env: bool,
    /// Ignore rules to check too (default: .vapi-drift-ignore.yaml in the working
    /// folder, when present), as `check` reads them
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Report format and destination, FORMAT[=PATH]; repeatable. Formats: text, json, markdown, junit, github.
    /// PATH "-" or none is stdout (at most one report to stdout). Default: text to stdout
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=PATH]", value_parser = parse_output)]
    pub outputs: Vec<Output>,
    /// Write the reports but exit 0 whatever they say (errors still exit 1)
    #[arg(long)]
    pub exit_zero: bool,
}

/// The flags of every command that reads the API.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// API base URL (EU organisations: https://api.eu.vapi.ai)
    #[arg(long, env = "VAPI_BASE_URL", default_value = crate::vapi::client::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// The org the API key must belong to: a live number of another org stops the
    /// run (exit 1), so a wrong key cannot read as "every number is missing"
    #[arg(long, env = "VAPI_ORG_ID", value_name = "ORG_ID")]
    pub expect_org: Option<String>,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

#[derive(Debug, Args, Clone)]
pub struct FetchArgs {
    /// Fetch at most this many numbers at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Per-request timeout in seconds, body included
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = positive_seconds)]
    pub timeout: f64,
    /// Retries after the first attempt, on 429, 5xx, timeouts and connection errors
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub max_retries: u32,
    /// Longest wait between two attempts in seconds (caps Retry-After)
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = positive_seconds)]
    pub max_retry_wait: f64,
    /// Send at most R requests per second, retries included (a token bucket with a
    /// burst of at most R), to stay under the org's API rate limit. Default: unlimited
    #[arg(long, value_name = "R", value_parser = positive_rps)]
    pub rps: Option<f64>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Desired YAML files or folders (searched recursively for *.yaml and *.yml)
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Stop reading after this long (e.g. 90s, 10m, 1h30m): numbers not read by then
    /// are NOT_CHECKED with reason "deadline", requests in flight are cancelled, and
    /// every report is still written
    #[arg(long, value_name = "DURATION", value_parser = parse_deadline)]
    pub deadline: Option<Duration>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub inventory: InventoryArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// No progress on stderr (it only shows on a terminal anyway); warnings and errors still print
    #[arg(short, long)]
    pub quiet: bool,
}

/// The deploy gate and known drift: what a difference is compared with besides live.
#[derive(Debug, Args, Clone)]
pub struct GateArgs {
    /// The git revision (a tag such as vapi-deployed, a branch, a commit) that holds the
    /// desired files as last deployed: each difference gets a cause, OUT_OF_BAND (changed
    /// live since the deploy), PENDING (changed in git, waiting for the deploy) or
    /// CONFLICT (both), and only OUT_OF_BAND and CONFLICT exit 2
    #[arg(long, value_name = "REF")]
    pub deployed_ref: Option<String>,
    /// With --deployed-ref: PENDING differences exit 2 too (for "fully deployed")
    #[arg(long, requires = "deployed_ref")]
    pub fail_on_pending: bool,
    /// An earlier JSON report: each finding is marked new or known, with when it was
    /// first seen, and the findings it had that are gone are listed as resolved
    #[arg(long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// Which findings exit 2: any, or only those the baseline (--baseline) did not have
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
}

#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// Ignore rules (default: .vapi-drift-ignore.yaml in the working folder, when present)
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
    /// Exit 1 when an ignore rule has expired
    #[arg(long)]
    pub fail_on_expired_ignore: bool,
    /// Exit 2 when a live number's status is not "active" (activating, blocked)
    #[arg(long)]
    pub fail_on_unhealthy: bool,
}

/// Which header values are secrets, beyond the built-in rule.
#[derive(Debug, Args, Clone, Default)]
pub struct SecretArgs {
    /// A header (webhook or SIP) whose value is a secret: masked in every report and
    /// written as a ${VAR} by export; repeatable, case-insensitive. Built in: names
    /// containing auth, key, token, secret, pass, signature, cookie, credential,
    /// session or jwt (also `secret_headers:` in the ignore file)
    #[arg(long, value_name = "NAME")]
    pub secret_header: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AlertArgs {
    /// The check's JSON report (-o json=PATH)
    #[arg(long, value_name = "PATH")]
    pub report: PathBuf,
    /// The check's Markdown report (-o markdown=PATH): the issue's body
    #[arg(long, value_name = "PATH")]
    pub markdown: PathBuf,
    /// The open issues, as `gh issue list --state open --label vapi-drift --json
    /// number,title` prints them
    #[arg(long, value_name = "PATH")]
    pub issues: PathBuf,
    /// The issue's title; stable, as the issue is found by it
    #[arg(long, default_value = "vapi-drift: configuration drift")]
    pub title: String,
    /// A link to the run, added to the body and the comments
    #[arg(long, value_name = "URL")]
    pub run_url: Option<String>,
    /// Folder to write the decision into: action, issue, title, body.md, comment.md
    #[arg(long, value_name = "DIR", default_value = "alert")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The number to explain: its id, its number, or its name in the desired files
    pub target: String,
    /// Desired YAML files or folders (searched recursively for *.yaml and *.yml)
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Ignore rules (default: .vapi-drift-ignore.yaml in the working folder, when present)
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

#[derive(Debug, Args, Clone)]
pub struct InventoryArgs {
    /// How live numbers are read: auto takes whichever needs fewer requests, and the
    /// list whenever unmanaged numbers are looked for or a desired number has no id;
    /// list reads the whole org (1000 numbers a request); get sends one GET per
    /// desired number
    #[arg(long, value_enum, default_value_t = FetchMode::Auto)]
    pub fetch: FetchMode,
    /// Live numbers that no desired document describes: report lists them, fail also
    /// counts them as drift (exit 2), ignore does not look for them. Default: report
    /// when the paths are folders (the whole desired set); when a path is a file,
    /// they are not looked for unless this flag says so
    #[arg(long, value_enum)]
    pub unmanaged: Option<UnmanagedMode>,
    /// A live number that may be unmanaged: GLOB over its number, name or id; repeatable
    #[arg(long, value_name = "GLOB", value_parser = parse_glob)]
    pub allow_unmanaged: Vec<String>,
    /// Audit only the numbers that match GLOB: over number, name, id and source
    /// file; repeatable (any may match). Live numbers outside are not unmanaged
    #[arg(long, value_name = "GLOB", value_parser = parse_glob)]
    pub only: Vec<String>,
    /// Leave out the numbers that match GLOB (number, name, id, source file); repeatable
    #[arg(long, value_name = "GLOB", value_parser = parse_glob)]
    pub exclude: Vec<String>,
}

const EXPORT_EXIT_CODES: &str = "\
Exit codes:
  0   every live number selected was written
  1   error: a file exists already (without --force), the list could not be read,
      a file could not be written, the key was rejected, another org (--expect-org)
  3   written, but the list of live numbers may be incomplete (see the warning)
  64  usage error: unknown flag or bad flag value

The API key is read from the VAPI_API_KEY environment variable only.";

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder to write the desired files into (created when missing)
    #[arg(long, value_name = "DIR", default_value = "desired")]
    pub out: PathBuf,
    /// Export only the live numbers that match GLOB: over number, name and id; repeatable
    #[arg(long, value_name = "GLOB", value_parser = parse_glob)]
    pub only: Vec<String>,
    /// Leave out the live numbers that match GLOB (number, name, id); repeatable
    #[arg(long, value_name = "GLOB", value_parser = parse_glob)]
    pub exclude: Vec<String>,
    /// Overwrite files that exist already (without it, export writes nothing when one does)
    #[arg(long)]
    pub force: bool,
    /// The ignore file whose `secret_headers:` apply (default: .vapi-drift-ignore.yaml
    /// in the working folder, when present)
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
    #[command(flatten)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[cfg(feature = "demo")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Desired YAML files or folders to audit against the stand-in's sample numbers
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// No progress and no commentary on stderr; the report alone
    #[arg(short, long)]
    pub quiet: bool,
}

fn positive_rps(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("\"{s}\" is not a number of requests per second"))?;
    if crate::vapi::ratelimit::RateLimit::per_second(v).is_some() {
        Ok(v)
    } else {
        Err(format!(
            "\"{s}\" must be more than 0 and at most {} requests per second",
            crate::vapi::ratelimit::MAX_RPS
        ))
    }
}

fn parse_deadline(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("\"{s}\" is not a duration like 90s, 10m or 1h30m: {e}"))?;
    if d.is_zero() {
        return Err(format!("\"{s}\" must be longer than zero"));
    }
    Ok(d)
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("\"{s}\" is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(v)
    } else {
        Err(format!(
            "\"{s}\" must be more than 0 and at most 86400 seconds"
        ))
    }
}

/// For clap: one `-o FORMAT[=PATH]`; `PATH` absent or `-` is stdout.
fn parse_output(s: &str) -> Result<Output, String> {
    let (name, path) = match s.split_once('=') {
        Some((n, p)) => (n, Some(p)),
        None => (s, None),
    };
    let format = Format::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown format \"{name}\" (expected one of: {})",
                names.join(", ")
            )
        })?;
    let path = match path {
        None | Some("-") => None,
        Some("") => return Err(format!("empty path after \"{name}=\"")),
        Some(p) => Some(PathBuf::from(p)),
    };
    Ok(Output { format, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_takes_human_durations() {
        assert_eq!(parse_deadline("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_deadline("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_deadline("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_deadline("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_deadline("0s").is_err());
        assert!(parse_deadline("10").is_err());
        assert!(parse_deadline("soon").is_err());
    }

    #[test]
    fn rps_is_a_positive_rate() {
        assert_eq!(positive_rps("20"), Ok(20.0));
        assert_eq!(positive_rps("0.5"), Ok(0.5));
        assert!(positive_rps("0").is_err());
        assert!(positive_rps("-3").is_err());
        assert!(positive_rps("inf").is_err());
        assert!(positive_rps("fast").is_err());
    }

    #[test]
    fn output_spec_parses_format_and_path() {
        assert_eq!(
            parse_output("json=out/r.json"),
            Ok(Output {
                format: Format::Json,
                path: Some(PathBuf::from("out/r.json"))
            })
        );
        assert_eq!(
            parse_output("text"),
            Ok(Output {
                format: Format::Text,
                path: None
            })
        );
        assert_eq!(
            parse_output("json=-"),
            Ok(Output {
                format: Format::Json,
                path: None
            })
        );
        assert!(parse_output("yaml").unwrap_err().contains("unknown format"));
        assert!(parse_output("json=").is_err());
    }
}
