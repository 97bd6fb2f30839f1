#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Each retry rule of the transport, over real loopback HTTP.

mod support;

use std::time::Duration;

use httpmock::prelude::*;
use idp_core::{ErrorKind, RetryPolicy};
use support::{ManualClock, delete, manual_options, transport};

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
    use idp_core::transport::Clock;
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
async fn other_statuses_are_never_retried() {
    // 501 and 505 are server errors that no retry can fix.
    for status in [400u16, 401, 403, 404, 405, 409, 422, 501, 505] {
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
    assert!(err.message().contains("longer than"), "{err}");
    mock.assert_calls_async(1).await;
    assert!(clock.sleeps().is_empty());

    // The vendor announced an hour-long block: the gate stays closed for it, and the next
    // call fails at once without sending anything into the block.
    let err = delete(&transport, &server.url("/u")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.attempts(), 0);
    assert!(err.message().contains("not sent"), "{err}");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_deadline_stops_retries_that_would_outlast_it() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(503);
        })
        .await;
    let clock = ManualClock::default();
    // Back-offs of 100, 200, 400 ms: the third would pass a 250 ms deadline.
    let options = manual_options(&clock).with_deadline(Duration::from_millis(250));

    let err = delete(&transport(options), &server.url("/u"))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 2);
    assert!(err.message().contains("deadline"), "{err}");
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_spent_retry_budget_fails_fast_and_successes_refill_it() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            when.path("/fail");
            then.status(500);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.path("/ok");
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    // Ten tokens: two retries in all, across every call of the client.
    let transport = transport(manual_options(&clock).with_retry_budget(10));

    let first = delete(&transport, &server.url("/fail")).await.unwrap_err();
    assert_eq!(first.attempts(), 3);
    assert!(first.message().contains("retry budget"), "{first}");
    let second = delete(&transport, &server.url("/fail")).await.unwrap_err();
    assert_eq!(second.attempts(), 1);
    failing.assert_calls_async(4).await;

    for _ in 0..5 {
        delete(&transport, &server.url("/ok")).await.unwrap();
    }
    ok.assert_calls_async(5).await;
    let third = delete(&transport, &server.url("/fail")).await.unwrap_err();
    assert_eq!(third.attempts(), 2, "five successes paid for one retry");
}

#[tokio::test]
async fn throttling_waits_behind_the_gate_without_spending_the_budget() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(429).header("retry-after", "2").up_to_n_times(3);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock).with_retry_budget(0));

    let sent = delete(&transport, &server.url("/u")).await.unwrap();

    assert_eq!(sent.attempts, 4);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(2); 3]);
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
