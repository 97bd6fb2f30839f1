#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod account;
mod api;
pub mod auth;
mod bulk;
mod client;
mod config;
mod error;
mod interrupt;
mod outcome;
mod scrub;
mod secret;
mod step;
pub mod text;
pub mod transport;

#[cfg(any(test, feature = "test-util"))]
pub mod test_util;

pub use account::{Account, AccountStatus, Lookup, ManagedBy, UserQuery};
pub use api::Api;
pub use auth::{Token, TokenSource};
pub use bulk::{delete_many, delete_stream};
pub use client::UserDeleter;
pub use config::{
    Overrides, Variable, lookup_var, missing_var, quote_config_value, require_var, secret_var,
};
pub use error::{Error, ErrorKind};
pub use interrupt::Interrupt;
pub use outcome::{DeleteOutcome, DeleteReport, Receipt};
pub use scrub::{REDACTED, Scrubber};
pub use secret::Secret;
pub use step::{
    AccountPlan, EndState, Offboarder, PlannedStep, Presence, Step, StepContext, StepOutcome,
    StepReport,
};
pub use transport::{
    Attempt, Rate, RateSetting, Response, RetryPolicy, Sent, Transport, TransportOptions,
};

/// Re-exported so vendor crates and callers use the same versions.
pub use reqwest;
pub use url;
