//! `idp-bench-run`: one measured throughput run, in a process of its own (so its CPU time and
//! peak memory are its own), printing one `result key=value …` line. `cargo xtask bench`
//! drives it; it can also be run by hand against `idp-bench-server`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use idp::Vendor;
use idp_bench::{Mode, Setup, keys, run};

/// Throughput runs of the idp benchmark.
#[derive(Debug, Parser)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Generate the RSA key file (and nothing else) under --dir.
    Setup {
        /// The benchmark directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Write the id file of a vendor (as the CLI mode reads it).
    Ids {
        /// The benchmark directory.
        #[arg(long)]
        dir: PathBuf,
        /// The vendor.
        #[arg(long)]
        vendor: Vendor,
        /// How many ids.
        #[arg(long)]
        n: u64,
    },
    /// Delete N users one way and print the measurement.
    Run {
        /// raw, facade or cli.
        #[arg(long)]
        mode: Mode,
        /// The vendor.
        #[arg(long)]
        vendor: Vendor,
        /// How many ids.
        #[arg(long, default_value_t = 20_000)]
        n: u64,
        /// Deletes at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// The fast server, http://127.0.0.1:PORT.
        #[arg(long)]
        server: String,
        /// The benchmark directory (key file, id files, outputs).
        #[arg(long)]
        dir: PathBuf,
        /// The idp binary, for the cli mode.
        #[arg(long)]
        cli: Option<PathBuf>,
        /// Pin this process (and the CLI it starts) to this CPU; the runtime then has one
        /// worker, as the CLI's has.
        #[arg(long)]
        cpu: Option<usize>,
    },
}

fn main() -> ExitCode {
    let result = match Args::parse().command {
        Cmd::Setup { dir } => keys::write_key_file(&dir).map(|path| println!("{}", path.display())),
        Cmd::Ids { dir, vendor, n } => {
            run::ids_file(&dir, vendor, n).map(|path| println!("{}", path.display()))
        }
        Cmd::Run {
            mode,
            vendor,
            n,
            concurrency,
            server,
            dir,
            cli,
            cpu,
        } => {
            if let Some(cpu) = cpu
                && let Err(message) = idp_bench::measure::pin_to_cpu(cpu)
            {
                eprintln!("idp-bench-run: {message}");
                return ExitCode::FAILURE;
            }
            let setup = Setup {
                vendor,
                n,
                concurrency,
                server,
                dir,
                cli,
            };
            measure(mode, &setup)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("idp-bench-run: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The same runtime the `idp` CLI builds: multi-threaded, one worker per core this process
/// may run on.
fn measure(mode: Mode, setup: &Setup) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let measurement = runtime.block_on(run::run(mode, setup))?;
    println!("{}", measurement.line());
    Ok(())
}
