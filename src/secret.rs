//! Secrets: which paths of a phone number hold one, and masking them for output.
//!
//! Owns: the list of secret fields (REFERENCE.md §8: Twilio credentials, the SIP
//! password, legacy server secrets), the one rule for which header values are
//! secrets ([`is_secret_header`], [`looks_like_credential`]), the `<sensitive>`
//! marker, what a masked live value shows and whether it agrees with the desired
//! one, and the API key's wrapper type. Reports, diffs, `explain` and `export` all
//! decide through here. Values are compared by value elsewhere; they are only ever
//! printed through here.

use crate::pointer::Pointer;
use serde_json::Value;
use std::sync::RwLock;

/// What a secret value is printed as, everywhere.
pub const MASK: &str = "<sensitive>";
/// What a live secret is printed as when it differs from the desired one.
pub const MASK_CHANGED: &str = "<sensitive, changed>";

/// Top-level fields whose value is a secret.
const SECRET_FIELDS: [&[&str]; 6] = [
    &["twilioAuthToken"],
    &["twilioApiKey"],
    &["twilioApiSecret"],
    &["authentication", "password"],
    &["serverUrlSecret"],
    &["server", "secret"],
];

/// Secret fields the API might not return: set in a desired document, absent
/// live, they cannot be verified (and are not drift).
pub const WRITE_ONLY_CANDIDATES: [&[&str]; 4] = [
    &["twilioAuthToken"],
    &["twilioApiKey"],
    &["twilioApiSecret"],
    &["authentication", "password"],
];

/// Parts of a header name that make its value a secret (compared case-insensitively):
/// `Authorization`, `Proxy-Authorization`, `X-Api-Key`, `X-Auth-Token`, `Cookie`,
/// `X-Webhook-Signature`, `X-Session-Id`… When unsure, mask: a part matches
/// anywhere in the name.
pub const CREDENTIAL_NAME_PARTS: [&str; 10] = [
    "auth",
    "key",
    "token",
    "secret",
    "pass",
    "signature",
    "cookie",
    "credential",
    "session",
    "jwt",
];

/// Header names a team declared secret (`secret_headers:` in the ignore file,
/// `--secret-header`), lower-case. Set once per run, before anything is printed;
/// held here so that every mask, report and export applies the same rule without
/// each caller passing it along.
static DECLARED_HEADERS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Declares more header names whose values are secrets (case-insensitive, exact names).
pub fn declare_secret_headers<S: AsRef<str>>(names: impl IntoIterator<Item = S>) {
    let mut declared = DECLARED_HEADERS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for name in names {
        let name = name.as_ref().trim().to_ascii_lowercase();
        if !name.is_empty() && !declared.contains(&name) {
            declared.push(name);
        }
    }
}

/// The rule for header values: a header whose name contains one of
/// [`CREDENTIAL_NAME_PARTS`], or that a team declared, holds a secret.
pub fn is_secret_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    CREDENTIAL_NAME_PARTS.iter().any(|p| lower.contains(p))
        || DECLARED_HEADERS
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&lower)
}

/// Whether a header value looks like a credential whatever its header is called
/// (when unsure, mask): an HTTP auth scheme (`Bearer …`, `Basic …`, `Token …`), or
/// an opaque token (24 characters or more, no spaces, letters and digits).
pub fn looks_like_credential(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    let scheme = ["bearer ", "basic ", "digest ", "token ", "apikey ", "hmac "]
        .iter()
        .any(|s| lower.starts_with(s));
    let opaque = v.chars().count() >= 24
        && !v.contains(char::is_whitespace)
        && v.contains(|c: char| c.is_ascii_digit())
        && v.contains(|c: char| c.is_alphabetic());
    scheme || opaque
}

/// The header name when `path` is inside a header map: `server.headers` (webhook
/// headers) or `sipHeaders` at any depth.
pub fn header_name(path: &Pointer) -> Option<&str> {
    let segs = path.segments();
    (0..segs.len().saturating_sub(1))
        .find(|&i| {
            segs[i] == "sipHeaders" || (i > 0 && segs[i] == "headers" && segs[i - 1] == "server")
        })
        .map(|i| segs[i + 1].as_str())
}

/// Whether the value at `path` is secret by its place alone: a secret field (or
/// inside one), or a header the rule calls secret ([`is_secret_header`]).
pub fn is_secret(path: &Pointer) -> bool {
    let segs = path.segments();
    if SECRET_FIELDS
        .iter()
        .any(|f| segs.len() >= f.len() && segs.iter().zip(f.iter()).all(|(a, b)| a == b))
    {
        return true;
    }
    header_name(path).is_some_and(is_secret_header)
}

/// Whether this value at `path` is secret: by its place ([`is_secret`]), or as a
/// header value that looks like a credential ([`looks_like_credential`]).
pub fn is_secret_value(path: &Pointer, value: &Value) -> bool {
    is_secret(path)
        || (header_name(path).is_some() && value.as_str().is_some_and(looks_like_credential))
}

/// Whether a value at `path` is or contains a secret.
pub fn touches_secret(path: &Pointer, value: Option<&Value>) -> bool {
    is_secret(path) || value.is_some_and(|v| mask(v, path) != *v)
}

/// The value with every secret inside it replaced by `<sensitive>`.
pub fn mask(value: &Value, path: &Pointer) -> Value {
    mask_against(value, path, None)
}

/// Masks `value`; where `other` (the other side) has a different secret at the
/// same path, the marker says it changed, so a text diff still shows the line.
pub fn mask_against(value: &Value, path: &Pointer, other: Option<&Value>) -> Value {
    match value {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| {
                    let o = other.and_then(|o| o.get(k));
                    (k.clone(), mask_against(v, &path.child(k), o))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| mask_against(v, &path.index(i), other.and_then(|o| o.get(i))))
                .collect(),
        ),
        Value::Null => Value::Null,
        // A leaf is masked when it is a secret, or the other side's value there is;
        // a URL keeps its text but for its credential-like query values.
        leaf if !is_secret_value(path, leaf)
            && !other.is_some_and(|o| is_secret_value(path, o)) =>
        {
            match leaf {
                Value::String(s) => Value::String(
                    mask_url_query(s, other.and_then(Value::as_str)).unwrap_or_else(|| s.clone()),
                ),
                _ => leaf.clone(),
            }
        }
        leaf => match other {
            Some(o) if o != leaf && !o.is_object() && !o.is_array() => {
                Value::String(MASK_CHANGED.into())
            }
            _ => Value::String(MASK.into()),
        },
    }
}

/// A URL's parts around its query: what comes before the `?`, the query, the
/// fragment after a `#`; `None` when the text is not a URL or has no query.
pub fn url_query(url: &str) -> Option<(&str, &str, Option<&str>)> {
    if !url.contains("://") {
        return None;
    }
    let (before, query) = url.split_once('?')?;
    Some(match query.split_once('#') {
        Some((q, f)) => (before, q, Some(f)),
        None => (before, query, None),
    })
}

/// A URL with the values of its credential-like query parameters (`?token=…`,
/// `&sig=…`, `&api_key=…`: see [`name_looks_like_credential`]) masked: `<sensitive>`, or
/// `<sensitive, changed>` where `other` (the other side's URL) has another value
/// for that parameter. `None` when there is nothing to mask.
pub fn mask_url_query(url: &str, other: Option<&str>) -> Option<String> {
    let (before, query, fragment) = url_query(url)?;
    let other_value = |name: &str| -> Option<&str> {
        let q = other?.split_once('?')?.1;
        let q = q.split_once('#').map_or(q, |(q, _)| q);
        q.split('&').find_map(|p| {
            p.split_once('=')
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v)
        })
    };
    let mut changed = false;
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !v.is_empty() && name_looks_like_credential(k) => {
                changed = true;
                let mark = match other {
                    Some(_) if other_value(k) != Some(v) => MASK_CHANGED,
                    _ => MASK,
                };
                format!("{k}={mark}")
            }
            _ => pair.to_string(),
        })
        .collect();
    if !changed {
        return None;
    }
    let mut out = format!("{before}?{}", masked.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// Whether `path` is `prefix` or lies inside it.
fn under(path: &Pointer, prefix: &Pointer) -> bool {
    path.segments().starts_with(prefix.segments())
}

/// `value` (at `at`) with what `${VAR}` put into a desired document masked: a string
/// at or under one of `paths` (where an interpolated value sits), and any string
/// that contains one of `values` (what the variables held), wherever it is. On the
/// live side (`other`: the desired value at the same place) a masked string that
/// differs is `<sensitive, changed>`. A value from `${VAR}` is a secret by the
/// user's own declaration.
pub fn redact(
    value: &Value,
    at: &Pointer,
    paths: &[Pointer],
    values: &[String],
    other: Option<&Value>,
) -> Value {
    match value {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| {
                    let o = other.and_then(|o| o.get(k));
                    (k.clone(), redact(v, &at.child(k), paths, values, o))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| redact(v, &at.index(i), paths, values, other.and_then(|o| o.get(i))))
                .collect(),
        ),
        Value::Null => Value::Null,
        leaf => {
            let holds = leaf.as_str().is_some_and(|s| {
                values
                    .iter()
                    .any(|v| !v.is_empty() && s.contains(v.as_str()))
            });
            if !holds && !paths.iter().any(|p| under(at, p)) {
                return leaf.clone();
            }
            match other {
                Some(o) if o != leaf && !o.is_object() && !o.is_array() => {
                    Value::String(MASK_CHANGED.into())
                }
                _ => Value::String(MASK.into()),
            }
        }
    }
}

/// `text` with every one of `values` (non-empty) replaced by `<sensitive>`:
/// for messages that quote a value (an enum value that is not allowed).
pub fn scrub_text(text: &str, values: &[String]) -> String {
    let mut out = text.to_string();
    for v in values.iter().filter(|v| !v.is_empty()) {
        out = out.replace(v.as_str(), MASK);
    }
    out
}

/// The words that make a name look like a credential's. A URL query parameter
/// (`?token=…`) or a live field the schema does not know, named with one of
/// them, is masked.
const CREDENTIAL_WORDS: [&str; 16] = [
    "token",
    "key",
    "apikey",
    "secret",
    "sig",
    "signature",
    "password",
    "passwd",
    "pwd",
    "pass",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "jwt",
    "session",
];

/// Whether a name (`access_token`, `X-Api-Key`, `isServerUrlSecretSet`) has a
/// credential word in it: split at non-letters and at camelCase humps.
pub fn name_looks_like_credential(name: &str) -> bool {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if (!c.is_alphanumeric() || (c.is_uppercase() && prev_lower)) && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    words.push(word);
    let whole = name.to_lowercase();
    CREDENTIAL_WORDS.contains(&whole.as_str())
        || words.iter().any(|w| CREDENTIAL_WORDS.contains(&w.as_str()))
}

/// A character an API masks secrets with.
fn mask_char(c: char) -> bool {
    c == '*' || c == '•'
}

/// The parts of a masked value that it shows, in order: the text between its masked
/// runs (four or more mask characters, the whole value included). `None` when the
/// value does not look masked: a short run such as `*` or `**` is a value (a CORS
/// origin, a wildcard), not a mask, and is compared as one.
fn shown_parts(s: &str) -> Option<Vec<&str>> {
    if s.chars().count() >= 4 && s.chars().all(mask_char) {
        return Some(vec!["", ""]);
    }
    let mut parts = Vec::new();
    let mut start = 0; // where the current shown part began
    let mut run_start = None; // where the current run of mask characters began
    let mut run_len = 0;
    for (i, c) in s.char_indices().chain([(s.len(), ' ')]) {
        if mask_char(c) && i < s.len() {
            if run_len == 0 {
                run_start = Some(i);
            }
            run_len += 1;
            continue;
        }
        if run_len >= 4
            && let Some(r) = run_start
        {
            parts.push(&s[start..r]);
            start = i;
        }
        run_len = 0;
    }
    if parts.is_empty() {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// Whether a live value looks like the API masked it (`****`, `sk_****abcd`,
/// `Bearer ****wxyz`): such a value cannot be compared with the desired one whole.
pub fn looks_masked(value: &Value) -> bool {
    value.as_str().is_some_and(|s| shown_parts(s).is_some())
}

/// Whether a masked live value could be `desired`: each part it shows is where the
/// desired value has it (the first at the start, the last at the end, the others in
/// between, in order), a masked run standing for any number of characters. `false`
/// when `masked` is not masked at all.
pub fn mask_agrees(masked: &str, desired: &str) -> bool {
    let Some(parts) = shown_parts(masked) else {
        return false;
    };
    let (first, rest) = parts
        .split_first()
        .expect("a masked value has two parts or more");
    let (last, middle) = rest
        .split_last()
        .expect("a masked value has two parts or more");
    let Some(mut left) = desired.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match left.find(part) {
            Some(at) => left = &left[at + part.len()..],
            None => return false,
        }
    }
    left.ends_with(last)
}

/// Secrets that cannot be compared, taken out of both normalized documents (whose
/// header names are folded and hooks matched, so one path finds a secret on both
/// sides): a write-only candidate the API does not return, and a secret the API
/// returns masked where the part it shows agrees with the desired value. Their paths
/// (normalized) are returned, to be listed as unverifiable. A masked value whose
/// shown part contradicts the desired value stays in: it is drift (and sensitive).
pub fn split_unverifiable(want: &mut Value, have: &mut Value) -> Vec<Pointer> {
    let mut out = Vec::new();
    for field in WRITE_ONLY_CANDIDATES {
        let Some(desired_value) = field_in(want, field) else {
            continue;
        };
        let unverifiable = match field_in(have, field) {
            None => true,
            Some(live) => masked_and_agrees(live, desired_value),
        };
        if unverifiable {
            remove_field(want, field);
            remove_field(have, field);
            out.push(Pointer::from_segments(
                field.iter().map(|s| s.to_string()).collect(),
            ));
        }
    }
    // Any other secret (a webhook or SIP header value, a legacy server secret).
    let mut leaves = Vec::new();
    secret_leaves(want, &mut Pointer::root(), &mut leaves);
    for path in leaves {
        let text = path.to_string();
        let agrees = match (want.pointer(&text), have.pointer(&text)) {
            (Some(d), Some(l)) => masked_and_agrees(l, d),
            _ => false,
        };
        if agrees && remove_entry(want, path.segments()) && remove_entry(have, path.segments()) {
            out.push(path);
        }
    }
    out
}

/// Whether `live` is masked and agrees with `desired` (a number as its JSON text).
fn masked_and_agrees(live: &Value, desired: &Value) -> bool {
    let Some(masked) = live.as_str() else {
        return false;
    };
    match desired {
        Value::String(d) => mask_agrees(masked, d),
        Value::Number(n) => mask_agrees(masked, &n.to_string()),
        Value::Bool(b) => mask_agrees(masked, &b.to_string()),
        _ => false,
    }
}

/// The paths of every secret value in a document (`at`: where `v` is).
fn secret_leaves(v: &Value, at: &mut Pointer, out: &mut Vec<Pointer>) {
    match v {
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            at.push(k.as_str());
            secret_leaves(v, at, out);
            at.pop();
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| {
            at.push(i.to_string());
            secret_leaves(v, at, out);
            at.pop();
        }),
        Value::Null => {}
        _ if is_secret(at) => out.push(at.clone()),
        _ => {}
    }
}

/// The value of a field given by its keys.
fn field_in<'v>(doc: &'v Value, field: &[&str]) -> Option<&'v Value> {
    field.iter().try_fold(doc, |v, seg| v.get(*seg))
}

fn remove_field(doc: &mut Value, field: &[&str]) {
    let segs: Vec<String> = field.iter().map(|s| s.to_string()).collect();
    remove_entry(doc, &segs);
}

/// Removes a mapping entry given by its path; `false` when there is none (a list
/// item is never removed: that would move the items after it).
fn remove_entry(doc: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let Some(target) = crate::pointer::get_mut(doc, parents) else {
        return false;
    };
    target
        .as_object_mut()
        .is_some_and(|o| o.remove(last).is_some())
}

/// The Vapi API key. Debug never shows it; only the HTTP client reads it.
#[derive(Clone)]
pub struct ApiKey(secrecy::SecretString);

impl ApiKey {
    pub fn new(key: String) -> Self {
        ApiKey(secrecy::SecretString::from(key))
    }

    pub fn expose(&self) -> &str {
        use secrecy::ExposeSecret;
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<sensitive>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Pointer {
        Pointer::parse(text).expect("pointer")
    }

    #[test]
    fn secret_paths_cover_every_documented_secret() {
        for secret in [
            "/twilioAuthToken",
            "/twilioApiKey",
            "/twilioApiSecret",
            "/authentication/password",
            "/server/headers/Authorization",
            "/fallbackDestination/sipHeaders/X-Token",
            "/hooks/0/do/0/destination/sipHeaders/X-Token",
            "/hooks/1/do/destination/sipHeaders/X-Auth",
            "/server/headers/proxy-authorization",
            "/server/headers/Cookie",
            "/server/headers/X-Api-Key",
            "/server/headers/X-Webhook-Signature",
            "/server/headers/X-Password",
            "/server/secret",
            "/serverUrlSecret",
        ] {
            assert!(is_secret(&p(secret)), "{secret}");
        }
        for plain in [
            "/server/url",
            "/server/headers",
            "/authentication/username",
            "/twilioAccountSid",
            "/fallbackDestination/sipHeaders",
            "/server/headers/X-Tenant",
            "/fallbackDestination/sipHeaders/X-Region",
            "/name",
        ] {
            assert!(!is_secret(&p(plain)), "{plain}");
        }
    }

    #[test]
    fn a_header_value_that_looks_like_a_credential_is_masked_whatever_its_name() {
        let path = p("/server/headers/X-Tenant");
        assert!(!is_secret_value(&path, &json!("acme")));
        assert!(is_secret_value(&path, &json!("Bearer abc")));
        assert!(is_secret_value(&path, &json!("basic dXNlcjpwYXNz")));
        assert!(is_secret_value(
            &path,
            &json!("sk_live_4f9a8b7c6d5e4f3a2b1c")
        ));
        assert!(!is_secret_value(&path, &json!("eu-west-1 production tier")));
        // Outside header maps the look of a value does not matter.
        assert!(!is_secret_value(&p("/name"), &json!("Bearer abc")));
        // Either side being a secret masks both.
        let masked = mask_against(&json!("acme"), &path, Some(&json!("Bearer x")));
        assert_eq!(masked, json!(MASK_CHANGED));
    }

    #[test]
    fn a_team_declares_more_secret_headers() {
        let path = p("/server/headers/X-Acme-Tenant-Ref");
        assert!(!is_secret(&path));
        declare_secret_headers(["x-acme-TENANT-ref"]);
        assert!(is_secret(&path));
        assert!(is_secret(&p(
            "/fallbackDestination/sipHeaders/X-ACME-Tenant-Ref"
        )));
    }

    #[test]
    fn mask_replaces_every_secret_and_keeps_the_rest() {
        let v = json!({"server": {"url": "https://x", "headers": {"Authorization": "Bearer abc", "X-Tenant": "acme"}},
                       "twilioAuthToken": "tok", "name": "n"});
        let masked = mask(&v, &Pointer::root());
        assert_eq!(
            masked,
            json!({"server": {"url": "https://x", "headers": {"Authorization": MASK, "X-Tenant": "acme"}},
                   "twilioAuthToken": MASK, "name": "n"})
        );
        assert!(touches_secret(&p("/server"), Some(&v["server"])));
        assert!(!touches_secret(&p("/name"), Some(&v["name"])));
    }

    #[test]
    fn a_changed_secret_is_marked_changed_without_its_value() {
        let desired = json!({"twilioAuthToken": "old"});
        let live = json!({"twilioAuthToken": "new"});
        let masked = mask_against(&live, &Pointer::root(), Some(&desired));
        assert_eq!(masked, json!({"twilioAuthToken": MASK_CHANGED}));
        let same = mask_against(&desired, &Pointer::root(), Some(&desired));
        assert_eq!(same, json!({"twilioAuthToken": MASK}));
    }

    #[test]
    fn api_key_debug_is_redacted() {
        let key = ApiKey::new("sk-live-very-secret".into());
        assert_eq!(format!("{key:?}"), "ApiKey(<sensitive>)");
        assert_eq!(key.expose(), "sk-live-very-secret");
    }

    #[test]
    fn credential_query_parameters_are_masked() {
        let url = "https://hooks.example.com/v?tenant=acme&token=s3cr3t&sig=abc#top";
        assert_eq!(
            mask_url_query(url, None).as_deref(),
            Some("https://hooks.example.com/v?tenant=acme&token=<sensitive>&sig=<sensitive>#top")
        );
        let other = "https://hooks.example.com/v?tenant=acme&token=old&sig=abc";
        assert_eq!(
            mask_url_query(url, Some(other)).as_deref(),
            Some(
                "https://hooks.example.com/v?tenant=acme&token=<sensitive, changed>&sig=<sensitive>#top"
            )
        );
        assert_eq!(mask_url_query("https://h/?page=2", None), None);
        let masked = mask(&json!({"server": {"url": url}}), &Pointer::root());
        assert!(!masked.to_string().contains("s3cr3t"), "{masked}");
    }

    #[test]
    fn interpolated_values_are_masked_wherever_they_sit() {
        let paths = vec![p("/server/url")];
        let values = vec!["tok-9f8e".to_string()];
        let desired =
            json!({"server": {"url": "https://h/v?x=tok-9f8e"}, "name": "n tok-9f8e", "a": "b"});
        let live =
            json!({"server": {"url": "https://h/v?x=rotated"}, "name": "n tok-9f8e", "a": "b"});
        let d = redact(&desired, &Pointer::root(), &paths, &values, None);
        assert_eq!(d, json!({"server": {"url": MASK}, "name": MASK, "a": "b"}));
        let l = redact(&live, &Pointer::root(), &paths, &values, Some(&desired));
        assert_eq!(
            l,
            json!({"server": {"url": MASK_CHANGED}, "name": MASK, "a": "b"})
        );
        assert_eq!(
            scrub_text("invalid value \"tok-9f8e\"", &values),
            "invalid value \"<sensitive>\""
        );
    }

    #[test]
    fn credential_names() {
        for name in [
            "token",
            "access_token",
            "X-Api-Key",
            "apiKey",
            "sig",
            "Signature",
            "isServerUrlSecretSet",
            "PASSWORD",
            "auth",
        ] {
            assert!(name_looks_like_credential(name), "{name}");
        }
        for name in [
            "page",
            "keyword",
            "signal",
            "design",
            "region",
            "lang",
            "isDeleted",
            "monkey",
        ] {
            assert!(!name_looks_like_credential(name), "{name}");
        }
    }

    #[test]
    fn masked_looking_values() {
        assert!(looks_masked(&json!("****")));
        // A short run of stars is a value (a CORS origin, a wildcard), not a mask:
        // it is compared, so `*` live against an origin desired is drift.
        assert!(!looks_masked(&json!("*")));
        assert!(!looks_masked(&json!("**")));
        assert!(!looks_masked(&json!("•••")));
        assert!(looks_masked(&json!("sk_****abcd")));
        assert!(looks_masked(&json!("Bearer ****wxyz")));
        assert!(looks_masked(&json!("••••1234")));
        assert!(!looks_masked(&json!("plain")));
        assert!(!looks_masked(&json!("a**b")));
        assert!(!looks_masked(&json!("")));
        assert!(!looks_masked(&json!(5)));
    }

    #[test]
    fn a_mask_agrees_only_when_what_it_shows_is_where_the_desired_value_has_it() {
        for (masked, desired) in [
            ("****", "anything"),
            ("****1234", "f0e1d2c31234"),
            ("sk_****abcd", "sk_live_abcd"),
            ("Bearer ****wxyz", "Bearer tok-wxyz"),
            ("ab****ef****yz", "abcdefxyz"),
            ("••••1234", "991234"),
        ] {
            assert!(mask_agrees(masked, desired), "{masked} {desired}");
        }
        for (masked, desired) in [
            ("****1234", "f0e1d2c39999"),
            ("sk_****abcd", "pk_live_abcd"),
            ("Bearer ****wxyz", "Basic tok-wxyz"),
            ("Bearer ****wxyz", "bearer tok-wxyz"),
            ("ab****ef****yz", "abcdyz"),
            ("plain", "plain"),
        ] {
            assert!(!mask_agrees(masked, desired), "{masked} {desired}");
        }
    }

    #[test]
    fn split_unverifiable_keeps_a_contradicting_mask_as_drift() {
        let mut want = json!({"twilioAuthToken": "tok-1234", "server": {"headers": {"authorization": "Bearer x-wxyz"}}});
        let mut have = json!({"twilioAuthToken": "****9999", "server": {"headers": {"authorization": "Bearer ****wxyz"}}});
        let out = split_unverifiable(&mut want, &mut have);
        assert_eq!(out, vec![p("/server/headers/authorization")]);
        assert_eq!(
            want,
            json!({"twilioAuthToken": "tok-1234", "server": {"headers": {}}})
        );
        assert_eq!(
            have,
            json!({"twilioAuthToken": "****9999", "server": {"headers": {}}})
        );
        // Not returned at all: unverifiable.
        let mut want = json!({"authentication": {"username": "u", "password": "pw"}});
        let mut have = json!({"authentication": {"username": "u"}});
        assert_eq!(
            split_unverifiable(&mut want, &mut have),
            vec![p("/authentication/password")]
        );
        assert_eq!(want, have);
    }
}
