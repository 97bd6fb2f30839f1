#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The one auth layer, over real loopback HTTP: single flight, exact invalidation with one
//! resend, refusals remembered, no endless renewals, lifetimes. Tested once here; vendor
//! crates test only their token source's wire format.

mod support;

use std::time::Duration;

use futures_util::future::{BoxFuture, join_all};
use httpmock::prelude::*;
use idp_core::transport::sensitive_header;
use idp_core::{Error, ErrorKind, Secret, Token, TokenSource, Transport, TransportOptions};
use serde::Deserialize;
use support::{ManualClock, TestApi, fast_options, manual_options};

/// A token endpoint at `POST {base}/token` answering `{"token", "lifetime"}`.
struct TestTokens {
    url: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: String,
    lifetime: u64,
}

impl TokenSource for TestTokens {
    fn fetch<'a>(&'a self, transport: &'a Transport) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            let sent = transport
                .send_anonymous(
                    "token",
                    |_| Ok(transport.http().post(&self.url)),
                    |response| response.json_sensitive::<TokenAnswer>(),
                )
                .await?;
            let answer = sent.value;
            Ok(Token::new(
                Secret::new(answer.token),
                Duration::from_secs(answer.lifetime),
            ))
        })
    }

    fn authorize(
        &self,
        request: idp_core::reqwest::RequestBuilder,
        token: &Secret,
    ) -> Result<idp_core::reqwest::RequestBuilder, Error> {
        Ok(request.header(
            "authorization",
            sensitive_header(&format!("Bearer {}", token.expose()))?,
        ))
    }
}

fn transport(server: &MockServer, options: TransportOptions) -> Transport {
    let tokens = TestTokens {
        url: server.url("/token"),
    };
    Transport::with_token_source(TestApi, options, tokens).unwrap()
}

async fn call(transport: &Transport, url: &str) -> Result<u32, Error> {
    transport
        .send(
            "delete_user",
            |_| Ok(transport.http().delete(url)),
            |_| Ok(()),
        )
        .await
        .map(|sent| sent.attempts)
}

fn token_body(token: &str, lifetime: u64) -> String {
    format!(r#"{{"token":"{token}","lifetime":{lifetime}}}"#)
}

#[tokio::test]
async fn a_hundred_concurrent_requests_share_one_token() {
    let server = MockServer::start_async().await;
    let tokens = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200)
                .body(token_body("t1", 3600))
                .delay(Duration::from_millis(50));
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.path("/u").header("authorization", "Bearer t1");
            then.status(204);
        })
        .await;
    let transport = transport(&server, fast_options());
    let url = server.url("/u");

    let results = join_all((0..100).map(|_| call(&transport, &url))).await;

    assert!(results.iter().all(|r| r.as_ref().is_ok_and(|&n| n == 1)));
    tokens.assert_calls_async(1).await;
    api.assert_calls_async(100).await;
}

#[tokio::test]
async fn a_hundred_concurrent_401s_lead_to_one_renewal_and_one_resend_each() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200).body(token_body("old", 3600));
        })
        .await;
    let refused = server
        .mock_async(|when, then| {
            when.path("/u").header("authorization", "Bearer old");
            then.status(401).delay(Duration::from_millis(20));
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.path("/u").header("authorization", "Bearer new");
            then.status(204);
        })
        .await;
    let transport = transport(&server, fast_options());
    // Everyone holds the old token before the first refusal.
    call(&transport, &server.url("/warm")).await.unwrap_err();
    first.delete_async().await;
    let renewal = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200).body(token_body("new", 3600));
        })
        .await;
    let url = server.url("/u");

    let results = join_all((0..100).map(|_| call(&transport, &url))).await;

    for result in &results {
        assert_eq!(result.as_ref().ok(), Some(&2), "{result:?}");
    }
    renewal.assert_calls_async(1).await;
    refused.assert_calls_async(100).await;
    accepted.assert_calls_async(100).await;
}

#[tokio::test]
async fn a_refused_secret_costs_one_token_request_per_window() {
    let server = MockServer::start_async().await;
    let tokens = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(401).body("bad client secret");
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(204);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(&server, manual_options(&clock));
    let url = server.url("/u");

    let concurrent = join_all((0..25).map(|_| call(&transport, &url))).await;
    let mut sequential = Vec::new();
    for _ in 0..25 {
        sequential.push(call(&transport, &url).await);
    }

    for err in concurrent
        .into_iter()
        .chain(sequential)
        .map(Result::unwrap_err)
    {
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert_eq!(err.operation(), Some("token"));
    }
    tokens.assert_calls_async(1).await;
    api.assert_calls_async(0).await;

    clock.advance(idp_core::auth::REJECTION_MEMORY + Duration::from_secs(1));
    call(&transport, &url).await.unwrap_err();
    tokens.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_renewed_token_refused_again_ends_renewals_for_the_run() {
    let server = MockServer::start_async().await;
    let tokens = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200).body(token_body("t", 3600));
        })
        .await;
    let api = server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(401);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(&server, manual_options(&clock));
    let url = server.url("/u");

    let first = call(&transport, &url).await.unwrap_err();
    assert_eq!(first.attempts(), 2);
    assert!(first.message().contains("no further renewal"), "{first}");
    let mut rest = Vec::new();
    for _ in 0..49 {
        rest.push(call(&transport, &url).await.unwrap_err());
    }

    tokens.assert_calls_async(2).await;
    api.assert_calls_async(2).await;
    for err in rest {
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert_eq!(err.attempts(), 0);
    }
}

#[tokio::test]
async fn short_lifetimes_are_read_as_a_minute_and_tokens_renew_before_expiry() {
    let server = MockServer::start_async().await;
    let tokens = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200).body(token_body("t", 0));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/u");
            then.status(204);
        })
        .await;
    let clock = ManualClock::default();
    let transport = transport(&server, manual_options(&clock));
    let url = server.url("/u");

    for _ in 0..10 {
        call(&transport, &url).await.unwrap();
    }
    tokens.assert_calls_async(1).await;

    // Renewed a margin before the (one-minute) expiry.
    clock.advance(Duration::from_secs(55));
    call(&transport, &url).await.unwrap();
    tokens.assert_calls_async(2).await;
}

#[tokio::test]
async fn waiters_share_a_failed_fetch_instead_of_repeating_it() {
    let server = MockServer::start_async().await;
    let tokens = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(500).delay(Duration::from_millis(20));
        })
        .await;
    let transport = transport(&server, fast_options());
    let url = server.url("/u");

    let results = join_all((0..20).map(|_| call(&transport, &url))).await;

    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::Server))
    );
    // One fetch with its retries (4 requests), not one per waiting call.
    tokens.assert_calls_async(4).await;
}
