#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod bulk;
mod client;
mod env;
mod error;
mod outcome;
mod secret;
pub mod transport;

pub use bulk::{delete_many, delete_stream};
pub use client::UserDeleter;
pub use env::{lookup_var, require_var};
pub use error::{Error, ErrorKind};
pub use outcome::{DeleteOutcome, DeleteReport, Receipt};
pub use secret::Secret;
pub use transport::{
    Clock, FullJitter, Jitter, ManualClock, NoJitter, Response, RetryPolicy, Sent, SystemClock,
    Transport, TransportOptions, default_http_client_builder,
};

/// Re-exported so vendor crates and callers use the same versions.
pub use reqwest;
pub use url;
