//! What a caller can tune about the transport.

use std::sync::Arc;
use std::time::Duration;

use super::clock::{Clock, FullJitter, Jitter, SystemClock};
use super::pacer::RateSetting;
use super::retry::RetryPolicy;

/// Transport settings shared by every vendor client. `Default` gives safe values: 10 s to
/// connect, 30 s per attempt, 15 minutes per call, 1 MiB per response body, 3 retries from a
/// shared budget, the vendor's documented rate, `https://` only.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportOptions {
    /// Longest wait for a TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Longest time for one attempt: sending, waiting and reading the whole body.
    pub attempt_timeout: Duration,
    /// Longest time for one logical call, every attempt, back-off and wait included. A call
    /// that would need longer fails with its last error instead of waiting.
    pub deadline: Duration,
    /// Response bodies are read up to this many bytes and no further, so a hostile or broken
    /// server cannot make us buffer hundreds of megabytes.
    pub max_body_bytes: usize,
    /// Retry and back-off rules.
    pub retry: RetryPolicy,
    /// Tokens in the client's retry budget (a retry costs 5, a retried timeout 10, a success
    /// gives one back; see [`RetryBudget`](crate::transport::RetryBudget)). Default 500.
    pub retry_budget: u32,
    /// The request budget paced to (default: the vendor's documented one).
    pub rate: RateSetting,
    /// Allow plain `http://` to hosts other than loopback. Off by default: credentials and
    /// tokens would cross the network in clear text. Self-hosted servers on a trusted network
    /// may need it.
    pub allow_insecure_http: bool,
    /// An HTTP client to use instead of the default one (to share a connection pool). It
    /// **must not follow redirects** (`reqwest::redirect::Policy::none()`): custom
    /// auth headers such as `X-Auth-Key` would otherwise be sent to the redirect's host.
    /// [`default_http_client_builder`](crate::transport::default_http_client_builder) starts right.
    pub http_client: Option<reqwest::Client>,
    /// Where time is read and waits happen (a manual clock in tests, from the `test-util`
    /// feature).
    pub clock: Arc<dyn Clock>,
    /// Where back-off randomness comes from (none in tests, from the `test-util` feature).
    pub jitter: Arc<dyn Jitter>,
    /// A run-wide stop request: once set, no new attempt starts and waits end at once (the
    /// call fails with [`ErrorKind::Interrupted`](crate::ErrorKind::Interrupted) or its last
    /// error).
    pub interrupt: Option<crate::Interrupt>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(15 * 60),
            max_body_bytes: 1024 * 1024,
            retry: RetryPolicy::default(),
            retry_budget: 500,
            rate: RateSetting::VendorDefault,
            allow_insecure_http: false,
            http_client: None,
            clock: Arc::new(SystemClock),
            jitter: Arc::new(FullJitter),
            interrupt: None,
        }
    }
}

impl TransportOptions {
    /// Sets the per-attempt timeout.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets the deadline of one logical call.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the retry budget's size.
    pub fn with_retry_budget(mut self, tokens: u32) -> Self {
        self.retry_budget = tokens;
        self
    }

    /// Sets the request budget paced to.
    pub fn with_rate(mut self, rate: RateSetting) -> Self {
        self.rate = rate;
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

    /// Stops new attempts and waits when `interrupt` is requested.
    pub fn with_interrupt(mut self, interrupt: crate::Interrupt) -> Self {
        self.interrupt = Some(interrupt);
        self
    }

    /// Uses this source of back-off randomness.
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }
}
