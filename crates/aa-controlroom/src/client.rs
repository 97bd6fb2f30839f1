//! The client: deleting users, re-authenticating once on a refused token, logging out.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use idp_core::reqwest::header::ACCEPT;
use idp_core::transport::{join_path, parse_positive_id};
use idp_core::url::Url;
use idp_core::{Error, ErrorKind, Receipt, Response, Transport, TransportOptions, UserDeleter};

use crate::VENDOR;
use crate::auth::{self, Auth, X_AUTHORIZATION};
use crate::config::{ApiVersion, Config};
use crate::error::{Operation, REQUEST_ID_HEADER, map_error};
use crate::user::DeletedUser;

/// `User-Agent` product token of this crate.
const PRODUCT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// "No token was used by this attempt" (the attempt failed while getting one).
const NO_TOKEN: u64 = u64::MAX;

/// A Control Room client. Cheap to clone; clones share the connection pool, the back-off gate
/// and the cached token (so they log in once between them).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    base: Url,
    api_version: ApiVersion,
    auth: Auth,
}

/// A successful delete answer.
struct Deleted {
    response: Response,
    attempts: u32,
}

impl Client {
    /// A client for `config`. Checks the Control Room URL (`https://`, or `http://` to a
    /// loopback host, or to any host with [`TransportOptions::allow_insecure_http`]) and the
    /// credentials; sends nothing.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        config.credentials().check()?;
        auth::check_explicit(config.credentials())?;
        let transport = Transport::new(VENDOR, PRODUCT, options)?;
        let base = transport.base_url(config.control_room_url())?;
        let version = config.api_version().as_str();
        let login_url = join_path(&base, &[version, "authentication"]);
        let logout_url = join_path(&base, &[version, "authentication", "logout"]);
        let auth = Auth::new(config.credentials().clone(), login_url, logout_url);
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                api_version: config.api_version(),
                auth,
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
        self.inner.api_version
    }

    /// The checked Control Room URL.
    pub fn control_room_url(&self) -> &Url {
        &self.inner.base
    }

    /// Deletes the user with numeric id `user_id`.
    ///
    /// Strict: a user that does not exist is an [`ErrorKind::NotFound`] error. The id must be a
    /// positive integer, otherwise [`ErrorKind::InvalidInput`] before any request. A refused
    /// token (401) is replaced by one new login and the delete sent once more with it.
    /// [`Receipt::attempts`] counts delete requests (logins not included).
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        let deleted = self.delete(user_id).await?;
        let request_id = deleted
            .response
            .header(REQUEST_ID_HEADER)
            .map(idp_core::transport::truncate_for_message);
        Ok(Receipt::new(deleted.attempts, request_id))
    }

    /// Deletes the user like [`Client::delete_user`] and returns the record the Control Room
    /// answered with: `Some` for a 200 with the user, `None` for a 204 (or an empty 200).
    ///
    /// A 200 whose body is not a user record is an [`ErrorKind::Protocol`] error whose message
    /// says that the delete itself was accepted.
    pub async fn delete_user_record(&self, user_id: &str) -> Result<Option<DeletedUser>, Error> {
        let deleted = self.delete(user_id).await?;
        decode_record(&deleted.response).map_err(|e| e.with_attempts(deleted.attempts))
    }

    /// Logs the cached token out (`POST {controlRoom}/{v}/authentication/logout` with
    /// `{"token"}`), for when the client is done. Optional: tokens expire by themselves after
    /// about 20 minutes.
    ///
    /// Sends nothing when no token is cached, or when the client uses an explicit
    /// [`Credentials::Token`](crate::Credentials::Token) (it belongs to the caller). A 401
    /// answer (the token had expired already) counts as success. A later delete logs in again.
    pub async fn logout(&self) -> Result<(), Error> {
        self.inner
            .auth
            .logout(&self.inner.transport)
            .await
            .map(|_| ())
    }

    fn delete_url(&self, id: u64) -> Url {
        join_path(
            &self.inner.base,
            &[
                self.inner.api_version.as_str(),
                "usermanagement",
                "users",
                &id.to_string(),
            ],
        )
    }

    async fn delete(&self, user_id: &str) -> Result<Deleted, Error> {
        let id = parse_positive_id(VENDOR, "user_id", user_id)?;
        let url = self.delete_url(id);
        let inner = &self.inner;
        let mut earlier_attempts = 0u32;
        let mut renewed = false;
        loop {
            // The generation of the token the latest attempt sent, to invalidate exactly that
            // one on a 401.
            let used = AtomicU64::new(NO_TOKEN);
            let result = inner
                .transport
                .send(
                    "delete_user",
                    |_attempt| {
                        let (used, url) = (&used, &url);
                        async move {
                            used.store(NO_TOKEN, Ordering::Relaxed);
                            // Fetched for every attempt: a retry after a long wait may need a
                            // renewed token.
                            let token = inner.auth.token(&inner.transport).await?;
                            let request = inner
                                .transport
                                .http()
                                .delete(url.clone())
                                .header(ACCEPT, "application/json")
                                .header(X_AUTHORIZATION, token.header()?);
                            used.store(token.generation, Ordering::Relaxed);
                            Ok(request)
                        }
                    },
                    |response| {
                        if response.is_success() {
                            Ok(response.clone())
                        } else {
                            Err(map_error(Operation::Delete, response))
                        }
                    },
                )
                .await;
            let err = match result {
                Ok(sent) => {
                    return Ok(Deleted {
                        response: sent.value,
                        attempts: earlier_attempts + sent.attempts,
                    });
                }
                Err(err) => err,
            };
            let attempts = earlier_attempts + err.attempts();
            let generation = used.load(Ordering::Relaxed);
            let refused_token = err.kind() == ErrorKind::Unauthenticated
                && err.status() == Some(401)
                && generation != NO_TOKEN;
            if refused_token && !renewed && inner.auth.can_renew() {
                tracing::debug!(
                    vendor = VENDOR,
                    "token refused (401); logging in again and resending once"
                );
                inner.auth.invalidate(generation).await;
                renewed = true;
                earlier_attempts = attempts;
                continue;
            }
            return Err(err.with_attempts(attempts));
        }
    }
}

/// The record in a successful answer: `None` for 204 or an empty (or `null`) body.
fn decode_record(response: &Response) -> Result<Option<DeletedUser>, Error> {
    if response.status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<Option<DeletedUser>>(&response.body).map_err(|e| {
        response
            .error(
                VENDOR,
                ErrorKind::Protocol,
                format!(
                    "the Control Room accepted the delete (HTTP {}) but its answer is not a user \
                     record: {}",
                    response.status,
                    response.describe_body()
                ),
            )
            .with_source(e)
    })
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        parse_positive_id(VENDOR, "user_id", user_id).map(|_| ())
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &VENDOR)
            .field("control_room_url", &self.inner.base.as_str())
            .field("api_version", &self.inner.api_version)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    #[test]
    fn records_and_empty_answers() {
        let none = |status, body: &'static str| {
            decode_record(&Response::new(status, HeaderMap::new(), body))
                .ok()
                .flatten()
                .is_none()
        };
        assert!(none(204, ""));
        assert!(none(200, ""));
        assert!(none(200, " \n"));
        assert!(none(200, "null"));
        let user = decode_record(&Response::new(200, HeaderMap::new(), r#"{"id":15}"#));
        assert_eq!(user.ok().flatten().map(|u| u.id), Some(15));
        let err = decode_record(&Response::new(200, HeaderMap::new(), "<html>ok</html>")).err();
        assert!(err.is_some_and(
            |e| e.kind() == ErrorKind::Protocol && e.message().contains("accepted the delete")
        ));
    }
}

/// Property tests: the deleted-user record's parser never panics.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::error::fuzz::response;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn deleted_records_never_panic(response in response()) {
            if let Ok(Some(record)) = decode_record(&response) {
                let _ = format!("{record:?}");
            }
        }
    }
}
