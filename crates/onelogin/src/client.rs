//! The OneLogin client: deletes users through API v1 or v2 with a shared access token.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use idp_core::reqwest::header::AUTHORIZATION;
use idp_core::transport::{join_path, parse_positive_id};
use idp_core::url::Url;
use idp_core::{Error, ErrorKind, Receipt, Response, Transport, TransportOptions, UserDeleter};

use crate::VENDOR;
use crate::config::{ApiVersion, Config};
use crate::error::{check_delete, request_id};
use crate::rate_limit::RateLimit;
use crate::token::{AccessToken, TokenCache};

/// A OneLogin client. Cheap to clone: clones share the HTTP connections, the back-off gate and
/// the access token, so a bulk run of thousands of deletes makes one token request.
///
/// `Debug` prints the base URL, the API version and the client id, never a secret or token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    base: Url,
    api_version: ApiVersion,
    client_id: String,
    tokens: TokenCache,
    rate_limit: Mutex<Option<RateLimit>>,
}

/// How one send of a delete ended, short of a final error.
enum Answer {
    /// Deleted; the request id, if any.
    Deleted(Option<String>),
    /// 401 "Authentication Failure": the token was refused. The caller decides whether to
    /// renew it and send again.
    TokenRejected(Error),
}

impl Client {
    /// A client for `config`, sending through a transport built from `options`.
    ///
    /// Fails with [`ErrorKind::Config`] when the base URL is not usable (not a URL, plain
    /// `http://` to a non-loopback host, or a path such as `/api/1` instead of the bare API
    /// domain) or a credential is empty. Nothing is sent until the first delete.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        let transport = Transport::new(
            VENDOR,
            concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
            options,
        )?;
        let base = api_domain(&transport, config.base_url())?;
        if config.client_id().trim().is_empty() {
            return Err(Error::config(VENDOR, "the client id is empty"));
        }
        if config.client_secret().expose().trim().is_empty() {
            return Err(Error::config(VENDOR, "the client secret is empty"));
        }
        let token_url = join_path(&base, &["auth", "oauth2", "v2", "token"]);
        let tokens = TokenCache::new(
            transport.clone(),
            token_url,
            config.client_id().to_owned(),
            config.client_secret().clone(),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                api_version: config.api_version(),
                client_id: config.client_id().to_owned(),
                tokens,
                rate_limit: Mutex::new(None),
            }),
        })
    }

    /// A client from the environment ([`Config::from_env`]) with default transport options.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?, TransportOptions::default())
    }

    /// The users API version this client deletes through.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.api_version
    }

    /// The `X-RateLimit-*` values of the last delete answer that carried them.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        *self
            .inner
            .rate_limit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks `user_id` as [`Client::delete_user`] would, without sending anything: OneLogin
    /// user ids are positive integers.
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        parse_positive_id(VENDOR, "user_id", user_id).map(|_| ())
    }

    /// Deletes the user with this id (`DELETE /api/1/users/{id}`, or `/api/2/…`).
    ///
    /// Strict: a user that does not exist is an [`ErrorKind::NotFound`] error. An id that is
    /// not a positive integer is [`ErrorKind::InvalidInput`], and nothing is sent.
    ///
    /// If OneLogin refuses the access token (401 "Authentication Failure"), the token is
    /// renewed once and the delete sent again with the new one. The receipt's (or error's)
    /// attempt count covers every delete request sent, both sends included; token requests
    /// are not counted.
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let inner = &*self.inner;
        let id = parse_positive_id(VENDOR, "user_id", user_id)?;
        let id = id.to_string();
        let url = join_path(
            &inner.base,
            &["api", inner.api_version.as_str(), "users", &id],
        );
        let mut attempts = 0u32;
        let mut renewed = false;
        loop {
            // The token the latest attempt carried, to forget exactly that one if refused.
            let used: Mutex<Option<Arc<AccessToken>>> = Mutex::new(None);
            let result = inner
                .transport
                .send(
                    "delete_user",
                    |_attempt| {
                        let url = url.clone();
                        let used = &used;
                        async move {
                            let token = inner.tokens.get().await?;
                            let authorization = token.authorization()?;
                            *used.lock().unwrap_or_else(PoisonError::into_inner) = Some(token);
                            Ok(inner
                                .transport
                                .http()
                                .delete(url)
                                .header(AUTHORIZATION, authorization))
                        }
                    },
                    |response| inner.read_delete(response),
                )
                .await;
            let sent = match result {
                Ok(sent) => sent,
                Err(err) => {
                    let total = attempts + err.attempts();
                    return Err(err.with_attempts(total));
                }
            };
            attempts += sent.attempts;
            let refused = match sent.value {
                Answer::Deleted(request_id) => return Ok(Receipt::new(attempts, request_id)),
                Answer::TokenRejected(err) => err,
            };
            let token = used.lock().unwrap_or_else(PoisonError::into_inner).take();
            match token {
                Some(token) if !renewed => {
                    renewed = true;
                    inner.tokens.invalidate(&token).await;
                }
                _ => return Err(refused.with_attempts(attempts)),
            }
        }
    }
}

impl Inner {
    fn read_delete(&self, response: &Response) -> Result<Answer, Error> {
        let wall = self.transport.clock().wall();
        if let Some(limit) = RateLimit::from_response(response, wall) {
            *self
                .rate_limit
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(limit);
        }
        match check_delete(response, self.api_version, wall) {
            Ok(()) => Ok(Answer::Deleted(request_id(response))),
            Err(err) if err.kind() == ErrorKind::Unauthenticated => Ok(Answer::TokenRejected(err)),
            Err(err) => Err(err),
        }
    }
}

/// Parses the API domain, refusing what is clearly not one.
fn api_domain(transport: &Transport, raw: &str) -> Result<Url, Error> {
    let raw = raw.trim();
    if !raw.contains("://") {
        return Err(Error::config(
            VENDOR,
            format!(
                "base URL {:?} has no scheme: use https://<subdomain>.onelogin.com",
                idp_core::transport::truncate_for_message(raw)
            ),
        ));
    }
    let url = transport.base_url(raw)?;
    let path = url.path().to_ascii_lowercase();
    if ["/api", "/api/1", "/api/2", "/auth"]
        .iter()
        .any(|tail| path.ends_with(tail))
        || path.contains("/auth/oauth2")
    {
        return Err(Error::config(
            VENDOR,
            format!(
                "base URL {raw:?} must be the API domain only (such as \
                 https://<subdomain>.onelogin.com), without /api or /auth paths"
            ),
        ));
    }
    Ok(url)
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &VENDOR)
            .field("base_url", &self.inner.base.as_str())
            .field("api_version", &self.inner.api_version)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        Client::validate_user_id(self, user_id)
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }
}
