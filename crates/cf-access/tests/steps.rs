#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The offboarding steps: `revoke_sessions`, `delete`, `verify`, from each starting state,
//! each run twice; the plan and its warning; `step_done`; `check_access`.

mod support;

use httpmock::prelude::*;
use idp_cf_access::DOWNSTREAM_WARNING;
use idp_core::{
    EndState, ErrorKind, Offboarder, PlannedStep, Presence, Step, StepContext, StepOutcome,
    UserDeleter,
};
use serde_json::json;
use support::*;

fn planned(step: Step) -> PlannedStep {
    PlannedStep::on(step, USER, None)
}

async fn run(
    client: &idp_cf_access::Client,
    step: Step,
) -> Result<idp_core::StepReport, idp_core::Error> {
    client
        .run_step(
            &account(USER, Some(PERSON)),
            &planned(step),
            &StepContext::none(),
        )
        .await
}

#[tokio::test]
async fn the_plan_is_revoke_delete_verify_and_always_warns() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    let person = account(USER, Some(PERSON));

    assert!(client.prerequisites(&person).await.unwrap().is_empty());
    let plan = client.plan(&person, Vec::new());
    let steps: Vec<Step> = plan.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::RevokeSessions, Step::Delete, Step::Verify]);
    assert!(plan.steps.iter().all(|s| s.target == USER));
    assert_eq!(plan.end, EndState::Offboarded);
    assert_eq!(plan.warnings, [DOWNSTREAM_WARNING]);
    assert!(DOWNSTREAM_WARNING.contains("identity provider"));

    // Without an email there is nothing to revoke by: the plan says so.
    let plan = client.plan(&account(USER, None), Vec::new());
    let steps: Vec<Step> = plan.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Delete, Step::Verify]);
    assert_eq!(plan.warnings.len(), 2);
    assert_eq!(plan.warnings[0], DOWNSTREAM_WARNING);
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn revoke_sends_exactly_the_email_and_devices_and_can_run_twice() {
    let server = MockServer::start_async().await;
    let revoke = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(revoke_path())
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .json_body(json!({"email": PERSON, "devices": true}));
            then.status(200)
                .header("cf-ray", RAY)
                .body(success(json!(true)));
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);

    for _ in 0..2 {
        let report = run(&client, Step::RevokeSessions).await.unwrap();
        assert_eq!(report.outcome, StepOutcome::Done);
        assert_eq!(report.attempts, 1);
        assert_eq!(report.request_id.as_deref(), Some(RAY));
    }
    revoke.assert_calls_async(2).await;
    // Cloudflare's revocation cannot be read back.
    let done = client
        .step_done(&account(USER, Some(PERSON)), &planned(Step::RevokeSessions))
        .await
        .unwrap();
    assert_eq!(done, None);
    revoke.assert_calls_async(2).await;
}

#[tokio::test]
async fn revoke_without_an_email_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(success(json!(true)));
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    for email in [None, Some(""), Some("not an email")] {
        let err = client
            .run_step(
                &account(USER, email),
                &planned(Step::RevokeSessions),
                &StepContext::none(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{email:?}");
        assert_eq!(err.vendor(), "cf-access");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn delete_then_delete_again_is_done_then_already() {
    let server = MockServer::start_async().await;
    let deleted = server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    let report = run(&client, Step::Delete).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    deleted.assert_calls_async(1).await;
    deleted.delete_async().await;

    server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(404)
                .header("cf-ray", RAY)
                .body(user_not_found());
        })
        .await;
    let report = run(&client, Step::Delete).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Already);
    assert_eq!(report.attempts, 1);
    assert_eq!(report.request_id.as_deref(), Some(RAY));
}

#[tokio::test]
async fn a_refused_delete_fails_the_step() {
    for (status, body, kind) in [
        (
            403,
            failure(10000, "Authentication error"),
            ErrorKind::Unauthenticated,
        ),
        (
            403,
            failure(9109, "Unauthorized to access requested resource"),
            ErrorKind::PermissionDenied,
        ),
        (409, failure(1000, "conflict"), ErrorKind::Conflict),
        (501, failure(1000, "not implemented"), ErrorKind::Server),
    ] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(DELETE).path(user_path(USER));
                then.status(status).body(body.clone());
            })
            .await;
        let clock = ManualClock::default();
        let err = run(&token_client(&server, &clock), Step::Delete)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "HTTP {status}");
        mock.assert_calls_async(1).await;
    }
}

async fn user_is(server: &MockServer, present: bool) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(user_path(USER))
                .header("authorization", format!("Bearer {TOKEN}"));
            if present {
                then.status(200).body(success(record(USER, PERSON)));
            } else {
                then.status(404).body(user_not_found());
            }
        })
        .await
}

#[tokio::test]
async fn verify_is_done_only_when_cloudflare_says_the_user_is_gone() {
    let server = MockServer::start_async().await;
    let get = user_is(&server, false).await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    let person = account(USER, Some(PERSON));

    for _ in 0..2 {
        let report = run(&client, Step::Verify).await.unwrap();
        assert_eq!(report.outcome, StepOutcome::Done);
    }
    assert_eq!(client.verify(&person).await.unwrap(), Presence::Gone);
    for step in [Step::Delete, Step::Verify] {
        assert_eq!(
            client.step_done(&person, &planned(step)).await.unwrap(),
            Some(true)
        );
    }
    get.assert_calls_async(5).await;
}

#[tokio::test]
async fn verify_fails_while_the_user_is_still_there() {
    let server = MockServer::start_async().await;
    user_is(&server, true).await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    let person = account(USER, Some(PERSON));

    let err = run(&client, Step::Verify).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.vendor(), "cf-access");
    assert!(err.message().contains("still there"), "{err}");
    assert_eq!(client.verify(&person).await.unwrap(), Presence::Present);
    for step in [Step::Delete, Step::Verify] {
        assert_eq!(
            client.step_done(&person, &planned(step)).await.unwrap(),
            Some(false)
        );
    }
}

#[tokio::test]
async fn the_whole_plan_runs_in_order() {
    let server = MockServer::start_async().await;
    let revoke = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(revoke_path())
                .json_body(json!({"email": PERSON, "devices": true}));
            then.status(200).body(success(json!(true)));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path(user_path(USER));
            then.status(200).body(OK_BODY);
        })
        .await;
    let get = user_is(&server, false).await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    let person = account(USER, Some(PERSON));

    let plan = client.plan(&person, client.prerequisites(&person).await.unwrap());
    for (n, step) in plan.steps.iter().enumerate() {
        let report = client
            .run_step(&person, step, &StepContext::none())
            .await
            .unwrap();
        assert_eq!(report.outcome, StepOutcome::Done, "{}", step.step);
        let calls = [
            revoke.calls_async().await,
            delete.calls_async().await,
            get.calls_async().await,
        ];
        let mut expected = [0; 3];
        expected[..=n].fill(1);
        assert_eq!(calls, expected, "after {}", step.step);
    }
}

#[tokio::test]
async fn steps_cloudflare_has_not_and_foreign_targets_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(OK_BODY);
        })
        .await;
    let clock = ManualClock::default();
    let client = token_client(&server, &clock);
    let person = account(USER, Some(PERSON));
    for step in [
        Step::Disable,
        Step::Logout,
        Step::RemoveMfaDevice,
        Step::RemoveFromGroup,
        Step::RemoveAccessAssignment,
    ] {
        let err = client
            .run_step(&person, &planned(step), &StepContext::none())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{step}");
        assert!(
            err.message().contains("revoke_sessions, delete and verify"),
            "{err}"
        );
        assert!(client.step_done(&person, &planned(step)).await.is_err());
    }
    let elsewhere = PlannedStep::on(Step::Delete, OTHER_USER, None);
    let err = client
        .run_step(&person, &elsewhere, &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(client.step_done(&person, &elsewhere).await.is_err());
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn check_access_lists_one_user() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(users_path())
                .is_true(|req| req.uri().query() == Some("per_page=1"))
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200).body(page(&[record(USER, PERSON)]));
        })
        .await;
    let clock = ManualClock::default();
    token_client(&server, &clock).check_access().await.unwrap();
    list.assert_calls_async(1).await;
}

#[tokio::test]
async fn check_access_with_a_refused_credential() {
    for (status, body, kind) in [
        (
            403,
            failure(10000, "Authentication error"),
            ErrorKind::Unauthenticated,
        ),
        (
            400,
            failure(9103, "Unknown X-Auth-Key or X-Auth-Email"),
            ErrorKind::Unauthenticated,
        ),
        (
            403,
            failure(9109, "Unauthorized to access requested resource"),
            ErrorKind::PermissionDenied,
        ),
    ] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(GET).path(users_path());
                then.status(status).body(body.clone());
            })
            .await;
        let clock = ManualClock::default();
        let err = token_client(&server, &clock)
            .check_access()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{body}");
        assert_eq!(err.operation(), Some("check_access"));
        mock.assert_calls_async(1).await;
    }
}
