//! The directory's state: users with their MFA devices and group memberships, groups, direct
//! access assignments and the tasks that remove them, and the settings tests change. Records
//! keep an insertion sequence number, which orders listings and positions page tokens.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::SystemTime;

use serde_json::{Value, json};

use super::seed::{Blocker, CloudSsoUser};
use crate::util::{random_lower_alnum, rfc3339_seconds};

/// The `TargetType` of every seeded assignment: a member account of the resource directory.
pub(super) const RD_ACCOUNT: &str = "RD-Account";

fn now() -> String {
    rfc3339_seconds(SystemTime::now())
}

pub(super) struct Device {
    pub(super) id: String,
    name: String,
    since: String,
}

pub(super) struct Membership {
    pub(super) seq: u64,
    pub(super) group_id: String,
    since: String,
}

pub(super) struct Group {
    name: String,
}

pub(super) struct User {
    pub(super) id: String,
    pub(super) user_name: String,
    pub(super) email: Option<String>,
    display_name: String,
    pub(super) disabled: bool,
    pub(super) synchronized: bool,
    created: String,
    updated: String,
    pub(super) devices: Vec<Device>,
    pub(super) groups: Vec<Membership>,
    /// `DeletionConflict.User.AccessAssigment` answers still owed to `DeleteUser` after the
    /// user's last assignment went (CloudSSO catching up).
    pub(super) lag: usize,
}

#[derive(Clone)]
pub(super) struct Assignment {
    pub(super) configuration_id: String,
    configuration_name: String,
    pub(super) target_type: String,
    pub(super) target_id: String,
    target_name: String,
    pub(super) principal_type: String,
    pub(super) principal_id: String,
    principal_name: String,
    created: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TaskStatus {
    InProgress,
    Success,
    Failed,
}

pub(super) struct Task {
    pub(super) id: String,
    assignment: Assignment,
    /// `GetTask` polls until the task ends.
    pub(super) polls_left: u32,
    /// Why it will fail, if it will.
    failure: Option<String>,
    pub(super) status: TaskStatus,
    started: String,
    ended: Option<String>,
}

/// What tests can change.
pub(super) struct Settings {
    /// The most items a page holds, whatever `MaxResults` asks.
    pub(super) page_size: usize,
    /// How many `GetTask` polls a task takes to end (0: it has ended when created).
    pub(super) task_polls: u32,
    /// The reasons the next tasks fail with, in order.
    pub(super) failures: VecDeque<String>,
    /// How many `DeleteUser` calls still get `DeletionConflict.User.AccessAssigment` after a
    /// user's last assignment was removed.
    pub(super) lag: usize,
    /// `GetSCIMSynchronizationStatus`.
    pub(super) scim_enabled: bool,
}

pub(super) struct Directory {
    next: u64,
    pub(super) users: BTreeMap<u64, User>,
    index: HashMap<String, u64>,
    groups: HashMap<String, Group>,
    pub(super) assignments: BTreeMap<u64, Assignment>,
    pub(super) tasks: HashMap<String, Task>,
    pub(super) settings: Settings,
}

impl User {
    /// The record as `ListUsers` and `GetUser` give it.
    pub(super) fn json(&self) -> Value {
        let mut user = json!({
            "UserId": self.id,
            "UserName": self.user_name,
            "DisplayName": self.display_name,
            "Status": if self.disabled { "Disabled" } else { "Enabled" },
            "ProvisionType": if self.synchronized { "Synchronized" } else { "Manual" },
            "CreateTime": self.created,
            "UpdateTime": self.updated,
            "Description": "",
        });
        if let Some(email) = &self.email {
            user["Email"] = json!(email);
        }
        if self.synchronized {
            user["ExternalId"] = json!({ "Id": format!("ext-{}", self.id), "Issuer": "SCIM" });
        }
        user
    }

    pub(super) fn set_disabled(&mut self, disabled: bool) {
        self.disabled = disabled;
        self.updated = now();
    }

    pub(super) fn device_json(&self, device: &Device) -> Value {
        json!({
            "DeviceId": device.id,
            "DeviceName": device.name,
            "DeviceType": "TOTP",
            "EffectiveTime": device.since,
            "UserId": self.id,
        })
    }
}

impl Assignment {
    pub(super) fn json(&self) -> Value {
        json!({
            "AccessConfigurationId": self.configuration_id,
            "AccessConfigurationName": self.configuration_name,
            "TargetType": self.target_type,
            "TargetId": self.target_id,
            "TargetName": self.target_name,
            "TargetPath": format!("rd-root/{}", self.target_id),
            "TargetPathName": format!("Root/{}", self.target_name),
            "PrincipalType": self.principal_type,
            "PrincipalId": self.principal_id,
            "PrincipalName": self.principal_name,
            "CreateTime": self.created,
        })
    }

    /// `<AccessConfigurationId>/<TargetType>/<TargetId>`, as the client's step targets.
    pub(super) fn target(&self) -> String {
        format!(
            "{}/{}/{}",
            self.configuration_id, self.target_type, self.target_id
        )
    }
}

impl Task {
    pub(super) fn json(&self) -> Value {
        // A task names the assignment it removes, with every field but its creation time.
        let mut task = self.assignment.json();
        if let Some(fields) = task.as_object_mut() {
            fields.remove("CreateTime");
        }
        task["TaskId"] = json!(self.id);
        task["TaskType"] = json!("DeleteAccessAssignment");
        task["Status"] = json!(match self.status {
            TaskStatus::InProgress => "InProgress",
            TaskStatus::Success => "Success",
            TaskStatus::Failed => "Failed",
        });
        task["StartTime"] = json!(self.started);
        if let Some(ended) = &self.ended {
            task["EndTime"] = json!(ended);
        }
        if self.status == TaskStatus::Failed {
            task["FailureReason"] = json!(self.failure.as_deref().unwrap_or("Unknown error."));
        }
        task
    }
}

impl Directory {
    pub(super) fn new() -> Directory {
        Directory {
            next: 0,
            users: BTreeMap::new(),
            index: HashMap::new(),
            groups: HashMap::new(),
            assignments: BTreeMap::new(),
            tasks: HashMap::new(),
            settings: Settings {
                page_size: usize::MAX,
                task_polls: 1,
                failures: VecDeque::new(),
                lag: 0,
                scim_enabled: false,
            },
        }
    }

    fn seq(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    pub(super) fn user(&self, id: &str) -> Option<&User> {
        self.index.get(id).and_then(|seq| self.users.get(seq))
    }

    pub(super) fn user_mut(&mut self, id: &str) -> Option<&mut User> {
        self.index.get(id).and_then(|seq| self.users.get_mut(seq))
    }

    pub(super) fn user_count(&self) -> usize {
        self.users.len()
    }

    pub(super) fn remove_user(&mut self, id: &str) {
        if let Some(seq) = self.index.remove(id) {
            self.users.remove(&seq);
        }
    }

    pub(super) fn group_name(&self, id: &str) -> &str {
        self.groups.get(id).map_or("", |g| g.name.as_str())
    }

    /// Seeds `seed`; a user already there under that id is replaced.
    pub(super) fn insert(&mut self, seed: &CloudSsoUser) -> String {
        let id = seed
            .id
            .clone()
            .unwrap_or_else(|| format!("u-{}", random_lower_alnum(20)));
        self.remove_user(&id);
        let created = now();
        let seq = self.seq();
        self.users.insert(
            seq,
            User {
                id: id.clone(),
                user_name: seed.user_name.clone(),
                email: seed.email.clone(),
                display_name: seed
                    .display_name
                    .clone()
                    .unwrap_or_else(|| seed.user_name.clone()),
                disabled: seed.disabled,
                synchronized: seed.synchronized,
                created: created.clone(),
                updated: created,
                devices: Vec::new(),
                groups: Vec::new(),
                lag: 0,
            },
        );
        self.index.insert(id.clone(), seq);
        for _ in 0..seed.mfa_devices {
            self.add_device(&id);
        }
        for _ in 0..seed.groups {
            self.add_membership(&id);
        }
        for _ in 0..seed.assignments {
            self.add_assignment(&id);
        }
        id
    }

    /// A new MFA device of `user`; its id.
    pub(super) fn add_device(&mut self, user: &str) -> Option<String> {
        let user = self.user_mut(user)?;
        let id = format!("mfa-{}", random_lower_alnum(20));
        let name = format!("phone {}", user.devices.len() + 1);
        user.devices.push(Device {
            id: id.clone(),
            name,
            since: now(),
        });
        Some(id)
    }

    /// A new group with `user` in it; the group's id.
    pub(super) fn add_membership(&mut self, user: &str) -> Option<String> {
        let seq = self.seq();
        let group_id = format!("g-{}", random_lower_alnum(20));
        let user = self.user_mut(user)?;
        let name = format!("team-{}-{}", user.user_name, user.groups.len() + 1);
        user.groups.push(Membership {
            seq,
            group_id: group_id.clone(),
            since: now(),
        });
        self.groups.insert(group_id.clone(), Group { name });
        Some(group_id)
    }

    /// A new direct assignment of `user` (an access configuration on a member account); its
    /// target notation `<AccessConfigurationId>/RD-Account/<TargetId>`.
    pub(super) fn add_assignment(&mut self, user: &str) -> Option<String> {
        let user = self.user(user)?;
        let assignment = Assignment {
            configuration_id: format!("ac-{}", random_lower_alnum(20)),
            configuration_name: "AdministratorAccess".to_owned(),
            target_type: RD_ACCOUNT.to_owned(),
            target_id: (0..16)
                .map(|i| {
                    let digit = if i == 0 {
                        fastrand::u8(1..10)
                    } else {
                        fastrand::u8(0..10)
                    };
                    char::from(b'0' + digit)
                })
                .collect(),
            target_name: format!("account-of-{}", user.user_name),
            principal_type: "User".to_owned(),
            principal_id: user.id.clone(),
            principal_name: user.user_name.clone(),
            created: now(),
        };
        let target = assignment.target();
        let seq = self.seq();
        self.assignments.insert(seq, assignment);
        Some(target)
    }

    /// The direct assignments of `user`, in order.
    pub(super) fn assignments_of<'a>(
        &'a self,
        user: &'a str,
    ) -> impl Iterator<Item = (u64, &'a Assignment)> + 'a {
        self.assignments
            .iter()
            .filter(move |(_, a)| a.principal_type == "User" && a.principal_id == user)
            .map(|(seq, a)| (*seq, a))
    }

    /// What keeps `user` from being deleted, first of all.
    pub(super) fn blocker(&self, user: &User) -> Option<Blocker> {
        if !user.devices.is_empty() {
            Some(Blocker::MfaDevice)
        } else if !user.groups.is_empty() {
            Some(Blocker::Group)
        } else if self.assignments_of(&user.id).next().is_some() {
            Some(Blocker::AccessAssignment)
        } else {
            None
        }
    }

    /// Removes every device, membership and assignment of `user` at once (no tasks).
    pub(super) fn clear_blockers(&mut self, user: &str) -> bool {
        let Some(record) = self.user_mut(user) else {
            return false;
        };
        record.devices.clear();
        record.groups.clear();
        self.assignments
            .retain(|_, a| !(a.principal_type == "User" && a.principal_id == user));
        true
    }

    /// Starts the task that removes assignment `seq`; it ends at once when tasks take no
    /// polls.
    pub(super) fn start_removal(&mut self, seq: u64) -> Option<&Task> {
        let assignment = self.assignments.get(&seq)?.clone();
        let id = format!("t-{}", random_lower_alnum(20));
        let task = Task {
            id: id.clone(),
            assignment,
            polls_left: self.settings.task_polls,
            failure: self.settings.failures.pop_front(),
            status: TaskStatus::InProgress,
            started: now(),
            ended: None,
        };
        self.tasks.insert(id.clone(), task);
        if self.settings.task_polls == 0 {
            self.finish(&id);
        }
        self.tasks.get(&id)
    }

    /// One `GetTask` poll of task `id`: the task ends on its last poll.
    pub(super) fn poll(&mut self, id: &str) -> Option<&Task> {
        let task = self.tasks.get_mut(id)?;
        if task.status == TaskStatus::InProgress {
            task.polls_left = task.polls_left.saturating_sub(1);
            if task.polls_left == 0 {
                self.finish(id);
            }
        }
        self.tasks.get(id)
    }

    /// Ends task `id`: failed with its reason, or succeeded, the assignment gone (and, when it
    /// was the user's last, the delete lag armed).
    fn finish(&mut self, id: &str) {
        let lag = self.settings.lag;
        let Some(task) = self.tasks.get_mut(id) else {
            return;
        };
        task.ended = Some(now());
        if task.failure.is_some() {
            task.status = TaskStatus::Failed;
            return;
        }
        task.status = TaskStatus::Success;
        let a = task.assignment.clone();
        let before = self.assignments.len();
        self.assignments.retain(|_, b| {
            !(b.configuration_id == a.configuration_id
                && b.target_type == a.target_type
                && b.target_id == a.target_id
                && b.principal_type == a.principal_type
                && b.principal_id == a.principal_id)
        });
        let removed = self.assignments.len() < before;
        if removed
            && self.assignments_of(&a.principal_id).next().is_none()
            && let Some(user) = self.user_mut(&a.principal_id)
        {
            user.lag = lag;
        }
    }
}

impl Membership {
    pub(super) fn json(&self, user: &str, group_name: &str) -> Value {
        json!({
            "GroupId": self.group_id,
            "GroupName": group_name,
            "Description": "",
            "JoinTime": self.since,
            "ProvisionType": "Manual",
            "UserId": user,
        })
    }
}
