//! `vapi-drift explain`: everything behind one number's verdict, for a user who
//! does not believe a report. The desired document as loaded, the live object as
//! fetched, which normalization rule changed which path on each side, both
//! normalized forms, and which ignore rule matched which difference. Secrets masked.

use crate::audit;
use crate::desired::DesiredNumber;
use crate::ignore::IgnoreSet;
use crate::model::{Status, UnmanagedNumber};
use crate::normalize::{Note, normalize_explained, pins, sorted};
use crate::pointer::Pointer;
use crate::secret;
use crate::yaml;
use serde_json::Value;
use std::fmt::Write;

/// What the fetch of the number came to.
pub enum Live<'a> {
    Found(&'a Value),
    Missing,
    NotChecked(&'a str),
}

pub fn render(desired: &DesiredNumber, live: Live, ignore: &IgnoreSet) -> String {
    let mut out = String::new();
    let d = desired;
    // Labels that came from `${VAR}` masked, as every report masks them.
    let shown = crate::model::NumberResult::empty(d.clone()).desired;
    let _ = writeln!(
        out,
        "explain: {} ({}, id {}) {}:{}",
        shown.label(),
        d.provider,
        shown.id.as_deref().unwrap_or("-"),
        d.file,
        d.line
    );
    let root = Pointer::root();
    let inter = &d.interpolated;
    let doc = d.doc().value();
    // What `${VAR}` put in is a secret too: masked on both sides, where it sits.
    let redact = |v: &Value, at: &[Pointer], other: Option<&Value>| {
        secret::redact(v, &root, at, &inter.values, other)
    };
    section(&mut out, "desired, as loaded (secrets masked)");
    block(
        &mut out,
        &yaml::render(&secret::mask(&redact(&doc, &inter.paths, None), &root)),
    );
    let live = match live {
        Live::Found(v) => v,
        Live::Missing => {
            section(&mut out, "live");
            let _ = writeln!(
                out,
                "  the number does not exist in Vapi (404)\n\nverdict: {}",
                Status::Missing
            );
            return out;
        }
        Live::NotChecked(reason) => {
            section(&mut out, "live");
            let _ = writeln!(
                out,
                "  not read: {reason}\n\nverdict: {}",
                Status::NotChecked
            );
            return out;
        }
    };
    section(&mut out, "live, as fetched (secrets masked)");
    block(
        &mut out,
        &yaml::render(&secret::mask(
            &redact(live, &inter.paths, Some(&doc)),
            &root,
        )),
    );

    let pinned = pins(&doc);
    let (want, want_map, want_notes) = normalize_explained(&doc, &pinned);
    let (have, _, have_notes) = normalize_explained(live, &pinned);
    section(&mut out, "normalization of the desired document");
    notes(&mut out, &want_notes);
    section(&mut out, "normalization of the live object");
    notes(&mut out, &have_notes);
    section(&mut out, "desired, normalized");
    let at = audit::interpolated_in(&want, &want_map, &inter.paths);
    let (want, have) = (redact(&want, &at, None), redact(&have, &at, Some(&want)));
    block(
        &mut out,
        &yaml::render(&sorted(&secret::mask(&want, &root))),
    );
    section(&mut out, "live, normalized");
    block(
        &mut out,
        &yaml::render(&sorted(&secret::mask_against(&have, &root, Some(&want)))),
    );

    let result = audit::compare(d.clone(), live, ignore);
    section(&mut out, "differences");
    if result.differences.is_empty() && result.ignored.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for x in &result.differences {
        let shown = |v: Option<Value>| v.map_or("(absent)".to_string(), |v| v.to_string());
        let _ = writeln!(
            out,
            "  {} {}: {} -> {} (desired line {})",
            x.change.word(),
            x.path,
            shown(x.expected_shown()),
            shown(x.actual_shown()),
            result.line_of(x)
        );
    }
    for i in &result.ignored {
        let _ = writeln!(
            out,
            "  ignored {} by the rule at {}: {}",
            i.path, i.rule, i.reason
        );
    }
    for p in &result.unverifiable {
        let _ = writeln!(
            out,
            "  unverifiable {p}: set in the desired file, not returned by the API"
        );
    }
    for u in &result.unknown_fields {
        let _ = writeln!(
            out,
            "  unknown field {} = {}: the schema does not know it (not compared)",
            u.path,
            u.shown()
        );
    }
    if let Some(h) = &result.health {
        let _ = writeln!(
            out,
            "  health: live status is \"{h}\" (reported apart from drift)"
        );
    }
    let _ = writeln!(out, "\nverdict: {}", result.status);
    out
}

/// A live number no desired document describes: the object (secrets masked), and
/// what that means.
pub fn render_unmanaged(live: &Value) -> String {
    let number = UnmanagedNumber::of(live);
    let mut out = String::new();
    let _ = writeln!(out, "explain: {}{}", number.label(), number.details());
    section(&mut out, "desired");
    let _ = writeln!(
        out,
        "  no desired document describes this number (by id, or by number or sipUri)"
    );
    section(&mut out, "live, as fetched (secrets masked)");
    block(
        &mut out,
        &yaml::render(&secret::mask(live, &Pointer::root())),
    );
    let _ = writeln!(
        out,
        "\nverdict: UNMANAGED: live, but no desired file describes it (`vapi-drift export --only {}` writes one)",
        number.id
    );
    out
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n== {title}");
}

fn block(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "  {line}");
    }
}

fn notes(out: &mut String, notes: &[Note]) {
    if notes.is_empty() {
        let _ = writeln!(out, "  (nothing changed)");
    }
    for n in notes {
        let _ = writeln!(out, "  {}: {}", n.path, n.rule);
    }
}
