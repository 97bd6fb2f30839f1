//! The Control Room login as a token source, and the logout. Caching, single flight,
//! renewal and the resend after a 401 are idp-core's.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use idp_core::reqwest::RequestBuilder;
use idp_core::reqwest::header::{ACCEPT, CONTENT_TYPE};
use idp_core::transport::sensitive_header;
use idp_core::url::Url;
use idp_core::{Error, ErrorKind, Response, Secret, Token, TokenSource, Transport};
use serde::Deserialize;
use serde_json::json;

use crate::config::Credentials;

/// How long the Control Room keeps a token ("about 20 minutes").
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(20 * 60);

/// A token older than this is replaced by a new login before use, leaving a margin for clock
/// drift and slow requests.
pub const TOKEN_RENEW_AFTER: Duration = Duration::from_secs(15 * 60);

/// The header the Control Room reads the token from.
pub(crate) const X_AUTHORIZATION: &str = "x-authorization";

/// Logs in with the configured credentials, or hands out the caller's token.
#[derive(Clone)]
pub(crate) struct Login {
    credentials: Credentials,
    url: Url,
}

impl Login {
    pub(crate) fn new(credentials: Credentials, url: Url) -> Self {
        Login { credentials, url }
    }

    /// `POST {controlRoom}/{v}/authentication` with `{"username","password"}` or
    /// `{"username","apiKey"}`; the answer's `token`.
    pub(crate) async fn login(&self, transport: &Transport) -> Result<Secret, Error> {
        let body = match &self.credentials {
            Credentials::Password { username, password } => {
                json!({ "username": username, "password": password.expose() })
            }
            Credentials::ApiKey { username, api_key } => {
                json!({ "username": username, "apiKey": api_key.expose() })
            }
            Credentials::Token(_) => {
                return Err(Error::config("an explicit token cannot log in"));
            }
        };
        // Held as a secret, so the copy with the password is wiped when dropped.
        let body = Secret::new(body.to_string());
        tracing::debug!(
            vendor = crate::VENDOR,
            username = self.credentials.username(),
            method = self.credentials.kind(),
            "logging in"
        );
        let sent = transport
            .send_anonymous(
                "login",
                |_attempt| Ok(json_post(transport, &self.url, &body)),
                parse_login,
            )
            .await?;
        Ok(sent.value)
    }
}

impl TokenSource for Login {
    fn fetch<'a>(
        &'a self,
        transport: &'a Transport,
    ) -> Pin<Box<dyn Future<Output = Result<Token, Error>> + Send + 'a>> {
        Box::pin(async move {
            if let Credentials::Token(token) = &self.credentials {
                return Ok(Token::fixed(token.clone()));
            }
            let token = self.login(transport).await?;
            Ok(Token::new(token, TOKEN_LIFETIME).renew_before(TOKEN_LIFETIME - TOKEN_RENEW_AFTER))
        })
    }

    fn authorize(&self, request: RequestBuilder, token: &Secret) -> Result<RequestBuilder, Error> {
        Ok(request.header(X_AUTHORIZATION, sensitive_header(token.expose())?))
    }

    fn renewable(&self) -> bool {
        !self.credentials.is_explicit_token()
    }
}

/// `POST {controlRoom}/{v}/authentication/logout` with `{"token"}`. A 401 means the token
/// had expired or been revoked already, which is what a logout wants.
pub(crate) async fn logout(transport: &Transport, url: &Url, token: &Secret) -> Result<(), Error> {
    let body = Secret::new(json!({ "token": token.expose() }).to_string());
    let result = transport
        .send_anonymous(
            "logout",
            |_attempt| Ok(json_post(transport, url, &body)),
            |_response| Ok(()),
        )
        .await;
    match result {
        Err(err) if err.status() == Some(401) => Ok(()),
        other => other.map(|_| ()),
    }
}

fn json_post(transport: &Transport, url: &Url, body: &Secret) -> RequestBuilder {
    transport
        .http()
        .post(url.clone())
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .body(body.expose().to_owned())
}

#[derive(Deserialize)]
struct LoginAnswer {
    #[serde(default)]
    token: Option<String>,
}

/// Reads `{"token": "...", "user": {...}}`. The body holds a credential, so an error never
/// quotes it.
fn parse_login(response: &Response) -> Result<Secret, Error> {
    let refuse = |what: &str| {
        response.error(
            ErrorKind::Protocol,
            format!(
                "the login answer (HTTP {}, {}) {what}",
                response.status,
                response.describe_body_shape()
            ),
        )
    };
    let answer: LoginAnswer = response.json_sensitive()?;
    let token = answer
        .token
        .filter(|token| !token.trim().is_empty())
        .ok_or_else(|| refuse("has no token"))?;
    let token = Secret::new(token);
    sensitive_header(token.expose())
        .map_err(|_| refuse("has a token that cannot be sent in an HTTP header"))?;
    Ok(token)
}

/// Checks an explicit token up front, so a bad one fails in `Client::new`.
pub(crate) fn check_explicit(credentials: &Credentials) -> Result<(), Error> {
    match credentials {
        Credentials::Token(token) => sensitive_header(token.expose()).map(|_| ()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    fn login_answer(body: &'static str) -> Result<Secret, Error> {
        parse_login(&Response::new(200, HeaderMap::new(), body))
    }

    #[test]
    fn login_answers() {
        let token = login_answer(r#"{"token":"abc.def","user":{"id":1}}"#);
        assert_eq!(
            token.map(|t| t.expose().to_owned()).ok(),
            Some("abc.def".into())
        );
        for body in [
            r#"{"user":{}}"#,
            r#"{"token":""}"#,
            r#"{"token":7}"#,
            "[]",
            "",
            "<html>",
        ] {
            let err = login_answer(body).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Protocol), "{body}");
        }
    }

    #[test]
    fn a_cut_or_odd_login_body_is_not_quoted() {
        for body in [
            r#"{"token":"SECRET-CANARY"#,
            r#"{"token":"SECRET-CANARY\n"}"#,
        ] {
            let err = login_answer(body)
                .err()
                .map(|e| format!("{e} {e:?}"))
                .unwrap_or_default();
            assert!(err.contains("protocol"), "{err}");
            assert!(!err.contains("SECRET-CANARY"), "{err}");
        }
    }

    #[test]
    fn an_explicit_token_must_fit_a_header() {
        assert!(check_explicit(&Credentials::token("a\nb")).is_err());
        assert!(check_explicit(&Credentials::token("fine")).is_ok());
    }

    #[test]
    fn tokens_are_renewed_five_minutes_early() {
        assert_eq!(TOKEN_LIFETIME - TOKEN_RENEW_AFTER, Duration::from_secs(300));
    }
}

/// Property: the login answer's parser never panics and never quotes the token.
#[cfg(test)]
mod fuzz {
    use super::*;
    use idp_core::test_util::strategies::{json, response};
    use proptest::prelude::*;

    const KEYS: &[&str] = &["token", "user", "id", "username", "code", "message"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn login_answers_never_panic(response in response(KEYS, &["x-request-id"], &["login"])) {
            let _ = parse_login(&response);
        }

        #[test]
        fn a_token_is_never_quoted(
            token in "[ -~\\t\\n]{12,60}",
            user in json(KEYS),
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
