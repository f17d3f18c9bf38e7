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
        vec![(
            "/hooks/0/filters/0/startsWith".to_string(),
            "NOT_EQUAL".to_string()
        )]
    );
}
