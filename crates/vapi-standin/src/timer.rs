//! Waits to the tenth of a millisecond, for the stand-in's injected latency.
//!
//! tokio's timers count whole milliseconds and round a deadline up to the next
//! one, and the reactor's `epoll_wait` rounds its timeout up again: a 20 ms sleep
//! lasts 21–22 ms. The benchmarks measure vapi-drift against the bound N·L/C, so a
//! stand-in whose L is a tenth too long hides a tenth of the client's overhead.
//!
//! One thread per timer holds the deadlines in a heap and sleeps on a channel with
//! a timeout (a futex wait: the kernel's timer slack, about 50 µs), then wakes the
//! waiting task through a oneshot channel. The thread ends when the timer is
//! dropped.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;
use tokio::sync::oneshot;

pub struct PreciseTimer {
    requests: mpsc::Sender<Wait>,
}

struct Wait {
    deadline: Instant,
    /// Arrival order: equal deadlines fire first come, first served.
    seq: u64,
    done: oneshot::Sender<()>,
}

impl PreciseTimer {
    pub fn start() -> std::io::Result<PreciseTimer> {
        let (requests, waits) = mpsc::channel();
        std::thread::Builder::new()
            .name("stand-in-timer".into())
            .spawn(move || run(&waits))?;
        Ok(PreciseTimer { requests })
    }

    /// Resolves at `deadline` (or at once if it has passed).
    pub async fn sleep_until(&self, deadline: Instant) {
        let (done, fired) = oneshot::channel();
        let wait = Wait {
            deadline,
            seq: 0,
            done,
        };
        if self.requests.send(wait).is_ok() {
            // An error means the thread is gone (the timer is being dropped): no wait.
            let _ = fired.await;
        }
    }
}

fn run(waits: &mpsc::Receiver<Wait>) {
    let mut heap: BinaryHeap<Wait> = BinaryHeap::new();
    let mut seq = 0u64;
    loop {
        let now = Instant::now();
        while heap.peek().is_some_and(|w| w.deadline <= now) {
            let due = heap.pop().expect("peeked");
            // The waiter may have gone (its request was dropped): nothing to wake.
            let _ = due.done.send(());
        }
        let next = match heap.peek() {
            Some(w) => waits.recv_timeout(w.deadline.saturating_duration_since(now)),
            None => waits.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(mut wait) => {
                seq += 1;
                wait.seq = seq;
                heap.push(wait);
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The timer was dropped; the waits still held end with it.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

// A max-heap: the earliest deadline (then the first to arrive) compares greatest.
impl Ord for Wait {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

impl PartialOrd for Wait {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Wait {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Wait {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waits_never_fire_before_their_deadline() {
        let timer = PreciseTimer::start().expect("thread");
        let start = Instant::now();
        let woke = std::sync::atomic::AtomicUsize::new(0);
        let wait = |ms: u64| {
            let (timer, woke) = (&timer, &woke);
            async move {
                let deadline = start + Duration::from_millis(ms);
                timer.sleep_until(deadline).await;
                assert!(Instant::now() >= deadline, "woke before its deadline");
                woke.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        };
        futures::join!(wait(30), wait(10), wait(20), wait(0));
        assert_eq!(woke.into_inner(), 4);
    }

    /// The order the timer thread wakes waits in: earliest deadline first, then
    /// first come. Checked on the heap itself: the order in which `join!` then
    /// polls the woken tasks is the runtime's, and on a loaded machine several
    /// may be woken before any is polled.
    #[test]
    fn the_earliest_deadline_then_the_first_to_arrive_fires_first() {
        let start = Instant::now();
        let mut heap = BinaryHeap::new();
        for (seq, ms) in [(1, 30), (2, 10), (3, 20), (4, 0), (5, 10)] {
            let (done, _) = oneshot::channel();
            heap.push(Wait {
                deadline: start + Duration::from_millis(ms),
                seq,
                done,
            });
        }
        let order: Vec<u64> = std::iter::from_fn(|| heap.pop().map(|w| w.seq)).collect();
        assert_eq!(order, vec![4, 2, 5, 3, 1]);
    }
}
