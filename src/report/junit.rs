//! The JUnit XML report, as GitLab, Jenkins and the GitHub test-report actions read it:
//! `<testsuites>` with one `<testsuite name="vapi-drift">` and one `<testcase>` per
//! desired number. `MODIFIED` and `MISSING` are a `<failure>` (and an unhealthy
//! number under `--fail-on-unhealthy`), `NOT_CHECKED` an `<error>`, `IN_SYNC` a pass;
//! the counts follow. Under `--unmanaged fail` each unmanaged live number is a failing
//! test case of its own (classname `unmanaged`); otherwise they are listed in the
//! suite's `<system-out>`.
//!
//! Owns: the mapping from results to test cases, and the few elements written (the
//! layout cargo-nextest's quick-junit writes: attribute order, four-space indent).
//! quick-xml escapes the text and attributes; terminal escapes and the control
//! characters XML 1.0 forbids are taken out of every string first. This report sets
//! no timestamps or durations, so it is deterministic.

use super::{Report, one_line, tags};
use crate::diff::Difference;
use crate::model::{NumberResult, RunProblem, Status};
use crate::model::{UnmanagedCheck, UnmanagedMode, UnmanagedNumber};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::fmt::Write;

/// The name of the report and of its one test suite.
const NAME: &str = "vapi-drift";
/// At most this many paths in a failure's message; the text has them all.
const MESSAGE_PATHS: usize = 10;
/// The longest value printed, in characters.
const VALUE_MAX: usize = 200;

/// One `<testcase>`.
struct TestCase {
    name: String,
    classname: String,
    /// `file` and `line` attributes, when set.
    at: Option<(String, u32)>,
    outcome: Option<Outcome>,
    system_out: String,
}

/// A `<failure>` or an `<error>`.
struct Outcome {
    error: bool,
    ty: &'static str,
    message: String,
    description: String,
}

impl Outcome {
    fn failure(ty: &'static str, message: String, description: String) -> Outcome {
        Outcome {
            error: false,
            ty,
            message,
            description,
        }
    }
}

pub fn render(report: &Report) -> String {
    // The run's errors first, each a test case in error of its own (classname `run`).
    let mut cases: Vec<TestCase> = report.run_errors().iter().map(error_case).collect();
    cases.extend(report.audit.results.iter().map(|r| test_case(report, r)));
    // Under `--unmanaged fail` an unmanaged number is drift: a failing test case of its own.
    let unmanaged = &report.audit.unmanaged;
    if unmanaged.mode == UnmanagedMode::Fail {
        cases.extend(unmanaged.numbers.iter().map(unmanaged_case));
    }
    let (out, err) = suite_output(report);
    let xml = write_xml(&cases, &out, &err)
        .expect("XML written to memory from UTF-8 strings cannot fail");
    // XML 1.0 allows neither U+FFFE nor U+FFFF (nor C0 controls, which `clean`
    // already drops); a hostile live value must not make the file unreadable.
    xml.chars().filter(|c| xml_char(*c)).collect()
}

/// A string as it may appear in the report: terminal escapes (a hostile live name
/// must not paint a CI log) and C0 control characters other than tab, newline and
/// carriage return taken out.
fn clean(s: &str) -> String {
    strip_ansi_escapes::strip_str(s).replace(
        |c| matches!(c, '\x00'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f'),
        "",
    )
}

fn start<'a>(tag: &'a str, attributes: &[(&str, &str)]) -> BytesStart<'a> {
    let mut start = BytesStart::new(tag);
    for (k, v) in attributes {
        start.push_attribute((*k, clean(v).as_str()));
    }
    start
}

/// `<tag>text</tag>`
fn text_element<W: std::io::Write>(
    w: &mut Writer<W>,
    tag: BytesStart<'_>,
    text: &str,
) -> std::io::Result<()> {
    let name = String::from_utf8_lossy(tag.name().as_ref()).into_owned();
    w.write_event(Event::Start(tag))?;
    w.write_event(Event::Text(BytesText::new(&clean(text))))?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn write_xml(cases: &[TestCase], out: &str, err: &str) -> std::io::Result<String> {
    let failures = cases
        .iter()
        .filter(|c| c.outcome.as_ref().is_some_and(|o| !o.error))
        .count()
        .to_string();
    let errors = cases
        .iter()
        .filter(|c| c.outcome.as_ref().is_some_and(|o| o.error))
        .count()
        .to_string();
    let tests = cases.len().to_string();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 4);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(start(
        "testsuites",
        &[
            ("name", NAME),
            ("tests", &tests),
            ("skipped", "0"),
            ("failures", &failures),
            ("errors", &errors),
        ],
    )))?;
    let suite = start(
        "testsuite",
        &[
            ("name", NAME),
            ("tests", &tests),
            ("skipped", "0"),
            ("errors", &errors),
            ("failures", &failures),
        ],
    );
    if cases.is_empty() && out.is_empty() && err.is_empty() {
        w.write_event(Event::Empty(suite))?;
    } else {
        w.write_event(Event::Start(suite))?;
        for case in cases {
            write_case(&mut w, case)?;
        }
        if !out.is_empty() {
            text_element(&mut w, BytesStart::new("system-out"), out)?;
        }
        if !err.is_empty() {
            text_element(&mut w, BytesStart::new("system-err"), err)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    w.write_indent()?;
    Ok(String::from_utf8(w.into_inner()).expect("written from UTF-8 strings"))
}

fn write_case<W: std::io::Write>(w: &mut Writer<W>, case: &TestCase) -> std::io::Result<()> {
    let line;
    let mut attributes = vec![
        ("name", case.name.as_str()),
        ("classname", case.classname.as_str()),
    ];
    if let Some((file, l)) = &case.at {
        line = l.to_string();
        attributes.push(("file", file.as_str()));
        attributes.push(("line", line.as_str()));
    }
    let tag = start("testcase", &attributes);
    if case.outcome.is_none() && case.system_out.is_empty() {
        return w.write_event(Event::Empty(tag));
    }
    w.write_event(Event::Start(tag))?;
    if let Some(o) = &case.outcome {
        let name = if o.error { "error" } else { "failure" };
        let tag = start(name, &[("message", &o.message), ("type", o.ty)]);
        if o.description.is_empty() {
            w.write_event(Event::Empty(tag))?;
        } else {
            text_element(w, tag, &o.description)?;
        }
    }
    if !case.system_out.is_empty() {
        text_element(w, BytesStart::new("system-out"), &case.system_out)?;
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
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
    // The message once: the text adds only where it is (none: an empty element).
    let description = match &e.file {
        Some(file) => match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}\n"),
            (Some(l), None) => format!("{file}:{l}\n"),
            _ => format!("{file}\n"),
        },
        None => String::new(),
    };
    let name = match (&e.file, e.line) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        (Some(file), None) => file.clone(),
        (None, _) => NAME.to_string(),
    };
    TestCase {
        name,
        classname: "run".into(),
        at: e.file.as_ref().map(|f| (f.clone(), e.line.unwrap_or(1))),
        outcome: Some(Outcome {
            error: true,
            ty: "ERROR",
            message: e.message.clone(),
            description,
        }),
        system_out: String::new(),
    }
}

fn unmanaged_case(n: &UnmanagedNumber) -> TestCase {
    TestCase {
        name: n.label(),
        classname: "unmanaged".into(),
        at: None,
        outcome: Some(Outcome::failure(
            crate::finding::Kind::Unmanaged.word(),
            "live, but no desired file describes it (--unmanaged fail)".into(),
            format!("{}\n", unmanaged_text(n)),
        )),
        system_out: String::new(),
    }
}

fn test_case(report: &Report, r: &NumberResult) -> TestCase {
    let d = &r.desired;
    let outcome = match r.status {
        // --fail-on-unhealthy makes a live status other than `active` drift.
        Status::InSync if report.unhealthy_fails(r) => {
            let h = r.health.as_deref().unwrap_or("?");
            Some(Outcome::failure(
                "UNHEALTHY",
                format!("the live status is \"{h}\", not \"active\""),
                format!(
                    "{}:{}: the live status is \"{h}\", not \"active\" (--fail-on-unhealthy)\n",
                    d.file, d.line
                ),
            ))
        }
        // --fail-on-unknown-fields makes a live field the schema does not know drift.
        Status::InSync if report.unknown_fails(r) => {
            let lines: Vec<String> = r
                .unknown_fields
                .iter()
                .map(|u| format!("? {} = {}", u.path, u.shown()))
                .collect();
            Some(Outcome::failure(
                "UNKNOWN_FIELDS",
                "live fields the schema does not know".to_string(),
                format!(
                    "{}:{}: live fields the schema does not know (--fail-on-unknown-fields)\n{}\n",
                    d.file,
                    d.line,
                    lines.join("\n")
                ),
            ))
        }
        Status::InSync => None,
        // --deployed-ref: only PENDING findings, which the deploy applies: no failure.
        Status::Modified | Status::Missing if !report.result_fails(r) => None,
        Status::Modified => Some(Outcome::failure(
            Status::Modified.word(),
            changed_paths(&r.differences),
            failure_text(r),
        )),
        Status::Missing => Some(Outcome::failure(
            Status::Missing.word(),
            format!(
                "the phone number does not exist in Vapi (404){}",
                tags(r.cause, r.seen.as_deref())
            ),
            format!(
                "{}:{}: the phone number with id {} does not exist in Vapi (404){}\n",
                d.file,
                d.line,
                d.id.as_deref().unwrap_or("-"),
                tags(r.cause, r.seen.as_deref())
            ),
        )),
        Status::NotChecked => {
            let reason = r.reason_text();
            Some(Outcome {
                error: true,
                ty: Status::NotChecked.word(),
                description: format!("{}:{}: not checked: {reason}\n", d.file, d.line),
                message: reason,
            })
        }
    };
    // `file` and `line` let reporters that annotate (GitHub's JUnit actions) point at the YAML.
    let line = r.differences.first().map_or(d.line, |x| r.line_of(x));
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
                tags(r.cause, r.seen.as_deref())
            );
        }
    }
    TestCase {
        name: d.label(),
        classname: d.file.to_string(),
        at: Some((d.file.to_string(), line)),
        outcome,
        system_out: warnings,
    }
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
            d.source_map().line(path)
        );
    }
    for i in &r.ignored {
        let _ = writeln!(
            out,
            "{}:{}: ignored: {} (rule {}: {})",
            d.file,
            d.source_map().line(&i.path),
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
