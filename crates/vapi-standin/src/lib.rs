//! A stand-in of the Vapi phone-number API: a real HTTP/1.1 server on
//! 127.0.0.1 that the demo, the black-box tests and the benchmarks point the
//! real binary at.
//!
//! It serves the three read routes the auditor uses, faithfully to Vapi's
//! published OpenAPI document and to what has been observed of the live API
//! (see `shared/vapi/REFERENCE.md`, sections 0, 6 and 10):
//!
//! - `GET /phone-number/{id}`: the stored object, or a NestJS-shaped 404.
//! - `GET /phone-number?limit=N`: a bare JSON array, newest first.
//! - `GET /v2/phone-number?page=P&limit=L&search=S`:
//!   `{"results": [...], "metadata": {...}}`.
//!
//! Every request must carry `Authorization: Bearer <api_key>`. On top of the
//! faithful behaviour it can add latency, enforce a rate limit, revoke the key
//! mid-run, and answer with injected [`Fault`]s (error statuses, broken bodies,
//! connections that hang, truncate or reset). It records every request in
//! [`Stats`] without ever keeping the `Authorization` value.
//!
//! The order in which a request is judged, all at arrival:
//! 1. it is recorded and counted as in flight;
//! 2. rate limit (every path): over the limit gives 429;
//! 3. unknown path (and `/v2/phone-number` when `v2_enabled` is off): 404
//!    `Cannot GET /path`, as NestJS answers;
//! 4. key revoked (`revoke_key_after`) or missing/wrong key: 401;
//! 5. a method other than GET on a known path: 405 (the stand-in is read-only);
//! 6. query validation: 400 with a NestJS validation body;
//! 7. an injected fault, if one is queued for this route, replaces the answer;
//! 8. otherwise the normal answer.
//!
//! The configured latency is then waited out (without blocking other
//! requests, counted from arrival, to the tenth of a millisecond: see
//! [`timer`]) before anything is sent.
//!
//! This file has the public face (config, faults, stats, start and stop); `state`
//! the stored numbers and queues, `conn` the resettable connections, `routes` the
//! admission and the answers, `faults` the broken answers.

mod conn;
mod faults;
pub mod org;
mod routes;
mod state;
mod timer;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::timer::PreciseTimer;
use conn::*;
use faults::*;
use routes::*;
use state::*;

/// Vapi's observed 401 message (REFERENCE.md section 10, S25).
pub const INVALID_KEY_MESSAGE: &str = "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.";
/// The message of the stand-in's 404 for an unknown phone-number id.
pub const NOT_FOUND_MESSAGE: &str = "Phone number not found";
/// The message of a 429 (observed text, REFERENCE.md section 10, S26).
pub const RATE_LIMIT_MESSAGE: &str = "Rate limit exceeded";
/// Default and maximum `limit` of both list routes.
pub const DEFAULT_LIMIT: usize = 100;
/// Maximum `limit` of both list routes.
pub const MAX_LIMIT: usize = 1000;
/// The sliding window of `rate_limit`.
pub const RATE_WINDOW: Duration = Duration::from_secs(1);
/// Bytes per chunk of [`Fault::SlowBody`].
pub const SLOW_CHUNK_BYTES: usize = 16;

/// How long [`Fault::Hang`] waits before giving up (it also ends on shutdown).
const HANG_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// Pause between the partial body and the failure of `Truncated` and
/// `ResetMidBody`, so that the headers and the first bytes really reach the
/// client before the connection goes.
const PARTIAL_PAUSE: Duration = Duration::from_millis(20);
/// How long `shutdown` waits for open connections before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
const JSON_TYPE: &str = "application/json; charset=utf-8";
const HTML_TYPE: &str = "text/html; charset=utf-8";
const HTML_ERROR_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>cloudflare</center>\n</body>\n</html>\n";
/// Not JSON: single quotes and a trailing comma, as a JavaScript literal
/// that leaked into a response would look.
const MALFORMED_JSON: &str =
    "{\"id\": \"stand-in\", \"provider\": 'vapi', \"name\": \"malformed\",, }";

/// How a stand-in starts.
#[derive(Clone)]
pub struct StandInConfig {
    /// The one accepted bearer token.
    pub api_key: String,
    /// Live phone-number objects; each must have a string `"id"`. A later
    /// duplicate id replaces an earlier one.
    pub numbers: Vec<Value>,
    /// Added before every response (non-blocking).
    pub latency: Duration,
    /// Maximum requests admitted in any sliding one-second window; the ones
    /// over it get 429 (and are counted in [`Stats::rate_limited`]). Refused
    /// requests do not take a place in the window.
    pub rate_limit: Option<u32>,
    /// After this many requests (of any kind, counted since start), every
    /// request gets 401: the key was revoked mid-run.
    pub revoke_key_after: Option<usize>,
    /// Whether `GET /v2/phone-number` exists (default true). Off, it answers
    /// 404 `Cannot GET ...` as an API without the route would: the client's
    /// fallback to `GET /phone-number` is tested with it.
    pub v2_enabled: bool,
}

impl Default for StandInConfig {
    fn default() -> Self {
        StandInConfig {
            api_key: "test-key".to_owned(),
            numbers: Vec::new(),
            latency: Duration::ZERO,
            rate_limit: None,
            revoke_key_after: None,
            v2_enabled: true,
        }
    }
}

impl fmt::Debug for StandInConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandInConfig")
            .field("api_key", &"[redacted]")
            .field("numbers", &self.numbers.len())
            .field("latency", &self.latency)
            .field("rate_limit", &self.rate_limit)
            .field("revoke_key_after", &self.revoke_key_after)
            .field("v2_enabled", &self.v2_enabled)
            .finish()
    }
}

/// One scripted misbehaviour, answered instead of the normal response.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// This status with a Vapi-shaped body `{"message","error","statusCode"}`,
    /// and a `Retry-After` header with this exact value if `Some` (a value
    /// that is not a valid header value is left out). A code outside
    /// 100..=999 is answered as 500.
    Status {
        code: u16,
        retry_after: Option<String>,
    },
    /// 200, `application/json`, a body that is not JSON.
    MalformedJson,
    /// 200 with a `Content-Length` of the full normal body, but only its first
    /// half is sent before the connection is closed (FIN).
    Truncated,
    /// 200, chunked, the first half of the normal body, then the connection
    /// is reset (TCP RST).
    ResetMidBody,
    /// 200 with a `text/html` error page, as a proxy in front would send.
    HtmlOk,
    /// 200 with this JSON (a wrong provider, an array instead of an object...).
    Body(Value),
    /// Never answers (until the stand-in shuts down, when the connection is
    /// dropped). Other requests go on meanwhile.
    Hang,
    /// The normal answer, status and `Content-Length` included, with its body
    /// sent [`SLOW_CHUNK_BYTES`] at a time, `chunk_delay` apart.
    SlowBody { chunk_delay: Duration },
    /// This status (500 when not a valid code), these headers (a name or value
    /// that is not a valid header is left out; `Content-Type` defaults to JSON)
    /// and these bytes as the body, whatever they are: text no JSON value can
    /// hold (`1e400`, a lone surrogate), or bytes that are not text at all.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

impl Fault {
    /// `Status` without `Retry-After`.
    pub fn status(code: u16) -> Fault {
        Fault::Status {
            code,
            retry_after: None,
        }
    }

    /// `Status` with `Retry-After: <seconds>`.
    pub fn status_retry_after_secs(code: u16, seconds: u64) -> Fault {
        Fault::Status {
            code,
            retry_after: Some(seconds.to_string()),
        }
    }

    /// `Status` with `Retry-After` as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
    pub fn status_retry_at(code: u16, at: SystemTime) -> Fault {
        Fault::Status {
            code,
            retry_after: Some(httpdate::fmt_http_date(at)),
        }
    }
}

/// What the stand-in has seen since start or the last [`StandIn::reset_stats`].
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Every request, in arrival order.
    pub requests: Vec<RequestRecord>,
    /// The most requests handled at once (latency sleeps, hangs and streamed
    /// fault bodies included).
    pub peak_in_flight: usize,
    /// 429s sent because of `rate_limit` (injected 429 faults not included).
    pub rate_limited: usize,
}

impl Stats {
    /// The requests whose answer had this status.
    pub fn count_status(&self, status: u16) -> usize {
        self.requests
            .iter()
            .filter(|r| r.status == Some(status))
            .count()
    }
}

/// One request as the stand-in saw it. The `Authorization` value is never
/// kept: only whether it carried the configured key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if the URL had a `?`.
    pub query: Option<String>,
    /// The request carried `Authorization: Bearer <configured key>` (even if
    /// it was then refused because the key had been revoked).
    pub authorized: bool,
    pub user_agent: Option<String>,
    /// The status answered; `None` for [`Fault::Hang`], which never answers.
    pub status: Option<u16>,
}

/// A running stand-in. Stops on [`StandIn::shutdown`] or when dropped.
pub struct StandIn {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for StandIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandIn")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl StandIn {
    /// Starts on 127.0.0.1 with a port chosen by the system.
    pub async fn start(cfg: StandInConfig) -> io::Result<StandIn> {
        StandIn::start_on(cfg, 0).await
    }

    /// Starts on 127.0.0.1:`port` (0: chosen by the system). Fails with
    /// `InvalidInput` if a number has no string `"id"`.
    pub async fn start_on(cfg: StandInConfig, port: u16) -> io::Result<StandIn> {
        let mut store = Store::default();
        for (index, number) in cfg.numbers.iter().enumerate() {
            let Some((id, entry)) = Entry::of(number) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("stand-in number #{index} has no string \"id\""),
                ));
            };
            store.by_id.insert(id, entry);
        }
        store.rebuild_order();

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            api_key: cfg.api_key,
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            shutdown,
            timer: PreciseTimer::start()?,
            state: Mutex::new(MutableState {
                latency: cfg.latency,
                rate_limit: cfg.rate_limit,
                revoke_key_after: cfg.revoke_key_after,
                v2_enabled: cfg.v2_enabled,
                arrivals: 0,
                window: VecDeque::new(),
                store,
                faults_by_id: HashMap::new(),
                faults_list: VecDeque::new(),
                requests: Vec::new(),
                rate_limited: 0,
            }),
        });

        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared))
            .into_make_service_with_connect_info::<ConnHandle>();
        let mut stop = shared.shutdown.subscribe();
        let server = axum::serve(StandInListener { inner: listener }, app).with_graceful_shutdown(
            async move {
                // Err only if the sender is gone, which also means "stop".
                let _ = stop.wait_for(|stopping| *stopping).await;
            },
        );
        let task = tokio::spawn(async move {
            // The accept loop retries its own errors; nothing to report here.
            let _ = server.await;
        });
        Ok(StandIn {
            shared,
            addr,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues faults for `GET /phone-number/{id}` (appended to any still
    /// queued). Each authorized GET of that id takes the next one; when none
    /// is left the normal answer comes back. Works for unknown ids too.
    pub fn inject(&self, id: &str, faults: Vec<Fault>) {
        self.shared
            .lock()
            .faults_by_id
            .entry(id.to_owned())
            .or_default()
            .extend(faults);
    }

    /// Same as [`StandIn::inject`], for the list routes: `GET /phone-number`
    /// and `GET /v2/phone-number` take from one shared queue.
    pub fn inject_list(&self, faults: Vec<Fault>) {
        self.shared.lock().faults_list.extend(faults);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        let mut state = self.shared.lock();
        state.faults_by_id.clear();
        state.faults_list.clear();
    }

    /// Adds a live number, or replaces the one with the same id.
    ///
    /// # Panics
    /// If `number` has no string `"id"`: a broken fixture.
    pub fn upsert(&self, number: Value) {
        let (id, entry) =
            Entry::of(&number).expect("a stand-in phone number needs a string \"id\"");
        self.shared.lock().store.upsert(id, entry);
    }

    /// Deletes a live number (no-op if unknown).
    pub fn remove(&self, id: &str) {
        self.shared.lock().store.remove(id);
    }

    /// How many live numbers there are.
    pub fn number_count(&self) -> usize {
        self.shared.lock().store.by_id.len()
    }

    /// Changes the latency for requests arriving from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Changes the rate limit for requests arriving from now on.
    pub fn set_rate_limit(&self, rate_limit: Option<u32>) {
        self.shared.lock().rate_limit = rate_limit;
    }

    pub fn stats(&self) -> Stats {
        let state = self.shared.lock();
        Stats {
            requests: state.requests.clone(),
            peak_in_flight: self.shared.peak_in_flight.load(Ordering::SeqCst),
            rate_limited: state.rate_limited,
        }
    }

    /// Forgets the recorded requests and the 429 count; the peak restarts
    /// from the requests in flight now. The `revoke_key_after` count and
    /// the rate-limit window go on.
    pub fn reset_stats(&self) {
        let mut state = self.shared.lock();
        state.requests.clear();
        state.rate_limited = 0;
        self.shared.peak_in_flight.store(
            self.shared.in_flight.load(Ordering::SeqCst),
            Ordering::SeqCst,
        );
    }

    /// Stops accepting, ends hanging and streaming answers, and waits (up to
    /// 2 s, then aborts) for open connections to close. The port is free
    /// again when this returns.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.send_replace(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // The server task then shuts down gracefully on its own; no runtime
        // is needed here, and nothing can panic.
        self.shared.shutdown.send_replace(true);
    }
}

/// A [`StandIn`] on a runtime of its own (two worker threads), for
/// synchronous code such as black-box tests that block on the binary while
/// the stand-in answers it. Derefs to [`StandIn`] for `base_url`, `inject`,
/// `stats` and the rest.
///
/// Start, shut down and drop it outside async code: a runtime cannot be
/// blocked on from inside another one.
pub struct BlockingStandIn {
    standin: Option<StandIn>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl BlockingStandIn {
    pub fn start(cfg: StandInConfig) -> io::Result<BlockingStandIn> {
        BlockingStandIn::start_on(cfg, 0)
    }

    pub fn start_on(cfg: StandInConfig, port: u16) -> io::Result<BlockingStandIn> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vapi-stand-in")
            .enable_all()
            .build()?;
        let standin = runtime.block_on(StandIn::start_on(cfg, port))?;
        Ok(BlockingStandIn {
            standin: Some(standin),
            runtime: Some(runtime),
        })
    }

    /// Like [`StandIn::shutdown`], blocking.
    pub fn shutdown(mut self) {
        if let (Some(standin), Some(runtime)) = (self.standin.take(), self.runtime.take()) {
            runtime.block_on(standin.shutdown());
            runtime.shutdown_timeout(SHUTDOWN_GRACE);
        }
    }
}

impl std::ops::Deref for BlockingStandIn {
    type Target = StandIn;

    fn deref(&self) -> &StandIn {
        self.standin
            .as_ref()
            .expect("the stand-in is only taken out by shutdown or drop")
    }
}

impl fmt::Debug for BlockingStandIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingStandIn")
            .field("standin", &self.standin)
            .finish_non_exhaustive()
    }
}

impl Drop for BlockingStandIn {
    fn drop(&mut self) {
        drop(self.standin.take());
        if let Some(runtime) = self.runtime.take() {
            // Never blocks, so dropping inside async code does not panic.
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests;
