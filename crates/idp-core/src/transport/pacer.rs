//! Staying inside a vendor's request budget instead of running into it.
//!
//! Every request of a client, whatever the operation (lookups, steps, token requests,
//! logins), takes a slot from one rolling-window budget before it is sent, shared by all
//! workers. Cloudflare's block after a spent budget stops every API call of that user for five
//! minutes (the dashboard, Terraform, other automations too): a client that knows the budget
//! should never trip it.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::clock::Clock;

/// A request budget: at most `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    requests: u32,
    per: Duration,
}

impl Rate {
    /// `requests` per `per`; `None` when either is zero.
    pub fn new(requests: u32, per: Duration) -> Option<Rate> {
        (requests > 0 && !per.is_zero()).then_some(Rate { requests, per })
    }

    /// The number of requests a window allows.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window.
    pub fn per(&self) -> Duration {
        self.per
    }

    /// The long-run rate, in requests per second.
    pub fn per_second(&self) -> f64 {
        f64::from(self.requests) / self.per.as_secs_f64()
    }

    /// This budget scaled to `fraction` of its requests (at least one), for leaving room to
    /// other clients of the same credential.
    pub fn fraction(self, fraction: f64) -> Rate {
        let scaled = (f64::from(self.requests) * fraction).floor();
        let requests = if scaled >= 1.0 { scaled as u32 } else { 1 };
        Rate { requests, ..self }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.per.as_secs();
        match secs {
            1 => write!(f, "{}/s", self.requests),
            60 => write!(f, "{}/m", self.requests),
            3600 => write!(f, "{}/h", self.requests),
            _ => write!(f, "{} per {:?}", self.requests, self.per),
        }
    }
}

/// Which budget a client paces to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateSetting {
    /// The budget the vendor documents ([`Api::default_rate`](crate::Api::default_rate)), or
    /// none when it documents none.
    #[default]
    VendorDefault,
    /// No budget of our own; a vendor's remaining-budget counters (OneLogin's) are still
    /// followed.
    Unlimited,
    /// No pacing at all: neither a budget nor the vendor's counters (`--rate none`).
    Off,
    /// This budget.
    Custom(Rate),
}

/// A `--rate` value that is not `N/s`, `N/m`, `N/h` or `none`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseRateError(String);

impl fmt::Display for ParseRateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid rate {:?}: expected N/s, N/m, N/h (N a positive whole number) or none",
            crate::text::truncate_for_message(&self.0)
        )
    }
}

impl std::error::Error for ParseRateError {}

impl FromStr for RateSetting {
    type Err = ParseRateError;

    /// `none`, or `N/s`, `N/m`, `N/h`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || ParseRateError(text.to_owned());
        let text_trimmed = text.trim();
        if text_trimmed.eq_ignore_ascii_case("none") {
            return Ok(RateSetting::Off);
        }
        let (count, unit) = text_trimmed.split_once('/').ok_or_else(refuse)?;
        if !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let requests: u32 = count.parse().map_err(|_| refuse())?;
        let per = match unit {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(refuse()),
        };
        Rate::new(requests, per)
            .map(RateSetting::Custom)
            .ok_or_else(refuse)
    }
}

/// When the vendor's own counters say the budget is nearly spent: the rest is spread evenly
/// until the reset instead of being spent at once.
#[derive(Debug, Clone, Copy)]
struct Spread {
    interval: Duration,
    until: Instant,
    next: Instant,
}

#[derive(Debug, Default)]
struct State {
    /// Send times handed out, oldest first; at most `rate.requests` of them.
    slots: VecDeque<Instant>,
    spread: Option<Spread>,
    /// When the latest slot handed out had to wait.
    last_wait: Option<Instant>,
    /// How many slots were handed out: the number of the latest.
    handed_out: u64,
}

/// One client's pacer. Without a rate it never waits (but still follows a vendor's own
/// counters when they run low).
#[derive(Debug)]
pub struct Pacer {
    rate: Option<Rate>,
    state: Mutex<State>,
}

/// Below this many requests left, the rest are spread until the reset.
const LOW_WATER: u64 = 20;

impl Pacer {
    /// A pacer for `rate` (`None`: no budget of our own).
    pub fn new(rate: Option<Rate>) -> Self {
        Pacer {
            rate,
            state: Mutex::new(State::default()),
        }
    }

    /// The budget paced to.
    pub fn rate(&self) -> Option<Rate> {
        self.rate
    }

    /// Takes a slot: returns how long to wait before sending (zero when a slot is free).
    /// The slot is reserved at once, so concurrent callers queue in order.
    pub fn reserve(&self, now: Instant) -> Duration {
        let mut state = self.lock();
        state.handed_out += 1;
        let mut at = now;
        if let Some(rate) = self.rate {
            let window = rate.per;
            while state
                .slots
                .front()
                .is_some_and(|&slot| slot + window <= now)
            {
                state.slots.pop_front();
            }
            let full = state.slots.len() >= rate.requests as usize;
            if full && let Some(&oldest) = state.slots.front() {
                at = at.max(oldest + window);
            }
        }
        if let Some(spread) = &mut state.spread {
            if now >= spread.until {
                state.spread = None;
            } else {
                // At the reset the vendor's next window opens: no slot waits beyond it (the
                // workers queued behind a spent budget go when it opens, not one per interval).
                at = at.max(spread.next.min(spread.until));
                spread.next = at + spread.interval;
            }
        }
        if let Some(rate) = self.rate {
            state.slots.push_back(at);
            while state.slots.len() > rate.requests as usize {
                state.slots.pop_front();
            }
        }
        let wait = at.saturating_duration_since(now);
        if !wait.is_zero() {
            state.last_wait = Some(now);
        }
        wait
    }

    /// How many slots were handed out so far: read just before a request is sent, and given
    /// back with its answer to [`Pacer::observe_answer`].
    pub fn handed_out(&self) -> u64 {
        self.lock().handed_out
    }

    /// Waits for a slot on `clock`.
    pub async fn acquire(&self, clock: &dyn Clock) -> Duration {
        let wait = self.reserve(clock.now());
        if !wait.is_zero() {
            clock.sleep(wait).await;
        }
        wait
    }

    /// Reads what the vendor says is left: when `remaining` is low, the next requests are
    /// spread evenly over `reset` instead of spent at once (and when nothing is left, the next
    /// one waits for the reset).
    pub fn observe_remaining(&self, now: Instant, remaining: u64, reset: Duration) {
        Self::observe(&mut self.lock(), now, remaining, reset);
    }

    /// [`Pacer::observe_remaining`] from the answer to a request sent when
    /// [`Pacer::handed_out`] was `sent_at`: the slots handed out since may be on their way
    /// and not yet counted in `remaining`, so they are taken off it (with 8 workers, up to 7
    /// requests would otherwise be spent past the vendor's zero).
    pub fn observe_answer(&self, now: Instant, sent_at: u64, remaining: u64, reset: Duration) {
        let mut state = self.lock();
        let later = state.handed_out.saturating_sub(sent_at);
        Self::observe(&mut state, now, remaining.saturating_sub(later), reset);
    }

    fn observe(state: &mut State, now: Instant, remaining: u64, reset: Duration) {
        if remaining > LOW_WATER {
            // Answers arrive out of order: a higher count from an older request must not end a
            // spread before its reset; only the reset itself does.
            if state.spread.is_some_and(|spread| now >= spread.until) {
                state.spread = None;
            }
            return;
        }
        let reset = reset.min(Duration::from_secs(24 * 3600));
        let interval = reset / u32::try_from(remaining + 1).unwrap_or(u32::MAX);
        let next = match state.spread {
            Some(spread) => spread.next.max(now + interval),
            None => now + if remaining == 0 { reset } else { interval },
        };
        state.spread = Some(Spread {
            interval,
            until: now + reset,
            next,
        });
    }

    /// Whether pacing made a request wait within the last `within`: what the progress line
    /// reports as "paced".
    pub fn held_back_recently(&self, now: Instant, within: Duration) -> bool {
        self.lock()
            .last_wait
            .is_some_and(|at| now.saturating_duration_since(at) <= within)
    }

    /// The rate requests go out at while pacing holds them back, in requests per second: the
    /// spread interval when the vendor's counters run low, else the budget.
    pub fn current_rate_per_second(&self, now: Instant) -> Option<f64> {
        let state = self.lock();
        if let Some(spread) = state.spread
            && now < spread.until
            && !spread.interval.is_zero()
        {
            return Some(1.0 / spread.interval.as_secs_f64());
        }
        self.rate.map(|rate| rate.per_second())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(n: u32, secs: u64) -> Rate {
        Rate::new(n, Duration::from_secs(secs)).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn a_window_allows_its_budget_then_queues_in_order() {
        let pacer = Pacer::new(Some(rate(3, 10)));
        let start = Instant::now();
        let waits: Vec<_> = (0..7).map(|_| pacer.reserve(start)).collect();
        let secs = |s| Duration::from_secs(s);
        assert_eq!(
            waits,
            vec![
                secs(0),
                secs(0),
                secs(0),
                secs(10),
                secs(10),
                secs(10),
                secs(20)
            ]
        );
        // Later, with the window slid past the sends at 10 s, two slots are free again and
        // the third waits for the send at 20 s to age out.
        let later = start + secs(25);
        assert_eq!(pacer.reserve(later), secs(0));
        assert_eq!(pacer.reserve(later), secs(0));
        assert_eq!(pacer.reserve(later), secs(5));
    }

    #[test]
    fn any_window_holds_at_most_the_budget() {
        let pacer = Pacer::new(Some(rate(5, 1)));
        let start = Instant::now();
        let mut sends = Vec::new();
        let mut now = start;
        for i in 0..40u64 {
            now = start + Duration::from_millis(i * 37);
            sends.push(now + pacer.reserve(now));
        }
        let _ = now;
        for (i, &at) in sends.iter().enumerate() {
            let in_window = sends[i..]
                .iter()
                .filter(|&&t| t < at + Duration::from_secs(1))
                .count();
            assert!(in_window <= 5, "{in_window} sends within 1 s of send {i}");
        }
    }

    #[test]
    fn low_vendor_counters_spread_the_rest_until_the_reset() {
        let pacer = Pacer::new(None);
        let now = Instant::now();
        assert_eq!(pacer.reserve(now), Duration::ZERO);
        pacer.observe_remaining(now, 3, Duration::from_secs(8));
        assert_eq!(pacer.reserve(now), Duration::from_secs(2));
        assert_eq!(pacer.reserve(now), Duration::from_secs(4));
        // An older answer's higher count does not end the spread before the reset…
        pacer.observe_remaining(now, 500, Duration::from_secs(8));
        assert_eq!(pacer.reserve(now), Duration::from_secs(6));
        // …the reset does.
        let later = now + Duration::from_secs(9);
        pacer.observe_remaining(later, 500, Duration::from_secs(3600));
        assert_eq!(pacer.reserve(later), Duration::ZERO);
        pacer.observe_remaining(now, 0, Duration::from_secs(30));
        assert_eq!(pacer.reserve(now), Duration::from_secs(30));
    }

    #[test]
    fn requests_sent_after_the_answered_one_count_against_what_is_left() {
        let pacer = Pacer::new(None);
        let now = Instant::now();
        pacer.reserve(now);
        let first = pacer.handed_out();
        for _ in 0..3 {
            pacer.reserve(now);
        }
        // The first request's answer says 3 are left, but 3 more were sent after it: none is
        // left for sure, so the next waits for the reset.
        pacer.observe_answer(now, first, 3, Duration::from_secs(8));
        assert_eq!(pacer.reserve(now), Duration::from_secs(8));
    }

    #[test]
    fn rate_settings_parse() {
        let parse = |s: &str| s.parse::<RateSetting>();
        assert_eq!(parse("none"), Ok(RateSetting::Off));
        assert_eq!(parse("4/s"), Ok(RateSetting::Custom(rate(4, 1))));
        assert_eq!(parse("90/m"), Ok(RateSetting::Custom(rate(90, 60))));
        assert_eq!(parse("5000/h"), Ok(RateSetting::Custom(rate(5000, 3600))));
        for bad in [
            "",
            "0/s",
            "-1/s",
            "1.5/s",
            "4/d",
            "4",
            "/s",
            "4/ s",
            "99999999999/s",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(rate(1200, 300).fraction(0.9).requests(), 1080);
    }
}
