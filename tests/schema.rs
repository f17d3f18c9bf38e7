//! `vapi-drift schema`: the JSON Schema editors check desired files with. It must
//! say what `validate` says: every example (as a desired document) and every file
//! export writes is valid, and each mistake `validate` refuses at the schema level
//! is refused by the schema too (checked with a real JSON Schema validator).

mod common;

use common::{Run, World, example};
use serde_json::{Value, json};
use vapi_drift::schema::{SERVER_MANAGED, validate_phone_number};

/// What the binary prints, compiled by the `jsonschema` crate as draft 7.
fn schema() -> jsonschema::Validator {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vapi-drift"))
        .arg("schema")
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("the schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    jsonschema::draft7::new(&schema).expect("a valid draft-07 schema")
}

/// An example of `shared/vapi/examples` as a desired document (server-managed
/// fields removed, as export removes them).
fn desired(name: &str) -> Value {
    let mut v = example(name);
    for k in SERVER_MANAGED {
        v.as_object_mut().expect("object").remove(k);
    }
    v
}

const EXAMPLES: [&str; 6] = [
    "byo-phone-number",
    "telnyx",
    "twilio",
    "vapi-pstn",
    "vapi-sip",
    "vonage",
];

#[test]
fn every_example_and_every_exported_file_is_valid_against_the_schema() {
    let schema = schema();
    for name in EXAMPLES {
        let doc = desired(name);
        let errors: Vec<String> = schema.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert!(validate_phone_number(&doc).is_empty(), "{name}");
        // Without an id too: a desired document may leave it out.
        let mut no_id = doc.clone();
        no_id.as_object_mut().expect("object").remove("id");
        assert!(schema.is_valid(&no_id), "{name} without id");
    }
    // What export writes (secrets as ${VAR}), read back from the files.
    let lives: Vec<Value> = EXAMPLES.iter().map(|n| example(n)).collect();
    let w = World::new(lives);
    let mut cmd = w.command();
    let run = Run::from(
        cmd.args(["export", "--base-url", &w.standin.base_url()])
            .env("VAPI_API_KEY", common::KEY)
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut files = 0;
    for entry in std::fs::read_dir(w.path("desired")).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with(&format!(
                "# yaml-language-server: $schema={}\n",
                vapi_drift::schema::SCHEMA_URL
            )),
            "{text}"
        );
        for doc in vapi_drift::yaml::parse_documents(&text).expect("yaml") {
            let doc = doc.to_json();
            let errors: Vec<String> = schema.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            files += 1;
        }
    }
    assert_eq!(files, 6);
}

#[test]
fn the_schema_accepts_and_refuses_what_validate_does() {
    let schema = schema();
    let twilio = desired("twilio");
    let with = |pointer: &str, value: Value| {
        let mut doc = twilio.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        let target = if parent.is_empty() {
            &mut doc
        } else {
            doc.pointer_mut(parent)
                .unwrap_or_else(|| panic!("{parent} exists"))
        };
        match value {
            Value::Null => {
                target.as_object_mut().expect("object").remove(key);
            }
            v => target[key] = v,
        }
        doc
    };
    let accepted = [
        ("the example", twilio.clone()),
        ("a minimal vapi number", json!({"provider": "vapi"})),
        (
            "a header map is free-form",
            with(
                "/server/headers",
                json!({"X-Anything": "v", "x-other": "w"}),
            ),
        ),
        (
            "a whole number where a number goes",
            with("/server/timeoutSeconds", json!(25)),
        ),
        (
            "a fixed backoff",
            with("/server/backoffPlan/type", json!("fixed")),
        ),
        (
            "a SIP fallback with a display name",
            with(
                "/fallbackDestination",
                json!({"type": "sip", "sipUri": "sip:a@b.example.com", "name": "Desk"}),
            ),
        ),
    ];
    let refused = [
        ("an unknown key", with("/fallbackDestinaton", json!({}))),
        (
            "an unknown nested key",
            with("/server/urll", json!("https://x")),
        ),
        ("no provider", with("/provider", Value::Null)),
        ("an unknown provider", with("/provider", json!("skype"))),
        ("a server-managed field", with("/orgId", json!("o"))),
        (
            "a server-managed timestamp",
            with("/createdAt", json!("2026-01-01")),
        ),
        ("a wrong type", with("/server/timeoutSeconds", json!("30"))),
        (
            "a value out of range",
            with("/server/timeoutSeconds", json!(1000)),
        ),
        (
            "a bad enum value",
            with("/server/backoffPlan/type", json!("fixd")),
        ),
        ("a string too long", with("/name", json!("x".repeat(41)))),
        (
            "a key of another provider",
            with(
                "/credentialId",
                json!("6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918"),
            ),
        ),
        (
            "a hook on an unknown event",
            with("/hooks/0/on", json!("call.started")),
        ),
        (
            "a list where a mapping goes",
            with("/server", json!(["https://x"])),
        ),
        (
            "a transfer destination of no known type",
            with(
                "/fallbackDestination",
                json!({"type": "phone", "number": "+14155550100"}),
            ),
        ),
    ];
    for (what, doc) in &accepted {
        let issues = validate_phone_number(doc);
        assert!(issues.is_empty(), "validate refuses {what}: {issues:?}");
        let errors: Vec<String> = schema.iter_errors(doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "the schema refuses {what}: {errors:?}");
    }
    for (what, doc) in &refused {
        assert!(
            !validate_phone_number(doc).is_empty(),
            "validate accepts {what}"
        );
        assert!(!schema.is_valid(doc), "the schema accepts {what}");
    }
}
