//! A test-side verifier of Alibaba's RPC signature, written from the specification and
//! sharing no code with the crate's signer: its own RFC 3986 encoder (byte by byte), its own
//! decoder, its own sorting and string-to-sign.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use httpmock::HttpMockRequest;
use sha1::Sha1;

/// RFC 3986: keep `ALPHA / DIGIT / "-" / "." / "_" / "~"`, `%XX` (upper-case hex) for every
/// other byte of the UTF-8 encoding.
pub fn rfc3986(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_uppercase()
            || byte.is_ascii_lowercase()
            || byte.is_ascii_digit()
            || matches!(byte, b'-' | b'.' | b'_' | b'~');
        if unreserved {
            out.push(char::from(byte));
        } else {
            write!(out, "%{byte:02X}").unwrap();
        }
    }
    out
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
pub fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// Splits `a=b&c=d` into decoded pairs, in order.
pub fn parse_pairs(encoded: &str) -> Vec<(String, String)> {
    if encoded.is_empty() {
        return Vec::new();
    }
    encoded
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

/// The signature the specification gives for `params` (any `Signature` among them skipped).
pub fn expected_signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    let sorted: BTreeMap<&str, &str> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        sorted.len(),
        params.iter().filter(|(n, _)| n != "Signature").count(),
        "duplicate parameter names"
    );
    let canonical = sorted
        .iter()
        .map(|(name, value)| format!("{}={}", rfc3986(name), rfc3986(value)))
        .collect::<Vec<_>>()
        .join("&");
    let string_to_sign = format!("{method}&{}&{}", rfc3986("/"), rfc3986(&canonical));
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether the `Signature` among `params` is right for the others.
pub fn signature_ok(method: &str, params: &[(String, String)], secret: &str) -> bool {
    let Some(given) = value(params, "Signature") else {
        return false;
    };
    given == expected_signature(method, params, secret)
}

/// The value of `name`, if present exactly once.
pub fn value<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = params.iter().filter(|(n, _)| n == name);
    let first = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(first.1.as_str())
}

/// Every parameter a request carried: the URL query and a form body, merged.
pub fn request_params(req: &HttpMockRequest) -> Vec<(String, String)> {
    let mut params = parse_pairs(req.uri().query().unwrap_or(""));
    params.extend(parse_pairs(&req.body_string()));
    params
}

/// Whether the request is correctly signed with `secret`, as the server checks it.
pub fn request_signed(req: &HttpMockRequest, secret: &str) -> bool {
    signature_ok(req.method().as_str(), &request_params(req), secret)
}
