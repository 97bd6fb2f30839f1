#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Crash safety of `idp offboard apply`, as a property over kill points: the apply is killed
//! with SIGKILL at about twenty different points (some runs also lose the answer to a request
//! the vendor carried out), then resumed with the same plan and journal. Every resumed run
//! must end where an uninterrupted run ends (every account gone, every prerequisite cleared)
//! and must never send again a step whose outcome the killed run had journaled.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use idp_sim::{Fault, Sims};
use nix::sys::signal::Signal;
use serde_json::Value;
use support::child::{Running, command};
use support::sims::calls;
use support::{PROVIDERS, run, sim};

/// The simulator call that carries out `step` for `provider` (read-only steps have none).
fn call_of(provider: &str, step: &str) -> Option<&'static str> {
    Some(match (provider, step) {
        ("rsa-cas", "disable") => "PUT userStatus",
        ("aa-controlroom", "disable") => "PUT user",
        ("alibaba-cloudsso", "disable") => "UpdateUserStatus",
        ("cf-access", "revoke_sessions") => "POST revoke_user",
        ("onelogin", "logout") => "PUT logout",
        ("alibaba-cloudsso", "remove_mfa_device") => "DeleteMFADeviceForUser",
        ("alibaba-cloudsso", "remove_from_group") => "RemoveUserFromGroup",
        ("alibaba-cloudsso", "remove_access_assignment") => "DeleteAccessAssignment",
        ("alibaba-cloudsso", "delete") => "DeleteUser",
        (_, "delete") => "DELETE user",
        _ => return None,
    })
}

/// The steps whose outcome (done or already) the journal recorded, as (provider, step).
fn journaled_steps(journal: &Path) -> HashSet<(String, String)> {
    let Ok(text) = std::fs::read_to_string(journal) else {
        return HashSet::new();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|r| r["type"] == "outcome" && (r["outcome"] == "done" || r["outcome"] == "already"))
        .map(|r| {
            (
                r["provider"].as_str().unwrap_or_default().to_owned(),
                r["step"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn apply_command(sims: &Sims, plan: &Path) -> std::process::Command {
    let plan = plan.to_string_lossy().into_owned();
    let args = [
        "offboard",
        "apply",
        plan.as_str(),
        "--yes",
        "--output",
        "json",
    ];
    command(&args, &sims.env())
}

/// One kill point: a fresh person in fresh simulators, an apply killed after `lines` lines
/// of output (with, when `drop_on` names a provider, its first delete's answer lost after the
/// vendor deleted), then a resumed apply.
async fn kill_and_resume(lines: usize, drop_on: Option<&str>) -> bool {
    let sims = Sims::start().await.unwrap();
    let ids: Vec<String> = PROVIDERS
        .iter()
        .map(|p| sim(&sims, p).add_person("leaver@example.com"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let planned = run(
        [
            "offboard",
            "plan",
            "--providers",
            "all",
            "--email",
            "leaver@example.com",
            "--out",
            &plan.to_string_lossy(),
        ]
        .map(str::to_owned)
        .to_vec(),
        sims.env(),
    )
    .await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    for sim in sims.all() {
        sim.clear_requests();
    }
    if let Some(provider) = drop_on {
        sim(&sims, provider).inject_on_deletes(Fault::DropAfterHandling, 1);
    }

    // Off the runtime: the simulators keep serving while this thread waits.
    let first = tokio::task::spawn_blocking({
        let command = apply_command(&sims, &plan);
        move || {
            let mut killed = Running::start(command, b"");
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut exited = false;
            while killed.stdout().lines().count() < lines && Instant::now() < deadline {
                if killed.wait_timeout(Duration::from_millis(2)).is_some() {
                    // Finished before that point: this kill point became "after the end".
                    exited = true;
                    break;
                }
            }
            if !exited {
                killed.signal(Signal::SIGKILL);
            }
            killed.finish()
        }
    })
    .await
    .unwrap();
    let journal = dir.path().join("plan.json.journal.jsonl");
    let completed = journaled_steps(&journal);
    for sim in sims.all() {
        sim.clear_requests();
    }

    let resumed = tokio::task::spawn_blocking({
        let command = apply_command(&sims, &plan);
        move || Running::start(command, b"").finish()
    })
    .await
    .unwrap();

    let context = format!(
        "kill after {lines} lines (drop on {drop_on:?}); first run:\n{}\nresumed:\n{}\n{}",
        first.stdout, resumed.stdout, resumed.stderr
    );
    assert_eq!(resumed.code, 0, "{context}");
    for (provider, id) in PROVIDERS.iter().zip(&ids) {
        assert!(
            !sim(&sims, provider).has_user(id),
            "{provider} still has {id}: {context}"
        );
    }
    for (provider, step) in &completed {
        let Some(call) = call_of(provider, step) else {
            continue;
        };
        let sent_again = calls(sim(&sims, provider))
            .iter()
            .filter(|c| c.as_str() == call)
            .count();
        assert_eq!(
            sent_again, 0,
            "{provider} {step} was journaled as finished, yet sent again: {context}"
        );
    }
    let checked = run(
        vec![
            "journal".into(),
            "verify".into(),
            journal.to_string_lossy().into_owned(),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(checked.code, 0, "{}: {context}", checked.stdout);
    // Killed, rather than finished before the kill point.
    first.code != 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_apply_resumes_to_the_same_end_without_repeating_a_finished_step() {
    let mut killed = 0;
    for lines in 0..20 {
        let drop_on = match lines % 4 {
            1 => Some(PROVIDERS[(lines / 4) % PROVIDERS.len()]),
            _ => None,
        };
        killed += usize::from(kill_and_resume(lines, drop_on).await);
    }
    // The points must really be inside the run, not after its end.
    assert!(
        killed >= 15,
        "only {killed} of 20 runs were killed before they finished"
    );
}
