//! Shared helpers of the integration tests: clients against loopback servers, OneLogin's
//! answers, and a scripted server that can drop connections.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use httpmock::{Mock, MockServer};
use idp_core::test_util::fast_options;
use idp_core::{Account, TransportOptions, UserQuery};
use idp_onelogin::{ApiVersion, Client, Config};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const CLIENT_ID: &str = "my-client";
pub const SECRET: &str = "s3cret-canary";
pub const TOKEN_PATH: &str = "/auth/oauth2/v2/token";

/// `Basic base64(client_id:secret)`, as the token request must carry it.
pub fn basic() -> String {
    format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")))
}

pub fn config(base_url: &str, version: ApiVersion) -> Config {
    Config::new(base_url, CLIENT_ID, SECRET).with_api_version(version)
}

pub fn client_with(server: &MockServer, version: ApiVersion, options: TransportOptions) -> Client {
    Client::new(config(&server.base_url(), version), options).unwrap()
}

/// A client with fast retries and no pacing.
pub fn client(server: &MockServer, version: ApiVersion) -> Client {
    client_with(server, version, fast_options())
}

pub fn token_body(token: &str, expires_in: u64) -> Value {
    json!({
        "access_token": token,
        "created_at": "2015-11-11T03:36:18.714Z",
        "expires_in": expires_in,
        "refresh_token": "unused-refresh",
        "token_type": "bearer",
        "account_id": 555555
    })
}

/// A token endpoint that hands out `token` (10 hours) to a request of the documented shape.
pub async fn token_mock<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method("POST")
                .path(TOKEN_PATH)
                .header("authorization", basic())
                .header("content-type", "application/json")
                .json_body(json!({"grant_type": "client_credentials"}));
            then.status(200).json_body(token_body(token, 36000));
        })
        .await
}

/// A token endpoint that hands out `token` for its first request only.
pub async fn token_mock_once<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(200)
                .json_body(token_body(token, 36000))
                .up_to_n_times(1);
        })
        .await
}

/// The v1 `status` envelope.
pub fn v1_status(code: u16, kind: &str, message: Value) -> Value {
    json!({"status": {"error": code >= 400, "code": code, "type": kind, "message": message}})
}

pub fn v1_success() -> Value {
    v1_status(200, "success", json!("Success"))
}

/// v1's documented answer for a user that does not exist.
pub fn v1_not_found(id: u64) -> Value {
    v1_status(
        404,
        "not found",
        json!(format!("User for id {id} was not found")),
    )
}

/// The v2 error shape.
pub fn v2_error(code: u16, name: &str, message: &str) -> Value {
    json!({"message": message, "name": name, "statusCode": code})
}

/// v2's answer for a user that does not exist (exact text NOT CONFIRMED).
pub fn v2_not_found(id: u64) -> Value {
    v2_error(404, "NotFound", &format!("User for id {id} was not found"))
}

/// A user record as both versions describe it.
pub fn user(id: u64, email: &str) -> Value {
    json!({
        "id": id,
        "email": email,
        "username": email.split('@').next().unwrap_or(""),
        "firstname": "Jane",
        "lastname": "Doe",
        "status": 1,
        "state": 1,
        "directory_id": null
    })
}

/// A v1 list page: `{status, pagination, data}`.
pub fn v1_page(users: Vec<Value>, after_cursor: Option<&str>) -> Value {
    json!({
        "status": {"error": false, "code": 200, "type": "success", "message": "Success"},
        "pagination": {"before_cursor": null, "after_cursor": after_cursor,
                       "previous_link": null, "next_link": null},
        "data": users
    })
}

/// A v1 answer with one user record.
pub fn v1_record(record: Value) -> Value {
    json!({
        "status": {"error": false, "code": 200, "type": "success", "message": "Success"},
        "data": [record]
    })
}

pub fn email(value: &str) -> UserQuery {
    UserQuery::email(value).unwrap()
}

pub fn ids(accounts: &[Account]) -> Vec<&str> {
    accounts.iter().map(|a| a.user_id.as_str()).collect()
}

/// One scripted answer: a status and a JSON body, or a dropped connection.
#[derive(Clone)]
pub enum Answer {
    Json(u16, Value),
    Drop,
}

/// A loopback HTTP/1.1 server: the token endpoint always hands out a token; every other
/// request gets the next answer of its script (the last one repeats). Each connection
/// serves one request (`connection: close`), so a dropped connection is a fresh failure.
pub struct Scripted {
    pub base_url: String,
    /// `METHOD /path?query` of every request but the token's.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    pub async fn start(script: Vec<Answer>) -> Scripted {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        tokio::spawn(async move {
            let mut next = 0usize;
            while let Ok((mut stream, _)) = listener.accept().await {
                let line = read_request(&mut stream).await;
                let answer = if line.contains(TOKEN_PATH) {
                    Answer::Json(200, token_body("tok-scripted", 36000))
                } else {
                    log.lock().unwrap().push(line);
                    let answer = script[next.min(script.len() - 1)].clone();
                    next += 1;
                    answer
                };
                if let Answer::Json(status, body) = answer {
                    let body = body.to_string();
                    let head = format!(
                        "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(body.as_bytes()).await;
                }
                let _ = stream.shutdown().await;
            }
        });
        Scripted { base_url, requests }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Reads one request (head and `content-length` body); returns its request line.
async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return String::new(),
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let line = head.lines().next().unwrap_or("");
    line.rsplit_once(' ').map_or(line, |(l, _)| l).to_owned()
}
