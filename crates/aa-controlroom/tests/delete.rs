//! Deleting: paths, headers, the typed record, 204, id validation, error mapping, retries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use httpmock::prelude::*;
use idp_aa_controlroom::{ApiVersion, Client, Config, Credentials, VENDOR};
use idp_core::test_util::{ManualClock, fast_options};
use idp_core::{DeleteOutcome, ErrorKind, UserDeleter};
use serde_json::json;

fn documented_record() -> serde_json::Value {
    json!({
        "id": 15, "email": "aa@aa.com", "username": "docbotusermd4",
        "domain": "ActiveDirectory (LDAP)", "firstName": "AAMHD4", "lastName": "AAMHD5",
        "version": 0, "principalId": 15, "deleted": false,
        "roles": [{ "id": 2, "name": "AAE_Basic", "version": 0 }],
        "sysAssignedRoles": [], "groupNames": [], "permissions": [], "licenseFeatures": [],
        "emailVerified": true, "passwordSet": false, "questionsSet": false,
        "enableAutoLogin": true, "disabled": false, "clientRegistered": false,
        "description": "Created a user for running bots", "createdBy": 1,
        "createdOn": "2019-11-18T20:48:04Z", "updatedBy": 1,
        "updatedOn": "2019-11-18T20:48:04Z", "publicKey": null, "appType": null,
        "routingName": null, "appUrl": null,
        "someFieldFromANewerRelease": { "nested": true }
    })
}

#[tokio::test]
async fn the_typed_record_is_returned_and_the_request_is_well_formed() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v1/usermanagement/users/15")
                .header("x-authorization", "tok")
                .header("accept", "application/json")
                .header_missing("authorization")
                .header_prefix("user-agent", "idp-aa-controlroom/");
            then.status(200).json_body(documented_record());
        })
        .await;
    let unexpected = catch_all(&server).await;

    let user = api_key_client(&server)
        .delete_user_record("15")
        .await
        .unwrap()
        .expect("a record");

    assert_eq!(user.id, 15);
    assert_eq!(user.username.as_deref(), Some("docbotusermd4"));
    assert_eq!(user.email.as_deref(), Some("aa@aa.com"));
    assert_eq!(user.first_name.as_deref(), Some("AAMHD4"));
    assert_eq!(user.last_name.as_deref(), Some("AAMHD5"));
    assert_eq!(user.domain.as_deref(), Some("ActiveDirectory (LDAP)"));
    assert_eq!(user.roles.len(), 1);
    assert_eq!(user.roles[0].name.as_deref(), Some("AAE_Basic"));
    assert_eq!(user.disabled, Some(false));
    assert_eq!(
        user.other.get("someFieldFromANewerRelease"),
        Some(&json!({ "nested": true }))
    );
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_receipt_counts_requests_and_keeps_a_request_id() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/usermanagement/users/15");
            then.status(200)
                .header("x-request-id", "req-42")
                .json_body(documented_record());
        })
        .await;
    let unexpected = catch_all(&server).await;

    let receipt = api_key_client(&server).delete_user("15").await.unwrap();

    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.request_id.as_deref(), Some("req-42"));
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_204_without_a_body_is_accepted() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path_prefix("/v1/usermanagement/users/");
            then.status(204);
        })
        .await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    assert_eq!(client.delete_user_record("15").await.unwrap(), None);
    assert_eq!(client.delete_user("16").await.unwrap().attempts, 1);
    delete.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_record_with_the_id_but_odd_fields_is_an_accepted_delete() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/usermanagement/users/15");
            then.status(200)
                .json_body(json!({ "id": 15, "roles": "not a list" }));
        })
        .await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    // The plain delete needs only the id back.
    client.delete_user("15").await.unwrap();
    let err = client.delete_user_record("15").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("accepted the delete"), "{err}");
    assert_eq!(err.vendor(), VENDOR);
    delete.assert_calls_async(2).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn v1_paths_by_default() {
    let server = MockServer::start_async().await;
    let login = login_at(&server, "/v1/authentication", "tok").await;
    let delete = delete(&server, 7, "tok", 204, json!(null)).await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    assert_eq!(client.api_version(), ApiVersion::V1);
    client.delete_user("7").await.unwrap();

    login.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn v2_paths_when_selected() {
    let server = MockServer::start_async().await;
    let login = login_at(&server, "/v2/authentication", "tok").await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v2/usermanagement/users/7")
                .header("x-authorization", "tok");
            then.status(200)
                .json_body(json!({ "id": 7, "username": "u7" }));
        })
        .await;
    let logout = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/authentication/logout")
                .json_body(json!({ "token": "tok" }));
            then.status(204);
        })
        .await;
    let unexpected = catch_all(&server).await;

    let client = v2_client(&server);
    assert_eq!(client.api_version(), ApiVersion::V2);
    let user = client.delete_user_record("7").await.unwrap().unwrap();
    assert_eq!(user.username.as_deref(), Some("u7"));
    client.logout().await.unwrap();

    login.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    logout.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_path_prefix_in_the_control_room_url_is_kept() {
    let server = MockServer::start_async().await;
    let login = login_at(&server, "/aa/v1/authentication", "tok").await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/aa/v1/usermanagement/users/9");
            then.status(204);
        })
        .await;
    let unexpected = catch_all(&server).await;

    let config = Config::new(
        format!("{}/aa/", server.base_url()),
        Credentials::api_key(USERNAME, API_KEY),
    );
    Client::new(config, fast_options())
        .unwrap()
        .delete_user("9")
        .await
        .unwrap();

    login.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn ids_that_are_not_positive_integers_send_nothing() {
    let server = MockServer::start_async().await;
    let unexpected = catch_all(&server).await;
    let client = api_key_client(&server);

    for bad in [
        "abc",
        "0",
        "-1",
        "+1",
        "1.5",
        "",
        " 15",
        "15 ",
        "1/../2",
        "1e3",
        "١٢",
        "\u{feff}15",
        "1\u{200b}5",
        "1\u{00ad}5",
        "15  # left",
        "15,John Doe,2026-11-30",
        "15;John",
        "\"15\"",
        "user_id",
        "jane@example.com",
        "-",
    ] {
        let err = client.delete_user(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.attempts(), 0);
        assert_eq!(err.vendor(), VENDOR);
        let err = client.delete_user_record(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert!(client.validate_user_id(bad).is_err(), "{bad:?}");
    }
    assert!(client.validate_user_id("15").is_ok());
    assert_eq!(UserDeleter::vendor(&client), VENDOR);

    // Neither a login nor a delete was sent.
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn every_status_maps_to_its_kind_with_the_vendor_code_and_message() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let cases = [
        (400, ErrorKind::InvalidInput, "UM1016", "Invalid user id"),
        (
            401,
            ErrorKind::Unauthenticated,
            "UM1117",
            "Access token expected",
        ),
        (403, ErrorKind::PermissionDenied, "UM1403", "Forbidden"),
        (404, ErrorKind::NotFound, "UM1009", "User not found"),
        (500, ErrorKind::Server, "UM1500", "Internal error"),
        (503, ErrorKind::Server, "UM1503", "Unavailable"),
    ];
    let mut mocks = Vec::new();
    for (status, _, code, message) in cases {
        mocks.push(
            delete(
                &server,
                u64::from(status),
                "tok",
                status,
                error_body(code, message),
            )
            .await,
        );
    }
    let unexpected = catch_all(&server).await;

    for (status, kind, code, message) in cases {
        // A client per case: after a renewed token is refused, a client stops for the run.
        let client = client_with(
            &server,
            Credentials::api_key(USERNAME, API_KEY),
            fast_options().with_max_retries(0),
        );
        let err = client.delete_user(&status.to_string()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status}: {err}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.code(), Some(code));
        if status == 401 {
            // idp-core says why it stopped renewing after the vendor's message.
            assert!(err.message().starts_with(message), "{err}");
        } else {
            assert_eq!(err.message(), message);
        }
        assert_eq!(err.vendor(), VENDOR);
        assert_eq!(err.operation(), Some("delete_user"));
    }
    // 401 was sent twice (once more after the new login); every other status once.
    for ((status, ..), mock) in cases.iter().zip(&mocks) {
        let expected = if *status == 401 { 2 } else { 1 };
        mock.assert_calls_async(expected).await;
    }
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_blocked_delete_is_a_conflict_with_the_vendors_code_and_message() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let blocked = delete(
        &server,
        16,
        "tok",
        409,
        json!({
            "code": "UM1124",
            "details": "The user still owns bots, schedules or credentials",
            "message": "User is in use and cannot be deleted"
        }),
    )
    .await;
    let unexpected = catch_all(&server).await;

    let err = api_key_client(&server).delete_user("16").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("UM1124"));
    assert!(
        err.message().starts_with(
            "User is in use and cannot be deleted (The user still owns bots, schedules or \
             credentials) (the user has dependencies"
        ),
        "{err}"
    );
    assert!(err.message().contains("device pools"), "{err}");
    // A conflict is never success.
    assert!(DeleteOutcome::from_result(Err(err)).is_err());
    blocked.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn not_found_is_absent_for_idempotent_callers() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _missing = delete(
        &server,
        15,
        "tok",
        404,
        error_body("UM1009", "User not found"),
    )
    .await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    let absent = DeleteOutcome::from_result(client.delete_user("15").await).unwrap();
    assert_eq!(absent, DeleteOutcome::Absent);
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let failing = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/usermanagement/users/15");
            then.status(500)
                .json_body(error_body("UM1500", "boom"))
                .up_to_n_times(2);
        })
        .await;
    let ok = delete(&server, 15, "tok", 204, json!(null)).await;
    let always_failing = delete(&server, 16, "tok", 502, json!(null)).await;
    let not_implemented = delete(&server, 17, "tok", 501, json!(null)).await;
    let unexpected = catch_all(&server).await;

    let client = api_key_client(&server);
    assert_eq!(client.delete_user("15").await.unwrap().attempts, 3);
    failing.assert_calls_async(2).await;
    ok.assert_calls_async(1).await;

    let err = client.delete_user("16").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 4, "one request and three retries");
    always_failing.assert_calls_async(4).await;

    let err = client.delete_user("17").await.unwrap_err();
    assert_eq!(err.attempts(), 1, "501 is not retried");
    not_implemented.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_429_waits_as_long_as_retry_after_says() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/usermanagement/users/15");
            then.status(429).header("retry-after", "7").up_to_n_times(1);
        })
        .await;
    let ok = delete(&server, 15, "tok", 204, json!(null)).await;
    let unexpected = catch_all(&server).await;

    let clock = ManualClock::default();
    let client = client_with(
        &server,
        Credentials::api_key(USERNAME, API_KEY),
        fast_options().with_clock(Arc::new(clock.clone())),
    );
    assert_eq!(client.delete_user("15").await.unwrap().attempts, 2);

    assert!(
        clock.sleeps().iter().sum::<Duration>() >= Duration::from_secs(7),
        "{:?}",
        clock.sleeps()
    );
    throttled.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_dropped_delete_connection_is_retried() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let ok = delete(&server, 15, "tok", 204, json!(null)).await;
    let unexpected = catch_all(&server).await;
    let (url, dropped) = dropping_proxy(&server, "DELETE /v1/usermanagement/users/15 ", 1).await;

    let client = client_at(
        &url,
        Credentials::api_key(USERNAME, API_KEY),
        fast_options(),
    );
    assert_eq!(client.delete_user("15").await.unwrap().attempts, 2);

    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    ok.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn redirects_are_not_followed_with_the_token() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let redirect = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/usermanagement/users/15");
            then.status(307)
                .header("location", elsewhere.url("/v1/usermanagement/users/15"));
        })
        .await;
    let target = catch_all(&elsewhere).await;
    let unexpected = catch_all(&server).await;

    let err = api_key_client(&server).delete_user("15").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    redirect.assert_calls_async(1).await;
    target.assert_calls_async(0).await;
    unexpected.assert_calls_async(0).await;
}
