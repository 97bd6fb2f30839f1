#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Each retry rule of the transport, over real loopback HTTP.

mod support;

use std::time::Duration;

use httpmock::prelude::*;
use idp_core::{ErrorKind, ManualClock, RetryPolicy};
use support::{delete, manual_options, transport};

#[tokio::test]
async fn retry_after_is_waited_exactly() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/users/1")
                .header("x-attempt", "1");
            then.status(429).header("retry-after", "7");
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/users/1")
                .header("x-attempt", "2");
            then.status(204);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));

    let sent = delete(&transport, &server.url("/users/1")).await.unwrap();

    assert_eq!(sent.attempts, 2);
    throttled.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_as_http_date_and_ms() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::default();
    let date = httpdate_in(&clock, 12);
    server
        .mock_async(|when, then| {
            when.path("/d").header("x-attempt", "1");
            then.status(503).header("retry-after", date.as_str());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/d").header("x-attempt", "2");
            then.status(429).header("retry-after-ms", "1500");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/d").header("x-attempt", "3");
            then.status(200);
        })
        .await;
    let transport = transport(manual_options(&clock));

    let sent = delete(&transport, &server.url("/d")).await.unwrap();

    assert_eq!(sent.attempts, 3);
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(12), Duration::from_millis(1500)]
    );
}

/// An HTTP date `seconds` from the clock's now; the clock is moved to a whole second first,
/// since HTTP dates have no fractions.
fn httpdate_in(clock: &ManualClock, seconds: u64) -> String {
    use idp_core::Clock;
    let since_epoch = clock.wall().duration_since(std::time::UNIX_EPOCH).unwrap();
    clock.advance(
        Duration::from_secs(1) - Duration::from_nanos(u64::from(since_epoch.subsec_nanos())),
    );
    httpdate::fmt_http_date(clock.wall() + Duration::from_secs(seconds))
}

#[tokio::test]
async fn server_error_then_success() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(500).up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));

    let sent = delete(&transport, &server.url("/u")).await.unwrap();

    assert_eq!(sent.attempts, 2);
    failing.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(100)]);
}

#[tokio::test]
async fn every_retryable_status_is_retried_and_attempts_are_bounded() {
    for status in [408u16, 429, 500, 502, 503, 504] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.path("/u");
                then.status(status);
            })
            .await;
        let clock = ManualClock::default();
        let transport = transport(manual_options(&clock));

        let err = delete(&transport, &server.url("/u")).await.unwrap_err();

        assert_eq!(err.status(), Some(status));
        assert_eq!(err.attempts(), 4, "status {status}");
        mock.assert_calls_async(4).await;
        // Exponential: 100 ms, 200 ms, 400 ms (jitter off).
        assert_eq!(
            clock.sleeps(),
            vec![
                Duration::from_millis(100),
                Duration::from_millis(200),
                Duration::from_millis(400)
            ],
            "status {status}"
        );
    }
}

#[tokio::test]
async fn other_client_errors_are_never_retried() {
    for status in [400u16, 401, 403, 404, 405, 409, 422] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.path("/u");
                then.status(status);
            })
            .await;
        let clock = ManualClock::default();
        let transport = transport(manual_options(&clock));

        let err = delete(&transport, &server.url("/u")).await.unwrap_err();

        assert_eq!(err.kind(), ErrorKind::from_status(status));
        assert_eq!(err.attempts(), 1);
        mock.assert_calls_async(1).await;
        assert!(clock.sleeps().is_empty());
    }
}

#[tokio::test]
async fn max_retries_is_configurable() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(503);
        })
        .await;
    let clock = ManualClock::default();
    let options = manual_options(&clock).with_max_retries(1);
    let err = delete(&transport(options), &server.url("/u"))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 2);
    mock.assert_calls_async(2).await;

    let options = manual_options(&clock).with_retry(RetryPolicy::none());
    let err = delete(&transport(options), &server.url("/u"))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.kind(), ErrorKind::Server);
}

#[tokio::test]
async fn a_wait_longer_than_the_ceiling_is_not_waited() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(429).header("retry-after", "3600");
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));

    let err = delete(&transport, &server.url("/u")).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    mock.assert_calls_async(1).await;
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn cloudflare_five_minute_block_is_waited_out_by_default() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(429)
                .header("retry-after", "300")
                .up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));

    let sent = delete(&transport, &server.url("/u")).await.unwrap();

    assert_eq!(sent.attempts, 2);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(300)]);
}
