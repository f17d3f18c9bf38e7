//! Black-box tests of zero-noise drift: semantic equality in both directions, ignore
//! rules (globs, `**`, expiry, unused, conflicts), unverifiable secrets, health.

mod common;

use common::{World, desired_from, example, paths_of};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// Audits one desired document against one live object; returns (exit code, JSON report).
fn audit(desired: &str, live: Value, args: &[&str]) -> (i32, Value) {
    let w = World::new(vec![live]);
    w.desired("n.yaml", desired);
    let mut all = vec!["-o", "json"];
    all.extend_from_slice(args);
    let run = w.check(&all, &[]);
    (run.code, run.json())
}

#[test]
fn semantically_equal_spellings_audit_in_sync() {
    let mut live = example("twilio");
    live["server"]["headers"] =
        json!({"x-tenant": "acme", "authorization": "Bearer example-token-not-real"});
    live["server"]["url"] = json!("https://hooks.example.com/vapi/twilio");
    live["server"]["encryptedPaths"] = json!(["b.path", "message.call.customer.number"]);
    live["server"]["backoffPlan"]["excludedStatusCodes"] = json!([404, 403, 401, 400]);
    // Hooks of different events, reordered live.
    let hooks = live["hooks"].as_array().expect("hooks").clone();
    live["hooks"] = json!([hooks[1], hooks[0]]);
    let mut desired: Value = serde_json::from_str(&desired_from(&example("twilio"))).expect("json");
    desired["number"] = json!("+1 (650) 555-0142");
    desired["server"]["url"] = json!("HTTPS://Hooks.Example.com:443/vapi/twilio");
    desired["server"]["encryptedPaths"] = json!(["message.call.customer.number", "b.path"]);
    desired["hooks"][0]["filters"][0]["startsWith"] = json!(["353", "44"]);
    desired["hooks"][0]["do"][0]["destination"]["number"] = json!("+44 20 7946 0000");
    desired["twilioAuthToken"] = json!("f0e1d2c3b4a5968778695a4b3c2d1e0f");
    let (code, report) = audit(
        &serde_json::to_string_pretty(&desired).expect("json"),
        live,
        &[],
    );
    assert_eq!(code, 0, "{report}");
}

#[test]
fn real_changes_behind_equal_looking_spellings_are_still_drift() {
    // A reordered `do` list (only the first action runs).
    let mut live = example("twilio");
    live["hooks"][0]["do"] =
        json!([{"type": "say", "exact": "first"}, {"type": "say", "exact": "second"}]);
    let mut desired = example("twilio");
    desired["hooks"][0]["do"] =
        json!([{"type": "say", "exact": "second"}, {"type": "say", "exact": "first"}]);
    let (code, report) = audit(&desired_from(&desired), live, &[]);
    assert_eq!(code, 2);
    assert_eq!(
        paths_of(&report, &id(&desired)),
        vec![
            ("/hooks/0/do/0/exact".to_string(), "NOT_EQUAL".to_string()),
            ("/hooks/0/do/1/exact".to_string(), "NOT_EQUAL".to_string())
        ]
    );

    // A changed path in a URL.
    let mut live = example("vonage");
    live["server"] = json!({"url": "https://hooks.example.com/v2/uk"});
    let mut desired = example("vonage");
    desired["server"] = json!({"url": "HTTPS://HOOKS.EXAMPLE.COM/v1/uk"});
    let (code, report) = audit(&desired_from(&desired), live, &[]);
    assert_eq!(code, 2);
    assert_eq!(
        paths_of(&report, &id(&desired)),
        vec![("/server/url".to_string(), "NOT_EQUAL".to_string())]
    );

    // A changed header value behind a case change of its name: reported in the desired spelling.
    let mut live = example("vonage");
    live["server"] =
        json!({"url": "https://x.example.com", "headers": {"x-api-key": "new-value-9"}});
    let mut desired = example("vonage");
    desired["server"] =
        json!({"url": "https://x.example.com", "headers": {"X-Api-Key": "old-value-1"}});
    let (code, report) = audit(&desired_from(&desired), live, &[]);
    assert_eq!(code, 2);
    assert_eq!(
        paths_of(&report, &id(&desired)),
        vec![(
            "/server/headers/X-Api-Key".to_string(),
            "NOT_EQUAL".to_string()
        )]
    );
    let text = report.to_string();
    assert!(
        !text.contains("new-value-9") && !text.contains("old-value-1"),
        "{text}"
    );

    // A hook changed inside a reordered list is reported under its desired index.
    let mut live = example("twilio");
    let hooks = live["hooks"].as_array().expect("hooks").clone();
    let mut ending = hooks[1].clone();
    ending["do"]["exact"] = json!("Changed live");
    live["hooks"] = json!([ending, hooks[0]]);
    let (code, report) = audit(&desired_from(&example("twilio")), live, &[]);
    assert_eq!(code, 2);
    assert_eq!(
        paths_of(&report, &id(&example("twilio"))),
        vec![("/hooks/1/do/exact".to_string(), "NOT_EQUAL".to_string())]
    );
}

const RULES: &str = r#"rules:
  - numbers: ["+44*"]
    paths: ["/name"]
    reason: marketing renames lines freely
  - paths: ["/hooks/**"]
    reason: hooks are managed by the call-routing team
  - paths: ["/server/headers/X-Trace-*"]
    reason: tracing headers rotate
  - paths: ["/squadId"]
    reason: expired long ago
    expires: 2020-01-01
  - numbers: ["+999*"]
    paths: ["/assistantId"]
    reason: matches no number
"#;

#[test]
fn ignore_rules_suppress_with_globs_and_report_unused_and_expired_rules() {
    let mut vonage = example("vonage");
    vonage["name"] = json!("UK sales (renamed)");
    vonage["hooks"] = json!([{"on": "call.ringing", "do": [{"type": "say", "exact": "hi"}]}]);
    vonage["server"] = json!({"url": "https://x.example.com", "headers": {"X-Trace-Id": "abc"}});
    vonage["squadId"] = json!("5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f");
    let w = World::new(vec![vonage.clone()]);
    let mut desired = example("vonage");
    desired["server"] = json!({"url": "https://x.example.com"});
    desired.as_object_mut().expect("o").remove("name");
    w.desired("uk.yaml", &desired_from(&desired));
    std::fs::write(w.path(".vapi-drift-ignore.yaml"), RULES).expect("write rules");
    let run = w.check(&["-o", "json", "-o", "text=report.txt"], &[]);
    let report = run.json();
    // Only the squadId (its rule expired) remains: exit 2.
    assert_eq!(run.code, 2, "{report}");
    assert_eq!(
        paths_of(&report, &id(&vonage)),
        vec![("/squadId".to_string(), "ADD".to_string())]
    );
    let ignored: std::collections::BTreeSet<(String, String)> = report["numbers"][0]["ignored"]
        .as_array()
        .expect("ignored")
        .iter()
        .map(|i| {
            (
                i["path"].as_str().expect("p").to_string(),
                i["rule"].as_str().expect("r").to_string(),
            )
        })
        .collect();
    let expected: std::collections::BTreeSet<(String, String)> = [
        ("/hooks", ".vapi-drift-ignore.yaml:5"),
        ("/name", ".vapi-drift-ignore.yaml:2"),
        ("/server/headers/X-Trace-Id", ".vapi-drift-ignore.yaml:7"),
    ]
    .into_iter()
    .map(|(p, r)| (p.to_string(), r.to_string()))
    .collect();
    assert_eq!(ignored, expected);
    assert_eq!(
        report["unused_ignore_rules"],
        json!([{"rule": ".vapi-drift-ignore.yaml:12", "reason": "matches no number", "expires": null}])
    );
    assert_eq!(
        report["expired_ignore_rules"][0]["rule"],
        ".vapi-drift-ignore.yaml:9"
    );
    let text = std::fs::read_to_string(w.path("report.txt")).expect("text report");
    assert!(
        text.contains("ignore rule .vapi-drift-ignore.yaml:9 expired on 2020-01-01"),
        "{text}"
    );
    assert!(
        text.contains("ignore rule .vapi-drift-ignore.yaml:12 matched nothing"),
        "{text}"
    );
    // The text diff leaves the ignored differences out.
    assert!(
        !report["numbers"][0]["diff"]
            .as_str()
            .expect("diff")
            .contains("renamed"),
        "{report}"
    );

    // --fail-on-expired-ignore turns the expired rule into exit 1.
    let run = w.check(&["-o", "json", "--fail-on-expired-ignore"], &[]);
    assert_eq!(run.code, 1);
}

#[test]
fn a_number_whose_every_difference_is_ignored_is_in_sync() {
    let mut live = example("vonage");
    live["name"] = json!("renamed");
    let w = World::new(vec![live]);
    let mut desired = example("vonage");
    desired.as_object_mut().expect("o").remove("name");
    w.desired("uk.yaml", &desired_from(&desired));
    std::fs::write(
        w.path("rules.yaml"),
        "rules:\n  - paths: [/name]\n    reason: names are free\n",
    )
    .expect("write");
    let run = w.check(&["-o", "json", "--ignore-file", "rules.yaml"], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["numbers"][0]["status"], "IN_SYNC");
    assert_eq!(
        report["numbers"][0]["ignored"][0]["reason"],
        "names are free"
    );
    assert_eq!(report["unused_ignore_rules"], json!([]));
}

#[test]
fn declaring_a_value_and_ignoring_it_is_an_error_before_any_request() {
    let w = World::new(vec![example("vonage")]);
    w.desired("uk.yaml", &desired_from(&example("vonage")));
    std::fs::write(
        w.path("rules.yaml"),
        "rules:\n  - paths: [/name]\n    reason: x\n",
    )
    .expect("write");
    let run = w.check(&["--ignore-file", "rules.yaml"], &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("/name is declared here and ignored by the rule at rules.yaml:2"),
        "{}",
        run.stderr
    );
    assert_eq!(w.standin.stats().requests.len(), 0);
    // An invalid ignore file names file, line and key.
    std::fs::write(
        w.path("rules.yaml"),
        "rules:\n  - path: [/name]\n    reason: x\n",
    )
    .expect("write");
    let run = w.check(&["--ignore-file", "rules.yaml"], &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("rules.yaml:2:5: unknown key \"path\" (did you mean \"paths\"?)"),
        "{}",
        run.stderr
    );
    // A named ignore file that does not exist is an error, not "no rules".
    let run = w.check(&["--ignore-file", "nope.yaml"], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nope.yaml"), "{}", run.stderr);
}

#[test]
fn secrets_the_api_does_not_return_are_unverifiable_not_drift_nor_silent() {
    let mut live = example("twilio");
    live.as_object_mut().expect("o").remove("twilioAuthToken");
    let mut sip = example("vapi-sip");
    sip["authentication"]["password"] = json!("********");
    let w = World::new(vec![live.clone(), sip.clone()]);
    let mut desired = example("twilio");
    desired["twilioAuthToken"] = json!("${TOKEN}");
    let mut sip_desired = example("vapi-sip");
    sip_desired["authentication"]["password"] = json!("${SIP_PASSWORD}");
    w.desired(
        "t.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&desired),
            desired_from(&sip_desired)
        ),
    );
    let run = w.check(
        &["-o", "json", "-o", "text=r.txt"],
        &[
            ("TOKEN", "tok-0123456789"),
            ("SIP_PASSWORD", "pw-0123456789abcdefghij"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(
        report["numbers"][0]["unverifiable"],
        json!(["/twilioAuthToken"])
    );
    assert_eq!(
        report["numbers"][1]["unverifiable"],
        json!(["/authentication/password"])
    );
    let text = std::fs::read_to_string(w.path("r.txt")).expect("text");
    assert!(text.contains("unverifiable: /twilioAuthToken"), "{text}");
    assert!(!text.contains("tok-0123456789") && !run.stdout.contains("tok-0123456789"));
}

#[test]
fn health_is_reported_apart_from_drift_and_can_fail_the_run() {
    let live = example("telnyx"); // status: blocked
    let (code, report) = audit(&desired_from(&live), live.clone(), &[]);
    assert_eq!(code, 0);
    assert_eq!(report["numbers"][0]["health"], "blocked");
    assert_eq!(report["numbers"][0]["differences"], json!([]));
    let (code, _) = audit(&desired_from(&live), live, &["--fail-on-unhealthy"]);
    assert_eq!(code, 2);
}

#[test]
fn explain_shows_both_sides_the_rules_applied_and_the_verdict_without_secrets() {
    let mut live = example("twilio");
    live["name"] = json!("Renamed live");
    live["server"]["headers"]["Authorization"] = json!("Bearer rotated-live-secret");
    let w = World::new(vec![live]);
    let mut desired = example("twilio");
    desired["twilioAuthToken"] = json!("${TOKEN}");
    desired["server"]["headers"]["Authorization"] = json!("Bearer ${HOOK}");
    w.desired("t.yaml", &desired_from(&desired));
    let mut cmd = w.command();
    cmd.args([
        "explain",
        "+1 (650) 555-0142",
        "--base-url",
        &w.standin.base_url(),
    ])
    .env("VAPI_API_KEY", common::KEY)
    .env("TOKEN", "f0e1d2c3b4a5968778695a4b3c2d1e0f")
    .env("HOOK", "desired-hook-secret");
    let run = common::Run::from(cmd.output().expect("runs"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    for section in [
        "== desired, as loaded (secrets masked)",
        "== live, as fetched (secrets masked)",
        "== normalization of the live object",
        "== desired, normalized",
        "== live, normalized",
        "== differences",
    ] {
        assert!(out.contains(section), "missing {section}:\n{out}");
    }
    assert!(
        out.contains("/orgId: dropped: managed by the server"),
        "{out}"
    );
    assert!(
        out.contains("/smsEnabled: equals the documented default true"),
        "{out}"
    );
    assert!(
        out.contains("NOT_EQUAL /name: \"Support line (Twilio)\" -> \"Renamed live\""),
        "{out}"
    );
    assert!(
        out.contains(
            "NOT_EQUAL /server/headers/Authorization: \"<sensitive>\" -> \"<sensitive, changed>\""
        ),
        "{out}"
    );
    assert!(out.ends_with("verdict: MODIFIED\n"), "{out}");
    for secret in [
        "rotated-live-secret",
        "desired-hook-secret",
        "f0e1d2c3b4a5968778695a4b3c2d1e0f",
        "example-token-not-real",
    ] {
        assert!(!out.contains(secret), "explain leaks {secret}");
    }
    // An unknown target is an error naming it.
    let mut cmd = w.command();
    cmd.args(["explain", "nobody", "--base-url", &w.standin.base_url()])
        .env("VAPI_API_KEY", common::KEY)
        .env("TOKEN", "x")
        .env("HOOK", "y");
    let run = common::Run::from(cmd.output().expect("runs"));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("no desired or live phone number has the id, number or name \"nobody\""),
        "{}",
        run.stderr
    );
}

/// Regression (review #2): a field added live inside a hook that the desired file has
/// is reported under the hook's desired index, and a rule for another hook's path does
/// not hide it.
#[test]
fn a_field_added_inside_a_reordered_hook_keeps_the_desired_index() {
    let ringing = json!({"on": "call.ringing", "do": [{"type": "say", "exact": "hello"}]});
    let ending = json!({"on": "call.ending", "do": {"type": "say", "exact": "bye"}});
    let mut live_ringing = ringing.clone();
    live_ringing["filters"] =
        json!([{"type": "startsWith", "key": "number", "startsWith": ["44"]}]);
    let mut live = example("vonage");
    live["hooks"] = json!([ending.clone(), live_ringing]);
    let mut desired = example("vonage");
    desired["hooks"] = json!([ringing, ending]);
    let (code, report) = audit(&desired_from(&desired), live.clone(), &["--fetch", "get"]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        paths_of(&report, &id(&desired)),
        vec![("/hooks/0/filters".to_string(), "ADD".to_string())]
    );
    let w = World::new(vec![live]);
    w.desired("n.yaml", &desired_from(&desired));
    std::fs::write(
        w.path("rules.yaml"),
        "rules:\n  - paths: [/hooks/1/filters]\n    reason: the ending hook's filters are free\n",
    )
    .expect("write");
    let run = w.check(&["-o", "json", "--ignore-file", "rules.yaml"], &[]);
    assert_eq!(
        run.code, 2,
        "the rule is for the other hook: {}",
        run.stdout
    );
}
