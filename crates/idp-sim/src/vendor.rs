//! The five vendors a [`Sim`](crate::Sim) can simulate.
//!
//! Each type here is one vendor's state and behaviour (credentials, users, routes, checks);
//! it is only ever used as the parameter of [`Sim`](crate::Sim), through the aliases
//! [`RsaCasSim`](crate::RsaCasSim), [`CfAccessSim`](crate::CfAccessSim),
//! [`OneLoginSim`](crate::OneLoginSim), [`AaControlRoomSim`](crate::AaControlRoomSim) and
//! [`AlibabaCloudSsoSim`](crate::AlibabaCloudSsoSim). Their `Debug` shows no credential.

pub use crate::aa_controlroom::AaControlRoom;
pub use crate::alibaba_cloudsso::AlibabaCloudSso;
pub use crate::cf_access::CfAccess;
pub use crate::onelogin::OneLogin;
pub use crate::rsa_cas::RsaCas;

/// A vendor a [`Sim`](crate::Sim) can simulate: one of the types of this module.
///
/// Sealed: its behaviour lives in a crate-private supertrait, so it cannot be implemented
/// outside this crate, and it has nothing to call. Name it to write code generic over
/// simulators (`fn f<V: Vendor>(sim: &Sim<V>)`), or use [`Simulator`](crate::Simulator).
pub trait Vendor: crate::behaviour::Behaviour {}

impl<V: crate::behaviour::Behaviour> Vendor for V {}
