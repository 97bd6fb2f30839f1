//! The HMAC-SHA1 RPC signature, "signature method V2" to Alibaba (`SignatureMethod=HMAC-SHA1`,
//! `SignatureVersion=1.0`), kept as an option (`ALIBABA_CLOUD_SIGNATURE_VERSION=v2`):
//!
//! 1. Every parameter, the common ones included, but `Signature` goes into the canonical query
//!    ([`canonical_query`]).
//! 2. `StringToSign = METHOD & enc("/") & enc(canonical query)`.
//! 3. `Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::utf8_percent_encode;
use sha1::Sha1;

use super::{RFC3986, canonical_query};

/// The name of the parameter that carries the signature (never part of what is signed).
pub(crate) const SIGNATURE: &str = "Signature";

/// Signs `params` (a `Signature` entry among them is ignored) for an HTTP `method` request,
/// returning the base64 `Signature` value.
pub(crate) fn sign_rpc<K: AsRef<str>, V: AsRef<str>>(
    method: &str,
    params: &[(K, V)],
    access_key_secret: &str,
) -> String {
    let unsigned: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != SIGNATURE)
        .collect();
    sign_canonical(method, &canonical_query(&unsigned), access_key_secret)
}

/// [`sign_rpc`] over a query already canonicalised, for a caller that also sends that query
/// (as the URL query or a form body) and so computes it once.
pub(crate) fn sign_canonical(
    method: &str,
    canonical_query: &str,
    access_key_secret: &str,
) -> String {
    // The HMAC key is the secret followed by `&`, as Alibaba specifies; HMAC takes keys of
    // any length, so this cannot fail.
    let key = format!("{access_key_secret}&");
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for piece in string_to_sign_pieces(method, canonical_query) {
        mac.update(piece.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// The pieces of the string to sign, fed to the HMAC without building the (long) string.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Alibaba's documented example (`VENDOR_NOTES.md`).
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

    fn string_to_sign(method: &str, query: &str) -> String {
        string_to_sign_pieces(method, query).collect()
    }

    #[test]
    fn documented_vector() {
        assert_eq!(
            sign_rpc("GET", &VECTOR, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    /// Vector C of the offboarding notes (Alibaba's RPC-V2 example as third-party suites carry
    /// it).
    #[test]
    fn describe_dedicated_hosts_vector() {
        let params = [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeDedicatedHosts"),
            ("Format", "JSON"),
            ("RegionId", "cn-beijing"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2023-03-13T08:34:30Z"),
            ("Version", "2014-05-26"),
        ];
        assert_eq!(
            sign_rpc("GET", &params, "testsecret"),
            "9NaGiOspFP5UPcwX8Iwt2YJXXuk="
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
        // And a secret that already ends in `&` is not special-cased.
        assert_ne!(
            sign_rpc("GET", &VECTOR, "testsecret&"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn method_is_signed_and_the_string_to_sign_is_as_specified() {
        assert_ne!(
            sign_rpc("POST", &VECTOR, "testsecret"),
            sign_rpc("GET", &VECTOR, "testsecret")
        );
        let query = canonical_query(&VECTOR);
        assert_eq!(
            string_to_sign("GET", &query),
            format!("GET&%2F&{}", super::super::percent_encode(&query))
        );
    }
}
