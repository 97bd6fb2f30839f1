//! `DeleteUser` against a local mock server: what arrives, how it is signed, how answers are
//! classified and retried.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use httpmock::prelude::*;
use idp_alibaba_cloudsso::{Client, Config, RequestStyle, VENDOR};
use idp_core::{
    DeleteOutcome, ErrorKind, ManualClock, NoJitter, RetryPolicy, Secret, TransportOptions,
    UserDeleter,
};
use serde_json::json;

const KEY_ID: &str = "LTAI-test-key";
const SECRET: &str = "secret-CANARY-7f3a";
const TOKEN: &str = "sts-token/CANARY+9==";
const DIRECTORY: &str = "d-00fc2p61abcd";
const USER: &str = "u-00q8wbq42wiltcrkabcd";
/// 2016-02-23T12:46:24Z
const WALL: u64 = 1_456_231_584;

fn options() -> TransportOptions {
    TransportOptions::default()
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
        .with_jitter(Arc::new(NoJitter))
}

fn config(server: &MockServer) -> Config {
    Config::new(KEY_ID, Secret::new(SECRET), DIRECTORY).with_endpoint(server.base_url())
}

fn client(server: &MockServer) -> Client {
    Client::new(config(server), options()).unwrap()
}

fn error_body(code: &str, message: &str) -> serde_json::Value {
    json!({
        "RequestId": format!("REQ-{code}"),
        "HostId": "cloudsso.cn-shanghai.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}"),
    })
}

fn signed(secret: &'static str) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    move |req| common::request_signed(req, secret)
}

#[tokio::test]
async fn request_carries_every_common_parameter_signed() {
    let server = MockServer::start_async().await;
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(WALL));
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .header_includes("user-agent", "idp-alibaba-cloudsso/")
                .form_urlencoded_tuple("Action", "DeleteUser")
                .form_urlencoded_tuple("Version", "2021-05-15")
                .form_urlencoded_tuple("Format", "JSON")
                .form_urlencoded_tuple("AccessKeyId", KEY_ID)
                .form_urlencoded_tuple("SignatureMethod", "HMAC-SHA1")
                .form_urlencoded_tuple("SignatureVersion", "1.0")
                .form_urlencoded_tuple("Timestamp", "2016-02-23T12:46:24Z")
                .form_urlencoded_tuple("DirectoryId", DIRECTORY)
                .form_urlencoded_tuple("UserId", USER)
                .form_urlencoded_tuple_exists("SignatureNonce")
                .form_urlencoded_tuple_exists("Signature")
                .form_urlencoded_tuple_missing("SecurityToken")
                .is_true(|req| req.uri().query().is_none())
                .is_true(|req| {
                    let params = common::request_params(req);
                    let nonce = common::value(&params, "SignatureNonce").unwrap_or("");
                    params.len() == 11
                        && uuid::Uuid::parse_str(nonce).is_ok_and(|u| u.get_version_num() == 4)
                })
                .is_true(signed(SECRET));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"RequestId": "E598602-AC67-56EF-B7CC-2927C30AA0A8"}));
        })
        .await;

    let client = Client::new(config(&server), options().with_clock(Arc::new(clock))).unwrap();
    let receipt = client.delete_user(USER).await.unwrap();
    assert_eq!(receipt.attempts, 1);
    assert_eq!(
        receipt.request_id.as_deref(),
        Some("E598602-AC67-56EF-B7CC-2927C30AA0A8")
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn query_style_sends_the_same_signed_parameters_in_the_url() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/")
                .query_param("Action", "DeleteUser")
                .query_param("UserId", "a&b=c")
                .query_param("DirectoryId", DIRECTORY)
                .query_param_exists("Signature")
                .is_true(|req| req.body_string().is_empty())
                .is_true(signed(SECRET));
            then.status(200).json_body(json!({"RequestId": "Q-1"}));
        })
        .await;
    let config = config(&server).with_request_style(RequestStyle::Query);
    let client = Client::new(config, options()).unwrap();
    let receipt = client.delete_user("a&b=c").await.unwrap();
    assert_eq!(receipt.request_id.as_deref(), Some("Q-1"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn awkward_user_ids_arrive_as_one_value() {
    for user_id in [
        "a&b=c",
        "x&UserId=other",
        "name with spaces",
        "ünïcødé-用户-😀",
        "a+b%20c*~/?#",
        "=&= &",
    ] {
        let server = MockServer::start_async().await;
        let expected = user_id.to_owned();
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/")
                    .form_urlencoded_tuple("UserId", user_id)
                    .is_true(move |req| {
                        let params = common::request_params(req);
                        // Exactly one UserId, exactly the id, and no stray parameters.
                        params.len() == 11
                            && common::value(&params, "UserId") == Some(expected.as_str())
                            && common::value(&params, "DirectoryId") == Some(DIRECTORY)
                    })
                    .is_true(signed(SECRET));
                then.status(200).json_body(json!({"RequestId": "R"}));
            })
            .await;
        client(&server).delete_user(user_id).await.unwrap();
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn throttled_twice_then_success_with_three_distinct_nonces() {
    let server = MockServer::start_async().await;
    let seen: Arc<Mutex<BTreeSet<(String, String)>>> = Arc::default();
    let record = |seen: Arc<Mutex<BTreeSet<(String, String)>>>| {
        move |req: &HttpMockRequest| {
            let params = common::request_params(req);
            if let (Some(nonce), Some(ts)) = (
                common::value(&params, "SignatureNonce"),
                common::value(&params, "Timestamp"),
            ) {
                seen.lock()
                    .unwrap()
                    .insert((nonce.to_owned(), ts.to_owned()));
            }
            true
        }
    };
    let throttled = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/")
                .is_true(signed(SECRET))
                .is_true(record(seen.clone()));
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
            when.method(POST)
                .path("/")
                .is_true(signed(SECRET))
                .is_true(record(seen.clone()));
            then.status(200).json_body(json!({"RequestId": "OK-3"}));
        })
        .await;

    // A manual clock: waits take no time, but the wall clock moves with each back-off, so each
    // attempt also has its own timestamp.
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(WALL));
    let options = TransportOptions::default()
        .with_retry(RetryPolicy::default().with_initial_backoff(Duration::from_secs(2)))
        .with_jitter(Arc::new(NoJitter))
        .with_clock(Arc::new(clock.clone()));
    let client = Client::new(config(&server), options).unwrap();
    let receipt = client.delete_user(USER).await.unwrap();

    assert_eq!(receipt.attempts, 3);
    assert_eq!(receipt.request_id.as_deref(), Some("OK-3"));
    throttled.assert_calls_async(2).await;
    ok.assert_calls_async(1).await;
    let seen = seen.lock().unwrap().clone();
    let nonces: BTreeSet<_> = seen.iter().map(|(n, _)| n.clone()).collect();
    let stamps: BTreeSet<_> = seen.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(nonces.len(), 3, "{seen:?}");
    assert_eq!(stamps.len(), 3, "{seen:?}");
    assert!(stamps.contains("2016-02-23T12:46:24Z"), "{stamps:?}");
    // The client backed off (2 s, then 4 s) before the retries.
    assert!(
        clock.elapsed() >= Duration::from_secs(6),
        "{:?}",
        clock.sleeps()
    );
}

#[tokio::test]
async fn sts_token_is_sent_and_signed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/")
                .form_urlencoded_tuple("SecurityToken", TOKEN)
                .form_urlencoded_tuple("AccessKeyId", KEY_ID)
                .is_true(signed(SECRET))
                // The token is covered by the signature: without it, the signature fails.
                .is_true(|req| {
                    let without: Vec<_> = common::request_params(req)
                        .into_iter()
                        .filter(|(name, _)| name != "SecurityToken")
                        .collect();
                    !common::signature_ok("POST", &without, SECRET)
                });
            then.status(200).json_body(json!({"RequestId": "STS-1"}));
        })
        .await;
    let config = config(&server).with_security_token(Secret::new(TOKEN));
    let client = Client::new(config, options()).unwrap();
    let receipt = client.delete_user(USER).await.unwrap();
    assert_eq!(receipt.request_id.as_deref(), Some("STS-1"));
    mock.assert_calls_async(1).await;
}

struct Case {
    status: u16,
    code: &'static str,
    kind: ErrorKind,
    /// Requests sent: 1 when not retried, 4 (the default 3 retries) when retried.
    hits: usize,
    message_has: &'static str,
}

#[tokio::test]
async fn each_code_maps_as_documented() {
    let cases = [
        Case {
            status: 404,
            code: "EntityNotExists.User",
            kind: ErrorKind::NotFound,
            hits: 1,
            message_has: "does not exist",
        },
        Case {
            status: 404,
            code: "EntityNotExists.Directory",
            kind: ErrorKind::Config,
            hits: 1,
            message_has: "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
        },
        Case {
            status: 409,
            code: "DeletionConflict.User.AccessAssigment",
            kind: ErrorKind::Conflict,
            hits: 1,
            message_has: "DeleteAccessAssignment",
        },
        Case {
            status: 409,
            code: "DeletionConflict.User.Group",
            kind: ErrorKind::Conflict,
            hits: 1,
            message_has: "RemoveUserFromGroup",
        },
        Case {
            status: 409,
            code: "DeletionConflict.User.MFADevice",
            kind: ErrorKind::Conflict,
            hits: 1,
            message_has: "DeleteMFADeviceForUser",
        },
        Case {
            status: 400,
            code: "Throttling",
            kind: ErrorKind::RateLimited,
            hits: 4,
            message_has: "throttled",
        },
        Case {
            status: 400,
            code: "Throttling.User",
            kind: ErrorKind::RateLimited,
            hits: 4,
            message_has: "throttled",
        },
        Case {
            status: 400,
            code: "Throttling.Api",
            kind: ErrorKind::RateLimited,
            hits: 4,
            message_has: "throttled",
        },
        Case {
            status: 503,
            code: "ServiceUnavailable",
            kind: ErrorKind::Server,
            hits: 4,
            message_has: "retried",
        },
        Case {
            status: 400,
            code: "SignatureNonceUsed",
            kind: ErrorKind::Protocol,
            hits: 4,
            message_has: "fresh nonce",
        },
        Case {
            status: 400,
            code: "SignatureDoesNotMatch",
            kind: ErrorKind::Unauthenticated,
            hits: 1,
            message_has: "ACCESS_KEY_SECRET",
        },
        Case {
            status: 400,
            code: "IncompleteSignature",
            kind: ErrorKind::Unauthenticated,
            hits: 1,
            message_has: "ACCESS_KEY_SECRET",
        },
        Case {
            status: 404,
            code: "InvalidAccessKeyId.NotFound",
            kind: ErrorKind::Unauthenticated,
            hits: 1,
            message_has: "ACCESS_KEY_ID",
        },
        Case {
            status: 400,
            code: "InvalidSecurityToken.Expired",
            kind: ErrorKind::Unauthenticated,
            hits: 1,
            message_has: "security token",
        },
        Case {
            status: 400,
            code: "InvalidTimeStamp.Expired",
            kind: ErrorKind::Unauthenticated,
            hits: 1,
            message_has: "clock",
        },
        Case {
            status: 403,
            code: "Forbidden.RAM",
            kind: ErrorKind::PermissionDenied,
            hits: 1,
            message_has: "DeleteUser",
        },
        Case {
            status: 403,
            code: "NoPermission",
            kind: ErrorKind::PermissionDenied,
            hits: 1,
            message_has: "DeleteUser",
        },
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

#[tokio::test]
async fn not_found_only_for_a_missing_user_never_a_missing_directory() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.form_urlencoded_tuple("UserId", "u-gone");
            then.status(404).json_body(error_body(
                "EntityNotExists.User",
                "The specified user does not exist.",
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.form_urlencoded_tuple("UserId", "u-wrong-dir");
            then.status(404).json_body(error_body(
                "EntityNotExists.Directory",
                "The specified directory does not exist.",
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.form_urlencoded_tuple("UserId", "u-html");
            then.status(404).body("<html>Not Found</html>");
        })
        .await;
    let client = client(&server);
    assert_eq!(
        DeleteOutcome::from_result(client.delete_user("u-gone").await).unwrap(),
        DeleteOutcome::Absent
    );
    let wrong_dir = DeleteOutcome::from_result(client.delete_user("u-wrong-dir").await);
    assert_eq!(wrong_dir.unwrap_err().kind(), ErrorKind::Config);
    let html = DeleteOutcome::from_result(client.delete_user("u-html").await).unwrap_err();
    assert_eq!(html.kind(), ErrorKind::Protocol);
    assert!(html.message().contains("Not Found"), "{html}");
}

#[tokio::test]
async fn success_must_be_json() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200).body("<html>captive portal</html>");
        })
        .await;
    let err = client(&server).delete_user(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn signature_echo_and_credentials_never_reach_the_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(400).json_body(json!({
                "RequestId": "R-SIG",
                "Code": "SignatureDoesNotMatch",
                "Message": format!(
                    "Specified signature is not matched with our calculation. server string to \
                     sign is:POST&%2F&SecurityToken%3D{}",
                    idp_alibaba_cloudsso::sign::percent_encode(
                        &idp_alibaba_cloudsso::sign::percent_encode(TOKEN)
                    )
                ),
            }));
        })
        .await;
    let config = config(&server).with_security_token(Secret::new(TOKEN));
    let client = Client::new(config, options()).unwrap();
    let err = client.delete_user(USER).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("CANARY"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        shown.contains("Specified signature is not matched"),
        "{shown}"
    );
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(!err.is_retryable());
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
    let too_long = "u".repeat(65);
    for bad in ["", "u-1\n", "u\u{0}x", "\t", too_long.as_str(), ".", ".."] {
        let err = client.delete_user(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert_eq!(err.attempts(), 0);
        assert!(client.validate_user_id(bad).is_err(), "{bad:?}");
    }
    assert!(client.validate_user_id(&"u".repeat(64)).is_ok());
    assert!(client.validate_user_id("a&b = ü").is_ok());
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
    for bad in ["", "d-1\r\n", &"d".repeat(65)] {
        let config = config(&server).with_directory_id(bad);
        let err = Client::new(config, options()).unwrap_err();
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
            when.method(POST).is_true(signed(SECRET));
            then.status(200).json_body(json!({"RequestId": "T-1"}));
        })
        .await;
    let receipt = delete(&client(&server), USER).await;
    assert_eq!(receipt.request_id.as_deref(), Some("T-1"));
}
