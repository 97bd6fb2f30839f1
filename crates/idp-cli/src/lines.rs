//! Reading an input file line by line, robustly: each line decoded on its own (one bad byte
//! spoils only its line), `\n`, `\r\n` and a bare `\r` all end a line, a UTF-8 byte-order mark
//! is dropped, a UTF-16 file is refused with a clear message, and no line is held beyond
//! [`MAX_LINE_BYTES`] (a 1 GB line costs 4 KiB of memory, not 2 GiB).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use crate::exit::UsageError;

/// The longest line kept; a longer one is refused (its rest skipped without buffering).
pub const MAX_LINE_BYTES: usize = 4096;

/// One line of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line that is valid UTF-8, as read (not trimmed).
    Text(String),
    /// A line that is not valid UTF-8; the text is a lossy rendering for messages.
    NotUtf8(String),
    /// A line longer than [`MAX_LINE_BYTES`]; the text is its beginning.
    TooLong(String),
}

/// An input source, opened and checked.
pub struct Source {
    name: String,
    reader: Box<dyn BufRead + Send>,
    first: bool,
}

impl Source {
    /// Opens `path` (`-` for standard input), checking before anything is sent that it
    /// exists, is a regular file or a pipe, and is readable.
    pub fn open(path: &Path) -> Result<Source, UsageError> {
        if path == Path::new("-") {
            return Ok(Source {
                name: "standard input".to_owned(),
                reader: Box::new(BufReader::new(io::stdin())),
                first: true,
            });
        }
        let name = path.display().to_string();
        let refuse = |why: String| UsageError(format!("cannot read {name}: {why}"));
        let metadata = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
        let kind = metadata.file_type();
        let pipe = {
            use std::os::unix::fs::FileTypeExt;
            kind.is_fifo()
        };
        if kind.is_dir() {
            return Err(refuse("it is a directory".to_owned()));
        }
        if !kind.is_file() && !pipe {
            return Err(refuse("it is not a regular file or a pipe".to_owned()));
        }
        let file = File::open(path).map_err(|e| refuse(e.to_string()))?;
        Ok(Source {
            name,
            reader: Box::new(BufReader::new(file)),
            first: true,
        })
    }

    /// The source's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next line, `None` at the end. A UTF-16 file is a usage error; a read error too.
    pub fn next_line(&mut self) -> Result<Option<Line>, UsageError> {
        let mut bytes = Vec::new();
        let mut too_long = false;
        loop {
            let buffer = self
                .reader
                .fill_buf()
                .map_err(|e| UsageError(format!("reading {} failed: {e}", self.name)))?;
            if buffer.is_empty() {
                if bytes.is_empty() && !too_long {
                    return Ok(None);
                }
                break;
            }
            let end = buffer.iter().position(|&b| b == b'\n' || b == b'\r');
            let take = end.unwrap_or(buffer.len());
            let room = MAX_LINE_BYTES.saturating_sub(bytes.len());
            if take > room {
                too_long = true;
            }
            bytes.extend_from_slice(&buffer[..take.min(room)]);
            match end {
                Some(at) => {
                    let terminator = buffer[at];
                    self.reader.consume(at + 1);
                    if terminator == b'\r' {
                        // A `\r\n` pair ends one line, not two.
                        let next = self.reader.fill_buf().map_err(|e| {
                            UsageError(format!("reading {} failed: {e}", self.name))
                        })?;
                        if next.first() == Some(&b'\n') {
                            self.reader.consume(1);
                        }
                    }
                    break;
                }
                None => {
                    let len = buffer.len();
                    self.reader.consume(len);
                }
            }
        }
        if std::mem::take(&mut self.first) {
            if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
                return Err(UsageError(format!(
                    "{} is UTF-16: save it as UTF-8 and try again",
                    self.name
                )));
            }
            if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes.drain(..3);
            }
        }
        let lossy = || String::from_utf8_lossy(&bytes).into_owned();
        if too_long {
            return Ok(Some(Line::TooLong(idp::text::truncate_for_message(
                &lossy(),
            ))));
        }
        Ok(Some(match String::from_utf8(bytes) {
            Ok(text) => Line::Text(text),
            Err(e) => Line::NotUtf8(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }))
    }

    /// The rest of the input as one string (for CSV): every line joined with `\n`, with the
    /// same UTF-16 and BOM rules; a line that is not UTF-8 is a usage error naming it.
    pub fn read_all_text(&mut self) -> Result<String, UsageError> {
        let mut text = String::new();
        let mut number = 0usize;
        while let Some(line) = self.next_line()? {
            number += 1;
            match line {
                Line::Text(line) => {
                    text.push_str(&line);
                    text.push('\n');
                }
                Line::NotUtf8(_) => {
                    return Err(UsageError(format!(
                        "{} line {number} is not UTF-8: save the file as UTF-8",
                        self.name
                    )));
                }
                Line::TooLong(_) => {
                    return Err(UsageError(format!(
                        "{} line {number} is longer than {MAX_LINE_BYTES} bytes",
                        self.name
                    )));
                }
            }
        }
        Ok(text)
    }
}

/// A reader over `bytes`, for tests.
#[cfg(test)]
pub fn source_of(bytes: &'static [u8]) -> Source {
    Source {
        name: "test".to_owned(),
        reader: Box::new(BufReader::new(bytes)),
        first: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &'static [u8]) -> Vec<Line> {
        let mut source = source_of(bytes);
        let mut out = Vec::new();
        while let Ok(Some(line)) = source.next_line() {
            out.push(line);
        }
        out
    }

    fn text(s: &str) -> Line {
        Line::Text(s.to_owned())
    }

    #[test]
    fn every_line_end_and_the_bom() {
        assert_eq!(
            lines(b"\xEF\xBB\xBFa\r\nb\rc\nd"),
            vec![text("a"), text("b"), text("c"), text("d")]
        );
        assert_eq!(lines(b"a\r\r\nb"), vec![text("a"), text(""), text("b")]);
    }

    #[test]
    fn a_bad_byte_spoils_only_its_line() {
        let got = lines(b"# caf\xE9\n42\n4\xFF3\n7\n");
        assert!(matches!(&got[0], Line::NotUtf8(_)));
        assert_eq!(got[1], text("42"));
        assert!(matches!(&got[2], Line::NotUtf8(_)));
        assert_eq!(got[3], text("7"));
    }

    #[test]
    fn utf16_is_refused_and_long_lines_are_cut() {
        let mut source = source_of(b"\xFF\xFE1\x002\x00");
        assert!(source.next_line().is_err());
        let long: &'static [u8] = Box::leak(
            [vec![b'x'; 10_000], b"\nnext\n".to_vec()]
                .concat()
                .into_boxed_slice(),
        );
        let got = lines(long);
        assert!(matches!(&got[0], Line::TooLong(_)));
        assert_eq!(got[1], text("next"));
    }
}
