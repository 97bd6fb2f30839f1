//! The access token's lifecycle: request shape, single-flight sharing, renewal before expiry,
//! renewal after a 401, and a rejected secret.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use httpmock::MockServer;
use idp_core::{ErrorKind, ManualClock};
use idp_onelogin::{ApiVersion, Client};
use serde_json::json;

fn auth_failure() -> serde_json::Value {
    v1_status(401, "Unauthorized", json!("Authentication Failure"))
}

#[tokio::test]
async fn token_request_and_delete_have_the_documented_shape() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "tok-1").await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path("/api/1/users/42")
                .header("authorization", "bearer:tok-1")
                .header_includes("user-agent", "idp-onelogin/");
            then.status(200).json_body(v1_success());
        })
        .await;

    let receipt = client(&server, ApiVersion::V1)
        .delete_user("42")
        .await
        .unwrap();

    assert_eq!(receipt.attempts, 1);
    token.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_hundred_concurrent_deletes_make_one_token_request() {
    let server = MockServer::start_async().await;
    // Slow, so every delete is waiting for a token while the first fetch is in flight.
    let token = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(TOKEN_PATH)
                .header("authorization", BASIC);
            then.status(200)
                .json_body(token_body("tok-1", 36000))
                .delay(Duration::from_millis(300));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path_prefix("/api/1/users/")
                .header("authorization", "bearer:tok-1");
            then.status(200).json_body(v1_success());
        })
        .await;
    let client = client(&server, ApiVersion::V1);

    let mut tasks = tokio::task::JoinSet::new();
    for id in 1..=100 {
        let client = client.clone();
        tasks.spawn(async move { client.delete_user(&id.to_string()).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap().attempts, 1);
    }

    assert_eq!(token.calls_async().await, 1);
    assert_eq!(delete.calls_async().await, 100);
}

#[tokio::test]
async fn the_token_is_renewed_before_it_expires() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::default();
    let first = token_mock_once(&server, "tok-1", 3600).await;
    let second = token_mock_once(&server, "tok-2", 3600).await;
    let with_first = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .header("authorization", "bearer:tok-1");
            then.status(200).json_body(v1_success());
        })
        .await;
    let with_second = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .header("authorization", "bearer:tok-2");
            then.status(200).json_body(v1_success());
        })
        .await;
    let client = Client::new(config(&server, ApiVersion::V1), options_with_clock(&clock)).unwrap();

    client.delete_user("1").await.unwrap();
    // 3600 s lifetime, renewed 60 s early: still good 3539 s later.
    clock.advance(Duration::from_secs(3539));
    client.delete_user("2").await.unwrap();
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 0);
    assert_eq!(with_first.calls_async().await, 2);

    clock.advance(Duration::from_secs(2));
    client.delete_user("3").await.unwrap();
    assert_eq!(second.calls_async().await, 1);
    assert_eq!(with_second.calls_async().await, 1);
    assert_eq!(with_first.calls_async().await, 2);
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_delete_resent_with_the_new_one() {
    let server = MockServer::start_async().await;
    let first = token_mock_once(&server, "tok-old", 36000).await;
    let second = token_mock_once(&server, "tok-new", 36000).await;
    let refused = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path("/api/1/users/7")
                .header("authorization", "bearer:tok-old");
            then.status(401).json_body(auth_failure());
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path("/api/1/users/7")
                .header("authorization", "bearer:tok-new");
            then.status(200).json_body(v1_success());
        })
        .await;

    let receipt = client(&server, ApiVersion::V1)
        .delete_user("7")
        .await
        .unwrap();

    assert_eq!(receipt.attempts, 2, "both sends are counted");
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
    // The re-sent request carried the NEW token.
    accepted.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_hundred_refusals_of_one_token_cause_one_renewal() {
    let server = MockServer::start_async().await;
    let first = token_mock_once(&server, "tok-old", 36000).await;
    let second = token_mock_once(&server, "tok-new", 36000).await;
    let refused = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .header("authorization", "bearer:tok-old");
            then.status(401)
                .json_body(auth_failure())
                .delay(Duration::from_millis(100));
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .header("authorization", "bearer:tok-new");
            then.status(200).json_body(v1_success());
        })
        .await;
    let client = client(&server, ApiVersion::V1);

    let mut tasks = tokio::task::JoinSet::new();
    for id in 1..=100 {
        let client = client.clone();
        tasks.spawn(async move { client.delete_user(&id.to_string()).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }

    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    assert_eq!(accepted.calls_async().await, 100);
    let refusals = refused.calls_async().await;
    assert!((1..=100).contains(&refusals), "{refusals}");
}

#[tokio::test]
async fn a_second_refusal_after_renewal_is_final() {
    let server = MockServer::start_async().await;
    let first = token_mock_once(&server, "tok-1", 36000).await;
    let second = token_mock_once(&server, "tok-2", 36000).await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE").path("/api/1/users/7");
            then.status(401).json_body(auth_failure());
        })
        .await;

    let err = client(&server, ApiVersion::V1)
        .delete_user("7")
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.message(), "Authentication Failure");
    assert_eq!(err.attempts(), 2);
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    delete.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_wrong_secret_is_unauthenticated_after_exactly_one_token_request() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(401).json_body(auth_failure());
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(200).json_body(v1_success());
        })
        .await;

    let err = client(&server, ApiVersion::V1)
        .delete_user("42")
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
    assert_eq!(err.attempts(), 0, "no delete request was sent");
    assert!(!err.to_string().contains(SECRET));
    token.assert_calls_async(1).await;
    delete.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_rejected_secret_is_remembered_for_a_minute() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::default();
    let token = server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(401)
                .json_body(auth_failure())
                .delay(Duration::from_millis(100));
        })
        .await;
    let client = Client::new(config(&server, ApiVersion::V1), options_with_clock(&clock)).unwrap();

    // A bulk run with a wrong secret: twenty deletes, one token request.
    let mut tasks = tokio::task::JoinSet::new();
    for id in 1..=20 {
        let client = client.clone();
        tasks.spawn(async move { client.delete_user(&id.to_string()).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(
            result.unwrap().unwrap_err().kind(),
            ErrorKind::Unauthenticated
        );
    }
    token.assert_calls_async(1).await;

    // After a minute the client asks again.
    clock.advance(Duration::from_secs(61));
    let err = client.delete_user("21").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    token.assert_calls_async(2).await;
}

#[tokio::test]
async fn token_endpoint_errors_that_may_pass_are_retried() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(503).body("<html>busy</html>").up_to_n_times(1);
        })
        .await;
    let throttled = server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(429).up_to_n_times(1);
        })
        .await;
    let token = token_mock(&server, "tok-1").await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .header("authorization", "bearer:tok-1");
            then.status(200).json_body(v1_success());
        })
        .await;

    let receipt = client(&server, ApiVersion::V1)
        .delete_user("42")
        .await
        .unwrap();

    assert_eq!(
        receipt.attempts, 1,
        "token requests are not delete attempts"
    );
    unavailable.assert_calls_async(1).await;
    throttled.assert_calls_async(1).await;
    token.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
}

#[tokio::test]
async fn insufficient_permission_is_not_a_reason_to_renew() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "tok-1").await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(401).json_body(v1_status(
                401,
                "Unauthorized",
                json!("Insufficient Permission"),
            ));
        })
        .await;

    let err = client(&server, ApiVersion::V1)
        .delete_user("42")
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.attempts(), 1);
    token.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
}

#[tokio::test]
async fn no_token_endpoint_at_the_base_url_is_a_config_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(404).body("<html>Not Found</html>");
        })
        .await;

    let err = client(&server, ApiVersion::V1)
        .delete_user("42")
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn the_token_never_appears_in_debug_output() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-canary-value").await;
    server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(200).json_body(v1_success());
        })
        .await;
    let client = client(&server, ApiVersion::V1);
    client.delete_user("42").await.unwrap();

    for text in [format!("{client:?}"), format!("{client:#?}")] {
        assert!(!text.contains("tok-canary-value"), "{text}");
        assert!(!text.contains(SECRET), "{text}");
    }
}
