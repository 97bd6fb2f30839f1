//! The CloudSSO simulator's own methods: credentials, seeding, inspection, and the switches
//! that change how it behaves.

use std::net::SocketAddr;

use super::seed::{Blocker, CloudSsoUser};
use super::store::TaskStatus;
use super::{AlibabaCloudSso, AlibabaCloudSsoSim};
use crate::error::SimError;
use crate::record::RecordedRequest;
use crate::server::LOOPBACK;
use crate::sim::Sim;
use crate::util::lock;

/// The CloudSSO action of a logged request (`x-acs-action`, or V2's `Action` parameter).
fn logged_action(request: &RecordedRequest) -> Option<String> {
    request
        .header("x-acs-action")
        .map(str::to_owned)
        .or_else(|| request.param("Action"))
}

impl Sim<AlibabaCloudSso> {
    /// Every CloudSSO action the simulator serves (API version 2021-05-15); any other is
    /// refused as Alibaba refuses an unknown action.
    pub const ACTIONS: [&str; 12] = super::actions::ACTIONS;

    /// Starts on a free loopback port with temporary STS credentials: every request must
    /// carry the security token (given in `ALIBABA_CLOUD_SECURITY_TOKEN`).
    /// ([`AlibabaCloudSsoSim::start`] uses a long-term AccessKey pair.)
    pub async fn start_sts() -> Result<AlibabaCloudSsoSim, SimError> {
        AlibabaCloudSsoSim::start_sts_on(LOOPBACK).await
    }

    /// [`AlibabaCloudSsoSim::start_sts`] on `addr`.
    pub async fn start_sts_on(addr: SocketAddr) -> Result<AlibabaCloudSsoSim, SimError> {
        Sim::launch(addr, |local| async move {
            Ok((AlibabaCloudSso::new(local, true), None))
        })
        .await
    }

    /// The AccessKey id.
    pub fn access_key_id(&self) -> &str {
        &self.state().auth.access_key_id
    }

    /// The AccessKey secret.
    pub fn access_key_secret(&self) -> &str {
        &self.state().auth.access_key_secret
    }

    /// The STS security token, when started with [`AlibabaCloudSsoSim::start_sts`].
    pub fn security_token(&self) -> Option<String> {
        self.state().auth.security_token()
    }

    /// The directory id.
    pub fn directory_id(&self) -> &str {
        &self.state().directory_id
    }

    /// Makes the STS security token expired (`InvalidSecurityToken.Expired`); no effect
    /// without STS credentials.
    pub fn expire_security_token(&self) {
        self.state().auth.expire_security_token()
    }

    /// When on, the simulator behaves as a gateway that accepts only signature V3: every V2
    /// (HMAC-SHA1) request gets HTTP 400 `UnsupportedSignatureVersion`. Off by default.
    pub fn set_v3_only(&self, on: bool) {
        self.state().auth.set_v3_only(on)
    }

    // --- seeding ---------------------------------------------------------------------------

    /// Seeds `user` (replacing a user with the same id) and returns its id.
    pub fn seed(&self, user: CloudSsoUser) -> String {
        lock(&self.state().directory).insert(&user)
    }

    /// Seeds an enabled user that cannot be deleted until its `blockers` are cleared: one MFA
    /// device, group or access assignment per blocker. An empty `id` gets a generated one.
    pub fn add_user_with_blockers(&self, id: &str, blockers: &[Blocker]) -> String {
        let count = |b: Blocker| blockers.iter().filter(|x| **x == b).count();
        let name = format!("blocked-{}", crate::util::random_lower_alnum(8));
        let mut user = CloudSsoUser::new(name.clone())
            .email(format!("{name}@example.com"))
            .mfa_devices(count(Blocker::MfaDevice))
            .groups(count(Blocker::Group))
            .assignments(count(Blocker::AccessAssignment));
        if !id.is_empty() {
            user = user.id(id);
        }
        self.seed(user)
    }

    /// Removes every MFA device, group membership and access assignment of a user at once
    /// (it becomes deletable); `false` when there is no such user.
    pub fn clear_blockers(&self, id: &str) -> bool {
        lock(&self.state().directory).clear_blockers(id)
    }

    /// Gives `user` one more MFA device; its `DeviceId`, or `None` without such a user.
    pub fn add_mfa_device(&self, user: &str) -> Option<String> {
        lock(&self.state().directory).add_device(user)
    }

    /// Puts `user` in a new group; its `GroupId`, or `None` without such a user.
    pub fn add_group_membership(&self, user: &str) -> Option<String> {
        lock(&self.state().directory).add_membership(user)
    }

    /// Gives `user` one more direct access assignment; its target as the client crate writes
    /// it (`<AccessConfigurationId>/RD-Account/<TargetId>`), or `None` without such a user.
    pub fn add_assignment(&self, user: &str) -> Option<String> {
        lock(&self.state().directory).add_assignment(user)
    }

    // --- inspection ------------------------------------------------------------------------

    /// `"Enabled"` or `"Disabled"`, or `None` when there is no such user.
    pub fn user_status(&self, id: &str) -> Option<&'static str> {
        lock(&self.state().directory)
            .user(id)
            .map(|user| if user.disabled { "Disabled" } else { "Enabled" })
    }

    /// The `DeviceId`s of a user's MFA devices (empty without such a user).
    pub fn mfa_devices(&self, user: &str) -> Vec<String> {
        lock(&self.state().directory)
            .user(user)
            .map(|u| u.devices.iter().map(|d| d.id.clone()).collect())
            .unwrap_or_default()
    }

    /// The `GroupId`s of the groups a user is in (empty without such a user).
    pub fn groups(&self, user: &str) -> Vec<String> {
        lock(&self.state().directory)
            .user(user)
            .map(|u| u.groups.iter().map(|m| m.group_id.clone()).collect())
            .unwrap_or_default()
    }

    /// A user's direct access assignments, as `<AccessConfigurationId>/<TargetType>/<TargetId>`.
    pub fn assignments(&self, user: &str) -> Vec<String> {
        lock(&self.state().directory)
            .assignments_of(user)
            .map(|(_, a)| a.target())
            .collect()
    }

    /// A task's status (`"InProgress"`, `"Success"`, `"Failed"`), or `None` when unknown.
    pub fn task_status(&self, task_id: &str) -> Option<&'static str> {
        lock(&self.state().directory)
            .tasks
            .get(task_id)
            .map(|task| match task.status {
                TaskStatus::InProgress => "InProgress",
                TaskStatus::Success => "Success",
                TaskStatus::Failed => "Failed",
            })
    }

    /// How many requests for `action` (`"ListUsers"`, …) arrived, whatever their outcome
    /// (refused and faulted ones included; not reset by [`Sim::clear_requests`]).
    pub fn calls(&self, action: &str) -> usize {
        lock(&self.state().calls).get(action).copied().unwrap_or(0)
    }

    /// The action of every logged request, in order of arrival (empty for a request that
    /// named none).
    pub fn actions(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| logged_action(r).unwrap_or_default())
            .collect()
    }

    // --- behaviour -------------------------------------------------------------------------

    /// Pages of every listing hold at most `n` items (at least 1), whatever `MaxResults`
    /// asks: small pages make a test page. Unlimited by default (`MaxResults` decides).
    pub fn set_page_size(&self, n: usize) {
        lock(&self.state().directory).settings.page_size = n.max(1);
    }

    /// Tasks started from now on end at their `polls`-th `GetTask` (1 by default); with 0,
    /// `DeleteAccessAssignment` answers a task that has ended already.
    pub fn set_task_polls(&self, polls: u32) {
        lock(&self.state().directory).settings.task_polls = polls;
    }

    /// The next `times` tasks started end `Failed` with `reason` as their `FailureReason`
    /// (the assignment stays).
    pub fn fail_next_tasks(&self, times: usize, reason: &str) {
        let mut directory = lock(&self.state().directory);
        for _ in 0..times {
            directory.settings.failures.push_back(reason.to_owned());
        }
    }

    /// After a task removes a user's last direct assignment, its next `deletes` `DeleteUser`
    /// calls still get `DeletionConflict.User.AccessAssigment` (CloudSSO catching up). 0 by
    /// default.
    pub fn set_assignment_lag(&self, deletes: usize) {
        lock(&self.state().directory).settings.lag = deletes;
    }

    /// What `GetSCIMSynchronizationStatus` answers (`Enabled` when on); while on, a
    /// synchronised user cannot be deleted. Off by default.
    pub fn set_scim_synchronization(&self, enabled: bool) {
        lock(&self.state().directory).settings.scim_enabled = enabled;
    }
}
