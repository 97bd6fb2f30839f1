//! The baseline: a plain `reqwest` loop sending the same HTTP requests the vendor clients send
//! (same method, path, headers and body), with the same concurrency, and only checking the
//! status. No retries, no timeouts per attempt, no parsing of the answer: the practical limit
//! of any Rust client on this machine. What the protocol itself demands is done as a
//! hand-written client would: one token or login per run (OneLogin, Control Room), one JWT
//! per run (RSA, as idp caches it), and for Alibaba a fresh nonce, date and signature
//! (V3, `ACS3-HMAC-SHA256`, the client's default) per request.

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
    /// Alibaba's RPC call: `POST {url}?{query}` signed afresh for every request (a new
    /// nonce, the current time, V3's canonical request and HMAC-SHA256), as the API requires:
    /// it refuses a nonce it has seen, so an unsigned or replayed request would not be the
    /// same request.
    Signed {
        /// The endpoint, ending in `/`.
        url: String,
    },
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
            Shape::Signed { url } => alibaba_request(http, url, &BENCH_KEY, id),
        }
    }
}

/// What the raw loop signs an Alibaba call with.
#[derive(Debug, Clone, Copy)]
pub struct AlibabaKey<'a> {
    /// The AccessKey id.
    pub id: &'a str,
    /// The AccessKey secret.
    pub secret: &'a str,
    /// The STS security token, when the key is temporary.
    pub token: Option<&'a str>,
    /// The CloudSSO directory.
    pub directory_id: &'a str,
}

/// The benchmark's STS key, the one the clients are configured with.
const BENCH_KEY: AlibabaKey<'static> = AlibabaKey {
    id: ALIBABA_ACCESS_KEY_ID,
    secret: fixtures::ALIBABA_ACCESS_KEY_SECRET,
    token: Some(ALIBABA_SECURITY_TOKEN),
    directory_id: ALIBABA_DIRECTORY_ID,
};

/// A plain, straightforward implementation of Alibaba's signature V3 (not idp's), as a
/// hand-written client would have it: a `DeleteUser` call to the endpoint `url` (ending in
/// `/`), its parameters in the query.
pub fn alibaba_request(
    http: &reqwest::Client,
    url: &str,
    key: &AlibabaKey<'_>,
    user_id: &str,
) -> reqwest::RequestBuilder {
    use hmac::{KeyInit, Mac};
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    use sha2::{Digest, Sha256};
    const SET: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');

    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let date = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let query = format!(
        "DirectoryId={}&UserId={}",
        utf8_percent_encode(key.directory_id, SET),
        utf8_percent_encode(user_id, SET)
    );
    let payload = hex::encode(Sha256::digest(b""));
    let host = url
        .split("//")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    // Sorted by name, as the canonical request lists them.
    let mut headers = vec![("host", host)];
    if let Some(token) = key.token {
        headers.push(("x-acs-accesskey-id", key.id));
        headers.push(("x-acs-security-token", token));
    }
    headers.extend([
        ("x-acs-action", "DeleteUser"),
        ("x-acs-content-sha256", payload.as_str()),
        ("x-acs-date", date.as_str()),
        ("x-acs-signature-nonce", nonce.as_str()),
        ("x-acs-version", idp::alibaba_cloudsso::API_VERSION),
    ]);
    headers.sort_unstable();
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let names = headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!("POST\n/\n{query}\n{canonical_headers}\n{names}\n{payload}");
    let to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key.secret.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let mut request = http
        .post(format!("{url}?{query}"))
        .header("user-agent", USER_AGENT)
        .header("accept", "application/json")
        .header(
            "authorization",
            format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders={names},Signature={signature}",
                key.id
            ),
        );
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
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
