#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod body;
mod client;
mod config;
mod error;
mod find;
mod rate_limit;
mod steps;
mod success;
mod token;
mod user;

#[cfg(test)]
mod properties;

pub use client::Client;
pub use config::{
    ApiVersion, Config, ENV_API_VERSION, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET, VARIABLES,
};
pub use rate_limit::RateLimit;

/// The vendor name used in errors and by the `idp` tool.
pub const VENDOR: &str = "onelogin";
