//! The bearer JWT every Cloud Administration API call carries: RS256, signed with the key
//! file's private key, checked here with its public key.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::request::Request;

/// The longest JWT lifetime accepted (`exp - iat`).
const MAX_LIFETIME_SECS: u64 = 3600;
/// Clock skew allowed on `iat` and `exp`.
const SKEW_SECS: u64 = 60;

/// What a token must say to be accepted.
pub(super) struct Expected<'a> {
    pub(super) key: &'a VerifyingKey<Sha256>,
    /// The key file's `accessID`: the `sub`.
    pub(super) access_id: &'a str,
    /// The key file's `adminRestApiUrl`, verbatim: the `aud`.
    pub(super) audience: &'a str,
}

/// The 403 RSA answers for a refused token, in the Spring shape its 403s have
/// (`{"timestamp","status","error","message","path"}`), the message naming the problem.
pub(super) fn forbidden(path: &str, why: &str) -> Answer {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    Answer::json(
        403,
        &json!({
            "timestamp": u64::try_from(timestamp).unwrap_or(u64::MAX),
            "status": 403,
            "error": "Forbidden",
            "message": format!("Not authorized to perform the request: {why}"),
            "path": path,
        }),
    )
}

fn decode_part(part: &str, what: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| format!("the JWT {what} is not unpadded base64url"))
}

fn decode_json(part: &str, what: &str) -> Result<serde_json::Map<String, Value>, String> {
    let bytes = decode_part(part, what)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!("the JWT {what} is not a JSON object")),
    }
}

/// Checks the bearer JWT; the error is the 403 answer.
pub(super) fn authenticate(request: &Request, expected: &Expected<'_>) -> Result<(), Answer> {
    check(request, expected).map_err(|why| forbidden(&request.path, &why))
}

fn check(request: &Request, expected: &Expected<'_>) -> Result<(), String> {
    if request.header_count("authorization") > 1 {
        return Err("more than one Authorization header".into());
    }
    let Some(value) = request.header("authorization") else {
        return Err("no Authorization header".into());
    };
    let Some(jwt) = value.strip_prefix("Bearer ") else {
        return Err("the Authorization header is not \"Bearer <JWT>\"".into());
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return Err("the bearer token is not a JWT (three parts)".into());
    };
    let header = decode_json(header, "header")?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err("the JWT header's alg is not RS256".into());
    }
    if let Some(typ) = header.get("typ")
        && typ.as_str() != Some("JWT")
    {
        return Err("the JWT header's typ is not JWT".into());
    }
    let signature = decode_part(signature, "signature")?;
    let signature = Signature::try_from(signature.as_slice())
        .map_err(|_| "the JWT signature is malformed".to_owned())?;
    let signed = &jwt[..jwt.len() - parts[2].len() - 1];
    expected
        .key
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| "the JWT signature does not verify with the key file's public key")?;

    let claims = decode_json(claims, "payload")?;
    if claims.get("sub").and_then(Value::as_str) != Some(expected.access_id) {
        return Err("the JWT sub is not the key file's accessID".into());
    }
    if claims.get("aud").and_then(Value::as_str) != Some(expected.audience) {
        return Err("the JWT aud is not the key file's adminRestApiUrl, verbatim".into());
    }
    let (Some(iat), Some(exp)) = (
        claims.get("iat").and_then(Value::as_u64),
        claims.get("exp").and_then(Value::as_u64),
    ) else {
        return Err("the JWT iat and exp must be integers (Unix seconds)".into());
    };
    if exp <= iat || exp - iat > MAX_LIFETIME_SECS {
        return Err("the JWT lifetime (exp - iat) must be at most 1 hour".into());
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if iat > now + SKEW_SECS {
        return Err("the JWT iat is in the future".into());
    }
    if exp + SKEW_SECS <= now {
        return Err("the JWT has expired".into());
    }
    Ok(())
}
