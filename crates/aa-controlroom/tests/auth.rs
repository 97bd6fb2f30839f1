//! The login as a token source: its wire format, its error mapping, renewal timing, explicit
//! tokens, logout and the dry-run check. (Caching, single flight and the 401 mechanics are
//! idp-core's and tested there.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use idp_aa_controlroom::{Client, Config, Credentials, TOKEN_RENEW_AFTER};
use idp_core::ErrorKind;
use idp_core::test_util::{ManualClock, fast_options};
use serde_json::json;

#[tokio::test]
async fn password_login_sends_username_and_password() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/authentication")
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .json_body(json!({ "username": USERNAME, "password": PASSWORD }));
            then.status(200)
                .json_body(json!({ "token": "tok-pw", "user": {} }));
        })
        .await;
    let delete = delete(&server, 15, "tok-pw", 204, json!(null)).await;
    let unexpected = catch_all(&server).await;

    let client = client_with(
        &server,
        Credentials::password(USERNAME, PASSWORD),
        fast_options(),
    );
    let receipt = client.delete_user("15").await.unwrap();

    assert_eq!(receipt.attempts, 1);
    login.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn api_key_login_sends_username_and_api_key_and_the_token_goes_in_x_authorization() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok-key").await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v1/usermanagement/users/15")
                .header("x-authorization", "tok-key")
                .header_missing("authorization");
            then.status(200).json_body(json!({ "id": 15 }));
        })
        .await;
    let unexpected = catch_all(&server).await;

    api_key_client(&server).delete_user("15").await.unwrap();

    login.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn secrets_and_usernames_from_the_environment_are_sent_trimmed() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/authentication")
                .json_body(json!({ "username": USERNAME, "password": PASSWORD }));
            then.status(200).json_body(json!({ "token": "tok" }));
        })
        .await;
    let _delete = delete(&server, 15, "tok", 204, json!(null)).await;
    let unexpected = catch_all(&server).await;

    let url = server.base_url();
    let config = Config::from_lookup(|name| match name {
        "AA_CONTROL_ROOM_URL" => Some(format!(" {url}\n")),
        "AA_USERNAME" => Some(format!("{USERNAME}\n")),
        "AA_PASSWORD" => Some(format!("{PASSWORD}\r\n")),
        _ => None,
    })
    .unwrap();
    Client::new(config, fast_options())
        .unwrap()
        .delete_user("15")
        .await
        .unwrap();

    login.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_401_logs_in_once_more_and_resends_with_the_new_token() {
    let server = MockServer::start_async().await;
    let first_login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(200)
                .json_body(json!({ "token": "tok-old" }))
                .up_to_n_times(1);
        })
        .await;
    let second_login = login(&server, "tok-new").await;
    let refused = delete(
        &server,
        15,
        "tok-old",
        401,
        error_body(
            "UM1117",
            "Access token expected in the 'X-Authorization' header",
        ),
    )
    .await;
    let accepted = delete(&server, 15, "tok-new", 200, json!({ "id": 15 })).await;
    let unexpected = catch_all(&server).await;

    let receipt = api_key_client(&server).delete_user("15").await.unwrap();

    assert_eq!(
        receipt.attempts, 2,
        "two delete requests, logins not counted"
    );
    first_login.assert_calls_async(1).await;
    second_login.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
    accepted.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_second_401_after_the_new_login_is_unauthenticated() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok").await;
    let refused = delete(&server, 15, "tok", 401, error_body("UM1117", "no")).await;
    let unexpected = catch_all(&server).await;

    let err = api_key_client(&server).delete_user("15").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("UM1117"));
    assert_eq!(err.attempts(), 2);
    login.assert_calls_async(2).await;
    refused.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_bad_password_is_unauthenticated_after_exactly_one_login() {
    let server = MockServer::start_async().await;
    let login = refused_login(&server).await;
    let unexpected = catch_all(&server).await;

    let client = client_with(
        &server,
        Credentials::password(USERNAME, "wrong"),
        fast_options(),
    );
    let err = client.delete_user("15").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.code(), Some("UM1103"));
    assert_eq!(err.message(), "Invalid credentials");
    assert_eq!(err.operation(), Some("login"));
    // A second delete in the same run does not try the password again (lockout).
    let again = client.delete_user("16").await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Unauthenticated);
    login.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_explicit_token_is_sent_as_is_and_never_renewed() {
    let server = MockServer::start_async().await;
    let accepted = delete(&server, 15, "given-token", 204, json!(null)).await;
    let refused = delete(
        &server,
        16,
        "given-token",
        401,
        error_body("UM1118", "expired"),
    )
    .await;
    let unexpected = catch_all(&server).await;

    let client = client_with(&server, Credentials::token("given-token"), fast_options());
    client.delete_user("15").await.unwrap();
    let err = client.delete_user("16").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.attempts(), 1);
    accepted.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
    // No login, and no logout of the caller's token.
    client.logout().await.unwrap();
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_token_is_renewed_after_fifteen_minutes() {
    let server = MockServer::start_async().await;
    let first_login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(200)
                .json_body(json!({ "token": "tok-1" }))
                .up_to_n_times(1);
        })
        .await;
    let second_login = login(&server, "tok-2").await;
    let with_first = delete_any(&server, "tok-1").await;
    let with_second = delete_any(&server, "tok-2").await;
    let unexpected = catch_all(&server).await;

    let clock = ManualClock::default();
    let client = client_with(
        &server,
        Credentials::api_key(USERNAME, API_KEY),
        fast_options().with_clock(Arc::new(clock.clone())),
    );

    client.delete_user("1").await.unwrap();
    clock.advance(TOKEN_RENEW_AFTER - Duration::from_secs(60));
    client.delete_user("2").await.unwrap();
    first_login.assert_calls_async(1).await;
    second_login.assert_calls_async(0).await;

    clock.advance(Duration::from_secs(120));
    client.delete_user("3").await.unwrap();

    first_login.assert_calls_async(1).await;
    second_login.assert_calls_async(1).await;
    with_first.assert_calls_async(2).await;
    with_second.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn logout_sends_the_cached_token_and_the_next_delete_logs_in_again() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok").await;
    let deletes = delete_any(&server, "tok").await;
    let logout = logout(&server, "tok").await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    // Nothing cached yet: nothing to log out.
    client.logout().await.unwrap();
    logout.assert_calls_async(0).await;

    client.delete_user("1").await.unwrap();
    client.logout().await.unwrap();
    logout.assert_calls_async(1).await;
    // Already logged out: no second request.
    client.logout().await.unwrap();
    logout.assert_calls_async(1).await;

    client.delete_user("2").await.unwrap();
    login.assert_calls_async(2).await;
    deletes.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn logout_of_an_expired_token_is_fine_and_a_failing_logout_is_an_error() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _deletes = delete_any(&server, "tok").await;
    let expired = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication/logout");
            then.status(401).json_body(error_body("UM1118", "expired"));
        })
        .await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    client.delete_user("1").await.unwrap();
    client.logout().await.unwrap();
    expired.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;

    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _deletes = delete_any(&server, "tok").await;
    let missing = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication/logout");
            then.status(404).body("Not Found");
        })
        .await;
    let client = api_key_client(&server);
    client.delete_user("1").await.unwrap();
    let err = client.logout().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("logout"));
    missing.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_missing_login_path_names_the_url_and_api_version_variables() {
    let server = MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(404).body("Not Found");
        })
        .await;
    let unexpected = catch_all(&server).await;

    let err = api_key_client(&server).delete_user("15").await.unwrap_err();

    // Was `Config`; a wrong URL or API version is now a failed call (exit 1), never a missing
    // user.
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("AA_CONTROL_ROOM_URL"), "{err}");
    assert!(err.message().contains("AA_API_VERSION"), "{err}");
    login.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_failing_login_is_retried_and_a_tokenless_answer_is_a_protocol_error() {
    for status in [429u16, 503] {
        let server = MockServer::start_async().await;
        let failing = server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/authentication");
                then.status(status).up_to_n_times(1);
            })
            .await;
        let login = login(&server, "tok").await;
        let deletes = delete_any(&server, "tok").await;
        let unexpected = catch_all(&server).await;

        api_key_client(&server).delete_user("15").await.unwrap();
        failing.assert_calls_async(1).await;
        login.assert_calls_async(1).await;
        deletes.assert_calls_async(1).await;
        unexpected.assert_calls_async(0).await;
    }

    let server = MockServer::start_async().await;
    let tokenless = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(200).json_body(json!({ "user": {} }));
        })
        .await;
    let unexpected = catch_all(&server).await;
    let err = api_key_client(&server).delete_user("15").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    tokenless.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_dropped_login_connection_is_retried() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok").await;
    let deletes = delete_any(&server, "tok").await;
    let unexpected = catch_all(&server).await;
    let (url, dropped) = dropping_proxy(&server, "POST /v1/authentication ", 1).await;

    let client = client_at(
        &url,
        Credentials::api_key(USERNAME, API_KEY),
        fast_options(),
    );
    client.delete_user("15").await.unwrap();

    assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 1);
    login.assert_calls_async(1).await;
    deletes.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn check_access_logs_in_and_logs_that_token_out_at_once() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok-check").await;
    let logout = logout(&server, "tok-check").await;
    let unexpected = catch_all(&server).await;

    api_key_client(&server).check_access().await.unwrap();

    login.assert_calls_async(1).await;
    logout.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn check_access_with_a_wrong_password_is_unauthenticated() {
    let server = MockServer::start_async().await;
    let login = refused_login(&server).await;
    let unexpected = catch_all(&server).await;

    let client = client_with(
        &server,
        Credentials::password(USERNAME, "wrong"),
        fast_options(),
    );
    let err = client.check_access().await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    login.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn check_access_with_an_explicit_token_lists_one_user() {
    let server = MockServer::start_async().await;
    let probe = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/usermanagement/users/list")
                .header("x-authorization", "given")
                .json_body(json!({ "page": { "offset": 0, "length": 1 } }));
            then.status(200)
                .json_body(json!({ "page": { "offset": 0, "total": 9 }, "list": [{ "id": 1 }] }));
        })
        .await;
    let unexpected = catch_all(&server).await;
    client_with(&server, Credentials::token("given"), fast_options())
        .check_access()
        .await
        .unwrap();
    probe.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;

    let server = MockServer::start_async().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/usermanagement/users/list");
            then.status(401).json_body(error_body("UM1118", "expired"));
        })
        .await;
    let err = client_with(&server, Credentials::token("given"), fast_options())
        .check_access()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    refused.assert_calls_async(1).await;
}

#[tokio::test]
async fn clones_share_one_token() {
    let server = MockServer::start_async().await;
    let login = login(&server, "tok").await;
    let deletes = delete_any(&server, "tok").await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    let clone = client.clone();
    client.delete_user("1").await.unwrap();
    clone.delete_user("2").await.unwrap();

    login.assert_calls_async(1).await;
    deletes.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}
