#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The command line contract: usage errors, configuration errors, dry runs (which check the
//! configuration with one token request, and send no delete).

mod support;

use httpmock::MockServer;
use support::onelogin::{mock_any_delete, mock_token};
use support::{assert_json_shape, idp};

fn onelogin_env() -> Vec<(&'static str, String)> {
    vec![
        ("ONELOGIN_CLIENT_ID", "id".into()),
        ("ONELOGIN_CLIENT_SECRET", "secret-canary-0001".into()),
        ("ONELOGIN_BASE_URL", "https://example.onelogin.com".into()),
    ]
}

#[test]
fn help_explains_every_option_and_variable() {
    let help = idp(&["delete", "--help"], &[], "");
    assert_eq!(help.code, 0);
    for needle in [
        "--from",
        "--concurrency",
        "--max-retries",
        "--timeout",
        "--dry-run",
        "--output",
        "--verbose",
        "--account-id",
        "--base-url",
        "--key-file",
        "--directory-id",
        "--region",
        "--endpoint",
        "--allow-insecure-http",
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_ACCOUNT_ID",
        "CLOUDFLARE_BASE_URL",
        "ONELOGIN_CLIENT_ID",
        "ONELOGIN_CLIENT_SECRET",
        "ONELOGIN_BASE_URL",
        "AA_CONTROL_ROOM_URL",
        "AA_USERNAME",
        "AA_PASSWORD",
        "AA_API_KEY",
        "RSA_CAS_KEY_FILE",
        "RSA_CAS_BASE_URL",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
        "ALIBABA_CLOUD_REGION_ID",
        "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT",
        "RUST_LOG",
    ] {
        assert!(help.stdout.contains(needle), "delete --help lacks {needle}");
    }
    let top = idp(&["--help"], &[], "");
    assert_eq!(top.code, 0);
    assert!(top.stdout.contains("delete"));
}

#[test]
fn a_missing_variable_is_named_and_exits_2() {
    for (provider, variable) in [
        ("onelogin", "ONELOGIN_CLIENT_ID"),
        ("cf-access", "CLOUDFLARE_"),
        ("aa-controlroom", "AA_CONTROL_ROOM_URL"),
        ("rsa-cas", "RSA_CAS_KEY_FILE"),
        ("alibaba-cloudsso", "ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ] {
        let run = idp(&["delete", provider, "1"], &[], "");
        assert_eq!(run.code, 2, "{provider}: {}", run.stderr);
        assert!(run.stderr.contains(variable), "{provider}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = onelogin_env();
    // No ids at all.
    let run = idp(&["delete", "onelogin"], &env, "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no user ids"), "{}", run.stderr);
    // A flag for another provider.
    let run = idp(
        &["delete", "onelogin", "1", "--account-id", "abc"],
        &env,
        "",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--account-id"), "{}", run.stderr);
    // An unknown provider, a bad option value.
    assert_eq!(idp(&["delete", "okta", "1"], &env, "").code, 2);
    assert_eq!(
        idp(&["delete", "onelogin", "1", "--concurrency", "0"], &env, "").code,
        2
    );
    assert_eq!(
        idp(&["delete", "onelogin", "1", "--output", "xml"], &env, "").code,
        2
    );
    // An id file that does not exist.
    let run = idp(
        &["delete", "onelogin", "--from", "/nonexistent/ids.txt"],
        &env,
        "",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/ids.txt"),
        "{}",
        run.stderr
    );
}

#[test]
fn plain_http_to_a_remote_host_needs_the_opt_in() {
    let server = MockServer::start();
    let token = mock_token(&server);
    // 0.0.0.0 is not a loopback address to the plain-http rule, yet connecting to it reaches
    // this machine: the opt-in can be shown to work without a remote server.
    let mut env = onelogin_env();
    env[2].1 = format!("http://0.0.0.0:{}", server.port());
    let run = idp(&["delete", "onelogin", "1", "--dry-run"], &env, "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("https"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--allow-insecure-http"),
        "{}",
        run.stderr
    );
    token.assert_calls(0);
    let run = idp(
        &[
            "delete",
            "onelogin",
            "1",
            "--dry-run",
            "--allow-insecure-http",
        ],
        &env,
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    token.assert_calls(1);
}

#[test]
fn dry_run_validates_ids_and_sends_nothing() {
    // One token request proves the configuration; no delete is sent.
    let server = MockServer::start();
    let token = mock_token(&server);
    let deletes = mock_any_delete(&server);
    let mut env = onelogin_env();
    env[2].1 = server.base_url();
    let stdin = "# ids to offboard\n\n  7 \n12\nnot-a-number\n";
    let run = idp(
        &[
            "delete",
            "onelogin",
            "3",
            "--from",
            "-",
            "--dry-run",
            "--output",
            "json",
        ],
        &env,
        stdin,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    lines.iter().for_each(assert_json_shape);
    let outcomes: Vec<_> = lines
        .iter()
        .map(|l| {
            (
                l["user_id"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("3", "skipped"),
            ("7", "skipped"),
            ("12", "skipped"),
            ("not-a-number", "failed")
        ]
    );
    assert_eq!(lines[3]["error"]["kind"], "invalid_input");
    assert!(lines.iter().all(|l| l["attempts"] == 0));

    let text = idp(&["delete", "onelogin", "3", "4", "--dry-run"], &env, "");
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("skipped"));
    assert!(
        text.stdout
            .contains("0 deleted, 0 absent, 0 failed, 2 skipped"),
        "{}",
        text.stdout
    );
    token.assert_calls(2);
    deletes.assert_calls(0);
}
