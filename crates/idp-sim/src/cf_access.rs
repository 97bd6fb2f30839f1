//! Cloudflare Zero Trust Access: the account's Access users (list, get, delete) and
//! `revoke_user`, under `{base}/accounts/{account_id}/access/…`.

mod users;

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::fault::Fault;
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, random_hex, segments_after, uuid};

use users::{AccessUser, DEFAULT_PER_PAGE, Filter, MAX_PER_PAGE, Users, is_uuid, name_from_email};

/// Where the API lives under the server, as on `api.cloudflare.com`.
const PREFIX: &str = "/client/v4";

/// A strict simulator of Cloudflare Zero Trust Access's users API and session revocation.
///
/// - Base URL `http://127.0.0.1:{port}/client/v4`; routes under
///   `/client/v4/accounts/{account_id}/access`:
///   - `GET …/users?email=&name=&search=&page=&per_page=`: the users whose `email` (or
///     `name`; `search`: either) **contains** the value, ASCII case ignored — a partial
///     match, so a client must compare for itself — in creation order, as the envelope with
///     `result: [records]` and `result_info: {page, per_page, count, total_count}`; a page
///     past the last is an empty `result`. `per_page` 1–1,000 (default 25), capped by
///     [`CfAccessSim::set_page_size`]; `page` from 1. Other parameters, a repeated one or a
///     bad number → 400, code 1001.
///   - `GET …/users/{user_id}`: the envelope with the user's record; `DELETE` the same path
///     deletes it (`result: {}`). An unknown user → 404, code 1003 "Access user not found";
///     an id that is not a UUID → 400, code 7003 "Could not route to …".
///   - `POST …/organizations/revoke_user` with a JSON object: `email` (required), `devices`,
///     `user_uid`, `warp_session_reauth` and nothing else (`devices` may also come as
///     `?devices=true`) → `result: true`, whether or not a user has that email; recorded in
///     [`CfAccessSim::revocations`], and with `devices: true` the devices of every user with
///     that email (ASCII case ignored) are signed out (`active_device_count: 0`). A body
///     that is not such an object → 400, code 1001.
/// - Auth, exactly one of: `Authorization: Bearer <token>` (the scheme spelled `Bearer`, one
///   space), or both `X-Auth-Email` and `X-Auth-Key`. [`CfAccessSim::env`] hands out the
///   token; [`CfAccessSim::env_global_key`] the email and global key.
/// - Every answer is the envelope `{"success","errors","messages","result"}` with a
///   `cf-ray` header; another method on a route → 405, code 7001.
/// - User ids are UUIDs: [`CfAccessSim::add_user`] keeps a UUID it is given (in lower case)
///   and otherwise generates one — use the returned id. Users have an email (kept in the
///   case given) and a name; several may share an email.
/// - Variables ([`CfAccessSim::env`]): `CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_ACCOUNT_ID`
///   and `CLOUDFLARE_BASE_URL`, what `idp_cf_access::Config::from_lookup` reads to use
///   this simulator with an API token.
pub type CfAccessSim = Sim<CfAccess>;

/// Cloudflare Zero Trust Access's state and behaviour in a [`Sim`]: use [`CfAccessSim`].
pub struct CfAccess {
    base_url: String,
    account_id: String,
    api_token: String,
    email: String,
    api_key: String,
    users: Mutex<Users>,
}

impl fmt::Debug for CfAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CfAccess")
            .field("account_id", &self.account_id)
            .field("users", &lock(&self.users).len())
            .finish_non_exhaustive()
    }
}

impl Sim<CfAccess> {
    /// `CLOUDFLARE_EMAIL`, `CLOUDFLARE_API_KEY`, `CLOUDFLARE_ACCOUNT_ID` and
    /// `CLOUDFLARE_BASE_URL`: the global-API-key scheme.
    pub fn env_global_key(&self) -> Vec<(&'static str, String)> {
        let v = self.state();
        vec![
            ("CLOUDFLARE_EMAIL", v.email.clone()),
            ("CLOUDFLARE_API_KEY", v.api_key.clone()),
            ("CLOUDFLARE_ACCOUNT_ID", v.account_id.clone()),
            ("CLOUDFLARE_BASE_URL", v.base_url.clone()),
        ]
    }

    /// [`CfAccessSim::env_global_key`] as a lookup function.
    pub fn lookup_global_key(
        &self,
    ) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
        crate::util::lookup_in(self.env_global_key())
    }

    /// The account id (32 hex digits).
    pub fn account_id(&self) -> &str {
        &self.state().account_id
    }

    /// The API token accepted as `Authorization: Bearer <token>`.
    pub fn api_token(&self) -> &str {
        &self.state().api_token
    }

    /// The email accepted in `X-Auth-Email`.
    pub fn email(&self) -> &str {
        &self.state().email
    }

    /// The global API key accepted in `X-Auth-Key`.
    pub fn api_key(&self) -> &str {
        &self.state().api_key
    }

    /// Seeds an Access user with this email (stored in the case given; another user may
    /// have the same one) and display name; returns its generated UUID.
    pub fn add_access_user(&self, email: &str, name: &str) -> String {
        lock(&self.state().users).insert(AccessUser::new(uuid(), email, name))
    }

    /// The listing answers at most `size` users a page (at least 1), whatever `per_page`
    /// asks, so that tests page with few users.
    pub fn set_page_size(&self, size: usize) {
        lock(&self.state().users).set_page_size(size);
    }

    /// The email of every `revoke_user` the simulator accepted, in order.
    pub fn revocations(&self) -> Vec<String> {
        lock(&self.state().users).revocations()
    }

    /// The user's record as the get and list answers carry it, if it exists.
    pub fn user_record(&self, id: &str) -> Option<Value> {
        lock(&self.state().users).get(id).map(AccessUser::record)
    }
}

fn message(code: u32, text: &str) -> Value {
    json!({ "code": code, "message": text })
}

fn envelope_error(status: u16, errors: Vec<Value>) -> Answer {
    Answer::json(
        status,
        &json!({ "success": false, "errors": errors, "messages": [], "result": null }),
    )
}

/// 6003 "Invalid request headers" with the specific problems chained under it.
fn invalid_headers(chain: Vec<Value>) -> Answer {
    envelope_error(
        400,
        vec![json!({
            "code": 6003,
            "message": "Invalid request headers",
            "error_chain": chain,
        })],
    )
}

fn no_route() -> Answer {
    envelope_error(400, vec![message(7000, "No route for that URI")])
}

/// 1001 for a request the simulator cannot read (the code is the simulator's choice), with a
/// pointer to what is wrong.
fn invalid_request(pointer: &str, text: &str) -> Answer {
    envelope_error(
        400,
        vec![json!({
            "code": 1001,
            "message": format!("Invalid request: {text}"),
            "source": { "pointer": pointer },
        })],
    )
}

fn could_not_route(path: &str) -> Answer {
    envelope_error(
        400,
        vec![message(
            7003,
            &format!("Could not route to {path}, perhaps your object identifier is invalid?"),
        )],
    )
}

fn success(result: Value) -> Answer {
    Answer::json(
        200,
        &json!({ "success": true, "errors": [], "messages": [], "result": result }),
    )
}

/// The endpoints under `…/accounts/{account_id}/access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    /// `…/users`
    Users,
    /// `…/users/{user_id}` (the raw segment)
    User(&'a str),
    /// `…/organizations/revoke_user`
    Revoke,
}

impl Route<'_> {
    fn allows(self, method: &str) -> bool {
        match self {
            Route::Users => method == "GET",
            Route::User(_) => method == "GET" || method == "DELETE",
            Route::Revoke => method == "POST",
        }
    }
}

/// The raw account segment and the endpoint of `path`, when it is one of the routes.
fn route(path: &str) -> Option<(&str, Route<'_>)> {
    let segments = segments_after(path, PREFIX)?;
    let (account, route) = match segments.as_slice() {
        ["accounts", account, "access", "users"] => (*account, Route::Users),
        ["accounts", account, "access", "users", user] if !user.is_empty() => {
            (*account, Route::User(user))
        }
        [
            "accounts",
            account,
            "access",
            "organizations",
            "revoke_user",
        ] => (*account, Route::Revoke),
        _ => return None,
    };
    (!account.is_empty()).then_some((account, route))
}

/// The listing's parameters.
struct ListQuery {
    filter: Filter,
    page: usize,
    per_page: usize,
}

impl ListQuery {
    fn parse(query: Option<&str>) -> Result<ListQuery, Answer> {
        let mut list = ListQuery {
            filter: Filter::default(),
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        };
        let mut seen = HashSet::new();
        let pairs = url::form_urlencoded::parse(query.unwrap_or("").as_bytes());
        for (key, value) in pairs {
            let pointer = format!("/query/{key}");
            if !seen.insert(key.clone()) {
                return Err(invalid_request(&pointer, &format!("{key} is given twice")));
            }
            let text = (!value.is_empty()).then(|| value.clone().into_owned());
            match key.as_ref() {
                "email" => list.filter.email = text,
                "name" => list.filter.name = text,
                "search" => list.filter.search = text,
                "page" => list.page = number(&pointer, &value, usize::MAX)?,
                "per_page" => list.per_page = number(&pointer, &value, MAX_PER_PAGE)?,
                _ => {
                    return Err(invalid_request(
                        &pointer,
                        &format!("unknown parameter {key}"),
                    ));
                }
            }
        }
        Ok(list)
    }
}

/// A number from 1 to `max`, written in digits.
fn number(pointer: &str, value: &str, max: usize) -> Result<usize, Answer> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=max).contains(n) && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| invalid_request(pointer, &format!("must be a number from 1 to {max}")))
}

/// What a `revoke_user` body asks: the email and whether devices are signed out too.
fn revoke_request(request: &Request) -> Result<(String, bool), Answer> {
    let json = request
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    let body = serde_json::from_slice::<Value>(&request.body).ok();
    let Some(Value::Object(body)) = body.filter(|_| json) else {
        return Err(invalid_request(
            "/",
            "the body must be a JSON object sent as application/json",
        ));
    };
    if let Some(extra) = body
        .keys()
        .find(|k| !["email", "devices", "user_uid", "warp_session_reauth"].contains(&k.as_str()))
    {
        return Err(invalid_request(
            &format!("/{extra}"),
            &format!("unknown property {extra}"),
        ));
    }
    let flag = |body: &Map<String, Value>, key: &str| match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(on)) => Ok(Some(*on)),
        Some(_) => Err(invalid_request(
            &format!("/{key}"),
            &format!("{key} must be a boolean"),
        )),
    };
    flag(&body, "warp_session_reauth")?;
    if body.get("user_uid").is_some_and(|v| !v.is_string()) {
        return Err(invalid_request("/user_uid", "user_uid must be a string"));
    }
    let email = match body.get("email") {
        Some(Value::String(email)) if email.contains('@') => email.clone(),
        Some(_) => return Err(invalid_request("/email", "email must be an email address")),
        None => return Err(invalid_request("/email", "email is required")),
    };
    let in_query = url::form_urlencoded::parse(request.query.as_deref().unwrap_or("").as_bytes())
        .any(|(key, value)| key == "devices" && value == "true");
    let devices = flag(&body, "devices")?.unwrap_or(in_query);
    Ok((email, devices))
}

impl CfAccess {
    fn authenticate(&self, request: &Request) -> Result<(), Answer> {
        if let Some(value) = request.header("authorization") {
            let Some(token) = value.strip_prefix("Bearer ") else {
                return Err(invalid_headers(vec![message(
                    6111,
                    "Invalid format for Authorization header",
                )]));
            };
            if token != self.api_token {
                return Err(envelope_error(
                    403,
                    vec![message(10000, "Authentication error")],
                ));
            }
            return Ok(());
        }
        let email = request.header("x-auth-email");
        let key = request.header("x-auth-key");
        match (email, key) {
            (None, None) => Err(invalid_headers(vec![
                message(9106, "Missing X-Auth-Email header"),
                message(9107, "Missing X-Auth-Key header"),
            ])),
            (None, Some(_)) => Err(invalid_headers(vec![message(
                9106,
                "Missing X-Auth-Email header",
            )])),
            (Some(_), None) => Err(invalid_headers(vec![message(
                9107,
                "Missing X-Auth-Key header",
            )])),
            (Some(email), Some(key)) => {
                if !email.contains('@') {
                    return Err(invalid_headers(vec![message(
                        6102,
                        "Invalid format for X-Auth-Email header",
                    )]));
                }
                if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid_headers(vec![message(
                        6103,
                        "Invalid format for X-Auth-Key header",
                    )]));
                }
                if email != self.email || key != self.api_key {
                    return Err(envelope_error(
                        403,
                        vec![message(9103, "Unknown X-Auth-Key or X-Auth-Email")],
                    ));
                }
                Ok(())
            }
        }
    }

    /// The account segment, decoded, when it is this simulator's account.
    fn check_account(&self, raw: &str, path: &str) -> Result<(), Answer> {
        let account = decode_segment(raw).unwrap_or_default();
        if account == self.account_id {
            return Ok(());
        }
        let well_formed = account.len() == 32 && account.bytes().all(|b| b.is_ascii_hexdigit());
        Err(if well_formed {
            // A real account, not one these credentials may use.
            envelope_error(403, vec![message(10000, "Authentication error")])
        } else {
            could_not_route(path)
        })
    }

    fn list(&self, request: &Request) -> Answer {
        let query = match ListQuery::parse(request.query.as_deref()) {
            Ok(query) => query,
            Err(answer) => return answer,
        };
        let page = lock(&self.users).page(&query.filter, query.page, query.per_page);
        let count = page.records.len();
        Answer::json(
            200,
            &json!({
                "success": true,
                "errors": [],
                "messages": [],
                "result": page.records,
                "result_info": {
                    "page": query.page,
                    "per_page": page.per_page,
                    "count": count,
                    "total_count": page.total,
                },
            }),
        )
    }

    fn user(&self, request: &Request, segment: &str) -> Answer {
        let id = decode_segment(segment).unwrap_or_default();
        if !is_uuid(&id) {
            return could_not_route(&request.path);
        }
        let mut users = lock(&self.users);
        let answer = if request.method == "DELETE" {
            users.remove(&id).then(|| success(json!({})))
        } else {
            users.get(&id).map(|user| success(user.record()))
        };
        answer.unwrap_or_else(|| envelope_error(404, vec![message(1003, "Access user not found")]))
    }

    fn revoke(&self, request: &Request) -> Answer {
        match revoke_request(request) {
            Ok((email, devices)) => {
                lock(&self.users).revoke(&email, devices);
                success(json!(true))
            }
            Err(answer) => answer,
        }
    }
}

impl Behaviour for CfAccess {
    const NAME: &'static str = "cf-access";

    async fn create(local: SocketAddr) -> Created<CfAccess> {
        let vendor = CfAccess {
            base_url: format!("http://{local}{PREFIX}"),
            account_id: random_hex(32),
            api_token: random_hex(40),
            email: "offboarding-admin@example.com".to_owned(),
            api_key: random_hex(37),
            users: Mutex::new(Users::default()),
        };
        Ok((vendor, None))
    }

    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CLOUDFLARE_API_TOKEN", self.api_token.clone()),
            ("CLOUDFLARE_ACCOUNT_ID", self.account_id.clone()),
            ("CLOUDFLARE_BASE_URL", self.base_url.clone()),
        ]
    }

    fn is_delete(&self, request: &Request) -> bool {
        request.method == "DELETE"
            && route(&request.path).is_some_and(|(_, route)| matches!(route, Route::User(_)))
    }

    fn handle(&self, request: &Request) -> Answer {
        let Some((account, route)) = route(&request.path) else {
            return no_route();
        };
        if !route.allows(&request.method) {
            return envelope_error(
                405,
                vec![message(
                    7001,
                    &format!("Method {} not available for that URI.", request.method),
                )],
            );
        }
        if let Err(answer) = self
            .authenticate(request)
            .and_then(|()| self.check_account(account, &request.path))
        {
            return answer;
        }
        match route {
            Route::Users => self.list(request),
            Route::User(segment) => self.user(request, segment),
            Route::Revoke => self.revoke(request),
        }
    }

    fn decorate(&self, answer: &mut Answer) {
        if !answer.has_header("cf-ray") {
            answer
                .headers
                .push(("cf-ray".to_owned(), format!("{}-SIM", random_hex(16))));
        }
    }

    fn throttle(&self, retry_after_secs: u64) -> Fault {
        Fault::status(
            429,
            json!({
                "success": false,
                "errors": [message(971, "Please wait and consider throttling your request speed")],
                "messages": [],
                "result": null,
            })
            .to_string(),
        )
        .with_header("content-type", "application/json")
        .with_header("retry-after", retry_after_secs.to_string())
        .with_header("ratelimit", format!("\"default\";r=0;t={retry_after_secs}"))
        .with_header("ratelimit-policy", "\"default\";q=1200;w=300")
    }

    fn sample_body(&self, status: u16) -> (String, &'static str) {
        let body = if (200..300).contains(&status) {
            json!({ "success": true, "errors": [], "messages": [], "result": {} })
        } else {
            json!({
                "success": false,
                "errors": [message(10001, "service temporarily unavailable")],
                "messages": [],
                "result": null,
            })
        };
        (body.to_string(), "application/json")
    }

    fn add_user(&self, id: &str) -> String {
        let id = if is_uuid(id) {
            id.to_ascii_lowercase()
        } else {
            uuid()
        };
        let email = format!("user-{}@example.com", &id[..8]);
        let name = format!("User {}", &id[..8]);
        lock(&self.users).insert(AccessUser::new(id, &email, &name))
    }

    fn add_person(&self, email: &str) -> String {
        let name = name_from_email(email);
        lock(&self.users).insert(AccessUser::new(uuid(), email, &name))
    }

    fn new_user(&self) -> String {
        self.add_user("")
    }

    fn has_user(&self, id: &str) -> bool {
        lock(&self.users).get(id).is_some()
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}
