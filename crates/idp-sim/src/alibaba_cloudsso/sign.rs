//! The simulator's own implementation of Alibaba's two request signatures, written from the
//! specification (the offboarding notes) and sharing no code with the client crate it checks:
//! its own RFC 3986 encoder, sorting, string to sign (V2) and canonical request (V3). Only the
//! hash and MAC primitives are RustCrypto's.
//!
//! - V2 (HMAC-SHA1, `SignatureVersion=1.0`): `base64(HMAC-SHA1(secret + "&", METHOD & enc("/")
//!   & enc(sorted query)))`.
//! - V3 (`ACS3-HMAC-SHA256`): `hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" +
//!   hex(SHA-256(canonical request))))`, the canonical request being method, URI, sorted query,
//!   the `host`, `content-type` and `x-acs-*` headers, their names, and the payload hash.

use std::fmt::Write as _;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The V3 algorithm, first word of `Authorization` and of the string to sign.
pub(super) const ACS3: &str = "ACS3-HMAC-SHA256";

/// RFC 3986 percent-encoding: only `A-Z a-z 0-9 - _ . ~` stay; hex digits upper case.
pub(super) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `enc(name)=enc(value)` joined with `&`, sorted by the bytes of the name (stable).
pub(super) fn sorted_query<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = params.collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// `hex(SHA-256(bytes))`, lower case.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(&Sha256::digest(bytes))
}

// --- V2 --------------------------------------------------------------------------------------

/// The V2 string to sign for `method` and the request's parameters (`Signature` left out).
pub(super) fn v2_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let canonical = sorted_query(
        params
            .iter()
            .filter(|(k, _)| k != "Signature")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    format!("{method}&{}&{}", encode("/"), encode(&canonical))
}

/// The V2 `Signature` for a string to sign.
pub(super) fn v2_signature(secret: &str, string_to_sign: &str) -> String {
    // HMAC takes keys of any length: the error cannot happen, and an empty signature would
    // only ever be refused.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(format!("{secret}&").as_bytes())
    else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

// --- V3 --------------------------------------------------------------------------------------

/// What a V3 signature covers, as the server received it.
pub(super) struct V3Request<'a> {
    pub(super) method: &'a str,
    /// The raw path.
    pub(super) path: &'a str,
    /// The URL query's parameters, decoded.
    pub(super) query: &'a [(String, String)],
    /// Every header (lower-case names).
    pub(super) headers: &'a [(String, String)],
    /// `x-acs-content-sha256` as sent.
    pub(super) payload_hash: &'a str,
}

/// The canonical request and the names of the signed headers (`;`-joined): every `host`,
/// `content-type` and `x-acs-*` header, values trimmed, a repeated name's values sorted and
/// joined with `,`.
pub(super) fn v3_canonical_request(request: &V3Request<'_>) -> (String, String) {
    let mut signed: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .filter(|(name, _)| name == "host" || name == "content-type" || name.starts_with("x-acs-"))
        .collect();
    signed.sort();
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in signed {
        match lines.last_mut() {
            Some((last, values)) if *last == name => values.push(value),
            _ => lines.push((name, vec![value])),
        }
    }
    let headers: String = lines
        .iter()
        .map(|(name, values)| format!("{name}:{}\n", values.join(",")))
        .collect();
    let names = lines
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let uri = if request.path.is_empty() {
        "/".to_owned()
    } else {
        request
            .path
            .replace('+', "%20")
            .replace('*', "%2A")
            .replace("%7E", "~")
    };
    let query = sorted_query(request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let canonical = [
        request.method,
        &uri,
        &query,
        &headers,
        &names,
        request.payload_hash,
    ]
    .join("\n");
    (canonical, names)
}

/// The V3 string to sign of a canonical request.
pub(super) fn v3_string_to_sign(canonical_request: &str) -> String {
    format!("{ACS3}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The V3 `Signature` (lower-case hex) of a string to sign: the key is the secret alone.
pub(super) fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    lower_hex(&mac.finalize().into_bytes())
}

/// The parts of `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Authorization<'a> {
    pub(super) credential: &'a str,
    pub(super) signed_headers: &'a str,
    pub(super) signature: &'a str,
}

/// Why an `Authorization` value is not a V3 one.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BadAuthorization {
    /// Another `ACS3-…` algorithm (SM3, RSA).
    OtherAlgorithm,
    /// Not the documented shape.
    Malformed,
}

/// Reads an `Authorization` value exactly as documented: one space after the algorithm, the
/// three fields in order, separated by commas without spaces, none empty.
pub(super) fn parse_authorization(value: &str) -> Result<Authorization<'_>, BadAuthorization> {
    let Some(rest) = value
        .strip_prefix(ACS3)
        .and_then(|rest| rest.strip_prefix(' '))
    else {
        let algorithm = value.split(' ').next().unwrap_or_default();
        return Err(if algorithm.starts_with("ACS3-") && algorithm != ACS3 {
            BadAuthorization::OtherAlgorithm
        } else {
            BadAuthorization::Malformed
        });
    };
    let fields: Vec<&str> = rest.split(',').collect();
    let [credential, signed, signature] = fields.as_slice() else {
        return Err(BadAuthorization::Malformed);
    };
    match (
        strip(credential, "Credential"),
        strip(signed, "SignedHeaders"),
        strip(signature, "Signature"),
    ) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(Authorization {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err(BadAuthorization::Malformed),
    }
}

/// `value` of `name=value`, when not empty.
fn strip<'a>(part: &'a str, name: &str) -> Option<&'a str> {
    part.strip_prefix(name)
        .and_then(|v| v.strip_prefix('='))
        .filter(|v| !v.is_empty())
}

// --- dates -----------------------------------------------------------------------------------

/// `yyyy-MM-ddTHH:mm:ssZ`, exactly (V2's `Timestamp`, V3's `x-acs-date`).
pub(super) fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 20
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    humantime::parse_rfc3339(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const SIX: &str =
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn v3(
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        payload: &str,
        secret: &str,
    ) -> (String, String, String) {
        let (query, headers) = (owned(query), owned(headers));
        let (canonical, names) = v3_canonical_request(&V3Request {
            method,
            path,
            query: &query,
            headers: &headers,
            payload_hash: payload,
        });
        let signature = v3_signature(secret, &v3_string_to_sign(&canonical));
        (canonical, names, signature)
    }

    #[test]
    fn v2_documented_vector() {
        let params = owned(&[
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Version", "2014-05-26"),
            ("Signature", "ignored"),
        ]);
        let text = v2_string_to_sign("GET", &params);
        assert_eq!(
            v2_signature("testsecret", &text),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    /// Vector A: Alibaba's published V3 example.
    #[test]
    fn v3_published_example() {
        let (canonical, names, signature) = v3(
            "POST",
            "/",
            &[
                (
                    "ImageId",
                    "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
                ),
                ("RegionId", "cn-shanghai"),
            ],
            &[
                ("host", "ecs.cn-shanghai.aliyuncs.com"),
                ("x-acs-action", "RunInstances"),
                ("x-acs-version", "2014-05-26"),
                ("x-acs-date", "2023-10-26T10:22:32Z"),
                ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
                ("x-acs-content-sha256", EMPTY),
            ],
            EMPTY,
            "YourAccessKeySecret",
        );
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(names, SIX);
        assert_eq!(
            signature,
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    /// Vector B: the official SDK's edge cases (empty method and path, an empty query value,
    /// headers differing only in case, a given payload hash).
    #[test]
    fn v3_sdk_edge_cases() {
        let payload = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
        let (canonical, names, signature) = v3(
            "",
            "",
            &[("test", "ok"), ("empty", "")],
            &[("x-acs-test", "http"), ("x-acs-TEST", "https")],
            payload,
            "secret",
        );
        assert_eq!(
            canonical,
            format!("\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n{payload}")
        );
        assert_eq!(names, "x-acs-test");
        assert_eq!(
            signature,
            "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
        );
    }

    /// Vector D: the CloudSSO `DeleteUser` pins, plain and STS; unsigned headers ignored.
    #[test]
    fn v3_delete_user_pins() {
        let query = [
            ("UserId", "u-00q8wbq42wiltcrk1234"),
            ("DirectoryId", "d-00fc2p61abcd"),
        ];
        let mut headers = vec![
            ("host", "cloudsso.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "DeleteUser"),
            ("x-acs-version", "2021-05-15"),
            ("x-acs-date", "2026-11-23T00:00:00Z"),
            ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
            ("x-acs-content-sha256", EMPTY),
            ("accept", "application/json"),
            ("user-agent", "idp-alibaba-cloudsso/0.1.0"),
        ];
        let (canonical, names, signature) = v3("POST", "/", &query, &headers, EMPTY, "testsecret");
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "bb664ecf18d22dd7c6904a85e25b0dbc9b7d40e7b2629fb845f3527df2ea5720"
        );
        assert_eq!(names, SIX);
        assert_eq!(
            signature,
            "d1aae1925476972a3ae7451f5d46ee15962da6f45b3d25fa6382ae5d040f989c"
        );
        headers.push(("x-acs-accesskey-id", "testid"));
        headers.push(("x-acs-security-token", "sts-token-example"));
        let (_, names, signature) = v3("POST", "/", &query, &headers, EMPTY, "testsecret");
        assert_eq!(
            names,
            "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;\
             x-acs-security-token;x-acs-signature-nonce;x-acs-version"
        );
        assert_eq!(
            signature,
            "64dd2d9d439b2a2c930b370132e1d6601c5019c888073b41a8d25de2085c87e7"
        );
    }

    #[test]
    fn authorization_is_read_exactly() {
        assert_eq!(
            parse_authorization("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=ff"),
            Ok(Authorization {
                credential: "a",
                signed_headers: "host",
                signature: "ff"
            })
        );
        assert_eq!(
            parse_authorization("ACS3-HMAC-SM3 Credential=a,SignedHeaders=h,Signature=f"),
            Err(BadAuthorization::OtherAlgorithm)
        );
        for bad in [
            "",
            "ACS3-HMAC-SHA256",
            "ACS3-HMAC-SHA256 Credential=a, SignedHeaders=h,Signature=f",
            "ACS3-HMAC-SHA256 Credential=a,Signature=f,SignedHeaders=h",
            "ACS3-HMAC-SHA256 Credential=,SignedHeaders=h,Signature=f",
            "ACS3-HMAC-SHA256  Credential=a,SignedHeaders=h,Signature=f",
            "Bearer x",
        ] {
            assert_eq!(
                parse_authorization(bad),
                Err(BadAuthorization::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn encoding_and_timestamps() {
        assert_eq!(encode("a b*c~d/é+="), "a%20b%2Ac~d%2F%C3%A9%2B%3D");
        assert_eq!(sha256_hex(b""), EMPTY);
        assert!(parse_timestamp("2016-02-23T12:46:24Z").is_some());
        for bad in [
            "2016-02-23T12:46:24",
            "2016-02-23 12:46:24Z",
            "2016-02-23T12:46:24.000Z",
            "2016-02-23T12:46:24+00:00",
            "2016-13-23T12:46:24Z",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }
}
