#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A configuration that does not work is found and named: a dry run proves the credential
//! with one token request; a wrong base URL or API version never turns into "absent"; a
//! connection error says why it failed.

mod support;

use base64::Engine as _;
use httpmock::prelude::*;
use serde_json::json;
use support::idp;
use support::onelogin::{
    CLIENT_ID, SECRET, TOKEN_PATH, env, mock_any_delete, mock_token, not_found, success, token_body,
};

/// A token endpoint that hands out a token only for the right client secret.
fn strict_token_endpoint(server: &MockServer) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"));
    let good = server.mock(|when, then| {
        when.method(POST)
            .path(TOKEN_PATH)
            .header("authorization", format!("Basic {pair}"));
        then.status(200).json_body(token_body(36000));
    });
    let refused = server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(401)
            .json_body(json!({"status": {"error": true, "code": 401,
            "type": "Unauthorized", "message": "Authentication Failure"}}));
    });
    (good, refused)
}

#[test]
fn a_dry_run_proves_the_secret_with_one_token_request() {
    let server = MockServer::start();
    let (good, refused) = strict_token_endpoint(&server);
    let deletes = mock_any_delete(&server);
    let mut env = env(&server.base_url());

    let run = idp(&["delete", "onelogin", "1", "2", "--dry-run"], &env, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("2 skipped"), "{}", run.stdout);
    good.assert_calls(1);

    env[1].1 = "a-wrong-secret-canary-77c1".into();
    let run = idp(&["delete", "onelogin", "1", "2", "--dry-run"], &env, "");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the configuration does not work"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Authentication Failure"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("a-wrong-secret-canary-77c1"));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    refused.assert_calls(1);
    good.assert_calls(1);
    deletes.assert_calls(0);
}

/// Kong's answer on a path it has no route for.
fn kong_404() -> serde_json::Value {
    json!({"message": "no Route matched with those values"})
}

#[test]
fn a_wrong_base_url_is_named_never_absent() {
    // The whole address is wrong: the gateway answers every path, the token's too.
    let gateway = MockServer::start();
    gateway.mock(|when, then| {
        when.any_request();
        then.status(404).json_body(kong_404());
    });
    let env_gateway = env(&gateway.base_url());
    let run = idp(
        &["delete", "onelogin", "1", "2", "--output", "json"],
        &env_gateway,
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json_lines().len(), 2, "{}", run.stdout);
    for line in run.json_lines() {
        assert_eq!(line["outcome"], "failed", "{line}");
        let message = line["error"]["message"].as_str().unwrap();
        assert!(message.contains("ONELOGIN_BASE_URL"), "{line}");
    }
    let dry = idp(&["delete", "onelogin", "1", "--dry-run"], &env_gateway, "");
    assert_eq!(dry.code, 2, "{}", dry.stderr);
    assert!(dry.stderr.contains("ONELOGIN_BASE_URL"), "{}", dry.stderr);

    // The token is found, but the users API is not behind this address.
    let server = MockServer::start();
    mock_token(&server);
    server.mock(|when, then| {
        when.method(DELETE);
        then.status(404).json_body(kong_404());
    });
    let env = env(&server.base_url());
    for format in ["json", "text"] {
        let run = idp(
            &["delete", "onelogin", "1", "2", "--output", format],
            &env,
            "",
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(!run.stdout.contains("absent  "), "{}", run.stdout);
        assert!(run.stdout.contains("ONELOGIN_BASE_URL"), "{}", run.stdout);
        if format == "json" {
            for line in run.json_lines() {
                assert_eq!(line["outcome"], "failed", "{line}");
                assert_eq!(line["error"]["kind"], "protocol", "{line}");
            }
        } else {
            assert!(
                run.stdout.contains("0 deleted, 0 absent, 2 failed"),
                "{}",
                run.stdout
            );
        }
    }
}

#[test]
fn a_wrong_api_version_is_named_never_absent() {
    // A tenant that serves API v1 only: /api/2 routes do not exist, and whatever answers for
    // them (an empty 404, or even OneLogin's v1 not-found) is not a v2 "no such user".
    for unknown_route in [String::new(), not_found("1").to_string()] {
        let server = MockServer::start();
        mock_token(&server);
        let v1 = server.mock(|when, then| {
            when.method(DELETE).path_prefix("/api/1/users/");
            then.status(200).json_body(success());
        });
        server.mock(|when, then| {
            when.any_request();
            then.status(404).body(&unknown_route);
        });
        let mut env = env(&server.base_url());
        env.push(("ONELOGIN_API_VERSION", "2".into()));
        let run = idp(
            &["delete", "onelogin", "1", "2", "--output", "json"],
            &env,
            "",
        );
        assert_eq!(run.code, 1, "{unknown_route}: {}", run.stderr);
        let lines = run.json_lines();
        assert_eq!(lines.len(), 2, "{}", run.stdout);
        for line in lines {
            assert_eq!(line["outcome"], "failed", "{line}");
            let message = line["error"]["message"].as_str().unwrap();
            assert!(message.contains("ONELOGIN_API_VERSION"), "{line}");
        }
        v1.assert_calls(0);
    }
}

#[test]
fn a_connection_error_names_its_cause() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = env(&format!("http://127.0.0.1:{port}"));
    let run = idp(&["delete", "onelogin", "1", "--max-retries", "0"], &env, "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .to_ascii_lowercase()
            .contains("connection refused"),
        "{}",
        run.stdout
    );
    let dry = idp(
        &["delete", "onelogin", "1", "--dry-run", "--max-retries", "0"],
        &env,
        "",
    );
    assert_eq!(dry.code, 2, "{}", dry.stderr);
    assert!(
        dry.stderr
            .to_ascii_lowercase()
            .contains("connection refused"),
        "{}",
        dry.stderr
    );
}
