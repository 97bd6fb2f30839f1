//! Removing credentials from vendor text before it is printed, logged or journaled.
//!
//! Servers sometimes quote the request back: a gateway's error page, a WAF, a debug-mode
//! server echoing headers, Alibaba's `SignatureDoesNotMatch` quoting its string to sign. Every
//! error that leaves the transport has its message, code and request id passed through the
//! client's [`Scrubber`], which knows every configured secret, the live token, and the
//! derived forms a vendor sends (the Basic pair, raw and base64).

use std::borrow::Cow;
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};

use crate::error::Error;
use crate::secret::Secret;

/// What replaces a credential.
pub const REDACTED: &str = "[REDACTED]";

/// Needles shorter than this are not scrubbed: they would match ordinary text, and no real
/// credential is that short.
const MIN_NEEDLE_CHARS: usize = 6;

/// Every credential form one client must never print. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct Scrubber {
    needles: Arc<RwLock<Vec<Secret>>>,
}

impl Scrubber {
    /// A scrubber that knows no secret yet.
    pub fn new() -> Self {
        Scrubber::default()
    }

    /// Adds a credential, with its base64 forms (standard and URL-safe).
    pub fn add(&self, secret: &Secret) {
        let value = secret.expose();
        let forms = [
            value.to_owned(),
            STANDARD.encode(value),
            URL_SAFE.encode(value),
            URL_SAFE_NO_PAD.encode(value),
        ];
        self.add_forms(forms);
    }

    /// Adds an HTTP Basic pair: `user:secret` raw and base64, and the secret alone.
    pub fn add_basic_pair(&self, user: &str, secret: &Secret) {
        self.add(secret);
        let pair = format!("{user}:{}", secret.expose());
        self.add_forms([STANDARD.encode(&pair), pair]);
    }

    fn add_forms(&self, forms: impl IntoIterator<Item = String>) {
        let mut needles = self.needles.write().unwrap_or_else(PoisonError::into_inner);
        for form in forms {
            if form.chars().count() < MIN_NEEDLE_CHARS || needles.iter().any(|n| n.expose() == form)
            {
                continue;
            }
            needles.push(Secret::new(form));
        }
        // Longest first, so that a secret inside a longer form (the pair) does not leave the
        // rest of that form behind.
        needles.sort_by_key(|n| std::cmp::Reverse(n.expose().len()));
    }

    /// `text` with every known credential form replaced by [`REDACTED`]; borrowed when
    /// nothing was found.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let needles = self.needles.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = Cow::Borrowed(text);
        for needle in needles.iter() {
            if out.contains(needle.expose()) {
                out = Cow::Owned(out.replace(needle.expose(), REDACTED));
            }
        }
        out
    }

    /// The error with its message, code and request id scrubbed.
    pub fn scrub_error(&self, err: Error) -> Error {
        err.map_vendor_text(|text| match self.scrub(text) {
            Cow::Borrowed(_) => None,
            Cow::Owned(clean) => Some(clean),
        })
    }
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self
            .needles
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Scrubber").field("forms", &count).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn every_form_is_removed() {
        let scrubber = Scrubber::new();
        scrubber.add_basic_pair("client-id-1", &Secret::new("s3cret-canary"));
        scrubber.add(&Secret::new("tok-canary-123"));
        let basic = STANDARD.encode("client-id-1:s3cret-canary");
        let text = format!(
            "echo: Basic {basic}, bearer:tok-canary-123, pair client-id-1:s3cret-canary, {}",
            STANDARD.encode("tok-canary-123")
        );
        let clean = scrubber.scrub(&text);
        for needle in [
            "s3cret-canary",
            "tok-canary-123",
            basic.as_str(),
            "client-id-1:",
        ] {
            assert!(!clean.contains(needle), "{needle} in {clean}");
        }
        assert!(clean.contains("bearer:[REDACTED]"), "{clean}");
    }

    #[test]
    fn errors_are_scrubbed_in_every_vendor_field() {
        let scrubber = Scrubber::new();
        scrubber.add(&Secret::new("canary-secret"));
        let err = Error::new(ErrorKind::Server, "said canary-secret")
            .with_code("X.canary-secret")
            .with_request_id("rid-canary-secret".to_owned());
        let err = scrubber.scrub_error(err);
        let printed = format!("{err} {err:?}");
        assert!(!printed.contains("canary-secret"), "{printed}");
        assert_eq!(err.message(), "said [REDACTED]");
    }

    #[test]
    fn short_values_and_plain_text_are_left_alone() {
        let scrubber = Scrubber::new();
        scrubber.add(&Secret::new("abc"));
        assert!(matches!(scrubber.scrub("abc def"), Cow::Borrowed(_)));
    }
}
