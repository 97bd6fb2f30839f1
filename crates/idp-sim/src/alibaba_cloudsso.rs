//! Alibaba Cloud CloudSSO: the RPC action `DeleteUser` (version 2021-05-15), signed with
//! HMAC-SHA1 (`SignatureVersion=1.0`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use sha1::{Digest, Sha1};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::error::SimError;
use crate::fault::Fault;
use crate::request::Request;
use crate::server::LOOPBACK;
use crate::sim::Sim;
use crate::util::{lock, random_alnum, random_lower_alnum, upper_uuid};

const VERSION: &str = "2021-05-15";
const ACTION: &str = "DeleteUser";
const HOST_ID: &str = "cloudsso.cn-shanghai.aliyuncs.com";
/// How far a request's `Timestamp` may be from the simulator's clock.
const TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(15 * 60);
/// How long a `SignatureNonce` is remembered.
const NONCE_MEMORY: Duration = Duration::from_secs(15 * 60);

/// Why a CloudSSO user cannot be deleted yet.
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

    fn message(self) -> &'static str {
        match self {
            Blocker::MfaDevice => "The user still has MFA devices bound.",
            Blocker::Group => "The user is still a member of one or more groups.",
            Blocker::AccessAssignment => {
                "The user still has access assignments on accounts of the resource directory."
            }
        }
    }
}

/// A strict simulator of Alibaba Cloud CloudSSO's `DeleteUser` RPC action.
///
/// - Base URL (endpoint) `http://127.0.0.1:{port}`; requests go to `/` as `GET` with the
///   parameters in the query, or `POST` with them in the query and/or an
///   `application/x-www-form-urlencoded` body. The signature covers the method used.
/// - Common parameters required: `Action=DeleteUser`, `Version=2021-05-15`, `Format=JSON`,
///   `AccessKeyId`, `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`, `SignatureNonce`,
///   `Timestamp` (`yyyy-MM-ddTHH:mm:ssZ`, within 15 minutes of now, else
///   `InvalidTimeStamp.Expired`) and `Signature`, verified by the simulator's own
///   implementation of the RPC signature (`SignatureDoesNotMatch`, whose message echoes the
///   server's string to sign as Alibaba's does). A nonce seen before gets
///   `SignatureNonceUsed`. A parameter given twice is refused.
/// - Started with [`AlibabaCloudSsoSim::start_sts`], the credentials are temporary (STS):
///   `SecurityToken` is then required and checked.
/// - `DirectoryId` must be the simulator's (`EntityNotExists.Directory`); an unknown `UserId`
///   gets `EntityNotExists.User`; a user with [`Blocker`]s gets the matching
///   `DeletionConflict.User.*` code (HTTP 409). Success is `{"RequestId"}`.
/// - Every answer has a `RequestId` in its body and an `x-acs-request-id` header; errors are
///   `{"RequestId","HostId","Code","Message","Recommend"}`.
/// - User ids are any string; generated ones look like `u-00q8wbq42wiltcrk4mkb`.
/// - Variables ([`AlibabaCloudSsoSim::env`]): `ALIBABA_CLOUD_ACCESS_KEY_ID`,
///   `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID`,
///   `ALIBABA_CLOUD_CLOUDSSO_ENDPOINT`, and `ALIBABA_CLOUD_SECURITY_TOKEN` when started with
///   STS credentials.
pub type AlibabaCloudSsoSim = Sim<AlibabaCloudSso>;

struct Sts {
    token: String,
    expired: bool,
}

/// Alibaba Cloud CloudSSO's state and behaviour in a [`Sim`]: use [`AlibabaCloudSsoSim`].
pub struct AlibabaCloudSso {
    base_url: String,
    access_key_id: String,
    access_key_secret: String,
    directory_id: String,
    sts: Option<Mutex<Sts>>,
    users: Mutex<HashMap<String, Vec<Blocker>>>,
    nonces: Mutex<HashMap<String, Instant>>,
}

impl fmt::Debug for AlibabaCloudSso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlibabaCloudSso")
            .field("directory_id", &self.directory_id)
            .field("sts", &self.sts.is_some())
            .field("users", &lock(&self.users).len())
            .finish_non_exhaustive()
    }
}

impl AlibabaCloudSso {
    /// Fresh credentials (temporary STS ones when `sts`) for a server on `local`.
    fn new(local: SocketAddr, sts: bool) -> AlibabaCloudSso {
        let (access_key_id, sts) = if sts {
            // Real STS tokens are long base64 text, with `+`, `/` and `=` in them.
            let mut raw = vec![0u8; 240];
            raw.iter_mut().for_each(|b| *b = fastrand::u8(..));
            let token = format!("CAIS{}", BASE64.encode(&raw));
            (
                format!("STS.NT{}", random_alnum(22)),
                Some(Mutex::new(Sts {
                    token,
                    expired: false,
                })),
            )
        } else {
            (format!("LTAI5t{}", random_alnum(18)), None)
        };
        AlibabaCloudSso {
            base_url: format!("http://{local}"),
            access_key_id,
            access_key_secret: random_alnum(30),
            directory_id: format!("d-{}", random_lower_alnum(14)),
            sts,
            users: Mutex::new(HashMap::new()),
            nonces: Mutex::new(HashMap::new()),
        }
    }
}

impl Sim<AlibabaCloudSso> {
    /// Starts on a free loopback port with temporary STS credentials: every request must
    /// carry the `SecurityToken` (given in `ALIBABA_CLOUD_SECURITY_TOKEN`).
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
        &self.state().access_key_id
    }

    /// The AccessKey secret.
    pub fn access_key_secret(&self) -> &str {
        &self.state().access_key_secret
    }

    /// The STS security token, when started with [`AlibabaCloudSsoSim::start_sts`].
    pub fn security_token(&self) -> Option<String> {
        self.state().sts.as_ref().map(|sts| lock(sts).token.clone())
    }

    /// The directory id.
    pub fn directory_id(&self) -> &str {
        &self.state().directory_id
    }

    /// Makes the STS security token expired (`InvalidSecurityToken.Expired`); no effect
    /// without STS credentials.
    pub fn expire_security_token(&self) {
        if let Some(sts) = &self.state().sts {
            lock(sts).expired = true;
        }
    }

    /// Seeds a user that cannot be deleted until its `blockers` are cleared; returns its id.
    /// The first blocker decides the error code.
    /// An empty `id` gets a generated one.
    pub fn add_user_with_blockers(&self, id: &str, blockers: &[Blocker]) -> String {
        let id = if id.is_empty() {
            format!("u-{}", random_lower_alnum(20))
        } else {
            id.to_owned()
        };
        lock(&self.state().users).insert(id.clone(), blockers.to_vec());
        id
    }

    /// Removes a user's blockers (it becomes deletable); `false` when there is no such user.
    pub fn clear_blockers(&self, id: &str) -> bool {
        match lock(&self.state().users).get_mut(id) {
            Some(blockers) => {
                blockers.clear();
                true
            }
            None => false,
        }
    }
}

/// RFC 3986 percent-encoding: only `A-Z a-z 0-9 - _ . ~` stay; hex digits upper case.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// HMAC (RFC 2104) over SHA-1, written out rather than taken from a MAC crate so that the
/// check does not share code with the client it checks.
fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let digest = Sha1::digest(key);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner_pad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_pad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let mut inner = Sha1::new();
    inner.update(&inner_pad);
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha1::new();
    outer.update(&outer_pad);
    outer.update(inner);
    outer.finalize().to_vec()
}

/// The string to sign for `method` and the request's parameters (without `Signature`).
fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let canonical = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&{}&{}", encode("/"), encode(&canonical))
}

/// The signature Alibaba expects.
fn signature(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(hmac_sha1(
        format!("{secret}&").as_bytes(),
        string_to_sign.as_bytes(),
    ))
}

/// `yyyy-MM-ddTHH:mm:ssZ`, exactly.
fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 20
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    humantime::parse_rfc3339(text).ok()
}

impl AlibabaCloudSso {
    fn error(&self, status: u16, code: &str, message: &str) -> Answer {
        let request_id = upper_uuid();
        Answer::json(
            status,
            &json!({
                "RequestId": request_id,
                "HostId": HOST_ID,
                "Code": code,
                "Message": message,
                "Recommend": format!(
                    "https://api.aliyun.com/troubleshoot?q={code}&product=cloudsso&requestId={request_id}"
                ),
            }),
        )
        .header("x-acs-request-id", request_id)
    }

    fn check(&self, request: &Request) -> Result<(), Answer> {
        if request.method != "GET" && request.method != "POST" {
            return Err(self.error(
                405,
                "UnsupportedHTTPMethod",
                "This http method is not supported.",
            ));
        }
        if request.path != "/" {
            return Err(self.error(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ));
        }
        let params = request.params();
        let mut seen = HashSet::new();
        for (name, _) in &params {
            if !seen.insert(name.as_str()) {
                return Err(self.error(
                    400,
                    "InvalidParameter",
                    &format!("The parameter \"{name}\" is given more than once."),
                ));
            }
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if get("Signature").is_none_or(str::is_empty) {
            return Err(self.error(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            ));
        }
        for name in [
            "AccessKeyId",
            "SignatureMethod",
            "SignatureVersion",
            "SignatureNonce",
            "Timestamp",
            "Version",
            "Format",
            "Action",
        ] {
            if get(name).is_none_or(str::is_empty) {
                return Err(self.error(
                    400,
                    "MissingParameter",
                    &format!(
                        "The input parameter \"{name}\" that is mandatory for processing this \
                         request is not supplied."
                    ),
                ));
            }
        }
        let value = |name: &str| get(name).unwrap_or_default();
        if value("Version") != VERSION {
            return Err(self.error(
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
            ));
        }
        if value("Action") != ACTION {
            return Err(self.error(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ));
        }
        if value("Format") != "JSON" {
            return Err(self.error(
                400,
                "InvalidParameter.Format",
                "Specified parameter Format is not valid (this simulator answers JSON only).",
            ));
        }
        if value("SignatureMethod") != "HMAC-SHA1" {
            return Err(self.error(
                400,
                "InvalidSignatureMethod",
                "Specified signature method is not supported.",
            ));
        }
        if value("SignatureVersion") != "1.0" {
            return Err(self.error(
                400,
                "InvalidSignatureVersion",
                "Specified signature version is not supported.",
            ));
        }
        let Some(timestamp) = parse_timestamp(value("Timestamp")) else {
            return Err(self.error(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            ));
        };
        let now = SystemTime::now();
        let off = match timestamp.duration_since(now) {
            Ok(ahead) => ahead,
            Err(behind) => behind.duration(),
        };
        if off > TIMESTAMP_TOLERANCE {
            return Err(self.error(
                400,
                "InvalidTimeStamp.Expired",
                "Specified time stamp or date value is expired.",
            ));
        }
        if value("AccessKeyId") != self.access_key_id {
            return Err(self.error(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            ));
        }
        let text = string_to_sign(&request.method, &params);
        if value("Signature") != signature(&self.access_key_secret, &text) {
            return Err(self.error(
                400,
                "SignatureDoesNotMatch",
                &format!(
                    "Specified signature is not matched with our calculation. server string to \
                     sign is:{text}"
                ),
            ));
        }
        match (&self.sts, get("SecurityToken")) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(self.error(
                    400,
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatch with the AccessKey.",
                ));
            }
            (Some(_), None) => {
                return Err(self.error(
                    400,
                    "MissingSecurityToken",
                    "SecurityToken is mandatory for this action.",
                ));
            }
            (Some(sts), Some(token)) => {
                let sts = lock(sts);
                if token != sts.token {
                    return Err(self.error(
                        400,
                        "InvalidSecurityToken.MismatchWithAccessKey",
                        "Specified SecurityToken mismatch with the AccessKey.",
                    ));
                }
                if sts.expired {
                    return Err(self.error(
                        400,
                        "InvalidSecurityToken.Expired",
                        "Specified SecurityToken is expired.",
                    ));
                }
            }
        }
        let nonce = format!("{}\n{}", self.access_key_id, value("SignatureNonce"));
        {
            let mut nonces = lock(&self.nonces);
            let now = Instant::now();
            if nonces
                .get(&nonce)
                .is_some_and(|seen| now.duration_since(*seen) < NONCE_MEMORY)
            {
                return Err(self.error(
                    400,
                    "SignatureNonceUsed",
                    "Specified signature nonce was used already.",
                ));
            }
            if nonces.len() % 4096 == 4095 {
                nonces.retain(|_, seen| now.duration_since(*seen) < NONCE_MEMORY);
            }
            nonces.insert(nonce, now);
        }
        Ok(())
    }

    fn delete(&self, request: &Request) -> Answer {
        let params = request.params();
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let Some(directory) = get("DirectoryId") else {
            return self.error(
                400,
                "MissingParameter.DirectoryId",
                "The input parameter \"DirectoryId\" that is mandatory for processing this \
                 request is not supplied.",
            );
        };
        if directory != self.directory_id {
            return self.error(
                404,
                "EntityNotExists.Directory",
                "The specified directory does not exist.",
            );
        }
        let Some(user) = get("UserId") else {
            return self.error(
                400,
                "MissingParameter.UserId",
                "The input parameter \"UserId\" that is mandatory for processing this request \
                 is not supplied.",
            );
        };
        let mut users = lock(&self.users);
        match users.get(user) {
            None => self.error(
                404,
                "EntityNotExists.User",
                "The specified user does not exist.",
            ),
            Some(blockers) if !blockers.is_empty() => {
                let blocker = blockers[0];
                self.error(409, blocker.code(), blocker.message())
            }
            Some(_) => {
                users.remove(user);
                let request_id = upper_uuid();
                Answer::json(200, &json!({ "RequestId": request_id }))
                    .header("x-acs-request-id", request_id)
            }
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
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", self.access_key_id.clone()),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                self.access_key_secret.clone(),
            ),
            (
                "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
                self.directory_id.clone(),
            ),
            ("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT", self.base_url.clone()),
        ];
        if let Some(sts) = &self.sts {
            env.push(("ALIBABA_CLOUD_SECURITY_TOKEN", lock(sts).token.clone()));
        }
        env
    }

    fn is_delete(&self, request: &Request) -> bool {
        request
            .params()
            .iter()
            .any(|(k, v)| k == "Action" && v == ACTION)
    }

    fn handle(&self, request: &Request) -> Answer {
        match self.check(request) {
            Ok(()) => self.delete(request),
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
        let request_id = upper_uuid();
        let fault = Fault::status(
            400,
            json!({
                "RequestId": request_id,
                "HostId": HOST_ID,
                "Code": "Throttling.User",
                "Message": "Request was denied due to user flow control.",
                "Recommend": format!(
                    "https://api.aliyun.com/troubleshoot?q=Throttling.User&product=cloudsso&requestId={request_id}"
                ),
            })
            .to_string(),
        )
        .with_header("content-type", "application/json")
        .with_header("x-acs-request-id", request_id);
        if retry_after_secs > 0 {
            fault.with_header("retry-after", retry_after_secs.to_string())
        } else {
            fault
        }
    }

    fn sample_body(&self, status: u16) -> (String, &'static str) {
        let request_id = upper_uuid();
        let body = if (200..300).contains(&status) {
            json!({ "RequestId": request_id })
        } else {
            json!({
                "RequestId": request_id,
                "HostId": HOST_ID,
                "Code": "ServiceUnavailable",
                "Message": "The request has failed due to a temporary failure of the server.",
            })
        };
        (body.to_string(), "application/json")
    }

    fn add_user(&self, id: &str) -> String {
        if id.is_empty() {
            return self.new_user();
        }
        lock(&self.users).insert(id.to_owned(), Vec::new());
        id.to_owned()
    }

    fn add_person(&self, _email: &str) -> String {
        // Replaced by the vendor's offboarding seed (email, states, prerequisites).
        self.new_user()
    }

    fn new_user(&self) -> String {
        self.add_user(&format!("u-{}", random_lower_alnum(20)))
    }

    fn has_user(&self, id: &str) -> bool {
        lock(&self.users).contains_key(id)
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn documented_vector() {
        let params = owned(&[
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Version", "2014-05-26"),
            ("Signature", "ignored"),
        ]);
        let text = string_to_sign("GET", &params);
        assert_eq!(
            signature("testsecret", &text),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn hmac_matches_rfc_2202() {
        // RFC 2202 test case 2, and case 6 (a key longer than the block).
        let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
        let mac = hmac_sha1(
            &[0xaa; 80],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
    }

    #[test]
    fn encoding_and_timestamps() {
        assert_eq!(encode("a b*c~d/é+="), "a%20b%2Ac~d%2F%C3%A9%2B%3D");
        assert!(parse_timestamp("2016-02-23T12:46:24Z").is_some());
        for bad in [
            "2016-02-23T12:46:24",
            "2016-02-23 12:46:24Z",
            "2016-02-23T12:46:24.000Z",
            "2016-02-23T12:46:24+00:00",
            "2016-13-23T12:46:24Z",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }
}
