//! Property tests of the invariants the audit stands on, over phone numbers
//! generated from the schema's shape (all five providers, a webhook server with
//! headers, a fallback destination to a number or a SIP URI with SIP headers,
//! hooks with filters and `do` lists, random unknown keys, nulls, defaults and
//! alternative spellings that normalize away):
//!
//! - normalize is idempotent;
//! - diff(x, x) is empty, and a number audited against itself is in sync;
//! - diff(a, b) and diff(b, a) have the same paths with ADD and REMOVE swapped
//!   (on normalized values, and through `audit::compare` when the path maps are
//!   the identity and no write-only secret is set on one side only, which is
//!   when the swap is sound there);
//! - masking leaves no secret value in any rendered report, whatever the format.

mod common;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vapi_drift::audit::compare;
use vapi_drift::desired::{Body, DesiredNumber, DocText, SourceMap};
use vapi_drift::diff::{Change, differences};
use vapi_drift::doc_text::Strings;
use vapi_drift::exit::{ExitCode, Policy};
use vapi_drift::ignore::IgnoreSet;
use vapi_drift::model::Audit;
use vapi_drift::model::Unmanaged;
use vapi_drift::normalize::{PathMap, normalize, normalize_mapped};
use vapi_drift::report::{Format, Report};
use vapi_drift::uri;

/// Every generated secret starts with this, and nothing else generated contains it.
const SECRET_MARK: &str = "zsek";

fn secret() -> impl Strategy<Value = String> {
    "[a-z0-9]{6,14}".prop_map(|s| format!("{SECRET_MARK}{s}"))
}

fn word() -> impl Strategy<Value = String> {
    "[a-y][a-y0-9 _.-]{0,10}"
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Authorization".to_string()),
        Just("authorization".to_string()),
        Just("X-Tenant".to_string()),
        Just("x-api-key".to_string()),
        "X-[A-Ya-y]{1,6}",
    ]
}

/// Header maps: a header the rule calls secret (by its name) holds a secret, the
/// others a plain word, which reports may show.
fn headers() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(header_name(), (secret(), word()), 0..4).prop_map(|m| {
        Value::Object(
            m.into_iter()
                .map(|(k, (secret, plain))| {
                    let v = if vapi_drift::secret::is_secret_header(&k) {
                        secret
                    } else {
                        plain
                    };
                    (k, json!(v))
                })
                .collect(),
        )
    })
}

fn e164() -> impl Strategy<Value = Value> {
    prop_oneof![
        "\\+1415555[0-9]{4}".prop_map(Value::String),
        "[0-9]{3}".prop_map(|d| json!(format!("+1 (415) 555-0{d}"))),
        Just(json!("not-a-number")),
    ]
}

/// A value that normalizes to itself or to absent, or an integral float.
fn maybe<T: Strategy<Value = Value>>(s: T) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => s.prop_map(Some),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
    ]
}

fn transfer_plan() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("blind-transfer"),
            Just("warm-transfer-say-message"),
            Just("warm-transfer-wait-for-operator-to-speak-first-and-then-say-summary")
        ],
        prop_oneof![
            Just(json!(60)),
            Just(json!(60.0)),
            (1u32..600).prop_map(|t| json!(t))
        ],
        any::<bool>(),
        maybe(prop_oneof![
            Just(json!("refer")),
            Just(json!("bye")),
            Just(json!("dial"))
        ]),
    )
        .prop_map(|(mode, timeout, summary, verb)| {
            let mut plan = json!({"mode": mode, "timeout": timeout,
                "summaryPlan": {"enabled": summary, "timeoutSeconds": 5}});
            if let Some(v) = verb {
                plan["sipVerb"] = v;
            }
            plan
        })
}

fn destination() -> impl Strategy<Value = Value> {
    prop_oneof![
        (
            e164(),
            maybe(transfer_plan()),
            maybe(word().prop_map(Value::String))
        )
            .prop_map(|(number, plan, message)| {
                let mut d = json!({"type": "number", "number": number});
                if let Some(p) = plan {
                    d["transferPlan"] = p;
                }
                if let Some(m) = message {
                    d["message"] = m;
                }
                d
            }),
        (sip_uri(), headers()).prop_map(|(uri, sip_headers)| {
            json!({"type": "sip", "sipUri": uri, "sipHeaders": sip_headers})
        }),
    ]
}

/// SIP URIs in the spellings RFC 3261 §19.1.4 folds (scheme, host, parameter names
/// and order, escapes) and in ones it does not (user part, header values).
fn sip_uri() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("sip"), Just("SIP"), Just("sips")],
        "[a-zA-Z0-9]{1,6}(%6[1-9a-fA-F])?",
        "[a-zA-Z]{1,8}\\.example\\.(com|COM)(:5060)?",
        prop::sample::subsequence(
            vec![
                "transport=TCP",
                "Transport=udp",
                "lr",
                "LR",
                "user=phone",
                "x-tok=AbC",
                "maddr=H.example",
            ],
            0..4,
        )
        .prop_shuffle(),
        prop::collection::vec(("[A-Za-z-]{1,6}", "[A-Za-z0-9]{0,3}(%2[0-9A-Fa-f])?"), 0..3),
    )
        .prop_map(|(scheme, user, host, params, headers)| {
            let mut uri = format!("{scheme}:{user}@{host}");
            for p in params {
                uri.push(';');
                uri.push_str(p);
            }
            if !headers.is_empty() {
                let hs: Vec<String> = headers.iter().map(|(n, v)| format!("{n}={v}")).collect();
                uri.push('?');
                uri.push_str(&hs.join("&"));
            }
            uri
        })
}

/// URLs in the spellings RFC 3986 §6.2.2-6.2.3 folds and in ones it does not.
fn url() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("https"), Just("HTTPS"), Just("http"), Just("wss")],
        prop_oneof![
            Just("hooks.example.com"),
            Just("Hooks.Example.COM"),
            Just("h%6Fst"),
            Just("[::1]")
        ],
        prop_oneof![
            Just(""),
            Just(":"),
            Just(":443"),
            Just(":80"),
            Just(":8443")
        ],
        prop_oneof![
            Just(""),
            Just("/"),
            Just("/vapi"),
            Just("/Vapi/"),
            Just("/%7eops"),
            Just("/a%2fb"),
            Just("/a/../b")
        ],
        prop_oneof![Just(""), Just("?"), Just("?a=1&b=%41"), Just("#F%2a")],
    )
        .prop_map(|(scheme, host, port, path, tail)| format!("{scheme}://{host}{port}{path}{tail}"))
}

fn hook() -> impl Strategy<Value = Value> {
    let filter = (
        prop_oneof![Just("assistant.transferDestinationRequest"), Just("call.endedReason")],
        prop::collection::vec(word(), 0..4),
        prop::collection::vec(word(), 0..3),
    )
        .prop_map(|(key, one_of, starts_with)| {
            json!({"type": "oneOf", "key": key, "oneOf": one_of, "startsWith": starts_with})
        });
    let action = prop_oneof![
        word().prop_map(|w| json!({"type": "say", "exact": w})),
        destination().prop_map(|d| json!({"type": "transfer", "destination": d})),
        Just(json!({"type": "tool", "toolId": "0f0e0d0c-0b0a-4909-8807-060504030201"})),
    ];
    (
        prop_oneof![
            Just("call.ringing"),
            Just("call.ending"),
            Just("assistant.speech.interrupted"),
            Just("customer.speech.timeout")
        ],
        prop::collection::vec(filter, 0..2),
        prop::collection::vec(action, 0..3),
    )
        .prop_map(|(on, filters, actions)| json!({"on": on, "filters": filters, "do": actions}))
}

fn server() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("https://hooks.example.com/vapi".to_string()),
            Just("HTTPS://Hooks.Example.COM:443/vapi".to_string()),
            Just("https://hooks.example.com:8443/a?b=C".to_string()),
            Just("http://localhost/x".to_string()),
            Just("not a url".to_string()),
            url(),
        ],
        prop_oneof![Just(json!(20)), Just(json!(20.0)), (1u32..300).prop_map(|t| json!(t))],
        headers(),
        maybe(
            (
                prop_oneof![Just("fixed"), Just("exponential")],
                0u32..5,
                prop::collection::vec(400u16..600, 0..4)
            )
                .prop_map(|(t, n, codes)| {
                    json!({"type": t, "maxRetries": n, "baseDelaySeconds": 1, "excludedStatusCodes": codes})
                })
        ),
        prop::collection::vec("[a-z]{1,5}\\.[a-z]{1,5}", 0..3),
        maybe(secret().prop_map(Value::String)),
    )
        .prop_map(|(url, timeout, headers, backoff, paths, legacy_secret)| {
            let mut s = json!({"url": url, "timeoutSeconds": timeout, "headers": headers,
                "encryptedPaths": paths, "staticIpAddressesEnabled": false});
            if let Some(b) = backoff {
                s["backoffPlan"] = b;
            }
            if let Some(x) = legacy_secret {
                s["secret"] = x;
            }
            s
        })
}

/// Any JSON, for unknown keys (the API grows) and for the fuzz-like properties.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop_oneof![Just(json!(3.0)), Just(json!(20.0))],
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A phone number shaped like the schema's, with room for everything normalize handles.
fn phone_number() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("twilio"),
            Just("vonage"),
            Just("telnyx"),
            Just("byo-phone-number"),
            Just("vapi")
        ],
        (
            maybe(word().prop_map(Value::String)),
            e164(),
            maybe(any::<bool>().prop_map(Value::Bool)),
        ),
        maybe(server()),
        maybe(destination()),
        prop::collection::vec(hook(), 0..4),
        (
            maybe(secret().prop_map(Value::String)),
            maybe(secret().prop_map(Value::String)),
            maybe(secret().prop_map(|p| json!({"username": "user", "password": p}))),
        ),
        prop::collection::btree_map("x[a-z]{1,6}", any_json(), 0..3),
        maybe(Just(json!("3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"))),
    )
        .prop_map(
            |(
                provider,
                (name, number, e164_check),
                server,
                fallback,
                hooks,
                secrets,
                extra,
                assistant,
            )| {
                let mut doc = Map::new();
                doc.insert("id".into(), json!("2b9d4c6e-8f10-4a2b-bc3d-4e5f60718293"));
                doc.insert("provider".into(), json!(provider));
                doc.insert("number".into(), number);
                let optional = [
                    ("name", name),
                    ("numberE164CheckEnabled", e164_check),
                    ("server", server),
                    ("fallbackDestination", fallback),
                    ("twilioAuthToken", secrets.0),
                    ("twilioApiSecret", secrets.1),
                    ("authentication", secrets.2),
                    ("assistantId", assistant),
                ];
                for (k, v) in optional {
                    if let Some(v) = v {
                        doc.insert(k.into(), v);
                    }
                }
                doc.insert("hooks".into(), Value::Array(hooks));
                doc.insert("smsEnabled".into(), json!(true));
                for (k, v) in extra {
                    doc.insert(k, v);
                }
                Value::Object(doc)
            },
        )
}

/// A live variant of a number: some fields changed, dropped or added, some secrets rotated.
fn live_variant(doc: Value) -> impl Strategy<Value = Value> {
    (
        Just(doc),
        prop::collection::vec((0usize..64, 0u8..4, any_json(), secret()), 0..4),
    )
        .prop_map(|(mut doc, edits)| {
            for (at, what, value, new_secret) in edits {
                let obj = doc.as_object_mut().expect("object");
                let keys: Vec<String> = obj.keys().cloned().collect();
                let key = keys[at % keys.len()].clone();
                match what {
                    0 => {
                        obj.remove(&key);
                    }
                    1 => {
                        obj.insert(key, value);
                    }
                    2 => {
                        obj.insert(format!("live{at}"), value);
                    }
                    _ => {
                        // Rotate a secret live (or set one the desired side lacks);
                        // an earlier edit may have made `server` or its headers a scalar.
                        if !doc["server"].is_object() {
                            doc["server"] = json!({});
                        }
                        if !doc["server"]["headers"].is_object() {
                            doc["server"]["headers"] = json!({});
                        }
                        doc["server"]["headers"]["Authorization"] = json!(new_secret);
                    }
                }
            }
            doc
        })
}

fn desired_number(doc: Value) -> DesiredNumber {
    DesiredNumber {
        id: doc.get("id").and_then(Value::as_str).map(Into::into),
        declares_id: doc.get("id").is_some(),
        provider: doc
            .get("provider")
            .and_then(Value::as_str)
            .unwrap_or("vapi")
            .into(),
        name: None,
        number: None,
        file: "desired/p.yaml".into(),
        line: 1,
        body: Some(Box::new(Body {
            doc: DocText::new(&doc, &mut Strings::default()),
            source_map: SourceMap::default(),
        })),
        interpolated: Default::default(),
    }
}

fn swapped(change: Change) -> Change {
    match change {
        Change::Add => Change::Remove,
        Change::Remove => Change::Add,
        Change::NotEqual => Change::NotEqual,
    }
}

/// Every string leaf that carries the secret mark.
fn secrets_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.contains(SECRET_MARK) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| secrets_in(i, out)),
        Value::Object(obj) => obj.values().for_each(|i| secrets_in(i, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn normalize_is_idempotent(doc in phone_number()) {
        let once = normalize(&doc);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn sip_and_url_canonical_forms_are_idempotent(
        sip in sip_uri(),
        url in url(),
        text in "[ -~]{0,24}",
    ) {
        for s in [sip.as_str(), text.as_str()] {
            if let Some(once) = uri::sip_canonical(s) {
                prop_assert_eq!(uri::sip_canonical(&once), Some(once.clone()), "{}", s);
            }
            let v = uri::vapi_sip_uri(s);
            prop_assert_eq!(uri::vapi_sip_uri(&v), v);
        }
        prop_assert!(uri::sip_canonical(&sip).is_some(), "{}", sip);
        for s in [url.as_str(), text.as_str()] {
            if let Some(once) = uri::url_canonical(s) {
                prop_assert_eq!(uri::url_canonical(&once), Some(once.clone()), "{}", s);
            }
        }
        prop_assert!(uri::url_canonical(&url).is_some(), "{}", url);
    }

    #[test]
    fn normalize_is_idempotent_on_any_json(doc in any_json()) {
        let once = normalize(&doc);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn a_document_has_no_differences_with_itself(doc in phone_number()) {
        let n = normalize(&doc);
        prop_assert!(differences(&n, &n).is_empty());
        // Also spelled differently on one side: the normalized forms still agree.
        prop_assert!(differences(&n, &normalize(&n)).is_empty());
        // And a number audited against its own live copy is in sync.
        let r = compare(desired_number(doc.clone()), &doc, &IgnoreSet::default());
        prop_assert!(r.differences.is_empty(), "{:?}", r.differences);
        prop_assert!(r.diff.is_empty());
    }

    #[test]
    fn diff_is_symmetric_with_add_and_remove_swapped(
        (a, b) in phone_number().prop_flat_map(|a| (Just(a.clone()), live_variant(a)))
    ) {
        let (na, nb) = (normalize(&a), normalize(&b));
        let forward: Vec<_> = differences(&na, &nb)
            .into_iter()
            .map(|d| (d.path.to_string(), swapped(d.change)))
            .collect();
        let backward: Vec<_> = differences(&nb, &na)
            .into_iter()
            .map(|d| (d.path.to_string(), d.change))
            .collect();
        prop_assert_eq!(&forward, &backward);

        // Through the audit, paths are mapped back to each side's spelling; the
        // swap holds when neither side had anything renamed (hooks already in
        // event order, header names already lower case).
        // event order, header names already lower case) and no write-only secret
        // was set on one side only (that one is unverifiable, by design one-sided).
        let identity = |v: &Value| normalize_mapped(v).1 == PathMap::default();
        let there = compare(desired_number(a.clone()), &b, &IgnoreSet::default());
        let back = compare(desired_number(b.clone()), &a, &IgnoreSet::default());
        // A field the schema does not know is never a difference: it is reported
        // apart (by design one-sided too).
        let unknown = !there.unknown_fields.is_empty() || !back.unknown_fields.is_empty();
        // A vapi number's assigned fields are compared only when the desired side
        // states them (pinned): one-sided by design when only one side pins them.
        let pinned_alike = vapi_drift::normalize::pins(&a) == vapi_drift::normalize::pins(&b);
        if pinned_alike && identity(&a) && identity(&b) && there.unverifiable.is_empty() && back.unverifiable.is_empty() && !unknown {
            let f: Vec<_> = there
                .differences
                .into_iter()
                .map(|d| (d.path.to_string(), swapped(d.change)))
                .collect();
            let r: Vec<_> = back
                .differences
                .into_iter()
                .map(|d| (d.path.to_string(), d.change))
                .collect();
            let mut f_sorted = f.clone();
            let mut r_sorted = r.clone();
            f_sorted.sort();
            r_sorted.sort();
            prop_assert_eq!(f_sorted, r_sorted);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_secret_value_reaches_any_rendered_report(
        (desired, live) in phone_number().prop_flat_map(|a| (Just(a.clone()), live_variant(a)))
    ) {
        let mut secrets = Vec::new();
        secrets_in(&desired, &mut secrets);
        secrets_in(&live, &mut secrets);
        let result = compare(desired_number(desired), &live, &IgnoreSet::default());
        let audit = Audit {
            results: vec![Box::new(result)],
            fatal: None,
            errors: Vec::new(),
            unused_rules: Vec::new(),
            expired_rules: Vec::new(),
            unmanaged: Unmanaged::default(),
            ..Audit::default()
        };
        let policy = Policy::default();
        let report = Report { audit: &audit, outcome: ExitCode::for_audit(&audit, &policy), exit_code: ExitCode::Drift, policy };
        for (name, format) in Format::ALL {
            for color in [false, true] {
                let text = format.render(&report, color);
                for s in &secrets {
                    prop_assert!(!text.contains(s.as_str()), "{} report leaks {}:\n{}", name, s, text);
                }
                prop_assert!(!text.contains(SECRET_MARK), "{} report leaks a secret:\n{}", name, text);
            }
        }
    }
}

/// The doc with `${V<j>}` appended to the string leaves `picks` choose (by index,
/// modulo their count; `provider` and `id` are left alone), as YAML text, and the
/// same doc with the variables' values in their place.
fn with_variables(doc: &Value, picks: &[usize], values: &[String]) -> (String, Value) {
    let paths: Vec<String> = common::leaves(doc)
        .into_iter()
        .filter(|(at, v)| v.is_string() && at != "/provider" && at != "/id")
        .map(|(at, _)| at)
        .collect();
    let (mut templated, mut resolved) = (doc.clone(), doc.clone());
    // A `${` the text has already is written `$${`, as export writes it.
    for at in &paths {
        let t = templated.pointer_mut(at).expect("a leaf");
        *t = json!(t.as_str().unwrap_or_default().replace("${", "$${"));
    }
    if !paths.is_empty() {
        for (j, pick) in picks.iter().enumerate() {
            let at = &paths[pick % paths.len()];
            let t = templated.pointer_mut(at).expect("a leaf");
            // (After a space: a text ending in `$` would make `$${`, a literal.)
            *t = json!(format!("{} ${{V{j}}}", t.as_str().unwrap_or_default()));
            let r = resolved.pointer_mut(at).expect("a leaf");
            *r = json!(format!("{} {}", r.as_str().unwrap_or_default(), values[j]));
        }
    }
    (
        serde_json::to_string_pretty(&templated).expect("json"),
        resolved,
    )
}

/// Every secret leaf of a generated live number (header and SIP header values,
/// Twilio credentials, the SIP password) given a marked value of its own.
fn mark_secrets(v: &mut Value, at: &mut vapi_drift::pointer::Pointer, seed: u64, n: &mut usize) {
    match v {
        Value::Object(o) => o.iter_mut().for_each(|(k, v)| {
            at.push(k.as_str());
            mark_secrets(v, at, seed, n);
            at.pop();
        }),
        Value::Array(a) => a.iter_mut().enumerate().for_each(|(i, v)| {
            at.push(i.to_string());
            mark_secrets(v, at, seed, n);
            at.pop();
        }),
        Value::Null => {}
        leaf if vapi_drift::secret::is_secret(at) => {
            *n += 1;
            *leaf = json!(format!("{SECRET_MARK}{n}q{seed:x}"));
        }
        _ => {}
    }
}

static LOADED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static TRIED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// Issue 10, item 13: secrets in every secret position of numbers generated
    /// from the schema (header and SIP header values, Twilio credentials, the SIP
    /// password, a credential query parameter of server.url) and `${VAR}` values
    /// anywhere a string is: no secret byte in any report format, in `explain`,
    /// or in a config error (an appended `${VAR}` can make a value invalid: the
    /// error must not quote it).
    #[test]
    fn no_secret_and_no_interpolated_value_reaches_any_output(
        seed in any::<u64>(),
        provider in 0usize..5,
        picks in prop::collection::vec(0usize..64, 1..4),
        values in prop::collection::vec(secret(), 3),
        token in secret(),
        rotate in secret(),
    ) {
        let mut g = common::generated::Gen::new(seed);
        let mut live = g.live_number(common::generated::PROVIDERS[provider], "pn-secret");
        mark_secrets(&mut live, &mut vapi_drift::pointer::Pointer::root(), seed, &mut 0);
        if live.get("server").is_some_and(Value::is_object) {
            live["server"]["url"] = json!(format!("https://hooks.example.com/v?tenant=a&token={token}"));
        }
        let mut desired = live.clone();
        for k in ["orgId", "createdAt", "updatedAt", "status"] {
            desired.as_object_mut().expect("object").remove(k);
        }
        let (text, resolved) = with_variables(&desired, &picks, &values);
        let env = |k: &str| k.strip_prefix('V').and_then(|j| j.parse::<usize>().ok()).and_then(|j| values.get(j).cloned());
        let mut secrets = values.clone();
        secrets_in(&resolved, &mut secrets);
        secrets.push(rotate.clone());
        // Live holds what the variables hold, and rotated the webhook token.
        let mut live_now = resolved.clone();
        for k in ["orgId", "createdAt", "updatedAt", "status"] {
            live_now[k] = live[k].clone();
        }
        if live_now.get("server").is_some_and(Value::is_object) {
            live_now["server"]["url"] = json!(format!("https://hooks.example.com/v?tenant=a&token={rotate}"));
        }
        let (mut numbers, mut errors) = (Vec::new(), Vec::new());
        vapi_drift::desired::load_text("p.yaml", &text, &env, vapi_drift::desired::IdRule::Required, &mut numbers, &mut errors);
        for e in &errors {
            let e = e.to_string();
            prop_assert!(!e.contains(SECRET_MARK), "a config error leaks a secret: {}", e);
        }
        TRIED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(number) = numbers.pop() else { return Ok(()) };
        LOADED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let explained = vapi_drift::explain::render(&number, vapi_drift::explain::Live::Found(&live_now), &IgnoreSet::default());
        prop_assert!(!explained.contains(SECRET_MARK), "explain leaks a secret:\n{}", explained);
        let result = compare(number, &live_now, &IgnoreSet::default());
        let audit = Audit { results: vec![Box::new(result)], ..Audit::default() };
        let policy = Policy::default();
        let report = Report { audit: &audit, outcome: ExitCode::for_audit(&audit, &policy), exit_code: ExitCode::Drift, policy };
        for (name, format) in Format::ALL {
            let text = format.render(&report, false);
            for s in &secrets {
                prop_assert!(!text.contains(s.as_str()), "{} report leaks {}:\n{}", name, s, text);
            }
            prop_assert!(!text.contains(SECRET_MARK), "{} report leaks a secret:\n{}", name, text);
        }
    }
}

/// The property above is worth something only if most documents load: checked
/// after it (the counters are shared by the test binary).
#[test]
fn most_documents_with_variables_load() {
    // Run the property here as well when this test runs first.
    no_secret_and_no_interpolated_value_reaches_any_output();
    let (tried, loaded) = (
        TRIED.load(std::sync::atomic::Ordering::Relaxed),
        LOADED.load(std::sync::atomic::Ordering::Relaxed),
    );
    assert!(
        loaded * 2 > tried,
        "only {loaded} of {tried} documents loaded"
    );
}
