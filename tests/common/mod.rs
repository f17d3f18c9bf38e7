//! Shared harness for the black-box tests: the real binary against the project's
//! API stand-in on loopback, desired files in a temporary folder.
#![allow(dead_code)]

pub mod generated;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use vapi_standin::{StandIn, StandInConfig};

pub const KEY: &str = "test-key-5f1d9c0b7e";

pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub standin: StandIn,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new(numbers: Vec<Value>) -> World {
        Self::with_config(StandInConfig {
            api_key: KEY.into(),
            numbers,
            ..StandInConfig::default()
        })
    }

    pub fn with_config(cfg: StandInConfig) -> World {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let standin = rt.block_on(StandIn::start(cfg)).expect("stand-in starts");
        World {
            rt,
            standin,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes a desired file under the temporary folder's `desired/`.
    pub fn desired(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join("desired").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write desired");
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `vapi-drift check` against the stand-in, in the temporary folder.
    pub fn check(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command();
        cmd.arg("check")
            .arg("--base-url")
            .arg(self.standin.base_url());
        cmd.args(args);
        cmd.env("VAPI_API_KEY", KEY);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("binary runs"))
    }

    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vapi-drift"));
        cmd.current_dir(self.dir.path());
        cmd.env_remove("VAPI_API_KEY")
            .env_remove("VAPI_BASE_URL")
            .env("NO_COLOR", "1");
        cmd
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A desired document written from a live object: server-managed fields dropped,
/// as JSON (which is YAML).
pub fn desired_from(live: &Value) -> String {
    let mut v = live.clone();
    for k in ["orgId", "createdAt", "updatedAt", "status"] {
        v.as_object_mut().expect("object").remove(k);
    }
    serde_json::to_string_pretty(&v).expect("json")
}

/// A stand-in serving `n` synthetic numbers (`demo::synthetic_numbers`) and a
/// desired file declaring them all; `tweak` sets latency, limits and the like.
pub fn synthetic_org(n: usize, tweak: impl FnOnce(&mut StandInConfig)) -> World {
    let lives = vapi_standin::org::synthetic_numbers(n);
    let mut cfg = StandInConfig {
        api_key: KEY.into(),
        numbers: lives.clone(),
        ..StandInConfig::default()
    };
    tweak(&mut cfg);
    let w = World::with_config(cfg);
    let docs: Vec<String> = lives.iter().map(desired_from).collect();
    w.desired("numbers.yaml", &docs.join("\n---\n"));
    w
}

/// One of the provider examples from `tests/fixtures/examples` (copies of shared/vapi/examples).
pub fn example(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/examples")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("json")
}

/// The status of each number in a JSON report, by id.
pub fn statuses(report: &Value) -> Vec<(String, String)> {
    report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap_or("").to_string(),
                n["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The number with this id in a JSON report.
pub fn number_in<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no number {id}"))
}

/// The (path, type) of each difference of the number with this id.
pub fn paths_of(report: &Value, id: &str) -> Vec<(String, String)> {
    difference_fields(report, id, ["path", "type"])
        .into_iter()
        .map(|[path, kind]| (path, kind))
        .collect()
}

/// These fields of each difference of the number with this id ("" when absent).
pub fn difference_fields<const N: usize>(
    report: &Value,
    id: &str,
    fields: [&str; N],
) -> Vec<[String; N]> {
    number_in(report, id)["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| fields.map(|f| d[f].as_str().unwrap_or("").to_string()))
        .collect()
}

/// Every leaf (a scalar) of a document: its JSON Pointer and its value.
pub fn leaves(doc: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(o) => o.iter().for_each(|(k, v)| {
                let k = k.replace('~', "~0").replace('/', "~1");
                walk(v, format!("{at}/{k}"), out)
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(v, format!("{at}/{i}"), out)),
            _ => out.push((at, v)),
        }
    }
    let mut out = Vec::new();
    walk(doc, String::new(), &mut out);
    out
}

/// `(VAR, pointer)` of every string leaf that is exactly `${VAR}`.
pub fn placeholders_in(doc: &Value) -> Vec<(String, String)> {
    leaves(doc)
        .into_iter()
        .filter_map(|(at, v)| {
            let name = v.as_str()?.strip_prefix("${")?.strip_suffix('}')?;
            Some((name.to_string(), at))
        })
        .collect()
}
