//! Time and randomness behind traits, so retry and token-expiry tests are deterministic.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
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

/// A clock for tests: time stands still until [`ManualClock::advance`] moves it, and every
/// [`Clock::sleep`] returns at once after moving time forward by its duration and recording it.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    start: Instant,
    wall_start: SystemTime,
    offset: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock whose wall time starts at `wall_start`.
    pub fn new(wall_start: SystemTime) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualState {
                start: Instant::now(),
                wall_start,
                offset: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        self.state().offset += by;
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }

    /// How far time has moved since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.state().offset
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ManualState> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep using it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new(SystemTime::now())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let state = self.state();
        state.start + state.offset
    }

    fn wall(&self) -> SystemTime {
        let state = self.state();
        state.wall_start + state.offset
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        {
            let mut state = self.state();
            state.offset += duration;
            state.sleeps.push(duration);
        }
        // Yield once so concurrent tasks interleave as they would with a real sleep.
        Box::pin(tokio::task::yield_now())
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

/// No randomness: always the full back-off. For deterministic tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJitter;

impl Jitter for NoJitter {
    fn between_zero_and(&self, max: Duration) -> Duration {
        max
    }
}
