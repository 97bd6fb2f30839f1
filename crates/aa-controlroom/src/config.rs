//! What a client needs to know: where the Control Room is, how to authenticate, which API
//! generation to speak.

use std::fmt;

use idp_core::{
    Error, Overrides, Secret, lookup_var, missing_var, quote_config_value, require_var, secret_var,
    url::Url,
};

idp_core::variables! {
    //! Every variable this crate reads, for the CLI's help text and flag checks.

    /// The Control Room URL, e.g. `https://cr.example.com` (a path prefix is kept).
    ENV_URL = "AA_CONTROL_ROOM_URL" (required, flag = "--base-url"):
        "the Control Room URL, e.g. https://cr.example.com (a path prefix is kept)";
    /// The Control Room user the client logs in as.
    ENV_USERNAME = "AA_USERNAME" (required):
        "the Control Room user to log in as (needs the View and Edit users permissions)";
    /// That user's API key (preferred over the password when both are set).
    ENV_API_KEY = "AA_API_KEY" (secret):
        "that user's API key (used when both it and AA_PASSWORD are set)";
    /// That user's password.
    ENV_PASSWORD = "AA_PASSWORD" (secret):
        "that user's password (a password login ends the user's earlier password sessions)";
    /// Optional: `v1` (the default) or `v2`.
    ENV_API_VERSION = "AA_API_VERSION": "v1 (default) or v2 (Automation 360 v.33 and later)";
}

/// How the client obtains the token it sends as `X-Authorization`.
///
/// `Debug` never prints the password, API key or token.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// Log in with `{"username", "password"}`. A password login invalidates the tokens of this
    /// user's earlier password logins, so every part of a program should share one
    /// [`Client`](crate::Client) (clones share its token).
    Password {
        /// The Control Room user name.
        username: String,
        /// The user's password.
        password: Secret,
    },
    /// Log in with `{"username", "apiKey"}`. API-key tokens do not invalidate other sessions,
    /// which makes this the better choice for automation.
    ApiKey {
        /// The Control Room user name.
        username: String,
        /// The user's API key.
        api_key: Secret,
    },
    /// A token obtained elsewhere, sent as it is. The client cannot renew it: once it expires
    /// (after about 20 minutes) every call fails with
    /// [`ErrorKind::Unauthenticated`](idp_core::ErrorKind::Unauthenticated).
    Token(Secret),
}

impl Credentials {
    /// Username and password.
    pub fn password(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Credentials::Password {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Username and API key.
    pub fn api_key(username: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        Credentials::ApiKey {
            username: username.into(),
            api_key: api_key.into(),
        }
    }

    /// A token obtained elsewhere.
    pub fn token(token: impl Into<Secret>) -> Self {
        Credentials::Token(token.into())
    }

    /// `"password"`, `"api_key"` or `"token"`: which kind, for logs and `Debug`.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Password { .. } => "password",
            Credentials::ApiKey { .. } => "api_key",
            Credentials::Token(_) => "token",
        }
    }

    /// The user name the client logs in as (`None` for an explicit token).
    pub fn username(&self) -> Option<&str> {
        match self {
            Credentials::Password { username, .. } | Credentials::ApiKey { username, .. } => {
                Some(username)
            }
            Credentials::Token(_) => None,
        }
    }

    /// The secret: the password, the API key or the token.
    pub(crate) fn secret(&self) -> &Secret {
        match self {
            Credentials::Password { password, .. } => password,
            Credentials::ApiKey { api_key, .. } => api_key,
            Credentials::Token(token) => token,
        }
    }

    /// Whether this is a token the caller supplied (never renewed, never logged out).
    pub(crate) fn is_explicit_token(&self) -> bool {
        matches!(self, Credentials::Token(_))
    }

    /// Refuses blank parts, which the Control Room would only answer with a 401 (a failed
    /// login that counts toward a lockout).
    pub(crate) fn check(&self) -> Result<(), Error> {
        let blank = |what: &str| Err(Error::config(format!("the {what} is empty")));
        match self {
            Credentials::Password { username, .. } | Credentials::ApiKey { username, .. }
                if username.trim().is_empty() =>
            {
                blank("username")
            }
            Credentials::Password { password, .. } if password.is_blank() => blank("password"),
            Credentials::ApiKey { api_key, .. } if api_key.is_blank() => blank("API key"),
            Credentials::Token(token) if token.is_blank() => blank("token"),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .finish(),
            Credentials::ApiKey { username, .. } => f
                .debug_struct("ApiKey")
                .field("username", username)
                .field("api_key", &"[REDACTED]")
                .finish(),
            Credentials::Token(_) => f.write_str("Token([REDACTED])"),
        }
    }
}

/// Which generation of the Control Room API to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `/v1/authentication` and `/v1/usermanagement/…`: Enterprise 11 and Automation 360
    /// before v.33. The default.
    #[default]
    V1,
    /// `/v2/authentication` and `/v2/usermanagement/…`: Automation 360 v.33 and later, which
    /// retire the v1 endpoints. The v2 user paths are **not confirmed** by the vendor's
    /// documentation; they mirror v1.
    V2,
}

impl ApiVersion {
    /// The path segment: `"v1"` or `"v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }

    /// Parses `v1`/`1` or `v2`/`2` (any case); anything else is a `Config` error.
    pub fn parse(value: &str) -> Result<ApiVersion, Error> {
        ApiVersion::parse_among(value, &[])
    }

    /// [`ApiVersion::parse`], never quoting a value that holds one of `secrets`.
    fn parse_among(value: &str, secrets: &[&Secret]) -> Result<ApiVersion, Error> {
        match value.trim().to_ascii_lowercase().as_str() {
            "v1" | "1" => Ok(ApiVersion::V1),
            "v2" | "2" => Ok(ApiVersion::V2),
            _ => Err(Error::config(format!(
                "{ENV_API_VERSION} {} is not an API version: use v1 or v2",
                quote_config_value(value, secrets)
            ))
            .with_vendor(crate::VENDOR)),
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a [`Client`](crate::Client) needs. `Debug` never prints a secret, nor more of
/// the URL than its host.
#[derive(Clone)]
pub struct Config {
    control_room_url: String,
    credentials: Credentials,
    api_version: ApiVersion,
}

impl Config {
    /// A configuration for the Control Room at `control_room_url` (checked by
    /// [`Client::new`](crate::Client::new)), speaking API v1.
    pub fn new(control_room_url: impl Into<String>, credentials: Credentials) -> Self {
        Config {
            control_room_url: control_room_url.into(),
            credentials,
            api_version: ApiVersion::default(),
        }
    }

    /// Speaks `api_version` instead of v1.
    pub fn with_api_version(mut self, api_version: ApiVersion) -> Self {
        self.api_version = api_version;
        self
    }

    /// Replaces the Control Room URL.
    pub fn with_control_room_url(mut self, control_room_url: impl Into<String>) -> Self {
        self.control_room_url = control_room_url.into();
        self
    }

    /// The Control Room URL, as given.
    pub fn control_room_url(&self) -> &str {
        &self.control_room_url
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The API generation.
    pub fn api_version(&self) -> ApiVersion {
        self.api_version
    }

    /// Reads the configuration from the process environment; see [`Config::from_lookup`].
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the configuration through `lookup`; see [`Config::from_sources`].
    pub fn from_lookup<F>(lookup: F) -> Result<Config, Error>
    where
        F: Fn(&str) -> Option<String>,
    {
        Config::from_sources(lookup, &Overrides::none())
    }

    /// Reads the configuration through `lookup`, with `overrides` (the CLI's flags) taking
    /// precedence. Every value is trimmed and a blank one counts as unset (a password read
    /// with `$(cat file)` keeps no trailing newline):
    ///
    /// - `AA_CONTROL_ROOM_URL` (required; [`Overrides::base_url`] wins),
    /// - `AA_USERNAME` (required),
    /// - `AA_API_KEY` or `AA_PASSWORD` (one required; when both are set the **API key wins**,
    ///   because API-key tokens do not invalidate the user's other sessions),
    /// - `AA_API_VERSION` (optional: `v1`, the default, or `v2`).
    pub fn from_sources<F>(lookup: F, overrides: &Overrides) -> Result<Config, Error>
    where
        F: Fn(&str) -> Option<String>,
    {
        Config::read(&lookup, overrides).map_err(|e| e.with_vendor(crate::VENDOR))
    }

    fn read<F>(lookup: &F, overrides: &Overrides) -> Result<Config, Error>
    where
        F: Fn(&str) -> Option<String>,
    {
        let url = match overrides.base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_owned(),
            _ => require_var(lookup, ENV_URL)?,
        };
        let username = require_var(lookup, ENV_USERNAME)?;
        let credentials = match (
            secret_var(lookup, ENV_API_KEY),
            secret_var(lookup, ENV_PASSWORD),
        ) {
            (Some(api_key), _) => Credentials::api_key(username, api_key),
            (None, Some(password)) => Credentials::password(username, password),
            (None, None) => return Err(missing_var(&format!("{ENV_API_KEY} (or {ENV_PASSWORD})"))),
        };
        let api_version = match lookup_var(lookup, ENV_API_VERSION) {
            Some(value) => ApiVersion::parse_among(&value, &[credentials.secret()])?,
            None => ApiVersion::default(),
        };
        Ok(Config::new(url, credentials).with_api_version(api_version))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &printable_host(&self.control_room_url))
            .field("credentials", &self.credentials)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

/// The URL's host only: a path or a query may hold a pasted credential.
fn printable_host(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(url) => url.host_str().unwrap_or("<no host>").to_owned(),
        Err(_) => "<not a valid URL>".to_owned(),
    }
}
