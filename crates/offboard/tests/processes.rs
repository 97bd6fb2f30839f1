//! The journal across processes: the lock keeps a second process out, and a process killed
//! (SIGKILL, no chance to clean up) at random points mid-run never leaves a journal that
//! cannot be opened and resumed.
//!
//! The child processes are this test binary run again with `CHILD_ENV` set: the test
//! `child_process_entry_point` then does the child's job instead of returning at once.
//! Unix only: the tests rely on SIGKILL and on reading a file another process has locked.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use idp_offboard::journal::{Journal, JournalError, Report, verify};
use serde_json::json;
use support::{assert_chain, journal_path};

const CHILD_ENV: &str = "IDP_OFFBOARD_TEST_CHILD";
const CHILD_PATH_ENV: &str = "IDP_OFFBOARD_TEST_JOURNAL";
/// What a child prints once it holds the lock (libtest may print on the same line).
const LOCKED: &str = "child-holds-the-journal-lock";

/// In a child: `hold` opens the journal, says so on stdout and keeps it until stdin closes;
/// `append` opens it, says so, and appends records of random sizes until killed (or, should
/// the parent be gone, for at most 20 s).
#[test]
fn child_process_entry_point() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = std::env::var(CHILD_PATH_ENV).unwrap();
    match role.as_str() {
        "hold" => {
            let opened = Journal::open(&path).unwrap();
            println!("{LOCKED}");
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            drop(opened);
        }
        "append" => {
            let mut journal = Journal::open(&path).unwrap().journal;
            println!("{LOCKED}");
            let mut rng = fastrand::Rng::new();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(20) {
                // Mostly small records, some large enough that a kill can land inside the
                // write itself.
                let len = if rng.u8(..4) == 0 {
                    rng.usize(..256 * 1024)
                } else {
                    rng.usize(..200)
                };
                journal
                    .append(&json!({"len": len, "payload": "x".repeat(len)}))
                    .unwrap();
            }
        }
        other => panic!("unknown child role {other}"),
    }
}

fn spawn_child(role: &str, path: &Path, stdin: Stdio, stdout: Stdio) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_entry_point",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, role)
        .env(CHILD_PATH_ENV, path)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A child that holds the lock, and the rest of its stdout.
struct Holder {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

/// Starts a child and waits until it says it holds the lock.
fn locking_child(role: &str, path: &Path) -> Holder {
    let mut child = spawn_child(role, path, Stdio::piped(), Stdio::piped());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if line.contains(LOCKED) {
            return Holder { child, stdout };
        }
        line.clear();
    }
    let status = child.wait().unwrap();
    panic!("the child exited ({status}) without taking the lock");
}

#[test]
fn a_journal_held_by_another_process_is_locked_until_that_process_lets_go() {
    let (_dir, path) = journal_path();
    let Holder {
        mut child,
        mut stdout,
    } = locking_child("hold", &path);
    assert!(matches!(
        Journal::open(&path),
        Err(JournalError::Locked { .. })
    ));
    // Reading is never locked out on Unix.
    assert!(matches!(
        verify(&path).unwrap(),
        Report::Intact { records: 0, .. }
    ));
    drop(child.stdin.take()); // the child drops its Journal and exits
    stdout.read_to_end(&mut Vec::new()).unwrap();
    assert!(child.wait().unwrap().success());
    Journal::open(&path).unwrap();
}

#[test]
fn the_lock_dies_with_a_killed_process() {
    let (_dir, path) = journal_path();
    let Holder { mut child, .. } = locking_child("hold", &path);
    assert!(matches!(
        Journal::open(&path),
        Err(JournalError::Locked { .. })
    ));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    Journal::open(&path).unwrap();
}

#[test]
fn a_process_killed_mid_append_leaves_a_journal_that_opens_and_resumes() {
    let mut rng = fastrand::Rng::new();
    let mut torn_tails = 0;
    let mut kills = 0;
    // Four journals, five kills each: a journal grows across kills, each child resuming the
    // one the last child left.
    for _ in 0..4 {
        let (_dir, path) = journal_path();
        let mut records_before = 0;
        for _ in 0..5 {
            let Holder { mut child, .. } = locking_child("append", &path);
            std::thread::sleep(Duration::from_millis(rng.u64(0..25)));
            child.kill().unwrap();
            let status = child.wait().unwrap();
            kills += 1;
            assert_eq!(
                status.signal(),
                Some(9),
                "the child was killed, not stopped: {status:?}"
            );

            let report = verify(&path).unwrap();
            let records = match &report {
                Report::Intact { records, .. } | Report::Unclosed { records, .. } => *records,
                Report::Broken { .. } => panic!("a kill broke the journal: {report}"),
            };
            assert!(records >= records_before, "records were lost: {report}");

            let opened = Journal::open(&path).unwrap();
            if opened.torn_tail.is_some() {
                torn_tails += 1;
                assert!(matches!(
                    report,
                    Report::Unclosed {
                        torn_tail: Some(_),
                        ..
                    }
                ));
            }
            let seqs: Vec<u64> = opened.entries.iter().map(|e| e.seq).collect();
            assert_eq!(seqs, (1..=records).collect::<Vec<u64>>());
            for entry in &opened.entries {
                let len = entry.fields["len"].as_u64().unwrap() as usize;
                assert_eq!(entry.fields["payload"].as_str().unwrap().len(), len);
            }
            assert_eq!(opened.journal.next_seq(), records + 1);
            drop(opened);
            assert_chain(&path);
            records_before = records;
        }
    }
    eprintln!("{kills} kills, {torn_tails} of them mid-write (torn tail cut on open)");
}
