//! Checking base URLs and putting ids into paths safely.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::{Host, Url};

use crate::error::Error;

/// Everything but RFC 3986 unreserved characters is encoded, so an id can never add a path
/// segment, a query or a fragment (`/`, `?`, `#`, `%`, `..` are all neutralised).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `value` as exactly one path segment.
///
/// `.` and `..` cannot be made safe this way (URL parsers treat `%2E%2E` as `..` too):
/// [`check_id`] refuses them, and every caller checks ids first.
pub fn encode_path_segment(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// Checks an id before any request: not empty, at most `max_chars` characters, no control
/// characters, and not `.` or `..`. The error names `field` and says what is wrong.
pub fn check_id(
    vendor: &'static str,
    field: &str,
    value: &str,
    max_chars: usize,
) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::invalid_input(vendor, format!("{field} {why}")));
    if value.is_empty() {
        return refuse("is empty".into());
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return refuse(format!(
            "is {chars} characters long, at most {max_chars} allowed"
        ));
    }
    if value.chars().any(char::is_control) {
        return refuse("contains control characters".into());
    }
    if value == "." || value == ".." {
        return refuse(format!("{value:?} is not an id"));
    }
    Ok(())
}

/// Parses an id that the vendor documents as a positive integer; anything else is
/// [`crate::ErrorKind::InvalidInput`] naming `field`.
pub fn parse_positive_id(vendor: &'static str, field: &str, value: &str) -> Result<u64, Error> {
    match value.parse::<u64>() {
        Ok(id) if id > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(Error::invalid_input(
            vendor,
            format!(
                "{field} must be a positive integer, got {:?}",
                truncate_for_message(value)
            ),
        )),
    }
}

/// Shortens user input quoted in an error message, so a 10 KB id does not become a 10 KB
/// message.
pub fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Whether `url`'s host is this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses and checks a base URL: `https://`, or `http://` only to a loopback host unless
/// `allow_insecure_http` is set. A trailing `/` is removed so paths can be appended.
pub fn parse_base_url(
    vendor: &'static str,
    raw: &str,
    allow_insecure_http: bool,
) -> Result<Url, Error> {
    // The raw text is never quoted: a URL can carry a password or a token.
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::config(vendor, format!("base URL is not a valid URL: {e}")))?;
    check_scheme(vendor, &url, allow_insecure_http)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(
            vendor,
            format!(
                "base URL (host {}) must not have a query or fragment",
                url.host_str().unwrap_or("?")
            ),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(vendor, "base URL must not carry credentials"));
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// Refuses anything but `https://`, and `http://` to a non-loopback host unless allowed.
pub fn check_scheme(
    vendor: &'static str,
    url: &Url,
    allow_insecure_http: bool,
) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::config(
            vendor,
            format!(
                "refusing plain http:// to non-loopback host {}: credentials would cross the \
                 network unencrypted; use https, or opt in with --allow-insecure-http \
                 (TransportOptions::allow_insecure_http)",
                url.host_str().unwrap_or("?")
            ),
        )),
        other => Err(Error::config(
            vendor,
            format!("unsupported URL scheme {other:?}: use https"),
        )),
    }
}

/// Joins `segments` (already encoded) onto `base` with `/`.
pub fn join_path(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    let mut path = url.path().trim_end_matches('/').to_owned();
    for segment in segments {
        path.push('/');
        path.push_str(segment);
    }
    url.set_path(&path);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_stay_one_segment() {
        assert_eq!(encode_path_segment("a/b"), "a%2Fb");
        assert_eq!(encode_path_segment("x?y#z%"), "x%3Fy%23z%25");
        assert_eq!(encode_path_segment("ü"), "%C3%BC");
        let base = parse_base_url("t", "https://h/api/", false).unwrap_or_else(|e| panic!("{e}"));
        let url = join_path(&base, &["users", &encode_path_segment("../admin")]);
        assert_eq!(url.as_str(), "https://h/api/users/..%2Fadmin");
        assert!(check_id("t", "user_id", "..", 36).is_err());
        assert!(check_id("t", "user_id", "", 36).is_err());
        assert!(check_id("t", "user_id", "a\nb", 36).is_err());
        assert!(check_id("t", "user_id", &"x".repeat(37), 36).is_err());
        assert!(check_id("t", "user_id", "..a", 36).is_ok());
    }

    #[test]
    fn positive_ids() {
        assert_eq!(parse_positive_id("t", "id", "15").ok(), Some(15));
        for bad in [
            "0",
            "-1",
            "+1",
            "1.0",
            "",
            " 1",
            "abc",
            "99999999999999999999999",
        ] {
            assert!(parse_positive_id("t", "id", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        assert!(parse_base_url("t", "http://127.0.0.1:8080", false).is_ok());
        assert!(parse_base_url("t", "http://localhost", false).is_ok());
        assert!(parse_base_url("t", "http://[::1]:1", false).is_ok());
        let err = parse_base_url("t", "http://cr.example.com", false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--allow-insecure-http"), "{err}");
        assert!(parse_base_url("t", "http://cr.example.com", true).is_ok());
        assert!(parse_base_url("t", "ftp://x", true).is_err());
        assert!(parse_base_url("t", "not a url", true).is_err());
    }
}
