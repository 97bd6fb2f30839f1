//! Strict outcomes over HTTP: "absent" only from the Control Room's own not-found answer,
//! "deleted" only from its documented success answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use httpmock::prelude::*;
use idp_core::{DeleteOutcome, ErrorKind, Offboarder, Presence};
use serde_json::json;

/// (status, content type, body) of answers that are not the Control Room's "no such user".
fn foreign_404s() -> Vec<(u16, &'static str, String)> {
    vec![
        (404, "application/json", r#"{"message":"no Route matched with those values"}"#.into()),
        (404, "application/json", r#"{"message":"Not Found"}"#.into()),
        (
            404,
            "application/json",
            r#"{"statusCode":404,"message":"Resource not found"}"#.into(),
        ),
        (404, "text/plain; charset=utf-8", "404 page not found\n".into()),
        (404, "", String::new()),
        (
            404,
            "application/json",
            r#"{"timestamp":"2026-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"/v1/usermanagement/users/15"}"#
                .into(),
        ),
        (404, "text/plain", "Not Found".into()),
        (404, "application/json", r#"{"error":"not_found"}"#.into()),
        (404, "application/json", r#"{"code":"NotFound","message":"Resource not found"}"#.into()),
        (404, "application/json", r#"{"code":404,"message":"User not found"}"#.into()),
        (404, "text/html", "<!DOCTYPE html><h1>HTTP Status 404 – Not Found</h1>".into()),
        (410, "", String::new()),
        (410, "application/json", r#"{"code":"UM1009","message":"User not found"}"#.into()),
    ]
}

/// 2xx answers that are not a documented delete.
fn non_success_2xx() -> Vec<(u16, &'static str, String)> {
    vec![
        (
            200,
            "text/html",
            "<html><body>Welcome to the network</body></html>".into(),
        ),
        (200, "text/plain", "OK".into()),
        (200, "application/json", r#"{"success":false}"#.into()),
        (200, "application/json", "{}".into()),
        (200, "application/json", r#"{"id":16}"#.into()),
        (200, "application/json", "null".into()),
        (200, "", String::new()),
        (201, "application/json", r#"{"id":15}"#.into()),
        (202, "", String::new()),
        (203, "application/json", r#"{"id":15}"#.into()),
        (206, "application/json", r#"{"id":15}"#.into()),
        (207, "application/json", "{}".into()),
    ]
}

async fn answering<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    answer: &(u16, &'static str, String),
) -> httpmock::Mock<'a> {
    let (status, content_type, body) = answer.clone();
    server
        .mock_async(move |when, then| {
            when.method(method).path("/v1/usermanagement/users/15");
            let then = then.status(status).body(body);
            if !content_type.is_empty() {
                then.header("content-type", content_type);
            }
        })
        .await
}

#[tokio::test]
async fn foreign_404s_and_410s_are_never_absent() {
    for answer in foreign_404s() {
        let server = MockServer::start_async().await;
        let _login = login(&server, "tok").await;
        let delete = answering(&server, DELETE, &answer).await;
        let read = answering(&server, GET, &answer).await;
        let unexpected = catch_all(&server).await;
        let client = api_key_client(&server);

        let err = client.delete_user("15").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{answer:?}: {err}");
        assert!(err.message().contains("AA_CONTROL_ROOM_URL"), "{err}");
        assert!(err.message().contains("AA_API_VERSION"), "{err}");
        assert!(DeleteOutcome::from_result(Err(err)).is_err());

        let account = account_of(&user(15, "jdoe", "jane@example.com"));
        let err = client.verify(&account).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{answer:?}: {err}");

        delete.assert_calls_async(1).await;
        read.assert_calls_async(1).await;
        unexpected.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn the_control_rooms_own_not_found_is_absent() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let own = (
        404,
        "application/json",
        json!({ "code": "UM1009", "details": null, "message": "User not found" }).to_string(),
    );
    let _delete = answering(&server, DELETE, &own).await;
    let _read = answering(&server, GET, &own).await;
    let unexpected = catch_all(&server).await;
    let client = api_key_client(&server);

    let outcome = DeleteOutcome::from_result(client.delete_user("15").await).unwrap();
    assert_eq!(outcome, DeleteOutcome::Absent);
    let account = account_of(&user(15, "jdoe", "jane@example.com"));
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn non_success_2xx_answers_are_never_deleted() {
    for answer in non_success_2xx() {
        let server = MockServer::start_async().await;
        let _login = login(&server, "tok").await;
        let delete = answering(&server, DELETE, &answer).await;
        let unexpected = catch_all(&server).await;

        let err = api_key_client(&server).delete_user("15").await.unwrap_err();

        assert_eq!(err.kind(), ErrorKind::Protocol, "{answer:?}: {err}");
        assert!(err.message().contains("not confirmed"), "{err}");
        assert_eq!(err.attempts(), 1, "never retried: it may have been done");
        delete.assert_calls_async(1).await;
        unexpected.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn a_wrong_api_version_is_a_failure_naming_the_variable() {
    // An Automation 360 v.33+ Control Room with v1 retired: the v1 paths are gone.
    let server = MockServer::start_async().await;
    let _v2_login = login_at(&server, "/v2/authentication", "tok").await;
    let retired = server
        .mock_async(|when, then| {
            when.path_prefix("/v1/");
            then.status(404);
        })
        .await;
    let err = api_key_client(&server).delete_user("15").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("login"));
    assert!(err.message().contains("AA_API_VERSION"), "{err}");
    retired.assert_calls_async(1).await;
}
