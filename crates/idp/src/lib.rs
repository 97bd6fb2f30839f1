#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod vendors;

pub use idp_core::*;
pub use vendors::*;

/// Streams of results ([`Client::delete_many`]) and what reads them, re-exported so callers
/// need no `futures-util` dependency of their own.
pub mod stream {
    pub use futures_util::stream::{Stream, StreamExt};
}
