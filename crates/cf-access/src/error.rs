//! Turning a Cloudflare answer into success or an [`Error`]: the one place where HTTP status
//! and Cloudflare codes are mapped onto [`ErrorKind`].

use std::fmt;

use idp_core::transport::truncate_for_message;
use idp_core::{Error, ErrorKind, Response};

use crate::VENDOR;
use crate::envelope::Envelope;

/// The response header Cloudflare identifies every request with; it becomes the request id of
/// errors and receipts.
pub const REQUEST_ID_HEADER: &str = "cf-ray";

/// Codes that mean the credentials were not accepted. 10000 "Authentication error" is seen
/// in the wild (also on HTTP 403, and also, reportedly, for a valid token that lacks the
/// permission). The others are not confirmed by Cloudflare's documentation: 9103 "Unknown
/// X-Auth-Key or X-Auth-Email", 9106/9107 "Missing X-Auth-Email/X-Auth-Key header",
/// 6102/6103/6111 "Invalid format for X-Auth-Email/X-Auth-Key/Authorization header" (nested
/// under 6003 "Invalid request headers").
const AUTH_CODES: [i64; 7] = [10000, 9103, 9106, 9107, 6102, 6103, 6111];

/// Codes that mean the URL did not lead to an endpoint: 7000 "No route for that URI", 7003
/// "Could not route to …, perhaps your object identifier is invalid?". Both are seen in the
/// wild. They say the base URL or the account id is wrong, not that the user is absent, so
/// they are never [`ErrorKind::NotFound`].
const ROUTE_CODES: [i64; 2] = [7000, 7003];

/// The longest message kept from Cloudflare's `errors[]`.
const MAX_MESSAGE_CHARS: usize = 1000;

/// Which [`ErrorKind`] an unsuccessful answer is. `envelope` is `None` when the body was not
/// a Cloudflare envelope (an edge HTML page, a cut body).
///
/// | answer | kind |
/// |---|---|
/// | any code in `AUTH_CODES` (10000, …) | `Unauthenticated` |
/// | any code in `ROUTE_CODES` (7000, 7003) | `Protocol` |
/// | 2xx with `success: false`, or 2xx without an envelope | `Protocol` |
/// | 404 or 410 without an envelope | `Protocol` (not proof the user is absent) |
/// | 400, 422 | `InvalidInput` |
/// | 401 | `Unauthenticated` |
/// | 403 | `PermissionDenied` |
/// | 404 with an envelope, 410 | `NotFound` |
/// | 405 | `NotAllowed` |
/// | 408 | `Timeout` (retried) |
/// | 409 | `Conflict` |
/// | 429 | `RateLimited` (retried, `Retry-After` honoured) |
/// | 5xx | `Server` (retried) |
/// | anything else | `Protocol` |
pub(crate) fn error_kind(status: u16, envelope: Option<&Envelope>) -> ErrorKind {
    let has = |set: &[i64]| envelope.is_some_and(|env| env.codes().any(|c| set.contains(&c)));
    let route_wrong = has(&ROUTE_CODES);
    let unconfirmed =
        (200..300).contains(&status) || (matches!(status, 404 | 410) && envelope.is_none());
    if has(&AUTH_CODES) {
        ErrorKind::Unauthenticated
    } else if route_wrong || unconfirmed {
        ErrorKind::Protocol
    } else {
        ErrorKind::from_status(status)
    }
}

/// Reads an answer: `Ok` only for HTTP 2xx with an envelope whose `success` is `true`;
/// anything else is an error carrying the status, the first Cloudflare code, every message
/// and the `cf-ray` request id.
pub(crate) fn parse_answer(response: &Response) -> Result<Envelope, Error> {
    let parsed = serde_json::from_slice::<Envelope>(&response.body);
    if let Ok(envelope) = &parsed
        && response.is_success()
        && envelope.success
    {
        return Ok(envelope.clone());
    }
    Err(api_error(response, parsed))
}

fn api_error(response: &Response, parsed: Result<Envelope, serde_json::Error>) -> Error {
    let status = response.status;
    let kind = error_kind(status, parsed.as_ref().ok());
    let request_id = request_id(response);
    let err = match parsed {
        Ok(envelope) => {
            let mut message = envelope.error_summary();
            if message.is_empty() {
                message = if response.is_success() {
                    "Cloudflare answered success: false without an error message".to_owned()
                } else {
                    format!("Cloudflare answered HTTP {status} without an error message")
                };
            }
            if envelope.codes().any(|c| ROUTE_CODES.contains(&c)) {
                message.push_str(" (check the account id and the base URL)");
            }
            let mut err = Error::new(kind, VENDOR, truncate_message(&message));
            if let Some(code) = envelope.first_code() {
                err = err.with_code(code.to_string());
            }
            err.with_source(ApiFailure { status, envelope })
        }
        Err(parse_error) => {
            let what = if response.is_success() {
                "the answer is not a Cloudflare API envelope, so success cannot be confirmed"
            } else if matches!(status, 404 | 410) {
                "the answer is not a Cloudflare API envelope, so it is not taken to mean the \
                 user is absent (check the base URL)"
            } else {
                "the answer is not a Cloudflare API envelope"
            };
            Error::new(
                kind,
                VENDOR,
                format!("{what}: {}", response.describe_body()),
            )
            .with_source(parse_error)
        }
    };
    err.with_status(status).with_request_id_opt(request_id)
}

/// The `cf-ray` header of an answer.
pub(crate) fn request_id(response: &Response) -> Option<String> {
    response
        .header(REQUEST_ID_HEADER)
        .map(str::trim)
        .filter(|ray| !ray.is_empty())
        .map(truncate_for_message)
}

fn truncate_message(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        message.to_owned()
    } else {
        let head: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
        format!("{head}…")
    }
}

/// Everything Cloudflare said in an unsuccessful answer. It is the
/// [`source`](std::error::Error::source) of the [`Error`] when the answer was an envelope, so
/// a caller can read the documentation links and pointers:
///
/// ```
/// # fn show(err: &idp_core::Error) {
/// use std::error::Error as _;
/// if let Some(failure) = err.source().and_then(|s| s.downcast_ref::<idp_cf_access::ApiFailure>()) {
///     for e in &failure.envelope.errors {
///         eprintln!("{e} ({:?})", e.documentation_url);
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiFailure {
    /// The HTTP status of the answer.
    pub status: u16,
    /// The envelope, in full.
    pub envelope: Envelope,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Cloudflare answered HTTP {} with success: {}",
            self.status, self.envelope.success
        )?;
        let summary = self.envelope.error_summary();
        if !summary.is_empty() {
            write!(f, ": {summary}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiFailure {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};

    fn answer(status: u16, body: &str) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert("cf-ray", HeaderValue::from_static("8a1b2c3d4e5f-LHR"));
        Response::new(status, headers, body.to_owned())
    }

    fn envelope_with(code: i64) -> String {
        format!(
            r#"{{"success":false,"errors":[{{"code":{code},"message":"m{code}"}}],"messages":[],"result":null}}"#
        )
    }

    #[test]
    fn status_mapping() {
        let cases = [
            (400, ErrorKind::InvalidInput),
            (401, ErrorKind::Unauthenticated),
            (403, ErrorKind::PermissionDenied),
            (404, ErrorKind::NotFound),
            (405, ErrorKind::NotAllowed),
            (409, ErrorKind::Conflict),
            (429, ErrorKind::RateLimited),
            (500, ErrorKind::Server),
            (502, ErrorKind::Server),
            (503, ErrorKind::Server),
            (200, ErrorKind::Protocol),
            (418, ErrorKind::Protocol),
        ];
        for (status, kind) in cases {
            let err = parse_answer(&answer(status, &envelope_with(1000))).unwrap_err();
            assert_eq!(err.kind(), kind, "HTTP {status}");
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.code(), Some("1000"));
            assert_eq!(err.request_id(), Some("8a1b2c3d4e5f-LHR"));
        }
    }

    #[test]
    fn codes_refine_the_status() {
        for status in [400, 401, 403, 404] {
            let err = parse_answer(&answer(status, &envelope_with(10000))).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unauthenticated, "HTTP {status}");
        }
        for (status, code) in [(400, 7003), (404, 7003), (400, 7000), (404, 7000)] {
            let err = parse_answer(&answer(status, &envelope_with(code))).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "HTTP {status} code {code}");
            assert!(err.message().contains("account id"), "{err}");
        }
    }

    #[test]
    fn success_needs_2xx_and_true() {
        let ok = r#"{"success":true,"errors":[],"messages":[],"result":{}}"#;
        assert!(parse_answer(&answer(200, ok)).is_ok());
        assert!(parse_answer(&answer(202, ok)).is_ok());
        assert_eq!(
            parse_answer(&answer(500, ok)).unwrap_err().kind(),
            ErrorKind::Server
        );
        let err = parse_answer(&answer(200, r#"{"success":false,"errors":[]}"#)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.message().contains("success: false"), "{err}");
    }

    #[test]
    fn non_envelopes_are_clean_errors() {
        for (status, body, kind) in [
            (200, "", ErrorKind::Protocol),
            (204, "", ErrorKind::Protocol),
            (200, r#"{"success":tr"#, ErrorKind::Protocol),
            (404, "<html>not here</html>", ErrorKind::Protocol),
            (502, "<html>Bad gateway</html>", ErrorKind::Server),
            (
                403,
                "<html>Access denied | Cloudflare</html>",
                ErrorKind::PermissionDenied,
            ),
            (429, "", ErrorKind::RateLimited),
        ] {
            let err = parse_answer(&answer(status, body)).unwrap_err();
            assert_eq!(err.kind(), kind, "HTTP {status} {body:?}");
            assert_eq!(err.code(), None);
            assert_eq!(err.request_id(), Some("8a1b2c3d4e5f-LHR"));
            assert!(
                err.message().contains("not a Cloudflare API envelope"),
                "{err}"
            );
        }
    }

    #[test]
    fn every_message_kept_first_code_wins() {
        let body = r#"{"success":false,"errors":[{"code":1003,"message":"Invalid or missing account"},{"code":1004,"message":"Second thing"}]}"#;
        let err = parse_answer(&answer(400, body)).unwrap_err();
        assert_eq!(err.code(), Some("1003"));
        assert_eq!(
            err.message(),
            "Invalid or missing account (code 1003); Second thing (code 1004)"
        );
        let failure = std::error::Error::source(&err)
            .and_then(|s| s.downcast_ref::<ApiFailure>())
            .unwrap();
        assert_eq!(failure.envelope.errors.len(), 2);
        assert_eq!(failure.status, 400);
    }

    #[test]
    fn huge_messages_are_cut() {
        let long = "x".repeat(5000);
        let body = format!(r#"{{"success":false,"errors":[{{"code":1000,"message":"{long}"}}]}}"#);
        let err = parse_answer(&answer(400, &body)).unwrap_err();
        assert!(err.message().chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}

/// Property tests: the parser never panics, whatever the status, headers and body.
#[cfg(test)]
mod fuzz {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use proptest::prelude::*;
    use serde_json::Value;

    /// Object keys: the envelope's, and anything else.
    const KEYS: [&str; 10] = [
        "success",
        "errors",
        "messages",
        "result",
        "code",
        "message",
        "error_chain",
        "documentation_url",
        "source",
        "pointer",
    ];

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::sample::select(&KEYS[..]).prop_map(str::to_owned),
            1 => any::<String>(),
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            (1000i64..20000).prop_map(|c| Value::String(c.to_string())),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key(), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// An envelope-shaped body with arbitrary contents.
    fn envelope() -> impl Strategy<Value = Value> {
        (any::<bool>(), proptest::collection::vec(json(), 0..4), json()).prop_map(
            |(success, errors, result)| {
                serde_json::json!({"success": success, "errors": errors, "messages": [], "result": result})
            },
        )
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            envelope().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            (envelope(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
                let bytes = serde_json::to_vec(&v).unwrap();
                bytes[..at.index(bytes.len() + 1)].to_vec()
            }),
        ]
    }

    fn headers() -> impl Strategy<Value = HeaderMap> {
        let name = proptest::sample::select(&["cf-ray", "content-type", "retry-after"][..]);
        let value = proptest::collection::vec(any::<u8>(), 0..80);
        proptest::collection::vec((name, value), 0..5).prop_map(|pairs| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    map.append(HeaderName::from_static(name), value);
                }
            }
            map
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn parse_answer_never_panics(
            status in 100u16..600,
            headers in headers(),
            body in body(),
            truncated in any::<bool>(),
        ) {
            let mut response = Response::new(status, headers, body);
            response.truncated = truncated;
            match parse_answer(&response) {
                // Success needs a 2xx and `success: true`.
                Ok(envelope) => {
                    prop_assert!((200..300).contains(&status));
                    prop_assert!(envelope.success);
                }
                Err(err) => {
                    prop_assert_eq!(err.status(), Some(status));
                    prop_assert_eq!(err.vendor(), VENDOR);
                    // Only Cloudflare's own envelope says a user is absent.
                    if err.kind() == ErrorKind::NotFound {
                        prop_assert!(status == 404 || status == 410);
                        prop_assert!(serde_json::from_slice::<Envelope>(&response.body).is_ok());
                    }
                    prop_assert!(err.message().chars().count() <= MAX_MESSAGE_CHARS + 300);
                    let _ = err.to_string();
                }
            }
        }

        #[test]
        fn envelopes_parse_or_fail_cleanly(value in json()) {
            if let Ok(envelope) = serde_json::from_value::<Envelope>(value) {
                let _ = envelope.error_summary();
                let _ = envelope.codes().count();
                let _ = envelope.first_code();
            }
        }
    }
}
