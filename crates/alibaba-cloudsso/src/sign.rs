//! The RPC-style request signature of Alibaba Cloud APIs ("signature method V2":
//! `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`).
//!
//! 1. Every parameter but `Signature` is sorted by name and written `enc(name)=enc(value)`,
//!    joined with `&` (the *canonicalized query*). `enc` is RFC 3986 percent-encoding of the
//!    UTF-8 bytes: only `A-Z a-z 0-9 - _ . ~` stay as they are; a space is `%20`, `*` is
//!    `%2A`, and hex digits are upper case.
//! 2. `StringToSign = METHOD & enc("/") & enc(canonicalized query)`.
//! 3. `Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.
//!
//! These functions are public so that benchmarks and the idp simulator can sign and check
//! requests exactly as the client does.
//!
//! ```
//! use idp_alibaba_cloudsso::sign::sign_rpc;
//!
//! // Alibaba's documented example.
//! let params = [
//!     ("AccessKeyId", "testid"),
//!     ("Action", "DescribeRegions"),
//!     ("Format", "XML"),
//!     ("SignatureMethod", "HMAC-SHA1"),
//!     ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
//!     ("SignatureVersion", "1.0"),
//!     ("Timestamp", "2016-02-23T12:46:24Z"),
//!     ("Version", "2014-05-26"),
//! ];
//! assert_eq!(sign_rpc("GET", &params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;

/// The name of the parameter that carries the signature (never part of what is signed).
pub const SIGNATURE: &str = "Signature";

/// Everything except the RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `value` the way the signature needs it (RFC 3986, upper-case hex, space as
/// `%20`, `*` as `%2A`, `~` kept).
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, RFC3986).collect()
}

/// The canonicalized query: every parameter except `Signature`, sorted by name (byte order of
/// the UTF-8 name, which is Unicode code-point order), each written `enc(name)=enc(value)`,
/// joined with `&`.
///
/// The same string, followed by `&Signature=enc(signature)`, is a valid
/// `application/x-www-form-urlencoded` body or URL query for the request.
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != SIGNATURE)
        .collect();
    // Stable: parameters repeated under one name keep the caller's order.
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    // Encoded straight into one buffer (sized for a little encoding), not one string per
    // parameter: this runs for every request, and an STS token alone is hundreds of bytes.
    let raw_len: usize = sorted.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(raw_len + raw_len / 4);
    for (i, (name, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(name, RFC3986));
        out.push('=');
        out.extend(utf8_percent_encode(value, RFC3986));
    }
    out
}

/// `METHOD & enc("/") & enc(canonical_query)`: the text the HMAC is computed over.
/// `method` is the HTTP method in upper case (`GET`, `POST`).
pub fn string_to_sign(method: &str, canonical_query: &str) -> String {
    let mut out = String::with_capacity(method.len() + 5 + canonical_query.len() * 5 / 4);
    for piece in string_to_sign_pieces(method, canonical_query) {
        out.push_str(piece);
    }
    out
}

/// The pieces that [`string_to_sign`] concatenates, so the HMAC can be fed without building
/// the (long) string.
fn string_to_sign_pieces<'a>(
    method: &'a str,
    canonical_query: &'a str,
) -> impl Iterator<Item = &'a str> {
    [method, "&"]
        .into_iter()
        .chain(utf8_percent_encode("/", RFC3986))
        .chain(std::iter::once("&"))
        .chain(utf8_percent_encode(canonical_query, RFC3986))
}

/// Signs `params` (any `Signature` entry among them is ignored) for an HTTP `method` request
/// with `access_key_secret`, returning the base64 `Signature` value.
///
/// The HMAC key is the secret followed by `&`, as Alibaba specifies.
pub fn sign_rpc<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    params: &[(K, V)],
    access_key_secret: &str,
) -> String {
    sign_canonical(method, &canonical_query(params), access_key_secret)
}

/// [`sign_rpc`] over a query already canonicalized by [`canonical_query`], for a caller that
/// also sends that query (as the body or URL query) and so computes it once.
pub fn sign_canonical(method: &str, canonical_query: &str, access_key_secret: &str) -> String {
    let mut mac = keyed(access_key_secret);
    for piece in string_to_sign_pieces(method, canonical_query) {
        mac.update(piece.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// Checks the `Signature` among `params` against the other parameters, as the server does.
/// `false` when there is no `Signature`, it is not base64, or it does not match. The
/// comparison is constant-time.
pub fn verify_rpc<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    params: &[(K, V)],
    access_key_secret: &str,
) -> bool {
    let Some(given) = params
        .iter()
        .find(|(k, _)| k.as_ref() == SIGNATURE)
        .and_then(|(_, v)| BASE64.decode(v.as_ref()).ok())
    else {
        return false;
    };
    let text = string_to_sign(method, &canonical_query(params));
    mac(access_key_secret, &text).verify_slice(&given).is_ok()
}

/// A `Timestamp` parameter value: UTC, `yyyy-MM-ddTHH:mm:ssZ`.
///
/// A clock before 1970 or after 9999 is clamped to that range rather than panicking; the server
/// then refuses the timestamp (`InvalidTimeStamp.*`), which says to check the clock.
pub fn timestamp(at: SystemTime) -> String {
    // 9999-12-31T23:59:59Z, the last second the format can show.
    const LAST: Duration = Duration::from_secs(253_402_300_799);
    let since_epoch = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .min(LAST);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + since_epoch).to_string()
}

/// HMAC-SHA1 keyed with the secret followed by `&`.
fn keyed(access_key_secret: &str) -> Hmac<Sha1> {
    let key = format!("{access_key_secret}&");
    // HMAC accepts keys of any length; this cannot fail.
    <Hmac<Sha1> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

fn mac(access_key_secret: &str, text: &str) -> Hmac<Sha1> {
    let mut mac = keyed(access_key_secret);
    mac.update(text.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: [(&str, &str); 8] = [
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ];

    #[test]
    fn documented_vector() {
        assert_eq!(
            sign_rpc("GET", &VECTOR, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn documented_vector_in_any_order_and_ignoring_a_signature() {
        let mut params: Vec<(&str, &str)> = VECTOR.iter().rev().copied().collect();
        params.insert(3, (SIGNATURE, "whatever"));
        assert_eq!(
            sign_rpc("GET", &params, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn key_without_the_ampersand_is_wrong() {
        let text = string_to_sign("GET", &canonical_query(&VECTOR));
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(b"testsecret")
            .unwrap_or_else(|_| unreachable!());
        mac.update(text.as_bytes());
        let without = BASE64.encode(mac.finalize().into_bytes());
        assert_eq!(without, "R8VkbeU3DqhHmAVCdxW/CjqsRK0=");
        assert_ne!(without, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        // And a secret that already ends in `&` is not special-cased.
        assert_ne!(
            sign_rpc("GET", &VECTOR, "testsecret&"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn method_is_signed() {
        assert_ne!(
            sign_rpc("POST", &VECTOR, "testsecret"),
            sign_rpc("GET", &VECTOR, "testsecret")
        );
    }

    #[test]
    fn verify_accepts_own_signature_only() {
        let sig = sign_rpc("POST", &VECTOR, "s3cret");
        let mut params: Vec<(&str, &str)> = VECTOR.to_vec();
        params.push((SIGNATURE, &sig));
        assert!(verify_rpc("POST", &params, "s3cret"));
        assert!(!verify_rpc("GET", &params, "s3cret"));
        assert!(!verify_rpc("POST", &params, "other"));
        params[0].1 = "tampered";
        assert!(!verify_rpc("POST", &params, "s3cret"));
        assert!(!verify_rpc("POST", &VECTOR, "s3cret"));
        assert!(!verify_rpc("POST", &[(SIGNATURE, "%%%")], "s3cret"));
    }

    #[test]
    fn signing_a_canonical_query_is_signing_its_parameters() {
        let query = canonical_query(&VECTOR);
        assert_eq!(
            sign_canonical("GET", &query, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
        assert_eq!(
            string_to_sign("GET", &query),
            format!("GET&%2F&{}", utf8_percent_encode(&query, RFC3986))
        );
    }

    #[test]
    fn encoding_is_rfc3986() {
        assert_eq!(percent_encode("a b*c~d"), "a%20b%2Ac~d");
        assert_eq!(percent_encode("A-Z_a.z09"), "A-Z_a.z09");
        assert_eq!(percent_encode("&=+/%"), "%26%3D%2B%2F%25");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("😀"), "%F0%9F%98%80");
    }

    #[test]
    fn canonical_query_sorts_by_name_and_encodes() {
        let params = [("b", "x y"), ("a", "1&2"), ("A", "=")];
        assert_eq!(canonical_query(&params), "A=%3D&a=1%262&b=x%20y");
        assert_eq!(canonical_query::<&str, &str>(&[]), "");
    }

    #[test]
    fn timestamp_format() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_456_231_584);
        assert_eq!(timestamp(at), "2016-02-23T12:46:24Z");
        assert_eq!(
            timestamp(at + Duration::from_millis(999)),
            "2016-02-23T12:46:24Z"
        );
        assert_eq!(
            timestamp(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(300_000_000_000)),
            "9999-12-31T23:59:59Z"
        );
    }
}
