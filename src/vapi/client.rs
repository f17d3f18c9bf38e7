//! The read-only Vapi client: one `reqwest::Client`, bearer auth, timeouts,
//! retries with backoff and jitter, `Retry-After`, and the classification of every
//! answer into a live number or a typed failure.
//!
//! Every attempt (first tries and retries, any route) first takes a token from
//! the optional [`RateLimit`] (`--rps`), and is counted in [`Client::requests_sent`].
//!
//! It only ever sends GET. The API key is held in [`ApiKey`] and scrubbed from
//! every message this module produces.

use crate::schema::PROVIDERS;
use crate::secret::ApiKey;
use crate::vapi::ratelimit::RateLimit;
use reqwest::{StatusCode, Url};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

pub const DEFAULT_BASE_URL: &str = "https://api.vapi.ai";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub api_key: ApiKey,
    /// Per request, body included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The longest single wait between attempts (a longer Retry-After is capped).
    pub max_retry_wait: Duration,
    /// The first backoff step; doubled on every retry, with jitter.
    pub retry_base: Duration,
}

/// Why a number could not be read. The caller branches on it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// 401/403: the key is wrong for this org or region. Stops the whole run.
    #[error("the API key was rejected (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// 404: the number does not exist (deleted, or another org's).
    #[error("not found (HTTP 404)")]
    NotFound,
    /// The answer was not a phone number.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// Gave up: a non-retryable error, or retries exhausted.
    #[error("{0}")]
    Failed(String),
    /// Gave up on an API that did not answer at all (DNS, connection refused or
    /// reset before any answer), after the retries.
    #[error("cannot reach the Vapi API at {base_url}: {detail}")]
    Unreachable { base_url: String, detail: String },
}

/// Base URL problems are setup errors (exit 1).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("invalid base URL \"{0}\"")]
    Invalid(String),
    #[error(
        "refusing to send the API key over plain http to \"{0}\": use https (plain http is allowed for loopback only)"
    )]
    PlainHttp(String),
}

/// Parses and checks the base URL: https, or http to a loopback host only.
pub fn parse_base_url(text: &str) -> Result<Url, BaseUrlError> {
    let url =
        Url::parse(text.trim_end_matches('/')).map_err(|_| BaseUrlError::Invalid(text.into()))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(BaseUrlError::PlainHttp(text.into()));
            }
        }
        _ => return Err(BaseUrlError::Invalid(text.into())),
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(BaseUrlError::Invalid(text.into()));
    }
    Ok(url)
}

pub struct Client {
    http: reqwest::Client,
    base: Url,
    cfg: ClientConfig,
    /// `--rps`: every attempt waits for a token first.
    limiter: Option<RateLimit>,
    /// Attempts sent (retries included).
    sent: AtomicU64,
    /// Attempts the API answered (any HTTP status).
    answered: AtomicU64,
}

/// A successful answer's body, not parsed yet.
pub struct Body {
    pub bytes: Vec<u8>,
    /// The `Content-Type` header ("" when absent or not text).
    pub content_type: String,
}

impl Body {
    /// The body as one JSON document.
    pub fn json(&self) -> Result<Value, FetchError> {
        serde_json::from_slice::<Value>(&self.bytes).map_err(|e| self.malformed(&e))
    }

    /// Why the body (or a part of it) is not JSON, with the content type.
    pub fn malformed(&self, e: &serde_json::Error) -> FetchError {
        let kind = if self.content_type.is_empty() {
            String::new()
        } else {
            format!(" (content-type {})", self.content_type)
        };
        FetchError::Malformed(format!("body is not valid JSON{kind}: {e}"))
    }
}

/// What one attempt came to.
enum Attempt {
    Done(Result<Body, FetchError>),
    Retry {
        reason: String,
        wait: Option<Duration>,
        /// No answer at all: the connection could not be made.
        unanswered: bool,
    },
}

impl Client {
    pub fn new(cfg: ClientConfig) -> anyhow::Result<Client> {
        let base = parse_base_url(&cfg.base_url)?;
        // reqwest is built without a crypto provider of its own (no aws-lc-sys, no
        // cmake): ring's is the process default. `Err` means one is installed
        // already (a second client in the same process), which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("vapi-drift/", env!("CARGO_PKG_VERSION")))
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Client {
            http,
            base,
            cfg,
            limiter: None,
            sent: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        })
    }

    /// Sends at most this many requests per second (retries included).
    pub fn with_rate_limit(mut self, limiter: Option<RateLimit>) -> Client {
        self.limiter = limiter;
        self
    }

    /// How many requests were sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// How many requests the API answered so far (any status): none means it
    /// could not be reached at all.
    pub fn responses_received(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked: the base URL can be a base")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// `GET /phone-number/{id}`, with retries.
    pub async fn get_phone_number(&self, id: &str) -> Result<Value, FetchError> {
        let url = self.url(&["phone-number", id]);
        let body = self.get_json(url).await?;
        check_phone_number(&body, Some(id))?;
        Ok(body)
    }

    /// GET a JSON document, retrying 429, 5xx, 408, timeouts and connection errors.
    pub async fn get_json(&self, url: Url) -> Result<Value, FetchError> {
        self.get_body(url).await?.json()
    }

    /// GET a successful body, retrying as [`Client::get_json`] does; not parsed.
    pub async fn get_body(&self, url: Url) -> Result<Body, FetchError> {
        let mut attempt: u32 = 0;
        loop {
            match self.attempt(url.clone()).await {
                Attempt::Done(result) => return result,
                Attempt::Retry {
                    reason,
                    wait,
                    unanswered,
                } => {
                    if attempt >= self.cfg.max_retries {
                        let tries = attempt + 1;
                        let plural = if tries == 1 { "" } else { "s" };
                        let detail = format!("{reason} (gave up after {tries} attempt{plural})");
                        return Err(if unanswered {
                            FetchError::Unreachable {
                                base_url: self.base.as_str().trim_end_matches('/').to_string(),
                                detail,
                            }
                        } else {
                            FetchError::Failed(detail)
                        });
                    }
                    let wait =
                        retry_wait(wait, self.cfg.retry_base, attempt, self.cfg.max_retry_wait);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, url: Url) -> Attempt {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let response = match self
            .http
            .get(url)
            .bearer_auth(self.cfg.api_key.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    reason: self.describe(&e),
                    wait: None,
                    unanswered: e.is_connect(),
                };
            }
        };
        self.answered.fetch_add(1, Ordering::Relaxed);
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Retry {
                    reason: format!("reading the response failed: {}", self.describe(&e)),
                    wait: None,
                    unanswered: false,
                };
            }
        };
        if status.is_success() {
            return Attempt::Done(Ok(Body {
                bytes: bytes.to_vec(),
                content_type,
            }));
        }
        let message = self.scrub(&error_message(&bytes));
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                Attempt::Done(Err(FetchError::Unauthorized {
                    status: status.as_u16(),
                    message,
                }))
            }
            StatusCode::NOT_FOUND => Attempt::Done(Err(FetchError::NotFound)),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => Attempt::Retry {
                reason: format!("HTTP {}: {message}", status.as_u16()),
                wait: retry_after,
                unanswered: false,
            },
            s if s.is_server_error() => Attempt::Retry {
                reason: format!("HTTP {}: {message}", s.as_u16()),
                wait: retry_after,
                unanswered: false,
            },
            s => Attempt::Done(Err(FetchError::Failed(format!(
                "HTTP {}: {message}",
                s.as_u16()
            )))),
        }
    }

    /// A transport error in words, without the URL's query or anything secret.
    fn describe(&self, e: &reqwest::Error) -> String {
        let what = if e.is_timeout() {
            format!("timed out after {}s", self.cfg.timeout.as_secs_f64())
        } else if e.is_connect() {
            "could not connect".to_string()
        } else if e.is_body() || e.is_decode() {
            "the response body was cut off".to_string()
        } else {
            "request failed".to_string()
        };
        let mut source = std::error::Error::source(e);
        let mut detail = String::new();
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        let text = if detail.is_empty() {
            what
        } else {
            format!("{what}: {detail}")
        };
        self.scrub(&text)
    }

    fn scrub(&self, text: &str) -> String {
        let key = self.cfg.api_key.expose();
        if key.is_empty() {
            text.to_string()
        } else {
            text.replace(key, crate::secret::MASK)
        }
    }
}

/// Checks that a body is a phone number (an object with a known provider), and,
/// when asked for one id, that it is that number.
pub fn check_phone_number(body: &Value, id: Option<&str>) -> Result<(), FetchError> {
    let Some(obj) = body.as_object() else {
        let kind = match body {
            Value::Array(_) => "a list",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Null => "null",
            Value::Object(_) => "an object",
        };
        return Err(FetchError::Malformed(format!(
            "expected a phone-number object, got {kind}"
        )));
    };
    match obj.get("provider").and_then(Value::as_str) {
        Some(p) if PROVIDERS.contains(&p) => {}
        Some(p) => {
            return Err(FetchError::Malformed(format!("unknown provider \"{p}\"")));
        }
        None => {
            return Err(FetchError::Malformed(
                "phone number without a \"provider\"".into(),
            ));
        }
    }
    if let Some(want) = id
        && let Some(got) = obj.get("id").and_then(Value::as_str)
        && got != want
    {
        return Err(FetchError::Malformed(format!(
            "asked for id \"{want}\", answered with id \"{got}\""
        )));
    }
    Ok(())
}

/// The NestJS error body's `message` (string, or list joined with "; "), else a short raw body.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        match v.get("message") {
            Some(Value::String(s)) => return s.clone(),
            Some(Value::Array(items)) => {
                return items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("; ");
            }
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty body)".into()
    } else {
        let short: String = text.chars().take(200).collect();
        short.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>()
        && secs >= 0.0
    {
        // Longer than a `Duration` holds (`1e20`, `inf`): the longest wait there is,
        // which `--max-retry-wait` then caps. Never `from_secs_f64`, which panics.
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The wait before retry number `attempt + 1`: what `Retry-After` said if the
/// server said it, else exponential backoff with jitter; never more than `cap`.
pub fn retry_wait(
    retry_after: Option<Duration>,
    base: Duration,
    attempt: u32,
    cap: Duration,
) -> Duration {
    retry_after
        .unwrap_or_else(|| backoff(base, attempt))
        .min(cap)
}

/// Exponential backoff with jitter: a random wait in [d/2, d], d = base * 2^attempt.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let full = base.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    let half = full / 2;
    half + full.mul_f64(fastrand::f64() * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base_url_refuses_plain_http_off_loopback() {
        assert!(parse_base_url("https://api.vapi.ai").is_ok());
        assert!(parse_base_url("https://api.eu.vapi.ai/").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:1").is_ok());
        assert!(parse_base_url("http://[::1]:1").is_ok());
        assert_eq!(
            parse_base_url("http://api.vapi.ai"),
            Err(BaseUrlError::PlainHttp("http://api.vapi.ai".into()))
        );
        assert!(matches!(
            parse_base_url("ftp://x"),
            Err(BaseUrlError::Invalid(_))
        ));
        assert!(matches!(
            parse_base_url("not a url"),
            Err(BaseUrlError::Invalid(_))
        ));
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        let soon = SystemTime::now() + Duration::from_secs(30);
        let parsed = parse_retry_after(&httpdate::fmt_http_date(soon)).expect("date parses");
        assert!(
            parsed <= Duration::from_secs(30) && parsed >= Duration::from_secs(28),
            "{parsed:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        // Regression (issue 10, item 20): these panicked in `Duration::from_secs_f64`.
        for huge in ["1e20", "1e400", "inf", "18446744073709551616"] {
            assert_eq!(parse_retry_after(huge), Some(Duration::MAX), "{huge}");
        }
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(
            retry_wait(
                parse_retry_after("1e20"),
                Duration::ZERO,
                0,
                Duration::from_secs(60)
            ),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn backoff_grows_and_stays_within_jitter_bounds() {
        let base = Duration::from_millis(100);
        for attempt in 0..5 {
            let full = base * 2u32.pow(attempt);
            let d = backoff(base, attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_is_waited_as_said_and_capped() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(60);
        // Said: exactly that, whatever the attempt (no jitter on a server's word).
        for attempt in 0..4 {
            assert_eq!(
                retry_wait(Some(Duration::from_secs(3)), base, attempt, cap),
                Duration::from_secs(3)
            );
        }
        assert_eq!(
            retry_wait(Some(Duration::ZERO), base, 2, cap),
            Duration::ZERO
        );
        // Longer than --max-retry-wait: capped.
        assert_eq!(
            retry_wait(Some(Duration::from_secs(3600)), base, 0, cap),
            cap
        );
    }

    #[test]
    fn without_retry_after_the_wait_is_exponential_with_jitter_and_capped() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(60);
        let mut seen = std::collections::BTreeSet::new();
        for attempt in 0..5 {
            let full = base * 2u32.pow(attempt);
            for _ in 0..50 {
                let d = retry_wait(None, base, attempt, cap);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
                seen.insert(d);
            }
        }
        assert!(
            seen.len() > 100,
            "jitter: only {} distinct waits",
            seen.len()
        );
        let small_cap = Duration::from_millis(300);
        assert!(retry_wait(None, base, 6, small_cap) == small_cap);
    }

    #[test]
    fn nest_error_messages_are_read_as_vapi_sends_them() {
        assert_eq!(
            error_message(br#"{"message":"Invalid Key.","error":"Unauthorized","statusCode":401}"#),
            "Invalid Key."
        );
        assert_eq!(
            error_message(br#"{"message":["a","b"],"error":"Bad Request","statusCode":400}"#),
            "a; b"
        );
        assert_eq!(
            error_message(b"<html>\n<body>oops</body></html>"),
            "<html> <body>oops</body></html>"
        );
        assert_eq!(error_message(b""), "(empty body)");
    }

    #[test]
    fn phone_number_shape_is_checked() {
        assert!(check_phone_number(&json!({"provider": "twilio", "id": "a"}), Some("a")).is_ok());
        assert_eq!(
            check_phone_number(&json!([1]), None),
            Err(FetchError::Malformed(
                "expected a phone-number object, got a list".into()
            ))
        );
        assert!(check_phone_number(&json!({"provider": "skype"}), None).is_err());
        assert!(check_phone_number(&json!({"id": "a"}), None).is_err());
        assert!(check_phone_number(&json!({"provider": "vapi", "id": "b"}), Some("a")).is_err());
    }
}
