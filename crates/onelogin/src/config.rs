//! What a OneLogin client needs: the API domain, the API credential pair, and the API version.

use std::fmt;
use std::str::FromStr;

use idp_core::{Error, Secret, lookup_var, require_var};

use crate::VENDOR;

/// The variable holding the API credential's client id.
pub const ENV_CLIENT_ID: &str = "ONELOGIN_CLIENT_ID";
/// The variable holding the API credential's client secret.
pub const ENV_CLIENT_SECRET: &str = "ONELOGIN_CLIENT_SECRET";
/// The variable holding the API domain, such as `https://acme.onelogin.com`.
pub const ENV_BASE_URL: &str = "ONELOGIN_BASE_URL";
/// The optional variable selecting the API version (`1` or `2`; default `1`).
pub const ENV_API_VERSION: &str = "ONELOGIN_API_VERSION";

/// Which OneLogin users API the client deletes through.
///
/// Both use the same OAuth 2 token and the same `Authorization: bearer:<token>` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `DELETE /api/1/users/{id}`: answers with a `{"status": {…}}` envelope (the default).
    #[default]
    V1,
    /// `DELETE /api/2/users/{id}`: an empty body on success, `{"message", "name",
    /// "statusCode"}` on error. OneLogin recommends it over v1.
    V2,
}

impl ApiVersion {
    /// The path segment after `/api/`: `"1"` or `"2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "1",
            ApiVersion::V2 => "2",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    /// Accepts `1`, `v1`, `2` and `v2` (any case).
    fn from_str(value: &str) -> Result<Self, Error> {
        match value.trim().to_ascii_lowercase().as_str() {
            "1" | "v1" => Ok(ApiVersion::V1),
            "2" | "v2" => Ok(ApiVersion::V2),
            other => Err(Error::config(
                VENDOR,
                format!(
                    "API version {:?} is not supported: use 1 or 2",
                    idp_core::transport::truncate_for_message(other)
                ),
            )),
        }
    }
}

/// The settings of a OneLogin [`Client`](crate::Client).
///
/// `Debug` prints the base URL, the client id and the API version, never the secret.
#[derive(Clone)]
pub struct Config {
    base_url: String,
    client_id: String,
    client_secret: Secret,
    api_version: ApiVersion,
}

impl Config {
    /// A configuration for API v1. `base_url` is the API domain: `https://<subdomain>.onelogin.com`,
    /// or a legacy regional host (`https://api.us.onelogin.com`, `https://api.eu.onelogin.com`).
    /// It is checked when the [`Client`](crate::Client) is built.
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Config {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            api_version: ApiVersion::default(),
        }
    }

    /// Selects the users API version.
    pub fn with_api_version(mut self, api_version: ApiVersion) -> Self {
        self.api_version = api_version;
        self
    }

    /// Reads [`ENV_CLIENT_ID`], [`ENV_CLIENT_SECRET`], [`ENV_BASE_URL`] and, optionally,
    /// [`ENV_API_VERSION`] from the process environment.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (so a command line can
    /// override them, and tests need not touch the environment). Empty values count as unset;
    /// a missing required variable is an [`ErrorKind::Config`](idp_core::ErrorKind::Config)
    /// error naming it.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |name: &str| lookup_var(&lookup, name).map(|value| value.trim().to_owned());
        let require =
            |name: &str| require_var(VENDOR, &lookup, name).map(|value| value.trim().to_owned());
        let client_id = require(ENV_CLIENT_ID)?;
        let client_secret = Secret::new(require(ENV_CLIENT_SECRET)?);
        let base_url = require(ENV_BASE_URL)?;
        let api_version = match get(ENV_API_VERSION) {
            Some(raw) => raw.parse().map_err(|e: Error| {
                Error::config(VENDOR, format!("{ENV_API_VERSION}: {}", e.message()))
            })?,
            None => ApiVersion::default(),
        };
        Ok(Config {
            base_url,
            client_id,
            client_secret,
            api_version,
        })
    }

    /// The API domain as given.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API credential's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The users API version.
    pub fn api_version(&self) -> ApiVersion {
        self.api_version
    }

    pub(crate) fn client_secret(&self) -> &Secret {
        &self.client_secret
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}
