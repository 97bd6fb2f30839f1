#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reading the configuration, and never printing a credential.

mod support;

use idp_cf_access::{Auth, Client, Config, DEFAULT_BASE_URL};
use idp_core::{ErrorKind, ManualClock, TransportOptions};
use support::*;

const FULL_TOKEN: [(&str, &str); 2] = [
    ("CLOUDFLARE_API_TOKEN", TOKEN),
    ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
];

fn missing(vars: &[(&str, &str)]) -> idp_core::Error {
    Config::from_lookup(lookup(vars)).unwrap_err()
}

#[test]
fn token_from_lookup() {
    let config = Config::from_lookup(lookup(&FULL_TOKEN)).unwrap();
    assert_eq!(config.account_id(), ACCOUNT);
    assert_eq!(config.base_url(), DEFAULT_BASE_URL);
    assert!(matches!(config.auth(), Auth::ApiToken(t) if t.expose() == TOKEN));
}

#[test]
fn global_key_from_lookup_and_base_url_override() {
    let config = Config::from_lookup(lookup(&[
        ("CLOUDFLARE_EMAIL", EMAIL),
        ("CLOUDFLARE_API_KEY", KEY),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
        ("CLOUDFLARE_BASE_URL", "https://proxy.example.com/cf/v4"),
    ]))
    .unwrap();
    assert!(
        matches!(config.auth(), Auth::Global { email, key } if email == EMAIL && key.expose() == KEY)
    );
    assert_eq!(config.base_url(), "https://proxy.example.com/cf/v4");
}

#[test]
fn token_wins_over_global_key() {
    let config = Config::from_lookup(lookup(&[
        ("CLOUDFLARE_API_TOKEN", TOKEN),
        ("CLOUDFLARE_EMAIL", EMAIL),
        ("CLOUDFLARE_API_KEY", KEY),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
    ]))
    .unwrap();
    assert!(matches!(config.auth(), Auth::ApiToken(_)));
}

#[test]
fn each_missing_variable_is_named() {
    let err = missing(&[("CLOUDFLARE_API_TOKEN", TOKEN)]);
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("CLOUDFLARE_ACCOUNT_ID"), "{err}");

    let err = missing(&[("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)]);
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("CLOUDFLARE_API_TOKEN"), "{err}");
    assert!(err.message().contains("CLOUDFLARE_EMAIL"), "{err}");
    assert!(err.message().contains("CLOUDFLARE_API_KEY"), "{err}");

    let err = missing(&[
        ("CLOUDFLARE_EMAIL", EMAIL),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
    ]);
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(
        err.message(),
        "environment variable CLOUDFLARE_API_KEY is not set"
    );

    let err = missing(&[
        ("CLOUDFLARE_API_KEY", KEY),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
    ]);
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(
        err.message(),
        "environment variable CLOUDFLARE_EMAIL is not set"
    );

    let err = missing(&[]);
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn empty_and_blank_values_count_as_unset() {
    let err = missing(&[
        ("CLOUDFLARE_API_TOKEN", TOKEN),
        ("CLOUDFLARE_ACCOUNT_ID", "   "),
    ]);
    assert!(err.message().contains("CLOUDFLARE_ACCOUNT_ID"), "{err}");

    let err = missing(&[
        ("CLOUDFLARE_API_TOKEN", ""),
        ("CLOUDFLARE_EMAIL", EMAIL),
        ("CLOUDFLARE_API_KEY", ""),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
    ]);
    assert!(err.message().contains("CLOUDFLARE_API_KEY"), "{err}");

    // An empty base URL keeps the default; values are trimmed.
    let config = Config::from_lookup(lookup(&[
        ("CLOUDFLARE_API_TOKEN", " tok \n"),
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
        ("CLOUDFLARE_BASE_URL", ""),
    ]))
    .unwrap();
    assert_eq!(config.base_url(), DEFAULT_BASE_URL);
    assert!(matches!(config.auth(), Auth::ApiToken(t) if t.expose() == "tok"));
}

#[test]
fn bad_account_id_from_lookup_is_a_config_error() {
    let err = missing(&[
        ("CLOUDFLARE_API_TOKEN", TOKEN),
        ("CLOUDFLARE_ACCOUNT_ID", &"a".repeat(33)),
    ]);
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("account_id"), "{err}");
}

#[test]
fn a_bad_base_url_is_refused_by_the_client() {
    for url in [
        "not a url",
        "ftp://x",
        "https://h/v4?x=1",
        "http://api.example.com",
    ] {
        let config = Config::new(ACCOUNT, Auth::api_token(TOKEN)).with_base_url(url);
        let err = Client::new(config, TransportOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}");
    }
}

#[test]
fn debug_never_prints_a_credential() {
    let clock = ManualClock::default();
    for auth in [Auth::api_token(TOKEN), Auth::global(EMAIL, KEY)] {
        let config = Config::new(ACCOUNT, auth.clone());
        let client = Client::new(config.clone(), support::manual_options(&clock)).unwrap();
        for text in [
            format!("{auth:?}"),
            format!("{auth:#?}"),
            format!("{config:?}"),
            format!("{config:#?}"),
            format!("{client:?}"),
            format!("{client:#?}"),
        ] {
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains(KEY), "{text}");
            assert!(!text.contains("canary"), "{text}");
            assert!(text.contains("REDACTED"), "{text}");
        }
        let text = format!("{client:?}");
        assert!(text.contains(ACCOUNT), "{text}");
        assert!(text.contains("api.cloudflare.com"), "{text}");
    }
}
