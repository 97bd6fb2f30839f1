//! What can go wrong with a journal, and what a broken line looks like.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a journal could not be opened, appended to or verified.
///
/// Messages name the journal's path (chosen by the operator, never a secret) and never quote
/// a record's content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading, writing, syncing or locking the file failed.
    #[error("journal {}: cannot {action}: {source}", path.display())]
    Io {
        /// The journal's path.
        path: PathBuf,
        /// What was being done, e.g. `"open the file"` or `"sync the record to disk"`.
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Another open [`Journal`](super::Journal) (in this process or another one) holds the
    /// lock: another run is using this journal.
    #[error(
        "journal {} is locked by another run (another `Journal::open` of the same file holds its lock)",
        path.display()
    )]
    Locked {
        /// The journal's path.
        path: PathBuf,
    },
    /// The path exists but is not a regular file (a directory, a FIFO, a device…).
    #[error("journal {} is not a regular file", path.display())]
    NotAFile {
        /// The journal's path.
        path: PathBuf,
    },
    /// A line fails verification: the file was edited, truncated in the middle, reordered, or
    /// is not a journal.
    #[error("journal {} is broken at line {line}: {reason}", path.display())]
    Broken {
        /// The journal's path.
        path: PathBuf,
        /// The first bad line, counting from 1.
        line: u64,
        /// What is wrong with it.
        reason: Corruption,
    },
    /// The record did not serialize to a JSON object.
    #[error("a journal record must be a JSON object, not {found}")]
    NotAnObject {
        /// What it was instead: `"null"`, `"a boolean"`, `"a number"`, `"a string"` or
        /// `"an array"`.
        found: &'static str,
    },
    /// The record could not be serialized at all.
    #[error("the journal record could not be serialized: {0}")]
    Serialize(#[source] serde_json::Error),
    /// The record has a field the journal writes itself (`seq`, `prev`), or a `"type"` of
    /// `"closing"` outside [`Journal::close`](super::Journal::close).
    #[error("a journal record may not set `{field}`: {why}")]
    ReservedField {
        /// The field's name.
        field: &'static str,
        /// Why it is reserved.
        why: &'static str,
    },
    /// The record's line would be longer than a journal line may be.
    #[error("the journal record is {len} bytes long; a line may hold at most {limit}")]
    RecordTooLarge {
        /// The line's length in bytes, without its newline.
        len: usize,
        /// [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES).
        limit: usize,
    },
    /// An earlier append failed in a way that leaves the file's state unknown (the write
    /// could not be undone, or the sync failed); this `Journal` writes nothing more. Open the
    /// file again: that verifies it and cuts a torn tail.
    #[error(
        "journal {}: an earlier write failed and could not be undone; open the journal again",
        path.display()
    )]
    Poisoned {
        /// The journal's path.
        path: PathBuf,
    },
}

/// What is wrong with a line of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Corruption {
    /// The line is empty (the journal never writes one).
    Empty,
    /// The line is longer than [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES).
    TooLong {
        /// The limit it exceeds.
        limit: usize,
    },
    /// The line is not valid UTF-8.
    NotUtf8,
    /// The line is not JSON.
    NotJson {
        /// The parser's message (positions within the line, never its content).
        detail: String,
    },
    /// The line is JSON but not an object.
    NotAnObject,
    /// The line has no `seq`.
    SeqMissing,
    /// `seq` is not a positive integer.
    SeqNotAnInteger,
    /// `seq` is not the line's position in the file.
    SeqOutOfOrder {
        /// The seq this line must have (its line number).
        expected: u64,
        /// The seq it has.
        found: u64,
    },
    /// The line has no `prev`, or it is not a string.
    PrevMissing,
    /// `prev` is not 64 lowercase hex digits.
    PrevMalformed,
    /// The first line's `prev` is not 64 zeros: lines before it were removed.
    FirstPrevNotZero,
    /// `prev` is not the SHA-256 of the line before.
    PrevMismatch {
        /// The number of the line before.
        previous_line: u64,
    },
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the line is empty"),
            Self::TooLong { limit } => write!(f, "the line is longer than {limit} bytes"),
            Self::NotUtf8 => f.write_str("the line is not valid UTF-8"),
            Self::NotJson { detail } => write!(f, "the line is not JSON ({detail})"),
            Self::NotAnObject => f.write_str("the line is JSON but not an object"),
            Self::SeqMissing => f.write_str("the line has no seq"),
            Self::SeqNotAnInteger => f.write_str("seq is not a positive integer"),
            Self::SeqOutOfOrder { expected, found } => write!(
                f,
                "seq is {found} where {expected} was expected (a line was removed, added or moved)"
            ),
            Self::PrevMissing => f.write_str("the line has no prev string"),
            Self::PrevMalformed => f.write_str("prev is not 64 lowercase hex digits"),
            Self::FirstPrevNotZero => {
                f.write_str("the first line's prev is not 64 zeros (lines before it were removed)")
            }
            Self::PrevMismatch { previous_line } => write!(
                f,
                "prev does not match the SHA-256 of line {previous_line} (the line was edited, \
                 removed or moved)"
            ),
        }
    }
}
