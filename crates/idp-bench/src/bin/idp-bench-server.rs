//! `idp-bench-server`: the fast loopback server of `cargo xtask bench`, in its own process so
//! the measured client does not share a runtime with it.
//!
//! Prints `listening http://127.0.0.1:PORT` on stdout, then serves until its standard input
//! closes (the parent ended) or `--max-seconds` pass, and prints its request count on stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Parser;
use idp_bench::server::{self, Stats};
use tokio::io::AsyncReadExt;

/// The fast loopback HTTP server for throughput benchmarks.
#[derive(Debug, Parser)]
struct Args {
    /// Loopback address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Pin the server to this CPU (and use `--threads 1` with it).
    #[arg(long)]
    cpu: Option<usize>,
    /// Stop after this many seconds whatever happens.
    #[arg(long, default_value_t = 3600)]
    max_seconds: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(cpu) = args.cpu
        && let Err(message) = idp_bench::measure::pin_to_cpu(cpu)
    {
        eprintln!("idp-bench-server: {message}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("idp-bench-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("idp-bench-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let listener = server::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let stats = Arc::new(Stats::default());
    println!("listening http://{addr}");
    std::io::stdout().flush().map_err(|e| e.to_string())?;

    let serving = tokio::spawn(server::serve(listener, Arc::clone(&stats)));
    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        () = stdin_closed => {}
        () = tokio::time::sleep(Duration::from_secs(args.max_seconds)) => {
            eprintln!("idp-bench-server: --max-seconds reached");
        }
    }
    serving.abort();
    eprintln!(
        "idp-bench-server: served {} requests ({} unmatched)",
        stats.requests.load(Ordering::Relaxed),
        stats.unmatched.load(Ordering::Relaxed)
    );
    Ok(())
}
