//! A response read in full (up to the body cap), ready for a vendor crate to classify.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind};

/// A vendor's answer to one attempt.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, at most `max_body_bytes` long.
    pub body: Bytes,
    /// Whether the body was longer than the cap and cut.
    pub truncated: bool,
}

impl Response {
    /// A response built by hand (for parsers' tests and benchmarks).
    pub fn new(status: u16, headers: HeaderMap, body: impl Into<Bytes>) -> Self {
        Response {
            status,
            headers,
            body: body.into(),
            truncated: false,
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value, when present and readable as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Parses the body as JSON; a body that is not the expected JSON (an HTML error page, a
    /// cut body) is an [`ErrorKind::Protocol`] error that says what arrived.
    pub fn json<T: DeserializeOwned>(&self, vendor: &'static str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            self.error(
                vendor,
                ErrorKind::Protocol,
                format!("unexpected response body: {}", self.describe_body()),
            )
            .with_source(e)
        })
    }

    /// Like [`Response::json`], for answers that carry a credential (token and login
    /// endpoints): the error describes the body's type and length but never quotes it.
    pub fn json_sensitive<T: DeserializeOwned>(&self, vendor: &'static str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            self.error(
                vendor,
                ErrorKind::Protocol,
                format!(
                    "unexpected response body: {} (not quoted: it may hold a credential)",
                    self.describe_body_shape()
                ),
            )
            // serde_json's error names a line and column, never the text.
            .with_source(e)
        })
    }

    /// The body's content type and length, without any of its content.
    pub fn describe_body_shape(&self) -> String {
        let content_type = self.header("content-type").unwrap_or("no content type");
        let cut = if self.truncated {
            ", cut at the size cap"
        } else {
            ""
        };
        format!("{} bytes of {content_type}{cut}", self.body.len())
    }

    /// An error carrying this response's status; vendor crates add their code and request id.
    pub fn error(
        &self,
        vendor: &'static str,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Error {
        Error::new(kind, vendor, message).with_status(self.status)
    }

    /// A short, printable description of the body, for error messages: its content type, its
    /// length, and its first characters with control characters removed.
    pub fn describe_body(&self) -> String {
        const SNIPPET: usize = 120;
        let content_type = self.header("content-type").unwrap_or("no content type");
        if self.body.is_empty() {
            return format!("empty body ({content_type})");
        }
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(SNIPPET * 4)]);
        let snippet: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(SNIPPET)
            .collect();
        let cut = if self.truncated {
            ", cut at the size cap"
        } else {
            ""
        };
        format!(
            "{} bytes of {content_type}{cut}: {:?}",
            self.body.len(),
            snippet.trim()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_bodies_are_never_quoted() {
        let cut = Response::new(200, HeaderMap::new(), r#"{"access_token":"tok-canary-123"#);
        let err = cut
            .json_sensitive::<serde_json::Value>("v")
            .err()
            .map(|e| format!("{e} {e:?}"))
            .unwrap_or_default();
        assert!(err.contains("Protocol") && err.contains("bytes"), "{err}");
        assert!(!err.contains("tok-canary"), "{err}");
        let quoted = cut
            .json::<serde_json::Value>("v")
            .err()
            .map(|e| e.to_string());
        assert!(quoted.unwrap_or_default().contains("tok-canary"));
    }
}
