//! The CloudSSO client: configuration checked once, every call signed afresh for each attempt
//! and sent through the `idp-core` transport, its answer held to CloudSSO's success shape.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use idp_core::url::Url;
use idp_core::{
    Account, Error, ErrorKind, Receipt, Response, Scrubber, Secret, Transport, TransportOptions,
    UserDeleter,
};
use serde_json::Value;

use crate::VENDOR;
use crate::config::Config;
use crate::error::CloudSsoApi;
use crate::ids::check_user_id;
use crate::model::Answer;
use crate::rpc::{Action, DELETE_USER, LIST_USERS, Signer};
use crate::sign;

/// The most pages one listing reads (a million users at 100 a page): a server that keeps
/// handing out new `NextToken`s cannot keep a run busy for ever.
const MAX_PAGES: usize = 10_000;

/// A CloudSSO client for one directory. Cheap to clone (an `Arc` inside); clones share the
/// connection pool, the back-off gate, the retry budget and the directory listing cache. Its
/// `Debug` output never shows a credential.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) signer: Signer,
    pub(crate) transport: Transport,
    /// The whole directory, listed at most once per bounded age (see `find.rs`).
    pub(crate) directory: tokio::sync::Mutex<Option<Cached<Arc<Vec<Account>>>>>,
    /// Whether SCIM synchronisation is enabled in the directory (see `steps.rs`).
    pub(crate) scim: Mutex<Option<Cached<bool>>>,
}

/// A value read from CloudSSO, and when (on the transport's clock).
pub(crate) struct Cached<T> {
    pub(crate) at: Instant,
    pub(crate) value: T,
}

impl Client {
    /// A client for `config`, sending through a transport built with `options`. Checks the
    /// configuration (and the endpoint against the transport's `http://` rule); every failure
    /// is an [`ErrorKind::Config`](idp_core::ErrorKind::Config) error. The AccessKey secret
    /// and the security token are registered with the transport's scrubber, raw and in the
    /// percent-encoded forms a server's echo of the string to sign holds.
    pub fn new(config: Config, options: TransportOptions) -> Result<Client, Error> {
        config.validate().map_err(|e| e.with_vendor(VENDOR))?;
        let transport = Transport::new(CloudSsoApi, options)?;
        for secret in config.secrets() {
            register(transport.scrubber(), secret);
        }
        let mut endpoint = transport.base_url(&config.endpoint())?;
        if endpoint.path().is_empty() {
            endpoint.set_path("/");
        }
        Ok(Client {
            inner: Arc::new(Inner {
                signer: Signer::new(config, endpoint),
                transport,
                directory: tokio::sync::Mutex::new(None),
                scim: Mutex::new(None),
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
        self.inner.signer.config()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Url {
        self.inner.signer.endpoint()
    }

    /// Deletes the user `user_id` (`u-…`) from the configured directory, with one
    /// `DeleteUser` call (retried by the transport on throttling, 5xx and dropped
    /// connections, each attempt signed again with a fresh nonce and date).
    ///
    /// Strict: a user that does not exist (`EntityNotExists.User`) is an
    /// [`ErrorKind::NotFound`] error; use
    /// [`DeleteOutcome::from_result`](idp_core::DeleteOutcome::from_result) for idempotent
    /// deprovisioning. A user that still has MFA devices, groups or access assignments is a
    /// [`ErrorKind::Conflict`] with CloudSSO's `DeletionConflict.User.*` code: clear them first
    /// (the [`Offboarder`](idp_core::Offboarder) steps do). The id is checked before anything
    /// is sent.
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        check_user_id(user_id).map_err(|e| e.with_vendor(VENDOR))?;
        let ((), receipt) = self
            .call(DELETE_USER, &[("UserId", user_id)], "the delete", |_, _| {
                Ok(())
            })
            .await?;
        Ok(receipt)
    }

    /// One call of `action`: signed for each attempt, sent, and its answer held to the success
    /// shape ([`Answer`]) before `parse` reads it. `what` names what a non-success 2xx leaves
    /// unconfirmed.
    pub(crate) async fn call<T>(
        &self,
        action: Action,
        params: &[(&str, &str)],
        what: &str,
        parse: impl Fn(&Answer, &Response) -> Result<T, Error>,
    ) -> Result<(T, Receipt), Error> {
        let inner = &*self.inner;
        let transport = &inner.transport;
        let sent = transport
            .send(
                action.operation,
                |_attempt| {
                    let date = sign::timestamp(transport.clock().wall());
                    inner
                        .signer
                        .request(transport.http(), action, params, &date)
                },
                |response| {
                    let answer = Answer::read(response, what)?;
                    let value = parse(&answer, response)?;
                    Ok((value, answer.request_id))
                },
            )
            .await?;
        let (value, request_id) = sent.value;
        let receipt = Receipt::new(sent.attempts, request_id.or(sent.request_id.clone()))
            .with_waited(sent.waited);
        Ok((value, receipt))
    }

    // CORE-CANDIDATE: a token-paged listing (follow the next token, refuse a repeated one,
    // bound the pages) is not CloudSSO's alone; idp-core could offer it over `send`.
    /// Every item of a paged list: `MaxResults=page_size` (when the action pages) and
    /// `NextToken` until CloudSSO hands out no further token. Each item of `field` is read
    /// with `convert`. The receipt adds up every page's attempts.
    pub(crate) async fn list_all<T>(
        &self,
        action: Action,
        params: &[(&str, &str)],
        page_size: Option<&'static str>,
        field: &'static str,
        convert: fn(Value, &Response) -> Result<T, Error>,
    ) -> Result<(Vec<T>, Receipt), Error> {
        let what = format!("the {} answer", action.name);
        let mut items = Vec::new();
        let mut attempts = 0;
        let mut token: Option<String> = None;
        let mut tokens = HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut page_params = params.to_vec();
            if let Some(size) = page_size {
                page_params.push(("MaxResults", size));
            }
            if let Some(token) = &token {
                page_params.push(("NextToken", token));
            }
            let ((page, next), receipt) = self
                .call(action, &page_params, &what, |answer, response| {
                    let page = answer.page(response, field)?;
                    if page.truncated && page.next_token.is_none() {
                        return Err(response.error(
                            ErrorKind::Protocol,
                            format!("{what}: IsTruncated without a NextToken"),
                        ));
                    }
                    let items = page
                        .items
                        .into_iter()
                        .map(|item| convert(item, response))
                        .collect::<Result<Vec<T>, Error>>()?;
                    Ok((items, page.next_token))
                })
                .await?;
            attempts += receipt.attempts;
            items.extend(page);
            // A NextToken is followed even without IsTruncated: a page too many costs one
            // call, a page missed could hide the very user looked for.
            match next {
                None => return Ok((items, Receipt::new(attempts, receipt.request_id))),
                Some(next) if !tokens.insert(next.clone()) => {
                    return Err(protocol(action, "hands out the same NextToken twice"));
                }
                Some(next) => token = Some(next),
            }
        }
        Err(protocol(action, "has more than 10,000 pages"))
    }

    /// Proves the configuration with one read-only call: `ListUsers` with `MaxResults=1`.
    pub async fn check_access(&self) -> Result<(), Error> {
        self.call(
            LIST_USERS,
            &[("MaxResults", "1")],
            "the user list",
            |answer, response| answer.page(response, "Users").map(|_| ()),
        )
        .await
        .map(|_| ())
    }
}

/// A listing that goes wrong in a way no single answer shows.
fn protocol(action: Action, what: &str) -> Error {
    Error::protocol(format!("the {} listing {what}", action.name))
        .with_vendor(VENDOR)
        .with_operation(action.operation)
}

/// Registers `secret` with the scrubber, raw (with its base64 forms) and percent-encoded
/// once and twice, as V2's string to sign holds the security token.
fn register(scrubber: &Scrubber, secret: &Secret) {
    scrubber.add(secret);
    let once = sign::percent_encode(secret.expose());
    let twice = sign::percent_encode(&once);
    scrubber.add(&Secret::new(once));
    scrubber.add(&Secret::new(twice));
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        check_user_id(user_id).map_err(|e| e.with_vendor(VENDOR))
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }

    async fn check_access(&self) -> Result<(), Error> {
        Client::check_access(self).await
    }

    fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint().as_str())
            .field("config", self.config())
            .finish_non_exhaustive()
    }
}
