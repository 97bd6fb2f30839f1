//! OneLogin's OAuth 2 client-credentials token, as a [`TokenSource`]: how to ask for one and
//! how to carry it. Caching, single flight, renewal and the memory of a refused secret are
//! the core's ([`idp_core::auth`]).

use std::time::Duration;

use futures_util::future::BoxFuture;
use idp_core::reqwest::RequestBuilder;
use idp_core::reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use idp_core::transport::sensitive_header;
use idp_core::url::Url;
use idp_core::{Api, Error, ErrorKind, Response, Secret, Token, TokenSource, Transport};
use serde::Deserialize;

use crate::body::Said;
use crate::error::op;

/// The token request body, fixed by the API.
const TOKEN_REQUEST_BODY: &str = r#"{"grant_type":"client_credentials"}"#;
/// Lifetime assumed when the token answer has no `expires_in` (not documented to happen).
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// Longest lifetime believed, whatever `expires_in` says (OneLogin documents 10 hours).
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// `POST {base}/auth/oauth2/v2/token` with HTTP Basic `client_id:client_secret` and
/// `{"grant_type":"client_credentials"}`; the token goes on requests as
/// `Authorization: bearer:<token>`, exactly as OneLogin documents it.
#[derive(Clone)]
pub(crate) struct ClientCredentials {
    url: Url,
    client_id: String,
    client_secret: Secret,
}

impl ClientCredentials {
    pub(crate) fn new(url: Url, client_id: String, client_secret: Secret) -> Self {
        ClientCredentials {
            url,
            client_id,
            client_secret,
        }
    }

    /// One token request (what `check_access` sends, and what the core's cache calls).
    pub(crate) async fn request(&self, transport: &Transport) -> Result<Token, Error> {
        let sent = transport
            .send_anonymous(
                op::TOKEN,
                |_attempt| {
                    // reqwest marks the Basic header sensitive.
                    Ok(transport
                        .http()
                        .post(self.url.clone())
                        .basic_auth(&self.client_id, Some(self.client_secret.expose()))
                        .header(CONTENT_TYPE, "application/json")
                        .body(TOKEN_REQUEST_BODY))
                },
                |response| read_token(response, transport.api()),
            )
            .await?;
        let (token, lifetime) = sent.value;
        Ok(Token::new(token, lifetime))
    }
}

impl TokenSource for ClientCredentials {
    fn fetch<'a>(&'a self, transport: &'a Transport) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(self.request(transport))
    }

    fn authorize(&self, request: RequestBuilder, token: &Secret) -> Result<RequestBuilder, Error> {
        Ok(request.header(AUTHORIZATION, bearer(token)?))
    }
}

fn bearer(token: &Secret) -> Result<idp_core::reqwest::header::HeaderValue, Error> {
    sensitive_header(&format!("bearer:{}", token.expose()))
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The token and its lifetime from a 2xx token answer; the body is never quoted (it may hold
/// the token). A 2xx carrying OneLogin's error envelope goes to `api`'s `parse_error`.
pub(crate) fn read_token(response: &Response, api: &dyn Api) -> Result<(Secret, Duration), Error> {
    let body: TokenBody = response.json_sensitive()?;
    let token = match body.access_token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => Secret::new(token),
        _ if Said::parse(&response.body).is_some_and(|said| said.is_error()) => {
            return Err(api.parse_error(response));
        }
        _ => {
            return Err(response.error(
                ErrorKind::Protocol,
                format!(
                    "the token answer has no access_token: {}",
                    response.describe_body_shape()
                ),
            ));
        }
    };
    // Refuse a token that cannot go into a header now, not on every later request.
    if bearer(&token).is_err() {
        return Err(response.error(
            ErrorKind::Protocol,
            "the token answer's access_token cannot be sent in an HTTP header",
        ));
    }
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
    use crate::config::ApiVersion;
    use crate::error::OneLoginApi;
    use idp_core::reqwest::header::HeaderMap;
    use idp_core::test_util::ManualClock;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn api() -> OneLoginApi {
        OneLoginApi::new(
            ApiVersion::V1,
            Arc::new(ManualClock::default()),
            Arc::default(),
        )
    }

    fn answer(status: u16, body: &str) -> Response {
        Response::new(status, HeaderMap::new(), body.to_owned()).for_operation(op::TOKEN, 1)
    }

    fn read(status: u16, body: &str) -> Result<(Secret, Duration), Error> {
        read_token(&answer(status, body), &api())
    }

    #[test]
    fn reads_the_documented_token_answer() {
        let body = r#"{"access_token":"abc123","created_at":"2015-11-11T03:36:18.714Z",
            "expires_in":36000,"refresh_token":"unused","token_type":"bearer","account_id":555555}"#;
        let (token, lifetime) = read(200, body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(token.expose(), "abc123");
        assert_eq!(lifetime, Duration::from_secs(36000));
        let huge = r#"{"access_token":"abc","expires_in":18446744073709551615}"#;
        assert_eq!(read(200, huge).map(|t| t.1).ok(), Some(MAX_LIFETIME));
        let bare = r#"{"access_token":"abc"}"#;
        assert_eq!(read(200, bare).map(|t| t.1).ok(), Some(DEFAULT_LIFETIME));
    }

    #[test]
    fn refuses_answers_without_a_usable_token() {
        let kind = |status: u16, body: &str| read(status, body).err().map(|e| e.kind());
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
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn a_token_is_never_quoted(
            status in 200u16..300,
            token in "[ -~\\t\\n\\r]{12,60}",
            expires in idp_core::test_util::strategies::json(&["expires_in", "status", "code"]),
            cut in any::<prop::sample::Index>(),
        ) {
            let body = serde_json::json!({"access_token": token, "expires_in": expires}).to_string();
            let body = body.as_bytes()[..cut.index(body.len() + 1)].to_vec();
            let response = Response::new(status, HeaderMap::new(), body).for_operation(op::TOKEN, 1);
            match read_token(&response, &api()) {
                Ok((_, lifetime)) => prop_assert!(lifetime <= MAX_LIFETIME),
                Err(err) => {
                    let printed = format!("{err} {err:?}");
                    prop_assert!(!printed.contains(token.trim()), "{}", printed);
                }
            }
        }
    }
}
