//! Signature V3, `ACS3-HMAC-SHA256`, as Alibaba's official SDK computes it (openapi-util
//! `GetAuthorization`; the offboarding notes' "Alibaba signature V3"):
//!
//! 1. `CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
//!    SignedHeaders \n HashedPayload`, where the URI is `/` when empty, the query is the
//!    [canonical query](super::canonical_query), and the headers are every `host`,
//!    `content-type` and `x-acs-*` header: names in lower case, values trimmed, sorted by name,
//!    values of a repeated name sorted and joined with `,`, each `name:value\n`.
//! 2. `StringToSign = "ACS3-HMAC-SHA256\n" + hex(SHA-256(CanonicalRequest))`.
//! 3. `Signature = hex(HMAC-SHA256(AccessKeySecret, StringToSign))`: the key is the secret
//!    alone, no `&` suffix (unlike V2).
//! 4. `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,
//!    Signature=<hex>`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The algorithm name, first word of the `Authorization` header and of the string to sign.
pub(crate) const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// What is signed: the request as it goes on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signable<'a> {
    /// The HTTP method (`POST`).
    pub(crate) method: &'a str,
    /// The URL path as sent (`/` for RPC calls; empty is read as `/`).
    pub(crate) path: &'a str,
    /// The canonical query ([`canonical_query`](super::canonical_query)) of the URL query.
    pub(crate) query: &'a str,
    /// The request headers; only `host`, `content-type` and `x-acs-*` are signed.
    pub(crate) headers: &'a [(&'a str, &'a str)],
    /// `hex(SHA-256(body))`, the value of `x-acs-content-sha256` ([`sha256_hex`]).
    pub(crate) payload_hash: &'a str,
}

/// `hex(SHA-256(bytes))`, lower case.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The canonical request and the signed header names (`;`-separated).
pub(crate) fn canonical_request(request: &Signable<'_>) -> (String, String) {
    let mut signed: Vec<(String, &str)> = request
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let signs = name == "host" || name == "content-type" || name.starts_with("x-acs-");
            signs.then(|| (name, value.trim()))
        })
        .collect();
    // By name, then by value: a repeated name's values are joined in sorted order.
    signed.sort_unstable();

    let mut headers = String::with_capacity(256);
    let mut names = String::with_capacity(128);
    let mut previous: Option<&str> = None;
    for (name, value) in &signed {
        if previous == Some(name.as_str()) {
            headers.push(',');
        } else {
            if previous.is_some() {
                headers.push('\n');
                names.push(';');
            }
            headers.push_str(name);
            headers.push(':');
            names.push_str(name);
        }
        headers.push_str(value);
        previous = Some(name.as_str());
    }
    if previous.is_some() {
        headers.push('\n');
    }

    let uri = canonical_uri(request.path);
    let mut canonical = String::with_capacity(
        request.method.len() + uri.len() + request.query.len() + headers.len() + 2 * names.len(),
    );
    for piece in [
        request.method,
        "\n",
        &uri,
        "\n",
        request.query,
        "\n",
        &headers,
        "\n",
        &names,
        "\n",
        request.payload_hash,
    ] {
        canonical.push_str(piece);
    }
    (canonical, names)
}

/// The path as signed: `/` when empty; `+`, `*` and `%7E` as Alibaba rewrites them.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.replace('+', "%20")
            .replace('*', "%2A")
            .replace("%7E", "~")
    }
}

/// The `Authorization` header value for `request`, signed with the AccessKey pair.
pub(crate) fn authorization(
    request: &Signable<'_>,
    access_key_id: &str,
    access_key_secret: &str,
) -> String {
    let (canonical, names) = canonical_request(request);
    let signature = signature(&canonical, access_key_secret);
    format!("{ALGORITHM} Credential={access_key_id},SignedHeaders={names},Signature={signature}")
}

/// `hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical))))`.
fn signature(canonical_request: &str, access_key_secret: &str) -> String {
    let hashed = sha256_hex(canonical_request.as_bytes());
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(access_key_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(ALGORITHM.as_bytes());
    mac.update(b"\n");
    mac.update(hashed.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::super::canonical_query;
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const SIX_HEADERS: &str =
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
        assert_eq!(
            sha256_hex(b"test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }

    /// Vector A: Alibaba's published V3 example.
    #[test]
    fn published_example() {
        let query = canonical_query(&[
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
            ("RegionId", "cn-shanghai"),
        ]);
        let headers = [
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-content-sha256", EMPTY_SHA256),
        ];
        let request = Signable {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
            payload_hash: EMPTY_SHA256,
        };
        let (canonical, names) = canonical_request(&request);
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(names, SIX_HEADERS);
        assert_eq!(
            authorization(&request, "YourAccessKeyId", "YourAccessKeySecret"),
            format!(
                "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders={SIX_HEADERS},\
                 Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
            )
        );
    }

    /// Vector B: the official SDK's unit test (empty method and path, an empty query value,
    /// headers differing only in case, a caller-supplied payload hash).
    #[test]
    fn sdk_edge_cases() {
        let query = canonical_query(&[("test", "ok"), ("empty", "")]);
        let headers = [("x-acs-test", "http"), ("x-acs-TEST", "https")];
        let payload = "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
        let request = Signable {
            method: "",
            path: "",
            query: &query,
            headers: &headers,
            payload_hash: payload,
        };
        let (canonical, names) = canonical_request(&request);
        assert_eq!(
            canonical,
            format!("\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n{payload}")
        );
        assert_eq!(names, "x-acs-test");
        assert_eq!(
            authorization(&request, "acesskey", "secret"),
            "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,\
             Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
        );
    }

    fn delete_user_headers(sts: bool) -> Vec<(&'static str, &'static str)> {
        let mut headers = vec![
            ("host", "cloudsso.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "DeleteUser"),
            ("x-acs-version", "2021-05-15"),
            ("x-acs-date", "2026-11-23T00:00:00Z"),
            ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
            ("x-acs-content-sha256", EMPTY_SHA256),
            // Not signed, whatever they say.
            ("accept", "application/json"),
            ("user-agent", "idp-alibaba-cloudsso/0.1.0"),
        ];
        if sts {
            headers.push(("x-acs-accesskey-id", "testid"));
            headers.push(("x-acs-security-token", "sts-token-example"));
        }
        headers
    }

    /// Vector D: the CloudSSO `DeleteUser` pins, plain and STS.
    #[test]
    fn delete_user_pins() {
        let query = canonical_query(&[
            ("UserId", "u-00q8wbq42wiltcrk1234"),
            ("DirectoryId", "d-00fc2p61abcd"),
        ]);
        assert_eq!(
            query,
            "DirectoryId=d-00fc2p61abcd&UserId=u-00q8wbq42wiltcrk1234"
        );
        let plain = delete_user_headers(false);
        let request = Signable {
            method: "POST",
            path: "/",
            query: &query,
            headers: &plain,
            payload_hash: EMPTY_SHA256,
        };
        let (canonical, names) = canonical_request(&request);
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "bb664ecf18d22dd7c6904a85e25b0dbc9b7d40e7b2629fb845f3527df2ea5720"
        );
        assert_eq!(names, SIX_HEADERS);
        assert_eq!(
            authorization(&request, "testid", "testsecret"),
            format!(
                "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={SIX_HEADERS},\
                 Signature=d1aae1925476972a3ae7451f5d46ee15962da6f45b3d25fa6382ae5d040f989c"
            )
        );

        let sts = delete_user_headers(true);
        let request = Signable {
            headers: &sts,
            ..request
        };
        assert_eq!(
            authorization(&request, "testid", "testsecret"),
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-accesskey-id;\
             x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;\
             x-acs-signature-nonce;x-acs-version,\
             Signature=64dd2d9d439b2a2c930b370132e1d6601c5019c888073b41a8d25de2085c87e7"
        );
    }

    #[test]
    fn values_are_trimmed_and_uris_rewritten() {
        let headers = [("Host", "  h  "), ("Content-Type", "a/b ")];
        let request = Signable {
            method: "GET",
            path: "/a+b*c%7Ed",
            query: "",
            headers: &headers,
            payload_hash: EMPTY_SHA256,
        };
        let (canonical, names) = canonical_request(&request);
        assert_eq!(
            canonical,
            format!(
                "GET\n/a%20b%2Ac~d\n\ncontent-type:a/b\nhost:h\n\ncontent-type;host\n{EMPTY_SHA256}"
            )
        );
        assert_eq!(names, "content-type;host");
        let none = Signable {
            headers: &[],
            ..request
        };
        assert_eq!(
            canonical_request(&none).0,
            format!("GET\n/a%20b%2Ac~d\n\n\n\n{EMPTY_SHA256}")
        );
    }
}
