#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The provided `run_step` and `step_done`: which hook a step reaches, what is refused before
//! any hook runs, and the default reads (prerequisites listed again, `verify`), on a vendor
//! that keeps its accounts in memory.

mod support;

use std::sync::Mutex;

use idp_core::transport::check_id;
use idp_core::{
    Account, AccountPlan, Error, ErrorKind, Offboarder, PlannedStep, Presence, Receipt, Step,
    StepContext, StepOutcome, StepReport, Transport, TransportOptions, UserDeleter, UserQuery,
};

const USER: &str = "u-1";

/// One account: whether it is disabled, its groups, whether it still exists; and the hooks
/// called, in order.
#[derive(Default)]
struct State {
    disabled: bool,
    groups: Vec<String>,
    deleted: bool,
    calls: Vec<&'static str>,
}

/// A vendor with `disable`, `remove_from_group`, `delete` and `verify`.
struct Memory {
    state: Mutex<State>,
    transport: Transport,
}

impl Memory {
    fn new(groups: &[&str]) -> Self {
        let state = State {
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            ..State::default()
        };
        Memory {
            state: Mutex::new(state),
            transport: support::transport(TransportOptions::default()),
        }
    }

    fn calls(&self) -> Vec<&'static str> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Records `hook` and reports `done` or `already`.
    fn record(&self, hook: &'static str, done: bool) -> StepReport {
        self.state.lock().unwrap().calls.push(hook);
        let outcome = if done {
            StepOutcome::Done
        } else {
            StepOutcome::Already
        };
        StepReport::new(outcome, 1, None)
    }
}

impl UserDeleter for Memory {
    fn vendor(&self) -> &'static str {
        support::VENDOR
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        check_id("user_id", user_id, 16)
    }

    async fn delete_user(&self, _user_id: &str) -> Result<Receipt, Error> {
        self.state.lock().unwrap().deleted = true;
        Ok(Receipt::new(1, None))
    }

    async fn check_access(&self) -> Result<(), Error> {
        Ok(())
    }

    fn transport(&self) -> &Transport {
        &self.transport
    }
}

impl Offboarder for Memory {
    async fn find_users(&self, _query: &UserQuery) -> Result<Vec<Account>, Error> {
        Ok(vec![bare(USER)])
    }

    async fn prerequisites(&self, _account: &Account) -> Result<Vec<PlannedStep>, Error> {
        let state = self.state.lock().unwrap();
        let groups = state.groups.iter();
        Ok(groups
            .map(|g| PlannedStep::on(Step::RemoveFromGroup, g.clone(), None))
            .collect())
    }

    fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan {
        AccountPlan::offboarding(account, &[Step::Disable], prerequisites, Vec::new())
    }

    async fn verify(&self, _account: &Account) -> Result<Presence, Error> {
        self.state.lock().unwrap().calls.push("verify");
        Ok(if self.state.lock().unwrap().deleted {
            Presence::Gone
        } else {
            Presence::Present
        })
    }

    fn steps(&self) -> &'static [Step] {
        &[
            Step::Disable,
            Step::RemoveFromGroup,
            Step::Delete,
            Step::Verify,
        ]
    }

    async fn disable(&self, _account: &Account) -> Result<StepReport, Error> {
        let was = std::mem::replace(&mut self.state.lock().unwrap().disabled, true);
        Ok(self.record("disable", !was))
    }

    async fn remove_prerequisite(
        &self,
        _account: &Account,
        step: &PlannedStep,
        context: &StepContext<'_>,
    ) -> Result<StepReport, Error> {
        (context.on_task)(&step.target);
        let removed = {
            let mut state = self.state.lock().unwrap();
            let before = state.groups.len();
            state.groups.retain(|g| *g != step.target);
            state.groups.len() < before
        };
        Ok(self.record("remove_prerequisite", removed))
    }

    async fn delete_account(&self, _account: &Account) -> Result<StepReport, Error> {
        let was = std::mem::replace(&mut self.state.lock().unwrap().deleted, true);
        Ok(self.record("delete_account", !was))
    }

    async fn confirm_deleted(&self, account: &Account) -> Result<StepReport, Error> {
        match self.verify(account).await? {
            Presence::Gone => Ok(self.record("confirm_deleted", true)),
            Presence::Present => Err(Error::new(ErrorKind::Conflict, "still there")),
        }
    }

    async fn is_disabled(&self, _account: &Account) -> Result<Option<bool>, Error> {
        Ok(Some(self.state.lock().unwrap().disabled))
    }
}

/// An enabled local account with nothing but its id.
fn bare(user_id: &str) -> Account {
    let record = serde_json::json!({
        "user_id": user_id, "status": "enabled", "managed_by": "local", "vendor": null
    });
    serde_json::from_value(record).unwrap()
}

fn on_account(step: Step) -> PlannedStep {
    PlannedStep::on_account(step, &bare(USER))
}

async fn run(client: &Memory, step: &PlannedStep) -> Result<StepReport, Error> {
    client
        .run_step(&bare(USER), step, &StepContext::none())
        .await
}

async fn done(client: &Memory, step: &PlannedStep) -> Option<bool> {
    client.step_done(&bare(USER), step).await.unwrap()
}

#[tokio::test]
async fn each_step_reaches_its_hook_and_each_read_its_state() {
    let client = Memory::new(&["g-1"]);
    let account = bare(USER);
    let plan = client.plan(&account, client.prerequisites(&account).await.unwrap());
    let group = PlannedStep::on(Step::RemoveFromGroup, "g-1", None);

    assert_eq!(done(&client, &plan.steps[0]).await, Some(false));
    assert_eq!(done(&client, &group).await, Some(false));
    assert_eq!(done(&client, &on_account(Step::Delete)).await, Some(false));

    let reported = Mutex::new(Vec::new());
    let on_task = |id: &str| reported.lock().unwrap().push(id.to_owned());
    let context = StepContext {
        resume_task: None,
        on_task: &on_task,
    };
    for step in &plan.steps[..3] {
        let report = client.run_step(&account, step, &context).await.unwrap();
        assert_eq!(report.outcome, StepOutcome::Done, "{}", step.step);
    }
    assert_eq!(*reported.lock().unwrap(), ["g-1"]);
    let verified = run(&client, &plan.steps[3]).await.unwrap();
    assert_eq!(verified.outcome, StepOutcome::Done);
    assert_eq!(
        client.calls(),
        [
            "verify",
            "disable",
            "remove_prerequisite",
            "delete_account",
            "verify",
            "confirm_deleted"
        ]
    );

    for step in &plan.steps {
        assert_eq!(done(&client, step).await, Some(true), "{}", step.step);
    }
    let again = run(&client, &plan.steps[0]).await.unwrap();
    assert_eq!(again.outcome, StepOutcome::Already);
}

#[tokio::test]
async fn verify_fails_while_the_account_is_there() {
    let client = Memory::new(&[]);
    let err = run(&client, &on_account(Step::Verify)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.vendor(), support::VENDOR);
    assert_eq!(done(&client, &on_account(Step::Verify)).await, Some(false));
}

#[tokio::test]
async fn what_is_refused_reaches_no_hook() {
    let client = Memory::new(&["g-1"]);
    let account = bare(USER);

    for step in [Step::RevokeSessions, Step::Logout, Step::RemoveMfaDevice] {
        let planned = on_account(step);
        let err = run(&client, &planned).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{step}");
        assert_eq!(err.vendor(), support::VENDOR);
        assert!(
            err.message()
                .ends_with("its steps are disable, remove_from_group, delete and verify"),
            "{err}"
        );
        let err = client.step_done(&account, &planned).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{step}");
    }

    // A step on the account must target it; a prerequisite targets what it removes.
    let elsewhere = PlannedStep::on(Step::Delete, "u-2", None);
    let err = run(&client, &elsewhere).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.vendor(), support::VENDOR);
    assert!(client.step_done(&account, &elsewhere).await.is_err());

    // An account id the vendor refuses, whatever the step.
    let noisy = bare("u 1");
    for step in [
        PlannedStep::on_account(Step::Disable, &noisy),
        PlannedStep::on(Step::RemoveFromGroup, "g-1", None),
    ] {
        let err = client
            .run_step(&noisy, &step, &StepContext::none())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", step.step);
        assert!(client.step_done(&noisy, &step).await.is_err());
    }
    assert!(client.calls().is_empty(), "{:?}", client.calls());
}

#[tokio::test]
async fn hooks_a_vendor_does_not_write_refuse_and_the_default_reads_read_back() {
    let client = Memory::new(&["g-1"]);
    let account = bare(USER);
    for (step, refused) in [
        (Step::Logout, client.logout(&account).await),
        (Step::RevokeSessions, client.revoke_sessions(&account).await),
    ] {
        let err = refused.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.vendor(), support::VENDOR);
        assert!(err.message().contains(&format!("no {step} step")), "{err}");
    }
    let listed = PlannedStep::on(Step::RemoveFromGroup, "g-1", None);
    let unlisted = PlannedStep::on(Step::RemoveFromGroup, "g-9", None);
    assert_eq!(
        client.is_removed(&account, &listed).await.unwrap(),
        Some(false)
    );
    assert_eq!(
        client.is_removed(&account, &unlisted).await.unwrap(),
        Some(true)
    );
    assert_eq!(client.is_deleted(&account).await.unwrap(), Some(false));
}
