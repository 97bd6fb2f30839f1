//! The client: the account's Access users API, with the credentials on every request.

use std::fmt;
use std::sync::Arc;

use idp_core::reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use idp_core::reqwest::{Method, RequestBuilder};
use idp_core::transport::{check_uuid, encode_path_segment, join_path, sensitive_header};
use idp_core::url::Url;
use idp_core::{
    Api, Error, ErrorKind, Presence, Receipt, Response, Sent, Transport, TransportOptions,
    UserDeleter, UserQuery,
};

use crate::VENDOR;
use crate::config::{Auth, Config, ENV_BASE_URL};
use crate::envelope::Envelope;
use crate::error::{CfAccessApi, success_envelope};

/// The longest user id Cloudflare documents (a UUID, `maxLength 36`).
pub const MAX_USER_ID_CHARS: usize = 36;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A Cloudflare Zero Trust Access client for one account.
///
/// Cheap to clone: clones share the connection pool, the rate-limit back-off gate and the
/// pacer, so concurrent calls from clones wait out a 429 together and stay inside one budget.
/// Its `Debug` never prints a credential.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    /// `{base_url}/accounts/{account_id}/access/users`, the account id already encoded.
    users_url: Url,
    /// `{base_url}/accounts/{account_id}/access/organizations/revoke_user`.
    revoke_url: Url,
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
    /// The token or global key is registered with the transport's scrubber, so no error
    /// carries it, whatever a server echoes.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        Client::build(config, options).map_err(|e| e.with_vendor(VENDOR))
    }

    fn build(config: Config, options: TransportOptions) -> Result<Client, Error> {
        config.validate()?;
        let secrets = config.auth().secrets();
        let transport = Transport::new(CfAccessApi, options)?;
        for secret in secrets {
            transport.scrubber().add(secret);
        }
        let base_url = transport.base_url(config.base_url()).map_err(|e| {
            let message = format!("{ENV_BASE_URL}: {}", e.message());
            e.with_message(message)
        })?;
        let account = join_path(
            &base_url,
            &[
                "accounts",
                &encode_path_segment(config.account_id()),
                "access",
            ],
        );
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                users_url: join_path(&account, &["users"]),
                revoke_url: join_path(&account, &["organizations", "revoke_user"]),
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

    /// The account this client works in.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }

    /// The checked base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The transport (its options, clock, back-off gate and pacer).
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// Checks a user id the way [`Client::delete_user`] does, without sending anything:
    /// Cloudflare documents user ids as UUIDs, so anything but `8-4-4-4-12` hex digits (a
    /// byte-order mark, a zero-width space, a CSV row, an email, …) is refused as
    /// [`ErrorKind::InvalidInput`](idp_core::ErrorKind::InvalidInput).
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        check_uuid("user_id", user_id).map_err(|e| e.with_vendor(VENDOR))
    }

    /// The URL of `user_id` (after [`Client::validate_user_id`]).
    pub fn user_url(&self, user_id: &str) -> Result<Url, Error> {
        self.validate_user_id(user_id)?;
        Ok(join_path(
            &self.inner.users_url,
            &[&encode_path_segment(user_id)],
        ))
    }

    /// Deletes a user (Cloudflare also revokes the user's active seats and tokens).
    ///
    /// Strict: a user Cloudflare says it does not know is an
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
        let sent = self
            .call("delete_user", Method::DELETE, &url, None, success_envelope)
            .await?;
        Ok(Deletion {
            receipt: sent.receipt(),
            envelope: sent.value,
        })
    }

    /// Revokes the sessions of the user with this email across every Access application,
    /// and its devices' sessions: `POST …/access/organizations/revoke_user` with exactly
    /// `{"email": E, "devices": true}`. Done only when Cloudflare answers `result: true`;
    /// `result: false` (not revoked) is an error. Revoking again does no harm.
    ///
    /// Cloudflare's own caveat: revoked users can still sign in again if the identity
    /// provider and the Access policies let them.
    pub async fn revoke_sessions(&self, email: &str) -> Result<Receipt, Error> {
        let email = UserQuery::email(email).map_err(|e| e.with_vendor(VENDOR))?;
        let body = serde_json::json!({"email": email.value(), "devices": true});
        let body = serde_json::to_vec(&body)
            .map_err(|e| Error::invalid_input("could not encode the request").with_source(e))?;
        let url = self.inner.revoke_url.clone();
        let sent = self
            .call("revoke_sessions", Method::POST, &url, Some(body), revoked)
            .await?;
        Ok(sent.receipt())
    }

    /// Whether `user_id` is still there: `GET …/access/users/{id}`. Only Cloudflare's own
    /// "user not found" answer is [`Presence::Gone`]; a user record is
    /// [`Presence::Present`]; anything else is an error (not verified).
    pub async fn user_presence(&self, user_id: &str) -> Result<Presence, Error> {
        Ok(self.presence(user_id).await?.0)
    }

    /// [`Client::user_presence`] with the receipt of the answer that decided it.
    pub(crate) async fn presence(&self, user_id: &str) -> Result<(Presence, Receipt), Error> {
        let url = self.user_url(user_id)?;
        Presence::from_read(
            self.call("get_user", Method::GET, &url, None, success_envelope)
                .await,
        )
    }

    /// The users listing (`…/access/users`) with `query` pairs appended.
    pub(crate) fn users_query(&self, query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.users_url.clone();
        url.query_pairs_mut().extend_pairs(query);
        url
    }

    /// Sends one call with the credentials: `parse` reads a 2xx answer (with the API, to
    /// hand a 2xx that is not a success to its `parse_error`).
    pub(crate) async fn call<T>(
        &self,
        operation: &'static str,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        parse: fn(&dyn Api, &Response) -> Result<T, Error>,
    ) -> Result<Sent<T>, Error> {
        let transport = &self.inner.transport;
        transport
            .send(
                operation,
                |_attempt| {
                    let mut request = transport
                        .http()
                        .request(method.clone(), url.clone())
                        .header(ACCEPT, JSON);
                    if let Some(body) = &body {
                        request = request.header(CONTENT_TYPE, JSON).body(body.clone());
                    }
                    self.authorize(request)
                },
                |response| parse(transport.api(), response),
            )
            .await
    }

    /// Adds the credentials, marked sensitive so HTTP-level logging hides them.
    fn authorize(&self, request: RequestBuilder) -> Result<RequestBuilder, Error> {
        Ok(match &self.inner.auth {
            Auth::ApiToken(token) => request.header(
                AUTHORIZATION,
                sensitive_header(&format!("Bearer {}", token.expose()))?,
            ),
            Auth::Global { email, key } => request
                .header("X-Auth-Email", sensitive_header(email)?)
                .header("X-Auth-Key", sensitive_header(key.expose())?),
        })
    }
}

/// The answer to `revoke_user`: the success envelope with `result: true`.
fn revoked(api: &dyn Api, response: &Response) -> Result<(), Error> {
    let envelope = success_envelope(api, response)?;
    match envelope.result {
        Some(serde_json::Value::Bool(true)) => Ok(()),
        Some(serde_json::Value::Bool(false)) => Err(response.error(
            ErrorKind::Protocol,
            "Cloudflare answered result: false: the sessions were not revoked",
        )),
        _ => Err(response.unconfirmed_success("the revocation")),
    }
}

/// One read-only call proving the configuration works: a one-item listing of the account's
/// Access users.
fn listed(api: &dyn Api, response: &Response) -> Result<(), Error> {
    success_envelope(api, response).map(drop)
}

impl UserDeleter for Client {
    /// `GET …/access/users?per_page=1`: a refused token or key is
    /// [`ErrorKind::Unauthenticated`](idp_core::ErrorKind::Unauthenticated) (code 10000) or
    /// [`ErrorKind::PermissionDenied`](idp_core::ErrorKind::PermissionDenied).
    async fn check_access(&self) -> Result<(), Error> {
        let url = self.users_query(&[("per_page", "1")]);
        self.call("check_access", Method::GET, &url, None, listed)
            .await
            .map(drop)
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }

    fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        Client::validate_user_id(self, user_id)
    }

    fn vendor(&self) -> &'static str {
        VENDOR
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("account_id", &inner.account_id)
            .field("auth", &inner.auth)
            .field("base_url", &inner.base_url.as_str())
            .finish_non_exhaustive()
    }
}
