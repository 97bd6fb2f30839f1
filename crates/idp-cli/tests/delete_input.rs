#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What `idp delete` accepts as ids, on the built binary against an httpmock OneLogin:
//! anything that cannot be an id is refused with nothing sent (real run and dry run alike),
//! `-` reads standard input, each distinct id is sent once, and an id file is read robustly
//! (one bad line spoils only itself; a file that cannot be an id list stops the run before
//! the first request).

mod support;

use httpmock::prelude::*;
use support::onelogin::{env, mock_any_delete, mock_token, status};
use support::{Run, assert_json_shape, idp, idp_bytes};

/// What HR exports and copied spreadsheet cells put where an id should be.
const NOT_IDS: [&str; 9] = [
    "\u{FEFF}17",
    "17\u{200B}",
    "17\u{00AD}",
    "17  # left",
    "17,John Doe,2026-11-30",
    "17;John",
    "\"17\"",
    "user_id",
    "jane.doe@example.com",
];

fn assert_all_refused(run: &Run, count: usize) {
    let lines = run.json_lines();
    assert_eq!(lines.len(), count, "{}", run.stdout);
    lines.iter().for_each(assert_json_shape);
    for line in &lines {
        assert_eq!(line["outcome"], "failed", "{line}");
        assert_eq!(line["error"]["kind"], "invalid_input", "{line}");
        assert_eq!(line["attempts"], 0, "{line}");
    }
}

#[test]
fn what_is_not_an_id_is_refused_with_no_request_in_a_real_run_and_a_dry_run() {
    let server = MockServer::start();
    let token = mock_token(&server);
    let deletes = mock_any_delete(&server);
    let env = env(&server.base_url());

    let mut args = vec!["delete", "onelogin", "--output", "json"];
    args.extend(NOT_IDS);
    let run = idp(&args, &env, "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_all_refused(&run, NOT_IDS.len());
    let email = run.json_lines()[NOT_IDS.len() - 1].clone();
    assert!(
        email["error"]["message"]
            .as_str()
            .unwrap()
            .contains("idp find"),
        "{email}"
    );
    // Nothing was worth a token either.
    token.assert_calls(0);

    args.push("--dry-run");
    let run = idp(&args, &env, "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_all_refused(&run, NOT_IDS.len());
    token.assert_calls(1);
    deletes.assert_calls(0);
}

#[test]
fn the_same_forms_in_an_id_file_are_refused_and_a_leading_bom_is_dropped() {
    let server = MockServer::start();
    mock_token(&server);
    let deletes = mock_any_delete(&server);
    let env = env(&server.base_url());
    // The file's own byte-order mark is dropped; each later line keeps what it has.
    let mut file = String::from("\u{FEFF}5\n");
    for id in NOT_IDS {
        file.push_str(id);
        file.push('\n');
    }
    let run = idp(
        &["delete", "onelogin", "--from", "-", "--output", "json"],
        &env,
        &file,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), NOT_IDS.len() + 1, "{}", run.stdout);
    assert_eq!(run.json_ids("deleted"), ["5"]);
    for line in lines.iter().filter(|l| l["user_id"] != "5") {
        assert_eq!(line["outcome"], "failed", "{line}");
        assert_eq!(line["error"]["kind"], "invalid_input", "{line}");
    }
    deletes.assert_calls(1);
}

#[test]
fn a_dash_among_the_ids_reads_standard_input() {
    let server = MockServer::start();
    mock_token(&server);
    let deletes = mock_any_delete(&server);
    let run = idp(
        &["delete", "onelogin", "3", "-", "--output", "json"],
        &env(&server.base_url()),
        "1\n2\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_ids("deleted"), ["1", "2", "3"]);
    assert_eq!(run.json_lines().len(), 3, "no line for an id \"-\"");
    deletes.assert_calls(3);
}

#[test]
fn a_repeated_id_is_sent_once_reported_once_and_counted() {
    let server = MockServer::start();
    mock_token(&server);
    let one = server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/1");
        then.status(200).json_body(status(200, "Success"));
    });
    let two = server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/2");
        then.status(200).json_body(status(200, "Success"));
    });
    let env = env(&server.base_url());
    let run = idp(&["delete", "onelogin", "1", "-"], &env, "1\n2\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut results = run.text_results();
    results.sort();
    assert_eq!(
        results,
        [
            ("deleted".into(), "1".into()),
            ("deleted".into(), "2".into())
        ],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 deleted") && run.stdout.contains("1 duplicate ignored"),
        "{}",
        run.stdout
    );
    one.assert_calls(1);
    two.assert_calls(1);

    let run = idp(
        &["delete", "onelogin", "2", "2", "2", "--output", "json"],
        &env,
        "",
    );
    assert_eq!(run.json_lines().len(), 1, "{}", run.stdout);
    two.assert_calls(2);
}

#[test]
fn a_bad_byte_spoils_only_its_line() {
    let server = MockServer::start();
    mock_token(&server);
    let deletes = mock_any_delete(&server);
    let run = idp_bytes(
        &["delete", "onelogin", "--from", "-", "--output", "json"],
        &env(&server.base_url()),
        b"# caf\xE9 leavers\n1\n2\xFF3\n4\n",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(run.json_ids("deleted"), ["1", "4"]);
    let refused = run.json_line("2\u{FFFD}3");
    assert_eq!(refused["outcome"], "failed");
    assert_eq!(refused["error"]["kind"], "invalid_input");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 3 is not valid UTF-8"),
        "{refused}"
    );
    deletes.assert_calls(2);
}

#[test]
fn a_bare_carriage_return_ends_a_line() {
    let server = MockServer::start();
    mock_token(&server);
    let deletes = mock_any_delete(&server);
    let run = idp(
        &["delete", "onelogin", "--from", "-", "--output", "json"],
        &env(&server.base_url()),
        "1\r2\r3",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json_ids("deleted"), ["1", "2", "3"]);
    deletes.assert_calls(3);
}

#[test]
fn inputs_that_cannot_be_an_id_list_stop_the_run_before_any_request() {
    let server = MockServer::start();
    let token = mock_token(&server);
    let deletes = mock_any_delete(&server);
    let env = env(&server.base_url());
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let utf16 = path("utf16.txt", b"\xFF\xFE1\x00\n\x002\x00\n\x00");
    let empty = path("empty.txt", b"");
    let comments = path("comments.txt", b"# leavers\n\n   \n# none this week\n");
    let directory = dir.path().to_str().unwrap().to_owned();
    for (from, needle) in [
        (utf16.as_str(), "UTF-16"),
        (directory.as_str(), "directory"),
        ("/dev/zero", "not a regular file or a pipe"),
        (empty.as_str(), "no user ids given"),
        (comments.as_str(), "no user ids given"),
    ] {
        // Command-line ids come first in the run, so they would go out if the file were
        // only read after them.
        let ids: &[&str] = if needle == "no user ids given" {
            &[]
        } else {
            &["1"]
        };
        let mut args = vec!["delete", "onelogin"];
        args.extend(ids);
        args.extend(["--from", from]);
        let run = idp(&args, &env, "");
        assert_eq!(run.code, 2, "{from}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{from}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{from}: {}", run.stdout);
    }
    token.assert_calls(0);
    deletes.assert_calls(0);
}

#[test]
fn a_10_mb_line_is_refused_without_a_10_mb_message() {
    let server = MockServer::start();
    mock_token(&server);
    let deletes = mock_any_delete(&server);
    let mut input = b"1\n".to_vec();
    input.extend(std::iter::repeat_n(b'9', 10 << 20));
    input.extend(b"\n2\n");
    let run = idp_bytes(
        &["delete", "onelogin", "--from", "-", "--output", "json"],
        &env(&server.base_url()),
        &input,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.len() + run.stderr.len() < 16 << 10,
        "{} bytes of stdout, {} of stderr",
        run.stdout.len(),
        run.stderr.len()
    );
    assert_eq!(run.json_ids("deleted"), ["1", "2"]);
    let refused = run
        .json_lines()
        .into_iter()
        .find(|line| line["outcome"] == "failed")
        .unwrap();
    assert_eq!(refused["error"]["kind"], "invalid_input", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("longer than 4096 bytes"),
        "{refused}"
    );
    deletes.assert_calls(2);
}

#[test]
fn control_characters_in_ids_and_vendor_messages_are_escaped_in_text_output() {
    let server = MockServer::start();
    mock_token(&server);
    server.mock(|when, then| {
        when.method(DELETE).path("/api/1/users/403");
        then.status(403).json_body(status(
            403,
            "denied\u{1b}[2J\u{1b}[31m\rdeleted  999  (1 attempt, 1 ms)",
        ));
    });
    let run = idp(
        &["delete", "onelogin", "403", "4\u{1b}[2J1", "5\r6"],
        &env(&server.base_url()),
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\r'),
            "{name}: {text:?}"
        );
    }
    let failed: Vec<String> = run
        .text_results()
        .into_iter()
        .filter(|(outcome, _)| outcome == "failed")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(failed.len(), 3, "{}", run.stdout);
    // The vendor's text stays on its id's line, whatever it holds.
    let denied = run.stdout.lines().find(|l| l.starts_with("failed   403"));
    assert!(
        denied.is_some_and(|line| line.contains("denied") && line.contains("999")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("4\\u{1b}[2J1"), "{}", run.stdout);
    assert!(run.stdout.contains("5\\r6"), "{}", run.stdout);
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("deleted")),
        "a forged line: {}",
        run.stdout
    );
}
