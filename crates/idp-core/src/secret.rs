//! The secret type every credential lives in.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A credential (token, key, password, private key). Its `Debug` prints `Secret([REDACTED])`
/// and it has no `Display`, so `format!("Bearer {token}")` does not compile: the value is read
/// only by an explicit [`Secret::expose`], where it is put on the wire to its own vendor or into
/// a signature. The value is wiped from memory when dropped (by `secrecy`).
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

    /// Whether the credential is empty or only whitespace (a misconfiguration).
    pub fn is_blank(&self) -> bool {
        self.expose().trim().is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let secret = Secret::new("hunter2-canary");
        assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
        assert_eq!(format!("{secret:#?}"), "Secret([REDACTED])");
        assert_eq!(secret.expose(), "hunter2-canary");
        assert!(Secret::new(" \n").is_blank());
    }
}
