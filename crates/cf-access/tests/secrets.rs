#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A server that echoes the credential back, in every field an error has, never gets it
//! printed: not in an error's `Display` or `Debug`, its code, request id, or the envelope
//! kept as its source.

mod support;

use std::error::Error as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use httpmock::prelude::*;
use idp_cf_access::{ApiFailure, Auth, Client};
use idp_core::{Offboarder, UserDeleter, UserQuery};
use support::*;

/// Every form a server could quote a credential in.
fn forms(secret: &str) -> Vec<String> {
    vec![
        secret.to_owned(),
        format!("Bearer {secret}"),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
    ]
}

/// Answers that quote `echo` in every field: `(status, content type, body)`.
fn echoing(echo: &str, raw: &str) -> Vec<(u16, &'static str, String)> {
    let envelope = |code: i64| {
        serde_json::json!({
            "success": false,
            "errors": [{
                "code": code,
                "message": format!("request carried {echo}"),
                "documentation_url": format!("https://example.com/{raw}"),
                "source": {"pointer": raw},
                "error_chain": [{"code": 6111, "message": echo}],
            }],
            "messages": [{"code": 1000, "message": echo}],
            "result": {"echo": echo},
        })
        .to_string()
    };
    let string_code = serde_json::json!({
        "success": false,
        "errors": [{"code": raw, "message": echo}],
    })
    .to_string();
    vec![
        (400, "application/json", envelope(1000)),
        (403, "application/json", envelope(10000)),
        (404, "application/json", envelope(1000)),
        (400, "application/json", string_code),
        (502, "text/html", format!("<html>echo {echo}</html>")),
        (404, "text/plain", format!("no route; you sent {echo}")),
        (200, "text/plain", format!("OK {echo}")),
        // The credential where a body snippet is cut (120 characters in).
        (404, "text/plain", format!("{}{raw}", "x".repeat(110))),
        (500, "text/plain", format!("{}{raw}", "y".repeat(115))),
    ]
}

async fn assert_nothing_leaks(auth: Auth, secret: &str) {
    let echo = forms(secret).join(" | ");
    for (status, content_type, body) in echoing(&echo, secret) {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.any_request();
                then.status(status)
                    .header("content-type", content_type)
                    .header("cf-ray", secret)
                    .body(body.clone());
            })
            .await;
        let clock = ManualClock::default();
        let client = Client::new(
            config(&server, auth.clone()),
            manual_options(&clock).with_max_retries(0),
        )
        .unwrap();
        let query = UserQuery::email(PERSON).unwrap();
        let errors = [
            client.delete_user(USER).await.unwrap_err(),
            client.revoke_sessions(PERSON).await.unwrap_err(),
            client.check_access().await.unwrap_err(),
            client.find_users(&query).await.unwrap_err(),
            client.user_presence(USER).await.unwrap_err(),
        ];
        for err in errors {
            let mut printed = format!(
                "{err}\n{err:?}\n{:?}\n{:?}\n{}",
                err.code(),
                err.request_id(),
                err.message()
            );
            if let Some(failure) = err.source().and_then(|s| s.downcast_ref::<ApiFailure>()) {
                printed.push_str(&format!("\n{failure}\n{failure:?}"));
            }
            for form in forms(secret) {
                assert!(
                    !printed.contains(&form),
                    "HTTP {status} {body:?}: {form:?} printed in\n{printed}"
                );
            }
            assert!(!printed.contains("canary"), "HTTP {status}: {printed}");
        }
    }
}

#[tokio::test]
async fn an_echoed_api_token_is_never_printed() {
    assert_nothing_leaks(Auth::api_token(TOKEN), TOKEN).await;
}

#[tokio::test]
async fn an_echoed_global_key_is_never_printed() {
    assert_nothing_leaks(Auth::global(EMAIL, KEY), KEY).await;
}
