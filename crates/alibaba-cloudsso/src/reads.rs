//! The read-only calls the steps are built from: a user, its MFA devices, groups and direct
//! access assignments, a task, the directory's SCIM status.

use std::sync::PoisonError;
use std::time::Duration;

use idp_core::{Error, ErrorKind, Receipt};

use crate::assignment::AssignmentTarget;
use crate::client::{Cached, Client};
use crate::model::{
    Assignment, GetUser, JoinedGroup, MfaDevice, ScimStatus, Task, TaskAnswer, User, item,
};
use crate::rpc::{
    GET_SCIM_STATUS, GET_TASK, GET_USER, LIST_ACCESS_ASSIGNMENTS, LIST_JOINED_GROUPS,
    LIST_MFA_DEVICES,
};

/// How long a directory's SCIM status is believed.
const SCIM_STATUS_MAX_AGE: Duration = Duration::from_secs(10 * 60);

/// `None` when CloudSSO answered `EntityNotExists.User`: the user is gone, and with it
/// everything attached to it. The receipt then counts the requests of the refused call.
pub(crate) fn unless_gone<T>(
    result: Result<(T, Receipt), Error>,
) -> Result<(Option<T>, Receipt), Error> {
    match result {
        Ok((value, receipt)) => Ok((Some(value), receipt)),
        Err(err) if is_user_gone(&err) => Ok((None, Receipt::new(err.attempts(), None))),
        Err(err) => Err(err),
    }
}

/// Whether `err` is CloudSSO saying the user does not exist.
pub(crate) fn is_user_gone(err: &Error) -> bool {
    err.kind() == ErrorKind::NotFound && err.code() == Some("EntityNotExists.User")
}

impl Client {
    /// `GetUser`.
    pub(crate) async fn get_user(&self, user_id: &str) -> Result<(User, Receipt), Error> {
        self.call(
            GET_USER,
            &[("UserId", user_id)],
            "the user",
            |answer, response| {
                answer
                    .parse::<GetUser>(response, "the user")
                    .map(|got| got.user)
            },
        )
        .await
    }

    /// `ListMFADevicesForUser` (not paged).
    pub(crate) async fn mfa_devices(
        &self,
        user_id: &str,
    ) -> Result<(Vec<MfaDevice>, Receipt), Error> {
        let params = [("UserId", user_id)];
        self.list_all(LIST_MFA_DEVICES, &params, None, "MFADevices", item)
            .await
    }

    /// `ListJoinedGroupsForUser`, every page.
    pub(crate) async fn joined_groups(
        &self,
        user_id: &str,
    ) -> Result<(Vec<JoinedGroup>, Receipt), Error> {
        let params = [("UserId", user_id)];
        self.list_all(
            LIST_JOINED_GROUPS,
            &params,
            Some("100"),
            "JoinedGroups",
            item,
        )
        .await
    }

    /// `ListAccessAssignments` of the user's direct assignments (both `PrincipalType` and
    /// `PrincipalId`, without which CloudSSO ignores the other filters), every page,
    /// narrowed to `target` when given. Whatever the server's filters let through, only the
    /// user's own assignments (and `target`'s) are kept.
    pub(crate) async fn assignments(
        &self,
        user_id: &str,
        target: Option<&AssignmentTarget>,
    ) -> Result<(Vec<Assignment>, Receipt), Error> {
        let mut params = vec![("PrincipalType", "User"), ("PrincipalId", user_id)];
        if let Some(target) = target {
            params.extend([
                ("AccessConfigurationId", target.access_configuration_id()),
                ("TargetType", target.target_type()),
                ("TargetId", target.target_id()),
            ]);
        }
        let (listed, receipt) = self
            .list_all(
                LIST_ACCESS_ASSIGNMENTS,
                &params,
                Some("20"),
                "AccessAssignments",
                item,
            )
            .await?;
        let mine = listed
            .into_iter()
            .filter(|a: &Assignment| {
                a.principal_type.as_deref().is_none_or(|t| t == "User")
                    && a.principal_id.as_deref().is_none_or(|id| id == user_id)
                    && target.is_none_or(|t| matches(a, t))
            })
            .collect();
        Ok((mine, receipt))
    }

    /// `GetTask`.
    pub(crate) async fn get_task(&self, task_id: &str) -> Result<(Task, Receipt), Error> {
        self.call(
            GET_TASK,
            &[("TaskId", task_id)],
            "the task",
            |answer, response| {
                answer
                    .parse::<TaskAnswer>(response, "the task")
                    .map(|got| got.task)
            },
        )
        .await
    }

    /// Whether SCIM synchronisation is enabled in the directory
    /// (`GetSCIMSynchronizationStatus`), read at most once per
    /// [`SCIM_STATUS_MAX_AGE`].
    pub(crate) async fn scim_enabled(&self) -> Result<bool, Error> {
        if let Some(enabled) = self.scim_status_cached() {
            return Ok(enabled);
        }
        let (enabled, _) = self
            .call(
                GET_SCIM_STATUS,
                &[],
                "the SCIM status",
                |answer, response| {
                    let status = answer.parse::<ScimStatus>(response, "the SCIM status")?;
                    match status.status.as_str() {
                        "Enabled" => Ok(true),
                        "Disabled" => Ok(false),
                        other => Err(response.error(
                            ErrorKind::Protocol,
                            format!(
                                "SCIMSynchronizationStatus {:?} is neither Enabled nor Disabled",
                                idp_core::text::truncate_for_message(other)
                            ),
                        )),
                    }
                },
            )
            .await?;
        let at = self.inner.transport.clock().now();
        *self
            .inner
            .scim
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Cached { at, value: enabled });
        Ok(enabled)
    }

    /// The SCIM status read within [`SCIM_STATUS_MAX_AGE`], if any.
    pub(crate) fn scim_status_cached(&self) -> Option<bool> {
        let now = self.inner.transport.clock().now();
        let cached = self
            .inner
            .scim
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|c| now.saturating_duration_since(c.at) < SCIM_STATUS_MAX_AGE)
            .map(|c| c.value)
    }
}

/// Whether `assignment` is the one `target` names.
pub(crate) fn matches(assignment: &Assignment, target: &AssignmentTarget) -> bool {
    assignment.access_configuration_id == target.access_configuration_id()
        && assignment.target_type == target.target_type()
        && assignment.target_id == target.target_id()
}
