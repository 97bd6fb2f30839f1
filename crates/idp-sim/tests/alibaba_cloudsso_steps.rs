//! Issue 21 for CloudSSO, through the real client on a manual clock (task polls and the
//! delete's back-off take no time): every step from each starting state, twice; the order
//! of calls as the simulator saw them; tasks that take polls or fail; the delete's lag and
//! conflicts; SCIM; faults on every call of an offboarding.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alibaba_cloudsso_common;

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use alibaba_cloudsso_common::{account, manual_client};
use idp_alibaba_cloudsso::Client;
use idp_core::{
    Account, EndState, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence, Step, StepContext,
    StepOutcome, StepReport, UserQuery,
};
use idp_sim::{AlibabaCloudSsoSim, CloudSsoUser, Fault};

async fn find(client: &Client, email: &str) -> Account {
    let mut found = client
        .find_users(&UserQuery::email(email).unwrap())
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{email}");
    found.remove(0)
}

async fn run(client: &Client, account: &Account, step: &PlannedStep) -> StepReport {
    client
        .run_step(account, step, &StepContext::none())
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", step.step, step.target))
}

/// The plan for `account`, each step run once (all `done`, but `disable` of a disabled
/// user), the reports in order.
async fn offboard(client: &Client, account: &Account) -> (Vec<PlannedStep>, Vec<StepReport>) {
    let prerequisites = client.prerequisites(account).await.unwrap();
    let plan = client.plan(account, prerequisites);
    assert_eq!(plan.end, EndState::Offboarded);
    let mut reports = Vec::new();
    for step in &plan.steps {
        let report = run(client, account, step).await;
        if step.step != Step::Disable {
            assert_eq!(report.outcome, StepOutcome::Done, "{}", step.step);
        }
        reports.push(report);
    }
    (plan.steps, reports)
}

/// Containment first, every prerequisite removal (and its task) before the first
/// `DeleteUser`, as the simulator saw them.
fn assert_order(actions: &[String]) {
    let first = |a: &str| actions.iter().position(|x| x == a);
    let last = |a: &str| actions.iter().rposition(|x| x == a);
    let delete = first("DeleteUser").expect("a DeleteUser");
    if let Some(disable) = last("UpdateUserStatus") {
        for removal in [
            "DeleteMFADeviceForUser",
            "RemoveUserFromGroup",
            "DeleteAccessAssignment",
        ] {
            assert!(first(removal).is_none_or(|at| disable < at), "{actions:?}");
        }
    }
    for prerequisite in [
        "UpdateUserStatus",
        "DeleteMFADeviceForUser",
        "RemoveUserFromGroup",
        "DeleteAccessAssignment",
        "GetTask",
    ] {
        assert!(
            last(prerequisite).is_none_or(|at| at < delete),
            "{prerequisite} after DeleteUser: {actions:?}"
        );
    }
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

#[tokio::test]
async fn a_person_is_offboarded_in_order_and_every_step_again_is_already() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let id = sim.add_person("Jane.Doe@Example.com");
    let (device, group, assignment) = (
        sim.mfa_devices(&id).remove(0),
        sim.groups(&id).remove(0),
        sim.assignments(&id).remove(0),
    );
    let (client, _) = manual_client(&sim);
    let account = find(&client, "jane.doe@example.com").await;
    assert_eq!(account.user_id, id);
    sim.clear_requests();

    let (steps, reports) = offboard(&client, &account).await;
    let planned: Vec<(Step, &str)> = steps.iter().map(|s| (s.step, s.target.as_str())).collect();
    assert_eq!(
        planned,
        [
            (Step::Disable, id.as_str()),
            (Step::RemoveMfaDevice, device.as_str()),
            (Step::RemoveFromGroup, group.as_str()),
            (Step::RemoveAccessAssignment, assignment.as_str()),
            (Step::Delete, id.as_str()),
            (Step::Verify, id.as_str()),
        ]
    );
    let task = reports[3].task_id.clone().unwrap();
    assert_eq!(sim.task_status(&task), Some("Success"));
    assert!(!sim.has_user(&id));
    let actions = sim.actions();
    assert_order(&actions);
    assert_eq!(
        actions
            .iter()
            .filter(|a| !a.starts_with("List") && !a.starts_with("Get"))
            .collect::<Vec<_>>(),
        [
            "UpdateUserStatus",
            "DeleteMFADeviceForUser",
            "RemoveUserFromGroup",
            "DeleteAccessAssignment",
            "DeleteUser"
        ]
    );
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);

    sim.clear_requests();
    for step in &steps[..5] {
        assert_eq!(client.step_done(&account, step).await.unwrap(), Some(true));
        let again = run(&client, &account, step).await;
        assert_eq!(again.outcome, StepOutcome::Already, "{}", step.step);
    }
    let actions = sim.actions();
    assert!(
        actions
            .iter()
            .all(|a| a.starts_with("Get") || a.starts_with("List") || a == "DeleteUser"),
        "nothing is changed twice: {actions:?}"
    );
    assert_eq!(
        count(&actions, "DeleteUser"),
        1,
        "answered EntityNotExists.User"
    );
}

/// A user that stays: each step twice, `done` then `already`, and each change sent once.
#[tokio::test]
async fn each_step_twice_ends_already() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let id = sim.seed(
        CloudSsoUser::new("twice")
            .mfa_devices(1)
            .groups(1)
            .assignments(1),
    );
    let (client, _) = manual_client(&sim);
    let account = account(&id, ManagedBy::Local);
    let steps = [
        PlannedStep::on_account(Step::Disable, &account),
        PlannedStep::on(Step::RemoveMfaDevice, sim.mfa_devices(&id).remove(0), None),
        PlannedStep::on(Step::RemoveFromGroup, sim.groups(&id).remove(0), None),
        PlannedStep::on(
            Step::RemoveAccessAssignment,
            sim.assignments(&id).remove(0),
            None,
        ),
    ];
    for step in &steps {
        assert_eq!(client.step_done(&account, step).await.unwrap(), Some(false));
        assert_eq!(
            run(&client, &account, step).await.outcome,
            StepOutcome::Done
        );
        assert_eq!(
            run(&client, &account, step).await.outcome,
            StepOutcome::Already,
            "{}",
            step.step
        );
    }
    assert_eq!(sim.user_status(&id), Some("Disabled"));
    assert!(sim.mfa_devices(&id).is_empty() && sim.groups(&id).is_empty());
    assert!(sim.assignments(&id).is_empty());
    for action in [
        "UpdateUserStatus",
        "DeleteMFADeviceForUser",
        "RemoveUserFromGroup",
        "DeleteAccessAssignment",
    ] {
        assert_eq!(sim.calls(action), 1, "{action}");
    }
    // Nothing left: DeleteUser goes through, and verify agrees.
    let delete = PlannedStep::on_account(Step::Delete, &account);
    assert_eq!(
        run(&client, &account, &delete).await.outcome,
        StepOutcome::Done
    );
    assert_eq!(
        run(&client, &account, &delete).await.outcome,
        StepOutcome::Already
    );
}

#[tokio::test]
async fn from_each_starting_state() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let (client, _) = manual_client(&sim);

    // Disabled, nothing to clear: disable is `already`, with no UpdateUserStatus sent.
    let plain = sim.seed(
        CloudSsoUser::new("plain")
            .email("plain@example.com")
            .disabled(),
    );
    let account = find(&client, "plain@example.com").await;
    let (steps, reports) = offboard(&client, &account).await;
    assert_eq!(
        steps.iter().map(|s| s.step).collect::<Vec<_>>(),
        [Step::Disable, Step::Delete, Step::Verify]
    );
    assert_eq!(
        (reports[0].outcome, reports[0].attempts),
        (StepOutcome::Already, 1)
    );
    assert_eq!(sim.calls("UpdateUserStatus"), 0);
    assert!(!sim.has_user(&plain));

    // Many of everything, over small pages: 3 devices, 5 groups, 25 assignments.
    sim.set_page_size(2);
    let many = sim.seed(
        CloudSsoUser::new("many")
            .email("many@example.com")
            .mfa_devices(3)
            .groups(5)
            .assignments(25),
    );
    // A new client: the last one keeps its listing of the directory for ten minutes.
    let (client, _) = manual_client(&sim);
    let account = find(&client, "many@example.com").await;
    sim.clear_requests();
    let prerequisites = client.prerequisites(&account).await.unwrap();
    assert_eq!(prerequisites.len(), 3 + 5 + 25);
    let actions = sim.actions();
    assert_eq!(count(&actions, "ListMFADevicesForUser"), 1, "not paged");
    assert_eq!(count(&actions, "ListJoinedGroupsForUser"), 3);
    assert_eq!(count(&actions, "ListAccessAssignments"), 13);
    let assignment_pages = sim
        .requests()
        .into_iter()
        .filter(|r| r.header("x-acs-action") == Some("ListAccessAssignments"))
        .collect::<Vec<_>>();
    for page in &assignment_pages {
        assert_eq!(page.param("PrincipalType").as_deref(), Some("User"));
        assert_eq!(page.param("PrincipalId").as_deref(), Some(many.as_str()));
    }
    sim.clear_requests();
    let (_, reports) = offboard(&client, &account).await;
    assert_eq!(reports.len(), 1 + 33 + 2);
    assert!(!sim.has_user(&many));
    let actions = sim.actions();
    assert_order(&actions);
    assert_eq!(count(&actions, "DeleteAccessAssignment"), 25);
}

#[tokio::test]
async fn a_scim_user_is_only_contained_while_synchronisation_is_on() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.set_scim_synchronization(true);
    let id = sim.seed(
        CloudSsoUser::new("sync")
            .email("sync@example.com")
            .synchronized()
            .mfa_devices(1),
    );
    let (client, _) = manual_client(&sim);
    let account = find(&client, "sync@example.com").await;
    assert_eq!(account.managed_by, ManagedBy::Scim);
    sim.clear_requests();
    let prerequisites = client.prerequisites(&account).await.unwrap();
    assert!(prerequisites.is_empty());
    assert_eq!(sim.actions(), ["GetSCIMSynchronizationStatus"]);
    let plan = client.plan(&account, prerequisites);
    assert_eq!(plan.end, EndState::ManagedElsewhere);
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(
        run(&client, &account, &plan.steps[0]).await.outcome,
        StepOutcome::Done
    );
    assert_eq!(sim.user_status(&id), Some("Disabled"));
    // CloudSSO refuses the delete, whatever else the user still has.
    let err = client.delete_user(&id).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (
            ErrorKind::NotAllowed,
            Some("OperationNotSupported.SCIMSynchronizedUser")
        )
    );
    assert!(sim.has_user(&id));

    // Synchronisation off: the same user is offboarded in full.
    sim.set_scim_synchronization(false);
    let (client, _) = manual_client(&sim);
    let (steps, _) = offboard(&client, &account).await;
    assert_eq!(steps.len(), 4);
    assert!(!sim.has_user(&id));
}

#[tokio::test]
async fn tasks_take_polls_fail_with_their_reason_and_resume() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let id = sim.seed(CloudSsoUser::new("tasks").assignments(3));
    let account = account(&id, ManagedBy::Local);
    let targets = sim.assignments(&id);
    let remove = |i: usize| PlannedStep::on(Step::RemoveAccessAssignment, targets[i].clone(), None);

    // Three polls: waits of 1, 2 and 4 s (on the manual clock), the task id reported first.
    sim.set_task_polls(3);
    let (client, clock) = manual_client(&sim);
    let seen: Mutex<Vec<String>> = Mutex::default();
    let on_task = |task: &str| seen.lock().unwrap().push(task.to_owned());
    let context = StepContext {
        resume_task: None,
        on_task: &on_task,
    };
    let report = client
        .run_step(&account, &remove(0), &context)
        .await
        .unwrap();
    let task = report.task_id.clone().unwrap();
    assert_eq!(*seen.lock().unwrap(), std::slice::from_ref(&task));
    assert_eq!(sim.calls("GetTask"), 3);
    assert_eq!(clock.sleeps(), [1, 2, 4].map(Duration::from_secs).to_vec());
    assert_eq!(sim.assignments(&id).len(), 2);

    // A resumed step polls its task and sends nothing else.
    sim.clear_requests();
    let resume = StepContext {
        resume_task: Some(&task),
        on_task: &|_| {},
    };
    let again = client
        .run_step(&account, &remove(0), &resume)
        .await
        .unwrap();
    assert_eq!(again.task_id.as_deref(), Some(task.as_str()));
    assert_eq!(sim.actions(), ["GetTask"]);

    // A failed task fails the step with its reason; the assignment stays, a rerun removes it.
    sim.set_task_polls(1);
    sim.fail_next_tasks(1, "No Permission.");
    let err = client
        .run_step(&account, &remove(1), &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("No Permission."), "{err}");
    assert_eq!(sim.assignments(&id).len(), 2);
    let rerun = run(&client, &account, &remove(1)).await;
    assert_eq!(rerun.outcome, StepOutcome::Done);
    assert_eq!(sim.assignments(&id).len(), 1);

    // No polls: the removal's answer says Success already.
    sim.set_task_polls(0);
    let before = sim.calls("GetTask");
    let report = run(&client, &account, &remove(2)).await;
    assert_eq!(
        sim.task_status(report.task_id.as_deref().unwrap()),
        Some("Success")
    );
    assert_eq!(sim.calls("GetTask"), before);
    assert!(sim.assignments(&id).is_empty());
}

#[tokio::test]
async fn the_delete_waits_out_the_assignment_lag_and_fails_on_other_conflicts() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.set_assignment_lag(2);
    let id = sim.add_person("lag@example.com");
    let (client, clock) = manual_client(&sim);
    let person = find(&client, "lag@example.com").await;
    offboard(&client, &person).await;
    assert!(!sim.has_user(&id));
    assert_eq!(sim.calls("DeleteUser"), 3, "two refusals, then the delete");
    let sleeps = clock.sleeps();
    assert!(
        sleeps.ends_with(&[3, 6].map(Duration::from_secs)),
        "{sleeps:?}"
    );
    assert_order(&sim.actions());

    for (seed, code) in [
        (
            CloudSsoUser::new("device").mfa_devices(1),
            "DeletionConflict.User.MFADevice",
        ),
        (
            CloudSsoUser::new("group").groups(1),
            "DeletionConflict.User.Group",
        ),
        (
            CloudSsoUser::new("assigned").assignments(1),
            "DeletionConflict.User.AccessAssigment",
        ),
    ] {
        let id = sim.seed(seed);
        let account = account(&id, ManagedBy::Local);
        let before = sim.calls("DeleteUser");
        let err = client
            .run_step(
                &account,
                &PlannedStep::on_account(Step::Delete, &account),
                &StepContext::none(),
            )
            .await
            .unwrap_err();
        assert_eq!((err.kind(), err.code()), (ErrorKind::Conflict, Some(code)));
        assert_eq!(sim.calls("DeleteUser"), before + 1, "{code}: not retried");
        assert!(sim.has_user(&id));
        let verify = client
            .run_step(
                &account,
                &PlannedStep::on_account(Step::Verify, &account),
                &StepContext::none(),
            )
            .await
            .unwrap_err();
        assert_eq!(verify.kind(), ErrorKind::Conflict, "verify: still there");
    }
}

/// 429-style throttling, a 503 and a dropped connection on each call of an offboarding (the
/// first, second or third request of every step): retried as on delete, every step `done`.
#[tokio::test]
async fn faults_on_every_call_are_retried_as_on_delete() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let unavailable = Fault::status(
        503,
        r#"{"RequestId":"R-503","HostId":"cloudsso.cn-shanghai.aliyuncs.com","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}"#,
    );
    let mut faulted = HashSet::new();
    for (n, fault) in [sim.throttle(0), unavailable, Fault::Drop]
        .into_iter()
        .enumerate()
    {
        for position in 0..3 {
            let email = format!("fault{n}{position}@example.com");
            let id = sim.add_person(&email);
            let (client, _) = manual_client(&sim);
            let account = find(&client, &email).await;
            let plan = client.plan(&account, client.prerequisites(&account).await.unwrap());
            sim.clear_requests();
            for step in &plan.steps {
                sim.clear_faults();
                for _ in 0..position {
                    sim.inject(Fault::Delay(Duration::ZERO), 1);
                }
                sim.inject(fault.clone(), 1);
                let report = run(&client, &account, step).await;
                assert_eq!(report.outcome, StepOutcome::Done, "{}", step.step);
            }
            sim.clear_faults();
            assert!(!sim.has_user(&id));
            let requests = sim.requests();
            let actions = sim.actions();
            assert_order(&actions);
            for (i, request) in requests.iter().enumerate() {
                if request.fault.as_ref().is_some_and(|f| *f == fault) {
                    faulted.insert(actions[i].clone());
                    assert_eq!(actions.get(i + 1), Some(&actions[i]), "retried at once");
                    let retry = &requests[i + 1];
                    assert!(
                        retry.fault.is_none() && retry.status.is_some(),
                        "{}",
                        actions[i]
                    );
                }
            }
        }
    }
    // Every action but the lookup and the SCIM check, which come before the steps.
    let step_actions = AlibabaCloudSsoSim::ACTIONS
        .into_iter()
        .filter(|a| !["ListUsers", "GetSCIMSynchronizationStatus"].contains(a));
    for action in step_actions {
        assert!(
            faulted.contains(action),
            "{action} never faulted: {faulted:?}"
        );
    }
}
