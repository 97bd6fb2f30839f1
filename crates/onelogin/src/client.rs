//! The OneLogin client: its construction, the delete, and the access check.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use idp_core::transport::{join_path, parse_base_url, parse_positive_id};
use idp_core::url::Url;
use idp_core::{Error, Receipt, Transport, TransportOptions, UserDeleter};

use crate::VENDOR;
use crate::config::{ApiVersion, Config, ENV_BASE_URL};
use crate::error::{OneLoginApi, op};
use crate::rate_limit::RateLimit;
use crate::success;
use crate::token::ClientCredentials;

/// A OneLogin client. Cheap to clone: clones share the HTTP connections, the back-off gate,
/// the pacer and the access token, so a bulk run of thousands of calls makes one token
/// request.
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
    credentials: ClientCredentials,
    last_rate: Arc<Mutex<Option<RateLimit>>>,
}

impl Client {
    /// A client for `config`, sending through a transport built from `options`.
    ///
    /// Fails with [`ErrorKind::Config`](idp_core::ErrorKind::Config) when the base URL is not
    /// usable (not a URL, plain `http://` to a non-loopback host, or a path such as `/api/1`
    /// instead of the bare API domain) or a credential is empty. Nothing is sent until the
    /// first call. The client secret and its Basic-pair forms are registered with the
    /// transport's scrubber, so no error ever prints them.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        let stamp = |e: Error| e.with_vendor(VENDOR);
        let base = api_domain(config.base_url(), options.allow_insecure_http).map_err(stamp)?;
        if config.client_id().trim().is_empty() {
            return Err(stamp(Error::config("the client id is empty")));
        }
        if config.client_secret().is_blank() {
            return Err(stamp(Error::config("the client secret is empty")));
        }
        let client_id = config.client_id().trim().to_owned();
        let credentials = ClientCredentials::new(
            join_path(&base, &["auth", "oauth2", "v2", "token"]),
            client_id.clone(),
            config.client_secret().clone(),
        );
        let last_rate = Arc::new(Mutex::new(None));
        let api = OneLoginApi::new(
            config.api_version(),
            Arc::clone(&options.clock),
            Arc::clone(&last_rate),
        );
        let transport = Transport::with_token_source(api, options, credentials.clone())?;
        transport
            .scrubber()
            .add_basic_pair(&client_id, config.client_secret());
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                api_version: config.api_version(),
                client_id,
                credentials,
                last_rate,
            }),
        })
    }

    /// A client from the environment ([`Config::from_env`]) with default transport options.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?, TransportOptions::default())
    }

    /// The users API version this client goes through.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.api_version
    }

    /// The `X-RateLimit-*` values of the latest answer that carried them.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        *self
            .inner
            .last_rate
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks `user_id` as [`Client::delete_user`] would, without sending anything: OneLogin
    /// user ids are positive integers.
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        user_id_of(user_id).map(|_| ())
    }

    /// Deletes the user with this id (`DELETE /api/1/users/{id}`, or `/api/2/…`).
    ///
    /// Strict: a user that does not exist is an
    /// [`ErrorKind::NotFound`](idp_core::ErrorKind::NotFound) error, and only OneLogin's own
    /// not-found answer says so. Deleted means v1's `200` with `"error": false`, or v2's
    /// `204`; any other 2xx is a [`ErrorKind::Protocol`](idp_core::ErrorKind::Protocol) error.
    /// An id that is not a positive integer is
    /// [`ErrorKind::InvalidInput`](idp_core::ErrorKind::InvalidInput), and nothing is sent.
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let id = user_id_of(user_id)?;
        let url = self.user_url(self.inner.api_version, id, &[]);
        let version = self.inner.api_version;
        let sent = self
            .transport()
            .send(
                op::DELETE,
                |_attempt| Ok(self.transport().http().delete(url.clone())),
                |response| success::deleted(version, response, self.transport().api()),
            )
            .await?;
        Ok(sent.receipt())
    }

    /// Proves the configuration works: one token request (read-only), without caching its
    /// token. A refused id or secret is
    /// [`ErrorKind::Unauthenticated`](idp_core::ErrorKind::Unauthenticated).
    pub async fn check_access(&self) -> Result<(), Error> {
        self.inner
            .credentials
            .request(self.transport())
            .await
            .map(drop)
    }

    /// The client's transport (its pacer, back-off gate and options).
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// `{base}/api/{version}/users/{id}/{tail…}`.
    pub(crate) fn user_url(&self, version: ApiVersion, id: u64, tail: &[&str]) -> Url {
        let id = id.to_string();
        let mut segments = vec!["api", version.as_str(), "users", id.as_str()];
        segments.extend_from_slice(tail);
        join_path(&self.inner.base, &segments)
    }

    /// `{base}/api/{version}/users`.
    pub(crate) fn users_url(&self) -> Url {
        join_path(
            &self.inner.base,
            &["api", self.inner.api_version.as_str(), "users"],
        )
    }
}

/// A user id as OneLogin documents it: a positive integer.
pub(crate) fn user_id_of(user_id: &str) -> Result<u64, Error> {
    parse_positive_id("user_id", user_id).map_err(|e| e.with_vendor(VENDOR))
}

/// Parses the API domain, refusing what is clearly not one. The value is never quoted: a
/// secret pasted into the wrong variable must not be printed.
fn api_domain(raw: &str, allow_insecure_http: bool) -> Result<Url, Error> {
    let raw = raw.trim();
    if !raw.contains("://") {
        return Err(Error::config(format!(
            "{ENV_BASE_URL} has no scheme: use https://<subdomain>.onelogin.com"
        )));
    }
    let url = parse_base_url(raw, allow_insecure_http).map_err(|e| {
        let message = format!("{ENV_BASE_URL}: {}", e.message());
        e.with_message(message)
    })?;
    let path = url.path().to_ascii_lowercase();
    if ["/api", "/api/1", "/api/2", "/auth"]
        .iter()
        .any(|tail| path.ends_with(tail))
        || path.contains("/auth/oauth2")
    {
        return Err(Error::config(format!(
            "{ENV_BASE_URL} must be the API domain only (such as \
             https://<subdomain>.onelogin.com), without /api or /auth paths"
        )));
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

    async fn check_access(&self) -> Result<(), Error> {
        Client::check_access(self).await
    }

    fn transport(&self) -> &Transport {
        Client::transport(self)
    }
}
