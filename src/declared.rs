//! Which values of a desired file are declared through `${VAR}`, as written: for
//! each document (by its first line), the path of every string value that names a
//! variable, with the text as written (`${VAR}`, `Bearer ${VAR}`).
//!
//! Used by `--deployed-ref` (`deployed`): where the deployed file and the working tree
//! declare a value with the same text, the declaration did not change in git; what the
//! variable held at the deploy is not in git, so the deployed value is not known (see
//! README "Deploy gate"). Never holds a value, only the text a user wrote.
//!
//! Kept apart from `desired` (which interpolates while it loads): a second, small walk
//! of the same YAML nodes, through `yaml` like every other reading of YAML.

use crate::pointer::Pointer;
use crate::yaml::{self, Node, NodeKind};
use std::collections::HashMap;

/// Path (as written) -> the text as written, for each value that names a variable.
pub type Declarations = HashMap<Pointer, String>;

/// The declarations of each document of a file's text, by the document's first line
/// (the line a loaded `DesiredNumber` has). A text that does not parse has none (the
/// loader reports it).
pub fn of_text(text: &str) -> HashMap<u32, Declarations> {
    let Ok(docs) = yaml::parse_documents(text) else {
        return HashMap::new();
    };
    docs.into_iter()
        .map(|node| {
            let line = node.pos.line;
            let mut out = Declarations::new();
            walk(&node, Pointer::root(), &mut out);
            (line, out)
        })
        .filter(|(_, d)| !d.is_empty())
        .collect()
}

/// Whether a string names a variable (`${NAME}`; `$${` is a literal `${`).
fn names_a_variable(s: &str) -> bool {
    s.replace("$${", "").contains("${")
}

fn walk(node: &Node, at: Pointer, out: &mut Declarations) {
    match &node.kind {
        NodeKind::String(s) if names_a_variable(s) => {
            out.insert(at, s.clone());
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, at.index(i), out);
            }
        }
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                walk(value, at.child(&key.name), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_by_document_and_path_as_written() {
        let d = of_text(
            "id: a\nserver:\n  headers:\n    X-Key: ${K}\n    Auth: Bearer ${T}\n    Lit: $${NOT}\n---\nid: b\nname: plain\n",
        );
        assert_eq!(d.len(), 1, "the second document declares nothing");
        let first = &d[&1];
        assert_eq!(
            first.get(&Pointer::parse("/server/headers/X-Key").expect("p")),
            Some(&"${K}".to_string())
        );
        assert_eq!(
            first.get(&Pointer::parse("/server/headers/Auth").expect("p")),
            Some(&"Bearer ${T}".to_string())
        );
        assert_eq!(first.len(), 2, "a literal $${{ is no variable");
    }
}
