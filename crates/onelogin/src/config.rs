//! What a OneLogin client needs: the API domain, the API credential pair, and the API version.

use std::fmt;
use std::str::FromStr;

use idp_core::{Error, Overrides, Secret, lookup_var, quote_config_value, require_var, secret_var};

use crate::VENDOR;

idp_core::variables! {
    //! Every variable this crate reads, for the CLI's help text and flag checks.

    /// The variable holding the API credential's client id.
    ENV_CLIENT_ID = "ONELOGIN_CLIENT_ID" (required):
        "API credential client id (scope \"Manage users\" or \"Manage All\")";
    /// The variable holding the API credential's client secret.
    ENV_CLIENT_SECRET = "ONELOGIN_CLIENT_SECRET" (secret, required): "API credential client secret";
    /// The variable holding the API domain, such as `https://acme.onelogin.com`.
    ENV_BASE_URL = "ONELOGIN_BASE_URL" (required, flag = "--base-url"):
        "API domain: https://<subdomain>.onelogin.com (or the legacy api.us/api.eu host)";
    /// The optional variable selecting the API version (`1` or `2`; default `1`).
    ENV_API_VERSION = "ONELOGIN_API_VERSION": "users API version: 1 (default) or 2";
}

/// Which OneLogin users API the client goes through (delete, look up, read back).
///
/// Both use the same OAuth 2 token and the same `Authorization: bearer:<token>` header. Log
/// out exists in v1 only and always goes through `/api/1`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ApiVersion {
    /// `/api/1/users…`: answers carry a `{"status": {…}}` envelope (the default).
    #[default]
    V1,
    /// `/api/2/users…`: bare records and arrays on success (204 for a delete),
    /// `{"message", "name", "statusCode"}` on error. OneLogin recommends it over v1.
    V2,
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
            _ => Err(Error::config(format!(
                "API version {} is not supported: use 1 or 2",
                quote_config_value(value.trim(), &[])
            ))
            .with_vendor(VENDOR)),
        }
    }
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

    /// Reads [`VARIABLES`] through `lookup`, with `overrides.base_url` (the CLI's
    /// `--base-url`) taking precedence over [`ENV_BASE_URL`]. Values are trimmed and blank
    /// ones count as unset; a missing required variable is an
    /// [`ErrorKind::Config`](idp_core::ErrorKind::Config) error naming it, and no error quotes
    /// a secret.
    pub fn from_sources(
        lookup: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, Error> {
        let stamp = |e: Error| e.with_vendor(VENDOR);
        let client_id = require_var(&lookup, ENV_CLIENT_ID).map_err(stamp)?;
        let client_secret = secret_var(&lookup, ENV_CLIENT_SECRET)
            .ok_or_else(|| stamp(idp_core::missing_var(ENV_CLIENT_SECRET)))?;
        let base_url = match overrides.base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_owned(),
            _ => require_var(&lookup, ENV_BASE_URL).map_err(stamp)?,
        };
        let api_version = match lookup_var(&lookup, ENV_API_VERSION) {
            Some(raw) => raw.parse().map_err(|_: Error| {
                stamp(Error::config(format!(
                    "{ENV_API_VERSION} {} is not supported: use 1 or 2",
                    quote_config_value(&raw, &[&client_secret])
                )))
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

    /// [`Config::from_sources`] without overrides: `lookup` maps a variable name to its value
    /// (tests need not touch the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        Config::from_sources(lookup, &Overrides::none())
    }

    /// Reads [`VARIABLES`] from the process environment.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
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
        // The base URL as given may carry a pasted secret: only its length is shown.
        f.debug_struct("Config")
            .field(
                "base_url",
                &quote_config_value(&self.base_url, &[&self.client_secret]),
            )
            .field("client_id", &self.client_id)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}
