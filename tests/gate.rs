//! The deploy gate (`--deployed-ref`) and known drift (`--baseline`), black-box: the
//! built binary against the stand-in, in a real git repository in a temporary folder
//! (commits, a tag, changes on each side).

mod common;

use common::{World, desired_from};
use serde_json::{Value, json};
use std::path::Path;
use vapi_standin::Fault;
use vapi_standin::org::synthetic_numbers;

const TAG: &str = "vapi-deployed";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A world whose live numbers are `n` synthetic numbers, each described by its own
/// desired file `desired/nI.yaml`, committed and tagged as deployed.
fn deployed_world(n: usize) -> (World, Vec<Value>) {
    let lives = synthetic_numbers(n);
    let w = World::new(lives.clone());
    for (i, live) in lives.iter().enumerate() {
        w.desired(&format!("n{i}.yaml"), &desired_from(live));
    }
    let dir = w.dir.path();
    git(dir, &["init", "-q"]);
    commit(&w, "deployed");
    git(dir, &["tag", TAG]);
    (w, lives)
}

fn commit(w: &World, message: &str) {
    git(w.dir.path(), &["add", "-A"]);
    git(
        w.dir.path(),
        &["commit", "-q", "-m", message, "--allow-empty"],
    );
}

/// Sets a field of desired/nI.yaml in the working tree.
fn edit_desired(w: &World, lives: &[Value], i: usize, key: &str, value: Value) {
    let mut doc: Value = serde_json::from_str(&desired_from(&lives[i])).expect("json");
    doc[key] = value;
    w.desired(
        &format!("n{i}.yaml"),
        &serde_json::to_string_pretty(&doc).expect("json"),
    );
}

/// Sets a field of live number I (a change in the dashboard).
fn edit_live(w: &World, lives: &[Value], i: usize, key: &str, value: Value) {
    let mut live = lives[i].clone();
    live[key] = value;
    w.standin.upsert(live);
}

fn gate(w: &World, extra: &[&str]) -> common::Run {
    let mut args = vec!["desired", "--deployed-ref", TAG, "-o", "json"];
    args.extend_from_slice(extra);
    w.check(&args, &[])
}

/// (path, type, cause) of each difference of the number with this id.
fn causes(report: &Value, id: &str) -> Vec<(String, String, String)> {
    report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no number {id}"))["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap_or("").to_string(),
                d["type"].as_str().unwrap_or("").to_string(),
                d["cause"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn number<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no number {id}"))
}

fn id(lives: &[Value], i: usize) -> String {
    lives[i]["id"].as_str().expect("id").to_string()
}

#[test]
fn every_cause_from_a_real_repository() {
    let (w, lives) = deployed_world(7);
    // 0: changed live only -> OUT_OF_BAND
    edit_live(&w, &lives, 0, "name", json!("Dashboard edit"));
    // 1: changed in git only -> PENDING
    edit_desired(&w, &lives, 1, "name", json!("Renamed in git"));
    // 2: changed on both sides, differently -> CONFLICT
    edit_desired(&w, &lives, 2, "name", json!("Git says"));
    edit_live(&w, &lives, 2, "name", json!("Dashboard says"));
    // 3: changed on both sides to the same value -> CONVERGED: no difference
    edit_desired(&w, &lives, 3, "name", json!("Same both"));
    edit_live(&w, &lives, 3, "name", json!("Same both"));
    // 4: deleted live since the deploy -> MISSING, OUT_OF_BAND
    w.standin.remove(&id(&lives, 4));
    // 5: removed from git since the deploy, still live -> a pending deletion
    std::fs::remove_file(w.path("desired/n5.yaml")).expect("rm");
    // 6: a field added live only -> ADD, OUT_OF_BAND; a field added in git only -> PENDING
    edit_live(&w, &lives, 6, "squadId", json!("sq-live"));
    edit_desired(&w, &lives, 6, "name", json!("Six in git"));
    // a number new in git, not live -> MISSING, PENDING (the deploy creates it)
    let mut new = synthetic_numbers(9).remove(8);
    new["id"] = json!("00000000-0000-4000-8000-00000000new1");
    w.desired("new.yaml", &desired_from(&new));
    commit(&w, "pending changes");

    let run = gate(&w, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    let nm = |c: &str| ("/name".to_string(), "NOT_EQUAL".to_string(), c.to_string());
    assert_eq!(causes(&r, &id(&lives, 0)), vec![nm("OUT_OF_BAND")]);
    assert_eq!(causes(&r, &id(&lives, 1)), vec![nm("PENDING")]);
    assert_eq!(causes(&r, &id(&lives, 2)), vec![nm("CONFLICT")]);
    assert_eq!(number(&r, &id(&lives, 3))["status"], "IN_SYNC");
    assert_eq!(number(&r, &id(&lives, 4))["status"], "MISSING");
    assert_eq!(number(&r, &id(&lives, 4))["cause"], "OUT_OF_BAND");
    let six = causes(&r, &id(&lives, 6));
    assert!(
        six.contains(&("/squadId".into(), "ADD".into(), "OUT_OF_BAND".into())),
        "{six:?}"
    );
    assert!(six.iter().any(|d| d.2 == "PENDING"), "{six:?}");
    let created = number(&r, "00000000-0000-4000-8000-00000000new1");
    assert_eq!(created["status"], "MISSING");
    assert_eq!(created["cause"], "PENDING");
    // The number git no longer has: the deploy deletes it; it is live, so unmanaged too.
    let deletions = r["deployed"]["pending_deletions"].as_array().expect("list");
    assert_eq!(deletions.len(), 1, "{deletions:?}");
    assert_eq!(deletions[0]["id"], id(&lives, 5));
    assert!(
        deletions[0]["file"]
            .as_str()
            .is_some_and(|f| f.starts_with("vapi-deployed:desired/n5.yaml")),
        "{deletions:?}"
    );
    let unmanaged = r["unmanaged"].as_array().expect("unmanaged");
    assert_eq!(unmanaged.len(), 1);
    assert_eq!(unmanaged[0]["cause"], "PENDING");
    assert_eq!(r["deployed"]["ref"], TAG);
    assert_eq!(
        r["deployed"]["commit"].as_str().map(str::len),
        Some(40),
        "{}",
        r["deployed"]
    );
    let s = &r["summary"];
    // OUT_OF_BAND: 0's name, 4 missing, 6's squadId; CONFLICT: 2's name.
    assert_eq!(s["out_of_band"], 3, "{s}");
    assert_eq!(s["conflict"], 1, "{s}");
    assert_eq!(s["pending_deletions"], 1, "{s}");
    assert_eq!(r["org"], lives[0]["orgId"]);

    // Every format says the cause.
    let text = w.check(&["desired", "--deployed-ref", TAG], &[]);
    assert_eq!(text.code, 2);
    for word in [
        "[OUT_OF_BAND]",
        "[PENDING]",
        "[CONFLICT]",
        "PENDING_DELETION",
    ] {
        assert!(
            text.stdout.contains(word),
            "text lacks {word}:\n{}",
            text.stdout
        );
    }
    let md = w.check(&["desired", "--deployed-ref", TAG, "-o", "markdown"], &[]);
    for word in [
        "`OUT_OF_BAND`",
        "`CONFLICT`",
        "`PENDING`",
        "pending deletion",
    ] {
        assert!(
            md.stdout.contains(word),
            "markdown lacks {word}:\n{}",
            md.stdout
        );
    }
    let junit = w.check(&["desired", "--deployed-ref", TAG, "-o", "junit"], &[]);
    assert!(junit.stdout.contains("[CONFLICT]"), "{}", junit.stdout);
    let gh = w.check(&["desired", "--deployed-ref", TAG, "-o", "github"], &[]);
    let line_of = |needle: &str| {
        gh.stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no annotation with {needle}:\n{}", gh.stdout))
            .to_string()
    };
    assert!(line_of("[OUT_OF_BAND]").starts_with("::error "));
    assert!(line_of("[CONFLICT]").starts_with("::error "));
    // What the deploy will apply is a notice, not an error.
    assert!(line_of("[PENDING]").starts_with("::notice "));
}

#[test]
fn pending_changes_alone_pass_the_gate_unless_fail_on_pending() {
    let (w, lives) = deployed_world(2);
    edit_desired(&w, &lives, 1, "name", json!("Renamed in git"));
    commit(&w, "rename");
    // Without the ref, the change is drift: the deadlock the gate exists to break.
    assert_eq!(w.check(&["desired"], &[]).code, 2);
    let run = gate(&w, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    assert_eq!(r["status"], "in_sync");
    assert_eq!(
        r["summary"]["modified"], 1,
        "the report lists what the deploy changes"
    );
    assert_eq!(r["summary"]["pending"], 1);
    assert_eq!(causes(&r, &id(&lives, 1))[0].2, "PENDING");
    let text = w.check(&["desired", "--deployed-ref", TAG], &[]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.starts_with("vapi-drift: nothing out of band"),
        "{}",
        text.stdout
    );
    let junit = w.check(&["desired", "--deployed-ref", TAG, "-o", "junit"], &[]);
    assert!(junit.stdout.contains("failures=\"0\""), "{}", junit.stdout);
    assert_eq!(gate(&w, &["--fail-on-pending"]).code, 2);
}

#[test]
fn the_readme_deploy_gate_recipe_end_to_end() {
    let (w, lives) = deployed_world(3);
    let dir = w.dir.path();
    // In sync and deployed: the gate passes.
    assert_eq!(gate(&w, &[]).code, 0);

    // A config change is merged: pre-deploy gate passes, the deploy applies it
    // (the stand-in's live data changed to match), the post-deploy check passes,
    // and the tag moves.
    edit_desired(&w, &lives, 1, "name", json!("Support (new hours)"));
    commit(&w, "support: new hours");
    assert_eq!(gate(&w, &[]).code, 0, "pre-deploy gate");
    assert_eq!(w.check(&["desired"], &[]).code, 2, "not deployed yet");
    edit_live(&w, &lives, 1, "name", json!("Support (new hours)"));
    assert_eq!(w.check(&["desired"], &[]).code, 0, "post-deploy verify");
    git(dir, &["tag", "-f", TAG]);
    assert_eq!(gate(&w, &[]).code, 0);

    // Someone changes a number in the dashboard: the next deploy would overwrite it.
    edit_live(&w, &lives, 0, "name", json!("Dashboard edit"));
    let blocked = gate(&w, &[]);
    assert_eq!(blocked.code, 2, "{}", blocked.stdout);
    assert_eq!(causes(&blocked.json(), &id(&lives, 0))[0].2, "OUT_OF_BAND");
    // Put back as it was: the gate opens again.
    w.standin.upsert(lives[0].clone());
    assert_eq!(gate(&w, &[]).code, 0);

    // A change merged in git and another made live, on the same field: a conflict.
    edit_desired(&w, &lives, 2, "name", json!("Git name"));
    commit(&w, "rename 2");
    edit_live(&w, &lives, 2, "name", json!("Dashboard name"));
    let conflict = gate(&w, &[]);
    assert_eq!(conflict.code, 2);
    assert_eq!(causes(&conflict.json(), &id(&lives, 2))[0].2, "CONFLICT");
}

#[test]
fn a_bad_ref_no_repository_or_invalid_files_at_the_ref_exit_1_before_any_request() {
    let (w, lives) = deployed_world(1);
    let run = w.check(&["desired", "--deployed-ref", "no-such-tag"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("no-such-tag") && run.stderr.contains("no such commit"),
        "{}",
        run.stderr
    );
    // A ref that looks like an option is refused, not passed to git.
    let run = w.check(&["desired", "--deployed-ref=--output=x"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);

    // Files invalid at the ref: named by ref and file, with the line.
    w.desired("n0.yaml", "id: x\nprovider: vapi\nnmae: typo\n");
    commit(&w, "broken");
    git(w.dir.path(), &["tag", "broken"]);
    w.desired("n0.yaml", &desired_from(&lives[0]));
    let run = w.check(&["desired", "--deployed-ref", "broken"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("broken:desired/n0.yaml:3"),
        "{}",
        run.stderr
    );
    assert!(w.standin.stats().requests.is_empty(), "no request was sent");

    // Not a git repository.
    let plain = World::new(lives.clone());
    plain.desired("n0.yaml", &desired_from(&lives[0]));
    let run = plain.check(&["desired", "--deployed-ref", TAG], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not in a git repository"),
        "{}",
        run.stderr
    );
    assert!(plain.standin.stats().requests.is_empty());

    // --fail-on-pending without a ref is a usage error.
    assert_eq!(w.check(&["desired", "--fail-on-pending"], &[]).code, 64);
}

#[test]
fn a_ref_older_than_the_desired_files_makes_everything_pending() {
    let lives = synthetic_numbers(2);
    let w = World::new(lives.clone());
    git(w.dir.path(), &["init", "-q"]);
    std::fs::write(w.path("README"), "x").expect("write");
    commit(&w, "before");
    git(w.dir.path(), &["tag", "empty"]);
    w.desired("n0.yaml", &desired_from(&lives[0]));
    let mut renamed = lives[1].clone();
    renamed["name"] = json!("new name");
    w.desired("n1.yaml", &desired_from(&renamed));
    let run = w.check(&["desired", "--deployed-ref", "empty", "-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(causes(&run.json(), &id(&lives, 1))[0].2, "PENDING");
}

// ---- known vs new drift (--baseline) ----

/// `check -o json=PATH --baseline PREV` at the time `now`.
fn nightly(w: &World, out: &str, baseline: Option<&str>, now: &str, extra: &[&str]) -> common::Run {
    let json = format!("json={out}");
    let mut args = vec!["desired", "-o", &json, "-o", "text"];
    if let Some(b) = baseline {
        args.extend_from_slice(&["--baseline", b]);
    }
    args.extend_from_slice(extra);
    w.check(&args, &[("VAPI_DRIFT_NOW", now)])
}

fn read(w: &World, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(w.path(name)).expect("report")).expect("json")
}

fn seen(report: &Value, id: &str, path: &str) -> (Value, Value) {
    let d = number(report, id)["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .find(|d| d["path"] == path)
        .unwrap_or_else(|| panic!("no {path} on {id}"))
        .clone();
    (d["first_seen"].clone(), d["new"].clone())
}

const T1: &str = "2026-11-01T05:17:00Z";
const T2: &str = "2026-11-02T05:17:00Z";
const T3: &str = "2026-11-03T05:17:00Z";
const T4: &str = "2026-11-04T05:17:00Z";

#[test]
fn new_known_and_resolved_across_three_runs() {
    let lives = synthetic_numbers(3);
    let w = World::new(lives.clone());
    for (i, live) in lives.iter().enumerate() {
        w.desired(&format!("n{i}.yaml"), &desired_from(live));
    }
    let (a, b) = (id(&lives, 0), id(&lives, 1));
    // Night 0: in sync; its report is the first baseline.
    assert_eq!(nightly(&w, "r0.json", None, T1, &[]).code, 0);

    // Night 1: drift on A appears: new, first seen tonight.
    edit_live(&w, &lives, 0, "name", json!("Dashboard A"));
    let run = nightly(&w, "r1.json", Some("r0.json"), T1, &["--fail-on", "new"]);
    assert_eq!(run.code, 2, "new drift fails under --fail-on new");
    let r1 = read(&w, "r1.json");
    assert_eq!(seen(&r1, &a, "/name"), (json!(T1), json!(true)));
    assert_eq!(r1["summary"]["new"], 1);
    assert_eq!(r1["summary"]["known"], 0);
    assert!(run.stdout.contains("[NEW]"), "{}", run.stdout);

    // Night 2: A persists (known, first seen night 1), B appears (new).
    edit_live(&w, &lives, 1, "name", json!("Dashboard B"));
    let run = nightly(&w, "r2.json", Some("r1.json"), T2, &["--fail-on", "new"]);
    assert_eq!(run.code, 2);
    let r2 = read(&w, "r2.json");
    assert_eq!(seen(&r2, &a, "/name"), (json!(T1), json!(false)));
    assert_eq!(seen(&r2, &b, "/name"), (json!(T2), json!(true)));
    assert_eq!(
        (&r2["summary"]["new"], &r2["summary"]["known"]),
        (&json!(1), &json!(1))
    );

    // Night 3: B is fixed (resolved), A persists: nothing new, so --fail-on new
    // passes, while the default (--fail-on any) still fails on the known drift.
    w.standin.upsert(lives[1].clone());
    let run = nightly(&w, "r3.json", Some("r2.json"), T3, &["--fail-on", "new"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r3 = read(&w, "r3.json");
    assert_eq!(r3["status"], "drifted", "status says what was found");
    assert_eq!(r3["exit_code"], 0);
    assert_eq!(seen(&r3, &a, "/name"), (json!(T1), json!(false)));
    let s = &r3["summary"];
    assert_eq!(
        (&s["new"], &s["known"], &s["resolved"]),
        (&json!(0), &json!(1), &json!(1))
    );
    assert_eq!(
        r3["baseline"]["resolved"],
        json!([{"number": b, "path": "/name", "type": "NOT_EQUAL", "first_seen": T2}])
    );
    assert!(run.stdout.contains("RESOLVED"), "{}", run.stdout);
    assert_eq!(nightly(&w, "r3b.json", Some("r2.json"), T3, &[]).code, 2);

    // Night 4: A cannot be read (500): its finding is neither resolved nor confirmed,
    // and is carried over; night 5 sees it again, still first seen night 1.
    w.standin.inject(
        &a,
        vec![Fault::Status {
            code: 500,
            retry_after: None,
        }],
    );
    let run = nightly(
        &w,
        "r4.json",
        Some("r3.json"),
        T4,
        &["--fetch", "get", "--max-retries", "0"],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    let r4 = read(&w, "r4.json");
    assert_eq!(r4["summary"]["resolved"], 0);
    assert_eq!(r4["baseline"]["unconfirmed"][0]["number"], json!(a));
    w.standin.clear_faults();
    nightly(&w, "r5.json", Some("r4.json"), T4, &[]);
    assert_eq!(
        seen(&read(&w, "r5.json"), &a, "/name"),
        (json!(T1), json!(false))
    );
}

#[test]
fn missing_and_unmanaged_findings_are_matched_too() {
    let lives = synthetic_numbers(3);
    let w = World::new(lives.clone());
    w.desired("n0.yaml", &desired_from(&lives[0]));
    w.desired("n1.yaml", &desired_from(&lives[1]));
    w.standin.remove(&id(&lives, 1));
    nightly(&w, "r1.json", None, T1, &[]);
    nightly(&w, "r2.json", Some("r1.json"), T2, &[]);
    let r2 = read(&w, "r2.json");
    assert_eq!(number(&r2, &id(&lives, 1))["new"], false);
    assert_eq!(
        number(&r2, &id(&lives, 1))["first_seen"],
        Value::Null,
        "r1 did not say since when"
    );
    assert_eq!(r2["unmanaged"][0]["new"], false);
    nightly(&w, "r3.json", Some("r2.json"), T3, &[]);
    let r3 = read(&w, "r3.json");
    assert_eq!(r3["unmanaged"][0]["first_seen"], Value::Null);
    assert_eq!(r3["summary"]["known"], 2);
}

#[test]
fn a_baseline_unreadable_of_another_version_or_org_is_exit_1() {
    let lives = synthetic_numbers(1);
    let w = World::new(lives.clone());
    w.desired("n0.yaml", &desired_from(&lives[0]));
    let run = nightly(&w, "r.json", Some("nope.json"), T1, &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read the baseline nope.json"),
        "{}",
        run.stderr
    );
    assert!(w.standin.stats().requests.is_empty());

    std::fs::write(w.path("v9.json"), r#"{"format_version": 9, "numbers": []}"#).expect("w");
    let run = nightly(&w, "r.json", Some("v9.json"), T1, &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("format_version 9"), "{}", run.stderr);

    std::fs::write(
        w.path("other.json"),
        r#"{"format_version": 1, "org": "another-org", "numbers": []}"#,
    )
    .expect("w");
    let run = nightly(&w, "r.json", Some("other.json"), T1, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("another-org"), "{}", run.stdout);
    assert!(
        read(&w, "r.json")["error"]
            .as_str()
            .is_some_and(|e| e.contains("another-org")),
        "the report is written and says why"
    );
    let run = w.check(
        &[
            "desired",
            "--baseline",
            "other.json",
            "--expect-org",
            "mine",
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("another-org"), "{}", run.stderr);

    assert_eq!(w.check(&["desired", "--fail-on", "new"], &[]).code, 64);
}

// ---- alerts that open and close themselves ----

/// `vapi-drift alert` on the reports in the world's folder; (stdout, action file, body, comment).
fn alert(w: &World, issues: &str) -> (common::Run, String, Option<String>, Option<String>) {
    std::fs::write(w.path("issues.json"), issues).expect("write");
    let mut cmd = w.command();
    cmd.args([
        "alert",
        "--report",
        "drift.json",
        "--markdown",
        "drift.md",
        "--issues",
        "issues.json",
        "--run-url",
        "https://github.com/o/r/actions/runs/1",
    ]);
    let run = common::Run::from(cmd.output().expect("runs"));
    let file = |n: &str| std::fs::read_to_string(w.path("alert").join(n)).ok();
    let action = file("action").unwrap_or_default();
    (run, action, file("body.md"), file("comment.md"))
}

fn nightly_with_md(w: &World, baseline: Option<&str>, now: &str) -> i32 {
    let mut args = vec![
        "desired",
        "-o",
        "json=drift.json",
        "-o",
        "markdown=drift.md",
    ];
    if let Some(b) = baseline {
        args.extend_from_slice(&["--baseline", b]);
    }
    w.check(&args, &[("VAPI_DRIFT_NOW", now)]).code
}

#[test]
fn the_alert_opens_updates_comments_and_closes_one_issue() {
    let lives = synthetic_numbers(2);
    let w = World::new(lives.clone());
    for (i, live) in lives.iter().enumerate() {
        w.desired(&format!("n{i}.yaml"), &desired_from(live));
    }
    let issue = r#"[{"number": 42, "title": "vapi-drift: configuration drift"}]"#;
    // In sync, no issue: nothing.
    assert_eq!(nightly_with_md(&w, None, T1), 0);
    std::fs::copy(w.path("drift.json"), w.path("prev.json")).expect("copy");
    let (run, action, body, _) = alert(&w, "[]");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(action, "nothing");
    assert_eq!(run.stdout, "action=nothing\nissue=\n");
    assert!(body.is_none());

    // Drift appears: open, the body is the Markdown report.
    edit_live(&w, &lives, 0, "name", json!("Dashboard"));
    assert_eq!(nightly_with_md(&w, Some("prev.json"), T2), 2);
    std::fs::copy(w.path("drift.json"), w.path("prev.json")).expect("copy");
    let (run, action, body, _) = alert(&w, "[]");
    assert_eq!(action, "open", "{}", run.stderr);
    let body = body.expect("body");
    assert!(body.contains("## vapi-drift: drift"), "{body}");
    assert!(body.contains("actions/runs/1"));

    // The same drift the next night: update the body, no comment.
    assert_eq!(nightly_with_md(&w, Some("prev.json"), T3), 2);
    std::fs::copy(w.path("drift.json"), w.path("prev.json")).expect("copy");
    let (run, action, body, comment) = alert(&w, issue);
    assert_eq!(action, "update", "{}", run.stderr);
    assert_eq!(run.stdout, "action=update\nissue=42\n");
    assert!(body.is_some() && comment.is_none());

    // Something new: a comment naming it.
    edit_live(&w, &lives, 1, "name", json!("Also changed"));
    assert_eq!(nightly_with_md(&w, Some("prev.json"), T4), 2);
    std::fs::copy(w.path("drift.json"), w.path("prev.json")).expect("copy");
    let (_, action, _, comment) = alert(&w, issue);
    assert_eq!(action, "comment");
    let comment = comment.expect("comment");
    assert!(
        comment.contains("1 finding new") && comment.contains("Line 1"),
        "{comment}"
    );
    assert!(
        !comment.contains("Line 0"),
        "known drift is not news: {comment}"
    );

    // Back in sync: close with a comment.
    w.standin.upsert(lives[0].clone());
    w.standin.upsert(lives[1].clone());
    assert_eq!(nightly_with_md(&w, Some("prev.json"), T4), 0);
    let (_, action, body, comment) = alert(&w, issue);
    assert_eq!(action, "close");
    assert!(body.is_none(), "a stale body is removed");
    assert!(comment.expect("comment").contains("back in sync"));

    // A report that is not one: exit 1, with the reason.
    std::fs::write(w.path("drift.json"), "{").expect("write");
    let (run, _, _, _) = alert(&w, issue);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("drift.json is not a JSON report"),
        "{}",
        run.stderr
    );
}
