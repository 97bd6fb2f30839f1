//! Ctrl-C and SIGTERM: the first one asks the run to stop (no new request starts, requests in
//! flight finish and are reported); a second one exits at once, after the caller's flush.

use idp::Interrupt;

/// Listens for SIGINT and SIGTERM in the background. The first requests `interrupt`; the
/// second runs `on_second` (flush what is known) and exits with status 130.
pub fn watch(interrupt: Interrupt, on_second: impl Fn() + Send + 'static) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut sigint), Ok(mut sigterm)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot watch for Ctrl-C and SIGTERM");
        return;
    };
    tokio::spawn(async move {
        let mut seen = 0u32;
        loop {
            let got = tokio::select! {
                got = sigint.recv() => got.is_some(),
                got = sigterm.recv() => got.is_some(),
            };
            if !got {
                return;
            }
            seen += 1;
            if seen == 1 {
                // Stop first, then say so: once the message is out, it must be true.
                interrupt.request();
                tracing::warn!("interrupted: no new request starts; finishing those in flight");
                crate::stderr::line(
                    "idp: interrupted; finishing what is in flight (again to exit at once)",
                );
            } else {
                on_second();
                std::process::exit(130);
            }
        }
    });
}
