//! The org guard, `--expect-org`: a key of another org must not read as "every
//! number is missing".

use serde_json::Value;
use std::borrow::Borrow;

/// The reason a run stops when a live number belongs to another org than `expected`.
pub fn foreign_org(
    numbers: impl IntoIterator<Item = impl Borrow<Value>>,
    expected: &str,
) -> Option<String> {
    numbers.into_iter().find_map(|n| {
        n.borrow()
            .get("orgId")
            .and_then(Value::as_str)
            .filter(|org| *org != expected)
            .map(|org| {
                format!(
                    "the API key belongs to org {org}, not to the expected org {expected} (--expect-org / VAPI_ORG_ID)"
                )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn foreign_org_names_the_keys_org() {
        let numbers = [
            json!({"id": "a", "orgId": "org-1"}),
            json!({"id": "b", "orgId": "org-2"}),
        ];
        assert_eq!(foreign_org(&numbers[..1], "org-1"), None);
        let why = foreign_org(&numbers, "org-1").expect("foreign");
        assert!(why.contains("belongs to org org-2"), "{why}");
    }
}
