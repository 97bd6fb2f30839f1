//! When to retry, how long to wait first, and how many retries a client may spend.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::clock::Jitter;

/// The longest wait a server hint is read as. Anything longer (`Retry-After-Ms: 1e23`, a date
/// in the year 3000, infinity) is read as this, which is past every ceiling, so it is treated
/// as "longer than allowed" and never overflows a clock.
pub const MAX_HINT: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How many times to retry and how to back off between attempts.
///
/// Only errors that may pass are retried (connection failures, timeouts, 408, 429, 500, 502,
/// 503, 504, and vendor codes a vendor crate marks retryable); other statuses never are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3, so at most 4 requests).
    pub max_retries: u32,
    /// Back-off before the first retry; doubled for each further one (default 500 ms).
    pub initial_backoff: Duration,
    /// The longest back-off of our own choosing (default 20 s).
    pub max_backoff: Duration,
    /// The longest wait a vendor's `Retry-After` may impose (default 330 s, enough for
    /// Cloudflare's five-minute block). A vendor asking for more gets its error returned
    /// instead of a wait, and the back-off gate stays closed for the time it announced.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(330),
        }
    }
}

/// What to do before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// Wait this long, then send again.
    Wait(Duration),
    /// The vendor asked for this long, more than [`RetryPolicy::max_retry_after`]: give up.
    TooLong(Duration),
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the first back-off.
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets the longest back-off of our own.
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the ceiling on vendor-requested waits.
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// Our own back-off before retry number `retry` (1-based): exponential, capped, with
    /// jitter.
    pub fn backoff(&self, retry: u32, jitter: &dyn Jitter) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let backoff = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        jitter.between_zero_and(backoff)
    }

    /// How long to wait before retry number `retry` (1-based). A vendor hint is honoured as
    /// `max(hint, our back-off)`, so we never come back sooner than asked; a hint past
    /// [`RetryPolicy::max_retry_after`] is [`Delay::TooLong`].
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, jitter: &dyn Jitter) -> Delay {
        let ours = self.backoff(retry, jitter);
        match retry_after {
            Some(hint) if hint > self.max_retry_after => Delay::TooLong(hint),
            Some(hint) => Delay::Wait(hint.max(ours)),
            None => Delay::Wait(ours),
        }
    }
}

/// Reads how long the server asked us to wait: `Retry-After-Ms` (milliseconds), else
/// `Retry-After` as seconds or as an HTTP date (measured from `now`). Values are capped at
/// [`MAX_HINT`]; non-finite ones read as [`MAX_HINT`]; negative or unreadable ones as no hint.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_nan() || ms == f64::INFINITY {
            return Some(MAX_HINT);
        }
        if ms >= 0.0 {
            let seconds = ms / 1000.0;
            return Some(if seconds >= MAX_HINT.as_secs_f64() {
                MAX_HINT
            } else {
                Duration::from_secs_f64(seconds)
            });
        }
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_HINT));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_HINT),
    )
}

/// A client-wide retry quota, as in smithy-rs's standard retry strategy: every retry spends
/// tokens, every success puts one back, and when the bucket is empty a retryable error fails
/// at once. A vendor failing with 5xx then sees at most a few extra requests per worker
/// instead of every worker multiplying its traffic by the retry count.
///
/// Throttling answers do not spend from it: they wait behind the back-off gate instead.
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    tokens: Mutex<u32>,
}

/// Tokens one retry costs (a timeout costs twice as much: it also held a worker for the whole
/// attempt timeout).
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;

impl RetryBudget {
    /// A full bucket of `capacity` tokens (smithy-rs uses 500: 100 retries).
    pub fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            tokens: Mutex::new(capacity),
        }
    }

    /// Takes the cost of one retry; `false` (and nothing taken) when the bucket cannot pay.
    pub fn try_spend(&self, timeout: bool) -> bool {
        let cost = if timeout {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if *tokens < cost {
            return false;
        }
        *tokens -= cost;
        true
    }

    /// Puts one token back after a success.
    pub fn refill(&self) {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        *tokens = (*tokens + 1).min(self.capacity);
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::NoJitter;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..=8).map(|n| policy.backoff(n, &NoJitter)).collect();
        assert_eq!(delays[0], Duration::from_millis(500));
        assert_eq!(delays[1], Duration::from_secs(1));
        assert_eq!(delays[2], Duration::from_secs(2));
        assert_eq!(delays[7], Duration::from_secs(20));
    }

    #[test]
    fn hint_is_a_floor_and_the_ceiling_gives_up() {
        let policy = RetryPolicy::default();
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(
            policy.delay(1, secs(300), &NoJitter),
            Delay::Wait(Duration::from_secs(300))
        );
        assert_eq!(
            policy.delay(1, secs(3600), &NoJitter),
            Delay::TooLong(Duration::from_secs(3600))
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_millis(1)), &NoJitter),
            Delay::Wait(Duration::from_millis(500))
        );
    }

    fn header(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
        headers
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let parse = |name, value: &str| parse_retry_after(&header(name, value), now);
        assert_eq!(parse("retry-after", "7"), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse("retry-after", &later), Some(Duration::from_secs(90)));
        assert_eq!(
            parse("retry-after-ms", "1500"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse("retry-after", "soon"), None);
        assert_eq!(parse("retry-after-ms", "-5"), None);
    }

    #[test]
    fn absurd_hints_read_as_the_longest_wait_and_never_panic() {
        let now = SystemTime::now();
        for value in [
            "1e23",
            "inf",
            "NaN",
            "1.7976931348623157e308",
            "18446744073709551615",
        ] {
            let got = parse_retry_after(&header("retry-after-ms", value), now);
            assert_eq!(got, Some(MAX_HINT), "{value}");
        }
        let got = parse_retry_after(&header("retry-after", "18446744073709551615"), now);
        assert_eq!(got, Some(MAX_HINT));
    }

    proptest::proptest! {
        #[test]
        fn any_header_value_reads_as_a_bounded_wait_or_none(
            ms in proptest::option::of("\\PC{0,40}|[-+0-9.eE]{1,40}|inf|NaN"),
            secs in proptest::option::of("\\PC{0,40}|[0-9]{1,30}"),
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let mut headers = HeaderMap::new();
            if let Some(ms) = ms.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert("retry-after-ms", ms);
            }
            if let Some(secs) = secs.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert("retry-after", secs);
            }
            if let Ok(raw) = HeaderValue::from_bytes(&bytes) {
                headers.append("retry-after", raw);
            }
            if let Some(wait) = parse_retry_after(&headers, SystemTime::now()) {
                proptest::prop_assert!(wait <= MAX_HINT);
                proptest::prop_assert!(std::time::Instant::now().checked_add(wait).is_some());
            }
        }
    }

    #[test]
    fn the_budget_runs_out_and_refills() {
        let budget = RetryBudget::new(12);
        assert!(budget.try_spend(false));
        assert!(budget.try_spend(false));
        assert!(!budget.try_spend(false));
        assert_eq!(budget.available(), 2);
        for _ in 0..20 {
            budget.refill();
        }
        assert_eq!(budget.available(), 12);
        assert!(budget.try_spend(true));
        assert!(!budget.try_spend(true));
    }
}
