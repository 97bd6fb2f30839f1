//! OneLogin's `X-RateLimit-*` response headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use idp_core::Response;

/// Values above this are read as a Unix time rather than a number of seconds: no rate-limit
/// window lasts 30 years, and every Unix time since 2001 is larger.
const UNIX_TIME_THRESHOLD: u64 = 1_000_000_000;

/// The rate-limit state OneLogin reported on its last answer that carried the headers.
///
/// OneLogin documents 5,000 calls per hour per account for v1, and reports the budget in
/// `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the
/// window resets). Any of them may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Calls allowed per window (`X-RateLimit-Limit`).
    pub limit: Option<u64>,
    /// Calls left in this window (`X-RateLimit-Remaining`).
    pub remaining: Option<u64>,
    /// Time until the window resets, as of that answer (`X-RateLimit-Reset`).
    pub reset: Option<Duration>,
}

impl RateLimit {
    /// Reads the headers; `None` when the answer carries none of them. `wall_now` is used only
    /// when `X-RateLimit-Reset` turns out to be a Unix time instead of a number of seconds.
    pub fn from_response(response: &Response, wall_now: SystemTime) -> Option<RateLimit> {
        let number = |name: &str| {
            response
                .header(name)
                .and_then(|value| value.trim().parse::<u64>().ok())
        };
        let limit = number("x-ratelimit-limit");
        let remaining = number("x-ratelimit-remaining");
        let reset = number("x-ratelimit-reset").map(|value| reset_delay(value, wall_now));
        if limit.is_none() && remaining.is_none() && reset.is_none() {
            return None;
        }
        Some(RateLimit {
            limit,
            remaining,
            reset,
        })
    }
}

/// OneLogin documents `X-RateLimit-Reset` as seconds until the reset. Some APIs send a Unix
/// time there instead; such a value is turned into the time left until that moment.
fn reset_delay(value: u64, wall_now: SystemTime) -> Duration {
    if value < UNIX_TIME_THRESHOLD {
        return Duration::from_secs(value);
    }
    UNIX_EPOCH
        .checked_add(Duration::from_secs(value))
        .and_then(|at| at.duration_since(wall_now).ok())
        .unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};

    fn response(headers: &[(&'static str, &'static str)]) -> Response {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        Response::new(429, map, "")
    }

    #[test]
    fn reads_all_three_headers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let r = response(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "120"),
        ]);
        assert_eq!(
            RateLimit::from_response(&r, now),
            Some(RateLimit {
                limit: Some(5000),
                remaining: Some(0),
                reset: Some(Duration::from_secs(120)),
            })
        );
        assert_eq!(RateLimit::from_response(&response(&[]), now), None);
        let junk = response(&[("x-ratelimit-reset", "soon")]);
        assert_eq!(RateLimit::from_response(&junk, now), None);
    }

    #[test]
    fn a_unix_time_reset_becomes_the_time_left() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let r = response(&[("x-ratelimit-reset", "1700000042")]);
        let reset = RateLimit::from_response(&r, now).and_then(|l| l.reset);
        assert_eq!(reset, Some(Duration::from_secs(42)));
        let past = response(&[("x-ratelimit-reset", "1600000000")]);
        let reset = RateLimit::from_response(&past, now).and_then(|l| l.reset);
        assert_eq!(reset, Some(Duration::ZERO));
        let absurd = response(&[("x-ratelimit-reset", "18446744073709551615")]);
        assert!(RateLimit::from_response(&absurd, now).is_some());
    }
}
