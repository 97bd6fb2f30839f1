#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod aa_controlroom;
mod alibaba_cloudsso;
mod api;
mod cf_access;
mod error;
mod fault;
mod ids;
mod onelogin;
mod record;
mod rsa_cas;
mod server;
mod sims;
mod util;

pub use aa_controlroom::AaControlRoomSim;
pub use alibaba_cloudsso::{AlibabaCloudSsoSim, Blocker};
pub use api::Simulator;
pub use cf_access::CfAccessSim;
pub use error::SimError;
pub use fault::Fault;
pub use onelogin::OneLoginSim;
pub use record::RecordedRequest;
pub use rsa_cas::{RsaCasSim, RsaUserState};
pub use sims::Sims;
pub use util::lookup_in;
