//! Alibaba Cloud CloudSSO (API version 2021-05-15, RPC style): the actions an offboarding
//! needs, behind both of Alibaba's request signatures (V3 `ACS3-HMAC-SHA256` and the
//! HMAC-SHA1 "V2"), verified by the simulator's own code.
//!
//! One job per file: `sign` (the signature algorithms), `auth` (credentials, the gateway's
//! checks, dates, nonces), `actions` (the route to a handler), `users`, `devices`, `groups`,
//! `assignments` (the handlers), `store` (the directory's state), `paging`, `reply` (answer
//! shapes), `seed` (what tests seed), `api` (the simulator's own methods).

mod actions;
mod api;
mod assignments;
mod auth;
mod devices;
mod groups;
mod paging;
mod reply;
mod seed;
mod sign;
mod store;
mod users;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;

use serde_json::json;

pub use seed::{Blocker, CloudSsoUser};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::fault::Fault;
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{lock, random_lower_alnum, upper_uuid};
use auth::{Auth, action_of};
use reply::{HOST_ID, error_body};
use store::Directory;

/// A strict simulator of Alibaba Cloud CloudSSO: users, their MFA devices, group memberships
/// and direct access assignments, and the calls that find, disable, clear and delete them.
///
/// **Requests.** The base URL (endpoint) is `http://127.0.0.1:{port}`; requests go to `/` as
/// `POST` (or `GET`), the parameters in the query and/or an
/// `application/x-www-form-urlencoded` body. A parameter given twice is refused
/// (`InvalidParameter`).
///
/// **Signature V3** (`ACS3-HMAC-SHA256`, what the client sends by default), verified by the
/// simulator's own canonical request, string to sign and HMAC-SHA256 (it reproduces Alibaba's
/// published vectors):
/// - `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,
///   Signature=<hex>` exactly (malformed → `IncompleteSignature`; another `ACS3-` algorithm →
///   `InvalidSignatureMethod`); an unknown key → HTTP 404 `InvalidAccessKeyId.NotFound`.
/// - `x-acs-action`, `x-acs-version: 2021-05-15`, `x-acs-date`, `x-acs-signature-nonce`,
///   `x-acs-content-sha256`, once each (`MissingParameter`).
/// - `SignedHeaders` must be `host`, `content-type` (when sent) and every `x-acs-*` header,
///   sorted (`IncompleteSignature`); `x-acs-content-sha256` must be the body's SHA-256
///   (`SignatureDoesNotMatch`); a wrong signature → `SignatureDoesNotMatch`, whose message
///   echoes the server's string to sign and canonical request (security token included) as
///   Alibaba's does: a client must not print it.
/// - STS ([`AlibabaCloudSsoSim::start_sts`]): `x-acs-security-token` and
///   `x-acs-accesskey-id`, signed with the rest.
///
/// **Signature V2** (HMAC-SHA1, `SignatureVersion=1.0`): the common parameters `Action`,
/// `Version=2021-05-15`, `Format=JSON`, `AccessKeyId`, `SignatureMethod=HMAC-SHA1`,
/// `SignatureVersion=1.0`, `SignatureNonce`, `Timestamp`, `Signature` (and `SecurityToken`
/// for STS), verified by the simulator's own string to sign and HMAC-SHA1; a wrong one →
/// `SignatureDoesNotMatch` echoing the string to sign. [`AlibabaCloudSsoSim::set_v3_only`]
/// makes the simulator a V3-only gateway that refuses every V2 request with HTTP 400
/// `UnsupportedSignatureVersion` "Specified API required signature version 3.0 or higher."
/// (the answer of Alibaba's gateway to an API that needs V3, as seen in aliyun/aliyun-cli
/// issue #1276; for CloudSSO NOT CONFIRMED).
///
/// **Both schemes**: the date (`x-acs-date` or `Timestamp`, `yyyy-MM-ddTHH:mm:ssZ`, else
/// `InvalidTimeStamp.Format`) within 15 minutes of now (`InvalidTimeStamp.Expired`); a nonce
/// seen before, in either scheme → `SignatureNonceUsed`; STS tokens: missing →
/// `MissingSecurityToken`, wrong → `InvalidSecurityToken.MismatchWithAccessKey`, after
/// [`AlibabaCloudSsoSim::expire_security_token`] → `InvalidSecurityToken.Expired`.
///
/// **Actions** (each needs the simulator's `DirectoryId`: `EntityNotExists.Directory`
/// otherwise; an unknown user → HTTP 404 `EntityNotExists.User`; a missing parameter →
/// `MissingParameter.<Name>`, a bad value → `InvalidParameter.<Name>`):
///
/// | action | parameters | answer |
/// |---|---|---|
/// | `ListUsers` | `Filter` (`UserName eq <v>` or `UserName sw <v>`, case-insensitive; anything else → `InvalidParameter.Filter`), `Status`, `ProvisionType`, `MaxResults` 1–100 (default 10), `NextToken` | `Users`, `IsTruncated`, `NextToken` (only when truncated), `MaxResults`, `TotalCounts` |
/// | `GetUser` | `UserId` | `User` |
/// | `UpdateUserStatus` | `UserId`, `NewStatus` (`Enabled`/`Disabled`) | |
/// | `ListMFADevicesForUser` | `UserId` | `MFADevices` (not paged), `TotalCounts` |
/// | `DeleteMFADeviceForUser` | `UserId`, `MFADeviceId` | unknown device → `EntityNotExists.MFADevice` |
/// | `ListJoinedGroupsForUser` | `UserId`, `MaxResults` 1–100, `NextToken` | `JoinedGroups`, paging fields |
/// | `RemoveUserFromGroup` | `GroupId`, `UserId` | not a member → `EntityNotExists.GroupMember` |
/// | `ListAccessAssignments` | `PrincipalType` and `PrincipalId` (both required), `AccessConfigurationId`, `TargetType`, `TargetId`, `MaxResults` 1–20, `NextToken` | `AccessAssignments`, paging fields |
/// | `DeleteAccessAssignment` | `AccessConfigurationId`, `TargetType`, `TargetId`, `PrincipalType`, `PrincipalId`, `DeprovisionStrategy` | `Task` (`InProgress`); unknown → `EntityNotExists.AccessAssignment` |
/// | `GetTask` | `TaskId` | `Task`: `InProgress` until its last poll ([`AlibabaCloudSsoSim::set_task_polls`]), then `Success` (the assignment is gone) or `Failed` with `FailureReason` ([`AlibabaCloudSsoSim::fail_next_tasks`]) |
/// | `GetSCIMSynchronizationStatus` | | `SCIMSynchronizationStatus` ([`AlibabaCloudSsoSim::set_scim_synchronization`]) |
/// | `DeleteUser` | `UserId` | HTTP 409 `DeletionConflict.User.MFADevice`, `.Group`, `.AccessAssigment` (sic) while any remains (checked in that order); a synchronised user while SCIM is on → `OperationNotSupported.SCIMSynchronizedUser`; [`AlibabaCloudSsoSim::set_assignment_lag`] more `AccessAssigment` after the last assignment task succeeded |
///
/// Success is HTTP 200 `{"RequestId", …}`; errors are
/// `{"RequestId","HostId","Code","Message","Recommend"}`; every answer has an
/// `x-acs-request-id` header.
///
/// **Seeding**: [`AlibabaCloudSsoSim::seed`] with a [`CloudSsoUser`] (names, email as given,
/// enabled or disabled, `Manual` or `Synchronized`, devices, groups, assignments);
/// [`Sim::add_person`] is an enabled `Manual` user with one MFA device, one group and one
/// access assignment, its `UserName` the email's local part; [`Sim::add_user`] a plain
/// enabled user. Generated user ids look like `u-00q8wbq42wiltcrk4mkb`.
///
/// **Variables** ([`Sim::env`]): `ALIBABA_CLOUD_ACCESS_KEY_ID`,
/// `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID`,
/// `ALIBABA_CLOUD_CLOUDSSO_ENDPOINT`, and `ALIBABA_CLOUD_SECURITY_TOKEN` with STS credentials:
/// the client's default (V3) works as is.
pub type AlibabaCloudSsoSim = Sim<AlibabaCloudSso>;

/// Alibaba Cloud CloudSSO's state and behaviour in a [`Sim`]: use [`AlibabaCloudSsoSim`].
pub struct AlibabaCloudSso {
    base_url: String,
    directory_id: String,
    auth: Auth,
    directory: Mutex<Directory>,
    /// Requests per action, as they arrived (faulted ones included).
    calls: Mutex<HashMap<String, usize>>,
}

impl fmt::Debug for AlibabaCloudSso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlibabaCloudSso")
            .field("directory_id", &self.directory_id)
            .field("sts", &self.auth.security_token().is_some())
            .field("users", &lock(&self.directory).user_count())
            .finish_non_exhaustive()
    }
}

impl AlibabaCloudSso {
    /// Fresh credentials (temporary STS ones when `sts`) for a server on `local`.
    fn new(local: SocketAddr, sts: bool) -> AlibabaCloudSso {
        AlibabaCloudSso {
            base_url: format!("http://{local}"),
            directory_id: format!("d-{}", random_lower_alnum(14)),
            auth: Auth::new(sts),
            directory: Mutex::new(Directory::new()),
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl Behaviour for AlibabaCloudSso {
    const NAME: &'static str = "alibaba-cloudsso";

    /// A long-term AccessKey pair.
    async fn create(local: SocketAddr) -> Created<AlibabaCloudSso> {
        Ok((AlibabaCloudSso::new(local, false), None))
    }

    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                self.auth.access_key_id.clone(),
            ),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                self.auth.access_key_secret.clone(),
            ),
            (
                "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
                self.directory_id.clone(),
            ),
            ("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT", self.base_url.clone()),
        ];
        if let Some(token) = self.auth.security_token() {
            env.push(("ALIBABA_CLOUD_SECURITY_TOKEN", token));
        }
        env
    }

    fn is_delete(&self, request: &Request) -> bool {
        action_of(request).as_deref() == Some("DeleteUser")
    }

    fn observe(&self, request: &Request) {
        let action = action_of(request).unwrap_or_default();
        *lock(&self.calls).entry(action).or_default() += 1;
    }

    fn handle(&self, request: &Request) -> Answer {
        match self.auth.check(request) {
            Ok(call) => actions::dispatch(&mut lock(&self.directory), &self.directory_id, &call),
            Err(answer) => answer,
        }
    }

    fn decorate(&self, answer: &mut Answer) {
        if !answer.has_header("x-acs-request-id") {
            answer
                .headers
                .push(("x-acs-request-id".to_owned(), upper_uuid()));
        }
    }

    fn throttle(&self, retry_after_secs: u64) -> Fault {
        let (request_id, body) = error_body(
            "Throttling.User",
            "Request was denied due to user flow control.",
        );
        let fault = Fault::status(400, body.to_string())
            .with_header("content-type", "application/json")
            .with_header("x-acs-request-id", request_id);
        if retry_after_secs > 0 {
            fault.with_header("retry-after", retry_after_secs.to_string())
        } else {
            fault
        }
    }

    fn sample_body(&self, status: u16) -> (String, &'static str) {
        let body = if (200..300).contains(&status) {
            json!({ "RequestId": upper_uuid() })
        } else {
            json!({
                "RequestId": upper_uuid(),
                "HostId": HOST_ID,
                "Code": "ServiceUnavailable",
                "Message": "The request has failed due to a temporary failure of the server.",
            })
        };
        (body.to_string(), "application/json")
    }

    fn add_user(&self, id: &str) -> String {
        let name = format!("user-{}", random_lower_alnum(8));
        let mut seed = CloudSsoUser::new(name.clone()).email(format!("{name}@example.com"));
        if !id.is_empty() {
            seed = seed.id(id);
        }
        lock(&self.directory).insert(&seed)
    }

    fn add_person(&self, email: &str) -> String {
        let local = email.split('@').next().unwrap_or(email);
        let seed = CloudSsoUser::new(local)
            .email(email)
            .mfa_devices(1)
            .groups(1)
            .assignments(1);
        lock(&self.directory).insert(&seed)
    }

    fn new_user(&self) -> String {
        self.add_user("")
    }

    fn has_user(&self, id: &str) -> bool {
        lock(&self.directory).user(id).is_some()
    }

    fn user_count(&self) -> usize {
        lock(&self.directory).user_count()
    }
}
