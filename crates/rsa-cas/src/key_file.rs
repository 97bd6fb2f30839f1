//! The admin API key file downloaded from the Cloud Administration Console.

use std::fmt;
use std::path::Path;

use idp_core::{Error, Secret, url::Url};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Value};

use crate::VENDOR;

/// An RSA SecurID Cloud Access Service **admin API key file**: the JSON document the Cloud
/// Administration Console lets a Super Administrator download (`customerName`, `accessID`,
/// `description`, `accessKey`, `adminRestApiUrl`).
///
/// Loading checks everything a request will need, so a bad file is a
/// [`ErrorKind::Config`](idp_core::ErrorKind::Config) error that says which problem it has
/// (not JSON, a missing or empty field, an `accessKey` that is not an RSA private key, an
/// `adminRestApiUrl` that is not a URL) before any request is sent.
///
/// The private key (`accessKey`) is kept in a [`Secret`] and never printed: `Debug` shows the
/// other fields only.
#[derive(Clone)]
pub struct KeyFile {
    customer_name: Option<String>,
    access_id: String,
    description: Option<String>,
    access_key: Secret,
    admin_rest_api_url: String,
    // Parsed once from `access_key`; signs every JWT of every client made from this file.
    signing_key: EncodingKey,
}

impl KeyFile {
    /// Reads and checks the key file at `path`.
    pub fn from_path(path: impl AsRef<Path>) -> Result<KeyFile, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::config(
                VENDOR,
                format!("could not read the key file {}: {e}", path.display()),
            )
            .with_source(e)
        })?;
        // The path in front of the problem, so a tool juggling several files says which.
        KeyFile::from_json(&text)
            .map_err(|e| Error::config(VENDOR, format!("{}: {}", path.display(), e.message())))
    }

    /// Parses and checks a key file's JSON text (for keys kept in a vault rather than a file).
    pub fn from_json(json: &str) -> Result<KeyFile, Error> {
        // Through `Value` rather than a derived struct, so every message names the field and
        // no message quotes a field's value (one of them is a private key).
        let value: Value = serde_json::from_str(json).map_err(|e| {
            // serde_json's syntax errors give a position, never the text around it.
            Error::config(VENDOR, format!("the key file is not JSON ({e})"))
        })?;
        let Value::Object(fields) = value else {
            return Err(Error::config(
                VENDOR,
                "the key file is JSON but not an object: expected {\"accessID\", \"accessKey\", \
                 \"adminRestApiUrl\", …}",
            ));
        };

        let access_id = required(&fields, "accessID")?;
        let access_key = required(&fields, "accessKey")?;
        let admin_rest_api_url = required(&fields, "adminRestApiUrl")?;
        let customer_name = optional(&fields, "customerName")?;
        let description = optional(&fields, "description")?;

        Url::parse(admin_rest_api_url.trim()).map_err(|e| {
            Error::config(
                VENDOR,
                format!("adminRestApiUrl {admin_rest_api_url:?} is not a URL: {e}"),
            )
        })?;
        let signing_key = signing_key(&access_key)?;

        Ok(KeyFile {
            customer_name,
            access_id,
            description,
            access_key: Secret::new(access_key),
            admin_rest_api_url,
            signing_key,
        })
    }

    /// `customerName`, when the file has it.
    pub fn customer_name(&self) -> Option<&str> {
        self.customer_name.as_deref()
    }

    /// `accessID`: the key's id, sent as the JWT's `sub` claim.
    pub fn access_id(&self) -> &str {
        &self.access_id
    }

    /// `description`, when the file has it.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `accessKey`: the PEM RSA private key that signs the JWTs.
    pub fn access_key(&self) -> &Secret {
        &self.access_key
    }

    /// `adminRestApiUrl` exactly as the file has it: the JWT's `aud` claim, and the base of
    /// request URLs unless [`Config::with_base_url`](crate::Config::with_base_url) overrides
    /// it.
    pub fn admin_rest_api_url(&self) -> &str {
        &self.admin_rest_api_url
    }

    pub(crate) fn signing_key(&self) -> &EncodingKey {
        &self.signing_key
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("customer_name", &self.customer_name)
            .field("access_id", &self.access_id)
            .field("description", &self.description)
            .field("access_key", &self.access_key)
            .field("admin_rest_api_url", &self.admin_rest_api_url)
            .finish_non_exhaustive()
    }
}

fn required(fields: &Map<String, Value>, name: &str) -> Result<String, Error> {
    match optional(fields, name)? {
        Some(value) => Ok(value),
        None if fields.contains_key(name) => Err(Error::config(
            VENDOR,
            format!("the key file's {name:?} field is empty"),
        )),
        None => Err(Error::config(
            VENDOR,
            format!("the key file has no {name:?} field"),
        )),
    }
}

/// A string field: `None` when absent, `null` or blank; an error when of another type.
fn optional(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::config(
            VENDOR,
            format!(
                "the key file's {name:?} field must be a string, not {}",
                json_type(other)
            ),
        )),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses `accessKey` and proves it can sign: `jsonwebtoken` accepts an RSA *public* key PEM
/// here too, and only signing tells a usable private key from a public or corrupt one.
fn signing_key(pem: &str) -> Result<EncodingKey, Error> {
    const NOT_RSA: &str = "the key file's accessKey is not an RSA private key";
    let trimmed = pem.trim();
    if !trimmed.starts_with("-----BEGIN ") {
        return Err(Error::config(
            VENDOR,
            format!("{NOT_RSA}: it is not PEM (expected -----BEGIN RSA PRIVATE KEY-----)"),
        ));
    }
    if trimmed.contains("PUBLIC KEY-----") || trimmed.contains("CERTIFICATE-----") {
        return Err(Error::config(
            VENDOR,
            format!("{NOT_RSA}: it is a public key or certificate, not the private key"),
        ));
    }
    let key = EncodingKey::from_rsa_pem(trimmed.as_bytes()).map_err(|e| {
        Error::config(
            VENDOR,
            format!("{NOT_RSA}: the PEM does not hold an RSA key ({e})"),
        )
        .with_source(e)
    })?;
    jsonwebtoken::crypto::sign(b"idp-rsa-cas key check", &key, Algorithm::RS256).map_err(|e| {
        Error::config(
            VENDOR,
            format!("{NOT_RSA}: it cannot sign with RS256 ({e})"),
        )
        .with_source(e)
    })?;
    Ok(key)
}
