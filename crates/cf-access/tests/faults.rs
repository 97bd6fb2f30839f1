#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Throttling, server errors and dropped connections on every call: retried as on delete,
//! each request carrying the credentials and the same body again.

mod support;

use std::time::Duration;

use idp_cf_access::Client;
use idp_core::{ErrorKind, Offboarder, Presence, Step, StepContext, StepOutcome, UserDeleter};
use serde_json::json;
use support::*;

/// A 429, a 503 and a dropped connection, then `answers`.
fn faults_then(answers: Vec<Scripted>) -> Vec<Scripted> {
    let throttled = Scripted::Answer(
        429,
        vec![("retry-after", "1".to_owned())],
        failure(
            971,
            "Please wait and consider throttling your request speed",
        ),
    );
    let mut script = vec![
        throttled,
        Scripted::json(503, failure(1000, "Service unavailable")),
        Scripted::Drop,
    ];
    script.extend(answers);
    script
}

/// Runs `call` against a server scripted with faults then `answers`; returns the requests.
async fn with_faults<T, F>(answers: Vec<Scripted>, call: F) -> (T, Vec<String>, ManualClock)
where
    F: AsyncFnOnce(&Client) -> T,
{
    let (base, log) = scripted(faults_then(answers)).await;
    let clock = ManualClock::default();
    let client = client_for(&base, &clock);
    let value = call(&client).await;
    let requests = log.lock().unwrap().clone();
    (value, requests, clock)
}

fn assert_every_request(requests: &[String], line: &str, count: usize) {
    assert_eq!(requests.len(), count, "{requests:#?}");
    for request in requests {
        assert!(request.starts_with(line), "{request}");
        assert!(
            request.to_ascii_lowercase().contains(&format!(
                "authorization: bearer {}",
                TOKEN.to_ascii_lowercase()
            )),
            "{request}"
        );
    }
}

#[tokio::test]
async fn delete_survives_each_fault() {
    let (receipt, requests, clock) =
        with_faults(vec![Scripted::json(200, OK_BODY)], async |c: &Client| {
            c.delete_user(USER).await.unwrap()
        })
        .await;
    assert_eq!(receipt.attempts, 4);
    assert_every_request(&requests, &format!("DELETE {}", user_path(USER)), 4);
    assert!(
        clock.sleeps().contains(&Duration::from_secs(1)),
        "{:?}",
        clock.sleeps()
    );
}

#[tokio::test]
async fn revoke_survives_each_fault_with_the_same_body() {
    let (report, requests, _) = with_faults(
        vec![Scripted::json(200, success(json!(true)))],
        async |c: &Client| {
            c.run_step(
                &account(USER, Some(PERSON)),
                &idp_core::PlannedStep::on(Step::RevokeSessions, USER, None),
                &StepContext::none(),
            )
            .await
            .unwrap()
        },
    )
    .await;
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(report.attempts, 4);
    assert_every_request(&requests, &format!("POST {}", revoke_path()), 4);
    for request in &requests {
        assert!(
            request.ends_with(r#"{"devices":true,"email":"jane.doe@example.com"}"#)
                || request.ends_with(r#"{"email":"jane.doe@example.com","devices":true}"#),
            "{request}"
        );
    }
}

#[tokio::test]
async fn find_survives_each_fault_on_every_page() {
    let answers = vec![
        Scripted::json(200, page(&[record(USER, PERSON)])),
        Scripted::Drop,
        Scripted::json(200, page(&[])),
    ];
    let (accounts, requests, _) = with_faults(answers, async |c: &Client| {
        c.find_users(&idp_core::UserQuery::email(PERSON).unwrap())
            .await
            .unwrap()
    })
    .await;
    assert_eq!(accounts.len(), 1);
    assert_every_request(&requests, &format!("GET {}?email=", users_path()), 6);
    assert!(requests[..4].iter().all(|r| r.contains("&page=1&")));
    assert!(requests[4..].iter().all(|r| r.contains("&page=2&")));
}

#[tokio::test]
async fn verify_survives_each_fault() {
    let (presence, requests, _) = with_faults(
        vec![Scripted::json(404, user_not_found())],
        async |c: &Client| c.verify(&account(USER, None)).await.unwrap(),
    )
    .await;
    assert_eq!(presence, Presence::Gone);
    assert_every_request(&requests, &format!("GET {}", user_path(USER)), 4);
}

#[tokio::test]
async fn check_access_survives_each_fault() {
    let (result, requests, _) =
        with_faults(vec![Scripted::json(200, page(&[]))], async |c: &Client| {
            c.check_access().await
        })
        .await;
    result.unwrap();
    assert_every_request(&requests, &format!("GET {}?per_page=1", users_path()), 4);
}

#[tokio::test]
async fn persistent_faults_end_in_their_own_kind() {
    for (fault, kind) in [
        (Scripted::Drop, ErrorKind::Transport),
        (
            Scripted::json(502, "<html>Bad gateway</html>"),
            ErrorKind::Server,
        ),
        (
            Scripted::Answer(
                429,
                vec![("retry-after", "2".to_owned())],
                failure(10013, "Rate limited"),
            ),
            ErrorKind::RateLimited,
        ),
    ] {
        let (base, log) = scripted(vec![fault.clone(); 4]).await;
        let clock = ManualClock::default();
        let err = client_for(&base, &clock)
            .revoke_sessions(PERSON)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{fault:?}");
        assert_eq!(err.attempts(), 4, "{fault:?}");
        assert_eq!(err.operation(), Some("revoke_sessions"));
        assert_eq!(log.lock().unwrap().len(), 4);
    }
}
