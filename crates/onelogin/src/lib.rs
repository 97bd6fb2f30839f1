#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod config;
mod error;
mod rate_limit;
mod token;

pub use client::Client;
pub use config::{
    ApiVersion, Config, ENV_API_VERSION, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
};
pub use rate_limit::RateLimit;

/// The vendor name used in errors and by the `idp` tool.
pub const VENDOR: &str = "onelogin";
