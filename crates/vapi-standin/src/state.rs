//! The stand-in's shared state: the stored numbers (newest first), the queued
//! faults, the rate-limit window, the request log, and the in-flight count.

use super::*;

pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) in_flight: AtomicUsize,
    pub(crate) peak_in_flight: AtomicUsize,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) state: Mutex<MutableState>,
    /// Waits out the latency to the tenth of a millisecond (tokio's timers round up).
    pub(crate) timer: PreciseTimer,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, MutableState> {
        // A panic elsewhere while locked leaves consistent data behind (every
        // update is a single step), so poisoning is ignored.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct MutableState {
    pub(crate) latency: Duration,
    pub(crate) rate_limit: Option<u32>,
    pub(crate) revoke_key_after: Option<usize>,
    pub(crate) v2_enabled: bool,
    /// Requests since start (drives `revoke_key_after`).
    pub(crate) arrivals: usize,
    /// Arrival times of the admitted requests of the last `RATE_WINDOW`.
    pub(crate) window: VecDeque<Instant>,
    pub(crate) store: Store,
    pub(crate) faults_by_id: HashMap<String, VecDeque<Fault>>,
    pub(crate) faults_list: VecDeque<Fault>,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) rate_limited: usize,
}

/// Counts a request as in flight until dropped.
pub(crate) struct InFlight(pub(crate) Arc<Shared>);

impl InFlight {
    pub(crate) fn enter(shared: &Arc<Shared>) -> InFlight {
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
pub(crate) struct Store {
    pub(crate) by_id: HashMap<String, Entry>,
    /// Sorted descending: createdAt (missing or unparsable last), then id.
    pub(crate) order: Vec<SortKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SortKey {
    pub(crate) created: Option<i64>,
    pub(crate) id: String,
}

pub(crate) struct Entry {
    /// The object, serialised once.
    pub(crate) json: Bytes,
    pub(crate) created: Option<i64>,
    pub(crate) updated: Option<i64>,
    /// Lower-cased name, number and sipUri, newline-separated.
    pub(crate) haystack: String,
}

impl Entry {
    pub(crate) fn of(number: &Value) -> Option<(String, Entry)> {
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

    pub(crate) fn key(&self, id: &str) -> SortKey {
        SortKey {
            created: self.created,
            id: id.to_owned(),
        }
    }
}

impl Store {
    pub(crate) fn rebuild_order(&mut self) {
        self.order = self.by_id.iter().map(|(id, e)| e.key(id)).collect();
        self.order.sort_unstable_by(|a, b| b.cmp(a));
    }

    /// Position of `key` in the descending `order`.
    pub(crate) fn position(&self, key: &SortKey) -> Result<usize, usize> {
        self.order.binary_search_by(|probe| key.cmp(probe))
    }

    pub(crate) fn upsert(&mut self, id: String, entry: Entry) {
        self.remove(&id);
        let key = entry.key(&id);
        let at = match self.position(&key) {
            Ok(at) | Err(at) => at,
        };
        self.order.insert(at, key);
        self.by_id.insert(id, entry);
    }

    pub(crate) fn remove(&mut self, id: &str) {
        if let Some(old) = self.by_id.remove(id)
            && let Ok(at) = self.position(&old.key(id))
        {
            self.order.remove(at);
        }
    }

    /// The numbers that pass `query`, in its order: how many in all, and the
    /// bodies of those from `offset` on, at most `limit`.
    pub(crate) fn select(
        &self,
        query: &ListQuery,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<Bytes>) {
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
