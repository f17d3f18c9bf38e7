//! JSON Pointers (RFC 6901): the paths every difference, issue and source line is keyed by.
//!
//! Owns: building paths segment by segment and rendering them with `~0`/`~1` escapes.
//! serde_json's `Value::pointer` reads them back.
//!
//! A walk over a whole document keeps where it is in a [`Trail`] (segments borrowed
//! from the document, no allocation per node) and makes a [`Pointer`] only where it
//! needs one: a difference, a renamed path, a note.

use std::borrow::{Borrow, Cow};
use std::fmt;

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pointer(Vec<String>);

impl Pointer {
    pub fn root() -> Self {
        Pointer(Vec::new())
    }

    pub fn child(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(key.to_string());
        Pointer(segs)
    }

    pub fn index(&self, i: usize) -> Self {
        self.child(&i.to_string())
    }

    pub fn segments(&self) -> &[String] {
        &self.0
    }

    pub fn from_segments(segs: Vec<String>) -> Self {
        Pointer(segs)
    }

    /// The parent path; the root is its own parent.
    pub fn parent(&self) -> Self {
        let mut segs = self.0.clone();
        segs.pop();
        Pointer(segs)
    }

    /// Appends a segment in place (a walk that goes down and back up).
    pub fn push(&mut self, seg: impl Into<String>) {
        self.0.push(seg.into());
    }

    /// Removes the last segment in place.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn last(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    /// Parses an RFC 6901 pointer (`""` is the root).
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return Some(Pointer::root());
        }
        let rest = text.strip_prefix('/')?;
        Some(Pointer(
            rest.split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect(),
        ))
    }
}

/// Lets a map keyed by pointers be searched with a slice of segments (a prefix)
/// without building a pointer: both order and compare the same segments.
impl Borrow<[String]> for Pointer {
    fn borrow(&self) -> &[String] {
        &self.0
    }
}

/// One segment of a [`Trail`].
#[derive(Clone, Debug)]
pub enum Seg<'a> {
    /// A mapping key, borrowed from the document.
    Key(&'a str),
    /// A mapping key the walk made (a header name folded to lower case).
    Owned(String),
    /// A list index.
    Index(usize),
}

impl Seg<'_> {
    /// Whether the segment is this text (an index as its decimal text).
    pub fn is(&self, text: &str) -> bool {
        match self {
            Seg::Key(k) => *k == text,
            Seg::Owned(k) => k == text,
            Seg::Index(i) => text.bytes().all(|b| b.is_ascii_digit()) && i.to_string() == text,
        }
    }

    /// The segment as a [`Pointer`] holds it (unescaped).
    fn text(&self) -> String {
        match self {
            Seg::Key(k) => (*k).to_string(),
            Seg::Owned(k) => k.clone(),
            Seg::Index(i) => i.to_string(),
        }
    }
}

/// Where a walk over a document is: the segments from the root to the current
/// value, pushed on the way down and popped on the way back up.
#[derive(Clone, Debug, Default)]
pub struct Trail<'a>(Vec<Seg<'a>>);

impl<'a> Trail<'a> {
    pub fn push(&mut self, seg: Seg<'a>) {
        self.0.push(seg);
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn segments(&self) -> &[Seg<'a>] {
        &self.0
    }

    /// The key `n` segments up from the current value (0: the current one's own
    /// key); `None` for a list index or above the root.
    pub fn key_back(&self, n: usize) -> Option<&str> {
        match self.0.iter().rev().nth(n)? {
            Seg::Key(k) => Some(k),
            Seg::Owned(k) => Some(k),
            Seg::Index(_) => None,
        }
    }

    /// The path walked so far, as a pointer.
    pub fn pointer(&self) -> Pointer {
        Pointer(self.0.iter().map(Seg::text).collect())
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for seg in &self.0 {
            f.write_str("/")?;
            f.write_str(&escape(seg))?;
        }
        Ok(())
    }
}

/// One segment as RFC 6901 writes it (`~` as `~0`, `/` as `~1`); borrowed in the
/// common case of a segment with neither.
pub fn escape(seg: &str) -> Cow<'_, str> {
    if seg.contains(['~', '/']) {
        Cow::Owned(seg.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(seg)
    }
}

/// The value that `segments` (mapping keys, list indexes) lead to in `doc`, to change
/// it: the one walk every "set" and "remove" by path starts with.
pub fn get_mut<'v>(
    doc: &'v mut serde_json::Value,
    segments: &[String],
) -> Option<&'v mut serde_json::Value> {
    use serde_json::Value;
    segments.iter().try_fold(doc, |v, seg| match v {
        Value::Object(o) => o.get_mut(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_round_trips_rfc_6901() {
        let p = Pointer::root()
            .child("server")
            .child("headers")
            .child("a/b~c");
        assert_eq!(p.to_string(), "/server/headers/a~1b~0c");
        assert_eq!(Pointer::parse(&p.to_string()), Some(p.clone()));
        let v = serde_json::json!({"server": {"headers": {"a/b~c": "x"}}});
        assert_eq!(v.pointer(&p.to_string()), Some(&serde_json::json!("x")));
        assert_eq!(Pointer::root().to_string(), "");
        assert_eq!(Pointer::parse("nope"), None);
    }

    #[test]
    fn a_trail_makes_the_pointer_of_the_path_walked() {
        let mut t = Trail::default();
        t.push(Seg::Key("hooks"));
        t.push(Seg::Index(1));
        t.push(Seg::Owned("x-api-key".into()));
        assert_eq!(
            t.pointer(),
            Pointer::root().child("hooks").index(1).child("x-api-key")
        );
        assert!(t.segments()[1].is("1") && !t.segments()[1].is("01"));
        t.pop();
        assert_eq!(t.pointer().to_string(), "/hooks/1");
    }
}
