//! A throw-away RSA key, generated when a benchmark starts (no private key is ever committed),
//! and the RSA admin API key file made from it.

use std::path::{Path, PathBuf};

use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};

use crate::fixtures::{RSA_ACCESS_ID, RSA_ADMIN_API_URL};

/// A new 2048-bit RSA private key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), the form
/// RSA's key files hold.
pub fn generate_rsa_pem() -> Result<String, String> {
    let mut rng = rsa::rand_core::OsRng;
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| format!("RSA key generation failed: {e}"))?;
    key.to_pkcs1_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| format!("PEM encoding failed: {e}"))
}

/// The key file's JSON for `pem`, as RSA's console makes it.
pub fn key_file_json(pem: &str) -> String {
    serde_json::json!({
        "customerName": "idp benchmark",
        "accessID": RSA_ACCESS_ID,
        "description": "generated at benchmark start",
        "accessKey": pem,
        "adminRestApiUrl": RSA_ADMIN_API_URL,
    })
    .to_string()
}

/// Where the key file lives under a benchmark directory.
pub fn key_file_path(dir: &Path) -> PathBuf {
    dir.join("rsa-cas-key.json")
}

/// Generates a key and writes the key file under `dir`; returns its path.
pub fn write_key_file(dir: &Path) -> Result<PathBuf, String> {
    let path = key_file_path(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let json = key_file_json(&generate_rsa_pem()?);
    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// An RS256 JWT with the claims idp-rsa-cas sends, signed with `pem` (for the raw baseline,
/// which sends one token for the whole run, as the client does).
pub fn rsa_jwt(pem: &str, now_unix: u64) -> Result<String, String> {
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        sub: &'a str,
        aud: &'a str,
        iat: u64,
        exp: u64,
    }
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|e| format!("not an RSA key: {e}"))?;
    let claims = Claims {
        sub: RSA_ACCESS_ID,
        aud: RSA_ADMIN_API_URL,
        iat: now_unix,
        exp: now_unix + 55 * 60,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .map_err(|e| format!("JWT signing failed: {e}"))
}
