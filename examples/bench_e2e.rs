//! End-to-end benchmark: the real release binary against the API stand-in on
//! loopback with injected latency. For each N (numbers) and C (concurrency): wall
//! time (median of the runs, min–max beside it), the ideal N·L/C, their ratio,
//! requests the stand-in received, the binary's peak RSS and its CPU time (user +
//! system) per number, both as GNU time (`/usr/bin/time`) reports them.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example bench_e2e -- \
//!     --n 100,1000,10000 --concurrency 8,64 --latency-ms 20 --runs 3
//! ```
//!
//! Options: `--fetch get,list` (the routes, passed as `--fetch`; default both),
//! `--runs-large K` (runs for N >= 10,000; default: --runs), `--standin-threads T`
//! (worker threads of the stand-in's runtime; default 1: it shares the machine with
//! the audited process, as the real API would not), `--bin PATH`, `--extra "ARGS"`
//! (added to every `check`), `--desired-root DIR` (keep the generated desired files there). Prints a Markdown table on stdout, progress on stderr.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vapi_standin::org::synthetic_numbers;
use vapi_standin::{StandIn, StandInConfig};

const KEY: &str = "bench-key-not-secret";
const PER_FILE: usize = 100;

struct Opts {
    ns: Vec<usize>,
    concurrency: Vec<usize>,
    latency_ms: u64,
    runs: usize,
    runs_large: Option<usize>,
    fetch: Vec<String>,
    standin_threads: usize,
    bin: PathBuf,
    extra: Vec<String>,
    desired_root: Option<PathBuf>,
}

fn list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',')
        .map(|x| {
            x.trim()
                .replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("bad list item {x}"))
        })
        .collect()
}

fn opts() -> Opts {
    let mut o = Opts {
        ns: vec![100, 1000, 10_000],
        concurrency: vec![8, 64],
        latency_ms: 20,
        runs: 3,
        runs_large: None,
        fetch: vec!["get".into(), "list".into()],
        standin_threads: 1,
        bin: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/vapi-drift"),
        extra: Vec::new(),
        desired_root: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut v = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--n" => o.ns = list(&v()),
            "--concurrency" => o.concurrency = list(&v()),
            "--latency-ms" => o.latency_ms = v().parse().expect("ms"),
            "--runs" => o.runs = v().parse().expect("runs"),
            "--runs-large" => o.runs_large = Some(v().parse().expect("runs")),
            "--fetch" => o.fetch = list(&v()),
            "--standin-threads" => o.standin_threads = v().parse().expect("threads"),
            "--bin" => o.bin = PathBuf::from(v()),
            "--desired-root" => o.desired_root = Some(PathBuf::from(v())),
            "--extra" => o.extra = v().split_whitespace().map(str::to_string).collect(),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// The desired YAML of a live number: server-managed fields dropped.
fn desired_yaml(live: &Value) -> String {
    let mut doc = live.clone();
    let obj = doc.as_object_mut().expect("object");
    for k in ["orgId", "createdAt", "updatedAt", "status"] {
        obj.remove(k);
    }
    vapi_drift::yaml::render(&doc)
}

fn write_desired(dir: &Path, lives: &[Value]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (i, chunk) in lives.chunks(PER_FILE).enumerate() {
        let text: Vec<String> = chunk.iter().map(desired_yaml).collect();
        std::fs::write(dir.join(format!("numbers-{i:04}.yaml")), text.join("---\n"))
            .expect("write desired");
    }
}

struct Sample {
    wall: Duration,
    /// The child's CPU time, user + system (wait4's rusage).
    cpu: Duration,
    rss_kib: i64,
    requests: usize,
}

/// Runs the binary once; wall time from spawn to reaped, and its peak RSS.
// The child is reaped by wait4 (which also gives its rusage), not Child::wait.
#[allow(clippy::zombie_processes)]
fn run_once(
    o: &Opts,
    standin: &StandIn,
    desired: &Path,
    out: &Path,
    c: usize,
    fetch: &str,
) -> Sample {
    standin.reset_stats();
    let stderr_path = out.with_extension("stderr");
    // Through GNU time, which forks the binary from its own small process: the
    // peak RSS that wait4 reports for a child spawned from this process starts at
    // this process's own (Linux carries the parent's high-water mark over at
    // exec; with the stand-in and the org held here, that was 56 MiB at 10,000
    // numbers and 519 MiB at 100,000, whatever the binary used).
    let measured = out.with_extension("time");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M %U %S", "-o"])
        .arg(&measured)
        .arg(&o.bin)
        .arg("check")
        .arg(desired)
        .args(["--base-url", &standin.base_url()])
        .args(["--concurrency", &c.to_string()])
        .arg("-q")
        .arg("-o")
        .arg(format!("json={}", out.display()))
        .args(&o.extra)
        .env("VAPI_API_KEY", KEY)
        .env_remove("VAPI_BASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"));
    cmd.args(["--fetch", fetch]);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .expect("the release binary runs (cargo build --release)");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped (std::process::Child never waits on drop).
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(reaped, pid, "wait4 failed");
    let code = libc::WEXITSTATUS(status);
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        libc::WIFEXITED(status) && code == 0,
        "exit {code}: {stderr}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out).expect("report")).expect("json");
    assert_eq!(
        report["summary"]["in_sync"], report["summary"]["desired"],
        "all in sync"
    );
    let measured = std::fs::read_to_string(&measured).expect("GNU time's output");
    let fields: Vec<f64> = measured
        .split_whitespace()
        .map(|f| f.parse().expect("GNU time: %M %U %S"))
        .collect();
    let [rss_kib, user, sys] = fields[..] else {
        panic!("GNU time: {measured}")
    };
    Sample {
        wall,
        cpu: Duration::from_secs_f64(user + sys),
        rss_kib: rss_kib as i64,
        requests: standin.stats().requests.len(),
    }
}

fn main() {
    let o = opts();
    assert!(
        o.bin.exists(),
        "{} not found: cargo build --release first",
        o.bin.display()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.standin_threads.max(1))
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    let latency = Duration::from_millis(o.latency_ms);
    println!(
        "| route | N | C | wall (median) | min–max | runs | ideal N·L/C | ratio | requests | peak RSS | CPU per number (median) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &o.ns {
        let lives = synthetic_numbers(n);
        let desired = o
            .desired_root
            .as_deref()
            .unwrap_or(tmp.path())
            .join(format!("desired-{n}"));
        write_desired(&desired, &lives);
        let standin = rt
            .block_on(StandIn::start(StandInConfig {
                api_key: KEY.into(),
                numbers: lives,
                latency,
                ..StandInConfig::default()
            }))
            .expect("stand-in starts");
        let runs = if n >= 10_000 {
            o.runs_large.unwrap_or(o.runs)
        } else {
            o.runs
        };
        for fetch in &o.fetch {
            for &c in &o.concurrency {
                let mut samples: Vec<Sample> = (0..runs)
                    .map(|i| {
                        let out = tmp.path().join(format!("r-{n}-{c}-{i}.json"));
                        let s = run_once(&o, &standin, &desired, &out, c, fetch);
                        eprintln!(
                            "{fetch} N={n} C={c} run {}: {:.3} s, {:.3} s CPU, {} requests, {} MiB",
                            i + 1,
                            s.wall.as_secs_f64(),
                            s.cpu.as_secs_f64(),
                            s.requests,
                            s.rss_kib / 1024
                        );
                        s
                    })
                    .collect();
                samples.sort_by_key(|s| s.wall);
                let median = samples[samples.len() / 2].wall.as_secs_f64();
                let ideal = if fetch == "get" {
                    n as f64 * latency.as_secs_f64() / c as f64
                } else {
                    f64::NAN
                };
                let rss = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
                let mut cpus: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
                cpus.sort();
                let cpu_per_number = cpus[cpus.len() / 2].as_secs_f64() * 1e6 / n as f64;
                let requests = samples[samples.len() / 2].requests;
                println!(
                    "| {fetch} | {n} | {c} | {median:.3} s | {:.3}–{:.3} s | {} | {} | {} | {requests} | {:.1} MiB | {cpu_per_number:.0} µs |",
                    samples[0].wall.as_secs_f64(),
                    samples[samples.len() - 1].wall.as_secs_f64(),
                    samples.len(),
                    if ideal.is_nan() {
                        "–".to_string()
                    } else {
                        format!("{ideal:.3} s")
                    },
                    if ideal.is_nan() {
                        "–".to_string()
                    } else {
                        format!("{:.2}×", median / ideal)
                    },
                    rss as f64 / 1024.0,
                );
            }
        }
        rt.block_on(standin.shutdown());
    }
}
