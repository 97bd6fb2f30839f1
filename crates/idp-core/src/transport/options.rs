//! What a caller can tune about the transport.

use std::sync::Arc;
use std::time::Duration;

use super::clock::{Clock, FullJitter, Jitter, SystemClock};
use super::retry::RetryPolicy;

/// Transport settings shared by every vendor client. `Default` gives safe values: 10 s to
/// connect, 30 s per attempt, 1 MiB per response body, 3 retries, `https://` only.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportOptions {
    /// Longest wait for a TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Longest time for one attempt: sending, waiting and reading the whole body.
    pub attempt_timeout: Duration,
    /// Response bodies are read up to this many bytes and no further, so a hostile or broken
    /// server cannot make us buffer hundreds of megabytes.
    pub max_body_bytes: usize,
    /// Retry and back-off rules.
    pub retry: RetryPolicy,
    /// Allow plain `http://` to hosts other than loopback. Off by default: credentials and
    /// tokens would cross the network in clear text. Self-hosted servers on a trusted network
    /// may need it.
    pub allow_insecure_http: bool,
    /// An HTTP client to use instead of the default one (to share a connection pool, or set a
    /// proxy). It **must not follow redirects** (`reqwest::redirect::Policy::none()`): custom
    /// auth headers such as `X-Auth-Key` would otherwise be sent to the redirect's host.
    /// [`default_http_client_builder`](crate::default_http_client_builder) starts right.
    pub http_client: Option<reqwest::Client>,
    /// Where time is read and waits happen (a [`ManualClock`](crate::ManualClock) in tests).
    pub clock: Arc<dyn Clock>,
    /// Where back-off randomness comes from ([`NoJitter`](crate::NoJitter) in tests).
    pub jitter: Arc<dyn Jitter>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
            http_client: None,
            clock: Arc::new(SystemClock),
            jitter: Arc::new(FullJitter),
        }
    }
}

impl TransportOptions {
    /// Sets the per-attempt timeout.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the number of retries, keeping the rest of the retry policy.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// Sets the response body cap.
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// Allows plain `http://` to non-loopback hosts (see the field's docs for why it is off).
    pub fn with_allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Uses this HTTP client (it must not follow redirects).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Uses this clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses this source of back-off randomness.
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }
}
