#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The binary against a loopback OneLogin stand-in: outcomes, exit codes, one token for a
//! bulk run from stdin, and no secret in anything printed.

mod support;

use httpmock::prelude::*;
use support::onelogin::{SECRET, TOKEN, mock_token, status};
use support::{assert_json_shape, idp};

/// The server and the id of its token-endpoint mock.
fn server_with_token_mock() -> (MockServer, usize) {
    let server = MockServer::start();
    let token = mock_token(&server).id();
    for id in 1..=20 {
        server.mock(|when, then| {
            when.method(DELETE)
                .path(format!("/api/1/users/{id}"))
                .header("authorization", format!("bearer:{TOKEN}"));
            then.status(200).json_body(status(200, "Success"));
        });
    }
    server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/404");
        then.status(404)
            .json_body(status(404, "User for id 404 was not found"));
    });
    server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/403");
        then.status(403)
            .json_body(status(403, "user is not authorized to access this User"));
    });
    server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/500");
        then.status(500).json_body(status(500, "boom"));
    });
    (server, token)
}

fn server() -> MockServer {
    server_with_token_mock().0
}

fn env(server: &MockServer) -> Vec<(&'static str, String)> {
    support::onelogin::env(&server.base_url())
}

#[test]
fn deleted_absent_and_failed_with_their_kinds() {
    let server = server();
    let run = idp(
        &[
            "delete",
            "onelogin",
            "1",
            "404",
            "403",
            "500",
            "--output",
            "json",
            "--max-retries",
            "1",
        ],
        &env(&server),
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 4);
    lines.iter().for_each(assert_json_shape);
    let by_id = |id: &str| lines.iter().find(|l| l["user_id"] == id).unwrap().clone();
    assert_eq!(by_id("1")["outcome"], "deleted");
    assert_eq!(by_id("1")["attempts"], 1);
    assert_eq!(by_id("404")["outcome"], "absent");
    let denied = by_id("403");
    assert_eq!(denied["outcome"], "failed");
    assert_eq!(denied["error"]["kind"], "permission_denied");
    assert_eq!(denied["error"]["status"], 403);
    let server_error = by_id("500");
    assert_eq!(server_error["error"]["kind"], "server");
    assert_eq!(server_error["attempts"], 2);
    assert!(lines.iter().all(|l| l["provider"] == "onelogin"));
}

#[test]
fn all_deleted_exits_0_with_a_text_summary() {
    let server = server();
    let run = idp(&["delete", "onelogin", "1", "2", "404"], &env(&server), "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("2 deleted, 1 absent, 0 failed, 0 skipped"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bulk_run_from_stdin_uses_one_token() {
    let (server, token_mock) = server_with_token_mock();
    let ids: String = (1..=20).map(|id| format!("{id}\n")).collect();
    let run = idp(
        &[
            "delete",
            "onelogin",
            "--from",
            "-",
            "--concurrency",
            "8",
            "--output",
            "json",
        ],
        &env(&server),
        &format!("# leavers\n{ids}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 20);
    assert!(lines.iter().all(|l| l["outcome"] == "deleted"));
    httpmock::Mock::new(token_mock, &server).assert_calls(1);
}

#[test]
fn no_secret_in_any_output_at_full_verbosity() {
    let server = server();
    let mut env = env(&server);
    env.push(("RUST_LOG", "trace".into()));
    for args in [
        vec![
            "delete",
            "onelogin",
            "1",
            "404",
            "403",
            "-vvv",
            "--max-retries",
            "0",
        ],
        vec!["delete", "onelogin", "1", "-vvv", "--output", "json"],
        vec!["delete", "onelogin", "1", "-vvv", "--dry-run"],
        vec!["delete", "onelogin", "x", "-vvv"],
    ] {
        let run = idp(&args, &env, "");
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(SECRET),
                "{args:?} printed the client secret:\n{text}"
            );
            assert!(
                !text.contains(TOKEN),
                "{args:?} printed the access token:\n{text}"
            );
        }
        assert!(!run.stderr.is_empty(), "{args:?}: -vvv logs nothing");
    }
}
