//! Automation Anywhere Control Room offboarding against its simulator, through the real
//! client crate: the user list (filtered, paged, refused, ignored, loose), the
//! read-and-write-back disable, the delete and the verify, from each starting state, v1 and
//! v2, with the order of calls read from the simulator's log; then the whole-record `PUT`
//! rule by hand, and faults on each new call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{email, http, run_on_account as run, send};
use idp_aa_controlroom::{Client, Config};
use idp_core::test_util::fast_options;
use idp_core::{
    Account, AccountStatus, EndState, ErrorKind, ManagedBy, Offboarder, PlannedStep, Presence,
    Step, StepOutcome, UserQuery,
};
use idp_sim::{AaControlRoomSim, AaFilterMode, AaRole, AaUser, Fault, Simulator};
use serde_json::{Value, json};

const JANE: &str = "Jane.Doe@Example.COM";
const JANE_ASKED: &str = "jane.doe@example.com";
const USERS: &str = "/v1/usermanagement/users";

fn client_with(lookup: impl Fn(&str) -> Option<String>) -> Client {
    Client::new(Config::from_lookup(lookup).unwrap(), fast_options()).unwrap()
}

fn client(sim: &AaControlRoomSim) -> Client {
    client_with(sim.lookup())
}

async fn find(client: &Client, query: &UserQuery) -> Vec<String> {
    let found = client.find_users(query).await.unwrap();
    found.into_iter().map(|a| a.user_id).collect()
}

async fn find_one(client: &Client, query: &UserQuery) -> Account {
    let mut found = client.find_users(query).await.unwrap();
    assert_eq!(found.len(), 1, "{query}: {found:?}");
    found.remove(0)
}

/// Each request since the last call, as `METHOD path STATUS`; list calls as
/// `LIST field@offset STATUS` (`all@…` without a filter).
fn calls(sim: &AaControlRoomSim) -> Vec<String> {
    let lines = sim
        .requests()
        .iter()
        .map(|r| {
            let status = r.status.map_or("dropped".to_owned(), |s| s.to_string());
            if r.path.ends_with("/usermanagement/users/list") {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                let field = body["filter"]["field"].as_str().unwrap_or("all");
                format!("LIST {field}@{} {status}", body["page"]["offset"])
            } else {
                format!("{} {} {status}", r.method, r.path)
            }
        })
        .collect();
    sim.clear_requests();
    lines
}

fn lists(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| l.starts_with("LIST"))
        .map(String::as_str)
        .collect()
}

/// `n` users nobody looks for.
fn fillers(sim: &AaControlRoomSim, n: usize) {
    for i in 0..n {
        sim.seed_user(AaUser::new(&format!("filler{i}@example.com")));
    }
}

#[tokio::test]
async fn an_email_is_found_case_insensitively_with_the_eq_filter_on_email_then_username() {
    let sim = AaControlRoomSim::start().await.unwrap();
    fillers(&sim, 30);
    let jane = sim.add_person(JANE);
    let client = client(&sim);

    let account = find_one(&client, &email(JANE_ASKED)).await;
    assert_eq!(account.user_id, jane);
    assert_eq!(account.email.as_deref(), Some(JANE));
    assert_eq!(account.status, AccountStatus::Enabled);
    assert_eq!(account.managed_by, ManagedBy::Local);
    assert_eq!(account.vendor["roles"].as_array().map(Vec::len), Some(2));
    let lines = calls(&sim);
    assert_eq!(lines[0], "POST /v1/authentication 200");
    assert_eq!(lists(&lines), ["LIST email@0 200", "LIST username@0 200"]);

    // A username query filters on the username only.
    let by_name = UserQuery::username("JANE.DOE").unwrap();
    assert_eq!(find(&client, &by_name).await, [jane]);
    assert_eq!(lists(&calls(&sim)), ["LIST username@0 200"]);

    // A directory user whose username is the email, with no email of its own.
    let sso = sim.seed_user(
        AaUser::new("")
            .with_username("Pat.Lee@Example.com")
            .with_domain("ActiveDirectory (LDAP)"),
    );
    let account = find_one(&client, &email("pat.lee@example.com")).await;
    assert_eq!(account.user_id, sso);
    assert_eq!(account.managed_by, ManagedBy::Directory);

    assert!(find(&client, &email("nobody@example.com")).await.is_empty());
}

#[tokio::test]
async fn near_misses_on_later_pages_are_paged_through_and_filtered_out() {
    let sim = AaControlRoomSim::start().await.unwrap();
    sim.set_page_size(10);
    sim.set_filter_mode(AaFilterMode::Loose);
    for i in 0..24 {
        sim.add_person(&format!("jane.doe@example.com.evil{i}"));
    }
    let jane = sim.add_person(JANE);
    // More users than the filter matches: the client must not take the filter as ignored.
    fillers(&sim, 5);
    let client = client(&sim);

    assert_eq!(find(&client, &email(JANE_ASKED)).await, [jane]);
    assert_eq!(
        lists(&calls(&sim)),
        [
            "LIST email@0 200",
            "LIST email@10 200",
            "LIST email@20 200",
            "LIST username@0 200",
        ]
    );
}

#[tokio::test]
async fn duplicates_are_all_returned_and_nothing_else_is_sent() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let first = sim.add_person(JANE);
    let second = sim.seed_user(AaUser::new(JANE_ASKED).with_username("jdoe2"));
    fillers(&sim, 5);
    let client = client(&sim);
    let found = find(&client, &email(JANE_ASKED)).await;
    assert_eq!(found, [first, second]);
    let lines = calls(&sim);
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("LIST") || l.contains("/authentication")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_refused_or_ignored_filter_falls_back_to_a_paged_scan() {
    for mode in [AaFilterMode::Refused, AaFilterMode::Ignored] {
        let sim = AaControlRoomSim::start().await.unwrap();
        sim.set_page_size(10);
        sim.set_filter_mode(mode);
        fillers(&sim, 25);
        let jane = sim.add_person(JANE);
        let client = client(&sim);

        assert_eq!(find(&client, &email(JANE_ASKED)).await, [jane], "{mode:?}");
        let first = match mode {
            AaFilterMode::Refused => "LIST email@0 400",
            _ => "LIST email@0 200",
        };
        assert_eq!(
            lists(&calls(&sim)),
            [
                first,
                "LIST all@0 200",
                "LIST all@10 200",
                "LIST all@20 200"
            ],
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn v2_finds_and_offboards_under_v2() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let jane = sim.add_person(JANE);
    let client = client_with(sim.lookup_v2());
    let account = find_one(&client, &email(JANE_ASKED)).await;
    for step in [Step::Disable, Step::Delete, Step::Verify] {
        assert_eq!(
            run(&client, &account, step).await.unwrap().outcome,
            StepOutcome::Done
        );
    }
    assert!(!sim.has_user(&jane));
    let requests = sim.requests();
    assert!(requests.len() >= 6);
    assert!(
        requests.iter().all(|r| r.path.starts_with("/v2/")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn an_enabled_user_is_disabled_whole_deleted_and_verified_in_order_and_twice_is_already() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let jane = sim.add_person(JANE);
    let client = client(&sim);
    let account = find_one(&client, &email(JANE)).await;
    let plan = client.plan(&account, client.prerequisites(&account).await.unwrap());
    let steps: Vec<Step> = plan.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Disable, Step::Delete, Step::Verify]);
    assert_eq!(plan.end, EndState::Offboarded);
    let before = sim.user(&jane).unwrap();
    calls(&sim);

    let report = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Done);
    let after = sim.user(&jane).unwrap();
    assert!(after.disabled);
    assert_eq!(after.roles, before.roles, "the roles went back whole");
    assert_eq!(after.license_features, before.license_features);
    let put = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    let body: Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(body["disabled"], json!(true));
    assert_eq!(body["roles"].as_array().map(Vec::len), Some(2));
    let user = format!("{USERS}/{jane}");
    assert_eq!(
        calls(&sim),
        [format!("GET {user} 200"), format!("PUT {user} 200")]
    );

    let again = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!(again.outcome, StepOutcome::Already);
    assert_eq!(calls(&sim), [format!("GET {user} 200")], "read, no write");

    assert_eq!(
        run(&client, &account, Step::Delete).await.unwrap().outcome,
        StepOutcome::Done
    );
    assert_eq!(
        run(&client, &account, Step::Delete).await.unwrap().outcome,
        StepOutcome::Already
    );
    assert_eq!(
        run(&client, &account, Step::Verify).await.unwrap().outcome,
        StepOutcome::Done
    );
    assert_eq!(
        run(&client, &account, Step::Verify).await.unwrap().outcome,
        StepOutcome::Done
    );
    assert_eq!(
        calls(&sim),
        [
            format!("DELETE {user} 200"),
            format!("DELETE {user} 404"),
            format!("GET {user} 404"),
            format!("GET {user} 404"),
        ]
    );
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);
    let disable = PlannedStep::on_account(Step::Disable, &account);
    assert_eq!(
        client.step_done(&account, &disable).await.unwrap(),
        Some(true)
    );
}

#[tokio::test]
async fn a_disabled_user_gets_no_put_and_a_gone_user_needs_nothing() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let id = sim.seed_user(AaUser::new(JANE).disabled());
    let client = client(&sim);
    let account = find_one(&client, &email(JANE)).await;
    assert_eq!(account.status, AccountStatus::Disabled);
    calls(&sim);
    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Already
    );
    assert_eq!(calls(&sim), [format!("GET {USERS}/{id} 200")]);

    // A Control Room answering the delete with 204: done too; afterwards the disable has
    // nothing left to do.
    sim.set_delete_no_content(true);
    assert_eq!(
        run(&client, &account, Step::Delete).await.unwrap().outcome,
        StepOutcome::Done
    );
    assert_eq!(calls(&sim), [format!("DELETE {USERS}/{id} 204")]);
    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Already
    );
}

#[tokio::test]
async fn a_user_in_use_keeps_the_vendors_conflict_until_cleared() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let id = sim.seed_user(AaUser::new(JANE).in_use());
    let client = client(&sim);
    let account = find_one(&client, &email(JANE)).await;
    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Done
    );
    let err = run(&client, &account, Step::Delete).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("UM1124"));
    assert!(err.message().contains("User is in use"), "{err}");
    assert!(sim.has_user(&id));
    let err = run(&client, &account, Step::Verify).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "still there");

    assert!(sim.set_user_in_use(&id, false));
    assert_eq!(
        run(&client, &account, Step::Delete).await.unwrap().outcome,
        StepOutcome::Done
    );
}

#[tokio::test]
async fn faults_on_the_list_the_read_and_the_write_are_retried_as_on_delete() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let client = client(&sim);
    // Log in once, so that the faults below land on the calls named.
    assert!(find(&client, &email("nobody@example.com")).await.is_empty());
    for fault in [sim.throttle(0), Fault::status(500, ""), Fault::Drop] {
        let address = format!("jane.{}@example.com", sim.user_count());
        let id = sim.add_person(&address);
        calls(&sim);
        let lost = match &fault {
            Fault::Drop => "dropped".to_owned(),
            Fault::Status { status, .. } => status.to_string(),
            _ => unreachable!(),
        };

        sim.inject(fault.clone(), 1);
        let account = find_one(&client, &email(&address)).await;
        assert_eq!(
            lists(&calls(&sim)),
            [
                format!("LIST email@0 {lost}").as_str(),
                "LIST email@0 200",
                "LIST username@0 200"
            ],
            "{fault:?}"
        );

        // The read, then (the read handled) the write.
        let user = format!("{USERS}/{id}");
        sim.inject(fault.clone(), 1);
        sim.inject(Fault::Delay(Duration::ZERO), 1);
        sim.inject(fault.clone(), 1);
        let report = run(&client, &account, Step::Disable).await.unwrap();
        assert_eq!(report.outcome, StepOutcome::Done, "{fault:?}");
        assert!(sim.user(&id).unwrap().disabled);
        assert_eq!(
            calls(&sim),
            [
                format!("GET {user} {lost}"),
                format!("GET {user} 200"),
                format!("PUT {user} {lost}"),
                format!("PUT {user} 200"),
            ],
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn add_person_seeds_an_enabled_user_with_two_roles_through_the_simulator_trait() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let any: &dyn Simulator = &sim;
    let id = any.add_person("Pat.Lee@Example.org");
    let user = sim.user(&id).unwrap();
    assert_eq!(user.email, "Pat.Lee@Example.org");
    assert_eq!(user.username, "Pat.Lee");
    assert!(!user.disabled && !user.in_use);
    assert_eq!(user.roles.len(), 2);
    assert_eq!(user.domain, None);
}

/// A token from a hand-made API-key login.
async fn token(sim: &AaControlRoomSim, http: &reqwest::Client) -> String {
    let login = send(
        http.post(format!("{}/v1/authentication", sim.base_url()))
            .header("content-type", "application/json")
            .body(json!({"username": sim.username(), "apiKey": sim.api_key()}).to_string()),
    )
    .await;
    login.json["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_put_must_carry_the_whole_record_back() {
    let sim = AaControlRoomSim::start().await.unwrap();
    let id = sim.seed_user(AaUser::new(JANE).with_roles(vec![
        AaRole::new(2, "AAE_Basic"),
        AaRole::new(7, "Locker Admins"),
    ]));
    let http = http();
    let token = token(&sim, &http).await;
    let url = format!("{}{USERS}/{id}", sim.base_url());
    let read = send(http.get(&url).header("x-authorization", &token)).await;
    assert_eq!(read.status, 200);
    let record = read.json.clone();
    for field in [
        "id",
        "username",
        "email",
        "roles",
        "licenseFeatures",
        "disabled",
        "domain",
        "version",
    ] {
        assert!(record.get(field).is_some(), "{field}: {}", read.text);
    }
    let put = |body: Value| {
        http.put(&url)
            .header("x-authorization", &token)
            .header("content-type", "application/json")
            .body(body.to_string())
    };

    let partial = send(put(json!({"id": record["id"], "disabled": true}))).await;
    assert_eq!(partial.status, 400, "{}", partial.text);
    assert_eq!(partial.json["code"], "UM1131");
    assert!(partial.json["details"].as_str().unwrap().contains("roles"));
    assert!(partial.json.get("message").is_some());
    let mut no_roles = record.clone();
    no_roles.as_object_mut().unwrap().remove("roles");
    let reply = send(put(no_roles)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["details"], "Missing fields: roles");
    let mut empty_roles = record.clone();
    empty_roles["roles"] = json!([]);
    assert_eq!(send(put(empty_roles)).await.status, 400);
    let mut other_id = record.clone();
    other_id["id"] = json!(999);
    assert_eq!(send(put(other_id)).await.status, 400);
    let text = send(
        http.put(&url)
            .header("x-authorization", &token)
            .header("content-type", "text/plain")
            .body(record.to_string()),
    )
    .await;
    assert_eq!(text.status, 415);
    let anonymous = send(
        http.put(&url)
            .header("content-type", "application/json")
            .body(record.to_string()),
    )
    .await;
    assert_eq!(
        (anonymous.status, anonymous.json["code"].as_str()),
        (401, Some("UM1117"))
    );
    assert!(!sim.user(&id).unwrap().disabled, "nothing changed");

    let mut whole = record.clone();
    whole["disabled"] = json!(true);
    let ok = send(put(whole)).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        (ok.json["id"].as_u64(), &ok.json["disabled"]),
        (Some(id.parse().unwrap()), &json!(true))
    );
    assert_eq!(ok.json["version"], json!(1));
    let user = sim.user(&id).unwrap();
    assert!(user.disabled);
    assert_eq!(user.roles.len(), 2, "{:?}", user.roles);

    let gone = send(
        http.get(format!("{}{USERS}/424242", sim.base_url()))
            .header("x-authorization", &token),
    )
    .await;
    assert_eq!(
        (gone.status, gone.json),
        (
            404,
            json!({"code": "UM1009", "details": null, "message": "User not found"})
        )
    );
}
