//! The benchmark's own plumbing works: every vendor's client and the raw baseline complete
//! their deletes against the fast server, and hit only routes it knows. (Correctness only:
//! nothing here measures or asserts speed.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;

use idp::Vendor;
use idp_bench::{Mode, Setup, keys, run, server};

fn bench_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("idp-bench-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vendor_deletes_through_raw_and_facade() {
    let running = server::spawn().await.unwrap();
    let dir = bench_dir("loopback");
    keys::write_key_file(&dir).unwrap();
    for &vendor in Vendor::ALL {
        for mode in [Mode::Raw, Mode::Facade] {
            let setup = Setup {
                vendor,
                n: 25,
                concurrency: 4,
                server: running.url(),
                dir: dir.clone(),
                cli: None,
            };
            let measured = run::run(mode, &setup).await.unwrap();
            assert_eq!(
                measured.tally.ok, 25,
                "{vendor} {mode}: {:?}",
                measured.tally
            );
            assert_eq!(measured.tally.failed, 0);
            assert!(measured.line().starts_with("result vendor="));
        }
    }
    assert_eq!(running.stats.unmatched.load(Ordering::Relaxed), 0);
    // 5 vendors x 2 modes x 25 deletes, plus one token (OneLogin) and one login (Control
    // Room) per run.
    assert_eq!(running.stats.requests.load(Ordering::Relaxed), 250 + 4);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The raw baseline's Alibaba request is one the strict simulator accepts: a V3 signature
/// (the client's default) it verifies, with an STS token and with a long-term key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raw_alibaba_request_is_signed_as_the_api_requires() {
    let http = idp::reqwest::Client::new();
    for sim in [
        idp_sim::AlibabaCloudSsoSim::start_sts().await.unwrap(),
        idp_sim::AlibabaCloudSsoSim::start().await.unwrap(),
    ] {
        sim.set_v3_only(true);
        let env: std::collections::HashMap<_, _> = sim.env().into_iter().collect();
        let key = idp_bench::raw::AlibabaKey {
            id: &env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            secret: &env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            token: env.get("ALIBABA_CLOUD_SECURITY_TOKEN").map(String::as_str),
            directory_id: &env["ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID"],
        };
        let endpoint = &env["ALIBABA_CLOUD_CLOUDSSO_ENDPOINT"];
        let url = if endpoint.ends_with('/') {
            endpoint.clone()
        } else {
            format!("{endpoint}/")
        };
        let user = sim.add_user("");
        let answer = idp_bench::raw::alibaba_request(&http, &url, &key, &user)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let body = answer.text().await.unwrap();
        assert!(status.is_success(), "{status}: {body}");
        assert!(!sim.has_user(&user), "{body}");
    }
}

#[test]
fn id_files_hold_one_id_per_line() {
    let dir = bench_dir("ids");
    let path = run::ids_file(&dir, Vendor::AlibabaCloudSso, 3).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "u-00000000000000000000",
            "u-00000000000000000001",
            "u-00000000000000000002"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
