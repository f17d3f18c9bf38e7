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
//! [`super::timer`]) before anything is sent.

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

use super::timer::PreciseTimer;

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
/// date-time (`2026-03-26T15:43:16.145Z`, `...+02:00`; no offset means UTC).
fn parse_iso8601_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0_i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let literal = |at: usize, what: u8| (b.get(at) == Some(&what)).then_some(());
    let year = digits(0, 4)?;
    literal(4, b'-')?;
    let month = digits(5, 2)?;
    literal(7, b'-')?;
    let day = digits(8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    if b.len() == 10 {
        return Some(millis);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(11, 2)?;
    literal(13, b':')?;
    let minute = digits(14, 2)?;
    let mut at = 16;
    let mut second = 0;
    if b.get(at) == Some(&b':') {
        second = digits(at + 1, 2)?;
        at += 3;
        if matches!(b.get(at), Some(b'.' | b',')) {
            at += 1;
            let start = at;
            let mut fraction = 0;
            while let Some(d) = b.get(at).filter(|d| d.is_ascii_digit()) {
                if at - start < 3 {
                    fraction = fraction * 10 + i64::from(d - b'0');
                }
                at += 1;
            }
            let count = at - start;
            if count == 0 {
                return None;
            }
            for _ in count..3 {
                fraction *= 10;
            }
            millis += fraction;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    millis += ((hour * 60 + minute) * 60 + second) * 1000;
    let offset_minutes = match b.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(at + 1, 2)?;
            let rest = b.get(at + 3..)?;
            let minutes = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => digits(at + 4, 2)?,
                _ if rest.len() == 2 => digits(at + 3, 2)?,
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 60 + minutes;
            if sign == b'+' { offset } else { -offset }
        }
        Some(_) => return None,
    };
    Some(millis - offset_minutes * 60_000)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
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
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const KEY: &str = "sk-test-7f3c2a914b8e";

    /// 2026-01-01T00:00:00.000Z plus `seconds` (less than 31 days).
    fn timestamp(seconds: u64) -> String {
        format!(
            "2026-01-{:02}T{:02}:{:02}:{:02}.000Z",
            1 + seconds / 86_400,
            (seconds / 3600) % 24,
            (seconds / 60) % 60,
            seconds % 60
        )
    }

    fn id_of(i: usize) -> String {
        format!("00000000-0000-4000-8000-{i:012}")
    }

    fn number(i: usize, created_seconds: u64) -> Value {
        let providers = ["twilio", "vonage", "vapi", "telnyx", "byo-phone-number"];
        json!({
            "id": id_of(i),
            "orgId": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
            "provider": providers[i % providers.len()],
            "number": format!("+1415555{i:04}"),
            "name": format!("Line {i}"),
            "status": "active",
            "createdAt": timestamp(created_seconds),
            "updatedAt": timestamp(created_seconds + 30),
        })
    }

    /// `count` numbers, number i created i minutes after the first.
    fn numbers(count: usize) -> Vec<Value> {
        (0..count).map(|i| number(i, i as u64 * 60)).collect()
    }

    fn config(numbers: Vec<Value>) -> StandInConfig {
        StandInConfig {
            api_key: KEY.to_owned(),
            numbers,
            ..StandInConfig::default()
        }
    }

    async fn start(numbers: Vec<Value>) -> StandIn {
        StandIn::start(config(numbers)).await.unwrap()
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .user_agent("vapi-drift-test/1.0")
            .build()
            .unwrap()
    }

    async fn get(s: &StandIn, path: &str) -> reqwest::Response {
        client()
            .get(format!("{}{path}", s.base_url()))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
    }

    async fn get_json(s: &StandIn, path: &str) -> (u16, Value) {
        let response = get(s, path).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    fn ids(items: &Value) -> Vec<String> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The order both list routes must use: createdAt descending, then id
    /// descending (the fixtures' timestamps all have the same shape, so
    /// comparing them as text is comparing them as times).
    fn expected_order(numbers: &[Value]) -> Vec<String> {
        let mut keys: Vec<(String, String)> = numbers
            .iter()
            .map(|n| {
                let created = n["createdAt"].as_str().unwrap().to_owned();
                (created, n["id"].as_str().unwrap().to_owned())
            })
            .collect();
        keys.sort_by(|a, b| b.cmp(a));
        keys.into_iter().map(|(_, id)| id).collect()
    }

    fn nest_error(status: u16, error: &str, message: Value) -> Value {
        json!({"message": message, "error": error, "statusCode": status})
    }

    /// Sends a GET by hand and reads until EOF or an error: what really
    /// arrives on the socket.
    async fn raw_get(addr: SocketAddr, path: &str) -> (String, io::Result<()>) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut received = Vec::new();
        let mut buf = [0_u8; 4096];
        let outcome = loop {
            match stream.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e),
            }
        };
        (String::from_utf8_lossy(&received).into_owned(), outcome)
    }

    fn split_head(raw: &str) -> (String, String) {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        (head.to_ascii_lowercase(), body.to_owned())
    }

    #[tokio::test]
    async fn get_one_returns_the_object_and_records_the_request() {
        let fixtures = numbers(3);
        let s = start(fixtures.clone()).await;
        assert!(s.base_url().starts_with("http://127.0.0.1:"));
        let response = get(&s, &format!("/phone-number/{}", id_of(1))).await;
        assert_eq!(response.status(), 200);
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with("application/json"));
        let text = response.text().await.unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), fixtures[1]);
        // Key order is kept as stored.
        assert!(text.starts_with("{\"id\":"));

        let stats = s.stats();
        assert_eq!(
            stats.requests,
            vec![RequestRecord {
                method: "GET".to_owned(),
                path: format!("/phone-number/{}", id_of(1)),
                query: None,
                authorized: true,
                user_agent: Some("vapi-drift-test/1.0".to_owned()),
                status: Some(200),
            }]
        );
        assert_eq!(stats.peak_in_flight, 1);
        assert_eq!(stats.rate_limited, 0);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn unknown_id_gets_a_nest_404() {
        let s = start(numbers(2)).await;
        let (status, body) =
            get_json(&s, "/phone-number/0b5a1c1e-0000-4000-8000-000000000000").await;
        assert_eq!(status, 404);
        assert_eq!(body, nest_error(404, "Not Found", json!(NOT_FOUND_MESSAGE)));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn auth_failures_get_vapis_401_body_and_the_key_is_never_kept() {
        let s = start(numbers(1)).await;
        let url = format!("{}/phone-number/{}", s.base_url(), id_of(0));
        let expected = nest_error(401, "Unauthorized", json!(INVALID_KEY_MESSAGE));
        let c = client();
        let attempts = [
            c.get(&url),
            c.get(&url).bearer_auth("sk-wrong-key-123"),
            c.get(&url).header("authorization", format!("Basic {KEY}")),
            c.get(&url).header("authorization", KEY),
        ];
        for attempt in attempts {
            let response = attempt.send().await.unwrap();
            assert_eq!(response.status(), 401);
            assert_eq!(response.json::<Value>().await.unwrap(), expected);
        }
        // The scheme is case-insensitive, as in passport-http-bearer.
        let response = c
            .get(&url)
            .header("authorization", format!("bearer {KEY}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        // The list routes are guarded too.
        for path in ["/phone-number", "/v2/phone-number"] {
            let response = c
                .get(format!("{}{path}", s.base_url()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401);
        }

        let stats = s.stats();
        let authorized: Vec<bool> = stats.requests.iter().map(|r| r.authorized).collect();
        assert_eq!(authorized, [false, false, false, false, true, false, false]);
        assert_eq!(stats.count_status(401), 6);
        let dump = format!("{stats:?}");
        assert!(!dump.contains(KEY), "stats must not hold the key: {dump}");
        assert!(!dump.contains("sk-wrong-key-123"));
        assert!(!format!("{:?}", config(vec![])).contains(KEY));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn v1_list_is_a_bare_array_newest_first_within_limit() {
        let mut fixtures = numbers(150);
        // Three more created at the same instant as the newest: ties by id.
        for i in 150..153 {
            fixtures.push(number(i, 149 * 60));
        }
        let order = expected_order(&fixtures);
        assert_eq!(order[..4], [id_of(152), id_of(151), id_of(150), id_of(149)]);
        let s = start(fixtures).await;

        let (status, body) = get_json(&s, "/phone-number").await;
        assert_eq!(status, 200);
        assert_eq!(ids(&body), order[..DEFAULT_LIMIT]);
        let (_, body) = get_json(&s, "/phone-number?limit=5").await;
        assert_eq!(ids(&body), order[..5]);
        let (_, body) = get_json(&s, "/phone-number?limit=1000").await;
        assert_eq!(ids(&body), order);
        let (_, body) = get_json(&s, "/phone-number?limit=0").await;
        assert_eq!(body, json!([]));

        let bad = |message: &str| nest_error(400, "Bad Request", json!([message]));
        let cases = [
            ("limit=1001", bad("limit must not be greater than 1000")),
            ("limit=-1", bad("limit must not be less than 0")),
            (
                "limit=abc",
                bad("limit must be a number conforming to the specified constraints"),
            ),
            (
                "limit=5&limit=6",
                bad("limit must be a number conforming to the specified constraints"),
            ),
            ("offset=100", bad("property offset should not exist")),
            ("page=2", bad("property page should not exist")),
            (
                "createdAtLt=yesterday",
                bad("createdAtLt must be a valid ISO 8601 date string"),
            ),
        ];
        for (query, expected) in cases {
            let (status, body) = get_json(&s, &format!("/phone-number?{query}")).await;
            assert_eq!((status, body), (400, expected), "{query}");
        }
        let requests = s.stats().requests;
        assert_eq!(requests[1].query.as_deref(), Some("limit=5"));
        assert_eq!(requests[1].path, "/phone-number");
        s.shutdown().await;
    }

    #[tokio::test]
    async fn v1_date_windows_enumerate_more_than_one_page() {
        let fixtures = numbers(2500);
        let order = expected_order(&fixtures);
        let s = start(fixtures).await;
        let c = client();
        let mut seen: Vec<String> = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let mut request = c
                .get(format!("{}/phone-number", s.base_url()))
                .bearer_auth(KEY)
                .query(&[("limit", "1000")]);
            if let Some(before) = &before {
                request = request.query(&[("createdAtLt", before)]);
            }
            let batch: Value = request.send().await.unwrap().json().await.unwrap();
            let batch = batch.as_array().unwrap().clone();
            seen.extend(batch.iter().map(|n| n["id"].as_str().unwrap().to_owned()));
            if batch.len() < 1000 {
                break;
            }
            before = Some(batch[999]["createdAt"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen, order);
        assert_eq!(s.stats().requests.len(), 3);

        // The other filters, with an offset and with updatedAt.
        let (_, body) = get_json(&s, "/phone-number?createdAtGe=2026-01-01T00:02:00%2B00:00").await;
        assert_eq!(body.as_array().unwrap().len(), DEFAULT_LIMIT);
        let (_, body) = get_json(&s, "/phone-number?createdAtLe=2026-01-01T00:02:00.000Z").await;
        assert_eq!(ids(&body), [id_of(2), id_of(1), id_of(0)]);
        let (_, body) = get_json(
            &s,
            "/phone-number?updatedAtGt=2026-01-01T00:00:30Z&updatedAtLt=2026-01-01T00:02:30Z",
        )
        .await;
        assert_eq!(ids(&body), [id_of(1)]);
        let (_, body) = get_json(&s, "/phone-number?createdAtGt=2026-01-03").await;
        assert_eq!(body, json!([]));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn v2_pages_2500_numbers_at_limit_1000() {
        let fixtures = numbers(2500);
        let order = expected_order(&fixtures);
        let s = start(fixtures).await;
        let mut seen = Vec::new();
        for page in 1..=3_usize {
            let (status, body) =
                get_json(&s, &format!("/v2/phone-number?page={page}&limit=1000")).await;
            assert_eq!(status, 200);
            assert_eq!(
                body["metadata"],
                json!({
                    "itemsPerPage": 1000,
                    "totalItems": 2500,
                    "currentPage": page,
                    "totalPages": 3,
                    "hasNextPage": page < 3,
                    "sortOrder": "DESC",
                })
            );
            let results = ids(&body["results"]);
            assert_eq!(results.len(), if page < 3 { 1000 } else { 500 });
            seen.extend(results);
        }
        assert_eq!(seen, order);

        let (_, body) = get_json(&s, "/v2/phone-number?page=4&limit=1000").await;
        assert_eq!(body["results"], json!([]));
        assert_eq!(body["metadata"]["hasNextPage"], json!(false));
        assert_eq!(body["metadata"]["currentPage"], json!(4));

        let (_, body) = get_json(&s, "/v2/phone-number").await;
        assert_eq!(ids(&body["results"]), order[..100]);
        assert_eq!(body["metadata"]["itemsPerPage"], json!(100));
        assert_eq!(body["metadata"]["totalPages"], json!(25));
        assert_eq!(body["metadata"]["hasNextPage"], json!(true));

        let (_, body) = get_json(
            &s,
            "/v2/phone-number?limit=3&sortOrder=ASC&sortBy=createdAt",
        )
        .await;
        assert_eq!(ids(&body["results"]), [id_of(0), id_of(1), id_of(2)]);
        assert_eq!(body["metadata"]["sortOrder"], json!("ASC"));

        let (_, body) = get_json(&s, "/v2/phone-number?limit=0").await;
        assert_eq!(body["results"], json!([]));
        assert_eq!(body["metadata"]["totalPages"], json!(0));
        assert_eq!(body["metadata"]["hasNextPage"], json!(false));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn v2_search_and_validation() {
        let mut fixtures = numbers(200);
        fixtures.push(json!({
            "id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "provider": "vapi",
            "sipUri": "sip:Acme-Support@sip.vapi.ai",
            "name": "SIP entry",
            "createdAt": "2025-04-01T12:00:00.000Z",
        }));
        let s = start(fixtures).await;
        // name: "Line 12", "Line 120".."Line 129"
        let (_, body) = get_json(&s, "/v2/phone-number?search=LINE%2012").await;
        assert_eq!(body["metadata"]["totalItems"], json!(11));
        assert_eq!(body["results"][0]["name"], json!("Line 129"));
        // number
        let (_, body) = get_json(&s, "/v2/phone-number?search=%2B14155550042").await;
        assert_eq!(ids(&body["results"]), [id_of(42)]);
        // sipUri, case-insensitive
        let (_, body) = get_json(&s, "/v2/phone-number?search=acme-SUPPORT").await;
        assert_eq!(
            ids(&body["results"]),
            ["a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"]
        );
        // search and paging together: 129 down to 120, then 12
        let (_, body) = get_json(&s, "/v2/phone-number?search=line%2012&limit=5&page=3").await;
        assert_eq!(ids(&body["results"]), [id_of(12)]);
        assert_eq!(body["metadata"]["totalPages"], json!(3));
        assert_eq!(body["metadata"]["hasNextPage"], json!(false));

        let long = "x".repeat(101);
        let cases = [
            ("page=0", vec!["page must not be less than 1"]),
            ("limit=1001", vec!["limit must not be greater than 1000"]),
            (
                "sortOrder=UP",
                vec!["sortOrder must be one of the following values: ASC, DESC"],
            ),
            (
                &format!("search={long}"),
                vec!["search must be shorter than or equal to 100 characters"],
            ),
            (
                "page=x&cursor=abc",
                vec![
                    "page must be a number conforming to the specified constraints",
                    "property cursor should not exist",
                ],
            ),
        ];
        for (query, messages) in cases {
            let (status, body) = get_json(&s, &format!("/v2/phone-number?{query}")).await;
            assert_eq!(status, 400, "{query}");
            assert_eq!(
                body,
                nest_error(400, "Bad Request", json!(messages)),
                "{query}"
            );
        }
        s.shutdown().await;
    }

    #[tokio::test]
    async fn write_methods_and_unknown_paths_are_refused_and_recorded() {
        let s = start(numbers(1)).await;
        let c = client();
        let one = format!("{}/phone-number/{}", s.base_url(), id_of(0));
        let list = format!("{}/phone-number", s.base_url());
        let attempts = [
            c.post(&list).json(&json!({"provider": "vapi"})),
            c.patch(&one).json(&json!({"name": "x"})),
            c.delete(&one),
        ];
        for attempt in attempts {
            let response = attempt.bearer_auth(KEY).send().await.unwrap();
            assert_eq!(response.status(), 405);
            assert_eq!(response.headers()[header::ALLOW], "GET");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["statusCode"], json!(405));
            assert_eq!(body["error"], json!("Method Not Allowed"));
        }
        let (status, body) = get_json(&s, "/assistant?limit=1").await;
        assert_eq!(status, 404);
        assert_eq!(
            body,
            nest_error(404, "Not Found", json!("Cannot GET /assistant?limit=1"))
        );
        let (status, _) = get_json(&s, &format!("/phone-number/{}/extra", id_of(0))).await;
        assert_eq!(status, 404);
        // The object is unchanged.
        let (_, body) = get_json(&s, &format!("/phone-number/{}", id_of(0))).await;
        assert_eq!(body, numbers(1)[0]);

        let methods: Vec<String> = s.stats().requests.into_iter().map(|r| r.method).collect();
        assert_eq!(methods, ["POST", "PATCH", "DELETE", "GET", "GET", "GET"]);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn upsert_and_remove_change_what_is_served() {
        let s = StandIn::start(config(vec![])).await.unwrap();
        let id = id_of(7);
        let path = format!("/phone-number/{id}");
        assert_eq!(get_json(&s, &path).await.0, 404);
        assert_eq!(get_json(&s, "/phone-number").await.1, json!([]));

        s.upsert(number(7, 0));
        s.upsert(number(8, 60));
        assert_eq!(s.number_count(), 2);
        assert_eq!(get_json(&s, &path).await, (200, number(7, 0)));
        // Replacing moves it in the order when createdAt changes.
        let mut newer = number(7, 120);
        newer["name"] = json!("Renamed");
        s.upsert(newer.clone());
        assert_eq!(s.number_count(), 2);
        assert_eq!(get_json(&s, &path).await, (200, newer));
        let (_, body) = get_json(&s, "/phone-number").await;
        assert_eq!(ids(&body), [id_of(7), id_of(8)]);

        s.remove(&id);
        s.remove("not-there");
        assert_eq!(get_json(&s, &path).await.0, 404);
        let (_, body) = get_json(&s, "/v2/phone-number").await;
        assert_eq!(ids(&body["results"]), [id_of(8)]);
        assert_eq!(body["metadata"]["totalItems"], json!(1));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn status_faults_come_in_order_with_retry_after() {
        let s = start(numbers(1)).await;
        let id = id_of(0);
        let at = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        s.inject(
            &id,
            vec![Fault::status_retry_after_secs(503, 2), Fault::status(500)],
        );
        s.inject(&id, vec![Fault::status_retry_at(429, at)]);
        let path = format!("/phone-number/{id}");

        let response = get(&s, &path).await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            nest_error(503, "Service Unavailable", json!("Service Unavailable"))
        );

        let response = get(&s, &path).await;
        assert_eq!(response.status(), 500);
        assert!(response.headers().get(header::RETRY_AFTER).is_none());

        let response = get(&s, &path).await;
        assert_eq!(response.status(), 429);
        let retry = response.headers()[header::RETRY_AFTER].to_str().unwrap();
        assert_eq!(httpdate::parse_http_date(retry).unwrap(), at);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            nest_error(429, "Too Many Requests", json!(RATE_LIMIT_MESSAGE))
        );

        // The queue is empty: the normal answer again.
        assert_eq!(get_json(&s, &path).await, (200, numbers(1)[0].clone()));
        let stats = s.stats();
        let statuses: Vec<Option<u16>> = stats.requests.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Some(503), Some(500), Some(429), Some(200)]);
        // Injected 429s are not rate limiting.
        assert_eq!(stats.rate_limited, 0);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn malformed_json_html_and_body_faults() {
        let s = start(numbers(1)).await;
        let id = id_of(0);
        let path = format!("/phone-number/{id}");
        s.inject(
            &id,
            vec![
                Fault::MalformedJson,
                Fault::HtmlOk,
                Fault::Body(json!({"id": id, "provider": "plivo"})),
                Fault::Body(json!([1, 2])),
            ],
        );

        let response = get(&s, &path).await;
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let error = response.json::<Value>().await.unwrap_err();
        assert!(error.is_decode(), "{error:?}");

        let response = get(&s, &path).await;
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let error = response.json::<Value>().await.unwrap_err();
        assert!(error.is_decode(), "{error:?}");

        assert_eq!(
            get_json(&s, &path).await,
            (200, json!({"id": id, "provider": "plivo"}))
        );
        assert_eq!(get_json(&s, &path).await, (200, json!([1, 2])));
        assert_eq!(get_json(&s, &path).await, (200, numbers(1)[0].clone()));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn truncated_body_is_a_client_side_body_error() {
        let s = start(numbers(1)).await;
        let id = id_of(0);
        let path = format!("/phone-number/{id}");
        let full = serde_json::to_vec(&numbers(1)[0]).unwrap().len();
        s.inject(&id, vec![Fault::Truncated, Fault::Truncated]);

        let response = get(&s, &path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.content_length(), Some(full as u64));
        let error = response.bytes().await.unwrap_err();
        assert!(error.is_body() || error.is_decode(), "{error:?}");

        // On the wire: the full length announced, half of it sent, then FIN.
        let (raw, outcome) = raw_get(s.addr(), &path).await;
        assert!(outcome.is_ok(), "a clean close is expected: {outcome:?}");
        let (head, body) = split_head(&raw);
        assert!(head.starts_with("http/1.1 200"));
        assert!(head.contains(&format!("content-length: {full}")), "{head}");
        assert_eq!(body.len(), full / 2);

        // The next request is served normally.
        assert_eq!(get_json(&s, &path).await.0, 200);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn reset_mid_body_is_a_client_side_body_error() {
        let s = start(numbers(1)).await;
        let id = id_of(0);
        let path = format!("/phone-number/{id}");
        s.inject(&id, vec![Fault::ResetMidBody, Fault::ResetMidBody]);

        let response = get(&s, &path).await;
        assert_eq!(response.status(), 200);
        let error = response.bytes().await.unwrap_err();
        assert!(error.is_body() || error.is_decode(), "{error:?}");

        // On the wire: headers and part of a chunked body, then a RST.
        let (raw, outcome) = raw_get(s.addr(), &path).await;
        let error = outcome.expect_err("the connection must be reset");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
        let (head, body) = split_head(&raw);
        assert!(head.starts_with("http/1.1 200"));
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        assert!(body.contains("\"id\":"), "{body}");

        assert_eq!(get_json(&s, &path).await.0, 200);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn hang_times_out_while_other_requests_go_on() {
        let s = start(numbers(2)).await;
        s.inject(&id_of(0), vec![Fault::Hang]);
        let c = reqwest::Client::builder()
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let hanging = c
            .get(format!("{}/phone-number/{}", s.base_url(), id_of(0)))
            .bearer_auth(KEY)
            .send();
        let normal = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c.get(format!("{}/phone-number/{}", s.base_url(), id_of(1)))
                .bearer_auth(KEY)
                .send()
                .await
        };
        let started = Instant::now();
        let (hung, normal) = tokio::join!(hanging, normal);
        let error = hung.unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(normal.unwrap().status(), 200);

        let stats = s.stats();
        assert_eq!(stats.requests[0].status, None);
        assert_eq!(stats.requests[1].status, Some(200));
        assert_eq!(stats.peak_in_flight, 2);
        // The hanging handler is still there; shutdown ends it promptly.
        let stopping = Instant::now();
        s.shutdown().await;
        assert!(stopping.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn slow_body_streams_the_real_body() {
        let s = start(numbers(1)).await;
        let id = id_of(0);
        let delay = Duration::from_millis(10);
        s.inject(&id, vec![Fault::SlowBody { chunk_delay: delay }]);
        s.inject("missing", vec![Fault::SlowBody { chunk_delay: delay }]);
        let expected = serde_json::to_vec(&numbers(1)[0]).unwrap();
        let chunks = expected.len().div_ceil(SLOW_CHUNK_BYTES);

        let started = Instant::now();
        let response = get(&s, &format!("/phone-number/{id}")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.content_length(), Some(expected.len() as u64));
        let body = response.bytes().await.unwrap();
        assert_eq!(body.as_ref(), expected.as_slice());
        assert!(started.elapsed() >= delay * (chunks as u32 - 1));

        // The normal answer is kept, status included.
        let (status, body) = get_json(&s, "/phone-number/missing").await;
        assert_eq!((status, body["statusCode"].clone()), (404, json!(404)));
        s.shutdown().await;
    }

    #[tokio::test]
    async fn list_faults_share_one_queue_and_only_authorized_requests_take_them() {
        let s = start(numbers(3)).await;
        s.inject_list(vec![
            Fault::status(502),
            Fault::Body(json!({"results": "not an array"})),
        ]);
        let response = client()
            .get(format!("{}/phone-number", s.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        // A request failing validation does not take one either.
        assert_eq!(get_json(&s, "/phone-number?limit=5000").await.0, 400);
        assert_eq!(get_json(&s, "/phone-number").await.0, 502);
        assert_eq!(
            get_json(&s, "/v2/phone-number").await,
            (200, json!({"results": "not an array"}))
        );
        let (status, body) = get_json(&s, "/v2/phone-number").await;
        assert_eq!(status, 200);
        assert_eq!(body["metadata"]["totalItems"], json!(3));
        // Per-id faults are separate.
        s.inject(&id_of(1), vec![Fault::status(500)]);
        assert_eq!(
            get_json(&s, &format!("/phone-number/{}", id_of(2))).await.0,
            200
        );
        assert_eq!(get_json(&s, "/phone-number").await.0, 200);
        s.clear_faults();
        assert_eq!(
            get_json(&s, &format!("/phone-number/{}", id_of(1))).await.0,
            200
        );
        s.shutdown().await;
    }

    #[tokio::test]
    async fn rate_limit_answers_429_counts_them_and_slides() {
        let s = StandIn::start(StandInConfig {
            rate_limit: Some(5),
            ..config(numbers(1))
        })
        .await
        .unwrap();
        let url = format!("{}/phone-number/{}", s.base_url(), id_of(0));
        let c = client();
        let get = || c.get(&url).bearer_auth(KEY).send();
        let started = Instant::now();
        let mut statuses = Vec::new();
        for _ in 0..12 {
            let response = get().await.unwrap();
            statuses.push(response.status().as_u16());
            if response.status() == 429 {
                assert!(response.headers().get(header::RETRY_AFTER).is_none());
                assert_eq!(
                    response.json::<Value>().await.unwrap(),
                    nest_error(429, "Too Many Requests", json!(RATE_LIMIT_MESSAGE))
                );
            }
        }
        assert!(started.elapsed() < RATE_WINDOW, "the burst took too long");
        assert_eq!(
            statuses,
            [200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429, 429]
        );
        let stats = s.stats();
        assert_eq!(stats.rate_limited, 7);
        assert_eq!(stats.count_status(429), 7);

        // Once the admitted requests have left the window, requests pass again.
        tokio::time::sleep_until((started + RATE_WINDOW + Duration::from_millis(20)).into()).await;
        assert_eq!(get().await.unwrap().status(), 200);
        s.reset_stats();
        assert_eq!(s.stats().rate_limited, 0);
        assert!(s.stats().requests.is_empty());
        s.shutdown().await;
    }

    #[tokio::test]
    async fn revoked_key_gets_401_after_n_requests() {
        let s = StandIn::start(StandInConfig {
            revoke_key_after: Some(3),
            ..config(numbers(1))
        })
        .await
        .unwrap();
        let path = format!("/phone-number/{}", id_of(0));
        let mut statuses = Vec::new();
        for _ in 0..5 {
            let (status, body) = get_json(&s, &path).await;
            if status == 401 {
                assert_eq!(
                    body,
                    nest_error(401, "Unauthorized", json!(INVALID_KEY_MESSAGE))
                );
            }
            statuses.push(status);
        }
        assert_eq!(statuses, [200, 200, 200, 401, 401]);
        // The requests did carry the right key.
        assert!(s.stats().requests.iter().all(|r| r.authorized));
        assert_eq!(get_json(&s, "/v2/phone-number").await.0, 401);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn latency_is_concurrent_and_peak_in_flight_is_tracked() {
        let latency = Duration::from_millis(100);
        let s = StandIn::start(StandInConfig {
            latency,
            ..config(numbers(20))
        })
        .await
        .unwrap();
        let c = client();
        let started = Instant::now();
        let requests = (0..20).map(|i| {
            c.get(format!("{}/phone-number/{}", s.base_url(), id_of(i)))
                .bearer_auth(KEY)
                .send()
        });
        let responses = futures::future::join_all(requests).await;
        let elapsed = started.elapsed();
        for response in responses {
            assert_eq!(response.unwrap().status(), 200);
        }
        assert!(elapsed >= latency);
        assert!(
            elapsed < latency * 10,
            "requests were serialised: {elapsed:?}"
        );
        let peak = s.stats().peak_in_flight;
        assert!(peak > 1 && peak <= 20, "peak {peak}");

        s.reset_stats();
        assert_eq!(s.stats().peak_in_flight, 0);
        let longer = Duration::from_millis(250);
        s.set_latency(longer);
        let slow = Instant::now();
        let response = c
            .get(format!("{}/phone-number/{}", s.base_url(), id_of(0)))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(slow.elapsed() >= longer);
        s.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hundreds_of_concurrent_connections_over_thousands_of_numbers() {
        let s = StandIn::start(StandInConfig {
            latency: Duration::from_millis(50),
            ..config(numbers(3000))
        })
        .await
        .unwrap();
        let c = client();
        let started = Instant::now();
        let requests = (0..300).map(|i| {
            let request = c
                .get(format!("{}/phone-number/{}", s.base_url(), id_of(i * 10)))
                .bearer_auth(KEY);
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["id"], json!(id_of(i * 10)));
            }
        });
        futures::future::join_all(requests).await;
        // Serialised, this would take 15 s.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let stats = s.stats();
        assert_eq!(stats.requests.len(), 300);
        assert!(stats.peak_in_flight > 1);
        s.shutdown().await;
    }

    #[tokio::test]
    async fn shutdown_frees_the_port_and_drop_stops_the_server() {
        let s = start(numbers(1)).await;
        let port = s.addr().port();
        s.shutdown().await;
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());

        let s = StandIn::start_on(config(numbers(1)), port).await.unwrap();
        assert_eq!(s.base_url(), format!("http://127.0.0.1:{port}"));
        assert_eq!(
            get(&s, &format!("/phone-number/{}", id_of(0)))
                .await
                .status(),
            200
        );
        drop(s);
        let deadline = Instant::now() + Duration::from_secs(2);
        while TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            assert!(Instant::now() < deadline, "still accepting after drop");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn numbers_without_an_id_are_refused_at_start() {
        let error = StandIn::start(config(vec![json!({"name": "no id"})]))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn blocking_stand_in_serves_synchronous_callers() {
        use std::io::{Read, Write};
        let s = BlockingStandIn::start(config(numbers(2))).unwrap();
        s.inject(&id_of(1), vec![Fault::status(503)]);
        let fetch = |id: &str| {
            let mut stream = std::net::TcpStream::connect(s.addr()).unwrap();
            let request = format!(
                "GET /phone-number/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).unwrap();
            let mut raw = String::new();
            stream.read_to_string(&mut raw).unwrap();
            raw
        };
        assert!(fetch(&id_of(0)).starts_with("HTTP/1.1 200"));
        assert!(fetch(&id_of(1)).starts_with("HTTP/1.1 503"));
        assert_eq!(s.stats().requests.len(), 2);
        let port = s.addr().port();
        s.shutdown();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
        // Dropping without shutdown does not panic either.
        drop(BlockingStandIn::start(config(vec![])).unwrap());
    }

    #[test]
    fn iso8601_dates_parse_like_http_dates() {
        let millis = |at: SystemTime| {
            i64::try_from(at.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
        };
        let http = |text: &str| millis(httpdate::parse_http_date(text).unwrap());
        assert_eq!(
            parse_iso8601_millis("2026-03-26T15:43:16.145Z"),
            Some(http("Thu, 26 Mar 2026 15:43:16 GMT") + 145)
        );
        assert_eq!(
            parse_iso8601_millis("2024-02-29T23:59:59Z"),
            Some(http("Thu, 29 Feb 2024 23:59:59 GMT"))
        );
        assert_eq!(
            parse_iso8601_millis("2026-03-26T17:43:16.1+02:00"),
            Some(http("Thu, 26 Mar 2026 15:43:16 GMT") + 100)
        );
        assert_eq!(
            parse_iso8601_millis("2026-03-26T10:13:16.145123-0530"),
            Some(http("Thu, 26 Mar 2026 15:43:16 GMT") + 145)
        );
        assert_eq!(
            parse_iso8601_millis("2000-01-01"),
            Some(http("Sat, 01 Jan 2000 00:00:00 GMT"))
        );
        assert_eq!(parse_iso8601_millis("1970-01-01T00:00Z"), Some(0));
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2025-02-29",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00Zjunk",
            "2026-01-01X00:00:00Z",
            "yesterday",
        ] {
            assert_eq!(parse_iso8601_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn routes() {
        assert!(matches!(route("/phone-number"), Some(Route::List)));
        assert!(matches!(route("/phone-number/"), Some(Route::List)));
        assert!(matches!(route("/v2/phone-number"), Some(Route::ListV2)));
        assert!(matches!(
            route("/phone-number/abc"),
            Some(Route::One("abc"))
        ));
        assert!(matches!(
            route("/phone-number/abc/"),
            Some(Route::One("abc"))
        ));
        assert!(route("/phone-number/a/b").is_none());
        assert!(route("/").is_none());
        assert!(route("/v2/phone-number/abc").is_none());
    }
}
