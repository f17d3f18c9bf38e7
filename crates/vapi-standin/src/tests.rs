//! Unit tests of the stand-in: routes, paging, faults, rate limit, key revocation.

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

/// In the workspace's test build reqwest has TLS without a provider of its own
/// (vapi-drift installs ring's), so a client here needs one installed too.
fn builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

fn client() -> reqwest::Client {
    builder().user_agent("vapi-drift-test/1.0").build().unwrap()
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
    let (status, body) = get_json(&s, "/phone-number/0b5a1c1e-0000-4000-8000-000000000000").await;
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
    let c = builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let hanging = tokio::spawn(
        c.get(format!("{}/phone-number/{}", s.base_url(), id_of(0)))
            .bearer_auth(KEY)
            .send(),
    );
    // The second request goes once the stand-in holds the first (a condition, not
    // a sleep: on a loaded machine a sleep does not order anything).
    while s.stats().requests.is_empty() {
        tokio::task::yield_now().await;
    }
    let normal = c
        .get(format!("{}/phone-number/{}", s.base_url(), id_of(1)))
        .bearer_auth(KEY)
        .send()
        .await;
    let hung = hanging.await.unwrap();
    let error = hung.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(normal.unwrap().status(), 200);

    // By path, not by arrival order: no sleep decides which request came first.
    let stats = s.stats();
    let status_of = |i: usize| {
        let path = format!("/phone-number/{}", id_of(i));
        stats
            .requests
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.status)
    };
    assert_eq!(status_of(0), Some(None));
    assert_eq!(status_of(1), Some(Some(200)));
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
    let millis =
        |at: SystemTime| i64::try_from(at.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
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
