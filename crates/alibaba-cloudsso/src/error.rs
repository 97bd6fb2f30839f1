//! What the transport needs to know about CloudSSO, and the one place where its answers become
//! [`idp_core::Error`]s: [`CloudSsoApi`]'s `parse_error`.
//!
//! Alibaba classifies by `Code`, not by HTTP status (throttling arrives with HTTP 400), so the
//! code decides; the status is only a fallback for answers without a known code.

use std::time::Duration;

use idp_core::text::vendor_message;
use idp_core::{Api, Error, ErrorKind, Rate, Response};
use serde_json::{Map, Value};

use crate::VENDOR;
use crate::rpc::{DELETE_ACCESS_ASSIGNMENT, action_name};

/// What a 404 or 410 without CloudSSO's own error body tells to check.
const CHECK_ENDPOINT: &str = "the endpoint (ALIBABA_CLOUD_CLOUDSSO_ENDPOINT) and the region \
                              (ALIBABA_CLOUD_REGION_ID)";

/// CloudSSO as the `idp-core` transport sees it: its name, its request-id header, its one
/// error mapping ([`Api::parse_error`], table below) and its documented budget (100 calls per
/// second).
///
/// | code | kind | retried |
/// |---|---|---|
/// | `EntityNotExists.User` (with the vendor's `RequestId`) | NotFound | no |
/// | `EntityNotExists.AccessAssignment` on `DeleteAccessAssignment` | NotFound (already gone) | no |
/// | `EntityNotExists.Directory`, any other `EntityNotExists.*` | Config | no |
/// | `DeletionConflict.*` (`User.AccessAssigment` (sic), group, MFA…) | Conflict, code kept | no |
/// | `Throttling*` (`Throttling`, `Throttling.User`, `Throttling.Api`; often HTTP 400) | RateLimited | yes |
/// | `ServiceUnavailable*`, `InternalError`, `UnknownError` | Server | yes |
/// | `SignatureNonceUsed` | Protocol | yes, with a fresh nonce |
/// | `SignatureDoesNotMatch`, `IncompleteSignature`, `InvalidAccessKeyId.*`, `InvalidSecurityToken.*`, `MissingSecurityToken`, `InvalidTimeStamp.*` | Unauthenticated | no |
/// | `InvalidSignatureMethod*`, `InvalidSignatureVersion*`, `UnsupportedSignature*` | Config (names `ALIBABA_CLOUD_SIGNATURE_VERSION`) | no |
/// | `Forbidden*`, `NoPermission*` | PermissionDenied | no |
/// | a code mentioning SCIM | NotAllowed | no |
/// | `InvalidParameter*`/`MissingParameter*` naming the directory | Config | no |
/// | other `InvalidParameter*`, `MissingParameter*` | InvalidInput | no |
/// | `InvalidAction*`, `InvalidVersion*`, `InvalidApi*` | Config | no |
/// | anything else | from the HTTP status; 404/410 → Protocol naming the endpoint and region variables | per kind |
///
/// Only CloudSSO's own body with the exact code `EntityNotExists.User` is `NotFound` for a
/// user: a bulk run reports `NotFound` as "already absent", so a wrong directory, endpoint or
/// a gateway's 404 page must never look like it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudSsoApi;

impl Api for CloudSsoApi {
    idp_core::api_identity!(VENDOR, &["x-acs-request-id"]);

    fn parse_error(&self, response: &Response) -> Error {
        parse_error(response)
    }

    /// 100 calls per second (CloudSSO's documented limit).
    fn default_rate(&self) -> Option<Rate> {
        Rate::new(100, Duration::from_secs(1))
    }
}

/// What a code means to us: the kind, whether to retry when that differs from the kind's
/// default, and advice for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Class {
    kind: ErrorKind,
    retryable: Option<bool>,
    advice: Advice,
}

/// Advice added to the vendor's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Advice {
    None,
    Text(&'static str),
    /// "may not call cloudsso:<Action>", naming the operation's action.
    Permission,
}

const fn class(kind: ErrorKind, retryable: Option<bool>, advice: &'static str) -> Class {
    Class {
        kind,
        retryable,
        advice: Advice::Text(advice),
    }
}

/// The code → kind mapping (the table in [`CloudSsoApi`]'s docs); `None` for a code it does
/// not know, which the HTTP status then decides.
fn classify(code: &str, operation: &str) -> Option<Class> {
    use ErrorKind::*;
    let starts = |prefix: &str| code.starts_with(prefix);
    let class = match code {
        "EntityNotExists.User" => {
            class(NotFound, None, "the user does not exist in this directory")
        }
        "EntityNotExists.AccessAssignment" if operation == DELETE_ACCESS_ASSIGNMENT.operation => {
            class(NotFound, None, "the access assignment is already gone")
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
            "something other than the user is missing: check the directory and region",
        ),
        _ if starts("DeletionConflict") => class(Conflict, None, conflict_advice(code)),
        _ if starts("Throttling") => class(
            RateLimited,
            Some(true),
            "CloudSSO throttled the request (100 calls/second); retried with back-off while \
             the retry policy allowed",
        ),
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
            "the server had seen this signature nonce (a replayed request?); every retry is \
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
            "the request's date was refused: check this machine's clock",
        ),
        _ if starts("InvalidSignatureMethod")
            || starts("InvalidSignatureVersion")
            || starts("UnsupportedSignature") =>
        {
            class(
                Config,
                Some(false),
                "the endpoint does not take this signature: set \
                 ALIBABA_CLOUD_SIGNATURE_VERSION (v3 or v2)",
            )
        }
        _ if starts("Forbidden") || starts("NoPermission") => Class {
            kind: PermissionDenied,
            retryable: Some(false),
            advice: Advice::Permission,
        },
        _ if code.to_ascii_lowercase().contains("scim") => class(
            NotAllowed,
            Some(false),
            "users and groups synchronised by SCIM are managed by the identity provider",
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
        _ if starts("InvalidParameter") || starts("MissingParameter") => Class {
            kind: InvalidInput,
            retryable: Some(false),
            advice: Advice::None,
        },
        _ if starts("InvalidAction") || starts("InvalidVersion") || starts("InvalidApi") => class(
            Config,
            Some(false),
            "the endpoint does not serve CloudSSO 2021-05-15: check the region or endpoint",
        ),
        _ => return None,
    };
    Some(class)
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

/// A non-empty string field of the body.
fn text<'a>(body: Option<&'a Map<String, Value>>, field: &str) -> Option<&'a str> {
    body.and_then(|b| b.get(field))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The mapping itself (see [`CloudSsoApi`]).
fn parse_error(response: &Response) -> Error {
    let body = response.json_object();
    let body = body.as_ref();
    let code = text(body, "Code");
    let request_id = text(body, "RequestId").map(str::to_owned);
    let operation = response.operation;
    // CloudSSO's own error body carries a request id; a bare `{"Code": …}` is not its shape.
    let class = code
        .and_then(|code| classify(code, operation))
        .filter(|class| class.kind != ErrorKind::NotFound || request_id.is_some());

    let Some(class) = class else {
        let err = match response.status {
            404 | 410 => response.unconfirmed_not_found(CHECK_ENDPOINT),
            status => {
                let message = match code {
                    Some(_) => vendor_text(body, "CloudSSO refused the request"),
                    None => format!("HTTP {status} with {}", response.describe_body()),
                };
                response.error(ErrorKind::from_status(status), message)
            }
        };
        return with_vendor_fields(err, code, request_id);
    };

    let mut parts: Vec<String> = Vec::new();
    if let Some(message) = text(body, "Message").and_then(clean_message) {
        parts.push(message);
    }
    match class.advice {
        Advice::None => {}
        Advice::Text(advice) => parts.push(advice.to_owned()),
        Advice::Permission => parts.push(format!(
            "the RAM identity may not call cloudsso:{}",
            action_name(operation).unwrap_or("this action")
        )),
    }
    if let Some(recommend) = text(body, "Recommend").filter(|r| r.chars().count() <= 300)
        && let Some(recommend) = clean_message(recommend)
    {
        parts.push(format!("diagnosis: {recommend}"));
    }
    if parts.is_empty() {
        parts.push(format!("CloudSSO answered HTTP {}", response.status));
    }
    let mut err = response.error(class.kind, parts.join("; "));
    if let Some(retryable) = class.retryable {
        err = err.with_retryable(retryable);
    }
    with_vendor_fields(err, code, request_id)
}

fn with_vendor_fields(err: Error, code: Option<&str>, request_id: Option<String>) -> Error {
    let err = err.with_request_id(request_id);
    match code {
        Some(code) => err.with_code(vendor_message(code).unwrap_or_default()),
        None => err,
    }
}

/// The vendor's `Message`, or `fallback`.
fn vendor_text(body: Option<&Map<String, Value>>, fallback: &str) -> String {
    text(body, "Message")
        .and_then(clean_message)
        .unwrap_or_else(|| fallback.to_owned())
}

/// The server's `SignatureDoesNotMatch` message quotes its string to sign (V2) or canonical
/// request (V3), which hold every parameter and the security token: cut it off. Then one
/// line, the common length limit.
fn clean_message(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    // `to_ascii_lowercase` keeps byte offsets, so indexes into `lower` are valid in `raw`.
    let cut = [
        "server string to sign",
        "string to sign",
        "stringtosign",
        "canonical request",
        "canonicalrequest",
    ]
    .iter()
    .filter_map(|needle| lower.find(needle))
    .min();
    match cut {
        Some(at) => {
            let kept = vendor_message(&raw[..at]).unwrap_or_default();
            Some(format!(
                "{kept} [the server's string to sign is omitted: it holds the credentials]"
            ))
        }
        None => vendor_message(raw),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::config::{ENV_ENDPOINT, ENV_REGION_ID, ENV_SIGNATURE_VERSION};
    use idp_core::reqwest::header::{HeaderMap, HeaderValue};
    use proptest::prelude::*;

    fn answer(status: u16, body: &str, operation: &'static str) -> Error {
        let response =
            Response::new(status, HeaderMap::new(), body.to_owned()).for_operation(operation, 1);
        CloudSsoApi.parse_error(&response)
    }

    fn coded(status: u16, code: &str) -> Error {
        let body = serde_json::json!({"RequestId": "R-1", "Code": code, "Message": "m"});
        answer(status, &body.to_string(), "delete_user")
    }

    fn kind(status: u16, code: &str) -> ErrorKind {
        coded(status, code).kind()
    }

    #[test]
    fn codes_decide_not_statuses() {
        assert_eq!(kind(404, "EntityNotExists.User"), ErrorKind::NotFound);
        assert_eq!(kind(400, "EntityNotExists.User"), ErrorKind::NotFound);
        assert_eq!(kind(404, "EntityNotExists.Directory"), ErrorKind::Config);
        assert_eq!(kind(404, "EntityNotExists.Group"), ErrorKind::Config);
        for code in [
            "DeletionConflict.User.AccessAssigment",
            "DeletionConflict.User.Group",
            "DeletionConflict.User.MFADevice",
            "DeletionConflict.User.Something",
        ] {
            for status in [409, 400] {
                let err = coded(status, code);
                assert_eq!(err.kind(), ErrorKind::Conflict, "{code}");
                assert_eq!(err.code(), Some(code));
            }
        }
        for code in ["Throttling", "Throttling.User", "Throttling.Api"] {
            let err = coded(400, code);
            assert_eq!(err.kind(), ErrorKind::RateLimited, "{code}");
            assert!(err.is_retryable());
        }
        assert_eq!(kind(503, "ServiceUnavailable"), ErrorKind::Server);
        assert!(coded(400, "ServiceUnavailable").is_retryable());
        for code in [
            "SignatureDoesNotMatch",
            "IncompleteSignature",
            "InvalidAccessKeyId.NotFound",
            "InvalidAccessKeyId.Inactive",
            "InvalidSecurityToken.Expired",
            "InvalidSecurityToken.MismatchWithAccessKey",
            "MissingSecurityToken",
            "InvalidTimeStamp.Expired",
        ] {
            let err = coded(400, code);
            assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{code}");
            assert!(!err.is_retryable(), "{code}");
        }
        // InvalidAccessKeyId.NotFound comes with 404 and must not read as an absent user.
        assert_eq!(
            kind(404, "InvalidAccessKeyId.NotFound"),
            ErrorKind::Unauthenticated
        );
        for code in ["InvalidSignatureMethod", "InvalidSignatureVersion"] {
            let err = coded(400, code);
            assert_eq!(err.kind(), ErrorKind::Config, "{code}");
            assert!(err.message().contains(ENV_SIGNATURE_VERSION), "{err}");
        }
        assert_eq!(kind(403, "Forbidden.RAM"), ErrorKind::PermissionDenied);
        assert_eq!(kind(400, "NoPermission"), ErrorKind::PermissionDenied);
        assert_eq!(
            kind(400, "OperationNotSupported.ScimUser"),
            ErrorKind::NotAllowed
        );
        assert!(coded(400, "SignatureNonceUsed").is_retryable());
        assert_eq!(
            kind(400, "InvalidParameter.UserId"),
            ErrorKind::InvalidInput
        );
        assert_eq!(kind(400, "InvalidParameter.DirectoryId"), ErrorKind::Config);
        assert_eq!(kind(404, "InvalidAction.NotFound"), ErrorKind::Config);
    }

    #[test]
    fn not_found_needs_the_vendor_shape_and_the_right_operation() {
        // Without CloudSSO's RequestId it is not CloudSSO's own answer.
        let bare = answer(404, r#"{"Code":"EntityNotExists.User"}"#, "delete_user");
        assert_eq!(bare.kind(), ErrorKind::Protocol);
        assert!(bare.message().contains(ENV_ENDPOINT), "{bare}");
        let body = r#"{"RequestId":"R","Code":"EntityNotExists.AccessAssignment"}"#;
        assert_eq!(
            answer(404, body, "delete_access_assignment").kind(),
            ErrorKind::NotFound
        );
        assert_eq!(answer(404, body, "delete_user").kind(), ErrorKind::Config);
    }

    #[test]
    fn statuses_are_only_a_fallback_and_404_is_never_not_found() {
        let no_code = |status| answer(status, "", "delete_user");
        assert_eq!(no_code(404).kind(), ErrorKind::Protocol);
        assert_eq!(no_code(410).kind(), ErrorKind::Protocol);
        for variable in [ENV_ENDPOINT, ENV_REGION_ID] {
            assert!(
                no_code(404).message().contains(variable),
                "{}",
                no_code(404)
            );
        }
        assert_eq!(kind(404, "Unknown.Thing"), ErrorKind::Protocol);
        assert_eq!(coded(404, "Unknown.Thing").code(), Some("Unknown.Thing"));
        assert_eq!(no_code(500).kind(), ErrorKind::Server);
        assert_eq!(
            answer(429, r#"{"Code":"  "}"#, "x").kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(kind(403, "Weird"), ErrorKind::PermissionDenied);
        assert_eq!(kind(400, "Weird"), ErrorKind::InvalidInput);
    }

    #[test]
    fn advice_names_the_prerequisite_and_the_action() {
        let message = |code| coded(409, code).message().to_owned();
        assert!(message("DeletionConflict.User.AccessAssigment").contains("access assignments"));
        assert!(message("DeletionConflict.User.AccessAssignment").contains("access assignments"));
        assert!(message("DeletionConflict.User.Group").contains("groups"));
        assert!(message("DeletionConflict.User.MFADevice").contains("MFA"));
        let generic = message("DeletionConflict.User");
        assert!(generic.contains("MFA") && generic.contains("group") && generic.contains("access"));
        let body = r#"{"RequestId":"R","Code":"Forbidden.RAM"}"#;
        let err = answer(403, body, "remove_user_from_group");
        assert!(
            err.message().contains("cloudsso:RemoveUserFromGroup"),
            "{err}"
        );
    }

    #[test]
    fn the_string_to_sign_echo_is_cut() {
        let body = r#"{"RequestId":"R-1","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&SecurityToken%3DTOKEN-CANARY"}"#;
        let err = answer(400, body, "delete_user");
        assert!(!err.message().contains("TOKEN-CANARY"), "{}", err.message());
        assert!(!err.message().contains("POST&"), "{}", err.message());
        assert!(
            err.message()
                .starts_with("Specified signature is not matched")
        );
        assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
        assert_eq!(err.request_id(), Some("R-1"));
        let v3 = r#"{"RequestId":"R","Code":"SignatureDoesNotMatch","Message":"bad. CanonicalRequest: POST\n/\n\nx-acs-security-token:TOKEN-CANARY"}"#;
        let err = answer(400, v3, "delete_user");
        assert!(!err.message().contains("TOKEN-CANARY"), "{}", err.message());
    }

    #[test]
    fn non_json_bodies_and_header_request_ids() {
        let mut headers = HeaderMap::new();
        headers.insert("x-acs-request-id", HeaderValue::from_static("HDR-9"));
        let response = Response::new(502, headers, "<html>bad gateway</html>")
            .with_request_id_from(CloudSsoApi.request_id_headers());
        let err = CloudSsoApi.parse_error(&response);
        assert_eq!(err.kind(), ErrorKind::Server);
        assert!(err.is_retryable());
        assert!(err.message().contains("bad gateway"), "{}", err.message());
        assert_eq!(err.code(), None);
        assert_eq!(response.request_id(), Some("HDR-9"));
    }

    #[test]
    fn the_documented_budget() {
        let rate = CloudSsoApi.default_rate().unwrap();
        assert_eq!((rate.requests(), rate.per()), (100, Duration::from_secs(1)));
        assert!(CloudSsoApi.product().starts_with("idp-alibaba-cloudsso/"));
    }

    const KEYS: &[&str] = &[
        "RequestId",
        "HostId",
        "Code",
        "Message",
        "Recommend",
        "Users",
    ];
    const OPERATIONS: &[&str] = &[
        "delete_user",
        "get_user",
        "list_users",
        "delete_access_assignment",
        "get_task",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The parser never panics; `NotFound` only from CloudSSO's own body with one of the
        /// two not-found codes, for the operation it belongs to.
        #[test]
        fn parse_error_never_panics(
            response in idp_core::test_util::strategies::response(
                KEYS,
                &["x-acs-request-id"],
                OPERATIONS,
            ),
        ) {
            let err = CloudSsoApi.parse_error(&response);
            prop_assert_eq!(err.status(), Some(response.status));
            if err.kind() == ErrorKind::NotFound {
                let body = response.json_object().unwrap();
                prop_assert!(body.get("RequestId").and_then(Value::as_str).is_some());
                let code = err.code().unwrap_or_default();
                prop_assert!(
                    code == "EntityNotExists.User"
                        || (code == "EntityNotExists.AccessAssignment"
                            && response.operation == "delete_access_assignment"),
                    "{}", code
                );
            }
            let _ = format!("{err} {err:?}");
        }

        /// Codes the mapping knows, with anything around them, never panic either.
        #[test]
        fn known_codes_with_noise(
            status in 100u16..600,
            known in proptest::sample::select(&[
                "EntityNotExists.User",
                "EntityNotExists.AccessAssignment",
                "DeletionConflict.User.AccessAssigment",
                "Throttling.User",
                "SignatureDoesNotMatch",
                "Forbidden.RAM",
            ][..]),
            suffix in any::<String>(),
            message in any::<String>(),
            operation in proptest::sample::select(OPERATIONS),
        ) {
            let body = serde_json::json!({
                "RequestId": "R", "Code": format!("{known}{suffix}"), "Message": message,
            });
            let response = Response::new(status, HeaderMap::new(), body.to_string())
                .for_operation(operation, 1);
            let err = CloudSsoApi.parse_error(&response);
            if err.kind() == ErrorKind::NotFound {
                prop_assert!(suffix.is_empty() || suffix.trim().is_empty());
            }
        }
    }
}
