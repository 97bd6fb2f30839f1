//! Making a plan: each person looked up in each provider, the account's steps planned.

use futures_util::stream::{self, StreamExt};
use idp::{Client, EndState, Error, Lookup, UserQuery};

use crate::plan::{ErrorRecord, Person, Plan, Resolution, Target};
use crate::protect::Protect;

/// What one lookup in one provider found, before steps are planned.
async fn resolve_target(
    client: &Client,
    query: &UserQuery,
    protect: &Protect,
) -> Result<Target, Error> {
    let provider = client.vendor().as_str().to_owned();
    let candidates = client.find_users(query).await?;
    let target = |resolution| Target {
        provider: provider.clone(),
        resolution,
        account: None,
        candidates: Vec::new(),
        steps: Vec::new(),
        end: None,
        warnings: Vec::new(),
        error: None,
    };
    Ok(match Lookup::from_candidates(query, candidates) {
        Lookup::Absent => target(Resolution::Absent),
        Lookup::Ambiguous(accounts) => Target {
            candidates: accounts,
            warnings: vec![
                "more than one account matches: nothing is done here until the duplicates are \
                 resolved by hand"
                    .to_owned(),
            ],
            ..target(Resolution::Ambiguous)
        },
        Lookup::Found(account) if protect.covers(&provider, query, &account) => Target {
            account: Some(account),
            warnings: vec!["on the protect list: never touched".to_owned()],
            ..target(Resolution::Protected)
        },
        Lookup::Found(account) => {
            let prerequisites = client.prerequisites(&account).await?;
            let plan = client.plan(&account, prerequisites);
            Target {
                account: Some(account),
                steps: plan.steps,
                end: Some(plan.end),
                warnings: plan.warnings,
                ..target(Resolution::Found)
            }
        }
    })
}

/// Looks every person up in every client, at most `concurrency` lookups at a time, and makes
/// the plan. A failed lookup is recorded in the plan (`failed`, with its error), never
/// dropped.
pub async fn make_plan(
    queries: Vec<UserQuery>,
    clients: &[Client],
    protect: &Protect,
    concurrency: usize,
    created_at: String,
) -> Plan {
    let work: Vec<(usize, usize)> = (0..queries.len())
        .flat_map(|q| (0..clients.len()).map(move |c| (q, c)))
        .collect();
    let queries_ref = &queries;
    let mut results: Vec<(usize, usize, Target)> = stream::iter(work)
        .map(|(q, c)| async move {
            let client = &clients[c];
            let target = match resolve_target(client, &queries_ref[q], protect).await {
                Ok(target) => target,
                Err(err) => Target {
                    provider: client.vendor().as_str().to_owned(),
                    resolution: Resolution::Failed,
                    account: None,
                    candidates: Vec::new(),
                    steps: Vec::new(),
                    end: None,
                    warnings: Vec::new(),
                    error: Some(ErrorRecord::from(&err)),
                },
            };
            (q, c, target)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.sort_by_key(|(q, c, _)| (*q, *c));
    let mut people: Vec<Person> = queries
        .into_iter()
        .map(|query| Person {
            query,
            targets: Vec::new(),
        })
        .collect();
    for (q, _, target) in results {
        people[q].targets.push(target);
    }
    Plan::new(people, created_at)
}

/// Whether every person resolved (found, absent or protected everywhere): what `plan` exits 0
/// for.
pub fn fully_resolved(plan: &Plan) -> bool {
    plan.people.iter().flat_map(|p| &p.targets).all(|t| {
        matches!(
            t.resolution,
            Resolution::Found | Resolution::Absent | Resolution::Protected
        )
    })
}

/// A one-line description of a target's plan, for people.
pub fn describe(target: &Target) -> String {
    match target.resolution {
        Resolution::Found => {
            let steps: Vec<String> = target
                .steps
                .iter()
                .map(|s| match &s.label {
                    Some(label) => format!("{} {label}", s.step),
                    None => s.step.to_string(),
                })
                .collect();
            let end = match target.end {
                Some(EndState::Offboarded) | None => String::new(),
                Some(end) => format!(" (ends {})", end.as_str()),
            };
            format!(
                "{}: {}{end}",
                target.user_id().unwrap_or("?"),
                steps.join(", ")
            )
        }
        Resolution::Absent => "no account".to_owned(),
        Resolution::Ambiguous => {
            let ids: Vec<&str> = target
                .candidates
                .iter()
                .map(|a| a.user_id.as_str())
                .collect();
            format!(
                "ambiguous: {} accounts match ({})",
                ids.len(),
                ids.join(", ")
            )
        }
        Resolution::Failed => match &target.error {
            Some(err) => format!("lookup failed: {err}"),
            None => "lookup failed".to_owned(),
        },
        Resolution::Protected => {
            format!("{}: protected, untouched", target.user_id().unwrap_or("?"))
        }
    }
}
