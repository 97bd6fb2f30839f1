//! `find_users` against a local mock server: the username filter first, the directory listing
//! as the email fallback (fetched once per client and age), client-side exact matching.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SECRET, client, client_v2, error_body, user};
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use idp_alibaba_cloudsso::{Client, DIRECTORY_MAX_AGE};
use idp_core::test_util::fast_options;
use idp_core::{AccountStatus, ErrorKind, Lookup, ManagedBy, UserQuery};
use serde_json::{Value, json};

fn email(value: &str) -> UserQuery {
    UserQuery::email(value).unwrap()
}

/// Answers `ListUsers` with `Filter=UserName eq <value>` with `users`.
async fn filter_answers<'a>(server: &'a MockServer, value: &str, users: Vec<Value>) -> Mock<'a> {
    let filter = format!("UserName eq {value}");
    server
        .mock_async(|when, then| {
            when.method(POST)
                .header("x-acs-action", "ListUsers")
                .query_param("Filter", filter)
                .query_param("MaxResults", "100")
                .is_true(|req| common::v3_signed(req, SECRET));
            then.status(200).json_body(common::ok(json!({
                "Users": users, "IsTruncated": false, "TotalCounts": users.len(),
            })));
        })
        .await
}

/// Answers every other filtered `ListUsers` with no user.
async fn filters_find_nobody(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .header("x-acs-action", "ListUsers")
                .query_param_exists("Filter");
            then.status(200).json_body(common::ok(json!({
                "Users": [], "IsTruncated": false, "TotalCounts": 0,
            })));
        })
        .await
}

/// The unfiltered listing of `users`, `page` to a page (`NextToken` `p2`, `p3`, …): one mock
/// per page.
async fn directory<'a>(server: &'a MockServer, users: &[Value], page: usize) -> Vec<Mock<'a>> {
    let pages: Vec<&[Value]> = users.chunks(page).collect();
    let count = pages.len();
    let mut mocks = Vec::new();
    for (i, chunk) in pages.into_iter().enumerate() {
        let token = (i > 0).then(|| format!("p{}", i + 1));
        let next = (i + 1 < count).then(|| format!("p{}", i + 2));
        let mut body = json!({
            "Users": chunk, "IsTruncated": next.is_some(), "MaxResults": 100,
            "TotalCounts": users.len(),
        });
        if let Some(next) = &next {
            body["NextToken"] = json!(next);
        }
        let mock = server
            .mock_async(|when, then| {
                let when = when
                    .method(POST)
                    .header("x-acs-action", "ListUsers")
                    .query_param_missing("Filter")
                    .query_param("MaxResults", "100")
                    .is_true(|req| common::v3_signed(req, SECRET));
                match &token {
                    Some(token) => when.query_param("NextToken", token),
                    None => when.query_param_missing("NextToken"),
                };
                then.status(200).json_body(common::ok(body));
            })
            .await;
        mocks.push(mock);
    }
    mocks
}

async fn calls(mocks: &[Mock<'_>]) -> usize {
    let mut total = 0;
    for mock in mocks {
        total += mock.calls_async().await;
    }
    total
}

#[tokio::test]
async fn a_username_query_filters_and_compares_the_username() {
    let server = MockServer::start_async().await;
    let filter = filter_answers(
        &server,
        "jdoe",
        vec![
            user("u-1", "JDoe", "jane@example.com"),
            user("u-2", "jdoe2", "other@example.com"),
            user("u-3", "xjdoe", "x@example.com"),
        ],
    )
    .await;
    let scan = directory(&server, &[user("u-9", "jdoe", "j@x.com")], 100).await;
    let found = client(&server)
        .find_users(&UserQuery::username("jdoe").unwrap())
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].user_id, "u-1");
    assert_eq!(found[0].username.as_deref(), Some("JDoe"));
    assert_eq!(found[0].managed_by, ManagedBy::Local);
    assert_eq!(found[0].status, AccountStatus::Enabled);
    filter.assert_calls_async(1).await;
    assert_eq!(
        calls(&scan).await,
        0,
        "a username query never lists the directory"
    );
}

#[tokio::test]
async fn an_email_that_is_a_username_is_found_by_the_filter_alone() {
    let server = MockServer::start_async().await;
    filter_answers(
        &server,
        "jane@example.com",
        vec![user("u-1", "jane@example.com", "Jane@Example.COM")],
    )
    .await;
    let scan = directory(&server, &[user("u-9", "x", "x@x.com")], 100).await;
    let found = client(&server)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].email.as_deref(), Some("Jane@Example.COM"));
    assert_eq!(calls(&scan).await, 0);
}

#[tokio::test]
async fn an_email_is_found_on_a_later_page_of_the_directory_whatever_its_case() {
    let server = MockServer::start_async().await;
    filters_find_nobody(&server).await;
    let mut users: Vec<Value> = (0..250)
        .map(|i| {
            user(
                &format!("u-{i}"),
                &format!("user{i}"),
                &format!("user{i}@example.com"),
            )
        })
        .collect();
    users[237] = user("u-237", "jdoe", "JANE.Doe@Example.com");
    let scan = directory(&server, &users, 100).await;
    let found = client(&server)
        .find_users(&email("jane.doe@example.com"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user_id, "u-237");
    assert_eq!(calls(&scan).await, 3);
}

#[tokio::test]
async fn partial_server_matches_are_dropped() {
    let server = MockServer::start_async().await;
    // The server's filter answers a look-alike: neither its user name nor its Email is the
    // address.
    filter_answers(
        &server,
        "jane@example.com",
        vec![user(
            "u-1",
            "jane@example.com.evil",
            "jane@example.com.evil",
        )],
    )
    .await;
    directory(
        &server,
        &[
            user("u-2", "a", "xjane@example.com"),
            user("u-3", "b", "jane@example.co"),
            user("u-4", "c", "jane@example.com "),
        ],
        100,
    )
    .await;
    let found = client(&server)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();
    // Only the exact (trimmed) match.
    assert_eq!(
        found.iter().map(|a| a.user_id.as_str()).collect::<Vec<_>>(),
        ["u-4"]
    );
}

#[tokio::test]
async fn duplicates_are_all_returned_once_each() {
    let server = MockServer::start_async().await;
    filters_find_nobody(&server).await;
    directory(
        &server,
        &[
            user("u-1", "jane1", "jane@example.com"),
            user("u-2", "jane2", "JANE@example.com"),
            user("u-1", "jane1", "jane@example.com"),
            user("u-3", "bob", "bob@example.com"),
        ],
        2,
    )
    .await;
    let query = email("jane@example.com");
    let found = client(&server).find_users(&query).await.unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(Lookup::from_candidates(&query, found).as_str(), "ambiguous");
}

#[tokio::test]
async fn refused_queries_send_nothing() {
    let server = MockServer::start_async().await;
    let catch_all = server
        .mock_async(|_when, then| {
            then.status(500);
        })
        .await;
    for bad in [
        "",
        " ",
        "*@x.com",
        "jane@x*",
        "!jane@x.com",
        "jane",
        "a b@x.com",
        "a@b@c",
    ] {
        assert!(UserQuery::email(bad).is_err(), "{bad:?}");
    }
    let client = client(&server);
    // Built around the constructors, they are refused all the same.
    for bad in [
        UserQuery::Email(String::new()),
        UserQuery::Email("*".into()),
        UserQuery::Email("jane".into()),
        UserQuery::Username("!admin".into()),
        UserQuery::Username("a b".into()),
        UserQuery::Username("j*".into()),
    ] {
        let err = client.find_users(&bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.attempts(), 0);
    }
    catch_all.assert_calls_async(0).await;
}

/// 20 people in a 1,000-user directory: one filtered call each, and the directory listed once
/// (10 pages) for all of them, even when they are looked up at the same time.
#[tokio::test]
async fn twenty_people_in_a_thousand_users_cost_at_most_thirty_calls() {
    let server = MockServer::start_async().await;
    let filters = filters_find_nobody(&server).await;
    let users: Vec<Value> = (0..1000)
        .map(|i| {
            user(
                &format!("u-{i}"),
                &format!("login{i}"),
                &format!("Person{i}@Example.com"),
            )
        })
        .collect();
    let scan = directory(&server, &users, 100).await;
    let client = client(&server);
    let lookups: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let query = email(&format!("person{}@example.com", i * 37));
                client.find_users(&query).await.unwrap()
            })
        })
        .collect();
    for (i, lookup) in lookups.into_iter().enumerate() {
        let found = lookup.await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].user_id, format!("u-{}", i * 37));
    }
    let listed = calls(&scan).await;
    let filtered = filters.calls_async().await;
    assert_eq!(listed, 10);
    assert_eq!(filtered, 20);
    assert!(listed + filtered <= 10 + 20);
}

#[tokio::test]
async fn the_directory_listing_is_refreshed_after_its_age() {
    let server = MockServer::start_async().await;
    filters_find_nobody(&server).await;
    let scan = directory(&server, &[user("u-1", "a", "a@x.com")], 100).await;
    let (client, clock) = common::manual_client(&server);
    for _ in 0..3 {
        assert!(
            client
                .find_users(&email("b@x.com"))
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(calls(&scan).await, 1);
    clock.advance(DIRECTORY_MAX_AGE);
    assert_eq!(client.find_users(&email("a@x.com")).await.unwrap().len(), 1);
    assert_eq!(calls(&scan).await, 2);
    // Another client has its own listing.
    let other = common::manual_client(&server).0;
    other.find_users(&email("b@x.com")).await.unwrap();
    assert_eq!(calls(&scan).await, 3);
}

#[tokio::test]
async fn accounts_carry_status_provisioning_and_the_raw_record() {
    let server = MockServer::start_async().await;
    let mut synced = user("u-7", "jane@example.com", "jane@example.com");
    synced["Status"] = json!("Disabled");
    synced["ProvisionType"] = json!("Synchronized");
    synced["ExternalId"] = json!({"Id": "ext-1", "Issuer": "SCIM"});
    filter_answers(&server, "jane@example.com", vec![synced.clone()]).await;
    let found = client(&server)
        .find_users(&email("jane@example.com"))
        .await
        .unwrap();
    let account = &found[0];
    assert_eq!(account.status, AccountStatus::Disabled);
    assert_eq!(account.managed_by, ManagedBy::Scim);
    assert_eq!(
        account.display_name.as_deref(),
        Some("Display jane@example.com")
    );
    assert_eq!(account.vendor, synced);

    let mut odd = user("u-8", "bob", "bob@example.com");
    odd["Status"] = json!("Frozen");
    odd["ProvisionType"] = json!("Imported");
    let server = MockServer::start_async().await;
    filter_answers(&server, "bob", vec![odd]).await;
    let found = client(&server)
        .find_users(&UserQuery::username("bob").unwrap())
        .await
        .unwrap();
    assert_eq!(found[0].status, AccountStatus::Unknown);
    assert_eq!(found[0].managed_by, ManagedBy::Unknown);
}

#[tokio::test]
async fn broken_paging_is_a_protocol_error() {
    for body in [
        json!({"Users": [], "IsTruncated": true}),
        json!({"Users": [], "IsTruncated": false, "NextToken": "same"}),
        json!({"Users": {"u": 1}}),
        json!({"Users": [{"UserName": "no id"}]}),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST);
                then.status(200).json_body(common::ok(body.clone()));
            })
            .await;
        let err = client(&server)
            .find_users(&UserQuery::username("x").unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}: {err}");
        assert_eq!(err.operation(), Some("list_users"), "{err}");
    }
}

#[tokio::test]
async fn awkward_filter_values_arrive_as_one_value() {
    for value in ["a+b&c=d%e@x.com", "o'neil~1@example.com", "ü@例え.jp"] {
        let server = MockServer::start_async().await;
        let mock = filter_answers(&server, value, vec![user("u-1", value, value)]).await;
        let found = client(&server).find_users(&email(value)).await.unwrap();
        assert_eq!(found.len(), 1, "{value}");
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn v2_finds_too() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .query_param("Action", "ListUsers")
                .query_param("Filter", "UserName eq jdoe")
                .is_true(|req| common::v2_signed(req, SECRET));
            then.status(200).json_body(common::ok(
                json!({"Users": [user("u-1", "jdoe", "j@x.com")]}),
            ));
        })
        .await;
    let found = client_v2(&server)
        .find_users(&UserQuery::username("jdoe").unwrap())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    mock.assert_calls_async(1).await;
}

/// 429, a dropped connection and 503 on the new `ListUsers` calls are retried.
#[tokio::test]
async fn faults_on_listing_are_retried() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).header("x-acs-action", "ListUsers");
            then.status(429).up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).header("x-acs-action", "ListUsers");
            then.status(400)
                .json_body(error_body("Throttling.Api", "flow control"))
                .up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).header("x-acs-action", "ListUsers");
            then.status(503).up_to_n_times(1);
        })
        .await;
    filters_find_nobody(&server).await;
    directory(&server, &[user("u-1", "a", "a@x.com")], 100).await;
    let front = common::drop_first(&server.base_url(), "ListUsers").await;
    let config = common::config(&server).with_endpoint(front);
    let client = Client::new(config, common::no_reuse(fast_options())).unwrap();
    // The filter call: dropped, 429, Throttling, 503 - four failures exhaust the retries…
    let err = client.find_users(&email("a@x.com")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 4);
    // …and the next lookup goes through (filter, then the listing).
    let found = client.find_users(&email("a@x.com")).await.unwrap();
    assert_eq!(found.len(), 1);
}
