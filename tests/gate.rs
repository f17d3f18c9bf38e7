//! The deploy gate (`--deployed-ref`) and known drift (`--baseline`), black-box: the
//! built binary against the stand-in, in a real git repository in a temporary folder
//! (commits, a tag, changes on each side).

mod common;

use common::{World, desired_from, difference_fields, number_in};
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
    difference_fields(report, id, ["path", "type", "cause"])
        .into_iter()
        .map(|[path, kind, cause]| (path, kind, cause))
        .collect()
}

/// Panics unless `out` (the `format` report) has every one of `words`.
fn assert_says(format: &str, out: &str, words: &[&str]) {
    for word in words {
        assert!(out.contains(word), "{format} lacks {word}:\n{out}");
    }
}

fn number<'a>(report: &'a Value, id: &str) -> &'a Value {
    number_in(report, id)
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
    assert_says(
        "text",
        &text.stdout,
        &[
            "[OUT_OF_BAND]",
            "[PENDING]",
            "[CONFLICT]",
            "PENDING_DELETION",
        ],
    );
    let md = w.check(&["desired", "--deployed-ref", TAG, "-o", "markdown"], &[]);
    assert_says(
        "markdown",
        &md.stdout,
        &[
            "`OUT_OF_BAND`",
            "`CONFLICT`",
            "`PENDING`",
            "pending deletion",
        ],
    );
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

/// F2: a ref without the named folder (renamed since, a typo, from before the files)
/// would leave every number undeployed, every live change "pending": refused, naming
/// the path and the ref.
#[test]
fn a_ref_without_the_desired_files_is_refused_by_path_and_ref() {
    let lives = synthetic_numbers(2);
    let w = World::new(lives.clone());
    git(w.dir.path(), &["init", "-q"]);
    std::fs::create_dir_all(w.path("config")).expect("mkdir");
    std::fs::write(w.path("config/n0.yaml"), desired_from(&lives[0])).expect("write");
    std::fs::write(w.path("config/n1.yaml"), desired_from(&lives[1])).expect("write");
    commit(&w, "deployed, in config/");
    git(w.dir.path(), &["tag", TAG]);
    // The folder is renamed to desired/ since the deploy; a live URL changes.
    git(w.dir.path(), &["mv", "config", "desired"]);
    commit(&w, "rename");
    let mut changed = lives[1].clone();
    changed["server"]["url"] = json!("https://evil.example.net/collect");
    w.standin.upsert(changed);
    let run = gate(&w, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("desired has no desired files at vapi-deployed"),
        "{}",
        run.stderr
    );
    assert!(w.standin.stats().requests.is_empty(), "before any request");
}

/// F2: a number the ref does not declare but live has is compared with an empty
/// deployed document: what live has that desired does not is out of band, a value
/// both sides set differently a conflict; only a number missing live is a pending
/// creation.
#[test]
fn a_number_new_in_git_but_already_live_is_not_pending() {
    let (w, lives) = deployed_world(1);
    let more = synthetic_numbers(3);
    for live in &more[1..] {
        let mut changed = live.clone();
        changed["server"]["url"] = json!("https://evil.example.net/collect");
        changed["squadId"] = json!("sq-live");
        w.standin.upsert(changed);
    }
    w.desired("n1.yaml", &desired_from(&more[1]));
    commit(&w, "add n1");
    let run = gate(&w, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    let mut got = causes(&r, &id(&more, 1));
    got.sort();
    assert_eq!(
        got,
        vec![
            ("/server/url".into(), "NOT_EQUAL".into(), "CONFLICT".into()),
            ("/squadId".into(), "ADD".into(), "OUT_OF_BAND".into()),
        ]
    );
    assert_eq!(number(&r, &id(&lives, 0))["status"], "IN_SYNC");
    // The same number, not live: the deploy creates it.
    w.standin.remove(&id(&more, 1));
    let run = gate(&w, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let created = number(&run.json(), &id(&more, 1)).clone();
    assert_eq!(
        (&created["status"], &created["cause"]),
        (&json!("MISSING"), &json!("PENDING"))
    );
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
    let mut resolved = r3["baseline"]["resolved"].clone();
    let print = resolved[0]
        .as_object_mut()
        .and_then(|f| f.remove("fingerprint"));
    assert!(
        print
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|p| p.len() == 64),
        "{print:?}"
    );
    assert_eq!(
        resolved,
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

// ---- defects of the gate, each once a false "in sync" ----

/// F1: a file named `*.YAML` at the ref is read, as the working tree reads it; a live
/// change to its number is out of band, not "pending".
#[test]
fn a_yaml_file_in_upper_case_at_the_ref_is_deployed() {
    let lives = synthetic_numbers(1);
    let w = World::new(lives.clone());
    std::fs::create_dir_all(w.path("desired")).expect("mkdir");
    std::fs::write(w.path("desired/n0.YAML"), desired_from(&lives[0])).expect("write");
    git(w.dir.path(), &["init", "-q"]);
    commit(&w, "deployed");
    git(w.dir.path(), &["tag", TAG]);
    edit_live(&w, &lives, 0, "name", json!("Dashboard edit"));
    let run = gate(&w, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        causes(&run.json(), &id(&lives, 0)),
        vec![("/name".into(), "NOT_EQUAL".into(), "OUT_OF_BAND".into())]
    );
}

/// F1: a symbolic link to a folder at the ref, which the working tree follows, is
/// refused by name (exit 1), never skipped.
#[cfg(unix)]
#[test]
fn a_symlinked_folder_at_the_ref_is_refused_by_name() {
    let lives = synthetic_numbers(2);
    let w = World::new(lives.clone());
    w.desired("n0.yaml", &desired_from(&lives[0]));
    std::fs::create_dir_all(w.path("shared")).expect("mkdir");
    std::fs::write(w.path("shared/n1.yaml"), desired_from(&lives[1])).expect("write");
    std::os::unix::fs::symlink("../shared", w.path("desired/more")).expect("symlink");
    git(w.dir.path(), &["init", "-q"]);
    commit(&w, "deployed");
    git(w.dir.path(), &["tag", TAG]);
    edit_live(&w, &lives, 1, "name", json!("Dashboard edit"));
    // The working tree follows the link: without the ref, the change is drift.
    assert_eq!(w.check(&["desired"], &[]).code, 2);
    let before = w.standin.stats().requests.len();
    let run = gate(&w, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("vapi-deployed:desired/more") && run.stderr.contains("symbolic link"),
        "{}",
        run.stderr
    );
    assert_eq!(
        w.standin.stats().requests.len(),
        before,
        "refused before any request"
    );
    // A link to a file that is no desired file is skipped, as the working tree skips it.
    std::fs::remove_file(w.path("desired/more")).expect("rm");
    std::fs::write(w.path("notes.txt"), "x").expect("write");
    std::os::unix::fs::symlink("../notes.txt", w.path("desired/NOTES")).expect("symlink");
    std::fs::write(w.path("desired/n1.yaml"), desired_from(&lives[1])).expect("write");
    commit(&w, "no link");
    git(w.dir.path(), &["tag", "-f", TAG]);
    let run = gate(&w, &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(causes(&run.json(), &id(&lives, 1))[0].2, "OUT_OF_BAND");
}

/// F3: a known finding whose live value changed again is new drift: the baseline
/// keys a difference by the fingerprint of its values too.
#[test]
fn a_known_difference_whose_value_changed_again_is_new() {
    let lives = synthetic_numbers(1);
    let w = World::new(lives.clone());
    w.desired("n0.yaml", &desired_from(&lives[0]));
    let a = id(&lives, 0);
    let set_url = |url: &str| {
        let mut live = lives[0].clone();
        live["server"]["url"] = json!(url);
        w.standin.upsert(live);
    };
    set_url("https://hooks.example.com/old-edit");
    assert_eq!(nightly(&w, "r1.json", None, T1, &[]).code, 2);
    // The same value the next night: known.
    let run = nightly(&w, "r2.json", Some("r1.json"), T2, &["--fail-on", "new"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        seen(&read(&w, "r2.json"), &a, "/server/url").1,
        json!(false)
    );
    // Changed again, to somewhere else: new drift, first seen tonight.
    set_url("https://evil.example.net/collect");
    let run = nightly(&w, "r3.json", Some("r2.json"), T3, &["--fail-on", "new"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let r3 = read(&w, "r3.json");
    assert_eq!(seen(&r3, &a, "/server/url"), (json!(T3), json!(true)));
    assert_eq!(
        r3["summary"]["resolved"], 1,
        "the old value's finding is gone"
    );

    // A baseline written before fingerprints: its differences match nothing, so they
    // are new (never silently known).
    let mut old = read(&w, "r3.json");
    for n in old["numbers"].as_array_mut().expect("numbers") {
        for d in n["differences"].as_array_mut().expect("differences") {
            d.as_object_mut().expect("object").remove("fingerprint");
        }
    }
    std::fs::write(w.path("old.json"), old.to_string()).expect("write");
    let run = nightly(&w, "r4.json", Some("old.json"), T4, &["--fail-on", "new"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
}

/// F3: a secret's difference is fingerprinted without the secret in the report.
#[test]
fn a_secret_difference_is_known_by_its_fingerprint_never_its_value() {
    let lives = synthetic_numbers(1);
    let mut live = lives[0].clone();
    live["server"]["headers"] = json!({"X-Key": "old-secret-value-1"});
    let w = World::new(vec![live.clone()]);
    let mut want = live.clone();
    want["server"]["headers"] = json!({"X-Key": "${K}"});
    w.desired("n0.yaml", &desired_from(&want));
    let k = [("K", "new-secret-value-2")];
    let run = |out: &str, base: Option<&str>, now: &str| {
        let json = format!("json={out}");
        let mut args = vec!["desired", "-o", &json, "--fail-on", "new"];
        if let Some(b) = base {
            args.extend_from_slice(&["--baseline", b]);
        }
        let mut env = k.to_vec();
        env.push(("VAPI_DRIFT_NOW", now));
        w.check(&args, &env)
    };
    let r = w.check(&["desired", "-o", "json=r1.json"], &k);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let text = std::fs::read_to_string(w.path("r1.json")).expect("r1");
    assert!(
        !text.contains("old-secret-value-1") && !text.contains("new-secret-value-2"),
        "{text}"
    );
    assert_eq!(
        run("r2.json", Some("r1.json"), T2).code,
        0,
        "the same secret difference is known"
    );
    live["server"]["headers"] = json!({"X-Key": "other-secret-value-3"});
    w.standin.upsert(live);
    assert_eq!(
        run("r3.json", Some("r2.json"), T3).code,
        2,
        "a live secret changed again is new"
    );
}

/// F5: a number with neither id nor number is known by its sipUri, wherever its
/// document moves.
#[test]
fn a_number_without_id_or_number_is_known_by_its_sip_uri() {
    let w = World::new(synthetic_numbers(1));
    let doc = "provider: vapi\nname: Desk\nsipUri: sip:desk-7@sip.vapi.ai\n";
    w.desired("sip.yaml", doc);
    assert_eq!(nightly(&w, "r1.json", None, T1, &[]).code, 2);
    let r1 = read(&w, "r1.json");
    assert_eq!(r1["numbers"][0]["status"], "MISSING");
    // The document moves down its file (a comment above it): still the same finding.
    w.desired("sip.yaml", &format!("# moved\n\n{doc}"));
    let run = nightly(&w, "r2.json", Some("r1.json"), T2, &["--fail-on", "new"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r2 = read(&w, "r2.json");
    assert_eq!(
        r2["numbers"][0]["new"],
        json!(false),
        "{}",
        r2["numbers"][0]
    );
    assert_eq!(r2["summary"]["resolved"], 0);
    assert_eq!(
        r2["numbers"][0]["key"],
        json!("sipUri \"sip:desk-7@sip.vapi.ai\""),
        "{}",
        r2["numbers"][0]
    );
}

/// N2: a baseline finding of a number this run did not select is unconfirmed and
/// carried over, not resolved.
#[test]
fn a_finding_of_a_number_left_out_by_only_is_unconfirmed() {
    let lives = synthetic_numbers(2);
    let w = World::new(lives.clone());
    for (i, live) in lives.iter().enumerate() {
        w.desired(&format!("n{i}.yaml"), &desired_from(live));
    }
    let (a, b) = (id(&lives, 0), id(&lives, 1));
    edit_live(&w, &lives, 0, "name", json!("Dashboard A"));
    assert_eq!(nightly(&w, "r1.json", None, T1, &[]).code, 2);
    let run = nightly(&w, "r2.json", Some("r1.json"), T2, &["--only", &b]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r2 = read(&w, "r2.json");
    assert_eq!(r2["summary"]["resolved"], 0, "{}", r2["baseline"]);
    assert_eq!(r2["baseline"]["unconfirmed"][0]["number"], json!(a));
    // Carried over: the next full run still knows it (r1, written without a
    // baseline, did not say since when).
    nightly(&w, "r3.json", Some("r2.json"), T3, &[]);
    assert_eq!(
        seen(&read(&w, "r3.json"), &a, "/name"),
        (Value::Null, json!(false))
    );
}

/// N3: a live number the deployed files declared by its sipUri (no id, no number),
/// since removed from git, is a pending deletion, not a number created by hand.
#[test]
fn a_number_deployed_by_its_sip_uri_and_removed_since_is_pending() {
    let lives = synthetic_numbers(1);
    let mut sip = synthetic_numbers(5).remove(4);
    sip.as_object_mut().expect("object").remove("number");
    let w = World::new(vec![lives[0].clone(), sip.clone()]);
    w.desired("n0.yaml", &desired_from(&lives[0]));
    w.desired(
        "sip.yaml",
        &format!(
            "provider: vapi\nsipUri: {}\n",
            sip["sipUri"].as_str().expect("sipUri").to_uppercase()
        ),
    );
    git(w.dir.path(), &["init", "-q"]);
    commit(&w, "deployed");
    git(w.dir.path(), &["tag", TAG]);
    std::fs::remove_file(w.path("desired/sip.yaml")).expect("rm");
    commit(&w, "retire the desk line");
    let run = gate(&w, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    assert_eq!(r["unmanaged"][0]["id"], sip["id"]);
    assert_eq!(r["unmanaged"][0]["cause"], "PENDING", "{}", r["unmanaged"]);
    assert_eq!(
        r["deployed"]["pending_deletions"].as_array().map(Vec::len),
        Some(1)
    );
}

/// A world of one live number whose `server.headers` are `live_headers`, desired
/// with `deployed_headers`, committed and tagged as deployed.
fn header_world(live_headers: Value, deployed_headers: Value) -> (World, Value) {
    let mut live = synthetic_numbers(1).remove(0);
    live["server"]["headers"] = live_headers;
    let w = World::new(vec![live.clone()]);
    let mut want = live.clone();
    want["server"]["headers"] = deployed_headers;
    w.desired("n0.yaml", &desired_from(&want));
    git(w.dir.path(), &["init", "-q"]);
    commit(&w, "deployed");
    git(w.dir.path(), &["tag", TAG]);
    (w, live)
}

/// N1: a secret rotated through its variable (`X-Key: ${K}` in git both at the tag
/// and now, K changed since the deploy) is the deploy's to apply: PENDING, not a live
/// change that blocks the deploy. A live change of another field stays OUT_OF_BAND.
#[test]
fn a_secret_rotated_through_its_variable_is_pending() {
    let (w, live) = header_world(
        json!({"X-Key": "old-key-value-1"}),
        json!({"X-Key": "${K}"}),
    );
    let lid = live["id"].as_str().expect("id").to_string();
    let gate_with = |k: &str| {
        w.check(
            &["desired", "--deployed-ref", TAG, "-o", "json"],
            &[("K", k)],
        )
    };
    assert_eq!(
        gate_with("old-key-value-1").code,
        0,
        "deployed as it is live"
    );
    let run = gate_with("new-key-value-2");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        causes(&run.json(), &lid),
        vec![(
            "/server/headers/X-Key".into(),
            "NOT_EQUAL".into(),
            "PENDING".into()
        )]
    );
    assert!(!run.stdout.contains("new-key-value-2") && !run.stdout.contains("old-key-value-1"));
    // The declaration changed in git (another text): the three values decide as ever.
    let mut changed = live.clone();
    changed["server"]["headers"] = json!({"X-Key": "literal-key-value-3"});
    w.desired("n0.yaml", &desired_from(&changed));
    let run = gate_with("old-key-value-1");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(causes(&run.json(), &lid)[0].2, "PENDING");
    // And a dashboard edit elsewhere still blocks the deploy.
    let mut edited = live.clone();
    edited["name"] = json!("Dashboard edit");
    w.standin.upsert(edited);
    let run = gate_with("new-key-value-2");
    assert_eq!(run.code, 2, "{}", run.stdout);
}

/// N1: a header secret live shows masked, whose visible part agrees with the deployed
/// value, is the deployed value: a change of it in git is PENDING, not a CONFLICT.
#[test]
fn a_masked_live_secret_agreeing_with_the_deployed_value_is_not_a_conflict() {
    let (w, live) = header_world(
        json!({"X-Key": "****0001"}),
        json!({"X-Key": "abc-old-0001"}),
    );
    let lid = live["id"].as_str().expect("id").to_string();
    assert_eq!(gate(&w, &[]).code, 0, "masked and agreeing: unverifiable");
    let mut changed = live.clone();
    changed["server"]["headers"] = json!({"X-Key": "abc-new-0002"});
    w.desired("n0.yaml", &desired_from(&changed));
    let run = gate(&w, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        causes(&run.json(), &lid),
        vec![(
            "/server/headers/X-Key".into(),
            "NOT_EQUAL".into(),
            "PENDING".into()
        )]
    );
    // A live value the deployed one does not agree with is a live change: a conflict.
    let mut other = live.clone();
    other["server"]["headers"] = json!({"X-Key": "****9999"});
    w.standin.upsert(other);
    let run = gate(&w, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(causes(&run.json(), &lid)[0].2, "CONFLICT");
}
