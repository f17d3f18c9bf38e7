//! Known vs new drift (`--baseline PREVIOUS.json`): the findings of this run matched
//! to those of an earlier JSON report, so a nightly job can fail only on what is new.
//!
//! Owns: reading a baseline (a JSON report of this `format_version`; its org, when it
//! names one, must be this run's), the key a finding is matched by (the number: its
//! `id`, else its number, else its lookup key (`sipUri "…"`); the path; the kind:
//! `NOT_EQUAL`, `ADD`, `REMOVE`, `MISSING`, `UNMANAGED`; and for a difference the
//! fingerprint of its values, so a value that changed again is new), and what each
//! finding gets: `first_seen` (carried over, or this run's time) and `new`. Findings
//! of the baseline this run did not find are `resolved` when this run looked (the
//! number was in scope and checked; the org's list was read whole), else
//! `unconfirmed`, and carried over to the next baseline.
//!
//! A baseline from a run that was incomplete carries over only what it saw: a number
//! it did not check has no findings in it, so this run's findings for that number are new.
//! A baseline written before fingerprints has none: its differences match nothing, so
//! they are new once (and the old ones resolved).
//!
//! Does not own: the report's schema (`report::json`), what `new` does to the exit
//! code (`exit`, `--fail-on new`).

use crate::finding::{Kind, Seen};
pub use crate::lookup::number_key;
use crate::model::{Audit, BaselineFinding, BaselineOutcome, NumberResult, Status, UnmanagedCheck};
use crate::report::json::FORMAT_VERSION;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The findings of an earlier report, by key.
#[derive(Debug, Clone)]
pub struct Baseline {
    file: String,
    /// The org the earlier run read, when it said.
    pub org: Option<String>,
    findings: HashMap<Key, Option<String>>,
}

/// (number, path, kind, fingerprint): a difference has a fingerprint of its values;
/// a missing or unmanaged number has none.
type Key = (String, String, String, Option<String>);

fn result_key(r: &NumberResult) -> String {
    number_key(&r.desired)
}

/// Which desired numbers this run left out (`--only`/`--exclude`), by baseline key:
/// their findings in the baseline are unconfirmed, not resolved.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Keys of desired numbers the selectors did not pick.
    pub left_out: HashSet<String>,
    /// Whether any selector was given (then live numbers were filtered too, and an
    /// unmanaged finding not seen again may just be out of scope).
    pub selective: bool,
}

/// The run's time as findings record it: RFC 3339, UTC, to the second.
/// `VAPI_DRIFT_NOW` (RFC 3339) stands in for the clock, for tests and reproducible reports.
pub fn now() -> Result<String, String> {
    match std::env::var("VAPI_DRIFT_NOW") {
        Ok(text) if !text.is_empty() => humantime::parse_rfc3339(&text)
            .map(|t| humantime::format_rfc3339_seconds(t).to_string())
            .map_err(|e| format!("VAPI_DRIFT_NOW=\"{text}\" is not an RFC 3339 time: {e}")),
        _ => Ok(humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()),
    }
}

impl Baseline {
    /// Reads a baseline file: exit 1 with the reason when it cannot be read, is not a
    /// JSON report, or is of another `format_version`.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {file}: {e}"))?;
        Baseline::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Baseline, String> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| format!("the baseline {file} is not a JSON report: {e}"))?;
        match doc.get("format_version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "the baseline {file} is a report of format_version {v}; this vapi-drift reads format_version {FORMAT_VERSION}"
                ));
            }
            None => {
                return Err(format!(
                    "the baseline {file} is not a vapi-drift JSON report (no format_version)"
                ));
            }
        }
        let numbers = doc
            .get("numbers")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("the baseline {file} has no \"numbers\" list"))?;
        let text_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let mut findings = HashMap::new();
        let mut add =
            |number: String, path: String, kind: String, print: Option<String>, v: &Value| {
                findings.insert((number, path, kind, print), text_of(v, "first_seen"));
            };
        let missing = Kind::Missing.word();
        let unmanaged = Kind::Unmanaged.word();
        for n in numbers {
            let source = n.get("source");
            // `key`: what this run matches the number by; a report written before it
            // had the id, else the number, else where it was declared.
            let key = text_of(n, "key")
                .or_else(|| text_of(n, "id"))
                .or_else(|| text_of(n, "number"))
                .unwrap_or_else(|| {
                    format!(
                        "{}:{}",
                        source
                            .and_then(|s| s.get("file"))
                            .and_then(Value::as_str)
                            .unwrap_or(""),
                        source
                            .and_then(|s| s.get("line"))
                            .and_then(Value::as_u64)
                            .unwrap_or(0)
                    )
                });
            if n.get("status").and_then(Value::as_str) == Some(missing) {
                add(key.clone(), String::new(), missing.into(), None, n);
            }
            for x in n
                .get("differences")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(path), Some(kind)) = (text_of(x, "path"), text_of(x, "type")) {
                    add(key.clone(), path, kind, text_of(x, "fingerprint"), x);
                }
            }
        }
        for u in doc
            .get("unmanaged")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = text_of(u, "id") {
                add(id, String::new(), unmanaged.into(), None, u);
            }
        }
        // What the earlier run carried over without confirming it.
        for c in doc
            .pointer("/baseline/unconfirmed")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(number), Some(path), Some(kind)) =
                (text_of(c, "number"), text_of(c, "path"), text_of(c, "type"))
            {
                add(number, path, kind, text_of(c, "fingerprint"), c);
            }
        }
        Ok(Baseline {
            file: file.to_string(),
            org: text_of(&doc, "org"),
            findings,
        })
    }

    /// Why this baseline cannot be used for a run that read `org`, if it cannot.
    pub fn org_mismatch(&self, org: Option<&str>) -> Option<String> {
        match (self.org.as_deref(), org) {
            (Some(was), Some(now)) if was != now => Some(format!(
                "the baseline {} comes from org {was}, and this run read org {now}",
                self.file
            )),
            _ => None,
        }
    }

    /// Marks every finding of the audit new or known, with its `first_seen`, and
    /// records what the baseline had that this run did not find.
    pub fn annotate(&self, audit: &mut Audit, now: &str, scope: &Scope) {
        let mut left = self.findings.clone();
        let (mut new, mut known) = (0, 0);
        let mut seen = |key: Key| {
            let s = match left.remove(&key) {
                Some(first_seen) => {
                    known += 1;
                    Seen {
                        first_seen,
                        new: false,
                    }
                }
                None => {
                    new += 1;
                    Seen {
                        first_seen: Some(now.to_string()),
                        new: true,
                    }
                }
            };
            Some(s)
        };
        let mut checked = HashMap::new();
        for r in &mut audit.results {
            let key = result_key(r);
            checked.insert(key.clone(), r.status != Status::NotChecked);
            if r.status == Status::Missing {
                r.seen = seen((
                    key.clone(),
                    String::new(),
                    Kind::Missing.word().into(),
                    None,
                ))
                .map(Box::new);
            }
            for x in &mut r.differences {
                let print = x.fingerprint();
                x.seen = seen((
                    key.clone(),
                    x.path.to_string(),
                    x.change.word().into(),
                    Some(print),
                ));
            }
        }
        for n in &mut audit.unmanaged.numbers {
            n.seen = seen((
                n.id.clone(),
                String::new(),
                Kind::Unmanaged.word().into(),
                None,
            ));
        }
        let list_whole = audit.unmanaged.check == UnmanagedCheck::Complete;
        let (mut resolved, mut unconfirmed) = (Vec::new(), Vec::new());
        for ((number, path, kind, fingerprint), first_seen) in left {
            let looked = if kind == Kind::Unmanaged.word() {
                list_whole && !scope.selective
            } else if scope.left_out.contains(&number) {
                // Desired, but this run did not select it: nobody looked.
                false
            } else {
                // A number no longer desired has no findings any more: resolved.
                checked.get(&number).copied().unwrap_or(true)
            };
            let f = BaselineFinding {
                number,
                path,
                kind,
                fingerprint,
                first_seen,
            };
            if looked {
                resolved.push(f);
            } else {
                unconfirmed.push(f);
            }
        }
        resolved.sort();
        unconfirmed.sort();
        audit.baseline = Some(BaselineOutcome {
            file: self.file.clone(),
            new,
            known,
            resolved,
            unconfirmed,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_of_another_version_or_no_report_is_refused() {
        let e = Baseline::parse("b.json", r#"{"format_version": 2, "numbers": []}"#)
            .expect_err("version 2");
        assert!(e.contains("format_version 2"), "{e}");
        let e = Baseline::parse("b.json", "{").expect_err("not JSON");
        assert!(e.contains("b.json is not a JSON report"), "{e}");
        let e = Baseline::parse("b.json", r#"{"numbers": []}"#).expect_err("no version");
        assert!(e.contains("no format_version"), "{e}");
    }

    #[test]
    fn findings_are_keyed_by_number_path_and_type() {
        let b = Baseline::parse(
            "b.json",
            r#"{"format_version": 1, "org": "o1",
                "numbers": [
                  {"id": "a", "number": "+1", "status": "MODIFIED", "source": {"file": "d.yaml", "line": 1},
                   "differences": [{"path": "/name", "type": "NOT_EQUAL", "first_seen": "2026-01-01T00:00:00Z"}]},
                  {"id": null, "number": "+2", "status": "MISSING", "source": {"file": "d.yaml", "line": 9}, "differences": []},
                  {"id": null, "number": null, "status": "NOT_CHECKED", "source": {"file": "d.yaml", "line": 20}, "differences": []}],
                "unmanaged": [{"id": "u1"}],
                "baseline": {"unconfirmed": [{"number": "z", "path": "/x", "type": "ADD", "first_seen": "2025-12-01T00:00:00Z"}]}}"#,
        )
        .expect("baseline");
        let key = |n: &str, p: &str, t: &str| (n.to_string(), p.to_string(), t.to_string(), None);
        assert_eq!(
            b.findings.get(&key("a", "/name", "NOT_EQUAL")),
            Some(&Some("2026-01-01T00:00:00Z".to_string()))
        );
        assert_eq!(b.findings.get(&key("+2", "", "MISSING")), Some(&None));
        assert!(b.findings.contains_key(&key("u1", "", "UNMANAGED")));
        assert!(b.findings.contains_key(&key("z", "/x", "ADD")));
        assert_eq!(b.findings.len(), 4);
        assert_eq!(b.org_mismatch(Some("o1")), None);
        assert_eq!(b.org_mismatch(None), None);
        assert!(
            b.org_mismatch(Some("o2"))
                .is_some_and(|e| e.contains("org o1") && e.contains("org o2"))
        );
    }
}
