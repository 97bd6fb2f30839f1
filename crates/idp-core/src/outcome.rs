//! What a delete ended as.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, ErrorKind};

/// Proof that a vendor accepted a delete: how many requests it took and the vendor's request
/// id, if the answer carried one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Receipt {
    /// How many requests were sent, retries included.
    pub attempts: u32,
    /// The vendor's request id of the successful answer, if any.
    pub request_id: Option<String>,
    /// How long the call waited before sending (behind the back-off gate, for the pacer, in
    /// back-off between attempts).
    pub waited: Duration,
}

impl Receipt {
    /// A receipt for a delete that took `attempts` requests.
    pub fn new(attempts: u32, request_id: Option<String>) -> Self {
        Receipt {
            attempts,
            request_id,
            waited: Duration::ZERO,
        }
    }

    /// The requests and the request id of a call that ended in `err` (a vendor's not-found
    /// answer that settles a step, say).
    pub fn from_error(err: &Error) -> Self {
        Receipt::new(err.attempts(), err.request_id().map(str::to_owned))
    }

    /// Sets how long the call waited.
    pub fn with_waited(mut self, waited: Duration) -> Self {
        self.waited = waited;
        self
    }
}

/// How a delete ended when the caller wants idempotent deprovisioning: either the user was
/// deleted now, or the vendor says it does not exist (already gone).
///
/// Callers that want a missing user to be an error use the vendor's `delete_user` result
/// directly, where it is [`ErrorKind::NotFound`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeleteOutcome {
    /// The vendor deleted the user in answer to this call.
    Deleted,
    /// The vendor says the user does not exist: already deleted, or never existed.
    Absent,
}

impl DeleteOutcome {
    /// `"deleted"` or `"absent"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteOutcome::Deleted => "deleted",
            DeleteOutcome::Absent => "absent",
        }
    }

    /// Turns a strict delete result into an idempotent one: [`ErrorKind::NotFound`] becomes
    /// [`DeleteOutcome::Absent`]; every other error stays an error.
    pub fn from_result(result: Result<Receipt, Error>) -> Result<DeleteOutcome, Error> {
        match result {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(DeleteOutcome::Absent),
            Err(err) => Err(err),
        }
    }
}

impl fmt::Display for DeleteOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The full account of one id's delete, as the bulk helper yields it.
#[derive(Debug)]
#[non_exhaustive]
pub struct DeleteReport {
    /// The id as the caller gave it.
    pub user_id: String,
    /// Deleted, absent, or the error that stopped it.
    pub outcome: Result<DeleteOutcome, Error>,
    /// How many requests were sent for this id (0 when refused before any request).
    pub attempts: u32,
    /// Wall time from the start of this id's delete to its end, waits included.
    pub elapsed: Duration,
    /// How much of it was spent waiting (throttled, paced, backing off) before a request.
    pub waited: Duration,
}

impl DeleteReport {
    /// Builds the report of one delete from the vendor client's strict result.
    pub fn new(user_id: String, result: Result<Receipt, Error>, elapsed: Duration) -> Self {
        let (attempts, waited) = match &result {
            Ok(receipt) => (receipt.attempts, receipt.waited),
            Err(err) => (err.attempts(), Duration::ZERO),
        };
        DeleteReport {
            user_id,
            outcome: DeleteOutcome::from_result(result),
            attempts,
            elapsed,
            waited,
        }
    }

    /// Whether this id ended as a failure (neither deleted nor absent).
    pub fn is_failure(&self) -> bool {
        self.outcome.is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_is_absent_and_other_errors_stay() {
        let absent = Err(Error::new(ErrorKind::NotFound, "gone").with_attempts(2));
        let report = DeleteReport::new("7".into(), absent, Duration::ZERO);
        assert!(matches!(report.outcome, Ok(DeleteOutcome::Absent)));
        assert_eq!(report.attempts, 2);

        let conflict = Err(Error::new(ErrorKind::Conflict, "enabled"));
        let report = DeleteReport::new("7".into(), conflict, Duration::ZERO);
        assert!(report.is_failure());

        let ok = Ok(Receipt::new(1, None));
        assert_eq!(
            DeleteOutcome::from_result(ok).ok(),
            Some(DeleteOutcome::Deleted)
        );
    }
}
