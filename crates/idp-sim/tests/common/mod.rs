//! Shared by the integration tests: transport options that make retries fast, a plain HTTP
//! client for hand-made requests, and signing helpers for the strictness tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idp_core::{
    Account, Error, ErrorKind, Offboarder, PlannedStep, Presence, Step, StepContext, StepReport,
    TransportOptions, UserQuery,
};
use serde_json::Value;

/// An email query (the tests' addresses are valid).
pub fn email(value: &str) -> UserQuery {
    UserQuery::email(value).unwrap()
}

/// The one account `address` finds.
pub async fn only_account<O: Offboarder>(client: &O, address: &str) -> Account {
    let mut found = client.find_users(&email(address)).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

/// Runs `step` on the account itself.
pub async fn run_on_account<O: Offboarder>(
    client: &O,
    account: &Account,
    step: Step,
) -> Result<StepReport, Error> {
    client
        .run_step(
            account,
            &PlannedStep::on_account(step, account),
            &StepContext::none(),
        )
        .await
}

/// `verify` while the account is still there: the read says present, the step fails as a
/// conflict, and its check says not done.
pub async fn assert_verify_refused_while_present<O: Offboarder>(client: &O, account: &Account) {
    assert_eq!(client.verify(account).await.unwrap(), Presence::Present);
    let verify = PlannedStep::on_account(Step::Verify, account);
    let err = client
        .run_step(account, &verify, &StepContext::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        client.step_done(account, &verify).await.unwrap(),
        Some(false)
    );
}

/// A OneLogin access token, asked for by hand with the simulator's client credentials.
pub async fn onelogin_token(sim: &idp_sim::OneLoginSim) -> String {
    let reply = send(
        http()
            .post(format!("{}/auth/oauth2/v2/token", sim.base_url()))
            .basic_auth(sim.client_id(), Some(sim.client_secret()))
            .header("content-type", "application/json")
            .body(r#"{"grant_type":"client_credentials"}"#),
    )
    .await;
    reply.json["access_token"].as_str().unwrap().to_owned()
}

/// Retries as the default policy does, but after 1 ms instead of 500 ms; no pacing.
pub fn fast() -> TransportOptions {
    idp_core::test_util::fast_options()
}

/// No retries at all.
pub fn no_retry() -> TransportOptions {
    fast().with_max_retries(0)
}

/// A client that never follows redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Status, headers and JSON body (Null when not JSON) of an answer.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Signs a JWT with the RSA private key in a key file's JSON (RS256, PKCS#1 v1.5).
pub fn sign_jwt(key_file_json: &str, header: &Value, claims: &Value) -> String {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs1v15::SigningKey;
    use rsa::sha2::Sha256;
    use rsa::signature::{SignatureEncoding, Signer};

    let key_file: Value = serde_json::from_str(key_file_json).unwrap();
    let pem = key_file["accessKey"].as_str().unwrap();
    let private = rsa::RsaPrivateKey::from_pkcs1_pem(pem).unwrap();
    let signing = SigningKey::<Sha256>::new(private);
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signing.sign(signed.as_bytes()).to_vec();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[allow(clippy::too_many_arguments)]
/// Alibaba RPC parameters for `DeleteUser`, signed with the client crate's public signer
/// (so the simulator's own verifier is checked against an independent implementation).
pub fn alibaba_params(
    method: &str,
    access_key_id: &str,
    secret: &str,
    directory_id: &str,
    user_id: &str,
    nonce: &str,
    timestamp: &str,
    token: Option<&str>,
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("Action", "DeleteUser"),
        ("Version", "2021-05-15"),
        ("Format", "JSON"),
        ("AccessKeyId", access_key_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", timestamp),
        ("DirectoryId", directory_id),
        ("UserId", user_id),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    if let Some(token) = token {
        params.push(("SecurityToken".to_owned(), token.to_owned()));
    }
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signature = idp_alibaba_cloudsso::__signing::sign_v2(method, &pairs, secret);
    params.push(("Signature".to_owned(), signature));
    params
}

/// `k=v&…`, RFC 3986-encoded.
pub fn form(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                idp_alibaba_cloudsso::__signing::percent_encode(k),
                idp_alibaba_cloudsso::__signing::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The current UTC time as Alibaba wants it.
pub fn alibaba_timestamp(offset_secs: i64) -> String {
    let now = SystemTime::now();
    let at = if offset_secs >= 0 {
        now + Duration::from_secs(offset_secs.unsigned_abs())
    } else {
        now - Duration::from_secs(offset_secs.unsigned_abs())
    };
    idp_alibaba_cloudsso::__signing::timestamp(at)
}
