//! Configuration from variables and overrides, URL rules, and secrets never printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use idp_aa_controlroom::{
    ApiVersion, Client, Config, Credentials, ENV_API_KEY, ENV_API_VERSION, ENV_PASSWORD, ENV_URL,
    ENV_USERNAME, VARIABLES,
};
use idp_core::{ErrorKind, Overrides, TransportOptions};

const CANARY: &str = "s3cr3t-CANARY";

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |key| map.get(key).cloned()
}

#[test]
fn from_lookup_reads_url_username_and_password_trimmed() {
    let config = Config::from_lookup(lookup(&[
        ("AA_CONTROL_ROOM_URL", "https://cr.example.com"),
        ("AA_USERNAME", " bot\n"),
        ("AA_PASSWORD", &format!("{CANARY}\n")),
    ]))
    .unwrap();
    assert_eq!(config.control_room_url(), "https://cr.example.com");
    assert_eq!(config.api_version(), ApiVersion::V1);
    match config.credentials() {
        Credentials::Password { username, password } => {
            assert_eq!(username, "bot");
            assert_eq!(password.expose(), CANARY);
        }
        other => panic!("expected a password, got {other:?}"),
    }
}

#[test]
fn the_api_key_wins_when_both_are_set() {
    let config = Config::from_lookup(lookup(&[
        ("AA_CONTROL_ROOM_URL", "https://cr.example.com"),
        ("AA_USERNAME", "bot"),
        ("AA_PASSWORD", "pw"),
        ("AA_API_KEY", CANARY),
        ("AA_API_VERSION", "v2"),
    ]))
    .unwrap();
    assert_eq!(config.credentials().kind(), "api_key");
    assert_eq!(config.credentials().username(), Some("bot"));
    assert_eq!(config.api_version(), ApiVersion::V2);
    match config.credentials() {
        Credentials::ApiKey { api_key, .. } => assert_eq!(api_key.expose(), CANARY),
        other => panic!("expected an API key, got {other:?}"),
    }
}

#[test]
fn the_base_url_override_wins_over_the_variable() {
    let vars = [
        ("AA_CONTROL_ROOM_URL", "https://from-env.example.com"),
        ("AA_USERNAME", "bot"),
        ("AA_API_KEY", "k"),
    ];
    let mut overrides = Overrides::none();
    overrides.base_url = Some("https://from-flag.example.com".into());
    let config = Config::from_sources(lookup(&vars), &overrides).unwrap();
    assert_eq!(config.control_room_url(), "https://from-flag.example.com");

    // The URL variable may then be missing.
    let config = Config::from_sources(lookup(&vars[1..]), &overrides).unwrap();
    assert_eq!(config.control_room_url(), "https://from-flag.example.com");
    let config = Config::from_sources(lookup(&vars), &Overrides::none()).unwrap();
    assert_eq!(config.control_room_url(), "https://from-env.example.com");
}

#[test]
fn the_variables_table_lists_every_variable() {
    let names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        [
            ENV_URL,
            ENV_USERNAME,
            ENV_API_KEY,
            ENV_PASSWORD,
            ENV_API_VERSION
        ]
    );
    let secret: Vec<&str> = VARIABLES
        .iter()
        .filter(|v| v.secret)
        .map(|v| v.name)
        .collect();
    assert_eq!(secret, [ENV_API_KEY, ENV_PASSWORD]);
    let required: Vec<&str> = VARIABLES
        .iter()
        .filter(|v| v.required)
        .map(|v| v.name)
        .collect();
    assert_eq!(required, [ENV_URL, ENV_USERNAME]);
    assert_eq!(VARIABLES[0].flag, Some("--base-url"));
    assert!(
        VARIABLES
            .iter()
            .filter(|v| v.secret)
            .all(|v| v.flag.is_none())
    );
}

#[test]
fn a_missing_or_blank_variable_is_named() {
    let full = [
        ("AA_CONTROL_ROOM_URL", "https://cr.example.com"),
        ("AA_USERNAME", "bot"),
        ("AA_PASSWORD", "pw"),
    ];
    for missing in ["AA_CONTROL_ROOM_URL", "AA_USERNAME", "AA_PASSWORD"] {
        for blank in [None, Some(""), Some("   "), Some("\n")] {
            let vars: Vec<_> = full
                .iter()
                .filter_map(|&(k, v)| match (k == missing, blank) {
                    (false, _) => Some((k, v)),
                    (true, Some(value)) => Some((k, value)),
                    (true, None) => None,
                })
                .collect();
            let err = Config::from_lookup(lookup(&vars)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            assert!(err.message().contains(missing), "{missing}: {err}");
            assert_eq!(err.vendor(), "aa-controlroom");
        }
    }
    // Neither secret: the message names both choices.
    let err = Config::from_lookup(lookup(&full[..2])).unwrap_err();
    assert!(err.message().contains("AA_API_KEY"), "{err}");
    assert!(err.message().contains("AA_PASSWORD"), "{err}");
}

#[test]
fn a_bad_api_version_is_a_config_error_that_never_quotes_a_secret() {
    let base = [
        ("AA_CONTROL_ROOM_URL", "https://cr.example.com"),
        ("AA_USERNAME", "bot"),
        ("AA_API_KEY", CANARY),
    ];
    let with_version = |version: &str| {
        let mut vars = base.to_vec();
        vars.push(("AA_API_VERSION", version));
        Config::from_lookup(lookup(&vars)).unwrap_err()
    };
    let err = with_version("v3");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.message().contains("\"v3\"") && err.message().contains("AA_API_VERSION"),
        "{err}"
    );
    let long = "x".repeat(65);
    for risky in [CANARY, "-----BEGIN PRIVATE KEY-----", long.as_str()] {
        let err = with_version(risky);
        let printed = format!("{err} {err:?}");
        assert!(printed.contains("not shown"), "{printed}");
        assert!(
            !printed.contains("CANARY") && !printed.contains("BEGIN"),
            "{printed}"
        );
    }
    assert_eq!(ApiVersion::parse("V1").unwrap(), ApiVersion::V1);
    assert_eq!(ApiVersion::parse("2").unwrap(), ApiVersion::V2);
    assert_eq!(ApiVersion::V2.to_string(), "v2");
}

#[test]
fn a_secret_pasted_into_the_url_variable_is_never_echoed() {
    for pasted in [
        CANARY.to_owned(),
        format!("https://cr.example.com/{CANARY}?x=1"),
    ] {
        let config = Config::from_lookup(lookup(&[
            ("AA_CONTROL_ROOM_URL", &pasted),
            ("AA_USERNAME", "bot"),
            ("AA_PASSWORD", CANARY),
        ]))
        .unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains(CANARY), "{printed}");
        let err = Client::new(config, TransportOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let printed = format!("{err} {err:?}");
        assert!(!printed.contains(CANARY), "{printed}");
    }
}

#[test]
fn no_secret_is_ever_printed() {
    let with_userinfo = format!("https://admin:{CANARY}@cr.example.com");
    let configs = [
        Config::new(
            "https://cr.example.com",
            Credentials::password("bot", CANARY),
        ),
        Config::new(
            "https://cr.example.com",
            Credentials::api_key("bot", CANARY),
        ),
        Config::new("https://cr.example.com", Credentials::token(CANARY)),
        Config::new(with_userinfo, Credentials::token("t")),
    ];
    for config in configs {
        let printed = format!("{config:?} {config:#?} {:?}", config.credentials());
        assert!(!printed.contains(CANARY), "{printed}");
        assert!(printed.contains("Config"), "{printed}");
        match Client::new(config, TransportOptions::default()) {
            Ok(client) => {
                let printed = format!("{client:?} {client:#?}");
                assert!(!printed.contains(CANARY), "{printed}");
                assert!(printed.contains("cr.example.com"), "{printed}");
            }
            Err(err) => assert!(!format!("{err} {err:?}").contains(CANARY)),
        }
    }
    let printed = format!("{:?}", Credentials::password("bot", CANARY));
    assert!(
        printed.contains("bot") && printed.contains("REDACTED"),
        "{printed}"
    );
}

#[test]
fn plain_http_needs_the_opt_in_except_on_loopback() {
    let config = |url: &str| Config::new(url, Credentials::api_key("bot", "k"));

    let err =
        Client::new(config("http://cr.example.com"), TransportOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("allow-insecure-http"), "{err}");
    assert_eq!(err.vendor(), "aa-controlroom");

    let client = Client::new(
        config("http://cr.example.com:8080"),
        TransportOptions::default().with_allow_insecure_http(true),
    )
    .unwrap();
    assert_eq!(
        client.control_room_url().as_str(),
        "http://cr.example.com:8080/"
    );

    Client::new(config("http://127.0.0.1:8080"), TransportOptions::default()).unwrap();
    Client::new(config("http://localhost"), TransportOptions::default()).unwrap();
    Client::new(
        config("https://cr.example.com"),
        TransportOptions::default(),
    )
    .unwrap();

    for bad in [
        "ftp://cr.example.com",
        "not a url",
        "https://cr.example.com/?x=1",
    ] {
        let err = Client::new(config(bad), TransportOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
    }
}

#[test]
fn empty_credentials_are_refused_before_any_request() {
    let url = "https://cr.example.com";
    for credentials in [
        Credentials::password("bot", ""),
        Credentials::password("bot", " \n"),
        Credentials::password(" ", "pw"),
        Credentials::api_key("bot", ""),
        Credentials::token(""),
        Credentials::token("line\nbreak"),
    ] {
        let err =
            Client::new(Config::new(url, credentials), TransportOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    }
}
