#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The built binary against every vendor's simulator: deleted, absent, failed with each error
//! kind, bulk from stdin with one login, dry run, exit codes, JSON shape, and a secret canary
//! scan of everything printed at -vvv.

mod support;

use std::time::Duration;

use idp_sim::{Fault, Sims};
use support::sims::secrets_of;
use support::{PROVIDERS, assert_json_shape, run_with_stdin as run, sim};

fn args(provider: &str, extra: &[&str]) -> Vec<String> {
    ["delete", provider, "--output", "json"]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

fn absent_id(provider: &str) -> &'static str {
    match provider {
        "onelogin" | "aa-controlroom" => "999999",
        "cf-access" => "6f1c2a9e-0000-4000-8000-000000000000",
        "alibaba-cloudsso" => "u-nosuchuser0",
        _ => "no-such-user",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_and_absent_for_every_provider() {
    let sims = Sims::start().await.unwrap();
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        let ids = sim.add_users(2);
        let mut extra: Vec<&str> = ids.iter().map(String::as_str).collect();
        extra.push(absent_id(provider));
        let out = run(args(provider, &extra), sim.env(), String::new()).await;
        assert_eq!(out.code, 0, "{provider}: {}", out.stderr);
        let lines = out.json_lines();
        lines.iter().for_each(assert_json_shape);
        let outcomes: Vec<_> = lines
            .iter()
            .map(|l| l["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(
            outcomes.iter().filter(|o| **o == "deleted").count(),
            2,
            "{provider}"
        );
        assert_eq!(
            outcomes.iter().filter(|o| **o == "absent").count(),
            1,
            "{provider}"
        );
        assert!(lines.iter().all(|l| l["provider"] == provider));
        assert_eq!(sim.user_count(), 0, "{provider}");
    }
}

/// One failing case: a fault on every delete, the flags, and the kind it must end as.
async fn expect_failure(
    sims: &Sims,
    provider: &str,
    fault: Option<Fault>,
    extra: &[&str],
    env: Vec<(&'static str, String)>,
    kind: &str,
) -> serde_json::Value {
    let sim = sim(sims, provider);
    let id = sim.add_users(1).remove(0);
    // Exactly one attempt is made (--max-retries 0), so exactly one fault is consumed.
    if let Some(fault) = fault {
        sim.inject_on_deletes(fault, 1);
    }
    let mut all: Vec<&str> = vec![id.as_str(), "--max-retries", "0"];
    all.extend(extra);
    let out = run(args(provider, &all), env, String::new()).await;
    assert_eq!(out.code, 1, "{provider} {kind}: {}", out.stderr);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1);
    assert_json_shape(&lines[0]);
    assert_eq!(lines[0]["outcome"], "failed", "{provider} {kind}");
    assert_eq!(lines[0]["error"]["kind"], kind, "{provider}: {}", lines[0]);
    lines[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_kind_fails_with_exit_1() {
    let sims = Sims::start().await.unwrap();
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        let env = sim.env();
        let throttle = sim.throttle(1);
        expect_failure(
            &sims,
            provider,
            Some(throttle),
            &[],
            env.clone(),
            "rate_limited",
        )
        .await;
        expect_failure(
            &sims,
            provider,
            Some(Fault::Html { status: 503 }),
            &[],
            env.clone(),
            "server",
        )
        .await;
        expect_failure(
            &sims,
            provider,
            Some(Fault::Drop),
            &[],
            env.clone(),
            "transport",
        )
        .await;
        let location = "http://127.0.0.2:9/elsewhere".to_string();
        expect_failure(
            &sims,
            provider,
            Some(Fault::Redirect { location }),
            &[],
            env.clone(),
            "protocol",
        )
        .await;
        let slow = Fault::Delay(Duration::from_secs(3));
        expect_failure(
            &sims,
            provider,
            Some(slow),
            &["--timeout", "1"],
            env.clone(),
            "timeout",
        )
        .await;

        // An id no vendor accepts: refused before any request.
        let before = sim.deletes_received();
        let long = "x".repeat(400);
        let out = run(args(provider, &[&long]), env.clone(), String::new()).await;
        assert_eq!(out.code, 1, "{provider}");
        let line = &out.json_lines()[0];
        assert_eq!(line["error"]["kind"], "invalid_input", "{provider}");
        assert_eq!(line["attempts"], 0);
        assert_eq!(
            sim.deletes_received(),
            before,
            "{provider}: a request was sent"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_conflicts() {
    let sims = Sims::start().await.unwrap();
    let wrong = |mut env: Vec<(&'static str, String)>, var: &str| {
        for (name, value) in env.iter_mut() {
            if *name == var {
                value.push_str("-wrong");
            }
        }
        env
    };
    for (provider, var) in [
        ("cf-access", "CLOUDFLARE_API_TOKEN"),
        ("onelogin", "ONELOGIN_CLIENT_SECRET"),
        ("aa-controlroom", "AA_API_KEY"),
        ("alibaba-cloudsso", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ] {
        let env = wrong(sim(&sims, provider).env(), var);
        let line = expect_failure(&sims, provider, None, &[], env, "unauthenticated").await;
        assert!(line["error"]["status"].is_u64(), "{line}");
    }

    let enabled = sims
        .rsa_cas
        .add_user_in_state("enabled-1", idp_sim::RsaUserState::Enabled);
    let scim = sims
        .rsa_cas
        .add_user_in_state("scim-1", idp_sim::RsaUserState::ScimManaged);
    let out = run(
        args("rsa-cas", &[&enabled, &scim]),
        sims.rsa_cas.env(),
        String::new(),
    )
    .await;
    assert_eq!(out.code, 1);
    let lines = out.json_lines();
    let kind_of = |id: &str| {
        lines.iter().find(|l| l["user_id"] == id).unwrap()["error"]["kind"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(kind_of(&enabled), "conflict");
    assert_eq!(kind_of(&scim), "not_allowed");

    let blocked = sims
        .alibaba_cloudsso
        .add_user_with_blockers("u-grouped", &[idp_sim::Blocker::Group]);
    let out = run(
        args("alibaba-cloudsso", &[&blocked]),
        sims.alibaba_cloudsso.env(),
        String::new(),
    )
    .await;
    let line = &out.json_lines()[0];
    assert_eq!(line["error"]["kind"], "conflict");
    assert!(
        line["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("DeletionConflict.User")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_from_stdin_logs_in_once() {
    let sims = Sims::start().await.unwrap();
    for provider in ["onelogin", "aa-controlroom"] {
        let sim = sim(&sims, provider);
        let ids = sim.add_users(60);
        let stdin = format!("# leavers\n\n{}\n", ids.join("\n  "));
        let out = run(
            args(provider, &["--from", "-", "--concurrency", "16"]),
            sim.env(),
            stdin,
        )
        .await;
        assert_eq!(out.code, 0, "{provider}: {}", out.stderr);
        let lines = out.json_lines();
        assert_eq!(lines.len(), 60);
        assert!(lines.iter().all(|l| l["outcome"] == "deleted"));
    }
    assert_eq!(sims.onelogin.token_requests(), 1);
    assert_eq!(sims.aa_controlroom.logins(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_no_delete() {
    let sims = Sims::start().await.unwrap();
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        let ids = sim.add_users(3);
        let extra: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .chain(["--dry-run"])
            .collect();
        let out = run(args(provider, &extra), sim.env(), String::new()).await;
        assert_eq!(out.code, 0, "{provider}: {}", out.stderr);
        assert!(out.json_lines().iter().all(|l| l["outcome"] == "skipped"));
        assert_eq!(sim.deletes_received(), 0, "{provider}");
        assert_eq!(sim.user_count(), 3, "{provider}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_anything_printed_at_full_verbosity() {
    let sims = Sims::start().await.unwrap();
    let mut outputs = Vec::new();
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        let mut env = sim.env();
        env.push(("RUST_LOG", "trace".into()));
        let ids = sim.add_users(2);
        sim.inject_on_deletes(sim.throttle(1), 1);
        for extra in [
            vec![
                ids[0].as_str(),
                ids[1].as_str(),
                absent_id(provider),
                "-vvv",
            ],
            vec![ids[0].as_str(), "-vvv", "--dry-run"],
            vec!["-vvv", "--output", "text", "x\u{7}bad"],
        ] {
            let out = run(args(provider, &extra), env.clone(), String::new()).await;
            outputs.push((provider, out.stdout, out.stderr));
        }
        // A failing login or signature at full verbosity too.
        let wrong: Vec<_> = env
            .iter()
            .map(|(n, v)| {
                (
                    *n,
                    if n.contains("SECRET") || n.contains("API_KEY") || n.contains("API_TOKEN") {
                        format!("{v}x")
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        let id = sim.add_users(1).remove(0);
        let out = run(
            args(provider, &[&id, "-vvv", "--max-retries", "0"]),
            wrong,
            String::new(),
        )
        .await;
        outputs.push((provider, out.stdout, out.stderr));
    }
    let secrets = secrets_of(&sims);
    assert!(
        secrets.len() >= 8,
        "the canary list is too short: {}",
        secrets.len()
    );
    for (provider, stdout, stderr) in &outputs {
        assert!(!stderr.is_empty(), "{provider}: -vvv printed no log");
        for secret in &secrets {
            assert!(
                !stdout.contains(secret.as_str()),
                "{provider} printed a secret on stdout"
            );
            assert!(
                !stderr.contains(secret.as_str()),
                "{provider} printed a secret on stderr:\n{stderr}"
            );
        }
        assert!(!stderr.contains("PRIVATE KEY"));
    }
}
