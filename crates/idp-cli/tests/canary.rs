#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Credentials never leave the process except to their own vendor: a canary scan of stdout
//! and stderr over every CLI path at -vvv with `RUST_LOG=trace` (success, absent, each
//! failure kind, conflicts, dry run, invalid ids, refused credentials, STS signature errors,
//! configuration errors, and trace logging forced on for the HTTP crates), and a redirect to
//! another host (a listener on 127.0.0.2) that must receive no connection from any vendor's
//! delete, token request or login.

mod support;

use std::net::TcpListener;
use std::time::Duration;

use idp_sim::{AlibabaCloudSsoSim, Blocker, Fault, RsaUserState, Sims, Simulator};
use support::{PROVIDERS, Run, run, sim};

fn args(provider: &str, extra: &[&str]) -> Vec<String> {
    ["delete", provider, "-vvv"]
        .iter()
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect()
}

fn with_log(mut env: Vec<(&'static str, String)>, filter: &str) -> Vec<(&'static str, String)> {
    env.push(("RUST_LOG", filter.to_owned()));
    env
}

/// `env` with each variable whose name contains one of `names` replaced by the canary.
fn replaced(
    env: Vec<(&'static str, String)>,
    names: &[&str],
    canary: &str,
) -> Vec<(&'static str, String)> {
    env.into_iter()
        .map(|(name, value)| {
            if names.iter().any(|n| name.contains(n)) {
                (name, canary.to_owned())
            } else {
                (name, value)
            }
        })
        .collect()
}

/// Every credential the simulators hold or received.
fn sim_secrets(sims: &Sims, sts: &AlibabaCloudSsoSim) -> Vec<String> {
    let mut env = sims.env();
    env.extend(sts.env());
    let mut secrets: Vec<String> = env
        .into_iter()
        .filter(|(name, _)| {
            ["TOKEN", "SECRET", "API_KEY", "PASSWORD"]
                .iter()
                .any(|w| name.contains(w))
        })
        .map(|(_, value)| value)
        .collect();
    let key: serde_json::Value = serde_json::from_str(sims.rsa_cas.key_file_json()).unwrap();
    secrets.extend(
        key["accessKey"]
            .as_str()
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .map(str::to_owned),
    );
    let mut all: Vec<&dyn Simulator> = sims.all().to_vec();
    all.push(sts);
    for sim in all {
        for request in sim.requests() {
            for name in ["authorization", "x-authorization", "x-auth-key"] {
                if let Some(value) = request.header(name) {
                    let token = value.rsplit([' ', ':']).next().unwrap_or(value);
                    if token.len() >= 16 {
                        secrets.push(token.to_owned());
                    }
                }
            }
            if let Some(token) = request.param("SecurityToken") {
                secrets.push(token);
            }
            if let Some(signature) = request.param("Signature") {
                secrets.push(signature);
            }
        }
    }
    secrets.sort();
    secrets.dedup();
    secrets
}

/// Every CLI path of one provider, at -vvv with RUST_LOG=trace.
async fn provider_paths(sims: &Sims, provider: &'static str, canary: &str) -> Vec<(String, Run)> {
    let mut outputs: Vec<(String, Run)> = Vec::new();
    let sim = sim(sims, provider);
    let env = with_log(sim.env(), "trace");
    let ids = sim.add_users(2);
    let absent = match provider {
        "onelogin" | "aa-controlroom" => "999999",
        "cf-access" => "6f1c2a9e-0000-4000-8000-000000000000",
        "alibaba-cloudsso" => "u-nosuchuser0",
        _ => "no-such-user",
    };

    // Deleted and absent, text output; then -vvv alone, and trace forced on for the HTTP
    // crates (the CLI holds them at info: their traces can dump headers).
    for (label, env) in [
        ("success", env.clone()),
        ("-vvv only", sim.env()),
        (
            "http crates at trace",
            with_log(
                sim.env(),
                "trace,hyper=trace,hyper_util=trace,reqwest=trace,rustls=trace,h2=trace",
            ),
        ),
    ] {
        let id = sim.add_users(1).remove(0);
        let out = run(args(provider, &["--", &id, absent]), env).await;
        assert_eq!(out.code, 0, "{provider} {label}: {}", out.stderr);
        outputs.push((format!("{provider} {label}"), out));
    }

    // Each failure kind in one run, one id after the other.
    let faults = [
        Fault::Html { status: 503 },
        Fault::Drop,
        Fault::Delay(Duration::from_millis(4500)),
        Fault::Redirect {
            location: "http://127.0.0.2:9/x".into(),
        },
        Fault::Truncated { status: 200 },
        sim.throttle(1),
        Fault::LargeBody {
            status: 502,
            bytes: 2 << 20,
        },
        Fault::Html { status: 404 },
    ];
    let failing = sim.add_users(faults.len());
    for fault in faults {
        sim.inject_on_deletes(fault, 1);
    }
    let mut extra = vec![
        "--concurrency",
        "1",
        "--max-retries",
        "0",
        "--timeout",
        "2",
        "--",
    ];
    extra.extend(failing.iter().map(String::as_str));
    let out = run(args(provider, &extra), env.clone()).await;
    assert_eq!(out.code, 1, "{provider} failures: {}", out.stderr);
    let summary = format!("0 deleted, 0 absent, {} failed", failing.len());
    assert!(out.stdout.contains(&summary), "{provider}: {}", out.stdout);
    outputs.push((format!("{provider} failure kinds"), out));

    // Dry run, and ids refused before any request (text and JSON).
    for extra in [
        vec!["--dry-run", "--", &ids[0], &ids[1]],
        vec!["--", "a\u{7}b", "", "../../x\n"],
        vec!["--output", "json", "--", "a\u{7}b", "", "../../x\n"],
    ] {
        let out = run(args(provider, &extra), env.clone()).await;
        outputs.push((format!("{provider} {extra:?}"), out));
    }

    // Refused credentials: the canary in place of each secret.
    let wrong = replaced(
        sim.env(),
        &["SECRET", "API_KEY", "API_TOKEN", "PASSWORD"],
        canary,
    );
    if provider != "rsa-cas" {
        let id = sim.add_users(1).remove(0);
        let out = run(
            args(provider, &["--max-retries", "0", "--", &id]),
            with_log(wrong.clone(), "trace"),
        )
        .await;
        assert_eq!(out.code, 1, "{provider} wrong credentials: {}", out.stderr);
        assert!(
            out.stdout.contains("unauthenticated"),
            "{provider}: {}",
            out.stdout
        );
        outputs.push((format!("{provider} wrong credentials"), out));
    }

    // Configuration errors with the canary secrets in the environment.
    let broken_url = match provider {
        "rsa-cas" => ("RSA_CAS_BASE_URL", "http://cas.example.com"),
        "cf-access" => ("CLOUDFLARE_BASE_URL", "http://api.example.com"),
        "onelogin" => ("ONELOGIN_BASE_URL", "not a url"),
        "aa-controlroom" => ("AA_CONTROL_ROOM_URL", "ftp://cr.example.com"),
        _ => (
            "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT",
            "https://x.example.com/?a=1",
        ),
    };
    let mut bad = wrong.clone();
    bad.retain(|(n, _)| *n != broken_url.0);
    bad.push((broken_url.0, broken_url.1.to_owned()));
    let out = run(args(provider, &["--", "1"]), with_log(bad, "trace")).await;
    assert_eq!(out.code, 2, "{provider} bad URL: {}", out.stderr);
    outputs.push((format!("{provider} config error"), out));
    outputs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_canary_on_any_cli_path_at_full_verbosity() {
    let sims = Sims::start().await.unwrap();
    let sts = AlibabaCloudSsoSim::start_sts().await.unwrap();
    let canary = "CANARY-cli-3b9e1d7a40";
    let mut outputs: Vec<(String, Run)> = Vec::new();

    let paths = futures_util::future::join_all(
        PROVIDERS.map(|provider| provider_paths(&sims, provider, canary)),
    )
    .await;
    outputs.extend(paths.into_iter().flatten());

    // Conflicts carry the vendor's reason, and nothing else.
    let enabled = sims.rsa_cas.add_user_in_state("", RsaUserState::Enabled);
    let out = run(
        args("rsa-cas", &["--", &enabled]),
        with_log(sims.rsa_cas.env(), "trace"),
    )
    .await;
    assert!(out.stdout.contains("conflict"), "{}", out.stdout);
    outputs.push(("rsa-cas conflict".into(), out));
    let blocked = sims
        .alibaba_cloudsso
        .add_user_with_blockers("", &[Blocker::AccessAssignment]);
    let out = run(
        args("alibaba-cloudsso", &["--", &blocked]),
        with_log(sims.alibaba_cloudsso.env(), "trace"),
    )
    .await;
    assert!(out.stdout.contains("conflict"), "{}", out.stdout);
    outputs.push(("alibaba-cloudsso conflict".into(), out));

    // STS credentials: a wrong secret makes the server echo its string to sign, which holds
    // the security token; a wrong token is refused by name.
    for (label, env) in [
        (
            "STS wrong secret",
            replaced(sts.env(), &["ACCESS_KEY_SECRET"], canary),
        ),
        (
            "STS wrong token",
            replaced(sts.env(), &["SECURITY_TOKEN"], canary),
        ),
        ("STS deleted", sts.env()),
    ] {
        let id = sts.add_users(1).remove(0);
        let out = run(
            args("alibaba-cloudsso", &["--max-retries", "0", "--", &id]),
            with_log(env, "trace"),
        )
        .await;
        outputs.push((label.into(), out));
    }

    let mut secrets = sim_secrets(&sims, &sts);
    secrets.push(canary.to_owned());
    assert!(secrets.len() >= 20, "too few canaries: {}", secrets.len());
    for (label, out) in &outputs {
        assert!(
            !out.stderr.is_empty(),
            "{label}: -vvv printed nothing on stderr"
        );
        for secret in &secrets {
            assert!(
                !out.stdout.contains(secret.as_str()),
                "{label}: a secret on stdout:\n{}",
                out.stdout
            );
            assert!(
                !out.stderr.contains(secret.as_str()),
                "{label}: a secret on stderr:\n{}",
                out.stderr
            );
        }
        for marker in ["PRIVATE KEY", "panicked"] {
            assert!(
                !out.stderr.contains(marker),
                "{label}: {marker}\n{}",
                out.stderr
            );
        }
    }
}

/// How many connections are waiting on `listener` (non-blocking): a connection completes its
/// handshake in the kernel's backlog even if nobody accepts it.
fn pending_connections(listener: &TcpListener) -> usize {
    let mut count = 0;
    while listener.accept().is_ok() {
        count += 1;
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_another_host_get_no_connection_from_the_cli() {
    let sims = Sims::start().await.unwrap();
    let other = TcpListener::bind("127.0.0.2:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let target = format!("http://{}/steal", other.local_addr().unwrap());
    let redirects = [
        Fault::Redirect {
            location: target.clone(),
        },
        Fault::status(307, "").with_header("location", target.clone()),
        Fault::status(308, "").with_header("location", target),
    ];
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        let auth_too = matches!(provider, "onelogin" | "aa-controlroom");
        for fault in &redirects {
            // On the delete (after the token request or login, which deletes do not fault).
            sim.inject_on_deletes(fault.clone(), 1);
            let fresh = sim.add_users(1).remove(0);
            let out = run(
                args(
                    provider,
                    &["--output", "json", "--concurrency", "1", "--", &fresh],
                ),
                sim.env(),
            )
            .await;
            assert_eq!(out.code, 1, "{provider} {fault:?}: {}", out.stderr);
            let line = &out.json_lines()[0];
            assert_eq!(line["error"]["kind"], "protocol", "{provider}: {line}");
            assert_eq!(line["attempts"], 1, "{provider}: {line}");
            assert!(sim.has_user(&fresh), "{provider}");

            // On the token request or the login.
            if auth_too {
                let id = sim.add_users(1).remove(0);
                sim.inject(fault.clone(), 1);
                let out = run(args(provider, &["--output", "json", "--", &id]), sim.env()).await;
                assert_eq!(out.code, 1, "{provider} auth {fault:?}: {}", out.stderr);
                let line = &out.json_lines()[0];
                assert_eq!(line["error"]["kind"], "protocol", "{provider}: {line}");
                assert!(sim.has_user(&id), "{provider}");
            }
        }
    }
    assert_eq!(
        pending_connections(&other),
        0,
        "the redirect's host was contacted"
    );
}
