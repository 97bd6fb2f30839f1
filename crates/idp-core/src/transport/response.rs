//! A response read in full (up to the body cap), ready for a vendor crate to classify.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind};
use crate::text::{clip, printable};

/// The longest request id kept; longer values are not request ids.
const MAX_REQUEST_ID_CHARS: usize = 128;

/// A vendor's answer to one attempt of one operation.
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
    /// The operation this answers (`"delete_user"`, `"token"`, …).
    pub operation: &'static str,
    /// Which attempt of the operation this answers (1-based).
    pub attempt: u32,
    request_id: Option<String>,
}

impl Response {
    /// A response built by hand (for parsers' tests and benchmarks), as attempt 1 of
    /// `"test"`; the request id is read from `request_id_headers`.
    pub fn new(status: u16, headers: HeaderMap, body: impl Into<Bytes>) -> Self {
        Response {
            status,
            headers,
            body: body.into(),
            truncated: false,
            operation: "test",
            attempt: 1,
            request_id: None,
        }
    }

    /// Sets the operation and attempt (what the transport does for every answer).
    pub fn for_operation(mut self, operation: &'static str, attempt: u32) -> Self {
        self.operation = operation;
        self.attempt = attempt;
        self
    }

    /// Reads the request id from the first of `names` present with a plausible value.
    pub fn with_request_id_from(mut self, names: &[&str]) -> Self {
        self.request_id = names
            .iter()
            .find_map(|name| self.header(name).and_then(clean_request_id));
        self
    }

    /// The request id the vendor's request-id headers carried, checked for shape.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// This response with every credential form `scrubber` knows removed from its body (when
    /// the body holds one), so that nothing a parser quotes or clips can carry a part of one.
    /// `None` when the body holds none.
    pub fn scrubbed(&self, scrubber: &crate::Scrubber) -> Option<Response> {
        let text = String::from_utf8_lossy(&self.body);
        match scrubber.scrub(&text) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(clean) => {
                let mut response = self.clone();
                response.body = Bytes::from(clean);
                Some(response)
            }
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the body is empty or only whitespace.
    pub fn is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// A header's value, when present and readable as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the body is an HTML (or other markup) page rather than an API answer: the
    /// content type says HTML or XML, or the body starts with `<`.
    pub fn is_markup(&self) -> bool {
        let markup_type = self.header("content-type").is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html") || ct.contains("xml")
        });
        let head = &self.body[..self.body.len().min(64)];
        markup_type || String::from_utf8_lossy(head).trim_start().starts_with('<')
    }

    /// Parses the body as JSON; a body that is not the expected JSON (an HTML error page, a
    /// cut body) is an [`ErrorKind::Protocol`] error that says what arrived.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            self.error(
                ErrorKind::Protocol,
                format!("unexpected response body: {}", self.describe_body()),
            )
            .with_source(e)
        })
    }

    /// Like [`Response::json`], for answers that carry a credential (token and login
    /// endpoints): the error describes the body's type and length but never quotes it.
    pub fn json_sensitive<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            self.error(
                ErrorKind::Protocol,
                format!(
                    "unexpected response body: {} (not quoted: it may hold a credential; \
                     {:?} error at line {} column {})",
                    self.describe_body_shape(),
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            )
        })
    }

    /// The JSON body when it is a JSON object; `None` for anything else.
    pub fn json_object(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match serde_json::from_slice(&self.body) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    /// An error carrying this response's status.
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(kind, message).with_status(self.status)
    }

    /// The error for a 404 or 410 that is not the vendor's own not-found answer (a gateway,
    /// a proxy, a wrong base URL or API version): [`ErrorKind::Protocol`], never "absent".
    /// `check` names what to check, such as `"the base URL (RSA_CAS_BASE_URL)"`.
    pub fn unconfirmed_not_found(&self, check: &str) -> Error {
        self.error(
            ErrorKind::Protocol,
            format!(
                "HTTP {} is not the vendor's own \"no such user\" answer, so nothing is taken \
                 to be absent: check {check}; the answer was {}",
                self.status,
                self.describe_body()
            ),
        )
    }

    /// The error for a 2xx answer that is not the vendor's documented success shape: the
    /// request may or may not have been carried out, so it is never reported as done.
    pub fn unconfirmed_success(&self, what: &str) -> Error {
        self.error(
            ErrorKind::Protocol,
            format!(
                "HTTP {} without the vendor's success answer, so {what} is not confirmed: {}",
                self.status,
                self.describe_body()
            ),
        )
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

    /// A short, printable description of the body, for error messages: its content type, its
    /// length, and its first characters with control characters removed.
    pub fn describe_body(&self) -> String {
        const SNIPPET: usize = 120;
        let content_type = self.header("content-type").unwrap_or("no content type");
        if self.body.is_empty() {
            return format!("an empty body ({content_type})");
        }
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(SNIPPET * 4)]);
        let snippet = clip(&printable(&text), SNIPPET);
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

/// A request id as received, if it looks like one: trimmed, non-empty, at most 128
/// characters of letters, digits and `-_.:/+=`. Anything else (a value a hostile server made
/// up to inject text into logs) is dropped.
pub fn clean_request_id(raw: &str) -> Option<String> {
    let id = raw.trim();
    let plausible = !id.is_empty()
        && id.chars().count() <= MAX_REQUEST_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/+=".contains(c));
    plausible.then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn sensitive_bodies_are_never_quoted() {
        let cut = Response::new(200, HeaderMap::new(), r#"{"access_token":"tok-canary-123"#);
        let err = cut
            .json_sensitive::<serde_json::Value>()
            .err()
            .map(|e| format!("{e} {e:?}"))
            .unwrap_or_default();
        assert!(err.contains("protocol") && err.contains("bytes"), "{err}");
        assert!(!err.contains("tok-canary"), "{err}");
        let quoted = cut.json::<serde_json::Value>().err().map(|e| e.to_string());
        assert!(quoted.unwrap_or_default().contains("tok-canary"));
    }

    #[test]
    fn request_ids_are_checked_for_shape() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("   "));
        headers.insert("x-b", HeaderValue::from_static("id with spaces"));
        headers.insert("x-c", HeaderValue::from_static(" 8a1b2c3d-LHR "));
        let response = Response::new(500, headers, "").with_request_id_from(&["x-a", "x-b", "x-c"]);
        assert_eq!(response.request_id(), Some("8a1b2c3d-LHR"));
        assert_eq!(clean_request_id(&"a".repeat(129)), None);
        assert_eq!(clean_request_id("x\u{1b}[31m"), None);
    }

    #[test]
    fn markup_is_recognised() {
        let html = Response::new(404, HeaderMap::new(), "  <!DOCTYPE html><p>no</p>");
        assert!(html.is_markup());
        let json = Response::new(404, HeaderMap::new(), r#"{"message":"Not Found"}"#);
        assert!(!json.is_markup());
    }
}
