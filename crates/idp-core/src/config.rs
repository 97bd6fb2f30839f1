//! Reading configuration the same way in every vendor crate: the table of variables a vendor
//! reads, typed overrides for the non-secret ones, one trimming rule, and error messages that
//! never quote a secret.

use std::path::PathBuf;

use crate::error::Error;
use crate::secret::Secret;

/// One configuration variable of a vendor crate, as its `VARIABLES` table lists it. The CLI's
/// help text and its flag checks are built from these tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Variable {
    /// The environment variable (`"CLOUDFLARE_API_TOKEN"`).
    pub name: &'static str,
    /// Whether it holds a credential: never taken from a flag, never printed.
    pub secret: bool,
    /// Whether the vendor cannot work without it (alternatives, such as a token *or* a key,
    /// are not required individually).
    pub required: bool,
    /// The command-line flag that overrides it, if any (`"--account-id"`).
    pub flag: Option<&'static str>,
    /// One line of help.
    pub help: &'static str,
}

impl Variable {
    /// A variable entry.
    pub const fn new(
        name: &'static str,
        secret: bool,
        required: bool,
        flag: Option<&'static str>,
        help: &'static str,
    ) -> Variable {
        Variable {
            name,
            secret,
            required,
            flag,
            help,
        }
    }

    /// The same variable, holding a credential.
    pub const fn secret(self) -> Variable {
        Variable {
            secret: true,
            ..self
        }
    }

    /// The same variable, required.
    pub const fn required(self) -> Variable {
        Variable {
            required: true,
            ..self
        }
    }

    /// The same variable, overridden by the command-line flag `flag`.
    pub const fn flag(self, flag: &'static str) -> Variable {
        Variable {
            flag: Some(flag),
            ..self
        }
    }
}

/// Declares a vendor crate's configuration variables once: a documented `pub const` with each
/// variable's name, and `pub const VARIABLES: &[Variable]`, the table of them all in the order
/// given, that the CLI builds its help text and flag checks from. Inner doc comments (`//!`)
/// at the top document the table.
///
/// Each entry is `CONSTANT = "NAME" (properties): "help";`, where the properties (optional)
/// are any of `secret`, `required` and `flag = "--flag"`.
///
/// ```
/// idp_core::variables! {
///     //! Every variable this crate reads.
///
///     /// The API token.
///     ENV_TOKEN = "EXAMPLE_TOKEN" (secret, required): "the API token";
///     /// The API base URL (optional).
///     ENV_BASE_URL = "EXAMPLE_BASE_URL" (flag = "--base-url"): "the API base URL";
///     /// How verbose to be (optional).
///     ENV_VERBOSITY = "EXAMPLE_VERBOSITY": "quiet or loud";
/// }
///
/// assert_eq!(ENV_TOKEN, "EXAMPLE_TOKEN");
/// assert_eq!(VARIABLES.len(), 3);
/// assert!(VARIABLES[0].secret && VARIABLES[0].required);
/// assert_eq!(VARIABLES[1].flag, Some("--base-url"));
/// assert!(!VARIABLES[2].secret && !VARIABLES[2].required && VARIABLES[2].flag.is_none());
/// ```
#[macro_export]
macro_rules! variables {
    (
        $(#![$table_meta:meta])*
        $(
            $(#[$meta:meta])*
            $constant:ident = $name:literal
                $(($($property:ident $(= $value:expr)?),+ $(,)?))?
                : $help:expr;
        )+
    ) => {
        $(
            $(#[$meta])*
            pub const $constant: &str = $name;
        )+

        $(#[$table_meta])*
        pub const VARIABLES: &[$crate::Variable] = &[$(
            $crate::Variable::new($constant, false, false, None, $help)
                $($(.$property($($value)?))+)?
        ),+];
    };
}

/// Typed values that take precedence over the environment (the CLI's flags). Each vendor uses
/// the fields its [`Variable`] table gives a flag for and ignores the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Overrides {
    /// The API base URL (`--base-url`).
    pub base_url: Option<String>,
    /// Cloudflare's account id (`--account-id`).
    pub account_id: Option<String>,
    /// RSA's admin API key file (`--key-file`).
    pub key_file: Option<PathBuf>,
    /// Alibaba's CloudSSO directory id (`--directory-id`).
    pub directory_id: Option<String>,
    /// Alibaba's region (`--region`).
    pub region: Option<String>,
    /// Alibaba's full endpoint URL (`--endpoint`).
    pub endpoint: Option<String>,
    /// Alibaba's signature version, `v3` or `v2` (`--signature-version`).
    pub signature_version: Option<String>,
}

impl Overrides {
    /// No overrides.
    pub fn none() -> Self {
        Overrides::default()
    }
}

/// The value of `name` through `lookup` (the process environment, or a test's map), trimmed.
/// A blank value (empty or only whitespace) counts as unset: an exported-but-empty variable is
/// a misconfiguration, never a credential or an id. Every vendor reads every variable, secrets
/// and usernames included, through this one rule (a password with a trailing newline from
/// `$(cat file)` would otherwise fail its login and count toward a lockout).
pub fn lookup_var<F>(lookup: &F, name: &str) -> Option<String>
where
    F: Fn(&str) -> Option<String> + ?Sized,
{
    lookup(name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Like [`lookup_var`], but an unset variable is an [`ErrorKind::Config`](crate::ErrorKind)
/// error that names it.
pub fn require_var<F>(lookup: &F, name: &str) -> Result<String, Error>
where
    F: Fn(&str) -> Option<String> + ?Sized,
{
    lookup_var(lookup, name).ok_or_else(|| missing_var(name))
}

/// A secret variable, read by the same rule as [`lookup_var`].
pub fn secret_var<F>(lookup: &F, name: &str) -> Option<Secret>
where
    F: Fn(&str) -> Option<String> + ?Sized,
{
    lookup_var(lookup, name).map(Secret::new)
}

/// The [`ErrorKind::Config`](crate::ErrorKind) error for a variable that is not set.
pub fn missing_var(name: &str) -> Error {
    Error::config(format!("environment variable {name} is not set"))
}

/// A configuration value as an error message may show it: quoted when it is short and plain;
/// otherwise only its length, when it is longer than 64 characters, holds a PEM marker
/// (`-----BEGIN`) or contains one of `secrets` (a credential pasted into the wrong variable).
pub fn quote_config_value(value: &str, secrets: &[&Secret]) -> String {
    let chars = value.chars().count();
    let risky = chars > crate::text::MAX_QUOTE_CHARS
        || value.contains("-----BEGIN")
        || value.contains("PRIVATE KEY")
        || secrets.iter().any(|secret| {
            let secret = secret.expose().trim();
            !secret.is_empty()
                && (value.contains(secret)
                    || (value.trim().len() >= 8 && secret.contains(value.trim())))
        });
    if risky {
        format!("(a value of {chars} characters, not shown)")
    } else {
        format!("{:?}", crate::text::printable(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn values_are_trimmed_and_blank_is_unset() {
        let lookup = |name: &str| match name {
            "SET" => Some(" value \n".to_owned()),
            "BLANK" => Some(" \t".to_owned()),
            _ => None,
        };
        assert_eq!(lookup_var(&lookup, "SET").as_deref(), Some("value"));
        assert_eq!(
            secret_var(&lookup, "SET").map(|s| s.expose().to_owned()),
            Some("value".to_owned())
        );
        assert_eq!(lookup_var(&lookup, "BLANK"), None);
        let err = require_var(&lookup, "BLANK").err();
        assert_eq!(err.as_ref().map(Error::kind), Some(ErrorKind::Config));
        assert!(err.is_some_and(|e| e.message().contains("BLANK")));
    }

    #[test]
    fn risky_values_are_never_quoted() {
        let secret = Secret::new("s3cr3t-canary-value");
        assert_eq!(
            quote_config_value("cn-shanghai", &[&secret]),
            "\"cn-shanghai\""
        );
        for risky in [
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
            "s3cr3t-canary-value",
            "https://x/s3cr3t-canary-value",
            &"x".repeat(65),
        ] {
            let shown = quote_config_value(risky, &[&secret]);
            assert!(shown.contains("not shown"), "{shown}");
            assert!(
                !shown.contains("canary") && !shown.contains("BEGIN"),
                "{shown}"
            );
        }
    }
}
