//! The JWT every request carries, signed locally from the key file: RSA's token source. The
//! transport caches it, renews it [`TOKEN_RENEW_BEFORE`] its expiry, and replaces it once when
//! a request is refused with 401.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use idp_core::reqwest::RequestBuilder;
use idp_core::reqwest::header::AUTHORIZATION;
use idp_core::transport::sensitive_header;
use idp_core::{Error, Secret, Token, TokenSource, Transport};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::key_file::KeyFile;

/// How long a JWT this crate makes is valid (`exp - iat`). RSA accepts at most one hour
/// (±60 s of clock skew); 55 minutes leaves room for a clock that runs a little fast.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(55 * 60);

/// A JWT is replaced when less than this is left before its `exp`, so no request leaves with
/// a token about to expire in flight: one token serves every request for 50 minutes.
pub const TOKEN_RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// The claims RSA's Cloud Administration API reads.
#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

/// Signs JWTs with the key file's private key: no network, so `fetch` never sends anything.
pub(crate) struct JwtSource {
    key: EncodingKey,
    access_id: String,
    audience: String,
}

impl JwtSource {
    pub(crate) fn new(key_file: &KeyFile) -> Self {
        JwtSource {
            key: key_file.signing_key().clone(),
            access_id: key_file.access_id().to_owned(),
            // Verbatim, as RSA's docs require, even when requests go to another base URL.
            audience: key_file.admin_rest_api_url().to_owned(),
        }
    }

    /// A JWT issued at wall-clock time `now`.
    fn sign(&self, now: SystemTime) -> Result<Secret, Error> {
        let iat = unix_seconds(now)?;
        let claims = Claims {
            sub: &self.access_id,
            aud: &self.audience,
            iat,
            exp: iat.saturating_add(TOKEN_LIFETIME.as_secs()),
        };
        // Serialises as {"typ":"JWT","alg":"RS256"}, the header RSA documents.
        let header = Header::new(Algorithm::RS256);
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|e| {
                Error::config(format!(
                    "could not sign the JWT with the key file's accessKey: {e}"
                ))
                .with_source(e)
            })
    }
}

impl TokenSource for JwtSource {
    fn fetch<'a>(
        &'a self,
        transport: &'a Transport,
    ) -> Pin<Box<dyn Future<Output = Result<Token, Error>> + Send + 'a>> {
        let signed = self
            .sign(transport.clock().wall())
            .map(|jwt| Token::new(jwt, TOKEN_LIFETIME).renew_before(TOKEN_RENEW_BEFORE));
        Box::pin(async move { signed })
    }

    fn authorize(&self, request: RequestBuilder, token: &Secret) -> Result<RequestBuilder, Error> {
        let value = sensitive_header(&format!("Bearer {}", token.expose()))?;
        Ok(request.header(AUTHORIZATION, value))
    }
}

fn unix_seconds(now: SystemTime) -> Result<u64, Error> {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::config("the system clock is set before 1970: cannot date a JWT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_before_the_epoch_are_refused() {
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert!(unix_seconds(before).is_err());
        assert_eq!(
            unix_seconds(UNIX_EPOCH + Duration::from_secs(42)).ok(),
            Some(42)
        );
    }

    #[test]
    fn lifetime_is_under_an_hour_and_leaves_a_long_reuse_window() {
        assert!(TOKEN_LIFETIME < Duration::from_secs(3600 - 60));
        assert!(TOKEN_RENEW_BEFORE < TOKEN_LIFETIME / 2);
    }
}
