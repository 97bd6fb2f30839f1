//! Cloudflare Zero Trust Access:
//! `DELETE {base}/accounts/{account_id}/access/users/{user_id}`.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::answer::Answer;
use crate::behaviour::{Behaviour, Created};
use crate::fault::Fault;
use crate::request::Request;
use crate::sim::Sim;
use crate::util::{decode_segment, lock, random_hex, segments_after, uuid};

/// Where the API lives under the server, as on `api.cloudflare.com`.
const PREFIX: &str = "/client/v4";

/// A strict simulator of Cloudflare Zero Trust Access's delete-user API.
///
/// - Base URL `http://127.0.0.1:{port}/client/v4`; route
///   `DELETE /client/v4/accounts/{account_id}/access/users/{user_id}`.
/// - Auth, exactly one of: `Authorization: Bearer <token>` (the scheme spelled `Bearer`, one
///   space), or both `X-Auth-Email` and `X-Auth-Key`. [`CfAccessSim::env`] hands out the
///   token; [`CfAccessSim::env_global_key`] the email and global key.
/// - Every answer is the envelope `{"success","errors","messages","result"}` with a
///   `cf-ray` header.
/// - User ids: [`CfAccessSim::add_user`] accepts any id as given; generated ids are UUIDs.
///   Deleting an unknown id answers 404 with code 1003.
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
    users: Mutex<HashSet<String>>,
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
            users: Mutex::new(HashSet::new()),
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
            && segments_after(&request.path, PREFIX).is_some_and(|s| {
                s.len() == 5 && s[0] == "accounts" && s[2] == "access" && s[3] == "users"
            })
    }

    fn handle(&self, request: &Request) -> Answer {
        let Some(segments) = segments_after(&request.path, PREFIX) else {
            return no_route();
        };
        let [accounts, account, access, users, user] = segments.as_slice() else {
            return no_route();
        };
        if *accounts != "accounts"
            || *access != "access"
            || *users != "users"
            || account.is_empty()
            || user.is_empty()
        {
            return no_route();
        }
        if request.method != "DELETE" {
            return envelope_error(
                405,
                vec![message(
                    7001,
                    &format!("Method {} not available for that URI.", request.method),
                )],
            );
        }
        if let Err(answer) = self.authenticate(request) {
            return answer;
        }
        let account = decode_segment(account).unwrap_or_default();
        if account != self.account_id {
            let well_formed = account.len() == 32 && account.bytes().all(|b| b.is_ascii_hexdigit());
            return if well_formed {
                // A real account, not one these credentials may use.
                envelope_error(403, vec![message(10000, "Authentication error")])
            } else {
                envelope_error(
                    400,
                    vec![message(
                        7003,
                        &format!(
                            "Could not route to {}, perhaps your object identifier is invalid?",
                            request.path
                        ),
                    )],
                )
            };
        }
        let removed = decode_segment(user).is_some_and(|id| lock(&self.users).remove(&id));
        if removed {
            Answer::json(
                200,
                &json!({ "success": true, "errors": [], "messages": [], "result": {} }),
            )
        } else {
            envelope_error(404, vec![message(1003, "Access user not found")])
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
        if id.is_empty() {
            return self.new_user();
        }
        lock(&self.users).insert(id.to_owned());
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
        lock(&self.users).contains(id)
    }

    fn user_count(&self) -> usize {
        lock(&self.users).len()
    }
}
