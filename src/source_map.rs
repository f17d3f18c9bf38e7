//! Source maps: where each JSON path of a desired document is in its file.
//!
//! Owns: the compact map from a document's paths to positions, and the table that
//! shares path texts between the documents of one load. `desired` fills them in
//! while it converts each YAML document.

use crate::pointer::Pointer;
use crate::yaml::Pos;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// JSON path -> position of the key (or list item) in the desired file.
///
/// Compact, because every loaded number keeps one: the numbers of a load mostly
/// declare the same paths (the same keys, lists of the same lengths), so the sorted
/// list of path texts is shared between them and each number keeps only its
/// positions, in that list's order (8 bytes a path instead of a string and a tree
/// node a path).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    root: Pos,
    /// `None` in an empty map (the default, which a shed result keeps: no allocation).
    paths: Option<Arc<Paths>>,
    /// `positions[i]` is the position of `paths.0[i]`.
    positions: Box<[Pos]>,
}

/// Pointer texts (RFC 6901), sorted, each once.
#[derive(Debug, Default)]
struct Paths(Box<[Arc<str>]>);

impl SourceMap {
    /// Whether two maps share one list of path texts (they were loaded by one table).
    #[cfg(test)]
    pub(crate) fn shares_paths_with(&self, other: &SourceMap) -> bool {
        matches!((&self.paths, &other.paths), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
    }

    fn texts(&self) -> &[Arc<str>] {
        self.paths.as_deref().map_or(&[], |p| &p.0)
    }

    fn get(&self, text: &str) -> Option<Pos> {
        self.texts()
            .binary_search_by(|p| (**p).cmp(text))
            .ok()
            .map(|i| self.positions[i])
    }

    /// The position of `path`, or of its nearest ancestor the document has,
    /// or the document's first line.
    pub fn position(&self, path: &Pointer) -> Pos {
        let mut p = path.clone();
        loop {
            if let Some(pos) = self.get(&p.to_string()) {
                return pos;
            }
            if p.is_root() {
                return self.root;
            }
            p = p.parent();
        }
    }

    pub fn line(&self, path: &Pointer) -> u32 {
        self.position(path).line
    }

    /// Whether the document itself has this path (not only an ancestor).
    pub fn contains(&self, path: &Pointer) -> bool {
        path.is_root() || self.get(&path.to_string()).is_some()
    }

    /// Every path the document declares (each key and list item).
    pub fn declared_paths(&self) -> impl Iterator<Item = Pointer> + '_ {
        self.texts()
            .iter()
            .map(|k| Pointer::parse(k).expect("entries are keyed by pointer text"))
    }
}

/// Shares path texts, and whole sorted path lists, between the documents of one
/// load (one per loading thread).
#[derive(Default)]
pub(crate) struct PathTable {
    texts: HashSet<Arc<str>>,
    /// A document's paths in document order -> their shared sorted list.
    lists: HashMap<Box<[Interned]>, Shared>,
}

/// A sorted path list and, for each of its entries, the document-order index
/// whose position it takes.
struct Shared {
    paths: Arc<Paths>,
    pick: Box<[u32]>,
}

/// An interned path text, compared and hashed by identity: one table hands out
/// one `Arc` per text.
#[derive(Clone)]
pub(crate) struct Interned(Arc<str>);

impl PartialEq for Interned {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Interned {}

impl Hash for Interned {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.0).cast::<u8>().hash(state);
    }
}

impl PathTable {
    pub(crate) fn intern(&mut self, text: &str) -> Interned {
        if let Some(t) = self.texts.get(text) {
            return Interned(t.clone());
        }
        let t: Arc<str> = Arc::from(text);
        self.texts.insert(t.clone());
        Interned(t)
    }

    /// The source map of a document whose paths (in document order) were found at
    /// `found`. A path found twice keeps its later position.
    pub(crate) fn source_map(
        &mut self,
        root: Pos,
        order: Vec<Interned>,
        found: &[Pos],
    ) -> SourceMap {
        if let Some(Shared { paths, pick }) = self.lists.get(order.as_slice()) {
            return SourceMap {
                root,
                paths: Some(paths.clone()),
                positions: pick.iter().map(|&i| found[i as usize]).collect(),
            };
        }
        let mut pick: Vec<u32> = (0..order.len() as u32).collect();
        // By text; of equal texts the later first, so that `dedup` keeps it.
        pick.sort_by(|&a, &b| {
            order[a as usize]
                .0
                .cmp(&order[b as usize].0)
                .then(b.cmp(&a))
        });
        pick.dedup_by(|a, b| order[*a as usize] == order[*b as usize]);
        let paths = Arc::new(Paths(
            pick.iter().map(|&i| order[i as usize].0.clone()).collect(),
        ));
        let map = SourceMap {
            root,
            paths: Some(paths.clone()),
            positions: pick.iter().map(|&i| found[i as usize]).collect(),
        };
        let pick = pick.into_boxed_slice();
        self.lists
            .insert(order.into_boxed_slice(), Shared { paths, pick });
        map
    }
}
