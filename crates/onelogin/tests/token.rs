//! The OAuth token source: its wire format and its error mapping. (Caching, single flight,
//! renewal and the memory of a refused secret are idp-core's, tested there.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use httpmock::MockServer;
use idp_core::ErrorKind;
use idp_onelogin::ApiVersion;
use serde_json::json;

fn auth_failure() -> serde_json::Value {
    v1_status(401, "Unauthorized", json!("Authentication Failure"))
}

#[tokio::test]
async fn the_token_request_and_the_bearer_header_have_the_documented_shape() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "tok-1").await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path("/api/1/users/42")
                .header("authorization", "bearer:tok-1");
            then.status(200).json_body(v1_success());
        })
        .await;
    let client = client(&server, ApiVersion::V1);

    client.delete_user("42").await.unwrap();
    client.delete_user("42").await.unwrap();

    token.assert_calls_async(1).await;
    delete.assert_calls_async(2).await;
}

#[tokio::test]
async fn an_authentication_failure_renews_the_token_once_and_resends_with_the_new_one() {
    for (version, refusal, success) in [
        (ApiVersion::V1, auth_failure(), 200),
        (
            ApiVersion::V2,
            v2_error(401, "Unauthorized", "Authentication Failure"),
            204,
        ),
    ] {
        let server = MockServer::start_async().await;
        let first = token_mock_once(&server, "tok-old").await;
        let second = token_mock_once(&server, "tok-new").await;
        let path = format!("/api/{}/users/7", version.as_str());
        let refused = server
            .mock_async(|when, then| {
                when.method("DELETE")
                    .path(&path)
                    .header("authorization", "bearer:tok-old");
                then.status(401).json_body(refusal.clone());
            })
            .await;
        let accepted = server
            .mock_async(|when, then| {
                when.method("DELETE")
                    .path(&path)
                    .header("authorization", "bearer:tok-new");
                then.status(success).json_body(v1_success());
            })
            .await;

        let receipt = client(&server, version).delete_user("7").await.unwrap();

        assert_eq!(receipt.attempts, 2, "{version}: both sends are counted");
        first.assert_calls_async(1).await;
        second.assert_calls_async(1).await;
        refused.assert_calls_async(1).await;
        accepted.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn a_second_refusal_after_renewal_is_final() {
    let server = MockServer::start_async().await;
    token_mock_once(&server, "tok-1").await;
    token_mock_once(&server, "tok-2").await;
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
    // OneLogin's message, with the core's note that the credential itself is refused.
    assert!(err.message().starts_with("Authentication Failure"), "{err}");
    assert_eq!(err.attempts(), 2);
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
    let client = client(&server, ApiVersion::V1);

    for id in ["42", "43"] {
        let err = client.delete_user(id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert_eq!(err.status(), Some(401));
        assert!(!err.is_retryable());
        assert_eq!(err.attempts(), 0, "no delete request was sent");
        assert!(!format!("{err} {err:?}").contains(SECRET));
    }
    token.assert_calls_async(1).await;
    delete.assert_calls_async(0).await;
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
async fn no_token_endpoint_at_the_base_url_is_a_config_error_never_absent() {
    for body in [
        "<html>Not Found</html>",
        "",
        r#"{"status":{"error":true,"code":404,"type":"not found","message":"User for id 1 was not found"}}"#,
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method("POST").path(TOKEN_PATH);
                then.status(404).body(body);
            })
            .await;

        let err = client(&server, ApiVersion::V1)
            .delete_user("42")
            .await
            .unwrap_err();

        assert_eq!(err.kind(), ErrorKind::Config, "{body}");
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.operation(), Some("token"));
        assert!(err.message().contains("ONELOGIN_BASE_URL"), "{err}");
    }
}

#[tokio::test]
async fn check_access_makes_one_token_request_and_nothing_else() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "tok-1").await;
    let others = server
        .mock_async(|when, then| {
            when.path_prefix("/api/");
            then.status(500);
        })
        .await;

    client(&server, ApiVersion::V2)
        .check_access()
        .await
        .unwrap();

    token.assert_calls_async(1).await;
    others.assert_calls_async(0).await;
}

#[tokio::test]
async fn check_access_with_a_wrong_secret_is_unauthenticated() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(401).json_body(auth_failure());
        })
        .await;

    let err = client(&server, ApiVersion::V1)
        .check_access()
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.vendor(), "onelogin");
    assert!(err.message().contains("Authentication Failure"), "{err}");
    token.assert_calls_async(1).await;
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
