//! Black-box tests of inventory and onboarding (issue 5): the list routes and the
//! fetch strategy, unmanaged numbers, desired numbers without an id, selectors,
//! `export`, and the org guard. The built binary against the API stand-in.

mod common;

use common::{KEY, Run, World, desired_from, example, placeholders_in, statuses};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use vapi_standin::org::{synthetic_id, synthetic_numbers};
use vapi_standin::{Fault, StandInConfig, Stats};

const ORG: &str = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f";
const PROVIDERS: [&str; 6] = [
    "byo-phone-number",
    "twilio",
    "vonage",
    "vapi-pstn",
    "vapi-sip",
    "telnyx",
];

/// A desired document written from a live number, without `id` (found by number or sipUri).
fn desired_without_id(live: &Value) -> String {
    let mut v: Value = serde_json::from_str(&desired_from(live)).expect("json");
    v.as_object_mut().expect("object").remove("id");
    serde_json::to_string_pretty(&v).expect("json")
}

/// A live number made by hand in the dashboard.
fn hand_made(i: usize, number: &str) -> Value {
    json!({"id": format!("99999999-0000-4000-8000-{i:012}"), "orgId": ORG, "provider": "vonage",
           "number": number, "name": format!("Hand-made {i}"), "credentialId": "c",
           "status": "active", "createdAt": format!("2026-09-0{i}T10:00:00.000Z")})
}

fn list_requests(stats: &Stats) -> Vec<(String, String)> {
    stats
        .requests
        .iter()
        .filter(|r| r.path == "/v2/phone-number" || r.path == "/phone-number")
        .map(|r| (r.path.clone(), r.query.clone().unwrap_or_default()))
        .collect()
}

fn get_requests(stats: &Stats) -> Vec<String> {
    stats
        .requests
        .iter()
        .filter_map(|r| r.path.strip_prefix("/phone-number/").map(str::to_string))
        .collect()
}

fn export(w: &World, args: &[&str]) -> Run {
    let mut cmd = w.command();
    cmd.arg("export")
        .arg("--base-url")
        .arg(w.standin.base_url())
        .args(args)
        .env("VAPI_API_KEY", KEY);
    Run::from(cmd.output().expect("binary runs"))
}

/// The variables export says to set (each once), with the live values they stand
/// for: read back from the files it wrote (each `${VAR}` at its path, the value
/// at that path of the live number with the file's id). One name never stands
/// for two values.
fn variables(run: &Run, w: &World, lives: &[Value]) -> Vec<(String, String)> {
    let printed: Vec<String> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("  VAPI_DRIFT_"))
        .map(|l| l.split_whitespace().next().expect("a name").to_string())
        .collect();
    let dir = w.path(
        run.stdout
            .lines()
            .find_map(|l| l.split(" to ").nth(1))
            .and_then(|rest| rest.split(" (").next())
            .expect("export says where it wrote"),
    );
    let mut out: Vec<(String, String)> = Vec::new();
    for file in yaml_files(&dir) {
        let text = std::fs::read_to_string(dir.join(&file)).expect("exported file");
        for doc in vapi_drift::yaml::parse_documents(&text).expect("yaml") {
            let doc = doc.to_json();
            let live = lives
                .iter()
                .find(|l| l["id"] == doc["id"])
                .expect("a live number");
            for (name, pointer) in placeholders_in(&doc) {
                let value = live
                    .pointer(&pointer)
                    .and_then(Value::as_str)
                    .expect("a live secret")
                    .to_string();
                match out.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => assert_eq!(*v, value, "{name} stands for two values"),
                    None => out.push((name, value)),
                }
            }
        }
    }
    let mut names: Vec<&String> = out.iter().map(|(n, _)| n).collect();
    names.sort();
    let mut printed_sorted: Vec<&String> = printed.iter().collect();
    printed_sorted.sort();
    assert_eq!(
        names, printed_sorted,
        "export printed each variable the files read"
    );
    out
}

fn yaml_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

fn number_report<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no number {id} in {report}"))
}

/// The issue's bar, run as a new user would, on an org of 2,500 live numbers.
#[test]
fn bar_an_org_of_2500_exports_checks_in_3_pages_finds_hand_made_numbers_and_guards_the_org() {
    let lives = synthetic_numbers(2500);
    let w = World::new(lives.clone());

    // 1. Export the org, then check what was written: in sync.
    let run = export(&w, &["--out", "desired"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(yaml_files(&w.path("desired")).len(), 2500);
    assert!(
        run.stdout.contains("wrote 2500 files to desired"),
        "{}",
        run.stdout
    );
    // 2,500 numbers share two webhook tokens: two variables, not one per number and
    // header; `X-Tenant: acme` is no credential and stays in the files as it is.
    let vars = variables(&run, &w, &lives);
    let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "VAPI_DRIFT_SERVER_AUTHORIZATION",
            "VAPI_DRIFT_SERVER_AUTHORIZATION_2"
        ]
    );
    let secrets = std::fs::read_to_string(w.path("desired/vapi-drift.secrets.md")).expect("r");
    assert!(
        secrets.contains("| `VAPI_DRIFT_SERVER_AUTHORIZATION_2` | `server.headers.Authorization` | 25 files: `line-99.yaml`, `line-199.yaml`,")
            || secrets.contains("| `VAPI_DRIFT_SERVER_AUTHORIZATION_2` | `server.headers.Authorization` | 25 files: `line-1099.yaml`"),
        "{secrets}"
    );
    for (_, value) in &vars {
        assert!(!secrets.contains(value.as_str()));
    }
    let env: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    w.standin.reset_stats();
    let run = w.check(&["--fetch", "list", "-o", "json"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["in_sync"], 2500);
    assert_eq!(report["unmanaged_check"], "complete");
    let stats = w.standin.stats();
    let pages = list_requests(&stats);
    assert!(pages.len() <= 3, "{pages:?}");
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(get_requests(&stats).is_empty(), "no per-number GETs");

    // 2. Three numbers made by hand show as unmanaged.
    for i in 1..=3 {
        w.standin.upsert(hand_made(i, &format!("+1212555010{i}")));
    }
    w.standin.reset_stats();
    let run = w.check(&["-o", "json"], &env);
    assert_eq!(
        run.code, 0,
        "report does not change the exit code: {}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["summary"]["unmanaged"], 3);
    let unmanaged: Vec<&str> = report["unmanaged"]
        .as_array()
        .expect("unmanaged")
        .iter()
        .map(|u| u["number"].as_str().expect("number"))
        .collect();
    assert_eq!(unmanaged, ["+12125550101", "+12125550102", "+12125550103"]);
    assert_eq!(list_requests(&w.standin.stats()).len(), 3);

    // 3. A desired file with only a number resolves (and the report fills in the id).
    let line9 = &lives[9];
    assert_eq!(
        line9["provider"], "vapi",
        "the one provider that needs nothing else"
    );
    std::fs::remove_file(w.path("desired/line-9.yaml")).expect("rm");
    w.desired(
        "by-number.yaml",
        &format!(
            "provider: vapi\nnumber: \"{}\"\n",
            line9["number"].as_str().expect("n")
        ),
    );
    let run = w.check(
        &["-o", "json", "--unmanaged", "ignore", "--fetch", "list"],
        &env,
    );
    let report = run.json();
    let found = report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["source"]["file"] == "desired/by-number.yaml")
        .expect("the number-only document");
    assert_eq!(found["id"], synthetic_id(9));
    // It is found; the desired file declares less than live has, so it is modified.
    assert_eq!(found["status"], "MODIFIED", "{found}");

    // 4. A key of another org exits 1 and says which org it belongs to.
    let run = w.check(
        &["--expect-org", "00000000-1111-4000-8000-000000000000"],
        &env,
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains(&format!("the API key belongs to org {ORG}")),
        "{}",
        run.stderr
    );
}

/// An org of `n` synthetic numbers answering after 80 ms, and a desired file
/// declaring its last number only.
fn last_of_a_slow_org(n: usize) -> World {
    let lives = synthetic_numbers(n);
    let w = World::with_config(StandInConfig {
        api_key: KEY.into(),
        numbers: lives.clone(),
        latency: Duration::from_millis(80),
        ..StandInConfig::default()
    });
    w.desired("one.yaml", &desired_from(&lives[n - 1]));
    w
}

#[test]
fn pages_after_the_first_are_read_concurrently_within_the_bound() {
    let w = last_of_a_slow_org(4500);
    let run = w.check(
        &["--fetch", "list", "--concurrency", "2", "-o", "json"],
        &[],
    );
    assert_eq!(
        run.code, 0,
        "unmanaged numbers are reported, not drift: {}",
        run.stderr
    );
    let stats = w.standin.stats();
    let pages = list_requests(&stats);
    assert_eq!(pages.len(), 5, "{pages:?}");
    assert_eq!(
        pages[0].1, "page=1&limit=1000&sortOrder=ASC",
        "page 1 first"
    );
    let mut rest: Vec<&str> = pages[1..].iter().map(|(_, q)| q.as_str()).collect();
    rest.sort();
    assert_eq!(
        rest,
        [
            "page=2&limit=1000&sortOrder=ASC",
            "page=3&limit=1000&sortOrder=ASC",
            "page=4&limit=1000&sortOrder=ASC",
            "page=5&limit=1000&sortOrder=ASC"
        ]
    );
    assert_eq!(
        stats.peak_in_flight, 2,
        "concurrent, and within --concurrency"
    );
    let report = run.json();
    assert_eq!(report["summary"]["unmanaged"], 4499);
    assert!(get_requests(&stats).is_empty());
}

#[test]
fn at_most_4_pages_are_read_at_once_whatever_the_concurrency() {
    // Each page is ~0.65 MB held until its numbers are handed over: more pages in
    // flight than compares can use is memory, not speed.
    let w = last_of_a_slow_org(11_500);
    let run = w.check(
        &[
            "--fetch",
            "list",
            "--concurrency",
            "64",
            "--unmanaged",
            "ignore",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = w.standin.stats();
    assert_eq!(list_requests(&stats).len(), 12);
    assert_eq!(
        stats.peak_in_flight, 4,
        "11 pages after the first, 4 at once"
    );
}

#[test]
fn without_the_v2_route_the_v1_list_is_read_and_a_full_one_is_incomplete() {
    let lives = synthetic_numbers(5);
    let w = World::with_config(StandInConfig {
        api_key: KEY.into(),
        numbers: lives.clone(),
        v2_enabled: false,
        ..StandInConfig::default()
    });
    let docs: Vec<String> = lives.iter().map(desired_from).collect();
    w.desired("all.yaml", &docs.join("\n---\n"));
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["unmanaged_check"], "complete");
    assert_eq!(
        list_requests(&w.standin.stats()),
        [
            (
                "/v2/phone-number".to_string(),
                "page=1&limit=1000&sortOrder=ASC".to_string()
            ),
            ("/phone-number".to_string(), "limit=1000".to_string())
        ]
    );

    // 1,200 numbers: the v1 route returns the newest 1000 only.
    let lives = synthetic_numbers(1200);
    let w = World::with_config(StandInConfig {
        api_key: KEY.into(),
        numbers: lives.clone(),
        v2_enabled: false,
        ..StandInConfig::default()
    });
    w.desired("oldest.yaml", &desired_from(&lives[0]));
    w.desired(
        "oldest-by-number.yaml",
        &format!(
            "provider: vonage\nnumber: \"{}\"\ncredentialId: c\n",
            lives[1]["number"].as_str().expect("n")
        ),
    );
    let run = w.check(&["-o", "json"], &[]);
    let report = run.json();
    assert_eq!(report["unmanaged_check"], "incomplete", "{report}");
    assert!(
        report["unmanaged_check_reason"]
            .as_str()
            .expect("reason")
            .contains("returns at most 1000 numbers"),
        "{report}"
    );
    // The number the list lacks is read by GET: in sync, not missing.
    assert_eq!(
        number_report(&report, &synthetic_id(0))["status"],
        "IN_SYNC"
    );
    // The number-only one cannot be told missing from a list that may lack it.
    let by_number = report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["source"]["file"] == "desired/oldest-by-number.yaml")
        .expect("listed");
    assert_eq!(by_number["status"], "NOT_CHECKED", "{by_number}");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(get_requests(&w.standin.stats()), [synthetic_id(0)]);
}

#[test]
fn list_and_get_give_identical_reports() {
    let lives = synthetic_numbers(2500);
    let mut live_changed = lives[2100].clone();
    live_changed["fallbackDestination"]["number"] = json!("+14155550199");
    let w = World::new(lives.clone());
    w.standin.upsert(live_changed);
    let mut gone = lives[5].clone();
    gone["id"] = json!("00000000-0000-4000-8000-deadbeef0000");
    let docs = [
        desired_from(&lives[10]),
        desired_from(&lives[2100]),
        desired_from(&gone),
        desired_from(&lives[1999]),
    ];
    w.desired("some.yaml", &docs.join("\n---\n"));
    let list = w.check(
        &["--fetch", "list", "--unmanaged", "ignore", "-o", "json"],
        &[],
    );
    let get = w.check(
        &["--fetch", "get", "--unmanaged", "ignore", "-o", "json"],
        &[],
    );
    assert_eq!(list.code, 2, "{}", list.stderr);
    assert_eq!(get.code, 2);
    assert_eq!(list.stdout, get.stdout, "the same report byte for byte");
    let report = list.json();
    assert_eq!(
        statuses(&report)
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        ["IN_SYNC", "MODIFIED", "MISSING", "IN_SYNC"]
    );
    // With unmanaged numbers reported, only the unmanaged part differs.
    let mut list = w.check(&["--fetch", "list", "-o", "json"], &[]).json();
    let mut get = w.check(&["--fetch", "get", "-o", "json"], &[]).json();
    assert_eq!(list["unmanaged_check"], "complete");
    assert_eq!(list["summary"]["unmanaged"], 2497);
    assert_eq!(get["unmanaged_check"], "skipped");
    for r in [&mut list, &mut get] {
        let o = r.as_object_mut().expect("object");
        for k in ["unmanaged", "unmanaged_check", "unmanaged_check_reason"] {
            o.remove(k);
        }
        o["summary"]
            .as_object_mut()
            .expect("summary")
            .remove("unmanaged");
    }
    assert_eq!(list, get);
}

#[test]
fn auto_takes_the_route_with_fewer_requests() {
    let lives = synthetic_numbers(2500);
    let w = World::new(lives.clone());
    let ignore = ["--unmanaged", "ignore"];
    let counts = |docs: &[usize], extra: &[&str]| {
        let _ = std::fs::remove_dir_all(w.path("desired"));
        let text: Vec<String> = docs.iter().map(|i| desired_from(&lives[*i])).collect();
        w.desired("d.yaml", &text.join("\n---\n"));
        w.standin.reset_stats();
        let run = w.check(extra, &[]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let stats = w.standin.stats();
        (list_requests(&stats).len(), get_requests(&stats).len())
    };
    // One desired number: one GET.
    assert_eq!(counts(&[2400], &ignore), (0, 1));
    // Three on page 1 (oldest first): that page holds them all.
    assert_eq!(counts(&[1, 2, 3], &ignore), (1, 0));
    // Three on page 3: two more pages beat three GETs.
    assert_eq!(counts(&[2001, 2002, 2003], &ignore), (3, 0));
    // Two on page 3: two more pages or two GETs, a tie: the list wins ties.
    assert_eq!(counts(&[2001, 2002], &ignore), (3, 0));
    // Unmanaged numbers looked for (the default): the list.
    assert_eq!(counts(&[2400], &[]), (3, 0));
    // A desired number without an id: the list.
    let _ = std::fs::remove_dir_all(w.path("desired"));
    w.desired("n.yaml", &desired_without_id(&lives[2400]));
    w.standin.reset_stats();
    let run = w.check(&ignore, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(list_requests(&w.standin.stats()).len(), 3);

    // Five pages, two desired numbers on the last: page 1, then two GETs.
    let lives = synthetic_numbers(5000);
    let w = World::new(lives.clone());
    w.desired(
        "d.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&lives[4998]),
            desired_from(&lives[4999])
        ),
    );
    let run = w.check(&ignore, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = w.standin.stats();
    assert_eq!(list_requests(&stats).len(), 1);
    assert_eq!(get_requests(&stats).len(), 2);
}

#[test]
fn unmanaged_numbers_are_reported_allowed_or_fail_the_run() {
    let mine = [example("vonage"), example("telnyx")];
    let mut lives = mine.to_vec();
    lives.push(hand_made(1, "+12125550101"));
    lives.push(hand_made(2, "+14155550102"));
    let w = World::new(lives);
    w.desired(
        "mine.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&mine[0]),
            desired_from(&mine[1])
        ),
    );
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["status"], "in_sync");
    assert_eq!(report["summary"]["unmanaged"], 2);
    assert_eq!(
        report["unmanaged"][0],
        json!({"id": "99999999-0000-4000-8000-000000000001", "number": "+12125550101",
               "name": "Hand-made 1", "provider": "vonage", "created_at": "2026-09-01T10:00:00.000Z"})
    );
    let text = w.check(&[], &[]);
    assert!(
        text.stdout.contains(", 2 unmanaged (exit 0)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "UNMANAGED +12125550101 \"Hand-made 1\" (vonage, id 99999999-0000-4000-8000-000000000001, created 2026-09-01T10:00:00.000Z)"
        ),
        "{}",
        text.stdout
    );

    let run = w.check(&["--unmanaged", "fail", "-o", "json"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["status"], "drifted");
    // Allowed by a glob over the number, or by name: not unmanaged.
    let run = w.check(
        &[
            "--unmanaged",
            "fail",
            "--allow-unmanaged",
            "+1212*",
            "-o",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["unmanaged"][0]["number"], "+14155550102");
    let run = w.check(
        &[
            "--unmanaged",
            "fail",
            "--allow-unmanaged",
            "+1212*",
            "--allow-unmanaged",
            "hand-made 2",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    // The ignore file's `unmanaged:` list allows them the same way.
    std::fs::write(
        w.path(".vapi-drift-ignore.yaml"),
        "unmanaged: [\"+1212*\", \"99999999-0000-4000-8000-000000000002\"]\n",
    )
    .expect("write");
    let run = w.check(&["--unmanaged", "fail", "-o", "json"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["unmanaged"], json!([]));
    std::fs::remove_file(w.path(".vapi-drift-ignore.yaml")).expect("rm");
    // Out of scope is not unmanaged: --only selects the live numbers too.
    let run = w.check(
        &["--unmanaged", "fail", "--only", "+1202*", "-o", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["desired"], 0);
    let run = w.check(&["--unmanaged", "ignore", "-o", "json"], &[]);
    assert_eq!(run.json()["unmanaged_check"], "skipped");
    assert_eq!(run.json()["summary"]["unmanaged"], 0);
    // --unmanaged fail cannot be told by GETs.
    let run = w.check(&["--unmanaged", "fail", "--fetch", "get"], &[]);
    assert_eq!(run.code, 64, "{}", run.stderr);
}

#[test]
fn a_list_that_fails_leaves_every_number_not_checked_and_unmanaged_incomplete() {
    let w = World::new(vec![example("vonage"), hand_made(1, "+12125550101")]);
    w.desired("v.yaml", &desired_from(&example("vonage")));
    w.standin.inject_list(vec![
        Fault::Status {
            code: 503,
            retry_after: Some("0".into()),
        },
        Fault::Status {
            code: 503,
            retry_after: Some("0".into()),
        },
    ]);
    let run = w.check(&["--max-retries", "1", "-o", "json"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["numbers"][0]["status"], "NOT_CHECKED");
    let why = report["numbers"][0]["error"].as_str().expect("error");
    assert!(
        why.starts_with("the list of live numbers could not be read: HTTP 503"),
        "{why}"
    );
    assert_eq!(report["unmanaged_check"], "incomplete");
    assert_eq!(report["summary"]["unmanaged"], 0);
    let text = w.check(&[], &[]);
    assert_eq!(text.code, 0, "the faults are used up: {}", text.stdout);
}

/// The next list requests: page 1 of the 2,500 `lives` as the stand-in answers it,
/// then 500s (the other pages fail).
fn fail_the_list_after_page_1(w: &World, lives: &[Value]) {
    assert_eq!(lives.len(), 2500);
    let page_1 = json!({
        "results": &lives[..1000],
        "metadata": {"itemsPerPage": 1000, "totalItems": 2500, "currentPage": 1,
                     "totalPages": 3, "hasNextPage": true, "sortOrder": "ASC"},
    });
    let mut faults = vec![Fault::Raw {
        status: 200,
        headers: Vec::new(),
        body: page_1.to_string().into_bytes(),
    }];
    faults.extend(std::iter::repeat_n(Fault::status(500), 20));
    w.standin.inject_list(faults);
}

#[test]
fn when_auto_falls_back_to_gets_the_numbers_compared_from_page_1_are_not_read_again() {
    // Three pages; one desired number on page 1, three on page 3: `auto` reads
    // page 1, then the two other pages (fewer requests than three GETs). Those
    // fail: it falls back to GETs, for the page-3 numbers only. The page-1 number
    // was compared as its page arrived, and that compare (drift included) stands.
    let lives = synthetic_numbers(2500);
    let w = World::new(lives.clone());
    let mut drifted = lives[1].clone();
    drifted["name"] = json!("Renamed in git");
    let docs = [
        desired_from(&drifted),
        desired_from(&lives[2001]),
        desired_from(&lives[2002]),
        desired_from(&lives[2003]),
    ];
    w.desired("d.yaml", &docs.join("\n---\n"));
    fail_the_list_after_page_1(&w, &lives);
    let run = w.check(
        &["--unmanaged", "ignore", "--max-retries", "0", "-o", "json"],
        &[],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let status = |i: usize| number_report(&report, &synthetic_id(i))["status"].clone();
    assert_eq!(status(1), "MODIFIED", "{report:#}");
    for i in [2001, 2002, 2003] {
        assert_eq!(status(i), "IN_SYNC", "{report:#}");
    }
    let stats = w.standin.stats();
    let lists = list_requests(&stats);
    assert!(lists.len() >= 2, "page 1, then the rest failed: {lists:?}");
    let mut gets = get_requests(&stats);
    gets.sort();
    assert_eq!(
        gets,
        [synthetic_id(2001), synthetic_id(2002), synthetic_id(2003)]
    );
}

#[test]
fn a_document_without_an_id_is_found_by_number_or_sip_uri() {
    let twilio = example("twilio");
    let sip = example("vapi-sip");
    let w = World::new(vec![twilio.clone(), sip.clone(), example("vonage")]);
    let mut by_number: Value = serde_json::from_str(&desired_without_id(&twilio)).expect("j");
    by_number["number"] = json!("+1 (650) 555-0142");
    by_number["twilioAuthToken"] = json!("${TOKEN}");
    by_number["server"]["headers"]["Authorization"] = json!("${AUTH}");
    let mut by_uri: Value = serde_json::from_str(&desired_without_id(&sip)).expect("j");
    by_uri["sipUri"] = json!("SIP:Acme-Support@SIP.vapi.ai");
    by_uri["authentication"]["password"] = json!("${SIP_PASSWORD}");
    w.desired(
        "found.yaml",
        &format!(
            "{}\n---\n{}\n---\n{}",
            serde_json::to_string_pretty(&by_number).expect("j"),
            serde_json::to_string_pretty(&by_uri).expect("j"),
            "provider: telnyx\nname: Not there\nnumber: \"+13125550999\"\ncredentialId: c\n"
        ),
    );
    let env = [
        ("TOKEN", twilio["twilioAuthToken"].as_str().expect("t")),
        (
            "AUTH",
            twilio["server"]["headers"]["Authorization"]
                .as_str()
                .expect("a"),
        ),
        (
            "SIP_PASSWORD",
            sip["authentication"]["password"].as_str().expect("p"),
        ),
    ];
    let run = w.check(&["--unmanaged", "ignore", "-o", "json"], &env);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(
        statuses(&report),
        [
            (
                twilio["id"].as_str().expect("id").to_string(),
                "IN_SYNC".to_string()
            ),
            (
                sip["id"].as_str().expect("id").to_string(),
                "IN_SYNC".to_string()
            ),
            (String::new(), "MISSING".to_string()),
        ]
    );
    let text = w.check(&["--unmanaged", "ignore"], &env);
    assert!(
        text.stdout
            .contains("no live number has number \"+13125550999\""),
        "{}",
        text.stdout
    );
    // explain finds it the same way (through the list, not GET /phone-number/).
    let mut cmd = w.command();
    cmd.args([
        "explain",
        "Support line (Twilio)",
        "--base-url",
        &w.standin.base_url(),
    ])
    .env("VAPI_API_KEY", KEY);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = Run::from(cmd.output().expect("runs"));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "explain: Support line (Twilio) (twilio, id {})",
            twilio["id"].as_str().expect("id")
        )),
        "{}",
        run.stdout
    );
    // `--fetch get` cannot find a number without an id.
    let run = w.check(&["--fetch", "get"], &env);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("no \"id\": --fetch get reads numbers by id only"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_document_that_matches_two_live_numbers_or_one_already_claimed_is_an_error() {
    let first = example("vonage");
    let mut second = example("vonage");
    second["id"] = json!("8e7d6c5b-0000-4281-9f0e-1d2c3b4a5968");
    let w = World::new(vec![first.clone(), second.clone()]);
    w.desired("twice.yaml", &desired_without_id(&first));
    let run = w.check(&["-o", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    // The report is written all the same: the error, and the number not checked.
    let report = run.json();
    assert_eq!(report["status"], "error");
    assert_eq!(report["errors"][0]["file"], "desired/twice.yaml");
    assert_eq!(report["numbers"][0]["status"], "NOT_CHECKED");
    assert!(
        run.stderr.contains(&format!(
            "desired/twice.yaml:1:1: number \"+447700900123\" matches 2 live numbers ({}, {})",
            first["id"].as_str().expect("id"),
            second["id"].as_str().expect("id")
        )) || run.stderr.contains(&format!(
            "matches 2 live numbers ({}, {})",
            second["id"].as_str().expect("id"),
            first["id"].as_str().expect("id")
        )),
        "{}",
        run.stderr
    );
    // One live number, described by id in one file and by number in another.
    let w = World::new(vec![first.clone()]);
    w.desired("a.yaml", &desired_from(&first));
    w.desired("b.yaml", &desired_without_id(&first));
    let run = w.check(&[], &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("desired/b.yaml:1:1: number \"+447700900123\" is live number")
            && run
                .stderr
                .contains("which desired/a.yaml:1 already describes by id"),
        "{}",
        run.stderr
    );
    // Nothing to find it by: a config error before any request.
    w.desired("c.yaml", "provider: vapi\nname: nothing\n");
    let run = Run::from(w.command().args(["validate"]).output().expect("runs"));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("desired/c.yaml:1:1: no \"id\", and no \"number\" or \"sipUri\""),
        "{}",
        run.stderr
    );
}

#[test]
fn selectors_choose_the_numbers_and_the_others_are_not_fetched() {
    let lives: Vec<Value> = PROVIDERS.iter().map(|p| example(p)).collect();
    let w = World::new(lives.clone());
    w.desired("phones.yaml", &desired_from(&lives[1]));
    w.desired(
        "more/rest.yaml",
        &[0, 2, 3, 4, 5]
            .iter()
            .map(|i| desired_from(&lives[*i]))
            .collect::<Vec<_>>()
            .join("\n---\n"),
    );
    let id = |i: usize| lives[i]["id"].as_str().expect("id").to_string();
    let only = |args: &[&str]| {
        w.standin.reset_stats();
        let mut all = vec!["--fetch", "get", "-o", "json"];
        all.extend_from_slice(args);
        let run = w.check(&all, &[]);
        let report = run.json();
        let audited: Vec<String> = statuses(&report).into_iter().map(|(i, _)| i).collect();
        let mut fetched = get_requests(&w.standin.stats());
        fetched.sort();
        let mut want = audited.clone();
        want.sort();
        assert_eq!(fetched, want, "exactly the selected numbers were fetched");
        audited
    };
    // By name (case-insensitive), by number, by id, by file.
    assert_eq!(only(&["--only", "*vonage*"]), [id(2)]);
    assert_eq!(only(&["--only", "+1312*"]), [id(5)]);
    assert_eq!(only(&["--only", &id(0)]), [id(0)]);
    assert_eq!(only(&["--only", "phones.yaml"]), [id(1)]);
    assert_eq!(
        only(&["--only", "desired/more/*.yaml", "--exclude", "*vapi*"]),
        [id(0), id(2), id(5)]
    );
    // Selecting no desired number at all is a usage error, not "0 numbers, in sync".
    w.standin.reset_stats();
    let run = w.check(&["--fetch", "get", "--exclude", "desired/**"], &[]);
    assert_eq!(run.code, 64, "{}", run.stderr);
    assert_eq!(w.standin.stats().requests.len(), 0);
}

#[test]
fn export_round_trips_for_every_provider_without_writing_a_secret() {
    let mut lives: Vec<Value> = PROVIDERS.iter().map(|p| example(p)).collect();
    // Secrets in every place they can be: Twilio credentials, webhook headers,
    // SIP headers (fallback and hook destinations), the SIP password.
    lives[1]["twilioApiKey"] = json!("SK-secret-key-0001");
    lives[1]["twilioApiSecret"] = json!("secret-api-secret-0002");
    lives[0]["fallbackDestination"]["sipHeaders"]["X-Token"] = json!("sip-header-secret-0003");
    lives[2]["server"]["headers"] = json!({"X-Api-Key": "vonage-hook-secret-0004"});
    let w = World::new(lives.clone());
    let run = export(&w, &["--out", "exported"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let files = yaml_files(&w.path("exported"));
    assert_eq!(
        files,
        [
            "chicago-office-telnyx.yaml",
            "free-vapi-number.yaml",
            "hq-sip-trunk-main-line.yaml",
            "sip-entry-vapi.yaml",
            "support-line-twilio.yaml",
            "uk-sales-vonage.yaml"
        ]
    );
    let vars = variables(&run, &w, &lives);
    let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "VAPI_DRIFT_TWILIO_AUTH_TOKEN",
        "VAPI_DRIFT_TWILIO_API_KEY",
        "VAPI_DRIFT_SERVER_AUTHORIZATION",
        "VAPI_DRIFT_SIP_X_TOKEN",
        "VAPI_DRIFT_AUTHENTICATION_PASSWORD",
        "VAPI_DRIFT_SERVER_X_API_KEY",
    ] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    // Not one secret value in a file or in what export printed (short values are
    // left out of the search: they could be part of something else).
    let secrets: Vec<&str> = vars
        .iter()
        .map(|(_, v)| v.as_str())
        .filter(|v| v.len() >= 8)
        .collect();
    assert!(secrets.contains(&"sip-header-secret-0003"));
    for file in &files {
        let text = std::fs::read_to_string(w.path("exported").join(file)).expect("read");
        for secret in &secrets {
            assert!(!text.contains(secret), "{file} holds a secret:\n{text}");
        }
        assert!(
            text.starts_with("# yaml-language-server: $schema=https://"),
            "{text}"
        );
    }
    for secret in &secrets {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    // The twilio file, as a person reads it: keys in the readable order.
    let twilio = std::fs::read_to_string(w.path("exported/support-line-twilio.yaml")).expect("r");
    let keys: Vec<&str> = twilio
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '-']))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "provider",
            "number",
            "name",
            "squadId",
            "hooks",
            "server",
            "twilioAccountSid",
            "twilioAuthToken",
            "twilioApiKey",
            "twilioApiSecret"
        ],
        "{twilio}"
    );
    assert!(!twilio.contains("smsEnabled"), "a default is left out");
    assert!(!twilio.contains("orgId") && !twilio.contains("createdAt"));

    // check on the exported folder, with the variables set: every number in sync.
    let env: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let run = w.check(&["exported", "--unmanaged", "fail", "-o", "json"], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let mut providers: Vec<&str> = report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .map(|n| {
            assert_eq!(n["status"], "IN_SYNC", "{n}");
            n["provider"].as_str().expect("provider")
        })
        .collect();
    providers.sort();
    assert_eq!(
        providers,
        [
            "byo-phone-number",
            "telnyx",
            "twilio",
            "vapi",
            "vapi",
            "vonage"
        ]
    );
    // Without the variables, check names the first one missing.
    let run = w.check(&["exported"], &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("environment variable VAPI_DRIFT_"),
        "{}",
        run.stderr
    );
}

/// A token in a webhook URL's query (`?token=…`) is a secret: export writes a
/// `${VAR}` in its place, never the value, and `check` with the variable set is in sync.
#[test]
fn export_turns_a_credential_in_a_url_query_into_a_variable() {
    let token = "qTk8v2Lx9pZr4sYw7nBc";
    let mut live = hand_made(7, "+14155550177");
    live["server"] =
        json!({"url": format!("https://hooks.example.com/vapi?tenant=acme&token={token}")});
    let w = World::new(vec![live]);
    let run = export(&w, &["--out", "desired"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains(token) && !run.stderr.contains(token));
    let dir = w.path("desired");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).expect("ls") {
        let path = entry.expect("entry").path();
        text.push_str(&std::fs::read_to_string(&path).expect("read"));
    }
    assert!(!text.contains(token), "a secret was written:\n{text}");
    let var = text
        .split("token=${")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or_else(|| panic!("no ${{VAR}} for the token:\n{text}"))
        .to_string();
    assert!(text.contains("?tenant=acme&token=${"), "{text}");
    let check = w.check(&["desired", "-o", "json"], &[(var.as_str(), token)]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(!check.stdout.contains(token));
}

#[test]
fn export_never_overwrites_without_force_and_writes_nothing_then() {
    let lives = vec![example("vonage"), example("telnyx"), example("vapi-pstn")];
    let w = World::new(lives.clone());
    // The vonage number's own file, as a team left it.
    let mine = format!("# mine\n{}", desired_from(&lives[0]));
    w.desired("uk-sales-vonage.yaml", &mine);
    let run = export(&w, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("error: desired/uk-sales-vonage.yaml exists already"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(yaml_files(&w.path("desired")), ["uk-sales-vonage.yaml"]);
    assert_eq!(
        std::fs::read_to_string(w.path("desired/uk-sales-vonage.yaml")).expect("r"),
        mine
    );
    let run = export(&w, &["--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(yaml_files(&w.path("desired")).len(), 3);
    assert!(
        std::fs::read_to_string(w.path("desired/uk-sales-vonage.yaml"))
            .expect("r")
            .contains("provider: vonage")
    );
    // --only picks the live numbers written; the names are stable run to run.
    let run = export(&w, &["--out", "only", "--only", "*telnyx*"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(yaml_files(&w.path("only")), ["chicago-office-telnyx.yaml"]);
    let first = std::fs::read_to_string(w.path("only/chicago-office-telnyx.yaml")).expect("r");
    let run = export(&w, &["--out", "only", "--only", "*telnyx*", "--force"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        std::fs::read_to_string(w.path("only/chicago-office-telnyx.yaml")).expect("r"),
        first
    );
}

/// Regression (issue 12): `export --force --only` after a number was renamed wrote
/// a second file with the same id, and an export beside other numbers' files said
/// nothing of them (or overwrote one that happened to share a name).
#[test]
fn export_into_a_folder_with_other_files_says_so_and_never_duplicates_an_id() {
    let mut lives = vec![example("vonage"), example("telnyx")];
    let w = World::new(lives.clone());
    assert_eq!(export(&w, &[]).code, 0);
    // Renamed in the dashboard: a new name would give a new file name.
    lives[1]["name"] = json!("Chicago HQ");
    w.standin.upsert(lives[1].clone());
    // Someone else's number in a file that the new name would have taken.
    w.desired(
        "chicago-hq.yaml",
        "id: 0c0c0c0c-0000-4000-8000-000000000000\nprovider: vapi\nname: Chicago HQ\n",
    );
    let run = export(&w, &["--only", "*chicago*"]);
    assert_eq!(run.code, 1, "without --force the number's own file is kept");
    assert!(
        run.stderr
            .contains("desired/chicago-office-telnyx.yaml exists already"),
        "{}",
        run.stderr
    );
    let run = export(&w, &["--only", "*chicago*", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "note: desired already holds 2 other desired files (2 phone numbers) that this export does not write"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        yaml_files(&w.path("desired")),
        [
            "chicago-hq.yaml",
            "chicago-office-telnyx.yaml",
            "uk-sales-vonage.yaml"
        ]
    );
    let rewritten =
        std::fs::read_to_string(w.path("desired/chicago-office-telnyx.yaml")).expect("r");
    assert!(rewritten.contains("name: Chicago HQ"), "{rewritten}");
    let other = std::fs::read_to_string(w.path("desired/chicago-hq.yaml")).expect("r");
    assert!(
        other.contains("provider: vapi"),
        "another number's file is left alone"
    );
    // validate sees no duplicate id.
    let mut cmd = w.command();
    let run = Run::from(
        cmd.args(["validate", "--allow-unset-env"])
            .output()
            .expect("runs"),
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // A number described in a file together with others is not split silently.
    std::fs::remove_file(w.path("desired/chicago-office-telnyx.yaml")).expect("rm");
    let both = format!(
        "{}\n---\n{}",
        desired_from(&lives[1]),
        "id: 0d0d0d0d-0000-4000-8000-000000000000\nprovider: vapi\n"
    );
    w.desired("together.yaml", &both);
    let run = export(&w, &["--only", "*chicago*", "--force"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("is described in desired/together.yaml with 1 other numbers"),
        "{}",
        run.stderr
    );
    // Flags export does not have are refused, never accepted and ignored.
    let run = export(&w, &["--deadline", "10s"]);
    assert_eq!(run.code, 64, "{}", run.stderr);
}

#[test]
fn the_org_guard_stops_a_key_of_another_org() {
    let lives = vec![example("vonage"), example("telnyx")];
    let w = World::new(lives.clone());
    w.desired(
        "a.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&lives[0]),
            desired_from(&lives[1])
        ),
    );
    let other = "0a0a0a0a-0000-4000-8000-000000000000";
    // The list: the first number of another org stops the run.
    let run = w.check(&["--expect-org", other, "-o", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["status"], "error");
    assert!(
        report["error"]
            .as_str()
            .expect("error")
            .starts_with(&format!(
                "the API key belongs to org {ORG}, not to the expected org {other}"
            )),
        "{report}"
    );
    assert!(statuses(&report).iter().all(|(_, s)| s == "NOT_CHECKED"));
    // The same from the environment, and the right org passes.
    let run = w.check(&[], &[("VAPI_ORG_ID", other)]);
    assert_eq!(run.code, 1);
    assert_eq!(w.check(&["--expect-org", ORG], &[]).code, 0);
    // By GET: every desired number 404s under a key of another org; one listed
    // number says whose the key is.
    let mut foreign: Vec<Value> = lives.clone();
    for (i, n) in foreign.iter_mut().enumerate() {
        n["id"] = json!(format!("0b0b0b0b-0000-4000-8000-00000000000{i}"));
    }
    let w = World::new(foreign);
    w.desired(
        "a.yaml",
        &format!(
            "{}\n---\n{}",
            desired_from(&lives[0]),
            desired_from(&lives[1])
        ),
    );
    let run = w.check(
        &["--fetch", "get", "--expect-org", other, "-o", "json"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains(&format!("the API key belongs to org {ORG}")),
        "{}",
        run.stderr
    );
    let listed = list_requests(&w.standin.stats());
    assert_eq!(
        listed,
        [(
            "/v2/phone-number".to_string(),
            "page=1&limit=1&sortOrder=ASC".to_string()
        )]
    );
    // Without --expect-org that is drift (missing), as before.
    assert_eq!(w.check(&["--fetch", "get"], &[]).code, 2);
    // Export refuses too, and writes nothing.
    let run = export(&w, &["--expect-org", other]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("belongs to org"), "{}", run.stderr);
    assert!(!w.path("desired/uk-sales-vonage.yaml").exists());
}

/// What a person reads: the text report with numbers found by number and
/// unmanaged numbers, and an exported file with what export printed.
#[test]
fn snapshots_of_the_unmanaged_section_and_of_an_exported_file() {
    let vonage = example("vonage");
    let telnyx = example("telnyx");
    let w = World::new(vec![
        vonage.clone(),
        telnyx.clone(),
        hand_made(1, "+12125550101"),
        hand_made(2, "+14155550102"),
    ]);
    w.desired("vonage.yaml", &desired_from(&vonage));
    w.desired("found.yaml", &desired_without_id(&telnyx));
    w.desired(
        "gone.yaml",
        "provider: vonage\nname: Gone\nnumber: \"+1 (415) 555-0999\"\ncredentialId: c\n",
    );
    let run = w.check(&["--unmanaged", "fail"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!("text_report_with_unmanaged_numbers", run.stdout);

    let mut twilio = example("twilio");
    twilio["fallbackDestination"] = json!({"type": "sip", "sipUri": "sip:desk@pbx.example.com",
        "sipHeaders": {"X-Token": "sip-secret-value"}, "transferPlan": {"mode": "blind-transfer"}});
    let w = World::new(vec![twilio]);
    let run = export(&w, &["--only", "+1650*"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = std::fs::read_to_string(w.path("desired/support-line-twilio.yaml")).expect("r");
    insta::assert_snapshot!("exported_twilio_file", file);
    insta::assert_snapshot!("export_output", run.stdout);
}

#[test]
fn a_number_compared_before_a_config_error_keeps_its_declared_id_in_the_text_report() {
    // a.yaml names the live number by id (compared as the list is read, in sync),
    // b.yaml finds the same number by its number: a config error after the
    // listing. Every number is reported NOT_CHECKED; a.yaml's has its own "id".
    let first = example("vonage");
    let w = World::new(vec![first.clone()]);
    w.desired("a.yaml", &desired_from(&first));
    w.desired("b.yaml", &desired_without_id(&first));
    let run = w.check(&["--fetch", "list"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let id = first["id"].as_str().expect("id");
    assert!(
        !run.stdout
            .contains(&format!("id {id}, found by its number) desired/a.yaml")),
        "a.yaml declares its id:\n{}",
        run.stdout
    );
}

#[test]
fn a_number_compared_before_the_list_failed_keeps_its_declared_id_in_the_text_report() {
    // --fetch list: page 1 arrives (the number on it is compared, in sync), the
    // other pages fail. Every number is NOT_CHECKED; the text report should still
    // say the page-1 number's id is its own, not "found by its number".
    let lives = synthetic_numbers(2500);
    let w = World::new(lives.clone());
    w.desired("d.yaml", &desired_from(&lives[1]));
    fail_the_list_after_page_1(&w, &lives);
    let run = w.check(
        &[
            "--fetch",
            "list",
            "--unmanaged",
            "ignore",
            "--max-retries",
            "0",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains("found by its number"),
        "d.yaml declares its id:\n{}",
        run.stdout
    );
}
