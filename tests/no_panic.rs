//! No input may panic (issue 10, item 20): exit 101 is never acceptable. Each
//! test is an input that panicked the real binary, run against the stand-in:
//! a `Retry-After` too long for a `Duration`, an `--rps` too small for one, a
//! `totalPages` past any bound, a stdout closed by its reader, and an ignore rule
//! with a date that does not exist (accepted before, not a panic, but the same
//! family: untrusted text taken at its word).

mod common;

use common::{KEY, World, desired_from, example};
use serde_json::json;
use std::process::Stdio;
use vapi_standin::Fault;

fn no_panic(run: &common::Run) {
    assert_ne!(run.code, 101, "panicked:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

fn one_number() -> (World, String) {
    let live = example("twilio");
    let id = live["id"].as_str().expect("id").to_string();
    let w = World::new(vec![live.clone()]);
    w.desired("twilio.yaml", &desired_from(&live));
    (w, id)
}

#[test]
fn a_retry_after_longer_than_a_duration_is_capped_not_a_panic() {
    let (w, id) = one_number();
    for huge in ["1e20", "1e400", "inf"] {
        w.standin.inject(
            &id,
            vec![Fault::Status {
                code: 429,
                retry_after: Some(huge.into()),
            }],
        );
        let run = w.check(
            &["--fetch", "get", "--max-retry-wait", "0.05", "-o", "json"],
            &[("TWILIO_AUTH_TOKEN", "x")],
        );
        no_panic(&run);
        assert_eq!(run.code, 0, "{huge}: {}", run.stderr);
        assert_eq!(run.json()["numbers"][0]["status"], "IN_SYNC");
    }
}

#[test]
fn an_rps_too_small_for_a_duration_is_a_usage_error() {
    let (w, _) = one_number();
    for tiny in ["1e-20", "1e-300", "0.0000001"] {
        let run = w.check(&["--rps", tiny], &[]);
        no_panic(&run);
        assert_eq!(run.code, 64, "{tiny}: {}", run.stderr);
        assert!(run.stderr.contains("at least 0.001"), "{}", run.stderr);
    }
}

#[test]
fn a_page_count_past_any_bound_is_not_believed() {
    let (w, id) = one_number();
    let live = example("twilio");
    for total in [json!(1e300), json!(u64::MAX)] {
        w.standin.inject_list(vec![Fault::Body(json!({
            "results": [live],
            "metadata": {"itemsPerPage": 1000, "currentPage": 1, "totalPages": total,
                         "totalItems": total, "hasNextPage": true}
        }))]);
        let run = w.check(&["--fetch", "list", "-o", "json"], &[]);
        no_panic(&run);
        let report = run.json();
        assert_eq!(report["numbers"][0]["id"], id.as_str());
        assert_eq!(report["numbers"][0]["status"], "IN_SYNC", "{report}");
        // Page 2 was read (the API said there is more) and said it is the end.
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

/// Runs the binary with a stdout whose reader is gone before it starts.
fn with_closed_stdout(w: &World, args: &[&str]) -> common::Run {
    let mut fds = [0; 2];
    // SAFETY: `pipe` fills two valid descriptors on success, checked below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    // SAFETY: both descriptors were just made by `pipe` and are owned here only.
    let (read, write) = unsafe {
        use std::os::fd::FromRawFd;
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    drop(read);
    let mut cmd = w.command();
    cmd.args(args)
        .env("VAPI_API_KEY", KEY)
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped());
    let out = cmd.output().expect("binary runs");
    common::Run::from(out)
}

#[test]
fn a_closed_stdout_is_a_quiet_exit() {
    let (w, _) = one_number();
    let base = w.standin.base_url();
    let export = with_closed_stdout(
        &w,
        &["export", "--out", "exported", "--base-url", base.as_str()],
    );
    no_panic(&export);
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(export.stderr.is_empty(), "{}", export.stderr);
    let check = with_closed_stdout(&w, &["check", "--base-url", base.as_str(), "desired"]);
    no_panic(&check);
    assert!(!check.stderr.contains("cannot write"), "{}", check.stderr);
    let validate = with_closed_stdout(&w, &["validate", "desired"]);
    no_panic(&validate);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    let help = with_closed_stdout(&w, &["--help"]);
    no_panic(&help);
}

#[test]
fn an_ignore_rule_with_a_date_that_does_not_exist_is_refused() {
    let (w, _) = one_number();
    std::fs::write(
        w.path("rules.yaml"),
        "rules:\n  - paths: [/squadId]\n    reason: moving squads\n    expires: 2026-02-31\n",
    )
    .expect("write rules");
    let run = w.check(&["--ignore-file", "rules.yaml"], &[]);
    no_panic(&run);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("rules.yaml:4:14: \"expires\" must be a date YYYY-MM-DD"),
        "{}",
        run.stderr
    );
}
