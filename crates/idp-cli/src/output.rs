//! What the tool prints per id and at the end.

use std::io::Write;
use std::time::Duration;

use idp::{DeleteOutcome, DeleteReport, Error};
use serde_json::json;

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

    /// Prints one id's line.
    pub fn line(&mut self, line: &Line<'_>) -> std::io::Result<()> {
        self.tally.add(line.outcome);
        match self.format {
            OutputFormat::Json => {
                let value = json_line(self.provider, line);
                writeln!(self.out, "{value}")?;
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
        // Scripts read lines as they finish.
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

/// The JSON object of one id: the documented contract.
pub fn json_line(provider: &str, line: &Line<'_>) -> serde_json::Value {
    let error = line.error.map(|err| {
        json!({
            "kind": err.kind().as_str(),
            "status": err.status(),
            "code": err.code(),
            "message": err.message(),
            "request_id": err.request_id(),
        })
    });
    json!({
        "provider": provider,
        "user_id": line.user_id,
        "outcome": line.outcome.as_str(),
        "attempts": line.attempts,
        "elapsed_ms": u64::try_from(line.elapsed.as_millis()).unwrap_or(u64::MAX),
        "error": error,
    })
}
