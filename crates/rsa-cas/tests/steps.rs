//! The offboarding steps over loopback, from each starting state (enabled, disabled, pending
//! deletion, SCIM-managed), in RSA's order: disable, delete, verify. Each server is scripted
//! request by request, so the order and exact bodies are asserted on the server's side.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use idp_core::{
    Account, AccountStatus, EndState, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence,
    Step, StepContext, StepOutcome,
};

const DISABLE_BODY: &str = r#"{"userStatus":"Disabled"}"#;

fn lookup_line() -> String {
    format!("POST {LOOKUP}")
}
fn status_line() -> String {
    format!("PUT {USERS}/{USER}/userStatus")
}
fn delete_line() -> String {
    format!("DELETE {USERS}/{USER}")
}

fn record(status: &str, mark_deleted: bool) -> Reply {
    Reply::json(
        200,
        user_record(USER, EMAIL, status, mark_deleted, "Corporate AD"),
    )
}
fn not_found() -> Reply {
    Reply::json(404, not_found_body(EMAIL))
}
fn disabled() -> Reply {
    Reply::json(200, disabled_body(USER))
}

fn enabled() -> Account {
    account(AccountStatus::Enabled, "Enabled", false)
}

fn step(step: Step) -> PlannedStep {
    PlannedStep::on(step, USER, None)
}

async fn run(
    client: &idp_rsa_cas::Client,
    account: &Account,
    which: Step,
) -> Result<idp_core::StepReport, idp_core::Error> {
    client
        .run_step(account, &step(which), &StepContext::none())
        .await
}

#[tokio::test]
async fn an_enabled_user_is_disabled_deleted_and_verified_and_a_rerun_ends_already() {
    let server = Server::script(vec![
        record("Enabled", false),
        disabled(),
        record("Disabled", false),
        Reply::empty(200),
        not_found(),
        not_found(),
    ])
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let account = enabled();

    let plan = client.plan(&account, client.prerequisites(&account).await.unwrap());
    let steps: Vec<Step> = plan.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Disable, Step::Delete, Step::Verify]);
    assert!(plan.steps.iter().all(|s| s.target == USER));
    assert_eq!(plan.end, EndState::Offboarded);
    assert!(
        plan.warnings.iter().any(|w| w.contains("resynchronising")),
        "{:?}",
        plan.warnings
    );

    let first = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!((first.outcome, first.attempts), (StepOutcome::Done, 2));
    let again = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!((again.outcome, again.attempts), (StepOutcome::Already, 1));
    let deleted = run(&client, &account, Step::Delete).await.unwrap();
    assert_eq!(deleted.outcome, StepOutcome::Done);
    let gone = run(&client, &account, Step::Delete).await.unwrap();
    assert_eq!(gone.outcome, StepOutcome::Already);
    let verified = run(&client, &account, Step::Verify).await.unwrap();
    assert_eq!(verified.outcome, StepOutcome::Done);

    assert_eq!(
        server.lines(),
        [
            lookup_line(),
            status_line(),
            lookup_line(),
            delete_line(),
            delete_line(),
            lookup_line()
        ]
    );
    let requests = server.requests();
    assert_eq!(requests[1].body, DISABLE_BODY);
    assert_eq!(requests[1].header("content-type"), Some("application/json"));
    for lookup in [&requests[0], &requests[2], &requests[5]] {
        assert_eq!(
            lookup.body,
            r#"{"email":"jane.doe@example.com","searchUnsynched":false}"#
        );
    }
    assert!(requests.iter().all(|r| r.bearer().is_some()));
}

#[tokio::test]
async fn a_disabled_user_is_not_disabled_again() {
    let server = Server::script(vec![record("Disabled", false)]).await;
    let client = client(&server.api(), &manual_clock(), 0);
    let account = account(AccountStatus::Disabled, "Disabled", false);
    let report = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Already);
    assert_eq!(server.lines(), [lookup_line()]);
}

#[tokio::test]
async fn a_user_pending_deletion_is_only_disabled() {
    let server = Server::script(vec![
        record("Enabled", true),
        disabled(),
        record("Disabled", true),
    ])
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let account = account(AccountStatus::PendingDeletion, "Enabled", true);

    let plan = client.plan(&account, Vec::new());
    let steps: Vec<Step> = plan.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Disable]);
    assert_eq!(plan.end, EndState::PendingDeletion);
    assert!(
        plan.warnings.iter().any(|w| w.contains("7 days")),
        "{:?}",
        plan.warnings
    );

    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Done
    );
    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Already
    );
    assert_eq!(
        server.lines(),
        [lookup_line(), status_line(), lookup_line()]
    );
}

#[tokio::test]
async fn a_scim_user_is_refused_by_rsa_and_the_plan_says_so() {
    let server = Server::script(vec![Reply::json(
        405,
        r#"{"code":"405 METHOD_NOT_ALLOWED","description":"Method Not Allowed"}"#,
    )])
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let mut account = enabled();
    account.managed_by = ManagedBy::Scim;
    account.vendor["identitySource"] = "Azure AD (SCIM)".into();

    let plan = client.plan(&account, Vec::new());
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("SCIM") && w.contains("identity provider")),
        "{:?}",
        plan.warnings
    );
    let err = run(&client, &account, Step::Delete).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowed, "{err}");
    assert!(err.message().contains("identity provider"), "{err}");
    assert_eq!(server.lines(), [delete_line()]);
}

#[tokio::test]
async fn a_delete_refused_as_enabled_disables_once_more_and_deletes_again() {
    let server = Server::script(vec![
        Reply::json(409, conflict_body("User is in enabled state.")),
        disabled(),
        Reply::empty(200),
    ])
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let report = run(&client, &enabled(), Step::Delete).await.unwrap();
    assert_eq!((report.outcome, report.attempts), (StepOutcome::Done, 3));
    assert_eq!(
        server.lines(),
        [delete_line(), status_line(), delete_line()]
    );
    assert_eq!(server.requests()[1].body, DISABLE_BODY);

    // Refused a second time: the step fails with RSA's reason, after exactly one more try.
    let server = Server::script(vec![
        Reply::json(409, conflict_body("User is in enabled state.")),
        disabled(),
        Reply::json(409, conflict_body("User is in enabled state.")),
    ])
    .await;
    let client = common::client(&server.api(), &manual_clock(), 0);
    let err = run(&client, &enabled(), Step::Delete).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("User is in enabled state."), "{err}");
    assert_eq!(err.attempts(), 3);
    assert_eq!(server.lines().len(), 3);
}

#[tokio::test]
async fn a_delete_refused_as_pending_fails_without_more_requests() {
    let server = Server::script(vec![Reply::json(
        409,
        conflict_body("User is in pending deletion state."),
    )])
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let err = run(&client, &enabled(), Step::Delete).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("7 days"), "{err}");
    assert_eq!(server.lines(), [delete_line()]);
}

#[tokio::test]
async fn the_status_put_carries_exactly_one_property() {
    // As strict as RSA: any other body is refused with its 400.
    let server = Server::handler(|_, request| match request.method.as_str() {
        "POST" => record("Enabled", false),
        "PUT" if request.body == DISABLE_BODY => disabled(),
        "PUT" => Reply::json(
            400,
            r#"{"code":"400 BAD_REQUEST","description":"Wrong number of properties in the request body."}"#,
        ),
        _ => Reply::empty(599),
    })
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let report = run(&client, &enabled(), Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(server.requests()[1].body, DISABLE_BODY);
}

#[tokio::test]
async fn a_disable_answered_otherwise_than_documented_is_not_done() {
    for reply in [
        Reply::json(200, "{}"),
        Reply::json(200, r#"{"id":"someone-else","userStatus":"Disabled"}"#),
        Reply::json(
            200,
            r#"{"id":"eb2e12ae-1112-451b-98e1-dfe4e6afd60d","userStatus":"Enabled"}"#,
        ),
        Reply::typed(200, "text/html", "<html>portal</html>"),
        Reply::empty(204),
        Reply::json(
            400,
            r#"{"code":"400 BAD_REQUEST","description":"Wrong number of properties in the request body."}"#,
        ),
    ] {
        let server = Server::script(vec![record("Enabled", false), reply.clone()]).await;
        let client = client(&server.api(), &manual_clock(), 0);
        let err = run(&client, &enabled(), Step::Disable).await.unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Protocol | ErrorKind::InvalidInput),
            "{reply:?}: {err}"
        );
        assert_eq!(err.attempts(), 2, "{reply:?}");
    }
}

#[tokio::test]
async fn a_conflict_on_disable_is_read_back() {
    let conflict = || Reply::json(409, conflict_body("Status change not allowed."));
    let server = Server::script(vec![
        record("Enabled", false),
        conflict(),
        record("Disabled", false),
    ])
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let report = run(&client, &enabled(), Step::Disable).await.unwrap();
    assert_eq!((report.outcome, report.attempts), (StepOutcome::Already, 3));

    let server = Server::script(vec![
        record("Enabled", false),
        conflict(),
        record("Enabled", false),
    ])
    .await;
    let client = common::client(&server.api(), &manual_clock(), 0);
    let err = run(&client, &enabled(), Step::Disable).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.message().contains("Status change not allowed."),
        "{err}"
    );
    assert_eq!(err.attempts(), 3);
}

#[tokio::test]
async fn a_user_rsa_does_not_know_needs_no_disabling() {
    let server = Server::script(vec![not_found(), Reply::json(404, not_found_body(USER))]).await;
    let client = client(&server.api(), &manual_clock(), 0);
    let report = run(&client, &enabled(), Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Already);
    assert_eq!(server.lines(), [lookup_line(), status_line()]);
}

#[tokio::test]
async fn verify_fails_while_the_user_is_there() {
    let server = Server::script(vec![record("Disabled", false)]).await;
    let client = client(&server.api(), &manual_clock(), 0);
    let err = run(&client, &enabled(), Step::Verify).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("still there"), "{err}");

    // Re-added by a resync under a new id: the person still has an account.
    let readded = || {
        Reply::json(
            200,
            user_record(
                "0f0f0f0f-0000-4000-8000-000000000002",
                EMAIL,
                "Enabled",
                false,
                "Corp AD",
            ),
        )
    };
    let server = Server::script(vec![readded(), readded()]).await;
    let client = common::client(&server.api(), &manual_clock(), 0);
    let err = run(&client, &enabled(), Step::Verify).await.unwrap_err();
    assert!(err.message().contains("there again"), "{err}");
    assert_eq!(client.verify(&enabled()).await.unwrap(), Presence::Present);
}

#[tokio::test]
async fn verify_and_step_done_read_the_state_without_changing_it() {
    let server = Server::script(vec![
        record("Enabled", false),
        record("Disabled", false),
        record("Disabled", false),
        not_found(),
        not_found(),
        not_found(),
    ])
    .await;
    let client = client(&server.api(), &manual_clock(), 0);
    let account = enabled();
    let done = |s| {
        let client = client.clone();
        let account = account.clone();
        async move { client.step_done(&account, &step(s)).await.unwrap() }
    };
    assert_eq!(done(Step::Disable).await, Some(false));
    assert_eq!(done(Step::Disable).await, Some(true));
    assert_eq!(done(Step::Delete).await, Some(false));
    assert_eq!(done(Step::Delete).await, Some(true));
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);
    assert_eq!(done(Step::Disable).await, Some(true));
    assert!(server.lines().iter().all(|line| *line == lookup_line()));
    assert_eq!(server.lines().len(), 6);
}

#[tokio::test]
async fn faults_on_each_call_are_retried() {
    let faults = || {
        [
            Reply::empty(429),
            Reply::empty(500),
            Reply::empty(503),
            Reply::Drop,
        ]
    };
    for fault in faults() {
        // The read-back lookup, then the status PUT.
        let server = Server::script(vec![
            fault.clone(),
            record("Enabled", false),
            fault.clone(),
            disabled(),
        ])
        .await;
        let client = client(&server.api(), &manual_clock(), 3);
        let report = run(&client, &enabled(), Step::Disable)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!((report.outcome, report.attempts), (StepOutcome::Done, 4));
        assert_eq!(
            server.lines(),
            [lookup_line(), lookup_line(), status_line(), status_line()]
        );
    }
    for fault in faults() {
        // The verify lookup.
        let server = Server::script(vec![fault.clone(), not_found()]).await;
        let client = client(&server.api(), &manual_clock(), 3);
        let report = run(&client, &enabled(), Step::Verify)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!((report.outcome, report.attempts), (StepOutcome::Done, 2));
    }
    // Retries exhausted: the fault is the step's error.
    let server = Server::script(vec![
        record("Enabled", false),
        Reply::empty(503),
        Reply::empty(503),
    ])
    .await;
    let client = client(&server.api(), &manual_clock(), 1);
    let err = run(&client, &enabled(), Step::Disable).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.attempts(), 3);
}

#[tokio::test]
async fn an_account_without_an_address_is_disabled_blind_and_cannot_be_verified() {
    let server = Server::script(vec![disabled()]).await;
    let client = client(&server.api(), &manual_clock(), 0);
    let mut account = enabled();
    account.email = None;
    let report = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    assert_eq!(
        client
            .step_done(&account, &step(Step::Disable))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        client
            .step_done(&account, &step(Step::Delete))
            .await
            .unwrap(),
        None
    );
    let err = run(&client, &account, Step::Verify).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(server.lines(), [status_line()]);
}

#[tokio::test]
async fn steps_rsa_does_not_have_or_other_targets_send_nothing() {
    let server = Server::script(Vec::new()).await;
    let client = client(&server.api(), &manual_clock(), 0);
    let account = enabled();
    assert!(client.prerequisites(&account).await.unwrap().is_empty());
    for which in [Step::RevokeSessions, Step::Logout, Step::RemoveMfaDevice] {
        let err = run(&client, &account, which).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{which}");
    }
    let elsewhere = PlannedStep::on(Step::Delete, "someone-else", None);
    let err = client
        .run_step(&account, &elsewhere, &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let mut noisy = account.clone();
    noisy.user_id = format!("\u{feff}{USER}");
    let err = client
        .run_step(
            &noisy,
            &PlannedStep::on(Step::Delete, noisy.user_id.clone(), None),
            &StepContext::none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(server.requests().is_empty());
}
