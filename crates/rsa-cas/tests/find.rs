//! `find_users` and `check_access` over loopback: RSA's User Details lookup, the client's
//! exact matching, RSA's not-found as "no match", faults, and refused queries sending nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use httpmock::prelude::*;
use idp_core::{AccountStatus, ErrorKind, Lookup, ManagedBy, UserDeleter, UserQuery};
use serde_json::json;

fn email(value: &str) -> UserQuery {
    UserQuery::email(value).unwrap()
}

#[tokio::test]
async fn an_email_lookup_sends_the_documented_request_and_reads_the_account() {
    let server = MockServer::start_async().await;
    let seen = SeenTokens::default();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LOOKUP)
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .body(r#"{"email":"jane.doe@example.com","searchUnsynched":false}"#)
                .is_true(seen.recorder());
            then.status(200)
                .header("content-type", "application/json")
                .body(user_record(USER, EMAIL, "Enabled", false, "Corporate AD"));
        })
        .await;
    let aud = server.url(API);
    let client = client(&aud, &manual_clock(), 0);

    let accounts = client.find_users(&email(EMAIL)).await.unwrap();

    assert_eq!(mock.calls_async().await, 1);
    verify_jwt(&seen.all()[0], &aud);
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!(account.user_id, USER);
    assert_eq!(account.email.as_deref(), Some(EMAIL));
    assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
    assert_eq!(account.status, AccountStatus::Enabled);
    assert_eq!(account.managed_by, ManagedBy::Directory);
    assert_eq!(account.vendor["identitySource"], "Corporate AD");
    let query = email(EMAIL);
    assert!(matches!(
        Lookup::from_candidates(&query, accounts.clone()),
        Lookup::Found(_)
    ));
}

#[tokio::test]
async fn the_match_ignores_ascii_case_and_filters_partial_matches() {
    for (stored, found) in [
        ("Jane.Doe@Example.COM", true),
        ("jane.doe@example.com.evil", false),
        ("xjane.doe@example.com", false),
        ("jane.doe@example.co", false),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(LOOKUP);
                then.status(200)
                    .header("content-type", "application/json")
                    .body(user_record(USER, stored, "Enabled", false, "Corp AD"));
            })
            .await;
        let client = client(&server.url(API), &manual_clock(), 0);
        let accounts = client
            .find_users(&email("JANE.doe@example.com"))
            .await
            .unwrap();
        assert_eq!(accounts.len(), usize::from(found), "{stored}");
    }
}

#[tokio::test]
async fn rsas_not_found_is_no_match_and_any_other_404_fails() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(LOOKUP);
            then.status(404)
                .header("content-type", "application/json")
                .body(not_found_body(EMAIL));
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 3);
    assert!(client.find_users(&email(EMAIL)).await.unwrap().is_empty());
    assert_eq!(mock.calls_async().await, 1);

    for body in ["", r#"{"message":"Not Found"}"#, "404 page not found"] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(LOOKUP);
                then.status(404).body(body);
            })
            .await;
        let client = common::client(&server.url(API), &manual_clock(), 0);
        let err = client.find_users(&email(EMAIL)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body:?}: {err}");
        assert_eq!(err.operation(), Some("lookup_user"));
        assert!(err.message().contains("RSA_CAS_BASE_URL"), "{err}");
    }
}

#[tokio::test]
async fn a_200_without_a_user_record_fails() {
    for body in ["", "[]", "{}", r#"[{"id":"x"}]"#, "<html>portal</html>"] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(LOOKUP);
                then.status(200).body(body);
            })
            .await;
        let client = client(&server.url(API), &manual_clock(), 0);
        let err = client.find_users(&email(EMAIL)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body:?}: {err}");
    }
}

#[tokio::test]
async fn a_username_lookup_compares_principal_username() {
    let with_username = |principal: Option<&str>| {
        let mut record: serde_json::Value =
            serde_json::from_str(&user_record(USER, EMAIL, "Disabled", false, "SCIM Managed"))
                .unwrap();
        if let Some(name) = principal {
            record["principalUsername"] = json!(name);
        }
        record.to_string()
    };
    for (principal, found) in [(Some("JDoe"), true), (Some("jdoe2"), false)] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(LOOKUP)
                    .body(r#"{"searchUnsynched":false,"username":"jdoe"}"#);
                then.status(200).body(with_username(principal));
            })
            .await;
        let client = client(&server.url(API), &manual_clock(), 0);
        let accounts = client
            .find_users(&UserQuery::username("jdoe").unwrap())
            .await
            .unwrap();
        assert_eq!(mock.calls_async().await, 1);
        assert_eq!(accounts.len(), usize::from(found), "{principal:?}");
        if found {
            assert_eq!(accounts[0].username.as_deref(), Some("JDoe"));
            assert_eq!(accounts[0].status, AccountStatus::Disabled);
            assert_eq!(accounts[0].managed_by, ManagedBy::Scim);
        }
    }

    // A record without principalUsername cannot confirm a username: an error, not "absent".
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(LOOKUP);
            then.status(200).body(with_username(None));
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 0);
    let err = client
        .find_users(&UserQuery::username("jdoe").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("principalUsername"), "{err}");
}

#[tokio::test]
async fn a_record_without_an_email_address_is_an_error_not_absent() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(LOOKUP);
            then.status(200)
                .body(format!(r#"{{"id":"{USER}","userStatus":"Enabled"}}"#));
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 0);
    let err = client.find_users(&email(EMAIL)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("emailAddress"), "{err}");
}

#[tokio::test]
async fn pending_deletion_is_read_from_mark_deleted() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(LOOKUP);
            then.status(200)
                .body(user_record(USER, EMAIL, "Enabled", true, "Corp AD"));
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 0);
    let accounts = client.find_users(&email(EMAIL)).await.unwrap();
    assert_eq!(accounts[0].status, AccountStatus::PendingDeletion);
}

#[tokio::test]
async fn faults_on_the_lookup_are_retried() {
    for fault in [
        Reply::empty(429),
        Reply::empty(500),
        Reply::empty(503),
        Reply::Drop,
    ] {
        let server = Server::script(vec![
            fault.clone(),
            Reply::json(200, user_record(USER, EMAIL, "Enabled", false, "Corp AD")),
        ])
        .await;
        let client = client(&server.api(), &manual_clock(), 3);
        let accounts = client
            .find_users(&email(EMAIL))
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(accounts.len(), 1, "{fault:?}");
        let lookup = format!("POST {LOOKUP}");
        assert_eq!(server.lines(), [lookup.clone(), lookup], "{fault:?}");
        for request in server.requests() {
            assert_eq!(
                request.body,
                r#"{"email":"jane.doe@example.com","searchUnsynched":false}"#
            );
        }
    }
}

#[tokio::test]
async fn refused_queries_send_nothing() {
    let server = Server::script(Vec::new()).await;
    let client = client(&server.api(), &manual_clock(), 0);
    for bad in [
        "",
        " ",
        "*",
        "*@example.com",
        "jane*@example.com",
        "!jane@example.com",
        "jane",
        "@example.com",
        "jane@",
        "a@b@c",
        "ja ne@example.com",
        "ja\u{200b}ne@example.com",
    ] {
        match UserQuery::email(bad) {
            Ok(query) => panic!("{bad:?} accepted as {query}"),
            Err(err) => assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}"),
        }
    }
    for bad in ["", "!jdoe", "j*", "j doe"] {
        assert!(UserQuery::username(bad).is_err(), "{bad:?}");
    }
    // Nothing reached the server (and a good query does).
    assert!(server.requests().is_empty());
    let _ = client.find_users(&email(EMAIL)).await;
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn check_access_is_one_lookup_of_a_reserved_address() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LOOKUP)
                .body(r#"{"email":"idp-access-check@example.invalid","searchUnsynched":false}"#)
                .header_exists("authorization");
            then.status(404)
                .header("content-type", "application/json")
                .body(not_found_body("idp-access-check@example.invalid"));
        })
        .await;
    let client = client(&server.url(API), &manual_clock(), 0);
    client.check_access().await.unwrap();
    assert_eq!(mock.calls_async().await, 1);

    for (status, body, kind) in [
        (403, "", ErrorKind::PermissionDenied),
        (401, "", ErrorKind::Unauthenticated),
        (404, "", ErrorKind::Protocol),
        (500, "", ErrorKind::Server),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(LOOKUP);
                then.status(status).body(body);
            })
            .await;
        let client = common::client(&server.url(API), &manual_clock(), 0);
        let err = client.check_access().await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status}: {err}");
        assert_eq!(err.operation(), Some("check_access"));
    }
}
