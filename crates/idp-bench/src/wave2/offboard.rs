//! A bulk offboarding: `people` people, each with an account in all five simulators (the
//! CloudSSO ones with an MFA device, a group and an access assignment), planned and applied
//! with the library the CLI runs, journal included. Unpaced (the simulators enforce no
//! budget): the request counts say what each vendor's budget makes of it.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use idp::{Client, Interrupt, RateSetting, TransportOptions, UserQuery, Vendor};
use idp_offboard::journal::Journal;
use idp_offboard::{ApplyOptions, Protect, Resume, apply, make_plan};
use serde_json::{Value, json};

use super::{Failure, clear_requests, client, millis, requests_by_vendor, seeded_simulators};
use crate::measure::this_process;

const CONCURRENCY: usize = 4;

/// Plans and applies the offboarding of `people` people; returns per-phase figures.
pub async fn offboard(people: usize) -> Result<Value, Failure> {
    let (sims, leavers) = seeded_simulators(people).await?;
    let options = TransportOptions::default().with_rate(RateSetting::Off);
    let clients: Vec<Client> = Vendor::ALL
        .iter()
        .map(|vendor| client(&sims, *vendor, options.clone()))
        .collect::<Result<_, _>>()?;
    let queries: Vec<UserQuery> = leavers
        .iter()
        .map(|email| UserQuery::email(email))
        .collect::<Result<_, _>>()?;

    clear_requests(&sims);
    let started = Instant::now();
    let plan = make_plan(
        queries,
        &clients,
        &Protect::none(),
        CONCURRENCY,
        String::new(),
    )
    .await;
    let plan_wall = started.elapsed();
    let plan_requests = requests_by_vendor(&sims);

    let journal_path =
        std::env::temp_dir().join(format!("idp-bench-{}.journal", std::process::id()));
    let _ = std::fs::remove_file(&journal_path);
    let opened = Journal::open(&journal_path)?;
    let resume = Resume::from_entries(&opened.entries, &plan.digest, "bench")?;
    let by_name: HashMap<String, Client> = clients
        .into_iter()
        .map(|c| (c.vendor().as_str().to_owned(), c))
        .collect();
    clear_requests(&sims);
    let started = Instant::now();
    let summary = apply(
        &plan,
        &by_name,
        opened.journal,
        resume,
        ApplyOptions::new().concurrency(CONCURRENCY),
        &Interrupt::new(),
        &|_| {},
    )
    .await?;
    let apply_wall = started.elapsed();
    let apply_requests = requests_by_vendor(&sims);
    let journal_bytes = std::fs::metadata(&journal_path)
        .map(|m| m.len())
        .unwrap_or(0);
    let _ = std::fs::remove_file(&journal_path);
    for client in by_name.values() {
        client.close().await?;
    }
    let finals: BTreeMap<&str, usize> = summary
        .finals
        .iter()
        .map(|(outcome, n)| (outcome.as_str(), *n))
        .collect();
    let per_person = |requests: &BTreeMap<&'static str, usize>| -> BTreeMap<&'static str, f64> {
        requests
            .iter()
            .map(|(vendor, n)| (*vendor, *n as f64 / people.max(1) as f64))
            .collect()
    };
    Ok(json!({
        "measurement": "offboard",
        "people": people,
        "concurrency": CONCURRENCY,
        "plan": {
            "wall_ms": millis(plan_wall),
            "requests_per_person": per_person(&plan_requests),
        },
        "apply": {
            "wall_ms": millis(apply_wall),
            "requests_per_person": per_person(&apply_requests),
            "finals": finals,
            "journal_bytes": journal_bytes,
        },
        "peak_rss_kib_with_simulators": this_process()?.peak_kib,
    }))
}
