#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `idp offboard plan | apply | verify` and `idp journal verify` on the built binary against
//! the five simulators: the order of calls on the vendors' side, drift, a tampered plan,
//! protected accounts, `--contain-only`, every exit status, the JSON contract, and no secret
//! in anything printed or written.

mod support;

use std::path::{Path, PathBuf};

use idp_sim::Sims;
use serde_json::Value;
use support::sims::{assert_no_secret, calls, first, secrets_of};
use support::{PROVIDERS, Run, run, sim};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A folder for a test's plan and journal.
fn folder() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

async fn plan(sims: &Sims, dir: &Path, extra: &[&str]) -> (Run, PathBuf) {
    let out = dir.join("plan.json");
    let mut args = strings(&["offboard", "plan", "--out"]);
    args.push(path_arg(&out));
    if !extra.contains(&"--providers") {
        args.extend(strings(&["--providers", "all"]));
    }
    args.extend(strings(extra));
    (run(args, sims.env()).await, out)
}

async fn apply(sims: &Sims, plan: &Path, extra: &[&str]) -> Run {
    let mut args = strings(&["offboard", "apply"]);
    args.push(path_arg(plan));
    args.extend(strings(&["--yes", "--output", "json"]));
    args.extend(strings(extra));
    run(args, sims.env()).await
}

/// One person with `email` in every simulator; returns the ids in PROVIDERS order.
fn seed_person(sims: &Sims, email: &str) -> Vec<String> {
    PROVIDERS
        .iter()
        .map(|p| sim(sims, p).add_person(email))
        .collect()
}

/// The final lines (`"step": null`) of an apply, by provider.
fn finals(run: &Run) -> Vec<(String, String)> {
    run.json_lines()
        .into_iter()
        .filter(|line| line["step"].is_null())
        .map(|line| {
            (
                line["provider"].as_str().unwrap().to_owned(),
                line["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The keys every JSON line of an apply has.
const APPLY_KEYS: [&str; 10] = [
    "email",
    "provider",
    "user_id",
    "step",
    "target",
    "outcome",
    "attempts",
    "elapsed_ms",
    "request_id",
    "error",
];

/// The documented JSON line of an apply: exactly these keys (plus the documented additions).
fn assert_apply_line(line: &Value) {
    let object = line.as_object().expect("an object");
    for key in APPLY_KEYS {
        assert!(object.contains_key(key), "{key} missing in {line}");
    }
    for key in object.keys() {
        assert!(
            APPLY_KEYS.contains(&key.as_str()) || ["task_id", "resumed"].contains(&key.as_str()),
            "unexpected {key} in {line}"
        );
    }
    let outcome = line["outcome"].as_str().unwrap();
    if line["step"].is_null() {
        assert!(
            [
                "offboarded",
                "absent",
                "contained",
                "pending_deletion",
                "managed_elsewhere",
                "drift",
                "protected",
                "failed"
            ]
            .contains(&outcome),
            "{line}"
        );
    } else {
        assert!(
            ["done", "already", "failed", "skipped"].contains(&outcome),
            "{line}"
        );
    }
    assert!(
        line["attempts"].is_u64() && line["elapsed_ms"].is_u64(),
        "{line}"
    );
}

/// Which calls contain and which remove, per vendor, as the simulators label them.
fn containment_and_delete(provider: &str) -> (&'static str, &'static str) {
    match provider {
        "rsa-cas" => ("PUT userStatus", "DELETE user"),
        "cf-access" => ("POST revoke_user", "DELETE user"),
        "onelogin" => ("PUT logout", "DELETE user"),
        "aa-controlroom" => ("PUT user", "DELETE user"),
        _ => ("UpdateUserStatus", "DeleteUser"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_is_offboarded_everywhere_containment_first() {
    let sims = Sims::start().await.unwrap();
    let ids = seed_person(&sims, "Jane.Doe@example.com");
    let dir = folder();

    let (planned, plan_path) = plan(&sims, dir.path(), &["--email", "jane.doe@example.com"]).await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    assert!(plan["digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        planned.stdout.contains("plan written to"),
        "{}",
        planned.stdout
    );
    for sim in sims.all() {
        sim.clear_requests();
    }

    let applied = apply(&sims, &plan_path, &[]).await;
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    for line in applied.json_lines() {
        assert_apply_line(&line);
    }
    let ended = finals(&applied);
    assert_eq!(ended.len(), PROVIDERS.len(), "{ended:?}");
    assert!(ended.iter().all(|(_, o)| o == "offboarded"), "{ended:?}");

    for (provider, id) in PROVIDERS.iter().zip(&ids) {
        let sim = sim(&sims, provider);
        assert!(!sim.has_user(id), "{provider}: {id} still there");
        let calls = calls(sim);
        let (contain, delete) = containment_and_delete(provider);
        let (c, d) = (first(&calls, contain), first(&calls, delete));
        assert!(
            c.is_some() && d.is_some() && c < d,
            "{provider}: {contain} before {delete} in {calls:?}"
        );
    }

    let mut args = strings(&["offboard", "verify"]);
    args.push(path_arg(&plan_path));
    args.extend(strings(&["--output", "json"]));
    let verified = run(args, sims.env()).await;
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    let states: Vec<Value> = verified.json_lines();
    assert_eq!(states.len(), PROVIDERS.len());
    assert!(states.iter().all(|s| s["state"] == "gone"), "{states:?}");

    let journal = dir.path().join("plan.json.journal.jsonl");
    let checked = run(
        vec!["journal".into(), "verify".into(), path_arg(&journal)],
        Vec::new(),
    )
    .await;
    assert_eq!(checked.code, 0, "{}", checked.stdout);
    assert!(checked.stdout.contains("intact"), "{}", checked.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_plan_or_no_yes_is_refused_with_nothing_sent() {
    let sims = Sims::start().await.unwrap();
    seed_person(&sims, "jane@example.com");
    let dir = folder();
    let (planned, plan_path) = plan(&sims, dir.path(), &["--email", "jane@example.com"]).await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    for sim in sims.all() {
        sim.clear_requests();
    }

    let text = std::fs::read_to_string(&plan_path).unwrap();
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, text.replacen("\"verify\"", "\"delete\"", 1)).unwrap();
    let refused = apply(&sims, &tampered, &[]).await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("digest"), "{}", refused.stderr);

    let mut args = strings(&["offboard", "apply"]);
    args.push(path_arg(&plan_path));
    let no_yes = run(args, sims.env()).await;
    assert_eq!(no_yes.code, 2, "{}", no_yes.stderr);
    assert!(no_yes.stderr.contains("--yes"), "{}", no_yes.stderr);

    for sim in sims.all() {
        assert!(
            sim.requests().is_empty(),
            "{}: {:?}",
            sim.vendor(),
            calls(sim)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_and_accounts_gone_since_the_plan_change_nothing() {
    let sims = Sims::start().await.unwrap();
    let ids = seed_person(&sims, "jane@example.com");
    let dir = folder();
    let (planned, plan_path) = plan(&sims, dir.path(), &["--email", "jane@example.com"]).await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    // Control Room: the person's account was replaced by another one since the plan.
    let aa = &sims.aa_controlroom;
    let index = PROVIDERS
        .iter()
        .position(|p| *p == "aa-controlroom")
        .unwrap();
    let old_aa = &ids[index];
    let replacement = aa.add_person("jane@example.com");
    // OneLogin: the account is gone since the plan.
    let index = PROVIDERS.iter().position(|p| *p == "onelogin").unwrap();
    let mut deleted_by_hand = run(strings(&["delete", "onelogin", &ids[index]]), sims.env()).await;
    assert_eq!(deleted_by_hand.code, 0, "{}", deleted_by_hand.stderr);
    deleted_by_hand.stdout.clear();
    for sim in sims.all() {
        sim.clear_requests();
    }

    let applied = apply(&sims, &plan_path, &[]).await;

    assert_eq!(applied.code, 1, "{}", applied.stdout);
    let ended = finals(&applied);
    assert!(
        ended.contains(&("aa-controlroom".into(), "drift".into())),
        "{ended:?}"
    );
    assert!(
        ended.contains(&("onelogin".into(), "absent".into())),
        "{ended:?}"
    );
    assert!(aa.has_user(old_aa) && aa.has_user(&replacement));
    let aa_calls = calls(aa);
    assert!(
        !aa_calls
            .iter()
            .any(|c| c == "PUT user" || c == "DELETE user"),
        "{aa_calls:?}"
    );
    for line in applied.json_lines() {
        assert_apply_line(&line);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_accounts_get_no_step() {
    let sims = Sims::start().await.unwrap();
    let boss = seed_person(&sims, "root@example.com");
    let jane = seed_person(&sims, "jane@example.com");
    let dir = folder();
    let protect = dir.path().join("protect.txt");
    let cf = PROVIDERS.iter().position(|p| *p == "cf-access").unwrap();
    std::fs::write(
        &protect,
        format!("# break-glass\nROOT@example.com\ncf-access:{}\n", jane[cf]),
    )
    .unwrap();
    let mut extra = strings(&[
        "--email",
        "root@example.com",
        "--email",
        "jane@example.com",
        "--protect",
    ]);
    extra.push(path_arg(&protect));
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let (planned, plan_path) = plan(&sims, dir.path(), &extra).await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);

    let applied = apply(&sims, &plan_path, &[]).await;

    assert_eq!(applied.code, 0, "{}", applied.stdout);
    for (provider, id) in PROVIDERS.iter().zip(&boss) {
        assert!(
            sim(&sims, provider).has_user(id),
            "{provider}: protected root removed"
        );
    }
    assert!(
        sims.cf_access.has_user(&jane[cf]),
        "protected cf-access account removed"
    );
    let protected = finals(&applied)
        .into_iter()
        .filter(|(_, o)| o == "protected")
        .count();
    assert_eq!(protected, PROVIDERS.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contain_only_stops_after_containment_and_a_later_apply_finishes() {
    let sims = Sims::start().await.unwrap();
    let ids = seed_person(&sims, "jane@example.com");
    let dir = folder();
    let (planned, plan_path) = plan(&sims, dir.path(), &["--email", "jane@example.com"]).await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);

    let contained = apply(&sims, &plan_path, &["--contain-only"]).await;
    assert_eq!(contained.code, 0, "{}", contained.stdout);
    assert!(
        finals(&contained).iter().all(|(_, o)| o == "contained"),
        "{:?}",
        finals(&contained)
    );
    for (provider, id) in PROVIDERS.iter().zip(&ids) {
        let sim = sim(&sims, provider);
        assert!(sim.has_user(id), "{provider}: deleted under --contain-only");
        let (contain, delete) = containment_and_delete(provider);
        let calls = calls(sim);
        assert!(first(&calls, contain).is_some(), "{provider}: {calls:?}");
        assert!(first(&calls, delete).is_none(), "{provider}: {calls:?}");
    }

    let finished = apply(&sims, &plan_path, &[]).await;
    assert_eq!(finished.code, 0, "{}", finished.stdout);
    assert!(finals(&finished).iter().all(|(_, o)| o == "offboarded"));
    let resumed = finished
        .json_lines()
        .into_iter()
        .filter(|l| l["resumed"] == true)
        .count();
    assert_eq!(resumed, PROVIDERS.len(), "containment is not sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_and_absent_people_and_their_exit_statuses() {
    let sims = Sims::start().await.unwrap();
    seed_person(&sims, "jane@example.com");
    sims.cf_access.add_person("twin@example.com");
    sims.cf_access.add_person("TWIN@example.com");
    let dir = folder();

    let (absent, absent_plan) = plan(&sims, dir.path(), &["--email", "nobody@example.com"]).await;
    assert_eq!(
        absent.code, 0,
        "absent everywhere is resolved: {}",
        absent.stderr
    );
    let applied = apply(&sims, &absent_plan, &[]).await;
    assert_eq!(applied.code, 0, "{}", applied.stdout);
    assert!(finals(&applied).iter().all(|(_, o)| o == "absent"));

    // A new plan written over the old one cannot reuse the old plan's journal…
    let (_, replanned) = plan(&sims, dir.path(), &["--email", "jane@example.com"]).await;
    let refused = apply(&sims, &replanned, &[]).await;
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("another plan"),
        "{}",
        refused.stderr
    );

    // …so the ambiguous person gets a folder of its own.
    let other = folder();
    let (ambiguous, ambiguous_plan) = plan(
        &sims,
        other.path(),
        &["--email", "twin@example.com", "--providers", "cf-access"],
    )
    .await;
    assert_eq!(ambiguous.code, 1, "{}", ambiguous.stdout);
    assert!(
        ambiguous.stdout.contains("ambiguous"),
        "{}",
        ambiguous.stdout
    );
    let applied = apply(&sims, &ambiguous_plan, &[]).await;
    assert_eq!(applied.code, 1, "{}\n{}", applied.stdout, applied.stderr);
    assert_eq!(
        finals(&applied),
        vec![("cf-access".into(), "failed".into())]
    );
    assert!(sims.cf_access.user_count() >= 2);

    let usage = run(
        strings(&["offboard", "plan", "--email", "not an email"]),
        sims.env(),
    )
    .await;
    assert_eq!(usage.code, 2, "{}", usage.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_verify_catches_an_edited_a_deleted_and_a_reordered_line() {
    let sims = Sims::start().await.unwrap();
    seed_person(&sims, "jane@example.com");
    let dir = folder();
    let (_, plan_path) = plan(&sims, dir.path(), &["--email", "jane@example.com"]).await;
    let applied = apply(&sims, &plan_path, &[]).await;
    assert_eq!(applied.code, 0, "{}", applied.stdout);
    let journal = dir.path().join("plan.json.journal.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(lines.len() > 6);

    let edited = {
        let mut l = lines.clone();
        l[3] = l[3]
            .replacen("\"done\"", "\"failed\"", 1)
            .replacen("\"intent\"", "\"outcome\"", 1);
        l[3].push(' ');
        l
    };
    let deleted = {
        let mut l = lines.clone();
        l.remove(4);
        l
    };
    let reordered = {
        let mut l = lines.clone();
        l.swap(2, 3);
        l
    };
    let unclosed = lines[..lines.len() - 1].to_vec();
    for (what, content) in [
        ("edited", edited),
        ("deleted", deleted),
        ("reordered", reordered),
        ("unclosed", unclosed),
    ] {
        let file = dir.path().join(format!("{what}.jsonl"));
        std::fs::write(&file, content.join("\n") + "\n").unwrap();
        let checked = run(
            vec!["journal".into(), "verify".into(), path_arg(&file)],
            Vec::new(),
        )
        .await;
        assert_eq!(checked.code, 1, "{what}: {}", checked.stdout);
        assert!(
            !checked.stdout.contains("intact"),
            "{what}: {}",
            checked.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_the_plan_the_journal_or_anything_printed_at_full_verbosity() {
    let sims = Sims::start().await.unwrap();
    seed_person(&sims, "jane@example.com");
    let dir = folder();
    let mut env = sims.env();
    env.push(("RUST_LOG", "trace".into()));
    let plan_path = dir.path().join("plan.json");
    let mut args = strings(&["-vvv", "offboard", "plan", "--providers", "all", "--email"]);
    args.push("jane@example.com".into());
    args.push("--out".into());
    args.push(path_arg(&plan_path));
    let planned = run(args, env.clone()).await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let mut args = strings(&["-vvv", "offboard", "apply", "--yes"]);
    args.push(path_arg(&plan_path));
    let applied = run(args, env.clone()).await;
    assert_eq!(applied.code, 0, "{}", applied.stdout);
    let mut args = strings(&["-vvv", "offboard", "verify"]);
    args.push(path_arg(&plan_path));
    let verified = run(args, env).await;

    let plan = std::fs::read_to_string(&plan_path).unwrap();
    let journal = std::fs::read_to_string(dir.path().join("plan.json.journal.jsonl")).unwrap();
    let secrets = secrets_of(&sims);
    assert!(secrets.len() >= 5, "{}", secrets.len());
    assert_no_secret(
        [
            ("plan", plan.as_str()),
            ("journal", journal.as_str()),
            ("plan stdout", planned.stdout.as_str()),
            ("plan stderr", planned.stderr.as_str()),
            ("apply stdout", applied.stdout.as_str()),
            ("apply stderr", applied.stderr.as_str()),
            ("verify stdout", verified.stdout.as_str()),
            ("verify stderr", verified.stderr.as_str()),
        ],
        &secrets,
    );
}
