//! Helpers shared by idp-core's integration tests: a vendor that maps answers by status only,
//! and one DELETE call tagged with its attempt number.

#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use idp_core::{Api, Error, ErrorKind, Response, Sent, Transport, TransportOptions};

pub use idp_core::test_util::{ManualClock, NoJitter, fast_options, manual_options};

pub const VENDOR: &str = "test-vendor";

/// A vendor whose errors are their status's usual meaning, quoting the body (so tests can
/// see what the scrubber removes).
pub struct TestApi;

impl Api for TestApi {
    fn name(&self) -> &'static str {
        VENDOR
    }
    fn product(&self) -> &'static str {
        "idp-core-tests/0"
    }
    fn request_id_headers(&self) -> &'static [&'static str] {
        &["x-request-id"]
    }
    fn parse_error(&self, response: &Response) -> Error {
        let body = String::from_utf8_lossy(&response.body).into_owned();
        response
            .error(
                ErrorKind::from_status(response.status),
                format!("failed: {body}"),
            )
            .with_code(response.header("x-code").unwrap_or("none").to_owned())
    }
}

pub fn transport(options: TransportOptions) -> Transport {
    Transport::new(TestApi, options).unwrap()
}

/// Sends one DELETE to `url`, tagging each attempt with an `x-attempt` header; a 2xx is
/// its status.
pub async fn delete(transport: &Transport, url: &str) -> Result<Sent<u16>, Error> {
    transport
        .send(
            "delete_user",
            |attempt| {
                Ok(transport
                    .http()
                    .delete(url)
                    .header("x-attempt", attempt.number.to_string()))
            },
            |response| Ok(response.status),
        )
        .await
}
