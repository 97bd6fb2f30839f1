//! RSA SecurID CAS offboarding against its simulator, through the real client crate: the
//! User Details lookup (find, verify), the User Status change (disable) and the delete,
//! from each starting state, with the order of calls read from the simulator's log; then
//! the wire rules by hand (exactly one property, RSA's own error shapes) and faults on
//! each new call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{email, http, now_secs, run_on_account as run, send, sign_jwt};
use idp_core::test_util::fast_options;
use idp_core::{
    Account, AccountStatus, EndState, ErrorKind, Lookup, ManagedBy, Offboarder, PlannedStep,
    Presence, Step, StepOutcome, UserQuery,
};
use idp_rsa_cas::{Client, Config};
use idp_sim::{Fault, RsaCasSim, RsaIdentitySource, RsaUser, RsaUserState, Simulator};
use serde_json::{Value, json};

const JANE: &str = "Jane.Doe@Example.COM";
const JANE_ASKED: &str = "jane.doe@example.com";

fn client(sim: &RsaCasSim) -> Client {
    Client::new(Config::from_lookup(sim.lookup()).unwrap(), fast_options()).unwrap()
}

/// The one account `query` finds.
async fn find_one(client: &Client, query: &UserQuery) -> Account {
    let found = client.find_users(query).await.unwrap();
    match Lookup::from_candidates(query, found) {
        Lookup::Found(account) => account,
        other => panic!("{query}: {other:?}"),
    }
}

/// Each request since the last call, as `METHOD path-after-/v1/users STATUS`.
fn calls(sim: &RsaCasSim) -> Vec<String> {
    let lines = sim
        .requests()
        .iter()
        .map(|r| {
            let path = r
                .path
                .strip_prefix("/AdminInterface/restapi/v1/users")
                .unwrap_or(&r.path);
            let status = r.status.map_or("dropped".to_owned(), |s| s.to_string());
            format!("{} {path} {status}", r.method)
        })
        .collect();
    sim.clear_requests();
    lines
}

fn steps_of(client: &Client, account: &Account) -> (Vec<Step>, EndState, String) {
    let plan = client.plan(account, Vec::new());
    let steps = plan.steps.iter().map(|s| s.step).collect();
    (steps, plan.end, plan.warnings.join("\n"))
}

#[tokio::test]
async fn find_matches_the_record_case_insensitively_and_refuses_near_misses() {
    let sim = RsaCasSim::start().await.unwrap();
    sim.add_users(20);
    let jane = sim.add_person(JANE);
    let client = client(&sim);

    let account = find_one(&client, &email(JANE_ASKED)).await;
    assert_eq!(account.user_id, jane);
    assert_eq!(account.email.as_deref(), Some(JANE), "stored as given");
    assert_eq!(account.status, AccountStatus::Enabled);
    assert_eq!(account.managed_by, ManagedBy::Local);
    assert_eq!(account.display_name.as_deref(), Some("Jane Doe"));
    let lookup = &sim.requests()[0];
    assert_eq!(lookup.path, "/AdminInterface/restapi/v1/users/lookup");
    assert_eq!(
        lookup.body_text(),
        r#"{"email":"jane.doe@example.com","searchUnsynched":false}"#
    );

    // By username: principalUsername, case ignored.
    let by_name = UserQuery::username("JANE.DOE").unwrap();
    assert_eq!(find_one(&client, &by_name).await.user_id, jane);

    // Nobody: RSA's own not-found, which the client reads as no match.
    sim.clear_requests();
    assert!(
        client
            .find_users(&email("nobody@example.com"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(calls(&sim), ["POST /lookup 404"]);

    // A server answering a near miss: the client compares the record and finds nobody.
    let near = sim.seed_user(RsaUser::new("jane.doe@example.com.evil"));
    sim.set_fuzzy_lookup(true);
    let found = client
        .find_users(&email("jane.doe@example.com.ev"))
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(
        calls(&sim),
        ["POST /lookup 200"],
        "the server did answer {near}"
    );
}

#[tokio::test]
async fn duplicates_cannot_be_seen_through_the_one_user_lookup() {
    let sim = RsaCasSim::start().await.unwrap();
    let first = sim.add_person(JANE);
    let second = sim.add_person(JANE_ASKED);
    assert_eq!(sim.user_ids_with_email(JANE_ASKED), [first.clone(), second]);
    let found = client(&sim).find_users(&email(JANE_ASKED)).await.unwrap();
    // RSA answers one user at a time (the oldest, in the simulator: NOT CONFIRMED).
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user_id, first);
    add_person_seeds_an_enabled_local_user_through_the_simulator_trait(&sim).await;
}

#[tokio::test]
async fn an_enabled_user_is_disabled_deleted_and_verified_in_that_order_and_twice_is_already() {
    let sim = RsaCasSim::start().await.unwrap();
    let jane = sim.seed_user(RsaUser::new(JANE).from_source(RsaIdentitySource::Directory));
    let client = client(&sim);
    let account = find_one(&client, &email(JANE_ASKED)).await;
    assert_eq!(account.managed_by, ManagedBy::Directory);
    let (steps, end, warnings) = steps_of(&client, &account);
    assert_eq!(steps, [Step::Disable, Step::Delete, Step::Verify]);
    assert_eq!(end, EndState::Offboarded);
    assert!(warnings.contains("resynchronising"), "{warnings}");
    calls(&sim);

    let disabled = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!(disabled.outcome, StepOutcome::Done);
    assert_eq!(sim.user_state(&jane), Some(RsaUserState::Disabled));
    let put = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.body_text(), r#"{"userStatus":"Disabled"}"#);
    assert_eq!(
        calls(&sim),
        [
            "POST /lookup 200",
            format!("PUT /{jane}/userStatus 200").as_str()
        ]
    );
    let again = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!(again.outcome, StepOutcome::Already);
    assert_eq!(calls(&sim), ["POST /lookup 200"], "read back, no write");

    let deleted = run(&client, &account, Step::Delete).await.unwrap();
    assert_eq!(deleted.outcome, StepOutcome::Done);
    assert!(!sim.has_user(&jane));
    let gone = run(&client, &account, Step::Delete).await.unwrap();
    assert_eq!(gone.outcome, StepOutcome::Already);
    assert_eq!(
        calls(&sim),
        [format!("DELETE /{jane} 200"), format!("DELETE /{jane} 404")]
    );

    for _ in 0..2 {
        let verified = run(&client, &account, Step::Verify).await.unwrap();
        assert_eq!(verified.outcome, StepOutcome::Done);
    }
    assert_eq!(client.verify(&account).await.unwrap(), Presence::Gone);
    let step = PlannedStep::on_account(Step::Delete, &account);
    assert_eq!(client.step_done(&account, &step).await.unwrap(), Some(true));
    assert_eq!(calls(&sim).len(), 4);
}

/// The other starting states, each with its own person, on one simulator (a simulator
/// start generates an RSA key).
#[tokio::test]
async fn every_other_starting_state_ends_as_documented() {
    let sim = RsaCasSim::start().await.unwrap();
    a_disabled_user_is_only_read_before_its_delete(&sim).await;
    a_user_pending_deletion_is_only_disabled_and_its_delete_is_refused(&sim).await;
    a_scim_user_is_disabled_and_its_delete_is_not_allowed(&sim).await;
    a_user_re_enabled_after_the_disable_is_disabled_once_more_then_deleted(&sim).await;
}

async fn a_disabled_user_is_only_read_before_its_delete(sim: &RsaCasSim) {
    const PERSON: &str = "disabled.jane@Example.com";
    let id = sim.seed_user(RsaUser::new(PERSON).disabled());
    let client = client(sim);
    let account = find_one(&client, &email(PERSON)).await;
    assert_eq!(account.status, AccountStatus::Disabled);
    calls(sim);
    let report = run(&client, &account, Step::Disable).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Already);
    assert_eq!(
        run(&client, &account, Step::Delete).await.unwrap().outcome,
        StepOutcome::Done
    );
    assert_eq!(
        calls(sim),
        ["POST /lookup 200", format!("DELETE /{id} 200").as_str()]
    );
}

async fn a_user_pending_deletion_is_only_disabled_and_its_delete_is_refused(sim: &RsaCasSim) {
    const PERSON: &str = "Pending.Jane@Example.com";
    let id = sim.seed_user(RsaUser::new(PERSON).pending_deletion());
    let client = client(sim);
    let account = find_one(&client, &email(PERSON)).await;
    assert_eq!(account.status, AccountStatus::PendingDeletion);
    assert_eq!(account.vendor["markDeleted"], json!(true));
    assert!(account.vendor["markDeletedAt"].is_string());
    let (steps, end, warnings) = steps_of(&client, &account);
    assert_eq!(
        (steps.as_slice(), end),
        ([Step::Disable].as_slice(), EndState::PendingDeletion)
    );
    assert!(warnings.contains("7 days"), "{warnings}");

    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Done
    );
    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Already
    );
    assert_eq!(
        sim.user(&id).map(|u| (u.enabled, u.mark_deleted)),
        Some((false, true))
    );

    // Deleting it anyway: RSA's 409, with no second try.
    calls(sim);
    let err = run(&client, &account, Step::Delete).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.message().contains("User is in pending deletion state."),
        "{err}"
    );
    assert_eq!(err.code(), Some("409 CONFLICT"));
    assert_eq!(calls(sim), [format!("DELETE /{id} 409")]);
    assert!(sim.has_user(&id));
}

async fn a_scim_user_is_disabled_and_its_delete_is_not_allowed(sim: &RsaCasSim) {
    const PERSON: &str = "Scim.Jane@Example.com";
    let id = sim.seed_user(RsaUser::new(PERSON).from_source(RsaIdentitySource::AzureScim));
    let client = client(sim);
    let account = find_one(&client, &email(PERSON)).await;
    assert_eq!(account.managed_by, ManagedBy::Scim);
    let (_, _, warnings) = steps_of(&client, &account);
    assert!(warnings.contains("identity provider"), "{warnings}");

    assert_eq!(
        run(&client, &account, Step::Disable).await.unwrap().outcome,
        StepOutcome::Done
    );
    let err = run(&client, &account, Step::Delete).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowed, "{err}");
    assert!(err.message().contains("identity provider"), "{err}");
    assert_eq!(sim.user_state(&id), Some(RsaUserState::ScimManaged));
    assert_eq!(sim.user(&id).map(|u| u.enabled), Some(false));
}

async fn a_user_re_enabled_after_the_disable_is_disabled_once_more_then_deleted(sim: &RsaCasSim) {
    const PERSON: &str = "Again.Jane@Example.com";
    let id = sim.add_person(PERSON);
    let client = client(sim);
    let account = find_one(&client, &email(PERSON)).await;
    run(&client, &account, Step::Disable).await.unwrap();
    // A directory sync (or a person) enables the user again before the delete.
    assert!(sim.set_user_enabled(&id, true));
    calls(sim);
    let report = run(&client, &account, Step::Delete).await.unwrap();
    assert_eq!((report.outcome, report.attempts), (StepOutcome::Done, 3));
    assert_eq!(
        calls(sim),
        [
            format!("DELETE /{id} 409"),
            format!("PUT /{id}/userStatus 200"),
            format!("DELETE /{id} 200"),
        ]
    );
}

#[tokio::test]
async fn a_directory_resync_bringing_the_user_back_fails_the_verify() {
    let sim = RsaCasSim::start().await.unwrap();
    let id = sim.seed_user(RsaUser::new(JANE).from_source(RsaIdentitySource::Directory));
    sim.set_directory_resync(true);
    let client = client(&sim);
    let account = find_one(&client, &email(JANE)).await;
    run(&client, &account, Step::Disable).await.unwrap();
    run(&client, &account, Step::Delete).await.unwrap();
    let back = sim.user_ids_with_email(JANE);
    assert_eq!(back.len(), 1);
    assert_ne!(back[0], id);
    let err = run(&client, &account, Step::Verify).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains(&back[0]), "{err}");
}

#[tokio::test]
async fn faults_on_the_lookup_and_the_status_change_are_retried_as_on_delete() {
    let sim = RsaCasSim::start().await.unwrap();
    let client = client(&sim);
    for fault in [sim.throttle(0), Fault::status(500, ""), Fault::Drop] {
        let address = format!("jane.{}@example.com", sim.user_count());
        let id = sim.add_person(&address);

        sim.inject(fault.clone(), 1);
        let account = find_one(&client, &email(&address)).await;
        // The status change: the lookup before it is handled, the PUT gets the fault.
        sim.inject(Fault::Delay(std::time::Duration::ZERO), 1);
        sim.inject(fault.clone(), 1);
        let report = run(&client, &account, Step::Disable).await.unwrap();
        assert_eq!(report.outcome, StepOutcome::Done, "{fault:?}");
        assert_eq!(sim.user(&id).map(|u| u.enabled), Some(false), "{fault:?}");

        let lines = calls(&sim);
        let lost = match &fault {
            Fault::Drop => "dropped".to_owned(),
            Fault::Status { status, .. } => status.to_string(),
            _ => unreachable!(),
        };
        assert_eq!(
            lines,
            [
                format!("POST /lookup {lost}"),
                "POST /lookup 200".to_owned(),
                "POST /lookup 200".to_owned(),
                format!("PUT /{id}/userStatus {lost}"),
                format!("PUT /{id}/userStatus 200"),
            ],
            "{fault:?}"
        );
    }

    // A delete whose answer is lost: the retry finds the user gone, and the step says so.
    let id = sim.seed_user(RsaUser::new("lost@example.com").disabled());
    let account = find_one(&client, &email("lost@example.com")).await;
    calls(&sim);
    sim.inject_on_deletes(Fault::DropAfterHandling, 1);
    let report = run(&client, &account, Step::Delete).await.unwrap();
    assert_eq!(report.outcome, StepOutcome::Already);
    assert_eq!(
        calls(&sim),
        [format!("DELETE /{id} dropped"), format!("DELETE /{id} 404")]
    );
}

async fn add_person_seeds_an_enabled_local_user_through_the_simulator_trait(sim: &RsaCasSim) {
    let any: &dyn Simulator = sim;
    let id = any.add_person("Pat.Lee@Example.org");
    let user = sim.user(&id).unwrap();
    assert_eq!(user.email, "Pat.Lee@Example.org");
    assert!(user.enabled && !user.mark_deleted);
    assert_eq!(user.identity_source, RsaIdentitySource::Local);
    assert_eq!(sim.user_state(&id), Some(RsaUserState::Enabled));
}

/// The wire rules by hand, on one simulator.
#[tokio::test]
async fn the_wire_rules_by_hand() {
    let sim = RsaCasSim::start().await.unwrap();
    the_status_change_takes_exactly_one_property_in_rsas_error_shape(&sim).await;
    the_lookup_takes_email_or_username_and_answers_rsas_not_found(&sim).await;
}

/// A good JWT for hand-made requests.
fn jwt(sim: &RsaCasSim) -> String {
    let now = now_secs();
    sign_jwt(
        sim.key_file_json(),
        &json!({"typ": "JWT", "alg": "RS256"}),
        &json!({"sub": sim.access_id(), "aud": sim.base_url(), "iat": now, "exp": now + 600}),
    )
}

async fn the_status_change_takes_exactly_one_property_in_rsas_error_shape(sim: &RsaCasSim) {
    let id = sim.add_person(JANE);
    let token = jwt(sim);
    let http = http();
    let url = format!("{}/v1/users/{id}/userStatus", sim.base_url());
    let put = |body: &str| {
        http.put(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let wrong = json!({"code": "400 BAD_REQUEST", "description": "Wrong number of properties in the request body."});
    for body in [
        r#"{"userStatus":"Disabled","reason":"offboarding"}"#,
        r#"{"userStatus":"Disabled","id":"x"}"#,
        "{}",
    ] {
        let reply = send(put(body)).await;
        assert_eq!((reply.status, &reply.json), (400, &wrong), "{body}");
    }
    for body in [
        r#"{"status":"Disabled"}"#,
        r#"{"userStatus":"disabled"}"#,
        "[]",
    ] {
        let reply = send(put(body)).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json["code"], "400 BAD_REQUEST", "{body}");
    }
    let text = send(
        http.put(&url)
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body(r#"{"userStatus":"Disabled"}"#),
    )
    .await;
    assert_eq!(text.status, 415);
    assert_eq!(
        sim.user(&id).map(|u| u.enabled),
        Some(true),
        "nothing changed"
    );

    let ok = send(put(r#"{"userStatus":"Disabled"}"#)).await;
    assert_eq!(
        (ok.status, ok.json),
        (200, json!({"id": id, "userStatus": "Disabled"}))
    );
    let unknown = send(
        http.put(format!("{}/v1/users/nobody/userStatus", sim.base_url()))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"userStatus":"Disabled"}"#),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.json),
        (
            404,
            json!({"code": "404 NOT_FOUND", "description": "User nobody not found"})
        )
    );
    let unsigned = send(
        http.put(&url)
            .header("content-type", "application/json")
            .body(r#"{"userStatus":"Enabled"}"#),
    )
    .await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(unsigned.json["error"], "Forbidden");
    assert_eq!(
        unsigned.json["path"],
        format!("/AdminInterface/restapi/v1/users/{id}/userStatus")
    );
}

async fn the_lookup_takes_email_or_username_and_answers_rsas_not_found(sim: &RsaCasSim) {
    sim.add_person("Lookup.Me@Example.COM");
    let token = jwt(sim);
    let http = http();
    let lookup = |body: Value| {
        http.post(format!("{}/v1/users/lookup", sim.base_url()))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    let found = send(lookup(
        json!({"email": "lookup.me@example.com", "searchUnsynched": false}),
    ))
    .await;
    assert_eq!(found.status, 200);
    for field in [
        "id",
        "emailAddress",
        "firstName",
        "lastName",
        "creationDate",
        "identitySource",
        "userStatus",
        "markDeleted",
        "highRiskUser",
        "markDeletedAt",
        "principalUsername",
    ] {
        assert!(found.json.get(field).is_some(), "{field}: {}", found.text);
    }
    assert_eq!(found.json["emailAddress"], "Lookup.Me@Example.COM");
    assert_eq!(found.json["userStatus"], "Enabled");

    let missing = send(lookup(json!({"email": "nobody@example.com"}))).await;
    assert_eq!(
        (missing.status, missing.json),
        (
            404,
            json!({"code": "404 NOT_FOUND", "description": "User nobody@example.com not found"})
        )
    );
    for bad in [
        json!({}),
        json!({"searchUnsynched": false}),
        json!({"email": "Lookup.Me@Example.COM", "username": "jane"}),
        json!({"email": "Lookup.Me@Example.COM", "searchUnsynched": "no"}),
        json!({"email": "Lookup.Me@Example.COM", "emailLike": "jane"}),
        json!({"email": ""}),
    ] {
        let reply = send(lookup(bad.clone())).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.json["code"], "400 BAD_REQUEST", "{bad}");
        assert!(reply.json["description"].is_string(), "{bad}");
    }
    let get = send(
        http.get(format!("{}/v1/users/lookup", sim.base_url()))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(get.status, 405);
}
