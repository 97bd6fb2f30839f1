//! OneLogin, the simplest vendor, as the CLI tests stand it up: its environment, its v1
//! bodies, a token endpoint on an httpmock server, and a stand-in on the loopback server
//! (for slow, held or counted answers).
//!
//! `POST /auth/oauth2/v2/token` → `{"access_token", "expires_in"}`; `DELETE /api/1/users/{id}`
//! → 200 with `{"status": {"error": false, …}}`; its not-found is a 404 saying "User for id N
//! was not found".

use std::collections::{BTreeMap, BTreeSet};

use httpmock::prelude::*;
use serde_json::{Value, json};

use super::loopback::{Exchange, Latch, Reply, Request, Server};

/// The client id every test configures.
pub const CLIENT_ID: &str = "client-id";
/// The client secret every test configures (a canary: it must never be printed).
pub const SECRET: &str = "client-secret-canary-4d1f";
/// The access token every token endpoint hands out (a canary too).
pub const TOKEN: &str = "access-token-canary-9b2e";

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/auth/oauth2/v2/token";
/// The v1 delete path of every user, without the id.
pub const USERS_PATH: &str = "/api/1/users/";

/// The variables of a OneLogin client at `base_url`.
pub fn env(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ONELOGIN_CLIENT_ID", CLIENT_ID.into()),
        ("ONELOGIN_CLIENT_SECRET", SECRET.into()),
        ("ONELOGIN_BASE_URL", base_url.into()),
    ]
}

/// A v1 status envelope (`error` is true for any code but 200).
pub fn status(code: u16, message: &str) -> Value {
    json!({"status": {"error": code != 200, "code": code, "type": "t", "message": message}})
}

/// The body of a successful delete.
pub fn success() -> Value {
    json!({"status": {"error": false, "code": 200, "type": "success", "message": "Success"}})
}

/// OneLogin's own not-found answer for `id`.
pub fn not_found(id: &str) -> Value {
    json!({"status": {"error": true, "code": 404, "type": "not found",
                      "message": format!("User for id {id} was not found")}})
}

/// The token answer with this lifetime.
pub fn token_body(expires_in: u64) -> Value {
    json!({"access_token": TOKEN, "expires_in": expires_in, "token_type": "bearer"})
}

/// A token endpoint on `server` handing out [`TOKEN`] for ten hours.
pub fn mock_token(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(200).json_body(token_body(36000));
    })
}

/// A mock counting every delete on `server`, whatever the id (answers a success).
pub fn mock_any_delete(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(DELETE).path_prefix(USERS_PATH);
        then.status(200).json_body(success());
    })
}

/// A OneLogin stand-in on the loopback server: the token endpoint answers [`TOKEN`] for
/// ten hours, each `DELETE /api/1/users/{id}` is answered by `delete` (which may sleep or
/// wait), anything else is a plain 404.
pub fn stand_in(delete: impl Fn(&str, &Request) -> Reply + Send + Sync + 'static) -> Server {
    stand_in_with_token(token_body(36000), delete)
}

/// [`stand_in`] with its own token answer.
pub fn stand_in_with_token(
    token: Value,
    delete: impl Fn(&str, &Request) -> Reply + Send + Sync + 'static,
) -> Server {
    Server::start(move |request| {
        if request.method == "POST" && request.target == TOKEN_PATH {
            return Reply::json(200, &token);
        }
        match deleted_id(request) {
            Some(id) => delete(id, request),
            None => Reply::text(404, "no such route"),
        }
    })
}

/// The id of a v1 delete request.
pub fn deleted_id(request: &Request) -> Option<&str> {
    (request.method == "DELETE")
        .then(|| request.target.strip_prefix(USERS_PATH))
        .flatten()
}

/// The ids the server answered 200 to a delete of, the answer fully written.
pub fn deleted_on_server(exchanges: &[Exchange]) -> BTreeSet<String> {
    exchanges
        .iter()
        .filter(|e| e.status == Some(200) && e.written)
        .filter_map(|e| deleted_id(&e.request).map(str::to_owned))
        .collect()
}

/// How many delete requests each id got.
pub fn deletes_per_id(exchanges: &[Exchange]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in exchanges.iter().filter_map(|e| deleted_id(&e.request)) {
        *counts.entry(id.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// How many delete requests arrived.
pub fn delete_count(exchanges: &[Exchange]) -> usize {
    exchanges
        .iter()
        .filter(|e| deleted_id(&e.request).is_some())
        .count()
}

/// How many token requests arrived.
pub fn token_count(exchanges: &[Exchange]) -> usize {
    exchanges
        .iter()
        .filter(|e| e.request.method == "POST" && e.request.target == TOKEN_PATH)
        .count()
}

/// A stand-in holding users `1..=count`: a delete answers (after `delay`) 200 for a user that
/// exists and removes it, and OneLogin's 404 for one that does not (any more). With `hold`
/// `(free, latch)`, the deletes after the first `free` wait for the latch before they are
/// carried out.
pub fn stand_in_with_users(
    count: u32,
    delay: std::time::Duration,
    hold: Option<(usize, Latch)>,
) -> Server {
    let users = std::sync::Mutex::new((1..=count).collect::<BTreeSet<u32>>());
    let started = std::sync::atomic::AtomicUsize::new(0);
    stand_in(move |id, _| {
        std::thread::sleep(delay);
        if let Some((free, latch)) = &hold
            && started.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= *free
        {
            latch.wait();
        }
        let existed = id.parse::<u32>().is_ok_and(|n| {
            users
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&n)
        });
        if existed {
            Reply::json(200, &success())
        } else {
            Reply::json(404, &not_found(id))
        }
    })
}

/// The ids `1..=count`, one per line (an id file).
pub fn id_lines(count: u32) -> String {
    (1..=count).map(|id| format!("{id}\n")).collect()
}
