//! How a run ends, and the exit status each end has (a documented contract).

use std::process::ExitCode;

/// A usage, configuration or input problem found before anything was sent: exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl From<idp::Error> for UsageError {
    fn from(err: idp::Error) -> Self {
        UsageError(err.to_string())
    }
}

/// How a run that got going ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// Everything ended as documented for success: exit 0.
    AllDone,
    /// At least one id or target failed: exit 1.
    SomeFailed,
    /// Output (or the journal) could not be written: exit 3.
    OutputIncomplete,
    /// A signal stopped the run: exit 130.
    Interrupted,
}

impl RunEnd {
    /// The exit status.
    pub fn code(self) -> ExitCode {
        ExitCode::from(match self {
            RunEnd::AllDone => 0,
            RunEnd::SomeFailed => 1,
            RunEnd::OutputIncomplete => 3,
            RunEnd::Interrupted => 130,
        })
    }

    /// `AllDone` when `ok`, else `SomeFailed`.
    pub fn from_success(ok: bool) -> RunEnd {
        if ok {
            RunEnd::AllDone
        } else {
            RunEnd::SomeFailed
        }
    }
}
