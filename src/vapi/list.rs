//! Reading the whole org through the list routes (REFERENCE.md §6):
//! `GET /v2/phone-number` page by page (`limit=1000`, oldest first; page 1, then
//! the remaining pages concurrently), or, where that route does not exist (404),
//! `GET /phone-number?limit=1000` (a bare array, no paging).
//!
//! Owns: paging and its stop conditions (`hasNextPage: false` or a short page),
//! validating every listed element as a phone number, deduplicating by id, and
//! saying when a listing may not hold every number of the org. Every request goes
//! through [`Client::get_json`], so retries, backoff and `Retry-After` apply.
//!
//! Does not own: what the listed numbers are matched or compared with (see `inventory`).

use super::client::{Body, Client, FetchError, check_phone_number};
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

/// Numbers per page (the API's maximum on both list routes).
pub const PAGE_LIMIT: usize = 1000;
/// A guard against a server that always says there is another page.
const MAX_PAGES: usize = 100_000;
/// Pages read at once, whatever `--concurrency` says. A page is up to 1,000
/// numbers (~0.65 MB of JSON), held in the client's buffers from its first byte
/// until its numbers are handed over: 64 in flight were 22 MB of a
/// 100,000-number check's peak, 16 were 20 MB; 8 took 151–153 MB peak RSS where
/// 16 took 159–165 MB, and once the rest was slimmed, 4 take 96–97 MB where 8
/// take 102 MB. Pages come faster than their numbers are compared (comparing, not
/// waiting, is what a large listing spends its time on): a 10,000-number check
/// took 0.44–0.47 s with 8 and with 16, and 0.33–0.35 s with 4 (BENCHMARKS.md).
const PAGES_IN_FLIGHT: usize = 4;

/// Which list route a listing came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRoute {
    /// `GET /v2/phone-number` (paginated).
    V2,
    /// `GET /phone-number` (a bare array of at most 1000).
    V1,
}

/// One listed phone number, held as compact JSON text and parsed when it is
/// used. A whole org is held while the list is read and matched, and a parsed
/// `Value` takes about four times the memory of its text (10,000 numbers: 28 MB
/// as values, 7 MB as text).
#[derive(Clone)]
pub struct Listed {
    id: Box<str>,
    json: Arc<str>,
}

impl Listed {
    /// `None` unless `value` is a JSON object with a string `id`.
    pub fn new(value: &Value) -> Option<Listed> {
        let id = value.get("id")?.as_str()?.into();
        Some(Listed {
            id,
            json: serde_json::to_string(value).ok()?.into(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The number as the API sent it (the text was written from a parsed value,
    /// so it parses back).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).expect("serde_json reads back what it wrote")
    }
}

/// The id only: the object may hold credentials.
impl fmt::Debug for Listed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Listed").field(&self.id).finish()
    }
}

/// The live numbers the list routes showed.
#[derive(Debug, Clone)]
pub struct Listing {
    pub route: ListRoute,
    /// Every listed phone number, validated, deduplicated by id, in the order read;
    /// empty when the numbers were handed to a sink as they came (`list_*_into`).
    pub numbers: Vec<Listed>,
    /// The ids listed so far (deduplication across pages).
    seen: HashSet<Box<str>>,
    /// Numbers listed (kept or handed to a sink).
    listed: usize,
    /// List requests made (pages; retries not counted).
    pub requests: usize,
    /// Why the listing may miss numbers even once every page is read.
    gaps: Vec<String>,
    /// Pages still to read; `None` when there are none.
    next: Option<Remaining>,
    /// How many numbers the first page said the org has.
    announced: Option<usize>,
    /// Listed entries that were not phone numbers.
    skipped: usize,
}

#[derive(Debug, Clone, Copy)]
struct Remaining {
    next_page: usize,
    /// The last page according to the first page's metadata, when it said.
    last_page: Option<usize>,
}

impl Listing {
    /// A listing of nothing yet: pages are `add`ed to it.
    fn empty(route: ListRoute, next: Option<Remaining>, announced: Option<usize>) -> Listing {
        Listing {
            route,
            numbers: Vec::new(),
            seen: HashSet::new(),
            listed: 0,
            requests: 0,
            gaps: Vec::new(),
            next,
            announced,
            skipped: 0,
        }
    }

    /// Why this listing may not hold every number of the org; `None` when it does.
    pub fn incomplete(&self) -> Option<String> {
        let mut reasons = self.gaps.clone();
        let listed = self.listed + self.skipped;
        if self.next.is_none()
            && let Some(total) = self.announced
            && listed < total
        {
            // A number deleted while the pages were read shifts the later pages by one.
            reasons.push(format!(
                "the list showed {listed} of the {total} numbers the API announced"
            ));
        }
        if let Some(rest) = self.next {
            let pages = match rest.last_page {
                Some(last) => format!(" of {last}"),
                None => String::new(),
            };
            reasons.insert(0, format!("only page 1{pages} of the list was read"));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// Pages still to read: `Some(0)` when none, `None` when unknown (the API did
    /// not say how many pages there are).
    pub fn remaining_pages(&self) -> Option<usize> {
        match self.next {
            None => Some(0),
            Some(Remaining {
                next_page,
                last_page: Some(last),
            }) => Some(last.saturating_add(1).saturating_sub(next_page)),
            Some(_) => None,
        }
    }

    /// Adds a page's numbers to `numbers`.
    #[cfg(test)]
    fn add(&mut self, page: Page) {
        let mut kept = std::mem::take(&mut self.numbers);
        self.add_into(page, &mut |n| kept.push(n));
        self.numbers = kept;
    }

    /// Hands a page's numbers not listed before to `sink`.
    fn add_into(&mut self, page: Page, sink: &mut dyn Sink) {
        self.requests += 1;
        for number in page.numbers {
            if self.seen.insert(number.id().into()) {
                self.listed += 1;
                sink.take(number);
            }
        }
        self.skipped += page.skipped.len();
        if !page.skipped.is_empty() {
            let n = page.skipped.len();
            self.gaps.push(format!(
                "{n} listed entr{} not a phone number ({})",
                if n == 1 { "y is" } else { "ies are" },
                page.skipped[0]
            ));
        }
        if page.beyond_retention {
            self.gaps.push(
                "the API says more numbers exist beyond the org's data-retention window (itemsBeyondRetention)"
                    .into(),
            );
        }
    }

    /// Every listed number, parsed.
    pub fn values(&self) -> Vec<Value> {
        self.numbers.iter().map(Listed::value).collect()
    }
}

/// Where listed numbers go as their page arrives (see [`Client::list_all_into`]).
pub trait Sink: Send {
    /// One listed number (each once, in page order).
    fn take(&mut self, listed: Listed);

    /// Awaited after each page is handed over: a sink that works on the numbers
    /// it takes (a check compares them) holds the read back here until it has
    /// caught up, so that pages are not read faster than they are used.
    fn caught_up(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

impl<F: FnMut(Listed) + Send> Sink for F {
    fn take(&mut self, listed: Listed) {
        self(listed);
    }
}

/// One page of `GET /v2/phone-number`, its elements checked.
struct Page {
    numbers: Vec<Listed>,
    /// Why each dropped element is not a phone number.
    skipped: Vec<String>,
    total_pages: Option<usize>,
    /// How many numbers the API says the org has.
    total_items: Option<usize>,
    /// Whether another page follows (`hasNextPage`, else the announced page count,
    /// else a full page).
    more: bool,
    beyond_retention: bool,
}

/// Keeps the elements that are phone numbers with a string id; says why for the others.
fn split_elements(items: Vec<Value>) -> (Vec<Listed>, Vec<String>) {
    let mut numbers = Vec::with_capacity(items.len());
    let mut skipped = Vec::new();
    for item in items {
        match check_phone_number(&item, None).map(|()| Listed::new(&item)) {
            Err(e) => skipped.push(e.to_string()),
            Ok(None) => skipped.push("a phone number without a string \"id\"".into()),
            Ok(Some(number)) => numbers.push(number),
        }
    }
    (numbers, skipped)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    }
}

/// Parses a list body: whole when it parses, else element by element, so that one
/// element the parser refuses (a number beyond f64 such as `1e400`, an escaped lone
/// surrogate) is one skipped element with its reason, not a malformed page that
/// leaves every number on it unread. `Ok((items, bad))`: the elements that parse,
/// and why each other one does not. The other parts of a page (its `metadata`)
/// go through the same: a part that does not parse is left out.
fn lenient_list(body: &Body, what: &str) -> Result<(Value, Vec<String>), FetchError> {
    let strict = match body.json() {
        Ok(v) => return Ok((v, Vec::new())),
        Err(e) => e,
    };
    let mut bad = Vec::new();
    let mut elements = |raw: Vec<&RawValue>| -> Value {
        let mut good = Vec::with_capacity(raw.len());
        for (i, r) in raw.into_iter().enumerate() {
            match serde_json::from_str::<Value>(r.get()) {
                Ok(v) => good.push(v),
                Err(e) => bad.push(format!(
                    "element {i} of {what}{} is not valid JSON: {e}",
                    id_of(r)
                )),
            }
        }
        Value::Array(good)
    };
    // A bare array (`GET /phone-number`).
    if let Ok(raw) = serde_json::from_slice::<Vec<&RawValue>>(&body.bytes) {
        let items = elements(raw);
        return Ok((items, bad));
    }
    // A page: `results` element by element, the other parts whole (or left out).
    let parts =
        serde_json::from_slice::<std::collections::BTreeMap<String, &RawValue>>(&body.bytes)
            .map_err(|_| strict)?;
    let mut out = serde_json::Map::new();
    for (k, v) in parts {
        if k == "results"
            && let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(v.get())
        {
            out.insert(k, elements(items));
        } else if let Ok(v) = serde_json::from_str::<Value>(v.get()) {
            out.insert(k, v);
        }
    }
    Ok((Value::Object(out), bad))
}

/// ` (id "…")` of a listed element that does not parse, when its id can be read.
fn id_of(raw: &RawValue) -> String {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(raw.get())
        .ok()
        .and_then(|i| i.id)
        .map(|id| format!(" (id \"{id}\")"))
        .unwrap_or_default()
}

#[cfg(test)]
fn parse_page(body: Value, page: usize) -> Result<Page, FetchError> {
    parse_page_with(body, page, Vec::new())
}

/// [`parse_page`], with the elements that did not parse (`bad`: why each did not).
fn parse_page_with(body: Value, page: usize, bad: Vec<String>) -> Result<Page, FetchError> {
    let Value::Object(mut obj) = body else {
        return Err(FetchError::Malformed(format!(
            "page {page} of GET /v2/phone-number: expected {{\"results\", \"metadata\"}}, got {}",
            kind_of(&body)
        )));
    };
    let Some(Value::Array(results)) = obj.remove("results") else {
        return Err(FetchError::Malformed(format!(
            "page {page} of GET /v2/phone-number has no \"results\" list"
        )));
    };
    let meta = obj.remove("metadata").unwrap_or(Value::Null);
    let count = |k: &str| {
        meta.get(k)
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| n as usize)
    };
    let per_page = count("itemsPerPage")
        .filter(|n| *n > 0)
        .unwrap_or(PAGE_LIMIT);
    // A page count past MAX_PAGES (`totalPages: 1e300`) is not believed: it would
    // overflow, or schedule a billion requests. Paging then goes on page by page
    // while pages are full, as when the API says nothing.
    let total_pages = count("totalPages")
        .or_else(|| count("totalItems").map(|items| items.div_ceil(per_page)))
        .filter(|pages| *pages <= MAX_PAGES);
    let has_next = meta.get("hasNextPage").and_then(Value::as_bool);
    let short = results.len() + bad.len() < per_page.min(PAGE_LIMIT);
    // What the API says wins: a short page with `hasNextPage: true` (or before the
    // announced last page) is not the end. Only when it says nothing does a short
    // page end the list.
    let more = match (has_next, total_pages) {
        (Some(next), _) => next,
        (None, Some(last)) => page < last,
        (None, None) => !short,
    };
    let total_items = count("totalItems");
    let beyond_retention = meta.get("itemsBeyondRetention").and_then(Value::as_bool) == Some(true);
    let (numbers, mut skipped) = split_elements(results);
    skipped.extend(bad);
    Ok(Page {
        numbers,
        skipped,
        total_pages,
        total_items,
        more,
        beyond_retention,
    })
}

impl Client {
    /// One page of `GET /v2/phone-number`; `Ok(None)` when the route does not exist (404).
    async fn list_page(&self, page: usize, limit: usize) -> Result<Option<Page>, FetchError> {
        let mut url = self.url(&["v2", "phone-number"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("limit", &limit.to_string())
            // Oldest first: numbers created while the pages are read land at the
            // end instead of shifting every page by one.
            .append_pair("sortOrder", "ASC");
        match self.get_body(url).await {
            Ok(body) => {
                let (value, bad) = lenient_list(&body, &format!("page {page}"))?;
                parse_page_with(value, page, bad).map(Some)
            }
            Err(FetchError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /phone-number?limit=N`: a bare array.
    async fn list_v1(&self, limit: usize) -> Result<(Vec<Value>, Vec<String>), FetchError> {
        let mut url = self.url(&["phone-number"]);
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string());
        let listed = match self.get_body(url).await {
            Ok(body) => lenient_list(&body, "GET /phone-number"),
            Err(e) => Err(e),
        };
        match listed {
            Ok((Value::Array(items), bad)) => Ok((items, bad)),
            Ok((other, _)) => Err(FetchError::Malformed(format!(
                "GET /phone-number: expected a list, got {}",
                kind_of(&other)
            ))),
            Err(FetchError::NotFound) => Err(FetchError::Failed(
                "neither GET /v2/phone-number nor GET /phone-number exists at this base URL (HTTP 404)"
                    .into(),
            )),
            Err(e) => Err(e),
        }
    }

    /// The first page of the org: page 1 of `GET /v2/phone-number`, or, when that
    /// route answers 404, everything `GET /phone-number?limit=1000` returns.
    pub async fn list_first(&self) -> Result<Listing, FetchError> {
        let mut numbers = Vec::new();
        let mut listing = self.list_first_into(&mut |n| numbers.push(n)).await?;
        listing.numbers = numbers;
        Ok(listing)
    }

    /// [`Client::list_first`], its numbers handed to `sink` instead of kept.
    pub async fn list_first_into(&self, sink: &mut dyn Sink) -> Result<Listing, FetchError> {
        match self.list_page(1, PAGE_LIMIT).await? {
            Some(page) => {
                let next = page.more.then_some(Remaining {
                    next_page: 2,
                    last_page: page.total_pages,
                });
                let mut listing = Listing::empty(ListRoute::V2, next, page.total_items);
                listing.add_into(page, sink);
                Ok(listing)
            }
            None => {
                let (items, bad) = self.list_v1(PAGE_LIMIT).await?;
                let full = items.len() + bad.len() >= PAGE_LIMIT;
                let (numbers, mut skipped) = split_elements(items);
                skipped.extend(bad);
                let mut listing = Listing::empty(ListRoute::V1, None, None);
                listing.add_into(
                    Page {
                        numbers,
                        skipped,
                        total_pages: Some(1),
                        total_items: None,
                        more: false,
                        beyond_retention: false,
                    },
                    sink,
                );
                if full {
                    listing.gaps.push(format!(
                        "GET /v2/phone-number does not exist here and GET /phone-number returns at most {PAGE_LIMIT} numbers: the org may have more"
                    ));
                }
                Ok(listing)
            }
        }
    }

    /// Reads the pages a listing still lacks: the ones the first page announced,
    /// at most `concurrency` at once (and at most [`PAGES_IN_FLIGHT`]), then on, one by one, while the last page read
    /// is full and does not say `hasNextPage: false`.
    pub async fn list_rest(
        &self,
        mut listing: Listing,
        concurrency: usize,
    ) -> Result<Listing, FetchError> {
        let mut numbers = std::mem::take(&mut listing.numbers);
        let mut listing = self
            .list_rest_into(listing, concurrency, &mut |n| numbers.push(n))
            .await?;
        listing.numbers = numbers;
        Ok(listing)
    }

    /// [`Client::list_rest`], its numbers handed to `sink` page by page, in page
    /// order, as they arrive (at most `concurrency` pages held at once).
    pub async fn list_rest_into(
        &self,
        mut listing: Listing,
        concurrency: usize,
        sink: &mut dyn Sink,
    ) -> Result<Listing, FetchError> {
        let Some(rest) = listing.next.take() else {
            return Ok(listing);
        };
        let mut next_page = rest.next_page;
        let mut more = true;
        if let Some(last) = rest.last_page
            && last >= next_page
        {
            // In page order, so that a number listed twice (it moved between pages
            // while they were read) is taken from the earlier page.
            let mut pages = futures::stream::iter(next_page..=last)
                .map(|p| async move { (p, self.list_page(p, PAGE_LIMIT).await) })
                .buffered(concurrency.clamp(1, PAGES_IN_FLIGHT));
            // The first failure ends the listing (the pages still in flight are dropped).
            while let Some((p, result)) = pages.next().await {
                let page = result?.ok_or_else(|| vanished(p))?;
                more = page.more;
                listing.add_into(page, sink);
                sink.caught_up().await;
            }
            next_page = last.saturating_add(1);
        }
        while more {
            if next_page > MAX_PAGES {
                listing.gaps.push(format!(
                    "stopped after {MAX_PAGES} pages: the API kept saying there are more"
                ));
                break;
            }
            let page = self
                .list_page(next_page, PAGE_LIMIT)
                .await?
                .ok_or_else(|| vanished(next_page))?;
            more = page.more;
            listing.add_into(page, sink);
            sink.caught_up().await;
            next_page = next_page.saturating_add(1);
        }
        Ok(listing)
    }

    /// The whole org through the list routes.
    pub async fn list_all(&self, concurrency: usize) -> Result<Listing, FetchError> {
        let first = self.list_first().await?;
        self.list_rest(first, concurrency).await
    }

    /// [`Client::list_all`], each number handed to `sink` as its page arrives.
    pub async fn list_all_into(
        &self,
        concurrency: usize,
        sink: &mut dyn Sink,
    ) -> Result<Listing, FetchError> {
        let first = self.list_first_into(sink).await?;
        self.list_rest_into(first, concurrency, sink).await
    }

    /// One live number of the org (`limit=1`), to learn which org the key
    /// belongs to; `None` when the org has none.
    pub async fn list_one(&self) -> Result<Option<Value>, FetchError> {
        let items = match self.list_page(1, 1).await? {
            Some(page) => page.numbers,
            None => split_elements(self.list_v1(1).await?.0).0,
        };
        Ok(items.first().map(Listed::value))
    }
}

fn vanished(page: usize) -> FetchError {
    FetchError::Failed(format!(
        "page {page} of GET /v2/phone-number answered 404 after page 1 did not"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(i: usize) -> Value {
        json!({"id": format!("id-{i}"), "provider": "vonage", "number": format!("+1415555{i:04}")})
    }

    fn listed(i: usize) -> Listed {
        Listed::new(&number(i)).expect("has an id")
    }

    #[test]
    fn a_listed_number_reads_back_whole_and_debug_shows_only_its_id() {
        let live = json!({"id": "pn-1", "provider": "twilio", "twilioAuthToken": "tok-secret",
                          "server": {"url": "https://x", "headers": {"X-Key": "hdr-secret"}}});
        let listed = Listed::new(&live).expect("has an id");
        assert_eq!(listed.id(), "pn-1");
        assert_eq!(listed.value(), live);
        assert_eq!(format!("{listed:?}"), "Listed(\"pn-1\")");
        assert!(Listed::new(&json!({"provider": "vapi"})).is_none(), "no id");
        assert!(
            Listed::new(&json!({"id": 7})).is_none(),
            "an id that is not a string"
        );
    }

    #[test]
    fn a_page_says_more_unless_short_or_has_next_false() {
        let full: Vec<Value> = (0..PAGE_LIMIT).map(number).collect();
        let meta = json!({"itemsPerPage": 1000, "totalItems": 2500, "currentPage": 1, "totalPages": 3, "hasNextPage": true});
        let page = parse_page(json!({"results": full, "metadata": meta}), 1).expect("page");
        assert!(page.more);
        assert_eq!(page.total_pages, Some(3));
        let mut done = meta.clone();
        done["hasNextPage"] = json!(false);
        let page = parse_page(json!({"results": full, "metadata": done}), 1).expect("page");
        assert!(!page.more, "hasNextPage false stops");
        let short = parse_page(
            json!({"results": [number(1)], "metadata": {"itemsPerPage": 1000, "totalItems": 1, "currentPage": 1}}),
            1,
        )
        .expect("page");
        assert!(!short.more, "a short page stops");
        assert_eq!(short.total_pages, Some(1), "from totalItems");
        // Regression (review): a short page that says more follow is not the end.
        let short_but_more = parse_page(
            json!({"results": [number(1)], "metadata": {"itemsPerPage": 1000, "totalItems": 1500,
                   "currentPage": 1, "hasNextPage": true}}),
            1,
        )
        .expect("page");
        assert!(
            short_but_more.more,
            "hasNextPage true wins over a short page"
        );
        let before_last = parse_page(
            json!({"results": [number(1)], "metadata": {"itemsPerPage": 1000, "totalItems": 1500,
                   "currentPage": 1, "totalPages": 2}}),
            1,
        )
        .expect("page");
        assert!(before_last.more, "page 1 of 2 is not the end");
    }

    #[test]
    fn announced_page_counts_are_bounded() {
        // Regression (issue 10, item 20): a `totalPages` from the API was trusted
        // without a bound, and `last + 1` overflowed.
        for total in [json!(1e300), json!(u64::MAX), json!(usize::MAX as f64)] {
            let page = parse_page(
                json!({"results": [number(1)], "metadata": {"totalPages": total, "hasNextPage": true}}),
                1,
            )
            .expect("page");
            assert_eq!(page.total_pages, None);
            assert!(page.more, "hasNextPage still says more");
        }
        let listing = Listing::empty(
            ListRoute::V2,
            Some(Remaining {
                next_page: 2,
                last_page: Some(usize::MAX),
            }),
            None,
        );
        assert!(
            listing
                .remaining_pages()
                .is_some_and(|n| n >= usize::MAX - 2)
        );
    }

    #[test]
    fn fewer_numbers_than_announced_is_an_incomplete_listing() {
        let mut listing = Listing::empty(ListRoute::V2, None, Some(3));
        let page = Page {
            numbers: vec![listed(1), listed(2)],
            skipped: Vec::new(),
            total_pages: Some(1),
            total_items: Some(3),
            more: false,
            beyond_retention: false,
        };
        listing.add(page);
        assert_eq!(
            listing.incomplete().as_deref(),
            Some("the list showed 2 of the 3 numbers the API announced")
        );
    }

    #[test]
    fn elements_that_are_not_phone_numbers_are_dropped_and_said() {
        let page = parse_page(
            json!({"results": [number(1), {"id": "x", "provider": "skype"}, {"provider": "vapi"}, 7],
                   "metadata": {"itemsPerPage": 1000, "totalItems": 4, "currentPage": 1}}),
            1,
        )
        .expect("page");
        assert_eq!(page.numbers.len(), 1);
        assert_eq!(page.skipped.len(), 3);
        assert!(
            page.skipped[0].contains("unknown provider"),
            "{:?}",
            page.skipped
        );
        let mut listing = Listing::empty(ListRoute::V2, None, Some(4));
        listing.add(page);
        let why = listing.incomplete().expect("incomplete");
        assert!(
            why.starts_with("3 listed entries are not a phone number"),
            "{why}"
        );
    }

    #[test]
    fn an_element_the_parser_refuses_damages_only_itself() {
        // Regression (issue 10, item 19): one `1e400` or lone surrogate made the
        // whole page malformed, and every number on it NOT_CHECKED.
        let page = format!(
            r#"{{"results": [{}, {{"id": "big", "provider": "vonage", "x": 1e400}},
                {{"id": "sur", "provider": "vonage", "name": "\ud800"}}, {}],
               "metadata": {{"itemsPerPage": 1000, "totalItems": 4, "currentPage": 1, "odd": 1e999}}}}"#,
            number(1),
            number(2)
        );
        let body = Body {
            bytes: page.into_bytes(),
            content_type: String::new(),
        };
        let (value, bad) = lenient_list(&body, "page 1").expect("a page");
        let page = parse_page_with(value, 1, bad).expect("page");
        assert_eq!(page.numbers.len(), 2);
        assert_eq!(page.skipped.len(), 2, "{:?}", page.skipped);
        assert!(
            page.skipped[0].contains("(id \"big\")"),
            "{:?}",
            page.skipped
        );
        assert!(
            page.skipped[1].contains("(id \"sur\")"),
            "{:?}",
            page.skipped
        );
        assert!(!page.more, "4 of 4 announced");
        // A bare array too; and a body that is not JSON at all stays malformed.
        let v1 = Body {
            bytes: format!(r#"[{}, {{"id": "big", "x": -1e400}}]"#, number(3)).into_bytes(),
            content_type: String::new(),
        };
        let (items, bad) = lenient_list(&v1, "GET /phone-number").expect("a list");
        assert_eq!((items.as_array().map(Vec::len), bad.len()), (Some(1), 1));
        let broken = Body {
            bytes: b"{\"results\": [".to_vec(),
            content_type: String::new(),
        };
        assert!(matches!(
            lenient_list(&broken, "page 1"),
            Err(FetchError::Malformed(_))
        ));
    }

    #[test]
    fn a_body_that_is_not_a_page_is_malformed() {
        assert!(matches!(
            parse_page(json!([number(1)]), 1),
            Err(FetchError::Malformed(m)) if m.contains("got a list")
        ));
        assert!(matches!(
            parse_page(json!({"data": []}), 2),
            Err(FetchError::Malformed(m)) if m.contains("page 2") && m.contains("no \"results\"")
        ));
    }

    #[test]
    fn duplicates_across_pages_are_kept_once() {
        let mut listing = Listing::empty(
            ListRoute::V2,
            Some(Remaining {
                next_page: 2,
                last_page: Some(3),
            }),
            Some(3),
        );
        assert_eq!(listing.remaining_pages(), Some(2));
        assert!(
            listing
                .incomplete()
                .expect("not all read")
                .contains("page 1 of 3")
        );
        let page = |ids: &[usize]| Page {
            numbers: ids.iter().map(|i| listed(*i)).collect(),
            skipped: Vec::new(),
            total_pages: Some(3),
            total_items: Some(3),
            more: false,
            beyond_retention: false,
        };
        listing.add(page(&[1, 2]));
        listing.add(page(&[2, 3]));
        listing.next = None;
        assert_eq!(listing.numbers.len(), 3);
        assert_eq!(listing.requests, 2);
        assert_eq!(listing.incomplete(), None);
    }
}
