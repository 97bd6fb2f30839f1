//! RSA SecurID Cloud Access Service: `DELETE /AdminInterface/restapi/v1/users/{id}` with a
//! self-signed RS256 JWT made from the admin API key file.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::error::SimError;
use crate::fault::Fault;
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, uuid};

/// The path of the admin REST API under the server.
const API_PATH: &str = "/AdminInterface/restapi";
/// The longest JWT lifetime accepted (`exp - iat`).
const MAX_LIFETIME_SECS: u64 = 3600;
/// Clock skew allowed on `iat` and `exp`.
const SKEW_SECS: u64 = 60;
/// The name of the key file in the simulator's temporary directory.
const KEY_FILE_NAME: &str = "rsa-cas-admin-api-key.json";

/// The state of a user in Cloud Access Service: only a disabled user can be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaUserState {
    /// Disabled: deletable (what [`RsaCasSim::add_user`] seeds).
    Disabled,
    /// Enabled: 409 "User is in enabled state."
    Enabled,
    /// Being deleted: 409 "User is in pending deletion state."
    PendingDeletion,
    /// From a SCIM-managed (or Azure AD SCIM) identity source: 405.
    ScimManaged,
}

/// A strict simulator of RSA SecurID Cloud Access Service's delete-user API.
///
/// At start it generates a 2048-bit RSA key pair and writes an admin API key file
/// (`customerName`, `accessID`, `description`, `accessKey` as a PKCS#1 PEM private key,
/// `adminRestApiUrl`) into a temporary directory it removes when dropped.
///
/// - Base URL (the key file's `adminRestApiUrl`): `http://127.0.0.1:{port}/AdminInterface/restapi`;
///   route `DELETE /AdminInterface/restapi/v1/users/{id}`.
/// - `Authorization: Bearer <JWT>`: header `alg` must be `RS256` (`typ`, if present, `JWT`),
///   the signature must verify with the key file's public key, `sub` must be the `accessID`,
///   `aud` the `adminRestApiUrl` verbatim, `iat` and `exp` integers with
///   `exp - iat` ≤ 1 hour, `iat` not in the future and `exp` not past (60 s skew allowed).
///   Anything else: 403 with a `message` saying what was wrong.
/// - Users: disabled (deletable, 200), enabled or pending deletion (409 with the vendor's
///   reason), SCIM-managed (405); unknown: 404. Ids are any string.
/// - Variables ([`RsaCasSim::env`]): `RSA_CAS_KEY_FILE`, the path of the key file.
pub type RsaCasSim = Sim<RsaCas>;

/// RSA SecurID Cloud Access Service's state and behaviour in a [`Sim`]: use [`RsaCasSim`].
pub struct RsaCas {
    base_url: String,
    access_id: String,
    verifying_key: VerifyingKey<Sha256>,
    users: Mutex<HashMap<String, RsaUserState>>,
    /// Holds the private key: never shown.
    key_file_json: String,
    key_file_path: PathBuf,
}

impl fmt::Debug for RsaCas {
    // Not the key file's JSON: it holds a private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaCas")
            .field("access_id", &self.access_id)
            .field("key_file_path", &self.key_file_path)
            .field("users", &lock(&self.users).len())
            .finish_non_exhaustive()
    }
}

impl Sim<RsaCas> {
    /// The key file's JSON, as written.
    pub fn key_file_json(&self) -> &str {
        &self.state().key_file_json
    }

    /// Where the key file is (inside a temporary directory removed on drop).
    pub fn key_file_path(&self) -> &Path {
        &self.state().key_file_path
    }

    /// The key file's `accessID` (the JWT's expected `sub`).
    pub fn access_id(&self) -> &str {
        &self.state().access_id
    }

    /// Seeds a user in `state` (only [`RsaUserState::Disabled`] is deletable); returns its id.
    /// An empty `id` gets a generated one.
    pub fn add_user_in_state(&self, id: &str, state: RsaUserState) -> String {
        let id = if id.is_empty() { uuid() } else { id.to_owned() };
        lock(&self.state().users).insert(id.clone(), state);
        id
    }

    /// The state of a user, if it exists.
    pub fn user_state(&self, id: &str) -> Option<RsaUserState> {
        lock(&self.state().users).get(id).copied()
    }

    /// Changes a user's state; `false` when there is no such user.
    pub fn set_user_state(&self, id: &str, state: RsaUserState) -> bool {
        match lock(&self.state().users).get_mut(id) {
            Some(current) => {
                *current = state;
                true
            }
            None => false,
        }
    }
}

fn message(status: u16, text: &str) -> Answer {
    Answer::json(status, &json!({ "message": text }))
}

fn forbidden(why: &str) -> Answer {
    message(
        403,
        &format!("Not authorized to perform the request: {why}"),
    )
}

fn decode_part(part: &str, what: &str) -> Result<Vec<u8>, Answer> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| forbidden(&format!("the JWT {what} is not unpadded base64url")))
}

fn decode_json(part: &str, what: &str) -> Result<serde_json::Map<String, Value>, Answer> {
    let bytes = decode_part(part, what)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(forbidden(&format!("the JWT {what} is not a JSON object"))),
    }
}

impl RsaCas {
    /// Checks the bearer JWT; the error is the 403 answer.
    fn authenticate(&self, request: &Request) -> Result<(), Answer> {
        if request.header_count("authorization") > 1 {
            return Err(forbidden("more than one Authorization header"));
        }
        let Some(value) = request.header("authorization") else {
            return Err(forbidden("no Authorization header"));
        };
        let Some(jwt) = value.strip_prefix("Bearer ") else {
            return Err(forbidden(
                "the Authorization header is not \"Bearer <JWT>\"",
            ));
        };
        let parts: Vec<&str> = jwt.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(forbidden("the bearer token is not a JWT (three parts)"));
        };
        let header = decode_json(header, "header")?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(forbidden("the JWT header's alg is not RS256"));
        }
        if let Some(typ) = header.get("typ")
            && typ.as_str() != Some("JWT")
        {
            return Err(forbidden("the JWT header's typ is not JWT"));
        }
        let signature = decode_part(signature, "signature")?;
        let signature = Signature::try_from(signature.as_slice())
            .map_err(|_| forbidden("the JWT signature is malformed"))?;
        let signed = &jwt[..jwt.len() - parts[2].len() - 1];
        self.verifying_key
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| {
                forbidden("the JWT signature does not verify with the key file's public key")
            })?;

        let claims = decode_json(claims, "payload")?;
        if claims.get("sub").and_then(Value::as_str) != Some(self.access_id.as_str()) {
            return Err(forbidden("the JWT sub is not the key file's accessID"));
        }
        if claims.get("aud").and_then(Value::as_str) != Some(self.base_url.as_str()) {
            return Err(forbidden(
                "the JWT aud is not the key file's adminRestApiUrl, verbatim",
            ));
        }
        let (Some(iat), Some(exp)) = (
            claims.get("iat").and_then(Value::as_u64),
            claims.get("exp").and_then(Value::as_u64),
        ) else {
            return Err(forbidden(
                "the JWT iat and exp must be integers (Unix seconds)",
            ));
        };
        if exp <= iat || exp - iat > MAX_LIFETIME_SECS {
            return Err(forbidden(
                "the JWT lifetime (exp - iat) must be at most 1 hour",
            ));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if iat > now + SKEW_SECS {
            return Err(forbidden("the JWT iat is in the future"));
        }
        if exp + SKEW_SECS <= now {
            return Err(forbidden("the JWT has expired"));
        }
        Ok(())
    }
}

/// The user id segment of `/AdminInterface/restapi/v1/users/{id}`.
fn delete_route(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(API_PATH)?.strip_prefix("/v1/users/")?;
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

impl Behaviour for RsaCas {
    const NAME: &'static str = "rsa-cas";

    /// A fresh 2048-bit key pair, and the key file written into a new temporary directory.
    async fn create(local: SocketAddr) -> Created<RsaCas> {
        let private = tokio::task::spawn_blocking(|| {
            let mut rng = rsa::rand_core::OsRng;
            RsaPrivateKey::new(&mut rng, 2048)
        })
        .await
        .map_err(|e| SimError::Key(e.to_string()))?
        .map_err(|e| SimError::Key(e.to_string()))?;
        let pem = private
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| SimError::Key(e.to_string()))?;
        let public = RsaPublicKey::from(&private);

        let base_url = format!("http://{local}{API_PATH}");
        let access_id = uuid();
        let key_file_json = serde_json::to_string_pretty(&json!({
            "customerName": "idp-sim",
            "accessID": access_id,
            "description": "Admin API key of the idp-sim RSA SecurID CAS simulator",
            "accessKey": pem.as_str(),
            "adminRestApiUrl": base_url,
        }))
        .map_err(|e| SimError::Key(e.to_string()))?;
        let dir = tempfile::Builder::new()
            .prefix("idp-sim-rsa-cas-")
            .tempdir()
            .map_err(SimError::KeyFile)?;
        let key_file_path = dir.path().join(KEY_FILE_NAME);
        std::fs::write(&key_file_path, &key_file_json).map_err(SimError::KeyFile)?;

        let vendor = RsaCas {
            base_url,
            access_id,
            verifying_key: VerifyingKey::new(public),
            users: Mutex::new(HashMap::new()),
            key_file_json,
            key_file_path,
        };
        Ok((vendor, Some(dir)))
    }

    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![(
            "RSA_CAS_KEY_FILE",
            self.key_file_path.to_string_lossy().into_owned(),
        )]
    }

    fn is_delete(&self, request: &Request) -> bool {
        request.method == "DELETE" && delete_route(&request.path).is_some()
    }

    fn handle(&self, request: &Request) -> Answer {
        let Some(segment) = delete_route(&request.path) else {
            return Answer::text(
                404,
                "text/html",
                "<!doctype html><html><body><h1>404 Not Found</h1></body></html>",
            );
        };
        if request.method != "DELETE" {
            return message(405, "Method Not Allowed.");
        }
        if let Err(answer) = self.authenticate(request) {
            return answer;
        }
        let Some(id) = decode_segment(segment) else {
            return message(404, "User is not found.");
        };
        let mut users = lock(&self.users);
        match users.get(&id).copied() {
            None => message(404, "User is not found."),
            Some(RsaUserState::Disabled) => {
                users.remove(&id);
                Answer::json(200, &json!({}))
            }
            Some(RsaUserState::Enabled) => message(409, "User is in enabled state."),
            Some(RsaUserState::PendingDeletion) => {
                message(409, "User is in pending deletion state.")
            }
            Some(RsaUserState::ScimManaged) => message(
                405,
                "Method Not Allowed. The method you are using is not allowed for users in the \
                 SCIM Managed and Azure Active Directory (SCIM) identity sources.",
            ),
        }
    }

    fn decorate(&self, answer: &mut Answer) {
        if !answer.has_header("x-request-id") {
            answer.headers.push(("x-request-id".to_owned(), uuid()));
        }
    }

    fn throttle(&self, retry_after_secs: u64) -> Fault {
        let fault = Fault::status(429, json!({ "message": "Too many requests." }).to_string())
            .with_header("content-type", "application/json");
        if retry_after_secs > 0 {
            fault.with_header("retry-after", retry_after_secs.to_string())
        } else {
            fault
        }
    }

    fn sample_body(&self, status: u16) -> (String, &'static str) {
        let body = if (200..300).contains(&status) {
            json!({})
        } else {
            json!({ "message": "Internal error occurred when processing the request." })
        };
        (body.to_string(), "application/json")
    }

    fn add_user(&self, id: &str) -> String {
        if id.is_empty() {
            return self.new_user();
        }
        lock(&self.users).insert(id.to_owned(), RsaUserState::Disabled);
        id.to_owned()
    }

    fn add_person(&self, _email: &str) -> String {
        // Replaced by the vendor's offboarding seed (email, states, prerequisites).
        self.new_user()
    }

    fn new_user(&self) -> String {
        self.add_user(&uuid())
    }

    fn has_user(&self, id: &str) -> bool {
        lock(&self.users).contains_key(id)
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}
