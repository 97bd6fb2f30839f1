//! Shared helpers of the integration tests: a client against a mock server, and OneLogin's
//! answers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use httpmock::{Mock, MockServer};
use idp_core::{ManualClock, NoJitter, RetryPolicy, TransportOptions};
use idp_onelogin::{ApiVersion, Client, Config};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "my-client";
pub const SECRET: &str = "s3cret-canary";
/// `base64("my-client:s3cret-canary")`.
pub const BASIC: &str = "Basic bXktY2xpZW50OnMzY3JldC1jYW5hcnk=";
pub const TOKEN_PATH: &str = "/auth/oauth2/v2/token";

/// Fast retries, no jitter.
pub fn options() -> TransportOptions {
    TransportOptions::default()
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
        .with_jitter(Arc::new(NoJitter))
}

/// [`options`] on a manual clock.
pub fn options_with_clock(clock: &ManualClock) -> TransportOptions {
    options().with_clock(Arc::new(clock.clone()))
}

pub fn config(server: &MockServer, version: ApiVersion) -> Config {
    Config::new(server.base_url(), CLIENT_ID, SECRET).with_api_version(version)
}

pub fn client(server: &MockServer, version: ApiVersion) -> Client {
    Client::new(config(server, version), options()).unwrap()
}

pub fn token_body(token: &str, expires_in: u64) -> Value {
    json!({
        "access_token": token,
        "created_at": "2015-11-11T03:36:18.714Z",
        "expires_in": expires_in,
        "refresh_token": "unused-refresh",
        "token_type": "bearer",
        "account_id": 555555
    })
}

/// A token endpoint that hands out `token` (10 hours), asserting the request's shape.
pub async fn token_mock<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method("POST")
                .path(TOKEN_PATH)
                .header("authorization", BASIC)
                .header("content-type", "application/json")
                .json_body(json!({"grant_type": "client_credentials"}));
            then.status(200).json_body(token_body(token, 36000));
        })
        .await
}

/// A token endpoint that hands out `token` for its first request only.
pub async fn token_mock_once<'a>(server: &'a MockServer, token: &str, expires_in: u64) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method("POST")
                .path(TOKEN_PATH)
                .header("authorization", BASIC);
            then.status(200)
                .json_body(token_body(token, expires_in))
                .up_to_n_times(1);
        })
        .await
}

/// The v1 `status` envelope.
pub fn v1_status(code: u16, kind: &str, message: Value) -> Value {
    json!({"status": {"error": code >= 400, "code": code, "type": kind, "message": message}})
}

pub fn v1_success() -> Value {
    v1_status(200, "success", json!("Success"))
}

/// The v2 error shape.
pub fn v2_error(code: u16, name: &str, message: &str) -> Value {
    json!({"message": message, "name": name, "statusCode": code})
}
