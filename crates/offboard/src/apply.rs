//! Carrying out an approved plan: re-read every target, contain everything (phase 1), then
//! clear prerequisites, delete and verify (phase 2); every step journaled before it is sent
//! and after it ends, and a resumed run never sends a completed step again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};
use idp::{
    Account, Client, ErrorKind, Interrupt, Lookup, PlannedStep, Step, StepContext, StepOutcome,
};
use serde::Serialize;

use crate::journal::{Entry, Journal, JournalError};
use crate::plan::{ErrorRecord, Person, Plan, Resolution, Target};
use crate::record::{Line, Record, StepKey};

/// Where a target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Final {
    /// Contained, deleted and verified gone.
    Offboarded,
    /// No account (at plan time, or gone since).
    Absent,
    /// Contained only (`--contain-only`).
    Contained,
    /// Contained; the vendor removes it later by itself.
    PendingDeletion,
    /// Contained; an identity provider owns the account and must delete it.
    ManagedElsewhere,
    /// The live account differs from the plan: nothing changed for it.
    Drift,
    /// On the protect list: untouched.
    Protected,
    /// A step failed, the plan's lookup failed or was ambiguous, or the run was interrupted.
    Failed,
}

impl Final {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Final::Offboarded => "offboarded",
            Final::Absent => "absent",
            Final::Contained => "contained",
            Final::PendingDeletion => "pending_deletion",
            Final::ManagedElsewhere => "managed_elsewhere",
            Final::Drift => "drift",
            Final::Protected => "protected",
            Final::Failed => "failed",
        }
    }

    /// Whether this end is a success for the exit status (`contained` only with
    /// `--contain-only`).
    pub fn is_success(self, contain_only: bool) -> bool {
        match self {
            Final::Offboarded | Final::Absent | Final::PendingDeletion | Final::Protected => true,
            Final::Contained => contain_only,
            _ => false,
        }
    }
}

impl fmt::Display for Final {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to apply.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Stop after phase 1 (containment): a valid end state.
    pub contain_only: bool,
    /// Targets worked on at once in each provider (the providers run side by side).
    pub concurrency: usize,
}

impl ApplyOptions {
    /// Everything, four targets at a time in each provider.
    pub fn new() -> Self {
        ApplyOptions {
            contain_only: false,
            concurrency: 4,
        }
    }

    /// Sets `contain_only`.
    pub fn contain_only(mut self, contain_only: bool) -> Self {
        self.contain_only = contain_only;
        self
    }

    /// Sets the concurrency.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions::new()
    }
}

/// Why an apply could not start or could not keep its record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The journal holds runs of another plan.
    #[error(
        "the journal {path} belongs to another plan ({found}); use a new journal for this plan"
    )]
    ForeignJournal {
        /// The journal.
        path: String,
        /// The plan digest it names.
        found: String,
    },
    /// The plan names a provider with no client.
    #[error("the plan names provider {0}, which is not configured")]
    MissingClient(String),
    /// The journal could not be written: the record of what was done is incomplete.
    #[error("the journal could not be written: {0}")]
    Journal(#[from] JournalError),
}

/// What an apply came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// How many targets ended in each final outcome.
    pub finals: HashMap<Final, usize>,
    /// Whether a stop request cut the run short.
    pub interrupted: bool,
}

impl Summary {
    /// Whether every target ended in a success for the exit status.
    pub fn all_succeeded(&self, contain_only: bool) -> bool {
        self.finals
            .iter()
            .all(|(outcome, count)| *count == 0 || outcome.is_success(contain_only))
    }
}

/// What earlier runs of the same plan recorded.
#[derive(Debug, Default)]
pub struct Resume {
    /// Steps with an outcome of done or already.
    finished: HashMap<StepKey, String>,
    /// Steps sent without an outcome, with the task id recorded for them, if any.
    unfinished: HashMap<StepKey, Option<String>>,
}

impl Resume {
    /// Reads the journal's entries; refuses a journal of another plan (`run` records name the
    /// plan digest).
    pub fn from_entries(entries: &[Entry], digest: &str, path: &str) -> Result<Resume, ApplyError> {
        let mut resume = Resume::default();
        for entry in entries {
            let value = serde_json::Value::Object(entry.fields.clone());
            let Ok(record) = serde_json::from_value::<Record>(value) else {
                continue;
            };
            match record {
                Record::Run { plan, .. } if plan != digest => {
                    return Err(ApplyError::ForeignJournal {
                        path: path.to_owned(),
                        found: plan,
                    });
                }
                Record::Intent { key } => {
                    resume.unfinished.entry(key).or_insert(None);
                }
                Record::Task { key, task_id } => {
                    resume.unfinished.insert(key, Some(task_id));
                }
                Record::Outcome { key, outcome, .. } => {
                    resume.unfinished.remove(&key);
                    if outcome == StepOutcome::Done.as_str()
                        || outcome == StepOutcome::Already.as_str()
                    {
                        resume.finished.insert(key, outcome);
                    }
                }
                _ => {}
            }
        }
        Ok(resume)
    }
}

/// One target being worked on.
struct Work<'p> {
    person: &'p Person,
    target: &'p Target,
    client: &'p Client,
    account: &'p Account,
    attempts: u32,
    started: Instant,
    outcome: Option<Final>,
    /// The last request id, for the final line.
    request_id: Option<String>,
}

/// The executor's shared state.
struct Run<'a> {
    journal: Mutex<Option<Journal>>,
    journal_error: Mutex<Option<JournalError>>,
    resume: Resume,
    stop: &'a Interrupt,
    report: &'a (dyn Fn(&Line) + Send + Sync),
}

impl Run<'_> {
    /// Appends a record and syncs it; on failure the run stops (nothing more may happen
    /// that could not be recorded).
    fn record(&self, record: &Record) -> bool {
        let mut journal = self.journal.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(open) = journal.as_mut() else {
            return false;
        };
        match open.append(record) {
            Ok(_) => true,
            Err(err) => {
                tracing::error!("journal write failed: {err}");
                *self
                    .journal_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(err);
                self.stop.request();
                false
            }
        }
    }
}

/// Applies `plan` with `clients` (one per provider name), appending to `journal` (already
/// opened and locked; `resume` read from its earlier entries), reporting every step and final
/// line through `report` after it is journaled. `stop` ends the run early: no new step
/// starts, steps in flight finish and are recorded.
pub async fn apply(
    plan: &Plan,
    clients: &HashMap<String, Client>,
    journal: Journal,
    resume: Resume,
    options: ApplyOptions,
    stop: &Interrupt,
    report: &(dyn Fn(&Line) + Send + Sync),
) -> Result<Summary, ApplyError> {
    for provider in plan.providers() {
        let needed = plan
            .people
            .iter()
            .flat_map(|p| &p.targets)
            .any(|t| t.provider == provider && t.resolution == Resolution::Found);
        if needed && !clients.contains_key(&provider) {
            return Err(ApplyError::MissingClient(provider));
        }
    }
    let run = Run {
        journal: Mutex::new(Some(journal)),
        journal_error: Mutex::new(None),
        resume,
        stop,
        report,
    };
    let mode = if options.contain_only {
        "contain_only"
    } else {
        "apply"
    };
    run.record(&Record::Run {
        plan: plan.digest.clone(),
        mode: mode.to_owned(),
    });

    let mut summary = Summary::default();
    let mut work: Vec<Work<'_>> = Vec::new();
    for person in &plan.people {
        for target in &person.targets {
            let settled = match target.resolution {
                Resolution::Absent => Some((Final::Absent, None)),
                Resolution::Protected => Some((Final::Protected, None)),
                Resolution::Ambiguous => Some((
                    Final::Failed,
                    Some(plan_time_error("the lookup was ambiguous at plan time")),
                )),
                Resolution::Failed => Some((
                    Final::Failed,
                    Some(
                        target
                            .error
                            .clone()
                            .unwrap_or_else(|| plan_time_error("the lookup failed at plan time")),
                    ),
                )),
                Resolution::Found => None,
            };
            let account = target.account.as_ref();
            match (settled, account, clients.get(&target.provider)) {
                (Some((outcome, error)), _, _) => {
                    finish_settled(&run, person, target, outcome, error, &mut summary);
                }
                (None, Some(account), Some(client)) if !target.steps.is_empty() => {
                    work.push(Work {
                        person,
                        target,
                        client,
                        account,
                        attempts: 0,
                        started: Instant::now(),
                        outcome: None,
                        request_id: None,
                    });
                }
                (None, _, _) => {
                    let error = plan_time_error("the plan has no account or steps here");
                    finish_settled(
                        &run,
                        person,
                        target,
                        Final::Failed,
                        Some(error),
                        &mut summary,
                    );
                }
            }
        }
    }

    let concurrency = options.concurrency.max(1);
    let mut work = each_target(work, concurrency, |mut w| {
        let run = &run;
        async move {
            reread(run, &mut w).await;
            w
        }
    })
    .await;

    for phase in [Phase::Contain, Phase::Remove] {
        if phase == Phase::Remove && options.contain_only {
            break;
        }
        work = each_target(work, concurrency, |mut w| {
            let run = &run;
            async move {
                if w.outcome.is_none() {
                    run_phase(run, &mut w, phase).await;
                }
                w
            }
        })
        .await;
    }

    for mut w in work {
        let outcome = w.outcome.unwrap_or(match w.target.end {
            _ if options.contain_only
                && w.target.steps.iter().any(|s| !s.step.is_containment()) =>
            {
                Final::Contained
            }
            Some(idp::EndState::PendingDeletion) => Final::PendingDeletion,
            Some(idp::EndState::ManagedElsewhere) => Final::ManagedElsewhere,
            Some(idp::EndState::Offboarded) | None => Final::Offboarded,
        });
        w.outcome = Some(outcome);
        let interrupted = outcome == Final::Failed && run.stop.is_requested();
        let error = interrupted.then(interrupted_error);
        finish(&run, &w, outcome, error, &mut summary);
    }
    summary.interrupted = run.stop.is_requested();

    let journal = run
        .journal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(err) = run
        .journal_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        return Err(ApplyError::Journal(err));
    }
    if let Some(journal) = journal {
        let counts: HashMap<&str, usize> = summary
            .finals
            .iter()
            .map(|(outcome, count)| (outcome.as_str(), *count))
            .collect();
        journal.close(&serde_json::json!({ "counts": counts }))?;
    }
    Ok(summary)
}

/// Runs `f` on every target, at most `concurrency` at a time per provider and the providers
/// side by side, so that one vendor's slow calls (CloudSSO's task polling, a paced budget)
/// never hold back another's. Returns the targets in their original order.
async fn each_target<'p, F, Fut>(work: Vec<Work<'p>>, concurrency: usize, f: F) -> Vec<Work<'p>>
where
    F: Fn(Work<'p>) -> Fut,
    Fut: Future<Output = Work<'p>>,
{
    let mut lanes: BTreeMap<&'p str, Vec<(usize, Work<'p>)>> = BTreeMap::new();
    for (index, w) in work.into_iter().enumerate() {
        lanes
            .entry(w.target.provider.as_str())
            .or_default()
            .push((index, w));
    }
    let f = &f;
    let lanes = lanes.into_values().map(|lane| {
        stream::iter(lane)
            .map(|(index, w)| async move { (index, f(w).await) })
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
    });
    let mut done: Vec<(usize, Work<'p>)> = join_all(lanes).await.into_iter().flatten().collect();
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, w)| w).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Contain,
    Remove,
}

fn plan_time_error(message: &str) -> ErrorRecord {
    ErrorRecord {
        kind: ErrorKind::InvalidInput.as_str().to_owned(),
        status: None,
        code: None,
        message: format!("{message}: nothing was sent for this target"),
        request_id: None,
    }
}

fn interrupted_error() -> ErrorRecord {
    ErrorRecord {
        kind: ErrorKind::Interrupted.as_str().to_owned(),
        status: None,
        code: None,
        message: "the run was interrupted before this step started".to_owned(),
        request_id: None,
    }
}

/// A target that needs no work: journal and report its final line.
fn finish_settled(
    run: &Run<'_>,
    person: &Person,
    target: &Target,
    outcome: Final,
    error: Option<ErrorRecord>,
    summary: &mut Summary,
) {
    let line = Line {
        email: person.email_for(target),
        provider: target.provider.clone(),
        user_id: target.user_id().map(str::to_owned),
        step: None,
        target: target.user_id().map(str::to_owned),
        outcome: outcome.as_str().to_owned(),
        attempts: 0,
        elapsed_ms: 0,
        request_id: None,
        error,
        task_id: None,
        resumed: false,
    };
    record_final(run, &line, outcome, summary);
}

fn finish(
    run: &Run<'_>,
    w: &Work<'_>,
    outcome: Final,
    error: Option<ErrorRecord>,
    summary: &mut Summary,
) {
    let line = Line {
        email: w.person.email_for(w.target),
        provider: w.target.provider.clone(),
        user_id: Some(w.account.user_id.clone()),
        step: None,
        target: Some(w.account.user_id.clone()),
        outcome: outcome.as_str().to_owned(),
        attempts: w.attempts,
        elapsed_ms: elapsed_ms(w.started),
        request_id: w.request_id.clone(),
        error,
        task_id: None,
        resumed: false,
    };
    record_final(run, &line, outcome, summary);
}

fn record_final(run: &Run<'_>, line: &Line, outcome: Final, summary: &mut Summary) {
    run.record(&Record::Final {
        provider: line.provider.clone(),
        user_id: line.user_id.clone(),
        outcome: outcome.as_str().to_owned(),
    });
    *summary.finals.entry(outcome).or_default() += 1;
    (run.report)(line);
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn key(w: &Work<'_>, step: &PlannedStep) -> StepKey {
    StepKey {
        provider: w.target.provider.clone(),
        user_id: w.account.user_id.clone(),
        step: step.step,
        target: step.target.clone(),
    }
}

/// Reads the target again before anything is sent: the account must still be the one the
/// plan names, and it may have no prerequisite the plan does not list. A target whose delete
/// is already journaled is not re-read (it is expected to be gone).
async fn reread(run: &Run<'_>, w: &mut Work<'_>) {
    let delete_recorded = w
        .target
        .steps
        .iter()
        .filter(|s| s.step == Step::Delete)
        .any(|s| run.resume.finished.contains_key(&key(w, s)));
    if delete_recorded || run.stop.is_requested() {
        return;
    }
    let query = &w.person.query;
    let found = match w.client.find_users(query).await {
        Ok(found) => found,
        Err(err) => {
            w.outcome = Some(Final::Failed);
            report_reread_failure(run, w, ErrorRecord::from(&err));
            return;
        }
    };
    match Lookup::from_candidates(query, found) {
        Lookup::Absent => {
            w.outcome = Some(Final::Absent);
            return;
        }
        Lookup::Found(live) if live.user_id == w.account.user_id => {}
        Lookup::Found(live) => {
            w.outcome = Some(Final::Drift);
            report_reread_failure(
                run,
                w,
                drift(format!(
                    "{} now belongs to account {}, not {} as planned",
                    query, live.user_id, w.account.user_id
                )),
            );
            return;
        }
        Lookup::Ambiguous(accounts) => {
            w.outcome = Some(Final::Drift);
            report_reread_failure(
                run,
                w,
                drift(format!(
                    "{} now matches {} accounts; the plan named one",
                    query,
                    accounts.len()
                )),
            );
            return;
        }
    }
    let live = match w.client.prerequisites(w.account).await {
        Ok(live) => live,
        Err(err) => {
            w.outcome = Some(Final::Failed);
            report_reread_failure(run, w, ErrorRecord::from(&err));
            return;
        }
    };
    let planned: HashSet<(Step, &str)> = w
        .target
        .steps
        .iter()
        .map(|s| (s.step, s.target.as_str()))
        .collect();
    let unplanned: Vec<String> = live
        .iter()
        .filter(|s| !planned.contains(&(s.step, s.target.as_str())))
        .map(|s| format!("{} {}", s.step, s.target))
        .collect();
    if !unplanned.is_empty() {
        w.outcome = Some(Final::Drift);
        report_reread_failure(
            run,
            w,
            drift(format!(
                "the account now has prerequisites the plan does not list: {}",
                unplanned.join(", ")
            )),
        );
    }
}

fn drift(message: String) -> ErrorRecord {
    ErrorRecord {
        kind: ErrorKind::Conflict.as_str().to_owned(),
        status: None,
        code: None,
        message: format!("{message}; nothing was changed for it: make a new plan"),
        request_id: None,
    }
}

/// The re-read's verdict as the target's first step line (the step that could not start).
fn report_reread_failure(run: &Run<'_>, w: &Work<'_>, error: ErrorRecord) {
    let first = &w.target.steps[0];
    let line = Line {
        email: w.person.email_for(w.target),
        provider: w.target.provider.clone(),
        user_id: Some(w.account.user_id.clone()),
        step: Some(first.step),
        target: Some(first.target.clone()),
        outcome: "skipped".to_owned(),
        attempts: 0,
        elapsed_ms: elapsed_ms(w.started),
        request_id: None,
        error: Some(error),
        task_id: None,
        resumed: false,
    };
    (run.report)(&line);
}

/// Runs the target's steps of `phase` in order; the first failure ends the target.
async fn run_phase(run: &Run<'_>, w: &mut Work<'_>, phase: Phase) {
    let steps: Vec<&PlannedStep> = w
        .target
        .steps
        .iter()
        .filter(|s| s.step.is_containment() == (phase == Phase::Contain))
        .collect();
    for step in steps {
        if let Err(outcome) = run_one(run, w, step).await {
            w.outcome = Some(outcome);
            return;
        }
    }
}

/// One step: skipped when journaled as finished, read back when sent without an outcome,
/// otherwise journaled, sent, journaled and reported.
async fn run_one(run: &Run<'_>, w: &mut Work<'_>, step: &PlannedStep) -> Result<(), Final> {
    let key = key(w, step);
    let line = |outcome: &str, attempts, started, request_id, error, task_id, resumed| Line {
        email: w.person.email_for(w.target),
        provider: key.provider.clone(),
        user_id: Some(key.user_id.clone()),
        step: Some(step.step),
        target: Some(step.target.clone()),
        outcome: outcome.to_owned(),
        attempts,
        elapsed_ms: elapsed_ms(started),
        request_id,
        error,
        task_id,
        resumed,
    };
    if let Some(outcome) = run.resume.finished.get(&key) {
        (run.report)(&line(outcome, 0, Instant::now(), None, None, None, true));
        return Ok(());
    }
    if run.stop.is_requested() {
        (run.report)(&line(
            "skipped",
            0,
            Instant::now(),
            None,
            Some(interrupted_error()),
            None,
            false,
        ));
        return Err(Final::Failed);
    }
    let started = Instant::now();
    let mut resume_task = None;
    if let Some(task) = run.resume.unfinished.get(&key) {
        resume_task = task.clone();
        if resume_task.is_none() {
            // Sent before, with no outcome recorded: look before sending it again.
            if let Ok(Some(true)) = w.client.step_done(w.account, step).await {
                if !record_outcome(
                    run,
                    &key,
                    StepOutcome::Already.as_str(),
                    0,
                    None,
                    None,
                    None,
                ) {
                    return Err(Final::Failed);
                }
                (run.report)(&line("already", 0, started, None, None, None, false));
                return Ok(());
            }
        }
    }
    if !run.record(&Record::Intent { key: key.clone() }) {
        return Err(Final::Failed);
    }
    let on_task = |task_id: &str| {
        run.record(&Record::Task {
            key: key.clone(),
            task_id: task_id.to_owned(),
        });
    };
    let context = StepContext {
        resume_task: resume_task.as_deref(),
        on_task: &on_task,
    };
    let result = w.client.run_step(w.account, step, &context).await;
    match result {
        Ok(report) => {
            w.attempts += report.attempts;
            w.request_id = report.request_id.clone().or(w.request_id.take());
            let outcome = report.outcome.as_str();
            if !record_outcome(
                run,
                &key,
                outcome,
                report.attempts,
                report.request_id.clone(),
                report.task_id.clone(),
                None,
            ) {
                return Err(Final::Failed);
            }
            (run.report)(&line(
                outcome,
                report.attempts,
                started,
                report.request_id,
                None,
                report.task_id,
                false,
            ));
            Ok(())
        }
        Err(err) => {
            w.attempts += err.attempts();
            let error = ErrorRecord::from(&err);
            record_outcome(
                run,
                &key,
                "failed",
                err.attempts(),
                err.request_id().map(str::to_owned),
                None,
                Some(error.clone()),
            );
            (run.report)(&line(
                "failed",
                err.attempts(),
                started,
                err.request_id().map(str::to_owned),
                Some(error),
                None,
                false,
            ));
            Err(
                if step.step == Step::Delete && err.kind() == ErrorKind::NotAllowed {
                    Final::ManagedElsewhere
                } else {
                    Final::Failed
                },
            )
        }
    }
}

fn record_outcome(
    run: &Run<'_>,
    key: &StepKey,
    outcome: &str,
    attempts: u32,
    request_id: Option<String>,
    task_id: Option<String>,
    error: Option<ErrorRecord>,
) -> bool {
    run.record(&Record::Outcome {
        key: key.clone(),
        outcome: outcome.to_owned(),
        attempts,
        request_id,
        task_id,
        error,
    })
}
