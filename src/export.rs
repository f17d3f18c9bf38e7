//! `vapi-drift export`: one desired YAML file per live number, the way in for an
//! org that already has numbers.
//!
//! Owns: turning a live number into a desired document (what normalization treats
//! as absent left out, keys in a readable order, secrets replaced by `${VAR}`
//! placeholders), naming the files (stable, filesystem-safe, unique), and writing
//! them: all or nothing, never over an existing file unless forced, each atomically.
//!
//! The promise: `check` on what export wrote, against the same org and with the
//! placeholder variables set to the live secret values, finds every number in sync.
//!
//! Does not own: reading the org (see `vapi::list`), YAML (see `yaml`), which
//! fields are secret (see `secret`), what counts as absent (see `normalize`).

use crate::atomic_file::write_atomically;
use crate::normalize::without_absent;
use crate::pointer::Pointer;
use crate::schema::{self, IssueKind};
use crate::secret;
use crate::yaml;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// These keys come first, in this order; the others follow in the live order.
const KEY_ORDER: [&str; 10] = [
    "id",
    "provider",
    "number",
    "name",
    "assistantId",
    "squadId",
    "workflowId",
    "fallbackDestination",
    "hooks",
    "server",
];

/// The longest file stem, in characters.
const MAX_STEM: usize = 60;

/// An environment variable an exported file reads a secret from. Its value is
/// never kept: only where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// Where the secret sits in the document (and in the live number).
    pub path: Pointer,
}

/// One file export will write.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub path: PathBuf,
    /// The live number's id.
    pub id: String,
    pub text: String,
    pub variables: Vec<Variable>,
    /// What the user should know about this number (fields left out, schema problems).
    pub warnings: Vec<String>,
}

/// The files for these live numbers, in `out`. Each number's name (else its
/// number, else its id) gives the file name; numbers that would share one are
/// told apart by `-2`, `-3`… in order of creation, so names stay stable.
pub fn plan(live: &[Value], out: &Path) -> Result<Vec<ExportFile>, String> {
    plan_with(live, Value::clone, out)
}

/// [`plan`] for numbers held in another form (the list's compact text): `parse`
/// gives each one's value, and is called twice per number (once to order and
/// name the files, once to write each), so that no more than one number is held
/// parsed at a time.
pub fn plan_with<T>(
    live: &[T],
    parse: impl Fn(&T) -> Value,
    out: &Path,
) -> Result<Vec<ExportFile>, String> {
    let mut order: Vec<(Option<String>, Option<String>, String, usize)> = live
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let n = parse(n);
            (text(&n, "createdAt"), text(&n, "id"), base_stem(&n), i)
        })
        .collect();
    order.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut used = HashSet::new();
    let mut files = Vec::with_capacity(order.len());
    for (_, _, base, i) in order {
        let n = &parse(&live[i]);
        let stem = unique(&base, &mut used);
        let prefix = format!("VAPI_DRIFT_{}", upper_snake(&stem));
        let (doc, variables, warnings) = document(n, &prefix);
        let body = yaml::render_document(&doc).map_err(|e| {
            format!(
                "cannot write live number {} as YAML: {e}",
                text(n, "id").unwrap_or_default()
            )
        })?;
        let mut header = format!(
            "# {} ({}), exported from Vapi by `vapi-drift export`.\n",
            one_line(&label(n)),
            text(n, "provider").unwrap_or_default()
        );
        if !variables.is_empty() {
            let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
            header.push_str(&format!(
                "# Secrets are read from the environment: {}.\n",
                names.join(", ")
            ));
        }
        files.push(ExportFile {
            path: out.join(format!("{stem}.yaml")),
            id: text(n, "id").unwrap_or_default(),
            text: header + &body,
            variables,
            warnings,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The files of a plan that exist already.
pub fn existing(files: &[ExportFile]) -> Vec<&Path> {
    files
        .iter()
        .map(|f| f.path.as_path())
        .filter(|p| p.exists())
        .collect()
}

/// Writers at once: each atomic write waits for its file to reach the disk, so
/// an org of thousands of numbers is written by several threads.
const WRITERS: usize = 8;

/// Writes every file (each atomically); the errors name the files, in file order.
pub fn write(files: &[ExportFile]) -> Vec<String> {
    let chunk = files.len().div_ceil(WRITERS).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|f| {
                            write_atomically(&f.path, f.text.as_bytes())
                                .err()
                                .map(|e| format!("cannot write {}: {e}", f.path.display()))
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a writer thread does not panic"))
            .collect()
    })
}

fn text(n: &Value, key: &str) -> Option<String> {
    n.get(key).and_then(Value::as_str).map(str::to_string)
}

fn label(n: &Value) -> String {
    ["name", "number", "sipUri", "id"]
        .iter()
        .find_map(|k| text(n, k))
        .unwrap_or_default()
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The desired document of one live number, its secrets replaced by
/// `${<prefix>_<FIELD>}`: the document, the variables, and warnings.
pub fn document(live: &Value, prefix: &str) -> (Value, Vec<Variable>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut doc = Map::new();
    if let Some(id) = live.get("id") {
        doc.insert("id".into(), id.clone());
    }
    if let Value::Object(rest) = without_absent(live) {
        doc.extend(rest);
    }
    let mut doc = Value::Object(doc);
    // A default the schema requires all the same (`backoffPlan.type: fixed`) goes
    // back in, as live has it.
    for issue in schema::validate_phone_number(&doc) {
        if let IssueKind::MissingKey { key } = &issue.kind {
            let at = issue.path.to_string();
            let live_value = live.pointer(&issue.path.child(key).to_string());
            if let (Some(value), Some(Value::Object(obj))) = (live_value, doc.pointer_mut(&at)) {
                obj.insert(key.clone(), value.clone());
                // In its live place, not last.
                if let Some(Value::Object(live_obj)) = live.pointer(&at) {
                    let mut reordered: Map<String, Value> = live_obj
                        .keys()
                        .filter_map(|k| obj.shift_remove(k).map(|v| (k.clone(), v)))
                        .collect();
                    reordered.append(obj);
                    *obj = reordered;
                }
            }
        }
    }
    // A field the schema does not know would make `check` reject the file: leave
    // it out (check then shows it as set live only, which it is).
    for issue in schema::validate_phone_number(&doc) {
        match &issue.kind {
            IssueKind::UnknownKey { .. } => {
                remove(&mut doc, &issue.path);
                warnings.push(format!(
                    "left out {}: the schema does not know it (check will show it as set live only)",
                    issue.path
                ));
            }
            kind => warnings.push(format!(
                "{} at {}: check will reject the file until it is fixed",
                kind,
                if issue.path.is_root() {
                    "/".to_string()
                } else {
                    issue.path.to_string()
                }
            )),
        }
    }
    let doc = ordered(doc);
    let mut variables = Vec::new();
    let doc = placeholders(&doc, &Pointer::root(), prefix, &mut variables);
    (doc, variables, warnings)
}

fn remove(doc: &mut Value, path: &Pointer) {
    let Some(key) = path.last() else { return };
    let parent = path.parent().to_string();
    if let Some(Value::Object(obj)) = doc.pointer_mut(&parent) {
        obj.shift_remove(key);
    }
}

fn ordered(doc: Value) -> Value {
    let Value::Object(mut obj) = doc else {
        return doc;
    };
    let mut out = Map::new();
    for key in KEY_ORDER {
        if let Some(v) = obj.shift_remove(key) {
            out.insert(key.into(), v);
        }
    }
    out.extend(obj);
    Value::Object(out)
}

/// Secrets become `${VAR}`; every other string has `${` escaped as `$${` so that
/// loading the file gives back the live value.
fn placeholders(v: &Value, path: &Pointer, prefix: &str, vars: &mut Vec<Variable>) -> Value {
    match v {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, x)| (k.clone(), placeholders(x, &path.child(k), prefix, vars)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| placeholders(x, &path.index(i), prefix, vars))
                .collect(),
        ),
        Value::Null => Value::Null,
        _ if secret::is_secret(path) => {
            let base = format!("{prefix}_{}", field_name(path));
            let mut name = base.clone();
            let mut n = 2;
            while vars.iter().any(|v| v.name == name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            vars.push(Variable {
                name: name.clone(),
                path: path.clone(),
            });
            Value::String(format!("${{{name}}}"))
        }
        Value::String(s) => Value::String(s.replace("${", "$${")),
        other => other.clone(),
    }
}

/// `server/headers/Authorization` -> `SERVER_HEADER_AUTHORIZATION`,
/// `fallbackDestination/sipHeaders/X-Token` -> `SIP_HEADER_X_TOKEN`,
/// `twilioAuthToken` -> `TWILIO_AUTH_TOKEN`.
fn field_name(path: &Pointer) -> String {
    let parts: Vec<String> = path
        .segments()
        .iter()
        .filter_map(|seg| match seg.as_str() {
            "fallbackDestination" | "destination" | "do" => None,
            "headers" => Some("HEADER".to_string()),
            "sipHeaders" => Some("SIP_HEADER".to_string()),
            "hooks" => Some("HOOK".to_string()),
            other => Some(upper_snake(other)),
        })
        .filter(|p| !p.is_empty())
        .collect();
    parts.join("_")
}

/// `twilioAuthToken` -> `TWILIO_AUTH_TOKEN`, `X-Api-Key` -> `X_API_KEY`,
/// `support-line` -> `SUPPORT_LINE`: ASCII letters and digits, words joined by `_`.
fn upper_snake(s: &str) -> String {
    let mut out = String::new();
    let mut after_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && after_lower {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
            after_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            after_lower = false;
        }
    }
    out.trim_matches('_').to_string()
}

/// Lower-case ASCII letters and digits, anything else one `-`, at most 60 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(MAX_STEM).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The file stem a number's name (else number, else SIP URI, else id) gives.
fn base_stem(n: &Value) -> String {
    let stem = ["name", "number", "sipUri", "id"]
        .iter()
        .filter_map(|k| text(n, k))
        .map(|t| slug(&t))
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "phone-number".into());
    // Names Windows reserves for devices, whatever the extension.
    let reserved = matches!(stem.as_str(), "con" | "prn" | "aux" | "nul")
        || ((stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.len() == 4
            && stem.ends_with(|c: char| c.is_ascii_digit()));
    if reserved {
        format!("{stem}-line")
    } else {
        stem
    }
}

fn unique(stem: &str, used: &mut HashSet<String>) -> String {
    let mut candidate = stem.to_string();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{stem}-{n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{IdRule, load_text};
    use crate::normalize::normalize;
    use serde_json::json;

    #[test]
    fn names_are_filesystem_safe_stable_and_unique() {
        assert_eq!(slug("Support line (Twilio)"), "support-line-twilio");
        assert_eq!(slug("+1 (650) 555-0142"), "1-650-555-0142");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("Zürich Büro"), "z-rich-b-ro");
        assert_eq!(slug("///"), "");
        assert_eq!(slug(&"x".repeat(100)).len(), MAX_STEM);
        let n = |id: &str, created: &str, name: &str| json!({"id": id, "provider": "vapi", "createdAt": created, "name": name});
        let live = vec![
            n("b", "2026-02-01T00:00:00Z", "Main"),
            n("a", "2026-01-01T00:00:00Z", "main"),
            n("c", "2026-03-01T00:00:00Z", "///"),
            n("d", "2026-03-02T00:00:00Z", "CON"),
        ];
        let files = plan(&live, Path::new("out")).expect("plan");
        let names: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.path.display().to_string(), f.id.clone()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("out/c.yaml".into(), "c".into()),
                ("out/con-line.yaml".into(), "d".into()),
                ("out/main-2.yaml".into(), "b".into()),
                ("out/main.yaml".into(), "a".into()),
            ]
        );
    }

    #[test]
    fn a_default_the_schema_requires_is_kept() {
        let live = json!({"id": "a", "provider": "vonage", "number": "+1", "credentialId": "c",
            "server": {"url": "https://x", "backoffPlan": {"type": "fixed", "maxRetries": 2, "baseDelaySeconds": 1}}});
        let (doc, _, warnings) = document(&live, "P");
        assert_eq!(doc["server"]["backoffPlan"]["type"], "fixed");
        let keys: Vec<&String> = doc["server"]["backoffPlan"]
            .as_object()
            .expect("o")
            .keys()
            .collect();
        assert_eq!(
            keys,
            ["type", "maxRetries", "baseDelaySeconds"],
            "in the live order"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn variable_names_from_number_name_and_field() {
        assert_eq!(upper_snake("twilioAuthToken"), "TWILIO_AUTH_TOKEN");
        assert_eq!(upper_snake("X-Api-Key"), "X_API_KEY");
        assert_eq!(upper_snake("support-line-twilio"), "SUPPORT_LINE_TWILIO");
        let p = |t: &str| Pointer::parse(t).expect("pointer");
        assert_eq!(
            field_name(&p("/server/headers/Authorization")),
            "SERVER_HEADER_AUTHORIZATION"
        );
        assert_eq!(
            field_name(&p("/fallbackDestination/sipHeaders/X-Token")),
            "SIP_HEADER_X_TOKEN"
        );
        assert_eq!(
            field_name(&p("/authentication/password")),
            "AUTHENTICATION_PASSWORD"
        );
        assert_eq!(
            field_name(&p("/hooks/1/do/0/destination/sipHeaders/X-Token")),
            "HOOK_1_0_SIP_HEADER_X_TOKEN"
        );
    }

    #[test]
    fn a_document_is_readable_secret_free_and_loads_back_to_the_live_number() {
        let live = json!({
            "orgId": "o", "createdAt": "2026-01-01T00:00:00Z", "status": "active",
            "server": {"url": "https://h.example.com", "timeoutSeconds": 20,
                       "headers": {"Authorization": "Bearer s3cr3t", "X-Tenant": "acme"}},
            "twilioAuthToken": "tok-secret", "smsEnabled": true, "assistantId": null,
            "name": "Price ${5}", "number": "+16505550142", "provider": "twilio", "id": "id-1",
            "twilioAccountSid": "AC1", "futureField": 1,
            "fallbackDestination": {"type": "sip", "sipUri": "sip:a@b.c", "sipHeaders": {"X-Token": "sip-secret"}},
        });
        let (doc, vars, warnings) = document(&live, "VAPI_DRIFT_PRICE");
        let keys: Vec<&String> = doc.as_object().expect("obj").keys().collect();
        assert_eq!(
            keys,
            // The first ones in the readable order, the rest in the live order.
            [
                "id",
                "provider",
                "number",
                "name",
                "fallbackDestination",
                "server",
                "twilioAuthToken",
                "twilioAccountSid"
            ]
        );
        assert_eq!(
            doc["server"]["headers"]["Authorization"],
            "${VAPI_DRIFT_PRICE_SERVER_HEADER_AUTHORIZATION}"
        );
        assert_eq!(
            doc["server"]["headers"]["X-Tenant"],
            "${VAPI_DRIFT_PRICE_SERVER_HEADER_X_TENANT}"
        );
        assert_eq!(
            doc["twilioAuthToken"],
            "${VAPI_DRIFT_PRICE_TWILIO_AUTH_TOKEN}"
        );
        assert_eq!(
            doc["fallbackDestination"]["sipHeaders"]["X-Token"],
            "${VAPI_DRIFT_PRICE_SIP_HEADER_X_TOKEN}"
        );
        assert_eq!(doc["name"], "Price $${5}");
        assert_eq!(vars.len(), 4);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("left out /futureField"),
            "{warnings:?}"
        );
        let text = yaml::render_document(&doc).expect("yaml");
        for secret in ["s3cr3t", "tok-secret", "sip-secret", "acme"] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        // Loading it with the variables set gives the live number back (in canonical form).
        let env = |k: &str| {
            vars.iter().find(|v| v.name == k).map(|v| {
                live.pointer(&v.path.to_string())
                    .and_then(Value::as_str)
                    .expect("a live secret")
                    .to_string()
            })
        };
        let mut numbers = Vec::new();
        let mut errors = Vec::new();
        load_text(
            "x.yaml",
            &text,
            &env,
            IdRule::Required,
            &mut numbers,
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}\n{text}");
        let mut expected = live.clone();
        expected
            .as_object_mut()
            .expect("obj")
            .shift_remove("futureField");
        assert_eq!(normalize(&numbers[0].doc.value()), normalize(&expected));
    }
}
