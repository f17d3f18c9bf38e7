//! `vapi-drift alert`: what the nightly workflow does with its one GitHub issue, decided
//! from the run's JSON and Markdown reports and the open issues, so the workflow only
//! executes it with `gh` and the decision is tested here, not in YAML.
//!
//! The rule ([`decide`]):
//! - drift found (`status` `drifted`), no open issue: **open** one (body: the Markdown report);
//! - drift found, an open issue: **comment** when something new appeared (`summary.new`
//!   above 0, or a report without `--baseline`, which cannot tell), else **update** its body;
//! - in sync, an open issue: **close** it with a comment; no issue: **nothing**;
//! - incomplete, an open issue: **update** (the issue stays open: what could not be checked
//!   is not known to be fixed); no issue: **nothing**;
//! - error (the run stopped): **nothing** (the job fails on its own).
//!
//! Owns: the rule, the issue's body and comments, trimmed to GitHub's 65,536-character
//! limit. Does not own: the reports (secrets are masked there; the comments here name
//! numbers and paths, never values).

use crate::exit::ExitCode;
use crate::finding::Kind;
use crate::model::Status;
use serde_json::Value;
use std::fmt::Write;

/// GitHub's limit on an issue body or comment, in characters.
pub const GITHUB_MAX: usize = 65_536;
/// Findings listed in a comment at most.
const LISTED_MAX: usize = 50;
/// The first line of every body: how the workflow's own issues are told apart.
pub const MARKER: &str = "<!-- vapi-drift:alert -->";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Open,
    Update,
    Comment,
    Close,
    Nothing,
}

impl Action {
    pub fn word(self) -> &'static str {
        match self {
            Action::Open => "open",
            Action::Update => "update",
            Action::Comment => "comment",
            Action::Close => "close",
            Action::Nothing => "nothing",
        }
    }
}

/// An open issue, as `gh issue list --json number,title` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Issue {
    pub number: u64,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    /// The issue to update, comment on or close.
    pub issue: Option<u64>,
    /// The issue's body (open, update, comment).
    pub body: Option<String>,
    /// The comment (comment, close).
    pub comment: Option<String>,
    /// Why, in a few words.
    pub why: String,
}

/// The decision for this run (see the module's rule). `title` is the issue's stable
/// title; of the open issues with that title the oldest is the one.
pub fn decide(
    report: &Value,
    markdown: &str,
    issues: &[Issue],
    title: &str,
    run_url: Option<&str>,
) -> Result<Decision, String> {
    let word = report
        .get("status")
        .and_then(Value::as_str)
        .ok_or("the report has no \"status\": is it a vapi-drift JSON report?")?;
    let status = ExitCode::from_status_word(word)
        .ok_or_else(|| format!("the report's status \"{word}\" is unknown"))?;
    let issue = issues
        .iter()
        .filter(|i| i.title == title)
        .map(|i| i.number)
        .min();
    let new = report.pointer("/summary/new").and_then(Value::as_u64);
    let body = || Some(body(markdown, run_url));
    let decision = |action, comment, why: &str| Decision {
        action,
        issue,
        body: matches!(action, Action::Open | Action::Update | Action::Comment)
            .then(body)
            .flatten(),
        comment,
        why: why.to_string(),
    };
    Ok(match (status, issue) {
        (ExitCode::Drift, None) => decision(Action::Open, None, "drift found, no open issue"),
        (ExitCode::Drift, Some(_)) => match new {
            Some(0) => decision(Action::Update, None, "the same drift persists"),
            Some(_) => decision(
                Action::Comment,
                Some(new_findings(report, run_url)),
                "new drift appeared",
            ),
            None => decision(
                Action::Comment,
                Some(new_findings(report, run_url)),
                "drift persists; the report has no baseline to tell what is new",
            ),
        },
        (ExitCode::InSync, Some(_)) => decision(
            Action::Close,
            Some(trim(
                &format!(
                    "✅ vapi-drift: back in sync: every desired number matches its live configuration.{}",
                    run_line(run_url)
                ),
                GITHUB_MAX,
            )),
            "back in sync",
        ),
        (ExitCode::Incomplete, Some(_)) => decision(
            Action::Update,
            None,
            "incomplete: not every number could be checked, so the issue stays open",
        ),
        (ExitCode::InSync | ExitCode::Incomplete, None) => {
            decision(Action::Nothing, None, "no drift, no issue")
        }
        (ExitCode::Error | ExitCode::Usage, _) => decision(
            Action::Nothing,
            None,
            "the run failed: the issue is left as it is",
        ),
    })
}

fn run_line(run_url: Option<&str>) -> String {
    run_url.map(|u| format!("\n\nRun: {u}")).unwrap_or_default()
}

/// The issue's body: the marker, the Markdown report, the run; cut to GitHub's limit.
fn body(markdown: &str, run_url: Option<&str>) -> String {
    let text = format!("{MARKER}\n{markdown}{}", run_line(run_url));
    trim(&text, GITHUB_MAX)
}

/// `text` cut to at most `max` characters, saying so when it was cut.
pub fn trim(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    const NOTE: &str =
        "\n\n… cut to GitHub's limit: the run's vapi-drift-report artifact has the whole report.\n";
    let keep = max - NOTE.chars().count();
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(NOTE);
    out
}

/// The comment for new drift: the new findings (number, path, type, cause), no values.
fn new_findings(report: &Value, run_url: Option<&str>) -> String {
    let mut lines = Vec::new();
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let tag = |v: &Value| {
        let cause = text(v, "cause")
            .map(|c| format!(" `{c}`"))
            .unwrap_or_default();
        let since = match v.get("new") {
            Some(Value::Bool(false)) => " (known)",
            _ => "",
        };
        format!("{cause}{since}")
    };
    let is_new = |v: &Value| v.get("new") != Some(&Value::Bool(false));
    for n in report
        .get("numbers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let label = text(n, "name")
            .or_else(|| text(n, "number"))
            .or_else(|| text(n, "id"))
            .unwrap_or_else(|| "?".into());
        let label = crate::report::markdown::inline(&label);
        let missing = Status::Missing.word();
        if n.get("status").and_then(Value::as_str) == Some(missing) && is_new(n) {
            lines.push(format!("- {label}: `{missing}`{}", tag(n)));
        }
        for x in n
            .get("differences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|x| is_new(x))
        {
            lines.push(format!(
                "- {label}: <code>{}</code> `{}`{}",
                crate::report::markdown::inline(&text(x, "path").unwrap_or_default()),
                text(x, "type").unwrap_or_default(),
                tag(x)
            ));
        }
    }
    for u in report
        .get("unmanaged")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|u| is_new(u))
    {
        let label = text(u, "number")
            .or_else(|| text(u, "id"))
            .unwrap_or_default();
        lines.push(format!(
            "- {}: `{}`{}",
            crate::report::markdown::inline(&label),
            Kind::Unmanaged.word(),
            tag(u)
        ));
    }
    let mut out = format!(
        "⚠️ vapi-drift: {} new since the last run:\n\n",
        match lines.len() {
            1 => "1 finding".to_string(),
            n => format!("{n} findings"),
        }
    );
    for line in lines.iter().take(LISTED_MAX) {
        let _ = writeln!(out, "{line}");
    }
    if lines.len() > LISTED_MAX {
        let _ = writeln!(
            out,
            "- … and {} more: the issue body and the JSON report have them all",
            lines.len() - LISTED_MAX
        );
    }
    out.push_str(&run_line(run_url));
    trim(&out, GITHUB_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TITLE: &str = "vapi-drift: configuration drift";

    fn issues(numbers: &[u64]) -> Vec<Issue> {
        numbers
            .iter()
            .map(|&number| Issue {
                number,
                title: TITLE.into(),
            })
            .collect()
    }

    fn report(status: &str, new: Option<u64>) -> Value {
        let mut r = json!({"status": status, "summary": {}, "numbers": [
            {"name": "Support", "status": "MODIFIED", "differences": [
                {"path": "/name", "type": "NOT_EQUAL", "new": true, "cause": "OUT_OF_BAND"},
                {"path": "/squadId", "type": "ADD", "new": false}]}]});
        if let Some(n) = new {
            r["summary"]["new"] = json!(n);
        }
        r
    }

    fn decide_for(status: &str, new: Option<u64>, open: &[u64]) -> Decision {
        decide(
            &report(status, new),
            "## report\n",
            &issues(open),
            TITLE,
            Some("https://ci/run/1"),
        )
        .expect("decision")
    }

    #[test]
    fn drift_without_an_issue_opens_one_with_the_report() {
        let d = decide_for("drifted", Some(1), &[]);
        assert_eq!(d.action, Action::Open);
        assert_eq!(d.issue, None);
        let body = d.body.expect("body");
        assert!(
            body.starts_with(MARKER) && body.contains("## report"),
            "{body}"
        );
        assert!(body.contains("https://ci/run/1"));
        assert_eq!(d.comment, None);
    }

    #[test]
    fn persisting_drift_updates_and_comments_only_on_new_findings() {
        let d = decide_for("drifted", Some(0), &[7]);
        assert_eq!((d.action, d.issue), (Action::Update, Some(7)));
        assert!(d.body.is_some() && d.comment.is_none());
        let d = decide_for("drifted", Some(1), &[7]);
        assert_eq!((d.action, d.issue), (Action::Comment, Some(7)));
        let comment = d.comment.expect("comment");
        assert!(comment.contains("1 finding new"), "{comment}");
        assert!(
            comment.contains("<code>/name</code> `NOT_EQUAL` `OUT_OF_BAND`"),
            "{comment}"
        );
        assert!(
            !comment.contains("/squadId"),
            "known findings are not listed: {comment}"
        );
        // Without a baseline nothing tells what is new: a comment, never silence.
        assert_eq!(decide_for("drifted", None, &[7]).action, Action::Comment);
    }

    #[test]
    fn back_in_sync_closes_with_a_comment() {
        let d = decide_for("in_sync", Some(0), &[7]);
        assert_eq!((d.action, d.issue), (Action::Close, Some(7)));
        assert!(d.comment.expect("comment").contains("back in sync"));
        assert_eq!(decide_for("in_sync", None, &[]).action, Action::Nothing);
    }

    #[test]
    fn incomplete_keeps_the_issue_open_and_an_error_leaves_it_alone() {
        assert_eq!(
            decide_for("incomplete", Some(0), &[7]).action,
            Action::Update
        );
        assert_eq!(decide_for("incomplete", None, &[]).action, Action::Nothing);
        assert_eq!(decide_for("error", None, &[7]).action, Action::Nothing);
        assert_eq!(decide_for("error", None, &[]).action, Action::Nothing);
    }

    #[test]
    fn the_oldest_issue_with_the_title_is_the_one() {
        let mut open = issues(&[12, 5]);
        open.push(Issue {
            number: 1,
            title: "something else".into(),
        });
        let d = decide(&report("drifted", Some(0)), "", &open, TITLE, None).expect("d");
        assert_eq!(d.issue, Some(5));
    }

    #[test]
    fn bodies_are_cut_to_githubs_limit() {
        let huge = "x".repeat(GITHUB_MAX * 2);
        let d = decide(&report("drifted", Some(1)), &huge, &[], TITLE, None).expect("d");
        let body = d.body.expect("body");
        assert_eq!(body.chars().count(), GITHUB_MAX);
        assert!(body.ends_with("has the whole report.\n"));
        assert_eq!(trim("short", GITHUB_MAX), "short");
    }

    #[test]
    fn a_report_without_a_status_is_an_error() {
        assert!(decide(&json!({}), "", &[], TITLE, None).is_err());
        assert!(decide(&json!({"status": "weird"}), "", &[], TITLE, None).is_err());
    }
}
