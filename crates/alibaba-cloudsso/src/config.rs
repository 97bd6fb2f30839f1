//! Credentials, directory and endpoint, from the environment or from code.

use std::fmt;

use idp_core::transport::{check_id, parse_base_url};
use idp_core::{Error, ErrorKind, Secret, lookup_var, require_var};

use crate::VENDOR;

/// Environment variable holding the AccessKey ID.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable holding the AccessKey secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Environment variable holding an STS security token (optional).
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// Environment variable holding the CloudSSO directory id (`d-…`).
pub const ENV_DIRECTORY_ID: &str = "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID";
/// Environment variable holding the region of the directory (optional, default
/// [`DEFAULT_REGION`]).
pub const ENV_REGION_ID: &str = "ALIBABA_CLOUD_REGION_ID";
/// Environment variable holding a full endpoint URL (optional; overrides the region).
pub const ENV_ENDPOINT: &str = "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT";

/// The region used when none is given.
pub const DEFAULT_REGION: &str = "cn-shanghai";

/// The longest directory or user id accepted (CloudSSO ids are about 25 characters).
pub const MAX_ID_CHARS: usize = 64;

const MAX_REGION_CHARS: usize = 32;
const MAX_ACCESS_KEY_ID_CHARS: usize = 128;

/// Where the signed parameters travel. Both styles use `POST` and sign the same parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RequestStyle {
    /// Every parameter (the signature and any `SecurityToken` included) in an
    /// `application/x-www-form-urlencoded` body; the URL is just the endpoint. The default:
    /// credentials never appear in a URL, where proxies and access logs would record them.
    #[default]
    FormBody,
    /// Every parameter in the URL query, with an empty body, as Alibaba's official SDKs send
    /// RPC requests. Use it if an endpoint refuses parameters in the body.
    Query,
}

/// How to reach and authenticate to CloudSSO.
///
/// Build it with [`Config::from_env`], [`Config::from_lookup`] or [`Config::new`]. Its `Debug`
/// output never shows the AccessKey secret or the security token.
#[derive(Clone)]
pub struct Config {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
    directory_id: String,
    region_id: String,
    endpoint: Option<String>,
    request_style: RequestStyle,
}

impl Config {
    /// A configuration for `directory_id` with a long-term AccessKey pair, in
    /// [`DEFAULT_REGION`]. Checked by [`Client::new`](crate::Client::new).
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: Secret,
        directory_id: impl Into<String>,
    ) -> Config {
        Config {
            access_key_id: access_key_id.into(),
            access_key_secret,
            security_token: None,
            directory_id: directory_id.into(),
            region_id: DEFAULT_REGION.to_owned(),
            endpoint: None,
            request_style: RequestStyle::default(),
        }
    }

    /// Reads the configuration from the process environment (see [`Config::from_lookup`]).
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its value):
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
    /// `ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID` (required), `ALIBABA_CLOUD_SECURITY_TOKEN`,
    /// `ALIBABA_CLOUD_REGION_ID` and `ALIBABA_CLOUD_CLOUDSSO_ENDPOINT` (optional). Empty
    /// values count as unset. Every value is checked here.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |name: &str| lookup_var(&lookup, name);
        let require = |name: &str| require_var(VENDOR, &lookup, name);

        let mut config = Config::new(
            require(ENV_ACCESS_KEY_ID)?,
            Secret::new(require(ENV_ACCESS_KEY_SECRET)?),
            require(ENV_DIRECTORY_ID)?,
        );
        if let Some(token) = get(ENV_SECURITY_TOKEN) {
            config = config.with_security_token(Secret::new(token));
        }
        if let Some(region) = get(ENV_REGION_ID) {
            config = config.with_region_id(region);
        }
        if let Some(endpoint) = get(ENV_ENDPOINT) {
            config = config.with_endpoint(endpoint);
        }
        config.validate()?;
        Ok(config)
    }

    /// Adds an STS security token (temporary credentials); it is sent as `SecurityToken` and
    /// signed with the other parameters.
    pub fn with_security_token(mut self, token: Secret) -> Config {
        self.security_token = Some(token);
        self
    }

    /// Sets the region of the directory (`cn-shanghai`, `us-west-1`, `ap-southeast-1`, …);
    /// the endpoint is `https://cloudsso.<region>.aliyuncs.com`.
    pub fn with_region_id(mut self, region_id: impl Into<String>) -> Config {
        self.region_id = region_id.into();
        self
    }

    /// Sets a full endpoint URL, used instead of the region's (a VPC endpoint, a proxy, a
    /// local simulator). Plain `http://` is accepted only for loopback hosts unless the
    /// transport allows it.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Config {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets the directory id.
    pub fn with_directory_id(mut self, directory_id: impl Into<String>) -> Config {
        self.directory_id = directory_id.into();
        self
    }

    /// Chooses where the signed parameters travel (default [`RequestStyle::FormBody`]).
    pub fn with_request_style(mut self, style: RequestStyle) -> Config {
        self.request_style = style;
        self
    }

    /// The AccessKey ID (an identifier, not a secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The CloudSSO directory id.
    pub fn directory_id(&self) -> &str {
        &self.directory_id
    }

    /// The region.
    pub fn region_id(&self) -> &str {
        &self.region_id
    }

    /// Whether an STS security token is configured.
    pub fn has_security_token(&self) -> bool {
        self.security_token.is_some()
    }

    /// Where the signed parameters travel.
    pub fn request_style(&self) -> RequestStyle {
        self.request_style
    }

    /// The endpoint URL requests go to: the explicit one, or the region's.
    pub fn endpoint(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => format!("https://cloudsso.{}.aliyuncs.com", self.region_id),
        }
    }

    pub(crate) fn access_key_secret(&self) -> &Secret {
        &self.access_key_secret
    }

    pub(crate) fn security_token(&self) -> Option<&Secret> {
        self.security_token.as_ref()
    }

    /// Checks every value; all failures are [`ErrorKind::Config`] errors.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let as_config = |e: Error| e.with_kind(ErrorKind::Config);
        check_id(
            VENDOR,
            "access key id",
            &self.access_key_id,
            MAX_ACCESS_KEY_ID_CHARS,
        )
        .map_err(as_config)?;
        if self.access_key_id.chars().any(char::is_whitespace) {
            return Err(Error::config(VENDOR, "access key id contains whitespace"));
        }
        if self.access_key_secret.is_empty() {
            return Err(Error::config(VENDOR, "access key secret is empty"));
        }
        if self.security_token.as_ref().is_some_and(Secret::is_empty) {
            return Err(Error::config(VENDOR, "security token is empty"));
        }
        check_id(VENDOR, "directory id", &self.directory_id, MAX_ID_CHARS).map_err(as_config)?;
        if self.directory_id.trim().is_empty() {
            return Err(Error::config(VENDOR, "directory id is blank"));
        }
        check_region(&self.region_id)?;
        if let Some(endpoint) = &self.endpoint {
            // Syntax only here; the https/loopback rule is applied with the transport's
            // options when the client is built.
            parse_base_url(VENDOR, endpoint, true)?;
        }
        Ok(())
    }
}

/// A region id goes into the host name, so it may hold only `a-z`, `0-9` and inner `-`.
fn check_region(region: &str) -> Result<(), Error> {
    let well_formed = !region.is_empty()
        && region.len() <= MAX_REGION_CHARS
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if well_formed {
        Ok(())
    } else {
        Err(Error::config(
            VENDOR,
            format!(
                "region id {:?} is not a region (like cn-shanghai): only a-z, 0-9 and '-' allowed",
                idp_core::transport::truncate_for_message(region)
            ),
        ))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("access_key_id", &self.access_key_id)
            .field("directory_id", &self.directory_id)
            .field("region_id", &self.region_id)
            .field("endpoint", &self.endpoint)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("request_style", &self.request_style)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for good in ["cn-shanghai", "us-west-1", "ap-southeast-1", "eu-central-1"] {
            assert!(check_region(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-cn",
            "cn-",
            "CN-SHANGHAI",
            "evil.com/",
            "cn-shanghai.attacker.net",
            "a b",
            "x@y",
            &"a".repeat(33),
        ] {
            let err = check_region(bad).err().map(|e| e.kind());
            assert_eq!(err, Some(ErrorKind::Config), "{bad}");
        }
    }

    #[test]
    fn endpoint_from_region() {
        let config = Config::new("id", Secret::new("s"), "d-1").with_region_id("us-west-1");
        assert_eq!(config.endpoint(), "https://cloudsso.us-west-1.aliyuncs.com");
        let config = config.with_endpoint("https://sso.example.net");
        assert_eq!(config.endpoint(), "https://sso.example.net");
    }
}
