//! The official phone-number schema, and validation of desired documents against it.
//!
//! Owns: the OpenAPI document Vapi publishes (`schema/phone-number.openapi.json`,
//! embedded unmodified), the patches for its known defects (REFERENCE.md §5 and the
//! SDK-only `name` on transfer destinations), and a small validator for the subset
//! of JSON Schema that document uses: `$ref`, `allOf`, `oneOf`, `type`, `enum`,
//! `properties` (closed: an unknown key is an error), `required`, lengths and ranges.
//! The validator walks a tree compiled once from the patched schemas (`Tree`), not
//! the `Value`s: keywords are read once, not hashed at every node of every document.
//!
//! Long file: the patches of the published spec, the validator of its subset of
//! JSON Schema and the walk for unknown fields read together, their tests beside them.
//!
//! Does not own: positions in files (issues carry JSON paths; `desired` maps them to
//! lines), or anything about live objects, which are never validated (the API grows).
//!
//! Long file: the patches, the validator and the JSON Schema export read the same
//! patched schemas; kept together so that what editors check and what `validate`
//! checks cannot drift apart.

use crate::pointer::{Pointer, Seg, Trail};
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

/// The five provider variants, as the `provider` discriminator spells them.
pub const PROVIDERS: [&str; 5] = ["byo-phone-number", "twilio", "vonage", "vapi", "telnyx"];

/// Fields that the server manages: no create or update DTO accepts them.
/// `id` is the exception a desired document may (and in `check` must) carry.
pub const SERVER_MANAGED: [&str; 4] = ["orgId", "createdAt", "updatedAt", "status"];

const OPENAPI: &str = include_str!("../schema/phone-number.openapi.json");

/// The patched `components.schemas` map.
static SCHEMAS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let mut doc: Value =
        serde_json::from_str(OPENAPI).expect("the embedded OpenAPI document is valid JSON");
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("the embedded OpenAPI document has components.schemas");
    patch_spec_defects(schemas);
    schemas.clone()
});

/// REFERENCE.md §5: four type errors in the published spec (1-3), two constraints
/// the spec generator repeated at the array level that are per item (4-5), and the
/// `name` field the official SDKs already have on transfer destinations.
fn patch_spec_defects(schemas: &mut Map<String, Value>) {
    fn set(schemas: &mut Map<String, Value>, pointer: &str, value: Value) {
        let mut target = schemas
            .get_mut(pointer.split('/').next().expect("non-empty pointer"))
            .expect("patched schema exists");
        for seg in pointer.split('/').skip(1) {
            target = target
                .as_object_mut()
                .expect("patched path is an object")
                .entry(seg.to_string())
                .or_insert(Value::Null);
        }
        *target = value;
    }
    // 1. BackoffPlan.type is a string enum, not an object.
    set(
        schemas,
        "BackoffPlan/properties/type",
        json!({"type": "string", "enum": ["fixed", "exponential"]}),
    );
    // 2. excludedStatusCodes holds numbers (the spec's own example is [400,401,403,404]).
    set(
        schemas,
        "BackoffPlan/properties/excludedStatusCodes",
        json!({"type": "array", "items": {"type": "number", "minimum": 100, "maximum": 599}}),
    );
    // 3. TransferPlan.sipVerb is a string enum.
    set(
        schemas,
        "TransferPlan/properties/sipVerb",
        json!({"type": "string", "enum": ["refer", "bye", "dial"]}),
    );
    // 4. The call.ending filter's array-level enum can never match; the item enum is the rule.
    let ending_items =
        schemas["PhoneNumberCallEndingHookFilter"]["properties"]["oneOf"]["items"].clone();
    set(
        schemas,
        "PhoneNumberCallEndingHookFilter/properties/oneOf",
        json!({"type": "array", "items": ending_items}),
    );
    // 5. startsWith: the array-level `maxLength: 20` is, like the array-level enum of
    // patch 4, the per-item constraint repeated at the array by the spec generator
    // (the items already say `maxLength: 20`). It is not a limit on the number of
    // prefixes: reading it as `maxItems` refused valid desired files.
    set(
        schemas,
        "PhoneNumberCallRingingHookFilter/properties/startsWith",
        json!({"type": "array", "items": {"type": "string", "maxLength": 20}}),
    );
    // SDK 2.0.1 / 3.0.0: destinations carry a display-only `name`.
    for dest in ["TransferDestinationNumber", "TransferDestinationSip"] {
        set(
            schemas,
            &format!("{dest}/properties/name"),
            json!({"type": "string"}),
        );
    }
}

/// The schema name of a provider's response object.
pub fn variant_schema(provider: &str) -> Option<&'static str> {
    Some(match provider {
        "byo-phone-number" => "ByoPhoneNumber",
        "twilio" => "TwilioPhoneNumber",
        "vonage" => "VonagePhoneNumber",
        "vapi" => "VapiPhoneNumber",
        "telnyx" => "TelnyxPhoneNumber",
        _ => return None,
    })
}

/// The patched schema named `name` (`components.schemas.<name>`), for tools and
/// tests that walk the schema (the generated round-trip test does).
pub fn definition(name: &str) -> Option<&'static Value> {
    SCHEMAS.get(name)
}

/// The keys a provider's phone-number object may carry, in the spec's order.
pub fn variant_keys(provider: &str) -> Vec<String> {
    variant_schema(provider)
        .and_then(|name| SCHEMAS[name]["properties"].as_object())
        .map(|props| props.keys().cloned().collect())
        .unwrap_or_default()
}

/// The fields of a live number that its provider's (patched) schema does not know
/// (`isServerUrlSecretSet`, `isDeleted`: Vapi ships new fields often), at any depth.
/// They cannot be declared, so they are never differences; reports list them apart.
pub fn unknown_fields(live: &Value) -> Vec<Pointer> {
    let (Some(obj), Some(name)) = (
        live.as_object(),
        live.get("provider")
            .and_then(Value::as_str)
            .and_then(variant_schema),
    ) else {
        return Vec::new();
    };
    // The walk `validate_phone_number` makes, keeping only the unknown keys.
    let mut sink = Sink::new(Mode::UnknownKeys);
    check_variant(obj, name, &mut sink);
    sink.issues.into_iter().map(|i| i.path).collect()
}

/// One problem with a desired document, at a JSON path.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// For key problems (unknown, server-managed) the path of the key itself;
    /// for a missing key the path of the object that lacks it; otherwise the value's path.
    pub path: Pointer,
    pub kind: IssueKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IssueKind {
    UnknownKey {
        key: String,
        suggestion: Option<String>,
    },
    ServerManaged {
        key: String,
    },
    MissingKey {
        key: String,
    },
    WrongType {
        expected: String,
        found: &'static str,
    },
    NotAllowed {
        value: String,
        allowed: Vec<String>,
        suggestion: Option<String>,
    },
    TooShort {
        min: u64,
    },
    TooLong {
        max: u64,
    },
    TooManyItems {
        max: u64,
    },
    OutOfRange {
        min: Option<f64>,
        max: Option<f64>,
    },
}

impl std::fmt::Display for IssueKind {
    /// Never prints a free-form value (it may be a secret): only keys, enum values and limits.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssueKind::UnknownKey { key, suggestion } => {
                write!(f, "unknown key \"{key}\"")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean \"{s}\"?)")?;
                }
                Ok(())
            }
            IssueKind::ServerManaged { key } => write!(
                f,
                "\"{key}\" is managed by the server and cannot be declared (remove it)"
            ),
            IssueKind::MissingKey { key } => write!(f, "missing required key \"{key}\""),
            IssueKind::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            IssueKind::NotAllowed {
                value,
                allowed,
                suggestion,
            } => {
                write!(f, "invalid value \"{value}\"")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean \"{s}\"?)")?;
                }
                write!(f, "; expected one of: {}", allowed.join(", "))
            }
            IssueKind::TooShort { min } => write!(f, "must be at least {min} characters long"),
            IssueKind::TooLong { max } => write!(f, "must be at most {max} characters long"),
            IssueKind::TooManyItems { max } => write!(f, "must have at most {max} items"),
            IssueKind::OutOfRange { min, max } => match (min, max) {
                (Some(lo), Some(hi)) => write!(f, "must be between {lo} and {hi}"),
                (Some(lo), None) => write!(f, "must be at least {lo}"),
                (None, Some(hi)) => write!(f, "must be at most {hi}"),
                (None, None) => write!(f, "out of range"),
            },
        }
    }
}

/// Validates one desired phone-number document against its provider's schema.
/// `id` and the server-managed timestamps are not required here.
pub fn validate_phone_number(doc: &Value) -> Vec<Issue> {
    let mut sink = Sink::new(Mode::Report);
    let root = Pointer::root();
    let Some(obj) = doc.as_object() else {
        sink.issues.push(Issue {
            path: root,
            kind: IssueKind::WrongType {
                expected: "a mapping of phone-number fields".into(),
                found: type_name(doc),
            },
        });
        return sink.issues;
    };
    let provider = match obj.get("provider") {
        None => {
            sink.issues.push(Issue {
                path: root,
                kind: IssueKind::MissingKey {
                    key: "provider".into(),
                },
            });
            return sink.issues;
        }
        Some(Value::String(p)) if variant_schema(p).is_some() => p.as_str(),
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string);
            sink.issues.push(Issue {
                path: root.child("provider"),
                kind: not_allowed(&shown, PROVIDERS.iter().map(|p| p.to_string()).collect()),
            });
            return sink.issues;
        }
    };
    let name = variant_schema(provider).expect("checked above");
    check_variant(obj, name, &mut sink);
    sink.issues
}

/// Checks a phone-number object against the variant `name` (its provider's).
fn check_variant(obj: &Map<String, Value>, name: &str, sink: &mut Sink) {
    let has_managed = obj.keys().any(|k| SERVER_MANAGED.contains(&k.as_str()));
    if has_managed && matches!(sink.mode, Mode::Report) {
        for key in SERVER_MANAGED {
            if obj.contains_key(key) {
                sink.push(|| Issue {
                    path: Pointer::root().child(key),
                    kind: IssueKind::ServerManaged { key: key.into() },
                });
            }
        }
    }
    // Server-managed keys were reported above; the rest of the document is checked
    // as it is, skipping them (the variant's root is a closed object: `compile`
    // makes sure of it).
    let tree = &*TREE;
    let root = tree.variant(name);
    check_object(
        obj,
        tree,
        &tree.nodes[root],
        has_managed,
        &mut Trail::default(),
        sink,
    );
}

/// Each variant's schema with `id` and the server-managed fields no longer
/// required: built once, not per document (cloning a variant per document was
/// a fifth of the load time of a 10,000-number org).
static RELAXED: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    PROVIDERS
        .iter()
        .filter_map(|p| variant_schema(p))
        .map(|name| {
            let mut relaxed = SCHEMAS[name].clone();
            if let Some(required) = relaxed.get_mut("required").and_then(Value::as_array_mut) {
                required.retain(|k| {
                    k.as_str()
                        .is_some_and(|k| k != "id" && !SERVER_MANAGED.contains(&k))
                });
            }
            (name.to_string(), relaxed)
        })
        .collect()
});

fn resolve(schema: &Value) -> &Value {
    let mut s = schema;
    loop {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            match SCHEMAS.get(name) {
                Some(target) => s = target,
                None => return s,
            }
        } else if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            s = only;
        } else {
            return s;
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn expected_name(ty: &str) -> &'static str {
    match ty {
        "string" => "a string",
        "number" | "integer" => "a number",
        "boolean" => "a boolean (true or false)",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    }
}

fn not_allowed(value: &str, allowed: Vec<String>) -> IssueKind {
    let suggestion = suggest(value, allowed.iter().map(String::as_str));
    IssueKind::NotAllowed {
        value: value.to_string(),
        allowed,
        suggestion,
    }
}

/// The closest candidate to a misspelt word, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = word.to_lowercase();
    candidates
        .map(|c| {
            let distance = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
            (distance, c)
        })
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// A property whose schema is a one-value string enum: how the spec's untagged
/// `oneOf` branches tell themselves apart (`type`, `on`, `provider`).
fn discriminator(schema: &Value) -> Option<(&str, &str)> {
    schema
        .get("properties")?
        .as_object()?
        .iter()
        .find_map(|(k, p)| match p.get("enum")?.as_array()?.as_slice() {
            [Value::String(only)] if p.get("type").and_then(Value::as_str) == Some("string") => {
                Some((k.as_str(), only.as_str()))
            }
            _ => None,
        })
}

/// The patched schemas compiled once into a tree of nodes that validation walks:
/// `$ref`s and single `allOf`s resolved, every keyword read once (reading them from
/// the `Value`s at every node, a hash of the key each time, was most of the cost of
/// validating a document).
static TREE: LazyLock<Tree> = LazyLock::new(Tree::compile);

type NodeId = usize;

struct Tree {
    nodes: Vec<Node>,
    /// Each provider's variant with `id` and the server-managed fields not
    /// required ([`RELAXED`]), by schema name.
    variants: Vec<(&'static str, NodeId)>,
}

/// One resolved schema: what `check` reads of it.
#[derive(Default)]
struct Node {
    /// `oneOf`: when present the only rule of the node.
    one_of: Option<OneOf>,
    /// `type`; `None` (absent or not a string) takes any value.
    ty: Option<Ty>,
    /// `enum`'s strings: when present the only rule for a string.
    allowed: Option<Vec<&'static str>>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    max_items: Option<u64>,
    items: Option<NodeId>,
    /// `properties` (closed), with `required`.
    props: Option<Props>,
}

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    String,
    Number,
    Boolean,
    Array,
    Object,
    /// A type name the validator does not know: any value is of it.
    Other,
}

struct Props {
    /// The keys in the spec's order (the candidates of a suggestion).
    keys: Vec<&'static str>,
    /// The keys sorted, with their schemas and whether they are required.
    sorted: Vec<(&'static str, NodeId, bool)>,
    /// `required`'s strings, in order.
    required: Vec<&'static str>,
    /// When every required key is a property and named once: how many there are
    /// (counting them on the walk over the object then says none is missing).
    required_props: Option<usize>,
}

struct OneOf {
    branches: Vec<NodeId>,
    /// (branch, key, value) of the branches with a discriminator, in order.
    tagged: Vec<(usize, &'static str, &'static str)>,
    /// The first branch of type string, of type object.
    first_string: Option<usize>,
    first_object: Option<usize>,
    /// The branches' types, as the "wrong type" issue names them.
    expected: String,
}

impl Tree {
    fn compile() -> Tree {
        let mut builder = Builder {
            nodes: Vec::new(),
            seen: std::collections::HashMap::new(),
        };
        let variants = PROVIDERS
            .iter()
            .filter_map(|p| variant_schema(p))
            .map(|name| {
                let (name, relaxed) = RELAXED
                    .get_key_value(name)
                    .expect("every variant is relaxed");
                let id = builder.node(relaxed);
                let node = &builder.nodes[id];
                assert!(
                    node.one_of.is_none() && node.ty == Some(Ty::Object),
                    "the {name} schema is an object"
                );
                (name.as_str(), id)
            })
            .collect();
        Tree {
            nodes: builder.nodes,
            variants,
        }
    }

    fn variant(&self, name: &str) -> NodeId {
        self.variants
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, id)| *id)
            .expect("every provider's variant is compiled")
    }
}

struct Builder {
    nodes: Vec<Node>,
    /// The node of each resolved schema, by address (the schemas are static):
    /// each is compiled once, and a schema that refers to itself ends.
    seen: std::collections::HashMap<*const Value, NodeId>,
}

impl Builder {
    fn node(&mut self, schema: &'static Value) -> NodeId {
        let schema = resolve(schema);
        if let Some(&id) = self.seen.get(&std::ptr::from_ref(schema)) {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(Node::default());
        self.seen.insert(std::ptr::from_ref(schema), id);
        let node = self.build(schema);
        self.nodes[id] = node;
        id
    }

    fn build(&mut self, schema: &'static Value) -> Node {
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let resolved: Vec<&'static Value> = branches.iter().map(resolve).collect();
            let type_of = |b: &&'static Value| b.get("type").and_then(Value::as_str);
            let one_of = OneOf {
                branches: branches.iter().map(|b| self.node(b)).collect(),
                tagged: resolved
                    .iter()
                    .enumerate()
                    .filter_map(|(i, b)| discriminator(b).map(|(k, v)| (i, k, v)))
                    .collect(),
                first_string: resolved.iter().position(|b| type_of(b) == Some("string")),
                first_object: resolved.iter().position(|b| type_of(b) == Some("object")),
                expected: resolved
                    .iter()
                    .filter_map(type_of)
                    .map(expected_name)
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            return Node {
                one_of: Some(one_of),
                ..Node::default()
            };
        }
        let Some(ty) = schema.get("type").and_then(Value::as_str) else {
            return Node::default();
        };
        let ty = match ty {
            "string" => Ty::String,
            "number" | "integer" => Ty::Number,
            "boolean" => Ty::Boolean,
            "array" => Ty::Array,
            "object" => Ty::Object,
            _ => Ty::Other,
        };
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                let required: Vec<&'static str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let mut sorted: Vec<(&'static str, NodeId, bool)> = props
                    .iter()
                    .map(|(k, p)| (k.as_str(), self.node(p), required.contains(&k.as_str())))
                    .collect();
                sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let unique = required
                    .iter()
                    .enumerate()
                    .all(|(i, k)| !required[..i].contains(k));
                let all_props = required.iter().all(|k| props.contains_key(*k));
                Props {
                    keys: props.keys().map(String::as_str).collect(),
                    sorted,
                    required_props: (unique && all_props).then_some(required.len()),
                    required,
                }
            });
        Node {
            one_of: None,
            ty: Some(ty),
            allowed: schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect()),
            min_length: schema.get("minLength").and_then(Value::as_u64),
            max_length: schema.get("maxLength").and_then(Value::as_u64),
            minimum: schema.get("minimum").and_then(Value::as_f64),
            maximum: schema.get("maximum").and_then(Value::as_f64),
            max_items: schema.get("maxItems").and_then(Value::as_u64),
            items: schema.get("items").map(|items| self.node(items)),
            props,
        }
    }
}

#[derive(Clone, Copy)]
enum Mode {
    /// Every issue.
    Report,
    /// The unknown keys only, without suggestions ([`unknown_fields`]).
    UnknownKeys,
    /// Only whether there is an issue: the walk stops at the first.
    Probe,
}

/// Where a walk puts its issues.
struct Sink {
    mode: Mode,
    issues: Vec<Issue>,
    failed: bool,
}

impl Sink {
    fn new(mode: Mode) -> Sink {
        Sink {
            mode,
            issues: Vec::new(),
            failed: false,
        }
    }

    /// A probe that failed: nothing more to learn below.
    fn done(&self) -> bool {
        self.failed && matches!(self.mode, Mode::Probe)
    }

    /// One issue, made only when it is reported.
    fn push(&mut self, make: impl FnOnce() -> Issue) {
        self.failed = true;
        if let Mode::Report = self.mode {
            self.issues.push(make());
        }
    }

    /// An unknown key, made (`make(suggest)`) only when it is reported.
    fn push_unknown(&mut self, make: impl FnOnce(bool) -> Issue) {
        self.failed = true;
        match self.mode {
            Mode::Report => self.issues.push(make(true)),
            Mode::UnknownKeys => self.issues.push(make(false)),
            Mode::Probe => {}
        }
    }
}

/// Checks `value` against `node`; `path` is where `value` is (a [`Pointer`] is
/// made of it only for an issue: one per visited node was most of what checking a
/// valid document allocated).
fn check<'a>(value: &'a Value, tree: &Tree, node: &Node, path: &mut Trail<'a>, sink: &mut Sink) {
    if let Some(one_of) = &node.one_of {
        check_one_of(value, tree, one_of, path, sink);
        return;
    }
    let Some(ty) = node.ty else {
        return;
    };
    let type_ok = match ty {
        Ty::String => value.is_string(),
        Ty::Number => value.is_number(),
        Ty::Boolean => value.is_boolean(),
        Ty::Array => value.is_array(),
        Ty::Object => value.is_object(),
        Ty::Other => true,
    };
    if !type_ok {
        let expected = match ty {
            Ty::String => "a string",
            Ty::Number => "a number",
            Ty::Boolean => "a boolean (true or false)",
            Ty::Array => "a list",
            Ty::Object => "a mapping",
            Ty::Other => "a value",
        };
        sink.push(|| Issue {
            path: path.pointer(),
            kind: IssueKind::WrongType {
                expected: expected.into(),
                found: type_name(value),
            },
        });
        return;
    }
    match value {
        Value::String(s) => check_string(s, node, path, sink),
        Value::Number(n) => check_number(n.as_f64().unwrap_or(f64::NAN), node, path, sink),
        Value::Array(items) => {
            if let Some(max) = node.max_items
                && items.len() as u64 > max
            {
                sink.push(|| Issue {
                    path: path.pointer(),
                    kind: IssueKind::TooManyItems { max },
                });
            }
            if let Some(item_node) = node.items {
                let item_node = &tree.nodes[item_node];
                for (i, item) in items.iter().enumerate() {
                    if sink.done() {
                        return;
                    }
                    path.push(Seg::Index(i));
                    check(item, tree, item_node, path, sink);
                    path.pop();
                }
            }
        }
        Value::Object(obj) => check_object(obj, tree, node, false, path, sink),
        Value::Null | Value::Bool(_) => {}
    }
}

fn check_string(s: &str, node: &Node, path: &Trail<'_>, sink: &mut Sink) {
    if let Some(allowed) = &node.allowed {
        if !allowed.contains(&s) {
            sink.push(|| Issue {
                path: path.pointer(),
                kind: not_allowed(s, allowed.iter().map(|a| a.to_string()).collect()),
            });
        }
        return;
    }
    if node.min_length.is_none() && node.max_length.is_none() {
        return;
    }
    let len = s.chars().count() as u64;
    if let Some(min) = node.min_length
        && len < min
    {
        sink.push(|| Issue {
            path: path.pointer(),
            kind: IssueKind::TooShort { min },
        });
    }
    if let Some(max) = node.max_length
        && len > max
    {
        sink.push(|| Issue {
            path: path.pointer(),
            kind: IssueKind::TooLong { max },
        });
    }
}

fn check_number(n: f64, node: &Node, path: &Trail<'_>, sink: &mut Sink) {
    let (min, max) = (node.minimum, node.maximum);
    if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
        sink.push(|| Issue {
            path: path.pointer(),
            kind: IssueKind::OutOfRange { min, max },
        });
    }
}

/// `skip_managed`: the root of a document, whose server-managed keys were
/// reported already (they are checked as if absent).
fn check_object<'a>(
    obj: &'a Map<String, Value>,
    tree: &Tree,
    node: &Node,
    skip_managed: bool,
    path: &mut Trail<'a>,
    sink: &mut Sink,
) {
    // `type: object` without properties is a free-form map (headers, sipHeaders, messages).
    let Some(props) = &node.props else {
        return;
    };
    let mut required_seen = 0;
    for (key, value) in obj {
        if skip_managed && SERVER_MANAGED.contains(&key.as_str()) {
            continue;
        }
        if sink.done() {
            return;
        }
        match props.sorted.binary_search_by(|p| p.0.cmp(key.as_str())) {
            Ok(i) => {
                let (_, prop_node, required) = props.sorted[i];
                required_seen += usize::from(required);
                path.push(Seg::Key(key));
                check(value, tree, &tree.nodes[prop_node], path, sink);
                path.pop();
            }
            Err(_) => sink.push_unknown(|with_suggestion| Issue {
                path: path.pointer().child(key),
                kind: IssueKind::UnknownKey {
                    key: key.clone(),
                    suggestion: with_suggestion
                        .then(|| suggest(key, props.keys.iter().copied()))
                        .flatten(),
                },
            }),
        }
    }
    if props.required_props == Some(required_seen) {
        return;
    }
    for &key in &props.required {
        if !obj.contains_key(key) {
            sink.push(|| Issue {
                path: path.pointer(),
                kind: IssueKind::MissingKey { key: key.into() },
            });
        }
    }
}

fn check_one_of<'a>(
    value: &'a Value,
    tree: &Tree,
    one_of: &OneOf,
    path: &mut Trail<'a>,
    sink: &mut Sink,
) {
    // The first branch that fits wins; finding it needs no issues.
    for &branch in &one_of.branches {
        let mut probe = Sink::new(Mode::Probe);
        check(value, tree, &tree.nodes[branch], path, &mut probe);
        if !probe.failed {
            return;
        }
    }
    if let Mode::Probe = sink.mode {
        sink.failed = true;
        return;
    }
    // No branch fits: explain against the branch the value meant to be (its
    // issues, walked again now that they are wanted).
    let explain = |i: usize, path: &mut Trail<'a>, sink: &mut Sink| {
        check(value, tree, &tree.nodes[one_of.branches[i]], path, sink);
    };
    if let Some(obj) = value.as_object()
        && let Some(&(_, key, _)) = one_of.tagged.first()
    {
        match obj.get(key) {
            None => sink.push(|| Issue {
                path: path.pointer(),
                kind: IssueKind::MissingKey { key: key.into() },
            }),
            Some(tag) => match one_of
                .tagged
                .iter()
                .find(|(_, _, v)| tag.as_str() == Some(v))
            {
                Some(&(i, _, _)) => explain(i, path, sink),
                None => {
                    let shown = tag.as_str().map_or_else(|| tag.to_string(), str::to_string);
                    let allowed = one_of
                        .tagged
                        .iter()
                        .map(|(_, _, v)| v.to_string())
                        .collect();
                    sink.push(|| Issue {
                        path: path.pointer().child(key),
                        kind: not_allowed(&shown, allowed),
                    })
                }
            },
        }
        return;
    }
    // Otherwise a union of shapes (string or CustomMessage): pick the one of the right type.
    let same_type = match value {
        Value::String(_) => one_of.first_string,
        Value::Object(_) => one_of.first_object,
        _ => None,
    };
    match same_type {
        Some(i) => explain(i, path, sink),
        None => sink.push(|| Issue {
            path: path.pointer(),
            kind: IssueKind::WrongType {
                expected: one_of.expected.clone(),
                found: type_name(value),
            },
        }),
    }
}

/// Where editors find the JSON Schema of a desired document: the copy committed
/// in the repository (`schema/desired.schema.json`, what [`json_schema`] prints).
pub const SCHEMA_URL: &str =
    "https://raw.githubusercontent.com/vapi-drift/vapi-drift/main/schema/desired.schema.json";

/// The JSON Schema (draft-07) of one desired document, for editors (completion and
/// checks as the user types; `vapi-drift schema`). Made from the same patched
/// schemas the validator uses, and saying what the validator says: each provider's
/// variant by `provider` (`if`/`then`), closed objects (`additionalProperties:
/// false` where the spec lists properties), `id` optional, the server-managed
/// fields refused, `oneOf` as `anyOf` (the validator takes the first branch that
/// fits), `integer` as `number`, and none of the keywords the validator does not
/// enforce (`format`, `example`). Checks the validator makes beyond the schema
/// (the same `id` twice, `${VAR}`s, header names that differ only in case) are
/// `vapi-drift validate`'s alone.
pub fn json_schema() -> Value {
    let mut definitions = Map::new();
    for (name, schema) in SCHEMAS.iter() {
        definitions.insert(name.clone(), to_json_schema(schema));
    }
    let mut variants = Vec::new();
    for provider in PROVIDERS {
        let name = variant_schema(provider).expect("every provider has a variant");
        let mut variant = to_json_schema(&RELAXED[name]);
        if let Some(props) = variant.get_mut("properties").and_then(Value::as_object_mut) {
            for key in SERVER_MANAGED {
                props.shift_remove(key);
            }
        }
        definitions.insert(name.to_string(), variant);
        variants.push(json!({
            "if": {"properties": {"provider": {"const": provider}}, "required": ["provider"]},
            "then": {"$ref": format!("#/definitions/{name}")},
        }));
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_URL,
        "title": "vapi-drift desired phone number",
        "description": "One phone number as `GET /phone-number/{id}` returns it, plus `id` (optional); server-managed fields (orgId, createdAt, updatedAt, status) are refused. Made by `vapi-drift schema` from Vapi's OpenAPI document with vapi-drift's patches.",
        "type": "object",
        "required": ["provider"],
        "properties": {
            "provider": {
                "type": "string",
                "enum": PROVIDERS,
                "description": "Which provider the number is with; it decides which other fields the document may have."
            }
        },
        "allOf": variants,
        "definitions": definitions,
    })
}

/// One schema of the OpenAPI document as JSON Schema, keeping what the validator
/// enforces (see [`json_schema`]) and the descriptions, titles and defaults.
fn to_json_schema(schema: &Value) -> Value {
    let Some(obj) = schema.as_object() else {
        return schema.clone();
    };
    if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or_default();
        return json!({"$ref": format!("#/definitions/{name}")});
    }
    if let Some([only]) = obj
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return to_json_schema(only);
    }
    let mut out = Map::new();
    for key in ["title", "description", "default"] {
        if let Some(v) = obj.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(branches) = obj.get("oneOf").and_then(Value::as_array) {
        out.insert(
            "anyOf".into(),
            Value::Array(branches.iter().map(to_json_schema).collect()),
        );
        return Value::Object(out);
    }
    // No type: the validator takes anything here.
    let Some(ty) = obj.get("type").and_then(Value::as_str) else {
        return Value::Object(out);
    };
    let ty = if ty == "integer" { "number" } else { ty };
    out.insert("type".into(), json!(ty));
    let copy = |out: &mut Map<String, Value>, keys: &[&str]| {
        for key in keys {
            if let Some(v) = obj.get(*key) {
                out.insert((*key).into(), v.clone());
            }
        }
    };
    match ty {
        // With an enum the validator checks only the enum.
        "string" if obj.contains_key("enum") => copy(&mut out, &["enum"]),
        "string" => copy(&mut out, &["minLength", "maxLength"]),
        "number" => copy(&mut out, &["minimum", "maximum"]),
        "array" => {
            copy(&mut out, &["maxItems"]);
            if let Some(items) = obj.get("items") {
                out.insert("items".into(), to_json_schema(items));
            }
        }
        "object" => {
            if let Some(props) = obj.get("properties").and_then(Value::as_object) {
                out.insert(
                    "properties".into(),
                    Value::Object(
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), to_json_schema(v)))
                            .collect(),
                    ),
                );
                out.insert("additionalProperties".into(), json!(false));
                copy(&mut out, &["required"]);
            }
        }
        _ => {}
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_json_schema_is_what_vapi_drift_schema_prints() {
        let committed = include_str!("../schema/desired.schema.json");
        let printed = serde_json::to_string_pretty(&json_schema()).expect("json") + "\n";
        assert!(
            committed == printed,
            "schema/desired.schema.json is out of date: run `cargo run -- schema > schema/desired.schema.json`"
        );
    }

    fn issues(doc: Value) -> Vec<(String, String)> {
        validate_phone_number(&doc)
            .into_iter()
            .map(|i| (i.path.to_string(), i.kind.to_string()))
            .collect()
    }

    fn example(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).expect("example exists");
        let mut v: Value = serde_json::from_str(&text).expect("example is json");
        let obj = v.as_object_mut().expect("object");
        for k in SERVER_MANAGED {
            obj.remove(k);
        }
        v
    }

    #[test]
    fn every_provider_example_validates_once_the_spec_defects_are_patched() {
        for name in [
            "byo-phone-number.json",
            "twilio.json",
            "vonage.json",
            "vapi-pstn.json",
            "vapi-sip.json",
            "telnyx.json",
        ] {
            assert_eq!(issues(example(name)), vec![], "{name}");
        }
    }

    #[test]
    fn unknown_key_at_depth_suggests_the_near_miss() {
        let mut doc = example("twilio.json");
        doc["server"]["timeoutSecond"] = json!(20);
        assert_eq!(
            issues(doc),
            vec![(
                "/server/timeoutSecond".into(),
                "unknown key \"timeoutSecond\" (did you mean \"timeoutSeconds\"?)".into()
            )]
        );
    }

    #[test]
    fn unknown_key_inside_a_hook_destination_is_found_through_the_unions() {
        let mut doc = example("twilio.json");
        doc["hooks"][0]["do"][0]["destination"]["numbr"] = json!("+1");
        let found = issues(doc);
        assert!(
            found.contains(&(
                "/hooks/0/do/0/destination/numbr".into(),
                "unknown key \"numbr\" (did you mean \"number\"?)".into()
            )),
            "{found:?}"
        );
    }

    #[test]
    fn bad_enum_value_lists_the_choices() {
        let mut doc = example("byo-phone-number.json");
        doc["fallbackDestination"]["transferPlan"]["mode"] = json!("blind-transfr");
        let found = issues(doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/fallbackDestination/transferPlan/mode");
        assert!(
            found[0].1.contains("did you mean \"blind-transfer\""),
            "{found:?}"
        );
    }

    #[test]
    fn wrong_type_names_expected_and_found() {
        let mut doc = example("twilio.json");
        doc["smsEnabled"] = json!("yes");
        assert_eq!(
            issues(doc),
            vec![(
                "/smsEnabled".into(),
                "expected a boolean (true or false), found a string".into()
            )]
        );
    }

    #[test]
    fn missing_and_unknown_provider() {
        assert_eq!(
            issues(json!({"id": "x"})),
            vec![("".into(), "missing required key \"provider\"".into())]
        );
        let found = issues(json!({"provider": "twillio"}));
        assert_eq!(found[0].0, "/provider");
        assert!(found[0].1.contains("did you mean \"twilio\""), "{found:?}");
    }

    #[test]
    fn server_managed_fields_cannot_be_declared() {
        let mut doc = example("vonage.json");
        doc["orgId"] = json!("o");
        assert_eq!(
            issues(doc),
            vec![(
                "/orgId".into(),
                "\"orgId\" is managed by the server and cannot be declared (remove it)".into()
            )]
        );
    }

    #[test]
    fn destination_with_an_unknown_type_names_the_choices() {
        let mut doc = example("vonage.json");
        doc["fallbackDestination"]["type"] = json!("phone");
        let found = issues(doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/fallbackDestination/type");
        assert!(
            found[0].1.contains("expected one of: number, sip"),
            "{found:?}"
        );
    }

    #[test]
    fn patched_defects_accept_real_values_and_reject_bad_ones() {
        let mut doc = example("twilio.json");
        doc["server"]["backoffPlan"]["type"] = json!("fixd");
        doc["server"]["backoffPlan"]["excludedStatusCodes"] = json!([400, "x"]);
        let found = issues(doc);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "/server/backoffPlan/type");
        assert_eq!(found[1].0, "/server/backoffPlan/excludedStatusCodes/1");
    }

    #[test]
    fn starts_with_limits_each_prefix_to_20_characters_not_the_list_to_20_items() {
        let prefixes: Vec<String> = (0..25).map(|i| format!("4{i}")).collect();
        let mut doc = example("twilio.json");
        doc["hooks"][0]["filters"][0]["startsWith"] = json!(prefixes);
        assert_eq!(issues(doc.clone()), vec![]);
        doc["hooks"][0]["filters"][0]["startsWith"][3] = json!("1".repeat(21));
        assert_eq!(
            issues(doc),
            vec![(
                "/hooks/0/filters/0/startsWith/3".into(),
                "must be at most 20 characters long".into()
            )]
        );
    }

    #[test]
    fn range_and_length_limits() {
        let mut doc = example("twilio.json");
        doc["server"]["timeoutSeconds"] = json!(0);
        doc["name"] = json!("x".repeat(41));
        let found = issues(doc);
        assert!(found.contains(&(
            "/server/timeoutSeconds".into(),
            "must be between 1 and 300".into()
        )));
        assert!(found.contains(&("/name".into(), "must be at most 40 characters long".into())));
    }

    #[test]
    fn message_union_takes_a_string_or_a_custom_message_only() {
        let mut doc = example("vonage.json");
        doc["fallbackDestination"]["message"] = json!(5);
        let found = issues(doc);
        assert_eq!(
            found,
            vec![(
                "/fallbackDestination/message".into(),
                "expected a string or a mapping, found a number".into()
            )]
        );
    }

    #[test]
    fn suggestion_only_for_near_misses() {
        assert_eq!(
            suggest(
                "fallbackDestinaton",
                ["fallbackDestination", "hooks"].into_iter()
            )
            .as_deref(),
            Some("fallbackDestination")
        );
        assert_eq!(
            suggest("zzzz", ["fallbackDestination", "hooks"].into_iter()),
            None
        );
    }
}
