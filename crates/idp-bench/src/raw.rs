//! The baseline: a plain `reqwest` loop sending the same HTTP requests the vendor clients send
//! (same method, path, headers and body), with the same concurrency, and only checking the
//! status. No retries, no timeouts per attempt, no parsing of the answer: the practical limit
//! of any Rust client on this machine. What the protocol itself demands is done as a
//! hand-written client would: one token or login per run (OneLogin, Control Room), one JWT
//! per run (RSA, as idp caches it), and for Alibaba a fresh nonce and signature per request.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;
use idp::Vendor;
use idp::reqwest::{self, Method};

use crate::fixtures::{self, ALIBABA_ACCESS_KEY_ID, ALIBABA_DIRECTORY_ID, ALIBABA_SECURITY_TOKEN};
use crate::run::Tally;

/// A `User-Agent` as long as the one idp sends.
const USER_AGENT: &str = "idp-bench-raw/0.1.0 idp-core/0.1.0";

/// How a vendor's delete request is made, prepared once per run.
enum Shape {
    /// `DELETE {prefix}{id}` with these headers.
    Delete {
        prefix: String,
        headers: Vec<(&'static str, String)>,
    },
    /// Alibaba's RPC call: `POST {url}` with a form body signed afresh for every request
    /// (a new nonce, the current time, HMAC-SHA1), as the API requires: it refuses a nonce it
    /// has seen, so an unsigned or replayed body would not be the same request.
    Signed { url: String },
}

/// Prepares `vendor`'s request shape: one token or login for the run, like the clients.
async fn shape(
    http: &reqwest::Client,
    vendor: Vendor,
    server: &str,
    dir: &Path,
) -> Result<Shape, String> {
    let base = format!("{server}{}", fixtures::path_prefix(vendor));
    let json = ("accept", "application/json".to_owned());
    Ok(match vendor {
        Vendor::RsaCas => {
            let path = crate::keys::key_file_path(dir);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("key file: {e}"))?;
            let pem = value["accessKey"].as_str().unwrap_or_default();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let jwt = crate::keys::rsa_jwt(pem, now)?;
            Shape::Delete {
                prefix: format!("{base}/AdminInterface/restapi/v1/users/"),
                headers: vec![
                    ("authorization", format!("Bearer {jwt}")),
                    json,
                    ("content-type", "application/json".to_owned()),
                ],
            }
        }
        Vendor::CfAccess => Shape::Delete {
            prefix: format!(
                "{base}/client/v4/accounts/{}/access/users/",
                fixtures::CF_ACCOUNT_ID
            ),
            headers: vec![
                json,
                (
                    "authorization",
                    format!("Bearer {}", fixtures::CF_API_TOKEN),
                ),
            ],
        },
        Vendor::OneLogin => {
            let answer: serde_json::Value = post_json(
                http.post(format!("{base}/auth/oauth2/v2/token"))
                    .basic_auth(
                        fixtures::ONELOGIN_CLIENT_ID,
                        Some(fixtures::ONELOGIN_CLIENT_SECRET),
                    )
                    .header("content-type", "application/json")
                    .body(r#"{"grant_type":"client_credentials"}"#),
            )
            .await?;
            let token = answer["access_token"].as_str().unwrap_or_default();
            Shape::Delete {
                prefix: format!("{base}/api/1/users/"),
                headers: vec![("authorization", format!("bearer:{token}"))],
            }
        }
        Vendor::AaControlRoom => {
            let body = serde_json::json!({
                "username": fixtures::AA_USERNAME,
                "apiKey": fixtures::AA_API_KEY,
            });
            let answer: serde_json::Value = post_json(
                http.post(format!("{base}/v1/authentication"))
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(body.to_string()),
            )
            .await?;
            let token = answer["token"].as_str().unwrap_or_default().to_owned();
            Shape::Delete {
                prefix: format!("{base}/v1/usermanagement/users/"),
                headers: vec![json, ("x-authorization", token)],
            }
        }
        _ => Shape::Signed {
            url: format!("{base}/"),
        },
    })
}

async fn post_json(request: reqwest::RequestBuilder) -> Result<serde_json::Value, String> {
    let response = request
        .header("user-agent", USER_AGENT)
        .send()
        .await
        .map_err(|e| format!("login request failed: {e}"))?;
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("login answer: {e}"))?;
    serde_json::from_slice(&body).map_err(|e| format!("login answer is not JSON: {e}"))
}

impl Shape {
    fn request(&self, http: &reqwest::Client, id: &str) -> reqwest::RequestBuilder {
        match self {
            Shape::Delete { prefix, headers } => {
                let mut request = http
                    .request(Method::DELETE, format!("{prefix}{id}"))
                    .header("user-agent", USER_AGENT);
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                request
            }
            Shape::Signed { url } => http
                .post(url)
                .header("user-agent", USER_AGENT)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(alibaba_body(id)),
        }
    }
}

/// A plain, straightforward implementation of Alibaba's RPC signature (not idp's), as a
/// hand-written client would have it: the signed form body of a `DeleteUser` call.
fn alibaba_body(user_id: &str) -> String {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');

    let nonce = uuid::Uuid::new_v4().to_string();
    let timestamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut params = [
        ("AccessKeyId", ALIBABA_ACCESS_KEY_ID),
        ("Action", "DeleteUser"),
        ("DirectoryId", ALIBABA_DIRECTORY_ID),
        ("Format", "JSON"),
        ("SecurityToken", ALIBABA_SECURITY_TOKEN),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", nonce.as_str()),
        ("SignatureVersion", "1.0"),
        ("Timestamp", timestamp.as_str()),
        ("UserId", user_id),
        ("Version", idp::alibaba_cloudsso::API_VERSION),
    ];
    params.sort_by(|a, b| a.0.cmp(b.0));
    let query = params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, SET),
                utf8_percent_encode(v, SET)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("POST&%2F&{}", utf8_percent_encode(&query, SET));
    let key = format!("{}&", fixtures::ALIBABA_ACCESS_KEY_SECRET);
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("{query}&Signature={}", utf8_percent_encode(&signature, SET))
}

/// Sends one delete per id, `concurrency` at a time, and counts the 2xx answers.
pub async fn run(
    vendor: Vendor,
    server: &str,
    dir: &Path,
    ids: impl Iterator<Item = String> + Send,
    concurrency: usize,
) -> Result<Tally, String> {
    // The same settings idp's transport uses: no redirects, 10 s connect timeout.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("reqwest client: {e}"))?;
    let shape = shape(&http, vendor, server, dir).await?;
    let (http, shape) = (&http, &shape);
    let mut tally = Tally::default();
    let mut answers = std::pin::pin!(
        stream::iter(ids)
            .map(|id| async move {
                let response = shape.request(http, &id).send().await?;
                let status = response.status();
                response.bytes().await?;
                Ok::<_, reqwest::Error>(status)
            })
            .buffer_unordered(concurrency.max(1))
    );
    while let Some(answer) = answers.next().await {
        match answer {
            Ok(status) if status.is_success() => tally.ok += 1,
            Ok(status) => tally.fail(format!("HTTP {status}")),
            Err(e) => tally.fail(e.to_string()),
        }
    }
    Ok(tally)
}
