//! Configuration from variables, validation, and redaction of secrets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use idp_alibaba_cloudsso::{Client, Config, DEFAULT_REGION, RequestStyle};
use idp_core::{ErrorKind, Secret, TransportOptions};

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

#[test]
fn minimal_environment_uses_the_default_region() {
    let config = load(&base()).unwrap();
    assert_eq!(config.access_key_id(), "LTAI-key");
    assert_eq!(config.directory_id(), "d-00fc2p61abcd");
    assert_eq!(config.region_id(), DEFAULT_REGION);
    assert_eq!(
        config.endpoint(),
        "https://cloudsso.cn-shanghai.aliyuncs.com"
    );
    assert!(!config.has_security_token());
    assert_eq!(config.request_style(), RequestStyle::FormBody);
    let client = Client::new(config, TransportOptions::default()).unwrap();
    assert_eq!(
        client.endpoint().as_str(),
        "https://cloudsso.cn-shanghai.aliyuncs.com/"
    );
}

#[test]
fn each_missing_or_empty_variable_is_named() {
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

        env.insert(name.to_owned(), String::new());
        let err = load(&env).unwrap_err();
        assert!(err.message().contains(name), "{err}");
    }
}

#[test]
fn optional_variables() {
    let mut env = base();
    env.insert("ALIBABA_CLOUD_SECURITY_TOKEN".into(), TOKEN.into());
    env.insert("ALIBABA_CLOUD_REGION_ID".into(), "ap-southeast-1".into());
    let config = load(&env).unwrap();
    assert!(config.has_security_token());
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

    // Empty optional values count as unset.
    let mut env = base();
    env.insert("ALIBABA_CLOUD_SECURITY_TOKEN".into(), String::new());
    env.insert("ALIBABA_CLOUD_REGION_ID".into(), String::new());
    env.insert("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT".into(), String::new());
    let config = load(&env).unwrap();
    assert!(!config.has_security_token());
    assert_eq!(config.region_id(), DEFAULT_REGION);
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
        // Built from code, the same check happens in Client::new.
        let config = Config::new("k", Secret::new("s"), "d-1").with_region_id(bad);
        let err = Client::new(config, TransportOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
    }
}

#[test]
fn endpoints_are_checked() {
    let mut env = base();
    env.insert("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT".into(), "not a url".into());
    assert_eq!(load(&env).unwrap_err().kind(), ErrorKind::Config);

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
}

#[test]
fn bad_directory_ids_are_config_errors() {
    for bad in ["d-1\n", &"d".repeat(65)] {
        let mut env = base();
        env.insert("ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID".into(), bad.to_owned());
        assert_eq!(load(&env).unwrap_err().kind(), ErrorKind::Config, "{bad:?}");
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
