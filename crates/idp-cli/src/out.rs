//! Standard output for results: buffered (a line waits at most [`FLUSH_DELAY`] for others to
//! share its write), never a panic, and a failed write remembered, so the run can stop and
//! exit 3 instead of reporting lines nobody received.

use std::io::{self, BufWriter, Stdout, Write};
use std::time::{Duration, Instant};

use serde::Serialize;

/// How long a finished line may wait in the buffer: short enough that a script sees lines as
/// they finish, long enough that a fast bulk run writes many lines at once.
pub const FLUSH_DELAY: Duration = Duration::from_millis(50);

/// Buffered stdout that records its first failure.
pub struct Out {
    writer: BufWriter<Stdout>,
    failed: Option<io::Error>,
    oldest_unflushed: Option<Instant>,
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

impl Out {
    /// Stdout, buffered.
    pub fn new() -> Self {
        Out {
            writer: BufWriter::new(io::stdout()),
            failed: None,
            oldest_unflushed: None,
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
        if self.failed.is_some() {
            return false;
        }
        let result = self
            .writer
            .write_all(text.as_bytes())
            .and_then(|()| self.writer.write_all(b"\n"));
        self.after_write(result)
    }

    /// Writes one value as a JSON line.
    pub fn json<T: Serialize>(&mut self, value: &T) -> bool {
        if self.failed.is_some() {
            return false;
        }
        let result = serde_json::to_writer(&mut self.writer, value)
            .map_err(io::Error::other)
            .and_then(|()| self.writer.write_all(b"\n"));
        self.after_write(result)
    }

    fn after_write(&mut self, result: io::Result<()>) -> bool {
        if let Err(err) = result {
            self.failed = Some(err);
            return false;
        }
        let oldest = *self.oldest_unflushed.get_or_insert_with(Instant::now);
        if oldest.elapsed() >= FLUSH_DELAY {
            return self.flush();
        }
        true
    }

    /// How much longer the oldest buffered line may wait (`None`: nothing buffered).
    pub fn flush_due_in(&self) -> Option<Duration> {
        self.oldest_unflushed
            .map(|oldest| FLUSH_DELAY.saturating_sub(oldest.elapsed()))
    }

    /// Sends what is buffered. `false` when it failed.
    pub fn flush(&mut self) -> bool {
        self.oldest_unflushed = None;
        if self.failed.is_some() {
            return false;
        }
        match self.writer.flush() {
            Ok(()) => true,
            Err(err) => {
                self.failed = Some(err);
                false
            }
        }
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
