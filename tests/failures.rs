//! Failures CI users can read (issue 12, part 3): every run past the arguments
//! writes every requested report, each error once, an API that cannot be reached
//! named once, the ignore file checked by `validate`, files with the usual mode,
//! `explain` in the reports' words, and no unmanaged numbers from a subset of files.

mod common;

use common::{KEY, Run, World, desired_from, example, statuses};
use serde_json::{Value, json};
use vapi_standin::org::synthetic_numbers;

const FORMATS: [&str; 4] = ["json", "markdown", "junit", "github"];

/// `check` with every report to a file (and the text report to stdout).
fn check_all(w: &World, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    for f in FORMATS {
        all.push("-o".into());
        all.push(format!("{f}=reports/r.{f}"));
    }
    all.push("-o".into());
    all.push("text".into());
    std::fs::create_dir_all(w.path("reports")).expect("mkdir");
    for f in FORMATS {
        let _ = std::fs::remove_file(w.path(&format!("reports/r.{f}")));
    }
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    w.check(&all, env)
}

fn report(w: &World, format: &str) -> String {
    std::fs::read_to_string(w.path(&format!("reports/r.{format}")))
        .unwrap_or_else(|e| panic!("the {format} report was not written: {e}"))
}

/// Every report was written and says the run failed with this error (`needle`),
/// at this place when it has one.
fn assert_error_in_every_report(w: &World, run: &Run, needle: &str, place: Option<(&str, u32)>) {
    let json: Value = serde_json::from_str(&report(w, "json")).expect("json report");
    assert_eq!(json["status"], "error", "{json}");
    assert_eq!(json["exit_code"], run.code);
    let errors = json["errors"].as_array().expect("errors");
    let found = errors
        .iter()
        .find(|e| e["message"].as_str().is_some_and(|m| m.contains(needle)))
        .unwrap_or_else(|| panic!("{needle} not in {json}"));
    if let Some((file, line)) = place {
        assert_eq!(found["file"], file, "{found}");
        assert_eq!(found["line"], line, "{found}");
        assert!(found["column"].is_number(), "{found}");
    }
    let markdown = report(w, "markdown");
    assert!(markdown.starts_with("## vapi-drift: error"), "{markdown}");
    let junit = report(w, "junit");
    let doc = roxmltree::Document::parse(&junit).expect("junit is XML");
    let run_case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("classname") == Some("run"))
        .unwrap_or_else(|| panic!("no run error test case:\n{junit}"));
    let error = run_case
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error>");
    assert!(
        error
            .attribute("message")
            .is_some_and(|m| m.contains(needle)),
        "{junit}"
    );
    let github = report(w, "github");
    let line = github
        .lines()
        .find(|l| l.starts_with("::error") && l.contains(needle))
        .unwrap_or_else(|| panic!("no ::error with {needle}:\n{github}"));
    if let Some((file, n)) = place {
        assert!(
            line.starts_with(&format!("::error file={file},line={n},col=")),
            "{line}"
        );
    }
    assert!(run.stdout.contains("error: "), "{}", run.stdout);
    // Markdown escapes what it quotes; the text and the stderr carry it as it is.
    assert!(run.stdout.contains(needle), "{}", run.stdout);
    assert!(run.stderr.contains(needle), "{}", run.stderr);
}

/// Regression (issue 12): a missing `${VAR}` exited 1 and wrote no report, so the
/// job summary stayed empty and the artifact step found nothing.
#[test]
fn every_error_class_writes_every_requested_report() {
    let lives = vec![example("vonage"), example("telnyx")];
    let w = World::new(lives.clone());

    // 1. The desired config does not load (a missing variable).
    w.desired(
        "a.yaml",
        "id: x1\nprovider: vapi\nname: Needs a token\nserver:\n  url: https://h.example.com\n  headers:\n    Authorization: ${UNSET_TOKEN}\n",
    );
    let run = check_all(&w, &[], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_error_in_every_report(
        &w,
        &run,
        "environment variable UNSET_TOKEN is not set",
        Some(("desired/a.yaml", 7)),
    );
    let json: Value = serde_json::from_str(&report(&w, "json")).expect("json");
    assert_eq!(json["summary"]["desired"], 0);
    assert!(
        report(&w, "markdown").contains("the desired config could not be loaded"),
        "{}",
        report(&w, "markdown")
    );
    std::fs::remove_file(w.path("desired/a.yaml")).expect("rm");

    // 2. The desired numbers load, the ignore file does not: each number is in every
    // report once, not checked, and the error points at the ignore file.
    w.desired(
        "numbers.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&lives[0]),
            desired_from(&lives[1])
        ),
    );
    std::fs::write(w.path(".vapi-drift-ignore.yaml"), "rulez: []\n").expect("write");
    let run = check_all(&w, &[], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_error_in_every_report(
        &w,
        &run,
        "unknown key \"rulez\"",
        Some((".vapi-drift-ignore.yaml", 1)),
    );
    let json: Value = serde_json::from_str(&report(&w, "json")).expect("json");
    let seen = statuses(&json);
    assert_eq!(seen.len(), 2, "{json}");
    assert!(seen.iter().all(|(_, s)| s == "NOT_CHECKED"), "{json}");
    let junit = report(&w, "junit");
    assert_eq!(
        junit.matches("classname=\"desired/numbers.yaml\"").count(),
        2
    );
    std::fs::remove_file(w.path(".vapi-drift-ignore.yaml")).expect("rm");

    // 3. No API key.
    let run = check_all(&w, &[], &[("VAPI_API_KEY", "")]);
    assert_eq!(run.code, 1);
    assert_error_in_every_report(&w, &run, "VAPI_API_KEY is not set", None);

    // 4. A config error found once the list is read: a document without an id
    // that matches a number another document describes by id.
    w.desired(
        "more.yaml",
        &format!(
            "provider: vonage\nnumber: \"{}\"\ncredentialId: c\n",
            lives[0]["number"].as_str().expect("number")
        ),
    );
    let run = check_all(&w, &[], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_error_in_every_report(
        &w,
        &run,
        "already describes by id",
        Some(("desired/more.yaml", 1)),
    );
    let json: Value = serde_json::from_str(&report(&w, "json")).expect("json");
    assert_eq!(statuses(&json).len(), 3, "{json}");
    std::fs::remove_file(w.path("desired/more.yaml")).expect("rm");

    // 5. A selector that selects nothing (a usage error, found after loading).
    let run = check_all(&w, &["--only", "nothing-like-this"], &[]);
    assert_eq!(run.code, 64, "{}", run.stderr);
    assert_error_in_every_report(&w, &run, "select none of the 2 desired phone numbers", None);
}

/// Regression (issue 12): a rejected key printed the same 401 once per number (602
/// lines for 200 numbers, and 200 `::warning`s of which GitHub shows 10).
#[test]
fn a_rejected_key_is_one_error_once_in_every_format() {
    let lives = synthetic_numbers(40);
    let w = World::new(lives.clone());
    let docs: Vec<String> = lives.iter().map(desired_from).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    for fetch in ["list", "get"] {
        let run = check_all(&w, &["--fetch", fetch], &[("VAPI_API_KEY", "wrong-key")]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let needle = "the API key was rejected";
        for (name, text) in [
            ("text", run.stdout.clone()),
            ("stderr", run.stderr.clone()),
            ("markdown", report(&w, "markdown")),
            ("junit", report(&w, "junit")),
            ("github", report(&w, "github")),
        ] {
            assert_eq!(text.matches(needle).count(), 1, "{fetch} {name}:\n{text}");
        }
        let json: Value = serde_json::from_str(&report(&w, "json")).expect("json");
        assert_eq!(
            json["errors"].as_array().expect("errors").len(),
            1,
            "{json}"
        );
        // Every number is still there once, pointing at the run's error.
        let numbers = json["numbers"].as_array().expect("numbers");
        assert_eq!(numbers.len(), 40);
        for n in numbers {
            assert_eq!(n["status"], "NOT_CHECKED");
            assert!(
                n["error"]
                    .as_str()
                    .expect("error")
                    .contains("see the run's error"),
                "{n}"
            );
        }
        let github = report(&w, "github");
        assert!(
            github.lines().count() <= 3,
            "one error, one not-checked line, one notice:\n{github}"
        );
        let junit = report(&w, "junit");
        assert!(
            junit.contains("tests=\"41\""),
            "40 numbers and the run's error:\n{junit}"
        );
    }
}

/// Regression (issue 12): a base URL that never answers made each number
/// "incomplete" (exit 3), one by one after its retries.
#[test]
fn an_api_that_cannot_be_reached_exits_1_naming_the_url_once() {
    let lives = synthetic_numbers(12);
    let w = World::new(lives.clone());
    let docs: Vec<String> = lives.iter().map(desired_from).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    // A loopback port nobody listens on: every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    for fetch in ["list", "get"] {
        let mut cmd = w.command();
        cmd.args([
            "check",
            "--base-url",
            &url,
            "--max-retries",
            "1",
            "--fetch",
            fetch,
        ])
        .args(["-o", "json=reports/r.json", "-o", "text"])
        .env("VAPI_API_KEY", KEY);
        std::fs::create_dir_all(w.path("reports")).expect("mkdir");
        let run = Run::from(cmd.output().expect("runs"));
        assert_eq!(run.code, 1, "{fetch}: {}\n{}", run.stdout, run.stderr);
        let needle = format!("cannot reach the Vapi API at {url}");
        assert_eq!(run.stderr.matches(&needle).count(), 1, "{}", run.stderr);
        assert_eq!(run.stdout.matches(&needle).count(), 1, "{}", run.stdout);
        let json: Value = serde_json::from_str(&report(&w, "json")).expect("json");
        assert_eq!(json["status"], "error");
        assert_eq!(
            json["errors"].as_array().expect("errors").len(),
            1,
            "{json}"
        );
        assert!(statuses(&json).iter().all(|(_, s)| s == "NOT_CHECKED"));
    }
}

#[test]
fn validate_checks_the_ignore_file() {
    let w = World::new(vec![example("vonage")]);
    w.desired("a.yaml", &desired_from(&example("vonage")));
    let validate = |args: &[&str]| {
        let mut cmd = w.command();
        Run::from(cmd.arg("validate").args(args).output().expect("runs"))
    };
    assert_eq!(validate(&[]).code, 0);
    std::fs::write(
        w.path(".vapi-drift-ignore.yaml"),
        "rules:\n  - paths: [/name]\n    reasn: marketing renames lines\n",
    )
    .expect("write");
    let run = validate(&[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            ".vapi-drift-ignore.yaml:3:5: unknown key \"reasn\" (did you mean \"reason\"?)"
        ),
        "{}",
        run.stderr
    );
    // An explicit file too, and a good one passes and is counted.
    std::fs::write(
        w.path("ok.yaml"),
        "rules:\n  - paths: [/server/headers/X-Trace]\n    reason: tracing\nsecret_headers: [X-Tenant]\n",
    )
    .expect("write");
    let run = validate(&["--ignore-file", "ok.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("the ignore file ok.yaml is valid (1 rule)"),
        "{}",
        run.stdout
    );
}

/// Regression (issue 12): reports and exported files were written 0600.
#[cfg(unix)]
#[test]
fn report_and_export_files_get_the_mode_the_umask_gives() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let w = World::new(vec![example("vonage")]);
    let mut cmd = w.command();
    cmd.args(["export", "--base-url", &w.standin.base_url()])
        .env("VAPI_API_KEY", KEY);
    // SAFETY: umask is async-signal-safe; nothing else runs in the child yet.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    assert_eq!(Run::from(cmd.output().expect("runs")).code, 0);
    let mut cmd = w.command();
    cmd.args([
        "check",
        "--base-url",
        &w.standin.base_url(),
        "-o",
        "json=r.json",
    ])
    .env("VAPI_API_KEY", KEY);
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    assert_eq!(Run::from(cmd.output().expect("runs")).code, 0);
    for file in [
        "r.json",
        "desired/uk-sales-vonage.yaml",
        "desired/vapi-drift.secrets.md",
    ] {
        let mode = std::fs::metadata(w.path(file))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o644, "{file}: {mode:o}");
    }
}

#[test]
fn explain_speaks_the_reports_words_matches_names_in_any_case_and_explains_unmanaged() {
    let vonage = example("vonage");
    let mut live = vonage.clone();
    live["name"] = json!("Renamed live");
    let hand_made = json!({"id": "0e0e0e0e-0000-4000-8000-000000000001", "orgId": vonage["orgId"],
        "provider": "vapi", "number": "+12125550101", "name": "Hand-made",
        "server": {"url": "https://h.example.com", "headers": {"Authorization": "Bearer hand-made-secret"}},
        "createdAt": "2026-09-01T10:00:00.000Z", "updatedAt": "2026-09-01T10:00:00.000Z", "status": "active"});
    let w = World::new(vec![live, hand_made]);
    w.desired("vonage.yaml", &desired_from(&vonage));
    let explain = |target: &str| {
        let mut cmd = w.command();
        Run::from(
            cmd.args(["explain", target, "--base-url", &w.standin.base_url()])
                .env("VAPI_API_KEY", KEY)
                .output()
                .expect("runs"),
        )
    };
    let name = vonage["name"].as_str().expect("name").to_uppercase();
    let run = explain(&name);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("  NOT_EQUAL /name: "), "{}", run.stdout);
    assert!(!run.stdout.contains("NotEqual"), "{}", run.stdout);
    assert!(run.stdout.contains("verdict: MODIFIED"), "{}", run.stdout);
    // A live number no desired document describes, by name in another case.
    let run = explain("hand-MADE");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("verdict: UNMANAGED"), "{}", run.stdout);
    assert!(!run.stdout.contains("hand-made-secret"), "{}", run.stdout);
    assert!(run.stdout.contains("<sensitive>"), "{}", run.stdout);
    let run = explain("no such line");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no desired or live phone number has"),
        "{}",
        run.stderr
    );
}

/// Regression (issue 12): `check desired/one.yaml` called every other live number
/// unmanaged.
#[test]
fn a_subset_of_files_does_not_make_the_other_numbers_unmanaged() {
    let lives = synthetic_numbers(6);
    let w = World::new(lives.clone());
    for (i, l) in lives.iter().enumerate() {
        w.desired(&format!("line-{i}.yaml"), &desired_from(l));
    }
    let run = w.check(&["desired/line-0.yaml", "-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["unmanaged_check"], "skipped", "{json}");
    assert_eq!(json["summary"]["unmanaged"], 0);
    assert!(
        json["unmanaged_check_reason"]
            .as_str()
            .expect("reason")
            .contains("desired/line-0.yaml"),
        "{json}"
    );
    let text = w.check(&["desired/line-0.yaml"], &[]);
    assert!(
        text.stdout
            .contains("unmanaged numbers: not looked for (the paths given include a file"),
        "{}",
        text.stdout
    );
    // The folder is the whole set; so are files when --unmanaged says so.
    let json = w.check(&["desired", "-o", "json"], &[]).json();
    assert_eq!(json["unmanaged_check"], "complete");
    let run = w.check(
        &["desired/line-0.yaml", "--unmanaged", "report", "-o", "json"],
        &[],
    );
    assert_eq!(run.json()["summary"]["unmanaged"], 5);
}

#[test]
fn a_duplicate_key_is_named_in_plain_words() {
    let w = World::new(Vec::new());
    w.desired("a.yaml", "provider: vapi\nname: a\nname: b\n");
    let mut cmd = w.command();
    let run = Run::from(cmd.arg("validate").output().expect("runs"));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "desired/a.yaml:3:1: invalid YAML: key \"name\" appears twice in this mapping"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("DuplicateKeyPolicy"), "{}", run.stderr);
}
