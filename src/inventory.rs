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

use crate::audit::{self, AuditOptions, Observer, Planned, Source};
use crate::desired::{ConfigError, ConfigErrors, DesiredNumber};
use crate::ignore::IgnoreSet;
use crate::lookup::{Index, LookupKey, live_keys, lookup_key};
use crate::model::{
    Audit, NumberResult, Reason, Status, Unmanaged, UnmanagedCheck, UnmanagedMode, UnmanagedNumber,
};
use crate::pointer::Pointer;
use crate::select::{Selectors, UnmanagedAllow};
use crate::vapi::client::{Client, FetchError};
use crate::vapi::list::{Listed, Listing};
use crate::vapi::org::foreign_org;
use futures::future::{BoxFuture, FutureExt};
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

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
/// that matches two live numbers, or a live number two documents describe. They
/// come back with the desired numbers in scope, so that every report still lists
/// each of them.
pub async fn run(
    desired: Vec<DesiredNumber>,
    client: &Client,
    opts: &InventoryOptions,
) -> Result<Audit, Refused> {
    // In place: the numbers in scope stay in the list they were loaded into.
    let mut scope = desired;
    let others: Vec<DesiredNumber> = scope
        .extract_if(.., |d| !opts.selectors.selects_desired(d))
        .collect();
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
                    file: d.file.to_string(),
                    pos: Some(d.source_map().position(&Pointer::root())),
                    message: format!(
                        "no \"id\": --fetch get reads numbers by id only; use --fetch list or auto to find it by its {key}"
                    ),
                })
            })
            .collect();
        if !errors.is_empty() {
            return Err(Refused {
                errors: ConfigErrors(errors),
                numbers: scope,
            });
        }
    }

    // The list is read page by page, and each listed number a desired number in
    // scope names by id is compared as its page arrives (see `Stream`): the
    // listing is never held whole. The list read ends at the deadline too: then
    // nothing was read, and every number in scope is NOT_CHECKED "deadline".
    let mut stream = Stream::new(scope, &others, opts, &audit_opts);
    let read = tokio::select! {
        r = read_list(&mut stream, client, opts) => Some(r),
        () = audit::sleep_until_deadline(opts.deadline) => None,
    };
    let Some(read) = read else {
        let planned = stream
            .settle()
            .await
            .into_iter()
            .map(|d| (d, Source::NotChecked(Reason::Deadline)));
        return Ok(audit::run_planned(planned, client, &audit_opts).await);
    };
    let (listing, list_error) = match read {
        Ok(listing) => (listing, None),
        Err(e) if audit::stops_the_run(&e, client) => {
            let scope = stream.settle().await;
            return Ok(stopped(scope, e.to_string(), client, &audit_opts).await);
        }
        Err(e) => (None, Some(e.to_string())),
    };
    if listing.is_some()
        && let Some(reason) = stream.foreign.take()
    {
        let scope = stream.settle().await;
        return Ok(stopped(scope, reason, client, &audit_opts).await);
    }
    if list_error.is_some() {
        // The listing failed: what was compared from the pages read is not used
        // (every number in scope is reported as not checked, as if nothing had been
        // listed). When `auto` fell back to GETs instead, the numbers compared from
        // the pages read stay compared: only the others are read by GET.
        stream.settle_in_place().await;
    }
    // Every compare begun as the list was read has ended from here on.
    stream.finish_compares().await;

    let incomplete = listing.as_ref().and_then(Listing::incomplete);
    // Lookup keys: only a document without an `id` is found by them, among the
    // listed numbers that have one of their keys (kept as they came).
    let index = listing
        .as_ref()
        .map(|_| Index::new(&stream.by_key, !stream.keys.is_empty()));
    let named = &stream.named;
    let mut errors = Vec::new();
    let mut found_by: HashMap<String, String> = HashMap::new();
    let mut found_ids: Vec<String> = Vec::new();
    let mut planned: Vec<Planned> = Vec::new();
    let slots = std::mem::take(&mut stream.scope);
    let boxed = std::mem::take(&mut stream.results);
    for (i, d) in slots.into_iter().enumerate() {
        // Compared as its page arrived: its result is in `results`.
        let Some(mut d) = d else { continue };
        let source = match (&d.id, &index, &list_error) {
            // Listed, it would have been compared as its page arrived.
            (Some(_), Some(_), _) => Source::Get,
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
                        if let Some(n) = named.get(&id) {
                            let (file, line) = (named.file(n), n.line);
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
                        found_ids.push(id.clone());
                        d.id = Some(id.into());
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
                        Source::NotChecked(Reason::NotRun)
                    }
                }
            }
        };
        planned.push((i, d, source));
    }
    if !errors.is_empty() {
        // Each slot has its result, or its number is planned (in slot order).
        let mut planned = planned.into_iter();
        let numbers = boxed
            .into_iter()
            .map(|r| match r {
                Some(r) => r.desired,
                None => planned.next().expect("a number not compared is planned").1,
            })
            .collect();
        return Err(Refused {
            errors: ConfigErrors(errors),
            numbers,
        });
    }

    // What the listing says of the numbers no document claims: the listed numbers
    // no document names by id were summarized as they came; those a document
    // without an id found are taken out now.
    let unmanaged = match (&listing, &list_error) {
        _ if opts.unmanaged == UnmanagedMode::Ignore => {
            Unmanaged::skipped(opts.unmanaged, "--unmanaged ignore")
        }
        (Some(_), _) => {
            let mut claimed: HashSet<&str> = found_ids.iter().map(String::as_str).collect();
            // An id-less document outside the selectors still claims what it matches.
            let ix = index.as_ref().expect("built with the listing");
            for d in others.iter().filter(|d| d.id.is_none()) {
                if let Some(key) = lookup_key(d) {
                    claimed.extend(ix.find(&key).iter().map(|l| l.id()));
                }
            }
            let mut numbers: Vec<UnmanagedNumber> = std::mem::take(&mut stream.unmanaged)
                .into_iter()
                .filter(|(id, _)| !claimed.contains(&**id))
                .map(|(_, n)| n)
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
    let listed_before = listing.is_some();
    drop(index);
    let streamed_org = Arc::clone(&stream.org);
    drop(stream);

    // Unboxed in slot order, each box let go as its result moves.
    let mut audit = audit::finish(boxed, planned, client, &audit_opts).await;
    if audit.org.is_none() {
        // The org learnt from the numbers compared as the list was read (their
        // compares have all ended: see `Stream::finish_compares`).
        audit.org = streamed_org.get().cloned();
    }
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

/// Config errors found once the live numbers were read, and the desired numbers
/// in scope, none of them checked.
#[derive(Debug)]
pub struct Refused {
    pub errors: ConfigErrors,
    pub numbers: Vec<DesiredNumber>,
}

fn claim_error(d: &DesiredNumber, message: String) -> ConfigError {
    ConfigError {
        file: d.file.to_string(),
        pos: Some(d.source_map().position(&Pointer::root())),
        message,
    }
}

/// The numbers the desired documents name by `id`: where each is declared, and
/// its slot when in scope. Held for the whole listing, one entry a desired
/// number, so kept small: a UUID as its 16 bytes in a sorted list, each file's
/// name once (about 32 bytes a number, where a map of texts took about 100).
#[derive(Default)]
struct Names {
    /// UUIDs in the lower case the API answers with, sorted, each with its entry
    /// in `named`. Only that one spelling of a UUID is held as bytes, so an id
    /// matches exactly the ids whose text is its text.
    uuids: Vec<([u8; 16], u32)>,
    /// Every other id, as its text.
    texts: HashMap<Box<str>, u32>,
    named: Vec<Named>,
    files: Vec<Arc<str>>,
}

struct Named {
    /// In `Names::files`.
    file: u32,
    line: u32,
    /// The slot in `scope`, or [`OUT_OF_SCOPE`].
    slot: u32,
}

const OUT_OF_SCOPE: u32 = u32::MAX;

impl Named {
    fn slot(&self) -> Option<usize> {
        (self.slot != OUT_OF_SCOPE).then_some(self.slot as usize)
    }
}

impl Names {
    /// The numbers with an id, each with its slot (or [`OUT_OF_SCOPE`]). Of two
    /// numbers with one id (refused before any run), the later is kept.
    fn new<'d>(numbers: impl Iterator<Item = (u32, &'d DesiredNumber)>) -> Names {
        let mut names = Names::default();
        for (slot, d) in numbers {
            let Some(id) = &d.id else { continue };
            if !names.files.last().is_some_and(|f| Arc::ptr_eq(f, &d.file)) {
                names.files.push(Arc::clone(&d.file));
            }
            let at =
                u32::try_from(names.named.len()).expect("fewer than 4 billion desired numbers");
            names.named.push(Named {
                file: (names.files.len() - 1) as u32,
                line: d.line,
                slot,
            });
            match uuid_bytes(id) {
                Some(bytes) => names.uuids.push((bytes, at)),
                None => {
                    names.texts.insert(id.clone(), at);
                }
            }
        }
        // The later of equal ids first, so that `dedup` keeps it.
        names
            .uuids
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        names.uuids.dedup_by_key(|(bytes, _)| *bytes);
        names.uuids.shrink_to_fit();
        names
    }

    fn get(&self, id: &str) -> Option<&Named> {
        let at = match uuid_bytes(id) {
            Some(bytes) => {
                let i = self.uuids.binary_search_by(|(b, _)| b.cmp(&bytes)).ok()?;
                self.uuids[i].1
            }
            None => *self.texts.get(id)?,
        };
        Some(&self.named[at as usize])
    }

    fn file(&self, n: &Named) -> &str {
        &self.files[n.file as usize]
    }
}

/// A UUID written in lower case (the API's spelling) as its 16 bytes; `None` for
/// any other text.
fn uuid_bytes(id: &str) -> Option<[u8; 16]> {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let bytes = id.as_bytes();
    let hyphens = [8, 13, 18, 23];
    if bytes.len() != 36 || !hyphens.iter().all(|&i| bytes[i] == b'-') {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = (0..36)
        .filter(|i| !hyphens.contains(i))
        .map(|i| hex(bytes[i]));
    for o in &mut out {
        *o = digits.next()?? << 4 | digits.next()??;
    }
    Some(out)
}

/// The list as it is read: each listed number that a desired number in scope
/// names by id is compared at once ([`audit::spawn_compare`]), and of the others
/// only what the plan needs afterwards is kept: the few a document without an
/// `id` may be (by a lookup key), and a summary of each unmanaged candidate. So a
/// check holds the desired numbers and the results, not the org's listing.
struct Stream<'a> {
    /// The desired numbers in scope, in desired order; each is taken when compared.
    scope: Vec<Option<DesiredNumber>>,
    /// The result of each number in scope whose compare has ended (shed: see
    /// [`NumberResult::shed`]). Boxed, so that a slot takes memory only once its
    /// result is in, while the documents compared before it are being let go.
    results: Vec<Option<Box<NumberResult>>>,
    /// The compares begun and not yet taken into `results`, each with its slot.
    /// Taken as they end (after each page), so that a finished compare does
    /// not hold its task's memory until the whole list is read.
    running: FuturesUnordered<BoxFuture<'static, (usize, NumberResult)>>,
    /// Numbers in scope whose `id` the list showed (compared or not).
    matched: usize,
    /// Every `id` a document names (in scope or not). Owned, so the planning loop
    /// can move the desired numbers.
    named: Names,
    /// The lookup keys of the documents without an `id` (in scope or not).
    keys: HashSet<LookupKey>,
    /// Listed numbers that have one of those keys.
    by_key: Vec<Listed>,
    /// Listed numbers no document names by id, in scope of the unmanaged check: (id, summary).
    unmanaged: Vec<(Box<str>, UnmanagedNumber)>,
    /// Why the run stops: a listed number of another org (`--expect-org`).
    foreign: Option<String>,
    opts: &'a InventoryOptions,
    ignore: Arc<IgnoreSet>,
    deployed: Option<Arc<crate::deployed::Deployed>>,
    /// The org of the first number compared.
    org: Arc<OnceLock<String>>,
}

impl<'a> Stream<'a> {
    fn new(
        scope: Vec<DesiredNumber>,
        others: &[DesiredNumber],
        opts: &'a InventoryOptions,
        audit_opts: &AuditOptions,
    ) -> Stream<'a> {
        let slots = (0..scope.len())
            .map(|i| u32::try_from(i).expect("fewer than 4 billion desired numbers"))
            .chain(std::iter::repeat(OUT_OF_SCOPE));
        let named = Names::new(slots.zip(scope.iter().chain(others)));
        let keys = scope
            .iter()
            .chain(others)
            .filter(|d| d.id.is_none())
            .filter_map(lookup_key)
            .collect();
        Stream {
            results: std::iter::repeat_with(|| None).take(scope.len()).collect(),
            running: FuturesUnordered::new(),
            scope: scope.into_iter().map(Some).collect(),
            matched: 0,
            named,
            keys,
            by_key: Vec::new(),
            unmanaged: Vec::new(),
            foreign: None,
            opts,
            ignore: Arc::new(audit_opts.ignore.clone()),
            deployed: audit_opts.deployed.clone(),
            org: Arc::new(OnceLock::new()),
        }
    }

    fn keep(&mut self, i: usize, result: NumberResult) {
        self.results[i] = Some(Box::new(result));
    }

    /// Waits for every compare begun and takes its result.
    async fn finish_compares(&mut self) {
        while let Some((i, result)) = self.running.next().await {
            self.keep(i, result);
        }
    }

    /// Puts every number compared so far back in its slot (its result is not
    /// used), so that the plan can be made as if nothing had been listed. Every
    /// caller reports these numbers as not checked: a compared result was shed of
    /// its document, so it is not compared again.
    async fn settle_in_place(&mut self) {
        self.finish_compares().await;
        for (slot, result) in self.scope.iter_mut().zip(self.results.iter_mut()) {
            if let Some(result) = result.take() {
                *slot = Some(result.desired);
            }
        }
    }

    /// The desired numbers in scope, in desired order, nothing compared used.
    async fn settle(mut self) -> Vec<DesiredNumber> {
        self.settle_in_place().await;
        self.scope
            .into_iter()
            .map(|d| d.expect("settled: every number is back in its slot"))
            .collect()
    }
}

/// Compares begun and not ended beyond which the list read waits (after a page)
/// until they are down to half: each holds its desired number and the listed
/// number's text (~1 KB), and pages arrive faster than two cores compare them, so
/// without a bound a 100,000-number listing had ~99,000 compares waiting at its end.
const COMPARES_AHEAD: usize = 2_000;

impl crate::vapi::list::Sink for Stream<'_> {
    /// Takes one listed number as its page arrives.
    fn take(&mut self, listed: Listed) {
        let opts = self.opts;
        let claim = self.named.get(listed.id());
        let named = claim.is_some();
        let slot = claim.and_then(Named::slot);
        let summarize = !named && opts.unmanaged != UnmanagedMode::Ignore;
        let value = (opts.expect_org.is_some() || !self.keys.is_empty() || summarize)
            .then(|| listed.value());
        if let (Some(v), Some(org), None) = (&value, &opts.expect_org, &self.foreign) {
            self.foreign = foreign_org([v], org);
        }
        if slot.is_some() {
            self.matched += 1;
        }
        if self.foreign.is_some() {
            // The run stops: nothing more is compared or kept.
            return;
        }
        if let Some(v) = &value {
            if !self.keys.is_empty() && live_keys(v).iter().any(|k| self.keys.contains(k)) {
                self.by_key.push(listed.clone());
            }
            if summarize && opts.selectors.selects_live(v) && !opts.allow.allows(v) {
                self.unmanaged
                    .push((listed.id().into(), UnmanagedNumber::of(v)));
            }
        }
        if let Some(i) = slot
            && let Some(d) = self.scope[i].take()
        {
            let live = move || listed.value();
            let task = audit::spawn_compare(d, live, &self.ignore, &self.deployed, &self.org);
            self.running
                .push(Box::pin(async move { (i, audit::join(task).await) }));
        }
    }

    /// After each page: takes the compares that have ended (never waits), then
    /// waits while too many are queued.
    fn caught_up(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            while let Some(Some((i, result))) = self.running.next().now_or_never() {
                self.keep(i, result);
            }
            if self.running.len() > COMPARES_AHEAD {
                while self.running.len() > COMPARES_AHEAD / 2 {
                    let Some((i, result)) = self.running.next().await else {
                        break;
                    };
                    self.keep(i, result);
                }
            }
        })
    }
}

/// Reads the list when the fetch rule (see [`run`]) says so, handing each
/// listed number to `stream` as its page arrives; `None` when it does not.
async fn read_list(
    stream: &mut Stream<'_>,
    client: &Client,
    opts: &InventoryOptions,
) -> Result<Option<Listing>, FetchError> {
    let scope_len = stream.scope.len();
    let needs_list = opts.unmanaged != UnmanagedMode::Ignore
        || stream.scope.iter().flatten().any(|d| d.id.is_none());
    match opts.fetch {
        FetchMode::Get => Ok(None),
        FetchMode::List => client
            .list_all_into(opts.concurrency, stream)
            .await
            .map(Some),
        FetchMode::Auto if needs_list => client
            .list_all_into(opts.concurrency, stream)
            .await
            .map(Some),
        FetchMode::Auto if scope_len <= 1 => Ok(None),
        FetchMode::Auto => {
            let first = match client.list_first_into(stream).await {
                Ok(first) => first,
                // Nothing needed the list: a failed first page falls back to GETs.
                Err(e @ FetchError::Unauthorized { .. }) => return Err(e),
                Err(_) => return Ok(None),
            };
            // The numbers in scope page 1 did not hold (those without an id among them).
            let not_held = scope_len - stream.matched;
            match first.remaining_pages() {
                Some(pages) if pages > 0 && pages <= not_held => {
                    match client.list_rest_into(first, opts.concurrency, stream).await {
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
        .map(|d| (d, Source::NotChecked(Reason::Stopped)));
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
        r.reason = Some(Box::new(Reason::Stopped));
    }
    audit.fatal = Some(reason);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_match_an_id_exactly_as_written() {
        let lower = "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7";
        let docs = [lower, "num-1", "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b8"];
        let numbers: Vec<DesiredNumber> = docs
            .iter()
            .map(|id| {
                let yaml = format!("id: {id}\nprovider: vapi\nname: n\n");
                crate::desired::valid_numbers(
                    "d.yaml",
                    &yaml,
                    &|_| None,
                    crate::desired::IdRule::Required,
                )
                .remove(0)
            })
            .collect();
        let names = Names::new((0u32..).zip(numbers.iter()));
        assert!(uuid_bytes(lower).is_some());
        assert_eq!(names.get(lower).and_then(Named::slot), Some(0));
        assert_eq!(names.get("num-1").and_then(Named::slot), Some(1));
        assert_eq!(
            names
                .get("3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b8")
                .and_then(Named::slot),
            Some(2)
        );
        assert_eq!(names.get(lower).map(|n| names.file(n)), Some("d.yaml"));
        // Another spelling of the same UUID is another text: no match.
        assert!(uuid_bytes(&lower.to_ascii_uppercase()).is_none());
        assert!(names.get(&lower.to_ascii_uppercase()).is_none());
        // One digit apart, first and last.
        assert!(names.get("3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b9").is_none());
        assert!(names.get("4e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7").is_none());
        for other in ["", "num-2", "3e4f5a6b_7c8d-4e9f-a0b1-c2d3e4f5a6b7"] {
            assert!(uuid_bytes(other).is_none(), "{other}");
            assert!(names.get(other).is_none(), "{other}");
        }
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
