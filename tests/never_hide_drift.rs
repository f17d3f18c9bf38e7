//! Issue 10: equivalences the audit must apply (and nothing more), so that real drift
//! is never hidden and spellings that mean the same thing are not drift. Each test
//! runs the built binary against the API stand-in on loopback.

mod common;

use common::{World, desired_from, example, paths_of, statuses};
use proptest::prelude::*;
use serde_json::{Value, json};

/// `check -o json` with the given extra arguments; the report and the exit code.
fn check_json(w: &World, args: &[&str], env: &[(&str, &str)]) -> (Value, i32) {
    let mut all = vec!["-o", "json", "--unmanaged", "ignore"];
    all.extend_from_slice(args);
    let run = w.check(&all, env);
    assert!(
        matches!(run.code, 0 | 2),
        "exit {}\n{}\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    (run.json(), run.code)
}

fn status_of(report: &Value, id: &str) -> String {
    statuses(report)
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no number {id} in {report}"))
}

// ---------------------------------------------------------------- item 16: floats

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// A desired file with the exact text of a live float is in sync, whether the
    /// number is read by GET or through the list (which keeps listed numbers as JSON
    /// text and reads them back).
    #[test]
    fn a_desired_file_with_the_live_float_text_is_in_sync_on_both_routes(
        floats in prop::collection::vec(1.0f64..300.0, 8)
    ) {
        let base = example("vonage");
        let id = base["id"].as_str().expect("id").to_string();
        let lives: Vec<Value> = floats.iter().enumerate().map(|(i, f)| {
            let mut live = base.clone();
            live["id"] = json!(format!("{}{:02}", &id[..id.len() - 2], i));
            live["server"]["timeoutSeconds"] = json!(f);
            live
        }).collect();
        let w = World::new(lives.clone());
        // desired_from writes the live object as JSON: each float exactly as the API spells it.
        let docs: Vec<String> = lives.iter().map(desired_from).collect();
        w.desired("floats.yaml", &docs.join("\n---\n"));
        for route in ["get", "list"] {
            let (report, code) = check_json(&w, &["--fetch", route], &[]);
            prop_assert_eq!(code, 0, "--fetch {}: {}", route, report);
            prop_assert_eq!(&report["summary"]["in_sync"], &json!(lives.len()));
        }
    }
}

/// The property above runs a test build, where the stand-in (a dev-dependency that
/// enables `float_roundtrip` for itself) turns the feature on for the whole build:
/// it cannot see whether the shipped binary has it. This pins the product's own
/// manifest, which decides that for `cargo build --release` and `cargo install`.
#[test]
fn the_shipped_binary_reads_floats_exactly_too() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml");
    let deps = manifest
        .split("\n[dependencies]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .expect("a [dependencies] table");
    let serde_json = deps
        .lines()
        .find(|l| l.trim_start().starts_with("serde_json"))
        .expect("serde_json is a dependency of the product");
    assert!(serde_json.contains("\"float_roundtrip\""), "{serde_json}");
}

// ---------------------------------------------------------------- item 18: startsWith

/// The spec's array-level `maxLength: 20` on `startsWith` is the per-item limit
/// repeated (a known generator defect): 25 prefixes are a valid desired file.
#[test]
fn a_ringing_filter_with_more_than_20_prefixes_is_accepted_and_compared() {
    let prefixes: Vec<String> = (0..25).map(|i| format!("4{i}")).collect();
    let mut live = example("twilio");
    live["hooks"][0]["filters"][0]["startsWith"] = json!(prefixes);
    let id = live["id"].as_str().expect("id").to_string();
    let w = World::new(vec![live.clone()]);
    w.desired("twilio.yaml", &desired_from(&live));
    let (report, code) = check_json(&w, &[], &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(status_of(&report, &id), "IN_SYNC");
    // One prefix fewer live is drift on the whole set.
    let mut fewer = live.clone();
    fewer["hooks"][0]["filters"][0]["startsWith"]
        .as_array_mut()
        .expect("list")
        .pop();
    w.standin.upsert(fewer);
    let (report, code) = check_json(&w, &[], &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        paths_of(&report, &id),
        vec![("/hooks/0/filters".to_string(), "NOT_EQUAL".to_string())]
    );
}

/// A provider example under another id (`n` replaces the id's last two digits).
fn numbered(name: &str, n: usize) -> Value {
    let mut live = example(name);
    let id = live["id"].as_str().expect("id").to_string();
    live["id"] = json!(format!("{}{n:02}", &id[..id.len() - 2]));
    live
}

fn id_of(live: &Value) -> String {
    live["id"].as_str().expect("id").to_string()
}

/// One world: each (live, desired) pair is one number; the report of one `check`.
fn audit(pairs: &[(Value, Value)]) -> Value {
    let w = World::new(pairs.iter().map(|(live, _)| live.clone()).collect());
    let docs: Vec<String> = pairs.iter().map(|(_, d)| desired_from(d)).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    check_json(&w, &[], &[]).0
}

fn pair(live: &Value, edit: impl FnOnce(&mut Value)) -> (Value, Value) {
    let mut desired = live.clone();
    edit(&mut desired);
    (live.clone(), desired)
}

/// The status and difference paths of each number, in the order given.
fn outcome(report: &Value, pairs: &[(Value, Value)]) -> Vec<(String, Vec<String>)> {
    pairs
        .iter()
        .map(|(live, _)| {
            let id = id_of(live);
            let paths = paths_of(report, &id).into_iter().map(|(p, _)| p).collect();
            (status_of(report, &id), paths)
        })
        .collect()
}

fn in_sync() -> (String, Vec<String>) {
    ("IN_SYNC".to_string(), vec![])
}

fn drift(path: &str) -> (String, Vec<String>) {
    ("MODIFIED".to_string(), vec![path.to_string()])
}

// ---------------------------------------------------------------- items 1-2: SIP URIs

/// RFC 3261 §19.1.4: the user part and URI header values are case-sensitive; the
/// scheme, host and parameter names are not, and parameter order is not significant.
#[test]
fn sip_uris_fold_only_what_rfc_3261_folds_at_any_depth() {
    let byo = |n| {
        let mut live = numbered("byo-phone-number", n);
        live["fallbackDestination"]["sipUri"] =
            json!("sip:frontdesk@pbx.example.com;lr;transport=tcp?X-Auth=AbCd");
        live
    };
    let pairs = vec![
        // 0. user part case: drift (today: folded, a false "in sync").
        pair(&byo(10), |d| {
            d["fallbackDestination"]["sipUri"] =
                json!("sip:Frontdesk@pbx.example.com;lr;transport=tcp?X-Auth=AbCd")
        }),
        // 1. header value case: drift.
        pair(&byo(11), |d| {
            d["fallbackDestination"]["sipUri"] =
                json!("sip:frontdesk@pbx.example.com;lr;transport=tcp?X-Auth=abcd")
        }),
        // 2. scheme, host, parameter names and values RFC 3261 defines, parameter
        //    order, header name case, %-escaped unreserved characters: the same URI.
        pair(&byo(12), |d| {
            d["fallbackDestination"]["sipUri"] =
                json!("SIP:%66rontdesk@PBX.Example.COM;Transport=TCP;LR?x-auth=AbCd")
        }),
        // 3. inside a hook's transfer destination: the user part still counts.
        {
            let mut live = byo(13);
            live["hooks"][0]["do"]["destination"] =
                json!({"type": "sip", "sipUri": "sip:oncall@pbx.example.com"});
            pair(&live, |d| {
                d["hooks"][0]["do"]["destination"]["sipUri"] = json!("sip:OnCall@pbx.example.com")
            })
        },
        // 4. the vapi number's own sipUri is case-insensitive (Vapi docs): in sync.
        pair(&numbered("vapi-sip", 14), |d| {
            d["sipUri"] = json!("sip:Acme-Support@SIP.vapi.ai")
        }),
    ];
    let report = audit(&pairs);
    assert_eq!(
        outcome(&report, &pairs),
        vec![
            drift("/fallbackDestination/sipUri"),
            drift("/fallbackDestination/sipUri"),
            in_sync(),
            drift("/hooks/0/do/destination/sipUri"),
            in_sync(),
        ],
        "{report}"
    );
}

// ---------------------------------------------------------------- item 8: URLs

/// RFC 3986 §6.2.2-6.2.3, and nothing more.
#[test]
fn urls_fold_only_what_rfc_3986_folds() {
    let url = |n, live_url: &str, desired_url: &str| {
        let mut live = numbered("twilio", n);
        live["server"]["url"] = json!(live_url);
        pair(&live, |d| d["server"]["url"] = json!(desired_url))
    };
    let pairs = vec![
        url(
            20,
            "https://hooks.example.com/vapi/~ops",
            "HTTPS://Hooks.Example.com:443/vapi/%7eops",
        ),
        url(
            21,
            "https://hooks.example.com",
            "https://hooks.example.com/",
        ),
        url(
            22,
            "https://hooks.example.com/a%2Fb",
            "https://hooks.example.com/a%2fb",
        ),
        url(
            23,
            "https://hooks.example.com/vapi",
            "https://hooks.example.com/vapi/",
        ),
        url(
            24,
            "https://hooks.example.com/vapi",
            "https://hooks.example.com/Vapi",
        ),
        url(
            25,
            "https://hooks.example.com/v?a=1&b=2",
            "https://hooks.example.com/v?b=2&a=1",
        ),
        // Today's WHATWG parser reads `0x7f.1` as 127.0.0.1: a false "in sync".
        url(26, "https://0x7f.1/vapi", "https://127.0.0.1/vapi"),
        url(
            27,
            "https://hooks.example.com/a%2Fb",
            "https://hooks.example.com/a/b",
        ),
    ];
    let report = audit(&pairs);
    assert_eq!(
        outcome(&report, &pairs),
        vec![
            in_sync(),
            in_sync(),
            in_sync(),
            drift("/server/url"),
            drift("/server/url"),
            drift("/server/url"),
            drift("/server/url"),
            drift("/server/url"),
        ],
        "{report}"
    );
}

// ---------------------------------------------------------------- item 9: filters

/// The filters of one hook are conditions that must all hold: their order is not drift.
#[test]
fn the_order_of_a_hooks_filters_is_not_drift_but_a_missing_filter_is() {
    let mut live = numbered("twilio", 30);
    live["hooks"][0]["filters"] = json!([
        {"type": "startsWith", "key": "number", "startsWith": ["44", "353"]},
        {"type": "startsWith", "key": "number", "startsWith": ["1"]}
    ]);
    let mut other = live.clone();
    other["id"] = numbered("twilio", 31)["id"].clone();
    let pairs = vec![
        pair(&live, |d| {
            let filters = d["hooks"][0]["filters"].as_array_mut().expect("filters");
            filters.reverse();
        }),
        pair(&other, |d| {
            d["hooks"][0]["filters"]
                .as_array_mut()
                .expect("filters")
                .remove(0);
        }),
    ];
    let report = audit(&pairs);
    assert_eq!(
        outcome(&report, &pairs),
        vec![in_sync(), drift("/hooks/0/filters")],
        "{report}"
    );
}

// ---------------------------------------------------------------- item 10: UUIDs

/// UUID text is case-insensitive (RFC 9562 §4), in id fields and only for UUIDs.
#[test]
fn uuid_references_compare_case_insensitively() {
    let byo = numbered("byo-phone-number", 40);
    let upper = |d: &mut Value, key: &str| {
        let v = d[key].as_str().expect("id").to_ascii_uppercase();
        d[key] = json!(v);
    };
    let mut other = numbered("byo-phone-number", 41);
    other["assistantId"] = json!("4e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7");
    let pairs = vec![
        pair(&byo, |d| {
            upper(d, "assistantId");
            upper(d, "credentialId");
            let server = &mut d["server"];
            upper(server, "credentialId");
        }),
        // A different assistant, written in upper case: still drift.
        pair(&other, |d| {
            d["assistantId"] = json!("3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7");
        }),
    ];
    let report = audit(&pairs);
    assert_eq!(
        outcome(&report, &pairs),
        vec![in_sync(), drift("/assistantId")],
        "{report}"
    );
}

/// The number's own `id` written in upper case is the same number: found by GET and
/// in the list, in sync, on both routes (not a false MISSING).
#[test]
fn a_numbers_own_id_in_upper_case_finds_it_on_both_routes() {
    let live = numbered("vonage", 42);
    let id = id_of(&live);
    let w = World::new(vec![live.clone()]);
    let text = desired_from(&live).replace(&id, &id.to_ascii_uppercase());
    assert!(text.contains(&id.to_ascii_uppercase()), "{text}");
    w.desired("upper.yaml", &text);
    for route in ["get", "list"] {
        let (report, code) = check_json(&w, &["--fetch", route], &[]);
        assert_eq!(code, 0, "--fetch {route}: {report}");
        assert_eq!(
            status_of(&report, &id),
            "IN_SYNC",
            "--fetch {route}: {report}"
        );
    }
}

// ---------------------------------------------------------------- items 4-5: masked secrets

/// A live secret the API returns partly masked is unverifiable only when the part it
/// shows agrees with the desired value; a visible part that contradicts it (a rotated
/// token) is drift, marked sensitive, and no secret value reaches the report.
#[test]
fn a_partly_masked_live_secret_that_contradicts_the_desired_one_is_drift() {
    let token = "f0e1d2c3b4a5968778695a4b3c2dzq71";
    let header = "Bearer hdr-secret-value-wxyz";
    let twilio = |n, live_token: &str, live_header: &str| {
        let mut live = numbered("twilio", n);
        live["twilioAuthToken"] = json!(live_token);
        live["server"]["headers"] = json!({"Authorization": live_header});
        let mut desired = live.clone();
        desired["twilioAuthToken"] = json!("${TOKEN}");
        desired["server"]["headers"]["Authorization"] = json!("${HEADER}");
        (live, desired)
    };
    let pairs = vec![
        // 0. masks consistent with the desired values: unverifiable, in sync.
        twilio(50, "****zq71", "Bearer ****wxyz"),
        // 1. the token's visible tail contradicts the desired token.
        twilio(51, "****zq99", "Bearer ****wxyz"),
        // 2. the header's visible prefix and tail contradict the desired header.
        twilio(52, "****zq71", "Basic ****kq3m"),
        // 3. a fully masked value shows nothing: unverifiable.
        twilio(53, "****", "********"),
    ];
    let w = World::new(pairs.iter().map(|(live, _)| live.clone()).collect());
    let docs: Vec<String> = pairs.iter().map(|(_, d)| desired_from(d)).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    let env = [("TOKEN", token), ("HEADER", header)];
    let (report, code) = check_json(&w, &[], &env);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        outcome(&report, &pairs),
        vec![
            in_sync(),
            drift("/twilioAuthToken"),
            drift("/server/headers/Authorization"),
            in_sync(),
        ],
        "{report}"
    );
    let number = |i: usize| {
        report["numbers"]
            .as_array()
            .expect("numbers")
            .iter()
            .find(|n| n["id"] == pairs[i].0["id"])
            .expect("number")
            .clone()
    };
    assert_eq!(
        number(0)["unverifiable"],
        json!(["/twilioAuthToken", "/server/headers/Authorization"])
    );
    for i in [1, 2] {
        let d = &number(i)["differences"][0];
        assert_eq!(d["sensitive"], true, "{d}");
    }
    // No secret, and no visible part of a masked one, in any report.
    for format in ["json", "text", "markdown", "junit", "github"] {
        let run = w.check(&["-o", format, "--unmanaged", "ignore"], &env);
        for leak in [token, header, "hdr-secret", "zq71", "zq99", "wxyz", "kq3m"] {
            assert!(
                !run.stdout.contains(leak),
                "{format} shows {leak}:\n{}",
                run.stdout
            );
        }
    }
}

/// A live header value of one or two stars is a value (a wildcard CORS origin), not
/// a mask: against a desired origin it is drift, not "unverifiable".
#[test]
fn a_short_run_of_stars_live_is_a_value_not_a_mask() {
    let mut live = numbered("vonage", 60);
    live["server"]["headers"] = json!({"X-Allowed-Origin": "*"});
    let mut desired = live.clone();
    desired["server"]["headers"]["X-Allowed-Origin"] = json!("https://app.example.com");
    let pairs = vec![(live.clone(), desired.clone())];
    let w = World::new(vec![live]);
    w.desired("origin.yaml", &desired_from(&desired));
    let (report, code) = check_json(&w, &[], &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        outcome(&report, &pairs),
        vec![drift("/server/headers/X-Allowed-Origin")],
        "{report}"
    );
}

/// Header names are case-insensitive (RFC 9110 §5.1): a masked live header spelled
/// `authorization` is the desired `Authorization`, unverifiable, not a changed secret.
#[test]
fn a_masked_live_header_under_another_name_case_is_unverifiable_not_changed() {
    let mut live = numbered("twilio", 60);
    live["server"]["headers"] = json!({"authorization": "****", "x-tenant": "acme"});
    let mut desired = live.clone();
    desired["server"]["headers"] = json!({"Authorization": "${HEADER}", "X-Tenant": "acme"});
    let mut hooked = numbered("byo-phone-number", 61);
    // A masked SIP header in a hook, the hooks listed live in another order.
    let ringing = json!({"on": "call.ringing", "do": [{"type": "transfer", "destination":
        {"type": "sip", "sipUri": "sip:desk@pbx.example.com", "sipHeaders": {"X-Token": "****"}}}]});
    let ending = hooked["hooks"][0].clone();
    hooked["hooks"] = json!([ending.clone(), ringing.clone()]);
    let mut hooked_desired = hooked.clone();
    let mut ringing_desired = ringing.clone();
    ringing_desired["do"][0]["destination"]["sipHeaders"] = json!({"x-token": "${HEADER}"});
    hooked_desired["hooks"] = json!([ringing_desired, ending]);
    let pairs = vec![(live, desired), (hooked, hooked_desired)];
    let w = World::new(pairs.iter().map(|(live, _)| live.clone()).collect());
    let docs: Vec<String> = pairs.iter().map(|(_, d)| desired_from(d)).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    let (report, code) = check_json(&w, &[], &[("HEADER", "Bearer tok-secret")]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        outcome(&report, &pairs),
        vec![in_sync(), in_sync()],
        "{report}"
    );
    assert_eq!(
        report["numbers"][0]["unverifiable"],
        json!(["/server/headers/Authorization"]),
        "{report}"
    );
    assert_eq!(
        report["numbers"][1]["unverifiable"],
        json!(["/hooks/0/do/0/destination/sipHeaders/x-token"]),
        "{report}"
    );
}

// ---------------------------------------------------------------- item 11: invisible differences

/// Strings that differ only in what nobody can see stay drift, and every report shows
/// the difference: never a line like `Café → Café`.
#[test]
fn invisible_differences_are_drift_and_every_report_shows_them() {
    let named = |n, desired: &str, live: &str| {
        let mut l = numbered("vonage", n);
        l["name"] = json!(live);
        pair(&l, |d| d["name"] = json!(desired))
    };
    let pairs = vec![
        named(70, "Caf\u{e9} line", "Cafe\u{301} line"),
        named(71, "Support line", "Support\u{a0}line"),
        named(72, "Sales", "Sa\u{200b}les"),
        named(73, "Sales", "Sales\u{feff}"),
    ];
    let w = World::new(pairs.iter().map(|(live, _)| live.clone()).collect());
    let docs: Vec<String> = pairs.iter().map(|(_, d)| desired_from(d)).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    let (report, code) = check_json(&w, &[], &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        outcome(&report, &pairs),
        vec![drift("/name"); 4],
        "{report}"
    );
    let escapes = ["\\u{0301}", "\\u{00A0}", "\\u{200B}", "\\u{FEFF}"];
    for (i, escape) in escapes.iter().enumerate() {
        let n = &report["numbers"][i];
        assert_eq!(
            n["differences"][0]["actual"]
                .as_str()
                .map(|s| s.contains(escape)),
            Some(true),
            "{n}"
        );
        assert!(n["diff"].as_str().expect("diff").contains(escape), "{n}");
    }
    for format in ["text", "markdown", "junit", "github"] {
        let run = w.check(&["-o", format, "--unmanaged", "ignore"], &[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        for escape in escapes {
            assert!(
                run.stdout.contains(escape),
                "{format} lacks {escape}:\n{}",
                run.stdout
            );
        }
        for hidden in ['\u{301}', '\u{a0}', '\u{200b}', '\u{feff}'] {
            assert!(
                !run.stdout.contains(hidden),
                "{format} prints {hidden:?} raw:\n{}",
                run.stdout
            );
        }
    }
}
