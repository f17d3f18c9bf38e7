//! The JUnit XML report, as GitLab, Jenkins and the GitHub test-report actions read it:
//! `<testsuites>` with one `<testsuite name="vapi-drift">` and one `<testcase>` per
//! desired number. `MODIFIED` and `MISSING` are a `<failure>` (and an unhealthy
//! number under `--fail-on-unhealthy`), `NOT_CHECKED` an `<error>`, `IN_SYNC` a pass;
//! the counts follow. Under `--unmanaged fail` each unmanaged live number is a failing
//! test case of its own (classname `unmanaged`); otherwise they are listed in the
//! suite's `<system-out>`.
//!
//! Owns: the mapping from results to test cases. quick-junit owns the XML (escaping,
//! counts) and this report sets no timestamps or durations, so it is deterministic.

use super::{Report, one_line, tags};
use crate::diff::Difference;
use crate::model::{NumberResult, RunProblem, Status};
use crate::model::{UnmanagedCheck, UnmanagedMode, UnmanagedNumber};
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;

/// The name of the report and of its one test suite.
const NAME: &str = "vapi-drift";
/// At most this many paths in a failure's message; the text has them all.
const MESSAGE_PATHS: usize = 10;
/// The longest value printed, in characters.
const VALUE_MAX: usize = 200;

pub fn render(report: &Report) -> String {
    let mut suite = TestSuite::new(NAME);
    // The run's errors first, each a test case in error of its own (classname `run`).
    suite.add_test_cases(report.run_errors().iter().map(error_case));
    suite.add_test_cases(report.audit.results.iter().map(|r| test_case(report, r)));
    // Under `--unmanaged fail` an unmanaged number is drift: a failing test case of its own.
    let unmanaged = &report.audit.unmanaged;
    if unmanaged.mode == UnmanagedMode::Fail {
        suite.add_test_cases(unmanaged.numbers.iter().map(unmanaged_case));
    }
    let (out, err) = suite_output(report);
    if !out.is_empty() {
        suite.set_system_out(out);
    }
    if !err.is_empty() {
        suite.set_system_err(err);
    }
    let mut junit = quick_junit::Report::new(NAME);
    junit.add_test_suite(suite);
    let xml = junit
        .to_string()
        .expect("XML written to memory from UTF-8 strings cannot fail");
    // XML 1.0 allows neither U+FFFE nor U+FFFF (nor C0 controls, which quick-junit
    // already drops); a hostile live value must not make the file unreadable.
    xml.chars().filter(|c| xml_char(*c)).collect()
}

/// Whether XML 1.0 allows the character in a document.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// The suite's `<system-out>` (ignore rules that expired or matched nothing) and
/// `<system-err>` (why the run stopped; expired rules under `--fail-on-expired-ignore`).
fn suite_output(report: &Report) -> (String, String) {
    let mut out = String::new();
    let mut err = String::new();
    for rule in &report.audit.expired_rules {
        let target = if report.policy.fail_on_expired_ignore {
            &mut err
        } else {
            &mut out
        };
        let _ = writeln!(
            target,
            "{}: ignore rule expired on {} and no longer suppresses anything ({})",
            rule.id,
            rule.expires.as_deref().unwrap_or("?"),
            rule.reason
        );
    }
    for rule in &report.audit.unused_rules {
        let _ = writeln!(
            out,
            "{}: ignore rule matched nothing in this run ({})",
            rule.id, rule.reason
        );
    }
    let unknown = report.unknown_groups();
    if !unknown.is_empty() {
        let _ = writeln!(out, "{}:", super::UNKNOWN_FIELDS_NOTE);
        for g in &unknown {
            let _ = writeln!(out, "  ? {}", g.line());
        }
    }
    let unmanaged = &report.audit.unmanaged;
    if unmanaged.mode != UnmanagedMode::Fail {
        for n in &unmanaged.numbers {
            let _ = writeln!(out, "unmanaged: {}", unmanaged_text(n));
        }
    }
    if let UnmanagedCheck::Incomplete(why) = &unmanaged.check {
        let target = if unmanaged.mode == UnmanagedMode::Fail {
            &mut err
        } else {
            &mut out
        };
        let _ = writeln!(
            target,
            "unmanaged numbers: the list of live numbers may be incomplete: {why}"
        );
    }
    (out, err)
}

/// `+12125550101 "Hand-made" (vonage, id …, created …): live, but no desired file describes it`
fn unmanaged_text(n: &UnmanagedNumber) -> String {
    format!(
        "{}{}: live, but no desired file describes it",
        n.label(),
        n.details()
    )
}

/// One error of the run: `file:line` (or `vapi-drift`), in error.
fn error_case(e: &RunProblem) -> TestCase {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_type("ERROR").set_message(e.message.as_str());
    // The message once: the text adds only where it is.
    if let Some(file) = &e.file {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}\n"),
            (Some(l), None) => format!("{file}:{l}\n"),
            _ => format!("{file}\n"),
        };
        status.set_description(at);
    }
    let name = match (&e.file, e.line) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        (Some(file), None) => file.clone(),
        (None, _) => NAME.to_string(),
    };
    let mut case = TestCase::new(name, status);
    case.set_classname("run");
    if let Some(file) = &e.file {
        case.extra.insert("file".into(), file.as_str().into());
        case.extra
            .insert("line".into(), e.line.unwrap_or(1).to_string().into());
    }
    case
}

fn unmanaged_case(n: &UnmanagedNumber) -> TestCase {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_type(crate::finding::Kind::Unmanaged.word())
        .set_message("live, but no desired file describes it (--unmanaged fail)")
        .set_description(format!("{}\n", unmanaged_text(n)));
    let mut case = TestCase::new(n.label(), status);
    case.set_classname("unmanaged");
    case
}

fn test_case(report: &Report, r: &NumberResult) -> TestCase {
    let d = &r.desired;
    let status = match r.status {
        // --fail-on-unhealthy makes a live status other than `active` drift.
        Status::InSync if report.unhealthy_fails(r) => {
            let h = r.health.as_deref().unwrap_or("?");
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type("UNHEALTHY")
                .set_message(format!("the live status is \"{h}\", not \"active\""))
                .set_description(format!(
                    "{}:{}: the live status is \"{h}\", not \"active\" (--fail-on-unhealthy)\n",
                    d.file, d.line
                ));
            s
        }
        // --fail-on-unknown-fields makes a live field the schema does not know drift.
        Status::InSync if report.unknown_fails(r) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let lines: Vec<String> = r
                .unknown_fields
                .iter()
                .map(|u| format!("? {} = {}", u.path, u.shown()))
                .collect();
            s.set_type("UNKNOWN_FIELDS")
                .set_message("live fields the schema does not know")
                .set_description(format!(
                    "{}:{}: live fields the schema does not know (--fail-on-unknown-fields)\n{}\n",
                    d.file,
                    d.line,
                    lines.join("\n")
                ));
            s
        }
        Status::InSync => TestCaseStatus::success(),
        // --deployed-ref: only PENDING findings, which the deploy applies: no failure.
        Status::Modified | Status::Missing if !report.result_fails(r) => TestCaseStatus::success(),
        Status::Modified => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(Status::Modified.word())
                .set_message(changed_paths(&r.differences))
                .set_description(failure_text(r));
            s
        }
        Status::Missing => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(Status::Missing.word())
                .set_message(format!(
                    "the phone number does not exist in Vapi (404){}",
                    tags(r.cause, r.seen.as_ref())
                ))
                .set_description(format!(
                    "{}:{}: the phone number with id {} does not exist in Vapi (404){}\n",
                    d.file,
                    d.line,
                    d.id.as_deref().unwrap_or("-"),
                    tags(r.cause, r.seen.as_ref())
                ));
            s
        }
        Status::NotChecked => {
            let reason = r.reason_text();
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type(Status::NotChecked.word())
                .set_message(reason.as_str())
                .set_description(format!("{}:{}: not checked: {reason}\n", d.file, d.line));
            s
        }
    };
    let mut case = TestCase::new(d.label(), status);
    case.set_classname(d.file.as_str());
    // `file` and `line` let reporters that annotate (GitHub's JUnit actions) point at the YAML.
    let line = r.differences.first().map_or(d.line, |x| r.line_of(x));
    case.extra.insert("file".into(), d.file.as_str().into());
    case.extra.insert("line".into(), line.to_string().into());
    let mut warnings = warnings(r);
    if !report.result_fails(r) && matches!(r.status, Status::Modified | Status::Missing) {
        // What the deploy will change, as the failure text would say it.
        let _ = write!(warnings, "{}", failure_text(r));
        if r.status == Status::Missing {
            let _ = writeln!(
                warnings,
                "{}:{}: does not exist in Vapi (404){}",
                d.file,
                d.line,
                tags(r.cause, r.seen.as_ref())
            );
        }
    }
    if !warnings.is_empty() {
        case.set_system_out(warnings);
    }
    case
}

/// The failure message: which paths changed.
fn changed_paths(differences: &[Difference]) -> String {
    let mut paths: Vec<String> = differences
        .iter()
        .take(MESSAGE_PATHS)
        .map(|x| x.path.to_string())
        .collect();
    if differences.len() > MESSAGE_PATHS {
        paths.push(format!("and {} more", differences.len() - MESSAGE_PATHS));
    }
    format!("changed: {}", paths.join(", "))
}

/// The failure text: each difference on the line it concerns, then the unified diff.
fn failure_text(r: &NumberResult) -> String {
    let d = &r.desired;
    let mut out = String::new();
    for x in &r.differences {
        let line = r.line_of(x);
        let expected = one_line(x.expected_shown().as_ref(), VALUE_MAX);
        let actual = one_line(x.actual_shown().as_ref(), VALUE_MAX);
        let absent = || "(absent)".to_string();
        let change = x.line(
            &expected.unwrap_or_else(absent),
            &actual.unwrap_or_else(absent),
            "->",
        );
        let _ = writeln!(
            out,
            "{}:{line}: {change}{}",
            d.file,
            tags(x.cause, x.seen.as_ref())
        );
    }
    if !r.diff.is_empty() {
        out.push('\n');
        out.push_str(&r.diff);
    }
    out
}

/// Warnings that do not fail the test case, for `<system-out>`.
fn warnings(r: &NumberResult) -> String {
    let d = &r.desired;
    let mut out = String::new();
    if let Some(h) = &r.health {
        let _ = writeln!(
            out,
            "{}:{}: warning: the live status is \"{h}\", not \"active\"",
            d.file, d.line
        );
    }
    for path in &r.unverifiable {
        let _ = writeln!(
            out,
            "{}:{}: unverifiable: {path} is set in the desired file but the API does not return it",
            d.file,
            d.source_map.line(path)
        );
    }
    for i in &r.ignored {
        let _ = writeln!(
            out,
            "{}:{}: ignored: {} (rule {}: {})",
            d.file,
            d.source_map.line(&i.path),
            i.path,
            i.rule,
            i.reason
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_forbids_are_dropped() {
        assert!(!xml_char('\u{FFFE}') && !xml_char('\u{FFFF}') && !xml_char('\u{0002}'));
        assert!(xml_char('\n') && xml_char('é') && xml_char('\u{1F600}'));
    }
}
