#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod account;
mod auth;
mod client;
mod config;
mod endpoints;
mod error;
mod find;
mod steps;
mod user;

pub use auth::{TOKEN_LIFETIME, TOKEN_RENEW_AFTER};
pub use client::Client;
pub use config::{
    ApiVersion, Config, Credentials, ENV_API_KEY, ENV_API_VERSION, ENV_PASSWORD, ENV_URL,
    ENV_USERNAME, VARIABLES,
};
pub use find::PAGE_LENGTH;
pub use user::{DeletedUser, Role};

/// The vendor name in errors, logs and CLI output.
pub const VENDOR: &str = "aa-controlroom";
