//! What a simulator remembers about every request it received.

use std::time::{Duration, Instant};

use crate::fault::Fault;
use crate::request::Request;

/// One request as the simulator received it, and how it was answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method (`DELETE`, `POST`, …).
    pub method: String,
    /// The path exactly as received: not percent-decoded, not normalised.
    pub path: String,
    /// The query string as received (without the `?`), if any.
    pub query: Option<String>,
    /// Every header, names in lower case, in the order received (values that are not
    /// UTF-8 are converted lossily).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When the request arrived (before its body was read).
    pub received_at: Instant,
    /// Whether the simulator counts it as a delete request.
    pub delete: bool,
    /// The fault it was given, if any.
    pub fault: Option<Fault>,
    /// The status answered, or `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// The `Retry-After` the answer announced, if any.
    pub retry_after: Option<Duration>,
    /// Whether the simulator's rate policy refused it (it got the throttling answer).
    pub rate_limited: bool,
}

impl RecordedRequest {
    /// The record of `request`, not answered yet.
    pub(crate) fn of(request: &Request, received_at: Instant, delete: bool) -> RecordedRequest {
        RecordedRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: request.body.to_vec(),
            received_at,
            delete,
            fault: None,
            status: None,
            retry_after: None,
            rate_limited: false,
        }
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// How many times header `name` (any case) was sent.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count()
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The parameters of the query string, then those of an
    /// `application/x-www-form-urlencoded` body, decoded (for RPC-style APIs such as
    /// Alibaba's).
    pub fn params(&self) -> Vec<(String, String)> {
        crate::request::form_params(
            self.query.as_deref(),
            self.header("content-type"),
            &self.body,
        )
    }

    /// The value of parameter `name` (see [`RecordedRequest::params`]).
    pub fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }
}
