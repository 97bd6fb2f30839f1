//! Every HTTP status and vendor message RSA's delete-user API answers with, mapped onto
//! [`ErrorKind`] in one place.

use idp_core::transport::truncate_for_message;
use idp_core::{Error, ErrorKind, Response};
use serde_json::Value;

use crate::VENDOR;

/// Headers that may carry a request id. RSA documents none; these are the usual names, read
/// only when present.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "x-correlation-id", "x-amzn-requestid"];

/// Classifies the answer to `DELETE …/v1/users/{user_id}`.
///
/// `retried` says whether an earlier attempt of the same call already reached the server
/// (and failed with a retryable error), so a 404 may mean that attempt deleted the user.
pub(crate) fn classify_delete(
    response: &Response,
    user_id: &str,
    retried: bool,
) -> Result<(), Error> {
    let status = response.status;
    if response.is_success() {
        return Ok(());
    }
    let reason = vendor_reason(response);
    let id = truncate_for_message(user_id);
    let (kind, message) = match status {
        401 => (
            ErrorKind::Unauthenticated,
            "the service did not accept the JWT: check the key file (accessID, accessKey) \
             and this machine's clock"
                .to_owned(),
        ),
        403 => (
            ErrorKind::PermissionDenied,
            "not authorized: RSA's docs use 403 both for a key without the Super \
             Administrator role and for a token the service refused (wrong key file, \
             accessID or adminRestApiUrl, or this machine's clock off by more than a minute)"
                .to_owned(),
        ),
        // A web page (a proxy's, or a wrong base URL's) says nothing about the user: taking
        // it for "not found" would report every id of a bulk run as already absent.
        404 | 410 if is_markup(response) => (
            ErrorKind::Protocol,
            format!(
                "HTTP {status} answered with a web page, not by RSA's API: check the base URL \
                 (adminRestApiUrl, RSA_CAS_BASE_URL); user {id:?} was not deleted: {}",
                response.describe_body()
            ),
        ),
        404 if retried => (
            ErrorKind::NotFound,
            format!(
                "user {id:?} not found (an earlier attempt of this call failed with a \
                 retryable error and may have deleted it)"
            ),
        ),
        404 => (ErrorKind::NotFound, format!("user {id:?} not found")),
        405 => (
            ErrorKind::NotAllowed,
            format!(
                "user {id:?} belongs to a SCIM-managed (SCIM Managed or Azure Active Directory \
                 SCIM) identity source: delete it in that source instead"
            ),
        ),
        409 => (
            ErrorKind::Conflict,
            conflict_message(&id, reason.as_deref()),
        ),
        429 => (ErrorKind::RateLimited, "too many requests".to_owned()),
        500 => (
            ErrorKind::Server,
            "internal error while processing the request".to_owned(),
        ),
        _ => (
            ErrorKind::from_status(status),
            format!("unexpected HTTP status {status}"),
        ),
    };
    // The 409 message already quotes the vendor's reason; elsewhere append it when present.
    let message = match reason {
        Some(reason) if kind != ErrorKind::Conflict => format!("{message}: {reason}"),
        None if !known(status) => format!("{message}: {}", response.describe_body()),
        _ => message,
    };
    let mut err = response.error(VENDOR, kind, message);
    if let Some(code) = vendor_code(response) {
        err = err.with_code(code);
    }
    Err(err.with_request_id_opt(request_id(response)))
}

/// The answer's request id, if it carried one under a usual header name.
pub(crate) fn request_id(response: &Response) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| response.header(name))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(truncate_for_message)
}

/// Whether the body is an HTML (or other markup) page rather than an API answer.
fn is_markup(response: &Response) -> bool {
    let html_type = response
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
    let text = String::from_utf8_lossy(&response.body[..response.body.len().min(64)]);
    html_type || text.trim_start().starts_with('<')
}

/// Statuses RSA documents for this call (besides 401, which is ours).
fn known(status: u16) -> bool {
    matches!(status, 401 | 403 | 404 | 405 | 409 | 429 | 500)
}

/// RSA's 409 reasons, with what to do about the known ones. The documented list is cut off,
/// so an unknown reason is passed on verbatim.
fn conflict_message(id: &str, reason: Option<&str>) -> String {
    let Some(reason) = reason else {
        return format!(
            "user {id:?} cannot be deleted now (HTTP 409 without a reason; a user must be \
             disabled before it can be deleted)"
        );
    };
    let lower = reason.to_ascii_lowercase();
    let hint = if lower.contains("pending deletion") {
        " (the user is already being deleted)"
    } else if lower.contains("enabled state") {
        " (disable the user first: only disabled users can be deleted)"
    } else {
        ""
    };
    format!("user {id:?} cannot be deleted: {reason}{hint}")
}

/// The vendor's reason, from whatever body arrived: JSON with a message-like field, a JSON
/// string, or plain text. HTML error pages and empty bodies give `None`.
fn vendor_reason(response: &Response) -> Option<String> {
    let text = match serde_json::from_slice::<Value>(&response.body) {
        Ok(json) => json_message(&json)?,
        Err(_) => {
            let text = String::from_utf8_lossy(&response.body);
            let text = text.trim();
            if text.starts_with('<') || text.starts_with('{') || text.starts_with('[') {
                // Markup, or JSON cut at the body cap: nothing quotable.
                return None;
            }
            text.to_owned()
        }
    };
    clean(&text)
}

/// The first message-like field of a JSON error body, however RSA shapes it: top level,
/// under `error`, or the first element of `errors`.
fn json_message(json: &Value) -> Option<String> {
    const FIELDS: [&str; 7] = [
        "message",
        "errorMessage",
        "error_description",
        "description",
        "detail",
        "reason",
        "error",
    ];
    match json {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => FIELDS.iter().find_map(|name| match map.get(*name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(nested @ Value::Object(_)) => json_message(nested),
            _ => None,
        }),
        Value::Array(items) => items.first().and_then(json_message),
        _ => None,
    }
    .or_else(|| match json {
        Value::Object(map) => map.get("errors").and_then(json_message),
        _ => None,
    })
}

/// A JSON body's error code (`code` or `errorCode`, string or number), when present.
fn vendor_code(response: &Response) -> Option<String> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&response.body) else {
        return None;
    };
    ["errorCode", "code"]
        .iter()
        .find_map(|name| match map.get(*name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(truncate_for_message(s)),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
}

/// One line, no control characters, at most a few hundred characters.
fn clean(text: &str) -> Option<String> {
    const MAX: usize = 300;
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return None;
    }
    if line.chars().count() > MAX {
        let head: String = line.chars().take(MAX).collect();
        return Some(format!("{head}…"));
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};

    fn answer(status: u16, body: &str) -> Response {
        Response::new(status, HeaderMap::new(), body.to_owned())
    }

    fn kind_of(status: u16, body: &str) -> Error {
        classify_delete(&answer(status, body), "u-1", false).expect_err("an error")
    }

    #[test]
    fn every_documented_status_maps() {
        assert!(classify_delete(&answer(200, ""), "u-1", false).is_ok());
        assert!(classify_delete(&answer(204, ""), "u-1", false).is_ok());
        for (status, kind) in [
            (401, ErrorKind::Unauthenticated),
            (403, ErrorKind::PermissionDenied),
            (404, ErrorKind::NotFound),
            (405, ErrorKind::NotAllowed),
            (409, ErrorKind::Conflict),
            (429, ErrorKind::RateLimited),
            (500, ErrorKind::Server),
            (502, ErrorKind::Server),
            (400, ErrorKind::InvalidInput),
            (418, ErrorKind::Protocol),
        ] {
            let err = kind_of(status, "");
            assert_eq!(err.kind(), kind, "{status}");
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.vendor(), VENDOR);
        }
    }

    #[test]
    fn forbidden_says_bad_tokens_get_it_too() {
        let err = kind_of(403, "");
        assert!(err.message().contains("Super Administrator"), "{err}");
        assert!(err.message().contains("token"), "{err}");
        assert!(!err.is_retryable());
    }

    #[test]
    fn conflict_reasons_from_any_body_shape() {
        let json = kind_of(409, r#"{"message":"User is in enabled state."}"#);
        assert!(
            json.message()
                .contains("User is in enabled state. (disable the user first"),
            "{json}"
        );
        let text = kind_of(409, "User is in pending deletion state.\n");
        assert!(
            text.message()
                .contains("pending deletion state. (the user is already being deleted)"),
            "{text}"
        );
        let nested = kind_of(409, r#"{"errors":[{"description":"Something new"}]}"#);
        assert!(
            nested
                .message()
                .ends_with("cannot be deleted: Something new")
        );
        let string = kind_of(409, r#""quoted reason""#);
        assert!(string.message().ends_with(": quoted reason"), "{string}");
        let none = kind_of(409, "");
        assert!(none.message().contains("must be disabled"), "{none}");
        let html = kind_of(409, "<html><body>Conflict</body></html>");
        assert!(!html.message().contains("<html>"), "{html}");
        for err in [json, text, nested, string, none, html] {
            assert_eq!(err.kind(), ErrorKind::Conflict);
        }
    }

    #[test]
    fn vendor_code_message_and_request_id_are_kept() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("req-7"));
        let response = Response::new(
            500,
            headers,
            r#"{"errorCode":"E42","message":"database\nunavailable"}"#,
        );
        let err = classify_delete(&response, "u", false).expect_err("an error");
        assert_eq!(err.code(), Some("E42"));
        assert_eq!(err.request_id(), Some("req-7"));
        assert!(
            err.message().ends_with(": database unavailable"),
            "{}",
            err.message()
        );
        assert!(err.is_retryable());
    }

    #[test]
    fn unexpected_status_describes_the_body() {
        let err = kind_of(418, "teapot");
        assert!(
            err.message().contains("unexpected HTTP status 418"),
            "{err}"
        );
        let err = kind_of(418, "<html>x</html>");
        assert!(err.message().contains("14 bytes"), "{err}");
    }

    #[test]
    fn not_found_after_a_retry_says_so() {
        let err = classify_delete(&answer(404, ""), "u", true).expect_err("an error");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.message().contains("may have deleted it"), "{err}");
    }

    #[test]
    fn a_404_web_page_is_not_an_absent_user() {
        let page = kind_of(
            404,
            "<!doctype html><html><body><h1>404 Not Found</h1></body></html>",
        );
        assert_eq!(page.kind(), ErrorKind::Protocol, "{page}");
        assert!(page.message().contains("check the base URL"), "{page}");
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/html"));
        let typed = Response::new(404, headers, "Not Found");
        let err = classify_delete(&typed, "u", false).expect_err("an error");
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        // RSA's own answers stay NotFound, whatever their shape.
        for body in [
            "",
            r#"{"message":"User is not found."}"#,
            "User is not found.",
        ] {
            assert_eq!(kind_of(404, body).kind(), ErrorKind::NotFound, "{body:?}");
        }
    }

    #[test]
    fn long_reasons_are_cut() {
        let err = kind_of(409, &"x".repeat(5000));
        assert!(
            err.message().chars().count() < 500,
            "{}",
            err.message().len()
        );
    }
}

/// Property tests: the parser never panics, whatever the status, headers and body.
#[cfg(test)]
mod fuzz {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use proptest::prelude::*;

    /// Object keys: the ones the parser looks for, and anything else.
    const KEYS: [&str; 11] = [
        "message",
        "errorMessage",
        "error_description",
        "description",
        "detail",
        "reason",
        "error",
        "errors",
        "code",
        "errorCode",
        "status",
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

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            // JSON cut short, as at the body cap.
            (json(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
                let bytes = serde_json::to_vec(&v).unwrap();
                bytes[..at.index(bytes.len() + 1)].to_vec()
            }),
            any::<String>().prop_map(|s| format!("<html><body>{s}</body></html>").into_bytes()),
        ]
    }

    fn headers() -> impl Strategy<Value = HeaderMap> {
        let name = proptest::sample::select(
            &[
                "x-request-id",
                "x-correlation-id",
                "x-amzn-requestid",
                "content-type",
                "retry-after",
            ][..],
        );
        let value = proptest::collection::vec(any::<u8>(), 0..80);
        proptest::collection::vec((name, value), 0..6).prop_map(|pairs| {
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
        fn classify_delete_never_panics(
            status in 100u16..600,
            headers in headers(),
            body in body(),
            truncated in any::<bool>(),
            user_id in any::<String>(),
            retried in any::<bool>(),
        ) {
            let mut response = Response::new(status, headers, body);
            response.truncated = truncated;
            let _ = request_id(&response);
            match classify_delete(&response, &user_id, retried) {
                Ok(()) => prop_assert!((200..300).contains(&status)),
                Err(err) => {
                    prop_assert!(!(200..300).contains(&status));
                    prop_assert_eq!(err.status(), Some(status));
                    prop_assert_eq!(err.vendor(), VENDOR);
                    // A web page is never taken for an absent user.
                    if err.kind() == ErrorKind::NotFound {
                        prop_assert!(status == 404 || status == 410);
                        prop_assert!(!is_markup(&response));
                    }
                    // Bounded, whatever the body and the id.
                    prop_assert!(err.message().chars().count() < 1000, "{}", err.message());
                }
            }
        }
    }
}
