//! Shared by the `alibaba_cloudsso_*` tests: real clients for a simulator (V3, V2, on a
//! manual clock), accounts, and hand-made V3 requests signed with the client crate's signer
//! (so the simulator's own verifier is checked against an independent implementation), for
//! what no correct client sends.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use idp_alibaba_cloudsso::{__signing, Client, Config, SignatureVersion};
use idp_core::test_util::{ManualClock, fast_options, manual_options};
use idp_core::{Account, AccountStatus, ManagedBy, TransportOptions};
use idp_sim::AlibabaCloudSsoSim;
use serde_json::Value;

pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The simulator's variables as the client reads them (V3, the default).
pub fn config(sim: &AlibabaCloudSsoSim) -> Config {
    Config::from_lookup(sim.lookup()).unwrap()
}

pub fn client_with(config: Config, options: TransportOptions) -> Client {
    Client::new(config, options).unwrap()
}

/// The default client (V3), retries after 1 ms.
pub fn client(sim: &AlibabaCloudSsoSim) -> Client {
    client_with(config(sim), fast_options())
}

/// A client signing with V2 (HMAC-SHA1), as `ALIBABA_CLOUD_SIGNATURE_VERSION=v2` asks.
pub fn client_v2(sim: &AlibabaCloudSsoSim) -> Client {
    let mut env = sim.env();
    env.push(("ALIBABA_CLOUD_SIGNATURE_VERSION", "v2".to_owned()));
    let config = Config::from_lookup(idp_sim::lookup_in(env)).unwrap();
    assert_eq!(config.signature_version(), SignatureVersion::V2);
    client_with(config, fast_options())
}

/// A V3 client on a manual clock whose wall time starts at `wall`: waits (task polls, the
/// delete's back-off, retries) take no time and are recorded.
pub fn manual_client_at(sim: &AlibabaCloudSsoSim, wall: SystemTime) -> (Client, ManualClock) {
    let clock = ManualClock::new(wall);
    (client_with(config(sim), manual_options(&clock)), clock)
}

/// [`manual_client_at`] starting now.
pub fn manual_client(sim: &AlibabaCloudSsoSim) -> (Client, ManualClock) {
    manual_client_at(sim, SystemTime::now())
}

/// An account as a lookup gives it, for the steps.
pub fn account(id: &str, managed_by: ManagedBy) -> Account {
    Account {
        user_id: id.to_owned(),
        email: None,
        username: None,
        display_name: None,
        status: AccountStatus::Enabled,
        managed_by,
        vendor: Value::Null,
    }
}

/// A request made by hand: every part can be changed after signing.
#[derive(Debug, Clone)]
pub struct HandMade {
    pub method: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The current time as Alibaba writes it, `offset_secs` away.
pub fn date(offset_secs: i64) -> String {
    let now = SystemTime::now();
    let at = if offset_secs >= 0 {
        now + Duration::from_secs(offset_secs.unsigned_abs())
    } else {
        now - Duration::from_secs(offset_secs.unsigned_abs())
    };
    __signing::timestamp(at)
}

pub fn fresh_nonce() -> String {
    format!("{:032x}", fastrand::u128(..))
}

impl HandMade {
    /// A V3 `POST /` of `action` with `params` (and the `DirectoryId`) in the query, dated
    /// now with a fresh nonce, unsigned.
    pub fn v3(sim: &AlibabaCloudSsoSim, action: &str, params: &[(&str, &str)]) -> HandMade {
        let mut query = vec![("DirectoryId".to_owned(), sim.directory_id().to_owned())];
        query.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut headers = vec![
            ("host".to_owned(), sim.addr().to_string()),
            ("x-acs-action".to_owned(), action.to_owned()),
            ("x-acs-version".to_owned(), "2021-05-15".to_owned()),
            ("x-acs-date".to_owned(), date(0)),
            ("x-acs-signature-nonce".to_owned(), fresh_nonce()),
            ("x-acs-content-sha256".to_owned(), EMPTY_SHA256.to_owned()),
        ];
        if let Some(token) = sim.security_token() {
            headers.push((
                "x-acs-accesskey-id".to_owned(),
                sim.access_key_id().to_owned(),
            ));
            headers.push(("x-acs-security-token".to_owned(), token));
        }
        HandMade {
            method: "POST".to_owned(),
            query,
            headers,
            body: Vec::new(),
        }
    }

    /// Replaces (or adds) header `name`.
    pub fn set(mut self, name: &str, value: &str) -> HandMade {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds `Authorization`, signed with `key_id` and `secret` over the request as it is.
    pub fn signed_with(self, key_id: &str, secret: &str) -> HandMade {
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let payload = self
            .headers
            .iter()
            .find(|(k, _)| k == "x-acs-content-sha256")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let authorization = __signing::authorization_v3(
            &self.method,
            "/",
            &query,
            &headers,
            &payload,
            key_id,
            secret,
        );
        self.set("authorization", &authorization)
    }

    /// Signed with the simulator's credentials.
    pub fn signed(self, sim: &AlibabaCloudSsoSim) -> HandMade {
        let (id, secret) = (
            sim.access_key_id().to_owned(),
            sim.access_key_secret().to_owned(),
        );
        self.signed_with(&id, &secret)
    }

    /// Sends it; the status and the JSON body.
    pub async fn send(&self, sim: &AlibabaCloudSsoSim) -> (u16, Value) {
        let pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let query = __signing::canonical_query(&pairs);
        let url = format!("{}/?{query}", sim.base_url());
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).unwrap();
        let mut request = http().request(method, url).body(self.body.clone());
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// One plain HTTP client for every hand-made request (building one is slow).
fn http() -> &'static reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(reqwest::Client::new)
}

/// The `Code` of an error body ("" for a success).
pub fn code(body: &Value) -> &str {
    body["Code"].as_str().unwrap_or("")
}
