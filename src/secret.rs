//! Secrets: which paths of a phone number hold one, and masking them for output.
//!
//! Owns: the list of secret fields (REFERENCE.md §8: Twilio credentials, the SIP
//! password, webhook header values, SIP header values at any depth, legacy server
//! secrets), the `<sensitive>` marker, and the API key's wrapper type.
//! Values are compared by value elsewhere; they are only ever printed through here.

use crate::pointer::Pointer;
use serde_json::Value;

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

/// Whether the value at `path` is secret (the path is a secret field, or lies inside one).
pub fn is_secret(path: &Pointer) -> bool {
    let segs = path.segments();
    if SECRET_FIELDS
        .iter()
        .any(|f| segs.len() >= f.len() && segs.iter().zip(f.iter()).all(|(a, b)| a == b))
    {
        return true;
    }
    // Values of webhook headers (`server.headers`) and of SIP headers, at any depth.
    (0..segs.len().saturating_sub(1)).any(|i| {
        segs[i] == "sipHeaders" || (i > 0 && segs[i] == "headers" && segs[i - 1] == "server")
    })
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
        leaf if !is_secret(path) => leaf.clone(),
        leaf => match other {
            Some(o) if o != leaf && !o.is_object() && !o.is_array() => {
                Value::String(MASK_CHANGED.into())
            }
            _ => Value::String(MASK.into()),
        },
    }
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
pub fn looks_like_credential(name: &str) -> bool {
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

/// Whether a live value looks like the API masked it (`****`, `sk_****abcd`):
/// such a value cannot be compared with the desired one.
pub fn looks_masked(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.contains("****") || (!s.is_empty() && s.chars().all(|c| c == '*' || c == '•'))
    })
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
            "/hooks/1/do/destination/sipHeaders/X",
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
            "/name",
        ] {
            assert!(!is_secret(&p(plain)), "{plain}");
        }
    }

    #[test]
    fn mask_replaces_every_secret_and_keeps_the_rest() {
        let v = json!({"server": {"url": "https://x", "headers": {"Authorization": "Bearer abc", "X-Tenant": "acme"}},
                       "twilioAuthToken": "tok", "name": "n"});
        let masked = mask(&v, &Pointer::root());
        assert_eq!(
            masked,
            json!({"server": {"url": "https://x", "headers": {"Authorization": MASK, "X-Tenant": MASK}},
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
            assert!(looks_like_credential(name), "{name}");
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
            assert!(!looks_like_credential(name), "{name}");
        }
    }

    #[test]
    fn masked_looking_values() {
        assert!(looks_masked(&json!("****")));
        assert!(looks_masked(&json!("sk_****abcd")));
        assert!(!looks_masked(&json!("plain")));
        assert!(!looks_masked(&json!(5)));
    }
}
