//! Never hide drift (issue 10): the real binary against the stand-in, one test per
//! item: a field the desired file states is never dropped, fields the schema does
//! not know are reported apart, one matcher for every selector, values from
//! `${VAR}` are secrets, every shape the API allows round-trips through `export`
//! and `check` on both routes, and a damaged list element damages only itself.

mod common;

use common::generated::{Gen, PROVIDERS};
use common::{KEY, Run, World, desired_from, example, placeholders_in};
use serde_json::{Value, json};

/// `export` into `exported/`, then the environment its placeholders need: each
/// variable set to the live value at its path (a non-string value as its text),
/// read back from the files export wrote.
fn export(w: &World, lives: &[Value]) -> Vec<(String, String)> {
    let base = w.standin.base_url();
    let run = Run::from(
        w.command()
            .args(["export", "--out", "exported", "--base-url", base.as_str()])
            .env("VAPI_API_KEY", KEY)
            .output()
            .expect("export runs"),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mut env: Vec<(String, String)> = Vec::new();
    let dir = w.path("exported");
    for entry in std::fs::read_dir(&dir).expect("exported") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("exported file");
        for doc in vapi_drift::yaml::parse_documents(&text).expect("yaml") {
            let doc = doc.to_json();
            let live = lives
                .iter()
                .find(|l| l["id"] == doc["id"])
                .unwrap_or_else(|| panic!("no live number {}", doc["id"]));
            for (name, pointer) in placeholders_in(&doc) {
                let value = match live.pointer(&pointer).expect("the variable's path is live") {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match env.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => assert_eq!(*v, value, "{name} stands for two values"),
                    None => env.push((name, value)),
                }
            }
        }
    }
    env
}

fn check_exported(w: &World, route: &str, env: &[(String, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    w.check(&["exported", "--fetch", route, "-o", "json"], &env)
}

/// `export`, then `check` on what it wrote by the list and by GET: both exit 0.
fn round_trips(lives: Vec<Value>) {
    let w = World::new(lives.clone());
    let env = export(&w, &lives);
    for route in ["list", "get"] {
        let run = check_exported(&w, route, &env);
        let report = run.json();
        let drifted: Vec<&Value> = report["numbers"]
            .as_array()
            .expect("numbers")
            .iter()
            .filter(|n| n["status"] != "IN_SYNC")
            .collect();
        assert_eq!(
            (run.code, drifted.len()),
            (0, 0),
            "--fetch {route}: {drifted:#?}\n{}",
            run.stderr
        );
        assert_eq!(report["summary"]["in_sync"], lives.len());
    }
}

#[test]
fn a_vapi_number_that_moved_is_drift_when_the_desired_file_states_it() {
    // Item 3: `number` of a vapi number was dropped from both sides: a number
    // that moved was IN_SYNC.
    let live = example("vapi-pstn");
    let w = World::new(vec![live.clone()]);
    let mut pinned = live.clone();
    pinned["number"] = json!("+14155550999");
    w.desired("vapi.yaml", &desired_from(&pinned));
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        common::paths_of(&report, live["id"].as_str().expect("id")),
        vec![("/number".to_string(), "NOT_EQUAL".to_string())]
    );
    // Not stated: Vapi assigns it, and it is no difference.
    let mut unpinned = live.clone();
    for k in ["number", "numberDesiredAreaCode"] {
        unpinned.as_object_mut().expect("object").remove(k);
    }
    w.desired("vapi.yaml", &desired_from(&unpinned));
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn header_names_that_differ_only_by_case_round_trip_and_stop_nobody() {
    // Item 14: export wrote both, then validate/check refused the whole config.
    let mut odd = example("twilio");
    odd["server"]["headers"] = json!({"X-A": "one", "x-a": "two"});
    let plain = example("vonage");
    round_trips(vec![odd.clone(), plain]);
    // A changed value of either spelling is drift.
    let w = World::new(vec![odd.clone()]);
    let mut desired = odd.clone();
    desired["server"]["headers"]["x-a"] = json!("three");
    w.desired("odd.yaml", &desired_from(&desired));
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        common::paths_of(&run.json(), odd["id"].as_str().expect("id")),
        vec![("/server/headers/x-a".to_string(), "NOT_EQUAL".to_string())]
    );
}

#[test]
fn header_values_that_are_not_strings_round_trip() {
    // Item 15: they became "${VAR}" strings and reported <sensitive, changed>.
    let mut live = example("byo-phone-number");
    live["server"]["headers"] = json!({"X-Retries": 5, "X-Debug": true, "X-Obj": {"a": 1.5}});
    round_trips(vec![live.clone()]);
    // Text and number are one header value; a different number is not.
    let w = World::new(vec![live.clone()]);
    let mut desired = live.clone();
    desired["server"]["headers"]["X-Retries"] = json!("6");
    w.desired("byo.yaml", &desired_from(&desired));
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_list_item_that_normalizes_to_nothing_round_trips() {
    // Item 17: `[{}]` became `[null]`, export wrote `- null`, check exited 1.
    let mut live = example("twilio");
    live["fallbackDestination"] = json!({"type": "number", "number": "+14155550100",
    "transferPlan": {
        "mode": "warm-transfer-say-summary",
        "summaryPlan": {"messages": [{}, {"role": "system", "content": "sum up"}]}
    }});
    round_trips(vec![live]);
}

#[test]
fn generated_live_numbers_round_trip_through_the_binary_on_both_routes() {
    let mut g = Gen::new(7);
    let lives: Vec<Value> = (0..40)
        .flat_map(|i| PROVIDERS.map(|p| (i, p)))
        .map(|(i, p)| g.live_number(p, &format!("pn-{i:03}-{p}")))
        .collect();
    round_trips(lives);
}

/// Every format of one check, each to its own file; the exit code.
fn all_formats(w: &World, args: &[&str]) -> (i32, [String; 5]) {
    let names = ["text", "json", "markdown", "junit", "github"];
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    for n in names {
        all.push("-o".into());
        all.push(format!("{n}={}", w.path(n).display()));
    }
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let run = w.check(&all, &[]);
    let read = |n: &str| std::fs::read_to_string(w.path(n)).expect("report written");
    (run.code, names.map(read))
}

#[test]
fn fields_the_schema_does_not_know_are_reported_apart_not_as_drift() {
    // Item 6: after a Vapi release every number was MODIFIED.
    let mut live = example("vonage");
    let desired = desired_from(&live);
    live["isDeleted"] = json!(false);
    live["isServerUrlSecretSet"] = json!(true);
    live["server"]["futureThing"] = json!({"a": 1});
    let w = World::new(vec![live.clone()]);
    w.desired("vonage.yaml", &desired);
    let (code, [text, json, markdown, junit, github]) = all_formats(&w, &[]);
    assert_eq!(code, 0, "{text}");
    let report: Value = serde_json::from_str(&json).expect("json");
    let n = &report["numbers"][0];
    assert_eq!(n["status"], "IN_SYNC", "{n}");
    assert_eq!(n["differences"], json!([]));
    assert_eq!(
        n["unknown_fields"],
        json!([
            {"path": "/isDeleted", "value": false, "sensitive": false},
            {"path": "/isServerUrlSecretSet", "value": null, "sensitive": true},
            {"path": "/server/futureThing", "value": {"a": 1}, "sensitive": false},
        ])
    );
    assert_eq!(report["summary"]["unknown_fields"], 3);
    assert_eq!(report["format_version"], 1);
    for (name, body) in [
        ("text", &text),
        ("markdown", &markdown),
        ("junit", &junit),
        ("github", &github),
    ] {
        assert!(body.contains("/isDeleted"), "{name}: {body}");
        assert!(body.contains("/server/futureThing"), "{name}: {body}");
        assert!(body.contains("/isServerUrlSecretSet"), "{name}: {body}");
        assert!(body.contains("not compared"), "{name}: {body}");
    }
    assert!(text.contains("? /isDeleted = false (1 number)"), "{text}");
    assert!(
        text.contains("? /isServerUrlSecretSet = <sensitive>"),
        "{text}"
    );
    assert!(
        github.contains("::notice title=vapi-drift%3A unknown field /isDeleted::"),
        "{github}"
    );
    // --fail-on-unknown-fields makes them drift.
    let (code, [text, _, markdown, junit, github]) = all_formats(&w, &["--fail-on-unknown-fields"]);
    assert_eq!(code, 2, "{text}");
    assert!(markdown.contains("--fail-on-unknown-fields"), "{markdown}");
    assert!(junit.contains("type=\"UNKNOWN_FIELDS\""), "{junit}");
    assert!(
        github.contains("::error title=vapi-drift%3A unknown field"),
        "{github}"
    );
    // A real change beside them is still drift, and only it is a difference.
    let mut changed = live.clone();
    changed["name"] = json!("renamed");
    w.standin.upsert(changed);
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        common::paths_of(&run.json(), live["id"].as_str().expect("id")),
        vec![("/name".to_string(), "NOT_EQUAL".to_string())]
    );
}

#[test]
fn ignore_rules_select_numbers_as_every_other_selector_does() {
    // Item 7: `numbers:` matched the number only as written, case-sensitively.
    let mut live = example("vonage");
    live["number"] = json!("+14155550107");
    live["name"] = json!("support line");
    let mut desired = live.clone();
    desired["number"] = json!("+1 (415) 555-0107");
    live["squadId"] = json!("5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f");
    let w = World::new(vec![live]);
    w.desired("support.yaml", &desired_from(&desired));
    for glob in ["+1415555010*", "Support*"] {
        std::fs::write(
            w.path("rules.yaml"),
            format!("rules:\n  - numbers: [\"{glob}\"]\n    paths: [/squadId]\n    reason: squads move\n"),
        )
        .expect("rules");
        let run = w.check(&["-o", "json", "--ignore-file", "rules.yaml"], &[]);
        assert_eq!(run.code, 0, "{glob}: {}", run.stdout);
        let report = run.json();
        assert_eq!(
            report["numbers"][0]["ignored"][0]["path"], "/squadId",
            "{glob}"
        );
        // The same glob as --only selects the same number.
        let only = w.check(
            &["-o", "json", "--only", glob, "--ignore-file", "rules.yaml"],
            &[],
        );
        assert_eq!(only.json()["summary"]["desired"], 1, "{glob}");
    }
}

#[test]
fn a_list_element_no_json_value_can_hold_damages_only_itself() {
    // Item 19: one `1e400` (or lone surrogate) in a list page made the whole page
    // malformed, and every number on it NOT_CHECKED.
    let numbers: Vec<Value> = (0..3)
        .map(|i| {
            let mut n = example("vonage");
            n["id"] = json!(format!("pn-{i}"));
            n["number"] = json!(format!("+1415555010{i}"));
            n
        })
        .collect();
    let w = World::new(numbers.clone());
    let docs: Vec<String> = numbers.iter().map(desired_from).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    for poison in [r#""x": 1e400"#, r#""name": "\ud800""#] {
        let bad = |n: &Value| {
            let text = n.to_string();
            format!("{}, {poison}}}", &text[..text.len() - 1]).into_bytes()
        };
        let page = format!(
            r#"{{"results": [{}, {}, {}], "metadata": {{"itemsPerPage": 1000, "totalItems": 3, "currentPage": 1, "totalPages": 1, "hasNextPage": false}}}}"#,
            numbers[0],
            String::from_utf8(bad(&numbers[1])).expect("utf-8"),
            numbers[2]
        );
        let raw = |body: Vec<u8>| vapi_standin::Fault::Raw {
            status: 200,
            headers: vec![],
            body,
        };
        w.standin.inject_list(vec![raw(page.into_bytes())]);
        // Read again by GET, it is as damaged there: that number alone is not checked.
        w.standin.inject("pn-1", vec![raw(bad(&numbers[1]))]);
        let run = w.check(&["-o", "json"], &[]);
        let report = run.json();
        assert_eq!(
            common::statuses(&report),
            vec![
                ("pn-0".to_string(), "IN_SYNC".to_string()),
                ("pn-1".to_string(), "NOT_CHECKED".to_string()),
                ("pn-2".to_string(), "IN_SYNC".to_string()),
            ],
            "{poison}: {report}"
        );
        assert_eq!(run.code, 3, "{}", run.stderr);
        let why = report["numbers"][1]["error"].as_str().expect("error");
        assert!(why.contains("not valid JSON"), "{why}");
        assert_eq!(report["unmanaged_check"], "incomplete");
        assert!(
            report["unmanaged_check_reason"]
                .as_str()
                .expect("reason")
                .contains("(id \"pn-1\")"),
            "{report}"
        );
    }
}

#[test]
fn a_value_from_an_environment_variable_is_masked_in_every_output() {
    // Item 12: a token interpolated into server.url's query string was printed
    // in JSON, text and Markdown.
    const TOKEN: &str = "tok-7Hq2sLx9";
    const ROTATED: &str = "rot-Zz81Kq3w";
    const PLAIN: &str = "plain-Qk4mX7";
    let mut live = example("vonage");
    live["server"] = json!({"url": format!("https://hooks.example.com/vapi?tenant=acme&token={ROTATED}"),
                            "headers": {"X-Ref": PLAIN}});
    live["name"] = json!("Renamed by hand");
    let id = live["id"].as_str().expect("id").to_string();
    let w = World::new(vec![live.clone()]);
    let mut desired: Value = serde_json::from_str(&desired_from(&live)).expect("json");
    desired["server"]["url"] =
        json!("https://hooks.example.com/vapi?tenant=acme&token=${HOOK_TOKEN}");
    desired["server"]["headers"]["X-Ref"] = json!("${REF}");
    desired["name"] = json!("Support line");
    desired["fallbackDestination"] = json!({"type": "number", "number": "+14155550100",
        "description": "ask ${WHO} first"});
    live["fallbackDestination"] = json!({"type": "number", "number": "+14155550100",
        "description": "ask nobody first"});
    w.standin.upsert(live);
    w.desired(
        "vonage.yaml",
        &serde_json::to_string_pretty(&desired).expect("json"),
    );
    let env = [("HOOK_TOKEN", TOKEN), ("REF", PLAIN), ("WHO", "ops-Vb3nR5")];
    let names = ["text", "json", "markdown", "junit", "github"];
    let mut args: Vec<String> = Vec::new();
    for n in names {
        args.push("-o".into());
        args.push(format!("{n}={}", w.path(n).display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = w.check(&args, &env);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let mut outputs: Vec<(String, String)> = names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read_to_string(w.path(n)).expect("report"),
            )
        })
        .collect();
    outputs.push(("stderr".into(), run.stderr.clone()));
    let explain = Run::from(
        w.command()
            .args(["explain", id.as_str(), "--base-url", &w.standin.base_url()])
            .env("VAPI_API_KEY", KEY)
            .envs(env)
            .output()
            .expect("explain runs"),
    );
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    outputs.push(("explain".into(), explain.stdout.clone() + &explain.stderr));
    for (name, text) in &outputs {
        for secret in [TOKEN, ROTATED, PLAIN, "ops-Vb3nR5"] {
            assert!(!text.contains(secret), "{name} leaks {secret}:\n{text}");
        }
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("json")).expect("json"))
            .expect("json");
    let differences = &report["numbers"][0]["differences"];
    let url = differences
        .as_array()
        .expect("differences")
        .iter()
        .find(|d| d["path"] == "/server/url")
        .unwrap_or_else(|| panic!("{differences}"));
    assert_eq!(url["sensitive"], true);
    // The difference still shows: the changed value is marked, not hidden.
    assert_eq!(url["actual"], "<sensitive, changed>", "{url}");
    // The name is no secret and stays readable.
    assert!(outputs[0].1.contains("Renamed by hand"), "{}", outputs[0].1);
    // A message that would quote a value from ${VAR} does not.
    desired["fallbackDestination"]["transferPlan"] = json!({"mode": "${MODE}"});
    w.desired(
        "vonage.yaml",
        &serde_json::to_string_pretty(&desired).expect("json"),
    );
    let validate = Run::from(
        w.command()
            .args(["validate", "desired"])
            .envs(env)
            .env("MODE", "mode-Kx9q2Z")
            .output()
            .expect("validate runs"),
    );
    assert_eq!(validate.code, 1);
    assert!(
        validate.stderr.contains("invalid value"),
        "{}",
        validate.stderr
    );
    assert!(
        !validate.stderr.contains("mode-Kx9q2Z"),
        "{}",
        validate.stderr
    );
}

#[test]
fn help_never_shows_a_secret_from_the_environment() {
    // Item 13: --help prints the values of the variables its flags read (clap's
    // `env`); none of them may be a secret.
    let w = World::new(vec![]);
    for args in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["export", "--help"],
        vec!["explain", "--help"],
        vec!["validate", "--help"],
    ] {
        let run = Run::from(
            w.command()
                .args(&args)
                .env("VAPI_API_KEY", "zsek-api-key-Qw81")
                .env("TWILIO_AUTH_TOKEN", "zsek-token-Lp02")
                .output()
                .expect("help runs"),
        );
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            !run.stdout.contains("zsek") && !run.stderr.contains("zsek"),
            "{args:?}"
        );
    }
}
