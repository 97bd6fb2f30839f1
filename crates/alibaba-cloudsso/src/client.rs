//! The CloudSSO client: `DeleteUser`, signed afresh for every attempt.

use std::fmt;
use std::sync::Arc;

use idp_core::reqwest::header::{ACCEPT, CONTENT_TYPE};
use idp_core::transport::check_id;
use idp_core::url::Url;
use idp_core::{Error, Receipt, Response, Transport, TransportOptions, UserDeleter};
use serde::Deserialize;

use crate::VENDOR;
use crate::config::{Config, MAX_ID_CHARS, RequestStyle};
use crate::error::error_from_response;
use crate::sign::{self, SIGNATURE, percent_encode};

/// The CloudSSO API version this client speaks.
pub const API_VERSION: &str = "2021-05-15";

/// The HTTP method every request uses (RPC APIs take `GET` or `POST`; a delete is a `POST`).
const METHOD: &str = "POST";

/// A CloudSSO client for one directory. Cheap to clone (an `Arc` inside); clones share the
/// connection pool and the back-off gate. Its `Debug` output never shows a credential.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    endpoint: Url,
    transport: Transport,
}

/// The success body: `{"RequestId": "..."}`.
#[derive(Deserialize)]
struct Success {
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

impl Client {
    /// A client for `config`, sending through a transport built with `options`. Checks the
    /// configuration (and the endpoint against the transport's `http://` rule); every failure
    /// is an [`ErrorKind::Config`](idp_core::ErrorKind::Config) error.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        config.validate()?;
        let transport = Transport::new(
            VENDOR,
            concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
            options,
        )?;
        let mut endpoint = transport.base_url(&config.endpoint())?;
        if endpoint.path().is_empty() {
            endpoint.set_path("/");
        }
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                endpoint,
                transport,
            }),
        })
    }

    /// A client configured from the environment ([`Config::from_env`]) with default transport
    /// options.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?, TransportOptions::default())
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// Deletes the user `user_id` from the configured directory.
    ///
    /// Strict: a user that does not exist (`EntityNotExists.User`) is an
    /// [`ErrorKind::NotFound`](idp_core::ErrorKind::NotFound) error; use
    /// [`DeleteOutcome::from_result`](idp_core::DeleteOutcome::from_result) for idempotent
    /// deprovisioning. The id is checked before anything is sent. Each attempt carries a new
    /// `SignatureNonce` and `Timestamp` and is signed again.
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        check_user_id(user_id)?;
        let sent = self
            .inner
            .transport
            .send(
                "delete_user",
                |_attempt| {
                    let request = self.build_request(user_id);
                    async move { Ok(request) }
                },
                |response| self.parse(response),
            )
            .await?;
        Ok(Receipt::new(sent.attempts, sent.value))
    }

    /// One signed attempt: fresh nonce, fresh timestamp, signature over every parameter.
    fn build_request(&self, user_id: &str) -> idp_core::reqwest::RequestBuilder {
        let inner = &self.inner;
        let config = &inner.config;
        let nonce = uuid::Uuid::new_v4().to_string();
        let timestamp = sign::timestamp(inner.transport.clock().wall());
        let mut params: Vec<(&str, &str)> = vec![
            ("Action", "DeleteUser"),
            ("Version", API_VERSION),
            ("Format", "JSON"),
            ("AccessKeyId", config.access_key_id()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &timestamp),
            ("DirectoryId", config.directory_id()),
            ("UserId", user_id),
        ];
        if let Some(token) = config.security_token() {
            params.push(("SecurityToken", token.expose()));
        }
        // The canonical query is already a correct form/query encoding of every parameter:
        // computed once, signed, then sent with the signature appended.
        let mut encoded = sign::canonical_query(&params);
        let signature = sign::sign_canonical(METHOD, &encoded, config.access_key_secret().expose());
        encoded.push('&');
        encoded.push_str(SIGNATURE);
        encoded.push('=');
        encoded.push_str(&percent_encode(&signature));
        let http = inner.transport.http();
        match config.request_style() {
            RequestStyle::Query => {
                let mut url = inner.endpoint.clone();
                url.set_query(Some(&encoded));
                http.post(url)
            }
            RequestStyle::FormBody => http
                .post(inner.endpoint.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(encoded),
        }
        .header(ACCEPT, "application/json")
    }

    /// Success is a 2xx answer whose body is JSON (`{"RequestId": ...}`); anything else is an
    /// error classified by its `Code`.
    fn parse(&self, response: &Response) -> Result<Option<String>, Error> {
        if !response.is_success() {
            let config = &self.inner.config;
            let mut secrets = vec![config.access_key_secret().expose()];
            if let Some(token) = config.security_token() {
                secrets.push(token.expose());
            }
            return Err(error_from_response(response, &secrets));
        }
        let success: Success = response.json(VENDOR)?;
        Ok(success
            .request_id
            .filter(|id| !id.is_empty())
            .or_else(|| response.header("x-acs-request-id").map(str::to_owned)))
    }
}

/// User ids are checked before any request: not empty, at most 64 characters, no control
/// characters. Anything else (`&`, `=`, spaces, non-ASCII) is sent as one encoded value.
fn check_user_id(user_id: &str) -> Result<(), Error> {
    check_id(VENDOR, "user id", user_id, MAX_ID_CHARS)
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        check_user_id(user_id)
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
