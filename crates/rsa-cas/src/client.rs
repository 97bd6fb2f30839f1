//! The client: every call RSA's Cloud Administration API gets from this crate, sent through
//! the transport with the JWT.

use std::fmt;
use std::sync::Arc;

use idp_core::reqwest::header::{ACCEPT, CONTENT_TYPE};
use idp_core::transport::check_id;
use idp_core::url::Url;
use idp_core::{
    Account, Error, ErrorKind, Receipt, Transport, TransportOptions, UserDeleter, UserQuery,
};

use crate::VENDOR;
use crate::answer;
use crate::config::Config;
use crate::error::RsaCasApi;
use crate::jwt::JwtSource;
use crate::lookup;
use crate::urls::Urls;

/// The longest user id accepted. RSA's ids are UUIDs in every example (36 characters); the
/// API does not say they always are, so anything up to this length that
/// [`check_id`] accepts is sent, percent-encoded.
pub const MAX_USER_ID_CHARS: usize = 256;

/// The address [`UserDeleter::check_access`] looks up: `.invalid` is reserved (RFC 2606), so
/// no user has it and RSA answers its own "not found".
const ACCESS_CHECK_EMAIL: &str = "idp-access-check@example.invalid";

/// A client of RSA SecurID Cloud Access Service's Cloud Administration REST API.
///
/// Cheap to clone: clones share the connection pool, the back-off gate, the retry budget and
/// the cached JWT.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Transport,
    urls: Urls,
}

/// What a lookup found, and what it took.
pub(crate) struct Looked {
    /// The user, or `None` when RSA says there is none.
    pub(crate) account: Option<Account>,
    pub(crate) attempts: u32,
    pub(crate) request_id: Option<String>,
}

impl Client {
    /// A client for `config`, sending through a transport made with `options`. Fails with
    /// [`ErrorKind::Config`] when the base URL is unusable (not a URL, holding key material,
    /// or plain `http://` to a non-loopback host without
    /// [`TransportOptions::allow_insecure_http`]).
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        Client::build(config, options).map_err(|e| e.with_vendor(VENDOR))
    }

    fn build(config: Config, options: TransportOptions) -> Result<Client, Error> {
        let source = JwtSource::new(config.key_file());
        let transport = Transport::with_token_source(RsaCasApi, options, source)?;
        transport.scrubber().add(config.key_file().access_key());

        let origin = config.base_url_origin();
        if config.key_file().holds_key_material(config.base_url()) {
            return Err(Error::config(format!(
                "{origin} holds key material (a PEM or a part of the private key), not a URL \
                 (the value is not shown)"
            )));
        }
        let base = transport
            .base_url(config.base_url())
            .map_err(|e| Error::config(format!("{origin}: {}", e.message())))?;
        Ok(Client {
            inner: Arc::new(Inner {
                urls: Urls::new(&base),
                config,
                transport,
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
    /// is percent-encoded as one path segment, so `/`, `?` or `%` in it cannot change the
    /// path.
    pub fn user_url(&self, user_id: &str) -> Result<Url, Error> {
        self.validate_user_id(user_id)?;
        Ok(self.inner.urls.user(user_id))
    }

    /// Checks `user_id` as [`Client::delete_user`] would, without sending anything: at most
    /// [`MAX_USER_ID_CHARS`] characters and none of what an id never holds but a copied cell
    /// does (whitespace, invisible characters, `,` `;` `"` `#`, an email, a column header,
    /// `.` or `..`; see [`check_id`]).
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        check_id("user_id", user_id, MAX_USER_ID_CHARS).map_err(|e| e.with_vendor(VENDOR))
    }

    /// Deletes one user now (`DELETE {adminRestApiUrl}/v1/users/{user_id}`). This cannot be
    /// undone. Only a **disabled** user can be deleted: an enabled one is an
    /// [`ErrorKind::Conflict`] error carrying RSA's reason (the offboarding steps of
    /// [`Offboarder`](idp_core::Offboarder) disable first).
    ///
    /// Strict: a user that RSA says does not exist is an [`ErrorKind::NotFound`] error (see
    /// [`DeleteOutcome::from_result`](idp_core::DeleteOutcome::from_result) for idempotent
    /// use); any other 404 is [`ErrorKind::Protocol`]; only RSA's documented success answer is
    /// a delete. Rate limits and server errors are retried as the transport options allow.
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let url = self.user_url(user_id)?;
        let transport = &self.inner.transport;
        let sent = transport
            .send(
                "delete_user",
                |_| {
                    Ok(transport
                        .http()
                        .delete(url.clone())
                        .header(ACCEPT, "application/json")
                        // RSA's request example sends it, body or not.
                        .header(CONTENT_TYPE, "application/json"))
                },
                answer::deleted,
            )
            .await?;
        Ok(sent.receipt())
    }

    /// The accounts matching `query`: RSA's User Details lookup
    /// (`POST …/v1/users/lookup` with `searchUnsynched: false`) answers one user or its
    /// "not found"; the user is returned only when its `emailAddress` (for an email) or
    /// `principalUsername` (for a username) equals the query, ASCII case ignored. The lookup
    /// answers one user at a time, so duplicates cannot be seen (see the crate docs).
    pub async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        let looked = self.lookup(query, "lookup_user").await?;
        match looked.account {
            Some(account) if lookup::matches(query, &account).map_err(stamp)? => Ok(vec![account]),
            _ => Ok(Vec::new()),
        }
    }

    /// One lookup; RSA's own "not found" is `None`.
    pub(crate) async fn lookup(
        &self,
        query: &UserQuery,
        operation: &'static str,
    ) -> Result<Looked, Error> {
        let url = self.inner.urls.lookup();
        let body = lookup::request_body(query);
        let transport = &self.inner.transport;
        let result = transport
            .send(
                operation,
                |_| {
                    Ok(transport
                        .http()
                        .post(url.clone())
                        .header(ACCEPT, "application/json")
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.clone()))
                },
                lookup::record,
            )
            .await;
        match result {
            Ok(sent) => Ok(Looked {
                account: Some(sent.value),
                attempts: sent.attempts,
                request_id: sent.request_id,
            }),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(Looked {
                account: None,
                attempts: err.attempts(),
                request_id: err.request_id().map(str::to_owned),
            }),
            Err(err) => Err(err),
        }
    }

    /// `PUT …/users/{id}/userStatus` with exactly `{"userStatus": "Disabled"}` (RSA refuses
    /// extra properties with a 400).
    pub(crate) async fn disable(&self, user_id: &str) -> Result<Receipt, Error> {
        self.validate_user_id(user_id)?;
        let url = self.inner.urls.user_status(user_id);
        let transport = &self.inner.transport;
        let sent = transport
            .send(
                "disable_user",
                |_| {
                    Ok(transport
                        .http()
                        .put(url.clone())
                        .header(ACCEPT, "application/json")
                        .header(CONTENT_TYPE, "application/json")
                        .body(r#"{"userStatus":"Disabled"}"#))
                },
                |response| answer::disabled(response, user_id),
            )
            .await?;
        Ok(sent.receipt())
    }
}

fn stamp(err: Error) -> Error {
    err.with_vendor(VENDOR)
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

    /// Looks up a reserved address that no user has (`…@example.invalid`): RSA's own "not
    /// found" (or a user) proves the key file, the JWT and the base URL work; a refused key is
    /// a 403 ([`ErrorKind::PermissionDenied`]). The lookup needs only the Help Desk
    /// Administrator role, so this does not prove the key may delete (no read-only call can).
    async fn check_access(&self) -> Result<(), Error> {
        let query = UserQuery::email(ACCESS_CHECK_EMAIL).map_err(stamp)?;
        self.lookup(&query, "check_access").await.map(|_| ())
    }

    fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &VENDOR)
            .field("users_url", &self.inner.urls.users().as_str())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
