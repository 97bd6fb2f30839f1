//! RSA SecurID Cloud Access Service: the Cloud Administration REST API's User Details
//! lookup, User Status change and Delete User Now, with a self-signed RS256 JWT made from
//! the admin API key file.

mod auth;
mod store;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs1v15::VerifyingKey;
use rsa::sha2::Sha256;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Map, Value, json};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::error::SimError;
use crate::fault::Fault;
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, uuid};

use store::{Field, Matching, Store};
pub use store::{RsaIdentitySource, RsaUser};

/// The path of the admin REST API under the server.
const API_PATH: &str = "/AdminInterface/restapi";
/// The name of the key file in the simulator's temporary directory.
const KEY_FILE_NAME: &str = "rsa-cas-admin-api-key.json";
/// RSA's 400 for a status change whose body is not exactly one property.
const WRONG_NUMBER: &str = "Wrong number of properties in the request body.";
/// RSA's 400 for a lookup without either field.
const EITHER: &str = "Either email or username must be provided.";

/// The state of a user in Cloud Access Service, as one word (the older seeding API; see
/// [`RsaUser`] for every combination): only a disabled user can be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaUserState {
    /// Disabled: deletable (what [`RsaCasSim::add_user`] seeds).
    Disabled,
    /// Enabled: 409 "User is in enabled state."
    Enabled,
    /// Marked deleted (`markDeleted: true`): 409 "User is in pending deletion state."
    PendingDeletion,
    /// From a SCIM-managed identity source: 405.
    ScimManaged,
}

impl RsaUserState {
    /// The one word for a user's state: SCIM first (its delete gets 405 whatever else),
    /// then pending deletion, then the status.
    fn of(user: &RsaUser) -> RsaUserState {
        if user.identity_source.is_scim() {
            RsaUserState::ScimManaged
        } else if user.mark_deleted {
            RsaUserState::PendingDeletion
        } else if user.enabled {
            RsaUserState::Enabled
        } else {
            RsaUserState::Disabled
        }
    }

    /// Puts `user` in this state: status and `markDeleted`, and a SCIM source in or out.
    fn apply(self, user: &mut RsaUser) {
        let was_scim = user.identity_source.is_scim();
        user.enabled = matches!(self, RsaUserState::Enabled | RsaUserState::ScimManaged);
        user.mark_deleted = self == RsaUserState::PendingDeletion;
        if self == RsaUserState::ScimManaged {
            if !was_scim {
                user.identity_source = RsaIdentitySource::Scim;
            }
        } else if was_scim {
            user.identity_source = RsaIdentitySource::Local;
        }
    }
}

/// A strict simulator of RSA SecurID Cloud Access Service's Cloud Administration REST API:
/// User Details lookup, User Status, Delete User Now.
///
/// At start it generates a 2048-bit RSA key pair and writes an admin API key file
/// (`customerName`, `accessID`, `description`, `accessKey` as a PKCS#1 PEM private key,
/// `adminRestApiUrl`) into a temporary directory it removes when dropped.
///
/// - Base URL (the key file's `adminRestApiUrl`): `http://127.0.0.1:{port}/AdminInterface/restapi`.
/// - `Authorization: Bearer <JWT>` on every call: header `alg` must be `RS256` (`typ`, if
///   present, `JWT`), the signature must verify with the key file's public key, `sub` must
///   be the `accessID`, `aud` the `adminRestApiUrl` verbatim, `iat` and `exp` integers with
///   `exp - iat` ≤ 1 hour, `iat` not in the future and `exp` not past (60 s skew allowed).
///   Anything else: 403 in the Spring shape RSA's 403s have (`timestamp`, `status`,
///   `error`, `message` naming what was wrong, `path`).
/// - `POST …/v1/users/lookup` (`Content-Type: application/json`, else 415) with
///   `{"email": E}` or `{"username": U}` and optionally `"searchUnsynched": bool`; any
///   other property, both fields or neither → 400. Answers the one matching user's record
///   (`id`, `emailAddress`, `firstName`, `lastName`, `creationDate`, `identitySource`,
///   `userStatus`, `markDeleted`, `markDeletedAt`, `principalUsername`, …) or 404
///   `{"code":"404 NOT_FOUND","description":"User <E> not found"}`. The match ignores ASCII
///   case; [`RsaCasSim::set_fuzzy_lookup`] makes it answer near misses too.
/// - `PUT …/v1/users/{id}/userStatus` (JSON) with exactly one property,
///   `{"userStatus": "Enabled"|"Disabled"}`: 200 `{"id","userStatus"}`; another number of
///   properties → 400 "Wrong number of properties in the request body."; unknown → 404.
/// - `DELETE …/v1/users/{id}`: a SCIM-sourced user → 405; marked deleted → 409 "User is in
///   pending deletion state."; enabled → 409 "User is in enabled state."; disabled →
///   deleted, 200 `{}`; unknown → 404 `User <id> not found`.
/// - Errors are RSA's `{"code": "409 CONFLICT", "description": "…"}`.
/// - Seed with [`RsaCasSim::seed_user`] ([`RsaUser`]: email, username, names, status,
///   `markDeleted`, identity source); [`RsaCasSim::add_person`] seeds an enabled local
///   user, [`RsaCasSim::add_user`] a disabled one. Ids are any string.
/// - Variables ([`RsaCasSim::env`]): `RSA_CAS_KEY_FILE`, the path of the key file.
pub type RsaCasSim = Sim<RsaCas>;

/// RSA SecurID Cloud Access Service's state and behaviour in a [`Sim`]: use [`RsaCasSim`].
pub struct RsaCas {
    base_url: String,
    access_id: String,
    verifying_key: VerifyingKey<Sha256>,
    users: Mutex<Store>,
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

    /// Seeds `user` (replacing a user with the same id); returns its id (generated when
    /// `user.id` is empty).
    pub fn seed_user(&self, user: RsaUser) -> String {
        lock(&self.state().users).insert(user)
    }

    /// A user as stored now, if it exists.
    pub fn user(&self, id: &str) -> Option<RsaUser> {
        lock(&self.state().users).get(id).cloned()
    }

    /// The ids of every user whose `emailAddress` equals `email` (ASCII case ignored),
    /// oldest first: after a resynchronisation re-added someone, the new id is here.
    pub fn user_ids_with_email(&self, email: &str) -> Vec<String> {
        lock(&self.state().users).ids_with_email(email)
    }

    /// Seeds a user in `state` with a generated address; returns its id. An empty `id` gets
    /// a generated one.
    pub fn add_user_in_state(&self, id: &str, state: RsaUserState) -> String {
        let mut users = lock(&self.state().users);
        let mut user = RsaUser::new(&users.generated_email()).with_id(id);
        state.apply(&mut user);
        users.insert(user)
    }

    /// The state of a user, if it exists, as one word (SCIM first, then pending deletion,
    /// then the status).
    pub fn user_state(&self, id: &str) -> Option<RsaUserState> {
        lock(&self.state().users).get(id).map(RsaUserState::of)
    }

    /// Puts a user in `state` (status, `markDeleted`, and a SCIM source in or out of it);
    /// `false` when there is no such user.
    pub fn set_user_state(&self, id: &str, state: RsaUserState) -> bool {
        lock(&self.state().users).update(id, |user| state.apply(user))
    }

    /// Sets a user's `userStatus` (as an administrator or a directory sync would, behind the
    /// client's back); `false` when there is no such user.
    pub fn set_user_enabled(&self, id: &str, enabled: bool) -> bool {
        lock(&self.state().users).update(id, |user| user.enabled = enabled)
    }

    /// Sets a user's `markDeleted`; `false` when there is no such user.
    pub fn set_mark_deleted(&self, id: &str, mark_deleted: bool) -> bool {
        lock(&self.state().users).update(id, |user| user.mark_deleted = mark_deleted)
    }

    /// When on, the lookup answers a user whose address (or username) merely *contains* the
    /// query, case ignored — a server matching loosely, to prove the client compares the
    /// record itself. Off by default (equality, case ignored).
    pub fn set_fuzzy_lookup(&self, fuzzy: bool) {
        lock(&self.state().users).matching = if fuzzy {
            Matching::Fuzzy
        } else {
            Matching::Exact
        };
    }

    /// When on, deleting a user of a directory source re-adds it at once under a new id
    /// (enabled), as CAS's resynchronisation does while the person is still in the
    /// directory. Off by default.
    pub fn set_directory_resync(&self, resync: bool) {
        lock(&self.state().users).directory_resync = resync;
    }
}

/// An error in RSA's own shape.
fn rsa_error(status: u16, code: &str, description: &str) -> Answer {
    Answer::json(
        status,
        &json!({ "code": format!("{status} {code}"), "description": description }),
    )
}

fn bad_request(description: &str) -> Answer {
    rsa_error(400, "BAD_REQUEST", description)
}

/// RSA's own "no such user", naming what was asked for.
fn user_not_found(who: &str) -> Answer {
    rsa_error(404, "NOT_FOUND", &format!("User {who} not found"))
}

fn route_not_found() -> Answer {
    Answer::text(
        404,
        "text/html",
        "<!doctype html><html><body><h1>404 Not Found</h1></body></html>",
    )
}

/// The routes under `…/AdminInterface/restapi/v1/users`.
enum Route<'a> {
    Lookup,
    User(&'a str),
    UserStatus(&'a str),
    Unknown,
}

fn route(path: &str) -> Route<'_> {
    let Some(rest) = path
        .strip_prefix(API_PATH)
        .and_then(|p| p.strip_prefix("/v1/users/"))
    else {
        return Route::Unknown;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["lookup"] => Route::Lookup,
        [id] if !id.is_empty() => Route::User(id),
        [id, "userStatus"] if !id.is_empty() => Route::UserStatus(id),
        _ => Route::Unknown,
    }
}

/// The JSON object a lookup or status change carries (415 when not JSON, 400 when not an
/// object).
fn json_body(request: &Request) -> Result<Map<String, Value>, Answer> {
    let content_type = request.header("content-type").unwrap_or("");
    let is_json = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(rsa_error(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            &format!("Content type '{content_type}' not supported"),
        ));
    }
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_request("Malformed JSON request body.")),
    }
}

impl RsaCas {
    fn authenticate(&self, request: &Request) -> Result<(), Answer> {
        auth::authenticate(
            request,
            &auth::Expected {
                key: &self.verifying_key,
                access_id: &self.access_id,
                audience: &self.base_url,
            },
        )
    }

    /// `POST …/v1/users/lookup`: one user or RSA's not-found.
    fn lookup(&self, request: &Request) -> Answer {
        let body = match json_body(request) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        if let Some(other) = body
            .keys()
            .find(|k| !matches!(k.as_str(), "email" | "username" | "searchUnsynched"))
        {
            return bad_request(&format!(
                "Unrecognized property \"{other}\" in the request body."
            ));
        }
        if body.get("searchUnsynched").is_some_and(|v| !v.is_boolean()) {
            return bad_request("searchUnsynched must be a boolean.");
        }
        let text = |name: &str| match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.as_str())),
            Some(_) => Err(bad_request(&format!("{name} must be a non-empty string."))),
        };
        let (email, username) = match (text("email"), text("username")) {
            (Ok(email), Ok(username)) => (email, username),
            (Err(answer), _) | (_, Err(answer)) => return answer,
        };
        let (field, value) = match (email, username) {
            (Some(email), None) => (Field::Email, email),
            (None, Some(username)) => (Field::Username, username),
            (None, None) => return bad_request(EITHER),
            (Some(_), Some(_)) => {
                return bad_request("Provide either email or username, not both.");
            }
        };
        match lock(&self.users).lookup(field, value) {
            Some(record) => Answer::json(200, &record),
            None => user_not_found(value),
        }
    }

    /// `PUT …/v1/users/{id}/userStatus` with exactly `{"userStatus": …}`.
    fn user_status(&self, request: &Request, id: &str) -> Answer {
        let body = match json_body(request) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        if body.len() != 1 {
            return bad_request(WRONG_NUMBER);
        }
        let enabled = match body.get("userStatus").and_then(Value::as_str) {
            Some("Enabled") => true,
            Some("Disabled") => false,
            Some(_) => return bad_request("userStatus must be \"Enabled\" or \"Disabled\"."),
            None => return bad_request("The request body must carry userStatus."),
        };
        if lock(&self.users).update(id, |user| user.enabled = enabled) {
            let status = if enabled { "Enabled" } else { "Disabled" };
            Answer::json(200, &json!({ "id": id, "userStatus": status }))
        } else {
            user_not_found(id)
        }
    }

    /// `DELETE …/v1/users/{id}`: only a disabled, unmarked user outside SCIM is deleted.
    fn delete(&self, id: &str) -> Answer {
        let mut users = lock(&self.users);
        let Some(user) = users.get(id) else {
            return user_not_found(id);
        };
        if user.identity_source.is_scim() {
            return rsa_error(
                405,
                "METHOD_NOT_ALLOWED",
                "Method Not Allowed. The method you are using is not allowed for users in the \
                 SCIM Managed and Azure Active Directory (SCIM) identity sources.",
            );
        }
        if user.mark_deleted {
            return rsa_error(409, "CONFLICT", "User is in pending deletion state.");
        }
        if user.enabled {
            return rsa_error(409, "CONFLICT", "User is in enabled state.");
        }
        let resync = users.directory_resync;
        if let Some(gone) = users.remove(id)
            && resync
            && gone.identity_source == RsaIdentitySource::Directory
        {
            let mut back = gone.with_id("");
            back.enabled = true;
            users.insert(back);
        }
        Answer::json(200, &json!({}))
    }
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
        let mut builder = tempfile::Builder::new();
        builder.prefix("idp-sim-rsa-cas-");
        // Owner only: the folder holds a private key (a test key, but a key).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir().map_err(SimError::KeyFile)?;
        let key_file_path = dir.path().join(KEY_FILE_NAME);
        std::fs::write(&key_file_path, &key_file_json).map_err(SimError::KeyFile)?;

        let vendor = RsaCas {
            base_url,
            access_id,
            verifying_key: VerifyingKey::new(public),
            users: Mutex::new(Store::new()),
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
        request.method == "DELETE" && matches!(route(&request.path), Route::User(_))
    }

    fn handle(&self, request: &Request) -> Answer {
        let method = request.method.as_str();
        let allowed = match route(&request.path) {
            Route::Unknown => return route_not_found(),
            Route::Lookup => method == "POST",
            Route::User(_) => method == "DELETE",
            Route::UserStatus(_) => method == "PUT",
        };
        if !allowed {
            return rsa_error(
                405,
                "METHOD_NOT_ALLOWED",
                &format!("Request method '{method}' not supported"),
            );
        }
        if let Err(answer) = self.authenticate(request) {
            return answer;
        }
        match route(&request.path) {
            Route::Lookup => self.lookup(request),
            Route::User(segment) => match decode_segment(segment) {
                Some(id) => self.delete(&id),
                None => user_not_found(segment),
            },
            Route::UserStatus(segment) => match decode_segment(segment) {
                Some(id) => self.user_status(request, &id),
                None => user_not_found(segment),
            },
            Route::Unknown => route_not_found(),
        }
    }

    fn decorate(&self, answer: &mut Answer) {
        if !answer.has_header("x-request-id") {
            answer.headers.push(("x-request-id".to_owned(), uuid()));
        }
    }

    fn throttle(&self, retry_after_secs: u64) -> Fault {
        let body = json!({ "code": "429 TOO_MANY_REQUESTS", "description": "Too many requests." });
        let fault =
            Fault::status(429, body.to_string()).with_header("content-type", "application/json");
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
            json!({
                "code": "500 INTERNAL_SERVER_ERROR",
                "description": "An internal error occurred.",
            })
        };
        (body.to_string(), "application/json")
    }

    /// A disabled local user (deletable), with a generated address.
    fn add_user(&self, id: &str) -> String {
        let mut users = lock(&self.users);
        let user = RsaUser::new(&users.generated_email())
            .with_id(id)
            .disabled();
        users.insert(user)
    }

    /// An enabled local user with `email`: what an active employee is.
    fn add_person(&self, email: &str) -> String {
        lock(&self.users).insert(RsaUser::new(email))
    }

    fn new_user(&self) -> String {
        self.add_user("")
    }

    fn has_user(&self, id: &str) -> bool {
        lock(&self.users).contains(id)
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}
