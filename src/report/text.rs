//! The text report for people at a terminal: a one-line summary, then every number
//! that is not in sync with its source file and line, its field-level changes and
//! its unified diff. Colour only when asked (the caller knows if stdout is a TTY).

use super::{Report, Summary, tags};
use crate::diff::Difference;
use crate::finding::Kind;
use crate::model::{NumberResult, Status};
use crate::model::{Unmanaged, UnmanagedCheck, UnmanagedMode};
use anstyle::{AnsiColor, Style};
use serde_json::Value;
use std::fmt::Write;

struct Paint {
    on: bool,
}

impl Paint {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();
const BOLD: Style = Style::new().bold();

pub fn render(report: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let s = report.summary();
    let mut out = String::new();
    let verdict = match report.outcome {
        // --deployed-ref, and what differs waits for the deploy.
        crate::exit::ExitCode::InSync if s.pending.unwrap_or(0) > 0 => {
            p.paint(GREEN.bold(), "nothing out of band")
        }
        c @ crate::exit::ExitCode::InSync => p.paint(GREEN.bold(), c.verdict()),
        c @ crate::exit::ExitCode::Incomplete => p.paint(YELLOW.bold(), c.verdict()),
        c => p.paint(RED.bold(), c.verdict()),
    };
    let unmanaged = match report.audit.unmanaged.check {
        UnmanagedCheck::Skipped(_) => String::new(),
        _ => format!(", {} unmanaged", s.unmanaged),
    };
    let _ = writeln!(
        out,
        "vapi-drift: {verdict}: {} desired, {} checked: {} in sync, {} modified, {} missing, {} not checked{unmanaged}{} (exit {})",
        s.desired,
        s.checked,
        s.in_sync,
        s.modified,
        s.missing,
        s.not_checked,
        counts(&s),
        report.exit_code
    );
    if let Some(d) = &report.audit.deployed {
        let _ = writeln!(
            out,
            "compared with the desired files at {} (commit {})",
            d.reference,
            &d.commit[..d.commit.len().min(12)]
        );
    }
    for e in report.run_errors() {
        let _ = writeln!(out, "{} {e}", p.paint(RED.bold(), "error:"));
    }
    if report.nothing_loaded() {
        let _ = writeln!(
            out,
            "no desired number was loaded: the desired config has the errors above"
        );
    }
    for rule in &report.audit.expired_rules {
        let _ = writeln!(
            out,
            "{} {}",
            p.paint(YELLOW, "warning:"),
            rule.expired_warning()
        );
    }
    for rule in &report.audit.unused_rules {
        let _ = writeln!(
            out,
            "{} {}",
            p.paint(YELLOW, "warning:"),
            rule.unused_warning()
        );
    }
    let unknown = report.unknown_groups();
    if !unknown.is_empty() {
        let tag = if report.policy.fail_on_unknown_fields {
            p.paint(RED.bold(), "drift:")
        } else {
            p.paint(CYAN, "note:")
        };
        let _ = writeln!(out, "{tag} {}:", super::UNKNOWN_FIELDS_NOTE);
        for g in &unknown {
            let _ = writeln!(out, "  ? {}", g.line());
        }
    }
    // Each number once; one the run's error kept from being checked says only
    // that (the error itself is said once, above).
    for r in &report.audit.results {
        number(&mut out, &p, r);
    }
    unmanaged_section(&mut out, &p, &report.audit.unmanaged);
    if let Some(d) = &report.audit.deployed {
        for n in &d.removed {
            let _ = writeln!(
                out,
                "\n{} {} {}\n  the desired files no longer declare it: the deploy deletes it",
                p.paint(YELLOW.bold(), "PENDING_DELETION"),
                p.paint(BOLD, &n.label()),
                p.paint(CYAN, &format!("{}:{}", n.file, n.line))
            );
        }
    }
    if let Some(b) = &report.audit.baseline {
        for f in &b.resolved {
            let _ = writeln!(
                out,
                "\n{} {} {} {} (in the baseline {}{})",
                p.paint(GREEN.bold(), "RESOLVED"),
                f.number,
                f.kind,
                if f.path.is_empty() { "-" } else { &f.path },
                b.file,
                f.first_seen
                    .as_deref()
                    .map(|w| format!(", first seen {w}"))
                    .unwrap_or_default()
            );
        }
        if !b.unconfirmed.is_empty() {
            let _ = writeln!(
                out,
                "\n{} findings of the baseline could not be looked for in this run (their number was not checked): carried over",
                b.unconfirmed.len()
            );
        }
    }
    out
}

/// `, 1 out of band, 2 pending, 0 conflicts, 1 pending deletion` with
/// `--deployed-ref`; `, 1 new, 3 known, 2 resolved` with `--baseline`.
fn counts(s: &Summary) -> String {
    let mut out = String::new();
    if let (Some(o), Some(p), Some(c), Some(d)) =
        (s.out_of_band, s.pending, s.conflict, s.pending_deletions)
    {
        let _ = write!(
            out,
            "; {o} out of band, {p} pending, {c} conflict{}, {d} pending deletion{}",
            if c == 1 { "" } else { "s" },
            if d == 1 { "" } else { "s" }
        );
    }
    if let (Some(n), Some(k), Some(r)) = (s.new, s.known, s.resolved) {
        let _ = write!(out, "; {n} new, {k} known, {r} resolved");
    }
    out
}

/// The live numbers no desired document describes, and whether that list is whole.
fn unmanaged_section(out: &mut String, p: &Paint, u: &Unmanaged) {
    let tag = if u.mode == UnmanagedMode::Fail {
        p.paint(RED.bold(), Kind::Unmanaged.word())
    } else {
        p.paint(YELLOW.bold(), Kind::Unmanaged.word())
    };
    for n in &u.numbers {
        let _ = writeln!(
            out,
            "\n{tag} {}{}{}\n  live, but no desired file describes it",
            p.paint(BOLD, &n.label()),
            n.details(),
            tags(n.cause, n.seen.as_ref())
        );
    }
    match &u.check {
        UnmanagedCheck::Incomplete(why) => {
            let _ = writeln!(
                out,
                "\n{} unmanaged numbers: the list may be incomplete: {why}",
                p.paint(YELLOW, "warning:")
            );
        }
        UnmanagedCheck::Skipped(why) if u.mode != UnmanagedMode::Ignore => {
            let _ = writeln!(out, "\nunmanaged numbers: not looked for ({why})");
        }
        _ => {}
    }
}

fn number(out: &mut String, p: &Paint, r: &NumberResult) {
    let d = &r.desired;
    let style = match r.status {
        Status::InSync => GREEN,
        Status::Modified | Status::Missing => RED.bold(),
        Status::NotChecked => YELLOW.bold(),
    };
    let tag = p.paint(style, r.status.word());
    let warnings = !r.unverifiable.is_empty() || r.health.is_some() || !r.ignored.is_empty();
    if r.status == Status::InSync && !warnings {
        return;
    }
    let id = match (&d.id, d.declares_id) {
        (Some(id), false) => format!(
            "{id}, found by its {}",
            if d.number.is_some() {
                "number"
            } else {
                "sipUri"
            }
        ),
        (Some(id), true) => id.to_string(),
        (None, _) => "-".into(),
    };
    let _ = writeln!(
        out,
        "\n{tag} {} ({}, id {id}) {}",
        p.paint(BOLD, &d.label()),
        d.provider,
        p.paint(CYAN, &format!("{}:{}", d.file, d.line))
    );
    match r.status {
        Status::Missing => {
            let tags = tags(r.cause, r.seen.as_deref());
            match crate::lookup::lookup_key(d) {
                Some(key) => {
                    let _ = writeln!(out, "  no live number has {key}{tags}");
                }
                None => {
                    let _ = writeln!(out, "  the number does not exist in Vapi (404){tags}");
                }
            }
        }
        Status::NotChecked => {
            let _ = writeln!(out, "  not checked: {}", r.reason_text());
        }
        _ => {}
    }
    if let Some(h) = &r.health {
        let _ = writeln!(
            out,
            "  {} live status is \"{h}\", not \"active\"",
            p.paint(YELLOW, "warning:")
        );
    }
    for path in &r.unverifiable {
        let _ = writeln!(
            out,
            "  {} {path} is set in the desired file but the API does not return it: not verified",
            p.paint(YELLOW, "unverifiable:")
        );
    }
    for x in &r.differences {
        let _ = writeln!(out, "  {}", change_line(p, r, x));
    }
    for i in &r.ignored {
        let _ = writeln!(
            out,
            "  {} {} (rule {}: {})",
            p.paint(CYAN, "ignored:"),
            i.path,
            i.rule,
            i.reason
        );
    }
    if !r.diff.is_empty() {
        for line in r.diff.lines() {
            let styled = if line.starts_with("+++") || line.starts_with("---") {
                p.paint(BOLD, line)
            } else if line.starts_with('+') {
                p.paint(GREEN, line)
            } else if line.starts_with('-') {
                p.paint(RED, line)
            } else if line.starts_with("@@") {
                p.paint(CYAN, line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "    {styled}");
        }
    }
}

fn change_line(p: &Paint, r: &NumberResult, x: &Difference) -> String {
    let line = r.line_of(x);
    let at = p.paint(CYAN, &format!("(line {line})"));
    let line = x.line(&shown(x.expected_shown()), &shown(x.actual_shown()), "→");
    format!("{line} {at}{}", tags(x.cause, x.seen.as_ref()))
}

/// A value on one line, shortened when long.
fn shown(v: Option<Value>) -> String {
    let text = match v {
        None => "(absent)".to_string(),
        Some(v) => serde_json::to_string(&v).unwrap_or_default(),
    };
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}
