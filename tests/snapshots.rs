//! Snapshot tests of everything a person reads: the text and JSON reports on a
//! fixed audit with every status, and the rendered config errors.

mod common;

use common::{World, desired_from, example};
use serde_json::json;
use vapi_standin::Fault;

/// IN_SYNC (telnyx, with a health warning), MODIFIED (vonage: fallback number and a
/// rotated webhook secret; twilio: a hook added live), MISSING (vapi-pstn),
/// NOT_CHECKED (byo: 500 for ever).
fn fixed_audit(format: &str) -> common::Run {
    let telnyx = example("telnyx");
    let mut vonage = example("vonage");
    vonage["fallbackDestination"]["number"] = json!("+447700900111");
    vonage["server"] = json!({"url": "https://hooks.example.com/uk", "headers": {"Authorization": "Bearer live-rotated-secret"}});
    let mut twilio = example("twilio");
    twilio["hooks"]
        .as_array_mut()
        .expect("hooks")
        .push(json!({"on": "call.ringing", "do": [{"type": "say", "exact": "Added by hand"}]}));
    let byo = example("byo-phone-number");
    let pstn = example("vapi-pstn");
    let w = World::new(vec![
        telnyx.clone(),
        vonage.clone(),
        twilio.clone(),
        byo.clone(),
    ]);
    w.standin.inject(
        byo["id"].as_str().expect("id"),
        vec![Fault::Status {
            code: 500,
            retry_after: None,
        }],
    );
    let mut vonage_desired = example("vonage");
    vonage_desired["server"] = json!({"url": "https://hooks.example.com/uk", "headers": {"Authorization": "Bearer ${UK_TOKEN}"}});
    w.desired("a-telnyx.yaml", &desired_from(&telnyx));
    w.desired("b-vonage.yaml", &desired_from(&vonage_desired));
    w.desired("c-twilio.yaml", &desired_from(&example("twilio")));
    w.desired("d-byo.yaml", &desired_from(&byo));
    w.desired("e-pstn.yaml", &desired_from(&pstn));
    // One GET per number: the 500 is injected for one id.
    let run = w.check(
        &["--fetch", "get", "-o", format, "--max-retries", "0"],
        &[("UK_TOKEN", "desired-secret-value")],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    for secret in [
        "live-rotated-secret",
        "desired-secret-value",
        "example-token-not-real",
        "f0e1d2c3b4a5968778695a4b3c2d1e0f",
    ] {
        assert!(
            !run.stdout.contains(secret),
            "{format} report leaks {secret}"
        );
    }
    run
}

#[test]
fn text_report_with_every_status() {
    insta::assert_snapshot!(fixed_audit("text").stdout);
}

#[test]
fn json_report_with_every_status() {
    let run = fixed_audit("json");
    let report = run.json();
    assert_eq!(report["format_version"], 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn config_errors_as_the_user_sees_them() {
    let w = World::new(vec![]);
    w.desired(
        "lines.yaml",
        r#"id: 11111111-0000-4000-8000-000000000001
provider: twilio
number: "+16505550142"
twilioAccountSid: AC0123
twilioAuthToken: ${NOT_SET_TOKEN}
smsEnabled: yes
orgId: c1d2e3f4
fallbackDestinaton:
  type: number
server:
  url: https://hooks.example.com
  timeoutSecond: 20
  backoffPlan:
    type: fixd
    maxRetries: 3
    baseDelaySeconds: 1
hooks:
  - on: call.ringing
    do:
      - type: transfer
        destination:
          type: phone
---
provider: vonage
number: "+1"
credentialId: c
---
id: 11111111-0000-4000-8000-000000000001
provider: skype
"#,
    );
    w.desired("broken.yaml", "id: x\nprovider: [vonage\n");
    let run = common::Run::from(w.command().args(["validate"]).output().expect("runs"));
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stderr);
}
