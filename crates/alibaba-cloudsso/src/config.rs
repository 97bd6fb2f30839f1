//! Credentials, directory, endpoint and signature version, from the environment, from typed
//! overrides (the CLI's flags) or from code.

use std::fmt;

use idp_core::transport::parse_base_url;
use idp_core::{Error, Overrides, Secret, lookup_var, quote_config_value, require_var, secret_var};

idp_core::variables! {
    //! Every variable this crate reads, for the CLI's help text and flag checks.

    /// Environment variable holding the AccessKey ID.
    ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID" (required):
        "AccessKey ID (a RAM user's, or an STS one)";
    /// Environment variable holding the AccessKey secret.
    ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET" (secret, required):
        "AccessKey secret";
    /// Environment variable holding an STS security token (optional).
    ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN" (secret):
        "STS security token, for temporary credentials";
    /// Environment variable holding the CloudSSO directory id (`d-…`).
    ENV_DIRECTORY_ID = "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID" (required, flag = "--directory-id"):
        "the CloudSSO directory id (d-…)";
    /// Environment variable holding the region of the directory (optional, default
    /// [`DEFAULT_REGION`]).
    ENV_REGION_ID = "ALIBABA_CLOUD_REGION_ID" (flag = "--region"):
        "region of the directory, default cn-shanghai";
    /// Environment variable holding a full endpoint URL (optional; overrides the region).
    ENV_ENDPOINT = "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT" (flag = "--endpoint"):
        "full endpoint URL, overriding the region";
    /// Environment variable choosing the signature: `v3` (default) or `v2` (optional).
    ENV_SIGNATURE_VERSION = "ALIBABA_CLOUD_SIGNATURE_VERSION" (flag = "--signature-version"):
        "v3 (default, ACS3-HMAC-SHA256) or v2 (HMAC-SHA1)";
}

/// The region used when none is given.
pub const DEFAULT_REGION: &str = "cn-shanghai";

/// The longest directory or user id accepted (CloudSSO ids are about 25 characters).
pub const MAX_ID_CHARS: usize = 64;

const MAX_REGION_CHARS: usize = 32;
const MAX_ACCESS_KEY_ID_CHARS: usize = 128;

/// How requests are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// Signature V3, `ACS3-HMAC-SHA256` (`Authorization` and `x-acs-*` headers): what
    /// Alibaba documents and its SDKs send by default. The default.
    #[default]
    V3,
    /// The HMAC-SHA1 RPC signature (`SignatureVersion=1.0`), which Alibaba calls "signature
    /// method V2" and documents as discontinued: for endpoints that do not take V3.
    V2,
}

impl SignatureVersion {
    /// Parses `v3` or `v2` (any case, trimmed); anything else is an
    /// [`ErrorKind::Config`](idp_core::ErrorKind::Config) error naming
    /// `ALIBABA_CLOUD_SIGNATURE_VERSION`.
    pub fn parse(value: &str) -> Result<SignatureVersion, Error> {
        SignatureVersion::parse_among(value, &[])
    }

    /// [`SignatureVersion::parse`], never quoting one of `secrets` in the error.
    fn parse_among(value: &str, secrets: &[&Secret]) -> Result<SignatureVersion, Error> {
        match value.trim().to_ascii_lowercase().as_str() {
            "v3" => Ok(SignatureVersion::V3),
            "v2" => Ok(SignatureVersion::V2),
            _ => Err(Error::config(format!(
                "{ENV_SIGNATURE_VERSION} (--signature-version) must be v3 or v2, got {}",
                quote_config_value(value, secrets)
            ))),
        }
    }

    /// `"v3"` or `"v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureVersion::V3 => "v3",
            SignatureVersion::V2 => "v2",
        }
    }
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the operation parameters travel. Both use `POST` to `/`, and both are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RequestStyle {
    /// In the URL query with an empty body, as Alibaba's SDK sends CloudSSO calls (its
    /// `DeleteUserWithOptions` puts them in the query). The default. With V3 the query holds
    /// only the operation's parameters (ids, filters): the credentials travel in headers.
    #[default]
    Query,
    /// In an `application/x-www-form-urlencoded` body. With V3 the body's SHA-256 is
    /// `x-acs-content-sha256` and `content-type` is signed; with V2 every parameter, the
    /// signature included, is in the body, keeping the security token out of the URL. Whether
    /// CloudSSO reads its parameters from a form body is NOT CONFIRMED: use it only where an
    /// endpoint is known to take it.
    FormBody,
}

/// How to reach and authenticate to CloudSSO.
///
/// Build it with [`Config::from_env`], [`Config::from_lookup`], [`Config::from_sources`] or
/// [`Config::new`]. Its `Debug` output never shows the AccessKey secret or the security token:
/// both are [`Secret`]s.
#[derive(Clone, Debug)]
pub struct Config {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
    directory_id: String,
    region_id: String,
    endpoint: Option<String>,
    request_style: RequestStyle,
    signature_version: SignatureVersion,
}

impl Config {
    /// A configuration for `directory_id` with a long-term AccessKey pair, in
    /// [`DEFAULT_REGION`], signing with V3. Checked by [`Client::new`](crate::Client::new).
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
            signature_version: SignatureVersion::default(),
        }
    }

    /// Reads the configuration from the process environment (see [`Config::from_lookup`]).
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its value): the
    /// [`VARIABLES`]. Values are trimmed and blank ones count as unset; every value is checked
    /// here.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        Config::from_sources(lookup, &Overrides::none())
    }

    /// Like [`Config::from_lookup`], with `overrides` (the CLI's `--directory-id`, `--region`,
    /// `--endpoint`, `--signature-version`) taking precedence over their variables.
    pub fn from_sources(
        lookup: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, Error> {
        // A flag follows the same rule as a variable: trimmed, blank is unset.
        let pick = |flag: &Option<String>, name: &str| {
            flag.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .or_else(|| lookup_var(&lookup, name))
        };
        let directory_id = pick(&overrides.directory_id, ENV_DIRECTORY_ID);
        let mut config = Config::new(
            require_var(&lookup, ENV_ACCESS_KEY_ID)?,
            secret_var(&lookup, ENV_ACCESS_KEY_SECRET)
                .ok_or_else(|| idp_core::missing_var(ENV_ACCESS_KEY_SECRET))?,
            directory_id.ok_or_else(|| idp_core::missing_var(ENV_DIRECTORY_ID))?,
        );
        config.security_token = secret_var(&lookup, ENV_SECURITY_TOKEN);
        if let Some(region) = pick(&overrides.region, ENV_REGION_ID) {
            config.region_id = region;
        }
        config.endpoint = pick(&overrides.endpoint, ENV_ENDPOINT);
        if let Some(version) = pick(&overrides.signature_version, ENV_SIGNATURE_VERSION) {
            config.signature_version = SignatureVersion::parse_among(&version, &config.secrets())?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Adds an STS security token (temporary credentials): sent as `x-acs-security-token`
    /// (V3) or `SecurityToken` (V2), and signed.
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

    /// Chooses where the operation parameters travel (default [`RequestStyle::Query`]).
    pub fn with_request_style(mut self, style: RequestStyle) -> Config {
        self.request_style = style;
        self
    }

    /// Chooses the signature (default [`SignatureVersion::V3`]).
    pub fn with_signature_version(mut self, version: SignatureVersion) -> Config {
        self.signature_version = version;
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

    /// Where the operation parameters travel.
    pub fn request_style(&self) -> RequestStyle {
        self.request_style
    }

    /// How requests are signed.
    pub fn signature_version(&self) -> SignatureVersion {
        self.signature_version
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

    /// The configured secrets, for the scrubber and for [`quote_config_value`].
    pub(crate) fn secrets(&self) -> Vec<&Secret> {
        std::iter::once(&self.access_key_secret)
            .chain(self.security_token.as_ref())
            .collect()
    }

    /// Checks every value; all failures are [`ErrorKind::Config`](idp_core::ErrorKind)
    /// errors that name the variable and never quote a secret.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let secrets = self.secrets();
        let quoted = |value: &str| quote_config_value(value, &secrets);
        let key_id = &self.access_key_id;
        let key_id_ok = !key_id.is_empty()
            && key_id.chars().count() <= MAX_ACCESS_KEY_ID_CHARS
            && key_id.bytes().all(|b| b.is_ascii_graphic());
        if !key_id_ok {
            return Err(Error::config(format!(
                "{ENV_ACCESS_KEY_ID} {} is not an AccessKey ID: at most \
                 {MAX_ACCESS_KEY_ID_CHARS} printable ASCII characters, no spaces",
                quoted(key_id)
            )));
        }
        if self.access_key_secret.is_blank() {
            return Err(Error::config(format!("{ENV_ACCESS_KEY_SECRET} is empty")));
        }
        if self.security_token.as_ref().is_some_and(Secret::is_blank) {
            return Err(Error::config(format!("{ENV_SECURITY_TOKEN} is empty")));
        }
        if !crate::ids::is_directory_id(&self.directory_id) {
            return Err(Error::config(format!(
                "{ENV_DIRECTORY_ID} {} is not a CloudSSO directory id (d- followed by letters \
                 and digits, at most {MAX_ID_CHARS} characters)",
                quoted(&self.directory_id)
            )));
        }
        if !is_region(&self.region_id) {
            return Err(Error::config(format!(
                "{ENV_REGION_ID} {} is not a region (like cn-shanghai): only a-z, 0-9 and \
                 inner '-' allowed",
                quoted(&self.region_id)
            )));
        }
        if let Some(endpoint) = &self.endpoint {
            // Syntax only here (the URL is never quoted); the https/loopback rule is applied
            // with the transport's options when the client is built.
            parse_base_url(endpoint, true).map_err(|e| {
                let message = format!("{ENV_ENDPOINT}: {}", e.message());
                e.with_message(message)
            })?;
        }
        Ok(())
    }
}

/// A region id goes into the host name, so it may hold only `a-z`, `0-9` and inner `-`.
fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= MAX_REGION_CHARS
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for good in ["cn-shanghai", "us-west-1", "ap-southeast-1", "eu-central-1"] {
            assert!(is_region(good), "{good}");
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
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn endpoint_from_region() {
        let config = Config::new("id", Secret::new("s"), "d-1").with_region_id("us-west-1");
        assert_eq!(config.endpoint(), "https://cloudsso.us-west-1.aliyuncs.com");
        let config = config.with_endpoint("https://sso.example.net");
        assert_eq!(config.endpoint(), "https://sso.example.net");
    }

    #[test]
    fn signature_versions() {
        assert_eq!(
            SignatureVersion::parse(" V3 ").ok(),
            Some(SignatureVersion::V3)
        );
        assert_eq!(
            SignatureVersion::parse("v2").ok(),
            Some(SignatureVersion::V2)
        );
        for bad in ["", "3", "v4", "ACS3-HMAC-SHA256", "hmac-sha1"] {
            let err = SignatureVersion::parse(bad).err();
            assert!(
                err.is_some_and(|e| e.message().contains(ENV_SIGNATURE_VERSION)),
                "{bad}"
            );
        }
        assert_eq!(SignatureVersion::default().to_string(), "v3");
    }
}
