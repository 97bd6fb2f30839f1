//! OneLogin: the OAuth 2 token endpoint and the users API in v1 and v2 (list, get, delete)
//! and v1's logout.

mod list;
mod users;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::fault::Fault;
use crate::ids::parse_id;
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, random_hex, rfc3339_millis, uuid};

use list::ListQuery;
use users::{User, Users};

const TOKEN_PATH: &str = "/auth/oauth2/v2/token";
const RATE_LIMIT: u64 = 5000;
const RATE_WINDOW: Duration = Duration::from_secs(3600);
/// OneLogin's documented token lifetime (10 hours).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(36_000);

/// A strict simulator of OneLogin's token endpoint and users API (v1 and v2).
///
/// - Base URL `http://127.0.0.1:{port}` (the API domain).
/// - `POST /auth/oauth2/v2/token` needs `Authorization: Basic base64(client_id:client_secret)`,
///   `Content-Type: application/json` and the body `{"grant_type":"client_credentials"}`;
///   it answers the documented token JSON, and the same token again until it expires.
/// - Every `/api/1/…` call needs `Authorization: bearer:<token>` exactly (`Bearer <token>`
///   gets 400 "Authorization Information is incorrect"); `/api/2/…` also accepts
///   `Bearer <token>`. Unknown or expired tokens get 401 "Authentication Failure".
/// - `GET /api/1/users?email=E` (or `username`, `firstname`, `lastname`, `directory_id`;
///   `limit` up to 50) answers `{status, pagination: {before_cursor, after_cursor,
///   previous_link, next_link}, data: [records]}`; the next page is `after_cursor=`.
///   `GET /api/2/users?email=E&limit=N` (`limit` up to 100, `page`, `cursor`) answers a
///   bare array with the `After-Cursor`, `Before-Cursor`, `Total-Count`, `Total-Pages`,
///   `Current-Page` and `Page-Items` headers; the next page is `cursor=<After-Cursor>`.
///   Pages hold 50 users unless `limit` says less, and at most
///   [`OneLoginSim::set_page_size`]; users come in id order. Filters are OneLogin's: an
///   exact match where `*` stands for any run of characters, and in v1 a leading `!`
///   negates; case is ignored; an empty value matches every user. An unknown or repeated
///   parameter, or a bad number or cursor, gets 400.
/// - `GET /api/1/users/{id}` answers `{status, data: [record]}`, `GET /api/2/users/{id}` the
///   bare record; `PUT /api/1/users/{id}/logout` (v1 only; no body needed) ends the user's
///   session with the v1 success `status` object and is recorded
///   ([`OneLoginSim::logouts`]); `DELETE /api/{1,2}/users/{id}` deletes.
/// - Ids are positive integers (otherwise 400 with `{"attribute":"id",…}`); v1 answers in the
///   `status` envelope (a delete: 200 with `"error": false`; an unknown user: 404 "User for
///   id N was not found"), v2 with an empty 204 for a delete and errors as
///   `{"message","name","statusCode"}` (an unknown user: 404 `NotFound` "User for id N was
///   not found"). Other routes get an HTML 404 page.
/// - Every `/api/…` answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
///   `X-RateLimit-Reset` (5,000 an hour, counted over API calls, never enforced).
/// - Users have an email (kept in the case given; several may share one), a username,
///   first and last names, a `status` (1 Active, 2 Suspended, 3 Locked, … as OneLogin's
///   table; [`OneLoginSim::set_status`]) and a `directory_id`
///   ([`OneLoginSim::set_directory_id`]).
/// - [`OneLoginSim::add_user`] uses the argument as the id when it is a free positive integer,
///   and otherwise assigns the next free id: use the returned id.
/// - Variables ([`OneLoginSim::env`]): `ONELOGIN_CLIENT_ID`, `ONELOGIN_CLIENT_SECRET`
///   and `ONELOGIN_BASE_URL` (API v1, the client's default); [`OneLoginSim::env_v2`]
///   adds `ONELOGIN_API_VERSION=2`.
/// - [`RatePolicy::onelogin`](crate::RatePolicy::onelogin) enforces OneLogin's budget
///   instead: its `X-RateLimit-*` headers replace those on every answer, token requests
///   included, and the request after the last one allowed gets the 429.
pub type OneLoginSim = Sim<OneLogin>;

struct Tokens {
    /// The token handed out to the client id, until it expires.
    current: Option<(String, Instant)>,
    /// Every valid token and its expiry.
    valid: HashMap<String, Instant>,
    lifetime: Duration,
}

/// OneLogin's state and behaviour in a [`Sim`]: use [`OneLoginSim`].
pub struct OneLogin {
    base_url: String,
    client_id: String,
    client_secret: String,
    users: Mutex<Users>,
    /// The largest list page, when a test set one (0: none).
    page_size: AtomicUsize,
    /// The id of every accepted logout, in order.
    logouts: Mutex<Vec<u64>>,
    tokens: Mutex<Tokens>,
    token_requests: AtomicUsize,
    tokens_issued: AtomicUsize,
    rate: Mutex<(Instant, u64)>,
}

impl fmt::Debug for OneLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneLogin")
            .field("users", &lock(&self.users).len())
            .field("tokens_issued", &self.tokens_issued)
            .finish_non_exhaustive()
    }
}

impl Sim<OneLogin> {
    /// [`OneLoginSim::env`] plus `ONELOGIN_API_VERSION=2`.
    pub fn env_v2(&self) -> Vec<(&'static str, String)> {
        let mut env = self.env();
        env.push(("ONELOGIN_API_VERSION", "2".to_owned()));
        env
    }

    /// [`OneLoginSim::env_v2`] as a lookup function.
    pub fn lookup_v2(&self) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
        crate::util::lookup_in(self.env_v2())
    }

    /// The API client id.
    pub fn client_id(&self) -> &str {
        &self.state().client_id
    }

    /// The API client secret.
    pub fn client_secret(&self) -> &str {
        &self.state().client_secret
    }

    /// Makes every token issued so far invalid: the next delete with one gets 401
    /// "Authentication Failure", and the next token request gets a new token.
    pub fn expire_tokens(&self) {
        let mut tokens = lock(&self.state().tokens);
        tokens.current = None;
        tokens.valid.clear();
    }

    /// Sets the lifetime of tokens issued from now on (default 10 hours, as OneLogin's);
    /// `expires_in` in the token answer says it.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.state().tokens).lifetime = lifetime;
    }

    /// How many `POST`s reached the token endpoint (refused and faulted ones included).
    pub fn token_requests(&self) -> usize {
        self.state().token_requests.load(Ordering::Relaxed)
    }

    /// The same as [`OneLoginSim::token_requests`] (OneLogin's "login" is the token
    /// request).
    pub fn logins(&self) -> usize {
        self.token_requests()
    }

    /// How many distinct tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        self.state().tokens_issued.load(Ordering::Relaxed)
    }

    /// Seeds an active local user with this email (kept in the case given; another user may
    /// have the same one) and username, signed in; returns its id.
    pub fn add_account(&self, email: &str, username: &str) -> String {
        let mut user = User::person(email);
        user.username = username.to_owned();
        lock(&self.state().users).insert("", user).to_string()
    }

    /// Sets a user's `status` (OneLogin's table: 0 Unactivated, 1 Active, 2 Suspended,
    /// 3 Locked, 4 Password expired, 5 Awaiting password reset, 7 Password pending,
    /// 8 Security questions required); `false` when there is no such user.
    pub fn set_status(&self, id: &str, status: u8) -> bool {
        self.state().update(id, |user| user.status = status)
    }

    /// Sets (or, with `None`, clears) the directory a user is synchronised from; `false`
    /// when there is no such user.
    pub fn set_directory_id(&self, id: &str, directory_id: Option<u64>) -> bool {
        self.state()
            .update(id, |user| user.directory_id = directory_id)
    }

    /// List pages hold at most `size` users (at least 1), whatever `limit` asks, so that
    /// tests page with few users.
    pub fn set_page_size(&self, size: usize) {
        self.state().page_size.store(size.max(1), Ordering::Relaxed);
    }

    /// The id of every user a logout was accepted for, in order.
    pub fn logouts(&self) -> Vec<String> {
        lock(&self.state().logouts)
            .iter()
            .map(u64::to_string)
            .collect()
    }

    /// Whether the user has a OneLogin session (seeded users do; a logout ends it).
    pub fn has_session(&self, id: &str) -> bool {
        self.state().user(id).is_some_and(|user| user.signed_in)
    }

    /// The user's record as both API versions answer it, if the user exists.
    pub fn user_record(&self, id: &str) -> Option<Value> {
        let id = parse_id(id)?;
        lock(&self.state().users)
            .get(id)
            .map(|user| user.record(id))
    }
}

fn v1_status(status: u16, kind: &str, message: Value) -> Answer {
    Answer::json(
        status,
        &json!({ "status": {
            "error": status >= 400,
            "code": status,
            "type": kind,
            "message": message,
        }}),
    )
}

fn v2_error(status: u16, name: &str, message: &str) -> Answer {
    Answer::json(
        status,
        &json!({ "message": message, "name": name, "statusCode": status }),
    )
}

fn not_found_page() -> Answer {
    Answer::text(
        404,
        "text/html",
        "<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>",
    )
}

impl OneLogin {
    fn token(&self, request: &Request) -> Answer {
        let unauthorized = || v1_status(401, "Unauthorized", json!("Authentication Failure"));
        let credentials = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| BASE64.decode(encoded.trim()).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(credentials) = credentials else {
            return unauthorized();
        };
        let Some((id, secret)) = credentials.split_once(':') else {
            return unauthorized();
        };
        if id != self.client_id || secret != self.client_secret {
            return unauthorized();
        }
        let json_body = request
            .header("content-type")
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
        if !json_body {
            return v1_status(
                400,
                "bad request",
                json!("Content-Type must be application/json"),
            );
        }
        let grant = serde_json::from_slice::<Value>(&request.body)
            .ok()
            .and_then(|body| {
                body.get("grant_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        if grant.as_deref() != Some("client_credentials") {
            return v1_status(400, "bad request", json!("grant_type is incorrect/absent"));
        }
        let now = Instant::now();
        let mut tokens = lock(&self.tokens);
        let lifetime = tokens.lifetime;
        let (token, expires) = match &tokens.current {
            Some((token, expires)) if *expires > now => (token.clone(), *expires),
            _ => {
                let token = random_hex(64);
                let expires = now + lifetime;
                tokens.current = Some((token.clone(), expires));
                tokens.valid.insert(token.clone(), expires);
                self.tokens_issued.fetch_add(1, Ordering::Relaxed);
                (token, expires)
            }
        };
        drop(tokens);
        Answer::json(
            200,
            &json!({
                "access_token": token,
                "created_at": rfc3339_millis(SystemTime::now()),
                "expires_in": expires.saturating_duration_since(now).as_secs(),
                "refresh_token": random_hex(64),
                "token_type": "bearer",
                "account_id": 555_555,
            }),
        )
    }

    fn token_valid(&self, token: &str) -> bool {
        let now = Instant::now();
        lock(&self.tokens)
            .valid
            .get(token)
            .is_some_and(|expires| *expires > now)
    }

    fn rate_headers(&self, answer: Answer) -> Answer {
        let now = Instant::now();
        let (remaining, reset) = {
            let mut rate = lock(&self.rate);
            if now.duration_since(rate.0) >= RATE_WINDOW {
                *rate = (now, 0);
            }
            rate.1 += 1;
            let reset = RATE_WINDOW.saturating_sub(now.duration_since(rate.0));
            (RATE_LIMIT.saturating_sub(rate.1), reset.as_secs())
        };
        answer
            .header("x-ratelimit-limit", RATE_LIMIT.to_string())
            .header("x-ratelimit-remaining", remaining.to_string())
            .header("x-ratelimit-reset", reset.to_string())
    }

    /// A copy of user `id`, if it exists.
    fn user(&self, id: &str) -> Option<User> {
        lock(&self.users).get(parse_id(id)?).cloned()
    }

    /// Changes user `id` with `change`; `false` when there is no such user.
    fn update(&self, id: &str, change: impl FnOnce(&mut User)) -> bool {
        let Some(id) = parse_id(id) else {
            return false;
        };
        let mut users = lock(&self.users);
        let Some(user) = users.get_mut(id) else {
            return false;
        };
        change(user);
        user.touch();
        true
    }

    /// The token check every `/api/…` call goes through.
    fn authorize(&self, request: &Request, v2: bool) -> Result<(), Answer> {
        let header = request.header("authorization");
        let token = header.and_then(|value| {
            value
                .strip_prefix("bearer:")
                .or_else(|| v2.then(|| value.strip_prefix("Bearer ")).flatten())
        });
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(bad_request(
                v2,
                json!("Authorization Information is incorrect"),
            ));
        };
        if !self.token_valid(token) {
            return Err(if v2 {
                v2_error(401, "Unauthorized", "Authentication Failure")
            } else {
                v1_status(401, "Unauthorized", json!("Authentication Failure"))
            });
        }
        Ok(())
    }

    fn api(&self, request: &Request, route: Route<'_>) -> Answer {
        let v2 = route.v2();
        if let Err(answer) = self.authorize(request, v2) {
            return answer;
        }
        match route {
            Route::Users { .. } => self.list(request, v2),
            Route::User { segment, .. } | Route::Logout { segment } => {
                let Some(id) = decode_segment(segment).as_deref().and_then(parse_id) else {
                    return bad_request(
                        v2,
                        json!({ "attribute": "id", "description": "ID is incorrect" }),
                    );
                };
                match (&route, request.method.as_str()) {
                    (Route::Logout { .. }, _) => self.logout(id),
                    (_, "DELETE") => self.delete(v2, id),
                    _ => self.get(v2, id),
                }
            }
        }
    }

    fn list(&self, request: &Request, v2: bool) -> Answer {
        let query = match ListQuery::parse(v2, request.query.as_deref()) {
            Ok(query) => query,
            Err(problem) => return bad_request(v2, json!(problem)),
        };
        let cap = match self.page_size.load(Ordering::Relaxed) {
            0 => None,
            size => Some(size),
        };
        let listed = list::page(&lock(&self.users), v2, &query, cap);
        if !v2 {
            return Answer::json(
                200,
                &json!({
                    "status": success_status(),
                    "pagination": {
                        "before_cursor": listed.before,
                        "after_cursor": listed.after,
                        "previous_link": listed.link(&self.base_url, &query, false),
                        "next_link": listed.link(&self.base_url, &query, true),
                    },
                    "data": listed.records,
                }),
            );
        }
        let pages = listed.total.div_ceil(listed.size).max(1);
        let mut answer = Answer::json(200, &Value::Array(listed.records))
            .header("total-count", listed.total.to_string())
            .header("total-pages", pages.to_string())
            .header("current-page", listed.number.to_string())
            .header("page-items", listed.size.to_string());
        if let Some(after) = listed.after {
            answer = answer.header("after-cursor", after);
        }
        if let Some(before) = listed.before {
            answer = answer.header("before-cursor", before);
        }
        answer
    }

    fn get(&self, v2: bool, id: u64) -> Answer {
        let Some(record) = lock(&self.users).get(id).map(|user| user.record(id)) else {
            return user_not_found(v2, id);
        };
        if v2 {
            Answer::json(200, &record)
        } else {
            Answer::json(
                200,
                &json!({ "status": success_status(), "data": [record] }),
            )
        }
    }

    fn logout(&self, id: u64) -> Answer {
        let found = lock(&self.users).get_mut(id).map(|user| {
            user.signed_in = false;
            user.touch();
        });
        if found.is_none() {
            return user_not_found(false, id);
        }
        lock(&self.logouts).push(id);
        Answer::json(200, &json!({ "status": success_status() }))
    }

    fn delete(&self, v2: bool, id: u64) -> Answer {
        if lock(&self.users).remove(id).is_none() {
            return user_not_found(v2, id);
        }
        if v2 {
            Answer::new(204)
        } else {
            Answer::json(200, &json!({ "status": success_status() }))
        }
    }
}

fn success_status() -> Value {
    json!({ "error": false, "code": 200, "type": "success", "message": "Success" })
}

fn bad_request(v2: bool, message: Value) -> Answer {
    if v2 {
        let text = match &message {
            Value::String(text) => text.clone(),
            Value::Object(fields) => format!(
                "{}: {}",
                fields
                    .get("attribute")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                fields
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
            other => other.to_string(),
        };
        v2_error(400, "BadRequest", &text)
    } else {
        v1_status(400, "bad request", message)
    }
}

fn user_not_found(v2: bool, id: u64) -> Answer {
    let text = format!("User for id {id} was not found");
    if v2 {
        v2_error(404, "NotFound", &text)
    } else {
        v1_status(404, "not found", json!(text))
    }
}

/// The `/api/…` routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    /// `/api/{1,2}/users`
    Users { v2: bool },
    /// `/api/{1,2}/users/{id}` (the raw segment)
    User { v2: bool, segment: &'a str },
    /// `/api/1/users/{id}/logout`
    Logout { segment: &'a str },
}

impl Route<'_> {
    fn v2(self) -> bool {
        match self {
            Route::Users { v2 } | Route::User { v2, .. } => v2,
            Route::Logout { .. } => false,
        }
    }

    fn allows(self, method: &str) -> bool {
        match self {
            Route::Users { .. } => method == "GET",
            Route::User { .. } => method == "GET" || method == "DELETE",
            Route::Logout { .. } => method == "PUT",
        }
    }
}

fn api_route(path: &str) -> Option<Route<'_>> {
    let segments: Vec<&str> = path.strip_prefix("/api/")?.split('/').collect();
    let (version, rest) = segments.split_first()?;
    let v2 = match *version {
        "1" => false,
        "2" => true,
        _ => return None,
    };
    match rest {
        ["users"] => Some(Route::Users { v2 }),
        ["users", segment] if !segment.is_empty() => Some(Route::User { v2, segment }),
        ["users", segment, "logout"] if !v2 && !segment.is_empty() => {
            Some(Route::Logout { segment })
        }
        _ => None,
    }
}

impl Behaviour for OneLogin {
    const NAME: &'static str = "onelogin";

    async fn create(local: SocketAddr) -> Created<OneLogin> {
        let vendor = OneLogin {
            base_url: format!("http://{local}"),
            client_id: random_hex(64),
            client_secret: random_hex(64),
            users: Mutex::new(Users::new(10_000_001)),
            page_size: AtomicUsize::new(0),
            logouts: Mutex::new(Vec::new()),
            tokens: Mutex::new(Tokens {
                current: None,
                valid: HashMap::new(),
                lifetime: DEFAULT_TOKEN_LIFETIME,
            }),
            token_requests: AtomicUsize::new(0),
            tokens_issued: AtomicUsize::new(0),
            rate: Mutex::new((Instant::now(), 0)),
        };
        Ok((vendor, None))
    }

    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ONELOGIN_CLIENT_ID", self.client_id.clone()),
            ("ONELOGIN_CLIENT_SECRET", self.client_secret.clone()),
            ("ONELOGIN_BASE_URL", self.base_url.clone()),
        ]
    }

    fn is_delete(&self, request: &Request) -> bool {
        request.method == "DELETE"
            && api_route(&request.path).is_some_and(|route| matches!(route, Route::User { .. }))
    }

    fn observe(&self, request: &Request) {
        if request.path == TOKEN_PATH && request.method == "POST" {
            self.token_requests.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn handle(&self, request: &Request) -> Answer {
        if request.path == TOKEN_PATH {
            return if request.method == "POST" {
                self.token(request)
            } else {
                not_found_page()
            };
        }
        match api_route(&request.path) {
            Some(route) if route.allows(&request.method) => {
                self.rate_headers(self.api(request, route))
            }
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
            json!({ "status": {
                "error": true,
                "code": 429,
                "type": "Too Many Requests",
                "message": "Rate limit exceeded",
            }})
            .to_string(),
        )
        .with_header("content-type", "application/json")
        .with_header("retry-after", retry_after_secs.to_string())
        .with_header("x-ratelimit-limit", RATE_LIMIT.to_string())
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", retry_after_secs.to_string())
    }

    fn sample_body(&self, status: u16) -> (String, &'static str) {
        let body = if (200..300).contains(&status) {
            json!({ "status": { "error": false, "code": 200, "type": "success", "message": "Success" }})
        } else {
            json!({ "status": { "error": true, "code": status, "type": "error", "message": "Internal Server Error" }})
        };
        (body.to_string(), "application/json")
    }

    fn add_user(&self, id: &str) -> String {
        let email = format!("user-{}@example.com", random_hex(8));
        lock(&self.users)
            .insert(id, User::person(&email))
            .to_string()
    }

    fn add_person(&self, email: &str) -> String {
        lock(&self.users)
            .insert("", User::person(email))
            .to_string()
    }

    fn new_user(&self) -> String {
        self.add_user("")
    }

    fn has_user(&self, id: &str) -> bool {
        parse_id(id).is_some_and(|id| lock(&self.users).get(id).is_some())
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}
