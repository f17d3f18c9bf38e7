//! The proof that the fast path changes nothing: both readings of the same text, held
//! equal (`Result<Vec<Node>, SyntaxError>`, positions included) over every YAML text in
//! the repository, every short plain scalar, and a generated corpus of tricky pieces
//! and their mutations. Each test also checks that the fast path was taken where it
//! should be, so that none can pass by always falling back.
//!
//! `PROPTEST_CASES` sets the generated case count (default 256).

use super::{fast, options, parse_documents, parse_documents_reference};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Both readings agree on `text`; whether the fast path answered.
fn agree(text: &str) -> bool {
    let reference = parse_documents_reference(text);
    let fast = fast::parse(text, &options());
    if let Some(docs) = &fast {
        assert_eq!(Ok(docs.clone()), reference, "fast path differs on {text:?}");
    }
    assert_eq!(parse_documents(text), reference, "{text:?}");
    fast.is_some()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// The YAML texts of the repository: fixtures, examples, desired files, the fuzz
/// corpus, CI files, and the ```yaml blocks of the documentation.
fn repository_texts() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(ext, "yaml" | "yml" | "json") {
                out.push((path.clone(), std::fs::read_to_string(&path).expect("utf-8")));
            } else if ext == "md" {
                let text = std::fs::read_to_string(&path).expect("utf-8");
                for (i, block) in text.split("```yaml\n").skip(1).enumerate() {
                    let body = block.split("```").next().unwrap_or("");
                    out.push((path.with_extension(format!("md.{i}")), body.to_string()));
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        "tests/fixtures",
        "examples",
        "docs",
        "desired",
        "fuzz/corpus",
        ".github",
        "action",
    ] {
        walk(&root.join(dir), &mut out);
    }
    for file in ["README.md", "BENCHMARKS.md", "action.yml"] {
        let path = root.join(file);
        if path.is_file() {
            let text = std::fs::read_to_string(&path).expect("utf-8");
            if file.ends_with(".md") {
                for (i, block) in text.split("```yaml\n").skip(1).enumerate() {
                    let body = block.split("```").next().unwrap_or("");
                    out.push((path.with_extension(format!("md.{i}")), body.to_string()));
                }
            } else {
                out.push((path, text));
            }
        }
    }
    out
}

#[test]
fn every_yaml_text_in_the_repository_reads_the_same() {
    let texts = repository_texts();
    assert!(texts.len() >= 30, "found {} texts", texts.len());
    let mut fast = 0;
    for (path, text) in &texts {
        let took = agree(text);
        fast += usize::from(took);
        let name = path.to_string_lossy();
        if name.contains("/desired/") || name.contains("/tests/fixtures/") {
            assert!(took, "the fast path declined {name}");
        }
        // The same texts in the shapes a file can come in.
        agree(&text.replace('\n', "\r\n"));
        agree(&format!("\u{feff}{text}"));
        agree(&format!("{text}\n---\n{text}"));
    }
    assert!(
        fast * 2 > texts.len(),
        "fast path for {fast} of {}",
        texts.len()
    );
}

/// A document like the benchmark's desired files (`bench_e2e`), the hot case.
const REALISTIC: &str = "id: 00000000-0000-4000-8000-000000000000
smsEnabled: true
name: Line 0
assistantId: 3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7
provider: twilio
twilioAccountSid: AC0123
number: \"+14150000000\"
server:
  url: https://hooks.example.com/vapi
  timeoutSeconds: 20
  headers:
    Authorization: Bearer synthetic-webhook-token-7f3a9c2e41
    X-Tenant: acme
fallbackDestination:
  type: number
  number: \"+14155550100\"
  transferPlan:
    mode: blind-transfer
---
id: 00000000-0000-4000-8000-000000000001
credentialId: 6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918
name: Line 1
provider: vonage
hooks:
  - on: call.ringing
    do: [{type: say, exact: 'hello'}]
";

#[test]
fn the_fast_path_reads_a_realistic_desired_file() {
    assert!(agree(REALISTIC));
    let bench = Path::new("/tmp/desired/desired-10000/numbers-0000.yaml");
    if let Ok(text) = std::fs::read_to_string(bench) {
        assert!(agree(&text), "fast path declined {}", bench.display());
    }
}

/// Plain scalar spellings: every kind serde-saphyr resolves, and near misses.
const SPELLINGS: &[&str] = &[
    "0x1F",
    "0o17",
    "0b101",
    "0X1F",
    "0O17",
    "0B1",
    "0x",
    "0xG",
    "1e3",
    "1E+3",
    "1e-3",
    "1.5e3",
    "1.e3",
    ".e3",
    "0e0",
    "12e-",
    "1e",
    "e1",
    "+1",
    "+0",
    "-0",
    "-1",
    "-01",
    "-1.5",
    "-0.0",
    ".5",
    "1.",
    "0.",
    "0.0",
    "00",
    "007",
    "0755",
    "0.25",
    "20.5",
    "20.0",
    "1..2",
    "1.2.3",
    "1_000",
    "1__0",
    "_1",
    "1_",
    "12:30",
    "1-2",
    "1+2",
    "2026-01-01",
    "42",
    "0",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1e400",
    "-1e400",
    "1000000000000000000000000000000000.5",
    ".inf",
    "-.inf",
    "+.inf",
    ".Inf",
    "-.INF",
    ".NaN",
    ".nan",
    "+.nan",
    "-.NAN",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "Infinity",
    "infinity",
    "~",
    "~x",
    "null",
    "Null",
    "NULL",
    "nULL",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "False",
    "FALSE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "abc",
    "a b",
    "héllo",
    "日本",
    "x:y",
    "a#b",
    "-",
    "--",
    "-a",
    "<<",
    "3e4f5a6b-7c8d",
    "00000000-0000-4000-8000-000000000000",
    "+14155550100",
    "6f5e4d3c-2b1a",
    "1a",
    "1x",
    "1 2",
    "1\u{a0}",
    "\u{feff}1",
    "0x_1",
    "1e3x",
    "1.5.",
    "1,2",
];

const QUOTED: &[&str] = &[
    "'single'",
    "\"quoted\"",
    "\"a\\tb\"",
    "'it''s'",
    "\"\"",
    "''",
    "\"1\"",
    "'true'",
    "\"null\"",
    "\"\\u00e9\"",
    "'~'",
    "\"<<\"",
    "'0x1F'",
    "\"multi\n  line\"",
];

#[test]
fn every_scalar_spelling_reads_the_same_in_every_place() {
    let mut fast = 0;
    let mut total = 0;
    for s in SPELLINGS.iter().chain(QUOTED) {
        for text in [
            format!("k: {s}\n"),
            format!("- {s}\n"),
            format!("{s}\n"),
            format!("{s}: v\n"),
            format!("[{s}]\n"),
            format!("{{{s}: {s}}}\n"),
            format!("{{k: {s}}}\n"),
            format!("a:\n  - {s}\n  - x: {s}\n    {s}: y\n"),
            format!("k: {s} # comment\n"),
            format!("--- {s}\n...\n--- {s}\n"),
            format!("k:\n  {s}\n"),
            format!("{s}: 1\n{s}: 2\n"),
        ] {
            total += 1;
            fast += usize::from(agree(&text));
        }
    }
    assert!(fast * 3 > total, "fast path for {fast} of {total}");
}

#[test]
fn every_short_plain_scalar_reads_the_same() {
    const ALPHABET: &[u8] = b"019+-._eExXoObB:~aTn ";
    let mut fast = 0;
    let mut words = vec![String::new()];
    for _ in 0..3 {
        let mut longer = Vec::new();
        for w in &words {
            for &c in ALPHABET {
                longer.push(format!("{w}{}", c as char));
            }
        }
        for w in &longer {
            fast += usize::from(agree(&format!("k: {w}\n- {w}\n")));
            fast += usize::from(agree(&format!("k: {w}\n{w}: v\n")));
        }
        words = longer;
    }
    assert!(fast > 1_000, "fast path for {fast}");
}

#[test]
fn empty_and_null_documents_are_skipped_alike() {
    for text in [
        "",
        "\n",
        "# c\n",
        "---\n",
        "---\n...\n",
        "--- ~\n",
        "null\n---\nk: v\n",
        "---\n---\n",
        "...\n",
        "k: v\n...\n",
        "--- |\n  x\n",
        "%YAML 1.2\n---\nk: v\n",
        "\u{feff}",
        "'null'\n",
        "- \n-\n",
        "k:\n",
        "? k\n",
        "? \n: v\n",
        "{}",
        "[]",
        "[a, [b, [c]]]",
        "{a: {b: {}}}",
    ] {
        agree(text);
    }
    assert!(agree("k:\n"), "an empty value");
    assert!(agree("---\n...\n---\nk: v\n"));
}

#[test]
fn deep_nesting_falls_back_without_overflowing() {
    // The reference path recurses once per level (up to its budget's 64), which in a
    // debug build takes more than a test thread's 2 MiB; the fast path does not recurse.
    let run = || {
        for depth in [
            fast::MAX_DEPTH - 1,
            fast::MAX_DEPTH,
            fast::MAX_DEPTH + 1,
            70,
            300,
        ] {
            let flow = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let taken = agree(&flow);
            assert_eq!(taken, depth <= fast::MAX_DEPTH, "depth {depth}");
            let mut block = String::new();
            for i in 0..depth.min(100) {
                block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
            }
            assert_eq!(
                agree(&block),
                depth <= fast::MAX_DEPTH,
                "block depth {depth}"
            );
        }
        // Hostile depth the parser itself refuses: an error either way, never a crash.
        assert!(fast::parse(&"[".repeat(100_000), &options()).is_none());
        assert!(parse_documents(&"[".repeat(100_000)).is_err());
    };
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(run)
        .expect("a thread")
        .join()
        .expect("no panic");
}

/// A generated document, before rendering.
#[derive(Clone, Debug)]
enum Gen {
    Scalar(String),
    /// `|` or `>` and its lines.
    Block(char, Vec<String>),
    Flow(String),
    Map(Vec<(String, Gen)>),
    Seq(Vec<Gen>),
}

fn scalar_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(SPELLINGS).prop_map(str::to_string),
        2 => prop::sample::select(QUOTED).prop_map(str::to_string),
        2 => "[a-zA-Z][a-zA-Z0-9 ._/-]{0,10}[a-z]",
        1 => "[0-9][0-9a-f.eE_+-]{0,6}",
        1 => "-?[1-9][0-9]{0,19}",
        1 => "[0-9]{1,3}\\.[0-9]{1,3}",
        1 => "\"[a-z\\\\ tn\"u0-9]{0,6}\"",
        1 => "'[a-z' ]{0,6}'",
    ]
    .boxed()
}

fn key_text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(&["name", "id", "a", "b", "url", "X-Tenant", "type"][..])
            .prop_map(str::to_string),
        2 => prop::sample::select(SPELLINGS).prop_map(str::to_string),
        1 => prop::sample::select(QUOTED).prop_map(str::to_string),
        1 => prop::sample::select(&["\"a\"", "'a'", "\"\"", "<<", "? a", "日本", "a b"][..])
            .prop_map(str::to_string),
        1 => prop::sample::select(&["0X1F", "0X1f", "0x1F", "31", "0B1", "1", "0O1", "+1"][..])
            .prop_map(str::to_string),
    ]
    .boxed()
}

fn flow_text() -> BoxedStrategy<String> {
    let item = scalar_text().prop_filter("no newline in flow", |s| !s.contains('\n'));
    prop_oneof![
        prop::collection::vec(item.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        prop::collection::vec((key_text(), item), 0..4).prop_map(|v| {
            let parts: Vec<String> = v.iter().map(|(k, s)| format!("{k}: {s}")).collect();
            format!("{{{}}}", parts.join(", "))
        }),
    ]
    .boxed()
}

fn gen_node() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        6 => scalar_text().prop_map(Gen::Scalar),
        1 => (prop::sample::select(&['|', '>'][..]), prop::collection::vec("[a-z 0-9#:]{0,8}", 1..4))
            .prop_map(|(c, lines)| Gen::Block(c, lines)),
        1 => flow_text().prop_map(Gen::Flow),
        1 => Just(Gen::Scalar(String::new())),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec((key_text(), inner.clone()), 0..6).prop_map(Gen::Map),
            prop::collection::vec(inner, 0..5).prop_map(Gen::Seq),
        ]
    })
}

/// The node after `key:` or `-` at `indent`, children one step deeper.
fn render(node: &Gen, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent + 2);
    match node {
        Gen::Scalar(s) if s.is_empty() => out.push('\n'),
        Gen::Scalar(s) | Gen::Flow(s) => {
            out.push(' ');
            out.push_str(&s.replace('\n', &format!("\n{pad}")));
            out.push('\n');
        }
        Gen::Block(c, lines) => {
            out.push_str(&format!(" {c}\n"));
            for line in lines {
                out.push_str(&format!("{pad}{line}\n"));
            }
        }
        Gen::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Gen::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Gen::Map(entries) => {
            out.push('\n');
            for (k, v) in entries {
                out.push_str(&format!("{pad}{k}:"));
                render(v, indent + 2, out);
            }
        }
        Gen::Seq(items) => {
            out.push('\n');
            for v in items {
                out.push_str(&format!("{pad}-"));
                render(v, indent + 2, out);
            }
        }
    }
}

fn render_document(node: &Gen) -> String {
    let mut out = String::new();
    match node {
        Gen::Map(entries) if !entries.is_empty() => {
            for (k, v) in entries {
                out.push_str(&format!("{k}:"));
                render(v, 0, &mut out);
            }
        }
        other => {
            out.push_str("---");
            render(other, 0, &mut out);
        }
    }
    out
}

/// Small damage to a rendered stream: what a hand edit or a bad merge leaves.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, &'static str),
    DuplicateLine(usize),
    TabsForSpaces,
    Crlf,
    Bom,
    Comment(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..4usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (
            any::<usize>(),
            prop::sample::select(
                &[
                    " ", "\n", ":", "- ", "#", "&a ", "*a", "!!str ", "!x ", "<<: ", "---\n",
                    "...\n", "\t", "'", "\"", "[", "{", ",", "?", "|", ">", "\u{feff}", "%", "@",
                ][..]
            )
        )
            .prop_map(|(a, s)| Mutation::Insert(a, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        Just(Mutation::TabsForSpaces),
        Just(Mutation::Crlf),
        Just(Mutation::Bom),
        any::<usize>().prop_map(Mutation::Comment),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut i = if text.is_empty() {
        0
    } else {
        at % (text.len() + 1)
    };
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(text: &str, m: &Mutation) -> String {
    let mut out = text.to_string();
    match m {
        Mutation::Delete(at, n) => {
            let a = boundary(&out, *at);
            let b = boundary(&out, a + n);
            if b > a {
                out.replace_range(a..b, "");
            }
        }
        Mutation::Insert(at, s) => out.insert_str(boundary(&out, *at), s),
        Mutation::DuplicateLine(at) => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let i = at % lines.len();
                let mut v = lines.clone();
                v.insert(i, lines[i]);
                out = v.concat();
            }
        }
        Mutation::TabsForSpaces => out = out.replacen("  ", "\t", 2),
        Mutation::Crlf => out = out.replace('\n', "\r\n"),
        Mutation::Bom => out.insert(0, '\u{feff}'),
        Mutation::Comment(at) => {
            let i = boundary(&out, *at);
            let line_end = out[i..].find('\n').map_or(out.len(), |j| i + j);
            out.insert_str(line_end, " # note: x");
        }
    }
    out
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["---\n", "...\n---\n", "--- # c\n", "\n---\n", "# c\n---\n"][..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn generated_streams_read_the_same(
        docs in prop::collection::vec(gen_node(), 1..4),
        seps in prop::collection::vec(separator(), 3),
        mutations in prop::collection::vec(mutation(), 0..3),
    ) {
        let mut text = String::new();
        for (i, doc) in docs.iter().enumerate() {
            if i > 0 {
                text.push_str(seps[i % seps.len()]);
            }
            text.push_str(&render_document(doc));
        }
        agree(&text);
        for m in &mutations {
            text = mutate(&text, m);
            agree(&text);
        }
    }

    /// Plain documents (keys and values the fast path knows) take the fast path.
    #[test]
    fn plain_documents_take_the_fast_path(
        entries in prop::collection::vec(
            (
                "[a-zA-Z][a-zA-Z0-9_-]{0,8}".prop_filter("a plain string key", |k| {
                    !matches!(k.as_str(), "true" | "True" | "TRUE" | "false" | "False"
                        | "FALSE" | "null" | "Null" | "NULL")
                }),
                prop_oneof![
                    "[a-zA-Z][a-zA-Z0-9 ._/-]{0,12}[a-z]",
                    "https://[a-z]{1,8}\\.com/[a-z]{0,5}",
                    "-?[1-9][0-9]{0,12}",
                    "(0|[1-9][0-9]{0,2})\\.[0-9]{1,3}",
                    "\"[+0-9a-z ]{0,8}\"",
                    Just("true".to_string()),
                    Just("~".to_string()),
                    Just(String::new()),
                    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}",
                ],
                0..3usize,
            ),
            1..12,
        ),
        crlf in any::<bool>(),
    ) {
        let mut text = String::new();
        let mut seen = std::collections::HashSet::new();
        for (k, v, nest) in &entries {
            if !seen.insert(k.clone()) {
                continue;
            }
            match nest {
                0 => text.push_str(&format!("{k}: {v}\n")),
                1 => text.push_str(&format!("{k}:\n  - {v}\n  - [{v}]\n")),
                _ => text.push_str(&format!("{k}:\n  inner: {v}\n  other: {{x: {v}}}\n")),
            }
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        prop_assert!(agree(&text), "declined {:?}", text);
        let twice = format!("{text}---\n{text}");
        prop_assert!(agree(&twice), "declined {:?}", twice);
    }
}
