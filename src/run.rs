//! The commands: what `main` runs once the arguments are parsed. Each returns the
//! exit code it earned, or a [`RunError`] that `main` prints once and maps once.
//!
//! A check runs in named steps: resolve the flags into a plan ([`CheckPlan`]),
//! load the desired numbers and the ignore rules, read and compare
//! (`inventory::run`), write every report ([`write_reports`]).
//!
//! Long file: one function per command, each a short sequence of steps that call
//! into the modules that own the work; splitting them would scatter the flags'
//! resolution from the steps that use them.

use crate::baseline::{self, Baseline};
use crate::cli::{
    AlertArgs, ApiArgs, CheckArgs, Cli, Command, ExplainArgs, ExportArgs, FetchArgs, InventoryArgs,
    ReportArgs, SecretArgs, ValidateArgs,
};
use crate::deployed::{self, Deployed};
use crate::desired::{self, DesiredNumber, IdRule, UnsetVars};
use crate::exit::{ExitCode, FailOn, Policy, RunError};
use crate::ignore::{self, IgnoreSet};
use crate::inventory::{self, InventoryOptions};
use crate::lookup;
use crate::model::{Audit, NumberResult, Reason, Unmanaged, UnmanagedMode};
use crate::progress::Progress;
use crate::report::{self, Format, Output, Report};
use crate::secret::ApiKey;
use crate::select::{Selectors, UnmanagedAllow};
use crate::vapi::client::{Client, ClientConfig, FetchError};
use crate::vapi::list::Listed;
use crate::vapi::org::foreign_org;
use crate::vapi::ratelimit::RateLimit;
use crate::{audit, explain, export, normalize};
use anyhow::{Context, anyhow};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub async fn run(cli: Cli) -> Result<ExitCode, RunError> {
    match cli.command {
        Command::Check(args) => check(args).await,
        Command::Validate(args) => validate(args),
        Command::Explain(args) => explain(args).await,
        Command::Export(args) => export(args).await,
        Command::Schema => schema(),
        Command::Alert(args) => alert(args),
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(args).await,
    }
}

type Env = dyn Fn(&str) -> Option<String> + Sync;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Prints a line on stdout; a reader that went away (`| head`) ends the command quietly.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*).context("writing to stdout")?
    };
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Loads desired numbers (`id` optional: a number without one is found by its
/// number or sipUri).
fn load_desired(
    paths: &[PathBuf],
    env: &Env,
    unset_vars: UnsetVars,
) -> Result<Vec<DesiredNumber>, RunError> {
    desired::load_with(paths, env, IdRule::Optional, unset_vars)
        .and_then(lookup::findable)
        .map_err(|errors| RunError::Config {
            errors,
            what: "the desired config",
            outcome: "nothing was checked",
        })
}

/// Loads the ignore rules and checks them against the desired numbers.
fn load_rules(file: Option<&Path>, numbers: &[DesiredNumber]) -> Result<IgnoreSet, RunError> {
    ignore::load(file, Path::new("."), &ignore::today())
        .and_then(|set| set.check_conflicts(numbers).map(|()| set))
        .map_err(|errors| RunError::Config {
            errors,
            what: "the ignore rules",
            outcome: "nothing was checked",
        })
}

fn validate(args: ValidateArgs) -> Result<ExitCode, RunError> {
    let unset_vars = if args.allow_unset_env {
        UnsetVars::Allow
    } else {
        UnsetVars::Error
    };
    let numbers = load_desired(&args.paths, &process_env, unset_vars)?;
    // The ignore file `check` will read: a typo there must fail the pull request,
    // not the nightly run.
    let ignore = load_rules(args.ignore_file.as_deref(), &numbers)?;
    let files: std::collections::BTreeSet<&str> = numbers.iter().map(|n| &*n.file).collect();
    say!(
        "vapi-drift: {} desired phone number{} in {} file{} are valid",
        numbers.len(),
        plural(numbers.len()),
        files.len(),
        plural(files.len()),
    );
    if let Some(file) = &ignore.file {
        say!(
            "vapi-drift: the ignore file {file} is valid ({} rule{})",
            ignore.rules.len(),
            plural(ignore.rules.len())
        );
    }
    Ok(ExitCode::InSync)
}

/// `vapi-drift schema`: the JSON Schema of a desired document, on stdout.
fn schema() -> Result<ExitCode, RunError> {
    let text = serde_json::to_string_pretty(&crate::schema::json_schema())
        .context("rendering the schema")?;
    say!("{text}");
    Ok(ExitCode::InSync)
}

/// The reports to write; more than one to stdout is a usage error.
fn outputs(args: &ReportArgs) -> Result<Vec<Output>, RunError> {
    let outputs = if args.outputs.is_empty() {
        vec![Output {
            format: Format::Text,
            path: None,
        }]
    } else {
        args.outputs.clone()
    };
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        return Err(RunError::Usage(
            "at most one report can go to stdout; give the others a path (-o FORMAT=PATH)".into(),
        ));
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
fn client(api: &ApiArgs, key: ApiKey) -> Result<Client, RunError> {
    let limit = api.fetch.rps.and_then(RateLimit::per_second);
    Ok(Client::new(client_config(api.base_url.clone(), key, &api.fetch))?.with_rate_limit(limit))
}

/// Tells the operator how many numbers the deadline left unread, if any.
fn warn_missed_deadline(audit: &Audit, deadline: Option<Duration>) {
    let missed = audit.results.iter().filter(|r| r.missed_deadline()).count();
    if let (true, Some(deadline)) = (missed > 0, deadline) {
        eprintln!(
            "warning: the deadline ({}) passed: {missed} number{} not checked",
            humantime::format_duration(deadline),
            if missed == 1 { " was" } else { "s were" }
        );
    }
}

fn api_key() -> Result<ApiKey, RunError> {
    let key = std::env::var("VAPI_API_KEY").unwrap_or_default();
    if key.trim().is_empty() {
        return Err(anyhow!(
            "VAPI_API_KEY is not set: export your private Vapi API key (it is never read from the command line)"
        )
        .into());
    }
    Ok(ApiKey::new(key))
}

/// `--expect-org` / `VAPI_ORG_ID`; empty is unset.
fn expected_org(api: &ApiArgs) -> Option<String> {
    api.expect_org
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
}

/// A check's flags, resolved once: globs compiled, conflicts refused.
struct CheckPlan {
    outputs: Vec<Output>,
    selectors: Selectors,
    policy: Policy,
}

impl CheckPlan {
    fn new(args: &CheckArgs) -> Result<CheckPlan, RunError> {
        let outputs = outputs(&args.report)?;
        if args.gate.fail_on == FailOn::New && args.gate.baseline.is_none() {
            return Err(RunError::Usage(
                "--fail-on new needs --baseline: without one every finding is new".into(),
            ));
        }
        let unmanaged = args.inventory.unmanaged.unwrap_or(UnmanagedMode::Report);
        if let Some(why) = inventory::flag_conflict(args.inventory.fetch, unmanaged) {
            return Err(RunError::Usage(why.into()));
        }
        Ok(CheckPlan {
            outputs,
            selectors: Selectors::new(&args.inventory.only, &args.inventory.exclude)
                .map_err(|e| RunError::Usage(e.to_string()))?,
            policy: Policy {
                fail_on_unhealthy: args.rules.fail_on_unhealthy,
                fail_on_expired_ignore: args.rules.fail_on_expired_ignore,
                fail_on_unknown_fields: args.rules.fail_on_unknown_fields,
                fail_on_pending: args.gate.fail_on_pending,
                fail_on: args.gate.fail_on,
            },
        })
    }
}

/// Why unmanaged numbers are not looked for although `--unmanaged` was not set to
/// `ignore`: the paths given are files, which may be a part of the desired set
/// (`check desired/one.yaml`), and every other live number would read as
/// unmanaged. Folders (and the default `desired`) are the whole set; so are files
/// when `--unmanaged` is given explicitly.
fn unmanaged_skip(paths: &[PathBuf], flag: Option<UnmanagedMode>) -> Option<String> {
    let file = paths.iter().find(|p| p.is_file())?;
    flag.is_none().then(|| {
        format!(
            "the paths given include a file ({}), which may be part of the desired set; give the folder, or --unmanaged report to take the files as the whole set",
            file.display()
        )
    })
}

fn inventory_options(
    args: &InventoryArgs,
    api: &ApiArgs,
    selectors: Selectors,
    ignore: IgnoreSet,
    skip_unmanaged: bool,
) -> Result<InventoryOptions, RunError> {
    // The unmanaged allow list: `--allow-unmanaged`, and the ignore file's `unmanaged:` globs.
    let allow = [args.allow_unmanaged.as_slice(), ignore.unmanaged.as_slice()].concat();
    let unmanaged = match args.unmanaged {
        _ if skip_unmanaged => UnmanagedMode::Ignore,
        Some(mode) => mode,
        None => UnmanagedMode::Report,
    };
    Ok(InventoryOptions {
        fetch: args.fetch,
        unmanaged,
        allow: UnmanagedAllow::new(&allow).map_err(|e| anyhow!(e))?,
        selectors,
        expect_org: expected_org(api),
        concurrency: api.fetch.concurrency as usize,
        ignore,
        ..InventoryOptions::default()
    })
}

/// `vapi-drift check`. Once the flags are understood, every requested report is
/// written whatever happens next: a run that fails (a config error, no key) writes
/// them with `status: "error"`, its errors, and every desired number it had loaded
/// as not checked.
async fn check(args: CheckArgs) -> Result<ExitCode, RunError> {
    // --deadline counts from here: the whole run, loading included.
    let started = tokio::time::Instant::now();
    let plan = CheckPlan::new(&args)?;
    let mut loaded = Vec::new();
    match audit_desired(&args, &plan, started, &mut loaded).await {
        Ok(audit) => {
            warn_missed_deadline(&audit, args.deadline);
            let (code, _) = write_reports(&audit, &plan.policy, &args.report, &plan.outputs);
            Ok(code)
        }
        Err(error) => {
            let mode = args.inventory.unmanaged.unwrap_or(UnmanagedMode::Report);
            let audit = Audit {
                results: loaded
                    .into_iter()
                    .filter(|d| plan.selectors.selects_desired(d))
                    .map(|d| Box::new(NumberResult::not_checked(d, Reason::NotRun)))
                    .collect(),
                fatal: None,
                errors: error.problems(),
                unused_rules: Vec::new(),
                expired_rules: Vec::new(),
                unmanaged: Unmanaged::skipped(mode, "the run failed"),
                org: None,
                deployed: None,
                baseline: None,
            };
            let report = Report {
                audit: &audit,
                outcome: ExitCode::Error,
                exit_code: error.exit_code(),
                policy: plan.policy,
            };
            // The error itself is printed once by `main`; here only what else failed.
            for e in report::write_all(&plan.outputs, &report, true) {
                eprintln!("error: {e}");
            }
            Err(error)
        }
    }
}

/// Loads, reads and compares. The desired numbers land in `loaded` as soon as they
/// are loaded, so that a failure after that still reports them.
async fn audit_desired(
    args: &CheckArgs,
    plan: &CheckPlan,
    started: tokio::time::Instant,
    loaded: &mut Vec<DesiredNumber>,
) -> Result<Audit, RunError> {
    *loaded = load_desired(&args.paths, &process_env, UnsetVars::Error)?;
    let numbers = &*loaded;
    let deployed = match &args.gate.deployed_ref {
        Some(reference) => Some(Arc::new(load_deployed(reference, &args.paths)?)),
        None => None,
    };
    let baseline = match &args.gate.baseline {
        Some(path) => Some((
            Baseline::read(path).map_err(|e| anyhow!(e))?,
            baseline::now().map_err(|e| anyhow!(e))?,
        )),
        None => None,
    };
    if let (Some((b, _)), Some(org)) = (&baseline, expected_org(&args.api))
        && let Some(why) = b.org_mismatch(Some(&org))
    {
        return Err(anyhow!("--baseline: {why} (--expect-org)").into());
    }
    let ignore = load_rules(args.rules.ignore_file.as_deref(), numbers)?;
    declare_secrets(&args.secrets, &ignore);
    let key = api_key()?;
    let skip = unmanaged_skip(&args.paths, args.inventory.unmanaged);
    let mut opts = InventoryOptions {
        deadline: args.deadline.map(|d| started + d),
        deployed: deployed.clone(),
        ..inventory_options(
            &args.inventory,
            &args.api,
            plan.selectors.clone(),
            ignore,
            skip.is_some(),
        )?
    };
    let removed = deployed
        .as_ref()
        .map(|d| d.removed(numbers, &opts.selectors));
    let selected = numbers
        .iter()
        .filter(|d| opts.selectors.selects_desired(d))
        .count();
    // A stale selector must not turn the gate into "0 numbers, in sync". (With
    // --unmanaged fail an empty selection still checks the live numbers it selects.)
    if opts.unmanaged != UnmanagedMode::Fail && selected == 0 {
        return Err(RunError::Usage(format!(
            "--only/--exclude select none of the {} desired phone numbers",
            numbers.len()
        )));
    }
    // A baseline's findings for numbers left out are unconfirmed, not resolved.
    let scope = baseline::Scope {
        left_out: numbers
            .iter()
            .filter(|d| !opts.selectors.selects_desired(d))
            .map(baseline::number_key)
            .collect(),
        selective: !opts.selectors.is_everything(),
    };
    let client = client(&args.api, key)?;
    // The bar counts the numbers in scope: those are the ones that get a result.
    let progress = Arc::new(Progress::new(selected, args.quiet));
    opts.observer = progress_observer(&progress);
    let audit = inventory::run(std::mem::take(loaded), &client, &opts).await;
    progress.finish();
    let mut audit = audit.map_err(|refused| {
        *loaded = refused.numbers;
        RunError::Config {
            errors: refused.errors,
            what: "the desired config",
            outcome: "nothing was checked",
        }
    })?;
    if let Some(why) = skip
        && audit.fatal.is_none()
    {
        audit.unmanaged = Unmanaged::skipped(UnmanagedMode::Report, &why);
    }
    if let (Some(d), Some(removed)) = (&deployed, removed) {
        d.annotate(&mut audit, removed);
    }
    if let Some((b, now)) = &baseline {
        match b.org_mismatch(audit.org.as_deref()) {
            // Every report is still written, and says why the run failed.
            Some(why) => {
                audit.fatal.get_or_insert(format!("--baseline: {why}"));
            }
            None => b.annotate(&mut audit, now, &scope),
        }
    }
    Ok(audit)
}

/// The desired files at `--deployed-ref`, read from git: exit 1 before any request
/// when the working folder is not in a repository, the revision does not exist, or
/// the files are invalid there.
fn load_deployed(reference: &str, paths: &[PathBuf]) -> Result<Deployed, RunError> {
    deployed::load(reference, paths, &process_env).map_err(|e| match e {
        deployed::LoadError::Git(why) => RunError::Setup(anyhow!(why)),
        deployed::LoadError::Invalid(errors) => RunError::Config {
            errors,
            what: "the desired files at --deployed-ref",
            outcome: "nothing was checked",
        },
    })
}

fn progress_observer(progress: &Arc<Progress>) -> audit::Observer {
    let progress = Arc::clone(progress);
    audit::Observer::new(move |r| progress.record(r))
}

/// Writes every report; returns the exit code and what the audit earned.
fn write_reports(
    audit: &Audit,
    policy: &Policy,
    report_args: &ReportArgs,
    outputs: &[Output],
) -> (ExitCode, ExitCode) {
    // What was found (every finding, known or new); the exit code may count only
    // the new ones (`--fail-on new`).
    let outcome = ExitCode::for_audit(audit, &policy.as_found());
    let earned = ExitCode::for_audit(audit, policy);
    // A report path that cannot be written makes the run exit 1: the reports that
    // are written say so too.
    let unwritable = report::unwritable(outputs);
    let exit_code = if !unwritable.is_empty() {
        ExitCode::Error
    } else if report_args.exit_zero && earned != ExitCode::Error {
        ExitCode::InSync
    } else {
        earned
    };
    let report = Report {
        audit,
        outcome,
        exit_code,
        policy: *policy,
    };
    let errors = report::write_all(outputs, &report, true);
    if let Some(reason) = &audit.fatal {
        eprintln!("error: {reason}");
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() {
        (exit_code, outcome)
    } else {
        (ExitCode::Error, outcome)
    }
}

/// `vapi-drift alert`: reads the reports and the open issues, writes the decision
/// into `--out` (`action`, `issue`, `title`, `body.md`, `comment.md`) and prints
/// `action=…` and `issue=…` for `$GITHUB_OUTPUT`.
fn alert(args: AlertArgs) -> Result<ExitCode, RunError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let report: serde_json::Value = serde_json::from_str(&read(&args.report)?)
        .with_context(|| format!("{} is not a JSON report", args.report.display()))?;
    let markdown = read(&args.markdown)?;
    let issues: Vec<crate::alert::Issue> = serde_json::from_str(&read(&args.issues)?)
        .with_context(|| {
            format!(
                "{} is not a list of issues as `gh issue list --json number,title` prints it",
                args.issues.display()
            )
        })?;
    let decision = crate::alert::decide(
        &report,
        &markdown,
        &issues,
        &args.title,
        args.run_url.as_deref(),
    )
    .map_err(|e| anyhow!("{}: {e}", args.report.display()))?;
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let issue = decision.issue.map(|n| n.to_string()).unwrap_or_default();
    let files: [(&str, Option<&str>); 5] = [
        ("action", Some(decision.action.word())),
        ("issue", Some(&issue)),
        ("title", Some(&args.title)),
        ("body.md", decision.body.as_deref()),
        ("comment.md", decision.comment.as_deref()),
    ];
    for (name, text) in files {
        let path = out.join(name);
        match text {
            Some(text) => crate::atomic_file::write_atomically(&path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?,
            // Nothing from an earlier decision may linger.
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(anyhow!("cannot remove {}: {e}", path.display()).into());
                }
                _ => {}
            },
        }
    }
    eprintln!(
        "vapi-drift alert: {}{}: {}",
        decision.action.word(),
        decision
            .issue
            .map(|n| format!(" issue #{n}"))
            .unwrap_or_default(),
        decision.why
    );
    say!("action={}", decision.action.word());
    say!("issue={issue}");
    Ok(ExitCode::InSync)
}

/// Whether a phone number (desired document or live object) is the one `target`
/// names: by id or name (case-insensitive), or by number (compared as
/// normalization compares numbers).
fn names_target(doc: &serde_json::Value, target: &str) -> bool {
    let wanted = normalize::normalize(&serde_json::json!({"number": target}))["number"].clone();
    let text = |k: &str| doc.get(k).and_then(serde_json::Value::as_str);
    let same = |v: Option<&str>| v.is_some_and(|v| v.to_lowercase() == target.to_lowercase());
    same(text("id"))
        || same(text("name"))
        || text("number").is_some_and(|num| {
            normalize::normalize(&serde_json::json!({"number": num}))["number"] == wanted
        })
}

/// The one desired number `target` names (see [`names_target`]), if any.
fn find_target<'a>(
    numbers: &'a [DesiredNumber],
    target: &str,
) -> Result<Option<&'a DesiredNumber>, RunError> {
    let matches: Vec<&DesiredNumber> = numbers
        .iter()
        .filter(|n| {
            names_target(&n.doc().value(), target)
                || n.id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(target))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(Some(one)),
        [] => Ok(None),
        many => Err(anyhow!(
            "\"{target}\" matches {} desired phone numbers ({}); give its id",
            many.len(),
            many.iter()
                .map(|n| format!("{}:{}", n.file, n.line))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into()),
    }
}

/// `explain` of a number no desired document describes: the live number it names,
/// if the org has one (unmanaged), masked.
async fn explain_unmanaged(
    args: &ExplainArgs,
    numbers: &[DesiredNumber],
) -> Result<ExitCode, RunError> {
    let client = client(&args.api, api_key()?)?;
    let listing = client
        .list_all(args.api.fetch.concurrency as usize)
        .await
        .context("cannot read the live numbers")?;
    let live = listing.values();
    let found: Vec<&serde_json::Value> = live
        .iter()
        .filter(|n| names_target(n, &args.target))
        .collect();
    let one = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(anyhow!(
                "no desired or live phone number has the id, number or name \"{}\" ({} desired, {} live)",
                args.target,
                numbers.len(),
                live.len()
            )
            .into());
        }
        many => {
            return Err(anyhow!(
                "\"{}\" matches {} live phone numbers ({}); give its id",
                args.target,
                many.len(),
                many.iter()
                    .map(|n| n["id"].as_str().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .into());
        }
    };
    // Described after all, by a document without an id (found by its number or sipUri)?
    if let Some(d) = numbers
        .iter()
        .find(|d| !lookup::find_live(std::slice::from_ref(one), d).is_empty())
    {
        return Err(anyhow!(
            "\"{}\" is live number {}, which {}:{} describes by its number: explain it by that document's name or number",
            args.target,
            one["id"].as_str().unwrap_or_default(),
            d.file,
            d.line
        )
        .into());
    }
    let text = explain::render_unmanaged(one);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("writing to stdout")?;
    Ok(ExitCode::InSync)
}

async fn explain(args: ExplainArgs) -> Result<ExitCode, RunError> {
    let numbers = load_desired(&args.paths, &process_env, UnsetVars::Error)?;
    let ignore = load_rules(args.ignore_file.as_deref(), &numbers)?;
    declare_secrets(&args.secrets, &ignore);
    let Some(desired) = find_target(&numbers, &args.target)? else {
        return explain_unmanaged(&args, &numbers).await;
    };
    let client = client(&args.api, api_key()?)?;
    let fetched = match &desired.id {
        Some(id) => client.get_phone_number(id).await,
        // No id: found through the list, as `check` finds it.
        None => match client.list_all(args.api.fetch.concurrency as usize).await {
            Ok(listing) => match lookup::find_live(&listing.values(), desired).as_slice() {
                [] => Err(FetchError::NotFound),
                [one] => Ok((*one).clone()),
                many => {
                    return Err(anyhow!(
                        "{}:{}: matches {} live numbers ({}): add \"id\" to say which one",
                        desired.file,
                        desired.line,
                        many.len(),
                        many.iter()
                            .map(|l| l["id"].as_str().unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                    .into());
                }
            },
            Err(e) => Err(e),
        },
    };
    if let (Ok(live), Some(org)) = (&fetched, expected_org(&args.api))
        && let Some(reason) = foreign_org([live], &org)
    {
        return Err(anyhow!(reason).into());
    }
    // The id a document without one was found by, as `check` reports it.
    let mut found = desired.clone();
    if let (None, Ok(live)) = (&found.id, &fetched) {
        found.id = live.get("id").and_then(|v| v.as_str()).map(Into::into);
    }
    let reason = fetched.as_ref().err().map(ToString::to_string);
    let (live, code) = match (&fetched, reason.as_deref()) {
        (Ok(v), _) => (explain::Live::Found(v), ExitCode::InSync),
        (Err(FetchError::NotFound), _) => (explain::Live::Missing, ExitCode::InSync),
        (Err(e @ FetchError::Unauthorized { .. }), _) => return Err(anyhow!("{e}").into()),
        (Err(_), reason) => (
            explain::Live::NotChecked(reason.unwrap_or_default()),
            ExitCode::Incomplete,
        ),
    };
    let text = explain::render(&found, live, &ignore);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("writing to stdout")?;
    Ok(code)
}

/// Declares the header names a team calls secret (`--secret-header`, the ignore
/// file's `secret_headers:`), before anything is masked or exported.
fn declare_secrets(flags: &SecretArgs, ignore: &IgnoreSet) {
    crate::secret::declare_secret_headers(flags.secret_header.iter().chain(&ignore.secret_headers));
}

/// `vapi-drift export`: reads the org through the list, then writes one desired
/// file per selected live number, or nothing at all.
async fn export(args: ExportArgs) -> Result<ExitCode, RunError> {
    let selectors =
        Selectors::new(&args.only, &args.exclude).map_err(|e| RunError::Usage(e.to_string()))?;
    let ignore = load_rules(args.ignore_file.as_deref(), &[])?;
    declare_secrets(&args.secrets, &ignore);
    let client = client(&args.api, api_key()?)?;
    let listing = client
        .list_all(args.api.fetch.concurrency as usize)
        .await
        .context("cannot read the live numbers; nothing was written")?;
    // The listed numbers stay compact text: each is parsed when it is looked at
    // (the whole org parsed at once took 560 MB at 100,000 numbers).
    let org = expected_org(&args.api);
    let mut selected: Vec<&Listed> = Vec::new();
    for listed in &listing.numbers {
        let n = listed.value();
        if let Some(org) = &org
            && let Some(reason) = foreign_org([&n], org)
        {
            return Err(anyhow!("{reason}; nothing was written").into());
        }
        if selectors.selects_live(&n) {
            selected.push(listed);
        }
    }
    let nothing_written = |e: String| RunError::from(anyhow!("{e}; nothing was written"));
    let existing_files = export::scan(&args.out);
    let parse = |l: &&Listed| l.value();
    let placement =
        export::place(&selected, &parse, &args.out, existing_files).map_err(nothing_written)?;
    let mut existing: Vec<PathBuf> = placement
        .targets()
        .filter(|p| p.exists())
        .map(Path::to_path_buf)
        .collect();
    existing.sort();
    if !existing.is_empty() && !args.force {
        let count = placement.len();
        // A number that cannot be written as YAML is told first, as it was when
        // every text was made before this check: the texts are made, none kept.
        placement
            .render(&process_env, &mut |_, _| Ok(()))
            .map_err(nothing_written)?;
        for path in &existing {
            eprintln!("error: {} exists already", path.display());
        }
        return Err(anyhow!(
            "vapi-drift export: {} of {} file{} exist already; nothing was written (--force overwrites them)",
            existing.len(),
            count,
            plural(count)
        )
        .into());
    }
    // Each file is staged beside its target as its text is made; none is renamed
    // into place before all are staged (the secrets file last), so that a failure
    // leaves nothing written, and the texts are never held all at once.
    let created: Vec<PathBuf> = args
        .out
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let secrets_path = args.out.join(export::SECRETS_FILE);
    let mut staging = crate::atomic_file::Staging::new(export::WRITERS);
    let rendered = placement
        .render(&process_env, &mut |path, text| staging.add(path, text))
        .and_then(|plan| {
            let text = export::secrets_file(&plan, &args.out);
            staging.add(secrets_path.clone(), text)?;
            Ok(plan)
        });
    let (plan, staged) = match (rendered, staging.finish()) {
        (Ok(plan), Ok(staged)) => (plan, staged),
        (rendered, staged) => {
            // Nothing was renamed into place: the staged files are gone, and so
            // are the folders this run made.
            for dir in &created {
                let _ = std::fs::remove_dir(dir);
            }
            return Err(match staged {
                Err(errors) => nothing_written(write_errors(&errors)),
                Ok(_) => nothing_written(rendered.err().unwrap_or_default()),
            });
        }
    };
    if !plan.kept.is_empty() {
        let numbers: usize = plan.kept.iter().map(export::ExistingFile::numbers).sum();
        eprintln!(
            "note: {} already holds {} other desired file{} ({} phone number{}) that this export does not write; `vapi-drift check {}` reads them too",
            args.out.display(),
            plan.kept.len(),
            plural(plan.kept.len()),
            numbers,
            plural(numbers),
            args.out.display()
        );
    }
    let errors = staged.commit();
    let files = &plan.files;
    for f in files {
        for w in &f.warnings {
            eprintln!("warning: {}: {w}", f.path.display());
        }
    }
    if !errors.is_empty() {
        return Err(anyhow!(write_errors(&errors)).into());
    }
    say!(
        "vapi-drift export: wrote {} file{} to {} ({} live number{} read, {} selected)",
        files.len(),
        plural(files.len()),
        args.out.display(),
        listing.numbers.len(),
        plural(listing.numbers.len()),
        selected.len()
    );
    if !plan.variables.is_empty() {
        say!(
            "Secrets were not written: {} variable{} to set before `vapi-drift check` (one per distinct secret value; {} lists them, with the files that read each):",
            plan.variables.len(),
            plural(plan.variables.len()),
            secrets_path.display()
        );
        for v in &plan.variables {
            let files = v.files().len();
            say!(
                "  {}  {} ({} file{})",
                v.name,
                v.what(),
                files,
                plural(files)
            );
        }
    }
    if let Some(why) = listing.incomplete() {
        eprintln!("warning: the list of live numbers may be incomplete: {why}");
        return Ok(ExitCode::Incomplete);
    }
    Ok(ExitCode::InSync)
}

/// `cannot write PATH: why`, one a line (each after the first with its own `error: `).
fn write_errors(errors: &[crate::atomic_file::WriteError]) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|(path, e)| format!("cannot write {}: {e}", path.display()))
        .collect();
    lines.join("\nerror: ")
}

/// `vapi-drift demo`: the real check path against the stand-in, started
/// in-process on loopback with the demo's sample org.
#[cfg(feature = "demo")]
mod demo {
    use super::*;
    use crate::cli::DemoArgs;
    use vapi_standin::{StandIn, StandInConfig, org};

    pub async fn run(args: DemoArgs) -> Result<ExitCode, RunError> {
        let outputs = outputs(&args.report)?;
        let numbers = load_desired(&args.paths, &org::env, UnsetVars::Error)?;
        let standin = StandIn::start(StandInConfig {
            api_key: org::DEMO_API_KEY.into(),
            numbers: org::numbers(),
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
        };
        let client = Client::new(client_config(
            standin.base_url(),
            ApiKey::new(org::DEMO_API_KEY.into()),
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
        let audit = audit.map_err(|refused| RunError::Config {
            errors: refused.errors,
            what: "the desired config",
            outcome: "no report was written",
        })?;
        let (code, outcome) = write_reports(&audit, &Policy::default(), &args.report, &outputs);
        if code == ExitCode::Error || args.quiet {
            return Ok(if code == ExitCode::Error {
                code
            } else {
                ExitCode::InSync
            });
        }
        eprintln!(
            "vapi-drift demo: `vapi-drift check` would exit with code {} ({}); the demo itself exits 0",
            outcome.code(),
            outcome.status_word()
        );
        Ok(ExitCode::InSync)
    }
}
