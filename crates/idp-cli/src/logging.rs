//! Logs on stderr, from -v or RUST_LOG: colour only on a terminal and never with `NO_COLOR`;
//! a failed write is dropped, never a panic.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Third-party HTTP crates are held at `info` whatever is asked: at trace level they can dump
/// raw bytes, headers included, and headers carry credentials.
const QUIET_DEPENDENCIES: [&str; 6] = [
    "hyper=info",
    "hyper_util=info",
    "h2=info",
    "reqwest=info",
    "rustls=info",
    "httpmock=info",
];

/// Stderr whose write errors are swallowed (the log is not worth a run).
struct Forgiving;

impl Write for Forgiving {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}

struct MakeForgiving;

impl<'a> MakeWriter<'a> for MakeForgiving {
    type Writer = Forgiving;

    fn make_writer(&'a self) -> Self::Writer {
        Forgiving
    }
}

/// Sets up the stderr logger: RUST_LOG when set, else -v (info), -vv (debug), -vvv (trace).
pub fn init(verbose: u8) {
    let base = match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.trim().is_empty() => filter,
        _ => match verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
        .to_owned(),
    };
    let mut filter = EnvFilter::builder().parse_lossy(base);
    for directive in QUIET_DEPENDENCIES {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let colour = crate::stderr::is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_writer(MakeForgiving)
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_target(true)
        .try_init();
}
