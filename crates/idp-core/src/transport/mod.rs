//! The HTTP transport every vendor crate sends through: timeouts, a deadline per call, bounded
//! bodies, no redirects, retries with back-off from a shared budget, a back-off gate and a
//! pacer shared by all requests of a client, tokens, request ids, and credentials scrubbed
//! from every error.

mod clock;
mod endpoint;
mod exchange;
mod gate;
mod options;
mod pacer;
mod proxy;
mod response;
mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, USER_AGENT};
use tracing::Instrument;
use url::Url;

pub use clock::{Clock, FullJitter, Jitter, Sleep, SystemClock};
pub(crate) use endpoint::is_format_char;
pub use endpoint::{
    check_id, check_scheme, check_uuid, encode_path_segment, is_loopback, join_path,
    parse_base_url, parse_positive_id, sensitive_header,
};
pub use gate::BackoffGate;
pub use options::TransportOptions;
pub use pacer::{Pacer, ParseRateError, Rate, RateSetting};
pub use proxy::{HTTPS_PROXY_VARS, NO_PROXY_VARS};
pub use response::{Response, clean_request_id};
pub use retry::{Delay, MAX_HINT, RetryBudget, RetryPolicy, parse_retry_after};

use crate::api::Api;
use crate::auth::{CachedToken, Lease, TokenSource};
use crate::error::{Error, ErrorKind};
use crate::outcome::Receipt;
use crate::scrub::Scrubber;
use proxy::ProxyConfig;

/// A value produced by [`Transport::send`], with how many requests it took and the request id
/// of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent<T> {
    /// What the vendor crate's parser made of the successful answer.
    pub value: T,
    /// How many requests were sent, retries and a resend with a renewed token included.
    pub attempts: u32,
    /// The request id of the successful answer, if it carried one.
    pub request_id: Option<String>,
    /// How long the call waited before its requests (gate, pacer, back-off).
    pub waited: Duration,
}

impl<T> Sent<T> {
    /// The receipt of this call (attempts, request id, time spent waiting).
    pub fn receipt(&self) -> Receipt {
        Receipt::new(self.attempts, self.request_id.clone()).with_waited(self.waited)
    }
}

/// The attempt a request is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first request of a call, 2 for the next, and so on.
    pub number: u32,
}

/// A reqwest client builder set up the way idp needs it: rustls, redirects never followed, the
/// given connect timeout, and proxies as [`proxy`](self) documents (`HTTPS_PROXY` for
/// `https://` only, never for plain http or loopback). Start from this to pass your own client
/// in [`TransportOptions::http_client`].
pub fn default_http_client_builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .no_proxy();
    match ProxyConfig::from_lookup(|name| std::env::var(name).ok()) {
        Some(proxy) => proxy.apply(builder),
        None => builder,
    }
}

/// One vendor client's connection to its API. Cheap to clone: clones share the HTTP
/// connection pool, the back-off gate, the pacer, the retry budget, the token and the
/// scrubber.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    api: Box<dyn Api>,
    user_agent: HeaderValue,
    http: reqwest::Client,
    options: TransportOptions,
    gate: BackoffGate,
    pacer: Pacer,
    budget: RetryBudget,
    scrubber: Scrubber,
    token: Option<CachedToken>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("vendor", &self.vendor())
            .field("options", &self.inner.options)
            .field("rate", &self.inner.pacer.rate())
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed, and whether a request went out.
struct Failed {
    err: Error,
    sent: bool,
    lease: Option<Lease>,
}

impl Failed {
    fn before_sending(err: Error) -> Failed {
        Failed {
            err,
            sent: false,
            lease: None,
        }
    }
}

impl Transport {
    /// A transport for `api` whose requests need no token (they are signed, or carry fixed
    /// credentials the builder adds).
    pub fn new(api: impl Api, options: TransportOptions) -> Result<Self, Error> {
        Transport::build(Box::new(api), options, None)
    }

    /// A transport for `api` whose requests carry a token from `source`, fetched, cached,
    /// renewed and invalidated by the transport ([`auth`](crate::auth)).
    pub fn with_token_source(
        api: impl Api,
        options: TransportOptions,
        source: impl TokenSource,
    ) -> Result<Self, Error> {
        Transport::build(
            Box::new(api),
            options,
            Some(CachedToken::new(Arc::new(source))),
        )
    }

    fn build(
        api: Box<dyn Api>,
        options: TransportOptions,
        token: Option<CachedToken>,
    ) -> Result<Self, Error> {
        let vendor = api.name();
        let http = match &options.http_client {
            Some(client) => client.clone(),
            None => {
                if let Some(proxy) = ProxyConfig::from_lookup(|name| std::env::var(name).ok()) {
                    tracing::info!(
                        vendor,
                        proxy = proxy.host(),
                        "https requests go through a proxy (CONNECT)"
                    );
                }
                default_http_client_builder(options.connect_timeout)
                    .build()
                    .map_err(|e| {
                        Error::config("could not build the HTTP client")
                            .with_source(e)
                            .with_vendor(vendor)
                    })?
            }
        };
        let agent = format!(
            "{} {}/{}",
            api.product(),
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        );
        let user_agent = HeaderValue::from_str(&agent).map_err(|e| {
            Error::config("invalid User-Agent")
                .with_source(e)
                .with_vendor(vendor)
        })?;
        let rate = match options.rate {
            RateSetting::VendorDefault => api.default_rate(),
            RateSetting::Unlimited | RateSetting::Off => None,
            RateSetting::Custom(rate) => Some(rate),
        };
        Ok(Transport {
            inner: Arc::new(Inner {
                user_agent,
                http,
                gate: BackoffGate::new(),
                pacer: Pacer::new(rate),
                budget: RetryBudget::new(options.retry_budget),
                scrubber: Scrubber::new(),
                token,
                options,
                api,
            }),
        })
    }

    /// The vendor name this transport stamps into errors.
    pub fn vendor(&self) -> &'static str {
        self.inner.api.name()
    }

    /// The vendor's API declaration.
    pub fn api(&self) -> &dyn Api {
        self.inner.api.as_ref()
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

    /// The pacer shared by every request of this transport.
    pub fn pacer(&self) -> &Pacer {
        &self.inner.pacer
    }

    /// The retry budget shared by every request of this transport.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.inner.budget
    }

    /// What scrubs credentials from this client's errors: vendor crates add every configured
    /// secret to it when they build the client (tokens are added as they are fetched).
    pub fn scrubber(&self) -> &Scrubber {
        &self.inner.scrubber
    }

    /// Parses and checks a base URL under this transport's `http://` rule.
    pub fn base_url(&self, raw: &str) -> Result<Url, Error> {
        parse_base_url(raw, self.inner.options.allow_insecure_http)
            .map_err(|e| e.with_vendor(self.vendor()))
    }

    /// Takes the cached token out of the transport, for a vendor that logs it out at the
    /// end of a run. A later authenticated call fetches a new one.
    pub async fn take_token(&self) -> Option<crate::Secret> {
        match &self.inner.token {
            Some(token) => token.take().await,
            None => None,
        }
    }

    /// Sends one logical call: `build` makes the request for each attempt (called afresh, so
    /// a vendor can sign it again), the transport adds the token when it has a
    /// [`TokenSource`], sends it, and hands a 2xx answer to `parse` and any other answer to
    /// the vendor's [`Api::parse_error`]. An error is retried when
    /// [`Error::is_retryable`] says so, within the retry policy, the client's retry budget and
    /// the call's deadline; a 401 on a token is answered by one resend with a renewed token;
    /// a 3xx is never followed (an [`ErrorKind::Protocol`] error).
    pub async fn send<T, B, P>(
        &self,
        operation: &'static str,
        build: B,
        parse: P,
    ) -> Result<Sent<T>, Error>
    where
        B: FnMut(&Attempt) -> Result<reqwest::RequestBuilder, Error>,
        P: FnMut(&Response) -> Result<T, Error>,
    {
        self.run(operation, true, build, parse).await
    }

    /// [`Transport::send`] without the token: for the token request and the login
    /// themselves, and for calls that carry their credential in the body.
    pub async fn send_anonymous<T, B, P>(
        &self,
        operation: &'static str,
        build: B,
        parse: P,
    ) -> Result<Sent<T>, Error>
    where
        B: FnMut(&Attempt) -> Result<reqwest::RequestBuilder, Error>,
        P: FnMut(&Response) -> Result<T, Error>,
    {
        self.run(operation, false, build, parse).await
    }

    async fn run<T, B, P>(
        &self,
        operation: &'static str,
        authenticated: bool,
        mut build: B,
        mut parse: P,
    ) -> Result<Sent<T>, Error>
    where
        B: FnMut(&Attempt) -> Result<reqwest::RequestBuilder, Error>,
        P: FnMut(&Response) -> Result<T, Error>,
    {
        let options = &self.inner.options;
        let clock = self.clock();
        let deadline = clock
            .now()
            .checked_add(options.deadline)
            .unwrap_or_else(|| clock.now() + MAX_HINT);
        let mut sent = 0u32;
        let mut waited = Duration::ZERO;
        let mut retries = 0u32;
        let mut renewed = false;
        let mut earlier_retryable = false;
        loop {
            let number = sent + 1;
            let attempt = self
                .attempt(
                    operation,
                    number,
                    authenticated,
                    deadline,
                    &mut waited,
                    &mut build,
                    &mut parse,
                )
                .await;
            let failed = match attempt {
                Ok((value, request_id)) => {
                    self.inner.budget.refill();
                    return Ok(Sent {
                        value,
                        attempts: number,
                        request_id,
                        waited,
                    });
                }
                Err(failed) => failed,
            };
            if failed.sent {
                sent += 1;
            }
            let err = failed.err;
            let finish = move |err: Error| self.finish(err, operation, sent, earlier_retryable);
            if !failed.sent {
                return Err(finish(err));
            }
            // A refused token: forget exactly that one, resend once with a new one.
            if err.kind() == ErrorKind::Unauthenticated
                && let (Some(lease), Some(token)) = (&failed.lease, &self.inner.token)
                && token.source().renewable()
            {
                match token.invalidate(lease, &err).await {
                    None if !renewed => {
                        renewed = true;
                        tracing::debug!(
                            vendor = self.vendor(),
                            operation,
                            "token refused; resending once with a renewed one"
                        );
                        continue;
                    }
                    None => return Err(finish(err)),
                    Some(last) => return Err(finish(last)),
                }
            }
            let now = clock.now();
            let throttled = err.kind() == ErrorKind::RateLimited
                || (err.status() == Some(503) && err.retry_after().is_some());
            if throttled {
                // Everyone waits, not just this request: the vendor throttles the credential,
                // and it said so even if this request will not be retried, even past our
                // ceiling (the others then fail at once instead of sending into the block).
                let wait = err
                    .retry_after()
                    .unwrap_or_else(|| options.retry.backoff(retries + 1, options.jitter.as_ref()));
                let until = now.checked_add(wait).unwrap_or(now + MAX_HINT);
                self.inner.gate.close_until(until);
            }
            if !err.is_retryable() || retries >= options.retry.max_retries {
                return Err(finish(err));
            }
            let delay =
                match options
                    .retry
                    .delay(retries + 1, err.retry_after(), options.jitter.as_ref())
                {
                    Delay::Wait(delay) => delay,
                    Delay::TooLong(hint) => {
                        tracing::warn!(
                            vendor = self.vendor(),
                            operation,
                            ?hint,
                            "vendor asked for a longer wait than allowed; giving up"
                        );
                        let message = format!(
                            "{} (the vendor asked to wait {}, longer than the {} allowed; its \
                         other requests are held back until then)",
                            err.message(),
                            humanize(hint),
                            humanize(options.retry.max_retry_after)
                        );
                        return Err(finish(err.with_message(message)));
                    }
                };
            if !throttled
                && !self
                    .inner
                    .budget
                    .try_spend(err.kind() == ErrorKind::Timeout)
            {
                let message = format!(
                    "{} (not retried: this client's retry budget is spent, too many calls are \
                     failing)",
                    err.message()
                );
                return Err(finish(err.with_message(message)));
            }
            if now + delay > deadline {
                let message = format!(
                    "{} (not retried: the call's deadline of {} would pass)",
                    err.message(),
                    humanize(options.deadline)
                );
                return Err(finish(err.with_message(message)));
            }
            retries += 1;
            earlier_retryable = true;
            tracing::debug!(
                vendor = self.vendor(),
                operation,
                attempt = number,
                kind = %err.kind(),
                ?delay,
                "retrying"
            );
            if !throttled {
                waited += delay;
            }
            if !throttled && !self.sleep(delay).await {
                let message = format!("{} (not retried: the run was interrupted)", err.message());
                return Err(finish(err.with_message(message)));
            }
        }
    }

    /// Sleeps on the clock; `false` when the run was interrupted first.
    async fn sleep(&self, duration: Duration) -> bool {
        match &self.inner.options.interrupt {
            None => {
                self.clock().sleep(duration).await;
                true
            }
            Some(interrupt) => {
                tokio::select! {
                    () = self.clock().sleep(duration) => !interrupt.is_requested(),
                    () = interrupt.requested() => false,
                }
            }
        }
    }

    fn interrupted(&self) -> bool {
        self.inner
            .options
            .interrupt
            .as_ref()
            .is_some_and(crate::Interrupt::is_requested)
    }

    /// One attempt: wait for the gate and the pacer, get the token, build, send, classify.
    #[allow(clippy::too_many_arguments)]
    async fn attempt<T, B, P>(
        &self,
        operation: &'static str,
        number: u32,
        authenticated: bool,
        deadline: Instant,
        waited: &mut Duration,
        build: &mut B,
        parse: &mut P,
    ) -> Result<(T, Option<String>), Failed>
    where
        B: FnMut(&Attempt) -> Result<reqwest::RequestBuilder, Error>,
        P: FnMut(&Response) -> Result<T, Error>,
    {
        let inner = &*self.inner;
        let not_started = || {
            Failed::before_sending(Error::new(
                ErrorKind::Interrupted,
                "not sent: the run was interrupted",
            ))
        };
        if self.interrupted() {
            return Err(not_started());
        }
        *waited += self
            .wait_for_gate(deadline)
            .await
            .map_err(Failed::before_sending)?;
        let now = self.clock().now();
        let pace = inner.pacer.reserve(now);
        if now + pace > deadline {
            // A budget spent until a reset past the deadline: fail clearly, not stall.
            return Err(Failed::before_sending(
                Error::new(
                    ErrorKind::RateLimited,
                    format!(
                        "not sent: the request budget is spent and the next slot is {} away, past \
                     the call's deadline",
                        humanize(pace)
                    ),
                )
                .with_retry_after(pace),
            ));
        }
        if pace >= Duration::from_secs(5) {
            tracing::info!(vendor = self.vendor(), operation, wait = ?pace, "paced: waiting for the request budget");
        }
        *waited += pace;
        if !pace.is_zero() && !self.sleep(pace).await {
            return Err(not_started());
        }
        let lease = match (&inner.token, authenticated) {
            (Some(token), true) => Some(token.get(self).await.map_err(Failed::before_sending)?),
            _ => None,
        };
        let mut builder = build(&Attempt { number }).map_err(Failed::before_sending)?;
        if let (Some(lease), Some(token)) = (&lease, &inner.token) {
            builder = token
                .source()
                .authorize(builder, lease.secret())
                .map_err(Failed::before_sending)?;
        }
        // Getting the token or a pacing slot may have waited: if the vendor throttled us
        // meanwhile, wait again rather than send inside its window.
        *waited += self
            .wait_for_gate(deadline)
            .await
            .map_err(Failed::before_sending)?;
        if self.interrupted() {
            return Err(not_started());
        }
        let request = builder
            .header(USER_AGENT, inner.user_agent.clone())
            .build()
            .map_err(|e| {
                Failed::before_sending(
                    Error::invalid_input("could not build the request")
                        .with_source(e.without_url()),
                )
            })?;
        check_scheme(request.url(), inner.options.allow_insecure_http)
            .map_err(Failed::before_sending)?;

        // The path only: a query may carry signed credentials (Alibaba's SecurityToken).
        let span = tracing::debug_span!(
            "idp.request",
            vendor = self.vendor(),
            operation,
            attempt = number,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
        );
        let sent_at = inner.pacer.handed_out();
        let result = async {
            let response = exchange::exchange(
                &inner.http,
                request,
                inner.options.attempt_timeout,
                inner.options.max_body_bytes,
            )
            .await?
            .for_operation(operation, number)
            .with_request_id_from(inner.api.request_id_headers());
            tracing::Span::current().record("status", response.status);
            // `RateSetting::Off` means no pacing at all, the vendor's own counters included.
            let paced = inner.options.rate != RateSetting::Off;
            if paced && let Some((remaining, reset)) = inner.api.remaining_budget(&response) {
                inner
                    .pacer
                    .observe_answer(self.clock().now(), sent_at, remaining, reset);
            }
            // Error text is made from a body without credentials: a message clipped from a
            // body could otherwise carry part of an echoed token that no scrubber matches.
            let scrubbed = || response.scrubbed(&inner.scrubber);
            let outcome = if response.is_success() {
                parse(&response).map_err(|err| match scrubbed() {
                    Some(clean) => parse(&clean).err().unwrap_or(err),
                    None => err,
                })
            } else {
                let clean = scrubbed();
                Err(inner.api.parse_error(clean.as_ref().unwrap_or(&response)))
            };
            outcome
                .map(|value| (value, response.request_id().map(str::to_owned)))
                .map_err(|e| self.complete(e, &response))
        }
        .instrument(span)
        .await;
        result.map_err(|err| Failed {
            err,
            sent: true,
            lease,
        })
    }

    /// Waits while the gate is closed; fails at once (nothing sent) when it is closed for
    /// longer than the vendor-wait ceiling or past the call's deadline.
    async fn wait_for_gate(&self, deadline: Instant) -> Result<Duration, Error> {
        let clock = self.clock();
        let ceiling = self.inner.options.retry.max_retry_after;
        let mut waited = Duration::ZERO;
        loop {
            let now = clock.now();
            let remaining = self.inner.gate.remaining(now);
            if remaining.is_zero() {
                return Ok(waited);
            }
            if remaining > ceiling {
                return Err(Error::new(
                    ErrorKind::RateLimited,
                    format!(
                        "not sent: the vendor throttled this client for another {}, longer \
                         than the {} allowed",
                        humanize(remaining),
                        humanize(ceiling)
                    ),
                )
                .with_retry_after(remaining));
            }
            if now + remaining > deadline {
                return Err(Error::new(
                    ErrorKind::RateLimited,
                    format!(
                        "not sent: the vendor throttled this client for another {}, past the \
                         call's deadline",
                        humanize(remaining)
                    ),
                )
                .with_retry_after(remaining));
            }
            waited += remaining;
            if !self.sleep(remaining).await {
                return Err(Error::new(
                    ErrorKind::Interrupted,
                    "not sent: the run was interrupted while waiting for the vendor's block to end",
                ));
            }
        }
    }

    /// Fills in what the vendor parser did not set (status, wait hint, request id) and
    /// checks the request id's shape.
    fn complete(&self, err: Error, response: &Response) -> Error {
        let mut err = err;
        if err.status().is_none() {
            err = err.with_status(response.status);
        }
        if err.retry_after().is_none()
            && let Some(wait) = parse_retry_after(&response.headers, self.clock().wall())
        {
            err = err.with_retry_after(wait);
        }
        let vendor_id = err.request_id().map(clean_request_id);
        match vendor_id {
            Some(clean) => err.replace_request_id(clean),
            None => err.with_request_id(response.request_id().map(str::to_owned)),
        }
    }

    /// The final error of a call: attempts, vendor, operation stamped, credentials scrubbed.
    fn finish(&self, err: Error, operation: &'static str, sent: u32, retried: bool) -> Error {
        let mut err = err;
        if retried && err.kind() == ErrorKind::NotFound {
            let message = format!(
                "{} (an earlier attempt of this call failed with a retryable error and may have \
                 done it)",
                err.message()
            );
            err = err.with_message(message);
        }
        let err = err
            .with_attempts(sent)
            .with_vendor(self.vendor())
            .with_operation(operation);
        self.inner.scrubber.scrub_error(err)
    }
}

/// A duration as people read it: "900 ms", "45 s", "15 min", "2 h".
fn humanize(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs == 0 {
        format!("{} ms", duration.as_millis())
    } else if secs < 120 {
        format!("{secs} s")
    } else if secs < 2 * 3600 {
        format!("{} min", secs / 60)
    } else {
        format!("{} h", secs / 3600)
    }
}
