#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod fixtures;
pub mod keys;
pub mod measure;
pub mod raw;
pub mod run;
pub mod server;
pub mod wave2;

pub use run::{Measurement, Mode, Setup, Tally};
