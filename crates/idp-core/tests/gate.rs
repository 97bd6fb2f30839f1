#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The back-off gate: when one request is told to wait, every request of the client waits.

mod support;

use std::time::{Duration, Instant};

use httpmock::prelude::*;
use idp_core::transport::Clock;
use idp_core::{RetryPolicy, TransportOptions};
use support::{ManualClock, delete, manual_options, transport};

#[tokio::test]
async fn a_429_makes_the_next_request_wait_for_retry_after() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/throttled");
            then.status(429).header("retry-after", "9");
        })
        .await;
    let other = server
        .mock_async(|when, then| {
            when.path("/other");
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock).with_retry(RetryPolicy::none()));

    // This request does not retry, but it still tells the whole client to back off.
    delete(&transport, &server.url("/throttled"))
        .await
        .unwrap_err();
    let closed_at = clock.now();
    delete(&transport, &server.url("/other")).await.unwrap();

    assert_eq!(clock.sleeps(), vec![Duration::from_secs(9)]);
    assert!(clock.now() >= closed_at + Duration::from_secs(9));
    other.assert_calls_async(1).await;
}

#[tokio::test]
async fn concurrent_requests_wait_behind_a_real_retry_after() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.path("/t");
            then.status(429).header("retry-after", "1").up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/t");
            then.status(200);
        })
        .await;
    let slow_ok = server
        .mock_async(|when, then| {
            when.path("/later");
            then.status(200);
        })
        .await;
    let transport = transport(
        TransportOptions::default()
            .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1))),
    );

    let started = Instant::now();
    let first_url = server.url("/t");
    let first = delete(&transport, &first_url);
    let second = async {
        // Starts after the 429 has closed the gate.
        while throttled.calls_async().await == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let sent = delete(&transport, &server.url("/later")).await;
        (sent, started.elapsed())
    };
    let (first, (second, second_done)) = tokio::join!(first, second);

    assert_eq!(first.unwrap().attempts, 2);
    second.unwrap();
    // The second request was held until the one-second window had passed.
    assert!(second_done >= Duration::from_secs(1), "{second_done:?}");
    slow_ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_503_with_retry_after_holds_back_the_other_requests_too() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/busy");
            then.status(503).header("retry-after", "5");
        })
        .await;
    let other = server
        .mock_async(|when, then| {
            when.path("/other");
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock).with_retry(RetryPolicy::none()));

    delete(&transport, &server.url("/busy")).await.unwrap_err();
    delete(&transport, &server.url("/other")).await.unwrap();

    assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)]);
    other.assert_calls_async(1).await;
}

#[tokio::test]
async fn requests_behind_a_block_past_the_ceiling_fail_without_sending() {
    let server = MockServer::start_async().await;
    let blocked = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(429).header("retry-after", "900");
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));

    let first = delete(&transport, &server.url("/u")).await.unwrap_err();
    assert_eq!(first.attempts(), 1);
    let mut later = Vec::new();
    for _ in 0..50 {
        later.push(delete(&transport, &server.url("/u")).await.unwrap_err());
    }

    blocked.assert_calls_async(1).await;
    for err in later {
        assert_eq!(err.kind(), idp_core::ErrorKind::RateLimited);
        assert_eq!(err.attempts(), 0);
    }
    // After the announced block the gate opens again.
    clock.advance(Duration::from_secs(901));
    delete(&transport, &server.url("/u")).await.unwrap_err();
    blocked.assert_calls_async(2).await;
}
