//! The step vocabulary of offboarding: what is done to an account, in which order, and how
//! each step ends. These names appear in plans and journals: they are part of the contract.
//!
//! [`Offboarder`] is where a vendor declares its steps: the list of them and one hook per
//! step; the dispatch from a [`PlannedStep`] to its hook, and the checks every step needs, are
//! written once, in its provided `run_step` and `step_done`.

use std::fmt;
use std::future::{self, Future};

use serde::{Deserialize, Serialize};

use crate::account::{Account, UserQuery};
use crate::client::UserDeleter;
use crate::error::{Error, ErrorKind};
use crate::outcome::Receipt;
use crate::text::truncate_for_message;
use crate::transport::Sent;

/// One thing done to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Disable the account so it cannot sign in (RSA, Control Room, CloudSSO).
    Disable,
    /// Revoke the user's sessions and devices (Cloudflare Access).
    RevokeSessions,
    /// End the user's sessions (OneLogin).
    Logout,
    /// Remove one MFA device (CloudSSO).
    RemoveMfaDevice,
    /// Remove the user from one group (CloudSSO).
    RemoveFromGroup,
    /// Remove one direct access assignment (CloudSSO).
    RemoveAccessAssignment,
    /// Delete the account.
    Delete,
    /// Read the account back: it must be gone.
    Verify,
}

impl Step {
    /// Every step, in the order an offboarding runs them.
    pub const ALL: [Step; 8] = [
        Step::Disable,
        Step::RevokeSessions,
        Step::Logout,
        Step::RemoveMfaDevice,
        Step::RemoveFromGroup,
        Step::RemoveAccessAssignment,
        Step::Delete,
        Step::Verify,
    ];

    /// The stable snake_case name (`"disable"`, `"revoke_sessions"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Disable => "disable",
            Step::RevokeSessions => "revoke_sessions",
            Step::Logout => "logout",
            Step::RemoveMfaDevice => "remove_mfa_device",
            Step::RemoveFromGroup => "remove_from_group",
            Step::RemoveAccessAssignment => "remove_access_assignment",
            Step::Delete => "delete",
            Step::Verify => "verify",
        }
    }

    /// Whether this step cuts access (phase 1 of an offboarding), as opposed to removing the
    /// account (phase 2).
    pub fn is_containment(self) -> bool {
        matches!(self, Step::Disable | Step::RevokeSessions | Step::Logout)
    }

    /// Whether this step clears something that blocks the delete.
    pub fn is_prerequisite(self) -> bool {
        matches!(
            self,
            Step::RemoveMfaDevice | Step::RemoveFromGroup | Step::RemoveAccessAssignment
        )
    }

    /// The [`ErrorKind::InvalidInput`] error for a step that `vendor` (as people call it) does
    /// not have, naming the `steps` it has.
    pub fn not_offered_by(self, vendor: &str, steps: &[Step]) -> Error {
        let names: Vec<&str> = steps.iter().map(|step| step.as_str()).collect();
        let list = match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => "none".to_owned(),
        };
        Error::invalid_input(format!("{vendor} has no {self} step: its steps are {list}"))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step with its target: the account itself, or the device, group or assignment it
/// removes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlannedStep {
    /// What is done.
    pub step: Step,
    /// To what: the account's user id, or the id of the device, group or assignment (in the
    /// vendor crate's own notation; see its docs).
    pub target: String,
    /// What the target is, for people reading the plan ("TOTP device 'phone'", "group
    /// 'admins'").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl PlannedStep {
    /// A step on the account itself.
    pub fn on_account(step: Step, account: &Account) -> Self {
        PlannedStep {
            step,
            target: account.user_id.clone(),
            label: None,
        }
    }

    /// A step on a sub-object (`target`), with a label for people.
    pub fn on(step: Step, target: impl Into<String>, label: impl Into<Option<String>>) -> Self {
        PlannedStep {
            step,
            target: target.into(),
            label: label.into(),
        }
    }

    /// The account's user id, for a step that acts on `account` itself; an
    /// [`ErrorKind::InvalidInput`] error when the step targets anything else (a plan edited by
    /// hand, a step meant for another account).
    pub fn account_target<'a>(&self, account: &'a Account) -> Result<&'a str, Error> {
        if self.target == account.user_id {
            Ok(&account.user_id)
        } else {
            Err(Error::invalid_input(format!(
                "the {} step targets {:?}, not the account {:?}: it acts on the account itself",
                self.step,
                truncate_for_message(&self.target),
                truncate_for_message(&account.user_id)
            )))
        }
    }
}

/// How a step ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Done now, by this call.
    Done,
    /// Nothing to do: already disabled, already gone, already removed.
    Already,
}

impl StepOutcome {
    /// `"done"` or `"already"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Done => "done",
            StepOutcome::Already => "already",
        }
    }
}

/// A step that did not fail: how it ended, the requests it took, the vendor's request id and,
/// for an asynchronous vendor task (Alibaba's), the task id.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StepReport {
    /// Done or already.
    pub outcome: StepOutcome,
    /// Requests sent for this step.
    pub attempts: u32,
    /// The request id of the last answer, if any.
    pub request_id: Option<String>,
    /// The vendor's task id, for a step that ran as an asynchronous task.
    pub task_id: Option<String>,
}

impl StepReport {
    /// A report of `outcome` after `attempts` requests.
    pub fn new(outcome: StepOutcome, attempts: u32, request_id: Option<String>) -> Self {
        StepReport {
            outcome,
            attempts,
            request_id,
            task_id: None,
        }
    }

    /// A report of `outcome` with the requests and the request id of `receipt`.
    pub fn from_receipt(outcome: StepOutcome, receipt: Receipt) -> Self {
        StepReport::new(outcome, receipt.attempts, receipt.request_id)
    }

    /// How a step ended after its last call, for a step whose target may be gone already:
    /// [`StepOutcome::Done`] when the call succeeded, [`StepOutcome::Already`] when the vendor
    /// says the target does not exist ([`ErrorKind::NotFound`]: a user deleted meanwhile can
    /// neither sign in nor be deleted again), and any other error as it is. `earlier` counts
    /// the requests the step sent before this call; they are added to the report or the
    /// error.
    pub fn done_unless_gone(
        result: Result<Receipt, Error>,
        earlier: u32,
    ) -> Result<StepReport, Error> {
        let (outcome, receipt) = match result {
            Ok(receipt) => (StepOutcome::Done, receipt),
            Err(gone) if gone.kind() == ErrorKind::NotFound => {
                (StepOutcome::Already, Receipt::from_error(&gone))
            }
            Err(err) => {
                let attempts = earlier + err.attempts();
                return Err(err.with_attempts(attempts));
            }
        };
        Ok(StepReport::new(
            outcome,
            earlier + receipt.attempts,
            receipt.request_id,
        ))
    }

    /// Adds the task id.
    pub fn with_task_id(mut self, task_id: impl Into<String>) -> Self {
        self.task_id = Some(task_id.into());
        self
    }
}

/// Where an account's offboarding ends when every step succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndState {
    /// Contained and deleted, and the delete verified.
    Offboarded,
    /// Contained only: the vendor removes it by itself later (RSA's pending deletion).
    PendingDeletion,
    /// Contained only: an identity provider owns the account and must delete it (SCIM).
    ManagedElsewhere,
}

impl EndState {
    /// `"offboarded"`, `"pending_deletion"` or `"managed_elsewhere"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndState::Offboarded => "offboarded",
            EndState::PendingDeletion => "pending_deletion",
            EndState::ManagedElsewhere => "managed_elsewhere",
        }
    }
}

/// What a vendor will do to one account: the steps in order, what they end in, and what
/// people should know before approving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPlan {
    /// The steps, containment first, then prerequisites, delete, verify.
    pub steps: Vec<PlannedStep>,
    /// Where the account ends when every step succeeds.
    pub end: EndState,
    /// What can re-create the account, what the steps do not cover.
    pub warnings: Vec<String>,
}

impl AccountPlan {
    /// The plan of an account that ends [`EndState::Offboarded`]: the `containment` steps on
    /// the account, then the `prerequisites`, then [`Step::Delete`] and [`Step::Verify`].
    pub fn offboarding(
        account: &Account,
        containment: &[Step],
        prerequisites: impl IntoIterator<Item = PlannedStep>,
        warnings: Vec<String>,
    ) -> AccountPlan {
        let on_account = |&step: &Step| PlannedStep::on_account(step, account);
        let steps = containment
            .iter()
            .map(on_account)
            .chain(prerequisites)
            .chain([Step::Delete, Step::Verify].iter().map(on_account))
            .collect();
        AccountPlan {
            steps,
            end: EndState::Offboarded,
            warnings,
        }
    }
}

/// Whether an account is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// The vendor says it does not exist.
    Gone,
    /// It is still there.
    Present,
}

impl Presence {
    /// What reading an account back came to: its record is [`Presence::Present`], the
    /// vendor's own not-found ([`ErrorKind::NotFound`]) is [`Presence::Gone`], any other error
    /// stays an error; with the receipt of the answer that decided it.
    pub fn from_read<T>(read: Result<Sent<T>, Error>) -> Result<(Presence, Receipt), Error> {
        match read {
            Ok(sent) => Ok((Presence::Present, sent.receipt())),
            Err(err) if err.kind() == ErrorKind::NotFound => {
                Ok((Presence::Gone, Receipt::from_error(&err)))
            }
            Err(err) => Err(err),
        }
    }
}

/// What a step may need besides its target: a task id to resume polling (instead of starting
/// the task again), and a place to report a task id as soon as the vendor gives it (so the
/// caller can journal it before the step finishes).
pub struct StepContext<'a> {
    /// A task id from an interrupted earlier run of this step.
    pub resume_task: Option<&'a str>,
    /// Called with the task id as soon as the vendor returns one.
    pub on_task: &'a (dyn Fn(&str) + Send + Sync),
}

impl StepContext<'_> {
    /// No task to resume, and task ids are not reported early.
    pub fn none() -> StepContext<'static> {
        StepContext {
            resume_task: None,
            on_task: &|_| {},
        }
    }
}

impl fmt::Debug for StepContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepContext")
            .field("resume_task", &self.resume_task)
            .finish_non_exhaustive()
    }
}

/// A client that can offboard a person: find the account, plan, run and read back the steps,
/// verify. Every vendor client implements it; the `idp` facade exposes it uniformly.
///
/// A vendor writes `find_users`, `prerequisites`, `plan`, `verify`, the list of its
/// [`steps`](Offboarder::steps), and a hook for each of them; the hooks of the steps it lacks
/// keep their default bodies, which refuse the step. [`run_step`](Offboarder::run_step) and
/// [`step_done`](Offboarder::step_done) are provided: they refuse a step the vendor does not
/// list, an account id it would refuse and a step on the account that targets anything else,
/// before anything is sent, then hand the step to its hook:
///
/// - `disable`: [`disable`](Offboarder::disable); read back by
///   [`is_disabled`](Offboarder::is_disabled) (default `None`: cannot tell).
/// - `revoke_sessions`, `logout`: [`revoke_sessions`](Offboarder::revoke_sessions),
///   [`logout`](Offboarder::logout); never read back (`None`).
/// - a prerequisite: [`remove_prerequisite`](Offboarder::remove_prerequisite), with the
///   [`StepContext`]; read back by [`is_removed`](Offboarder::is_removed) (default: whether
///   `prerequisites` no longer lists it).
/// - `delete`: [`delete_account`](Offboarder::delete_account); `verify`:
///   [`confirm_deleted`](Offboarder::confirm_deleted); both read back by
///   [`is_deleted`](Offboarder::is_deleted) (default: whether `verify` says gone).
pub trait Offboarder: UserDeleter {
    /// The accounts matching `query` by the client's rule
    /// ([`UserQuery::matches_account`]): none, one, or (ambiguous) several. Server-side
    /// filters only narrow the search.
    fn find_users(
        &self,
        query: &UserQuery,
    ) -> impl Future<Output = Result<Vec<Account>, Error>> + Send;

    /// What must be cleared before `account` can be deleted (CloudSSO's MFA devices, groups
    /// and access assignments), as steps; empty for vendors with nothing to clear.
    fn prerequisites(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<Vec<PlannedStep>, Error>> + Send;

    /// The full plan for `account` given its `prerequisites`: containment, prerequisites,
    /// delete and verify in order (fewer when the account ends elsewhere), with warnings.
    fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan;

    /// Whether the account is still there.
    fn verify(&self, account: &Account) -> impl Future<Output = Result<Presence, Error>> + Send;

    /// The steps this vendor has, in the order an offboarding runs them. `run_step` and
    /// `step_done` refuse any other step ([`ErrorKind::InvalidInput`], nothing sent), naming
    /// these.
    fn steps(&self) -> &'static [Step];

    /// The [`Step::Disable`] step: the account can no longer sign in. The default refuses
    /// the step.
    fn disable(
        &self,
        _account: &Account,
    ) -> impl Future<Output = Result<StepReport, Error>> + Send {
        future::ready(Err(not_offered(self, Step::Disable)))
    }

    /// The [`Step::RevokeSessions`] step. The default refuses the step.
    fn revoke_sessions(
        &self,
        _account: &Account,
    ) -> impl Future<Output = Result<StepReport, Error>> + Send {
        future::ready(Err(not_offered(self, Step::RevokeSessions)))
    }

    /// The [`Step::Logout`] step. The default refuses the step.
    fn logout(&self, _account: &Account) -> impl Future<Output = Result<StepReport, Error>> + Send {
        future::ready(Err(not_offered(self, Step::Logout)))
    }

    /// A prerequisite step ([`Step::is_prerequisite`]): removes `step`'s target, one of the
    /// things [`Offboarder::prerequisites`] listed for `account`. `context` carries a task to
    /// resume and where to report a new task's id. The default refuses the step.
    fn remove_prerequisite(
        &self,
        _account: &Account,
        step: &PlannedStep,
        _context: &StepContext<'_>,
    ) -> impl Future<Output = Result<StepReport, Error>> + Send {
        future::ready(Err(not_offered(self, step.step)))
    }

    /// The [`Step::Delete`] step: deletes the account; a vendor's own not-found ends
    /// [`StepOutcome::Already`]. The default refuses the step.
    fn delete_account(
        &self,
        _account: &Account,
    ) -> impl Future<Output = Result<StepReport, Error>> + Send {
        future::ready(Err(not_offered(self, Step::Delete)))
    }

    /// The [`Step::Verify`] step: reads the account back. [`StepOutcome::Done`] when the
    /// vendor says it is gone; an [`ErrorKind::Conflict`] error saying what is still there
    /// when it is present. Either way with the requests and the request id of the read (which
    /// [`Offboarder::verify`] does not return: that is why every vendor writes this one).
    fn confirm_deleted(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<StepReport, Error>> + Send;

    /// Whether the account is disabled, read without changing anything (for
    /// [`Step::Disable`] in `step_done`). The default: `None`, the state cannot tell.
    fn is_disabled(
        &self,
        _account: &Account,
    ) -> impl Future<Output = Result<Option<bool>, Error>> + Send {
        future::ready(Ok(None))
    }

    /// Whether the target of the prerequisite `step` is gone (for `step_done`). The default
    /// reads [`Offboarder::prerequisites`] again: `Some(true)` when it no longer lists `step`.
    fn is_removed(
        &self,
        account: &Account,
        step: &PlannedStep,
    ) -> impl Future<Output = Result<Option<bool>, Error>> + Send {
        async move {
            let left = self.prerequisites(account).await?;
            let listed = left
                .iter()
                .any(|other| other.step == step.step && other.target == step.target);
            Ok(Some(!listed))
        }
    }

    /// Whether the account is deleted (for [`Step::Delete`] and [`Step::Verify`] in
    /// `step_done`). The default: whether [`Offboarder::verify`] says
    /// [`Presence::Gone`].
    fn is_deleted(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<Option<bool>, Error>> + Send {
        async move { Ok(Some(self.verify(account).await? == Presence::Gone)) }
    }

    /// Runs one step. Idempotent: a step that already happened ends
    /// [`StepOutcome::Already`] where the vendor's state can be read back, and never fails
    /// because it happened before.
    ///
    /// Provided: a step not in [`Offboarder::steps`], an account id the vendor would refuse
    /// ([`UserDeleter::validate_user_id`]) and a step on the account that targets anything
    /// else ([`PlannedStep::account_target`]) are [`ErrorKind::InvalidInput`] errors, nothing
    /// sent; then the step goes to its hook. Errors carry the vendor's name.
    fn run_step(
        &self,
        account: &Account,
        step: &PlannedStep,
        context: &StepContext<'_>,
    ) -> impl Future<Output = Result<StepReport, Error>> + Send {
        async move {
            let report = async {
                check_step(self, account, step)?;
                match step.step {
                    Step::Disable => self.disable(account).await,
                    Step::RevokeSessions => self.revoke_sessions(account).await,
                    Step::Logout => self.logout(account).await,
                    Step::RemoveMfaDevice
                    | Step::RemoveFromGroup
                    | Step::RemoveAccessAssignment => {
                        self.remove_prerequisite(account, step, context).await
                    }
                    Step::Delete => self.delete_account(account).await,
                    Step::Verify => self.confirm_deleted(account).await,
                }
            };
            report.await.map_err(|e| e.with_vendor(self.vendor()))
        }
    }

    /// Reads whether `step` has already taken effect, without changing anything: `Some(true)`
    /// done, `Some(false)` not yet, `None` when the vendor's state cannot tell (revoking
    /// sessions, logging out). A resumed run asks this before sending a step again.
    ///
    /// Provided: the checks of [`Offboarder::run_step`], then [`Offboarder::is_disabled`],
    /// `None` for [`Step::RevokeSessions`] and [`Step::Logout`], [`Offboarder::is_removed`]
    /// for a prerequisite, [`Offboarder::is_deleted`] for [`Step::Delete`] and
    /// [`Step::Verify`].
    fn step_done(
        &self,
        account: &Account,
        step: &PlannedStep,
    ) -> impl Future<Output = Result<Option<bool>, Error>> + Send {
        async move {
            let done = async {
                check_step(self, account, step)?;
                match step.step {
                    Step::Disable => self.is_disabled(account).await,
                    Step::RevokeSessions | Step::Logout => Ok(None),
                    Step::RemoveMfaDevice
                    | Step::RemoveFromGroup
                    | Step::RemoveAccessAssignment => self.is_removed(account, step).await,
                    Step::Delete | Step::Verify => self.is_deleted(account).await,
                }
            };
            done.await.map_err(|e| e.with_vendor(self.vendor()))
        }
    }
}

/// The error for a step `client` does not have, naming the ones it has.
fn not_offered<C: Offboarder + ?Sized>(client: &C, step: Step) -> Error {
    step.not_offered_by(client.vendor(), client.steps())
        .with_vendor(client.vendor())
}

/// What every step is checked for before anything is sent: one of the client's steps, on an
/// account id the client accepts, and (unless it removes a prerequisite) targeting the
/// account itself.
fn check_step<C: Offboarder + ?Sized>(
    client: &C,
    account: &Account,
    step: &PlannedStep,
) -> Result<(), Error> {
    if !client.steps().contains(&step.step) {
        return Err(not_offered(client, step.step));
    }
    client.validate_user_id(&account.user_id)?;
    if !step.step.is_prerequisite() {
        step.account_target(account)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gone_is_already_and_every_request_counts() {
        let done = StepReport::done_unless_gone(Ok(Receipt::new(2, Some("r1".into()))), 1);
        assert_eq!(
            done.ok(),
            Some(StepReport::new(StepOutcome::Done, 3, Some("r1".into())))
        );

        let gone = Error::new(ErrorKind::NotFound, "no such user")
            .with_attempts(2)
            .with_request_id(Some("r2".into()));
        let already = StepReport::done_unless_gone(Err(gone), 1);
        assert_eq!(
            already.ok(),
            Some(StepReport::new(StepOutcome::Already, 3, Some("r2".into())))
        );

        let conflict = Error::new(ErrorKind::Conflict, "enabled").with_attempts(2);
        let failed = StepReport::done_unless_gone(Err(conflict), 1).err();
        assert_eq!(failed.as_ref().map(Error::kind), Some(ErrorKind::Conflict));
        assert_eq!(failed.as_ref().map(Error::attempts), Some(3));
    }

    #[test]
    fn a_step_a_vendor_lacks_names_the_ones_it_has() {
        let err =
            Step::Disable.not_offered_by("Example", &[Step::Logout, Step::Delete, Step::Verify]);
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            err.message(),
            "Example has no disable step: its steps are logout, delete and verify"
        );
        let err = Step::Logout.not_offered_by("Example", &[Step::Delete]);
        assert!(err.message().ends_with("its steps are delete"), "{err}");
    }

    #[test]
    fn a_read_back_is_present_gone_or_an_error() {
        let record = Sent {
            value: (),
            attempts: 2,
            request_id: Some("r1".into()),
            waited: std::time::Duration::ZERO,
        };
        let present = Presence::from_read(Ok(record)).ok();
        assert_eq!(
            present,
            Some((Presence::Present, Receipt::new(2, Some("r1".into()))))
        );
        let gone = Error::new(ErrorKind::NotFound, "no such user").with_attempts(3);
        let gone = Presence::from_read::<()>(Err(gone)).ok();
        assert_eq!(gone, Some((Presence::Gone, Receipt::new(3, None))));
        let failed = Presence::from_read::<()>(Err(Error::new(ErrorKind::Server, "500")));
        assert_eq!(failed.err().map(|e| e.kind()), Some(ErrorKind::Server));
    }

    #[test]
    fn an_account_step_must_target_the_account() {
        let jane = Account::bare("u-1");
        let step = PlannedStep::on_account(Step::Delete, &jane);
        assert_eq!(step.account_target(&jane).ok(), Some("u-1"));
        let err = step.account_target(&Account::bare("u-2")).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidInput));
    }

    #[test]
    fn an_offboarding_contains_clears_deletes_and_verifies() {
        let jane = Account::bare("u-1");
        let group = PlannedStep::on(Step::RemoveFromGroup, "g-1", None);
        let plan =
            AccountPlan::offboarding(&jane, &[Step::Disable], [group.clone()], vec!["w".into()]);
        assert_eq!(
            plan.steps,
            vec![
                PlannedStep::on_account(Step::Disable, &jane),
                group,
                PlannedStep::on_account(Step::Delete, &jane),
                PlannedStep::on_account(Step::Verify, &jane),
            ]
        );
        assert_eq!(plan.end, EndState::Offboarded);
        assert_eq!(plan.warnings, vec!["w".to_owned()]);
    }
}
