//! The client-side rate limit behind `--rps`: a token bucket over every request
//! the client sends, retries included, so a nightly run stays under the org's
//! API limit instead of leaning on 429s.
//!
//! Owns: turning "R requests per second" into a quota (one token every 1/R s,
//! a bucket of at most R tokens, so a burst never exceeds R) and waiting for a
//! token before each attempt. The arithmetic is `governor`'s GCRA, which is the
//! token bucket computed exactly; waiting is cancel-safe (a cancelled wait takes
//! no token), which the deadline relies on.
//!
//! Does not own: what to do on a 429 (see `client`: backoff, `Retry-After`).

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

/// The most `--rps` accepts; beyond it the limit is no limit on this machine.
pub const MAX_RPS: f64 = 100_000.0;
/// The least `--rps` accepts: one request every 1,000 s. Below it a run of a
/// handful of numbers would take days, and the period of a rate near zero
/// (`1e-20`) does not fit a `Duration` at all.
pub const MIN_RPS: f64 = 0.001;

/// At most `rps` requests per second, in bursts of at most `rps` (at least 1).
pub struct RateLimit {
    rps: f64,
    limiter: DefaultDirectRateLimiter,
}

impl RateLimit {
    /// `None` unless `rps` is a number from [`MIN_RPS`] to [`MAX_RPS`].
    pub fn per_second(rps: f64) -> Option<RateLimit> {
        if !(MIN_RPS..=MAX_RPS).contains(&rps) {
            return None;
        }
        let period = Duration::try_from_secs_f64(1.0 / rps).ok()?;
        // floor(R) tokens, so the bucket never holds more than R; a fractional
        // rate below 1 still needs a bucket of one.
        let burst = NonZeroU32::new((rps.floor() as u32).max(1)).expect("max(1) is not zero");
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(RateLimit {
            rps,
            limiter: RateLimiter::direct(quota),
        })
    }

    /// Waits until a request may be sent, and takes its token.
    pub async fn acquire(&self) {
        self.limiter.until_ready().await;
    }

    pub fn rps(&self) -> f64 {
        self.rps
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit").field("rps", &self.rps).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[test]
    fn refuses_rates_that_are_not_positive_and_finite() {
        // Regression (issue 10, item 20): 1e-20 panicked in `Duration::from_secs_f64`.
        for bad in [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            MAX_RPS * 2.0,
            1e-20,
            1e-300,
        ] {
            assert!(RateLimit::per_second(bad).is_none(), "{bad}");
        }
        assert!(RateLimit::per_second(0.5).is_some());
        assert!(RateLimit::per_second(20.0).is_some());
    }

    #[tokio::test]
    async fn a_burst_of_r_then_one_every_1_over_r() {
        use futures::FutureExt;
        let limit = RateLimit::per_second(20.0).expect("valid");
        let start = Instant::now();
        // The full bucket goes at once: each of the 20 is ready without waiting
        // (asserted by readiness, not by a clock: an upper bound on elapsed time
        // fails on a loaded machine).
        for i in 0..20 {
            assert!(limit.acquire().now_or_never().is_some(), "token {i} waited");
        }
        // The 21st is not ready unless a period (50 ms) has gone by since the start.
        let ready = limit.acquire().now_or_never().is_some();
        assert!(
            !ready || start.elapsed() >= Duration::from_millis(50),
            "a burst of more than R"
        );
        // The next 10 take 10 * 50 ms (a lower bound: a timer never fires early).
        for _ in 0..(if ready { 9 } else { 10 }) {
            limit.acquire().await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(450),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_rate_below_one_has_a_bucket_of_one() {
        let limit = RateLimit::per_second(4.0 / 3.0).expect("valid");
        let start = Instant::now();
        limit.acquire().await;
        limit.acquire().await;
        // 1 s (floor(1.33)) bucket of one, then 0.75 s.
        assert!(
            start.elapsed() >= Duration::from_millis(700),
            "{:?}",
            start.elapsed()
        );
    }
}
