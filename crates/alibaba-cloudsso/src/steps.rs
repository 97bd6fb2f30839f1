//! Offboarding a CloudSSO user: contain (disable), clear what blocks the delete (MFA devices,
//! group memberships, direct access assignments), delete, verify. Every step reads the state
//! first and ends `already` when there is nothing to do; a user CloudSSO says is gone
//! (`EntityNotExists.User`) has nothing left to disable or clear.

use std::time::Duration;

use idp_core::{
    Account, AccountPlan, EndState, Error, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence,
    Receipt, Step, StepContext, StepOutcome, StepReport, UserQuery,
};

use crate::VENDOR;
use crate::assignment::AssignmentTarget;
use crate::client::Client;
use crate::ids::{check_object_id, check_user_id};
use crate::model::{MfaDevice, TaskAnswer};
use crate::reads::{is_user_gone, unless_gone};
use crate::rpc::{
    DELETE_ACCESS_ASSIGNMENT, DELETE_MFA_DEVICE, GET_USER, REMOVE_FROM_GROUP, UPDATE_USER_STATUS,
};
use crate::task::ended;

/// The conflict CloudSSO can still answer for a while after the last access assignment task
/// succeeded (its spelling, sic). The delete step retries it, and only it.
const ASSIGNMENT_CONFLICT: &str = "DeletionConflict.User.AccessAssigment";

/// The first wait before retrying a delete refused with [`ASSIGNMENT_CONFLICT`]; it doubles,
/// the waits adding up to at most [`DELETE_RETRY_MAX_WAIT`].
const DELETE_RETRY_FIRST: Duration = Duration::from_secs(3);

/// The longest the delete step waits, in all, for CloudSSO to catch up with removed access
/// assignments (on the transport's clock).
pub const DELETE_RETRY_MAX_WAIT: Duration = Duration::from_secs(120);

const SESSIONS_WARNING: &str = "sessions already issued into member accounts can stay valid \
    after the disable and the delete for up to the access configuration's SessionDuration (at \
    most 12 h); whether CloudSSO revokes them is not confirmed";
const RAM_USERS_WARNING: &str = "RAM users provisioned from this user into member accounts \
    (ListUserProvisionings) are not removed by these steps: check them for leftover access keys";
const SCIM_MANAGED_WARNING: &str = "synchronised by SCIM from an identity provider while SCIM \
    synchronisation is enabled: CloudSSO refuses to delete it, so it is only disabled here; \
    delete the person in the identity provider, which can otherwise enable it again";
const SCIM_OFF_WARNING: &str = "synchronised by SCIM from an identity provider (synchronisation \
    is disabled now): if it is enabled again, the identity provider can re-create the user";
const SCIM_UNREAD_WARNING: &str = "synchronised by SCIM from an identity provider, and the \
    directory's SCIM status was not read (prerequisites were not asked for): if SCIM \
    synchronisation is enabled, CloudSSO refuses the delete";

/// Requests and the last request id of the calls one step made.
#[derive(Default)]
struct Tally {
    attempts: u32,
    request_id: Option<String>,
}

impl Tally {
    fn add(&mut self, receipt: Receipt) {
        self.attempts += receipt.attempts;
        if receipt.request_id.is_some() {
            self.request_id = receipt.request_id;
        }
    }

    /// `err` (from a call not added) with every request of the step counted.
    fn fail(&self, err: Error) -> Error {
        let attempts = self.attempts + err.attempts();
        err.with_attempts(attempts).with_vendor(VENDOR)
    }

    /// The report of a step that came to `result` (its outcome and, for a task, the task
    /// id), with every request of the step counted.
    fn report(
        self,
        result: Result<(StepOutcome, Option<String>), Error>,
    ) -> Result<StepReport, Error> {
        let (outcome, task_id) = result.map_err(|e| self.fail(e))?;
        let report = StepReport::new(outcome, self.attempts, self.request_id);
        Ok(match task_id {
            Some(task_id) => report.with_task_id(task_id),
            None => report,
        })
    }
}

/// CloudSSO's steps, in the order an offboarding runs them.
const STEPS: [Step; 6] = [
    Step::Disable,
    Step::RemoveMfaDevice,
    Step::RemoveFromGroup,
    Step::RemoveAccessAssignment,
    Step::Delete,
    Step::Verify,
];

/// The error for a step that is not a prerequisite, handed to a prerequisite's hook.
fn unsupported(step: Step) -> Error {
    step.not_offered_by(VENDOR, &STEPS).with_vendor(VENDOR)
}

/// The user id of `account`, checked.
fn account_id(account: &Account) -> Result<&str, Error> {
    check_user_id(&account.user_id).map_err(|e| e.with_vendor(VENDOR))?;
    Ok(&account.user_id)
}

/// A list item that cannot be a step target (an id with `/` or whitespace, say).
fn unusable(what: &str, err: Error) -> Error {
    Error::protocol(format!(
        "CloudSSO listed {what} that cannot be a step target: {}",
        err.message()
    ))
    .with_vendor(VENDOR)
}

fn device_label(device: &MfaDevice) -> String {
    let kind = device.device_type.as_deref().unwrap_or("MFA");
    match &device.device_name {
        Some(name) => format!(
            "{kind} device {:?}",
            idp_core::text::truncate_for_message(name)
        ),
        None => format!("{kind} device"),
    }
}

impl Client {
    /// The steps that clear what blocks `DeleteUser`, as `prerequisites` lists them.
    async fn blockers(&self, user_id: &str) -> Result<Vec<PlannedStep>, Error> {
        let mut steps = Vec::new();
        let (devices, _) = self.mfa_devices(user_id).await?;
        for device in &devices {
            check_object_id("an MFA device id", &device.device_id)
                .map_err(|e| unusable("an MFA device", e))?;
            steps.push(PlannedStep::on(
                Step::RemoveMfaDevice,
                device.device_id.clone(),
                device_label(device),
            ));
        }
        let (groups, _) = self.joined_groups(user_id).await?;
        for group in groups {
            check_object_id("a group id", &group.group_id).map_err(|e| unusable("a group", e))?;
            let label = group
                .group_name
                .map(|name| format!("group {:?}", idp_core::text::truncate_for_message(&name)));
            steps.push(PlannedStep::on(
                Step::RemoveFromGroup,
                group.group_id,
                label,
            ));
        }
        let (assignments, _) = self.assignments(user_id, None).await?;
        for assignment in assignments {
            let target = AssignmentTarget::new(
                &assignment.access_configuration_id,
                &assignment.target_type,
                &assignment.target_id,
            )
            .map_err(|e| unusable("an access assignment", e))?;
            let on = assignment
                .target_name
                .as_deref()
                .unwrap_or(&assignment.target_id);
            let label = format!(
                "access configuration {:?} on {} {:?}",
                idp_core::text::truncate_for_message(
                    assignment
                        .access_configuration_name
                        .as_deref()
                        .unwrap_or(&assignment.access_configuration_id)
                ),
                assignment.target_type,
                idp_core::text::truncate_for_message(on)
            );
            steps.push(PlannedStep::on(
                Step::RemoveAccessAssignment,
                target.to_string(),
                label,
            ));
        }
        Ok(steps)
    }

    /// `disable`: `UpdateUserStatus` with `NewStatus=Disabled`, unless `GetUser` shows it
    /// disabled (or gone) already.
    async fn disable_user(&self, user_id: &str, tally: &mut Tally) -> Result<StepOutcome, Error> {
        let (user, receipt) = unless_gone(self.get_user(user_id).await)?;
        tally.add(receipt);
        if user.is_none_or(|user| user.is_disabled()) {
            return Ok(StepOutcome::Already);
        }
        let params = [("UserId", user_id), ("NewStatus", "Disabled")];
        let ((), receipt) = self
            .call(UPDATE_USER_STATUS, &params, "the disable", |_, _| Ok(()))
            .await?;
        tally.add(receipt);
        Ok(StepOutcome::Done)
    }

    /// `remove_mfa_device`: `DeleteMFADeviceForUser`, unless the device is no longer listed.
    async fn remove_mfa_device(
        &self,
        user_id: &str,
        device_id: &str,
        tally: &mut Tally,
    ) -> Result<StepOutcome, Error> {
        check_object_id("MFA device id", device_id)?;
        let (devices, receipt) = unless_gone(self.mfa_devices(user_id).await)?;
        tally.add(receipt);
        if devices.is_none_or(|devices| !devices.iter().any(|d| d.device_id == device_id)) {
            return Ok(StepOutcome::Already);
        }
        let params = [("UserId", user_id), ("MFADeviceId", device_id)];
        let ((), receipt) = self
            .call(
                DELETE_MFA_DEVICE,
                &params,
                "the MFA device removal",
                |_, _| Ok(()),
            )
            .await?;
        tally.add(receipt);
        Ok(StepOutcome::Done)
    }

    /// `remove_from_group`: `RemoveUserFromGroup`, unless the group is no longer listed.
    async fn remove_from_group(
        &self,
        user_id: &str,
        group_id: &str,
        tally: &mut Tally,
    ) -> Result<StepOutcome, Error> {
        check_object_id("group id", group_id)?;
        let (groups, receipt) = unless_gone(self.joined_groups(user_id).await)?;
        tally.add(receipt);
        if groups.is_none_or(|groups| !groups.iter().any(|g| g.group_id == group_id)) {
            return Ok(StepOutcome::Already);
        }
        let params = [("GroupId", group_id), ("UserId", user_id)];
        let ((), receipt) = self
            .call(REMOVE_FROM_GROUP, &params, "the group removal", |_, _| {
                Ok(())
            })
            .await?;
        tally.add(receipt);
        Ok(StepOutcome::Done)
    }

    /// `remove_access_assignment`: `DeleteAccessAssignment` (`DeprovisionStrategy=None`),
    /// unless the assignment is no longer listed, then its task polled to the end. With a
    /// task to resume, only that task is polled.
    async fn remove_access_assignment(
        &self,
        user_id: &str,
        target: &str,
        context: &StepContext<'_>,
        tally: &mut Tally,
    ) -> Result<(StepOutcome, Option<String>), Error> {
        let target: AssignmentTarget = target.parse()?;
        if let Some(task_id) = context.resume_task {
            check_object_id("task id", task_id)?;
            let finished = self.wait_for_task(task_id, true).await?;
            tally.add(Receipt::new(finished.attempts, finished.request_id));
            return Ok((StepOutcome::Done, Some(task_id.to_owned())));
        }
        let (listed, receipt) = unless_gone(self.assignments(user_id, Some(&target)).await)?;
        tally.add(receipt);
        if listed.is_none_or(|listed| listed.is_empty()) {
            return Ok((StepOutcome::Already, None));
        }
        let params = [
            ("AccessConfigurationId", target.access_configuration_id()),
            ("TargetType", target.target_type()),
            ("TargetId", target.target_id()),
            ("PrincipalType", "User"),
            ("PrincipalId", user_id),
            ("DeprovisionStrategy", "None"),
        ];
        let started = self
            .call(
                DELETE_ACCESS_ASSIGNMENT,
                &params,
                "the access assignment removal",
                |answer, response| {
                    let task = answer
                        .parse::<TaskAnswer>(response, "the access assignment removal")?
                        .task;
                    check_object_id("the task id", &task.task_id).map_err(|e| {
                        response.error(
                            ErrorKind::Protocol,
                            format!("unusable task: {}", e.message()),
                        )
                    })?;
                    Ok(task)
                },
            )
            .await;
        let (task, receipt) = match started {
            // `EntityNotExists.AccessAssignment` (gone meanwhile) or the user itself gone.
            Err(err) if err.kind() == ErrorKind::NotFound => {
                tally.add(Receipt::new(err.attempts(), None));
                return Ok((StepOutcome::Already, None));
            }
            other => other?,
        };
        (context.on_task)(&task.task_id);
        let done = ended(&task, &task.task_id, &receipt)?;
        tally.add(receipt);
        if !done {
            let finished = self.wait_for_task(&task.task_id, false).await?;
            tally.add(Receipt::new(finished.attempts, finished.request_id));
        }
        Ok((StepOutcome::Done, Some(task.task_id)))
    }

    /// `delete`: `DeleteUser`; `already` when CloudSSO says the user is gone. A
    /// [`ASSIGNMENT_CONFLICT`] while no direct assignment is listed any more is CloudSSO
    /// catching up with finished removal tasks: retried with a doubling wait, at most
    /// [`DELETE_RETRY_MAX_WAIT`] in all. Any other conflict fails at once with its code.
    async fn delete_step(&self, user_id: &str, tally: &mut Tally) -> Result<StepOutcome, Error> {
        let clock = self.inner.transport.clock();
        let mut waited = Duration::ZERO;
        let mut wait = DELETE_RETRY_FIRST;
        let mut checked = false;
        loop {
            let err = match self.delete_user(user_id).await {
                Ok(receipt) => {
                    tally.add(receipt);
                    return Ok(StepOutcome::Done);
                }
                Err(err) if is_user_gone(&err) => {
                    tally.add(Receipt::new(err.attempts(), None));
                    return Ok(StepOutcome::Already);
                }
                Err(err) if err.code() == Some(ASSIGNMENT_CONFLICT) => err,
                Err(err) => return Err(err),
            };
            if !checked {
                checked = true;
                let (left, receipt) = self.assignments(user_id, None).await?;
                if !left.is_empty() {
                    tally.add(receipt);
                    let message = format!(
                        "{} ({} direct access assignment(s) still listed: run \
                         remove_access_assignment first)",
                        err.message(),
                        left.len()
                    );
                    return Err(err.with_message(message));
                }
                tally.add(receipt);
            }
            if waited >= DELETE_RETRY_MAX_WAIT {
                let message = format!(
                    "{} (still refused after waiting {} s for CloudSSO to catch up with the \
                     removed access assignments)",
                    err.message(),
                    waited.as_secs()
                );
                return Err(err.with_message(message));
            }
            tally.add(Receipt::new(err.attempts(), None));
            let pause = wait.min(DELETE_RETRY_MAX_WAIT - waited);
            clock.sleep(pause).await;
            waited += pause;
            wait *= 2;
        }
    }

    /// `verify`: `GetUser` must answer `EntityNotExists.User`.
    async fn verify_step(&self, user_id: &str, tally: &mut Tally) -> Result<StepOutcome, Error> {
        let (user, receipt) = unless_gone(self.get_user(user_id).await)?;
        let request_id = receipt.request_id.clone();
        tally.add(receipt);
        match user {
            None => Ok(StepOutcome::Done),
            Some(_) => Err(Error::new(
                ErrorKind::Conflict,
                format!("user {user_id} is still there: GetUser found it"),
            )
            .with_request_id(request_id)
            .with_operation(GET_USER.operation)),
        }
    }
}

/// CloudSSO's offboarding. Step targets: the user id for `disable`, `delete` and `verify`;
/// the `DeviceId` (`mfa-…`) for `remove_mfa_device`; the `GroupId` (`g-…`) for
/// `remove_from_group`; an [`AssignmentTarget`] (`<AccessConfigurationId>/<TargetType>/
/// <TargetId>`) for `remove_access_assignment`, whose report carries the `TaskId` of its
/// `DeleteAccessAssignment` task.
impl Offboarder for Client {
    async fn find_users(&self, query: &UserQuery) -> Result<Vec<Account>, Error> {
        Client::find_users(self, query).await
    }

    /// The user's MFA devices, groups and direct access assignments, as steps. Nothing for a
    /// SCIM-synchronised user while the directory's SCIM synchronisation is enabled
    /// (`GetSCIMSynchronizationStatus`): it is only contained.
    async fn prerequisites(&self, account: &Account) -> Result<Vec<PlannedStep>, Error> {
        let user_id = account_id(account)?;
        let run = async {
            if account.managed_by == ManagedBy::Scim && self.scim_enabled().await? {
                return Ok(Vec::new());
            }
            self.blockers(user_id).await
        };
        run.await.map_err(|e: Error| e.with_vendor(VENDOR))
    }

    /// `disable`, the prerequisites, `delete`, `verify`, ending `offboarded`; `disable` only,
    /// ending `managed_elsewhere`, for a SCIM-synchronised user while SCIM synchronisation is
    /// enabled (as read by [`Offboarder::prerequisites`]). Warnings: live sessions, RAM user
    /// provisionings, SCIM.
    fn plan(&self, account: &Account, prerequisites: Vec<PlannedStep>) -> AccountPlan {
        let mut warnings = vec![SESSIONS_WARNING.to_owned(), RAM_USERS_WARNING.to_owned()];
        let scim = account.managed_by == ManagedBy::Scim;
        let scim_status = self.scim_status_cached();
        let disable = PlannedStep::on_account(Step::Disable, account);
        if scim && scim_status == Some(true) {
            warnings.insert(0, SCIM_MANAGED_WARNING.to_owned());
            return AccountPlan {
                steps: vec![disable],
                end: EndState::ManagedElsewhere,
                warnings,
            };
        }
        if scim {
            warnings.push(
                match scim_status {
                    Some(_) => SCIM_OFF_WARNING,
                    None => SCIM_UNREAD_WARNING,
                }
                .to_owned(),
            );
        }
        let mut clear: Vec<PlannedStep> = prerequisites
            .into_iter()
            .filter(|step| step.step.is_prerequisite())
            .collect();
        // Devices, then groups, then assignments, each in the order given.
        clear.sort_by_key(|step| step.step);
        AccountPlan::offboarding(account, &[Step::Disable], clear, warnings)
    }

    async fn verify(&self, account: &Account) -> Result<Presence, Error> {
        let user_id = account_id(account)?;
        let (user, _) = unless_gone(self.get_user(user_id).await)?;
        Ok(match user {
            None => Presence::Gone,
            Some(_) => Presence::Present,
        })
    }

    fn steps(&self) -> &'static [Step] {
        &STEPS
    }

    async fn disable(&self, account: &Account) -> Result<StepReport, Error> {
        let user_id = account_id(account)?;
        let mut tally = Tally::default();
        let disabled = self.disable_user(user_id, &mut tally).await;
        tally.report(disabled.map(|o| (o, None)))
    }

    /// `remove_access_assignment` reports the id of its `DeleteAccessAssignment` task.
    async fn remove_prerequisite(
        &self,
        account: &Account,
        step: &PlannedStep,
        context: &StepContext<'_>,
    ) -> Result<StepReport, Error> {
        let user_id = account_id(account)?;
        let mut tally = Tally::default();
        let result = match step.step {
            Step::RemoveMfaDevice => self
                .remove_mfa_device(user_id, &step.target, &mut tally)
                .await
                .map(|o| (o, None)),
            Step::RemoveFromGroup => self
                .remove_from_group(user_id, &step.target, &mut tally)
                .await
                .map(|o| (o, None)),
            Step::RemoveAccessAssignment => {
                self.remove_access_assignment(user_id, &step.target, context, &mut tally)
                    .await
            }
            other => return Err(unsupported(other)),
        };
        tally.report(result)
    }

    async fn delete_account(&self, account: &Account) -> Result<StepReport, Error> {
        let user_id = account_id(account)?;
        let mut tally = Tally::default();
        let deleted = self.delete_step(user_id, &mut tally).await;
        tally.report(deleted.map(|o| (o, None)))
    }

    async fn confirm_deleted(&self, account: &Account) -> Result<StepReport, Error> {
        let user_id = account_id(account)?;
        let mut tally = Tally::default();
        let verified = self.verify_step(user_id, &mut tally).await;
        tally.report(verified.map(|o| (o, None)))
    }

    /// `GetUser`: disabled, or gone.
    async fn is_disabled(&self, account: &Account) -> Result<Option<bool>, Error> {
        let (user, _) = unless_gone(self.get_user(account_id(account)?).await)?;
        Ok(Some(user.is_none_or(|user| user.is_disabled())))
    }

    /// Reads only the list the target was on, as the step does (not every prerequisite
    /// again): the device, group or assignment no longer listed, or the user gone.
    async fn is_removed(
        &self,
        account: &Account,
        step: &PlannedStep,
    ) -> Result<Option<bool>, Error> {
        let user_id = account_id(account)?;
        let removed = match step.step {
            Step::RemoveMfaDevice => {
                check_object_id("MFA device id", &step.target)?;
                unless_gone(self.mfa_devices(user_id).await)?
                    .0
                    .is_none_or(|devices| !devices.iter().any(|d| d.device_id == step.target))
            }
            Step::RemoveFromGroup => {
                check_object_id("group id", &step.target)?;
                unless_gone(self.joined_groups(user_id).await)?
                    .0
                    .is_none_or(|groups| !groups.iter().any(|g| g.group_id == step.target))
            }
            Step::RemoveAccessAssignment => {
                let target: AssignmentTarget = step.target.parse()?;
                unless_gone(self.assignments(user_id, Some(&target)).await)?
                    .0
                    .is_none_or(|listed| listed.is_empty())
            }
            other => return Err(unsupported(other)),
        };
        Ok(Some(removed))
    }
}
