//! The Control Room's sessions: logins by password or API key, renewals, logouts, and the
//! `X-Authorization` check every user-management call goes through.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{AaControlRoom, error, json_body};
use crate::answer::Answer;
use crate::request::Request;
use crate::util::{lock, random_alnum, random_hex, uuid};

/// About what a Control Room gives a token.
pub(super) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(20 * 60);

pub(super) struct TokenInfo {
    issued: Instant,
    username: String,
    by_password: bool,
}

pub(super) struct Tokens {
    pub(super) valid: HashMap<String, TokenInfo>,
    pub(super) lifetime: Duration,
}

impl Tokens {
    pub(super) fn new() -> Tokens {
        Tokens {
            valid: HashMap::new(),
            lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }
}

fn jwt_like() -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS512"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({ "sub": "1", "clientType": "WEB", "tenantUuid": uuid(), "nonce": random_hex(16) })
            .to_string(),
    );
    format!("{header}.{claims}.{}", random_alnum(86))
}

fn expired() -> Answer {
    error(
        401,
        "UM1118",
        Value::Null,
        "Access token is invalid or has expired",
    )
}

impl AaControlRoom {
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
        self.tokens_issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

    /// The `X-Authorization` check of every user-management call: missing → 401 `UM1117`
    /// (documented; `Authorization: Bearer` does not count), unknown or expired → 401.
    pub(super) fn authorize(&self, request: &Request) -> Result<(), Answer> {
        let Some(token) = request.header("x-authorization").filter(|t| !t.is_empty()) else {
            return Err(error(
                401,
                "UM1117",
                Value::Null,
                "Access token expected in the 'X-Authorization' header",
            ));
        };
        if self.token_valid(token) {
            Ok(())
        } else {
            Err(expired())
        }
    }

    pub(super) fn login(&self, request: &Request) -> Answer {
        let body = match json_body(request) {
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
        let body = match json_body(request) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        match body.get("token").and_then(Value::as_str) {
            Some(token) if self.token_valid(token) => then(token),
            _ => expired(),
        }
    }

    pub(super) fn renew(&self, request: &Request) -> Answer {
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

    pub(super) fn logout(&self, request: &Request) -> Answer {
        self.with_token(request, |token| {
            lock(&self.tokens).valid.remove(token);
            Answer::new(204)
        })
    }
}
