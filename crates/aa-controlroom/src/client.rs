//! The client: building it, deleting users, logging out, proving access.

use std::fmt;
use std::sync::Arc;

use idp_core::reqwest::Method;
use idp_core::reqwest::header::{ACCEPT, CONTENT_TYPE};
use idp_core::transport::parse_positive_id;
use idp_core::url::Url;
use idp_core::{Error, Receipt, Response, Sent, Transport, TransportOptions, UserDeleter};
use serde_json::json;

use crate::VENDOR;
use crate::auth::{self, Login};
use crate::config::{ApiVersion, Config, Credentials};
use crate::endpoints::Endpoints;
use crate::error::ControlRoomApi;
use crate::user::{DeletedUser, Record, record_id};

const JSON: &str = "application/json";

/// A Control Room client. Cheap to clone; clones share the connection pool, the back-off gate,
/// the retry budget and the cached token (so they log in once between them).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    endpoints: Endpoints,
    login: Login,
    credentials_kind: &'static str,
    explicit_token: bool,
}

impl Client {
    /// A client for `config`. Checks the Control Room URL (`https://`, or `http://` to a
    /// loopback host, or to any host with [`TransportOptions::allow_insecure_http`]) and the
    /// credentials; sends nothing.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        Client::build(config, options).map_err(|e| e.with_vendor(VENDOR))
    }

    fn build(config: Config, options: TransportOptions) -> Result<Client, Error> {
        let credentials = config.credentials().clone();
        credentials.check()?;
        auth::check_explicit(&credentials)?;
        let base = idp_core::transport::parse_base_url(
            config.control_room_url(),
            options.allow_insecure_http,
        )?;
        let endpoints = Endpoints::new(base, config.api_version());
        let login = Login::new(credentials.clone(), endpoints.login());
        let transport = Transport::with_token_source(ControlRoomApi, options, login.clone())?;
        register_secrets(&transport, &credentials);
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                endpoints,
                login,
                credentials_kind: credentials.kind(),
                explicit_token: credentials.is_explicit_token(),
            }),
        })
    }

    /// A client configured from the environment ([`Config::from_env`]) with default transport
    /// options.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?, TransportOptions::default())
    }

    /// The API generation this client speaks.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.endpoints.version()
    }

    /// The checked Control Room URL.
    pub fn control_room_url(&self) -> &Url {
        self.inner.endpoints.base()
    }

    /// The transport this client sends through (its options, pacer, gate and retry
    /// budget).
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    pub(crate) fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// Deletes the user with numeric id `user_id`
    /// (`DELETE {controlRoom}/{v}/usermanagement/users/{id}`).
    ///
    /// Strict: a user the Control Room says does not exist is an [`ErrorKind::NotFound`](idp_core::ErrorKind::NotFound)
    /// error. The id must be a positive integer, otherwise [`ErrorKind::InvalidInput`](idp_core::ErrorKind::InvalidInput) before
    /// any request. Done only on the documented answers: 200 with the user record whose `id`
    /// is the id sent, or 204; any other success status or body is [`ErrorKind::Protocol`](idp_core::ErrorKind::Protocol).
    /// [`Receipt::attempts`] counts delete requests (logins not included).
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let id = user_id_of(user_id)?;
        Ok(self.delete_id(id).await?.receipt())
    }

    /// Deletes the user like [`Client::delete_user`] and returns the record the Control Room
    /// answered with: `Some` for a 200 with the user, `None` for a 204.
    ///
    /// A record that does not read as a [`DeletedUser`] is an [`ErrorKind::Protocol`](idp_core::ErrorKind::Protocol) error
    /// whose message says that the delete itself was accepted.
    pub async fn delete_user_record(&self, user_id: &str) -> Result<Option<DeletedUser>, Error> {
        let id = user_id_of(user_id)?;
        let sent = self.delete_id(id).await?;
        let Some(record) = sent.value else {
            return Ok(None);
        };
        serde_json::from_value(record.into())
            .map(Some)
            .map_err(|e| {
                Error::protocol(format!(
                    "the Control Room accepted the delete of user {id} (HTTP 200 with its id) but \
                 its record is not a user record as documented: {e}"
                ))
                .with_source(e)
                .with_attempts(sent.attempts)
                .with_vendor(VENDOR)
                .with_operation("delete_user")
            })
    }

    pub(crate) async fn delete_id(&self, id: u64) -> Result<Sent<Option<Record>>, Error> {
        let url = self.endpoints().user(id);
        self.call("delete_user", Method::DELETE, url, None, |response| {
            parse_deleted(response, id)
        })
        .await
    }

    /// One authenticated call: `method` on `url`, with `body` as JSON when given; `parse`
    /// reads a 2xx answer, the crate's `parse_error` every other.
    pub(crate) async fn call<T>(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<String>,
        parse: impl FnMut(&Response) -> Result<T, Error>,
    ) -> Result<Sent<T>, Error> {
        let transport = self.transport();
        let build = |_attempt: &idp_core::Attempt| {
            let request = transport
                .http()
                .request(method.clone(), url.clone())
                .header(ACCEPT, JSON);
            Ok(match &body {
                Some(body) => request.header(CONTENT_TYPE, JSON).body(body.clone()),
                None => request,
            })
        };
        transport.send(operation, build, parse).await
    }

    /// Logs the cached token out (`POST {controlRoom}/{v}/authentication/logout` with
    /// `{"token"}`), for when the client is done (the CLI does it at the end of every run).
    /// Optional: tokens expire by themselves after about 20 minutes.
    ///
    /// Sends nothing when no token is cached, or when the client uses an explicit
    /// [`Credentials::Token`] (it belongs to the caller). A 401 answer (the token had expired
    /// already) counts as success. A later call logs in again.
    pub async fn logout(&self) -> Result<(), Error> {
        if self.inner.explicit_token {
            return Ok(());
        }
        match self.transport().take_token().await {
            Some(token) => auth::logout(self.transport(), &self.endpoints().logout(), &token).await,
            None => Ok(()),
        }
    }

    /// Proves the configuration works (what a dry run calls): a login whose token is logged
    /// out again at once, so no session is left behind, or, with an explicit token, a
    /// one-user list. A refused credential is [`ErrorKind::Unauthenticated`](idp_core::ErrorKind::Unauthenticated).
    pub async fn check_access(&self) -> Result<(), Error> {
        if self.inner.explicit_token {
            return crate::find::probe(self).await;
        }
        let transport = self.transport();
        let token = self.inner.login.login(transport).await?;
        transport.scrubber().add(&token);
        if let Err(err) = auth::logout(transport, &self.endpoints().logout(), &token).await {
            tracing::debug!(vendor = VENDOR, error = %err, "could not log the check's token out");
        }
        Ok(())
    }
}

/// Every form of the configured secret an echoing server could quote: raw and base64 (the
/// scrubber adds those), the Basic pair with the username, and the JSON-escaped form the
/// login body carries.
fn register_secrets(transport: &Transport, credentials: &Credentials) {
    let scrubber = transport.scrubber();
    let secret = credentials.secret();
    match credentials.username() {
        Some(username) => scrubber.add_basic_pair(username, secret),
        None => scrubber.add(secret),
    }
    let escaped = json!(secret.expose()).to_string();
    let escaped = escaped.trim_matches('"');
    if escaped != secret.expose() {
        scrubber.add(&idp_core::Secret::new(escaped));
    }
}

/// A user id as the Control Room has them: a positive integer.
pub(crate) fn user_id_of(user_id: &str) -> Result<u64, Error> {
    parse_positive_id("user_id", user_id).map_err(|e| e.with_vendor(VENDOR))
}

/// The documented delete answers: 200 with the deleted user's record (its `id` the id sent),
/// or 204. Anything else may or may not have deleted the user, so it is never "deleted".
fn parse_deleted(response: &Response, id: u64) -> Result<Option<Record>, Error> {
    match response.status {
        204 => Ok(None),
        200 => match response.json_object() {
            Some(record) if record_id(&record) == Some(id) => Ok(Some(record)),
            _ => Err(response.unconfirmed_success(&format!(
                "the delete of user {id} (no user record with that id)"
            ))),
        },
        _ => Err(response.unconfirmed_success(&format!("the delete of user {id}"))),
    }
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        user_id_of(user_id).map(|_| ())
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }

    async fn check_access(&self) -> Result<(), Error> {
        Client::check_access(self).await
    }

    /// Logs the run's token out ([`Client::logout`]).
    async fn close(&self) -> Result<(), Error> {
        self.logout().await
    }

    fn transport(&self) -> &Transport {
        Client::transport(self)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &VENDOR)
            .field("host", &self.control_room_url().host_str().unwrap_or(""))
            .field("api_version", &self.api_version())
            .field("credentials", &self.inner.credentials_kind)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::ErrorKind;
    use idp_core::reqwest::header::HeaderMap;

    fn deleted(status: u16, body: &'static str) -> Result<Option<Record>, Error> {
        parse_deleted(&Response::new(status, HeaderMap::new(), body), 15)
    }

    #[test]
    fn only_the_documented_answers_are_a_delete() {
        assert!(matches!(deleted(204, ""), Ok(None)));
        assert!(matches!(
            deleted(200, r#"{"id":15,"deleted":false}"#),
            Ok(Some(_))
        ));
        for (status, body) in [
            (200, ""),
            (200, "null"),
            (200, "{}"),
            (200, r#"{"id":16}"#),
            (200, r#"{"id":"15"}"#),
            (200, r#"{"success":false}"#),
            (200, "<html>ok</html>"),
            (200, "OK"),
            (201, r#"{"id":15}"#),
            (202, ""),
            (203, r#"{"id":15}"#),
            (206, r#"{"id":15}"#),
            (207, "{}"),
        ] {
            let err = deleted(status, body).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(ErrorKind::Protocol),
                "{status} {body}"
            );
        }
    }
}

/// Property: the delete answer's parser never panics and says "deleted" only for the
/// documented shapes.
#[cfg(test)]
mod fuzz {
    use super::*;
    use idp_core::test_util::strategies::response;
    use proptest::prelude::*;

    const KEYS: &[&str] = &[
        "id", "username", "email", "deleted", "success", "code", "message",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn deleted_only_from_the_documented_answers(
            response in response(KEYS, &["x-request-id"], &["delete_user"]),
            id in prop_oneof![Just(15u64), 1u64..100_000],
        ) {
            if response.is_success() && parse_deleted(&response, id).is_ok() {
                let record = response.json_object();
                prop_assert!(
                    response.status == 204
                        || (response.status == 200 && record.as_ref().and_then(record_id) == Some(id))
                );
            }
        }
    }
}
