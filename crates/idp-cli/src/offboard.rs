//! `idp offboard plan | apply | verify`: a thin layer over the `idp-offboard` crate.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use idp::{Client, Interrupt, Vendor};
use idp_offboard::journal::{Journal, JournalError};
use idp_offboard::{
    ApplyError, ApplyOptions, Line, Plan, Protect, Resolution, Resume, apply, describe,
    fully_resolved, make_plan, verify,
};

use crate::args::{ApplyArgs, ConfigArgs, OutputFormat, PlanArgs, TransportArgs, VerifyArgs};
use crate::exit::{RunEnd, UsageError};
use crate::out::{Out, escape};
use crate::{queries, settings};

/// `idp offboard plan`.
pub async fn plan(args: PlanArgs, interrupt: Interrupt) -> Result<RunEnd, UsageError> {
    let queries = tokio::task::block_in_place(|| queries::read(&args.queries))?;
    let (vendors, skipped) =
        settings::select_providers(args.queries.providers.as_deref(), &args.config)?;
    let protect = match &args.protect {
        Some(path) => read_protect(path)?,
        None => Protect::none(),
    };
    let clients = settings::clients(&vendors, &args.config, &args.transport, &interrupt)?;
    crate::signals::watch(interrupt.clone(), || {});
    let concurrency = usize::try_from(args.concurrency).unwrap_or(usize::MAX);
    let plan = make_plan(queries, &clients, &protect, concurrency, now_rfc3339()).await;
    for client in &clients {
        let _ = client.close().await;
    }
    if interrupt.is_requested() {
        return Ok(RunEnd::Interrupted);
    }
    let mut summary = String::new();
    if !skipped.is_empty() {
        let names: Vec<&str> = skipped.iter().map(|v| v.as_str()).collect();
        summary.push_str(&format!("skipped (not configured): {}\n", names.join(", ")));
    }
    for person in &plan.people {
        summary.push_str(&format!("{}\n", escape(&person.query.to_string())));
        for target in &person.targets {
            summary.push_str(&format!(
                "  {:<17} {}\n",
                target.provider,
                escape(&describe(target))
            ));
            for warning in &target.warnings {
                summary.push_str(&format!("  {:<17}   ! {}\n", "", escape(warning)));
            }
        }
    }
    let json = plan.to_json();
    match &args.out {
        Some(path) => {
            write_file(path, &json)?;
            summary.push_str(&format!(
                "plan written to {} ({})\n",
                path.display(),
                plan.digest
            ));
            let mut out = Out::new();
            if !out.line(summary.trim_end()) || !out.flush() {
                return Ok(RunEnd::OutputIncomplete);
            }
        }
        None => {
            crate::stderr::line(summary.trim_end());
            let mut out = Out::new();
            if !out.line(&json) || !out.flush() {
                return Ok(RunEnd::OutputIncomplete);
            }
        }
    }
    Ok(RunEnd::from_success(fully_resolved(&plan)))
}

fn read_protect(path: &Path) -> Result<Protect, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError(format!(
            "cannot read the protect list {}: {e}",
            path.display()
        ))
    })?;
    let names: Vec<&str> = Vendor::ALL.iter().map(|v| v.as_str()).collect();
    Protect::parse(&text, &names).map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

/// Writes `text` to `path` through a temporary file in the same folder, so a crash never
/// leaves half a plan behind.
fn write_file(path: &Path, text: &str) -> Result<(), UsageError> {
    let refuse = |e: std::io::Error| UsageError(format!("cannot write {}: {e}", path.display()));
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(folder).map_err(refuse)?;
    file.write_all(text.as_bytes()).map_err(refuse)?;
    file.write_all(b"\n").map_err(refuse)?;
    file.as_file().sync_all().map_err(refuse)?;
    file.persist(path).map_err(|e| refuse(e.error))?;
    Ok(())
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Reads and checks a plan file (its digest against its content).
fn read_plan(path: &Path) -> Result<Plan, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read the plan {}: {e}", path.display())))?;
    Plan::from_json(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

/// Clients for the providers that have accounts in the plan.
fn plan_clients(
    plan: &Plan,
    config: &ConfigArgs,
    transport: &TransportArgs,
    interrupt: &Interrupt,
) -> Result<HashMap<String, Client>, UsageError> {
    let mut vendors: Vec<Vendor> = Vec::new();
    for target in plan.people.iter().flat_map(|p| &p.targets) {
        if target.account.is_none() {
            continue;
        }
        let vendor: Vendor = target
            .provider
            .parse()
            .map_err(|e| UsageError(format!("the plan names {e}")))?;
        if !vendors.contains(&vendor) {
            vendors.push(vendor);
        }
    }
    let clients = settings::clients(&vendors, config, transport, interrupt)?;
    Ok(clients
        .into_iter()
        .map(|c| (c.vendor().as_str().to_owned(), c))
        .collect())
}

/// `idp offboard apply`.
pub async fn apply_plan(args: ApplyArgs, interrupt: Interrupt) -> Result<RunEnd, UsageError> {
    let plan = read_plan(&args.plan)?;
    let accounts = plan.actionable().count();
    confirm(&args, &plan, accounts)?;
    let clients = plan_clients(&plan, &args.config, &args.transport, &interrupt)?;
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| default_journal(&args.plan));
    let name = journal_path.display().to_string();
    let opened = Journal::open(&journal_path).map_err(|e| match e {
        JournalError::Locked { .. } => UsageError(format!(
            "the journal {name} is in use by another apply (locked)"
        )),
        other => UsageError(format!("cannot use the journal {name}: {other}")),
    })?;
    if opened.torn_tail.is_some() {
        tracing::warn!("the journal's last line was cut short by a crash; removed it");
    }
    let resume = Resume::from_entries(&opened.entries, &plan.digest, &name)
        .map_err(|e| UsageError(e.to_string()))?;

    let out = Arc::new(Mutex::new(Out::new()));
    {
        let out = Arc::clone(&out);
        crate::signals::watch(interrupt.clone(), move || {
            out.lock().unwrap_or_else(PoisonError::into_inner).flush();
        });
    }
    let format = args.output;
    let report = {
        let out = Arc::clone(&out);
        let interrupt = interrupt.clone();
        move |line: &Line| {
            let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
            let written = match format {
                OutputFormat::Json => out.json(line),
                OutputFormat::Text => out.line(&text_line(line)),
            };
            if !written {
                interrupt.request();
            }
        }
    };
    let options = ApplyOptions::new()
        .contain_only(args.contain_only)
        .concurrency(usize::try_from(args.concurrency).unwrap_or(usize::MAX));
    let result = apply(
        &plan,
        &clients,
        opened.journal,
        resume,
        options,
        &interrupt,
        &report,
    )
    .await;
    for client in clients.values() {
        let _ = client.close().await;
    }
    let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
    let summary = match result {
        Ok(summary) => summary,
        Err(ApplyError::Journal(err)) => {
            out.flush();
            crate::stderr::line(&format!(
                "idp: the journal could not be written ({err}): the record of this run is \
                 incomplete"
            ));
            return Ok(RunEnd::OutputIncomplete);
        }
        Err(other) => return Err(UsageError(other.to_string())),
    };
    if format == OutputFormat::Text {
        let mut counts: Vec<String> = summary
            .finals
            .iter()
            .map(|(outcome, n)| format!("{n} {outcome}"))
            .collect();
        counts.sort();
        out.line(&format!("offboard: {} (journal {name})", counts.join(", ")));
    }
    if !out.flush() {
        let error = out.error().map(ToString::to_string).unwrap_or_default();
        crate::stderr::line(&format!(
            "idp: standard output could not be written ({error}); the journal {name} has the full record"
        ));
        return Ok(RunEnd::OutputIncomplete);
    }
    if summary.interrupted {
        return Ok(RunEnd::Interrupted);
    }
    Ok(RunEnd::from_success(
        summary.all_succeeded(args.contain_only),
    ))
}

/// `PLAN.journal.jsonl`.
fn default_journal(plan: &Path) -> PathBuf {
    let mut name = plan.as_os_str().to_owned();
    name.push(".journal.jsonl");
    PathBuf::from(name)
}

/// `--yes`, or on a terminal the number of accounts typed back.
fn confirm(args: &ApplyArgs, plan: &Plan, accounts: usize) -> Result<(), UsageError> {
    if args.yes || accounts == 0 {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(UsageError(
            "refusing to apply without --yes: standard input is not a terminal (nothing was \
             sent)"
                .to_owned(),
        ));
    }
    let people = plan
        .people
        .iter()
        .filter(|p| p.targets.iter().any(|t| t.resolution == Resolution::Found))
        .count();
    crate::stderr::line(&format!(
        "About to offboard {accounts} accounts of {people} people ({}). Type {accounts} to \
         continue:",
        plan.digest
    ));
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| UsageError(format!("cannot read the confirmation: {e}")))?;
    if answer.trim() == accounts.to_string() {
        Ok(())
    } else {
        Err(UsageError("not confirmed: nothing was sent".to_owned()))
    }
}

/// One apply line as text (also the demo's).
pub fn text_line(line: &Line) -> String {
    let who = line.email.as_deref().unwrap_or("");
    let user = line.user_id.as_deref().unwrap_or("-");
    let error = line
        .error
        .as_ref()
        .map(|e| format!("  {}", escape(&e.to_string())))
        .unwrap_or_default();
    match line.step {
        Some(step) => {
            // The target is shown only when it is not the account itself (a device, a group).
            let target = match line.target.as_deref() {
                Some(target) if Some(target) != line.user_id.as_deref() => {
                    format!(" {}", escape(target))
                }
                _ => String::new(),
            };
            let attempts = match line.attempts {
                1 => "1 attempt".to_owned(),
                n => format!("{n} attempts"),
            };
            let resumed = if line.resumed {
                ", recorded in the journal"
            } else {
                ""
            };
            format!(
                "{:<9} {:<17} {} {step}{target}  ({attempts}, {} ms{resumed}){error}",
                line.outcome,
                line.provider,
                escape(user),
                line.elapsed_ms,
            )
        }
        None => format!(
            "=> {:<17} {:<17} {} ({}){error}",
            line.outcome,
            line.provider,
            escape(user),
            escape(who)
        ),
    }
}

/// `idp offboard verify`.
pub async fn verify_plan(args: VerifyArgs, interrupt: Interrupt) -> Result<RunEnd, UsageError> {
    let plan = read_plan(&args.plan)?;
    let clients = plan_clients(&plan, &args.config, &args.transport, &interrupt)?;
    crate::signals::watch(interrupt.clone(), || {});
    let concurrency = usize::try_from(args.concurrency).unwrap_or(usize::MAX);
    let lines = verify(&plan, &clients, concurrency).await;
    for client in clients.values() {
        let _ = client.close().await;
    }
    let mut out = Out::new();
    let mut all_gone = true;
    for line in &lines {
        all_gone &= line.state == "gone";
        match args.output {
            OutputFormat::Json => out.json(line),
            OutputFormat::Text => {
                let error = line
                    .error
                    .as_ref()
                    .map(|e| format!("  {}", escape(&e.to_string())))
                    .unwrap_or_default();
                out.line(&format!(
                    "{:<8} {:<17} {} ({}){error}",
                    line.state,
                    line.provider,
                    escape(&line.user_id),
                    escape(line.email.as_deref().unwrap_or(""))
                ))
            }
        };
    }
    if !out.flush() {
        return Ok(RunEnd::OutputIncomplete);
    }
    if interrupt.is_requested() {
        return Ok(RunEnd::Interrupted);
    }
    Ok(RunEnd::from_success(all_gone))
}

/// `idp journal verify FILE`.
pub fn journal_verify(file: &Path) -> Result<RunEnd, UsageError> {
    use idp_offboard::journal::{Report, verify};
    let report = verify(file)
        .map_err(|e| UsageError(format!("cannot read the journal {}: {e}", file.display())))?;
    let mut out = Out::new();
    out.line(&format!("{}: {report}", file.display()));
    if !out.flush() {
        return Ok(RunEnd::OutputIncomplete);
    }
    Ok(RunEnd::from_success(matches!(
        report,
        Report::Intact { .. }
    )))
}
