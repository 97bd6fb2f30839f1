#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]
//! A bulk run of 2,000 deletes per vendor against a simulator that throttles a fraction of
//! them with the vendor's own answer (429 + `Retry-After: 2`; Alibaba: `Throttling.User` with
//! HTTP 400): every user ends deleted, each id is reported once, no request reaches the
//! vendor inside the announced window (the shared back-off gate), and the only extra
//! requests are the retries of the throttled ones.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{client, sim, unpaced};
use futures_util::StreamExt;
use idp::{DeleteOutcome, Vendor};
use idp_sim::Sims;

const USERS: usize = 2_000;
const CONCURRENCY: usize = 32;
/// Every `THROTTLE_EVERY`-th delete is throttled, `THROTTLE_TIMES` times in all: each costs
/// `RETRY_AFTER_SECS` of real waiting, for all 32 workers at once.
const THROTTLE_EVERY: usize = 600;
const THROTTLE_TIMES: usize = 3;
const RETRY_AFTER_SECS: u64 = 2;
/// Requests arriving this soon after a throttling answer are not counted as inside its
/// window: up to 31 other requests are in flight when it is sent, and on a loaded 2-core
/// machine they can reach the simulator hundreds of milliseconds later. The second half of
/// each window is still checked, and a client without the shared gate keeps sending through
/// all of it.
const GRACE: Duration = Duration::from_secs(1);

/// What one vendor's run measured.
struct Run {
    vendor: Vendor,
    deleted: usize,
    reported: usize,
    distinct: usize,
    attempts: u64,
    deletes_received: usize,
    throttled_answers: usize,
    windows: usize,
    inside_window: usize,
    users_left: usize,
    every_id_reported: bool,
}

async fn run(sims: &Sims, vendor: Vendor) -> Run {
    let sim = sim(sims, vendor);
    let ids = sim.add_users(USERS);
    sim.inject_every(
        THROTTLE_EVERY,
        sim.throttle(RETRY_AFTER_SECS),
        THROTTLE_TIMES,
    );
    // Default transport options: real clock, real jitter, 3 retries.
    let client = client(sims, vendor, unpaced());

    let reports: Vec<_> = client.delete_many(ids.clone(), CONCURRENCY).collect().await;

    let reported: HashSet<&str> = reports.iter().map(|r| r.user_id.as_str()).collect();
    let throttled_answers = sim
        .requests()
        .iter()
        .filter(|r| r.delete && r.fault.is_some())
        .count();
    Run {
        vendor,
        deleted: reports
            .iter()
            .filter(|r| matches!(r.outcome, Ok(DeleteOutcome::Deleted)))
            .count(),
        reported: reports.len(),
        distinct: reported.len(),
        attempts: reports.iter().map(|r| u64::from(r.attempts)).sum(),
        deletes_received: sim.deletes_received(),
        throttled_answers,
        // Every throttling answer announces a window: it is recorded with its Retry-After.
        windows: sim
            .requests()
            .iter()
            .filter(|r| r.retry_after == Some(Duration::from_secs(RETRY_AFTER_SECS)))
            .count(),
        inside_window: sim.requests_inside_throttle_window(),
        users_left: sim.user_count(),
        every_id_reported: ids.iter().all(|id| reported.contains(id.as_str())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_throttled_deletes_per_vendor_all_end_deleted_once() {
    let sims = Sims::start().await.unwrap();
    sims.rsa_cas.set_throttle_grace(GRACE);
    sims.cf_access.set_throttle_grace(GRACE);
    sims.onelogin.set_throttle_grace(GRACE);
    sims.aa_controlroom.set_throttle_grace(GRACE);
    sims.alibaba_cloudsso.set_throttle_grace(GRACE);
    // The five vendors run at the same time: their throttle waits overlap.
    let runs =
        futures_util::future::join_all(Vendor::ALL.iter().map(|&vendor| run(&sims, vendor))).await;

    for run in &runs {
        let vendor = run.vendor;
        let extra = run.deletes_received - USERS;
        eprintln!(
            "{vendor}: {USERS} users, {} throttled answers, {} delete requests: {extra} extra \
             requests for retries; requests inside a throttle window: {}",
            run.throttled_answers, run.deletes_received, run.inside_window
        );
        assert_eq!(run.reported, USERS, "{vendor}: one report per id");
        assert_eq!(run.distinct, USERS, "{vendor}: an id was reported twice");
        assert!(run.every_id_reported, "{vendor}: an id was never reported");
        assert_eq!(run.deleted, USERS, "{vendor}: every user ends deleted");
        assert_eq!(run.users_left, 0, "{vendor}: the simulator still has users");
        assert_eq!(
            run.throttled_answers, THROTTLE_TIMES,
            "{vendor}: the simulator throttled as ordered"
        );
        assert_eq!(
            run.windows, THROTTLE_TIMES,
            "{vendor}: each announced a wait"
        );
        assert_eq!(
            run.inside_window, 0,
            "{vendor}: requests were sent inside the Retry-After window"
        );
        // The only extra requests are one retry per throttled answer, and every request
        // the simulator saw is accounted for in some id's attempt count.
        assert_eq!(extra, run.throttled_answers, "{vendor}: unexpected retries");
        assert_eq!(
            run.attempts, run.deletes_received as u64,
            "{vendor}: attempts reported vs requests received"
        );
    }
}
