//! RSA's API as the transport needs to know it, and the one place where every status and
//! body RSA answers with becomes an [`ErrorKind`]: deletes, lookups, status changes.

use idp_core::{Api, Error, ErrorKind, Response};

use crate::VENDOR;
use crate::answer::ErrorBody;

/// Headers that may carry a request id. RSA documents none; these are the usual names, read
/// only when present.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "x-correlation-id", "x-amzn-requestid"];

/// What to check when a 404 or 410 is not RSA's own "no such user".
pub(crate) const CHECK_BASE_URL: &str = "the base URL, RSA_CAS_BASE_URL (--base-url) or the key \
     file's adminRestApiUrl: it must end in /AdminInterface/restapi or /AdminInterface/restapi/v1";

/// Appended to a delete's 409 when RSA says the user is enabled; [`is_enabled_conflict`]
/// recognises it.
const ENABLED_HINT: &str = "(disable the user first: only disabled users can be deleted)";

/// Appended to a delete's 409 when RSA says the user is pending deletion.
const PENDING_HINT: &str = "(the user is marked deleted: CAS removes it by itself within 7 days)";

const FORBIDDEN: &str = "not authorized: RSA answers 403 both for a key without the needed role \
     (Super Administrator to delete; Help Desk Administrator to look up or disable) and for a \
     token it refused (wrong key file, accessID or adminRestApiUrl, or this machine's clock off \
     by more than a minute)";

/// RSA SecurID Cloud Access Service's Cloud Administration REST API. (Bodies reach
/// `parse_error` with every credential already scrubbed by the transport, so no message cut
/// from one can hold part of the JWT.)
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RsaCasApi;

impl Api for RsaCasApi {
    idp_core::api_identity!(VENDOR, &REQUEST_ID_HEADERS);

    fn parse_error(&self, response: &Response) -> Error {
        let body = ErrorBody::read(response);
        let reason = body.reason();
        let with_reason = |message: &str| match &reason {
            Some(reason) => format!("{message}: {reason}"),
            None => message.to_owned(),
        };
        let (kind, message) = match response.status {
            404 if body.is_user_not_found() => (ErrorKind::NotFound, with_reason("no such user")),
            // A gateway, a proxy, a wrong base URL, or RSA's own 404 for a path it does not
            // have: none of them says anything about the user.
            404 | 410 => {
                let err = response.unconfirmed_not_found(CHECK_BASE_URL);
                return with_code(err, &body);
            }
            401 => (
                ErrorKind::Unauthenticated,
                with_reason(
                    "the service did not accept the JWT: check the key file (accessID, \
                     accessKey, adminRestApiUrl) and this machine's clock",
                ),
            ),
            403 => (ErrorKind::PermissionDenied, with_reason(FORBIDDEN)),
            405 if response.operation == "delete_user" => (
                ErrorKind::NotAllowed,
                with_reason(
                    "RSA does not delete users of SCIM-managed identity sources (SCIM Managed, \
                     Azure Active Directory SCIM): delete the user in the identity provider, \
                     which deprovisions it through SCIM",
                ),
            ),
            405 => (
                ErrorKind::NotAllowed,
                with_reason(&format!(
                    "HTTP 405 Method Not Allowed: RSA answers it for users of SCIM-managed \
                     identity sources; otherwise check {CHECK_BASE_URL}"
                )),
            ),
            409 => (
                ErrorKind::Conflict,
                conflict_message(response.operation, reason.as_deref()),
            ),
            400 => (
                ErrorKind::InvalidInput,
                with_reason("RSA refused the request as malformed"),
            ),
            429 => (ErrorKind::RateLimited, with_reason("too many requests")),
            500 => (
                ErrorKind::Server,
                with_reason("internal error while processing the request"),
            ),
            status => {
                let message = format!("unexpected HTTP status {status}");
                let message = match &reason {
                    Some(reason) => format!("{message}: {reason}"),
                    None => format!("{message}: {}", response.describe_body()),
                };
                (ErrorKind::from_status(status), message)
            }
        };
        with_code(response.error(kind, message), &body)
    }
}

fn with_code(err: Error, body: &ErrorBody) -> Error {
    match body.code() {
        Some(code) => err.with_code(code),
        None => err,
    }
}

/// RSA's 409 reasons, with what to do about the known ones. The documented list for delete
/// has two ("User is in enabled state.", "User is in pending deletion state."); any other
/// reason is passed on verbatim.
fn conflict_message(operation: &str, reason: Option<&str>) -> String {
    let what = match operation {
        "delete_user" => "the user cannot be deleted",
        "disable_user" => "RSA refused to change the user's status",
        _ => "conflict",
    };
    let Some(reason) = reason else {
        return match operation {
            "delete_user" => format!(
                "{what} now (HTTP 409 without a reason; a user must be disabled and not pending \
                 deletion to be deleted)"
            ),
            _ => format!("{what} (HTTP 409 without a reason)"),
        };
    };
    let lower = reason.to_ascii_lowercase();
    let hint = if operation != "delete_user" {
        None
    } else if lower.contains("pending deletion") {
        Some(PENDING_HINT)
    } else if lower.contains("enabled state") {
        Some(ENABLED_HINT)
    } else {
        None
    };
    match hint {
        Some(hint) => format!("{what}: {reason} {hint}"),
        None => format!("{what}: {reason}"),
    }
}

/// Whether `err` is a delete's 409 because the user is still enabled.
pub(crate) fn is_enabled_conflict(err: &Error) -> bool {
    err.kind() == ErrorKind::Conflict && err.message().contains(ENABLED_HINT)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};

    fn answer(status: u16, body: &str) -> Response {
        Response::new(status, HeaderMap::new(), body.to_owned()).for_operation("delete_user", 1)
    }

    fn parse(status: u16, body: &str) -> Error {
        RsaCasApi.parse_error(&answer(status, body))
    }

    const NOT_FOUND: &str = r#"{"code":"404 NOT_FOUND","description":"User eb2e12ae-1112-451b-98e1-dfe4e6afd60d not found"}"#;

    #[test]
    fn every_documented_status_maps() {
        for (status, body, kind) in [
            (401, "", ErrorKind::Unauthenticated),
            (403, "", ErrorKind::PermissionDenied),
            (404, NOT_FOUND, ErrorKind::NotFound),
            (404, "", ErrorKind::Protocol),
            (405, "", ErrorKind::NotAllowed),
            (409, "", ErrorKind::Conflict),
            (429, "", ErrorKind::RateLimited),
            (500, "", ErrorKind::Server),
            (502, "", ErrorKind::Server),
            (400, "", ErrorKind::InvalidInput),
            (410, "", ErrorKind::Protocol),
            (418, "", ErrorKind::Protocol),
        ] {
            let err = parse(status, body);
            assert_eq!(err.kind(), kind, "{status} {body}");
            assert_eq!(err.status(), Some(status));
        }
    }

    #[test]
    fn forbidden_says_bad_tokens_get_it_too() {
        let err = parse(403, "");
        assert!(err.message().contains("Super Administrator"), "{err}");
        assert!(err.message().contains("token"), "{err}");
        assert!(!err.is_retryable());
        let spring = parse(
            403,
            r#"{"timestamp":1749938869908,"status":403,"error":"Forbidden","message":"Server failed to process provided access token","path":"/AdminInterface/restapi/v1/users/x/userStatus"}"#,
        );
        assert_eq!(spring.kind(), ErrorKind::PermissionDenied);
        assert!(
            spring
                .message()
                .ends_with(": Server failed to process provided access token"),
            "{spring}"
        );
    }

    #[test]
    fn not_found_quotes_rsa_and_keeps_its_code() {
        let err = parse(404, NOT_FOUND);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.code(), Some("404 NOT_FOUND"));
        assert!(err.message().contains("not found"), "{err}");
    }

    #[test]
    fn other_404s_name_the_base_url_variable() {
        for body in [
            "",
            "404 page not found",
            r#"{"message":"Not Found"}"#,
            r#"{"message":"User is not found."}"#,
            "<!doctype html><h1>404</h1>",
        ] {
            let err = parse(404, body);
            assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
            assert!(err.message().contains("RSA_CAS_BASE_URL"), "{err}");
            assert!(err.message().contains("adminRestApiUrl"), "{err}");
        }
    }

    #[test]
    fn conflict_reasons_from_any_body_shape() {
        let rsa = parse(
            409,
            r#"{"code":"409 CONFLICT","description":"User is in enabled state."}"#,
        );
        assert!(
            rsa.message()
                .contains("User is in enabled state. (disable the user first"),
            "{rsa}"
        );
        assert!(is_enabled_conflict(&rsa));
        assert_eq!(rsa.code(), Some("409 CONFLICT"));
        let json = parse(409, r#"{"message":"User is in enabled state."}"#);
        assert!(is_enabled_conflict(&json), "{json}");
        let text = parse(409, "User is in pending deletion state.\n");
        assert!(
            text.message()
                .contains("pending deletion state. (the user is marked deleted"),
            "{text}"
        );
        assert!(!is_enabled_conflict(&text));
        let nested = parse(409, r#"{"errors":[{"description":"Something new"}]}"#);
        assert!(
            nested
                .message()
                .ends_with("cannot be deleted: Something new"),
            "{nested}"
        );
        let string = parse(409, r#""quoted reason""#);
        assert!(string.message().ends_with(": quoted reason"), "{string}");
        let none = parse(409, "");
        assert!(none.message().contains("must be disabled"), "{none}");
        let html = parse(409, "<html><body>Conflict</body></html>");
        assert!(!html.message().contains("<html>"), "{html}");
        for err in [rsa, json, text, nested, string, none, html] {
            assert_eq!(err.kind(), ErrorKind::Conflict);
        }
        // Only a delete's 409 gets the delete hints.
        let disable = RsaCasApi.parse_error(
            &Response::new(409, HeaderMap::new(), "User is in enabled state.")
                .for_operation("disable_user", 1),
        );
        assert!(!is_enabled_conflict(&disable), "{disable}");
    }

    #[test]
    fn a_scim_user_cannot_be_deleted_here() {
        let err = parse(405, r#"{"message":"Method Not Allowed"}"#);
        assert_eq!(err.kind(), ErrorKind::NotAllowed);
        assert!(err.message().contains("identity provider"), "{err}");
        assert!(err.message().contains("SCIM"), "{err}");
    }

    #[test]
    fn wrong_number_of_properties_is_quoted() {
        let err = parse(
            400,
            r#"{"code":"400 BAD_REQUEST","description":"Wrong number of properties in the request body."}"#,
        );
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.message()
                .ends_with("Wrong number of properties in the request body.")
        );
    }

    #[test]
    fn vendor_code_message_and_request_id_are_kept() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("req-7"));
        let response = Response::new(
            500,
            headers,
            r#"{"code":"500 INTERNAL_SERVER_ERROR","description":"An internal\nerror occurred."}"#,
        )
        .with_request_id_from(&REQUEST_ID_HEADERS);
        let err = RsaCasApi.parse_error(&response);
        assert_eq!(err.code(), Some("500 INTERNAL_SERVER_ERROR"));
        assert_eq!(response.request_id(), Some("req-7"));
        assert!(
            err.message().ends_with(": An internal error occurred."),
            "{}",
            err.message()
        );
        assert!(err.is_retryable());
    }

    #[test]
    fn unexpected_status_describes_the_body() {
        let err = parse(418, "teapot");
        assert!(
            err.message().contains("unexpected HTTP status 418"),
            "{err}"
        );
        let err = parse(418, "<html>x</html>");
        assert!(err.message().contains("14 bytes"), "{err}");
    }

    #[test]
    fn long_reasons_are_cut_to_the_shared_limit() {
        let err = parse(409, &"x".repeat(5000));
        let limit = idp_core::text::MAX_MESSAGE_CHARS + 100;
        assert!(
            err.message().chars().count() < limit,
            "{}",
            err.message().len()
        );
    }
}

/// Properties over arbitrary answers (the shared strategy): nothing panics, "no such user"
/// comes only from RSA's own body, and "done" only from RSA's documented success shapes.
#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::{answer, lookup};
    use idp_core::test_util::strategies::response;
    use proptest::prelude::*;
    use serde_json::Value;

    const KEYS: &[&str] = &[
        "code",
        "description",
        "message",
        "error",
        "errors",
        "errorCode",
        "timestamp",
        "status",
        "success",
        "id",
        "userStatus",
        "emailAddress",
        "markDeleted",
    ];
    const HEADERS: &[&str] = &["x-request-id", "x-correlation-id", "x-amzn-requestid"];
    const OPERATIONS: &[&str] = &["delete_user", "lookup_user", "disable_user", "check_access"];

    fn object(response: &Response) -> Option<serde_json::Map<String, Value>> {
        match serde_json::from_slice(&response.body) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn not_found_only_from_rsas_own_body(response in response(KEYS, HEADERS, OPERATIONS)) {
            let err = RsaCasApi.parse_error(&response);
            prop_assert_eq!(err.status(), Some(response.status));
            prop_assert!(err.message().chars().count() < 1200, "{}", err.message());
            if err.kind() == ErrorKind::NotFound {
                prop_assert_eq!(response.status, 404);
                let map = object(&response).expect("a JSON object");
                let code = map.get("code").and_then(Value::as_str).unwrap_or_default();
                let description =
                    map.get("description").and_then(Value::as_str).unwrap_or_default();
                prop_assert!(code.to_ascii_uppercase().contains("NOT_FOUND"));
                prop_assert!(description.to_ascii_lowercase().contains("not found"));
            }
        }

        #[test]
        fn done_only_from_the_documented_success_shapes(
            response in response(KEYS, HEADERS, OPERATIONS),
        ) {
            if answer::deleted(&response).is_ok() {
                prop_assert_eq!(response.status, 200);
                let object = object(&response);
                prop_assert!(response.is_empty() || object.is_some());
                prop_assert!(object.is_none_or(|m| !m.contains_key("error")
                    && !m.contains_key("errors")
                    && m.get("success") != Some(&Value::Bool(false))));
            }
            if answer::disabled(&response, "u-1").is_ok() {
                prop_assert_eq!(response.status, 200);
                let status = object(&response)
                    .and_then(|m| m.get("userStatus").and_then(Value::as_str).map(str::to_owned));
                prop_assert!(status.is_some_and(|s| s.eq_ignore_ascii_case("disabled")));
            }
            if let Ok(account) = lookup::record(&response) {
                prop_assert_eq!(response.status, 200);
                let id = object(&response)
                    .and_then(|m| m.get("id").and_then(Value::as_str).map(str::to_owned));
                prop_assert_eq!(id, Some(account.user_id));
            }
        }
    }
}
