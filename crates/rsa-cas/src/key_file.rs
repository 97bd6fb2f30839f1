//! The admin API key file downloaded from the Cloud Administration Console.

use std::fmt;
use std::path::Path;

use idp_core::{Error, Secret, quote_config_value, url::Url};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Value};

use crate::VENDOR;

/// PEM body lines shorter than this are not looked for in other values (they would match
/// ordinary text; real lines are 64 characters).
const MIN_KEY_LINE_CHARS: usize = 32;

/// An RSA SecurID Cloud Access Service **admin API key file**: the JSON document the Cloud
/// Administration Console lets a Super Administrator download (`customerName`, `accessID`,
/// `description`, `accessKey`, `adminRestApiUrl`).
///
/// Loading checks everything a request will need, so a bad file is a
/// [`ErrorKind::Config`](idp_core::ErrorKind::Config) error that says which problem it has
/// (not JSON, a missing or empty field, an `accessKey` that is not an RSA private key, an
/// `adminRestApiUrl` that is not a URL or holds key material) before any request is sent.
///
/// The private key (`accessKey`) is kept in a [`Secret`] and never printed: `Debug` shows the
/// other fields only, and no error quotes a value that is long, holds a PEM marker or a part
/// of the key.
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
        // The path is quoted only when short and plain: `RSA_CAS_KEY_FILE="$(cat key.json)"`
        // would otherwise print the private key.
        let shown = quote_config_value(&path.display().to_string(), &[]);
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::config(format!("could not read the key file {shown}: {e}"))
                .with_source(e)
                .with_vendor(VENDOR)
        })?;
        // The path in front of the problem, so a tool juggling several files says which.
        KeyFile::from_json(&text)
            .map_err(|e| Error::config(format!("{shown}: {}", e.message())).with_vendor(VENDOR))
    }

    /// Parses and checks a key file's JSON text (for keys kept in a vault rather than a file).
    pub fn from_json(json: &str) -> Result<KeyFile, Error> {
        KeyFile::parse(json).map_err(|e| e.with_vendor(VENDOR))
    }

    fn parse(json: &str) -> Result<KeyFile, Error> {
        // Through `Value` rather than a derived struct, so every message names the field and
        // no message quotes a field's value (one of them is a private key).
        let value: Value = serde_json::from_str(json).map_err(|e| {
            // serde_json's syntax errors give a position, never the text around it.
            Error::config(format!("the key file is not JSON ({e})"))
        })?;
        let Value::Object(fields) = value else {
            return Err(Error::config(
                "the key file is JSON but not an object: expected {\"accessID\", \"accessKey\", \
                 \"adminRestApiUrl\", …}",
            ));
        };

        let access_id = required(&fields, "accessID")?;
        let access_key = Secret::new(required(&fields, "accessKey")?);
        let admin_rest_api_url = required(&fields, "adminRestApiUrl")?;
        let customer_name = optional(&fields, "customerName")?;
        let description = optional(&fields, "description")?;

        // Both go on the wire in every JWT (`sub`, `aud`): a key pasted there would be sent.
        for (name, value) in [
            ("accessID", &access_id),
            ("adminRestApiUrl", &admin_rest_api_url),
        ] {
            if holds_key_material(value, &access_key) {
                return Err(Error::config(format!(
                    "the key file's {name} holds key material (a PEM or a part of accessKey): \
                     fix the file (the value is not shown)"
                )));
            }
        }
        Url::parse(admin_rest_api_url.trim()).map_err(|e| {
            Error::config(format!(
                "the key file's adminRestApiUrl {} is not a URL: {e}",
                quote_config_value(&admin_rest_api_url, &[&access_key])
            ))
        })?;
        let signing_key = signing_key(access_key.expose())?;

        Ok(KeyFile {
            customer_name,
            access_id,
            description,
            access_key,
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

    /// Whether `value` (a URL from somewhere else) holds a PEM marker or a part of this
    /// file's private key.
    pub(crate) fn holds_key_material(&self, value: &str) -> bool {
        holds_key_material(value, &self.access_key)
    }
}

fn holds_key_material(value: &str, key: &Secret) -> bool {
    value.contains("-----BEGIN")
        || value.contains("PRIVATE KEY")
        || key
            .expose()
            .lines()
            .map(str::trim)
            .filter(|line| line.len() >= MIN_KEY_LINE_CHARS && !line.starts_with("-----"))
            .any(|line| value.contains(line))
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
        None if fields.contains_key(name) => Err(Error::config(format!(
            "the key file's {name:?} field is empty"
        ))),
        None => Err(Error::config(format!("the key file has no {name:?} field"))),
    }
}

/// A string field: `None` when absent, `null` or blank; an error when of another type.
fn optional(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::config(format!(
            "the key file's {name:?} field must be a string, not {}",
            json_type(other)
        ))),
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
        return Err(Error::config(format!(
            "{NOT_RSA}: it is not PEM (expected -----BEGIN RSA PRIVATE KEY-----)"
        )));
    }
    if trimmed.contains("PUBLIC KEY-----") || trimmed.contains("CERTIFICATE-----") {
        return Err(Error::config(format!(
            "{NOT_RSA}: it is a public key or certificate, not the private key"
        )));
    }
    let key = EncodingKey::from_rsa_pem(trimmed.as_bytes()).map_err(|e| {
        Error::config(format!("{NOT_RSA}: the PEM does not hold an RSA key ({e})")).with_source(e)
    })?;
    jsonwebtoken::crypto::sign(b"idp-rsa-cas key check", &key, Algorithm::RS256).map_err(|e| {
        Error::config(format!("{NOT_RSA}: it cannot sign with RS256 ({e})")).with_source(e)
    })?;
    Ok(key)
}
