#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The journal in one process: round trip, resume, torn tails, tampering, locking, refusals.

mod support;

use std::io::Write;

use idp_offboard::journal::{
    Corruption, Journal, JournalError, MAX_LINE_BYTES, Report, TornTail, verify,
};
use serde::Serialize;
use serde_json::{Value, json};
use support::{assert_chain, journal_path, lines, sha256_hex, write_lines};

/// A journal of two records and a closing record.
fn closed_journal(path: &std::path::Path) {
    let mut journal = Journal::open(path).unwrap().journal;
    assert_eq!(
        journal
            .append(&json!({"user": "u1", "outcome": "deleted"}))
            .unwrap(),
        1
    );
    assert_eq!(
        journal
            .append(&json!({"user": "u2", "outcome": "failed"}))
            .unwrap(),
        2
    );
    let counts = json!({"counts": {"deleted": 1, "failed": 1}});
    assert_eq!(journal.close(&counts).unwrap(), 3);
}

fn broken(path: &std::path::Path) -> (u64, Corruption) {
    match verify(path).unwrap() {
        Report::Broken { line, reason } => (line, reason),
        other => panic!("expected a broken journal, got {other:?}"),
    }
}

#[test]
fn round_trip() {
    let (_dir, path) = journal_path();
    closed_journal(&path);

    assert_chain(&path);
    let head = sha256_hex(lines(&path).last().unwrap());
    assert_eq!(
        verify(&path).unwrap(),
        Report::Intact {
            records: 3,
            runs: 1,
            head: head.clone()
        }
    );

    let opened = Journal::open(&path).unwrap();
    assert_eq!(opened.torn_tail, None);
    assert!(opened.unclosed_run().is_empty());
    let seqs: Vec<u64> = opened.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(
        Value::Object(opened.entries[0].fields.clone()),
        json!({"user": "u1", "outcome": "deleted"})
    );
    assert!(!opened.entries[1].is_closing());
    assert!(opened.entries[2].is_closing());
    assert_eq!(
        Value::Object(opened.entries[2].fields.clone()),
        json!({"type": "closing", "counts": {"deleted": 1, "failed": 1}})
    );
    assert_eq!(opened.journal.next_seq(), 4);
    assert_eq!(opened.journal.head(), head);
    assert_eq!(opened.journal.path(), path);
}

#[test]
fn the_line_format_is_seq_prev_then_the_callers_fields() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            r#"{{"seq":1,"prev":"{}","outcome":"deleted","user":"u1"}}"#,
            "0".repeat(64)
        )
    );
    let last = text.lines().last().unwrap();
    assert!(last.starts_with(r#"{"seq":3,"prev":""#), "{last}");
    assert!(
        last.ends_with(r#"","type":"closing","counts":{"deleted":1,"failed":1}}"#),
        "{last}"
    );
    assert!(text.ends_with('\n'));
}

#[test]
fn any_serialize_object_is_a_record() {
    #[derive(Serialize)]
    struct Deleted<'a> {
        user: &'a str,
        attempts: u32,
    }
    let (_dir, path) = journal_path();
    let mut journal = Journal::open(&path).unwrap().journal;
    journal
        .append(&Deleted {
            user: "u1",
            attempts: 2,
        })
        .unwrap();
    let mut map = serde_json::Map::new();
    map.insert("user".into(), json!("u2"));
    journal.append(&map).unwrap();
    drop(journal);
    let opened = Journal::open(&path).unwrap();
    assert_eq!(opened.entries[0].fields["attempts"], 2);
    assert_eq!(opened.entries[1].fields["user"], "u2");
}

#[test]
fn a_resumed_run_appends_after_the_closing_record_and_keeps_the_chain() {
    let (_dir, path) = journal_path();
    closed_journal(&path);

    let opened = Journal::open(&path).unwrap();
    let mut journal = opened.journal;
    assert_eq!(
        journal
            .append(&json!({"user": "u2", "outcome": "deleted"}))
            .unwrap(),
        4
    );
    assert_eq!(
        journal.close(&json!({"counts": {"deleted": 1}})).unwrap(),
        5
    );

    assert_chain(&path);
    assert!(matches!(
        verify(&path).unwrap(),
        Report::Intact {
            records: 5,
            runs: 2,
            ..
        }
    ));
}

#[test]
fn a_run_that_stopped_is_unclosed_and_is_resumed_where_it_stopped() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut journal = Journal::open(&path).unwrap().journal;
    journal
        .append(&json!({"user": "u3", "outcome": "deleted"}))
        .unwrap();
    journal
        .append(&json!({"user": "u4", "outcome": "deleted"}))
        .unwrap();
    drop(journal); // no closing record

    match verify(&path).unwrap() {
        Report::Unclosed {
            records,
            runs,
            torn_tail,
            head,
        } => {
            assert_eq!((records, runs, torn_tail), (5, 1, None));
            assert_eq!(head, sha256_hex(lines(&path).last().unwrap()));
        }
        other => panic!("{other:?}"),
    }
    let opened = Journal::open(&path).unwrap();
    let users: Vec<&Value> = opened
        .unclosed_run()
        .iter()
        .map(|e| &e.fields["user"])
        .collect();
    assert_eq!(users, [&json!("u3"), &json!("u4")]);
    assert_eq!(opened.journal.next_seq(), 6);
}

#[test]
fn a_new_or_empty_journal_is_intact() {
    let (_dir, path) = journal_path();
    let opened = Journal::open(&path).unwrap();
    assert!(opened.entries.is_empty());
    assert!(opened.unclosed_run().is_empty());
    assert_eq!(opened.journal.next_seq(), 1);
    assert_eq!(opened.journal.head(), "0".repeat(64));
    drop(opened);
    assert_eq!(
        verify(&path).unwrap(),
        Report::Intact {
            records: 0,
            runs: 0,
            head: "0".repeat(64)
        }
    );
}

#[test]
fn a_torn_last_line_is_reported_by_verify_and_cut_off_by_open() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let intact_len = std::fs::metadata(&path).unwrap().len();
    let torn = br#"{"seq":4,"prev":"ab12","user":"u"#;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(torn)
        .unwrap();

    let expected_tail = TornTail {
        offset: intact_len,
        len: torn.len() as u64,
    };
    match verify(&path).unwrap() {
        Report::Unclosed {
            records: 3,
            runs: 1,
            torn_tail: Some(tail),
            ..
        } => {
            assert_eq!(tail, expected_tail);
        }
        other => panic!("{other:?}"),
    }
    let report = verify(&path).unwrap().to_string();
    assert!(report.contains("torn final line of 32 bytes"), "{report}");
    // verify changed nothing.
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        intact_len + torn.len() as u64
    );

    let opened = Journal::open(&path).unwrap();
    assert_eq!(opened.torn_tail, Some(expected_tail));
    assert_eq!(opened.entries.len(), 3);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), intact_len);
    let mut journal = opened.journal;
    assert_eq!(journal.append(&json!({"user": "u3"})).unwrap(), 4);
    journal.close(&json!({"counts": {"deleted": 1}})).unwrap();
    assert_chain(&path);
    assert!(matches!(
        verify(&path).unwrap(),
        Report::Intact {
            records: 5,
            runs: 2,
            ..
        }
    ));
}

#[test]
fn a_torn_first_line_leaves_an_empty_journal() {
    let (_dir, path) = journal_path();
    std::fs::write(&path, b"{\"seq\":1,\"pr").unwrap();
    assert!(matches!(
        verify(&path).unwrap(),
        Report::Unclosed {
            records: 0,
            torn_tail: Some(TornTail { offset: 0, len: 12 }),
            ..
        }
    ));
    let opened = Journal::open(&path).unwrap();
    assert!(opened.entries.is_empty());
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn an_edited_line_breaks_the_prev_of_the_next_line() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut edited = lines(&path);
    let line = String::from_utf8(edited[1].clone())
        .unwrap()
        .replace("failed", "deleted");
    edited[1] = line.into_bytes();
    write_lines(&path, &edited);

    assert_eq!(
        broken(&path),
        (3, Corruption::PrevMismatch { previous_line: 2 })
    );
    assert_eq!(
        verify(&path).unwrap().to_string(),
        "broken: line 3: prev does not match the SHA-256 of line 2 (the line was edited, removed \
         or moved)"
    );
    // open refuses it, names the line, and leaves the file as it was.
    let before = std::fs::read(&path).unwrap();
    match Journal::open(&path) {
        Err(JournalError::Broken {
            line: 3, reason, ..
        }) => {
            assert_eq!(reason, Corruption::PrevMismatch { previous_line: 2 });
        }
        other => panic!("{other:?}"),
    }
    let message = Journal::open(&path).unwrap_err().to_string();
    assert!(message.ends_with("is broken at line 3: prev does not match the SHA-256 of line 2 (the line was edited, removed or moved)"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_deleted_line_breaks_the_seq() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut shortened = lines(&path);
    shortened.remove(1);
    write_lines(&path, &shortened);
    assert_eq!(
        broken(&path),
        (
            2,
            Corruption::SeqOutOfOrder {
                expected: 2,
                found: 3
            }
        )
    );
    assert!(
        verify(&path)
            .unwrap()
            .to_string()
            .contains("line 2: seq is 3 where 2 was expected")
    );
}

#[test]
fn a_deleted_line_with_the_seqs_renumbered_breaks_the_prev() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut shortened = lines(&path);
    shortened.remove(1);
    let renumbered = String::from_utf8(shortened[1].clone())
        .unwrap()
        .replace("\"seq\":3", "\"seq\":2");
    shortened[1] = renumbered.into_bytes();
    write_lines(&path, &shortened);
    assert_eq!(
        broken(&path),
        (2, Corruption::PrevMismatch { previous_line: 1 })
    );
}

#[test]
fn a_deleted_first_line_is_found() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut shortened = lines(&path);
    shortened.remove(0);
    write_lines(&path, &shortened);
    assert_eq!(
        broken(&path),
        (
            1,
            Corruption::SeqOutOfOrder {
                expected: 1,
                found: 2
            }
        )
    );

    // Renumbered too: the first line's prev is not the genesis value.
    let renumbered = String::from_utf8(shortened[0].clone())
        .unwrap()
        .replace("\"seq\":2", "\"seq\":1");
    shortened[0] = renumbered.into_bytes();
    write_lines(&path, &shortened);
    assert_eq!(broken(&path), (1, Corruption::FirstPrevNotZero));
}

#[test]
fn reordered_lines_are_found() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut swapped = lines(&path);
    swapped.swap(0, 1);
    write_lines(&path, &swapped);
    assert_eq!(
        broken(&path),
        (
            1,
            Corruption::SeqOutOfOrder {
                expected: 1,
                found: 2
            }
        )
    );
}

#[test]
fn lines_cut_from_the_end_leave_the_run_unclosed() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut shortened = lines(&path);
    shortened.pop();
    write_lines(&path, &shortened);
    assert!(matches!(
        verify(&path).unwrap(),
        Report::Unclosed {
            records: 2,
            runs: 0,
            torn_tail: None,
            ..
        }
    ));
}

#[test]
fn malformed_lines_are_corruption() {
    let genesis = "0".repeat(64);
    let cases: Vec<(Vec<u8>, Corruption)> = vec![
        (b"".to_vec(), Corruption::Empty),
        (
            b"{\"seq\":1,\"prev\":\"\xff\"}".to_vec(),
            Corruption::NotUtf8,
        ),
        (
            b"{\"seq\":1,".to_vec(),
            Corruption::NotJson {
                detail: String::new(),
            },
        ),
        (b"[1,2]".to_vec(), Corruption::NotAnObject),
        (
            format!(r#"{{"prev":"{genesis}"}}"#).into_bytes(),
            Corruption::SeqMissing,
        ),
        (
            format!(r#"{{"seq":"1","prev":"{genesis}"}}"#).into_bytes(),
            Corruption::SeqNotAnInteger,
        ),
        (
            format!(r#"{{"seq":1.0,"prev":"{genesis}"}}"#).into_bytes(),
            Corruption::SeqNotAnInteger,
        ),
        (
            format!(r#"{{"seq":0,"prev":"{genesis}"}}"#).into_bytes(),
            Corruption::SeqNotAnInteger,
        ),
        (
            format!(r#"{{"seq":-1,"prev":"{genesis}"}}"#).into_bytes(),
            Corruption::SeqNotAnInteger,
        ),
        (br#"{"seq":1}"#.to_vec(), Corruption::PrevMissing),
        (br#"{"seq":1,"prev":7}"#.to_vec(), Corruption::PrevMissing),
        (
            br#"{"seq":1,"prev":"00"}"#.to_vec(),
            Corruption::PrevMalformed,
        ),
        (
            format!(r#"{{"seq":1,"prev":"{}"}}"#, "A".repeat(64)).into_bytes(),
            Corruption::PrevMalformed,
        ),
    ];
    for (line, expected) in cases {
        let (_dir, path) = journal_path();
        write_lines(&path, std::slice::from_ref(&line));
        let (at, reason) = broken(&path);
        assert_eq!(at, 1, "{}", String::from_utf8_lossy(&line));
        match (&reason, &expected) {
            (Corruption::NotJson { detail }, Corruption::NotJson { .. }) => {
                assert!(!detail.is_empty());
            }
            _ => assert_eq!(reason, expected, "{}", String::from_utf8_lossy(&line)),
        }
        assert!(matches!(
            Journal::open(&path),
            Err(JournalError::Broken { line: 1, .. })
        ));
    }
}

#[test]
fn an_empty_line_in_the_middle_is_corruption() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut with_gap = lines(&path);
    with_gap.insert(1, Vec::new());
    write_lines(&path, &with_gap);
    assert_eq!(broken(&path), (2, Corruption::Empty));
}

#[test]
fn an_overlong_line_is_refused_without_reading_it_all() {
    let (_dir, path) = journal_path();
    closed_journal(&path);
    let mut long = lines(&path);
    long.insert(1, vec![b'x'; MAX_LINE_BYTES + 1]);
    write_lines(&path, &long);
    assert_eq!(
        broken(&path),
        (
            2,
            Corruption::TooLong {
                limit: MAX_LINE_BYTES
            }
        )
    );

    // Without a newline it is not a torn write (the journal never writes such a line).
    let (_dir2, tail_path) = journal_path();
    std::fs::write(&tail_path, b"x".repeat(MAX_LINE_BYTES + 5)).unwrap();
    assert_eq!(
        broken(&tail_path),
        (
            1,
            Corruption::TooLong {
                limit: MAX_LINE_BYTES
            }
        )
    );
    assert!(matches!(
        Journal::open(&tail_path),
        Err(JournalError::Broken {
            line: 1,
            reason: Corruption::TooLong { .. },
            ..
        })
    ));
}

#[test]
fn a_line_of_exactly_the_limit_is_accepted() {
    let (_dir, path) = journal_path();
    let mut journal = Journal::open(&path).unwrap().journal;
    let overhead = format!(r#"{{"seq":1,"prev":"{}","pad":""}}"#, "0".repeat(64)).len();
    let pad = "p".repeat(MAX_LINE_BYTES - overhead);
    journal.append(&json!({ "pad": pad })).unwrap();
    assert!(matches!(
        journal.append(&json!({ "pad": format!("{pad}pp") })),
        Err(JournalError::RecordTooLarge { .. })
    ));
    drop(journal);
    assert_eq!(lines(&path)[0].len(), MAX_LINE_BYTES);
    assert!(matches!(
        verify(&path).unwrap(),
        Report::Unclosed { records: 1, .. }
    ));
}

#[test]
fn refused_records_write_nothing_and_use_no_seq() {
    let (_dir, path) = journal_path();
    let mut journal = Journal::open(&path).unwrap().journal;
    assert!(matches!(
        journal.append(&json!([1])),
        Err(JournalError::NotAnObject { found: "an array" })
    ));
    assert!(matches!(
        journal.append(&"text"),
        Err(JournalError::NotAnObject { found: "a string" })
    ));
    assert!(matches!(
        journal.append(&json!({"seq": 9})),
        Err(JournalError::ReservedField { field: "seq", .. })
    ));
    assert!(matches!(
        journal.append(&json!({"type": "closing"})),
        Err(JournalError::ReservedField { field: "type", .. })
    ));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert_eq!(journal.append(&json!({"ok": true})).unwrap(), 1);
    let message = journal
        .close(&json!({"type": "x"}))
        .unwrap_err()
        .to_string();
    assert!(message.contains("may not set `type`"), "{message}");
}

#[test]
fn a_second_open_in_the_same_process_is_locked_out_until_the_first_is_dropped() {
    let (_dir, path) = journal_path();
    let first = Journal::open(&path).unwrap();
    match Journal::open(&path) {
        Err(JournalError::Locked { path: locked }) => assert_eq!(locked, path),
        other => panic!("expected Locked, got {other:?}"),
    }
    let message = Journal::open(&path).unwrap_err().to_string();
    assert!(message.contains("is locked by another run"), "{message}");
    // Reading is not locked out (flock is advisory).
    assert!(matches!(verify(&path).unwrap(), Report::Intact { .. }));
    drop(first);
    let second = Journal::open(&path).unwrap();
    second.journal.close(&json!({})).unwrap();
    // close released the lock too.
    Journal::open(&path).unwrap();
}

#[test]
fn another_thread_is_locked_out_too() {
    let (_dir, path) = journal_path();
    let _held = Journal::open(&path).unwrap();
    let other = path.clone();
    let result = std::thread::spawn(move || Journal::open(&other).map(|_| ()))
        .join()
        .unwrap();
    assert!(matches!(result, Err(JournalError::Locked { .. })));
}

#[cfg(unix)]
#[test]
fn a_new_journal_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = journal_path();
    drop(Journal::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[test]
fn files_that_cannot_be_journals_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(JournalError::NotAFile { .. })
    ));
    assert!(matches!(
        Journal::open(dir.path()),
        Err(JournalError::Io { .. })
    ));
    let missing = dir.path().join("missing.journal");
    match verify(&missing) {
        Err(JournalError::Io { action, source, .. }) => {
            assert_eq!(action, "open the file");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert!(!missing.exists(), "verify never creates a journal");
    let nowhere = dir.path().join("no-such-dir").join("run.journal");
    let message = Journal::open(&nowhere).unwrap_err().to_string();
    assert!(message.contains("cannot open the file"), "{message}");
}
