//! Turning CloudSSO answers into [`idp_core::Error`]s. Every HTTP status and vendor `Code` is
//! mapped to an [`ErrorKind`] in one place: [`classify`].
//!
//! Alibaba classifies by `Code`, not by HTTP status (throttling arrives with HTTP 400), so the
//! code decides; the status is only a fallback for answers without a known code.

use idp_core::{Error, ErrorKind, Response};
use serde::Deserialize;

use crate::VENDOR;
use crate::sign::percent_encode;

/// The vendor's error body: `{"RequestId","HostId","Code","Message","Recommend"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    request_id: Option<String>,
    code: Option<String>,
    message: Option<String>,
    recommend: Option<String>,
}

/// What a code means to us: the kind, whether to retry when that differs from the kind's
/// default, and advice for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Class {
    pub(crate) kind: ErrorKind,
    pub(crate) retryable: Option<bool>,
    pub(crate) advice: &'static str,
}

const fn class(kind: ErrorKind, retryable: Option<bool>, advice: &'static str) -> Class {
    Class {
        kind,
        retryable,
        advice,
    }
}

/// The whole status/code → kind mapping.
///
/// | code | kind | retried |
/// |---|---|---|
/// | `EntityNotExists.User` | NotFound | no |
/// | `EntityNotExists.Directory`, any other `EntityNotExists.*` | Config | no |
/// | `DeletionConflict.User.*` (`AccessAssigment`, group, MFA…) | Conflict | no |
/// | `Throttling*` (`Throttling`, `Throttling.User`, `Throttling.Api`; often HTTP 400) | RateLimited | yes |
/// | `ServiceUnavailable*`, `InternalError`, `UnknownError` | Server | yes |
/// | `SignatureNonceUsed` | Protocol | yes, with a fresh nonce |
/// | `SignatureDoesNotMatch`, `IncompleteSignature`, `InvalidAccessKeyId.*`, `InvalidSecurityToken.*`, `MissingSecurityToken`, `InvalidTimeStamp.*` | Unauthenticated | no |
/// | `Forbidden*`, `NoPermission*` | PermissionDenied | no |
/// | a code mentioning SCIM | NotAllowed | no |
/// | `InvalidParameter*`/`MissingParameter*` naming the directory | Config | no |
/// | other `InvalidParameter*`, `MissingParameter*` | InvalidInput | no |
/// | `InvalidAction*`, `InvalidVersion*`, `InvalidApi*` | Config | no |
/// | anything else | from the HTTP status, except 404/410 → Protocol | per kind |
///
/// Only the exact code `EntityNotExists.User` is `NotFound`: a bulk run reports `NotFound` as
/// "already absent", so a wrong directory, endpoint or a proxy's 404 page must never look like
/// it.
pub(crate) fn classify(status: u16, code: Option<&str>) -> Class {
    use ErrorKind::*;
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return by_status(status);
    };
    let starts = |prefix: &str| code.starts_with(prefix);
    match code {
        "EntityNotExists.User" => {
            class(NotFound, None, "the user does not exist in this directory")
        }
        "EntityNotExists.Directory" => class(
            Config,
            None,
            "the directory does not exist: check ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID and the \
             region (a directory lives in one region)",
        ),
        _ if starts("EntityNotExists") => class(
            Config,
            None,
            "something other than the user is missing; the user was not deleted",
        ),
        _ if starts("DeletionConflict") => class(Conflict, None, conflict_advice(code)),
        _ if starts("Throttling") => throttled(),
        _ if starts("ServiceUnavailable") || code == "InternalError" || code == "UnknownError" => {
            class(
                Server,
                Some(true),
                "CloudSSO failed or is unavailable; retried while the retry policy allowed",
            )
        }
        "SignatureNonceUsed" => class(
            Protocol,
            Some(true),
            "the server had seen this SignatureNonce (a replayed request?); every retry is \
             signed with a fresh nonce",
        ),
        "SignatureDoesNotMatch" | "IncompleteSignature" => class(
            Unauthenticated,
            Some(false),
            "check ALIBABA_CLOUD_ACCESS_KEY_SECRET (and the security token, if any)",
        ),
        _ if starts("InvalidAccessKeyId") => class(
            Unauthenticated,
            Some(false),
            "check ALIBABA_CLOUD_ACCESS_KEY_ID: unknown or disabled AccessKey",
        ),
        _ if starts("InvalidSecurityToken") || code == "MissingSecurityToken" => class(
            Unauthenticated,
            Some(false),
            "the STS security token is invalid or expired: fetch new temporary credentials",
        ),
        _ if starts("InvalidTimeStamp") => class(
            Unauthenticated,
            Some(false),
            "the request's Timestamp was refused: check this machine's clock",
        ),
        _ if starts("Forbidden") || starts("NoPermission") => class(
            PermissionDenied,
            Some(false),
            "the RAM identity may not call cloudsso:DeleteUser on this user",
        ),
        _ if code.to_ascii_lowercase().contains("scim") => class(
            NotAllowed,
            Some(false),
            "users synchronised by SCIM cannot be deleted through the API",
        ),
        _ if (starts("InvalidParameter") || starts("MissingParameter"))
            && code.contains("Directory") =>
        {
            class(
                Config,
                Some(false),
                "check ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
            )
        }
        _ if starts("InvalidParameter") || starts("MissingParameter") => {
            class(InvalidInput, Some(false), "")
        }
        _ if starts("InvalidAction") || starts("InvalidVersion") || starts("InvalidApi") => class(
            Config,
            Some(false),
            "the endpoint does not serve CloudSSO 2021-05-15: check the region or endpoint",
        ),
        _ => by_status(status),
    }
}

fn throttled() -> Class {
    class(
        ErrorKind::RateLimited,
        Some(true),
        "CloudSSO throttled the request (100 calls/second); retried with back-off while the \
         retry policy allowed",
    )
}

fn conflict_advice(code: &str) -> &'static str {
    let lower = code.to_ascii_lowercase();
    // The vendor spells it `AccessAssigment`; accept the dictionary spelling too.
    if lower.contains("accessassig") {
        "the user still has access assignments: remove them first (DeleteAccessAssignment)"
    } else if lower.contains("group") {
        "the user is still a member of groups: remove it from them first (RemoveUserFromGroup)"
    } else if lower.contains("mfa") {
        "the user still has MFA devices: unbind them first (DeleteMFADeviceForUser)"
    } else {
        "remove the user's MFA devices, access assignments and group memberships first"
    }
}

fn by_status(status: u16) -> Class {
    match ErrorKind::from_status(status) {
        // Only `EntityNotExists.User` means "user absent"; a bare 404 is a wrong endpoint or
        // a proxy, and must not be reported as an absent user.
        ErrorKind::NotFound => class(
            ErrorKind::Protocol,
            Some(false),
            "HTTP 404 without the code EntityNotExists.User: check the endpoint",
        ),
        kind => class(kind, None, ""),
    }
}

/// Turns a non-successful answer into an error: the kind from the code mapping (the crate
/// docs' error table), the vendor's `Code`, its `RequestId` (or the `x-acs-request-id`
/// header), and its `Message` with the server's echo of the string to sign removed.
pub fn parse_error(response: &Response) -> Error {
    error_from_response(response, &[])
}

/// [`parse_error`], also replacing each of `redact` (credentials of this client) in the
/// message.
pub(crate) fn error_from_response(response: &Response, redact: &[&str]) -> Error {
    let parsed = serde_json::from_slice::<ErrorBody>(&response.body).ok();
    let body = parsed.unwrap_or_default();
    let code = body
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let class = classify(response.status, code);

    let mut parts: Vec<String> = Vec::new();
    match (&body.message, code) {
        (Some(message), _) if !message.trim().is_empty() => parts.push(clean_message(message)),
        (_, Some(_)) => {}
        (_, None) => parts.push(format!(
            "HTTP {} with {}",
            response.status,
            response.describe_body()
        )),
    }
    if !class.advice.is_empty() {
        parts.push(class.advice.to_owned());
    }
    if let Some(recommend) = body.recommend.as_deref().map(str::trim)
        && !recommend.is_empty()
        && recommend.len() <= 300
    {
        parts.push(format!("diagnosis: {}", clean_message(recommend)));
    }
    let message = redact_all(&parts.join("; "), redact);

    let request_id = body
        .request_id
        .filter(|id| !id.is_empty())
        .or_else(|| response.header("x-acs-request-id").map(str::to_owned));
    let mut err = response
        .error(VENDOR, class.kind, message)
        .with_request_id_opt(request_id);
    if let Some(code) = code {
        err = err.with_code(code);
    }
    if let Some(retryable) = class.retryable {
        err = err.with_retryable(retryable);
    }
    err
}

/// The server's `SignatureDoesNotMatch` message quotes its string to sign, which contains every
/// parameter, the `SecurityToken` included: cut it off. Control characters become spaces and
/// the text is kept short.
fn clean_message(raw: &str) -> String {
    const MAX_CHARS: usize = 400;
    let lower = raw.to_ascii_lowercase();
    // `to_ascii_lowercase` keeps byte offsets, so indexes into `lower` are valid in `raw`.
    let cut = ["server string to sign", "string to sign", "stringtosign"]
        .iter()
        .find_map(|needle| lower.find(needle));
    let (text, omitted) = match cut {
        Some(at) => (&raw[..at], true),
        None => (raw, false),
    };
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    if text.chars().count() > MAX_CHARS {
        out.push('…');
    }
    let mut out = out.trim().to_owned();
    if omitted {
        out.push_str(" [the server's string to sign is omitted: it holds the credentials]");
    }
    out
}

fn redact_all(message: &str, secrets: &[&str]) -> String {
    let mut out = message.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        let once = percent_encode(secret);
        let twice = percent_encode(&once);
        for form in [twice.as_str(), once.as_str(), secret] {
            if out.contains(form) {
                out = out.replace(form, "[REDACTED]");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::reqwest::header::HeaderMap;

    fn kind(status: u16, code: &str) -> ErrorKind {
        classify(status, Some(code)).kind
    }

    #[test]
    fn codes_decide_not_statuses() {
        assert_eq!(kind(404, "EntityNotExists.User"), ErrorKind::NotFound);
        assert_eq!(kind(404, "EntityNotExists.Directory"), ErrorKind::Config);
        assert_eq!(kind(404, "EntityNotExists.Group"), ErrorKind::Config);
        for code in [
            "DeletionConflict.User.AccessAssigment",
            "DeletionConflict.User.Group",
            "DeletionConflict.User.MFADevice",
            "DeletionConflict.User.Something",
        ] {
            assert_eq!(kind(409, code), ErrorKind::Conflict, "{code}");
            assert_eq!(kind(400, code), ErrorKind::Conflict, "{code}");
        }
        for code in ["Throttling", "Throttling.User", "Throttling.Api"] {
            let class = classify(400, Some(code));
            assert_eq!(class.kind, ErrorKind::RateLimited, "{code}");
            assert_eq!(class.retryable, Some(true));
        }
        assert_eq!(kind(503, "ServiceUnavailable"), ErrorKind::Server);
        assert_eq!(kind(200, "ServiceUnavailable"), ErrorKind::Server);
        for code in [
            "SignatureDoesNotMatch",
            "IncompleteSignature",
            "InvalidAccessKeyId.NotFound",
            "InvalidAccessKeyId.Inactive",
            "InvalidSecurityToken.Expired",
            "InvalidSecurityToken.MismatchWithAccessKey",
            "InvalidTimeStamp.Expired",
        ] {
            let class = classify(400, Some(code));
            assert_eq!(class.kind, ErrorKind::Unauthenticated, "{code}");
            assert_eq!(class.retryable, Some(false), "{code}");
        }
        // InvalidAccessKeyId.NotFound comes with 404 and must not read as an absent user.
        assert_eq!(
            kind(404, "InvalidAccessKeyId.NotFound"),
            ErrorKind::Unauthenticated
        );
        assert_eq!(kind(403, "Forbidden.RAM"), ErrorKind::PermissionDenied);
        assert_eq!(kind(400, "NoPermission"), ErrorKind::PermissionDenied);
        assert_eq!(
            kind(400, "OperationNotSupported.ScimUser"),
            ErrorKind::NotAllowed
        );
        let nonce = classify(400, Some("SignatureNonceUsed"));
        assert_eq!(nonce.retryable, Some(true));
        assert_eq!(
            kind(400, "InvalidParameter.UserId"),
            ErrorKind::InvalidInput
        );
        assert_eq!(kind(400, "InvalidParameter.DirectoryId"), ErrorKind::Config);
        assert_eq!(kind(404, "InvalidAction.NotFound"), ErrorKind::Config);
    }

    #[test]
    fn statuses_are_only_a_fallback_and_404_is_never_not_found() {
        assert_eq!(classify(404, None).kind, ErrorKind::Protocol);
        assert_eq!(kind(404, "Unknown.Thing"), ErrorKind::Protocol);
        assert_eq!(classify(410, None).kind, ErrorKind::Protocol);
        assert_eq!(classify(500, None).kind, ErrorKind::Server);
        assert_eq!(classify(429, Some("  ")).kind, ErrorKind::RateLimited);
        assert_eq!(kind(403, "Weird"), ErrorKind::PermissionDenied);
        assert_eq!(kind(400, "Weird"), ErrorKind::InvalidInput);
    }

    #[test]
    fn conflict_advice_names_the_prerequisite() {
        assert!(
            conflict_advice("DeletionConflict.User.AccessAssigment").contains("access assignments")
        );
        assert!(
            conflict_advice("DeletionConflict.User.AccessAssignment")
                .contains("access assignments")
        );
        assert!(conflict_advice("DeletionConflict.User.Group").contains("groups"));
        assert!(conflict_advice("DeletionConflict.User.MFADevice").contains("MFA"));
        let generic = conflict_advice("DeletionConflict.User");
        assert!(generic.contains("MFA") && generic.contains("group") && generic.contains("access"));
    }

    #[test]
    fn string_to_sign_echo_is_cut_and_secrets_redacted() {
        let body = r#"{"RequestId":"R-1","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&SecurityToken%3DTOKEN-CANARY"}"#;
        let response = Response::new(400, HeaderMap::new(), body);
        let err = error_from_response(&response, &["TOKEN-CANARY"]);
        assert!(!err.message().contains("TOKEN-CANARY"), "{}", err.message());
        assert!(!err.message().contains("POST&"), "{}", err.message());
        assert!(
            err.message()
                .starts_with("Specified signature is not matched")
        );
        assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
        assert_eq!(err.request_id(), Some("R-1"));

        assert_eq!(
            redact_all("a TOK/EN b TOK%2FEN c TOK%252FEN", &["TOK/EN"]),
            "a [REDACTED] b [REDACTED] c [REDACTED]"
        );
    }

    #[test]
    fn non_json_bodies_and_header_request_ids() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-acs-request-id",
            "HDR-9".parse().unwrap_or_else(|_| unreachable!()),
        );
        let response = Response::new(502, headers, "<html>bad gateway</html>");
        let err = parse_error(&response);
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(err.is_retryable());
        assert_eq!(err.request_id(), Some("HDR-9"));
        assert!(err.message().contains("bad gateway"), "{}", err.message());
        assert_eq!(err.code(), None);
    }
}

/// Property tests: the parser never panics, whatever the status, headers and body, and never
/// lets a credential it was asked to redact through.
#[cfg(test)]
mod fuzz {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    use proptest::prelude::*;
    use serde_json::Value;

    const KEYS: [&str; 6] = [
        "RequestId",
        "HostId",
        "Code",
        "Message",
        "Recommend",
        "Data",
    ];

    /// Codes: the ones the mapping knows, variations of them, and anything.
    fn code() -> impl Strategy<Value = String> {
        let known = proptest::sample::select(
            &[
                "EntityNotExists.User",
                "EntityNotExists.Directory",
                "DeletionConflict.User.AccessAssigment",
                "Throttling.User",
                "ServiceUnavailable",
                "SignatureNonceUsed",
                "SignatureDoesNotMatch",
                "InvalidAccessKeyId.NotFound",
                "InvalidSecurityToken.Expired",
                "Forbidden.RAM",
                "OperationNotSupported.Scim",
                "InvalidParameter.DirectoryId",
                "MissingParameter.UserId",
                "InvalidAction.NotFound",
            ][..],
        );
        prop_oneof![
            known.clone().prop_map(str::to_owned),
            (known, any::<String>()).prop_map(|(k, s)| format!("{k}{s}")),
            any::<String>(),
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            code().prop_map(Value::String),
        ];
        let key = prop_oneof![
            3 => proptest::sample::select(&KEYS[..]).prop_map(str::to_owned),
            1 => any::<String>(),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    fn error_body() -> impl Strategy<Value = Value> {
        (any::<String>(), code(), any::<String>(), any::<String>()).prop_map(
            |(request_id, code, message, recommend)| {
                serde_json::json!({"RequestId": request_id, "HostId": "cloudsso.aliyuncs.com", "Code": code, "Message": message, "Recommend": recommend})
            },
        )
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            error_body().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            (error_body(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
                let bytes = serde_json::to_vec(&v).unwrap();
                bytes[..at.index(bytes.len() + 1)].to_vec()
            }),
        ]
    }

    fn headers() -> impl Strategy<Value = HeaderMap> {
        let name =
            proptest::sample::select(&["x-acs-request-id", "content-type", "retry-after"][..]);
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
        fn parse_error_never_panics(
            status in 100u16..600,
            headers in headers(),
            body in body(),
            truncated in any::<bool>(),
        ) {
            let mut response = Response::new(status, headers, body);
            response.truncated = truncated;
            let err = parse_error(&response);
            prop_assert_eq!(err.status(), Some(status));
            prop_assert_eq!(err.vendor(), VENDOR);
            // Only the exact code says the user is absent.
            if err.kind() == ErrorKind::NotFound {
                prop_assert_eq!(err.code(), Some("EntityNotExists.User"));
            }
            let _ = err.to_string();
        }

        #[test]
        fn classify_never_panics(status in 100u16..600, code in proptest::option::of(code())) {
            let _ = classify(status, code.as_deref());
        }

        /// A credential quoted anywhere in the message (raw, or percent-encoded once or twice,
        /// as a string to sign holds it) never reaches the error.
        #[test]
        fn redacted_secrets_never_come_through(
            secret in "[A-Za-z0-9+/=]{8,60}",
            form in 0usize..3,
            before in any::<String>(),
            after in any::<String>(),
            code in code(),
        ) {
            let once = percent_encode(&secret);
            let quoted = match form {
                0 => secret.clone(),
                1 => once.clone(),
                _ => percent_encode(&once),
            };
            let body = serde_json::json!({
                "RequestId": "R",
                "Code": code,
                "Message": format!("{before}{quoted}{after}"),
                "Recommend": format!("https://api.aliyun.com/troubleshoot?q={quoted}"),
            });
            let response = Response::new(400, HeaderMap::new(), body.to_string());
            let err = error_from_response(&response, &[secret.as_str()]);
            let printed = format!("{err} {err:?}");
            prop_assert!(!printed.contains(&secret), "{}", printed);
            prop_assert!(!printed.contains(&once), "{}", printed);
        }
    }
}
