//! Shared helpers for the integration tests: a mock Control Room and fast transport options.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use httpmock::Mock;
use httpmock::prelude::*;
use idp_aa_controlroom::{ApiVersion, Client, Config, Credentials};
use idp_core::{NoJitter, RetryPolicy, TransportOptions};
use serde_json::json;

pub const USERNAME: &str = "offboard-bot";
pub const API_KEY: &str = "api-key-CANARY";
pub const PASSWORD: &str = "password-CANARY";

/// Retries with a 1 ms back-off and no jitter, so retry tests take milliseconds.
pub fn fast() -> TransportOptions {
    TransportOptions::default()
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
        .with_jitter(Arc::new(NoJitter))
}

pub fn client_with(
    server: &MockServer,
    credentials: Credentials,
    options: TransportOptions,
) -> Client {
    Client::new(Config::new(server.base_url(), credentials), options).unwrap()
}

/// An API-key client against `server`, API v1, fast retries.
pub fn api_key_client(server: &MockServer) -> Client {
    client_with(server, Credentials::api_key(USERNAME, API_KEY), fast())
}

pub fn v2_client(server: &MockServer) -> Client {
    let config = Config::new(server.base_url(), Credentials::api_key(USERNAME, API_KEY))
        .with_api_version(ApiVersion::V2);
    Client::new(config, fast()).unwrap()
}

/// `POST /v1/authentication` with the API-key body, answering `token`.
pub async fn login<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    login_at(server, "/v1/authentication", token).await
}

pub async fn login_at<'a>(server: &'a MockServer, path: &str, token: &str) -> Mock<'a> {
    let token = token.to_owned();
    let path = path.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path(path)
                .header("content-type", "application/json")
                .json_body(json!({ "username": USERNAME, "apiKey": API_KEY }));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({ "token": token, "user": { "id": 1, "username": USERNAME } }));
        })
        .await
}

/// `DELETE /v1/usermanagement/users/{id}` with `X-Authorization: token`, answering `status`
/// with `body`.
pub async fn delete<'a>(
    server: &'a MockServer,
    id: u64,
    token: &str,
    status: u16,
    body: serde_json::Value,
) -> Mock<'a> {
    let token = token.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(DELETE)
                .path(format!("/v1/usermanagement/users/{id}"))
                .header("x-authorization", token);
            if body.is_null() {
                then.status(status);
            } else {
                then.status(status)
                    .header("content-type", "application/json")
                    .json_body(body);
            }
        })
        .await
}

/// Any DELETE to a user with `X-Authorization: token`, answering 200 with a minimal record.
pub async fn delete_any<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    let token = token.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(DELETE)
                .path_prefix("/v1/usermanagement/users/")
                .header("x-authorization", token);
            then.status(200).json_body(json!({ "id": 1 }));
        })
        .await
}

/// The Control Room's error body.
pub fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({ "code": code, "details": null, "message": message })
}

/// Matches everything no other mock did (create it last): tests assert it is never hit.
pub async fn catch_all(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(418).body("unexpected request");
        })
        .await
}
