#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod vendor;

pub use client::Client;
pub use idp_core::*;
pub use vendor::{ParseVendorError, Vendor};

/// RSA SecurID Cloud Access Service (crate `idp-rsa-cas`).
#[cfg(feature = "rsa-cas")]
#[cfg_attr(docsrs, doc(cfg(feature = "rsa-cas")))]
pub use idp_rsa_cas as rsa_cas;

/// Cloudflare Zero Trust Access (crate `idp-cf-access`).
#[cfg(feature = "cf-access")]
#[cfg_attr(docsrs, doc(cfg(feature = "cf-access")))]
pub use idp_cf_access as cf_access;

/// OneLogin (crate `idp-onelogin`).
#[cfg(feature = "onelogin")]
#[cfg_attr(docsrs, doc(cfg(feature = "onelogin")))]
pub use idp_onelogin as onelogin;

/// Automation Anywhere Control Room (crate `idp-aa-controlroom`).
#[cfg(feature = "aa-controlroom")]
#[cfg_attr(docsrs, doc(cfg(feature = "aa-controlroom")))]
pub use idp_aa_controlroom as aa_controlroom;

/// Alibaba Cloud CloudSSO (crate `idp-alibaba-cloudsso`).
#[cfg(feature = "alibaba-cloudsso")]
#[cfg_attr(docsrs, doc(cfg(feature = "alibaba-cloudsso")))]
pub use idp_alibaba_cloudsso as alibaba_cloudsso;
