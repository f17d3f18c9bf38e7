//! The house rules, checked: the product's modules import one another one way
//! only (no cycle), the product crate holds no test double and links no web
//! server, and no file in `src/` grows past ~800 lines without saying why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const LONG_FILE: usize = 800;
/// What a long file says at its top to explain itself.
const LONG_FILE_REASON: &str = "//! Long file:";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/vapi/client.rs` -> `vapi::client`; `src/report/mod.rs` -> `report`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file
        .strip_prefix(src)
        .expect("under src/")
        .with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    parts.join("::")
}

/// The code of a file without its `#[cfg(test)] mod … { … }` blocks (tests may
/// reach anywhere). Other `#[cfg(test)]` items are kept: counting their imports
/// can only find a cycle that is not there, never hide one.
fn product_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        let after = &rest[i + "#[cfg(test)]".len()..];
        let item = after.trim_start();
        if !item.starts_with("mod ") {
            out.push_str(&rest[..i + "#[cfg(test)]".len()]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..i]);
        // Skip the module: to the brace that closes its first one.
        let Some(open) = item.find('{') else {
            rest = "";
            break;
        };
        let mut depth = 0usize;
        let mut end = item.len();
        for (j, c) in item[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The paths a `crate::` reference names: `crate::a::b` is one; a group,
/// `crate::{a, b::c}`, is one per member.
fn crate_paths(after: &str) -> Vec<String> {
    if let Some(group) = after.strip_prefix('{') {
        let mut depth = 1usize;
        let mut members = Vec::new();
        let mut current = String::new();
        for c in group.chars() {
            match c {
                '{' => {
                    depth += 1;
                    current.push(c);
                }
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    current.push(c);
                }
                ',' if depth == 1 => members.push(std::mem::take(&mut current)),
                c => current.push(c),
            }
        }
        members.push(current);
        return members
            .into_iter()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
    }
    vec![after.to_string()]
}

/// The modules a file names through `crate::a` or `crate::a::b` (when `a::b` is a
/// module of its own) and `super::x`.
fn imports(module: &str, code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let idents = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        for member in crate_paths(&code[i + "crate::".len()..]) {
            let path = idents(&member);
            let first = path.first().cloned().unwrap_or_default();
            let two = path.get(1).map(|second| format!("{first}::{second}"));
            match two {
                Some(two) if modules.contains(&two) => out.insert(two),
                _ => out.insert(first),
            };
        }
    }
    let parent = module.rsplit_once("::").map(|(p, _)| p.to_string());
    for (i, _) in code.match_indices("super::") {
        let path = idents(&code[i + "super::".len()..]);
        if let Some(name) = path.first() {
            let target = match &parent {
                Some(p) => format!("{p}::{name}"),
                None => name.clone(),
            };
            if modules.contains(&target) {
                out.insert(target);
            } else if let Some(p) = &parent {
                out.insert(p.clone());
            }
        }
    }
    out.remove(module);
    out.retain(|m| modules.contains(m));
    out
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(&src, f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    files
        .iter()
        .map(|f| (module_of(&src, f), f))
        .filter(|(m, _)| modules.contains(m))
        .map(|(m, f)| {
            let text = std::fs::read_to_string(f).expect("a source file is readable");
            let deps = imports(&m, &product_code(&text), &modules);
            (m, deps)
        })
        .collect()
}

/// A cycle through `start`, if there is one (depth-first).
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        at: &str,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(graph, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = module_graph();
    assert!(graph.len() > 20, "the walk found the modules: {graph:?}");
    // The walk sees real edges: audit reads the model, reports read the model.
    assert!(graph["audit"].contains("model"));
    assert!(graph["report::text"].contains("model"));
    let cycles: Vec<Vec<String>> = graph.keys().filter_map(|m| cycle_from(&graph, m)).collect();
    assert!(cycles.is_empty(), "module cycles: {cycles:?}");
}

#[test]
fn the_cycle_check_finds_a_cycle_when_there_is_one() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    graph.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycle_from(&graph, "a"), Some(vec!["a".into(), "b".into()]));
    assert_eq!(cycle_from(&graph, "c"), None);
}

#[test]
fn grouped_imports_and_code_after_a_test_helper_are_seen() {
    let modules: BTreeSet<String> = ["audit", "explain", "vapi", "vapi::list", "model"]
        .into_iter()
        .map(String::from)
        .collect();
    let code = "use crate::{audit, vapi::list::Listed};\n#[cfg(test)]\nfn helper() {}\nuse crate::model::Audit;\n#[cfg(test)]\nmod tests {\n    use crate::explain;\n}\n";
    let seen = imports("run", &product_code(code), &modules);
    assert_eq!(
        seen,
        BTreeSet::from(["audit".into(), "vapi::list".into(), "model".into()])
    );
}

#[test]
fn the_model_is_a_leaf_that_no_stage_downstream_of_it_feeds() {
    let graph = module_graph();
    for upstream in [
        "desired",
        "diff",
        "ignore",
        "pointer",
        "normalize",
        "secret",
        "schema",
    ] {
        assert!(
            !graph[upstream].contains("model"),
            "{upstream} is upstream of the model but imports it"
        );
    }
    for stage in ["audit", "inventory", "report", "run", "cli"] {
        assert!(
            !graph["model"].contains(stage),
            "the model imports {stage}, a stage that reads it"
        );
    }
}

#[test]
fn the_product_links_no_web_server_and_holds_no_test_double() {
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).expect("Cargo.toml");
    let deps = manifest
        .split("\n[dependencies]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .expect("a [dependencies] table");
    for server in ["axum", "hyper-util", "tower", "warp", "wiremock"] {
        assert!(
            !deps.lines().any(|l| l.trim_start().starts_with(server)),
            "{server} is a dependency of the product"
        );
    }
    // The stand-in is optional: only the demo feature links it.
    let standin = deps
        .lines()
        .find(|l| l.trim_start().starts_with("vapi-standin"))
        .expect("the demo's stand-in dependency");
    assert!(standin.contains("optional = true"), "{standin}");
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("source");
        assert!(
            !text.contains("axum::"),
            "{} uses a web server",
            f.display()
        );
    }
}

#[test]
fn no_source_file_grows_long_without_saying_why() {
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let unexplained: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).expect("source");
            let lines = text.lines().count();
            (lines > LONG_FILE && !text.contains(LONG_FILE_REASON))
                .then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "files over {LONG_FILE} lines with no `{LONG_FILE_REASON}` line at the top: {unexplained:?}"
    );
}
