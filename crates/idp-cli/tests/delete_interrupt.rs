#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A bulk `idp delete` that is interrupted, or whose output breaks, keeps the record of every
//! user it deleted; a killed journaled run resumes without deleting anyone twice. Each test
//! runs the built binary against a OneLogin stand-in on loopback that counts, per id, the
//! deletes it answered; answers are held back where a test needs a run still going.

mod support;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nix::sys::signal::Signal;
use support::child::{Running, command};
use support::loopback::{Exchange, Latch, Reply, Server};
use support::onelogin::{
    TOKEN_PATH, delete_count, deleted_on_server, deletes_per_id, env, id_lines, stand_in,
    stand_in_with_users, status, success, token_body, token_count,
};
use support::{Run, idp};

const IDS: u32 = 400;
const CONCURRENCY: usize = 8;
const WAIT: Duration = Duration::from_secs(30);

fn delete_args(format: &str) -> Vec<&str> {
    vec![
        "delete",
        "onelogin",
        "--from",
        "-",
        "--concurrency",
        "8",
        "--output",
        format,
    ]
}

/// A stand-in that answers the first `free` deletes at once and holds every later one until
/// the latch opens.
fn holding_after(free: usize) -> (Server, Latch) {
    let latch = Latch::new();
    let started = AtomicUsize::new(0);
    let held = latch.clone();
    let server = stand_in(move |_, _| {
        if started.fetch_add(1, Ordering::SeqCst) >= free {
            held.wait();
        }
        Reply::json(200, &success())
    });
    (server, latch)
}

/// The ids of the text output's lines with this outcome.
fn text_ids(run: &Run, outcome: &str) -> BTreeSet<String> {
    run.text_results()
        .into_iter()
        .filter(|(o, _)| o == outcome)
        .map(|(_, id)| id)
        .collect()
}

/// What an interrupted run must have printed: every user deleted on the server, and the
/// rest as never started.
fn assert_interrupted_run_reported(run: &Run, exchanges: &[Exchange], format: &str, what: &str) {
    assert_eq!(run.code, 130, "{what}: {}", run.stderr);
    let on_server = deleted_on_server(exchanges);
    assert!(on_server.len() < IDS as usize, "{what}: nothing was left");
    let rest = IDS as usize - on_server.len();
    if format == "json" {
        let lines = run.json_lines();
        let mut seen = BTreeSet::new();
        for line in &lines {
            assert!(
                seen.insert(line["user_id"].to_string()),
                "{what}: twice {line}"
            );
        }
        assert_eq!(lines.len(), IDS as usize, "{what}: every id has its line");
        let deleted: BTreeSet<String> = run.json_ids("deleted").into_iter().collect();
        assert_eq!(
            deleted, on_server,
            "{what}: deleted on the server vs reported"
        );
        for line in lines.iter().filter(|l| l["outcome"] != "deleted") {
            assert_eq!(line["outcome"], "skipped", "{what}: {line}");
            assert_eq!(line["error"]["kind"], "interrupted", "{what}: {line}");
            assert_eq!(line["attempts"], 0, "{what}: {line}");
        }
    } else {
        assert_eq!(
            text_ids(run, "deleted"),
            on_server,
            "{what}: deleted on the server vs reported"
        );
        let summary = format!(
            "onelogin: {} deleted, 0 absent, 0 failed, {rest} skipped",
            on_server.len()
        );
        assert!(
            run.stdout
                .lines()
                .last()
                .unwrap_or("")
                .starts_with(&summary),
            "{what}: {}",
            run.stdout
        );
    }
}

/// Interrupts a 400-id run once `point` deletes were answered and the next ones are on
/// their way (held by the server until the signal has been taken in).
fn interrupt_at(signal: Signal, format: &str, point: usize) {
    let what = format!("{signal:?} after {point} deletes, {format}");
    let (server, latch) = holding_after(point);
    let running = Running::start(
        command(&delete_args(format), &env(&server.url())),
        id_lines(IDS).as_bytes(),
    );
    assert!(
        server.wait_until(WAIT, |log| delete_count(log) >= point + CONCURRENCY),
        "{what}: the run did not get going: {}",
        running.stderr()
    );
    running.signal(signal);
    assert!(
        running.wait_for_stderr("interrupted", WAIT),
        "{what}: {}",
        running.stderr()
    );
    latch.open();
    let run = running.finish();
    let exchanges = server.exchanges();
    assert_eq!(
        delete_count(&exchanges),
        point + CONCURRENCY,
        "{what}: a delete started after the signal"
    );
    assert_interrupted_run_reported(&run, &exchanges, format, &what);
}

/// A signal before the first answer, a quarter of the way and three quarters of the way,
/// with JSON and text output.
fn interrupt_at_each_point(signal: Signal) {
    for format in ["json", "text"] {
        for point in [0, 100, 300] {
            interrupt_at(signal, format, point);
        }
    }
}

#[test]
fn sigint_at_several_points_reports_every_deleted_user() {
    interrupt_at_each_point(Signal::SIGINT);
}

#[test]
fn sigterm_at_several_points_reports_every_deleted_user() {
    interrupt_at_each_point(Signal::SIGTERM);
}

#[test]
fn a_signal_while_the_token_is_fetched_sends_no_delete() {
    // The first deletes are started and wait for the token: none of them may go out.
    for (signal, format) in [(Signal::SIGINT, "json"), (Signal::SIGTERM, "text")] {
        let latch = Latch::new();
        let held = latch.clone();
        let server = Server::start(move |request| {
            if request.target == TOKEN_PATH {
                held.wait();
                return Reply::json(200, &token_body(36000));
            }
            Reply::json(200, &success())
        });
        let what = format!("{signal:?} while the token is fetched, {format}");
        let running = Running::start(
            command(&delete_args(format), &env(&server.url())),
            id_lines(IDS).as_bytes(),
        );
        assert!(server.wait_until(WAIT, |log| token_count(log) >= 1));
        running.signal(signal);
        assert!(
            running.wait_for_stderr("interrupted", WAIT),
            "{what}: {}",
            running.stderr()
        );
        latch.open();
        let run = running.finish();
        let exchanges = server.exchanges();
        assert_eq!(delete_count(&exchanges), 0, "{what}");
        assert_interrupted_run_reported(&run, &exchanges, format, &what);
    }
}

#[test]
fn a_signal_while_deletes_flow_freely_loses_no_deleted_user() {
    // Nothing held: the signal lands wherever the run is, between answers, writes and new
    // requests.
    for (signal, format) in [(Signal::SIGINT, "json"), (Signal::SIGTERM, "text")] {
        let what = format!("{signal:?} mid-run, {format}");
        // Slow enough answers that the run is far from its end when the signal lands.
        let server = stand_in_with_users(IDS, Duration::from_millis(100), None);
        let running = Running::start(
            command(&delete_args(format), &env(&server.url())),
            id_lines(IDS).as_bytes(),
        );
        assert!(server.wait_until(WAIT, |log| deleted_on_server(log).len() >= 20));
        running.signal(signal);
        let run = running.finish();
        assert_interrupted_run_reported(&run, &server.exchanges(), format, &what);
    }
}

#[test]
fn a_second_signal_exits_at_once() {
    let (server, latch) = holding_after(0);
    let mut running = Running::start(
        command(&delete_args("json"), &env(&server.url())),
        id_lines(20).as_bytes(),
    );
    assert!(server.wait_until(WAIT, |log| delete_count(log) >= CONCURRENCY));
    running.signal(Signal::SIGINT);
    assert!(
        running.wait_for_stderr("interrupted", WAIT),
        "{}",
        running.stderr()
    );
    running.signal(Signal::SIGTERM);
    // The deletes in flight are still held by the server: only a prompt exit ends it.
    let code = running.wait_timeout(WAIT);
    latch.open();
    assert_eq!(code, Some(130), "{}", running.stderr());
}

#[test]
fn core_dumps_are_disabled() {
    let (server, latch) = holding_after(0);
    let running = Running::start(
        command(&delete_args("json"), &env(&server.url())),
        id_lines(3).as_bytes(),
    );
    assert!(server.wait_until(WAIT, |log| delete_count(log) >= 1));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", running.pid())).unwrap();
    latch.open();
    let core = limits
        .lines()
        .find(|line| line.starts_with("Max core file size"))
        .expect("a core limit");
    let values: Vec<&str> = core.split_whitespace().skip(4).take(2).collect();
    assert_eq!(values, ["0", "0"], "{core}");
    assert_eq!(running.finish().code, 0);
}

/// Holds every delete but the first until `latch` opens.
fn first_answered_then_held() -> (Server, Latch) {
    holding_after(1)
}

/// What must hold once stdout broke: exit 3, no delete started after the failure (at most
/// the ones finished before it and those in flight), and every user deleted on the server
/// either on the lines that got through or listed on stderr.
fn assert_output_failure_reported(run: &Run, server: &Server, finished_before_failure: usize) {
    assert_eq!(run.code, 3, "{}", run.stderr);
    let exchanges = server.exchanges();
    assert!(
        delete_count(&exchanges) <= finished_before_failure + CONCURRENCY,
        "{} deletes: one started after stdout failed",
        delete_count(&exchanges)
    );
    let listed: BTreeSet<String> = run
        .stderr
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("deleted")).then(|| words.next().unwrap().to_owned())
        })
        .collect();
    let printed: BTreeSet<String> = run
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|line| line["user_id"].as_str().map(str::to_owned))
        .collect();
    let reported: BTreeSet<String> = listed.union(&printed).cloned().collect();
    assert_eq!(
        reported,
        deleted_on_server(&exchanges),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        listed.is_disjoint(&printed),
        "an id both printed and listed"
    );
}

#[test]
fn a_full_disk_on_stdout_exits_3_and_lists_the_unreported_ids() {
    let (server, latch) = first_answered_then_held();
    let mut command = command(&delete_args("json"), &env(&server.url()));
    command.stdout(Stdio::from(std::fs::File::create("/dev/full").unwrap()));
    let running = Running::start(command, id_lines(IDS).as_bytes());
    assert!(
        running.wait_for_stderr("standard output could not be written", WAIT),
        "{}",
        running.stderr()
    );
    latch.open();
    let run = running.finish();
    assert_output_failure_reported(&run, &server, 1);
    assert!(
        run.stderr.contains("No space left on device"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_reader_that_goes_away_exits_3_and_lists_the_unreported_ids() {
    let (server, latch) = first_answered_then_held();
    let running = Running::start_closing_stdout_after(
        command(&delete_args("json"), &env(&server.url())),
        id_lines(IDS).as_bytes(),
        1,
    );
    // The first line got through; once the reader is gone, one more answer makes the run
    // write again, and fail.
    assert!(running.wait_for_stdout_closed(WAIT), "{}", running.stderr());
    latch.let_through(1);
    assert!(
        running.wait_for_stderr("standard output could not be written", WAIT),
        "{}",
        running.stderr()
    );
    latch.open();
    let run = running.finish();
    assert_output_failure_reported(&run, &server, 2);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

#[test]
fn a_full_log_disk_does_not_end_the_run() {
    // Every log line fails to be written: at -vvv, and at -v where a warning says the vendor
    // asked for a 15-minute wait (one delete at a time, so the ids before it all go through).
    let throttle_last = AtomicUsize::new(0);
    let server = stand_in(move |id, _| {
        if id == "30" && throttle_last.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::json(429, &status(429, "Too many requests"))
                .with_header("Retry-After", "900");
        }
        Reply::json(200, &success())
    });
    for (verbosity, throttled) in [("-vvv", false), ("-v", true)] {
        let count = if throttled { 30 } else { 29 };
        let args = [
            "delete",
            "onelogin",
            "--from",
            "-",
            "--output",
            "json",
            "--concurrency",
            "1",
            verbosity,
        ];
        let mut command = command(&args, &env(&server.url()));
        command.stderr(Stdio::from(std::fs::File::create("/dev/full").unwrap()));
        let run = Running::start(command, id_lines(count).as_bytes()).finish();
        assert_eq!(
            run.code,
            i32::from(throttled),
            "{verbosity}: {}",
            run.stdout
        );
        assert_eq!(run.json_lines().len(), count as usize, "{}", run.stdout);
        assert_eq!(run.json_ids("deleted").len(), 29, "{}", run.stdout);
    }
}

/// The journal's outcome records as `(user_id, outcome)`.
fn journal_outcomes(path: &std::path::Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|record| record["type"] == "outcome")
        .map(|record| {
            (
                record["user_id"].as_str().unwrap().to_owned(),
                record["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The `user_id` of each whole JSON line (a SIGKILL may cut the last one short).
fn printed_ids(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|line| {
            (
                line["user_id"].as_str().unwrap().to_owned(),
                line["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_killed_journaled_run_resumes_without_deleting_anyone_twice() {
    let ids = 200;
    // 60 deletes go through; the next ones are held, and carried out on the server only after
    // the client is killed: deleted there, never heard of by the client.
    let latch = Latch::new();
    let server = stand_in_with_users(ids, Duration::ZERO, Some((60, latch.clone())));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("leavers.journal.jsonl");
    let journal_arg = journal.to_str().unwrap();
    let mut args = delete_args("json");
    args.extend(["--journal", journal_arg]);
    let env = env(&server.url());

    let running = Running::start(command(&args, &env), id_lines(ids).as_bytes());
    assert!(server.wait_until(WAIT, |log| delete_count(log) >= 60 + CONCURRENCY));
    running.signal(Signal::SIGKILL);
    let first = running.finish();
    assert_eq!(first.code, 128 + 9);
    latch.open();
    assert!(server.wait_until(WAIT, |log| log.iter().all(|e| e.status.is_some())));
    let recorded: BTreeSet<String> = journal_outcomes(&journal)
        .into_iter()
        .filter(|(_, outcome)| outcome == "deleted")
        .map(|(id, _)| id)
        .collect();
    assert!(!recorded.is_empty());
    assert!(
        recorded.len() < ids as usize,
        "the run was not stopped midway"
    );
    let unclosed = idp(&["journal", "verify", journal_arg], &[], "");
    assert_eq!(unclosed.code, 1, "{}{}", unclosed.stdout, unclosed.stderr);

    let second = idp(&args, &env, &id_lines(ids));
    assert_eq!(second.code, 0, "{}", second.stderr);

    let per_id = deletes_per_id(&server.exchanges());
    for id in &recorded {
        assert_eq!(per_id[id], 1, "{id} was recorded deleted and sent again");
    }
    // Each id ends once, as deleted or absent (already deleted by the killed run), in the
    // journal; what was printed agrees with it and is printed once.
    let mut ended = BTreeSet::new();
    for (id, outcome) in journal_outcomes(&journal) {
        assert!(
            ["deleted", "absent"].contains(&outcome.as_str()),
            "{id} {outcome}"
        );
        assert!(ended.insert(id.clone()), "{id} ended twice in the journal");
    }
    let all: BTreeSet<String> = (1..=ids).map(|id| id.to_string()).collect();
    assert_eq!(ended, all);
    let absent = journal_outcomes(&journal)
        .into_iter()
        .filter(|(_, outcome)| outcome == "absent")
        .count();
    assert!(
        absent >= 1,
        "no delete was carried out unbeknown to the killed run"
    );
    let mut printed = BTreeSet::new();
    for (id, _) in printed_ids(&first.stdout)
        .into_iter()
        .chain(printed_ids(&second.stdout))
    {
        assert!(printed.insert(id.clone()), "{id} printed twice");
    }
    assert!(per_id.values().all(|&n| n <= 2), "{per_id:?}");

    let verify = idp(&["journal", "verify", journal_arg], &[], "");
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
}
