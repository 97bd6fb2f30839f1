//! The five vendors by name, whether or not their feature is enabled.

use std::fmt;
use std::str::FromStr;

/// A vendor idp can delete users in. Every vendor is named here in every build; whether a
/// client can be made for it depends on its cargo feature ([`Vendor::is_enabled`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Vendor {
    /// RSA SecurID Cloud Access Service (feature `rsa-cas`).
    RsaCas,
    /// Cloudflare Zero Trust Access (feature `cf-access`).
    CfAccess,
    /// OneLogin (feature `onelogin`).
    OneLogin,
    /// Automation Anywhere Control Room (feature `aa-controlroom`).
    AaControlRoom,
    /// Alibaba Cloud CloudSSO (feature `alibaba-cloudsso`).
    AlibabaCloudSso,
}

impl Vendor {
    /// Every vendor, in the order of the docs.
    pub const ALL: [Vendor; 5] = [
        Vendor::RsaCas,
        Vendor::CfAccess,
        Vendor::OneLogin,
        Vendor::AaControlRoom,
        Vendor::AlibabaCloudSso,
    ];

    /// The vendor's name, which is also its cargo feature and its CLI provider name.
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::RsaCas => "rsa-cas",
            Vendor::CfAccess => "cf-access",
            Vendor::OneLogin => "onelogin",
            Vendor::AaControlRoom => "aa-controlroom",
            Vendor::AlibabaCloudSso => "alibaba-cloudsso",
        }
    }

    /// Whether this build has the vendor's feature enabled.
    pub fn is_enabled(self) -> bool {
        match self {
            Vendor::RsaCas => cfg!(feature = "rsa-cas"),
            Vendor::CfAccess => cfg!(feature = "cf-access"),
            Vendor::OneLogin => cfg!(feature = "onelogin"),
            Vendor::AaControlRoom => cfg!(feature = "aa-controlroom"),
            Vendor::AlibabaCloudSso => cfg!(feature = "alibaba-cloudsso"),
        }
    }

    /// The vendors enabled in this build.
    pub fn enabled() -> impl Iterator<Item = Vendor> {
        Vendor::ALL.into_iter().filter(|v| v.is_enabled())
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the five vendors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVendorError(String);

impl fmt::Display for ParseVendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Vendor::ALL.iter().map(|v| v.as_str()).collect();
        write!(
            f,
            "unknown vendor {:?}: expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for ParseVendorError {}

impl FromStr for Vendor {
    type Err = ParseVendorError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str() == name)
            .ok_or_else(|| ParseVendorError(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for vendor in Vendor::ALL {
            assert_eq!(vendor.as_str().parse::<Vendor>(), Ok(vendor));
        }
        assert!("okta".parse::<Vendor>().is_err());
    }
}
