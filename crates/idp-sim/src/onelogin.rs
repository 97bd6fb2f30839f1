//! OneLogin: the OAuth 2 token endpoint and `DELETE /api/1/users/{id}` (and `/api/2/…`).

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
use crate::ids::{IntUsers, parse_id};
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, random_hex, rfc3339_millis, uuid};

const TOKEN_PATH: &str = "/auth/oauth2/v2/token";
const RATE_LIMIT: u64 = 5000;
const RATE_WINDOW: Duration = Duration::from_secs(3600);
/// OneLogin's documented token lifetime (10 hours).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(36_000);

/// A strict simulator of OneLogin's token endpoint and delete-user API (v1 and v2).
///
/// - Base URL `http://127.0.0.1:{port}` (the API domain).
/// - `POST /auth/oauth2/v2/token` needs `Authorization: Basic base64(client_id:client_secret)`,
///   `Content-Type: application/json` and the body `{"grant_type":"client_credentials"}`;
///   it answers the documented token JSON, and the same token again until it expires.
/// - `DELETE /api/1/users/{id}` needs `Authorization: bearer:<token>` exactly (`Bearer <token>`
///   gets 400 "Authorization Information is incorrect"); `DELETE /api/2/users/{id}` also
///   accepts `Bearer <token>`. Unknown or expired tokens get 401 "Authentication Failure".
/// - Ids are positive integers (otherwise 400 with `{"attribute":"id",…}`); v1 answers in the
///   `status` envelope, v2 with an empty 204 or `{"message","name","statusCode"}`.
/// - Delete answers carry `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
///   (5,000 an hour, counted over deletes, never enforced).
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
    users: Mutex<IntUsers<()>>,
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

    fn delete(&self, request: &Request, v2: bool, segment: &str) -> Answer {
        let header = request.header("authorization");
        let token = header.and_then(|value| {
            value
                .strip_prefix("bearer:")
                .or_else(|| v2.then(|| value.strip_prefix("Bearer ")).flatten())
        });
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return if v2 {
                v2_error(400, "BadRequest", "Authorization Information is incorrect")
            } else {
                v1_status(
                    400,
                    "bad request",
                    json!("Authorization Information is incorrect"),
                )
            };
        };
        if !self.token_valid(token) {
            return if v2 {
                v2_error(401, "Unauthorized", "Authentication Failure")
            } else {
                v1_status(401, "Unauthorized", json!("Authentication Failure"))
            };
        }
        let raw = decode_segment(segment).unwrap_or_default();
        let Some(id) = parse_id(&raw) else {
            return if v2 {
                v2_error(400, "BadRequest", "id: ID is incorrect")
            } else {
                v1_status(
                    400,
                    "bad request",
                    json!({ "attribute": "id", "description": "ID is incorrect" }),
                )
            };
        };
        let removed = lock(&self.users).remove(id).is_some();
        match (removed, v2) {
            (true, false) => v1_status(200, "success", json!("Success")),
            (true, true) => Answer::new(204),
            (false, false) => v1_status(
                404,
                "not found",
                json!(format!("User for id {id} was not found")),
            ),
            (false, true) => v2_error(404, "NotFound", &format!("User for id {id} was not found")),
        }
    }
}

/// `Some(v2)` for `/api/1/users/{id}` or `/api/2/users/{id}`, with the id segment.
fn delete_route(path: &str) -> Option<(bool, &str)> {
    let rest = path.strip_prefix("/api/")?;
    let mut parts = rest.split('/');
    let version = parts.next()?;
    let users = parts.next()?;
    let id = parts.next()?;
    if parts.next().is_some() || users != "users" || id.is_empty() {
        return None;
    }
    match version {
        "1" => Some((false, id)),
        "2" => Some((true, id)),
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
            users: Mutex::new(IntUsers::new(10_000_001)),
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
        request.method == "DELETE" && delete_route(&request.path).is_some()
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
        match delete_route(&request.path) {
            Some((v2, id)) if request.method == "DELETE" => {
                self.rate_headers(self.delete(request, v2, id))
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
        let mut users = lock(&self.users);
        let id = users.assign(id);
        users.insert(id, ());
        id.to_string()
    }

    fn add_person(&self, _email: &str) -> String {
        // Replaced by the vendor's offboarding seed (email, states, prerequisites).
        self.new_user()
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
