//! The one vendor table: every vendor's feature, variant, crate, module and name, written
//! once. The [`Vendor`] enum, the [`Client`] enum, the dispatch over it, the `From` impls and
//! the re-exported vendor modules are generated from it.

use std::fmt;
use std::str::FromStr;

/// Declares every vendor once. Each row: the cargo feature (also the vendor's name and the
/// CLI's provider name), the enum variant, the vendor crate, its re-exported module, and the
/// platform's name.
macro_rules! vendor_table {
    ($($feature:literal => $variant:ident($krate:ident as $module:ident), $platform:literal;)+) => {
        /// A vendor idp can offboard from. Every vendor is named here in every build; whether
        /// a client can be made for it depends on its cargo feature ([`Vendor::is_enabled`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Vendor {
            $(
                #[doc = concat!($platform, " (feature `", $feature, "`).")]
                $variant,
            )+
        }

        impl Vendor {
            /// Every vendor, in the order of the docs.
            pub const ALL: &'static [Vendor] = &[$(Vendor::$variant),+];

            /// The vendor's name, which is also its cargo feature and its CLI provider name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Vendor::$variant => $feature,)+
                }
            }

            /// The platform's name, for people (`"Cloudflare Zero Trust Access"`).
            pub fn platform(self) -> &'static str {
                match self {
                    $(Vendor::$variant => $platform,)+
                }
            }

            /// Whether this build has the vendor's feature enabled.
            pub fn is_enabled(self) -> bool {
                match self {
                    $(Vendor::$variant => cfg!(feature = $feature),)+
                }
            }

            /// The configuration variables the vendor crate reads (empty when its feature is
            /// off).
            pub fn variables(self) -> &'static [idp_core::Variable] {
                match self {
                    $(
                        #[cfg(feature = $feature)]
                        Vendor::$variant => $krate::VARIABLES,
                    )+
                    #[allow(unreachable_patterns)]
                    _ => &[],
                }
            }
        }

        /// A client for any enabled vendor, so a caller can hold a list of configured vendors
        /// and offboard a person from each without five code paths.
        ///
        /// Each variant exists only when its feature is enabled; with no vendor feature the
        /// type has no values and [`Client::from_env`] always returns a `Config` error.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum Client {
            $(
                #[doc = concat!($platform, ".")]
                #[cfg(feature = $feature)]
                #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
                $variant($krate::Client),
            )+
        }

        /// Runs `$body` with `$client` bound to the vendor client inside `$self`.
        macro_rules! dispatch {
            ($self:expr, $client:ident => $body:expr) => {
                match *$self {
                    $(
                        #[cfg(feature = $feature)]
                        Client::$variant(ref $client) => $body,
                    )+
                }
            };
        }

        impl Client {
            /// A client for `vendor` configured through `lookup` (the environment variable
            /// names), with `overrides` taking precedence (the CLI's flags) and the given
            /// transport options.
            pub fn from_sources(
                vendor: Vendor,
                lookup: impl Fn(&str) -> Option<String>,
                overrides: &idp_core::Overrides,
                options: idp_core::TransportOptions,
            ) -> Result<Client, idp_core::Error> {
                match vendor {
                    $(
                        #[cfg(feature = $feature)]
                        Vendor::$variant => {
                            let config = $krate::Config::from_sources(lookup, overrides)?;
                            Ok(Client::$variant($krate::Client::new(config, options)?))
                        }
                    )+
                    #[allow(unreachable_patterns)]
                    disabled => {
                        drop((lookup, overrides, options));
                        Err(idp_core::Error::config(format!(
                            "vendor {disabled} is not enabled in this build: enable the cargo \
                             feature \"{disabled}\" of the idp crate"
                        ))
                        .with_vendor(disabled.as_str()))
                    }
                }
            }

            /// Which vendor this client talks to.
            pub fn vendor(&self) -> Vendor {
                match *self {
                    $(
                        #[cfg(feature = $feature)]
                        Client::$variant(_) => Vendor::$variant,
                    )+
                }
            }
        }

        $(
            #[doc = concat!($platform, " (crate `", stringify!($krate), "`), for its vendor-specific options.")]
            #[cfg(feature = $feature)]
            #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
            pub use $krate as $module;
        )+

        $(
            #[cfg(feature = $feature)]
            impl From<$krate::Client> for Client {
                fn from(client: $krate::Client) -> Self {
                    Client::$variant(client)
                }
            }
        )+
    };
}

vendor_table! {
    "rsa-cas" => RsaCas(idp_rsa_cas as rsa_cas), "RSA SecurID Cloud Access Service";
    "cf-access" => CfAccess(idp_cf_access as cf_access), "Cloudflare Zero Trust Access";
    "onelogin" => OneLogin(idp_onelogin as onelogin), "OneLogin";
    "aa-controlroom" => AaControlRoom(idp_aa_controlroom as aa_controlroom), "Automation Anywhere Control Room";
    "alibaba-cloudsso" => AlibabaCloudSso(idp_alibaba_cloudsso as alibaba_cloudsso), "Alibaba Cloud CloudSSO";
}

// A path to the macro for client.rs (a macro_rules macro is otherwise only textually scoped).
#[allow(clippy::single_component_path_imports)]
pub(crate) use dispatch;

impl Vendor {
    /// The vendors enabled in this build.
    pub fn enabled() -> impl Iterator<Item = Vendor> {
        Vendor::ALL.iter().copied().filter(|v| v.is_enabled())
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the vendors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVendorError(String);

impl fmt::Display for ParseVendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Vendor::ALL.iter().map(|v| v.as_str()).collect();
        write!(
            f,
            "unknown vendor {:?}: expected one of {}",
            idp_core::text::truncate_for_message(&self.0),
            names.join(", ")
        )
    }
}

impl std::error::Error for ParseVendorError {}

impl FromStr for Vendor {
    type Err = ParseVendorError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Vendor::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == name)
            .ok_or_else(|| ParseVendorError(name.to_owned()))
    }
}

/// `Vendor` as a command-line value (feature `clap`): the CLI parses provider names with it.
#[cfg(feature = "clap")]
#[cfg_attr(docsrs, doc(cfg(feature = "clap")))]
impl clap::ValueEnum for Vendor {
    fn value_variants<'a>() -> &'a [Self] {
        Vendor::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).help(self.platform()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &vendor in Vendor::ALL {
            assert_eq!(vendor.as_str().parse::<Vendor>(), Ok(vendor));
        }
        assert!("okta".parse::<Vendor>().is_err());
        assert_eq!(Vendor::ALL.len(), 5);
    }
}
