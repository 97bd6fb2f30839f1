//! A server that quotes the credentials back (a gateway, a WAF, a debug-mode server): no
//! form of any credential reaches an error's `Display` or `Debug`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use httpmock::prelude::*;
use idp_aa_controlroom::Credentials;
use idp_core::test_util::fast_options;
use idp_core::{Error, Offboarder, UserQuery};
use serde_json::json;

const TOKEN: &str = "tok-CANARY-0123456789";

/// Every form of `secret` an echo could carry: raw, base64, `Bearer …`, and for the
/// configured secrets the Basic pair with the username (raw and base64).
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        format!("Bearer {secret}"),
    ];
    if secret != TOKEN {
        let pair = format!("{USERNAME}:{secret}");
        forms.push(format!("Basic {}", STANDARD.encode(&pair)));
        forms.push(STANDARD.encode(&pair));
        forms.push(pair);
    }
    forms
}

/// One text quoting every form of every secret.
fn echo(secrets: &[&str]) -> String {
    secrets
        .iter()
        .flat_map(|s| forms(s))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn assert_clean(err: &Error, secrets: &[&str]) {
    let printed = format!("{err} {err:?}");
    for secret in secrets {
        for form in forms(secret) {
            // The scheme words alone are harmless; the credential is what must go.
            let needle = form
                .trim_start_matches("Bearer ")
                .trim_start_matches("Basic ");
            assert!(!printed.contains(needle), "{needle:?} in {printed}");
        }
    }
    assert!(!printed.contains("CANARY"), "{printed}");
}

/// Answers `status` on everything matching `when`, quoting `secrets` in the message, the
/// details, the code and the request id.
async fn echoing<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    path: &str,
    status: u16,
    secrets: &[&str],
) -> httpmock::Mock<'a> {
    let text = echo(secrets);
    let request_id = secrets
        .first()
        .map(|s| STANDARD.encode(s))
        .unwrap_or_default();
    let code = secrets.first().copied().unwrap_or_default().to_owned();
    let path = path.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(method).path(path);
            then.status(status)
                .header("x-request-id", request_id)
                .json_body(json!({ "code": code, "details": text, "message": text }));
        })
        .await
}

#[tokio::test]
async fn a_refused_login_quoting_the_password_or_api_key_prints_none_of_it() {
    for (credentials, secret) in [
        (Credentials::password(USERNAME, PASSWORD), PASSWORD),
        (Credentials::api_key(USERNAME, API_KEY), API_KEY),
    ] {
        let server = MockServer::start_async().await;
        let _login = echoing(&server, POST, "/v1/authentication", 401, &[secret]).await;
        let client = client_with(&server, credentials, fast_options());

        let err = client.delete_user("15").await.unwrap_err();
        assert_clean(&err, &[secret]);
        let err = client.check_access().await.unwrap_err();
        assert_clean(&err, &[secret]);
    }
}

#[tokio::test]
async fn errors_quoting_the_live_token_print_none_of_it() {
    let server = MockServer::start_async().await;
    let _login = login(&server, TOKEN).await;
    let secrets = [TOKEN, API_KEY];
    let _delete = echoing(
        &server,
        DELETE,
        "/v1/usermanagement/users/15",
        403,
        &secrets,
    )
    .await;
    let _read = echoing(&server, GET, "/v1/usermanagement/users/15", 409, &secrets).await;
    let _list = echoing(
        &server,
        POST,
        "/v1/usermanagement/users/list",
        403,
        &secrets,
    )
    .await;
    let client = api_key_client(&server);

    assert_clean(&client.delete_user("15").await.unwrap_err(), &secrets);
    let account = account_of(&user(15, "jdoe", "jane@example.com"));
    assert_clean(&client.verify(&account).await.unwrap_err(), &secrets);
    let query = UserQuery::email("jane@example.com").unwrap();
    assert_clean(&client.find_users(&query).await.unwrap_err(), &secrets);
}

#[tokio::test]
async fn an_explicit_token_quoted_back_prints_none_of_it() {
    let server = MockServer::start_async().await;
    let _delete = echoing(
        &server,
        DELETE,
        "/v1/usermanagement/users/15",
        401,
        &[TOKEN],
    )
    .await;
    let client = client_with(&server, Credentials::token(TOKEN), fast_options());
    assert_clean(&client.delete_user("15").await.unwrap_err(), &[TOKEN]);
}

#[tokio::test]
async fn quoted_bodies_of_foreign_answers_print_no_credential() {
    // Answers whose body the error describes (a gateway 404, a 2xx that is not a delete).
    for status in [404u16, 200, 502] {
        let server = MockServer::start_async().await;
        let _login = login(&server, TOKEN).await;
        let text = echo(&[TOKEN, API_KEY]);
        let _delete = server
            .mock_async(move |when, then| {
                when.method(DELETE).path("/v1/usermanagement/users/15");
                then.status(status)
                    .header("content-type", "text/plain")
                    .body(text);
            })
            .await;
        let err = api_key_client(&server).delete_user("15").await.unwrap_err();
        assert_clean(&err, &[TOKEN, API_KEY]);
    }
}
