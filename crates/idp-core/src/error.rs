//! The one error type shared by every idp crate.

use std::fmt;
use std::time::Duration;

/// What went wrong, in terms a caller can act on.
///
/// The snake_case names returned by [`ErrorKind::as_str`] are stable: the `idp` command-line
/// tool prints them in its JSON output, and scripts match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was refused before any request was sent (bad id, bad argument).
    InvalidInput,
    /// The client is configured wrongly (missing variable, bad key file, wrong directory).
    Config,
    /// The vendor did not accept the credentials (bad or expired key or token).
    Unauthenticated,
    /// The credentials are valid but may not do this.
    PermissionDenied,
    /// The user does not exist (for a delete: already gone, or a wrong id).
    NotFound,
    /// The vendor forbids deleting this kind of user (for example a SCIM-managed one).
    NotAllowed,
    /// The user exists but cannot be deleted yet (still enabled, still has assignments…).
    Conflict,
    /// The vendor asked us to slow down.
    RateLimited,
    /// The vendor failed (5xx or an equivalent vendor code).
    Server,
    /// An attempt took longer than its timeout, or the call ran past its deadline.
    Timeout,
    /// The connection failed or broke before a complete answer arrived.
    Transport,
    /// The answer was unexpected or unparseable (redirects included).
    Protocol,
    /// The work was not started or not finished because the run was interrupted (a signal,
    /// output that could no longer be written).
    Interrupted,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::InvalidInput,
        ErrorKind::Config,
        ErrorKind::Unauthenticated,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::NotAllowed,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Timeout,
        ErrorKind::Transport,
        ErrorKind::Protocol,
        ErrorKind::Interrupted,
    ];

    /// The stable snake_case name of this kind (`invalid_input`, `permission_denied`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Config => "config",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::NotAllowed => "not_allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Interrupted => "interrupted",
        }
    }

    /// The usual meaning of an HTTP error status; vendor crates start from this and refine it
    /// with their own error codes. 404 and 410 are *not* mapped to [`ErrorKind::NotFound`]:
    /// only a vendor's own not-found answer says a user is absent (a gateway or a wrong base
    /// URL answers 404 too), so they are [`ErrorKind::Protocol`] here.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::InvalidInput,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            405 => ErrorKind::NotAllowed,
            408 => ErrorKind::Timeout,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Protocol,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an error of `kind` with HTTP `status` may pass on a retry: connection errors,
/// timeouts, throttling (whatever status a vendor throttles with), and 500, 502, 503, 504.
/// Other 5xx (501 Not Implemented, 505 …) never pass.
fn retryable_by_default(kind: ErrorKind, status: Option<u16>) -> bool {
    match kind {
        ErrorKind::RateLimited | ErrorKind::Transport => true,
        ErrorKind::Timeout => status.is_none_or(|s| s == 408),
        ErrorKind::Server => status.is_none_or(|s| matches!(s, 500 | 502 | 503 | 504)),
        _ => false,
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

// Shared, so that an error can be cloned (one failed login handed to every waiting delete).
type SharedError = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// An error from any idp client.
///
/// Besides its [`ErrorKind`] it keeps what the vendor said: the HTTP status, the vendor's own
/// error code and message, and the request id to quote to the vendor's support, plus which
/// vendor and operation it came from (stamped by the transport). It never holds a credential:
/// the transport scrubs every configured secret out of the vendor's text.
///
/// `Display` is one line; `Debug` is that line followed by the cause chain, so an error
/// returned from `main` reads like the error.
#[derive(Clone)]
pub struct Error(Box<Inner>);

// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path.
#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    vendor: &'static str,
    operation: Option<&'static str>,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    retryable: Option<bool>,
    attempts: u32,
    source: Option<SharedError>,
}

impl Error {
    /// A new error of `kind`. The vendor and operation are stamped by the transport (or by
    /// [`Error::with_vendor`] at a vendor crate's boundary).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            vendor: "",
            operation: None,
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
            retry_after: None,
            retryable: None,
            attempts: 0,
            source: None,
        }))
    }

    /// An [`ErrorKind::InvalidInput`] error: the input was refused before any request.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// An [`ErrorKind::Config`] error: the client is configured wrongly.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// An [`ErrorKind::Protocol`] error: the answer was not what the API documents.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }

    /// Sets the vendor name, unless one is set already (so stamping twice is harmless).
    pub fn with_vendor(mut self, vendor: &'static str) -> Self {
        if self.0.vendor.is_empty() {
            self.0.vendor = vendor;
        }
        self
    }

    /// Sets the operation (`"delete_user"`, `"token"`, …), unless one is set already.
    pub fn with_operation(mut self, operation: &'static str) -> Self {
        if self.0.operation.is_none() {
            self.0.operation = Some(operation);
        }
        self
    }

    /// Sets the HTTP status of the answer.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Sets the vendor's own error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.0.code = Some(code.into());
        self
    }

    /// Sets the vendor's request id (to quote to the vendor's support); `None` leaves it.
    pub fn with_request_id(mut self, request_id: impl Into<Option<String>>) -> Self {
        if let Some(id) = request_id.into() {
            self.0.request_id = Some(id);
        }
        self
    }

    /// Sets how long the vendor asked us to wait before trying again.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.0.retry_after = Some(retry_after);
        self
    }

    /// Overrides whether this error is retryable, for vendor codes that say otherwise than
    /// the kind and status (a throttling code on HTTP 400, a permanent 503…).
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.0.retryable = Some(retryable);
        self
    }

    /// Sets the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(SharedError::from(source.into()));
        self
    }

    /// Sets how many requests were sent before this error was final.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    /// Replaces the message, keeping everything else.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }

    /// Replaces the kind, keeping everything else.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The vendor name (`"cf-access"`, `"onelogin"`, …); empty when not stamped.
    pub fn vendor(&self) -> &'static str {
        self.0.vendor
    }

    /// The operation that failed (`"delete_user"`, `"token"`, `"login"`, …), when known.
    pub fn operation(&self) -> Option<&'static str> {
        self.0.operation
    }

    /// The vendor's message, or ours when the vendor said nothing useful.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The vendor's own error code (`"EntityNotExists.User"`, `"10000"`, …).
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The vendor's request id, if the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// How long the vendor asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// How many requests were sent (0 when refused before any request).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// Whether sending the same request again may succeed: connection errors, timeouts,
    /// throttling and HTTP 500/502/503/504, unless the vendor crate said otherwise.
    pub fn is_retryable(&self) -> bool {
        self.0
            .retryable
            .unwrap_or_else(|| retryable_by_default(self.0.kind, self.0.status))
    }

    /// Replaces the request id (a vendor-given one that failed the shape check is dropped).
    pub(crate) fn replace_request_id(mut self, request_id: Option<String>) -> Self {
        self.0.request_id = request_id;
        self
    }

    /// Applies `f` to the message, code and request id (the vendor's text), for scrubbing.
    pub(crate) fn map_vendor_text(mut self, f: impl Fn(&str) -> Option<String>) -> Self {
        let inner = &mut *self.0;
        if let Some(message) = f(&inner.message) {
            inner.message = message;
        }
        for field in [&mut inner.code, &mut inner.request_id] {
            if let Some(text) = field.as_deref()
                && let Some(clean) = f(text)
            {
                *field = Some(clean);
            }
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        if !inner.vendor.is_empty() {
            write!(f, "{}: ", inner.vendor)?;
        }
        write!(f, "{}", inner.kind)?;
        match (inner.status, inner.code.as_deref()) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, code {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " (code {code})")?,
            (None, None) => {}
        }
        if !inner.message.is_empty() {
            write!(f, ": {}", inner.message)?;
        }
        if let Some(request_id) = &inner.request_id {
            write!(f, " [request id {request_id}]")?;
        }
        Ok(())
    }
}

// Written as a sentence and its causes, not a struct dump: `main` returning an `Error` prints
// this, and it must say what went wrong (as `anyhow` does).
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        if let Some(operation) = self.0.operation {
            write!(f, " (operation {operation}")?;
            if self.0.attempts > 0 {
                write!(f, ", {} attempts", self.0.attempts)?;
            }
            f.write_str(")")?;
        }
        let mut cause = std::error::Error::source(self);
        if cause.is_some() {
            f.write_str("\n\nCaused by:")?;
        }
        while let Some(err) = cause {
            write!(f, "\n    {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

// By hand rather than derived: a derived `source` would hand out the `Arc` itself, and a
// caller's `downcast_ref` to the vendor's error type (cf-access's `ApiFailure`) would fail.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_snake_case_and_unique() {
        let names: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn display_is_short_and_complete() {
        let err = Error::new(ErrorKind::NotFound, "user not found")
            .with_vendor("cf-access")
            .with_status(404)
            .with_code("1001")
            .with_request_id("ray-1".to_owned());
        assert_eq!(
            err.to_string(),
            "cf-access: not_found (HTTP 404, code 1001): user not found [request id ray-1]"
        );
    }

    #[test]
    fn debug_reads_like_the_error_with_its_causes() {
        let cause = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = Error::new(ErrorKind::Transport, "could not connect")
            .with_vendor("onelogin")
            .with_operation("token")
            .with_attempts(4)
            .with_source(cause);
        let debug = format!("{err:?}");
        assert_eq!(
            debug,
            "onelogin: transport: could not connect (operation token, 4 attempts)\n\n\
             Caused by:\n    refused"
        );
        assert!(!debug.contains("Inner"), "{debug}");
    }

    #[test]
    fn stamping_keeps_the_first_vendor_and_operation() {
        let err = Error::config("x")
            .with_vendor("a")
            .with_vendor("b")
            .with_operation("login")
            .with_operation("delete_user");
        assert_eq!(err.vendor(), "a");
        assert_eq!(err.operation(), Some("login"));
    }

    #[test]
    fn the_source_is_the_original_error_even_after_a_clone() {
        #[derive(Debug)]
        struct Cause;
        impl fmt::Display for Cause {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("cause")
            }
        }
        impl std::error::Error for Cause {}
        let err = Error::new(ErrorKind::Server, "failed").with_source(Cause);
        for err in [err.clone(), err] {
            let source = std::error::Error::source(&err);
            assert!(source.and_then(|s| s.downcast_ref::<Cause>()).is_some());
        }
    }

    #[test]
    fn only_passing_failures_are_retryable() {
        let with_status = |kind, status| Error::new(kind, "").with_status(status);
        for status in [500, 502, 503, 504] {
            assert!(
                with_status(ErrorKind::Server, status).is_retryable(),
                "{status}"
            );
        }
        for status in [501, 505, 507, 599] {
            assert!(
                !with_status(ErrorKind::Server, status).is_retryable(),
                "{status}"
            );
        }
        assert!(with_status(ErrorKind::Timeout, 408).is_retryable());
        assert!(with_status(ErrorKind::RateLimited, 400).is_retryable());
        assert!(Error::new(ErrorKind::Transport, "").is_retryable());
        assert!(Error::new(ErrorKind::Timeout, "").is_retryable());
        let throttled_400 = Error::new(ErrorKind::InvalidInput, "throttled").with_status(400);
        assert!(!throttled_400.is_retryable());
        assert!(throttled_400.with_retryable(true).is_retryable());
        assert_eq!(ErrorKind::from_status(404), ErrorKind::Protocol);
        assert_eq!(ErrorKind::from_status(302), ErrorKind::Protocol);
        for (status, kind) in crate::test_util::PLAIN_STATUS_KINDS {
            assert_eq!(ErrorKind::from_status(status), kind, "{status}");
        }
    }
}
