//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use httpmock::MockServer;
use idp_cf_access::{Auth, Client, Config};
use idp_core::{ManualClock, NoJitter, RetryPolicy, TransportOptions};

pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const USER: &str = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415";
pub const TOKEN: &str = "canary-token-Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQ";
pub const KEY: &str = "canary-key-144c9defac04969c7bfad8efaa8ea194";
pub const EMAIL: &str = "admin@example.com";
pub const RAY: &str = "8f2c1d0e9a7b6c5d-LHR";

pub const OK_BODY: &str = r#"{"success":true,"errors":[],"messages":[],"result":{}}"#;

/// The path of a delete of `user` (already encoded) in the test account.
pub fn user_path(user: &str) -> String {
    format!("/client/v4/accounts/{ACCOUNT}/access/users/{user}")
}

/// A failure envelope with one error.
pub fn failure(code: i64, message: &str) -> String {
    serde_json::json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null
    })
    .to_string()
}

/// Fast, deterministic transport options: waits are recorded on `clock`, not slept, and
/// back-off has no jitter.
pub fn manual_options(clock: &ManualClock) -> TransportOptions {
    TransportOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_jitter(Arc::new(NoJitter))
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
}

pub fn config(server: &MockServer, auth: Auth) -> Config {
    Config::new(ACCOUNT, auth).with_base_url(server.url("/client/v4"))
}

pub fn token_client(server: &MockServer, clock: &ManualClock) -> Client {
    Client::new(
        config(server, Auth::api_token(TOKEN)),
        manual_options(clock),
    )
    .unwrap()
}

/// A lookup over a fixed set of variables, instead of the process environment.
pub fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |key| map.get(key).cloned()
}
