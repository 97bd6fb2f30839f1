#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `find_users`: the account's user listing filtered by `email`, paged until an empty
//! `result`, matched on the client by exact, ASCII-case-insensitive email.

mod support;

use httpmock::prelude::*;
use idp_core::{AccountStatus, ErrorKind, Lookup, ManagedBy, Offboarder, UserQuery};
use serde_json::json;
use support::*;

fn email(value: &str) -> UserQuery {
    UserQuery::email(value).unwrap()
}

/// A mock of page `n` of the listing for `PERSON`, answering `records`.
async fn page_mock<'a>(
    server: &'a MockServer,
    n: u32,
    records: &[serde_json::Value],
) -> httpmock::Mock<'a> {
    let body = page(records);
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(users_path())
                .query_param("email", PERSON)
                .query_param("page", n.to_string())
                .query_param("per_page", "50")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", "application/json");
            then.status(200).header("cf-ray", RAY).body(body);
        })
        .await
}

#[tokio::test]
async fn found_on_a_later_page_after_partial_server_matches() {
    let server = MockServer::start_async().await;
    let first = page_mock(
        &server,
        1,
        &[
            record(OTHER_USER, "xjane.doe@example.com"),
            record(
                "5a1e7c2b-3d4f-4a6b-8c9d-0e1f2a3b4c5d",
                "jane.doe@example.com.evil",
            ),
        ],
    )
    .await;
    let second = page_mock(&server, 2, &[record(USER, PERSON)]).await;
    let end = page_mock(&server, 3, &[]).await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    let accounts = client.find_users(&email(PERSON)).await.unwrap();

    assert_eq!(accounts.len(), 1);
    let found = &accounts[0];
    assert_eq!(found.user_id, USER);
    assert_eq!(found.email.as_deref(), Some(PERSON));
    assert_eq!(found.username, None);
    assert_eq!(found.display_name.as_deref(), Some("Jane Doe"));
    assert_eq!(found.status, AccountStatus::Unknown);
    assert_eq!(found.managed_by, ManagedBy::Directory);
    assert_eq!(found.vendor["seat_uid"], "seat-1");
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    end.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_query_is_exactly_email_page_per_page() {
    let server = MockServer::start_async().await;
    let wanted = format!("email={}&page=1&per_page=50", "jane%2Bhr%40example.com");
    let exact = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(users_path())
                .is_true(move |req| req.uri().query() == Some(wanted.as_str()));
            then.status(200).body(page(&[]));
        })
        .await;
    let clock = ManualClock::default();
    let accounts = token_client(&server, &clock)
        .find_users(&email("jane+hr@example.com"))
        .await
        .unwrap();
    assert!(accounts.is_empty());
    exact.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_match_ignores_ascii_case() {
    let server = MockServer::start_async().await;
    page_mock(&server, 1, &[record(USER, "Jane.Doe@EXAMPLE.com")]).await;
    page_mock(&server, 2, &[]).await;
    let clock = ManualClock::default();
    let accounts = token_client(&server, &clock)
        .find_users(&email(PERSON))
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].email.as_deref(), Some("Jane.Doe@EXAMPLE.com"));
}

#[tokio::test]
async fn partial_server_matches_only_are_no_match() {
    let server = MockServer::start_async().await;
    page_mock(
        &server,
        1,
        &[
            record(OTHER_USER, "ajane.doe@example.com"),
            record(USER, "jane.doe@example.co"),
            json!({"id": "5a1e7c2b-3d4f-4a6b-8c9d-0e1f2a3b4c5d", "name": "no email"}),
        ],
    )
    .await;
    let end = page_mock(&server, 2, &[]).await;
    let clock = ManualClock::default();
    let query = email(PERSON);
    let accounts = token_client(&server, &clock)
        .find_users(&query)
        .await
        .unwrap();
    assert_eq!(Lookup::from_candidates(&query, accounts), Lookup::Absent);
    end.assert_calls_async(1).await;
}

#[tokio::test]
async fn two_users_with_the_email_are_both_returned() {
    let server = MockServer::start_async().await;
    page_mock(&server, 1, &[record(USER, PERSON)]).await;
    page_mock(
        &server,
        2,
        &[
            record(OTHER_USER, "JANE.DOE@example.com"),
            record(USER, PERSON),
        ],
    )
    .await;
    page_mock(&server, 3, &[]).await;
    let clock = ManualClock::default();
    let query = email(PERSON);
    let accounts = token_client(&server, &clock)
        .find_users(&query)
        .await
        .unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a.user_id.as_str()).collect();
    assert_eq!(ids, [USER, OTHER_USER]);
    assert_eq!(
        Lookup::from_candidates(&query, accounts).as_str(),
        "ambiguous"
    );
}

#[tokio::test]
async fn refused_queries_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(page(&[]));
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    // Access users have no username.
    let err = client
        .find_users(&UserQuery::username("jdoe").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.vendor(), "cf-access");
    assert_eq!(err.attempts(), 0);
    assert!(err.message().contains("email"), "{err}");

    // Queries that are not queries never become a request at all.
    for bad in [
        "",
        " ",
        "*@example.com",
        "!jane@example.com",
        "jane",
        "a@b@c",
        "ja ne@x.com",
    ] {
        assert!(UserQuery::email(bad).is_err(), "{bad:?}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn paging_that_does_not_advance_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    // A proxy that drops `page`: the same users on every page.
    let same = server
        .mock_async(|when, then| {
            when.method(GET).path(users_path());
            then.status(200).body(page(&[record(USER, PERSON)]));
        })
        .await;
    let clock = ManualClock::default();
    let err = token_client(&server, &clock)
        .find_users(&email(PERSON))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("does not advance"), "{err}");
    same.assert_calls_async(2).await;
}

#[tokio::test]
async fn malformed_listings_are_protocol_errors() {
    for body in [
        success(json!({"id": USER, "email": PERSON})),
        success(serde_json::Value::Null),
        success(json!([{"email": PERSON}])),
        success(json!([{"id": 7, "email": PERSON}])),
        success(json!([{"id": "not-a-uuid", "email": PERSON}])),
        success(json!(["jane.doe@example.com"])),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(users_path());
                then.status(200).body(body.clone());
            })
            .await;
        let clock = ManualClock::default();
        let err = token_client(&server, &clock)
            .find_users(&email(PERSON))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
    }
}

#[tokio::test]
async fn a_refused_token_fails_the_lookup() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(users_path());
            then.status(403)
                .body(failure(10000, "Authentication error"));
        })
        .await;
    let clock = ManualClock::default();
    let err = token_client(&server, &clock)
        .find_users(&email(PERSON))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.operation(), Some("find_users"));
    mock.assert_calls_async(1).await;
}
