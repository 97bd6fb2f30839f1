//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use httpmock::MockServer;
use idp_cf_access::{Auth, Client, Config};
use idp_core::{Account, AccountStatus, ManagedBy};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use idp_core::test_util::{ManualClock, manual_options};

pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const USER: &str = "f174e90a-fafe-4643-bbbc-4a0ed4fc8415";
pub const OTHER_USER: &str = "0c6a1d3e-8b2f-4e7a-9d51-3f2b6c8e1a90";
pub const TOKEN: &str = "canary-token-Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQ";
pub const KEY: &str = "canary-key-144c9defac04969c7bfad8efaa8ea194";
pub const EMAIL: &str = "admin@example.com";
pub const PERSON: &str = "jane.doe@example.com";
pub const RAY: &str = "8f2c1d0e9a7b6c5d-LHR";

pub const OK_BODY: &str = r#"{"success":true,"errors":[],"messages":[],"result":{}}"#;

/// Cloudflare's answer for an unknown Access user, as the simulator gives it (the exact code
/// is not confirmed).
pub fn user_not_found() -> String {
    failure(1003, "Access user not found")
}

/// The path of `user` (already encoded) in the test account.
pub fn user_path(user: &str) -> String {
    format!("/client/v4/accounts/{ACCOUNT}/access/users/{user}")
}

/// The path of the user listing.
pub fn users_path() -> String {
    format!("/client/v4/accounts/{ACCOUNT}/access/users")
}

/// The path of `revoke_user`.
pub fn revoke_path() -> String {
    format!("/client/v4/accounts/{ACCOUNT}/access/organizations/revoke_user")
}

/// A failure envelope with one error.
pub fn failure(code: i64, message: &str) -> String {
    json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null
    })
    .to_string()
}

/// A success envelope with `result`.
pub fn success(result: Value) -> String {
    json!({"success": true, "errors": [], "messages": [], "result": result}).to_string()
}

/// An Access user record as the listing returns it.
pub fn record(id: &str, email: &str) -> Value {
    json!({
        "id": id,
        "email": email,
        "name": "Jane Doe",
        "access_seat": true,
        "gateway_seat": false,
        "active_device_count": 1,
        "seat_uid": "seat-1",
        "uid": "uid-1",
    })
}

/// A page of the user listing.
pub fn page(records: &[Value]) -> String {
    json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": records,
        "result_info": {"page": 1, "per_page": 50, "count": records.len(), "total_count": 1},
    })
    .to_string()
}

/// An account as `find_users` would return it, for step tests.
pub fn account(id: &str, email: Option<&str>) -> Account {
    Account {
        user_id: id.to_owned(),
        email: email.map(str::to_owned),
        username: None,
        display_name: None,
        status: AccountStatus::Unknown,
        managed_by: ManagedBy::Directory,
        vendor: Value::Null,
    }
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

/// A client for a base URL (the scripted server's).
pub fn client_for(base_url: &str, clock: &ManualClock) -> Client {
    Client::new(
        Config::new(ACCOUNT, Auth::api_token(TOKEN)).with_base_url(format!("{base_url}/client/v4")),
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

/// What a [`scripted`] server does with one connection.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// Reads the request and closes the connection without answering.
    Drop,
    /// Answers with this status, headers and body.
    Answer(u16, Vec<(&'static str, String)>, String),
}

impl Scripted {
    /// A JSON answer.
    pub fn json(status: u16, body: impl Into<String>) -> Scripted {
        Scripted::Answer(status, Vec::new(), body.into())
    }
}

/// A loopback server that handles its n-th connection as `script[n]` (one request per
/// connection, `Connection: close`), recording each request (head and body). httpmock
/// cannot drop a connection, nor answer the same request differently over time.
pub async fn scripted(script: Vec<Scripted>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    tokio::spawn(async move {
        for step in script {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let request = read_request(&mut stream).await;
            seen.lock().unwrap().push(request);
            if let Scripted::Answer(status, headers, body) = step {
                let mut head = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        }
    });
    (base, log)
}

/// One HTTP/1.1 request, head and body (by `content-length`), as text.
async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break;
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}
