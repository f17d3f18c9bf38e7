//! The command line. Doc comments here are the `--help` text.

use crate::report::Output;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0   every desired number is in sync
  1   error: invalid desired config, rejected API key, a report that cannot be written
  2   drift: at least one number is modified or missing
  3   incomplete: some numbers could not be checked, the rest are in sync
  64  usage error: unknown flag or bad flag value

The API key is read from the VAPI_API_KEY environment variable only.";

/// Audit Vapi phone numbers for configuration drift against desired YAML.
#[derive(Debug, Parser)]
#[command(name = "vapi-drift", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare the desired phone numbers with the live ones (read-only)
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Validate desired YAML offline: syntax, schema, ${VAR} interpolation (no API key needed)
    Validate(ValidateArgs),
    /// Show everything behind one number's verdict: desired, live, normalization, ignore rules
    Explain(ExplainArgs),
    /// Run `check` on desired/ against a built-in stand-in of the Vapi API (no key, no network)
    Demo(DemoArgs),
    /// Serve the built-in API stand-in on loopback (for benchmarks and manual testing)
    #[command(hide = true)]
    StandIn(StandInArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Desired YAML files or folders (searched recursively for *.yaml and *.yml)
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Report format and destination, FORMAT[=PATH]; repeatable. Formats: text, json, markdown, junit, github.
    /// PATH "-" or none is stdout (at most one report to stdout). Default: text to stdout
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=PATH]")]
    pub outputs: Vec<Output>,
    /// Write the reports but exit 0 whatever they say (errors still exit 1)
    #[arg(long)]
    pub exit_zero: bool,
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
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Desired YAML files or folders (searched recursively for *.yaml and *.yml)
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
    /// API base URL (EU organisations: https://api.eu.vapi.ai)
    #[arg(long, env = "VAPI_BASE_URL", default_value = crate::vapi::client::DEFAULT_BASE_URL)]
    pub base_url: String,
    #[command(flatten)]
    pub fetch: FetchArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub report: ReportArgs,
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

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The number to explain: its id, its number, or its name in the desired files
    pub target: String,
    /// Desired YAML files or folders (searched recursively for *.yaml and *.yml)
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
    /// API base URL (EU organisations: https://api.eu.vapi.ai)
    #[arg(long, env = "VAPI_BASE_URL", default_value = crate::vapi::client::DEFAULT_BASE_URL)]
    pub base_url: String,
    #[command(flatten)]
    pub fetch: FetchArgs,
    /// Ignore rules (default: .vapi-drift-ignore.yaml in the working folder, when present)
    #[arg(long, value_name = "PATH")]
    pub ignore_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Desired YAML files or folders to audit against the stand-in's sample numbers
    #[arg(default_value = "desired")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct StandInArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the URL is printed on stdout)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A JSON file with an array of live phone numbers (default: the demo's sample numbers)
    #[arg(long)]
    pub numbers: Option<PathBuf>,
    /// Generate this many synthetic numbers instead
    #[arg(long)]
    pub generate: Option<usize>,
    /// Latency added to every response, in milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Requests allowed in any one-second window (429 beyond it)
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// The API key the stand-in accepts (read from this environment variable)
    #[arg(long, default_value = "VAPI_API_KEY")]
    pub key_env: String,
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
