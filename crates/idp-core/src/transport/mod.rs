//! The HTTP transport every vendor crate sends through: timeouts, bounded bodies, no
//! redirects, retries with back-off, and a back-off gate shared by all requests of a client.

mod clock;
mod endpoint;
mod gate;
mod options;
mod response;
mod retry;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use reqwest::header::{HeaderValue, USER_AGENT};
use tracing::Instrument;
use url::Url;

pub use clock::{Clock, FullJitter, Jitter, ManualClock, NoJitter, Sleep, SystemClock};
pub use endpoint::{
    check_id, check_scheme, encode_path_segment, is_loopback, join_path, parse_base_url,
    parse_positive_id, truncate_for_message,
};
pub use gate::BackoffGate;
pub use options::TransportOptions;
pub use response::Response;
pub use retry::{RetryPolicy, parse_retry_after};

use crate::error::{Error, ErrorKind};

/// A value produced by [`Transport::send`], with how many requests it took.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent<T> {
    /// What the vendor crate's parser made of the successful answer.
    pub value: T,
    /// How many requests were sent, retries included.
    pub attempts: u32,
}

/// A reqwest client builder set up the way idp needs it: rustls, redirects never followed,
/// and the given connect timeout. Start from this to pass your own client in
/// [`TransportOptions::http_client`].
pub fn default_http_client_builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
}

/// One vendor client's connection to its API. Cheap to clone: clones share the HTTP
/// connection pool and the back-off gate.
#[derive(Debug, Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    vendor: &'static str,
    user_agent: HeaderValue,
    http: reqwest::Client,
    options: TransportOptions,
    gate: BackoffGate,
}

impl Transport {
    /// A transport for `vendor`, whose requests carry a `User-Agent` naming `product` (the
    /// vendor crate, as `name/version`) and idp-core.
    pub fn new(
        vendor: &'static str,
        product: &str,
        options: TransportOptions,
    ) -> Result<Self, Error> {
        let http = match &options.http_client {
            Some(client) => client.clone(),
            None => default_http_client_builder(options.connect_timeout)
                .build()
                .map_err(|e| {
                    Error::config(vendor, "could not build the HTTP client").with_source(e)
                })?,
        };
        let agent = format!(
            "{product} {}/{}",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        );
        let user_agent = HeaderValue::from_str(&agent)
            .map_err(|e| Error::config(vendor, "invalid User-Agent").with_source(e))?;
        Ok(Transport {
            inner: Arc::new(Inner {
                vendor,
                user_agent,
                http,
                options,
                gate: BackoffGate::new(),
            }),
        })
    }

    /// The vendor name this transport reports in errors.
    pub fn vendor(&self) -> &'static str {
        self.inner.vendor
    }

    /// The HTTP client, to start request builders from.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The options this transport was built with.
    pub fn options(&self) -> &TransportOptions {
        &self.inner.options
    }

    /// The clock (real, or a test's manual clock).
    pub fn clock(&self) -> &dyn Clock {
        self.inner.options.clock.as_ref()
    }

    /// The back-off gate shared by every request of this transport.
    pub fn gate(&self) -> &BackoffGate {
        &self.inner.gate
    }

    /// Parses and checks a base URL under this transport's `http://` rule.
    pub fn base_url(&self, raw: &str) -> Result<Url, Error> {
        parse_base_url(
            self.inner.vendor,
            raw,
            self.inner.options.allow_insecure_http,
        )
    }

    /// Sends one logical request, retrying as the policy allows.
    ///
    /// `build` makes the request for attempt `n` (1-based) — called afresh for every attempt,
    /// so a vendor can sign it again or fetch a new token. `parse` classifies the answer: `Ok`
    /// ends the call, an `Err` is retried when [`Error::is_retryable`] says so and the policy
    /// allows. A 3xx answer is never followed: it is a [`ErrorKind::Protocol`] error.
    pub async fn send<T, B, BFut, P>(
        &self,
        operation: &'static str,
        mut build: B,
        mut parse: P,
    ) -> Result<Sent<T>, Error>
    where
        B: FnMut(u32) -> BFut,
        BFut: Future<Output = Result<reqwest::RequestBuilder, Error>>,
        P: FnMut(&Response) -> Result<T, Error>,
    {
        let vendor = self.inner.vendor;
        let options = &self.inner.options;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.inner.gate.wait_open(self.clock()).await;
            let built = build(attempt)
                .await
                .map_err(|e| e.with_attempts(attempt - 1))?;
            // Building may have waited (for a token, behind other requests): if the vendor
            // throttled us meanwhile, wait again rather than send inside its window.
            self.inner.gate.wait_open(self.clock()).await;
            let request = built
                .header(USER_AGENT, self.inner.user_agent.clone())
                .build()
                .map_err(|e| {
                    Error::invalid_input(vendor, "could not build the request")
                        .with_source(e.without_url())
                        .with_attempts(attempt - 1)
                })?;
            check_scheme(vendor, request.url(), options.allow_insecure_http)
                .map_err(|e| e.with_attempts(attempt - 1))?;

            // The path only: a query may carry signed credentials (Alibaba's SecurityToken).
            let span = tracing::debug_span!(
                "idp.request",
                vendor,
                operation,
                attempt,
                method = %request.method(),
                path = request.url().path(),
                status = tracing::field::Empty,
            );
            let result = async {
                let response = self.exchange(request).await?;
                tracing::Span::current().record("status", response.status);
                parse(&response).map_err(|e| complete_from(e, &response, options.clock.as_ref()))
            }
            .instrument(span)
            .await;

            let err = match result {
                Ok(value) => {
                    return Ok(Sent {
                        value,
                        attempts: attempt,
                    });
                }
                Err(err) => err,
            };
            let delay = options
                .retry
                .delay(attempt, err.retry_after(), options.jitter.as_ref());
            let throttled = err.kind() == ErrorKind::RateLimited;
            if throttled && let Some(delay) = delay {
                // Everyone waits, not just this request: the vendor throttles the credential,
                // and it told us so even if this request will not be retried.
                self.inner.gate.close_until(self.clock().now() + delay);
            }
            if !err.is_retryable() || attempt > options.retry.max_retries {
                return Err(err.with_attempts(attempt));
            }
            let Some(delay) = delay else {
                tracing::warn!(vendor, operation, retry_after = ?err.retry_after(), "vendor asked for a longer wait than allowed; giving up");
                return Err(err.with_attempts(attempt));
            };
            tracing::debug!(vendor, operation, attempt, kind = %err.kind(), ?delay, "retrying");
            if !throttled {
                self.clock().sleep(delay).await;
            }
        }
    }

    /// One attempt: send, and read the body up to the cap, all within the attempt timeout.
    async fn exchange(&self, request: reqwest::Request) -> Result<Response, Error> {
        let vendor = self.inner.vendor;
        let timeout = self.inner.options.attempt_timeout;
        match tokio::time::timeout(timeout, self.exchange_unbounded(request)).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                vendor,
                format!("no complete answer within {timeout:?}"),
            )),
        }
    }

    async fn exchange_unbounded(&self, request: reqwest::Request) -> Result<Response, Error> {
        let vendor = self.inner.vendor;
        let origin = request.url().origin();
        let mut response = self
            .inner
            .http
            .execute(request)
            .await
            .map_err(|e| transport_error(vendor, e))?;
        let status = response.status().as_u16();
        if response.url().origin() != origin {
            return Err(Error::protocol(
                vendor,
                "the HTTP client followed a redirect to another origin; configure it with \
                 redirect::Policy::none()",
            )
            .with_status(status));
        }
        if (300..400).contains(&status) {
            let target = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Url::parse(v).ok())
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "the same host".to_owned());
            return Err(Error::protocol(
                vendor,
                format!("redirect (to {target}) refused and not followed: check the base URL"),
            )
            .with_status(status));
        }
        let cap = self.inner.options.max_body_bytes;
        let mut body = BytesMut::new();
        let mut truncated = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(vendor, e).with_status(status))?
        {
            let room = cap - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers: response.headers().clone(),
            body: body.freeze(),
            truncated,
        })
    }
}

/// Fills in what the vendor parser did not set: the status and the server's wait hint.
fn complete_from(err: Error, response: &Response, clock: &dyn Clock) -> Error {
    let mut err = err;
    if err.status().is_none() {
        err = err.with_status(response.status);
    }
    if err.retry_after().is_none()
        && let Some(wait) = parse_retry_after(&response.headers, clock.wall())
    {
        err = err.with_retry_after(wait);
    }
    err
}

fn transport_error(vendor: &'static str, e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    let what = if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "the request failed"
    };
    // Without the URL: a query string may hold signed credentials.
    let e = e.without_url();
    let detail = std::error::Error::source(&e)
        .map(|s| format!(": {s}"))
        .unwrap_or_default();
    Error::new(kind, vendor, format!("{what}{detail}")).with_source(e)
}
