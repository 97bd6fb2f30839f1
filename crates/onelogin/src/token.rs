//! The OAuth 2 access token: fetched once, shared by every request of a client, renewed
//! before it expires, and replaced when OneLogin rejects it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use idp_core::reqwest::header::{CONTENT_TYPE, HeaderValue};
use idp_core::url::Url;
use idp_core::{Error, ErrorKind, Response, Secret, Transport};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::VENDOR;
use crate::error::{Endpoint, error_from_response};

/// The token request body, fixed by the API.
const TOKEN_REQUEST_BODY: &str = r#"{"grant_type":"client_credentials"}"#;
/// Lifetime assumed when the token answer has no `expires_in` (not documented to happen).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// Longest lifetime believed, whatever `expires_in` says (OneLogin documents 10 hours).
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A token is renewed this long before it expires (or a tenth of its lifetime, if shorter),
/// so a request never sets off with a token about to lapse.
const RENEW_MARGIN: Duration = Duration::from_secs(60);
/// After the token endpoint rejects the credentials, requests fail at once for this long
/// instead of asking again: a bulk run with a wrong secret makes one token request, not one
/// per user.
const REJECTION_MEMORY: Duration = Duration::from_secs(60);

/// An access token and when to stop using it.
pub(crate) struct AccessToken {
    value: Secret,
    renew_at: Instant,
}

impl AccessToken {
    /// The `Authorization` header value: `bearer:<token>`, exactly as OneLogin documents it,
    /// marked sensitive so it is never logged.
    pub(crate) fn authorization(&self) -> Result<HeaderValue, Error> {
        bearer_header(&self.value)
    }
}

fn bearer_header(token: &Secret) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(&format!("bearer:{}", token.expose()))
        .map_err(|_| Error::protocol(VENDOR, "the access token is not a valid header value"))?;
    value.set_sensitive(true);
    Ok(value)
}

enum Slot {
    Empty,
    Valid(Arc<AccessToken>),
    /// The token endpoint said 401 (wrong id or secret); remembered until `until`.
    Rejected {
        until: Instant,
        status: Option<u16>,
        message: String,
    },
}

/// Fetches and caches the token. The lock is held while fetching (single-flight): requests
/// that need a token meanwhile wait for that one fetch instead of starting their own.
pub(crate) struct TokenCache {
    transport: Transport,
    url: Url,
    client_id: String,
    client_secret: Secret,
    slot: Mutex<Slot>,
}

impl TokenCache {
    pub(crate) fn new(
        transport: Transport,
        url: Url,
        client_id: String,
        client_secret: Secret,
    ) -> Self {
        TokenCache {
            transport,
            url,
            client_id,
            client_secret,
            slot: Mutex::new(Slot::Empty),
        }
    }

    /// The current token, fetching one if there is none or it is due for renewal.
    pub(crate) async fn get(&self) -> Result<Arc<AccessToken>, Error> {
        let mut slot = self.slot.lock().await;
        let now = self.transport.clock().now();
        match &*slot {
            Slot::Valid(token) if now < token.renew_at => return Ok(Arc::clone(token)),
            Slot::Rejected {
                until,
                status,
                message,
            } if now < *until => {
                let err = Error::new(
                    ErrorKind::Unauthenticated,
                    VENDOR,
                    format!("{message} (remembered; no new token request sent)"),
                );
                return Err(match status {
                    Some(status) => err.with_status(*status),
                    None => err,
                });
            }
            _ => {}
        }
        match self.fetch().await {
            Ok(token) => {
                let token = Arc::new(token);
                *slot = Slot::Valid(Arc::clone(&token));
                Ok(token)
            }
            Err(err) => {
                *slot = if err.kind() == ErrorKind::Unauthenticated {
                    Slot::Rejected {
                        until: self.transport.clock().now() + REJECTION_MEMORY,
                        status: err.status(),
                        message: err.message().to_owned(),
                    }
                } else {
                    Slot::Empty
                };
                Err(err)
            }
        }
    }

    /// Forgets `rejected` if it is still the cached token. Comparing the exact token means
    /// that when many requests are refused with the same token, only the first forgets it,
    /// and the others pick up the one renewal instead of forcing their own.
    pub(crate) async fn invalidate(&self, rejected: &Arc<AccessToken>) {
        let mut slot = self.slot.lock().await;
        if let Slot::Valid(current) = &*slot
            && Arc::ptr_eq(current, rejected)
        {
            tracing::debug!(vendor = VENDOR, "access token rejected; renewing it");
            *slot = Slot::Empty;
        }
    }

    /// `POST /auth/oauth2/v2/token` with HTTP Basic credentials. Sent through the transport,
    /// so 429 and 5xx are retried, and a 401 is final.
    async fn fetch(&self) -> Result<AccessToken, Error> {
        let clock = self.transport.clock();
        // Lifetimes count from before the request, so network time only shortens them.
        let requested_at = clock.now();
        let sent = self
            .transport
            .send(
                "token",
                |_attempt| {
                    let request = self
                        .transport
                        .http()
                        .post(self.url.clone())
                        .basic_auth(&self.client_id, Some(self.client_secret.expose()))
                        .header(CONTENT_TYPE, "application/json")
                        .body(TOKEN_REQUEST_BODY);
                    async move { Ok(request) }
                },
                |response| parse_token(response, clock.wall()),
            )
            .await?;
        let (value, lifetime) = sent.value;
        let margin = RENEW_MARGIN.min(lifetime / 10);
        tracing::debug!(vendor = VENDOR, ?lifetime, "fetched an access token");
        Ok(AccessToken {
            value,
            renew_at: requested_at + lifetime.saturating_sub(margin),
        })
    }
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

fn parse_token(
    response: &Response,
    wall_now: std::time::SystemTime,
) -> Result<(Secret, Duration), Error> {
    if !response.is_success() {
        return Err(error_from_response(response, Endpoint::Token, wall_now));
    }
    let body: TokenBody = response.json_sensitive(VENDOR)?;
    let token = match body.access_token {
        Some(token) if !token.trim().is_empty() => Secret::new(token.trim()),
        _ => {
            let err = error_from_response(response, Endpoint::Token, wall_now);
            // A 2xx carrying an error envelope is judged by the code inside it.
            if err.status() != Some(response.status) {
                return Err(err);
            }
            return Err(response.error(
                VENDOR,
                ErrorKind::Protocol,
                format!(
                    "the token answer has no access_token: {}",
                    response.describe_body_shape()
                ),
            ));
        }
    };
    // Refuse a token that cannot go into a header now, not on every delete.
    bearer_header(&token)?;
    let lifetime = body
        .expires_in
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_LIFETIME)
        .min(MAX_LIFETIME);
    Ok((token, lifetime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    fn answer(status: u16, body: &str) -> Response {
        Response::new(status, HeaderMap::new(), body.to_owned())
    }

    #[test]
    fn reads_the_documented_token_answer() {
        let body = r#"{"access_token":"abc123","created_at":"2015-11-11T03:36:18.714Z",
            "expires_in":36000,"refresh_token":"unused","token_type":"bearer","account_id":555555}"#;
        let parsed = parse_token(&answer(200, body), std::time::UNIX_EPOCH);
        let (token, lifetime) = parsed.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(token.expose(), "abc123");
        assert_eq!(lifetime, Duration::from_secs(36000));

        let huge = r#"{"access_token":"abc","expires_in":18446744073709551615}"#;
        let (_, lifetime) = parse_token(&answer(200, huge), std::time::UNIX_EPOCH)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lifetime, MAX_LIFETIME);
        let (_, lifetime) = parse_token(
            &answer(200, r#"{"access_token":"abc"}"#),
            std::time::UNIX_EPOCH,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lifetime, DEFAULT_LIFETIME);
    }

    #[test]
    fn refuses_answers_without_a_usable_token() {
        let kind = |status: u16, body: &str| {
            parse_token(&answer(status, body), std::time::UNIX_EPOCH)
                .err()
                .map(|e| e.kind())
        };
        assert_eq!(kind(200, "{}"), Some(ErrorKind::Protocol));
        assert_eq!(
            kind(200, r#"{"access_token":""}"#),
            Some(ErrorKind::Protocol)
        );
        assert_eq!(kind(200, "<html>"), Some(ErrorKind::Protocol));
        assert_eq!(
            kind(200, r#"{"access_token":"a\nb","expires_in":1}"#),
            Some(ErrorKind::Protocol)
        );
        let envelope = r#"{"status":{"error":true,"code":401,"type":"Unauthorized","message":"Authentication Failure"}}"#;
        assert_eq!(kind(200, envelope), Some(ErrorKind::Unauthenticated));
        assert_eq!(kind(401, envelope), Some(ErrorKind::Unauthenticated));
    }
}

/// Property tests: the token answer's parser never panics and never quotes the token.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::error::fuzz::{body, headers, json, wall};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn token_answers_never_panic(
            status in 100u16..600,
            headers in headers(),
            body in body(),
            now in wall(),
        ) {
            let response = Response::new(status, headers, body);
            if let Ok((_, lifetime)) = parse_token(&response, now) {
                prop_assert!(response.is_success());
                prop_assert!(lifetime <= MAX_LIFETIME);
            }
        }

        #[test]
        fn a_token_is_never_quoted(
            status in 200u16..300,
            token in "[ -~\\t\\n\\r]{12,60}",
            expires in json(),
            cut in any::<prop::sample::Index>(),
        ) {
            let body = serde_json::json!({"access_token": token, "expires_in": expires}).to_string();
            let body = body.as_bytes()[..cut.index(body.len() + 1)].to_vec();
            let response = Response::new(status, Default::default(), body);
            if let Err(err) = parse_token(&response, std::time::SystemTime::now()) {
                let printed = format!("{err} {err:?}");
                prop_assert!(!printed.contains(token.trim()), "{}", printed);
            }
        }
    }
}
