//! Wave-2 measurements against the in-process simulators (`idp-bench-wave2`): pacing under a
//! compressed Cloudflare policy, `find` at scale, and a bulk offboarding. Each returns a JSON
//! object of figures; nothing here asserts a speed.

mod find;
mod offboard;
mod pacing;

pub use find::find;
pub use offboard::offboard;
pub use pacing::pacing;

use std::collections::BTreeMap;

use idp::{Client, TransportOptions, Vendor};
use idp_sim::{Sims, Simulator};

/// What a measurement failed on.
pub type Failure = Box<dyn std::error::Error>;

/// The simulator of `vendor`.
fn sim(sims: &Sims, vendor: Vendor) -> &dyn Simulator {
    let index = Vendor::ALL.iter().position(|v| *v == vendor).unwrap_or(0);
    sims.all()[index]
}

/// A client of `vendor` configured from its simulator.
fn client(sims: &Sims, vendor: Vendor, options: TransportOptions) -> Result<Client, Failure> {
    Ok(Client::from_lookup(vendor, sims.lookup(), options)?)
}

/// The five simulators, each holding the same `people` people (`person1@example.com` …);
/// returns their emails too.
async fn seeded_simulators(people: usize) -> Result<(Sims, Vec<String>), Failure> {
    let sims = Sims::start().await?;
    let emails: Vec<String> = (1..=people)
        .map(|i| format!("person{i}@example.com"))
        .collect();
    for sim in sims.all() {
        for email in &emails {
            sim.add_person(email);
        }
    }
    Ok((sims, emails))
}

/// Requests each simulator received since its last `clear_requests`, by vendor name.
fn requests_by_vendor(sims: &Sims) -> BTreeMap<&'static str, usize> {
    sims.all()
        .iter()
        .map(|sim| (sim.vendor(), sim.requests().len()))
        .collect()
}

/// Forgets every simulator's recorded requests.
fn clear_requests(sims: &Sims) {
    for sim in sims.all() {
        sim.clear_requests();
    }
}

/// Milliseconds, for the JSON figures.
fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
