//! Helpers shared by idp-core's integration tests.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use idp_core::{
    Error, ErrorKind, ManualClock, NoJitter, Response, RetryPolicy, Sent, Transport,
    TransportOptions,
};

pub const VENDOR: &str = "test-vendor";

/// Options for fast, deterministic tests: a manual clock (waits return at once and are
/// recorded) and no jitter.
pub fn manual_options(clock: &ManualClock) -> TransportOptions {
    TransportOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_jitter(Arc::new(NoJitter))
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(100)))
}

pub fn transport(options: TransportOptions) -> Transport {
    Transport::new(VENDOR, "idp-core-tests/0", options).unwrap()
}

/// A parser that accepts 2xx and maps everything else by status.
pub fn by_status(response: &Response) -> Result<u16, Error> {
    if response.is_success() {
        Ok(response.status)
    } else {
        Err(response.error(VENDOR, ErrorKind::from_status(response.status), "failed"))
    }
}

/// Sends one DELETE to `url`, tagging each attempt with an `x-attempt` header.
pub async fn delete(transport: &Transport, url: &str) -> Result<Sent<u16>, Error> {
    transport
        .send(
            "delete_user",
            |attempt| {
                let request = transport
                    .http()
                    .delete(url)
                    .header("x-attempt", attempt.to_string());
                async move { Ok(request) }
            },
            by_status,
        )
        .await
}
