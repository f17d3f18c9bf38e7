//! Every shape the API allows round-trips (issue 10): live numbers generated from
//! the official schema (`common::gen`, all five providers, every union branch)
//! go through `export` and back through loading and comparing, and come out with
//! zero differences. Through the library here, for 1,250 numbers; through the
//! real binary against the stand-in on both routes in `tests/trust.rs`.

mod common;

use common::generated::{Gen, PROVIDERS};
use serde_json::Value;
use std::collections::HashMap;
use vapi_drift::audit::compare;
use vapi_drift::desired::{IdRule, load_text};
use vapi_drift::export;
use vapi_drift::ignore::IgnoreSet;

/// Why one live number does not round-trip, or `None` when it does.
fn round_trip(live: &Value) -> Option<String> {
    let mut env: HashMap<String, String> = HashMap::new();
    let mut name = |value: &Value, _at: &vapi_drift::pointer::Pointer| {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let name = format!("VAPI_DRIFT_N_{}", env.len() + 1);
        env.insert(name.clone(), text);
        name
    };
    let (doc, _variables, _warnings) = export::document(live, &mut name);
    let text = match vapi_drift::yaml::render_document(&doc) {
        Ok(t) => t,
        Err(e) => return Some(format!("export cannot render: {e}")),
    };
    let lookup = |k: &str| env.get(k).cloned();
    let (mut numbers, mut errors) = (Vec::new(), Vec::new());
    load_text(
        "n.yaml",
        &text,
        &lookup,
        IdRule::Required,
        &mut numbers,
        &mut errors,
    );
    if !errors.is_empty() {
        return Some(format!("check refuses the export: {}", errors[0]));
    }
    let result = compare(numbers.remove(0), live, &IgnoreSet::default());
    if result.differences.is_empty() {
        None
    } else {
        let paths: Vec<String> = result
            .differences
            .iter()
            .map(|d| format!("{} {}", d.change, d.path))
            .collect();
        Some(format!("differences: {}", paths.join(", ")))
    }
}

#[test]
fn generated_live_numbers_round_trip_through_export_with_zero_differences() {
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut total = 0;
    for seed in 0..250u64 {
        let mut g = Gen::new(seed + 1);
        for provider in PROVIDERS {
            let live = g.live_number(provider, &format!("pn-{seed}-{provider}"));
            total += 1;
            if let Some(why) = round_trip(&live) {
                failures.push((why, live.to_string()));
            }
        }
    }
    let rate = 100.0 * (total - failures.len()) as f64 / total as f64;
    eprintln!(
        "round trip: {} of {total} generated numbers ({rate:.1} %)",
        total - failures.len()
    );
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for (why, _) in &failures {
        let kind: String = why
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .take(110)
            .collect();
        *kinds.entry(kind).or_default() += 1;
    }
    for (k, n) in &kinds {
        eprintln!("  {n:4}  {k}");
    }
    assert!(
        failures.is_empty(),
        "{} of {total} do not round-trip; first: {}\n{}",
        failures.len(),
        failures[0].0,
        failures[0].1
    );
}

#[test]
fn every_union_branch_round_trips_with_every_field_present() {
    for branch in 0..8 {
        for provider in PROVIDERS {
            let live = Gen::full(branch).live_number(provider, "pn-full");
            assert_eq!(round_trip(&live), None, "{live}");
        }
    }
}
