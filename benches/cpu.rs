//! CPU cost per number of what vapi-drift does besides waiting for the API:
//! load (YAML parse, schema validation, `${VAR}`) + normalize both sides + diff.
//! Target: under 50 µs per number.
//!
//! Measured in CPU time of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`), not
//! wall time: the target is stated in CPU, and on a machine shared with other
//! builds wall time mostly measures the neighbours.
//!
//! `cargo bench --bench cpu` (criterion; results under target/criterion).

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use std::hint::black_box;
use vapi_drift::audit::compare;
use vapi_drift::desired::{DesiredNumber, IdRule, load_text};
use vapi_drift::ignore::IgnoreSet;
use vapi_standin::org::synthetic_numbers;

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
    load_text(
        file,
        text,
        &env,
        IdRule::Required,
        &mut numbers,
        &mut errors,
    );
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

/// Nanoseconds of CPU time used by the calling thread.
struct ThreadCpu;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out-pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e-3, "µs cpu")
        } else {
            (1e-6, "ms cpu")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }
    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let per = match t {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n,
            _ => 1,
        } as f64;
        // Shown as CPU time per element: the unit of the target.
        values.iter_mut().for_each(|v| *v = *v / per / 1e3);
        "µs cpu/number"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn bench(c: &mut Criterion<ThreadCpu>) {
    // No ignore rules: the comparison as a plain `check` makes it.
    let none = IgnoreSet::default();
    let mut group = c.benchmark_group("load+normalize+diff");

    // One rich number (Twilio: hooks, server headers, fallback with transfer plan).
    let live = example("twilio");
    let text = desired_yaml(&live);
    group.throughput(Throughput::Elements(1));
    group.bench_function("twilio example, in sync", |b| {
        b.iter(|| {
            let numbers = load("d.yaml", black_box(&text));
            for d in numbers {
                black_box(compare(d, black_box(&live), &none));
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
                black_box(compare(d, black_box(&drifted), &none));
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
                black_box(compare(d, live, &none));
            }
        })
    });
    group.finish();

    // The two halves on their own, to see where the time goes.
    let mut parts = c.benchmark_group("parts");
    parts.throughput(Throughput::Elements(1));
    parts.bench_function("load: twilio example", |b| {
        b.iter(|| black_box(load("d.yaml", black_box(&text))))
    });
    let loaded = load("d.yaml", &text).remove(0);
    parts.bench_function("normalize+diff: twilio example, in sync", |b| {
        b.iter_batched(
            || loaded.clone(),
            |d| black_box(compare(d, black_box(&live), &none)),
            BatchSize::SmallInput,
        )
    });
    parts.throughput(Throughput::Elements(lives.len() as u64));
    parts.bench_function("load: 100 synthetic numbers in one file", |b| {
        b.iter(|| black_box(load("d.yaml", black_box(&file))))
    });
    let loaded = load("d.yaml", &file);
    parts.bench_function("normalize+diff: 100 synthetic numbers", |b| {
        b.iter_batched(
            || loaded.clone(),
            |numbers| {
                for (d, live) in numbers.into_iter().zip(&lives) {
                    black_box(compare(d, live, &none));
                }
            },
            BatchSize::SmallInput,
        )
    });
    parts.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = bench
}
criterion_main!(benches);
