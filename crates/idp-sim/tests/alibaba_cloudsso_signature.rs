//! Issue 23 on the simulator's side: both signatures verified by the simulator's own code,
//! the body hash, the date window, nonces, STS tokens in both schemes, the V3-only gateway,
//! and retries signed afresh, through the real client and by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alibaba_cloudsso_common;

use std::time::{Duration, SystemTime};

use alibaba_cloudsso_common::{
    EMPTY_SHA256, HandMade, client, client_v2, client_with, code, config, date, manual_client,
    manual_client_at,
};
use idp_alibaba_cloudsso::RequestStyle;
use idp_core::ErrorKind;
use idp_core::test_util::fast_options;
use idp_sim::{AlibabaCloudSsoSim, Fault};

#[tokio::test]
async fn the_default_client_signs_v3_and_needs_no_variable_for_it() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    assert!(
        sim.env()
            .iter()
            .all(|(name, _)| *name != "ALIBABA_CLOUD_SIGNATURE_VERSION")
    );
    let id = sim.add_user("");
    client(&sim).delete_user(&id).await.unwrap();
    assert!(!sim.has_user(&id));
    let request = &sim.requests()[0];
    assert!(
        request
            .header("authorization")
            .unwrap()
            .starts_with("ACS3-HMAC-SHA256 Credential=")
    );
    assert_eq!(request.header("x-acs-action"), Some("DeleteUser"));
    assert_eq!(request.header("x-acs-content-sha256"), Some(EMPTY_SHA256));
    assert_eq!(request.param("Signature"), None);
    assert_eq!(request.param("UserId").as_deref(), Some(id.as_str()));

    // V2 on request, and the V3 form-body style: both verified.
    let other = sim.add_user("");
    client_v2(&sim).delete_user(&other).await.unwrap();
    let request = sim.requests().pop().unwrap();
    assert!(request.param("Signature").is_some());
    assert_eq!(request.header("authorization"), None);
    let third = sim.add_user("");
    client_with(
        config(&sim).with_request_style(RequestStyle::FormBody),
        fast_options(),
    )
    .delete_user(&third)
    .await
    .unwrap();
    let request = sim.requests().pop().unwrap();
    assert_eq!(request.query, None);
    assert_ne!(request.header("x-acs-content-sha256"), Some(EMPTY_SHA256));
    assert_eq!(sim.user_count(), 0);
}

#[tokio::test]
async fn sts_credentials_in_both_schemes() {
    let sim = AlibabaCloudSsoSim::start_sts().await.unwrap();
    let token = sim.security_token().unwrap();
    let (a, b) = (sim.add_user(""), sim.add_user(""));
    client(&sim).delete_user(&a).await.unwrap();
    client_v2(&sim).delete_user(&b).await.unwrap();
    let requests = sim.requests();
    assert_eq!(
        requests[0].header("x-acs-security-token"),
        Some(token.as_str())
    );
    assert_eq!(
        requests[0].header("x-acs-accesskey-id"),
        Some(sim.access_key_id())
    );
    assert_eq!(
        requests[1].param("SecurityToken").as_deref(),
        Some(token.as_str())
    );

    // A V3 request without the token, or with another one.
    let user = sim.add_user("");
    let without = HandMade::v3(&sim, "GetUser", &[("UserId", &user)]);
    let without = HandMade {
        headers: without
            .headers
            .into_iter()
            .filter(|(k, _)| !k.starts_with("x-acs-security") && k != "x-acs-accesskey-id")
            .collect(),
        ..without
    }
    .signed(&sim);
    assert_eq!(code(&without.send(&sim).await.1), "MissingSecurityToken");
    let wrong = HandMade::v3(&sim, "GetUser", &[("UserId", &user)])
        .set("x-acs-security-token", "CAISwrong")
        .signed(&sim);
    assert_eq!(
        code(&wrong.send(&sim).await.1),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );

    sim.expire_security_token();
    for client in [client(&sim), client_v2(&sim)] {
        let err = client.delete_user(&user).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert_eq!(err.code(), Some("InvalidSecurityToken.Expired"));
        assert!(!format!("{err} {err:?}").contains(&token));
    }
    assert!(sim.has_user(&user));
}

/// A throttled attempt, then a retry: signed again, with a new nonce and a new date.
#[tokio::test]
async fn a_retry_is_signed_afresh_with_a_new_nonce_and_date() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let id = sim.add_user("");
    // The retry waits the announced 2 s on the manual clock, so its date moves.
    sim.inject_on_deletes(sim.throttle(2), 1);
    let (client, clock) = manual_client(&sim);
    let receipt = client.delete_user(&id).await.unwrap();
    assert_eq!(receipt.attempts, 2);
    assert!(clock.sleeps().iter().any(|d| *d >= Duration::from_secs(2)));
    let requests = sim.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(400), Some(200)]
    );
    let header = |i: usize, name: &str| requests[i].header(name).unwrap().to_owned();
    assert_ne!(
        header(0, "x-acs-signature-nonce"),
        header(1, "x-acs-signature-nonce")
    );
    assert!(header(0, "x-acs-date") < header(1, "x-acs-date"));
    assert_ne!(header(0, "authorization"), header(1, "authorization"));

    // V2 over a dropped connection: a new SignatureNonce and Signature.
    let id = sim.add_user("");
    sim.clear_requests();
    sim.inject_on_deletes(Fault::Drop, 1);
    client_v2(&sim).delete_user(&id).await.unwrap();
    let requests = sim.requests();
    assert_eq!(requests[0].status, None);
    let param = |i: usize, name: &str| requests[i].param(name).unwrap();
    assert_ne!(param(0, "SignatureNonce"), param(1, "SignatureNonce"));
    assert_ne!(param(0, "Signature"), param(1, "Signature"));
    assert!(!sim.has_user(&id));
}

#[tokio::test]
async fn tampered_stale_replayed_and_mis_hashed_requests_are_refused() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let user = sim.add_user("");
    let get = |params: &[(&str, &str)]| HandMade::v3(&sim, "GetUser", params);
    let mine = [("UserId", user.as_str())];

    // The client crate's signer and the simulator's verifier agree.
    let good = get(&mine).signed(&sim);
    let (status, body) = good.send(&sim).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["User"]["UserId"], user.as_str());

    // The same request again: its nonce is spent.
    let (status, body) = good.send(&sim).await;
    assert_eq!((status, code(&body)), (400, "SignatureNonceUsed"));

    // A nonce spent in V3 is spent for V2 too.
    let nonce = good
        .headers
        .iter()
        .find(|(k, _)| k == "x-acs-signature-nonce")
        .unwrap()
        .1
        .clone();
    let v2 = idp_alibaba_cloudsso::__signing::sign_v2(
        "POST",
        &[
            ("Action", "GetUser"),
            ("Version", "2021-05-15"),
            ("Format", "JSON"),
            ("AccessKeyId", sim.access_key_id()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &date(0)),
            ("DirectoryId", sim.directory_id()),
            ("UserId", &user),
        ],
        sim.access_key_secret(),
    );
    let mut query = vec![
        ("Action", "GetUser".to_owned()),
        ("Version", "2021-05-15".to_owned()),
        ("Format", "JSON".to_owned()),
        ("AccessKeyId", sim.access_key_id().to_owned()),
        ("SignatureMethod", "HMAC-SHA1".to_owned()),
        ("SignatureVersion", "1.0".to_owned()),
        ("SignatureNonce", nonce.clone()),
        ("Timestamp", date(0)),
        ("DirectoryId", sim.directory_id().to_owned()),
        ("UserId", user.clone()),
    ];
    query.push(("Signature", v2));
    let replay = HandMade {
        method: "POST".to_owned(),
        query: query.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    assert_eq!(code(&replay.send(&sim).await.1), "SignatureNonceUsed");

    // A signature that is one hex digit off, and a parameter changed after signing.
    let mut flipped = get(&mine).signed(&sim);
    let auth = &mut flipped.headers.last_mut().unwrap().1;
    let last = if auth.ends_with('0') { '1' } else { '0' };
    auth.pop();
    auth.push(last);
    let (status, body) = flipped.send(&sim).await;
    assert_eq!((status, code(&body)), (400, "SignatureDoesNotMatch"));
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("server string to sign is:ACS3-HMAC-SHA256\n")
    );
    let mut moved = get(&mine).signed(&sim);
    moved.query[1].1 = "u-someoneelse".to_owned();
    assert_eq!(code(&moved.send(&sim).await.1), "SignatureDoesNotMatch");
    let wrong_secret = get(&mine).signed_with(sim.access_key_id(), "not-the-secret");
    assert_eq!(
        code(&wrong_secret.send(&sim).await.1),
        "SignatureDoesNotMatch"
    );

    // Dates: 20 minutes off either way, or not in the one format.
    for (offset, expected) in [
        (-20 * 60, "InvalidTimeStamp.Expired"),
        (20 * 60, "InvalidTimeStamp.Expired"),
    ] {
        let stale = get(&mine).set("x-acs-date", &date(offset)).signed(&sim);
        let (status, body) = stale.send(&sim).await;
        assert_eq!((status, code(&body)), (400, expected), "{offset}");
    }
    let near = get(&mine).set("x-acs-date", &date(-10 * 60)).signed(&sim);
    assert_eq!(
        near.send(&sim).await.0,
        200,
        "ten minutes is inside the window"
    );
    let badly = get(&mine)
        .set("x-acs-date", "2026-01-01T00:00:00.000Z")
        .signed(&sim);
    assert_eq!(code(&badly.send(&sim).await.1), "InvalidTimeStamp.Format");

    // The body's hash: a body sent under the empty body's hash, or a hash of another body.
    let mut body_behind = get(&mine).signed(&sim);
    body_behind.body = b"UserId=u-other".to_vec();
    let (status, body) = body_behind.send(&sim).await;
    assert_eq!((status, code(&body)), (400, "SignatureDoesNotMatch"));
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("x-acs-content-sha256")
    );
    let wrong_hash = get(&mine)
        .set("x-acs-content-sha256", &"0".repeat(64))
        .signed(&sim);
    assert_eq!(
        code(&wrong_hash.send(&sim).await.1),
        "SignatureDoesNotMatch"
    );

    // Headers: an x-acs-* header left out of SignedHeaders, a required one missing.
    let mut unsigned = get(&mine).signed(&sim);
    unsigned
        .headers
        .push(("x-acs-extra".to_owned(), "smuggled".to_owned()));
    assert_eq!(code(&unsigned.send(&sim).await.1), "IncompleteSignature");
    let no_nonce = HandMade {
        headers: get(&mine)
            .headers
            .into_iter()
            .filter(|(k, _)| k != "x-acs-signature-nonce")
            .collect(),
        ..get(&mine)
    }
    .signed(&sim);
    let (status, body) = no_nonce.send(&sim).await;
    assert_eq!((status, code(&body)), (400, "MissingParameter"));
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("x-acs-signature-nonce")
    );

    // The Authorization header itself, the key, the version, the action.
    for (value, expected) in [
        (
            "ACS3-HMAC-SM3 Credential=x,SignedHeaders=host,Signature=00",
            "InvalidSignatureMethod",
        ),
        (
            "ACS3-HMAC-SHA256 Credential=x, SignedHeaders=host,Signature=00",
            "IncompleteSignature",
        ),
        ("Bearer abc", "IncompleteSignature"),
    ] {
        let odd = get(&mine).set("authorization", value);
        assert_eq!(code(&odd.send(&sim).await.1), expected, "{value}");
    }
    let unknown_key = get(&mine).signed_with("LTAI-unknown", sim.access_key_secret());
    let (status, body) = unknown_key.send(&sim).await;
    assert_eq!((status, code(&body)), (404, "InvalidAccessKeyId.NotFound"));
    let old_version = get(&mine).set("x-acs-version", "2019-01-01").signed(&sim);
    assert_eq!(code(&old_version.send(&sim).await.1), "InvalidVersion");
    let unknown = get(&mine).set("x-acs-action", "CreateUser").signed(&sim);
    let (status, body) = unknown.send(&sim).await;
    assert_eq!((status, code(&body)), (404, "InvalidAction.NotFound"));
    assert!(sim.has_user(&user));
}

/// What the client makes of the refusals: a stale clock and a wrong secret are
/// `unauthenticated`, never retried, and the echoed canonical request is not in the error.
#[tokio::test]
async fn the_client_reads_the_refusals_as_alibabas() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let user = sim.add_user("");
    let (stale, _) = manual_client_at(&sim, SystemTime::now() - Duration::from_secs(20 * 60));
    let err = stale.delete_user(&user).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Unauthenticated, Some("InvalidTimeStamp.Expired"))
    );
    assert_eq!(err.attempts(), 1);

    let wrong = idp_alibaba_cloudsso::Config::new(
        sim.access_key_id(),
        idp_core::Secret::new("not-the-secret"),
        sim.directory_id(),
    )
    .with_endpoint(sim.base_url());
    let err = client_with(wrong, fast_options())
        .delete_user(&user)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Unauthenticated, Some("SignatureDoesNotMatch"))
    );
    assert!(!err.message().contains("x-acs-signature-nonce"), "{err}");
    assert!(sim.has_user(&user));
}

#[tokio::test]
async fn a_v3_only_gateway_refuses_v2() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    sim.set_v3_only(true);
    let user = sim.add_user("");
    let err = client_v2(&sim).delete_user(&user).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Config, Some("UnsupportedSignatureVersion"))
    );
    assert!(
        err.message().contains("ALIBABA_CLOUD_SIGNATURE_VERSION"),
        "{err}"
    );
    assert_eq!(err.attempts(), 1);
    assert!(sim.has_user(&user));
    assert_eq!(sim.requests()[0].status, Some(400));

    client(&sim).delete_user(&user).await.unwrap();
    sim.set_v3_only(false);
    let other = sim.add_user("");
    client_v2(&sim).delete_user(&other).await.unwrap();
}
