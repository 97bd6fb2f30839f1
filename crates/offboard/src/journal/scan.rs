//! Reading a journal back: bounded lines, each checked against its position and the line
//! before it. `Journal::open` and `verify` share this walk, so they cannot disagree.

use std::io::{self, BufRead, Read};

use serde_json::{Map, Value};

use super::error::Corruption;
use super::{Entry, GENESIS, MAX_LINE_BYTES, TornTail};
use crate::sha256::sha256_hex;

/// What a walk over a whole journal found.
#[derive(Debug)]
pub(super) struct Scanned {
    /// Complete, verified lines.
    pub records: u64,
    /// Closing records among them.
    pub runs: u64,
    /// Whether the last complete line is a closing record (false for an empty journal).
    pub last_is_closing: bool,
    /// The SHA-256 of the last complete line ([`GENESIS`] for an empty journal).
    pub head: String,
    /// Bytes up to the end of the last complete line.
    pub len: u64,
    /// A final line without its newline, left by a write that a crash interrupted.
    pub torn_tail: Option<TornTail>,
}

/// Why a walk stopped early.
#[derive(Debug)]
pub(super) enum ScanError {
    /// Reading failed.
    Io(io::Error),
    /// A line (counting from 1) is bad.
    Broken { line: u64, reason: Corruption },
}

/// Reads `reader` to its end, checking every line and handing each entry to `on_entry`.
pub(super) fn scan<R: BufRead>(
    mut reader: R,
    mut on_entry: impl FnMut(Entry),
) -> Result<Scanned, ScanError> {
    let mut scanned = Scanned {
        records: 0,
        runs: 0,
        last_is_closing: false,
        head: GENESIS.to_owned(),
        len: 0,
        torn_tail: None,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // One byte over the limit (room for the newline) bounds what a hostile file can make
        // us hold in memory.
        let read = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(ScanError::Io)?;
        let line = scanned.records + 1;
        let Some(content) = buf.strip_suffix(b"\n") else {
            if read == 0 {
                return Ok(scanned);
            }
            if read > MAX_LINE_BYTES {
                let reason = Corruption::TooLong {
                    limit: MAX_LINE_BYTES,
                };
                return Err(ScanError::Broken { line, reason });
            }
            // Short of the limit and no newline: the end of the file, mid-line.
            scanned.torn_tail = Some(TornTail {
                offset: scanned.len,
                len: read as u64,
            });
            return Ok(scanned);
        };
        let entry = check_line(content, line, &scanned.head)
            .map_err(|reason| ScanError::Broken { line, reason })?;
        scanned.records = line;
        scanned.last_is_closing = entry.is_closing();
        if scanned.last_is_closing {
            scanned.runs += 1;
        }
        scanned.head = sha256_hex(content);
        scanned.len += read as u64;
        on_entry(entry);
    }
}

/// Checks one complete line (without its newline): JSON object, `seq` equal to its line
/// number, `prev` equal to the SHA-256 of the line before (`expected_prev`).
fn check_line(content: &[u8], line: u64, expected_prev: &str) -> Result<Entry, Corruption> {
    if content.is_empty() {
        return Err(Corruption::Empty);
    }
    let text = std::str::from_utf8(content).map_err(|_| Corruption::NotUtf8)?;
    let value: Value = serde_json::from_str(text).map_err(|e| Corruption::NotJson {
        detail: e.to_string(),
    })?;
    let Value::Object(mut fields) = value else {
        return Err(Corruption::NotAnObject);
    };
    let seq = take_seq(&mut fields)?;
    if seq != line {
        return Err(Corruption::SeqOutOfOrder {
            expected: line,
            found: seq,
        });
    }
    let Some(Value::String(prev)) = fields.remove("prev") else {
        return Err(Corruption::PrevMissing);
    };
    if prev != expected_prev {
        return Err(if !is_sha256_hex(&prev) {
            Corruption::PrevMalformed
        } else if line == 1 {
            Corruption::FirstPrevNotZero
        } else {
            Corruption::PrevMismatch {
                previous_line: line - 1,
            }
        });
    }
    Ok(Entry { seq, fields })
}

fn take_seq(fields: &mut Map<String, Value>) -> Result<u64, Corruption> {
    match fields.remove("seq") {
        None => Err(Corruption::SeqMissing),
        Some(value) => value
            .as_u64()
            .filter(|seq| *seq > 0)
            .ok_or(Corruption::SeqNotAnInteger),
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
