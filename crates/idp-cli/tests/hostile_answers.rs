#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Answers that once crashed or flooded a run: absurd wait headers, a long block, a 503 that
//! asks for a pause, a vendor failing every delete the same way, a refused token, a token
//! that says it lives for 0 seconds. Counted on the server: how many requests went out.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use httpmock::prelude::*;
use support::child::{Running, command};
use support::loopback::{Latch, Reply};
use support::onelogin::{
    delete_count, env, mock_token, not_found, stand_in, stand_in_with_token, status, success,
    token_body, token_count,
};
use support::{Run, idp};

fn ids(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|id| id.to_string()).collect()
}

fn delete(base_url: &str, ids: &[String], extra: &[&str]) -> Run {
    let mut args = vec!["delete", "onelogin", "--output", "json"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(extra);
    idp(&args, &env(base_url), "")
}

fn assert_no_panic(run: &Run) {
    assert_ne!(run.code, 101, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn an_absurd_retry_after_ms_on_a_404_is_no_panic() {
    let server = MockServer::start();
    mock_token(&server);
    server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/2");
        then.status(404)
            .header("Retry-After-Ms", "1e23")
            .json_body(not_found("2"));
    });
    let others = server.mock(|when, then| {
        when.method(DELETE).path_prefix("/api/1/users/");
        then.status(200).json_body(success());
    });
    let run = delete(&server.base_url(), &ids(1..=5), &["--concurrency", "1"]);
    assert_no_panic(&run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_ids("absent"), ["2"]);
    assert_eq!(run.json_ids("deleted"), ["1", "3", "4", "5"]);
    others.assert_calls(4);
}

#[test]
fn an_absurd_retry_after_ms_on_a_429_is_no_panic_and_the_run_goes_on() {
    let server = MockServer::start();
    mock_token(&server);
    let throttled = server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/3");
        then.status(429)
            .header("Retry-After-Ms", "1e23")
            .json_body(status(429, "Too many requests"));
    });
    server.mock(|when, then| {
        when.method(DELETE).path_prefix("/api/1/users/");
        then.status(200).json_body(success());
    });
    let run = delete(&server.base_url(), &ids(1..=6), &["--concurrency", "1"]);
    assert_no_panic(&run);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // Every id is reported: those before it deleted, it and those after it held back by a
    // block longer than any wait allowed.
    assert_eq!(run.json_lines().len(), 6, "{}", run.stdout);
    assert_eq!(run.json_ids("deleted"), ["1", "2"]);
    let blocked = run.json_line("3");
    assert_eq!(blocked["outcome"], "failed");
    assert_eq!(blocked["error"]["kind"], "rate_limited");
    throttled.assert_calls(1);
}

#[test]
fn a_long_block_fails_that_id_and_sends_nothing_more() {
    let server = MockServer::start();
    mock_token(&server);
    let deletes = server.mock(|when, then| {
        when.method(DELETE).path_prefix("/api/1/users/");
        then.status(429)
            .header("Retry-After", "900")
            .json_body(status(429, "Too many requests"));
    });
    let run = delete(&server.base_url(), &ids(1..=12), &["--concurrency", "4"]);
    assert_no_panic(&run);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 12, "{}", run.stdout);
    for line in &lines {
        assert_eq!(line["error"]["kind"], "rate_limited", "{line}");
    }
    // Only the deletes already on their way when the block was announced were sent.
    assert!(deletes.calls() <= 4, "{} deletes sent", deletes.calls());
    let unsent = lines.iter().filter(|l| l["attempts"] == 0).count();
    assert!(unsent >= 8, "{}", run.stdout);
}

#[test]
fn a_503_with_retry_after_holds_every_worker_back() {
    // The first delete is answered 503 "come back in 1 s"; the others are held until the
    // client has taken that in (it logs that it will retry), then answered at once.
    let latch = Latch::new();
    let first = AtomicUsize::new(0);
    let held = latch.clone();
    let server = stand_in(move |_, _| {
        if first.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::json(503, &status(503, "Service Unavailable"))
                .with_header("Retry-After", "1");
        }
        held.wait();
        Reply::json(200, &success())
    });
    let mut args = vec![
        "delete",
        "onelogin",
        "--concurrency",
        "4",
        "--output",
        "json",
        "-vv",
    ];
    let all = ids(1..=20);
    args.extend(all.iter().map(String::as_str));
    let running = Running::start(command(&args, &env(&server.url())), b"");
    assert!(
        running.wait_for_stderr("retrying", Duration::from_secs(20)),
        "{}",
        running.stderr()
    );
    let opened = Instant::now();
    latch.open();
    let run = running.finish();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_ids("deleted").len(), 20, "{}", run.stdout);
    let deletes = server.requests("DELETE", "/api/1/users/");
    assert_eq!(deletes.len(), 21);
    // Ids 1 to 4 were on their way before the 503 was known (their requests may reach the
    // server late on a busy machine); every later request, the retry of the throttled id
    // included, had to wait for the pause announced with the first answer to end.
    let throttled = deletes[0].target.clone();
    let announced = deletes[0].at;
    let first_batch: Vec<String> = (1..=4).map(|id| format!("/api/1/users/{id}")).collect();
    for (n, request) in deletes.iter().enumerate().skip(1) {
        let started_before = first_batch.contains(&request.target) && request.target != throttled;
        if !started_before {
            assert!(
                request.at >= announced + Duration::from_secs(1),
                "request {n} ({}) was sent during the pause",
                request.target
            );
        }
    }
    let before = deletes.iter().filter(|r| r.at < opened).count();
    assert!(
        (1..=4).contains(&before),
        "{before} deletes before the answers"
    );
}

#[test]
fn the_circuit_breaker_stops_a_run_whose_every_delete_fails_the_same_way() {
    for (concurrency, format) in [("1", "json"), ("4", "text")] {
        let server = MockServer::start();
        mock_token(&server);
        let deletes = server.mock(|when, then| {
            when.method(DELETE).path_prefix("/api/1/users/");
            then.status(503)
                .json_body(status(503, "Service Unavailable"));
        });
        let mut args = vec!["delete", "onelogin", "--max-retries", "0"];
        let all = ids(1..=50);
        args.extend(all.iter().map(String::as_str));
        args.extend(["--concurrency", concurrency, "--output", format]);
        let run = idp(&args, &env(&server.base_url()), "");
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("stopped after 20 consecutive ids failed"),
            "{}",
            run.stderr
        );
        if format == "json" {
            // One at a time: exactly the 20 that opened the breaker were sent.
            deletes.assert_calls(20);
            assert_eq!(run.json_ids("failed").len(), 20, "{}", run.stdout);
            let skipped: Vec<_> = run
                .json_lines()
                .into_iter()
                .filter(|l| l["outcome"] == "skipped")
                .collect();
            assert_eq!(skipped.len(), 30);
            for line in skipped {
                assert_eq!(line["error"]["kind"], "server", "{line}");
                assert_eq!(line["attempts"], 0, "{line}");
            }
        } else {
            // The ones in flight when it opened finish too.
            let sent = deletes.calls();
            assert!((20..=23).contains(&sent), "{sent} deletes sent");
            assert!(
                run.stdout
                    .contains(&format!("{sent} failed, {} skipped", 50 - sent)),
                "{}",
                run.stdout
            );
        }
    }
}

#[test]
fn a_401_storm_costs_at_most_two_token_requests() {
    let server = MockServer::start();
    let token = mock_token(&server);
    server.mock(|when, then| {
        when.method(DELETE).path_prefix("/api/1/users/");
        then.status(401)
            .json_body(status(401, "Authentication Failure"));
    });
    let run = delete(&server.base_url(), &ids(1..=50), &["--concurrency", "4"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 50, "{}", run.stdout);
    for line in &lines {
        assert_eq!(line["outcome"], "failed", "{line}");
        assert_eq!(line["error"]["kind"], "unauthenticated", "{line}");
    }
    assert!(token.calls() <= 2, "{} token requests", token.calls());
}

#[test]
fn a_token_said_to_live_0_seconds_is_not_fetched_for_every_delete() {
    let server = stand_in_with_token(token_body(0), |_, _| Reply::json(200, &success()));
    let run = delete(&server.url(), &ids(1..=20), &["--concurrency", "4"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_ids("deleted").len(), 20);
    let exchanges = server.exchanges();
    assert_eq!(delete_count(&exchanges), 20);
    assert_eq!(token_count(&exchanges), 1);
}
