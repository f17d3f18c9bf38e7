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

pub mod org;
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

// ---------------------------------------------------------------------------
// Shared state

struct Shared {
    api_key: String,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    shutdown: watch::Sender<bool>,
    state: Mutex<MutableState>,
    /// Waits out the latency to the tenth of a millisecond (tokio's timers round up).
    timer: PreciseTimer,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, MutableState> {
        // A panic elsewhere while locked leaves consistent data behind (every
        // update is a single step), so poisoning is ignored.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct MutableState {
    latency: Duration,
    rate_limit: Option<u32>,
    revoke_key_after: Option<usize>,
    v2_enabled: bool,
    /// Requests since start (drives `revoke_key_after`).
    arrivals: usize,
    /// Arrival times of the admitted requests of the last `RATE_WINDOW`.
    window: VecDeque<Instant>,
    store: Store,
    faults_by_id: HashMap<String, VecDeque<Fault>>,
    faults_list: VecDeque<Fault>,
    requests: Vec<RequestRecord>,
    rate_limited: usize,
}

/// Counts a request as in flight until dropped.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn enter(shared: &Arc<Shared>) -> InFlight {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(shared))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The live numbers: a map, and the ids pre-sorted newest first.
#[derive(Default)]
struct Store {
    by_id: HashMap<String, Entry>,
    /// Sorted descending: createdAt (missing or unparsable last), then id.
    order: Vec<SortKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SortKey {
    created: Option<i64>,
    id: String,
}

struct Entry {
    /// The object, serialised once.
    json: Bytes,
    created: Option<i64>,
    updated: Option<i64>,
    /// Lower-cased name, number and sipUri, newline-separated.
    haystack: String,
}

impl Entry {
    fn of(number: &Value) -> Option<(String, Entry)> {
        let id = number.get("id")?.as_str()?.to_owned();
        let date = |key: &str| {
            number
                .get(key)
                .and_then(Value::as_str)
                .and_then(parse_iso8601_millis)
        };
        let mut haystack = String::new();
        for key in ["name", "number", "sipUri"] {
            if let Some(text) = number.get(key).and_then(Value::as_str) {
                haystack.push_str(&text.to_lowercase());
                haystack.push('\n');
            }
        }
        let json = serde_json::to_vec(number).expect("a serde_json::Value always serialises");
        let entry = Entry {
            json: Bytes::from(json),
            created: date("createdAt"),
            updated: date("updatedAt"),
            haystack,
        };
        Some((id, entry))
    }

    fn key(&self, id: &str) -> SortKey {
        SortKey {
            created: self.created,
            id: id.to_owned(),
        }
    }
}

impl Store {
    fn rebuild_order(&mut self) {
        self.order = self.by_id.iter().map(|(id, e)| e.key(id)).collect();
        self.order.sort_unstable_by(|a, b| b.cmp(a));
    }

    /// Position of `key` in the descending `order`.
    fn position(&self, key: &SortKey) -> Result<usize, usize> {
        self.order.binary_search_by(|probe| key.cmp(probe))
    }

    fn upsert(&mut self, id: String, entry: Entry) {
        self.remove(&id);
        let key = entry.key(&id);
        let at = match self.position(&key) {
            Ok(at) | Err(at) => at,
        };
        self.order.insert(at, key);
        self.by_id.insert(id, entry);
    }

    fn remove(&mut self, id: &str) {
        if let Some(old) = self.by_id.remove(id)
            && let Ok(at) = self.position(&old.key(id))
        {
            self.order.remove(at);
        }
    }

    /// The numbers that pass `query`, in its order: how many in all, and the
    /// bodies of those from `offset` on, at most `limit`.
    fn select(&self, query: &ListQuery, offset: usize, limit: usize) -> (usize, Vec<Bytes>) {
        let keys: Box<dyn Iterator<Item = &SortKey>> = if query.ascending {
            Box::new(self.order.iter().rev())
        } else {
            Box::new(self.order.iter())
        };
        let entry = |key: &SortKey| self.by_id.get(&key.id).expect("order and map agree");
        if query.search.is_none() && query.filters.is_empty() {
            let page = keys
                .skip(offset)
                .take(limit)
                .map(|k| entry(k).json.clone())
                .collect();
            return (self.order.len(), page);
        }
        let mut total = 0;
        let mut page = Vec::new();
        for key in keys {
            let e = entry(key);
            if !query.matches(e) {
                continue;
            }
            if total >= offset && page.len() < limit {
                page.push(e.json.clone());
            }
            total += 1;
        }
        (total, page)
    }
}

// ---------------------------------------------------------------------------
// Connections: a listener whose streams can be reset (TCP RST) on demand.

struct StandInListener {
    inner: TcpListener,
}

impl Listener for StandInListener {
    type Io = ConnIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ConnIo, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Small writes (slow bodies) must go out at once.
                    let _ = stream.set_nodelay(true);
                    let io = ConnIo {
                        stream,
                        reset: Arc::new(AtomicBool::new(false)),
                    };
                    return (io, addr);
                }
                Err(e) if is_connection_error(&e) => {}
                // Out of file descriptors and the like: let it pass.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A TCP stream that, once `reset` is set, refuses further writes and closes
/// with SO_LINGER 0, so that the peer gets a RST instead of a FIN.
struct ConnIo {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ConnIo {
    fn check_reset(&self) -> io::Result<()> {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "stand-in: connection reset by fault injection",
            ));
        }
        Ok(())
    }
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check_reset()?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check_reset()?;
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check_reset()?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check_reset()?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Handed to each request: lets a fault reset its connection.
#[derive(Clone)]
struct ConnHandle {
    reset: Arc<AtomicBool>,
}

impl Connected<IncomingStream<'_, StandInListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, StandInListener>) -> Self {
        ConnHandle {
            reset: Arc::clone(&stream.io().reset),
        }
    }
}

// ---------------------------------------------------------------------------
// Requests

enum Route<'a> {
    List,
    ListV2,
    One(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    // Express (under NestJS) routes non-strictly: one trailing slash is ignored.
    let path = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    };
    match path {
        "/phone-number" => Some(Route::List),
        "/v2/phone-number" => Some(Route::ListV2),
        _ => match path.strip_prefix("/phone-number/") {
            Some(id) if !id.is_empty() && !id.contains('/') => Some(Route::One(id)),
            _ => None,
        },
    }
}

/// A complete answer, its body still in pieces.
struct Prepared {
    status: StatusCode,
    content_type: &'static str,
    parts: Vec<Bytes>,
    allow_get: bool,
}

impl Prepared {
    fn json(status: StatusCode, parts: Vec<Bytes>) -> Prepared {
        Prepared {
            status,
            content_type: JSON_TYPE,
            parts,
            allow_get: false,
        }
    }

    /// The NestJS error shape: `{"message", "error", "statusCode"}`.
    fn error(status: StatusCode, message: Value) -> Prepared {
        Prepared::json(status, vec![error_body(status, message)])
    }

    fn body(&self) -> Bytes {
        if let [single] = self.parts.as_slice() {
            return single.clone();
        }
        let mut out = Vec::with_capacity(self.parts.iter().map(Bytes::len).sum());
        for part in &self.parts {
            out.extend_from_slice(part);
        }
        Bytes::from(out)
    }

    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = plain(self.status, self.content_type, Body::from(body));
        if self.allow_get {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET"));
        }
        response
    }
}

fn error_body(status: StatusCode, message: Value) -> Bytes {
    let body = json!({
        "message": message,
        "error": status.canonical_reason().unwrap_or("Error"),
        "statusCode": status.as_u16(),
    });
    Bytes::from(serde_json::to_vec(&body).expect("a serde_json::Value always serialises"))
}

fn plain(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

enum Plan {
    Answer(Prepared),
    /// The fault, and the normal answer it may need (slow or partial bodies).
    Fault(Fault, Prepared),
}

impl Plan {
    fn status(&self) -> Option<u16> {
        match self {
            Plan::Answer(p) => Some(p.status.as_u16()),
            Plan::Fault(Fault::Status { code, .. }, _) => Some(fault_status(*code).as_u16()),
            Plan::Fault(Fault::Hang, _) => None,
            Plan::Fault(Fault::SlowBody { .. }, normal) => Some(normal.status.as_u16()),
            Plan::Fault(_, _) => Some(200),
        }
    }
}

fn fault_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn bearer_matches(headers: &HeaderMap, api_key: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.trim().split_once(' ') {
        Some((scheme, token)) => {
            scheme.eq_ignore_ascii_case("bearer") && !api_key.is_empty() && token.trim() == api_key
        }
        None => false,
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let arrived = Instant::now();
    let conn = request
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map(|info| info.0.clone());
    let guard = InFlight::enter(&shared);
    let (plan, latency) = admit(&shared, &request);
    let mut shutdown = shared.shutdown.subscribe();
    if !latency.is_zero() {
        tokio::select! {
            () = shared.timer.sleep_until(arrived + latency) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => return aborted(),
        }
    }
    match plan {
        Plan::Answer(prepared) => prepared.into_response(),
        Plan::Fault(fault, normal) => render_fault(fault, normal, guard, conn, shutdown).await,
    }
}

/// Judges a request at arrival, under the lock: records it and decides the
/// answer. Returns the plan and the latency to wait first.
fn admit(shared: &Shared, request: &Request) -> (Plan, Duration) {
    let uri = request.uri();
    let headers = request.headers();
    let method = request.method();
    let authorized = bearer_matches(headers, &shared.api_key);
    let mut state = shared.lock();
    state.arrivals += 1;
    let plan = decide(&mut state, method, uri, authorized);
    let record = RequestRecord {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        authorized,
        user_agent: headers
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        status: plan.status(),
    };
    state.requests.push(record);
    (plan, state.latency)
}

fn decide(state: &mut MutableState, method: &Method, uri: &Uri, authorized: bool) -> Plan {
    if let Some(limit) = state.rate_limit {
        let now = Instant::now();
        while state
            .window
            .front()
            .is_some_and(|&t| now.duration_since(t) >= RATE_WINDOW)
        {
            state.window.pop_front();
        }
        if state.window.len() >= limit as usize {
            state.rate_limited += 1;
            return Plan::Answer(Prepared::error(
                StatusCode::TOO_MANY_REQUESTS,
                json!(RATE_LIMIT_MESSAGE),
            ));
        }
        state.window.push_back(now);
    }

    let route = route(uri.path()).filter(|r| state.v2_enabled || !matches!(r, Route::ListV2));
    let Some(route) = route else {
        // What NestJS answers for a route it does not have (before any guard).
        let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        return Plan::Answer(Prepared::error(
            StatusCode::NOT_FOUND,
            json!(format!("Cannot {method} {target}")),
        ));
    };
    let revoked = state
        .revoke_key_after
        .is_some_and(|after| state.arrivals > after);
    if revoked || !authorized {
        return Plan::Answer(Prepared::error(
            StatusCode::UNAUTHORIZED,
            json!(INVALID_KEY_MESSAGE),
        ));
    }
    if method != Method::GET {
        let mut refused = Prepared::error(
            StatusCode::METHOD_NOT_ALLOWED,
            json!(format!(
                "Cannot {method} {}: the stand-in of the Vapi API is read-only",
                uri.path()
            )),
        );
        refused.allow_get = true;
        return Plan::Answer(refused);
    }

    let (normal, fault) = match route {
        Route::One(id) => {
            let normal = match state.store.by_id.get(id) {
                Some(entry) => Prepared::json(StatusCode::OK, vec![entry.json.clone()]),
                None => Prepared::error(StatusCode::NOT_FOUND, json!(NOT_FOUND_MESSAGE)),
            };
            let fault = state.faults_by_id.get_mut(id).and_then(VecDeque::pop_front);
            if state.faults_by_id.get(id).is_some_and(VecDeque::is_empty) {
                state.faults_by_id.remove(id);
            }
            (normal, fault)
        }
        Route::List | Route::ListV2 => {
            let v2 = matches!(route, Route::ListV2);
            // A request that fails validation is answered 400 and takes no fault.
            let query = match ListQuery::parse(uri, v2) {
                Ok(query) => query,
                Err(messages) => {
                    return Plan::Answer(Prepared::error(StatusCode::BAD_REQUEST, json!(messages)));
                }
            };
            let normal = if v2 {
                list_v2(&state.store, &query)
            } else {
                list_v1(&state.store, &query)
            };
            (normal, state.faults_list.pop_front())
        }
    };
    match fault {
        Some(fault) => Plan::Fault(fault, normal),
        None => Plan::Answer(normal),
    }
}

/// `GET /phone-number`: a bare array of at most `limit`.
fn list_v1(store: &Store, query: &ListQuery) -> Prepared {
    let (_, items) = store.select(query, 0, query.limit);
    let mut parts = Vec::with_capacity(items.len() * 2 + 1);
    parts.push(Bytes::from_static(b"["));
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            parts.push(Bytes::from_static(b","));
        }
        parts.push(item);
    }
    parts.push(Bytes::from_static(b"]"));
    Prepared::json(StatusCode::OK, parts)
}

/// `GET /v2/phone-number`: `{"results": [...], "metadata": {...}}`.
fn list_v2(store: &Store, query: &ListQuery) -> Prepared {
    let limit = query.limit;
    let offset = query.page.saturating_sub(1).saturating_mul(limit);
    let (total, items) = store.select(query, offset, limit);
    let total_pages = if limit == 0 { 0 } else { total.div_ceil(limit) };
    let metadata = json!({
        "itemsPerPage": limit,
        "totalItems": total,
        "currentPage": query.page,
        "totalPages": total_pages,
        "hasNextPage": query.page < total_pages,
        "sortOrder": if query.ascending { "ASC" } else { "DESC" },
    });
    let mut parts = Vec::with_capacity(items.len() * 2 + 3);
    parts.push(Bytes::from_static(b"{\"results\":["));
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            parts.push(Bytes::from_static(b","));
        }
        parts.push(item);
    }
    let tail = format!("],\"metadata\":{metadata}}}");
    parts.push(Bytes::from(tail));
    Prepared::json(StatusCode::OK, parts)
}

#[derive(Clone, Copy)]
enum DateField {
    Created,
    Updated,
}

#[derive(Clone, Copy)]
enum Cmp {
    Gt,
    Lt,
    Ge,
    Le,
}

/// The eight date filters both list routes take.
const DATE_FILTERS: [(&str, DateField, Cmp); 8] = [
    ("createdAtGt", DateField::Created, Cmp::Gt),
    ("createdAtLt", DateField::Created, Cmp::Lt),
    ("createdAtGe", DateField::Created, Cmp::Ge),
    ("createdAtLe", DateField::Created, Cmp::Le),
    ("updatedAtGt", DateField::Updated, Cmp::Gt),
    ("updatedAtLt", DateField::Updated, Cmp::Lt),
    ("updatedAtGe", DateField::Updated, Cmp::Ge),
    ("updatedAtLe", DateField::Updated, Cmp::Le),
];

/// The validated query of a list route.
struct ListQuery {
    limit: usize,
    page: usize,
    /// Lower-cased.
    search: Option<String>,
    ascending: bool,
    filters: Vec<(DateField, Cmp, i64)>,
}

impl ListQuery {
    /// Validates like Vapi's NestJS `ValidationPipe` (whitelist, forbid
    /// unknown properties): every problem becomes one message.
    fn parse(uri: &Uri, v2: bool) -> Result<ListQuery, Vec<String>> {
        let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(uri) else {
            return Err(vec!["the query string could not be parsed".to_owned()]);
        };
        // A key given twice arrives in NestJS as an array: wrong type.
        let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
        for (key, value) in pairs {
            match grouped.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value),
                None => grouped.push((key, vec![value])),
            }
        }
        let mut query = ListQuery {
            limit: DEFAULT_LIMIT,
            page: 1,
            search: None,
            ascending: false,
            filters: Vec::new(),
        };
        let mut errors = Vec::new();
        for (key, values) in &grouped {
            let single = match values.as_slice() {
                [one] => Some(one.as_str()),
                _ => None,
            };
            let not_a_number =
                || format!("{key} must be a number conforming to the specified constraints");
            match key.as_str() {
                "limit" => match single.and_then(parse_number) {
                    None => errors.push(not_a_number()),
                    Some(n) if n < 0.0 => errors.push(format!("{key} must not be less than 0")),
                    Some(n) if n > MAX_LIMIT as f64 => {
                        errors.push(format!("{key} must not be greater than {MAX_LIMIT}"));
                    }
                    Some(n) => query.limit = n as usize,
                },
                "page" if v2 => match single.and_then(parse_number) {
                    None => errors.push(not_a_number()),
                    Some(n) if n < 1.0 => errors.push(format!("{key} must not be less than 1")),
                    Some(n) => query.page = n as usize,
                },
                "search" if v2 => match single {
                    None => errors.push(format!("{key} must be a string")),
                    Some(s) if s.chars().count() > 100 => errors.push(format!(
                        "{key} must be shorter than or equal to 100 characters"
                    )),
                    Some(s) => query.search = Some(s.to_lowercase()),
                },
                "sortOrder" if v2 => match single {
                    Some("ASC") => query.ascending = true,
                    Some("DESC") => query.ascending = false,
                    _ => errors.push(format!(
                        "{key} must be one of the following values: ASC, DESC"
                    )),
                },
                "sortBy" if v2 => match single {
                    // Only createdAt means anything for phone numbers.
                    Some("createdAt" | "duration" | "cost") => {}
                    _ => errors.push(format!(
                        "{key} must be one of the following values: createdAt, duration, cost"
                    )),
                },
                other => match DATE_FILTERS.iter().find(|(name, _, _)| *name == other) {
                    Some(&(_, field, cmp)) => match single.and_then(parse_iso8601_millis) {
                        Some(at) => query.filters.push((field, cmp, at)),
                        None => errors.push(format!("{key} must be a valid ISO 8601 date string")),
                    },
                    None => errors.push(format!("property {other} should not exist")),
                },
            }
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }

    fn matches(&self, entry: &Entry) -> bool {
        if let Some(search) = &self.search
            && !entry.haystack.contains(search.as_str())
        {
            return false;
        }
        self.filters.iter().all(|&(field, cmp, at)| {
            let value = match field {
                DateField::Created => entry.created,
                DateField::Updated => entry.updated,
            };
            value.is_some_and(|v| match cmp {
                Cmp::Gt => v > at,
                Cmp::Lt => v < at,
                Cmp::Ge => v >= at,
                Cmp::Le => v <= at,
            })
        })
    }
}

/// A query number as JavaScript's `Number()` would read it (finite only).
fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Milliseconds since the Unix epoch of an ISO 8601 date (`2026-03-26`) or
/// date-time (`2026-03-26T15:43:16.145Z`, `...+02:00`; no offset means UTC), as
/// jiff reads them.
fn parse_iso8601_millis(text: &str) -> Option<i64> {
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Some(at.as_millisecond());
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

// ---------------------------------------------------------------------------
// Faults

async fn render_fault(
    fault: Fault,
    normal: Prepared,
    guard: InFlight,
    conn: Option<ConnHandle>,
    mut shutdown: watch::Receiver<bool>,
) -> Response {
    match fault {
        Fault::Status { code, retry_after } => {
            let status = fault_status(code);
            let message = match status {
                StatusCode::UNAUTHORIZED => INVALID_KEY_MESSAGE,
                StatusCode::TOO_MANY_REQUESTS => RATE_LIMIT_MESSAGE,
                StatusCode::NOT_FOUND => NOT_FOUND_MESSAGE,
                _ => status.canonical_reason().unwrap_or("Error"),
            };
            let mut response = Prepared::error(status, json!(message)).into_response();
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Fault::MalformedJson => plain(StatusCode::OK, JSON_TYPE, Body::from(MALFORMED_JSON)),
        Fault::HtmlOk => plain(StatusCode::OK, HTML_TYPE, Body::from(HTML_ERROR_PAGE)),
        Fault::Body(value) => {
            let body = serde_json::to_vec(&value).expect("a serde_json::Value always serialises");
            plain(StatusCode::OK, JSON_TYPE, Body::from(body))
        }
        Fault::Hang => {
            tokio::select! {
                () = tokio::time::sleep(HANG_FOR) => {}
                _ = shutdown.wait_for(|stopping| *stopping) => {}
            }
            drop(guard);
            aborted()
        }
        Fault::Truncated => {
            let body = normal.body();
            let full = body.len();
            let mut response = plain(
                StatusCode::OK,
                JSON_TYPE,
                partial_body(body, guard, None, io::ErrorKind::UnexpectedEof),
            );
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
            response
        }
        Fault::ResetMidBody => {
            let body = normal.body();
            let reset = conn.map(|c| c.reset);
            plain(
                StatusCode::OK,
                JSON_TYPE,
                partial_body(body, guard, reset, io::ErrorKind::ConnectionReset),
            )
        }
        Fault::SlowBody { chunk_delay } => {
            let body = normal.body();
            let full = body.len();
            let mut response = plain(
                normal.status,
                normal.content_type,
                slow_body(body, chunk_delay, guard, shutdown),
            );
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
            if normal.allow_get {
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET"));
            }
            response
        }
    }
}

/// A body that fails at once: hyper drops the connection.
fn aborted() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::other("stand-in shutting down"))
    });
    plain(StatusCode::OK, JSON_TYPE, Body::from_stream(failing))
}

/// The first half of `body`, a short pause, then an error (after setting
/// `reset`, if given, so that the connection closes with a RST).
fn partial_body(
    body: Bytes,
    guard: InFlight,
    reset: Option<Arc<AtomicBool>>,
    kind: io::ErrorKind,
) -> Body {
    let half = body.slice(..(body.len() / 2).max(1).min(body.len()));
    let steps = futures::stream::unfold(
        (0_u8, half, guard, reset),
        move |(step, half, guard, reset)| async move {
            match step {
                0 => Some((Ok(half.clone()), (1, half, guard, reset))),
                1 => {
                    tokio::time::sleep(PARTIAL_PAUSE).await;
                    if let Some(flag) = &reset {
                        flag.store(true, Ordering::SeqCst);
                    }
                    let error = io::Error::new(kind, "stand-in: body cut by fault injection");
                    Some((Err(error), (2, half, guard, reset)))
                }
                _ => None,
            }
        },
    );
    Body::from_stream(steps)
}

/// `body` in chunks of `SLOW_CHUNK_BYTES`, `delay` apart.
fn slow_body(
    body: Bytes,
    delay: Duration,
    guard: InFlight,
    shutdown: watch::Receiver<bool>,
) -> Body {
    let chunks = futures::stream::unfold(
        (body, 0_usize, guard, shutdown),
        move |(body, at, guard, mut shutdown)| async move {
            if at >= body.len() {
                return None;
            }
            if at > 0 {
                let stopping = tokio::select! {
                    () = tokio::time::sleep(delay) => false,
                    _ = shutdown.wait_for(|stopping| *stopping) => true,
                };
                if stopping {
                    let error = io::Error::other("stand-in shutting down");
                    let end = body.len();
                    return Some((Err(error), (body, end, guard, shutdown)));
                }
            }
            let end = (at + SLOW_CHUNK_BYTES).min(body.len());
            let chunk = body.slice(at..end);
            Some((Ok(chunk), (body, end, guard, shutdown)))
        },
    );
    Body::from_stream(chunks)
}

#[cfg(test)]
mod tests;
