//! `delete_user` over loopback: URL forms, headers, every documented status, what counts as
//! "absent" and "deleted" (only RSA's own answers), retries and faults, hostile ids, bulk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use httpmock::prelude::*;
use idp_core::{DeleteOutcome, ErrorKind, UserDeleter, delete_many};
use idp_rsa_cas::{Client, Config, VENDOR};

#[tokio::test]
async fn sends_the_documented_request_and_returns_a_receipt() {
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("{USERS}/{USER}"))
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .header_exists("authorization")
                .is_true(|req: &HttpMockRequest| {
                    req.headers_vec().iter().any(|(name, value)| {
                        name.eq_ignore_ascii_case("user-agent")
                            && value.starts_with("idp-rsa-cas/")
                            && value.contains("idp-core/")
                    })
                })
                .is_true(seen.recorder());
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "req-123")
                .body("{}");
        })
        .await;
    let aud = server.url(API);
    let client = client(&aud, &manual_clock(), 0);

    let receipt = client.delete_user(USER).await.unwrap();

    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.request_id.as_deref(), Some("req-123"));
    verify_jwt(&seen.all()[0], &aud);
}

#[tokio::test]
async fn both_forms_of_admin_rest_api_url_reach_v1_users() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{USERS}/{USER}"));
            then.status(200);
        })
        .await;
    let stray = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(599);
        })
        .await;
    for suffix in [
        "/AdminInterface/restapi",
        "/AdminInterface/restapi/",
        "/AdminInterface/restapi/v1",
        "/AdminInterface/restapi/v1/",
    ] {
        let client = client(&server.url(suffix), &manual_clock(), 0);
        let expected = server.url(format!("{USERS}/{USER}"));
        assert_eq!(
            client.user_url(USER).unwrap().as_str(),
            expected,
            "{suffix}"
        );
        client
            .delete_user(USER)
            .await
            .unwrap_or_else(|e| panic!("{suffix}: {e}"));
    }
    assert_eq!(mock.calls_async().await, 4);
    assert_eq!(stray.calls_async().await, 0);
}

/// Each documented status, with the answer body RSA might send, and what it must become.
#[tokio::test]
async fn every_documented_status_maps_to_its_kind() {
    let not_found = not_found_body(USER);
    let enabled = conflict_body("User is in enabled state.");
    let cases: [(u16, &str, ErrorKind, &str); 8] = [
        (403, "", ErrorKind::PermissionDenied, "403 both for"),
        (404, &not_found, ErrorKind::NotFound, "not found"),
        (
            405,
            r#"{"message":"Method Not Allowed"}"#,
            ErrorKind::NotAllowed,
            "delete the user in the identity provider",
        ),
        (
            409,
            &enabled,
            ErrorKind::Conflict,
            "User is in enabled state.",
        ),
        (
            409,
            "User is in pending deletion state.",
            ErrorKind::Conflict,
            "User is in pending deletion state.",
        ),
        (429, "", ErrorKind::RateLimited, "too many requests"),
        (500, "", ErrorKind::Server, "internal error"),
        (
            400,
            r#"{"code":"400 BAD_REQUEST","description":"Bad id."}"#,
            ErrorKind::InvalidInput,
            "Bad id.",
        ),
    ];
    for (status, body, kind, needle) in cases {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(DELETE).path(format!("{USERS}/{USER}"));
                then.status(status)
                    .header("content-type", "application/json")
                    .body(body);
            })
            .await;
        // No retries: each status is one request, so the mapping alone is under test.
        let client = client(&server.url(API), &manual_clock(), 0);
        let err = client.delete_user(USER).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status}: {err}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.vendor(), VENDOR);
        assert_eq!(err.operation(), Some("delete_user"));
        assert_eq!(err.attempts(), 1);
        assert!(err.to_string().contains(needle), "{status}: {err}");
        assert_eq!(mock.calls_async().await, 1, "{status}");
    }
}

#[tokio::test]
async fn a_refused_jwt_is_resent_once_with_a_new_one_then_unauthenticated() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(401);
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 3);
    let err = client.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.message().contains("JWT"), "{err}");
    assert_eq!(err.attempts(), 2);
    assert_eq!(mock.calls_async().await, 2);
}

#[tokio::test]
async fn forbidden_is_not_retried_and_says_bad_tokens_get_it_too() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(403).header("content-type", "application/json").body(
                r#"{"timestamp":1749938869908,"status":403,"error":"Forbidden","message":"Server failed to process provided access token","path":"/AdminInterface/restapi/v1/users/x"}"#,
            );
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 3);
    let err = client.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(!err.is_retryable());
    assert!(err.message().contains("token"), "{err}");
    assert!(err.message().contains("Super Administrator"), "{err}");
    assert!(
        err.message()
            .contains("Server failed to process provided access token"),
        "{err}"
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn conflict_is_never_success_nor_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(409)
                .header("content-type", "application/json")
                .body(r#"{"message":"User is in enabled state.","code":"E409"}"#);
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 3);
    let err = client.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("E409"));
    assert!(err.message().contains("disable the user first"), "{err}");
    assert_eq!(mock.calls_async().await, 1);
    // And in a bulk run a conflict stays a failure, unlike RSA's not-found.
    assert!(DeleteOutcome::from_result(Err(err)).is_err());
}

/// Gateways, proxies and wrong base URLs answer 404 too: none of them is an absent user.
#[tokio::test]
async fn a_404_or_410_that_is_not_rsas_own_is_protocol_never_absent() {
    let cases: [(u16, &str, &str); 13] = [
        (
            404,
            "application/json",
            r#"{"message":"no Route matched with those values"}"#,
        ),
        (404, "application/json", r#"{"message":"Not Found"}"#),
        (
            404,
            "application/json",
            r#"{"statusCode":404,"message":"Resource not found"}"#,
        ),
        (404, "text/plain; charset=utf-8", "404 page not found"),
        (404, "text/plain", ""),
        (
            404,
            "application/json",
            r#"{"timestamp":"2026-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"/v1/users/x"}"#,
        ),
        (404, "text/plain", "User not found"),
        (
            404,
            "application/json",
            r#"{"message":"User is not found."}"#,
        ),
        (404, "application/json", "{}"),
        (
            404,
            "application/json",
            r#"{"code":"404 NOT_FOUND","description":"No handler found for DELETE /v1/users/x"}"#,
        ),
        (
            404,
            "text/html",
            "<!doctype html><html><body><h1>404 Not Found</h1></body></html>",
        ),
        (410, "text/plain", ""),
        (410, "application/json", &not_found_body(USER)),
    ];
    for (status, content_type, body) in cases {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
        let client = client(&server.url(API), &manual_clock(), 0);
        let err = client.delete_user(USER).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{status} {body:?}: {err}");
        assert!(err.message().contains("RSA_CAS_BASE_URL"), "{err}");
        assert!(err.message().contains("adminRestApiUrl"), "{err}");
        assert!(DeleteOutcome::from_result(Err(err)).is_err(), "{body:?}");
    }
}

#[tokio::test]
async fn a_base_url_without_the_restapi_path_fails_naming_the_variable() {
    // The server answers only RSA's paths; the base URL lacks /AdminInterface/restapi.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path_prefix(USERS);
            then.status(404)
                .header("content-type", "application/json")
                .body(not_found_body(USER));
        })
        .await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(404).body("");
        })
        .await;
    let config = Config::new(key_file(&server.url(API))).with_base_url(server.url(""));
    let client = Client::new(config, options(&manual_clock(), 0)).unwrap();
    let err = client.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("RSA_CAS_BASE_URL"), "{err}");
    assert_eq!(elsewhere.calls_async().await, 1);
}

#[tokio::test]
async fn only_rsas_documented_success_is_a_delete() {
    for (status, content_type, body) in [
        (200, "application/json", ""),
        (200, "application/json", "{}"),
        (200, "application/json", r#"{"message":"User deleted."}"#),
        (200, "application/json", r#"{"success":true}"#),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
        let client = client(&server.url(API), &manual_clock(), 0);
        client
            .delete_user(USER)
            .await
            .unwrap_or_else(|e| panic!("{status} {body:?}: {e}"));
    }
    for (status, content_type, body) in [
        (
            200,
            "text/html",
            "<html><body>Welcome to the hotel wifi</body></html>",
        ),
        (200, "text/plain", "OK"),
        (200, "application/json", r#"{"success":false}"#),
        (200, "application/json", r#"{"error":"user is enabled"}"#),
        (200, "application/json", r#"{"errors":[{"message":"x"}]}"#),
        (
            200,
            "application/json",
            r#"{"code":"409 CONFLICT","description":"x"}"#,
        ),
        (200, "application/json", r#"{"code":500}"#),
        (200, "application/json", "[]"),
        (200, "application/json", "true"),
        (202, "application/json", "{}"),
        (203, "application/json", "{}"),
        (204, "application/json", ""),
        (206, "application/json", "{}"),
        (207, "application/json", "{}"),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
        let client = client(&server.url(API), &manual_clock(), 0);
        let err = client.delete_user(USER).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{status} {body:?}: {err}");
        assert!(err.message().contains("not confirmed"), "{err}");
        assert!(DeleteOutcome::from_result(Err(err)).is_err());
    }
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_within_the_policy() {
    for (status, kind) in [(500, ErrorKind::Server), (429, ErrorKind::RateLimited)] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status);
            })
            .await;
        let clock = manual_clock();
        let client = client(&server.url(API), &clock, 2);
        let err = client.delete_user(USER).await.unwrap_err();
        assert_eq!(err.kind(), kind);
        assert_eq!(err.attempts(), 3, "{status}");
        assert_eq!(mock.calls_async().await, 3, "{status}");
        assert_eq!(clock.sleeps().len(), 2, "{status}: {:?}", clock.sleeps());
    }
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(429).header("Retry-After", "7");
        })
        .await;
    let clock = manual_clock();
    let client = client(&server.url(API), &clock, 1);
    let err = client.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(mock.calls_async().await, 2);
    assert!(clock.sleeps().iter().sum::<Duration>() >= Duration::from_secs(7));
}

#[tokio::test]
async fn a_fault_then_success_is_a_delete_after_two_attempts() {
    for fault in [
        Reply::empty(429),
        Reply::empty(500),
        Reply::empty(503),
        Reply::Drop,
    ] {
        let server = Server::script(vec![fault.clone(), Reply::empty(200)]).await;
        let client = client(&server.api(), &manual_clock(), 3);
        let receipt = client
            .delete_user(USER)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(receipt.attempts, 2, "{fault:?}");
        let delete = format!("DELETE {USERS}/{USER}");
        assert_eq!(server.lines(), [delete.clone(), delete], "{fault:?}");
    }
}

#[tokio::test]
async fn a_not_found_after_a_retried_500_says_the_first_attempt_may_have_deleted() {
    let server = Server::script(vec![
        Reply::empty(500),
        Reply::json(404, not_found_body(USER)),
    ])
    .await;
    let client = client(&server.api(), &manual_clock(), 3);
    let err = client.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.attempts(), 2);
    assert!(err.message().contains("may have done it"), "{err}");
    let served = server.requests();
    assert_eq!(served.len(), 2);
    // Both attempts went to the same path with a bearer token.
    for request in &served {
        assert_eq!(request.line(), format!("DELETE {USERS}/{USER}"));
        assert!(request.bearer().is_some());
    }

    // Without an earlier attempt, RSA's not-found is a plain "not found".
    let server = Server::script(vec![Reply::json(404, not_found_body(USER))]).await;
    let fresh = common::client(&server.api(), &manual_clock(), 3);
    let err = fresh.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!err.message().contains("may have"), "{err}");
}

#[tokio::test]
async fn hostile_ids_stay_one_path_segment() {
    let server = MockServer::start_async().await;
    let cases = [
        ("a/b", "a%2Fb"),
        ("../admin", "..%2Fadmin"),
        ("..%2F..", "..%252F.."),
        ("x?y=1&z", "x%3Fy%3D1%26z"),
        ("ü", "%C3%BC"),
        ("...", "..."),
    ];
    let mut mocks = Vec::new();
    for (_, encoded) in cases {
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(DELETE).path(format!("{USERS}/{encoded}"));
                    then.status(200);
                })
                .await,
        );
    }
    let stray = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(599);
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 0);
    for (id, encoded) in cases {
        client
            .delete_user(id)
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
        assert!(
            client.user_url(id).unwrap().path().ends_with(encoded),
            "{id:?}"
        );
    }
    for mock in &mocks {
        assert_eq!(mock.calls_async().await, 1);
    }
    assert_eq!(stray.calls_async().await, 0);
}

#[tokio::test]
async fn bad_ids_are_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let catch_all = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 0);
    let too_long = "x".repeat(idp_rsa_cas::MAX_USER_ID_CHARS + 1);
    for id in [
        "",
        "..",
        ".",
        "a\nb",
        "tab\there",
        too_long.as_str(),
        "\u{feff}eb2e12ae-1112-451b-98e1-dfe4e6afd60d",
        "eb2e12ae\u{200b}-1112",
        "eb2e\u{00ad}12ae",
        "u-1  # left",
        "u-1,John Doe,2026-11-30",
        "u-1;John",
        "\"u-1\"",
        "user_id",
        "jane.doe@example.com",
    ] {
        let err = client.delete_user(id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{id:?}");
        assert_eq!(err.vendor(), VENDOR, "{id:?}");
        assert_eq!(err.attempts(), 0);
        assert!(
            UserDeleter::validate_user_id(&client, id).is_err(),
            "{id:?}"
        );
        assert!(client.user_url(id).is_err());
    }
    let email = client.delete_user(EMAIL).await.unwrap_err();
    assert!(email.message().contains("idp find"), "{email}");
    assert!(UserDeleter::validate_user_id(&client, USER).is_ok());
    assert_eq!(catch_all.calls_async().await, 0);
}

#[tokio::test]
async fn bulk_deletes_share_one_token_and_report_absent_users() {
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    let gone = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{USERS}/gone"));
            then.status(404)
                .header("content-type", "application/json")
                .body(not_found_body("gone"));
        })
        .await;
    let deleted = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path_prefix(format!("{USERS}/u-"))
                .is_true(seen.recorder());
            then.status(200);
        })
        .await;
    let client = client(
        &server.url("/AdminInterface/restapi/v1"),
        &manual_clock(),
        0,
    );
    assert_eq!(UserDeleter::vendor(&client), VENDOR);

    let mut ids: Vec<String> = (0..40).map(|i| format!("u-{i}")).collect();
    ids.push("gone".to_owned());
    let mut reports = delete_many(&client, ids, 8);
    let (mut deleted_count, mut absent) = (0, 0);
    while let Some(report) = reports.next().await {
        match report.outcome {
            Ok(DeleteOutcome::Deleted) => deleted_count += 1,
            Ok(DeleteOutcome::Absent) => absent += 1,
            Err(err) => panic!("{}: {err}", report.user_id),
        }
    }
    assert_eq!((deleted_count, absent), (40, 1));
    assert_eq!(deleted.calls_async().await, 40);
    assert_eq!(gone.calls_async().await, 1);
    assert_eq!(seen.all().len(), 1, "41 requests, one token");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(302)
                .header("location", "https://elsewhere.example.com/steal");
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 0);
    let err = client.delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn base_url_override_changes_where_requests_go() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{USERS}/{USER}"));
            then.status(200);
        })
        .await;
    let config = Config::new(key_file(
        "https://acme.access.securid.com/AdminInterface/restapi",
    ))
    .with_base_url(server.url("/AdminInterface/restapi/v1"));
    assert_eq!(
        config.base_url(),
        server.url("/AdminInterface/restapi/v1").as_str()
    );
    let client = Client::new(config, options(&manual_clock(), 0)).unwrap();
    client.delete_user(USER).await.unwrap();
    assert_eq!(mock.calls_async().await, 1);
}
