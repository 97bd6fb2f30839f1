//! The back-off gate shared by every request of one client.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::clock::Clock;

/// When one request is told to back off, every request of the same client waits too, so a
/// bulk run does not keep hammering a throttled API from its other workers.
#[derive(Debug, Default)]
pub struct BackoffGate {
    closed_until: Mutex<Option<Instant>>,
}

impl BackoffGate {
    /// An open gate.
    pub fn new() -> Self {
        BackoffGate::default()
    }

    /// Keeps the gate closed until at least `until` (a later close wins).
    pub fn close_until(&self, until: Instant) {
        let mut closed = self.lock();
        if closed.is_none_or(|current| current < until) {
            *closed = Some(until);
        }
    }

    /// How long a request starting at `now` must still wait.
    pub fn remaining(&self, now: Instant) -> Duration {
        self.lock()
            .map(|until| until.saturating_duration_since(now))
            .unwrap_or(Duration::ZERO)
    }

    /// Waits until the gate is open. The gate may be closed again while waiting, so it is
    /// checked again after each wait.
    pub async fn wait_open(&self, clock: &dyn Clock) -> Duration {
        let mut waited = Duration::ZERO;
        loop {
            let remaining = self.remaining(clock.now());
            if remaining.is_zero() {
                return waited;
            }
            clock.sleep(remaining).await;
            waited += remaining;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.closed_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::ManualClock;

    #[tokio::test]
    async fn later_close_wins_and_waits_are_recorded() {
        let clock = ManualClock::default();
        let gate = BackoffGate::new();
        let now = clock.now();
        gate.close_until(now + Duration::from_secs(5));
        gate.close_until(now + Duration::from_secs(2));
        assert_eq!(gate.remaining(now), Duration::from_secs(5));
        let waited = gate.wait_open(&clock).await;
        assert_eq!(waited, Duration::from_secs(5));
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);
        assert_eq!(gate.remaining(clock.now()), Duration::ZERO);
    }
}
