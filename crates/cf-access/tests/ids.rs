#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Ids are checked before any request and can never change which URL is called.

mod support;

use futures_util::StreamExt;
use httpmock::prelude::*;
use idp_cf_access::{Auth, Client, Config, VENDOR};
use idp_core::{DeleteOutcome, ErrorKind, ManualClock, UserDeleter, delete_many};
use support::*;

#[tokio::test]
async fn hostile_ids_stay_one_path_segment() {
    let cases = [
        ("a/b", "a%2Fb"),
        ("x?y=1", "x%3Fy%3D1"),
        ("100%", "100%25"),
        ("%2F..%2F", "%252F..%252F"),
        ("../../admin", "..%2F..%2Fadmin"),
        ("..a", "..a"),
        ("a#frag", "a%23frag"),
        ("sp ace", "sp%20ace"),
        ("ü", "%C3%BC"),
    ];
    for (id, encoded) in cases {
        let server = MockServer::start_async().await;
        let expected = user_path(encoded);
        let wanted = expected.clone();
        let exact = server
            .mock_async(|when, then| {
                when.method(DELETE)
                    .is_true(move |req| req.uri().path() == wanted && req.uri().query().is_none());
                then.status(200).body(OK_BODY);
            })
            .await;
        let clock = ManualClock::default();
        let client = token_client(&server, &clock);

        assert_eq!(client.user_url(id).unwrap().path(), expected, "{id:?}");
        client
            .delete_user(id)
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
        exact.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn hostile_account_ids_stay_one_path_segment() {
    let server = MockServer::start_async().await;
    let exact = server
        .mock_async(|when, then| {
            when.method(DELETE).is_true(|req| {
                req.uri().path() == format!("/client/v4/accounts/a%2F..%3Fb/access/users/{USER}")
            });
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = Client::new(
        Config::new("a/..?b", Auth::api_token(TOKEN)).with_base_url(server.url("/client/v4")),
        manual_options(&clock),
    )
    .unwrap();
    client.delete_user(USER).await.unwrap();
    exact.assert_calls_async(1).await;
}

#[tokio::test]
async fn bad_user_ids_are_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    let oversized = "a".repeat(37);
    let oversized_multibyte = "é".repeat(37);
    for bad in [
        "",
        ".",
        "..",
        "a\nb",
        "a\u{0}b",
        "tab\there",
        oversized.as_str(),
        oversized_multibyte.as_str(),
    ] {
        let err = client.delete_user(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.vendor(), VENDOR);
        assert_eq!(err.attempts(), 0);
        assert!(err.message().starts_with("user_id "), "{err}");
        assert!(UserDeleter::validate_user_id(&client, bad).is_err());
    }
    // 36 characters, even multibyte ones, is the documented maximum and allowed.
    assert!(client.validate_user_id(&"é".repeat(36)).is_ok());
    assert!(client.validate_user_id(USER).is_ok());
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn bad_account_ids_are_refused_at_construction() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let oversized = "a".repeat(33);
    for bad in ["", ".", "..", "acc\r\n", oversized.as_str()] {
        let err = Client::new(
            Config::new(bad, Auth::api_token(TOKEN)).with_base_url(server.url("/client/v4")),
            manual_options(&clock),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
        assert!(err.message().contains("account_id"), "{err}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused() {
    let err = Client::new(
        Config::new(ACCOUNT, Auth::api_token(TOKEN)).with_base_url("http://api.example.com/v4"),
        idp_core::TransportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn bulk_deletes_report_deleted_absent_and_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path("gone"));
            then.status(404).body(failure(1001, "not found"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    assert_eq!(UserDeleter::vendor(&client), "cf-access");

    let ids = vec![USER.to_owned(), "gone".to_owned(), "x".repeat(40)];
    let mut reports: Vec<_> = delete_many(&client, ids, 2).collect().await;
    reports.sort_by(|a, b| a.user_id.cmp(&b.user_id));

    assert_eq!(reports[0].user_id, USER);
    assert_eq!(
        reports[0].outcome.as_ref().ok(),
        Some(&DeleteOutcome::Deleted)
    );
    assert_eq!(reports[1].user_id, "gone");
    assert_eq!(
        reports[1].outcome.as_ref().ok(),
        Some(&DeleteOutcome::Absent)
    );
    let refused = reports[2].outcome.as_ref().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert_eq!(reports[2].attempts, 0);
}
