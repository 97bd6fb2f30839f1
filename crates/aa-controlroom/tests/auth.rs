//! Login, token caching and single-flight, renewal, re-login on 401, explicit tokens, logout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use httpmock::prelude::*;
use idp_aa_controlroom::{Client, Config, Credentials, TOKEN_RENEW_AFTER};
use idp_core::{ErrorKind, ManualClock, TransportOptions, delete_many};
use serde_json::json;
use tokio::task::JoinSet;

#[tokio::test]
async fn password_login_sends_username_and_password() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/authentication")
                .header("content-type", "application/json")
                .json_body(json!({ "username": USERNAME, "password": PASSWORD }));
            then.status(200)
                .json_body(json!({ "token": "tok-pw", "user": {} }));
        })
        .await;
    let delete = delete(&server, 15, "tok-pw", 204, json!(null)).await;
    let unexpected = catch_all(&server).await;

    let client = client_with(&server, Credentials::password(USERNAME, PASSWORD), fast());
    let receipt = client.delete_user("15").await.unwrap();

    assert_eq!(receipt.attempts, 1);
    login.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn api_key_login_sends_username_and_api_key() {
    let server = MockServer::start_async().await;
    // `login` matches the exact body {"username", "apiKey"} and nothing else.
    let login = login(&server, "tok-key").await;
    let delete = delete(&server, 15, "tok-key", 200, json!({ "id": 15 })).await;
    let unexpected = catch_all(&server).await;

    api_key_client(&server).delete_user("15").await.unwrap();

    login.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn one_login_for_a_hundred_concurrent_deletes() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            // Slow, so every delete is waiting for it.
            then.status(200)
                .delay(Duration::from_millis(200))
                .json_body(json!({ "token": "tok-shared" }));
        })
        .await;
    let deletes = delete_any(&server, "tok-shared").await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    let mut tasks = JoinSet::new();
    for id in 1..=100u32 {
        let client = client.clone();
        tasks.spawn(async move { client.delete_user(&id.to_string()).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }

    login.assert_calls_async(1).await;
    deletes.assert_calls_async(100).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_401_logs_in_once_more_and_resends_with_the_new_token() {
    let server = MockServer::start_async().await;
    let first_login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(200)
                .json_body(json!({ "token": "tok-old" }))
                .up_to_n_times(1);
        })
        .await;
    let second_login = login(&server, "tok-new").await;
    let refused = delete(
        &server,
        15,
        "tok-old",
        401,
        error_body(
            "UM1117",
            "Access token expected in the 'X-Authorization' header",
        ),
    )
    .await;
    let accepted = delete(&server, 15, "tok-new", 200, json!({ "id": 15 })).await;
    let unexpected = catch_all(&server).await;

    let receipt = api_key_client(&server).delete_user("15").await.unwrap();

    assert_eq!(
        receipt.attempts, 2,
        "two delete requests, logins not counted"
    );
    first_login.assert_calls_async(1).await;
    second_login.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
    // The retried request carried the new token (the mock only matches `tok-new`).
    accepted.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn many_concurrent_401s_lead_to_one_new_login() {
    let server = MockServer::start_async().await;
    let first_login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(200)
                .json_body(json!({ "token": "tok-old" }))
                .up_to_n_times(1);
        })
        .await;
    let second_login = login(&server, "tok-new").await;
    let refused = server
        .mock_async(|when, then| {
            when.method(DELETE).header("x-authorization", "tok-old");
            then.status(401)
                .json_body(error_body("UM1117", "token expired"));
        })
        .await;
    let accepted = delete_any(&server, "tok-new").await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    let mut tasks = JoinSet::new();
    for id in 1..=20u32 {
        let client = client.clone();
        tasks.spawn(async move { client.delete_user(&id.to_string()).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }

    first_login.assert_calls_async(1).await;
    second_login.assert_calls_async(1).await;
    accepted.assert_calls_async(20).await;
    assert!(refused.calls_async().await >= 1);
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_second_401_after_the_new_login_is_unauthenticated() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok").await;
    let refused = delete(&server, 15, "tok", 401, error_body("UM1117", "no")).await;
    let unexpected = catch_all(&server).await;

    let err = api_key_client(&server).delete_user("15").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("UM1117"));
    assert_eq!(err.attempts(), 2);
    login.assert_calls_async(2).await;
    refused.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_bad_password_is_unauthenticated_after_exactly_one_login() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(401)
                .json_body(error_body("AUTH1001", "Invalid credentials"));
        })
        .await;
    let unexpected = catch_all(&server).await;

    let client = client_with(&server, Credentials::password(USERNAME, "wrong"), fast());
    let err = client.delete_user("15").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.code(), Some("AUTH1001"));
    assert_eq!(err.message(), "Invalid credentials");
    assert_eq!(err.attempts(), 0, "no delete request was sent");
    login.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn queued_deletes_share_a_failed_login_instead_of_retrying_it() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(401)
                .delay(Duration::from_millis(100))
                .json_body(error_body("AUTH1001", "Invalid credentials"));
        })
        .await;
    let unexpected = catch_all(&server).await;

    let client = client_with(&server, Credentials::password(USERNAME, "wrong"), fast());
    let ids: Vec<String> = (1..=50).map(|id| id.to_string()).collect();
    let reports: Vec<_> = delete_many(&client, ids, 50).collect().await;

    assert_eq!(reports.len(), 50);
    for report in &reports {
        let err = report.outcome.as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    }
    // A wrong password is tried once, not once per queued delete (account lockout).
    login.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_explicit_token_is_sent_as_is_and_never_renewed() {
    let server = MockServer::start_async().await;
    let accepted = delete(&server, 15, "given-token", 204, json!(null)).await;
    let refused = delete(
        &server,
        16,
        "given-token",
        401,
        error_body("UM1117", "expired"),
    )
    .await;
    let unexpected = catch_all(&server).await;

    let client = client_with(&server, Credentials::token("given-token"), fast());
    client.delete_user("15").await.unwrap();
    let err = client.delete_user("16").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.attempts(), 1);
    accepted.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
    // No login of any kind.
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_token_is_renewed_after_fifteen_minutes() {
    let server = MockServer::start_async().await;
    let first_login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(200)
                .json_body(json!({ "token": "tok-1" }))
                .up_to_n_times(1);
        })
        .await;
    let second_login = login(&server, "tok-2").await;
    let with_first = delete_any(&server, "tok-1").await;
    let with_second = delete_any(&server, "tok-2").await;
    let unexpected = catch_all(&server).await;

    let clock = ManualClock::default();
    let client = client_with(
        &server,
        Credentials::api_key(USERNAME, API_KEY),
        fast().with_clock(Arc::new(clock.clone())),
    );

    client.delete_user("1").await.unwrap();
    clock.advance(TOKEN_RENEW_AFTER - Duration::from_secs(60));
    client.delete_user("2").await.unwrap();
    first_login.assert_calls_async(1).await;
    second_login.assert_calls_async(0).await;

    clock.advance(Duration::from_secs(120));
    client.delete_user("3").await.unwrap();

    first_login.assert_calls_async(1).await;
    second_login.assert_calls_async(1).await;
    with_first.assert_calls_async(2).await;
    with_second.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn logout_sends_the_cached_token_and_the_next_delete_logs_in_again() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok").await;
    let deletes = delete_any(&server, "tok").await;
    let logout = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/authentication/logout")
                .header("content-type", "application/json")
                .json_body(json!({ "token": "tok" }));
            then.status(204);
        })
        .await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    // Nothing cached yet: nothing to log out.
    client.logout().await.unwrap();
    logout.assert_calls_async(0).await;

    client.delete_user("1").await.unwrap();
    client.logout().await.unwrap();
    logout.assert_calls_async(1).await;
    // Already logged out: no second request.
    client.logout().await.unwrap();
    logout.assert_calls_async(1).await;

    client.delete_user("2").await.unwrap();
    login.assert_calls_async(2).await;
    deletes.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn logout_of_an_expired_token_is_fine_and_explicit_tokens_are_left_alone() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _deletes = delete_any(&server, "tok").await;
    let logout = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication/logout");
            then.status(401).json_body(error_body("UM1117", "expired"));
        })
        .await;
    let _explicit = delete_any(&server, "given").await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    client.delete_user("1").await.unwrap();
    client.logout().await.unwrap();
    logout.assert_calls_async(1).await;

    let explicit = client_with(&server, Credentials::token("given"), fast());
    explicit.delete_user("1").await.unwrap();
    explicit.logout().await.unwrap();
    logout.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_missing_login_path_is_a_config_error_not_a_missing_user() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(404).body("Not Found");
        })
        .await;
    let unexpected = catch_all(&server).await;

    let err = api_key_client(&server).delete_user("15").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("API version"), "{err}");
    login.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_failing_login_is_retried_and_a_tokenless_answer_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(503).up_to_n_times(1);
        })
        .await;
    let login = login(&server, "tok").await;
    let deletes = delete_any(&server, "tok").await;
    let unexpected = catch_all(&server).await;

    api_key_client(&server).delete_user("15").await.unwrap();
    unavailable.assert_calls_async(1).await;
    login.assert_calls_async(1).await;
    deletes.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;

    let server = MockServer::start_async().await;
    let tokenless = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(200).json_body(json!({ "user": {} }));
        })
        .await;
    let unexpected = catch_all(&server).await;
    let err = api_key_client(&server).delete_user("15").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    tokenless.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn clones_share_one_token() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok").await;
    let deletes = delete_any(&server, "tok").await;
    let unexpected = catch_all(&server).await;

    let client = Client::new(
        Config::new(server.base_url(), Credentials::api_key(USERNAME, API_KEY)),
        TransportOptions::default(),
    )
    .unwrap();
    let clone = client.clone();
    client.delete_user("1").await.unwrap();
    clone.delete_user("2").await.unwrap();

    login.assert_calls_async(1).await;
    deletes.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}
