//! The client: builds `DELETE …/v1/users/{id}` requests and sends them through the transport.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use idp_core::reqwest::header::{ACCEPT, CONTENT_TYPE};
use idp_core::transport::{check_id, encode_path_segment, join_path};
use idp_core::url::Url;
use idp_core::{Error, Receipt, Transport, TransportOptions, UserDeleter};

use crate::VENDOR;
use crate::config::Config;
use crate::error::{classify_delete, request_id};
use crate::token::TokenCache;

/// The longest user id accepted. RSA's ids are UUIDs (36 characters); the API does not say
/// they always are, so anything up to this length is sent, percent-encoded.
pub const MAX_USER_ID_CHARS: usize = 256;

const PRODUCT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// A client of RSA SecurID Cloud Access Service's Cloud Administration REST API.
///
/// Cheap to clone: clones share the connection pool, the back-off gate and the cached JWT.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Transport,
    /// `{base}/v1/users`, whichever form the base URL has.
    users: Url,
    tokens: TokenCache,
}

impl Client {
    /// A client for `config`, sending through a transport made with `options`. Fails with
    /// [`ErrorKind::Config`](idp_core::ErrorKind::Config) when the base URL is unusable (not
    /// a URL, or plain `http://` to a non-loopback host without
    /// [`TransportOptions::allow_insecure_http`]).
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        let transport = Transport::new(VENDOR, PRODUCT, options)?;
        let base = transport.base_url(config.base_url())?;
        let users = users_url(&base);
        let tokens = TokenCache::new(config.key_file());
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                transport,
                users,
                tokens,
            }),
        })
    }

    /// A client configured from the environment ([`Config::from_env`]) with default transport
    /// options.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?, TransportOptions::default())
    }

    /// The configuration this client was made with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The URL [`Client::delete_user`] sends to for `user_id`, after checking the id: the id
    /// is percent-encoded as one path segment, so `/`, `?`, `#` or `%` in it cannot change
    /// the path.
    pub fn user_url(&self, user_id: &str) -> Result<Url, Error> {
        self.validate_user_id(user_id)?;
        Ok(join_path(
            &self.inner.users,
            &[&encode_path_segment(user_id)],
        ))
    }

    /// Checks `user_id` as [`Client::delete_user`] would, without sending anything: not
    /// empty, at most [`MAX_USER_ID_CHARS`] characters, no control characters, not `.` or
    /// `..`.
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        check_id(VENDOR, "user_id", user_id, MAX_USER_ID_CHARS)
    }

    /// Deletes one user now (`DELETE {adminRestApiUrl}/v1/users/{user_id}`). This cannot be
    /// undone. Only a **disabled** user can be deleted: an enabled one is an
    /// [`ErrorKind::Conflict`](idp_core::ErrorKind::Conflict) error carrying RSA's reason.
    ///
    /// Strict: a user that does not exist is an
    /// [`ErrorKind::NotFound`](idp_core::ErrorKind::NotFound) error (see
    /// [`DeleteOutcome::from_result`](idp_core::DeleteOutcome::from_result) for idempotent
    /// use). Rate limits and server errors are retried as the transport options allow; each
    /// attempt carries the current JWT, renewed if it is near its expiry.
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let url = self.user_url(user_id)?;
        let inner = &*self.inner;
        // Which attempt the answer being parsed belongs to (the closures share it).
        let current_attempt = AtomicU32::new(0);
        let sent = inner
            .transport
            .send(
                "delete_user",
                |attempt| {
                    current_attempt.store(attempt, Ordering::Relaxed);
                    let request =
                        inner
                            .tokens
                            .bearer(inner.transport.clock().wall())
                            .map(|token| {
                                inner
                                    .transport
                                    .http()
                                    .delete(url.clone())
                                    .bearer_auth(token.expose())
                                    .header(ACCEPT, "application/json")
                                    // RSA's request example sends it, body or not.
                                    .header(CONTENT_TYPE, "application/json")
                            });
                    async move { request }
                },
                |response| {
                    let retried = current_attempt.load(Ordering::Relaxed) > 1;
                    classify_delete(response, user_id, retried).map(|()| request_id(response))
                },
            )
            .await?;
        Ok(Receipt::new(sent.attempts, sent.value))
    }
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        Client::validate_user_id(self, user_id)
    }

    fn delete_user(
        &self,
        user_id: &str,
    ) -> impl std::future::Future<Output = Result<Receipt, Error>> + Send {
        Client::delete_user(self, user_id)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &VENDOR)
            .field("users_url", &self.inner.users.as_str())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// `{base}/v1/users` whether `base` ends in `/AdminInterface/restapi` or in
/// `/AdminInterface/restapi/v1` (RSA's docs show both forms of `adminRestApiUrl`).
fn users_url(base: &Url) -> Url {
    let ends_in_v1 = base
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .is_some_and(|last| last.eq_ignore_ascii_case("v1"));
    if ends_in_v1 {
        join_path(base, &["users"])
    } else {
        join_path(base, &["v1", "users"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(raw: &str) -> String {
        let base = idp_core::transport::parse_base_url(VENDOR, raw, false)
            .unwrap_or_else(|e| panic!("{e}"));
        users_url(&base).to_string()
    }

    #[test]
    fn both_forms_of_admin_rest_api_url_give_the_same_path() {
        let want = "https://x.access.securid.com/AdminInterface/restapi/v1/users";
        for raw in [
            "https://x.access.securid.com/AdminInterface/restapi",
            "https://x.access.securid.com/AdminInterface/restapi/",
            "https://x.access.securid.com/AdminInterface/restapi/v1",
            "https://x.access.securid.com/AdminInterface/restapi/v1/",
            "https://x.access.securid.com/AdminInterface/restapi/V1",
        ] {
            assert_eq!(users(raw).to_lowercase(), want.to_lowercase(), "{raw}");
        }
        assert_eq!(users("https://h"), "https://h/v1/users");
        assert_eq!(users("https://h/v10"), "https://h/v10/v1/users");
    }
}
