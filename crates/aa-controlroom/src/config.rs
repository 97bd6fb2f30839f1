//! What a client needs to know: where the Control Room is, how to authenticate, which API
//! generation to speak.

use std::fmt;

use idp_core::{Error, Secret, lookup_var, require_var, url::Url};

use crate::VENDOR;

/// The Control Room URL, e.g. `https://cr.example.com` (a path prefix is kept).
pub const ENV_URL: &str = "AA_CONTROL_ROOM_URL";
/// The Control Room user the client logs in as.
pub const ENV_USERNAME: &str = "AA_USERNAME";
/// That user's password.
pub const ENV_PASSWORD: &str = "AA_PASSWORD";
/// That user's API key (preferred over the password when both are set).
pub const ENV_API_KEY: &str = "AA_API_KEY";
/// Optional: `v1` (the default) or `v2`.
pub const ENV_API_VERSION: &str = "AA_API_VERSION";

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

    /// Refuses empty parts, which the Control Room would only answer with a 401.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let empty = |what: &str| Err(Error::config(VENDOR, format!("the {what} is empty")));
        match self {
            Credentials::Password { username, .. } | Credentials::ApiKey { username, .. }
                if username.trim().is_empty() =>
            {
                empty("username")
            }
            Credentials::Password { password, .. } if password.is_empty() => empty("password"),
            Credentials::ApiKey { api_key, .. } if api_key.is_empty() => empty("API key"),
            Credentials::Token(token) if token.is_empty() => empty("token"),
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
    /// `/v1/authentication` and `/v1/usermanagement/users/{id}`: Enterprise 11 and Automation
    /// 360 before v.33. The default.
    #[default]
    V1,
    /// `/v2/authentication` and `/v2/usermanagement/users/{id}`: Automation 360 v.33 and later,
    /// which retire the v1 endpoints. The v2 delete path is **not confirmed** by the vendor's
    /// documentation; it mirrors v1.
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
        match value.trim().to_ascii_lowercase().as_str() {
            "v1" | "1" => Ok(ApiVersion::V1),
            "v2" | "2" => Ok(ApiVersion::V2),
            other => Err(Error::config(
                VENDOR,
                format!(
                    "unknown API version {:?}: use v1 or v2",
                    idp_core::transport::truncate_for_message(other)
                ),
            )),
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a [`Client`](crate::Client) needs. `Debug` never prints a secret.
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

    /// Reads the configuration through `lookup` (an empty value counts as unset):
    ///
    /// - `AA_CONTROL_ROOM_URL` (required),
    /// - `AA_USERNAME` (required),
    /// - `AA_API_KEY` or `AA_PASSWORD` (one required; when both are set the **API key wins**,
    ///   because API-key tokens do not invalidate the user's other sessions),
    /// - `AA_API_VERSION` (optional: `v1`, the default, or `v2`).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |key: &str| lookup_var(&lookup, key);
        let url = require_var(VENDOR, &lookup, ENV_URL)?;
        let username = require_var(VENDOR, &lookup, ENV_USERNAME)?;
        let credentials = match (get(ENV_API_KEY), get(ENV_PASSWORD)) {
            (Some(api_key), _) => Credentials::api_key(username, api_key),
            (None, Some(password)) => Credentials::password(username, password),
            (None, None) => {
                return Err(Error::missing_env(
                    VENDOR,
                    &format!("{ENV_API_KEY} (or {ENV_PASSWORD})"),
                ));
            }
        };
        let api_version = match get(ENV_API_VERSION) {
            Some(value) => ApiVersion::parse(&value)?,
            None => ApiVersion::default(),
        };
        Ok(Config::new(url, credentials).with_api_version(api_version))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("control_room_url", &printable_url(&self.control_room_url))
            .field("credentials", &self.credentials)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

/// The URL without any `user:password@` part (refused later, but never printed).
pub(crate) fn printable_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            // Both setters only fail for URLs that cannot have credentials at all.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(_) => raw.to_owned(),
        Err(_) => "<not a valid URL>".to_owned(),
    }
}
