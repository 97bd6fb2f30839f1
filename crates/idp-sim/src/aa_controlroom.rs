//! Automation Anywhere Control Room: `POST /v1/authentication` and
//! `DELETE /v1/usermanagement/users/{id}` (and the same under `/v2`).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::fault::Fault;
use crate::ids::{IntUsers, parse_id};
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, random_alnum, random_hex, rfc3339_seconds, uuid};

/// About what a Control Room gives a token.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(20 * 60);

/// A strict simulator of an Automation Anywhere Control Room's authentication and
/// delete-user APIs.
///
/// - Base URL `http://127.0.0.1:{port}` (the Control Room URL); every route exists under
///   `/v1` and `/v2`.
/// - `POST /v1/authentication` with `Content-Type: application/json` and
///   `{"username","password"}` or `{"username","apiKey"}` answers `{"token","user"}`. A
///   password login invalidates that user's earlier password tokens (API-key tokens stay
///   valid), as the Control Room does. `POST …/authentication/token` (`{"token"}`) renews a
///   token; `POST …/authentication/logout` (`{"token"}`) ends it with 204.
/// - `DELETE /v1/usermanagement/users/{id}` needs the token in `X-Authorization` (missing:
///   401 `UM1117`, as documented; unknown or expired: 401). Tokens live 20 minutes unless
///   [`AaControlRoomSim::set_token_lifetime`] says otherwise, and
///   [`AaControlRoomSim::expire_tokens`] ends them all at once.
/// - 200 answers carry the deleted user's record, shaped as documented; errors are
///   `{"code","details","message"}`; a user seeded with
///   [`AaControlRoomSim::add_user_in_use`] gets 409.
/// - [`AaControlRoomSim::add_user`] uses the argument as the id when it is a free positive
///   integer; otherwise it assigns the next free id and uses the argument as the username.
/// - Variables ([`AaControlRoomSim::env`]): `AA_CONTROL_ROOM_URL`, `AA_USERNAME` and
///   `AA_API_KEY` (API-key login); [`AaControlRoomSim::env_password`] the password login's.
pub type AaControlRoomSim = Sim<AaControlRoom>;

struct AaUser {
    username: String,
    in_use: bool,
    created: SystemTime,
}

struct TokenInfo {
    issued: Instant,
    username: String,
    by_password: bool,
}

struct Tokens {
    valid: HashMap<String, TokenInfo>,
    lifetime: Duration,
}

/// An Automation Anywhere Control Room's state and behaviour in a [`Sim`]: use
/// [`AaControlRoomSim`].
pub struct AaControlRoom {
    base_url: String,
    username: String,
    password: String,
    api_key: String,
    users: Mutex<IntUsers<AaUser>>,
    tokens: Mutex<Tokens>,
    logins: AtomicUsize,
    tokens_issued: AtomicUsize,
}

impl fmt::Debug for AaControlRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AaControlRoom")
            .field("username", &self.username)
            .field("users", &lock(&self.users).len())
            .finish_non_exhaustive()
    }
}

impl Sim<AaControlRoom> {
    /// `AA_CONTROL_ROOM_URL`, `AA_USERNAME` and `AA_PASSWORD` (password login).
    pub fn env_password(&self) -> Vec<(&'static str, String)> {
        let v = self.state();
        vec![
            ("AA_CONTROL_ROOM_URL", v.base_url.clone()),
            ("AA_USERNAME", v.username.clone()),
            ("AA_PASSWORD", v.password.clone()),
        ]
    }

    /// [`AaControlRoomSim::env_password`] as a lookup function.
    pub fn lookup_password(
        &self,
    ) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
        crate::util::lookup_in(self.env_password())
    }

    /// The username that may log in.
    pub fn username(&self) -> &str {
        &self.state().username
    }

    /// Its password.
    pub fn password(&self) -> &str {
        &self.state().password
    }

    /// Its API key.
    pub fn api_key(&self) -> &str {
        &self.state().api_key
    }

    /// Seeds a user that exists but cannot be deleted (409 Conflict); returns its id.
    pub fn add_user_in_use(&self, id: &str) -> String {
        self.state().insert_user(id, true)
    }

    /// Marks a user as in use (409 on delete) or not; `false` when there is no such user.
    pub fn set_user_in_use(&self, id: &str, in_use: bool) -> bool {
        let Some(id) = parse_id(id) else {
            return false;
        };
        match lock(&self.state().users).get_mut(id) {
            Some(user) => {
                user.in_use = in_use;
                true
            }
            None => false,
        }
    }

    /// Makes every token issued so far invalid: the next delete with one gets 401.
    pub fn expire_tokens(&self) {
        lock(&self.state().tokens).valid.clear();
    }

    /// Sets how long tokens stay valid after they are issued (default 20 minutes).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.state().tokens).lifetime = lifetime;
    }

    /// How many login requests arrived (refused and faulted ones included).
    pub fn logins(&self) -> usize {
        self.state().logins.load(Ordering::Relaxed)
    }

    /// The same as [`AaControlRoomSim::logins`] (a login is the token request).
    pub fn token_requests(&self) -> usize {
        self.logins()
    }

    /// How many tokens were issued (logins and renewals).
    pub fn tokens_issued(&self) -> usize {
        self.state().tokens_issued.load(Ordering::Relaxed)
    }
}

fn error(status: u16, code: &str, details: Value, message: &str) -> Answer {
    Answer::json(
        status,
        &json!({ "code": code, "details": details, "message": message }),
    )
}

fn not_found_page() -> Answer {
    Answer::text(
        404,
        "text/html",
        "<!doctype html><html><body><h1>HTTP Status 404 – Not Found</h1></body></html>",
    )
}

fn is_json(request: &Request) -> bool {
    request
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"))
}

fn jwt_like() -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS512"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({ "sub": "1", "clientType": "WEB", "tenantUuid": uuid(), "nonce": random_hex(16) })
            .to_string(),
    );
    format!("{header}.{claims}.{}", random_alnum(86))
}

/// A route: the API generation, then the path after it.
enum Route<'a> {
    Login,
    Renew,
    Logout,
    Delete(&'a str),
    Unknown,
}

fn route(path: &str) -> Route<'_> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["", "v1" | "v2", "authentication"] => Route::Login,
        ["", "v1" | "v2", "authentication", "token"] => Route::Renew,
        ["", "v1" | "v2", "authentication", "logout"] => Route::Logout,
        ["", "v1" | "v2", "usermanagement", "users", id] if !id.is_empty() => Route::Delete(id),
        _ => Route::Unknown,
    }
}

impl AaControlRoom {
    fn insert_user(&self, wanted: &str, in_use: bool) -> String {
        let mut users = lock(&self.users);
        let id = users.assign(wanted);
        let username = if parse_id(wanted).is_some() || wanted.trim().is_empty() {
            format!("user{id}")
        } else {
            wanted.to_owned()
        };
        users.insert(
            id,
            AaUser {
                username,
                in_use,
                created: SystemTime::now(),
            },
        );
        id.to_string()
    }

    fn issue(&self, username: &str, by_password: bool) -> String {
        let token = jwt_like();
        let mut tokens = lock(&self.tokens);
        if by_password {
            // A password login ends that user's earlier password sessions.
            tokens
                .valid
                .retain(|_, info| !(info.by_password && info.username == username));
        }
        tokens.valid.insert(
            token.clone(),
            TokenInfo {
                issued: Instant::now(),
                username: username.to_owned(),
                by_password,
            },
        );
        self.tokens_issued.fetch_add(1, Ordering::Relaxed);
        token
    }

    fn token_valid(&self, token: &str) -> bool {
        let tokens = lock(&self.tokens);
        let lifetime = tokens.lifetime;
        tokens
            .valid
            .get(token)
            .is_some_and(|info| info.issued.elapsed() < lifetime)
    }

    fn body_json(request: &Request) -> Result<serde_json::Map<String, Value>, Answer> {
        if !is_json(request) {
            return Err(error(
                415,
                "UM1000",
                Value::Null,
                "Content type must be application/json",
            ));
        }
        match serde_json::from_slice::<Value>(&request.body) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(error(
                400,
                "UM1000",
                Value::Null,
                "The request body is not valid JSON",
            )),
        }
    }

    fn login(&self, request: &Request) -> Answer {
        let body = match AaControlRoom::body_json(request) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let text = |name: &str| body.get(name).and_then(Value::as_str);
        let Some(username) = text("username").filter(|u| !u.is_empty()) else {
            return error(400, "UM1101", Value::Null, "Username is required");
        };
        let by_password = match (text("password"), text("apiKey")) {
            (Some(password), None) => {
                if username != self.username || password != self.password {
                    return error(401, "UM1103", Value::Null, "Invalid credentials");
                }
                true
            }
            (None, Some(api_key)) => {
                if username != self.username || api_key != self.api_key {
                    return error(401, "UM1103", Value::Null, "Invalid credentials");
                }
                false
            }
            _ => {
                return error(
                    400,
                    "UM1102",
                    Value::Null,
                    "Exactly one of password and apiKey is required",
                );
            }
        };
        let token = self.issue(username, by_password);
        Answer::json(
            200,
            &json!({
                "token": token,
                "user": {
                    "id": 1,
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "roles": [{ "id": 1, "name": "AAE_Admin", "version": 0 }],
                    "licenseFeatures": ["DEVELOPMENT"],
                    "disabled": false,
                },
            }),
        )
    }

    fn with_token<F: FnOnce(&str) -> Answer>(&self, request: &Request, then: F) -> Answer {
        let body = match AaControlRoom::body_json(request) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        match body.get("token").and_then(Value::as_str) {
            Some(token) if self.token_valid(token) => then(token),
            _ => error(
                401,
                "UM1118",
                Value::Null,
                "Access token is invalid or has expired",
            ),
        }
    }

    fn renew(&self, request: &Request) -> Answer {
        self.with_token(request, |token| {
            let (username, by_password) = {
                let tokens = lock(&self.tokens);
                match tokens.valid.get(token) {
                    Some(info) => (info.username.clone(), info.by_password),
                    None => (self.username.clone(), false),
                }
            };
            // A renewal is not a new password login: keep the user's other sessions.
            let fresh = self.issue(&username, false);
            if by_password && let Some(info) = lock(&self.tokens).valid.get_mut(&fresh) {
                info.by_password = true;
            }
            Answer::json(200, &json!({ "token": fresh }))
        })
    }

    fn logout(&self, request: &Request) -> Answer {
        self.with_token(request, |token| {
            lock(&self.tokens).valid.remove(token);
            Answer::new(204)
        })
    }

    fn delete(&self, request: &Request, segment: &str) -> Answer {
        let Some(token) = request.header("x-authorization").filter(|t| !t.is_empty()) else {
            return error(
                401,
                "UM1117",
                Value::Null,
                "Access token expected in the 'X-Authorization' header",
            );
        };
        if !self.token_valid(token) {
            return error(
                401,
                "UM1118",
                Value::Null,
                "Access token is invalid or has expired",
            );
        }
        let raw = decode_segment(segment).unwrap_or_default();
        let Some(id) = parse_id(&raw) else {
            return error(400, "UM1016", Value::Null, "Invalid user id");
        };
        let mut users = lock(&self.users);
        match users.get(id) {
            None => error(404, "UM1009", Value::Null, "User not found"),
            Some(user) if user.in_use => error(
                409,
                "UM1124",
                json!("The user still owns bots, schedules or credentials"),
                "User is in use and cannot be deleted",
            ),
            Some(_) => match users.remove(id) {
                Some(user) => Answer::json(200, &record(id, &user)),
                None => error(404, "UM1009", Value::Null, "User not found"),
            },
        }
    }
}

/// The deleted user, shaped as the vendor's documentation shows it.
fn record(id: u64, user: &AaUser) -> Value {
    let created = rfc3339_seconds(user.created);
    json!({
        "id": id,
        "email": format!("{}@example.com", user.username),
        "username": user.username,
        "domain": null,
        "firstName": "Seeded",
        "lastName": format!("User {id}"),
        "version": 0,
        "principalId": id,
        "deleted": false,
        "roles": [{ "id": 2, "name": "AAE_Basic", "version": 0 }],
        "sysAssignedRoles": [],
        "groupNames": [],
        "permissions": [],
        "licenseFeatures": [],
        "emailVerified": true,
        "passwordSet": false,
        "questionsSet": false,
        "enableAutoLogin": false,
        "disabled": false,
        "clientRegistered": false,
        "description": "Seeded by idp-sim",
        "createdBy": 1,
        "createdOn": created,
        "updatedBy": 1,
        "updatedOn": created,
        "publicKey": null,
        "appType": null,
        "routingName": null,
        "appUrl": null,
    })
}

impl Behaviour for AaControlRoom {
    const NAME: &'static str = "aa-controlroom";

    async fn create(local: SocketAddr) -> Created<AaControlRoom> {
        let vendor = AaControlRoom {
            base_url: format!("http://{local}"),
            username: "offboarding-bot".to_owned(),
            password: random_alnum(24),
            api_key: random_alnum(40),
            users: Mutex::new(IntUsers::new(101)),
            tokens: Mutex::new(Tokens {
                valid: HashMap::new(),
                lifetime: DEFAULT_TOKEN_LIFETIME,
            }),
            logins: AtomicUsize::new(0),
            tokens_issued: AtomicUsize::new(0),
        };
        Ok((vendor, None))
    }

    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AA_CONTROL_ROOM_URL", self.base_url.clone()),
            ("AA_USERNAME", self.username.clone()),
            ("AA_API_KEY", self.api_key.clone()),
        ]
    }

    fn is_delete(&self, request: &Request) -> bool {
        request.method == "DELETE" && matches!(route(&request.path), Route::Delete(_))
    }

    fn observe(&self, request: &Request) {
        if request.method == "POST" && matches!(route(&request.path), Route::Login) {
            self.logins.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn handle(&self, request: &Request) -> Answer {
        let method = request.method.as_str();
        match (route(&request.path), method) {
            (Route::Login, "POST") => self.login(request),
            (Route::Renew, "POST") => self.renew(request),
            (Route::Logout, "POST") => self.logout(request),
            (Route::Delete(id), "DELETE") => self.delete(request, id),
            (Route::Unknown, _) => not_found_page(),
            _ => error(405, "UM1405", Value::Null, "Method not allowed"),
        }
    }

    fn decorate(&self, answer: &mut Answer) {
        if !answer.has_header("x-request-id") {
            answer.headers.push(("x-request-id".to_owned(), uuid()));
        }
    }

    fn throttle(&self, retry_after_secs: u64) -> Fault {
        Fault::status(
            429,
            json!({ "code": "UM1429", "details": null, "message": "Too many requests" })
                .to_string(),
        )
        .with_header("content-type", "application/json")
        .with_header("retry-after", retry_after_secs.to_string())
    }

    fn sample_body(&self, status: u16) -> (String, &'static str) {
        let body = if (200..300).contains(&status) {
            record(
                15,
                &AaUser {
                    username: "docbotusermd4".to_owned(),
                    in_use: false,
                    created: SystemTime::now(),
                },
            )
        } else {
            json!({ "code": "UM1500", "details": null, "message": "Internal server error" })
        };
        (body.to_string(), "application/json")
    }

    fn add_user(&self, id: &str) -> String {
        self.insert_user(id, false)
    }

    fn add_person(&self, _email: &str) -> String {
        // Replaced by the vendor's offboarding seed (email, states, prerequisites).
        self.new_user()
    }

    fn new_user(&self) -> String {
        self.insert_user("", false)
    }

    fn has_user(&self, id: &str) -> bool {
        lock(&self.users).contains(id)
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}
