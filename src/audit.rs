//! The pipeline: desired numbers -> fetch (bounded fan-out) -> normalize -> diff ->
//! one result per desired number.
//!
//! Owns: the concurrency bound, stopping the run when the key is rejected, the
//! deadline (numbers not read by then are `NotChecked`, requests in flight are
//! dropped, which cancels them), and the rule that every desired number gets
//! exactly one result, in desired order.
//! One number's failure is data (`NotChecked`), never an abort; only a rejected
//! key (or, with `--expect-org`, a number of another org) stops the run (the
//! numbers not yet read are then `NotChecked` too).
//!
//! Which numbers are read and how (one GET each, or the list) is decided upstream,
//! in `inventory`: it hands each desired number over with its [`Source`].

use crate::deployed::Deployed;
use crate::desired::DesiredNumber;
use crate::diff::{self, Difference};
use crate::finding::Cause;
use crate::ignore::{IgnoreSet, Ignored, Rule};
use crate::model::{Audit, NumberResult, Reason, Status, UnknownField, Unmanaged};
use crate::normalize::{PathMap, normalize_pinned, pins};
use crate::pointer::{self, Pointer};
use crate::schema;
use crate::secret;
use crate::vapi::client::{Client, FetchError};
use crate::vapi::list::Listed;
use crate::vapi::org::foreign_org;
use futures::StreamExt;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub concurrency: usize,
    pub ignore: IgnoreSet,
    /// `--expect-org`: a live number of another org stops the run.
    pub expect_org: Option<String>,
    /// Numbers not read by then are `NotChecked` with [`Reason::Deadline`];
    /// requests in flight then are cancelled. `None`: no deadline.
    pub deadline: Option<tokio::time::Instant>,
    /// Told of each result as soon as it is known (the progress bar).
    pub observer: Observer,
    /// `--deployed-ref`: the desired files as last deployed, for the cause of each
    /// difference. `None`: a two-way comparison, no causes.
    pub deployed: Option<Arc<Deployed>>,
}

/// Whether the deadline, if any, has passed.
pub fn deadline_passed(deadline: Option<tokio::time::Instant>) -> bool {
    deadline.is_some_and(|at| tokio::time::Instant::now() >= at)
}

/// Completes at the deadline; never without one.
pub async fn sleep_until_deadline(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

type ObserveFn = dyn Fn(&NumberResult) + Send + Sync;

/// Called with each result as soon as it is known, in completion order.
#[derive(Clone, Default)]
pub struct Observer(Option<std::sync::Arc<ObserveFn>>);

impl Observer {
    pub fn new(f: impl Fn(&NumberResult) + Send + Sync + 'static) -> Observer {
        Observer(Some(std::sync::Arc::new(f)))
    }

    fn tell(&self, result: &NumberResult) {
        if let Some(f) = &self.0 {
            f(result);
        }
    }
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observer(..)"
        } else {
            "Observer(none)"
        })
    }
}

/// Where the live state of one desired number comes from.
#[derive(Debug)]
pub enum Source {
    /// Read it now with `GET /phone-number/{id}`.
    Get,
    /// Already read (from the list).
    Live(Listed),
    /// Known not to exist.
    Missing,
    /// Could not be read: why.
    NotChecked(Reason),
}

/// One desired number of an audit's plan: its slot among the results (desired
/// order), the number, and where its live state comes from.
pub type Planned = (usize, DesiredNumber, Source);

/// Fetches (one GET each) and compares every desired number.
pub async fn run(desired: Vec<DesiredNumber>, client: &Client, opts: &AuditOptions) -> Audit {
    run_planned(desired.into_iter().map(|d| (d, Source::Get)), client, opts).await
}

/// Compares every desired number with its live state, reading the ones whose
/// source is [`Source::Get`] (at most `concurrency` at once).
pub async fn run_planned(
    desired: impl ExactSizeIterator<Item = (DesiredNumber, Source)>,
    client: &Client,
    opts: &AuditOptions,
) -> Audit {
    let slots = std::iter::repeat_with(|| None)
        .take(desired.len())
        .collect();
    let planned = desired
        .enumerate()
        .map(|(i, (d, source))| (i, d, source))
        .collect();
    finish(slots, planned, client, opts).await
}

/// [`run_planned`] when some results are in already: `slots` has one entry per
/// desired number, in desired order, holding the results of the numbers compared
/// as the list was read (see `inventory`); `planned` the others, each with its
/// slot.
pub async fn finish(
    mut slots: Vec<Option<Box<NumberResult>>>,
    planned: Vec<Planned>,
    client: &Client,
    opts: &AuditOptions,
) -> Audit {
    for r in slots.iter().flatten() {
        opts.observer.tell(r);
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(None::<String>);
    let deadline = opts.deadline;
    let ignore = Arc::new(opts.ignore.clone());
    let org = Arc::new(OnceLock::new());
    let fetches = planned.into_iter().map(|(i, d, source)| {
        let mut stop = stop_rx.clone();
        let stop_tx = &stop_tx;
        let ignore = &ignore;
        let deployed = &opts.deployed;
        let org = &org;
        async move {
            match source {
                Source::Get => {}
                Source::Live(live) => {
                    let r = compare_apart(d, move || live.value(), ignore, deployed, org).await;
                    return (i, r);
                }
                Source::Missing => return (i, missing(d, deployed.as_deref())),
                Source::NotChecked(reason) => return (i, NumberResult::not_checked(d, reason)),
            }
            if stop.borrow().is_some() {
                return (i, NumberResult::not_checked(d, Reason::Stopped));
            }
            if deadline_passed(deadline) {
                return (i, NumberResult::not_checked(d, Reason::Deadline));
            }
            let id = d.id.clone().unwrap_or_default();
            let fetched = tokio::select! {
                r = client.get_phone_number(&id) => r,
                _ = stop.wait_for(Option::is_some) => {
                    return (i, NumberResult::not_checked(d, Reason::Stopped));
                }
                () = sleep_until_deadline(deadline) => {
                    return (i, NumberResult::not_checked(d, Reason::Deadline));
                }
            };
            let result = match fetched {
                Ok(live) => match opts
                    .expect_org
                    .as_deref()
                    .and_then(|org| foreign_org([&live], org))
                {
                    Some(reason) => {
                        stop_tx.send_replace(Some(reason));
                        NumberResult::not_checked(d, Reason::Stopping)
                    }
                    None => compare_apart(d, move || live, ignore, deployed, org).await,
                },
                Err(FetchError::NotFound) => missing(d, deployed.as_deref()),
                Err(e) if stops_the_run(&e, client) => {
                    // The first answer that stops the run says why; later ones
                    // (the other requests in flight) only stop.
                    stop_tx.send_if_modified(|fatal| {
                        fatal.get_or_insert_with(|| e.to_string());
                        true
                    });
                    NumberResult::not_checked(d, Reason::Stopping)
                }
                Err(e) => NumberResult::not_checked(d, Reason::Fetch(e.to_string())),
            };
            (i, result)
        }
    });
    // Each result goes to its number's slot as it comes: one allocation of the
    // final size, in the desired order, instead of a growing list sorted and
    // copied at the end.
    futures::stream::iter(fetches)
        .buffer_unordered(opts.concurrency.max(1))
        .for_each(|(i, r)| {
            opts.observer.tell(&r);
            slots[i] = Some(Box::new(r));
            std::future::ready(())
        })
        .await;
    let fatal = stop_rx.borrow().clone();
    let results: Vec<Box<NumberResult>> = slots
        .into_iter()
        .map(|r| r.expect("every number in the plan yields one result"))
        .collect();
    let used: HashSet<&str> = results
        .iter()
        .flat_map(|r| r.ignored.iter().map(|i| i.rule.as_str()))
        .collect();
    let (expired_rules, live_rules): (Vec<&Rule>, Vec<&Rule>) =
        opts.ignore.rules.iter().partition(|r| r.expired);
    let unused_rules = live_rules
        .into_iter()
        .filter(|r| !used.contains(r.id.as_str()))
        .cloned()
        .collect();
    Audit {
        results,
        fatal,
        errors: Vec::new(),
        unused_rules,
        expired_rules: expired_rules.into_iter().cloned().collect(),
        unmanaged: Unmanaged::default(),
        org: org.get().cloned(),
        deployed: None,
        baseline: None,
    }
}

/// A number that does not exist live; with `--deployed-ref`, deleted live since the
/// deploy (`OUT_OF_BAND`) or not deployed yet (`PENDING`: the deploy creates it).
fn missing(d: DesiredNumber, deployed: Option<&Deployed>) -> NumberResult {
    let cause = deployed.map(|dep| match dep.find(&d) {
        Some(_) => Cause::OutOfBand,
        None => Cause::Pending,
    });
    NumberResult {
        cause,
        ..NumberResult::missing(d)
    }
}

/// Whether a failed read stops the whole run: a rejected key, or an API that has
/// not answered one request of this run (it cannot be reached at all: a wrong
/// base URL, DNS, a firewall), which would otherwise make every number "not
/// checked" one by one, each after its retries.
pub fn stops_the_run(e: &FetchError, client: &Client) -> bool {
    match e {
        FetchError::Unauthorized { .. } => true,
        FetchError::Unreachable { .. } => client.responses_received() == 0,
        _ => false,
    }
}

/// [`compare`] as a task of its own: on the runtime's worker threads, so numbers
/// are compared on every core, and the fan-out, which runs in one task, goes on
/// sending requests meanwhile. Done in line, the comparisons of the numbers that
/// came back together delayed the next requests by their sum (~0.3 ms each: at
/// concurrency 64, most of a round trip).
async fn compare_apart(
    desired: DesiredNumber,
    live: impl FnOnce() -> Value + Send + 'static,
    ignore: &Arc<IgnoreSet>,
    deployed: &Option<Arc<Deployed>>,
    org: &Arc<OnceLock<String>>,
) -> NumberResult {
    join(spawn_compare(desired, live, ignore, deployed, org)).await
}

/// [`compare_three`] on the runtime's worker threads; the task's result is taken
/// with [`join`]. `org` learns the org of the first live number compared.
pub fn spawn_compare(
    desired: DesiredNumber,
    live: impl FnOnce() -> Value + Send + 'static,
    ignore: &Arc<IgnoreSet>,
    deployed: &Option<Arc<Deployed>>,
    org: &Arc<OnceLock<String>>,
) -> tokio::task::JoinHandle<NumberResult> {
    let ignore = Arc::clone(ignore);
    let deployed = deployed.clone();
    let org = Arc::clone(org);
    tokio::spawn(async move {
        let live = live();
        if let Some(o) = live.get("orgId").and_then(Value::as_str) {
            org.get_or_init(|| o.to_string());
        }
        // A number the deployed files do not have is compared with an empty deployed
        // document, by the same rule: what live has that desired does not was set
        // behind git's back. (Only a number missing live is a pending creation.)
        let undeployed = Value::Object(serde_json::Map::new());
        let same = deployed
            .as_ref()
            .map(|dep| dep.same_declarations(&desired))
            .unwrap_or_default();
        let deployed_doc = deployed
            .as_ref()
            .and_then(|dep| dep.find(&desired))
            .map(|n| n.doc().value());
        let base = match &deployed {
            None => Base::TwoWay,
            Some(_) => Base::Doc {
                doc: deployed_doc.as_ref().unwrap_or(&undeployed),
                same_declarations: &same,
            },
        };
        let mut result = compare_three(desired, &live, &ignore, base);
        result.shed();
        result
    })
}

/// The result of a [`spawn_compare`] task (its panic, if it panicked).
pub async fn join(task: tokio::task::JoinHandle<NumberResult>) -> NumberResult {
    match task.await {
        Ok(result) => result,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => unreachable!("the runtime outlives the audit: the task is never cancelled"),
        },
    }
}

/// What the desired document is compared with besides live.
#[derive(Debug, Clone, Copy)]
pub enum Base<'a> {
    /// Nothing: no `--deployed-ref`, no causes.
    TwoWay,
    Doc {
        /// Its document as last deployed (`{}` when the deployed files do not declare it).
        doc: &'a Value,
        /// Paths (as written) that deployed and desired both declare through `${VAR}`
        /// with the same text (`Deployed::same_declarations`).
        same_declarations: &'a [Pointer],
    },
}

/// Compares one desired number with its live object; differences an ignore rule
/// matches are set aside (and left out of the unified diff).
pub fn compare(desired: DesiredNumber, live: &Value, ignore: &IgnoreSet) -> NumberResult {
    compare_three(desired, live, ignore, Base::TwoWay)
}

/// [`compare`], and the cause of each difference from the deployed document: the
/// deployed value at the difference's path is compared with the desired one and
/// the live one, all three normalized alike (see [`Cause::of`]).
pub fn compare_three(
    desired: DesiredNumber,
    live: &Value,
    ignore: &IgnoreSet,
    base: Base,
) -> NumberResult {
    let health = live
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| *s != "active")
        .map(str::to_string);
    // Fields the schema does not know are reported apart, never as differences:
    // the desired file cannot state them (it is validated against the same schema).
    let doc = desired.doc().value();
    let unknown: Vec<Pointer> = schema::unknown_fields(live)
        .into_iter()
        .filter(|p| doc.pointer(&p.to_string()).is_none())
        .collect();
    let unknown_fields = unknown
        .iter()
        .map(|p| UnknownField {
            path: p.clone(),
            value: (!secret::is_secret(p)
                && !p
                    .segments()
                    .iter()
                    .any(|s| secret::name_looks_like_credential(s)))
            .then(|| live.pointer(&p.to_string()).map(|v| secret::mask(v, p)))
            .flatten(),
        })
        .collect();
    // Copied only when there is an unknown field to take out.
    let mut live = std::borrow::Cow::Borrowed(live);
    for p in &unknown {
        set_at(live.to_mut(), p.segments(), None);
    }
    // A vapi number's assigned `number` is compared when the desired file states it.
    let pinned = pins(&doc);
    let (mut want, want_paths) = normalize_pinned(&doc, &pinned);
    let (mut have, have_paths) = normalize_pinned(&live, &pinned);
    // On the normalized documents: header names folded and hooks matched, one path
    // finds a secret on both sides. Listed as the desired document spells them.
    let unverifiable_at = secret::split_unverifiable(&mut want, &mut have);
    let unverifiable = unverifiable_at
        .iter()
        .map(|p| want_paths.original(p))
        .collect();
    // Where the deployed document differs from live, and from desired: a path's
    // deployed value equals the other side's when neither it, an ancestor nor a
    // descendant differs (the same comparison as desired with live, sets included).
    // What could not be verified is out of all three.
    let (three_way, same_declarations) = match base {
        Base::Doc {
            doc,
            same_declarations,
        } => {
            let mut doc = normalize_pinned(doc, &pinned).0;
            for p in &unverifiable_at {
                set_at(&mut doc, p.segments(), None);
            }
            // Deployed against live by the rule desired meets live by: a secret live
            // shows masked, whose visible part agrees with the deployed value, is the
            // deployed value (so a pending change of it is not a conflict).
            let mut live_vs_deployed = have.clone();
            let mut deployed_vs_live = doc.clone();
            secret::split_unverifiable(&mut deployed_vs_live, &mut live_vs_deployed);
            (
                Some((
                    diff::differences(&deployed_vs_live, &live_vs_deployed),
                    diff::differences(&want, &doc),
                )),
                same_declarations,
            )
        }
        Base::TwoWay => (None, &[][..]),
    };
    let cause_at = |d: &Difference, written: &Pointer| {
        three_way.as_ref().map(|(from_live, from_desired)| {
            let cause = Cause::of(
                !touches(from_desired, &d.path),
                !touches(from_live, &d.path),
            )
            // Desired and live differ here, so deployed cannot equal both; were the
            // comparisons ever to say so, the cause that fails the gate is the safe one.
            .unwrap_or(Cause::Conflict);
            // The same `${VAR}` declaration deployed and desired: git did not change it,
            // the variable's value did (or live did: git cannot tell which). The deploy
            // applies the variable's value: pending, not out of band (README).
            let rotated = cause == Cause::OutOfBand
                && d.change == diff::Change::NotEqual
                && same_declarations.contains(written);
            if rotated { Cause::Pending } else { cause }
        })
    };
    let mut differences = Vec::new();
    let mut ignored = Vec::new();
    let mut work = diff::differences(&want, &have);
    work.reverse();
    while let Some(mut d) = work.pop() {
        let as_written = |p: &Pointer| written_path(p, &want, &want_paths, &have_paths);
        let original = as_written(&d.path);
        let rule = ignore.find(&desired, &original);
        if rule.is_none() && partly_ignored(&d, &as_written, ignore, &desired) {
            // A mapping added (or removed) whole, part of which a rule ignores:
            // judge its entries one by one.
            let mut parts = diff::split(&d);
            parts.reverse();
            work.extend(parts);
            continue;
        }
        if let Some(rule) = rule {
            ignored.push(Ignored {
                path: original,
                rule: rule.id.clone(),
                reason: rule.reason.clone(),
            });
            // Take the live value as desired, so the text diff leaves it out too.
            let live_value = have.pointer(&d.path.to_string()).cloned();
            set_at(&mut want, d.path.segments(), live_value);
            continue;
        }
        d.cause = cause_at(&d, &original);
        d.path = original;
        differences.push(d);
    }
    let status = if differences.is_empty() {
        Status::InSync
    } else {
        Status::Modified
    };
    let inter = &desired.interpolated;
    let diff = if differences.is_empty() {
        String::new()
    } else if inter.is_empty() {
        diff::unified(&want, &have)
    } else {
        // What `${VAR}` put in is masked in the diff too, where the normalized
        // documents hold it.
        let at = interpolated_in(&want, &want_paths, &inter.paths);
        let root = Pointer::root();
        diff::unified(
            &secret::redact(&want, &root, &at, &inter.values, None),
            &secret::redact(&have, &root, &at, &inter.values, Some(&want)),
        )
    };
    if !inter.is_empty() {
        for d in &mut differences {
            redact_difference(d, &desired.interpolated);
        }
    }
    NumberResult {
        status,
        differences,
        diff,
        unverifiable,
        health,
        ignored,
        unknown_fields,
        ..NumberResult::empty(desired)
    }
}

/// Whether a difference in `diffs` lies at `path`, above it or below it.
fn touches(diffs: &[Difference], path: &Pointer) -> bool {
    let p = path.segments();
    diffs.iter().any(|x| {
        let q = x.path.segments();
        let n = p.len().min(q.len());
        p[..n] == q[..n]
    })
}

/// The paths of the normalized desired document whose value came from `${VAR}`
/// (`paths`: where they are in the document as written).
pub fn interpolated_in(want: &Value, want_paths: &PathMap, paths: &[Pointer]) -> Vec<Pointer> {
    fn walk(v: &Value, at: &mut Pointer, out: &mut Vec<Pointer>) {
        match v {
            Value::Object(o) => o.iter().for_each(|(k, v)| {
                at.push(k.as_str());
                walk(v, at, out);
                at.pop();
            }),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| {
                at.push(i.to_string());
                walk(v, at, out);
                at.pop();
            }),
            _ => out.push(at.clone()),
        }
    }
    let mut leaves = Vec::new();
    walk(want, &mut Pointer::root(), &mut leaves);
    leaves
        .into_iter()
        .filter(|np| {
            let orig = want_paths.original(np);
            paths
                .iter()
                .any(|p| orig.segments().starts_with(p.segments()))
        })
        .collect()
}

/// A difference that touches what `${VAR}` put into the desired document: its
/// values masked (see `secret::redact`), and sensitive.
fn redact_difference(d: &mut Difference, inter: &crate::desired::Interpolated) {
    let related = inter.paths.iter().any(|p| {
        d.path.segments().starts_with(p.segments()) || p.segments().starts_with(d.path.segments())
    });
    let expected = d
        .expected
        .as_ref()
        .map(|v| secret::redact(v, &d.path, &inter.paths, &inter.values, None));
    let actual = d
        .actual
        .as_ref()
        .map(|v| secret::redact(v, &d.path, &inter.paths, &inter.values, d.expected.as_ref()));
    if related || expected != d.expected || actual != d.actual {
        d.sensitive = true;
        d.masked = Some(Box::new((expected, actual)));
    }
}

/// A path of the normalized documents as the user wrote it: the part the desired
/// document has maps back through the desired document (a hook by its index there,
/// a header in its spelling); the rest, which only live has, through the live object
/// (a hook only live: its live index).
fn written_path(
    path: &Pointer,
    want: &Value,
    want_paths: &PathMap,
    have_paths: &PathMap,
) -> Pointer {
    let segs = path.segments();
    let mut common = 0;
    let mut node = want;
    for seg in segs {
        let next = match node {
            Value::Object(o) => o.get(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(n) => {
                node = n;
                common += 1;
            }
            None => break,
        }
    }
    let mut out = want_paths.original_of(&segs[..common]);
    if common < segs.len() {
        for seg in &have_paths.original(path).segments()[common..] {
            out.push(seg.as_str());
        }
    }
    out
}

/// Whether an ignore rule matches something inside a one-sided difference.
fn partly_ignored(
    d: &Difference,
    paths: &dyn Fn(&Pointer) -> Pointer,
    ignore: &IgnoreSet,
    desired: &DesiredNumber,
) -> bool {
    fn walk(
        v: &Value,
        at: &Pointer,
        paths: &dyn Fn(&Pointer) -> Pointer,
        ignore: &IgnoreSet,
        desired: &DesiredNumber,
    ) -> bool {
        let children: Vec<(Pointer, &Value)> = match v {
            Value::Object(o) => o.iter().map(|(k, v)| (at.child(k), v)).collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (at.index(i), v))
                .collect(),
            _ => return false,
        };
        children.into_iter().any(|(p, v)| {
            ignore.find(desired, &paths(&p)).is_some() || walk(v, &p, paths, ignore, desired)
        })
    }
    if ignore.rules.is_empty() {
        return false;
    }
    match (&d.expected, &d.actual) {
        (Some(v), None) | (None, Some(v)) => walk(v, &d.path, paths, ignore, desired),
        _ => false,
    }
}

/// Sets (or, with `None`, removes) the value at a path whose parent exists.
fn set_at(doc: &mut Value, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let Some(target) = pointer::get_mut(doc, parents) else {
        return;
    };
    match (target, value) {
        (Value::Object(o), Some(v)) => {
            o.insert(last.clone(), v);
        }
        (Value::Object(o), None) => {
            o.remove(last);
        }
        (Value::Array(a), v) => match (last.parse::<usize>(), v) {
            (Ok(i), Some(v)) if i < a.len() => a[i] = v,
            (Ok(i), Some(v)) if i == a.len() => a.push(v),
            (Ok(i), None) if i < a.len() => {
                a.remove(i);
            }
            _ => {}
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{IdRule, valid_numbers};
    use serde_json::json;

    fn desired(yaml: &str) -> DesiredNumber {
        let env = |k: &str| (k == "TOKEN").then(|| "tok-123".to_string());
        valid_numbers("d.yaml", yaml, &env, IdRule::Required).remove(0)
    }

    #[test]
    fn in_sync_despite_defaults_nulls_and_float_spelling() {
        let d = desired(
            "id: a\nprovider: vonage\nnumber: \"+1\"\ncredentialId: c\nserver:\n  url: https://x\n  timeoutSeconds: 20.0\n",
        );
        let live = json!({"id": "a", "orgId": "o", "provider": "vonage", "number": "+1", "credentialId": "c",
            "assistantId": null, "status": "active", "server": {"url": "https://x", "timeoutSeconds": 20}});
        let r = compare(d, &live, &IgnoreSet::default());
        assert_eq!(r.status, Status::InSync, "{:?}", r.differences);
        assert_eq!(r.health, None);
    }

    #[test]
    fn a_result_no_report_mentions_sheds_its_document_and_one_that_drifts_keeps_it() {
        let yaml = "id: a\nprovider: vonage\nnumber: \"+1\"\ncredentialId: c\nname: x\n";
        let live = json!({"id": "a", "provider": "vonage", "number": "+1", "credentialId": "c", "name": "x"});
        let mut quiet = compare(desired(yaml), &live, &IgnoreSet::default());
        quiet.shed();
        assert_eq!(quiet.desired.doc().value(), Value::Null);
        assert!(
            !quiet
                .desired
                .source_map()
                .contains(&Pointer::root().child("name"))
        );
        assert_eq!(quiet.desired.label(), "x", "the labels stay");
        let renamed = json!({"id": "a", "provider": "vonage", "number": "+1", "credentialId": "c", "name": "y"});
        let mut loud = compare(desired(yaml), &renamed, &IgnoreSet::default());
        loud.shed();
        assert_eq!(loud.desired.doc().value()["name"], "x");
        assert_eq!(loud.line_of(&loud.differences[0]), 5);
    }

    #[test]
    fn a_field_set_only_live_is_drift() {
        let d = desired("id: a\nprovider: vonage\nnumber: \"+1\"\ncredentialId: c\n");
        let live = json!({"id": "a", "provider": "vonage", "number": "+1", "credentialId": "c", "assistantId": "x"});
        let r = compare(d, &live, &IgnoreSet::default());
        assert_eq!(r.status, Status::Modified);
        assert_eq!(r.differences[0].path.to_string(), "/assistantId");
        assert!(r.diff.contains("+assistantId: x"), "{}", r.diff);
    }

    #[test]
    fn a_secret_the_api_omits_is_unverifiable_not_drift() {
        let d = desired(
            "id: a\nprovider: twilio\nnumber: \"+1\"\ntwilioAccountSid: AC\ntwilioAuthToken: ${TOKEN}\n",
        );
        let live = json!({"id": "a", "provider": "twilio", "number": "+1", "twilioAccountSid": "AC", "status": "activating"});
        let r = compare(d.clone(), &live, &IgnoreSet::default());
        assert_eq!(r.status, Status::InSync);
        assert_eq!(
            r.unverifiable,
            vec![Pointer::root().child("twilioAuthToken")]
        );
        assert_eq!(r.health.as_deref(), Some("activating"));
        let masked = json!({"id": "a", "provider": "twilio", "number": "+1", "twilioAccountSid": "AC", "twilioAuthToken": "****"});
        assert_eq!(
            compare(d.clone(), &masked, &IgnoreSet::default())
                .unverifiable
                .len(),
            1
        );
        // A header value the API masks is unverifiable too, not drift for ever.
        let hd = desired("id: a\nprovider: vapi\nserver:\n  headers:\n    X-Key: ${TOKEN}\n");
        let masked_header =
            json!({"id": "a", "provider": "vapi", "server": {"headers": {"X-Key": "****"}}});
        let r = compare(hd, &masked_header, &IgnoreSet::default());
        assert_eq!(r.status, Status::InSync, "{:?}", r.differences);
        assert_eq!(
            r.unverifiable,
            vec![Pointer::parse("/server/headers/X-Key").expect("p")]
        );
        let rotated = json!({"id": "a", "provider": "twilio", "number": "+1", "twilioAccountSid": "AC", "twilioAuthToken": "other"});
        let r = compare(d, &rotated, &IgnoreSet::default());
        assert_eq!(r.status, Status::Modified);
        assert!(r.differences[0].sensitive);
        assert!(
            !r.diff.contains("tok-123") && !r.diff.contains("other"),
            "{}",
            r.diff
        );
    }
}
