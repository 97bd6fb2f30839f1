#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reading the configuration, and never printing a credential.

mod support;

use idp_cf_access::{Auth, Client, Config, DEFAULT_BASE_URL, VARIABLES, VENDOR};
use idp_core::{ErrorKind, Overrides, TransportOptions};
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
    assert_eq!(err.vendor(), VENDOR);
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

#[test]
fn overrides_win_over_the_variables() {
    let mut overrides = Overrides::none();
    overrides.account_id = Some(" 0123456789abcdef0123456789abcdef ".to_owned());
    overrides.base_url = Some("https://flag.example.com/v4".to_owned());
    overrides.region = Some("ignored".to_owned());
    let config = Config::from_sources(
        lookup(&[
            ("CLOUDFLARE_API_TOKEN", TOKEN),
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
            ("CLOUDFLARE_BASE_URL", "https://env.example.com/v4"),
        ]),
        &overrides,
    )
    .unwrap();
    assert_eq!(config.account_id(), "0123456789abcdef0123456789abcdef");
    assert_eq!(config.base_url(), "https://flag.example.com/v4");

    // An override supplies what the environment lacks; a blank one counts as not given.
    let mut overrides = Overrides::none();
    overrides.account_id = Some(ACCOUNT.to_owned());
    let config =
        Config::from_sources(lookup(&[("CLOUDFLARE_API_TOKEN", TOKEN)]), &overrides).unwrap();
    assert_eq!(config.account_id(), ACCOUNT);
    overrides.account_id = Some("  ".to_owned());
    let err =
        Config::from_sources(lookup(&[("CLOUDFLARE_API_TOKEN", TOKEN)]), &overrides).unwrap_err();
    assert!(err.message().contains("CLOUDFLARE_ACCOUNT_ID"), "{err}");
}

#[test]
fn the_variables_table_names_the_flags() {
    let flag = |name: &str| {
        VARIABLES
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.flag)
    };
    assert_eq!(flag("CLOUDFLARE_ACCOUNT_ID"), Some("--account-id"));
    assert_eq!(flag("CLOUDFLARE_BASE_URL"), Some("--base-url"));
    assert_eq!(flag("CLOUDFLARE_API_TOKEN"), None);
    let required: Vec<&str> = VARIABLES
        .iter()
        .filter(|v| v.required)
        .map(|v| v.name)
        .collect();
    assert_eq!(required, ["CLOUDFLARE_ACCOUNT_ID"]);
}

#[test]
fn a_credential_in_the_wrong_variable_is_never_quoted() {
    const PEM: &str =
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
    let pasted_token_url = format!("https://api.cloudflare.com/{TOKEN}");
    let cases: Vec<(&str, String)> = vec![
        ("CLOUDFLARE_BASE_URL", TOKEN.to_owned()),
        ("CLOUDFLARE_BASE_URL", pasted_token_url),
        ("CLOUDFLARE_BASE_URL", PEM.to_owned()),
        ("CLOUDFLARE_ACCOUNT_ID", TOKEN.to_owned()),
        ("CLOUDFLARE_ACCOUNT_ID", KEY.to_owned()),
        ("CLOUDFLARE_ACCOUNT_ID", PEM.to_owned()),
        ("CLOUDFLARE_ACCOUNT_ID", format!("x{}", "y".repeat(70))),
    ];
    for (name, value) in cases {
        let mut vars = vec![
            ("CLOUDFLARE_EMAIL", EMAIL),
            ("CLOUDFLARE_API_KEY", KEY),
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
        ];
        if name == "CLOUDFLARE_ACCOUNT_ID" {
            vars.retain(|(n, _)| *n != name);
        }
        vars.push((name, &value));
        // A token in the account id is checked against the token, a key against the key.
        if value.contains(TOKEN) {
            vars.push(("CLOUDFLARE_API_TOKEN", TOKEN));
        }
        let err = Config::from_lookup(lookup(&vars))
            .and_then(|config| Client::new(config, TransportOptions::default()))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{name}={value:?}");
        let printed = format!("{err} {err:?}");
        assert!(printed.contains(name), "{printed}");
        for secret in [TOKEN, KEY, "BEGIN", "MIIE", "yyyyyyyy"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }
}
