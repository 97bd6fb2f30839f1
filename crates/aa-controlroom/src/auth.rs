//! Logging in, caching the token, renewing it, logging out.
//!
//! One token per client, shared by every request and every clone. Whoever finds the cache
//! empty or stale logs in **while holding the cache lock**, so a hundred concurrent deletes
//! wait for one login instead of making a hundred (and, with a password, invalidating each
//! other's tokens). Callers that waited for a login that failed get its error rather than
//! trying again themselves, so a wrong password is tried once, not once per queued delete
//! (which could lock the account). Each login gets a generation number; a request refused with 401
//! invalidates only the generation it used, so many concurrent 401s lead to one new login.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use idp_core::reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use idp_core::url::Url;
use idp_core::{Error, ErrorKind, Response, Secret, Transport};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::VENDOR;
use crate::config::Credentials;
use crate::error::{Operation, map_error};

/// Control Room tokens live about 20 minutes; a cached token older than this is replaced
/// before use, leaving a margin for clock drift and slow requests.
pub const TOKEN_RENEW_AFTER: Duration = Duration::from_secs(15 * 60);

/// The header the Control Room reads the token from.
pub(crate) const X_AUTHORIZATION: &str = "x-authorization";

/// The generation of an explicit token, which is never renewed.
const EXPLICIT: u64 = 0;

/// A token and the login that produced it.
#[derive(Clone)]
pub(crate) struct Token {
    value: Secret,
    pub(crate) generation: u64,
}

impl Token {
    /// The `X-Authorization` value, marked sensitive so HTTP-level logging hides it.
    pub(crate) fn header(&self) -> Result<HeaderValue, Error> {
        header_value(&self.value)
    }
}

fn header_value(token: &Secret) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(token.expose()).map_err(|_| {
        Error::protocol(
            VENDOR,
            "the token contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

struct Cached {
    token: Token,
    obtained_at: Instant,
}

/// What a failed login said, to hand to the callers that waited for it.
struct Failure {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
}

impl Failure {
    fn of(err: &Error) -> Self {
        Failure {
            kind: err.kind(),
            message: err.message().to_owned(),
            status: err.status(),
            code: err.code().map(str::to_owned),
            request_id: err.request_id().map(str::to_owned),
        }
    }

    fn to_error(&self) -> Error {
        let mut err = Error::new(self.kind, VENDOR, self.message.clone())
            .with_request_id_opt(self.request_id.clone());
        if let Some(status) = self.status {
            err = err.with_status(status);
        }
        if let Some(code) = &self.code {
            err = err.with_code(code.clone());
        }
        err
    }
}

#[derive(Default)]
struct State {
    current: Option<Cached>,
    /// Successful logins so far: the generation of the newest token.
    logins: u64,
    /// The error of the latest login, when it failed.
    failure: Option<Failure>,
}

/// The token source of one client.
pub(crate) struct Auth {
    credentials: Credentials,
    login_url: Url,
    logout_url: Url,
    state: Mutex<State>,
    /// Logins finished (successful or not); read before waiting for the lock to tell whether
    /// a login ended while we waited.
    finished: AtomicU64,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("credentials", &self.credentials)
            .field("login_url", &self.login_url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct LoginAnswer {
    #[serde(default)]
    token: Option<String>,
}

impl Auth {
    pub(crate) fn new(credentials: Credentials, login_url: Url, logout_url: Url) -> Self {
        Auth {
            credentials,
            login_url,
            logout_url,
            state: Mutex::new(State::default()),
            finished: AtomicU64::new(0),
        }
    }

    /// Whether a refused token can be replaced (false for an explicit token).
    pub(crate) fn can_renew(&self) -> bool {
        !matches!(self.credentials, Credentials::Token(_))
    }

    /// The token to send now: the explicit one, the cached one while it is fresh, or a new one
    /// from a login (one login at a time per client).
    pub(crate) async fn token(&self, transport: &Transport) -> Result<Token, Error> {
        if let Credentials::Token(value) = &self.credentials {
            return Ok(Token {
                value: value.clone(),
                generation: EXPLICIT,
            });
        }
        let ticket = self.finished.load(Ordering::Acquire);
        let mut state = self.state.lock().await;
        let now = transport.clock().now();
        if let Some(cached) = &state.current {
            if now.saturating_duration_since(cached.obtained_at) < TOKEN_RENEW_AFTER {
                return Ok(cached.token.clone());
            }
            tracing::debug!(
                vendor = VENDOR,
                "token is due for renewal; logging in again"
            );
        }
        if self.finished.load(Ordering::Acquire) != ticket
            && let Some(failure) = &state.failure
        {
            // The login we waited for failed: share its answer instead of trying again.
            return Err(failure.to_error());
        }
        state.current = None;
        let result = self.login(transport).await;
        self.finished.fetch_add(1, Ordering::AcqRel);
        let value = match result {
            Ok(value) => {
                state.failure = None;
                value
            }
            Err(err) => {
                state.failure = Some(Failure::of(&err));
                return Err(err);
            }
        };
        state.logins += 1;
        let token = Token {
            value,
            generation: state.logins,
        };
        state.current = Some(Cached {
            token: token.clone(),
            obtained_at: transport.clock().now(),
        });
        Ok(token)
    }

    /// Forgets the token of `generation` after the Control Room refused it. A newer token
    /// (someone else already logged in again) is kept.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .current
            .as_ref()
            .is_some_and(|cached| cached.token.generation == generation)
        {
            state.current = None;
        }
    }

    /// Logs out the cached token, if there is one. Returns whether a request was sent.
    pub(crate) async fn logout(&self, transport: &Transport) -> Result<bool, Error> {
        let Some(cached) = self.state.lock().await.current.take() else {
            return Ok(false);
        };
        let body = serialize(&json!({ "token": cached.token.value.expose() }))?;
        transport
            .send(
                "logout",
                |_attempt| {
                    let request = json_post(transport, &self.logout_url, body.clone());
                    async move { Ok(request) }
                },
                |response| match response.status {
                    // 401: the token had already expired or been revoked, which is what a
                    // logout wants.
                    200..=299 | 401 => Ok(()),
                    _ => Err(map_error(Operation::Logout, response)),
                },
            )
            .await?;
        Ok(true)
    }

    /// `POST {controlRoom}/{v}/authentication` with the username and password or API key.
    async fn login(&self, transport: &Transport) -> Result<Secret, Error> {
        let body = match &self.credentials {
            Credentials::Password { username, password } => {
                json!({ "username": username, "password": password.expose() })
            }
            Credentials::ApiKey { username, api_key } => {
                json!({ "username": username, "apiKey": api_key.expose() })
            }
            Credentials::Token(_) => {
                return Err(Error::config(VENDOR, "an explicit token cannot log in"));
            }
        };
        let body = serialize(&body)?;
        tracing::debug!(
            vendor = VENDOR,
            username = self.credentials.username(),
            method = self.credentials.kind(),
            "logging in"
        );
        let sent = transport
            .send(
                "login",
                |_attempt| {
                    let request = json_post(transport, &self.login_url, body.clone());
                    async move { Ok(request) }
                },
                |response| {
                    if response.is_success() {
                        parse_login(response)
                    } else {
                        Err(map_error(Operation::Login, response))
                    }
                },
            )
            .await?;
        Ok(sent.value)
    }
}

fn json_post(transport: &Transport, url: &Url, body: Vec<u8>) -> idp_core::reqwest::RequestBuilder {
    transport
        .http()
        .post(url.clone())
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .body(body)
}

fn serialize(value: &serde_json::Value) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value)
        .map_err(|e| Error::invalid_input(VENDOR, "could not encode the request").with_source(e))
}

/// Reads `{"token": "...", "user": {...}}`. The body holds a credential, so an error never
/// quotes it (nor serde's message, which may quote values).
fn parse_login(response: &Response) -> Result<Secret, Error> {
    let refuse = |what: String| response.error(VENDOR, ErrorKind::Protocol, what);
    let answer: LoginAnswer = serde_json::from_slice(&response.body).map_err(|e| {
        refuse(format!(
            "the login answer is not the expected JSON ({} bytes of {}, {:?} error at line {} \
             column {})",
            response.body.len(),
            response.header("content-type").unwrap_or("no content type"),
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let token = answer
        .token
        .filter(|token| !token.trim().is_empty())
        .ok_or_else(|| refuse("the login answer has no token".to_owned()))?;
    let token = Secret::new(token);
    header_value(&token).map_err(|e| refuse(e.message().to_owned()))?;
    Ok(token)
}

/// Checks an explicit token up front, so a bad one fails in `Client::new`.
pub(crate) fn check_explicit(credentials: &Credentials) -> Result<(), Error> {
    match credentials {
        Credentials::Token(token) => header_value(token)
            .map(|_| ())
            .map_err(|e| Error::config(VENDOR, e.message().to_owned())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    #[test]
    fn login_answers() {
        let ok = Response::new(
            200,
            HeaderMap::new(),
            r#"{"token":"abc.def","user":{"id":1}}"#,
        );
        assert_eq!(
            parse_login(&ok).map(|t| t.expose().to_owned()).ok(),
            Some("abc.def".into())
        );

        for body in [r#"{"user":{}}"#, r#"{"token":""}"#, "[]", "", "<html>"] {
            let err = parse_login(&Response::new(200, HeaderMap::new(), body)).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Protocol), "{body}");
        }
    }

    #[test]
    fn a_cut_login_body_is_not_quoted() {
        let cut = Response::new(200, HeaderMap::new(), r#"{"token":"SECRET-CANARY"#);
        let err = parse_login(&cut)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not the expected JSON"), "{err}");
        assert!(!err.contains("SECRET-CANARY"), "{err}");
    }

    #[test]
    fn a_token_with_a_newline_is_refused() {
        let bad = Response::new(200, HeaderMap::new(), r#"{"token":"a\nb"}"#);
        assert!(parse_login(&bad).is_err());
        assert!(check_explicit(&Credentials::token("a\nb")).is_err());
        assert!(check_explicit(&Credentials::token("fine")).is_ok());
    }
}

/// Property tests: the login answer's parser never panics and never quotes the token.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::error::fuzz::{json, response};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn login_answers_never_panic(response in response()) {
            let _ = parse_login(&response);
        }

        #[test]
        fn a_token_is_never_quoted(
            token in "[ -~\\t\\n]{12,60}",
            user in json(),
            cut in any::<prop::sample::Index>(),
        ) {
            let body = serde_json::json!({"token": token, "user": user}).to_string();
            let body = body.as_bytes()[..cut.index(body.len() + 1)].to_vec();
            let response = Response::new(200, Default::default(), body);
            if let Err(err) = parse_login(&response) {
                let printed = format!("{err} {err:?}");
                prop_assert!(!printed.contains(token.trim()), "{}", printed);
            }
        }
    }
}
