//! JSON Pointers (RFC 6901): the paths every difference, issue and source line is keyed by.
//!
//! Owns: building paths segment by segment and rendering them with `~0`/`~1` escapes.
//! serde_json's `Value::pointer` reads them back.

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

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for seg in &self.0 {
            f.write_str("/")?;
            if seg.contains(['~', '/']) {
                f.write_str(&seg.replace('~', "~0").replace('/', "~1"))?;
            } else {
                // The common case, without the two copies `replace` makes.
                f.write_str(seg)?;
            }
        }
        Ok(())
    }
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
}
