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
//!
//! Long file: naming files, naming variables and reading the folder's existing
//! files are one plan (a target, a name and a variable each depend on the others);
//! more than half of the file is its tests.

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

/// The file, beside the exported files, that lists every variable (never a value).
pub const SECRETS_FILE: &str = "vapi-drift.secrets.md";

/// An environment variable the desired files read a secret from: one per distinct
/// secret value across the org. Its value is never kept: only where it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// Every place it is read: the file and the path in it.
    pub uses: Vec<(PathBuf, Pointer)>,
}

impl Variable {
    /// What it holds, in words: the field of its first use (`server.headers.Authorization`).
    pub fn what(&self) -> String {
        self.uses
            .first()
            .map(|(_, p)| describe(p))
            .unwrap_or_default()
    }

    /// The files that read it, each once, in order.
    pub fn files(&self) -> Vec<&Path> {
        let mut files: Vec<&Path> = self.uses.iter().map(|(f, _)| f.as_path()).collect();
        files.sort();
        files.dedup();
        files
    }
}

/// `/server/headers/Authorization` -> `server.headers.Authorization`,
/// `/hooks/0/do/0/destination/sipHeaders/X-Token` -> `hooks[].do[].destination.sipHeaders.X-Token`.
fn describe(path: &Pointer) -> String {
    let mut out = String::new();
    for seg in path.segments() {
        if seg.parse::<usize>().is_ok() {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// One file export writes (its text went to the writer as it was made).
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub path: PathBuf,
    /// The live number's id.
    pub id: String,
    /// What the user should know about this number (fields left out, schema problems).
    pub warnings: Vec<String>,
}

/// A desired file already in the export folder.
#[derive(Debug, Clone)]
pub struct ExistingFile {
    pub path: PathBuf,
    /// Each document's `id`, or the keys it is found by when it has none.
    docs: Vec<Claim>,
    /// The `${VAR}`s it reads, with where.
    variables: Vec<(String, Pointer)>,
}

#[derive(Debug, Clone)]
enum Claim {
    Id(String),
    Keys(Vec<crate::lookup::LookupKey>),
}

impl ExistingFile {
    /// Whether one of its documents describes this live number.
    fn describes(&self, live: &Value) -> bool {
        let id = text(live, "id");
        let keys = crate::lookup::live_keys(live);
        self.docs.iter().any(|c| match c {
            Claim::Id(i) => id.as_deref() == Some(i.as_str()),
            Claim::Keys(k) => k.iter().any(|k| keys.contains(k)),
        })
    }

    /// How many phone numbers it declares.
    pub fn numbers(&self) -> usize {
        self.docs.len()
    }
}

/// The desired files already under `out` (none when it does not exist), with the
/// numbers they describe and the variables they read, so that an export into a
/// folder that has some never writes a second file for a number, nor a file over
/// another number's, nor reuses a variable name for another value.
pub fn scan(out: &Path) -> Vec<ExistingFile> {
    if !out.is_dir() {
        return Vec::new();
    }
    let mut errors = Vec::new();
    let files = crate::desired::find_files(&[out.to_path_buf()], &mut errors);
    files
        .into_iter()
        .map(|path| {
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            let docs = yaml::parse_documents(&source).unwrap_or_default();
            let mut claims = Vec::new();
            let mut variables = Vec::new();
            for doc in docs {
                let doc = doc.to_json();
                claims.push(match text(&doc, "id") {
                    Some(id) => Claim::Id(id),
                    None => Claim::Keys(crate::lookup::live_keys(&doc)),
                });
                variables_in(&doc, &Pointer::root(), &mut variables);
            }
            ExistingFile {
                path,
                docs: claims,
                variables,
            }
        })
        .collect()
}

/// The `${VAR}` names a document reads, with where.
fn variables_in(v: &Value, path: &Pointer, out: &mut Vec<(String, Pointer)>) {
    match v {
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| variables_in(x, &path.child(k), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| variables_in(x, &path.index(i), out)),
        Value::String(s) if s.contains("${") => {
            let names = std::cell::RefCell::new(Vec::new());
            let _ = crate::desired::interpolate(s, &|name: &str| {
                names.borrow_mut().push(name.to_string());
                Some(String::new())
            });
            out.extend(names.into_inner().into_iter().map(|n| (n, path.clone())));
        }
        _ => {}
    }
}

/// What export will do: the files it writes, every variable the folder's files
/// read (those it writes and those it keeps), and the files it keeps.
#[derive(Debug, Clone)]
pub struct Plan {
    pub files: Vec<ExportFile>,
    pub variables: Vec<Variable>,
    /// Desired files in the folder that this export does not write.
    pub kept: Vec<ExistingFile>,
}

/// Names one variable per distinct secret value. A name the kept files already
/// read is taken only when the environment holds this very value under it (the
/// same secret); else the next free name is.
struct Secrets<'a> {
    by_value: std::collections::HashMap<String, usize>,
    vars: Vec<Variable>,
    reserved: HashSet<String>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Secrets<'_> {
    fn name_for(&mut self, value: &Value, path: &Pointer, file: &Path) -> String {
        let key = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if let Some(&i) = self.by_value.get(&key) {
            self.vars[i].uses.push((file.to_path_buf(), path.clone()));
            return self.vars[i].name.clone();
        }
        let base = format!("VAPI_DRIFT_{}", field_name(path));
        let mut n = 1;
        let name = loop {
            let candidate = if n == 1 {
                base.clone()
            } else {
                format!("{base}_{n}")
            };
            let taken = self.vars.iter().any(|v| v.name == candidate);
            let reserved = self.reserved.contains(&candidate)
                && (self.env)(&candidate).as_deref() != Some(key.as_str());
            if !taken && !reserved {
                break candidate;
            }
            n += 1;
        };
        self.by_value.insert(key, self.vars.len());
        self.vars.push(Variable {
            name: name.clone(),
            uses: vec![(file.to_path_buf(), path.clone())],
        });
        name
    }
}

/// Where each live number goes, before any file's text is made: the first half
/// of a [`Plan`], so that the files already there can be checked before any is
/// written. The numbers are held as the caller holds them (the list's compact
/// text) and parsed when looked at: once here, once more to [`Placement::render`].
pub struct Placement<'a, T> {
    /// In order of creation, each with its file.
    placed: Vec<(&'a T, PathBuf)>,
    parse: &'a dyn Fn(&T) -> Value,
    /// Desired files in the folder that this export does not write.
    pub kept: Vec<ExistingFile>,
}

/// The files for these live numbers, in `out`. Each number's name (else its
/// number, else its id) gives the file name; numbers that would share one are
/// told apart by `-2`, `-3`… in order of creation, so names stay stable. A number
/// a file in `out` already describes (by id, or by number for a document without
/// one) is written to that file, and a file of another number is never a target.
/// `parse` gives a number's value.
pub fn place<'a, T>(
    live: &'a [T],
    parse: &'a dyn Fn(&T) -> Value,
    out: &Path,
    existing: Vec<ExistingFile>,
) -> Result<Placement<'a, T>, String> {
    /// What placing a number needs of it, so that it is parsed once for this.
    struct Key<'a, T> {
        created: Option<String>,
        id: Option<String>,
        /// The existing file that describes it.
        own: Option<usize>,
        stem: String,
        n: &'a T,
    }
    let mut order: Vec<Key<'a, T>> = live
        .iter()
        .map(|n| {
            let v = parse(n);
            let own = existing.iter().position(|f| f.describes(&v));
            Key {
                created: text(&v, "createdAt"),
                id: text(&v, "id"),
                own,
                stem: if own.is_none() {
                    base_stem(&v)
                } else {
                    String::new()
                },
                n,
            }
        })
        .collect();
    order.sort_by(|a, b| (&a.created, &a.id).cmp(&(&b.created, &b.id)));
    // The stems of the files in `out` itself: taken unless a number is written back to its own.
    let mut used: HashSet<String> = existing
        .iter()
        .filter(|f| f.path.parent() == Some(out))
        .filter_map(|f| f.path.file_stem().and_then(|s| s.to_str()))
        .map(str::to_string)
        .collect();
    let mut targets: HashSet<PathBuf> = HashSet::new();
    let mut placed = Vec::with_capacity(order.len());
    for k in order {
        let path = match k.own.map(|i| &existing[i]) {
            Some(f) if f.numbers() == 1 => f.path.clone(),
            Some(f) => {
                return Err(format!(
                    "live number {} is described in {} with {} other numbers; export writes one file per number: move that document to a file of its own, or delete it, then export again",
                    k.id.unwrap_or_default(),
                    f.path.display(),
                    f.numbers() - 1
                ));
            }
            None => out.join(format!("{}.yaml", unique(&k.stem, &mut used))),
        };
        if !targets.insert(path.clone()) {
            return Err(format!(
                "two live numbers would be written to {}: it describes both; give each a file of its own",
                path.display()
            ));
        }
        placed.push((k.n, path));
    }
    let kept: Vec<ExistingFile> = existing
        .into_iter()
        .filter(|f| !targets.contains(&f.path))
        .collect();
    Ok(Placement {
        placed,
        parse,
        kept,
    })
}

impl<T> Placement<'_, T> {
    /// How many files export writes.
    pub fn len(&self) -> usize {
        self.placed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.placed.is_empty()
    }

    /// The files export writes, in order of creation.
    pub fn targets(&self) -> impl Iterator<Item = &Path> {
        self.placed.iter().map(|(_, p)| p.as_path())
    }

    /// Makes each file's text, in order of creation, and hands it to `write` as
    /// it is made (no text is kept); the first error of either stops it. `env`
    /// says whether a variable the kept files read holds the same value.
    pub fn render(
        self,
        env: &dyn Fn(&str) -> Option<String>,
        write: &mut dyn FnMut(PathBuf, String) -> Result<(), String>,
    ) -> Result<Plan, String> {
        let kept = self.kept;
        let mut secrets = Secrets {
            by_value: std::collections::HashMap::new(),
            vars: Vec::new(),
            reserved: kept
                .iter()
                .flat_map(|f| f.variables.iter().map(|(n, _)| n.clone()))
                .collect(),
            env,
        };
        let mut files = Vec::with_capacity(self.placed.len());
        for (n, path) in self.placed {
            let n = &(self.parse)(n);
            let (doc, names, warnings) =
                document(n, &mut |value, at| secrets.name_for(value, at, &path));
            let body = yaml::render_document(&doc).map_err(|e| {
                format!(
                    "cannot write live number {} as YAML: {e}",
                    text(n, "id").unwrap_or_default()
                )
            })?;
            let mut header = format!(
                "# yaml-language-server: $schema={}\n# {} ({}), exported from Vapi by `vapi-drift export`.\n",
                schema::SCHEMA_URL,
                one_line(&label(n)),
                text(n, "provider").unwrap_or_default()
            );
            if !names.is_empty() {
                header.push_str(&format!(
                    "# Secrets are read from the environment: {} (see {SECRETS_FILE}).\n",
                    names.join(", ")
                ));
            }
            write(path.clone(), header + &body)?;
            files.push(ExportFile {
                path,
                id: text(n, "id").unwrap_or_default(),
                warnings,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        // The variables the kept files read go in the list too (their uses there).
        let mut variables = secrets.vars;
        for f in &kept {
            for (name, at) in &f.variables {
                match variables.iter_mut().find(|v| &v.name == name) {
                    Some(v) => v.uses.push((f.path.clone(), at.clone())),
                    None => variables.push(Variable {
                        name: name.clone(),
                        uses: vec![(f.path.clone(), at.clone())],
                    }),
                }
            }
        }
        variables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Plan {
            files,
            variables,
            kept,
        })
    }
}

/// The text of [`SECRETS_FILE`]: each variable, what it holds and which files read
/// it, then how to set them in GitHub Actions. Never a value.
pub fn secrets_file(plan: &Plan, out: &Path) -> String {
    let mut s = String::new();
    let shown = |p: &Path| {
        p.strip_prefix(out)
            .unwrap_or(p)
            .display()
            .to_string()
            .replace('|', "\\|")
    };
    s.push_str(&format!(
        "# Secrets read by the desired files in {}\n\nWritten by `vapi-drift export`; it holds no value. Set each variable to the secret's live value (from your secret store, or where the webhook or SIP trunk was set up) before `vapi-drift check`. One variable per distinct secret value: numbers that share a secret share its variable.\n\n",
        out.display()
    ));
    if plan.variables.is_empty() {
        s.push_str("No secrets: the desired files read no variable.\n");
        return s;
    }
    s.push_str("| variable | holds | read by |\n|---|---|---|\n");
    for v in &plan.variables {
        let files = v.files();
        let list: Vec<String> = files.iter().map(|f| format!("`{}`", shown(f))).collect();
        s.push_str(&format!(
            "| `{}` | `{}` | {} file{}: {} |\n",
            v.name,
            v.what(),
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            list.join(", ")
        ));
    }
    s.push_str("\n## GitHub Actions\n\nStore each as a repository secret (`gh secret set` asks for the value):\n\n```sh\n");
    for v in &plan.variables {
        s.push_str(&format!("gh secret set {}\n", v.name));
    }
    s.push_str("```\n\nand hand them to the check step:\n\n```yaml\nenv:\n");
    for v in &plan.variables {
        s.push_str(&format!("  {}: ${{{{ secrets.{} }}}}\n", v.name, v.name));
    }
    s.push_str("```\n");
    s
}

/// Writers at once: each file waits to reach the disk before it is renamed into
/// place, so an org of thousands of numbers is written by several threads.
pub const WRITERS: usize = 8;

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

/// The desired document of one live number, each secret value replaced by the
/// `${VAR}` that `name` gives it: the document, the variable names it reads (in
/// document order, each once), and warnings.
pub fn document(
    live: &Value,
    name: &mut dyn FnMut(&Value, &Pointer) -> String,
) -> (Value, Vec<String>, Vec<String>) {
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
    // it out (check then reports it apart, as a field the schema does not know).
    for issue in schema::validate_phone_number(&doc) {
        match &issue.kind {
            IssueKind::UnknownKey { .. } => {
                remove(&mut doc, &issue.path);
                warnings.push(format!(
                    "left out {}: the schema does not know it (check reports it as an unknown field, not compared)",
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
    let doc = placeholders(&doc, &Pointer::root(), name, &mut variables);
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

/// Secrets (by the rule every report masks by: `secret::is_secret_value`) become
/// `${VAR}`; every other string has `${` escaped as `$${` so that loading the
/// file gives back the live value.
fn placeholders(
    v: &Value,
    path: &Pointer,
    name: &mut dyn FnMut(&Value, &Pointer) -> String,
    vars: &mut Vec<String>,
) -> Value {
    match v {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, x)| (k.clone(), placeholders(x, &path.child(k), name, vars)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| placeholders(x, &path.index(i), name, vars))
                .collect(),
        ),
        Value::Null => Value::Null,
        leaf if secret::is_secret_value(path, leaf) => {
            let var = name(leaf, path);
            if !vars.contains(&var) {
                vars.push(var.clone());
            }
            Value::String(format!("${{{var}}}"))
        }
        Value::String(s) => Value::String(
            url_placeholders(s, path, name, vars).unwrap_or_else(|| s.replace("${", "$${")),
        ),
        other => other.clone(),
    }
}

/// A URL whose credential-like query values (`?token=…`: the rule the reports mask
/// them by, `secret::name_looks_like_credential`) become `${VAR}`, the rest escaped;
/// `None` when the string is not such a URL. `https://h/hook?token=abc&t=acme` ->
/// `https://h/hook?token=${VAPI_DRIFT_SERVER_URL_TOKEN}&t=acme`.
fn url_placeholders(
    url: &str,
    path: &Pointer,
    name: &mut dyn FnMut(&Value, &Pointer) -> String,
    vars: &mut Vec<String>,
) -> Option<String> {
    let (before, query, fragment) = secret::url_query(url)?;
    let escape = |s: &str| s.replace("${", "$${");
    let mut any = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !v.is_empty() && secret::name_looks_like_credential(k) => {
                any = true;
                let var = name(&Value::String(v.to_string()), &path.child(k));
                if !vars.contains(&var) {
                    vars.push(var.clone());
                }
                format!("{}=${{{var}}}", escape(k))
            }
            _ => escape(pair),
        })
        .collect();
    if !any {
        return None;
    }
    let mut out = format!("{}?{}", escape(before), pairs.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&escape(f));
    }
    Some(out)
}

/// The variable name a secret's field gives, shared by every number (no index,
/// no number name): `server/headers/Authorization` -> `SERVER_AUTHORIZATION`,
/// `fallbackDestination/sipHeaders/X-Token` -> `SIP_X_TOKEN`,
/// `hooks/1/do/0/destination/sipHeaders/X-Token` -> `HOOK_SIP_X_TOKEN`,
/// `twilioAuthToken` -> `TWILIO_AUTH_TOKEN`.
fn field_name(path: &Pointer) -> String {
    let parts: Vec<String> = path
        .segments()
        .iter()
        .filter_map(|seg| match seg.as_str() {
            "fallbackDestination" | "destination" | "do" | "headers" => None,
            "sipHeaders" => Some("SIP".to_string()),
            "hooks" => Some("HOOK".to_string()),
            index if index.parse::<usize>().is_ok() => None,
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
        let parse = |n: &Value| n.clone();
        let files = place(&live, &parse, Path::new("out"), Vec::new())
            .expect("place")
            .render(&|_| None, &mut |_, _| Ok(()))
            .expect("render")
            .files;
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
        let (doc, _, warnings) = document(&live, &mut |_, _| "P".into());
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
            "SERVER_AUTHORIZATION"
        );
        assert_eq!(
            field_name(&p("/fallbackDestination/sipHeaders/X-Token")),
            "SIP_X_TOKEN"
        );
        assert_eq!(
            field_name(&p("/authentication/password")),
            "AUTHENTICATION_PASSWORD"
        );
        assert_eq!(
            field_name(&p("/hooks/1/do/0/destination/sipHeaders/X-Token")),
            "HOOK_SIP_X_TOKEN"
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
        let mut named: Vec<(String, Value)> = Vec::new();
        let (doc, vars, warnings) = document(&live, &mut |value, at| {
            let name = format!("VAPI_DRIFT_{}", field_name(at));
            named.push((name.clone(), value.clone()));
            name
        });
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
            "${VAPI_DRIFT_SERVER_AUTHORIZATION}"
        );
        // Not a credential by name or by look: written as it is.
        assert_eq!(doc["server"]["headers"]["X-Tenant"], "acme");
        assert_eq!(doc["twilioAuthToken"], "${VAPI_DRIFT_TWILIO_AUTH_TOKEN}");
        assert_eq!(
            doc["fallbackDestination"]["sipHeaders"]["X-Token"],
            "${VAPI_DRIFT_SIP_X_TOKEN}"
        );
        assert_eq!(doc["name"], "Price $${5}");
        assert_eq!(vars.len(), 3);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("left out /futureField"),
            "{warnings:?}"
        );
        let text = yaml::render_document(&doc).expect("yaml");
        for secret in ["s3cr3t", "tok-secret", "sip-secret"] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        // Loading it with the variables set gives the live number back (in canonical form).
        let env = |k: &str| {
            named
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.as_str().map(str::to_string))
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
        assert_eq!(normalize(&numbers[0].doc().value()), normalize(&expected));
    }
}
