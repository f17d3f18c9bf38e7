//! Staying under the org's rate limit (`--rps`), stopping on time (`--deadline`),
//! and a quiet stderr off a terminal (progress) — the built binary against the stand-in.

mod common;

use common::Run;
use serde_json::Value;
use std::time::{Duration, Instant};

use common::synthetic_org as org;

fn all_in_sync(report: &Value, n: usize) {
    let numbers = report["numbers"].as_array().expect("numbers");
    assert_eq!(numbers.len(), n);
    for number in numbers {
        assert_eq!(number["status"], "IN_SYNC", "{number}");
    }
}

/// The bar: `--rps 20` keeps a stand-in that allows 45 requests in any
/// one-second window free of 429s, over a run that lasts several seconds.
#[test]
fn rps_below_the_org_limit_sees_no_429() {
    let w = org(110, |cfg| cfg.rate_limit = Some(45));
    let run = w.check(
        &[
            "--fetch",
            "get",
            "-o",
            "json",
            "--rps",
            "20",
            "--concurrency",
            "32",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    all_in_sync(&run.json(), 110);
    let stats = w.standin.stats();
    // The figures, for `cargo test --test limits -- --nocapture`.
    println!(
        "--rps 20 against 45/s: {} requests, {} answered 429, peak in flight {}",
        stats.requests.len(),
        stats.rate_limited,
        stats.peak_in_flight
    );
    assert_eq!(stats.rate_limited, 0, "429s despite --rps 20");
    assert_eq!(stats.requests.len(), 110, "no retries were needed");
}

/// The same org without `--rps`: the limit bites (429s), retries carry every number through.
#[test]
fn without_rps_the_org_limit_answers_429_and_retries_still_read_every_number() {
    let w = org(110, |cfg| cfg.rate_limit = Some(45));
    let run = w.check(
        &[
            "--fetch",
            "get",
            "-o",
            "json",
            "--concurrency",
            "32",
            "--max-retries",
            "12",
            "--max-retry-wait",
            "1",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    all_in_sync(&run.json(), 110);
    let stats = w.standin.stats();
    println!(
        "no --rps against 45/s: {} requests, {} answered 429",
        stats.requests.len(),
        stats.rate_limited
    );
    assert!(stats.rate_limited > 0, "the stand-in's limit never bit");
    assert_eq!(stats.requests.len(), 110 + stats.rate_limited);
}

/// Latency far past the deadline: nothing is read, the requests in flight are
/// cancelled (the run ends long before the latency would), and every report is written.
#[test]
fn a_deadline_shorter_than_the_latency_leaves_every_number_not_checked_and_writes_every_report() {
    let w = org(5, |cfg| cfg.latency = Duration::from_secs(60));
    let json_path = w.path("r.json");
    let text_path = w.path("r.txt");
    let started = Instant::now();
    let run = w.check(
        &[
            "--fetch",
            "get",
            "--deadline",
            "1s",
            "-o",
            &format!("json={}", json_path.display()),
            "-o",
            &format!("text={}", text_path.display()),
        ],
        &[],
    );
    let elapsed = started.elapsed();
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(elapsed < Duration::from_secs(30), "cancelled: {elapsed:?}");
    assert!(
        run.stderr
            .contains("deadline (1s) passed: 5 numbers were not checked"),
        "{}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json"))
        .expect("whole JSON");
    assert_eq!(report["status"], "incomplete");
    let numbers = report["numbers"].as_array().expect("numbers");
    assert_eq!(numbers.len(), 5);
    for n in numbers {
        assert_eq!(n["status"], "NOT_CHECKED");
        assert!(
            n["error"].as_str().expect("reason").starts_with("deadline"),
            "{n}"
        );
    }
    let text = std::fs::read_to_string(&text_path).expect("text");
    assert!(text.contains("5 not checked"), "{text}");
    assert_eq!(text.matches("--deadline passed").count(), 5, "{text}");
    // Every request that was sent was a first attempt of a distinct number.
    assert!(w.standin.stats().requests.len() <= 5);
}

/// A deadline in the middle of a run: what was read is reported as read, the rest
/// is NOT_CHECKED "deadline", each number once.
#[test]
fn a_deadline_mid_run_keeps_what_was_read_and_marks_the_rest() {
    // The first 20 numbers answer at once, the last 20 never do: exactly 20 are
    // read and 20 miss the deadline, however loaded the machine (a latency and a
    // count of what fits before the deadline was a race under load).
    let w = org(40, |_| {});
    for i in 20..40 {
        w.standin.inject(
            &vapi_standin::org::synthetic_id(i),
            vec![vapi_standin::Fault::Hang],
        );
    }
    let run = w.check(
        &[
            "--fetch",
            "get",
            "-o",
            "json",
            "--concurrency",
            "4",
            "--deadline",
            "3s",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let numbers = report["numbers"].as_array().expect("numbers");
    assert_eq!(numbers.len(), 40);
    let read = numbers.iter().filter(|n| n["status"] == "IN_SYNC").count();
    let late = numbers
        .iter()
        .filter(|n| {
            n["status"] == "NOT_CHECKED"
                && n["error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("deadline"))
        })
        .count();
    assert_eq!((read, late), (20, 20), "{report}");
    assert!(
        run.stderr
            .contains(&format!("{late} numbers were not checked")),
        "{}",
        run.stderr
    );
}

/// The list route is bounded by the deadline too: a list that never comes back
/// leaves every number NOT_CHECKED "deadline", and the reports are written.
#[test]
fn a_deadline_also_bounds_the_list_route() {
    let w = org(30, |cfg| cfg.latency = Duration::from_secs(60));
    let started = Instant::now();
    let run = w.check(&["--fetch", "list", "--deadline", "1s", "-o", "json"], &[]);
    assert!(started.elapsed() < Duration::from_secs(30), "cancelled");
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    let numbers = report["numbers"].as_array().expect("numbers");
    assert_eq!(numbers.len(), 30);
    for n in numbers {
        assert_eq!(n["status"], "NOT_CHECKED");
        assert!(
            n["error"].as_str().expect("reason").starts_with("deadline"),
            "{n}"
        );
    }
}

#[test]
fn off_a_terminal_no_progress_reaches_stderr_and_quiet_silences_the_demo() {
    let w = org(20, |_| {});
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr, "",
        "nothing on stderr when it is not a terminal"
    );

    let demo = Run::from(
        std::process::Command::new(env!("CARGO_BIN_EXE_vapi-drift"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["demo", "-q", "-o", "json"])
            .env("NO_COLOR", "1")
            .env_remove("VAPI_API_KEY")
            .output()
            .expect("runs"),
    );
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    assert_eq!(demo.stderr, "", "-q: the report alone");
    assert_eq!(demo.json()["summary"]["modified"], 3);
}

#[test]
fn bad_rps_and_deadline_values_are_usage_errors_64() {
    let w = org(1, |_| {});
    for args in [
        ["--rps", "0"],
        ["--rps", "fast"],
        ["--deadline", "soon"],
        ["--deadline", "10"],
        ["--deadline", "0s"],
    ] {
        let run = w.check(&args, &[]);
        assert_eq!(run.code, 64, "{args:?}: {}", run.stderr);
    }
    assert_eq!(w.standin.stats().requests.len(), 0);
}
