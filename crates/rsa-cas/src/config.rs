//! What a client needs: the key file, and optionally another base URL.

use std::fmt;

use idp_core::{Error, lookup_var, require_var};

use crate::VENDOR;
use crate::key_file::KeyFile;

/// Environment variable holding the path of the admin API key file (required).
pub const ENV_KEY_FILE: &str = "RSA_CAS_KEY_FILE";

/// Environment variable holding a base URL that replaces the key file's `adminRestApiUrl`
/// for requests (optional; the JWT's `aud` stays the key file's value).
pub const ENV_BASE_URL: &str = "RSA_CAS_BASE_URL";

/// Configuration of a [`Client`](crate::Client).
///
/// `Debug` prints the key file without its private key.
#[derive(Clone)]
pub struct Config {
    key_file: KeyFile,
    base_url: Option<String>,
}

impl Config {
    /// A configuration that sends requests to the key file's `adminRestApiUrl`.
    pub fn new(key_file: KeyFile) -> Config {
        Config {
            key_file,
            base_url: None,
        }
    }

    /// Sends requests to `base_url` instead of the key file's `adminRestApiUrl` (a proxy, a
    /// test server). Either form works: ending in `/AdminInterface/restapi` or in
    /// `/AdminInterface/restapi/v1`. The JWT's `aud` claim stays the key file's
    /// `adminRestApiUrl`, verbatim, because that is the audience RSA checks the token against.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Config {
        self.base_url = Some(base_url.into());
        self
    }

    /// Reads the configuration from the process environment: see [`Config::from_lookup`].
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its value):
    /// `RSA_CAS_KEY_FILE` (required) is the path of the key file, and `RSA_CAS_BASE_URL`
    /// (optional) replaces its `adminRestApiUrl` for requests. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let path = require_var(VENDOR, &lookup, ENV_KEY_FILE)?;
        let config = Config::new(KeyFile::from_path(path.trim())?);
        Ok(match lookup_var(&lookup, ENV_BASE_URL) {
            Some(base_url) => config.with_base_url(base_url.trim()),
            None => config,
        })
    }

    /// The key file.
    pub fn key_file(&self) -> &KeyFile {
        &self.key_file
    }

    /// The base URL requests go to: the override if one was set, otherwise the key file's
    /// `adminRestApiUrl`.
    pub fn base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or_else(|| self.key_file.admin_rest_api_url())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("key_file", &self.key_file)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}
