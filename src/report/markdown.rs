//! The Markdown report: GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY` and pull
//! request comments. A heading, a status line, a summary table, ignore rules that
//! expired or matched nothing, unmanaged live numbers, then one `<details>` block per
//! number worth a look (not in sync, or in sync with a warning or an ignored
//! difference) with its source `file:line`, a table of its differences and its diff.
//!
//! Owns: escaping (a value can neither break a table nor inject HTML, a link, a
//! mention or emphasis: see [`inline`]; a diff block's fence is longer than any run of
//! backticks inside it) and the size budget ([`BUDGET`]; GitHub cuts a comment at
//! 65,536 characters): past it whole numbers are left out and the last line says how
//! many, and that the JSON report has them all.
//!
//! Does not own: masking (values come from `Difference::expected_shown`/`actual_shown`,
//! and the diff is masked by `diff::unified`), source lines (see `desired::SourceMap`).

use super::{Report, one_line};
use crate::diff::Difference;
use crate::exit::ExitCode;
use crate::finding::{Cause, Kind, Seen};
use crate::model::{NumberResult, Status};
use crate::model::{Unmanaged, UnmanagedCheck, UnmanagedMode};
use std::fmt::Write;

/// The most the report may take, in bytes (so also in characters).
pub const BUDGET: usize = 60_000;
/// Room kept for the closing note while more numbers may follow.
const NOTE_ROOM: usize = 300;
/// The most one number's table of differences may take, in bytes; the rest are counted.
const TABLE_MAX: usize = 12_000;
/// The most one number's diff may take, in bytes; the rest of its lines are counted.
const DIFF_MAX: usize = 8_000;
/// The longest value in a table cell, in characters, before escaping.
const VALUE_MAX: usize = 100;
/// At most this many ignore rules are listed under the summary.
const RULES_MAX: usize = 20;
/// At most this many unmanaged numbers are listed.
const UNMANAGED_MAX: usize = 50;

pub fn render(report: &Report) -> String {
    let mut out = head(report);
    let shown: Vec<&NumberResult> = report
        .audit
        .results
        .iter()
        .filter(|r| r.worth_reporting() && !r.stopped_with_run())
        .map(|r| &**r)
        .collect();
    for (i, r) in shown.iter().enumerate() {
        let block = number(report, r);
        let last = i + 1 == shown.len();
        let room = if last { BUDGET } else { BUDGET - NOTE_ROOM };
        if out.len() + block.len() > room {
            let left_out = shown.len() - i;
            let _ = writeln!(
                out,
                "**{left_out} of {} numbers left out** to keep this report under 60,000 characters; the JSON report (`-o json=PATH`) has them all.",
                shown.len()
            );
            break;
        }
        out.push_str(&block);
    }
    out
}

fn head(report: &Report) -> String {
    let s = report.summary();
    let unhealthy = report
        .audit
        .results
        .iter()
        .filter(|r| report.unhealthy_fails(r))
        .count();
    let unmanaged = &report.audit.unmanaged;
    let looked_for = !matches!(unmanaged.check, UnmanagedCheck::Skipped(_));
    let mut out = String::new();
    let (word, line) = match report.outcome {
        ExitCode::InSync if s.pending.unwrap_or(0) > 0 => (
            "safe to deploy",
            format!(
                "✅ **Safe to deploy:** nothing changed live since the deploy; {} wait for it (below).",
                counted(s.pending.unwrap_or(0), "change", "changes")
            ),
        ),
        ExitCode::InSync => (
            ExitCode::InSync.verdict(),
            format!(
                "✅ **In sync:** every desired number ({}) matches its live configuration.",
                s.desired
            ),
        ),
        ExitCode::Drift => {
            let mut line = String::from("❌ **Drift:**");
            if s.modified + s.missing > 0 {
                let _ = write!(
                    line,
                    " {} of {} desired numbers differ from their live configuration ({} modified, {} missing).",
                    s.modified + s.missing,
                    s.desired,
                    s.modified,
                    s.missing
                );
            }
            if unhealthy > 0 {
                let _ = write!(
                    line,
                    " {} not active (`--fail-on-unhealthy`).",
                    counted(unhealthy, "live number is", "live numbers are")
                );
            }
            if report.policy.fail_on_unknown_fields && s.unknown_fields > 0 {
                let _ = write!(
                    line,
                    " {} (`--fail-on-unknown-fields`).",
                    counted(
                        s.unknown_fields,
                        "live field the schema does not know",
                        "live fields the schema does not know"
                    )
                );
            }
            if unmanaged.is_drift() {
                let _ = write!(
                    line,
                    " {} unmanaged (`--unmanaged fail`).",
                    counted(s.unmanaged, "live number is", "live numbers are")
                );
            }
            if s.not_checked > 0 {
                let _ = write!(line, " {} could not be checked.", s.not_checked);
            }
            (ExitCode::Drift.verdict(), line)
        }
        ExitCode::Incomplete => {
            let mut why = Vec::new();
            if s.not_checked > 0 {
                why.push(format!(
                    "{} of {} desired numbers could not be checked",
                    s.not_checked, s.desired
                ));
            }
            if unmanaged.is_incomplete() {
                why.push(
                    "the list of live numbers may be incomplete (`--unmanaged fail`)".to_string(),
                );
            }
            (
                ExitCode::Incomplete.verdict(),
                format!(
                    "⚠️ **Incomplete:** {}; the rest is in sync.",
                    why.join("; ")
                ),
            )
        }
        ExitCode::Error | ExitCode::Usage => {
            let errors = report.audit.errors.len();
            let why = match &report.audit.fatal {
                Some(reason) => format!("the run stopped: {}.", inline(reason)),
                None if report.nothing_loaded() => format!(
                    "the desired config could not be loaded ({}); nothing was checked.",
                    counted(errors, "error", "errors")
                ),
                None if errors > 0 => format!(
                    "{}; nothing was checked.",
                    counted(errors, "error", "errors")
                ),
                None if report.policy.fail_on_expired_ignore
                    && !report.audit.expired_rules.is_empty() =>
                {
                    format!(
                        "{} (`--fail-on-expired-ignore`).",
                        counted(
                            report.audit.expired_rules.len(),
                            "ignore rule expired",
                            "ignore rules expired"
                        )
                    )
                }
                None => "the run failed.".to_string(),
            };
            (ExitCode::Error.verdict(), format!("❌ **Error:** {why}"))
        }
    };
    let _ = writeln!(out, "## vapi-drift: {word}\n");
    let _ = writeln!(out, "{line} Exit code {}.\n", report.exit_code);
    // The unmanaged count only when they were looked for: 0 would claim there are none.
    let (head, rule, count) = if looked_for {
        (" unmanaged |", "---:|", format!(" {} |", s.unmanaged))
    } else {
        ("", "", String::new())
    };
    let _ = writeln!(
        out,
        "| desired | checked | in sync | modified | missing | not checked |{head}"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|{rule}");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |{count}\n",
        s.desired, s.checked, s.in_sync, s.modified, s.missing, s.not_checked
    );
    out.push_str(&run_errors(report));
    out.push_str(&gate_section(report));
    out.push_str(&ignore_rules(report));
    out.push_str(&unknown_section(report));
    out.push_str(&unmanaged_section(unmanaged));
    out
}

/// The fields the schema does not know, once per run: a table of path, value and
/// how many numbers have it.
fn unknown_section(report: &Report) -> String {
    let groups = report.unknown_groups();
    if groups.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "**{}**

",
        inline(super::UNKNOWN_FIELDS_NOTE)
    );
    let _ = writeln!(
        out,
        "| path | value | numbers |
|---|---|---:|"
    );
    for g in &groups {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            inline(&g.path),
            inline(&g.value),
            g.numbers
        );
    }
    out.push('\n');
    out
}

/// At most this many run errors are listed.
const ERRORS_MAX: usize = 50;

/// The run's errors (`file:line:column` and message), each once, then the one line
/// for the numbers they kept from being checked.
fn run_errors(report: &Report) -> String {
    let errors = report.audit.errors.as_slice();
    let mut out = String::new();
    for e in errors.iter().take(ERRORS_MAX) {
        let place = match (&e.file, e.line, e.column) {
            (Some(f), Some(l), Some(c)) => format!("<code>{}:{l}:{c}</code>: ", inline(f)),
            (Some(f), Some(l), None) => format!("<code>{}:{l}</code>: ", inline(f)),
            (Some(f), None, _) => format!("<code>{}</code>: ", inline(f)),
            (None, _, _) => String::new(),
        };
        let _ = writeln!(out, "- ❌ {place}{}", inline(&e.message));
    }
    if errors.len() > ERRORS_MAX {
        let _ = writeln!(
            out,
            "- … and {} more: the JSON report has them all",
            errors.len() - ERRORS_MAX
        );
    }
    if let Some(line) = report.stopped_line() {
        let _ = writeln!(out, "- ⚠️ {}", inline(&line));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// What `--deployed-ref` and `--baseline` add under the summary: the causes and the
/// numbers the deploy deletes; new, known and resolved findings.
fn gate_section(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::new();
    if let Some(d) = &report.audit.deployed {
        let _ = writeln!(
            out,
            "Compared with the desired files at <code>{}</code> (commit <code>{}</code>): **{} out of band**, **{} in conflict**, {} pending, {}.\n",
            inline(&d.reference),
            inline(&d.commit[..d.commit.len().min(12)]),
            s.out_of_band.unwrap_or(0),
            s.conflict.unwrap_or(0),
            s.pending.unwrap_or(0),
            counted(d.removed.len(), "pending deletion", "pending deletions"),
        );
        for n in d.removed.iter().take(UNMANAGED_MAX) {
            let _ = writeln!(
                out,
                "- `PENDING` deletion: {} (<code>{}:{}</code>) is no longer desired: the deploy deletes it",
                inline(&n.label()),
                inline(&n.file),
                n.line
            );
        }
        if d.removed.len() > UNMANAGED_MAX {
            let _ = writeln!(
                out,
                "- … and {} more: the JSON report has them all",
                d.removed.len() - UNMANAGED_MAX
            );
        }
        if !d.removed.is_empty() {
            out.push('\n');
        }
    }
    if let Some(b) = &report.audit.baseline {
        let _ = writeln!(
            out,
            "Since the baseline <code>{}</code>: **{} new**, {} known, {} resolved.\n",
            inline(&b.file),
            b.new,
            b.known,
            b.resolved.len()
        );
        for f in b.resolved.iter().take(RULES_MAX) {
            let _ = writeln!(
                out,
                "- Resolved: {} <code>{}</code> `{}`{}",
                inline(&f.number),
                inline(if f.path.is_empty() { "-" } else { &f.path }),
                inline(&f.kind),
                f.first_seen
                    .as_deref()
                    .map(|w| format!(" (first seen {})", inline(w)))
                    .unwrap_or_default()
            );
        }
        if b.resolved.len() > RULES_MAX {
            let _ = writeln!(
                out,
                "- … and {} more resolved: the JSON report has them all",
                b.resolved.len() - RULES_MAX
            );
        }
        if !b.resolved.is_empty() {
            out.push('\n');
        }
    }
    out
}

/// Live numbers no desired file describes: one block with a table, capped at
/// [`UNMANAGED_MAX`] rows; a warning when the list may be incomplete.
fn unmanaged_section(u: &Unmanaged) -> String {
    let mut out = String::new();
    if !u.numbers.is_empty() {
        let _ = writeln!(out, "<details>");
        let _ = writeln!(
            out,
            "<summary><b>{}</b> {} no desired file describes{}</summary>\n",
            Kind::Unmanaged.word(),
            counted(u.numbers.len(), "live number", "live numbers"),
            if u.mode == UnmanagedMode::Fail {
                " (drift under <code>--unmanaged fail</code>)"
            } else {
                ""
            }
        );
        let _ = writeln!(out, "| number | name | provider | id | created |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        let code = |v: Option<&str>| match v {
            Some(v) => format!("<code>{}</code>", inline(v)),
            None => "*(none)*".to_string(),
        };
        for n in u.numbers.iter().take(UNMANAGED_MAX) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(n.number.as_deref()),
                n.name.as_deref().map_or("*(none)*".to_string(), inline),
                inline(&n.provider),
                code(Some(&n.id)),
                n.created_at
                    .as_deref()
                    .map_or("*(none)*".to_string(), inline),
            );
        }
        if u.numbers.len() > UNMANAGED_MAX {
            let _ = writeln!(
                out,
                "| *{} more: the JSON report has them all* | | | | |",
                u.numbers.len() - UNMANAGED_MAX
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if let UnmanagedCheck::Incomplete(why) = &u.check {
        let _ = writeln!(
            out,
            "⚠️ Unmanaged numbers: the list of live numbers may be incomplete: {}\n",
            inline(why)
        );
    }
    out
}

/// `1 thing is`, `2 things are`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Ignore rules that expired or matched nothing: a list under the summary.
fn ignore_rules(report: &Report) -> String {
    let audit = report.audit;
    let expired = audit.expired_rules.iter().map(|rule| {
        format!(
            "- ⚠️ Ignore rule <code>{}</code> expired on {} and no longer suppresses anything: {}",
            inline(&rule.id),
            inline(rule.expires.as_deref().unwrap_or("?")),
            inline(&rule.reason)
        )
    });
    let unused = audit.unused_rules.iter().map(|rule| {
        format!(
            "- Ignore rule <code>{}</code> matched nothing in this run: {}",
            inline(&rule.id),
            inline(&rule.reason)
        )
    });
    let lines: Vec<String> = expired.chain(unused).collect();
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for line in lines.iter().take(RULES_MAX) {
        let _ = writeln!(out, "{line}");
    }
    if lines.len() > RULES_MAX {
        let _ = writeln!(
            out,
            "- … and {} more: the JSON report has them all",
            lines.len() - RULES_MAX
        );
    }
    out.push('\n');
    out
}

fn number(report: &Report, r: &NumberResult) -> String {
    let d = &r.desired;
    let mut out = String::new();
    let status = match r.status {
        Status::InSync if report.unhealthy_fails(r) => "UNHEALTHY",
        Status::InSync if r.health.is_some() || !r.unverifiable.is_empty() => "IN_SYNC ⚠️",
        s => s.word(),
    };
    let _ = writeln!(out, "<details>");
    let _ = writeln!(
        out,
        "<summary><b>{status}</b> {} · <code>{}:{}</code></summary>\n",
        inline(&d.label()),
        inline(&d.file),
        d.line
    );
    let _ = writeln!(
        out,
        "Provider {}, id <code>{}</code>.\n",
        inline(&d.provider),
        inline(d.id.as_deref().unwrap_or("-"))
    );
    match r.status {
        Status::Missing => {
            let _ = writeln!(
                out,
                "The phone number does not exist in Vapi (404).{}\n",
                tags(r.cause, r.seen.as_deref())
            );
        }
        Status::NotChecked => {
            let _ = writeln!(out, "Not checked: {}\n", inline(&r.reason_text()));
        }
        Status::InSync | Status::Modified => {}
    }
    if let Some(h) = &r.health {
        let _ = writeln!(
            out,
            "⚠️ The live status is <code>{}</code>, not <code>active</code>.\n",
            inline(h)
        );
    }
    for path in &r.unverifiable {
        let _ = writeln!(
            out,
            "⚠️ <code>{}</code> (line {}) is set in the desired file but the API does not return it: not verified.\n",
            inline(&path.to_string()),
            d.source_map().line(path)
        );
    }
    if !r.differences.is_empty() {
        out.push_str(&table(r));
        out.push('\n');
    }
    for i in r.ignored.iter().take(RULES_MAX) {
        let _ = writeln!(
            out,
            "- Ignored: <code>{}</code> (line {}), rule <code>{}</code>: {}",
            inline(&i.path.to_string()),
            d.source_map().line(&i.path),
            inline(&i.rule),
            inline(&i.reason)
        );
    }
    if r.ignored.len() > RULES_MAX {
        let _ = writeln!(
            out,
            "- … and {} more ignored: the JSON report has them all",
            r.ignored.len() - RULES_MAX
        );
    }
    if !r.ignored.is_empty() {
        out.push('\n');
    }
    if !r.diff.is_empty() {
        out.push_str(&diff_block(&r.diff));
        out.push('\n');
    }
    let _ = writeln!(out, "</details>\n");
    out
}

fn table(r: &NumberResult) -> String {
    let mut out = String::from("| path | type | expected (git) | actual (live) | line |\n");
    out.push_str("|---|---|---|---|---:|\n");
    for (i, x) in r.differences.iter().enumerate() {
        let row = row(r, x);
        if out.len() + row.len() > TABLE_MAX {
            let _ = writeln!(
                out,
                "| *{} more differences: the JSON report has them all* | | | | |",
                r.differences.len() - i
            );
            break;
        }
        out.push_str(&row);
    }
    out
}

fn row(r: &NumberResult, x: &Difference) -> String {
    let cell = |v: Option<serde_json::Value>| match one_line(v.as_ref(), VALUE_MAX) {
        Some(text) => format!("<code>{}</code>", inline(&text)),
        None => "*(absent)*".to_string(),
    };
    let change = x.change.word();
    let tags = tags(x.cause, x.seen.as_ref());
    format!(
        "| <code>{}</code> | `{change}`{tags} | {} | {} | {} |\n",
        inline(&x.path.to_string()),
        cell(x.expected_shown()),
        cell(x.actual_shown()),
        r.line_of(x)
    )
}

/// A finding's cause as code (`` `OUT_OF_BAND` ``) and its history (**NEW**, known
/// since …), each after a space; nothing without `--deployed-ref` or `--baseline`.
fn tags(cause: Option<Cause>, seen: Option<&Seen>) -> String {
    let mut out = String::new();
    if let Some(c) = cause {
        let _ = write!(out, " `{c}`");
    }
    match seen {
        Some(Seen { new: true, .. }) => out.push_str(" **NEW**"),
        Some(Seen {
            first_seen: Some(when),
            ..
        }) => {
            let _ = write!(out, " known since {}", inline(when));
        }
        Some(_) => out.push_str(" known"),
        None => {}
    }
    out
}

/// A fenced `diff` block, cut at [`DIFF_MAX`]. The fence is longer than any run of
/// backticks inside, so no line of the diff can close it.
fn diff_block(diff: &str) -> String {
    let total = diff.lines().count();
    let mut body = String::new();
    let mut kept = 0;
    for line in diff.lines() {
        let line: String = line
            .chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect();
        if body.len() + line.len() + 1 > DIFF_MAX {
            break;
        }
        body.push_str(&line);
        body.push('\n');
        kept += 1;
    }
    if kept < total {
        let _ = writeln!(
            body,
            "... {} more lines: the JSON report has the whole diff",
            total - kept
        );
    }
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    format!("{fence}diff\n{body}{fence}\n")
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// Text from the user or the API, made safe for one line of Markdown, a table cell or
/// HTML: every character Markdown or HTML gives a meaning to becomes a character
/// reference (which GitHub shows as the character), line breaks and other control
/// characters become spaces, and bidirectional overrides are replaced.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // emphasis, code, links, tables, strikethrough, math, escapes, mentions, references
            '*' | '_' | '`' | '[' | ']' | '|' | '~' | '$' | '\\' | '@' | '#' | '!' => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_leaves_no_markdown_or_html_meaning() {
        let hostile = "a|b <script>alert(1)</script> **x** [l](u) `c` \\ ~~s~~ $m$ @org #1\nnext\r";
        let safe = inline(hostile);
        // What is left once the character references themselves are taken out.
        let mut bare = String::new();
        let mut rest = safe.as_str();
        while let Some(at) = rest.find('&') {
            bare.push_str(&rest[..at]);
            let end = rest[at..].find(';').expect("a reference ends with ;");
            rest = &rest[at + end + 1..];
        }
        bare.push_str(rest);
        for c in [
            '|', '<', '>', '*', '[', ']', '`', '\\', '~', '$', '@', '#', '&', '\n', '\r',
        ] {
            assert!(!bare.contains(c), "{c:?} survived in {safe}");
        }
        assert!(safe.contains("&lt;script&gt;"), "{safe}");
        assert!(safe.contains("&#124;"), "{safe}");
        assert_eq!(inline("&lt;"), "&amp;lt;");
        assert_eq!(inline("plain text 1.2"), "plain text 1.2");
    }

    #[test]
    fn the_diff_fence_is_longer_than_any_backtick_run_inside() {
        let block = diff_block("+name: \"a ```` b\"\n```\n");
        assert!(block.starts_with("`````diff\n"), "{block}");
        assert!(block.ends_with("\n`````\n"), "{block}");
        assert!(diff_block("-a\n+b\n").starts_with("```diff\n"));
    }

    /// A number with hundreds of differences: its table stops at [`TABLE_MAX`] with a
    /// well-formed row that counts the rest.
    #[test]
    fn a_long_table_is_cut_with_a_row_that_counts_the_rest() {
        use crate::audit::compare;
        use crate::desired::{IdRule, valid_numbers};
        use crate::ignore::IgnoreSet;
        use crate::model::Audit;
        let hooks = |word: &str| -> Vec<serde_json::Value> {
            (0..300)
                .map(|i| serde_json::json!({"on": "call.ringing", "do": [{"type": "say", "exact": format!("{word} | {i}")}]}))
                .collect()
        };
        let doc = serde_json::json!({"id": "a", "provider": "vonage", "number": "+1", "credentialId": "c", "hooks": hooks("value")});
        let mut numbers = valid_numbers("d.yaml", &doc.to_string(), &|_| None, IdRule::Required);
        let mut live = doc.clone();
        live["hooks"] = serde_json::json!(hooks("other"));
        let result = compare(numbers.remove(0), &live, &IgnoreSet::default());
        assert_eq!(result.differences.len(), 300);
        let block = number(
            &Report {
                audit: &Audit {
                    results: vec![],
                    fatal: None,
                    errors: Vec::new(),
                    unused_rules: vec![],
                    expired_rules: vec![],
                    ..Default::default()
                },
                outcome: ExitCode::Drift,
                exit_code: ExitCode::Drift,
                policy: Default::default(),
            },
            &result,
        );
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        assert!(rows.iter().all(|r| r.matches('|').count() == 6), "{block}");
        let last = rows.last().expect("rows");
        assert!(
            last.contains("more differences: the JSON report has them all"),
            "{last}"
        );
        let shown = rows.len() - 3;
        assert!(
            last.contains(&format!("*{} more differences", 300 - shown)),
            "{last}"
        );
        assert!(
            block.len() < TABLE_MAX + DIFF_MAX + 2_000,
            "{}",
            block.len()
        );
    }

    #[test]
    fn a_long_diff_is_cut_at_a_line_and_says_so() {
        let diff: String = (0..2_000).map(|i| format!("+line {i}\n")).collect();
        let block = diff_block(&diff);
        assert!(block.len() < DIFF_MAX + 200, "{}", block.len());
        assert!(block.contains("more lines: the JSON report has the whole diff"));
    }
}
