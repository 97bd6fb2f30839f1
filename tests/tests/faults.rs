#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every vendor through the facade against its simulator's faults: dropped connections,
//! 500/502/503/504, answers slower than the attempt timeout, cut bodies, HTML error pages,
//! oversized bodies and redirects. Each ends in its documented outcome (README, "Reliability")
//! after a bounded number of attempts, counted both by the client and by the simulator.

mod common;

use std::time::Duration;

use common::{OtherHost, client, delete_one, fast_retries, sim};
use idp::{DeleteOutcome, ErrorKind, Vendor};
use idp_sim::{Fault, Sims};

/// How a scenario must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Deleted,
    Absent,
    Failed(ErrorKind),
}

struct Scenario {
    name: &'static str,
    /// Faults for the next delete requests, in order.
    faults: Vec<Fault>,
    max_retries: u32,
    end: End,
    /// Requests sent for the id (the client's count, and the simulator's).
    attempts: u32,
    /// Whether the user must still exist afterwards (the vendor never handled the delete).
    user_kept: bool,
}

fn scenario(
    name: &'static str,
    faults: Vec<Fault>,
    max_retries: u32,
    end: End,
    attempts: u32,
) -> Scenario {
    let user_kept = matches!(end, End::Failed(_));
    Scenario {
        name,
        faults,
        max_retries,
        end,
        attempts,
        user_kept,
    }
}

fn status(code: u16) -> Fault {
    Fault::status(code, r#"{"message":"injected failure"}"#)
}

fn scenarios(other_host: &OtherHost) -> Vec<Scenario> {
    use End::*;
    vec![
        // Dropped connections: transport errors, retried.
        scenario("drop once", vec![Fault::Drop], 2, Deleted, 2),
        scenario(
            "drop always",
            vec![Fault::Drop; 3],
            2,
            Failed(ErrorKind::Transport),
            3,
        ),
        // The vendor deleted the user but the answer was lost: the retry finds it gone.
        scenario(
            "drop after handling",
            vec![Fault::DropAfterHandling],
            2,
            Absent,
            2,
        ),
        // Server errors, retried; bounded when they persist.
        scenario("500 once", vec![status(500)], 2, Deleted, 2),
        scenario("502 once", vec![status(502)], 2, Deleted, 2),
        scenario("503 once", vec![status(503)], 2, Deleted, 2),
        scenario("504 once", vec![status(504)], 2, Deleted, 2),
        scenario(
            "5xx always",
            vec![status(500), status(502), status(503), status(504)],
            3,
            Failed(ErrorKind::Server),
            4,
        ),
        // Cut bodies: the connection broke mid-answer, retried.
        scenario(
            "truncated 200 once",
            vec![Fault::Truncated { status: 200 }],
            2,
            Deleted,
            2,
        ),
        scenario(
            "truncated always",
            vec![Fault::Truncated { status: 503 }; 3],
            2,
            Failed(ErrorKind::Transport),
            3,
        ),
        // A proxy's HTML pages.
        scenario(
            "html 502 once",
            vec![Fault::Html { status: 502 }],
            2,
            Deleted,
            2,
        ),
        scenario(
            "html 503 always",
            vec![Fault::Html { status: 503 }; 3],
            2,
            Failed(ErrorKind::Server),
            3,
        ),
        // A 404 page that is not the vendor's API answering says nothing about the user: it
        // must never be reported as "absent".
        scenario(
            "html 404",
            vec![Fault::Html { status: 404 }],
            2,
            Failed(ErrorKind::Protocol),
            1,
        ),
        // A 5 MB error body is read up to the cap and the request retried.
        scenario(
            "large 502 body once",
            vec![Fault::LargeBody {
                status: 502,
                bytes: 5 * 1024 * 1024,
            }],
            2,
            Deleted,
            2,
        ),
        // Redirects are never followed, whoever they point to, and not retried.
        scenario(
            "redirect to another host",
            vec![Fault::Redirect {
                location: other_host.url("/v1/users/x"),
            }],
            2,
            Failed(ErrorKind::Protocol),
            1,
        ),
    ]
}

async fn run_scenarios(sims: &Sims, vendor: Vendor, other_host: &OtherHost) -> Vec<String> {
    let sim = sim(sims, vendor);
    let mut failures = Vec::new();
    for s in scenarios(other_host) {
        let client = client(sims, vendor, fast_retries(s.max_retries));
        let id = sim.add_users(1).remove(0);
        let before = sim.deletes_received();
        for fault in &s.faults {
            sim.inject_on_deletes(fault.clone(), 1);
        }
        let report = delete_one(&client, &id).await;
        let sent = sim.deletes_received() - before;
        let ended = match &report.outcome {
            Ok(DeleteOutcome::Deleted) => End::Deleted,
            Ok(DeleteOutcome::Absent) => End::Absent,
            Err(err) => End::Failed(err.kind()),
        };
        let name = s.name;
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{vendor} / {name}: {what}"));
            }
        };
        check(
            ended == s.end,
            format!(
                "ended {ended:?}, expected {:?}: {:?}",
                s.end, report.outcome
            ),
        );
        check(
            report.attempts == s.attempts,
            format!("{} attempts, expected {}", report.attempts, s.attempts),
        );
        check(
            sent == s.attempts as usize,
            format!(
                "the simulator received {sent} deletes, expected {}",
                s.attempts
            ),
        );
        check(
            sim.has_user(&id) == s.user_kept,
            format!("user kept: {}, expected {}", sim.has_user(&id), s.user_kept),
        );
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_ends_in_its_documented_outcome_with_bounded_attempts() {
    let sims = Sims::start().await.unwrap();
    let other_host = OtherHost::start().await;
    let failures: Vec<String> = futures_util::future::join_all(
        Vendor::ALL
            .iter()
            .map(|&vendor| run_scenarios(&sims, vendor, &other_host)),
    )
    .await
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(
        other_host.connections(),
        0,
        "a redirect's target was contacted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_past_the_timeout_are_bounded() {
    let sims = Sims::start().await.unwrap();
    // Generous, so that a normal answer never times out on a loaded machine.
    let timeout = Duration::from_secs(1);
    let slow = Fault::Delay(Duration::from_secs(3));
    let results = futures_util::future::join_all(Vendor::ALL.iter().map(|&vendor| {
        let sims = &sims;
        let slow = slow.clone();
        async move {
            let sim = sim(sims, vendor);
            // Every attempt too slow: a timeout error after 1 + 2 attempts.
            let client = client(sims, vendor, fast_retries(2).with_attempt_timeout(timeout));
            let id = sim.add_users(1).remove(0);
            sim.inject_on_deletes(slow.clone(), 3);
            let always = delete_one(&client, &id).await;
            let sent_always = sim.deletes_received();

            // Once too slow: the retry deletes the user (or finds it already deleted by the
            // slow attempt, which the vendor finished anyway).
            let other = sim.add_users(1).remove(0);
            sim.inject_on_deletes(slow.clone(), 1);
            let once = delete_one(&client, &other).await;
            let sent_once = sim.deletes_received() - sent_always;
            (
                vendor,
                always,
                sent_always,
                once,
                sent_once,
                sim.has_user(&other),
            )
        }
    }))
    .await;
    for (vendor, always, sent_always, once, sent_once, other_kept) in results {
        let err = always.outcome.as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{vendor}: {err}");
        assert_eq!(always.attempts, 3, "{vendor}");
        assert_eq!(sent_always, 3, "{vendor}");
        assert!(
            matches!(
                once.outcome,
                Ok(DeleteOutcome::Deleted | DeleteOutcome::Absent)
            ),
            "{vendor}: {:?}",
            once.outcome
        );
        assert_eq!(once.attempts, 2, "{vendor}");
        assert_eq!(sent_once, 2, "{vendor}");
        assert!(!other_kept, "{vendor}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_the_token_and_login_requests_are_retried_too() {
    let sims = Sims::start().await.unwrap();
    for (vendor, fault) in [
        (Vendor::OneLogin, Fault::Drop),
        (Vendor::OneLogin, Fault::Html { status: 503 }),
        (Vendor::AaControlRoom, Fault::Drop),
        (Vendor::AaControlRoom, Fault::Truncated { status: 200 }),
    ] {
        let sim = sim(&sims, vendor);
        // A new client: its first request is the token request or the login.
        let client = client(&sims, vendor, fast_retries(2));
        let id = sim.add_users(1).remove(0);
        sim.inject(fault.clone(), 1);
        let report = delete_one(&client, &id).await;
        assert!(
            matches!(report.outcome, Ok(DeleteOutcome::Deleted)),
            "{vendor} {fault:?}: {:?}",
            report.outcome
        );
        // Attempts count delete requests; the login or token request was retried.
        assert_eq!(report.attempts, 1, "{vendor} {fault:?}");
    }
    assert_eq!(sims.onelogin.token_requests(), 4);
    assert_eq!(sims.aa_controlroom.logins(), 4);
}
