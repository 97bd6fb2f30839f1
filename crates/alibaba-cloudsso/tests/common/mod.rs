//! Test-side verifiers of Alibaba's two signatures, written from the specification and sharing
//! no code with the crate's signers (their own RFC 3986 encoder, byte by byte, their own
//! decoder, sorting, canonical request and string to sign; only the hash primitives are the
//! same RustCrypto crates), plus helpers for loopback tests: a client for an httpmock server,
//! CloudSSO's answers, and a front that drops a connection.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use httpmock::HttpMockRequest;
use httpmock::prelude::*;
use idp_alibaba_cloudsso::{Client, Config, SignatureVersion};
use idp_core::test_util::{ManualClock, fast_options, manual_options};
use idp_core::{Account, AccountStatus, ManagedBy, Secret, TransportOptions};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const KEY_ID: &str = "LTAI-test-key";
pub const SECRET: &str = "secret-CANARY-7f3a";
pub const TOKEN: &str = "sts-token/CANARY+9==";
pub const DIRECTORY: &str = "d-00fc2p61abcd";
pub const USER: &str = "u-00q8wbq42wiltcrkabcd";
/// 2016-02-23T12:46:24Z
pub const WALL: u64 = 1_456_231_584;
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// --- the independent verifiers -------------------------------------------------------------

/// RFC 3986: keep `ALPHA / DIGIT / "-" / "." / "_" / "~"`, `%XX` (upper-case hex) for every
/// other byte of the UTF-8 encoding.
pub fn rfc3986(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_uppercase()
            || byte.is_ascii_lowercase()
            || byte.is_ascii_digit()
            || matches!(byte, b'-' | b'.' | b'_' | b'~');
        if unreserved {
            out.push(char::from(byte));
        } else {
            write!(out, "%{byte:02X}").unwrap();
        }
    }
    out
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
pub fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// Splits `a=b&c=d` into decoded pairs, in order.
pub fn parse_pairs(encoded: &str) -> Vec<(String, String)> {
    if encoded.is_empty() {
        return Vec::new();
    }
    encoded
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

/// `name=value&…`, sorted by name (byte order, stable), both encoded.
fn sorted_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted
        .iter()
        .map(|(name, value)| format!("{}={}", rfc3986(name), rfc3986(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The V2 signature the specification gives for `params` (any `Signature` among them
/// skipped).
pub fn expected_signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    let unsigned: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .cloned()
        .collect();
    let canonical = sorted_query(&unsigned);
    let string_to_sign = format!("{method}&{}&{}", rfc3986("/"), rfc3986(&canonical));
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether the V2 `Signature` among `params` is right for the others.
pub fn signature_ok(method: &str, params: &[(String, String)], secret: &str) -> bool {
    let Some(given) = value(params, "Signature") else {
        return false;
    };
    given == expected_signature(method, params, secret)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The V3 `Authorization` value the specification gives.
pub fn expected_authorization(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    payload_hash: &str,
    key_id: &str,
    secret: &str,
) -> String {
    let mut signed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if name == "host" || name == "content-type" || name.starts_with("x-acs-") {
            signed
                .entry(name)
                .or_default()
                .push(value.trim().to_owned());
        }
    }
    let mut canonical_headers = String::new();
    for (name, values) in &mut signed {
        values.sort();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let names = signed.keys().cloned().collect::<Vec<_>>().join(";");
    let uri = if path.is_empty() {
        "/".to_owned()
    } else {
        path.replace('+', "%20")
            .replace('*', "%2A")
            .replace("%7E", "~")
    };
    let canonical = [
        method.to_owned(),
        uri,
        sorted_query(query),
        canonical_headers,
        names.clone(),
        payload_hash.to_owned(),
    ]
    .join("\n");
    let to_sign = format!("ACS3-HMAC-SHA256\n{}", sha256_hex(canonical.as_bytes()));
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    format!("ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={names},Signature={signature}")
}

/// The value of `name`, if present exactly once.
pub fn value<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = params.iter().filter(|(n, _)| n == name);
    let first = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(first.1.as_str())
}

/// The request's URL query parameters.
pub fn query(req: &HttpMockRequest) -> Vec<(String, String)> {
    parse_pairs(req.uri().query().unwrap_or(""))
}

/// Every parameter a request carried: the URL query and a form body, merged.
pub fn request_params(req: &HttpMockRequest) -> Vec<(String, String)> {
    let mut params = query(req);
    params.extend(parse_pairs(&req.body_string()));
    params
}

/// A request header's value (the first one), by case-insensitive name.
pub fn header(req: &HttpMockRequest, name: &str) -> Option<String> {
    req.headers_vec()
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// Whether the request is correctly V2-signed with `secret`, as the server checks it.
pub fn v2_signed(req: &HttpMockRequest, secret: &str) -> bool {
    signature_ok(req.method().as_str(), &request_params(req), secret)
}

/// Whether the request is correctly V3-signed with the test key pair, as the server checks
/// it: the body's hash, every signed header, the signature.
pub fn v3_signed(req: &HttpMockRequest, secret: &str) -> bool {
    let body_hash = sha256_hex(req.body_ref());
    if header(req, "x-acs-content-sha256").as_deref() != Some(body_hash.as_str()) {
        return false;
    }
    let headers: Vec<(String, String)> = req.headers_vec().clone();
    let expected = expected_authorization(
        req.method().as_str(),
        req.uri().path(),
        &query(req),
        &headers,
        &body_hash,
        KEY_ID,
        secret,
    );
    header(req, "authorization").as_deref() == Some(expected.as_str())
}

// --- clients and answers ---------------------------------------------------------------------

pub fn config(server: &MockServer) -> Config {
    Config::new(KEY_ID, Secret::new(SECRET), DIRECTORY).with_endpoint(server.base_url())
}

pub fn client(server: &MockServer) -> Client {
    Client::new(config(server), fast_options()).unwrap()
}

pub fn client_v2(server: &MockServer) -> Client {
    let config = config(server).with_signature_version(SignatureVersion::V2);
    Client::new(config, fast_options()).unwrap()
}

/// A client on a manual clock starting at [`WALL`]: waits take no time and are recorded.
pub fn manual_client(server: &MockServer) -> (Client, ManualClock) {
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(WALL));
    let client = Client::new(config(server), manual_options(&clock)).unwrap();
    (client, clock)
}

/// Options whose HTTP client opens a new connection for every request (for [`drop_first`]).
pub fn no_reuse(options: TransportOptions) -> TransportOptions {
    let http = idp_core::transport::default_http_client_builder(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    options.with_http_client(http)
}

/// A successful answer: `RequestId` plus `fields`.
pub fn ok(fields: Value) -> Value {
    let mut body = json!({"RequestId": "OK-REQ-1"});
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        body.extend(fields.clone());
    }
    body
}

/// CloudSSO's error body.
pub fn error_body(code: &str, message: &str) -> Value {
    json!({
        "RequestId": format!("REQ-{code}"),
        "HostId": "cloudsso.cn-shanghai.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}"),
    })
}

/// A user record.
pub fn user(id: &str, name: &str, email: &str) -> Value {
    json!({
        "UserId": id,
        "UserName": name,
        "DisplayName": format!("Display {name}"),
        "Email": email,
        "Status": "Enabled",
        "ProvisionType": "Manual",
    })
}

/// The account `find_users` would give for `record`.
pub fn account(id: &str) -> Account {
    Account {
        user_id: id.to_owned(),
        email: None,
        username: None,
        display_name: None,
        status: AccountStatus::Enabled,
        managed_by: ManagedBy::Local,
        vendor: Value::Null,
    }
}

// --- faults ----------------------------------------------------------------------------------

// CORE-CANDIDATE: a connection-dropping front belongs in `idp_core::test_util` beside the
// manual clock, for every vendor's "dropped connection" fault tests.
/// A loopback front for `upstream` (an httpmock base URL) that closes, unanswered, the first
/// connection whose request is the CloudSSO action `action` (`x-acs-action`, or `Action=` in
/// the query for V2), and forwards everything else. Use it with [`no_reuse`], so that every
/// request arrives on a connection of its own.
pub async fn drop_first(upstream: &str, action: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let markers = [
        format!("x-acs-action: {}\r\n", action.to_ascii_lowercase()),
        format!("action={}&", action.to_ascii_lowercase()),
        format!("action={} ", action.to_ascii_lowercase()),
    ];
    let dropped = Arc::new(AtomicBool::new(false));
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let upstream = upstream.clone();
            let markers = markers.clone();
            let dropped = dropped.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match inbound.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if markers.iter().any(|m| text.contains(m.as_str()))
                    && !dropped.swap(true, Ordering::SeqCst)
                {
                    return; // closes the connection without an answer
                }
                let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream.as_str()).await
                else {
                    return;
                };
                if outbound.write_all(&head).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    base
}
