//! `idp find`: each person looked up in each provider; one line per (query, provider).

use futures_util::stream::{self, StreamExt};
use idp::{Account, Client, Error, Interrupt, Lookup, UserQuery};
use serde::Serialize;

use crate::args::{FindArgs, OutputFormat};
use crate::exit::{RunEnd, UsageError};
use crate::out::{Out, escape};
use crate::output::JsonError;
use crate::{queries, settings};

/// One JSON line: the documented contract.
#[derive(Serialize)]
struct FindLine<'a> {
    query: &'a UserQuery,
    provider: &'a str,
    outcome: &'static str,
    accounts: &'a [Account],
    error: Option<JsonError<'a>>,
}

/// Runs `idp find`.
pub async fn run(args: FindArgs, interrupt: Interrupt) -> Result<RunEnd, UsageError> {
    let queries = tokio::task::block_in_place(|| queries::read(&args.queries))?;
    let (vendors, skipped) =
        settings::select_providers(args.queries.providers.as_deref(), &args.config)?;
    let clients = settings::clients(&vendors, &args.config, &args.transport, &interrupt)?;
    crate::signals::watch(interrupt.clone(), || {});
    let mut out = Out::new();
    if args.output == OutputFormat::Text && !skipped.is_empty() {
        let names: Vec<&str> = skipped.iter().map(|v| v.as_str()).collect();
        out.line(&format!("skipped (not configured): {}", names.join(", ")));
    }
    let work: Vec<(&UserQuery, &Client)> = queries
        .iter()
        .flat_map(|q| clients.iter().map(move |c| (q, c)))
        .collect();
    let concurrency = usize::try_from(args.concurrency).unwrap_or(usize::MAX);
    let mut results = stream::iter(work)
        .map(|(query, client)| async move {
            let lookup = client
                .find_users(query)
                .await
                .map(|found| Lookup::from_candidates(query, found));
            (query, client, lookup)
        })
        .buffered(concurrency);
    let mut all_resolved = true;
    while let Some((query, client, lookup)) = results.next().await {
        let provider = client.vendor().as_str();
        let (outcome, accounts, error): (&str, &[Account], Option<&Error>) = match &lookup {
            Ok(lookup) => (lookup.as_str(), lookup.accounts(), None),
            Err(err) => ("failed", &[], Some(err)),
        };
        all_resolved &= matches!(outcome, "found" | "absent");
        let written = match args.output {
            OutputFormat::Json => out.json(&FindLine {
                query,
                provider,
                outcome,
                accounts,
                error: error.map(JsonError::of),
            }),
            OutputFormat::Text => out.line(&text_line(query, provider, outcome, accounts, error)),
        };
        if !written {
            interrupt.request();
            break;
        }
    }
    drop(results);
    for client in &clients {
        let _ = client.close().await;
    }
    if !out.flush() {
        let error = out.error().map(ToString::to_string).unwrap_or_default();
        crate::stderr::line(&format!(
            "idp: standard output could not be written ({error})"
        ));
        return Ok(RunEnd::OutputIncomplete);
    }
    if interrupt.is_requested() {
        return Ok(RunEnd::Interrupted);
    }
    Ok(RunEnd::from_success(all_resolved))
}

fn text_line(
    query: &UserQuery,
    provider: &str,
    outcome: &str,
    accounts: &[Account],
    error: Option<&Error>,
) -> String {
    let who = escape(query.value());
    let detail = match (outcome, error) {
        (_, Some(err)) => escape(&err.to_string()),
        ("absent", _) => "no account".to_owned(),
        _ => accounts
            .iter()
            .map(|a| {
                let name = a
                    .display_name
                    .as_deref()
                    .or(a.username.as_deref())
                    .unwrap_or("");
                format!(
                    "{} {} ({}, {})",
                    escape(&a.user_id),
                    escape(name),
                    serde_plain(&a.status),
                    serde_plain(&a.managed_by)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    format!("{who:<32} {provider:<17} {outcome:<9} {detail}")
}

/// A unit enum's serde name (`enabled`, `directory`).
fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
