#![allow(clippy::unwrap_used, clippy::expect_used)]
//! No credential leaves through a side door: a proxy never sees a plain-http request (and
//! only a `CONNECT` for https), the logs name a proxy without its password, a server that
//! echoes the credentials gets them printed nowhere, and a secret pasted into the base URL
//! variable is not quoted back.

mod support;

use base64::Engine as _;
use httpmock::prelude::*;
use serde_json::json;
use support::idp;
use support::loopback::{Reply, Server};
use support::onelogin::{CLIENT_ID, SECRET, TOKEN, TOKEN_PATH, env, mock_token, success};

const PROXY_PASSWORD: &str = "proxy-password-canary-5e0a";

/// A proxy that refuses every request (a `CONNECT` included) and remembers what it saw.
fn refusing_proxy() -> Server {
    Server::start(|_| Reply::text(403, "no").closing())
}

#[test]
fn plain_http_to_loopback_never_goes_through_a_proxy() {
    let server = MockServer::start();
    mock_token(&server);
    let deletes = server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/1");
        then.status(200).json_body(success());
    });
    let proxy = refusing_proxy();
    let variables = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"];
    for set in variables
        .iter()
        .map(|v| vec![*v])
        .chain([variables.to_vec()])
    {
        let mut env = env(&server.base_url());
        for variable in &set {
            env.push((variable, proxy.url()));
        }
        let run = idp(&["delete", "onelogin", "1"], &env, "");
        assert_eq!(run.code, 0, "{set:?}: {}", run.stderr);
    }
    deletes.assert_calls(5);
    assert_eq!(proxy.connections(), 0, "{:?}", proxy.exchanges());
}

#[test]
fn https_goes_through_the_proxy_as_a_connect_tunnel_only() {
    let proxy = refusing_proxy();
    let proxy_url = format!("http://user:{PROXY_PASSWORD}@127.0.0.1:{}", proxy.port());
    for variable in ["HTTPS_PROXY", "ALL_PROXY"] {
        let mut env = env("https://acme.onelogin.example");
        env.push((variable, proxy_url.clone()));
        let run = idp(
            &["delete", "onelogin", "1", "-v", "--max-retries", "0"],
            &env,
            "",
        );
        // The proxy refuses the tunnel, so the run cannot succeed.
        assert_eq!(run.code, 1, "{variable}: {}", run.stderr);
        assert!(
            run.stderr.contains("proxy")
                && run.stderr.contains(&format!("127.0.0.1:{}", proxy.port())),
            "{variable}: -v does not say a proxy is in use:\n{}",
            run.stderr
        );
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(PROXY_PASSWORD), "{variable}: {text}");
        }
    }
    let seen = proxy.exchanges();
    assert!(!seen.is_empty(), "the proxy saw nothing");
    for exchange in &seen {
        let request = &exchange.request;
        assert_eq!(request.method, "CONNECT", "{}", request.head_text());
        assert_eq!(request.target, "acme.onelogin.example:443");
        let head = request.head_text();
        assert!(
            !head.contains(SECRET) && !head.contains(CLIENT_ID),
            "{head}"
        );
    }
}

/// Every form the OneLogin client secret takes on the wire: alone, in the Basic pair, raw and
/// base64.
fn secret_forms() -> Vec<String> {
    let pair = format!("{CLIENT_ID}:{SECRET}");
    let basic = base64::engine::general_purpose::STANDARD.encode(&pair);
    vec![SECRET.to_owned(), pair, basic]
}

/// [`secret_forms`] and the forms of the token it is exchanged for.
fn credential_forms() -> Vec<String> {
    let mut forms = secret_forms();
    forms.extend([TOKEN.to_owned(), format!("bearer:{TOKEN}")]);
    forms
}

/// Fails if any of `canaries` appears in `text`, or the start of the base64 pair.
fn assert_none_of(canaries: &[String], what: &str, text: &str) {
    for canary in canaries {
        assert!(
            !text.contains(canary.as_str()),
            "{what} holds the credential form {canary:?}:\n{text}"
        );
    }
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"));
    assert!(
        !text.contains(&basic[..24]),
        "{what}: a base64 prefix\n{text}"
    );
}

/// Fails if any form of the secret or of the token appears in `text`.
fn assert_no_canary(what: &str, text: &str) {
    assert_none_of(&credential_forms(), what, text);
}

#[test]
fn a_server_that_echoes_the_credentials_gets_them_printed_nowhere() {
    let echo = credential_forms().join(" | ");
    let basic = &credential_forms()[2];
    let server = MockServer::start();
    mock_token(&server);
    for (id, status) in [("400", 400), ("401", 401), ("403", 403), ("500", 500)] {
        let echo = echo.clone();
        server.mock(move |when, then| {
            when.method(DELETE).path(format!("/api/1/users/{id}"));
            then.status(status).header("X-Request-Id", TOKEN).json_body(
                json!({"status": {"error": true, "code": status,
                    "type": format!("echo Basic {basic}"),
                    "message": format!("you sent: Authorization: {echo}")}}),
            );
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("echo.journal.jsonl");
    let mut env = env(&server.base_url());
    env.push(("RUST_LOG", "trace".into()));
    for format in ["text", "json"] {
        let run = idp(
            &[
                "delete",
                "onelogin",
                "400",
                "401",
                "403",
                "500",
                "-vvv",
                "--max-retries",
                "1",
                "--output",
                format,
                "--journal",
                journal.to_str().unwrap(),
            ],
            &env,
            "",
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stdout.contains("you sent"),
            "the echo is not shown at all:\n{}",
            run.stdout
        );
        assert_no_canary(&format!("stdout ({format})"), &run.stdout);
        assert_no_canary(&format!("stderr ({format})"), &run.stderr);
    }
    assert_no_canary("the journal", &std::fs::read_to_string(&journal).unwrap());
}

#[test]
fn a_token_endpoint_that_echoes_the_secret_gets_it_printed_nowhere() {
    // No token is handed out here: what the client must keep to itself is the secret.
    let echo = secret_forms().join(" | ");
    let server = MockServer::start();
    server.mock(move |when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(401)
            .json_body(json!({"status": {"error": true, "code": 401,
            "type": "Unauthorized", "message": format!("Authentication Failure for {echo}")}}));
    });
    let mut env = env(&server.base_url());
    env.push(("RUST_LOG", "trace".into()));
    let dry = idp(&["delete", "onelogin", "1", "--dry-run", "-vvv"], &env, "");
    assert_eq!(dry.code, 2, "{}", dry.stderr);
    assert!(
        dry.stderr.contains("Authentication Failure"),
        "{}",
        dry.stderr
    );
    let real = idp(
        &["delete", "onelogin", "1", "-vvv", "--output", "json"],
        &env,
        "",
    );
    assert_eq!(real.code, 1, "{}", real.stderr);
    for (what, text) in [
        ("dry-run stderr", &dry.stderr),
        ("dry-run stdout", &dry.stdout),
        ("stderr", &real.stderr),
        ("stdout", &real.stdout),
    ] {
        assert_none_of(&secret_forms(), what, text);
    }
}

#[test]
fn a_secret_pasted_into_the_base_url_is_not_quoted_back() {
    for pasted in [
        SECRET.to_owned(),
        format!("https://{SECRET} .onelogin.com"),
        format!("https://acme.onelogin.com/?token={SECRET}"),
        format!("ftp://{SECRET}"),
    ] {
        let mut env = env(&pasted);
        env.push(("RUST_LOG", "trace".into()));
        for extra in [&[][..], &["--dry-run"][..]] {
            let mut args = vec!["delete", "onelogin", "1", "-vvv"];
            args.extend(extra);
            let run = idp(&args, &env, "");
            assert_eq!(run.code, 2, "{pasted}: {}", run.stderr);
            assert!(
                run.stderr.contains("ONELOGIN_BASE_URL"),
                "{pasted}: {}",
                run.stderr
            );
            for text in [&run.stdout, &run.stderr] {
                assert!(!text.contains(SECRET), "{pasted}: {text}");
            }
        }
        let flag = idp(
            &["delete", "onelogin", "1", "--base-url", &pasted],
            &env,
            "",
        );
        assert_eq!(flag.code, 2, "{pasted}: {}", flag.stderr);
        assert!(!flag.stderr.contains(SECRET), "{pasted}: {}", flag.stderr);
    }
}
