//! What RSA answers: its error bodies (RSA's own `{code, description}` and the Spring-style
//! 403), the error signs a 2xx must not carry, and the success shapes of delete and disable.

use idp_core::text::{truncate_for_message, vendor_message};
use idp_core::{Error, Response};
use serde_json::{Map, Value};

/// An error answer's body, as far as it can be read.
#[derive(Debug)]
pub(crate) enum ErrorBody {
    /// RSA's own shape (third-party capture, NOT CONFIRMED):
    /// `{"code": "404 NOT_FOUND", "description": "User … not found"}`.
    Rsa { code: String, description: String },
    /// The Spring-style shape RSA's 403s have (third-party capture, NOT CONFIRMED):
    /// `{"timestamp", "status", "error": "Forbidden", "message", "path"}`. Spring Boot's
    /// whitelabel 404 has it too, so it never means "no such user".
    Spring {
        error: Option<String>,
        message: Option<String>,
    },
    /// Some other JSON object or value.
    Json(Value),
    /// Plain text.
    Text(String),
    /// Empty, markup, or JSON cut at the body cap: nothing to quote.
    Nothing,
}

impl ErrorBody {
    pub(crate) fn read(response: &Response) -> ErrorBody {
        if response.is_empty() || response.is_markup() {
            return ErrorBody::Nothing;
        }
        match serde_json::from_slice::<Value>(&response.body) {
            Ok(Value::Object(map)) => ErrorBody::from_object(map),
            Ok(json) => ErrorBody::Json(json),
            Err(_) => {
                let text = String::from_utf8_lossy(&response.body);
                let text = text.trim();
                if text.starts_with('{') || text.starts_with('[') {
                    ErrorBody::Nothing
                } else {
                    ErrorBody::Text(text.to_owned())
                }
            }
        }
    }

    fn from_object(map: Map<String, Value>) -> ErrorBody {
        let text = |name: &str| match map.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        };
        if let (Some(code), Some(description)) = (text("code"), text("description")) {
            return ErrorBody::Rsa { code, description };
        }
        if map.contains_key("timestamp") && map.get("status").is_some_and(Value::is_number) {
            return ErrorBody::Spring {
                error: text("error"),
                message: text("message"),
            };
        }
        ErrorBody::Json(Value::Object(map))
    }

    /// Whether this is RSA's own "no such user": its `{code, description}` shape with a
    /// `NOT_FOUND` code and a description of the form "User … not found" (RSA documents the
    /// 404 as "User is not found."; a capture shows "User john.doe@example.com not found").
    /// A route-not-found in the same shape ("No handler found for …") is not.
    pub(crate) fn is_user_not_found(&self) -> bool {
        let ErrorBody::Rsa { code, description } = self else {
            return false;
        };
        let description = description
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        code.to_ascii_uppercase().contains("NOT_FOUND")
            && description.starts_with("user ")
            && description.ends_with("not found")
    }

    /// The vendor's reason, one line, clipped.
    pub(crate) fn reason(&self) -> Option<String> {
        let text = match self {
            ErrorBody::Rsa { description, .. } => Some(description.clone()),
            ErrorBody::Spring { error, message } => message.clone().or_else(|| error.clone()),
            ErrorBody::Json(json) => json_message(json),
            ErrorBody::Text(text) => Some(text.clone()),
            ErrorBody::Nothing => None,
        }?;
        vendor_message(&text)
    }

    /// The vendor's error code: RSA's `code`, or a `code` / `errorCode` of another JSON body.
    pub(crate) fn code(&self) -> Option<String> {
        match self {
            ErrorBody::Rsa { code, .. } => Some(truncate_for_message(code.trim())),
            ErrorBody::Json(Value::Object(map)) => {
                ["errorCode", "code"]
                    .iter()
                    .find_map(|name| match map.get(*name) {
                        Some(Value::String(s)) if !s.trim().is_empty() => {
                            Some(truncate_for_message(s.trim()))
                        }
                        Some(Value::Number(n)) => Some(n.to_string()),
                        _ => None,
                    })
            }
            _ => None,
        }
    }
}

/// The first message-like field of a JSON error body of unknown shape: top level, nested
/// under one of these fields, or the first element of `errors`.
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
        Value::Object(map) => FIELDS
            .iter()
            .find_map(|name| match map.get(*name) {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                Some(nested @ Value::Object(_)) => json_message(nested),
                _ => None,
            })
            .or_else(|| map.get("errors").and_then(json_message)),
        Value::Array(items) => items.first().and_then(json_message),
        _ => None,
    }
}

/// Whether a JSON object carries a sign of an error: an `error` or `errors` field, `success:
/// false`, or a 4xx/5xx `code` or `status`. A 2xx with one is not a success.
pub(crate) fn has_error_sign(map: &Map<String, Value>) -> bool {
    let present = |name: &str| map.get(name).is_some_and(|v| !v.is_null());
    let failed = matches!(map.get("success"), Some(Value::Bool(false)))
        || map
            .get("success")
            .and_then(Value::as_str)
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("false"));
    present("error")
        || present("errors")
        || failed
        || map.get("code").is_some_and(is_error_status)
        || map.get("status").is_some_and(is_error_status)
}

/// A 4xx/5xx status as a number or at the start of a string (`"404 NOT_FOUND"`).
fn is_error_status(value: &Value) -> bool {
    let status = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        }
        _ => None,
    };
    status.is_some_and(|s| (400..600).contains(&s))
}

/// The answer to `DELETE …/users/{id}` means "deleted" only as RSA documents it: HTTP 200
/// with an empty body or a JSON object without an error sign. Anything else in 2xx (a 200
/// web page, `text/plain` "OK", 202, 204, 207 …) is a [`Protocol`](idp_core::ErrorKind)
/// error: the user may still be there.
pub(crate) fn deleted(response: &Response) -> Result<(), Error> {
    let documented = response.status == 200
        && (response.is_empty() || response.json_object().is_some_and(|m| !has_error_sign(&m)));
    if documented {
        Ok(())
    } else {
        Err(response.unconfirmed_success("the delete"))
    }
}

/// The answer to `PUT …/users/{id}/userStatus` means "disabled" only as RSA documents it:
/// HTTP 200 with `{"id": "<id>", "userStatus": "Disabled"}` (the `id`, when present, the one
/// sent).
pub(crate) fn disabled(response: &Response, user_id: &str) -> Result<(), Error> {
    let documented = response.status == 200
        && response.json_object().is_some_and(|map| {
            let status = map.get("userStatus").and_then(Value::as_str);
            let id = map.get("id");
            !has_error_sign(&map)
                && status.is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
                && id.is_none_or(|id| {
                    id.as_str()
                        .is_some_and(|id| id.eq_ignore_ascii_case(user_id))
                })
        });
    if documented {
        Ok(())
    } else {
        Err(response.unconfirmed_success("disabling the user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    fn body(text: &str) -> ErrorBody {
        ErrorBody::read(&Response::new(404, HeaderMap::new(), text.to_owned()))
    }

    #[test]
    fn only_rsas_own_user_not_found_is_a_missing_user() {
        for rsa in [
            r#"{"code":"404 NOT_FOUND","description":"User john.doe@example.com not found"}"#,
            r#"{"code":"404 NOT_FOUND","description":"User is not found."}"#,
            r#"{"code":"NOT_FOUND","description":"user eb2e12ae not found"}"#,
        ] {
            assert!(body(rsa).is_user_not_found(), "{rsa}");
        }
        for other in [
            "",
            "User not found",
            r#"{"message":"User is not found."}"#,
            r#"{"code":"404 NOT_FOUND","description":"No handler found for POST /v1/user"}"#,
            r#"{"code":"400 BAD_REQUEST","description":"User x not found"}"#,
            r#"{"code":404,"description":"User x not found"}"#,
            r#"{"timestamp":1,"status":404,"error":"Not Found","path":"/x"}"#,
            r#"{"message":"no Route matched with those values"}"#,
            "<html><body>User is not found</body></html>",
        ] {
            assert!(!body(other).is_user_not_found(), "{other}");
        }
    }

    #[test]
    fn reasons_and_codes_from_each_shape() {
        let rsa = body(r#"{"code":"409 CONFLICT","description":"User is in enabled state."}"#);
        assert_eq!(rsa.reason().as_deref(), Some("User is in enabled state."));
        assert_eq!(rsa.code().as_deref(), Some("409 CONFLICT"));
        let spring = body(
            r#"{"timestamp":1749938869908,"status":403,"error":"Forbidden","message":"Server failed to process provided access token","path":"/x"}"#,
        );
        assert_eq!(
            spring.reason().as_deref(),
            Some("Server failed to process provided access token")
        );
        assert_eq!(spring.code(), None);
        let nested = body(r#"{"errors":[{"description":"Something new"}],"errorCode":7}"#);
        assert_eq!(nested.reason().as_deref(), Some("Something new"));
        assert_eq!(nested.code().as_deref(), Some("7"));
        assert_eq!(
            body("plain\nreason ").reason().as_deref(),
            Some("plain reason")
        );
        assert_eq!(body(r#""quoted""#).reason().as_deref(), Some("quoted"));
        assert_eq!(body(r#"{"cut":"#).reason(), None);
        assert_eq!(body("<p>page</p>").reason(), None);
    }

    #[test]
    fn error_signs() {
        let object = |text: &str| match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for sign in [
            r#"{"error":"x"}"#,
            r#"{"errors":[]}"#,
            r#"{"success":false}"#,
            r#"{"success":"false"}"#,
            r#"{"code":"404 NOT_FOUND"}"#,
            r#"{"code":500}"#,
            r#"{"status":403}"#,
        ] {
            assert!(has_error_sign(&object(sign)), "{sign}");
        }
        for fine in [
            "{}",
            r#"{"error":null}"#,
            r#"{"success":true}"#,
            r#"{"code":"200 OK"}"#,
            r#"{"id":"u","status":"Deleted"}"#,
        ] {
            assert!(!has_error_sign(&object(fine)), "{fine}");
        }
    }
}
