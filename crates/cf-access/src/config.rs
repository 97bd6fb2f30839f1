//! What a client needs to know: the account, the credentials and the API's base URL.

use std::fmt;

use idp_core::text::printable;
use idp_core::transport::check_id;
use idp_core::{Error, Overrides, Secret, lookup_var, missing_var, quote_config_value, secret_var};

use crate::VENDOR;

/// The default base URL of the Cloudflare API.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// The longest account id Cloudflare documents (`maxLength 32`).
pub const MAX_ACCOUNT_ID_CHARS: usize = 32;

idp_core::variables! {
    //! Every variable [`Config::from_lookup`] reads, for the CLI's help text and flag checks.
    //! A token, or else the email with the global key, is needed: neither is required alone.

    /// Environment variable holding an API token (the preferred credential).
    ENV_API_TOKEN = "CLOUDFLARE_API_TOKEN" (secret):
        "API token (preferred), sent as Authorization: Bearer; when set, the email and key are ignored";
    /// Environment variable holding the account email that goes with a global API key.
    ENV_EMAIL = "CLOUDFLARE_EMAIL": "account email, with CLOUDFLARE_API_KEY (global API key)";
    /// Environment variable holding a global API key.
    ENV_API_KEY = "CLOUDFLARE_API_KEY" (secret): "global API key, with CLOUDFLARE_EMAIL";
    /// Environment variable holding the account id.
    ENV_ACCOUNT_ID = "CLOUDFLARE_ACCOUNT_ID" (required, flag = "--account-id"):
        "the account id (at most 32 characters)";
    /// Environment variable overriding the base URL (optional).
    ENV_BASE_URL = "CLOUDFLARE_BASE_URL" (flag = "--base-url"):
        "API base URL (optional, default https://api.cloudflare.com/client/v4)";
}

/// How requests authenticate. Its `Debug` never prints a token or key.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// An API token, sent as `Authorization: Bearer <token>` (Cloudflare's preferred scheme).
    /// Deleting needs *Access: Organizations, Identity Providers, and Groups — Edit* (or an
    /// equivalent) on the account; finding users needs *Access: Audit Logs Read*.
    ApiToken(Secret),
    /// The account email and its global API key, sent as `X-Auth-Email` and `X-Auth-Key`.
    Global {
        /// The email address of the Cloudflare account.
        email: String,
        /// The global API key.
        key: Secret,
    },
}

impl Auth {
    /// An API token.
    pub fn api_token(token: impl Into<Secret>) -> Self {
        Auth::ApiToken(token.into())
    }

    /// An account email with its global API key.
    pub fn global(email: impl Into<String>, key: impl Into<Secret>) -> Self {
        Auth::Global {
            email: email.into(),
            key: key.into(),
        }
    }

    /// The credentials that must never be printed.
    pub(crate) fn secrets(&self) -> Vec<&Secret> {
        match self {
            Auth::ApiToken(token) => vec![token],
            Auth::Global { key, .. } => vec![key],
        }
    }

    /// Refuses empty credentials and values that cannot be an HTTP header (a stray newline
    /// from a file would otherwise fail every request, or split a header).
    fn validate(&self) -> Result<(), Error> {
        let check = |what: &str, value: &str| {
            if value.is_empty() {
                return Err(Error::config(format!("the {what} is empty")));
            }
            if !value
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
            {
                return Err(Error::config(format!(
                    "the {what} contains characters an HTTP header cannot carry \
                     (control characters or non-ASCII)"
                )));
            }
            Ok(())
        };
        match self {
            Auth::ApiToken(token) => check("API token", token.expose()),
            Auth::Global { email, key } => {
                check("account email", email)?;
                check("global API key", key.expose())
            }
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiToken(_) => f.write_str("ApiToken([REDACTED])"),
            Auth::Global { email, .. } => f
                .debug_struct("Global")
                .field("email", email)
                .field("key", &"[REDACTED]")
                .finish(),
        }
    }
}

/// The settings of a [`Client`](crate::Client).
///
/// Build it with [`Config::new`] or read it from the environment with [`Config::from_env`].
/// Its `Debug` prints the account id, the base URL and the auth scheme, never a credential:
/// the token and key are [`Secret`]s.
#[derive(Clone, Debug)]
pub struct Config {
    account_id: String,
    auth: Auth,
    base_url: String,
}

impl Config {
    /// Settings for `account_id` with these credentials, on the default base URL.
    pub fn new(account_id: impl Into<String>, auth: Auth) -> Self {
        Config {
            account_id: account_id.into(),
            auth,
            base_url: DEFAULT_BASE_URL.to_owned(),
        }
    }

    /// [`Config::from_lookup`], with `overrides` winning over the variables: its
    /// `account_id` over `CLOUDFLARE_ACCOUNT_ID` and its `base_url` over
    /// `CLOUDFLARE_BASE_URL` (trimmed; blank counts as not given). Other fields are ignored.
    pub fn from_sources(
        lookup: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, Error> {
        Config::read(&lookup, overrides).map_err(|e| e.with_vendor(VENDOR))
    }

    fn read(
        lookup: &dyn Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Config, Error> {
        let auth = match (
            secret_var(lookup, ENV_API_TOKEN),
            lookup_var(lookup, ENV_EMAIL),
            secret_var(lookup, ENV_API_KEY),
        ) {
            (Some(token), _, _) => Auth::ApiToken(token),
            (None, Some(email), Some(key)) => Auth::Global { email, key },
            (None, Some(_), None) => return Err(missing_var(ENV_API_KEY)),
            (None, None, Some(_)) => return Err(missing_var(ENV_EMAIL)),
            (None, None, None) => {
                return Err(Error::config(format!(
                    "environment variable {ENV_API_TOKEN} is not set (nor {ENV_EMAIL} and \
                     {ENV_API_KEY} for a global API key)"
                )));
            }
        };
        let given = |flag: Option<&String>, name: &str| {
            flag.map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .or_else(|| lookup_var(lookup, name))
        };
        let account_id = given(overrides.account_id.as_ref(), ENV_ACCOUNT_ID)
            .ok_or_else(|| missing_var(ENV_ACCOUNT_ID))?;
        let mut config = Config::new(account_id, auth);
        if let Some(base_url) = given(overrides.base_url.as_ref(), ENV_BASE_URL) {
            config = config.with_base_url(base_url);
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads the settings through `lookup` (an environment variable name → its value); the
    /// variables are those of [`VARIABLES`]:
    ///
    /// - `CLOUDFLARE_API_TOKEN`, or else both `CLOUDFLARE_EMAIL` and `CLOUDFLARE_API_KEY`
    ///   (when a token is set, the email and key are ignored);
    /// - `CLOUDFLARE_ACCOUNT_ID` (required);
    /// - `CLOUDFLARE_BASE_URL` (optional, default [`DEFAULT_BASE_URL`]).
    ///
    /// Values are trimmed of surrounding whitespace, and an empty value counts as unset. A
    /// missing variable is an [`ErrorKind::Config`](idp_core::ErrorKind::Config) error that
    /// names it; so is an account id that [`Config::validate`] refuses.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        Config::from_sources(lookup, &Overrides::none())
    }

    /// Uses another base URL (a proxy, a test server). It must be `https://`, or `http://` to
    /// a loopback host (see [`TransportOptions`](idp_core::TransportOptions) to allow more).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The credentials.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The base URL, as given.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Checks the settings without sending anything: the account id is not empty, at most
    /// 32 characters, has no whitespace, control or invisible characters, none of
    /// `, ; " # @`, and is not `.` or `..`; credentials are not empty and fit in an HTTP
    /// header; neither the account id nor the base URL holds a credential (one pasted into
    /// the wrong variable). Errors are [`ErrorKind::Config`](idp_core::ErrorKind::Config)
    /// and never quote a credential. (The base URL's form is checked by
    /// [`Client::new`](crate::Client::new), which knows the transport's `http://` rule.)
    pub fn validate(&self) -> Result<(), Error> {
        let secrets = self.auth.secrets();
        for (name, value) in [
            (ENV_ACCOUNT_ID, self.account_id.as_str()),
            (ENV_BASE_URL, self.base_url.as_str()),
        ] {
            if holds_secret(value, &secrets) {
                return Err(Error::config(format!(
                    "{name} holds one of the configured credentials (pasted into the wrong \
                     variable?); its value is not shown"
                ))
                .with_vendor(VENDOR));
            }
        }
        check_id("account_id", &self.account_id, MAX_ACCOUNT_ID_CHARS)
            .map_err(|e| {
                let shown = quote_config_value(&self.account_id, &secrets);
                // The id check quotes the value; say only its length when it is not safe to.
                let message = if shown == format!("{:?}", printable(&self.account_id)) {
                    format!("{ENV_ACCOUNT_ID}: {}", e.message())
                } else {
                    format!(
                        "{ENV_ACCOUNT_ID} {shown} is not an account id (at most \
                         {MAX_ACCOUNT_ID_CHARS} characters, no whitespace or punctuation)"
                    )
                };
                Error::config(message)
            })
            .and_then(|()| self.auth.validate())
            .map_err(|e| e.with_vendor(VENDOR))
    }

    /// Reads the settings from the process environment; see [`Config::from_lookup`].
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|key| std::env::var(key).ok())
    }
}

// CORE-CANDIDATE: every vendor refuses a credential pasted into a non-secret variable.
/// Whether `value` contains one of `secrets` (credentials shorter than 8 characters are not
/// looked for: they would match ordinary text).
fn holds_secret(value: &str, secrets: &[&Secret]) -> bool {
    secrets.iter().any(|secret| {
        let secret = secret.expose().trim();
        secret.len() >= 8 && value.contains(secret)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use idp_core::ErrorKind;

    #[test]
    fn account_id_rules() {
        let auth = Auth::api_token("t");
        assert!(Config::new("a".repeat(32), auth.clone()).validate().is_ok());
        for bad in ["", ".", "..", "a\nb", "a b", "a,b", &"a".repeat(33)] {
            let err = Config::new(bad, auth.clone()).validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
            assert_eq!(err.vendor(), VENDOR);
            assert!(err.message().contains("account_id"), "{err}");
            assert!(err.message().contains(ENV_ACCOUNT_ID), "{err}");
        }
    }

    #[test]
    fn credentials_must_fit_in_a_header() {
        for auth in [
            Auth::api_token(""),
            Auth::api_token("tok\nen"),
            Auth::global("", "key"),
            Auth::global("a@b.c", ""),
            Auth::global("a@b.c", "k\r\ney"),
        ] {
            let err = Config::new("acc", auth).validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
        }
    }

    #[test]
    fn variables_table_lists_every_variable_read() {
        let names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        assert_eq!(
            names,
            [
                ENV_API_TOKEN,
                ENV_EMAIL,
                ENV_API_KEY,
                ENV_ACCOUNT_ID,
                ENV_BASE_URL
            ]
        );
        let secrets: Vec<&str> = VARIABLES
            .iter()
            .filter(|v| v.secret)
            .map(|v| v.name)
            .collect();
        assert_eq!(secrets, [ENV_API_TOKEN, ENV_API_KEY]);
        assert!(
            VARIABLES
                .iter()
                .filter(|v| v.secret)
                .all(|v| v.flag.is_none())
        );
    }
}
