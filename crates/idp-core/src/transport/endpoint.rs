//! Checking base URLs and putting ids into paths safely.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::{Host, Url};

use crate::error::Error;
use crate::text::truncate_for_message;

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

/// Checks an id before any request, the same way for every vendor: not empty, at most
/// `max_chars` characters, and nothing that an id never holds but a copied spreadsheet cell
/// does: whitespace, control or invisible formatting characters (a byte-order mark, a
/// zero-width space, a soft hyphen), `,` `;` `"` `#` (CSV columns, quotes, comments), `@`
/// (an email: look the account up instead), `.` or `..`, or a column header (`user_id`).
/// The error names `field` and says what is wrong; it is
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), and nothing is sent.
pub fn check_id(field: &str, value: &str, max_chars: usize) -> Result<(), Error> {
    // A bulk run checks every id (twice: before sending and as the URL is built), so the
    // common case is settled in one pass; anything else takes the path that explains.
    if is_plain_id(value, max_chars) {
        return Ok(());
    }
    check_id_in_full(field, value, max_chars)
}

/// Every rule of [`check_id`], one at a time, each refusal saying what is wrong.
fn check_id_in_full(field: &str, value: &str, max_chars: usize) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::invalid_input(format!("{field} {why}")));
    if value.is_empty() {
        return refuse("is empty".into());
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return refuse(format!(
            "is {chars} characters long, at most {max_chars} allowed"
        ));
    }
    let quoted = || format!("{:?}", truncate_for_message(value));
    if value.chars().any(char::is_control) {
        return refuse(format!("{} contains control characters", quoted()));
    }
    if let Some(c) = value.chars().find(|&c| is_format_char(c)) {
        return refuse(format!(
            "{} contains the invisible character U+{:04X} (copied from a document or a \
             spreadsheet?)",
            quoted(),
            u32::from(c)
        ));
    }
    if value.chars().any(char::is_whitespace) {
        return refuse(format!(
            "{} contains whitespace: give one id per line, without comments",
            quoted()
        ));
    }
    if value.contains('@') {
        return refuse(format!(
            "{} looks like an email, not an id: use `idp find` to look the account up",
            quoted()
        ));
    }
    if let Some(c) = value.chars().find(|c| matches!(c, ',' | ';' | '"' | '#')) {
        return refuse(format!(
            "{} contains {c:?}: one id per line, not a CSV row, a quoted value or a comment",
            quoted()
        ));
    }
    if value == "." || value == ".." {
        return refuse(format!("{value:?} is not an id"));
    }
    if HEADER_WORDS.iter().any(|w| value.eq_ignore_ascii_case(w)) {
        return refuse(format!("{} is a column header, not an id", quoted()));
    }
    Ok(())
}

/// Whether `value` passes every rule of [`check_id`] for a reason one pass can see: printable
/// ASCII only (no whitespace, control or format character is ASCII-printable), none of the
/// refused characters, and neither a dot name nor a column header.
fn is_plain_id(value: &str, max_chars: usize) -> bool {
    !value.is_empty()
        && value.len() <= max_chars
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'@' | b',' | b';' | b'"' | b'#'))
        && value != "."
        && value != ".."
        && !HEADER_WORDS.iter().any(|w| value.eq_ignore_ascii_case(w))
}

/// Column headers of id exports, refused as ids.
const HEADER_WORDS: [&str; 7] = [
    "id", "user_id", "userid", "user-id", "uid", "username", "email",
];

/// Unicode general category Cf (format characters), as of Unicode 15.1: invisible characters
/// that change how text is shown but are never part of an id.
pub(crate) fn is_format_char(c: char) -> bool {
    const RANGES: [(u32, u32); 21] = [
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let c = u32::from(c);
    RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Checks an id the vendor documents as a UUID (`8-4-4-4-12` hex digits, any case), after
/// [`check_id`].
pub fn check_uuid(field: &str, value: &str) -> Result<(), Error> {
    check_id(field, value, 36)?;
    let shaped = value.len() == 36
        && value.bytes().enumerate().all(|(at, b)| match at {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if shaped {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{field} must be a UUID (8-4-4-4-12 hex digits), got {:?}",
            truncate_for_message(value)
        )))
    }
}

/// Parses an id that the vendor documents as a positive integer; anything else is
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming `field`.
pub fn parse_positive_id(field: &str, value: &str) -> Result<u64, Error> {
    check_id(field, value, 20)?;
    match value.parse::<u64>() {
        Ok(id) if id > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(Error::invalid_input(format!(
            "{field} must be a positive integer, got {:?}",
            truncate_for_message(value)
        ))),
    }
}

/// A header value for a credential, marked sensitive so HTTP-level logging hides it. A value
/// that cannot be a header (a newline in a token) is a [`ErrorKind::Config`](crate::ErrorKind::Config)
/// error that never quotes it.
pub fn sensitive_header(value: &str) -> Result<reqwest::header::HeaderValue, Error> {
    let mut header = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        Error::config("a credential holds characters that cannot be sent in an HTTP header")
    })?;
    header.set_sensitive(true);
    Ok(header)
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
pub fn parse_base_url(raw: &str, allow_insecure_http: bool) -> Result<Url, Error> {
    // The raw text is never quoted: a URL can carry a password or a token.
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::config(format!("base URL is not a valid URL: {e}")))?;
    check_scheme(&url, allow_insecure_http)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "base URL (host {}) must not have a query or fragment",
            url.host_str().unwrap_or("?")
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config("base URL must not carry credentials"));
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// Refuses anything but `https://`, and `http://` to a non-loopback host unless allowed.
pub fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::config(format!(
            "refusing plain http:// to non-loopback host {}: credentials would cross the \
                 network unencrypted; use https, or opt in with --allow-insecure-http \
                 (TransportOptions::allow_insecure_http)",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(Error::config(format!(
            "unsupported URL scheme {other:?}: use https"
        ))),
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
        let base = parse_base_url("https://h/api/", false).unwrap_or_else(|e| panic!("{e}"));
        let url = join_path(&base, &["users", &encode_path_segment("../admin")]);
        assert_eq!(url.as_str(), "https://h/api/users/..%2Fadmin");
        assert!(check_id("user_id", "..", 36).is_err());
        assert!(check_id("user_id", "", 36).is_err());
        assert!(check_id("user_id", "a\nb", 36).is_err());
        assert!(check_id("user_id", &"x".repeat(37), 36).is_err());
        assert!(check_id("user_id", "..a", 36).is_ok());
    }

    #[test]
    fn noise_around_ids_is_refused() {
        for bad in [
            "\u{feff}u-1",
            "u\u{200b}1",
            "u\u{00ad}1",
            "u-1  # left",
            "u-1,John Doe,2026-11-30",
            "u-1;John",
            "\"u-1\"",
            "user_id",
            "USER_ID",
            "jane@example.com",
            "u 1",
            "u\u{a0}1",
        ] {
            let err = check_id("user_id", bad, 256).err();
            assert!(err.is_some(), "{bad:?} accepted");
        }
        let email = check_id("user_id", "jane@example.com", 256)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(email.contains("idp find"), "{email}");
        assert!(check_id("user_id", "u-00q8wbq42wiltcrk1234", 64).is_ok());
        assert!(check_uuid("user_id", "6f1c9a3e-0d2b-4c4e-9a47-2b1f8e2a9c11").is_ok());
        assert!(check_uuid("user_id", "6f1c9a3e0d2b4c4e9a472b1f8e2a9c11").is_err());
        assert!(check_uuid("user_id", "-").is_err());
    }

    proptest::proptest! {
        /// The one-pass check accepts only what the full rules accept (and lets through
        /// every plain ASCII id they accept).
        #[test]
        fn the_fast_check_agrees_with_the_full_rules(
            value in proptest::prop_oneof![
                "[ -~]{0,40}",
                "[a-z0-9._@#,;-]{0,6}",
                proptest::string::string_regex(".{0,12}").unwrap_or_else(|e| panic!("{e}")),
            ],
        ) {
            let full = check_id_in_full("user_id", &value, 36).is_ok();
            proptest::prop_assert_eq!(check_id("user_id", &value, 36).is_ok(), full);
            if full && value.bytes().all(|b| b.is_ascii_graphic()) {
                proptest::prop_assert!(is_plain_id(&value, 36), "{:?}", value);
            }
        }
    }

    #[test]
    fn positive_ids() {
        assert_eq!(parse_positive_id("id", "15").ok(), Some(15));
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
            assert!(parse_positive_id("id", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        assert!(parse_base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(parse_base_url("http://localhost", false).is_ok());
        assert!(parse_base_url("http://[::1]:1", false).is_ok());
        let err = parse_base_url("http://cr.example.com", false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--allow-insecure-http"), "{err}");
        assert!(parse_base_url("http://cr.example.com", true).is_ok());
        assert!(parse_base_url("ftp://x", true).is_err());
        assert!(parse_base_url("not a url", true).is_err());
    }
}
