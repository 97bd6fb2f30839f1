//! Who may call, and how a request proves it: the credentials (a long-term AccessKey pair or
//! STS ones), the checks of both signature schemes, dates and nonces. A request that passes
//! becomes a [`Call`]: an action and its parameters.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::actions::is_action;
use super::reply::{fail, missing};
use super::sign::{
    self, BadAuthorization, V3Request, parse_authorization, parse_timestamp, sha256_hex,
};
use crate::answer::Answer;
use crate::request::Request;
use crate::util::{lock, random_alnum};

/// The API version CloudSSO serves.
pub(super) const VERSION: &str = "2021-05-15";
/// How far a request's date may be from the simulator's clock, either way.
const DATE_TOLERANCE: Duration = Duration::from_secs(15 * 60);
/// How long a nonce is remembered.
const NONCE_MEMORY: Duration = Duration::from_secs(15 * 60);
/// The headers a V3 request must carry, once each.
const V3_HEADERS: [&str; 5] = [
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];
/// The common parameters a V2 request must carry.
const V2_PARAMS: [&str; 8] = [
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "Version",
    "Format",
    "Action",
];

/// The signature scheme a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    /// HMAC-SHA1, `SignatureVersion=1.0`.
    V2,
    /// `ACS3-HMAC-SHA256`.
    V3,
}

/// An authenticated request: the action and every parameter (query, then form body).
pub(super) struct Call {
    pub(super) action: String,
    pub(super) params: Vec<(String, String)>,
}

impl Call {
    /// A parameter's value, when given and not empty.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A parameter that must be given: `MissingParameter.<name>` otherwise.
    pub(super) fn require(&self, name: &str) -> Result<&str, Answer> {
        self.get(name)
            .ok_or_else(|| missing(&format!("MissingParameter.{name}"), name))
    }
}

struct Sts {
    token: String,
    expired: bool,
}

/// The credentials and what the gateway remembers.
pub(super) struct Auth {
    pub(super) access_key_id: String,
    pub(super) access_key_secret: String,
    sts: Option<Mutex<Sts>>,
    nonces: Mutex<HashMap<String, Instant>>,
    v3_only: AtomicBool,
}

/// The action named by a request, whichever scheme it used (`x-acs-action`, or `Action=`).
pub(super) fn action_of(request: &Request) -> Option<String> {
    request
        .header("x-acs-action")
        .map(str::to_owned)
        .or_else(|| {
            request
                .params()
                .into_iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v)
        })
}

fn incomplete() -> Answer {
    fail(
        400,
        "IncompleteSignature",
        "The request signature does not conform to Aliyun standards.",
    )
}

fn given_twice(name: &str) -> Answer {
    fail(
        400,
        "InvalidParameter",
        &format!("The parameter \"{name}\" is given more than once."),
    )
}

fn off_by(at: SystemTime, now: SystemTime) -> Duration {
    match at.duration_since(now) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    }
}

impl Auth {
    /// Fresh credentials: temporary STS ones when `sts`.
    pub(super) fn new(sts: bool) -> Auth {
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
        Auth {
            access_key_id,
            access_key_secret: random_alnum(30),
            sts,
            nonces: Mutex::new(HashMap::new()),
            v3_only: AtomicBool::new(false),
        }
    }

    pub(super) fn security_token(&self) -> Option<String> {
        self.sts.as_ref().map(|sts| lock(sts).token.clone())
    }

    pub(super) fn expire_security_token(&self) {
        if let Some(sts) = &self.sts {
            lock(sts).expired = true;
        }
    }

    pub(super) fn set_v3_only(&self, on: bool) {
        self.v3_only.store(on, Ordering::SeqCst);
    }

    /// Which scheme `request` uses: V3 when it has an `Authorization` or `x-acs-action`
    /// header, V2 otherwise.
    pub(super) fn scheme(request: &Request) -> Scheme {
        if request.header_count("authorization") > 0 || request.header_count("x-acs-action") > 0 {
            Scheme::V3
        } else {
            Scheme::V2
        }
    }

    /// Every check of the gateway, in its order; the call when they all pass.
    pub(super) fn check(&self, request: &Request) -> Result<Call, Answer> {
        if request.method != "GET" && request.method != "POST" {
            return Err(fail(
                405,
                "UnsupportedHTTPMethod",
                "This http method is not supported.",
            ));
        }
        if request.path != "/" {
            return Err(fail(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ));
        }
        let params = request.params();
        let mut seen = HashSet::new();
        if let Some((name, _)) = params.iter().find(|(name, _)| !seen.insert(name.as_str())) {
            return Err(given_twice(name));
        }
        match Auth::scheme(request) {
            Scheme::V3 => self.check_v3(request, params),
            Scheme::V2 if self.v3_only.load(Ordering::SeqCst) => Err(fail(
                400,
                "UnsupportedSignatureVersion",
                "Specified API required signature version 3.0 or higher.",
            )),
            Scheme::V2 => self.check_v2(request, params),
        }
    }

    fn check_version_and_action(version: &str, action: &str) -> Result<(), Answer> {
        if version != VERSION {
            return Err(fail(
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
            ));
        }
        if !is_action(action) {
            return Err(fail(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ));
        }
        Ok(())
    }

    fn check_date(text: &str) -> Result<(), Answer> {
        let Some(at) = parse_timestamp(text) else {
            return Err(fail(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            ));
        };
        if off_by(at, SystemTime::now()) > DATE_TOLERANCE {
            return Err(fail(
                400,
                "InvalidTimeStamp.Expired",
                "Specified time stamp or date value is expired.",
            ));
        }
        Ok(())
    }

    fn check_key(&self, access_key_id: &str) -> Result<(), Answer> {
        if access_key_id == self.access_key_id {
            Ok(())
        } else {
            Err(fail(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            ))
        }
    }

    /// The security token a request carried, against the credentials.
    fn check_token(&self, token: Option<&str>) -> Result<(), Answer> {
        let mismatch = || {
            fail(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            )
        };
        match (&self.sts, token) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(mismatch()),
            (Some(_), None) => Err(fail(
                400,
                "MissingSecurityToken",
                "SecurityToken is mandatory for this action.",
            )),
            (Some(sts), Some(token)) => {
                let sts = lock(sts);
                if token != sts.token {
                    Err(mismatch())
                } else if sts.expired {
                    Err(fail(
                        400,
                        "InvalidSecurityToken.Expired",
                        "Specified SecurityToken is expired.",
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Remembers `nonce`; refuses one seen within [`NONCE_MEMORY`], whichever scheme sent it.
    fn check_nonce(&self, nonce: &str) -> Result<(), Answer> {
        let key = format!("{}\n{nonce}", self.access_key_id);
        let mut nonces = lock(&self.nonces);
        let now = Instant::now();
        if nonces
            .get(&key)
            .is_some_and(|seen| now.duration_since(*seen) < NONCE_MEMORY)
        {
            return Err(fail(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        if nonces.len() % 4096 == 4095 {
            nonces.retain(|_, seen| now.duration_since(*seen) < NONCE_MEMORY);
        }
        nonces.insert(key, now);
        Ok(())
    }

    fn check_v2(&self, request: &Request, params: Vec<(String, String)>) -> Result<Call, Answer> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        if get("Signature").is_none() {
            return Err(incomplete());
        }
        if let Some(name) = V2_PARAMS.iter().find(|name| get(name).is_none()) {
            return Err(missing("MissingParameter", name));
        }
        let value = |name: &str| get(name).unwrap_or_default();
        Auth::check_version_and_action(value("Version"), value("Action"))?;
        if value("Format") != "JSON" {
            return Err(fail(
                400,
                "InvalidParameter.Format",
                "Specified parameter Format is not valid (this simulator answers JSON only).",
            ));
        }
        if value("SignatureMethod") != "HMAC-SHA1" {
            return Err(fail(
                400,
                "InvalidSignatureMethod",
                "Specified signature method is not supported.",
            ));
        }
        if value("SignatureVersion") != "1.0" {
            return Err(fail(
                400,
                "InvalidSignatureVersion",
                "Specified signature version is not supported.",
            ));
        }
        Auth::check_date(value("Timestamp"))?;
        self.check_key(value("AccessKeyId"))?;
        let text = sign::v2_string_to_sign(&request.method, &params);
        if value("Signature") != sign::v2_signature(&self.access_key_secret, &text) {
            return Err(fail(
                400,
                "SignatureDoesNotMatch",
                &format!(
                    "Specified signature is not matched with our calculation. server string to \
                     sign is:{text}"
                ),
            ));
        }
        self.check_token(get("SecurityToken"))?;
        self.check_nonce(value("SignatureNonce"))?;
        let action = value("Action").to_owned();
        Ok(Call { action, params })
    }

    fn check_v3(&self, request: &Request, params: Vec<(String, String)>) -> Result<Call, Answer> {
        if request.header_count("authorization") != 1 {
            return Err(incomplete());
        }
        let authorization = request.header("authorization").unwrap_or_default();
        let authorization = parse_authorization(authorization).map_err(|bad| match bad {
            BadAuthorization::OtherAlgorithm => fail(
                400,
                "InvalidSignatureMethod",
                "Specified signature method is not supported.",
            ),
            BadAuthorization::Malformed => incomplete(),
        })?;
        for name in V3_HEADERS {
            match request.header_count(name) {
                0 => return Err(missing("MissingParameter", name)),
                1 if request.header(name).is_some_and(|v| !v.trim().is_empty()) => {}
                1 => return Err(missing("MissingParameter", name)),
                _ => return Err(given_twice(name)),
            }
        }
        let header = |name: &str| request.header(name).unwrap_or_default().trim();
        Auth::check_version_and_action(header("x-acs-version"), header("x-acs-action"))?;
        Auth::check_date(header("x-acs-date"))?;
        self.check_key(authorization.credential)?;
        let payload_hash = header("x-acs-content-sha256");
        if payload_hash != sha256_hex(&request.body) {
            return Err(fail(
                400,
                "SignatureDoesNotMatch",
                "The x-acs-content-sha256 header is not the SHA-256 (lower-case hex) of the \
                 request body.",
            ));
        }
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let query: Vec<(String, String)> = request
            .query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let (canonical, names) = sign::v3_canonical_request(&V3Request {
            method: &request.method,
            path: &request.path,
            query: &query,
            headers: &headers,
            payload_hash,
        });
        if authorization.signed_headers != names {
            return Err(fail(
                400,
                "IncompleteSignature",
                &format!(
                    "The request signature does not conform to Aliyun standards: SignedHeaders \
                     must name host, content-type (when sent) and every x-acs-* header, in \
                     order: {names}"
                ),
            ));
        }
        let text = sign::v3_string_to_sign(&canonical);
        if authorization.signature != sign::v3_signature(&self.access_key_secret, &text) {
            return Err(fail(
                400,
                "SignatureDoesNotMatch",
                &format!(
                    "Specified signature is not matched with our calculation. server string to \
                     sign is:{text} canonical request is:{canonical}"
                ),
            ));
        }
        let token = request.header("x-acs-security-token");
        if token.is_some() {
            match request.header("x-acs-accesskey-id") {
                None => return Err(missing("MissingParameter", "x-acs-accesskey-id")),
                Some(id) if id.trim() != self.access_key_id => {
                    return Err(fail(
                        400,
                        "InvalidSecurityToken.MismatchWithAccessKey",
                        "Specified SecurityToken mismatch with the AccessKey.",
                    ));
                }
                Some(_) => {}
            }
        }
        self.check_token(token.map(str::trim))?;
        self.check_nonce(header("x-acs-signature-nonce"))?;
        let action = header("x-acs-action").to_owned();
        Ok(Call { action, params })
    }
}
