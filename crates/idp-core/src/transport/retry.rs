//! When to retry and how long to wait first.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::clock::Jitter;

/// How many times to retry and how to back off between attempts.
///
/// Only errors that may pass are retried (connection failures, timeouts, 408, 429, 500, 502,
/// 503, 504, and vendor codes a vendor crate marks retryable); other 4xx never are.
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
    /// instead of a wait.
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

    /// Sets the ceiling on vendor-requested waits.
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// How long to wait before retry number `retry` (1-based), or `None` when the vendor asked
    /// for a longer wait than [`RetryPolicy::max_retry_after`] allows.
    ///
    /// Our own back-off is exponential with jitter; a vendor hint is honoured as
    /// `max(hint, our back-off)`, so we never come back sooner than asked.
    pub fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: &dyn Jitter,
    ) -> Option<Duration> {
        let exponent = retry.saturating_sub(1).min(31);
        let backoff = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let ours = jitter.between_zero_and(backoff);
        match retry_after {
            Some(hint) if hint > self.max_retry_after => None,
            Some(hint) => Some(hint.max(ours)),
            None => Some(ours),
        }
    }
}

/// Reads how long the server asked us to wait: `Retry-After-Ms` (milliseconds), else
/// `Retry-After` as seconds or as an HTTP date (measured from `now`).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::clock::NoJitter;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..=8)
            .map(|n| policy.delay(n, None, &NoJitter).unwrap_or_default())
            .collect();
        assert_eq!(delays[0], Duration::from_millis(500));
        assert_eq!(delays[1], Duration::from_secs(1));
        assert_eq!(delays[2], Duration::from_secs(2));
        assert_eq!(delays[7], Duration::from_secs(20));
    }

    #[test]
    fn hint_is_a_floor_and_the_ceiling_gives_up() {
        let policy = RetryPolicy::default();
        let hint = Some(Duration::from_secs(300));
        assert_eq!(
            policy.delay(1, hint, &NoJitter),
            Some(Duration::from_secs(300))
        );
        let too_long = Some(Duration::from_secs(3600));
        assert_eq!(policy.delay(1, too_long, &NoJitter), None);
        let short = Some(Duration::from_millis(1));
        assert_eq!(
            policy.delay(1, short, &NoJitter),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(7))
        );

        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        headers.insert(
            "retry-after",
            HeaderValue::from_str(&later).unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(90))
        );

        headers.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_millis(1500))
        );

        let mut junk = HeaderMap::new();
        junk.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&junk, now), None);
    }
}
