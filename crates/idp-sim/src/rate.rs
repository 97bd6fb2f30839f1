//! Rate-limit policies: a vendor's request budget, enforced on every request a simulator
//! receives, with time compressed so that tests of a five-minute block run in seconds.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::answer::Answer;
use crate::throttle::ceil_secs;

/// A request budget a simulator enforces on every request it receives (any endpoint:
/// deletes, token requests and logins alike), set with `set_rate_policy`. Off by default.
///
/// A simulator serves one account with one set of credentials, so the budget is the
/// simulator's: every request that arrives counts, whatever credentials it carries.
/// A request the policy refuses gets the vendor's own throttling answer (the same as
/// `throttle(secs)`), with `Retry-After` in real seconds, rounded up; it is not handled,
/// and it does not take a queued [`Fault`](crate::Fault) (the fault goes to the next
/// request the policy lets through).
///
/// All durations are real time: [`RatePolicy::faster`] divides the window, so
/// `RatePolicy::cloudflare().faster(100)` is 1,200 requests per 3 s, and every wait the
/// simulator announces (`Retry-After`, `X-RateLimit-Reset`) is in the real seconds the
/// client has to wait, rounded up so that it never comes back early.
///
/// ```
/// use std::time::Duration;
/// use idp_sim::RatePolicy;
///
/// // Cloudflare's policy, 100 times faster: 1,200 requests per 3 s, then a 3 s block.
/// let cloudflare = RatePolicy::cloudflare().faster(100);
/// assert_eq!((cloudflare.limit(), cloudflare.window()), (1200, Duration::from_secs(3)));
///
/// // OneLogin's policy (fixed windows, X-RateLimit-* headers) with 50 requests per 2 s.
/// let onelogin = RatePolicy::onelogin()
///     .with_limit(50)
///     .with_window(Duration::from_secs(2));
/// assert_eq!(onelogin.limit(), 50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatePolicy {
    limit: u64,
    window: Duration,
    kind: Kind,
    headers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Any window-long span holds at most `limit`; over it, a block of one window.
    Rolling,
    /// Consecutive windows of at most `limit` each.
    Fixed,
}

impl RatePolicy {
    /// Cloudflare's API budget: 1,200 requests in any 5 minutes ([`RatePolicy::rolling`]);
    /// once it is spent, every request gets Cloudflare's 429 (code 971, `Retry-After`) for
    /// the next five minutes.
    ///
    /// The throttling answer's `Ratelimit-Policy` header keeps stating Cloudflare's real
    /// policy (`q=1200;w=300`), whatever the limit and compression.
    pub fn cloudflare() -> RatePolicy {
        RatePolicy::rolling(1200, Duration::from_secs(300))
    }

    /// OneLogin's API budget: 5,000 requests per hour ([`RatePolicy::fixed`]), every answer
    /// carrying `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
    /// ([`RatePolicy::with_rate_limit_headers`]); when none remain, OneLogin's 429 until the
    /// hour is over.
    pub fn onelogin() -> RatePolicy {
        RatePolicy::fixed(5000, Duration::from_secs(3600)).with_rate_limit_headers(true)
    }

    /// At most `limit` requests in any `window`-long span. The request that finds the
    /// budget spent starts a block: it and every request for one full `window` after it
    /// are refused (so a block also outlasts every request counted before it). This is
    /// Cloudflare's "429 for the next five minutes".
    pub fn rolling(limit: u64, window: Duration) -> RatePolicy {
        RatePolicy {
            limit,
            window,
            kind: Kind::Rolling,
            headers: false,
        }
    }

    /// Windows of `window`, one after another, each allowing `limit` requests; requests over
    /// the limit are refused until the window ends. A window starts with the first request
    /// after the previous one ended (the first with the first request).
    pub fn fixed(limit: u64, window: Duration) -> RatePolicy {
        RatePolicy {
            limit,
            window,
            kind: Kind::Fixed,
            headers: false,
        }
    }

    /// The same policy with another limit.
    pub fn with_limit(mut self, limit: u64) -> RatePolicy {
        self.limit = limit;
        self
    }

    /// The same policy with another window (real time).
    pub fn with_window(mut self, window: Duration) -> RatePolicy {
        self.window = window;
        self
    }

    /// The same policy with time running `factor` times faster: the window (and with it a
    /// block) lasts `window / factor` of real time; the limit is unchanged. A factor of 0
    /// counts as 1.
    pub fn faster(mut self, factor: u32) -> RatePolicy {
        self.window /= factor.max(1);
        self
    }

    /// Whether every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
    /// `X-RateLimit-Reset` (whole real seconds until the window resets, rounded up; for a
    /// rolling policy, until the oldest counted request ages out or the block ends),
    /// replacing any the vendor sent, as OneLogin's API does.
    pub fn with_rate_limit_headers(mut self, on: bool) -> RatePolicy {
        self.headers = on;
        self
    }

    /// How many requests a window allows.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// How long a window lasts, in real time.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// How much of its budget a simulator under a [`RatePolicy`] has used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateUsage {
    /// The policy's limit.
    pub limit: u64,
    /// Requests counted in the current window (refused ones are not counted).
    pub used: u64,
    /// How long every request is still refused for, when it is.
    pub refused_for: Option<Duration>,
}

/// What the policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Refused: the throttling answer, announcing this wait.
    pub(crate) refused: Option<Duration>,
    /// Requests left in the window after this one.
    pub(crate) remaining: u64,
    /// Until the window resets.
    pub(crate) reset_in: Duration,
}

/// The `X-RateLimit-*` headers an answer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    limit: u64,
    remaining: u64,
    reset_secs: u64,
}

impl RateHeaders {
    pub(crate) fn apply(self, answer: &mut Answer) {
        answer.set_header("x-ratelimit-limit", self.limit.to_string());
        answer.set_header("x-ratelimit-remaining", self.remaining.to_string());
        answer.set_header("x-ratelimit-reset", self.reset_secs.to_string());
    }
}

/// A policy and what it has counted. Time comes in as `now`, so tests can step it.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    policy: RatePolicy,
    /// Rolling: when each counted request of the last window arrived, oldest first.
    recent: VecDeque<Instant>,
    /// Rolling: the block, once the budget was spent.
    blocked_until: Option<Instant>,
    /// Fixed: when the current window started, and how many it counted.
    started: Option<Instant>,
    used: u64,
}

impl RateLimiter {
    pub(crate) fn new(policy: RatePolicy) -> RateLimiter {
        RateLimiter {
            policy,
            recent: VecDeque::new(),
            blocked_until: None,
            started: None,
            used: 0,
        }
    }

    /// Counts a request arriving at `now` and says whether it is refused.
    pub(crate) fn check(&mut self, now: Instant) -> Verdict {
        match self.policy.kind {
            Kind::Rolling => self.check_rolling(now),
            Kind::Fixed => self.check_fixed(now),
        }
    }

    fn check_rolling(&mut self, now: Instant) -> Verdict {
        let window = self.policy.window;
        if let Some(until) = self.blocked_until {
            if now < until {
                let left = until - now;
                return Verdict {
                    refused: Some(left),
                    remaining: 0,
                    reset_in: left,
                };
            }
            self.blocked_until = None;
        }
        self.forget_before(now);
        if (self.recent.len() as u64) < self.policy.limit {
            self.recent.push_back(now);
            let oldest = self.recent.front().copied().unwrap_or(now);
            return Verdict {
                refused: None,
                remaining: self.policy.limit - self.recent.len() as u64,
                reset_in: window.saturating_sub(now.saturating_duration_since(oldest)),
            };
        }
        self.blocked_until = Some(now + window);
        Verdict {
            refused: Some(window),
            remaining: 0,
            reset_in: window,
        }
    }

    fn check_fixed(&mut self, now: Instant) -> Verdict {
        let window = self.policy.window;
        let started = match self.started {
            Some(started) if now.saturating_duration_since(started) < window => started,
            _ => {
                self.started = Some(now);
                self.used = 0;
                now
            }
        };
        let reset_in = window.saturating_sub(now.saturating_duration_since(started));
        if self.used < self.policy.limit {
            self.used += 1;
            Verdict {
                refused: None,
                remaining: self.policy.limit - self.used,
                reset_in,
            }
        } else {
            Verdict {
                refused: Some(reset_in),
                remaining: 0,
                reset_in,
            }
        }
    }

    /// Drops the rolling window's requests that are a window old at `now`.
    fn forget_before(&mut self, now: Instant) {
        let window = self.policy.window;
        while self
            .recent
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= window)
        {
            self.recent.pop_front();
        }
    }

    /// The headers for an answer with this verdict, when the policy sends them.
    pub(crate) fn headers(&self, verdict: &Verdict) -> Option<RateHeaders> {
        self.policy.headers.then_some(RateHeaders {
            limit: self.policy.limit,
            remaining: verdict.remaining,
            reset_secs: ceil_secs(verdict.reset_in),
        })
    }

    /// The usage at `now`, without counting anything.
    pub(crate) fn usage(&self, now: Instant) -> RateUsage {
        let window = self.policy.window;
        let (used, refused_for) = match self.policy.kind {
            Kind::Rolling => {
                let blocked = self
                    .blocked_until
                    .filter(|until| now < *until)
                    .map(|until| until - now);
                let used = self
                    .recent
                    .iter()
                    .filter(|at| now.saturating_duration_since(**at) < window)
                    .count() as u64;
                (used, blocked)
            }
            Kind::Fixed => match self.started {
                Some(started) if now.saturating_duration_since(started) < window => {
                    let left = window - now.saturating_duration_since(started);
                    let refused = (self.used >= self.policy.limit).then_some(left);
                    (self.used, refused)
                }
                _ => (0, None),
            },
        };
        RateUsage {
            limit: self.policy.limit,
            used,
            refused_for,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn constructors_and_compression() {
        let cf = RatePolicy::cloudflare();
        assert_eq!((cf.limit(), cf.window()), (1200, secs(300.0)));
        assert_eq!(cf.clone().faster(100).window(), secs(3.0));
        assert_eq!(cf.clone().faster(0), cf);
        let ol = RatePolicy::onelogin().with_limit(50).with_window(secs(2.0));
        assert_eq!((ol.limit(), ol.window()), (50, secs(2.0)));
        assert!(ol.headers);
    }

    #[test]
    fn rolling_blocks_for_a_full_window_after_the_budget_is_spent() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + secs(s);
        let mut limiter = RateLimiter::new(RatePolicy::rolling(3, secs(10.0)));
        assert_eq!(limiter.check(at(0.0)).refused, None);
        assert_eq!(limiter.check(at(4.0)).refused, None);
        let third = limiter.check(at(5.0));
        assert_eq!((third.refused, third.remaining), (None, 0));
        assert_eq!(third.reset_in, secs(5.0), "the oldest ages out at 10 s");

        // Over budget at 6 s: refused until 16 s, although the first request ages out at
        // 10 s (a plain rolling window would let a request through then).
        assert_eq!(limiter.check(at(6.0)).refused, Some(secs(10.0)));
        assert_eq!(limiter.check(at(11.0)).refused, Some(secs(5.0)));
        let usage = limiter.usage(at(11.0));
        assert_eq!((usage.used, usage.refused_for), (2, Some(secs(5.0))));
        assert_eq!(limiter.check(at(15.9)).refused.map(ceil_secs), Some(1));

        // At 16 s the block is over and every counted request has aged out.
        let after = limiter.check(at(16.0));
        assert_eq!((after.refused, after.remaining), (None, 2));
        assert_eq!(limiter.usage(at(16.0)).used, 1);
    }

    #[test]
    fn rolling_lets_requests_through_as_old_ones_age_out() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + secs(s);
        let mut limiter = RateLimiter::new(RatePolicy::rolling(2, secs(10.0)));
        limiter.check(at(0.0));
        limiter.check(at(9.0));
        // At 10 s the first request is a window old: a slot is free, no block.
        assert_eq!(limiter.check(at(10.0)).refused, None);
        assert_eq!(limiter.usage(at(10.0)).refused_for, None);
    }

    #[test]
    fn fixed_windows_count_down_refuse_at_zero_and_reset() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + secs(s);
        let mut limiter = RateLimiter::new(RatePolicy::onelogin().with_limit(3));
        let remaining: Vec<u64> = [0.0, 1.0, 2.5]
            .iter()
            .map(|s| limiter.check(at(*s)).remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = limiter.check(at(1000.0));
        assert_eq!(refused.refused, Some(secs(2600.0)));
        assert_eq!(
            limiter.headers(&refused),
            Some(RateHeaders {
                limit: 3,
                remaining: 0,
                reset_secs: 2600
            })
        );
        assert_eq!(limiter.usage(at(1000.0)).refused_for, Some(secs(2600.0)));
        // The window started with the first request; the next one after it starts anew.
        let fresh = limiter.check(at(3600.0));
        assert_eq!((fresh.refused, fresh.remaining), (None, 2));
        assert_eq!(fresh.reset_in, secs(3600.0));
    }

    #[test]
    fn reset_headers_are_real_seconds_rounded_up() {
        let t0 = Instant::now();
        let at = |s: f64| t0 + secs(s);
        // An hour 100 times faster is 36 real seconds: 10.2 s in, 25.8 s are left.
        let mut limiter = RateLimiter::new(RatePolicy::onelogin().faster(100));
        limiter.check(at(0.0));
        let verdict = limiter.check(at(10.2));
        let headers = limiter
            .headers(&verdict)
            .map(|h| (h.remaining, h.reset_secs));
        assert_eq!(headers, Some((4998, 26)));
        // 3,600 times faster: a one-second window; never "0" while it is still open.
        let mut limiter = RateLimiter::new(RatePolicy::onelogin().faster(3600));
        limiter.check(at(0.0));
        let verdict = limiter.check(at(0.999));
        assert_eq!(limiter.headers(&verdict).map(|h| h.reset_secs), Some(1));
        // Without the headers option, none.
        let mut limiter = RateLimiter::new(RatePolicy::fixed(1, secs(1.0)));
        let verdict = limiter.check(at(0.0));
        assert_eq!(limiter.headers(&verdict), None);
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        let t0 = Instant::now();
        let mut rolling = RateLimiter::new(RatePolicy::rolling(0, secs(1.0)));
        assert!(rolling.check(t0).refused.is_some());
        let mut fixed = RateLimiter::new(RatePolicy::fixed(0, secs(1.0)));
        assert!(fixed.check(t0).refused.is_some());
    }
}
