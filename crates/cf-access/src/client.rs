//! The client: one `DELETE /accounts/{account_id}/access/users/{user_id}` per user.

use std::fmt;
use std::sync::Arc;

use idp_core::reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use idp_core::transport::{check_id, encode_path_segment, join_path};
use idp_core::url::Url;
use idp_core::{Error, Receipt, Transport, TransportOptions, UserDeleter};

use crate::VENDOR;
use crate::config::{Auth, Config};
use crate::envelope::Envelope;
use crate::error::{parse_answer, request_id};

/// The longest user id Cloudflare documents (a UUID, `maxLength 36`).
pub const MAX_USER_ID_CHARS: usize = 36;

/// A Cloudflare Zero Trust Access client for one account.
///
/// Cheap to clone: clones share the connection pool and the rate-limit back-off gate, so
/// concurrent deletes from clones wait out a 429 together. Its `Debug` never prints a
/// credential.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    /// `{base_url}/accounts/{account_id}/access/users`, the account id already encoded.
    users_url: Url,
    base_url: Url,
    account_id: String,
    auth: Auth,
}

/// A successful delete with everything Cloudflare said about it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Deletion {
    /// How many requests it took, and the `cf-ray` of the successful answer.
    pub receipt: Receipt,
    /// The answer's envelope (its `messages[]` and `result`).
    pub envelope: Envelope,
}

impl Client {
    /// A client for `config`, sending through a transport built with `options`.
    ///
    /// Checks the configuration first ([`Config::validate`]) and the base URL (`https://`,
    /// or `http://` to loopback unless `options` allow more); all of these are
    /// [`ErrorKind::Config`](idp_core::ErrorKind::Config) errors, raised before any request.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        config.validate()?;
        let transport = Transport::new(
            VENDOR,
            concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
            options,
        )?;
        let base_url = transport.base_url(config.base_url())?;
        let users_url = join_path(
            &base_url,
            &[
                "accounts",
                &encode_path_segment(config.account_id()),
                "access",
                "users",
            ],
        );
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                users_url,
                base_url,
                account_id: config.account_id().to_owned(),
                auth: config.auth().clone(),
            }),
        })
    }

    /// A client configured from the environment ([`Config::from_env`]) with default
    /// transport options.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?, TransportOptions::default())
    }

    /// The account this client deletes users in.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }

    /// The checked base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The transport (its options, clock and back-off gate).
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// Checks a user id the way [`Client::delete_user`] does, without sending anything: not
    /// empty, at most 36 characters, no control characters, not `.` or `..`. Any other
    /// character is allowed: it is percent-encoded into one path segment.
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        check_id(VENDOR, "user_id", user_id, MAX_USER_ID_CHARS)
    }

    /// The URL a delete of `user_id` goes to (after [`Client::validate_user_id`]).
    pub fn user_url(&self, user_id: &str) -> Result<Url, Error> {
        self.validate_user_id(user_id)?;
        Ok(join_path(
            &self.inner.users_url,
            &[&encode_path_segment(user_id)],
        ))
    }

    /// Deletes a user (Cloudflare also revokes the user's active seats and tokens).
    ///
    /// Strict: a user Cloudflare does not know is an
    /// [`ErrorKind::NotFound`](idp_core::ErrorKind::NotFound) error. Rate limits (429) are
    /// waited out as `Retry-After` says, up to the transport's ceiling (330 s by default,
    /// enough for Cloudflare's five-minute block); 5xx answers and broken connections are
    /// retried. The receipt's request id is the answer's `cf-ray`.
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Ok(self.delete_user_with_envelope(user_id).await?.receipt)
    }

    /// [`Client::delete_user`], also returning the answer's envelope.
    pub async fn delete_user_with_envelope(&self, user_id: &str) -> Result<Deletion, Error> {
        let url = self.user_url(user_id)?;
        let transport = &self.inner.transport;
        let sent = transport
            .send(
                "delete_user",
                |_attempt| {
                    let request = self.authorize(
                        transport
                            .http()
                            .delete(url.clone())
                            .header(ACCEPT, HeaderValue::from_static("application/json")),
                    );
                    async move { request }
                },
                |response| {
                    let envelope = parse_answer(response)?;
                    Ok((envelope, request_id(response)))
                },
            )
            .await?;
        let (envelope, ray) = sent.value;
        Ok(Deletion {
            receipt: Receipt::new(sent.attempts, ray),
            envelope,
        })
    }

    /// Adds the credentials, marked sensitive so HTTP-level logging hides them.
    fn authorize(
        &self,
        request: idp_core::reqwest::RequestBuilder,
    ) -> Result<idp_core::reqwest::RequestBuilder, Error> {
        let header = |value: String| {
            let mut value = HeaderValue::try_from(value).map_err(|_| {
                Error::config(VENDOR, "a credential cannot be sent as an HTTP header")
            })?;
            value.set_sensitive(true);
            Ok::<_, Error>(value)
        };
        Ok(match &self.inner.auth {
            Auth::ApiToken(token) => {
                request.header(AUTHORIZATION, header(format!("Bearer {}", token.expose()))?)
            }
            Auth::Global { email, key } => request
                .header("X-Auth-Email", header(email.clone())?)
                .header("X-Auth-Key", header(key.expose().to_owned())?),
        })
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

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &VENDOR)
            .field("base_url", &self.inner.base_url.as_str())
            .field("account_id", &self.inner.account_id)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}
