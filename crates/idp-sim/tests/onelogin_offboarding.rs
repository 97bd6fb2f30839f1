//! OneLogin offboarding against its simulator through the real client crate, in API v1 and
//! v2: find (cursor paging, case, exact filters, duplicates, usernames, states), logout,
//! delete and verify in plan order from each starting state, each step again, faults on
//! each new call; and the new routes' strictness by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Reply, assert_verify_refused_while_present, email, fast, http, no_retry,
    onelogin_token as token, only_account, run_on_account, send,
};
use idp_core::{
    Account, AccountStatus, ErrorKind, Lookup, ManagedBy, Offboarder, PlannedStep, Presence, Step,
    StepContext, StepOutcome, TransportOptions, UserQuery,
};
use idp_onelogin::{ApiVersion, Client};
use idp_sim::{Fault, OneLoginSim, Simulator};
use serde_json::{Value, json};

const PERSON: &str = "jane.doe@example.com";
const VERSIONS: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V2];

fn client_with(sim: &OneLoginSim, version: ApiVersion, options: TransportOptions) -> Client {
    let lookup = match version {
        ApiVersion::V1 => idp_sim::lookup_in(sim.env()),
        _ => idp_sim::lookup_in(sim.env_v2()),
    };
    Client::new(idp_onelogin::Config::from_lookup(lookup).unwrap(), options).unwrap()
}

fn client(sim: &OneLoginSim, version: ApiVersion) -> Client {
    client_with(sim, version, fast())
}

fn ids(accounts: &[Account]) -> Vec<&str> {
    accounts.iter().map(|a| a.user_id.as_str()).collect()
}

/// `METHOD /path?query` of every request but the token's, in order.
fn calls(sim: &OneLoginSim) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| !r.path.starts_with("/auth/"))
        .map(|r| match &r.query {
            Some(query) => format!("{} {}?{query}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect()
}

async fn run(client: &Client, account: &Account, step: Step) -> StepOutcome {
    run_on_account(client, account, step).await.unwrap().outcome
}

#[tokio::test]
async fn later_pages_are_read_through_each_versions_cursor() {
    for version in VERSIONS {
        let sim = OneLoginSim::start().await.unwrap();
        sim.set_page_size(1);
        sim.add_person("bob@example.com");
        let first = sim.add_person("Jane.Doe@Example.com");
        sim.add_person("janet@example.com");
        let second = sim.add_account("JANE.DOE@EXAMPLE.COM", "jdoe2");
        let third = sim.add_account(PERSON, "jdoe3");

        let query = email(PERSON);
        let found = client(&sim, version).find_users(&query).await.unwrap();

        assert_eq!(ids(&found), [&first, &second, &third], "{version}");
        assert_eq!(Lookup::from_candidates(&query, found).as_str(), "ambiguous");
        let calls = calls(&sim);
        assert_eq!(calls.len(), 3, "{version}: one page each: {calls:?}");
        match version {
            ApiVersion::V1 => {
                assert_eq!(calls[0], "GET /api/1/users?email=jane.doe%40example.com");
                for call in &calls[1..] {
                    assert!(call.contains("&after_cursor="), "{call}");
                }
            }
            _ => {
                assert_eq!(
                    calls[0],
                    "GET /api/2/users?email=jane.doe%40example.com&limit=100"
                );
                for call in &calls[1..] {
                    assert!(call.contains("&limit=100&cursor="), "{call}");
                }
            }
        }
        assert!(sim.requests().iter().all(|r| r.status == Some(200)));
        assert!(sim.logouts().is_empty() && sim.deletes_received() == 0);
    }
}

#[tokio::test]
async fn one_match_is_found_ignoring_case_and_lookalikes_are_not_listed() {
    for version in VERSIONS {
        let sim = OneLoginSim::start().await.unwrap();
        for lookalike in [
            "jane.doe@example.com.evil",
            "xjane.doe@example.com",
            "jane.doe@example.co",
        ] {
            sim.add_person(lookalike);
        }
        let jane = sim.add_person("Jane.Doe@EXAMPLE.com");
        let found = client(&sim, version)
            .find_users(&email(PERSON))
            .await
            .unwrap();
        assert_eq!(ids(&found), [&jane], "{version}");
        let account = &found[0];
        assert_eq!(account.email.as_deref(), Some("Jane.Doe@EXAMPLE.com"));
        assert_eq!(account.username.as_deref(), Some("Jane.Doe"));
        assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
        assert_eq!(account.status, AccountStatus::Enabled);
        assert_eq!(account.managed_by, ManagedBy::Local);
        // OneLogin's filter is exact: the lookalikes never reached the client, and the
        // client never asked with a wildcard.
        assert_eq!(calls(&sim).len(), 1);
        assert!(
            sim.requests()
                .iter()
                .all(|r| !r.query.clone().unwrap_or_default().contains('*'))
        );
        let absent = client(&sim, version)
            .find_users(&email("jane@example.com"))
            .await
            .unwrap();
        assert!(absent.is_empty());
    }
}

#[tokio::test]
async fn usernames_states_and_directories_come_through() {
    for version in VERSIONS {
        let sim = OneLoginSim::start().await.unwrap();
        let suspended = sim.add_account("s@example.com", "Sam");
        assert!(sim.set_status(&suspended, 2));
        let locked = sim.add_account("l@example.com", "lee");
        assert!(sim.set_status(&locked, 3));
        let synced = sim.add_account("d@example.com", "dana");
        assert!(sim.set_directory_id(&synced, Some(1234)));
        let unactivated = sim.add_account("u@example.com", "uma");
        assert!(sim.set_status(&unactivated, 0));
        assert!(!sim.set_status("999", 2));
        let client = client(&sim, version);
        let by_name = |name: &'static str| {
            let client = client.clone();
            async move {
                let mut found = client
                    .find_users(&UserQuery::username(name).unwrap())
                    .await
                    .unwrap();
                assert_eq!(found.len(), 1, "{name}");
                found.remove(0)
            }
        };
        assert_eq!(by_name("sam").await.status, AccountStatus::Suspended);
        assert_eq!(by_name("lee").await.status, AccountStatus::Locked);
        assert_eq!(by_name("uma").await.status, AccountStatus::Unknown);
        let dana = by_name("dana").await;
        assert_eq!(dana.managed_by, ManagedBy::Directory);
        let plan = client.plan(&dana, Vec::new());
        assert!(
            plan.warnings.iter().any(|w| w.contains("directory 1234")),
            "{:?}",
            plan.warnings
        );
        assert!(calls(&sim).iter().all(|c| c.contains("?username=")));
    }
}

#[tokio::test]
async fn offboarding_runs_in_plan_order_from_each_starting_state_and_again() {
    for version in VERSIONS {
        for state in ["active", "suspended", "locked", "directory"] {
            let sim = OneLoginSim::start().await.unwrap();
            let as_dyn: &dyn Simulator = &sim;
            let id = as_dyn.add_person(PERSON);
            let bystander = sim.add_person("bob@example.com");
            match state {
                "suspended" => assert!(sim.set_status(&id, 2)),
                "locked" => assert!(sim.set_status(&id, 3)),
                "directory" => assert!(sim.set_directory_id(&id, Some(77))),
                _ => {}
            }
            let client = client_with(&sim, version, no_retry());
            let account = only_account(&client, PERSON).await;
            assert_eq!(account.user_id, id);
            assert!(sim.has_session(&id));
            sim.clear_requests();

            let plan = client.plan(&account, client.prerequisites(&account).await.unwrap());
            for planned in &plan.steps {
                let report = client
                    .run_step(&account, planned, &StepContext::none())
                    .await
                    .unwrap();
                assert_eq!(
                    report.outcome,
                    StepOutcome::Done,
                    "{version} {state} {}",
                    planned.step
                );
                assert_eq!(report.attempts, 1);
                if planned.step == Step::Logout {
                    assert!(!sim.has_session(&id), "logged out before the delete");
                    assert!(sim.has_user(&id));
                }
            }
            let v = version.as_str();
            assert_eq!(
                calls(&sim),
                [
                    format!("PUT /api/1/users/{id}/logout"),
                    format!("DELETE /api/{v}/users/{id}"),
                    format!("GET /api/{v}/users/{id}"),
                ],
                "{version} {state}"
            );
            assert_eq!(sim.logouts(), [id.as_str()]);
            assert!(!sim.has_user(&id));
            assert!(sim.has_user(&bystander) && sim.has_session(&bystander));

            // Again: no account, no session; already deleted; still gone.
            let mut again = Vec::new();
            for step in [Step::Logout, Step::Delete, Step::Verify] {
                again.push(run(&client, &account, step).await);
            }
            assert_eq!(
                again,
                [
                    StepOutcome::Already,
                    StepOutcome::Already,
                    StepOutcome::Done
                ],
                "{version} {state}"
            );
            let delete = PlannedStep::on_account(Step::Delete, &account);
            assert_eq!(
                client.step_done(&account, &delete).await.unwrap(),
                Some(true)
            );
            assert_eq!(sim.logouts().len(), 1);
        }
    }
}

#[tokio::test]
async fn verify_while_the_user_is_there_is_a_conflict() {
    for version in VERSIONS {
        let sim = OneLoginSim::start().await.unwrap();
        let id = sim.add_person(PERSON);
        let client = client_with(&sim, version, no_retry());
        let account = only_account(&client, PERSON).await;
        assert_verify_refused_while_present(&client, &account).await;
        assert!(sim.has_user(&id));
    }
}

/// OneLogin's 429, a 503 page and a dropped connection on the list, the logout and the
/// read: each retried as a delete is.
#[tokio::test]
async fn faults_on_each_new_call_are_retried_as_on_delete() {
    for version in VERSIONS {
        let sim = OneLoginSim::start().await.unwrap();
        let id = sim.add_person(PERSON);
        let client = client(&sim, version);
        // The token first, so that faults land on the calls under test.
        client.check_access().await.unwrap();
        let account = only_account(&client, PERSON).await;
        for fault in [sim.throttle(0), Fault::Html { status: 503 }, Fault::Drop] {
            sim.inject(fault.clone(), 1);
            let found = client.find_users(&email(PERSON)).await.unwrap();
            assert_eq!(ids(&found), [&id], "{version} {fault:?}");

            sim.inject(fault.clone(), 1);
            let logout = client
                .run_step(
                    &account,
                    &PlannedStep::on_account(Step::Logout, &account),
                    &StepContext::none(),
                )
                .await
                .unwrap();
            assert_eq!(
                (logout.outcome, logout.attempts),
                (StepOutcome::Done, 2),
                "{fault:?}"
            );

            sim.inject(fault.clone(), 1);
            let (presence, receipt) = client.user_presence(&id).await.unwrap();
            assert_eq!(
                (presence, receipt.attempts),
                (Presence::Present, 2),
                "{fault:?}"
            );
            assert!(sim.faults_exhausted());
        }
        assert_eq!(sim.logouts().len(), 3);

        let strict = client_with(&sim, version, no_retry());
        strict.check_access().await.unwrap();
        sim.inject(sim.throttle(0), 1);
        let err = strict.find_users(&email(PERSON)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        sim.inject(Fault::Html { status: 502 }, 1);
        let err = strict.logout_user(&id).await.unwrap_err();
        assert_eq!((err.kind(), err.status()), (ErrorKind::Server, Some(502)));
        sim.inject(Fault::Drop, 1);
        let err = strict.user_presence(&id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport);
        assert!(sim.has_user(&id));
    }
}

fn message(reply: &Reply) -> Value {
    match reply.json.get("status") {
        Some(status) => status["message"].clone(),
        None => reply.json["message"].clone(),
    }
}

#[tokio::test]
async fn the_new_routes_are_strict() {
    let sim = OneLoginSim::start().await.unwrap();
    sim.set_page_size(2);
    let jane = sim.add_person("Jane.Doe@Example.com");
    let others: Vec<String> = ["a@onelogin.com", "b@onelogin.com", "c@example.com"]
        .iter()
        .map(|e| sim.add_person(e))
        .collect();
    let bearer = format!("bearer:{}", token(&sim).await);
    let web = http();
    let get = |path: &str| {
        web.get(format!("{}{path}", sim.base_url()))
            .header("authorization", &bearer)
    };

    // v1's envelope, cursors and links.
    let page = send(get("/api/1/users?email=")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["status"]["error"], false);
    assert_eq!(
        page.json["data"].as_array().unwrap().len(),
        2,
        "an empty email= is every user"
    );
    assert_eq!(page.json["pagination"]["before_cursor"], Value::Null);
    let after = page.json["pagination"]["after_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let next_link = page.json["pagination"]["next_link"].as_str().unwrap();
    assert!(
        next_link.ends_with(&format!(
            "/api/1/users?email=&after_cursor={}",
            urlencode(&after)
        )),
        "{next_link}"
    );
    assert!(page.header("x-ratelimit-remaining").is_some());
    let rest = send(get(&format!(
        "/api/1/users?email=&after_cursor={}",
        urlencode(&after)
    )))
    .await;
    let ids: Vec<u64> = rest.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            others[1].parse::<u64>().unwrap(),
            others[2].parse().unwrap()
        ]
    );
    assert_eq!(rest.json["pagination"]["after_cursor"], Value::Null);
    assert!(rest.json["pagination"]["before_cursor"].is_string());

    // Wildcards and v1's negation: OneLogin's semantics (the client sends neither).
    let wild = send(get("/api/1/users?email=*%40onelogin.com")).await;
    assert_eq!(wild.json["data"].as_array().unwrap().len(), 2);
    let negated = send(get("/api/1/users?email=!*%40onelogin.com")).await;
    assert_eq!(negated.json["data"].as_array().unwrap().len(), 2);
    let exact = send(get("/api/1/users?email=JANE.DOE%40example.COM")).await;
    assert_eq!(exact.json["data"][0]["id"].as_u64(), jane.parse().ok());

    // v2: a bare array and the paging headers; `Bearer` is accepted.
    let v2 = send(
        web.get(format!("{}/api/2/users?limit=100", sim.base_url()))
            .bearer_auth(bearer.trim_start_matches("bearer:")),
    )
    .await;
    assert_eq!(v2.status, 200, "{}", v2.text);
    assert_eq!(v2.json.as_array().unwrap().len(), 2);
    assert_eq!(v2.header("total-count"), Some("4"));
    assert_eq!(v2.header("total-pages"), Some("2"));
    assert_eq!(v2.header("current-page"), Some("1"));
    assert!(v2.header("after-cursor").is_some() && v2.header("before-cursor").is_none());
    let second = send(get(&format!(
        "/api/2/users?cursor={}",
        urlencode(v2.header("after-cursor").unwrap())
    )))
    .await;
    assert_eq!(
        (
            second.json.as_array().unwrap().len(),
            second.header("after-cursor")
        ),
        (2, None)
    );

    // Refused list queries, in each version's shape.
    for bad in [
        "/api/1/users?emial=a",
        "/api/1/users?email=a&email=b",
        "/api/1/users?after_cursor=nonsense",
        "/api/1/users?cursor=x",
        "/api/2/users?after_cursor=x",
        "/api/2/users?limit=0",
        "/api/2/users?page=first",
    ] {
        let reply = send(get(bad)).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text);
        if bad.starts_with("/api/1") {
            assert_eq!(reply.json["status"]["error"], true, "{bad}");
        } else {
            assert_eq!(reply.json["statusCode"], 400, "{bad}");
        }
    }
    let standard = send(
        web.get(format!("{}/api/1/users", sim.base_url()))
            .bearer_auth("x"),
    )
    .await;
    assert_eq!(message(&standard), "Authorization Information is incorrect");
    let stale = send(
        web.get(format!("{}/api/2/users", sim.base_url()))
            .header("authorization", "bearer:stale"),
    )
    .await;
    assert_eq!(
        (stale.status, message(&stale)),
        (401, json!("Authentication Failure"))
    );

    // One user, in each version's shape; not-found as each version says it.
    let one = send(get(&format!("/api/1/users/{jane}"))).await;
    assert_eq!(one.json["data"][0]["email"], "Jane.Doe@Example.com");
    assert_eq!(one.json["status"]["code"], 200);
    let one = send(get(&format!("/api/2/users/{jane}"))).await;
    assert_eq!(
        (one.json["id"].as_u64(), one.json.get("status").cloned()),
        (jane.parse().ok(), Some(json!(1)))
    );
    let gone = send(get("/api/1/users/424242")).await;
    assert_eq!(
        (gone.status, message(&gone)),
        (404, json!("User for id 424242 was not found"))
    );
    let gone = send(get("/api/2/users/424242")).await;
    assert_eq!(
        gone.json,
        json!({"message": "User for id 424242 was not found", "name": "NotFound", "statusCode": 404})
    );
    let bad_id = send(get("/api/1/users/abc")).await;
    assert_eq!(
        message(&bad_id),
        json!({"attribute": "id", "description": "ID is incorrect"})
    );

    // Logout: v1 only, PUT only.
    let put = |path: &str| {
        web.put(format!("{}{path}", sim.base_url()))
            .header("authorization", &bearer)
    };
    let logout = send(put(&format!("/api/1/users/{jane}/logout"))).await;
    assert_eq!(
        logout.json,
        json!({"status": {"error": false, "code": 200, "type": "success", "message": "Success"}})
    );
    assert!(!sim.has_session(&jane));
    let v2_logout = send(put(&format!("/api/2/users/{jane}/logout"))).await;
    assert_eq!(v2_logout.status, 404);
    assert!(
        v2_logout.text.contains("<html>"),
        "no such route: {}",
        v2_logout.text
    );
    let get_logout = send(get(&format!("/api/1/users/{jane}/logout"))).await;
    assert_eq!(get_logout.status, 404);
    let unknown = send(put("/api/1/users/424242/logout")).await;
    assert_eq!(
        (unknown.status, message(&unknown)),
        (404, json!("User for id 424242 was not found"))
    );
    let anonymous = send(web.put(format!("{}/api/1/users/{jane}/logout", sim.base_url()))).await;
    assert_eq!(anonymous.status, 400);
    assert_eq!(sim.logouts(), [jane.as_str()]);
    assert_eq!(sim.user_count(), 4);
}

/// Percent-encodes a query value the way `application/x-www-form-urlencoded` does.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
