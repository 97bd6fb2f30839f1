//! What a vendor crate declares once: its name, where its request ids are, its one error
//! mapping and its rate budget. Everything else (retries, the back-off gate, pacing, tokens,
//! timeouts, scrubbing, request ids, stamping vendor and operation into errors) is the
//! transport's.

use std::time::Duration;

use crate::error::Error;
use crate::transport::{Rate, Response};

/// A vendor's API, as the transport needs to know it.
///
/// ```
/// use idp_core::{Api, Error, ErrorKind, Response};
///
/// struct Example;
///
/// impl Api for Example {
///     fn name(&self) -> &'static str {
///         "example"
///     }
///     fn request_id_headers(&self) -> &'static [&'static str] {
///         &["x-request-id"]
///     }
///     fn parse_error(&self, response: &Response) -> Error {
///         match response.status {
///             404 if response.header("x-example-error") == Some("no-such-user") => {
///                 response.error(ErrorKind::NotFound, "no such user")
///             }
///             404 | 410 => response.unconfirmed_not_found("the base URL (EXAMPLE_URL)"),
///             status => response.error(ErrorKind::from_status(status), "request failed"),
///         }
///     }
/// }
/// ```
pub trait Api: Send + Sync + 'static {
    /// The vendor name, as in errors, logs and the CLI (`"cf-access"`).
    fn name(&self) -> &'static str;

    /// The `User-Agent` product token of the vendor crate (`"idp-cf-access/0.1.0"`).
    fn product(&self) -> &'static str {
        self.name()
    }

    /// Response headers that may carry the vendor's request id, most specific first.
    fn request_id_headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// The one place where a vendor's statuses, codes and messages become an [`Error`]: called
    /// by the transport for every answer that is not a 2xx, and by a vendor's success parser
    /// for a 2xx that carries an error. The transport fills in what it leaves unset (status,
    /// request id, `Retry-After`, vendor, operation) and scrubs credentials from its text.
    ///
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) must come only from the vendor's
    /// own not-found answer, never from a bare 404 (see [`Response::unconfirmed_not_found`]).
    fn parse_error(&self, response: &Response) -> Error;

    /// The request budget the vendor documents (the pacer's default); `None` when it
    /// documents none.
    fn default_rate(&self) -> Option<Rate> {
        None
    }

    /// The budget an answer says is left: `(remaining requests, time until it resets)`, for
    /// vendors that send such headers (OneLogin's `X-RateLimit-*`). The pacer spreads the
    /// rest when it runs low.
    fn remaining_budget(&self, _response: &Response) -> Option<(u64, Duration)> {
        None
    }
}

/// Writes the identity methods of an [`Api`] impl: [`Api::name`], [`Api::product`] (the
/// calling crate's `CARGO_PKG_NAME/CARGO_PKG_VERSION`, read where the macro is used) and
/// [`Api::request_id_headers`].
///
/// ```
/// use idp_core::{Api, Error, ErrorKind, Response};
///
/// struct Example;
///
/// impl Api for Example {
///     idp_core::api_identity!("example", &["x-request-id"]);
///
///     fn parse_error(&self, response: &Response) -> Error {
///         response.error(ErrorKind::from_status(response.status), "request failed")
///     }
/// }
///
/// assert_eq!(Example.name(), "example");
/// assert_eq!(Example.product(), concat!("idp-core/", env!("CARGO_PKG_VERSION")));
/// assert_eq!(Example.request_id_headers(), &["x-request-id"]);
/// ```
#[macro_export]
macro_rules! api_identity {
    ($name:expr, $request_id_headers:expr $(,)?) => {
        fn name(&self) -> &'static str {
            $name
        }

        fn product(&self) -> &'static str {
            concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"))
        }

        fn request_id_headers(&self) -> &'static [&'static str] {
            $request_id_headers
        }
    };
}
