//! Cloudflare Access offboarding against its simulator through the real client crate: find
//! (paged, partial server matches, case, duplicates), revoke, delete and verify in plan
//! order, each step again, faults on each new call; and the new routes' strictness by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    assert_verify_refused_while_present, email, fast, http, no_retry, only_account, run_on_account,
    send,
};
use idp_cf_access::Client;
use idp_core::{
    Account, ErrorKind, Lookup, Offboarder, PlannedStep, Presence, Step, StepContext, StepOutcome,
    TransportOptions, UserQuery,
};
use idp_sim::{CfAccessSim, Fault, Simulator};
use serde_json::json;

const PERSON: &str = "jane.doe@example.com";

fn client_with(sim: &CfAccessSim, options: TransportOptions) -> Client {
    Client::new(
        idp_cf_access::Config::from_lookup(sim.lookup()).unwrap(),
        options,
    )
    .unwrap()
}

/// `(method, path after the account, query)` of every request, in order.
fn calls(sim: &CfAccessSim) -> Vec<(String, String, Option<String>)> {
    let account = format!("/client/v4/accounts/{}/access", sim.account_id());
    sim.requests()
        .iter()
        .map(|r| {
            let path = r.path.strip_prefix(&account).unwrap_or(&r.path).to_owned();
            (r.method.clone(), path, r.query.clone())
        })
        .collect()
}

async fn run(client: &Client, account: &Account, step: Step) -> idp_core::StepReport {
    run_on_account(client, account, step).await.unwrap()
}

#[tokio::test]
async fn found_on_a_later_page_among_partial_matches_ignoring_case() {
    let sim = CfAccessSim::start().await.unwrap();
    sim.set_page_size(2);
    // Every one of these contains the query: the server lists them all.
    for partial in [
        "xjane.doe@example.com",
        "jane.doe@example.com.evil",
        "JANE.DOE@EXAMPLE.COMPANY",
    ] {
        sim.add_access_user(partial, "Not Jane");
    }
    sim.add_access_user("bob@example.com", "Bob");
    let jane = sim.add_access_user("Jane.Doe@Example.COM", "Jane Doe");

    let accounts = client_with(&sim, fast())
        .find_users(&email(PERSON))
        .await
        .unwrap();

    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let found = &accounts[0];
    assert_eq!(found.user_id, jane);
    assert_eq!(found.email.as_deref(), Some("Jane.Doe@Example.COM"));
    assert_eq!(found.display_name.as_deref(), Some("Jane Doe"));
    assert_eq!(found.vendor["active_device_count"], 1);
    // Four admitted users, two a page: pages 1 and 2, then the empty page 3.
    let pages: Vec<_> = calls(&sim)
        .into_iter()
        .map(|(m, p, q)| (m, p, q.unwrap()))
        .collect();
    let expected: Vec<_> = (1..=3)
        .map(|n| {
            (
                "GET".to_owned(),
                "/users".to_owned(),
                format!("email=jane.doe%40example.com&page={n}&per_page=50"),
            )
        })
        .collect();
    assert_eq!(pages, expected);
    assert!(sim.requests().iter().all(|r| r.status == Some(200)));
}

#[tokio::test]
async fn partial_matches_only_are_absent() {
    let sim = CfAccessSim::start().await.unwrap();
    sim.add_access_user("ajane.doe@example.com", "A");
    sim.add_access_user("jane.doe@example.com.au", "B");
    let query = email(PERSON);
    let accounts = client_with(&sim, fast()).find_users(&query).await.unwrap();
    assert_eq!(Lookup::from_candidates(&query, accounts), Lookup::Absent);
    // The server did answer them: the client filtered.
    let listed = send(
        http()
            .get(format!(
                "{}/accounts/{}/access/users?email=jane.doe%40example.com",
                sim.base_url(),
                sim.account_id()
            ))
            .bearer_auth(sim.api_token()),
    )
    .await;
    assert_eq!(listed.json["result"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn duplicates_are_ambiguous_and_nothing_else_is_sent() {
    let sim = CfAccessSim::start().await.unwrap();
    sim.set_page_size(1);
    let first = sim.add_access_user(PERSON, "Jane Doe");
    let second = sim.add_access_user("JANE.DOE@example.com", "Jane D.");
    let query = email(PERSON);
    let accounts = client_with(&sim, fast()).find_users(&query).await.unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a.user_id.as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    assert_eq!(
        Lookup::from_candidates(&query, accounts).as_str(),
        "ambiguous"
    );
    assert!(sim.requests().iter().all(|r| r.method == "GET"));
    assert_eq!(
        sim.requests().len(),
        3,
        "two pages of one, then the empty one"
    );
    assert!(sim.revocations().is_empty());
    assert_eq!(sim.user_count(), 2);
}

#[tokio::test]
async fn refused_queries_send_nothing_and_no_user_is_one_empty_page() {
    let sim = CfAccessSim::start().await.unwrap();
    sim.add_person(PERSON);
    let client = client_with(&sim, fast());
    let err = client
        .find_users(&UserQuery::username("jdoe").unwrap())
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (ErrorKind::InvalidInput, 0));
    assert!(sim.requests().is_empty());

    let none = client
        .find_users(&email("nobody@example.com"))
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn offboarding_runs_in_plan_order_and_each_step_again() {
    let sim = CfAccessSim::start().await.unwrap();
    let as_dyn: &dyn Simulator = &sim;
    let id = as_dyn.add_person("Jane.Doe@Example.com");
    let other = sim.add_person("bob@example.com");
    let client = client_with(&sim, no_retry());
    let account = only_account(&client, PERSON).await;
    assert_eq!(account.user_id, id);
    assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
    sim.clear_requests();

    let plan = client.plan(&account, client.prerequisites(&account).await.unwrap());
    let steps: Vec<Step> = plan.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::RevokeSessions, Step::Delete, Step::Verify]);
    for planned in &plan.steps {
        let report = client
            .run_step(&account, planned, &StepContext::none())
            .await
            .unwrap();
        assert_eq!(report.outcome, StepOutcome::Done, "{}", planned.step);
        assert_eq!(report.attempts, 1);
        assert!(report.request_id.unwrap().ends_with("-SIM"), "cf-ray");
        if planned.step == Step::RevokeSessions {
            // The devices were signed out before the delete.
            assert_eq!(sim.user_record(&id).unwrap()["active_device_count"], 0);
        }
    }
    let user = format!("/users/{id}");
    let order: Vec<(String, String)> = calls(&sim).into_iter().map(|(m, p, _)| (m, p)).collect();
    assert_eq!(
        order,
        [
            ("POST".to_owned(), "/organizations/revoke_user".to_owned()),
            ("DELETE".to_owned(), user.clone()),
            ("GET".to_owned(), user.clone()),
        ]
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sim.requests()[0].body).unwrap(),
        json!({"email": "Jane.Doe@Example.com", "devices": true})
    );
    assert_eq!(sim.revocations(), ["Jane.Doe@Example.com"]);
    assert!(!sim.has_user(&id));
    assert!(sim.has_user(&other), "only the person is touched");
    assert_eq!(sim.user_record(&other).unwrap()["active_device_count"], 1);

    // Again: the revocation cannot be read back (done again, harmlessly), the delete finds
    // the user gone, the verify is done again.
    let again: Vec<StepOutcome> = {
        let mut outcomes = Vec::new();
        for step in [Step::RevokeSessions, Step::Delete, Step::Verify] {
            outcomes.push(run(&client, &account, step).await.outcome);
        }
        outcomes
    };
    assert_eq!(
        again,
        [StepOutcome::Done, StepOutcome::Already, StepOutcome::Done]
    );
    let delete = PlannedStep::on_account(Step::Delete, &account);
    assert_eq!(
        client.step_done(&account, &delete).await.unwrap(),
        Some(true)
    );
    assert_eq!(sim.revocations().len(), 2);
}

#[tokio::test]
async fn verify_while_the_user_is_there_is_a_conflict() {
    let sim = CfAccessSim::start().await.unwrap();
    sim.add_person(PERSON);
    let client = client_with(&sim, no_retry());
    let account = only_account(&client, PERSON).await;
    assert_verify_refused_while_present(&client, &account).await;
    assert!(sim.has_user(&account.user_id));
}

/// A 429 (Cloudflare's own), a 503 page and a dropped connection on the listing, the
/// revocation and the read: each retried as a delete is, and each call ends as it would
/// have without the fault.
#[tokio::test]
async fn faults_on_each_new_call_are_retried_as_on_delete() {
    let sim = CfAccessSim::start().await.unwrap();
    let id = sim.add_person(PERSON);
    let client = client_with(&sim, fast());
    for fault in [sim.throttle(0), Fault::Html { status: 503 }, Fault::Drop] {
        sim.clear_requests();
        sim.inject(fault.clone(), 1);
        let found = client.find_users(&email(PERSON)).await.unwrap();
        assert_eq!(found.len(), 1, "{fault:?}");
        let statuses: Vec<Option<u16>> = sim.requests().iter().map(|r| r.status).collect();
        assert_eq!(
            statuses.len(),
            3,
            "{fault:?}: the faulted page, again, the empty one"
        );
        assert_eq!(statuses[1..], [Some(200), Some(200)]);

        sim.inject(fault.clone(), 1);
        let revoke = run(&client, &found[0], Step::RevokeSessions).await;
        assert_eq!(
            (revoke.outcome, revoke.attempts),
            (StepOutcome::Done, 2),
            "{fault:?}"
        );

        sim.inject(fault.clone(), 1);
        let presence = client.user_presence(&id).await.unwrap();
        assert_eq!(presence, Presence::Present, "{fault:?}");
        assert!(sim.faults_exhausted());
    }
    assert_eq!(sim.revocations().len(), 3);

    // Without retries, the fault is the call's error, as for a delete.
    let strict = client_with(&sim, no_retry());
    sim.inject(sim.throttle(0), 1);
    let err = strict.find_users(&email(PERSON)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    sim.inject(Fault::Html { status: 502 }, 1);
    let err = strict.revoke_sessions(PERSON).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Server, Some(502)));
    sim.inject(Fault::Drop, 1);
    let err = strict.user_presence(&id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(sim.has_user(&id));
}

#[tokio::test]
async fn the_new_routes_are_strict() {
    let sim = CfAccessSim::start().await.unwrap();
    let id = sim.add_person("Jane.Doe@Example.com");
    let base = format!("{}/accounts/{}/access", sim.base_url(), sim.account_id());
    let web = http();
    let get = |path: &str| {
        web.get(format!("{base}{path}"))
            .bearer_auth(sim.api_token())
    };
    let code = |reply: &common::Reply| reply.json["errors"][0]["code"].as_i64();

    // The listing: the envelope with result_info; a page past the end is empty.
    let listed = send(get("/users?email=JANE&per_page=1")).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json["success"], true);
    assert_eq!(listed.json["result"][0]["id"], id.as_str());
    assert_eq!(listed.json["result"][0]["email"], "Jane.Doe@Example.com");
    assert_eq!(
        listed.json["result_info"],
        json!({"page": 1, "per_page": 1, "count": 1, "total_count": 1})
    );
    assert!(listed.header("cf-ray").is_some());
    let past = send(get("/users?page=2")).await;
    assert_eq!(past.json["result"], json!([]));
    for bad in [
        "/users?emial=jane",
        "/users?email=a&email=b",
        "/users?per_page=0",
        "/users?per_page=1001",
        "/users?page=x",
        "/users?page=-1",
    ] {
        let reply = send(get(bad)).await;
        assert_eq!((reply.status, code(&reply)), (400, Some(1001)), "{bad}");
    }

    // One user: its record, Cloudflare's not-found, an id that is no UUID.
    let one = send(get(&format!("/users/{id}"))).await;
    assert_eq!(
        (one.status, one.json["result"]["id"].as_str()),
        (200, Some(id.as_str()))
    );
    let upper = send(get(&format!("/users/{}", id.to_ascii_uppercase()))).await;
    assert_eq!(upper.status, 200);
    let missing = send(get("/users/0c6a1d3e-8b2f-4e7a-9d51-3f2b6c8e1a90")).await;
    assert_eq!((missing.status, code(&missing)), (404, Some(1003)));
    assert_eq!(
        missing.json["errors"][0]["message"],
        "Access user not found"
    );
    let not_uuid = send(get("/users/jane")).await;
    assert_eq!((not_uuid.status, code(&not_uuid)), (400, Some(7003)));

    // Methods, auth and account apply to every route.
    let post_users = send(
        web.post(format!("{base}/users"))
            .bearer_auth(sim.api_token()),
    )
    .await;
    assert_eq!((post_users.status, code(&post_users)), (405, Some(7001)));
    let put_user = send(
        web.put(format!("{base}/users/{id}"))
            .bearer_auth(sim.api_token()),
    )
    .await;
    assert_eq!(put_user.status, 405);
    let anonymous = send(web.get(format!("{base}/users"))).await;
    assert_eq!((anonymous.status, code(&anonymous)), (400, Some(6003)));
    let elsewhere = send(
        web.get(format!(
            "{}/accounts/{}/access/users",
            sim.base_url(),
            "b".repeat(32)
        ))
        .bearer_auth(sim.api_token()),
    )
    .await;
    assert_eq!((elsewhere.status, code(&elsewhere)), (403, Some(10000)));

    // revoke_user: a JSON object with the documented properties only.
    let revoke = |body: &str, content_type: &str| {
        web.post(format!("{base}/organizations/revoke_user"))
            .bearer_auth(sim.api_token())
            .header("content-type", content_type)
            .body(body.to_owned())
    };
    for (body, content_type) in [
        (r#"{"devices": true}"#, "application/json"),
        (
            r#"{"email": "jane.doe@example.com", "devices": "yes"}"#,
            "application/json",
        ),
        (
            r#"{"email": "jane.doe@example.com", "seats": true}"#,
            "application/json",
        ),
        (r#"{"email": 7}"#, "application/json"),
        (r#"{"email": "jane.doe@example.com"}"#, "text/plain"),
        (
            "email=jane.doe@example.com",
            "application/x-www-form-urlencoded",
        ),
        ("[]", "application/json"),
    ] {
        let reply = send(revoke(body, content_type)).await;
        assert_eq!((reply.status, code(&reply)), (400, Some(1001)), "{body}");
    }
    assert!(sim.revocations().is_empty());
    assert_eq!(sim.user_record(&id).unwrap()["active_device_count"], 1);
    let without_devices = send(revoke(
        r#"{"email": "jane.doe@example.com"}"#,
        "application/json",
    ))
    .await;
    assert_eq!(without_devices.json["result"], true);
    assert_eq!(sim.user_record(&id).unwrap()["active_device_count"], 1);
    let in_query = send(
        web.post(format!("{base}/organizations/revoke_user?devices=true"))
            .bearer_auth(sim.api_token())
            .header("content-type", "application/json")
            .body(
                json!({"email": "JANE.DOE@example.com", "warp_session_reauth": true}).to_string(),
            ),
    )
    .await;
    assert_eq!(
        in_query.json,
        json!({"success": true, "errors": [], "messages": [], "result": true})
    );
    assert_eq!(sim.user_record(&id).unwrap()["active_device_count"], 0);
    let nobody = send(revoke(
        r#"{"email": "nobody@example.com", "devices": true}"#,
        "application/json",
    ))
    .await;
    assert_eq!(
        nobody.json["result"], true,
        "revoking by email needs no user"
    );
    assert_eq!(sim.revocations().len(), 3);
    assert_eq!(sim.deletes_received(), 0);
    assert!(sim.has_user(&id));
}
