//! Reading OneLogin's answers: its error bodies, and the one place where a status and a
//! message become an [`ErrorKind`].

use std::time::SystemTime;

use idp_core::{Error, ErrorKind, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::VENDOR;
use crate::config::ApiVersion;
use crate::rate_limit::RateLimit;

/// Longest vendor message kept in an error, in characters.
const MAX_MESSAGE_CHARS: usize = 500;

/// Which OneLogin endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `POST /auth/oauth2/v2/token`.
    Token,
    /// `DELETE /api/{1,2}/users/{id}`.
    Delete,
}

/// The error kind of a OneLogin answer: every status and message mapping of this crate.
///
/// `message` is the vendor's message, or `None` when the body was not a OneLogin JSON body
/// (an HTML page from a proxy, say).
///
/// | status | message | kind |
/// |---|---|---|
/// | 400 | "Authorization Information is incorrect" | Protocol (our header is wrong) |
/// | 400 | anything else | InvalidInput (Protocol at the token endpoint) |
/// | 401 | "Insufficient Permission" | PermissionDenied |
/// | 401 | anything else ("Authentication Failure") | Unauthenticated |
/// | 403 | | PermissionDenied |
/// | 404, 410 | OneLogin's JSON, or empty | NotFound (Config at the token endpoint) |
/// | 404, 410 | not OneLogin's JSON | Protocol (wrong base URL; Config at the token endpoint) |
/// | 429 | | RateLimited |
/// | 5xx | | Server |
/// | other | | [`ErrorKind::from_status`] |
pub(crate) fn kind_for(endpoint: Endpoint, status: u16, message: Option<&str>) -> ErrorKind {
    let lower = message.map(str::to_ascii_lowercase).unwrap_or_default();
    let says = |phrase: &str| lower.contains(phrase);
    match (endpoint, status) {
        // The page: "the Authorization header is missing or incorrectly formatted" — that
        // header is ours to get right, so this is our bug, never the user's input.
        (_, 400) if says("authorization information is incorrect") => ErrorKind::Protocol,
        // The token request is fixed; if OneLogin refuses its shape, the fault is ours.
        (Endpoint::Token, 400) => ErrorKind::Protocol,
        (Endpoint::Delete, 400) => ErrorKind::InvalidInput,
        (_, 401) if says("insufficient permission") => ErrorKind::PermissionDenied,
        (_, 401) => ErrorKind::Unauthenticated,
        (_, 403) => ErrorKind::PermissionDenied,
        // No token endpoint at that address: the base URL is wrong. (Never NotFound: a
        // failed token request fails every delete, which would then read as "absent".)
        (Endpoint::Token, 404 | 410) => ErrorKind::Config,
        (Endpoint::Delete, 404 | 410) if message.is_some() => ErrorKind::NotFound,
        // A 404 page that is not OneLogin's API answering: reporting "user absent" here would
        // turn a wrong base URL into a bulk run of false successes.
        (Endpoint::Delete, 404 | 410) => ErrorKind::Protocol,
        (_, 429) => ErrorKind::RateLimited,
        (_, 500..=599) => ErrorKind::Server,
        (_, other) => ErrorKind::from_status(other),
    }
}

/// The error for an answer that is not a success.
pub(crate) fn error_from_response(
    response: &Response,
    endpoint: Endpoint,
    wall_now: SystemTime,
) -> Error {
    let said = Said::parse(response);
    // A 2xx carrying an error envelope is judged by the code inside it.
    let status = match &said {
        Some(said) if response.is_success() => said.code.unwrap_or(response.status),
        _ => response.status,
    };
    let message = said.as_ref().and_then(|s| s.message.clone());
    let kind = kind_for(endpoint, status, message.as_deref());
    let mut text = match message {
        Some(message) => message,
        None if said.is_some() => format!("HTTP {status} without a message"),
        None => response.describe_body(),
    };
    if endpoint == Endpoint::Token {
        text = format!("access token request refused: {text}");
    }
    if kind == ErrorKind::Protocol && status == 404 {
        text = format!("{text} (not an answer from OneLogin's API: is the base URL right?)");
    }
    let mut err = response
        .error(VENDOR, kind, text)
        .with_status(status)
        .with_request_id_opt(request_id(response));
    if kind == ErrorKind::RateLimited
        && let Some(wait) = reset_hint(response, wall_now)
    {
        err = err.with_retry_after(wait);
    }
    err
}

/// Whether an answer to a delete means the user was deleted.
///
/// v1 documents `200` with `{"status": {"error": false, …}}`; v2 an empty body. A 2xx whose
/// body says `"error": true` is an error; a v1 2xx whose body is not JSON is a Protocol error
/// (a proxy's page is no proof of a delete).
pub(crate) fn check_delete(
    response: &Response,
    version: ApiVersion,
    wall_now: SystemTime,
) -> Result<(), Error> {
    if !response.is_success() {
        return Err(error_from_response(response, Endpoint::Delete, wall_now));
    }
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match Said::parse(response) {
        Some(said) if said.error => Err(error_from_response(response, Endpoint::Delete, wall_now)),
        Some(_) => Ok(()),
        None if version == ApiVersion::V2
            && serde_json::from_slice::<Value>(&response.body).is_ok() =>
        {
            Ok(())
        }
        None => Err(response.error(
            VENDOR,
            ErrorKind::Protocol,
            format!(
                "the delete answered HTTP {} with an unexpected body: {}",
                response.status,
                response.describe_body()
            ),
        )),
    }
}

/// The request id of an answer, if it carries one. OneLogin does not document one;
/// `X-Request-Id` is read when present.
pub(crate) fn request_id(response: &Response) -> Option<String> {
    response
        .header("x-request-id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(idp_core::transport::truncate_for_message)
}

/// On a 429 without `Retry-After`, OneLogin's `X-RateLimit-Reset` says when to come back.
/// (When `Retry-After` is present the transport reads it, and it wins.)
fn reset_hint(response: &Response, wall_now: SystemTime) -> Option<std::time::Duration> {
    if response.header("retry-after").is_some() || response.header("retry-after-ms").is_some() {
        return None;
    }
    RateLimit::from_response(response, wall_now).and_then(|limit| limit.reset)
}

/// What a OneLogin body said, from either of its shapes.
#[derive(Debug, Default, PartialEq)]
struct Said {
    /// Whether the body says it is an error (v1 `status.error`; always true for v2 errors).
    error: bool,
    /// The status code inside the body.
    code: Option<u16>,
    message: Option<String>,
}

/// v1: `{"status": {"error": true, "code": 400, "type": "bad request", "message": …}}`.
#[derive(Deserialize)]
struct V1Body {
    status: V1Status,
}

#[derive(Deserialize)]
struct V1Status {
    #[serde(default)]
    error: Option<bool>,
    #[serde(default)]
    code: Option<u16>,
    #[serde(default)]
    message: Option<Value>,
}

/// v2: `{"message": "…", "name": "…", "statusCode": 404}`.
#[derive(Deserialize)]
struct V2Body {
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "statusCode", default)]
    status_code: Option<u16>,
}

impl Said {
    fn parse(response: &Response) -> Option<Said> {
        if let Ok(body) = serde_json::from_slice::<V1Body>(&response.body) {
            let code = body.status.code;
            return Some(Said {
                error: body
                    .status
                    .error
                    .unwrap_or_else(|| code.is_some_and(|c| c >= 400)),
                code,
                message: body.status.message.as_ref().and_then(message_text),
            });
        }
        let body = serde_json::from_slice::<V2Body>(&response.body).ok()?;
        if body.message.is_none() && body.status_code.is_none() {
            return None;
        }
        let message = body
            .message
            .as_ref()
            .and_then(message_text)
            .or(body.name.clone());
        Some(Said {
            error: true,
            code: body.status_code,
            message,
        })
    }
}

/// A message as text: a string as is, `{"attribute", "description"}` as
/// `attribute: description`, anything else as its JSON.
fn message_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.trim().to_owned(),
        Value::Object(fields) => {
            let field = |name: &str| fields.get(name).and_then(Value::as_str).map(str::trim);
            match (field("attribute"), field("description")) {
                (Some(attribute), Some(description)) => format!("{attribute}: {description}"),
                (None, Some(description)) => description.to_owned(),
                _ => value.to_string(),
            }
        }
        other => other.to_string(),
    };
    if text.is_empty() {
        return None;
    }
    Some(cap(text))
}

fn cap(text: String) -> String {
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};
    use std::time::{Duration, UNIX_EPOCH};

    const NOW: SystemTime = UNIX_EPOCH;

    fn answer(status: u16, body: &str) -> Response {
        Response::new(status, HeaderMap::new(), body.to_owned())
    }

    fn v1(code: u16, message: &str) -> String {
        format!(r#"{{"status":{{"error":true,"code":{code},"type":"x","message":{message}}}}}"#)
    }

    fn kind_of(status: u16, body: &str) -> ErrorKind {
        error_from_response(&answer(status, body), Endpoint::Delete, NOW).kind()
    }

    #[test]
    fn every_documented_v1_answer() {
        let cases = [
            (
                400,
                r#""Authorization Information is incorrect""#,
                ErrorKind::Protocol,
            ),
            (
                400,
                r#"{"attribute":"id","description":"ID is incorrect"}"#,
                ErrorKind::InvalidInput,
            ),
            (
                401,
                r#""Authentication Failure""#,
                ErrorKind::Unauthenticated,
            ),
            (
                401,
                r#""Insufficient Permission""#,
                ErrorKind::PermissionDenied,
            ),
            (
                403,
                r#""user is not authorized to access this User""#,
                ErrorKind::PermissionDenied,
            ),
            (
                404,
                r#""User for id 222222 was not found""#,
                ErrorKind::NotFound,
            ),
            (429, r#""Too many requests""#, ErrorKind::RateLimited),
            (500, r#""Internal Server Error""#, ErrorKind::Server),
            (503, r#""Service Unavailable""#, ErrorKind::Server),
            (409, r#""conflict""#, ErrorKind::Conflict),
        ];
        for (status, message, kind) in cases {
            assert_eq!(
                kind_of(status, &v1(status, message)),
                kind,
                "{status} {message}"
            );
        }
    }

    #[test]
    fn every_v2_answer() {
        let v2 = |status: u16, message: &str| {
            format!(r#"{{"message":"{message}","name":"x","statusCode":{status}}}"#)
        };
        let cases = [
            (
                400,
                "Authorization Information is incorrect",
                ErrorKind::Protocol,
            ),
            (400, "Validation Failed", ErrorKind::InvalidInput),
            (401, "Authentication Failure", ErrorKind::Unauthenticated),
            (401, "Insufficient Permission", ErrorKind::PermissionDenied),
            (403, "Forbidden", ErrorKind::PermissionDenied),
            (404, "Not Found", ErrorKind::NotFound),
            (429, "Too Many Requests", ErrorKind::RateLimited),
            (502, "Bad Gateway", ErrorKind::Server),
        ];
        for (status, message, kind) in cases {
            let err =
                error_from_response(&answer(status, &v2(status, message)), Endpoint::Delete, NOW);
            assert_eq!(err.kind(), kind, "{status} {message}");
            assert_eq!(err.message(), message);
            assert_eq!(err.status(), Some(status));
        }
    }

    #[test]
    fn message_object_becomes_attribute_colon_description() {
        let body = v1(400, r#"{"attribute":"id","description":"ID is incorrect"}"#);
        let err = error_from_response(&answer(400, &body), Endpoint::Delete, NOW);
        assert_eq!(err.message(), "id: ID is incorrect");
        assert_eq!(
            err.to_string(),
            "onelogin: invalid_input (HTTP 400): id: ID is incorrect"
        );
    }

    #[test]
    fn token_endpoint_refines_400_and_404() {
        let kind = |status: u16, body: &str| {
            error_from_response(&answer(status, body), Endpoint::Token, NOW).kind()
        };
        assert_eq!(kind(400, &v1(400, r#""bad grant""#)), ErrorKind::Protocol);
        assert_eq!(kind(404, "<html>no</html>"), ErrorKind::Config);
        let err = error_from_response(
            &answer(401, &v1(401, r#""Authentication Failure""#)),
            Endpoint::Token,
            NOW,
        );
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert!(!err.is_retryable());
        assert!(err.message().contains("access token"), "{}", err.message());
    }

    #[test]
    fn a_404_page_that_is_not_onelogin_is_protocol() {
        assert_eq!(kind_of(404, "<html>Not Found</html>"), ErrorKind::Protocol);
        assert_eq!(kind_of(404, ""), ErrorKind::Protocol);
        assert_eq!(kind_of(500, "<html>oops</html>"), ErrorKind::Server);
    }

    #[test]
    fn success_needs_no_error_in_the_body() {
        let ok = r#"{"status":{"error":false,"code":200,"type":"success","message":"Success"}}"#;
        assert!(check_delete(&answer(200, ok), ApiVersion::V1, NOW).is_ok());
        assert!(check_delete(&answer(204, ""), ApiVersion::V2, NOW).is_ok());
        assert!(check_delete(&answer(200, "{}"), ApiVersion::V2, NOW).is_ok());
        let hidden = v1(404, r#""User for id 5 was not found""#);
        let err = check_delete(&answer(200, &hidden), ApiVersion::V1, NOW).err();
        assert_eq!(err.as_ref().map(Error::kind), Some(ErrorKind::NotFound));
        assert_eq!(err.as_ref().and_then(Error::status), Some(404));
        let page = check_delete(&answer(200, "<html>welcome</html>"), ApiVersion::V1, NOW).err();
        assert_eq!(page.map(|e| e.kind()), Some(ErrorKind::Protocol));
    }

    #[test]
    fn rate_limit_reset_is_the_wait_unless_retry_after_is_given() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("42"));
        let err = error_from_response(
            &Response::new(429, headers.clone(), ""),
            Endpoint::Delete,
            NOW,
        );
        assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
        headers.insert("retry-after", HeaderValue::from_static("3"));
        let err = error_from_response(&Response::new(429, headers, ""), Endpoint::Delete, NOW);
        assert_eq!(
            err.retry_after(),
            None,
            "left to the transport, which reads Retry-After"
        );
    }

    #[test]
    fn long_messages_are_capped() {
        let long = "x".repeat(2000);
        let err = error_from_response(
            &answer(400, &v1(400, &format!("\"{long}\""))),
            Endpoint::Delete,
            NOW,
        );
        assert!(err.message().chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}

/// Property tests: the parsers never panic, whatever the status, headers and body. The
/// strategies are shared with the token parser's tests.
#[cfg(test)]
pub(crate) mod fuzz {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use proptest::prelude::*;

    /// Object keys: both body shapes' and the token answer's, and anything else.
    const KEYS: [&str; 12] = [
        "status",
        "error",
        "code",
        "type",
        "message",
        "attribute",
        "description",
        "name",
        "statusCode",
        "access_token",
        "expires_in",
        "token_type",
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
            (0u64..70_000).prop_map(Value::from),
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
        let v1 = (any::<Option<bool>>(), json(), json()).prop_map(|(error, code, message)| {
            serde_json::json!({"status": {"error": error, "code": code, "type": "x", "message": message}})
        });
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            v1.prop_map(|v| serde_json::to_vec(&v).unwrap()),
            (json(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
                let bytes = serde_json::to_vec(&v).unwrap();
                bytes[..at.index(bytes.len() + 1)].to_vec()
            }),
        ]
    }

    pub(crate) fn headers() -> impl Strategy<Value = HeaderMap> {
        let name = proptest::sample::select(
            &[
                "x-request-id",
                "retry-after",
                "retry-after-ms",
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
                "x-ratelimit-reset",
                "content-type",
            ][..],
        );
        let value = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..40),
            any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        ];
        proptest::collection::vec((name, value), 0..8).prop_map(|pairs| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    map.append(HeaderName::from_static(name), value);
                }
            }
            map
        })
    }

    /// A wall clock anywhere from 1970 to about 2500.
    pub(crate) fn wall() -> impl Strategy<Value = SystemTime> {
        (0u64..16_725_225_600).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s))
    }

    fn response() -> impl Strategy<Value = Response> {
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
        fn error_parsing_never_panics(response in response(), now in wall()) {
            for endpoint in [Endpoint::Token, Endpoint::Delete] {
                let err = error_from_response(&response, endpoint, now);
                prop_assert_eq!(err.vendor(), VENDOR);
                prop_assert!(err.status().is_some());
                // Only OneLogin's own answer to a delete says a user is absent.
                if err.kind() == ErrorKind::NotFound {
                    prop_assert_eq!(endpoint, Endpoint::Delete);
                    prop_assert!(Said::parse(&response).is_some());
                }
                let _ = err.to_string();
            }
            let _ = request_id(&response);
            let _ = RateLimit::from_response(&response, now);
        }

        #[test]
        fn delete_answers_never_panic(response in response(), now in wall()) {
            for version in [ApiVersion::V1, ApiVersion::V2] {
                if check_delete(&response, version, now).is_ok() {
                    prop_assert!(response.is_success());
                }
            }
        }
    }
}
