//! Checking a journal without opening it for writing.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::TornTail;
use super::error::{Corruption, JournalError};
use super::scan::{ScanError, scan};

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Every line checks out and the last one is a closing record (or the file is empty).
    Intact {
        /// Lines in the file.
        records: u64,
        /// Closing records among them: runs that finished.
        runs: u64,
        /// The lowercase hex SHA-256 of the last line (64 zeros for an empty file).
        head: String,
    },
    /// Every complete line checks out, but the last run has no closing record: it stopped
    /// (a crash, a kill) or lines were cut from the end.
    Unclosed {
        /// Complete lines in the file.
        records: u64,
        /// Runs that finished before the unclosed one.
        runs: u64,
        /// The lowercase hex SHA-256 of the last complete line.
        head: String,
        /// A final line without its newline (a write a crash interrupted), which
        /// [`Journal::open`](super::Journal::open) would cut off.
        torn_tail: Option<TornTail>,
    },
    /// A line fails verification; nothing after it was checked.
    Broken {
        /// The first bad line, counting from 1.
        line: u64,
        /// What is wrong with it.
        reason: Corruption,
    },
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Intact { records, runs, .. } => {
                write!(f, "intact: {records} records, {runs} closed runs")
            }
            Self::Unclosed {
                records,
                runs,
                torn_tail,
                ..
            } => {
                write!(
                    f,
                    "unclosed: {records} records, {runs} closed runs, and the last run has no \
                     closing record"
                )?;
                match torn_tail {
                    Some(torn) => write!(
                        f,
                        "; a torn final line of {} bytes (an interrupted write) follows",
                        torn.len
                    ),
                    None => Ok(()),
                }
            }
            Self::Broken { line, reason } => write!(f, "broken: line {line}: {reason}"),
        }
    }
}

/// Reads the journal at `path` and checks every line, without locking or changing it (a
/// journal another run is appending to may show as [`Report::Unclosed`]).
///
/// An error is returned only when the file cannot be read; what is wrong *inside* it is the
/// [`Report`].
pub fn verify(path: impl AsRef<Path>) -> Result<Report, JournalError> {
    let path = path.as_ref();
    let io_error = |action| {
        move |source| JournalError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    };
    let file = File::open(path).map_err(io_error("open the file"))?;
    if !file
        .metadata()
        .map_err(io_error("read the file's metadata"))?
        .is_file()
    {
        return Err(JournalError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    match scan(BufReader::new(file), |_| {}) {
        Ok(scanned)
            if scanned.torn_tail.is_none() && (scanned.last_is_closing || scanned.records == 0) =>
        {
            Ok(Report::Intact {
                records: scanned.records,
                runs: scanned.runs,
                head: scanned.head,
            })
        }
        Ok(scanned) => Ok(Report::Unclosed {
            records: scanned.records,
            runs: scanned.runs,
            head: scanned.head,
            torn_tail: scanned.torn_tail,
        }),
        Err(ScanError::Broken { line, reason }) => Ok(Report::Broken { line, reason }),
        Err(ScanError::Io(source)) => Err(io_error("read the file")(source)),
    }
}
