//! `idp demo`: all five simulators in-process, real clients, real HTTP on loopback.

use std::time::Instant;

use futures_util::StreamExt;
use idp::{Client, ErrorKind, TransportOptions, Vendor};
use idp_sim::{Blocker, RsaUserState, Sims, Simulator};

use crate::exit::{RunEnd, UsageError};
use crate::out::Out;
use crate::output::{Line, Outcome, Tally, plural};

/// What one vendor's scenario seeds and expects.
struct Scenario {
    vendor: Vendor,
    ids: Vec<String>,
    deletable: usize,
    conflict: bool,
    story: String,
}

/// Seeds one vendor's simulator: three deletable users, one id that does not exist, a user
/// that cannot be deleted yet where the vendor has such a state, and a throttled first
/// delete.
fn seed(vendor: Vendor, sim: &dyn Simulator, conflict_user: Option<(String, &str)>) -> Scenario {
    let mut ids = sim.add_users(3);
    let deletable = ids.len();
    ids.push(absent_id(vendor).to_owned());
    let conflict = conflict_user.is_some();
    let conflict_story = match &conflict_user {
        Some((id, why)) => {
            ids.push(id.clone());
            format!(", 1 that cannot be deleted yet ({why})")
        }
        None => String::new(),
    };
    sim.inject_on_deletes(sim.throttle(1), 1);
    Scenario {
        vendor,
        ids,
        deletable,
        conflict,
        story: format!(
            "{deletable} deletable users{conflict_story}, 1 id that does not exist; the first \
             delete is throttled"
        ),
    }
}

fn absent_id(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::CfAccess => "6f1c2a9e-0000-4000-8000-000000000000",
        Vendor::OneLogin | Vendor::AaControlRoom => "999999",
        Vendor::RsaCas => "already-gone",
        _ => "u-alreadygone0",
    }
}

/// Runs the demo; exits 0 when every vendor behaved as described.
pub async fn run() -> Result<RunEnd, UsageError> {
    let sims = Sims::start()
        .await
        .map_err(|e| UsageError(format!("cannot start the simulators: {e}")))?;
    let scenarios = [
        {
            let id = sims
                .rsa_cas
                .add_user_in_state("still-enabled", RsaUserState::Enabled);
            seed(Vendor::RsaCas, &sims.rsa_cas, Some((id, "still enabled")))
        },
        seed(Vendor::CfAccess, &sims.cf_access, None),
        seed(Vendor::OneLogin, &sims.onelogin, None),
        {
            let id = sims.aa_controlroom.add_user_in_use("");
            seed(
                Vendor::AaControlRoom,
                &sims.aa_controlroom,
                Some((id, "in use")),
            )
        },
        {
            let id = sims
                .alibaba_cloudsso
                .add_user_with_blockers("u-hasmfa0", &[Blocker::MfaDevice]);
            seed(
                Vendor::AlibabaCloudSso,
                &sims.alibaba_cloudsso,
                Some((id, "has an MFA device")),
            )
        },
    ];
    let mut out = Out::new();
    out.line("idp demo: five simulated vendors on loopback; real clients, real HTTP.\n");
    let lookup = sims.lookup();
    let mut all_as_described = true;
    for (scenario, sim) in scenarios.iter().zip(sims.all()) {
        out.line(&format!(
            "{} at {}\n  seeded: {}",
            scenario.vendor,
            sim.base_url(),
            scenario.story
        ));
        let client = Client::from_lookup(scenario.vendor, &lookup, TransportOptions::default())
            .map_err(|e| UsageError(e.to_string()))?;
        let started = Instant::now();
        let mut reports: Vec<_> = client.delete_many(scenario.ids.clone(), 2).collect().await;
        // In the order seeded, not the order finished: the throttled first delete comes first.
        reports.sort_by_key(|r| scenario.ids.iter().position(|id| *id == r.user_id));
        let mut tally = Tally::default();
        let mut throttled_then_deleted = false;
        let mut conflicts = 0;
        for report in reports {
            let line = Line::from_report(scenario.vendor.as_str(), report);
            throttled_then_deleted |= line.outcome == Outcome::Deleted && line.attempts > 1;
            if line
                .error
                .as_ref()
                .is_some_and(|e| e.kind() == ErrorKind::Conflict)
            {
                conflicts += 1;
            }
            tally.add(line.outcome);
            out.line(&format!("  {}", line.text()));
        }
        out.line(&format!(
            "  {}",
            tally.summary(scenario.vendor.as_str(), started.elapsed())
        ));
        let as_described = tally.deleted == scenario.deletable as u64
            && tally.absent == 1
            && conflicts == usize::from(scenario.conflict)
            && tally.failed == conflicts as u64
            && throttled_then_deleted;
        all_as_described &= as_described;
        out.line(&format!(
            "  {} left in the simulator{}\n",
            plural(sim.user_count(), "user", "users"),
            if as_described {
                ""
            } else {
                "  << NOT AS DESCRIBED"
            }
        ));
    }
    out.line(if all_as_described {
        "Every id ended as deleted, absent or a clear failure; the throttled delete waited and \
         succeeded, and the others waited behind it (\"waiting\" in their lines).\n"
    } else {
        "Some vendor did not behave as described (see << above).\n"
    });
    let offboarded = crate::demo_offboard::run(&sims, &mut out).await?;
    if !out.flush() {
        return Ok(RunEnd::OutputIncomplete);
    }
    Ok(RunEnd::from_success(all_as_described && offboarded))
}
