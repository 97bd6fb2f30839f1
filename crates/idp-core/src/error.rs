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
    /// An attempt took longer than its timeout.
    Timeout,
    /// The connection failed or broke before a complete answer arrived.
    Transport,
    /// The answer was unexpected or unparseable (redirects included).
    Protocol,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 12] = [
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
        }
    }

    /// Whether sending the same request again may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport
        )
    }

    /// The usual meaning of an HTTP error status; vendor crates start from this and refine it
    /// with their own error codes.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::InvalidInput,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            404 | 410 => ErrorKind::NotFound,
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

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

// Shared, so that an error can be cloned (one failed login handed to every waiting delete).
type SharedError = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// An error from any idp client.
///
/// Besides its [`ErrorKind`] it keeps what the vendor said: the HTTP status, the vendor's own
/// error code and message, and the request id to quote to the vendor's support. It never holds
/// a credential.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct Error(Box<Inner>);

// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path.
#[derive(Debug, Clone)]
struct Inner {
    kind: ErrorKind,
    vendor: &'static str,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    retryable: Option<bool>,
    attempts: u32,
    source: Option<SharedError>,
}

// By hand rather than derived: a derived `source` would hand out the `Arc` itself, and a
// caller's `downcast_ref` to the vendor's error type (cf-access's `ApiFailure`) would fail.
impl std::error::Error for Inner {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// A new error of `kind` from `vendor` (a crate's vendor name, such as `"cf-access"`).
    pub fn new(kind: ErrorKind, vendor: &'static str, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            vendor,
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
    pub fn invalid_input(vendor: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, vendor, message)
    }

    /// An [`ErrorKind::Config`] error: the client is configured wrongly.
    pub fn config(vendor: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, vendor, message)
    }

    /// An [`ErrorKind::Protocol`] error: the answer was not what the API documents.
    pub fn protocol(vendor: &'static str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, vendor, message)
    }

    /// A [`ErrorKind::Config`] error naming an environment variable that is not set.
    pub fn missing_env(vendor: &'static str, variable: &str) -> Self {
        Error::config(
            vendor,
            format!("environment variable {variable} is not set"),
        )
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

    /// Sets the vendor's request id (to quote to the vendor's support).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.0.request_id = Some(request_id.into());
        self
    }

    /// Sets `request_id` when one is known.
    pub fn with_request_id_opt(mut self, request_id: Option<String>) -> Self {
        if request_id.is_some() {
            self.0.request_id = request_id;
        }
        self
    }

    /// Sets how long the vendor asked us to wait before trying again.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.0.retry_after = Some(retry_after);
        self
    }

    /// Overrides whether this error is retryable, for vendor codes that say otherwise than
    /// the kind (a throttling code on HTTP 400, a permanent 503…).
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

    /// Replaces the message, keeping everything else (to add context, or to scrub text a
    /// vendor echoed back).
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

    /// The vendor name of the crate that raised it (`"cf-access"`, `"onelogin"`, …).
    pub fn vendor(&self) -> &'static str {
        self.0.vendor
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

    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.0
            .retryable
            .unwrap_or_else(|| self.0.kind.is_retryable())
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.vendor, self.kind)?;
        match (self.status, self.code.as_deref()) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, code {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " (code {code})")?,
            (None, None) => {}
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(request_id) = &self.request_id {
            write!(f, " [request id {request_id}]")?;
        }
        Ok(())
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
        let err = Error::new(ErrorKind::NotFound, "cf-access", "user not found")
            .with_status(404)
            .with_code("1001")
            .with_request_id("ray-1");
        assert_eq!(
            err.to_string(),
            "cf-access: not_found (HTTP 404, code 1001): user not found [request id ray-1]"
        );
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
        let err = Error::new(ErrorKind::Server, "x", "failed").with_source(Cause);
        for err in [err.clone(), err] {
            let source = std::error::Error::source(&err);
            assert!(source.and_then(|s| s.downcast_ref::<Cause>()).is_some());
        }
    }

    #[test]
    fn retryable_follows_kind_unless_overridden() {
        let err = Error::new(ErrorKind::InvalidInput, "x", "throttled");
        assert!(!err.is_retryable());
        assert!(err.with_retryable(true).is_retryable());
        assert!(Error::new(ErrorKind::Server, "x", "").is_retryable());
        assert_eq!(ErrorKind::from_status(503), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(302), ErrorKind::Protocol);
    }
}
