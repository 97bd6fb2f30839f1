//! Configuration: the variables table, overrides, base URL checks, the API version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use common::*;
use idp_core::{ErrorKind, Overrides, TransportOptions};
use idp_onelogin::{
    ApiVersion, Client, Config, ENV_API_VERSION, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
    VARIABLES,
};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

const FULL: [(&str, &str); 3] = [
    (ENV_CLIENT_ID, "my-client"),
    (ENV_CLIENT_SECRET, SECRET),
    (ENV_BASE_URL, "https://acme.onelogin.com"),
];

#[test]
fn the_variables_table_lists_every_variable_read() {
    let names: Vec<_> = VARIABLES.iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        [
            "ONELOGIN_CLIENT_ID",
            "ONELOGIN_CLIENT_SECRET",
            "ONELOGIN_BASE_URL",
            "ONELOGIN_API_VERSION"
        ]
    );
    let secrets: Vec<_> = VARIABLES
        .iter()
        .filter(|v| v.secret)
        .map(|v| v.name)
        .collect();
    assert_eq!(secrets, [ENV_CLIENT_SECRET]);
    let required: Vec<_> = VARIABLES
        .iter()
        .filter(|v| v.required)
        .map(|v| v.name)
        .collect();
    assert_eq!(required, [ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_BASE_URL]);
    let flags: Vec<_> = VARIABLES.iter().filter_map(|v| v.flag).collect();
    assert_eq!(flags, ["--base-url"]);
}

#[test]
fn reads_the_variables_trimmed() {
    let config = Config::from_lookup(env(&[
        (ENV_CLIENT_ID, " my-client\n"),
        (ENV_CLIENT_SECRET, "s3cret-canary\n"),
        (ENV_BASE_URL, "https://acme.onelogin.com "),
    ]))
    .unwrap();
    assert_eq!(config.client_id(), "my-client");
    assert_eq!(config.base_url(), "https://acme.onelogin.com");
    assert_eq!(config.api_version(), ApiVersion::V1);
}

#[test]
fn the_base_url_override_wins() {
    let mut overrides = Overrides::none();
    overrides.base_url = Some("http://127.0.0.1:9".into());
    let config = Config::from_sources(env(&FULL), &overrides).unwrap();
    assert_eq!(config.base_url(), "http://127.0.0.1:9");
    // With the override, the variable is not needed.
    let without: Vec<_> = FULL
        .iter()
        .copied()
        .filter(|(k, _)| *k != ENV_BASE_URL)
        .collect();
    assert!(Config::from_sources(env(&without), &overrides).is_ok());
}

#[test]
fn a_missing_or_blank_variable_is_named() {
    for missing in [ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_BASE_URL] {
        let without: Vec<_> = FULL
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        let err = Config::from_lookup(env(&without)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.vendor(), "onelogin");
        assert!(err.message().contains(missing), "{err}");

        let blank: Vec<_> = FULL
            .iter()
            .map(|&(k, v)| if k == missing { (k, "  \n") } else { (k, v) })
            .collect();
        let err = Config::from_lookup(env(&blank)).unwrap_err();
        assert!(err.message().contains(missing), "{err}");
    }
}

#[test]
fn the_api_version_is_optional_and_checked() {
    for (raw, version) in [
        ("2", ApiVersion::V2),
        ("v2", ApiVersion::V2),
        ("V1", ApiVersion::V1),
        ("", ApiVersion::V1),
    ] {
        let mut vars = FULL.to_vec();
        vars.push((ENV_API_VERSION, raw));
        assert_eq!(
            Config::from_lookup(env(&vars)).unwrap().api_version(),
            version,
            "{raw}"
        );
    }
    let mut vars = FULL.to_vec();
    vars.push((ENV_API_VERSION, "3"));
    let err = Config::from_lookup(env(&vars)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains(ENV_API_VERSION), "{err}");
    assert!(err.message().contains("\"3\""), "{err}");
}

#[test]
fn base_urls_are_checked_when_the_client_is_built() {
    let build =
        |url: &str| Client::new(Config::new(url, "id", SECRET), TransportOptions::default());
    for good in [
        "https://acme.onelogin.com",
        "https://acme.onelogin.com/",
        "https://api.us.onelogin.com",
        "https://api.eu.onelogin.com",
        "http://127.0.0.1:8080",
    ] {
        assert!(build(good).is_ok(), "{good}");
    }
    for bad in [
        "acme.onelogin.com",
        "http://acme.onelogin.com",
        "https://acme.onelogin.com/api/1",
        "https://acme.onelogin.com/api/2/",
        "https://acme.onelogin.com/auth/oauth2/v2/token",
        "ftp://acme.onelogin.com",
        "https://acme.onelogin.com?x=1",
    ] {
        let err = build(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
        assert_eq!(err.vendor(), "onelogin");
        assert!(err.message().contains(ENV_BASE_URL), "{bad}: {err}");
    }
    let insecure = TransportOptions::default().with_allow_insecure_http(true);
    assert!(Client::new(Config::new("http://idp.internal", "id", SECRET), insecure).is_ok());
}

#[test]
fn empty_credentials_are_refused() {
    let options = TransportOptions::default;
    let err =
        Client::new(Config::new("https://a.onelogin.com", "", SECRET), options()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Client::new(Config::new("https://a.onelogin.com", "id", " "), options()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}
