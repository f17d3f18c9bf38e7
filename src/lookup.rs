//! Lookup without an id: a desired document that has no `id` is found among the
//! live numbers by its E.164 `number` (the same canonical form `normalize`
//! compares), or, for provider `vapi` without a number, by its `sipUri`
//! (case-insensitive, as Vapi documents it). Used by `check`, `explain` and
//! `export` alike.

use crate::desired::{ConfigError, ConfigErrors, DesiredNumber};
use crate::normalize::comparable_number;
use crate::pointer::Pointer;
use crate::vapi::list::Listed;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// What a desired number without an `id` is found by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LookupKey {
    /// The number as normalization compares it (E.164 unless the check is off).
    Number(String),
    /// In the form `normalize` compares a vapi number's own sipUri in (`uri::vapi_sip_uri`).
    SipUri(String),
}

impl fmt::Display for LookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupKey::Number(n) => write!(f, "number \"{n}\""),
            LookupKey::SipUri(s) => write!(f, "sipUri \"{s}\""),
        }
    }
}

fn e164_check(doc: &Value) -> bool {
    doc.get("numberE164CheckEnabled") != Some(&Value::Bool(false))
}

/// How to find a desired number that has no `id`; `None` when it has one, or
/// has nothing to be found by.
pub fn lookup_key(d: &DesiredNumber) -> Option<LookupKey> {
    if d.id.is_some() {
        return None;
    }
    key(d)
}

/// A desired number's number (or sipUri) as a lookup key, whether it has an `id` or
/// not (`--deployed-ref` matches documents whose `id` came or went by it).
pub fn key(d: &DesiredNumber) -> Option<LookupKey> {
    let doc = d.doc().value();
    if let Some(n) = &d.number {
        return Some(LookupKey::Number(comparable_number(n, e164_check(&doc))));
    }
    if &*d.provider == "vapi"
        && let Some(uri) = doc.get("sipUri").and_then(Value::as_str)
    {
        return Some(LookupKey::SipUri(crate::uri::vapi_sip_uri(uri)));
    }
    None
}

/// The key a desired number is known by across runs (the JSON report's `key`, which
/// `--baseline` matches findings by): its id, else its number, else what it is looked
/// up by (a vapi number's sipUri), so moving it to another file or line keeps its
/// findings known.
pub fn number_key(d: &DesiredNumber) -> String {
    match (&d.id, &d.number, lookup_key(d)) {
        (Some(id), _, _) => id.to_string(),
        (None, Some(n), _) => n.to_string(),
        (None, None, Some(key)) => key.to_string(),
        // Never loaded: `lookup_errors` refuses such a document before any run.
        (None, None, None) => format!("{}:{}", d.file, d.line),
    }
}

/// The keys a live number can be found by.
pub fn live_keys(live: &Value) -> Vec<LookupKey> {
    let mut keys = Vec::new();
    if let Some(n) = live.get("number").and_then(Value::as_str) {
        keys.push(LookupKey::Number(comparable_number(n, e164_check(live))));
    }
    if let Some(uri) = live.get("sipUri").and_then(Value::as_str) {
        keys.push(LookupKey::SipUri(crate::uri::vapi_sip_uri(uri)));
    }
    keys
}

/// Desired documents without an `id` that could never be found (no `number`, and
/// no `sipUri` for provider `vapi`): config errors, found before any request.
pub fn lookup_errors(numbers: &[DesiredNumber]) -> Vec<ConfigError> {
    numbers
        .iter()
        .filter(|d| d.id.is_none() && lookup_key(d).is_none())
        .map(|d| {
            let what = if &*d.provider == "vapi" {
                "\"number\" or \"sipUri\""
            } else {
                "\"number\""
            };
            ConfigError {
                file: d.file.to_string(),
                pos: Some(d.source_map().position(&Pointer::root())),
                message: format!("no \"id\", and no {what} to find the number by: add one of them"),
            }
        })
        .collect()
}

/// `numbers`, when each can be found (see [`lookup_errors`]); else those errors.
/// What every loader of desired numbers (the working tree, a git ref) hands on.
pub fn findable(numbers: Vec<DesiredNumber>) -> Result<Vec<DesiredNumber>, ConfigErrors> {
    let errors = lookup_errors(&numbers);
    if errors.is_empty() {
        Ok(numbers)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// The live numbers a desired document without an `id` matches (by number or sipUri).
pub fn find_live<'a>(numbers: &'a [Value], d: &DesiredNumber) -> Vec<&'a Value> {
    let Some(key) = lookup_key(d) else {
        return Vec::new();
    };
    numbers
        .iter()
        .filter(|n| live_keys(n).contains(&key))
        .collect()
}

/// Listed numbers by id and by lookup key.
pub struct Index<'a> {
    pub by_id: HashMap<&'a str, &'a Listed>,
    by_key: HashMap<LookupKey, Vec<&'a Listed>>,
}

impl<'a> Index<'a> {
    /// `with_keys`: index the lookup keys too (else [`Index::find`] finds nothing).
    pub fn new(numbers: &'a [Listed], with_keys: bool) -> Index<'a> {
        let mut by_id = HashMap::new();
        let mut by_key: HashMap<LookupKey, Vec<&Listed>> = HashMap::new();
        for n in numbers {
            by_id.insert(n.id(), n);
            if with_keys {
                for key in live_keys(&n.value()) {
                    by_key.entry(key).or_default().push(n);
                }
            }
        }
        Index { by_id, by_key }
    }

    pub fn find(&self, key: &LookupKey) -> &[&'a Listed] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{IdRule, valid_numbers};
    use serde_json::json;

    fn desired(file: &str, yaml: &str) -> Vec<DesiredNumber> {
        valid_numbers(file, yaml, &|_| None, IdRule::Optional)
    }

    #[test]
    fn lookup_keys_follow_normalize() {
        let docs = desired(
            "d.yaml",
            "provider: vonage\nnumber: \"+1 415 555 0100\"\ncredentialId: c\n---\nprovider: vapi\nsipUri: SIP:Desk@Example.com\n---\nprovider: byo-phone-number\nnumberE164CheckEnabled: false\nnumber: \"+1 415\"\ncredentialId: c\n---\nid: x\nprovider: vapi\n---\nprovider: vapi\nname: nothing to go by\n",
        );
        assert_eq!(
            lookup_key(&docs[0]),
            Some(LookupKey::Number("+14155550100".into()))
        );
        assert_eq!(
            lookup_key(&docs[1]),
            Some(LookupKey::SipUri("sip:desk@example.com".into()))
        );
        assert_eq!(
            lookup_key(&docs[2]),
            Some(LookupKey::Number("+1 415".into()))
        );
        assert_eq!(lookup_key(&docs[3]), None, "has an id");
        let errors = lookup_errors(&docs);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "d.yaml:16:1: no \"id\", and no \"number\" or \"sipUri\" to find the number by: add one of them"
        );
        let ix_numbers: Vec<Listed> = [
            json!({"id": "a", "provider": "vonage", "number": "+14155550100"}),
            json!({"id": "b", "provider": "vapi", "sipUri": "sip:desk@example.com"}),
        ]
        .iter()
        .filter_map(Listed::new)
        .collect();
        let ix = Index::new(&ix_numbers, true);
        assert_eq!(ix.find(&lookup_key(&docs[0]).expect("key")).len(), 1);
        assert_eq!(ix.find(&lookup_key(&docs[1]).expect("key")).len(), 1);
        assert!(ix.find(&lookup_key(&docs[2]).expect("key")).is_empty());
    }
}
