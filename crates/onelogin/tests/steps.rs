//! Offboarding steps: plan, logout, delete, verify, each from every starting state, each run
//! twice, and the order they reach the server in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use httpmock::MockServer;
use idp_core::test_util::fast_options;
use idp_core::{
    Account, AccountStatus, EndState, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence,
    Step, StepContext, StepOutcome,
};
use idp_onelogin::{ApiVersion, Client};
use serde_json::json;

fn account(id: &str, directory_id: Option<u64>) -> Account {
    Account {
        user_id: id.into(),
        email: Some("jane@example.com".into()),
        username: Some("jane".into()),
        display_name: None,
        status: AccountStatus::Enabled,
        managed_by: if directory_id.is_some() {
            ManagedBy::Directory
        } else {
            ManagedBy::Local
        },
        vendor: json!({"id": id.parse::<u64>().unwrap(), "directory_id": directory_id}),
    }
}

async fn run(
    client: &Client,
    account: &Account,
    step: Step,
) -> Result<StepOutcome, idp_core::Error> {
    let planned = PlannedStep::on_account(step, account);
    client
        .run_step(account, &planned, &StepContext::none())
        .await
        .map(|report| report.outcome)
}

#[tokio::test]
async fn the_plan_is_logout_delete_verify_with_warnings() {
    let server = MockServer::start_async().await;
    let anything = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server, ApiVersion::V1);

    let local = account("5", None);
    assert!(client.prerequisites(&local).await.unwrap().is_empty());
    let plan = client.plan(&local, Vec::new());
    let steps: Vec<_> = plan
        .steps
        .iter()
        .map(|s| (s.step, s.target.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            (Step::Logout, "5"),
            (Step::Delete, "5"),
            (Step::Verify, "5")
        ]
    );
    assert_eq!(plan.end, EndState::Offboarded);
    assert_eq!(plan.warnings.len(), 1);
    assert!(
        plan.warnings[0].contains("third-party"),
        "{:?}",
        plan.warnings
    );

    let synced = client.plan(&account("6", Some(1234)), Vec::new());
    assert_eq!(synced.warnings.len(), 2);
    assert!(
        synced.warnings[1].contains("directory 1234"),
        "{:?}",
        synced.warnings
    );
    assert!(
        synced.warnings[1].contains("re-create"),
        "{:?}",
        synced.warnings
    );
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn logout_is_a_bodyless_v1_put_whatever_the_version() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        let logout = server
            .mock_async(|when, then| {
                when.method("PUT")
                    .path("/api/1/users/5/logout")
                    .header("authorization", "bearer:tok-1")
                    .body("");
                then.status(200).json_body(v1_success());
            })
            .await;
        let client = client(&server, version);
        let account = account("5", None);

        assert_eq!(
            run(&client, &account, Step::Logout).await.unwrap(),
            StepOutcome::Done
        );
        // Sessions cannot be read back: a second run logs out again, harmlessly.
        assert_eq!(
            run(&client, &account, Step::Logout).await.unwrap(),
            StepOutcome::Done
        );
        let planned = PlannedStep::on_account(Step::Logout, &account);
        assert_eq!(client.step_done(&account, &planned).await.unwrap(), None);
        logout.assert_calls_async(2).await;
    }
}

#[tokio::test]
async fn logout_of_a_user_that_is_gone_is_already() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    server
        .mock_async(|when, then| {
            when.method("PUT").path("/api/1/users/5/logout");
            then.status(404).json_body(v1_not_found(5));
        })
        .await;

    let outcome = run(
        &client(&server, ApiVersion::V2),
        &account("5", None),
        Step::Logout,
    )
    .await;

    assert_eq!(outcome.unwrap(), StepOutcome::Already);
}

#[tokio::test]
async fn delete_then_delete_again_is_done_then_already() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        let path = format!("/api/{}/users/5", version.as_str());
        let (status, body, gone) = match version {
            ApiVersion::V1 => (200, v1_success(), v1_not_found(5)),
            _ => (204, json!(null), v2_not_found(5)),
        };
        let first = server
            .mock_async(|when, then| {
                when.method("DELETE").path(&path);
                let then = then.status(status).up_to_n_times(1);
                if !body.is_null() {
                    then.json_body(body.clone());
                }
            })
            .await;
        let again = server
            .mock_async(|when, then| {
                when.method("DELETE").path(&path);
                then.status(404).json_body(gone.clone());
            })
            .await;
        let client = client(&server, version);
        let account = account("5", None);

        assert_eq!(
            run(&client, &account, Step::Delete).await.unwrap(),
            StepOutcome::Done
        );
        assert_eq!(
            run(&client, &account, Step::Delete).await.unwrap(),
            StepOutcome::Already
        );
        first.assert_calls_async(1).await;
        again.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn verify_and_step_done_read_the_user_back() {
    for version in [ApiVersion::V1, ApiVersion::V2] {
        let server = MockServer::start_async().await;
        token_mock(&server, "tok-1").await;
        let path = format!("/api/{}/users/5", version.as_str());
        let (record, gone) = match version {
            ApiVersion::V1 => (v1_record(user(5, "jane@example.com")), v1_not_found(5)),
            _ => (user(5, "jane@example.com"), v2_not_found(5)),
        };
        let present = server
            .mock_async(|when, then| {
                when.method("GET").path(&path);
                then.status(200).json_body(record.clone());
            })
            .await;
        let client = client(&server, version);
        let account = account("5", None);
        let delete = PlannedStep::on_account(Step::Delete, &account);
        let verify = PlannedStep::on_account(Step::Verify, &account);

        assert_eq!(client.verify(&account).await.unwrap(), Presence::Present);
        assert_eq!(
            client.step_done(&account, &delete).await.unwrap(),
            Some(false)
        );
        assert_eq!(
            client.step_done(&account, &verify).await.unwrap(),
            Some(false)
        );
        let err = run(&client, &account, Step::Verify).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{version}: {err}");
        assert!(err.message().contains("(Deleting)"), "{err}");

        present.delete_async().await;
        server
            .mock_async(|when, then| {
                when.method("GET").path(&path);
                then.status(404).json_body(gone.clone());
            })
            .await;
        assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);
        assert_eq!(
            client.step_done(&account, &delete).await.unwrap(),
            Some(true)
        );
        assert_eq!(
            run(&client, &account, Step::Verify).await.unwrap(),
            StepOutcome::Done
        );
        assert_eq!(
            run(&client, &account, Step::Verify).await.unwrap(),
            StepOutcome::Done
        );
    }
}

#[tokio::test]
async fn a_record_of_another_user_is_not_presence() {
    let server = MockServer::start_async().await;
    token_mock(&server, "tok-1").await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/api/2/users/5");
            then.status(200).json_body(user(6, "x@example.com"));
        })
        .await;

    let err = client(&server, ApiVersion::V2)
        .verify(&account("5", None))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn steps_onelogin_does_not_have_and_foreign_targets_send_nothing() {
    let server = MockServer::start_async().await;
    let anything = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server, ApiVersion::V1);
    let account = account("5", None);

    for step in [Step::Disable, Step::RevokeSessions, Step::RemoveMfaDevice] {
        let planned = PlannedStep::on_account(step, &account);
        let err = client
            .run_step(&account, &planned, &StepContext::none())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{step}");
        assert!(client.step_done(&account, &planned).await.is_err());
    }
    let foreign = PlannedStep::on(Step::Delete, "6", None);
    let err = client
        .run_step(&account, &foreign, &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_offboarding_reaches_the_server_in_plan_order() {
    let server = Scripted::start(vec![
        Answer::Json(200, v1_success()),
        Answer::Json(200, v1_success()),
        Answer::Json(404, v1_not_found(5)),
    ])
    .await;
    let client = Client::new(config(&server.base_url, ApiVersion::V1), fast_options()).unwrap();
    let account = account("5", None);

    for planned in client.plan(&account, Vec::new()).steps {
        let report = client
            .run_step(&account, &planned, &StepContext::none())
            .await
            .unwrap();
        assert_eq!(report.outcome, StepOutcome::Done, "{}", planned.step);
        assert_eq!(report.attempts, 1);
    }

    assert_eq!(
        server.requests(),
        [
            "PUT /api/1/users/5/logout",
            "DELETE /api/1/users/5",
            "GET /api/1/users/5"
        ]
    );
}
