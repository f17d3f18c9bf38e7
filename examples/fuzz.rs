//! Bounded-time fuzzing of the parts that read untrusted input, on the stable
//! toolchain (`cargo fuzz` needs nightly, which this project's machines do not have):
//!
//! - the desired-YAML loader (`desired::load_text`: YAML syntax, schema validation,
//!   `${VAR}` interpolation, source lines), with inputs mutated from `fuzz/corpus/`;
//! - normalize + diff + the unified diff text, on what the loader accepted, on
//!   mutated JSON, and on random JSON documents.
//!
//! The property is "no panic, on any input". A panicking input is saved under
//! `fuzz/crashes/` and the run exits 1. Not part of `cargo test`.
//!
//! ```sh
//! cargo run --release --example fuzz -- --seconds 60 [--seed N]
//! ```

#[path = "support/fuzz_args.rs"]
mod fuzz_args;

use serde_json::{Map, Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vapi_drift::audit::compare;
use vapi_drift::desired::{IdRule, load_text};
use vapi_drift::diff::{differences, unified};
use vapi_drift::ignore::IgnoreSet;
use vapi_drift::normalize::normalize;

/// Pieces of YAML syntax (and of this project's own syntax) spliced into inputs.
const TOKENS: &[&str] = &[
    "---\n",
    "...\n",
    ": ",
    "- ",
    "\n  ",
    "\n    - ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!str ",
    "!!binary ",
    "? ",
    "|\n  ",
    ">-\n  ",
    "${",
    "${X}",
    "$${",
    "}",
    "null",
    "~",
    "yes",
    "0755",
    "0x1F",
    "1e400",
    "-.inf",
    ".nan",
    "\t",
    "\u{feff}",
    "\u{0}",
    "é",
    "hooks:\n  - on: call.ringing\n    do: [{type: say, exact: x}]\n",
    "server: {url: 'HTTP://A.b:80/x', headers: {Authorization: Bearer ${T}}}\n",
    "fallbackDestination: {type: sip, sipUri: SIP:A@B, sipHeaders: {X: y}}\n",
    "provider: twilio\n",
    "provider: vapi\n",
    "id: ",
    "number: +1 (415) 555-0100\n",
];

struct Rng(fastrand::Rng);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.0.usize(..n) }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(6) {
        let len = out.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                out.insert(i, rng.0.u8(..));
            }
            2 if len > 0 => {
                let start = rng.below(len);
                let end = (start + rng.below(32) + 1).min(len);
                out.drain(start..end);
            }
            3 if len > 0 => {
                let start = rng.below(len);
                let end = (start + rng.below(64) + 1).min(len);
                let piece = out[start..end].to_vec();
                let at = rng.below(out.len() + 1);
                out.splice(at..at, piece);
            }
            4 | 5 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let at = rng.below(len + 1);
                out.splice(at..at, token.iter().copied());
            }
            6 => {
                // Splice: our head, another seed's tail.
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            _ if len > 0 => {
                // Replace a digit run with an extreme number.
                let i = rng.below(len);
                let extreme =
                    ["0", "-1", "99999999999999999999", "1.5", "1e308", "-0"][rng.below(6)];
                out.splice(i..(i + 1).min(len), extreme.bytes());
            }
            _ => {}
        }
    }
    out.truncate(64 * 1024);
    out
}

fn random_json(rng: &mut Rng, depth: u32) -> Value {
    let keys = [
        "provider",
        "server",
        "headers",
        "hooks",
        "on",
        "do",
        "filters",
        "oneOf",
        "startsWith",
        "fallbackDestination",
        "transferPlan",
        "sipHeaders",
        "sipUri",
        "number",
        "url",
        "timeoutSeconds",
        "backoffPlan",
        "excludedStatusCodes",
        "encryptedPaths",
        "type",
        "numberE164CheckEnabled",
        "twilioAuthToken",
        "authentication",
        "password",
        "id",
        "x",
    ];
    match if depth == 0 {
        rng.below(5)
    } else {
        rng.below(8)
    } {
        0 => Value::Null,
        1 => json!(rng.chance(2)),
        2 => json!(rng.0.i64(..)),
        3 => json!([20.0, 0.5, -0.0, 1e300, 60.0][rng.below(5)]),
        4 => json!(
            [
                "vapi",
                "twilio",
                "HTTPS://X.Y:443/a",
                "+1 (415) 555-0100",
                "sip:A@B",
                "call.ringing",
                "****",
                ""
            ][rng.below(8)]
        ),
        5 | 6 => {
            let mut m = Map::new();
            for _ in 0..rng.below(5) {
                m.insert(
                    keys[rng.below(keys.len())].into(),
                    random_json(rng, depth - 1),
                );
            }
            Value::Object(m)
        }
        _ => Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
    }
}

fn env(name: &str) -> Option<String> {
    (name.len() < 4).then(|| format!("value-of-{name}"))
}

/// One input through every entry point; panics propagate to the caller.
fn exercise(text: &str, other: &Value, rng: &mut Rng) {
    for rule in [IdRule::Required, IdRule::Optional] {
        let mut numbers = Vec::new();
        let mut errors = Vec::new();
        load_text("fuzz.yaml", text, &env, rule, &mut numbers, &mut errors);
        for e in &errors {
            let _ = e.to_string();
        }
        for d in numbers {
            let live = d.doc().value();
            let _ = compare(d.clone(), &live, &IgnoreSet::default());
            let _ = compare(d, other, &IgnoreSet::default());
        }
    }
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        check_pair(&v, other);
    }
    let a = random_json(rng, 4);
    let b = random_json(rng, 4);
    check_pair(&a, &b);
}

fn check_pair(a: &Value, b: &Value) {
    let (na, nb) = (normalize(a), normalize(b));
    assert_eq!(normalize(&na), na, "normalize is idempotent");
    assert!(differences(&na, &na).is_empty(), "diff(x, x) is empty");
    let _ = differences(&na, &nb);
    let _ = unified(&na, &nb);
}

fn load_corpus(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("corpus file reads");
            (p, bytes)
        })
        .collect()
}

fn main() {
    let (seconds, seed) = fuzz_args::seconds_and_seed();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = load_corpus(&root.join("corpus"));
    assert!(!corpus.is_empty(), "fuzz/corpus is empty");
    let seeds: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    let docs: Vec<Value> = seeds
        .iter()
        .filter_map(|b| serde_json::from_slice(b).ok())
        .collect();
    let mut rng = Rng(fastrand::Rng::with_seed(seed));

    // Panics are counted and saved, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (mut runs, mut accepted, mut crashes) = (0_u64, 0_u64, 0_u64);
    let mut slowest = (Duration::ZERO, Vec::new());
    // Every seed once as it is, then mutations.
    let mut queue: Vec<Vec<u8>> = seeds.clone();
    while Instant::now() < deadline {
        let input = queue.pop().unwrap_or_else(|| {
            let base = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, base, &seeds)
        });
        let text = String::from_utf8_lossy(&input).into_owned();
        let other = if docs.is_empty() {
            json!({})
        } else {
            docs[rng.below(docs.len())].clone()
        };
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut numbers = Vec::new();
            let mut errors = Vec::new();
            load_text(
                "fuzz.yaml",
                &text,
                &env,
                IdRule::Optional,
                &mut numbers,
                &mut errors,
            );
            let ok = !numbers.is_empty();
            exercise(&text, &other, &mut Rng(fastrand::Rng::with_seed(runs)));
            ok
        }));
        let took = started.elapsed();
        if took > slowest.0 {
            slowest = (took, input.clone());
        }
        runs += 1;
        match outcome {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(panic) => {
                crashes += 1;
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                let dir = root.join("crashes");
                std::fs::create_dir_all(&dir).expect("mkdir fuzz/crashes");
                let path = dir.join(format!("crash-{seed}-{runs}.yaml"));
                std::fs::write(&path, &input).expect("save the crashing input");
                eprintln!("PANIC ({message}) on {}", path.display());
            }
        }
    }
    println!(
        "fuzz: seed {seed}: {runs} inputs in {seconds} s ({accepted} loaded as valid desired numbers), \
         {crashes} panics; slowest input {:.1} ms ({} bytes)",
        slowest.0.as_secs_f64() * 1000.0,
        slowest.1.len()
    );
    if crashes > 0 {
        std::process::exit(1);
    }
}
