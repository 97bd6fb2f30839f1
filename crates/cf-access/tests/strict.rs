#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every outcome is Cloudflare's own word: a gateway's 404 is never "absent", a 2xx that is
//! not Cloudflare's success shape is never "deleted", "revoked" or "present".

mod support;

use httpmock::prelude::*;
use idp_core::{DeleteOutcome, ErrorKind, Offboarder, Presence, StepContext, UserDeleter};
use support::*;

/// 404 and 410 answers that are not Cloudflare's "user not found": `(status, content type,
/// body)`.
const NOT_CLOUDFLARES_404: &[(u16, &str, &str)] = &[
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
        r#"{"timestamp":"2026-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"/client/v4/accounts/x/access/users/y"}"#,
    ),
    (404, "text/plain", "Not Found"),
    (404, "application/json", r#"{"error":"user not found"}"#),
    (
        404,
        "text/html",
        "<html><body><h1>404 Not Found</h1></body></html>",
    ),
    (
        404,
        "application/json",
        r#"{"success":false,"errors":[{"code":1000,"message":"Not Found"}],"messages":[],"result":null}"#,
    ),
    (
        404,
        "application/json",
        r#"{"success":false,"errors":[{"code":7000,"message":"No route for that URI"}],"messages":[],"result":null}"#,
    ),
    (410, "", ""),
    (
        410,
        "application/json",
        r#"{"success":false,"errors":[{"code":1003,"message":"Access user not found"}]}"#,
    ),
];

async fn answering(status: u16, content_type: &str, body: &str) -> MockServer {
    let server = MockServer::start_async().await;
    let (content_type, body) = (content_type.to_owned(), body.to_owned());
    server
        .mock_async(move |when, then| {
            when.any_request();
            let then = then.status(status).header("cf-ray", RAY).body(body);
            if !content_type.is_empty() {
                then.header("content-type", content_type);
            }
        })
        .await;
    server
}

#[tokio::test]
async fn gateway_and_bare_404s_are_protocol_never_absent() {
    for &(status, content_type, body) in NOT_CLOUDFLARES_404 {
        let server = answering(status, content_type, body).await;
        let clock = ManualClock::default();
        let client = token_client(&server, &clock);
        let case = format!("HTTP {status} {content_type} {body:?}");

        let delete = DeleteOutcome::from_result(client.delete_user(USER).await).unwrap_err();
        assert_eq!(delete.kind(), ErrorKind::Protocol, "{case}");
        assert!(
            delete.message().contains("CLOUDFLARE_BASE_URL"),
            "{case}: {delete}"
        );
        assert!(
            delete.message().contains("CLOUDFLARE_ACCOUNT_ID"),
            "{case}: {delete}"
        );
        assert_eq!(delete.attempts(), 1, "{case}");

        // Nor "no match" for a lookup.
        let query = idp_core::UserQuery::email(PERSON).unwrap();
        let find = client.find_users(&query).await.unwrap_err();
        assert_eq!(find.kind(), ErrorKind::Protocol, "{case}");

        // Neither "gone" for a verify, nor "already" for a delete step.
        let account = account(USER, Some(PERSON));
        let verify = client.verify(&account).await.unwrap_err();
        assert_eq!(verify.kind(), ErrorKind::Protocol, "{case}");
        let plan = client.plan(&account, Vec::new());
        for step in plan
            .steps
            .iter()
            .filter(|s| s.step != idp_core::Step::RevokeSessions)
        {
            let err = client
                .run_step(&account, step, &StepContext::none())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{case} {}", step.step);
            assert!(client.step_done(&account, step).await.is_err(), "{case}");
        }
    }
}

#[tokio::test]
async fn cloudflares_user_not_found_is_absent_and_gone() {
    let server = answering(404, "application/json", &user_not_found()).await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    assert_eq!(
        DeleteOutcome::from_result(client.delete_user(USER).await).unwrap(),
        DeleteOutcome::Absent
    );
    let presence = client.verify(&account(USER, None)).await.unwrap();
    assert_eq!(presence, Presence::Gone);
}

/// 2xx answers that are not Cloudflare's success shape (HTTP 200 with `success: true`).
const NOT_CLOUDFLARES_SUCCESS: &[(u16, &str, &str)] = &[
    (
        200,
        "text/html",
        "<html><body>Welcome to the hotel Wi-Fi</body></html>",
    ),
    (200, "text/plain", "OK"),
    (200, "application/json", r#"{"success":false}"#),
    (
        200,
        "application/json",
        r#"{"success":false,"errors":[{"code":1002,"message":"odd"}]}"#,
    ),
    (200, "application/json", "{}"),
    (200, "application/json", r#"{"result":{}}"#),
    (200, "application/json", r#"{"success":"true","result":{}}"#),
    (200, "", ""),
    (201, "application/json", OK_BODY),
    (202, "application/json", OK_BODY),
    (202, "", ""),
    (203, "application/json", OK_BODY),
    (204, "", ""),
    (206, "application/json", OK_BODY),
    (207, "application/json", OK_BODY),
];

#[tokio::test]
async fn non_success_2xx_is_protocol_never_done() {
    for &(status, content_type, body) in NOT_CLOUDFLARES_SUCCESS {
        let server = answering(status, content_type, body).await;
        let clock = ManualClock::default();
        let client = token_client(&server, &clock);
        let case = format!("HTTP {status} {content_type} {body:?}");

        let delete = DeleteOutcome::from_result(client.delete_user(USER).await).unwrap_err();
        assert_eq!(delete.kind(), ErrorKind::Protocol, "{case}");
        assert_eq!(delete.attempts(), 1, "{case}");
        let revoke = client.revoke_sessions(PERSON).await.unwrap_err();
        assert_eq!(revoke.kind(), ErrorKind::Protocol, "{case}");
        let presence = client.user_presence(USER).await.unwrap_err();
        assert_eq!(presence.kind(), ErrorKind::Protocol, "{case}");
        let access = client.check_access().await.unwrap_err();
        assert_eq!(access.kind(), ErrorKind::Protocol, "{case}");
        let query = idp_core::UserQuery::email(PERSON).unwrap();
        let find = client.find_users(&query).await.unwrap_err();
        assert_eq!(find.kind(), ErrorKind::Protocol, "{case}");
    }
}

#[tokio::test]
async fn a_revoke_is_done_only_with_result_true() {
    let bodies = [
        success(serde_json::json!(false)),
        success(serde_json::Value::Null),
        success(serde_json::json!("true")),
        success(serde_json::json!({})),
        success(serde_json::json!(1)),
        r#"{"success":true,"errors":[],"messages":[]}"#.to_owned(),
        r#"{"success":false,"errors":[],"messages":[],"result":true}"#.to_owned(),
    ];
    for body in bodies {
        let server = answering(200, "application/json", &body).await;
        let clock = ManualClock::default();
        let err = token_client(&server, &clock)
            .revoke_sessions(PERSON)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
        assert_eq!(err.attempts(), 1);
        if body.contains(r#""result":false"#) {
            assert!(err.message().contains("not revoked"), "{err}");
        }
    }
}

#[tokio::test]
async fn a_wrong_base_url_names_the_variable() {
    // A base URL without `/client/v4` reaches Cloudflare's edge, which answers 7000/7003
    // envelopes, or a proxy's 404 page: neither is an absent user.
    for (status, body) in [
        (400, failure(7000, "No route for that URI")),
        (
            400,
            failure(
                7003,
                "Could not route to /accounts/x/access/users/y, perhaps your object identifier is invalid?",
            ),
        ),
        (404, "404 page not found".to_owned()),
    ] {
        let server = answering(status, "", &body).await;
        let clock = ManualClock::default();
        let err = DeleteOutcome::from_result(token_client(&server, &clock).delete_user(USER).await)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
        assert!(err.message().contains("CLOUDFLARE_BASE_URL"), "{err}");
    }
}
