//! Requests: routing, admission (rate limit, key, method, query validation), and
//! the list and get answers with their filters.

use super::*;

pub(crate) enum Route<'a> {
    List,
    ListV2,
    One(&'a str),
}

pub(crate) fn route(path: &str) -> Option<Route<'_>> {
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
pub(crate) struct Prepared {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) parts: Vec<Bytes>,
    pub(crate) allow_get: bool,
}

impl Prepared {
    pub(crate) fn json(status: StatusCode, parts: Vec<Bytes>) -> Prepared {
        Prepared {
            status,
            content_type: JSON_TYPE,
            parts,
            allow_get: false,
        }
    }

    /// The NestJS error shape: `{"message", "error", "statusCode"}`.
    pub(crate) fn error(status: StatusCode, message: Value) -> Prepared {
        Prepared::json(status, vec![error_body(status, message)])
    }

    pub(crate) fn body(&self) -> Bytes {
        if let [single] = self.parts.as_slice() {
            return single.clone();
        }
        let mut out = Vec::with_capacity(self.parts.iter().map(Bytes::len).sum());
        for part in &self.parts {
            out.extend_from_slice(part);
        }
        Bytes::from(out)
    }

    pub(crate) fn into_response(self) -> Response {
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

pub(crate) fn error_body(status: StatusCode, message: Value) -> Bytes {
    let body = json!({
        "message": message,
        "error": status.canonical_reason().unwrap_or("Error"),
        "statusCode": status.as_u16(),
    });
    Bytes::from(serde_json::to_vec(&body).expect("a serde_json::Value always serialises"))
}

pub(crate) fn plain(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(crate) enum Plan {
    Answer(Prepared),
    /// The fault, and the normal answer it may need (slow or partial bodies).
    Fault(Fault, Prepared),
}

impl Plan {
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Plan::Answer(p) => Some(p.status.as_u16()),
            Plan::Fault(Fault::Status { code, .. }, _) => Some(fault_status(*code).as_u16()),
            Plan::Fault(Fault::Hang, _) => None,
            Plan::Fault(Fault::SlowBody { .. }, normal) => Some(normal.status.as_u16()),
            Plan::Fault(Fault::Raw { status, .. }, _) => Some(fault_status(*status).as_u16()),
            Plan::Fault(_, _) => Some(200),
        }
    }
}

pub(crate) fn fault_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(crate) fn bearer_matches(headers: &HeaderMap, api_key: &str) -> bool {
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

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
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
pub(crate) fn admit(shared: &Shared, request: &Request) -> (Plan, Duration) {
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

pub(crate) fn decide(
    state: &mut MutableState,
    method: &Method,
    uri: &Uri,
    authorized: bool,
) -> Plan {
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
pub(crate) fn list_v1(store: &Store, query: &ListQuery) -> Prepared {
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
pub(crate) fn list_v2(store: &Store, query: &ListQuery) -> Prepared {
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
pub(crate) enum DateField {
    Created,
    Updated,
}

#[derive(Clone, Copy)]
pub(crate) enum Cmp {
    Gt,
    Lt,
    Ge,
    Le,
}

/// The eight date filters both list routes take.
pub(crate) const DATE_FILTERS: [(&str, DateField, Cmp); 8] = [
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
pub(crate) struct ListQuery {
    pub(crate) limit: usize,
    pub(crate) page: usize,
    /// Lower-cased.
    pub(crate) search: Option<String>,
    pub(crate) ascending: bool,
    pub(crate) filters: Vec<(DateField, Cmp, i64)>,
}

impl ListQuery {
    /// Validates like Vapi's NestJS `ValidationPipe` (whitelist, forbid
    /// unknown properties): every problem becomes one message.
    pub(crate) fn parse(uri: &Uri, v2: bool) -> Result<ListQuery, Vec<String>> {
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

    pub(crate) fn matches(&self, entry: &Entry) -> bool {
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
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Milliseconds since the Unix epoch of an ISO 8601 date (`2026-03-26`) or
/// date-time (`2026-03-26T15:43:16.145Z`, `...+02:00`; no offset means UTC), as
/// jiff reads them.
pub(crate) fn parse_iso8601_millis(text: &str) -> Option<i64> {
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Some(at.as_millisecond());
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}
