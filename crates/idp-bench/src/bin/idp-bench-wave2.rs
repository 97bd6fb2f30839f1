//! Wave-2 measurements against the in-process simulators over loopback HTTP: pacing under a
//! compressed Cloudflare policy, `find` at scale, and a bulk offboarding. Prints one JSON
//! object per measurement; `crates/idp-bench/RESULTS.md` records the figures.

// A benchmark program: its report is its standard output.
#![allow(clippy::print_stdout)]

use clap::{Parser, Subcommand};

use idp_bench::wave2;

#[derive(Parser)]
#[command(about = "Wave-2 measurements against the simulators")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// N deletes under Cloudflare's policy compressed: paced to 90 % vs unpaced.
    Pacing {
        /// Deletes per run.
        #[arg(long, default_value_t = 2000)]
        count: usize,
    },
    /// Look up `queries` emails in all five simulators, each holding `people` users.
    Find {
        /// Users seeded in each simulator.
        #[arg(long, default_value_t = 10_000)]
        people: usize,
        /// Emails looked up.
        #[arg(long, default_value_t = 1000)]
        queries: usize,
    },
    /// Plan and apply the offboarding of `people` people across all five simulators.
    Offboard {
        /// People offboarded.
        #[arg(long, default_value_t = 500)]
        people: usize,
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let measurement = match Args::parse().command {
        Command::Pacing { count } => wave2::pacing(count).await?,
        Command::Find { people, queries } => wave2::find(people, queries).await?,
        Command::Offboard { people } => wave2::offboard(people).await?,
    };
    println!("{}", serde_json::to_string_pretty(&measurement)?);
    Ok(())
}
