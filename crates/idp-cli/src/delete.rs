//! `idp delete`: one client, ids streamed in, one line out per id as it finishes.

use std::io::{BufWriter, IsTerminal, Write};
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
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
    let progress = progress_bar(many);
    // Buffered: a line waits at most FLUSH_DELAY for others to share its write (see
    // `Output`), so a script reads each line within 50 ms of its id finishing and a fast run
    // does not pay one write per id.
    let stdout = BufWriter::new(std::io::stdout().lock());
    let mut out = Output {
        reporter: Reporter::new(stdout, args.output, provider),
        oldest_unflushed: None,
        // A hidden bar still does its bookkeeping (a lock, a clock read, a rate estimate) on
        // every id: skip it altogether when nobody watches.
        progress: (!progress.is_hidden()).then_some(progress),
    };
    let started = Instant::now();

    let write_failed = |e: std::io::Error| UsageError(format!("cannot write output: {e}"));
    if args.dry_run {
        let mut ids = std::pin::pin!(ids);
        while let Some(user_id) = out.next(&mut ids).await.map_err(write_failed)? {
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
            out.write(&line).map_err(write_failed)?;
        }
    } else {
        let concurrency = usize::try_from(args.concurrency).unwrap_or(usize::MAX);
        let mut reports = std::pin::pin!(delete_stream(&client, ids, concurrency));
        while let Some(report) = out.next(&mut reports).await.map_err(write_failed)? {
            let line = Line::from_report(&report);
            out.write(&line).map_err(write_failed)?;
        }
    }
    if let Some(progress) = &out.progress {
        progress.finish_and_clear();
    }
    let mut reporter = out.reporter;
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

/// How long a finished id's line may wait in the output buffer for others to share its
/// write: short enough that a script sees lines as ids finish, long enough that a fast bulk
/// run writes many lines at once instead of one write per id.
const FLUSH_DELAY: Duration = Duration::from_millis(50);

/// The reporter, when its oldest line not yet flushed was written, and the progress bar
/// (only when one is shown).
struct Output<W: Write> {
    reporter: Reporter<W>,
    oldest_unflushed: Option<Instant>,
    progress: Option<ProgressBar>,
}

impl<W: Write> Output<W> {
    /// Writes a line (and counts it on the bar); flushes when the oldest unflushed line has
    /// waited `FLUSH_DELAY`.
    fn write(&mut self, line: &Line<'_>) -> std::io::Result<()> {
        match &self.progress {
            Some(progress) => {
                progress.suspend(|| self.reporter.write_line(line))?;
                progress.inc(1);
            }
            None => self.reporter.write_line(line)?,
        }
        let oldest = *self.oldest_unflushed.get_or_insert_with(Instant::now);
        if oldest.elapsed() >= FLUSH_DELAY {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.oldest_unflushed = None;
        match &self.progress {
            Some(progress) => progress.suspend(|| self.reporter.flush()),
            None => self.reporter.flush(),
        }
    }

    /// The stream's next item. While lines wait in the buffer, it waits for the item no longer
    /// than the oldest line may still wait, then flushes them and waits on.
    async fn next<S>(&mut self, stream: &mut S) -> std::io::Result<Option<S::Item>>
    where
        S: Stream + Unpin,
    {
        if let Some(oldest) = self.oldest_unflushed {
            let left = FLUSH_DELAY.saturating_sub(oldest.elapsed());
            if let Ok(item) = tokio::time::timeout(left, stream.next()).await {
                return Ok(item);
            }
            self.flush()?;
        }
        Ok(stream.next().await)
    }
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
