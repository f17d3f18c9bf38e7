//! Inventory: which live numbers an audit reads and how, and what the org holds
//! beyond the desired files.
//!
//! Owns:
//! - the fetch strategy, `--fetch auto|list|get` (see [`run`] for the exact rule);
//! - the plan: each desired number in scope with where its live state comes from
//!   (listed, to be read by GET, known missing, or not checkable and why);
//! - unmanaged numbers (`--unmanaged report|fail|ignore`).
//!
//! Does not own: which numbers a glob picks (`select`), finding a number without
//! an `id` (`lookup`), reading the list routes (`vapi::list`), the org guard
//! (`vapi::org`), comparing a desired number with its live object (`audit`).

use crate::audit::{self, AuditOptions, Observer, Source};
use crate::desired::{ConfigError, ConfigErrors, DesiredNumber};
use crate::ignore::IgnoreSet;
use crate::lookup::{Index, lookup_key};
use crate::model::{
    Audit, Reason, Status, Unmanaged, UnmanagedCheck, UnmanagedMode, UnmanagedNumber,
};
use crate::pointer::Pointer;
use crate::select::{Selectors, UnmanagedAllow};
use crate::vapi::client::{Client, FetchError};
use crate::vapi::list::{Listed, Listing};
use crate::vapi::org::foreign_org;
use std::collections::{HashMap, HashSet};

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
    /// `--deployed-ref`: handed to the audit.
    pub deployed: Option<std::sync::Arc<crate::deployed::Deployed>>,
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
            deployed: None,
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
        deployed: opts.deployed.clone(),
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
            .map(|d| (d, Source::NotChecked(Reason::Deadline)))
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
            (_, None, Some(e)) => Source::NotChecked(Reason::ListUnread(e.clone())),
            (Some(_), None, None) => Source::Get,
            (None, None, None) => Source::NotChecked(Reason::NoIdUnlisted),
            (None, Some(ix), _) => {
                let key = lookup_key(&d)
                    .expect("checked before any request: a desired number without an id has a number or sipUri");
                match ix.find(&key) {
                    [] => match &incomplete {
                        Some(why) => Source::NotChecked(Reason::NotFoundInPartialList {
                            key: key.to_string(),
                            why: why.clone(),
                        }),
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
            check: UnmanagedCheck::Incomplete(Reason::ListUnread(e.clone()).to_string()),
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
    let planned = scope
        .into_iter()
        .map(|d| (d, Source::NotChecked(Reason::Stopped(reason.clone()))))
        .collect();
    let mut audit = audit::run_planned(planned, client, opts).await;
    audit.fatal = Some(reason);
    audit
}

/// Stops a finished audit: every result becomes not checked (the key is of another org).
fn stop_all(audit: &mut Audit, reason: String) {
    for r in &mut audit.results {
        r.status = Status::NotChecked;
        r.differences.clear();
        r.diff.clear();
        r.unverifiable.clear();
        r.health = None;
        r.reason = Some(Reason::Stopped(reason.clone()));
    }
    audit.fatal = Some(reason);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
