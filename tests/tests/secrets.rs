#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Credentials stay where they belong: `{:?}` of every configuration and client type of every
//! vendor crate and of the facade never shows one (before and after a live token is cached),
//! errors from refused credentials never quote one, and a redirect to another host (a second
//! loopback listener on 127.0.0.2) receives no connection at all, from the delete or from the
//! token and login requests.

mod common;

use std::time::Duration;

use common::{OtherHost, client, delete_one, fast_retries, sim};
use idp::{Client, ErrorKind, Secret, TransportOptions, Vendor};
use idp_sim::{Fault, Sims};

/// Everything printable about a value: `{:?}` and `{:#?}`.
fn debug_forms(value: &dyn std::fmt::Debug) -> String {
    format!("{value:?}\n{value:#?}")
}

/// Everything printable about an error: `{}`, `{:?}` and each source's `{}`.
fn error_forms(err: &idp::Error) -> String {
    let mut text = format!("{err}\n{err:?}\n{err:#?}\n{}", err.message());
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    text
}

fn assert_absent(text: &str, secrets: &[String], context: &str) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{context}: a secret is printed:\n{text}"
        );
    }
}

/// The credentials a simulator's environment holds (and the key file's private key lines).
fn env_secrets(sims: &Sims) -> Vec<String> {
    let mut secrets: Vec<String> = sims
        .env()
        .into_iter()
        .filter(|(name, _)| {
            ["TOKEN", "SECRET", "API_KEY", "PASSWORD"]
                .iter()
                .any(|w| name.contains(w))
        })
        .map(|(_, value)| value)
        .collect();
    let key: serde_json::Value = serde_json::from_str(sims.rsa_cas.key_file_json()).unwrap();
    secrets.extend(
        key["accessKey"]
            .as_str()
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .map(str::to_owned),
    );
    secrets
}

/// The tokens the clients sent (OneLogin access tokens, Control Room tokens, RSA JWTs).
fn live_tokens(sims: &Sims) -> Vec<String> {
    let mut tokens = Vec::new();
    for sim in sims.all() {
        for request in sim.requests() {
            for name in ["authorization", "x-authorization"] {
                if let Some(value) = request.header(name) {
                    let token = value.rsplit([' ', ':']).next().unwrap_or(value);
                    if token.len() >= 16 {
                        tokens.push(token.to_owned());
                    }
                }
            }
        }
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_of_every_config_and_client_type_hides_the_credentials() {
    let sims = Sims::start().await.unwrap();
    let canary = "CANARY-debug-0f3a9c1e7b";
    let options = TransportOptions::default;

    // Literal canaries where no request is needed.
    let cf_token = idp::cf_access::Config::from_lookup(|name| match name {
        "CLOUDFLARE_API_TOKEN" => Some(canary.into()),
        "CLOUDFLARE_ACCOUNT_ID" => Some("0123456789abcdef0123456789abcdef".into()),
        _ => None,
    })
    .unwrap();
    let cf_global = idp::cf_access::Config::from_lookup(|name| match name {
        "CLOUDFLARE_EMAIL" => Some("admin@example.com".into()),
        "CLOUDFLARE_API_KEY" => Some(canary.into()),
        "CLOUDFLARE_ACCOUNT_ID" => Some("0123456789abcdef0123456789abcdef".into()),
        _ => None,
    })
    .unwrap();
    let onelogin = idp::onelogin::Config::from_lookup(|name| match name {
        "ONELOGIN_CLIENT_ID" => Some("client-id".into()),
        "ONELOGIN_CLIENT_SECRET" => Some(canary.into()),
        "ONELOGIN_BASE_URL" => Some("https://example.onelogin.com".into()),
        _ => None,
    })
    .unwrap();
    let aa_password = idp::aa_controlroom::Config::from_lookup(|name| match name {
        "AA_CONTROL_ROOM_URL" => Some("https://cr.example.com".into()),
        "AA_USERNAME" => Some("bot".into()),
        "AA_PASSWORD" => Some(canary.into()),
        _ => None,
    })
    .unwrap();
    let aa_key = idp::aa_controlroom::Config::from_lookup(|name| match name {
        "AA_CONTROL_ROOM_URL" => Some(format!("https://bot:{canary}@cr.example.com")),
        "AA_USERNAME" => Some("bot".into()),
        "AA_API_KEY" => Some(canary.into()),
        _ => None,
    })
    .unwrap();
    let aa_token = idp::aa_controlroom::Config::new(
        "https://cr.example.com",
        idp::aa_controlroom::Credentials::token(Secret::new(canary)),
    );
    let alibaba = idp::alibaba_cloudsso::Config::from_lookup(|name| match name {
        "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("LTAI5tExample".into()),
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some(canary.into()),
        "ALIBABA_CLOUD_SECURITY_TOKEN" => Some(format!("{canary}-sts")),
        "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID" => Some("d-example".into()),
        _ => None,
    })
    .unwrap();
    let rsa_key = idp::rsa_cas::KeyFile::from_json(sims.rsa_cas.key_file_json()).unwrap();
    let rsa = idp::rsa_cas::Config::from_lookup(sims.rsa_cas.lookup()).unwrap();

    let mut printed = vec![
        debug_forms(&cf_token),
        debug_forms(&cf_global),
        debug_forms(cf_token.auth()),
        debug_forms(cf_global.auth()),
        debug_forms(&idp::cf_access::Auth::api_token(canary)),
        debug_forms(&onelogin),
        debug_forms(&aa_password),
        debug_forms(&aa_key),
        debug_forms(&aa_token),
        debug_forms(&idp::aa_controlroom::Credentials::password("bot", canary)),
        debug_forms(&idp::aa_controlroom::Credentials::api_key("bot", canary)),
        debug_forms(&alibaba),
        debug_forms(&rsa_key),
        debug_forms(rsa_key.access_key()),
        debug_forms(&rsa),
    ];
    printed.push(debug_forms(
        &idp::cf_access::Client::new(cf_token.clone(), options()).unwrap(),
    ));
    printed.push(debug_forms(
        &idp::cf_access::Client::new(cf_global, options()).unwrap(),
    ));
    printed.push(debug_forms(
        &idp::onelogin::Client::new(onelogin, options()).unwrap(),
    ));
    printed.push(debug_forms(
        &idp::aa_controlroom::Client::new(aa_password, options()).unwrap(),
    ));
    printed.push(debug_forms(
        &idp::aa_controlroom::Client::new(aa_token, options()).unwrap(),
    ));
    printed.push(debug_forms(
        &idp::alibaba_cloudsso::Client::new(alibaba.clone(), options()).unwrap(),
    ));
    printed.push(debug_forms(
        &idp::rsa_cas::Client::new(rsa, options()).unwrap(),
    ));
    printed.push(debug_forms(&Client::from(
        idp::alibaba_cloudsso::Client::new(alibaba, options()).unwrap(),
    )));
    printed.push(debug_forms(&Client::from(
        idp::cf_access::Client::new(cf_token, options()).unwrap(),
    )));
    // The AA config with a password in its URL is refused by the client, without quoting it.
    let refused = idp::aa_controlroom::Client::new(aa_key, options()).unwrap_err();
    printed.push(error_forms(&refused));

    // Facade clients of every vendor, before and after a delete caches a live token.
    let mut facade: Vec<Client> = Vec::new();
    for &vendor in Vendor::ALL {
        let client = client(&sims, vendor, TransportOptions::default());
        printed.push(debug_forms(&client));
        let id = sim(&sims, vendor).add_users(1).remove(0);
        client.delete_user(&id).await.unwrap();
        facade.push(client);
    }
    for client in &facade {
        printed.push(debug_forms(client));
    }

    let mut secrets = vec![canary.to_owned()];
    secrets.extend(env_secrets(&sims));
    let tokens = live_tokens(&sims);
    assert!(
        tokens.len() >= 3,
        "the live tokens were not found: {tokens:?}"
    );
    secrets.extend(tokens);
    for text in &printed {
        assert!(!text.is_empty());
        assert_absent(text, &secrets, "Debug");
    }
    // The redaction is visible, so the test looks at the right fields.
    assert!(printed.iter().any(|t| t.contains("REDACTED")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_are_never_quoted_in_errors() {
    let sims = Sims::start().await.unwrap();
    let sts = idp_sim::AlibabaCloudSsoSim::start_sts().await.unwrap();
    let canary = "CANARY-refused-5d2e8b41a9";
    let with = |env: Vec<(&'static str, String)>, replace: &[&str]| {
        env.into_iter()
            .map(|(name, value)| {
                if replace.contains(&name) {
                    (name, format!("{canary}{name}"))
                } else {
                    (name, value)
                }
            })
            .collect::<Vec<_>>()
    };
    type Env = Vec<(&'static str, String)>;
    let cases: Vec<(Vendor, Env, &dyn idp_sim::Simulator)> = vec![
        (
            Vendor::CfAccess,
            with(sims.cf_access.env(), &["CLOUDFLARE_API_TOKEN"]),
            &sims.cf_access,
        ),
        (
            Vendor::CfAccess,
            with(sims.cf_access.env_global_key(), &["CLOUDFLARE_API_KEY"]),
            &sims.cf_access,
        ),
        (
            Vendor::OneLogin,
            with(sims.onelogin.env(), &["ONELOGIN_CLIENT_SECRET"]),
            &sims.onelogin,
        ),
        (
            Vendor::AaControlRoom,
            with(sims.aa_controlroom.env(), &["AA_API_KEY"]),
            &sims.aa_controlroom,
        ),
        (
            Vendor::AlibabaCloudSso,
            with(
                sims.alibaba_cloudsso.env(),
                &["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            ),
            &sims.alibaba_cloudsso,
        ),
        // STS: the server's SignatureDoesNotMatch answer echoes its string to sign, which
        // holds the security token.
        (
            Vendor::AlibabaCloudSso,
            with(
                sts.env(),
                &[
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                    "ALIBABA_CLOUD_SECURITY_TOKEN",
                ],
            ),
            &sts,
        ),
        (
            Vendor::AlibabaCloudSso,
            with(sts.env(), &["ALIBABA_CLOUD_SECURITY_TOKEN"]),
            &sts,
        ),
    ];
    for (vendor, env, sim) in cases {
        let names: Vec<&str> = env.iter().map(|(n, _)| *n).collect();
        let client = Client::from_lookup(vendor, idp_sim::lookup_in(env), fast_retries(1)).unwrap();
        let id = sim.add_users(1).remove(0);
        let err = client.delete_user(&id).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Unauthenticated,
            "{vendor} {names:?}: {err}"
        );
        let text = error_forms(&err);
        assert!(
            !text.contains(canary),
            "{vendor} {names:?}: the error quotes a credential:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_another_host_get_no_request_from_any_vendor() {
    let sims = Sims::start().await.unwrap();
    let other = OtherHost::start().await;
    let redirects = |path: &str| {
        let url = other.url(path);
        vec![
            Fault::Redirect {
                location: url.clone(),
            },
            Fault::status(301, "").with_header("location", url.clone()),
            Fault::status(303, "").with_header("location", url.clone()),
            // 307 and 308 keep the method and body: the dangerous ones.
            Fault::status(307, "").with_header("location", url.clone()),
            Fault::status(308, "").with_header("location", url),
        ]
    };
    for &vendor in Vendor::ALL {
        let sim = sim(&sims, vendor);
        // On the delete itself.
        for fault in redirects("/delete") {
            let client = client(&sims, vendor, fast_retries(3));
            let id = sim.add_users(1).remove(0);
            client
                .delete_user(&sim.add_users(1).remove(0))
                .await
                .unwrap();
            sim.inject_on_deletes(fault.clone(), 1);
            let before = sim.deletes_received();
            let report = delete_one(&client, &id).await;
            let err = report.outcome.as_ref().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{vendor} {fault:?}: {err}");
            assert!(err.message().contains("redirect"), "{vendor}: {err}");
            assert_eq!(report.attempts, 1, "{vendor} {fault:?}: retried");
            assert_eq!(sim.deletes_received() - before, 1, "{vendor} {fault:?}");
            assert!(sim.has_user(&id), "{vendor}");
        }
        // On the first request of a new client: the token request or the login.
        if matches!(vendor, Vendor::OneLogin | Vendor::AaControlRoom) {
            for fault in redirects("/auth") {
                let client = client(&sims, vendor, fast_retries(3));
                let id = sim.add_users(1).remove(0);
                sim.inject(fault.clone(), 1);
                let err = client.delete_user(&id).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Protocol, "{vendor} {fault:?}: {err}");
                assert!(sim.has_user(&id), "{vendor}");
            }
        }
    }
    // A redirect to the simulator itself is not followed either: one request, not two.
    let vendor = Vendor::CfAccess;
    let sim = sim(&sims, vendor);
    let client = client(&sims, vendor, fast_retries(3));
    let id = sim.add_users(1).remove(0);
    let same_origin = format!(
        "{}/accounts/{}/access/users/{id}",
        sim.base_url(),
        sims.cf_access.account_id()
    );
    sim.inject_on_deletes(
        Fault::status(307, "").with_header("location", same_origin),
        1,
    );
    let before = sim.requests().len();
    let report = delete_one(&client, &id).await;
    assert!(report.is_failure());
    assert_eq!(sim.requests().len() - before, 1);

    // Give a late connection the chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(other.connections(), 0, "the other host was contacted");
    assert_eq!(other.requests(), 0, "the other host received a request");
}
