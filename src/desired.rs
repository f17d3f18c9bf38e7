//! Desired phone numbers: loading, validation, environment interpolation, source lines.
//!
//! Owns: finding `*.yaml`/`*.yml` files, turning each YAML document into a desired
//! number (its JSON document plus a map from JSON paths to file positions), `${VAR}`
//! interpolation, and every config error a user can make, rendered as
//! `file:line:column: message`. Validation happens here, before any network call.
//!
//! Does not own: YAML syntax (see `yaml`), the schema rules (see `schema`), the
//! source map's storage (see `source_map`).
//!
//! Long file: loading, `${VAR}` interpolation and the checks share one walk of
//! each document (`Doc::convert`), and every config error a user can make is
//! worded here; the source map's storage is in `source_map`. About a quarter is
//! unit tests.

pub use crate::doc_text::DocText;
use crate::doc_text::Strings;
use crate::pointer::{self, Pointer};
use crate::schema;
pub use crate::source_map::SourceMap;
use crate::source_map::{Interned, PathTable};
use crate::yaml::{self, Node, NodeKind, Pos};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One phone number as the desired configuration declares it.
#[derive(Debug, Clone)]
pub struct DesiredNumber {
    /// The number's id: as the document states it, or as the lookup by number or
    /// `sipUri` found it live (see `declares_id`).
    pub id: Option<Box<str>>,
    /// Whether the document states `id` (kept apart from `doc`, which a result
    /// lets go of once nothing will read it: see `NumberResult::shed`).
    pub declares_id: bool,
    pub provider: Box<str>,
    pub name: Option<Box<str>>,
    pub number: Option<Box<str>>,
    /// The file as the user named it (relative paths stay relative).
    pub file: Arc<str>,
    /// The document's first line.
    pub line: u32,
    /// The document and its source map; `None` once a result lets go of them
    /// (`NumberResult::shed`). Boxed: every desired number is held from the load
    /// to the report, most of that time without them.
    pub body: Option<Box<Body>>,
    /// What `${VAR}` put into the document: secrets, masked in every output.
    pub interpolated: Held,
}

/// What a desired number holds of its document until its result is final.
#[derive(Debug, Clone, Default)]
pub struct Body {
    /// The document after `${VAR}` interpolation, exactly as written otherwise
    /// (held compactly, read back when it is compared: see `doc_text`).
    pub doc: DocText,
    pub source_map: SourceMap,
}

/// A shed number's body: an empty document (`null`) and source map.
static SHED: std::sync::LazyLock<Body> = std::sync::LazyLock::new(Body::default);

impl DesiredNumber {
    /// The document (`null` once shed).
    pub fn doc(&self) -> &DocText {
        &self.body.as_deref().unwrap_or(&SHED).doc
    }

    /// Where each path of the document is in its file (the document's first line
    /// for every path, once shed).
    pub fn source_map(&self) -> &SourceMap {
        &self.body.as_deref().unwrap_or(&SHED).source_map
    }
}

/// An [`Interpolated`] held only when a document has one: most have none, and
/// every desired number carries one from the load to the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Held(Option<Box<Interpolated>>);

impl From<Interpolated> for Held {
    fn from(i: Interpolated) -> Held {
        Held((!i.is_empty()).then(|| Box::new(i)))
    }
}

impl std::ops::Deref for Held {
    type Target = Interpolated;

    fn deref(&self) -> &Interpolated {
        static NONE: Interpolated = Interpolated {
            paths: Vec::new(),
            values: Vec::new(),
        };
        self.0.as_deref().unwrap_or(&NONE)
    }
}

/// What `${VAR}` interpolation put into one document. A value that came from the
/// environment is a secret by the user's own declaration, wherever it sits (a token
/// in `server.url`'s query string as much as a header value): every output masks
/// it (see `secret::redact`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interpolated {
    /// The paths of the strings that had a `${VAR}` in them.
    pub paths: Vec<Pointer>,
    /// The values the variables held (each once, non-empty).
    pub values: Vec<String>,
}

impl Interpolated {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.values.is_empty()
    }
}

/// How reports name a desired number: its name, else its number, else its id,
/// else where it is declared (`file:line`).
pub fn label(
    name: Option<&str>,
    number: Option<&str>,
    id: Option<&str>,
    file: &str,
    line: u32,
) -> String {
    name.or(number)
        .or(id)
        .map_or_else(|| format!("{file}:{line}"), str::to_string)
}

impl DesiredNumber {
    /// How reports name the number: its name, else its number, else its id.
    pub fn label(&self) -> String {
        label(
            self.name.as_deref(),
            self.number.as_deref(),
            self.id.as_deref(),
            &self.file,
            self.line,
        )
    }
}

/// What [`Doc::convert`] gathers while it walks one document.
#[derive(Default)]
struct Walk {
    /// The RFC 6901 text of the node being converted.
    path: String,
    /// Each declared path in document order, and where it is.
    order: Vec<Interned>,
    found: Vec<Pos>,
    /// Values whose variable is unset (reported already).
    unset: Vec<Pointer>,
    /// What the variables put into the document.
    interpolated: Interpolated,
}

impl Walk {
    /// Appends one escaped segment to `path`; returns the length to truncate back to.
    fn push_key(&mut self, key: &str) -> usize {
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(&pointer::escape(key));
        len
    }

    fn push_index(&mut self, i: usize) -> usize {
        let len = self.path.len();
        write!(self.path, "/{i}").expect("writing to a String cannot fail");
        len
    }
}

/// A problem in a desired file, with its position when known.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    pub pos: Option<Pos>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: {}", self.file, p.line, p.column, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every config error found in one load, in file and line order.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Whether a desired document must carry `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRule {
    Required,
    Optional,
}

/// What an unset `${VAR}` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsetVars {
    /// An error naming the variable, the file and the line (check, explain).
    Error,
    /// Allowed: the value is not checked, everything else is (`validate --allow-unset-env`,
    /// for pull requests, which have no secrets).
    Allow,
}

/// Loads and validates every desired number under `paths`.
/// `env` resolves `${VAR}`; pass `|k| std::env::var(k).ok()` for the process environment.
///
/// Files are parsed on several threads (at most one per core) when there are
/// many: parsing is most of the CPU an audit spends on a large org, and it comes
/// before the first request. Results and errors keep file order.
pub fn load(
    paths: &[PathBuf],
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    id_rule: IdRule,
) -> Result<Vec<DesiredNumber>, ConfigErrors> {
    load_with(paths, env, id_rule, UnsetVars::Error)
}

/// Below this many files per thread, one thread loads them all.
const FILES_PER_THREAD: usize = 8;

/// [`load`], choosing what an unset variable is.
pub fn load_with(
    paths: &[PathBuf],
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    id_rule: IdRule,
    unset_vars: UnsetVars,
) -> Result<Vec<DesiredNumber>, ConfigErrors> {
    let mut errors = Vec::new();
    let files = find_files(paths, &mut errors);
    if files.is_empty() && errors.is_empty() {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        errors.push(ConfigError {
            file: named.join(", "),
            pos: None,
            message: "no desired phone numbers found (no *.yaml or *.yml files)".into(),
        });
    }
    let mut numbers = Vec::new();
    let load_files =
        |files: &[PathBuf], numbers: &mut Vec<DesiredNumber>, errors: &mut Vec<ConfigError>| {
            let mut tables = Tables::default();
            for file in files {
                let name = file.display().to_string();
                match std::fs::read_to_string(file) {
                    Ok(text) => {
                        let mut doc = Doc {
                            file: &name,
                            env,
                            id_rule,
                            unset_vars,
                            tables: &mut tables,
                        };
                        doc.load(&text, numbers, errors);
                    }
                    Err(e) => errors.push(ConfigError {
                        file: name,
                        pos: None,
                        message: format!("cannot read: {e}"),
                    }),
                }
            }
        };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len() / FILES_PER_THREAD)
        .max(1);
    if threads == 1 {
        load_files(&files, &mut numbers, &mut errors);
    } else {
        let chunk = files.len().div_ceil(threads);
        let load_files = &load_files;
        let parts: Vec<(Vec<DesiredNumber>, Vec<ConfigError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let (mut n, mut e) = (Vec::new(), Vec::new());
                        load_files(part, &mut n, &mut e);
                        (n, e)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        for (n, e) in parts {
            numbers.extend(n);
            errors.extend(e);
        }
    }
    if numbers.is_empty() && errors.is_empty() && !files.is_empty() {
        // Empty or comment-only files must not make an audit of nothing, "in sync".
        errors.push(ConfigError {
            file: files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            pos: None,
            message: "no phone numbers declared (every document is empty)".into(),
        });
    }
    checked(numbers, errors)
}

/// Loads the documents of one file's text (also used by tests and the demo).
pub fn load_text(
    file: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    id_rule: IdRule,
    numbers: &mut Vec<DesiredNumber>,
    errors: &mut Vec<ConfigError>,
) {
    let mut doc = Doc {
        file,
        env,
        id_rule,
        unset_vars: UnsetVars::Error,
        tables: &mut Tables::default(),
    };
    doc.load(text, numbers, errors);
}

/// [`load_with`] over files already read, as (name, text): the desired files at a
/// git revision (`--deployed-ref`). The same checks, ids unique across the files;
/// no files is no numbers (the revision may predate the desired files).
pub fn load_texts(
    files: &[(String, String)],
    env: &dyn Fn(&str) -> Option<String>,
    id_rule: IdRule,
    unset_vars: UnsetVars,
) -> Result<Vec<DesiredNumber>, ConfigErrors> {
    let (mut numbers, mut errors) = (Vec::new(), Vec::new());
    let mut tables = Tables::default();
    for (file, text) in files {
        let mut doc = Doc {
            file,
            env,
            id_rule,
            unset_vars,
            tables: &mut tables,
        };
        doc.load(text, &mut numbers, &mut errors);
    }
    checked(numbers, errors)
}

/// The end of every load: ids unique across the files, errors in file and line order.
fn checked(
    numbers: Vec<DesiredNumber>,
    mut errors: Vec<ConfigError>,
) -> Result<Vec<DesiredNumber>, ConfigErrors> {
    check_unique_ids(&numbers, &mut errors);
    errors.sort_by(|a, b| (&a.file, a.pos).cmp(&(&b.file, b.pos)));
    if errors.is_empty() {
        Ok(numbers)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// How one file's documents are read.
struct Doc<'a> {
    file: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
    id_rule: IdRule,
    unset_vars: UnsetVars,
    /// Shared with the other files this thread loads.
    tables: &'a mut Tables,
}

/// What the documents one thread loads share: their path texts (source maps) and
/// their repeated strings (documents).
#[derive(Default)]
struct Tables {
    paths: PathTable,
    strings: Strings,
}

impl Doc<'_> {
    fn load(
        &mut self,
        text: &str,
        numbers: &mut Vec<DesiredNumber>,
        errors: &mut Vec<ConfigError>,
    ) {
        let (file, id_rule) = (self.file, self.id_rule);
        let docs = match yaml::parse_documents(text) {
            Ok(docs) => docs,
            Err(e) => {
                errors.push(ConfigError {
                    file: file.into(),
                    pos: e.pos,
                    message: format!("invalid YAML: {}", e.message),
                });
                return;
            }
        };
        // The file's name once, however many numbers it declares.
        let shared: Arc<str> = file.into();
        for node in docs {
            let root = node.pos;
            let before = errors.len();
            let mut walk = Walk::default();
            let doc = self.convert(node, &mut walk, errors);
            let Walk {
                order,
                found,
                unset,
                interpolated,
                ..
            } = walk;
            let source_map = self.tables.paths.source_map(root, order, &found);
            // A value whose variable is unset was reported already; its raw text would
            // only add a misleading length or format complaint.
            let issues: Vec<schema::Issue> = schema::validate_phone_number(&doc)
                .into_iter()
                .filter(|i| !unset.contains(&i.path))
                .collect();
            for issue in &issues {
                let pos = match &issue.kind {
                    // A missing key is reported where its parent mapping starts.
                    schema::IssueKind::MissingKey { .. } => source_map.position(&issue.path),
                    _ => source_map.position(&issue.path),
                };
                let at = if issue.path.is_root() {
                    String::new()
                } else {
                    format!(" at {}", issue.path)
                };
                errors.push(ConfigError {
                    file: file.into(),
                    pos: Some(pos),
                    message: format!("{}{at}", issue.kind),
                });
            }
            let id = doc.get("id").and_then(Value::as_str).map(canonical_id);
            if let Some(bad) = id
                .as_deref()
                .filter(|i| i.trim().is_empty() || *i == "." || *i == "..")
            {
                errors.push(ConfigError {
                    file: file.into(),
                    pos: Some(source_map.position(&Pointer::root().child("id"))),
                    message: format!("invalid id \"{bad}\": it must name one phone number"),
                });
            }
            if id.is_none() && id_rule == IdRule::Required && doc.get("id").is_none() {
                errors.push(ConfigError {
                    file: file.into(),
                    pos: Some(root),
                    message: "missing required key \"id\" (the phone number's id in Vapi)".into(),
                });
            }
            // A message that quotes a value (an enum value not allowed) never quotes
            // what a variable held.
            for e in &mut errors[before..] {
                e.message = crate::secret::scrub_text(&e.message, &interpolated.values);
            }
            if !issues.is_empty() || errors.len() > before {
                continue;
            }
            let text_of = |k: &str| doc.get(k).and_then(Value::as_str).map(Box::<str>::from);
            numbers.push(DesiredNumber {
                id: id.map(Into::into),
                declares_id: doc.get("id").is_some(),
                provider: text_of("provider").expect("validated: provider is a string"),
                name: text_of("name"),
                number: text_of("number"),
                file: Arc::clone(&shared),
                line: root.line,
                body: Some(Box::new(Body {
                    doc: DocText::new(&doc, &mut self.tables.strings),
                    source_map,
                })),
                interpolated: interpolated.into(),
            });
        }
    }
}

/// An id as it is held and matched: a UUID's text is case-insensitive (RFC 9562 §4),
/// so it is held in the lower case the API answers with (found in the list and by
/// GET); any other id is matched exactly as written.
pub fn canonical_id(id: &str) -> String {
    if crate::uri::is_uuid(id) {
        id.to_ascii_lowercase()
    } else {
        id.to_string()
    }
}

/// The numbers of one YAML text that must load without error (for the unit tests
/// of the modules downstream).
#[cfg(test)]
pub(crate) fn valid_numbers(
    file: &str,
    yaml: &str,
    env: &dyn Fn(&str) -> Option<String>,
    id_rule: IdRule,
) -> Vec<DesiredNumber> {
    let mut numbers = Vec::new();
    let mut errors = Vec::new();
    load_text(file, yaml, env, id_rule, &mut numbers, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    numbers
}

fn check_unique_ids(numbers: &[DesiredNumber], errors: &mut Vec<ConfigError>) {
    let mut seen: HashMap<&str, &DesiredNumber> = HashMap::new();
    for n in numbers {
        let Some(id) = n.id.as_deref() else { continue };
        if let Some(first) = seen.get(id) {
            errors.push(ConfigError {
                file: n.file.to_string(),
                pos: Some(n.source_map().position(&Pointer::root().child("id"))),
                message: format!(
                    "duplicate id \"{id}\": already declared at {}:{}",
                    first.file,
                    first.source_map().line(&Pointer::root().child("id"))
                ),
            });
        } else {
            seen.insert(id, n);
        }
    }
}

/// Every YAML file under the given files and folders: recursive, sorted, hidden entries skipped.
pub fn find_files(paths: &[PathBuf], errors: &mut Vec<ConfigError>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut files, errors);
        } else {
            errors.push(ConfigError {
                file: path.display().to_string(),
                pos: None,
                message: "no such file or folder".into(),
            });
        }
    }
    files.sort();
    files.dedup();
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<ConfigError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(ConfigError {
                file: dir.display().to_string(),
                pos: None,
                message: format!("cannot read folder: {e}"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        // The one rule of which names count (`files`), shared with `--deployed-ref`.
        let name = path.file_name().map(|n| n.to_string_lossy());
        if name.as_deref().is_none_or(crate::files::is_hidden) {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, errors);
        } else if name.as_deref().is_some_and(crate::files::is_desired_file) {
            files.push(path);
        }
    }
}

impl Doc<'_> {
    /// Node -> JSON, recording positions and interpolating `${VAR}` in string values.
    /// Takes the node by value: its strings move into the document as they are.
    fn convert(&mut self, node: Node, walk: &mut Walk, errors: &mut Vec<ConfigError>) -> Value {
        match node.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(b),
            NodeKind::Number(n) => Value::Number(n),
            NodeKind::String(s) if !s.contains('$') => Value::String(s),
            NodeKind::String(s) => match interpolate_values(&s, self.env) {
                Ok((text, values)) => {
                    if !values.is_empty() {
                        let i = &mut walk.interpolated;
                        i.paths.push(
                            Pointer::parse(&walk.path).expect("the walk builds RFC 6901 text"),
                        );
                        for v in values {
                            if !v.is_empty() && !i.values.contains(&v) {
                                i.values.push(v);
                            }
                        }
                    }
                    Value::String(text)
                }
                Err(message) => {
                    let allowed = self.unset_vars == UnsetVars::Allow && message.ends_with(UNSET);
                    if !allowed {
                        errors.push(ConfigError {
                            file: self.file.into(),
                            pos: Some(node.pos),
                            message: format!("{message} at {}", walk.path),
                        });
                    }
                    // Keep the text as written so the schema still checks the rest.
                    walk.unset
                        .push(Pointer::parse(&walk.path).expect("the walk builds RFC 6901 text"));
                    Value::String(s)
                }
            },
            NodeKind::Seq(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let len = walk.push_index(i);
                        walk.order.push(self.tables.paths.intern(&walk.path));
                        walk.found.push(item.pos);
                        let value = self.convert(item, walk, errors);
                        walk.path.truncate(len);
                        value
                    })
                    .collect(),
            ),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| {
                        let len = walk.push_key(&key.name);
                        walk.order.push(self.tables.paths.intern(&walk.path));
                        walk.found.push(key.pos);
                        let value = self.convert(value, walk, errors);
                        walk.path.truncate(len);
                        (key.name, value)
                    })
                    .collect(),
            ),
        }
    }
}

/// How an unset variable's message ends (so `UnsetVars::Allow` can tell it apart).
const UNSET: &str = " is not set";

/// Replaces `${VAR}` with the variable's value; `$${` is a literal `${`.
/// The error names the variable, never a value.
pub fn interpolate(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    interpolate_values(text, env).map(|(text, _)| text)
}

/// [`interpolate`], and the values the variables gave, in order.
fn interpolate_values(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), String> {
    let mut values = Vec::new();
    if !text.contains('$') {
        return Ok((text.to_string(), values));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let end = after
                .find('}')
                .ok_or_else(|| "unterminated \"${\" (write \"$${\" for a literal)".to_string())?;
            let name = &after[..end];
            let valid = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("invalid variable name \"{name}\" in \"${{...}}\""));
            }
            let value = env(name).ok_or_else(|| format!("environment variable {name}{UNSET}"))?;
            out.push_str(&value);
            values.push(value);
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok((out, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn load_one(text: &str) -> (Vec<DesiredNumber>, Vec<String>) {
        let env = |k: &str| (k == "TOKEN").then(|| "s3cr3t-value".to_string());
        let mut numbers = Vec::new();
        let mut errors = Vec::new();
        load_text(
            "desired/x.yaml",
            text,
            &env,
            IdRule::Required,
            &mut numbers,
            &mut errors,
        );
        (numbers, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn interpolation_replaces_known_variables_and_keeps_literals() {
        let env = |k: &str| (k == "A").then(|| "1".to_string());
        assert_eq!(interpolate("x${A}y", &env).as_deref(), Ok("x1y"));
        assert_eq!(
            interpolate("$${A} and $5", &env).as_deref(),
            Ok("${A} and $5")
        );
        assert_eq!(
            interpolate("${B}", &env),
            Err("environment variable B is not set".into())
        );
        assert!(
            interpolate("${A", &no_env)
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(
            interpolate("${1A}", &no_env)
                .unwrap_err()
                .contains("invalid variable name")
        );
    }

    #[test]
    fn documents_load_with_lines_and_interpolated_secrets() {
        let (numbers, errors) = load_one(
            "id: a\nprovider: vonage\nnumber: \"+1\"\ncredentialId: c\n---\n# second\nid: b\nprovider: vapi\nserver:\n  headers:\n    Authorization: Bearer ${TOKEN}\n",
        );
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(numbers.len(), 2);
        assert_eq!(numbers[0].line, 1);
        assert_eq!(numbers[1].line, 7);
        assert_eq!(
            numbers[1].doc().value()["server"]["headers"]["Authorization"],
            "Bearer s3cr3t-value"
        );
        let p = Pointer::root()
            .child("server")
            .child("headers")
            .child("Authorization");
        assert_eq!(numbers[1].source_map().line(&p), 11);
        // A path the document lacks maps to its nearest ancestor.
        assert_eq!(numbers[1].source_map().line(&p.child("deeper")), 11);
        assert_eq!(
            numbers[1]
                .source_map()
                .line(&Pointer::root().child("hooks")),
            7
        );
    }

    #[test]
    fn documents_of_one_shape_share_their_paths_and_keep_their_own_positions() {
        let (numbers, errors) = load_one(
            "id: a\nprovider: vapi\nserver:\n  headers:\n    X/Y~Z: one\n---\n\nid: b\nprovider: vapi\nserver:\n  headers:\n    X/Y~Z: two\n",
        );
        assert_eq!(errors, Vec::<String>::new());
        let (a, b) = (numbers[0].source_map(), numbers[1].source_map());
        assert!(a.shares_paths_with(b));
        let header = Pointer::root()
            .child("server")
            .child("headers")
            .child("X/Y~Z");
        assert!(b.contains(&header));
        assert_eq!(a.position(&header), Pos { line: 5, column: 5 });
        assert_eq!(
            b.position(&header),
            Pos {
                line: 12,
                column: 5
            }
        );
        let declared: Vec<String> = b.declared_paths().map(|p| p.to_string()).collect();
        assert_eq!(
            declared,
            [
                "/id",
                "/provider",
                "/server",
                "/server/headers",
                "/server/headers/X~1Y~0Z"
            ]
        );
    }

    #[test]
    fn unset_variable_names_variable_file_and_line() {
        let (_, errors) = load_one(
            "id: a\nprovider: twilio\nnumber: \"+1\"\ntwilioAccountSid: AC\ntwilioAuthToken: ${NOPE}\n",
        );
        assert_eq!(
            errors,
            vec!["desired/x.yaml:5:18: environment variable NOPE is not set at /twilioAuthToken"]
        );
    }

    #[test]
    fn unknown_key_names_file_line_column_and_suggests() {
        let (_, errors) = load_one(
            "id: a\nprovider: vonage\nnumber: \"+1\"\ncredentialId: c\nfallbackDestinaton:\n  type: number\n",
        );
        assert_eq!(
            errors,
            vec![
                "desired/x.yaml:5:1: unknown key \"fallbackDestinaton\" (did you mean \"fallbackDestination\"?) at /fallbackDestinaton"
            ]
        );
    }

    #[test]
    fn missing_id_and_provider_are_errors() {
        let (_, errors) = load_one("provider: vonage\nnumber: \"+1\"\ncredentialId: c\n");
        assert_eq!(
            errors,
            vec!["desired/x.yaml:1:1: missing required key \"id\" (the phone number's id in Vapi)"]
        );
        let (_, errors) = load_one("id: a\nnumber: \"+1\"\n");
        assert_eq!(
            errors,
            vec!["desired/x.yaml:1:1: missing required key \"provider\""]
        );
    }

    #[test]
    fn yaml_syntax_error_names_the_file_and_line() {
        let (_, errors) = load_one("id: a\nprovider: [vonage\n");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("desired/x.yaml:"), "{errors:?}");
        assert!(errors[0].contains("invalid YAML"), "{errors:?}");
    }

    #[test]
    fn duplicate_ids_across_documents_are_an_error() {
        let mut numbers = Vec::new();
        let mut errors = Vec::new();
        let doc = "id: same\nprovider: vapi\n";
        load_text(
            "a.yaml",
            doc,
            &no_env,
            IdRule::Required,
            &mut numbers,
            &mut errors,
        );
        load_text(
            "b.yaml",
            doc,
            &no_env,
            IdRule::Required,
            &mut numbers,
            &mut errors,
        );
        check_unique_ids(&numbers, &mut errors);
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec!["b.yaml:1:1: duplicate id \"same\": already declared at a.yaml:1"]
        );
    }

    #[test]
    fn header_names_repeated_up_to_case_load_and_empty_ids_are_errors() {
        // Regression (issue 10, item 14): the schema allows `X-A` and `x-a` side by
        // side and export writes them; refusing them stopped the audit of the org.
        let (numbers, errors) =
            load_one("id: a\nprovider: vapi\nserver:\n  headers:\n    X-A: one\n    x-a: two\n");
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(numbers[0].doc().value()["server"]["headers"]["x-a"], "two");
        let (_, errors) = load_one("id: \"\"\nprovider: vapi\n");
        assert_eq!(
            errors,
            vec!["desired/x.yaml:1:1: invalid id \"\": it must name one phone number"]
        );
        let (_, errors) = load_one("id: \"..\"\nprovider: vapi\n");
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn yes_is_a_string_so_a_boolean_field_rejects_it() {
        let (_, errors) = load_one(
            "id: a\nprovider: twilio\nnumber: \"+1\"\ntwilioAccountSid: AC\nsmsEnabled: yes\n",
        );
        assert_eq!(
            errors,
            vec![
                "desired/x.yaml:5:1: expected a boolean (true or false), found a string at /smsEnabled"
            ]
        );
    }
}
