//! The simulators refuse what a sloppy client sends: hand-made requests over loopback HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Reply, alibaba_params, alibaba_timestamp, form, http, now_secs, onelogin_token, send, sign_jwt,
};
use idp_sim::{
    AaControlRoomSim, AlibabaCloudSsoSim, Blocker, CfAccessSim, OneLoginSim, RsaCasSim,
    RsaUserState,
};
use serde_json::{Value, json};

fn cf_codes(reply: &Reply) -> Vec<i64> {
    let mut codes = Vec::new();
    for error in reply.json["errors"].as_array().cloned().unwrap_or_default() {
        codes.extend(error["code"].as_i64());
        for inner in error["error_chain"].as_array().cloned().unwrap_or_default() {
            codes.extend(inner["code"].as_i64());
        }
    }
    codes
}

#[tokio::test]
async fn cf_access_refuses_bad_auth_and_wrong_accounts() {
    let sim = CfAccessSim::start().await.unwrap();
    let user = sim.add_user("f174e90a-fafe-4643-bbbc-4a0ed4fc8415");
    let url = |account: &str, user: &str| {
        format!("{}/accounts/{account}/access/users/{user}", sim.base_url())
    };
    let ours = url(sim.account_id(), &user);
    let client = http();

    let missing = send(client.delete(&ours)).await;
    assert_eq!(missing.status, 400);
    assert_eq!(cf_codes(&missing), vec![6003, 9106, 9107]);
    assert_eq!(missing.json["success"], json!(false));
    assert!(missing.json["messages"].is_array());
    assert!(missing.header("cf-ray").is_some());

    let lower = send(
        client
            .delete(&ours)
            .header("authorization", format!("bearer {}", sim.api_token())),
    )
    .await;
    assert_eq!((lower.status, cf_codes(&lower)), (400, vec![6003, 6111]));

    let wrong = send(client.delete(&ours).bearer_auth("not-the-token")).await;
    assert_eq!((wrong.status, cf_codes(&wrong)), (403, vec![10000]));

    let only_email = send(client.delete(&ours).header("x-auth-email", sim.email())).await;
    assert_eq!(cf_codes(&only_email), vec![6003, 9107]);
    let wrong_key = send(
        client
            .delete(&ours)
            .header("x-auth-email", sim.email())
            .header("x-auth-key", "0123456789abcdef0123456789abcdef01234"),
    )
    .await;
    assert_eq!((wrong_key.status, cf_codes(&wrong_key)), (403, vec![9103]));

    let other_account = send(
        client
            .delete(url(&"a".repeat(32), &user))
            .bearer_auth(sim.api_token()),
    )
    .await;
    assert_eq!(
        (other_account.status, cf_codes(&other_account)),
        (403, vec![10000])
    );
    let malformed = send(
        client
            .delete(url("not-an-account", &user))
            .bearer_auth(sim.api_token()),
    )
    .await;
    assert_eq!((malformed.status, cf_codes(&malformed)), (400, vec![7003]));

    let extra_segment = send(
        client
            .delete(format!("{ours}/extra"))
            .bearer_auth(sim.api_token()),
    )
    .await;
    assert_eq!(
        (extra_segment.status, cf_codes(&extra_segment)),
        (400, vec![7000])
    );
    assert!(sim.has_user(&user), "nothing above may delete");

    let ok = send(
        client
            .delete(&ours)
            .header("x-auth-email", sim.email())
            .header("x-auth-key", sim.api_key()),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        ok.json,
        json!({"success": true, "errors": [], "messages": [], "result": {}})
    );
    assert!(!sim.has_user(&user));

    let again = send(client.delete(&ours).bearer_auth(sim.api_token())).await;
    assert_eq!((again.status, cf_codes(&again)), (404, vec![1003]));
    assert_eq!(sim.deletes_received(), 9);
    assert!(sim.requests().iter().all(|r| r.status.is_some()));
}

#[tokio::test]
async fn onelogin_token_endpoint_is_strict() {
    let sim = OneLoginSim::start().await.unwrap();
    let token_url = format!("{}/auth/oauth2/v2/token", sim.base_url());
    let client = http();
    let grant = r#"{"grant_type":"client_credentials"}"#;

    let no_auth = send(
        client
            .post(&token_url)
            .header("content-type", "application/json")
            .body(grant),
    )
    .await;
    assert_eq!(no_auth.status, 401);
    assert_eq!(no_auth.json["status"]["message"], "Authentication Failure");

    let wrong_secret = send(
        client
            .post(&token_url)
            .basic_auth(sim.client_id(), Some("wrong"))
            .header("content-type", "application/json")
            .body(grant),
    )
    .await;
    assert_eq!(wrong_secret.status, 401);

    let wrong_grant = send(
        client
            .post(&token_url)
            .basic_auth(sim.client_id(), Some(sim.client_secret()))
            .header("content-type", "application/json")
            .body(r#"{"grant_type":"password"}"#),
    )
    .await;
    assert_eq!(wrong_grant.status, 400);
    assert_eq!(
        wrong_grant.json["status"]["message"],
        "grant_type is incorrect/absent"
    );

    let form = send(
        client
            .post(&token_url)
            .basic_auth(sim.client_id(), Some(sim.client_secret()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(form.status, 400);

    let ok = send(
        client
            .post(&token_url)
            .basic_auth(sim.client_id(), Some(sim.client_secret()))
            .header("content-type", "application/json")
            .body(grant),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    for field in [
        "access_token",
        "created_at",
        "expires_in",
        "refresh_token",
        "token_type",
        "account_id",
    ] {
        assert!(!ok.json[field].is_null(), "{field} missing: {}", ok.text);
    }
    assert_eq!(ok.json["expires_in"], 36000);
    assert_eq!(ok.json["token_type"], "bearer");
    let again = send(
        client
            .post(&token_url)
            .basic_auth(sim.client_id(), Some(sim.client_secret()))
            .header("content-type", "application/json")
            .body(grant),
    )
    .await;
    assert_eq!(
        again.json["access_token"], ok.json["access_token"],
        "the same token until it expires"
    );
    assert_eq!(sim.token_requests(), 6);
    assert_eq!(sim.tokens_issued(), 1);
}

#[tokio::test]
async fn onelogin_deletes_need_bearer_colon_integer_ids_and_live_tokens() {
    let sim = OneLoginSim::start().await.unwrap();
    let id = sim.add_user("");
    let token = onelogin_token(&sim).await;
    let v1 = |id: &str| format!("{}/api/1/users/{id}", sim.base_url());
    let client = http();

    let standard_bearer = send(client.delete(v1(&id)).bearer_auth(&token)).await;
    assert_eq!(standard_bearer.status, 400);
    assert_eq!(
        standard_bearer.json["status"]["message"],
        "Authorization Information is incorrect"
    );
    let missing = send(client.delete(v1(&id))).await;
    assert_eq!(missing.status, 400);

    let bearer = format!("bearer:{token}");
    let not_int = send(client.delete(v1("abc")).header("authorization", &bearer)).await;
    assert_eq!(not_int.status, 400);
    assert_eq!(
        not_int.json["status"]["message"],
        json!({"attribute": "id", "description": "ID is incorrect"})
    );
    let unknown = send(client.delete(v1("222222")).header("authorization", &bearer)).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json["status"]["message"],
        "User for id 222222 was not found"
    );
    assert!(sim.has_user(&id));

    let ok = send(client.delete(v1(&id)).header("authorization", &bearer)).await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.json,
        json!({"status": {"error": false, "code": 200, "type": "success", "message": "Success"}})
    );
    assert_eq!(ok.header("x-ratelimit-limit"), Some("5000"));
    let remaining: u64 = ok.header("x-ratelimit-remaining").unwrap().parse().unwrap();
    assert!(remaining < 5000);
    assert!(ok.header("x-ratelimit-reset").is_some());

    // v2: the standard scheme is accepted, success is an empty 204.
    let id2 = sim.add_user("");
    let v2 = send(
        client
            .delete(format!("{}/api/2/users/{id2}", sim.base_url()))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!((v2.status, v2.text.as_str()), (204, ""));

    sim.expire_tokens();
    let id3 = sim.add_user("");
    let expired = send(client.delete(v1(&id3)).header("authorization", &bearer)).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.json["status"]["message"], "Authentication Failure");
    assert!(sim.has_user(&id3));
}

#[tokio::test]
async fn aa_controlroom_logins_and_x_authorization() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let base = sim.base_url();
    let client = http();
    let login = |body: Value| {
        client
            .post(format!("{base}/v1/authentication"))
            .header("content-type", "application/json")
            .body(body.to_string())
    };

    let wrong = send(login(
        json!({"username": sim.username(), "password": "nope"}),
    ))
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.json["code"].is_string() && wrong.json.get("details").is_some());
    let neither = send(login(json!({"username": sim.username()}))).await;
    assert_eq!(neither.status, 400);
    let text = send(
        client
            .post(format!("{base}/v1/authentication"))
            .header("content-type", "text/plain")
            .body(json!({"username": sim.username(), "apiKey": sim.api_key()}).to_string()),
    )
    .await;
    assert_eq!(text.status, 415);

    let by_key = send(login(
        json!({"username": sim.username(), "apiKey": sim.api_key()}),
    ))
    .await;
    assert_eq!(by_key.status, 200);
    let key_token = by_key.json["token"].as_str().unwrap().to_owned();
    assert!(by_key.json["user"].is_object());
    let by_password = send(login(
        json!({"username": sim.username(), "password": sim.password()}),
    ))
    .await;
    let first_password_token = by_password.json["token"].as_str().unwrap().to_owned();
    // v2 login works too, and a new password login ends the first password session.
    let second = send(
        client
            .post(format!("{base}/v2/authentication"))
            .header("content-type", "application/json")
            .body(json!({"username": sim.username(), "password": sim.password()}).to_string()),
    )
    .await;
    assert_eq!(second.status, 200);
    assert_eq!(sim.logins(), 6);

    let id = sim.add_user("15");
    assert_eq!(id, "15");
    let url = format!("{base}/v1/usermanagement/users/{id}");
    let standard = send(client.delete(&url).bearer_auth(&key_token)).await;
    assert_eq!(standard.status, 401);
    assert_eq!(
        standard.json,
        json!({"code": "UM1117", "details": null, "message": "Access token expected in the 'X-Authorization' header"})
    );
    let stale = send(
        client
            .delete(&url)
            .header("x-authorization", &first_password_token),
    )
    .await;
    assert_eq!(stale.status, 401, "the second password login ended it");
    let not_int = send(
        client
            .delete(format!("{base}/v1/usermanagement/users/x1"))
            .header("x-authorization", &key_token),
    )
    .await;
    assert_eq!(not_int.status, 400);

    let busy = sim.add_user_in_use("bob");
    let conflict = send(
        client
            .delete(format!("{base}/v1/usermanagement/users/{busy}"))
            .header("x-authorization", &key_token),
    )
    .await;
    assert_eq!(conflict.status, 409);
    assert!(sim.has_user(&busy));

    let ok = send(client.delete(&url).header("x-authorization", &key_token)).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["id"], 15);
    assert_eq!(ok.json["principalId"], 15);
    assert!(ok.json["roles"].is_array() && ok.json["createdOn"].is_string());
    let gone = send(client.delete(&url).header("x-authorization", &key_token)).await;
    assert_eq!(gone.status, 404);

    sim.expire_tokens();
    let other = sim.add_user("");
    let expired = send(
        client
            .delete(format!("{base}/v1/usermanagement/users/{other}"))
            .header("x-authorization", &key_token),
    )
    .await;
    assert_eq!(expired.status, 401);
}

#[tokio::test]
async fn rsa_cas_verifies_the_jwt() {
    let sim = RsaCasSim::start().await.unwrap();
    let key = sim.key_file_json().to_owned();
    let key_json: Value = serde_json::from_str(&key).unwrap();
    assert_eq!(key_json["adminRestApiUrl"], sim.base_url());
    assert!(sim.base_url().ends_with("/AdminInterface/restapi"));
    assert!(
        key_json["accessKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    assert_eq!(key_json["accessID"], sim.access_id());
    assert!(sim.key_file_path().exists());

    let now = now_secs();
    let header = json!({"typ": "JWT", "alg": "RS256"});
    let good_claims =
        json!({"sub": sim.access_id(), "aud": sim.base_url(), "iat": now, "exp": now + 3000});
    let id = sim.add_user("eb2e12ae-1112-451b-98e1-dfe4e6afd60d");
    let url = format!("{}/v1/users/{id}", sim.base_url());
    let client = http();
    let with = |jwt: String| client.delete(&url).bearer_auth(jwt);

    let no_auth = send(client.delete(&url)).await;
    assert_eq!(no_auth.status, 403);

    let cases: Vec<(&str, String)> = vec![
        (
            "aud",
            sign_jwt(
                &key,
                &header,
                &json!({"sub": sim.access_id(), "aud": format!("{}/v1", sim.base_url()), "iat": now, "exp": now + 3000}),
            ),
        ),
        (
            "expired",
            sign_jwt(
                &key,
                &header,
                &json!({"sub": sim.access_id(), "aud": sim.base_url(), "iat": now - 4000, "exp": now - 1000}),
            ),
        ),
        (
            "sub",
            sign_jwt(
                &key,
                &header,
                &json!({"sub": "someone-else", "aud": sim.base_url(), "iat": now, "exp": now + 3000}),
            ),
        ),
        (
            "lifetime",
            sign_jwt(
                &key,
                &header,
                &json!({"sub": sim.access_id(), "aud": sim.base_url(), "iat": now, "exp": now + 7200}),
            ),
        ),
        (
            "integers",
            sign_jwt(
                &key,
                &header,
                &json!({"sub": sim.access_id(), "aud": sim.base_url(), "iat": now.to_string(), "exp": now + 3000}),
            ),
        ),
        (
            "RS256",
            sign_jwt(&key, &json!({"typ": "JWT", "alg": "HS256"}), &good_claims),
        ),
        ("signature", {
            // A valid token whose payload is swapped for another one.
            let good = sign_jwt(&key, &header, &good_claims);
            let parts: Vec<&str> = good.split('.').collect();
            let other = sign_jwt(
                &key,
                &header,
                &json!({"sub": sim.access_id(), "aud": sim.base_url(), "iat": now, "exp": now + 3500}),
            );
            let other_claims = other.split('.').nth(1).unwrap().to_owned();
            format!("{}.{other_claims}.{}", parts[0], parts[2])
        }),
    ];
    for (what, jwt) in cases {
        let reply = send(with(jwt)).await;
        assert_eq!(reply.status, 403, "{what}: {}", reply.text);
        assert!(
            reply.json["message"].as_str().unwrap().contains(what),
            "{what}: {}",
            reply.text
        );
    }
    assert!(sim.has_user(&id));

    let lower = send(client.delete(&url).header(
        "authorization",
        format!("bearer {}", sign_jwt(&key, &header, &good_claims)),
    ))
    .await;
    assert_eq!(lower.status, 403);

    let good = sign_jwt(&key, &header, &good_claims);
    for (state, status, text) in [
        (RsaUserState::Enabled, 409, "User is in enabled state."),
        (
            RsaUserState::PendingDeletion,
            409,
            "User is in pending deletion state.",
        ),
        (RsaUserState::ScimManaged, 405, "SCIM"),
    ] {
        let other = sim.add_user_in_state(&format!("{state:?}"), state);
        let reply = send(
            client
                .delete(format!("{}/v1/users/{other}", sim.base_url()))
                .bearer_auth(&good),
        )
        .await;
        assert_eq!(reply.status, status, "{state:?}");
        assert!(reply.json["description"].as_str().unwrap().contains(text));
        assert_eq!(sim.user_state(&other), Some(state));
    }
    let ok = send(with(good.clone())).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(!sim.has_user(&id));
    let gone = send(with(good)).await;
    assert_eq!(gone.status, 404);

    let path = sim.key_file_path().to_owned();
    drop(sim);
    assert!(!path.exists(), "the key file goes with the simulator");
}

fn alibaba_code(reply: &Reply) -> &str {
    reply.json["Code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn alibaba_cloudsso_verifies_signatures_nonces_and_timestamps() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let user = sim.add_user("u-00q8wbq42wiltcrk4mkb");
    let client = http();
    let post = |params: &[(String, String)]| {
        client
            .post(format!("{}/", sim.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(params))
    };
    let params = |nonce: &str, timestamp: &str, user: &str| {
        alibaba_params(
            "POST",
            sim.access_key_id(),
            sim.access_key_secret(),
            sim.directory_id(),
            user,
            nonce,
            timestamp,
            None,
        )
    };
    let now = alibaba_timestamp(0);

    let mut tampered = params("n-1", &now, &user);
    tampered.iter_mut().find(|(k, _)| k == "UserId").unwrap().1 = "u-other".into();
    let reply = send(post(&tampered)).await;
    assert_eq!(
        (reply.status, alibaba_code(&reply)),
        (400, "SignatureDoesNotMatch")
    );
    assert!(
        reply.json["Message"]
            .as_str()
            .unwrap()
            .contains("POST&%2F&")
    );
    for field in ["RequestId", "HostId", "Recommend"] {
        assert!(reply.json[field].is_string(), "{field}: {}", reply.text);
    }
    assert!(reply.header("x-acs-request-id").is_some());

    let wrong_secret = alibaba_params(
        "POST",
        sim.access_key_id(),
        "not-the-secret",
        sim.directory_id(),
        &user,
        "n-2",
        &now,
        None,
    );
    let reply = send(post(&wrong_secret)).await;
    assert_eq!(alibaba_code(&reply), "SignatureDoesNotMatch");

    let get_signature_on_post = alibaba_params(
        "GET",
        sim.access_key_id(),
        sim.access_key_secret(),
        sim.directory_id(),
        &user,
        "n-3",
        &now,
        None,
    );
    let reply = send(post(&get_signature_on_post)).await;
    assert_eq!(alibaba_code(&reply), "SignatureDoesNotMatch");

    let stale = params("n-4", &alibaba_timestamp(-20 * 60), &user);
    let reply = send(post(&stale)).await;
    assert_eq!(
        (reply.status, alibaba_code(&reply)),
        (400, "InvalidTimeStamp.Expired")
    );

    let mut no_nonce = params("n-5", &now, &user);
    no_nonce.retain(|(k, _)| k != "SignatureNonce");
    let reply = send(post(&no_nonce)).await;
    assert_eq!(alibaba_code(&reply), "MissingParameter");
    assert!(reply.text.contains("SignatureNonce"));

    let unknown_key = alibaba_params(
        "POST",
        "LTAI-unknown",
        sim.access_key_secret(),
        sim.directory_id(),
        &user,
        "n-6",
        &now,
        None,
    );
    let reply = send(post(&unknown_key)).await;
    assert_eq!(
        (reply.status, alibaba_code(&reply)),
        (404, "InvalidAccessKeyId.NotFound")
    );

    let wrong_directory = alibaba_params(
        "POST",
        sim.access_key_id(),
        sim.access_key_secret(),
        "d-notours",
        &user,
        "n-7",
        &now,
        None,
    );
    let reply = send(post(&wrong_directory)).await;
    assert_eq!(
        (reply.status, alibaba_code(&reply)),
        (404, "EntityNotExists.Directory")
    );
    assert!(sim.has_user(&user));

    // The client crate's signer, the simulator's verifier: they agree.
    let good = params("n-8", &now, &user);
    let reply = send(post(&good)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json["RequestId"].is_string());
    assert!(!sim.has_user(&user));
    let replay = send(post(&good)).await;
    assert_eq!(
        (replay.status, alibaba_code(&replay)),
        (400, "SignatureNonceUsed")
    );

    let unknown_user = params("n-9", &now, "u-nobody");
    let reply = send(post(&unknown_user)).await;
    assert_eq!(
        (reply.status, alibaba_code(&reply)),
        (404, "EntityNotExists.User")
    );

    for (blocker, code) in [
        (
            Blocker::AccessAssignment,
            "DeletionConflict.User.AccessAssigment",
        ),
        (Blocker::Group, "DeletionConflict.User.Group"),
        (Blocker::MfaDevice, "DeletionConflict.User.MFADevice"),
    ] {
        let id = sim.add_user_with_blockers(&format!("u-{blocker:?}"), &[blocker]);
        let reply = send(post(&params(&format!("n-{code}"), &now, &id))).await;
        assert_eq!((reply.status, alibaba_code(&reply)), (409, code));
        assert!(sim.has_user(&id));
    }

    // GET with every parameter in the query is accepted too.
    let other = sim.add_user("u-by-get");
    let by_get = alibaba_params(
        "GET",
        sim.access_key_id(),
        sim.access_key_secret(),
        sim.directory_id(),
        &other,
        "n-10",
        &now,
        None,
    );
    let reply = send(client.get(format!("{}/?{}", sim.base_url(), form(&by_get)))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // A parameter given twice is refused.
    let mut twice = params("n-11", &now, "u-x");
    twice.push(("UserId".into(), "u-y".into()));
    let reply = send(post(&twice)).await;
    assert_eq!(alibaba_code(&reply), "InvalidParameter");
}

#[tokio::test]
async fn alibaba_cloudsso_sts_needs_the_security_token() {
    let sim = AlibabaCloudSsoSim::start_sts().await.unwrap();
    let token = sim.security_token().unwrap();
    assert!(sim.access_key_id().starts_with("STS."));
    assert!(
        sim.env()
            .iter()
            .any(|(k, v)| *k == "ALIBABA_CLOUD_SECURITY_TOKEN" && *v == token)
    );
    let user = sim.add_user("u-sts");
    let client = http();
    let now = alibaba_timestamp(0);
    let post = |params: &[(String, String)]| {
        client
            .post(format!("{}/", sim.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(params))
    };
    let signed = |nonce: &str, token: Option<&str>| {
        alibaba_params(
            "POST",
            sim.access_key_id(),
            sim.access_key_secret(),
            sim.directory_id(),
            &user,
            nonce,
            &now,
            token,
        )
    };
    let reply = send(post(&signed("s-1", None))).await;
    assert_eq!(alibaba_code(&reply), "MissingSecurityToken");
    let reply = send(post(&signed("s-2", Some("CAISwrong")))).await;
    assert_eq!(
        alibaba_code(&reply),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
    // The server echoes its string to sign, token included, as Alibaba's does.
    let reply = send(post(&{
        let mut p = signed("s-3", Some(&token));
        p.iter_mut().find(|(k, _)| k == "UserId").unwrap().1 = "u-tampered".into();
        p
    }))
    .await;
    assert_eq!(alibaba_code(&reply), "SignatureDoesNotMatch");

    let reply = send(post(&signed("s-4", Some(&token)))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    sim.expire_security_token();
    let again = sim.add_user("u-sts");
    let reply = send(post(&signed("s-5", Some(&token)))).await;
    assert_eq!(alibaba_code(&reply), "InvalidSecurityToken.Expired");
    assert!(sim.has_user(&again));
}
