//! Automation Anywhere Control Room: authentication, and user management — list (filtered,
//! paged), read, update (the whole record), delete — under `/v1` and `/v2`.

mod auth;
mod list;
mod users;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::fault::Fault;
use crate::ids::parse_id;
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, random_alnum, uuid};

pub use list::AaFilterMode;
pub use users::{AaRole, AaUser};
use users::{Store, record, sample_record, user_not_found};

/// A strict simulator of an Automation Anywhere Control Room's authentication and
/// user-management APIs.
///
/// - Base URL `http://127.0.0.1:{port}` (the Control Room URL); every route exists under
///   `/v1` and `/v2`.
/// - `POST /v1/authentication` with `Content-Type: application/json` and
///   `{"username","password"}` or `{"username","apiKey"}` answers `{"token","user"}`. A
///   password login invalidates that user's earlier password tokens (API-key tokens stay
///   valid), as the Control Room does. `POST …/authentication/token` (`{"token"}`) renews a
///   token; `POST …/authentication/logout` (`{"token"}`) ends it with 204.
/// - Every user-management call needs the token in `X-Authorization` (missing: 401
///   `UM1117`, as documented; unknown or expired: 401). Tokens live 20 minutes unless
///   [`AaControlRoomSim::set_token_lifetime`] says otherwise, and
///   [`AaControlRoomSim::expire_tokens`] ends them all at once.
/// - `POST …/usermanagement/users/list` (JSON) with `fields`, `filter` (`eq`, `ne`, `lt`,
///   `le`, `gt`, `ge`, `substring` on `id`, `username`, `email`, `firstName`, `lastName`,
///   `domain`, `description`, `disabled`; `and`, `or`, `not`; `NONE`), `sort` and `page`
///   (`offset`, `length`): anything else is 400. Answers
///   `{"page": {"offset", "total", "totalFilter"}, "list": [record, …]}` in id order;
///   [`AaControlRoomSim::set_page_size`] caps the page, and
///   [`AaControlRoomSim::set_filter_mode`] makes the filter loose, refused (400) or ignored
///   (`totalFilter == total`).
/// - `GET …/usermanagement/users/{id}` answers the record (`id`, `username`, `email`,
///   `domain`, `roles`, `licenseFeatures`, `disabled`, `version`, …). `PUT` needs the whole
///   record back — every field it has, `roles` a non-empty list, the same `id` and
///   `username` — else 400 (`UM1131` names the missing fields); it answers the updated
///   record.
/// - `DELETE …/usermanagement/users/{id}`: 200 with the deleted user's record (or 204, with
///   [`AaControlRoomSim::set_delete_no_content`]); a user in use → 409 `UM1124`.
/// - Integer ids (else 400); unknown → 404 `{"code":"UM1009","details":null,"message":"User
///   not found"}`. Errors are `{"code","details","message"}`.
/// - Seed with [`AaControlRoomSim::seed_user`] ([`AaUser`]: email, username, names, domain,
///   roles, disabled, in use); [`AaControlRoomSim::add_person`] seeds an enabled user with
///   two roles. [`AaControlRoomSim::add_user`] uses the argument as the id when it is a free
///   positive integer; otherwise it assigns the next free id and uses the argument as the
///   username.
/// - Variables ([`AaControlRoomSim::env`]): `AA_CONTROL_ROOM_URL`, `AA_USERNAME` and
///   `AA_API_KEY` (API-key login); [`AaControlRoomSim::env_password`] the password login's;
///   [`AaControlRoomSim::env_v2`] adds `AA_API_VERSION=v2`.
pub type AaControlRoomSim = Sim<AaControlRoom>;

/// An Automation Anywhere Control Room's state and behaviour in a [`Sim`]: use
/// [`AaControlRoomSim`].
pub struct AaControlRoom {
    base_url: String,
    username: String,
    password: String,
    api_key: String,
    users: Mutex<Store>,
    tokens: Mutex<auth::Tokens>,
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

    /// [`AaControlRoomSim::env`] and `AA_API_VERSION=v2`: the client then uses the `/v2`
    /// paths.
    pub fn env_v2(&self) -> Vec<(&'static str, String)> {
        let mut env = self.env();
        env.push(("AA_API_VERSION", "v2".to_owned()));
        env
    }

    /// [`AaControlRoomSim::env_v2`] as a lookup function.
    pub fn lookup_v2(&self) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
        crate::util::lookup_in(self.env_v2())
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

    /// Seeds `user`; returns its id (`user.id` when that is a free positive integer,
    /// otherwise the next free one).
    pub fn seed_user(&self, user: AaUser) -> String {
        lock(&self.state().users).insert(user).to_string()
    }

    /// A user as stored now (after any `PUT`), if it exists.
    pub fn user(&self, id: &str) -> Option<AaUser> {
        let id = parse_id(id)?;
        lock(&self.state().users)
            .get(id)
            .map(|stored| stored.user.clone())
    }

    /// Seeds a user that exists but cannot be deleted (409 Conflict); returns its id.
    pub fn add_user_in_use(&self, id: &str) -> String {
        self.state().insert_user(id, true)
    }

    /// Marks a user as in use (409 on delete) or not; `false` when there is no such user.
    pub fn set_user_in_use(&self, id: &str, in_use: bool) -> bool {
        self.state().change(id, |user| user.in_use = in_use)
    }

    /// Sets a user's `disabled` (as an administrator would, behind the client's back);
    /// `false` when there is no such user.
    pub fn set_user_disabled(&self, id: &str, disabled: bool) -> bool {
        self.state().change(id, |user| user.disabled = disabled)
    }

    /// Pages of the user list hold at most `n` users (at least 1), whatever length the
    /// request asks for, as a Control Room capping the page length does. Unlimited by
    /// default.
    pub fn set_page_size(&self, n: usize) {
        lock(&self.state().users).page_size = n.max(1);
    }

    /// What the user list does with a `filter` ([`AaFilterMode`]); honoured by default.
    pub fn set_filter_mode(&self, mode: AaFilterMode) {
        lock(&self.state().users).filter_mode = mode;
    }

    /// When on, a delete answers 204 without a body instead of 200 with the deleted user's
    /// record (both are documented answers). Off by default.
    pub fn set_delete_no_content(&self, no_content: bool) {
        lock(&self.state().users).delete_no_content = no_content;
    }

    /// Makes every token issued so far invalid: the next call with one gets 401.
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

/// The Control Room's error body.
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

/// A JSON object body: 415 without `Content-Type: application/json`, 400 when not an
/// object.
fn json_body(request: &Request) -> Result<Map<String, Value>, Answer> {
    let is_json = request
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
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

/// A route: the API generation, then the path after it.
enum Route<'a> {
    Login,
    Renew,
    Logout,
    List,
    User(&'a str),
    Unknown,
}

fn route(path: &str) -> Route<'_> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["", "v1" | "v2", "authentication"] => Route::Login,
        ["", "v1" | "v2", "authentication", "token"] => Route::Renew,
        ["", "v1" | "v2", "authentication", "logout"] => Route::Logout,
        ["", "v1" | "v2", "usermanagement", "users", "list"] => Route::List,
        ["", "v1" | "v2", "usermanagement", "users", id] if !id.is_empty() => Route::User(id),
        _ => Route::Unknown,
    }
}

/// The integer id of a user path, or the 400 for anything else.
fn user_id(segment: &str) -> Result<u64, Answer> {
    let raw = decode_segment(segment).unwrap_or_default();
    parse_id(&raw).ok_or_else(|| error(400, "UM1016", Value::Null, "Invalid user id"))
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
        let mut user = AaUser::new(&format!("{username}@example.com"))
            .with_id(&id.to_string())
            .with_username(&username)
            .with_name("Seeded", &format!("User {id}"))
            .with_roles(vec![AaRole::new(2, "AAE_Basic")]);
        user.in_use = in_use;
        users.insert(user).to_string()
    }

    fn change(&self, id: &str, change: impl FnOnce(&mut AaUser)) -> bool {
        let Some(id) = parse_id(id) else {
            return false;
        };
        match lock(&self.users).get_mut(id) {
            Some(stored) => {
                change(&mut stored.user);
                true
            }
            None => false,
        }
    }

    fn list(&self, request: &Request) -> Answer {
        match json_body(request) {
            Ok(body) => list::list(&lock(&self.users), &body),
            Err(answer) => answer,
        }
    }

    fn get(&self, id: u64) -> Answer {
        match lock(&self.users).get(id) {
            Some(stored) => Answer::json(200, &record(id, stored)),
            None => user_not_found(),
        }
    }

    fn update(&self, request: &Request, id: u64) -> Answer {
        let body = match json_body(request) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        match lock(&self.users).update(id, &body) {
            Ok(updated) => Answer::json(200, &updated),
            Err(answer) => answer,
        }
    }

    fn delete(&self, id: u64) -> Answer {
        let mut users = lock(&self.users);
        match users.get(id) {
            None => user_not_found(),
            Some(stored) if stored.user.in_use => error(
                409,
                "UM1124",
                json!("The user still owns bots, schedules or credentials"),
                "User is in use and cannot be deleted",
            ),
            Some(stored) => {
                let answer = if users.delete_no_content {
                    Answer::new(204)
                } else {
                    Answer::json(200, &record(id, stored))
                };
                users.remove(id);
                answer
            }
        }
    }
}

impl Behaviour for AaControlRoom {
    const NAME: &'static str = "aa-controlroom";

    async fn create(local: SocketAddr) -> Created<AaControlRoom> {
        let vendor = AaControlRoom {
            base_url: format!("http://{local}"),
            username: "offboarding-bot".to_owned(),
            password: random_alnum(24),
            api_key: random_alnum(40),
            users: Mutex::new(Store::new(101)),
            tokens: Mutex::new(auth::Tokens::new()),
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
        request.method == "DELETE" && matches!(route(&request.path), Route::User(_))
    }

    fn observe(&self, request: &Request) {
        if request.method == "POST" && matches!(route(&request.path), Route::Login) {
            self.logins.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn handle(&self, request: &Request) -> Answer {
        let method = request.method.as_str();
        let route = route(&request.path);
        let allowed = match route {
            Route::Unknown => return not_found_page(),
            Route::Login | Route::Renew | Route::Logout | Route::List => method == "POST",
            Route::User(_) => matches!(method, "GET" | "PUT" | "DELETE"),
        };
        if !allowed {
            return error(405, "UM1405", Value::Null, "Method not allowed");
        }
        match route {
            Route::Login => return self.login(request),
            Route::Renew => return self.renew(request),
            Route::Logout => return self.logout(request),
            _ => {}
        }
        if let Err(answer) = self.authorize(request) {
            return answer;
        }
        match route {
            Route::List => self.list(request),
            Route::User(segment) => match (user_id(segment), method) {
                (Err(answer), _) => answer,
                (Ok(id), "GET") => self.get(id),
                (Ok(id), "PUT") => self.update(request, id),
                (Ok(id), _) => self.delete(id),
            },
            _ => not_found_page(),
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
            sample_record()
        } else {
            json!({ "code": "UM1500", "details": null, "message": "Internal server error" })
        };
        (body.to_string(), "application/json")
    }

    fn add_user(&self, id: &str) -> String {
        self.insert_user(id, false)
    }

    /// An enabled local user with `email` and two roles: an active employee who runs bots.
    fn add_person(&self, email: &str) -> String {
        lock(&self.users).insert(AaUser::new(email)).to_string()
    }

    fn new_user(&self) -> String {
        self.insert_user("", false)
    }

    fn has_user(&self, id: &str) -> bool {
        parse_id(id).is_some_and(|id| lock(&self.users).get(id).is_some())
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}
