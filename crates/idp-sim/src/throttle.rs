//! The `Retry-After` windows a simulator announced: which requests arrived inside one, and
//! (when enforced) the throttling answer for them.

use std::time::{Duration, Instant};

/// How long after a throttling answer requests are still forgiven for arriving inside its
/// window (they may have been sent before the client read the answer).
pub(crate) const DEFAULT_THROTTLE_GRACE: Duration = Duration::from_millis(250);

/// Every announced window, and the requests that did not wait for theirs.
#[derive(Debug, Default)]
pub(crate) struct ThrottleWindows {
    /// `(announced at, open until)` of every answer that named a wait.
    windows: Vec<(Instant, Instant)>,
    inside: usize,
    grace: Option<Duration>,
    enforce: bool,
}

impl ThrottleWindows {
    fn grace(&self) -> Duration {
        self.grace.unwrap_or(DEFAULT_THROTTLE_GRACE)
    }

    /// Counts a request arriving at `now` when it is inside a window, past the grace.
    pub(crate) fn arrive(&mut self, now: Instant) {
        let grace = self.grace();
        if self
            .windows
            .iter()
            .any(|(at, until)| now >= *at + grace && now < *until)
        {
            self.inside += 1;
        }
    }

    /// When enforcement is on and a window is open at `now`: the seconds left of the
    /// longest one (rounded up, at least 1), for the throttling answer.
    pub(crate) fn enforced_wait(&self, now: Instant) -> Option<u64> {
        if !self.enforce {
            return None;
        }
        self.windows
            .iter()
            .filter(|(_, until)| now < *until)
            .map(|(_, until)| *until - now)
            .max()
            .map(|left| ceil_secs(left).max(1))
    }

    /// Records an answer sent at `at` that asked the client to wait `wait`.
    pub(crate) fn announce(&mut self, at: Instant, wait: Duration) {
        if !wait.is_zero() {
            self.windows.push((at, at + wait));
        }
    }

    pub(crate) fn inside(&self) -> usize {
        self.inside
    }

    pub(crate) fn windows(&self) -> Vec<(Instant, Instant)> {
        self.windows.clone()
    }

    pub(crate) fn set_grace(&mut self, grace: Duration) {
        self.grace = Some(grace);
    }

    pub(crate) fn set_enforce(&mut self, enforce: bool) {
        self.enforce = enforce;
    }
}

/// Whole seconds, rounded up: a client told to wait this long never comes back early.
pub(crate) fn ceil_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_after_the_grace_and_enforces_the_rest_of_the_window() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut windows = ThrottleWindows::default();
        windows.announce(t0, Duration::from_secs(3));
        windows.announce(t0, Duration::ZERO);
        assert_eq!(windows.windows().len(), 1, "a zero wait announces nothing");

        windows.arrive(at(100));
        assert_eq!(windows.inside(), 0, "inside the grace");
        windows.arrive(at(300));
        windows.arrive(at(3000));
        assert_eq!(
            windows.inside(),
            1,
            "once past the grace, until the window closes"
        );

        assert_eq!(windows.enforced_wait(at(500)), None, "off by default");
        windows.set_enforce(true);
        assert_eq!(windows.enforced_wait(at(500)), Some(3));
        assert_eq!(windows.enforced_wait(at(2999)), Some(1));
        assert_eq!(windows.enforced_wait(at(3000)), None);
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(ceil_secs(Duration::ZERO), 0);
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
        assert_eq!(ceil_secs(Duration::from_millis(2001)), 3);
    }
}
