//! Offboarding steps: the plan, disable (GET, then PUT the whole record), delete, verify,
//! from each starting state, twice, and with faults on each call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use common::*;
use httpmock::prelude::*;
use idp_aa_controlroom::{Client, Credentials};
use idp_core::test_util::fast_options;
use idp_core::{
    EndState, Error, ErrorKind, Offboarder, PlannedStep, Presence, Step, StepContext, StepOutcome,
    StepReport,
};
use serde_json::{Value, json};

const EMAIL: &str = "jane.doe@example.com";

fn jane() -> Value {
    user(7, "jdoe", EMAIL)
}

fn disabled(mut record: Value) -> Value {
    record["disabled"] = json!(true);
    record
}

fn step(step: Step) -> PlannedStep {
    PlannedStep::on(step, "7", None)
}

/// Runs `which` on user 7.
async fn run(client: &Client, which: Step) -> Result<StepReport, Error> {
    client
        .run_step(&account_of(&jane()), &step(which), &StepContext::none())
        .await
}

#[tokio::test]
async fn the_plan_is_disable_delete_verify_with_the_documented_warnings() {
    let server = MockServer::start_async().await;
    let unexpected = catch_all(&server).await;
    let client = api_key_client(&server);
    let local = account_of(&jane());

    assert!(client.prerequisites(&local).await.unwrap().is_empty());
    let plan = client.plan(&local, Vec::new());
    let steps: Vec<(Step, &str)> = plan
        .steps
        .iter()
        .map(|s| (s.step, s.target.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            (Step::Disable, "7"),
            (Step::Delete, "7"),
            (Step::Verify, "7")
        ]
    );
    assert_eq!(plan.end, EndState::Offboarded);
    let warnings = plan.warnings.join("\n");
    for needle in [
        "Credential Vault variables",
        "schedules",
        "lockers",
        "queues",
        "device pools",
    ] {
        assert!(warnings.contains(needle), "{needle}: {warnings}");
    }
    assert!(!warnings.contains("directory"), "{warnings}");

    let mut from_ad = jane();
    from_ad["domain"] = json!("ActiveDirectory (LDAP)");
    let mut directory = account_of(&from_ad);
    directory.managed_by = idp_core::ManagedBy::Directory;
    let warnings = client.plan(&directory, Vec::new()).warnings.join("\n");
    assert!(
        warnings.contains("ActiveDirectory (LDAP)") && warnings.contains("come back"),
        "{warnings}"
    );
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn disable_puts_the_whole_record_back_with_disabled_set_and_then_is_already() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let read = get_user(&server, 7, 200, jane()).await;
    let written = put_user(&server, 7, disabled(jane()), 200, disabled(jane())).await;
    let unexpected = catch_all(&server).await;
    let client = api_key_client(&server);
    let account = account_of(&jane());

    assert_eq!(
        client
            .step_done(&account, &step(Step::Disable))
            .await
            .unwrap(),
        Some(false)
    );
    let report = run(&client, Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(report.attempts, 2, "one GET and one PUT");
    read.assert_calls_async(2).await;
    written.assert_calls_async(1).await;

    // The Control Room now says disabled: a second run reads that and sends no PUT.
    unexpected.assert_calls_async(0).await;
    read.delete_async().await;
    unexpected.delete_async().await;
    let read_again = get_user(&server, 7, 200, disabled(jane())).await;
    let unexpected = catch_all(&server).await;
    let again = run(&client, Step::Disable).await.unwrap();
    assert_eq!(again.outcome, StepOutcome::Already);
    assert_eq!(again.attempts, 1);
    assert_eq!(
        client
            .step_done(&account, &step(Step::Disable))
            .await
            .unwrap(),
        Some(true)
    );
    read_again.assert_calls_async(2).await;
    written.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn disabling_a_user_that_is_gone_is_already() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let read = get_user(&server, 7, 404, error_body("UM1009", "User not found")).await;
    let unexpected = catch_all(&server).await;
    let client = api_key_client(&server);

    let report = run(&client, Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Already);
    read.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_record_without_roles_is_never_written_back() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let mut partial = jane();
    partial.as_object_mut().unwrap().remove("roles");
    let read = get_user(&server, 7, 200, partial).await;
    let unexpected = catch_all(&server).await;

    let err = run(&api_key_client(&server), Step::Disable)
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("roles"), "{err}");
    assert_eq!(err.attempts(), 1);
    read.assert_calls_async(1).await;
    // No PUT.
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_put_answer_that_does_not_confirm_the_disable_is_a_protocol_error() {
    for (status, body) in [(200, jane()), (202, json!(null)), (200, json!({ "id": 8 }))] {
        let server = MockServer::start_async().await;
        let _login = login(&server, "tok").await;
        let _read = get_user(&server, 7, 200, jane()).await;
        let written = put_user(&server, 7, disabled(jane()), status, body).await;
        let unexpected = catch_all(&server).await;

        let err = run(&api_key_client(&server), Step::Disable)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{status}");
        assert_eq!(err.attempts(), 2, "{err}");
        written.assert_calls_async(1).await;
        unexpected.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn a_user_deleted_between_the_read_and_the_write_is_already() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _read = get_user(&server, 7, 200, jane()).await;
    let gone = error_body("UM1009", "User not found");
    let written = put_user(&server, 7, disabled(jane()), 404, gone).await;
    let unexpected = catch_all(&server).await;

    let report = run(&api_key_client(&server), Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Already);
    assert_eq!(report.attempts, 2);
    written.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_204_to_the_put_is_a_disable() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let _read = get_user(&server, 7, 200, jane()).await;
    let written = put_user(&server, 7, disabled(jane()), 204, json!(null)).await;
    let unexpected = catch_all(&server).await;

    let report = run(&api_key_client(&server), Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    written.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn delete_is_done_then_already_and_verify_confirms_it() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let deleted = delete(&server, 7, "tok", 200, jane()).await;
    let present = get_user(&server, 7, 200, jane()).await;
    let unexpected = catch_all(&server).await;
    let client = api_key_client(&server);
    let account = account_of(&jane());

    assert_eq!(
        client
            .step_done(&account, &step(Step::Delete))
            .await
            .unwrap(),
        Some(false)
    );
    let report = run(&client, Step::Delete).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(report.attempts, 1);
    deleted.assert_calls_async(1).await;

    // Still there (a Control Room that did not delete): verify fails, never passes.
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Present);
    let err = run(&client, Step::Verify).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("still"), "{err}");

    // Now gone: delete again is already, verify is done.
    unexpected.assert_calls_async(0).await;
    deleted.delete_async().await;
    present.delete_async().await;
    unexpected.delete_async().await;
    let gone = error_body("UM1009", "User not found");
    let _gone_delete = delete(&server, 7, "tok", 404, gone.clone()).await;
    let _gone_read = get_user(&server, 7, 404, gone).await;
    let unexpected = catch_all(&server).await;
    let again = run(&client, Step::Delete).await.unwrap();
    assert_eq!(again.outcome, StepOutcome::Already);
    let verified = run(&client, Step::Verify).await.unwrap();
    assert_eq!(verified.outcome, StepOutcome::Done);
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);
    assert_eq!(
        client
            .step_done(&account, &step(Step::Delete))
            .await
            .unwrap(),
        Some(true)
    );
    assert_eq!(
        client
            .step_done(&account, &step(Step::Verify))
            .await
            .unwrap(),
        Some(true)
    );
    assert_eq!(
        client
            .step_done(&account, &step(Step::Disable))
            .await
            .unwrap(),
        Some(true)
    );
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_blocked_delete_step_fails_with_the_vendors_code() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let blocked = delete(
        &server,
        7,
        "tok",
        409,
        error_body("UM1124", "User is in use"),
    )
    .await;
    let unexpected = catch_all(&server).await;

    let err = run(&api_key_client(&server), Step::Delete)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("UM1124"));
    blocked.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn steps_this_vendor_does_not_have_send_nothing() {
    let server = MockServer::start_async().await;
    let unexpected = catch_all(&server).await;
    let client = api_key_client(&server);
    let account = account_of(&jane());
    for other in [
        Step::RevokeSessions,
        Step::Logout,
        Step::RemoveMfaDevice,
        Step::RemoveFromGroup,
    ] {
        let err = client
            .run_step(&account, &step(other), &StepContext::none())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{other}");
        assert!(client.step_done(&account, &step(other)).await.is_err());
    }
    let bad_target = PlannedStep::on(Step::Delete, "jane@example.com", None);
    let err = client
        .run_step(&account, &bad_target, &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    unexpected.assert_calls_async(0).await;
}

#[tokio::test]
async fn faults_on_the_read_and_the_write_are_retried() {
    for status in [429u16, 500, 503] {
        let server = MockServer::start_async().await;
        let _login = login(&server, "tok").await;
        let failing_read = server
            .mock_async(|when, then| {
                when.method(GET).path("/v1/usermanagement/users/7");
                then.status(status).up_to_n_times(1);
            })
            .await;
        let read = get_user(&server, 7, 200, jane()).await;
        let failing_write = server
            .mock_async(|when, then| {
                when.method(PUT).path("/v1/usermanagement/users/7");
                then.status(status).up_to_n_times(1);
            })
            .await;
        let written = put_user(&server, 7, disabled(jane()), 200, disabled(jane())).await;
        let unexpected = catch_all(&server).await;

        let report = run(&api_key_client(&server), Step::Disable).await.unwrap();
        assert_eq!(report.outcome, StepOutcome::Done, "{status}");
        assert_eq!(report.attempts, 4, "{status}: two GETs and two PUTs");
        failing_read.assert_calls_async(1).await;
        read.assert_calls_async(1).await;
        failing_write.assert_calls_async(1).await;
        written.assert_calls_async(1).await;
        unexpected.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn dropped_connections_on_the_read_and_the_write_are_retried() {
    for prefix in [
        "GET /v1/usermanagement/users/7 ",
        "PUT /v1/usermanagement/users/7 ",
    ] {
        let server = MockServer::start_async().await;
        let _login = login(&server, "tok").await;
        let read = get_user(&server, 7, 200, jane()).await;
        let written = put_user(&server, 7, disabled(jane()), 200, disabled(jane())).await;
        let unexpected = catch_all(&server).await;
        let (url, dropped) = dropping_proxy(&server, prefix, 1).await;

        let client = client_at(
            &url,
            Credentials::api_key(USERNAME, API_KEY),
            fast_options(),
        );
        let report = run(&client, Step::Disable).await.unwrap();

        assert_eq!(report.outcome, StepOutcome::Done, "{prefix}");
        assert_eq!(report.attempts, 3, "{prefix}");
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
        read.assert_calls_async(1).await;
        written.assert_calls_async(1).await;
        unexpected.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn a_dropped_verify_read_is_retried() {
    let server = MockServer::start_async().await;
    let _login = login(&server, "tok").await;
    let gone = get_user(&server, 7, 404, error_body("UM1009", "User not found")).await;
    let unexpected = catch_all(&server).await;
    let (url, dropped) = dropping_proxy(&server, "GET /v1/usermanagement/users/7 ", 1).await;

    let client = client_at(
        &url,
        Credentials::api_key(USERNAME, API_KEY),
        fast_options(),
    );
    let report = run(&client, Step::Verify).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    gone.assert_calls_async(1).await;
    unexpected.assert_calls_async(0).await;
}
