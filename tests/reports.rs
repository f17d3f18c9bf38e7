//! Black-box tests of the CI reports (markdown, junit, github): the built binary
//! against the API stand-in, desired files with known line numbers, every status.

mod common;

use common::World;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// The fixed audit: one number of each status, and an in-sync one with warnings.
// The line numbers in the comments are what the annotation tests assert.

/// MODIFIED: a top-level field (line 4), a nested one (9), one inside a hook (16),
/// a field set live only under `server:` (17) and a rotated webhook secret (20).
const HQ_YAML: &str = r#"# HQ main line on our own SIP trunk.
id: num-hq
provider: byo-phone-number
name: HQ main line
number: "+14155550123"
credentialId: cred-hq
fallbackDestination:
  type: number
  number: "+14155550100"
hooks:
  - on: call.ending
    do:
      type: transfer
      destination:
        type: number
        number: "+14155550199"
server:
  url: https://hooks.example.com/vapi/hq
  headers:
    Authorization: Bearer ${HQ_HOOK_TOKEN}
"#;

/// IN_SYNC (line 1), MISSING (line 7), NOT_CHECKED (line 13).
const OFFICES_YAML: &str = r#"id: num-uk
provider: vonage
name: UK sales
number: "+447700900123"
credentialId: cred-uk
---
id: num-paris
provider: vonage
name: Paris office
number: "+33170000000"
credentialId: cred-fr
---
id: num-chicago
provider: telnyx
name: Chicago office
number: "+13125550100"
credentialId: cred-chi
"#;

/// IN_SYNC with warnings: the API does not return the token (line 6), and the
/// number is still activating.
const SUPPORT_YAML: &str = r#"id: num-support
provider: twilio
name: Support line
number: "+16505550142"
twilioAccountSid: AC0123456789abcdef0123456789abcdef
twilioAuthToken: ${TWILIO_TOKEN}
"#;

const HQ_TOKEN: &str = "hq-token-SECRET-1111";
const ROTATED: &str = "rotated-SECRET-2222";
const TWILIO_TOKEN: &str = "twilio-SECRET-3333";

fn fixed_world() -> World {
    let hq = json!({
        "id": "num-hq", "orgId": "org", "provider": "byo-phone-number",
        "name": "HQ main line (renamed by hand)", "number": "+14155550123",
        "credentialId": "cred-hq", "status": "active",
        "fallbackDestination": {"type": "number", "number": "+14155550111"},
        "hooks": [{"on": "call.ending", "do": {"type": "transfer",
            "destination": {"type": "number", "number": "+14155550188"}}}],
        "server": {"url": "https://hooks.example.com/vapi/hq", "timeoutSeconds": 45,
            "headers": {"Authorization": format!("Bearer {ROTATED}")}},
    });
    let uk = json!({
        "id": "num-uk", "orgId": "org", "provider": "vonage", "name": "UK sales",
        "number": "+447700900123", "credentialId": "cred-uk", "status": "active",
    });
    // An answer the client cannot read: NOT_CHECKED.
    let chicago = json!({
        "id": "num-chicago", "orgId": "org", "provider": "carrier-pigeon", "name": "Chicago office",
        "number": "+13125550100", "credentialId": "cred-chi", "status": "active",
    });
    // Made by hand in the dashboard: no desired document describes it.
    let handmade = json!({
        "id": "num-handmade", "orgId": "org", "provider": "vonage", "name": "Hand-made",
        "number": "+12125550101", "credentialId": "cred-x", "status": "active",
        "createdAt": "2026-06-01T10:00:00.000Z",
    });
    let support = json!({
        "id": "num-support", "orgId": "org", "provider": "twilio", "name": "Support line",
        "number": "+16505550142", "twilioAccountSid": "AC0123456789abcdef0123456789abcdef",
        "status": "activating",
    });
    let w = World::new(vec![hq, uk, chicago, support, handmade]);
    w.desired("hq.yaml", HQ_YAML);
    w.desired("offices.yaml", OFFICES_YAML);
    w.desired("support.yaml", SUPPORT_YAML);
    w
}

const SECRETS_ENV: [(&str, &str); 2] =
    [("HQ_HOOK_TOKEN", HQ_TOKEN), ("TWILIO_TOKEN", TWILIO_TOKEN)];

/// The workflow's command line: three report files and the annotations on stdout.
const CI_OUTPUTS: [&str; 8] = [
    "-o",
    "json=drift.json",
    "-o",
    "markdown=drift.md",
    "-o",
    "junit=drift.xml",
    "-o",
    "github",
];

struct Reports {
    code: i32,
    json: Value,
    markdown: String,
    junit: String,
    github: String,
    stderr: String,
}

fn run_ci(w: &World, extra: &[&str], env: &[(&str, &str)]) -> Reports {
    let mut args: Vec<&str> = CI_OUTPUTS.to_vec();
    args.extend_from_slice(extra);
    let run = w.check(&args, env);
    let read = |name: &str| {
        std::fs::read_to_string(w.path(name))
            .unwrap_or_else(|e| panic!("{name} not written ({e}); stderr:\n{}", run.stderr))
    };
    Reports {
        code: run.code,
        json: serde_json::from_str(&read("drift.json")).expect("drift.json is JSON"),
        markdown: read("drift.md"),
        junit: read("drift.xml"),
        github: run.stdout,
        stderr: run.stderr,
    }
}

fn fixed_run() -> Reports {
    let w = fixed_world();
    let r = run_ci(&w, &["--max-retries", "0"], &SECRETS_ENV);
    assert_eq!(r.code, 2, "drift exits 2; stderr:\n{}", r.stderr);
    r
}

// ---------------------------------------------------------------------------
// Helpers that read the reports back.

/// One `::level props::message` line, unescaped.
#[derive(Debug, Clone)]
struct Annotation {
    level: String,
    file: Option<String>,
    line: Option<u32>,
    title: String,
    message: String,
}

fn unescape(text: &str) -> String {
    text.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// Parses GitHub workflow commands; panics on any line that is not one.
fn annotations(stdout: &str) -> Vec<Annotation> {
    stdout
        .lines()
        .map(|line| {
            let rest = line
                .strip_prefix("::")
                .unwrap_or_else(|| panic!("not a workflow command: {line:?}"));
            let (head, message) = rest
                .split_once("::")
                .unwrap_or_else(|| panic!("no message: {line:?}"));
            let (level, props) = head.split_once(' ').unwrap_or((head, ""));
            assert!(
                ["error", "warning", "notice"].contains(&level),
                "level {level:?} in {line:?}"
            );
            let mut a = Annotation {
                level: level.to_string(),
                file: None,
                line: None,
                title: String::new(),
                message: unescape(message),
            };
            for prop in props.split(',').filter(|p| !p.is_empty()) {
                let (k, v) = prop
                    .split_once('=')
                    .unwrap_or_else(|| panic!("property {prop:?} in {line:?}"));
                assert!(!v.contains(':'), "unescaped ':' in {prop:?}");
                match k {
                    "file" => a.file = Some(unescape(v)),
                    "line" => a.line = Some(v.parse().expect("line is a number")),
                    "title" => a.title = unescape(v),
                    other => panic!("unexpected property {other} in {line:?}"),
                }
            }
            a
        })
        .collect()
}

/// The one annotation whose title contains `needle`.
fn annotation<'a>(all: &'a [Annotation], needle: &str) -> &'a Annotation {
    let found: Vec<&Annotation> = all.iter().filter(|a| a.title.contains(needle)).collect();
    assert_eq!(found.len(), 1, "one annotation titled *{needle}*: {all:#?}");
    found[0]
}

/// The length of the backtick fence this line opens or closes (CommonMark: up to three
/// spaces, then three or more backticks).
fn fence_len(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let n = line[indent..].chars().take_while(|c| *c == '`').count();
    (indent <= 3 && n >= 3).then_some(n)
}

/// The Markdown with the contents of fenced blocks left out, read the way CommonMark
/// reads it: a block closes at the first line of only backticks at least as long as
/// its fence. A fence that a value could close early shows up here.
fn outside_fences(md: &str) -> String {
    let mut out = String::new();
    let mut open: Option<usize> = None;
    for line in md.lines() {
        match (open, fence_len(line)) {
            (Some(n), Some(m))
                if m >= n && line.trim_matches(|c| c == ' ' || c == '`').is_empty() =>
            {
                open = None;
            }
            (Some(_), _) => {}
            (None, Some(n)) => {
                open = Some(n);
                out.push_str("```\n");
            }
            (None, None) => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    assert!(open.is_none(), "a fenced block was never closed");
    out
}

/// Every table in the Markdown (outside fenced blocks) has a delimiter row and rows
/// with as many cell separators as its header. Returns the number of body rows.
fn assert_markdown_tables_well_formed(md: &str) -> usize {
    let mut rows = 0;
    let mut header: Option<usize> = None;
    let mut table_line = 0;
    for line in outside_fences(md).lines() {
        if line.starts_with('|') {
            let pipes = line.matches('|').count();
            assert!(line.ends_with('|'), "row does not end with |: {line:?}");
            match header {
                None => {
                    header = Some(pipes);
                    table_line = 0;
                }
                Some(n) => assert_eq!(pipes, n, "row with a different cell count: {line:?}"),
            }
            if table_line == 1 {
                assert!(line.starts_with("|---"), "no delimiter row: {line:?}");
            } else if table_line > 1 {
                rows += 1;
            }
            table_line += 1;
        } else {
            header = None;
        }
    }
    rows
}

struct JunitCounts {
    suites_attrs: (usize, usize, usize),
    suite_attrs: (usize, usize, usize),
    testcases: usize,
    failures: usize,
    errors: usize,
}

fn attr_usize(node: roxmltree::Node, name: &str) -> usize {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()))
        .parse()
        .expect("a count")
}

fn junit_counts(xml: &str) -> JunitCounts {
    let doc = roxmltree::Document::parse(xml).expect("the JUnit report is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1, "one testsuite");
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("vapi-drift"));
    let counts = |n: roxmltree::Node| {
        (
            attr_usize(n, "tests"),
            attr_usize(n, "failures"),
            attr_usize(n, "errors"),
        )
    };
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let count_child = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .count()
    };
    JunitCounts {
        suites_attrs: counts(root),
        suite_attrs: counts(suite),
        testcases: cases.len(),
        failures: count_child("failure"),
        errors: count_child("error"),
    }
}

fn summary(json: &Value, key: &str) -> usize {
    json["summary"][key].as_u64().expect("summary count") as usize
}

// ---------------------------------------------------------------------------
// The fixed audit, as the workflow runs it.

#[test]
fn all_four_reports_are_written_in_one_run_and_match_their_snapshots() {
    let r = fixed_run();
    assert_eq!(
        r.json["summary"],
        json!({"desired": 5, "checked": 4, "in_sync": 2, "modified": 1, "missing": 1, "not_checked": 1, "unmanaged": 1, "unknown_fields": 0})
    );
    insta::assert_snapshot!("markdown", r.markdown);
    insta::assert_snapshot!("junit", r.junit);
    insta::assert_snapshot!("github", r.github);
    for secret in [HQ_TOKEN, ROTATED, TWILIO_TOKEN, common::KEY] {
        for (name, text) in [
            ("markdown", &r.markdown),
            ("junit", &r.junit),
            ("github", &r.github),
            ("stderr", &r.stderr),
        ] {
            assert!(!text.contains(secret), "{name} leaks {secret}");
        }
    }
}

#[test]
fn junit_parses_back_with_one_test_case_per_desired_number_and_the_right_counts() {
    let r = fixed_run();
    let c = junit_counts(&r.junit);
    let desired = summary(&r.json, "desired");
    let failures = summary(&r.json, "modified") + summary(&r.json, "missing");
    let errors = summary(&r.json, "not_checked");
    assert_eq!((desired, failures, errors), (5, 2, 1));
    assert_eq!(c.suites_attrs, (desired, failures, errors));
    assert_eq!(c.suite_attrs, (desired, failures, errors));
    assert_eq!(
        (c.testcases, c.failures, c.errors),
        (desired, failures, errors)
    );

    let doc = roxmltree::Document::parse(&r.junit).expect("xml");
    let cases: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            (
                n.attribute("name").expect("name").to_string(),
                n.attribute("classname").expect("classname").to_string(),
            )
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("HQ main line", "desired/hq.yaml"),
            ("UK sales", "desired/offices.yaml"),
            ("Paris office", "desired/offices.yaml"),
            ("Chicago office", "desired/offices.yaml"),
            ("Support line", "desired/support.yaml"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    let message = failure.attribute("message").expect("message");
    for path in [
        "/fallbackDestination/number",
        "/hooks/0/do/destination/number",
        "/name",
        "/server/headers/Authorization",
        "/server/timeoutSeconds",
    ] {
        assert!(message.contains(path), "{path} in {message}");
    }
    let text = failure
        .text()
        .expect("the failure has the diff as its text");
    assert!(text.contains("--- desired\n+++ live\n"), "{text}");
    assert!(
        text.contains("-name: HQ main line\n+name: HQ main line (renamed by hand)\n"),
        "{text}"
    );
    let error = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("an error");
    assert!(
        error
            .attribute("message")
            .expect("message")
            .contains("unknown provider \"carrier-pigeon\""),
        "the reason: {:?}",
        error.attribute("message")
    );
}

#[test]
fn each_annotation_points_at_the_line_of_the_key_it_concerns() {
    let r = fixed_run();
    let all = annotations(&r.github);
    let at = |needle: &str| {
        let a = annotation(&all, needle);
        (
            a.level.as_str(),
            a.file.as_deref().unwrap_or(""),
            a.line.unwrap_or(0),
        )
    };
    // top-level, nested, inside a hook, set live only (the nearest parent key), a secret
    assert_eq!(at("/name differs"), ("error", "desired/hq.yaml", 4));
    assert_eq!(
        at("/fallbackDestination/number differs"),
        ("error", "desired/hq.yaml", 9)
    );
    assert_eq!(
        at("/hooks/0/do/destination/number differs"),
        ("error", "desired/hq.yaml", 16)
    );
    assert_eq!(
        at("/server/timeoutSeconds set live only"),
        ("error", "desired/hq.yaml", 17)
    );
    assert_eq!(
        at("/server/headers/Authorization differs"),
        ("error", "desired/hq.yaml", 20)
    );
    // MISSING on the document's first line; NOT_CHECKED and warnings as warnings
    assert_eq!(
        at("Paris office: missing in Vapi"),
        ("error", "desired/offices.yaml", 7)
    );
    assert_eq!(
        at("Chicago office: not checked"),
        ("warning", "desired/offices.yaml", 13)
    );
    assert_eq!(
        at("/twilioAuthToken unverifiable"),
        ("warning", "desired/support.yaml", 6)
    );
    assert_eq!(
        at("Support line: live status activating"),
        ("warning", "desired/support.yaml", 1)
    );
    assert_eq!(all.iter().filter(|a| a.level == "error").count(), 6);
    let notice = all.last().expect("a closing notice");
    assert_eq!(notice.level, "notice");
    assert_eq!(notice.file, None);
    assert_eq!(
        notice.message,
        "5 desired, 4 checked: 2 in sync, 1 modified, 1 missing, 1 not checked, 1 unmanaged"
    );
    // The unmanaged number has no file: an annotation of the run (a warning: not drift
    // unless --unmanaged fail).
    let handmade = annotation(&all, "unmanaged +12125550101");
    assert_eq!(
        (handmade.level.as_str(), handmade.file.as_deref()),
        ("warning", None)
    );
    assert_eq!(
        handmade.message,
        "+12125550101 \"Hand-made\" (vonage, id num-handmade, created 2026-06-01T10:00:00.000Z) is live, but no desired file describes it"
    );
    // The values are in the message, secrets masked.
    let fallback = annotation(&all, "/fallbackDestination/number");
    assert_eq!(
        fallback.message,
        "/fallbackDestination/number is \"+14155550100\" in desired/hq.yaml but \"+14155550111\" live"
    );
    let secret = annotation(&all, "/server/headers/Authorization");
    assert!(
        secret.message.contains("<sensitive, changed>"),
        "{}",
        secret.message
    );
}

#[test]
fn the_markdown_report_has_the_summary_and_a_details_block_per_number_worth_a_look() {
    let r = fixed_run();
    let md = &r.markdown;
    assert!(md.starts_with("## vapi-drift: drift\n"), "{md}");
    assert!(
        md.contains(
            "| desired | checked | in sync | modified | missing | not checked | unmanaged |\n"
        ),
        "summary header: {md}"
    );
    assert!(
        md.contains("| 5 | 4 | 2 | 1 | 1 | 1 | 1 |"),
        "summary row: {md}"
    );
    // the unmanaged numbers, then hq, paris, chicago, and support (in sync with warnings); not uk
    assert_eq!(md.matches("<details>").count(), 5, "{md}");
    assert_eq!(md.matches("</details>").count(), 5, "{md}");
    assert!(
        md.contains("<summary><b>UNMANAGED</b> 1 live number no desired file describes</summary>"),
        "{md}"
    );
    assert!(!md.contains("UK sales"), "{md}");
    assert!(md.contains("<code>desired/hq.yaml:2</code>"), "{md}");
    assert!(md.contains("<code>desired/offices.yaml:7</code>"), "{md}");
    // the summary row, one unmanaged number, five differences
    assert_eq!(assert_markdown_tables_well_formed(md), 1 + 1 + 5);
    assert!(md.contains("```diff\n--- desired\n+++ live\n"), "{md}");
}

// ---------------------------------------------------------------------------
// Hostile values: a name and live values that try to break out of each format.

#[test]
fn hostile_values_are_escaped_in_every_format() {
    // `name` is limited to 40 characters in the desired file; the live side is not.
    let desired_name = "a|b <i>x</i> `c` ::e\n*y*";
    let live_name =
        "x|y <script>alert(1)</script>\n::error file=a,line=1::forged\n```\n| a | b |\n%0A";
    let live_assistant =
        "</details><img src=x onerror=alert(1)> ```` @everyone [l](http://e) ~~s~~ $m$";
    let live = json!({
        "id": "num-evil", "orgId": "org", "provider": "vonage", "name": live_name,
        "number": "+447700900123", "credentialId": "cred-uk", "status": "active",
        "assistantId": live_assistant,
    });
    let w = World::new(vec![live]);
    w.desired(
        "evil.yaml",
        &format!(
            "id: num-evil\nprovider: vonage\nname: {}\nnumber: \"+447700900123\"\ncredentialId: cred-uk\n",
            serde_json::to_string(desired_name).expect("json")
        ),
    );
    let r = run_ci(&w, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // Markdown: no raw HTML from a value, tables intact, the diff fence holds.
    let md = &r.markdown;
    let prose = outside_fences(md);
    for raw in [
        "<script>",
        "<i>",
        "<img",
        "</details><",
        "@everyone",
        "[l](",
        "~~s~~",
        "$m$",
    ] {
        assert!(!prose.contains(raw), "markdown has raw {raw:?}:\n{md}");
    }
    assert_eq!(prose.matches("<details>").count(), 1, "{md}");
    assert_eq!(prose.matches("</details>").count(), 1, "{md}");
    assert_eq!(assert_markdown_tables_well_formed(md), 1 + 2);
    assert!(md.contains("&lt;script&gt;"), "{md}");
    let fence_line = md
        .lines()
        .find(|l| l.ends_with("diff") && l.starts_with("```"))
        .expect("a diff block");
    assert!(
        fence_line.len() > "````diff".len(),
        "the fence is longer than the value's ````: {fence_line}"
    );
    let summary = md
        .lines()
        .find(|l| l.starts_with("<summary>"))
        .expect("summary");
    assert!(summary.ends_with("</summary>"), "one line: {summary}");
    assert!(
        summary.contains("a&#124;b &lt;i&gt;x&lt;/i&gt; &#96;c&#96; ::e &#42;y&#42;"),
        "{summary}"
    );

    // GitHub: every line is one command (the parser panics otherwise), nothing forged.
    let all = annotations(&r.github);
    assert_eq!(all.len(), 3, "two differences and the notice: {all:#?}");
    assert!(
        !r.github.lines().any(|l| l.starts_with("::error file=a")),
        "{}",
        r.github
    );
    let name = annotation(&all, "/name differs");
    assert!(name.title.starts_with(desired_name), "{}", name.title);
    assert!(
        name.message
            .contains(&serde_json::to_string(live_name).expect("json")),
        "{}",
        name.message
    );

    // JUnit: well-formed, and the values come back exactly.
    let doc = roxmltree::Document::parse(&r.junit).expect("well-formed XML");
    assert!(
        !r.junit.contains("<script>") && !r.junit.contains("<i>"),
        "{}",
        r.junit
    );
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .expect("testcase");
    // XML turns a line break in an attribute into a space.
    assert_eq!(case.attribute("name"), Some("a|b <i>x</i> `c` ::e *y*"));
    let text = case
        .children()
        .find(|n| n.has_tag_name("failure"))
        .and_then(|f| f.text())
        .expect("failure text");
    assert!(
        text.contains(&serde_json::to_string(live_assistant).expect("json")),
        "{text}"
    );
}

// ---------------------------------------------------------------------------
// Size: 2,000 drifted numbers.

#[test]
fn markdown_stays_under_60000_characters_with_2000_drifted_numbers_and_says_what_it_left_out() {
    const N: usize = 2_000;
    let live: Vec<Value> = (0..N)
        .map(|i| {
            json!({"id": format!("num-{i:04}"), "orgId": "org", "provider": "vonage",
                   "name": format!("Line {i:04} (renamed)"), "number": format!("+4477009{i:05}"),
                   "credentialId": "cred", "status": "active"})
        })
        .collect();
    let docs: Vec<String> = (0..N)
        .map(|i| {
            format!(
                "id: num-{i:04}\nprovider: vonage\nname: Line {i:04}\nnumber: \"+4477009{i:05}\"\ncredentialId: cred\n"
            )
        })
        .collect();
    let w = World::new(live);
    // 20 files of 100 documents (the YAML parser takes at most 1,024 documents a file)
    for (i, chunk) in docs.chunks(100).enumerate() {
        w.desired(&format!("many-{i:02}.yaml"), &chunk.join("---\n"));
    }
    let r = run_ci(&w, &["--concurrency", "32"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(summary(&r.json, "modified"), N);

    let md = &r.markdown;
    assert!(md.len() <= 60_000, "{} bytes", md.len());
    let shown = md.matches("<details>").count();
    assert!(shown > 10, "{shown} numbers shown");
    let last = md.lines().last().expect("a last line");
    assert_eq!(
        last,
        format!(
            "**{} of {N} numbers left out** to keep this report under 60,000 characters; the JSON report (`-o json=PATH`) has them all.",
            N - shown
        )
    );
    assert_eq!(assert_markdown_tables_well_formed(md), 1 + shown);

    // The other formats carry every number.
    let c = junit_counts(&r.junit);
    assert_eq!((c.testcases, c.failures, c.errors), (N, N, 0));
    assert_eq!(
        annotations(&r.github)
            .iter()
            .filter(|a| a.level == "error")
            .count(),
        N
    );
}

// ---------------------------------------------------------------------------
// Writing the reports.

#[test]
fn an_unwritable_report_path_exits_1_after_writing_the_other_formats() {
    let w = fixed_world();
    let run = w.check(
        &[
            "--max-retries",
            "0",
            "-o",
            "json=r.json",
            "-o",
            "markdown=missing-dir/r.md",
            "-o",
            "junit=r.xml",
            "-o",
            "github=r.github",
            "-o",
            "text",
        ],
        &SECRETS_ENV,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot write report missing-dir/r.md"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("MODIFIED"),
        "the text report went to stdout"
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("r.json")).expect("r.json"))
            .expect("complete JSON");
    assert_eq!(json["summary"]["desired"], 5);
    assert_eq!(
        junit_counts(&std::fs::read_to_string(w.path("r.xml")).expect("r.xml")).testcases,
        5
    );
    let github = std::fs::read_to_string(w.path("r.github")).expect("r.github");
    assert!(!annotations(&github).is_empty());
    assert!(!w.path("missing-dir").exists());
}

#[test]
fn github_annotations_count_as_the_one_report_on_stdout() {
    let w = fixed_world();
    let run = w.check(&["-o", "github", "-o", "markdown"], &SECRETS_ENV);
    assert_eq!(run.code, 64, "a usage error: {}", run.stderr);
    assert!(
        run.stderr.contains("at most one report can go to stdout"),
        "{}",
        run.stderr
    );
    assert_eq!(
        w.standin.stats().requests.len(),
        0,
        "refused before any request"
    );
}

#[test]
fn an_in_sync_run_says_so_in_every_format() {
    let live = json!({
        "id": "num-uk", "orgId": "org", "provider": "vonage", "name": "UK sales",
        "number": "+447700900123", "credentialId": "cred-uk", "status": "active",
    });
    let w = World::new(vec![live]);
    w.desired(
        "uk.yaml",
        "id: num-uk\nprovider: vonage\nname: UK sales\nnumber: \"+447700900123\"\ncredentialId: cred-uk\n",
    );
    let r = run_ci(&w, &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.markdown.starts_with("## vapi-drift: in sync\n"),
        "{}",
        r.markdown
    );
    assert!(!r.markdown.contains("<details>"), "{}", r.markdown);
    let c = junit_counts(&r.junit);
    assert_eq!((c.testcases, c.failures, c.errors), (1, 0, 0));
    let all = annotations(&r.github);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].level, "notice");
    assert_eq!(all[0].title, "vapi-drift: in sync");
}

// ---------------------------------------------------------------------------
// Ignore rules and the policy flags.

const IGNORE_YAML: &str = r#"rules:
  - numbers: ["num-uk"]
    paths: ["/assistantId"]
    reason: the IVR team attaches assistants by hand
  - numbers: ["nobody"]
    paths: ["/squadId"]
    reason: never matches
  - paths: ["/hooks/**"]
    reason: old migration
    expires: 2020-01-01
"#;

fn policy_world() -> World {
    let uk = json!({
        "id": "num-uk", "orgId": "org", "provider": "vonage", "name": "UK sales",
        "number": "+447700900123", "credentialId": "cred-uk", "status": "active",
        "assistantId": "asst-by-hand",
    });
    let paris = json!({
        "id": "num-paris", "orgId": "org", "provider": "vonage", "name": "Paris office",
        "number": "+33170000000", "credentialId": "cred-fr", "status": "blocked",
    });
    let w = World::new(vec![uk, paris]);
    w.desired(
        "offices.yaml",
        &OFFICES_YAML[..OFFICES_YAML
            .find("---\nid: num-chicago")
            .expect("third doc")],
    );
    std::fs::write(w.path(".vapi-drift-ignore.yaml"), IGNORE_YAML).expect("ignore file");
    w
}

#[test]
fn ignored_differences_and_unhealthy_numbers_under_fail_on_unhealthy_show_in_every_format() {
    let w = policy_world();
    let r = run_ci(&w, &["--fail-on-unhealthy"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    let md = &r.markdown;
    assert!(
        md.contains(
            "❌ **Drift:** 1 live number is not active (`--fail-on-unhealthy`). Exit code 2."
        ),
        "{md}"
    );
    assert!(
        md.contains("<summary><b>UNHEALTHY</b> Paris office"),
        "{md}"
    );
    assert!(md.contains("<summary><b>IN_SYNC</b> UK sales"), "{md}");
    assert!(
        md.contains("- Ignored: <code>/assistantId</code> (line 1), rule <code>.vapi-drift-ignore.yaml:2</code>: the IVR team attaches assistants by hand"),
        "{md}"
    );
    assert!(
        md.contains(
            "- ⚠️ Ignore rule <code>.vapi-drift-ignore.yaml:8</code> expired on 2020-01-01"
        ),
        "{md}"
    );
    assert!(
        md.contains("- Ignore rule <code>.vapi-drift-ignore.yaml:5</code> matched nothing in this run: never matches"),
        "{md}"
    );

    let c = junit_counts(&r.junit);
    assert_eq!((c.testcases, c.failures, c.errors), (2, 1, 0));
    assert!(r.junit.contains("type=\"UNHEALTHY\""), "{}", r.junit);
    assert!(
        r.junit
            .contains("ignored: /assistantId (rule .vapi-drift-ignore.yaml:2"),
        "{}",
        r.junit
    );

    let all = annotations(&r.github);
    let status = annotation(&all, "Paris office: live status blocked");
    assert_eq!(status.level, "error", "it fails the run: {status:?}");
    let expired = annotation(&all, "ignore rule expired");
    assert_eq!(
        (
            expired.level.as_str(),
            expired.file.as_deref(),
            expired.line
        ),
        ("warning", Some(".vapi-drift-ignore.yaml"), Some(8))
    );
    let unused = annotation(&all, "ignore rule unused");
    assert_eq!(
        (unused.file.as_deref(), unused.line),
        (Some(".vapi-drift-ignore.yaml"), Some(5))
    );
    assert!(
        !all.iter().any(|a| a.title.contains("/assistantId")),
        "an ignored difference is not annotated: {all:#?}"
    );
}

#[test]
fn an_expired_ignore_rule_under_fail_on_expired_ignore_is_an_error_in_every_format() {
    let w = policy_world();
    let r = run_ci(&w, &["--fail-on-expired-ignore"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.markdown.starts_with("## vapi-drift: error\n"),
        "{}",
        r.markdown
    );
    assert!(
        r.markdown
            .contains("❌ **Error:** 1 ignore rule expired (`--fail-on-expired-ignore`)."),
        "{}",
        r.markdown
    );
    let all = annotations(&r.github);
    let expired = annotation(&all, "ignore rule expired");
    assert_eq!(expired.level, "error");
    let doc = roxmltree::Document::parse(&r.junit).expect("xml");
    let err = doc
        .descendants()
        .find(|n| n.has_tag_name("system-err"))
        .and_then(|n| n.text())
        .expect("the suite's system-err");
    assert!(
        err.contains(".vapi-drift-ignore.yaml:8: ignore rule expired on 2020-01-01"),
        "{err}"
    );
}

/// Regression: a hook added live was annotated on the desired hook with the same
/// index (a different hook: hooks are matched by event), not on `hooks:`.
#[test]
fn a_hook_added_live_points_at_the_hooks_key_not_at_another_hook() {
    let ending = json!({"on": "call.ending", "do": {"type": "transfer",
        "destination": {"type": "number", "number": "+14155550199"}}});
    let live = json!({
        "id": "num-hooks", "orgId": "org", "provider": "byo-phone-number", "name": "Hooks line",
        "number": "+14155550123", "credentialId": "cred", "status": "active",
        "hooks": [{"on": "call.ringing", "do": [{"type": "say", "exact": "hi"}]}, ending],
    });
    let w = World::new(vec![live]);
    w.desired(
        "hooks.yaml",
        r#"id: num-hooks
provider: byo-phone-number
name: Hooks line
number: "+14155550123"
credentialId: cred
hooks:
  - on: call.ending
    do:
      type: transfer
      destination:
        type: number
        number: "+14155550199"
"#,
    );
    let r = run_ci(&w, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let diff = &r.json["numbers"][0]["differences"];
    assert_eq!(diff.as_array().map(Vec::len), Some(1), "{diff}");
    assert_eq!(
        (diff[0]["path"].as_str(), diff[0]["type"].as_str()),
        (Some("/hooks/0"), Some("ADD"))
    );
    assert_eq!(diff[0]["line"], 6, "the JSON report agrees");
    let all = annotations(&r.github);
    let added = annotation(&all, "/hooks/0 set live only");
    assert_eq!(
        (added.file.as_deref(), added.line),
        (Some("desired/hooks.yaml"), Some(6))
    );
    assert!(
        r.markdown.contains("| `ADD` | *(absent)* |"),
        "{}",
        r.markdown
    );
    assert!(r.markdown.contains("| 6 |\n"), "{}", r.markdown);
}

#[test]
fn an_unmanaged_number_under_unmanaged_fail_is_drift_in_every_format() {
    let uk = json!({
        "id": "num-uk", "orgId": "org", "provider": "vonage", "name": "UK sales",
        "number": "+447700900123", "credentialId": "cred-uk", "status": "active",
    });
    let handmade = json!({
        "id": "num-handmade", "orgId": "org", "provider": "vonage", "name": "Hand-made",
        "number": "+12125550101", "credentialId": "cred-x", "status": "active",
    });
    let w = World::new(vec![uk, handmade]);
    w.desired(
        "uk.yaml",
        "id: num-uk\nprovider: vonage\nname: UK sales\nnumber: \"+447700900123\"\ncredentialId: cred-uk\n",
    );
    let r = run_ci(&w, &["--unmanaged", "fail"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.markdown.contains(
            "❌ **Drift:** 1 live number is unmanaged (`--unmanaged fail`). Exit code 2."
        ),
        "{}",
        r.markdown
    );
    assert!(
        r.markdown
            .contains("(drift under <code>--unmanaged fail</code>)</summary>"),
        "{}",
        r.markdown
    );
    // One test case per desired number, plus one failing case per unmanaged number.
    let c = junit_counts(&r.junit);
    assert_eq!((c.testcases, c.failures, c.errors), (2, 1, 0));
    assert_eq!(c.suites_attrs, (2, 1, 0));
    assert!(
        r.junit
            .contains("<testcase name=\"+12125550101\" classname=\"unmanaged\">"),
        "{}",
        r.junit
    );
    let all = annotations(&r.github);
    let a = annotation(&all, "unmanaged +12125550101");
    assert_eq!(a.level, "error");
}
