//! `find` at scale: `queries` emails (one in ten not seeded) looked up in all five
//! simulators, each holding `people` users, the way `idp find` does it (every email in every
//! provider, four lookups at a time, in order). Run twice: with each vendor's default pacing,
//! and unpaced, which shows the client's own cost.

use std::time::Instant;

use futures_util::{StreamExt, stream};
use idp::{Client, Lookup, RateSetting, TransportOptions, UserQuery, Vendor};
use idp_sim::Sims;
use serde_json::{Value, json};

use super::{Failure, clear_requests, client, millis, requests_by_vendor, seeded_simulators};

const CONCURRENCY: usize = 4;

/// Seeds the simulators once and runs the lookups paced and unpaced.
pub async fn find(people: usize, queries: usize) -> Result<Value, Failure> {
    let (sims, seeded) = seeded_simulators(people).await?;
    let wanted: Vec<UserQuery> = (1..=queries)
        .map(|i| {
            if i % 10 == 0 {
                UserQuery::email(&format!("gone{i}@example.com"))
            } else {
                UserQuery::email(&seeded[(i * 7) % people.max(1)])
            }
        })
        .collect::<Result<_, _>>()?;
    let paced = run(&sims, &wanted, RateSetting::VendorDefault).await?;
    let unpaced = run(&sims, &wanted, RateSetting::Off).await?;
    Ok(json!({
        "measurement": "find",
        "people_per_vendor": people,
        "queries": queries,
        "concurrency": CONCURRENCY,
        "default_pacing": paced,
        "unpaced": unpaced,
    }))
}

async fn run(sims: &Sims, queries: &[UserQuery], rate: RateSetting) -> Result<Value, Failure> {
    let clients: Vec<Client> = Vendor::ALL
        .iter()
        .map(|vendor| client(sims, *vendor, TransportOptions::default().with_rate(rate)))
        .collect::<Result<_, _>>()?;
    clear_requests(sims);
    let work: Vec<(&UserQuery, &Client)> = queries
        .iter()
        .flat_map(|q| clients.iter().map(move |c| (q, c)))
        .collect();
    let started = Instant::now();
    let lookups: Vec<Result<Lookup, idp::Error>> = stream::iter(work)
        .map(|(query, client)| async move {
            client
                .find_users(query)
                .await
                .map(|found| Lookup::from_candidates(query, found))
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let wall = started.elapsed();
    let count = |name: &str| {
        lookups
            .iter()
            .filter(|l| l.as_ref().map_or("failed", Lookup::as_str) == name)
            .count()
    };
    for client in &clients {
        client.close().await?;
    }
    Ok(json!({
        "rate": format!("{rate:?}"),
        "wall_ms": millis(wall),
        "found": count("found"),
        "absent": count("absent"),
        "ambiguous": count("ambiguous"),
        "failed": count("failed"),
        "requests_per_vendor": requests_by_vendor(sims),
    }))
}
