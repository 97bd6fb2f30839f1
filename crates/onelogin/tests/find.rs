//! Finding accounts by email or username: v1's envelope and `after_cursor`, v2's bare arrays
//! and `After-Cursor` header, client-side exact matching, duplicates, refused queries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use httpmock::MockServer;
use idp_core::{AccountStatus, ErrorKind, ManagedBy, UserQuery};
use idp_onelogin::ApiVersion;
use serde_json::json;

#[tokio::test]
async fn v1_finds_on_a_later_page_through_after_cursor() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let first = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/api/1/users")
                .query_param("email", "jane@example.com")
                .query_param_missing("after_cursor")
                .header("authorization", "bearer:tok-1");
            then.status(200).json_body(v1_page(
                vec![user(1, "jane@example.com.evil")],
                Some("c2=="),
            ));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/api/1/users")
                .query_param("email", "jane@example.com")
                .query_param("after_cursor", "c2==");
            then.status(200)
                .json_body(v1_page(vec![user(42, "Jane@Example.COM")], None));
        })
        .await;

    let found = client(&server, ApiVersion::V1)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["42"]);
    let account = &found[0];
    assert_eq!(account.email.as_deref(), Some("Jane@Example.COM"));
    assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
    assert_eq!(account.status, AccountStatus::Enabled);
    assert_eq!(account.managed_by, ManagedBy::Local);
    assert_eq!(account.vendor["id"], 42);
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
}

#[tokio::test]
async fn v2_finds_on_a_later_page_through_the_after_cursor_header() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let first = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/api/2/users")
                .query_param("email", "jane@example.com")
                .query_param("limit", "100")
                .query_param_missing("cursor");
            then.status(200)
                .header("after-cursor", "bGltaXQ9MTAwJnBhZ2U9Mg==")
                .json_body(json!([user(1, "x@example.com")]));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/api/2/users")
                .query_param("cursor", "bGltaXQ9MTAwJnBhZ2U9Mg==")
                .query_param("limit", "100");
            then.status(200)
                .json_body(json!([user(42, "JANE@example.com")]));
        })
        .await;

    let found = client(&server, ApiVersion::V2)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["42"]);
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
}

#[tokio::test]
async fn partial_server_matches_are_filtered_out() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        let partial = vec![
            user(1, "jane@example.com.evil"),
            user(2, "xjane@example.com"),
            json!({"id": 3, "email": null, "username": "jane@example.com.evil"}),
        ];
        let body = match version {
            ApiVersion::V1 => v1_page(partial, None),
            _ => json!(partial),
        };
        server
            .mock_async(|when, then| {
                when.method("GET")
                    .path(format!("/api/{}/users", version.as_str()));
                then.status(200).json_body(body.clone());
            })
            .await;

        let found = client(&server, version)
            .find_users(&email("jane@example.com"))
            .await
            .unwrap();

        assert!(found.is_empty(), "{version}: {found:?}");
    }
}

/// The core's rule: an email query also matches a login name that is that address (a
/// directory-synced account with no email field), so such an account is never missed.
#[tokio::test]
async fn a_username_that_is_the_email_matches_an_email_query() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let body = v1_page(
        vec![json!({"id": 3, "email": null, "username": "Jane@Example.com"})],
        None,
    );
    server
        .mock_async(|when, then| {
            when.method("GET").path("/api/1/users");
            then.status(200).json_body(body.clone());
        })
        .await;

    let found = client(&server, ApiVersion::V1)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();

    assert_eq!(found.len(), 1, "{found:?}");
}

#[tokio::test]
async fn duplicates_are_all_returned_and_repeats_once() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/api/1/users");
            then.status(200).json_body(v1_page(
                vec![
                    user(7, "jane@example.com"),
                    user(9, "JANE@example.com"),
                    user(7, "jane@example.com"),
                ],
                None,
            ));
        })
        .await;

    let found = client(&server, ApiVersion::V1)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["7", "9"]);
}

#[tokio::test]
async fn usernames_are_looked_up_with_username() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        let mut record = user(5, "jane@example.com");
        record["username"] = json!("JDoe");
        let body = match version {
            ApiVersion::V1 => v1_page(vec![record], None),
            _ => json!([record]),
        };
        let list = server
            .mock_async(|when, then| {
                when.method("GET")
                    .path(format!("/api/{}/users", version.as_str()))
                    .query_param("username", "jdoe")
                    .query_param_missing("email");
                then.status(200).json_body(body.clone());
            })
            .await;

        let found = client(&server, version)
            .find_users(&UserQuery::username("jdoe").unwrap())
            .await
            .unwrap();

        assert_eq!(ids(&found), ["5"], "{version}");
        list.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn directory_users_and_statuses_come_through() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let mut record = user(5, "jane@example.com");
    record["directory_id"] = json!(1234);
    record["status"] = json!(2);
    server
        .mock_async(|when, then| {
            when.method("GET").path("/api/2/users");
            then.status(200).json_body(json!([record]));
        })
        .await;

    let found = client(&server, ApiVersion::V2)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();

    assert_eq!(found[0].managed_by, ManagedBy::Directory);
    assert_eq!(found[0].status, AccountStatus::Suspended);
}

#[tokio::test]
async fn refused_queries_send_nothing() {
    let server = MockServer::start_async().await;
    let anything = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let _client = client(&server, ApiVersion::V1);

    for bad in [
        "",
        " ",
        "*@example.com",
        "jane*",
        "!@example.com",
        "jane doe@x.com",
        "jane",
        "a@b@c",
    ] {
        assert_eq!(
            UserQuery::email(bad).unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{bad:?}"
        );
    }
    for bad in ["", "j*", "!jdoe", "j doe"] {
        assert!(UserQuery::username(bad).is_err(), "{bad:?}");
    }
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_list_that_is_not_the_configured_versions_shape_is_a_protocol_error() {
    for (version, body) in [
        (ApiVersion::V1, json!([user(1, "jane@example.com")])),
        (
            ApiVersion::V2,
            v1_page(vec![user(1, "jane@example.com")], None),
        ),
        (
            ApiVersion::V1,
            json!({"data": [user(1, "jane@example.com")]}),
        ),
    ] {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        server
            .mock_async(|when, then| {
                when.method("GET");
                then.status(200).json_body(body.clone());
            })
            .await;

        let err = client(&server, version)
            .find_users(&email("jane@example.com"))
            .await
            .unwrap_err();

        assert_eq!(err.kind(), ErrorKind::Protocol, "{version} {body}");
        assert!(err.message().contains("ONELOGIN_API_VERSION"), "{err}");
        assert_eq!(err.operation(), Some("find_users"));
    }
}

#[tokio::test]
async fn a_cursor_that_repeats_ends_in_an_error_not_a_loop() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    let list = server
        .mock_async(|when, then| {
            when.method("GET").path("/api/2/users");
            then.status(200)
                .header("after-cursor", "same")
                .json_body(json!([user(1, "x@example.com")]));
        })
        .await;

    let err = client(&server, ApiVersion::V2)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("cursor"), "{err}");
    list.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_record_without_an_id_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/api/2/users");
            then.status(200)
                .json_body(json!([{"email": "jane@example.com"}]));
        })
        .await;

    let err = client(&server, ApiVersion::V2)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
}
