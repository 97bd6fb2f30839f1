//! Strict outcomes: "absent" only from OneLogin's own not-found answer, "deleted" only from
//! its documented success answer. Every gateway 404, every other 404/410 and every other 2xx
//! is a protocol error that says what to check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use httpmock::MockServer;
use idp_core::test_util::fast_options;
use idp_core::{ErrorKind, Offboarder, Presence, RetryPolicy};
use idp_onelogin::{ApiVersion, Client};

/// 404 bodies of common gateways and servers, and bodies that are close to OneLogin's but
/// not its not-found answer: `(status, content type, body)`.
fn foreign_404s() -> Vec<(u16, &'static str, &'static str)> {
    vec![
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
        (404, "", ""),
        (
            404,
            "application/json",
            r#"{"timestamp":"2026-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"/api/1/users/5"}"#,
        ),
        (404, "text/html", "<html><body>Not Found</body></html>"),
        (404, "application/json", "{}"),
        (
            404,
            "application/json",
            r#"{"status":{"error":true,"code":404,"type":"not found","message":"Not Found"}}"#,
        ),
        (
            404,
            "application/json",
            r#"{"message":"Not Found","name":"NotFound","statusCode":404}"#,
        ),
        (410, "", ""),
        (
            410,
            "application/json",
            r#"{"status":{"error":true,"code":404,"type":"not found","message":"User for id 5 was not found"}}"#,
        ),
    ]
}

/// 2xx answers that are not the documented success of a delete, per version.
fn false_successes(version: ApiVersion) -> Vec<(u16, &'static str, &'static str)> {
    let mut answers = vec![
        (
            200,
            "text/html",
            "<html>Welcome to the captive portal</html>",
        ),
        (200, "text/plain", "OK"),
        (200, "application/json", r#"{"success":false}"#),
        (200, "application/json", "{}"),
        (202, "application/json", ""),
        (
            203,
            "application/json",
            r#"{"status":{"error":false,"code":200,"type":"success","message":"Success"}}"#,
        ),
        (206, "application/json", ""),
        (207, "application/json", "[]"),
    ];
    match version {
        // v1 answers a JSON status body: an empty 200/202/204 is no proof.
        ApiVersion::V1 => answers.extend([
            (200, "", ""),
            (204, "", ""),
            (
                200,
                "application/json",
                r#"{"status":{"code":200,"type":"success","message":"Success"}}"#,
            ),
        ]),
        // v2 answers 204: a v1 envelope or an empty 200 is another server.
        _ => answers.extend([
            (200, "", ""),
            (
                200,
                "application/json",
                r#"{"status":{"error":false,"code":200,"type":"success","message":"Success"}}"#,
            ),
        ]),
    }
    answers
}

fn no_retries(server: &MockServer, version: ApiVersion) -> Client {
    client_with(
        server,
        version,
        fast_options().with_retry(RetryPolicy::none()),
    )
}

async fn answer_everything<'a>(
    server: &'a MockServer,
    method: &str,
    (status, content_type, body): (u16, &str, &str),
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(method).path_prefix("/api/");
            let then = then.status(status).body(body);
            if !content_type.is_empty() {
                then.header("content-type", content_type);
            }
        })
        .await
}

#[tokio::test]
async fn no_foreign_404_is_ever_absent() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        for case in foreign_404s() {
            let server = MockServer::start_async().await;
            token_mock(&server, "tok-1").await;
            answer_everything(&server, "DELETE", case).await;
            answer_everything(&server, "GET", case).await;
            answer_everything(&server, "PUT", case).await;
            let client = no_retries(&server, version);
            let account = idp_core::Account {
                user_id: "5".into(),
                email: None,
                username: None,
                display_name: None,
                status: idp_core::AccountStatus::Enabled,
                managed_by: idp_core::ManagedBy::Local,
                vendor: serde_json::Value::Null,
            };

            let delete = client.delete_user("5").await.unwrap_err();
            let verify = client.verify(&account).await.unwrap_err();
            let logout = client.logout_user("5").await.unwrap_err();
            let find = client
                .find_users(&email("jane@example.com"))
                .await
                .unwrap_err();

            for err in [delete, verify, logout, find] {
                assert_eq!(err.kind(), ErrorKind::Protocol, "{version} {case:?}: {err}");
                assert!(err.message().contains("ONELOGIN_BASE_URL"), "{err}");
                assert!(err.message().contains("ONELOGIN_API_VERSION"), "{err}");
            }
        }
    }
}

#[tokio::test]
async fn onelogins_own_not_found_is_absent_for_delete_verify_and_logout() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        let own = match version {
            ApiVersion::V1 => v1_not_found(5),
            _ => v2_not_found(5),
        };
        server
            .mock_async(|when, then| {
                when.path(format!("/api/{}/users/5", version.as_str()));
                then.status(404).json_body(own.clone());
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method("PUT").path("/api/1/users/5/logout");
                then.status(404).json_body(v1_not_found(5));
            })
            .await;
        let client = no_retries(&server, version);

        let err = client.delete_user("5").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{version}: {err}");
        assert_eq!(client.user_presence("5").await.unwrap().0, Presence::Gone);
        let err = client.logout_user("5").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{version}: {err}");
    }
}

#[tokio::test]
async fn api_version_2_against_a_v1_only_tenant_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    // A tenant without /api/2: its own v1 not-found shape, or a bare 404.
    server
        .mock_async(|when, then| {
            when.path("/api/2/users/5");
            then.status(404).json_body(v1_not_found(5));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/api/2/users");
            then.status(404).body("");
        })
        .await;
    let client = no_retries(&server, ApiVersion::V2);

    let delete = client.delete_user("5").await.unwrap_err();
    let read = client.user_presence("5").await.unwrap_err();
    let find = client
        .find_users(&email("jane@example.com"))
        .await
        .unwrap_err();

    for err in [delete, read, find] {
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        assert!(err.message().contains("ONELOGIN_API_VERSION"), "{err}");
    }
}

#[tokio::test]
async fn no_other_2xx_is_ever_deleted() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        for case in false_successes(version) {
            let server = MockServer::start_async().await;
            token_mock(&server, "tok-1").await;
            answer_everything(&server, "DELETE", case).await;

            let err = no_retries(&server, version)
                .delete_user("5")
                .await
                .unwrap_err();

            assert_eq!(err.kind(), ErrorKind::Protocol, "{version} {case:?}: {err}");
            assert!(err.message().contains("not confirmed"), "{err}");
        }
    }
}

#[tokio::test]
async fn no_other_2xx_is_a_logout_or_a_user_record() {
    for case in false_successes(ApiVersion::V1) {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        answer_everything(&server, "PUT", case).await;
        answer_everything(&server, "GET", case).await;
        let client = no_retries(&server, ApiVersion::V1);

        let logout = client.logout_user("5").await.unwrap_err();
        let read = client.user_presence("5").await.unwrap_err();

        for err in [logout, read] {
            assert_eq!(err.kind(), ErrorKind::Protocol, "{case:?}: {err}");
        }
    }
}
