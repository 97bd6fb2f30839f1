#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `delete_user` against a loopback mock of the Cloudflare API.

mod support;

use std::error::Error as _;
use std::time::{Duration, Instant};

use httpmock::prelude::*;
use idp_cf_access::{ApiFailure, Auth, Client, VENDOR};
use idp_core::{DeleteOutcome, ErrorKind, RetryPolicy, TransportOptions};
use support::*;

#[tokio::test]
async fn api_token_sends_exactly_the_bearer_header() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(user_path(USER))
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", "application/json")
                .header_missing("x-auth-key")
                .header_missing("x-auth-email")
                .is_true(|req| {
                    req.headers()
                        .get("user-agent")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|ua| ua.starts_with("idp-cf-access/"))
                });
            then.status(200)
                .header("content-type", "application/json")
                .header("cf-ray", RAY)
                .body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    let receipt = client.delete_user(USER).await.unwrap();

    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.request_id.as_deref(), Some(RAY));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn global_key_sends_exactly_the_email_and_key_headers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(user_path(USER))
                .header("x-auth-email", EMAIL)
                .header("x-auth-key", KEY)
                .header_missing("authorization");
            then.status(200).header("cf-ray", RAY).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = Client::new(
        config(&server, Auth::global(EMAIL, KEY)),
        manual_options(&clock),
    )
    .unwrap();

    let receipt = client.delete_user(USER).await.unwrap();

    assert_eq!(receipt.request_id.as_deref(), Some(RAY));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn success_returns_the_envelope_too() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(200).body(
                r#"{"success":true,"errors":[],"messages":[{"code":1000,"message":"seats revoked"}],"result":{"id":"f174e90a-fafe-4643-bbbc-4a0ed4fc8415"}}"#,
            );
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    let deletion = client.delete_user_with_envelope(USER).await.unwrap();

    assert!(deletion.envelope.success);
    assert_eq!(deletion.envelope.messages[0].message, "seats revoked");
    assert_eq!(deletion.envelope.messages[0].code, Some(1000));
    assert_eq!(
        deletion.envelope.result,
        Some(serde_json::json!({"id": USER}))
    );
    assert_eq!(deletion.receipt.request_id, None);
}

#[tokio::test]
async fn cloudflares_user_not_found_is_strict_and_maps_to_absent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(404)
                .header("cf-ray", RAY)
                .body(failure(1001, "User not found"));
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    let err = client.delete_user(USER).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.vendor(), VENDOR);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("1001"));
    assert_eq!(err.message(), "User not found");
    assert_eq!(err.request_id(), Some(RAY));
    assert_eq!(err.attempts(), 1);
    assert!(!err.is_retryable());
    assert_eq!(
        DeleteOutcome::from_result(client.delete_user(USER).await).unwrap(),
        DeleteOutcome::Absent
    );
    mock.assert_calls_async(2).await;
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn forbidden_with_10000_is_unauthenticated_and_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(403)
                .header("cf-ray", RAY)
                .body(failure(10000, "Authentication error"));
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    let err = client.delete_user(USER).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("10000"));
    assert_eq!(err.message(), "Authentication error");
    assert_eq!(err.request_id(), Some(RAY));
    assert!(!err.to_string().contains(TOKEN));
    assert!(!format!("{err:?}").contains(TOKEN));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn forbidden_with_another_code_is_permission_denied() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(403)
                .body(failure(9109, "Unauthorized to access requested resource"));
        })
        .await;
    let clock = ManualClock::default();
    let err = token_client(&server, &clock)
        .delete_user(USER)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.code(), Some("9109"));
}

#[tokio::test]
async fn status_401_and_409_and_400() {
    for (status, code, kind) in [
        (401, 1000, ErrorKind::Unauthenticated),
        (409, 1000, ErrorKind::Conflict),
        (400, 1000, ErrorKind::InvalidInput),
    ] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status).body(failure(code, "no"));
            })
            .await;
        let clock = ManualClock::default();
        let err = token_client(&server, &clock)
            .delete_user(USER)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "HTTP {status}");
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn route_errors_are_protocol_never_not_found() {
    for (status, code, message) in [
        (
            400,
            7003,
            "Could not route to /accounts/x/access/users/y, perhaps your object identifier is invalid?",
        ),
        (404, 7003, "Could not route to …"),
        (404, 7000, "No route for that URI"),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status).body(failure(code, message));
            })
            .await;
        let clock = ManualClock::default();
        let result = token_client(&server, &clock).delete_user(USER).await;
        let err = DeleteOutcome::from_result(result).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "HTTP {status} code {code}");
        assert_eq!(err.code(), Some(code.to_string().as_str()));
        assert!(err.message().contains("check the account id"), "{err}");
    }
}

#[tokio::test]
async fn two_hundred_with_success_false_is_not_success() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).body(failure(1002, "something odd"));
        })
        .await;
    let clock = ManualClock::default();
    let err = token_client(&server, &clock)
        .delete_user(USER)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.code(), Some("1002"));
}

#[tokio::test]
async fn every_message_is_kept_and_the_envelope_is_the_source() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(400).body(
                r#"{"success":false,"errors":[{"code":1003,"message":"Invalid account","documentation_url":"https://developers.cloudflare.com/x","source":{"pointer":"/account_id"}},{"code":1004,"message":"Also this"}],"messages":[]}"#,
            );
        })
        .await;
    let clock = ManualClock::default();
    let err = token_client(&server, &clock)
        .delete_user(USER)
        .await
        .unwrap_err();

    assert_eq!(err.code(), Some("1003"));
    assert_eq!(
        err.message(),
        "Invalid account (code 1003); Also this (code 1004)"
    );
    let failure = err
        .source()
        .and_then(|s| s.downcast_ref::<ApiFailure>())
        .unwrap();
    let first = &failure.envelope.errors[0];
    assert_eq!(
        first.documentation_url.as_deref(),
        Some("https://developers.cloudflare.com/x")
    );
    assert_eq!(
        first.source.as_ref().unwrap().pointer.as_deref(),
        Some("/account_id")
    );
}

#[tokio::test]
async fn rate_limit_retry_after_is_waited_then_success() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(429)
                .header("retry-after", "7")
                .header("cf-ray", "ray-429")
                .body(failure(
                    971,
                    "Please wait and consider throttling your request speed",
                ))
                .up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            // The credentials are sent again on the retry.
            when.method(DELETE)
                .path(user_path(USER))
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200).header("cf-ray", RAY).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    let receipt = client.delete_user(USER).await.unwrap();

    assert_eq!(receipt.attempts, 2);
    assert_eq!(receipt.request_id.as_deref(), Some(RAY));
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    throttled.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_five_minute_block_is_waited_out_with_default_retry_policy() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(429)
                .header("retry-after", "300")
                .body(failure(10013, "Rate limited"))
                .up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    // Default policy (no faster back-off): only the clock is manual.
    let options = TransportOptions::default().with_clock(std::sync::Arc::new(clock.clone()));
    let client = Client::new(config(&server, Auth::api_token(TOKEN)), options).unwrap();

    let receipt = client.delete_user(USER).await.unwrap();

    assert_eq!(receipt.attempts, 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(300)]);
}

#[tokio::test]
async fn a_real_retry_after_of_one_second_is_honoured() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(429).header("retry-after", "1").up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).body(OK_BODY);
        })
        .await;
    let options = TransportOptions::default()
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)));
    let client = Client::new(config(&server, Auth::api_token(TOKEN)), options).unwrap();

    let started = Instant::now();
    let receipt = client.delete_user(USER).await.unwrap();

    assert_eq!(receipt.attempts, 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn persistent_rate_limit_gives_up_with_the_hint() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(429)
                .header("retry-after", "2")
                .body(failure(10013, "Rate limited"));
        })
        .await;
    let clock = ManualClock::default();
    let client = Client::new(
        config(&server, Auth::api_token(TOKEN)),
        manual_options(&clock).with_max_retries(2),
    )
    .unwrap();

    let err = client.delete_user(USER).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(err.attempts(), 3);
    mock.assert_calls_async(3).await;
}

#[tokio::test]
async fn server_error_then_success() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(503)
                .body(failure(1000, "Service unavailable"))
                .up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();

    let receipt = token_client(&server, &clock)
        .delete_user(USER)
        .await
        .unwrap();

    assert_eq!(receipt.attempts, 2);
    failing.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
    // The first back-off of the test options.
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(100)]);
}

const EDGE_502: &str = "<!DOCTYPE html>\n<html><head><title>api.cloudflare.com | 502: Bad gateway</title></head>\n<body><h1>Bad gateway</h1><p>Cloudflare Ray ID: 8f2c1d0e9a7b6c5d</p></body></html>";

#[tokio::test]
async fn html_502_page_is_a_clean_server_error_after_retries() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(502)
                .header("content-type", "text/html; charset=UTF-8")
                .header("cf-ray", RAY)
                .body(EDGE_502);
        })
        .await;
    let clock = ManualClock::default();

    let err = token_client(&server, &clock)
        .delete_user(USER)
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.code(), None);
    assert_eq!(err.request_id(), Some(RAY));
    assert_eq!(err.attempts(), 4);
    assert!(
        err.message().contains("not a Cloudflare API envelope"),
        "{err}"
    );
    assert!(err.message().contains("text/html"), "{err}");
    assert!(err.message().contains("Bad gateway"), "{err}");
    mock.assert_calls_async(4).await;
}

#[tokio::test]
async fn html_502_page_then_success() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(502)
                .header("content-type", "text/html")
                .body(EDGE_502)
                .up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let receipt = token_client(&server, &clock)
        .delete_user(USER)
        .await
        .unwrap();
    assert_eq!(receipt.attempts, 2);
}

#[tokio::test]
async fn truncated_json_is_a_protocol_error_not_a_success() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"success": true, "errors": [{"code": 10"#);
        })
        .await;
    let clock = ManualClock::default();

    let err = token_client(&server, &clock)
        .delete_user(USER)
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.status(), Some(200));
    assert!(err.message().contains("is not confirmed"), "{err}");
    assert!(err.source().is_some());
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_body_cut_at_the_size_cap_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    let padding = "x".repeat(4096);
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(200).body(format!(
                r#"{{"success":true,"errors":[],"messages":[{{"code":1000,"message":"{padding}"}}]}}"#
            ));
        })
        .await;
    let clock = ManualClock::default();
    let client = Client::new(
        config(&server, Auth::api_token(TOKEN)),
        manual_options(&clock).with_max_body_bytes(256),
    )
    .unwrap();

    let err = client.delete_user(USER).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("cut at the size cap"), "{err}");
}

#[tokio::test]
async fn html_404_is_not_taken_as_absent() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(404)
                .header("content-type", "text/html")
                .body("<html><body>Not Found</body></html>");
        })
        .await;
    let clock = ManualClock::default();
    let result = token_client(&server, &clock).delete_user(USER).await;
    let err = DeleteOutcome::from_result(result).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("check the base URL"), "{err}");
    assert!(err.message().contains("CLOUDFLARE_BASE_URL"), "{err}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let target = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(OK_BODY);
        })
        .await;
    let url = elsewhere.url("/steal");
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(307).header("location", url.as_str());
        })
        .await;
    let clock = ManualClock::default();
    let client = Client::new(
        config(&server, Auth::global(EMAIL, KEY)),
        manual_options(&clock),
    )
    .unwrap();

    let err = client.delete_user(USER).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    mock.assert_calls_async(1).await;
    target.assert_calls_async(0).await;
}
