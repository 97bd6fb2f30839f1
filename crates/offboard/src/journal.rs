//! An append-only, crash-safe, tamper-evident JSON-lines journal: what `idp offboard apply`
//! and `idp delete --journal` did, one line per step, so a run can be audited and resumed.
//!
//! # Format
//!
//! Each line is one JSON object and ends with `\n`. The journal writes two fields first:
//!
//! - `"seq"`: 1, 2, 3 … across the whole file (a line's seq is its line number);
//! - `"prev"`: the lowercase hex SHA-256 of the previous line's bytes without its newline
//!   (64 zeros on the first line),
//!
//! then the caller's fields, in the order their `serde_json::Map` holds them (sorted by key,
//! unless `serde_json`'s `preserve_order` feature is on). The hash covers the bytes as
//! written, so key order never has to be reproduced to verify a line.
//!
//! Records carry whatever fields the caller gives. The journal interprets one value only: a
//! `"type"` of `"closing"` marks the closing record that [`Journal::close`] writes at the end
//! of a run, e.g. `{"seq":9,"prev":"…","type":"closing","counts":{"deleted":3,"failed":1}}`.
//! A journal may hold several runs: a resumed run appends after an earlier closing record, or
//! after the records of a run that never closed.
//!
//! ```text
//! {"seq":1,"prev":"0000…0000","action":"delete","user":"u1","outcome":"deleted"}
//! {"seq":2,"prev":"<sha256 of line 1>","type":"closing","counts":{"deleted":1}}
//! ```
//!
//! # What is detected
//!
//! [`verify`] and [`Journal::open`] check every line: an edited line breaks the `prev` of the
//! line after it, a removed or moved line breaks a `seq` (or a `prev`), and a file that ends
//! without a closing record is [`Report::Unclosed`]. Lines are read at most
//! [`MAX_LINE_BYTES`] at a time, so a hostile file cannot exhaust memory; an empty line,
//! invalid UTF-8 or anything but a JSON object is corruption.
//!
//! The chain is a plain hash, not a signature: it catches accidents, careless edits and a
//! truncated tail, but someone who rewrites every line from an edit onward produces a valid
//! chain, and so does someone who removes whole runs from the end. [`Journal::head`] and the
//! `head` of a [`Report`] give the hash of the last line; a copy kept elsewhere (printed at
//! the end of a run, stored in a ticket) is what proves a file unchanged since.
//!
//! # Crashes and durability
//!
//! [`Journal::append`] writes the whole line with one write call on a file opened for
//! appending, then `fdatasync`s it (`File::sync_data`) before returning: once it returns, the
//! record survives a crash or power loss (as far as the disk honours the flush; no test can
//! observe that). A crash mid-write can leave only a prefix of the last line, without its
//! newline; [`Journal::open`] cuts that torn tail off and reports it in
//! [`Opened::torn_tail`]; its `append` never returned, so nothing acknowledged is lost. A new
//! file's directory is synced too, so the file itself survives.
//!
//! # Locking
//!
//! [`Journal::open`] takes an exclusive advisory lock with [`fs4`] and keeps it until the
//! `Journal` is dropped or closed; a second open fails at once with
//! [`JournalError::Locked`], never waits. On Unix fs4 uses `flock(2)`, whose locks belong to
//! an *open file description*: two `Journal::open` calls exclude each other within one
//! process as well as across processes (both are tested), and the lock goes away with the
//! process, however it dies. On NFS, Linux emulates `flock` with byte-range locks, which are
//! per process: there two opens in the same process would both succeed. On Windows fs4 uses
//! `LockFileEx`, which also keeps other handles from reading the locked file, so [`verify`]
//! of a journal in use fails there with an I/O error. The lock is advisory: it keeps idp runs
//! apart, not other programs.

mod error;
mod line;
mod scan;
mod verify;
mod writer;

use serde_json::{Map, Value};

pub use error::{Corruption, JournalError};
pub use verify::{Report, verify};
pub use writer::{Journal, Opened};

/// The most bytes a journal line may hold, not counting its newline: 1 MiB. Appending a
/// longer record is refused; reading a longer line is [`Corruption::TooLong`].
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The `prev` of the first line.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `"type"` value of a closing record.
const CLOSING: &str = "closing";

/// One verified record read back from a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its seq (its line number).
    pub seq: u64,
    /// Its fields without `seq` and `prev`: the caller's fields, plus `"type": "closing"`
    /// for a closing record.
    pub fields: Map<String, Value>,
}

impl Entry {
    /// Whether this is a closing record (`"type": "closing"`), the end of a run.
    pub fn is_closing(&self) -> bool {
        self.fields.get("type").and_then(Value::as_str) == Some(CLOSING)
    }
}

/// An incomplete final line: the prefix of a line whose write a crash interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Where it starts: the length of the file without it.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
}
