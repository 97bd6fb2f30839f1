#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod assignment;
mod client;
mod config;
mod error;
mod find;
mod ids;
mod model;
mod reads;
mod rpc;
mod sign;
mod steps;
mod task;

pub use assignment::AssignmentTarget;
pub use client::Client;
pub use config::{
    Config, DEFAULT_REGION, ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_DIRECTORY_ID,
    ENV_ENDPOINT, ENV_REGION_ID, ENV_SECURITY_TOKEN, ENV_SIGNATURE_VERSION, MAX_ID_CHARS,
    RequestStyle, SignatureVersion, VARIABLES,
};
pub use error::CloudSsoApi;
pub use find::DIRECTORY_MAX_AGE;
pub use rpc::API_VERSION;
pub use steps::DELETE_RETRY_MAX_WAIT;
pub use task::TASK_MAX_WAIT;

/// The vendor name, as in errors and the command-line tool's output.
pub const VENDOR: &str = "alibaba-cloudsso";

/// **Not part of the API** (exempt from semver, may change or go at any release): the
/// signers, for idp's own benchmarks and tests. Callers sign nothing themselves: the
/// [`Client`] signs every attempt.
#[doc(hidden)]
pub mod __signing {
    /// The V2 (HMAC-SHA1 RPC) `Signature` of `params` (a `Signature` among them ignored).
    pub fn sign_v2(method: &str, params: &[(&str, &str)], access_key_secret: &str) -> String {
        crate::sign::v2::sign_rpc(method, params, access_key_secret)
    }

    /// The V3 `Authorization` header value of a request: `query` as name/value pairs,
    /// `headers` as sent (only `host`, `content-type` and `x-acs-*` are signed),
    /// `payload_hash` the hex SHA-256 of the body.
    pub fn authorization_v3(
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        payload_hash: &str,
        access_key_id: &str,
        access_key_secret: &str,
    ) -> String {
        let query = crate::sign::canonical_query(query);
        let request = crate::sign::v3::Signable {
            method,
            path,
            query: &query,
            headers,
            payload_hash,
        };
        crate::sign::v3::authorization(&request, access_key_id, access_key_secret)
    }

    /// The canonical query both signatures share (sorted, RFC 3986 encoded).
    pub fn canonical_query(params: &[(&str, &str)]) -> String {
        crate::sign::canonical_query(params)
    }

    /// RFC 3986 percent-encoding as both signatures use it.
    pub fn percent_encode(value: &str) -> String {
        crate::sign::percent_encode(value)
    }

    /// A V2 `Timestamp` / V3 `x-acs-date` value.
    pub fn timestamp(at: std::time::SystemTime) -> String {
        crate::sign::timestamp(at)
    }
}
