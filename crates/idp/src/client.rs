//! One client type over every vendor compiled in.

use futures_util::Stream;
use idp_core::{DeleteReport, Error, Receipt, TransportOptions, UserDeleter};

use crate::vendor::Vendor;

/// A client for any enabled vendor, so a caller can hold a list of configured vendors and
/// delete a user in each without five code paths.
///
/// Each variant exists only when its feature is enabled; with no vendor feature the type has
/// no values and [`Client::from_env`] always returns a `Config` error.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Client {
    /// RSA SecurID Cloud Access Service.
    #[cfg(feature = "rsa-cas")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rsa-cas")))]
    RsaCas(idp_rsa_cas::Client),
    /// Cloudflare Zero Trust Access.
    #[cfg(feature = "cf-access")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cf-access")))]
    CfAccess(idp_cf_access::Client),
    /// OneLogin.
    #[cfg(feature = "onelogin")]
    #[cfg_attr(docsrs, doc(cfg(feature = "onelogin")))]
    OneLogin(idp_onelogin::Client),
    /// Automation Anywhere Control Room.
    #[cfg(feature = "aa-controlroom")]
    #[cfg_attr(docsrs, doc(cfg(feature = "aa-controlroom")))]
    AaControlRoom(idp_aa_controlroom::Client),
    /// Alibaba Cloud CloudSSO.
    #[cfg(feature = "alibaba-cloudsso")]
    #[cfg_attr(docsrs, doc(cfg(feature = "alibaba-cloudsso")))]
    AlibabaCloudSso(idp_alibaba_cloudsso::Client),
}

/// Runs `$body` with `$client` bound to the vendor client inside `$self`, whichever it is.
macro_rules! with_vendor_client {
    ($self:expr, $client:ident => $body:expr) => {
        match *$self {
            #[cfg(feature = "rsa-cas")]
            Client::RsaCas(ref $client) => $body,
            #[cfg(feature = "cf-access")]
            Client::CfAccess(ref $client) => $body,
            #[cfg(feature = "onelogin")]
            Client::OneLogin(ref $client) => $body,
            #[cfg(feature = "aa-controlroom")]
            Client::AaControlRoom(ref $client) => $body,
            #[cfg(feature = "alibaba-cloudsso")]
            Client::AlibabaCloudSso(ref $client) => $body,
        }
    };
}

impl Client {
    /// A client for `vendor` configured from the process environment (each vendor crate's
    /// `Config::from_env` documents its variables), with default transport options.
    pub fn from_env(vendor: Vendor) -> Result<Client, Error> {
        Client::from_lookup(
            vendor,
            |name| std::env::var(name).ok(),
            TransportOptions::default(),
        )
    }

    /// A client for `vendor` whose configuration variables are read through `lookup` (the
    /// same names as the environment), with the given transport options. The CLI uses this
    /// to let flags override non-secret variables.
    pub fn from_lookup(
        vendor: Vendor,
        lookup: impl Fn(&str) -> Option<String>,
        options: TransportOptions,
    ) -> Result<Client, Error> {
        match vendor {
            #[cfg(feature = "rsa-cas")]
            Vendor::RsaCas => Ok(Client::RsaCas(idp_rsa_cas::Client::new(
                idp_rsa_cas::Config::from_lookup(lookup)?,
                options,
            )?)),
            #[cfg(feature = "cf-access")]
            Vendor::CfAccess => Ok(Client::CfAccess(idp_cf_access::Client::new(
                idp_cf_access::Config::from_lookup(lookup)?,
                options,
            )?)),
            #[cfg(feature = "onelogin")]
            Vendor::OneLogin => Ok(Client::OneLogin(idp_onelogin::Client::new(
                idp_onelogin::Config::from_lookup(lookup)?,
                options,
            )?)),
            #[cfg(feature = "aa-controlroom")]
            Vendor::AaControlRoom => Ok(Client::AaControlRoom(idp_aa_controlroom::Client::new(
                idp_aa_controlroom::Config::from_lookup(lookup)?,
                options,
            )?)),
            #[cfg(feature = "alibaba-cloudsso")]
            Vendor::AlibabaCloudSso => {
                Ok(Client::AlibabaCloudSso(idp_alibaba_cloudsso::Client::new(
                    idp_alibaba_cloudsso::Config::from_lookup(lookup)?,
                    options,
                )?))
            }
            #[allow(unreachable_patterns)]
            disabled => {
                drop((lookup, options));
                Err(Error::config(
                    "idp",
                    format!(
                        "vendor {disabled} is not enabled in this build: enable the cargo \
                         feature \"{disabled}\" of the idp crate"
                    ),
                ))
            }
        }
    }

    /// Which vendor this client talks to.
    pub fn vendor(&self) -> Vendor {
        match *self {
            #[cfg(feature = "rsa-cas")]
            Client::RsaCas(_) => Vendor::RsaCas,
            #[cfg(feature = "cf-access")]
            Client::CfAccess(_) => Vendor::CfAccess,
            #[cfg(feature = "onelogin")]
            Client::OneLogin(_) => Vendor::OneLogin,
            #[cfg(feature = "aa-controlroom")]
            Client::AaControlRoom(_) => Vendor::AaControlRoom,
            #[cfg(feature = "alibaba-cloudsso")]
            Client::AlibabaCloudSso(_) => Vendor::AlibabaCloudSso,
        }
    }

    /// Checks an id as the vendor would, without sending anything.
    // With no vendor feature the match has no arms and the id goes unused.
    #[cfg_attr(
        not(any(
            feature = "rsa-cas",
            feature = "cf-access",
            feature = "onelogin",
            feature = "aa-controlroom",
            feature = "alibaba-cloudsso"
        )),
        allow(unused_variables)
    )]
    pub fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        with_vendor_client!(self, client => UserDeleter::validate_user_id(client, user_id))
    }

    /// Deletes one user (strict: a missing user is a `NotFound` error; see
    /// [`DeleteOutcome::from_result`](crate::DeleteOutcome::from_result) for idempotent use).
    // With no vendor feature the match has no arms and the id goes unused.
    #[cfg_attr(
        not(any(
            feature = "rsa-cas",
            feature = "cf-access",
            feature = "onelogin",
            feature = "aa-controlroom",
            feature = "alibaba-cloudsso"
        )),
        allow(unused_variables)
    )]
    pub async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        with_vendor_client!(self, client => UserDeleter::delete_user(client, user_id).await)
    }

    /// Deletes every id, at most `concurrency` at a time, yielding each report as it finishes.
    /// One client means one token or login for the whole run.
    pub fn delete_many<'a, I>(
        &'a self,
        ids: I,
        concurrency: usize,
    ) -> impl Stream<Item = DeleteReport> + Send + 'a
    where
        I: IntoIterator<Item = String>,
        I::IntoIter: Send + 'a,
    {
        idp_core::delete_many(self, ids, concurrency)
    }
}

impl UserDeleter for Client {
    fn vendor(&self) -> &'static str {
        Client::vendor(self).as_str()
    }

    fn validate_user_id(&self, user_id: &str) -> Result<(), Error> {
        Client::validate_user_id(self, user_id)
    }

    async fn delete_user(&self, user_id: &str) -> Result<Receipt, Error> {
        Client::delete_user(self, user_id).await
    }
}

macro_rules! from_vendor_client {
    ($feature:literal, $variant:ident, $krate:ident) => {
        #[cfg(feature = $feature)]
        impl From<$krate::Client> for Client {
            fn from(client: $krate::Client) -> Self {
                Client::$variant(client)
            }
        }
    };
}

from_vendor_client!("rsa-cas", RsaCas, idp_rsa_cas);
from_vendor_client!("cf-access", CfAccess, idp_cf_access);
from_vendor_client!("onelogin", OneLogin, idp_onelogin);
from_vendor_client!("aa-controlroom", AaControlRoom, idp_aa_controlroom);
from_vendor_client!("alibaba-cloudsso", AlibabaCloudSso, idp_alibaba_cloudsso);
