//! Bounded-time fuzzing of the response side (issue 10, item 20): the real
//! client (`vapi::client::Client`: retries, `Retry-After`, the list routes and
//! their paging, element checks) and the comparison of what it accepted, against
//! a server on loopback that answers every request with fuzzed bytes: the status
//! line, `Retry-After`, `Content-Length` and `Content-Type` headers drawn from
//! extreme and malformed values, list metadata (`totalPages`, `totalItems`,
//! `hasNextPage`, `itemsPerPage`) of every type and size, and bodies mutated from
//! real phone numbers and list pages (numbers beyond f64, lone surrogates,
//! invalid UTF-8, deep nesting, truncation).
//!
//! The property is "no panic, on any answer". A panicking answer is saved under
//! `fuzz/crashes/` and the run exits 1. Not part of `cargo test`.
//!
//! ```sh
//! cargo run --release --example fuzz_responses -- --seconds 60 [--seed N]
//! fuzz/run.sh 60        # both halves: the desired-YAML side, then this one
//! ```

#[path = "support/fuzz_args.rs"]
mod fuzz_args;

use futures::FutureExt;
use serde_json::{Value, json};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vapi_drift::audit::compare;
use vapi_drift::desired::{IdRule, load_text};
use vapi_drift::ignore::IgnoreSet;
use vapi_drift::secret::ApiKey;
use vapi_drift::vapi::client::{Client, ClientConfig};

const RETRY_AFTER: &[&str] = &[
    "0",
    "1",
    "1e20",
    "1e400",
    "-1",
    "inf",
    "NaN",
    "18446744073709551616",
    "0.000001",
    "",
    " 3 ",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "soon",
    "\u{7f}",
];
const CONTENT_LENGTH: &[&str] = &[
    "0",
    "-1",
    "99999999999",
    "abc",
    "1, 2",
    "18446744073709551616",
];
const CONTENT_TYPE: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "text/html",
    "",
    "application/json; charset=latin1",
    "\u{1}",
];
const STATUS: &[u16] = &[
    200, 200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 408, 429, 500, 502, 503, 599, 999,
];
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "1000",
    "1e300",
    "1e400",
    "-1e400",
    "18446744073709551616",
    "1.5",
    "null",
    "\"3\"",
    "true",
    "[]",
    "{}",
    "NaN",
];

struct Rng(fastrand::Rng);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.0.usize(..n) }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn live_numbers() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/examples");
    [
        "byo-phone-number",
        "twilio",
        "vonage",
        "vapi-pstn",
        "vapi-sip",
        "telnyx",
    ]
    .iter()
    .filter_map(|n| std::fs::read_to_string(dir.join(format!("{n}.json"))).ok())
    .filter_map(|t| serde_json::from_str(&t).ok())
    .collect()
}

/// A body: a phone number, a list page or a bare list, written with fuzzed
/// metadata, then mutated byte by byte.
fn body(rng: &mut Rng, numbers: &[Value]) -> Vec<u8> {
    let n = rng.pick(numbers).to_string();
    let results = (0..rng.below(4))
        .map(|_| rng.pick(numbers).to_string())
        .collect::<Vec<_>>();
    let text = match rng.below(4) {
        0 => n,
        1 => format!("[{}]", results.join(",")),
        _ => format!(
            r#"{{"results":[{}],"metadata":{{"itemsPerPage":{},"totalItems":{},"currentPage":{},"totalPages":{},"hasNextPage":{}}}}}"#,
            results.join(","),
            rng.pick(NUMBERS),
            rng.pick(NUMBERS),
            rng.pick(NUMBERS),
            rng.pick(NUMBERS),
            rng.pick(&["true", "false", "null", "1", "\"yes\""]),
        ),
    };
    let mut out = text.into_bytes();
    for _ in 0..rng.below(4) {
        let len = out.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let at = rng.below(len + 1);
                let piece = *rng.pick(&[
                    "1e400", "\\ud800", "\\udfff", "\u{0}", "\u{feff}", "[[[[[[[[", "}", ",", "\"",
                    "\u{ff}",
                ]);
                out.splice(at..at, piece.bytes());
            }
            2 if len > 0 => out.truncate(rng.below(len)),
            3 => {
                let at = rng.below(len + 1);
                out.splice(at..at, [0xff, 0xfe, 0xc3]);
            }
            4 => {
                let depth = 1 + rng.below(300);
                let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
                let at = rng.below(len + 1);
                out.splice(at..at, nested.bytes());
            }
            _ => {}
        }
    }
    out
}

/// The whole answer, as bytes on the wire.
fn answer(rng: &mut Rng, numbers: &[Value]) -> Vec<u8> {
    let body = body(rng, numbers);
    let status = *rng.pick(STATUS);
    let mut head = format!("HTTP/1.1 {status} X\r\n");
    if rng.below(3) == 0 {
        head.push_str(&format!("Retry-After: {}\r\n", rng.pick(RETRY_AFTER)));
    }
    match rng.below(4) {
        0 => head.push_str(&format!("Content-Length: {}\r\n", rng.pick(CONTENT_LENGTH))),
        1 => {}
        _ => head.push_str(&format!("Content-Length: {}\r\n", body.len())),
    }
    head.push_str(&format!("Content-Type: {}\r\n", rng.pick(CONTENT_TYPE)));
    head.push_str("Connection: close\r\n\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&body);
    out
}

fn main() {
    let (seconds, seed) = fuzz_args::seconds_and_seed();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    std::panic::set_hook(Box::new(|_| {}));
    let code = runtime.block_on(run(seconds, seed));
    std::process::exit(code);
}

async fn run(seconds: f64, seed: u64) -> i32 {
    let numbers = live_numbers();
    assert!(!numbers.is_empty(), "tests/fixtures/examples is empty");
    let rng = Arc::new(Mutex::new(Rng(fastrand::Rng::with_seed(seed))));
    // Every answer of the current case, for a crash report.
    let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    {
        let (rng, sent, numbers) = (rng.clone(), sent.clone(), numbers.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    continue;
                };
                let bytes = {
                    let mut r = rng.lock().expect("rng");
                    answer(&mut r, &numbers)
                };
                sent.lock().expect("sent").push(bytes.clone());
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf).await;
                    let _ = conn.write_all(&bytes).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
    }
    let desired = {
        let (mut n, mut e) = (Vec::new(), Vec::new());
        load_text(
            "d.yaml",
            "id: 7f3c\nprovider: vonage\nnumber: \"+14155550100\"\ncredentialId: c\n",
            &|_| None,
            IdRule::Required,
            &mut n,
            &mut e,
        );
        n.remove(0)
    };
    let client = Client::new(ClientConfig {
        base_url: base,
        api_key: ApiKey::new("fuzz-key".into()),
        timeout: Duration::from_millis(300),
        max_retries: 1,
        max_retry_wait: Duration::from_millis(5),
        retry_base: Duration::from_millis(1),
    })
    .expect("client");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (mut cases, mut accepted, mut crashes) = (0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        sent.lock().expect("sent").clear();
        let case = async {
            let mut lives = Vec::new();
            if let Ok(live) = client.get_phone_number("7f3c").await {
                lives.push(live);
            }
            // As `--fetch auto` weighs the routes: page 1, then what it announces.
            if let Ok(first) = client.list_first().await {
                let _ = first.remaining_pages();
                let _ = first.incomplete();
            }
            if let Ok(listing) = client.list_all(4).await {
                let _ = listing.incomplete();
                let _ = listing.remaining_pages();
                lives.extend(listing.values());
            }
            for live in &lives {
                let _ = compare(desired.clone(), live, &IgnoreSet::default());
            }
            lives.len()
        };
        cases += 1;
        match AssertUnwindSafe(case).catch_unwind().await {
            Ok(n) => accepted += n as u64,
            Err(_) => {
                crashes += 1;
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/crashes");
                let _ = std::fs::create_dir_all(&dir);
                let answers = sent.lock().expect("sent").clone();
                let dump: Vec<Value> = answers
                    .iter()
                    .map(|a| json!(String::from_utf8_lossy(a)))
                    .collect();
                let path = dir.join(format!("response-{seed}-{cases}.json"));
                let _ = std::fs::write(&path, serde_json::to_vec_pretty(&dump).unwrap_or_default());
                eprintln!("panic: answers saved to {}", path.display());
            }
        }
    }
    println!(
        "fuzz_responses: seed {seed}, {cases} cases, {accepted} live numbers accepted and compared, {crashes} panics"
    );
    i32::from(crashes > 0)
}
