//! One auth layer for every vendor that uses tokens: a vendor says how to get a token and how
//! to put it on a request ([`TokenSource`]); fetching, caching, renewing and invalidating it
//! happen here, once.
//!
//! - **Single flight**: whoever finds no usable token fetches one while holding the cache
//!   lock; requests that need a token meanwhile wait for that fetch instead of starting their
//!   own (a hundred concurrent deletes make one login, and with a password they do not
//!   invalidate each other's tokens). Callers that waited for a fetch that failed get its
//!   error instead of trying again themselves.
//! - **A refused credential is remembered** for [`REJECTION_MEMORY`]: a bulk run with a wrong
//!   secret makes one token request, not one per user (and does not lock the account).
//! - **Exact invalidation**: a request refused with 401 invalidates the very token it carried;
//!   if another request already renewed it, the new one is kept, so many concurrent 401s lead
//!   to one renewal. The transport resends that request once with the new token. When a token
//!   obtained by such a renewal is refused again, the credential itself is bad: no further
//!   renewal happens for the rest of the run.
//! - **Renewal** a margin before expiry, on the transport's clock; lifetimes below
//!   [`MIN_LIFETIME`] are read as that (a vendor answering `expires_in: 0` would otherwise
//!   cost a token request per delete; a 401 still renews it early).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tokio::sync::Mutex;

use crate::error::{Error, ErrorKind};
use crate::secret::Secret;
use crate::transport::Transport;

/// How long a refused credential is remembered before it is tried again.
pub const REJECTION_MEMORY: Duration = Duration::from_secs(60);

/// The shortest token lifetime believed.
pub const MIN_LIFETIME: Duration = Duration::from_secs(60);

/// The longest margin before expiry at which a token is renewed (a tenth of the lifetime when
/// that is shorter).
const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(60);

/// A token a [`TokenSource`] produced.
pub struct Token {
    value: Secret,
    lifetime: Option<Duration>,
    renew_before: Option<Duration>,
}

impl Token {
    /// A token valid for `lifetime` from when it was requested.
    pub fn new(value: Secret, lifetime: Duration) -> Self {
        Token {
            value,
            lifetime: Some(lifetime),
            renew_before: None,
        }
    }

    /// A token that does not expire by itself (one the caller supplied).
    pub fn fixed(value: Secret) -> Self {
        Token {
            value,
            lifetime: None,
            renew_before: None,
        }
    }

    /// Renews the token this long before it expires (default: a minute, or a tenth of the
    /// lifetime when shorter).
    pub fn renew_before(mut self, margin: Duration) -> Self {
        self.renew_before = Some(margin);
        self
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// How one vendor gets a token and puts it on a request: OneLogin's OAuth client
/// credentials, the Control Room login, RSA's self-signed JWT.
pub trait TokenSource: Send + Sync + 'static {
    /// Obtains a new token. A source that asks the network sends through `transport` with
    /// [`Transport::send_anonymous`] (so retries, the gate and pacing apply); a refused
    /// credential must be an [`ErrorKind::Unauthenticated`] error.
    fn fetch<'a>(&'a self, transport: &'a Transport) -> BoxFuture<'a, Result<Token, Error>>;

    /// Puts `token` on `request` (the header value marked sensitive, see
    /// [`sensitive_header`](crate::transport::sensitive_header)).
    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        token: &Secret,
    ) -> Result<reqwest::RequestBuilder, Error>;

    /// Whether a refused token can be replaced by fetching another (`false` for a token the
    /// caller supplied).
    fn renewable(&self) -> bool {
        true
    }
}

/// The token one request carried, to invalidate exactly that one if it is refused.
#[derive(Clone)]
pub struct Lease {
    token: Arc<Secret>,
}

impl Lease {
    /// The token.
    pub fn secret(&self) -> &Secret {
        &self.token
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lease([REDACTED])")
    }
}

struct Held {
    token: Arc<Secret>,
    renew_at: Option<Instant>,
    /// Fetched because the previous token was refused: if this one is refused too, the
    /// credential is bad.
    after_refusal: bool,
}

#[derive(Default)]
struct State {
    current: Option<Held>,
    /// The error of the latest fetch, when it failed.
    last_failure: Option<Error>,
    /// A refused credential, remembered until the instant.
    rejected: Option<(Instant, Error)>,
    /// Set after a renewed token was refused too: every later request fails with this.
    refused_for_good: Option<Error>,
    /// The next fetch replaces a refused token.
    renewing: bool,
}

/// The cached token of one client: see the [module docs](self).
pub(crate) struct CachedToken {
    source: Arc<dyn TokenSource>,
    state: Mutex<State>,
    /// Fetches finished, read before waiting for the lock to tell whether one ended meanwhile.
    fetches: AtomicU64,
}

impl CachedToken {
    pub(crate) fn new(source: Arc<dyn TokenSource>) -> Self {
        CachedToken {
            source,
            state: Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
        }
    }

    pub(crate) fn source(&self) -> &dyn TokenSource {
        self.source.as_ref()
    }

    /// The token to send now, fetching one when there is none or it is due for renewal.
    pub(crate) async fn get(&self, transport: &Transport) -> Result<Lease, Error> {
        let ticket = self.fetches.load(Ordering::Acquire);
        let mut state = self.state.lock().await;
        if let Some(err) = &state.refused_for_good {
            return Err(err.clone().with_attempts(0));
        }
        let clock = transport.clock();
        let now = clock.now();
        if let Some(held) = &state.current
            && held.renew_at.is_none_or(|at| now < at)
        {
            return Ok(Lease {
                token: Arc::clone(&held.token),
            });
        }
        if let Some((until, err)) = &state.rejected
            && now < *until
        {
            let message = format!("{} (remembered; no new token request sent)", err.message());
            return Err(err.clone().with_message(message).with_attempts(0));
        }
        if self.fetches.load(Ordering::Acquire) != ticket
            && let Some(err) = &state.last_failure
        {
            // The fetch we waited for failed: share its answer instead of trying again.
            return Err(err.clone().with_attempts(0));
        }
        state.current = None;
        let requested_at = now;
        let result = self.source.fetch(transport).await;
        self.fetches.fetch_add(1, Ordering::AcqRel);
        let token = match result {
            Ok(token) => token,
            Err(err) => {
                if err.kind() == ErrorKind::Unauthenticated {
                    state.rejected = Some((clock.now() + REJECTION_MEMORY, err.clone()));
                }
                state.last_failure = Some(err.clone());
                return Err(err);
            }
        };
        transport.scrubber().add(&token.value);
        let renew_at = token.lifetime.map(|lifetime| {
            let lifetime = lifetime.max(MIN_LIFETIME);
            let margin = token
                .renew_before
                .unwrap_or(DEFAULT_RENEW_BEFORE.min(lifetime / 10))
                .min(lifetime / 2);
            requested_at + (lifetime - margin)
        });
        let held = Held {
            token: Arc::new(token.value),
            renew_at,
            after_refusal: std::mem::take(&mut state.renewing),
        };
        let lease = Lease {
            token: Arc::clone(&held.token),
        };
        state.current = Some(held);
        state.last_failure = None;
        state.rejected = None;
        tracing::debug!(vendor = transport.vendor(), "obtained a token");
        Ok(lease)
    }

    /// Forgets `lease` after the vendor refused it with `refusal`, if it is still the cached
    /// token. `None`: resend with a new token. `Some(err)`: the final error, because the
    /// refused token was itself a renewal (the credential is bad; no further renewal in this
    /// run) or renewals ended earlier.
    pub(crate) async fn invalidate(&self, lease: &Lease, refusal: &Error) -> Option<Error> {
        let mut state = self.state.lock().await;
        if let Some(err) = &state.refused_for_good {
            return Some(refusal.clone().with_message(err.message().to_owned()));
        }
        let Some(held) = &state.current else {
            return None;
        };
        if !Arc::ptr_eq(&held.token, &lease.token) {
            // Someone renewed it already: resend with theirs.
            return None;
        }
        if held.after_refusal {
            let message = format!(
                "{} (a renewed token was refused too: the credential is not accepted; no \
                 further renewal in this run)",
                refusal.message()
            );
            let err = refusal.clone().with_message(message);
            state.refused_for_good = Some(err.clone());
            state.current = None;
            return Some(err);
        }
        state.current = None;
        state.renewing = true;
        None
    }

    /// Takes the cached token out (to log it out at the end of a run).
    pub(crate) async fn take(&self) -> Option<Secret> {
        let held = self.state.lock().await.current.take()?;
        Some(Arc::unwrap_or_clone(held.token))
    }
}
