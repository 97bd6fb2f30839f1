//! The offboarding steps against a local mock server: each step from its starting states, run
//! twice (`done`, then `already`), task polling, the delete's bounded retry, SCIM, the plan,
//! and faults on every new call of a whole offboarding.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{SECRET, USER, account, error_body, header, manual_client, ok};
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use idp_alibaba_cloudsso::{Client, DELETE_RETRY_MAX_WAIT, TASK_MAX_WAIT};
use idp_core::test_util::{ManualClock, manual_options};
use idp_core::{
    Account, EndState, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence, Step, StepContext,
    StepOutcome,
};
use serde_json::{Value, json};

const ASSIGNMENT: &str = "ac-00jhtfl8thteu6uj1234/RD-Account/1234567890123456";

/// Answers `action` (with `params` in the query, if any) with `status` and `body`, at most
/// `times` times when given. Only correctly V3-signed requests match.
async fn on<'a>(
    server: &'a MockServer,
    action: &str,
    params: &[(&str, &str)],
    status: u16,
    body: Value,
    times: Option<usize>,
) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            let mut when = when
                .method(POST)
                .path("/")
                .header("x-acs-action", action)
                .query_param("DirectoryId", common::DIRECTORY)
                .is_true(|req| common::v3_signed(req, SECRET));
            for (name, value) in params {
                when = when.query_param(*name, *value);
            }
            let then = then.status(status).json_body(body);
            if let Some(times) = times {
                then.up_to_n_times(times);
            }
        })
        .await
}

async fn ok_on<'a>(server: &'a MockServer, action: &str, fields: Value) -> Mock<'a> {
    on(server, action, &[], 200, ok(fields), None).await
}

/// Records the action of every request, in order (the first mock: it never matches, so it
/// sees each request exactly once).
async fn recorder(server: &MockServer) -> Arc<Mutex<Vec<String>>> {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = log.clone();
    server
        .mock_async(move |when, then| {
            when.is_true(move |req| {
                seen.lock()
                    .unwrap()
                    .push(header(req, "x-acs-action").unwrap_or_default());
                false
            });
            then.status(599);
        })
        .await;
    log
}

fn gone() -> Value {
    error_body("EntityNotExists.User", "The specified user does not exist.")
}

fn get_user(status: &str, provision: &str) -> Value {
    ok(json!({"User": {
        "UserId": USER, "UserName": "jane", "Email": "jane@example.com",
        "Status": status, "ProvisionType": provision,
    }}))
}

fn devices(ids: &[&str]) -> Value {
    let list: Vec<Value> = ids
        .iter()
        .map(|id| json!({"DeviceId": id, "DeviceName": "phone", "DeviceType": "TOTP", "UserId": USER}))
        .collect();
    ok(json!({"MFADevices": list, "TotalCounts": ids.len()}))
}

fn groups(ids: &[&str], next: Option<&str>) -> Value {
    let list: Vec<Value> = ids
        .iter()
        .map(|id| json!({"GroupId": id, "GroupName": format!("name of {id}"), "UserId": USER}))
        .collect();
    let mut body = ok(json!({"JoinedGroups": list, "IsTruncated": next.is_some()}));
    if let Some(next) = next {
        body["NextToken"] = json!(next);
    }
    body
}

fn assignment(configuration: &str, target: &str) -> Value {
    json!({
        "AccessConfigurationId": configuration, "AccessConfigurationName": "Admins",
        "PrincipalType": "User", "PrincipalId": USER, "PrincipalName": "jane",
        "TargetType": "RD-Account", "TargetId": target, "TargetName": "prod",
    })
}

fn assignments(list: Vec<Value>, next: Option<&str>) -> Value {
    let mut body = ok(json!({"AccessAssignments": list, "IsTruncated": next.is_some()}));
    if let Some(next) = next {
        body["NextToken"] = json!(next);
    }
    body
}

fn task(id: &str, status: &str) -> Value {
    ok(json!({"Task": {
        "TaskId": id, "TaskType": "DeleteAccessAssignment", "Status": status,
        "AccessConfigurationId": "ac-00jhtfl8thteu6uj1234", "TargetType": "RD-Account",
    }}))
}

fn step(step: Step, target: &str) -> PlannedStep {
    PlannedStep::on(step, target, None)
}

async fn run(client: &Client, account: &Account, planned: &PlannedStep) -> idp_core::StepReport {
    client
        .run_step(account, planned, &StepContext::none())
        .await
        .unwrap()
}

// --- disable ---------------------------------------------------------------------------------

#[tokio::test]
async fn disable_updates_an_enabled_user_then_reads_it_disabled() {
    let server = MockServer::start_async().await;
    let log = recorder(&server).await;
    // Read by step_done, then by the step itself.
    on(
        &server,
        "GetUser",
        &[("UserId", USER)],
        200,
        get_user("Enabled", "Manual"),
        Some(2),
    )
    .await;
    on(
        &server,
        "GetUser",
        &[("UserId", USER)],
        200,
        get_user("Disabled", "Manual"),
        None,
    )
    .await;
    let update = on(
        &server,
        "UpdateUserStatus",
        &[("UserId", USER), ("NewStatus", "Disabled")],
        200,
        ok(json!({})),
        None,
    )
    .await;
    let client = common::client(&server);
    let account = account(USER);
    let disable = step(Step::Disable, USER);
    assert_eq!(
        client.step_done(&account, &disable).await.unwrap(),
        Some(false)
    );
    let first = run(&client, &account, &disable).await;
    assert_eq!(first.outcome, StepOutcome::Done);
    assert_eq!(first.attempts, 2);
    assert_eq!(first.request_id.as_deref(), Some("OK-REQ-1"));
    let second = run(&client, &account, &disable).await;
    assert_eq!(second.outcome, StepOutcome::Already);
    assert_eq!(second.attempts, 1);
    update.assert_calls_async(1).await;
    assert_eq!(
        client.step_done(&account, &disable).await.unwrap(),
        Some(true)
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            "GetUser",
            "GetUser",
            "UpdateUserStatus",
            "GetUser",
            "GetUser"
        ]
    );
}

#[tokio::test]
async fn disable_of_a_gone_user_is_already_and_a_wrong_target_is_refused() {
    let server = MockServer::start_async().await;
    on(&server, "GetUser", &[], 404, gone(), None).await;
    let client = common::client(&server);
    let report = run(&client, &account(USER), &step(Step::Disable, USER)).await;
    assert_eq!(report.outcome, StepOutcome::Already);
    let err = client
        .run_step(
            &account(USER),
            &step(Step::Disable, "u-other"),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    for unsupported in [Step::RevokeSessions, Step::Logout] {
        let err = client
            .run_step(
                &account(USER),
                &step(unsupported, USER),
                &StepContext::none(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{unsupported}");
        assert_eq!(err.vendor(), "alibaba-cloudsso");
    }
}

// --- prerequisites and the plan --------------------------------------------------------------

#[tokio::test]
async fn prerequisites_list_every_device_group_and_assignment_across_pages() {
    let server = MockServer::start_async().await;
    ok_on(
        &server,
        "ListMFADevicesForUser",
        devices_fields(&["mfa-1", "mfa-2"]),
    )
    .await;
    on(
        &server,
        "ListJoinedGroupsForUser",
        &[("UserId", USER), ("MaxResults", "100"), ("NextToken", "g2")],
        200,
        groups(&["g-3"], None),
        None,
    )
    .await;
    on(
        &server,
        "ListJoinedGroupsForUser",
        &[("UserId", USER), ("MaxResults", "100")],
        200,
        groups(&["g-1", "g-2"], Some("g2")),
        None,
    )
    .await;
    on(
        &server,
        "ListAccessAssignments",
        &[
            ("PrincipalType", "User"),
            ("PrincipalId", USER),
            ("MaxResults", "20"),
            ("NextToken", "a2"),
        ],
        200,
        assignments(
            vec![
                assignment("ac-2", "222"),
                // Someone else's, whatever the server's filter did: not ours to remove.
                json!({
                    "AccessConfigurationId": "ac-9", "PrincipalType": "Group",
                    "PrincipalId": "g-1", "TargetType": "RD-Account", "TargetId": "999",
                }),
            ],
            None,
        ),
        None,
    )
    .await;
    on(
        &server,
        "ListAccessAssignments",
        &[
            ("PrincipalType", "User"),
            ("PrincipalId", USER),
            ("MaxResults", "20"),
        ],
        200,
        assignments(vec![assignment("ac-1", "111")], Some("a2")),
        None,
    )
    .await;
    let client = common::client(&server);
    let account = account(USER);
    let prerequisites = client.prerequisites(&account).await.unwrap();
    let targets: Vec<(Step, &str)> = prerequisites
        .iter()
        .map(|s| (s.step, s.target.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            (Step::RemoveMfaDevice, "mfa-1"),
            (Step::RemoveMfaDevice, "mfa-2"),
            (Step::RemoveFromGroup, "g-1"),
            (Step::RemoveFromGroup, "g-2"),
            (Step::RemoveFromGroup, "g-3"),
            (Step::RemoveAccessAssignment, "ac-1/RD-Account/111"),
            (Step::RemoveAccessAssignment, "ac-2/RD-Account/222"),
        ]
    );
    assert_eq!(
        prerequisites[0].label.as_deref(),
        Some("TOTP device \"phone\"")
    );
    assert_eq!(
        prerequisites[2].label.as_deref(),
        Some("group \"name of g-1\"")
    );
    assert_eq!(
        prerequisites[5].label.as_deref(),
        Some("access configuration \"Admins\" on RD-Account \"prod\"")
    );

    let plan = client.plan(&account, prerequisites.clone());
    assert_eq!(plan.end, EndState::Offboarded);
    let order: Vec<Step> = plan.steps.iter().map(|s| s.step).collect();
    assert_eq!(order.first(), Some(&Step::Disable));
    assert_eq!(
        &order[1..8],
        prerequisites.iter().map(|s| s.step).collect::<Vec<_>>()
    );
    assert_eq!(&order[8..], [Step::Delete, Step::Verify]);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("SessionDuration") && w.contains("12 h"))
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("ListUserProvisionings"))
    );
}

fn devices_fields(ids: &[&str]) -> Value {
    let mut body = devices(ids);
    if let Some(map) = body.as_object_mut() {
        map.remove("RequestId");
    }
    body
}

#[tokio::test]
async fn nothing_to_clear_gives_a_short_plan() {
    let server = MockServer::start_async().await;
    ok_on(
        &server,
        "ListMFADevicesForUser",
        json!({"MFADevices": [], "TotalCounts": 0}),
    )
    .await;
    ok_on(
        &server,
        "ListJoinedGroupsForUser",
        json!({"JoinedGroups": []}),
    )
    .await;
    // No list field at all reads as empty.
    ok_on(&server, "ListAccessAssignments", json!({"TotalCounts": 0})).await;
    let client = common::client(&server);
    let account = account(USER);
    let prerequisites = client.prerequisites(&account).await.unwrap();
    assert!(prerequisites.is_empty());
    let steps: Vec<Step> = client
        .plan(&account, prerequisites)
        .steps
        .iter()
        .map(|s| s.step)
        .collect();
    assert_eq!(steps, [Step::Disable, Step::Delete, Step::Verify]);
}

#[tokio::test]
async fn a_scim_user_with_synchronisation_enabled_is_only_contained() {
    let server = MockServer::start_async().await;
    let log = recorder(&server).await;
    let status = ok_on(
        &server,
        "GetSCIMSynchronizationStatus",
        json!({"SCIMSynchronizationStatus": "Enabled"}),
    )
    .await;
    let client = common::client(&server);
    let mut synced = account(USER);
    synced.managed_by = ManagedBy::Scim;
    let prerequisites = client.prerequisites(&synced).await.unwrap();
    assert!(prerequisites.is_empty());
    let plan = client.plan(&synced, prerequisites);
    assert_eq!(plan.end, EndState::ManagedElsewhere);
    assert_eq!(
        plan.steps,
        [PlannedStep::on_account(Step::Disable, &synced)]
    );
    assert!(
        plan.warnings[0].contains("identity provider"),
        "{:?}",
        plan.warnings
    );
    // Read once, kept: a second account costs nothing.
    client.prerequisites(&synced).await.unwrap();
    status.assert_calls_async(1).await;
    assert_eq!(*log.lock().unwrap(), ["GetSCIMSynchronizationStatus"]);
}

#[tokio::test]
async fn a_scim_user_with_synchronisation_disabled_is_removed_with_a_warning() {
    let server = MockServer::start_async().await;
    ok_on(
        &server,
        "GetSCIMSynchronizationStatus",
        json!({"SCIMSynchronizationStatus": "Disabled"}),
    )
    .await;
    ok_on(&server, "ListMFADevicesForUser", json!({"MFADevices": []})).await;
    ok_on(
        &server,
        "ListJoinedGroupsForUser",
        json!({"JoinedGroups": []}),
    )
    .await;
    ok_on(
        &server,
        "ListAccessAssignments",
        json!({"AccessAssignments": []}),
    )
    .await;
    let client = common::client(&server);
    let mut synced = account(USER);
    synced.managed_by = ManagedBy::Scim;
    // Before the status is read, the plan says so.
    let unread = client.plan(&synced, Vec::new());
    assert_eq!(unread.end, EndState::Offboarded);
    assert!(unread.warnings.iter().any(|w| w.contains("not read")));
    let prerequisites = client.prerequisites(&synced).await.unwrap();
    let plan = client.plan(&synced, prerequisites);
    assert_eq!(plan.end, EndState::Offboarded);
    assert_eq!(plan.steps.len(), 3);
    assert!(
        plan.warnings.iter().any(|w| w.contains("re-create")),
        "{:?}",
        plan.warnings
    );
}

#[tokio::test]
async fn an_unknown_scim_status_is_a_protocol_error() {
    let server = MockServer::start_async().await;
    ok_on(
        &server,
        "GetSCIMSynchronizationStatus",
        json!({"SCIMSynchronizationStatus": "Paused"}),
    )
    .await;
    let mut synced = account(USER);
    synced.managed_by = ManagedBy::Scim;
    let err = common::client(&server)
        .prerequisites(&synced)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("get_scim_synchronization_status"));
}

// --- MFA devices and groups ------------------------------------------------------------------

#[tokio::test]
async fn an_mfa_device_is_removed_once() {
    let server = MockServer::start_async().await;
    on(
        &server,
        "ListMFADevicesForUser",
        &[("UserId", USER)],
        200,
        devices(&["mfa-1", "mfa-2"]),
        Some(2),
    )
    .await;
    on(
        &server,
        "ListMFADevicesForUser",
        &[("UserId", USER)],
        200,
        devices(&["mfa-2"]),
        None,
    )
    .await;
    let delete = on(
        &server,
        "DeleteMFADeviceForUser",
        &[("UserId", USER), ("MFADeviceId", "mfa-1")],
        200,
        ok(json!({})),
        None,
    )
    .await;
    let client = common::client(&server);
    let account = account(USER);
    let remove = step(Step::RemoveMfaDevice, "mfa-1");
    assert_eq!(
        client.step_done(&account, &remove).await.unwrap(),
        Some(false)
    );
    assert_eq!(
        run(&client, &account, &remove).await.outcome,
        StepOutcome::Done
    );
    assert_eq!(
        run(&client, &account, &remove).await.outcome,
        StepOutcome::Already
    );
    assert_eq!(
        client.step_done(&account, &remove).await.unwrap(),
        Some(true)
    );
    delete.assert_calls_async(1).await;
    // A device that was never there, or a user that is gone: nothing to do.
    assert_eq!(
        run(&client, &account, &step(Step::RemoveMfaDevice, "mfa-9"))
            .await
            .outcome,
        StepOutcome::Already
    );
    let bad = client
        .run_step(
            &account,
            &step(Step::RemoveMfaDevice, "a b"),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_group_on_a_later_page_is_left_once() {
    let server = MockServer::start_async().await;
    on(
        &server,
        "ListJoinedGroupsForUser",
        &[("NextToken", "n2")],
        200,
        groups(&["g-2"], None),
        Some(1),
    )
    .await;
    on(
        &server,
        "ListJoinedGroupsForUser",
        &[("NextToken", "n2")],
        200,
        groups(&[], None),
        None,
    )
    .await;
    on(
        &server,
        "ListJoinedGroupsForUser",
        &[],
        200,
        groups(&["g-1"], Some("n2")),
        None,
    )
    .await;
    let remove = on(
        &server,
        "RemoveUserFromGroup",
        &[("GroupId", "g-2"), ("UserId", USER)],
        200,
        ok(json!({})),
        None,
    )
    .await;
    let client = common::client(&server);
    let account = account(USER);
    let leave = step(Step::RemoveFromGroup, "g-2");
    let first = run(&client, &account, &leave).await;
    assert_eq!(first.outcome, StepOutcome::Done);
    assert_eq!(first.attempts, 3, "two pages and the removal");
    assert_eq!(
        run(&client, &account, &leave).await.outcome,
        StepOutcome::Already
    );
    remove.assert_calls_async(1).await;
}

#[tokio::test]
async fn prerequisite_steps_of_a_gone_user_are_already() {
    let server = MockServer::start_async().await;
    for action in [
        "ListMFADevicesForUser",
        "ListJoinedGroupsForUser",
        "ListAccessAssignments",
    ] {
        on(&server, action, &[], 404, gone(), None).await;
    }
    let client = common::client(&server);
    let account = account(USER);
    for planned in [
        step(Step::RemoveMfaDevice, "mfa-1"),
        step(Step::RemoveFromGroup, "g-1"),
        step(Step::RemoveAccessAssignment, ASSIGNMENT),
    ] {
        assert_eq!(
            run(&client, &account, &planned).await.outcome,
            StepOutcome::Already
        );
        assert_eq!(
            client.step_done(&account, &planned).await.unwrap(),
            Some(true)
        );
    }
}

// --- access assignments and their tasks ------------------------------------------------------

fn assignment_filter() -> [(&'static str, &'static str); 5] {
    [
        ("PrincipalType", "User"),
        ("PrincipalId", USER),
        ("AccessConfigurationId", "ac-00jhtfl8thteu6uj1234"),
        ("TargetType", "RD-Account"),
        ("TargetId", "1234567890123456"),
    ]
}

async fn assignment_listed(server: &MockServer, times: Option<usize>) -> Mock<'_> {
    let listed = assignments(
        vec![assignment("ac-00jhtfl8thteu6uj1234", "1234567890123456")],
        None,
    );
    on(
        server,
        "ListAccessAssignments",
        &assignment_filter(),
        200,
        listed,
        times,
    )
    .await
}

async fn assignment_not_listed(server: &MockServer) -> Mock<'_> {
    on(
        server,
        "ListAccessAssignments",
        &[],
        200,
        assignments(vec![], None),
        None,
    )
    .await
}

async fn deletion_starts<'a>(server: &'a MockServer, status: &str) -> Mock<'a> {
    on(
        server,
        "DeleteAccessAssignment",
        &[
            ("AccessConfigurationId", "ac-00jhtfl8thteu6uj1234"),
            ("TargetType", "RD-Account"),
            ("TargetId", "1234567890123456"),
            ("PrincipalType", "User"),
            ("PrincipalId", USER),
            ("DeprovisionStrategy", "None"),
        ],
        200,
        task("t-1", status),
        None,
    )
    .await
}

#[tokio::test]
async fn an_assignment_removal_polls_its_task_and_reports_it_early() {
    let server = MockServer::start_async().await;
    let log = recorder(&server).await;
    assignment_listed(&server, Some(1)).await;
    assignment_not_listed(&server).await;
    let delete = deletion_starts(&server, "InProgress").await;
    on(
        &server,
        "GetTask",
        &[("TaskId", "t-1")],
        200,
        task("t-1", "InProgress"),
        Some(2),
    )
    .await;
    let poll = on(
        &server,
        "GetTask",
        &[("TaskId", "t-1")],
        200,
        task("t-1", "Success"),
        None,
    )
    .await;
    let (client, clock) = manual_client(&server);
    let account = account(USER);
    let remove = step(Step::RemoveAccessAssignment, ASSIGNMENT);
    let reported: Mutex<Vec<(String, usize)>> = Mutex::default();
    let on_task = |id: &str| {
        let polls = log
            .lock()
            .unwrap()
            .iter()
            .filter(|a| *a == "GetTask")
            .count();
        reported.lock().unwrap().push((id.to_owned(), polls));
    };
    let context = StepContext {
        resume_task: None,
        on_task: &on_task,
    };
    let report = client.run_step(&account, &remove, &context).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(report.task_id.as_deref(), Some("t-1"));
    assert_eq!(report.attempts, 5, "list, delete, three polls");
    // Known before the first poll.
    assert_eq!(*reported.lock().unwrap(), [("t-1".to_owned(), 0)]);
    assert_eq!(
        clock.sleeps(),
        [
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(4)
        ]
    );
    poll.assert_calls_async(1).await;
    // Run again: the assignment is gone.
    let again = run(&client, &account, &remove).await;
    assert_eq!(again.outcome, StepOutcome::Already);
    assert_eq!(again.task_id, None);
    delete.assert_calls_async(1).await;
    assert_eq!(
        client.step_done(&account, &remove).await.unwrap(),
        Some(true)
    );
}

#[tokio::test]
async fn a_task_that_succeeded_at_once_needs_no_poll() {
    let server = MockServer::start_async().await;
    assignment_listed(&server, None).await;
    deletion_starts(&server, "Success").await;
    let poll = on(&server, "GetTask", &[], 200, task("t-1", "Success"), None).await;
    let (client, clock) = manual_client(&server);
    let report = run(
        &client,
        &account(USER),
        &step(Step::RemoveAccessAssignment, ASSIGNMENT),
    )
    .await;
    assert_eq!(report.task_id.as_deref(), Some("t-1"));
    poll.assert_calls_async(0).await;
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn a_failed_task_fails_the_step_with_its_reason() {
    let server = MockServer::start_async().await;
    assignment_listed(&server, None).await;
    deletion_starts(&server, "InProgress").await;
    let mut failed = task("t-1", "Failed");
    failed["Task"]["FailureReason"] = json!("No Permission.");
    on(&server, "GetTask", &[], 200, failed, None).await;
    let (client, _) = manual_client(&server);
    let err = client
        .run_step(
            &account(USER),
            &step(Step::RemoveAccessAssignment, ASSIGNMENT),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.message().contains("t-1") && err.message().contains("No Permission."),
        "{err}"
    );
    assert_eq!(err.operation(), Some("get_task"));
    assert_eq!(err.attempts(), 3);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_resumed_step_polls_its_task_instead_of_removing_again() {
    let server = MockServer::start_async().await;
    let log = recorder(&server).await;
    on(
        &server,
        "GetTask",
        &[("TaskId", "t-77")],
        200,
        task("t-77", "Success"),
        None,
    )
    .await;
    let (client, clock) = manual_client(&server);
    let context = StepContext {
        resume_task: Some("t-77"),
        on_task: &|_| {},
    };
    let report = client
        .run_step(
            &account(USER),
            &step(Step::RemoveAccessAssignment, ASSIGNMENT),
            &context,
        )
        .await
        .unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(report.task_id.as_deref(), Some("t-77"));
    assert_eq!(*log.lock().unwrap(), ["GetTask"]);
    assert!(
        clock.sleeps().is_empty(),
        "a resumed task is polled at once"
    );
    let bad = StepContext {
        resume_task: Some("t-1 x"),
        on_task: &|_| {},
    };
    let err = client
        .run_step(
            &account(USER),
            &step(Step::RemoveAccessAssignment, ASSIGNMENT),
            &bad,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_assignment_gone_meanwhile_is_already() {
    let server = MockServer::start_async().await;
    assignment_listed(&server, None).await;
    on(
        &server,
        "DeleteAccessAssignment",
        &[],
        404,
        error_body(
            "EntityNotExists.AccessAssignment",
            "The assignment does not exist.",
        ),
        None,
    )
    .await;
    let client = common::client(&server);
    let report = run(
        &client,
        &account(USER),
        &step(Step::RemoveAccessAssignment, ASSIGNMENT),
    )
    .await;
    assert_eq!(report.outcome, StepOutcome::Already);
    assert_eq!(report.attempts, 2);
}

#[tokio::test]
async fn a_task_running_too_long_fails_with_its_id() {
    let server = MockServer::start_async().await;
    assignment_listed(&server, None).await;
    deletion_starts(&server, "InProgress").await;
    on(
        &server,
        "GetTask",
        &[],
        200,
        task("t-1", "InProgress"),
        None,
    )
    .await;
    let (client, clock) = manual_client(&server);
    let err = client
        .run_step(
            &account(USER),
            &step(Step::RemoveAccessAssignment, ASSIGNMENT),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("t-1"), "{err}");
    assert!(clock.elapsed() <= TASK_MAX_WAIT, "{:?}", clock.elapsed());
    assert!(clock.elapsed() >= TASK_MAX_WAIT - Duration::from_secs(5));
}

#[tokio::test]
async fn task_answers_that_are_not_the_documented_shape_are_protocol() {
    for answer in [
        task("t-1", "Queued"),
        task("t-other", "Success"),
        ok(json!({"Task": {}})),
    ] {
        let server = MockServer::start_async().await;
        assignment_listed(&server, None).await;
        deletion_starts(&server, "InProgress").await;
        on(&server, "GetTask", &[], 200, answer.clone(), None).await;
        let (client, _) = manual_client(&server);
        let err = client
            .run_step(
                &account(USER),
                &step(Step::RemoveAccessAssignment, ASSIGNMENT),
                &StepContext::none(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{answer}: {err}");
    }
    let bad = step(Step::RemoveAccessAssignment, "ac-1/RD-Account");
    let server = MockServer::start_async().await;
    let err = common::client(&server)
        .run_step(&account(USER), &bad, &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

// --- delete and verify -----------------------------------------------------------------------

const LAG: &str = "DeletionConflict.User.AccessAssigment";

#[tokio::test]
async fn delete_waits_for_cloudsso_to_catch_up_with_removed_assignments() {
    let server = MockServer::start_async().await;
    let lag = on(
        &server,
        "DeleteUser",
        &[("UserId", USER)],
        409,
        error_body(LAG, "has assignments"),
        Some(2),
    )
    .await;
    let delete = on(
        &server,
        "DeleteUser",
        &[("UserId", USER)],
        200,
        ok(json!({})),
        Some(1),
    )
    .await;
    on(&server, "DeleteUser", &[], 404, gone(), None).await;
    let list = assignment_not_listed(&server).await;
    let (client, clock) = manual_client(&server);
    let account = account(USER);
    let remove = step(Step::Delete, USER);
    let report = run(&client, &account, &remove).await;
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(report.attempts, 4, "two refusals, one listing, the delete");
    assert_eq!(
        clock.sleeps(),
        [Duration::from_secs(3), Duration::from_secs(6)]
    );
    lag.assert_calls_async(2).await;
    delete.assert_calls_async(1).await;
    list.assert_calls_async(1).await;
    // Again: CloudSSO says the user is gone.
    assert_eq!(
        run(&client, &account, &remove).await.outcome,
        StepOutcome::Already
    );
}

#[tokio::test]
async fn delete_gives_up_after_two_minutes_of_the_same_conflict() {
    let server = MockServer::start_async().await;
    let refusals = on(
        &server,
        "DeleteUser",
        &[],
        409,
        error_body(LAG, "has assignments"),
        None,
    )
    .await;
    assignment_not_listed(&server).await;
    let (client, clock) = manual_client(&server);
    let err = client
        .run_step(
            &account(USER),
            &step(Step::Delete, USER),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some(LAG));
    assert!(err.message().contains("120 s"), "{err}");
    let waited: Duration = clock.sleeps().iter().sum();
    assert_eq!(waited, DELETE_RETRY_MAX_WAIT);
    let calls = refusals.calls_async().await;
    assert_eq!(calls, clock.sleeps().len() + 1);
    assert_eq!(
        err.attempts() as usize,
        calls + 1,
        "the refusals and the one listing"
    );
}

#[tokio::test]
async fn delete_fails_at_once_while_assignments_remain_or_on_another_conflict() {
    let server = MockServer::start_async().await;
    let refusals = on(
        &server,
        "DeleteUser",
        &[],
        409,
        error_body(LAG, "has assignments"),
        None,
    )
    .await;
    on(
        &server,
        "ListAccessAssignments",
        &[],
        200,
        assignments(vec![assignment("ac-1", "1")], None),
        None,
    )
    .await;
    let (client, clock) = manual_client(&server);
    let err = client
        .run_step(
            &account(USER),
            &step(Step::Delete, USER),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(LAG));
    assert!(err.message().contains("remove_access_assignment"), "{err}");
    refusals.assert_calls_async(1).await;
    assert!(clock.sleeps().is_empty());

    for code in [
        "DeletionConflict.User.Group",
        "DeletionConflict.User.MFADevice",
    ] {
        let server = MockServer::start_async().await;
        let refusals = on(
            &server,
            "DeleteUser",
            &[],
            409,
            error_body(code, "blocked"),
            None,
        )
        .await;
        let (client, clock) = manual_client(&server);
        let err = client
            .run_step(
                &account(USER),
                &step(Step::Delete, USER),
                &StepContext::none(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(err.code(), Some(code));
        refusals.assert_calls_async(1).await;
        assert!(clock.sleeps().is_empty());
    }
}

#[tokio::test]
async fn verify_needs_cloudsso_to_say_the_user_is_gone() {
    let server = MockServer::start_async().await;
    on(
        &server,
        "GetUser",
        &[("UserId", USER)],
        200,
        get_user("Disabled", "Manual"),
        Some(1),
    )
    .await;
    on(&server, "GetUser", &[("UserId", USER)], 404, gone(), None).await;
    let client = common::client(&server);
    let account = account(USER);
    let verify = step(Step::Verify, USER);
    let err = client
        .run_step(&account, &verify, &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("still there"), "{err}");
    assert_eq!(
        run(&client, &account, &verify).await.outcome,
        StepOutcome::Done
    );
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);
    assert_eq!(
        client
            .step_done(&account, &step(Step::Delete, USER))
            .await
            .unwrap(),
        Some(true)
    );
}

#[tokio::test]
async fn verify_is_never_fooled_by_a_gateway_404() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(404).body("404 page not found");
        })
        .await;
    let client = common::client(&server);
    let err = client.verify(&account(USER)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    let err = client
        .run_step(
            &account(USER),
            &step(Step::Verify, USER),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

// --- a whole offboarding, with faults on every call ------------------------------------------

/// A user with one MFA device, one group and one assignment, SCIM-provisioned while SCIM
/// synchronisation is disabled: every call of the offboarding answers as CloudSSO would at
/// that point of the run.
async fn mount_offboarding(server: &MockServer) {
    ok_on(
        server,
        "GetSCIMSynchronizationStatus",
        json!({"SCIMSynchronizationStatus": "Disabled"}),
    )
    .await;
    on(
        server,
        "GetUser",
        &[],
        200,
        get_user("Enabled", "Synchronized"),
        Some(1),
    )
    .await;
    on(server, "GetUser", &[], 404, gone(), None).await;
    ok_on(server, "UpdateUserStatus", json!({})).await;
    on(
        server,
        "ListMFADevicesForUser",
        &[],
        200,
        devices(&["mfa-1"]),
        Some(2),
    )
    .await;
    on(
        server,
        "ListMFADevicesForUser",
        &[],
        200,
        devices(&[]),
        None,
    )
    .await;
    ok_on(server, "DeleteMFADeviceForUser", json!({})).await;
    on(
        server,
        "ListJoinedGroupsForUser",
        &[],
        200,
        groups(&["g-1"], None),
        Some(2),
    )
    .await;
    on(
        server,
        "ListJoinedGroupsForUser",
        &[],
        200,
        groups(&[], None),
        None,
    )
    .await;
    ok_on(server, "RemoveUserFromGroup", json!({})).await;
    let listed = assignments(
        vec![assignment("ac-00jhtfl8thteu6uj1234", "1234567890123456")],
        None,
    );
    on(server, "ListAccessAssignments", &[], 200, listed, Some(2)).await;
    assignment_not_listed(server).await;
    deletion_starts(server, "InProgress").await;
    on(server, "GetTask", &[], 200, task("t-1", "Success"), None).await;
    ok_on(server, "DeleteUser", json!({})).await;
}

async fn offboard(client: &Client, account: &Account) -> Vec<(Step, StepOutcome)> {
    let prerequisites = client.prerequisites(account).await.unwrap();
    let plan = client.plan(account, prerequisites);
    assert_eq!(plan.end, EndState::Offboarded);
    let mut outcomes = Vec::new();
    for planned in &plan.steps {
        let report = client
            .run_step(account, planned, &StepContext::none())
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", planned.step));
        outcomes.push((planned.step, report.outcome));
    }
    outcomes
}

#[tokio::test]
async fn a_whole_offboarding_contains_first_and_clears_everything_before_the_delete() {
    let server = MockServer::start_async().await;
    let log = recorder(&server).await;
    mount_offboarding(&server).await;
    let (client, _) = manual_client(&server);
    let mut synced = account(USER);
    synced.managed_by = ManagedBy::Scim;
    let outcomes = offboard(&client, &synced).await;
    assert!(
        outcomes.iter().all(|(_, o)| *o == StepOutcome::Done),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [
            Step::Disable,
            Step::RemoveMfaDevice,
            Step::RemoveFromGroup,
            Step::RemoveAccessAssignment,
            Step::Delete,
            Step::Verify
        ]
    );
    let log = log.lock().unwrap().clone();
    let at = |action: &str| log.iter().position(|a| a == action).unwrap();
    let last = |action: &str| log.iter().rposition(|a| a == action).unwrap();
    assert!(
        at("UpdateUserStatus") < at("DeleteMFADeviceForUser"),
        "{log:?}"
    );
    for cleared in [
        "DeleteMFADeviceForUser",
        "RemoveUserFromGroup",
        "DeleteAccessAssignment",
        "GetTask",
    ] {
        assert!(last(cleared) < at("DeleteUser"), "{cleared}: {log:?}");
    }
    assert_eq!(log.last().map(String::as_str), Some("GetUser"));
}

/// For every call of an offboarding: a dropped connection, a 429 and a 503 on its first
/// requests, then the answer. Each is retried; the offboarding ends as without faults.
#[tokio::test]
async fn faults_on_each_call_of_an_offboarding_are_retried() {
    for action in [
        "GetSCIMSynchronizationStatus",
        "GetUser",
        "UpdateUserStatus",
        "ListMFADevicesForUser",
        "DeleteMFADeviceForUser",
        "ListJoinedGroupsForUser",
        "RemoveUserFromGroup",
        "ListAccessAssignments",
        "DeleteAccessAssignment",
        "GetTask",
        "DeleteUser",
    ] {
        let server = MockServer::start_async().await;
        let throttled = on(&server, action, &[], 429, json!({}), Some(1)).await;
        let unavailable = on(
            &server,
            action,
            &[],
            503,
            error_body("ServiceUnavailable", "busy"),
            Some(1),
        )
        .await;
        mount_offboarding(&server).await;
        let front = common::drop_first(&server.base_url(), action).await;
        let clock = ManualClock::default();
        let config = common::config(&server).with_endpoint(front);
        let client = Client::new(config, common::no_reuse(manual_options(&clock))).unwrap();
        let mut synced = account(USER);
        synced.managed_by = ManagedBy::Scim;
        let outcomes = offboard(&client, &synced).await;
        assert!(
            outcomes.iter().all(|(_, o)| *o == StepOutcome::Done),
            "{action}: {outcomes:?}"
        );
        throttled.assert_calls_async(1).await;
        unavailable.assert_calls_async(1).await;
    }
}
