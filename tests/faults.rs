//! Every fault the API (or what stands in front of it) can throw at a run, survived:
//! the built binary against the stand-in with injected faults. For each one: the
//! right status per number, every desired number in every report exactly once, the
//! run ends within a generous bound, and the report files are whole.
//!
//! Timeouts and waits are kept small so the whole file runs in seconds.

mod common;

use common::{KEY, World};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use vapi_standin::org::{synthetic_id, synthetic_numbers};
use vapi_standin::{Fault, StandInConfig};

/// Far above what any of these runs needs; it proves the run ends, nothing more.
const BOUND: Duration = Duration::from_secs(45);

/// Fast retries for the suite: short timeout, short waits.
const FAST: [&str; 4] = ["--timeout", "0.5", "--max-retry-wait", "0.05"];

/// The desired document of a live number: server-managed fields dropped (JSON is YAML).
/// A stand-in serving `n` synthetic numbers, a desired file declaring them, and their ids.
fn org(n: usize, tweak: impl FnOnce(&mut StandInConfig)) -> (World, Vec<String>) {
    (
        common::synthetic_org(n, tweak),
        (0..n).map(synthetic_id).collect(),
    )
}

struct Audited {
    code: i32,
    stderr: String,
    json: Value,
    text: String,
    elapsed: Duration,
}

impl Audited {
    fn status(&self, id: &str) -> String {
        let found: Vec<&Value> = self.json["numbers"]
            .as_array()
            .expect("numbers")
            .iter()
            .filter(|n| n["id"] == id)
            .collect();
        assert_eq!(found.len(), 1, "{id} listed {} times", found.len());
        found[0]["status"].as_str().expect("status").to_string()
    }

    fn error(&self, id: &str) -> String {
        self.json["numbers"]
            .as_array()
            .expect("numbers")
            .iter()
            .find(|n| n["id"] == id)
            .and_then(|n| n["error"].as_str())
            .unwrap_or_else(|| panic!("{id} has no error: {}", self.json))
            .to_string()
    }
}

/// `check --fetch get` with a text and a JSON report written to files (plus `args`); both
/// files are read back whole, and stdout stays empty.
fn audit(w: &World, args: &[&str]) -> Audited {
    let text_path = w.path("report.txt");
    let json_path = w.path("report.json");
    // The per-number GET route: every fault here is injected on it.
    let mut all = vec![
        "--fetch".to_string(),
        "get".to_string(),
        "-o".to_string(),
        format!("text={}", text_path.display()),
        "-o".to_string(),
        format!("json={}", json_path.display()),
    ];
    all.extend(args.iter().map(|s| s.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let started = Instant::now();
    let run = w.check(&all, &[]);
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND, "the run ended, but only after {elapsed:?}");
    assert_eq!(run.stdout, "", "reports go to their files only");
    let json_text = std::fs::read_to_string(&json_path).expect("the JSON report was written");
    let json: Value = serde_json::from_str(&json_text)
        .unwrap_or_else(|e| panic!("the JSON report is not whole ({e}):\n{json_text}"));
    let text = std::fs::read_to_string(&text_path).expect("the text report was written");
    assert!(
        !run.stderr.contains(KEY) && !json_text.contains(KEY) && !text.contains(KEY),
        "the API key leaked"
    );
    Audited {
        code: run.code,
        stderr: run.stderr,
        json,
        text,
        elapsed,
    }
}

/// Every desired number exactly once in every report, in desired order, and the
/// summaries agree with the statuses.
fn assert_whole(a: &Audited, ids: &[String]) {
    let numbers = a.json["numbers"].as_array().expect("numbers");
    let listed: Vec<&str> = numbers
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        listed, ids,
        "the JSON report lists each desired number once, in order"
    );
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for n in numbers {
        *counts
            .entry(n["status"].as_str().expect("status"))
            .or_default() += 1;
    }
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    let summary = &a.json["summary"];
    assert_eq!(summary["desired"], ids.len());
    assert_eq!(summary["in_sync"], count("IN_SYNC"));
    assert_eq!(summary["modified"], count("MODIFIED"));
    assert_eq!(summary["missing"], count("MISSING"));
    assert_eq!(summary["not_checked"], count("NOT_CHECKED"));
    assert_eq!(
        summary["checked"],
        count("IN_SYNC") + count("MODIFIED") + count("MISSING")
    );
    assert_eq!(a.json["exit_code"], a.code);

    // The text report: the same summary, and every number that is not in sync
    // listed exactly once (the numbers in sync are only counted).
    let first = a.text.lines().next().expect("a summary line");
    for (word, n) in [
        ("desired", ids.len()),
        ("in sync", count("IN_SYNC")),
        ("modified", count("MODIFIED")),
        ("missing", count("MISSING")),
        ("not checked", count("NOT_CHECKED")),
    ] {
        assert!(first.contains(&format!("{n} {word}")), "{first}");
    }
    for n in numbers {
        let id = n["id"].as_str().expect("id");
        let times = a.text.matches(id).count();
        if n["status"] == "IN_SYNC" {
            assert!(times <= 1, "{id} listed {times} times in the text report");
        } else {
            assert_eq!(
                times, 1,
                "{id} ({}) in the text report:\n{}",
                n["status"], a.text
            );
        }
    }
}

fn requests_for(w: &World, id: &str) -> usize {
    w.standin
        .stats()
        .requests
        .iter()
        .filter(|r| r.path == format!("/phone-number/{id}"))
        .count()
}

#[test]
fn a_429_with_retry_after_waits_what_it_says_then_reads_the_number() {
    let (w, ids) = org(3, |_| {});
    w.standin
        .inject(&ids[0], vec![Fault::status_retry_after_secs(429, 1)]);
    let a = audit(&w, &["--max-retry-wait", "5"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert!(ids.iter().all(|id| a.status(id) == "IN_SYNC"));
    assert_eq!(requests_for(&w, &ids[0]), 2);
    // A lower bound, which a timer cannot undercut: the second attempt waited the 1 s.
    assert!(a.elapsed >= Duration::from_secs(1), "{:?}", a.elapsed);
}

#[test]
fn a_429_with_a_retry_after_longer_than_max_retry_wait_is_capped() {
    let (w, ids) = org(3, |_| {});
    w.standin
        .inject(&ids[1], vec![Fault::status_retry_after_secs(429, 3600)]);
    let a = audit(&w, &["--max-retry-wait", "0.2"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[1]), "IN_SYNC");
    assert_eq!(requests_for(&w, &ids[1]), 2);
}

#[test]
fn a_429_without_retry_after_backs_off_exponentially_then_reads_the_number() {
    let (w, ids) = org(3, |_| {});
    w.standin
        .inject(&ids[2], vec![Fault::status(429), Fault::status(429)]);
    let a = audit(&w, &[]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[2]), "IN_SYNC");
    assert_eq!(requests_for(&w, &ids[2]), 3);
    // Backoff from 0.5 s, doubled, at least half of each step: 0.25 s + 0.5 s.
    assert!(a.elapsed >= Duration::from_millis(750), "{:?}", a.elapsed);
}

#[test]
fn a_500_502_503_then_success_is_retried_to_in_sync() {
    let (w, ids) = org(4, |_| {});
    w.standin.inject(
        &ids[1],
        vec![Fault::status(500), Fault::status(502), Fault::status(503)],
    );
    let a = audit(&w, &FAST);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert!(ids.iter().all(|id| a.status(id) == "IN_SYNC"));
    assert_eq!(requests_for(&w, &ids[1]), 4);
}

#[test]
fn a_500_for_ever_is_not_checked_after_the_last_retry_and_the_others_are_read() {
    let (w, ids) = org(4, |_| {});
    w.standin.inject(&ids[2], vec![Fault::status(500); 50]);
    let mut args = FAST.to_vec();
    args.extend(["--max-retries", "3"]);
    let a = audit(&w, &args);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[2]), "NOT_CHECKED");
    let error = a.error(&ids[2]);
    assert!(
        error.contains("HTTP 500") && error.contains("4 attempts"),
        "{error}"
    );
    assert_eq!(requests_for(&w, &ids[2]), 4);
    for id in [&ids[0], &ids[1], &ids[3]] {
        assert_eq!(a.status(id), "IN_SYNC");
    }
}

#[test]
fn a_connection_reset_mid_body_is_retried_and_one_that_persists_is_not_checked() {
    let (w, ids) = org(4, |_| {});
    w.standin.inject(&ids[0], vec![Fault::ResetMidBody]);
    w.standin.inject(&ids[3], vec![Fault::ResetMidBody; 10]);
    let mut args = FAST.to_vec();
    args.extend(["--max-retries", "2"]);
    let a = audit(&w, &args);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[0]), "IN_SYNC");
    assert_eq!(requests_for(&w, &ids[0]), 2);
    assert_eq!(a.status(&ids[3]), "NOT_CHECKED");
    assert!(
        a.error(&ids[3]).contains("3 attempts"),
        "{}",
        a.error(&ids[3])
    );
    assert_eq!(requests_for(&w, &ids[3]), 3);
}

#[test]
fn a_truncated_body_is_retried_and_one_that_persists_is_not_checked() {
    let (w, ids) = org(4, |_| {});
    w.standin.inject(&ids[1], vec![Fault::Truncated]);
    w.standin.inject(&ids[2], vec![Fault::Truncated; 10]);
    let mut args = FAST.to_vec();
    args.extend(["--max-retries", "2"]);
    let a = audit(&w, &args);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[1]), "IN_SYNC");
    assert_eq!(a.status(&ids[2]), "NOT_CHECKED");
    let error = a.error(&ids[2]);
    assert!(
        error.contains("cut off") && error.contains("3 attempts"),
        "{error}"
    );
}

#[test]
fn malformed_json_is_not_checked_without_a_retry() {
    let (w, ids) = org(3, |_| {});
    w.standin.inject(&ids[1], vec![Fault::MalformedJson]);
    let a = audit(&w, &FAST);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[1]), "NOT_CHECKED");
    assert!(
        a.error(&ids[1]).contains("not valid JSON"),
        "{}",
        a.error(&ids[1])
    );
    assert_eq!(requests_for(&w, &ids[1]), 1);
    assert_eq!(a.status(&ids[0]), "IN_SYNC");
}

#[test]
fn an_html_error_page_with_status_200_is_not_checked() {
    let (w, ids) = org(3, |_| {});
    w.standin.inject(&ids[0], vec![Fault::HtmlOk]);
    let a = audit(&w, &FAST);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[0]), "NOT_CHECKED");
    let error = a.error(&ids[0]);
    assert!(
        error.contains("not valid JSON") && error.contains("text/html"),
        "{error}"
    );
    assert_eq!(a.status(&ids[2]), "IN_SYNC");
}

#[test]
fn valid_json_that_is_not_a_phone_number_is_not_checked() {
    let (w, ids) = org(4, |_| {});
    let mut skype = synthetic_numbers(1).remove(0);
    skype["id"] = json!(ids[0]);
    skype["provider"] = json!("skype");
    w.standin.inject(&ids[0], vec![Fault::Body(skype)]);
    w.standin.inject(
        &ids[1],
        vec![Fault::Body(json!([{"id": ids[1], "provider": "vonage"}]))],
    );
    w.standin.inject(&ids[2], vec![Fault::Body(json!("ok"))]);
    let a = audit(&w, &FAST);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert!(
        a.error(&ids[0]).contains("unknown provider \"skype\""),
        "{}",
        a.error(&ids[0])
    );
    assert!(
        a.error(&ids[1]).contains("got a list"),
        "{}",
        a.error(&ids[1])
    );
    assert!(
        a.error(&ids[2]).contains("got a string"),
        "{}",
        a.error(&ids[2])
    );
    assert_eq!(a.status(&ids[3]), "IN_SYNC");
}

#[test]
fn a_hang_past_the_timeout_is_not_checked_and_the_others_go_on() {
    let (w, ids) = org(6, |_| {});
    w.standin.inject(&ids[4], vec![Fault::Hang; 5]);
    let mut args = FAST.to_vec();
    args.extend(["--max-retries", "1"]);
    let a = audit(&w, &args);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[4]), "NOT_CHECKED");
    assert!(
        a.error(&ids[4]).contains("timed out"),
        "{}",
        a.error(&ids[4])
    );
    assert_eq!(requests_for(&w, &ids[4]), 2);
    for (i, id) in ids.iter().enumerate() {
        if i != 4 {
            assert_eq!(a.status(id), "IN_SYNC");
        }
    }
}

#[test]
fn a_slow_trickling_body_past_the_timeout_is_not_checked() {
    let (w, ids) = org(3, |_| {});
    // ~40 chunks of 16 bytes, 50 ms apart: about 2 s, past a 0.5 s timeout.
    let slow = Fault::SlowBody {
        chunk_delay: Duration::from_millis(50),
    };
    w.standin.inject(&ids[0], vec![slow; 5]);
    let mut args = FAST.to_vec();
    args.extend(["--max-retries", "1"]);
    let a = audit(&w, &args);
    assert_eq!(a.code, 3, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert_eq!(a.status(&ids[0]), "NOT_CHECKED");
    assert!(
        a.error(&ids[0]).contains("timed out"),
        "{}",
        a.error(&ids[0])
    );
    assert_eq!(a.status(&ids[1]), "IN_SYNC");
}

#[test]
fn a_slow_trickling_body_within_the_timeout_is_read_in_sync() {
    let (w, ids) = org(3, |_| {});
    let slow = Fault::SlowBody {
        chunk_delay: Duration::from_millis(5),
    };
    w.standin.inject(&ids[0], vec![slow.clone()]);
    w.standin.inject(&ids[2], vec![slow]);
    let a = audit(&w, &["--timeout", "10"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_whole(&a, &ids);
    assert!(ids.iter().all(|id| a.status(id) == "IN_SYNC"));
    assert_eq!(
        requests_for(&w, &ids[0]),
        1,
        "read whole on the first attempt"
    );
}

#[test]
fn a_key_revoked_on_the_tenth_request_stops_the_run_reports_what_was_read_and_exits_1() {
    let (w, ids) = org(30, |cfg| cfg.revoke_key_after = Some(9));
    let a = audit(&w, &FAST);
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert!(a.stderr.contains("API key was rejected"), "{}", a.stderr);
    assert_eq!(a.json["status"], "error");
    assert!(
        a.json["error"]
            .as_str()
            .expect("error")
            .contains("rejected"),
        "{}",
        a.json
    );
    assert_whole(&a, &ids);
    let in_sync = ids.iter().filter(|id| a.status(id) == "IN_SYNC").count();
    let not_checked = ids
        .iter()
        .filter(|id| a.status(id) == "NOT_CHECKED")
        .count();
    assert_eq!(in_sync + not_checked, 30);
    // Nine requests were answered before the revocation. A number is IN_SYNC only
    // if its request was one of them (one whose body was still arriving when the
    // 401 stopped the run is cancelled, so not read); and request 10 went out only
    // after two numbers were read whole (concurrency 8), so at least those are.
    let stats = w.standin.stats();
    let answered: Vec<String> = stats
        .requests
        .iter()
        .filter(|r| r.status == Some(200))
        .map(|r| r.path.trim_start_matches("/phone-number/").to_string())
        .collect();
    assert_eq!(answered.len(), 9);
    for id in ids.iter().filter(|id| a.status(id) == "IN_SYNC") {
        assert!(answered.contains(id), "{id} IN_SYNC without a 200");
    }
    assert!((2..=9).contains(&in_sync), "{in_sync} read");
    // It stopped: at most the requests already in flight (concurrency 8) went on.
    let requests = stats.requests.len();
    assert!(requests <= 9 + 8, "{requests} requests");
}

/// The bar: 40 numbers, a fault of every kind, each number once with the right status.
#[test]
fn a_mixed_fault_run_of_40_numbers_reports_each_number_once_with_the_right_status() {
    let (w, ids) = org(40, |_| {});
    let mut expected: Vec<&str> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (faults, status) = match i % 10 {
            0 => (vec![], "IN_SYNC"),
            1 => (vec![Fault::status_retry_after_secs(429, 0)], "IN_SYNC"),
            2 => (vec![Fault::status(500), Fault::status(503)], "IN_SYNC"),
            3 => (vec![Fault::status(502); 10], "NOT_CHECKED"),
            4 => (vec![Fault::MalformedJson], "NOT_CHECKED"),
            5 => (vec![Fault::HtmlOk], "NOT_CHECKED"),
            6 => (vec![Fault::ResetMidBody], "IN_SYNC"),
            7 => (vec![Fault::Truncated; 10], "NOT_CHECKED"),
            8 => (vec![Fault::Hang; 10], "NOT_CHECKED"),
            _ => (vec![Fault::Body(json!([1, 2, 3]))], "NOT_CHECKED"),
        };
        w.standin.inject(id, faults);
        expected.push(status);
    }
    // Drift too: one renamed by hand, one deleted.
    let mut renamed = synthetic_numbers(21).remove(20);
    renamed["name"] = json!("renamed by hand");
    w.standin.upsert(renamed);
    expected[20] = "MODIFIED";
    w.standin.remove(&ids[30]);
    expected[30] = "MISSING";

    let mut args = FAST.to_vec();
    args.extend(["--max-retries", "2"]);
    let a = audit(&w, &args);
    assert_eq!(a.code, 2, "drift wins over not checked: {}", a.stderr);
    assert_whole(&a, &ids);
    let got: Vec<String> = ids.iter().map(|id| a.status(id)).collect();
    assert_eq!(got, expected);
    assert_eq!(a.json["summary"]["not_checked"], 24);
}
