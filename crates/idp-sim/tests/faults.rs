//! Faults on command, seen through the real clients and through plain HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use common::{fast, http, no_retry, send};
use idp_core::{DeleteOutcome, ErrorKind};
use idp_sim::{AlibabaCloudSsoSim, CfAccessSim, Fault, OneLoginSim, SimError, Sims};

fn cf_client(sim: &CfAccessSim, options: idp_core::TransportOptions) -> idp_cf_access::Client {
    idp_cf_access::Client::new(
        idp_cf_access::Config::from_lookup(sim.lookup()).unwrap(),
        options,
    )
    .unwrap()
}

#[tokio::test]
async fn dropped_connections() {
    let sim = CfAccessSim::start().await.unwrap();
    let ids = sim.add_users(3);

    sim.inject_on_deletes(Fault::Drop, 1);
    let err = cf_client(&sim, no_retry())
        .delete_user(&ids[0])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(
        sim.has_user(&ids[0]),
        "a plain drop does not handle the request"
    );
    assert_eq!(sim.requests()[0].status, None);
    assert_eq!(sim.requests()[0].fault, Some(Fault::Drop));

    sim.inject_on_deletes(Fault::Drop, 1);
    let receipt = cf_client(&sim, fast()).delete_user(&ids[0]).await.unwrap();
    assert_eq!(receipt.attempts, 2);

    // Deleted, but the answer never arrives: the retry finds the user gone.
    sim.inject_on_deletes(Fault::DropAfterHandling, 1);
    let result = cf_client(&sim, fast()).delete_user(&ids[1]).await;
    assert!(!sim.has_user(&ids[1]));
    let err = result.unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (ErrorKind::NotFound, 2));
    assert_eq!(
        DeleteOutcome::from_result(Err(err)).unwrap(),
        DeleteOutcome::Absent
    );
}

#[tokio::test]
async fn truncated_html_and_status_faults() {
    let sim = CfAccessSim::start().await.unwrap();
    let id = sim.add_user("");
    let client = cf_client(&sim, no_retry());

    sim.inject_on_deletes(Fault::Truncated { status: 200 }, 1);
    let err = client.delete_user(&id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(
        err.status(),
        Some(200),
        "the headers arrived, the body broke: {err}"
    );

    sim.inject_on_deletes(Fault::Html { status: 502 }, 1);
    let err = client.delete_user(&id).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Server, Some(502)));
    assert!(err.message().contains("text/html"), "{err}");
    assert!(err.request_id().is_some(), "cf-ray on fault answers too");

    sim.inject_on_deletes(
        Fault::status(
            500,
            r#"{"success":false,"errors":[{"code":10001,"message":"boom"}]}"#,
        ),
        1,
    );
    let err = client.delete_user(&id).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Server, Some("10001")));
    assert!(sim.has_user(&id));

    sim.inject_on_deletes(Fault::Html { status: 503 }, 2);
    let receipt = cf_client(&sim, fast()).delete_user(&id).await.unwrap();
    assert_eq!(receipt.attempts, 3);
    assert!(sim.faults_exhausted());

    // What arrives on the wire: a full Content-Length and half the body, then a close.
    sim.inject(Fault::Truncated { status: 200 }, 1);
    let response = http()
        .delete(format!("{}/anything", sim.base_url()))
        .send()
        .await
        .unwrap();
    let announced: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 0);
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn redirects_are_answered_and_never_followed() {
    let sim = CfAccessSim::start().await.unwrap();
    // A second listener on another loopback address stands for "another host".
    let elsewhere = CfAccessSim::start_on("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    let id = sim.add_user("");
    let location = format!("{}/accounts/x/access/users/{id}", elsewhere.base_url());
    sim.inject_on_deletes(
        Fault::Redirect {
            location: location.clone(),
        },
        1,
    );
    let err = cf_client(&sim, fast()).delete_user(&id).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Protocol, Some(302)));
    assert!(elsewhere.requests().is_empty());
    assert!(sim.has_user(&id));

    sim.inject(
        Fault::Redirect {
            location: location.clone(),
        },
        1,
    );
    let reply = send(http().get(sim.base_url())).await;
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some(location.as_str()));
}

#[tokio::test]
async fn slow_answers_past_the_timeout() {
    let sim = CfAccessSim::start().await.unwrap();
    let id = sim.add_user("");
    sim.inject_on_deletes(Fault::Delay(Duration::from_millis(400)), 1);
    let client = cf_client(
        &sim,
        no_retry().with_attempt_timeout(Duration::from_millis(100)),
    );
    let err = client.delete_user(&id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    // The slow server still did the work, as a real one would.
    for _ in 0..50 {
        if !sim.has_user(&id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!sim.has_user(&id));
}

#[tokio::test]
async fn inject_reaches_token_requests_and_inject_on_deletes_does_not() {
    let sim = OneLoginSim::start().await.unwrap();
    let ids = sim.add_users(2);
    let client = idp_onelogin::Client::new(
        idp_onelogin::Config::from_lookup(sim.lookup()).unwrap(),
        fast(),
    )
    .unwrap();
    sim.inject(Fault::Html { status: 503 }, 1);
    client.delete_user(&ids[0]).await.unwrap();
    assert_eq!(sim.token_requests(), 2, "the token request got the 503");
    assert_eq!(sim.deletes_received(), 1);

    sim.expire_tokens();
    sim.inject_on_deletes(Fault::Html { status: 503 }, 1);
    client.delete_user(&ids[1]).await.unwrap();
    let statuses: Vec<(bool, Option<u16>)> = sim
        .requests()
        .iter()
        .skip(3)
        .map(|r| (r.delete, r.status))
        .collect();
    // 503 to the delete, then 401 (expired token), a new token, and the resend.
    assert_eq!(
        statuses,
        vec![
            (true, Some(503)),
            (true, Some(401)),
            (false, Some(200)),
            (true, Some(200))
        ]
    );
}

#[tokio::test]
async fn large_bodies_are_streamed() {
    let sim = CfAccessSim::start().await.unwrap();
    sim.inject(
        Fault::LargeBody {
            status: 500,
            bytes: 3_000_000,
        },
        1,
    );
    let response = http().get(sim.base_url()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 500);
    assert_eq!(response.headers()["content-length"], "3000000");
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), 3_000_000);
    assert!(body.starts_with(br#"{"message":""#));

    let id = sim.add_user("");
    sim.inject_on_deletes(
        Fault::LargeBody {
            status: 500,
            bytes: 50_000_000,
        },
        1,
    );
    let err = cf_client(&sim, no_retry())
        .delete_user(&id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
}

#[tokio::test]
async fn throttle_windows_are_counted_and_can_be_enforced() {
    let sim = CfAccessSim::start().await.unwrap();
    sim.set_throttle_grace(Duration::ZERO);
    sim.inject(sim.throttle(3), 1);
    let client = http();
    let url = format!("{}/accounts/x/access/users/y", sim.base_url());
    let first = send(client.delete(&url)).await;
    assert_eq!(
        (first.status, first.header("retry-after")),
        (429, Some("3"))
    );
    assert_eq!(first.json["errors"][0]["code"], 971);
    assert_eq!(sim.requests_inside_throttle_window(), 0);

    let rude = send(client.delete(&url)).await;
    assert_eq!(rude.status, 400, "answered normally unless enforced");
    assert_eq!(sim.requests_inside_throttle_window(), 1);

    sim.enforce_throttle_windows(true);
    let blocked = send(client.delete(&url)).await;
    assert_eq!(blocked.status, 429);
    let wait: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3).contains(&wait));
    assert_eq!(sim.requests_inside_throttle_window(), 2);
    assert_eq!(sim.requests()[0].retry_after, Some(Duration::from_secs(3)));
}

#[tokio::test]
async fn hostile_ids_arrive_as_one_encoded_segment() {
    // Cloudflare's ids are UUIDs: the simulator hands one out instead of a hostile id, the
    // client refuses to send the hostile one, and a hand-made request with it as one
    // encoded segment reaches no user.
    let sim = CfAccessSim::start().await.unwrap();
    let hostile = "a/b?c#d%e";
    let id = sim.add_user(hostile);
    assert_ne!(id, hostile);
    assert!(!sim.has_user(hostile));
    let err = cf_client(&sim, no_retry())
        .delete_user(hostile)
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (ErrorKind::InvalidInput, 0));
    assert!(sim.requests().is_empty());
    let url = format!(
        "{}/accounts/{}/access/users/a%2Fb%3Fc%23d%25e",
        sim.base_url(),
        sim.account_id()
    );
    let reply = send(http().delete(&url).bearer_auth(sim.api_token())).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["errors"][0]["code"], 7003);
    assert!(
        sim.requests()[0]
            .path
            .ends_with("/access/users/a%2Fb%3Fc%23d%25e")
    );
    assert_eq!(sim.user_count(), 1);
}

/// CloudSSO ids are checked before anything is sent, so the hostile text travels as a query
/// value: one parameter, signed, never a second `Action`.
#[tokio::test]
async fn hostile_values_arrive_as_one_cloudsso_parameter() {
    let sim = AlibabaCloudSsoSim::start().await.unwrap();
    let hostile = "a&Action=DeleteUser+é%41=@example.com";
    let client = idp_alibaba_cloudsso::Client::new(
        idp_alibaba_cloudsso::Config::from_lookup(sim.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    let query = idp_core::UserQuery::email(hostile).unwrap();
    assert!(client.find_users(&query).await.unwrap().is_empty());
    let request = &sim.requests()[0];
    assert_eq!(
        request.param("Filter"),
        Some(format!("UserName eq {hostile}"))
    );
    assert_eq!(request.param("Action"), None);
    assert_eq!(request.header("x-acs-action"), Some("ListUsers"));
    assert_eq!(sim.calls("DeleteUser"), 0);
}

#[tokio::test]
async fn all_five_start_and_stop() {
    let sims = Sims::start().await.unwrap();
    let addrs: HashSet<SocketAddr> = sims
        .all()
        .iter()
        .map(|s| s.base_url())
        .map(|u| {
            let rest = u.strip_prefix("http://").unwrap();
            rest.split('/').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(addrs.len(), 5);
    let env = sims.env();
    let names: HashSet<&str> = env.iter().map(|(k, _)| *k).collect();
    assert_eq!(names.len(), env.len(), "no variable is set twice");
    let lookup = sims.lookup();
    assert_eq!(
        lookup("CLOUDFLARE_ACCOUNT_ID").as_deref(),
        Some(sims.cf_access.account_id())
    );
    assert!(lookup("RSA_CAS_KEY_FILE").is_some());
    let vendors: Vec<&str> = sims.all().iter().map(|s| s.vendor()).collect();
    assert_eq!(
        vendors,
        [
            "rsa-cas",
            "cf-access",
            "onelogin",
            "aa-controlroom",
            "alibaba-cloudsso"
        ]
    );

    let shown = format!("{sims:?}");
    assert!(shown.contains(&sims.cf_access.base_url()), "{shown}");
    assert!(!shown.contains(sims.cf_access.api_token()));
    assert!(!shown.contains("PRIVATE KEY"));
    assert_eq!(sims.onelogin.logins(), 0);
    assert_eq!(sims.aa_controlroom.token_requests(), 0);

    let cf = sims.cf_access.addr();
    drop(sims);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(cf).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "dropping the simulators stops their servers");
}

#[tokio::test]
async fn start_on_a_given_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = CfAccessSim::start_on(addr).await.unwrap_err();
    assert!(matches!(err, SimError::Bind { .. }), "{err}");
    assert!(err.to_string().contains(&addr.to_string()));
    drop(taken);
    let sim = OneLoginSim::start_on(addr).await.unwrap();
    assert_eq!(sim.addr(), addr);
    assert_eq!(sim.base_url(), format!("http://{addr}"));
}
