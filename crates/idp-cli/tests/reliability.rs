#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]
//! The built binary under faults, hostile ids, broken configuration and a 200 MB error body,
//! against every vendor's simulator: each id ends in its documented outcome with a bounded
//! number of attempts, the exit status says whether anything failed, and nothing printed at
//! -vvv holds a credential.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use idp_sim::{Fault, Sims, Simulator};
use support::{PROVIDERS, Run, assert_json_shape, idp, run, sim};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Every credential a run could print: the simulators' secrets, the RSA private key's lines,
/// and every token the clients sent.
fn secrets_of(sims: &Sims) -> Vec<String> {
    let mut secrets: Vec<String> = sims
        .env()
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
    for sim in sims.all() {
        for request in sim.requests() {
            for name in ["authorization", "x-authorization"] {
                if let Some(value) = request.header(name) {
                    let token = value.rsplit([' ', ':']).next().unwrap_or(value);
                    if token.len() >= 16 {
                        secrets.push(token.to_owned());
                    }
                }
            }
        }
    }
    secrets
}

/// One id's faults (queued for its delete requests, in order) and how it must end.
struct Case {
    faults: Vec<Fault>,
    outcome: &'static str,
    kind: Option<&'static str>,
    attempts: u64,
}

fn case(
    faults: Vec<Fault>,
    outcome: &'static str,
    kind: Option<&'static str>,
    attempts: u64,
) -> Case {
    Case {
        faults,
        outcome,
        kind,
        attempts,
    }
}

fn status(code: u16) -> Fault {
    Fault::status(code, r#"{"message":"injected failure"}"#)
}

/// With `--max-retries 1 --timeout 2 --concurrency 1`, ids are deleted one after the other,
/// each taking exactly its faults.
fn cases(sim: &dyn Simulator) -> Vec<Case> {
    let failed = "failed";
    vec![
        case(vec![status(500), status(500)], failed, Some("server"), 2),
        case(vec![status(502), status(503)], failed, Some("server"), 2),
        case(vec![status(504), status(504)], failed, Some("server"), 2),
        case(
            vec![Fault::Html { status: 502 }, Fault::Html { status: 503 }],
            failed,
            Some("server"),
            2,
        ),
        case(vec![Fault::Drop, Fault::Drop], failed, Some("transport"), 2),
        case(
            vec![Fault::Truncated { status: 200 }; 2],
            failed,
            Some("transport"),
            2,
        ),
        case(
            vec![Fault::Delay(Duration::from_millis(4500)); 2],
            failed,
            Some("timeout"),
            2,
        ),
        case(
            vec![Fault::Redirect {
                location: "http://127.0.0.2:9/elsewhere".into(),
            }],
            failed,
            Some("protocol"),
            1,
        ),
        case(
            vec![Fault::Html { status: 404 }],
            failed,
            Some("protocol"),
            1,
        ),
        case(
            vec![
                Fault::LargeBody {
                    status: 500,
                    bytes: 4 << 20
                };
                2
            ],
            failed,
            Some("server"),
            2,
        ),
        case(
            vec![sim.throttle(1), sim.throttle(1)],
            failed,
            Some("rate_limited"),
            2,
        ),
        // Deleted, but the answer was lost: the retry finds the user gone.
        case(vec![Fault::DropAfterHandling], "absent", None, 2),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_end_in_their_documented_outcome_and_exit_status() {
    let sims = Sims::start().await.unwrap();
    let runs = futures_util::future::join_all(PROVIDERS.map(|provider| {
        let sims = &sims;
        async move {
            let sim = sim(sims, provider);
            let cases = cases(sim);
            let ids = sim.add_users(cases.len());
            for case in &cases {
                for fault in &case.faults {
                    sim.inject_on_deletes(fault.clone(), 1);
                }
            }
            let mut env = sim.env();
            env.push(("RUST_LOG", "trace".into()));
            let mut args = strings(&[
                "delete",
                provider,
                "--output",
                "json",
                "-vvv",
                "--concurrency",
                "1",
                "--max-retries",
                "1",
                "--timeout",
                "2",
                "--",
            ]);
            args.extend(ids.iter().cloned());
            let out = run(args, env).await;
            (provider, cases, ids, out, sim.deletes_received())
        }
    }))
    .await;

    for (provider, cases, ids, out, received) in &runs {
        assert_eq!(out.code, 1, "{provider}: {}", out.stderr);
        let lines = out.json_lines();
        assert_eq!(lines.len(), ids.len(), "{provider}: {}", out.stdout);
        for ((case, id), line) in cases.iter().zip(ids).zip(&lines) {
            assert_json_shape(line);
            let context = format!("{provider} {:?}: {line}", case.faults[0]);
            assert_eq!(line["user_id"], id.as_str(), "{context}");
            assert_eq!(line["outcome"], case.outcome, "{context}");
            assert_eq!(line["attempts"], case.attempts, "{context}");
            match case.kind {
                Some(kind) => assert_eq!(line["error"]["kind"], kind, "{context}"),
                None => assert!(line["error"].is_null(), "{context}"),
            }
        }
        let expected: u64 = cases.iter().map(|c| c.attempts).sum();
        assert_eq!(
            *received as u64, expected,
            "{provider}: delete requests received"
        );
    }

    let secrets = secrets_of(&sims);
    assert!(secrets.len() >= 10, "{}", secrets.len());
    for (provider, _, _, out, _) in &runs {
        assert!(
            out.stderr.contains("TRACE") || out.stderr.contains("DEBUG"),
            "{provider}: no log"
        );
        for secret in &secrets {
            assert!(
                !out.stdout.contains(secret.as_str()),
                "{provider}: a secret on stdout"
            );
            assert!(
                !out.stderr.contains(secret.as_str()),
                "{provider}: a secret on stderr:\n{}",
                out.stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_absent_and_a_wrong_base_url_is_never_absent() {
    let sims = Sims::start().await.unwrap();
    // The delete happened, its answer was lost, the retry finds the user gone: absent, and
    // the run succeeds.
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        let id = sim.add_users(1).remove(0);
        sim.inject_on_deletes(Fault::DropAfterHandling, 1);
        let args = strings(&["delete", provider, "--output", "json", "--", &id]);
        let out = run(args, sim.env()).await;
        assert_eq!(out.code, 0, "{provider}: {}", out.stderr);
        let line = &out.json_lines()[0];
        assert_eq!(line["outcome"], "absent", "{provider}: {line}");
        assert_eq!(line["attempts"], 2, "{provider}: {line}");
        assert!(!sim.has_user(&id), "{provider}");
    }
    // A base URL pointing at the wrong path gets the server's 404 web page for every id:
    // that is a failure, not a run of already-absent users.
    let id = sims.rsa_cas.add_users(1).remove(0);
    let wrong = format!("http://{}/AdminInterface/wrong", sims.rsa_cas.addr());
    let args = strings(&[
        "delete",
        "rsa-cas",
        "--output",
        "json",
        "--base-url",
        &wrong,
        "--",
        &id,
    ]);
    let out = run(args, sims.rsa_cas.env()).await;
    assert_eq!(out.code, 1, "{}", out.stdout);
    let line = &out.json_lines()[0];
    assert_eq!(line["outcome"], "failed", "{line}");
    assert_eq!(line["error"]["kind"], "protocol", "{line}");
    assert!(sims.rsa_cas.has_user(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_are_refused_or_deleted_exactly() {
    let sims = Sims::start().await.unwrap();
    // No NUL: a command line cannot carry one.
    let hostile: Vec<String> = [
        "a/b",
        "../../admin",
        "..",
        "a\\b",
        "user?admin=1",
        "user#fragment",
        "100%",
        "%2e%2e",
        "&UserId=victim",
        "a=b",
        "with space",
        "ü用户😀",
        "\u{202e}gpj.exe",
        "a\nb",
        "\r\nX-Injected: 1",
        "\u{1b}[31m",
        "-1",
        "--help",
        "",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain(["x".repeat(10 * 1024)])
    .collect();
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        let decoys: Vec<String> = ["admin", "victim", "a", "b", "user"]
            .iter()
            .map(|id| sim.add_user(id))
            .collect();
        // The ids the vendor's client accepts (its own id rules, the same in a dry run) are
        // seeded, so a correct delete finds them; every other one must be refused unsent.
        let vendor: idp::Vendor = provider.parse().unwrap();
        let checker = idp::Client::from_lookup(
            vendor,
            idp_sim::lookup_in(sim.env()),
            idp::TransportOptions::default(),
        )
        .unwrap();
        let accepted = |id: &str| checker.validate_user_id(id).is_ok();
        for id in &hostile {
            if accepted(id) {
                sim.add_user(id);
            }
        }
        let before = sim.deletes_received();
        let mut args = strings(&["delete", provider, "--output", "json", "--"]);
        args.extend(hostile.iter().cloned());
        let out = run(args, sim.env()).await;
        assert_eq!(out.code, 1, "{provider}: {}", out.stderr);
        let lines = out.json_lines();
        assert_eq!(lines.len(), hostile.len(), "{provider}: {}", out.stdout);
        let mut sent = 0;
        for line in &lines {
            assert_json_shape(line);
            let id = line["user_id"].as_str().unwrap();
            assert!(
                hostile.iter().any(|h| h == id),
                "{provider}: id changed: {line}"
            );
            if accepted(id) {
                sent += 1;
                assert_eq!(line["outcome"], "deleted", "{provider}: {line}");
                assert_eq!(line["attempts"], 1, "{provider}: {line}");
                assert!(!sim.has_user(id), "{provider}: {line}");
            } else {
                assert_eq!(line["outcome"], "failed", "{provider}: {line}");
                assert_eq!(line["error"]["kind"], "invalid_input", "{provider}: {line}");
                assert_eq!(line["attempts"], 0, "{provider}: {line}");
                assert!(
                    line["error"]["message"].as_str().unwrap().len() < 600,
                    "{provider}: a long id made a long message"
                );
            }
        }
        assert_eq!(sim.deletes_received() - before, sent, "{provider}");
        for decoy in &decoys {
            assert!(sim.has_user(decoy), "{provider}: decoy {decoy:?} deleted");
        }
        assert_eq!(sim.user_count(), decoys.len(), "{provider}");
    }
}

/// Runs `idp` with `env` (and PATH) and no simulator: configuration errors only.
fn config_run(args: &[&str], env: &[(&str, String)]) -> Run {
    idp(args, env, "")
}

#[test]
fn bad_configuration_exits_2_naming_the_problem() {
    let canary = "CANARY-config-8c1f20d7e3";
    let dir = tempfile::tempdir().unwrap();
    let key_file = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    };
    let not_pem = key_file(
        "not-pem.json",
        &serde_json::json!({"accessID": "a", "accessKey": canary, "adminRestApiUrl": "https://cas.example.com/AdminInterface/restapi"}).to_string(),
    );
    let garbage_pem = key_file(
        "garbage-pem.json",
        &serde_json::json!({"accessID": "a", "accessKey": format!("-----BEGIN RSA PRIVATE KEY-----\n{canary}\n-----END RSA PRIVATE KEY-----\n"), "adminRestApiUrl": "https://cas.example.com/AdminInterface/restapi"}).to_string(),
    );
    let not_json = key_file("not-json.json", &format!("accessKey: {canary}"));
    let missing = dir
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();

    let cf = |extra: &[(&'static str, &str)]| {
        let mut env = vec![
            ("CLOUDFLARE_API_TOKEN", canary.to_owned()),
            (
                "CLOUDFLARE_ACCOUNT_ID",
                "0123456789abcdef0123456789abcdef".to_owned(),
            ),
        ];
        env.extend(extra.iter().map(|(n, v)| (*n, (*v).to_owned())));
        env
    };
    let alibaba = |extra: &[(&'static str, &str)]| {
        let mut env = vec![
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tExample".to_owned()),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", canary.to_owned()),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", format!("{canary}-sts")),
            (
                "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
                "d-example".to_owned(),
            ),
        ];
        env.extend(extra.iter().map(|(n, v)| (*n, (*v).to_owned())));
        env
    };
    let onelogin = |extra: &[(&'static str, &str)]| {
        let mut env = vec![
            ("ONELOGIN_CLIENT_ID", "client".to_owned()),
            ("ONELOGIN_CLIENT_SECRET", canary.to_owned()),
            (
                "ONELOGIN_BASE_URL",
                "https://example.onelogin.com".to_owned(),
            ),
        ];
        env.extend(extra.iter().map(|(n, v)| (*n, (*v).to_owned())));
        env
    };
    let aa = |extra: &[(&'static str, &str)]| {
        let mut env = vec![
            ("AA_CONTROL_ROOM_URL", "https://cr.example.com".to_owned()),
            ("AA_USERNAME", "bot".to_owned()),
            ("AA_PASSWORD", canary.to_owned()),
        ];
        env.extend(extra.iter().map(|(n, v)| (*n, (*v).to_owned())));
        env
    };
    let rsa = |path: &str| vec![("RSA_CAS_KEY_FILE", path.to_owned())];
    let url_with_password = format!("https://bot:{canary}@cr.example.com");

    // (provider, flags, environment, what stderr must name)
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, String)>, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        (
            "rsa-cas",
            vec![],
            rsa(&not_pem),
            vec!["accessKey", "not PEM", not_pem.as_str()],
        ),
        (
            "rsa-cas",
            vec![],
            rsa(&garbage_pem),
            vec!["accessKey", "RSA"],
        ),
        (
            "rsa-cas",
            vec![],
            rsa(&not_json),
            vec!["not JSON", not_json.as_str()],
        ),
        (
            "rsa-cas",
            vec![],
            rsa(&missing),
            vec!["could not read the key file", missing.as_str()],
        ),
        ("rsa-cas", vec![], rsa(""), vec!["RSA_CAS_KEY_FILE"]),
        (
            "rsa-cas",
            vec!["--key-file", missing.as_str()],
            vec![],
            vec!["could not read the key file", missing.as_str()],
        ),
        (
            "cf-access",
            vec![],
            cf(&[("CLOUDFLARE_API_TOKEN", "")]),
            vec!["CLOUDFLARE_API_TOKEN"],
        ),
        (
            "cf-access",
            vec![],
            cf(&[("CLOUDFLARE_ACCOUNT_ID", "")]),
            vec!["CLOUDFLARE_ACCOUNT_ID"],
        ),
        (
            "cf-access",
            vec!["--base-url", "not a url"],
            cf(&[]),
            vec!["not a valid URL"],
        ),
        (
            "cf-access",
            vec!["--base-url", "http://api.example.com/client/v4"],
            cf(&[]),
            vec!["https", "--allow-insecure-http"],
        ),
        (
            "cf-access",
            vec!["--base-url", "https://api.example.com/?a=b"],
            cf(&[]),
            vec!["query"],
        ),
        (
            "onelogin",
            vec![],
            onelogin(&[("ONELOGIN_CLIENT_SECRET", "")]),
            vec!["ONELOGIN_CLIENT_SECRET"],
        ),
        (
            "onelogin",
            vec![],
            onelogin(&[("ONELOGIN_API_VERSION", "3")]),
            vec!["ONELOGIN_API_VERSION"],
        ),
        (
            "onelogin",
            vec!["--base-url", "ftp://example.onelogin.com"],
            onelogin(&[]),
            vec!["scheme"],
        ),
        (
            "aa-controlroom",
            vec![],
            aa(&[("AA_USERNAME", "")]),
            vec!["AA_USERNAME"],
        ),
        (
            "aa-controlroom",
            vec!["--base-url", "http://cr.internal.example"],
            aa(&[]),
            vec!["https", "--allow-insecure-http"],
        ),
        (
            "aa-controlroom",
            vec!["--base-url", url_with_password.as_str()],
            aa(&[]),
            vec!["must not carry credentials"],
        ),
        (
            "alibaba-cloudsso",
            vec!["--region", "evil.example/"],
            alibaba(&[]),
            vec!["region"],
        ),
        (
            "alibaba-cloudsso",
            vec!["--region", "cn-shanghai.attacker.net"],
            alibaba(&[]),
            vec!["region"],
        ),
        (
            "alibaba-cloudsso",
            vec!["--endpoint", "http://cloudsso.example.com"],
            alibaba(&[]),
            vec!["https", "--allow-insecure-http"],
        ),
        (
            "alibaba-cloudsso",
            vec![],
            alibaba(&[("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")]),
            vec!["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        ),
        (
            "alibaba-cloudsso",
            vec!["--directory-id", "d-\u{7}"],
            alibaba(&[]),
            vec!["directory id"],
        ),
    ];
    for (provider, flags, env, needles) in cases {
        // The last value of a variable wins: `env` may set one twice to override it.
        let mut args = vec!["delete", provider, "-vvv"];
        args.extend(flags.iter().copied());
        args.push("some-user");
        let mut env = env;
        env.push(("RUST_LOG", "trace".into()));
        let out = config_run(&args, &env);
        let context = format!("{provider} {flags:?} {:?}", &env[..env.len() - 1]);
        assert_eq!(out.code, 2, "{context}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{context}: {}", out.stdout);
        for needle in needles {
            assert!(
                out.stderr.contains(needle),
                "{context}: stderr does not name {needle:?}:\n{}",
                out.stderr
            );
        }
        assert!(
            !out.stderr.contains(canary),
            "{context}: the canary is printed:\n{}",
            out.stderr
        );
    }
}

/// The child's peak resident memory in KiB: from `/usr/bin/time -f %M` when installed
/// (Debian's `time` package), else by polling `/proc/<pid>/status` (VmHWM) while it runs.
fn peak_rss_kib(
    args: &[String],
    env: &[(&'static str, String)],
) -> (i32, String, u64, &'static str) {
    let bin = env!("CARGO_BIN_EXE_idp");
    let time = Path::new("/usr/bin/time");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("rss");
    let mut command = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&report).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut polled = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            && let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            polled = polled.max(kib);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    if time.exists() {
        let text = std::fs::read_to_string(&report).unwrap();
        let kib = text.trim().lines().last().unwrap().trim().parse().unwrap();
        (
            status.code().unwrap_or(-1),
            stdout,
            kib,
            "/usr/bin/time -f %M",
        )
    } else {
        (status.code().unwrap_or(-1), stdout, polled, "VmHWM polling")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_error_body_keeps_peak_memory_under_64_mb() {
    const LIMIT_KIB: u64 = 64 * 1024;
    let sims = Sims::start().await.unwrap();
    for provider in PROVIDERS {
        let sim = sim(&sims, provider);
        // A baseline: the same run with a normal answer.
        let id = sim.add_users(1).remove(0);
        let args = strings(&[
            "delete",
            provider,
            "--output",
            "json",
            "--max-retries",
            "0",
            "--",
            &id,
        ]);
        let env = sim.env();
        let (code, _, baseline, how) = {
            let (args, env) = (args.clone(), env.clone());
            tokio::task::spawn_blocking(move || peak_rss_kib(&args, &env))
                .await
                .unwrap()
        };
        assert_eq!(code, 0, "{provider}");

        let id = sim.add_users(1).remove(0);
        sim.inject_on_deletes(
            Fault::LargeBody {
                status: 500,
                bytes: 200 * 1024 * 1024,
            },
            1,
        );
        let args = strings(&[
            "delete",
            provider,
            "--output",
            "json",
            "--max-retries",
            "0",
            "--",
            &id,
        ]);
        let (code, stdout, peak, _) =
            tokio::task::spawn_blocking(move || peak_rss_kib(&args, &env))
                .await
                .unwrap();
        eprintln!(
            "{provider}: peak RSS {peak} KiB with a 200 MB error body ({baseline} KiB without), \
             measured with {how}"
        );
        assert_eq!(code, 1, "{provider}: {stdout}");
        let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(line["error"]["kind"], "server", "{provider}: {line}");
        assert_eq!(line["error"]["status"], 500, "{provider}: {line}");
        assert!(
            sim.requests()
                .iter()
                .any(|r| matches!(r.fault, Some(Fault::LargeBody { .. }))),
            "{provider}: the large body was not served"
        );
        assert!(peak > 0, "{provider}: no measurement");
        assert!(
            peak < LIMIT_KIB,
            "{provider}: peak RSS {peak} KiB is over {LIMIT_KIB} KiB"
        );
    }
}
