//! The secret type every credential lives in.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A credential (token, key, password, private key). Its `Debug` and `Display` print
/// `[REDACTED]`, never the value; the value is wiped from memory when dropped (by `secrecy`).
///
/// Read it only where it is sent to its own vendor, with [`Secret::expose`].
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The credential itself. Call this only to put it on the wire to its vendor or into a
    /// signature, never to print or log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the credential is the empty string (a misconfiguration).
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// Reads a credential from an environment variable; `None` when unset or not UTF-8.
    pub fn from_env(variable: &str) -> Option<Secret> {
        std::env::var(variable).ok().map(Secret::new)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let secret = Secret::new("hunter2-canary");
        assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
        assert_eq!(format!("{secret}"), "[REDACTED]");
        assert_eq!(format!("{secret:#?}"), "Secret([REDACTED])");
        assert_eq!(secret.expose(), "hunter2-canary");
    }
}
