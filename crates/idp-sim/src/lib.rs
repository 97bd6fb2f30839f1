#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod aa_controlroom;
mod alibaba_cloudsso;
mod answer;
mod behaviour;
mod cf_access;
mod core;
mod error;
mod fault;
mod ids;
mod onelogin;
mod rate;
mod record;
mod request;
mod rsa_cas;
mod server;
mod sim;
mod sims;
mod simulator;
mod throttle;
mod util;
pub mod vendor;
mod wire;

pub use aa_controlroom::{AaControlRoomSim, AaFilterMode, AaRole, AaUser};
pub use alibaba_cloudsso::{AlibabaCloudSsoSim, Blocker, CloudSsoUser};
pub use cf_access::CfAccessSim;
pub use error::SimError;
pub use fault::Fault;
pub use onelogin::OneLoginSim;
pub use rate::{RatePolicy, RateUsage};
pub use record::RecordedRequest;
pub use rsa_cas::{RsaCasSim, RsaIdentitySource, RsaUser, RsaUserState};
pub use sim::Sim;
pub use sims::Sims;
pub use simulator::Simulator;
pub use util::lookup_in;
pub use vendor::Vendor;
