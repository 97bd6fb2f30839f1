#![allow(clippy::unwrap_used, clippy::expect_used)]
//! No credential-bearing public type of idp-core prints its secret.

mod support;

use idp_core::{Error, ErrorKind, Secret, TransportOptions};

const CANARY: &str = "canary-7f3a9c-never-print-me";

#[test]
fn secrets_never_show_in_debug_or_display() {
    let secret = Secret::new(CANARY);
    let cloned = secret.clone();
    for text in [
        format!("{secret:?}"),
        format!("{secret:#?}"),
        format!("{:?}", Some(&cloned)),
        format!("{:?}", vec![secret.clone()]),
    ] {
        assert!(!text.contains(CANARY), "{text}");
        assert!(!text.contains("canary"), "{text}");
    }
    assert_eq!(secret.expose(), CANARY);
}

#[test]
fn transport_and_errors_hold_no_secret_to_print() {
    let transport = support::transport(TransportOptions::default());
    transport.scrubber().add(&Secret::new(CANARY));
    let text = format!("{transport:?} {:?}", TransportOptions::default());
    assert!(!text.contains(CANARY), "{text}");
    assert!(!format!("{:?}", transport.scrubber()).contains(CANARY));
    let err = Error::new(ErrorKind::Unauthenticated, "bad credentials");
    assert!(!format!("{err:?} {err}").contains(CANARY));
}
