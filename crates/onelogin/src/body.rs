//! OneLogin's two body shapes, read the same way for errors and for success answers.
//!
//! - v1: `{"status": {"error": bool, "code": 404, "type": "not found", "message": …}, …}`,
//!   where `message` is a string or `{"attribute", "description"}`.
//! - v2 errors: `{"message": "…", "name": "…", "statusCode": 404}`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::config::ApiVersion;

/// What a OneLogin body said, in either of its shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Said {
    /// Which shape it came in.
    pub(crate) shape: ApiVersion,
    /// v1 `status.error` (v2 error bodies have no such flag).
    pub(crate) error: Option<bool>,
    /// The status code inside the body (v1 `status.code`, v2 `statusCode`).
    pub(crate) code: Option<u16>,
    /// The message, as one line of text.
    pub(crate) message: Option<String>,
    /// v2 `name` (such as `"NotFound"`).
    pub(crate) name: Option<String>,
}

impl Said {
    /// Reads `body` when it is one of OneLogin's shapes; `None` for anything else (a gateway's
    /// page, `{"message": …}` alone, a bare array).
    pub(crate) fn parse(body: &[u8]) -> Option<Said> {
        // Every delete of a bulk run reads a v1 envelope: read that shape straight from the
        // bytes; anything it does not fit exactly takes the general path below.
        if let Ok(Object(envelope)) = serde_json::from_slice::<Object<V1Envelope<'_>>>(body) {
            let Object(status) = envelope.status;
            return Some(Said {
                shape: ApiVersion::V1,
                error: status.error,
                code: status.code.and_then(|code| u16::try_from(code).ok()),
                message: status
                    .message
                    .and_then(|text| idp_core::text::vendor_message(&text)),
                name: None,
            });
        }
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        if let Some(Value::Object(status)) = object.get("status") {
            return Some(Said {
                shape: ApiVersion::V1,
                error: status.get("error").and_then(Value::as_bool),
                code: code(status, "code"),
                message: status.get("message").and_then(message_text),
                name: None,
            });
        }
        let status_code = code(&object, "statusCode")?;
        let message = object.get("message").and_then(message_text)?;
        Some(Said {
            shape: ApiVersion::V2,
            error: None,
            code: Some(status_code),
            message: Some(message),
            name: object
                .get("name")
                .and_then(Value::as_str)
                .and_then(idp_core::text::vendor_message),
        })
    }

    /// Whether the body says this is an error (v1 `"error": true`, or a 4xx/5xx code).
    pub(crate) fn is_error(&self) -> bool {
        self.error == Some(true) || self.code.is_some_and(|code| code >= 400)
    }

    /// Whether the body is a v1 envelope that says the call succeeded (`"error": false`).
    pub(crate) fn is_v1_success(&self) -> bool {
        self.shape == ApiVersion::V1 && self.error == Some(false) && !self.is_error()
    }

    /// Whether this is OneLogin's own answer for a user that does not exist, in `shape`:
    ///
    /// - v1 (documented): `"error": true`, `"code": 404`, a message saying the user was not
    ///   found ("User for id N was not found");
    /// - v2 (exact text NOT CONFIRMED): `statusCode` 404 with both `message` and `name`, and a
    ///   message saying a user was not found.
    ///
    /// Any other 404 (a gateway's, a route OneLogin does not serve) is not this.
    pub(crate) fn is_user_not_found(&self, shape: ApiVersion) -> bool {
        let shaped = match shape {
            ApiVersion::V1 => self.error == Some(true),
            ApiVersion::V2 => self.name.is_some(),
        };
        let says = self.message.as_deref().is_some_and(|message| {
            let message = message.to_ascii_lowercase();
            message.contains("user") && message.contains("not found")
        });
        self.shape == shape && shaped && self.code == Some(404) && says
    }
}

/// A v1 envelope whose `status` has only the plain types the general path reads the same
/// way (a boolean `error`, an unsigned `code`, a string `message`); borrowed, so reading it
/// allocates nothing but the message.
#[derive(Deserialize)]
struct V1Envelope<'a> {
    #[serde(borrow)]
    status: Object<V1Status<'a>>,
}

#[derive(Deserialize)]
struct V1Status<'a> {
    error: Option<bool>,
    code: Option<u64>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
}

/// `T` read from a JSON object only: a derived struct would take an array as well, which
/// the general path never reads as an envelope.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Fields<T> {
            type Value = T;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Fields(PhantomData))
            .map(Object)
    }
}

fn code(object: &Map<String, Value>, field: &str) -> Option<u16> {
    object
        .get(field)
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
}

/// A message as one line of text: a string as is, `{"attribute", "description"}` as
/// `attribute: description`, anything else as its JSON.
fn message_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.clone(),
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
    idp_core::text::vendor_message(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(body: &str) -> Option<Said> {
        Said::parse(body.as_bytes())
    }

    #[test]
    fn both_shapes_are_read() {
        let v1 = said(
            r#"{"status":{"error":true,"code":400,"type":"bad request",
                "message":{"attribute":"id","description":"ID is incorrect"}}}"#,
        );
        assert_eq!(
            v1,
            Some(Said {
                shape: ApiVersion::V1,
                error: Some(true),
                code: Some(400),
                message: Some("id: ID is incorrect".into()),
                name: None,
            })
        );
        let v2 = said(r#"{"message":"Forbidden","name":"Forbidden","statusCode":403}"#);
        assert_eq!(v2.as_ref().map(|s| s.shape), Some(ApiVersion::V2));
        assert_eq!(
            v2.as_ref().and_then(|s| s.name.clone()).as_deref(),
            Some("Forbidden")
        );
        for other in [
            r#"{"message":"no Route matched with those values"}"#,
            r#"{"timestamp":"t","status":404,"error":"Not Found","path":"/api/2/users/1"}"#,
            "[]",
            "<html>",
            "",
        ] {
            assert_eq!(said(other), None, "{other}");
        }
    }

    /// The fast read of a v1 envelope says exactly what the general read says, and arrays
    /// (which a derived struct would accept) stay no envelope at all.
    #[test]
    fn the_v1_fast_path_reads_like_the_general_one() {
        let general = |body: &str| {
            let object = serde_json::from_str::<Value>(body).ok()?;
            let status = object.as_object()?.get("status")?.as_object()?;
            Some((
                status.get("error").and_then(Value::as_bool),
                code(status, "code"),
                status.get("message").and_then(message_text),
            ))
        };
        for body in [
            r#"{"status":{"error":false,"code":200,"type":"success","message":"Success"}}"#,
            r#"{"status":{"error":true,"code":404,"message":"User for id 5 was not found"},"data":[]}"#,
            r#"{"status":{"error":"false","code":200}}"#,
            r#"{"status":{"error":false,"code":200.0,"message":null}}"#,
            r#"{"status":{"error":false,"code":70000,"message":"  two\nlines "}}"#,
            r#"{"status":{"code":-1,"message":{"description":"bad"}}}"#,
            r#"{"status":{"error":true},"status":{"error":false}}"#,
        ] {
            let read = said(body);
            assert_eq!(
                read.as_ref().map(|s| s.shape),
                Some(ApiVersion::V1),
                "{body}"
            );
            let read = read.map(|s| (s.error, s.code, s.message));
            assert_eq!(read, general(body), "{body}");
        }
        for not_v1 in [
            r#"[{"error":false,"code":200}]"#,
            r#"{"status":[false,200,"Success"]}"#,
        ] {
            assert_eq!(said(not_v1), None, "{not_v1}");
        }
    }

    #[test]
    fn user_not_found_needs_the_shape_code_and_meaning() {
        let v1 = r#"{"status":{"error":true,"code":404,"type":"not found","message":"User for id 5 was not found"}}"#;
        let v2 = r#"{"message":"User for id 5 was not found","name":"NotFound","statusCode":404}"#;
        let check = |body: &str, shape| said(body).is_some_and(|s| s.is_user_not_found(shape));
        assert!(check(v1, ApiVersion::V1));
        assert!(!check(v1, ApiVersion::V2));
        assert!(check(v2, ApiVersion::V2));
        assert!(!check(v2, ApiVersion::V1));
        for not_it in [
            r#"{"status":{"error":true,"code":404,"type":"not found","message":"Not Found"}}"#,
            r#"{"status":{"error":false,"code":404,"message":"User for id 5 was not found"}}"#,
            r#"{"status":{"error":true,"code":400,"message":"User for id 5 was not found"}}"#,
            r#"{"statusCode":404,"message":"Resource not found"}"#,
            r#"{"statusCode":404,"message":"User not found"}"#,
            r#"{"message":"Not Found","name":"NotFound","statusCode":404}"#,
        ] {
            assert!(
                !check(not_it, ApiVersion::V1) && !check(not_it, ApiVersion::V2),
                "{not_it}"
            );
        }
    }
}
