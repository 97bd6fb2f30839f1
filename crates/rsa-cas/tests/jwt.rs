//! The JWT: signature and claims, `aud` verbatim, the lifetime and renewal margin on the
//! transport's clock. (Caching, single flight and 401 renewal are idp-core's, tested there.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use idp_core::{ErrorKind, TransportOptions};
use idp_rsa_cas::{Client, Config, TOKEN_LIFETIME, TOKEN_RENEW_BEFORE};

const PATH: &str = "/AdminInterface/restapi/v1/users/eb2e12ae-1112-451b-98e1-dfe4e6afd60d";

#[tokio::test]
async fn jwt_verifies_with_the_public_key_and_has_the_documented_claims() {
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(PATH).is_true(seen.recorder());
            then.status(200);
        })
        .await;
    let aud = server.url("/AdminInterface/restapi");
    let clock = manual_clock();
    let client = client(&aud, &clock, 0);

    client.delete_user(USER).await.unwrap();

    assert_eq!(mock.calls_async().await, 1);
    let tokens = seen.all();
    assert_eq!(tokens.len(), 1);
    let claims = verify_jwt(&tokens[0], &aud);
    assert_eq!(
        claims,
        Claims {
            sub: ACCESS_ID.to_owned(),
            aud: aud.clone(),
            iat: T0,
            exp: T0 + TOKEN_LIFETIME.as_secs(),
        }
    );
    assert!(
        claims.exp - claims.iat < 3600,
        "lifetime must stay under an hour"
    );
}

#[tokio::test]
async fn a_forged_token_does_not_verify() {
    // The check in verify_jwt is real: tamper with the signed claims and it fails.
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    server
        .mock_async(|when, then| {
            when.is_true(seen.recorder());
            then.status(200);
        })
        .await;
    let aud = server.url("/AdminInterface/restapi");
    client(&aud, &manual_clock(), 0)
        .delete_user(USER)
        .await
        .unwrap();
    let token = seen.all().remove(0);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = "someone-else".into();
    parts[1] = engine.encode(claims.to_string());
    let forged = parts.join(".");
    assert!(try_verify_jwt(&token, &aud).is_ok());
    let err = try_verify_jwt(&forged, &aud).expect_err("a forged token must not verify");
    assert!(err.contains("InvalidSignature"), "{err}");
    assert!(
        try_verify_jwt(&token, "https://other.example.com").is_err(),
        "audience checked"
    );
}

#[tokio::test]
async fn aud_stays_the_key_files_url_when_requests_go_elsewhere() {
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("/proxy/AdminInterface/restapi/v1/users/{USER}"))
                .is_true(seen.recorder());
            then.status(200);
        })
        .await;
    let aud = "https://acme.access.securid.com/AdminInterface/restapi/v1";
    let config =
        Config::new(key_file(aud)).with_base_url(server.url("/proxy/AdminInterface/restapi"));
    let clock = manual_clock();
    let client = Client::new(config, options(&clock, 0)).unwrap();

    client.delete_user(USER).await.unwrap();

    assert_eq!(mock.calls_async().await, 1);
    let claims = verify_jwt(&seen.all()[0], aud);
    assert_eq!(claims.aud, aud, "aud is adminRestApiUrl verbatim");
}

#[tokio::test]
async fn the_token_is_renewed_when_near_expiry_and_reused_again() {
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).is_true(seen.recorder());
            then.status(200);
        })
        .await;
    let aud = server.url("/AdminInterface/restapi");
    let clock = manual_clock();
    let client = client(&aud, &clock, 0);

    client.delete_user("a").await.unwrap();
    // Just more than TOKEN_RENEW_BEFORE left: still the first token.
    let reuse_until = TOKEN_LIFETIME - TOKEN_RENEW_BEFORE - Duration::from_secs(1);
    clock.advance(reuse_until);
    client.delete_user("b").await.unwrap();
    assert_eq!(seen.all().len(), 1, "still inside the reuse window");

    // Now less than TOKEN_RENEW_BEFORE left: a new token, dated now.
    clock.advance(Duration::from_secs(2));
    client.delete_user("c").await.unwrap();
    client.delete_user("d").await.unwrap();

    assert_eq!(mock.calls_async().await, 4);
    let mut claims: Vec<Claims> = seen.all().iter().map(|t| verify_jwt(t, &aud)).collect();
    claims.sort_by_key(|c| c.iat);
    assert_eq!(claims.len(), 2, "one renewal, then reuse");
    assert_eq!(claims[0].iat, T0);
    let renewed_at = T0 + reuse_until.as_secs() + 2;
    assert_eq!(claims[1].iat, renewed_at);
    assert_eq!(claims[1].exp, renewed_at + TOKEN_LIFETIME.as_secs());
    assert_eq!(
        wall_seconds(idp_core::transport::Clock::wall(&clock)),
        renewed_at
    );
}

#[tokio::test]
async fn a_retry_after_a_long_wait_carries_a_fresh_token() {
    let server = MockServer::start_async().await;
    let warm_up = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{USERS}/warm-up"));
            then.status(200);
        })
        .await;
    let seen = SeenTokens::default();
    let throttled = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{USERS}/{USER}"))
                .is_true(seen.recorder());
            then.status(429).header("Retry-After", "120");
        })
        .await;
    let aud = server.url("/AdminInterface/restapi");
    let clock = manual_clock();
    let client = client(&aud, &clock, 1);

    // A token made at T0; 49 minutes later it has 6 minutes left, still reusable. The first
    // attempt carries it; the 2-minute wait crosses the renewal point, so the retry carries
    // a new token.
    client.delete_user("warm-up").await.unwrap();
    clock.advance(Duration::from_secs(49 * 60));
    let err = client.delete_user(USER).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.attempts(), 2);
    assert_eq!(warm_up.calls_async().await, 1);
    assert_eq!(throttled.calls_async().await, 2);
    assert!(
        clock.sleeps().iter().sum::<Duration>() >= Duration::from_secs(120),
        "Retry-After honoured: {:?}",
        clock.sleeps()
    );
    let mut iats: Vec<u64> = seen.all().iter().map(|t| verify_jwt(t, &aud).iat).collect();
    iats.sort_unstable();
    assert_eq!(iats.len(), 2, "each attempt asks for the current token");
    assert_eq!(iats[0], T0);
    assert!(iats[1] >= T0 + 51 * 60, "{iats:?}");
}

#[tokio::test]
async fn a_real_clock_works_too() {
    // No manual clock: the default SystemClock dates the token now.
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    server
        .mock_async(|when, then| {
            when.is_true(seen.recorder());
            then.status(200);
        })
        .await;
    let aud = server.url("/AdminInterface/restapi");
    let client = Client::new(Config::new(key_file(&aud)), TransportOptions::default()).unwrap();
    let before = wall_seconds(std::time::SystemTime::now());
    client.delete_user(USER).await.unwrap();
    let after = wall_seconds(std::time::SystemTime::now());
    let claims = verify_jwt(&seen.all()[0], &aud);
    assert!(before <= claims.iat && claims.iat <= after);
}
