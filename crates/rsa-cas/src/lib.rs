#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod config;
mod error;
mod key_file;
mod token;

pub use client::{Client, MAX_USER_ID_CHARS};
pub use config::{Config, ENV_BASE_URL, ENV_KEY_FILE};
pub use key_file::KeyFile;
pub use token::{TOKEN_LIFETIME, TOKEN_RENEW_BEFORE};

/// The vendor name of this crate, as in errors and in the `idp` tool's output.
pub const VENDOR: &str = "rsa-cas";
