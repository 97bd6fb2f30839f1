#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every vendor through the facade against its simulator: single deletes, absent users,
//! bulk runs of 1,000 users, a bulk run across all five vendors at once, and token expiry
//! in the middle of a run.

use std::collections::HashSet;

use futures_util::StreamExt;
use idp::{Client, DeleteOutcome, ErrorKind, TransportOptions, Vendor};
use idp_sim::{Sims, Simulator};

fn client(sims: &Sims, vendor: Vendor) -> Client {
    Client::from_lookup(vendor, sims.lookup(), TransportOptions::default()).unwrap()
}

fn sim(sims: &Sims, vendor: Vendor) -> &dyn Simulator {
    let index = Vendor::ALL.iter().position(|v| *v == vendor).unwrap();
    sims.all()[index]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_vendor_deletes_then_reports_absent() {
    let sims = Sims::start().await.unwrap();
    for &vendor in Vendor::ALL {
        let sim = sim(&sims, vendor);
        let client = client(&sims, vendor);
        assert_eq!(client.vendor(), vendor);
        let id = sim.add_users(1).remove(0);

        let receipt = client.delete_user(&id).await.unwrap();
        assert_eq!(receipt.attempts, 1, "{vendor}");
        assert!(!sim.has_user(&id), "{vendor}");

        let again = client.delete_user(&id).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::NotFound, "{vendor}: {again}");
        assert_eq!(
            DeleteOutcome::from_result(Err(again)).unwrap(),
            DeleteOutcome::Absent
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_per_vendor_in_bulk() {
    let sims = Sims::start().await.unwrap();
    for &vendor in Vendor::ALL {
        let sim = sim(&sims, vendor);
        let ids = sim.add_users(1_000);
        let client = client(&sims, vendor);

        let reports: Vec<_> = client.delete_many(ids.clone(), 32).collect().await;

        assert_eq!(reports.len(), 1_000, "{vendor}");
        let seen: HashSet<_> = reports.iter().map(|r| r.user_id.as_str()).collect();
        assert_eq!(seen.len(), 1_000, "{vendor}: an id was reported twice");
        let deleted = reports
            .iter()
            .filter(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted)))
            .count();
        assert_eq!(deleted, 1_000, "{vendor}");
        assert_eq!(sim.user_count(), 0, "{vendor}");
        assert_eq!(
            sim.deletes_received(),
            1_000,
            "{vendor}: no retries were needed"
        );
    }
    // One token or login for each whole run.
    assert_eq!(sims.onelogin.token_requests(), 1);
    assert_eq!(sims.aa_controlroom.logins(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bulk_run_across_all_five_vendors() {
    let sims = Sims::start().await.unwrap();
    let runs: Vec<(Client, Vec<String>)> = Vendor::ALL
        .iter()
        .map(|&vendor| (client(&sims, vendor), sim(&sims, vendor).add_users(50)))
        .collect();

    let results = futures_util::future::join_all(runs.iter().map(|(client, ids)| async move {
        let reports: Vec<_> = client.delete_many(ids.clone(), 8).collect().await;
        (client.vendor(), reports)
    }))
    .await;

    for (vendor, reports) in results {
        assert_eq!(reports.len(), 50, "{vendor}");
        assert!(
            reports
                .iter()
                .all(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted))),
            "{vendor}"
        );
    }
    for sim in sims.all() {
        assert_eq!(sim.user_count(), 0, "{}", sim.vendor());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expiring_mid_run_are_renewed_once() {
    let sims = Sims::start().await.unwrap();
    let onelogin = client(&sims, Vendor::OneLogin);
    let aa = client(&sims, Vendor::AaControlRoom);
    let first_half_ol = sims.onelogin.add_users(100);
    let first_half_aa = sims.aa_controlroom.add_users(100);
    let _: Vec<_> = onelogin.delete_many(first_half_ol, 8).collect().await;
    let _: Vec<_> = aa.delete_many(first_half_aa, 8).collect().await;

    sims.onelogin.expire_tokens();
    sims.aa_controlroom.expire_tokens();
    let second_ol = sims.onelogin.add_users(100);
    let second_aa = sims.aa_controlroom.add_users(100);
    let reports_ol: Vec<_> = onelogin.delete_many(second_ol, 8).collect().await;
    let reports_aa: Vec<_> = aa.delete_many(second_aa, 8).collect().await;

    for reports in [&reports_ol, &reports_aa] {
        assert!(
            reports
                .iter()
                .all(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted)))
        );
    }
    assert_eq!(sims.onelogin.token_requests(), 2);
    assert_eq!(sims.aa_controlroom.logins(), 2);
    assert_eq!(sims.onelogin.user_count(), 0);
    assert_eq!(sims.aa_controlroom.user_count(), 0);
}
