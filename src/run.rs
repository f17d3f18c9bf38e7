//! The commands: what `main` runs once the arguments are parsed. Returns the exit
//! code; setup errors come back as `Err` and exit 1.

use crate::audit::{self, Audit, Observer};
use crate::cli::{
    CheckArgs, Cli, Command, DemoArgs, ExplainArgs, ExportArgs, FetchArgs, InventoryArgs,
    ReportArgs, RuleArgs, StandInArgs, ValidateArgs,
};
use crate::desired::{self, ConfigErrors, DesiredNumber, IdRule, UnsetVars};
use crate::exit::{ExitCode, Policy};
use crate::export;
use crate::ignore::{self, IgnoreSet};
use crate::inventory::{self, InventoryOptions, Selectors, UnmanagedAllow, UnmanagedMode};
use crate::progress::Progress;
use crate::report::{self, Format, Output, Report};
use crate::secret::ApiKey;
use crate::vapi::client::{Client, ClientConfig, FetchError};
use crate::vapi::demo;
use crate::vapi::ratelimit::RateLimit;
use crate::vapi::standin::{StandIn, StandInConfig};
use crate::{explain, normalize};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Check(args) => check(args).await,
        Command::Validate(args) => Ok(validate(args)),
        Command::Explain(args) => explain(args).await,
        Command::Export(args) => export(args).await,
        Command::Demo(args) => demo(args).await,
        Command::StandIn(args) => stand_in(args).await,
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Loads desired numbers (`id` optional: a number without one is found by its
/// number or sipUri); config errors are printed (one per line) and exit 1.
fn load_desired(
    paths: &[PathBuf],
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Vec<DesiredNumber>, i32> {
    load_desired_with(paths, env, UnsetVars::Error)
}

fn load_desired_with(
    paths: &[PathBuf],
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    unset_vars: UnsetVars,
) -> Result<Vec<DesiredNumber>, i32> {
    let loaded = desired::load_with(paths, env, IdRule::Optional, unset_vars).and_then(|numbers| {
        let errors = inventory::lookup_errors(&numbers);
        if errors.is_empty() {
            Ok(numbers)
        } else {
            Err(ConfigErrors(errors))
        }
    });
    loaded.map_err(|errors| config_errors(&errors, "nothing was checked"))
}

/// Prints config errors (one per line) and gives the exit code (1).
fn config_errors(errors: &ConfigErrors, outcome: &str) -> i32 {
    for e in &errors.0 {
        eprintln!("error: {e}");
    }
    let n = errors.0.len();
    eprintln!(
        "vapi-drift: {n} error{} in the desired config; {outcome}",
        if n == 1 { "" } else { "s" }
    );
    ExitCode::Error.code()
}

fn validate(args: ValidateArgs) -> i32 {
    let unset_vars = if args.allow_unset_env {
        UnsetVars::Allow
    } else {
        UnsetVars::Error
    };
    match load_desired_with(&args.paths, &process_env, unset_vars) {
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

/// The reports to write; more than one to stdout is a usage error (exit 64).
fn outputs(args: &ReportArgs) -> Result<Vec<Output>, i32> {
    let outputs = if args.outputs.is_empty() {
        vec![Output {
            format: Format::Text,
            path: None,
        }]
    } else {
        args.outputs.clone()
    };
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        eprintln!(
            "error: at most one report can go to stdout; give the others a path (-o FORMAT=PATH)"
        );
        return Err(ExitCode::Usage.code());
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

/// The client, with the `--rps` limiter if one was asked for.
fn client(base_url: String, key: ApiKey, fetch: &FetchArgs) -> anyhow::Result<Client> {
    let limit = fetch.rps.and_then(RateLimit::per_second);
    Ok(Client::new(client_config(base_url, key, fetch))?.with_rate_limit(limit))
}

/// Tells the operator how many numbers the deadline left unread, if any.
fn warn_missed_deadline(audit: &Audit, fetch: &FetchArgs) {
    let missed = audit
        .results
        .iter()
        .filter(|r| audit::missed_deadline(r))
        .count();
    if missed > 0 {
        let deadline = fetch
            .deadline
            .map(|d| humantime::format_duration(d).to_string())
            .unwrap_or_default();
        eprintln!(
            "warning: the deadline ({deadline}) passed: {missed} number{} not checked",
            if missed == 1 { " was" } else { "s were" }
        );
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

/// `--expect-org` / `VAPI_ORG_ID`; empty is unset.
fn expected_org(org: &Option<String>) -> Option<String> {
    org.as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
}

fn inventory_options(
    args: &InventoryArgs,
    fetch: &FetchArgs,
    ignore: IgnoreSet,
) -> anyhow::Result<InventoryOptions> {
    // The unmanaged allow list: `--allow-unmanaged`, and the ignore file's `unmanaged:` globs.
    let allow = [args.allow_unmanaged.as_slice(), ignore.unmanaged.as_slice()].concat();
    Ok(InventoryOptions {
        fetch: args.fetch,
        unmanaged: args.unmanaged,
        allow: UnmanagedAllow::new(&allow)?,
        selectors: Selectors::new(&args.only, &args.exclude)?,
        expect_org: expected_org(&args.expect_org),
        concurrency: fetch.concurrency as usize,
        ignore,
        deadline: None,
        observer: Observer::default(),
    })
}

async fn check(args: CheckArgs) -> anyhow::Result<i32> {
    // --deadline counts from here: the whole run, loading included.
    let started = tokio::time::Instant::now();
    let outputs = match outputs(&args.report) {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
    if let Some(why) = inventory::flag_conflict(args.inventory.fetch, args.inventory.unmanaged) {
        eprintln!("error: {why}");
        return Ok(ExitCode::Usage.code());
    }
    let numbers = match load_desired(&args.paths, &process_env) {
        Ok(n) => n,
        Err(code) => return Ok(code),
    };
    let key = api_key()?;
    let ignore = match load_rules(&args.rules, &numbers) {
        Ok(set) => set,
        Err(code) => return Ok(code),
    };
    let mut opts = InventoryOptions {
        deadline: args.fetch.deadline.map(|d| started + d),
        ..inventory_options(&args.inventory, &args.fetch, ignore)?
    };
    let selected = numbers
        .iter()
        .filter(|d| opts.selectors.selects_desired(d))
        .count();
    // A stale selector must not turn the gate into "0 numbers, in sync". (With
    // --unmanaged fail an empty selection still checks the live numbers it selects.)
    if opts.unmanaged != UnmanagedMode::Fail && selected == 0 {
        eprintln!(
            "error: --only/--exclude select none of the {} desired phone numbers",
            numbers.len()
        );
        return Ok(ExitCode::Usage.code());
    }
    // The bar counts the numbers in scope: those are the ones that get a result.
    let progress = Arc::new(Progress::new(selected, args.quiet));
    opts.observer = progress_observer(&progress);
    let client = client(args.base_url, key, &args.fetch)?;
    let policy = Policy {
        fail_on_unhealthy: args.rules.fail_on_unhealthy,
        fail_on_expired_ignore: args.rules.fail_on_expired_ignore,
    };
    let audit = inventory::run(numbers, &client, &opts).await;
    progress.finish();
    let audit = match audit {
        Ok(audit) => audit,
        Err(errors) => return Ok(config_errors(&errors, "no report was written")),
    };
    warn_missed_deadline(&audit, &args.fetch);
    let (code, _) = report(audit, &policy, &args.report, &outputs);
    Ok(code)
}

fn progress_observer(progress: &Arc<Progress>) -> Observer {
    let progress = Arc::clone(progress);
    Observer::new(move |r| progress.record(r))
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

/// Writes every report, and returns the exit code and the outcome.
fn report(
    audit: Audit,
    policy: &Policy,
    report_args: &ReportArgs,
    outputs: &[Output],
) -> (i32, ExitCode) {
    let outcome = ExitCode::for_audit(&audit, policy);
    // A report path that cannot be written makes the run exit 1: the reports that
    // are written say so too.
    let unwritable = report::unwritable(outputs);
    let exit_code = if !unwritable.is_empty() {
        ExitCode::Error.code()
    } else if report_args.exit_zero && outcome != ExitCode::Error {
        0
    } else {
        outcome.code()
    };
    let report = Report {
        audit: &audit,
        outcome,
        exit_code,
        policy: *policy,
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
    let client = client(args.base_url, api_key()?, &args.fetch)?;
    let fetched = match &desired.id {
        Some(id) => client.get_phone_number(id).await,
        // No id: found through the list, as `check` finds it.
        None => match client.list_all(args.fetch.concurrency as usize).await {
            Ok(listing) => match inventory::find_live(&listing.values(), desired).as_slice() {
                [] => Err(FetchError::NotFound),
                [one] => Ok((*one).clone()),
                many => bail!(
                    "{}:{}: matches {} live numbers ({}): add \"id\" to say which one",
                    desired.file,
                    desired.line,
                    many.len(),
                    many.iter()
                        .map(|l| l["id"].as_str().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            Err(e) => Err(e),
        },
    };
    // The id a document without one was found by, as `check` reports it.
    let mut found = desired.clone();
    if let (None, Ok(live)) = (&found.id, &fetched) {
        found.id = live.get("id").and_then(|v| v.as_str()).map(str::to_string);
    }
    let desired = &found;
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
    let outputs = match outputs(&args.report) {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
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
    if !args.quiet {
        eprintln!(
            "vapi-drift demo: auditing {} against the built-in API stand-in at {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            standin.base_url()
        );
    }
    let fetch = FetchArgs {
        concurrency: 8,
        timeout: 10.0,
        max_retries: 2,
        max_retry_wait: 5.0,
        rps: None,
        deadline: None,
    };
    let client = Client::new(client_config(
        standin.base_url(),
        ApiKey::new(demo::DEMO_API_KEY.into()),
        &fetch,
    ))?;
    let progress = Arc::new(Progress::new(numbers.len(), args.quiet));
    let opts = InventoryOptions {
        concurrency: fetch.concurrency as usize,
        observer: progress_observer(&progress),
        ..InventoryOptions::default()
    };
    let audit = inventory::run(numbers, &client, &opts).await;
    progress.finish();
    standin.shutdown().await;
    let (code, outcome) = match audit {
        Ok(audit) => report(audit, &Policy::default(), &args.report, &outputs),
        Err(errors) => return Ok(config_errors(&errors, "no report was written")),
    };
    if code == ExitCode::Error.code() {
        return Ok(code);
    }
    if args.quiet {
        return Ok(0);
    }
    eprintln!(
        "vapi-drift demo: `vapi-drift check` would exit with code {} ({}); the demo itself exits 0",
        outcome.code(),
        outcome.status_word()
    );
    Ok(0)
}

/// `vapi-drift export`: reads the org through the list, then writes one desired
/// file per selected live number, or nothing at all.
async fn export(args: ExportArgs) -> anyhow::Result<i32> {
    let selectors = Selectors::new(&args.only, &args.exclude)?;
    let client = client(args.base_url, api_key()?, &args.fetch)?;
    let listing = client
        .list_all(args.fetch.concurrency as usize)
        .await
        .context("cannot read the live numbers; nothing was written")?;
    let live = listing.values();
    if let Some(org) = expected_org(&args.expect_org)
        && let Some(reason) = inventory::foreign_org(&live, &org)
    {
        bail!("{reason}; nothing was written");
    }
    let selected: Vec<serde_json::Value> = live
        .into_iter()
        .filter(|n| selectors.selects_live(n))
        .collect();
    let files = export::plan(&selected, &args.out).map_err(|e| anyhow::anyhow!(e))?;
    let existing = export::existing(&files);
    if !existing.is_empty() && !args.force {
        for path in &existing {
            eprintln!("error: {} exists already", path.display());
        }
        eprintln!(
            "vapi-drift export: {} of {} file{} exist already; nothing was written (--force overwrites them)",
            existing.len(),
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::Error.code());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let errors = export::write(&files);
    for f in &files {
        for w in &f.warnings {
            eprintln!("warning: {}: {w}", f.path.display());
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        return Ok(ExitCode::Error.code());
    }
    println!(
        "vapi-drift export: wrote {} file{} to {} ({} live number{} read, {} selected)",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        args.out.display(),
        listing.numbers.len(),
        if listing.numbers.len() == 1 { "" } else { "s" },
        selected.len()
    );
    let variables: Vec<(&export::Variable, &export::ExportFile)> = files
        .iter()
        .flat_map(|f| f.variables.iter().map(move |v| (v, f)))
        .collect();
    if !variables.is_empty() {
        println!(
            "Secrets were not written. Set these variables to the live values before `vapi-drift check`:"
        );
        for (v, f) in variables {
            println!("  {}  {} {}", v.name, f.path.display(), v.path);
        }
    }
    if let Some(why) = listing.incomplete() {
        eprintln!("warning: the list of live numbers may be incomplete: {why}");
        return Ok(ExitCode::Incomplete.code());
    }
    Ok(ExitCode::InSync.code())
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
