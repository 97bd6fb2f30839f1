//! Logs on stderr, from -v or RUST_LOG.

use tracing_subscriber::EnvFilter;

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
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(true)
        .init();
}
