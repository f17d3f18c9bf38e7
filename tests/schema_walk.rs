//! Nothing a user writes is ignored without a word (issue 10, item 3). The walk:
//! for every provider and every branch of every union, a desired document with
//! every field the (patched) schema accepts; then, for each field in it, a live
//! number with that one value changed. `validate` accepts the document (or the
//! field is refused, which is the other honest answer), and the change must be
//! reported as a difference.
//!
//! `id` is the exception: it says which live number the document describes
//! (a different id is a different number), it is never a field of the comparison.

mod common;

use common::generated::{Gen, PROVIDERS};
use serde_json::Value;
use vapi_drift::audit::compare;
use vapi_drift::desired::{IdRule, load_text};
use vapi_drift::ignore::IgnoreSet;
use vapi_drift::schema;

/// A value that means something else, whatever the normalization rules fold.
fn changed(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap_or(0.0) + 1.0),
        Value::Bool(b) => Value::Bool(!b),
        other => other.clone(),
    }
}

#[test]
fn every_field_the_schema_accepts_is_compared() {
    let mut walked = 0;
    let mut hidden = Vec::new();
    // Four: the most branches any union has is three (contextEngineeringPlan).
    for branch in 0..4 {
        for provider in PROVIDERS {
            let mut live = Gen::full(branch).live_number(provider, "pn-walk");
            let mut desired = live.clone();
            for k in ["orgId", "createdAt", "updatedAt", "status"] {
                desired.as_object_mut().expect("object").remove(k);
            }
            let issues = schema::validate_phone_number(&desired);
            assert!(issues.is_empty(), "{provider} branch {branch}: {issues:?}");
            let text = serde_json::to_string_pretty(&desired).expect("json");
            let (mut numbers, mut errors) = (Vec::new(), Vec::new());
            load_text(
                "walk.yaml",
                &text,
                &|_| None,
                IdRule::Required,
                &mut numbers,
                &mut errors,
            );
            assert!(errors.is_empty(), "{errors:?}");
            let number = numbers.remove(0);
            let paths: Vec<String> = common::leaves(&desired)
                .into_iter()
                .map(|(p, _)| p)
                .collect();
            for path in paths.iter().filter(|p| *p != "/id") {
                let before = live.pointer(path).cloned().expect("live has it");
                *live.pointer_mut(path).expect("live has it") = changed(&before);
                let result = compare(number.clone(), &live, &IgnoreSet::default());
                walked += 1;
                if result.differences.is_empty() {
                    hidden.push(format!("{provider} (branch {branch}) {path}"));
                }
                *live.pointer_mut(path).expect("live has it") = before;
            }
        }
    }
    assert!(walked > 1000, "only {walked} fields walked");
    assert!(
        hidden.is_empty(),
        "{} of {walked} changed fields were not reported: {hidden:#?}",
        hidden.len()
    );
}
