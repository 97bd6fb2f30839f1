//! `idp delete`: one client, every id read and checked first, each distinct id sent once,
//! one line out per id as it finishes; a signal, a broken stdout or a run of identical
//! failures stops new deletes without losing the record of those that happened.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use idp::{Client, DeleteOutcome, DeleteReport, Error, ErrorKind, Interrupt};

use crate::args::{DeleteArgs, OutputFormat};
use crate::delete_journal::DeleteJournal;
use crate::exit::{RunEnd, UsageError};
use crate::ids::{self, IdEntry};
use crate::out::Out;
use crate::output::{Line, Outcome, Tally, plural};
use crate::progress::Progress;
use crate::settings;

/// After this many consecutive ids fail with the same retryable kind, no new id starts.
const BREAKER_THRESHOLD: usize = 20;

/// Runs `idp delete`. A `UsageError` means nothing was sent.
pub async fn run(args: DeleteArgs, interrupt: Interrupt) -> Result<RunEnd, UsageError> {
    settings::check_flags(&[args.provider], &args.config)?;
    let client = settings::client(args.provider, &args.config, &args.transport, &interrupt)?;
    let provider = client.vendor().as_str();
    let ids = tokio::task::block_in_place(|| ids::read(args.user_ids, args.from.as_deref()))?;
    let mut journal = match &args.journal {
        Some(path) => Some(DeleteJournal::open(path, provider)?),
        None => None,
    };
    let out = Arc::new(Mutex::new(Out::tracking()));
    {
        let out = Arc::clone(&out);
        crate::signals::watch(interrupt.clone(), move || {
            lock(&out).flush();
        });
    }
    let mut run = DeleteRun {
        client: &client,
        provider,
        format: args.output,
        out,
        tally: Tally {
            duplicates: ids.duplicates,
            ..Tally::default()
        },
        unreported: Vec::new(),
        flush_timer: Box::pin(tokio::time::sleep(std::time::Duration::ZERO)),
        flush_timer_at: None,
        progress: Progress::new(ids.entries.len(), "ids"),
        journal_failure: None,
        interrupt: interrupt.clone(),
        output_failure_noted: false,
        in_flight: 0,
    };
    let started = Instant::now();
    let end = if args.dry_run {
        run.dry_run(ids.entries).await?
    } else {
        let concurrency = usize::try_from(args.concurrency).unwrap_or(usize::MAX);
        run.delete_all(ids.entries, concurrency, &interrupt, journal.as_mut())
            .await
    };
    run.progress.finish();
    let output_failed = {
        let mut out = lock(&run.out);
        if args.output == OutputFormat::Text {
            out.line(&run.tally.summary(provider, started.elapsed()));
        }
        out.flush();
        out.failed()
    };
    if let Some(journal) = journal {
        let t = &run.tally;
        let counts = serde_json::json!({
            "deleted": t.deleted, "absent": t.absent, "failed": t.failed, "skipped": t.skipped,
        });
        if let Err(e) = journal.close(counts) {
            run.journal_failure.get_or_insert(e.0);
        }
    }
    if !args.dry_run {
        // Best effort: a Control Room session token is logged out; nothing else has one.
        if let Err(err) = client.close().await {
            tracing::info!("logout at the end of the run failed: {err}");
        }
    }
    tracing::info!(
        provider,
        deleted = run.tally.deleted,
        absent = run.tally.absent,
        failed = run.tally.failed,
        skipped = run.tally.skipped,
        "run finished"
    );
    Ok(run.finish(end, output_failed, &interrupt))
}

fn lock(out: &Mutex<Out<Line>>) -> std::sync::MutexGuard<'_, Out<Line>> {
    out.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why new ids stopped starting.
#[derive(Debug, Clone, PartialEq)]
enum Halt {
    /// Every id was started.
    None,
    /// The run was interrupted (a signal, or output that could not be written).
    Interrupted,
    /// The circuit breaker opened: this many consecutive ids failed with this kind.
    Breaker(ErrorKind),
}

struct DeleteRun<'a> {
    client: &'a Client,
    provider: &'static str,
    format: OutputFormat,
    out: Arc<Mutex<Out<Line>>>,
    tally: Tally,
    /// Lines of ids that finished without reaching stdout (buffered when a write failed, or
    /// finished after).
    unreported: Vec<Line>,
    /// Fires when buffered lines have waited long enough; set once per batch of lines, not
    /// once per id.
    flush_timer: Pin<Box<tokio::time::Sleep>>,
    /// The deadline `flush_timer` is set to.
    flush_timer_at: Option<Instant>,
    progress: Progress,
    journal_failure: Option<String>,
    interrupt: Interrupt,
    /// Whether the operator was told that stdout failed.
    output_failure_noted: bool,
    /// Deletes on their way, for that message.
    in_flight: usize,
}

impl DeleteRun<'_> {
    /// Prints one line (or, once stdout has failed, keeps it for stderr).
    fn report(&mut self, line: Line) {
        self.tally.add(line.outcome);
        self.progress.inc(self.client.transport(), self.provider);
        {
            let mut out = lock(&self.out);
            let out = &mut *out;
            let format = self.format;
            self.progress.suspend(|| match format {
                OutputFormat::Json => out.json_labelled(line),
                OutputFormat::Text => out.line_labelled(&line.text(), line),
            });
            self.unreported.extend(out.take_lost());
        }
        self.note_output_failure();
    }

    /// Once stdout has failed: no new delete starts (the interrupt), and the operator hears
    /// it now, not only when the deletes in flight have finished.
    fn note_output_failure(&mut self) {
        if self.output_failure_noted {
            return;
        }
        let error = {
            let out = lock(&self.out);
            match out.error() {
                Some(error) => error.to_string(),
                None if out.failed() => "unknown error".to_owned(),
                None => return,
            }
        };
        self.output_failure_noted = true;
        self.interrupt.request();
        crate::stderr::line(&format!(
            "idp: standard output could not be written ({error}): no new delete starts; \
             finishing the {} in flight",
            plural(self.in_flight, "delete", "deletes")
        ));
    }

    async fn dry_run(&mut self, entries: Vec<IdEntry>) -> Result<Halt, UsageError> {
        self.client.check_access().await.map_err(|err| {
            UsageError(format!(
                "the configuration does not work (checked with one read-only call): {err}"
            ))
        })?;
        for entry in entries {
            match entry {
                IdEntry::Refused { shown, error } => {
                    self.report(Line::unsent(
                        self.provider,
                        shown,
                        Outcome::Failed,
                        Some(error),
                    ));
                }
                IdEntry::Id(id) => {
                    let checked = self.client.validate_user_id(&id);
                    let outcome = if checked.is_ok() {
                        Outcome::Skipped
                    } else {
                        Outcome::Failed
                    };
                    self.report(Line::unsent(self.provider, id, outcome, checked.err()));
                }
            }
        }
        Ok(Halt::None)
    }

    async fn delete_all(
        &mut self,
        entries: Vec<IdEntry>,
        concurrency: usize,
        interrupt: &Interrupt,
        mut journal: Option<&mut DeleteJournal>,
    ) -> Halt {
        let client = self.client;
        let mut pending = entries.into_iter();
        let mut in_flight = FuturesUnordered::new();
        let mut breaker = Breaker::default();
        let mut halt = Halt::None;
        loop {
            while in_flight.len() < concurrency && halt == Halt::None {
                if interrupt.is_requested() || lock(&self.out).failed() {
                    halt = Halt::Interrupted;
                    break;
                }
                if let Some(kind) = breaker.open() {
                    halt = Halt::Breaker(kind);
                    break;
                }
                let Some(entry) = pending.next() else { break };
                let id = match entry {
                    IdEntry::Refused { shown, error } => {
                        self.report(Line::unsent(
                            self.provider,
                            shown,
                            Outcome::Failed,
                            Some(error),
                        ));
                        continue;
                    }
                    IdEntry::Id(id) => id,
                };
                if journal.as_ref().is_some_and(|j| j.done.contains(&id)) {
                    self.tally.resumed += 1;
                    continue;
                }
                if let Err(err) = client.validate_user_id(&id) {
                    let err = err.with_vendor(self.provider);
                    self.report(Line::unsent(self.provider, id, Outcome::Failed, Some(err)));
                    continue;
                }
                if let Some(journal) = journal.as_deref_mut()
                    && let Err(e) = journal.intent(&id)
                {
                    self.journal_failure = Some(e.0);
                    interrupt.request();
                    halt = Halt::Interrupted;
                    break;
                }
                in_flight.push(async move {
                    let started = Instant::now();
                    let result = client.delete_user(&id).await;
                    DeleteReport::new(id, result, started.elapsed())
                });
            }
            self.in_flight = in_flight.len();
            let Some(report) = self.next_report(&mut in_flight).await else {
                break;
            };
            self.in_flight = in_flight.len();
            breaker.observe(&report);
            let line = Line::from_report(self.provider, report);
            if let Some(journal) = journal.as_deref_mut()
                && let Err(e) = journal.outcome(&line)
            {
                // The record is what makes the run auditable: stop starting new deletes.
                self.journal_failure = Some(e.0);
                interrupt.request();
            }
            self.report(line);
        }
        self.skip_rest(pending, &halt);
        halt
    }

    /// The next finished delete. While lines wait in the output buffer, waits no longer than
    /// the oldest may still wait, then flushes them and waits on.
    async fn next_report<S>(&mut self, in_flight: &mut S) -> Option<DeleteReport>
    where
        S: futures_util::Stream<Item = DeleteReport> + Unpin,
    {
        let due = lock(&self.out).flush_due_at();
        if let Some(due) = due {
            if self.flush_timer_at != Some(due) {
                self.flush_timer_at = Some(due);
                self.flush_timer
                    .as_mut()
                    .reset(tokio::time::Instant::from_std(due));
            }
            tokio::select! {
                biased;
                item = in_flight.next() => return item,
                () = &mut self.flush_timer => {}
            }
            let out = Arc::clone(&self.out);
            self.progress.suspend(|| lock(&out).flush());
            self.note_output_failure();
        }
        in_flight.next().await
    }

    /// Reports the ids never started: JSON lines `skipped` with the reason; text output
    /// counts them in the summary.
    fn skip_rest(&mut self, pending: impl Iterator<Item = IdEntry>, halt: &Halt) {
        let err = match halt {
            Halt::None => return,
            Halt::Interrupted => Error::new(
                ErrorKind::Interrupted,
                "not attempted: the run was interrupted before this id started",
            ),
            Halt::Breaker(kind) => Error::new(
                *kind,
                format!(
                    "not attempted: the {BREAKER_THRESHOLD} ids before failed with {kind} one \
                     after another, so no new delete was started (circuit breaker)"
                ),
            ),
        }
        .with_vendor(self.provider);
        let mut skipped = 0usize;
        for entry in pending {
            let id = match entry {
                IdEntry::Id(id) => id,
                IdEntry::Refused { shown, .. } => shown,
            };
            skipped += 1;
            match self.format {
                OutputFormat::Json => {
                    self.report(Line::unsent(
                        self.provider,
                        id,
                        Outcome::Skipped,
                        Some(err.clone()),
                    ));
                }
                OutputFormat::Text => self.tally.add(Outcome::Skipped),
            }
        }
        if let Halt::Breaker(kind) = halt {
            crate::stderr::line(&format!(
                "idp: stopped after {BREAKER_THRESHOLD} consecutive ids failed with {kind}; \
                 {} not attempted",
                plural(skipped, "id", "ids")
            ));
        }
    }

    fn finish(&mut self, halt: Halt, output_failed: bool, interrupt: &Interrupt) -> RunEnd {
        self.unreported.extend(lock(&self.out).take_lost());
        if output_failed || !self.unreported.is_empty() {
            let error = lock(&self.out)
                .error()
                .map(ToString::to_string)
                .unwrap_or_else(|| "unknown error".to_owned());
            crate::stderr::line(&format!(
                "idp: standard output could not be written ({error}); these ids finished \
                 without being reported there:"
            ));
            for line in &self.unreported {
                crate::stderr::line(&format!("  {}", line.text()));
            }
            return RunEnd::OutputIncomplete;
        }
        if let Some(message) = &self.journal_failure {
            crate::stderr::line(&format!("idp: {message}"));
            return RunEnd::OutputIncomplete;
        }
        if interrupt.is_requested() {
            return RunEnd::Interrupted;
        }
        RunEnd::from_success(self.tally.failed == 0 && halt == Halt::None)
    }
}

/// Counts consecutive ids that failed with the same retryable kind.
#[derive(Debug, Default)]
struct Breaker {
    kind: Option<ErrorKind>,
    count: usize,
}

impl Breaker {
    fn observe(&mut self, report: &DeleteReport) {
        match &report.outcome {
            Err(err) if err.is_retryable() && err.kind() != ErrorKind::Interrupted => {
                if self.kind == Some(err.kind()) {
                    self.count += 1;
                } else {
                    self.kind = Some(err.kind());
                    self.count = 1;
                }
            }
            Ok(DeleteOutcome::Deleted | DeleteOutcome::Absent) | Err(_) => {
                self.kind = None;
                self.count = 0;
            }
        }
    }

    fn open(&self) -> Option<ErrorKind> {
        self.kind.filter(|_| self.count >= BREAKER_THRESHOLD)
    }
}
