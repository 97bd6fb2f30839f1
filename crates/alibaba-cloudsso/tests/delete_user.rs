//! `DeleteUser` against a local mock server: what arrives and how it is signed (V3 and V2,
//! query and form body, STS), how answers are classified and retried, and what is refused
//! before anything is sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use common::{
    DIRECTORY, EMPTY_SHA256, KEY_ID, SECRET, TOKEN, USER, WALL, client, client_v2, config,
    error_body, header,
};
use httpmock::prelude::*;
use idp_alibaba_cloudsso::{Client, RequestStyle, SignatureVersion, VENDOR};
use idp_core::test_util::{ManualClock, NoJitter, fast_options};
use idp_core::{DeleteOutcome, ErrorKind, RetryPolicy, Secret, TransportOptions, UserDeleter};
use serde_json::json;

const SIX_HEADERS: &str =
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";

fn v3_signed() -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    |req| common::v3_signed(req, SECRET)
}

fn v2_signed() -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    |req| common::v2_signed(req, SECRET)
}

fn manual(clock: &ManualClock) -> TransportOptions {
    idp_core::test_util::manual_options(clock)
}

fn at_wall() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(WALL))
}

#[tokio::test]
async fn v3_is_the_default_and_signs_headers_with_the_parameters_in_the_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/")
                .header("x-acs-action", "DeleteUser")
                .header("x-acs-version", "2021-05-15")
                .header("x-acs-date", "2016-02-23T12:46:24Z")
                .header("x-acs-content-sha256", EMPTY_SHA256)
                .header("accept", "application/json")
                .header_includes("user-agent", "idp-alibaba-cloudsso/")
                .header_missing("x-acs-security-token")
                .header_missing("x-acs-accesskey-id")
                .header_missing("content-type")
                .query_param("DirectoryId", DIRECTORY)
                .query_param("UserId", USER)
                .is_true(|req| {
                    let nonce = header(req, "x-acs-signature-nonce").unwrap_or_default();
                    let auth = header(req, "authorization").unwrap_or_default();
                    common::query(req).len() == 2
                        && req.body_ref().is_empty()
                        && nonce.len() == 32
                        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
                        && auth.starts_with(&format!(
                            "ACS3-HMAC-SHA256 Credential={KEY_ID},SignedHeaders={SIX_HEADERS},\
                             Signature="
                        ))
                })
                .is_true(v3_signed());
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"RequestId": "E598602-AC67-56EF-B7CC-2927C30AA0A8"}));
        })
        .await;
    let clock = at_wall();
    let client = Client::new(config(&server), manual(&clock)).unwrap();
    let receipt = client.delete_user(USER).await.unwrap();
    assert_eq!(receipt.attempts, 1);
    assert_eq!(
        receipt.request_id.as_deref(),
        Some("E598602-AC67-56EF-B7CC-2927C30AA0A8")
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn v3_sts_adds_the_key_id_and_the_token_to_the_signed_headers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .header("x-acs-accesskey-id", KEY_ID)
                .header("x-acs-security-token", TOKEN)
                .is_true(|req| {
                    let auth = header(req, "authorization").unwrap_or_default();
                    auth.contains(
                        "SignedHeaders=host;x-acs-accesskey-id;x-acs-action;\
                         x-acs-content-sha256;x-acs-date;x-acs-security-token;\
                         x-acs-signature-nonce;x-acs-version,",
                    )
                })
                .is_true(v3_signed())
                // The token is covered: with another token the signature fails.
                .is_true(|req| {
                    let headers: Vec<(String, String)> = req
                        .headers_vec()
                        .iter()
                        .map(|(n, v)| {
                            let v = if n == "x-acs-security-token" {
                                "other"
                            } else {
                                v
                            };
                            (n.clone(), v.to_owned())
                        })
                        .collect();
                    let forged = common::expected_authorization(
                        "POST",
                        "/",
                        &common::query(req),
                        &headers,
                        EMPTY_SHA256,
                        KEY_ID,
                        SECRET,
                    );
                    header(req, "authorization").as_deref() != Some(forged.as_str())
                });
            then.status(200).json_body(json!({"RequestId": "STS-1"}));
        })
        .await;
    let config = config(&server).with_security_token(Secret::new(TOKEN));
    let client = Client::new(config, fast_options()).unwrap();
    let receipt = client.delete_user(USER).await.unwrap();
    assert_eq!(receipt.request_id.as_deref(), Some("STS-1"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn v3_form_body_signs_the_body_hash_and_content_type() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("DirectoryId", DIRECTORY)
                .form_urlencoded_tuple("UserId", USER)
                .is_true(|req| {
                    let auth = header(req, "authorization").unwrap_or_default();
                    req.uri().query().is_none()
                        && header(req, "x-acs-content-sha256").as_deref() != Some(EMPTY_SHA256)
                        && auth.contains("SignedHeaders=content-type;host;")
                })
                .is_true(v3_signed());
            then.status(200).json_body(json!({"RequestId": "FORM-1"}));
        })
        .await;
    let config = config(&server).with_request_style(RequestStyle::FormBody);
    Client::new(config, fast_options())
        .unwrap()
        .delete_user(USER)
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn v2_sends_every_signed_parameter_in_the_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/")
                .query_param("Action", "DeleteUser")
                .query_param("Version", "2021-05-15")
                .query_param("Format", "JSON")
                .query_param("AccessKeyId", KEY_ID)
                .query_param("SignatureMethod", "HMAC-SHA1")
                .query_param("SignatureVersion", "1.0")
                .query_param("Timestamp", "2016-02-23T12:46:24Z")
                .query_param("DirectoryId", DIRECTORY)
                .query_param("UserId", USER)
                .query_param_exists("SignatureNonce")
                .query_param_exists("Signature")
                .query_param_missing("SecurityToken")
                .header_missing("authorization")
                .header_missing("x-acs-action")
                .is_true(|req| req.body_ref().is_empty() && common::query(req).len() == 11)
                .is_true(v2_signed());
            then.status(200).json_body(json!({"RequestId": "V2-1"}));
        })
        .await;
    let clock = at_wall();
    let config = config(&server).with_signature_version(SignatureVersion::V2);
    let client = Client::new(config, manual(&clock)).unwrap();
    assert_eq!(
        client
            .delete_user(USER)
            .await
            .unwrap()
            .request_id
            .as_deref(),
        Some("V2-1")
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn v2_form_body_and_sts() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("SecurityToken", TOKEN)
                .form_urlencoded_tuple("UserId", USER)
                .is_true(|req| req.uri().query().is_none())
                .is_true(v2_signed())
                .is_true(|req| {
                    let without: Vec<_> = common::request_params(req)
                        .into_iter()
                        .filter(|(name, _)| name != "SecurityToken")
                        .collect();
                    !common::signature_ok("POST", &without, SECRET)
                });
            then.status(200).json_body(json!({"RequestId": "V2-STS"}));
        })
        .await;
    let config = config(&server)
        .with_signature_version(SignatureVersion::V2)
        .with_request_style(RequestStyle::FormBody)
        .with_security_token(Secret::new(TOKEN));
    Client::new(config, fast_options())
        .unwrap()
        .delete_user(USER)
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
}

/// Throttled twice, then success: three requests, three nonces, three dates, each correctly
/// signed, for both signature versions.
#[tokio::test]
async fn every_retry_is_signed_again_with_a_new_nonce_and_date() {
    for version in [SignatureVersion::V3, SignatureVersion::V2] {
        let server = MockServer::start_async().await;
        let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let record = move |seen: Arc<Mutex<Vec<(String, String)>>>| {
            move |req: &HttpMockRequest| {
                let signed = match version {
                    SignatureVersion::V2 => common::v2_signed(req, SECRET),
                    _ => common::v3_signed(req, SECRET),
                };
                let params = common::query(req);
                let pair = match version {
                    SignatureVersion::V2 => (
                        common::value(&params, "SignatureNonce")
                            .unwrap_or("")
                            .to_owned(),
                        common::value(&params, "Timestamp").unwrap_or("").to_owned(),
                    ),
                    _ => (
                        header(req, "x-acs-signature-nonce").unwrap_or_default(),
                        header(req, "x-acs-date").unwrap_or_default(),
                    ),
                };
                if signed {
                    seen.lock().unwrap().push(pair);
                }
                signed
            }
        };
        let throttled = server
            .mock_async(|when, then| {
                when.method(POST).is_true(record(seen.clone()));
                then.status(400)
                    .json_body(error_body(
                        "Throttling.User",
                        "Request was denied due to user flow control.",
                    ))
                    .up_to_n_times(2);
            })
            .await;
        let ok = server
            .mock_async(|when, then| {
                when.method(POST).is_true(record(seen.clone()));
                then.status(200).json_body(json!({"RequestId": "OK-3"}));
            })
            .await;
        // Waits take no time, but the wall clock moves with each back-off (2 s, then 4 s).
        let clock = at_wall();
        let options = TransportOptions::default()
            .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_secs(2)))
            .with_jitter(Arc::new(NoJitter))
            .with_clock(Arc::new(clock.clone()));
        let config = config(&server).with_signature_version(version);
        let receipt = Client::new(config, options)
            .unwrap()
            .delete_user(USER)
            .await
            .unwrap();
        assert_eq!(receipt.attempts, 3);
        throttled.assert_calls_async(2).await;
        ok.assert_calls_async(1).await;
        let seen = seen.lock().unwrap().clone();
        // httpmock may evaluate a matcher more than once per request: count distinct values.
        let nonces: BTreeSet<_> = seen.iter().map(|(n, _)| n.clone()).collect();
        let dates: BTreeSet<_> = seen.iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(nonces.len(), 3, "{version}: {seen:?}");
        assert_eq!(dates.len(), 3, "{version}: {seen:?}");
        assert!(dates.contains("2016-02-23T12:46:24Z"), "{dates:?}");
        assert!(
            clock.elapsed() >= Duration::from_secs(6),
            "{:?}",
            clock.sleeps()
        );
    }
}

struct Case {
    status: u16,
    code: &'static str,
    kind: ErrorKind,
    /// Requests sent: 1 when not retried, 4 (the default 3 retries) when retried.
    hits: usize,
    message_has: &'static str,
}

const fn case(
    status: u16,
    code: &'static str,
    kind: ErrorKind,
    hits: usize,
    message_has: &'static str,
) -> Case {
    Case {
        status,
        code,
        kind,
        hits,
        message_has,
    }
}

#[tokio::test]
async fn each_code_maps_as_documented() {
    use ErrorKind::*;
    let cases = [
        case(404, "EntityNotExists.User", NotFound, 1, "does not exist"),
        case(
            404,
            "EntityNotExists.Directory",
            Config,
            1,
            "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
        ),
        case(
            409,
            "DeletionConflict.User.AccessAssigment",
            Conflict,
            1,
            "DeleteAccessAssignment",
        ),
        case(
            409,
            "DeletionConflict.User.Group",
            Conflict,
            1,
            "RemoveUserFromGroup",
        ),
        case(
            409,
            "DeletionConflict.User.MFADevice",
            Conflict,
            1,
            "DeleteMFADeviceForUser",
        ),
        case(400, "Throttling", RateLimited, 4, "throttled"),
        case(400, "Throttling.User", RateLimited, 4, "throttled"),
        case(400, "Throttling.Api", RateLimited, 4, "throttled"),
        case(503, "ServiceUnavailable", Server, 4, "retried"),
        case(400, "SignatureNonceUsed", Protocol, 4, "fresh nonce"),
        case(
            400,
            "SignatureDoesNotMatch",
            Unauthenticated,
            1,
            "ACCESS_KEY_SECRET",
        ),
        case(
            400,
            "IncompleteSignature",
            Unauthenticated,
            1,
            "ACCESS_KEY_SECRET",
        ),
        case(
            404,
            "InvalidAccessKeyId.NotFound",
            Unauthenticated,
            1,
            "ACCESS_KEY_ID",
        ),
        case(
            400,
            "InvalidSecurityToken.Expired",
            Unauthenticated,
            1,
            "security token",
        ),
        case(400, "InvalidTimeStamp.Expired", Unauthenticated, 1, "clock"),
        case(
            400,
            "InvalidSignatureVersion",
            Config,
            1,
            "ALIBABA_CLOUD_SIGNATURE_VERSION",
        ),
        case(
            403,
            "Forbidden.RAM",
            PermissionDenied,
            1,
            "cloudsso:DeleteUser",
        ),
        case(
            403,
            "NoPermission",
            PermissionDenied,
            1,
            "cloudsso:DeleteUser",
        ),
    ];
    for case in cases {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(POST).path("/");
                then.status(case.status)
                    .json_body(error_body(case.code, &format!("vendor says {}", case.code)));
            })
            .await;
        let err = client(&server).delete_user(USER).await.unwrap_err();
        assert_eq!(err.kind(), case.kind, "{}: {err}", case.code);
        assert_eq!(err.code(), Some(case.code));
        assert_eq!(err.status(), Some(case.status));
        assert_eq!(err.vendor(), VENDOR);
        assert_eq!(err.operation(), Some("delete_user"));
        let request_id = format!("REQ-{}", case.code);
        assert_eq!(err.request_id(), Some(request_id.as_str()));
        assert!(
            err.message()
                .contains(&format!("vendor says {}", case.code)),
            "{err}"
        );
        assert!(
            err.message().contains(case.message_has),
            "{}: {err}",
            case.code
        );
        assert_eq!(err.attempts() as usize, case.hits, "{}", case.code);
        mock.assert_calls_async(case.hits).await;
    }
}

/// Whatever a gateway, a proxy or a wrong endpoint answers with 404 or 410, no user is taken
/// to be absent.
#[tokio::test]
async fn gateway_404s_and_410s_are_protocol_never_absent() {
    let bodies: [(u16, &str, &str); 10] = [
        (
            404,
            "application/json",
            r#"{"message":"no Route matched with those values"}"#,
        ),
        (404, "application/json", r#"{"message":"Not Found"}"#),
        (
            404,
            "application/json",
            r#"{"statusCode":404,"message":"Resource not found"}"#,
        ),
        (404, "text/plain", "404 page not found"),
        (404, "text/plain", ""),
        (
            404,
            "application/json",
            r#"{"timestamp":"2026-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"/"}"#,
        ),
        (404, "text/html", "<html><body>Not Found</body></html>"),
        (
            404,
            "application/json",
            r#"{"Code":"EntityNotExists.User"}"#,
        ),
        (410, "text/plain", ""),
        (410, "application/json", r#"{"message":"Gone"}"#),
    ];
    for (status, content_type, body) in bodies {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
        let result = client(&server).delete_user(USER).await;
        let err = DeleteOutcome::from_result(result).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{status} {body}");
        for variable in ["ALIBABA_CLOUD_CLOUDSSO_ENDPOINT", "ALIBABA_CLOUD_REGION_ID"] {
            assert!(err.message().contains(variable), "{err}");
        }
        assert_eq!(err.attempts(), 1);
    }
}

/// Only HTTP 200 with a JSON `RequestId` (and no error code) is a delete.
#[tokio::test]
async fn non_success_2xx_answers_are_protocol_never_deleted() {
    let answers: [(u16, &str, &str); 13] = [
        (200, "text/html", "<html>captive portal</html>"),
        (200, "text/plain", "OK"),
        (200, "application/json", r#"{"success":false}"#),
        (200, "application/json", "{}"),
        (200, "application/json", r#"{"RequestId":""}"#),
        (200, "application/json", r#"{"RequestId":7}"#),
        (200, "application/json", r#"[{"RequestId":"R"}]"#),
        (
            200,
            "application/json",
            r#"{"RequestId":"R","Code":"Throttling","Message":"x"}"#,
        ),
        (201, "application/json", r#"{"RequestId":"R"}"#),
        (202, "application/json", r#"{"RequestId":"R"}"#),
        (203, "application/json", r#"{"RequestId":"R"}"#),
        (206, "application/json", r#"{"RequestId":"R"}"#),
        (207, "application/json", r#"{"RequestId":"R"}"#),
    ];
    for (status, content_type, body) in answers {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST);
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
        let err = client(&server).delete_user(USER).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{status} {body}: {err}");
        assert_eq!(err.attempts(), 1, "{status} {body}");
    }
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(204);
        })
        .await;
    let err = client(&server).delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn not_found_only_for_a_missing_user_never_a_missing_directory() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.query_param("UserId", "u-gone");
            then.status(404).json_body(error_body(
                "EntityNotExists.User",
                "The specified user does not exist.",
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.query_param("UserId", "u-wrongdir");
            then.status(404).json_body(error_body(
                "EntityNotExists.Directory",
                "The specified directory does not exist.",
            ));
        })
        .await;
    let client = client(&server);
    assert_eq!(
        DeleteOutcome::from_result(client.delete_user("u-gone").await).unwrap(),
        DeleteOutcome::Absent
    );
    let wrong_dir = DeleteOutcome::from_result(client.delete_user("u-wrongdir").await);
    assert_eq!(wrong_dir.unwrap_err().kind(), ErrorKind::Config);
}

/// A server that quotes every form of the credentials this client sends (raw in V3 headers,
/// percent-encoded in V2 queries and in a V2 string to sign) and their base64 in every error
/// field it has.
#[tokio::test]
async fn echoed_credentials_never_reach_the_error() {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let once = |s: &str| common::rfc3986(s);
    let forms = [
        SECRET.to_owned(),
        TOKEN.to_owned(),
        b64(SECRET),
        b64(TOKEN),
        once(TOKEN),
        once(&once(TOKEN)),
        once(SECRET),
        format!("Bearer {TOKEN}"),
    ];
    let all = forms.join(" | ");
    for version in [SignatureVersion::V3, SignatureVersion::V2] {
        for (status, code) in [(400, "SignatureDoesNotMatch"), (503, "ServiceUnavailable")] {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(POST);
                    then.status(status)
                        .header("x-acs-request-id", TOKEN)
                        .json_body(json!({
                            "RequestId": TOKEN,
                            "HostId": all,
                            "Code": format!("{code}.{TOKEN}"),
                            "Message": format!("echo: {all}; string to sign: POST&%2F&{}", once(TOKEN)),
                            "Recommend": format!("https://x/?q={}", b64(SECRET)),
                        }));
                })
                .await;
            let config = config(&server)
                .with_signature_version(version)
                .with_security_token(Secret::new(TOKEN));
            let err = Client::new(config, fast_options())
                .unwrap()
                .delete_user(USER)
                .await
                .unwrap_err();
            let shown = format!("{err} {err:?} {:?} {:?}", err.code(), err.request_id());
            assert!(!shown.contains("CANARY"), "{version} {code}: {shown}");
            for form in &forms {
                assert!(!shown.contains(form.as_str()), "{form}: {shown}");
            }
        }
    }
}

#[tokio::test]
async fn invalid_ids_are_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let catch_all = server
        .mock_async(|_when, then| {
            then.status(500);
        })
        .await;
    let client = client(&server);
    let too_long = format!("u-{}", "a".repeat(63));
    for bad in [
        "",
        "u-1\n",
        "u\u{0}x",
        "\t",
        too_long.as_str(),
        ".",
        "..",
        "\u{feff}u-1",
        "u-\u{200b}1",
        "u-\u{00ad}1",
        "u-1  # left",
        "u-1,John Doe,2026-11-30",
        "u-1;John",
        "\"u-1\"",
        "user_id",
        "jane@example.com",
        "a&b=c",
        "x&UserId=other",
        "d-00fc2p61abcd",
        "-",
    ] {
        let err = client.delete_user(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.attempts(), 0);
        assert_eq!(err.vendor(), VENDOR);
        assert!(client.validate_user_id(bad).is_err(), "{bad:?}");
    }
    let email = client.validate_user_id("jane@example.com").unwrap_err();
    assert!(email.message().contains("idp find"), "{email}");
    assert!(
        client
            .validate_user_id(&format!("u-{}", "a".repeat(62)))
            .is_ok()
    );
    assert!(client.validate_user_id(USER).is_ok());
    assert_eq!(UserDeleter::vendor(&client), VENDOR);
    catch_all.assert_calls_async(0).await;
}

#[tokio::test]
async fn bad_directory_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let catch_all = server
        .mock_async(|_when, then| {
            then.status(500);
        })
        .await;
    for bad in ["", "d-1\r\nx", &"d".repeat(65)] {
        let config = config(&server).with_directory_id(bad);
        let err = Client::new(config, fast_options()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
    }
    catch_all.assert_calls_async(0).await;
}

#[tokio::test]
async fn works_through_the_user_deleter_trait() {
    async fn delete(deleter: &impl UserDeleter, id: &str) -> idp_core::Receipt {
        deleter.delete_user(id).await.unwrap()
    }
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).is_true(v3_signed());
            then.status(200).json_body(json!({"RequestId": "T-1"}));
        })
        .await;
    let client = client(&server);
    let receipt = delete(&client, USER).await;
    assert_eq!(receipt.request_id.as_deref(), Some("T-1"));
    assert_eq!(UserDeleter::transport(&client).vendor(), VENDOR);
}

/// A dry run's one read-only call: `ListUsers` with `MaxResults=1`; a refused signature is
/// `unauthenticated` after one request.
#[tokio::test]
async fn check_access_lists_one_user() {
    let server = MockServer::start_async().await;
    let good = server
        .mock_async(|when, then| {
            when.method(POST)
                .header("x-acs-action", "ListUsers")
                .query_param("MaxResults", "1")
                .query_param("DirectoryId", DIRECTORY)
                .query_param_missing("Filter")
                .is_true(v3_signed());
            then.status(200).json_body(json!({
                "RequestId": "L-1", "Users": [], "IsTruncated": false, "TotalCounts": 0
            }));
        })
        .await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(400).json_body(error_body(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            ));
        })
        .await;
    client(&server).check_access().await.unwrap();
    good.assert_calls_async(1).await;
    let wrong = Client::new(
        idp_alibaba_cloudsso::Config::new(KEY_ID, Secret::new("wrong-secret"), DIRECTORY)
            .with_endpoint(server.base_url()),
        fast_options(),
    )
    .unwrap();
    let err = UserDeleter::check_access(&wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.operation(), Some("list_users"));
    refused.assert_calls_async(1).await;
    let v2 = client_v2(&server);
    assert!(
        v2.check_access().await.is_err(),
        "the V3 mock does not take V2"
    );
}

/// 429, 503 and a dropped connection on `DeleteUser` are retried like any call.
#[tokio::test]
async fn faults_are_retried() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(POST).header("x-acs-action", "DeleteUser");
            then.status(429).body("Too Many Requests").up_to_n_times(1);
        })
        .await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST).header("x-acs-action", "DeleteUser");
            then.status(503)
                .json_body(error_body("ServiceUnavailable", "busy"))
                .up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(POST)
                .header("x-acs-action", "DeleteUser")
                .is_true(v3_signed());
            then.status(200).json_body(json!({"RequestId": "F-1"}));
        })
        .await;
    let front = common::drop_first(&server.base_url(), "DeleteUser").await;
    let config = config(&server).with_endpoint(front);
    let client = Client::new(config, common::no_reuse(fast_options())).unwrap();
    let receipt = client.delete_user(USER).await.unwrap();
    // Dropped, 429, 503, then the answer.
    assert_eq!(receipt.attempts, 4);
    throttled.assert_calls_async(1).await;
    unavailable.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}
