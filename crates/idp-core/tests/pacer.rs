#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The pacer over real loopback HTTP: one budget for every request of a client, whatever the
//! operation, shared by concurrent workers.

mod support;

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use httpmock::prelude::*;
use idp_core::{Rate, RateSetting};
use support::{ManualClock, delete, fast_options, manual_options, transport};

fn rate(requests: u32, per: Duration) -> RateSetting {
    RateSetting::Custom(Rate::new(requests, per).unwrap())
}

#[tokio::test]
async fn every_operation_takes_from_the_same_rolling_window() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock).with_rate(rate(3, Duration::from_secs(10))));

    for i in 0..7 {
        // Two different operations (paths) share the budget.
        let path = if i % 2 == 0 { "/lookup" } else { "/delete" };
        delete(&transport, &server.url(path)).await.unwrap();
    }

    // Three at once, then each window lets the next three through.
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(10), Duration::from_secs(10)]
    );
}

#[tokio::test]
async fn concurrent_workers_share_one_budget() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    // 5 per 200 ms: 20 requests need at least three more windows after the first.
    let transport = transport(fast_options().with_rate(rate(5, Duration::from_millis(200))));
    let url = server.url("/u");
    let started = Instant::now();

    let results = join_all((0..20).map(|_| delete(&transport, &url))).await;

    assert!(results.iter().all(Result::is_ok));
    mock.assert_calls_async(20).await;
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}
