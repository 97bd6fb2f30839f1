//! Shared by the integration tests: a key generated once per test binary (never a committed
//! private key), key files, clients on a manual clock, and JWT checks with the public half.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use httpmock::HttpMockRequest;
use idp_core::{ManualClock, NoJitter, RetryPolicy, TransportOptions};
use idp_rsa_cas::{Client, Config, KeyFile};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use serde::Deserialize;

pub const ACCESS_ID: &str = "5c1d2f3e-test-access-id";
pub const CUSTOMER: &str = "Acme Test Customer";

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

/// A key file as RSA's console makes it, with `adminRestApiUrl` = `url`.
pub fn key_json(url: &str) -> String {
    serde_json::json!({
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

/// Transport options for tests: the manual clock, no jitter, `retries` retries.
pub fn options(clock: &ManualClock, retries: u32) -> TransportOptions {
    TransportOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_jitter(Arc::new(NoJitter))
        .with_retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_retries(retries),
        )
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
            if let Some(token) = bearer(req) {
                seen.lock().unwrap().insert(token);
            }
            true
        }
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().cloned().collect()
    }
}

/// The bearer token of a request, if it has an `Authorization: Bearer …` header.
pub fn bearer(req: &HttpMockRequest) -> Option<String> {
    req.headers_vec()
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.strip_prefix("Bearer "))
        .map(str::to_owned)
}

pub fn wall_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A loopback HTTP/1.1 server that answers its n-th request with `statuses[n]` (empty body,
/// `Connection: close`) and records each request's head. httpmock cannot answer the same
/// request differently over time; retry tests need that.
pub async fn scripted_server(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(Mutex::new(Vec::new()));
    let log = served.clone();
    tokio::spawn(async move {
        for status in statuses {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let answer = format!(
                "HTTP/1.1 {status} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (base, served)
}
