//! Configuration from variables and overrides, validation, and that no error or `Debug`
//! output shows a secret.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use idp_alibaba_cloudsso::{
    Client, Config, DEFAULT_REGION, ENV_SIGNATURE_VERSION, RequestStyle, SignatureVersion,
    VARIABLES,
};
use idp_core::{ErrorKind, Overrides, Secret, TransportOptions};

const SECRET: &str = "secret-CANARY-1b2c";
const TOKEN: &str = "token-CANARY-3d4e";

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn base() -> HashMap<String, String> {
    vars(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-key"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID", "d-00fc2p61abcd"),
    ])
}

fn load(env: &HashMap<String, String>) -> Result<Config, idp_core::Error> {
    Config::from_lookup(|name| env.get(name).cloned())
}

fn overrides(apply: impl FnOnce(&mut Overrides)) -> Overrides {
    let mut overrides = Overrides::none();
    apply(&mut overrides);
    overrides
}

#[test]
fn minimal_environment_uses_the_defaults() {
    let config = load(&base()).unwrap();
    assert_eq!(config.access_key_id(), "LTAI-key");
    assert_eq!(config.directory_id(), "d-00fc2p61abcd");
    assert_eq!(config.region_id(), DEFAULT_REGION);
    assert_eq!(
        config.endpoint(),
        "https://cloudsso.cn-shanghai.aliyuncs.com"
    );
    assert!(!config.has_security_token());
    assert_eq!(config.request_style(), RequestStyle::Query);
    assert_eq!(config.signature_version(), SignatureVersion::V3);
    let client = Client::new(config, TransportOptions::default()).unwrap();
    assert_eq!(
        client.endpoint().as_str(),
        "https://cloudsso.cn-shanghai.aliyuncs.com/"
    );
}

#[test]
fn the_variables_table_lists_every_variable_read() {
    let names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
    for name in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
        "ALIBABA_CLOUD_REGION_ID",
        "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT",
        "ALIBABA_CLOUD_SIGNATURE_VERSION",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    let secret = |name: &str| VARIABLES.iter().find(|v| v.name == name).unwrap().secret;
    assert!(secret("ALIBABA_CLOUD_ACCESS_KEY_SECRET") && secret("ALIBABA_CLOUD_SECURITY_TOKEN"));
    assert!(
        VARIABLES
            .iter()
            .filter(|v| v.secret)
            .all(|v| v.flag.is_none())
    );
    let flag = |name: &str| VARIABLES.iter().find(|v| v.name == name).unwrap().flag;
    assert_eq!(flag(ENV_SIGNATURE_VERSION), Some("--signature-version"));
    assert_eq!(
        flag("ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID"),
        Some("--directory-id")
    );
}

#[test]
fn each_missing_or_blank_variable_is_named() {
    for name in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
    ] {
        let mut env = base();
        env.remove(name);
        let err = load(&env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains(name), "{err}");

        env.insert(name.to_owned(), " \n".to_owned());
        let err = load(&env).unwrap_err();
        assert!(err.message().contains(name), "{err}");
    }
}

#[test]
fn secrets_are_trimmed_like_every_variable() {
    let mut env = base();
    env.insert(
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET".into(),
        format!("{SECRET}\n"),
    );
    env.insert(
        "ALIBABA_CLOUD_SECURITY_TOKEN".into(),
        format!("  {TOKEN}\r\n"),
    );
    env.insert("ALIBABA_CLOUD_ACCESS_KEY_ID".into(), " LTAI-key\n".into());
    let config = load(&env).unwrap();
    assert_eq!(config.access_key_id(), "LTAI-key");
    assert!(config.has_security_token());
}

#[test]
fn optional_variables() {
    let mut env = base();
    env.insert("ALIBABA_CLOUD_SECURITY_TOKEN".into(), TOKEN.into());
    env.insert("ALIBABA_CLOUD_REGION_ID".into(), "ap-southeast-1".into());
    env.insert("ALIBABA_CLOUD_SIGNATURE_VERSION".into(), "V2".into());
    let config = load(&env).unwrap();
    assert!(config.has_security_token());
    assert_eq!(config.signature_version(), SignatureVersion::V2);
    assert_eq!(
        config.endpoint(),
        "https://cloudsso.ap-southeast-1.aliyuncs.com"
    );

    env.insert(
        "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT".into(),
        "https://cloudsso-vpc.example.internal/".into(),
    );
    let config = load(&env).unwrap();
    assert_eq!(config.endpoint(), "https://cloudsso-vpc.example.internal/");

    // Blank optional values count as unset.
    let mut env = base();
    for name in [
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALIBABA_CLOUD_REGION_ID",
        "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT",
        "ALIBABA_CLOUD_SIGNATURE_VERSION",
    ] {
        env.insert(name.into(), " ".into());
    }
    let config = load(&env).unwrap();
    assert!(!config.has_security_token());
    assert_eq!(config.region_id(), DEFAULT_REGION);
    assert_eq!(config.signature_version(), SignatureVersion::V3);
}

#[test]
fn an_unknown_signature_version_is_a_config_error() {
    for bad in ["v4", "3", "hmac-sha1", "ACS3-HMAC-SHA256"] {
        let mut env = base();
        env.insert(ENV_SIGNATURE_VERSION.into(), bad.into());
        let err = load(&env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
        assert!(err.message().contains(ENV_SIGNATURE_VERSION), "{err}");
        let flagged = Config::from_sources(
            |name| base().get(name).cloned(),
            &overrides(|o| o.signature_version = Some(bad.into())),
        )
        .unwrap_err();
        assert!(
            flagged.message().contains("--signature-version"),
            "{flagged}"
        );
    }
}

#[test]
fn overrides_win_over_variables() {
    let mut env = base();
    env.insert("ALIBABA_CLOUD_REGION_ID".into(), "us-west-1".into());
    env.insert(ENV_SIGNATURE_VERSION.into(), "v3".into());
    let config = Config::from_sources(
        |name| env.get(name).cloned(),
        &overrides(|o| {
            o.directory_id = Some(" d-fromflag ".into());
            o.region = Some("eu-central-1".into());
            o.signature_version = Some("v2".into());
            // Not this vendor's: ignored.
            o.account_id = Some("ignored".into());
        }),
    )
    .unwrap();
    assert_eq!(config.directory_id(), "d-fromflag");
    assert_eq!(config.region_id(), "eu-central-1");
    assert_eq!(config.signature_version(), SignatureVersion::V2);

    let config = Config::from_sources(
        |name| env.get(name).cloned(),
        &overrides(|o| o.endpoint = Some("http://127.0.0.1:9".into())),
    )
    .unwrap();
    assert_eq!(config.endpoint(), "http://127.0.0.1:9");
    // The directory flag alone satisfies the requirement.
    let mut env = base();
    env.remove("ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID");
    let config = Config::from_sources(
        |name| env.get(name).cloned(),
        &overrides(|o| o.directory_id = Some("d-1".into())),
    )
    .unwrap();
    assert_eq!(config.directory_id(), "d-1");
}

#[test]
fn a_region_cannot_change_the_host() {
    for bad in [
        "evil.com/",
        "cn-shanghai.attacker.net#",
        "cn-shanghai@evil",
        "CN-SHANGHAI",
        "-x",
        "a b",
    ] {
        let mut env = base();
        env.insert("ALIBABA_CLOUD_REGION_ID".into(), bad.into());
        let err = load(&env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
        assert!(err.message().contains("ALIBABA_CLOUD_REGION_ID"), "{err}");
        // Built from code, the same check happens in Client::new.
        let config = Config::new("k", Secret::new("s3cr3t-value"), "d-1").with_region_id(bad);
        let err = Client::new(config, TransportOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
        assert_eq!(err.vendor(), "alibaba-cloudsso");
    }
}

#[test]
fn a_secret_in_the_wrong_variable_is_never_quoted() {
    for name in [
        "ALIBABA_CLOUD_REGION_ID",
        "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT",
        "ALIBABA_CLOUD_SIGNATURE_VERSION",
    ] {
        for pasted in [
            SECRET.to_owned(),
            TOKEN.to_owned(),
            format!("https://x/{SECRET}"),
        ] {
            let mut env = base();
            env.insert("ALIBABA_CLOUD_SECURITY_TOKEN".into(), TOKEN.into());
            env.insert(name.into(), format!("{pasted} x"));
            let Err(err) = load(&env) else {
                continue;
            };
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("CANARY"), "{name}: {shown}");
            assert!(shown.contains(name), "{name}: {shown}");
        }
    }
    let mut env = base();
    env.insert("ALIBABA_CLOUD_REGION_ID".into(), "x".repeat(65));
    let shown = load(&env).unwrap_err().to_string();
    assert!(!shown.contains("xxxxxxxx"), "{shown}");
    let mut env = base();
    env.insert(
        "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID".into(),
        "-----BEGIN RSA PRIVATE KEY-----".into(),
    );
    let shown = load(&env).unwrap_err().to_string();
    assert!(!shown.contains("BEGIN"), "{shown}");
}

#[test]
fn endpoints_are_checked() {
    let mut env = base();
    env.insert("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT".into(), "not a url".into());
    let err = load(&env).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.message().contains("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT"),
        "{err}"
    );

    // Plain http only to loopback, unless the transport allows it.
    let config = Config::new("k", Secret::new("s"), "d-1").with_endpoint("http://sso.example.com");
    let err = Client::new(config.clone(), TransportOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        Client::new(
            config,
            TransportOptions::default().with_allow_insecure_http(true)
        )
        .is_ok()
    );
    let local = Config::new("k", Secret::new("s"), "d-1").with_endpoint("http://127.0.0.1:9");
    assert!(Client::new(local, TransportOptions::default()).is_ok());
    let with_credentials =
        Config::new("k", Secret::new("s"), "d-1").with_endpoint("https://user:pw@sso.example.com");
    let err = Client::new(with_credentials, TransportOptions::default()).unwrap_err();
    assert!(!err.to_string().contains("pw@"), "{err}");
}

#[test]
fn bad_directory_ids_are_config_errors() {
    for bad in [
        "d-1\nx",
        &"d".repeat(65),
        "u-1",
        "d-",
        "d-a.b",
        "00fc2p61abcd",
        "d-1 # x",
    ] {
        let mut env = base();
        env.insert("ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID".into(), bad.to_owned());
        let err = load(&env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
        assert!(
            err.message()
                .contains("ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID"),
            "{err}"
        );
    }
}

#[test]
fn debug_never_shows_secrets() {
    let mut env = base();
    env.insert("ALIBABA_CLOUD_SECURITY_TOKEN".into(), TOKEN.into());
    let config = load(&env).unwrap();
    let shown = format!("{config:?} {config:#?}");
    assert!(!shown.contains("CANARY"), "{shown}");
    assert!(shown.contains("LTAI-key"), "{shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");

    let client = Client::new(config, TransportOptions::default()).unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert!(!shown.contains("CANARY"), "{shown}");
    assert!(shown.contains("d-00fc2p61abcd"), "{shown}");
}
