//! Deleting users: v1 and v2 paths and bodies, every documented status, id validation,
//! retries and rate limits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use httpmock::MockServer;
use idp_core::test_util::{ManualClock, fast_options, manual_options};
use idp_core::{DeleteOutcome, ErrorKind, RetryPolicy, UserDeleter, delete_many};
use idp_onelogin::{ApiVersion, RateLimit, VENDOR};
use serde_json::{Value, json};

#[tokio::test]
async fn v1_deletes_and_reads_the_success_envelope() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path("/api/1/users/123456")
                .header("authorization", "bearer:tok-1")
                .header_includes("user-agent", "idp-onelogin/");
            then.status(200)
                .header("x-request-id", "req-9")
                .json_body(v1_success());
        })
        .await;

    let receipt = client(&server, ApiVersion::V1)
        .delete_user("123456")
        .await
        .unwrap();

    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.request_id.as_deref(), Some("req-9"));
    delete.assert_calls_async(1).await;
}

#[tokio::test]
async fn v2_deletes_with_a_204() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "tok-1").await;
    let delete = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path("/api/2/users/123456")
                .header("authorization", "bearer:tok-1");
            then.status(204);
        })
        .await;

    let client = client(&server, ApiVersion::V2);
    assert_eq!(client.api_version(), ApiVersion::V2);
    let receipt = client.delete_user("123456").await.unwrap();

    assert_eq!(receipt.attempts, 1);
    token.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
}

/// Mocks `DELETE /api/{version}/users/{n}` answering `status` with `body`, one id per case.
async fn run_cases(version: ApiVersion, cases: &[(u16, Value, ErrorKind, &str)]) {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let mut mocks = Vec::new();
    for (n, (status, body, _, _)) in cases.iter().enumerate() {
        let path = format!("/api/{}/users/{}", version.as_str(), n + 1);
        let mock = server
            .mock_async(|when, then| {
                when.method("DELETE").path(path);
                then.status(*status).json_body(body.clone());
            })
            .await;
        mocks.push(mock);
    }
    // No retries: each mapping is seen after exactly one request.
    let client = client_with(
        &server,
        version,
        fast_options().with_retry(RetryPolicy::none()),
    );

    for (n, (status, _, kind, message)) in cases.iter().enumerate() {
        let err = client.delete_user(&(n + 1).to_string()).await.unwrap_err();
        assert_eq!(err.kind(), *kind, "{version} HTTP {status}: {err}");
        assert_eq!(err.status(), Some(*status), "{version}: {err}");
        assert_eq!(err.message(), *message, "{version}: {err}");
        assert_eq!(err.vendor(), VENDOR);
        assert_eq!(err.operation(), Some("delete_user"));
        mocks[n].assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn every_v1_status_maps_as_documented() {
    let cases = [
        (
            400,
            v1_status(
                400,
                "bad request",
                json!("Authorization Information is incorrect"),
            ),
            ErrorKind::Protocol,
            "Authorization Information is incorrect",
        ),
        (
            400,
            v1_status(
                400,
                "bad request",
                json!({"attribute": "id", "description": "ID is incorrect"}),
            ),
            ErrorKind::InvalidInput,
            "id: ID is incorrect",
        ),
        (
            401,
            v1_status(401, "Unauthorized", json!("Insufficient Permission")),
            ErrorKind::PermissionDenied,
            "Insufficient Permission",
        ),
        (
            403,
            v1_status(
                403,
                "forbidden",
                json!("user is not authorized to access this User"),
            ),
            ErrorKind::PermissionDenied,
            "user is not authorized to access this User",
        ),
        (
            404,
            v1_status(404, "not found", json!("User for id 222222 was not found")),
            ErrorKind::NotFound,
            "User for id 222222 was not found",
        ),
        (
            429,
            v1_status(429, "too many requests", json!("Rate limit exceeded")),
            ErrorKind::RateLimited,
            "Rate limit exceeded",
        ),
        (
            500,
            v1_status(500, "internal server error", json!("Internal Server Error")),
            ErrorKind::Server,
            "Internal Server Error",
        ),
        (
            503,
            v1_status(503, "service unavailable", json!("Service Unavailable")),
            ErrorKind::Server,
            "Service Unavailable",
        ),
    ];
    run_cases(ApiVersion::V1, &cases).await;
}

#[tokio::test]
async fn every_v2_status_maps_as_documented() {
    let cases = [
        (
            400,
            v2_error(400, "BadRequest", "Authorization Information is incorrect"),
            ErrorKind::Protocol,
            "Authorization Information is incorrect",
        ),
        (
            400,
            v2_error(400, "BadRequest", "Validation Failed"),
            ErrorKind::InvalidInput,
            "Validation Failed",
        ),
        (
            401,
            v2_error(401, "Unauthorized", "Insufficient Permission"),
            ErrorKind::PermissionDenied,
            "Insufficient Permission",
        ),
        (
            403,
            v2_error(403, "Forbidden", "Forbidden"),
            ErrorKind::PermissionDenied,
            "Forbidden",
        ),
        (
            404,
            v2_error(404, "NotFound", "User for id 5 was not found"),
            ErrorKind::NotFound,
            "User for id 5 was not found",
        ),
        (
            429,
            v2_error(429, "TooManyRequests", "Too Many Requests"),
            ErrorKind::RateLimited,
            "Too Many Requests",
        ),
        (
            500,
            v2_error(500, "InternalServerError", "Internal Server Error"),
            ErrorKind::Server,
            "Internal Server Error",
        ),
    ];
    run_cases(ApiVersion::V2, &cases).await;
}

#[tokio::test]
async fn ids_that_are_not_positive_integers_send_nothing() {
    let server = MockServer::start_async().await;
    let anything = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server, ApiVersion::V1);

    for bad in [
        "",
        "abc",
        "0",
        "-1",
        "+1",
        "1.5",
        " 12",
        "12 ",
        "1e3",
        "../1",
        "12/34",
        "99999999999999999999",
        "\u{feff}12",
        "1\u{200b}2",
        "1\u{00ad}2",
        "12  # left",
        "12,John Doe,2026-11-30",
        "12;John",
        "\"12\"",
        "user_id",
        "jane@example.com",
        "-",
    ] {
        let err = UserDeleter::validate_user_id(&client, bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        let err = client.delete_user(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.attempts(), 0);
        assert_eq!(err.vendor(), VENDOR);
        assert!(err.message().contains("user_id"), "{err}");
    }
    assert!(client.validate_user_id("123456").is_ok());
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_token() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "tok-1").await;
    let failing = server
        .mock_async(|when, then| {
            when.method("DELETE").path("/api/1/users/8");
            then.status(502)
                .body("<html>bad gateway</html>")
                .up_to_n_times(2);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method("DELETE")
                .path("/api/1/users/8")
                .header("authorization", "bearer:tok-1");
            then.status(200).json_body(v1_success());
        })
        .await;

    let receipt = client(&server, ApiVersion::V1)
        .delete_user("8")
        .await
        .unwrap();

    assert_eq!(receipt.attempts, 3);
    failing.assert_calls_async(2).await;
    ok.assert_calls_async(1).await;
    token.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_501_is_not_retried() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let failing = server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(501)
                .json_body(v1_status(501, "x", json!("Not Implemented")));
        })
        .await;

    let err = client(&server, ApiVersion::V1)
        .delete_user("8")
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 1);
    failing.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_429_waits_until_the_rate_limit_resets() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::default();
    token_mock(&server, "tok-1").await;
    let throttled = server
        .mock_async(|when, then| {
            when.method("DELETE").path("/api/1/users/9");
            then.status(429)
                .header("x-ratelimit-limit", "5000")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", "7")
                .json_body(v1_status(
                    429,
                    "too many requests",
                    json!("Rate limit exceeded"),
                ))
                .up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method("DELETE").path("/api/1/users/9");
            then.status(200)
                .header("x-ratelimit-limit", "5000")
                .header("x-ratelimit-remaining", "4999")
                .header("x-ratelimit-reset", "3600")
                .json_body(v1_success());
        })
        .await;
    let client = client_with(&server, ApiVersion::V1, manual_options(&clock));
    assert_eq!(client.rate_limit(), None);

    let receipt = client.delete_user("9").await.unwrap();

    assert_eq!(receipt.attempts, 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    throttled.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
    let limit: RateLimit = client.rate_limit().unwrap();
    assert_eq!(limit.limit, Some(5000));
    assert_eq!(limit.remaining, Some(4999));
    assert_eq!(limit.reset, Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn retry_after_wins_over_the_rate_limit_reset() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::default();
    token_mock(&server, "tok-1").await;
    server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(429)
                .header("retry-after", "2")
                .header("x-ratelimit-reset", "7")
                .up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(200).json_body(v1_success());
        })
        .await;
    let client = client_with(&server, ApiVersion::V1, manual_options(&clock));

    client.delete_user("9").await.unwrap();

    assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn a_reset_beyond_the_retry_ceiling_is_returned_not_waited() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::default();
    token_mock(&server, "tok-1").await;
    let throttled = server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(429).header("x-ratelimit-reset", "3000");
        })
        .await;
    let client = client_with(&server, ApiVersion::V1, manual_options(&clock));

    let err = client.delete_user("9").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3000)));
    assert_eq!(err.attempts(), 1);
    assert!(clock.sleeps().is_empty());
    throttled.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_low_remaining_budget_spreads_the_next_requests_until_the_reset() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::default();
    token_mock(&server, "tok-1").await;
    let deletes = server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(200)
                .header("x-ratelimit-remaining", "3")
                .header("x-ratelimit-reset", "40")
                .json_body(v1_success());
        })
        .await;
    let client = client_with(&server, ApiVersion::V1, manual_options(&clock));

    for id in ["1", "2", "3"] {
        client.delete_user(id).await.unwrap();
    }

    // 3 left for 40 s: one request every 10 s instead of all at once.
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(10); 2]);
    deletes.assert_calls_async(3).await;
}

#[tokio::test]
async fn a_success_status_with_an_error_envelope_is_an_error() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    server
        .mock_async(|when, then| {
            when.method("DELETE");
            then.status(200).json_body(v1_not_found(9));
        })
        .await;

    let err = client(&server, ApiVersion::V1)
        .delete_user("9")
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn bulk_deletes_report_deleted_and_absent() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "tok-1").await;
    server
        .mock_async(|when, then| {
            when.method("DELETE").path("/api/1/users/404");
            then.status(404).json_body(v1_not_found(404));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method("DELETE").path_prefix("/api/1/users/");
            then.status(200).json_body(v1_success());
        })
        .await;
    let client = client(&server, ApiVersion::V1);

    let ids: Vec<String> = ["1", "2", "404", "x"].map(String::from).to_vec();
    let mut reports: Vec<_> = delete_many(&client, ids, 4).collect().await;
    reports.sort_by(|a, b| a.user_id.cmp(&b.user_id));

    let outcomes: Vec<_> = reports
        .iter()
        .map(|r| r.outcome.as_ref().map_err(|e| e.kind()).copied())
        .collect();
    assert_eq!(
        outcomes,
        vec![
            Ok(DeleteOutcome::Deleted),
            Ok(DeleteOutcome::Deleted),
            Ok(DeleteOutcome::Absent),
            Err(ErrorKind::InvalidInput),
        ]
    );
    token.assert_calls_async(1).await;
}
