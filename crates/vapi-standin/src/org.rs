//! The orgs the stand-in serves.
//!
//! The demo's sample org: live numbers for all five providers, some with deliberate
//! drift (a rotated webhook secret on the Twilio line, a hook added on the BYO line,
//! a changed fallback number on the Vonage line), one number made by hand that no
//! desired file claims (unmanaged), and the secrets that `desired/` reads through `${VAR}`.

use serde_json::Value;

const NUMBERS: &str = include_str!("demo_numbers.json");

/// The key the demo's stand-in accepts (not a real Vapi key).
pub const DEMO_API_KEY: &str = "demo-key-not-a-real-vapi-key";

/// The live numbers the demo's stand-in serves.
pub fn numbers() -> Vec<Value> {
    serde_json::from_str(NUMBERS).expect("the bundled demo numbers are a JSON array")
}

/// Demo values for the variables `desired/` interpolates. The process environment wins.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().or_else(|| {
        Some(
            match name {
                "TWILIO_AUTH_TOKEN" => "f0e1d2c3b4a5968778695a4b3c2d1e0f",
                "SUPPORT_WEBHOOK_TOKEN" => "demo-webhook-token-v1",
                "SIP_PASSWORD" => "Ex4mple-SIP-pass-not-real",
                _ => return None,
            }
            .to_string(),
        )
    })
}

/// The webhook token every synthetic number's server sends, but every hundredth
/// (a second token): an org whose numbers share their secrets, as real ones do.
pub const SYNTHETIC_WEBHOOK_TOKENS: [&str; 2] = [
    "Bearer synthetic-webhook-token-7f3a9c2e41",
    "Bearer synthetic-webhook-token-b81d05e6f2",
];

/// `n` synthetic live numbers, cycling through the five providers (benchmarks, stand-in).
/// Ids are stable: `00000000-0000-4000-8000-{i:012}`. Each has a webhook header
/// `Authorization` (one of [`SYNTHETIC_WEBHOOK_TOKENS`]) and `X-Tenant: acme`.
pub fn synthetic_numbers(n: usize) -> Vec<Value> {
    (0..n).map(synthetic_number).collect()
}

pub fn synthetic_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn synthetic_number(i: usize) -> Value {
    let id = synthetic_id(i);
    let created = format!("2026-01-01T00:00:{:02}.{:03}Z", (i / 1000) % 60, i % 1000);
    let number = format!("+1415{:07}", i % 10_000_000);
    let common = serde_json::json!({
        "id": id,
        "orgId": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
        "name": format!("Line {i}"),
        "assistantId": "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
        "status": "active",
        "createdAt": created,
        "updatedAt": created,
        "server": {"url": "https://hooks.example.com/vapi", "timeoutSeconds": 20,
            "headers": {"Authorization": SYNTHETIC_WEBHOOK_TOKENS[usize::from(i % 100 == 99)],
                        "X-Tenant": "acme"}},
        "fallbackDestination": {"type": "number", "number": "+14155550100",
            "transferPlan": {"mode": "blind-transfer"}},
    });
    let mut v = common;
    let obj = v.as_object_mut().expect("literal object");
    let extra = match i % 5 {
        0 => {
            serde_json::json!({"provider": "twilio", "number": number, "twilioAccountSid": "AC0123", "smsEnabled": true})
        }
        1 => {
            serde_json::json!({"provider": "vonage", "number": number, "credentialId": "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918"})
        }
        2 => {
            serde_json::json!({"provider": "telnyx", "number": number, "credentialId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"})
        }
        3 => {
            serde_json::json!({"provider": "byo-phone-number", "number": number, "numberE164CheckEnabled": true,
                                "credentialId": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"})
        }
        _ => {
            serde_json::json!({"provider": "vapi", "number": number, "sipUri": format!("sip:line-{i}@sip.vapi.ai")})
        }
    };
    for (k, val) in extra.as_object().expect("literal object") {
        obj.insert(k.clone(), val.clone());
    }
    v
}
