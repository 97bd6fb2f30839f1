#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod answer;
mod client;
mod config;
mod error;
mod jwt;
mod key_file;
mod lookup;
mod steps;
mod urls;

pub use client::{Client, MAX_USER_ID_CHARS};
pub use config::{Config, ENV_BASE_URL, ENV_KEY_FILE, VARIABLES};
pub use jwt::{TOKEN_LIFETIME, TOKEN_RENEW_BEFORE};
pub use key_file::KeyFile;

/// The vendor name of this crate, as in errors and in the `idp` tool's output.
pub const VENDOR: &str = "rsa-cas";
