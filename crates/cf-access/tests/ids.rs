#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Ids are checked before any request (user ids are UUIDs) and can never change which URL is
//! called.

mod support;

use futures_util::StreamExt;
use httpmock::prelude::*;
use idp_cf_access::{Auth, Client, Config, VENDOR};
use idp_core::{DeleteOutcome, ErrorKind, Offboarder, StepContext, UserDeleter, delete_many};
use support::*;

#[tokio::test]
async fn uuids_in_any_case_are_sent_as_given() {
    let server = MockServer::start_async().await;
    let upper = USER.to_ascii_uppercase();
    let expected = user_path(&upper);
    let exact = server
        .mock_async(|when, then| {
            when.method(DELETE).path(expected.as_str());
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    assert_eq!(client.user_url(&upper).unwrap().path(), expected);
    client.delete_user(&upper).await.unwrap();
    exact.assert_calls_async(1).await;
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

/// What a copied spreadsheet cell or an HR export turns into, and ids that are not UUIDs.
fn refused_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "",
        ".",
        "..",
        "-",
        "a/b",
        "../../admin",
        "x?y=1",
        "a#frag",
        "100%",
        "gone",
        "user_id",
        "jane.doe@example.com",
        "f174e90afafe4643bbbc4a0ed4fc8415",
        "f174e90a-fafe-4643-bbbc-4a0ed4fc841",
        "f174e90a-fafe-4643-bbbc-4a0ed4fc8415a",
        "g174e90a-fafe-4643-bbbc-4a0ed4fc8415",
        "{f174e90a-fafe-4643-bbbc-4a0ed4fc8415}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for noise in [
        format!("\u{feff}{USER}"),
        format!("{USER}\u{200b}"),
        "f174e90a-fafe\u{00ad}-4643-bbbc-4a0ed4fc8415".to_owned(),
        format!("{USER}  # left"),
        format!("{USER},John Doe,2026-11-30"),
        format!("{USER};John"),
        format!("\"{USER}\""),
        format!(" {USER}"),
        format!("{USER}\n"),
        format!("{USER}\t"),
        "é".repeat(36),
        "a".repeat(37),
    ] {
        ids.push(noise);
    }
    ids
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

    for bad in refused_ids() {
        let err = client.delete_user(&bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.vendor(), VENDOR);
        assert_eq!(err.attempts(), 0);
        assert!(err.message().starts_with("user_id"), "{err}");
        assert!(
            UserDeleter::validate_user_id(&client, &bad).is_err(),
            "{bad:?}"
        );
        let bad_account = account(&bad, Some(PERSON));
        let verify = client.verify(&bad_account).await.unwrap_err();
        assert_eq!(verify.kind(), ErrorKind::InvalidInput, "{bad:?}");
        let plan = client.plan(&bad_account, Vec::new());
        for step in &plan.steps {
            let err = client
                .run_step(&bad_account, step, &StepContext::none())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?} {}", step.step);
        }
    }
    let email = client.validate_user_id(PERSON).unwrap_err();
    assert!(email.message().contains("idp find"), "{email}");
    assert!(client.validate_user_id(USER).is_ok());
    assert!(client.validate_user_id(&USER.to_ascii_uppercase()).is_ok());
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
    for bad in [
        "",
        ".",
        "..",
        "acc\r\n",
        "acc ount",
        "\u{feff}acc",
        oversized.as_str(),
    ] {
        let err = Client::new(
            Config::new(bad, Auth::api_token(TOKEN)).with_base_url(server.url("/client/v4")),
            manual_options(&clock),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
        assert_eq!(err.vendor(), VENDOR);
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
    assert!(err.message().contains("CLOUDFLARE_BASE_URL"), "{err}");
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn bulk_deletes_report_deleted_absent_and_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(OTHER_USER));
            then.status(404).body(user_not_found());
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

    let ids = vec![USER.to_owned(), OTHER_USER.to_owned(), "x".repeat(40)];
    let mut reports: Vec<_> = delete_many(&client, ids, 2).collect().await;
    reports.sort_by(|a, b| a.user_id.cmp(&b.user_id));

    assert_eq!(reports[0].user_id, OTHER_USER);
    assert_eq!(
        reports[0].outcome.as_ref().ok(),
        Some(&DeleteOutcome::Absent)
    );
    assert_eq!(reports[1].user_id, USER);
    assert_eq!(
        reports[1].outcome.as_ref().ok(),
        Some(&DeleteOutcome::Deleted)
    );
    let refused = reports[2].outcome.as_ref().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert_eq!(reports[2].attempts, 0);
}
