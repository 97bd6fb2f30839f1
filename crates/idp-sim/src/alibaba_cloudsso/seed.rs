//! What a test seeds: a user as CloudSSO keeps it ([`CloudSsoUser`]), and the old shorthand
//! of what blocks a delete ([`Blocker`]).

/// Why a CloudSSO user cannot be deleted yet: one of the three prerequisites of `DeleteUser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Blocker {
    /// The user has an MFA device: `DeletionConflict.User.MFADevice`.
    MfaDevice,
    /// The user is in a group: `DeletionConflict.User.Group`.
    Group,
    /// The user has access assignments: `DeletionConflict.User.AccessAssigment` (the vendor's
    /// spelling).
    AccessAssignment,
}

impl Blocker {
    /// The error code CloudSSO answers for this blocker.
    pub fn code(self) -> &'static str {
        match self {
            Blocker::MfaDevice => "DeletionConflict.User.MFADevice",
            Blocker::Group => "DeletionConflict.User.Group",
            Blocker::AccessAssignment => "DeletionConflict.User.AccessAssigment",
        }
    }

    pub(super) fn message(self) -> &'static str {
        match self {
            Blocker::MfaDevice => "The user still has MFA devices bound.",
            Blocker::Group => "The user is still a member of one or more groups.",
            Blocker::AccessAssignment => {
                "The user still has access assignments on accounts of the resource directory."
            }
        }
    }
}

/// A CloudSSO user to seed with [`AlibabaCloudSsoSim::seed`](crate::AlibabaCloudSsoSim::seed):
/// its names and states, and how many MFA devices, groups and direct access assignments it
/// has (each group and assignment is a new one, with generated ids).
///
/// ```
/// use idp_sim::CloudSsoUser;
///
/// let jane = CloudSsoUser::new("jane.doe")
///     .email("Jane.Doe@Example.COM")
///     .disabled()
///     .mfa_devices(2)
///     .groups(3)
///     .assignments(25);
/// # let _ = jane;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudSsoUser {
    pub(super) id: Option<String>,
    pub(super) user_name: String,
    pub(super) email: Option<String>,
    pub(super) display_name: Option<String>,
    pub(super) disabled: bool,
    pub(super) synchronized: bool,
    pub(super) mfa_devices: usize,
    pub(super) groups: usize,
    pub(super) assignments: usize,
}

impl CloudSsoUser {
    /// An enabled, manually created user (`ProvisionType=Manual`) named `user_name`, without
    /// an email, devices, groups or assignments; its id is generated (`u-` and 20 characters).
    pub fn new(user_name: impl Into<String>) -> CloudSsoUser {
        CloudSsoUser {
            id: None,
            user_name: user_name.into(),
            email: None,
            display_name: None,
            disabled: false,
            synchronized: false,
            mfa_devices: 0,
            groups: 0,
            assignments: 0,
        }
    }

    /// Uses `id` as the `UserId` (kept as given).
    pub fn id(mut self, id: impl Into<String>) -> CloudSsoUser {
        self.id = Some(id.into());
        self
    }

    /// The `Email`, stored as given (mixed case stays mixed).
    pub fn email(mut self, email: impl Into<String>) -> CloudSsoUser {
        self.email = Some(email.into());
        self
    }

    /// The `DisplayName` (by default the user name).
    pub fn display_name(mut self, name: impl Into<String>) -> CloudSsoUser {
        self.display_name = Some(name.into());
        self
    }

    /// `Status=Disabled`.
    pub fn disabled(mut self) -> CloudSsoUser {
        self.disabled = true;
        self
    }

    /// `ProvisionType=Synchronized` (created by SCIM, with an `ExternalId`).
    pub fn synchronized(mut self) -> CloudSsoUser {
        self.synchronized = true;
        self
    }

    /// `n` MFA devices (TOTP).
    pub fn mfa_devices(mut self, n: usize) -> CloudSsoUser {
        self.mfa_devices = n;
        self
    }

    /// Member of `n` new groups.
    pub fn groups(mut self, n: usize) -> CloudSsoUser {
        self.groups = n;
        self
    }

    /// `n` direct access assignments, each an access configuration on a member account.
    pub fn assignments(mut self, n: usize) -> CloudSsoUser {
        self.assignments = n;
        self
    }
}
