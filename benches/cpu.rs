//! CPU cost per number of what vapi-drift does besides waiting for the API:
//! load (YAML parse, schema validation, `${VAR}`) + normalize both sides + diff.
//! Target: under 50 µs per number.
//!
//! `cargo bench --bench cpu` (criterion; results under target/criterion).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use std::hint::black_box;
use vapi_drift::audit::compare;
use vapi_drift::desired::{DesiredNumber, IdRule, load_text};
use vapi_drift::vapi::demo::synthetic_numbers;

const SERVER_MANAGED: [&str; 4] = ["orgId", "createdAt", "updatedAt", "status"];

/// The desired YAML a user would keep for this live number.
fn desired_yaml(live: &Value) -> String {
    let mut doc = live.clone();
    let obj = doc.as_object_mut().expect("a phone number is an object");
    for key in SERVER_MANAGED {
        obj.remove(key);
    }
    vapi_drift::yaml::render(&doc)
}

fn env(_: &str) -> Option<String> {
    Some("bench-secret".into())
}

fn load(file: &str, text: &str) -> Vec<DesiredNumber> {
    let mut numbers = Vec::new();
    let mut errors = Vec::new();
    load_text(file, text, &env, IdRule::Required, &mut numbers, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    numbers
}

fn example(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/examples/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("json")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("load+normalize+diff");

    // One rich number (Twilio: hooks, server headers, fallback with transfer plan).
    let live = example("twilio");
    let text = desired_yaml(&live);
    group.throughput(Throughput::Elements(1));
    group.bench_function("twilio example, in sync", |b| {
        b.iter(|| {
            let numbers = load("d.yaml", black_box(&text));
            for d in numbers {
                black_box(compare(d, black_box(&live)));
            }
        })
    });
    let mut drifted = live.clone();
    drifted["name"] = Value::String("renamed by hand".into());
    drifted["fallbackDestination"]["number"] = Value::String("+14155550199".into());
    group.bench_function("twilio example, drifted (diff text too)", |b| {
        b.iter(|| {
            let numbers = load("d.yaml", black_box(&text));
            for d in numbers {
                black_box(compare(d, black_box(&drifted)));
            }
        })
    });

    // A file of 100 synthetic numbers (the benchmark org), per number.
    let lives = synthetic_numbers(100);
    let file: String = lives
        .iter()
        .map(desired_yaml)
        .collect::<Vec<_>>()
        .join("---\n");
    group.throughput(Throughput::Elements(lives.len() as u64));
    group.bench_function("100 synthetic numbers in one file", |b| {
        b.iter(|| {
            let numbers = load("d.yaml", black_box(&file));
            for (d, live) in numbers.into_iter().zip(&lives) {
                black_box(compare(d, live));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
