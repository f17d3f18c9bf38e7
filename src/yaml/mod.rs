//! The one module that touches YAML.
//!
//! Owns: parsing YAML text (one or more `---` documents) into a tree whose every
//! node and key knows its line and column, and rendering a JSON value as YAML.
//! Everything goes through serde-saphyr with YAML 1.2 scalars (`strict_booleans`,
//! `leading_zero_numbers_as_strings`), so `yes` stays a string and `0755` stays
//! `"0755"` instead of turning into false drift.
//!
//! Does not own: what a document means (see `desired`), validation (see `schema`).
//!
//! Reading goes through a fast path first ([`fast`]): our tree built straight from the
//! parser's events, for the plain documents desired files are made of, half the work.
//! It answers only where it can show its result equal to serde-saphyr's and otherwise
//! says "not sure"; the whole text is then read by serde-saphyr, the reference, so its
//! errors, positions and every rule of YAML it knows stay exactly as they were.
//! `differential` holds the proof: both readings, over the repository's YAML and a
//! generated corpus of tricky pieces, give the same answer.

mod fast;

#[cfg(test)]
mod differential;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::fmt;

/// A position in a YAML file, both 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A YAML node with the position where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub kind: NodeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    /// Keys in document order, each with its own position.
    Map(Vec<(Key, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub pos: Pos,
    pub name: String,
}

/// A YAML syntax error with its position (when the parser knows it).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub pos: Option<Pos>,
    pub message: String,
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        // The parser's defaults (1,024 documents, 250,000 nodes a stream) guard against
        // hostile input; desired files are the team's own and an org can have 10,000
        // numbers in one file. Alias and depth limits stay as they are.
        budget: serde_saphyr::budget! {
            max_documents: 100_000,
            max_nodes: 10_000_000,
            max_events: 40_000_000,
        },
    }
}

/// Parses every document of a YAML stream. Empty documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    match fast::parse(text, &options()) {
        Some(docs) => Ok(docs),
        None => parse_documents_reference(text),
    }
}

/// The reading through serde-saphyr: the fallback of [`parse_documents`], and the
/// reference its fast path is held equal to.
fn parse_documents_reference(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let docs: Vec<Option<SpannedNode>> = serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| {
            let pos = e.location().map(|l| Pos {
                line: l.line() as u32,
                column: l.column() as u32,
            });
            SyntaxError {
                pos,
                message: first_line(&e.to_string()),
            }
        })?;
    Ok(docs
        .into_iter()
        .flatten()
        .map(|SpannedNode(node)| node)
        .collect())
}

/// The parser's message can carry a rendered snippet of the source; the first
/// line is the message itself (and a snippet could show a secret).
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("invalid YAML").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    // "line 2 column 11: unclosed bracket" -> "unclosed bracket" (the position is reported apart).
    let line = match line.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => rest,
        _ => line,
    };
    plain(line)
}

/// The parser's wording without its internals: "duplicate mapping key: name, set
/// DuplicateKeyPolicy in Options if acceptable" -> `key "name" appears twice in
/// this mapping (a YAML mapping has each key once)`.
fn plain(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!(
            "key \"{key}\" appears twice in this mapping (a YAML mapping has each key once)"
        );
    }
    message.to_string()
}

/// Renders a JSON value as block YAML (used for the canonical text of a
/// document in diffs, and for export).
pub fn render(value: &Value) -> String {
    match serde_saphyr::to_string(value) {
        Ok(text) => text,
        // Serialising a serde_json::Value cannot fail (no non-string keys, no
        // unsupported types); fall back to JSON rather than panic.
        Err(_) => serde_json::to_string_pretty(value).unwrap_or_default(),
    }
}

/// Renders a JSON document as block YAML that reads back as exactly the same
/// document (what `export` writes): keys in the value's own order (serde_json keeps
/// insertion order), strings quoted where YAML would read them as something else
/// (`"+14155550100"`, `"yes"`, `"0755"`). The text is parsed back and compared;
/// an error says so rather than write a file that would load differently.
pub fn render_document(value: &Value) -> Result<String, String> {
    let text = serde_saphyr::to_string(value).map_err(|e| first_line(&e.to_string()))?;
    let back = parse_documents(&text).map_err(|e| e.message)?;
    match back.as_slice() {
        [doc] if doc.to_json() == *value => Ok(text),
        _ => Err("the rendered YAML does not read back as the same document".into()),
    }
}

impl Node {
    /// The node as plain JSON, positions dropped.
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Number(n) => Value::Number(n.clone()),
            NodeKind::String(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn pos_of(loc: &serde_saphyr::Location) -> Pos {
    Pos {
        line: loc.line() as u32,
        column: loc.column() as u32,
    }
}

/// A node as serde-saphyr hands it over: the value wrapped in `Spanned`, read
/// straight into [`Node`] (no second tree to convert and free).
struct SpannedNode(Node);

impl<'de> Deserialize<'de> for SpannedNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(deserializer)?;
        Ok(SpannedNode(Node {
            pos: pos_of(&spanned.referenced),
            kind: spanned.value.0,
        }))
    }
}

/// The node's value, its children already spanned.
struct Kind(NodeKind);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor).map(Kind)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = NodeKind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeKind, D::Error> {
        d.deserialize_any(KindVisitor)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<NodeKind, E> {
        Ok(NodeKind::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeKind, E> {
        Ok(NodeKind::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<NodeKind, E> {
        serde_json::Number::from_f64(v)
            .map(NodeKind::Number)
            .ok_or_else(|| E::custom("numbers must be finite (no .inf or .nan)"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeKind, E> {
        Ok(NodeKind::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<NodeKind, E> {
        Ok(NodeKind::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeKind, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(SpannedNode(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(NodeKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeKind, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let SpannedNode(value) = map.next_value()?;
            let key = Key {
                pos: pos_of(&key.referenced),
                name: key.value,
            };
            entries.push((key, value));
        }
        Ok(NodeKind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_entries(node: &Node) -> &[(Key, Node)] {
        match &node.kind {
            NodeKind::Map(e) => e,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn keys_and_values_carry_their_lines_across_documents() {
        let text = "provider: twilio\nserver:\n  url: https://x\n  timeoutSeconds: 20\n---\nprovider: vapi\n";
        let docs = parse_documents(text).expect("valid yaml");
        assert_eq!(docs.len(), 2);
        let first = map_entries(&docs[0]);
        assert_eq!(first[0].0.name, "provider");
        assert_eq!(first[0].0.pos, Pos { line: 1, column: 1 });
        let server = map_entries(&first[1].1);
        assert_eq!(server[1].0.name, "timeoutSeconds");
        assert_eq!(server[1].0.pos, Pos { line: 4, column: 3 });
        let second = map_entries(&docs[1]);
        assert_eq!(second[0].0.pos.line, 6);
    }

    #[test]
    fn yaml_1_2_scalars_do_not_turn_into_booleans_or_octal() {
        let docs = parse_documents("a: yes\nb: 0755\nc: true\nd: 20.0\ne: ~\n").expect("valid");
        let json = docs[0].to_json();
        assert_eq!(json["a"], Value::String("yes".into()));
        assert_eq!(json["b"], Value::String("0755".into()));
        assert_eq!(json["c"], Value::Bool(true));
        assert_eq!(json["d"].as_f64(), Some(20.0));
        assert_eq!(json["e"], Value::Null);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse_documents("a: [1, 2\nb: 3\n").expect_err("unclosed flow sequence");
        let pos = err.pos.expect("position known");
        assert!(pos.line >= 1, "{err:?}");
        assert!(!err.message.is_empty());
    }

    #[test]
    fn duplicate_keys_are_an_error_in_plain_words() {
        let err = parse_documents("a: 1\na: 2\n").expect_err("duplicate key");
        assert_eq!(
            err.message,
            "key \"a\" appears twice in this mapping (a YAML mapping has each key once)"
        );
        assert_eq!(err.pos.map(|p| p.line), Some(2));
        assert!(!err.message.contains("DuplicateKeyPolicy"), "{err:?}");
    }

    #[test]
    fn rendered_documents_read_back_the_same_in_the_same_key_order() {
        let doc = serde_json::json!({
            "id": "a", "provider": "twilio", "number": "+14155550100", "name": "yes",
            "extension": "0755", "note": "null", "empty": "", "colon": "a: b", "hash": "x #y",
            "multi": "line 1\nline 2", "n": 20, "f": 0.5, "t": true,
            "placeholder": "${VAPI_DRIFT_X}", "list": [{"on": "call.ringing", "do": [{"type": "say"}]}]
        });
        let text = render_document(&doc).expect("renders");
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('-'))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert_eq!(&keys[..4], ["id", "provider", "number", "name"], "{text}");
        let back = parse_documents(&text).expect("parses");
        assert_eq!(back[0].to_json(), doc, "{text}");
        assert!(
            text.contains("number: '+14155550100'") || text.contains("number: \"+14155550100\""),
            "{text}"
        );
    }

    #[test]
    fn a_file_can_hold_thousands_of_numbers() {
        let text = "provider: vapi\nname: x\n---\n".repeat(5_000);
        assert_eq!(parse_documents(&text).expect("within budget").len(), 5_000);
    }

    #[test]
    fn empty_stream_has_no_documents() {
        assert!(parse_documents("").expect("empty ok").is_empty());
        assert!(
            parse_documents("# only a comment\n")
                .expect("ok")
                .is_empty()
        );
    }
}
