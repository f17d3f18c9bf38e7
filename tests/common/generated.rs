//! Live phone numbers generated from the official (patched) schema: every
//! provider, every `oneOf` branch, optional fields present or not, and the odd
//! shapes the schema allows (header names that differ only by case, header values
//! that are not strings, a list item that is an empty mapping, text with `${`).
//!
//! Deterministic: a seed gives the same numbers on every machine (a small
//! xorshift generator; no dependency).

use serde_json::{Map, Value, json};
use vapi_drift::schema;

pub const PROVIDERS: [&str; 5] = ["byo-phone-number", "twilio", "vonage", "vapi", "telnyx"];

pub struct Gen {
    state: u64,
    /// Every optional property present, `oneOf` branch and enum value number
    /// `branch` (modulo their count): the schema walk's documents.
    full: Option<usize>,
}

fn resolve(mut s: &'static Value) -> &'static Value {
    loop {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            s = schema::definition(name).expect("the spec's $refs resolve");
        } else if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            s = only;
        } else {
            return s;
        }
    }
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            full: None,
        }
    }

    /// Every field present, branch `branch` of every union.
    pub fn full(branch: usize) -> Gen {
        Gen {
            state: 0x5EED ^ branch as u64 | 1,
            full: Some(branch),
        }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick(&mut self, n: usize) -> usize {
        match self.full {
            Some(b) => b % n.max(1),
            None => self.below(n),
        }
    }

    /// One live number of `provider`, as `GET /phone-number/{id}` returns it.
    pub fn live_number(&mut self, provider: &str, id: &str) -> Value {
        let name = schema::variant_schema(provider).expect("a provider");
        let root = schema::definition(name).expect("its schema");
        let mut v = self.object(root, "", 0);
        let obj = v.as_object_mut().expect("an object");
        for k in ["id", "orgId", "createdAt", "updatedAt", "status"] {
            obj.shift_remove(k);
        }
        obj.insert("provider".into(), json!(provider));
        let mut out = Map::new();
        out.insert("id".into(), json!(id));
        out.insert("orgId".into(), json!("org-generated"));
        out.extend(std::mem::take(obj));
        out.insert("createdAt".into(), json!("2026-01-02T03:04:05.000Z"));
        out.insert("updatedAt".into(), json!("2026-01-02T03:04:05.000Z"));
        out.insert("status".into(), json!("active"));
        Value::Object(out)
    }

    fn value(&mut self, s: &'static Value, key: &str, depth: usize) -> Value {
        let s = resolve(s);
        if let Some(branches) = s.get("oneOf").and_then(Value::as_array) {
            let i = self.pick(branches.len());
            return self.value(&branches[i], key, depth + 1);
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            let i = self.pick(values.len());
            return values[i].clone();
        }
        match s.get("type").and_then(Value::as_str) {
            Some("string") => json!(self.string(s, key)),
            Some("number" | "integer") => self.number(s),
            Some("boolean") => json!(if self.full.is_some() {
                key.len().is_multiple_of(2)
            } else {
                self.chance(50)
            }),
            Some("array") => {
                let n = if self.full.is_some() {
                    2
                } else {
                    self.below(3)
                };
                let n = n.min(s.get("maxItems").and_then(Value::as_u64).unwrap_or(9) as usize);
                let items = s.get("items").expect("arrays say their items");
                Value::Array((0..n).map(|_| self.value(items, key, depth + 1)).collect())
            }
            Some("object") => self.object(s, key, depth),
            _ => json!(self.string(s, key)),
        }
    }

    fn object(&mut self, s: &'static Value, key: &str, depth: usize) -> Value {
        let Some(props) = s.get("properties").and_then(Value::as_object) else {
            return self.free_form(key);
        };
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut out = Map::new();
        for (k, p) in props {
            let keep = required.contains(&k.as_str())
                || (depth < 8 && (self.full.is_some() || self.chance(45)));
            if keep {
                out.insert(k.clone(), self.value(p, k, depth + 1));
            }
        }
        Value::Object(out)
    }

    /// `type: object` without properties: header maps and summary messages.
    fn free_form(&mut self, key: &str) -> Value {
        match key {
            "headers" | "sipHeaders" => {
                let mut out = Map::new();
                let names = ["Authorization", "X-Api-Key", "X-Tenant", "x-trace"];
                let n = if self.full.is_some() {
                    2
                } else {
                    self.below(4)
                };
                for i in 0..n {
                    let name = names[self.below(names.len())];
                    out.insert(name.to_string(), self.header_value(i));
                }
                // The schema allows two names that differ only by case.
                if self.full.is_none() && self.chance(10) {
                    out.insert("X-Dup".into(), json!("upper"));
                    out.insert("x-dup".into(), json!("lower"));
                }
                Value::Object(out)
            }
            // summaryPlan.messages items: `{type: object}`; an empty one is allowed.
            _ => {
                if self.full.is_none() && self.chance(25) {
                    json!({})
                } else {
                    json!({"role": "system", "content": self.text(0, 30)})
                }
            }
        }
    }

    fn header_value(&mut self, i: usize) -> Value {
        if self.full.is_some() {
            return json!(format!("Bearer t{i}"));
        }
        match self.below(10) {
            0 => json!(self.below(100_000)),
            1 => json!(self.chance(50)),
            2 => json!({"nested": format!("v{}", self.below(99))}),
            _ => json!(format!("Bearer {}", self.text(1, 24))),
        }
    }

    fn number(&mut self, s: &Value) -> Value {
        let lo = s.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
        let hi = s.get("maximum").and_then(Value::as_f64).unwrap_or(1000.0);
        let span = (hi - lo).max(0.0);
        let whole = lo + (self.below(span as usize + 1) as f64).min(span);
        if self.full.is_none() && self.chance(20) && whole + 0.5 <= hi {
            json!(whole + 0.5)
        } else {
            json!(whole as i64)
        }
    }

    fn e164(&mut self) -> String {
        format!("+1415555{:04}", self.below(10_000))
    }

    fn string(&mut self, s: &Value, key: &str) -> String {
        let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = s.get("maxLength").and_then(Value::as_u64).unwrap_or(60) as usize;
        let text = match key {
            "number" | "callerId" => self.e164(),
            "sipUri" => format!("sip:user{}@sip.example.com", self.below(1000)),
            "url" | "holdAudioUrl" | "transferCompleteAudioUrl" => {
                format!("https://hooks.example.com/p{}?a=1", self.below(1000))
            }
            "numberDesiredAreaCode" => format!("{}", 200 + self.below(700)),
            "assistantId" | "squadId" | "workflowId" | "credentialId" => format!(
                "{:08x}-0000-4000-8000-{:012x}",
                self.next() as u32,
                self.next() & 0xFFFF_FFFF_FFFF
            ),
            "extension" => format!("{}", 1 + self.below(9999)),
            _ => self.text(min.max(1), max.min(40)),
        };
        let mut text: String = text.chars().take(max.max(1)).collect();
        while text.chars().count() < min {
            text.push('x');
        }
        text
    }

    /// Free text, with the characters YAML and interpolation care about.
    fn text(&mut self, min: usize, max: usize) -> String {
        const PIECES: [&str; 16] = [
            "a", "Z", "7", " ", "-", "_", ":", "#", "'", "\"", "${X}", "$", "é", "日", "yes",
            "0755",
        ];
        if self.full.is_some() {
            return "text".chars().take(max.max(min)).collect();
        }
        let n = min + self.below((max.max(min) - min) + 1);
        let mut out = String::new();
        while out.chars().count() < n {
            out.push_str(PIECES[self.below(PIECES.len())]);
        }
        let out: String = out.chars().take(max.max(min).max(1)).collect();
        out
    }
}
