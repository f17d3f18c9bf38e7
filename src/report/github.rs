//! GitHub Actions workflow commands: an annotation for each difference on the line of
//! the desired file it concerns, so a pull request shows drift on the exact YAML line
//! and a scheduled run lists it in its annotations.
//!
//! Owns: the command syntax (`::error file=F,line=N,title=T::MESSAGE`) and GitHub's
//! escaping rules: in the message `%`, CR and LF; in a property also `:` and `,`. With
//! those escaped, no value can end the command early or start a command of its own.
//!
//! Does not own: which line a path is on (see `desired::SourceMap`), masking (values
//! come from `Difference::expected_shown`/`actual_shown`).

use super::{Report, one_line, tags};
use crate::diff::{Change, Difference};
use crate::model::{NumberResult, Status};
use crate::model::{Unmanaged, UnmanagedCheck, UnmanagedMode};
use std::fmt::Write;

/// The longest value printed in a message, in characters.
const VALUE_MAX: usize = 200;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let title = if report.audit.fatal.is_some() {
        "vapi-drift: run stopped"
    } else {
        "vapi-drift: error"
    };
    for e in report.run_errors() {
        let at = match (&e.file, e.line) {
            (Some(file), line) => Some(At {
                file: file.strip_prefix("./").unwrap_or(file),
                line: line.unwrap_or(1),
                column: e.column,
            }),
            (None, _) => None,
        };
        command(&mut out, Level::Error, at.as_ref(), title, &e.message);
    }
    if let Some(line) = report.stopped_line() {
        command(
            &mut out,
            Level::Warning,
            None,
            "vapi-drift: not checked",
            &line,
        );
    }
    ignore_rules(&mut out, report);
    for r in report
        .audit
        .results
        .iter()
        .filter(|r| !r.stopped_with_run())
    {
        number(&mut out, report, r);
    }
    // Once per run, a line per field: not per number (a Vapi release adds a field
    // to every number at once).
    let level = if report.policy.fail_on_unknown_fields {
        Level::Error
    } else {
        Level::Notice
    };
    for g in report.unknown_groups() {
        command(
            &mut out,
            level,
            None,
            &format!("vapi-drift: unknown field {}", g.path),
            &format!("{}: {}", super::UNKNOWN_FIELDS_NOTE, g.line()),
        );
    }
    unmanaged(&mut out, &report.audit.unmanaged);
    let s = report.summary();
    let mut summary = format!(
        "{} desired, {} checked: {} in sync, {} modified, {} missing, {} not checked",
        s.desired, s.checked, s.in_sync, s.modified, s.missing, s.not_checked
    );
    if !matches!(report.audit.unmanaged.check, UnmanagedCheck::Skipped(_)) {
        let _ = write!(summary, ", {} unmanaged", s.unmanaged);
    }
    let title = format!("vapi-drift: {}", verdict(report));
    command(&mut out, Level::Notice, None, &title, &summary);
    out
}

fn verdict(report: &Report) -> &'static str {
    report.outcome.verdict()
}

#[derive(Clone, Copy)]
enum Level {
    Error,
    Warning,
    Notice,
}

/// Where an annotation points: a file and a line (and column) in it.
struct At<'a> {
    file: &'a str,
    line: u32,
    column: Option<u32>,
}

/// Expired and unused ignore rules, on their line of the ignore file.
fn ignore_rules(out: &mut String, report: &Report) {
    let expired_level = if report.policy.fail_on_expired_ignore {
        Level::Error
    } else {
        Level::Warning
    };
    for rule in &report.audit.expired_rules {
        command(
            out,
            expired_level,
            rule_at(&rule.id).as_ref(),
            "vapi-drift: ignore rule expired",
            &rule.expired_warning(),
        );
    }
    for rule in &report.audit.unused_rules {
        command(
            out,
            Level::Warning,
            rule_at(&rule.id).as_ref(),
            "vapi-drift: ignore rule unused",
            &rule.unused_warning(),
        );
    }
}

/// Live numbers no desired file describes: no file to point at, so annotations of the
/// run (errors under `--unmanaged fail`, which makes them drift).
fn unmanaged(out: &mut String, u: &Unmanaged) {
    let level = if u.mode == UnmanagedMode::Fail {
        Level::Error
    } else {
        Level::Warning
    };
    for n in &u.numbers {
        command(
            out,
            level,
            None,
            &format!(
                "vapi-drift: unmanaged {}{}",
                n.label(),
                tags(n.cause, n.seen.as_ref())
            ),
            &format!(
                "{}{} is live, but no desired file describes it",
                n.label(),
                n.details()
            ),
        );
    }
    if let UnmanagedCheck::Incomplete(why) = &u.check {
        command(
            out,
            Level::Warning,
            None,
            "vapi-drift: unmanaged list incomplete",
            &format!("the list of live numbers may be incomplete: {why}"),
        );
    }
}

/// A rule's id is `file:line`.
fn rule_at(id: &str) -> Option<At<'_>> {
    let (file, line) = id.rsplit_once(':')?;
    Some(At {
        file: file.strip_prefix("./").unwrap_or(file),
        line: line.parse().ok()?,
        column: None,
    })
}

fn number(out: &mut String, report: &Report, r: &NumberResult) {
    let d = &r.desired;
    let label = d.label();
    let file = d.file.strip_prefix("./").unwrap_or(&d.file);
    let doc = At {
        file,
        line: d.line,
        column: None,
    };
    let id = d.id.as_deref().unwrap_or("-");
    match r.status {
        Status::Missing => command(
            out,
            if report.result_fails(r) {
                Level::Error
            } else {
                Level::Notice
            },
            Some(&doc),
            &format!(
                "{label}: missing in Vapi{}",
                tags(r.cause, r.seen.as_deref())
            ),
            &format!("the phone number with id {id} does not exist in Vapi (404)"),
        ),
        Status::NotChecked => command(
            out,
            Level::Warning,
            Some(&doc),
            &format!("{label}: not checked"),
            &r.reason_text(),
        ),
        Status::InSync | Status::Modified => {}
    }
    for x in &r.differences {
        let at = At {
            file,
            line: r.line_of(x),
            column: None,
        };
        let (title, message) = difference(&label, file, x);
        // --deployed-ref: a PENDING difference is what the deploy will apply.
        let level = if report.difference_fails(x) {
            Level::Error
        } else {
            Level::Notice
        };
        let title = format!("{title}{}", tags(x.cause, x.seen.as_ref()));
        command(out, level, Some(&at), &title, &message);
    }
    if let Some(h) = &r.health {
        // --fail-on-unhealthy makes it drift: an error, as the exit code says.
        let level = if report.unhealthy_fails(r) {
            Level::Error
        } else {
            Level::Warning
        };
        command(
            out,
            level,
            Some(&doc),
            &format!("{label}: live status {h}"),
            &format!("the live status is \"{h}\", not \"active\""),
        );
    }
    for path in &r.unverifiable {
        let at = At {
            file,
            line: d.source_map().line(path),
            column: None,
        };
        command(
            out,
            Level::Warning,
            Some(&at),
            &format!("{label}: {path} unverifiable"),
            &format!("{path} is set in {file} but the API does not return it: not verified"),
        );
    }
}

/// The title and message of one difference.
fn difference(label: &str, file: &str, x: &Difference) -> (String, String) {
    let path = &x.path;
    let expected = one_line(x.expected_shown().as_ref(), VALUE_MAX);
    let actual = one_line(x.actual_shown().as_ref(), VALUE_MAX);
    let absent = || "(absent)".to_string();
    match x.change {
        Change::NotEqual => (
            format!("{label}: {path} {}", x.change.phrase()),
            format!(
                "{path} is {} in {file} but {} live",
                expected.unwrap_or_else(absent),
                actual.unwrap_or_else(absent)
            ),
        ),
        Change::Add => (
            format!("{label}: {path} {}", x.change.phrase()),
            format!(
                "{path} is set live to {} but {file} does not have it",
                actual.unwrap_or_else(absent)
            ),
        ),
        Change::Remove => (
            format!("{label}: {path} {}", x.change.phrase()),
            format!(
                "{path} is {} in {file} but not set live",
                expected.unwrap_or_else(absent)
            ),
        ),
    }
}

fn command(out: &mut String, level: Level, at: Option<&At>, title: &str, message: &str) {
    let name = match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Notice => "notice",
    };
    let mut props = Vec::new();
    if let Some(at) = at {
        props.push(format!("file={}", property(at.file)));
        props.push(format!("line={}", at.line));
        if let Some(col) = at.column {
            props.push(format!("col={col}"));
        }
    }
    props.push(format!("title={}", property(title)));
    let _ = writeln!(out, "::{name} {}::{}", props.join(","), data(message));
}

/// A command's message: `%`, CR and LF escaped, so it stays one line.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as a message, and `:` and `,` too, so it cannot end the property list.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(data("100%\r\n::x"), "100%25%0D%0A::x");
        assert_eq!(data("%0A"), "%250A");
    }

    #[test]
    fn property_also_escapes_colon_and_comma() {
        assert_eq!(property("a:b,c\n%"), "a%3Ab%2Cc%0A%25");
    }

    #[test]
    fn a_command_is_one_line_whatever_the_values() {
        let mut out = String::new();
        command(
            &mut out,
            Level::Error,
            Some(&At {
                file: "desired/a,b:c.yaml",
                line: 3,
                column: None,
            }),
            "x::y,\nz",
            "line one\n::error::forged\r\n",
        );
        assert_eq!(
            out,
            "::error file=desired/a%2Cb%3Ac.yaml,line=3,title=x%3A%3Ay%2C%0Az::line one%0A::error::forged%0D%0A\n"
        );
    }
}
