//! Time and randomness behind traits, so retry and token-expiry tests are deterministic.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

/// A future returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where the transport and the vendor clients read the time and wait.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic now, for waits and token lifetimes.
    fn now(&self) -> Instant;
    /// Wall-clock now, for signatures, JWT claims and HTTP dates.
    fn wall(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock: `Instant::now`, `SystemTime::now` and `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Where retry back-off draws its randomness.
pub trait Jitter: Send + Sync + fmt::Debug {
    /// A duration between zero and `max` inclusive.
    fn between_zero_and(&self, max: Duration) -> Duration;
}

/// "Full jitter": a uniformly random duration in `[0, max]`, so many clients backing off at
/// once spread out instead of retrying together.
#[derive(Debug, Default, Clone, Copy)]
pub struct FullJitter;

impl Jitter for FullJitter {
    fn between_zero_and(&self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}
