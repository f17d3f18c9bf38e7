//! Desired documents held compactly from the load to the comparison.
//!
//! Owns: [`DocText`], one document as a short run of bytes, and [`Strings`], the
//! strings that the documents of one load share, each held once.
//!
//! Every desired number of a run is held from the load until its live number is
//! compared, and a large org is loaded whole before the first page arrives. A
//! parsed `Value` (with `preserve_order`) takes about five times the memory of its
//! JSON text, and the JSON text is mostly repeats: the keys, and the values an org
//! writes on every number (the webhook URL and its headers, the assistant, the
//! fallback). Here a key is held once per load, a value once it has been seen
//! twice, and a document keeps an index for each; what is unique to it (its id,
//! name and number) is kept inline. A 470-byte synthetic document takes about
//! 170 bytes. Reading one back builds the `Value` straight from the bytes, with
//! no text to scan.
//!
//! The encoding is private to this module and read back only by it: every number
//! is kept as the `serde_json::Number` it was (unsigned, signed or float), so a
//! document reads back equal to the one written, variant for variant.
//!
//! Does not own: what a document means (see `desired`).

use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

/// One document, written by [`DocText::new`] and read back by [`DocText::value`].
#[derive(Clone, Default)]
pub struct DocText {
    /// Empty once shed (see `NumberResult::shed`).
    bytes: Box<[u8]>,
    /// The table its pooled strings index (`None` for an empty text).
    strings: Option<Arc<Table>>,
}

/// The strings the documents of one load share, in the order they were pooled.
#[derive(Default)]
struct Table(RwLock<Vec<Box<str>>>);

/// Which strings one load shares, while it loads.
///
/// Keys are pooled the first time they are seen (an org writes the same few dozen
/// keys on every number); a value the second time, so that the values unique to a
/// number (its id, name, number) are not held twice. Drop it when the load ends:
/// the documents keep the table, not the counts.
#[derive(Default)]
pub struct Strings {
    table: Arc<Table>,
    /// A string's index in the table, or [`ONCE`] for a value seen once.
    seen: HashMap<Box<str>, u32>,
    /// How many entries of `seen` are [`ONCE`].
    once: usize,
}

/// A value seen once, not pooled (yet).
const ONCE: u32 = u32::MAX;

/// At most this many values seen once are remembered; past it they are forgotten
/// (a value repeated later is then inline in the documents before it is pooled
/// again). Bounds what the values seen once take on an org of unique values (the
/// pooled ones are held anyway, in the table); never changes what a document
/// reads back as.
const ONCE_REMEMBERED: usize = 1 << 16;

/// Strings longer than this are always inline (a long value is rarely repeated).
const POOLED_MAX: usize = 256;

// The tags of the encoding: one byte before each value.
const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UNSIGNED: u8 = 3;
const SIGNED: u8 = 4;
const FLOAT: u8 = 5;
const INLINE: u8 = 6;
const POOLED: u8 = 7;
const ARRAY: u8 = 8;
const OBJECT: u8 = 9;

impl Strings {
    /// Pools `s` if it is a key, or a value seen before; `Some(index)` when it is pooled.
    fn index(&mut self, s: &str, key: bool) -> Option<u32> {
        if s.len() > POOLED_MAX {
            return None;
        }
        match self.seen.get(s).copied() {
            Some(i) if i != ONCE => Some(i),
            Some(_) => {
                self.once -= 1;
                Some(self.pool(s))
            }
            None if key => Some(self.pool(s)),
            None => {
                // Counted apart from the pooled entries, so that a load with many
                // pooled strings does not prune on every new value.
                if self.once >= ONCE_REMEMBERED {
                    self.seen.retain(|_, i| *i != ONCE);
                    self.once = 0;
                }
                self.seen.insert(s.into(), ONCE);
                self.once += 1;
                None
            }
        }
    }

    fn pool(&mut self, s: &str) -> u32 {
        let mut table = self.table.0.write().unwrap_or_else(PoisonError::into_inner);
        let i = u32::try_from(table.len()).expect("fewer than 4 billion distinct strings");
        table.push(s.into());
        self.seen.insert(s.into(), i);
        i
    }
}

impl DocText {
    /// Writes `doc`, pooling its repeated strings in `strings`.
    pub fn new(doc: &Value, strings: &mut Strings) -> DocText {
        let mut bytes = Vec::with_capacity(128);
        write_value(doc, strings, &mut bytes);
        DocText {
            bytes: bytes.into(),
            strings: Some(Arc::clone(&strings.table)),
        }
    }

    /// The document as it was written. `null` once shed (`NumberResult::shed`):
    /// nothing reads it then, and were anything to compare it, `null` differs from
    /// every live number.
    pub fn value(&self) -> Value {
        let Some(table) = &self.strings else {
            return Value::Null;
        };
        let table = table.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut reader = Reader {
            bytes: &self.bytes,
            table: &table,
        };
        reader.value()
    }
}

/// The size only: the document may hold secrets.
impl fmt::Debug for DocText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocText({} bytes)", self.bytes.len())
    }
}

fn write_value(value: &Value, strings: &mut Strings, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push(UNSIGNED);
                out.extend_from_slice(&u.to_le_bytes());
            } else if let Some(i) = n.as_i64() {
                out.push(SIGNED);
                out.extend_from_slice(&i.to_le_bytes());
            } else {
                // Neither integer form: a float (finite: serde_json holds no other).
                let f = n
                    .as_f64()
                    .expect("a serde_json number is an integer or a float");
                out.push(FLOAT);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
        }
        Value::String(s) => write_str(s, false, strings, out),
        Value::Array(items) => {
            out.push(ARRAY);
            write_len(items.len(), out);
            for item in items {
                write_value(item, strings, out);
            }
        }
        Value::Object(map) => {
            out.push(OBJECT);
            write_len(map.len(), out);
            for (k, v) in map {
                write_str(k, true, strings, out);
                write_value(v, strings, out);
            }
        }
    }
}

fn write_str(s: &str, key: bool, strings: &mut Strings, out: &mut Vec<u8>) {
    match strings.index(s, key) {
        Some(i) => {
            out.push(POOLED);
            write_len(i as usize, out);
        }
        None => {
            out.push(INLINE);
            write_len(s.len(), out);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// LEB128: seven bits a byte, the high bit set on every byte but the last.
fn write_len(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads back what `write_value` wrote. The bytes never left this module, so a
/// malformed run is a bug here: it panics rather than return a different document.
struct Reader<'a> {
    bytes: &'a [u8],
    table: &'a [Box<str>],
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.bytes.split_first().expect("a whole DocText");
        self.bytes = rest;
        b
    }

    fn eight(&mut self) -> [u8; 8] {
        let (head, rest) = self.bytes.split_at(8);
        self.bytes = rest;
        head.try_into().expect("eight bytes")
    }

    fn len(&mut self) -> usize {
        let (mut n, mut shift) = (0usize, 0);
        loop {
            let b = self.byte();
            n |= usize::from(b & 0x7f) << shift;
            if b < 0x80 {
                return n;
            }
            shift += 7;
        }
    }

    fn string(&mut self) -> String {
        match self.byte() {
            INLINE => {
                let len = self.len();
                let (head, rest) = self.bytes.split_at(len);
                self.bytes = rest;
                std::str::from_utf8(head)
                    .expect("written from a str")
                    .to_string()
            }
            POOLED => {
                let i = self.len();
                self.table[i].to_string()
            }
            tag => unreachable!("a string's tag, not {tag}"),
        }
    }

    fn value(&mut self) -> Value {
        match self.bytes.first().copied() {
            Some(INLINE | POOLED) => return Value::String(self.string()),
            None => unreachable!("a whole DocText"),
            _ => {}
        }
        match self.byte() {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            UNSIGNED => Value::Number(u64::from_le_bytes(self.eight()).into()),
            SIGNED => Value::Number(i64::from_le_bytes(self.eight()).into()),
            FLOAT => Value::Number(
                Number::from_f64(f64::from_bits(u64::from_le_bytes(self.eight())))
                    .expect("written from a serde_json number: finite"),
            ),
            ARRAY => {
                let n = self.len();
                Value::Array((0..n).map(|_| self.value()).collect())
            }
            OBJECT => {
                let n = self.len();
                let mut map = Map::with_capacity(n);
                for _ in 0..n {
                    let k = self.string();
                    let v = self.value();
                    map.insert(k, v);
                }
                Value::Object(map)
            }
            tag => unreachable!("a value's tag, not {tag}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(doc: &Value, strings: &mut Strings) -> Value {
        DocText::new(doc, strings).value()
    }

    #[test]
    fn every_kind_of_value_reads_back_the_same_variant_for_variant() {
        let doc = json!({
            "null": null, "t": true, "f": false,
            "u": 18446744073709551615u64, "i": -9223372036854775808i64, "zero": 0,
            "float": 20.0, "small": 5e-324, "big": 1.7976931348623157e308, "neg": -0.5,
            "s": "", "unicode": "é\u{301}\u{0}\"\\", "long": "x".repeat(300),
            "list": [1, [2, []], {}, {"a": {"b": [null]}}],
            "order": {"z": 1, "a": 2, "m": 3}
        });
        let mut strings = Strings::default();
        let back = round_trip(&doc, &mut strings);
        assert_eq!(back, doc);
        // Keys in their written order (preserve_order), and numbers in their variant:
        // 20.0 stays a float, 0 an integer.
        let keys: Vec<&str> = back["order"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert!(back["float"].is_f64() && back["zero"].is_u64() && back["i"].is_i64());
        assert_eq!(back.to_string(), doc.to_string());
    }

    #[test]
    fn repeated_strings_are_held_once_and_every_document_reads_back_whole() {
        let mut strings = Strings::default();
        let docs: Vec<Value> = (0..200)
            .map(|i| {
                json!({
                    "id": format!("00000000-0000-4000-8000-{i:012}"),
                    "name": format!("Line {i}"),
                    "server": {"url": "https://hooks.example.com/vapi",
                               "headers": {"Authorization": "Bearer synthetic-webhook-token"}},
                    "assistantId": "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
                })
            })
            .collect();
        let texts: Vec<DocText> = docs.iter().map(|d| DocText::new(d, &mut strings)).collect();
        for (doc, text) in docs.iter().zip(&texts) {
            assert_eq!(&text.value(), doc);
        }
        let json_len = docs[100].to_string().len();
        assert!(
            texts[100].bytes.len() * 2 < json_len,
            "{} bytes against {json_len} as JSON",
            texts[100].bytes.len()
        );
        // The id and name of each number are its own: not pooled.
        let table = strings.table.0.read().unwrap();
        assert!(
            !table
                .iter()
                .any(|s| s.starts_with("00000000-") || s.starts_with("Line "))
        );
        assert!(
            table
                .iter()
                .any(|s| &**s == "https://hooks.example.com/vapi")
        );
    }

    #[test]
    fn forgetting_values_seen_once_changes_nothing_but_size() {
        let mut strings = Strings::default();
        let docs: Vec<Value> = (0..ONCE_REMEMBERED + 10)
            .map(|i| json!({"unique": i.to_string(), "shared": "late"}))
            .collect();
        let texts: Vec<DocText> = docs.iter().map(|d| DocText::new(d, &mut strings)).collect();
        assert!(strings.once <= ONCE_REMEMBERED);
        assert!(strings.seen.len() <= ONCE_REMEMBERED + 3);
        for (doc, text) in docs.iter().zip(&texts) {
            assert_eq!(&text.value(), doc);
        }
    }

    #[test]
    fn values_pooled_past_the_limit_are_not_counted_as_seen_once() {
        // Each value written twice is pooled: the count of values seen once goes
        // back to zero, and no pruning pass runs however many are pooled.
        let mut strings = Strings::default();
        for i in 0..ONCE_REMEMBERED + 1_000 {
            let v = format!("Line {i}");
            let doc = json!({"name": v, "alias": v});
            assert_eq!(DocText::new(&doc, &mut strings).value(), doc);
        }
        assert_eq!(strings.once, 0);
        assert!(strings.seen.len() > ONCE_REMEMBERED);
    }

    #[test]
    fn an_empty_text_reads_as_null() {
        assert_eq!(DocText::default().value(), Value::Null);
    }
}
