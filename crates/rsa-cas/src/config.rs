//! What a client needs: the key file, and optionally another base URL.

use std::fmt;

use idp_core::{Error, Overrides, lookup_var, require_var};

use crate::VENDOR;
use crate::key_file::KeyFile;

idp_core::variables! {
    //! Every variable this crate reads. The key file's path is not itself a credential (the
    //! file is), so it may come from `--key-file`.

    /// Environment variable holding the path of the admin API key file (required).
    ENV_KEY_FILE = "RSA_CAS_KEY_FILE" (required, flag = "--key-file"):
        "path of the admin API key file (JSON) downloaded from the Cloud Administration Console";
    /// Environment variable holding a base URL that replaces the key file's `adminRestApiUrl`
    /// for requests (optional; the JWT's `aud` stays the key file's value).
    ENV_BASE_URL = "RSA_CAS_BASE_URL" (flag = "--base-url"):
        "base URL for requests instead of the key file's adminRestApiUrl (a proxy, a test server)";
}

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

    /// Reads the configuration through `lookup` (a variable name to its value), with
    /// `overrides` (the CLI's `--key-file` and `--base-url`) taking precedence over the
    /// variables: `RSA_CAS_KEY_FILE` (required) is the path of the key file, and
    /// `RSA_CAS_BASE_URL` (optional) replaces its `adminRestApiUrl` for requests. Values are
    /// trimmed; blank values count as unset.
    pub fn from_sources(
        lookup: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, Error> {
        let key_file = match &overrides.key_file {
            Some(path) => KeyFile::from_path(path)?,
            None => KeyFile::from_path(require_var(&lookup, ENV_KEY_FILE).map_err(stamp)?)?,
        };
        let base_url = overrides
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(str::to_owned)
            .or_else(|| lookup_var(&lookup, ENV_BASE_URL));
        Ok(Config { key_file, base_url })
    }

    /// [`Config::from_sources`] without overrides.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        Config::from_sources(lookup, &Overrides::none())
    }

    /// [`Config::from_sources`] from the process environment, without overrides.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_sources(|name| std::env::var(name).ok(), &Overrides::none())
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

    /// Where [`Config::base_url`] came from, for error messages.
    pub(crate) fn base_url_origin(&self) -> &'static str {
        if self.base_url.is_some() {
            "RSA_CAS_BASE_URL (--base-url)"
        } else {
            "the key file's adminRestApiUrl"
        }
    }
}

fn stamp(err: Error) -> Error {
    err.with_vendor(VENDOR)
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A private key pasted into the base URL must not come out through `Debug` either.
        let base_url = self.base_url.as_deref().map(|url| {
            if self.key_file.holds_key_material(url) {
                "(not shown: it holds key material)"
            } else {
                url
            }
        });
        f.debug_struct("Config")
            .field("key_file", &self.key_file)
            .field("base_url", &base_url)
            .finish_non_exhaustive()
    }
}
