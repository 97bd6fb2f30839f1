//! The trait every vendor client implements.

use std::future::Future;

use crate::error::Error;
use crate::outcome::Receipt;
use crate::transport::Transport;

/// A client that can delete a user in one vendor's platform.
///
/// `delete_user` is strict: a user that does not exist is an
/// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) error. For idempotent deprovisioning,
/// map the result with [`DeleteOutcome::from_result`](crate::DeleteOutcome::from_result), or
/// use [`delete_many`](crate::delete_many), which reports such ids as absent.
pub trait UserDeleter: Send + Sync {
    /// The vendor name (`"cf-access"`, `"onelogin"`, …), as in errors and CLI output.
    fn vendor(&self) -> &'static str;

    /// Checks an id the way `delete_user` would, without sending anything (for dry runs).
    fn validate_user_id(&self, user_id: &str) -> Result<(), Error>;

    /// Deletes one user. Retries, back-off and re-authentication happen inside; the result is
    /// final.
    fn delete_user(&self, user_id: &str) -> impl Future<Output = Result<Receipt, Error>> + Send;

    /// Proves that the configuration works with one read-only call (a token request, a
    /// login, a one-item list): what a dry run checks. A refused credential is an
    /// [`ErrorKind::Unauthenticated`](crate::ErrorKind::Unauthenticated) or
    /// [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied) error.
    fn check_access(&self) -> impl Future<Output = Result<(), Error>> + Send;

    /// Ends a run: logs out a session token where the vendor has one (the Control Room).
    /// Best effort; the default does nothing.
    fn close(&self) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }

    /// The client's transport (its pacer, gate and options), for progress reports.
    fn transport(&self) -> &Transport;
}
