//! What the transport needs to know about the Control Room, and the one place where its
//! answers become errors.

use idp_core::text::vendor_message;
use idp_core::{Api, Error, ErrorKind, Response};
use serde_json::{Map, Value};

use crate::VENDOR;
use crate::config::{ENV_API_VERSION, ENV_URL};

/// The response header that may carry a request id. Not documented by the vendor (not
/// confirmed); read when present, harmless when absent.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

/// The operations that address one user by id, where a 404 can be the Control Room's own
/// "no such user" answer. A 404 anywhere else (login, logout, the user list) is a wrong URL
/// or API version.
const USER_OPERATIONS: [&str; 3] = ["delete_user", "get_user", "update_user"];

/// What to check when an answer is not the Control Room's.
fn check() -> String {
    format!(
        "the Control Room URL ({ENV_URL}) and the API version ({ENV_API_VERSION}: v2 for \
         Automation 360 v.33 and later)"
    )
}

/// What a blocked delete needs cleared, as the vendor documents it.
pub(crate) const DELETE_BLOCKERS: &str = "schedules of the user, automations running on its \
    device, Credential Vault lockers it is a member of, and queues or device pools it owns or \
    belongs to";

/// The Control Room's API, as the transport sees it.
pub(crate) struct ControlRoomApi;

impl Api for ControlRoomApi {
    idp_core::api_identity!(VENDOR, &[REQUEST_ID_HEADER]);

    fn parse_error(&self, response: &Response) -> Error {
        parse_error(response)
    }
}

/// Every Control Room answer that is not a success becomes an [`Error`] here.
///
/// | status | kind |
/// |---|---|
/// | 404 on a user (delete, get, update) with the Control Room's own not-found body | `NotFound` |
/// | any other 404, 405, 410 (login, logout, list; a gateway; an empty or text body) | `Protocol`, naming `AA_CONTROL_ROOM_URL` and `AA_API_VERSION` |
/// | 400, 422 | `InvalidInput` |
/// | 401 | `Unauthenticated` (the transport renews the token once) |
/// | 403 | `PermissionDenied` |
/// | 408 | `Timeout` (retried) |
/// | 409 | `Conflict`, the vendor's code and message kept (on delete: the user has dependencies) |
/// | 429 | `RateLimited` (retried) |
/// | 5xx | `Server` (500, 502, 503, 504 retried) |
/// | anything else | `Protocol` |
pub(crate) fn parse_error(response: &Response) -> Error {
    let body = response.json_object();
    let status = response.status;
    let err = match status {
        404 if USER_OPERATIONS.contains(&response.operation)
            && body.as_ref().is_some_and(says_user_not_found) =>
        {
            response.error(ErrorKind::NotFound, message(response, body.as_ref()))
        }
        404 | 410 => return response.unconfirmed_not_found(&check()),
        405 => response.error(
            ErrorKind::Protocol,
            format!(
                "HTTP 405: this Control Room does not serve {} here: check {}",
                describe(response.operation),
                check()
            ),
        ),
        409 if response.operation == "delete_user" => response.error(
            ErrorKind::Conflict,
            format!(
                "{} (the user has dependencies; clear them first: {DELETE_BLOCKERS})",
                message(response, body.as_ref())
            ),
        ),
        _ => response.error(
            ErrorKind::from_status(status),
            message(response, body.as_ref()),
        ),
    };
    match body.as_ref().and_then(code) {
        Some(code) => err.with_code(code),
        None => err,
    }
}

/// Whether a body is the Control Room's own error shape (`{"code": "…", "message": "…"}`,
/// the code a non-empty string) saying that a user does not exist. The Control Room's code
/// for an unknown user is not confirmed, so the message decides: it must name a user and say
/// it was not found. A gateway's 404 (`{"message":"Not Found"}`, Azure's `statusCode`,
/// Spring's `error`) has no such code and is never read as an absent user.
fn says_user_not_found(body: &Map<String, Value>) -> bool {
    const NOT_FOUND: [&str; 5] = [
        "not found",
        "not be found",
        "not exist",
        "n't exist",
        "no such",
    ];
    let has_code = matches!(body.get("code"), Some(Value::String(code)) if !code.trim().is_empty());
    let message = match body.get("message") {
        Some(Value::String(message)) => message.to_ascii_lowercase(),
        _ => return false,
    };
    has_code && message.contains("user") && NOT_FOUND.iter().any(|p| message.contains(p))
}

/// The vendor's message (with `details` when that is a string adding something), or ours.
fn message(response: &Response, body: Option<&Map<String, Value>>) -> String {
    let text = |key: &str| match body.and_then(|b| b.get(key)) {
        Some(Value::String(text)) => vendor_message(text),
        _ => None,
    };
    match (text("message"), text("details")) {
        (Some(message), Some(details)) if details != message => format!("{message} ({details})"),
        (Some(message), _) => message,
        (None, Some(details)) => details,
        (None, None) if response.is_empty() => format!(
            "{} failed with HTTP {}",
            describe(response.operation),
            response.status
        ),
        (None, None) => format!(
            "{} failed with HTTP {}: {}",
            describe(response.operation),
            response.status,
            response.describe_body()
        ),
    }
}

/// The Control Room's code as text: it sends strings (`"UM1117"`); a number is kept too.
fn code(body: &Map<String, Value>) -> Option<String> {
    match body.get("code")? {
        Value::String(code) => vendor_message(code),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// An operation's name as people read it: `"delete user"`.
fn describe(operation: &str) -> String {
    operation.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};
    use idp_core::test_util::PLAIN_STATUS_KINDS;

    fn answer(status: u16, operation: &'static str, body: &'static str) -> Error {
        parse_error(&Response::new(status, HeaderMap::new(), body).for_operation(operation, 1))
    }

    #[test]
    fn statuses_map_to_kinds() {
        // Without the Control Room's own body, none of these is about a user: a wrong URL or
        // API version.
        let not_the_control_room = [404, 405, 410, 418].map(|status| (status, ErrorKind::Protocol));
        for operation in ["login", "delete_user", "get_user", "list_users", "logout"] {
            for (status, kind) in PLAIN_STATUS_KINDS.into_iter().chain(not_the_control_room) {
                let err = answer(status, operation, "");
                assert_eq!(err.kind(), kind, "{status} {operation}");
                assert_eq!(err.status(), Some(status));
            }
        }
    }

    #[test]
    fn only_the_control_rooms_own_answer_on_a_user_is_not_found() {
        let own = r#"{"code":"UM1009","details":null,"message":"User not found"}"#;
        for operation in ["delete_user", "get_user", "update_user"] {
            assert_eq!(answer(404, operation, own).kind(), ErrorKind::NotFound);
        }
        for operation in ["login", "logout", "list_users"] {
            let err = answer(404, operation, own);
            assert_eq!(err.kind(), ErrorKind::Protocol, "{operation}");
            assert!(err.message().contains("AA_API_VERSION"), "{err}");
        }
        for body in [
            r#"{"code":404,"message":"User not found"}"#,
            r#"{"code":"","message":"User not found"}"#,
            r#"{"code":"NotFound","message":"Resource not found"}"#,
            r#"{"message":"User not found"}"#,
            r#"{"code":"UM1009"}"#,
            r#"["User not found"]"#,
        ] {
            assert_eq!(
                answer(404, "delete_user", body).kind(),
                ErrorKind::Protocol,
                "{body}"
            );
        }
        let err = answer(404, "delete_user", own);
        assert_eq!(err.code(), Some("UM1009"));
        assert_eq!(err.message(), "User not found");
    }

    #[test]
    fn the_vendor_body_is_kept() {
        let err = answer(
            401,
            "delete_user",
            r#"{"code":"UM1117","details":null,"message":"Access token expected in the 'X-Authorization' header","extra":1}"#,
        );
        assert_eq!(err.code(), Some("UM1117"));
        assert_eq!(
            err.message(),
            "Access token expected in the 'X-Authorization' header"
        );
        let err = answer(
            409,
            "update_user",
            r#"{"code":42,"details":"version mismatch","message":"Conflict"}"#,
        );
        assert_eq!(err.code(), Some("42"));
        assert_eq!(err.message(), "Conflict (version mismatch)");
    }

    #[test]
    fn a_blocked_delete_names_its_dependencies() {
        let err = answer(
            409,
            "delete_user",
            r#"{"code":"UM1124","details":null,"message":"User is in use"}"#,
        );
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(err.code(), Some("UM1124"));
        assert!(
            err.message()
                .starts_with("User is in use (the user has dependencies"),
            "{err}"
        );
        assert!(err.message().contains("Credential Vault"), "{err}");
    }

    #[test]
    fn odd_bodies_are_described() {
        let err = answer(502, "delete_user", "<html>Bad gateway</html>");
        assert_eq!(err.code(), None);
        assert!(err.message().contains("Bad gateway"), "{}", err.message());
        assert_eq!(
            answer(500, "delete_user", "").message(),
            "delete user failed with HTTP 500"
        );
        let err = answer(404, "login", "");
        assert!(err.message().contains("API version"), "{}", err.message());
        let web_page = answer(404, "delete_user", "<!DOCTYPE html><h1>404 Not Found</h1>");
        assert_eq!(web_page.kind(), ErrorKind::Protocol);
        assert!(
            web_page.message().contains("AA_CONTROL_ROOM_URL"),
            "{web_page}"
        );
    }

    #[test]
    fn a_long_vendor_message_is_one_clipped_line() {
        let body = format!(
            r#"{{"code":"UM1","message":"line one\nline two {}"}}"#,
            "x".repeat(2000)
        );
        let response = Response::new(500, HeaderMap::new(), body).for_operation("get_user", 1);
        let err = parse_error(&response);
        assert!(!err.message().contains('\n'));
        assert!(err.message().chars().count() <= idp_core::text::MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn the_request_id_header_is_declared() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("req-7"));
        let response = Response::new(403, headers, "")
            .with_request_id_from(ControlRoomApi.request_id_headers());
        assert_eq!(response.request_id(), Some("req-7"));
    }
}

/// Property: the error mapping never panics, and `NotFound` comes only from the Control
/// Room's own shape on a user operation.
#[cfg(test)]
mod fuzz {
    use super::*;
    use idp_core::test_util::strategies::response;
    use proptest::prelude::*;

    pub(crate) const KEYS: &[&str] = &[
        "code",
        "details",
        "message",
        "token",
        "user",
        "id",
        "username",
        "email",
        "roles",
        "disabled",
        "list",
        "page",
        "total",
        "totalFilter",
        "statusCode",
        "error",
    ];
    const OPERATIONS: &[&str] = &[
        "login",
        "logout",
        "delete_user",
        "get_user",
        "update_user",
        "list_users",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn parse_error_never_panics(response in response(KEYS, &[REQUEST_ID_HEADER], OPERATIONS)) {
            let err = parse_error(&response);
            prop_assert_eq!(err.status(), Some(response.status));
            if err.kind() == ErrorKind::NotFound {
                prop_assert_eq!(response.status, 404);
                prop_assert!(USER_OPERATIONS.contains(&response.operation));
                let body = response.json_object();
                prop_assert!(body.as_ref().is_some_and(|b| b.get("code").is_some_and(Value::is_string)));
            }
            let _ = format!("{err} {err:?}");
        }
    }
}
