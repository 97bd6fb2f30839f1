//! `idp delete`: one client, ids streamed in, one line out per id as it finishes.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use idp::delete_stream;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::DeleteArgs;
use crate::config::{UsageError, build_client};
use crate::ids::{ReadFailure, id_stream};
use crate::output::{Line, Outcome, Reporter};

/// How a run ended, for the exit status.
pub enum RunEnd {
    /// Every id deleted, absent or skipped.
    AllDone,
    /// At least one id failed (or the id file could not be read to the end).
    SomeFailed,
}

/// Runs `idp delete`. A `UsageError` means nothing was sent.
pub async fn run(args: DeleteArgs) -> Result<RunEnd, UsageError> {
    if args.user_ids.is_empty() && args.from.is_none() {
        return Err(UsageError(
            "no user ids: give them as arguments or with --from FILE (- for standard input)".into(),
        ));
    }
    let client = build_client(&args)?;
    let failure = ReadFailure::default();
    let many = args.from.is_some() || args.user_ids.len() > 1;
    let ids = id_stream(args.user_ids, args.from.as_deref(), failure.clone()).await?;
    let provider = client.vendor().as_str();
    let mut reporter = Reporter::new(std::io::stdout().lock(), args.output, provider);
    let progress = progress_bar(many);
    let started = Instant::now();

    let write_failed = |e: std::io::Error| UsageError(format!("cannot write output: {e}"));
    if args.dry_run {
        let mut ids = std::pin::pin!(ids);
        while let Some(user_id) = ids.next().await {
            let line_started = Instant::now();
            let checked = client.validate_user_id(&user_id);
            let line = Line {
                user_id: &user_id,
                outcome: if checked.is_ok() {
                    Outcome::Skipped
                } else {
                    Outcome::Failed
                },
                attempts: 0,
                elapsed: line_started.elapsed(),
                error: checked.as_ref().err(),
            };
            progress
                .suspend(|| reporter.line(&line))
                .map_err(write_failed)?;
            progress.inc(1);
        }
    } else {
        let concurrency = usize::try_from(args.concurrency).unwrap_or(usize::MAX);
        let mut reports = delete_stream(&client, ids, concurrency);
        while let Some(report) = reports.next().await {
            let line = Line::from_report(&report);
            progress
                .suspend(|| reporter.line(&line))
                .map_err(write_failed)?;
            progress.inc(1);
        }
    }
    progress.finish_and_clear();
    reporter.summary(started.elapsed()).map_err(write_failed)?;
    tracing::info!(
        provider,
        deleted = reporter.tally.deleted,
        absent = reporter.tally.absent,
        failed = reporter.tally.failed,
        skipped = reporter.tally.skipped,
        "run finished"
    );
    if let Some(message) = failure.get() {
        tracing::error!("{message}");
        eprintln_safe(&format!("idp: {message}"));
        return Ok(RunEnd::SomeFailed);
    }
    Ok(if reporter.tally.failed > 0 {
        RunEnd::SomeFailed
    } else {
        RunEnd::AllDone
    })
}

/// A bar on stderr, only for a person watching: stderr is a terminal and more than one id.
fn progress_bar(many: bool) -> ProgressBar {
    if !many || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} ids done ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[allow(clippy::print_stderr)]
fn eprintln_safe(message: &str) {
    eprintln!("{message}");
}
