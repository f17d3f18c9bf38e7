//! Injected faults: error statuses, broken bodies, slow, truncated, aborted and
//! hanging answers.

use super::*;

pub(crate) async fn render_fault(
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
        Fault::Raw {
            status,
            headers,
            body,
        } => {
            let mut response = plain(fault_status(status), JSON_TYPE, Body::from(body));
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
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
pub(crate) fn aborted() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::other("stand-in shutting down"))
    });
    plain(StatusCode::OK, JSON_TYPE, Body::from_stream(failing))
}

/// The first half of `body`, a short pause, then an error (after setting
/// `reset`, if given, so that the connection closes with a RST).
pub(crate) fn partial_body(
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
pub(crate) fn slow_body(
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
