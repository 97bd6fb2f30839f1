//! The progress bar on stderr (only for a person watching: stderr a terminal, more than one
//! item), saying when pacing is what holds the run back.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How recently pacing must have held a request back to be reported.
const PACED_WITHIN: Duration = Duration::from_secs(2);

/// How often `-v` logs the pacing line.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The bar (hidden when nobody watches) and the pacing report.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    last_log: Option<Instant>,
}

impl Progress {
    /// A bar for `total` items, shown when stderr is a terminal and `total` > 1.
    pub fn new(total: usize, noun: &str) -> Progress {
        let bar = (total > 1 && crate::stderr::is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let template = format!(
                "{{spinner}} {{pos}}/{{len}} {noun} done ({{per_sec}}, {{elapsed}}) {{msg}}"
            );
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            total,
            done: 0,
            last_log: None,
        }
    }

    /// Runs `write` (a stdout write) without the bar drawing over it.
    pub fn suspend<T>(&self, write: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// One more item done; `transport` tells whether pacing held requests back.
    pub fn inc(&mut self, transport: &idp::Transport, vendor: &str) {
        self.done += 1;
        // Nobody watches (no bar, no `-v`): skip the pacer's lock and clock on every item.
        if self.bar.is_none() && !tracing::enabled!(tracing::Level::INFO) {
            return;
        }
        let now = transport.clock().now();
        let pacer = transport.pacer();
        let paced = pacer.held_back_recently(now, PACED_WITHIN);
        let message = match (paced, pacer.current_rate_per_second(now)) {
            (true, Some(rate)) if rate > 0.0 => {
                let left = self.total.saturating_sub(self.done);
                let eta = Duration::from_secs_f64(left as f64 / rate);
                format!(
                    "paced: {rate:.1} req/s for {vendor}, {} left, ~{}",
                    thousands(left),
                    minutes(eta)
                )
            }
            _ => String::new(),
        };
        if !message.is_empty() && self.last_log.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            self.last_log = Some(Instant::now());
            tracing::info!("{message}");
        }
        if let Some(bar) = &self.bar {
            bar.set_message(message);
            bar.inc(1);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `3412` as `3,412`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `~14 min`, `~40 s`.
fn minutes(eta: Duration) -> String {
    let secs = eta.as_secs();
    if secs >= 90 {
        format!("{} min", (secs + 30) / 60)
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(3412), "3,412");
        assert_eq!(thousands(12), "12");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(minutes(Duration::from_secs(852)), "14 min");
        assert_eq!(minutes(Duration::from_secs(40)), "40 s");
    }
}
