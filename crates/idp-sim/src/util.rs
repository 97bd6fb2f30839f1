//! Small helpers shared by the simulators: locks, random ids, path segments, time.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use percent_encoding::percent_decode_str;

/// Locks a mutex, carrying on after a panic elsewhere (the state stays usable for a test).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn pick(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[fastrand::usize(..alphabet.len())]))
        .collect()
}

/// `len` random lower-case hex digits.
pub(crate) fn random_hex(len: usize) -> String {
    pick(HEX, len)
}

/// `len` random letters and digits.
pub(crate) fn random_alnum(len: usize) -> String {
    pick(ALNUM, len)
}

/// `len` random lower-case letters and digits.
pub(crate) fn random_lower_alnum(len: usize) -> String {
    pick(LOWER_ALNUM, len)
}

/// A random UUID-shaped id (`8-4-4-4-12` lower-case hex, version 4 bits set).
pub(crate) fn uuid() -> String {
    let h = random_hex(32);
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        ["8", "9", "a", "b"][fastrand::usize(..4)],
        &h[17..20],
        &h[20..32]
    )
}

/// A request id in Alibaba's style: an upper-case UUID.
pub(crate) fn upper_uuid() -> String {
    uuid().to_ascii_uppercase()
}

/// Percent-decodes one path segment; `None` when it is not UTF-8 once decoded.
pub(crate) fn decode_segment(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The segments after `prefix` (which ends without `/`), or `None` when the path does not
/// start with it.
pub(crate) fn segments_after<'a>(path: &'a str, prefix: &str) -> Option<Vec<&'a str>> {
    let rest = path.strip_prefix(prefix)?.strip_prefix('/')?;
    Some(rest.split('/').collect())
}

/// RFC 3339 with milliseconds, UTC (`2015-11-11T03:36:18.714Z`).
pub(crate) fn rfc3339_millis(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

/// RFC 3339 with seconds, UTC (`2019-11-18T20:48:04Z`).
pub(crate) fn rfc3339_seconds(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A person's names guessed from an address's part before the `@`, for seeded users:
/// `jane.doe@…` → (`Jane`, `Doe`), `mary-ann.smith@…` → (`Mary`, `Ann Smith`), one word →
/// (`Word`, `User`), nothing → (`Seeded`, `User`).
pub(crate) fn names_from_email(email: &str) -> (String, String) {
    let local = email.split('@').next().unwrap_or(email);
    let capital = |word: &str| {
        let mut chars = word.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect::<String>()
        })
    };
    let mut words = local.split(['.', '_', '-', '+']).filter(|w| !w.is_empty());
    let first = words.next().map_or_else(|| "Seeded".to_owned(), capital);
    let rest: Vec<String> = words.map(capital).collect();
    let last = if rest.is_empty() {
        "User".to_owned()
    } else {
        rest.join(" ")
    };
    (first, last)
}

/// A lookup function over a fixed list of variables, such as a simulator's `env()`, for a
/// client crate's `Config::from_lookup`.
pub fn lookup_in(
    vars: Vec<(&'static str, String)>,
) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
    let vars = Arc::new(vars);
    move |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_shapes() {
        let id = uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_eq!(random_hex(32).len(), 32);
        assert!(
            random_lower_alnum(20)
                .bytes()
                .all(|b| !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn names_come_from_the_part_before_the_at() {
        let names = names_from_email;
        assert_eq!(names("jane.doe@x.y"), ("Jane".into(), "Doe".into()));
        assert_eq!(
            names("Mary-Ann.Smith@x"),
            ("Mary".into(), "Ann Smith".into())
        );
        assert_eq!(names("bob"), ("Bob".into(), "User".into()));
        assert_eq!(names("@x"), ("Seeded".into(), "User".into()));
    }

    #[test]
    fn segments() {
        assert_eq!(segments_after("/a/b/c%2Fd", "/a"), Some(vec!["b", "c%2Fd"]));
        assert_eq!(segments_after("/ab/c", "/a"), None);
        assert_eq!(decode_segment("c%2Fd").as_deref(), Some("c/d"));
        assert_eq!(decode_segment("%FF"), None);
    }
}
