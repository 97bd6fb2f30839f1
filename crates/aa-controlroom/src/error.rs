//! Every Control Room error answer becomes an [`Error`] here, in one place.

use idp_core::{Error, ErrorKind, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::VENDOR;

/// The request an error answer belongs to; the same status can mean different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Login,
    Delete,
    Logout,
}

impl Operation {
    fn describe(self) -> &'static str {
        match self {
            Operation::Login => "login",
            Operation::Delete => "delete user",
            Operation::Logout => "logout",
        }
    }
}

/// The Control Room's error body: `{"code": "UM1117", "details": null, "message": "..."}`.
/// Every field is optional and unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    details: Option<Value>,
}

/// The response header that may carry a request id. Not documented by the vendor (not
/// confirmed); read when present, harmless when absent.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

/// Maps a non-2xx answer to an [`Error`]: the kind from the status (and the operation), the
/// vendor's code and message from the body, the request id from the headers.
///
/// | status | login | delete | logout |
/// |---|---|---|---|
/// | 400, 422 | InvalidInput | InvalidInput | InvalidInput |
/// | 401 | Unauthenticated | Unauthenticated (after one re-login) | Unauthenticated |
/// | 403 | PermissionDenied | PermissionDenied | PermissionDenied |
/// | 404 | Config (wrong URL or API version) | NotFound | Config |
/// | 405 | Config (wrong API version) | Protocol (wrong API version) | Config |
/// | 408 | Timeout | Timeout | Timeout |
/// | 409 | Conflict | Conflict | Conflict |
/// | 429 | RateLimited | RateLimited | RateLimited |
/// | 5xx | Server | Server | Server |
/// | other | Protocol | Protocol | Protocol |
pub(crate) fn map_error(operation: Operation, response: &Response) -> Error {
    let status = response.status;
    let kind = match (status, operation) {
        // A login or logout path that does not exist says nothing about any user: it is the
        // wrong Control Room URL or API generation. Never NotFound, which bulk deletes would
        // report as "already absent".
        (404 | 405, Operation::Login | Operation::Logout) => ErrorKind::Config,
        (405, Operation::Delete) => ErrorKind::Protocol,
        // A web page (a proxy's, or a wrong URL's) says nothing about the user either.
        (404, Operation::Delete) if is_markup(response) => ErrorKind::Protocol,
        (400 | 422, _) => ErrorKind::InvalidInput,
        (401, _) => ErrorKind::Unauthenticated,
        (403, _) => ErrorKind::PermissionDenied,
        (404, _) => ErrorKind::NotFound,
        (408, _) => ErrorKind::Timeout,
        (409, _) => ErrorKind::Conflict,
        (429, _) => ErrorKind::RateLimited,
        (500..=599, _) => ErrorKind::Server,
        _ => ErrorKind::Protocol,
    };

    let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
    let code = body
        .as_ref()
        .and_then(|b| b.code.as_ref())
        .and_then(code_text);
    let vendor_message = body.as_ref().and_then(vendor_message);
    let message = match vendor_message {
        Some(message) => message,
        None if response.body.is_empty() => {
            format!("{} failed with HTTP {status}", operation.describe())
        }
        None => format!(
            "{} failed with HTTP {status}: {}",
            operation.describe(),
            response.describe_body()
        ),
    };
    let message = match (status, operation) {
        (404 | 405, Operation::Login | Operation::Logout) => format!(
            "{message} (the {} endpoint was not found: check the Control Room URL and the API \
             version; Automation 360 v.33 and later need API v2)",
            operation.describe()
        ),
        (405, Operation::Delete) => {
            format!("{message} (the delete endpoint refused the method: check the API version)")
        }
        (404, Operation::Delete) if kind == ErrorKind::Protocol => format!(
            "{message} (a web page, not the Control Room API: check the Control Room URL; the \
             user was not deleted)"
        ),
        _ => message,
    };

    let mut err = response.error(VENDOR, kind, message).with_request_id_opt(
        response
            .header(REQUEST_ID_HEADER)
            .map(idp_core::transport::truncate_for_message),
    );
    if let Some(code) = code {
        err = err.with_code(code);
    }
    err
}

/// Whether the body is an HTML (or other markup) page rather than an API answer.
fn is_markup(response: &Response) -> bool {
    let html_type = response
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
    let text = String::from_utf8_lossy(&response.body[..response.body.len().min(64)]);
    html_type || text.trim_start().starts_with('<')
}

/// The code as text: the Control Room sends strings (`"UM1117"`); a number is accepted too.
fn code_text(code: &Value) -> Option<String> {
    match code {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `message`, plus `details` when it is a non-empty string that adds something.
fn vendor_message(body: &ErrorBody) -> Option<String> {
    let message = body
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let details = match &body.details {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim()),
        _ => None,
    };
    match (message, details) {
        (Some(message), Some(details)) if details != message => {
            Some(format!("{message} ({details})"))
        }
        (Some(message), _) => Some(message.to_owned()),
        (None, Some(details)) => Some(details.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};

    fn response(status: u16, body: &'static str) -> Response {
        Response::new(status, HeaderMap::new(), body)
    }

    #[test]
    fn statuses_map_per_operation() {
        let cases = [
            (400, Operation::Delete, ErrorKind::InvalidInput),
            (401, Operation::Delete, ErrorKind::Unauthenticated),
            (401, Operation::Login, ErrorKind::Unauthenticated),
            (403, Operation::Delete, ErrorKind::PermissionDenied),
            (404, Operation::Delete, ErrorKind::NotFound),
            (404, Operation::Login, ErrorKind::Config),
            (404, Operation::Logout, ErrorKind::Config),
            (405, Operation::Delete, ErrorKind::Protocol),
            (405, Operation::Login, ErrorKind::Config),
            (408, Operation::Delete, ErrorKind::Timeout),
            (409, Operation::Delete, ErrorKind::Conflict),
            (429, Operation::Login, ErrorKind::RateLimited),
            (500, Operation::Delete, ErrorKind::Server),
            (503, Operation::Login, ErrorKind::Server),
            (418, Operation::Delete, ErrorKind::Protocol),
        ];
        for (status, operation, kind) in cases {
            let err = map_error(operation, &response(status, ""));
            assert_eq!(err.kind(), kind, "{status} {operation:?}");
            assert_eq!(err.status(), Some(status));
        }
    }

    #[test]
    fn vendor_body_is_kept() {
        let err = map_error(
            Operation::Delete,
            &response(
                401,
                r#"{"code":"UM1117","details":null,"message":"Access token expected in the 'X-Authorization' header","extra":1}"#,
            ),
        );
        assert_eq!(err.code(), Some("UM1117"));
        assert_eq!(
            err.message(),
            "Access token expected in the 'X-Authorization' header"
        );

        let err = map_error(
            Operation::Delete,
            &response(
                409,
                r#"{"code":42,"details":"user owns bots","message":"Conflict"}"#,
            ),
        );
        assert_eq!(err.code(), Some("42"));
        assert_eq!(err.message(), "Conflict (user owns bots)");
    }

    #[test]
    fn odd_bodies_are_described() {
        let err = map_error(
            Operation::Delete,
            &response(502, "<html>Bad gateway</html>"),
        );
        assert_eq!(err.code(), None);
        assert!(err.message().contains("Bad gateway"), "{}", err.message());

        let err = map_error(Operation::Delete, &response(500, ""));
        assert_eq!(err.message(), "delete user failed with HTTP 500");

        let err = map_error(Operation::Login, &response(404, ""));
        assert!(err.message().contains("API version"), "{}", err.message());
    }

    #[test]
    fn a_404_web_page_is_not_an_absent_user() {
        let err = map_error(
            Operation::Delete,
            &response(404, "<!DOCTYPE html><html><h1>404 Not Found</h1></html>"),
        );
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(
            err.message().contains("Control Room URL"),
            "{}",
            err.message()
        );
        let not_found = r#"{"code":"UM1404","details":null,"message":"User not found"}"#;
        assert_eq!(
            map_error(Operation::Delete, &response(404, not_found)).kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn request_id_header_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("req-7"));
        let err = map_error(Operation::Delete, &Response::new(403, headers, ""));
        assert_eq!(err.request_id(), Some("req-7"));
    }
}

/// Property tests: the parsers never panic, whatever the status, headers and body. The
/// strategies are shared with the login and deleted-record parsers' tests.
#[cfg(test)]
pub(crate) mod fuzz {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use proptest::prelude::*;

    /// Object keys: the error body's, the login answer's, the user record's, and anything else.
    const KEYS: [&str; 12] = [
        "code",
        "details",
        "message",
        "token",
        "user",
        "id",
        "username",
        "email",
        "roles",
        "name",
        "deleted",
        "createdOn",
    ];

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::sample::select(&KEYS[..]).prop_map(str::to_owned),
            1 => any::<String>(),
        ]
    }

    pub(crate) fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key(), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    pub(crate) fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            (json(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
                let bytes = serde_json::to_vec(&v).unwrap();
                bytes[..at.index(bytes.len() + 1)].to_vec()
            }),
            any::<String>().prop_map(|s| format!("<!DOCTYPE html><p>{s}</p>").into_bytes()),
        ]
    }

    pub(crate) fn headers() -> impl Strategy<Value = HeaderMap> {
        let name =
            proptest::sample::select(&[REQUEST_ID_HEADER, "content-type", "retry-after"][..]);
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

    pub(crate) fn response() -> impl Strategy<Value = Response> {
        (100u16..600, headers(), body(), any::<bool>()).prop_map(
            |(status, headers, body, truncated)| {
                let mut response = Response::new(status, headers, body);
                response.truncated = truncated;
                response
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn map_error_never_panics(response in response()) {
            for operation in [Operation::Login, Operation::Delete, Operation::Logout] {
                let err = map_error(operation, &response);
                prop_assert_eq!(err.status(), Some(response.status));
                prop_assert_eq!(err.vendor(), VENDOR);
                // Only the delete endpoint's own answer says a user is absent.
                if err.kind() == ErrorKind::NotFound {
                    prop_assert_eq!(operation, Operation::Delete);
                    prop_assert!(!is_markup(&response));
                }
                let _ = err.to_string();
            }
        }
    }
}
