#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod apply;
pub mod canonical;
pub mod journal;
pub mod plan;
pub mod protect;
pub mod record;
pub mod resolve;
mod sha256;
pub mod verify;

pub use apply::{ApplyError, ApplyOptions, Final, Resume, Summary, apply};
pub use plan::{ErrorRecord, Person, Plan, PlanError, Resolution, Target};
pub use protect::{Protect, ProtectError};
pub use record::{Line, Record, StepKey};
pub use resolve::{describe, fully_resolved, make_plan};
pub use verify::{VerifyLine, verify};
