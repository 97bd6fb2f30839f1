#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod config;
mod envelope;
mod error;
mod find;
mod offboard;

pub use client::{Client, Deletion, MAX_USER_ID_CHARS};
pub use config::{
    Auth, Config, DEFAULT_BASE_URL, ENV_ACCOUNT_ID, ENV_API_KEY, ENV_API_TOKEN, ENV_BASE_URL,
    ENV_EMAIL, MAX_ACCOUNT_ID_CHARS, VARIABLES,
};
pub use envelope::{ApiMessage, ApiSource, Envelope};
pub use error::{ApiFailure, REQUEST_ID_HEADER};
pub use find::PAGE_SIZE;
pub use offboard::DOWNSTREAM_WARNING;

/// The vendor name in errors, logs and the `idp` tool's output.
pub const VENDOR: &str = "cf-access";
