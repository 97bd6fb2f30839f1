//! Shared helpers for the integration tests: a mock Control Room, clients for it, and a proxy
//! that drops chosen requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use httpmock::Mock;
use httpmock::prelude::*;
use idp_aa_controlroom::{ApiVersion, Client, Config, Credentials};
use idp_core::test_util::fast_options;
use idp_core::{Account, TransportOptions};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const USERNAME: &str = "offboard-bot";
pub const API_KEY: &str = "api-key-CANARY";
pub const PASSWORD: &str = "password-CANARY";

pub fn client_at(url: &str, credentials: Credentials, options: TransportOptions) -> Client {
    Client::new(Config::new(url, credentials), options).unwrap()
}

pub fn client_with(
    server: &MockServer,
    credentials: Credentials,
    options: TransportOptions,
) -> Client {
    client_at(&server.base_url(), credentials, options)
}

/// An API-key client against `server`, API v1, fast retries.
pub fn api_key_client(server: &MockServer) -> Client {
    client_with(
        server,
        Credentials::api_key(USERNAME, API_KEY),
        fast_options(),
    )
}

pub fn v2_client(server: &MockServer) -> Client {
    let config = Config::new(server.base_url(), Credentials::api_key(USERNAME, API_KEY))
        .with_api_version(ApiVersion::V2);
    Client::new(config, fast_options()).unwrap()
}

/// `POST /v1/authentication` with the API-key body, answering `token`.
pub async fn login<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    login_at(server, "/v1/authentication", token).await
}

pub async fn login_at<'a>(server: &'a MockServer, path: &str, token: &str) -> Mock<'a> {
    let token = token.to_owned();
    let path = path.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path(path)
                .header("content-type", "application/json")
                .json_body(json!({ "username": USERNAME, "apiKey": API_KEY }));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({ "token": token, "user": { "id": 1, "username": USERNAME } }));
        })
        .await
}

/// `POST /v1/authentication` answering 401 "Invalid credentials", whatever the body.
pub async fn refused_login(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/authentication");
            then.status(401)
                .json_body(error_body("UM1103", "Invalid credentials"));
        })
        .await
}

/// `POST /v1/authentication/logout` with `{"token": token}`, answering 204.
pub async fn logout<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    let token = token.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/authentication/logout")
                .header("content-type", "application/json")
                .json_body(json!({ "token": token }));
            then.status(204);
        })
        .await
}

/// `DELETE /v1/usermanagement/users/{id}` with `X-Authorization: token`, answering `status`
/// with `body` (none when `null`).
pub async fn delete<'a>(
    server: &'a MockServer,
    id: u64,
    token: &str,
    status: u16,
    body: Value,
) -> Mock<'a> {
    let token = token.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(DELETE)
                .path(format!("/v1/usermanagement/users/{id}"))
                .header("x-authorization", token);
            answer(then, status, body);
        })
        .await
}

/// Any DELETE to a user with `X-Authorization: token`, answering 200 with that user's id.
pub async fn delete_any<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    let token = token.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(DELETE)
                .path_prefix("/v1/usermanagement/users/")
                .header("x-authorization", token);
            then.status(204);
        })
        .await
}

/// `GET /v1/usermanagement/users/{id}` answering `status` with `body`.
pub async fn get_user<'a>(server: &'a MockServer, id: u64, status: u16, body: Value) -> Mock<'a> {
    server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(format!("/v1/usermanagement/users/{id}"))
                .header("x-authorization", "tok");
            answer(then, status, body);
        })
        .await
}

/// `PUT /v1/usermanagement/users/{id}` with exactly `expected` as the body, answering
/// `status` with `body`.
pub async fn put_user<'a>(
    server: &'a MockServer,
    id: u64,
    expected: Value,
    status: u16,
    body: Value,
) -> Mock<'a> {
    server
        .mock_async(move |when, then| {
            when.method(PUT)
                .path(format!("/v1/usermanagement/users/{id}"))
                .header("x-authorization", "tok")
                .header("content-type", "application/json")
                .json_body(expected);
            answer(then, status, body);
        })
        .await
}

/// `POST /v1/usermanagement/users/list` with exactly `expected`, answering 200 with `list`
/// and the page totals.
pub async fn list_page<'a>(
    server: &'a MockServer,
    expected: Value,
    list: Value,
    total: u64,
    total_filter: u64,
) -> Mock<'a> {
    server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/usermanagement/users/list")
                .header("x-authorization", "tok")
                .json_body(expected);
            then.status(200).json_body(json!({
                "page": { "offset": 0, "total": total, "totalFilter": total_filter },
                "list": list,
            }));
        })
        .await
}

/// The list request body with an `eq` filter on `field`.
pub fn filtered(field: &str, value: &str, offset: u64) -> Value {
    json!({
        "filter": { "operator": "eq", "field": field, "value": value },
        "page": { "offset": offset, "length": 100 },
    })
}

/// The list request body without a filter.
pub fn unfiltered(offset: u64) -> Value {
    json!({ "page": { "offset": offset, "length": 100 } })
}

fn answer(then: httpmock::Then, status: u16, body: Value) {
    if body.is_null() {
        then.status(status);
    } else {
        then.status(status)
            .header("content-type", "application/json")
            .json_body(body);
    }
}

/// A user record shaped as the vendor documents it.
pub fn user(id: u64, username: &str, email: &str) -> Value {
    json!({
        "id": id, "email": email, "username": username, "domain": null,
        "firstName": "Jane", "lastName": "Doe", "version": 3, "principalId": id,
        "deleted": false, "roles": [{ "id": 2, "name": "AAE_Basic", "version": 0 }],
        "licenseFeatures": ["RUNTIME"], "emailVerified": true, "passwordSet": true,
        "questionsSet": true, "enableAutoLogin": false, "disabled": false,
        "clientRegistered": false, "description": "bot runner", "createdBy": 1,
        "createdOn": "2024-01-02T03:04:05Z", "updatedBy": 1, "updatedOn": "2024-01-02T03:04:05Z"
    })
}

/// `n` users with ids from `first`, none matching any test query.
pub fn filler(first: u64, n: u64) -> Vec<Value> {
    (first..first + n)
        .map(|id| user(id, &format!("user{id}"), &format!("user{id}@example.com")))
        .collect()
}

/// The account `record` describes, as `find_users` would return it.
pub fn account_of(record: &Value) -> Account {
    Account {
        user_id: record["id"].to_string(),
        email: record["email"].as_str().map(str::to_owned),
        username: record["username"].as_str().map(str::to_owned),
        display_name: Some("Jane Doe".into()),
        status: idp_core::AccountStatus::Enabled,
        managed_by: idp_core::ManagedBy::Local,
        vendor: record.clone(),
    }
}

/// The Control Room's error body.
pub fn error_body(code: &str, message: &str) -> Value {
    json!({ "code": code, "details": null, "message": message })
}

/// Matches everything no other mock did (create it last): tests assert it is never hit.
pub async fn catch_all(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(418).body("unexpected request");
        })
        .await
}

/// A proxy in front of `upstream` that closes the connection without an answer for the
/// first `times` requests whose request line starts with `prefix` (`"PUT /v1/…"`), and
/// forwards everything else (one request per connection). Returns its base URL and the
/// count of dropped requests.
pub async fn dropping_proxy(
    upstream: &MockServer,
    prefix: &str,
    times: usize,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = *upstream.address();
    let prefix = prefix.as_bytes().to_vec();
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&dropped);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (prefix, counter) = (prefix.clone(), Arc::clone(&counter));
            tokio::spawn(async move {
                let _ = relay(client, upstream, &prefix, &counter, times).await;
            });
        }
    });
    (format!("http://{address}"), dropped)
}

async fn relay(
    mut client: TcpStream,
    upstream: std::net::SocketAddr,
    prefix: &[u8],
    dropped: &AtomicUsize,
    times: usize,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
    };
    if head.starts_with(prefix)
        && dropped
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < times).then_some(n + 1)
            })
            .is_ok()
    {
        return Ok(());
    }
    // One request per connection, so every request is seen here.
    let mut forwarded = head[..end].to_vec();
    forwarded.extend_from_slice(b"\r\nconnection: close");
    forwarded.extend_from_slice(&head[end..]);
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&forwarded).await?;
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}
