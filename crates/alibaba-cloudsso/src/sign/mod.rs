//! Alibaba Cloud's request signatures, internal to the client: signature V3
//! (`ACS3-HMAC-SHA256`, the default, [`v3`]) and the HMAC-SHA1 RPC method that Alibaba calls
//! "signature method V2" (`SignatureVersion=1.0`, [`v2`]).
//!
//! Both share the query canonicalisation here: parameters sorted by name (byte order of the
//! UTF-8 name), each written `enc(name)=enc(value)` (`name=` when the value is empty), joined
//! with `&`, where `enc` is RFC 3986 percent-encoding of the UTF-8 bytes (only
//! `A-Z a-z 0-9 - _ . ~` stay; a space is `%20`, `*` is `%2A`, hex digits upper case). That is
//! what Go's `url.QueryEscape` followed by Alibaba's `+`→`%20`, `*`→`%2A`, `%7E`→`~`
//! replacements gives. Names are encoded too, as Alibaba's documentation says (the Go SDK
//! leaves them as they are, which is the same for CloudSSO's ASCII parameter names).

pub(crate) mod v2;
pub(crate) mod v3;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except the RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `value` the way both signatures need it.
pub(crate) fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, RFC3986).collect()
}

/// The canonical query of `params` (see the [module docs](self)). The same string is a valid
/// URL query or `application/x-www-form-urlencoded` body carrying exactly these parameters, so
/// the client sends what it signed.
pub(crate) fn canonical_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    // Stable: parameters repeated under one name keep the caller's order.
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    // Encoded straight into one buffer: this runs for every attempt, and an STS token alone
    // is hundreds of bytes.
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

/// A `Timestamp` (V2) or `x-acs-date` (V3) value: UTC, `yyyy-MM-ddTHH:mm:ssZ`.
///
/// A clock before 1970 or after 9999 is clamped to that range rather than panicking; the
/// server then refuses the date (`InvalidTimeStamp.*`), which says to check the clock.
pub(crate) fn timestamp(at: SystemTime) -> String {
    // 9999-12-31T23:59:59Z, the last second the format can show.
    const LAST: Duration = Duration::from_secs(253_402_300_799);
    let since_epoch = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .min(LAST);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + since_epoch).to_string()
}

/// A fresh signature nonce: 32 random hex digits (a UUID v4 without dashes, the shape of the
/// official SDK's md5-hex nonce). Never reused: the server refuses a repeated nonce.
pub(crate) fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let params = [("b", "x y"), ("a", "1&2"), ("A", "="), ("empty", "")];
        assert_eq!(canonical_query(&params), "A=%3D&a=1%262&b=x%20y&empty=");
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

    #[test]
    fn nonces_are_fresh_hex() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    }
}
