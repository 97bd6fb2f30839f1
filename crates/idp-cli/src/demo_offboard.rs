//! The second half of `idp demo`: one person offboarded from all five simulated vendors with
//! the same library `idp offboard` uses — the plan, an apply interrupted after containment,
//! the resumed apply (the journal keeps what was done from being done twice), and the
//! verification.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use idp::{Client, Interrupt, TransportOptions};
use idp_offboard::journal::{Journal, Report, verify as verify_journal};
use idp_offboard::{
    ApplyOptions, Final, Line, Protect, Resume, apply, describe, make_plan, verify,
};
use idp_sim::Sims;

use crate::exit::UsageError;
use crate::offboard::text_line;
use crate::out::{Out, escape};

/// The person the demo offboards.
const PERSON: &str = "jane.doe@example.com";

/// Runs the story; `Ok(true)` when every step behaved as described.
pub async fn run(sims: &Sims, out: &mut Out) -> Result<bool, UsageError> {
    out.line(&format!(
        "Offboarding one person ({PERSON}) from all five: plan, apply, interruption, resume, \
         verify.\n"
    ));
    for sim in sims.all() {
        sim.add_person(PERSON);
    }
    let lookup = sims.lookup();
    let clients: Vec<Client> = idp::Vendor::ALL
        .iter()
        .map(|&vendor| Client::from_lookup(vendor, &lookup, TransportOptions::default()))
        .collect::<Result<_, _>>()
        .map_err(|e| UsageError(e.to_string()))?;

    let query = idp::UserQuery::email(PERSON).map_err(|e| UsageError(e.to_string()))?;
    let plan = make_plan(
        vec![query],
        &clients,
        &Protect::none(),
        4,
        "demo".to_owned(),
    )
    .await;
    out.line(&format!("plan {}:", plan.digest));
    for target in plan.people.iter().flat_map(|p| &p.targets) {
        out.line(&format!(
            "  {:<17} {}",
            target.provider,
            escape(&describe(target))
        ));
    }

    let by_name: HashMap<String, Client> = clients
        .iter()
        .map(|c| (c.vendor().as_str().to_owned(), c.clone()))
        .collect();
    let folder =
        tempfile::tempdir().map_err(|e| UsageError(format!("no temporary folder: {e}")))?;
    let journal_path = folder.path().join("demo.journal.jsonl");

    // First apply: stopped once every account is contained (as Ctrl-C would stop it).
    let containment = plan
        .actionable()
        .flat_map(|(_, t)| &t.steps)
        .filter(|s| s.step.is_containment())
        .count();
    out.line(&format!(
        "\napply, interrupted after the {containment} containment steps:"
    ));
    let interrupt = Interrupt::new();
    let lines = AtomicUsize::new(0);
    let (first, _) = run_apply(&plan, &by_name, &journal_path, &interrupt, out, |line| {
        if line.step.is_some() && lines.fetch_add(1, Ordering::SeqCst) + 1 == containment {
            interrupt.request();
        }
    })
    .await?;

    out.line("\napply again with the same journal (resumes):");
    let (second, resumed) = run_apply(
        &plan,
        &by_name,
        &journal_path,
        &Interrupt::new(),
        out,
        |_| {},
    )
    .await?;

    out.line("\nverify:");
    let states = verify(&plan, &by_name, 4).await;
    for state in &states {
        out.line(&format!(
            "  {:<8} {:<17} {}",
            state.state, state.provider, state.user_id
        ));
    }
    let journal = verify_journal(&journal_path).map_err(|e| UsageError(e.to_string()))?;
    out.line(&format!("journal: {journal}"));

    let targets = plan.actionable().count();
    let as_described = first.interrupted
        && second.finals.get(&Final::Offboarded) == Some(&targets)
        && resumed >= containment
        && states.iter().all(|s| s.state == "gone")
        && matches!(journal, Report::Intact { .. });
    out.line(if as_described {
        "Every account was contained first, then removed and verified gone; the resumed apply \
         did not repeat what the journal had recorded."
    } else {
        "The offboarding did not behave as described.  << NOT AS DESCRIBED"
    });
    for client in &clients {
        let _ = client.close().await;
    }
    Ok(as_described)
}

/// One apply, printing each line; returns its summary and how many lines were read from the
/// journal rather than sent.
async fn run_apply(
    plan: &idp_offboard::Plan,
    clients: &HashMap<String, Client>,
    journal_path: &std::path::Path,
    interrupt: &Interrupt,
    out: &mut Out,
    watch: impl Fn(&Line) + Send + Sync,
) -> Result<(idp_offboard::Summary, usize), UsageError> {
    let opened = Journal::open(journal_path).map_err(|e| UsageError(e.to_string()))?;
    let resume = Resume::from_entries(&opened.entries, &plan.digest, "demo journal")
        .map_err(|e| UsageError(e.to_string()))?;
    let printed = std::sync::Mutex::new(Vec::new());
    let resumed = AtomicUsize::new(0);
    let report = |line: &Line| {
        if line.resumed {
            resumed.fetch_add(1, Ordering::SeqCst);
        }
        if let Ok(mut printed) = printed.lock() {
            printed.push(format!("  {}", text_line(line)));
        }
        watch(line);
    };
    let summary = apply(
        plan,
        clients,
        opened.journal,
        resume,
        ApplyOptions::new(),
        interrupt,
        &report,
    )
    .await
    .map_err(|e| UsageError(e.to_string()))?;
    for line in printed.into_inner().unwrap_or_default() {
        out.line(&line);
    }
    Ok((summary, resumed.load(Ordering::SeqCst)))
}
