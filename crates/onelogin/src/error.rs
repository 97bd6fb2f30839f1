//! The OneLogin API as the transport needs to know it, and the one place where a status and
//! a OneLogin body become an [`ErrorKind`] ([`OneLoginApi::parse_error`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use idp_core::transport::Clock;
use idp_core::{Api, Error, ErrorKind, Rate, Response};

use crate::VENDOR;
use crate::body::Said;
use crate::config::{ApiVersion, ENV_API_VERSION, ENV_BASE_URL};
use crate::rate_limit::RateLimit;

/// The operation names this crate sends under (what [`Response::operation`] and
/// [`Error::operation`] say).
pub(crate) mod op {
    /// `POST /auth/oauth2/v2/token`.
    pub(crate) const TOKEN: &str = "token";
    /// `DELETE /api/{1,2}/users/{id}`.
    pub(crate) const DELETE: &str = "delete_user";
    /// `GET /api/{1,2}/users?email=…`.
    pub(crate) const FIND: &str = "find_users";
    /// `GET /api/{1,2}/users/{id}`.
    pub(crate) const GET: &str = "get_user";
    /// `PUT /api/1/users/{id}/logout`.
    pub(crate) const LOGOUT: &str = "logout";
}

/// What to check when a 404 is not OneLogin saying "no such user".
const CHECK_URL_AND_VERSION: &str =
    "the base URL (ONELOGIN_BASE_URL) and the API version (ONELOGIN_API_VERSION)";

/// OneLogin's API: its name, request ids, errors and rate budget.
#[derive(Debug)]
pub(crate) struct OneLoginApi {
    version: ApiVersion,
    clock: Arc<dyn Clock>,
    /// The `X-RateLimit-*` values of the latest answer that carried them.
    last_rate: Arc<Mutex<Option<RateLimit>>>,
}

impl OneLoginApi {
    pub(crate) fn new(
        version: ApiVersion,
        clock: Arc<dyn Clock>,
        last_rate: Arc<Mutex<Option<RateLimit>>>,
    ) -> Self {
        OneLoginApi {
            version,
            clock,
            last_rate,
        }
    }

    /// The shape OneLogin answers `operation` in: logout exists in v1 only.
    fn shape_of(&self, operation: &str) -> ApiVersion {
        if operation == op::LOGOUT {
            ApiVersion::V1
        } else {
            self.version
        }
    }

    /// A 404 or 410: `NotFound` only from OneLogin's own "no such user" answer to a call on
    /// one user; the token endpoint's is a wrong base URL; anything else says what to check.
    fn missing(&self, response: &Response, status: u16, said: Option<&Said>) -> Error {
        let operation = response.operation;
        if operation == op::TOKEN {
            return Error::new(
                ErrorKind::Config,
                format!(
                    "no OAuth token endpoint at this address (HTTP {status}): check \
                     {ENV_BASE_URL}, the bare API domain such as https://<subdomain>.onelogin.com"
                ),
            )
            .with_status(status);
        }
        let on_one_user = [op::DELETE, op::GET, op::LOGOUT].contains(&operation);
        let expected = self.shape_of(operation);
        if let Some(said) = said
            && on_one_user
            && status == 404
        {
            if said.is_user_not_found(expected) {
                let message = said.message.clone().unwrap_or_default();
                let err = Error::new(ErrorKind::NotFound, message).with_status(status);
                return match &said.name {
                    Some(name) => err.with_code(name.clone()),
                    None => err,
                };
            }
            let other = match expected {
                ApiVersion::V1 => ApiVersion::V2,
                ApiVersion::V2 => ApiVersion::V1,
            };
            if said.is_user_not_found(other) {
                return Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "OneLogin answered an API {expected} call in the API {other} shape, so \
                         nothing is taken to be absent: check {ENV_API_VERSION}"
                    ),
                )
                .with_status(status);
            }
        }
        if operation == op::FIND {
            return response.error(
                ErrorKind::Protocol,
                format!(
                    "the user list answered HTTP {status} ({}): check {ENV_BASE_URL} and \
                     {ENV_API_VERSION} (a tenant without API {expected} has no such route)",
                    response.describe_body()
                ),
            );
        }
        response.unconfirmed_not_found(CHECK_URL_AND_VERSION)
    }

    /// On a 429 without `Retry-After`, OneLogin's `X-RateLimit-Reset` says when to come back.
    fn reset_hint(&self, response: &Response) -> Option<Duration> {
        if response.header("retry-after").is_some() || response.header("retry-after-ms").is_some() {
            return None;
        }
        RateLimit::from_response(response, self.clock.wall()).and_then(|limit| limit.reset)
    }
}

impl Api for OneLoginApi {
    // OneLogin documents no request id; `X-Request-Id` is reported when present.
    idp_core::api_identity!(VENDOR, &["x-request-id"]);

    /// Every status and body this crate maps, for every operation:
    ///
    /// | status | body / operation | kind |
    /// |---|---|---|
    /// | 400 | "Authorization Information is incorrect" | Protocol (our header) |
    /// | 400 | token request | Protocol (the request is fixed) |
    /// | 400 | anything else | InvalidInput |
    /// | 401 | token request | Unauthenticated (the core remembers it) |
    /// | 401 | "Insufficient Permission" | PermissionDenied |
    /// | 401 | anything else ("Authentication Failure") | Unauthenticated (one renewal) |
    /// | 403 | | PermissionDenied |
    /// | 404 | OneLogin's user-not-found, in the configured version's shape, on delete, read or logout | NotFound |
    /// | 404, 410 | token request | Config (wrong base URL) |
    /// | 404, 410 | anything else | Protocol naming ONELOGIN_BASE_URL and ONELOGIN_API_VERSION |
    /// | 429 | | RateLimited (wait: `Retry-After`, else `X-RateLimit-Reset`) |
    /// | 5xx | | Server |
    /// | other | | [`ErrorKind::from_status`] |
    ///
    /// A 2xx carrying an error envelope is judged by the code inside it.
    fn parse_error(&self, response: &Response) -> Error {
        let said = Said::parse(&response.body);
        let status = match &said {
            Some(said) if response.is_success() => said
                .code
                .filter(|&code| code >= 400)
                .unwrap_or(response.status),
            _ => response.status,
        };
        let token = response.operation == op::TOKEN;
        let lower = said
            .as_ref()
            .and_then(|s| s.message.as_deref())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let kind = match status {
            // "the Authorization header is missing or incorrectly formatted": ours to get
            // right, never the user's input.
            400 if lower.contains("authorization information is incorrect") => ErrorKind::Protocol,
            400 if token => ErrorKind::Protocol,
            400 => ErrorKind::InvalidInput,
            401 if token => ErrorKind::Unauthenticated,
            401 if lower.contains("insufficient permission") => ErrorKind::PermissionDenied,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            404 | 410 => return self.missing(response, status, said.as_ref()),
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            other => ErrorKind::from_status(other),
        };
        let mut text = match said.as_ref().and_then(|s| s.message.clone()) {
            Some(message) => message,
            None if said.is_some() => format!("HTTP {status} without a message"),
            None => response.describe_body(),
        };
        if token {
            text = format!("access token request refused: {text}");
        }
        let mut err = Error::new(kind, text).with_status(status);
        if let Some(name) = said.and_then(|s| s.name) {
            err = err.with_code(name);
        }
        if kind == ErrorKind::RateLimited
            && let Some(wait) = self.reset_hint(response)
        {
            err = err.with_retry_after(wait);
        }
        err
    }

    /// 5,000 calls per hour per account (OneLogin's documented v1 budget).
    fn default_rate(&self) -> Option<Rate> {
        Rate::new(5000, Duration::from_secs(3600))
    }

    /// `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the reset), read on
    /// every answer; also kept for [`Client::rate_limit`](crate::Client::rate_limit).
    fn remaining_budget(&self, response: &Response) -> Option<(u64, Duration)> {
        let limit = RateLimit::from_response(response, self.clock.wall())?;
        *self
            .last_rate
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(limit);
        Some((limit.remaining?, limit.reset?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};
    use idp_core::test_util::ManualClock;
    use std::time::UNIX_EPOCH;

    fn api(version: ApiVersion) -> OneLoginApi {
        OneLoginApi::new(
            version,
            Arc::new(ManualClock::new(UNIX_EPOCH)),
            Arc::default(),
        )
    }

    fn answer(status: u16, body: &str, operation: &'static str) -> Response {
        Response::new(status, HeaderMap::new(), body.to_owned()).for_operation(operation, 1)
    }

    fn v1(code: u16, message: &str) -> String {
        format!(r#"{{"status":{{"error":true,"code":{code},"type":"x","message":{message}}}}}"#)
    }

    fn v2(code: u16, name: &str, message: &str) -> String {
        format!(r#"{{"message":"{message}","name":"{name}","statusCode":{code}}}"#)
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
            (409, r#""conflict""#, ErrorKind::Conflict),
            (429, r#""Too many requests""#, ErrorKind::RateLimited),
            (500, r#""Internal Server Error""#, ErrorKind::Server),
            (503, r#""Service Unavailable""#, ErrorKind::Server),
        ];
        for operation in [op::DELETE, op::GET, op::LOGOUT] {
            for (status, message, kind) in cases {
                let err = api(ApiVersion::V1).parse_error(&answer(
                    status,
                    &v1(status, message),
                    operation,
                ));
                assert_eq!(err.kind(), kind, "{operation} {status} {message}");
                assert_eq!(err.status(), Some(status));
            }
        }
        let err = api(ApiVersion::V1).parse_error(&answer(
            400,
            &v1(400, r#"{"attribute":"id","description":"ID is incorrect"}"#),
            op::DELETE,
        ));
        assert_eq!(err.message(), "id: ID is incorrect");
    }

    #[test]
    fn every_v2_answer() {
        let cases = [
            (
                400,
                "BadRequest",
                "Authorization Information is incorrect",
                ErrorKind::Protocol,
            ),
            (
                400,
                "BadRequest",
                "Validation Failed",
                ErrorKind::InvalidInput,
            ),
            (
                401,
                "Unauthorized",
                "Authentication Failure",
                ErrorKind::Unauthenticated,
            ),
            (
                401,
                "Unauthorized",
                "Insufficient Permission",
                ErrorKind::PermissionDenied,
            ),
            (403, "Forbidden", "Forbidden", ErrorKind::PermissionDenied),
            (
                404,
                "NotFound",
                "User for id 5 was not found",
                ErrorKind::NotFound,
            ),
            (
                429,
                "TooManyRequests",
                "Too Many Requests",
                ErrorKind::RateLimited,
            ),
            (502, "BadGateway", "Bad Gateway", ErrorKind::Server),
        ];
        for (status, name, message, kind) in cases {
            let err = api(ApiVersion::V2).parse_error(&answer(
                status,
                &v2(status, name, message),
                op::DELETE,
            ));
            assert_eq!(err.kind(), kind, "{status} {message}");
            assert_eq!(err.message(), message);
            assert_eq!(err.code(), Some(name));
            assert_eq!(err.status(), Some(status));
        }
    }

    #[test]
    fn the_token_endpoint_has_its_own_rules() {
        let token = |status: u16, body: &str| {
            api(ApiVersion::V1).parse_error(&answer(status, body, op::TOKEN))
        };
        assert_eq!(
            token(400, &v1(400, r#""bad grant""#)).kind(),
            ErrorKind::Protocol
        );
        for body in [
            "<html>no</html>",
            "",
            &v1(404, r#""User for id 1 was not found""#),
        ] {
            let err = token(404, body);
            assert_eq!(err.kind(), ErrorKind::Config, "{body}");
            assert!(err.message().contains("ONELOGIN_BASE_URL"), "{err}");
        }
        for message in [
            r#""Authentication Failure""#,
            r#""Insufficient Permission""#,
        ] {
            let err = token(401, &v1(401, message));
            assert_eq!(err.kind(), ErrorKind::Unauthenticated);
            assert!(!err.is_retryable());
            assert!(
                err.message().starts_with("access token request refused"),
                "{err}"
            );
        }
    }

    #[test]
    fn not_found_is_only_onelogins_own_answer_in_the_configured_shape() {
        let v1_absent = v1(404, r#""User for id 5 was not found""#);
        let v2_absent = v2(404, "NotFound", "User for id 5 was not found");
        let kind = |version, body: &str, operation| {
            api(version)
                .parse_error(&answer(404, body, operation))
                .kind()
        };
        assert_eq!(
            kind(ApiVersion::V1, &v1_absent, op::DELETE),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(ApiVersion::V2, &v2_absent, op::DELETE),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(ApiVersion::V2, &v1_absent, op::LOGOUT),
            ErrorKind::NotFound
        );
        // The other version's shape, a list endpoint, a 410: never absent.
        let err = api(ApiVersion::V2).parse_error(&answer(404, &v1_absent, op::DELETE));
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.message().contains("ONELOGIN_API_VERSION"), "{err}");
        assert_eq!(
            kind(ApiVersion::V1, &v2_absent, op::GET),
            ErrorKind::Protocol
        );
        assert_eq!(
            kind(ApiVersion::V1, &v1_absent, op::FIND),
            ErrorKind::Protocol
        );
        let gone = api(ApiVersion::V1).parse_error(&answer(410, &v1_absent, op::DELETE));
        assert_eq!(gone.kind(), ErrorKind::Protocol);
        for body in ["", "404 page not found", r#"{"message":"Not Found"}"#] {
            let err = api(ApiVersion::V2).parse_error(&answer(404, body, op::DELETE));
            assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
            assert!(err.message().contains("ONELOGIN_BASE_URL"), "{err}");
            assert!(err.message().contains("ONELOGIN_API_VERSION"), "{err}");
        }
    }

    #[test]
    fn a_success_status_with_an_error_envelope_is_judged_by_its_code() {
        let hidden = v1(404, r#""User for id 5 was not found""#);
        let err = api(ApiVersion::V1).parse_error(&answer(200, &hidden, op::DELETE));
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.status(), Some(404));
    }

    #[test]
    fn the_rate_limit_reset_is_the_wait_unless_retry_after_is_given() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("42"));
        let api = api(ApiVersion::V1);
        let err = api.parse_error(&Response::new(429, headers.clone(), ""));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
        headers.insert("retry-after", HeaderValue::from_static("3"));
        let err = api.parse_error(&Response::new(429, headers, ""));
        assert_eq!(
            err.retry_after(),
            None,
            "left to the transport, which reads Retry-After"
        );
    }

    #[test]
    fn the_remaining_budget_needs_both_headers() {
        let api = api(ApiVersion::V1);
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("12"));
        assert_eq!(
            api.remaining_budget(&Response::new(200, headers.clone(), "")),
            None
        );
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("90"));
        assert_eq!(
            api.remaining_budget(&Response::new(200, headers, "")),
            Some((12, Duration::from_secs(90)))
        );
        assert_eq!(
            api.default_rate().map(|r| r.to_string()).as_deref(),
            Some("5000/h")
        );
    }

    #[test]
    fn long_messages_are_clipped() {
        let long = "x".repeat(2000);
        let err = api(ApiVersion::V1).parse_error(&answer(
            400,
            &v1(400, &format!("\"{long}\"")),
            op::DELETE,
        ));
        assert!(err.message().chars().count() <= idp_core::text::MAX_MESSAGE_CHARS + 1);
    }
}
