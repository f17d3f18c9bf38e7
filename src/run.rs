//! The commands: what `main` runs once the arguments are parsed. Returns the exit
//! code; setup errors come back as `Err` and exit 1.

use crate::audit::{self, AuditOptions};
use crate::cli::{
    CheckArgs, Cli, Command, DemoArgs, ExplainArgs, FetchArgs, ReportArgs, RuleArgs, StandInArgs,
    ValidateArgs,
};
use crate::desired::{self, DesiredNumber, IdRule};
use crate::exit::{ExitCode, Policy};
use crate::ignore::{self, IgnoreSet};
use crate::report::{self, Format, Output, Report};
use crate::secret::ApiKey;
use crate::vapi::client::{Client, ClientConfig, FetchError};
use crate::vapi::demo;
use crate::vapi::standin::{StandIn, StandInConfig};
use crate::{explain, normalize};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Check(args) => check(args).await,
        Command::Validate(args) => Ok(validate(args)),
        Command::Explain(args) => explain(args).await,
        Command::Demo(args) => demo(args).await,
        Command::StandIn(args) => stand_in(args).await,
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Loads desired numbers; config errors are printed (one per line) and exit 1.
fn load_desired(
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<DesiredNumber>, i32> {
    match desired::load(paths, env, IdRule::Required) {
        Ok(numbers) => Ok(numbers),
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            let n = errors.0.len();
            eprintln!(
                "vapi-drift: {n} error{} in the desired config; nothing was checked",
                if n == 1 { "" } else { "s" }
            );
            Err(ExitCode::Error.code())
        }
    }
}

fn validate(args: ValidateArgs) -> i32 {
    match load_desired(&args.paths, &process_env) {
        Ok(numbers) => {
            let files: std::collections::BTreeSet<&str> =
                numbers.iter().map(|n| n.file.as_str()).collect();
            println!(
                "vapi-drift: {} desired phone number{} in {} file{} are valid",
                numbers.len(),
                if numbers.len() == 1 { "" } else { "s" },
                files.len(),
                if files.len() == 1 { "" } else { "s" },
            );
            ExitCode::InSync.code()
        }
        Err(code) => code,
    }
}

fn outputs(args: &ReportArgs) -> anyhow::Result<Vec<Output>> {
    let outputs = if args.outputs.is_empty() {
        vec![Output {
            format: Format::Text,
            path: None,
        }]
    } else {
        args.outputs.clone()
    };
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        bail!("at most one report can go to stdout; give the others a path (-o FORMAT=PATH)");
    }
    Ok(outputs)
}

fn client_config(base_url: String, api_key: ApiKey, fetch: &FetchArgs) -> ClientConfig {
    ClientConfig {
        base_url,
        api_key,
        timeout: Duration::from_secs_f64(fetch.timeout),
        max_retries: fetch.max_retries,
        max_retry_wait: Duration::from_secs_f64(fetch.max_retry_wait),
        retry_base: Duration::from_millis(500),
    }
}

async fn check(args: CheckArgs) -> anyhow::Result<i32> {
    let outputs = outputs(&args.report)?;
    let numbers = match load_desired(&args.paths, &process_env) {
        Ok(n) => n,
        Err(code) => return Ok(code),
    };
    let key = api_key()?;
    let ignore = match load_rules(&args.rules, &numbers) {
        Ok(set) => set,
        Err(code) => return Ok(code),
    };
    let client = Client::new(client_config(args.base_url, key, &args.fetch))?;
    let policy = Policy {
        fail_on_unhealthy: args.rules.fail_on_unhealthy,
        fail_on_expired_ignore: args.rules.fail_on_expired_ignore,
    };
    let (code, _) = audit_and_report(
        numbers,
        &client,
        &args.fetch,
        ignore,
        policy,
        &args.report,
        &outputs,
    )
    .await;
    Ok(code)
}

/// Loads the ignore rules and checks them against the desired numbers; errors exit 1.
fn load_rules(args: &RuleArgs, numbers: &[DesiredNumber]) -> Result<IgnoreSet, i32> {
    let loaded = ignore::load(
        args.ignore_file.as_deref(),
        Path::new("."),
        &ignore::today(),
    )
    .and_then(|set| set.check_conflicts(numbers).map(|()| set));
    loaded.map_err(|errors| {
        for e in &errors.0 {
            eprintln!("error: {e}");
        }
        eprintln!("vapi-drift: the ignore rules are invalid; nothing was checked");
        ExitCode::Error.code()
    })
}

/// Runs the audit, writes every report, and returns the exit code and the outcome.
async fn audit_and_report(
    numbers: Vec<DesiredNumber>,
    client: &Client,
    fetch: &FetchArgs,
    ignore: IgnoreSet,
    policy: Policy,
    report_args: &ReportArgs,
    outputs: &[Output],
) -> (i32, ExitCode) {
    let audit = audit::run(
        numbers,
        client,
        &AuditOptions {
            concurrency: fetch.concurrency as usize,
            ignore,
        },
    )
    .await;
    let outcome = ExitCode::for_audit(&audit, &policy);
    let exit_code = if report_args.exit_zero && outcome != ExitCode::Error {
        0
    } else {
        outcome.code()
    };
    let report = Report {
        audit: &audit,
        outcome,
        exit_code,
        policy,
    };
    let errors = report::write_all(outputs, &report, true);
    if let Some(reason) = &audit.fatal {
        eprintln!("error: {reason}");
    }
    if errors.is_empty() {
        (exit_code, outcome)
    } else {
        for e in &errors {
            eprintln!("error: {e}");
        }
        (ExitCode::Error.code(), outcome)
    }
}

fn api_key() -> anyhow::Result<ApiKey> {
    let key = std::env::var("VAPI_API_KEY").unwrap_or_default();
    if key.trim().is_empty() {
        bail!(
            "VAPI_API_KEY is not set: export your private Vapi API key (it is never read from the command line)"
        );
    }
    Ok(ApiKey::new(key))
}

async fn explain(args: ExplainArgs) -> anyhow::Result<i32> {
    let numbers = match load_desired(&args.paths, &process_env) {
        Ok(n) => n,
        Err(code) => return Ok(code),
    };
    let rules = RuleArgs {
        ignore_file: args.ignore_file.clone(),
        fail_on_expired_ignore: false,
        fail_on_unhealthy: false,
    };
    let ignore = match load_rules(&rules, &numbers) {
        Ok(set) => set,
        Err(code) => return Ok(code),
    };
    let wanted =
        normalize::normalize(&serde_json::json!({"number": args.target}))["number"].clone();
    let matches: Vec<&DesiredNumber> = numbers
        .iter()
        .filter(|n| {
            n.id.as_deref() == Some(args.target.as_str())
                || n.name.as_deref() == Some(args.target.as_str())
                || n.number.as_ref().is_some_and(|num| {
                    normalize::normalize(&serde_json::json!({"number": num}))["number"] == wanted
                })
        })
        .collect();
    let desired = match matches.as_slice() {
        [one] => *one,
        [] => bail!(
            "no desired phone number has the id, number or name \"{}\"",
            args.target
        ),
        many => bail!(
            "\"{}\" matches {} desired phone numbers ({}); give its id",
            args.target,
            many.len(),
            many.iter()
                .map(|n| format!("{}:{}", n.file, n.line))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let client = Client::new(client_config(args.base_url, api_key()?, &args.fetch))?;
    let id = desired.id.clone().unwrap_or_default();
    let fetched = client.get_phone_number(&id).await;
    let live = match &fetched {
        Ok(v) => explain::Live::Found(v),
        Err(FetchError::NotFound) => explain::Live::Missing,
        Err(e @ FetchError::Unauthorized { .. }) => bail!("{e}"),
        Err(e) => {
            let reason = e.to_string();
            print!(
                "{}",
                explain::render(desired, explain::Live::NotChecked(&reason), &ignore)
            );
            return Ok(ExitCode::Incomplete.code());
        }
    };
    print!("{}", explain::render(desired, live, &ignore));
    Ok(0)
}

async fn demo(args: DemoArgs) -> anyhow::Result<i32> {
    let outputs = outputs(&args.report)?;
    let numbers = match load_desired(&args.paths, &demo::env) {
        Ok(n) => n,
        Err(code) => return Ok(code),
    };
    let standin = StandIn::start(StandInConfig {
        api_key: demo::DEMO_API_KEY.into(),
        numbers: demo::numbers(),
        ..StandInConfig::default()
    })
    .await
    .context("cannot start the API stand-in on 127.0.0.1")?;
    eprintln!(
        "vapi-drift demo: auditing {} against the built-in API stand-in at {}",
        args.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        standin.base_url()
    );
    let fetch = FetchArgs {
        concurrency: 8,
        timeout: 10.0,
        max_retries: 2,
        max_retry_wait: 5.0,
    };
    let client = Client::new(client_config(
        standin.base_url(),
        ApiKey::new(demo::DEMO_API_KEY.into()),
        &fetch,
    ))?;
    let (code, outcome) = audit_and_report(
        numbers,
        &client,
        &fetch,
        IgnoreSet::default(),
        Policy::default(),
        &args.report,
        &outputs,
    )
    .await;
    standin.shutdown().await;
    if code == ExitCode::Error.code() {
        return Ok(code);
    }
    eprintln!(
        "vapi-drift demo: `vapi-drift check` would exit with code {} ({}); the demo itself exits 0",
        outcome.code(),
        outcome.status_word()
    );
    Ok(0)
}

async fn stand_in(args: StandInArgs) -> anyhow::Result<i32> {
    let numbers = match (&args.numbers, args.generate) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| {
                format!("{} is not a JSON array of phone numbers", path.display())
            })?
        }
        (None, Some(n)) => demo::synthetic_numbers(n),
        (None, None) => demo::numbers(),
    };
    let api_key = std::env::var(&args.key_env).unwrap_or_else(|_| demo::DEMO_API_KEY.to_string());
    let standin = StandIn::start_on(
        StandInConfig {
            api_key,
            numbers,
            latency: Duration::from_millis(args.latency_ms),
            rate_limit: args.rate_limit,
            ..StandInConfig::default()
        },
        args.port,
    )
    .await
    .context("cannot start the API stand-in")?;
    println!("{}", standin.base_url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for ctrl-c")?;
    standin.shutdown().await;
    Ok(0)
}
