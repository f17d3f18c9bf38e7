//! Inventory: which live numbers an audit reads and how, and what the org holds
//! beyond the desired files.
//!
//! Owns:
//! - the fetch strategy, `--fetch auto|list|get` (see [`run`] for the exact rule);
//! - selectors, `--only` / `--exclude`: globs over number, name, id and source file;
//! - finding a desired number that has no `id`: by its E.164 `number` (the same
//!   canonical form `normalize` compares), or, for provider `vapi` without a
//!   number, by its `sipUri` (case-insensitive);
//! - unmanaged numbers (`--unmanaged report|fail|ignore`) and their allow list;
//! - the org guard, `--expect-org`.
//!
//! Does not own: reading the list routes (see `vapi::list`), comparing a desired
//! number with its live object (see `audit`), the ignore file (its `unmanaged:`
//! globs come in through [`UnmanagedAllow::new`]).

use crate::audit::{self, Audit, AuditOptions, Observer, Source, Status};
use crate::desired::{ConfigError, ConfigErrors, DesiredNumber};
use crate::ignore::IgnoreSet;
use crate::normalize::{comparable_number, e164};
use crate::pointer::Pointer;
use crate::vapi::client::{Client, FetchError};
use crate::vapi::list::{Listed, Listing};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value;
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// How the live numbers are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FetchMode {
    /// Whichever takes fewer requests; the list whenever unmanaged numbers are looked for
    Auto,
    /// The whole org through the list routes (1000 numbers a request)
    List,
    /// One `GET /phone-number/{id}` per desired number
    Get,
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

/// A glob over a number's number, name or id: `*` crosses `/`, case-insensitive.
fn value_glob(text: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(text)
        .literal_separator(false)
        .case_insensitive(true)
        .build()
}

/// A glob over a source file path: `*` stays within one folder, `**` crosses them.
fn path_glob(text: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(text).literal_separator(true).build()
}

/// For clap: a selector or allow glob that does not compile is a usage error.
pub fn parse_glob(text: &str) -> Result<String, String> {
    value_glob(text)
        .and_then(|_| path_glob(text))
        .map(|_| text.to_string())
        .map_err(|e| format!("invalid glob \"{text}\": {}", e.kind()))
}

/// A list of globs, each tried against values (number, name, id) and file paths.
#[derive(Debug, Clone)]
pub struct Globs {
    texts: Vec<String>,
    values: GlobSet,
    paths: GlobSet,
}

impl Default for Globs {
    fn default() -> Self {
        Globs {
            texts: Vec::new(),
            values: GlobSet::empty(),
            paths: GlobSet::empty(),
        }
    }
}

impl Globs {
    pub fn new(texts: &[String]) -> Result<Globs, globset::Error> {
        let mut values = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for text in texts {
            values.add(value_glob(text)?);
            paths.add(path_glob(text)?);
        }
        Ok(Globs {
            texts: texts.to_vec(),
            values: values.build()?,
            paths: paths.build()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    fn matches_values<S: AsRef<str>>(&self, values: &[S]) -> bool {
        values.iter().any(|v| self.values.is_match(v.as_ref()))
    }

    /// The path as the user named it, or its file name alone.
    fn matches_file(&self, file: &str) -> bool {
        self.paths.is_match(file)
            || Path::new(file)
                .file_name()
                .is_some_and(|name| self.paths.is_match(name))
    }
}

/// What a glob is matched against for a live number: its number (as written and
/// in E.164), its name and its id.
fn live_values(live: &Value) -> Vec<String> {
    let text = |k: &str| live.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out: Vec<String> = [text("number"), text("name"), text("id")]
        .into_iter()
        .flatten()
        .collect();
    if let Some(n) = text("number").and_then(|n| e164(&n)) {
        out.push(n);
    }
    out
}

fn desired_values(d: &DesiredNumber) -> Vec<String> {
    let mut out: Vec<String> = [&d.number, &d.name, &d.id]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if let Some(n) = d.number.as_deref().and_then(e164) {
        out.push(n);
    }
    out
}

/// `--only` and `--exclude`: which numbers are in scope. A number is in scope when
/// it matches some `--only` glob (or there is none) and no `--exclude` glob.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    only: Globs,
    exclude: Globs,
}

impl Selectors {
    pub fn new(only: &[String], exclude: &[String]) -> Result<Selectors, globset::Error> {
        Ok(Selectors {
            only: Globs::new(only)?,
            exclude: Globs::new(exclude)?,
        })
    }

    /// A desired number: by number, name, id, or source file (the path or its file name).
    pub fn selects_desired(&self, d: &DesiredNumber) -> bool {
        let values = desired_values(d);
        let hit = |g: &Globs| g.matches_values(&values) || g.matches_file(&d.file);
        (self.only.is_empty() || hit(&self.only)) && !hit(&self.exclude)
    }

    /// A live number: by number, name or id.
    pub fn selects_live(&self, live: &Value) -> bool {
        let values = live_values(live);
        (self.only.is_empty() || self.only.matches_values(&values))
            && !self.exclude.matches_values(&values)
    }
}

/// Live numbers that may be unmanaged: globs over number, name or id. The ignore
/// file's `unmanaged:` list is what fills it.
#[derive(Debug, Clone, Default)]
pub struct UnmanagedAllow(Globs);

impl UnmanagedAllow {
    pub fn new(globs: &[String]) -> Result<UnmanagedAllow, globset::Error> {
        Ok(UnmanagedAllow(Globs::new(globs)?))
    }

    pub fn allows(&self, live: &Value) -> bool {
        self.0.matches_values(&live_values(live))
    }
}

/// A live number no desired document describes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnmanagedNumber {
    pub id: String,
    pub number: Option<String>,
    pub name: Option<String>,
    pub provider: String,
    pub created_at: Option<String>,
}

impl UnmanagedNumber {
    fn of(live: &Value) -> UnmanagedNumber {
        let text = |k: &str| live.get(k).and_then(Value::as_str).map(str::to_string);
        UnmanagedNumber {
            id: text("id").unwrap_or_default(),
            number: text("number"),
            name: text("name"),
            provider: text("provider").unwrap_or_default(),
            created_at: text("createdAt"),
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
    fn skipped(mode: UnmanagedMode, why: &str) -> Unmanaged {
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

/// What a desired number without an `id` is found by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LookupKey {
    /// The number as normalization compares it (E.164 unless the check is off).
    Number(String),
    /// Lower case.
    SipUri(String),
}

impl fmt::Display for LookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupKey::Number(n) => write!(f, "number \"{n}\""),
            LookupKey::SipUri(s) => write!(f, "sipUri \"{s}\""),
        }
    }
}

fn e164_check(doc: &Value) -> bool {
    doc.get("numberE164CheckEnabled") != Some(&Value::Bool(false))
}

/// How to find a desired number that has no `id`; `None` when it has one, or
/// has nothing to be found by.
pub fn lookup_key(d: &DesiredNumber) -> Option<LookupKey> {
    if d.id.is_some() {
        return None;
    }
    if let Some(n) = &d.number {
        return Some(LookupKey::Number(comparable_number(n, e164_check(&d.doc))));
    }
    if d.provider == "vapi"
        && let Some(uri) = d.doc.get("sipUri").and_then(Value::as_str)
    {
        return Some(LookupKey::SipUri(uri.to_lowercase()));
    }
    None
}

/// The keys a live number can be found by.
fn live_keys(live: &Value) -> Vec<LookupKey> {
    let mut keys = Vec::new();
    if let Some(n) = live.get("number").and_then(Value::as_str) {
        keys.push(LookupKey::Number(comparable_number(n, e164_check(live))));
    }
    if let Some(uri) = live.get("sipUri").and_then(Value::as_str) {
        keys.push(LookupKey::SipUri(uri.to_lowercase()));
    }
    keys
}

/// Desired documents without an `id` that could never be found (no `number`, and
/// no `sipUri` for provider `vapi`): config errors, found before any request.
pub fn lookup_errors(numbers: &[DesiredNumber]) -> Vec<ConfigError> {
    numbers
        .iter()
        .filter(|d| d.id.is_none() && lookup_key(d).is_none())
        .map(|d| {
            let what = if d.provider == "vapi" {
                "\"number\" or \"sipUri\""
            } else {
                "\"number\""
            };
            ConfigError {
                file: d.file.clone(),
                pos: Some(d.source_map.position(&Pointer::root())),
                message: format!("no \"id\", and no {what} to find the number by: add one of them"),
            }
        })
        .collect()
}

/// The live numbers a desired document without an `id` matches (by number or sipUri).
pub fn find_live<'a>(numbers: &'a [Value], d: &DesiredNumber) -> Vec<&'a Value> {
    let Some(key) = lookup_key(d) else {
        return Vec::new();
    };
    numbers
        .iter()
        .filter(|n| live_keys(n).contains(&key))
        .collect()
}

/// The reason a run stops when a live number belongs to another org than `expected`.
pub fn foreign_org(
    numbers: impl IntoIterator<Item = impl Borrow<Value>>,
    expected: &str,
) -> Option<String> {
    numbers.into_iter().find_map(|n| {
        n.borrow()
            .get("orgId")
            .and_then(Value::as_str)
            .filter(|org| *org != expected)
            .map(|org| {
                format!(
                    "the API key belongs to org {org}, not to the expected org {expected} (--expect-org / VAPI_ORG_ID)"
                )
            })
    })
}

/// Listed numbers by id and by lookup key.
struct Index<'a> {
    by_id: HashMap<&'a str, &'a Listed>,
    by_key: HashMap<LookupKey, Vec<&'a Listed>>,
}

impl<'a> Index<'a> {
    /// `with_keys`: index the lookup keys too (else [`Index::find`] finds nothing).
    fn new(numbers: &'a [Listed], with_keys: bool) -> Index<'a> {
        let mut by_id = HashMap::new();
        let mut by_key: HashMap<LookupKey, Vec<&Listed>> = HashMap::new();
        for n in numbers {
            by_id.insert(n.id(), n);
            if with_keys {
                for key in live_keys(&n.value()) {
                    by_key.entry(key).or_default().push(n);
                }
            }
        }
        Index { by_id, by_key }
    }

    fn find(&self, key: &LookupKey) -> &[&'a Listed] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }
}

/// Everything [`run`] needs besides the desired numbers and the client.
#[derive(Debug, Clone)]
pub struct InventoryOptions {
    pub fetch: FetchMode,
    pub unmanaged: UnmanagedMode,
    pub allow: UnmanagedAllow,
    pub selectors: Selectors,
    pub expect_org: Option<String>,
    pub concurrency: usize,
    /// Handed to the audit (see `ignore`).
    pub ignore: IgnoreSet,
    /// `--deadline`: bounds the list read too; handed to the audit.
    pub deadline: Option<tokio::time::Instant>,
    /// Told of each result (the progress bar); handed to the audit.
    pub observer: Observer,
}

impl Default for InventoryOptions {
    fn default() -> Self {
        InventoryOptions {
            fetch: FetchMode::Auto,
            unmanaged: UnmanagedMode::Report,
            allow: UnmanagedAllow::default(),
            selectors: Selectors::default(),
            expect_org: None,
            concurrency: 8,
            ignore: IgnoreSet::default(),
            deadline: None,
            observer: Observer::default(),
        }
    }
}

/// Why `--fetch` and `--unmanaged` cannot go together, if they cannot.
pub fn flag_conflict(fetch: FetchMode, unmanaged: UnmanagedMode) -> Option<&'static str> {
    (fetch == FetchMode::Get && unmanaged == UnmanagedMode::Fail).then_some(
        "--unmanaged fail needs the list of every live number, which --fetch get does not read: use --fetch list or auto",
    )
}

/// The audit of the desired numbers in scope, and the unmanaged numbers.
///
/// The fetch rule:
/// - `get`: one `GET /phone-number/{id}` per desired number in scope; unmanaged
///   numbers are not looked for. A desired number without an `id` is a config error.
/// - `list`: the whole org through the list routes.
/// - `auto`: `list` when unmanaged numbers are looked for (`--unmanaged report`
///   or `fail`) or a desired number in scope has no `id`. Otherwise one desired
///   number is one GET; with two or more, page 1 of the list is read (1000
///   numbers): if the pages left are no more than the desired numbers page 1 did
///   not hold, the rest of the list is read, else those numbers are read by GET.
///
/// Whatever the route, a desired number with an `id` that the list does not hold
/// is read by GET before it is called missing (the list is read in several
/// requests, and a number can move between pages meanwhile).
///
/// Errors are config errors found once the list is read: an `id`-less document
/// that matches two live numbers, or a live number two documents describe.
pub async fn run(
    desired: Vec<DesiredNumber>,
    client: &Client,
    opts: &InventoryOptions,
) -> Result<Audit, ConfigErrors> {
    let (scope, others): (Vec<DesiredNumber>, Vec<DesiredNumber>) = desired
        .into_iter()
        .partition(|d| opts.selectors.selects_desired(d));
    let audit_opts = AuditOptions {
        concurrency: opts.concurrency,
        ignore: opts.ignore.clone(),
        expect_org: opts.expect_org.clone(),
        deadline: opts.deadline,
        observer: opts.observer.clone(),
    };
    if opts.fetch == FetchMode::Get {
        let errors: Vec<ConfigError> = scope
            .iter()
            .filter_map(|d| {
                let key = lookup_key(d)?;
                Some(ConfigError {
                    file: d.file.clone(),
                    pos: Some(d.source_map.position(&Pointer::root())),
                    message: format!(
                        "no \"id\": --fetch get reads numbers by id only; use --fetch list or auto to find it by its {key}"
                    ),
                })
            })
            .collect();
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
    }

    // The list read ends at the deadline too: then nothing was read, and every
    // number in scope is NOT_CHECKED "deadline".
    let read = tokio::select! {
        r = read_list(&scope, client, opts) => Some(r),
        () = audit::sleep_until_deadline(opts.deadline) => None,
    };
    let Some(read) = read else {
        let planned = scope
            .into_iter()
            .map(|d| (d, Source::NotChecked(audit::DEADLINE_REASON.to_string())))
            .collect();
        return Ok(audit::run_planned(planned, client, &audit_opts).await);
    };
    let (listing, list_error) = match read {
        Ok(listing) => (listing, None),
        Err(e @ FetchError::Unauthorized { .. }) => {
            return Ok(stopped(scope, e.to_string(), client, &audit_opts).await);
        }
        Err(e) => (None, Some(e.to_string())),
    };
    if let (Some(l), Some(org)) = (&listing, &opts.expect_org)
        && let Some(reason) = foreign_org(l.numbers.iter().map(Listed::value), org)
    {
        return Ok(stopped(scope, reason, client, &audit_opts).await);
    }

    let incomplete = listing.as_ref().and_then(Listing::incomplete);
    let listed: Option<Vec<Listed>> = listing.map(|l| l.numbers);
    // Lookup keys cost a parse of every listed number: only a document without an
    // `id` is found by them.
    let by_key = scope.iter().chain(&others).any(|d| d.id.is_none());
    let index = listed.as_deref().map(|l| Index::new(l, by_key));
    // Owned (id -> file, line), so the planning loop below can move the desired
    // numbers instead of cloning each one (a whole copy of the org's documents).
    let explicit: HashMap<String, (String, u32)> = scope
        .iter()
        .chain(&others)
        .filter_map(|d| {
            d.id.as_ref()
                .map(|id| (id.clone(), (d.file.clone(), d.line)))
        })
        .collect();
    let mut errors = Vec::new();
    let mut found_by: HashMap<String, String> = HashMap::new();
    let mut planned = Vec::with_capacity(scope.len());
    for mut d in scope {
        let source = match (&d.id, &index, &list_error) {
            (Some(id), Some(ix), _) => match ix.by_id.get(id.as_str()) {
                Some(live) => Source::Live((*live).clone()),
                None => Source::Get,
            },
            (_, None, Some(e)) => Source::NotChecked(list_failed(e)),
            (Some(_), None, None) => Source::Get,
            (None, None, None) => {
                Source::NotChecked("no \"id\" and the list of live numbers was not read".into())
            }
            (None, Some(ix), _) => {
                let key = lookup_key(&d)
                    .expect("checked before any request: a desired number without an id has a number or sipUri");
                match ix.find(&key) {
                    [] => match &incomplete {
                        Some(why) => Source::NotChecked(format!(
                            "no live number has {key}, but the list read may be incomplete: {why}"
                        )),
                        None => Source::Missing,
                    },
                    [live] => {
                        let id = live.id().to_string();
                        let here = format!("{}:{}", d.file, d.line);
                        if let Some((file, line)) = explicit.get(id.as_str()) {
                            errors.push(claim_error(
                                &d,
                                format!(
                                    "{key} is live number {id}, which {file}:{line} already describes by id"
                                ),
                            ));
                        } else if let Some(other) = found_by.get(&id) {
                            errors.push(claim_error(
                                &d,
                                format!("{key} is live number {id}, which {other} also describes"),
                            ));
                        } else {
                            found_by.insert(id.clone(), here);
                        }
                        d.id = Some(id);
                        Source::Live((*live).clone())
                    }
                    many => {
                        let ids: Vec<&str> = many.iter().map(|l| l.id()).collect();
                        errors.push(claim_error(
                            &d,
                            format!(
                                "{key} matches {} live numbers ({}): add \"id\" to say which one this document describes",
                                ids.len(),
                                ids.join(", ")
                            ),
                        ));
                        continue;
                    }
                }
            }
        };
        planned.push((d, source));
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }

    // What the listing says of the numbers no document claims, worked out now:
    // the plan knows every claimed id, and the listing can then be dropped, so
    // each live number is freed as soon as it is compared.
    let unmanaged = match (&listed, &list_error) {
        _ if opts.unmanaged == UnmanagedMode::Ignore => {
            Unmanaged::skipped(opts.unmanaged, "--unmanaged ignore")
        }
        (Some(l), _) => {
            let mut claimed: HashSet<&str> = explicit.keys().map(String::as_str).collect();
            claimed.extend(planned.iter().filter_map(|(d, _)| d.id.as_deref()));
            // An id-less document outside the selectors still claims what it matches.
            let ix = index.as_ref().expect("built with the listing");
            for d in others.iter().filter(|d| d.id.is_none()) {
                if let Some(key) = lookup_key(d) {
                    claimed.extend(ix.find(&key).iter().map(|l| l.id()));
                }
            }
            let mut numbers: Vec<UnmanagedNumber> = l
                .iter()
                .filter(|n| !claimed.contains(n.id()))
                .map(Listed::value)
                .filter(|n| opts.selectors.selects_live(n) && !opts.allow.allows(n))
                .map(|n| UnmanagedNumber::of(&n))
                .collect();
            numbers.sort_by(|a, b| (&a.number, &a.id).cmp(&(&b.number, &b.id)));
            let check = match &incomplete {
                None => UnmanagedCheck::Complete,
                Some(why) => UnmanagedCheck::Incomplete(why.clone()),
            };
            Unmanaged {
                mode: opts.unmanaged,
                check,
                numbers,
            }
        }
        (None, Some(e)) => Unmanaged {
            mode: opts.unmanaged,
            check: UnmanagedCheck::Incomplete(list_failed(e)),
            numbers: Vec::new(),
        },
        (None, None) => {
            Unmanaged::skipped(opts.unmanaged, "--fetch get reads only the desired numbers")
        }
    };
    let listed_before = listed.is_some();
    drop(index);
    drop(listed);

    let mut audit = audit::run_planned(planned, client, &audit_opts).await;
    if !listed_before
        && audit.fatal.is_none()
        && let Some(org) = &opts.expect_org
        && audit.results.iter().any(|r| r.status == Status::Missing)
    {
        // A key of another org reads every number as missing (404): learn the
        // key's org from one listed number before saying so.
        match client.list_one().await {
            Ok(Some(live)) => {
                if let Some(reason) = foreign_org([&live], org) {
                    stop_all(&mut audit, reason);
                }
            }
            Err(e @ FetchError::Unauthorized { .. }) => stop_all(&mut audit, e.to_string()),
            Ok(None) | Err(_) => {}
        }
    }
    audit.unmanaged = if audit.fatal.is_some() && opts.unmanaged != UnmanagedMode::Ignore {
        Unmanaged::skipped(opts.unmanaged, "the run stopped")
    } else {
        unmanaged
    };
    Ok(audit)
}

fn list_failed(e: &str) -> String {
    format!("the list of live numbers could not be read: {e}")
}

fn claim_error(d: &DesiredNumber, message: String) -> ConfigError {
    ConfigError {
        file: d.file.clone(),
        pos: Some(d.source_map.position(&Pointer::root())),
        message,
    }
}

/// Reads the list when the fetch rule (see [`run`]) says so; `None` when it does not.
async fn read_list(
    scope: &[DesiredNumber],
    client: &Client,
    opts: &InventoryOptions,
) -> Result<Option<Listing>, FetchError> {
    let needs_list =
        opts.unmanaged != UnmanagedMode::Ignore || scope.iter().any(|d| d.id.is_none());
    match opts.fetch {
        FetchMode::Get => Ok(None),
        FetchMode::List => client.list_all(opts.concurrency).await.map(Some),
        FetchMode::Auto if needs_list => client.list_all(opts.concurrency).await.map(Some),
        FetchMode::Auto if scope.len() <= 1 => Ok(None),
        FetchMode::Auto => {
            let first = match client.list_first().await {
                Ok(first) => first,
                // Nothing needed the list: a failed first page falls back to GETs.
                Err(e @ FetchError::Unauthorized { .. }) => return Err(e),
                Err(_) => return Ok(None),
            };
            let held: HashSet<&str> = first.numbers.iter().map(Listed::id).collect();
            let not_held = scope
                .iter()
                .filter(|d| d.id.as_deref().is_none_or(|id| !held.contains(id)))
                .count();
            match first.remaining_pages() {
                Some(pages) if pages > 0 && pages <= not_held => {
                    match client.list_rest(first, opts.concurrency).await {
                        Ok(listing) => Ok(Some(listing)),
                        Err(e @ FetchError::Unauthorized { .. }) => Err(e),
                        Err(_) => Ok(None),
                    }
                }
                _ => Ok(Some(first)),
            }
        }
    }
}

/// Every number in scope not checked, the run stopped for `reason`.
async fn stopped(
    scope: Vec<DesiredNumber>,
    reason: String,
    client: &Client,
    opts: &AuditOptions,
) -> Audit {
    let why = audit::stopped_reason(&reason);
    let planned = scope
        .into_iter()
        .map(|d| (d, Source::NotChecked(why.clone())))
        .collect();
    let mut audit = audit::run_planned(planned, client, opts).await;
    audit.fatal = Some(reason);
    audit
}

/// Stops a finished audit: every result becomes not checked (the key is of another org).
fn stop_all(audit: &mut Audit, reason: String) {
    let why = audit::stopped_reason(&reason);
    for r in &mut audit.results {
        r.status = Status::NotChecked;
        r.differences.clear();
        r.diff.clear();
        r.unverifiable.clear();
        r.health = None;
        r.error = Some(why.clone());
    }
    audit.fatal = Some(reason);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{IdRule, valid_numbers};
    use serde_json::json;

    fn desired(file: &str, yaml: &str) -> Vec<DesiredNumber> {
        valid_numbers(file, yaml, &|_| None, IdRule::Optional)
    }

    fn globs(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn selectors_match_number_name_id_and_file() {
        let d = desired(
            "desired/us/support.yaml",
            "id: 2b9d-aaaa\nprovider: vonage\nname: Support line\nnumber: \"+1 (650) 555-0142\"\ncredentialId: c\n",
        )
        .remove(0);
        let sel = |only: &[&str], exclude: &[&str]| {
            Selectors::new(&globs(only), &globs(exclude))
                .expect("globs")
                .selects_desired(&d)
        };
        assert!(sel(&[], &[]));
        assert!(sel(&["+1650*"], &[]), "E.164 form");
        assert!(sel(&["+1 (650)*"], &[]), "as written");
        assert!(sel(&["support*"], &[]), "name, case-insensitive");
        assert!(sel(&["2b9d-*"], &[]), "id");
        assert!(sel(&["support.yaml"], &[]), "file name");
        assert!(sel(&["desired/**/*.yaml"], &[]), "path");
        assert!(!sel(&["desired/*.yaml"], &[]), "* stays within a folder");
        assert!(!sel(&["+44*"], &[]));
        assert!(!sel(&[], &["Support*"]));
        assert!(!sel(&["+1*"], &["desired/us/*"]));
    }

    #[test]
    fn live_selectors_and_the_allow_list_use_number_name_and_id() {
        let live = json!({"id": "abc-1", "provider": "twilio", "number": "+12125550100", "name": "Lab/Test"});
        let sel = Selectors::new(&globs(&["Lab*"]), &[]).expect("globs");
        assert!(sel.selects_live(&live), "* crosses / in names");
        let sel = Selectors::new(&[], &globs(&["+1212*"])).expect("globs");
        assert!(!sel.selects_live(&live));
        assert!(
            UnmanagedAllow::new(&globs(&["+1212*"]))
                .expect("g")
                .allows(&live)
        );
        assert!(
            UnmanagedAllow::new(&globs(&["ABC-*"]))
                .expect("g")
                .allows(&live)
        );
        assert!(
            !UnmanagedAllow::new(&globs(&["+1415*"]))
                .expect("g")
                .allows(&live)
        );
        assert!(!UnmanagedAllow::default().allows(&live));
        assert!(parse_glob("[unclosed").is_err());
    }

    #[test]
    fn lookup_keys_follow_normalize() {
        let docs = desired(
            "d.yaml",
            "provider: vonage\nnumber: \"+1 415 555 0100\"\ncredentialId: c\n---\nprovider: vapi\nsipUri: SIP:Desk@Example.com\n---\nprovider: byo-phone-number\nnumberE164CheckEnabled: false\nnumber: \"+1 415\"\ncredentialId: c\n---\nid: x\nprovider: vapi\n---\nprovider: vapi\nname: nothing to go by\n",
        );
        assert_eq!(
            lookup_key(&docs[0]),
            Some(LookupKey::Number("+14155550100".into()))
        );
        assert_eq!(
            lookup_key(&docs[1]),
            Some(LookupKey::SipUri("sip:desk@example.com".into()))
        );
        assert_eq!(
            lookup_key(&docs[2]),
            Some(LookupKey::Number("+1 415".into()))
        );
        assert_eq!(lookup_key(&docs[3]), None, "has an id");
        let errors = lookup_errors(&docs);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "d.yaml:16:1: no \"id\", and no \"number\" or \"sipUri\" to find the number by: add one of them"
        );
        let ix_numbers: Vec<Listed> = [
            json!({"id": "a", "provider": "vonage", "number": "+14155550100"}),
            json!({"id": "b", "provider": "vapi", "sipUri": "sip:desk@example.com"}),
        ]
        .iter()
        .filter_map(Listed::new)
        .collect();
        let ix = Index::new(&ix_numbers, true);
        assert_eq!(ix.find(&lookup_key(&docs[0]).expect("key")).len(), 1);
        assert_eq!(ix.find(&lookup_key(&docs[1]).expect("key")).len(), 1);
        assert!(ix.find(&lookup_key(&docs[2]).expect("key")).is_empty());
    }

    #[test]
    fn foreign_org_names_the_keys_org() {
        let numbers = [
            json!({"id": "a", "orgId": "org-1"}),
            json!({"id": "b", "orgId": "org-2"}),
        ];
        assert_eq!(foreign_org(&numbers[..1], "org-1"), None);
        let why = foreign_org(&numbers, "org-1").expect("foreign");
        assert!(why.contains("belongs to org org-2"), "{why}");
    }

    #[test]
    fn unmanaged_outcome_rules() {
        let mut u = Unmanaged {
            mode: UnmanagedMode::Report,
            check: UnmanagedCheck::Complete,
            numbers: vec![UnmanagedNumber::of(&json!({"id": "a", "provider": "vapi"}))],
        };
        assert!(!u.is_drift());
        u.mode = UnmanagedMode::Fail;
        assert!(u.is_drift() && !u.is_incomplete());
        u.check = UnmanagedCheck::Incomplete("x".into());
        assert!(u.is_incomplete());
        assert_eq!(flag_conflict(FetchMode::Get, UnmanagedMode::Report), None);
        assert!(flag_conflict(FetchMode::Get, UnmanagedMode::Fail).is_some());
    }
}
