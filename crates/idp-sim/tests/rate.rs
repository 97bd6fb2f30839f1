//! Rate policies over loopback: Cloudflare's block after the budget, OneLogin's fixed
//! windows and their headers, with time compressed so that each runs in a few seconds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Reply, http, no_retry, send};
use idp_core::ErrorKind;
use idp_sim::{CfAccessSim, OneLoginSim, RatePolicy, Simulator};

fn retry_after(reply: &Reply) -> u64 {
    reply.header("retry-after").unwrap().parse().unwrap()
}

#[tokio::test]
async fn cloudflare_blocks_for_a_full_window_after_the_budget_then_unblocks() {
    let sim = CfAccessSim::start().await.unwrap();
    // Cloudflare's policy 150 times faster (a 2 s window and block), with a budget of 10.
    sim.set_rate_policy(RatePolicy::cloudflare().with_limit(10).faster(150));
    let ids = sim.add_users(12);
    let client = http();
    let delete = |id: &str| {
        client
            .delete(format!(
                "{}/accounts/{}/access/users/{id}",
                sim.base_url(),
                sim.account_id()
            ))
            .bearer_auth(sim.api_token())
    };

    // Half the budget, half a window later the other half: the budget is spent.
    for id in &ids[..5] {
        assert_eq!(send(delete(id)).await.status, 200);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for id in &ids[5..10] {
        assert_eq!(send(delete(id)).await.status, 200);
    }
    assert_eq!(sim.rate_usage().unwrap().used, 10);

    // The next request is refused with Cloudflare's own answer, and not handled.
    let refused = send(delete(&ids[10])).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.json["errors"][0]["code"], 971);
    assert_eq!(retry_after(&refused), 2, "the full (compressed) window");
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some("\"default\";q=1200;w=300"),
        "the vendor's shape, whatever the compression"
    );
    assert!(sim.has_user(&ids[10]));

    // 1.1 s later the first five are a window old: a plain rolling window would let a
    // request through, Cloudflare's block does not. Any endpoint is refused.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let still = send(client.get(format!("{}/anything", sim.base_url()))).await;
    assert_eq!(still.status, 429);
    let wait = retry_after(&still);
    assert_eq!(wait, 1, "0.9 s left, rounded up");
    assert_eq!(sim.rate_limited_count(), 2);
    assert!(sim.requests()[10].rate_limited && sim.requests()[11].rate_limited);
    assert!(!sim.requests()[9].rate_limited);
    assert_eq!(
        sim.requests_inside_throttle_window(),
        1,
        "the GET did not wait for the announced window"
    );
    assert!(sim.rate_usage().unwrap().refused_for.is_some());

    // Waiting as told is enough: the block is over and the budget is whole again.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(send(delete(&ids[10])).await.status, 200);
    assert!(!sim.has_user(&ids[10]));
    let usage = sim.rate_usage().unwrap();
    assert_eq!((usage.used, usage.refused_for), (1, None));

    // Off again: no limit at all.
    sim.clear_rate_policy();
    assert_eq!(sim.rate_usage(), None);
    assert_eq!(send(delete(&ids[11])).await.status, 200);
    assert_eq!(sim.rate_limited_count(), 2);
}

fn rate_headers(reply: &Reply) -> (u64, u64, u64) {
    let value = |name: &str| {
        assert_eq!(reply.headers.get_all(name).iter().count(), 1, "{name} once");
        reply.header(name).unwrap().parse::<u64>().unwrap()
    };
    (
        value("x-ratelimit-limit"),
        value("x-ratelimit-remaining"),
        value("x-ratelimit-reset"),
    )
}

#[tokio::test]
async fn onelogin_headers_count_down_refuse_at_zero_and_reset() {
    let sim = OneLoginSim::start().await.unwrap();
    sim.set_rate_policy(
        RatePolicy::onelogin()
            .with_limit(5)
            .with_window(Duration::from_secs(2)),
    );
    let ids = sim.add_users(6);
    let client = http();
    let token_request = || {
        client
            .post(format!("{}/auth/oauth2/v2/token", sim.base_url()))
            .basic_auth(sim.client_id(), Some(sim.client_secret()))
            .header("content-type", "application/json")
            .body(r#"{"grant_type":"client_credentials"}"#)
    };

    // The token request counts, and carries the headers too.
    let token = send(token_request()).await;
    assert_eq!(token.status, 200);
    let (limit, remaining, reset) = rate_headers(&token);
    assert_eq!((limit, remaining), (5, 4));
    assert!(
        (1..=2).contains(&reset),
        "real seconds, rounded up: {reset}"
    );
    let token = token.json["access_token"].as_str().unwrap().to_owned();
    let delete = |id: &str| {
        client
            .delete(format!("{}/api/1/users/{id}", sim.base_url()))
            .header("authorization", format!("bearer:{token}"))
    };

    let mut counted_down = Vec::new();
    for id in &ids[..4] {
        let reply = send(delete(id)).await;
        assert_eq!(reply.status, 200);
        counted_down.push(rate_headers(&reply).1);
    }
    assert_eq!(counted_down, [3, 2, 1, 0]);

    // Remaining 0: the next request gets OneLogin's 429, whatever the endpoint.
    let refused = send(delete(&ids[4])).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.json["status"]["code"], 429);
    let (limit, remaining, reset) = rate_headers(&refused);
    assert_eq!((limit, remaining), (5, 0));
    assert!((1..=2).contains(&reset), "{reset}");
    assert_eq!(
        refused.header("retry-after"),
        Some(reset.to_string().as_str())
    );
    assert!(sim.has_user(&ids[4]));
    assert_eq!(send(token_request()).await.status, 429);
    assert_eq!(sim.rate_limited_count(), 2);
    assert_eq!(sim.rate_usage().unwrap().used, 5);

    // After X-RateLimit-Reset seconds a new window starts with the whole budget.
    tokio::time::sleep(Duration::from_secs(reset)).await;
    let fresh = send(delete(&ids[4])).await;
    assert_eq!(fresh.status, 200);
    assert_eq!(rate_headers(&fresh).1, 4);
    assert!(!sim.has_user(&ids[4]));
}

#[tokio::test]
async fn the_onelogin_client_sees_the_policy_through_the_trait_object() {
    let sim = OneLoginSim::start().await.unwrap();
    let as_dyn: &dyn Simulator = &sim;
    as_dyn.set_rate_policy(RatePolicy::onelogin().with_limit(2));
    let ids = sim.add_users(2);
    let new_client = || {
        idp_onelogin::Client::new(
            idp_onelogin::Config::from_lookup(sim.lookup()).unwrap(),
            no_retry(),
        )
        .unwrap()
    };
    // The token request and the first delete spend the budget; the client sees it (and
    // would now hold its next request back until the reset, an hour away).
    let client = new_client();
    client.delete_user(&ids[0]).await.unwrap();
    let seen = client.rate_limit().unwrap();
    assert_eq!((seen.limit, seen.remaining), (Some(2), Some(0)));
    // A second client knows nothing of it: its token request gets OneLogin's 429, and a wait
    // past the client's ceiling is returned, not waited.
    let err = new_client().delete_user(&ids[1]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert!(err.retry_after().is_some_and(|wait| wait.as_secs() > 3000));
    assert_eq!(as_dyn.rate_limited_count(), 1);
    as_dyn.clear_rate_policy();
    new_client().delete_user(&ids[1]).await.unwrap();
}

#[tokio::test]
async fn the_onelogin_client_waits_for_the_reset_instead_of_spending_past_zero() {
    let sim = OneLoginSim::start().await.unwrap();
    sim.set_rate_policy(
        RatePolicy::onelogin()
            .with_limit(2)
            .with_window(Duration::from_secs(1)),
    );
    let ids = sim.add_users(2);
    let client = idp_onelogin::Client::new(
        idp_onelogin::Config::from_lookup(sim.lookup()).unwrap(),
        no_retry(),
    )
    .unwrap();
    // Token and first delete: X-RateLimit-Remaining 0, X-RateLimit-Reset 1.
    client.delete_user(&ids[0]).await.unwrap();
    client.delete_user(&ids[1]).await.unwrap();
    assert_eq!(sim.rate_limited_count(), 0, "never refused");
    let requests = sim.requests();
    assert_eq!(requests.len(), 3);
    let waited = requests[2].received_at - requests[1].received_at;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert_eq!(sim.user_count(), 0);
}
