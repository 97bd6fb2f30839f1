//! Standard output for results: buffered (a line waits at most [`FLUSH_DELAY`] for others to
//! share its write), never a panic, and a failed write remembered, so the run can stop and
//! exit 3 instead of reporting lines nobody received. Lines given with a label are tracked
//! until they are known to be written: when a write fails, [`Out::take_lost`] hands back the
//! labels of the lines that never reached stdout. A label is whatever the caller needs to
//! say what was lost (`idp delete` keeps the finished line itself, and renders it only then).

use std::io::{self, BufWriter, Stdout, Write};
use std::time::{Duration, Instant};

use serde::Serialize;

/// How long a finished line may wait in the buffer: short enough that a script sees lines as
/// they finish, long enough that a fast bulk run writes many lines at once.
pub const FLUSH_DELAY: Duration = Duration::from_millis(50);

/// Buffered stdout that records its first failure; `L` labels the lines it tracks (none
/// for [`Out::new`]).
pub struct Out<L = ()> {
    writer: BufWriter<Stdout>,
    failed: Option<io::Error>,
    oldest_unflushed: Option<Instant>,
    /// The labels of the lines not yet known to be written: in the buffer, or refused after
    /// a write failed.
    pending: Vec<L>,
    /// A JSON line is serialised here first, so its length is known before it is buffered.
    scratch: Vec<u8>,
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

impl Out {
    /// Stdout, buffered, tracking no line.
    pub fn new() -> Self {
        Out::tracking()
    }
}

impl<L> Out<L> {
    /// Stdout, buffered, tracking lines under labels of type `L`.
    pub fn tracking() -> Self {
        Out {
            writer: BufWriter::new(io::stdout()),
            failed: None,
            oldest_unflushed: None,
            pending: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Whether a write has failed (the reader went away, the disk is full).
    pub fn failed(&self) -> bool {
        self.failed.is_some()
    }

    /// The first write error, for the message.
    pub fn error(&self) -> Option<&io::Error> {
        self.failed.as_ref()
    }

    /// Writes one line (a newline is added). `false` when it, or an earlier write, failed.
    pub fn line(&mut self, text: &str) -> bool {
        self.write_line(text.as_bytes(), None)
    }

    /// [`Out::line`], tracked under `label` until it is known to be written.
    pub fn line_labelled(&mut self, text: &str, label: L) -> bool {
        self.write_line(text.as_bytes(), Some(label))
    }

    /// Writes one value as a JSON line.
    pub fn json<T: Serialize>(&mut self, value: &T) -> bool {
        let line = self.serialise(value);
        self.write_serialised(line, None)
    }

    /// Writes `label` itself as a JSON line, tracked under it until it is known to be
    /// written.
    pub fn json_labelled(&mut self, label: L) -> bool
    where
        L: Serialize,
    {
        let line = self.serialise(&label);
        self.write_serialised(line, Some(label))
    }

    /// `value` as JSON, in the scratch buffer (so its length is known before it is buffered);
    /// `None` once stdout has failed.
    fn serialise<T: Serialize>(&mut self, value: &T) -> Option<Vec<u8>> {
        if self.failed.is_some() {
            return None;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        match serde_json::to_writer(&mut scratch, value) {
            Ok(()) => Some(scratch),
            Err(err) => {
                self.failed = Some(io::Error::other(err));
                None
            }
        }
    }

    fn write_serialised(&mut self, line: Option<Vec<u8>>, label: Option<L>) -> bool {
        let Some(bytes) = line else {
            self.pending.extend(label);
            return false;
        };
        let written = self.write_line(&bytes, label);
        self.scratch = bytes;
        written
    }

    fn write_line(&mut self, bytes: &[u8], label: Option<L>) -> bool {
        if self.failed.is_some() {
            self.pending.extend(label);
            return false;
        }
        // Make room first, so the buffer is only ever written by `flush`: then the lines in
        // it are exactly those not yet known to be written.
        let needed = bytes.len() + 1;
        if self.writer.buffer().len() + needed > self.writer.capacity() && !self.flush() {
            self.pending.extend(label);
            return false;
        }
        self.pending.extend(label);
        let result = self
            .writer
            .write_all(bytes)
            .and_then(|()| self.writer.write_all(b"\n"));
        if let Err(err) = result {
            self.failed = Some(err);
            return false;
        }
        let oldest = *self.oldest_unflushed.get_or_insert_with(Instant::now);
        // A line longer than the buffer went (partly) straight to stdout: settle it now.
        if needed > self.writer.capacity() || oldest.elapsed() >= FLUSH_DELAY {
            return self.flush();
        }
        true
    }

    /// When the oldest buffered line has waited long enough (`None`: nothing buffered).
    pub fn flush_due_at(&self) -> Option<Instant> {
        self.oldest_unflushed.map(|oldest| oldest + FLUSH_DELAY)
    }

    /// Sends what is buffered. `false` when it failed.
    pub fn flush(&mut self) -> bool {
        self.oldest_unflushed = None;
        if self.failed.is_some() {
            return false;
        }
        match self.writer.flush() {
            Ok(()) => {
                self.pending.clear();
                true
            }
            Err(err) => {
                self.failed = Some(err);
                false
            }
        }
    }

    /// Once a write has failed: the labels of the lines that never reached stdout (each
    /// returned once, in order). Empty while stdout works.
    pub fn take_lost(&mut self) -> Vec<L> {
        if self.failed.is_none() {
            return Vec::new();
        }
        std::mem::take(&mut self.pending)
    }
}

/// Text for a terminal: control characters (ESC, CR, newlines …) written as escapes, so an id
/// or a vendor message can never move the cursor, clear the screen or forge a line.
pub fn escape(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\rdeleted  fake"), "x\\rdeleted  fake");
        assert_eq!(escape("l1\nl2"), "l1\\nl2");
    }
}
