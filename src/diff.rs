//! (desired, live) -> differences and a unified text diff.
//!
//! Owns: the structural comparison of two normalized documents into JSON Pointer
//! paths typed `ADD` (only live has it), `REMOVE` (only desired has it) or
//! `NOT_EQUAL`, and the unified diff (made with `similar`) of their canonical
//! renderings, secrets masked; and [`visible_pair`], the one place that makes two
//! values which differ only in characters nobody can see (NFC vs NFD, a
//! non-breaking space, a zero-width space) show the difference, for every report.
//!
//! Does not own: what counts as equal (see `normalize`), which fields are secret (see `secret`).

use crate::finding::{Cause, Kind, Seen};
use crate::normalize::{is_set_path, same_value, sorted};
use crate::pointer::{Pointer, Seg, Trail};
use crate::secret;
use crate::yaml;
use serde::Serialize;
use serde_json::{Map, Value};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Only the live number has it (added outside git).
    Add,
    /// Only the desired document has it (removed live).
    Remove,
    NotEqual,
}

impl Change {
    /// The word every format prints: `ADD`, `REMOVE`, `NOT_EQUAL`.
    pub fn word(self) -> &'static str {
        self.kind().word()
    }

    /// The finding kind it is (whose word it prints).
    pub fn kind(self) -> Kind {
        match self {
            Change::Add => Kind::Add,
            Change::Remove => Kind::Remove,
            Change::NotEqual => Kind::NotEqual,
        }
    }

    /// What it means, in a few words: "set live only", "missing live", "differs".
    pub fn phrase(self) -> &'static str {
        match self {
            Change::Add => "set live only",
            Change::Remove => "missing live",
            Change::NotEqual => "differs",
        }
    }
}

/// Serialized as its word: the one wording of a kind is [`Kind::word`].
impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// One difference between a desired and a live number. Values are raw here;
/// reports print them through [`Difference::expected_shown`] and friends.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub path: Pointer,
    pub change: Change,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    pub sensitive: bool,
    /// Why it differs, with `--deployed-ref` (set by the audit).
    pub cause: Option<Cause>,
    /// When it was first seen, with `--baseline` (set after the audit).
    pub seen: Option<Seen>,
}

impl Difference {
    /// The desired value as it may be printed (secrets masked; characters nobody can
    /// see escaped when that is all that tells it from the live value).
    pub fn expected_shown(&self) -> Option<Value> {
        self.shown().0
    }

    /// The live value as it may be printed (secrets masked, "changed" when they
    /// differ; invisible differences escaped as for [`Difference::expected_shown`]).
    pub fn actual_shown(&self) -> Option<Value> {
        self.shown().1
    }

    /// The fingerprint of its values, as compared (`finding::fingerprint`): what
    /// `--baseline` tells a value that changed again by. Never the values themselves.
    pub fn fingerprint(&self) -> String {
        crate::finding::fingerprint(self.expected.as_ref(), self.actual.as_ref())
    }

    fn shown(&self) -> (Option<Value>, Option<Value>) {
        let mut expected = self.expected.as_ref().map(|v| secret::mask(v, &self.path));
        let mut actual = self
            .actual
            .as_ref()
            .map(|v| secret::mask_against(v, &self.path, self.expected.as_ref()));
        // Masked first: a secret is never escaped into view.
        if let (Some(e), Some(a)) = (&mut expected, &mut actual) {
            reveal(e, a);
        }
        (expected, actual)
    }
}

/// Characters that print as nothing, as a plain space, or as part of the character
/// before them: C0/C1 controls, format characters (zero-width space and joiners,
/// U+FEFF, bidi controls, soft hyphen, variation selectors), spaces other than
/// U+0020 (U+00A0 and the typographic ones) and combining marks (the blocks that
/// NFD uses: U+0300-036F and the supplements, kana voicing marks).
fn hidden(c: char) -> bool {
    matches!(c as u32,
        0x00..=0x1F | 0x7F..=0x9F | 0xA0 | 0xAD | 0x034F | 0x061C | 0x115F | 0x1160
        | 0x1680 | 0x17B4 | 0x17B5 | 0x180B..=0x180F | 0x2000..=0x200F | 0x2028..=0x202F
        | 0x205F..=0x206F | 0x3000 | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0
        | 0xE0000..=0xE007F)
        || combining(c)
}

/// A combining mark of any script (General_Category=Mark): it prints on the
/// character before it, so `e` + U+0301 looks like `é`.
fn combining(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

/// What a string looks like: spaces of every kind are one space, what prints as
/// nothing is dropped, and any other non-ASCII character (or a character carrying a
/// combining mark) is one placeholder, so `é` and `e` + U+0301 look alike.
fn looks(s: &str) -> Vec<char> {
    const OTHER: char = '\u{FFFD}';
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_whitespace() {
            out.push(' ');
        } else if combining(c) {
            if let Some(last) = out.last_mut() {
                *last = OTHER;
            }
        } else if hidden(c) {
        } else if c.is_ascii() {
            out.push(c);
        } else {
            out.push(OTHER);
        }
    }
    out
}

/// `s` with every [`hidden`] character written as `\u{XXXX}`.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Two different strings that would print alike (they differ only in what prints
/// as nothing, as a space, or as an accent composed another way: `Café` in NFC and
/// in NFD), written so the difference shows: characters nobody can see escaped as
/// `\u{0301}`, `\u{00A0}`, `\u{200B}`. `None` when the strings are equal or
/// already look different. Used for every rendering of a difference.
pub fn visible_pair(a: &str, b: &str) -> Option<(String, String)> {
    (a != b && (a.chars().any(hidden) || b.chars().any(hidden)) && looks(a) == looks(b))
        .then(|| (escaped(a), escaped(b)))
}

/// Applies [`visible_pair`] to every pair of strings at the same place in two
/// (masked) values, and to pairs of keys found on one side each that look alike.
fn reveal(a: &mut Value, b: &mut Value) {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if let Some((x2, y2)) = visible_pair(x, y) {
                *x = x2;
                *y = y2;
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (x, y) in x.iter_mut().zip(y.iter_mut()) {
                reveal(x, y);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let renames: Vec<(String, String, String, String)> = x
                .keys()
                .filter(|k| !y.contains_key(*k))
                .filter_map(|kx| {
                    y.keys()
                        .filter(|ky| !x.contains_key(*ky))
                        .find_map(|ky| visible_pair(kx, ky).map(|(ex, ey)| (ex, ey, ky.clone())))
                        .map(|(ex, ey, ky)| (kx.clone(), ex, ky, ey))
                })
                .collect();
            for (kx, ex, ky, ey) in renames {
                if let Some(v) = x.shift_remove(&kx) {
                    x.insert(ex, v);
                }
                if let Some(v) = y.shift_remove(&ky) {
                    y.insert(ey, v);
                }
            }
            for (k, vx) in x.iter_mut() {
                if let Some(vy) = y.get_mut(k) {
                    reveal(vx, vy);
                }
            }
        }
        _ => {}
    }
}

impl Difference {
    /// The one-line form the text and JUnit reports print, values as the caller
    /// shows them: `~ path: a → b`, `+ path: v (set live only)`, `- path: v (missing live)`.
    pub fn line(&self, expected: &str, actual: &str, arrow: &str) -> String {
        let path = &self.path;
        match self.change {
            Change::NotEqual => format!("~ {path}: {expected} {arrow} {actual}"),
            Change::Add => format!("+ {path}: {actual} ({})", self.change.phrase()),
            Change::Remove => format!("- {path}: {expected} ({})", self.change.phrase()),
        }
    }
}

/// Every difference between two normalized documents, in path order.
pub fn differences(desired: &Value, live: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(desired, live, &mut Trail::default(), &mut out);
    out
}

/// Compares the values at `at`; a path is made only for a difference.
fn walk<'a>(desired: &'a Value, live: &'a Value, at: &mut Trail<'a>, out: &mut Vec<Difference>) {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            // Both sides in key order, walked together: every key once, in path
            // order, without a hash lookup per key.
            let by_key = |m: &'a Map<String, Value>| {
                let mut entries: Vec<(&'a String, &'a Value)> = m.iter().collect();
                entries.sort_unstable_by_key(|(k, _)| *k);
                entries
            };
            let (d, l) = (by_key(d), by_key(l));
            let (mut i, mut j) = (0, 0);
            while i < d.len() || j < l.len() {
                let order = match (d.get(i), l.get(j)) {
                    (Some((dk, _)), Some((lk, _))) => dk.cmp(lk),
                    (Some(_), None) => Ordering::Less,
                    _ => Ordering::Greater,
                };
                let dv = (order != Ordering::Greater).then(|| {
                    i += 1;
                    d[i - 1]
                });
                let lv = (order != Ordering::Less).then(|| {
                    j += 1;
                    l[j - 1]
                });
                let (k, _) = dv.or(lv).expect("a key comes from one side or both");
                at.push(Seg::Key(k));
                entry(dv.map(|(_, v)| v), lv.map(|(_, v)| v), at, out);
                at.pop();
            }
        }
        (Value::Array(d), Value::Array(l)) if !is_set_path(at.segments()) => {
            for i in 0..d.len().max(l.len()) {
                at.push(Seg::Index(i));
                entry(d.get(i), l.get(i), at, out);
                at.pop();
            }
        }
        (d, l) if same_value(d, l) => {}
        (d, l) => {
            let path = at.pointer();
            out.push(Difference {
                sensitive: secret::touches_secret(&path, Some(d))
                    || secret::touches_secret(&path, Some(l)),
                path,
                change: Change::NotEqual,
                expected: Some(d.clone()),
                actual: Some(l.clone()),
                cause: None,
                seen: None,
            })
        }
    }
}

/// One entry (a key or an index) at `at`, on either side or both.
fn entry<'a>(
    desired: Option<&'a Value>,
    live: Option<&'a Value>,
    at: &mut Trail<'a>,
    out: &mut Vec<Difference>,
) {
    match (desired, live) {
        (Some(d), Some(l)) => walk(d, l, at, out),
        (Some(d), None) => out.push(one_sided(at.pointer(), Change::Remove, Some(d), None)),
        (None, Some(l)) => out.push(one_sided(at.pointer(), Change::Add, None, Some(l))),
        (None, None) => {}
    }
}

fn one_sided(
    path: Pointer,
    change: Change,
    expected: Option<&Value>,
    actual: Option<&Value>,
) -> Difference {
    Difference {
        sensitive: secret::touches_secret(&path, expected.or(actual)),
        path,
        change,
        expected: expected.cloned(),
        actual: actual.cloned(),
        cause: None,
        seen: None,
    }
}

/// A one-sided difference on a mapping or list, split into one difference per entry.
/// Anything else comes back as it is.
pub fn split(d: &Difference) -> Vec<Difference> {
    let (value, change) = match (&d.expected, &d.actual) {
        (Some(v), None) => (v, Change::Remove),
        (None, Some(v)) => (v, Change::Add),
        _ => return vec![d.clone()],
    };
    let entries: Vec<(Pointer, &Value)> = match value {
        Value::Object(o) => o.iter().map(|(k, v)| (d.path.child(k), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (d.path.index(i), v))
            .collect(),
        _ => return vec![d.clone()],
    };
    entries
        .into_iter()
        .map(|(p, v)| match change {
            Change::Add => one_sided(p, Change::Add, None, Some(v)),
            _ => one_sided(p, Change::Remove, Some(v), None),
        })
        .collect()
}

/// The unified diff of the two canonical renderings (sorted keys, YAML), secrets
/// masked. Empty when the documents are equal. Hunk headers are a bare `@@`: the
/// canonical rendering's line numbers are not the desired file's, and a number
/// that looks like a file line but is not would mislead (the differences carry
/// the file's lines).
pub fn unified(desired: &Value, live: &Value) -> String {
    let root = Pointer::root();
    let mut d = secret::mask(desired, &root);
    let mut l = secret::mask_against(live, &root, Some(desired));
    // Masked first: a secret is never escaped into view.
    reveal(&mut d, &mut l);
    let d = yaml::render(&sorted(&d));
    let l = yaml::render(&sorted(&l));
    if d == l {
        return String::new();
    }
    let text = similar::TextDiff::from_lines(&d, &l)
        .unified_diff()
        .context_radius(3)
        .header("desired", "live")
        .to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.starts_with("@@ ") {
            out.push_str("@@\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(d: &[Difference]) -> Vec<(String, Change)> {
        d.iter().map(|x| (x.path.to_string(), x.change)).collect()
    }

    #[test]
    fn typed_paths_for_add_remove_and_change() {
        let desired = json!({"name": "a", "fallbackDestination": {"type": "number", "number": "+1"}, "squadId": "s"});
        let live = json!({"name": "a", "fallbackDestination": {"type": "number", "number": "+2"}, "assistantId": "x"});
        assert_eq!(
            paths(&differences(&desired, &live)),
            vec![
                ("/assistantId".into(), Change::Add),
                ("/fallbackDestination/number".into(), Change::NotEqual),
                ("/squadId".into(), Change::Remove),
            ]
        );
    }

    #[test]
    fn list_items_are_compared_by_index() {
        let desired = json!({"hooks": [{"on": "call.ringing"}]});
        let live = json!({"hooks": [{"on": "call.ringing"}, {"on": "call.ending"}]});
        assert_eq!(
            paths(&differences(&desired, &live)),
            vec![("/hooks/1".into(), Change::Add)]
        );
    }

    #[test]
    fn a_set_that_differs_is_reported_whole() {
        let desired = json!({"server": {"encryptedPaths": ["a", "b"]}});
        let live = json!({"server": {"encryptedPaths": ["a", "c"]}});
        assert_eq!(
            paths(&differences(&desired, &live)),
            vec![("/server/encryptedPaths".into(), Change::NotEqual)]
        );
    }

    #[test]
    fn equal_documents_have_no_differences_and_no_text_diff() {
        let doc = json!({"a": [1, {"b": 2.0}]});
        assert!(differences(&doc, &json!({"a": [1, {"b": 2}]})).is_empty());
        assert_eq!(unified(&doc, &doc), "");
    }

    #[test]
    fn a_changed_secret_is_sensitive_and_never_printed() {
        let desired = json!({"server": {"headers": {"Authorization": "Bearer old-secret"}}});
        let live = json!({"server": {"headers": {"Authorization": "Bearer new-secret"}}});
        let d = differences(&desired, &live);
        assert_eq!(d.len(), 1);
        assert!(d[0].sensitive);
        assert_eq!(d[0].expected_shown(), Some(json!(secret::MASK)));
        assert_eq!(d[0].actual_shown(), Some(json!(secret::MASK_CHANGED)));
        let text = unified(&desired, &live);
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains(secret::MASK_CHANGED), "{text}");
    }

    #[test]
    fn a_removed_header_map_is_sensitive() {
        let desired =
            json!({"server": {"url": "u", "headers": {"X-Token": "v", "X-Tenant": "acme"}}});
        let live = json!({"server": {"url": "u"}});
        let d = differences(&desired, &live);
        assert_eq!(paths(&d), vec![("/server/headers".into(), Change::Remove)]);
        assert!(d[0].sensitive);
        assert_eq!(
            d[0].expected_shown(),
            Some(json!({"X-Token": secret::MASK, "X-Tenant": "acme"}))
        );
    }

    #[test]
    fn strings_that_differ_only_invisibly_are_shown_escaped() {
        let nfc = "Caf\u{e9}";
        let nfd = "Cafe\u{301}";
        assert_eq!(
            visible_pair(nfc, nfd),
            Some((nfc.to_string(), "Cafe\\u{0301}".to_string()))
        );
        assert_eq!(
            visible_pair("Support line", "Support\u{a0}line"),
            Some(("Support line".into(), "Support\\u{00A0}line".into()))
        );
        assert_eq!(
            visible_pair("acme", "ac\u{200b}me"),
            Some(("acme".into(), "ac\\u{200B}me".into()))
        );
        assert_eq!(
            visible_pair("a\u{feff}", "a\u{200d}"),
            Some(("a\\u{FEFF}".into(), "a\\u{200D}".into()))
        );
        // Equal, or visibly different: left alone.
        assert_eq!(visible_pair(nfc, nfc), None);
        assert_eq!(visible_pair("Café", "Cafe"), None);
        assert_eq!(visible_pair("a b", "a\u{a0}c"), None);
        assert_eq!(visible_pair("東京", "大阪"), None);
        // Marks of every script, not only Latin accents: a Hebrew point, a
        // Devanagari sign, composed one way on one side only.
        assert_eq!(
            visible_pair("\u{5e9}\u{5c1}", "\u{5e9}"),
            Some(("\u{5e9}\\u{05C1}".to_string(), "\u{5e9}".to_string()))
        );
        assert!(visible_pair("\u{915}\u{93c}", "\u{958}").is_some());
    }

    #[test]
    fn every_rendering_of_an_invisible_difference_shows_it() {
        let desired =
            json!({"name": "Caf\u{e9}", "fallbackDestination": {"description": "front desk"}});
        let live = json!({"name": "Cafe\u{301}", "fallbackDestination": {"description": "front\u{a0}desk"}});
        let d = differences(&desired, &live);
        assert_eq!(d.len(), 2);
        let shown: Vec<_> = d
            .iter()
            .map(|x| (x.expected_shown(), x.actual_shown()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (Some(json!("front desk")), Some(json!("front\\u{00A0}desk"))),
                (Some(json!("Caf\u{e9}")), Some(json!("Cafe\\u{0301}"))),
            ]
        );
        let text = unified(&desired, &live);
        assert!(text.contains("Cafe\\u{0301}"), "{text}");
        assert!(text.contains("front\\u{00A0}desk"), "{text}");
        // A key that differs only invisibly (a header name), and a secret: never escaped into view.
        let desired = json!({"server": {"headers": {"X-Key": "s\u{e9}cret"}}});
        let live = json!({"server": {"headers": {"X-Key\u{200b}": "se\u{301}cret"}}});
        let text = unified(&desired, &live);
        // (YAML quotes this key, and writes its backslash as `\\`.)
        assert!(text.contains("u{200B}"), "{text}");
        assert!(!text.contains("cret"), "{text}");
    }

    #[test]
    fn unified_diff_shows_the_changed_line() {
        let text = unified(&json!({"name": "a", "x": 1}), &json!({"name": "b", "x": 1}));
        assert!(text.contains("--- desired"), "{text}");
        assert!(text.contains("-name: a"), "{text}");
        assert!(text.contains("+name: b"), "{text}");
        // Regression (issue 12): hunk headers carried the canonical rendering's
        // line numbers, which read as the desired file's.
        assert!(text.lines().any(|l| l == "@@"), "{text}");
        assert!(!text.contains("@@ -"), "{text}");
    }
}
