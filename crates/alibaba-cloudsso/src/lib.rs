#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod config;
mod error;
pub mod sign;

pub use client::{API_VERSION, Client};
pub use config::{
    Config, DEFAULT_REGION, ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_DIRECTORY_ID,
    ENV_ENDPOINT, ENV_REGION_ID, ENV_SECURITY_TOKEN, MAX_ID_CHARS, RequestStyle,
};
pub use error::parse_error;

/// The vendor name, as in errors and the command-line tool's output.
pub const VENDOR: &str = "alibaba-cloudsso";
