//! The JWT every request carries, made from the key file and reused until near its expiry.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use idp_core::{Error, Secret};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::VENDOR;
use crate::key_file::KeyFile;

/// How long a JWT this crate makes is valid (`exp - iat`). RSA accepts at most one hour
/// (±60 s of clock skew); 55 minutes leaves room for a clock that runs a little fast.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(55 * 60);

/// A cached JWT is replaced when less than this is left before its `exp`, so no request
/// leaves with a token about to expire in flight.
pub const TOKEN_RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// The claims RSA's Cloud Administration API reads.
#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

struct Cached {
    bearer: Secret,
    issued_at: u64,
    expires_at: u64,
}

/// Signs JWTs with the key file's private key and hands out the current one.
///
/// One token serves every request until less than [`TOKEN_RENEW_BEFORE`] is left, so a bulk
/// run of thousands of deletes signs one token per 50 minutes, not one per request. Signing
/// is synchronous and quick, so a plain mutex is enough: concurrent requests that find no
/// valid token wait for the one being signed instead of each signing their own.
pub(crate) struct TokenCache {
    key: EncodingKey,
    access_id: String,
    audience: String,
    cached: Mutex<Option<Cached>>,
}

impl TokenCache {
    pub(crate) fn new(key_file: &KeyFile) -> Self {
        TokenCache {
            key: key_file.signing_key().clone(),
            access_id: key_file.access_id().to_owned(),
            // Verbatim, as RSA's docs require, even when requests go to another base URL.
            audience: key_file.admin_rest_api_url().to_owned(),
            cached: Mutex::new(None),
        }
    }

    /// The JWT to send at wall-clock time `now`: the cached one while it has more than
    /// [`TOKEN_RENEW_BEFORE`] left, otherwise a new one.
    pub(crate) fn bearer(&self, now: SystemTime) -> Result<Secret, Error> {
        let now = unix_seconds(now)?;
        // A panic while holding the lock leaves at worst a stale token behind: keep going.
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(token) = cached.as_ref()
            && token.issued_at <= now
            && now.saturating_add(TOKEN_RENEW_BEFORE.as_secs()) < token.expires_at
        {
            return Ok(token.bearer.clone());
        }
        let fresh = self.sign(now)?;
        let bearer = fresh.bearer.clone();
        *cached = Some(fresh);
        Ok(bearer)
    }

    fn sign(&self, now: u64) -> Result<Cached, Error> {
        let expires_at = now.saturating_add(TOKEN_LIFETIME.as_secs());
        let claims = Claims {
            sub: &self.access_id,
            aud: &self.audience,
            iat: now,
            exp: expires_at,
        };
        // Serialises as {"typ":"JWT","alg":"RS256"}, the header RSA documents.
        let header = Header::new(Algorithm::RS256);
        let jwt = jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            Error::config(
                VENDOR,
                format!("could not sign the JWT with the key file's accessKey: {e}"),
            )
            .with_source(e)
        })?;
        Ok(Cached {
            bearer: Secret::new(jwt),
            issued_at: now,
            expires_at,
        })
    }
}

fn unix_seconds(now: SystemTime) -> Result<u64, Error> {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| {
            Error::config(
                VENDOR,
                "the system clock is set before 1970: cannot date a JWT",
            )
        })
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
