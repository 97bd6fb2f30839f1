#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile input through the facade: user ids built to change the request target, and broken
//! configuration. An id is either refused before any request (`InvalidInput`, nothing reaches
//! the simulator) or sent so that the simulator receives exactly the target it should: the
//! same path prefix, one segment that decodes back to the id, no query or fragment smuggled
//! in (for Alibaba's RPC API: exactly one `UserId` parameter equal to the id), and no other
//! user deleted. Broken configuration is a `Config` error whose message names the problem.

mod common;

use std::collections::BTreeSet;

use common::{client, sim};
use idp::{Client, DeleteOutcome, ErrorKind, TransportOptions, Vendor};
use idp_sim::{RecordedRequest, Sims};
use percent_encoding::percent_decode_str;

/// Ids meant to escape their path segment or parameter, or to break a parser.
fn hostile_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "",
        "a/b",
        "/",
        "//evil.example",
        "../../admin",
        "..",
        ".",
        "./",
        "x/..",
        "...",
        "a\\b",
        "..\\..\\windows",
        "user?admin=1",
        "?",
        "user#fragment",
        "#",
        "%",
        "100%",
        "%2F",
        "%2e%2e",
        "..%2F..%2Fadmin",
        "%00",
        "a&b=c",
        "&UserId=victim",
        "UserId=victim",
        "=",
        "a=b",
        ";",
        "a;jsessionid=1",
        "@",
        "http://evil.example/",
        "with space",
        " ",
        "  padded  ",
        "+",
        "a+b",
        "*",
        "~",
        "\"quoted\"",
        "'",
        "<script>",
        "ü",
        "用户",
        "😀",
        "\u{202e}gpj.exe",
        "\u{200b}",
        "ﬀ",
        "１２３",
        "a\nb",
        "\r\nX-Injected: 1",
        "\0",
        "a\tb",
        "\u{7f}",
        "\u{85}",
        "\u{1b}[31m",
        "-1",
        "0",
        "1e3",
        "0x10",
        "99999999999999999999999",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    ids.push("x".repeat(10 * 1024));
    ids.push("é".repeat(5 * 1024));
    ids.push(format!("{}/../admin", "a".repeat(20)));
    ids
}

/// The path prefix every delete of `vendor` must keep (`None` for Alibaba, whose target is `/`
/// with the id as a parameter).
fn delete_prefix(sims: &Sims, vendor: Vendor) -> Option<String> {
    match vendor {
        Vendor::RsaCas => Some("/AdminInterface/restapi/v1/users/".into()),
        Vendor::CfAccess => Some(format!(
            "/client/v4/accounts/{}/access/users/",
            sims.cf_access.account_id()
        )),
        Vendor::OneLogin => Some("/api/1/users/".into()),
        Vendor::AaControlRoom => Some("/v1/usermanagement/users/".into()),
        _ => None,
    }
}

/// Checks the delete request the simulator received for `id`; returns what is wrong.
fn check_target(sims: &Sims, vendor: Vendor, id: &str, request: &RecordedRequest) -> Vec<String> {
    let mut wrong = Vec::new();
    match delete_prefix(sims, vendor) {
        Some(prefix) => {
            let Some(segment) = request.path.strip_prefix(&prefix) else {
                return vec![format!(
                    "path {:?} lost the prefix {prefix:?}",
                    request.path
                )];
            };
            if segment.contains('/') {
                wrong.push(format!("path {:?} has more than one segment", request.path));
            }
            if !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
            {
                wrong.push(format!("segment {segment:?} is not fully encoded"));
            }
            let decoded = percent_decode_str(segment).decode_utf8_lossy();
            if decoded != id {
                wrong.push(format!("segment {segment:?} decodes to {decoded:?}"));
            }
            if request.query.is_some() {
                wrong.push(format!("a query was added: {:?}", request.query));
            }
        }
        None => {
            if request.path != "/" {
                wrong.push(format!("path {:?} is not /", request.path));
            }
            let params = request.params();
            let user_ids: Vec<&str> = params
                .iter()
                .filter(|(k, _)| k == "UserId")
                .map(|(_, v)| v.as_str())
                .collect();
            if user_ids != [id] {
                wrong.push(format!("UserId parameters {user_ids:?}"));
            }
            let names: BTreeSet<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
            let expected: BTreeSet<&str> = [
                "AccessKeyId",
                "Action",
                "DirectoryId",
                "Format",
                "Signature",
                "SignatureMethod",
                "SignatureNonce",
                "SignatureVersion",
                "Timestamp",
                "UserId",
                "Version",
            ]
            .into();
            if names != expected {
                wrong.push(format!("parameters {names:?}"));
            }
            if request.param("DirectoryId").as_deref() != Some(sims.alibaba_cloudsso.directory_id())
            {
                wrong.push("DirectoryId changed".into());
            }
        }
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_are_refused_or_sent_unchanged_for_every_vendor() {
    let sims = Sims::start().await.unwrap();
    let mut problems = Vec::new();
    let mut sent = Vec::new();
    for &vendor in Vendor::ALL {
        let sim = sim(&sims, vendor);
        let client = client(&sims, vendor, TransportOptions::default());
        // Users a hostile id might reach instead of its own.
        let decoys: Vec<String> = ["admin", "victim", "a", "b", "user", "users", "x"]
            .iter()
            .map(|id| sim.add_user(id))
            .collect();
        // A first delete, so token and login requests are out of the way.
        let warm = sim.add_users(1).remove(0);
        client.delete_user(&warm).await.unwrap();

        for id in hostile_ids() {
            let shown = format!("{vendor} {:?}", idp::text::truncate_for_message(&id));
            let valid = client.validate_user_id(&id);
            let before = sim.requests().len();
            if valid.is_ok() {
                // Seed exactly this id: the delete must reach this user and no other.
                sim.add_user(&id);
            }
            let result = client.delete_user(&id).await;
            let requests = sim.requests();
            match valid {
                Err(refused) => {
                    let err = result.as_ref().err();
                    if err.map(idp::Error::kind) != Some(ErrorKind::InvalidInput)
                        || refused.kind() != ErrorKind::InvalidInput
                    {
                        problems.push(format!("{shown}: refused as {refused}, sent as {result:?}"));
                    }
                    if err.is_some_and(|e| e.attempts() != 0) {
                        problems.push(format!("{shown}: refused after attempts"));
                    }
                    if requests.len() != before {
                        problems.push(format!("{shown}: refused, yet a request was sent"));
                    }
                    // Quoting a 10 KB id must not make a 10 KB message.
                    if refused.to_string().len() > 600 {
                        problems.push(format!(
                            "{shown}: message {} bytes",
                            refused.to_string().len()
                        ));
                    }
                }
                Ok(()) => {
                    sent.push(shown.clone());
                    if !matches!(
                        DeleteOutcome::from_result(result.clone()),
                        Ok(DeleteOutcome::Deleted)
                    ) {
                        problems.push(format!("{shown}: not deleted: {result:?}"));
                    }
                    if result.as_ref().is_ok_and(|r| r.attempts != 1) {
                        problems.push(format!("{shown}: {result:?}"));
                    }
                    let deletes: Vec<_> = requests[before..].iter().filter(|r| r.delete).collect();
                    if deletes.len() != 1 {
                        problems.push(format!("{shown}: {} delete requests", deletes.len()));
                    }
                    for request in deletes {
                        for wrong in check_target(&sims, vendor, &id, request) {
                            problems.push(format!("{shown}: {wrong}"));
                        }
                    }
                    if sim.has_user(&id) {
                        problems.push(format!("{shown}: the user is still there"));
                    }
                }
            }
        }
        for decoy in &decoys {
            if !sim.has_user(decoy) {
                problems.push(format!("{vendor}: decoy user {decoy:?} was deleted"));
            }
        }
        if sim.user_count() != decoys.len() {
            problems.push(format!("{vendor}: {} users left", sim.user_count()));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // RSA, whose ids are free-form, really did send much of the list (the check is not
    // vacuous); Cloudflare (UUIDs), CloudSSO (`u-` ids) and the numeric vendors refuse it all.
    let count = sent.iter().filter(|s| s.starts_with("rsa-cas")).count();
    assert!(count >= 20, "rsa-cas: only {count} hostile ids were sent");
}

/// A `Config` error from building a client of `vendor` with `vars` changed in its simulator's
/// environment (an empty value stands for "set but empty").
fn config_error(sims: &Sims, vendor: Vendor, vars: &[(&'static str, &str)]) -> idp::Error {
    let mut env = sim(sims, vendor).env();
    for (name, value) in vars {
        env.retain(|(n, _)| n != name);
        env.push((name, (*value).to_owned()));
    }
    let lookup = idp_sim::lookup_in(env);
    match Client::from_lookup(vendor, lookup, TransportOptions::default()) {
        Ok(client) => panic!("{vendor} {vars:?}: accepted: {client:?}"),
        Err(err) => err,
    }
}

fn assert_config(err: &idp::Error, needles: &[&str], context: &str) {
    assert_eq!(err.kind(), ErrorKind::Config, "{context}: {err}");
    for needle in needles {
        assert!(
            err.to_string().contains(needle),
            "{context}: the message does not name {needle:?}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_configuration_is_a_config_error_naming_the_problem() {
    let sims = Sims::start().await.unwrap();

    // Required variables set but empty count as unset, and are named.
    for (vendor, variable, named) in [
        (Vendor::RsaCas, "RSA_CAS_KEY_FILE", "RSA_CAS_KEY_FILE"),
        (
            Vendor::CfAccess,
            "CLOUDFLARE_API_TOKEN",
            "CLOUDFLARE_API_TOKEN",
        ),
        (
            Vendor::CfAccess,
            "CLOUDFLARE_ACCOUNT_ID",
            "CLOUDFLARE_ACCOUNT_ID",
        ),
        (Vendor::OneLogin, "ONELOGIN_CLIENT_ID", "ONELOGIN_CLIENT_ID"),
        (
            Vendor::OneLogin,
            "ONELOGIN_CLIENT_SECRET",
            "ONELOGIN_CLIENT_SECRET",
        ),
        (Vendor::OneLogin, "ONELOGIN_BASE_URL", "ONELOGIN_BASE_URL"),
        (
            Vendor::AaControlRoom,
            "AA_CONTROL_ROOM_URL",
            "AA_CONTROL_ROOM_URL",
        ),
        (Vendor::AaControlRoom, "AA_USERNAME", "AA_USERNAME"),
        (Vendor::AaControlRoom, "AA_API_KEY", "AA_API_KEY"),
        (
            Vendor::AlibabaCloudSso,
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
        ),
        (
            Vendor::AlibabaCloudSso,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        ),
        (
            Vendor::AlibabaCloudSso,
            "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
            "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
        ),
    ] {
        let err = config_error(&sims, vendor, &[(variable, "")]);
        assert_config(&err, &[named], &format!("{vendor} {variable}=\"\""));
    }
    // Optional variables set but empty are simply unset.
    for (vendor, variable) in [
        (Vendor::RsaCas, "RSA_CAS_BASE_URL"),
        (Vendor::OneLogin, "ONELOGIN_API_VERSION"),
        (Vendor::AaControlRoom, "AA_API_VERSION"),
        (Vendor::AlibabaCloudSso, "ALIBABA_CLOUD_SECURITY_TOKEN"),
        (Vendor::AlibabaCloudSso, "ALIBABA_CLOUD_REGION_ID"),
    ] {
        let mut env = sim(&sims, vendor).env();
        env.push((variable, String::new()));
        let built =
            Client::from_lookup(vendor, idp_sim::lookup_in(env), TransportOptions::default());
        assert!(built.is_ok(), "{vendor} {variable}=\"\": {built:?}");
    }

    // Bad base URLs and endpoints.
    let secret_in_url = "hunter2-url-canary";
    let bad_urls: [(&str, &[&str]); 7] = [
        ("not a url", &["URL"]),
        ("https://", &["not a valid URL", "empty host"]),
        ("ftp://idp.example.com", &["scheme", "ftp", "https"]),
        ("javascript:alert(1)", &["scheme"]),
        (
            "http://idp.example.com",
            &["https", "--allow-insecure-http", "idp.example.com"],
        ),
        ("https://idp.example.com/?x=1", &["query"]),
        (
            "https://admin:hunter2-url-canary@idp.example.com",
            &["must not carry credentials"],
        ),
    ];
    for (vendor, variable) in [
        (Vendor::RsaCas, "RSA_CAS_BASE_URL"),
        (Vendor::CfAccess, "CLOUDFLARE_BASE_URL"),
        (Vendor::OneLogin, "ONELOGIN_BASE_URL"),
        (Vendor::AaControlRoom, "AA_CONTROL_ROOM_URL"),
        (Vendor::AlibabaCloudSso, "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT"),
    ] {
        for (url, needles) in bad_urls {
            let err = config_error(&sims, vendor, &[(variable, url)]);
            let context = format!("{vendor} {variable}={url:?}");
            assert_config(&err, needles, &context);
            assert!(
                !format!("{err} {err:?}").contains(secret_in_url),
                "{context}: the URL's password is printed: {err}"
            );
        }
    }

    // Bad regions (they become part of the endpoint's host name).
    for region in [
        "evil.example/",
        "cn-shanghai.attacker.net",
        "CN-SHANGHAI",
        "a b",
        "-cn",
    ] {
        let mut env = sims.alibaba_cloudsso.env();
        env.retain(|(n, _)| *n != "ALIBABA_CLOUD_CLOUDSSO_ENDPOINT");
        env.push(("ALIBABA_CLOUD_REGION_ID", region.to_owned()));
        let err = Client::from_lookup(
            Vendor::AlibabaCloudSso,
            idp_sim::lookup_in(env),
            TransportOptions::default(),
        )
        .unwrap_err();
        assert_config(&err, &["region"], &format!("region {region:?}"));
    }

    // Other values that cannot be right.
    let long = "f".repeat(33);
    for (vendor, variable, value, needles) in [
        (
            Vendor::CfAccess,
            "CLOUDFLARE_ACCOUNT_ID",
            long.as_str(),
            &["account_id"][..],
        ),
        (
            Vendor::CfAccess,
            "CLOUDFLARE_API_TOKEN",
            "tok\u{e9}n",
            &["API token"][..],
        ),
        (
            Vendor::OneLogin,
            "ONELOGIN_API_VERSION",
            "3",
            &["ONELOGIN_API_VERSION"][..],
        ),
        (
            Vendor::AaControlRoom,
            "AA_API_VERSION",
            "v9",
            &["API version"][..],
        ),
        (
            Vendor::AlibabaCloudSso,
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "LTAI key",
            &["ALIBABA_CLOUD_ACCESS_KEY_ID"][..],
        ),
        (
            Vendor::AlibabaCloudSso,
            "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
            "d-\n1",
            &["directory id"][..],
        ),
    ] {
        let err = config_error(&sims, vendor, &[(variable, value)]);
        assert_config(&err, needles, &format!("{vendor} {variable}={value:?}"));
    }
}

/// The PEM body lines of a private key: what must never be printed.
fn pem_body(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|line| !line.starts_with("-----") && line.len() >= 16)
        .map(str::to_owned)
        .collect()
}

/// Malformed key files: each a `Config` error naming the file and the problem, quoting no key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_key_files_are_config_errors_naming_the_problem() {
    let sims = Sims::start().await.unwrap();
    let good: serde_json::Value = serde_json::from_str(sims.rsa_cas.key_file_json()).unwrap();
    let good_key = good["accessKey"].as_str().unwrap().to_owned();
    let url = good["adminRestApiUrl"].as_str().unwrap().to_owned();
    let canary_pem = "-----BEGIN RSA PRIVATE KEY-----\nQ0FOQVJZLWtleS1maWxlLWNhbmFyeS0wMDAxLW5vdC1hLWtleQ==\n-----END RSA PRIVATE KEY-----\n";
    let public_pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
    let with = |fields: serde_json::Value| fields.to_string();
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("empty", String::new(), &["not JSON"]),
        ("not JSON", "accessKey = secret".into(), &["not JSON"]),
        ("JSON array", "[1, 2]".into(), &["not an object"]),
        ("no fields", "{}".into(), &["accessID"]),
        (
            "no accessKey",
            with(serde_json::json!({"accessID": "a", "adminRestApiUrl": url})),
            &["accessKey"],
        ),
        (
            "empty accessKey",
            with(serde_json::json!({"accessID": "a", "accessKey": " ", "adminRestApiUrl": url})),
            &["accessKey", "empty"],
        ),
        (
            "accessID not a string",
            with(
                serde_json::json!({"accessID": 42, "accessKey": good_key, "adminRestApiUrl": url}),
            ),
            &["accessID", "must be a string"],
        ),
        (
            "accessKey not PEM",
            with(
                serde_json::json!({"accessID": "a", "accessKey": "CANARY-key-file-not-pem-0001", "adminRestApiUrl": url}),
            ),
            &["accessKey", "not PEM"],
        ),
        (
            "accessKey a public key",
            with(
                serde_json::json!({"accessID": "a", "accessKey": public_pem, "adminRestApiUrl": url}),
            ),
            &["accessKey", "public key"],
        ),
        (
            "accessKey garbage PEM",
            with(
                serde_json::json!({"accessID": "a", "accessKey": canary_pem, "adminRestApiUrl": url}),
            ),
            &["accessKey", "RSA"],
        ),
        (
            "adminRestApiUrl not a URL",
            with(
                serde_json::json!({"accessID": "a", "accessKey": good_key, "adminRestApiUrl": "cas admin"}),
            ),
            &["adminRestApiUrl", "not a URL"],
        ),
        (
            "adminRestApiUrl plain http to a remote host",
            with(
                serde_json::json!({"accessID": "a", "accessKey": good_key, "adminRestApiUrl": "http://cas.example.com/AdminInterface/restapi"}),
            ),
            &["https", "--allow-insecure-http"],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut secrets = pem_body(&good_key);
    secrets.extend(pem_body(canary_pem));
    secrets.push("CANARY-key-file-not-pem-0001".into());
    assert!(secrets.len() > 10);
    let check = |err: &idp::Error, needles: &[&str], context: &str| {
        assert_config(err, needles, context);
        let printed = format!("{err} {err:?}");
        for secret in &secrets {
            assert!(
                !printed.contains(secret.as_str()),
                "{context}: key material printed: {err}"
            );
        }
    };
    for (i, (name, content, needles)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("key-{i}.json"));
        std::fs::write(&path, content).unwrap();
        let path_text = path.to_string_lossy().into_owned();
        let err = config_error(&sims, Vendor::RsaCas, &[("RSA_CAS_KEY_FILE", &path_text)]);
        check(&err, needles, name);
        if *name != "adminRestApiUrl plain http to a remote host" {
            check(&err, &[&path_text], name);
        }
    }
    for (name, path) in [
        ("missing file", dir.path().join("nonexistent.json")),
        ("a directory", dir.path().to_path_buf()),
    ] {
        let path_text = path.to_string_lossy().into_owned();
        let err = config_error(&sims, Vendor::RsaCas, &[("RSA_CAS_KEY_FILE", &path_text)]);
        check(&err, &["could not read the key file", &path_text], name);
    }
}
