//! What the tool prints per id and at the end.

use std::io::Write;
use std::time::Duration;

use idp::{DeleteOutcome, DeleteReport, Error};
use serde::Serialize;

use crate::args::OutputFormat;

/// How one id ended, as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Deleted now.
    Deleted,
    /// The platform says the user does not exist.
    Absent,
    /// Not deleted; see the error.
    Failed,
    /// Dry run: valid, not sent.
    Skipped,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Deleted => "deleted",
            Outcome::Absent => "absent",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One printed line's content.
pub struct Line<'a> {
    pub user_id: &'a str,
    pub outcome: Outcome,
    pub attempts: u32,
    pub elapsed: Duration,
    pub error: Option<&'a Error>,
}

impl<'a> Line<'a> {
    /// The line for a finished delete.
    pub fn from_report(report: &'a DeleteReport) -> Self {
        let (outcome, error) = match &report.outcome {
            Ok(DeleteOutcome::Deleted) => (Outcome::Deleted, None),
            Ok(DeleteOutcome::Absent) => (Outcome::Absent, None),
            Err(err) => (Outcome::Failed, Some(err)),
        };
        Line {
            user_id: &report.user_id,
            outcome,
            attempts: report.attempts,
            elapsed: report.elapsed,
            error,
        }
    }
}

/// Counts per outcome, for the summary and the exit status.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub deleted: u64,
    pub absent: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Deleted => self.deleted += 1,
            Outcome::Absent => self.absent += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
        }
    }
}

/// Writes each line as it comes and keeps the tally.
pub struct Reporter<W: Write> {
    out: W,
    format: OutputFormat,
    provider: &'static str,
    pub tally: Tally,
}

impl<W: Write> Reporter<W> {
    pub fn new(out: W, format: OutputFormat, provider: &'static str) -> Self {
        Reporter {
            out,
            format,
            provider,
            tally: Tally::default(),
        }
    }

    /// Prints one id's line and flushes it.
    pub fn line(&mut self, line: &Line<'_>) -> std::io::Result<()> {
        self.write_line(line)?;
        // Scripts read lines as they finish.
        self.out.flush()
    }

    /// Writes one id's line without flushing (a bulk run flushes whenever it would wait for
    /// the next result: see `delete.rs`).
    pub fn write_line(&mut self, line: &Line<'_>) -> std::io::Result<()> {
        self.tally.add(line.outcome);
        match self.format {
            OutputFormat::Json => {
                serde_json::to_writer(&mut self.out, &JsonLine::new(self.provider, line))?;
                self.out.write_all(b"\n")?;
            }
            OutputFormat::Text => {
                let attempts = match line.attempts {
                    1 => "1 attempt".to_owned(),
                    n => format!("{n} attempts"),
                };
                let detail = match line.error {
                    Some(err) => format!("  {err}"),
                    None => String::new(),
                };
                writeln!(
                    self.out,
                    "{:<8} {}  ({attempts}, {} ms){detail}",
                    line.outcome.as_str(),
                    line.user_id,
                    line.elapsed.as_millis()
                )?;
            }
        }
        Ok(())
    }

    /// Sends the lines written so far.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Prints the summary (text output only: JSON output stays one object per line).
    pub fn summary(&mut self, elapsed: Duration) -> std::io::Result<()> {
        if self.format == OutputFormat::Text {
            let t = self.tally;
            writeln!(
                self.out,
                "{}: {} deleted, {} absent, {} failed, {} skipped in {:.1} s",
                self.provider,
                t.deleted,
                t.absent,
                t.failed,
                t.skipped,
                elapsed.as_secs_f64()
            )?;
        }
        self.out.flush()
    }
}

/// The JSON object of one id: the documented contract. Fields are declared in alphabetical
/// order, the order the output has always had (serde_json's sorted maps), so the bytes do not
/// change; serialised straight from borrowed values, with no JSON tree built per id.
#[derive(Serialize)]
struct JsonLine<'a> {
    attempts: u32,
    elapsed_ms: u64,
    error: Option<JsonError<'a>>,
    outcome: &'static str,
    provider: &'a str,
    user_id: &'a str,
}

#[derive(Serialize)]
struct JsonError<'a> {
    code: Option<&'a str>,
    kind: &'static str,
    message: &'a str,
    request_id: Option<&'a str>,
    status: Option<u16>,
}

impl<'a> JsonLine<'a> {
    fn new(provider: &'a str, line: &'a Line<'a>) -> Self {
        JsonLine {
            attempts: line.attempts,
            elapsed_ms: u64::try_from(line.elapsed.as_millis()).unwrap_or(u64::MAX),
            error: line.error.map(|err| JsonError {
                code: err.code(),
                kind: err.kind().as_str(),
                message: err.message(),
                request_id: err.request_id(),
                status: err.status(),
            }),
            outcome: line.outcome.as_str(),
            provider,
            user_id: line.user_id,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use idp::ErrorKind;

    fn json_of(line: &Line<'_>) -> String {
        let mut out = Vec::new();
        Reporter::new(&mut out, OutputFormat::Json, "onelogin")
            .line(line)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, format!("{}\n", json_value(line)));
        text
    }

    /// How the line was made before (a `serde_json::Value`, whose maps are sorted): the
    /// output must stay byte for byte the same.
    fn json_value(line: &Line<'_>) -> serde_json::Value {
        let error = line.error.map(|err| {
            serde_json::json!({
                "kind": err.kind().as_str(),
                "status": err.status(),
                "code": err.code(),
                "message": err.message(),
                "request_id": err.request_id(),
            })
        });
        serde_json::json!({
            "provider": "onelogin",
            "user_id": line.user_id,
            "outcome": line.outcome.as_str(),
            "attempts": line.attempts,
            "elapsed_ms": u64::try_from(line.elapsed.as_millis()).unwrap(),
            "error": error,
        })
    }

    #[test]
    fn json_lines_keep_their_exact_bytes() {
        let ok = Line {
            user_id: "42",
            outcome: Outcome::Deleted,
            attempts: 1,
            elapsed: Duration::from_millis(7),
            error: None,
        };
        assert_eq!(
            json_of(&ok),
            "{\"attempts\":1,\"elapsed_ms\":7,\"error\":null,\"outcome\":\"deleted\",\
             \"provider\":\"onelogin\",\"user_id\":\"42\"}\n"
        );
        let err = Error::new(ErrorKind::Conflict, "onelogin", "say \"no\"\n")
            .with_status(409)
            .with_code("E1");
        let failed = Line {
            user_id: "4\"2",
            outcome: Outcome::Failed,
            attempts: 3,
            elapsed: Duration::from_millis(1500),
            error: Some(&err),
        };
        assert_eq!(
            json_of(&failed),
            "{\"attempts\":3,\"elapsed_ms\":1500,\"error\":{\"code\":\"E1\",\"kind\":\"conflict\",\
             \"message\":\"say \\\"no\\\"\\n\",\"request_id\":null,\"status\":409},\
             \"outcome\":\"failed\",\"provider\":\"onelogin\",\"user_id\":\"4\\\"2\"}\n"
        );
    }
}
