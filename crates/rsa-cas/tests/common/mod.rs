//! Shared by the integration tests: a key generated once per test binary (never a committed
//! private key), key files, clients on a manual clock, JWT checks with the public half, RSA's
//! answer bodies, and a scripted loopback server for calls whose answers change over time.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use httpmock::HttpMockRequest;
use idp_core::test_util::{ManualClock, manual_options};
use idp_core::{Account, AccountStatus, ManagedBy, TransportOptions};
use idp_rsa_cas::{Client, Config, KeyFile};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const ACCESS_ID: &str = "5c1d2f3e-test-access-id";
pub const CUSTOMER: &str = "Acme Test Customer";
pub const API: &str = "/AdminInterface/restapi";
pub const USERS: &str = "/AdminInterface/restapi/v1/users";
pub const LOOKUP: &str = "/AdminInterface/restapi/v1/users/lookup";
pub const USER: &str = "eb2e12ae-1112-451b-98e1-dfe4e6afd60d";
pub const EMAIL: &str = "jane.doe@example.com";

/// 2023-11-14T22:13:20Z: any fixed wall time makes `iat` predictable.
pub const T0: u64 = 1_700_000_000;

pub struct TestKey {
    /// PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`), as RSA's key files hold it.
    pub pkcs1_pem: String,
    /// PKCS#8 (`-----BEGIN PRIVATE KEY-----`) of the same key.
    pub pkcs8_pem: String,
    /// SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    pub public_pem: String,
    /// PKCS#1 public key (`-----BEGIN RSA PUBLIC KEY-----`).
    pub public_pkcs1_pem: String,
}

/// One 2048-bit key per test binary: RSA key generation is the slow part of these tests.
pub fn test_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let public = private.to_public_key();
        TestKey {
            pkcs1_pem: private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
            pkcs8_pem: private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            public_pem: public.to_public_key_pem(LineEnding::LF).unwrap(),
            public_pkcs1_pem: public.to_pkcs1_pem(LineEnding::LF).unwrap(),
        }
    })
}

/// A line from the middle of the private key's base64 body: if it shows up in any output,
/// the key leaked.
pub fn private_key_canary() -> String {
    let lines: Vec<&str> = test_key().pkcs1_pem.lines().collect();
    lines[lines.len() / 2].to_owned()
}

/// Panics when `text` holds any line of the private key's body (or the key's PEM as a whole).
pub fn assert_no_key(text: &str) {
    for line in test_key()
        .pkcs1_pem
        .lines()
        .chain(test_key().pkcs8_pem.lines())
        .filter(|l| !l.starts_with("-----"))
    {
        assert!(!text.contains(line), "private key leaked: {text}");
    }
    assert!(!text.contains("-----END"), "private key leaked: {text}");
}

/// A key file as RSA's console makes it, with `adminRestApiUrl` = `url`.
pub fn key_json(url: &str) -> String {
    json!({
        "customerName": CUSTOMER,
        "accessID": ACCESS_ID,
        "description": "idp tests",
        "accessKey": test_key().pkcs1_pem,
        "adminRestApiUrl": url,
    })
    .to_string()
}

pub fn key_file(url: &str) -> KeyFile {
    KeyFile::from_json(&key_json(url)).unwrap_or_else(|e| panic!("{e}"))
}

pub fn manual_clock() -> ManualClock {
    ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0))
}

/// Transport options for tests: the manual clock (waits return at once and are recorded),
/// no jitter, `retries` retries, and one HTTP client per test binary (building one, with its
/// TLS roots, is the slow part of making a client).
pub fn options(clock: &ManualClock, retries: u32) -> TransportOptions {
    manual_options(clock)
        .with_max_retries(retries)
        .with_http_client(shared_http())
}

fn shared_http() -> idp_core::reqwest::Client {
    static HTTP: OnceLock<idp_core::reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(|| {
        // No pooling: each test has its own runtime, and a pooled connection belongs to one.
        idp_core::transport::default_http_client_builder(Duration::from_secs(5))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    })
    .clone()
}

/// A client whose key file names `admin_rest_api_url` and whose requests go there too.
pub fn client(admin_rest_api_url: &str, clock: &ManualClock, retries: u32) -> Client {
    Client::new(
        Config::new(key_file(admin_rest_api_url)),
        options(clock, retries),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

/// Checks the JWT's header byte for byte, its RS256 signature with the public half of the
/// test key, and its audience; returns its claims. Panics when any check fails.
pub fn verify_jwt(jwt: &str, audience: &str) -> Claims {
    try_verify_jwt(jwt, audience).unwrap_or_else(|e| panic!("JWT did not verify: {e}"))
}

pub fn try_verify_jwt(jwt: &str, audience: &str) -> Result<Claims, String> {
    let header = jwt.split('.').next().ok_or("no header")?;
    let header = URL_SAFE_NO_PAD.decode(header).map_err(|e| e.to_string())?;
    let header = String::from_utf8(header).map_err(|e| e.to_string())?;
    if header != r#"{"typ":"JWT","alg":"RS256"}"# {
        return Err(format!("unexpected header {header}"));
    }
    let key = DecodingKey::from_rsa_pem(test_key().public_pem.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "aud"]);
    // The manual clock's times are in the past; expiry is checked from the claims instead.
    validation.validate_exp = false;
    jsonwebtoken::decode::<Claims>(jwt, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

/// Every distinct bearer token a mock server saw (a matcher may run more than once per
/// request, so this is a set; count requests with the mock's hits).
#[derive(Clone, Default)]
pub struct SeenTokens(Arc<Mutex<HashSet<String>>>);

impl SeenTokens {
    /// An `is_true` matcher that records the request's bearer token and matches any request.
    pub fn recorder(&self) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let seen = self.0.clone();
        move |req: &HttpMockRequest| {
            let token = req
                .headers_vec()
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .and_then(|(_, value)| value.strip_prefix("Bearer "))
                .map(str::to_owned);
            if let Some(token) = token {
                seen.lock().unwrap().insert(token);
            }
            true
        }
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().cloned().collect()
    }
}

pub fn wall_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

// ---- RSA's answers ----------------------------------------------------------------------

/// RSA's own "no such user" (third-party capture).
pub fn not_found_body(who: &str) -> String {
    json!({"code": "404 NOT_FOUND", "description": format!("User {who} not found")}).to_string()
}

/// A 409 in RSA's shape.
pub fn conflict_body(reason: &str) -> String {
    json!({"code": "409 CONFLICT", "description": reason}).to_string()
}

/// A lookup answer as the vendor example has it.
pub fn user_record(
    id: &str,
    email: &str,
    status: &str,
    mark_deleted: bool,
    source: &str,
) -> String {
    json!({
        "id": id,
        "emailAddress": email,
        "firstName": "Jane",
        "lastName": "Doe",
        "creationDate": "2018-03-01T10:00:00.000+0000",
        "identitySource": source,
        "userStatus": status,
        "markDeleted": mark_deleted,
        "highRiskUser": false,
        "markDeletedAt": null,
    })
    .to_string()
}

/// The documented answer to `PUT …/userStatus`.
pub fn disabled_body(id: &str) -> String {
    json!({"id": id, "userStatus": "Disabled"}).to_string()
}

/// The account `find_users` would give for `user_record(USER, EMAIL, status, mark_deleted,
/// "Corporate AD")`.
pub fn account(status: AccountStatus, user_status: &str, mark_deleted: bool) -> Account {
    Account {
        user_id: USER.to_owned(),
        email: Some(EMAIL.to_owned()),
        username: None,
        display_name: Some("Jane Doe".to_owned()),
        status,
        managed_by: ManagedBy::Directory,
        vendor: serde_json::from_str(&user_record(
            USER,
            EMAIL,
            user_status,
            mark_deleted,
            "Corporate AD",
        ))
        .unwrap(),
    }
}

// ---- A scripted loopback server ---------------------------------------------------------

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
    }

    /// `"METHOD /path"`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What the server answers one request with.
#[derive(Debug, Clone)]
pub enum Reply {
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request, then close the connection without answering.
    Drop,
}

impl Reply {
    pub fn typed(status: u16, content_type: &str, body: impl Into<String>) -> Reply {
        Reply::Answer {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::typed(status, "application/json", body)
    }

    pub fn empty(status: u16) -> Reply {
        Reply::Answer {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Answer { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

/// A loopback HTTP/1.1 server that answers each request from a handler (or a script, one
/// reply per request in order) and records every request. httpmock cannot answer the same
/// request differently over time; retries and step sequences need that.
pub struct Server {
    base: String,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Answers the n-th request with `replies[n]`; past the script, with a 599 that no test
    /// expects.
    pub async fn script(replies: Vec<Reply>) -> Server {
        Server::handler(move |n, _| {
            replies
                .get(n)
                .cloned()
                .unwrap_or_else(|| Reply::typed(599, "text/plain", "unscripted request"))
        })
        .await
    }

    /// Answers every request with `handler(n, request)`.
    pub async fn handler(
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let next = Arc::new(AtomicUsize::new(0));
        let server_log = log.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (log, handler, next) = (server_log.clone(), handler.clone(), next.clone());
                tokio::spawn(async move {
                    serve(stream, log, handler, next).await;
                });
            }
        });
        Server { base, log }
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The base URL in the short form, `…/AdminInterface/restapi`.
    pub fn api(&self) -> String {
        self.url(API)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// `"METHOD /path"` of every request, in order.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Seen::line).collect()
    }
}

async fn serve(
    mut stream: tokio::net::TcpStream,
    log: Arc<Mutex<Vec<Seen>>>,
    handler: Arc<Handler>,
    next: Arc<AtomicUsize>,
) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let body = String::from_utf8_lossy(&data[head_end..]).into_owned();
    let seen = Seen {
        method,
        path,
        headers,
        body,
    };
    let reply = {
        let mut log = log.lock().unwrap();
        log.push(seen.clone());
        handler(next.fetch_add(1, Ordering::SeqCst), &seen)
    };
    let Reply::Answer {
        status,
        headers,
        body,
    } = reply
    else {
        return;
    };
    let mut answer = format!(
        "HTTP/1.1 {status} Scripted\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}
