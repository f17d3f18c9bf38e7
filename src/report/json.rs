//! The JSON report: a versioned, documented schema (README "JSON report").
//! snake_case keys in a stable order; no timings or other run-to-run noise.

use super::Report;
use crate::diff::Difference;
use crate::finding::{Cause, Seen};
use crate::ignore::Rule;
use crate::model::NumberResult;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

pub const FORMAT_VERSION: u32 = 1;

/// Writes the report as it is made: each number's value lives only while it is written.
pub fn write(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut doc = Map::new();
    doc.insert("format_version".into(), json!(FORMAT_VERSION));
    doc.insert("status".into(), json!(report.outcome.status_word()));
    doc.insert("exit_code".into(), json!(report.exit_code.code()));
    let errors = report.run_errors();
    if let Some(first) = errors.first() {
        // The first error, as one line (kept from before `errors` was added).
        doc.insert("error".into(), json!(first.to_string()));
    }
    doc.insert("errors".into(), json!(errors));
    doc.insert("org".into(), json!(report.audit.org));
    doc.insert("summary".into(), json!(report.summary()));
    if let Some(d) = &report.audit.deployed {
        doc.insert(
            "deployed".into(),
            json!({"ref": d.reference, "commit": d.commit, "pending_deletions": d.removed}),
        );
    }
    if let Some(b) = &report.audit.baseline {
        doc.insert(
            "baseline".into(),
            json!({"file": b.file, "resolved": b.resolved, "unconfirmed": b.unconfirmed}),
        );
    }
    let rules = |rules: &[Rule]| -> Value {
        Value::Array(
            rules
                .iter()
                .map(|r| json!({"rule": r.id, "reason": r.reason, "expires": r.expires}))
                .collect(),
        )
    };
    doc.insert(
        "unused_ignore_rules".into(),
        rules(&report.audit.unused_rules),
    );
    doc.insert(
        "expired_ignore_rules".into(),
        rules(&report.audit.expired_rules),
    );
    let unmanaged = &report.audit.unmanaged;
    doc.insert("unmanaged_check".into(), json!(unmanaged.check.word()));
    if let Some(reason) = unmanaged.check.reason() {
        doc.insert("unmanaged_check_reason".into(), json!(reason));
    }
    let document = Document {
        head: doc,
        numbers: &report.audit.results,
        unmanaged: json!(unmanaged.numbers),
    };
    serde_json::to_writer_pretty(&mut *w, &document).map_err(std::io::Error::from)?;
    w.write_all(b"\n")
}

/// The report with its `numbers` written one at a time: each number's JSON value
/// lives only while it is written, instead of the whole list at once (at 10,000
/// numbers the list of values was the largest thing in memory at the end of a run).
struct Document<'a> {
    head: Map<String, Value>,
    numbers: &'a [Box<NumberResult>],
    unmanaged: Value,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.head.len() + 2))?;
        for (key, value) in &self.head {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry("numbers", &Numbers(self.numbers))?;
        map.serialize_entry("unmanaged", &self.unmanaged)?;
        map.end()
    }
}

struct Numbers<'a>(&'a [Box<NumberResult>]);

impl Serialize for Numbers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| number(r)))
    }
}

fn number(r: &NumberResult) -> Value {
    let d = &r.desired;
    let mut n = Map::new();
    n.insert("id".into(), json!(d.id));
    n.insert("key".into(), json!(crate::lookup::number_key(d)));
    n.insert("name".into(), json!(d.name));
    n.insert("number".into(), json!(d.number));
    n.insert("provider".into(), json!(d.provider));
    n.insert("source".into(), json!({"file": &*d.file, "line": d.line}));
    n.insert("status".into(), json!(r.status));
    finding(&mut n, r.cause, r.seen.as_deref());
    n.insert(
        "differences".into(),
        Value::Array(r.differences.iter().map(|x| difference(r, x)).collect()),
    );
    n.insert("diff".into(), json!(r.diff));
    n.insert(
        "unverifiable".into(),
        Value::Array(
            r.unverifiable
                .iter()
                .map(|p| json!(p.to_string()))
                .collect(),
        ),
    );
    n.insert(
        "ignored".into(),
        Value::Array(
            r.ignored
                .iter()
                .map(|i| json!({"path": i.path.to_string(), "rule": i.rule, "reason": i.reason}))
                .collect(),
        ),
    );
    n.insert("health".into(), json!(r.health));
    n.insert(
        "unknown_fields".into(),
        Value::Array(
            r.unknown_fields
                .iter()
                .map(|u| {
                    json!({"path": u.path.to_string(), "value": u.value, "sensitive": u.value.is_none()})
                })
                .collect(),
        ),
    );
    if let Some(e) = r.reason.as_ref().map(ToString::to_string) {
        n.insert("error".into(), json!(e));
    }
    Value::Object(n)
}

fn difference(r: &NumberResult, x: &Difference) -> Value {
    let mut d = json!({
        "path": x.path.to_string(),
        "type": x.change,
        "expected": x.expected_shown(),
        "actual": x.actual_shown(),
        "sensitive": x.sensitive,
        "fingerprint": x.fingerprint(),
        "line": r.line_of(x),
    });
    if let Value::Object(m) = &mut d {
        finding(m, x.cause, x.seen.as_ref());
    }
    d
}

/// `cause` (with `--deployed-ref`), `first_seen` and `new` (with `--baseline`), when set.
fn finding(m: &mut Map<String, Value>, cause: Option<Cause>, seen: Option<&Seen>) {
    if let Some(c) = cause {
        m.insert("cause".into(), json!(c));
    }
    if let Some(s) = seen {
        m.insert("first_seen".into(), json!(s.first_seen));
        m.insert("new".into(), json!(s.new));
    }
}
