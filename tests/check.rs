//! Black-box tests of `vapi-drift check`: the built binary against the API stand-in.

mod common;

use common::{KEY, World, desired_from, example, paths_of, statuses};
use serde_json::{Value, json};
use std::time::Duration;
use vapi_standin::{Fault, StandInConfig};

#[test]
fn every_provider_example_audits_in_sync_and_exits_0() {
    let names = [
        "byo-phone-number",
        "twilio",
        "vonage",
        "vapi-pstn",
        "vapi-sip",
        "telnyx",
    ];
    let lives: Vec<Value> = names.iter().map(|n| example(n)).collect();
    let w = World::new(lives.clone());
    for (name, live) in names.iter().zip(&lives) {
        w.desired(&format!("{name}.yaml"), &desired_from(live));
    }
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["status"], "in_sync");
    assert_eq!(report["summary"]["in_sync"], 6);
    assert!(statuses(&report).iter().all(|(_, s)| s == "IN_SYNC"));
}

const SUPPORT_ID: &str = "2b9d4c6e-8f10-4a2b-bc3d-4e5f60718293";

/// The issue's bar: a mixed set with exactly the right status and paths per number.
#[test]
fn mixed_set_gives_exact_statuses_and_paths_and_exit_2_without_leaking_secrets() {
    let token = "tok-AAAA-1111-secret";
    let header = "hdr-BBBB-2222-secret";
    let rotated = "hdr-ROTATED-3333-secret";
    // 1. twilio: defaults omitted in desired, nulls live, 30 vs 30.0, secrets via ${VAR}; one 500 first.
    let mut twilio = example("twilio");
    twilio["twilioAuthToken"] = json!(token);
    twilio["server"]["headers"]["Authorization"] = json!(format!("Bearer {header}"));
    twilio["assistantId"] = Value::Null;
    twilio["server"]["timeoutSeconds"] = json!(30.0);
    // 2. vonage: fallback number changed live; one 429 with Retry-After first.
    let mut vonage = example("vonage");
    vonage["fallbackDestination"]["number"] = json!("+447700900111");
    // 3. byo: a hook added live.
    let mut byo = example("byo-phone-number");
    byo["hooks"]
        .as_array_mut()
        .expect("hooks")
        .push(json!({"on": "call.ringing", "do": [{"type": "say", "exact": "hi"}]}));
    // 4. telnyx: assistant switched (workflow -> assistant).
    let mut telnyx = example("telnyx");
    telnyx.as_object_mut().expect("o").remove("workflowId");
    telnyx["assistantId"] = json!("99999999-7c8d-4e9f-a0b1-c2d3e4f5a6b7");
    // 5. vapi-sip: the webhook secret header rotated live.
    let mut sip = example("vapi-sip");
    sip["server"]["headers"] = json!({"X-Secret": rotated});
    // 6. vapi-pstn: deleted live.
    let pstn = example("vapi-pstn");

    let w = World::new(vec![
        twilio.clone(),
        vonage.clone(),
        byo.clone(),
        telnyx.clone(),
        sip.clone(),
    ]);
    w.standin.inject(
        SUPPORT_ID,
        vec![Fault::Status {
            code: 500,
            retry_after: None,
        }],
    );
    w.standin.inject(
        vonage["id"].as_str().expect("id"),
        vec![Fault::Status {
            code: 429,
            retry_after: Some("1".into()),
        }],
    );

    w.desired(
        "twilio.yaml",
        &format!(
            r#"id: {SUPPORT_ID}
provider: twilio
number: "+16505550142"
twilioAccountSid: AC0123456789abcdef0123456789abcdef
twilioAuthToken: ${{TWILIO_TOKEN}}
name: Support line (Twilio)
squadId: 5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f
hooks: {hooks}
server:
  url: https://hooks.example.com/vapi/twilio
  timeoutSeconds: 30
  headers:
    X-Tenant: acme
    Authorization: Bearer ${{WEBHOOK_TOKEN}}
  backoffPlan: {{type: exponential, maxRetries: 3, baseDelaySeconds: 1, excludedStatusCodes: [400, 401, 403, 404]}}
  encryptedPaths: [message.call.customer.number]
"#,
            hooks = serde_json::to_string(&twilio["hooks"]).expect("json")
        ),
    );
    w.desired("vonage.yaml", &desired_from(&example("vonage")));
    w.desired("byo.yaml", &desired_from(&example("byo-phone-number")));
    w.desired("telnyx.yaml", &desired_from(&example("telnyx")));
    let mut sip_desired = example("vapi-sip");
    sip_desired["server"]["headers"] = json!({"X-Secret": "${SIP_HOOK_SECRET}"});
    w.desired(
        "vapi.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&sip_desired),
            desired_from(&pstn)
        ),
    );

    let json_path = w.path("drift.json");
    // One GET per number: the faults above are injected per id.
    let run = w.check(
        &[
            "--fetch",
            "get",
            "-o",
            "text",
            "-o",
            &format!("json={}", json_path.display()),
        ],
        &[
            ("TWILIO_TOKEN", token),
            ("WEBHOOK_TOKEN", header),
            ("SIP_HOOK_SECRET", "hook-secret-CCCC-4444"),
        ],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let json_text = std::fs::read_to_string(&json_path).expect("json report written");
    let report: Value = serde_json::from_str(&json_text).expect("json");
    assert_eq!(report["status"], "drifted");
    assert_eq!(report["exit_code"], 2);
    assert_eq!(
        report["summary"],
        json!({"desired": 6, "checked": 6, "in_sync": 1, "modified": 4, "missing": 1, "not_checked": 0, "unmanaged": 0})
    );
    let status_of = |id: &Value| {
        statuses(&report)
            .into_iter()
            .find(|(i, _)| i == id.as_str().expect("id"))
            .map(|(_, s)| s)
            .expect("listed")
    };
    assert_eq!(status_of(&twilio["id"]), "IN_SYNC");
    assert_eq!(status_of(&vonage["id"]), "MODIFIED");
    assert_eq!(status_of(&byo["id"]), "MODIFIED");
    assert_eq!(status_of(&telnyx["id"]), "MODIFIED");
    assert_eq!(status_of(&sip["id"]), "MODIFIED");
    assert_eq!(status_of(&pstn["id"]), "MISSING");
    let id = |v: &Value| v["id"].as_str().expect("id").to_string();
    assert_eq!(
        paths_of(&report, &id(&vonage)),
        vec![("/fallbackDestination/number".into(), "NOT_EQUAL".into())]
    );
    assert_eq!(
        paths_of(&report, &id(&byo)),
        vec![("/hooks/1".into(), "ADD".into())]
    );
    assert_eq!(
        paths_of(&report, &id(&telnyx)),
        vec![
            ("/assistantId".into(), "ADD".into()),
            ("/workflowId".into(), "REMOVE".into())
        ]
    );
    assert_eq!(
        paths_of(&report, &id(&sip)),
        vec![("/server/headers/X-Secret".into(), "NOT_EQUAL".into())]
    );
    let sip_report = report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["id"] == sip["id"])
        .expect("sip");
    assert_eq!(sip_report["differences"][0]["sensitive"], true);
    assert_eq!(sip_report["differences"][0]["expected"], "<sensitive>");

    // Not one secret byte in any output.
    for secret in [token, header, rotated, "hook-secret-CCCC-4444", KEY] {
        assert!(!run.stdout.contains(secret), "stdout leaks {secret}");
        assert!(!run.stderr.contains(secret), "stderr leaks {secret}");
        assert!(!json_text.contains(secret), "json leaks {secret}");
    }
    // The 500 and the 429 were retried: two requests for each of those numbers.
    let stats = w.standin.stats();
    let count = |id: &str| {
        stats
            .requests
            .iter()
            .filter(|r| r.path.ends_with(id))
            .count()
    };
    assert_eq!(count(SUPPORT_ID), 2);
    assert_eq!(count(vonage["id"].as_str().expect("id")), 2);
}

#[test]
fn check_only_ever_sends_get_with_bearer_auth_and_a_user_agent() {
    let w = World::new(vec![example("vonage"), example("telnyx")]);
    w.desired(
        "a.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&example("vonage")),
            desired_from(&example("telnyx"))
        ),
    );
    let run = w.check(&["--fetch", "get"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let stats = w.standin.stats();
    assert_eq!(stats.requests.len(), 2);
    for r in &stats.requests {
        assert_eq!(r.method, "GET");
        assert!(r.authorized);
        let ua = r.user_agent.as_deref().expect("user agent");
        assert!(ua.starts_with("vapi-drift/"), "{ua}");
    }
}

#[test]
fn a_wrong_key_exits_1_within_a_handful_of_requests_and_never_echoes_the_key() {
    let lives: Vec<Value> = (0..40)
        .map(|i| {
            let mut v = example("vonage");
            v["id"] = json!(format!("id-{i:03}"));
            v
        })
        .collect();
    let w = World::new(lives.clone());
    let docs: Vec<String> = lives.iter().map(desired_from).collect();
    w.desired("many.yaml", &docs.join("\n---\n"));
    let mut cmd = w.command();
    cmd.args(["check", "--base-url", &w.standin.base_url(), "-o", "json"]);
    cmd.env("VAPI_API_KEY", "sk-wrong-key-0000");
    let run = common::Run::from(cmd.output().expect("runs"));
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("API key was rejected"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("sk-wrong-key-0000") && !run.stdout.contains("sk-wrong-key-0000"));
    let report = run.json();
    assert_eq!(report["status"], "error");
    assert_eq!(
        report["numbers"].as_array().expect("numbers").len(),
        40,
        "every number reported"
    );
    let requests = w.standin.stats().requests.len();
    assert!(requests <= 8 + 1, "stopped fast: {requests} requests");
}

#[test]
fn a_number_that_keeps_failing_is_not_checked_and_the_run_is_incomplete_exit_3() {
    let w = World::new(vec![example("vonage"), example("telnyx")]);
    w.standin.inject(
        example("telnyx")["id"].as_str().expect("id"),
        vec![
            Fault::Status {
                code: 503,
                retry_after: Some("0".into()),
            },
            Fault::Status {
                code: 503,
                retry_after: Some("0".into()),
            },
        ],
    );
    w.desired(
        "a.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&example("vonage")),
            desired_from(&example("telnyx"))
        ),
    );
    let run = w.check(&["--fetch", "get", "-o", "json", "--max-retries", "1"], &[]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["status"], "incomplete");
    let telnyx = &report["numbers"][1];
    assert_eq!(telnyx["status"], "NOT_CHECKED");
    let error = telnyx["error"].as_str().expect("reason");
    assert!(
        error.contains("HTTP 503") && error.contains("2 attempts"),
        "{error}"
    );
    assert_eq!(report["summary"]["checked"], 1);
}

#[test]
fn malformed_bodies_are_not_checked_with_the_reason() {
    let lives = vec![example("vonage"), example("telnyx"), example("twilio")];
    let w = World::new(lives.clone());
    w.standin.inject(
        lives[0]["id"].as_str().expect("id"),
        vec![Fault::MalformedJson],
    );
    w.standin.inject(
        lives[1]["id"].as_str().expect("id"),
        vec![Fault::Body(json!([1, 2]))],
    );
    w.standin
        .inject(lives[2]["id"].as_str().expect("id"), vec![Fault::HtmlOk]);
    let docs: Vec<String> = lives.iter().map(desired_from).collect();
    w.desired("a.yaml", &docs.join("\n---\n"));
    let run = w.check(&["--fetch", "get", "-o", "json"], &[("TWILIO_TOKEN", "x")]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let errors: Vec<String> = report["numbers"]
        .as_array()
        .expect("n")
        .iter()
        .map(|n| {
            assert_eq!(n["status"], "NOT_CHECKED");
            n["error"].as_str().expect("error").to_string()
        })
        .collect();
    assert!(errors[0].contains("not valid JSON"), "{errors:?}");
    assert!(
        errors[1].contains("expected a phone-number object, got a list"),
        "{errors:?}"
    );
    assert!(
        errors[2].contains("not valid JSON") && errors[2].contains("text/html"),
        "{errors:?}"
    );
}

#[test]
fn a_hanging_request_times_out_and_the_others_go_on() {
    let lives = vec![example("vonage"), example("telnyx")];
    let w = World::new(lives.clone());
    w.standin.inject(
        lives[0]["id"].as_str().expect("id"),
        vec![Fault::Hang, Fault::Hang],
    );
    w.desired(
        "a.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&lives[0]),
            desired_from(&lives[1])
        ),
    );
    let started = std::time::Instant::now();
    let run = w.check(
        &[
            "--fetch",
            "get",
            "-o",
            "json",
            "--timeout",
            "0.5",
            "--max-retries",
            "1",
            "--max-retry-wait",
            "0.1",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["numbers"][0]["status"], "NOT_CHECKED");
    assert!(
        report["numbers"][0]["error"]
            .as_str()
            .expect("e")
            .contains("timed out"),
        "{report}"
    );
    assert_eq!(report["numbers"][1]["status"], "IN_SYNC");
    // A bound, not a benchmark: two 0.5 s timeouts and a short wait, far under 30 s.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn the_server_never_sees_more_requests_in_flight_than_the_concurrency_bound() {
    let lives: Vec<Value> = (0..24)
        .map(|i| {
            let mut v = example("telnyx");
            v["id"] = json!(format!("id-{i:03}"));
            v
        })
        .collect();
    let w = World::with_config(StandInConfig {
        api_key: KEY.into(),
        numbers: lives.clone(),
        latency: Duration::from_millis(60),
        ..StandInConfig::default()
    });
    let docs: Vec<String> = lives.iter().map(desired_from).collect();
    w.desired("many.yaml", &docs.join("\n---\n"));
    let run = w.check(&["--fetch", "get", "--concurrency", "3"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let stats = w.standin.stats();
    assert_eq!(stats.requests.len(), 24);
    assert!(stats.peak_in_flight <= 3, "peak {}", stats.peak_in_flight);
    assert!(
        stats.peak_in_flight >= 2,
        "fetches ran concurrently: peak {}",
        stats.peak_in_flight
    );
}

#[test]
fn exit_zero_reports_drift_but_exits_0() {
    let mut live = example("vonage");
    live["name"] = json!("renamed by hand");
    let w = World::new(vec![live]);
    w.desired("a.yaml", &desired_from(&example("vonage")));
    let run = w.check(&["--exit-zero", "-o", "json"], &[]);
    assert_eq!(run.code, 0);
    let report = run.json();
    assert_eq!(report["status"], "drifted");
    assert_eq!(report["exit_code"], 0);
}

#[test]
fn invalid_desired_config_exits_1_before_any_request() {
    let w = World::new(vec![example("vonage")]);
    w.desired("bad.yaml", "id: x\nprovider: vonage\nnumber: \"+1\"\ncredentialId: c\nfallbackDestinaton:\n  type: number\n");
    let run = w.check(&[], &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("desired/bad.yaml:5:1: unknown key \"fallbackDestinaton\" (did you mean \"fallbackDestination\"?)"),
        "{}",
        run.stderr
    );
    assert_eq!(w.standin.stats().requests.len(), 0);
}

#[test]
fn usage_errors_exit_64_not_2() {
    let w = World::new(vec![]);
    let run = common::Run::from(
        w.command()
            .args(["check", "--concurrancy", "3"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 64, "{}", run.stderr);
    let run = common::Run::from(
        w.command()
            .args(["check", "--concurrency", "0"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 64, "{}", run.stderr);
    let run = common::Run::from(
        w.command()
            .args(["check", "-o", "yaml"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 64, "{}", run.stderr);
    let run = common::Run::from(w.command().args(["--help"]).output().expect("runs"));
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("64  usage error"), "{}", run.stdout);
}

#[test]
fn missing_key_and_plain_http_to_a_remote_host_are_setup_errors() {
    let w = World::new(vec![example("vonage")]);
    w.desired("a.yaml", &desired_from(&example("vonage")));
    let run = common::Run::from(
        w.command()
            .args(["check", "--base-url", &w.standin.base_url()])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("VAPI_API_KEY is not set"),
        "{}",
        run.stderr
    );
    let run = common::Run::from(
        w.command()
            .args(["check", "--base-url", "http://api.vapi.ai"])
            .env("VAPI_API_KEY", KEY)
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("refusing to send the API key over plain http"),
        "{}",
        run.stderr
    );
}

#[test]
fn validate_is_offline_and_exits_0_or_1() {
    let w = World::new(vec![]);
    w.desired("a.yaml", &desired_from(&example("vonage")));
    let run = common::Run::from(
        w.command()
            .args(["validate", "desired"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("1 desired phone number in 1 file are valid"),
        "{}",
        run.stdout
    );
    // Unset variables: an error, unless --allow-unset-env (pull requests have no secrets);
    // everything else is still checked then.
    w.desired(
        "c.yaml",
        "id: c\nprovider: twilio\nnumber: \"+1\"\ntwilioAccountSid: AC\ntwilioAuthToken: ${UNSET_TOKEN}\n",
    );
    let run = common::Run::from(
        w.command()
            .args(["validate", "desired"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("desired/c.yaml:5:18: environment variable UNSET_TOKEN is not set"),
        "{}",
        run.stderr
    );
    let run = common::Run::from(
        w.command()
            .args(["validate", "--allow-unset-env", "desired"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    w.desired(
        "d.yaml",
        "id: d\nprovider: vapi\nsipUri: ${UNSET_URI}\nnmae: typo\n",
    );
    let run = common::Run::from(
        w.command()
            .args(["validate", "--allow-unset-env", "desired"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("desired/d.yaml:4:1: unknown key \"nmae\""),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("UNSET_URI"), "{}", run.stderr);
    std::fs::remove_file(w.path("desired/c.yaml")).expect("rm");
    std::fs::remove_file(w.path("desired/d.yaml")).expect("rm");
    w.desired("b.yaml", "id: [unclosed\n");
    let run = common::Run::from(
        w.command()
            .args(["validate", "desired"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("desired/b.yaml:"), "{}", run.stderr);
    assert_eq!(w.standin.stats().requests.len(), 0);
}

#[test]
fn an_unwritable_report_path_exits_1_after_writing_the_others() {
    let w = World::new(vec![example("vonage")]);
    w.desired("a.yaml", &desired_from(&example("vonage")));
    let good = w.path("ok.json");
    let run = w.check(
        &[
            "-o",
            "json=missing-dir/r.json",
            "-o",
            &format!("json={}", good.display()),
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("missing-dir/r.json"), "{}", run.stderr);
    assert!(good.exists());
    // Regression (review #7): the report that was written tells the exit code the
    // process really had.
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&good).expect("read")).expect("json");
    assert_eq!(written["exit_code"], 1, "{written}");
    assert_eq!(written["status"], "in_sync", "{written}");
}

/// Regression (review #5, #10): a gate must never pass on "0 numbers, in sync", and a
/// flag mistake is a usage error.
#[test]
fn nothing_to_audit_is_an_error_not_in_sync() {
    let w = World::new(vec![example("vonage")]);
    w.desired("a.yaml", &desired_from(&example("vonage")));
    let run = w.check(&["--only", "nomatch*"], &[]);
    assert_eq!(run.code, 64, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--only/--exclude select none of the 1 desired phone numbers"),
        "{}",
        run.stderr
    );
    let run = w.check(&["-o", "text", "-o", "json"], &[]);
    assert_eq!(run.code, 64, "{}", run.stderr);
    assert!(
        run.stderr.contains("at most one report can go to stdout"),
        "{}",
        run.stderr
    );
    let empty = World::new(vec![]);
    empty.desired("empty.yaml", "# nothing here yet\n---\n");
    let run = empty.check(&[], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("no phone numbers declared"),
        "{}",
        run.stderr
    );
    // Upper-case extensions are desired files too.
    let upper = World::new(vec![example("vonage")]);
    upper.desired("A.YAML", &desired_from(&example("vonage")));
    let run = upper.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["desired"], 1);
}

#[test]
fn demo_runs_against_the_built_in_stand_in_and_exits_0() {
    let run = common::Run::from(
        std::process::Command::new(env!("CARGO_BIN_EXE_vapi-drift"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["demo", "-o", "json"])
            .env("NO_COLOR", "1")
            .env_remove("VAPI_API_KEY")
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("would exit with code 2"),
        "{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["summary"]["modified"], 3, "{report}");
    assert_eq!(report["summary"]["in_sync"], 3, "{report}");
    assert_eq!(report["summary"]["unmanaged"], 1, "{report}");
    assert_eq!(report["unmanaged"][0]["name"], "Test line (made by hand)");
    for secret in [
        "demo-webhook-token",
        "f0e1d2c3b4a5968778695a4b3c2d1e0f",
        "Ex4mple-SIP-pass-not-real",
    ] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "leaks {secret}"
        );
    }
}
