//! No credential leaves through a side door: a server that quotes every credential form in
//! every error field, configuration mix-ups, debug output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use httpmock::MockServer;
use idp_core::{Error, ErrorKind, Offboarder, TransportOptions, UserDeleter};
use idp_onelogin::{
    ApiVersion, Client, Config, ENV_API_VERSION, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
};
use serde_json::json;

const TOKEN: &str = "tok-canary-7f3a";

/// Every form a credential of this client can take on the wire or in an echo (the token's
/// once one was issued).
fn canaries(token_issued: bool) -> Vec<String> {
    let pair = format!("{CLIENT_ID}:{SECRET}");
    let mut forms = vec![
        SECRET.to_owned(),
        STANDARD.encode(SECRET),
        URL_SAFE_NO_PAD.encode(SECRET),
        STANDARD.encode(&pair),
        pair,
    ];
    if token_issued {
        forms.extend([TOKEN.to_owned(), STANDARD.encode(TOKEN)]);
    }
    forms
}

/// A message quoting every form, as an echoing gateway or debug server would.
fn echo() -> String {
    format!(
        "denied: Authorization: {} / bearer:{TOKEN} / Bearer {TOKEN} / pair {}:{SECRET} / raw \
         {SECRET} / {} / {}",
        basic(),
        CLIENT_ID,
        STANDARD.encode(SECRET),
        STANDARD.encode(TOKEN),
    )
}

fn assert_clean(err: &Error, token_issued: bool) {
    let printed = format!("{err} {err:?} {:?} {:?}", err.code(), err.request_id());
    for canary in canaries(token_issued) {
        assert!(!printed.contains(&canary), "{canary:?} in {printed}");
    }
}

#[tokio::test]
async fn an_echoing_token_endpoint_prints_no_credential() {
    for (status, body) in [
        (
            400,
            json!({"message": echo(), "name": SECRET, "statusCode": 400}),
        ),
        (
            401,
            json!({"status": {"error": true, "code": 401, "type": "Unauthorized", "message": echo()}}),
        ),
        (
            500,
            json!({"message": echo(), "name": STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")), "statusCode": 500}),
        ),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method("POST").path(TOKEN_PATH);
                then.status(status)
                    .header(
                        "x-request-id",
                        STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")),
                    )
                    .json_body(body.clone());
            })
            .await;
        let client = client(&server, ApiVersion::V2);

        let err = client.check_access().await.unwrap_err();
        assert!(err.message().contains("[REDACTED]"), "{err}");
        assert_clean(&err, false);
        assert_clean(&client.delete_user("5").await.unwrap_err(), false);
    }
}

#[tokio::test]
async fn an_echoing_api_prints_no_credential_on_any_call() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method("POST").path(TOKEN_PATH);
                then.status(200).json_body(token_body(TOKEN, 36000));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.path_prefix("/api/");
                then.status(403)
                    .header("x-request-id", SECRET)
                    .json_body(json!({
                        "status": {"error": true, "code": 403, "type": TOKEN, "message": echo()},
                        "message": echo(), "name": TOKEN, "statusCode": 403
                    }));
            })
            .await;
        let client = client(&server, version);

        let errors = [
            client.delete_user("5").await.unwrap_err(),
            client.logout_user("5").await.unwrap_err(),
            client.user_presence("5").await.unwrap_err(),
            client
                .find_users(&email("jane@example.com"))
                .await
                .unwrap_err(),
        ];
        for err in &errors {
            assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
            assert_clean(err, true);
        }
        assert!(
            Offboarder::find_users(&client, &email("jane@example.com"))
                .await
                .is_err()
        );
    }
}

#[test]
fn configuration_errors_never_quote_a_secret() {
    let env = |pairs: &[(&str, String)]| {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |name: &str| map.get(name).cloned()
    };
    let long = "x".repeat(80);
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIE".to_owned();
    // A secret (or a PEM, or a long value) pasted into a URL or version variable.
    for wrong in [
        SECRET.to_owned(),
        format!("https://{SECRET}.onelogin.com/api/1"),
        pem.clone(),
        long.clone(),
    ] {
        let vars = [
            (ENV_CLIENT_ID, CLIENT_ID.to_owned()),
            (ENV_CLIENT_SECRET, SECRET.to_owned()),
            (ENV_BASE_URL, wrong.clone()),
        ];
        let err = Config::from_lookup(env(&vars))
            .and_then(|config| Client::new(config, TransportOptions::default()))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let printed = format!("{err} {err:?}");
        assert!(printed.contains(ENV_BASE_URL), "{printed}");
        for needle in [SECRET, "BEGIN", long.as_str()] {
            assert!(!printed.contains(needle), "{needle} in {printed}");
        }

        let vars = [
            (ENV_CLIENT_ID, CLIENT_ID.to_owned()),
            (ENV_CLIENT_SECRET, SECRET.to_owned()),
            (ENV_BASE_URL, "https://acme.onelogin.com".to_owned()),
            (ENV_API_VERSION, wrong),
        ];
        let err = Config::from_lookup(env(&vars)).unwrap_err();
        let printed = format!("{err} {err:?}");
        assert!(printed.contains(ENV_API_VERSION), "{printed}");
        for needle in [SECRET, "BEGIN", long.as_str()] {
            assert!(!printed.contains(needle), "{needle} in {printed}");
        }
    }
}

#[test]
fn debug_output_never_shows_the_secret() {
    let config = Config::new("https://acme.onelogin.com", CLIENT_ID, SECRET);
    let client = Client::new(config.clone(), TransportOptions::default()).unwrap();
    for text in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
    ] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("acme.onelogin.com"), "{text}");
    }
    let pasted = Config::new(
        format!("https://acme.onelogin.com/{SECRET}"),
        CLIENT_ID,
        SECRET,
    );
    assert!(!format!("{pasted:?}").contains(SECRET));
    assert_eq!(UserDeleter::vendor(&client), "onelogin");
}
