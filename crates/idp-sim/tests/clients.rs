//! Each real client crate against its simulator, configured only through `sim.lookup()`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{fast, no_retry};
use futures_util::StreamExt;
use idp_core::{DeleteOutcome, ErrorKind, delete_many};
use idp_sim::{
    AaControlRoomSim, AlibabaCloudSsoSim, Blocker, CfAccessSim, OneLoginSim, RsaCasSim,
    RsaUserState, Sims,
};

#[tokio::test]
async fn cf_access_with_both_auth_schemes() {
    let sim = CfAccessSim::start().await.unwrap();
    let [a, b] = [
        sim.add_user("f174e90a-fafe-4643-bbbc-4a0ed4fc8415"),
        sim.add_user("0c6a1d3e-8b2f-4e7a-9d51-3f2b6c8e1a90"),
    ];
    let client = idp_cf_access::Client::new(
        idp_cf_access::Config::from_lookup(sim.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    let receipt = client.delete_user(&a).await.unwrap();
    assert_eq!(receipt.attempts, 1);
    assert!(receipt.request_id.unwrap().ends_with("-SIM"), "cf-ray");
    assert!(!sim.has_user(&a));

    let global = idp_cf_access::Client::new(
        idp_cf_access::Config::from_lookup(sim.lookup_global_key()).unwrap(),
        no_retry(),
    )
    .unwrap();
    global.delete_user(&b).await.unwrap();
    let err = global.delete_user(&b).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("1003"));

    let requests = sim.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].path,
        format!("/client/v4/accounts/{}/access/users/{a}", sim.account_id())
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {}", sim.api_token()).as_str())
    );
    assert_eq!(requests[1].header("x-auth-email"), Some(sim.email()));
    assert_eq!(requests[1].header("authorization"), None);
}

#[tokio::test]
async fn onelogin_v1_and_v2_and_token_expiry_mid_run() {
    let sim = OneLoginSim::start().await.unwrap();
    let ids = sim.add_users(3);
    let client = idp_onelogin::Client::new(
        idp_onelogin::Config::from_lookup(sim.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    client.delete_user(&ids[0]).await.unwrap();
    assert_eq!(sim.token_requests(), 1);
    let limit = client.rate_limit().unwrap();
    assert_eq!(limit.limit, Some(5000));

    sim.expire_tokens();
    // The client's cached token is now refused: it fetches a new one and resends once.
    let receipt = client.delete_user(&ids[1]).await.unwrap();
    assert_eq!(receipt.attempts, 2);
    assert_eq!(sim.token_requests(), 2);
    assert_eq!(sim.tokens_issued(), 2);
    assert!(!sim.has_user(&ids[1]));

    let err = client.delete_user("999").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let v2 = idp_onelogin::Client::new(
        idp_onelogin::Config::from_lookup(sim.lookup_v2()).unwrap(),
        no_retry(),
    )
    .unwrap();
    v2.delete_user(&ids[2]).await.unwrap();
    assert!(
        sim.requests()
            .last()
            .unwrap()
            .path
            .starts_with("/api/2/users/")
    );
    assert_eq!(
        v2.delete_user(&ids[2]).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn aa_controlroom_api_key_password_conflict_and_expiry() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let ids = sim.add_users(2);
    let busy = sim.add_user_in_use("busy-bot-owner");
    let client = idp_aa_controlroom::Client::new(
        idp_aa_controlroom::Config::from_lookup(sim.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    let record = client.delete_user_record(&ids[0]).await.unwrap().unwrap();
    assert_eq!(record.id.to_string(), ids[0]);
    assert!(record.username.is_some() && record.created_on.is_some());
    assert_eq!(sim.logins(), 1);

    let err = client.delete_user(&busy).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(sim.has_user(&busy));
    assert!(sim.set_user_in_use(&busy, false));

    sim.expire_tokens();
    let receipt = client.delete_user(&ids[1]).await.unwrap();
    assert_eq!(receipt.attempts, 2, "401, then a new login and a resend");
    assert_eq!(sim.logins(), 2);
    let delete = sim.requests().into_iter().rfind(|r| r.delete).unwrap();
    assert!(delete.header("x-authorization").is_some());
    assert_eq!(delete.header("authorization"), None);

    let by_password = idp_aa_controlroom::Client::new(
        idp_aa_controlroom::Config::from_lookup(sim.lookup_password()).unwrap(),
        no_retry(),
    )
    .unwrap();
    by_password.delete_user(&busy).await.unwrap();
    let login = sim
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/v1/authentication")
        .unwrap();
    assert!(login.body_text().contains("\"password\""));
    assert_eq!(
        by_password.delete_user(&busy).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn rsa_cas_key_file_states_and_not_found() {
    let sim = RsaCasSim::start().await.unwrap();
    let id = sim.add_user("eb2e12ae-1112-451b-98e1-dfe4e6afd60d");
    let enabled = sim.add_user_in_state("enabled-user", RsaUserState::Enabled);
    let pending = sim.add_user_in_state("pending-user", RsaUserState::PendingDeletion);
    let scim = sim.add_user_in_state("scim-user", RsaUserState::ScimManaged);
    let client = idp_rsa_cas::Client::new(
        idp_rsa_cas::Config::from_lookup(sim.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    client.delete_user(&id).await.unwrap();
    assert!(!sim.has_user(&id));
    let kind = |r: Result<idp_core::Receipt, idp_core::Error>| r.unwrap_err().kind();
    assert_eq!(kind(client.delete_user(&id).await), ErrorKind::NotFound);
    let err = client.delete_user(&enabled).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("User is in enabled state."), "{err}");
    assert_eq!(
        kind(client.delete_user(&pending).await),
        ErrorKind::Conflict
    );
    assert_eq!(kind(client.delete_user(&scim).await), ErrorKind::NotAllowed);
    assert_eq!(sim.user_count(), 3);

    sim.set_user_state(&enabled, RsaUserState::Disabled);
    client.delete_user(&enabled).await.unwrap();
    assert_eq!(
        sim.requests()[0].path,
        format!("/AdminInterface/restapi/v1/users/{id}")
    );
}

#[tokio::test]
async fn alibaba_cloudsso_blockers_and_sts() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let id = sim.add_user("u-00q8wbq42wiltcrk4mkb");
    let blocked = sim.add_user_with_blockers("u-blocked", &[Blocker::AccessAssignment]);
    let client = idp_alibaba_cloudsso::Client::new(
        idp_alibaba_cloudsso::Config::from_lookup(sim.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    let receipt = client.delete_user(&id).await.unwrap();
    assert!(receipt.request_id.is_some());
    let err = client.delete_user(&id).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::NotFound, Some("EntityNotExists.User"))
    );
    let err = client.delete_user(&blocked).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (
            ErrorKind::Conflict,
            Some("DeletionConflict.User.AccessAssigment")
        )
    );
    sim.clear_blockers(&blocked);
    client.delete_user(&blocked).await.unwrap();
    let first = &sim.requests()[0];
    assert_eq!((first.method.as_str(), first.path.as_str()), ("POST", "/"));
    assert_eq!(first.param("UserId").as_deref(), Some(id.as_str()));

    let sts = AlibabaCloudSsoSim::start_sts().await.unwrap();
    let user = sts.add_user("u-sts");
    let client = idp_alibaba_cloudsso::Client::new(
        idp_alibaba_cloudsso::Config::from_lookup(sts.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    client.delete_user(&user).await.unwrap();
    sts.expire_security_token();
    let other = sts.add_user("u-sts2");
    let err = client.delete_user(&other).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    let token = sts.security_token().unwrap();
    assert!(
        !err.to_string().contains(&token),
        "the client redacts: {err}"
    );
}

/// Two throttling answers, then success, for every vendor, in its own throttling shape.
#[tokio::test]
async fn every_vendor_retries_through_its_own_throttling() {
    let sims = Sims::start().await.unwrap();
    for sim in sims.all() {
        sim.inject_on_deletes(sim.throttle(0), 2);
    }
    let users: Vec<String> = sims.all().iter().map(|sim| sim.add_user("")).collect();
    let untouched: Vec<String> = sims.all().iter().map(|sim| sim.add_user("")).collect();
    let lookup = sims.lookup();
    let attempts = [
        idp_rsa_cas::Client::new(idp_rsa_cas::Config::from_lookup(&lookup).unwrap(), fast())
            .unwrap()
            .delete_user(&users[0])
            .await
            .unwrap()
            .attempts,
        idp_cf_access::Client::new(idp_cf_access::Config::from_lookup(&lookup).unwrap(), fast())
            .unwrap()
            .delete_user(&users[1])
            .await
            .unwrap()
            .attempts,
        idp_onelogin::Client::new(idp_onelogin::Config::from_lookup(&lookup).unwrap(), fast())
            .unwrap()
            .delete_user(&users[2])
            .await
            .unwrap()
            .attempts,
        idp_aa_controlroom::Client::new(
            idp_aa_controlroom::Config::from_lookup(&lookup).unwrap(),
            fast(),
        )
        .unwrap()
        .delete_user(&users[3])
        .await
        .unwrap()
        .attempts,
        idp_alibaba_cloudsso::Client::new(
            idp_alibaba_cloudsso::Config::from_lookup(&lookup).unwrap(),
            fast(),
        )
        .unwrap()
        .delete_user(&users[4])
        .await
        .unwrap()
        .attempts,
    ];
    assert_eq!(attempts, [3; 5]);
    for sim in sims.all() {
        assert_eq!(sim.deletes_received(), 3, "{}", sim.vendor());
        let statuses: Vec<Option<u16>> = sim
            .requests()
            .iter()
            .filter(|r| r.delete)
            .map(|r| r.status)
            .collect();
        let throttled = if sim.vendor() == "alibaba-cloudsso" {
            400
        } else {
            429
        };
        assert_eq!(statuses[..2], [Some(throttled); 2], "{}", sim.vendor());
    }
    for ((sim, deleted), kept) in sims.all().iter().zip(&users).zip(&untouched) {
        assert!(
            !deleted.is_empty() && !sim.has_user(deleted),
            "{}",
            sim.vendor()
        );
        assert!(sim.has_user(kept), "{}", sim.vendor());
    }
}

#[tokio::test]
async fn bulk_runs_at_concurrency_64() {
    let sim = CfAccessSim::start().await.unwrap();
    let ids = sim.add_users(1000);
    let client = idp_cf_access::Client::new(
        idp_cf_access::Config::from_lookup(sim.lookup()).unwrap(),
        fast(),
    )
    .unwrap();
    let reports: Vec<_> = delete_many(&client, ids.clone(), 64).collect().await;
    let deleted: HashSet<_> = reports
        .iter()
        .filter(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted)))
        .map(|r| r.user_id.clone())
        .collect();
    assert_eq!(deleted.len(), 1000);
    assert_eq!(sim.user_count(), 0);
    assert_eq!(sim.deletes_received(), 1000);

    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let ids = sim.add_users(500);
    let client = idp_alibaba_cloudsso::Client::new(
        idp_alibaba_cloudsso::Config::from_lookup(sim.lookup()).unwrap(),
        fast(),
    )
    .unwrap();
    let reports: Vec<_> = delete_many(&client, ids, 64).collect().await;
    assert!(reports.iter().all(|r| r.outcome.is_ok()));
    assert_eq!(sim.user_count(), 0);
    let nonces: HashSet<_> = sim
        .requests()
        .iter()
        .map(|r| r.header("x-acs-signature-nonce").unwrap().to_owned())
        .collect();
    assert_eq!(nonces.len(), 500);
}

/// A fraction of deletes throttled with `Retry-After: 1`: every user deleted once, and the
/// shared back-off gate keeps every request out of the announced windows.
#[tokio::test]
async fn throttled_fraction_honours_the_window() {
    let sim = OneLoginSim::start().await.unwrap();
    let ids = sim.add_users(300);
    sim.inject_every(100, sim.throttle(1), 2);
    let client = idp_onelogin::Client::new(
        idp_onelogin::Config::from_lookup(sim.lookup()).unwrap(),
        fast(),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let reports: Vec<_> = delete_many(&client, ids, 64).collect().await;
    assert!(
        reports
            .iter()
            .all(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted)))
    );
    assert_eq!(sim.user_count(), 0);
    assert_eq!(sim.deletes_received(), 302, "300 deletes and 2 retries");
    assert_eq!(sim.throttle_windows().len(), 2);
    assert_eq!(sim.requests_inside_throttle_window(), 0);
    assert!(started.elapsed() >= Duration::from_secs(1));
}
