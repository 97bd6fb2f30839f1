#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Transport safety rules over real loopback HTTP: redirects, body cap, timeouts, dropped
//! connections, plain http.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use httpmock::prelude::*;
use idp_core::{ErrorKind, RetryPolicy, TransportOptions};
use support::{ManualClock, delete, manual_options, transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn redirects_are_refused_and_not_followed() {
    let elsewhere = MockServer::start_async().await;
    let target = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let server = MockServer::start_async().await;
    for status in [301u16, 302, 303, 307, 308] {
        let location = elsewhere.url("/steal");
        let redirect = server
            .mock_async(|when, then| {
                when.path(format!("/r{status}"));
                then.status(status).header("location", location.as_str());
            })
            .await;
        let clock = ManualClock::default();
        let err = delete(
            &transport(manual_options(&clock)),
            &server.url(format!("/r{status}")),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{status}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.attempts(), 1);
        assert!(err.message().contains("redirect"), "{err}");
        redirect.assert_calls_async(1).await;
    }
    target.assert_calls_async(0).await;
}

/// A server that answers every request with `200` and a `Content-Length` of 200 MB, then
/// streams zeros for as long as the client reads; it counts what it managed to write.
async fn huge_body_server(written: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let written = written.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let total: u64 = 200 * 1024 * 1024;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {total}\r\n\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0u64;
                while sent < total {
                    if socket.write_all(&chunk).await.is_err() {
                        break;
                    }
                    sent += chunk.len() as u64;
                    written.store(sent, Ordering::SeqCst);
                }
            });
        }
    });
    format!("http://{addr}/big")
}

#[tokio::test]
async fn a_200_mb_body_is_capped() {
    let written = Arc::new(AtomicU64::new(0));
    let url = huge_body_server(written.clone()).await;
    let transport = transport(TransportOptions::default().with_max_body_bytes(64 * 1024));

    let sent = transport
        .send(
            "get",
            |_| Ok(transport.http().get(&url)),
            |response| Ok((response.body.len(), response.truncated)),
        )
        .await
        .unwrap();

    assert_eq!(sent.value, (64 * 1024, true));
    // The client stopped reading: the server could not push anywhere near 200 MB.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(written.load(Ordering::SeqCst) < 50 * 1024 * 1024);
}

#[tokio::test]
async fn the_attempt_timeout_fires_and_is_retried() {
    let server = MockServer::start_async().await;
    let slow = server
        .mock_async(|when, then| {
            when.path("/slow");
            then.status(200).delay(Duration::from_secs(5));
        })
        .await;
    let options = TransportOptions::default()
        .with_attempt_timeout(Duration::from_millis(200))
        .with_retry(
            RetryPolicy::default()
                .with_max_retries(1)
                .with_initial_backoff(Duration::from_millis(1)),
        );

    let err = delete(&transport(options), &server.url("/slow"))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.attempts(), 2);
    slow.assert_calls_async(2).await;
}

/// A server that accepts connections and closes them without a word, counting them.
async fn dropping_server(accepted: Arc<AtomicU64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            accepted.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            drop(socket);
        }
    });
    format!("http://{addr}/u")
}

#[tokio::test]
async fn a_dropped_connection_is_a_retried_transport_error() {
    let accepted = Arc::new(AtomicU64::new(0));
    let url = dropping_server(accepted.clone()).await;
    let clock = ManualClock::default();

    let err = delete(&transport(manual_options(&clock)), &url)
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.attempts(), 4);
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    // Bind then drop, so the port is (almost certainly) closed.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let clock = ManualClock::default();
    let err = delete(
        &transport(manual_options(&clock)),
        &format!("http://127.0.0.1:{port}/u"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.message().contains("could not connect"), "{err}");
    // The cause, not just "client error (Connect)".
    assert!(err.message().contains("Connection refused"), "{err}");
    assert!(format!("{err:?}").contains("Caused by"), "{err:?}");
}

#[tokio::test]
async fn absurd_wait_hints_never_panic() {
    let server = MockServer::start_async().await;
    for (path, status) in [("/nf", 404u16), ("/tm", 429), ("/un", 503)] {
        server
            .mock_async(|when, then| {
                when.path(path);
                then.status(status)
                    .header("retry-after-ms", "1e23")
                    .header("retry-after", "99999999999999999999");
            })
            .await;
    }
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));
    for path in ["/nf", "/tm", "/un"] {
        let err = delete(&transport, &server.url(path)).await.unwrap_err();
        assert!(err.attempts() <= 1, "{path}: {err}");
    }
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn credentials_echoed_by_a_server_are_scrubbed_from_every_error_field() {
    let canary = "canary-secret-4d1f";
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/echo");
            then.status(400)
                .header("x-request-id", canary)
                .header("x-code", format!("E.{canary}"))
                .body(format!("your token {canary} is bad"));
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));
    transport.scrubber().add(&idp_core::Secret::new(canary));

    let err = delete(&transport, &server.url("/echo")).await.unwrap_err();

    let printed = format!("{err} {err:?} {:?} {:?}", err.code(), err.request_id());
    assert!(!printed.contains(canary), "{printed}");
    assert!(err.message().contains("[REDACTED]"), "{err}");
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_sending() {
    let transport = transport(TransportOptions::default());
    let err = delete(&transport, "http://idp-test.invalid/users/1")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.attempts(), 0);
    assert!(err.message().contains("https"), "{err}");
    let err = transport.base_url("http://cr.example.com").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn user_agent_names_the_crate_and_version() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.header(
                "user-agent",
                format!("idp-core-tests/0 idp-core/{}", env!("CARGO_PKG_VERSION")),
            );
            then.status(200);
        })
        .await;
    let clock = ManualClock::default();
    delete(&transport(manual_options(&clock)), &server.url("/u"))
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn html_error_pages_give_a_clean_protocol_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(200)
                .header("content-type", "text/html")
                .body("<html><body>502 Bad Gateway</body></html>");
        })
        .await;
    let transport = transport(TransportOptions::default());
    let err = transport
        .send(
            "delete_user",
            |_| Ok(transport.http().delete(server.url("/u"))),
            |response| response.json::<serde_json::Value>(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("text/html"), "{err}");
    assert!(err.message().contains("502 Bad Gateway"), "{err}");
}

#[tokio::test]
async fn an_interrupt_ends_the_back_off_and_starts_no_new_attempt() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(503);
        })
        .await;
    let interrupt = idp_core::Interrupt::new();
    let options = TransportOptions::default()
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_secs(600)))
        .with_interrupt(interrupt.clone());
    let transport = transport(options);
    let url = server.url("/u");
    let call = delete(&transport, &url);
    let stop = async {
        while mock.calls_async().await == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        interrupt.request();
    };

    let (result, ()) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(call, stop) })
            .await
            .expect("the interrupt ended the 10-minute back-off");

    let err = result.unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(err.message().contains("interrupted"), "{err}");
    let after = delete(&transport, &url).await.unwrap_err();
    assert_eq!(after.kind(), ErrorKind::Interrupted);
    assert_eq!(after.attempts(), 0);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_credential_cut_by_a_message_clip_leaves_no_part_behind() {
    let canary = "canary-token-0123456789abcdefghijklmnopqrstuvwxyz";
    // The test vendor quotes the whole body; a describe_body clip at 120 characters would cut
    // the canary in half if the body were not scrubbed before parsing.
    let body = format!("{}{canary}", "x".repeat(100));
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/ok");
            then.status(200).body(body.as_str());
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(manual_options(&clock));
    transport.scrubber().add(&idp_core::Secret::new(canary));

    let err = transport
        .send(
            "delete_user",
            |_| Ok(transport.http().delete(server.url("/ok"))),
            |response| Err::<(), _>(response.unconfirmed_success("the delete")),
        )
        .await
        .unwrap_err();

    let printed = format!("{err} {err:?}");
    assert!(!printed.contains(&canary[..12]), "{printed}");
}
