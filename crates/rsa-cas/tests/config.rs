//! Key files, configuration from variables and overrides, base-URL rules, and the private key
//! never printed: not in `Debug`, not in any configuration error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use idp_core::{ErrorKind, Overrides, TransportOptions};
use idp_rsa_cas::{Client, Config, ENV_BASE_URL, ENV_KEY_FILE, KeyFile, VARIABLES, VENDOR};
use serde_json::json;

const URL: &str = "https://acme.access.securid.com/AdminInterface/restapi";

/// A key file written under the system temp dir, removed when dropped.
struct TempKeyFile(PathBuf);

impl TempKeyFile {
    fn new(contents: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "idp-rsa-cas-test-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).unwrap();
        TempKeyFile(path)
    }

    fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempKeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn with(field: &str, value: serde_json::Value) -> String {
    let mut file: serde_json::Value = serde_json::from_str(&key_json(URL)).unwrap();
    file[field] = value;
    file.to_string()
}

fn without(field: &str) -> String {
    let mut file: serde_json::Value = serde_json::from_str(&key_json(URL)).unwrap();
    file.as_object_mut().unwrap().remove(field);
    file.to_string()
}

fn config_error(json: &str) -> String {
    let err = KeyFile::from_json(json).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert_eq!(err.vendor(), idp_rsa_cas::VENDOR);
    let text = format!("{err} {err:?}");
    assert_no_key(&text);
    text
}

#[test]
fn a_good_key_file_loads() {
    let key = KeyFile::from_json(&key_json(URL)).unwrap();
    assert_eq!(key.access_id(), ACCESS_ID);
    assert_eq!(key.customer_name(), Some(CUSTOMER));
    assert_eq!(key.description(), Some("idp tests"));
    assert_eq!(key.admin_rest_api_url(), URL);
    assert_eq!(key.access_key().expose(), test_key().pkcs1_pem);
}

#[test]
fn optional_fields_may_be_missing_and_a_pkcs8_key_is_accepted() {
    let json = json!({
        "accessID": ACCESS_ID,
        "accessKey": test_key().pkcs8_pem,
        "adminRestApiUrl": URL,
        "someFutureField": [1, 2, 3],
    })
    .to_string();
    let key = KeyFile::from_json(&json).unwrap();
    assert_eq!(key.customer_name(), None);
    assert_eq!(key.description(), None);
}

#[test]
fn malformed_key_files_say_which_problem() {
    let cases: Vec<(String, &str)> = vec![
        ("not json at all".into(), "is not JSON"),
        ("{\"accessID\": ".into(), "is not JSON"),
        ("".into(), "is not JSON"),
        ("[1, 2]".into(), "not an object"),
        (without("accessID"), "has no \"accessID\" field"),
        (without("accessKey"), "has no \"accessKey\" field"),
        (
            without("adminRestApiUrl"),
            "has no \"adminRestApiUrl\" field",
        ),
        (with("accessID", json!("  ")), "\"accessID\" field is empty"),
        (with("accessKey", json!("")), "\"accessKey\" field is empty"),
        (
            with("accessID", json!(42)),
            "\"accessID\" field must be a string, not a number",
        ),
        (
            with("accessKey", json!({"pem": "x"})),
            "\"accessKey\" field must be a string, not an object",
        ),
        (
            with("customerName", json!(["x"])),
            "\"customerName\" field must be a string, not an array",
        ),
        (
            with("accessKey", json!("c2VjcmV0")),
            "accessKey is not an RSA private key: it is not PEM",
        ),
        (
            with("accessKey", json!(test_key().public_pem)),
            "accessKey is not an RSA private key: it is a public key",
        ),
        (
            with("accessKey", json!(test_key().public_pkcs1_pem)),
            "accessKey is not an RSA private key: it is a public key",
        ),
        (
            with(
                "accessKey",
                json!("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
            ),
            "accessKey is not an RSA private key",
        ),
        (
            // Well-formed DER, but a public key under a private key's label: only signing
            // tells.
            with(
                "accessKey",
                json!(
                    test_key()
                        .public_pkcs1_pem
                        .replace("RSA PUBLIC KEY", "RSA PRIVATE KEY")
                ),
            ),
            "accessKey is not an RSA private key: it cannot sign",
        ),
        (
            with("adminRestApiUrl", json!("acme.access.securid.com")),
            "adminRestApiUrl \"acme.access.securid.com\" is not a URL",
        ),
        (
            with("adminRestApiUrl", json!(test_key().pkcs1_pem)),
            "adminRestApiUrl holds key material",
        ),
        (
            with(
                "adminRestApiUrl",
                json!(format!("https://acme.example.com/{}", private_key_canary())),
            ),
            "adminRestApiUrl holds key material",
        ),
        (
            with("accessID", json!(test_key().pkcs1_pem)),
            "accessID holds key material",
        ),
    ];
    for (json, needle) in cases {
        let text = config_error(&json);
        assert!(text.contains(needle), "want {needle:?} in {text:?}");
    }
}

#[test]
fn a_truncated_private_key_is_refused() {
    let pem = &test_key().pkcs1_pem;
    let mut lines: Vec<&str> = pem.lines().collect();
    lines.drain(3..lines.len() - 3);
    let text = config_error(&with("accessKey", json!(lines.join("\n"))));
    assert!(
        text.contains("accessKey is not an RSA private key"),
        "{text}"
    );
}

#[test]
fn key_files_are_read_from_a_path() {
    let file = TempKeyFile::new(&key_json(URL));
    let key = KeyFile::from_path(file.path()).unwrap();
    assert_eq!(key.access_id(), ACCESS_ID);

    let broken = TempKeyFile::new(&without("accessKey"));
    let err = KeyFile::from_path(broken.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains(&broken.path()), "{err}");
    assert!(err.message().contains("no \"accessKey\" field"), "{err}");

    let missing = std::env::temp_dir().join("idp-rsa-cas-test-does-not-exist.json");
    let err = KeyFile::from_path(&missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.message().contains("could not read the key file"),
        "{err}"
    );
    assert!(
        err.message().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[test]
fn from_lookup_reads_the_key_file_and_optional_base_url() {
    let file = TempKeyFile::new(&key_json(URL));
    let path = file.path();

    let config = Config::from_lookup(|name| (name == ENV_KEY_FILE).then(|| path.clone())).unwrap();
    assert_eq!(config.base_url(), URL);
    assert_eq!(config.key_file().access_id(), ACCESS_ID);

    let config = Config::from_lookup(|name| match name {
        ENV_KEY_FILE => Some(path.clone()),
        ENV_BASE_URL => Some("https://proxy.example.com/AdminInterface/restapi/v1".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(
        config.base_url(),
        "https://proxy.example.com/AdminInterface/restapi/v1"
    );
    assert_eq!(
        config.key_file().admin_rest_api_url(),
        URL,
        "the audience is unchanged"
    );

    // An empty override counts as unset.
    let config = Config::from_lookup(|name| match name {
        ENV_KEY_FILE => Some(path.clone()),
        ENV_BASE_URL => Some(String::new()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.base_url(), URL);
}

#[test]
fn a_missing_or_empty_key_file_variable_is_named() {
    for value in [None, Some(String::new()), Some("   ".to_owned())] {
        let err = Config::from_lookup(|_| value.clone()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("RSA_CAS_KEY_FILE"), "{err}");
    }
}

#[test]
fn plain_http_is_refused_unless_loopback_or_allowed() {
    let remote = "http://acme.example.com/AdminInterface/restapi";
    let err = Client::new(Config::new(key_file(remote)), TransportOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("http://"), "{err}");

    let allowed = TransportOptions::default().with_allow_insecure_http(true);
    assert!(Client::new(Config::new(key_file(remote)), allowed).is_ok());

    let local = "http://127.0.0.1:9/AdminInterface/restapi";
    assert!(Client::new(Config::new(key_file(local)), TransportOptions::default()).is_ok());

    let err = Client::new(
        Config::new(key_file(URL)).with_base_url("not a url"),
        TransportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn debug_output_never_shows_the_private_key() {
    let key = key_file(URL);
    let config = Config::new(key.clone()).with_base_url("https://proxy.example.com");
    let client = Client::new(config.clone(), TransportOptions::default()).unwrap();
    let canary = private_key_canary();
    for text in [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", key.access_key()),
    ] {
        assert!(!text.contains(&canary), "private key leaked: {text}");
        assert!(!text.contains("PRIVATE KEY"), "private key leaked: {text}");
    }
    let text = format!("{client:?}");
    assert!(text.contains(ACCESS_ID), "{text}");
    assert!(text.contains("proxy.example.com"), "{text}");
    assert!(format!("{key:?}").contains("REDACTED"));
}

#[test]
fn the_variables_table_lists_what_is_read() {
    let names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
    assert_eq!(names, [ENV_KEY_FILE, ENV_BASE_URL]);
    let key = &VARIABLES[0];
    assert!(key.required && !key.secret);
    assert_eq!(key.flag, Some("--key-file"));
    let base = &VARIABLES[1];
    assert!(!base.required && !base.secret);
    assert_eq!(base.flag, Some("--base-url"));
    assert!(VARIABLES.iter().all(|v| !v.help.is_empty()));
}

#[test]
fn overrides_win_over_the_variables() {
    let from_env = TempKeyFile::new(&key_json(URL));
    let from_flag = TempKeyFile::new(&key_json(
        "https://flag.access.securid.com/AdminInterface/restapi",
    ));
    let env_path = from_env.path();
    let lookup = |name: &str| match name {
        ENV_KEY_FILE => Some(env_path.clone()),
        ENV_BASE_URL => Some("https://env-proxy.example.com".to_owned()),
        _ => None,
    };
    let mut overrides = Overrides::none();
    overrides.key_file = Some(PathBuf::from(from_flag.path()));
    overrides.base_url = Some(" https://flag-proxy.example.com ".to_owned());
    let config = Config::from_sources(lookup, &overrides).unwrap();
    assert_eq!(
        config.key_file().admin_rest_api_url(),
        "https://flag.access.securid.com/AdminInterface/restapi"
    );
    assert_eq!(config.base_url(), "https://flag-proxy.example.com");

    // A blank flag counts as unset; without overrides the variables apply.
    overrides.base_url = Some("  ".to_owned());
    let config = Config::from_sources(lookup, &overrides).unwrap();
    assert_eq!(config.base_url(), "https://env-proxy.example.com");
    let config = Config::from_sources(lookup, &Overrides::none()).unwrap();
    assert_eq!(config.key_file().admin_rest_api_url(), URL);

    // A key file from the flag needs no variable at all.
    let mut only_flag = Overrides::none();
    only_flag.key_file = Some(PathBuf::from(from_flag.path()));
    assert!(Config::from_sources(|_| None, &only_flag).is_ok());
}

#[test]
fn a_key_file_variable_holding_the_key_itself_is_not_quoted() {
    // RSA_CAS_KEY_FILE="$(cat key.json)": the "path" is the whole file, private key included.
    let json = key_json(URL);
    let pem = test_key().pkcs1_pem.clone();
    for value in [json, pem] {
        let err =
            Config::from_lookup(|name| (name == ENV_KEY_FILE).then(|| value.clone())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert_eq!(err.vendor(), VENDOR);
        let text = format!("{err} {err:?}");
        assert!(text.contains("could not read the key file"), "{text}");
        assert!(text.contains("not shown"), "{text}");
        assert_no_key(&text);
    }
}

#[test]
fn a_base_url_holding_key_material_is_refused_without_the_value() {
    let file = TempKeyFile::new(&key_json(URL));
    let path = file.path();
    for pasted in [
        test_key().pkcs1_pem.clone(),
        format!("https://proxy.example.com/{}", private_key_canary()),
    ] {
        let config = Config::from_lookup(|name| match name {
            ENV_KEY_FILE => Some(path.clone()),
            ENV_BASE_URL => Some(pasted.clone()),
            _ => None,
        })
        .unwrap();
        let debug = format!("{config:?}");
        assert_no_key(&debug);
        let err = Client::new(config, TransportOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert_eq!(err.vendor(), VENDOR);
        let text = format!("{err} {err:?}");
        assert!(text.contains("RSA_CAS_BASE_URL"), "{text}");
        assert_no_key(&text);
    }
}

#[test]
fn a_bad_base_url_names_where_it_came_from() {
    let err = Client::new(
        Config::new(key_file(URL)).with_base_url("not a url"),
        TransportOptions::default(),
    )
    .unwrap_err();
    assert!(err.message().contains("RSA_CAS_BASE_URL"), "{err}");
    let err = Client::new(
        Config::new(key_file("http://acme.example.com/AdminInterface/restapi")),
        TransportOptions::default(),
    )
    .unwrap_err();
    assert!(err.message().contains("adminRestApiUrl"), "{err}");
}
