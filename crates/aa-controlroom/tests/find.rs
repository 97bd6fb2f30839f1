//! Finding users: the filtered list, paging by offset, the fallback scan, client-side exact
//! matching, and faults on the list call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use common::*;
use httpmock::prelude::*;
use idp_aa_controlroom::Credentials;
use idp_core::test_util::fast_options;
use idp_core::{AccountStatus, ErrorKind, Lookup, ManagedBy, Offboarder, UserQuery};
use serde_json::{Value, json};

const JANE: &str = "jane.doe@example.com";

fn email(value: &str) -> UserQuery {
    UserQuery::email(value).unwrap()
}

fn ids(accounts: &[idp_core::Account]) -> Vec<&str> {
    accounts.iter().map(|a| a.user_id.as_str()).collect()
}

/// The unfiltered scan of `total` users (more than a page) with `matching` last.
async fn scan(server: &MockServer, total: u64, matching: Value) -> [httpmock::Mock<'_>; 2] {
    let first = list_page(
        server,
        unfiltered(0),
        Value::Array(filler(1000, 100)),
        total,
        total,
    );
    let mut rest = filler(1100, total - 101);
    rest.push(matching);
    let second = list_page(server, unfiltered(100), Value::Array(rest), total, total);
    [first.await, second.await]
}

#[tokio::test]
async fn an_email_is_found_with_the_eq_filter_and_matched_exactly() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let by_email = list_page(
        &server,
        filtered("email", JANE, 0),
        json!([
            user(7, "jdoe", "Jane.Doe@Example.com"),
            // A server that matched loosely: never a match.
            user(8, "jdoe2", "jane.doe@example.com.evil"),
            user(9, "xjane", "xjane.doe@example.com"),
        ]),
        310,
        3,
    )
    .await;
    let by_username = list_page(&server, filtered("username", JANE, 0), json!([]), 310, 0).await;
    let unexpected = catch_all(&server).await;

    let found = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["7"]);
    let account = &found[0];
    assert_eq!(account.email.as_deref(), Some("Jane.Doe@Example.com"));
    assert_eq!(account.username.as_deref(), Some("jdoe"));
    assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
    assert_eq!(account.status, AccountStatus::Enabled);
    assert_eq!(account.managed_by, ManagedBy::Local);
    assert_eq!(account.vendor["version"], 3);
    by_email.assert_calls_async(1).await;
    by_username.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_email_query_also_finds_a_directory_user_whose_username_is_the_email() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _by_email = list_page(&server, filtered("email", JANE, 0), json!([]), 50, 0).await;
    let mut sso = user(21, "JANE.DOE@example.com", "");
    sso["domain"] = json!("ActiveDirectory (LDAP)");
    sso["disabled"] = json!(true);
    let _by_username = list_page(&server, filtered("username", JANE, 0), json!([sso]), 50, 1).await;
    let unexpected = catch_all(&server).await;

    let found = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["21"]);
    assert_eq!(found[0].email, None);
    assert_eq!(found[0].managed_by, ManagedBy::Directory);
    assert_eq!(found[0].status, AccountStatus::Disabled);
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_username_query_filters_on_the_username_only() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let by_username = list_page(
        &server,
        filtered("username", "jdoe", 0),
        json!([
            user(7, "JDoe", JANE),
            user(8, "jdoe.old", "jdoe@example.com")
        ]),
        50,
        2,
    )
    .await;
    let unexpected = catch_all(&server).await;

    let query = UserQuery::username("jdoe").unwrap();
    let found = api_key_client(&server).find_users(&query).await.unwrap();

    assert_eq!(ids(&found), ["7"]);
    by_username.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_match_on_a_later_page_is_found() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let first = list_page(
        &server,
        filtered("email", JANE, 0),
        Value::Array(filler(1000, 100)),
        5000,
        150,
    )
    .await;
    let mut second_page = filler(1100, 49);
    second_page.push(user(7, "jdoe", JANE));
    let second = list_page(
        &server,
        filtered("email", JANE, 100),
        Value::Array(second_page),
        5000,
        150,
    )
    .await;
    let _by_username = list_page(&server, filtered("username", JANE, 0), json!([]), 5000, 0).await;
    let unexpected = catch_all(&server).await;

    let found = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["7"]);
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn short_pages_continue_while_the_total_says_more_are_left() {
    // A Control Room that caps pages at 2 users.
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let first = list_page(
        &server,
        filtered("username", "jdoe", 0),
        json!([user(1, "JDOE", "a@x.com"), user(2, "x", "b@x.com")]),
        10,
        3,
    )
    .await;
    let second = list_page(
        &server,
        filtered("username", "jdoe", 2),
        json!([user(3, "jdoe", "c@x.com")]),
        10,
        3,
    )
    .await;
    let unexpected = catch_all(&server).await;

    let query = UserQuery::username("jdoe").unwrap();
    let found = api_key_client(&server).find_users(&query).await.unwrap();

    assert_eq!(ids(&found), ["1", "3"]);
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn duplicates_are_all_returned_so_the_caller_sees_ambiguity() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _by_email = list_page(
        &server,
        filtered("email", JANE, 0),
        json!([
            user(7, "jdoe", JANE),
            user(31, "jane.doe", "JANE.DOE@EXAMPLE.COM")
        ]),
        100,
        2,
    )
    .await;
    // The username filter finds user 7 again (its username is the email): listed once.
    let _by_username = list_page(
        &server,
        filtered("username", JANE, 0),
        json!([user(7, JANE, JANE)]),
        100,
        1,
    )
    .await;
    let unexpected = catch_all(&server).await;

    let query = email(JANE);
    let found = api_key_client(&server).find_users(&query).await.unwrap();

    assert_eq!(ids(&found), ["7", "31"]);
    assert_eq!(Lookup::from_candidates(&query, found).as_str(), "ambiguous");
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_refused_filter_falls_back_to_a_paged_scan() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/usermanagement/users/list")
                .json_body(filtered("email", JANE, 0));
            then.status(400)
                .json_body(error_body("UM1200", "Unsupported filter field: email"));
        })
        .await;
    let [first, second] = scan(&server, 130, user(7, "jdoe", "JANE.doe@example.com")).await;
    let unexpected = catch_all(&server).await;

    let found = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["7"]);
    refused.assert_calls_async(1).await;
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    // No username filter after a full scan.
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_ignored_filter_falls_back_to_a_paged_scan() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    // totalFilter == total, and more users than one page: the filter did nothing.
    let ignored = list_page(
        &server,
        filtered("email", JANE, 0),
        Value::Array(filler(1000, 100)),
        150,
        150,
    )
    .await;
    let [first, second] = scan(&server, 150, user(7, "jdoe", JANE)).await;
    let unexpected = catch_all(&server).await;

    let found = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap();

    assert_eq!(ids(&found), ["7"]);
    ignored.assert_calls_async(1).await;
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn nobody_matching_is_an_empty_answer() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _by_email = list_page(&server, filtered("email", JANE, 0), json!([]), 40, 0).await;
    let _by_username = list_page(&server, filtered("username", JANE, 0), json!([]), 40, 0).await;
    let unexpected = catch_all(&server).await;

    let found = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap();
    assert!(found.is_empty());
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn v2_lists_under_v2() {
    let server = MockServer::start_async().await;
    let _login = login_at(&server, "/v2/authentication", "tok").await;
    let listed = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/usermanagement/users/list")
                .json_body(filtered("username", "jdoe", 0));
            then.status(200)
                .json_body(json!({ "page": { "total": 1, "totalFilter": 1 }, "list": [user(7, "jdoe", JANE)] }));
        })
        .await;
    let unexpected = catch_all(&server).await;

    let found = v2_client(&server)
        .find_users(&UserQuery::username("jdoe").unwrap())
        .await
        .unwrap();
    assert_eq!(ids(&found), ["7"]);
    listed.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn refused_queries_send_nothing() {
    let server = MockServer::start_async().await;
    let unexpected = catch_all(&server).await;
    let _client = api_key_client(&server);
    for bad in [
        "",
        " ",
        "jane doe@x.com",
        "*@x.com",
        "!jane@x.com",
        "jane",
        "a@b@c",
        "ja\u{200b}ne@x.com",
    ] {
        assert!(UserQuery::email(bad).is_err(), "{bad:?}");
    }
    for bad in ["", "j*", "!jdoe", "j doe"] {
        assert!(UserQuery::username(bad).is_err(), "{bad:?}");
    }
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_list_that_does_not_page_is_an_error_not_an_endless_loop() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let same = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/usermanagement/users/list");
            then.status(200).json_body(
                json!({ "page": { "total": 500, "totalFilter": 200 }, "list": filler(1, 100) }),
            );
        })
        .await;
    let err = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("does not page"), "{err}");
    same.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_404_on_the_list_is_a_failure_never_nobody() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let missing = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/usermanagement/users/list");
            then.status(404)
                .json_body(error_body("UM1009", "User not found"));
        })
        .await;
    let err = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("AA_CONTROL_ROOM_URL"), "{err}");
    missing.assert_calls_async(1).await;
}

#[tokio::test]
async fn throttling_and_server_errors_on_the_list_are_retried() {
    for status in [429u16, 500, 502, 503] {
        let server = MockServer::start_async().await;
        let _login = login(&server, "tok").await;
        let failing = server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/usermanagement/users/list");
                then.status(status).up_to_n_times(1);
            })
            .await;
        let listed = list_page(
            &server,
            filtered("username", "jdoe", 0),
            json!([user(7, "jdoe", JANE)]),
            9,
            1,
        )
        .await;
        let unexpected = catch_all(&server).await;

        let found = api_key_client(&server)
            .find_users(&UserQuery::username("jdoe").unwrap())
            .await
            .unwrap();
        assert_eq!(ids(&found), ["7"], "{status}");
        failing.assert_calls_async(1).await;
        listed.assert_calls_async(1).await;
        unexpected.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn a_dropped_list_connection_is_retried() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let listed = list_page(
        &server,
        filtered("username", "jdoe", 0),
        json!([user(7, "jdoe", JANE)]),
        9,
        1,
    )
    .await;
    let unexpected = catch_all(&server).await;
    let (url, dropped) = dropping_proxy(&server, "POST /v1/usermanagement/users/list ", 1).await;

    let client = client_at(
        &url,
        Credentials::api_key(USERNAME, API_KEY),
        fast_options(),
    );
    let found = client
        .find_users(&UserQuery::username("jdoe").unwrap())
        .await
        .unwrap();

    assert_eq!(ids(&found), ["7"]);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    listed.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_list_answer_that_is_not_a_list_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let odd = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/usermanagement/users/list");
            then.status(200).body("<html>portal</html>");
        })
        .await;
    let err = api_key_client(&server)
        .find_users(&email(JANE))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("list_users"));
    odd.assert_calls_async(1).await;
}
