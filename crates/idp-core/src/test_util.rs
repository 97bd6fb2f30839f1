//! Helpers for tests of idp crates (feature `test-util`; use it from `[dev-dependencies]`
//! only): a manual clock, no jitter, transport options that make retries fast, and one
//! proptest strategy for arbitrary vendor answers.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::error::ErrorKind;
use crate::transport::{Clock, Jitter, RetryPolicy, Sleep, TransportOptions};

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

/// No randomness: always the full back-off. For deterministic tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJitter;

impl Jitter for NoJitter {
    fn between_zero_and(&self, max: Duration) -> Duration {
        max
    }
}

/// Options for loopback tests with the real clock: retries as the default policy says, but
/// after 1 ms instead of 500 ms, no jitter, and no pacing.
pub fn fast_options() -> TransportOptions {
    TransportOptions::default()
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
        .with_jitter(Arc::new(NoJitter))
        .with_rate(crate::transport::RateSetting::Unlimited)
}

/// Options for deterministic tests on `clock`: every wait returns at once and is recorded,
/// no jitter, no pacing, back-off starting at 100 ms.
pub fn manual_options(clock: &ManualClock) -> TransportOptions {
    TransportOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_jitter(Arc::new(NoJitter))
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(100)))
        .with_rate(crate::transport::RateSetting::Unlimited)
}

/// Statuses whose kind does not depend on the vendor or the operation when the body says
/// nothing more specific, with that kind: every vendor's `parse_error` gives them, and vendor
/// tests assert it next to their own statuses (404, 405, 410, a 2xx error …).
pub const PLAIN_STATUS_KINDS: [(u16, ErrorKind); 10] = [
    (400, ErrorKind::InvalidInput),
    (401, ErrorKind::Unauthenticated),
    (403, ErrorKind::PermissionDenied),
    (408, ErrorKind::Timeout),
    (409, ErrorKind::Conflict),
    (422, ErrorKind::InvalidInput),
    (429, ErrorKind::RateLimited),
    (500, ErrorKind::Server),
    (502, ErrorKind::Server),
    (503, ErrorKind::Server),
];

/// Proptest strategies for arbitrary vendor answers, shared by every vendor crate's
/// "the parser never panics" properties.
pub mod strategies {
    use proptest::prelude::*;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use serde_json::Value;

    use crate::transport::Response;

    /// Arbitrary JSON whose object keys are drawn from `keys` (a vendor's field names) three
    /// times in four, and are arbitrary strings otherwise.
    pub fn json(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            3 => proptest::sample::select(keys).prop_map(str::to_owned),
            1 => any::<String>(),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            (0u32..100_000).prop_map(|n| Value::String(n.to_string())),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// A body: random bytes, JSON (see [`json`]), JSON cut anywhere, an HTML page, or empty.
    pub fn body(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            json(keys).prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
            (json(keys), any::<prop::sample::Index>()).prop_map(|(v, at)| {
                let bytes = serde_json::to_vec(&v).unwrap_or_default();
                bytes[..at.index(bytes.len() + 1)].to_vec()
            }),
            any::<String>().prop_map(|s| format!("<!DOCTYPE html><p>{s}</p>").into_bytes()),
            Just(Vec::new()),
        ]
    }

    /// Headers among `names` (request ids, content type, `retry-after`…) with arbitrary byte
    /// values.
    pub fn headers(names: &'static [&'static str]) -> impl Strategy<Value = HeaderMap> {
        let name = proptest::sample::select(names);
        let value = proptest::collection::vec(any::<u8>(), 0..80);
        proptest::collection::vec((name, value), 0..5).prop_map(|pairs| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(&value),
                ) {
                    map.append(name, value);
                }
            }
            map
        })
    }

    /// An arbitrary answer: any status from 100 to 599, [`headers`] (plus `content-type`,
    /// `retry-after`, `retry-after-ms`), a [`body`] with `keys`, possibly marked cut, for any
    /// of `operations` at attempt 1 to 4.
    pub fn response(
        keys: &'static [&'static str],
        header_names: &'static [&'static str],
        operations: &'static [&'static str],
    ) -> impl Strategy<Value = Response> {
        let common = headers(&["content-type", "retry-after", "retry-after-ms"]);
        (
            100u16..600,
            headers(header_names),
            common,
            body(keys),
            any::<bool>(),
            proptest::sample::select(operations),
            1u32..5,
        )
            .prop_map(
                move |(status, mut headers, common, body, truncated, operation, attempt)| {
                    headers.extend(common);
                    let mut response = Response::new(status, headers, body)
                        .for_operation(operation, attempt)
                        .with_request_id_from(header_names);
                    response.truncated = truncated;
                    response
                },
            )
    }
}
