//! What `idp delete` prints per id and at the end.

use std::time::Duration;

use idp::{DeleteOutcome, DeleteReport, Error, ErrorKind};
use serde::Serialize;

use crate::out::escape;

/// How one id ended, as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Deleted now.
    Deleted,
    /// The platform says the user does not exist.
    Absent,
    /// Not deleted; see the error.
    Failed,
    /// Dry run: valid, not sent; or never started (interrupted, circuit breaker).
    Skipped,
}

impl Outcome {
    /// The printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Deleted => "deleted",
            Outcome::Absent => "absent",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One printed line's content. Owned, so a line can wait in the output buffer without a
/// copy, and its text is only made when it is shown as text (or lost on the way to stdout).
pub struct Line {
    pub provider: &'static str,
    pub user_id: String,
    pub outcome: Outcome,
    pub attempts: u32,
    pub elapsed: Duration,
    pub waited: Duration,
    pub error: Option<Error>,
}

impl Line {
    /// The line for a finished delete. One the interrupt stopped before its request went out
    /// was never started, as far as the platform knows: `Skipped`, like the ids after it.
    pub fn from_report(provider: &'static str, report: DeleteReport) -> Self {
        let (outcome, error) = match report.outcome {
            Ok(DeleteOutcome::Deleted) => (Outcome::Deleted, None),
            Ok(DeleteOutcome::Absent) => (Outcome::Absent, None),
            Err(err) if err.kind() == ErrorKind::Interrupted && report.attempts == 0 => {
                (Outcome::Skipped, Some(err))
            }
            Err(err) => (Outcome::Failed, Some(err)),
        };
        Line {
            provider,
            user_id: report.user_id,
            outcome,
            attempts: report.attempts,
            elapsed: report.elapsed,
            waited: report.waited,
            error,
        }
    }

    /// A line for an id that was not sent (`Skipped`) or refused before sending (`Failed`).
    pub fn unsent(
        provider: &'static str,
        user_id: String,
        outcome: Outcome,
        error: Option<Error>,
    ) -> Self {
        Line {
            provider,
            user_id,
            outcome,
            attempts: 0,
            elapsed: Duration::ZERO,
            waited: Duration::ZERO,
            error,
        }
    }

    /// The line as text: outcome, id, attempts and time, and the error; control characters
    /// in the id and the vendor's text escaped.
    pub fn text(&self) -> String {
        let error = self.error.as_ref();
        let attempts = match (self.attempts, error.and_then(Error::operation)) {
            (0, Some(operation)) if error.is_some_and(|e| e.status().is_some()) => {
                format!("not sent: the {operation} request failed")
            }
            (0, _) => "not sent".to_owned(),
            (1, _) => "1 attempt".to_owned(),
            (n, _) => format!("{n} attempts"),
        };
        let waited = if self.waited >= Duration::from_millis(100) {
            format!(
                ", {:.1} s of it waiting (throttled or paced)",
                self.waited.as_secs_f64()
            )
        } else {
            String::new()
        };
        let detail = match error {
            Some(err) => format!("  {}", escape(&err.to_string())),
            None => String::new(),
        };
        format!(
            "{:<8} {}  ({attempts}, {} ms{waited}){detail}",
            self.outcome.as_str(),
            escape(&self.user_id),
            self.elapsed.as_millis()
        )
    }
}

/// Counts per outcome, for the summary and the exit status.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub deleted: u64,
    pub absent: u64,
    pub failed: u64,
    pub skipped: u64,
    pub duplicates: usize,
    pub resumed: usize,
}

impl Tally {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Deleted => self.deleted += 1,
            Outcome::Absent => self.absent += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
        }
    }

    /// The text summary line.
    pub fn summary(&self, provider: &str, elapsed: Duration) -> String {
        let mut text = format!(
            "{provider}: {} deleted, {} absent, {} failed, {} skipped",
            self.deleted, self.absent, self.failed, self.skipped
        );
        if self.duplicates > 0 {
            text.push_str(&format!(
                ", {}",
                plural(self.duplicates, "duplicate", "duplicates")
            ));
            text.push_str(" ignored");
        }
        if self.resumed > 0 {
            text.push_str(&format!(
                ", {} already done in the journal",
                plural(self.resumed, "id", "ids")
            ));
        }
        text.push_str(&format!(" in {:.1} s", elapsed.as_secs_f64()));
        text
    }
}

/// `1 id`, `2 ids`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A line is written as the documented JSON object of one id.
impl Serialize for Line {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        JsonLine::new(self).serialize(serializer)
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

/// The error object of a JSON line (the same shape in every command).
#[derive(Serialize)]
pub struct JsonError<'a> {
    code: Option<&'a str>,
    kind: &'static str,
    message: &'a str,
    request_id: Option<&'a str>,
    status: Option<u16>,
}

impl<'a> JsonError<'a> {
    pub fn of(err: &'a Error) -> Self {
        JsonError {
            code: err.code(),
            kind: err.kind().as_str(),
            message: err.message(),
            request_id: err.request_id(),
            status: err.status(),
        }
    }
}

impl<'a> JsonLine<'a> {
    fn new(line: &'a Line) -> Self {
        JsonLine {
            attempts: line.attempts,
            elapsed_ms: u64::try_from(line.elapsed.as_millis()).unwrap_or(u64::MAX),
            error: line.error.as_ref().map(JsonError::of),
            outcome: line.outcome.as_str(),
            provider: line.provider,
            user_id: &line.user_id,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn json_of(line: &Line) -> String {
        let text = serde_json::to_string(line).unwrap();
        assert_eq!(text, json_value(line).to_string());
        format!("{text}\n")
    }

    /// How the line was made before (a `serde_json::Value`, whose maps are sorted): the
    /// output must stay byte for byte the same.
    fn json_value(line: &Line) -> serde_json::Value {
        let error = line.error.as_ref().map(|err| {
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
            provider: "onelogin",
            user_id: "42".to_owned(),
            outcome: Outcome::Deleted,
            attempts: 1,
            elapsed: Duration::from_millis(7),
            waited: Duration::ZERO,
            error: None,
        };
        assert_eq!(
            json_of(&ok),
            "{\"attempts\":1,\"elapsed_ms\":7,\"error\":null,\"outcome\":\"deleted\",\
             \"provider\":\"onelogin\",\"user_id\":\"42\"}\n"
        );
        let err = Error::new(ErrorKind::Conflict, "say \"no\"\n")
            .with_vendor("onelogin")
            .with_status(409)
            .with_code("E1");
        let failed = Line {
            provider: "onelogin",
            user_id: "4\"2".to_owned(),
            outcome: Outcome::Failed,
            attempts: 3,
            elapsed: Duration::from_millis(1500),
            waited: Duration::ZERO,
            error: Some(err),
        };
        assert_eq!(
            json_of(&failed),
            "{\"attempts\":3,\"elapsed_ms\":1500,\"error\":{\"code\":\"E1\",\"kind\":\"conflict\",\
             \"message\":\"say \\\"no\\\"\\n\",\"request_id\":null,\"status\":409},\
             \"outcome\":\"failed\",\"provider\":\"onelogin\",\"user_id\":\"4\\\"2\"}\n"
        );
    }

    #[test]
    fn text_lines_cannot_drive_the_terminal() {
        let err = Error::new(ErrorKind::Server, "boom\u{1b}[2J\rdeleted  fake");
        let line = Line::unsent(
            "onelogin",
            "u\u{1b}[31m1".to_owned(),
            Outcome::Failed,
            Some(err),
        );
        let text = line.text();
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    }

    #[test]
    fn summary_wording() {
        let tally = Tally {
            deleted: 1,
            duplicates: 1,
            ..Tally::default()
        };
        let text = tally.summary("onelogin", Duration::from_millis(1500));
        assert_eq!(
            text,
            "onelogin: 1 deleted, 0 absent, 0 failed, 0 skipped, 1 duplicate ignored in 1.5 s"
        );
    }
}
